/*
 * p11.h - tokens: the p11-kit module registry, RFC 7512 URIs, libp11
 * sessions, login, certificate and key objects.
 *
 * This layer knows nothing of plans or certificates' roles; it answers
 * "which tokens and objects does this URI name", "log in once", "is this
 * key the certificate's and does it sign", and (for `run`) "store / remove
 * a certificate object".
 *
 * Everything hangs off one struct p11_ctx: modules are loaded on first use
 * (libp11 PKCS11_CTX per module path), each token's objects are enumerated
 * once and indexed in memory (SoftHSM's object search is linear, so one
 * search per reference would be quadratic), and each token's login outcome
 * is remembered so that a token is logged in to at most once per process
 * and a refused PIN is never tried again.
 *
 * Handles returned by the ctx (tokens, objects) are borrowed: they live
 * until p11_ctx_free, except objects of a token that a write (store/remove)
 * invalidates - see those functions.
 *
 * Statuses (common/err.h): CR_EINPUT for malformed URIs and refused
 * attributes (pin-value); CR_EENV for modules that cannot be loaded, tokens
 * absent, PIN sources unreadable, PINs refused, tokens locked or at their
 * final PIN try, and PKCS#11 failures; CR_EBLOCK for "this key does not
 * belong to / sign for this certificate".
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
 */
int p11_uri_parse(const char *text, const char *base_dir, struct p11_uri **out,
    struct cr_err *err);
void p11_uri_free(struct p11_uri *uri);

const char *p11_uri_text(const struct p11_uri *uri);	/* as given */
enum p11_objtype p11_uri_type(const struct p11_uri *uri);
/* True when the URI names only a token (no object, id or type). */
int p11_uri_is_token_only(const struct p11_uri *uri);
/* The pin-source path (file: stripped, resolved), or NULL. Borrowed. */
const char *p11_uri_pin_source(const struct p11_uri *uri);
/* True when every token attribute of `token_uri` (a `tokens` entry) is also
 * in `uri` with the same value: that entry's module and PIN apply to `uri`. */
int p11_uri_token_matches(const struct p11_uri *token_uri, const struct p11_uri *uri);

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

/* With force, login is attempted even on a token reporting its final PIN try. */
void p11_ctx_set_force_login(struct p11_ctx *ctx, int force);

/* ---- tokens -------------------------------------------------------- */

/*
 * The tokens that `uri`'s token attributes match, searching the module of
 * module-path / module-name, else the module of a matching `tokens` entry,
 * else every module registered with p11-kit.  *out is set to a new array of
 * borrowed token pointers (free() the array only), in module then slot
 * order.  No token found: CR_EENV "no token matches 'URI'".
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
int p11_token_pin_state(struct p11_token *tok, struct p11_pin_state *st, struct cr_err *err);

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
 * before login (needed by p11_token_store_cert / remove; read-only
 * otherwise).  CR_OK when logged in; CR_EENV otherwise, with a message that
 * says which: "PIN refused by token 'edge' (CKR_PIN_INCORRECT); not retried".
 */
int p11_token_login(struct p11_token *tok, const char *pin_source, int rw,
    struct cr_err *err);
enum p11_login_result p11_token_login_result(const struct p11_token *tok);

/* ---- objects -------------------------------------------------------- */

struct p11_cert_obj {
	struct p11_token *token;	/* borrowed */
	X509 *x509;			/* borrowed: owned by the ctx */
	char *label;			/* CKA_LABEL, may be NULL */
	unsigned char *id;		/* CKA_ID, may be NULL */
	size_t id_len;
};

struct p11_key_obj {
	struct p11_token *token;	/* borrowed */
	char *label;			/* CKA_LABEL, may be NULL */
	unsigned char *id;		/* CKA_ID, may be NULL */
	size_t id_len;
	int sensitive;			/* CKA_SENSITIVE: 1, 0, or -1 when unreadable */
	int extractable;		/* CKA_EXTRACTABLE: 1, 0, or -1 */
	void *priv;			/* layer-private (libp11 key) */
};

/*
 * The certificate objects of one token, enumerated once (no login needed)
 * and cached.  *objs is a borrowed array.
 */
int p11_token_certs(struct p11_token *tok, struct p11_cert_obj **objs, size_t *n,
    struct cr_err *err);

/*
 * The private keys of one token, enumerated once after login and cached;
 * CKA_SENSITIVE / CKA_EXTRACTABLE read through the raw function list.
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

/* Private keys `uri` names (type=private or none), logging in as needed. */
int p11_find_keys(struct p11_ctx *ctx, const struct p11_uri *uri,
    struct p11_key_obj ***out, size_t *n, struct cr_err *err);

/*
 * The private key on `tok` belonging to `cert`: first by CKA_ID (when id is
 * given), else by public key.  *out borrowed, NULL when none (CR_OK).
 * Needs login (done as in p11_token_keys).
 */
int p11_key_for_cert(struct p11_token *tok, X509 *cert, const unsigned char *id,
    size_t id_len, struct p11_key_obj **out, struct cr_err *err);

/*
 * Proves `key` is `cert`'s: compares public keys, then signs a random
 * message with the token key (SHA-256; RSA PKCS#1 v1.5 or ECDSA) and
 * verifies it with the certificate's public key.  CR_OK when it verifies;
 * CR_EBLOCK "key 'x' does not match the certificate's public key" /
 * "signature ... does not verify"; CR_EENV when the token fails to sign.
 */
int p11_key_test_sign(struct p11_key_obj *key, X509 *cert, struct cr_err *err);

/* ---- writes (run) --------------------------------------------------- */

/*
 * Creates a certificate object (CKA_CLASS certificate, CKA_ID id, CKA_LABEL
 * label) on `tok`, which must be logged in read-write.  Invalidates the
 * token's cached object array (re-read with p11_token_certs).
 */
int p11_token_store_cert(struct p11_token *tok, X509 *cert, const char *label,
    const unsigned char *id, size_t id_len, struct cr_err *err);

/* Destroys the certificate object; invalidates the token's cached array. */
int p11_token_remove_cert(struct p11_token *tok, const struct p11_cert_obj *obj,
    struct cr_err *err);

#endif
