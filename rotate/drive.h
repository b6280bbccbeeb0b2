/*
 * drive.h - what `run` and `rollback` share once their journal is open and
 * their plan loaded: the executor (exec.h) set up with the check engine in
 * journal mode, the actions' context (act.h), the kinds directory and the
 * progress for people or JSON Lines (progress.h), run in one phase.
 */
#ifndef CR_ROTATE_DRIVE_H
#define CR_ROTATE_DRIVE_H

#include "journal.h"
#include "rot.h"
#include "state.h"

struct rot_drive_opts {
	const char *config, *state;	/* as given (NULL: defaults), for "run again" hints */
	const char *kinds;		/* --kinds, or NULL */
	int yes;			/* --yes: unattended */
	enum rot_format fmt;
	enum rot_phase phase;
	long long hook_timeout_ms;
	int probe_timeout_ms;		/* 0: the default */
	long only, until;		/* step numbers, or -1 */
};

/*
 * Runs st's plan in o->phase and reports a failure on stderr.  Returns the
 * exit code (SPEC 2).
 */
int rot_drive(struct rot_state *st, const struct rot_drive_opts *o);

#endif
