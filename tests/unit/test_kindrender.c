/*
 * Unit tests: rendering kinds' commands with hostile values (runbook/kinds.c
 * over runbook/quote.c), for every shipped kind.
 *
 *  - PowerShell kinds: every rendered line stays printable ASCII, a value
 *    beyond ASCII (a typographic quote, an N with tilde) becomes [char]
 *    codes, a value that is not UTF-8 fails the rendering, naming it;
 *  - sh kinds: every rendered command is RUN by /bin/sh against stub
 *    programs on PATH, which record their argv: nothing but the programs the
 *    template names ran, nothing was created, and each received exactly the
 *    bytes of its values - `$(...)`, backticks, quotes, `;`, `&`, `|`,
 *    newlines, globs and leading dashes included.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../runbook/kind.h"
#include "../../common/fsutil.h"
#define N(a) (sizeof(a) / sizeof((a)[0]))

static char *
kinds_dir(void)
{
	const char *src = getenv("SRCDIR");

	return cr_xasprintf("%s/kinds", src != NULL ? src : ".");
}

static char *
work_path(const char *name)
{
	const char *w = getenv("WORK");

	return cr_xasprintf("%s/%s", w != NULL ? w : "/tmp", name);
}

static struct book_kind *
load_shipped(const char *name)
{
	char *dir = kinds_dir();
	struct book_kind *k = NULL;
	struct cr_err err;

	if (book_kind_load(dir, name, &k, &err) != CR_OK)
		fail_msg("shipped kind '%s' does not load: %s", name, err.msg);
	free(dir);
	return k;
}

/* ---- rendering with hostile values -------------------------------------------- */

#define SENTINEL "PWNED"

/* Distinct per placeholder, so that each argument tells whose value it is. */
static const struct book_vars hostile = {
	.new_cert = {
		.sha1 = "$(touch " SENTINEL ")",
		.sha256 = "`touch " SENTINEL "`",
		.subject = "CN=x\", O='Contoso; touch " SENTINEL "'",
		.issuer = "CN=\xe2\x80\x99; touch " SENTINEL "; \xe2\x80\x98",
		.tls_name = "<I>CN=A & touch " SENTINEL "<S>CN=B | touch " SENTINEL,
		.pem = "/tmp/new pem\n touch " SENTINEL,
	},
	.old_cert = {
		.sha1 = "'; touch " SENTINEL "; '",
		.sha256 = "$HOME${IFS}*",
		.subject = "\\\"\\'",
		.issuer = "-rf",
		.tls_name = "#comment",
		.pem = "/tmp/old'pem",
	},
	.host = "h$(touch " SENTINEL ")",
	.service = "s`touch " SENTINEL "`",
	.account = "CONTOSO\\svc\xc3\x91'; touch " SENTINEL "; echo '",	/* Ñ: C3 91 */
	.ref = "Default Web Site\xe2\x80\x99 ; touch " SENTINEL " ; '",	/* ’ */
	.endpoint = "10.0.0.5:443 & touch " SENTINEL " &",
	.path = "/etc/tls/x.pem;touch " SENTINEL,
};

/* The value of a placeholder in the hostile set (NULL when not one). */
static const char *
hostile_value(const char *name)
{
	static const struct { const char *name; const char *const *v; } t[] = {
		{ "new.sha1", &hostile.new_cert.sha1 }, { "new.sha256", &hostile.new_cert.sha256 },
		{ "new.subject", &hostile.new_cert.subject }, { "new.issuer", &hostile.new_cert.issuer },
		{ "new.tls_name", &hostile.new_cert.tls_name }, { "new.pem", &hostile.new_cert.pem },
		{ "old.sha1", &hostile.old_cert.sha1 }, { "old.sha256", &hostile.old_cert.sha256 },
		{ "old.subject", &hostile.old_cert.subject }, { "old.issuer", &hostile.old_cert.issuer },
		{ "old.tls_name", &hostile.old_cert.tls_name }, { "old.pem", &hostile.old_cert.pem },
		{ "host", &hostile.host }, { "service", &hostile.service }, { "account", &hostile.account },
		{ "ref", &hostile.ref }, { "endpoint", &hostile.endpoint }, { "path", &hostile.path },
	};
	size_t i;

	for (i = 0; i < N(t); i++)
		if (strcmp(t[i].name, name) == 0)
			return *t[i].v;
	return NULL;
}

