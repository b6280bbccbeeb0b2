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

/*
 * Why an operation failed, beside the exit status: what callers decide on
 * (an idempotent import tells "object exists" from "token absent", check
 * tells a refused PIN from an unreadable file) - never the message text.
 * CR_R_NONE when the failure has no finer meaning than its status.
 */
enum cr_reason {
	CR_R_NONE = 0,
	CR_R_IO,		/* a file could not be read or written */
	CR_R_NOT_FOUND,		/* a file, object, token or setting does not exist */
	CR_R_NOT_REGULAR,	/* a FIFO, device or directory where a file is expected */
	CR_R_TOO_LARGE,		/* a size or count bound was hit */
	CR_R_MALFORMED,		/* the input does not parse */
	CR_R_USAGE,		/* the command line is wrong */
	CR_R_CONFIG,		/* the configuration is wrong */
	CR_R_MODULE,		/* a PKCS#11 module cannot be loaded or initialised */
	CR_R_TOKEN_ABSENT,	/* no token matches, or it was removed */
	CR_R_PIN_SOURCE,	/* the PIN source cannot be read */
	CR_R_PIN_INCORRECT,	/* the token refused the PIN */
	CR_R_PIN_LOCKED,	/* the PIN is locked */
	CR_R_PIN_FINAL_TRY,	/* the token reports its final PIN try: not attempted */
	CR_R_LOGIN,		/* login failed otherwise */
	CR_R_OBJECT_EXISTS,	/* a token object with that id / label exists */
	CR_R_TOKEN,		/* another PKCS#11 failure (CK_RV in the message) */
	CR_R_NETWORK,		/* an endpoint cannot be reached */
	CR_R_TIMEOUT,		/* a bound on time was hit */
	CR_R_TLS,		/* the TLS handshake or STARTTLS failed */
	CR_R_COMMAND,		/* a hook or command failed */
	CR_R_STATE,		/* a journal does not belong here, or is locked */
	CR_NREASONS
};

/* "io", "not-found", ... (stable: JSON and the journal use them). */
const char *cr_reason_name(enum cr_reason r);

#define CR_ERR_MSG_MAX 1024

struct cr_err {
	int status;			/* one of enum cr_status */
	enum cr_reason reason;		/* CR_R_NONE unless the failure says more */
	char msg[CR_ERR_MSG_MAX];	/* NUL-terminated, "" when status is CR_OK */
	/*
	 * Where the failure is, when it is a setting's (cr_err_locate): the
	 * file as named, its line (0: not known) and the setting's path
	 * ("tokens.[0].module"); "" / 0 otherwise.  The message names them too;
	 * these are for callers that report them apart (JSON), never parsed
	 * out of the message.
	 */
	char file[256];
	int line;
	char setting[256];
};

/* Resets *e to CR_OK, CR_R_NONE, an empty message and no location.  e may be NULL. */
void cr_err_clear(struct cr_err *e);

/*
 * Records where the failure in *e is (file, line, setting; each may be
 * NULL / 0), keeping status, reason and message.  cr_err_set and
 * cr_err_setr forget the location; cr_err_prefix keeps it.
 */
void cr_err_locate(struct cr_err *e, const char *file, int line, const char *setting);

/*
 * Sets *e to status and the printf-formatted message (truncated to fit),
 * with reason CR_R_NONE, and returns status, so callers can write
 * `return cr_err_set(e, CR_EINPUT, ...)`.  e may be NULL: then only the
 * status is returned.
 */
int cr_err_set(struct cr_err *e, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Same with a reason. */
int cr_err_setr(struct cr_err *e, int status, enum cr_reason reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Like cr_err_set, then appends ": <reason>" from the most recent OpenSSL
 * error (when there is one) and clears OpenSSL's error queue.
 */
int cr_err_ssl(struct cr_err *e, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Prefixes the message already in *e with the formatted text and ": ",
 * keeping its status and reason; returns the status.  For adding context on the way up:
 * cr_err_prefix(e, "%s:%d", file, line).
 */
int cr_err_prefix(struct cr_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The worse of two statuses by SPEC 2's precedence: 2, then 3, then 1, then 0. */
int cr_status_worse(int a, int b);

#endif
