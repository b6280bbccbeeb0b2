/*
 * p11.h - tokens: the p11-kit module registry, RFC 7512 URIs, libp11
 * sessions, login, certificate and key objects.
 *
 * This layer knows nothing of plans or certificates' roles; it answers
 * "which tokens and objects does this URI name", "log in once", "is this
 * key the certificate's and does it sign", (for `run`) "import /
 * destroy a certificate object" and (for `renew`) "generate a key pair".
 *
 * Everything hangs off one struct p11_ctx: modules are loaded on first use
 * (libp11 PKCS11_CTX per module path), each token's objects are enumerated
 * once and indexed in memory (SoftHSM's object search is linear, so one
 * search per reference would be quadratic; an object's attributes are read
 * in one call where they fit), and each token's login outcome
 * is remembered so that a token is logged in to at most once per process
 * and a refused PIN is never tried again.
 *
 * Handles returned by the ctx (tokens, objects) are borrowed: they live
 * until p11_ctx_free; a write (import / destroy) leaves a token's object
 * arrays readable but stale - see those functions.
 *
 * One p11_ctx at a time per process: two contexts loading the same module
 * would initialise it twice, and freeing one would finalise it under the
 * other.
 *
 * Statuses (common/err.h): CR_EINPUT for malformed URIs and refused
 * attributes (pin-value); CR_EENV for modules that cannot be loaded, tokens
 * absent, PIN sources unreadable, PINs refused, tokens locked or at their
 * final PIN try, and PKCS#11 failures; CR_EBLOCK for "this key does not
 * belong to / sign for this certificate" and "another certificate object
 * holds that CKA_ID and CKA_LABEL".
 *
 * Reasons (err->reason; decide on these, never on the message):
 *   CR_R_MALFORMED      a URI that does not parse or is refused (CR_EINPUT)
 *   CR_R_CONFIG         a `tokens` entry's pin_source of another scheme
 *   CR_R_MODULE         a module that cannot be loaded, initialised or listed
 *   CR_R_TOKEN_ABSENT   no token matches; a token not present or removed
 *   CR_R_PIN_SOURCE     no PIN source known, or it cannot be read
 *   CR_R_PIN_INCORRECT  the token refused the PIN (CKR_PIN_INCORRECT, ...)
 *   CR_R_PIN_LOCKED     CKF_USER_PIN_LOCKED or CKR_PIN_LOCKED
 *   CR_R_PIN_FINAL_TRY  CKF_USER_PIN_FINAL_TRY: not attempted
 *   CR_R_LOGIN          another login failure; a write without a read-write
 *                       login
 *   CR_R_OBJECT_EXISTS  p11_token_import_cert: another certificate there;
 *                       p11_token_generate_key: that CKA_ID or CKA_LABEL taken
 *   CR_R_TOKEN          any other PKCS#11 failure (the CK_RV in the message)
 * Every CR_EENV of this layer has one of these; p11_reason_is_token says
 * which of them mean "the module or token could not be used".
 */
#ifndef P11_H
#define P11_H

#include <stddef.h>
#include <openssl/x509.h>

#include "../common/err.h"

struct p11_ctx;
struct p11_token;
struct p11_uri;

/* ---- URIs ------------------------------------------------------------ */

enum p11_objtype { P11_TYPE_ANY = 0, P11_TYPE_CERT, P11_TYPE_PRIVATE, P11_TYPE_PUBLIC };

/*
 * Parses an RFC 7512 URI with p11-kit.  Refuses (CR_EINPUT, message naming
 * the URI and the attribute): syntax errors, unrecognised attributes,
 * `pin-value` (it would put a PIN on a command line), a `pin-source` that
 * is not "file:PATH" or a plain path, an unknown `type`.  Relative
 * pin-source and module-path values are resolved against base_dir (may be
 * NULL).  *out is NULL on entry; p11_uri_free it.
 * [p11 layer] Also refused: an attribute given twice (p11-kit keeps the
 * last), `type=data` / `type=secret-key` (accepted by p11-kit),
 * module-path together with module-name.  An unknown PATH attribute is
 * refused (it would otherwise match everything); an unknown QUERY attribute
 * is a vendor's (RFC 7512 section 2.3): ignored, as p11-kit does, with a
 * warning for people (p11_uri_warning).
 * Path attributes understood: token manufacturer serial model object id type
 * library-manufacturer library-description library-version slot-description
 * slot-manufacturer slot-id; query: pin-source module-name module-path.  A
 * message quoting a URI with pin-value shows "pin-value=***".
 */
