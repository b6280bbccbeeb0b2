/*
 * text.c - escaping of untrusted bytes (text.h).
 */
#include "text.h"

#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* Code points that do not show as themselves: controls, invisible and bidi marks. */
static int
hidden(uint32_t cp)
{
	static const struct { uint32_t lo, hi; } r[] = {
		{ 0x0000, 0x001F },	/* C0 controls */
		{ 0x007F, 0x009F },	/* DEL, C1 controls */
		{ 0x061C, 0x061C },	/* Arabic letter mark */
		{ 0x200B, 0x200F },	/* zero-width space/joiners, LRM, RLM */
		{ 0x2028, 0x202E },	/* line/paragraph separators, bidi embeddings and overrides */
		{ 0x2060, 0x2069 },	/* word joiner, invisible operators, bidi isolates */
		{ 0xFEFF, 0xFEFF },	/* zero-width no-break space (BOM) */
	};
	size_t i;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (cp >= r[i].lo && cp <= r[i].hi)
			return 1;
	return 0;
}

/*
 * The unit at s[0..n) (n > 0): its length in bytes, and whether it is
 * written escaped (each of its bytes as \xHH).
 */
static size_t
unit(const unsigned char *s, size_t n, int flags, int *escaped)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80) {
		*escaped = hidden(s[0]);
		return 1;
	}
	if ((flags & CR_ESC_ASCII) || (len = cr_utf8_seq(s, n, &cp)) == 0) {
		*escaped = 1;
		return 1;	/* an invalid sequence: escape one byte, resynchronise after it */
	}
	*escaped = hidden(cp);
	return len;
}

static int
is_hex(unsigned char c)
{
	return cr_hexval(c) >= 0;
}

/* Would a backslash written right before s[0..n) start an escape when decoded? */
static int
backslash_ambiguous(const unsigned char *s, size_t n, int flags)
{
	int esc;

	if (n == 0)
		return 0;
	if (s[0] == '\\')
		return 1;
	if (s[0] == 'x' && n >= 3 && is_hex(s[1]) && is_hex(s[2]))
		return 1;
	unit(s, n, flags, &esc);
	return esc;
}

void
cr_esc_add(struct cr_buf *b, const void *s, size_t n, int flags)
{
	static const char digits[] = "0123456789ABCDEF";
	const unsigned char *p = s;
	size_t i = 0;

	while (i < n) {
		int esc;
		size_t len = unit(p + i, n - i, flags, &esc), k;

		if (esc) {
			for (k = 0; k < len; k++) {
				char e[4] = { '\\', 'x', digits[p[i + k] >> 4], digits[p[i + k] & 15] };
				cr_buf_add(b, e, 4);
			}
		} else if (p[i] == '\\' && backslash_ambiguous(p + i + 1, n - i - 1, flags)) {
			cr_buf_add(b, "\\\\", 2);
		} else {
			cr_buf_add(b, (const char *)p + i, len);
		}
		i += len;
	}
}

void
cr_esc_ctl_add(struct cr_buf *b, const char *s)
{
	static const char digits[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;

	for (; p != NULL && *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7F) {
			char e[4] = { '\\', 'x', digits[*p >> 4], digits[*p & 15] };
			cr_buf_add(b, e, 4);
		} else {
			cr_buf_addc(b, (char)*p);
		}
	}
}

char *
cr_esc(const void *s, size_t n, int flags)
{
	struct cr_buf b = CR_BUF_INIT;

	cr_esc_add(&b, s, n, flags);
	return cr_buf_detach(&b);
}

char *
cr_esc_str(const char *s)
{
	if (s == NULL)
		return cr_xstrdup("(null)");
	return cr_esc(s, strlen(s), 0);
}

size_t
cr_esc_decode(const char *p, unsigned char *out)
{
	const unsigned char *u = (const unsigned char *)p;

	if (u[0] != '\\')
		return 0;
	if (u[1] == '\\') {
		*out = '\\';
		return 2;
	}
	if (u[1] == 'x' && is_hex(u[2]) && is_hex(u[3])) {
		*out = (unsigned char)(cr_hexval(u[2]) << 4 | cr_hexval(u[3]));
		return 4;
	}
	return 0;
}
