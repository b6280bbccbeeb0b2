/*
 * chk_endpoint.c - the endpoint family: what each ref's endpoint serves,
 * with its SNI and without, before a step (old or new; an undeclared
 * default binding still on the old certificate), after the change (the
 * new certificate, SPEC 7.2 verify), and before retire (no endpoint left
 * on the old certificate).
 *
 * Every endpoint a ref step names is probed when the context is made
 * (probe.c: in parallel, deduplicated), and again - only those a step
 * needs - after chk_invalidate(CHK_F_PROBES).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "../common/util.h"
#include "../cert/dn.h"
#include "../cert/names.h"
#include "../cert/ident.h"

static char *
ref_subject(const struct plan_refres *r)
{
	return cr_xasprintf("ref %s/%s", r->service->name, r->ref->id);
}

static size_t
refres_index(const struct chk_ctx *c, const struct plan_refres *r)
{
	return (size_t)(r - c->p->refs);
}

/* Runs the probes of ref r (with and without SNI) that are not fresh. */
static void
probe_ref(struct chk_ctx *c, const struct plan_refres *r)
{
	size_t ri = refres_index(c, r), which[2], n = 0;

	if (!c->o.probe)
		return;
	if (c->probe_of[ri] != 0)
		which[n++] = c->probe_of[ri] - 1;
	if (c->probe_nosni[ri] != 0)
		which[n++] = c->probe_nosni[ri] - 1;
	chk_probes_run(&c->probes, which, n, c->o.in_flight, c->o.timeout_ms, 0);
}

static const char *
served(const struct chk_ctx *c, const struct chk_probe *pr)
{
	if (memcmp(pr->sha256, c->in->old->sha256, 32) == 0)
		return "old";
	if (memcmp(pr->sha256, c->in->new->sha256, 32) == 0)
		return "new";
	return NULL;
}

/* A service's restart is still to come. */
static int
restart_pending(const struct chk_ctx *c, const struct plan_service *svc)
{
	long rs = c->restart_of[svc - c->cfg->services];

	return rs >= 0 && !chk_done(c, rs);
}

/*
 * Whether the change of ref r has taken effect: its step is done (the ref
 * names the new certificate) and its service has no restart left to do.
 * What its endpoint serves then is what clients get (SPEC 6 `endpoint`,
 * "after").
 */
static int
in_effect(const struct chk_ctx *c, const struct plan_refres *r)
{
	return chk_done(c, r->step) && !restart_pending(c, r->service);
}

static void
stale_add(struct chk_ctx *c, size_t idx)
{
	cr_grow(&c->stale, &c->capstale, c->nstale + 1, sizeof(c->stale[0]));
	c->stale[c->nstale++] = idx;
}

/* " with SNI 'x'" or "" */
static void
via_sni(const struct chk_probe *pr, char *via, size_t len)
{
	via[0] = '\0';
	if (pr->sni != NULL)
		snprintf(via, len, " with SNI '%s'", pr->sni);
}

/* "serves neither ... but 'CN=..' (sha256:...)": who answers instead. */
static char *
stranger(const struct chk_probe *pr)
{
	char *subj = crt_dn_render(X509_get_subject_name(pr->leaf));
	char *hex = cr_hex_upper(pr->sha256, 32);
	char *s = cr_xasprintf("'%s' (sha256:%.16s…)", subj, hex);

	free(subj);
	free(hex);
	return s;
}

/* What a ref's endpoint was seen to serve. */
struct seen {
	const struct chk_probe *pr;
	const char *what;	/* "old", "new", or NULL for neither */
	char via[300];		/* " with SNI 'x'" or "" */
};

/*
 * The probe of ref r for item idx, with what it serves, into *sn; or NULL
 * when the item has been judged already (not probed, no endpoint, the
 * probe failed).
 */
