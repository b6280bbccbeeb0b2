/*
 * p11-int.h - what the files of pkcs11/ share and nobody else sees.
 *
 * Object model:
 *   struct p11_ctx      registry snapshot, `tokens` entries, loaded modules
 *   struct p11_module   one libp11 PKCS11_CTX per module file (keyed by its
 *                       realpath, so two spellings of one path share it) and
 *                       the raw CK_FUNCTION_LIST of the same loaded library
 *   struct p11_token    one initialised token in a slot of a module: raw token
 *                       info, login memo, cached and indexed objects
 *
 * Two ways into a module, on purpose:
 *   - libp11 for what it does well: loading, slots, login;
 *   - the raw function list (the very table libp11 initialised, see
 *     module.c) for what libp11 lacks or gets wrong in 0.4.12: token flags
 *     read fresh, object enumeration with handles (one search per token and
 *     class, never one per reference; an object's attributes in one call),
 *     CKA_SENSITIVE / CKA_EXTRACTABLE, the test signature (C_Sign on the
 *     key's handle: libp11's EVP_PKEY would need PKCS11_enumerate_keys,
 *     about seven calls a key), creating and destroying objects.
 *   Raw work runs on a session of its own, opened and closed around each
 *   operation: libp11 0.4.12's PKCS11_open_session calls C_CloseAllSessions,
 *   so a raw session must never be held across a libp11 call.  Login state is
 *   shared by every session of the function list's application, so a raw
 *   session opened after login sees private objects - which is why it must be
 *   libp11's very list: p11-kit's client and proxy modules hand every
 *   C_GetFunctionList caller a list of its own (for the client, its own
 *   connection to the server, whose login is not libp11's).
 *
 * Files, lowest first (each calls only those before it; `make cycles`):
 *   ckr.c      CK_RV names, their reasons, the one message of a failed call
 *   raw.c      raw sessions, object search, attributes in one call
 *   uri.c      RFC 7512 URIs
 *   fp.c       public-key fingerprints
 *   module.c   p11-kit's registry, modules (libp11 + the raw list), tokens
 *   token.c    which tokens a URI names, token info and PIN state
 *   login.c    logging in exactly once
 *   objects.c  the object index (CKA_ID, CKA_LABEL), listing a class
 *   certs.c    certificate objects        keys.c   private keys
 *   keyindex.c fingerprint index: the private key of a certificate
 *   sign.c     signatures on the token    write.c  import / destroy
 *   keygen.c   key pairs generated on the token (renew)
 *   ctx.c      the context: creates and frees all of the above
 */
#ifndef P11_INT_H
#define P11_INT_H

#include <stddef.h>
#include <libp11.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include "../common/util.h"
#include "p11.h"

struct p11_uri {
	char *text;		/* as given */
	P11KitUri *kit;
	enum p11_objtype type;
	int has_object, has_id, has_type;
	char *object;		/* CKA_LABEL wanted, NULL when absent */
	unsigned char *id;	/* CKA_ID wanted (has_id), may be empty */
	size_t id_len;
	char *pin_source;	/* resolved path, or NULL */
	char *module_path;	/* resolved path, or NULL */
	char *module_name;	/* p11-kit module name, or NULL */
	char *warning;		/* vendor query attributes ignored, for people, or NULL */
};

struct p11_token_conf {
	struct p11_uri *uri;
	char *module;		/* path or p11-kit name as configured, or NULL */
	char *pin_source;	/* path ("file:" stripped), or NULL */
};

struct p11_regmod {		/* a module registered with p11-kit */
	char *name;
	char *path;
};

