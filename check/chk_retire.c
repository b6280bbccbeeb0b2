/*
 * chk_retire.c - the retire family: nothing refers to the old certificate
 * any more (retire.refs), it is not protected (retire.protected), and
 * after the retire step it is gone from its place (retire.absent).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../cert/layout.h"
#include "../common/util.h"

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
 * Before retire; of no step only when the plan has no retire step (the old
 * certificate is protected: that is why).
 */
void
chk_eval_retire_protected(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan *p = c->p;
	struct chk_result *r;

	if (p == NULL || (at->s == NULL && c->retire_step >= 0) || (r = chk_fresh(c, at)) == NULL)
		return;
	if (at->s == NULL && p->old_protected)
		chk_result_set(r, CHK_PASS, "the old certificate is protected%s%s: no retire step "
		    "is planned", p->old_protect ? " by " : "", p->old_protect ? p->old_protect->text : "");
	else if (p->old_protected)
		chk_result_set(r, CHK_FAIL, "the old certificate is listed in `protect`%s%s: "
		    "it must never be retired", p->old_protect ? " as " : "",
		    p->old_protect ? p->old_protect->text : "");
	else
		chk_result_set(r, CHK_PASS, "the old certificate is not protected");
}

/* retire.absent of a file: the old source no longer holds the old certificate. */
static void
absent_from_file(struct chk_ctx *c, struct chk_item *it)
{
	const char *path = c->cfg->rotation.old_src.path;
	struct crt_layout l;
	struct cr_err err;

	cr_err_clear(&err);
	if (crt_layout_read(path, &l, &err) != CR_OK) {
		if (l.missing)
			chk_result_set(&it->res, CHK_PASS, "'%s' is gone", path);
		else
			chk_result_set(&it->res, CHK_FAIL, "%s", err.msg);
	} else if (l.ncerts > 0 && X509_cmp(sk_X509_value(l.certs, 0), c->in->old->x509) == 0) {
		chk_result_set(&it->res, CHK_FAIL, "'%s' still holds the old certificate", path);
	} else {
		chk_result_set(&it->res, CHK_PASS, "'%s' no longer holds the old certificate", path);
	}
	crt_layout_release(&l);
}

/*
 * retire.absent: the old certificate is gone from the token (read now) or
 * from its file.  A host's store (a hook's or the operator's retire) cannot
 * be seen from here.
 */
void
chk_eval_retire_absent(struct chk_ctx *c, const struct chk_at *at)
{
	int fresh;
	size_t idx = chk_fresh_item(c, at, &fresh);

	if (!fresh)
		return;
	switch (at->s->variant) {
	case PLAN_V_RETIRE_TOKEN:
		chk_token_presence(c, idx, &c->cfg->rotation.old_src, c->in->old, 0,
		    "the old certificate is still on token '%s'",
		    "the old certificate is no longer on token '%s'");
		break;
	case PLAN_V_RETIRE_FILE:
		absent_from_file(c, chk_item_at(c, idx));
		break;
	default:
		chk_result_set(&chk_item_at(c, idx)->res, CHK_SKIP, "cannot be seen from here: "
		    "verify that the old certificate is gone from %s", at->s->host);
		break;
	}
}
