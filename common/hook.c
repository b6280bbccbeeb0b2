#include "hook.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "text.h"
#include "utf8.h"
#include "util.h"

extern char **environ;

#define PHASE_VAR "CERTROTATE_PHASE="
#define DRAIN_MAX (1024 * 1024)	/* stderr read after the hook's exit, at most */
#define LINE_SHOWN 200		/* bytes of the last stderr line in a message */

static const char *const outcome_names[] = {
	[CR_HOOK_OK] = "ok", [CR_HOOK_EXIT] = "exit", [CR_HOOK_SIGNAL] = "signal",
	[CR_HOOK_TIMEOUT] = "timeout", [CR_HOOK_NOT_FOUND] = "not-found",
	[CR_HOOK_NOT_EXEC] = "not-executable", [CR_HOOK_ERROR] = "error",
};

const char *
cr_hook_outcome_name(enum cr_hook_outcome o)
{
	return (unsigned)o < sizeof(outcome_names) / sizeof(outcome_names[0]) ? outcome_names[o] : "?";
}

void
cr_hook_init(struct cr_hook *h, char *const *argv, const char *cwd)
{
	memset(h, 0, sizeof(*h));
	h->argv = argv;
	h->cwd = cwd;
	h->timeout_ms = CR_HOOK_TIMEOUT_DEFAULT_MS;
	h->grace_ms = CR_HOOK_GRACE_DEFAULT_MS;
	h->stdout_fd = STDERR_FILENO;
	h->echo_fd = -1;
}

void
cr_hook_result_release(struct cr_hook_result *r)
{
	if (r == NULL)
		return;
	free(r->stderr_tail);
	free(r->path);
	memset(r, 0, sizeof(*r));
}

/* ---------------------------------------------------------------- resolving argv[0] */

/* Whether path is a program we can execute: CR_HOOK_OK, or why not in *why. */
static enum cr_hook_outcome
check_program(const char *path, const char **why)
{
	unsigned char magic[4];
	struct stat st;
	ssize_t n = -1;
	int fd;

	if (stat(path, &st) != 0) {
		*why = strerror(errno);
		return errno == ENOENT || errno == ENOTDIR || errno == ENAMETOOLONG ?
		    CR_HOOK_NOT_FOUND : CR_HOOK_NOT_EXEC;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		return CR_HOOK_NOT_EXEC;
	}
	if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) != 0) {
		*why = "no permission to execute it";
		return CR_HOOK_NOT_EXEC;
	}
	/* an execute-only file we cannot read: the kernel will tell */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) >= 0) {
		n = read(fd, magic, sizeof(magic));
		close(fd);
	}
	if (n >= 0 && !(n >= 2 && memcmp(magic, "#!", 2) == 0) &&
	    !(n == 4 && memcmp(magic, "\177ELF", 4) == 0)) {
		*why = "neither a binary nor a script starting with #! (certrotate runs no shell)";
		return CR_HOOK_NOT_EXEC;
	}
	return CR_HOOK_OK;
}

int
cr_hook_resolve(const char *prog, const char *cwd, char **path,
    enum cr_hook_outcome *outcome, struct cr_err *err)
{
	enum cr_hook_outcome o = CR_HOOK_NOT_FOUND, first_bad = CR_HOOK_OK;
	const char *why = "not found", *pathvar, *p, *bad_why = NULL;
	char *bad = NULL;

	*path = NULL;
	if (prog == NULL || *prog == '\0') {
		why = "empty program name";
		goto fail;
	}
	if (strchr(prog, '/') != NULL) {
		char *c = cr_path_resolve(cwd, prog);
		if ((o = check_program(c, &why)) == CR_HOOK_OK) {
			*path = c;
			goto ok;
		}
		free(c);
		goto fail;
	}
	pathvar = getenv("PATH");
	if (pathvar == NULL)
		pathvar = "/usr/local/bin:/usr/bin:/bin";	/* PATH unset: execvp's default, less "." */
	for (p = pathvar;; p++) {
		size_t n = strcspn(p, ":");
		char *d = n ? cr_xstrndup(p, n) : cr_xstrdup(".");
		char *dir = cr_path_resolve(cwd, d), *c = cr_xasprintf("%s/%s", dir, prog);
		const char *w;
		enum cr_hook_outcome co = check_program(c, &w);

		free(d);
		free(dir);
		if (co == CR_HOOK_OK) {
			*path = c;
			free(bad);
			goto ok;
		}
		if (co == CR_HOOK_NOT_EXEC && bad == NULL) {
			first_bad = co;
			bad = c;	/* reported if nothing executable comes later, as execvp would */
			bad_why = w;
		} else {
			free(c);
		}
		p += n;
		if (*p == '\0')
			break;
	}
	if (bad != NULL) {
		o = first_bad;
		if (outcome != NULL)
			*outcome = o;
		cr_err_setr(err, CR_EENV, CR_R_NOT_FOUND, "command '%s' cannot be executed: '%s': %s",
		    prog, bad, bad_why);
		free(bad);
		return CR_EENV;
	}
	if (outcome != NULL)
		*outcome = CR_HOOK_NOT_FOUND;
	return cr_err_setr(err, CR_EENV, CR_R_NOT_FOUND, "command '%s' not found in PATH (%s)",
	    prog, pathvar);
fail:
	if (outcome != NULL)
		*outcome = o;
	return cr_err_setr(err, CR_EENV, CR_R_NOT_FOUND, "command '%s' %s: %s", prog != NULL ? prog : "",
	    o == CR_HOOK_NOT_FOUND ? "not found" : "cannot be executed", why);
ok:
	if (outcome != NULL)
		*outcome = CR_HOOK_OK;
	return CR_OK;
}

