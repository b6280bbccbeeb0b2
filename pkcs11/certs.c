/*
 * certs.c - the certificate objects of a token: one raw search, no login,
 * indexed by CKA_ID and CKA_LABEL; and the certificates a URI names.
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

static int
cert_id_cmp(const void *a, const void *b)
{
	const struct p11_cert_obj *x = *(struct p11_cert_obj *const *)a;
	const struct p11_cert_obj *y = *(struct p11_cert_obj *const *)b;
	int c = p11__bytes_cmp(x->id, x->id_len, y->id, y->id_len);

	return c ? c : (x < y ? -1 : x > y);
}

static int
cert_label_cmp(const void *a, const void *b)
{
	const struct p11_cert_obj *x = *(struct p11_cert_obj *const *)a;
	const struct p11_cert_obj *y = *(struct p11_cert_obj *const *)b;
	int c = cr_strcmp0(x->label, y->label);

	return c ? c : (x < y ? -1 : x > y);
}

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

static int
certs_load(struct p11_token *tok, struct cr_err *err)
{
	CK_FUNCTION_LIST *fl = tok->mod->fl;
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ctype = CKC_X_509;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_CERTIFICATE_TYPE, &ctype, sizeof(ctype) },
	};
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE *h = NULL;
	struct p11_cert_obj *v = NULL;
	size_t n = 0, i, count = 0;
	CK_RV rv;
	int r = CR_EENV;

	if ((rv = p11__raw_open(tok, 0, &s)) != CKR_OK)
		return p11__raw_error(tok, "open a session", rv, err);
	if ((rv = p11__raw_find(fl, s, tmpl, 2, &h, &n)) != CKR_OK) {
		p11__raw_error(tok, "list certificates", rv, err);
		goto out;
	}
	v = cr_xcalloc(n ? n : 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		CK_ATTRIBUTE a[] = {
			{ CKA_VALUE, NULL, 0 },
			{ CKA_LABEL, NULL, 0 },
			{ CKA_ID, NULL, 0 },
		};
		const unsigned char *p;
		X509 *x = NULL;

		if ((rv = p11__raw_attrs(fl, s, h[i], a, 3)) != CKR_OK) {
			p11__raw_error(tok, "read a certificate", rv, err);
			goto out;
		}
		p = a[0].pValue;
		if (p != NULL)
			x = d2i_X509(NULL, &p, (long)a[0].ulValueLen);
		ERR_clear_error();
		if (x == NULL) {
			/* not DER we can parse: nothing this tool can say about it */
			free(a[0].pValue);
			free(a[1].pValue);
			free(a[2].pValue);
			continue;
		}
		free(a[0].pValue);
		v[count].token = tok;
		v[count].x509 = x;
		v[count].label = a[1].pValue;
		v[count].id = a[2].pValue;
		v[count].id_len = a[2].pValue ? a[2].ulValueLen : 0;
		v[count].handle = h[i];
		count++;
	}
	tok->certs = v;
	tok->ncerts = count;
	v = NULL;
	tok->cert_by_id = cr_xcalloc(count ? count : 1, sizeof(*tok->cert_by_id));
	tok->cert_by_label = cr_xcalloc(count ? count : 1, sizeof(*tok->cert_by_label));
	for (i = 0; i < count; i++)
		tok->cert_by_id[i] = tok->cert_by_label[i] = &tok->certs[i];
	qsort(tok->cert_by_id, count, sizeof(*tok->cert_by_id), cert_id_cmp);
	qsort(tok->cert_by_label, count, sizeof(*tok->cert_by_label), cert_label_cmp);
	tok->certs_loaded = 1;
	r = CR_OK;
out:
	if (v != NULL)
		certs_free(v, count);
	free(h);
	p11__raw_close(tok, s);
	return r;
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
p11__token_invalidate_certs(struct p11_token *tok)
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
	free(tok->cert_by_id);
	free(tok->cert_by_label);
	tok->cert_by_id = tok->cert_by_label = NULL;
	tok->certs_loaded = 0;
	/* certificates are one source of the public-key index */
	p11__fps_drop(tok);
}

/*
 * The first index in a sorted pointer array whose element is >= the
 * wanted (id) / (label): lower bound by binary search.
 */
static size_t
lb_cert_id(struct p11_cert_obj **v, size_t n, const unsigned char *id, size_t len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p11__bytes_cmp(v[mid]->id, v[mid]->id_len, id, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t
lb_cert_label(struct p11_cert_obj **v, size_t n, const char *label)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cr_strcmp0(v[mid]->label, label) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Appends the certificates of tok that uri's object / id attributes name,
 * in the token's order. */
static void
select_certs(struct p11_token *tok, const struct p11_uri *uri, struct p11_ptrs *out)
{
	size_t i, start = out->n;

	if (uri->has_id) {
		for (i = lb_cert_id(tok->cert_by_id, tok->ncerts, uri->id, uri->id_len);
		    i < tok->ncerts && p11__id_eq(tok->cert_by_id[i]->id, tok->cert_by_id[i]->id_len,
		    uri->id, uri->id_len); i++)
			if (!uri->has_object || cr_strcmp0(tok->cert_by_id[i]->label, uri->object) == 0)
				p11__ptrs_add(out, tok->cert_by_id[i]);
	} else if (uri->has_object) {
		for (i = lb_cert_label(tok->cert_by_label, tok->ncerts, uri->object);
		    i < tok->ncerts && cr_strcmp0(tok->cert_by_label[i]->label, uri->object) == 0;
		    i++)
			p11__ptrs_add(out, tok->cert_by_label[i]);
	} else {
		for (i = 0; i < tok->ncerts; i++)
			p11__ptrs_add(out, &tok->certs[i]);
	}
	if (out->n > start)
		qsort(out->v + start, out->n - start, sizeof(*out->v), p11__ptr_cmp);
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
		select_certs(toks[i], uri, &res);
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
	p11__token_invalidate_certs(tok);
	while (tok->graves != NULL) {
		struct p11_grave *g = tok->graves;

		tok->graves = g->next;
		certs_free(g->certs, g->n);
		free(g);
	}
}
