/*
 * act.h - the actions of `run` and `rollback` (SPEC 7.2): what doing a step,
 * and undoing it, means.  ONE table: a row per plan variant with the
 * functions that do it natively and undo it (act.c); a step that a hook does
 * is done by the hook row (act_hook.c), a manual step by the manual row
 * (act_manual.c).  Adding a native step variant is its row and its two
 * functions.
 *
 *   variant        run                                   undo
 *   import-token   the new certificate onto import_to,   removed again, only when this
 *                  CKA_ID the key's (act_token.c)        journal imported it
 *   rebind-file    the new material in the file's own    the archived previous file (or
 *                  layout, atomically (act_file.c)       link text) put back
 *   retire-token   archive DER + PEM, then destroy the   re-imported from the archive with
 *                  object (act_token.c)                  its CKA_ID and label
 *   retire-keep    nothing (retire = keep)               nothing
 *   others         no native action: a hook or the operator
 *
 * Every action is idempotent: done twice, the second time changes nothing
 * and succeeds - `run` redoes a step whose start it journaled but whose
 * verification does not hold (SPEC 7.1).  What an undo needs is written
 * where a crash cannot lose it before anything is changed: archive copies
 * under rotation.archive_dir (0700, files 0600, never overwritten: the first
 * copy is the real previous content), facts of the first attempt in the
 * journal's start event (act_start_data).
 *
 * Private keys are never deleted; the file named by rotation.old is never
 * moved or written.
 */
#ifndef ROT_ACT_H
#define ROT_ACT_H

#include <stddef.h>

#include "../common/err.h"
#include "../plan/plan.h"
#include "journal.h"

struct p11_ctx;
struct act_vars;
struct book_kinds;

/* What actions work with: set up by the command, borrowed by the actions. */
struct act_ctx {
	const struct plan *p;		/* the plan (with its configuration and inputs) */
	struct p11_ctx *p11;		/* tokens, read-write sessions; NULL without tokens */
	const struct rot_journal *j;	/* facts of earlier attempts (rot_journal_data); may be NULL */
	int rollback;			/* 1 while rolling back (hooks: roles swapped) */
	long long hook_timeout_ms;	/* > 0 */
	int hook_echo_fd;		/* a copy of a hook's stderr as it comes, or -1 */
	const char *state_path;		/* the journal: materialised PEMs go beside it */
	struct book_kinds *kinds;	/* manual steps' commands (may be NULL: none shown) */
	struct act_vars *vars;		/* private: placeholder values, PEM files (act_vars.c) */
	/* per step, the id the journal knows it by (exec.c sets it while it
	   runs: the step's own id, or that of the same step under another number
	   from before the configuration changed); NULL: the steps' own ids */
	const char *const *jid;
};

/* The id the journal knows step `step` by (see act_ctx.jid). */
const char *act_jid(const struct act_ctx *a, size_t step);

/* Releases what actions made on the way (the materialised PEM files removed). */
void act_ctx_release(struct act_ctx *a);

/* What an action reports. */
#define ACT_DATA_MAX 6			/* key/value pairs (ROT_JOURNAL_DATA_MAX leaves room) */
struct act_out {
	char *detail;			/* one line for people and the journal (owned), or NULL */
	char *key[ACT_DATA_MAX];	/* data for the journal: keys static, */
	char *value[ACT_DATA_MAX];	/* values owned */
	size_t ndata;
	int kept;			/* an undo left things as they were on purpose (not this
					   journal's doing): nothing for rollback to verify */
};
/* Adds a data pair (key static; value copied; a full out drops it). */
void act_out_put(struct act_out *o, const char *key, const char *value);
/* Sets the detail (printf; replaces an earlier one). */
void act_out_detail(struct act_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees the strings and zeroes *o. */
void act_out_release(struct act_out *o);

/*
 * An action on step `step` of a->p.  Returns CR_OK when it is done (or
 * there was nothing to do), else the status of SPEC 2 with err set: 3 for a
 * token, file or command that failed, 1 when the step cannot be done as
 * things are (another certificate holds the object, a layout that cannot
 * take the new material), 2 for bad input.  *out is zeroed by the caller.
 */
typedef int act_fn(struct act_ctx *a, size_t step, struct act_out *out, struct cr_err *err);

struct act_row {
	enum plan_variant variant;
	act_fn *run;		/* NULL: no native action for this variant */
	act_fn *undo;
};

/* The native row of a variant (its run NULL when there is none). */
const struct act_row *act_native(enum plan_variant v);

/*
 * The row that does step s: the native row of its variant for a native
 * step, the hook row (act_hook_run / act_hook_undo) for a command, the
 * manual row (act_manual_run / act_manual_undo: the operator did it) for a
 * manual step.
 */
const struct act_row *act_lookup(const struct plan_step *s);

/*
 * The data `run` journals with a step's first start, before anything is
 * done (act.c): what an undo must know of the state before the step -
 * whether the plan saw the step pending.  Pairs of static strings.
 */
#define ACT_KEY_ACTION "action"		/* native | command | manual */
#define ACT_KEY_VARIANT "variant"	/* plan_variant_name */
#define ACT_KEY_PLAN "plan"		/* pending | done: the step as the plan saw it */

/* ---- the actions (one file each) ---------------------------------------------- */

/* act_token.c */
act_fn act_token_import, act_token_unimport, act_token_retire, act_token_restore;
/* act_file.c */
act_fn act_file_install, act_file_restore;
/* act_hook.c: the step's hook; its undo hook, else the same hook with roles swapped */
act_fn act_hook_run, act_hook_undo;
/* act_manual.c: nothing to do here - the operator answered that it is done */
act_fn act_manual_run, act_manual_undo;
/* retire = keep: nothing, either way */
act_fn act_nothing;

/*
 * The commands an operator runs for step `step` (its kind's `do` and
 * `verify`, or `undo` when rolling back), each value quoted for the kind's
 * shell: *lines (NULL on entry) a new array of *n strings, each "$ cmd" or a
 * heading ("verify:", "notes:"); act_lines_free it.  None (no kind group):
 * *n 0.  CR_EINPUT when a value cannot be quoted for the shell.
 */
int act_manual_lines(struct act_ctx *a, size_t step, char ***lines, size_t *n,
    struct cr_err *err);
void act_lines_free(char **lines, size_t n);

/*
 * Where rollback finds what a step archived: rotation.archive_dir/STEP, STEP
 * the step's id without its number ("rebind-cas2-owa-https": the place stays
 * when a changed configuration renumbers the steps; act_file.c), and the
 * retired certificate rotation.archive_dir/old-SHA256.* (act_token.c).  New
 * strings.
 */
char *act_archive_step_dir(const struct plan_config *cfg, const char *step_id);
char *act_archive_retired(const struct plan_config *cfg, const char *old_sha256_hex,
    const char *ext);

#endif
