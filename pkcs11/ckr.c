/*
 * ckr.c - CK_RV values: their names, what they mean (enum cr_reason), the
 * one message of a failed PKCS#11 call, and getting them back from libp11.
 *
 * libp11 reports a failed PKCS#11 call by pushing an OpenSSL error whose
 * library is ERR_get_CKR_code() and whose reason is the CK_RV itself (seen
 * here: a wrong PIN is library 129, reason 0xA0 = CKR_PIN_INCORRECT).  Other
 * libp11 errors use its own library code with reasons of its own, which are
 * not CK_RVs and are ignored here.
 */
#include <stdarg.h>
#include <stdio.h>

#include <openssl/err.h>

#include "p11-int.h"

#define N(x) { x, #x }
static const struct {
	CK_RV rv;
	const char *name;
} names[] = {
	N(CKR_OK), N(CKR_CANCEL), N(CKR_HOST_MEMORY), N(CKR_SLOT_ID_INVALID),
	N(CKR_GENERAL_ERROR), N(CKR_FUNCTION_FAILED), N(CKR_ARGUMENTS_BAD),
	N(CKR_NO_EVENT), N(CKR_NEED_TO_CREATE_THREADS), N(CKR_CANT_LOCK),
	N(CKR_ATTRIBUTE_READ_ONLY), N(CKR_ATTRIBUTE_SENSITIVE), N(CKR_ATTRIBUTE_TYPE_INVALID),
	N(CKR_ATTRIBUTE_VALUE_INVALID), N(CKR_DATA_INVALID), N(CKR_DATA_LEN_RANGE),
	N(CKR_DEVICE_ERROR), N(CKR_DEVICE_MEMORY), N(CKR_DEVICE_REMOVED),
	N(CKR_ENCRYPTED_DATA_INVALID), N(CKR_ENCRYPTED_DATA_LEN_RANGE),
	N(CKR_FUNCTION_CANCELED), N(CKR_FUNCTION_NOT_PARALLEL), N(CKR_FUNCTION_NOT_SUPPORTED),
	N(CKR_KEY_HANDLE_INVALID), N(CKR_KEY_SIZE_RANGE), N(CKR_KEY_TYPE_INCONSISTENT),
	N(CKR_KEY_NOT_NEEDED), N(CKR_KEY_CHANGED), N(CKR_KEY_NEEDED),
	N(CKR_KEY_INDIGESTIBLE), N(CKR_KEY_FUNCTION_NOT_PERMITTED), N(CKR_KEY_NOT_WRAPPABLE),
	N(CKR_KEY_UNEXTRACTABLE), N(CKR_MECHANISM_INVALID), N(CKR_MECHANISM_PARAM_INVALID),
	N(CKR_OBJECT_HANDLE_INVALID), N(CKR_OPERATION_ACTIVE), N(CKR_OPERATION_NOT_INITIALIZED),
	N(CKR_PIN_INCORRECT), N(CKR_PIN_INVALID), N(CKR_PIN_LEN_RANGE), N(CKR_PIN_EXPIRED),
	N(CKR_PIN_LOCKED), N(CKR_SESSION_CLOSED), N(CKR_SESSION_COUNT),
	N(CKR_SESSION_HANDLE_INVALID), N(CKR_SESSION_PARALLEL_NOT_SUPPORTED),
	N(CKR_SESSION_READ_ONLY), N(CKR_SESSION_EXISTS), N(CKR_SESSION_READ_ONLY_EXISTS),
	N(CKR_SESSION_READ_WRITE_SO_EXISTS), N(CKR_SIGNATURE_INVALID), N(CKR_SIGNATURE_LEN_RANGE),
	N(CKR_TEMPLATE_INCOMPLETE), N(CKR_TEMPLATE_INCONSISTENT), N(CKR_TOKEN_NOT_PRESENT),
	N(CKR_TOKEN_NOT_RECOGNIZED), N(CKR_TOKEN_WRITE_PROTECTED),
	N(CKR_UNWRAPPING_KEY_HANDLE_INVALID), N(CKR_UNWRAPPING_KEY_SIZE_RANGE),
	N(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT), N(CKR_USER_ALREADY_LOGGED_IN),
	N(CKR_USER_NOT_LOGGED_IN), N(CKR_USER_PIN_NOT_INITIALIZED), N(CKR_USER_TYPE_INVALID),
	N(CKR_USER_ANOTHER_ALREADY_LOGGED_IN), N(CKR_USER_TOO_MANY_TYPES),
	N(CKR_WRAPPED_KEY_INVALID), N(CKR_WRAPPED_KEY_LEN_RANGE), N(CKR_WRAPPING_KEY_HANDLE_INVALID),
	N(CKR_WRAPPING_KEY_SIZE_RANGE), N(CKR_WRAPPING_KEY_TYPE_INCONSISTENT),
	N(CKR_RANDOM_SEED_NOT_SUPPORTED), N(CKR_RANDOM_NO_RNG), N(CKR_DOMAIN_PARAMS_INVALID),
	N(CKR_BUFFER_TOO_SMALL), N(CKR_SAVED_STATE_INVALID), N(CKR_INFORMATION_SENSITIVE),
	N(CKR_STATE_UNSAVEABLE), N(CKR_CRYPTOKI_NOT_INITIALIZED),
	N(CKR_CRYPTOKI_ALREADY_INITIALIZED), N(CKR_MUTEX_BAD), N(CKR_MUTEX_NOT_LOCKED),
	N(CKR_FUNCTION_REJECTED),
};
#undef N

