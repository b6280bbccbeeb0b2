/*
 * smtp.c - SMTP replies up to STARTTLS, parsed from bytes (smtp.h).
 */
#include "smtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/text.h"
#include "../common/util.h"

#define QUOTE_MAX 120	/* bytes of a reply line quoted in a message */

void
crt_smtp_reply_init(struct crt_smtp_reply *r)
{
	memset(r, 0, sizeof(*r));
}

/* line[0..n) for a message: escaped, cut at QUOTE_MAX bytes with "...". */
static void
quote(char *dst, size_t size, const char *line, size_t n)
{
	char *e = cr_esc(line, n > QUOTE_MAX ? QUOTE_MAX : n, 0);

	snprintf(dst, size, "%s%s", e, n > QUOTE_MAX ? "..." : "");
	free(e);
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "STARTTLS" alone or followed by a blank: the EHLO keyword (case-insensitive). */
static int
is_starttls(const char *text, size_t n)
{
	return n >= 8 && strncasecmp(text, "STARTTLS", 8) == 0 && (n == 8 || text[8] == ' ');
}

/* One reply line (no line end) into r. */
static int
take_line(struct crt_smtp_reply *r, const char *ep, const char *when, const char *line,
    size_t n, struct cr_err *err)
{
	char q[sizeof(r->last)];

	if (n < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) ||
	    (n > 3 && line[3] != ' ' && line[3] != '-') || memchr(line, '\0', n) != NULL) {
		quote(q, sizeof(q), line, n);
		return cr_err_setr(err, CR_EENV, CR_R_TLS, "endpoint '%s': not an SMTP reply %s: "
		    "\"%s\"", ep, when, q);
	}
	if (++r->nlines > CRT_SMTP_LINES_MAX)
		return cr_err_setr(err, CR_EENV, CR_R_TOO_LARGE, "endpoint '%s': SMTP reply of "
		    "more than %d lines %s", ep, CRT_SMTP_LINES_MAX, when);
	if (n > 4 && is_starttls(line + 4, n - 4))
		r->starttls = 1;
	if (n == 3 || line[3] == ' ') {
		r->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		quote(r->last, sizeof(r->last), line, n);
		r->complete = 1;
	}
	return CR_OK;
}

int
crt_smtp_reply_feed(struct crt_smtp_reply *r, const char *ep, const char *when,
    const char *buf, size_t len, size_t *used, struct cr_err *err)
{
	size_t off = 0;
	int rc;

	*used = 0;
	while (!r->complete) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n;

		if (nl == NULL) {
			if (len - off >= CRT_SMTP_LINE_MAX)
				return cr_err_setr(err, CR_EENV, CR_R_TOO_LARGE, "endpoint '%s': SMTP "
				    "reply line longer than %d bytes %s", ep, CRT_SMTP_LINE_MAX, when);
			break;
		}
		n = (size_t)(nl - (buf + off));
		if (n + 1 > CRT_SMTP_LINE_MAX)
			return cr_err_setr(err, CR_EENV, CR_R_TOO_LARGE, "endpoint '%s': SMTP reply "
			    "line longer than %d bytes %s", ep, CRT_SMTP_LINE_MAX, when);
		if (n > 0 && buf[off + n - 1] == '\r')
			n--;
		if ((rc = take_line(r, ep, when, buf + off, n, err)) != CR_OK)
			return rc;
		off = (size_t)(nl - buf) + 1;
		*used = off;
	}
	return CR_OK;
}

int
crt_smtp_judge(enum crt_smtp_stage stage, const struct crt_smtp_reply *r, const char *ep,
    struct cr_err *err)
{
	switch (stage) {
	case CRT_SMTP_BANNER:
		if (r->code != 220)
			return cr_err_setr(err, CR_EENV, CR_R_TLS, "endpoint '%s': SMTP server refused "
			    "the session: \"%s\"", ep, r->last);
		return CR_OK;
	case CRT_SMTP_EHLO:
		if (r->code != 250)
			return cr_err_setr(err, CR_EENV, CR_R_TLS, "endpoint '%s': SMTP server refused "
			    "EHLO: \"%s\"", ep, r->last);
		if (!r->starttls)
			return cr_err_setr(err, CR_EENV, CR_R_TLS, "endpoint '%s': SMTP server does not "
			    "offer STARTTLS (EHLO reply ends \"%s\")", ep, r->last);
		return CR_OK;
	case CRT_SMTP_STARTTLS:
		if (r->code != 220)
			return cr_err_setr(err, CR_EENV, CR_R_TLS, "endpoint '%s': STARTTLS refused: "
			    "\"%s\"", ep, r->last);
		return CR_OK;
	}
	return cr_err_setr(err, CR_EENV, CR_R_TLS, "endpoint '%s': unknown SMTP stage", ep);
}
