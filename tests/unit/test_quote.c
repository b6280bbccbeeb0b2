/*
 * Unit tests: quoting values for sh and PowerShell (runbook/quote.c).
 *
 *  - tables of values and their exact literals, per shell;
 *  - values a shell cannot receive are refused, naming the problem;
 *  - sh: every literal, run through /bin/sh (and bash when installed) as
 *    an argument of printf, comes back byte for byte;
 *  - PowerShell (no pwsh on Debian): a tokenizer written here from the
 *    language specification 3.0 (2.2.4 whitespace, 2.3.5.2 string literals:
 *    verbatim-string-literal and its five single-quote-characters) reads
 *    every literal back to exactly the original value, with nothing after
 *    it - for the table and for thousands of values built from hostile
 *    pieces.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../runbook/quote.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Values an attacker would put in a subject, a host or a ref name. */
static const char *const hostile[] = {
	"",
	"plain",
	"Default Frontend EXCH01",
	"O'Brien",
	"'",
	"''",
	"'; touch /tmp/pwned; '",
	"\"double\" quotes",
	"$(touch /tmp/pwned)",
	"`touch /tmp/pwned`",
	"${IFS}$HOME$$",
	"a;b&c|d&&e||f",
	"line1\nline2\rline3\r\n",
	"tab\there",
	"back\\slash\\",
	"<I>CN=Contoso CA, O=\"Contoso, Ltd\"<S>CN=mail.contoso.com",
	"-Force",
	"--help",
	"#comment",
	"{new.sha1}",
	"\xe2\x80\x98left\xe2\x80\x99right\xe2\x80\x9alow\xe2\x80\x9bhigh",	/* ‘ ’ ‚ ‛ */
	"\xe2\x80\x9c\xe2\x80\x9d\xe2\x80\x9e",					/* “ ” „ */
	"Soci\xc3\xa9t\xc3\xa9 G\xc3\xa9n\xc3\xa9rale",				/* Société Générale */
	"\xc3\x91",	/* Ñ: C3 91, read as "Ã‘" in code page 1252 */
	"\xf0\x9f\x94\x91 key",	/* U+1F511, beyond the BMP */
	"x\x7f" "del",
	"`$'\"\xe2\x80\x99;\n&|",
};

/* ---- tables -------------------------------------------------------------- */

static void
test_sh_table(void **state)
{
	static const struct { const char *in, *out; } t[] = {
		{ "", "''" },
		{ "plain", "'plain'" },
		{ "Default Frontend EXCH01", "'Default Frontend EXCH01'" },
		{ "O'Brien", "'O'\\''Brien'" },
		{ "'", "''\\'''" },
		{ "$(id)`id`;|&", "'$(id)`id`;|&'" },
		{ "a\nb", "'a\nb'" },
		{ "\\", "'\\'" },
		{ "\xe2\x80\x99", "'\xe2\x80\x99'" },	/* ’ is nothing to sh */
		{ "\xff\xfe", "'\xff\xfe'" },		/* bytes pass */
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		struct cr_err err;
		char *s = book_quoted(BOOK_SH, t[i].in, strlen(t[i].in), &err);

		assert_non_null(s);
		if (strcmp(s, t[i].out) != 0)
			fail_msg("sh '%s': got <%s>, expected <%s>", t[i].in, s, t[i].out);
		free(s);
	}
}

