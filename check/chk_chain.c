/*
 * chk_chain.c - what an endpoint serves beyond its leaf: the chain
 * (endpoint.chain: complete and in order up to an anchor in `trust`), and
 * whether a ref's SNI name reaches a site of its own or only the server's
 * default (endpoint.sni).  Both read the probes the endpoint family made
 * (chk_endpoint.c sets them up; a probe keeps the whole served chain).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "../common/util.h"
#include "../cert/chain.h"
#include "../cert/layout.h"
#include "../cert/names.h"

static char *
ref_subject(const struct plan_refres *r)
{
	return cr_xasprintf("ref %s/%s", r->service->name, r->ref->id);
}

/* The probe (index + 1 in c->probes, 0: none) of ref r with its SNI, or without. */
static size_t
probe_index(const struct chk_ctx *c, const struct plan_refres *r, int nosni)
{
	size_t ri = (size_t)(r - c->p->refs);

	return nosni ? c->probe_nosni[ri] : c->probe_of[ri];
}

/* The probe, run now unless it is fresh; NULL when there is none or it failed. */
static const struct chk_probe *
probed(struct chk_ctx *c, size_t pi)
{
	const struct chk_probe *pr;

	if (pi == 0)
		return NULL;
	chk_probes_run(&c->probes, (size_t[]){ pi - 1 }, 1, c->o.in_flight, c->o.timeout_ms, 0);
	pr = &c->probes.v[pi - 1];
	return pr->status == CR_OK && pr->chain != NULL ? pr : NULL;
}

/* A file ref whose file holds its leaf alone: the likely cause of an incomplete chain. */
static char *
leaf_only_hint(const struct chk_ctx *c, const struct plan_refres *r)
{
	const struct plan_file *f;

	if (r->ref->type != PLAN_REF_FILE ||
	    (f = plan_inputs_file(c->in, r->ref->file_path)) == NULL || !f->read ||
	    crt_layout_shape(&f->layout) != CRT_SHAPE_LEAF)
		return cr_xstrdup("");
	return cr_xasprintf(": '%s' holds the leaf alone, and the new material is written in the "
	    "same layout - put the chain in it (the leaf, then its issuers)", r->ref->file_path_text);
}

/* endpoint.chain of ref r, listed under at's step. */
static void
chain_of_ref(struct chk_ctx *c, const struct chk_at *at, const struct plan_refres *r)
{
	char *subject = ref_subject(r), *hint;
	const struct chk_probe *pr;
	struct crt_chain_verdict v;
	struct chk_result *res;
	X509_STORE *store;
	size_t idx;
	int fresh;

	idx = chk_item_get(c, PLAN_CHK_ENDPOINT_CHAIN, at->phase, subject, subject, &fresh);
	free(subject);
	chk_attach(c, at, idx);
	if (!fresh)
		return;
	res = &chk_item_at(c, idx)->res;
	if (!c->o.probe) {
		chk_result_set(res, CHK_SKIP, "not probed (--no-probe)");
		return;
	}
	if (probe_index(c, r, 0) == 0) {
		chk_result_set(res, CHK_SKIP, "no endpoint");
		return;
	}
	if ((pr = probed(c, probe_index(c, r, 0))) == NULL) {
		chk_result_set(res, CHK_SKIP, "'%s' could not be probed (see endpoint)", r->ref->endpoint);
		return;
	}
	store = crt_anchor_store(c->anchors);
	crt_chain_judge(pr->chain, store, "served", &v);
	X509_STORE_free(store);
	if (v.problem == NULL) {
		chk_result_set(res, CHK_PASS, "'%s'%s%s%s serves %s", pr->endpoint,
		    pr->sni ? " with SNI '" : "", pr->sni ? pr->sni : "", pr->sni ? "'" : "", v.summary);
	} else {
		hint = v.complete ? cr_xstrdup("") : leaf_only_hint(c, r);
		chk_result_set(res, CHK_WARN, "'%s'%s%s%s serves %s: %s%s", pr->endpoint,
		    pr->sni ? " with SNI '" : "", pr->sni ? pr->sni : "", pr->sni ? "'" : "", v.summary,
		    v.problem, hint);
		free(hint);
	}
	crt_chain_verdict_release(&v);
}

void
chk_eval_endpoint_chain(struct chk_ctx *c, const struct chk_at *at)
{
	size_t i;

	if (at->ref != NULL) {
		if (at->ref->ref->endpoint != NULL)
			chain_of_ref(c, at, at->ref);
		return;
	}
	/* after a restart: every changed ref of the service that has an endpoint */
	for (i = 0; at->s != NULL && at->s->type == PLAN_RESTART && i < c->p->nrefs; i++) {
		const struct plan_refres *r = &c->p->refs[i];

		if (r->service == at->s->service && r->step >= 0 && r->ref->endpoint != NULL)
			chain_of_ref(c, at, r);
	}
}

/* Whether the ref's sni is a name of its service, or covered by one of the certificates. */
static int
sni_known(const struct chk_ctx *c, const struct plan_refres *r, const X509 *served)
{
	const char *sni = r->ref->sni;
	size_t i;

	for (i = 0; i < r->service->nnames; i++)
		if (strcasecmp(r->service->names[i], sni) == 0)
			return 1;
	return crt_name_covered(served, sni) || crt_name_covered(c->in->new->x509, sni);
}

/*
 * endpoint.sni: a ref probed with its sni gets the very certificate the
 * endpoint serves without SNI, and the name is in neither the service's
 * names nor the SAN of that certificate or the new one: no site of the
 * server has that name, it answered with its default, and the ref judges
 * the default binding.
 */
void
chk_eval_endpoint_sni(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_refres *r = at->ref;
	const struct chk_probe *with, *without;
	struct chk_result *res;

	if (r == NULL || r->ref->endpoint == NULL || r->ref->sni == NULL ||
	    (res = chk_fresh(c, at)) == NULL)
		return;
	if (!c->o.probe) {
		chk_result_set(res, CHK_SKIP, "not probed (--no-probe)");
		return;
	}
	/* res stays valid: probing creates no item */
	with = probed(c, probe_index(c, r, 0));
	without = probed(c, probe_index(c, r, 1));
	if (with == NULL || without == NULL) {
		chk_result_set(res, CHK_SKIP, "'%s' could not be probed (see endpoint)", r->ref->endpoint);
	} else if (memcmp(with->sha256, without->sha256, 32) != 0) {
		chk_result_set(res, CHK_PASS, "'%s' answers SNI '%s' with another certificate than "
		    "without SNI: a site of its own", r->ref->endpoint, r->ref->sni);
	} else if (sni_known(c, r, with->leaf)) {
		chk_result_set(res, CHK_PASS, "'%s' serves the same certificate with SNI '%s' and "
		    "without: '%s' is a name of the service or its certificates", r->ref->endpoint,
		    r->ref->sni, r->ref->sni);
	} else {
		chk_result_set(res, CHK_WARN, "'%s' answers SNI '%s' with the certificate it serves "
		    "without SNI (its default), and '%s' is in neither the service's names nor the SAN "
		    "of that certificate or the new one: no site of the server has that name, so this "
		    "ref judges the default binding; check the ref's sni", r->ref->endpoint,
		    r->ref->sni, r->ref->sni);
	}
}
