/*
 * Unit tests: the journal (rotate/journal.c) - replay into per-step state,
 * the header binding a journal to one rotation, the lock, and hostile
 * journals: torn lines, garbage, wrong headers, huge lines, symlinks and
 * FIFOs at the path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../rotate/journal.h"
#include "testfs.h"

#define OLD "3F" "0000000000000000000000000000000000000000000000000000000000000a"
#define NEW "DA" "0000000000000000000000000000000000000000000000000000000000000b"
#define HDR "{\"certrotate-journal\":1,\"rotation\":\"mail-2026\",\"old_sha256\":\"" OLD \
	"\",\"new_sha256\":\"" NEW "\",\"at\":\"2026-01-01T00:00:00Z\"}\n"
#define EV(step, ev) "{\"step\":\"" step "\",\"event\":\"" ev "\",\"at\":\"2026-01-01T00:00:01Z\",\"detail\":\"\"}\n"

static const struct rot_journal_id ID = { "mail-2026", OLD, NEW };

static char *dir;

static int
setup(void **state)
{
	(void)state;
	dir = tf_tmpdir("journal");
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

static char *
jpath(const char *name)
{
	char *p = cr_xasprintf("%s/%s", dir, name);
	unlink(p);
	return p;
}

static void
put_raw(const char *path, const char *text, size_t n)
{
	tf_put(path, text, n, 0600);
}

static void
append(struct rot_journal *j, const char *step, enum rot_event ev, enum rot_phase ph,
    const char *detail, const char *const *data)
{
	struct rot_journal_event e = { step, ev, ph, detail, data };
	struct cr_err err;

	if (rot_journal_append(j, &e, &err) != CR_OK)
		fail_msg("append %s: %s", step, err.msg);
}

static enum rot_step_state
state_of(struct rot_journal *j, const char *step)
{
	struct rot_step_info in;
	rot_journal_step(j, step, &in);
	return in.state;
}

/* A new journal: header, 0600, events replayed the same after reopening. */
static void
test_roundtrip(void **state)
{
	static const char *const data1[] = { "written", "/etc/nginx/tls/cert2.pem", "link_old",
		"../archive/cert1.pem", NULL };
	static const char *const data2[] = { "written", "/etc/nginx/tls/cert3.pem", NULL };
	char *p = jpath("rt.state"), *text;
	struct rot_journal *j;
	struct rot_step_info in;
	struct cr_err err;
	struct stat st;
	int pass;

	(void)state;
	assert_int_equal(rot_journal_open(p, &ID, ROT_JOURNAL_CREATE, &j, &err), CR_OK);
	assert_null(rot_journal_warning(j));
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	append(j, ROT_JOURNAL_ROTATION, ROT_EV_START, ROT_PHASE_RUN, NULL, NULL);
	append(j, "01-import-token:edge", ROT_EV_START, ROT_PHASE_RUN, NULL, NULL);
	append(j, "01-import-token:edge", ROT_EV_DONE, ROT_PHASE_RUN, "imported", NULL);
	append(j, "02-rebind-web-nginx-tls", ROT_EV_START, ROT_PHASE_RUN, NULL, data1);
	append(j, "02-rebind-web-nginx-tls", ROT_EV_DONE, ROT_PHASE_RUN, "installed", data2);
	append(j, "03-restart-web-nginx", ROT_EV_START, ROT_PHASE_RUN, NULL, NULL);
	append(j, "03-restart-web-nginx", ROT_EV_FAILED, ROT_PHASE_RUN, "exit 1", NULL);
	append(j, "04-retire-token:edge", ROT_EV_SKIPPED, ROT_PHASE_RUN, NULL, NULL);
	assert_false(rot_journal_complete(j));
	for (pass = 0; pass < 2; pass++) {
		/* pass 0: the state built by the appends; pass 1: the same, replayed */
		if (pass == 1) {
			rot_journal_close(j);
			assert_int_equal(rot_journal_open(p, &ID, 0, &j, &err), CR_OK);
		}
		assert_int_equal(rot_journal_nsteps(j), 4);
		assert_string_equal(rot_journal_step_id(j, 0), "01-import-token:edge");
		assert_string_equal(rot_journal_step_id(j, 3), "04-retire-token:edge");
		assert_null(rot_journal_step_id(j, 4));
		assert_int_equal(state_of(j, "01-import-token:edge"), ROT_STEP_DONE);
		assert_int_equal(state_of(j, "02-rebind-web-nginx-tls"), ROT_STEP_DONE);
		assert_int_equal(state_of(j, "03-restart-web-nginx"), ROT_STEP_FAILED);
		assert_int_equal(state_of(j, "04-retire-token:edge"), ROT_STEP_SKIPPED);
		assert_int_equal(state_of(j, "05-never"), ROT_STEP_PENDING);
		rot_journal_step(j, "03-restart-web-nginx", &in);
		assert_string_equal(in.detail, "exit 1");
		assert_non_null(in.at);
		assert_int_equal(in.phase, ROT_PHASE_RUN);
		/* data merged over the step's events, later values winning */
		assert_string_equal(rot_journal_data(j, "02-rebind-web-nginx-tls", "written"),
		    "/etc/nginx/tls/cert3.pem");
		assert_string_equal(rot_journal_data(j, "02-rebind-web-nginx-tls", "link_old"),
		    "../archive/cert1.pem");
		assert_null(rot_journal_data(j, "02-rebind-web-nginx-tls", "nope"));
		assert_null(rot_journal_data(j, "05-never", "written"));
		assert_string_equal(rot_journal_header(j)->rotation, "mail-2026");
		assert_string_equal(rot_journal_header(j)->old_sha256, OLD);
	}
	append(j, "03-restart-web-nginx", ROT_EV_DONE, ROT_PHASE_RUN, NULL, NULL);
	append(j, ROT_JOURNAL_ROTATION, ROT_EV_DONE, ROT_PHASE_RUN, NULL, NULL);
	assert_true(rot_journal_complete(j));
	rot_journal_close(j);

	/* the file: a header, then one line per event, the run phase not written */
	text = tf_slurp(p, NULL);
	assert_int_equal(strncmp(text, "{\"certrotate-journal\":1,\"rotation\":\"mail-2026\"", 46), 0);
	assert_non_null(strstr(text, "{\"step\":\"01-import-token:edge\",\"event\":\"done\",\"at\":\""));
	assert_non_null(strstr(text, "\"detail\":\"installed\",\"data\":{\"written\":\"/etc/nginx/tls/cert3.pem\"}}\n"));
	assert_null(strstr(text, "\"phase\""));
	free(text);

	/* complete even when the old certificate is unknown now */
	{
		struct rot_journal_id noold = { "mail-2026", NULL, NEW };
		assert_int_equal(rot_journal_open(p, &noold, 0, &j, &err), CR_OK);
		assert_true(rot_journal_complete(j));
		assert_string_equal(rot_journal_header(j)->old_sha256, OLD);
		rot_journal_close(j);
	}
	free(p);
}

