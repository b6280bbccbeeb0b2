/*
 * Unit tests: the executor's loop (rotate/exec.c) with a fake action
 * table, fake checks and scripted answers, no token: what is journaled
 * around each action, resume (done steps verified and skipped, started
 * steps verified before they are redone, steps in effect before the run),
 * stops (preconditions, action, verification, a manual step unattended),
 * the operator's y/s/r/a, --only / --until, rollback (order, what this
 * journal did, resume), the test hook that kills the process after the
 * N-th event; and the real action table (act.c) row by row.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../rotate/exec.h"
#include "testfs.h"

#define NSTEPS 4
#define OLD "3F" "0000000000000000000000000000000000000000000000000000000000000a"
#define NEW "DA" "0000000000000000000000000000000000000000000000000000000000000b"

static char *dir;

/* ---- the fakes ----------------------------------------------------------------------- */

/* What a fake check says: verify follows whether the action ran unless forced. */
enum { V_AUTO = 0, V_PASS, V_FAIL, V_SKIP, V_ENV };

struct fake {
	struct plan plan;
	struct plan_step steps[NSTEPS];
	int pre[NSTEPS];		/* V_PASS (0 = pass too), V_FAIL, V_ENV */
	int pre_until_recheck[NSTEPS];	/* PRE fails until this many invalidations */
	int ver[NSTEPS];		/* V_AUTO: pass once acted */
	int rbver[NSTEPS];		/* after an undo; V_AUTO: pass once undone */
	int nrbver[NSTEPS];
	int kept[NSTEPS];		/* the undo leaves things on purpose (act_out.kept) */
	int acted[NSTEPS];		/* the world: the action's effect */
	int runs[NSTEPS], undos[NSTEPS];
	int run_fail[NSTEPS];		/* status the action returns */
	int done[NSTEPS];		/* the checks' view */
	int npre[NSTEPS], nver[NSTEPS];
	int invalidations;
	size_t undo_order[NSTEPS * 2];
	size_t nundo;
	enum rot_answer answers[16];	/* scripted answers */
	size_t nanswers, asked;
	unsigned allowed[16];
	int manual_shown;
	struct rot_summary sum;		/* a copy of the scalars */
	size_t nby[ROT_RES_NRESULTS];
	size_t nleft;
	int summaries;
};

static struct fake *F;	/* the fake the act functions see */

static int
act_run(struct act_ctx *a, size_t i, struct act_out *out, struct cr_err *err)
{
	(void)a;
	F->runs[i]++;
	if (F->run_fail[i])
		return cr_err_setr(err, F->run_fail[i], CR_R_COMMAND, "fake action %zu failed", i);
	F->acted[i] = 1;
	act_out_detail(out, "did %zu", i);
	act_out_put(out, "k", "v");
	return CR_OK;
}

static int
act_undo(struct act_ctx *a, size_t i, struct act_out *out, struct cr_err *err)
{
	(void)a;
	(void)err;
	F->undos[i]++;
	F->undo_order[F->nundo++] = i;
	F->acted[i] = 0;
	out->kept = F->kept[i];
	act_out_detail(out, "undid %zu", i);
	return CR_OK;
}

static const struct act_row fake_row = { PLAN_V_RESTART, act_run, act_undo };

static const struct act_row *
fake_lookup(const struct plan_step *s)
{
	(void)s;
	return &fake_row;
}

static void
verdict(struct rot_verdict *v, int what)
{
	switch (what) {
	case V_FAIL:
		v->exit = CR_EBLOCK;
		v->nfail = 1;
		v->detail = cr_xstrdup("fake.check subject: it fails");
		break;
	case V_ENV:
		v->exit = CR_EENV;
		v->nfail = 1;
		v->detail = cr_xstrdup("token.login token edge: token absent");
		break;
	case V_SKIP:
		v->nskip = 1;
		break;
	default:
		v->npass = 1;
		break;
	}
}

static void
fk_eval(void *ctx, size_t i, enum chk_phase ph, struct rot_verdict *v)
{
	struct fake *f = ctx;

	if (ph == CHK_PRE) {
		f->npre[i]++;
		verdict(v, f->invalidations < f->pre_until_recheck[i] ? V_FAIL : f->pre[i]);
	} else if (ph == CHK_ROLLBACK) {
		f->nrbver[i]++;
		verdict(v, f->rbver[i] != V_AUTO ? f->rbver[i] : !f->acted[i] ? V_PASS : V_FAIL);
	} else {
		f->nver[i]++;
		verdict(v, f->ver[i] != V_AUTO ? f->ver[i] : f->acted[i] ? V_PASS : V_FAIL);
	}
}

