/*
 * exec.c - the loop of `run` and `rollback` (exec.h): the journal around
 * every action, the checks before and after it, resume, the operator's
 * answers.  Prints nothing: what happens goes to x->ui.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec.h"
#include "../common/util.h"
#include "../plan/map.h"
#include "../pkcs11/p11.h"

static const char *const result_names[ROT_RES_NRESULTS] = {
	[ROT_RES_DONE] = "done",
	[ROT_RES_VERIFIED] = "verified",
	[ROT_RES_IN_EFFECT] = "in-effect",
	[ROT_RES_SKIPPED] = "skipped",
	[ROT_RES_BLOCKED] = "blocked",
	[ROT_RES_FAILED] = "failed",
	[ROT_RES_ABORTED] = "aborted",
	[ROT_RES_MANUAL] = "manual",
	[ROT_RES_UNDONE] = "rolled-back",
};

const char *
rot_result_name(enum rot_result r)
{
	return (unsigned)r < ROT_RES_NRESULTS ? result_names[r] : "?";
}

void
rot_verdict_release(struct rot_verdict *v)
{
	if (v == NULL)
		return;
	free(v->detail);
	memset(v, 0, sizeof(*v));
}

/* ---- the check engine as the loop sees it (rot_exec_engine_checks) -------------------- */

static void
checks_eval(void *ctx, size_t i, enum chk_phase ph, struct rot_verdict *v)
{
	struct chk_ctx *c = ctx;
	const struct chk_step_report *sr = chk_step(c, i, ph);
	const struct chk_report *rep = chk_ctx_report(c);
	struct cr_buf b = CR_BUF_INIT;
	size_t k;

	if (sr == NULL)
		return;
	v->exit = sr->exit;
	for (k = 0; k < sr->n; k++) {
		const struct chk_item *it = &rep->items[sr->items[k]];

		switch (it->res.status) {
		case CHK_PASS: v->npass++; break;
		case CHK_WARN: v->nwarn++; break;
		case CHK_SKIP: v->nskip++; break;
		case CHK_FAIL:
			v->nfail++;
			cr_buf_addf(&b, "%s%s %s: %s", b.len ? "; " : "", it->id, it->subject,
			    it->res.message);
			break;
		}
	}
	v->detail = b.len ? cr_buf_detach(&b) : NULL;
}

static void
checks_done(void *ctx, size_t i, int done)
{
	chk_set_done(ctx, i, done);
}

static void
checks_invalidate(void *ctx, unsigned what)
{
	chk_invalidate(ctx, what);
}

void
rot_exec_engine_checks(struct rot_exec_checks *k, struct chk_ctx *c)
{
	k->eval = checks_eval;
	k->set_done = checks_done;
	k->invalidate = checks_invalidate;
	k->ctx = c;
}

/* ---- the journal ------------------------------------------------------------- */

/* The id the journal knows step i by (journal_ids). */
#define JID(x, i) ((x)->jid[(i)])

/* A step id without its number: "rebind-cas2-owa-https" of "03-rebind-cas2-owa-https". */
static const char *
unnumbered(const char *id)
{
	const char *p = id;

	while (*p >= '0' && *p <= '9')
		p++;
	return p > id && *p == '-' ? p + 1 : id;
}

/*
 * The id under which the journal knows each step: its own, or - when the
 * journal never named it so - the id of a journaled step that differs only
 * by its number: the same step (the unnumbered ids of a plan are unique),
 * moved because the configuration changed between two runs (a binding
 * declared after run stopped on it, SPEC's seed of the second binding).
 * Resume and rollback then know what was done to it.
 */
static void
journal_ids(struct rot_exec *x)
{
	struct plan_map seen = PLAN_MAP_INIT;
	size_t n = rot_journal_nsteps(x->j), i, at;
	struct rot_step_info info;

	x->jid = cr_xcalloc(x->p->nsteps + 1, sizeof(*x->jid));
	for (i = 0; i < n; i++)
		plan_map_put(&seen, unnumbered(rot_journal_step_id(x->j, i)), i, NULL);
	for (i = 0; i < x->p->nsteps; i++) {
		const char *id = x->p->steps[i].id;

		rot_journal_step(x->j, id, &info);
		if (info.at == NULL && plan_map_get(&seen, unnumbered(id), &at))
			id = rot_journal_step_id(x->j, at);
		x->jid[i] = cr_xstrdup(id);
	}
	plan_map_release(&seen);
	if (x->act != NULL)
		x->act->jid = (const char *const *)x->jid;
}

