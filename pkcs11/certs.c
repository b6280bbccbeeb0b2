/*
 * certs.c - the certificate objects of a token: one raw search, no login,
 * each object's value, label and id in one attribute read, indexed by
 * CKA_ID and CKA_LABEL (objects.c); and the certificates a URI names.
 *
 * Raw rather than PKCS11_enumerate_certs: the object handles are known (for
 * removal), and libp11 0.4.12's array keeps destroyed objects and moves under
 * its callers.  A write drops the cache; the old array goes to the token's
 * graveyard so that pointers handed out stay readable until p11_ctx_free.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "../common/util.h"
#include "p11-int.h"

/* Room for most certificates' DER in the first attribute read: larger ones
 * cost one more call to learn their size. */
#define CERT_VALUE_GUESS 4096

static void
certs_free(struct p11_cert_obj *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		X509_free(v[i].x509);
		free(v[i].label);
		free(v[i].id);
	}
	free(v);
}

struct certs_acc {
	struct p11_token *tok;
	struct p11_cert_obj *v;
	size_t n, cap;
};

static int
cert_one(void *arg, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *a, struct cr_err *err)
{
	struct certs_acc *acc = arg;
	const unsigned char *p = a[0].pValue;
	struct p11_cert_obj *c;
	X509 *x = NULL;

	(void)err;
	if (p != NULL)
		x = d2i_X509(NULL, &p, (long)a[0].ulValueLen);
	ERR_clear_error();
	if (x == NULL)
		return CR_OK;	/* not DER we can parse: nothing this tool can say about it */
	cr_grow(&acc->v, &acc->cap, acc->n + 1, sizeof(*acc->v));
	c = &acc->v[acc->n++];
	memset(c, 0, sizeof(*c));
	c->token = acc->tok;
	c->x509 = x;
	c->label = a[1].pValue;
	c->id = a[2].pValue;
	c->id_len = a[2].pValue ? a[2].ulValueLen : 0;
	c->handle = h;
	a[1].pValue = a[2].pValue = NULL;	/* taken */
	return CR_OK;
}

static int
certs_load(struct p11_token *tok, struct cr_err *err)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ctype = CKC_X_509;
	CK_ATTRIBUTE filter[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_CERTIFICATE_TYPE, &ctype, sizeof(ctype) },
	};
	const CK_ATTRIBUTE want[] = {
		{ CKA_VALUE, NULL, CERT_VALUE_GUESS },
		{ CKA_LABEL, NULL, 0 },
		{ CKA_ID, NULL, 0 },
	};
	struct certs_acc acc = { tok, NULL, 0, 0 };
	size_t i;
	int r;

	r = p11__objects_read(tok, filter, 2, want, 3, "certificates", "a certificate", cert_one,
	    &acc, err);
	if (r != CR_OK) {
		certs_free(acc.v, acc.n);
		return r;
	}
	tok->certs = acc.v != NULL ? acc.v : cr_xcalloc(1, sizeof(*tok->certs));
	tok->ncerts = acc.n;
	p11__idx_init(&tok->certidx, acc.n);
	for (i = 0; i < acc.n; i++)
		p11__idx_set(&tok->certidx, i, &tok->certs[i], tok->certs[i].id,
		    tok->certs[i].id_len, tok->certs[i].label);
	p11__idx_sort(&tok->certidx);
	tok->certs_loaded = 1;
	return CR_OK;
}

int
p11__certs_ensure(struct p11_token *tok, struct cr_err *err)
{
	return tok->certs_loaded ? CR_OK : certs_load(tok, err);
}

int
p11_token_certs(struct p11_token *tok, struct p11_cert_obj **objs, size_t *n,
    struct cr_err *err)
{
	int r;

	*objs = NULL;
	*n = 0;
	if ((r = p11__certs_ensure(tok, err)) != CR_OK)
		return r;
	*objs = tok->certs;
	*n = tok->ncerts;
	return CR_OK;
}

void
p11__certs_invalidate(struct p11_token *tok)
{
	struct p11_grave *g;

	if (tok->certs_loaded) {
		/* old pointers stay readable (stale) until p11_ctx_free */
		g = cr_xcalloc(1, sizeof(*g));
		g->certs = tok->certs;
		g->n = tok->ncerts;
		g->next = tok->graves;
		tok->graves = g;
	}
	tok->certs = NULL;
	tok->ncerts = 0;
	p11__idx_release(&tok->certidx);
	tok->certs_loaded = 0;
	/* certificates are one source of the fingerprint index: it sees the
	 * generation change and rebuilds */
	tok->certs_gen++;
}

int
p11_find_certs(struct p11_ctx *ctx, const struct p11_uri *uri,
    struct p11_cert_obj ***out, size_t *n, struct cr_err *err)
{
	struct p11_token **toks = NULL;
	struct p11_ptrs res = { NULL, 0, 0 };
	size_t ntoks = 0, i;
	int r;

	*out = NULL;
	*n = 0;
	if (uri->has_type && uri->type != P11_TYPE_CERT)
		return CR_OK;
	if ((r = p11_find_tokens(ctx, uri, &toks, &ntoks, err)) != CR_OK)
		return r;
	for (i = 0; i < ntoks; i++) {
		if ((r = p11__certs_ensure(toks[i], err)) != CR_OK)
			goto out;
		p11__idx_select(&toks[i]->certidx, uri->has_id, uri->id, uri->id_len,
		    uri->has_object, uri->object, &res);
	}
	*out = (struct p11_cert_obj **)res.v;
	*n = res.n;
	res.v = NULL;
	r = CR_OK;
out:
	free(res.v);
	free(toks);
	return r;
}

void
p11__certs_release(struct p11_token *tok)
{
	p11__certs_invalidate(tok);
	while (tok->graves != NULL) {
		struct p11_grave *g = tok->graves;

		tok->graves = g->next;
		certs_free(g->certs, g->n);
		free(g);
	}
}