static void
fk_set_done(void *ctx, size_t i, int done)
{
	((struct fake *)ctx)->done[i] = done;
}

static void
fk_invalidate(void *ctx, unsigned what)
{
	(void)what;
	((struct fake *)ctx)->invalidations++;
}

static enum rot_answer
ui_prompt(void *ctx, size_t i, int what, unsigned allowed)
{
	struct fake *f = ctx;

	(void)i;
	(void)what;
	if (f->asked < 16)
		f->allowed[f->asked] = allowed;
	return f->asked < f->nanswers ? f->answers[f->asked++] : ROT_ANS_ABORT;
}

static void
ui_manual(void *ctx, size_t i, int undo)
{
	(void)i;
	(void)undo;
	((struct fake *)ctx)->manual_shown++;
}

static void
ui_summary(void *ctx, const struct rot_summary *s)
{
	struct fake *f = ctx;
	size_t k;

	f->summaries++;
	f->sum = *s;
	for (k = 0; k < ROT_RES_NRESULTS; k++)
		f->nby[k] = s->nby[k];
	f->nleft = s->nleft;
}

static void
fake_init(struct fake *f)
{
	static const enum plan_step_type types[NSTEPS] = { PLAN_IMPORT, PLAN_REBIND, PLAN_RESTART,
		PLAN_RETIRE };
	static const char *const ids[NSTEPS] = { "1-import-token:edge", "2-rebind-h-s-r",
		"3-restart-h-s", "4-retire-token:edge" };
	size_t i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < NSTEPS; i++) {
		f->steps[i].id = (char *)ids[i];
		f->steps[i].type = types[i];
		f->steps[i].variant = PLAN_V_RESTART;
		f->steps[i].action = PLAN_NATIVE;
		f->steps[i].description = (char *)"a step";
	}
	f->plan.steps = f->steps;
	f->plan.nsteps = NSTEPS;
	F = f;
}

/* A journal of its own for each test. */
static struct rot_journal *
journal(const char *name)
{
	static const struct rot_journal_id id = { "rot", OLD, NEW };
	char *p = cr_xasprintf("%s/%s", dir, name);
	struct rot_journal *j = NULL;
	struct cr_err err;

	unlink(p);
	assert_int_equal(rot_journal_open(p, &id, ROT_JOURNAL_CREATE, &j, &err), CR_OK);
	free(p);
	return j;
}

static void
ev(struct rot_journal *j, const char *step, enum rot_event e, enum rot_phase ph,
    const char *const *data)
{
	struct rot_journal_event x = { step, e, ph, NULL, data };
	struct cr_err err;

	assert_int_equal(rot_journal_append(j, &x, &err), CR_OK);
}

/* Runs the loop on f over j; returns the exit code. */
static int
go(struct fake *f, struct rot_journal *j, enum rot_phase ph, int interactive, long only,
    long until)
{
	struct rot_exec_checks chk = { fk_eval, fk_set_done, fk_invalidate, f };
	struct rot_exec_ui ui;
	struct rot_exec x;
	struct cr_err err;
	int r;

	memset(&ui, 0, sizeof(ui));
	ui.prompt = ui_prompt;
	ui.manual = ui_manual;
	ui.summary = ui_summary;
	ui.ctx = f;
	memset(&x, 0, sizeof(x));
	x.p = &f->plan;
	x.j = j;
	x.chk = &chk;
	x.ui = &ui;
	x.lookup = fake_lookup;
	x.phase = ph;
	x.interactive = interactive;
	x.only = only;
	x.until = until;
	cr_err_clear(&err);
	r = rot_exec_run(&x, &err);
	assert_string_equal(err.msg, "");
	assert_int_equal(f->summaries, 1);
	f->summaries = 0;
	return r;
}

static enum rot_step_state
state(struct rot_journal *j, size_t i)
{
	struct rot_step_info in;

	rot_journal_step(j, F->steps[i].id, &in);
	return in.state;
}

static const char *
detail(struct rot_journal *j, size_t i)
{
	struct rot_step_info in;

	rot_journal_step(j, F->steps[i].id, &in);
	return in.detail != NULL ? in.detail : "";
}