static void
journal_ids_free(struct rot_exec *x)
{
	size_t i;

	for (i = 0; x->jid != NULL && i < x->p->nsteps; i++)
		free(x->jid[i]);
	free(x->jid);
	x->jid = NULL;
	if (x->act != NULL)
		x->act->jid = NULL;
	free(x->refused);
	x->refused = NULL;
}

/*
 * Appends one event of step `id` (NULL: the whole rotation) in x's phase;
 * data: key, value pairs of `out` and then `extra` (NULL-terminated), both
 * may be NULL.  Dies by SIGKILL after the kill_after-th event (test hook).
 */
static int
jlog(struct rot_exec *x, const char *id, enum rot_event ev, const char *detail,
    const struct act_out *out, const char *const *extra, struct cr_err *err)
{
	const char *data[2 * ROT_JOURNAL_DATA_MAX + 1];
	struct rot_journal_event e;
	char *refused = NULL;
	size_t n = 0, i;
	int r;

	for (i = 0; out != NULL && i < out->ndata && n + 2 < 2 * ROT_JOURNAL_DATA_MAX; i++) {
		data[n++] = out->key[i];
		data[n++] = out->value[i];
	}
	for (i = 0; extra != NULL && extra[i] != NULL && extra[i + 1] != NULL &&
	    n + 2 < 2 * ROT_JOURNAL_DATA_MAX; i += 2) {
		data[n++] = extra[i];
		data[n++] = extra[i + 1];
	}
	/* a PIN a token refused: journaled with the next event (whatever it is), so that
	   no later run presents it again; once per change of the list */
	if (x->act != NULL && n + 2 < 2 * ROT_JOURNAL_DATA_MAX &&
	    (refused = p11_ctx_refusals(x->act->p11)) != NULL &&
	    (x->refused == NULL || strcmp(x->refused, refused) != 0)) {
		data[n++] = ROT_JOURNAL_PIN_REFUSED;
		data[n++] = refused;
	}
	data[n] = NULL;
	memset(&e, 0, sizeof(e));
	e.step = id != NULL ? id : ROT_JOURNAL_ROTATION;
	e.event = ev;
	e.phase = x->phase;
	e.detail = detail;
	e.data = n > 0 ? data : NULL;
	r = rot_journal_append(x->j, &e, err);
	if (r == CR_OK && refused != NULL && n >= 2 && data[n - 1] == refused) {
		free(x->refused);
		x->refused = refused;
		refused = NULL;
	}
	free(refused);
	if (r != CR_OK)
		return r;
	x->appended++;
	if (x->kill_after != 0 && x->appended == x->kill_after)
		raise(SIGKILL);
	return CR_OK;
}

/* ---- checks --------------------------------------------------------------------- */

static void
eval(struct rot_exec *x, size_t i, enum chk_phase ph, struct rot_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (x->chk != NULL && x->chk->eval != NULL)
		x->chk->eval(x->chk->ctx, i, ph, v);
	if (x->ui->checks != NULL)
		x->ui->checks(x->ui->ctx, i, ph, v);
}

static int
verdict_fails(const struct rot_verdict *v)
{
	return v->exit != CR_OK || v->nfail > 0;
}

static void
set_done(struct rot_exec *x, size_t i, int done)
{
	if (x->chk != NULL && x->chk->set_done != NULL)
		x->chk->set_done(x->chk->ctx, i, done);
}

static void
invalidate(struct rot_exec *x)
{
	if (x->chk != NULL && x->chk->invalidate != NULL)
		x->chk->invalidate(x->chk->ctx, CHK_F_WORLD);
}

/* ---- a step's visit --------------------------------------------------------------- */

/* The outcome of one step's visit. */
struct visit {
	enum rot_result res;
	int exit;		/* non-zero: the run stops here with this code */
	char *detail;		/* owned */
};

