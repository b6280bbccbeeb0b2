/*
 * Unit tests: the result of `scan` (rotate/scan.c) - label escaping and
 * UTF-8 repair for the exposition format, order and duplicates, what
 * counts as expiring, the exit status by SPEC 2's precedence, and the
 * three renderings read back.  Certificates are made here (testcert.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "testcert.h"
#include "../../rotate/scan.h"
#include "../../common/util.h"
#include "../../common/utf8.h"

#define DAY 86400L

static EVP_PKEY *key;

static int
setup(void **state)
{
	(void)state;
	key = tc_key(1);
	return key == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(key);
	return 0;
}

/* A list of one new certificate valid until now + to seconds. */
static void
one(struct crt_list *l, const char *subject, long to, const char *source)
{
	struct tc_spec s = { .subject = subject, .from = -DAY, .to = to };

	crt_list_push(l, crt_cert_new(tc_cert(&s, key, NULL, NULL), NULL, source));
}

/* What a renderer printed, as a new string. */
static char *
render(void (*fn)(FILE *, const struct rot_scan *), const struct rot_scan *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, s);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void
test_label_escaping(void **state)
{
	static const struct { const char *in, *out; } t[] = {
		{ "plain", "plain" },
		{ "a\\b", "a\\\\b" },
		{ "say \"hi\"", "say \\\"hi\\\"" },
		{ "two\nlines", "two\\nlines" },
		{ "tab\tstays", "tab\tstays" },
		{ "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x92", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x92" },
		{ "bad\xFF" "byte", "bad\xEF\xBF\xBD" "byte" },
		{ "cut\xC3", "cut\xEF\xBF\xBD" },
		{ "overlong\xC0\xAF", "overlong\xEF\xBF\xBD\xEF\xBF\xBD" },
		{ "surrogate\xED\xA0\x80", "surrogate\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
		{ "big\xF4\x90\x80\x80", "big\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
		{ "\\\"\n", "\\\\\\\"\\n" },
		{ "", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cr_buf b = CR_BUF_INIT;
		rot_prom_label_value(&b, t[i].in);
		if (strcmp(cr_buf_str(&b), t[i].out) != 0)
			fail_msg("case %zu: got '%s', expected '%s'", i, cr_buf_str(&b), t[i].out);
		cr_buf_release(&b);
	}
}

static void
test_utf8_valid(void **state)
{
	char *s;

	(void)state;
	s = cr_utf8_clean("dir/\xFF\xFE.pem \"q\" \\ \n");
	assert_string_equal(s, "dir/\xEF\xBF\xBD\xEF\xBF\xBD.pem \"q\" \\ \n");
	free(s);
	s = cr_utf8_clean("ok \xC3\xA9");
	assert_string_equal(s, "ok \xC3\xA9");
	free(s);
}

static void
test_kind(void **state)
{
	(void)state;
	assert_int_equal(rot_scan_kind_of("pkcs11:token=edge"), ROT_SCAN_TOKEN);
	assert_int_equal(rot_scan_kind_of("PKCS11:"), ROT_SCAN_TOKEN);
	assert_int_equal(rot_scan_kind_of("tls://a:443"), ROT_SCAN_ENDPOINT);
	assert_int_equal(rot_scan_kind_of("/etc/ssl"), ROT_SCAN_PATH);
	assert_int_equal(rot_scan_kind_of("file:x.pem"), ROT_SCAN_PATH);
}

/*
 * Sorted soonest first, ties by SHA-1 then source; a (SHA-1, source) seen
 * twice listed once; expiring = less than `within` left; an expired one
 * always counts, also with within = 0.
 */
static void
test_order_and_expiry(void **state)
{
	struct rot_scan s;
	struct crt_list l = CRT_LIST_INIT;
	time_t now = time(NULL);
	size_t src, i;

	(void)state;
	rot_scan_init(&s, now, 30 * DAY, "30d");
	src = rot_scan_add_source(&s, "dir", ROT_SCAN_PATH);
	one(&l, "/CN=later", 400 * DAY, "dir/later.pem");
	one(&l, "/CN=soon", 20 * DAY, "dir/soon.pem");
	one(&l, "/CN=expired", -10 * DAY, "dir/expired.pem");
	one(&l, "/CN=edge", 30 * DAY, "dir/edge.pem");	/* exactly 30 days: not within */
	rot_scan_add_certs(&s, src, &l);
	assert_int_equal(l.n, 0);
	/* the same certificate again under the same source, and under another */
	X509_up_ref(s.certs.v[1]->x509);
	crt_list_push(&l, crt_cert_new(s.certs.v[1]->x509, NULL, "dir/soon.pem"));
	X509_up_ref(s.certs.v[1]->x509);
	crt_list_push(&l, crt_cert_new(s.certs.v[1]->x509, NULL, "another/soon.pem"));
	rot_scan_add_certs(&s, src, &l);
	rot_scan_finish(&s);

	assert_int_equal(s.n, 5);
	assert_string_equal(s.v[0].info.subject, "CN=expired");
	assert_string_equal(s.v[1].cert->source, "another/soon.pem");	/* tie: by source */
	assert_string_equal(s.v[2].cert->source, "dir/soon.pem");
	assert_string_equal(s.v[3].info.subject, "CN=edge");
	assert_string_equal(s.v[4].info.subject, "CN=later");
	for (i = 1; i < s.n; i++)
		assert_true(s.v[i - 1].info.not_after <= s.v[i].info.not_after);
	assert_true(s.v[0].expiring);
	assert_true(s.v[1].expiring && s.v[2].expiring);
	assert_false(s.v[3].expiring);
	assert_false(s.v[4].expiring);
	assert_int_equal(s.nexpired, 1);
	assert_int_equal(s.nexpiring, 3);
	assert_int_equal(s.status, CR_EBLOCK);
	rot_scan_release(&s);

	/* within 0: only the expired one */
	rot_scan_init(&s, now, 0, "0s");
	src = rot_scan_add_source(&s, "dir", ROT_SCAN_PATH);
	one(&l, "/CN=soon", 20 * DAY, "a");
	rot_scan_add_certs(&s, src, &l);
	rot_scan_finish(&s);
	assert_int_equal(s.nexpiring, 0);
	assert_int_equal(s.status, CR_OK);
	rot_scan_release(&s);
	rot_scan_init(&s, now, 0, "0s");
	src = rot_scan_add_source(&s, "dir", ROT_SCAN_PATH);
	one(&l, "/CN=gone", -10, "a");	/* seconds past notAfter */
	rot_scan_add_certs(&s, src, &l);
	rot_scan_finish(&s);
	assert_int_equal(s.nexpired, 1);
	assert_int_equal(s.status, CR_EBLOCK);
	rot_scan_release(&s);

	/* a huge window does not overflow */
	rot_scan_init(&s, now, 9223372036854775807LL, "huge");
	src = rot_scan_add_source(&s, "dir", ROT_SCAN_PATH);
	one(&l, "/CN=far", 3650 * DAY, "a");
	rot_scan_add_certs(&s, src, &l);
	rot_scan_finish(&s);
	assert_int_equal(s.nexpiring, 1);
	rot_scan_release(&s);
}

/* The exit status: 2, then 3, then 1 (SPEC 2), whatever the order of sources. */
static void
test_status_precedence(void **state)
{
	static const struct { int a, b; int expiring; int want; } t[] = {
		{ CR_OK, CR_OK, 0, CR_OK },
		{ CR_OK, CR_OK, 1, CR_EBLOCK },
		{ CR_EENV, CR_OK, 1, CR_EENV },
		{ CR_OK, CR_EENV, 0, CR_EENV },
		{ CR_EENV, CR_EINPUT, 1, CR_EINPUT },
		{ CR_EINPUT, CR_EENV, 0, CR_EINPUT },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct rot_scan s;
		struct crt_list l = CRT_LIST_INIT;
		struct cr_err e;
		size_t a, b;

		rot_scan_init(&s, time(NULL), 30 * DAY, "30d");
		a = rot_scan_add_source(&s, "a", ROT_SCAN_PATH);
		b = rot_scan_add_source(&s, "tls://b:1", ROT_SCAN_ENDPOINT);
		if (t[i].a != CR_OK) {
			cr_err_setr(&e, t[i].a, CR_R_IO, "a failed");
			rot_scan_source_error(&s, a, &e);
		}
		if (t[i].b != CR_OK) {
			cr_err_setr(&e, t[i].b, CR_R_NETWORK, "b failed");
			rot_scan_source_error(&s, b, &e);
		}
		one(&l, "/CN=x", t[i].expiring ? DAY : 100 * DAY, "a");
		rot_scan_add_certs(&s, a, &l);
		rot_scan_finish(&s);
		if (s.status != t[i].want)
			fail_msg("case %zu: status %d, expected %d", i, s.status, t[i].want);
		assert_int_equal(s.nfailed, (t[i].a != CR_OK) + (t[i].b != CR_OK));
		rot_scan_release(&s);
	}
}

/*
 * The exposition format read back line by line: HELP and TYPE before the
 * samples of their family, one family per name, unique sample lines,
 * values the notAfter epoch, labels escaped, the whole valid UTF-8.
 */
static void
test_prometheus(void **state)
{
	struct rot_scan s;
	struct crt_list l = CRT_LIST_INIT;
	struct cr_err e;
	size_t a, b;
	char *out, *line, *save = NULL, *want;
	int ncert = 0, nup = 0, family = 0;

	(void)state;
	rot_scan_init(&s, time(NULL), 30 * DAY, "30d");
	a = rot_scan_add_source(&s, "we\"ird\\dir\n\xFF", ROT_SCAN_PATH);
	b = rot_scan_add_source(&s, "tls://127.0.0.1:1", ROT_SCAN_ENDPOINT);
	one(&l, "/CN=say \"hi\" \\o", 10 * DAY, "we\"ird\\dir\n\xFF/a.pem");
	one(&l, "/CN=plain", 100 * DAY, "we\"ird\\dir\n\xFF/b.pem");
	rot_scan_add_certs(&s, a, &l);
	cr_err_setr(&e, CR_EENV, CR_R_NETWORK, "endpoint '127.0.0.1:1': connection refused");
	rot_scan_source_error(&s, b, &e);
	rot_scan_finish(&s);
	out = render(rot_scan_print_prometheus, &s);

	assert_true(strlen(out) > 0 && out[strlen(out) - 1] == '\n');
	assert_null(strchr(out, '\r'));
	want = cr_xasprintf("certrotate_cert_not_after_seconds{source=\"we\\\"ird\\\\dir\\n"
	    "\xEF\xBF\xBD/a.pem\",subject=\"CN=\\\"say \\\"\\\"hi\\\"\\\" \\\\o\\\"\",sha1=\"%s\"} "
	    "%lld\n", s.v[0].info.sha1, (long long)s.v[0].info.not_after);
	if (strstr(out, want) == NULL)
		fail_msg("no line\n%s\nin\n%s", want, out);
	free(want);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP certrotate_cert_not_after_seconds ", 41) == 0) {
			assert_int_equal(family, 0);
			family = 1;
		} else if (strcmp(line, "# TYPE certrotate_cert_not_after_seconds gauge") == 0) {
			assert_int_equal(family, 1);
			family = 2;
		} else if (strncmp(line, "certrotate_cert_not_after_seconds{", 34) == 0) {
			assert_int_equal(family, 2);
			ncert++;
		} else if (strncmp(line, "# HELP certrotate_scan_source_up ", 32) == 0) {
			assert_int_equal(family, 2);
			family = 3;
		} else if (strcmp(line, "# TYPE certrotate_scan_source_up gauge") == 0) {
			assert_int_equal(family, 3);
			family = 4;
		} else if (strncmp(line, "certrotate_scan_source_up{", 26) == 0) {
			assert_int_equal(family, 4);
			nup++;
			if (strstr(line, "127.0.0.1:1") != NULL)
				assert_non_null(strstr(line, "\"} 0"));
			else
				assert_non_null(strstr(line, "\"} 1"));
		} else {
			fail_msg("unexpected line '%s'", line);
		}
	}
	assert_int_equal(ncert, 2);
	assert_int_equal(nup, 2);
	free(out);
	rot_scan_release(&s);
}

/* JSON parses, keeps inspect's keys, adds expiring, sources, skipped, summary. */
static void
test_json(void **state)
{
	struct rot_scan s;
	struct crt_list l = CRT_LIST_INIT;
	struct json_object *o, *v, *c;
	char *out;
	size_t a;

	(void)state;
	rot_scan_init(&s, time(NULL), 30 * DAY, "30d");
	a = rot_scan_add_source(&s, "dir\xFF", ROT_SCAN_PATH);
	one(&l, "/CN=soon", 5 * DAY, "dir\xFF/soon.pem");
	one(&l, "/CN=later", 50 * DAY, "dir\xFF/later.pem");
	rot_scan_add_certs(&s, a, &l);
	rot_scan_add_skip(&s, "dir\xFF/privkey.pem", CRT_SKIP_KEY, "PRIVATE KEY");
	rot_scan_finish(&s);
	out = render(rot_scan_print_json, &s);
	o = json_tokener_parse(out);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "certificates", &v));
	assert_int_equal(json_object_array_length(v), 2);
	c = json_object_array_get_idx(v, 0);
	assert_true(json_object_object_get_ex(c, "expiring", &v) && json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(c, "days_left", &v) && json_object_get_int(v) == 5);
	assert_true(json_object_object_get_ex(c, "source", &v));
	assert_string_equal(json_object_get_string(v), "dir\xEF\xBF\xBD/soon.pem");
	assert_true(json_object_object_get_ex(c, "sha1", &v));
	assert_true(json_object_object_get_ex(c, "not_after", &v));
	c = json_object_array_get_idx(json_object_object_get(o, "certificates"), 1);
	assert_true(json_object_object_get_ex(c, "expiring", &v) && !json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "skipped", &v));
	assert_string_equal(json_object_get_string(json_object_object_get(
	    json_object_array_get_idx(v, 0), "reason")), "private-key");
	assert_true(json_object_object_get_ex(o, "summary", &v));
	assert_int_equal(json_object_get_int(json_object_object_get(v, "expiring")), 1);
	assert_int_equal(json_object_get_int(json_object_object_get(v, "ok")), 1);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "exit")), 1);
	assert_int_equal(json_object_get_int64(json_object_object_get(o, "within_seconds")),
	    30 * DAY);
	json_object_put(o);
	free(out);
	rot_scan_release(&s);
}

