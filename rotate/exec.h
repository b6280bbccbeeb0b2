/*
 * exec.h - the executor of `run` and `rollback` (SPEC 7): the loop over the
 * plan's steps with the journal.  What a step's checks say, what an action
 * does and what the operator answers come through the interfaces below, so
 * that the loop is tested with a fake action table, fake checks and
 * scripted answers, no token (tests/unit/test_exec.c).
 *
 * RUN.  Each step, in plan order (--only: that one; --until: up to it), is
 * visited according to the journal:
 *   done (journal)      its verify checks run again; passing, it is skipped
 *                       (VERIFIED); failing, it is journaled failed and the
 *                       run stops: the next run redoes it;
 *   started (journal)   a start without done: verified first - when every
 *                       verify check passes and at least one could see the
 *                       result, it is journaled done (VERIFIED); otherwise it
 *                       is redone as below (actions are idempotent);
 *   in effect (plan)    the plan found it done before the run: verified, then
 *                       journaled done "in effect before the run"
 *                       (IN_EFFECT); failing its verification it is done as
 *                       below;
 *   otherwise           its preconditions are checked (the same checks as
 *                       `check`, journal mode); the operator confirms
 *                       (without --yes; a manual step always asks, and stops
 *                       an unattended run); "start" is journaled with the
 *                       facts an undo needs; the action runs; the world is
 *                       invalidated; the verify checks run; "done" or
 *                       "failed" is journaled.
 * The first failure stops the run: a precondition (BLOCKED), the action or
 * its verification (FAILED) - exit 1, or the status of the failure (3 for a
 * token, file or command, 2 for bad input).  When every step is journaled
 * done the rotation is: "done" for ROT_JOURNAL_ROTATION.
 *
 * ROLLBACK.  The steps this journal started (a run-phase start, not rolled
 * back since) are undone in the order that puts services back safely: the
 * retire first (the old certificate back where it was), then renames and
 * rebinds (back to the old certificate), then restarts again in plan order
 * (so that services pick up the old certificate after their refs name it),
 * then grants and imports (the new certificate removed only when this
 * journal imported it) - each group in reverse plan order but restarts.
 * Each undo is journaled (phase rollback: start, then rolled-back or
 * failed); a rollback is resumed like a run; when every undo is done the
 * rotation is "rolled-back".  Steps found in effect before the run are not
 * this journal's: left as they are.
 *
 * PROMPTS (ui->prompt): y done / do it, s skip (journaled skipped), r check
 * again (the world invalidated, the preconditions evaluated again), a abort
 * (journaled failed "aborted by the operator", exit 1).  Without a prompt
 * (unattended: --yes) native and command steps go ahead and the first
 * manual step stops the run, exit 1, nothing journaled for it.
 */
#ifndef ROT_EXEC_H
#define ROT_EXEC_H

#include <stddef.h>

#include "act.h"
#include "journal.h"
#include "../check/check.h"

/* What a step's checks said in one phase. */
struct rot_verdict {
	int exit;		/* SPEC 2 code of these results: 0, 1, 2 or 3 */
	size_t npass, nwarn, nfail, nskip;
	char *detail;		/* the failing checks, "id subject: message; ..." (owned), or NULL */
};
void rot_verdict_release(struct rot_verdict *v);

/* The checks as the loop sees them (cmd_run.c: the check engine; tests: fakes). */
struct rot_exec_checks {
	/* Evaluates step i's checks for ph into *v (zeroed by the caller). */
	void (*eval)(void *ctx, size_t i, enum chk_phase ph, struct rot_verdict *v);
	/* The journal's view: step i is done or not. */
	void (*set_done)(void *ctx, size_t i, int done);
	/* Something changed (CHK_F_*): results depending on it are stale. */
	void (*invalidate)(void *ctx, unsigned what);
	void *ctx;
};

/* *k: the check engine's context c (borrowed: chk_ctx_free it after the loop). */
void rot_exec_engine_checks(struct rot_exec_checks *k, struct chk_ctx *c);

enum rot_answer { ROT_ANS_YES = 0, ROT_ANS_SKIP, ROT_ANS_RECHECK, ROT_ANS_ABORT };
#define ROT_ASK(a) (1u << (a))

/* Why a step is visited. */
enum rot_how {
	ROT_HOW_RUN,		/* to do it */
	ROT_HOW_DONE,		/* journaled done: to verify it */
	ROT_HOW_STARTED,	/* journaled started: to verify it, and redo it if need be */
	ROT_HOW_IN_EFFECT,	/* in effect before the run (plan): to verify it */
	ROT_HOW_UNDO,		/* to undo it */
};