static void
visit_set(struct visit *vi, enum rot_result res, int exit, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
visit_set(struct visit *vi, enum rot_result res, int exit, const char *fmt, ...)
{
	va_list ap;

	vi->res = res;
	vi->exit = exit;
	free(vi->detail);
	vi->detail = NULL;
	if (fmt == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&vi->detail, fmt, ap) < 0)
		vi->detail = NULL;
	va_end(ap);
}

static enum rot_answer
ask(struct rot_exec *x, size_t i, int what, unsigned allowed)
{
	enum rot_answer a = x->ui->prompt(x->ui->ctx, i, what, allowed);

	return (allowed & ROT_ASK(a)) ? a : ROT_ANS_ABORT;
}

/* The facts of the state before the step, journaled with its first start. */
static void
start_facts(struct rot_exec *x, size_t i, const char **extra)
{
	const struct plan_step *s = &x->p->steps[i];
	size_t n = 0;

	if (rot_journal_data(x->j, JID(x, i), ACT_KEY_ACTION) == NULL) {
		extra[n++] = ACT_KEY_ACTION;
		extra[n++] = plan_action_name(s->action);
		extra[n++] = ACT_KEY_VARIANT;
		extra[n++] = plan_variant_name(s->variant);
		extra[n++] = ACT_KEY_PLAN;
		extra[n++] = s->done ? "done" : "pending";
	}
	extra[n] = NULL;
}

/*
 * The preconditions, then the operator's word.  Returns 1 to go ahead, 0
 * when the visit ended (vi filled), -1 on a journal failure.
 */
static int
confirm(struct rot_exec *x, size_t i, struct visit *vi, struct cr_err *err)
{
	const struct plan_step *s = &x->p->steps[i];
	struct rot_verdict v;
	enum rot_answer a;
	int blocked;

	for (;;) {
		eval(x, i, CHK_PRE, &v);
		blocked = verdict_fails(&v);
		if (blocked && !x->interactive) {
			visit_set(vi, ROT_RES_BLOCKED, v.exit ? v.exit : CR_EBLOCK,
			    "preconditions fail: %s", v.detail ? v.detail : "?");
			rot_verdict_release(&v);
			return jlog(x, JID(x, i), ROT_EV_FAILED, vi->detail, NULL, NULL, err) ? -1 : 0;
		}
		if (!blocked && s->action == PLAN_MANUAL && !x->interactive) {
			rot_verdict_release(&v);
			visit_set(vi, ROT_RES_MANUAL, CR_EBLOCK, "%s", s->description);
			return 0;	/* nothing happened: nothing journaled */
		}
		if (!blocked && !x->interactive) {
			rot_verdict_release(&v);
			return 1;
		}
		if (!blocked && s->action == PLAN_MANUAL && x->ui->manual != NULL)
			x->ui->manual(x->ui->ctx, i, 0);
		a = blocked ? ask(x, i, 1, ROT_ASK(ROT_ANS_RECHECK) | ROT_ASK(ROT_ANS_SKIP) |
		    ROT_ASK(ROT_ANS_ABORT)) : ask(x, i, 0, ROT_ASK(ROT_ANS_YES) |
		    ROT_ASK(ROT_ANS_SKIP) | ROT_ASK(ROT_ANS_ABORT) |
		    (s->action == PLAN_MANUAL ? ROT_ASK(ROT_ANS_RECHECK) : 0));
		if (a == ROT_ANS_RECHECK) {
			rot_verdict_release(&v);
			invalidate(x);
			continue;
		}
		if (a == ROT_ANS_YES) {
			rot_verdict_release(&v);
			return 1;
		}
		if (a == ROT_ANS_SKIP)
			visit_set(vi, ROT_RES_SKIPPED, CR_OK, "skipped by the operator%s%s",
			    blocked ? "; its preconditions fail: " : "",
			    blocked && v.detail ? v.detail : "");
		else
			visit_set(vi, ROT_RES_ABORTED, CR_EBLOCK, "aborted by the operator%s%s",
			    blocked ? "; its preconditions fail: " : " before the step started",
			    blocked && v.detail ? v.detail : "");
		rot_verdict_release(&v);
		return jlog(x, JID(x, i), a == ROT_ANS_SKIP ? ROT_EV_SKIPPED : ROT_EV_FAILED, vi->detail,
		    NULL, NULL, err) ? -1 : 0;
	}
}

