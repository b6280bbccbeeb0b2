/*
 * err.h - the one error type of certrotate.
 *
 * Every function that can fail returns an int status and, when it fails,
 * fills a struct cr_err the caller may print.  The status values are the
 * process exit codes of SPEC section 2, so the command line can exit with
 * the status of the first failure without translating it:
 *
 *   CR_OK      0  success
 *   CR_EBLOCK  1  a check failed / the operator must act (not an error of input)
 *   CR_EINPUT  2  bad input: usage, configuration, certificate, URI, identity
 *   CR_EENV    3  environment: module, token, endpoint or command failed
 *
 * Messages are lower case, problem first, subject quoted, one line, no
 * trailing period: "cannot read 'new/mail.pem': not a certificate".
 * Only the command-line layer (rotate/) prints them, prefixed "certrotate: ".
 */
#ifndef CR_ERR_H
#define CR_ERR_H

#include <stddef.h>

enum cr_status {
	CR_OK = 0,
	CR_EBLOCK = 1,
	CR_EINPUT = 2,
	CR_EENV = 3,
};

#define CR_ERR_MSG_MAX 1024

struct cr_err {
	int status;			/* one of enum cr_status */
	char msg[CR_ERR_MSG_MAX];	/* NUL-terminated, "" when status is CR_OK */
};

/* Resets *e to CR_OK with an empty message.  e may be NULL. */
void cr_err_clear(struct cr_err *e);

/*
 * Sets *e to status and the printf-formatted message (truncated to fit) and
 * returns status, so callers can write `return cr_err_set(e, CR_EINPUT, ...)`.
 * e may be NULL: then only the status is returned.
 */
int cr_err_set(struct cr_err *e, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Like cr_err_set, then appends ": <reason>" from the most recent OpenSSL
 * error (when there is one) and clears OpenSSL's error queue.
 */
int cr_err_ssl(struct cr_err *e, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Prefixes the message already in *e with the formatted text and ": ",
 * keeping its status; returns the status.  For adding context on the way up:
 * cr_err_prefix(e, "%s:%d", file, line).
 */
int cr_err_prefix(struct cr_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The worse of two statuses by SPEC 2's precedence: 2, then 3, then 1, then 0. */
int cr_status_worse(int a, int b);

#endif
