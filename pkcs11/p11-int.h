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
 *   - libp11 for what it does well: loading, slots, login, private keys as
 *     EVP_PKEY (the test signature), storing certificates;
 *   - the raw function list (the very table libp11 uses: same dlopen handle)
 *     for what libp11 lacks or gets wrong in 0.4.12: token flags read fresh,
 *     object enumeration with handles (one search per token and class, never
 *     one per reference), CKA_SENSITIVE / CKA_EXTRACTABLE, object removal.
 *   Raw work runs on a session of its own, opened and closed around each
 *   operation: libp11 0.4.12's PKCS11_open_session calls C_CloseAllSessions,
 *   so a raw session must never be held across a libp11 call.  Login state is
 *   shared by every session of the process, so a raw session opened after
 *   login sees private objects.
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
	CK_FUNCTION_LIST *fl;	/* raw function list; never C_Finalize'd by us */
	CK_INFO info;
	struct p11_token **tokens;
	size_t ntokens;
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

struct p11_keyfp {
	int has;
	unsigned char fp[P11_FP_LEN];
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
	struct p11_cert_obj *certs;
	size_t ncerts;
	struct p11_cert_obj **cert_by_id, **cert_by_label;

	/* private keys: libp11 after login + raw attributes, indexed */
	int keys_loaded;
	struct p11_key_obj *keys;
	size_t nkeys;
	struct p11_key_obj **key_by_id, **key_by_label;
	struct p11_keyfp *keyfp;	/* parallel to keys: from the key objects */
	struct p11_fp *fps;	/* keyfp + public keys + certificates, sorted */
	size_t nfps;
	int fps_loaded;

	struct p11_grave *graves;
};

struct p11_ctx {
	struct p11_token_conf *conf;
	size_t nconf, confcap;
	int force_login;
	int rw;
	int reg_loaded;
	struct p11_regmod *reg;
	size_t nreg;
	struct p11_module **mods;
	size_t nmods, modcap;
};

/* ---- uri.c ---- */
/* Does the URI's token, slot and module (library) part match this token? */
int p11__uri_matches_token(const struct p11_uri *uri, const struct p11_token *tok);
/* Strips "file:" / "file://" from a pin-source; NULL when another scheme. */
char *p11__pin_source_path(const char *text, const char *base_dir);
/* Percent-encodes a URI attribute value into b. */
void p11__uri_encode(struct cr_buf *b, const char *s, size_t n);

/* ---- ckr.c ---- */
const char *p11__ckr_name(CK_RV rv);		/* "CKR_PIN_INCORRECT" or NULL */
/* "CKR_X" or "CKR 0x..." into buf; returns buf. */
const char *p11__ckr_str(CK_RV rv, char *buf, size_t len);
/* The CK_RV of the most recent libp11 error on OpenSSL's queue (0: none);
 * clears the queue. */
CK_RV p11__ckr_from_queue(void);

/* ---- ctx.c ---- */
/* The module a spec names (path, p11-kit name), loaded on first use; a
 * failure is remembered and returned again. */
int p11__module_get(struct p11_ctx *ctx, const char *spec, struct p11_module **out,
    struct cr_err *err);
/* The pin_source of the first `tokens` entry that matches the token (and,
 * when the entry names a module, whose module is the token's), or NULL. */
const char *p11__token_conf_pin_source(struct p11_token *tok);
/* Same physical token (serial, label, model, manufacturer), maybe through
 * another module. */
int p11__same_token(const struct p11_token *a, const struct p11_token *b);
/* Opens / closes a raw session of our own on the token's slot. */
CK_RV p11__raw_open(struct p11_token *tok, int rw, CK_SESSION_HANDLE *s);
void p11__raw_close(struct p11_token *tok, CK_SESSION_HANDLE s);

/* ---- raw.c ---- */
/* Reads attributes of one object: for each template entry with pValue NULL,
 * allocates the value, NUL-terminated (free() them; unavailable ones stay
 * NULL with ulValueLen CK_UNAVAILABLE_INFORMATION). */
CK_RV p11__raw_attrs(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE *t, CK_ULONG n);
/* All objects matching a template, in one search: *out new (free()). */
CK_RV p11__raw_find(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n,
    CK_OBJECT_HANDLE **out, size_t *count);
/* "cannot WHAT on token 'x': CKR_..." (absent / removed tokens said so). */
int p11__raw_error(struct p11_token *tok, const char *what, CK_RV rv, struct cr_err *err);
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

/* ---- certs.c ---- */
int p11__certs_ensure(struct p11_token *tok, struct cr_err *err);
/* Drops the certificate cache (into the graveyard) after a write. */
void p11__token_invalidate_certs(struct p11_token *tok);
/* Frees the certificates, current and buried. */
void p11__certs_release(struct p11_token *tok);

/* ---- keys.c ---- */
void p11__token_free_objects(struct p11_token *tok);
struct p11_key_obj *p11__key_first_by_id(struct p11_token *tok, const unsigned char *id,
    size_t len);
/* "'mail-2026'" or "with CKA_ID 20" for messages, into buf (sign.c). */
const char *p11__key_name(const struct p11_key_obj *k, char *buf, size_t len);

/* ---- keyindex.c ---- */
void p11__fp_rsa(const unsigned char *mod, size_t n, unsigned char fp[P11_FP_LEN]);
void p11__fp_ec(const unsigned char *p, size_t n, unsigned char fp[P11_FP_LEN]);
/* The fingerprint of a public key (RSA modulus / EC point); 0 when none. */
int p11__fp_pkey(EVP_PKEY *pk, unsigned char fp[P11_FP_LEN]);
/* The private key whose public key has this fingerprint (builds the index
 * on first use); *out NULL when none. */
int p11__fps_find(struct p11_token *tok, const unsigned char fp[P11_FP_LEN],
    struct p11_key_obj **out, struct cr_err *err);
/* Forgets the index (certificates changed). */
void p11__fps_drop(struct p11_token *tok);

#endif
