/*
 * lite.c - certificates read from their DER without an X509 (lite.h).
 *
 * The templates repeat OpenSSL's X509 and X509_CINF (crypto/x509/x_x509.c,
 * x_cinf.c) field for field, with the SubjectPublicKeyInfo read as its two
 * fields (X509_PUBKEY's internal form) instead of X509_PUBKEY, whose
 * decoding builds a decoder chain per certificate.  The TBS keeps its
 * received encoding, as X509_CINF does, so that i2d gives i2d_X509's bytes.
 */
#include "lite.h"
#include "dn.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "../common/util.h"

typedef struct {
	X509_ALGOR *algor;
	ASN1_BIT_STRING *public_key;
} CRT_LITE_SPKI;

ASN1_SEQUENCE(CRT_LITE_SPKI) = {
	ASN1_SIMPLE(CRT_LITE_SPKI, algor, X509_ALGOR),
	ASN1_SIMPLE(CRT_LITE_SPKI, public_key, ASN1_BIT_STRING)
} static_ASN1_SEQUENCE_END(CRT_LITE_SPKI)

typedef struct {
	ASN1_INTEGER *version;
	ASN1_INTEGER *serial;
	X509_ALGOR *signature;
	X509_NAME *issuer;
	X509_VAL *validity;
	X509_NAME *subject;
	CRT_LITE_SPKI *key;
	ASN1_BIT_STRING *issuer_uid;
	ASN1_BIT_STRING *subject_uid;
	STACK_OF(X509_EXTENSION) *extensions;
	ASN1_ENCODING enc;
} CRT_LITE_TBS;

ASN1_SEQUENCE_enc(CRT_LITE_TBS, enc, 0) = {
	ASN1_EXP_OPT(CRT_LITE_TBS, version, ASN1_INTEGER, 0),
	ASN1_SIMPLE(CRT_LITE_TBS, serial, ASN1_INTEGER),
	ASN1_SIMPLE(CRT_LITE_TBS, signature, X509_ALGOR),
	ASN1_SIMPLE(CRT_LITE_TBS, issuer, X509_NAME),
	ASN1_SIMPLE(CRT_LITE_TBS, validity, X509_VAL),
	ASN1_SIMPLE(CRT_LITE_TBS, subject, X509_NAME),
	ASN1_SIMPLE(CRT_LITE_TBS, key, CRT_LITE_SPKI),
	ASN1_IMP_OPT(CRT_LITE_TBS, issuer_uid, ASN1_BIT_STRING, 1),
	ASN1_IMP_OPT(CRT_LITE_TBS, subject_uid, ASN1_BIT_STRING, 2),
	ASN1_EXP_SEQUENCE_OF_OPT(CRT_LITE_TBS, extensions, X509_EXTENSION, 3)
} static_ASN1_SEQUENCE_END_ref(CRT_LITE_TBS, CRT_LITE_TBS)

typedef struct {
	CRT_LITE_TBS *tbs;
	X509_ALGOR *sig_alg;
	ASN1_BIT_STRING *signature;
} CRT_LITE_CERT;

ASN1_SEQUENCE(CRT_LITE_CERT) = {
	ASN1_SIMPLE(CRT_LITE_CERT, tbs, CRT_LITE_TBS),
	ASN1_SIMPLE(CRT_LITE_CERT, sig_alg, X509_ALGOR),
	ASN1_SIMPLE(CRT_LITE_CERT, signature, ASN1_BIT_STRING)
} static_ASN1_SEQUENCE_END(CRT_LITE_CERT)

struct crt_lite {
	CRT_LITE_CERT *c;
	unsigned refs;
	int digested;			/* sha1 and sha256 computed */
	unsigned char sha1[20], sha256[32];
	char *subject;			/* rendered on first use */
};

void
crt_parts_x509(const X509 *x, struct crt_parts *p)
{
	const X509_ALGOR *alg = NULL;

	X509_get0_signature(NULL, &alg, x);
	p->subject = X509_get_subject_name(x);
	p->issuer = X509_get_issuer_name(x);
	p->serial = X509_get0_serialNumber(x);
	p->not_before = X509_get0_notBefore(x);
	p->not_after = X509_get0_notAfter(x);
	p->exts = X509_get0_extensions(x);
	p->sigalg = alg;
}

