/* Unit tests: RFC 6125 host name matching (cert/names.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testcert.h"
#include "../../cert/names.h"

enum { SAN, NOSAN, IPONLY, ODD, NCERTS };

static struct {
	EVP_PKEY *key;
	X509 *x[NCERTS];
} G;

static int
setup(void **state)
{
	const struct tc_spec specs[NCERTS] = {
		[SAN] = { "/O=Contoso/CN=cn-only.contoso.com",
		    "DNS:mail.contoso.com,DNS:*.contoso.com,DNS:Legacy.Contoso.COM.,"
		    "DNS:*.dev.example.org,IP:10.0.0.5,IP:2001:db8::5", NULL, -60, 86400, NULL, 1, 0 },
		[NOSAN] = { "/O=Contoso/CN=mail.contoso.com", NULL, NULL, -60, 86400, NULL, 1, 0 },
		[IPONLY] = { "/O=Contoso/CN=host.contoso.com", "IP:192.0.2.7", NULL, -60, 86400, NULL, 1, 0 },
		[ODD] = { "/CN=*.wild.example", "DNS:*.com,DNS:w*.contoso.net,DNS:*w.contoso.org,"
		    "DNS:f*o.example.net,DNS:*.*.example.com,DNS:a.*.example.info,DNS:*", NULL,
		    -60, 86400, NULL, 1, 0 },
	};
	int i;

	(void)state;
	G.key = tc_key(1);
	for (i = 0; i < NCERTS; i++)
		G.x[i] = tc_cert(&specs[i], G.key, NULL, NULL);
	return 0;
}

static int
teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < NCERTS; i++)
		X509_free(G.x[i]);
	EVP_PKEY_free(G.key);
	return 0;
}

static void
test_rfc6125(void **state)
{
	static const struct { int cert; const char *name; int want; } t[] = {
		{ SAN, "mail.contoso.com", 1 },
		{ SAN, "MAIL.Contoso.Com", 1 },			/* case-insensitive */
		{ SAN, "mail.contoso.com.", 1 },		/* absolute name */
		{ SAN, "legacy.contoso.com", 1 },		/* SAN written with a trailing dot */
		{ SAN, "owa.contoso.com", 1 },			/* wildcard: one label */
		{ SAN, "OWA.CONTOSO.COM.", 1 },
		{ SAN, "a.b.contoso.com", 0 },			/* wildcard: not two labels */
		{ SAN, "contoso.com", 0 },			/* wildcard: not the parent */
		{ SAN, ".contoso.com", 0 },			/* empty left label */
		{ SAN, "x.dev.example.org", 1 },
		{ SAN, "dev.example.org", 0 },
		{ SAN, "mail.contoso.co", 0 },
		{ SAN, "mail.contoso.com.evil", 0 },
		{ SAN, "cn-only.contoso.com", 1 },		/* covered by the wildcard... */
		{ SAN, "cn-only.example.net", 0 },		/* ...but the CN is never consulted */
		{ SAN, "10.0.0.5", 1 },				/* iPAddress SAN */
		{ SAN, "10.0.0.6", 0 },
		{ SAN, "2001:db8::5", 1 },
		{ SAN, "[2001:db8::5]", 1 },
		{ SAN, "2001:0db8:0:0::5", 1 },
		{ SAN, "2001:db8::6", 0 },
		{ SAN, "", 0 },
		{ NOSAN, "mail.contoso.com", 1 },		/* no SAN: CN fallback */
		{ NOSAN, "Mail.Contoso.com.", 1 },
		{ NOSAN, "other.contoso.com", 0 },
		{ IPONLY, "host.contoso.com", 0 },		/* a SAN, if only of IPs: no CN */
		{ IPONLY, "192.0.2.7", 1 },
		{ IPONLY, "192.0.2.8", 0 },
		{ ODD, "x.wild.example", 0 },			/* CN ignored: the SAN has dNSNames */
		{ ODD, "example.com", 0 },			/* "*.com" covers nothing */
		{ ODD, "www.contoso.net", 0 },			/* partial wildcards match nothing... */
		{ ODD, "w1.contoso.net", 0 },
		{ ODD, "aw.contoso.org", 0 },
		{ ODD, "foo.example.net", 0 },
		{ ODD, "a.b.example.com", 0 },			/* only the left-most label */
		{ ODD, "a.x.example.info", 0 },
		{ ODD, "localhost", 0 },			/* a lone "*" */
		{ ODD, "w*.contoso.net", 1 },			/* ...but themselves, literally */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (crt_name_covered(G.x[t[i].cert], t[i].name) != t[i].want)
			fail_msg("row %zu: '%s' should %sbe covered", i, t[i].name, t[i].want ? "" : "not ");
}

static void
test_cn_wildcard_without_san(void **state)
{
	struct tc_spec s = { "/CN=*.contoso.com", NULL, NULL, -60, 86400, NULL, 1, 0 };
	X509 *x = tc_cert(&s, G.key, NULL, NULL);

	(void)state;
	assert_true(crt_name_covered(x, "mail.contoso.com"));
	assert_false(crt_name_covered(x, "contoso.com"));
	assert_false(crt_name_covered(x, "a.mail.contoso.com"));
	assert_false(crt_name_covered(x, NULL));
	X509_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6125),
		cmocka_unit_test(test_cn_wildcard_without_san),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
