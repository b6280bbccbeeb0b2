/*
 * hook.h - running a configured command (SPEC 7.2 "command", 9).
 *
 * A hook is an argv list, already expanded (one placeholder substitution
 * per element, done by the caller): it is executed directly with execve(2),
 * never through a shell, so no byte of any argument - quotes, $(...), ;,
 * newlines - is interpreted by anyone but the program itself.
 *
 * The child:
 * - runs in the working directory given (the configuration file's);
 * - gets our environment with CERTROTATE_PHASE=run (or =rollback) set and
 *   nothing else added (no PIN or secret is ever put in a hook's
 *   environment or arguments by certrotate);
 * - reads stdin from /dev/null; writes stdout where the caller says
 *   (default our stderr, so a hook cannot corrupt `--format json` output on
 *   our stdout; or into the captured tail with its stderr); its stderr is captured (the last CR_HOOK_TAIL_MAX bytes
 *   kept for the journal) and, when asked, copied to an fd as it comes;
 * - inherits no other file descriptor (not the journal's, whose lock a
 *   daemon started by a hook would otherwise hold forever);
 * - starts with default signal dispositions and an empty signal mask;
 * - leads a process group of its own.  Past its timeout the whole group -
 *   the hook and whatever it started that stayed in the group - gets
 *   SIGTERM, then SIGKILL after a grace period (or as soon as the hook has
 *   exited and its stderr is closed).  A hook that exits in time is not
 *   waited for beyond itself: background processes it leaves (a daemon it
 *   restarted) are not killed, and their output after the hook's exit is
 *   not collected.
 */
#ifndef CR_HOOK_H
#define CR_HOOK_H

#include "err.h"

#define CR_HOOK_TIMEOUT_DEFAULT_MS (300LL * 1000)	/* SPEC 7.2: 300 s */
#define CR_HOOK_GRACE_DEFAULT_MS (5LL * 1000)		/* between SIGTERM and SIGKILL */
#define CR_HOOK_TAIL_MAX 4096				/* bytes of stderr kept */
#define CR_HOOK_STDOUT_CAPTURED (-2)			/* cr_hook.stdout_fd: into the tail */

enum cr_hook_outcome {
	CR_HOOK_OK,		/* exited with status 0 */
	CR_HOOK_EXIT,		/* exited with a non-zero status (code) */
	CR_HOOK_SIGNAL,	/* killed by a signal (code), not by us */
	CR_HOOK_TIMEOUT,	/* ran past its timeout: its process group was killed */
	CR_HOOK_NOT_FOUND,	/* argv[0] resolves to no file */
	CR_HOOK_NOT_EXEC,	/* argv[0] resolves, but cannot be executed */
	CR_HOOK_ERROR,		/* could not be started (working directory, fork, pipe) */
};

/* "ok", "exit", "signal", "timeout", "not-found", "not-executable", "error". */
const char *cr_hook_outcome_name(enum cr_hook_outcome o);

struct cr_hook {
	char *const *argv;	/* NULL-terminated, argv[0] the program; borrowed */
	const char *cwd;	/* working directory; NULL: ours */
	int rollback;		/* CERTROTATE_PHASE=rollback instead of run */
	long long timeout_ms;	/* > 0 */
	long long grace_ms;	/* >= 0: SIGTERM to SIGKILL */
	int stdout_fd;		/* the hook's stdout: this fd of ours (default 2, our stderr),
				   or CR_HOOK_STDOUT_CAPTURED: captured with its stderr (a
				   configuration test: haproxy -c reports on stdout) */
	int echo_fd;		/* a copy of its stderr as it comes, or -1 (default) */
};

/* Fills *h with argv, cwd and the defaults above (phase run). */
void cr_hook_init(struct cr_hook *h, char *const *argv, const char *cwd);

struct cr_hook_result {
	enum cr_hook_outcome outcome;
	int code;		/* the exit status (EXIT) or signal number (SIGNAL); else 0 */
	char *stderr_tail;	/* the last CR_HOOK_TAIL_MAX bytes of its stderr at most, valid UTF-8 (see cr_utf8_sanitize); "" when none; never NULL after cr_hook_run */
	int tail_cut;		/* 1 when earlier stderr was dropped */
	char *path;		/* the program run (argv[0] resolved), or NULL when it did not resolve */
	long long elapsed_ms;	/* from start to its end */
};
/* Frees the strings and zeroes *r; r may be NULL. */
void cr_hook_result_release(struct cr_hook_result *r);

/*
 * Runs the hook to its end (or its timeout) and fills *res (zeroed on
 * entry; release it with cr_hook_result_release, whatever the status).
 * Returns CR_OK when it exited with status 0.  Otherwise CR_EENV and a
 * message naming argv[0] ("command 'nginx' exited with status 1: <last line
 * of its stderr>"), with reason:
 *   CR_R_COMMAND    exited non-zero, killed by a signal, could not be started;
 *   CR_R_TIMEOUT    killed at its timeout;
 *   CR_R_NOT_FOUND  not found, or not executable.
 * An argv without a program is CR_EINPUT, CR_R_CONFIG.
 */
int cr_hook_run(const struct cr_hook *h, struct cr_hook_result *res, struct cr_err *err);

/*
 * Resolves argv[0] the way cr_hook_run does, without running anything (the
 * hook.exec check): a name holding a '/' is a path, relative to cwd (NULL:
 * ours) unless absolute; any other name is searched in $PATH (unset:
 * /usr/local/bin:/usr/bin:/bin; relative entries, and an empty one meaning ".", are
 * relative to cwd), the first executable match winning.  It must be a
 * regular file, executable by us, and (when we can read it) an ELF binary
 * or start with "#!" - a script without one would only run through a
 * shell, which certrotate never uses.
 * CR_OK and *path (new string, free() it; absolute when cwd is) or, with
 * *path NULL, CR_EENV, reason CR_R_NOT_FOUND, and *outcome (may be NULL)
 * CR_HOOK_NOT_FOUND or CR_HOOK_NOT_EXEC.
 */
int cr_hook_resolve(const char *prog, const char *cwd, char **path,
    enum cr_hook_outcome *outcome, struct cr_err *err);

#endif