/* ---------------------------------------------------------------- the child */

/* What the child reports through the status pipe when it cannot exec. */
enum stage { STAGE_CHDIR = 1, STAGE_FDS, STAGE_EXEC };
struct report {
	int stage;
	int err;
};

static void __attribute__((noreturn))
child_fail(int statw, enum stage stage)
{
	struct report rep = { stage, errno };

	(void)!write(statw, &rep, sizeof(rep));
	_exit(127);
}

/*
 * In the child, between fork and exec: only async-signal-safe calls.  The
 * fds it needs are first moved above 2 so that making them 0, 1, 2 cannot
 * clobber one another; every other fd is closed at exec.
 */
static void __attribute__((noreturn))
child_exec(const struct cr_hook *h, const char *path, char **envp, int devnull, int errw,
    int statw)
{
	struct sigaction dfl;
	sigset_t none;
	int sig, out, fd;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &dfl, NULL);	/* fails harmlessly for KILL and STOP */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	(void)setpgid(0, 0);
	if ((devnull = fcntl(devnull, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    (out = fcntl(h->stdout_fd == CR_HOOK_STDOUT_CAPTURED ? errw : h->stdout_fd,
	    F_DUPFD_CLOEXEC, 3)) < 0 ||
	    (errw = fcntl(errw, F_DUPFD_CLOEXEC, 3)) < 0)
		child_fail(statw, STAGE_FDS);
	if (h->cwd != NULL && chdir(h->cwd) != 0)
		child_fail(statw, STAGE_CHDIR);
	if (dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(errw, 2) < 0)
		child_fail(statw, STAGE_FDS);
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
		long max = sysconf(_SC_OPEN_MAX);
		for (fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	execve(path, h->argv, envp);
	child_fail(statw, STAGE_EXEC);
}

/* Our environment with CERTROTATE_PHASE set; the array is new, its strings borrowed. */
static char **
hook_env(int rollback)
{
	static char run[] = PHASE_VAR "run", back[] = PHASE_VAR "rollback";
	size_t n = 0, k = 0, i;
	char **e;

	while (environ != NULL && environ[n] != NULL)
		n++;
	e = cr_xcalloc(n + 2, sizeof(*e));
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], PHASE_VAR, strlen(PHASE_VAR)) != 0)
			e[k++] = environ[i];
	e[k++] = rollback ? back : run;
	e[k] = NULL;
	return e;
}

/* ---------------------------------------------------------------- watching it */

/* The last CR_HOOK_TAIL_MAX bytes of a stream. */
struct tail {
	unsigned char buf[2 * CR_HOOK_TAIL_MAX];
	size_t len;
	int dropped;
};

