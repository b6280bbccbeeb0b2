/*
 * secret.h - PINs and passwords: read from files or a pipe, wiped after use,
 * never shown in a message (SPEC 9).
 */
#ifndef CR_SECRET_H
#define CR_SECRET_H

#include "err.h"

#define CR_SECRET_MAX 4096		/* bytes of a PIN or password file */
#define CR_STDIN_SECRET_MS 10000	/* the wait for a secret piped on stdin */

/*
 * Reads a secret (PIN, password) from the file `path`: the first line, without
 * its line end.  *out is NULL on entry; release it with cr_secret_free, which
 * wipes it.  The secret never appears in a message.  A regular file of at most
 * CR_SECRET_MAX bytes, read with cr_read_file (fsutil.h: never waits on a
 * FIFO, its errors); a first line that is empty or holds a NUL is CR_EINPUT,
 * reason CR_R_PIN_SOURCE (it would be tried as a wrong PIN, which costs a
 * token try).  "/dev/stdin" (or "/dev/fd/0") is the process's standard input,
 * accepted when it is a pipe, FIFO or regular file - never a terminal, which
 * would show the secret - and read up to its first line within
 * CR_STDIN_SECRET_MS (CR_R_TIMEOUT after); it gives one secret per run (read
 * again, it is empty: CR_R_PIN_SOURCE).
 */
int cr_read_secret(const char *path, char **out, struct cr_err *err);
/* Wipes and frees a secret; NULL is accepted. */
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

#endif