/*
 * After the action (CHK_VERIFY) or an undo (CHK_ROLLBACK): the step's
 * checks of that phase, again on the operator's request.  Returns 1 when
 * they pass, 0 when the visit ended failed (vi filled; `failing` says what
 * failed, before the checks' details).
 */
static int
verify_phase(struct rot_exec *x, size_t i, enum chk_phase ph, const char *failing,
    struct visit *vi)
{
	struct rot_verdict v;

	for (;;) {
		eval(x, i, ph, &v);
		if (!verdict_fails(&v)) {
			rot_verdict_release(&v);
			return 1;
		}
		if (x->interactive && ask(x, i, 2, ROT_ASK(ROT_ANS_RECHECK) |
		    ROT_ASK(ROT_ANS_ABORT)) == ROT_ANS_RECHECK) {
			rot_verdict_release(&v);
			invalidate(x);
			continue;
		}
		visit_set(vi, ROT_RES_FAILED, v.exit ? v.exit : CR_EBLOCK, "%s: %s", failing,
		    v.detail ? v.detail : "?");
		rot_verdict_release(&v);
		return 0;
	}
}

/* Does step i: preconditions, the operator, start, action, verify, done. */
static int
do_step(struct rot_exec *x, size_t i, struct visit *vi, struct cr_err *err)
{
	const struct plan_step *s = &x->p->steps[i];
	const struct act_row *row = x->lookup(s);
	const char *extra[8];
	struct act_out out;
	struct cr_err e;
	int r;

	set_done(x, i, 0);
	if ((r = confirm(x, i, vi, err)) <= 0)
		return r < 0 ? -1 : 0;
	start_facts(x, i, extra);
	if (jlog(x, JID(x, i), ROT_EV_START, NULL, NULL, extra, err) != CR_OK)
		return -1;
	memset(&out, 0, sizeof(out));
	cr_err_clear(&e);
	if (row == NULL || row->run == NULL)
		r = cr_err_set(&e, CR_EBLOCK, "no action for step '%s' (%s)", s->id,
		    plan_variant_name(s->variant));
	else
		r = row->run(x->act, i, &out, &e);
	invalidate(x);
	if (r != CR_OK) {
		visit_set(vi, ROT_RES_FAILED, r, "%s", e.msg);
	} else {
		set_done(x, i, 1);
		if (verify_phase(x, i, CHK_VERIFY, "its verification fails", vi))
			visit_set(vi, ROT_RES_DONE, CR_OK, "%s", out.detail ? out.detail : "done");
		else
			set_done(x, i, 0);
	}
	r = jlog(x, JID(x, i), vi->res == ROT_RES_DONE ? ROT_EV_DONE : ROT_EV_FAILED, vi->detail, &out,
	    NULL, err);
	act_out_release(&out);
	return r != CR_OK ? -1 : 0;
}

/*
 * A step the journal or the plan says is done: verified.  Returns 1 when
 * that settles it (vi filled), 0 when it is to be done.
 */
static int
verify_known(struct rot_exec *x, size_t i, enum rot_how how, struct visit *vi,
    struct cr_err *err)
{
	struct rot_verdict v;
	int ok, r = 0;

	set_done(x, i, 1);
	eval(x, i, CHK_VERIFY, &v);
	ok = !verdict_fails(&v);
	if (how == ROT_HOW_STARTED)
		ok = ok && v.npass > 0;		/* proven, not merely not disproven */
	if (how == ROT_HOW_DONE && ok) {
		visit_set(vi, ROT_RES_VERIFIED, CR_OK, NULL);
		r = 1;
	} else if (how == ROT_HOW_DONE) {
		visit_set(vi, ROT_RES_FAILED, v.exit ? v.exit : CR_EBLOCK, "journaled done, but its "
		    "verification fails now: %s", v.detail ? v.detail : "?");
		r = jlog(x, JID(x, i), ROT_EV_FAILED, vi->detail, NULL, NULL, err) ? -1 : 1;
	} else if (ok) {
		visit_set(vi, how == ROT_HOW_STARTED ? ROT_RES_VERIFIED : ROT_RES_IN_EFFECT, CR_OK,
		    how == ROT_HOW_STARTED ? "found done when resumed: its verification passes" :
		    "in effect before the run: its verification passes");
		r = jlog(x, JID(x, i), ROT_EV_DONE, vi->detail, NULL, NULL, err) ? -1 : 1;
	} else {
		set_done(x, i, 0);
	}
	rot_verdict_release(&v);
	return r;
}