/* Text: header, one line per certificate soonest first, skipped, failed, summary. */
static void
test_text(void **state)
{
	struct rot_scan s;
	struct crt_list l = CRT_LIST_INIT;
	struct cr_err e;
	char *out, *p1, *p2;
	size_t a, b;

	(void)state;
	rot_scan_init(&s, time(NULL), 30 * DAY, "30d");
	a = rot_scan_add_source(&s, "dir", ROT_SCAN_PATH);
	b = rot_scan_add_source(&s, "tls://127.0.0.1:1", ROT_SCAN_ENDPOINT);
	one(&l, "/CN=later", 50 * DAY, "dir/later.pem");
	one(&l, "/CN=gone", -3 * DAY, "dir/gone.pem");
	one(&l, "/CN=two\nlines", 70 * DAY, "dir/\x1b[31mred\tx.pem");
	rot_scan_add_certs(&s, a, &l);
	rot_scan_add_skip(&s, "dir/fifo.pem", CRT_SKIP_SPECIAL, "a FIFO");
	cr_err_setr(&e, CR_EENV, CR_R_NETWORK, "cannot scan 'tls://127.0.0.1:1': refused");
	rot_scan_source_error(&s, b, &e);
	rot_scan_finish(&s);
	out = render(rot_scan_print_text, &s);
	assert_non_null(strstr(out, "NOT AFTER"));
	p1 = strstr(out, "EXPIRED");
	p2 = strstr(out, "CN=later");
	assert_true(p1 != NULL && p2 != NULL && p1 < p2);
	assert_non_null(strstr(out, "dir/fifo.pem: a FIFO, not opened"));
	/* control characters of subjects and file names never reach the terminal raw */
	assert_non_null(strstr(out, "  CN=\"two\\x0Alines\"  "));
	assert_non_null(strstr(out, "  dir/\\x1B[31mred\\x09x.pem\n"));
	assert_null(strchr(out, '\x1b'));
	assert_null(strchr(out, '\t'));
	assert_non_null(strstr(out, "cannot scan 'tls://127.0.0.1:1': refused (exit 3)"));
	assert_non_null(strstr(out, "summary: 3 certificates from 2 sources: 1 expired, 0 expiring "
	    "within 30d, 2 ok; 1 skipped; 1 source failed: SOURCE FAILED (exit 3)"));
	free(out);
	rot_scan_release(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_kind),
		cmocka_unit_test(test_order_and_expiry),
		cmocka_unit_test(test_status_precedence),
		cmocka_unit_test(test_prometheus),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