static const struct chk_probe *
probe_for(struct chk_ctx *c, size_t idx, const struct plan_refres *r, struct seen *sn)
{
	struct chk_item *it = chk_item_at(c, idx);
	size_t pi = c->probe_of[refres_index(c, r)];
	const struct chk_probe *pr;

	if (!c->o.probe) {
		chk_result_set(&it->res, CHK_SKIP, "not probed (--no-probe)");
		return NULL;
	}
	if (pi == 0) {
		chk_result_set(&it->res, CHK_SKIP, "no endpoint");
		return NULL;
	}
	pr = &c->probes.v[pi - 1];
	if (pr->status != CR_OK) {
		chk_result_set(&it->res, CHK_FAIL, "%s", pr->error);
		it->status = cr_status_worse(it->status, pr->status);
		return NULL;
	}
	sn->pr = pr;
	via_sni(pr, sn->via, sizeof(sn->via));
	sn->what = served(c, pr);
	return pr;
}

/*
 * When the endpoint answered the ref's SNI with the very certificate it
 * serves without SNI, and that certificate does not cover the name - its
 * default: no binding there seems to have that name, so blaming another
 * binding (or a reload) would send the operator the wrong way -
 * a sentence saying so, and whether the name is in the service's `names`
 * and in the new certificate's SAN; else NULL.
 */
static char *
sni_default(const struct chk_ctx *c, const struct plan_refres *r, const struct chk_probe *pr)
{
	const char *sni = r->ref->sni;
	const struct chk_probe *d;
	size_t pi, i;
	int in_names = 0;

	if (sni == NULL || (pi = c->probe_nosni[refres_index(c, r)]) == 0)
		return NULL;
	d = &c->probes.v[pi - 1];
	/* the same certificate both ways, and one that does not cover the name: no
	   site was chosen for it (one that covers it may be the name's own site,
	   not reloaded yet) */
	if (d->status != CR_OK || d->leaf == NULL || memcmp(d->sha256, pr->sha256, 32) != 0 ||
	    crt_name_covered(pr->leaf, sni))
		return NULL;
	for (i = 0; i < r->service->nnames && !in_names; i++)
		in_names = strcasecmp(r->service->names[i], sni) == 0;
	return cr_xasprintf("'%s' answered SNI '%s' with its default certificate (the one it "
	    "serves without SNI): no binding there seems to have the name '%s' - check the ref's "
	    "sni and the server's bindings; '%s' is %s the service's names and %s by the new "
	    "certificate's SAN", pr->endpoint, sni, sni, sni, in_names ? "in" : "NOT in",
	    crt_name_covered(c->in->new->x509, sni) ? "covered" : "NOT covered");
}

