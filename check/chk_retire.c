/*
 * chk_retire.c - the retire family: nothing refers to the old certificate
 * any more (retire.refs), it is not protected (retire.protected), and
 * after a retire step it is gone from its place (retire.absent).
 */
#include <stdlib.h>

#include "internal.h"
#include "../common/util.h"
#include "../cert/ident.h"

/* Whether pending step si has a check that fails (a warning too, with --strict). */
static int
step_blocked(const struct chk_ctx *c, size_t si)
{
	return !chk_done(c, (long)si) && chk_list_fails(c, &c->rep->steps[si]);
}

/*
 * The steps that move a ref off the old certificate, in plan order, into
 * `steps`; the refs on it that no step moves into `stuck`; and into `late`
 * those of the steps that keep the old certificate in use: in projection
 * (check) the ones that are blocked - judged already, they come before
 * retire - and in journal mode (run) the ones not done.
 */
static void
moving_steps(const struct chk_ctx *c, struct cr_buf *steps, size_t *nmove, struct cr_buf *stuck,
    size_t *nstuck, struct cr_buf *late, size_t *nlate)
{
	unsigned char *moves = cr_xcalloc(c->p->nsteps + 1, 1);
	size_t i;

	for (i = 0; i < c->p->nrefs; i++) {
		const struct plan_refres *r = &c->p->refs[i];
		if (r->denotes != PLAN_DENOTES_OLD)
			continue;
		if (r->step >= 0) {
			moves[r->step] = 1;
			(*nmove)++;
		} else {
			cr_buf_addf(stuck, "%s%s/%s", *nstuck ? ", " : "", r->service->name, r->ref->id);
			(*nstuck)++;
		}
	}
	for (i = 0; i < c->p->nsteps; i++) {
		if (!moves[i])
			continue;
		cr_buf_addf(steps, "%s%s", steps->len ? ", " : "", c->p->steps[i].id);
		if (c->o.journal ? !chk_done(c, (long)i) : step_blocked(c, i))
			cr_buf_addf(late, "%s%s", (*nlate)++ ? ", " : "", c->p->steps[i].id);
	}
	free(moves);
}

void
chk_eval_retire_refs(struct chk_ctx *c, const struct chk_at *at)
{
	struct cr_buf steps = CR_BUF_INIT, stuck = CR_BUF_INIT, late = CR_BUF_INIT;
	size_t nmove = 0, nstuck = 0, nlate = 0;
	struct chk_result *r = chk_fresh(c, at);

	if (r == NULL)
		return;
	moving_steps(c, &steps, &nmove, &stuck, &nstuck, &late, &nlate);
	if (nstuck > 0)
		chk_result_set(r, CHK_FAIL, "%zu ref%s will still denote the old certificate "
		    "after the plan: %s", nstuck, nstuck == 1 ? "" : "s", cr_buf_str(&stuck));
	else if (nlate > 0)
		chk_result_set(r, CHK_FAIL, "retire waits for %s, which %s %s: the old "
		    "certificate stays in use until %s done", cr_buf_str(&late),
		    nlate == 1 ? "is" : "are", c->o.journal ? "not done yet" : "blocked",
		    nlate == 1 ? "it is" : "they are");
	else if (nmove > 0 && c->o.journal)
		chk_result_set(r, CHK_PASS, "the %zu ref%s on the old certificate moved: %s done",
		    nmove, nmove == 1 ? "" : "s", cr_buf_str(&steps));
	else if (nmove > 0)
		chk_result_set(r, CHK_PASS, "%zu ref%s on the old certificate move first: "
		    "retire waits for %s", nmove, nmove == 1 ? "" : "s", cr_buf_str(&steps));
	else
		chk_result_set(r, CHK_PASS, "no ref denotes the old certificate");
	cr_buf_release(&steps);
	cr_buf_release(&stuck);
	cr_buf_release(&late);
}

/*
 * retire.protected (SPEC 6): fails when the old certificate is listed in
 * `protect` and retire is not keep - before every retire step (they exist
 * and are blocked, naming the entry), or as a check of no step when the
 * plan has none to block (an old certificate read from a file, no host
 * held it): a thumbprint pasted into `protect` by mistake must show.  With
 * retire = keep nothing is retired and there is nothing to judge.
 */
void
chk_eval_retire_protected(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan *p = c->p;
	const struct plan_protect *pr;
	struct chk_result *r;

	if (p == NULL || c->cfg->rotation.retire == PLAN_RETIRE_KEEP ||
	    (at->s == NULL && c->retire_step >= 0) || (r = chk_fresh(c, at)) == NULL)
		return;
	pr = p->old_protect;
	if (!p->old_protected)
		chk_result_set(r, CHK_PASS, "the old certificate is not protected");
	else if (pr != NULL)
		chk_result_set(r, CHK_FAIL, "the old certificate is listed in `protect` (%s, %s:%d: "
		    "'%s') while retire = \"%s\": a protected certificate is never retired; remove "
		    "the entry if it was pasted there by mistake, or set retire = \"keep\"", pr->path,
		    pr->loc.file, pr->loc.line, pr->text, plan_retire_mode_name(c->cfg->rotation.retire));
	else
		chk_result_set(r, CHK_FAIL, "the old certificate is protected while retire = \"%s\": "
		    "a protected certificate is never retired; set retire = \"keep\"",
		    plan_retire_mode_name(c->cfg->rotation.retire));
}

/*
 * rollback.retire: after the retire is undone, the old certificate is on its
 * token again (read now).  Listed for a token's retire only (a host's:
 * rollback.unseen).
 */
void
chk_eval_rb_retire(struct chk_ctx *c, const struct chk_at *at)
{
	int fresh;
	size_t idx = chk_fresh_item(c, at, &fresh);

	if (!fresh)
		return;
	chk_token_presence(c, idx, &c->cfg->rotation.old_src, c->in->old, 1,
	    "token '%s' holds the old certificate again",
	    "the old certificate is not back on token '%s' after the rollback");
}

/*
 * retire.absent: the old certificate is gone from the token (read now).  A
 * host's store (a hook's or the operator's retire) cannot be seen from
 * here: the check says what to verify there.
 */
void
chk_eval_retire_absent(struct chk_ctx *c, const struct chk_at *at)
{
	int fresh;
	size_t idx = chk_fresh_item(c, at, &fresh);
	char *ident;

	if (!fresh)
		return;
	if (at->s->variant == PLAN_V_RETIRE_TOKEN) {
		chk_token_presence(c, idx, &c->cfg->rotation.old_src, c->in->old, 0,
		    "the old certificate is still on token '%s'",
		    "the old certificate is no longer on token '%s'");
		return;
	}
	ident = crt_ident_of(c->in->old);
	chk_result_set(&chk_item_at(c, idx)->res, CHK_SKIP, "the certificate store of %s cannot "
	    "be seen from here: verify there that the old certificate %s is gone", at->s->host, ident);
	free(ident);
}