static enum rot_how
how_to_visit(const struct rot_exec *x, size_t i)
{
	const struct plan_step *s = &x->p->steps[i];
	struct rot_step_info info;

	rot_journal_step(x->j, JID(x, i), &info);
	if (info.phase == ROT_PHASE_RUN && info.state == ROT_STEP_DONE)
		return ROT_HOW_DONE;
	if (info.phase == ROT_PHASE_RUN && info.state == ROT_STEP_STARTED)
		return ROT_HOW_STARTED;
	return s->done ? ROT_HOW_IN_EFFECT : ROT_HOW_RUN;
}

/* ---- the summary ------------------------------------------------------------------- */

static void
summary_add(struct rot_summary *sm, enum rot_result r, size_t i)
{
	sm->by[r] = cr_xrealloc(sm->by[r], (sm->nby[r] + 1) * sizeof(size_t));
	sm->by[r][sm->nby[r]++] = i;
}

static void
summary_release(struct rot_summary *sm)
{
	size_t k;

	for (k = 0; k < ROT_RES_NRESULTS; k++)
		free(sm->by[k]);
	free(sm->left);
}

/* What a visit ended with goes into the summary; 1 when the run goes on. */
static int
account(struct rot_exec *x, size_t i, struct visit *vi, long long t0, struct rot_summary *sm,
    char **stop_detail)
{
	if (x->ui->end != NULL)
		x->ui->end(x->ui->ctx, i, vi->res, cr_mono_ms() - t0, vi->detail);
	summary_add(sm, vi->res, i);
	if (vi->exit == CR_OK) {
		free(vi->detail);
		vi->detail = NULL;
		return 1;
	}
	sm->stop = (long)i;
	sm->stop_result = vi->res;
	sm->exit = vi->exit;
	free(*stop_detail);
	*stop_detail = vi->detail;
	sm->stop_detail = vi->detail;
	vi->detail = NULL;
	return 0;
}

/* Visits step i of a run; 1 when the run goes on, 0 when it stops, -1 journal failure. */
static int
visit(struct rot_exec *x, size_t i, struct rot_summary *sm, char **stop_detail, struct cr_err *err)
{
	struct visit vi = { ROT_RES_DONE, CR_OK, NULL };
	enum rot_how how = how_to_visit(x, i);
	long long t0 = cr_mono_ms();
	int r = 0;

	if (x->ui->step != NULL)
		x->ui->step(x->ui->ctx, i, how);
	if (how != ROT_HOW_RUN)
		r = verify_known(x, i, how, &vi, err);
	if (r == 0)
		r = do_step(x, i, &vi, err);
	else if (r > 0)
		r = 0;
	if (r < 0) {
		free(vi.detail);
		return -1;
	}
	return account(x, i, &vi, t0, sm, stop_detail);
}

/* ---- rollback -------------------------------------------------------------------- */

/* Whether this journal started step i in a run and has not rolled it back since. */
static int
to_undo(const struct rot_exec *x, size_t i)
{
	struct rot_step_info info;

	if (rot_journal_data(x->j, JID(x, i), ACT_KEY_ACTION) == NULL)
		return 0;
	rot_journal_step(x->j, JID(x, i), &info);
	return info.state != ROT_STEP_ROLLED_BACK;
}

/* The place of a step type in the rollback: retire first, imports last. */
static int
undo_rank(enum plan_step_type t)
{
	static const int rank[PLAN_NSTEPTYPES] = {
		[PLAN_RETIRE] = 0, [PLAN_RENAME] = 1, [PLAN_REBIND] = 1, [PLAN_RESTART] = 2,
		[PLAN_GRANT] = 3, [PLAN_IMPORT] = 4,
	};

	return (unsigned)t < PLAN_NSTEPTYPES ? rank[t] : 5;
}