int p11_uri_parse(const char *text, const char *base_dir, struct p11_uri **out,
    struct cr_err *err);
void p11_uri_free(struct p11_uri *uri);

const char *p11_uri_text(const struct p11_uri *uri);	/* as given */
/* What parsing ignored (vendor query attributes), one sentence, or NULL. Borrowed. */
const char *p11_uri_warning(const struct p11_uri *uri);
enum p11_objtype p11_uri_type(const struct p11_uri *uri);
/* True when the URI names only a token (no object, id or type). */
int p11_uri_is_token_only(const struct p11_uri *uri);
/* The pin-source path (file: stripped, resolved), or NULL. Borrowed. */
const char *p11_uri_pin_source(const struct p11_uri *uri);
/* [added] The `object` (CKA_LABEL) wanted, decoded, or NULL. Borrowed. */
const char *p11_uri_object(const struct p11_uri *uri);
/* [added] The `id` (CKA_ID) wanted, decoded (`id=%01` is the byte 0x01), or
 * NULL with *len 0 when absent.  Borrowed. */
const unsigned char *p11_uri_id(const struct p11_uri *uri, size_t *len);
/* [added] module-path (resolved against base_dir) / module-name, or NULL. */
const char *p11_uri_module_path(const struct p11_uri *uri);
const char *p11_uri_module_name(const struct p11_uri *uri);
/* True when every token attribute of `token_uri` (a `tokens` entry) is also
 * in `uri` with the same value: that entry's module and PIN apply to `uri`. */
int p11_uri_token_matches(const struct p11_uri *token_uri, const struct p11_uri *uri);

/*
 * Appends n bytes of s to b as an RFC 7512 attribute value: unreserved
 * characters (letters, digits, "-._~") as they are, every other byte as %XX;
 * with every_byte, every byte as %XX (a CKA_ID: "id=%5E%01").
 */
struct cr_buf;
void p11_uri_encode(struct cr_buf *b, const void *s, size_t n, int every_byte);

/* ---- context ------------------------------------------------------- */

/* *out is NULL on entry; p11_ctx_free it (accepts NULL). Loads nothing yet. */
int p11_ctx_new(struct p11_ctx **out, struct cr_err *err);
void p11_ctx_free(struct p11_ctx *ctx);

/*
 * Adds an entry of the configuration's `tokens` section: pkcs11: sources
 * whose token attributes match `uri` use `module` (path, or a p11-kit module
 * name; may be NULL) and `pin_source` ("file:PATH" or a path, already
 * resolved by the caller; may be NULL).  Strings are copied.
 */
int p11_ctx_add_token_conf(struct p11_ctx *ctx, const char *uri, const char *module,
    const char *pin_source, struct cr_err *err);

/* With force, login is attempted even on a token reporting its final PIN try,
 * or with a PIN source refused by an earlier run (p11_ctx_add_refusals). */
void p11_ctx_set_force_login(struct p11_ctx *ctx, int force);

/*
 * [added] PINs refused by earlier runs (SPEC 9: never log in with a wrong
 * PIN twice - a `run --resume` or `rollback` after a refused PIN must not
 * present it again).  A refusal is a digest (64 hex) of the token (label,
 * serial, manufacturer, model), the PIN source's path and that file's
 * identity and times (device, inode, size, mtime, ctime) when it was read:
 * no byte of the PIN, so it may be journaled.  A login whose digest is one
 * of the refusals given is refused without C_Login (P11_LOGIN_FAILED,
 * CR_R_PIN_INCORRECT: "PIN refused by token 'edge' in an earlier run, and
 * its source 'x' has not changed since: not tried again"); editing or
 * replacing the PIN source (or --force-login) allows one new attempt.
 *
 * p11_ctx_add_refusals takes a space-separated list (as p11_ctx_refusals
 * gives it; anything else in it is ignored); p11_ctx_refusals gives every
 * refusal known to ctx, given or made by a login of this process,
 * space-separated - a new string, or NULL when there is none.
 */
void p11_ctx_add_refusals(struct p11_ctx *ctx, const char *list);
char *p11_ctx_refusals(const struct p11_ctx *ctx);

/*
 * [added] With rw, every login of this ctx opens the slot's session
 * read-write first (as if p11_token_login were called with rw = 1).  A
 * command that may write (`run`, `rollback`) sets it before anything logs
 * in: libp11 0.4.12 fixes a slot's session mode with its first session, and
 * switching afterwards would log out and need a second C_Login.
 */