/* Before ref r's step: old or new is fine, where the change is in effect only new. */
static void
eval_before(struct chk_ctx *c, size_t idx, const struct plan_refres *r, const struct seen *sn)
{
	const struct chk_probe *pr = sn->pr;
	const char *what = sn->what, *via = sn->via;
	struct chk_item *it = chk_item_at(c, idx);
	char *who, *dflt = NULL;

	if ((what == NULL || strcmp(what, "old") == 0) && (what == NULL || chk_done(c, r->step)) &&
	    (dflt = sni_default(c, r, pr)) != NULL) {
		/* not another binding: the SNI reaches none, the default answers */
		chk_result_set(&it->res, what != NULL ? (in_effect(c, r) ? CHK_FAIL : CHK_WARN) :
		    c->o.journal ? CHK_FAIL : CHK_WARN, "%s", dflt);
		if (what != NULL)
			stale_add(c, idx);
		free(dflt);
	} else if (what != NULL && strcmp(what, "old") == 0 && in_effect(c, r) &&
	    r->ref->type == PLAN_REF_FILE) {
		/* the file holds the new certificate: the service has not reloaded */
		chk_result_set(&it->res, CHK_FAIL, "'%s'%s still serves the OLD certificate, but '%s' "
		    "holds the new one: the file is new, the endpoint is old: reload %s?", pr->endpoint,
		    via, r->ref->file_path_text, r->service->kind != NULL ? r->service->kind :
		    r->service->name);
		stale_add(c, idx);
	} else if (what != NULL && strcmp(what, "old") == 0 && in_effect(c, r)) {
		/* the HTTP.sys story: the service's setting names the new
		   certificate, but what answers on its endpoint does not */
		chk_result_set(&it->res, CHK_FAIL, "'%s'%s still serves the OLD certificate although "
		    "the ref names the new one and nothing is left to restart: another binding "
		    "(HTTP.sys, a second site) still holds the old certificate; move it before the "
		    "old certificate is retired", pr->endpoint, via);
		stale_add(c, idx);
	} else if (what != NULL && strcmp(what, "old") == 0 && chk_done(c, r->step)) {
		chk_result_set(&it->res, CHK_WARN, "'%s'%s still serves the old certificate although "
		    "the ref names the new one: the pending restart of '%s' should change that, "
		    "else another binding is answering", pr->endpoint, via, r->service->name);
		stale_add(c, idx);
	} else if (what != NULL && strcmp(what, "old") == 0) {
		chk_result_set(&it->res, CHK_PASS, "'%s'%s serves the old certificate now", pr->endpoint,
		    via);
	} else if (what != NULL) {
		chk_result_set(&it->res, CHK_PASS, "'%s'%s already serves the new certificate",
		    pr->endpoint, via);
	} else {
		/* SPEC 6: a warning in check, a failure in run */
		who = stranger(pr);
		chk_result_set(&it->res, c->o.journal ? CHK_FAIL : CHK_WARN, "'%s'%s serves neither "
		    "the old nor the new certificate but %s: is this the right endpoint?",
		    pr->endpoint, via, who);
		free(who);
	}
}

/* After the change of ref r: the new certificate, nothing else. */
static void
eval_after(struct chk_ctx *c, size_t idx, const struct plan_refres *r, const struct seen *sn)
{
	const struct chk_probe *pr = sn->pr;
	const char *what = sn->what, *via = sn->via;
	struct chk_item *it = chk_item_at(c, idx);
	char *who, *dflt;

	if (what != NULL && strcmp(what, "new") == 0) {
		chk_result_set(&it->res, CHK_PASS, "'%s'%s serves the new certificate", pr->endpoint,
		    via);
	} else if ((dflt = sni_default(c, r, pr)) != NULL) {
		chk_result_set(&it->res, CHK_FAIL, "%s", dflt);
		free(dflt);
	} else if (what != NULL) {
		chk_result_set(&it->res, CHK_FAIL, "'%s'%s still serves the OLD certificate after the "
		    "change: the service has not picked it up (restart it), or another binding "
		    "(HTTP.sys, a second site) answers there", pr->endpoint, via);
	} else {
		who = stranger(pr);
		chk_result_set(&it->res, CHK_FAIL, "'%s'%s serves neither the old nor the new "
		    "certificate after the change but %s", pr->endpoint, via, who);
		free(who);
	}
}

/*
 * The no-SNI probe of a ref that has an sni: when it serves the old
 * certificate and no ref declares the endpoint without SNI, an undeclared
 * default binding will keep serving the old certificate (the "second
 * binding on 443").  A warning while the ref's own change is still to come
 * (the default may be that very binding); a failure once it is in effect
 * (always, after the change).  Returns the item, or (size_t)-1 when there
 * is none.
 */
