/*
 * chain.c - how a sequence of certificates hangs together (chain.h).
 */
#include "chain.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "dn.h"
#include "../common/util.h"

/* Whether certificate a issued certificate b (b's issuer is a's subject, and the key ids agree). */
static int
issued(X509 *a, X509 *b)
{
	return X509_check_issued(a, b) == X509_V_OK;
}

int
crt_certs_leaf(STACK_OF(X509) *certs)
{
	int n = certs != NULL ? sk_X509_num(certs) : 0, i, k, found = -1;

	for (i = 0; i < n; i++) {
		X509 *a = sk_X509_value(certs, i);
		int issuer = 0;

		for (k = 0; k < n && !issuer; k++)
			issuer = k != i && issued(a, sk_X509_value(certs, k));
		if (issuer)
			continue;
		if (found >= 0)
			return -1;
		found = i;
	}
	return found;
}

static char *
subject_of(X509 *x)
{
	return crt_dn_render(X509_get_subject_name(x));
}

struct crt_cert *
crt_cert_leaf_first(const struct crt_cert *c, char **why)
{
	STACK_OF(X509) *all = NULL, *chain = NULL;
	struct crt_cert *out = NULL;
	char *fn, *ln;
	int leaf, i;

	*why = NULL;
	if (c == NULL || c->token != NULL || c->chain == NULL || sk_X509_num(c->chain) == 0)
		return NULL;
	all = sk_X509_new_null();
	sk_X509_push(all, c->x509);
	for (i = 0; i < sk_X509_num(c->chain); i++)
		sk_X509_push(all, sk_X509_value(c->chain, i));
	leaf = crt_certs_leaf(all);
	if (leaf <= 0) {
		sk_X509_free(all);
		return NULL;
	}
	chain = sk_X509_new_null();
	for (i = 0; i < sk_X509_num(all); i++) {
		X509 *x = sk_X509_value(all, i);

		X509_up_ref(x);
		if (i != leaf)
			sk_X509_push(chain, x);
	}
	out = crt_cert_new(sk_X509_value(all, leaf), chain, c->source);
	fn = subject_of(c->x509);
	ln = subject_of(out->x509);
	*why = cr_xasprintf("'%s' holds its chain before its leaf: the first certificate '%s' is a "
	    "CA certificate: put the leaf '%s' (certificate %d) first", c->source, fn, ln, leaf + 1);
	free(fn);
	free(ln);
	sk_X509_free(all);
	return out;
}

X509_STORE *
crt_anchor_store(STACK_OF(X509) *anchors)
{
	X509_STORE *st = X509_STORE_new();
	int i;

	if (anchors == NULL || sk_X509_num(anchors) == 0)
		X509_STORE_set_default_paths(st);
	for (i = 0; anchors != NULL && i < sk_X509_num(anchors); i++)
		X509_STORE_add_cert(st, sk_X509_value(anchors, i));
	ERR_clear_error();
	return st;
}

/* The anchor of store that issued x, or NULL (a new reference). */
static X509 *
anchor_of(X509_STORE *store, X509 *x)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509 *issuer = NULL;

	if (ctx != NULL && X509_STORE_CTX_init(ctx, store, x, NULL) == 1 &&
	    X509_STORE_CTX_get1_issuer(&issuer, ctx, x) != 1)
		issuer = NULL;
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return issuer;
}

static int
self_signed(X509 *x)
{
	return X509_check_issued(x, x) == X509_V_OK;
}

void
crt_chain_judge(STACK_OF(X509) *certs, X509_STORE *store, const char *what,
    struct crt_chain_verdict *v)
{
	X509_STORE *own = NULL;
	X509 *last, *anchor = NULL;
	char *a = NULL, *b = NULL;
	int i;

	memset(v, 0, sizeof(*v));
	v->n = certs != NULL ? sk_X509_num(certs) : 0;
	if (v->n == 0) {
		v->problem = cr_xasprintf("no certificate %s", what);
		v->summary = cr_xstrdup("no certificate");
		return;
	}
	v->ordered = 1;
	for (i = 0; i + 1 < v->n && v->ordered; i++) {
		if (issued(sk_X509_value(certs, i + 1), sk_X509_value(certs, i)))
			continue;
		v->ordered = 0;
		a = subject_of(sk_X509_value(certs, i));
		b = subject_of(sk_X509_value(certs, i + 1));
		v->problem = cr_xasprintf("out of order: certificate %d '%s' is not issued by "
		    "certificate %d '%s'", i + 1, a, i + 2, b);
	}
	last = sk_X509_value(certs, v->n - 1);
	v->self_signed_last = self_signed(last);
	if (!v->self_signed_last) {
		if (store == NULL)
			store = own = crt_anchor_store(NULL);
		anchor = anchor_of(store, last);
		v->anchored = anchor != NULL;
	}
	v->complete = v->self_signed_last || v->anchored;
	if (!v->complete) {
		char *l = subject_of(last), *iss = crt_dn_render(X509_get_issuer_name(last)), *p;

		if (v->n == 1)
			p = cr_xasprintf("incomplete: only the leaf is %s; its issuer '%s' is neither %s "
			    "nor a trust anchor (clients that do not have it fail)", what, iss, what);
		else
			p = cr_xasprintf("incomplete: the last certificate %s, '%s', is issued by '%s', "
			    "which is neither %s nor a trust anchor", what, l, iss, what);
		if (v->problem != NULL) {
			char *both = cr_xasprintf("%s; %s", v->problem, p);

			free(v->problem);
			free(p);
			p = both;
		}
		v->problem = p;
		free(l);
		free(iss);
	}
	if (anchor != NULL) {
		char *an = subject_of(anchor);

		v->summary = cr_xasprintf("%d certificate%s%s, up to the anchor '%s'", v->n,
		    v->n == 1 ? "" : "s", v->ordered ? ", in order" : "", an);
		free(an);
	} else {
		v->summary = cr_xasprintf("%d certificate%s%s%s", v->n, v->n == 1 ? "" : "s",
		    v->ordered ? ", in order" : "", v->self_signed_last ? ", ending at a self-signed "
		    "root" : "");
	}
	X509_free(anchor);
	X509_STORE_free(own);
	free(a);
	free(b);
}

void
crt_chain_verdict_release(struct crt_chain_verdict *v)
{
	if (v == NULL)
		return;
	free(v->problem);
	free(v->summary);
	memset(v, 0, sizeof(*v));
}
