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
 * Reads the whole file `path` (at most `max` bytes, else CR_EINPUT) into a new
 * buffer, NUL-terminated (the NUL is not counted in *len).  *out is set to
 * NULL on entry; free() it.  Errors name the path: "cannot read 'x': ...",
 * with a reason: CR_R_NOT_FOUND (no such file), CR_R_NOT_REGULAR (a
 * directory), CR_R_TOO_LARGE, CR_R_IO (anything else).
 */
int cr_read_file(const char *path, size_t max, unsigned char **out, size_t *len,
    struct cr_err *err);
/* The same, naming the file `name` in messages (the path as the user wrote
 * it, where `path` is it resolved). */
int cr_read_file_as(const char *path, const char *name, size_t max, unsigned char **out,
    size_t *len, struct cr_err *err);

/*
 * Reads a secret (PIN, password) from the file `path`: the first line, without
 * its line end.  *out is NULL on entry; release it with cr_secret_free, which
 * wipes it.  The secret never appears in a message.
 */
int cr_read_secret(const char *path, char **out, struct cr_err *err);
void cr_secret_free(char *secret);

/*
 * 1 when `v`, the value of a pin-source / pass-source attribute, is evidently
 * a file: "file:PATH" or a path holding a '/'.  Anything else ("1234") may be
 * the PIN or password itself, pasted by mistake: refuse it, never show it.
 */
int cr_secret_ref_ok(const char *v);

/*
 * `text` (a source, a URI) as it may appear in a message: in its query
 * (after the first '?', attributes split at '&'), the value of pin-value is
 * masked as "***", and so is the value of pin-source or pass-source unless
 * it is evidently a file (cr_secret_ref_ok, judged as written).  New string.
 */
char *cr_secret_masked(const char *text);

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

/* strcmp that accepts NULLs (NULL sorts first). */
int cr_strcmp0(const char *a, const char *b);

#endif