struct p11_module {
	struct p11_ctx *ctx;
	char *key;		/* realpath: identity of the module */
	char *display;		/* as first named, for messages */
	int state;		/* 0 loading, 1 usable, -1 failed */
	int lloaded;		/* PKCS11_CTX_load succeeded: unload it */
	struct cr_err fail;	/* why it failed (state -1) */
	void *dl;		/* our dlopen reference to the library */
	PKCS11_CTX *lctx;
	PKCS11_SLOT *slots;
	unsigned int nslots;
	/* the raw function list: libp11's own when we can reach it, else ours
	   (see module.c); C_Finalize'd only when fl_init says we initialised it */
	CK_FUNCTION_LIST *fl;
	int fl_init;
	CK_INFO info;
	struct p11_token **tokens;
	size_t ntokens;
};

/*
 * One index over the objects of one kind on a token (certificates, private
 * keys): sorted by CKA_ID and by CKA_LABEL, looked up by binary search.
 * Entries point into the owner's array; ties keep the token's listing order.
 */
struct p11_idx_ent {
	const unsigned char *id;	/* borrowed from the object, may be NULL */
	size_t id_len;
	const char *label;		/* borrowed, may be NULL */
	void *obj;			/* the indexed object */
	size_t order;			/* position in the token's listing */
};

struct p11_objidx {
	struct p11_idx_ent *ents;	/* listing order */
	struct p11_idx_ent **by_id, **by_label;
	size_t n;
};

/*
 * Public-key fingerprint -> key, for "the private key of this certificate"
 * when CKA_IDs do not pair them.  The key material is an RSA modulus or an
 * EC point, from the private key object itself (RSA) or from a public-key or
 * certificate object whose CKA_ID then leads to the private key.
 */
#define P11_FP_LEN 33
struct p11_fp {
	unsigned char fp[P11_FP_LEN];	/* type tag + SHA-256 of the key material */
	int rank;			/* 0 key object, 1 public key, 2 certificate */
	struct p11_key_obj *key;	/* direct (rank 0), or NULL: look up by id */
	unsigned char *id;		/* owned */
	size_t id_len;
};

/*
 * What the layer knows of a private key beyond struct p11_key_obj (whose
 * priv points here): its handle and type for signing on the token (sign.c),
 * and its public key's fingerprint when the key object carries the material.
 */
struct p11_keyinfo {
	CK_OBJECT_HANDLE handle;
	CK_KEY_TYPE type;	/* CKK_RSA or CKK_EC */
	int has;		/* fp is set */
	unsigned char fp[P11_FP_LEN];
};

/* Keys found by a search on the CKA_ID / CKA_LABEL a key URI names, before
 * (or instead of) listing all of the token's keys; kept until p11_ctx_free.
 * Also what p11__keys_forget buries: a listing and searches made stale. */
struct p11_keyset {
	struct p11_key_obj *keys;
	struct p11_keyinfo *info;	/* parallel to keys */
	size_t n;
	struct p11_keyset *next;
};

/* Arrays replaced by a re-enumeration, kept alive until p11_ctx_free. */
struct p11_grave {
	struct p11_cert_obj *certs;
	size_t n;
	struct p11_grave *next;
};

struct p11_token {
	struct p11_module *mod;
	PKCS11_SLOT *slot;
	CK_SLOT_ID slot_id;
	CK_SLOT_INFO slot_info;
	CK_TOKEN_INFO info;	/* as read when slots were enumerated */
	char *label, *serial, *manufacturer, *model;	/* trimmed */
	char *uri;

	/* PIN source remembered from the first URI with a pin-source that found
	 * this token (else the matching `tokens` entry's is used) */
	char *pin_source;

	/* login memo: the first attempt decides */
	enum p11_login_result login;
	struct cr_err login_err;
	struct p11_pin_state login_flags;
	int rw;

	/* certificates: one raw search, indexed by id and label */
	int certs_loaded;
	unsigned certs_gen;	/* bumped by every invalidation (writes) */
	struct p11_cert_obj *certs;
	size_t ncerts;
	struct p11_objidx certidx;