/* ---- run -------------------------------------------------------------------------------- */

static void
test_fresh_run(void **state_)
{
	struct fake f;
	struct rot_journal *j = journal("fresh.state");
	size_t i;

	(void)state_;
	fake_init(&f);
	assert_int_equal(go(&f, j, ROT_PHASE_RUN, 0, -1, -1), 0);
	for (i = 0; i < NSTEPS; i++) {
		assert_int_equal(f.runs[i], 1);
		assert_int_equal(f.npre[i], 1);
		assert_int_equal(f.nver[i], 1);
		assert_int_equal(state(j, i), ROT_STEP_DONE);
		assert_int_equal(f.done[i], 1);
		/* the facts of the first start, and the action's data */
		assert_string_equal(rot_journal_data(j, f.steps[i].id, ACT_KEY_ACTION), "native");
		assert_string_equal(rot_journal_data(j, f.steps[i].id, ACT_KEY_PLAN), "pending");
		assert_string_equal(rot_journal_data(j, f.steps[i].id, "k"), "v");
	}
	assert_string_equal(detail(j, 2), "did 2");
	assert_true(rot_journal_complete(j));
	assert_int_equal(f.sum.outcome, ROT_OUT_COMPLETE);
	assert_int_equal(f.nby[ROT_RES_DONE], NSTEPS);
	assert_int_equal(f.nleft, 0);
	/* run again: every step verified, nothing done */
	assert_int_equal(go(&f, j, ROT_PHASE_RUN, 0, -1, -1), 0);
	for (i = 0; i < NSTEPS; i++)
		assert_int_equal(f.runs[i], 1);
	assert_int_equal(f.nby[ROT_RES_VERIFIED], NSTEPS);
	rot_journal_close(j);
}

/* Resume: done verified and skipped; started verified first, redone only when not proven. */
static void
test_resume(void **state_)
{
	static const char *const facts[] = { ACT_KEY_ACTION, "native", ACT_KEY_PLAN, "pending", NULL };
	struct fake f;
	struct rot_journal *j = journal("resume.state");

	(void)state_;
	fake_init(&f);
	ev(j, f.steps[0].id, ROT_EV_START, ROT_PHASE_RUN, facts);
	ev(j, f.steps[0].id, ROT_EV_DONE, ROT_PHASE_RUN, NULL);
	ev(j, f.steps[1].id, ROT_EV_START, ROT_PHASE_RUN, facts);	/* crashed after its action */
	ev(j, f.steps[2].id, ROT_EV_START, ROT_PHASE_RUN, facts);	/* crashed before its action */
	f.acted[0] = f.acted[1] = 1;
	f.ver[2] = V_SKIP;		/* its verification cannot see: not proven */
	assert_int_equal(go(&f, j, ROT_PHASE_RUN, 0, -1, -1), 0);
	assert_int_equal(f.runs[0], 0);
	assert_int_equal(f.npre[0], 0);
	assert_int_equal(f.runs[1], 0);
	assert_string_equal(detail(j, 1), "found done when resumed: its verification passes");
	assert_int_equal(f.runs[2], 1);
	assert_int_equal(f.runs[3], 1);
	assert_int_equal(f.nby[ROT_RES_VERIFIED], 2);
	assert_int_equal(f.nby[ROT_RES_DONE], 2);
	assert_true(rot_journal_complete(j));
	rot_journal_close(j);
}

/* A step journaled done whose verification fails now: failed, the run stops; the next redoes it. */
static void
test_done_no_longer(void **state_)
{
	struct fake f;
	struct rot_journal *j = journal("nolonger.state");

	(void)state_;
	fake_init(&f);
	ev(j, f.steps[0].id, ROT_EV_DONE, ROT_PHASE_RUN, NULL);
	assert_int_equal(go(&f, j, ROT_PHASE_RUN, 0, -1, -1), CR_EBLOCK);
	assert_int_equal(state(j, 0), ROT_STEP_FAILED);
	assert_non_null(strstr(detail(j, 0), "journaled done, but its verification fails now: "
	    "fake.check subject: it fails"));
	assert_int_equal(f.runs[1], 0);
	assert_int_equal(f.sum.stop, 0);
	assert_int_equal(f.nleft, NSTEPS);
	assert_int_equal(go(&f, j, ROT_PHASE_RUN, 0, -1, -1), 0);
	assert_int_equal(f.runs[0], 1);
	rot_journal_close(j);
}

