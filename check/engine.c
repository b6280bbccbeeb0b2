/*
 * engine.c - the check engine (check.h): walks the registry (registry.c,
 * from plan/checks.def) for the checks a step lists, names their subjects,
 * keeps the journal's view of which steps are done, and forgets what the
 * executor changed.  What each check does is its evaluator's business
 * (chk_*.c); nothing here knows one check from another but by its row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../common/util.h"
#include "../pkcs11/p11.h"

/*
 * The subject of a check of kind `kind` where `at` says, as people read
 * it: a new string in *owned, or a static one; NULL when `at` has no such
 * subject (the check does not apply: `names` of a step without a service).
 * Kinds the evaluator names (tokens, endpoints) apply everywhere.
 */
static const char *
subject_of(const struct chk_ctx *c, enum chk_subject kind, const struct chk_at *at,
    char **owned, int *applies)
{
	const struct plan_step *s = at->s;

	*owned = NULL;
	*applies = 1;
	switch (kind) {
	case CHK_SUBJ_NEW:
		*applies = c->in->new != NULL;
		return "certificate new";
	case CHK_SUBJ_OLD:
		*applies = c->in->old != NULL;
		return "certificate old";
	case CHK_SUBJ_KEY:
		return *owned = cr_xasprintf("key %s", c->cfg->rotation.key);
	case CHK_SUBJ_SERVICE:
		/* a file shared by refs of several services: each ref's own */
		if (at->ref != NULL)
			return *owned = cr_xasprintf("service %s", at->ref->service->name);
		if (s != NULL && s->service != NULL)
			return *owned = cr_xasprintf("service %s", s->service->name);
		break;
	case CHK_SUBJ_HOST:
		/* a file shared by services of several hosts: each ref's own */
		if (at->ref != NULL && at->ref->host != NULL && s != NULL)
			return *owned = cr_xasprintf("host %s", at->ref->host->name);
		if (s != NULL && s->host_cfg != NULL)
			return *owned = cr_xasprintf("host %s", s->host_cfg->name);
		break;
	case CHK_SUBJ_REF:
		if (at->ref != NULL)
			return *owned = cr_xasprintf("ref %s/%s", at->ref->service->name,
			    at->ref->ref->id);
		break;
	case CHK_SUBJ_ACCOUNT:
		if (s != NULL && s->account != NULL)
			return *owned = cr_xasprintf("account %s/%s", s->host, s->account);
		break;
	case CHK_SUBJ_PLACE:
		if (s != NULL && strncmp(s->host, "token:", 6) == 0)
			return *owned = cr_xasprintf("token %s", s->host + 6);
		if (s != NULL)
			return *owned = cr_xasprintf("host %s", s->host);
		break;
	case CHK_SUBJ_STEP:
		if (s != NULL)
			return *owned = cr_xasprintf("step %s", s->id);
		break;
	case CHK_SUBJ_TOKEN:
	case CHK_SUBJ_ENDPOINT:
	case CHK_SUBJ_SETTING:
	case CHK_SUBJ_FILE:
		return NULL;
	case CHK_SUBJ_NONE:
		break;
	}
	*applies = 0;
	return NULL;
}

/*
 * Evaluates `check` in `phase` for step `step` (CHK_NO_STEP: of no step,
 * about ref `ref` when it is a ref's), through its row.
 */
static void
run_check(struct chk_ctx *c, enum plan_check check, enum chk_phase phase, size_t step,
    const struct plan_refres *ref)
{
	const struct chk_row *row = &chk_registry[check];
	struct chk_at at = { check, phase, step, NULL, ref, NULL };
	char *owned;
	int applies;

	if (row->eval == NULL)
		return;
	if (step != CHK_NO_STEP) {
		at.s = &c->p->steps[step];
		at.ref = ref != NULL ? ref : at.s->res;
	}
	at.subject = subject_of(c, row->subject, &at, &owned, &applies);
	if (applies)
		row->eval(c, &at);
	free(owned);
}

static void
step_status(struct chk_ctx *c, size_t i, enum chk_phase phase, struct chk_step_report *sr)
{
	if (phase == CHK_PRE && c->done[i])
		sr->status = CHK_STEP_DONE;
	else
		sr->status = chk_list_fails(c, sr) ? CHK_STEP_BLOCKED : CHK_STEP_READY;
	sr->exit = chk_list_exit(c, sr);
}

