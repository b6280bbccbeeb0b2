#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

void
cr_err_clear(struct cr_err *e)
{
	if (e == NULL)
		return;
	e->status = CR_OK;
	e->reason = CR_R_NONE;
	e->msg[0] = '\0';
	e->file[0] = '\0';
	e->line = 0;
	e->setting[0] = '\0';
}

void
cr_err_locate(struct cr_err *e, const char *file, int line, const char *setting)
{
	if (e == NULL)
		return;
	snprintf(e->file, sizeof(e->file), "%s", file != NULL ? file : "");
	e->line = line;
	snprintf(e->setting, sizeof(e->setting), "%s", setting != NULL ? setting : "");
}

static const char *const reason_names[CR_NREASONS] = {
	[CR_R_NONE] = "none",
	[CR_R_IO] = "io",
	[CR_R_NOT_FOUND] = "not-found",
	[CR_R_NOT_REGULAR] = "not-regular",
	[CR_R_TOO_LARGE] = "too-large",
	[CR_R_MALFORMED] = "malformed",
	[CR_R_USAGE] = "usage",
	[CR_R_CONFIG] = "config",
	[CR_R_MODULE] = "module",
	[CR_R_TOKEN_ABSENT] = "token-absent",
	[CR_R_PIN_SOURCE] = "pin-source",
	[CR_R_PIN_INCORRECT] = "pin-incorrect",
	[CR_R_PIN_LOCKED] = "pin-locked",
	[CR_R_PIN_FINAL_TRY] = "pin-final-try",
	[CR_R_LOGIN] = "login",
	[CR_R_OBJECT_EXISTS] = "object-exists",
	[CR_R_TOKEN] = "token",
	[CR_R_NETWORK] = "network",
	[CR_R_TIMEOUT] = "timeout",
	[CR_R_TLS] = "tls",
	[CR_R_COMMAND] = "command",
	[CR_R_STATE] = "state",
};

const char *
cr_reason_name(enum cr_reason r)
{
	return (unsigned)r < CR_NREASONS && reason_names[r] != NULL ? reason_names[r] : "none";
}

static int
set_va(struct cr_err *e, int status, enum cr_reason reason, const char *fmt, va_list ap)
{
	e->status = status;
	e->reason = reason;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	e->file[0] = '\0';
	e->line = 0;
	e->setting[0] = '\0';
	return status;
}

int
cr_err_set(struct cr_err *e, int status, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return status;
	va_start(ap, fmt);
	set_va(e, status, CR_R_NONE, fmt, ap);
	va_end(ap);
	return status;
}

int
cr_err_setr(struct cr_err *e, int status, enum cr_reason reason, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return status;
	va_start(ap, fmt);
	set_va(e, status, reason, fmt, ap);
	va_end(ap);
	return status;
}

int
cr_err_ssl(struct cr_err *e, int status, const char *fmt, ...)
{
	va_list ap;
	unsigned long code;
	size_t n;

	/* The last error is the most specific one OpenSSL recorded. */
	code = ERR_peek_last_error();
	if (e == NULL) {
		ERR_clear_error();
		return status;
	}
	va_start(ap, fmt);
	set_va(e, status, CR_R_NONE, fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	if (code != 0 && n + 3 < sizeof(e->msg)) {
		const char *reason = ERR_reason_error_string(code);
		if (reason != NULL)
			snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", reason);
	}
	ERR_clear_error();
	return status;
}

int
cr_err_prefix(struct cr_err *e, const char *fmt, ...)
{
	char prefix[CR_ERR_MSG_MAX];
	char old[CR_ERR_MSG_MAX];
	va_list ap;

	if (e == NULL)
		return CR_EENV;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* a message cut at the buffer's end still names the problem first */
	if (snprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, old) >= (int)sizeof(e->msg))
		e->msg[sizeof(e->msg) - 1] = '\0';
	return e->status;
}

static int
rank(int s)
{
	switch (s) {
	case CR_EINPUT: return 4;
	case CR_EENV: return 3;
	case CR_EBLOCK: return 2;
	case CR_OK: return 0;
	default: return 3;	/* unknown values are treated as environment failures */
	}
}

int
cr_status_worse(int a, int b)
{
	return rank(a) >= rank(b) ? a : b;
}
