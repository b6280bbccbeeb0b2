/*
 * md.c - values into Markdown, inert (md.h).
 */
#include <ctype.h>
#include <string.h>

#include "md.h"
#include "../common/utf8.h"

int
book_is_format_mark(unsigned cp)
{
	return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
	    (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF || cp == 0x00AD || cp == 0x061C;
}

/* Appends code point cp (< 0x10000) as UTF-8. */
static void
add_cp(struct cr_buf *b, unsigned cp)
{
	char u[3];

	if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		cr_buf_add(b, u, 2);
	} else {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		cr_buf_add(b, u, 3);
	}
}

/*
 * Appends one character that text shows instead of writing, if c (len
 * bytes at s; len 0: an invalid byte) is one; returns 1 then.
 */
static int
add_shown(struct cr_buf *b, unsigned c, size_t len)
{
	if (len == 0) {
		add_cp(b, 0xFFFD);
	} else if (c < 0x20) {
		add_cp(b, 0x2400 + c);		/* Control Pictures: U+240A for a newline */
	} else if (c == 0x7F) {
		add_cp(b, 0x2421);
	} else if ((c >= 0x80 && c <= 0x9F) || book_is_format_mark(c)) {
		cr_buf_addf(b, "\\[U+%04X\\]", c);
	} else {
		return 0;
	}
	return 1;
}

/* 1 when s holds something text would show rather than write. */
static int
needs_showing(const char *s)
{
	size_t n = strlen(s), i = 0, len;
	uint32_t c = 0;

	while (i < n) {
		len = cr_utf8_seq((const unsigned char *)s + i, n - i, &c);
		if (len == 0 || c < 0x20 || (c >= 0x7F && c <= 0x9F) || book_is_format_mark(c))
			return 1;
		i += len;
	}
	return 0;
}

/* Length of what would start a block at the start of s (0: nothing). */
static size_t
block_start(const char *s)
{
	size_t i = 0;

	if (strchr("#+-=", s[0]) != NULL && s[0] != '\0')
		return 1;
	while (isdigit((unsigned char)s[i]))
		i++;
	/* an ordered list item: 1-9 digits, '.' or ')', then a blank or the end */
	if (i > 0 && i <= 9 && (s[i] == '.' || s[i] == ')') &&
	    (s[i + 1] == '\0' || s[i + 1] == ' ' || s[i + 1] == '\t'))
		return i + 1;
	return 0;
}

void
book_md_text(struct cr_buf *b, const char *s, unsigned flags)
{
	size_t n, i = 0, len, start;
	uint32_t c = 0;

	if (s == NULL)
		return;
	n = strlen(s);
	start = (flags & BOOK_MD_LINE_START) ? block_start(s) : 0;	/* '|': always escaped */
	while (i < n) {
		len = cr_utf8_seq((const unsigned char *)s + i, n - i, &c);
		if (add_shown(b, c, len)) {
			i += len > 0 ? len : 1;
			continue;
		}
		if (len == 1 && (strchr("\\`*_[]<>|&~", (int)c) != NULL || i + 1 == start))
			cr_buf_addc(b, '\\');
		cr_buf_add(b, s + i, len);
		i += len;
	}
}

void
book_md_code(struct cr_buf *b, const char *s, unsigned flags)
{
	size_t run = 0, longest = 0, n, i;
	int pad;

	if (s == NULL || s[0] == '\0' || needs_showing(s)) {
		book_md_text(b, s, flags);
		return;
	}
	n = strlen(s);
	for (i = 0; i < n; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	pad = s[0] == '`' || s[n - 1] == '`' || (s[0] == ' ' && s[n - 1] == ' ');
	for (i = 0; i <= longest; i++)
		cr_buf_addc(b, '`');
	if (pad)
		cr_buf_addc(b, ' ');
	for (i = 0; i < n; i++) {
		if (s[i] == '|' && (flags & BOOK_MD_CELL))
			cr_buf_addc(b, '\\');
		cr_buf_addc(b, s[i]);
	}
	if (pad)
		cr_buf_addc(b, ' ');
	for (i = 0; i <= longest; i++)
		cr_buf_addc(b, '`');
}

int
book_md_block_ok(const char *s, size_t *off, unsigned *cp)
{
	size_t n = strlen(s), i = 0, len;
	uint32_t c = 0;

	while (i < n) {
		len = cr_utf8_seq((const unsigned char *)s + i, n - i, &c);
		if (len == 0 || (c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7F && c <= 0x9F) ||
		    book_is_format_mark(c)) {
			*off = i;
			*cp = len == 0 ? (unsigned char)s[i] : c;
			return -1;
		}
		i += len;
	}
	return 0;
}

void
book_md_block(struct cr_buf *b, const char *lang, char *const *lines, size_t n)
{
	size_t longest = 2, run, i, k;
	const char *p;

	for (i = 0; i < n; i++)
		for (run = 0, p = lines[i]; *p != '\0'; p++) {
			run = *p == '`' ? run + 1 : 0;
			if (run > longest)
				longest = run;
		}
	for (k = 0; k <= longest; k++)
		cr_buf_addc(b, '`');
	if (lang != NULL)
		cr_buf_adds(b, lang);
	cr_buf_addc(b, '\n');
	for (i = 0; i < n; i++) {
		cr_buf_adds(b, lines[i]);
		cr_buf_addc(b, '\n');
	}
	for (k = 0; k <= longest; k++)
		cr_buf_addc(b, '`');
	cr_buf_addc(b, '\n');
}
