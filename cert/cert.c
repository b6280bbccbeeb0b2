/*
 * cert.c - the crt_cert wrapper and lists of them.
 */
#include "cert.h"
#include "lite.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/crypto.h>

#include "../common/util.h"

struct crt_cert *
crt_cert_new(X509 *x509, STACK_OF(X509) *chain, const char *source)
{
	struct crt_cert *c = cr_xcalloc(1, sizeof(*c));
	unsigned int len = 0;

	c->x509 = x509;
	/* an empty chain is the same as none: callers test chain != NULL */
	if (chain != NULL && sk_X509_num(chain) == 0) {
		sk_X509_free(chain);
		chain = NULL;
	}
	c->chain = chain;
	c->source = cr_xstrdup(source ? source : "");
	/* X509_digest hashes the DER: the Windows thumbprint is exactly this */
	if (!X509_digest(x509, EVP_sha1(), c->sha1, &len) ||
	    !X509_digest(x509, EVP_sha256(), c->sha256, &len)) {
		/* only on memory exhaustion inside OpenSSL */
		abort();
	}
	return c;
}

struct crt_cert *
crt_cert_of_lite(struct crt_lite *l, const char *source)
{
	struct crt_cert *c = cr_xcalloc(1, sizeof(*c));

	c->lite = crt_lite_ref(l);
	c->source = cr_xstrdup(source ? source : "");
	if (!crt_lite_digests(l, c->sha1, c->sha256))
		abort();	/* only on memory exhaustion inside OpenSSL */
	return c;
}

struct crt_cert *
crt_cert_new_lite(const unsigned char *der, size_t len, const char *source)
{
	struct crt_lite *l = crt_lite_parse(der, len);
	struct crt_cert *c;

	if (l == NULL)
		return NULL;
	c = crt_cert_of_lite(l, source);
	crt_lite_free(l);
	return c;
}

struct crt_cert *
crt_cert_copy(const struct crt_cert *c, const char *source)
{
	struct crt_cert *n;

	if (c->x509 != NULL) {
		X509_up_ref(c->x509);
		return crt_cert_new(c->x509, NULL, source);
	}
	n = cr_xcalloc(1, sizeof(*n));
	n->lite = crt_lite_ref(c->lite);
	n->source = cr_xstrdup(source ? source : "");
	memcpy(n->sha1, c->sha1, sizeof(n->sha1));
	memcpy(n->sha256, c->sha256, sizeof(n->sha256));
	return n;
}

const X509_NAME *
crt_cert_subject_name(const struct crt_cert *c)
{
	struct crt_parts p;

	if (c->x509 != NULL)
		return X509_get_subject_name(c->x509);
	crt_lite_parts(c->lite, &p);
	return p.subject;
}

const X509_NAME *
crt_cert_issuer_name(const struct crt_cert *c)
{
	struct crt_parts p;

	if (c->x509 != NULL)
		return X509_get_issuer_name(c->x509);
	crt_lite_parts(c->lite, &p);
	return p.issuer;
}

static void
token_ref_free(struct crt_token_ref *t)
{
	if (t == NULL)
		return;
	free(t->token_label);
	free(t->token_uri);
	free(t->object);
	free(t->id);
	free(t->key_note);
	free(t);
}

void
crt_cert_free(struct crt_cert *c)
{
	if (c == NULL)
		return;
	X509_free(c->x509);
	crt_lite_free(c->lite);
	if (c->chain != NULL)
		sk_X509_pop_free(c->chain, X509_free);
	free(c->source);
	token_ref_free(c->token);
	free(c);
}

void
crt_list_push(struct crt_list *l, struct crt_cert *c)
{
	cr_grow(&l->v, &l->cap, l->n + 1, sizeof(l->v[0]));
	l->v[l->n++] = c;
}

void
crt_list_release(struct crt_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		crt_cert_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
