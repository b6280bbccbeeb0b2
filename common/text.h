/*
 * text.h - untrusted bytes made fit to show.
 *
 * Everything certrotate shows may come from an attacker: certificate
 * strings (a CN holding NUL, a dNSName holding an escape sequence), SMTP
 * replies, file names.  Two tools, one for each need:
 *
 * 1. The escaping (cr_esc_*), one notation for every output - text, JSON
 *    and messages alike - so that what inspect prints is what a `name:`
 *    identity accepts back.  A byte that would not show as itself is
 *    written \xHH (a backslash, a lower-case x, two upper-case hex digits):
 *      - C0 control bytes 0x00-0x1F and DEL 0x7F (NUL, newline, ESC, ...);
 *      - each byte of a sequence that is not valid UTF-8 (stray
 *        continuation bytes, truncated sequences, overlong forms,
 *        surrogates, code points beyond U+10FFFF); with CR_ESC_ASCII (the
 *        ASCII-only string types: dNSName, rfc822Name, URI) every byte from
 *        0x80;
 *      - the bytes of code points that are invisible or reorder text: the C1
 *        controls U+0080-U+009F, U+061C, U+200B-U+200F, U+2028-U+202E,
 *        U+2060-U+2069 and U+FEFF.
 *    Everything else, printable ASCII and valid UTF-8, stands for itself,
 *    and so does a backslash - doubled only where it would otherwise start an
 *    escape: right before another backslash, before an escaped byte, or
 *    before "x" and two hex digits.  So "C:\dir" shows as itself, the bytes
 *    of "a\x00" (a literal backslash-x-zero-zero) as "a\\x00", and no two
 *    byte strings escape alike.
 *    The decoding (cr_esc_decode) is the reverse: "\xHH" (hex digits in any
 *    case) is the byte HH, "\\" one backslash, any other backslash itself.
 *
 * 2. Valid UTF-8 for JSON (cr_utf8_clean, cr_json_str): json-c copies the
 *    bytes of a string as they are, so a file name in Latin-1 would make
 *    output that is not JSON.  Each byte of an invalid sequence becomes
 *    U+FFFD.  Certificate strings are escaped (1.) before they get here and
 *    pass unchanged.
 */
#ifndef CR_TEXT_H
#define CR_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct json_object;

#define CR_ESC_ASCII 1	/* flag: only printable ASCII stands for itself */

/* Appends the escaping of s[0..n) (any bytes, NUL included) to b. */
void cr_esc_add(struct cr_buf *b, const void *s, size_t n, int flags);

/* The escaping of s[0..n) as a new string; free() it. */
char *cr_esc(const void *s, size_t n, int flags);

/* The escaping of the C string s (NULL: "(null)") as a new string; free() it. */
char *cr_esc_str(const char *s);

/*
 * The escape at p: 4 for "\xHH", 2 for "\\", with the byte in *out; 0 when
 * p does not start an escape (p itself stands for itself).
 */
size_t cr_esc_decode(const char *p, unsigned char *out);

/*
 * The length (1-4) of the valid UTF-8 sequence at s[0..n), its code point
 * in *cp; 0 when s does not start one (n == 0, a stray or truncated
 * sequence, an overlong form, a surrogate, beyond U+10FFFF).
 */
size_t cr_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);

/* 1 when s[0..n) is valid UTF-8 without NUL. */
int cr_utf8_valid(const void *s, size_t n);

/*
 * s as valid UTF-8: each byte of an invalid sequence replaced by U+FFFD.
 * New string (s NULL: NULL); free() it.
 */
char *cr_utf8_clean(const char *s);

/*
 * A json-c string of s made valid UTF-8 (cr_utf8_clean); NULL (JSON null)
 * when s is NULL.  EVERY string of JSON output that holds bytes from outside
 * (file names, configuration strings, messages quoting them, certificate
 * fields) is made with this.  The caller owns the reference.
 */
struct json_object *cr_json_str(const char *s);

#endif