const struct chk_step_report *
chk_step(struct chk_ctx *c, size_t i, enum chk_phase phase)
{
	const struct plan_step *s;
	const enum plan_check *ids;
	struct chk_step_report *sr;
	size_t k, n, j;

	if (c->p == NULL || i >= c->p->nsteps)
		return NULL;
	s = &c->p->steps[i];
	sr = phase == CHK_PRE ? &c->rep->steps[i] : &c->rep->verify[i];
	ids = phase == CHK_PRE ? s->pre : phase == CHK_VERIFY ? s->verify : s->rbverify;
	n = phase == CHK_PRE ? s->npre : phase == CHK_VERIFY ? s->nverify : s->nrbverify;
	sr->n = 0;
	c->call++;
	for (k = 0; k < n; k++) {
		/* a done step's preconditions are moot, but what its endpoint serves is not */
		if (phase == CHK_PRE && c->done[i] && !(chk_registry[ids[k]].flags & CHK_F_EVEN_DONE))
			continue;
		run_check(c, ids[k], phase, i, NULL);
		/* the other refs of a file shared by several: their own refs, services, endpoints */
		for (j = 1; j < s->nfrefs; j++)
			run_check(c, ids[k], phase, i, &c->p->refs[s->frefs[j]]);
	}
	step_status(c, i, phase, sr);
	return sr;
}

/*
 * The checks `check` evaluates even where no step lists them (CHK_F_TOP),
 * in the registry's order: the certificates' own, the new key (always
 * proven, e.g. when the import onto the token is done), then for each ref
 * the plan leaves alone how it resolved and whether it is expired.  Without
 * a plan (chk_unplanned) only the certificates' own.
 */
static void
top_level(struct chk_ctx *c)
{
	size_t i, k;

	for (k = 1; k < PLAN_NCHECKS; k++) {
		const struct chk_row *row = &chk_registry[k];

		if (!(row->flags & CHK_F_TOP) || row->subject == CHK_SUBJ_REF ||
		    (c->p == NULL && row->subject != CHK_SUBJ_NEW && row->subject != CHK_SUBJ_OLD &&
		    row->subject != CHK_SUBJ_SETTING))
			continue;
		run_check(c, (enum plan_check)k, CHK_PRE, CHK_NO_STEP, NULL);
	}
	for (i = 0; c->p != NULL && i < c->p->nrefs; i++) {
		if (c->p->refs[i].step >= 0)
			continue;
		for (k = 1; k < PLAN_NCHECKS; k++)
			if ((chk_registry[k].flags & CHK_F_TOP) && chk_registry[k].subject == CHK_SUBJ_REF)
				run_check(c, (enum plan_check)k, CHK_PRE, CHK_NO_STEP, &c->p->refs[i]);
	}
}

/*
 * One verdict (check.h): a failed check no pending step lists stops the
 * rotation - it joins every pending step's list.
 */
static void
gate(struct chk_ctx *c)
{
	struct chk_report *rep = c->rep;
	unsigned char *blocks = cr_xcalloc(rep->n + 1, 1);
	size_t i, k;

	for (i = 0; i < rep->nsteps; i++)
		for (k = 0; !c->done[i] && k < rep->steps[i].n; k++)
			blocks[rep->steps[i].items[k]] = 1;
	for (k = 0; k < rep->n; k++) {
		struct chk_item *it = &rep->items[k];

		if (blocks[k] || !chk_item_fails(c, it))
			continue;
		it->stops = 1;
		for (i = 0; i < rep->nsteps; i++) {
			struct chk_step_report *sr = &rep->steps[i];

			if (c->done[i])
				continue;
			cr_grow(&sr->items, &sr->cap, sr->n + 1, sizeof(sr->items[0]));
			sr->items[sr->n++] = k;
		}
	}
	free(blocks);
}

void
chk_plan(struct chk_ctx *c)
{
	size_t i;

	for (i = 0; i < c->p->nsteps; i++)
		(void)chk_step(c, i, CHK_PRE);
	top_level(c);
	chk_report_count(c->rep, c->o.strict);
	gate(c);
	/* a check listed by an earlier step may have been judged again since
	   (an undeclared binding found in effect by a later ref) */
	for (i = 0; i < c->p->nsteps; i++)
		step_status(c, i, CHK_PRE, &c->rep->steps[i]);
}

struct chk_ctx *
chk_ctx_new(const struct plan *p, struct p11_ctx *p11, const struct chk_opts *o)
{
	struct chk_ctx *c = cr_xcalloc(1, sizeof(*c));
	size_t i;

	c->p = p;
	c->cfg = p->cfg;
	c->in = p->in;
	c->p11 = p11;
	c->o = *o;
	c->rep = &c->own;
	c->rep->nsteps = p->nsteps;
	c->rep->steps = cr_xcalloc(p->nsteps + 1, sizeof(c->rep->steps[0]));
	c->rep->verify = cr_xcalloc(p->nsteps + 1, sizeof(c->rep->verify[0]));
	c->done = cr_xcalloc(p->nsteps + 1, 1);
	c->restart_of = cr_xcalloc(c->cfg->nservices + 1, sizeof(*c->restart_of));
	c->retire_step = -1;
	for (i = 0; i < c->cfg->nservices; i++)
		c->restart_of[i] = -1;
	for (i = 0; i < p->nsteps; i++) {
		const struct plan_step *s = &p->steps[i];

		c->done[i] = s->done != 0;
		if (s->type == PLAN_RETIRE)
			c->retire_step = (long)i;
		if (s->type == PLAN_RESTART && s->service != NULL)
			c->restart_of[s->service - c->cfg->services] = (long)i;
	}
	chk_cert_setup(c);
	chk_endpoint_setup(c);
	return c;
}

