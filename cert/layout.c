/*
 * layout.c - what a certificate file holds (layout.h).  PEM blocks are
 * read one by one so that the order of certificates and keys is seen; a
 * file without PEM blocks may be one DER certificate.  The new material is
 * written back in the same shape (crt_layout_compose).
 */
#include "layout.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "chain.h"
#include "dn.h"

#define LAYOUT_MAX (1 << 20)

const char *
crt_shape_name(enum crt_shape s)
{
	switch (s) {
	case CRT_SHAPE_NONE: return "nothing";
	case CRT_SHAPE_LEAF: return "leaf";
	case CRT_SHAPE_LEAF_KEY: return "leaf + key";
	case CRT_SHAPE_CHAIN: return "leaf + chain";
	case CRT_SHAPE_CHAIN_KEY: return "leaf + chain + key";
	case CRT_SHAPE_KEY: return "key";
	}
	return "?";
}

int
crt_shape_has_key(enum crt_shape s)
{
	return s == CRT_SHAPE_LEAF_KEY || s == CRT_SHAPE_CHAIN_KEY || s == CRT_SHAPE_KEY;
}

static int
is_cert_block(const char *name)
{
	return strcmp(name, PEM_STRING_X509) == 0 || strcmp(name, PEM_STRING_X509_OLD) == 0 ||
	    strcmp(name, PEM_STRING_X509_TRUSTED) == 0;
}

static int
is_key_block(const char *name)
{
	size_t n = strlen(name), k = strlen("PRIVATE KEY");

	return n >= k && strcmp(name + n - k, "PRIVATE KEY") == 0;
}

/* One PEM block into *l.  CR_EINPUT when a certificate block does not parse. */
static int
add_block(struct crt_layout *l, const char *path, const char *name, const char *header,
    const unsigned char *data, long len, struct cr_err *err)
{
	const unsigned char *p = data;

	if (is_cert_block(name)) {
		X509 *x = strcmp(name, PEM_STRING_X509_TRUSTED) == 0 ? d2i_X509_AUX(NULL, &p, len) :
		    d2i_X509(NULL, &p, len);

		if (x == NULL)
			return cr_err_set(err, CR_EINPUT, "cannot read '%s': certificate %d does not "
			    "parse", path, l->ncerts + 1);
		sk_X509_push(l->certs, x);
		l->ncerts++;
		return CR_OK;
	}
	if (!is_key_block(name))
		return CR_OK;	/* parameters, a CSR: not part of the layout */
	if (l->nkeys++ > 0)
		return CR_OK;
	l->key_first = l->ncerts == 0;
	if (strcmp(name, PEM_STRING_PKCS8) == 0 || strstr(header, "ENCRYPTED") != NULL)
		l->key_encrypted = 1;
	else
		l->key = d2i_AutoPrivateKey(NULL, &p, len);
	return CR_OK;
}

int
crt_layout_read(const char *path, struct crt_layout *l, struct cr_err *err)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int r;

	memset(l, 0, sizeof(*l));
	/* untrusted: a FIFO or device is refused without blocking */
	if ((r = cr_fs_read_regular(path, NULL, 0, LAYOUT_MAX, &buf, &len, err)) != CR_OK) {
		l->certs = sk_X509_new_null();
		l->missing = err->reason == CR_R_NOT_FOUND;
		return r;
	}
	r = crt_layout_parse(buf, len, path, l, err);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return r;
}

int
crt_layout_parse(const unsigned char *buf, size_t len, const char *path, struct crt_layout *l,
    struct cr_err *err)
{
	BIO *bio = NULL;
	int r, blocks = 0;

	memset(l, 0, sizeof(*l));
	l->certs = sk_X509_new_null();
	if (len > LAYOUT_MAX)
		return cr_err_setr(err, CR_EINPUT, CR_R_TOO_LARGE, "cannot read '%s': larger than "
		    "%d bytes", path, LAYOUT_MAX);
	bio = BIO_new_mem_buf(buf, (int)len);
	for (;;) {
		char *name = NULL, *header = NULL;
		unsigned char *data = NULL;
		long dlen = 0;

		if (PEM_read_bio(bio, &name, &header, &data, &dlen) != 1)
			break;
		blocks++;
		r = add_block(l, path, name, header, data, dlen, err);
		OPENSSL_cleanse(data, (size_t)dlen);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		if (r != CR_OK)
			goto out;
	}
	ERR_clear_error();
	if (blocks == 0) {
		const unsigned char *p = buf;
		X509 *x = d2i_X509(NULL, &p, (long)len);

		ERR_clear_error();
		if (x != NULL) {
			sk_X509_push(l->certs, x);
			l->ncerts = 1;
			l->der = 1;
		}
	}
	r = CR_OK;
out:
	BIO_free(bio);
	return r;
}

void
crt_layout_release(struct crt_layout *l)
{
	sk_X509_pop_free(l->certs, X509_free);
	EVP_PKEY_free(l->key);
	memset(l, 0, sizeof(*l));
}

void
crt_layout_drop_key(struct crt_layout *l)
{
	EVP_PKEY_free(l->key);
	l->key = NULL;
}

