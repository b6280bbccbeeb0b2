/*
 * text.c - escaping of untrusted bytes and valid UTF-8 for JSON (text.h).
 */
#include "text.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

size_t
cr_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t v, min;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2;
		v = s[0] & 0x1F;
		min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		len = 3;
		v = s[0] & 0x0F;
		min = 0x800;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4;
		v = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;	/* a continuation byte, C0/C1 (always overlong), F5-FF */
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return len;
}

int
cr_utf8_valid(const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		if ((k = cr_utf8_seq(p + i, n - i, &cp)) == 0 || cp == 0)
			return 0;
		i += k;
	}
	return 1;
}

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
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
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

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
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
		*out = (unsigned char)(hexval(u[2]) << 4 | hexval(u[3]));
		return 4;
	}
	return 0;
}

char *
cr_utf8_clean(const char *s)
{
	struct cr_buf b = CR_BUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i = 0;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (cr_utf8_valid(s, n))
		return cr_xstrdup(s);
	while (i < n) {
		uint32_t cp;
		size_t len = cr_utf8_seq(p + i, n - i, &cp);

		if (len == 0) {
			cr_buf_add(&b, "\xEF\xBF\xBD", 3);	/* U+FFFD */
			i++;
		} else {
			cr_buf_add(&b, s + i, len);
			i += len;
		}
	}
	return cr_buf_detach(&b);
}

struct json_object *
cr_json_str(const char *s)
{
	struct json_object *o;
	char *clean;

	if (s == NULL)
		return NULL;
	if (cr_utf8_valid(s, strlen(s)))
		return json_object_new_string(s);
	clean = cr_utf8_clean(s);
	o = json_object_new_string(clean);
	free(clean);
	return o;
}