static size_t
undeclared_binding(struct chk_ctx *c, const struct plan_refres *r, enum chk_phase ph)
{
	size_t pi = c->probe_nosni[refres_index(c, r)], idx, dummy;
	int effect = ph == CHK_VERIFY || in_effect(c, r), fresh;
	const struct chk_probe *pr;
	const char *what;
	char *subject;

	if (!c->o.probe || pi == 0)
		return (size_t)-1;
	pr = &c->probes.v[pi - 1];
	if (pr->status != CR_OK || (what = served(c, pr)) == NULL || strcmp(what, "old") != 0)
		return (size_t)-1;
	if (plan_map_get(&c->declared_nosni, pr->endpoint, &dummy))
		return (size_t)-1;
	subject = cr_xasprintf("endpoint %s (no SNI)", pr->endpoint);
	idx = chk_item_get(c, PLAN_CHK_ENDPOINT, ph, subject, subject, &fresh);
	free(subject);
	if (!fresh) {
		/* several refs share the endpoint: one in effect makes it certain */
		if (effect && chk_item_at(c, idx)->res.status == CHK_WARN)
			fresh = 1;
		else
			return idx;
	} else if (ph == CHK_PRE) {
		stale_add(c, idx);
	}
	if (effect)
		chk_result_set(&chk_item_at(c, idx)->res, CHK_FAIL, "without SNI, '%s' still serves "
		    "the OLD certificate although ref %s/%s (SNI '%s') is on the new one, and no ref "
		    "declares a binding there without SNI: a second binding on this port nobody "
		    "declared; declare it as a ref without sni and move it before the old "
		    "certificate is retired", pr->endpoint, r->service->name, r->ref->id, r->ref->sni);
	else
		chk_result_set(&chk_item_at(c, idx)->res, CHK_WARN, "without SNI, '%s' serves the old "
		    "certificate and no ref declares a binding there without SNI: if that is a "
		    "separate default binding (a second binding on this port), it will keep serving "
		    "the old certificate after the rebind; declare it as a ref without sni",
		    pr->endpoint);
	return idx;
}

/* The endpoint of ref r, before (PRE) or after (VERIFY) the change, listed under at's step. */
static void
ref_endpoint(struct chk_ctx *c, const struct chk_at *at, const struct plan_refres *r)
{
	struct seen sn;
	size_t u, idx;
	char *subject;
	int fresh;

	probe_ref(c, r);
	u = undeclared_binding(c, r, at->phase);
	subject = ref_subject(r);
	idx = chk_item_get(c, PLAN_CHK_ENDPOINT, at->phase, subject, subject, &fresh);
	free(subject);
	if (fresh && probe_for(c, idx, r, &sn) != NULL) {
		if (at->phase == CHK_PRE)
			eval_before(c, idx, r, &sn);
		else
			eval_after(c, idx, r, &sn);
	}
	if (u != (size_t)-1)
		chk_attach(c, at, u);
	chk_attach(c, at, idx);
}

/*
 * Judges (without listing them) the endpoints of every ref step, in plan
 * order: before retire in journal mode, where the steps are not all asked
 * about first as `check` does (chk_plan judges them all before retire).
 */
static void
judge_every_ref(struct chk_ctx *c)
{
	struct chk_at none = { PLAN_CHK_ENDPOINT, CHK_PRE, CHK_NO_STEP, NULL, NULL, NULL };
	size_t i;

	for (i = 0; i < c->p->nrefs; i++)
		if (c->p->refs[i].step >= 0 && c->p->refs[i].ref->endpoint != NULL)
			ref_endpoint(c, &none, &c->p->refs[i]);
}

/* "'TEXT' matches no known certificate" / "... denotes a protected certificate ..." */
static char *
identity_phrase(const struct plan_refres *r)
{
	char *b, *s;

	switch (r->denotes) {
	case PLAN_DENOTES_PROTECTED:
		return cr_xasprintf("'%s' denotes a protected certificate", r->ref->cert);
	case PLAN_DENOTES_OTHER:
		if (r->cert == NULL)
			break;
		b = chk_cert_brief(r->cert);
		s = cr_xasprintf("'%s' denotes another certificate, %s", r->ref->cert, b);
		free(b);
		return s;
	default:
		break;
	}
	return cr_xasprintf("'%s' matches no known certificate", r->ref->cert);
}

