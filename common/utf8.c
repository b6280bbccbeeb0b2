#include "utf8.h"

#include <string.h>

#include "util.h"

size_t
cr_utf8_seqlen(const unsigned char *s, size_t n)
{
	unsigned c, lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		return c == 0 ? 0 : 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;	/* continuation byte, overlong lead (c0 c1), or > U+10FFFF */
	if (len > n)
		return 0;
	/* The second byte's range excludes overlongs, surrogates and > U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

char *
cr_utf8_sanitize(const void *p, size_t n, size_t max, int keep_tail, int *cut)
{
	static const char repl[] = "\xef\xbf\xbd";	/* U+FFFD */
	const unsigned char *s = p;
	struct cr_buf b = CR_BUF_INIT;
	size_t i = 0, start;
	char *out;

	if (cut != NULL)
		*cut = 0;
	while (i < n) {
		size_t l = cr_utf8_seqlen(s + i, n - i);
		if (l == 0) {
			cr_buf_add(&b, repl, 3);
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