/* Stops: preconditions (1, or 3 from the environment), the action, its verification. */
static void
test_stops(void **state_)
{
	static const struct {
		int pre, run_fail, ver, exit;
		enum rot_result res;
		enum rot_step_state st;
		const char *detail;
		int ran;
	} t[] = {
		{ V_FAIL, 0, V_AUTO, CR_EBLOCK, ROT_RES_BLOCKED, ROT_STEP_FAILED,
		  "preconditions fail: fake.check subject: it fails", 0 },
		{ V_ENV, 0, V_AUTO, CR_EENV, ROT_RES_BLOCKED, ROT_STEP_FAILED,
		  "preconditions fail: token.login token edge: token absent", 0 },
		{ V_PASS, CR_EENV, V_AUTO, CR_EENV, ROT_RES_FAILED, ROT_STEP_FAILED,
		  "fake action 2 failed", 1 },
		{ V_PASS, 0, V_FAIL, CR_EBLOCK, ROT_RES_FAILED, ROT_STEP_FAILED,
		  "its verification fails: fake.check subject: it fails", 1 },
	};
	size_t k;

	(void)state_;
	for (k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		struct fake f;
		struct rot_journal *j = journal("stops.state");

		fake_init(&f);
		f.pre[2] = t[k].pre;
		f.run_fail[2] = t[k].run_fail;
		f.ver[2] = t[k].ver;
		assert_int_equal(go(&f, j, ROT_PHASE_RUN, 0, -1, -1), t[k].exit);
		assert_int_equal(f.runs[2], t[k].ran);
		assert_int_equal(f.runs[3], 0);
		assert_int_equal(state(j, 2), t[k].st);
		assert_string_equal(detail(j, 2), t[k].detail);
		assert_int_equal(f.sum.stop, 2);
		assert_int_equal(f.sum.stop_result, t[k].res);
		assert_int_equal(f.sum.outcome, ROT_OUT_STOPPED);
		assert_int_equal(f.nleft, 2);
		assert_int_equal(f.done[2], 0);
		/* started only when it was done: a precondition stops before the start */
		assert_int_equal(rot_journal_data(j, f.steps[2].id, ACT_KEY_ACTION) != NULL, t[k].ran);
		assert_false(rot_journal_complete(j));
		rot_journal_close(j);
	}
}

/* Unattended, a manual step stops the run (exit 1) and nothing is journaled for it. */
static void
test_manual_unattended(void **state_)
{
	struct fake f;
	struct rot_journal *j = journal("manual.state");

	(void)state_;
	fake_init(&f);
	f.steps[1].action = PLAN_MANUAL;
	assert_int_equal(go(&f, j, ROT_PHASE_RUN, 0, -1, -1), CR_EBLOCK);
	assert_int_equal(state(j, 0), ROT_STEP_DONE);
	assert_int_equal(state(j, 1), ROT_STEP_PENDING);
	assert_int_equal(f.runs[1], 0);
	assert_int_equal(f.sum.stop_result, ROT_RES_MANUAL);
	assert_int_equal(f.manual_shown, 0);
	assert_int_equal(f.asked, 0);
	rot_journal_close(j);
}