/* Rollback events: their phase, the steps' states, the rotation rolled back. */
static void
test_rollback_phase(void **state)
{
	char *p = jpath("rb.state"), *text;
	struct rot_journal *j;
	struct rot_step_info in;
	struct cr_err err;

	(void)state;
	assert_int_equal(rot_journal_open(p, &ID, ROT_JOURNAL_CREATE, &j, &err), CR_OK);
	append(j, "01-a", ROT_EV_DONE, ROT_PHASE_RUN, NULL, NULL);
	append(j, ROT_JOURNAL_ROTATION, ROT_EV_DONE, ROT_PHASE_RUN, NULL, NULL);
	append(j, "01-a", ROT_EV_START, ROT_PHASE_ROLLBACK, NULL, NULL);
	rot_journal_close(j);
	assert_int_equal(rot_journal_open(p, &ID, 0, &j, &err), CR_OK);
	rot_journal_step(j, "01-a", &in);
	assert_int_equal(in.state, ROT_STEP_STARTED);
	assert_int_equal(in.phase, ROT_PHASE_ROLLBACK);
	/* a rollback begun: the rotation is not complete any more (a run now must redo
	   what the rollback undid, not say "complete, nothing to do") */
	assert_false(rot_journal_complete(j));
	append(j, "01-a", ROT_EV_ROLLED_BACK, ROT_PHASE_ROLLBACK, NULL, NULL);
	append(j, ROT_JOURNAL_ROTATION, ROT_EV_ROLLED_BACK, ROT_PHASE_ROLLBACK, NULL, NULL);
	assert_false(rot_journal_complete(j));
	assert_true(rot_journal_rolled_back(j));
	assert_int_equal(state_of(j, "01-a"), ROT_STEP_ROLLED_BACK);
	/* a run again after the rollback: not rolled back any more, until it is again */
	append(j, "01-a", ROT_EV_START, ROT_PHASE_RUN, NULL, NULL);
	assert_false(rot_journal_rolled_back(j));
	assert_false(rot_journal_complete(j));
	append(j, "01-a", ROT_EV_DONE, ROT_PHASE_RUN, NULL, NULL);
	append(j, ROT_JOURNAL_ROTATION, ROT_EV_DONE, ROT_PHASE_RUN, NULL, NULL);
	assert_true(rot_journal_complete(j));
	rot_journal_close(j);
	assert_int_equal(rot_journal_open(p, &ID, 0, &j, &err), CR_OK);
	assert_true(rot_journal_complete(j));
	assert_false(rot_journal_rolled_back(j));
	rot_journal_close(j);
	text = tf_slurp(p, NULL);
	assert_non_null(strstr(text, "{\"step\":\"01-a\",\"event\":\"rolled-back\",\"phase\":\"rollback\""));
	free(text);
	free(p);
}