/* PowerShell kinds: every rendered line is printable ASCII (quote.h). */
static void
test_render_powershell(void **state)
{
	static const char *const ps[] = { "iis", "exchange", "exchange-connector", "adfs", "wap" };
	size_t i, t, g, p, j, lines_seen = 0, with_ref = 0, with_account = 0;

	(void)state;
	for (i = 0; i < N(ps); i++) {
		struct book_kind *k = load_shipped(ps[i]);

		assert_int_equal(k->shell, BOOK_POWERSHELL);
		for (t = 0; t < PLAN_NSTEPTYPES; t++)
			for (g = 0; g < k->ngroups[t]; g++)
				for (p = 0; p < BOOK_NPARTS; p++) {
					char **lines;
					size_t n;
					struct cr_err err;

					if (book_render(k, &k->groups[t][g], (enum book_part)p, &hostile, &lines,
					    &n, &err) != CR_OK)
						fail_msg("%s: %s", ps[i], err.msg);
					for (j = 0; j < n; j++, lines_seen++) {
						const unsigned char *c;

						for (c = (const unsigned char *)lines[j]; *c; c++)
							if (*c < 0x20 || *c >= 0x7F)
								fail_msg("%s: byte 0x%02X in <%s>", ps[i], *c, lines[j]);
						/* the typographic quote of {ref}, the Ñ of {account}: [char] */
						if (strstr(k->groups[t][g].cmd[p].v[j], "{ref}") != NULL) {
							assert_non_null(strstr(lines[j], "[char]0x2019"));
							with_ref++;
						}
						if (strstr(k->groups[t][g].cmd[p].v[j], "{account}") != NULL) {
							assert_non_null(strstr(lines[j], "[char]0x00D1"));
							with_account++;
						}
					}
					book_lines_free(lines, n);
				}
		book_kind_free(k);
	}
	assert_true(lines_seen > 50);
	assert_true(with_ref >= 10);
	assert_true(with_account >= 4);
}

/* A PowerShell value that is not UTF-8 fails the rendering, naming it. */
static void
test_render_refused(void **state)
{
	struct book_kind *k = load_shipped("wap");
	struct book_vars v = hostile;
	char **lines = (char **)1;
	size_t n = 9;
	struct cr_err err;

	(void)state;
	v.ref = "OWA\xff";
	assert_int_equal(book_render(k, book_kind_group(k, PLAN_REBIND, "x"), BOOK_DO, &v, &lines, &n,
	    &err), CR_EINPUT);
	assert_null(lines);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err.msg, "cannot write the do commands of kind 'wap' ("));
	assert_non_null(strstr(err.msg, "wap.cfg:"));
	assert_non_null(strstr(err.msg, "{ref}: value is not valid UTF-8 (at byte 3)"));
	book_kind_free(k);
}

/* ---- sh kinds: run the rendered commands against stubs ---------------------------- */

struct sandbox {
	char *dir, *bin, *log, *cwd;
};

/* Programs the sh kinds run; each is the same stub recording its argv. */
static const char *const stub_names[] = {
	"install", "cp", "mv", "openssl", "tr", "grep", "nginx", "systemctl", "apachectl",
	"postfix", "postconf", "haproxy", "stub", "touch", "id", "rm", "cat", "sh",
};

/*
 * The stub: its name, its argument count, then each argument, each followed
 * by a NUL, in a file of its own in the directory $STUBLOG (the members of a
 * pipeline run at once: one file each keeps their records whole).  It runs
 * nothing.
 */
static const char stub_script[] =
    "#!/bin/sh\n"
    "{ printf '%s\\000%s\\000' \"${0##*/}\" \"$#\"; for a in \"$@\"; do printf '%s\\000' \"$a\"; done; } >\"$STUBLOG/$$\"\n"
    "exit 0\n";

static void
sandbox_init(struct sandbox *sb)
{
	size_t i;
	char *stub;
	FILE *f;

	sb->dir = work_path("sandbox");
	sb->bin = cr_xasprintf("%s/bin", sb->dir);
	sb->log = cr_xasprintf("%s/log", sb->dir);
	sb->cwd = cr_xasprintf("%s/cwd", sb->dir);
	mkdir(sb->dir, 0700);
	mkdir(sb->bin, 0700);
	mkdir(sb->cwd, 0700);
	mkdir(sb->log, 0700);
	stub = cr_xasprintf("%s/.stub", sb->bin);
	f = fopen(stub, "w");
	assert_non_null(f);
	fputs(stub_script, f);
	fclose(f);
	chmod(stub, 0700);
	for (i = 0; i < N(stub_names); i++) {
		char *p = cr_xasprintf("%s/%s", sb->bin, stub_names[i]);

		unlink(p);
		assert_int_equal(symlink(".stub", p), 0);
		free(p);
	}
	free(stub);
}

static void
sandbox_release(struct sandbox *sb)
{
	free(sb->dir);
	free(sb->bin);
	free(sb->log);
	free(sb->cwd);
}

