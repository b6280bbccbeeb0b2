#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

static void
oom(void)
{
	fputs("certrotate: out of memory\n", stderr);
	abort();
}

void *
cr_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
cr_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
cr_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		oom();
	return q;
}

char *
cr_xstrdup(const char *s)
{
	char *d;
	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		oom();
	return d;
}

char *
cr_xstrndup(const char *s, size_t n)
{
	char *d = strndup(s, n);
	if (d == NULL)
		oom();
	return d;
}

char *
cr_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	return s;
}

void
cr_grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp;
	size_t ncap;

	if (need <= *cap)
		return;
	ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / size)
			oom();
		ncap *= 2;
	}
	*p = cr_xrealloc(*p, ncap * size);
	*cap = ncap;
}

void
cr_buf_add(struct cr_buf *b, const char *s, size_t n)
{
	cr_grow(&b->s, &b->cap, b->len + n + 1, 1);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
cr_buf_adds(struct cr_buf *b, const char *s)
{
	cr_buf_add(b, s, strlen(s));
}

void
cr_buf_addc(struct cr_buf *b, char c)
{
	cr_buf_add(b, &c, 1);
}

void
cr_buf_addf(struct cr_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	cr_buf_add(b, s, (size_t)n);
	free(s);
}

char *
cr_buf_detach(struct cr_buf *b)
{
	char *s = b->s ? b->s : cr_xstrdup("");
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

const char *
cr_buf_str(const struct cr_buf *b)
{
	return b->s ? b->s : "";
}

void
cr_buf_release(struct cr_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

int
cr_duration_parse(const char *text, long long *seconds, struct cr_err *err)
{
	const char *p = text;
	long long v = 0, mult;

	if (text == NULL || !isdigit((unsigned char)*p))
		goto bad;
	while (isdigit((unsigned char)*p)) {
		if (v > (LLONG_MAX - 9) / 10)
			goto bad;
		v = v * 10 + (*p - '0');
		p++;
	}
	switch (*p) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	case 'w': mult = 7 * 86400; break;
	default: goto bad;
	}
	if (p[1] != '\0' || v > LLONG_MAX / mult)
		goto bad;
	*seconds = v * mult;
	return CR_OK;
bad:
	return cr_err_set(err, CR_EINPUT,
	    "bad duration '%s': expected a number and a unit s, m, h, d or w (e.g. 30d)",
	    text ? text : "");
}

char *
cr_path_resolve(const char *base_dir, const char *path)
{
	if (path[0] == '/' || base_dir == NULL || base_dir[0] == '\0' ||
	    strcmp(base_dir, ".") == 0)
		return cr_xstrdup(path);
	return cr_xasprintf("%s/%s", base_dir, path);
}

char *
cr_path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return cr_xstrdup(".");
	if (slash == path)
		return cr_xstrdup("/");
	return cr_xstrndup(path, (size_t)(slash - path));
}

char *
cr_hex_upper(const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789ABCDEF";
	char *s = cr_xmalloc(2 * n + 1);
	size_t i;

	for (i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

int
cr_hexval(int c)
{
	/* no tolower(): locale-free, and any int (a negative char) is safe */
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
cr_pct_decode_into(char *dst, const char *s, size_t n)
{
	size_t i, k = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && (hi = cr_hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = cr_hexval((unsigned char)s[i + 2])) >= 0) {
			dst[k++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			dst[k++] = s[i];
		}
	}
	dst[k] = '\0';
	return k;
}

char *
cr_pct_decode(const char *s, size_t n)
{
	char *d = cr_xmalloc(n + 1);

	cr_pct_decode_into(d, s, n);
	return d;
}

int
cr_hex_parse(const char *text, unsigned char *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *text; text++) {
		int v;
		if (*text == ' ' || *text == ':' || *text == '\t')
			continue;
		if ((v = cr_hexval((unsigned char)*text)) < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= max)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		return -1;
	return (int)n;
}

long long
cr_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

time_t
cr_now(void)
{
	const char *s = getenv("CERTROTATE_NOW");
	if (s != NULL && *s) {
		char *end;
		long long v;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0' && v > 0)
			return (time_t)v;
	}
	return time(NULL);
}

int
cr_strcmp0(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}