/* A journal of another rotation or version: exit 2, reason state, the file untouched. */
static void
test_wrong_header(void **state)
{
	static const struct {
		struct rot_journal_id id;
		const char *file;
		const char *msg;
	} t[] = {
		{ { "mail-2027", OLD, NEW }, HDR EV("01-a", "done"), "its rotation is 'mail-2026', not 'mail-2027'" },
		{ { "mail-2026", NEW, NEW }, HDR, "its old certificate SHA-256 is '" OLD "'" },
		{ { "mail-2026", OLD, OLD }, HDR, "its new certificate SHA-256 is '" NEW "'" },
		{ { "mail-2026", NULL, OLD }, HDR, "its new certificate SHA-256" },
		{ { "mail-2026", OLD, NEW }, "{\"certrotate-journal\":2,\"rotation\":\"x\"}\n", "of version 2" },
		{ { "mail-2026", OLD, NEW }, EV("01-a", "done") HDR, "not a certrotate journal" },
		{ { "mail-2026", OLD, NEW }, "server { listen 443; }\n", "not a certrotate journal" },
		{ { "mail-2026", OLD, NEW }, "hello", "not a certrotate journal" },	/* no newline: not torn, foreign */
		{ { "mail-2026", OLD, NEW }, "\n", "not a certrotate journal" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *p = jpath("hdr.state"), *after;
		struct rot_journal *j = (struct rot_journal *)1;
		struct cr_err err;
		size_t n;
		int r;

		put_raw(p, t[i].file, strlen(t[i].file));
		r = rot_journal_open(p, &t[i].id, ROT_JOURNAL_CREATE, &j, &err);
		if (r != CR_EINPUT || err.reason != CR_R_STATE || strstr(err.msg, t[i].msg) == NULL)
			fail_msg("row %zu: status %d reason %s: %s", i, r, cr_reason_name(err.reason),
			    err.msg);
		assert_null(j);
		after = tf_slurp(p, &n);
		assert_int_equal(n, strlen(t[i].file));
		assert_memory_equal(after, t[i].file, n);
		free(after);
		free(p);
	}
}

/* A torn last line: ignored, reported, cut from the file; later appends parse. */
static void
test_torn_line(void **state)
{
	static const char *const torn[] = {
		"{\"step\":\"02-b\",\"event\":\"do",
		"{",
		"{\"step\":\"02-b\",\"event\":\"done\",\"at\":\"2026-01-01T00:00:01Z\",\"detail\":\"\"}",	/* all but the newline */
		"\xff\xfe garbage",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(torn) / sizeof(torn[0]); i++) {
		char *p = jpath("torn.state"), *file = cr_xasprintf("%s%s%s", HDR, EV("01-a", "done"), torn[i]);
		char *after;
		struct rot_journal *j;
		struct cr_err err;
		size_t n;

		put_raw(p, file, strlen(file));
		assert_int_equal(rot_journal_open(p, &ID, 0, &j, &err), CR_OK);
		assert_non_null(rot_journal_warning(j));
		assert_non_null(strstr(rot_journal_warning(j), "torn last line 3"));
		assert_int_equal(state_of(j, "01-a"), ROT_STEP_DONE);
		assert_int_equal(state_of(j, "02-b"), ROT_STEP_PENDING);
		after = tf_slurp(p, &n);
		assert_int_equal(n, strlen(HDR EV("01-a", "done")));
		free(after);
		append(j, "02-b", ROT_EV_START, ROT_PHASE_RUN, NULL, NULL);
		rot_journal_close(j);
		assert_int_equal(rot_journal_open(p, &ID, 0, &j, &err), CR_OK);
		assert_null(rot_journal_warning(j));
		assert_int_equal(state_of(j, "02-b"), ROT_STEP_STARTED);
		rot_journal_close(j);
		free(file);
		free(p);
	}
}

/* A header torn while the journal was being created: a new journal. */
static void
test_torn_header(void **state)
{
	static const char *const torn[] = { "{", "{\"cert", "{\"certrotate-journal\":1,\"rot" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(torn) / sizeof(torn[0]); i++) {
		char *p = jpath("th.state");
		struct rot_journal *j;
		struct cr_err err;

		put_raw(p, torn[i], strlen(torn[i]));
		if (rot_journal_open(p, &ID, 0, &j, &err) != CR_OK)
			fail_msg("'%s': %s", torn[i], err.msg);
		assert_non_null(strstr(rot_journal_warning(j), "torn last line 1"));
		assert_string_equal(rot_journal_header(j)->rotation, "mail-2026");
		assert_int_equal(rot_journal_nsteps(j), 0);
		rot_journal_close(j);
		assert_int_equal(rot_journal_open(p, &ID, 0, &j, &err), CR_OK);
		assert_null(rot_journal_warning(j));
		rot_journal_close(j);
		free(p);
	}
}

/* A malformed line in the middle: exit 2 naming the file and the line; nothing changed. */
static void
test_malformed(void **state)
{
#define NUL_LINE "{\"step\":\"01-a\",\"ev\0nt\":\"done\",\"at\":\"x\"}\n"
	static const struct {
		const char *line;	/* line 3, between two good ones */
		enum cr_reason reason;
		size_t len;		/* 0: strlen(line) */
	} t[] = {
		{ "garbage\n", CR_R_MALFORMED, 0 },
		{ "\n", CR_R_MALFORMED, 0 },
		{ "[1,2]\n", CR_R_MALFORMED, 0 },
		{ "{\"step\":\"01-a\",\"event\":\"done\",\"at\":\"x\"} trailing\n", CR_R_MALFORMED, 0 },
		{ "{\"step\":\"01-a\",\"event\":\"finished\",\"at\":\"x\"}\n", CR_R_MALFORMED, 0 },
		{ "{\"step\":\"01 a\",\"event\":\"done\",\"at\":\"x\"}\n", CR_R_MALFORMED, 0 },
		{ "{\"step\":\"01\\u0001a\",\"event\":\"done\",\"at\":\"x\"}\n", CR_R_MALFORMED, 0 },
		{ "{\"step\":\"01-a\\u0000x\",\"event\":\"done\",\"at\":\"x\"}\n", CR_R_MALFORMED, 0 },
		{ "{\"step\":\"01-a\",\"event\":\"done\",\"at\":\"x\",\"pin\":\"1234\"}\n", CR_R_MALFORMED, 0 },
		{ "{\"step\":\"01-a\",\"event\":\"done\"}\n", CR_R_MALFORMED, 0 },
		{ "{\"step\":\"01-a\",\"event\":\"done\",\"at\":\"x\",\"phase\":\"undo\"}\n", CR_R_MALFORMED, 0 },
		{ "{\"step\":\"01-a\",\"event\":\"done\",\"at\":\"x\",\"detail\":7}\n", CR_R_MALFORMED, 0 },
		{ "{\"step\":\"01-a\",\"event\":\"done\",\"at\":\"x\",\"data\":{\"k\":1}}\n", CR_R_MALFORMED, 0 },
		{ "{\"step\":\"01-a\",\"event\":\"done\",\"at\":\"x\",\"data\":{\"K\":\"v\"}}\n", CR_R_MALFORMED, 0 },
		{ "{\"step\":\"01-a\",\"event\":\"done\",\"at\":\"x\",\"data\":{\"a\":{\"b\":{\"c\":{}}}}}\n", CR_R_MALFORMED, 0 },
		{ "{\"step\":\"01-a\",\"event\":\"done\",\"at\":\"x\",\"detail\":\"\xc3\x28\"}\n", CR_R_MALFORMED, 0 },
		{ "{\"step\":\"01-a\",\"event\":'done',\"at\":\"x\"}\n", CR_R_MALFORMED, 0 },
		{ NUL_LINE, CR_R_MALFORMED, sizeof(NUL_LINE) - 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *p = jpath("bad.state"), *after;
		struct cr_buf b = CR_BUF_INIT;
		struct rot_journal *j = NULL;
		struct cr_err err;
		size_t linelen = t[i].len ? t[i].len : strlen(t[i].line), n;
		int r;

		cr_buf_adds(&b, HDR EV("01-a", "start"));
		cr_buf_add(&b, t[i].line, linelen);
		cr_buf_adds(&b, EV("01-a", "done"));
		put_raw(p, b.s, b.len);
		r = rot_journal_open(p, &ID, 0, &j, &err);
		if (r != CR_EINPUT || err.reason != t[i].reason || strstr(err.msg, "line 3") == NULL ||
		    strstr(err.msg, p) == NULL)
			fail_msg("row %zu: status %d reason %s: %s", i, r, cr_reason_name(err.reason),
			    err.msg);
		assert_null(j);
		after = tf_slurp(p, &n);
		assert_int_equal(n, b.len);
		free(after);
		cr_buf_release(&b);
		free(p);
	}
}

/* Lines and journals over their bounds. */
static void
test_bounds(void **state)
{
	char *p = jpath("big.state"), *huge = cr_xmalloc(ROT_JOURNAL_LINE_MAX + 10);
	struct cr_buf b = CR_BUF_INIT;
	struct rot_journal *j;
	struct cr_err err;
	int fd;

	(void)state;
	memset(huge, 'x', ROT_JOURNAL_LINE_MAX + 9);
	huge[ROT_JOURNAL_LINE_MAX + 9] = '\0';
	/* a huge line in the middle, and the same as a torn last line */
	cr_buf_adds(&b, HDR);
	cr_buf_adds(&b, huge);
	cr_buf_adds(&b, "\n");
	put_raw(p, b.s, b.len);
	assert_int_equal(rot_journal_open(p, &ID, 0, &j, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_TOO_LARGE);
	assert_non_null(strstr(err.msg, "line 2: longer than"));
	put_raw(p, b.s, b.len - 1);
	assert_int_equal(rot_journal_open(p, &ID, 0, &j, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_TOO_LARGE);
	/* a journal over its bound (sparse): refused before it is read */
	put_raw(p, HDR, strlen(HDR));
	fd = open(p, O_WRONLY);
	assert_int_equal(ftruncate(fd, (off_t)ROT_JOURNAL_MAX + 1), 0);
	close(fd);
	assert_int_equal(rot_journal_open(p, &ID, 0, &j, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_TOO_LARGE);
	cr_buf_release(&b);
	free(huge);
	free(p);
}

/* What append refuses writes nothing; what it cleans it cleans. */
static void
test_append_checks(void **state)
{
	static const char *const badkey[] = { "Written", "x", NULL };
	static const char *const notutf8[] = { "written", "/etc/caf\xe9.pem", NULL };
	static const char *const many[] = { "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6",
		"g", "7", "h", "8", "i", "9", NULL };
	char *p = jpath("ap.state"), *longv = cr_xmalloc(ROT_JOURNAL_VALUE_MAX + 2);
	char *longd = cr_xmalloc(ROT_JOURNAL_DETAIL_MAX * 2), *before, *after;
	const char *longdata[] = { "written", longv, NULL };
	struct rot_journal_event bad[] = {
		{ "", ROT_EV_DONE, ROT_PHASE_RUN, NULL, NULL },
		{ "01 a", ROT_EV_DONE, ROT_PHASE_RUN, NULL, NULL },
		{ "01/a", ROT_EV_DONE, ROT_PHASE_RUN, NULL, NULL },
		{ "01\ta", ROT_EV_DONE, ROT_PHASE_RUN, NULL, NULL },
		{ "01\xc3" "(a", ROT_EV_DONE, ROT_PHASE_RUN, NULL, NULL },
		{ "01\xc2\x85" "a", ROT_EV_DONE, ROT_PHASE_RUN, NULL, NULL },
		{ "01-a", (enum rot_event)9, ROT_PHASE_RUN, NULL, NULL },
		{ "01-a", ROT_EV_DONE, ROT_PHASE_RUN, NULL, badkey },
		{ "01-a", ROT_EV_DONE, ROT_PHASE_RUN, NULL, notutf8 },
		{ "01-a", ROT_EV_DONE, ROT_PHASE_RUN, NULL, many },
		{ "01-a", ROT_EV_DONE, ROT_PHASE_RUN, NULL, longdata },
	};
	struct rot_journal *j;
	struct rot_step_info in;
	struct cr_err err;
	size_t i, n0, n1;

	(void)state;
	memset(longv, 'v', ROT_JOURNAL_VALUE_MAX + 1);
	longv[ROT_JOURNAL_VALUE_MAX + 1] = '\0';
	assert_int_equal(rot_journal_open(p, &ID, ROT_JOURNAL_CREATE, &j, &err), CR_OK);
	before = tf_slurp(p, &n0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (rot_journal_append(j, &bad[i], &err) != CR_EINPUT)
			fail_msg("row %zu accepted", i);
		after = tf_slurp(p, &n1);
		assert_int_equal(n0, n1);
		free(after);
	}
	free(before);
	assert_int_equal(rot_journal_nsteps(j), 0);
	/* a detail of any bytes is journaled as valid UTF-8, cut at its bound */
	append(j, "01-a", ROT_EV_FAILED, ROT_PHASE_RUN, "exit 1: caf\xe9\n\t\x1b[31mred\"q\\", NULL);
	rot_journal_step(j, "01-a", &in);
	assert_string_equal(in.detail, "exit 1: caf\xef\xbf\xbd\n\t\x1b[31mred\"q\\");
	memset(longd, 'd', ROT_JOURNAL_DETAIL_MAX * 2 - 1);
	longd[ROT_JOURNAL_DETAIL_MAX * 2 - 1] = '\0';
	append(j, "02-b", ROT_EV_FAILED, ROT_PHASE_RUN, longd, NULL);
	rot_journal_close(j);
	assert_int_equal(rot_journal_open(p, &ID, 0, &j, &err), CR_OK);
	rot_journal_step(j, "01-a", &in);
	assert_string_equal(in.detail, "exit 1: caf\xef\xbf\xbd\n\t\x1b[31mred\"q\\");
	rot_journal_step(j, "02-b", &in);
	assert_int_equal(strlen(in.detail), ROT_JOURNAL_DETAIL_MAX);
	rot_journal_close(j);
	/* a new journal needs both certificates */
	{
		struct rot_journal_id half = { "mail-2026", NULL, NEW };
		char *q = jpath("half.state");
		assert_int_equal(rot_journal_open(q, &half, ROT_JOURNAL_CREATE, &j, &err), CR_EINPUT);
		assert_int_equal(err.reason, CR_R_STATE);
		free(q);
	}
	free(longv);
	free(longd);
	free(p);
}

/* Symlinks, FIFOs, directories, other owners, hard links at the path. */
static void
test_hostile_path(void **state)
{
	static const struct {
		const char *setup;
		int flags;
		int status;
		enum cr_reason reason;
	} t[] = {
		{ "symlink", ROT_JOURNAL_CREATE, CR_EINPUT, CR_R_NOT_REGULAR },
		{ "dangling", ROT_JOURNAL_CREATE, CR_EINPUT, CR_R_NOT_REGULAR },
		{ "fifo", ROT_JOURNAL_CREATE, CR_EINPUT, CR_R_NOT_REGULAR },
		{ "directory", ROT_JOURNAL_CREATE, CR_EINPUT, CR_R_NOT_REGULAR },
		{ "missing", 0, CR_EINPUT, CR_R_NOT_FOUND },
		{ "other-owner", 0, CR_EENV, CR_R_STATE },
		{ "hard-link", 0, CR_EENV, CR_R_STATE },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *p = jpath("h.state"), *victim = jpath("victim"), *v;
		const char *s = t[i].setup;
		struct rot_journal *j = NULL;
		struct cr_err err;
		int r;

		rmdir(p);
		put_raw(victim, "precious", 8);
		if (strcmp(s, "symlink") == 0)
			assert_int_equal(symlink(victim, p), 0);
		else if (strcmp(s, "dangling") == 0) {
			unlink(victim);
			assert_int_equal(symlink(victim, p), 0);
		} else if (strcmp(s, "fifo") == 0)
			assert_int_equal(mkfifo(p, 0600), 0);
		else if (strcmp(s, "directory") == 0)
			assert_int_equal(mkdir(p, 0700), 0);
		else if (strcmp(s, "other-owner") == 0) {
			put_raw(p, HDR, strlen(HDR));
			assert_int_equal(chown(p, 65534, 65534), 0);
		} else if (strcmp(s, "hard-link") == 0) {
			put_raw(victim, HDR, strlen(HDR));
			assert_int_equal(link(victim, p), 0);
		}
		r = rot_journal_open(p, &ID, t[i].flags, &j, &err);
		if (r != t[i].status || err.reason != t[i].reason)
			fail_msg("%s: status %d reason %s: %s", s, r, cr_reason_name(err.reason), err.msg);
		assert_null(j);
		if (strcmp(s, "dangling") == 0) {
			assert_int_equal(access(victim, F_OK), -1);	/* not created through the link */
		} else if (strcmp(s, "hard-link") != 0) {
			v = tf_slurp(victim, NULL);
			assert_string_equal(v, "precious");
			free(v);
		}
		unlink(p);
		rmdir(p);
		free(p);
		free(victim);
	}
}

/* The lock: a second open is refused at once; after close it succeeds.  Modes are tightened. */
static void
test_lock_and_mode(void **state)
{
	char *p = jpath("lock.state");
	struct rot_journal *j, *k = (struct rot_journal *)1;
	struct cr_err err;
	struct stat st;

	(void)state;
	assert_int_equal(rot_journal_open(p, &ID, ROT_JOURNAL_CREATE, &j, &err), CR_OK);
	assert_int_equal(rot_journal_open(p, &ID, ROT_JOURNAL_CREATE, &k, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_STATE);
	assert_non_null(strstr(err.msg, "is in use: another certrotate run or rollback"));
	assert_null(k);
	rot_journal_close(j);
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(rot_journal_open(p, &ID, 0, &k, &err), CR_OK);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	rot_journal_close(k);
	rot_journal_close(NULL);
	free(p);
}

/* Over a thousand steps: each found again after replay (the index grows). */
static void
test_many_steps(void **state)
{
	char *p = jpath("many.state");
	struct rot_journal *j;
	struct cr_err err;
	char id[32];
	int i;

	(void)state;
	assert_int_equal(rot_journal_open(p, &ID, ROT_JOURNAL_CREATE, &j, &err), CR_OK);
	for (i = 0; i < 1200; i++) {
		snprintf(id, sizeof(id), "%04d-rebind-h-s-r", i);
		append(j, id, i % 3 ? ROT_EV_DONE : ROT_EV_SKIPPED, ROT_PHASE_RUN, NULL, NULL);
	}
	rot_journal_close(j);
	assert_int_equal(rot_journal_open(p, &ID, 0, &j, &err), CR_OK);
	assert_int_equal(rot_journal_nsteps(j), 1200);
	for (i = 0; i < 1200; i++) {
		snprintf(id, sizeof(id), "%04d-rebind-h-s-r", i);
		assert_int_equal(state_of(j, id), i % 3 ? ROT_STEP_DONE : ROT_STEP_SKIPPED);
		assert_string_equal(rot_journal_step_id(j, (size_t)i), id);
	}
	rot_journal_close(j);
	free(p);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(rot_event_name(ROT_EV_ROLLED_BACK), "rolled-back");
	assert_string_equal(rot_event_name((enum rot_event)42), "?");
	assert_string_equal(rot_step_state_name(ROT_STEP_PENDING), "pending");
	assert_string_equal(rot_step_state_name(ROT_STEP_ROLLED_BACK), "rolled-back");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_rollback_phase),
		cmocka_unit_test(test_wrong_header),
		cmocka_unit_test(test_torn_line),
		cmocka_unit_test(test_torn_header),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_append_checks),
		cmocka_unit_test(test_hostile_path),
		cmocka_unit_test(test_lock_and_mode),
		cmocka_unit_test(test_many_steps),
		cmocka_unit_test(test_names),
	};

	if (geteuid() != 0) {
		printf("SKIP: test_journal: needs root (a journal owned by uid 65534)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