struct crt_lite *
crt_lite_parse(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	struct crt_lite *l;
	CRT_LITE_CERT *c;

	if (len > LONG_MAX)
		return NULL;
	c = (CRT_LITE_CERT *)ASN1_item_d2i(NULL, &p, (long)len, ASN1_ITEM_rptr(CRT_LITE_CERT));
	if (c == NULL) {
		ERR_clear_error();
		return NULL;
	}
	l = cr_xcalloc(1, sizeof(*l));
	l->c = c;
	l->refs = 1;
	return l;
}

struct crt_lite *
crt_lite_ref(struct crt_lite *l)
{
	l->refs++;
	return l;
}

void
crt_lite_free(struct crt_lite *l)
{
	if (l == NULL || --l->refs > 0)
		return;
	ASN1_item_free((ASN1_VALUE *)l->c, ASN1_ITEM_rptr(CRT_LITE_CERT));
	free(l->subject);
	free(l);
}

void
crt_lite_free_void(void *l)
{
	crt_lite_free(l);
}

const char *
crt_lite_subject(const struct crt_lite *l)
{
	struct crt_lite *w = (struct crt_lite *)l;	/* the cache only */

	if (w->subject == NULL)
		w->subject = crt_dn_render(l->c->tbs->subject);
	return w->subject;
}

void
crt_lite_parts(const struct crt_lite *l, struct crt_parts *p)
{
	const CRT_LITE_TBS *t = l->c->tbs;

	p->subject = t->subject;
	p->issuer = t->issuer;
	p->serial = t->serial;
	p->not_before = t->validity->notBefore;
	p->not_after = t->validity->notAfter;
	p->exts = t->extensions;
	p->sigalg = l->c->sig_alg;
}

int
crt_lite_digests(const struct crt_lite *l, unsigned char sha1[20], unsigned char sha256[32])
{
	struct crt_lite *w = (struct crt_lite *)l;	/* the cache only */
	unsigned char *der = NULL;
	int len;

	if (!l->digested) {
		len = ASN1_item_i2d((ASN1_VALUE *)l->c, &der, ASN1_ITEM_rptr(CRT_LITE_CERT));
		w->digested = len > 0 &&
		    EVP_Digest(der, (size_t)len, w->sha1, NULL, EVP_sha1(), NULL) == 1 &&
		    EVP_Digest(der, (size_t)len, w->sha256, NULL, EVP_sha256(), NULL) == 1;
		OPENSSL_free(der);
		if (!l->digested)
			return 0;
	}
	memcpy(sha1, l->sha1, sizeof(l->sha1));
	memcpy(sha256, l->sha256, sizeof(l->sha256));
	return 1;
}

/*
 * One decoder context for every key, made with what X509_PUBKEY's decoding
 * asks for (DER, SubjectPublicKeyInfo, any key type, the default library
 * context): building it is the 80 us that d2i_X509 spends per certificate.
 * It writes each result to dec_key; the lock keeps both one caller's.
 */
static pthread_once_t dec_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t dec_lock = PTHREAD_MUTEX_INITIALIZER;
static OSSL_DECODER_CTX *dec;
static EVP_PKEY *dec_key;

static void
dec_free(void)
{
	OSSL_DECODER_CTX_free(dec);
	dec = NULL;
}

static void
dec_init(void)
{
	dec = OSSL_DECODER_CTX_new_for_pkey(&dec_key, "DER", "SubjectPublicKeyInfo", NULL,
	    EVP_PKEY_PUBLIC_KEY, NULL, NULL);
	if (dec != NULL)
		atexit(dec_free);
}

EVP_PKEY *
crt_lite_pubkey(const struct crt_lite *l)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *k = NULL;
	size_t left;
	int len;

	ERR_set_mark();
	/* what X509_PUBKEY's decoding hands the decoder: the SPKI re-encoded */
	len = ASN1_item_i2d((ASN1_VALUE *)l->c->tbs->key, &der, ASN1_ITEM_rptr(CRT_LITE_SPKI));
	pthread_once(&dec_once, dec_init);
	if (len > 0 && dec != NULL) {
		pthread_mutex_lock(&dec_lock);
		dec_key = NULL;
		p = der;
		left = (size_t)len;
		if (OSSL_DECODER_from_data(dec, &p, &left))
			k = dec_key;
		else
			EVP_PKEY_free(dec_key);
		dec_key = NULL;
		pthread_mutex_unlock(&dec_lock);
	}
	OPENSSL_free(der);
	ERR_pop_to_mark();
	return k;
}