/* The operator: y does it, r checks again, s skips (journaled), a aborts (exit 1). */
static void
test_prompts(void **state_)
{
	struct fake f;
	struct rot_journal *j = journal("prompts.state");

	(void)state_;
	fake_init(&f);
	f.steps[1].action = PLAN_MANUAL;
	f.pre_until_recheck[2] = 1;	/* blocked until checked again */
	f.answers[0] = ROT_ANS_YES;	/* step 0 */
	f.answers[1] = ROT_ANS_RECHECK;	/* step 1 (manual): again */
	f.answers[2] = ROT_ANS_YES;
	f.answers[3] = ROT_ANS_SKIP;	/* step 2 */
	f.answers[4] = ROT_ANS_ABORT;	/* step 3 */
	f.nanswers = 5;
	assert_int_equal(go(&f, j, ROT_PHASE_RUN, 1, -1, -1), CR_EBLOCK);
	assert_int_equal(f.runs[0], 1);
	assert_int_equal(f.allowed[0], ROT_ASK(ROT_ANS_YES) | ROT_ASK(ROT_ANS_SKIP) |
	    ROT_ASK(ROT_ANS_ABORT));
	/* the manual step: shown twice, its preconditions evaluated twice, then done */
	assert_int_equal(f.manual_shown, 2);
	assert_int_equal(f.npre[1], 2);
	assert_true(f.allowed[1] & ROT_ASK(ROT_ANS_RECHECK));
	assert_int_equal(state(j, 1), ROT_STEP_DONE);
	assert_string_equal(detail(j, 1), "did 1");
	/* step 2: rechecked by the invalidation of step 1's recheck, then skipped */
	assert_int_equal(state(j, 2), ROT_STEP_SKIPPED);
	assert_string_equal(detail(j, 2), "skipped by the operator");
	assert_int_equal(f.runs[2], 0);
	assert_int_equal(state(j, 3), ROT_STEP_FAILED);
	assert_string_equal(detail(j, 3), "aborted by the operator before the step started");
	assert_int_equal(f.sum.stop, 3);
	assert_int_equal(f.sum.stop_result, ROT_RES_ABORTED);
	assert_int_equal(f.nby[ROT_RES_SKIPPED], 1);
	rot_journal_close(j);

	/* blocked, interactive: r (still blocked) then s; y is never offered */
	j = journal("prompts2.state");
	fake_init(&f);
	f.pre[0] = V_FAIL;
	f.answers[0] = ROT_ANS_RECHECK;
	f.answers[1] = ROT_ANS_SKIP;
	f.answers[2] = ROT_ANS_ABORT;
	f.nanswers = 3;
	assert_int_equal(go(&f, j, ROT_PHASE_RUN, 1, -1, -1), CR_EBLOCK);
	assert_false(f.allowed[0] & ROT_ASK(ROT_ANS_YES));
	assert_int_equal(f.npre[0], 2);
	assert_int_equal(state(j, 0), ROT_STEP_SKIPPED);
	assert_non_null(strstr(detail(j, 0), "its preconditions fail: fake.check"));
	/* then step 1 asked (y/s/a) and aborted */
	assert_int_equal(state(j, 1), ROT_STEP_FAILED);
	rot_journal_close(j);

	/* a skipped step leaves the rotation incomplete: exit 1 at the end */
	j = journal("prompts3.state");
	fake_init(&f);
	f.answers[0] = ROT_ANS_SKIP;
	f.answers[1] = f.answers[2] = f.answers[3] = ROT_ANS_YES;
	f.nanswers = 4;
	assert_int_equal(go(&f, j, ROT_PHASE_RUN, 1, -1, -1), CR_EBLOCK);
	assert_int_equal(f.sum.outcome, ROT_OUT_INCOMPLETE);
	assert_int_equal(f.nleft, 1);
	assert_false(rot_journal_complete(j));
	rot_journal_close(j);
}

/* Steps in effect before the run: verified and journaled done; failing that, done. */
static void
test_in_effect(void **state_)
{
	struct fake f;
	struct rot_journal *j = journal("effect.state");

	(void)state_;
	fake_init(&f);
	f.steps[0].done = f.steps[1].done = 1;
	f.acted[0] = 1;			/* in effect indeed */
	assert_int_equal(go(&f, j, ROT_PHASE_RUN, 0, -1, -1), 0);
	assert_int_equal(f.runs[0], 0);
	assert_string_equal(detail(j, 0), "in effect before the run: its verification passes");
	assert_null(rot_journal_data(j, f.steps[0].id, ACT_KEY_ACTION));	/* not this journal's */
	assert_int_equal(f.runs[1], 1);
	assert_string_equal(rot_journal_data(j, f.steps[1].id, ACT_KEY_PLAN), "done");
	assert_int_equal(f.nby[ROT_RES_IN_EFFECT], 1);
	rot_journal_close(j);
}

static void
test_only_until(void **state_)
{
	struct fake f;
	struct rot_journal *j = journal("until.state");

	(void)state_;
	fake_init(&f);
	assert_int_equal(go(&f, j, ROT_PHASE_RUN, 0, -1, 1), 0);
	assert_int_equal(f.sum.outcome, ROT_OUT_UNTIL);
	assert_int_equal(f.runs[0] + f.runs[1], 2);
	assert_int_equal(f.runs[2] + f.runs[3], 0);
	assert_int_equal(f.nleft, 2);
	assert_false(rot_journal_complete(j));
	assert_int_equal(go(&f, j, ROT_PHASE_RUN, 0, 3, -1), 0);
	assert_int_equal(f.runs[3], 1);
	assert_int_equal(f.runs[2], 0);
	assert_int_equal(f.npre[0], 1);		/* other steps not visited */
	assert_int_equal(go(&f, j, ROT_PHASE_RUN, 0, -1, -1), 0);
	assert_int_equal(f.runs[2], 1);
	assert_true(rot_journal_complete(j));
	rot_journal_close(j);
}

