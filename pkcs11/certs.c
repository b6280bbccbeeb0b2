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
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

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
		free(v[i].der);
		if (v[i].aux_free != NULL)
			v[i].aux_free(v[i].aux);
		free(v[i].label);
		free(v[i].id);
	}
	free(v);
}

/*
 * Parsing beside the reads.  OpenSSL 3.0's d2i_X509 decodes the public key
 * through a decoder chain built afresh for every certificate (about 100 us,
 * twice what SoftHSM2 takes to hand over the value), while the reads are
 * serial round trips: so the main thread reads and parse threads turn the
 * values into X509 as they come, and the main thread parses what is left
 * once the reads are done.  Results keep the token's order.  With the
 * ctx's lazy_parse nothing is parsed here (p11_cert_x509 parses on use).
 */
#define PARSERS_MAX 4

struct raw_cert {
	unsigned char *der;		/* owned until collected */
	size_t len;
	X509 *x509;
	char *label;
	unsigned char *id;
	size_t id_len;
	CK_OBJECT_HANDLE handle;
};

struct certs_acc {
	struct p11_token *tok;
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct raw_cert *v;		/* grows under lock */
	size_t n, cap;
	size_t next;			/* the next one to parse */
	int closed;			/* no more values come */
};

/* Takes the next value to parse (under the lock); 0 when none is left
 * now (and, when wait, none will come). */
static int
take(struct certs_acc *acc, int wait, size_t *i, const unsigned char **der, size_t *len)
{
	int got = 0;

	pthread_mutex_lock(&acc->lock);
	while (wait && acc->next >= acc->n && !acc->closed)
		pthread_cond_wait(&acc->more, &acc->lock);
	if (acc->next < acc->n) {
		*i = acc->next++;
		*der = acc->v[*i].der;
		*len = acc->v[*i].len;
		got = 1;
	}
	pthread_mutex_unlock(&acc->lock);
	return got;
}

static void
parse_some(struct certs_acc *acc, int wait)
{
	const unsigned char *der, *p;
	size_t i, len;
	X509 *x;

	while (take(acc, wait, &i, &der, &len)) {
		p = der;
		x = d2i_X509(NULL, &p, (long)len);
		/* the extensions and the SHA-1 hash OpenSSL caches on first use:
		 * here too, off the main thread */
		if (x != NULL)
			(void)X509_check_purpose(x, -1, 0);
		ERR_clear_error();
		pthread_mutex_lock(&acc->lock);
		acc->v[i].x509 = x;
		pthread_mutex_unlock(&acc->lock);
	}
}

static void *
parser(void *arg)
{
	parse_some(arg, 1);
	return NULL;
}

static int
cert_one(void *arg, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *a, struct cr_err *err)
{
	struct certs_acc *acc = arg;
	struct raw_cert *c;

	(void)err;
	if (a[0].pValue == NULL || a[0].ulValueLen == 0)
		return CR_OK;	/* no value: nothing this tool can say about it */
	pthread_mutex_lock(&acc->lock);
	cr_grow(&acc->v, &acc->cap, acc->n + 1, sizeof(*acc->v));
	c = &acc->v[acc->n];
	memset(c, 0, sizeof(*c));
	c->der = a[0].pValue;
	c->len = a[0].ulValueLen;
	c->label = a[1].pValue;
	c->id = a[2].pValue;
	c->id_len = a[2].pValue ? a[2].ulValueLen : 0;
	c->handle = h;
	a[0].pValue = a[1].pValue = a[2].pValue = NULL;	/* taken */
	acc->n++;
	pthread_cond_signal(&acc->more);
	pthread_mutex_unlock(&acc->lock);
	return CR_OK;
}

/* One parse thread per processor but the reader's (at least one: on a
 * remote token the reader mostly waits), at most PARSERS_MAX. */
static size_t
parsers_wanted(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN) - 1;

	return cpus < 1 ? 1 : cpus > PARSERS_MAX ? PARSERS_MAX : (size_t)cpus;
}

/* The certificates, in order, as the token's array (parsed: the values that
 * do not parse are left out; lazy: all of them); takes acc's values. */
static void
certs_collect(struct p11_token *tok, struct certs_acc *acc, int lazy)
{
	size_t i, n = 0;

	tok->certs = cr_xcalloc(acc->n ? acc->n : 1, sizeof(*tok->certs));
	for (i = 0; i < acc->n; i++) {
		struct raw_cert *r = &acc->v[i];
		struct p11_cert_obj *c = &tok->certs[n];

		if (r->x509 == NULL && !lazy) {
			free(r->der);
			free(r->label);
			free(r->id);
			continue;
		}
		c->token = tok;
		c->x509 = r->x509;
		c->der = r->der;
		c->der_len = r->len;
		c->label = r->label;
		c->id = r->id;
		c->id_len = r->id_len;
		c->handle = r->handle;
		n++;
	}
	tok->ncerts = n;
}

static void
raw_free(struct certs_acc *acc)
{
	size_t i;

	for (i = 0; i < acc->n; i++) {
		free(acc->v[i].der);
		X509_free(acc->v[i].x509);
		free(acc->v[i].label);
		free(acc->v[i].id);
	}
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
	struct certs_acc acc;
	pthread_t th[PARSERS_MAX];
	int lazy = tok->mod->ctx->lazy_parse;
	size_t i, nth = 0, want_th = lazy ? 0 : parsers_wanted();
	int r;

	memset(&acc, 0, sizeof(acc));
	acc.tok = tok;
	pthread_mutex_init(&acc.lock, NULL);
	pthread_cond_init(&acc.more, NULL);
	for (i = 0; i < want_th; i++)
		if (pthread_create(&th[nth], NULL, parser, &acc) == 0)
			nth++;
	r = p11__objects_read(tok, filter, 2, want, 3, "certificates", "a certificate", cert_one,
	    &acc, err);
	pthread_mutex_lock(&acc.lock);
	acc.closed = 1;
	if (r != CR_OK || lazy)
		acc.next = acc.n;	/* parse nothing (more) */
	pthread_cond_broadcast(&acc.more);
	pthread_mutex_unlock(&acc.lock);
	if (r == CR_OK)
		parse_some(&acc, 0);	/* no thread at all: all of them here */
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	if (r == CR_OK)
		certs_collect(tok, &acc, lazy);
	else
		raw_free(&acc);
	free(acc.v);
	pthread_cond_destroy(&acc.more);
	pthread_mutex_destroy(&acc.lock);
	if (r != CR_OK)
		return r;
	p11__idx_init(&tok->certidx, tok->ncerts);
	for (i = 0; i < tok->ncerts; i++)
		p11__idx_set(&tok->certidx, i, &tok->certs[i], tok->certs[i].id,
		    tok->certs[i].id_len, tok->certs[i].label);
	p11__idx_sort(&tok->certidx);
	tok->certs_loaded = 1;
	return CR_OK;
}

X509 *
p11_cert_x509(const struct p11_cert_obj *o)
{
	struct p11_cert_obj *w = (struct p11_cert_obj *)o;	/* the cache only */
	const unsigned char *p = o->der;

	if (o->x509 != NULL || o->der == NULL)
		return o->x509;
	/* a value that does not parse stays NULL (and is tried again) */
	w->x509 = d2i_X509(NULL, &p, (long)o->der_len);
	if (w->x509 != NULL)
		(void)X509_check_purpose(w->x509, -1, 0);	/* as parse_some */
	ERR_clear_error();
	return w->x509;
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