/* The old certificate's identity, written as the ref writes its own. */
static char *
old_as_ref_writes(const struct chk_ctx *c, const struct plan_refres *r)
{
	char *hex, *s;

	switch (r->ref->ident.kind) {
	case CRT_ID_SHA256:
		hex = cr_hex_upper(c->in->old->sha256, 32);
		s = cr_xasprintf("sha256:%s", hex);
		free(hex);
		return s;
	case CRT_ID_NAME:
		hex = crt_tls_name(c->in->old->x509);
		s = cr_xasprintf("name:%s", hex);
		free(hex);
		return s;
	default:
		return crt_ident_of(c->in->old);
	}
}

/*
 * ref.resolve of a ref the plan leaves alone (its identity unknown, another
 * or a protected certificate) whose endpoint was probed: what the endpoint
 * serves says whether the identity is right.  Serving the old certificate
 * means the service is on it although no step moves it - the identity is
 * wrong (a name pasted with its RDNs reversed, a thumbprint a digit off):
 * a failure, naming the endpoint and the nearest known identity, and the
 * old certificate must not be retired (the caller lists it before retire).
 */
void
chk_resolve_probed(struct chk_ctx *c, size_t idx, const struct plan_refres *r)
{
	struct chk_item *it = chk_item_at(c, idx);
	struct seen sn;
	char *what, *who, *near;

	probe_ref(c, r);
	if (probe_for(c, idx, r, &sn) == NULL) {
		/* the probe failed: what the identity is, then why it cannot be told */
		if (it->res.status == CHK_FAIL) {
			char *why = cr_xstrdup(it->res.message);

			what = identity_phrase(r);
			chk_result_set(&it->res, CHK_FAIL, "%s, and what its endpoint serves cannot be "
			    "seen: %s", what, why);
			free(what);
			free(why);
		}
		return;
	}
	what = identity_phrase(r);
	if (sn.what != NULL && strcmp(sn.what, "old") == 0) {
		near = old_as_ref_writes(c, r);
		chk_result_set(&it->res, CHK_FAIL, "%s, but '%s'%s serves the OLD certificate: the "
		    "service is still on it and the identity is wrong - %s %s%s%s; correct `cert` and "
		    "the plan will move this ref; until then the old certificate must not be retired",
		    what, sn.pr->endpoint, sn.via, r->near == c->in->old ? "next to the old "
		    "certificate's," : "the old certificate is", near, r->near == c->in->old ? ", " : "",
		    r->near == c->in->old && r->near_why ? r->near_why : "");
		free(near);
	} else if (sn.what != NULL) {
		chk_result_set(&it->res, CHK_WARN, "%s, but '%s'%s serves the NEW certificate: the "
		    "service is on it already; correct `cert`%s%s%s", what, sn.pr->endpoint, sn.via,
		    r->near_why ? " (" : "", r->near_why ? r->near_why : "", r->near_why ? ")" : "");
	} else if (r->cert != NULL && memcmp(sn.pr->sha256, r->cert->sha256, 32) == 0) {
		chk_result_set(&it->res, CHK_PASS, "%s, and '%s'%s serves it: left alone", what,
		    sn.pr->endpoint, sn.via);
	} else {
		who = stranger(sn.pr);
		chk_result_set(&it->res, CHK_WARN, "%s; '%s'%s serves %s%s%s", what, sn.pr->endpoint,
		    sn.via, who, r->note && r->denotes == PLAN_DENOTES_UNKNOWN ? ": " : "",
		    r->note && r->denotes == PLAN_DENOTES_UNKNOWN ? r->note : "");
		free(who);
	}
	free(what);
}

/*
 * Before retire: the resolution of every ref the plan leaves alone that has
 * an endpoint, judged now (so retire lists it when the endpoint still
 * serves the old certificate; check's later pass over the refs of no step
 * finds it judged).
 */
static void
untouched_refs(struct chk_ctx *c)
{
	size_t i, idx;
	int fresh;

	for (i = 0; c->o.probe && i < c->p->nrefs; i++) {
		const struct plan_refres *r = &c->p->refs[i];
		char *subject;

		if (r->step >= 0 || r->ref->endpoint == NULL)
			continue;
		subject = ref_subject(r);
		idx = chk_item_get(c, PLAN_CHK_REF_RESOLVE, CHK_PRE, subject, subject, &fresh);
		free(subject);
		if (!fresh)
			continue;
		chk_resolve_probed(c, idx, r);
		if (chk_item_at(c, idx)->res.status == CHK_FAIL)
			stale_add(c, idx);
	}
}