void
chk_ctx_free(struct chk_ctx *c)
{
	if (c == NULL)
		return;
	chk_cert_release(c);
	chk_endpoint_release(c);
	chk_files_release(c);
	chk_hooks_release(c);
	chk_report_release(&c->own);
	free(c->done);
	free(c->restart_of);
	free(c);
}

const struct chk_report *
chk_ctx_report(const struct chk_ctx *c)
{
	return c->rep;
}

/* Marks the items whose results depend on `what` to be evaluated again. */
static void
forget(struct chk_ctx *c, unsigned what)
{
	size_t i;

	for (i = 0; i < c->rep->n; i++)
		if (chk_registry[c->rep->items[i].check].flags & what)
			c->rep->items[i].stale = 1;
	chk_endpoint_invalidate(c, what);
}

void
chk_set_done(struct chk_ctx *c, size_t step, int done)
{
	if (c->p == NULL || step >= c->p->nsteps || c->done[step] == (done != 0))
		return;
	c->done[step] = done != 0;
	forget(c, CHK_F_DONE);
}

int
chk_is_done(const struct chk_ctx *c, size_t step)
{
	return c->p != NULL && step < c->p->nsteps && c->done[step];
}

void
chk_invalidate(struct chk_ctx *c, unsigned what)
{
	forget(c, what & CHK_F_WORLD);
}

/* ---- a check without a plan ----------------------------------------------------- */

/*
 * The item of a source that failed to load: a module or token that failed
 * (a reason of the token family) is token.login's failure, and the load is
 * skipped; anything else is the load's own failure.
 */
static void
failed_load(struct chk_ctx *c, enum plan_check id, const char *subject, const char *source,
    const struct cr_err *e)
{
	/* import_to (id NONE) is a token in itself */
	int token = id == PLAN_CHK_NONE ||
	    (e->status == CR_EENV && p11_reason_is_token(e->reason));
	size_t idx;
	int fresh;

	if (token) {
		char *who = cr_xasprintf("token of '%s'", source != NULL ? source : "?");
		idx = chk_item_get(c, PLAN_CHK_TOKEN_LOGIN, CHK_PRE, who, who, &fresh);
		free(who);
		if (fresh) {
			chk_result_set(&chk_item_at(c, idx)->res, CHK_FAIL, "%s", e->msg);
			chk_item_at(c, idx)->status = e->status;
		}
		if (id != PLAN_CHK_NONE) {
			idx = chk_item_get(c, id, CHK_PRE, subject, subject, &fresh);
			chk_result_set(&chk_item_at(c, idx)->res, CHK_SKIP, "not read: the token could "
			    "not be used (token.login)");
		}
		return;
	}
	idx = chk_item_get(c, id, CHK_PRE, subject, subject, &fresh);
	chk_result_set(&chk_item_at(c, idx)->res, CHK_FAIL, "%s", e->msg);
	chk_item_at(c, idx)->status = e->status;
}

int
chk_unplanned(const struct plan_config *cfg, const struct plan_inputs *in,
    const struct chk_opts *o, const struct cr_err *err, struct chk_report *rep)
{
	struct chk_ctx c = { .cfg = cfg, .in = in, .o = *o, .rep = rep };
	const struct plan_rotation *rot;
	size_t i;

	if (cfg == NULL || in == NULL || in->failed == PLAN_INPUT_NONE ||
	    in->failed == PLAN_INPUT_SOURCES)
		return 0;
	rot = &cfg->rotation;
	top_level(&c);
	if (in->old == NULL)
		failed_load(&c, PLAN_CHK_OLD_LOAD, "certificate old", rot->old, err);
	if (in->new == NULL && in->old == NULL && in->new_err.status != CR_OK)
		failed_load(&c, PLAN_CHK_NEW_LOAD, "certificate new", rot->new, &in->new_err);
	else if (in->new == NULL && in->failed == PLAN_INPUT_NEW)
		failed_load(&c, PLAN_CHK_NEW_LOAD, "certificate new", rot->new, err);
	if (in->old != NULL && in->new != NULL) {
		/* both loaded: what failed came after them */
		if (in->failed == PLAN_INPUT_CHAIN || in->failed == PLAN_INPUT_TRUST)
			failed_load(&c, PLAN_CHK_NEW_CHAIN, "certificate new", NULL, err);
		else
			failed_load(&c, PLAN_CHK_NONE, NULL, in->failed_source, err);
	}
	chk_report_count(rep, o->strict);
	/* no plan without them: every failure stops the rotation */
	for (i = 0; i < rep->n; i++)
		rep->items[i].stops = chk_item_fails(&c, &rep->items[i]);
	return 1;
}