/*
 * The configuration changed between two runs and the steps were numbered
 * again: a step is the journal's step of the same id but for its number.
 */
static void
test_renumbered(void **state_)
{
	static const char *const facts[] = { ACT_KEY_ACTION, "native", ACT_KEY_PLAN, "pending", NULL };
	struct fake f;
	struct rot_journal *j = journal("renumbered.state");
	struct rot_step_info in;

	(void)state_;
	fake_init(&f);
	ev(j, "7-rebind-h-s-r", ROT_EV_START, ROT_PHASE_RUN, facts);
	ev(j, "7-rebind-h-s-r", ROT_EV_DONE, ROT_PHASE_RUN, NULL);
	ev(j, "8-restart-h-s", ROT_EV_START, ROT_PHASE_RUN, facts);
	f.acted[1] = 1;
	assert_int_equal(go(&f, j, ROT_PHASE_RUN, 0, -1, -1), 0);
	assert_int_equal(f.runs[1], 0);			/* done under its old number */
	assert_int_equal(f.runs[2], 1);			/* started under its old number: redone */
	rot_journal_step(j, "8-restart-h-s", &in);
	assert_int_equal(in.state, ROT_STEP_DONE);
	assert_int_equal(state(j, 2), ROT_STEP_PENDING);	/* nothing under the new number */
	assert_true(rot_journal_complete(j));
	assert_int_equal(go(&f, j, ROT_PHASE_ROLLBACK, 0, -1, -1), 0);
	assert_int_equal(f.undos[1], 1);
	rot_journal_step(j, "7-rebind-h-s-r", &in);
	assert_int_equal(in.state, ROT_STEP_ROLLED_BACK);
	rot_journal_close(j);
}

/* ---- rollback -------------------------------------------------------------------------- */

static void
test_rollback_order(void **state_)
{
	static const enum plan_step_type types[] = { PLAN_IMPORT, PLAN_IMPORT, PLAN_GRANT,
		PLAN_REBIND, PLAN_REBIND, PLAN_RENAME, PLAN_RESTART, PLAN_RESTART, PLAN_RETIRE };
	static const size_t want[] = { 8, 5, 4, 3, 6, 7, 2, 1, 0 };
	struct plan_step steps[9];
	struct plan p;
	size_t n, k, *order;

	(void)state_;
	memset(steps, 0, sizeof(steps));
	for (k = 0; k < 9; k++)
		steps[k].type = types[k];
	memset(&p, 0, sizeof(p));
	p.steps = steps;
	p.nsteps = 9;
	order = rot_exec_rollback_order(&p, &n);
	assert_int_equal(n, 9);
	for (k = 0; k < n; k++)
		assert_int_equal(order[k], want[k]);
	free(order);
}

static void
test_rollback(void **state_)
{
	struct fake f;
	struct rot_journal *j = journal("rollback.state");

	(void)state_;
	fake_init(&f);
	f.steps[1].done = 1;	/* in effect before the run: not this journal's to undo */
	f.acted[1] = 1;
	assert_int_equal(go(&f, j, ROT_PHASE_RUN, 0, -1, -1), 0);
	assert_int_equal(go(&f, j, ROT_PHASE_ROLLBACK, 0, -1, -1), 0);
	/* retire first, then restart, then import; the rebind was not ours */
	assert_int_equal(f.nundo, 3);
	assert_int_equal(f.undo_order[0], 3);
	assert_int_equal(f.undo_order[1], 2);
	assert_int_equal(f.undo_order[2], 0);
	assert_int_equal(f.undos[1], 0);
	assert_int_equal(state(j, 3), ROT_STEP_ROLLED_BACK);
	assert_string_equal(detail(j, 3), "undid 3");
	assert_int_equal(state(j, 1), ROT_STEP_DONE);
	assert_true(rot_journal_rolled_back(j));
	assert_int_equal(f.sum.outcome, ROT_OUT_COMPLETE);
	/* again: nothing left to undo */
	assert_int_equal(go(&f, j, ROT_PHASE_ROLLBACK, 0, -1, -1), 0);
	assert_int_equal(f.nundo, 3);
	assert_int_equal(f.sum.outcome, ROT_OUT_NOTHING);
	/* and run again after it: everything is done again */
	assert_int_equal(go(&f, j, ROT_PHASE_RUN, 0, -1, -1), 0);
	assert_int_equal(f.runs[3], 2);
	assert_true(rot_journal_complete(j));
	rot_journal_close(j);
}

