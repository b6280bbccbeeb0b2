/*
 * layout.h - what a certificate file holds, in what order: the leaf, its
 * chain, a private key (SPEC 6 file.layout).  The plan reads it for every
 * file a `file` ref names, so that the new material is written in the same
 * layout (SPEC 7.2); file.content compares the file after its rebind.
 *
 * The file is untrusted: only a regular file is read (a FIFO or device is
 * refused without blocking), at most 1 MiB, and the bytes - which may hold
 * a private key - are wiped after parsing.
 */
#ifndef CRT_LAYOUT_H
#define CRT_LAYOUT_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../common/err.h"

/* The shape of a file: what run writes back in the same shape. */
enum crt_shape {
	CRT_SHAPE_NONE = 0,		/* neither certificate nor key */
	CRT_SHAPE_LEAF,			/* one certificate */
	CRT_SHAPE_LEAF_KEY,		/* one certificate and a key */
	CRT_SHAPE_CHAIN,		/* leaf + chain */
	CRT_SHAPE_CHAIN_KEY,		/* leaf + chain + key (haproxy's combined PEM) */
	CRT_SHAPE_KEY,			/* a key and no certificate (a key_path file) */
};
/* "leaf", "leaf + key", "leaf + chain", "leaf + chain + key", "key", "nothing" */
const char *crt_shape_name(enum crt_shape s);
/* Whether a file of that shape holds a private key. */
int crt_shape_has_key(enum crt_shape s);

struct crt_layout {
	STACK_OF(X509) *certs;	/* in file order (owned); never NULL after a read */
	int ncerts;
	int nkeys;		/* private key blocks */
	EVP_PKEY *key;		/* the first one, when not encrypted (owned), else NULL */
	int key_encrypted;	/* the first key is encrypted: it cannot be compared */
	int key_first;		/* the first key block comes before the first certificate */
	int der;		/* the file is one DER certificate, not PEM */
	int missing;		/* the file does not exist (after a failed read) */
};

/*
 * Reads `path` into *l (zeroed here; crt_layout_release it either way).
 * CR_EINPUT naming the path when it cannot be read, is not a regular file,
 * is too large, or a PEM certificate block does not parse (l->missing set
 * when it does not exist).  A file holding no certificate is CR_OK with
 * ncerts 0.
 */
int crt_layout_read(const char *path, struct crt_layout *l, struct cr_err *err);
/* The same from memory (`what` names it in messages; *l zeroed here). */
int crt_layout_parse(const unsigned char *buf, size_t len, const char *what, struct crt_layout *l,
    struct cr_err *err);
void crt_layout_release(struct crt_layout *l);
/* Frees the key of l (keeping nkeys, key_first, ...): once it has been compared. */
void crt_layout_drop_key(struct crt_layout *l);

enum crt_shape crt_layout_shape(const struct crt_layout *l);

/*
 * The order of l's blocks as people read it: "leaf, chain", "key, leaf,
 * chain", "leaf, key", "chain, leaf" (a chain before the leaf: the leaf is
 * the certificate that issued none of the others, crt_layout_leaf), "DER
 * leaf".  Static.
 */
const char *crt_layout_order(const struct crt_layout *l);

/*
 * Whether the certificates are in order - each issued by the next (the
 * leaf first, its issuer after it): 1, or 0 with *why a new message
 * naming the first pair that is not ("certificate 2 'CN=..' is not issued
 * by certificate 3 'CN=..'"), or, when the leaf is not first, saying so
 * ("the first certificate 'CN=..' is a CA that issued certificate 2: the
 * leaf 'CN=..' (certificate 2) must come first").
 */
int crt_layout_ordered(const struct crt_layout *l, char **why);

/*
 * The order crt_layout_compose writes a shape in: "leaf", "leaf, chain",
 * "key, leaf, chain" (key_first), "leaf, chain, key", "key".  Static.
 */
const char *crt_shape_order(enum crt_shape s, int key_first);

/*
 * The index in l->certs of the leaf: the one certificate that issued none
 * of the others (a chain written root first still has one), or -1 when
 * there is no certificate or no single such one.
 */
int crt_layout_leaf(const struct crt_layout *l);

/*
 * The new material in the layout of `like`, as PEM (DER when `like` is one
 * DER certificate and only a leaf is asked for): the leaf first, then the
 * chain when `like` holds one, the key where `like` holds its key (before
 * the certificates or after them) when it holds one - a chain-first file
 * is written leaf first.  `chain` may be NULL (none); `key` is needed when
 * `like` holds a key (else CR_EINPUT, CR_R_NOT_FOUND: "the new key is not a
 * file": a key on a token cannot be written into a file).  *out is a new
 * buffer of *len bytes (it may hold a private key: wipe it, OPENSSL_cleanse,
 * before free()).  This is what `run` writes with cr_fs_install.
 */
int crt_layout_compose(const struct crt_layout *like, X509 *leaf, STACK_OF(X509) *chain,
    EVP_PKEY *key, unsigned char **out, size_t *len, struct cr_err *err);

#endif