static void
test_ps_table(void **state)
{
	static const struct { const char *in, *out; } t[] = {
		{ "", "''" },
		{ "plain", "'plain'" },
		{ "Default Frontend EXCH01", "'Default Frontend EXCH01'" },
		{ "O'Brien", "'O''Brien'" },
		{ "'", "''''" },
		{ "$(calc)`n\"x\"", "'$(calc)`n\"x\"'" },
		{ "\xe2\x80\x99; calc", "('' + [char]0x2019 + '; calc')" },
		{ "a\xe2\x80\x98" "b\xe2\x80\x9a" "c\xe2\x80\x9b", 
		  "('a' + [char]0x2018 + 'b' + [char]0x201A + 'c' + [char]0x201B)" },
		{ "Soci\xc3\xa9t\xc3\xa9", "('Soci' + [char]0x00E9 + 't' + [char]0x00E9)" },
		{ "\xc3\x91", "('' + [char]0x00D1)" },
		{ "a\nb", "('a' + [char]0x000A + 'b')" },
		{ "\t", "('' + [char]0x0009)" },
		{ "\xf0\x9f\x94\x91", "('' + [char]0xD83D + [char]0xDD11)" },
		{ "it's\xe2\x80\x99", "('it''s' + [char]0x2019)" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		struct cr_err err;
		char *s = book_quoted(BOOK_POWERSHELL, t[i].in, strlen(t[i].in), &err);

		assert_non_null(s);
		if (strcmp(s, t[i].out) != 0)
			fail_msg("powershell '%s': got <%s>, expected <%s>", t[i].in, s, t[i].out);
		free(s);
	}
}

static void
test_refused(void **state)
{
	static const struct {
		enum book_shell sh;
		const char *v;
		size_t n;
		const char *msg;
	} t[] = {
		{ BOOK_SH, "a\0b", 3, "NUL byte (at 1)" },
		{ BOOK_POWERSHELL, "a\0b", 3, "NUL character (at byte 1)" },
		{ BOOK_POWERSHELL, "\xff", 1, "not valid UTF-8 (at byte 0)" },
		{ BOOK_POWERSHELL, "ok\xc3", 3, "not valid UTF-8 (at byte 2)" },		/* cut short */
		{ BOOK_POWERSHELL, "\xc0\xa7", 2, "not valid UTF-8" },			/* overlong ' */
		{ BOOK_POWERSHELL, "\xe0\x80\xa7", 3, "not valid UTF-8" },		/* overlong ' */
		{ BOOK_POWERSHELL, "\xed\xa0\x80", 3, "not valid UTF-8" },		/* surrogate */
		{ BOOK_POWERSHELL, "\xf4\x90\x80\x80", 4, "not valid UTF-8" },		/* > U+10FFFF */
		{ BOOK_POWERSHELL, "\xe2\x80", 2, "not valid UTF-8" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		struct cr_buf b = CR_BUF_INIT;
		struct cr_err err;

		cr_buf_adds(&b, "before");
		assert_int_equal(book_quote(t[i].sh, t[i].v, t[i].n, &b, &err), CR_EINPUT);
		assert_int_equal(err.reason, CR_R_MALFORMED);
		if (strstr(err.msg, t[i].msg) == NULL)
			fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, t[i].msg);
		assert_string_equal(cr_buf_str(&b), "before");	/* nothing appended */
		cr_buf_release(&b);
	}
	assert_null(book_quoted(BOOK_SH, "\0", 1, NULL));
}

static void
test_shell_names(void **state)
{
	enum book_shell s;

	(void)state;
	assert_int_equal(book_shell_from_name("sh", &s), 0);
	assert_int_equal(s, BOOK_SH);
	assert_int_equal(book_shell_from_name("powershell", &s), 0);
	assert_int_equal(s, BOOK_POWERSHELL);
	assert_int_equal(book_shell_from_name("bash", &s), -1);
	assert_int_equal(book_shell_from_name("PowerShell", &s), -1);
	assert_int_equal(book_shell_from_name(NULL, &s), -1);
	assert_string_equal(book_shell_name(BOOK_POWERSHELL), "powershell");
	assert_int_equal(book_shell_needs_whole_word(BOOK_POWERSHELL), 1);
	assert_int_equal(book_shell_needs_whole_word(BOOK_SH), 0);
}

/* ---- sh: the real shell reads each literal back ---------------------------- */

/*
 * Runs `SHELL -c 'printf %s LITERAL'` and returns what printf wrote (new
 * string, length in *n).
 */
static char *
sh_roundtrip(const char *shell, const char *literal, size_t *n)
{
	char *cmd = cr_xasprintf("printf %%s %s", literal);
	struct cr_buf out = CR_BUF_INIT;
	int fd[2], status;
	pid_t pid;
	char buf[512];
	ssize_t got;

	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		/* PATH empty: a command substitution that escaped would find nothing */
		execle(shell, shell, "-c", cmd, (char *)NULL, (char *[]){ "PATH=/nonexistent", NULL });
		_exit(127);
	}
	close(fd[1]);
	while ((got = read(fd[0], buf, sizeof(buf))) > 0)
		cr_buf_add(&out, buf, (size_t)got);
	close(fd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("%s -c <%s> failed (status %d)", shell, cmd, status);
	free(cmd);
	*n = out.len;
	if (out.s == NULL)
		cr_buf_adds(&out, "");
	return cr_buf_detach(&out);
}

static void
test_sh_roundtrip(void **state)
{
	static const char *const shells[] = { "/bin/sh", "/bin/dash", "/bin/bash" };
	size_t i, j, ran = 0;

	(void)state;
	for (j = 0; j < N(shells); j++) {
		if (access(shells[j], X_OK) != 0)
			continue;
		ran++;
		for (i = 0; i < N(hostile); i++) {
			char *lit = book_quoted(BOOK_SH, hostile[i], strlen(hostile[i]), NULL);
			size_t n;
			char *back = sh_roundtrip(shells[j], lit, &n);

			if (n != strlen(hostile[i]) || memcmp(back, hostile[i], n) != 0)
				fail_msg("%s read <%s> back as <%.*s>", shells[j], lit, (int)n, back);
			free(back);
			free(lit);
		}
	}
	assert_true(ran > 0);
}

/* ---- PowerShell: a tokenizer from the language specification ----------------- */

/*
 * Reads code points from UTF-8 (the literal is ours: valid UTF-8 is
 * asserted).
 */
static uint32_t
cp_at(const char *s, size_t n, size_t *i)
{
	const unsigned char *p = (const unsigned char *)s + *i;
	uint32_t c;
	size_t len, k;

	if (p[0] < 0x80)
		len = 1, c = p[0];
	else if ((p[0] & 0xE0) == 0xC0)
		len = 2, c = p[0] & 0x1F;
	else if ((p[0] & 0xF0) == 0xE0)
		len = 3, c = p[0] & 0x0F;
	else
		len = 4, c = p[0] & 0x07;
	assert_true(*i + len <= n);
	for (k = 1; k < len; k++)
		c = (c << 6) | (p[k] & 0x3F);
	*i += len;
	return c;
}

static void
utf8_put(struct cr_buf *b, uint32_t c)
{
	char u[4];

	if (c < 0x80) {
		u[0] = (char)c;
		cr_buf_add(b, u, 1);
	} else if (c < 0x800) {
		u[0] = (char)(0xC0 | (c >> 6)), u[1] = (char)(0x80 | (c & 0x3F));
		cr_buf_add(b, u, 2);
	} else if (c < 0x10000) {
		u[0] = (char)(0xE0 | (c >> 12)), u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		u[2] = (char)(0x80 | (c & 0x3F));
		cr_buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | (c >> 18)), u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3F)), u[3] = (char)(0x80 | (c & 0x3F));
		cr_buf_add(b, u, 4);
	}
}

