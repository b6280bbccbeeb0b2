/*
 * state.h - what `run` and `rollback` start from: the configuration, the
 * journal (SPEC 7.1) and the plan, opened in the order that keeps the
 * journal's promises.
 *
 *  1. rot_state_open: the configuration, then the journal when there is
 *     one - locked at once (a second run is refused before it reads any
 *     token: CR_EENV, CR_R_STATE) and checked to be this rotation's by name.
 *     A complete or rolled-back journal can be answered from here, loading
 *     no certificate (the old one may be gone: the journal's identities
 *     suffice).
 *  2. rot_state_load: tokens (read-write sessions), certificates, plan; a
 *     new journal created (bound to the rotation's name and both SHA-256),
 *     an existing one checked against both (another rotation's journal:
 *     CR_EINPUT, CR_R_STATE, naming what differs).  When the old
 *     certificate can no longer be read because this journal's run retired
 *     it from its token, the archive's copy
 *     (rotation.archive_dir/old-SHA256.der, the SHA-256 the journal's) stands
 *     in for it (plan_inputs_load_retired): the plan and its step ids are
 *     those the journal knows.
 */
#ifndef ROT_STATE_H
#define ROT_STATE_H

#include "load.h"
#include "journal.h"

struct rot_state {
	struct rot_loaded ld;		/* configuration, tokens, certificates, plan */
	struct rot_journal *j;		/* NULL until there is one */
	char *path;			/* the journal's path */
	int retired;			/* the old certificate came from the archive */
};
#define ROT_STATE_INIT { ROT_LOADED_INIT, NULL, NULL, 0 }

/* Step 1.  state_path NULL: "<config>.state". */
int rot_state_open(struct rot_state *st, const char *cfgpath, const char *state_path,
    struct cr_err *err);

/* Step 2.  create: make the journal when there is none (run; not rollback). */
int rot_state_load(struct rot_state *st, const struct rot_command *cmd, int create,
    int force_login, struct cr_err *err);

/*
 * For a journal that is complete (or rolled back): whether it is this
 * rotation's as far as can be told without the old certificate - the
 * configuration's new certificate, read without logging in, is the
 * journal's.  CR_OK when it is, or when it cannot be read (the journal's
 * identities then suffice); CR_EINPUT, CR_R_STATE when it differs.
 */
int rot_state_check_new(struct rot_state *st, struct cr_err *err);

void rot_state_release(struct rot_state *st);

/* The index of the step named `name` (its id, or its number from 1), or -1. */
long rot_state_step(const struct plan *p, const char *name);

#endif
