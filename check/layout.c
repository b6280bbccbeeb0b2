/*
 * layout.c - what a certificate file holds (layout.h).  PEM blocks are
 * read one by one so that the order of certificates and keys is seen; a
 * file without PEM blocks may be one DER certificate.
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
#include "../cert/dn.h"

#define LAYOUT_MAX (1 << 20)

const char *
chk_shape_name(enum chk_shape s)
{
	switch (s) {
	case CHK_SHAPE_NONE: return "no certificate";
	case CHK_SHAPE_LEAF: return "leaf";
	case CHK_SHAPE_LEAF_KEY: return "leaf + key";
	case CHK_SHAPE_CHAIN: return "leaf + chain";
	case CHK_SHAPE_CHAIN_KEY: return "leaf + chain + key";
	}
	return "?";
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
add_block(struct chk_layout *l, const char *path, const char *name, const char *header,
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
	if (strcmp(name, PEM_STRING_PKCS8) == 0 || strstr(header, "ENCRYPTED") != NULL)
		l->key_encrypted = 1;
	else
		l->key = d2i_AutoPrivateKey(NULL, &p, len);
	return CR_OK;
}

int
chk_layout_read(const char *path, struct chk_layout *l, struct cr_err *err)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	int r, blocks = 0;

	memset(l, 0, sizeof(*l));
	l->certs = sk_X509_new_null();
	/* untrusted: a FIFO or device is refused without blocking */
	if ((r = cr_fs_read_regular(path, NULL, 0, LAYOUT_MAX, &buf, &len, err)) != CR_OK) {
		l->missing = err->reason == CR_R_NOT_FOUND;
		return r;
	}
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
	OPENSSL_cleanse(buf, len);
	free(buf);
	return r;
}

void
chk_layout_release(struct chk_layout *l)
{
	sk_X509_pop_free(l->certs, X509_free);
	EVP_PKEY_free(l->key);
	memset(l, 0, sizeof(*l));
}

enum chk_shape
chk_layout_shape(const struct chk_layout *l)
{
	if (l->ncerts == 0)
		return CHK_SHAPE_NONE;
	if (l->ncerts == 1)
		return l->nkeys > 0 ? CHK_SHAPE_LEAF_KEY : CHK_SHAPE_LEAF;
	return l->nkeys > 0 ? CHK_SHAPE_CHAIN_KEY : CHK_SHAPE_CHAIN;
}

int
chk_layout_ordered(const struct chk_layout *l, char **why)
{
	int i;

	*why = NULL;
	for (i = 0; i + 1 < l->ncerts; i++) {
		X509 *a = sk_X509_value(l->certs, i), *b = sk_X509_value(l->certs, i + 1);
		char *an, *bn;

		if (X509_check_issued(b, a) == X509_V_OK)
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