size_t *
rot_exec_rollback_order(const struct plan *p, size_t *n)
{
	size_t *order = cr_xcalloc(p->nsteps + 1, sizeof(*order)), k = 0, i;
	int rank;

	for (rank = 0; rank <= 5; rank++) {
		if (rank == 2) {
			/* restarts again, in dependency order: after what they depend on */
			for (i = 0; i < p->nsteps; i++)
				if (undo_rank(p->steps[i].type) == rank)
					order[k++] = i;
			continue;
		}
		for (i = p->nsteps; i-- > 0;)
			if (undo_rank(p->steps[i].type) == rank)
				order[k++] = i;
	}
	*n = k;
	return order;
}

/* Undoes step i; 1 when the rollback goes on, 0 when it stops, -1 journal failure. */
static int
undo(struct rot_exec *x, size_t i, struct rot_summary *sm, char **stop_detail, struct cr_err *err)
{
	const struct plan_step *s = &x->p->steps[i];
	const struct act_row *row = x->lookup(s);
	struct visit vi = { ROT_RES_UNDONE, CR_OK, NULL };
	long long t0 = cr_mono_ms();
	struct act_out out;
	enum rot_answer a = ROT_ANS_YES;
	struct cr_err e;
	int r;

	if (x->ui->step != NULL)
		x->ui->step(x->ui->ctx, i, ROT_HOW_UNDO);
	if (s->action == PLAN_MANUAL && !x->interactive) {
		visit_set(&vi, ROT_RES_MANUAL, CR_EBLOCK, "%s", s->description);
		return account(x, i, &vi, t0, sm, stop_detail);
	}
	if (x->interactive) {
		if (s->action == PLAN_MANUAL && x->ui->manual != NULL)
			x->ui->manual(x->ui->ctx, i, 1);
		a = ask(x, i, 0, ROT_ASK(ROT_ANS_YES) | ROT_ASK(ROT_ANS_SKIP) | ROT_ASK(ROT_ANS_ABORT));
	}
	if (a != ROT_ANS_YES) {
		if (a == ROT_ANS_SKIP)
			visit_set(&vi, ROT_RES_SKIPPED, CR_OK, "not rolled back: skipped by the operator");
		else
			visit_set(&vi, ROT_RES_ABORTED, CR_EBLOCK, "rollback aborted by the operator");
		if (jlog(x, JID(x, i), a == ROT_ANS_SKIP ? ROT_EV_SKIPPED : ROT_EV_FAILED, vi.detail, NULL,
		    NULL, err) != CR_OK) {
			free(vi.detail);
			return -1;
		}
		return account(x, i, &vi, t0, sm, stop_detail);
	}
	if (jlog(x, JID(x, i), ROT_EV_START, NULL, NULL, NULL, err) != CR_OK)
		return -1;
	memset(&out, 0, sizeof(out));
	cr_err_clear(&e);
	if (row == NULL || row->undo == NULL)
		r = cr_err_set(&e, CR_EBLOCK, "no undo for step '%s' (%s)", s->id,
		    plan_variant_name(s->variant));
	else
		r = row->undo(x->act, i, &out, &e);
	invalidate(x);
	if (r != CR_OK) {
		visit_set(&vi, ROT_RES_FAILED, r, "%s", e.msg);
	} else {
		set_done(x, i, 0);
		visit_set(&vi, ROT_RES_UNDONE, CR_OK, "%s", out.detail ? out.detail : "rolled back");
		if (!out.kept && !verify_phase(x, i, CHK_ROLLBACK,
		    "undone, but its rollback verification fails", &vi))
			r = CR_EBLOCK;
	}
	r = jlog(x, JID(x, i), r == CR_OK ? ROT_EV_ROLLED_BACK : ROT_EV_FAILED, vi.detail, &out, NULL,
	    err);
	act_out_release(&out);
	if (r != CR_OK) {
		free(vi.detail);
		return -1;
	}
	return account(x, i, &vi, t0, sm, stop_detail);
}

/* ---- the whole ------------------------------------------------------------------------- */