/* A rollback resumed: what is rolled back stays so; a started undo is done again. */
static void
test_rollback_resume(void **state_)
{
	static const char *const facts[] = { ACT_KEY_ACTION, "native", NULL };
	struct fake f;
	struct rot_journal *j = journal("rbresume.state");
	size_t i;

	(void)state_;
	fake_init(&f);
	for (i = 0; i < NSTEPS; i++) {
		ev(j, f.steps[i].id, ROT_EV_START, ROT_PHASE_RUN, facts);
		ev(j, f.steps[i].id, ROT_EV_DONE, ROT_PHASE_RUN, NULL);
	}
	ev(j, f.steps[3].id, ROT_EV_START, ROT_PHASE_ROLLBACK, NULL);
	ev(j, f.steps[3].id, ROT_EV_ROLLED_BACK, ROT_PHASE_ROLLBACK, NULL);
	ev(j, f.steps[2].id, ROT_EV_START, ROT_PHASE_ROLLBACK, NULL);
	/* a manual step unattended stops a rollback too */
	f.steps[1].action = PLAN_MANUAL;
	assert_int_equal(go(&f, j, ROT_PHASE_ROLLBACK, 0, -1, -1), CR_EBLOCK);
	assert_int_equal(f.undos[3], 0);
	assert_int_equal(f.sum.stop, 1);
	assert_int_equal(f.sum.stop_result, ROT_RES_MANUAL);
	assert_int_equal(f.undos[2], 0);	/* rebinds come before restarts */
	f.steps[1].action = PLAN_NATIVE;
	assert_int_equal(go(&f, j, ROT_PHASE_ROLLBACK, 0, -1, -1), 0);
	assert_int_equal(f.undos[3], 0);
	assert_int_equal(f.undos[2], 1);
	assert_int_equal(f.undos[1], 1);
	assert_int_equal(f.undos[0], 1);
	assert_true(rot_journal_rolled_back(j));
	rot_journal_close(j);
}

/*
 * Each undo is verified (CHK_ROLLBACK); a failed verification stops the
 * rollback with the step failed, a later rollback undoes it again and goes
 * on; an undo that keeps things on purpose is not verified.
 */
static void
test_rollback_verify(void **state_)
{
	struct fake f;
	struct rot_journal *j = journal("rbverify.state");

	(void)state_;
	fake_init(&f);
	assert_int_equal(go(&f, j, ROT_PHASE_RUN, 0, -1, -1), 0);
	f.rbver[2] = V_FAIL;
	f.kept[0] = 1;
	assert_int_equal(go(&f, j, ROT_PHASE_ROLLBACK, 0, -1, -1), CR_EBLOCK);
	assert_int_equal(f.sum.stop, 2);
	assert_int_equal(f.sum.stop_result, ROT_RES_FAILED);
	assert_int_equal(f.nrbver[3], 1);
	assert_int_equal(f.undos[2], 1);
	assert_int_equal(f.undos[0], 0);	/* stopped before the import */
	assert_int_equal(state(j, 2), ROT_STEP_FAILED);
	assert_string_equal(detail(j, 2), "undone, but its rollback verification fails: "
	    "fake.check subject: it fails");
	assert_int_equal(f.done[2], 0);		/* the checks saw it undone */
	assert_false(rot_journal_rolled_back(j));
	/* a probe or token that fails: exit 3 */
	f.rbver[2] = V_ENV;
	assert_int_equal(go(&f, j, ROT_PHASE_ROLLBACK, 0, -1, -1), CR_EENV);
	assert_int_equal(f.undos[2], 2);
	/* fixed: undone and verified again, and on to the end */
	f.rbver[2] = V_AUTO;
	assert_int_equal(go(&f, j, ROT_PHASE_ROLLBACK, 0, -1, -1), 0);
	assert_int_equal(f.undos[2], 3);
	assert_int_equal(f.nrbver[2], 3);
	assert_int_equal(f.undos[3], 1);	/* rolled back already: not again */
	assert_int_equal(f.undos[0], 1);
	assert_int_equal(f.nrbver[0], 0);	/* kept: nothing to verify */
	assert_int_equal(state(j, 2), ROT_STEP_ROLLED_BACK);
	assert_true(rot_journal_rolled_back(j));
	rot_journal_close(j);
}

