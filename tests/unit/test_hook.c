/*
 * Unit tests: hooks (common/hook.c) - run without a shell, exit statuses,
 * signals, the timeout killing the hook's whole process group, the stderr
 * tail, working directory, environment, stdin, inherited fds, and argument
 * bytes passed verbatim.  The hooks are small shell scripts with a #! line:
 * they may use a shell themselves; certrotate never does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/utf8.h"
#include "../../common/hook.h"
#include "testfs.h"

static char *dir;	/* scripts live here */

static int
setup(void **state)
{
	(void)state;
	dir = tf_tmpdir("hook");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tf_rmrf(dir);
	free(dir);
	return 0;
}

/* Writes dir/name with the given body under a #!/bin/sh line, mode 0755; returns its path. */
static char *
script(const char *name, const char *body)
{
	char *p = cr_xasprintf("%s/%s", dir, name), *text = cr_xasprintf("#!/bin/sh\n%s\n", body);
	struct cr_err err;

	if (cr_fs_replace(p, text, strlen(text), CR_FS_KEEP, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(chmod(p, 0755), 0);
	free(text);
	return p;
}

static char *
slurp(const char *path)
{
	return tf_slurp(path, NULL);
}

/* Runs argv with cwd dir, stdout into dir/out; returns the status. */
static int
run(char *const *argv, long long timeout_ms, int rollback, struct cr_hook_result *res,
    struct cr_err *err)
{
	char *out = cr_xasprintf("%s/out", dir);
	struct cr_hook h;
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), r;

	assert_true(fd >= 0);
	cr_hook_init(&h, argv, dir);
	h.stdout_fd = fd;
	h.rollback = rollback;
	if (timeout_ms > 0)
		h.timeout_ms = timeout_ms;
	h.grace_ms = 300;
	r = cr_hook_run(&h, res, err);
	close(fd);
	free(out);
	return r;
}

static char *
out_text(void)
{
	char *p = cr_xasprintf("%s/out", dir), *s = slurp(p);
	free(p);
	return s;
}

/* Exit statuses and signals: each its outcome, status and reason. */
static void
test_outcomes(void **state)
{
	static const struct {
		const char *body;
		enum cr_hook_outcome outcome;
		int code;
		int status;
		enum cr_reason reason;
		const char *msg;
	} t[] = {
		{ "exit 0", CR_HOOK_OK, 0, CR_OK, CR_R_NONE, NULL },
		{ "echo 'nginx: [emerg] bad' >&2; exit 1", CR_HOOK_EXIT, 1, CR_EENV, CR_R_COMMAND,
		  "exited with status 1: nginx: [emerg] bad" },
		{ "exit 77", CR_HOOK_EXIT, 77, CR_EENV, CR_R_COMMAND, "exited with status 77" },
		{ "kill -USR1 $$", CR_HOOK_SIGNAL, SIGUSR1, CR_EENV, CR_R_COMMAND, "killed by signal 10" },
		{ "kill -KILL $$", CR_HOOK_SIGNAL, SIGKILL, CR_EENV, CR_R_COMMAND, "killed by signal 9" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *p = script("h.sh", t[i].body);
		char *argv[] = { p, NULL };
		struct cr_hook_result res;
		struct cr_err err;
		int r = run(argv, 0, 0, &res, &err);

		if (r != t[i].status || res.outcome != t[i].outcome || res.code != t[i].code)
			fail_msg("'%s': status %d outcome %s code %d: %s", t[i].body, r,
			    cr_hook_outcome_name(res.outcome), res.code, r ? err.msg : "");
		if (r != CR_OK) {
			assert_int_equal(err.reason, t[i].reason);
			if (strstr(err.msg, t[i].msg) == NULL)
				fail_msg("'%s': message '%s'", t[i].body, err.msg);
			assert_non_null(strstr(err.msg, p));
		}
		assert_string_equal(res.path, p);
		cr_hook_result_release(&res);
		free(p);
	}
	cr_hook_result_release(NULL);
}

/* Reaps the orphan `pid` (we are its subreaper) and returns the signal that ended it, or 0. */
static int
reap_orphan(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

static pid_t
read_pid(const char *name)
{
	char *p = cr_xasprintf("%s/%s", dir, name), *s = slurp(p);
	pid_t pid = (pid_t)strtol(s, NULL, 10);

	free(p);
	free(s);
	assert_true(pid > 1);
	return pid;
}

/* Past its timeout, the hook and what it started are killed: TERM, then KILL for the stubborn. */
static void
test_timeout_kills_group(void **state)
{
	static const struct {
		const char *body;
		int want_sig;	/* how the grandchild ended */
	} t[] = {
		{ "sleep 1000 & echo $! > gc.pid; echo started >&2; wait", SIGTERM },
		/* TERM ignored by the hook and, inherited, by its child: only KILL ends them */
		{ "trap '' TERM; sleep 1000 & echo $! > gc.pid; while :; do wait; done", SIGKILL },
		/* a grandchild that holds no stderr, after the hook itself died on TERM */
		{ "sh -c 'trap \"\" TERM; exec sleep 1000' 2>/dev/null & echo $! > gc.pid; wait", SIGKILL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *p = script("slow.sh", t[i].body);
		char *argv[] = { p, NULL };
		struct cr_hook_result res;
		struct cr_err err;
		int sig;

		assert_int_equal(run(argv, 400, 0, &res, &err), CR_EENV);
		assert_int_equal(res.outcome, CR_HOOK_TIMEOUT);
		assert_int_equal(err.reason, CR_R_TIMEOUT);
		assert_non_null(strstr(err.msg, "did not finish within 400 ms: its process group was killed"));
		sig = reap_orphan(read_pid("gc.pid"));
		if (sig != t[i].want_sig)
			fail_msg("row %zu: grandchild ended by signal %d, expected %d", i, sig, t[i].want_sig);
		cr_hook_result_release(&res);
		free(p);
	}
}

/*
 * The stderr line in the message is the operator's terminal's to show: its
 * escape sequences and carriage returns written \xHH (the tail itself, for
 * the journal, as it came).
 */
static void
test_message_controls(void **state)
{
	char *p = script("esc.sh", "printf 'bad \\033]0;owned\\007 \\033[31mRED\\r\\bdone\\n' >&2; exit 3");
	char *argv[] = { p, NULL };
	struct cr_hook_result res;
	struct cr_err err;
	const char *c;

	(void)state;
	assert_int_equal(run(argv, 20000, 0, &res, &err), CR_EENV);
	assert_non_null(strstr(err.msg, "exited with status 3: bad \\x1B]0;owned\\x07 \\x1B[31mRED\\x0D\\x08done"));
	for (c = err.msg; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7F)
			fail_msg("a control byte 0x%02X in '%s'", (unsigned char)*c, err.msg);
	assert_non_null(strstr(res.stderr_tail, "\033]0;owned\007"));
	cr_hook_result_release(&res);
	free(p);
}

/* A hook that exits in time is not waited for beyond itself, even when its child keeps stderr. */
static void
test_background_left_alone(void **state)
{
	char *p = script("bg.sh", "sleep 1000 & echo $! > bg.pid; echo bye >&2; exit 0");
	char *argv[] = { p, NULL };
	struct cr_hook_result res;
	struct cr_err err;
	pid_t bg;

	(void)state;
	/* were the pipe's end awaited, this would be a timeout */
	assert_int_equal(run(argv, 20000, 0, &res, &err), CR_OK);
	assert_string_equal(res.stderr_tail, "bye\n");
	bg = read_pid("bg.pid");
	assert_int_equal(kill(bg, 0), 0);	/* still alive: not ours to kill */
	assert_int_equal(kill(bg, SIGKILL), 0);
	assert_int_equal(reap_orphan(bg), SIGKILL);
	cr_hook_result_release(&res);
	free(p);
}

/* The stderr tail: bounded, the end kept, valid UTF-8. */
static void
test_stderr_tail(void **state)
{
	static const struct {
		const char *body;
		const char *ends;	/* the tail ends so */
		int cut;
	} t[] = {
		{ "printf 'one\\ntwo\\n' >&2", "one\ntwo\n", 0 },
		{ "i=0; while [ $i -lt 2000 ]; do echo 'line of noise' >&2; i=$((i+1)); done; echo END >&2; exit 3",
		  "line of noise\nEND\n", 1 },
		{ "printf 'caf\\351 \\000 \\033[31m\\n' >&2", "caf\xef\xbf\xbd \xef\xbf\xbd \x1b[31m\n", 0 },
		{ "i=0; while [ $i -lt 1500 ]; do printf '\\342\\202\\254' >&2; i=$((i+1)); done", "\xe2\x82\xac", 1 },
		{ "exit 0", "", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *p = script("err.sh", t[i].body), *chk;
		char *argv[] = { p, NULL };
		struct cr_hook_result res;
		struct cr_err err;
		size_t n, e = strlen(t[i].ends);

		(void)run(argv, 0, 0, &res, &err);
		n = strlen(res.stderr_tail);
		assert_true(n <= CR_HOOK_TAIL_MAX);
		if (n < e || strcmp(res.stderr_tail + n - e, t[i].ends) != 0)
			fail_msg("row %zu: tail ends '%s'", i, n > 40 ? res.stderr_tail + n - 40 : res.stderr_tail);
		assert_int_equal(res.tail_cut, t[i].cut);
		chk = cr_utf8_sanitize(res.stderr_tail, n, 0, 0, NULL);	/* valid: unchanged */
		assert_string_equal(chk, res.stderr_tail);
		free(chk);
		if (t[i].cut)
			assert_true(n > CR_HOOK_TAIL_MAX - 4);
		cr_hook_result_release(&res);
		free(p);
	}
}

/* Working directory, CERTROTATE_PHASE (replacing ours), stdin, no inherited fds. */
static void
test_environment(void **state)
{
	char *p = script("env.sh",
	    "pwd; echo \"phase=$CERTROTATE_PHASE\"; tr '\\0' '\\n' </proc/$$/environ | grep -c '^CERTROTATE_PHASE='; "
	    "cat; echo \"stdin-done\"; "
	    "for fd in 3 4 5 6 7 8 9; do [ -e /proc/$$/fd/$fd ] && echo \"leaked fd $fd\"; done; "
	    "echo \"keep=$KEEP_ME\"; exit 0");
	char *argv[] = { p, NULL }, *out, *want;
	int in[2], leak, pass;

	(void)state;
	/* our stdin a pipe that never ends, and an fd without close-on-exec */
	assert_int_equal(pipe(in), 0);
	assert_true(dup2(in[0], 0) == 0);
	leak = open("/dev/null", O_RDONLY);
	assert_true(leak >= 3 && leak <= 9);
	setenv("CERTROTATE_PHASE", "forged", 1);
	setenv("KEEP_ME", "yes", 1);
	for (pass = 0; pass < 2; pass++) {
		struct cr_hook_result res;
		struct cr_err err;

		if (run(argv, 10000, pass, &res, &err) != CR_OK)
			fail_msg("%s", err.msg);
		out = out_text();
		want = cr_xasprintf("%s\nphase=%s\n1\nstdin-done\nkeep=yes\n", dir, pass ? "rollback" : "run");
		assert_string_equal(out, want);
		free(out);
		free(want);
		cr_hook_result_release(&res);
	}
	unsetenv("CERTROTATE_PHASE");
	close(leak);
	close(in[1]);
	free(p);
}

/* Every argument byte reaches the program as it was: nothing is interpreted. */
static void
test_argv_verbatim(void **state)
{
	static const char *const args[] = {
		"plain", "two words", "", "'single'", "\"double\"", "$(touch pwned)", "`touch pwned2`",
		"a;touch pwned3", "line\nbreak", "*", "$HOME", "back\\slash", "caf\xe9", "-e", "|", ">x",
	};
	char *p = script("args.sh", "for a in \"$@\"; do printf '%s\\036' \"$a\"; done");
	char *argv[sizeof(args) / sizeof(args[0]) + 2], *out, *f;
	struct cr_buf want = CR_BUF_INIT;
	struct cr_hook_result res;
	struct cr_err err;
	size_t i;

	(void)state;
	argv[0] = p;
	for (i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		argv[i + 1] = (char *)args[i];
		cr_buf_adds(&want, args[i]);
		cr_buf_addc(&want, '\036');
	}
	argv[i + 1] = NULL;
	assert_int_equal(run(argv, 0, 0, &res, &err), CR_OK);
	out = out_text();
	assert_string_equal(out, want.s);
	free(out);
	for (i = 0; i < 3; i++) {
		f = cr_xasprintf(i == 0 ? "%s/pwned" : i == 1 ? "%s/pwned2" : "%s/pwned3", dir);
		assert_int_equal(access(f, F_OK), -1);
		free(f);
	}
	f = cr_xasprintf("%s/x", dir);
	assert_int_equal(access(f, F_OK), -1);
	free(f);
	cr_buf_release(&want);
	cr_hook_result_release(&res);
	free(p);
}

/* Programs that do not resolve or cannot run: refused before anything runs. */
static void
test_resolve(void **state)
{
	static const struct {
		const char *prog;
		const char *path_env;	/* PATH for the row; "~" is replaced by the scripts dir */
		enum cr_hook_outcome outcome;
		const char *msg;
	} t[] = {
		{ "./good.sh", NULL, CR_HOOK_OK, NULL },
		{ "good.sh", "/nonexistent:~", CR_HOOK_OK, NULL },
		{ "good.sh", "/nonexistent:", CR_HOOK_OK, NULL },	/* empty entry: the working directory */
		{ "both.sh", "~/a:~/b", CR_HOOK_OK, NULL },		/* the non-executable first match skipped */
		{ "sh", NULL, CR_HOOK_OK, NULL },
		{ "no-such-command-xyz", "/usr/bin:/bin", CR_HOOK_NOT_FOUND, "not found in PATH (/usr/bin:/bin)" },
		{ "./missing.sh", NULL, CR_HOOK_NOT_FOUND, "not found" },
		{ "", NULL, CR_HOOK_NOT_FOUND, "empty program name" },
		{ "./noexec.sh", NULL, CR_HOOK_NOT_EXEC, "no permission to execute it" },
		{ "./noshebang.sh", NULL, CR_HOOK_NOT_EXEC, "certrotate runs no shell" },
		{ "./adir", NULL, CR_HOOK_NOT_EXEC, "not a regular file" },
		{ "noexec.sh", "~", CR_HOOK_NOT_EXEC, "cannot be executed" },
	};
	char *saved = cr_xstrdup(getenv("PATH"));
	char *good = script("good.sh", "touch ran; exit 0"), *noexec = script("noexec.sh", "exit 0");
	char *noshebang = cr_xasprintf("%s/noshebang.sh", dir), *adir = cr_xasprintf("%s/adir", dir);
	char *a = cr_xasprintf("%s/a", dir), *b = cr_xasprintf("%s/b", dir), *ran = cr_xasprintf("%s/ran", dir);
	char *both_a = cr_xasprintf("%s/a/both.sh", dir), *both_b = cr_xasprintf("%s/b/both.sh", dir);
	struct cr_err err;
	size_t i;
	int fd;

	(void)state;
	assert_int_equal(chmod(noexec, 0644), 0);
	fd = open(noshebang, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "exit 0\n", 7), 7);
	close(fd);
	assert_int_equal(mkdir(adir, 0755), 0);
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(mkdir(b, 0755), 0);
	assert_int_equal(symlink(noexec, both_a), 0);
	assert_int_equal(symlink(good, both_b), 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum cr_hook_outcome o = (enum cr_hook_outcome)99;
		char *path = (char *)1, *pe = NULL;
		int r;

		if (t[i].path_env != NULL) {
			struct cr_buf bb = CR_BUF_INIT;
			const char *s;
			for (s = t[i].path_env; *s; s++)
				if (*s == '~')
					cr_buf_adds(&bb, dir);
				else
					cr_buf_addc(&bb, *s);
			pe = cr_buf_detach(&bb);
			setenv("PATH", pe, 1);
		} else {
			setenv("PATH", saved, 1);
		}
		r = cr_hook_resolve(t[i].prog, dir, &path, &o, &err);
		if (o != t[i].outcome)
			fail_msg("'%s': outcome %s: %s", t[i].prog, cr_hook_outcome_name(o),
			    r ? err.msg : path);
		if (r == CR_OK) {
			assert_non_null(path);
			assert_true(path[0] == '/');
		} else {
			assert_int_equal(r, CR_EENV);
			assert_int_equal(err.reason, CR_R_NOT_FOUND);
			assert_null(path);
			if (strstr(err.msg, t[i].msg) == NULL)
				fail_msg("'%s': message '%s'", t[i].prog, err.msg);
		}
		free(path);
		free(pe);
	}
	setenv("PATH", saved, 1);
	assert_int_equal(access(ran, F_OK), -1);	/* resolving runs nothing */
	/* and running a program that does not resolve reports the same */
	{
		char *argv[] = { "./noshebang.sh", NULL };
		char *argv0[] = { NULL };
		struct cr_hook_result res;
		assert_int_equal(run(argv, 0, 0, &res, &err), CR_EENV);
		assert_int_equal(res.outcome, CR_HOOK_NOT_EXEC);
		assert_int_equal(err.reason, CR_R_NOT_FOUND);
		assert_string_equal(res.stderr_tail, "");
		cr_hook_result_release(&res);
		assert_int_equal(run(argv0, 0, 0, &res, &err), CR_EINPUT);
		assert_int_equal(err.reason, CR_R_CONFIG);
		cr_hook_result_release(&res);
	}
	free(saved); free(good); free(noexec); free(noshebang); free(adir); free(a); free(b);
	free(ran); free(both_a); free(both_b);
}

/* A working directory that is gone: the hook cannot start, and says where. */
static void
test_bad_cwd(void **state)
{
	char *argv[] = { "/bin/true", NULL }, *gone = cr_xasprintf("%s/gone", dir);
	struct cr_hook_result res;
	struct cr_hook h;
	struct cr_err err;

	(void)state;
	cr_hook_init(&h, argv, gone);
	assert_int_equal(cr_hook_run(&h, &res, &err), CR_EENV);
	assert_int_equal(res.outcome, CR_HOOK_ERROR);
	assert_int_equal(err.reason, CR_R_COMMAND);
	assert_non_null(strstr(err.msg, "working directory"));
	cr_hook_result_release(&res);
	free(gone);
}

/* The echo fd gets the stderr as it comes. */
static void
test_echo(void **state)
{
	char *p = script("echo.sh", "echo to-stderr >&2; echo to-stdout");
	char *argv[] = { p, NULL }, *ep = cr_xasprintf("%s/echo", dir), *e, *out;
	struct cr_hook_result res;
	struct cr_hook h;
	struct cr_err err;
	char *op = cr_xasprintf("%s/out", dir);
	int efd = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int ofd = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	(void)state;
	cr_hook_init(&h, argv, dir);
	h.echo_fd = efd;
	h.stdout_fd = ofd;
	assert_int_equal(cr_hook_run(&h, &res, &err), CR_OK);
	close(efd);
	close(ofd);
	e = slurp(ep);
	assert_string_equal(e, "to-stderr\n");
	out = out_text();
	assert_string_equal(out, "to-stdout\n");
	free(e);
	free(out);
	free(ep);
	free(op);
	cr_hook_result_release(&res);
	free(p);
}

/* CR_HOOK_STDOUT_CAPTURED: stdout goes into the tail with stderr, in order (haproxy -c). */
static void
test_stdout_captured(void **state)
{
	char *p = script("both.sh", "echo out-1; echo err-2 >&2; echo out-3");
	char *argv[] = { p, NULL };
	struct cr_hook_result res;
	struct cr_hook h;
	struct cr_err err;

	(void)state;
	cr_hook_init(&h, argv, dir);
	h.stdout_fd = CR_HOOK_STDOUT_CAPTURED;
	assert_int_equal(cr_hook_run(&h, &res, &err), CR_OK);
	assert_string_equal(res.stderr_tail, "out-1\nerr-2\nout-3\n");
	cr_hook_result_release(&res);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_background_left_alone),
		cmocka_unit_test(test_stderr_tail),
		cmocka_unit_test(test_message_controls),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_argv_verbatim),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_bad_cwd),
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_stdout_captured),
	};

	/* orphaned grandchildren come to us, so a test can see how they ended */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
		perror("prctl");
		return 1;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
