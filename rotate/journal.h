/*
 * journal.h - the crash-safe journal of a rotation (SPEC 7.1).
 *
 * A journal is a file of JSON Lines, mode 0600.  Its first line binds it to
 * one rotation:
 *
 *   {"certrotate-journal":1,"rotation":"mail-2026","old_sha256":"3F..","new_sha256":"DA..","at":"2026-..Z"}
 *
 * and every other line is one event:
 *
 *   {"step":"03-rebind-cas2-owa-https-all","event":"start","at":"2026-01-05T10:00:00Z","detail":""}
 *   {"step":"03-rebind-cas2-owa-https-all","event":"done","at":"..","detail":"..","data":{"written":".."}}
 *   {"step":"03-rebind-cas2-owa-https-all","event":"start","phase":"rollback","at":"..","detail":""}
 *
 * event is start | done | failed | skipped | rolled-back; "phase" is
 * present (and "rollback") only for events written by a rollback; "data"
 * holds what the executor needs to resume or undo the step (which file
 * was written where, whether this journal imported the object), string
 * values only.  The step id "rotation" (ROT_JOURNAL_ROTATION) stands for
 * the whole rotation: its "done" says the rotation is complete, its
 * "rolled-back" that the rollback is.
 *
 * Durability: every append is one write(2) of the whole line followed by
 * fsync(2) before it returns, so an event the executor saw appended
 * survives a crash; the executor appends "start" before an action and
 * "done"/"failed" after it.  A crash in the middle of an append leaves a
 * last line without its newline (a torn line): the next open ignores it,
 * removes it from the file and reports it (rot_journal_warning) - that
 * event never happened.  Anything else that does not parse is refused.
 *
 * Exclusion: while a struct rot_journal is open it holds an exclusive
 * flock(2) on the journal file itself; a second open - another run or
 * rollback on the same state - fails at once (no waiting) with status 3
 * (CR_EENV, environment: the state is busy, not the input's fault; try
 * again when the other run ends) and reason CR_R_STATE.
 *
 * Secrets: the journal holds step ids, times, messages and paths.  Nothing
 * here receives a PIN: details are messages whose secrets were masked where
 * they were made (cr_secret_masked) and hook stderr tails; hooks never
 * receive a PIN from certrotate.
 *
 * Bounds: a line is at most ROT_JOURNAL_LINE_MAX bytes, a journal at most
 * ROT_JOURNAL_MAX bytes (a plan of thousands of steps fits many times over).
 *
 * Status and reasons:
 *   CR_EINPUT (2)  CR_R_STATE: a journal of another rotation (name, old or new
 *                  SHA-256 differ), or of another version, or not a journal;
 *                  CR_R_MALFORMED: a line in the middle that does not parse
 *                  (the message names the file and line);
 *                  CR_R_TOO_LARGE: a line or the journal over its bound;
 *                  CR_R_NOT_REGULAR: a symlink, FIFO, directory at the path;
 *                  CR_R_NOT_FOUND: no journal and ROT_JOURNAL_CREATE not given.
 *   CR_EENV (3)    CR_R_STATE: locked by another run, or owned by another user,
 *                  or hard-linked elsewhere; CR_R_IO: cannot write or sync;
 *                  CR_R_TOO_LARGE: an append would pass ROT_JOURNAL_MAX.
 */
#ifndef ROT_JOURNAL_H
#define ROT_JOURNAL_H

#include <stddef.h>

#include "../common/err.h"

#define ROT_JOURNAL_VERSION 1
#define ROT_JOURNAL_LINE_MAX (64 * 1024)		/* bytes, newline included */
#define ROT_JOURNAL_MAX (64 * 1024 * 1024)		/* bytes */
#define ROT_JOURNAL_DETAIL_MAX (8 * 1024)		/* a longer detail is cut (at a character) */
#define ROT_JOURNAL_STEP_MAX 1024			/* bytes of a step id: [A-Za-z0-9._:-] (a ref's
							   slug alone may have 256) */
#define ROT_JOURNAL_DATA_MAX 8				/* key/value pairs in an event's data */
#define ROT_JOURNAL_VALUE_MAX 4096			/* bytes of a data value (a path) */
#define ROT_JOURNAL_ROTATION "rotation"			/* the step id of the whole rotation */
/* data key of a failed event: the PIN refusals known then (p11_ctx_refusals; no PIN in them) */
#define ROT_JOURNAL_PIN_REFUSED "pin_refused"

enum rot_event {
	ROT_EV_START,
	ROT_EV_DONE,
	ROT_EV_FAILED,
	ROT_EV_SKIPPED,
	ROT_EV_ROLLED_BACK,
};