	/* private keys: one raw search after login, indexed; before that, a
	   few searches by the CKA_ID / CKA_LABEL of key URIs (nsearches of
	   them, their keys in `found`) */
	int keys_loaded;
	struct p11_key_obj *keys;
	size_t nkeys;
	struct p11_objidx keyidx;
	struct p11_keyinfo *keyinfo;	/* parallel to keys */
	unsigned nsearches;
	struct p11_keyset *found;
	unsigned keys_gen;		/* bumped by p11__keys_forget (key pairs made, destroyed) */
	struct p11_keyset *keys_buried;	/* what p11__keys_forget set aside */

	/* fingerprints: keyinfo + public keys + certificates, sorted; built from
	 * the certificates of generation fps_gen and the keys of fps_keys_gen */
	struct p11_fp *fps;
	size_t nfps;
	int fps_loaded;
	unsigned fps_gen, fps_keys_gen;

	struct p11_grave *graves;
};

struct p11_ctx {
	struct p11_token_conf *conf;
	size_t nconf, confcap;
	int force_login;
	int rw;
	int lazy_parse;			/* p11_ctx_set_lazy_parse */
	int reg_loaded;
	struct p11_regmod *reg;
	size_t nreg;
	struct p11_module **mods;
	size_t nmods, modcap;
	/* the spec p11__module_get last answered with a usable module: a
	 * configuration of 20,000 refs names one module 20,000 times, and
	 * realpath() costs a readlink per path component */
	char *last_spec;
	struct p11_module *last_mod;
	/* PIN refusals (login.c: p11_ctx_add_refusals): 64-hex digests */
	char **refused;
	size_t nrefused, refusedcap;
};

/*
 * Internal functions, by file, lowest layer first: a file calls only the
 * files above it in this list (tests/callgraph.sh checks that calls between
 * the files of pkcs11/ form no cycle).
 */

/* ---- ckr.c: CK_RV names, reasons and messages ---- */
const char *p11__ckr_name(CK_RV rv);		/* "CKR_PIN_INCORRECT" or NULL */
/* "CKR_X" or "CKR 0x..." into buf; returns buf. */
const char *p11__ckr_str(CK_RV rv, char *buf, size_t len);
/* The reason a failed call with this CK_RV means (CR_R_TOKEN when none finer). */
enum cr_reason p11__ckr_reason(CK_RV rv);
/* The CK_RV of the most recent libp11 error on OpenSSL's queue (0: none);
 * clears the queue. */
CK_RV p11__ckr_from_queue(void);
/*
 * The one message of a failed PKCS#11 call (CR_EENV, reason from the CK_RV):
 * "PREFIX: CKR_X", with the prefix formatted from fmt ("cannot list
 * certificates on token 'edge'"); a few CK_RVs are said in words ("PREFIX:
 * it is write-protected (CKR_TOKEN_WRITE_PROTECTED)"); rv 0 (libp11 gave
 * none) is "PREFIX: libp11 failed".  An absent or removed token replaces the
 * whole message: "token 'LABEL' is not present (CKR_TOKEN_NOT_PRESENT)",
 * "token 'LABEL' was removed (CKR_DEVICE_REMOVED)" (label NULL: the prefix
 * form is kept).  Returns CR_EENV.
 */
