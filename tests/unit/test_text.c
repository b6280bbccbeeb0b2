/* Unit tests: escaping of untrusted bytes, UTF-8 validity, JSON strings (common/text.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "../../common/text.h"
#include "../../common/utf8.h"

/* Decodes an escaped string back to bytes (as crt_dn_parse does). */
static size_t
decode(const char *e, unsigned char *out)
{
	size_t n = 0, k;

	while (*e) {
		if ((k = cr_esc_decode(e, &out[n])) != 0) {
			n++;
			e += k;
		} else {
			out[n++] = (unsigned char)*e++;
		}
	}
	return n;
}

#define B(s) s, sizeof(s) - 1

static void
test_escape(void **state)
{
	static const struct { const char *in; size_t n; int flags; const char *want; } t[] = {
		{ B("mail.contoso.com"), 0, "mail.contoso.com" },
		{ B("evil\0.contoso.com"), 0, "evil\\x00.contoso.com" },
		{ B("a\nb\tc\x1b[31m\x7f"), 0, "a\\x0Ab\\x09c\\x1B[31m\\x7F" },
		{ B("Z\xc3\xbcrich"), 0, "Z\xc3\xbcrich" },
		{ B("Z\xc3\xbcrich"), CR_ESC_ASCII, "Z\\xC3\\xBCrich" },
		{ B("caf\xe9"), 0, "caf\\xE9" },			/* Latin-1: invalid UTF-8 */
		{ B("\xc0\xae"), 0, "\\xC0\\xAE" },			/* overlong '.' */
		{ B("\xed\xa0\x80"), 0, "\\xED\\xA0\\x80" },		/* a surrogate */
		{ B("\xf4\x90\x80\x80"), 0, "\\xF4\\x90\\x80\\x80" },	/* beyond U+10FFFF */
		{ B("\xe2\x82"), 0, "\\xE2\\x82" },			/* truncated */
		{ B("\xc2\x9b"), 0, "\\xC2\\x9B" },			/* C1 CSI */
		{ B("moc.\xe2\x80\xaelive"), 0, "moc.\\xE2\\x80\\xAElive" },	/* RLO */
		{ B("a\xe2\x80\x8b" "b"), 0, "a\\xE2\\x80\\x8Bb" },	/* zero-width space */
		{ B("\xef\xbb\xbfx"), 0, "\\xEF\\xBB\\xBFx" },		/* BOM */
		{ B("C:\\dir\\file"), 0, "C:\\dir\\file" },		/* backslashes stand for themselves */
		{ B("DOMAIN\\xavier"), 0, "DOMAIN\\xavier" },		/* "xa" then 'v': no escape */
		{ B("a\\x00"), 0, "a\\\\x00" },			/* would read as an escape */
		{ B("a\\xFF"), 0, "a\\\\xFF" },
		{ B("a\\\\b"), 0, "a\\\\\\b" },			/* two backslashes */
		{ B("a\\\0"), 0, "a\\\\\\x00" },			/* backslash, NUL */
		{ B("end\\"), 0, "end\\" },
		{ B(""), 0, "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *e = cr_esc(t[i].in, t[i].n, t[i].flags);
		unsigned char back[64];
		size_t n;

		if (strcmp(e, t[i].want) != 0)
			fail_msg("row %zu: escaped as '%s', expected '%s'", i, e, t[i].want);
		/* the escaping is printable ASCII or valid UTF-8, and decodes back */
		assert_true(cr_utf8_valid(e, strlen(e)));
		n = decode(e, back);
		if (n != t[i].n || memcmp(back, t[i].in, n) != 0)
			fail_msg("row %zu: '%s' does not decode back to its bytes", i, e);
		free(e);
	}
}

/* Every string of up to three bytes from a small alphabet escapes injectively. */
static void
test_escape_exhaustive(void **state)
{
	static const unsigned char alpha[] = { 'x', '\\', '0', 'F', 0, '\n', 0xC3, 0xA9, 0xFF, ' ' };
	const size_t na = sizeof(alpha);
	size_t len, idx;

	(void)state;
	for (len = 0; len <= 3; len++) {
		size_t total = 1, k;

		for (k = 0; k < len; k++)
			total *= na;
		for (idx = 0; idx < total; idx++) {
			unsigned char in[3], back[16];
			size_t v = idx, n;
			char *e;

			for (k = 0; k < len; k++) {
				in[k] = alpha[v % na];
				v /= na;
			}
			e = cr_esc(in, len, 0);
			n = decode(e, back);
			if (n != len || memcmp(back, in, len) != 0)
				fail_msg("length %zu, case %zu: '%s' decodes to other bytes", len, idx, e);
			if (memchr(e, '\n', strlen(e)) != NULL || !cr_utf8_valid(e, strlen(e)))
				fail_msg("'%s' is not one line of valid UTF-8", e);
			free(e);
		}
	}
}

static void
test_utf8(void **state)
{
	static const struct { const char *in; const char *clean; int valid; } t[] = {
		{ "plain", "plain", 1 },
		{ "Z\xc3\xbcrich", "Z\xc3\xbcrich", 1 },
		{ "\xf0\x9f\x94\x92", "\xf0\x9f\x94\x92", 1 },
		{ "caf\xe9", "caf\xef\xbf\xbd", 0 },
		{ "\xc0\xae", "\xef\xbf\xbd\xef\xbf\xbd", 0 },
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 0 },
		{ "a\xe2\x82", "a\xef\xbf\xbd\xef\xbf\xbd", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *c = cr_utf8_clean(t[i].in);
		assert_int_equal(cr_utf8_valid(t[i].in, strlen(t[i].in)), t[i].valid);
		assert_string_equal(c, t[i].clean);
		assert_true(cr_utf8_valid(c, strlen(c)));
		free(c);
	}
	assert_false(cr_utf8_valid("a\0b", 3));	/* NUL never passes */
	assert_null(cr_utf8_clean(NULL));
}

static void
test_json_str(void **state)
{
	struct json_object *o = json_object_new_object(), *s;
	const char *out;

	(void)state;
	json_object_object_add(o, "name", cr_json_str("d/caf\xe9\n.pem"));
	json_object_object_add(o, "none", cr_json_str(NULL));
	out = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	assert_true(cr_utf8_valid(out, strlen(out)));
	assert_non_null(strstr(out, "caf\xef\xbf\xbd\\n.pem"));
	assert_non_null(strstr(out, "\"none\":null"));
	s = json_tokener_parse(out);
	assert_non_null(s);
	json_object_put(s);
	json_object_put(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_exhaustive),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_json_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