static void
tail_add(struct tail *t, const unsigned char *p, size_t n)
{
	if (n > CR_HOOK_TAIL_MAX) {
		p += n - CR_HOOK_TAIL_MAX;
		n = CR_HOOK_TAIL_MAX;
		t->dropped = 1;
	}
	if (t->len + n > sizeof(t->buf)) {
		memmove(t->buf, t->buf + t->len - CR_HOOK_TAIL_MAX, CR_HOOK_TAIL_MAX);
		t->len = CR_HOOK_TAIL_MAX;
		t->dropped = 1;
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

/* The tail as valid UTF-8 of at most CR_HOOK_TAIL_MAX bytes. */
static char *
tail_text(struct tail *t, int *cut)
{
	const unsigned char *p = t->buf;
	size_t n = t->len;
	int c;
	char *s;

	if (n > CR_HOOK_TAIL_MAX) {
		p += n - CR_HOOK_TAIL_MAX;
		n = CR_HOOK_TAIL_MAX;
		t->dropped = 1;
	}
	/* a cut may have split a character: drop its continuation bytes */
	while (t->dropped && n > 0 && (*p & 0xc0) == 0x80) {
		p++;
		n--;
	}
	s = cr_utf8_sanitize(p, n, CR_HOOK_TAIL_MAX, 1, &c);
	*cut = t->dropped || c;
	return s;
}

/* Reads once from the pipe into the tail (and the echo): read(2)'s result. */
static ssize_t
pump(int fd, struct tail *t, int echo_fd)
{
	unsigned char chunk[CR_HOOK_TAIL_MAX];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n > 0) {
		tail_add(t, chunk, (size_t)n);
		if (echo_fd >= 0)
			(void)cr_fs_write_all(echo_fd, chunk, (size_t)n);
	}
	return n;
}

static int
has_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	/* WNOWAIT: the zombie keeps its pid, so the group id cannot be reused before we kill it */
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

/*
 * Collects the child's stderr until it exits; past the timeout, TERM to its
 * group, then KILL after the grace period (sooner when it has exited and
 * its stderr is closed).  Reaps it into *status; *timed_out when killed.
 */
static void
supervise(const struct cr_hook *h, pid_t pid, int errfd, struct tail *t, int *status,
    int *timed_out)
{
	long long now = cr_mono_ms(), deadline = now + h->timeout_ms, kill_at = 0;
	int pidfd = pidfd_open(pid, 0), exited = 0, killing = 0, open_pipe = 1, fl;
	ssize_t total = 0;

	for (;;) {
		struct pollfd pf[2];
		nfds_t n = 0;
		long long wait;

		if (!exited)
			exited = has_exited(pid);
		if (exited && (!killing || !open_pipe))
			break;
		now = cr_mono_ms();
		if (!killing && now >= deadline) {
			(void)kill(-pid, SIGTERM);
			killing = 1;
			kill_at = now + h->grace_ms;
			continue;
		}
		if (killing && now >= kill_at)
			break;
		wait = (killing ? kill_at : deadline) - now;
		if (!exited && pidfd < 0 && wait > 10)
			wait = 10;	/* no pidfd (old kernel): look again soon */
		if (open_pipe)
			pf[n++] = (struct pollfd){ .fd = errfd, .events = POLLIN };
		if (!exited && pidfd >= 0)
			pf[n++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		if (poll(pf, n, wait > INT_MAX ? INT_MAX : (int)wait) > 0 && open_pipe &&
		    (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t got = pump(errfd, t, h->echo_fd);
			if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN))
				open_pipe = 0;
		}
	}
	if (killing)
		(void)kill(-pid, SIGKILL);	/* whatever of its group is left */
	/* what it wrote before it ended; not what a process it left behind writes later */
	if (open_pipe && (fl = fcntl(errfd, F_GETFL)) >= 0 && fcntl(errfd, F_SETFL, fl | O_NONBLOCK) == 0) {
		ssize_t got;
		while (total < DRAIN_MAX && (got = pump(errfd, t, h->echo_fd)) > 0)
			total += got;
	}
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	if (pidfd >= 0)
		close(pidfd);
	*timed_out = killing;
}

/* ---------------------------------------------------------------- running */

/*
 * The last non-empty line of s, at most LINE_SHOWN bytes, or "", its control
 * bytes written \xHH: it goes into a message the operator's terminal shows
 * (a hook relaying a remote host's output must not reach it as escape
 * sequences, nor overwrite "FAILED" with a carriage return).
 */
static char *
last_line(const char *s)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t n = strlen(s), start;
	char *line;

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		n--;
	for (start = n; start > 0 && s[start - 1] != '\n'; start--)
		;
	line = cr_utf8_sanitize(s + start, n - start, LINE_SHOWN, 0, NULL);
	cr_esc_ctl_add(&b, line);
	free(line);
	if (b.s == NULL)
		cr_buf_adds(&b, "");
	return cr_buf_detach(&b);
}

/* The status and message of a hook that ran (or could not start). */
static int
verdict(const struct cr_hook *h, struct cr_hook_result *res, struct cr_err *err)
{
	const char *prog = h->argv[0];
	char *line = last_line(res->stderr_tail != NULL ? res->stderr_tail : "");
	const char *sep = *line ? ": " : "";
	int r = CR_EENV;

	switch (res->outcome) {
	case CR_HOOK_OK:
		r = CR_OK;
		break;
	case CR_HOOK_EXIT:
		cr_err_setr(err, r, CR_R_COMMAND, "command '%s' exited with status %d%s%s", prog,
		    res->code, sep, line);
		break;
	case CR_HOOK_SIGNAL:
		cr_err_setr(err, r, CR_R_COMMAND, "command '%s' was killed by signal %d (%s)%s%s",
		    prog, res->code, strsignal(res->code), sep, line);
		break;
	case CR_HOOK_TIMEOUT:
		cr_err_setr(err, r, CR_R_TIMEOUT,
		    "command '%s' did not finish within %lld %s: its process group was killed%s%s", prog,
		    h->timeout_ms % 1000 ? h->timeout_ms : h->timeout_ms / 1000,
		    h->timeout_ms % 1000 ? "ms" : "s", sep, line);
		break;
	default:
		break;	/* NOT_FOUND, NOT_EXEC, ERROR: set where they happened */
	}
	free(line);
	return r;
}