static int
run_steps(struct rot_exec *x, struct rot_summary *sm, char **stop_detail, struct cr_err *err)
{
	size_t i, first = 0, last = x->p->nsteps, ndone = 0;
	struct rot_step_info info;
	int r = 1;

	/* the journal's view first: what it says is done, or the plan when it says nothing */
	for (i = 0; i < x->p->nsteps; i++)
		set_done(x, i, how_to_visit(x, i) == ROT_HOW_DONE || x->p->steps[i].done);
	if (x->only >= 0) {
		first = (size_t)x->only;
		last = first + 1;
	} else if (x->until >= 0) {
		last = (size_t)x->until + 1;
	}
	for (i = first; i < last && r > 0; i++)
		r = visit(x, i, sm, stop_detail, err);
	if (r < 0)
		return -1;
	for (i = 0; i < x->p->nsteps; i++) {
		rot_journal_step(x->j, JID(x, i), &info);
		if (info.phase == ROT_PHASE_RUN && info.state == ROT_STEP_DONE) {
			ndone++;
			continue;
		}
		sm->left = cr_xrealloc(sm->left, (sm->nleft + 1) * sizeof(size_t));
		sm->left[sm->nleft++] = i;
	}
	if (r == 0)
		return 0;
	if (ndone == x->p->nsteps) {
		sm->outcome = ROT_OUT_COMPLETE;
		return jlog(x, NULL, ROT_EV_DONE, "every step is done", NULL, NULL, err) ? -1 : 0;
	}
	if (x->only >= 0 || x->until >= 0) {
		sm->outcome = ROT_OUT_UNTIL;
		return 0;
	}
	sm->outcome = ROT_OUT_INCOMPLETE;
	sm->exit = CR_EBLOCK;
	return 0;
}

static int
rollback_steps(struct rot_exec *x, struct rot_summary *sm, char **stop_detail,
    struct cr_err *err)
{
	size_t n, k, any = 0, *order = rot_exec_rollback_order(x->p, &n);
	struct rot_step_info info;
	int r = 1;

	/* the checks' view: what is rolled back is not done, the rest as the plan sees it
	   now (a ref this journal moved is done until its undo) */
	for (k = 0; k < x->p->nsteps; k++) {
		rot_journal_step(x->j, JID(x, k), &info);
		set_done(x, k, info.state != ROT_STEP_ROLLED_BACK && x->p->steps[k].done);
	}
	for (k = 0; k < n && r > 0; k++) {
		if (!to_undo(x, order[k]))
			continue;
		any++;
		r = undo(x, order[k], sm, stop_detail, err);
	}
	for (k = 0; r >= 0 && k < n; k++) {
		if (!to_undo(x, order[k]))
			continue;
		sm->left = cr_xrealloc(sm->left, (sm->nleft + 1) * sizeof(size_t));
		sm->left[sm->nleft++] = order[k];
	}
	free(order);
	if (r <= 0)
		return r;
	if (sm->nleft > 0) {
		sm->outcome = ROT_OUT_INCOMPLETE;
		sm->exit = CR_EBLOCK;
		return 0;
	}
	sm->outcome = any > 0 ? ROT_OUT_COMPLETE : ROT_OUT_NOTHING;
	return jlog(x, NULL, ROT_EV_ROLLED_BACK, any > 0 ? "every step this journal did is "
	    "rolled back" : "nothing this journal did was left to roll back", NULL, NULL, err) ? -1 : 0;
}

int
rot_exec_run(struct rot_exec *x, struct cr_err *err)
{
	struct rot_summary sm;
	char *stop_detail = NULL;
	int r;

	journal_ids(x);
	memset(&sm, 0, sizeof(sm));
	sm.phase = x->phase;
	sm.outcome = ROT_OUT_STOPPED;
	sm.stop = -1;
	if (x->phase == ROT_PHASE_ROLLBACK)
		r = rollback_steps(x, &sm, &stop_detail, err);
	else
		r = run_steps(x, &sm, &stop_detail, err);
	if (r < 0) {
		summary_release(&sm);
		free(stop_detail);
		journal_ids_free(x);
		return err->status ? err->status : CR_EENV;
	}
	if (x->ui->summary != NULL)
		x->ui->summary(x->ui->ctx, &sm);
	r = sm.exit;
	summary_release(&sm);
	free(stop_detail);
	journal_ids_free(x);
	return r;
}
