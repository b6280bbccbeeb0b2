/*
 * quote.c - values as shell literals (quote.h has the rules and the why).
 *
 * One row per shell: its name, whether its literals must stand as whole
 * words, and the function writing one literal.  Each function checks the
 * whole value before appending anything, so a refused value leaves the
 * output as it was.
 */
#include <stdint.h>
#include <string.h>

#include "quote.h"
#include "../common/utf8.h"

typedef int (*quote_fn)(const char *v, size_t n, struct cr_buf *out, struct cr_err *err);

static int quote_sh(const char *v, size_t n, struct cr_buf *out, struct cr_err *err);
static int quote_ps(const char *v, size_t n, struct cr_buf *out, struct cr_err *err);

static const struct {
	const char *name;
	int whole_word;
	quote_fn quote;
} shells[BOOK_NSHELLS] = {
	[BOOK_SH] = { "sh", 0, quote_sh },
	[BOOK_POWERSHELL] = { "powershell", 1, quote_ps },
};

const char *
book_shell_name(enum book_shell s)
{
	return (unsigned)s < BOOK_NSHELLS ? shells[s].name : "?";
}

int
book_shell_from_name(const char *name, enum book_shell *out)
{
	size_t i;

	for (i = 0; i < BOOK_NSHELLS; i++)
		if (name != NULL && strcmp(name, shells[i].name) == 0) {
			*out = (enum book_shell)i;
			return 0;
		}
	return -1;
}

int
book_shell_needs_whole_word(enum book_shell s)
{
	return (unsigned)s < BOOK_NSHELLS ? shells[s].whole_word : 1;
}

int
book_quote(enum book_shell s, const char *v, size_t n, struct cr_buf *out, struct cr_err *err)
{
	if ((unsigned)s >= BOOK_NSHELLS)
		return cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "unknown shell");
	if (v == NULL)
		v = "", n = 0;
	return shells[s].quote(v, n, out, err);
}

char *
book_quoted(enum book_shell s, const char *v, size_t n, struct cr_err *err)
{
	struct cr_buf b = CR_BUF_INIT;

	if (book_quote(s, v, n, &b, err) != CR_OK) {
		cr_buf_release(&b);
		return NULL;
	}
	if (b.s == NULL)
		cr_buf_adds(&b, "");
	return cr_buf_detach(&b);
}

/* ---- sh ------------------------------------------------------------------ */

static int
quote_sh(const char *v, size_t n, struct cr_buf *out, struct cr_err *err)
{
	size_t i;

	if (memchr(v, '\0', n) != NULL)
		return cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED,
		    "value holds a NUL byte (at %zu): sh cannot receive it",
		    (size_t)((const char *)memchr(v, '\0', n) - v));
	cr_buf_addc(out, '\'');
	for (i = 0; i < n; i++) {
		if (v[i] == '\'')
			cr_buf_adds(out, "'\\''");	/* close, escaped quote, reopen */
		else
			cr_buf_addc(out, v[i]);
	}
	cr_buf_addc(out, '\'');
	return CR_OK;
}

/* ---- PowerShell ------------------------------------------------------------ */

/*
 * The characters PowerShell ends a verbatim string on (language
 * specification 3.0, 2.3.5.2: single-quote-character).
 */
static const uint32_t ps_single_quotes[] = { 0x27, 0x2018, 0x2019, 0x201A, 0x201B };

static int
ps_is_single_quote(uint32_t c)
{
	size_t i;

	for (i = 0; i < sizeof(ps_single_quotes) / sizeof(ps_single_quotes[0]); i++)
		if (c == ps_single_quotes[i])
			return 1;
	return 0;
}

/* Written inside a verbatim string as itself: printable ASCII. */
static int
ps_literal_char(uint32_t c)
{
	return c >= 0x20 && c < 0x7F;
}

/*
 * Appends the UTF-8 of c to a verbatim string being written, doubling it
 * when it is a single-quote character.  Only printable ASCII reaches here
 * today (ps_literal_char), so of the five only ' can; the doubling covers
 * all five so that widening ps_literal_char can never open a hole.
 */
static void
ps_add_literal(struct cr_buf *out, const char *p, size_t len, uint32_t c)
{
	cr_buf_add(out, p, len);
	if (ps_is_single_quote(c))
		cr_buf_add(out, p, len);
}

static void
ps_add_code_units(struct cr_buf *out, uint32_t c)
{
	if (c >= 0x10000) {
		c -= 0x10000;
		cr_buf_addf(out, " + [char]0x%04X + [char]0x%04X", 0xD800u + (unsigned)(c >> 10),
		    0xDC00u + (unsigned)(c & 0x3FF));
	} else {
		cr_buf_addf(out, " + [char]0x%04X", (unsigned)c);
	}
}

static int
quote_ps(const char *v, size_t n, struct cr_buf *out, struct cr_err *err)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t i, len;
	uint32_t c;
	int all_literal = 1, in_lit;

	/* check first, write after: a refused value appends nothing */
	for (i = 0; i < n; i += len) {
		if (p[i] == '\0')
			return cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED,
			    "value holds a NUL character (at byte %zu): PowerShell cannot receive it", i);
		if ((len = cr_utf8_seq(p + i, n - i, &c)) == 0)
			return cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED,
			    "value is not valid UTF-8 (at byte %zu): PowerShell cannot receive it as written",
			    i);
		if (!ps_literal_char(c))
			all_literal = 0;
	}
	if (all_literal) {
		cr_buf_addc(out, '\'');
		for (i = 0; i < n; i += len) {
			len = cr_utf8_seq(p + i, n - i, &c);
			ps_add_literal(out, v + i, len, c);
		}
		cr_buf_addc(out, '\'');
		return CR_OK;
	}
	/*
	 * ('ascii' + [char]0xHHHH + 'ascii' ...): it starts with a string (maybe
	 * '') so that + concatenates strings from the first operand on.
	 */
	cr_buf_adds(out, "('");
	in_lit = 1;
	for (i = 0; i < n; i += len) {
		len = cr_utf8_seq(p + i, n - i, &c);
		if (ps_literal_char(c)) {
			if (!in_lit)
				cr_buf_adds(out, " + '");
			in_lit = 1;
			ps_add_literal(out, v + i, len, c);
		} else {
			if (in_lit)
				cr_buf_addc(out, '\'');
			in_lit = 0;
			ps_add_code_units(out, c);
		}
	}
	if (in_lit)
		cr_buf_addc(out, '\'');
	cr_buf_addc(out, ')');
	return CR_OK;
}
