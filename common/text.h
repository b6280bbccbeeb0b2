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
 * 2. Valid UTF-8 for JSON: cr_json_str (utf8.h).
 */
#ifndef CR_TEXT_H
#define CR_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define CR_ESC_ASCII 1	/* flag: only printable ASCII stands for itself */

/* Appends the escaping of s[0..n) (any bytes, NUL included) to b. */
void cr_esc_add(struct cr_buf *b, const void *s, size_t n, int flags);

/* The escaping of s[0..n) as a new string; free() it. */
char *cr_esc(const void *s, size_t n, int flags);

/* The escaping of the C string s (NULL: "(null)") as a new string; free() it. */
char *cr_esc_str(const char *s);

/*
 * Appends the C string s (NULL: nothing) with only its C0 control bytes and
 * DEL written \xHH, everything else as it is: the last guard of a line of
 * text (a message on stderr, a line of `scan`), so that no input starts a
 * line of its own or reaches the terminal as a command.  For text whose
 * certificate strings are escaped (cr_esc) already and must not be twice.
 */
void cr_esc_ctl_add(struct cr_buf *b, const char *s);

/*
 * The escape at p: 4 for "\xHH", 2 for "\\", with the byte in *out; 0 when
 * p does not start an escape (p itself stands for itself).
 */
size_t cr_esc_decode(const char *p, unsigned char *out);

#endif
