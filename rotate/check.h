/*
 * check.h - the check engine: evaluates, for every step of a plan, the
 * checks the plan lists as its preconditions (plan/checkids.c), against the
 * real certificates, keys, tokens and endpoints, changing nothing.
 *
 * Each distinct (check id, subject) is evaluated once and shared by every
 * step that lists it; checks that belong to no step (old.load,
 * old.validity, ref.expired, the resolution of refs the plan leaves alone,
 * token logins no step lists) are the report's top-level checks.
 *
 * `check` evaluates preconditions "as they would hold at the start of run",
 * projecting the plan: retire.refs passes when every ref on the old
 * certificate is moved by an earlier step (and names those steps); `run`
 * re-evaluates it against what the journal says is done.
 */
#ifndef ROT_CHECK_H
#define ROT_CHECK_H

#include <stddef.h>
#include <time.h>

#include "checks.h"
#include "../plan/plan.h"
#include "../plan/map.h"

struct p11_ctx;

struct rot_check_opts {
	int probe;		/* contact endpoints (check --no-probe clears it) */
	int strict;		/* warnings fail */
	int timeout_ms;		/* per probe; 0: 5000 */
	int in_flight;		/* probes at once; 0: 8 */
	int progress;		/* progress on stderr */
	time_t now;
};

struct rot_item {
	const char *id;		/* check id (static) */
	char *subject;		/* "host cas2", "ref owa/https-all", ... (owned) */
	struct rot_result res;
	int status;		/* exit-code contribution beyond the result: CR_OK,
				   CR_EINPUT or CR_EENV (a token, module or endpoint failed) */
	int attached;		/* listed by at least one step */
	size_t last_step;	/* internal: the step it was last attached to, + 1 */
};

enum rot_step_status { ROT_STEP_READY = 0, ROT_STEP_BLOCKED, ROT_STEP_DONE };
const char *rot_step_status_name(enum rot_step_status s);	/* "ready", ... */

struct rot_step_report {
	size_t *items;		/* indices into rot_report.items, in listing order */
	size_t n, cap;
	enum rot_step_status status;
};

struct rot_report {
	struct rot_item *items;
	size_t n, cap;
	struct rot_step_report *steps;	/* one per plan step */
	size_t nsteps;
	size_t *top;			/* items attached to no step */
	size_t ntop;
	size_t count[4];		/* by enum rot_status, over distinct items */
	int status;			/* the exit code SPEC 2 gives this report */
	struct plan_map index;		/* "id\x1fsubject" -> item */
	char **keys;			/* the index's keys (owned) */
};

/*
 * Evaluates every precondition of every pending step of `p` (and the
 * top-level checks) into *rep (zeroed by the caller or fresh; release with
 * rot_report_release).  Never fails as a whole: problems are check results,
 * and rep->status is the exit code (2, then 3, then 1, then 0).
 */
void rot_check_plan(const struct plan *p, struct p11_ctx *p11,
    const struct rot_check_opts *opts, struct rot_report *rep);

/*
 * The report of a check whose plan could not be built because one of its
 * inputs failed to load (plan_inputs.failed not PLAN_INPUT_NONE; `err` is that failure):
 * the failure as the check it is - old.load or new.load, token.login when a
 * module or token failed (SPEC 2: exit 3), new.chain for rotation.chain and
 * rotation.trust - beside the validity of what did load.  No steps.
 * Returns 0 when the failure is not a check's (a ref's or protect entry's
 * source: a configuration error), leaving *rep empty.
 */
int rot_check_unplanned(const struct plan_config *cfg, const struct plan_inputs *in,
    const struct rot_check_opts *opts, const struct cr_err *err, struct rot_report *rep);

void rot_report_release(struct rot_report *rep);

#endif
