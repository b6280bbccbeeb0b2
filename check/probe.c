#include "probe.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../common/util.h"
#include "../cert/tls.h"

size_t
chk_probes_add(struct chk_probes *ps, const char *endpoint, const char *sni, int starttls_smtp)
{
	char *key = cr_xasprintf("%s\x1f%s\x1f%d", endpoint, sni ? sni : "\x1e", starttls_smtp);
	size_t i;

	/* hashed, so that thousands of refs sharing endpoints stay linear */
	if (plan_map_get(&ps->index, key, &i)) {
		free(key);
		return i;
	}
	cr_grow(&ps->v, &ps->cap, ps->n + 1, sizeof(ps->v[0]));
	memset(&ps->v[ps->n], 0, sizeof(ps->v[0]));
	ps->v[ps->n].endpoint = cr_xstrdup(endpoint);
	ps->v[ps->n].sni = cr_xstrdup(sni);
	ps->v[ps->n].starttls_smtp = starttls_smtp;
	ps->v[ps->n].key = key;
	plan_map_put(&ps->index, key, ps->n, NULL);
	return ps->n++;
}

struct pool {
	struct chk_probes *ps;
	size_t *todo;		/* indices of the probes to run */
	size_t n;
	pthread_mutex_t lock;
	size_t next;		/* next of todo to start */
	size_t done;
	int timeout_ms;
	int progress;
};

/* Splits "host:port" / "[v6]:port" and probes. */
static void
probe_one(struct chk_probe *p, int timeout_ms)
{
	struct crt_tls_target t = { 0 };
	STACK_OF(X509) *chain = NULL;
	struct cr_err err;
	char *host = NULL;
	const char *colon;

	cr_err_clear(&err);
	if (p->endpoint[0] == '[') {
		const char *close = strchr(p->endpoint, ']');
		if (close == NULL || close[1] != ':')
			goto bad;
		host = cr_xstrndup(p->endpoint + 1, (size_t)(close - p->endpoint - 1));
		colon = close + 1;
	} else {
		colon = strrchr(p->endpoint, ':');
		if (colon == NULL)
			goto bad;
		host = cr_xstrndup(p->endpoint, (size_t)(colon - p->endpoint));
	}
	t.host = host;
	t.port = colon + 1;
	t.sni = p->sni;
	t.starttls_smtp = p->starttls_smtp;
	t.timeout_ms = timeout_ms;
	p->status = crt_tls_fetch(&t, &chain, &err);
	if (p->status == CR_OK && chain != NULL && sk_X509_num(chain) > 0) {
		unsigned int len = 0;
		p->leaf = sk_X509_value(chain, 0);
		X509_up_ref(p->leaf);
		X509_digest(p->leaf, EVP_sha256(), p->sha256, &len);
		p->chain = chain;
		chain = NULL;
	} else if (p->status == CR_OK) {
		p->status = CR_EENV;
		p->error = cr_xasprintf("endpoint '%s' served no certificate", p->endpoint);
	} else {
		p->error = cr_xstrdup(err.msg);
	}
	if (chain != NULL)
		sk_X509_pop_free(chain, X509_free);
	free(host);
	return;
bad:
	p->status = CR_EINPUT;
	p->error = cr_xasprintf("endpoint '%s': expected HOST:PORT", p->endpoint);
}

static void *
worker(void *arg)
{
	struct pool *pool = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&pool->lock);
		i = pool->next < pool->n ? pool->todo[pool->next++] : (size_t)-1;
		pthread_mutex_unlock(&pool->lock);
		if (i == (size_t)-1)
			return NULL;
		probe_one(&pool->ps->v[i], pool->timeout_ms);
		pthread_mutex_lock(&pool->lock);
		pool->done++;
		if (pool->progress)
			fprintf(stderr, "\rcertrotate: probing endpoints: %zu/%zu", pool->done,
			    pool->n);
		pthread_mutex_unlock(&pool->lock);
	}
}

/* Forgets a probe's result, so that it can run again. */
static void
probe_reset(struct chk_probe *p)
{
	free(p->error);
	X509_free(p->leaf);
	sk_X509_pop_free(p->chain, X509_free);
	p->error = NULL;
	p->leaf = NULL;
	p->chain = NULL;
	p->status = CR_OK;
	memset(p->sha256, 0, sizeof(p->sha256));
}

void
chk_probes_run(struct chk_probes *ps, const size_t *which, size_t n, int in_flight,
    int timeout_ms, int progress)
{
	struct pool pool = { .ps = ps, .next = 0, .done = 0,
	    .timeout_ms = timeout_ms > 0 ? timeout_ms : 5000, .progress = progress };
	pthread_t *th;
	size_t nth, i, k, started = 0;

	if (which == NULL)
		n = ps->n;
	pool.todo = cr_xcalloc(n + 1, sizeof(*pool.todo));
	for (k = 0; k < n; k++) {
		i = which != NULL ? which[k] : k;
		if (i >= ps->n || ps->v[i].fresh)
			continue;
		/* listed twice: run once */
		ps->v[i].fresh = 1;
		probe_reset(&ps->v[i]);
		pool.todo[pool.n++] = i;
	}
	if (pool.n == 0) {
		free(pool.todo);
		return;
	}
	if (in_flight <= 0)
		in_flight = 8;
	nth = pool.n < (size_t)in_flight ? pool.n : (size_t)in_flight;
	pthread_mutex_init(&pool.lock, NULL);
	th = cr_xcalloc(nth, sizeof(*th));
	for (i = 0; i < nth; i++)
		if (pthread_create(&th[i], NULL, worker, &pool) == 0)
			started++;
		else
			break;
	if (started == 0)	/* no thread could start: probe here, one by one */
		worker(&pool);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (progress)
		fputc('\n', stderr);
	free(th);
	free(pool.todo);
	pthread_mutex_destroy(&pool.lock);
}

void
chk_probes_stale(struct chk_probes *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		ps->v[i].fresh = 0;
}

void
chk_probes_release(struct chk_probes *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		free(ps->v[i].endpoint);
		free(ps->v[i].sni);
		free(ps->v[i].error);
		X509_free(ps->v[i].leaf);
		sk_X509_pop_free(ps->v[i].chain, X509_free);
		free(ps->v[i].key);
	}
	free(ps->v);
	plan_map_release(&ps->index);
	ps->v = NULL;
	ps->n = ps->cap = 0;
}