int p11__rv_fail(struct cr_err *err, CK_RV rv, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- raw.c: raw calls on a session of our own ---- */
/* Opens / closes a raw session of our own on the token's slot. */
CK_RV p11__raw_open(struct p11_token *tok, int rw, CK_SESSION_HANDLE *s);
void p11__raw_close(struct p11_token *tok, CK_SESSION_HANDLE s);
/*
 * Reads attributes of one object in one C_GetAttributeValue when the values
 * fit: for each template entry with pValue NULL, a buffer of ulValueLen bytes
 * (0: 256) is allocated up front and the value is NUL-terminated (free()
 * them); only values that did not fit cost a second call (their lengths) and
 * a third (their values).  Unavailable ones come back NULL with ulValueLen
 * CK_UNAVAILABLE_INFORMATION.  At most 16 entries.
 * An entry whose ulValueLen is P11_ATMOST(n) gets a buffer of n bytes and
 * never a second call: a value longer than n comes back NULL as an absent
 * one does - for values that may be absent and have a known largest size.
 */
#define P11_ATMOST_BIT ((CK_ULONG)1 << (sizeof(CK_ULONG) * 8 - 1))
#define P11_ATMOST(n) ((CK_ULONG)(n) | P11_ATMOST_BIT)
CK_RV p11__raw_attrs(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE *t, CK_ULONG n);
/* All objects matching a template, in one search: *out new (free()). */
CK_RV p11__raw_find(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n,
    CK_OBJECT_HANDLE **out, size_t *count);
/* Byte-string order used by every index (length, then bytes). */
int p11__bytes_cmp(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen);
#define p11__id_eq(a, alen, b, blen) (p11__bytes_cmp((a), (alen), (b), (blen)) == 0)
/* A growing array of borrowed pointers (results of p11_find_*). */
struct p11_ptrs {
	void **v;
	size_t n, cap;
};
void p11__ptrs_add(struct p11_ptrs *p, void *x);
int p11__ptr_cmp(const void *a, const void *b);	/* qsort: by address */

/* ---- uri.c ---- */
/* Does the URI's token, slot and module (library) part match this token? */
int p11__uri_matches_token(const struct p11_uri *uri, const struct p11_token *tok);
/* Strips "file:" / "file://" from a pin-source; NULL when another scheme. */
char *p11__pin_source_path(const char *text, const char *base_dir);

/* ---- fp.c: public-key fingerprints (no token) ---- */
void p11__fp_rsa(const unsigned char *mod, size_t n, unsigned char fp[P11_FP_LEN]);
void p11__fp_ec(const unsigned char *p, size_t n, unsigned char fp[P11_FP_LEN]);
/* A CKA_EC_POINT's point: the DER OCTET STRING around it unwrapped (PKCS#11
 * 2.40) when the DER reading is exact; else left as the bare point. */
void p11__ec_point_unwrap(const unsigned char **p, size_t *n);
/* The fingerprint of a public key (RSA modulus / EC point); 0 when none. */
int p11__fp_pkey(EVP_PKEY *pk, unsigned char fp[P11_FP_LEN]);

/* ---- module.c: p11-kit's registry, modules and their tokens ---- */
void p11__registry_load(struct p11_ctx *ctx);
/* The path a module spec (path, p11-kit name, file name of a registered
 * module) names, or NULL.  New string. */
char *p11__resolve_spec(struct p11_ctx *ctx, const char *spec);
/* The module a spec names, loaded on first use; a failure is remembered and
 * returned again. */
int p11__module_get(struct p11_ctx *ctx, const char *spec, struct p11_module **out,
    struct cr_err *err);
/* Frees the module, its tokens and what they hold of their own (not their
 * objects: see ctx.c); finalises what we initialised ourselves. */
void p11__module_free(struct p11_module *m);

/* ---- token.c ---- */
/* The pin_source of the first `tokens` entry that matches the token (and,
 * when the entry names a module, whose module is the token's), or NULL. */
const char *p11__token_conf_pin_source(struct p11_token *tok);
/* Same physical token (serial, label, model, manufacturer), maybe through
 * another module. */
int p11__same_token(const struct p11_token *a, const struct p11_token *b);
/* C_GetTokenInfo now, its failure in words. */
int p11__token_info(struct p11_token *tok, CK_TOKEN_INFO *info, struct cr_err *err);
/* The CKF_USER_PIN_* flags of a CK_TOKEN_INFO. */
void p11__pin_state_from(CK_FLAGS f, struct p11_pin_state *st);

/* ---- login.c: p11_token_login (p11.h) ---- */
/* CR_OK when tok is logged in with a read-write session (a write may go
 * ahead); else CR_EENV, CR_R_LOGIN: "cannot DOING token 'edge': not logged in
 * with a read-write session" (doing: "write to", "generate a key on"). */
int p11__need_rw(const struct p11_token *tok, const char *doing, struct cr_err *err);

/* ---- objects.c: the object index, and listing objects of a class ---- */
/* An index of n entries, filled with p11__idx_set, then p11__idx_sort. */
void p11__idx_init(struct p11_objidx *ix, size_t n);
void p11__idx_set(struct p11_objidx *ix, size_t i, void *obj, const unsigned char *id,
    size_t id_len, const char *label);
void p11__idx_sort(struct p11_objidx *ix);
void p11__idx_release(struct p11_objidx *ix);
/* The entries of ix->by_id with this CKA_ID are [*lo, *hi). */
void p11__idx_id_range(const struct p11_objidx *ix, const unsigned char *id, size_t len,
    size_t *lo, size_t *hi);
/*
 * Appends to out the objects with this CKA_ID (when has_id) and this
 * CKA_LABEL (when has_label; NULL and "" are one), every object when
 * neither, in listing order.
 */
void p11__idx_select(const struct p11_objidx *ix, int has_id, const unsigned char *id,
    size_t id_len, int has_label, const char *label, struct p11_ptrs *out);
/*
 * Lists the objects of tok matching `filter` (one search, in a read-only
 * session of our own) and reads `want` (n <= 16 attributes, as
 * p11__raw_attrs) of each, calling fn(arg, handle, attrs, err).  The
 * allocated values are freed after fn returns unless fn took them (set
 * pValue NULL).  fn returns CR_OK, or a status that stops the listing (err
 * filled by fn).  Messages name the objects: what "certificates", one "a
 * certificate" ("cannot list certificates on token 'edge': CKR_...").
 */
typedef int (*p11_obj_fn)(void *arg, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *a, struct cr_err *err);
int p11__objects_read(struct p11_token *tok, CK_ATTRIBUTE *filter, CK_ULONG nfilter,
    const CK_ATTRIBUTE *want, CK_ULONG n, const char *what, const char *one, p11_obj_fn fn,
    void *arg, struct cr_err *err);

/* ---- certs.c ---- */
int p11__certs_ensure(struct p11_token *tok, struct cr_err *err);
/* Drops the certificate cache (into the graveyard) after a write. */
void p11__certs_invalidate(struct p11_token *tok);
/* Frees the certificates, current and buried. */
void p11__certs_release(struct p11_token *tok);

/* ---- keys.c ---- */
/* Logs in (pin_source as p11_token_login) and enumerates the keys, once. */
int p11__keys_ensure(struct p11_token *tok, const char *pin_source, struct cr_err *err);
/*
 * Appends to res the private keys with this CKA_ID (has_id) and this
 * CKA_LABEL (label not NULL), in the token's order: a search on them while
 * the token's keys are not listed (a few per token), else the listing (made
 * once).  Logged in already.
 */
int p11__keys_select(struct p11_token *tok, int has_id, const unsigned char *id, size_t id_len,
    const char *label, struct p11_ptrs *res, struct cr_err *err);
/*
 * After a key pair was generated or destroyed (keygen.c): forgets what is
 * known of the token's keys - the listing, its index and the searches' keys
 * - so that the next question lists or searches again, and bumps keys_gen
 * (the fingerprint index is rebuilt).  Nothing is freed before
 * p11_ctx_free: keys handed out before stay readable, and sign while their
 * object exists (a destroyed one fails at C_SignInit).
 */
void p11__keys_forget(struct p11_token *tok);
void p11__keys_release(struct p11_token *tok);
/* The layer's own facts about a key of this layer (never NULL). */
#define p11__key_info(k) ((struct p11_keyinfo *)(k)->priv)

/* ---- keyindex.c: the fingerprint index, p11_key_for_cert (p11.h) ---- */
/* Forgets the index. */
void p11__fps_drop(struct p11_token *tok);

/* ---- sign.c, write.c, keygen.c: p11.h only ---- */

/* ---- ctx.c: p11_ctx_* (p11.h): creates and frees everything above ---- */

#endif
