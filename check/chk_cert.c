/*
 * chk_cert.c - the certificate family: new.load, old.load, new.validity,
 * old.validity, new.chain, new.eku, names, sigalg, keyalg.  The judging is
 * in checks_cert.c (pure, unit-tested); here is what each is judged on.
 */
#include <stdlib.h>

#include "internal.h"

void
chk_eval_load(struct chk_ctx *c, const struct chk_at *at)
{
	int old = at->check == PLAN_CHK_OLD_LOAD;
	const struct crt_cert *x = old ? c->in->old : c->in->new;
	struct chk_result *r = chk_fresh(c, at);
	char *b;

	if (r == NULL)
		return;
	if (!old && c->in->new_misordered != NULL) {
		/* one failure that says what to fix; the other checks judge the real leaf */
		chk_result_set(r, CHK_FAIL, "%s", c->in->new_misordered);
		return;
	}
	b = chk_cert_brief(x);
	chk_result_set(r, CHK_PASS, "the %s certificate %s was read from '%s'", old ? "old" : "new",
	    b, x->source);
	free(b);
}

void
chk_eval_new_validity(struct chk_ctx *c, const struct chk_at *at)
{
	struct chk_result *r = chk_fresh(c, at);

	if (r != NULL)
		chk_new_validity(c->in->new->x509, c->o.now, c->cfg->rotation.min_remaining, r);
}

void
chk_eval_old_validity(struct chk_ctx *c, const struct chk_at *at)
{
	struct chk_result *r = chk_fresh(c, at);

	if (r != NULL)
		chk_old_validity(c->in->old->x509, c->o.now, c->cfg->rotation.min_remaining, r);
}

void
chk_eval_new_eku(struct chk_ctx *c, const struct chk_at *at)
{
	struct chk_result *r = chk_fresh(c, at);

	if (r != NULL)
		chk_eku(c->in->new->x509, r);
}

/*
 * The path from the new certificate to an anchor, built once for new.chain
 * and sigalg: a host judges the intermediates it will be sent on the way
 * to its anchor, not every certificate the configuration happens to list.
 */
static void
chain_eval(struct chk_ctx *c)
{
	if (c->chain_done)
		return;
	c->chain_done = 1;
	chk_chain(c->in->new->x509, c->untrusted, c->anchors, c->o.now, &c->chain_res, &c->path);
	if (c->path != NULL) {
		c->above = sk_X509_dup(c->path);
		(void)sk_X509_shift(c->above);
	} else {
		c->above = sk_X509_dup(c->untrusted);
	}
}

void
chk_eval_new_chain(struct chk_ctx *c, const struct chk_at *at)
{
	struct chk_result *r = chk_fresh(c, at);

	if (r == NULL)
		return;
	chain_eval(c);
	chk_result_set(r, c->chain_res.status, "%s", c->chain_res.message);
}

void
chk_eval_names(struct chk_ctx *c, const struct chk_at *at)
{
	/* a file shared by refs of several services: each ref's service */
	const struct plan_service *svc = at->ref != NULL ? at->ref->service : at->s->service;
	struct chk_result *r = chk_fresh(c, at);

	if (r != NULL)
		chk_names(c->in->new->x509, c->in->old->x509, svc->names, svc->nnames, r);
}

/* The host judged: a ref's own (a file shared by services of several hosts), else the step's. */
static const struct plan_host *
host_of(const struct chk_at *at)
{
	return at->ref != NULL && at->ref->host != NULL ? at->ref->host : at->s->host_cfg;
}

void
chk_eval_sigalg(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_host *h = host_of(at);
	struct chk_result *r = chk_fresh(c, at);

	if (r == NULL)
		return;
	chain_eval(c);
	chk_sigalg(h->name, c->in->new->x509, c->above, h->accept_sig, h->naccept_sig, r);
}

void
chk_eval_keyalg(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_host *h = host_of(at);
	struct chk_result *r = chk_fresh(c, at);

	if (r != NULL)
		chk_keyalg(h->name, c->in->new->x509, h->accept_key, h->naccept_key, r);
}

/* rotation.chain (with the chains their sources carry) and the new source's chain; rotation.trust. */
void
chk_cert_setup(struct chk_ctx *c)
{
	const struct plan_inputs *in = c->in;
	size_t i;
	int k;

	c->untrusted = sk_X509_new_null();
	for (i = 0; i < in->chain.n; i++) {
		sk_X509_push(c->untrusted, in->chain.v[i]->x509);
		for (k = 0; in->chain.v[i]->chain && k < sk_X509_num(in->chain.v[i]->chain); k++)
			sk_X509_push(c->untrusted, sk_X509_value(in->chain.v[i]->chain, k));
	}
	for (k = 0; in->new->chain && k < sk_X509_num(in->new->chain); k++)
		sk_X509_push(c->untrusted, sk_X509_value(in->new->chain, k));
	if (in->trust.n > 0) {
		c->anchors = sk_X509_new_null();
		for (i = 0; i < in->trust.n; i++)
			sk_X509_push(c->anchors, in->trust.v[i]->x509);
	}
}

void
chk_cert_release(struct chk_ctx *c)
{
	sk_X509_free(c->untrusted);
	sk_X509_free(c->anchors);
	sk_X509_free(c->above);
	sk_X509_pop_free(c->path, X509_free);
	chk_result_release(&c->chain_res);
}
