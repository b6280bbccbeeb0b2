/*
 * progress.h - what `run` and `rollback` show while they work (the
 * executor's ui, exec.h) and the operator's prompt on the terminal.
 *
 * Text (default), on stdout: a header, then for each step a line as it
 * starts ("[ 3/12] ID  ACTION  description"), its preconditions (counted
 * when they all pass, else each one that does not), what the action did,
 * its verify checks one per line, and a line as it ends with its result and
 * duration; at the end a summary - what was done, verified, skipped, what is
 * left - and, when it stopped, why and what to do next.
 *
 * JSON (--format json): JSON Lines on stdout, one object per event as it
 * happens, flushed at once, so that a supervisor can follow a long run and
 * a crash leaves every line before it whole:
 *   {"event":"begin", "phase", "rotation", "journal", "steps", "old", "new"}
 *   {"event":"step", "step", "index", "type", "action", "visit", "description"}
 *   {"event":"checks", "step", "phase": "pre|verify", "exit", "checks": [{id, status, message, subject}]}
 *   {"event":"manual", "step", "undo", "lines": [...]}
 *   {"event":"end", "step", "result", "seconds", "detail"}
 *   {"event":"summary", "phase", "outcome", "exit", "stop": {step, result, detail} | null,
 *    "done", "verified", "in_effect", "skipped", "rolled_back", "left": [ids], "next"}
 * (certrotate(1) documents them.)  Prompts and manual commands then go to
 * stderr, which is the terminal's.
 *
 * The prompt reads one line from stdin (a terminal: the command refuses to
 * ask otherwise): y, s, r or a (or yes, skip, recheck, abort); anything else
 * asks again; end of input aborts.
 */
#ifndef ROT_PROGRESS_H
#define ROT_PROGRESS_H

#include <stdio.h>

#include "exec.h"
#include "rot.h"

struct chk_ctx;

struct rot_progress {
	enum rot_format fmt;		/* ROT_FMT_TEXT or ROT_FMT_JSON */
	const struct plan *p;
	struct chk_ctx *chk;		/* the checks' report (run); NULL in rollback */
	struct act_ctx *act;		/* for manual steps' commands */
	const char *journal;		/* its path, for people */
	const char *again;		/* the command line options to repeat ("-c x --state y"), "" */
	int yes;			/* --yes was given */
	struct rot_exec_ui ui;		/* filled by rot_progress_init */
};

/* Fills pr->ui (pr->ui.ctx = pr); the other fields are the caller's. */
void rot_progress_init(struct rot_progress *pr);

/* The header: rotation, certificates, steps, journal (and the journal's repair warning). */
void rot_progress_begin(struct rot_progress *pr, enum rot_phase phase, const char *warning);

/* A line for people that is neither a step nor a summary ("rotation complete ..."). */
void rot_progress_note(struct rot_progress *pr, const char *what, const char *text);

/*
 * The JSON Lines summary of a run that finds its journal complete:
 * {"event":"summary","phase":"run","outcome":"complete","exit":0,"rotation","journal","at"}.
 */
void rot_progress_complete(const char *rotation, const char *journal, const char *at);

/* "-c FILE --state FILE" as given (either may be NULL), for the commands a message suggests. */
void rot_again(char *buf, size_t len, const char *config, const char *state);

#endif
