/* Unit tests: Windows DN rendering, parsing, matching and diffs (cert/dn.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testcert.h"
#include "../../cert/dn.h"

/*
 * A name from "type=value" entries in OpenSSL (encoded) order, '|' between
 * entries; an entry starting with '+' joins the previous RDN.
 */
static X509_NAME *
mkname(const char *const *entries)
{
	X509_NAME *n = X509_NAME_new();
	size_t i;

	for (i = 0; entries[i] != NULL; i++) {
		const char *e = entries[i];
		int set = 0;
		char type[64];
		const char *eq;

		if (*e == '+') {
			set = -1;
			e++;
		}
		eq = strchr(e, '=');
		assert_non_null(eq);
		snprintf(type, sizeof(type), "%.*s", (int)(eq - e), e);
		if (X509_NAME_add_entry_by_txt(n, type, MBSTRING_UTF8,
		    (const unsigned char *)eq + 1, -1, -1, set) != 1)
			fail_msg("cannot add %s", e);
	}
	return n;
}

#define E(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void
test_render(void **state)
{
	/* automatic: the compound literals of E() are not constants */
	const struct { const char *const *entries; const char *want; } t[] = {
		{ E("C=US", "O=Contoso", "CN=mail.contoso.com"), "CN=mail.contoso.com, O=Contoso, C=US" },
		{ E("C=US", "O=Contoso, Ltd", "CN=x"), "CN=x, O=\"Contoso, Ltd\", C=US" },
		{ E("CN=Say \"hi\""), "CN=\"Say \"\"hi\"\"\"" },
		{ E("CN= padded"), "CN=\" padded\"" },
		{ E("CN=padded "), "CN=\"padded \"" },
		{ E("CN=in side"), "CN=in side" },
		{ E("CN=a+b"), "CN=\"a+b\"" },
		{ E("CN=a=b"), "CN=\"a=b\"" },
		{ E("CN=<x>"), "CN=\"<x>\"" },
		{ E("CN=#1"), "CN=\"#1\"" },
		{ E("CN=a;b"), "CN=\"a;b\"" },
		{ E("CN=a\nb"), "CN=\"a\nb\"" },
		{ E("CN=back\\slash"), "CN=back\\slash" },
		{ E("ST=Washington", "L=Redmond", "emailAddress=pki@contoso.com"),
		  "E=pki@contoso.com, L=Redmond, S=Washington" },
		{ E("DC=com", "DC=contoso", "street=1 Main St", "serialNumber=42", "GN=Ann",
		    "SN=Smith", "title=Admin"),
		  "T=Admin, SN=Smith, G=Ann, SERIALNUMBER=42, STREET=1 Main St, DC=contoso, DC=com" },
		{ E("initials=AS", "postalCode=98052"), "PostalCode=98052, I=AS" },
		{ E("1.3.6.1.4.1.311.60.2.1.3=US", "CN=x"), "CN=x, OID.1.3.6.1.4.1.311.60.2.1.3=US" },
		{ E("1.2.3.4.5=odd"), "OID.1.2.3.4.5=odd" },
		{ E("C=US", "CN=a", "+OU=b"), "CN=a + OU=b, C=US" },
		{ E("CN=a", "+OU=b", "+O=c", "C=US"), "C=US, CN=a + OU=b + O=c" },
		{ E("L=Z\xc3\xbcrich"), "L=Z\xc3\xbcrich" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		X509_NAME *n = mkname(t[i].entries);
		char *s = crt_dn_render(n);
		struct crt_dn a, b;
		struct cr_err err;

		if (strcmp(s, t[i].want) != 0)
			fail_msg("row %zu: rendered '%s', expected '%s'", i, s, t[i].want);
		/* the rendering parses back to an equal DN */
		crt_dn_from_name(n, &a);
		if (crt_dn_parse(s, &b, &err) != CR_OK)
			fail_msg("row %zu: '%s' does not parse back: %s", i, s, err.msg);
		if (!crt_dn_equal(&a, &b))
			fail_msg("row %zu: '%s' parses to a different DN", i, s);
		crt_dn_release(&a);
		crt_dn_release(&b);
		free(s);
		X509_NAME_free(n);
	}
}

static void
test_render_empty_and_bmp(void **state)
{
	X509_NAME *n = X509_NAME_new();
	/* "Zoë" as a BMPString, as old Windows CAs write */
	static const unsigned char bmp[] = { 0, 'Z', 0, 'o', 0, 0xeb };
	char *s;

	(void)state;
	s = crt_dn_render(n);
	assert_string_equal(s, "");
	free(s);
	X509_NAME_add_entry_by_NID(n, NID_commonName, V_ASN1_BMPSTRING, bmp, sizeof(bmp), -1, 0);
	s = crt_dn_render(n);
	assert_string_equal(s, "CN=Zo\xc3\xab");
	free(s);
	X509_NAME_free(n);
}

static void
test_tls_name(void **state)
{
	struct tc_spec ca = { "/C=US/O=Contoso, Ltd/CN=Contoso Issuing CA 1", NULL, NULL, -60, 86400, NULL, 1, 1 };
	struct tc_spec leaf = { "/C=US/O=Contoso/CN=mail.contoso.com", NULL, NULL, -60, 86400, NULL, 1, 0 };
	EVP_PKEY *k = tc_key(1);
	X509 *c = tc_cert(&ca, k, NULL, NULL);
	X509 *l = tc_cert(&leaf, k, c, k);
	char *s = crt_tls_name(l);

	(void)state;
	assert_string_equal(s, "<I>CN=Contoso Issuing CA 1, O=\"Contoso, Ltd\", C=US"
	    "<S>CN=mail.contoso.com, O=Contoso, C=US");
	free(s);
	X509_free(l);
	X509_free(c);
	EVP_PKEY_free(k);
}

static void
test_parse(void **state)
{
	static const struct { const char *text; const char *want; const char *err; } t[] = {
		{ "CN=a, O=b", "CN=a, O=b", NULL },
		{ "  CN = a ,O=b  ", "CN=a, O=b", NULL },
		{ "CN=a,O=b;C=US", "CN=a, O=b, C=US", NULL },
		{ "O=\"Contoso, Ltd\", C=US", "O=\"Contoso, Ltd\", C=US", NULL },
		{ "CN=\"Say \"\"hi\"\"\"", "CN=\"Say \"\"hi\"\"\"", NULL },
		{ "CN = \" keep \" , C=US", "CN=\" keep \", C=US", NULL },
		{ "ST=WA, emailAddress=a@b, Email=c@d", "S=WA, E=a@b, E=c@d", NULL },
		{ "cn=x, st=y, e=z", "CN=x, S=y, E=z", NULL },
		{ "stateOrProvinceName=WA, commonName=x", "S=WA, CN=x", NULL },
		{ "GivenName=Ann, Title=Dr, Initials=A, serialNumber=7", "G=Ann, T=Dr, I=A, SERIALNUMBER=7", NULL },
		{ "OID.1.2.3.4.5=x, 2.5.4.3=y", "OID.1.2.3.4.5=x, CN=y", NULL },
		{ "oid.2.5.4.10=Contoso", "O=Contoso", NULL },
		{ "postalCode=98052", "PostalCode=98052", NULL },
		{ "CN=a+OU=b, C=US", "CN=a + OU=b, C=US", NULL },
		{ "CN=a + OU=b + O=c", "CN=a + OU=b + O=c", NULL },
		{ "CN=", "CN=", NULL },
		{ "CN=a=b", "CN=\"a=b\"", NULL },
		{ "", "", NULL },
		{ "   ", "", NULL },
		{ "CN", NULL, "expected '=' after 'CN'" },
		{ "=x", NULL, "missing attribute type at position 1" },
		{ "CN=a, =x", NULL, "missing attribute type at position 7" },
		{ "CN=\"abc", NULL, "unterminated quote at position 4" },
		{ "CN=\"a\"x", NULL, "unexpected 'x' after a quoted value" },
		{ "XYZ=1", NULL, "unknown attribute type 'XYZ'" },
		{ "OID.1.2.x=1", NULL, "unknown attribute type 'OID.1.2.x'" },
		{ "OID.CN=1", NULL, "unknown attribute type 'OID.CN'" },
		{ "CN=a,", NULL, "nothing after the last ','" },
		{ "CN=a+", NULL, "nothing after the last '+'" },
		{ "CN=a, , O=b", NULL, "missing attribute type" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct crt_dn dn;
		struct cr_err err;
		int r;

		cr_err_clear(&err);
		r = crt_dn_parse(t[i].text, &dn, &err);
		if (t[i].want != NULL) {
			char *s;
			if (r != CR_OK)
				fail_msg("'%s': %s", t[i].text, err.msg);
			s = crt_dn_format(&dn);
			if (strcmp(s, t[i].want) != 0)
				fail_msg("'%s' parsed as '%s', expected '%s'", t[i].text, s, t[i].want);
			free(s);
		} else {
			if (r != CR_EINPUT || strstr(err.msg, t[i].err) == NULL)
				fail_msg("'%s': status %d '%s', expected error '%s'", t[i].text, r,
				    err.msg, t[i].err);
			assert_int_equal(dn.n, 0);
			assert_non_null(strstr(err.msg, "bad DN"));
		}
		crt_dn_release(&dn);
	}
}

static void
test_equal(void **state)
{
	static const struct { const char *a, *b; int eq; } t[] = {
		{ "CN=a, O=Contoso, C=US", "cn=A, o=CONTOSO, c=us", 1 },
		{ "CN=x, S=WA", "CN=x, ST=WA", 1 },
		{ "CN=x, S=WA", "CN=x, stateOrProvinceName=wa", 1 },
		{ "E=pki@contoso.com", "emailAddress=PKI@Contoso.com", 1 },
		{ "O=Contoso   Ltd", "O=Contoso Ltd", 1 },
		{ "O=\"  Contoso \t Ltd \"", "O=Contoso Ltd", 1 },
		{ "O=\"Contoso, Ltd\"", "O=\"contoso,   ltd\"", 1 },
		{ "L=Z\xc3\x9cRICH", "L=z\xc3\xbcrich", 1 },
		{ "L=\xd0\x9c\xd0\x9e\xd0\xa1\xd0\x9a\xd0\x92\xd0\x90", "L=\xd0\xbc\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0", 1 },
		{ "CN=a + OU=b", "OU=B + CN=A", 1 },
		{ "", "", 1 },
		{ "OID.2.5.4.3=x", "CN=x", 1 },
		/* the Exchange connector story: one word makes another issuer */
		{ "CN=Contoso CA, O=Contoso, C=US", "CN=Contoso CA, O=Contoso Ltd, C=US", 0 },
		{ "O=Contoso", "O=Contoso.", 0 },
		{ "O=ContosoLtd", "O=Contoso Ltd", 0 },
		{ "CN=a, O=b", "O=b, CN=a", 0 },
		{ "CN=a, O=b", "CN=a, O=b, C=US", 0 },
		{ "CN=a + OU=b", "CN=a, OU=b", 0 },
		{ "CN=a + OU=b", "CN=a + OU=c", 0 },
		{ "O=x", "OU=x", 0 },
		{ "CN=x", "", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct crt_dn a, b;
		struct cr_err err;

		if (crt_dn_parse(t[i].a, &a, &err) != CR_OK || crt_dn_parse(t[i].b, &b, &err) != CR_OK)
			fail_msg("row %zu: %s", i, err.msg);
		if (crt_dn_equal(&a, &b) != t[i].eq || crt_dn_equal(&b, &a) != t[i].eq)
			fail_msg("'%s' vs '%s': expected %s", t[i].a, t[i].b, t[i].eq ? "equal" : "different");
		{
			/* the index key agrees with the comparison, both ways */
			char *ka = crt_dn_key(&a), *kb = crt_dn_key(&b);
			if ((strcmp(ka, kb) == 0) != t[i].eq)
				fail_msg("'%s' vs '%s': keys '%s' and '%s' disagree with crt_dn_equal",
				    t[i].a, t[i].b, ka, kb);
			free(ka);
			free(kb);
		}
		crt_dn_release(&a);
		crt_dn_release(&b);
	}
}

static void
test_equal_x509_vs_text(void **state)
{
	X509_NAME *n = mkname(E("C=US", "ST=Washington", "O=Contoso Ltd", "CN=Contoso Issuing CA 1"));
	struct crt_dn a, b, c;
	struct cr_err err;

	(void)state;
	crt_dn_from_name(n, &a);
	assert_int_equal(a.n, 4);
	assert_string_equal(a.ava[0].type, "CN");
	assert_string_equal(a.ava[3].type, "C");
	assert_int_equal(crt_dn_parse("CN=contoso issuing CA 1, O=Contoso  Ltd, ST=Washington, C=US", &b, &err), CR_OK);
	assert_true(crt_dn_equal(&a, &b));
	assert_int_equal(crt_dn_parse("CN=Contoso Issuing CA 1, O=Contoso, S=Washington, C=US", &c, &err), CR_OK);
	assert_false(crt_dn_equal(&a, &c));
	crt_dn_release(&a);
	crt_dn_release(&b);
	crt_dn_release(&c);
	X509_NAME_free(n);
}

static void
test_diff(void **state)
{
	static const struct { const char *a, *b; const char *want; } t[] = {
		{ "CN=Contoso CA, O=Contoso, C=US", "CN=Contoso CA, O=Contoso Ltd, C=US",
		  "O: 'Contoso' -> 'Contoso Ltd'" },
		{ "CN=a, O=b", "CN=a, OU=IT, O=b", "RDN count 2 -> 3; added OU='IT'" },
		{ "CN=a, L=Redmond, O=b", "CN=a, O=b", "RDN count 3 -> 2; removed L='Redmond'" },
		{ "CN=a, O=b", "CN=c, O=d", "CN: 'a' -> 'c'; O: 'b' -> 'd'" },
		{ "CN=a, O=b", "CN=a, OU=b", "O='b' -> OU='b'" },
		{ "CN=a + OU=b, C=US", "CN=a, C=US", "CN='a' + OU='b' -> CN='a'" },
		{ "CN=x, O=Contoso", "cn=X, o=contoso", NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct crt_dn a, b;
		struct cr_err err;
		char *d;

		assert_int_equal(crt_dn_parse(t[i].a, &a, &err), CR_OK);
		assert_int_equal(crt_dn_parse(t[i].b, &b, &err), CR_OK);
		d = crt_dn_diff(&a, &b);
		if (t[i].want == NULL && d != NULL)
			fail_msg("'%s' vs '%s': diff '%s', expected none", t[i].a, t[i].b, d);
		if (t[i].want != NULL && (d == NULL || strcmp(d, t[i].want) != 0))
			fail_msg("'%s' vs '%s': diff '%s', expected '%s'", t[i].a, t[i].b,
			    d ? d : "(none)", t[i].want);
		free(d);
		crt_dn_release(&a);
		crt_dn_release(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_empty_and_bmp),
		cmocka_unit_test(test_tls_name),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_equal_x509_vs_text),
		cmocka_unit_test(test_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