void p11_ctx_set_read_write(struct p11_ctx *ctx, int rw);

/*
 * [added] With lazy, certificate objects read from now on keep their DER
 * and are not parsed at load (OpenSSL 3.0's d2i_X509 costs about 100 us a
 * certificate, nearly all of it decoding the public key): p11_cert_x509
 * parses one on first use.  Then p11_token_certs / p11_find_certs also
 * list objects whose value does not parse (p11_cert_x509 returns NULL for
 * them).  `scan` sets it: it reads each certificate's DER (cert/lite.c).
 */
void p11_ctx_set_lazy_parse(struct p11_ctx *ctx, int lazy);

/* ---- tokens -------------------------------------------------------- */

/*
 * The tokens that `uri`'s token attributes match, searching the module of
 * module-path / module-name, else the module of a matching `tokens` entry,
 * else every module registered with p11-kit.  *out is set to a new array of
 * borrowed token pointers (free() the array only), in module then slot
 * order.  No token found: CR_EENV "no token matches 'URI' (modules
 * searched: 'M1', 'M2' (no slots))".  A module without any slot (OpenSC
 * with no reader) has no tokens; it is not a failed module.
 * [p11 layer] Details: library-* and slot-* attributes are matched too; only
 * initialised tokens are seen.  A module the URI or a matching `tokens`
 * entry names that cannot be loaded is CR_EENV naming the module.  The
 * "every module" case searches the modules of all `tokens` entries first,
 * then the registered ones; a module that fails to load there is skipped
 * (its message is appended to "no token matches"), and a token seen through
 * two modules (same serial, label, model, manufacturer) is listed once, from
 * the first.  A module spec without '/' is a p11-kit module name (or the
 * file name of a registered module).  Modules are identified by realpath:
 * one libp11 context per library.  A URI's pin-source is remembered on the
 * tokens it finds (the first one wins) as their PIN source for later logins.
 */
int p11_find_tokens(struct p11_ctx *ctx, const struct p11_uri *uri,
    struct p11_token ***out, size_t *n, struct cr_err *err);

const char *p11_token_label(const struct p11_token *tok);
const char *p11_token_serial(const struct p11_token *tok);
const char *p11_token_module(const struct p11_token *tok);	/* module path */
/* "pkcs11:token=LABEL;serial=SERIAL" (percent-encoded). Borrowed. */
const char *p11_token_uri(const struct p11_token *tok);

/* PIN state flags as the token reports them (CKF_USER_PIN_*). */
struct p11_pin_state {
	int count_low;
	int final_try;
	int locked;
};
/* Read now from the token (C_GetTokenInfo), not from a cache. */
int p11_token_pin_state(struct p11_token *tok, struct p11_pin_state *st, struct cr_err *err);
/* [added] The flags as they were right before the login attempt (all 0
 * before any): COUNT_LOW is worth reporting even after a good login, which
 * clears it on SoftHSM. */
void p11_token_login_pin_state(const struct p11_token *tok, struct p11_pin_state *st);

enum p11_login_result {
	P11_LOGIN_NOT_TRIED = 0,	/* no attempt yet */
	P11_LOGIN_OK,			/* logged in (or the token needs no login) */
	P11_LOGIN_NO_PIN,		/* no PIN source known: not attempted */
	P11_LOGIN_FAILED,		/* attempted once and refused: never again */
	P11_LOGIN_REFUSED,		/* not attempted: locked / final try / PIN unreadable */
};

/*
 * Logs in to the token as the user, at most once per ctx: the PIN comes from
 * `pin_source` (a path; NULL: the matching `tokens` entry's).  The PIN is
 * wiped right after C_Login.  Refuses without trying when the token reports
 * CKF_USER_PIN_LOCKED, or CKF_USER_PIN_FINAL_TRY unless forced.  A second
 * call returns the first call's outcome (status and message) without
 * touching the token.  With `rw`, the slot's session is opened read-write
 * before login (needed by p11_token_import_cert / destroy; read-only
 * otherwise).  CR_OK when logged in; CR_EENV otherwise, with a message that
 * says which: "PIN refused by token 'edge' (CKR_PIN_INCORRECT); not retried".
 * [p11 layer] PIN source order: `pin_source`, then the pin-source of the URI
 * that found the token, then the first matching `tokens` entry (an entry
 * that names a module applies to that module's tokens only).  No PIN source
 * at all (P11_LOGIN_NO_PIN) is not remembered: a later call with one may
 * try.  A token without CKF_LOGIN_REQUIRED is P11_LOGIN_OK without C_Login.
 * A failed or refused login of the same physical token through another
 * module of the ctx is this token's outcome too (no second wrong PIN).
 * Asking for rw after a read-only login is CR_EENV (see
 * p11_ctx_set_read_write).  Other messages: "token 'edge' is locked
 * (CKF_USER_PIN_LOCKED): PIN not tried", "... reports its final PIN try
 * (CKF_USER_PIN_FINAL_TRY): PIN not tried ...", "token 'edge' is locked
 * (CKR_PIN_LOCKED) ...", "token 'edge' is not present
 * (CKR_TOKEN_NOT_PRESENT)", "token 'edge' was removed (CKR_DEVICE_REMOVED)",
 * "login to token 'edge' failed: CKR_DEVICE_ERROR; not retried".
 */