/* 2.3.5.2 single-quote-character */
static int
spec_single_quote(uint32_t c)
{
	return c == 0x27 || c == 0x2018 || c == 0x2019 || c == 0x201A || c == 0x201B;
}

/* 2.2.4 whitespace (the ASCII and Latin-1 members of Zs, plus tab, VT, FF) */
static int
spec_whitespace(uint32_t c)
{
	return c == ' ' || c == '\t' || c == 0x0B || c == 0x0C || c == 0xA0;
}

struct ps_reader {
	const char *s;
	size_t n, i;
};

static uint32_t
peek(struct ps_reader *r)
{
	size_t i = r->i;

	return r->i < r->n ? cp_at(r->s, r->n, &i) : 0;
}

static uint32_t
next(struct ps_reader *r)
{
	return r->i < r->n ? cp_at(r->s, r->n, &r->i) : 0;
}

static void
skip_ws(struct ps_reader *r)
{
	while (r->i < r->n && spec_whitespace(peek(r)))
		next(r);
}

/*
 * verbatim-string-literal:
 *   single-quote-character verbatim-string-characters(opt) single-quote-character
 * verbatim-string-part:
 *   any character except single-quote-character
 *   single-quote-character single-quote-character
 * Appends the value to out; 0 on success, -1 when unterminated.
 */
