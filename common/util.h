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
#include <sys/types.h>

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
 * Reads the whole regular file `path` into a new buffer, NUL-terminated
 * (the NUL is not counted in *len).  *out is set to NULL on entry; free()
 * it.  Never waits: the path is stat()ed first and opened O_NONBLOCK, and
 * anything but a regular file - a FIFO with no writer, a terminal, a
 * device, a directory - is refused at once.  CR_EINPUT with a reason:
 * CR_R_NOT_FOUND / CR_R_IO ("cannot read 'x': No such file or directory"),
 * CR_R_NOT_REGULAR ("cannot read 'x': is a FIFO, not a regular file"),
 * CR_R_TOO_LARGE ("cannot read 'x': larger than the limit of N bytes",
 * more than `max` bytes).
 */
int cr_read_file(const char *path, size_t max, unsigned char **out, size_t *len,
    struct cr_err *err);

/* "a FIFO", "a directory", "a character device", ... for messages. */
const char *cr_file_kind(mode_t mode);

/*
 * CR_OK when `path` (links followed) is a regular file; it is stat()ed,
 * never opened (opening a FIFO or a device can wait or act).  Else `status`
 * with "<what> '<shown>': is a FIFO, not a regular file" (CR_R_NOT_REGULAR)
 * or "<what> '<shown>': <strerror>" (CR_R_NOT_FOUND, CR_R_IO).  For paths
 * handed to something that opens them itself (dlopen of a PKCS#11 module).
 */
int cr_check_regular(const char *path, const char *what, const char *shown, int status,
    struct cr_err *err);

#define CR_SECRET_MAX 4096		/* bytes of a PIN or password file */
#define CR_STDIN_SECRET_MS 10000	/* the wait for a secret piped on stdin */

/*
 * Reads a secret (PIN, password) from the file `path`: the first line, without
 * its line end.  *out is NULL on entry; release it with cr_secret_free, which
 * wipes it.  The secret never appears in a message.  A regular file of at most
 * CR_SECRET_MAX bytes (cr_read_file's errors); a first line that is empty or
 * holds a NUL is CR_EINPUT, reason CR_R_PIN_SOURCE (it would be tried as a
 * wrong PIN, which costs a token try).  "/dev/stdin" (or "/dev/fd/0")
 * is the process's standard input, accepted when it is a pipe, FIFO or
 * regular file - never a terminal, which would show the secret - and read up
 * to its first line within CR_STDIN_SECRET_MS (CR_R_TIMEOUT after); it gives
 * one secret per run (read again, it is empty: CR_R_PIN_SOURCE).
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
 * `text` (a source, a URI) as it may appear in a message: wherever an
 * attribute starts (the text's start, after ':' ';' '?' or '&': in the
 * query and, typed by mistake, in the path), the value of pin-value is
 * masked as "***", and so is the value of pin-source or pass-source unless
 * it is evidently a file (cr_secret_ref_ok, judged as written).  A value
 * ends at the next '&' in the query, at ';' '?' or '&' before it.  New
 * string.
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
