/*
 * chk_ref.c - the refs family: how a ref's identity resolved (ref.resolve),
 * whether a connector's name matches more than one certificate
 * (ref.ambiguous), the connector's new name (ref.name), and whether a ref
 * the plan leaves in place names an expired certificate (ref.expired).
 * All from the plan's resolution: nothing is read here.
 */
#include <stdlib.h>

#include "internal.h"
#include "../common/util.h"

/*
 * A ref the plan leaves alone with an endpoint is judged by what its
 * endpoint serves (chk_resolve_probed); any other by the plan's resolution,
 * whose note says it in one sentence (with what the identity is near).
 */
void
chk_eval_ref_resolve(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_refres *r = at->ref;
	struct chk_result *res;
	size_t idx;
	int fresh;
	char *b;

	if (c->o.probe && r->ref->endpoint != NULL && r->step < 0) {
		idx = chk_fresh_item(c, at, &fresh);
		if (fresh)
			chk_resolve_probed(c, idx, r);
		return;
	}
	if ((res = chk_fresh(c, at)) == NULL)
		return;
	switch (r->denotes) {
	case PLAN_DENOTES_UNKNOWN:
		if (r->note != NULL)
			chk_result_set(res, CHK_WARN, "%s", r->note);
		else
			chk_result_set(res, CHK_WARN, "'%s' matches no known certificate: the planner "
			    "cannot tell whether it must move", r->ref->cert);
		return;
	case PLAN_DENOTES_PROTECTED:
		chk_result_set(res, CHK_PASS, "'%s' denotes a protected certificate: left alone",
		    r->ref->cert);
		return;
	default:
		break;
	}
	if (r->cert == NULL) {
		chk_result_set(res, CHK_PASS, "'%s' denotes the %s certificate", r->ref->cert,
		    plan_denotes_name(r->denotes));
		return;
	}
	b = chk_cert_brief(r->cert);
	chk_result_set(res, CHK_PASS, "'%s' denotes the %s certificate %s", r->ref->cert,
	    plan_denotes_name(r->denotes), b);
	free(b);
}

void
chk_eval_ref_ambiguous(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_refres *r = at->ref;
	struct chk_result *res = chk_fresh(c, at);

	if (res == NULL)
		return;
	if (r->nmatch > 1 && r->note != NULL)
		chk_result_set(res, CHK_WARN, "%s", r->note);
	else if (r->nmatch > 1)
		chk_result_set(res, CHK_WARN, "the name '%s' matches %zu known certificates: "
		    "the service may pick either", r->ref->cert, r->nmatch);
	else
		chk_result_set(res, CHK_PASS, "the name matches one known certificate");
}

/* The name a rename step sets: only a step knows it. */
void
chk_eval_ref_name(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_step *s = at->s;
	struct chk_result *res;

	if (s == NULL || (res = chk_fresh(c, at)) == NULL)
		return;
	if (s->change != NULL)
		chk_result_set(res, CHK_PASS, "new name %s (%s): the connector must be "
		    "renamed before the old certificate goes", s->to ? s->to : "?", s->change);
	else
		chk_result_set(res, CHK_PASS, "new name %s: issuer and subject unchanged",
		    s->to ? s->to : "?");
}

/*
 * Only a ref on a certificate that stays - a protected or another one -
 * can keep an expired certificate in use; refs on old move, refs on
 * nothing known have no date to judge.
 */
void
chk_eval_ref_expired(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_refres *r = at->ref;
	struct chk_result *res;
	struct crt_expiry e;
	char *subject;

	if (r->cert == NULL || (r->denotes != PLAN_DENOTES_PROTECTED &&
	    r->denotes != PLAN_DENOTES_OTHER))
		return;
	if ((res = chk_fresh(c, at)) == NULL)
		return;
	/* the expiry alone (crt_info_get's): a ref's check runs once per ref */
	crt_cert_expiry(r->cert, c->o.now, &e);
	if (e.expired) {
		subject = crt_cert_subject(r->cert);
		chk_result_set(res, CHK_WARN, "'%s' stays on '%s', which EXPIRED %s ago: expired "
		    "certificates break TLS and upgrades (Exchange setup fails on them); replace "
		    "it too", r->ref->cert, subject, e.amount);
		free(subject);
	} else
		chk_result_set(res, CHK_PASS, "'%s' stays on a certificate valid for %s more",
		    r->ref->cert, e.amount);
}