const char *
p11__ckr_name(CK_RV rv)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].rv == rv)
			return names[i].name;
	return NULL;
}

const char *
p11__ckr_str(CK_RV rv, char *buf, size_t len)
{
	const char *n = p11__ckr_name(rv);

	if (n != NULL)
		snprintf(buf, len, "%s", n);
	else
		snprintf(buf, len, "CKR 0x%lX", (unsigned long)rv);
	return buf;
}

CK_RV
p11__ckr_from_queue(void)
{
	int lib = ERR_get_CKR_code();
	unsigned long e;
	CK_RV rv = 0;

	/* the most recent CK_RV wins: it is the call that failed last */
	while ((e = ERR_get_error()) != 0)
		if (ERR_GET_LIB(e) == lib && ERR_GET_REASON(e) != 0)
			rv = (CK_RV)ERR_GET_REASON(e);
	return rv;
}

/* What a failed call means to a caller, and the words for those said so. */
static const struct {
	CK_RV rv;
	enum cr_reason reason;
	const char *words;	/* "PREFIX: WORDS (CKR_X)", or NULL: "PREFIX: CKR_X" */
} meanings[] = {
	{ CKR_PIN_INCORRECT, CR_R_PIN_INCORRECT, NULL },
	{ CKR_PIN_INVALID, CR_R_PIN_INCORRECT, NULL },
	{ CKR_PIN_LEN_RANGE, CR_R_PIN_INCORRECT, NULL },
	{ CKR_PIN_LOCKED, CR_R_PIN_LOCKED, NULL },
	{ CKR_PIN_EXPIRED, CR_R_LOGIN, NULL },
	{ CKR_USER_PIN_NOT_INITIALIZED, CR_R_LOGIN, NULL },
	{ CKR_USER_NOT_LOGGED_IN, CR_R_LOGIN, NULL },
	{ CKR_TOKEN_NOT_PRESENT, CR_R_TOKEN_ABSENT, NULL },
	{ CKR_DEVICE_REMOVED, CR_R_TOKEN_ABSENT, NULL },
	{ CKR_TOKEN_NOT_RECOGNIZED, CR_R_TOKEN_ABSENT, NULL },
	{ CKR_SLOT_ID_INVALID, CR_R_TOKEN_ABSENT, NULL },
	{ CKR_CRYPTOKI_NOT_INITIALIZED, CR_R_MODULE, NULL },
	{ CKR_TOKEN_WRITE_PROTECTED, CR_R_TOKEN, "it is write-protected" },
	{ CKR_SESSION_READ_ONLY, CR_R_TOKEN, "the session is read-only" },
	{ CKR_DEVICE_MEMORY, CR_R_TOKEN, "the token is full" },
};

static size_t
meaning(CK_RV rv)
{
	size_t i;

	for (i = 0; i < sizeof(meanings) / sizeof(meanings[0]); i++)
		if (meanings[i].rv == rv)
			return i;
	return (size_t)-1;
}

enum cr_reason
p11__ckr_reason(CK_RV rv)
{
	size_t i = meaning(rv);

	return i != (size_t)-1 ? meanings[i].reason : CR_R_TOKEN;
}

int
p11__rv_fail(struct cr_err *err, CK_RV rv, const char *label, const char *fmt, ...)
{
	char prefix[CR_ERR_MSG_MAX], rvs[48];
	enum cr_reason reason = p11__ckr_reason(rv);
	size_t i = meaning(rv);
	va_list ap;

	if (err == NULL)
		return CR_EENV;
	/* an absent token is the news, whatever was being done with it */
	if (label != NULL && rv == CKR_TOKEN_NOT_PRESENT)
		return cr_err_setr(err, CR_EENV, reason,
		    "token '%s' is not present (CKR_TOKEN_NOT_PRESENT)", label);
	if (label != NULL && rv == CKR_DEVICE_REMOVED)
		return cr_err_setr(err, CR_EENV, reason, "token '%s' was removed (CKR_DEVICE_REMOVED)",
		    label);
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if (rv == CKR_OK)
		return cr_err_setr(err, CR_EENV, reason, "%s: libp11 failed", prefix);
	if (i != (size_t)-1 && meanings[i].words != NULL)
		return cr_err_setr(err, CR_EENV, reason, "%s: %s (%s)", prefix, meanings[i].words,
		    p11__ckr_str(rv, rvs, sizeof(rvs)));
	return cr_err_setr(err, CR_EENV, reason, "%s: %s", prefix,
	    p11__ckr_str(rv, rvs, sizeof(rvs)));
}

int
p11_reason_is_token(enum cr_reason r)
{
	switch (r) {
	case CR_R_MODULE:
	case CR_R_TOKEN_ABSENT:
	case CR_R_PIN_SOURCE:
	case CR_R_PIN_INCORRECT:
	case CR_R_PIN_LOCKED:
	case CR_R_PIN_FINAL_TRY:
	case CR_R_LOGIN:
	case CR_R_TOKEN:
		return 1;
	default:
		return 0;
	}
}