/*
 * `endpoint` before retire: the endpoint items where the old certificate
 * stays in use, or one item saying there are none.  Every ref's endpoint
 * has been judged by then.
 */
static void
retire_endpoints(struct chk_ctx *c, const struct chk_at *at)
{
	size_t k, idx;
	int fresh;

	if (c->o.journal)
		judge_every_ref(c);
	untouched_refs(c);
	for (k = 0; k < c->nstale; k++)
		chk_attach(c, at, c->stale[k]);
	if (c->nstale > 0)
		return;
	idx = chk_item_get(c, PLAN_CHK_ENDPOINT, at->phase, "certificate old", "certificate old",
	    &fresh);
	chk_attach(c, at, idx);
	if (!fresh)
		return;
	if (!c->o.probe)
		chk_result_set(&chk_item_at(c, idx)->res, CHK_SKIP, "not probed (--no-probe): whether "
		    "an endpoint still serves the old certificate is not known");
	else
		chk_result_set(&chk_item_at(c, idx)->res, CHK_PASS, "no endpoint will still serve the "
		    "old certificate once the steps before are done");
}

/* After a restart: every changed ref of the service that has an endpoint. */
static void
restart_endpoints(struct chk_ctx *c, const struct chk_at *at)
{
	size_t *which = NULL, n = 0, cap = 0, i;

	/* one batch of probes for the service, in parallel */
	for (i = 0; c->o.probe && i < c->p->nrefs; i++) {
		const struct plan_refres *r = &c->p->refs[i];

		if (r->service != at->s->service || r->step < 0)
			continue;
		cr_grow(&which, &cap, n + 2, sizeof(*which));
		if (c->probe_of[i] != 0)
			which[n++] = c->probe_of[i] - 1;
		if (c->probe_nosni[i] != 0)
			which[n++] = c->probe_nosni[i] - 1;
	}
	if (n > 0)
		chk_probes_run(&c->probes, which, n, c->o.in_flight, c->o.timeout_ms, 0);
	free(which);
	for (i = 0; i < c->p->nrefs; i++) {
		const struct plan_refres *r = &c->p->refs[i];

		if (r->service == at->s->service && r->step >= 0 && r->ref->endpoint != NULL)
			ref_endpoint(c, at, r);
	}
}

void
chk_eval_endpoint(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_step *s = at->s;

	if (s == NULL)
		return;
	if (at->ref != NULL)
		ref_endpoint(c, at, at->ref);
	else if (s->type == PLAN_RETIRE && at->phase == CHK_PRE)
		retire_endpoints(c, at);
	else if (s->type == PLAN_RESTART && at->phase == CHK_VERIFY)
		restart_endpoints(c, at);
}

/* After ref r's step is undone: the old certificate again, nothing else. */
static void
rb_ref_endpoint(struct chk_ctx *c, const struct chk_at *at, const struct plan_refres *r)
{
	struct chk_item *it;
	struct seen sn;
	size_t idx;
	char *subject, *who;
	int fresh;

	probe_ref(c, r);
	subject = ref_subject(r);
	idx = chk_item_get(c, PLAN_CHK_RB_ENDPOINT, at->phase, subject, subject, &fresh);
	free(subject);
	chk_attach(c, at, idx);
	if (!fresh || probe_for(c, idx, r, &sn) == NULL)
		return;
	it = chk_item_at(c, idx);
	if (sn.what != NULL && strcmp(sn.what, "old") == 0) {
		chk_result_set(&it->res, CHK_PASS, "'%s'%s serves the old certificate again",
		    sn.pr->endpoint, sn.via);
	} else if (sn.what != NULL) {
		chk_result_set(&it->res, CHK_FAIL, "'%s'%s still serves the new certificate after "
		    "the rollback: the service has not picked up the old one (restart or reload it "
		    "again), or another binding answers there", sn.pr->endpoint, sn.via);
	} else {
		who = stranger(sn.pr);
		chk_result_set(&it->res, CHK_FAIL, "'%s'%s serves neither the old nor the new "
		    "certificate after the rollback but %s", sn.pr->endpoint, sn.via, who);
		free(who);
	}
}