/* Empties the directory of records. */
static void
clear_log(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.') {
			char *p = cr_xasprintf("%s/%s", dir, e->d_name);

			unlink(p);
			free(p);
		}
	closedir(d);
}

/*
 * Runs `line` with /bin/sh -c in the sandbox; returns the records of the
 * programs that ran, one after the other (NUL-separated), in *len bytes.
 */
static char *
sandbox_run(struct sandbox *sb, const char *line, size_t *len)
{
	char *path_env = cr_xasprintf("PATH=%s", sb->bin), *log_env = cr_xasprintf("STUBLOG=%s", sb->log);
	char *envp[] = { path_env, log_env, NULL };
	struct cr_buf all = CR_BUF_INIT;
	struct dirent *e;
	int status;
	pid_t pid;
	DIR *d;

	clear_log(sb->log);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (chdir(sb->cwd) != 0)
			_exit(126);
		execle("/bin/sh", "sh", "-c", line, (char *)NULL, envp);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("sh -c <%s> exited %d", line, status);
	d = opendir(sb->log);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		unsigned char *buf;
		size_t n;
		char *p;

		if (e->d_name[0] == '.')
			continue;
		p = cr_xasprintf("%s/%s", sb->log, e->d_name);
		assert_int_equal(cr_read_file(p, 1 << 20, &buf, &n, NULL), CR_OK);
		cr_buf_add(&all, (char *)buf, n);
		free(buf);
		free(p);
	}
	closedir(d);
	free(path_env);
	free(log_env);
	*len = all.len;
	if (all.s == NULL)
		cr_buf_adds(&all, "");
	return cr_buf_detach(&all);
}

/* One program run: name and argv (the strings point into a log buffer). */
struct call {
	const char *name;
	const char *argv[32];
	size_t argc;
};

static size_t
parse_log(const char *log, size_t len, struct call *calls, size_t max)
{
	const char *p = log, *end = log + len;
	size_t n = 0, i;

	while (p < end) {
		assert_true(n < max);
		calls[n].name = p;
		p += strlen(p) + 1;
		calls[n].argc = (size_t)strtoul(p, NULL, 10);
		p += strlen(p) + 1;
		assert_true(calls[n].argc <= N(calls[n].argv));
		for (i = 0; i < calls[n].argc; i++) {
			calls[n].argv[i] = p;
			p += strlen(p) + 1;
		}
		n++;
	}
	return n;
}

/*
 * What a template should run, read from the template itself: the sh
 * templates are plain words separated by single blanks, `|` and `&&`
 * between programs, redirections (`<`, `>`, `2>`) dropped; in a word, a
 * placeholder stands for its raw value.  A template this reader cannot
 * read (quotes, $, backticks, ;) fails the test: extend the reader when a
 * kind needs more.
 */
static size_t
expect_calls(const char *tmpl, struct call *calls, size_t max, char **store, size_t *nstore)
{
	char *copy = cr_xstrdup(tmpl), *save = NULL, *w;
	size_t n = 0;
	int new_call = 1;

	if (strpbrk(tmpl, "'\"`$;()\\") != NULL)
		fail_msg("template <%s>: the test's reader takes plain words only", tmpl);
	for (w = strtok_r(copy, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		struct cr_buf b = CR_BUF_INIT;
		const char *p;

		if (strcmp(w, "|") == 0 || strcmp(w, "&&") == 0) {
			new_call = 1;
			continue;
		}
		if (w[0] == '<' || w[0] == '>' || strncmp(w, "2>", 2) == 0)
			continue;
		for (p = w; *p;) {
			const char *q;

			if (p[0] == '{' && (q = strchr(p, '}')) != NULL) {
				char *name = cr_xstrndup(p + 1, (size_t)(q - p - 1));
				const char *v = hostile_value(name);

				assert_non_null(v);
				cr_buf_adds(&b, v);
				free(name);
				p = q + 1;
			} else {
				cr_buf_addc(&b, *p++);
			}
		}
		if (b.s == NULL)
			cr_buf_adds(&b, "");
		store[*nstore] = cr_buf_detach(&b);
		if (new_call) {
			assert_true(n < max);
			calls[n].name = store[*nstore];
			calls[n].argc = 0;
			n++;
			new_call = 0;
		} else {
			calls[n - 1].argv[calls[n - 1].argc++] = store[*nstore];
		}
		(*nstore)++;
	}
	free(copy);
	return n;
}

static int
call_equal(const struct call *a, const struct call *b)
{
	size_t i;

	if (strcmp(a->name, b->name) != 0 || a->argc != b->argc)
		return 0;
	for (i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], b->argv[i]) != 0)
			return 0;
	return 1;
}

/*
 * Runs one rendered line; the programs that ran must be exactly those the
 * template names, in any order (a pipeline's members start together), each
 * with exactly its arguments; nothing named touch ran and nothing was
 * created.
 */
