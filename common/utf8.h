/*
 * utf8.h - making untrusted bytes (a hook's stderr, a message holding a
 * file name, a certificate string) safe to store as JSON text: valid UTF-8,
 * no NUL, bounded.  The one UTF-8 decoder (cr_utf8_seq): every validation
 * and replacement of certrotate goes through it.
 *
 * json-c copies the bytes of a string as they are, so a file name in
 * Latin-1 would make output that is not JSON: cr_json_str makes every JSON
 * string valid (each byte of an invalid sequence U+FFFD).  Certificate
 * strings are escaped (text.h) before they get here and pass unchanged.
 */
#ifndef CR_UTF8_H
#define CR_UTF8_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

/*
 * The length (1-4) of the valid UTF-8 sequence at s[0..n), its code point
 * in *cp (NUL included: 1, *cp 0); 0 when s does not start one (n == 0, a
 * stray or truncated sequence, an overlong form, a surrogate, beyond
 * U+10FFFF - RFC 3629).
 */
size_t cr_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);

/* The length (1-4) of the valid UTF-8 sequence at s[0..n), or 0 when invalid or NUL. */
size_t cr_utf8_seqlen(const unsigned char *s, size_t n);

/* 1 when s[0..n) is valid UTF-8 without NUL. */
int cr_utf8_valid(const void *s, size_t n);

/*
 * Returns a new NUL-terminated copy of the n bytes at p that is valid UTF-8:
 * every byte that does not start a valid sequence, and every NUL, becomes
 * U+FFFD.  When the result would exceed `max` bytes (max > 0), it is cut at
 * a character boundary: keep_tail = 0 keeps the head, keep_tail = 1 the
 * tail.  *cut (may be NULL) says whether anything was cut.  Never NULL;
 * free() it.
 */
char *cr_utf8_sanitize(const void *p, size_t n, size_t max, int keep_tail, int *cut);

/* cr_utf8_sanitize of the C string s, unbounded; NULL when s is NULL. */
char *cr_utf8_clean(const char *s);

/*
 * A json-c string of s made valid UTF-8 (cr_utf8_clean); NULL (JSON null)
 * when s is NULL.  EVERY string of JSON output that holds bytes from outside
 * (file names, configuration strings, messages quoting them, certificate
 * fields) is made with this.  The caller owns the reference.
 */
struct json_object *cr_json_str(const char *s);

#endif