/* Forks and execs; the child's failure to exec lands in res. */
static int
start(const struct cr_hook *h, struct cr_hook_result *res, pid_t *pid, int *errr,
    struct cr_err *err)
{
	int errp[2] = { -1, -1 }, statp[2] = { -1, -1 }, devnull = -1, r = CR_EENV, i;
	struct report rep;
	char **envp = hook_env(h->rollback);
	ssize_t n;

	*pid = -1;
	*errr = -1;
	res->outcome = CR_HOOK_ERROR;
	if (pipe2(errp, O_CLOEXEC) != 0 || pipe2(statp, O_CLOEXEC) != 0 ||
	    (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 || (*pid = fork()) < 0) {
		cr_err_setr(err, r, CR_R_COMMAND, "cannot start command '%s': %s", h->argv[0],
		    strerror(errno));
		goto out;
	}
	if (*pid == 0)
		child_exec(h, res->path, envp, devnull, errp[1], statp[1]);
	(void)setpgid(*pid, *pid);	/* also here: no kill(-pid) may race the child's own */
	close(statp[1]);
	statp[1] = -1;
	while ((n = read(statp[0], &rep, sizeof(rep))) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(rep)) {
		int st;
		while (waitpid(*pid, &st, 0) < 0 && errno == EINTR)
			;
		*pid = -1;
		if (rep.stage == STAGE_EXEC)
			res->outcome = rep.err == ENOENT ? CR_HOOK_NOT_FOUND : CR_HOOK_NOT_EXEC;
		if (rep.stage == STAGE_CHDIR)
			cr_err_setr(err, r, CR_R_COMMAND,
			    "cannot start command '%s': working directory '%s': %s", h->argv[0], h->cwd,
			    strerror(rep.err));
		else
			cr_err_setr(err, r, rep.stage == STAGE_EXEC ? CR_R_NOT_FOUND : CR_R_COMMAND,
			    "cannot start command '%s' ('%s'): %s", h->argv[0], res->path,
			    strerror(rep.err));
		goto out;
	}
	*errr = errp[0];
	errp[0] = -1;
	r = CR_OK;
out:
	for (i = 0; i < 2; i++) {
		if (errp[i] >= 0)
			close(errp[i]);
		if (statp[i] >= 0)
			close(statp[i]);
	}
	if (devnull >= 0)
		close(devnull);
	free(envp);
	return r;
}

int
cr_hook_run(const struct cr_hook *h, struct cr_hook_result *res, struct cr_err *err)
{
	struct tail *t = cr_xcalloc(1, sizeof(*t));
	long long t0 = cr_mono_ms();
	int r, status = 0, timed_out = 0, errr = -1;
	pid_t pid = -1;

	memset(res, 0, sizeof(*res));
	if (h->argv == NULL || h->argv[0] == NULL) {
		free(t);
		res->stderr_tail = cr_xstrdup("");
		res->outcome = CR_HOOK_NOT_FOUND;
		return cr_err_setr(err, CR_EINPUT, CR_R_CONFIG, "a command without a program");
	}
	if ((r = cr_hook_resolve(h->argv[0], h->cwd, &res->path, &res->outcome, err)) != CR_OK ||
	    (r = start(h, res, &pid, &errr, err)) != CR_OK)
		goto out;
	supervise(h, pid, errr, t, &status, &timed_out);
	if (timed_out) {
		res->outcome = CR_HOOK_TIMEOUT;
	} else if (WIFEXITED(status)) {
		res->code = WEXITSTATUS(status);
		res->outcome = res->code == 0 ? CR_HOOK_OK : CR_HOOK_EXIT;
	} else {
		res->code = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
		res->outcome = CR_HOOK_SIGNAL;
	}
out:
	if (errr >= 0)
		close(errr);
	res->stderr_tail = tail_text(t, &res->tail_cut);
	res->elapsed_ms = cr_mono_ms() - t0;
	free(t);
	if (r == CR_OK)
		r = verdict(h, res, err);
	return r;
}