/* ---- the test hook ----------------------------------------------------------------------- */

/* CERTROTATE_TEST_KILL_AFTER: the process dies right after its N-th event; the journal holds them. */
static void
test_kill_after(void **state_)
{
	char *p = cr_xasprintf("%s/kill.state", dir);
	struct rot_journal *j;
	struct fake f;
	int st = 0;
	pid_t pid;

	(void)state_;
	fake_init(&f);
	j = journal("kill.state");
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rot_exec_checks chk = { fk_eval, fk_set_done, fk_invalidate, &f };
		struct rot_exec_ui ui;
		struct rot_exec x;
		struct cr_err err;

		memset(&ui, 0, sizeof(ui));
		memset(&x, 0, sizeof(x));
		x.p = &f.plan;
		x.j = j;
		x.chk = &chk;
		x.ui = &ui;
		x.lookup = fake_lookup;
		x.only = x.until = -1;
		x.kill_after = 3;
		(void)rot_exec_run(&x, &err);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	rot_journal_close(j);
	{
		static const struct rot_journal_id id = { "rot", OLD, NEW };
		struct cr_err err;

		assert_int_equal(rot_journal_open(p, &id, 0, &j, &err), CR_OK);
	}
	/* start, done of step 0, start of step 1 */
	assert_int_equal(state(j, 0), ROT_STEP_DONE);
	assert_int_equal(state(j, 1), ROT_STEP_STARTED);
	assert_int_equal(state(j, 2), ROT_STEP_PENDING);
	rot_journal_close(j);
	free(p);
}

/* ---- the real table ------------------------------------------------------------------------ */

static void
test_act_table(void **state_)
{
	struct plan_step s;
	int v;

	(void)state_;
	for (v = 0; v < PLAN_NVARIANTS; v++) {
		const struct act_row *row = act_native((enum plan_variant)v);

		assert_non_null(row);
		assert_int_equal(row->variant, v);
		/* a native run always has its undo */
		assert_true(row->run == NULL || row->undo != NULL);
	}
	assert_null(act_native(PLAN_NVARIANTS));
	assert_non_null(act_native(PLAN_V_IMPORT_TOKEN)->run);
	assert_non_null(act_native(PLAN_V_REBIND_FILE)->run);
	assert_non_null(act_native(PLAN_V_RETIRE_TOKEN)->run);
	assert_null(act_native(PLAN_V_REBIND_BINDING)->run);
	memset(&s, 0, sizeof(s));
	s.variant = PLAN_V_REBIND_BINDING;
	s.action = PLAN_COMMAND;
	assert_ptr_equal(act_lookup(&s)->run, act_hook_run);
	assert_ptr_equal(act_lookup(&s)->undo, act_hook_undo);
	s.action = PLAN_MANUAL;
	assert_ptr_equal(act_lookup(&s)->run, act_manual_run);
	s.action = PLAN_NATIVE;
	s.variant = PLAN_V_REBIND_FILE;
	assert_ptr_equal(act_lookup(&s)->run, act_file_install);
}

static int
setup(void **state_)
{
	(void)state_;
	dir = tf_tmpdir("exec");
	return 0;
}

static int
teardown(void **state_)
{
	(void)state_;
	tf_rmrf(dir);
	free(dir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_run),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_done_no_longer),
		cmocka_unit_test(test_stops),
		cmocka_unit_test(test_manual_unattended),
		cmocka_unit_test(test_prompts),
		cmocka_unit_test(test_in_effect),
		cmocka_unit_test(test_only_until),
		cmocka_unit_test(test_renumbered),
		cmocka_unit_test(test_rollback_order),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_rollback_resume),
		cmocka_unit_test(test_rollback_verify),
		cmocka_unit_test(test_kill_after),
		cmocka_unit_test(test_act_table),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