int p11_token_login(struct p11_token *tok, const char *pin_source, int rw,
    struct cr_err *err);
enum p11_login_result p11_token_login_result(const struct p11_token *tok);

/* ---- objects -------------------------------------------------------- */

struct p11_cert_obj {
	struct p11_token *token;	/* borrowed */
	X509 *x509;			/* borrowed: owned by the ctx; NULL until parsed
					   (p11_ctx_set_lazy_parse): use p11_cert_x509 */
	unsigned char *der;		/* CKA_VALUE, owned by the ctx */
	size_t der_len;
	/* a cache of the layer above (cert/: the certificate read lite), freed
	 * with the object by aux_free (when set) */
	void *aux;
	void (*aux_free)(void *aux);
	char *label;			/* CKA_LABEL, may be NULL */
	unsigned char *id;		/* CKA_ID, may be NULL */
	size_t id_len;
	unsigned long handle;		/* layer-private: the PKCS#11 object handle */
};

struct p11_key_obj {
	struct p11_token *token;	/* borrowed */
	char *label;			/* CKA_LABEL, may be NULL */
	unsigned char *id;		/* CKA_ID, may be NULL */
	size_t id_len;
	int sensitive;			/* CKA_SENSITIVE: 1, 0, or -1 when unreadable */
	int extractable;		/* CKA_EXTRACTABLE: 1, 0, or -1 */
	void *priv;			/* layer-private (handle, type, fingerprint) */
};

/*
 * The object's certificate (borrowed: owned by the ctx), parsed from its
 * DER on first use; NULL when the value does not parse.  Not thread-safe:
 * the ctx's users are one thread.
 */
X509 *p11_cert_x509(const struct p11_cert_obj *o);

/*
 * The certificate objects of one token, enumerated once (no login needed)
 * and cached.  *objs is a borrowed array.
 * [p11 layer] X.509 certificate objects only (CKC_X_509); one whose
 * CKA_VALUE does not parse is left out.  After an import / destroy the next
 * call re-reads the token into a new array; the old one stays readable (but
 * stale) until p11_ctx_free.
 */
int p11_token_certs(struct p11_token *tok, struct p11_cert_obj **objs, size_t *n,
    struct cr_err *err);

/*
 * The private keys of one token (RSA and EC), enumerated once after login
 * and cached; CKA_SENSITIVE / CKA_EXTRACTABLE read through the raw function
 * list.
 * Logs in first (p11_token_login with the token's configured PIN source,
 * unless already done) - its failure is returned.
 */
int p11_token_keys(struct p11_token *tok, struct p11_key_obj **objs, size_t *n,
    struct cr_err *err);

/*
 * Certificate objects that `uri` names (type=cert or no type; object / id
 * attributes) on every token it matches.  *out is a new array of borrowed
 * pointers; free() the array.  None: *n == 0 and CR_OK (callers decide).
 */
int p11_find_certs(struct p11_ctx *ctx, const struct p11_uri *uri,
    struct p11_cert_obj ***out, size_t *n, struct cr_err *err);

/*
 * Private keys `uri` names (type=private or none), logging in as needed.
 * [p11 layer] A URI naming a CKA_ID or CKA_LABEL is answered by a search on
 * those attributes while the token's keys are not listed (a few times per
 * token; then, or for other URIs, the keys are listed once and indexed): a
 * key found that way is another object than the same key in the listing of
 * p11_token_keys / p11_key_for_cert (same attributes, both valid until
 * p11_ctx_free).
 */
int p11_find_keys(struct p11_ctx *ctx, const struct p11_uri *uri,
    struct p11_key_obj ***out, size_t *n, struct cr_err *err);

