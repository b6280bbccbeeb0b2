/*
 * smtp.h - the server's replies in an SMTP exchange up to STARTTLS
 * (RFC 5321 4.2, RFC 3207), as bytes in and decisions out.  cert/tls.c
 * reads the socket and feeds what arrives; the fuzz harness
 * (tests/fuzz/fuzz_smtp.c) feeds bytes of its own.  Pure: no I/O, no
 * state beyond the reply being read.
 *
 * Everything a server sends is untrusted: a reply line is at most
 * CRT_SMTP_LINE_MAX bytes, a reply at most CRT_SMTP_LINES_MAX lines, a NUL
 * byte makes a line malformed, and a reply quoted in a message is escaped
 * (common/text.h) and cut.
 */
#ifndef CRT_SMTP_H
#define CRT_SMTP_H

#include <stddef.h>

#include "../common/err.h"

#define CRT_SMTP_LINE_MAX 4096	/* bytes of one reply line, CRLF included */
#define CRT_SMTP_LINES_MAX 1000	/* lines of one reply */

/* Where the client is in the exchange: which reply it waits for. */
enum crt_smtp_stage {
	CRT_SMTP_BANNER,	/* the greeting: 220 */
	CRT_SMTP_EHLO,		/* the reply to EHLO: 250 with a STARTTLS line */
	CRT_SMTP_STARTTLS,	/* the reply to STARTTLS: 220 */
};

struct crt_smtp_reply {
	int complete;		/* the final line ("NNN " or "NNN") was read */
	int code;		/* its code, once complete */
	size_t nlines;		/* lines read so far */
	int starttls;		/* a line's text is the STARTTLS keyword (EHLO) */
	char last[512];		/* the final line for messages: escaped, cut */
};

/* Readies r for a new reply. */
void crt_smtp_reply_init(struct crt_smtp_reply *r);

/*
 * Consumes the complete lines ('\n'-terminated; a CR before it dropped) at
 * the start of buf[0..len) into r, up to the reply's final line; *used is
 * set to the bytes consumed (the caller keeps the rest for the next
 * reply, or reads more and calls again).  CR_OK with r->complete 0 when
 * the reply needs more bytes.  CR_EENV, naming the endpoint `ep` and the
 * moment `when` ("after EHLO"), when a line is not "NNN", "NNN text" or
 * "NNN-text", holds a NUL, is longer than CRT_SMTP_LINE_MAX, or the reply
 * has more than CRT_SMTP_LINES_MAX lines.
 */
int crt_smtp_reply_feed(struct crt_smtp_reply *r, const char *ep, const char *when,
    const char *buf, size_t len, size_t *used, struct cr_err *err);

/*
 * What a complete reply means at `stage`: CR_OK to go on; CR_EENV with the
 * message ("endpoint 'h:25': SMTP server refused the session: \"554 ...\"",
 * "... refused EHLO", "... does not offer STARTTLS (EHLO reply ends
 * \"...\")", "... STARTTLS refused: \"454 ...\"").
 */
int crt_smtp_judge(enum crt_smtp_stage stage, const struct crt_smtp_reply *r, const char *ep,
    struct cr_err *err);

#endif
