/*
 * util.h - small helpers shared by every layer: memory, strings, files,
 * durations, hex.
 *
 * Memory: the cr_x* allocators abort the process on exhaustion (as git's
 * xmalloc does); nothing in certrotate can recover meaningfully from it and
 * checking every small allocation would hide the real error paths.
 */
#ifndef CR_UTIL_H
#define CR_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"

void *cr_xmalloc(size_t n);			/* never NULL; free() it */
void *cr_xcalloc(size_t n, size_t size);	/* never NULL; zeroed; free() it */
void *cr_xrealloc(void *p, size_t n);		/* never NULL */
char *cr_xstrdup(const char *s);		/* s may be NULL: returns NULL */
char *cr_xstrndup(const char *s, size_t n);
/* printf into a new string; never NULL; free() it. */
char *cr_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Grows an array *pp of *cap elements of size `size` so that it can hold at
 * least `need` elements (doubling: amortised O(1) appends).
 */
void cr_grow(void *pp, size_t *cap, size_t need, size_t size);

/* A growable NUL-terminated string.  Embed it; cr_buf_release frees it. */
struct cr_buf {
	char *s;	/* always NUL-terminated once anything was added; NULL when empty */
	size_t len;
	size_t cap;
};
#define CR_BUF_INIT { NULL, 0, 0 }
void cr_buf_add(struct cr_buf *b, const char *s, size_t n);
void cr_buf_adds(struct cr_buf *b, const char *s);
void cr_buf_addf(struct cr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cr_buf_addc(struct cr_buf *b, char c);
/* Returns the string (never NULL, "" when empty); the buffer is reset; free() it. */
char *cr_buf_detach(struct cr_buf *b);
const char *cr_buf_str(const struct cr_buf *b);	/* "" when empty; borrowed */
void cr_buf_release(struct cr_buf *b);

/*
 * Parses "90s", "45m", "12h", "30d", "2w" into seconds.  CR_EINPUT with a
 * message naming the text when malformed, zero-less or overflowing.
 */
int cr_duration_parse(const char *text, long long *seconds, struct cr_err *err);

/*
 * Resolves `path` against the directory `base_dir` unless it is absolute or
 * base_dir is NULL/"".  Returns a new string; free() it.
 */
char *cr_path_resolve(const char *base_dir, const char *path);
/* The directory part of path ("." when none).  New string; free() it. */
char *cr_path_dirname(const char *path);

/* The value of the hex digit c (either case), or -1 (any other int). */
int cr_hexval(int c);
/*
 * %XX-decodes s[0..n) into dst (room for n + 1 bytes) and NUL-terminates
 * it; a '%' not followed by two hex digits stays as it is.  Returns the
 * decoded length: a "%00" shows as a length above strlen(dst).
 */
size_t cr_pct_decode_into(char *dst, const char *s, size_t n);
/* The same into a new string; free() it. */
char *cr_pct_decode(const char *s, size_t n);
/* Upper-case hex of n bytes, no separators, into a new string; free() it. */
char *cr_hex_upper(const unsigned char *p, size_t n);
/*
 * Parses hex digits, ignoring spaces and colons, into at most `max` bytes.
 * Returns the count of bytes, or -1 when a character is not hex / odd count /
 * too long.
 */
int cr_hex_parse(const char *text, unsigned char *out, size_t max);

/* Seconds since the epoch now, or the value of CERTROTATE_NOW (tests) when set. */
time_t cr_now(void);
/* Milliseconds on the monotonic clock (durations and deadlines, never dates). */
long long cr_mono_ms(void);

/* strcmp that accepts NULLs (NULL sorts first). */
int cr_strcmp0(const char *a, const char *b);

#endif
