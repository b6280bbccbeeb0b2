/* Unit tests: durations, hex, paths, error precedence (common/). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/util.h"
#include "../../common/fsutil.h"
#include "../../common/secret.h"

static void
test_durations(void **state)
{
	static const struct { const char *text; long long secs; int status; } t[] = {
		{ "90s", 90, CR_OK }, { "45m", 2700, CR_OK }, { "12h", 43200, CR_OK },
		{ "30d", 2592000, CR_OK }, { "2w", 1209600, CR_OK }, { "0d", 0, CR_OK },
		{ "", 0, CR_EINPUT }, { "d", 0, CR_EINPUT }, { "30", 0, CR_EINPUT },
		{ "30x", 0, CR_EINPUT }, { "30dd", 0, CR_EINPUT }, { "-1d", 0, CR_EINPUT },
		{ " 1d", 0, CR_EINPUT }, { "1.5d", 0, CR_EINPUT },
		{ "99999999999999999999w", 0, CR_EINPUT }, { "9223372036854775807w", 0, CR_EINPUT },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cr_err err;
		long long v = -1;
		int r = cr_duration_parse(t[i].text, &v, &err);
		if (r != t[i].status)
			fail_msg("'%s': status %d, expected %d", t[i].text, r, t[i].status);
		if (r == CR_OK)
			assert_int_equal(v, t[i].secs);
		else
			assert_non_null(strstr(err.msg, "bad duration"));
	}
}

static void
test_hex(void **state)
{
	unsigned char b[32];
	char *s;

	(void)state;
	assert_int_equal(cr_hex_parse("5a 1B:c3", b, sizeof(b)), 3);
	assert_int_equal(b[0], 0x5a);
	assert_int_equal(b[2], 0xc3);
	assert_int_equal(cr_hex_parse("5a1", b, sizeof(b)), -1);
	assert_int_equal(cr_hex_parse("zz", b, sizeof(b)), -1);
	assert_int_equal(cr_hex_parse("0102", b, 1), -1);
	s = cr_hex_upper((const unsigned char *)"\x0a\xff", 2);
	assert_string_equal(s, "0AFF");
	free(s);
}

/* The one hex digit function (thumbprints, URIs, ids): any int is safe. */
static void
test_hexval(void **state)
{
	static const struct { int c, v; } t[] = {
		{ '0', 0 }, { '9', 9 }, { 'a', 10 }, { 'f', 15 }, { 'A', 10 }, { 'F', 15 },
		{ 'g', -1 }, { 'G', -1 }, { '/', -1 }, { ':', -1 }, { '@', -1 }, { '`', -1 },
		{ ' ', -1 }, { 0, -1 }, { -1, -1 }, { (char)0xE2, -1 }, { 0xE2, -1 }, { 0x10A, -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (cr_hexval(t[i].c) != t[i].v)
			fail_msg("cr_hexval(%d) = %d, expected %d", t[i].c, cr_hexval(t[i].c), t[i].v);
}

/* The one %XX decoder (URI queries, pass-source, tls:// names). */
static void
test_pct_decode(void **state)
{
	static const struct { const char *in; const char *out; size_t len; } t[] = {
		{ "a%20b", "a b", 3 }, { "%41%6a", "Aj", 2 }, { "100%", "100%", 4 },
		{ "%4", "%4", 2 }, { "%zz1", "%zz1", 4 }, { "%%41", "%A", 2 },
		{ "x%00y", "x", 3 }, { "", "", 0 }, { "%E2%80%8E", "\xE2\x80\x8E", 3 },
	};
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *d = cr_pct_decode(t[i].in, strlen(t[i].in));

		assert_string_equal(d, t[i].out);
		free(d);
		assert_int_equal(cr_pct_decode_into(buf, t[i].in, strlen(t[i].in)), t[i].len);
	}
	/* only the n bytes given are read */
	assert_int_equal(cr_pct_decode_into(buf, "%41", 2), 2);
	assert_string_equal(buf, "%4");
}

/* Reading a file: the message names it as the caller says, the reason says why. */
static void
test_read_file_shown(void **state)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *dir = cr_xasprintf("%s/test_util.%ld", tmp, (long)getpid());
	char *big = cr_xasprintf("%s/big", dir), *none = cr_xasprintf("%s/none", dir);
	unsigned char *buf = NULL;
	struct cr_err err;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(mkdir(dir, 0700), 0);
	f = fopen(big, "w");
	assert_non_null(f);
	fputs("0123456789", f);
	assert_int_equal(fclose(f), 0);

	assert_int_equal(cr_fs_read_regular(big, "shown/big", 0, 100, &buf, &len, &err), CR_OK);
	assert_int_equal(len, 10);
	assert_string_equal((char *)buf, "0123456789");
	free(buf);
	assert_int_equal(cr_fs_read_regular(big, "shown/big", 0, 5, &buf, &len, &err), CR_EINPUT);
	assert_null(buf);
	assert_int_equal(err.reason, CR_R_TOO_LARGE);
	assert_string_equal(err.msg, "cannot read 'shown/big': larger than the limit of 5 bytes");
	assert_int_equal(cr_fs_read_regular(none, "shown/none", 0, 100, &buf, &len, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_NOT_FOUND);
	assert_string_equal(err.msg, "cannot read 'shown/none': No such file or directory");
	assert_int_equal(cr_read_file(dir, 100, &buf, &len, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_NOT_REGULAR);
	assert_non_null(strstr(err.msg, "is a directory"));
	assert_int_equal(cr_read_file(none, 100, &buf, &len, &err), CR_EINPUT);
	assert_non_null(strstr(err.msg, none));

	unlink(big);
	rmdir(dir);
	free(big);
	free(none);
	free(dir);
}

static void
test_paths(void **state)
{
	char *s;

	(void)state;
	s = cr_path_resolve("/etc/cr", "new/a.pem");
	assert_string_equal(s, "/etc/cr/new/a.pem");
	free(s);
	s = cr_path_resolve("/etc/cr", "/abs.pem");
	assert_string_equal(s, "/abs.pem");
	free(s);
	s = cr_path_dirname("certrotate.cfg");
	assert_string_equal(s, ".");
	free(s);
	s = cr_path_dirname("/x/y.cfg");
	assert_string_equal(s, "/x");
	free(s);
}

static void
test_precedence(void **state)
{
	(void)state;
	/* SPEC 2: when several apply, the first of 2, 3, 1 wins */
	assert_int_equal(cr_status_worse(CR_EBLOCK, CR_EENV), CR_EENV);
	assert_int_equal(cr_status_worse(CR_EENV, CR_EINPUT), CR_EINPUT);
	assert_int_equal(cr_status_worse(CR_EINPUT, CR_EBLOCK), CR_EINPUT);
	assert_int_equal(cr_status_worse(CR_OK, CR_EBLOCK), CR_EBLOCK);
}

static void
test_err_prefix(void **state)
{
	struct cr_err e;

	(void)state;
	cr_err_set(&e, CR_EINPUT, "unknown setting '%s'", "nmaes");
	cr_err_prefix(&e, "%s:%d", "certrotate.cfg", 14);
	assert_string_equal(e.msg, "certrotate.cfg:14: unknown setting 'nmaes'");
	assert_int_equal(e.status, CR_EINPUT);
}

/* Secrets in sources never reach a message; evident files do, to help. */
static void
test_secret_masked(void **state)
{
	static const struct { const char *in, *out; } t[] = {
		{ "pkcs11:token=edge", "pkcs11:token=edge" },
		{ "pkcs11:token=edge?pin-value=1234", "pkcs11:token=edge?pin-value=***" },
		{ "pkcs11:token=edge?pin-value=file:/x", "pkcs11:token=edge?pin-value=***" },
		{ "pkcs11:token=edge?pin-source=1234", "pkcs11:token=edge?pin-source=***" },
		{ "pkcs11:token=edge?pin-source=file:e.pin", "pkcs11:token=edge?pin-source=file:e.pin" },
		{ "pkcs11:token=edge?pin-source=/etc/e.pin&module-name=softhsm2",
		  "pkcs11:token=edge?pin-source=/etc/e.pin&module-name=softhsm2" },
		{ "pkcs11:token=edge?module-name=x&pin-source=%31%32",
		  "pkcs11:token=edge?module-name=x&pin-source=***" },
		{ "a.p12?pass-source=s3cret&x=1", "a.p12?pass-source=***&x=1" },
		{ "a.p12?pass-source=./pw", "a.p12?pass-source=./pw" },
		{ "a.p12?pass-source=", "a.p12?pass-source=***" },
		{ "a.p12?pass-sourcery=1", "a.p12?pass-sourcery=1" },
		/* a ';' typed for the '?': the PIN is in the path, masked all the same */
		{ "pkcs11:token=edge;pin-value=1234", "pkcs11:token=edge;pin-value=***" },
		{ "pkcs11:pin-value=1234;token=edge", "pkcs11:pin-value=***;token=edge" },
		{ "pin-value=1234", "pin-value=***" },
		{ "pkcs11:token=edge;pin-source=1234?module-name=x", "pkcs11:token=edge;pin-source=***?module-name=x" },
		{ "pkcs11:token=edge?pin-source=/a;b&x=1", "pkcs11:token=edge?pin-source=/a;b&x=1" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *m = cr_secret_masked(t[i].in);
		assert_string_equal(m, t[i].out);
		free(m);
	}
	assert_true(cr_secret_ref_ok("file:x"));
	assert_true(cr_secret_ref_ok("./x"));
	assert_false(cr_secret_ref_ok("file:"));
	assert_false(cr_secret_ref_ok("x"));
	assert_false(cr_secret_ref_ok(NULL));
}


/* A fresh directory for files of a test.  New string. */
static char *
tmpdir(void)
{
	char tmpl[] = "/tmp/cr-util.XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return cr_xstrdup(tmpl);
}

static char *
put_file(const char *dir, const char *name, const char *content, size_t n)
{
	char *p = cr_xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, n, f), n);
	fclose(f);
	return p;
}

/*
 * Nothing waits: a FIFO without a writer, a device, a directory are refused
 * at once by stat and fstat, never opened for a blocking read (this test
 * would hang, not fail, if one were).
 */
static void
test_read_file(void **state)
{
	char *dir = tmpdir(), *fifo = cr_xasprintf("%s/pin.fifo", dir);
	char *big = put_file(dir, "big", "0123456789", 10), *ok = put_file(dir, "ok", "1234\nrest", 9);
	char *link = cr_xasprintf("%s/link", dir);
	static const struct { const char *what; int reason; const char *msg; } none[] = {
		{ "fifo", CR_R_NOT_REGULAR, "is a FIFO, not a regular file" },
		{ "/dev/null", CR_R_NOT_REGULAR, "is a character device, not a regular file" },
		{ "dir", CR_R_NOT_REGULAR, "is a directory, not a regular file" },
		{ "link", CR_R_NOT_REGULAR, "is a FIFO" },
		{ "/nonexistent/x", CR_R_NOT_FOUND, "No such file or directory" },
	};
	unsigned char *buf;
	size_t len, i;
	char *secret;
	struct cr_err err;

	(void)state;
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(symlink(fifo, link), 0);
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		const char *path = strcmp(none[i].what, "fifo") == 0 ? fifo :
		    strcmp(none[i].what, "dir") == 0 ? dir :
		    strcmp(none[i].what, "link") == 0 ? link : none[i].what;

		cr_err_clear(&err);
		assert_int_equal(cr_read_file(path, 100, &buf, &len, &err), CR_EINPUT);
		assert_null(buf);
		if ((int)err.reason != none[i].reason || strstr(err.msg, none[i].msg) == NULL)
			fail_msg("'%s': reason %s, '%s'", path, cr_reason_name(err.reason), err.msg);
		/* secrets and modules too */
		assert_int_equal(cr_read_secret(path, &secret, &err), CR_EINPUT);
		assert_null(secret);
		assert_int_equal(cr_check_regular(path, "cannot load", "x", CR_EENV, &err), CR_EENV);
		assert_non_null(strstr(err.msg, none[i].msg));
	}
	assert_int_equal(cr_read_file(big, 9, &buf, &len, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_TOO_LARGE);
	assert_non_null(strstr(err.msg, "larger than the limit of 9 bytes"));
	assert_int_equal(cr_read_file(big, 10, &buf, &len, &err), CR_OK);
	assert_int_equal(len, 10);
	free(buf);
	assert_int_equal(cr_read_secret(ok, &secret, &err), CR_OK);
	assert_string_equal(secret, "1234");
	cr_secret_free(secret);
	/* an empty first line or a NUL in it would be tried as a wrong PIN */
	free(big);
	big = put_file(dir, "big", "\nsecond", 7);
	assert_int_equal(cr_read_secret(big, &secret, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_PIN_SOURCE);
	assert_non_null(strstr(err.msg, "its first line is empty"));
	free(big);
	big = put_file(dir, "big", "12\0" "34\n", 6);
	assert_int_equal(cr_read_secret(big, &secret, &err), CR_EINPUT);
	assert_non_null(strstr(err.msg, "its first line holds a NUL byte"));
	assert_null(secret);
	assert_int_equal(cr_check_regular(ok, "cannot load", "x", CR_EENV, &err), CR_OK);
	unlink(link);
	unlink(fifo);
	unlink(big);
	unlink(ok);
	rmdir(dir);
	free(link);
	free(fifo);
	free(big);
	free(ok);
	free(dir);
}

/* A secret piped on the standard input: read once, up to its first line. */
static void
test_secret_stdin(void **state)
{
	int saved = dup(STDIN_FILENO), p[2];
	char *secret = NULL;
	struct cr_err err;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "s3cret\nmore\n", 12), 12);
	close(p[1]);
	dup2(p[0], STDIN_FILENO);
	close(p[0]);
	assert_int_equal(cr_read_secret("/dev/stdin", &secret, &err), CR_OK);
	assert_string_equal(secret, "s3cret");
	cr_secret_free(secret);
	/* one secret per run: read again, it is empty */
	assert_int_equal(cr_read_secret("/dev/fd/0", &secret, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_PIN_SOURCE);
	assert_non_null(strstr(err.msg, "the standard input is empty"));
	/* a device on the standard input is refused */
	assert_true(freopen("/dev/null", "r", stdin) != NULL);
	assert_int_equal(cr_read_secret("/dev/stdin", &secret, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_NOT_REGULAR);
	assert_non_null(strstr(err.msg, "is a character device"));
	dup2(saved, STDIN_FILENO);
	close(saved);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_hexval),
		cmocka_unit_test(test_pct_decode),
		cmocka_unit_test(test_read_file_shown),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_err_prefix),
		cmocka_unit_test(test_secret_masked),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_secret_stdin),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