static void
run_and_compare(struct sandbox *sb, const char *tmpl, const char *line)
{
	struct call want[8], got[8];
	char *store[64], *log, *sentinel;
	size_t nstore = 0, nwant, ngot, len, i, j;
	int used[8] = { 0 };
	struct stat st;

	nwant = expect_calls(tmpl, want, N(want), store, &nstore);
	log = sandbox_run(sb, line, &len);
	ngot = parse_log(log, len, got, N(got));
	for (i = 0; i < ngot; i++)
		if (strcmp(got[i].name, "touch") == 0 || strcmp(got[i].name, "id") == 0)
			fail_msg("<%s> ran %s: a value was executed", line, got[i].name);
	if (ngot != nwant)
		fail_msg("<%s>: %zu programs ran, the template names %zu", line, ngot, nwant);
	for (i = 0; i < nwant; i++) {
		for (j = 0; j < ngot; j++)
			if (!used[j] && call_equal(&want[i], &got[j]))
				break;
		if (j == ngot) {
			struct cr_buf d = CR_BUF_INIT;
			size_t a;

			for (a = 0; a < want[i].argc; a++)
				cr_buf_addf(&d, " [%s]", want[i].argv[a]);
			fail_msg("<%s>: no run of %s with%s", line, want[i].name, cr_buf_str(&d));
		}
		used[j] = 1;
	}
	sentinel = cr_xasprintf("%s/" SENTINEL, sb->cwd);
	assert_int_not_equal(stat(sentinel, &st), 0);
	free(sentinel);
	for (i = 0; i < nstore; i++)
		free(store[i]);
	free(log);
}

static void
test_sh_kinds_run(void **state)
{
	static const char *const sh_kinds[] = { "nginx", "apache", "postfix", "haproxy", "generic" };
	struct sandbox sb;
	size_t i, t, g, p, j, ran = 0;

	(void)state;
	sandbox_init(&sb);
	for (i = 0; i < N(sh_kinds); i++) {
		struct book_kind *k = load_shipped(sh_kinds[i]);

		assert_int_equal(k->shell, BOOK_SH);
		for (t = 0; t < PLAN_NSTEPTYPES; t++)
			for (g = 0; g < k->ngroups[t]; g++)
				for (p = 0; p < BOOK_NPARTS; p++) {
					const struct book_group *gr = &k->groups[t][g];
					char **lines;
					size_t n;
					struct cr_err err;

					if (book_render(k, gr, (enum book_part)p, &hostile, &lines, &n, &err) != CR_OK)
						fail_msg("%s: %s", sh_kinds[i], err.msg);
					for (j = 0; j < n; j++, ran++)
						run_and_compare(&sb, gr->cmd[p].v[j], lines[j]);
					book_lines_free(lines, n);
				}
		book_kind_free(k);
	}
	assert_true(ran >= 20);
	sandbox_release(&sb);
}

/* Every placeholder, alone and glued to text, through a kind of the test's own. */
static void
test_sh_every_placeholder(void **state)
{
	static const char text[] =
	    "shell = \"sh\";\ndescription = \"d\";\n"
	    "rebind = { what = \"w\"; do = [\n"
	    "  \"stub {host} {service} {account} {ref} {endpoint} {path}\",\n"
	    "  \"stub {new.sha1} {new.sha256} {new.subject} {new.issuer} {new.tls_name} {new.pem}\",\n"
	    "  \"stub {old.sha1} {old.sha256} {old.subject} {old.issuer} {old.tls_name} {old.pem}\",\n"
	    "  \"stub --ref={ref} {path}.bak x{host}y{service}z | stub -- {endpoint}\"\n"
	    "]; };\n";
	struct book_kind *k;
	struct sandbox sb;
	struct cr_err err;
	char **lines;
	size_t n, j;

	(void)state;
	if (book_kind_parse(text, strlen(text), "t", "t.cfg", &k, &err) != CR_OK)
		fail_msg("%s", err.msg);
	sandbox_init(&sb);
	assert_int_equal(book_render(k, &k->groups[PLAN_REBIND][0], BOOK_DO, &hostile, &lines, &n, &err),
	    CR_OK);
	assert_int_equal(n, 4);
	for (j = 0; j < n; j++)
		run_and_compare(&sb, k->groups[PLAN_REBIND][0].cmd[BOOK_DO].v[j], lines[j]);
	book_lines_free(lines, n);
	book_kind_free(k);
	sandbox_release(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_powershell),
		cmocka_unit_test(test_render_refused),
		cmocka_unit_test(test_sh_kinds_run),
		cmocka_unit_test(test_sh_every_placeholder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
