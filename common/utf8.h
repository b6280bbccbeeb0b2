/*
 * utf8.h - making untrusted bytes (a hook's stderr, a message holding a
 * file name) safe to store as JSON text: valid UTF-8, no NUL, bounded.
 */
#ifndef CR_UTF8_H
#define CR_UTF8_H

#include <stddef.h>

/*
 * Returns a new NUL-terminated copy of the n bytes at p that is valid UTF-8
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF):
 * every byte that does not start a valid sequence, and every NUL, becomes
 * U+FFFD.  When the result would exceed `max` bytes (max > 0), it is cut at
 * a character boundary: keep_tail = 0 keeps the head, keep_tail = 1 the
 * tail.  *cut (may be NULL) says whether anything was cut.  Never NULL;
 * free() it.
 */
char *cr_utf8_sanitize(const void *p, size_t n, size_t max, int keep_tail, int *cut);

/* The length (1-4) of the valid UTF-8 sequence at s[0..n), or 0 when invalid. */
size_t cr_utf8_seqlen(const unsigned char *s, size_t n);

#endif