/*
 * rollback.endpoint: after a ref's undo (no restart of its service to come),
 * or a service's restart again: every endpoint of the refs rolled back - not
 * done any more: a ref whose change was in effect before the run stays on
 * the new certificate - serves the old certificate.
 */
void
chk_eval_rb_endpoint(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_step *s = at->s;
	size_t i;

	if (s == NULL)
		return;
	if (at->ref != NULL) {
		if (at->ref->ref->endpoint != NULL && !chk_done(c, at->ref->step))
			rb_ref_endpoint(c, at, at->ref);
		return;
	}
	for (i = 0; s->type == PLAN_RESTART && i < c->p->nrefs; i++) {
		const struct plan_refres *r = &c->p->refs[i];

		if (r->service == s->service && r->step >= 0 && r->ref->endpoint != NULL &&
		    !chk_done(c, r->step))
			rb_ref_endpoint(c, at, r);
	}
}

void
chk_endpoint_setup(struct chk_ctx *c)
{
	size_t i;

	c->probe_of = cr_xcalloc(c->p->nrefs + 1, sizeof(size_t));
	c->probe_nosni = cr_xcalloc(c->p->nrefs + 1, sizeof(size_t));
	for (i = 0; i < c->p->nrefs; i++) {
		const struct plan_ref *ref = c->p->refs[i].ref;
		if (ref->endpoint != NULL && ref->sni == NULL)
			plan_map_put(&c->declared_nosni, ref->endpoint, i, NULL);
	}
	if (!c->o.probe)
		return;
	/* every ref a step moves (several refs may share a file's step) */
	for (i = 0; i < c->p->nrefs; i++) {
		const struct plan_ref *ref = c->p->refs[i].ref;
		size_t ri = i;
		/* done steps too: a ref already on the new certificate is exactly where
		   a forgotten second binding shows (the story of the two 443 bindings) */
		if (c->p->refs[i].step < 0 || ref->endpoint == NULL)
			continue;
		c->probe_of[ri] = chk_probes_add(&c->probes, ref->endpoint, ref->sni,
		    ref->starttls_smtp) + 1;
		if (ref->sni != NULL)
			c->probe_nosni[ri] = chk_probes_add(&c->probes, ref->endpoint, NULL,
			    ref->starttls_smtp) + 1;
	}
	/* a ref the plan leaves alone is probed whatever its identity resolves to:
	   an endpoint still serving the old certificate means that identity is
	   wrong (SPEC 6 ref.resolve) */
	for (i = 0; i < c->p->nrefs; i++) {
		const struct plan_ref *ref = c->p->refs[i].ref;

		if (c->p->refs[i].step < 0 && ref->endpoint != NULL)
			c->probe_of[i] = chk_probes_add(&c->probes, ref->endpoint, ref->sni,
			    ref->starttls_smtp) + 1;
	}
	chk_probes_run(&c->probes, NULL, 0, c->o.in_flight, c->o.timeout_ms, c->o.progress);
}

void
chk_endpoint_invalidate(struct chk_ctx *c, unsigned what)
{
	/* the endpoint items are judged again, and list themselves again */
	if (what & (CHK_F_PROBES | CHK_F_DONE))
		c->nstale = 0;
	if (what & CHK_F_PROBES)
		chk_probes_stale(&c->probes);
}

void
chk_endpoint_release(struct chk_ctx *c)
{
	chk_probes_release(&c->probes);
	free(c->probe_of);
	free(c->probe_nosni);
	free(c->stale);
	plan_map_release(&c->declared_nosni);
}
