/*
 * layout.h - what a certificate file holds, in what order: the leaf, its
 * chain, a private key (SPEC 6 file.layout; what file.content compares
 * after a rebind writes the new material in the file's own layout).
 *
 * The file is untrusted: only a regular file is read (a FIFO or device is
 * refused without blocking), at most 1 MiB, and the bytes - which may hold
 * a private key - are wiped after parsing.
 */
#ifndef CHK_LAYOUT_H
#define CHK_LAYOUT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../common/err.h"

/* The shape of a file: what run writes back in the same shape. */
enum chk_shape {
	CHK_SHAPE_NONE = 0,		/* no certificate */
	CHK_SHAPE_LEAF,			/* one certificate */
	CHK_SHAPE_LEAF_KEY,		/* one certificate and a key */
	CHK_SHAPE_CHAIN,		/* leaf + chain */
	CHK_SHAPE_CHAIN_KEY,		/* leaf + chain + key */
};
/* "leaf", "leaf + key", "leaf + chain", "leaf + chain + key", "no certificate" */
const char *chk_shape_name(enum chk_shape s);

struct chk_layout {
	STACK_OF(X509) *certs;	/* in file order (owned); never NULL after a read */
	int ncerts;
	int nkeys;		/* private key blocks */
	EVP_PKEY *key;		/* the first one, when not encrypted (owned), else NULL */
	int key_encrypted;	/* the first key is encrypted: it cannot be compared */
	int der;		/* the file is one DER certificate, not PEM */
	int missing;		/* the file does not exist (after a failed read) */
};

/*
 * Reads `path` into *l (zeroed here; chk_layout_release it either way).
 * CR_EINPUT naming the path when it cannot be read, is not a regular file,
 * is too large, or a PEM certificate block does not parse (l->missing set
 * when it does not exist).  A file holding no certificate is CR_OK with
 * ncerts 0.
 */
int chk_layout_read(const char *path, struct chk_layout *l, struct cr_err *err);
void chk_layout_release(struct chk_layout *l);

enum chk_shape chk_layout_shape(const struct chk_layout *l);

/*
 * Whether the certificates are in order - each issued by the next (the
 * leaf first, its issuer after it): 1, or 0 with *why a new message
 * naming the first pair that is not ("certificate 2 'CN=..' is not issued
 * by certificate 3 'CN=..'").
 */
int chk_layout_ordered(const struct chk_layout *l, char **why);

#endif