enum rot_phase {
	ROT_PHASE_RUN,
	ROT_PHASE_ROLLBACK,
};

/* A step's state: its last event, or PENDING when it has none. */
enum rot_step_state {
	ROT_STEP_PENDING,
	ROT_STEP_STARTED,
	ROT_STEP_DONE,
	ROT_STEP_FAILED,
	ROT_STEP_SKIPPED,
	ROT_STEP_ROLLED_BACK,
};

/* "start", "done", ... as written in the journal. */
const char *rot_event_name(enum rot_event ev);
/* "pending", "started", "done", "failed", "skipped", "rolled-back". */
const char *rot_step_state_name(enum rot_step_state st);

/* What a journal is bound to.  The strings are borrowed. */
struct rot_journal_id {
	const char *rotation;	/* rotation.name */
	const char *old_sha256;	/* 64 hex digits (any case) */
	const char *new_sha256;
};

struct rot_journal;	/* opaque */

enum {
	ROT_JOURNAL_CREATE = 1,	/* create the journal when there is none */
};

/*
 * Opens (creating it, 0600, with ROT_JOURNAL_CREATE) the journal at `path`
 * without following a symlink there, takes its lock, checks its header
 * against *id, and replays it.  A new or empty journal gets its header
 * written (then every field of *id is required).  On an existing journal
 * a NULL old_sha256 / new_sha256 in *id accepts the journal's own (the old
 * certificate may be gone once the rotation is complete); the rotation
 * name is always compared.  A torn last line is removed from the file and
 * reported by rot_journal_warning.  *out is NULL on entry; close it with
 * rot_journal_close.  id is required, and id->rotation always.
 */
int rot_journal_open(const char *path, const struct rot_journal_id *id, int flags,
    struct rot_journal **out, struct cr_err *err);

/* Releases the lock and frees j; j may be NULL. */
void rot_journal_close(struct rot_journal *j);

/* What the header says (the journal's own values; borrowed from j). */
const struct rot_journal_id *rot_journal_header(const struct rot_journal *j);
const char *rot_journal_path(const struct rot_journal *j);

/*
 * A message for the operator about what the open found and repaired (a torn
 * last line), or NULL.  Borrowed from j.
 */
const char *rot_journal_warning(const struct rot_journal *j);

/* One event to append. */
struct rot_journal_event {
	const char *step;		/* a step id, or ROT_JOURNAL_ROTATION */
	enum rot_event event;
	enum rot_phase phase;
	const char *detail;		/* for people, may be NULL; made valid UTF-8, cut at ROT_JOURNAL_DETAIL_MAX */
	const char *const *data;	/* NULL, or "key", "value", ..., NULL: at most ROT_JOURNAL_DATA_MAX pairs */
};

/*
 * Appends ev with the current time, fsyncs, and updates the replayed state.
 * A step id that is not [A-Za-z0-9._:-]{1,ROT_JOURNAL_STEP_MAX}, a data key that is not
 * [a-z0-9_.-]{1,64}, a value over ROT_JOURNAL_VALUE_MAX or a line over
 * ROT_JOURNAL_LINE_MAX is refused (CR_EINPUT, nothing written).  A failed
 * write is undone (the file truncated back) when possible.
 */
int rot_journal_append(struct rot_journal *j, const struct rot_journal_event *ev,
    struct cr_err *err);

/* A step's replayed state.  The strings are borrowed from j, valid until the next append. */
struct rot_step_info {
	enum rot_step_state state;	/* PENDING when the journal never named the step */
	enum rot_phase phase;		/* of the last event */
	const char *at;			/* of the last event; NULL when pending */
	const char *detail;		/* of the last event; NULL when pending */
};
void rot_journal_step(const struct rot_journal *j, const char *step, struct rot_step_info *info);

/*
 * The value last journaled for `key` in the data of any event of `step`, or
 * NULL.  Borrowed from j.
 */
const char *rot_journal_data(const struct rot_journal *j, const char *step, const char *key);

/* The steps the journal names (ROT_JOURNAL_ROTATION excluded), in order of first appearance. */
size_t rot_journal_nsteps(const struct rot_journal *j);
const char *rot_journal_step_id(const struct rot_journal *j, size_t i);

/* 1 when the last event of ROT_JOURNAL_ROTATION is "done" in the run phase. */
int rot_journal_complete(const struct rot_journal *j);
/* 1 when the last event of ROT_JOURNAL_ROTATION is "rolled-back". */
int rot_journal_rolled_back(const struct rot_journal *j);

#endif