/* How a step's visit ended. */
enum rot_result {
	ROT_RES_DONE,		/* done now */
	ROT_RES_VERIFIED,	/* done earlier (journal), verified */
	ROT_RES_IN_EFFECT,	/* in effect before the run, verified, journaled done */
	ROT_RES_SKIPPED,	/* skipped by the operator */
	ROT_RES_BLOCKED,	/* its preconditions fail */
	ROT_RES_FAILED,		/* its action or its verification failed */
	ROT_RES_ABORTED,	/* the operator aborted */
	ROT_RES_MANUAL,		/* a manual step in an unattended run: not done */
	ROT_RES_UNDONE,		/* rolled back */
	ROT_RES_NRESULTS
};
/* "done", "verified", "in-effect", "skipped", "blocked", "failed", "aborted", "manual", "rolled-back". */
const char *rot_result_name(enum rot_result r);

/* How the whole run or rollback ended. */
enum rot_outcome {
	ROT_OUT_COMPLETE,	/* every step done (run) / undone (rollback) */
	ROT_OUT_STOPPED,	/* a step stopped it (see stop, stop_result) */
	ROT_OUT_UNTIL,		/* --until / --only reached: stopped as asked */
	ROT_OUT_INCOMPLETE,	/* the end was reached with steps skipped */
	ROT_OUT_NOTHING,	/* rollback: nothing this journal did is left to undo */
};

struct rot_summary {
	enum rot_phase phase;
	enum rot_outcome outcome;
	int exit;			/* SPEC 2 */
	long stop;			/* the step it stopped at, or -1 */
	enum rot_result stop_result;	/* what happened there */
	const char *stop_detail;	/* why (borrowed until the summary callback returns), or NULL */
	/* indices of steps by what happened to them in this invocation / what is left */
	size_t *by[ROT_RES_NRESULTS];
	size_t nby[ROT_RES_NRESULTS];
	size_t *left;			/* run: steps not journaled done at the end; rollback: not undone */
	size_t nleft;
};

/* What the person sees (progress.c; tests: fakes).  Every member may be NULL. */
struct rot_exec_ui {
	void (*step)(void *ctx, size_t i, enum rot_how how);
	void (*checks)(void *ctx, size_t i, enum chk_phase ph, const struct rot_verdict *v);
	/* the step is the operator's: show what to do (before the prompt) */
	void (*manual)(void *ctx, size_t i, int undo);
	/* asks about step i (what: 0 before the step, 1 after its preconditions failed,
	   2 after its verification failed); returns an answer among `allowed` */
	enum rot_answer (*prompt)(void *ctx, size_t i, int what, unsigned allowed);
	void (*end)(void *ctx, size_t i, enum rot_result r, long long ms, const char *detail);
	void (*summary)(void *ctx, const struct rot_summary *s);
	void *ctx;
};

struct rot_exec {
	const struct plan *p;
	struct rot_journal *j;
	const struct rot_exec_checks *chk;	/* NULL: nothing verified (tests) */
	const struct rot_exec_ui *ui;
	const struct act_row *(*lookup)(const struct plan_step *s);	/* act_lookup, or a fake */
	struct act_ctx *act;
	enum rot_phase phase;
	int interactive;	/* ask (ui->prompt) before each step; 0: --yes */
	long only;		/* a step index, or -1 */
	long until;		/* a step index, or -1 */
	/* Test hook (certrotate(1) ENVIRONMENT, CERTROTATE_TEST_KILL_AFTER):
	   SIGKILL this process right after the kill_after-th journal event it
	   appended; 0: never. */
	unsigned kill_after;
	unsigned appended;	/* private: events appended so far */
	char **jid;		/* private: per step, the id the journal knows it by */
	char *refused;		/* private: the PIN refusals last journaled (p11_ctx_refusals) */
};

/*
 * Runs x->phase over the plan (see above).  Returns the exit code of SPEC 2
 * (the summary's); err holds a message only for a failure of the journal
 * itself (it cannot be written: CR_EENV) - then the summary is not given.
 */
int rot_exec_run(struct rot_exec *x, struct cr_err *err);

/*
 * The rollback order (see above): the indices of the plan's steps, *n of
 * them (every step).  New array.
 */
size_t *rot_exec_rollback_order(const struct plan *p, size_t *n);

#endif