/*
 * The private key on `tok` belonging to `cert`: first by CKA_ID (when id is
 * given), else by public key.  *out borrowed, NULL when none (CR_OK).
 * Needs login (done as in p11_token_keys).
 * [p11 layer] Among several keys with that CKA_ID, the one whose public key
 * is the certificate's wins.  "By public key" compares RSA moduli / EC points
 * read from the key objects, or from public-key and certificate objects that
 * lead to a key by CKA_ID: an indexed lookup, built once per token.  A key
 * found by CKA_ID is not proven to be the certificate's: p11_key_test_sign.
 */
int p11_key_for_cert(struct p11_token *tok, X509 *cert, const unsigned char *id,
    size_t id_len, struct p11_key_obj **out, struct cr_err *err);

/*
 * Proves `key` is `cert`'s: compares public keys, then signs a random
 * message with the token key (SHA-256; RSA PKCS#1 v1.5, RSA-PSS when the
 * certificate's key is RSA-PSS, or ECDSA) and verifies it with the
 * certificate's public key.  CR_OK when it verifies; CR_EBLOCK "key 'x' does
 * not match the certificate's public key" / "signature ... does not verify";
 * CR_EENV when the token fails to sign ("cannot sign with key 'x' on token
 * 'edge': CKR_...", the reason from the CK_RV).
 * [p11 layer] C_SignInit + C_Sign on the key's handle in a session of its
 * own: about five calls, whatever the number of keys on the token.  `key`
 * must come from this layer (p11_token_keys, p11_find_keys,
 * p11_key_for_cert).
 */
int p11_key_test_sign(struct p11_key_obj *key, X509 *cert, struct cr_err *err);

/*
 * Signs `data` (len bytes) with the token key as an X.509 signature with
 * digest `md` is made (a certificate request's, renew): RSA PKCS#1 v1.5 over
 * the DigestInfo, or ECDSA as a DER ECDSA-Sig-Value.  *sig new (free()),
 * NULL on entry and on failure.  CR_EENV when the token fails ("cannot sign
 * with key 'x' on token 'edge': CKR_...", the reason from the CK_RV).  The
 * caller verifies the result with the public key it expects.
 * [p11 layer] C_SignInit + C_Sign on the key's handle, as p11_key_test_sign;
 * `key` must come from this layer.
 */
int p11_key_sign(struct p11_key_obj *key, const EVP_MD *md, const unsigned char *data,
    size_t len, unsigned char **sig, size_t *siglen, struct cr_err *err);

/* ---- writes (run) --------------------------------------------------- */

/*
 * Makes sure `tok` holds `cert` as a certificate object with CKA_ID `id`
 * (none when NULL or id_len 0) and CKA_LABEL `label` (none when NULL) -
 * idempotent, for `run` and its resume:
 *  - an object with that CKA_ID and CKA_LABEL holding this certificate is
 *    there already: CR_OK, *changed 0, nothing written;
 *  - an object with that CKA_ID and CKA_LABEL holds another certificate:
 *    CR_EBLOCK, CR_R_OBJECT_EXISTS ("token 'edge' already holds another
 *    certificate 'mail' (CKA_ID 20): not replaced"), nothing written;
 *  - else the object is created (CKA_CLASS certificate, CKA_CERTIFICATE_TYPE
 *    X.509, CKA_TOKEN, not CKA_PRIVATE, CKA_VALUE, CKA_SUBJECT, CKA_ISSUER,
 *    CKA_SERIAL_NUMBER, CKA_ID, CKA_LABEL): CR_OK, *changed 1.
 * The token must be logged in read-write (p11_ctx_set_read_write, or
 * p11_token_login with rw): else CR_EENV, CR_R_LOGIN, nothing written.
 * Failures of the token: CR_EENV with the reason of its CK_RV
 * (CR_R_TOKEN_ABSENT for a token not present or removed).  Objects with the
 * same certificate under another CKA_ID or CKA_LABEL are not looked at.  A
 * write drops the token's certificate listing: arrays from p11_token_certs /
 * p11_find_certs stay readable but stale until p11_ctx_free; the next call
 * reads the token again.  cert, label and id are borrowed; *changed is set
 * (0 on any failure).
 */
int p11_token_import_cert(struct p11_token *tok, X509 *cert, const char *label,
    const unsigned char *id, size_t id_len, int *changed, struct cr_err *err);

