/*
 * check.h - the check engine: evaluates the checks a plan lists for its
 * steps - before a step (its preconditions) and after it (its verify
 * checks) - against the real certificates, keys, tokens, files and
 * endpoints, changing nothing.
 *
 * The checks are the rows of plan/checks.def (id, subject, what results
 * depend on, evaluator); which step lists which is plan/checkids.c.  The
 * engine (engine.c) walks that table; the evaluators live by family:
 * certificate (chk_cert.c), key and token (chk_key.c), refs (chk_ref.c),
 * endpoints (chk_endpoint.c), retire (chk_retire.c), files and accounts
 * (chk_files.c).
 *
 * ONE CONTEXT PER PLAN (chk_ctx_new) holds the results and everything
 * evaluations share: each distinct (check, subject, phase) is evaluated
 * once and its item shared by every step that lists it; each token is
 * logged in to once (a refused PIN is never tried again); each endpoint
 * is probed once per change; the new certificate's path to an anchor is
 * built once; each account is looked up once.
 *
 * TWO USERS:
 *  - `check`: chk_plan() - every step's preconditions, then the checks
 *    that belong to no step (old.load, old.validity, ref.expired, the
 *    resolution of refs the plan leaves alone, the new key even when no
 *    pending step lists it), as they would hold at the start of `run`
 *    (opts.journal 0, "projection"): retire.refs passes when every ref on
 *    the old certificate is moved by an earlier step, and fails while one
 *    of those steps is blocked; endpoint warns when an endpoint serves
 *    neither certificate.
 *  - `run`: with opts.journal 1, chk_set_done() from the journal, then for
 *    each step chk_step(ctx, i, CHK_PRE) right before it and
 *    chk_step(ctx, i, CHK_VERIFY) right after it; chk_set_done(ctx, i, 1)
 *    once it is done, and chk_invalidate(ctx, CHK_F_WORLD) after anything
 *    changed outside (a token object written, a file replaced, a service
 *    restarted): the results that depend on it are evaluated again when
 *    next asked for.
 *  - `rollback`: journal mode too; chk_set_done(ctx, i, 0) once step i is
 *    undone, then chk_step(ctx, i, CHK_ROLLBACK): the old certificate back
 *    on its token, in its file, on every endpoint of the refs undone (refs
 *    still done - not this journal's - are left out).  In journal mode retire.refs fails while a step that
 *    moves a ref off the old certificate is not done, and endpoint fails
 *    (not warns) on an endpoint that serves neither certificate.
 *
 * SOURCES are the configuration's, parsed once at load time (struct
 * plan_src: rotation.key_src, old_src, import_to_src with its URI, file
 * path and PIN source): check/ never parses a source's text again; the text
 * appears only in messages.
 *
 * The report (struct chk_report) is the context's: its items in the order
 * they were first evaluated, each step's lists for both phases, the
 * counts and the exit code.  Only rotate/ prints it.
 */
#ifndef CHK_CHECK_H
#define CHK_CHECK_H

#include <stddef.h>
#include <time.h>

#include "checks.h"
#include "../plan/plan.h"
#include "../plan/map.h"

struct p11_ctx;

struct chk_opts {
	int probe;		/* contact endpoints (check --no-probe clears it) */
	int strict;		/* warnings fail */
	int timeout_ms;		/* per probe; 0: 5000 */
	int in_flight;		/* probes at once; 0: 8 */
	int progress;		/* progress on stderr */
	int journal;		/* 0: project to the start of run (check); 1: as the steps
				   marked done leave things (run) */
	time_t now;
};

/*
 * Before a step (its preconditions), after it (its verify checks), or after
 * its undo (`rollback`: its rollback verify checks, plan_step.rbverify).  A
 * step's report for CHK_ROLLBACK is chk_report.verify's (a step is either
 * done or undone by one command); its items are CHK_ROLLBACK's own.
 */
enum chk_phase { CHK_PRE = 0, CHK_VERIFY, CHK_ROLLBACK };

/*
 * What a check's result depends on beyond the inputs (checks.def FLAGS;
 * chk_invalidate's argument).  Two flags are not dependencies:
 * CHK_F_EVEN_DONE - the check is evaluated before a step that is already
 * done, too; CHK_F_TOP - chk_plan evaluates it even where no step lists it
 * (a REF check for each ref the plan leaves alone).
 */
enum {
	CHK_F_DONE = 1 << 0,		/* which steps are done */
	CHK_F_PROBES = 1 << 1,		/* what endpoints serve */
	CHK_F_TOKENS = 1 << 2,		/* token contents */
	CHK_F_FILES = 1 << 3,		/* files and their permissions */
	CHK_F_WORLD = CHK_F_PROBES | CHK_F_TOKENS | CHK_F_FILES,
	CHK_F_EVEN_DONE = 1 << 8,
	CHK_F_TOP = 1 << 9,		/* check: evaluated where no step lists it too */
};

