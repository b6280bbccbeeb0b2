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


/* A SAN extension holding these dNSNames (bytes as given, NUL included), added to x. */
static void
add_dns_san(X509 *x, const char *const *names, const size_t *lens, size_t n)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	size_t i;

	for (i = 0; i < n; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();

		ASN1_STRING_set(s, names[i], (int)lens[i]);
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
		sk_GENERAL_NAME_push(gens, g);
	}
	X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_APPEND);
	GENERAL_NAMES_free(gens);
}

/* The NUL-prefix attack: a dNSName (or CN) holding NUL covers no name. */
static void
test_nul_prefix(void **state)
{
	static const char *const names[] = { "mail.contoso.com\0.evil.example", "*.contoso.com\0x" };
	static const size_t lens[] = { 30, 15 };
	struct tc_spec s = { "/CN=x", NULL, NULL, -60, 86400, NULL, 1, 0 };
	X509 *x = tc_cert(&s, G.key, NULL, NULL), *y;
	X509_NAME *n = X509_NAME_new();

	(void)state;
	add_dns_san(x, names, lens, 2);
	assert_false(crt_name_covered(x, "mail.contoso.com"));
	assert_false(crt_name_covered(x, "owa.contoso.com"));
	assert_false(crt_name_covered(x, "mail.contoso.com.evil.example"));
	X509_free(x);
	/* a CN with NUL, no SAN: the fallback ignores it too */
	y = tc_cert(&s, G.key, NULL, NULL);
	X509_NAME_add_entry_by_NID(n, NID_commonName, V_ASN1_UTF8STRING,
	    (const unsigned char *)"mail.contoso.com\0.evil", 22, -1, 0);
	X509_set_subject_name(y, n);
	assert_false(crt_name_covered(y, "mail.contoso.com"));
	X509_NAME_free(n);
	X509_free(y);
}

/* A SAN that does not decode, or is there twice, still rules the CN out. */
static void
test_broken_san(void **state)
{
	static const unsigned char junk[] = { 0x30, 0x03, 0x82, 0x05, 'x' };	/* cut short */
	static const char *const one[] = { "other.example" };
	static const size_t len1[] = { 13 };
	struct tc_spec s = { "/CN=mail.contoso.com", NULL, NULL, -60, 86400, NULL, 1, 0 };
	X509 *x = tc_cert(&s, G.key, NULL, NULL), *y = tc_cert(&s, G.key, NULL, NULL);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e;

	(void)state;
	assert_true(crt_name_covered(x, "mail.contoso.com"));	/* no SAN: the CN */
	ASN1_OCTET_STRING_set(os, junk, sizeof(junk));
	e = X509_EXTENSION_create_by_NID(NULL, NID_subject_alt_name, 0, os);
	X509_add_ext(x, e, -1);
	assert_false(crt_name_covered(x, "mail.contoso.com"));
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
	add_dns_san(y, one, len1, 1);
	add_dns_san(y, one, len1, 1);	/* twice: X509_get_ext_d2i gives NULL */
	assert_false(crt_name_covered(y, "mail.contoso.com"));
	X509_free(x);
	X509_free(y);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6125),
		cmocka_unit_test(test_cn_wildcard_without_san),
		cmocka_unit_test(test_nul_prefix),
		cmocka_unit_test(test_broken_san),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
