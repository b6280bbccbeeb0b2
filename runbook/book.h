/*
 * book.h - the change-request runbook of SPEC 8: one document a change
 * board approves and an operator follows, written from the plan, the
 * pre-check results and the kinds' commands.
 *
 * THE DOCUMENT (Markdown, GitHub's dialect: CommonMark with pipe tables):
 *   title, rotation, when and from what it was written, a summary table;
 *   1. Certificates: old and new side by side (subject, issuer, serial, SAN,
 *      validity, signature algorithm name and OID, key, EKU, SHA-1
 *      thumbprint, SHA-256, the <I>..<S>.. name, source), what changes;
 *   2. What is affected: hosts, services, every ref with its endpoint and
 *      what the plan does with it, the plan's notes;
 *   3. Pre-checks: the results of `check` (the same engine, check/: chk_plan),
 *      failures first, each with the steps it concerns;
 *   4. Steps: each step numbered and named as in the plan, with host,
 *      service, ref, action, status, what and why, its pre-checks, the exact
 *      commands (the kind's, every value quoted for the kind's shell; a
 *      command step's hook, each argument quoted for sh; what `certrotate
 *      run` does itself for a native step), how to verify (the kind's verify
 *      commands and the step's verify checks explained), how to roll back;
 *   5. Rollback: the steps in reverse order and how each is undone;
 *   6. Sign-off: prepared, reviewed, approved, implemented; change number
 *      and window (blanks to fill);
 *   Appendix: the certificates as PEM, under the file names the commands use.
 * Every value from a certificate, the configuration or a check message is
 * written through md.h (escaped text or code spans); commands through
 * quote.h (one literal per value) inside fenced blocks.
 *
 * {new.pem} and {old.pem} in commands name the appendix's files,
 * "<rotation>-new.pem" (the new certificate and the configured chain) and
 * "<rotation>-old.pem" (the old certificate and its chain), which the
 * operator saves where the commands run.
 *
 * The check results come in the neutral form below, filled by the command
 * line from the check engine's report (rotate/cmd_runbook.c), so that this
 * layer knows nothing of the engine.
 */
#ifndef BOOK_BOOK_H
#define BOOK_BOOK_H

#include <stddef.h>
#include <time.h>

#include "kind.h"
#include "../common/err.h"

struct plan;

/* As the check engine's: the order is the same (pass, warn, fail, skip). */
enum book_status { BOOK_PASS = 0, BOOK_WARN, BOOK_FAIL, BOOK_SKIP, BOOK_NSTATUS };
enum book_step_status { BOOK_STEP_READY = 0, BOOK_STEP_BLOCKED, BOOK_STEP_DONE };

struct book_check {
	const char *id;		/* "new.chain" */
	const char *subject;	/* "certificate new", "ref owa/https-sni" */
	const char *message;	/* one line */
	enum book_status status;
};

struct book_step_checks {
	const size_t *items;	/* indices into book_checks.items, in listing order */
	size_t n;
	enum book_step_status status;
};

/* The pre-check results.  Everything borrowed from the caller. */
struct book_checks {
	const struct book_check *items;		/* each distinct check once */
	size_t n;
	const struct book_step_checks *steps;	/* one per plan step, in plan order */
	const size_t *top;			/* checks that belong to no step */
	size_t ntop;
	size_t count[BOOK_NSTATUS];
	int status;		/* the exit code check gives them (0 ready, 1, 2, 3) */
	int probed;		/* endpoints were probed (not --no-probe) */
};

struct book_opts {
	const char *config;	/* the configuration as the user named it */
	const char *version;	/* certrotate's */
	time_t now;		/* when the document is written */
};

/*
 * Writes the runbook of plan p as Markdown into *out (NULL on entry; a new
 * string, free() it).  checks is required; kinds supplies each step's kind
 * (book_step_kind).  Fails, writing nothing, with CR_EINPUT when a kind
 * cannot be loaded ("service 'owa': unknown kind 'iss': ...") or a command
 * cannot be written as it would run (a value the shell cannot receive, or
 * one a document cannot show faithfully: a control character, an invisible
 * formatting mark - message names the step, the kind and the placeholder).
 */
int book_markdown(const struct plan *p, const struct book_checks *checks,
    struct book_kinds *kinds, const struct book_opts *o, char **out, struct cr_err *err);

/*
 * Renders Markdown md (as book_markdown writes it) as one self-contained
 * HTML page: inline CSS (status colours, print layout), no script, no
 * external asset (a Content-Security-Policy says so to the browser), raw
 * HTML in md never passed through.  title is escaped.  *out NULL on entry; a
 * new string, free() it.  CR_EENV when the Markdown library fails.
 */
int book_html(const char *md, const char *title, char **out, struct cr_err *err);

/* "mail-2026-new.pem" / "mail-2026-old.pem": the appendix's file names.  New string. */
char *book_pem_name(const struct plan *p, int new_cert);

#endif