struct chk_item {
	enum plan_check check;
	const char *id;		/* plan_check_name(check) (static) */
	enum chk_phase phase;
	char *subject;		/* "host cas2", "ref owa/https-all", ... (owned) */
	struct chk_result res;
	int status;		/* exit-code contribution beyond the result: CR_OK,
				   CR_EINPUT or CR_EENV (a token, module or endpoint failed) */
	int attached;		/* listed by at least one step */
	int stops;		/* chk_plan: it fails and no pending step lists it - it
				   stops the rotation: every pending step lists it too
				   (blocked by it), and the report says why */
	/* engine-private */
	size_t last_call;	/* the chk_step call it was last listed by */
	int stale;		/* to be evaluated again when next asked for */
};

enum chk_step_status { CHK_STEP_READY = 0, CHK_STEP_BLOCKED, CHK_STEP_DONE };
const char *chk_step_status_name(enum chk_step_status s);	/* "ready", ... */

/* The results of one step in one phase (the last chk_step call for it). */
struct chk_step_report {
	size_t *items;		/* indices into chk_report.items, in listing order */
	size_t n, cap;
	/* PRE: DONE when the step is done, else BLOCKED when a check fails (a
	   warning too, with strict), else READY.  VERIFY: BLOCKED or READY. */
	enum chk_step_status status;
	int exit;		/* SPEC 2 code of these results alone: 0, 1, 2 or 3 */
};

struct chk_report {
	struct chk_item *items;
	size_t n, cap;
	struct chk_step_report *steps;	/* preconditions, one per plan step */
	struct chk_step_report *verify;	/* verify checks, one per plan step */
	size_t nsteps;
	size_t *top;			/* items listed by no step (chk_plan) */
	size_t ntop;
	size_t count[4];		/* by enum chk_status, over distinct items (chk_plan) */
	int status;			/* the exit code SPEC 2 gives the report (chk_plan) */
	struct plan_map index;		/* "check\x1fphase\x1fsubject" -> item */
	char **keys;			/* the index's keys (owned) */
};

struct chk_ctx;

/*
 * A context for the plan `p` (borrowed, with its configuration and inputs:
 * they must outlive the context), tokens through `p11` (borrowed; may be
 * NULL when nothing is on a token) and the options (copied).  With
 * opts->probe, every endpoint a ref step names is probed now (in parallel,
 * bounded by in_flight and timeout_ms).  Every step starts done as the plan
 * says.  Never fails; chk_ctx_free it.
 */
struct chk_ctx *chk_ctx_new(const struct plan *p, struct p11_ctx *p11, const struct chk_opts *o);
void chk_ctx_free(struct chk_ctx *c);	/* accepts NULL */

/* The results so far (borrowed from the context). */
const struct chk_report *chk_ctx_report(const struct chk_ctx *c);

/*
 * The journal's view: step `step` is done (1) or not (0).  Results that
 * depend on it (CHK_F_DONE: endpoint, retire.refs) are evaluated again when
 * next asked for.
 */
void chk_set_done(struct chk_ctx *c, size_t step, int done);
int chk_is_done(const struct chk_ctx *c, size_t step);

/*
 * The executor changed something (CHK_F_PROBES, CHK_F_TOKENS, CHK_F_FILES,
 * or CHK_F_WORLD for all): results that depend on it are evaluated again
 * when next asked for, endpoints probed again.  Token logins are kept.
 */
void chk_invalidate(struct chk_ctx *c, unsigned what);

/*
 * Evaluates the checks step `step` lists for `phase` (its preconditions,
 * skipping all but CHK_F_EVEN_DONE ones when the step is done; or its
 * verify checks) and returns its list (borrowed; valid until the next call
 * for the same step and phase).  Results already evaluated and not
 * invalidated are reused.  NULL when step is out of range.
 */
const struct chk_step_report *chk_step(struct chk_ctx *c, size_t step, enum chk_phase phase);

/*
 * `check`: the preconditions of every step in plan order, then the checks
 * that belong to no step; counts the results and sets the report's exit
 * code (2, then 3, then 1, then 0) and every step's status.  Call once,
 * on a fresh context.
 *
 * ONE VERDICT: every failed check (a warning too, with strict) blocks the
 * pending steps that list it; one that no pending step lists (a check of
 * no step, or one listed by done steps only: the new key once its import
 * is done, an endpoint of a ref already moved) stops the rotation: it is
 * marked `stops` and added to every pending step's list, so that those
 * steps are blocked by it.  So a step is blocked exactly when a failed
 * check is in its list, the report fails exactly when a check fails, and
 * a failure never sits where it blocks nothing while steps are pending.
 */
void chk_plan(struct chk_ctx *c);

/*
 * The report of a check whose plan could not be built because one of its
 * inputs failed to load (plan_inputs.failed not PLAN_INPUT_NONE; `err` is
 * that failure):
 * the failure as the check it is - old.load or new.load, token.login when a
 * module or token failed (SPEC 2: exit 3), new.chain for rotation.chain and
 * rotation.trust - beside the validity of what did load.  No steps.
 * *rep is zeroed by the caller; release it with chk_report_release.
 * Returns 0 when the failure is not a check's (a ref's or protect entry's
 * source: a configuration error), leaving *rep empty.
 */
int chk_unplanned(const struct plan_config *cfg, const struct plan_inputs *in,
    const struct chk_opts *o, const struct cr_err *err, struct chk_report *rep);

void chk_report_release(struct chk_report *rep);

#endif
