/*
 * fuzz_uri.c - URIs and sources: RFC 7512 PKCS#11 URIs (pkcs11/uri.c
 * p11_uri_parse), tls:// endpoints (cert/tls.c crt_tls_parse) and the
 * masking of secrets in sources (common/util.c cr_secret_masked).  The
 * first byte picks which.  Asserted: messages are printable UTF-8 and
 * never hold a pin-value; a parsed tls:// target has a host and a port, an
 * SNI without blanks or NUL.
 */
#include "fuzz.h"
#include "../../cert/tls.h"
#include "../../common/util.h"
#include "../../pkcs11/p11.h"
#include "../../common/secret.h"

/*
 * 1 when an attribute of the PKCS#11 URI text starts at p: in the path
 * (before the first '?') right after "pkcs11:" or after ';', in the query
 * right after that '?' or after '&' (RFC 7512).
 */
static int
attr_start(const char *text, const char *p)
{
	const char *q = strchr(text, '?');

	if (q == NULL || p <= q)
		return p == text + 7 || (p > text + 7 && p[-1] == ';');
	return p == q + 1 || p[-1] == '&';	/* a later '?' is inside a value */
}

/* 1 when text holds `needle` where no attribute starts. */
static int
elsewhere(const char *text, const char *needle)
{
	const char *p;

	for (p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
		if (!attr_start(text, p))
			return 1;
	return 0;
}

/*
 * 1 when msg holds "pin-value=VALUE" and what follows it (a separator, or
 * the closing quote at the end) for a pin-value attribute of the PKCS#11 URI
 * text, unmasked - unless text holds the same bytes again where no attribute
 * starts (then they are no PIN).
 */
static int
shows_pin(const char *text, const char *msg)
{
	const char *p, *q = strchr(text, '?');

	if (strncmp(text, "pkcs11:", 7) != 0)
		return 0;	/* no URI: no attribute to tell */
	for (p = strstr(text, "pin-value="); p != NULL; p = strstr(p + 1, "pin-value=")) {
		const char *v = p + 10;
		size_t n = strcspn(v, q != NULL && p > q ? "&" : ";?&");
		char *val;
		int shown;

		if (!attr_start(text, p) || n == 0 || v[0] == '*')
			continue;
		/* with what follows it: the separator, or the quote a message closes with */
		val = cr_xasprintf("pin-value=%.*s%c", (int)n, v, v[n] != '\0' ? v[n] : '\'');
		shown = strstr(msg, val) != NULL && !elsewhere(text, val);
		free(val);
		if (shown)
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cr_err err;
	char *s, *m;

	if (size < 1)
		return 0;
	s = fuzz_str(data + 1, size - 1);
	cr_err_clear(&err);
	switch (data[0] % 3) {
	case 0: {
		struct p11_uri *u = NULL;

		if (p11_uri_parse(s, "/nonexistent", &u, &err) != CR_OK) {
			FUZZ_ASSERT(u == NULL, "a failed parse left a URI");
			FUZZ_ASSERT(!shows_pin(s, err.msg), "'%s' shows the pin-value of '%s'", err.msg, s);
		} else {
			(void)p11_uri_type(u);
			(void)p11_uri_is_token_only(u);
		}
		p11_uri_free(u);
		break;
	}
	case 1: {
		struct crt_tls_target t;
		char *storage = NULL;
		size_t i;

		if (crt_tls_parse(s, &t, &storage, &err) == CR_OK) {
			FUZZ_ASSERT(t.host != NULL && *t.host && t.port != NULL && *t.port, "no host/port");
			for (i = 0; t.sni != NULL && t.sni[i]; i++)
				FUZZ_ASSERT((unsigned char)t.sni[i] > ' ', "SNI with a blank");
		} else {
			FUZZ_ASSERT(storage == NULL, "a failed parse left storage");
		}
		free(storage);
		break;
	}
	default:
		m = cr_secret_masked(s);
		free(m);
		break;
	}
	free(s);
	return 0;
}