/*
 * Destroys every certificate object of `tok` holding `cert` (same DER) -
 * narrowed to those with CKA_ID `id` when id is not NULL, and CKA_LABEL
 * `label` when label is not NULL - idempotent: none there (already gone) is
 * CR_OK with *changed 0; objects with that CKA_ID / CKA_LABEL holding another
 * certificate are never touched.  *changed is 1 when something was destroyed.
 * Needs a read-write login and reports failures as p11_token_import_cert;
 * drops the listing the same way.
 */
int p11_token_destroy_cert(struct p11_token *tok, X509 *cert, const char *label,
    const unsigned char *id, size_t id_len, int *changed, struct cr_err *err);

/* ---- key generation (renew) ------------------------------------------ */

enum p11_keygen_alg { P11_KEYGEN_RSA = 0, P11_KEYGEN_EC };

/* What to generate: the key type and the names both keys of the pair get. */
struct p11_keygen {
	enum p11_keygen_alg alg;
	unsigned long bits;		/* RSA: modulus bits (2048, 3072, 4096) */
	int curve_nid;			/* EC: OpenSSL's NID of the curve (NID_X9_62_prime256v1,
					   NID_secp384r1); CKA_EC_PARAMS is its DER OID */
	const unsigned char *id;	/* CKA_ID of both keys: not empty */
	size_t id_len;
	const char *label;		/* CKA_LABEL of both keys: not empty */
};

/* A generated private key's attributes, read back from the token: 1 true,
 * 0 false, -1 not readable. */
struct p11_key_flags {
	int token, private_, sensitive, extractable, always_sensitive, never_extractable, local;
	int sign, decrypt, unwrap, derive;
};

/* A key pair generated by p11_token_generate_key.  p11_newkey_free it. */
struct p11_newkey {
	struct p11_token *token;	/* borrowed */
	struct p11_key_obj *key;	/* the private key, as p11_find_keys finds it (borrowed:
					   valid until p11_ctx_free) */
	EVP_PKEY *pub;			/* the public key as the token's new public-key object
					   holds it (owned) */
	struct p11_key_flags flags;	/* the private key's, read back */
	unsigned long priv_handle, pub_handle;	/* layer-private */
};

/*
 * Generates a key pair on `tok` for `renew` (C_GenerateKeyPair with an
 * explicit template, RSA public exponent 65537): the private key CKA_TOKEN,
 * CKA_PRIVATE, CKA_SENSITIVE, not CKA_EXTRACTABLE, CKA_SIGN and nothing else
 * (no decrypt, unwrap, derive, sign-recover); the public key on the token
 * beside it (CKA_VERIFY only), both with spec's CKA_ID and CKA_LABEL.
 * Refused without changing the token:
 *  - not logged in read-write (p11_ctx_set_read_write before the login):
 *    CR_EENV, CR_R_LOGIN;
 *  - an object of any class with that CKA_ID or that CKA_LABEL on the token:
 *    CR_EBLOCK, CR_R_OBJECT_EXISTS ("token 'edge' already holds a private key
 *    with CKA_ID 20 ('mail-2026'): not generated");
 *  - a mechanism or size the token says it cannot generate
 *    (C_GetMechanismInfo): CR_EENV, CR_R_TOKEN.
 * After generating, the private key's attributes are read back: a token that
 * did not keep it private, sensitive, unextractable and sign-only gets the
 * pair destroyed again and CR_EENV, CR_R_TOKEN.  Failures of the token: CR_EENV
 * with the reason of its CK_RV.  On success *out is a new p11_newkey (NULL on
 * entry and on failure), its key signing with p11_key_sign.  What the
 * context knew of the token's keys is forgotten and looked up again on next
 * use (keys handed out before stay valid until p11_ctx_free).  spec and its
 * strings are borrowed for the call only.
 */
int p11_token_generate_key(struct p11_token *tok, const struct p11_keygen *spec,
    struct p11_newkey **out, struct cr_err *err);

/*
 * Destroys the two objects p11_token_generate_key created (by their handles:
 * nothing else), for a renew that could not finish.  CR_OK when both are
 * gone; a failure as p11_token_generate_key's.  nk stays to be freed.
 */
int p11_newkey_discard(struct p11_newkey *nk, struct cr_err *err);
void p11_newkey_free(struct p11_newkey *nk);	/* memory only; accepts NULL */


/* 1 when an error with this reason means the module or token (or logging
 * in to it) could not be used: CR_R_MODULE, CR_R_TOKEN_ABSENT, the PIN
 * reasons, CR_R_LOGIN, CR_R_TOKEN. */
int p11_reason_is_token(enum cr_reason r);

#endif