static int
read_verbatim(struct ps_reader *r, struct cr_buf *out)
{
	uint32_t c;

	if (!spec_single_quote(next(r)))
		return -1;
	while (r->i < r->n) {
		c = next(r);
		if (!spec_single_quote(c)) {
			utf8_put(out, c);
			continue;
		}
		if (r->i < r->n && spec_single_quote(peek(r))) {
			utf8_put(out, next(r));	/* a doubled quote is one (PowerShell keeps the second) */
			continue;
		}
		return 0;	/* the closing quote */
	}
	return -1;
}

/* [char]0xHHHH: one UTF-16 code unit into *unit; 0 or -1. */
static int
read_char_cast(struct ps_reader *r, uint32_t *unit)
{
	static const char prefix[] = "[char]0x";
	size_t k;
	uint32_t v = 0;
	int digits = 0;

	for (k = 0; prefix[k] != '\0'; k++)
		if (next(r) != (uint32_t)(unsigned char)prefix[k])
			return -1;
	while (r->i < r->n) {
		uint32_t c = peek(r);
		int d = c >= '0' && c <= '9' ? (int)(c - '0') : c >= 'A' && c <= 'F' ? (int)(c - 'A' + 10) :
		    c >= 'a' && c <= 'f' ? (int)(c - 'a' + 10) : -1;

		if (d < 0)
			break;
		next(r);
		v = v * 16 + (uint32_t)d;
		if (++digits > 4)
			return -1;
	}
	if (digits == 0)
		return -1;
	*unit = v;
	return 0;
}

/*
 * Parses one rendered value: a verbatim-string-literal, or
 *   ( verbatim-string-literal { + ( verbatim-string-literal | [char]0xHHHH ) } )
 * with UTF-16 surrogate pairs joined.  The whole input must be consumed.
 * Returns the value (new string, length in *n) or NULL when the input is
 * not exactly that.
 */
static char *
ps_parse_value(const char *lit, size_t *n)
{
	struct ps_reader r = { lit, strlen(lit), 0 };
	struct cr_buf out = CR_BUF_INIT;
	uint32_t hi = 0;

	if (r.n > 0 && peek(&r) == '(') {
		next(&r);
		skip_ws(&r);
		if (read_verbatim(&r, &out) != 0)
			goto bad;
		for (;;) {
			skip_ws(&r);
			if (peek(&r) == ')') {
				next(&r);
				break;
			}
			if (next(&r) != '+')
				goto bad;
			skip_ws(&r);
			if (spec_single_quote(peek(&r))) {
				if (hi != 0 || read_verbatim(&r, &out) != 0)
					goto bad;
			} else {
				uint32_t u;

				if (read_char_cast(&r, &u) != 0)
					goto bad;
				if (u >= 0xD800 && u <= 0xDBFF) {
					if (hi != 0)
						goto bad;
					hi = u;
				} else if (u >= 0xDC00 && u <= 0xDFFF) {
					if (hi == 0)
						goto bad;
					utf8_put(&out, 0x10000 + ((hi - 0xD800) << 10) + (u - 0xDC00));
					hi = 0;
				} else {
					if (hi != 0)
						goto bad;
					utf8_put(&out, u);
				}
			}
		}
		if (hi != 0)
			goto bad;
	} else if (read_verbatim(&r, &out) != 0) {
		goto bad;
	}
	if (r.i != r.n)		/* nothing may follow the value */
		goto bad;
	*n = out.len;
	if (out.s == NULL)
		cr_buf_adds(&out, "");
	return cr_buf_detach(&out);
bad:
	cr_buf_release(&out);
	return NULL;
}