enum crt_shape
crt_layout_shape(const struct crt_layout *l)
{
	if (l->ncerts == 0)
		return l->nkeys > 0 ? CRT_SHAPE_KEY : CRT_SHAPE_NONE;
	if (l->ncerts == 1)
		return l->nkeys > 0 ? CRT_SHAPE_LEAF_KEY : CRT_SHAPE_LEAF;
	return l->nkeys > 0 ? CRT_SHAPE_CHAIN_KEY : CRT_SHAPE_CHAIN;
}

/* Whether certificate a issued certificate b (b's issuer is a's subject, a's key signed it). */
static int
issued(X509 *a, X509 *b)
{
	return X509_check_issued(a, b) == X509_V_OK;
}

int
crt_layout_leaf(const struct crt_layout *l)
{
	return crt_certs_leaf(l->certs);
}

const char *
crt_shape_order(enum crt_shape s, int key_first)
{
	switch (s) {
	case CRT_SHAPE_NONE: return "nothing";
	case CRT_SHAPE_LEAF: return "leaf";
	case CRT_SHAPE_LEAF_KEY: return key_first ? "key, leaf" : "leaf, key";
	case CRT_SHAPE_CHAIN: return "leaf, chain";
	case CRT_SHAPE_CHAIN_KEY: return key_first ? "key, leaf, chain" : "leaf, chain, key";
	case CRT_SHAPE_KEY: return "key";
	}
	return "?";
}

const char *
crt_layout_order(const struct crt_layout *l)
{
	if (l->der)
		return "DER leaf";
	if (crt_layout_leaf(l) > 0)
		return l->nkeys > 0 ? (l->key_first ? "key, chain, leaf" : "chain, leaf, key") :
		    "chain, leaf";
	return crt_shape_order(crt_layout_shape(l), l->key_first);
}

int
crt_layout_ordered(const struct crt_layout *l, char **why)
{
	int i, leaf = crt_layout_leaf(l);

	*why = NULL;
	if (leaf > 0) {
		char *fn = crt_dn_render(X509_get_subject_name(sk_X509_value(l->certs, 0)));
		char *ln = crt_dn_render(X509_get_subject_name(sk_X509_value(l->certs, leaf)));

		*why = cr_xasprintf("the first certificate '%s' is a CA certificate the file's chain "
		    "goes through, not the leaf: the leaf '%s' (certificate %d) must come first", fn, ln,
		    leaf + 1);
		free(fn);
		free(ln);
		return 0;
	}
	for (i = 0; i + 1 < l->ncerts; i++) {
		X509 *a = sk_X509_value(l->certs, i), *b = sk_X509_value(l->certs, i + 1);
		char *an, *bn;

		if (issued(b, a))
			continue;
		an = crt_dn_render(X509_get_subject_name(a));
		bn = crt_dn_render(X509_get_subject_name(b));
		*why = cr_xasprintf("certificate %d '%s' is not issued by certificate %d '%s'",
		    i + 1, an, i + 2, bn);
		free(an);
		free(bn);
		return 0;
	}
	return 1;
}

/* Appends x as PEM (or DER) to bio. */
static int
put_cert(BIO *bio, X509 *x, int der)
{
	return der ? i2d_X509_bio(bio, x) : PEM_write_bio_X509(bio, x);
}

int
crt_layout_compose(const struct crt_layout *like, X509 *leaf, STACK_OF(X509) *chain,
    EVP_PKEY *key, unsigned char **out, size_t *len, struct cr_err *err)
{
	enum crt_shape shape = crt_layout_shape(like);
	int with_chain = shape == CRT_SHAPE_CHAIN || shape == CRT_SHAPE_CHAIN_KEY;
	int with_key = crt_shape_has_key(shape), with_cert = shape != CRT_SHAPE_KEY;
	int der = like->der && !with_chain && !with_key, ok = 1, i;
	BIO *bio = NULL;
	BUF_MEM *mem = NULL;

	*out = NULL;
	*len = 0;
	if (with_key && key == NULL)
		return cr_err_setr(err, CR_EINPUT, CR_R_NOT_FOUND, "the file holds a private key, but "
		    "the new key is not a file: it cannot be written there");
	if (with_cert && leaf == NULL)
		return cr_err_set(err, CR_EINPUT, "no certificate to write");
	bio = BIO_new(BIO_s_secmem());
	if (bio == NULL)
		bio = BIO_new(BIO_s_mem());
	if (with_key && (like->key_first || !with_cert))
		ok = PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	if (ok && with_cert)
		ok = put_cert(bio, leaf, der);
	for (i = 0; ok && with_chain && chain != NULL && i < sk_X509_num(chain); i++)
		ok = put_cert(bio, sk_X509_value(chain, i), 0);
	if (ok && with_key && !like->key_first && with_cert)
		ok = PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	if (!ok) {
		BIO_free(bio);
		return cr_err_ssl(err, CR_EINPUT, "cannot write the new material");
	}
	BIO_get_mem_ptr(bio, &mem);
	*out = cr_xmalloc(mem->length + 1);
	memcpy(*out, mem->data, mem->length);
	(*out)[mem->length] = '\0';
	*len = mem->length;
	BIO_free(bio);
	return CR_OK;
}
