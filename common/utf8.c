/*
 * utf8.c - the one UTF-8 decoder of certrotate, and what is made of it:
 * validation, replacement of invalid bytes, json-c strings (utf8.h).
 */
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "util.h"

#define REPLACEMENT "\xEF\xBF\xBD"	/* U+FFFD */

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

size_t
cr_utf8_seqlen(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len = cr_utf8_seq(s, n, &cp);

	return len > 0 && cp == 0 ? 0 : len;
}

int
cr_utf8_valid(const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t i = 0, k;

	while (i < n) {
		if ((k = cr_utf8_seqlen(p + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

char *
cr_utf8_sanitize(const void *p, size_t n, size_t max, int keep_tail, int *cut)
{
	const unsigned char *s = p;
	struct cr_buf b = CR_BUF_INIT;
	size_t i = 0, start;
	char *out;

	if (cut != NULL)
		*cut = 0;
	while (i < n) {
		size_t l = cr_utf8_seqlen(s + i, n - i);
		if (l == 0) {
			cr_buf_adds(&b, REPLACEMENT);
			i++;
		} else {
			cr_buf_add(&b, (const char *)s + i, l);
			i += l;
		}
	}
	out = cr_buf_detach(&b);
	if (max == 0 || strlen(out) <= max)
		return out;
	if (cut != NULL)
		*cut = 1;
	if (!keep_tail) {
		/* back off to the start of the character that would straddle max */
		i = max;
		while (i > 0 && ((unsigned char)out[i] & 0xc0) == 0x80)
			i--;
		out[i] = '\0';
		return out;
	}
	start = strlen(out) - max;
	while (out[start] != '\0' && ((unsigned char)out[start] & 0xc0) == 0x80)
		start++;
	memmove(out, out + start, strlen(out + start) + 1);
	return out;
}

char *
cr_utf8_clean(const char *s)
{
	if (s == NULL)
		return NULL;
	return cr_utf8_sanitize(s, strlen(s), 0, 0, NULL);
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