/* The rendered text must be printable ASCII only: the same in every code page. */
static void
assert_printable_ascii(const char *lit)
{
	const unsigned char *p;

	for (p = (const unsigned char *)lit; *p; p++)
		if (*p < 0x20 || *p >= 0x7F)
			fail_msg("<%s> holds byte 0x%02X", lit, *p);
}

static void
ps_check(const char *v, size_t len)
{
	struct cr_err err;
	char *lit = book_quoted(BOOK_POWERSHELL, v, len, &err), *back;
	size_t n;

	if (lit == NULL)
		fail_msg("'%.*s' refused: %s", (int)len, v, err.msg);
	assert_printable_ascii(lit);
	back = ps_parse_value(lit, &n);
	if (back == NULL)
		fail_msg("<%s> does not parse as one PowerShell string", lit);
	if (n != len || memcmp(back, v, n) != 0)
		fail_msg("<%s> reads back as '%.*s', not '%.*s'", lit, (int)n, back, (int)len, v);
	free(back);
	free(lit);
}

static void
test_ps_parse_back(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(hostile); i++)
		ps_check(hostile[i], strlen(hostile[i]));
}

/* The tokenizer itself must catch what a bad quoting would produce. */
static void
test_ps_tokenizer_rejects(void **state)
{
	static const char *const bad[] = {
		"'O'Brien'",			/* an undoubled quote ends the string early */
		"'x' ; calc",			/* something follows */
		"'x\xe2\x80\x99; calc; '",	/* ’ ends the string: spec 2.3.5.2 */
		"'unterminated",
		"('a' + [char]0xD83D)",		/* lone high surrogate */
		"('a' + 'b'",			/* no closing parenthesis */
		"('a' + $x)",			/* not a literal */
		"('a') + 'b'",
		"x",
	};
	static const struct { const char *lit, *value; } good[] = {
		{ "'it''s'", "it's" },
		{ "'a\xe2\x80\x99\xe2\x80\x99" "b'", "a\xe2\x80\x99" "b" },	/* ’’ is one ’ */
		{ "'a'''", "a'" },
		{ "( 'a' + [char]0x00E9 )", "a\xc3\xa9" },
	};
	size_t i, n;
	char *v;

	(void)state;
	for (i = 0; i < N(bad); i++)
		if ((v = ps_parse_value(bad[i], &n)) != NULL)
			fail_msg("<%s> parsed as '%s'", bad[i], v);
	for (i = 0; i < N(good); i++) {
		v = ps_parse_value(good[i].lit, &n);
		assert_non_null(v);
		assert_string_equal(v, good[i].value);
		free(v);
	}
}

/*
 * Thousands of values made of hostile pieces (a fixed linear congruential
 * sequence: the same values every run), each quoted and parsed back.
 */
static void
test_ps_generated(void **state)
{
	static const char *const piece[] = {
		"'", "''", "\xe2\x80\x98", "\xe2\x80\x99", "\xe2\x80\x9a", "\xe2\x80\x9b", "\"",
		"\xe2\x80\x9c", "`", "$", "$(", ")", "(", "{", "}", ";", "&", "|", "\n", "\r", "\t",
		" ", "+", "[char]0x27", "#", "<#", "#>", "@'", "'@", "a", "Z", "9", "\xc3\xa9",
		"\xc3\x91", "\xf0\x9f\x94\x91", "\\", "-",
	};
	uint32_t seed = 12345;
	size_t i, k;

	(void)state;
	for (i = 0; i < 5000; i++) {
		struct cr_buf b = CR_BUF_INIT;
		size_t len;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % 12;
		for (k = 0; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			cr_buf_adds(&b, piece[(seed >> 16) % N(piece)]);
		}
		ps_check(b.s != NULL ? b.s : "", b.len);
		cr_buf_release(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sh_table),
		cmocka_unit_test(test_ps_table),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_shell_names),
		cmocka_unit_test(test_sh_roundtrip),
		cmocka_unit_test(test_ps_parse_back),
		cmocka_unit_test(test_ps_tokenizer_rejects),
		cmocka_unit_test(test_ps_generated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
