/* Unit tests: untrusted bytes made valid, bounded UTF-8 (common/utf8.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../common/utf8.h"

#define R "\xef\xbf\xbd"	/* U+FFFD */

static void
test_sanitize(void **state)
{
	static const struct {
		const char *in;
		size_t n;		/* 0: strlen(in) */
		size_t max;
		int tail;
		const char *want;
		int cut;
	} t[] = {
		{ "plain ascii", 0, 0, 0, "plain ascii", 0 },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91", 0, 0, 0, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91", 0 },
		{ "a\xffz", 0, 0, 0, "a" R "z", 0 },			/* invalid byte */
		{ "a\xc3", 0, 0, 0, "a" R, 0 },				/* truncated sequence */
		{ "\xc0\xaf", 0, 0, 0, R R, 0 },			/* overlong '/' */
		{ "\xe0\x80\xaf", 0, 0, 0, R R R, 0 },			/* overlong, 3 bytes */
		{ "\xed\xa0\x80", 0, 0, 0, R R R, 0 },			/* surrogate U+D800 */
		{ "\xf4\x90\x80\x80", 0, 0, 0, R R R R, 0 },		/* above U+10FFFF */
		{ "\xf5\x80", 0, 0, 0, R R, 0 },
		{ "a\0b", 3, 0, 0, "a" R "b", 0 },			/* embedded NUL */
		{ "abcdef", 0, 4, 0, "abcd", 1 },
		{ "abcdef", 0, 4, 1, "cdef", 1 },
		{ "ab\xe2\x82\xac", 0, 4, 0, "ab", 1 },			/* never half a character */
		{ "\xe2\x82\xac" "ab", 0, 4, 1, "ab", 1 },
		{ "\xe2\x82\xac" "ab", 0, 5, 1, "\xe2\x82\xac" "ab", 0 },
		{ "", 0, 4, 0, "", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int cut = -1;
		char *s = cr_utf8_sanitize(t[i].in, t[i].n ? t[i].n : strlen(t[i].in), t[i].max,
		    t[i].tail, &cut);
		if (strcmp(s, t[i].want) != 0)
			fail_msg("row %zu: got '%s'", i, s);
		assert_int_equal(cut, t[i].cut);
		free(s);
	}
}

static void
test_seqlen(void **state)
{
	(void)state;
	assert_int_equal(cr_utf8_seqlen((const unsigned char *)"a", 1), 1);
	assert_int_equal(cr_utf8_seqlen((const unsigned char *)"\xc3\xa9", 2), 2);
	assert_int_equal(cr_utf8_seqlen((const unsigned char *)"\xc3\xa9", 1), 0);
	assert_int_equal(cr_utf8_seqlen((const unsigned char *)"\xf0\x9f\x94\x91", 4), 4);
	assert_int_equal(cr_utf8_seqlen((const unsigned char *)"\x80", 1), 0);
	assert_int_equal(cr_utf8_seqlen((const unsigned char *)"", 1), 0);
	assert_int_equal(cr_utf8_seqlen((const unsigned char *)"x", 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_seqlen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
