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
#include "../../common/util.h"

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
		{ E("CN=a\nb"), "CN=\"a\\x0Ab\"" },
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
		{ "CN=", "CN=\"\"", NULL },	/* an empty value, written as Windows writes it */
		{ "CN=\"\", O=x", "CN=\"\", O=x", NULL },
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


/* ---- untrusted names: DER built here, as a certificate would carry it ---- */

/* Appends the DER TLV (tag, v[0..n)) at out; returns its length. */
static size_t
tlv(unsigned char *out, unsigned char tag, const unsigned char *v, size_t n)
{
	size_t k = 0;

	out[k++] = tag;
	if (n < 0x80) {
		out[k++] = (unsigned char)n;
	} else if (n < 0x100) {
		out[k++] = 0x81;
		out[k++] = (unsigned char)n;
	} else {
		out[k++] = 0x82;
		out[k++] = (unsigned char)(n >> 8);
		out[k++] = (unsigned char)n;
	}
	memmove(out + k, v, n);
	return k + n;
}

/* One attribute: the OID's content bytes (or dotted text), the value's tag and bytes. */
struct der_ava {
	const char *oid;		/* dotted */
	const unsigned char *oid_der;	/* or the content bytes */
	size_t oid_len;
	unsigned char tag;
	const char *val;
	size_t len;
};

/* A Name of single-valued RDNs, in encoded order (least specific first). */
static X509_NAME *
der_name(const struct der_ava *a, size_t n)
{
	static unsigned char seq[65536];
	unsigned char rdns[60000], ava[4096], body[4096], oid[2048];
	const unsigned char *p = seq;
	size_t i, k = 0, m, olen;
	X509_NAME *name;

	for (i = 0; i < n; i++) {
		if (a[i].oid != NULL) {
			ASN1_OBJECT *o = OBJ_txt2obj(a[i].oid, 1);
			assert_non_null(o);
			olen = (size_t)OBJ_length(o);
			memcpy(oid, OBJ_get0_data(o), olen);
			ASN1_OBJECT_free(o);
		} else {
			olen = a[i].oid_len;
			memcpy(oid, a[i].oid_der, olen);
		}
		m = tlv(body, V_ASN1_OBJECT, oid, olen);
		m += tlv(body + m, a[i].tag, (const unsigned char *)a[i].val, a[i].len);
		m = tlv(ava, V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, body, m);
		k += tlv(rdns + k, V_ASN1_SET | V_ASN1_CONSTRUCTED, ava, m);
	}
	m = tlv(seq, V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, rdns, k);
	name = d2i_X509_NAME(NULL, &p, (long)m);
	if (name == NULL)
		fail_msg("the DER name does not parse (%zu attributes, value tag %d)", n, a[0].tag);
	return name;
}

#define UTF8 V_ASN1_UTF8STRING
#define PRINTABLE V_ASN1_PRINTABLESTRING
#define V(s) s, sizeof(s) - 1

/*
 * Renders n, checks the rendering is `want` (when given), parses back to an
 * equal DN with the same key, and returns the DN (crt_dn_release it).
 */
static void
round_trip(X509_NAME *n, const char *want, struct crt_dn *dn)
{
	char *s = crt_dn_render(n), *k1, *k2;
	struct crt_dn back;
	struct cr_err err;

	if (want != NULL && strcmp(s, want) != 0)
		fail_msg("rendered '%s', expected '%s'", s, want);
	crt_dn_from_name(n, dn);
	if (crt_dn_parse(s, &back, &err) != CR_OK)
		fail_msg("'%s' does not parse back: %s", s, err.msg);
	if (!crt_dn_equal(dn, &back))
		fail_msg("'%s' parses back to a different DN", s);
	k1 = crt_dn_key(dn);
	k2 = crt_dn_key(&back);
	assert_string_equal(k1, k2);
	free(k1);
	free(k2);
	free(s);
	crt_dn_release(&back);
}

/* a and b must differ: not equal either way, different keys. */
static void
assert_distinct(const struct crt_dn *a, const struct crt_dn *b)
{
	char *ka = crt_dn_key(a), *kb = crt_dn_key(b);

	if (crt_dn_equal(a, b) || crt_dn_equal(b, a) || strcmp(ka, kb) == 0) {
		char *fa = crt_dn_format(a), *fb = crt_dn_format(b);
		fail_msg("'%s' and '%s' compare equal", fa, fb);
	}
	free(ka);
	free(kb);
}

static void
parse_ok(const char *text, struct crt_dn *dn)
{
	struct cr_err err;

	if (crt_dn_parse(text, dn, &err) != CR_OK)
		fail_msg("'%s': %s", text, err.msg);
}

/* The heap overflow of issue 8: a CN holding NUL, as a TLS peer may serve it. */
static void
test_der_nul(void **state)
{
	const struct der_ava a[] = {
		{ "2.5.4.10", NULL, 0, PRINTABLE, V("Contoso") },
		{ "2.5.4.3", NULL, 0, UTF8, V("evil\0.contoso.com") },
	};
	/* the same as a BMPString: a\0b */
	const struct der_ava b[] = { { "2.5.4.3", NULL, 0, V_ASN1_BMPSTRING, V("\0a\0\0\0b") } };
	X509_NAME *n = der_name(a, 2), *m = der_name(b, 1);
	struct crt_dn dn, bmp, x;

	(void)state;
	round_trip(n, "CN=evil\\x00.contoso.com, O=Contoso", &dn);
	assert_int_equal(dn.ava[0].len, 17);
	parse_ok("CN=evil.contoso.com, O=Contoso", &x);
	assert_distinct(&dn, &x);
	crt_dn_release(&x);
	parse_ok("CN=evil, O=Contoso", &x);
	assert_distinct(&dn, &x);
	crt_dn_release(&x);
	/* a literal backslash-x-zero-zero is another name */
	parse_ok("CN=evil\\\\x00.contoso.com, O=Contoso", &x);
	assert_int_equal(x.ava[0].len, 20);
	assert_distinct(&dn, &x);
	crt_dn_release(&x);
	round_trip(m, "CN=a\\x00b", &bmp);
	crt_dn_release(&bmp);
	crt_dn_release(&dn);
	X509_NAME_free(n);
	X509_NAME_free(m);
}

static void
test_der_bytes(void **state)
{
	static const struct { struct der_ava a; const char *want; } t[] = {
		/* (OpenSSL refuses a name whose UTF8String is not UTF-8.)  A T61String is
		   read as Windows reads it: as UTF-8 when it is valid UTF-8, else Latin-1 */
		{ { "2.5.4.3", NULL, 0, V_ASN1_T61STRING, V("caf\xe9") }, "CN=caf\xc3\xa9" },
		{ { "2.5.4.3", NULL, 0, V_ASN1_T61STRING, V("caf\xc3\xa9") }, "CN=caf\xc3\xa9" },
		{ { "2.5.4.10", NULL, 0, V_ASN1_T61STRING, V("\xd0\x9a\xd0\xbe\xd0\xbd\xd1\x82\xd0\xbe\xd1\x81\xd0\xbe") },
		  "O=\xd0\x9a\xd0\xbe\xd0\xbd\xd1\x82\xd0\xbe\xd1\x81\xd0\xbe" },
		{ { "2.5.4.3", NULL, 0, V_ASN1_T61STRING, V("plain") }, "CN=plain" },
		/* UTF-8 lead byte without its continuation: not UTF-8, so Latin-1 */
		{ { "2.5.4.3", NULL, 0, V_ASN1_T61STRING, V("\xc3(") }, "CN=\xc3\x83(" },
		{ { "2.5.4.3", NULL, 0, UTF8, V("a\nb") }, "CN=\"a\\x0Ab\"" },
		{ { "2.5.4.3", NULL, 0, UTF8, V("x\x1b[2J") }, "CN=x\\x1B[2J" },
		{ { "2.5.4.3", NULL, 0, UTF8, V("moc.\xe2\x80\xaelive") }, "CN=moc.\\xE2\\x80\\xAElive" },
		{ { "2.5.4.3", NULL, 0, UTF8, V("DOMAIN\\user") }, "CN=DOMAIN\\user" },
		{ { "2.5.4.3", NULL, 0, UTF8, V("a\\x41") }, "CN=a\\\\x41" },
		{ { "2.5.4.3", NULL, 0, UTF8, V("Say \"\0\"") }, "CN=\"Say \"\"\\x00\"\"\"" },
		{ { "2.5.4.3", NULL, 0, UTF8, V("#1") }, "CN=\"#1\"" },
		/* a value that is no string: "#" and the hex of its whole DER (tag,
		   length, content), unquoted, as Windows and RFC 4514 write it */
		{ { "2.5.4.3", NULL, 0, V_ASN1_BIT_STRING, V("\0A") }, "CN=#03020041" },
		{ { "2.5.4.45", NULL, 0, 0x30, V("\x02\x01\x05") }, "OID.2.5.4.45=#3003020105" },
		/* an empty value is written quoted, as Windows writes it */
		{ { "2.5.4.3", NULL, 0, UTF8, V("") }, "CN=\"\"" },
		{ { "2.5.4.11", NULL, 0, PRINTABLE, V("") }, "OU=\"\"" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		X509_NAME *n = der_name(&t[i].a, 1);
		struct crt_dn dn;

		round_trip(n, t[i].want, &dn);
		crt_dn_release(&dn);
		X509_NAME_free(n);
	}
}

/* The hex form equals only the hex form; quoted, "#..." is text. */
static void
test_hex_form(void **state)
{
	const struct der_ava a = { "2.5.4.3", NULL, 0, V_ASN1_BIT_STRING, V("\0A") };
	const struct der_ava b = { "2.5.4.3", NULL, 0, UTF8, V("#03020041") };
	X509_NAME *n = der_name(&a, 1), *m = der_name(&b, 1);
	struct crt_dn x, y, z;

	(void)state;
	crt_dn_from_name(n, &x);
	crt_dn_from_name(m, &y);
	assert_distinct(&x, &y);
	parse_ok("cn=#03020041", &z);
	assert_true(crt_dn_equal(&x, &z));
	crt_dn_release(&z);
	parse_ok("CN=\"#03020041\"", &z);
	assert_true(crt_dn_equal(&y, &z));
	assert_distinct(&x, &z);
	crt_dn_release(&z);
	parse_ok("CN=#0302004", &z);	/* odd: text */
	assert_int_equal(z.ava[0].hex, 0);
	crt_dn_release(&z);
	crt_dn_release(&x);
	crt_dn_release(&y);
	X509_NAME_free(n);
	X509_NAME_free(m);
}

/* Item 7 of issue 8: OIDs of 128 characters and more were cut to 127. */
static void
test_long_oids(void **state)
{
	char oid1[400], oid2[400], want[600];
	unsigned char huge[700];
	size_t k;
	struct der_ava a = { oid1, NULL, 0, UTF8, V("x") }, b = { oid2, NULL, 0, UTF8, V("x") };
	struct der_ava h1 = { NULL, huge, 650, UTF8, V("x") }, h2 = h1;
	X509_NAME *n, *m;
	struct crt_dn x, y;
	char *s;

	(void)state;
	/* 1.2.1000.1000...1000.N: about 160 characters */
	k = (size_t)snprintf(oid1, sizeof(oid1), "1.2");
	while (k < 150)
		k += (size_t)snprintf(oid1 + k, sizeof(oid1) - k, ".1000");
	memcpy(oid2, oid1, k);
	snprintf(oid1 + k, sizeof(oid1) - k, ".1");
	snprintf(oid2 + k, sizeof(oid2) - k, ".2");
	n = der_name(&a, 1);
	m = der_name(&b, 1);
	snprintf(want, sizeof(want), "OID.%s=x", oid1);
	round_trip(n, want, &x);
	snprintf(want, sizeof(want), "OID.%s=x", oid2);
	round_trip(m, want, &y);
	assert_distinct(&x, &y);
	crt_dn_release(&x);
	crt_dn_release(&y);
	X509_NAME_free(n);
	X509_NAME_free(m);

	/* 650 bytes of encoding: more than OpenSSL writes out, so "OID.#hex" */
	huge[0] = 0x2A;
	memset(huge + 1, 0x01, 648);
	huge[649] = 0x05;
	n = der_name(&h1, 1);
	huge[649] = 0x06;
	h2.oid_der = huge;
	m = der_name(&h2, 1);
	s = crt_dn_render(n);
	assert_memory_equal(s, "OID.#2A0101", 11);
	free(s);
	round_trip(n, NULL, &x);
	round_trip(m, NULL, &y);
	assert_distinct(&x, &y);
	crt_dn_release(&x);
	crt_dn_release(&y);
	X509_NAME_free(n);
	X509_NAME_free(m);
}

static void
test_parse_untrusted(void **state)
{
	static const struct { const char *text; const char *bytes; size_t len; } ok[] = {
		{ "CN=a\\x00b", "a\0b", 3 },
		{ "CN=\"a\\x0Ab, c\"", "a\nb, c", 6 },
		{ "CN=C:\\dir", "C:\\dir", 6 },
		{ "CN=a\\\\x00", "a\\x00", 5 },
		{ "CN=a\\xzz", "a\\xzz", 5 },
		{ "CN=a\\", "a\\", 2 },
	};
	static const struct { const char *text; const char *err; int reason; } bad[] = {
		/* names OpenSSL knows without an OID are no attribute types */
		{ "hkdf=a", "unknown attribute type 'hkdf'", CR_R_MALFORMED },
		{ "x963kdf=a", "unknown attribute type 'x963kdf'", CR_R_MALFORMED },
		{ "OID.#=a", "unknown attribute type", CR_R_MALFORMED },
		{ "OID.#2=a", "unknown attribute type", CR_R_MALFORMED },
		{ "OID.#0680=a", "unknown attribute type", CR_R_MALFORMED },
		/* found by fuzz_dn: the unexpected byte was quoted raw */
		{ "CN=\"a\"\xde", "unexpected '\\xDE' after a quoted value", CR_R_MALFORMED },
		{ "\x05", "expected '=' after '\\x05'", CR_R_MALFORMED },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct crt_dn dn, back;
		char *s;

		parse_ok(ok[i].text, &dn);
		assert_int_equal(dn.n, 1);
		if (dn.ava[0].len != ok[i].len || memcmp(dn.ava[0].value, ok[i].bytes, ok[i].len) != 0)
			fail_msg("'%s': other bytes", ok[i].text);
		s = crt_dn_format(&dn);
		parse_ok(s, &back);
		assert_true(crt_dn_equal(&dn, &back));
		free(s);
		crt_dn_release(&dn);
		crt_dn_release(&back);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct crt_dn dn;
		struct cr_err err;

		cr_err_clear(&err);
		if (crt_dn_parse(bad[i].text, &dn, &err) != CR_EINPUT ||
		    strstr(err.msg, bad[i].err) == NULL || (int)err.reason != bad[i].reason)
			fail_msg("'%s': '%s', expected '%s'", bad[i].text, err.msg, bad[i].err);
		crt_dn_release(&dn);
	}
}

static void
test_bounds(void **state)
{
	struct cr_buf b = CR_BUF_INIT;
	struct crt_dn dn;
	struct cr_err err;
	int i;

	(void)state;
	for (i = 0; i < CRT_DN_MAX_AVAS; i++)
		cr_buf_adds(&b, i ? ", CN=a" : "CN=a");
	parse_ok(b.s, &dn);	/* the limit itself is fine */
	assert_int_equal(dn.n, CRT_DN_MAX_AVAS);
	crt_dn_release(&dn);
	cr_buf_adds(&b, ", CN=a");
	assert_int_equal(crt_dn_parse(b.s, &dn, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_TOO_LARGE);
	assert_non_null(strstr(err.msg, "more than the limit of 128 attributes"));
	cr_buf_release(&b);
	for (i = 0; i <= CRT_DN_MAX_TEXT / 8; i++)
		cr_buf_adds(&b, "O=abcde,");
	assert_int_equal(crt_dn_parse(b.s, &dn, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_TOO_LARGE);
	assert_non_null(strstr(err.msg, "longer than the limit of 4096 bytes"));
	assert_true(strlen(err.msg) < 300);	/* the text is cut in the message */
	cr_buf_release(&b);
}

/*
 * Names from certificates are not bounded: a multi-valued RDN of thousands
 * of AVAs, in another order, is still the same RDN (sorted keys, not a
 * quadratic pairing), and a diff of long names is by position.
 */
static void
test_large_names(void **state)
{
	X509_NAME *n = X509_NAME_new(), *m = X509_NAME_new();
	struct crt_dn a, b;
	char v[32], *d, *ka, *kb;
	int i, count = 5000;

	(void)state;
	for (i = 0; i < count; i++) {
		snprintf(v, sizeof(v), "v%d", i);
		X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8, (unsigned char *)v, -1, -1, i ? -1 : 0);
		snprintf(v, sizeof(v), "V%d", count - 1 - i);
		X509_NAME_add_entry_by_txt(m, "OU", MBSTRING_UTF8, (unsigned char *)v, -1, -1, i ? -1 : 0);
	}
	crt_dn_from_name(n, &a);
	crt_dn_from_name(m, &b);
	assert_true(crt_dn_equal(&a, &b));
	ka = crt_dn_key(&a);
	kb = crt_dn_key(&b);
	assert_string_equal(ka, kb);
	free(ka);
	free(kb);
	crt_dn_release(&a);
	crt_dn_release(&b);
	X509_NAME_free(n);
	X509_NAME_free(m);

	n = X509_NAME_new();
	m = X509_NAME_new();
	for (i = 0; i < count; i++) {
		snprintf(v, sizeof(v), "v%d", i);
		X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8, (unsigned char *)v, -1, -1, 0);
		if (i == 77)
			snprintf(v, sizeof(v), "changed");
		X509_NAME_add_entry_by_txt(m, "OU", MBSTRING_UTF8, (unsigned char *)v, -1, -1, 0);
	}
	crt_dn_from_name(n, &a);
	crt_dn_from_name(m, &b);
	d = crt_dn_diff(&a, &b);
	assert_non_null(d);
	assert_string_equal(d, "OU: 'v77' -> 'changed'");
	free(d);
	crt_dn_release(&a);
	crt_dn_release(&b);
	X509_NAME_free(n);
	X509_NAME_free(m);
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
		cmocka_unit_test(test_der_nul),
		cmocka_unit_test(test_der_bytes),
		cmocka_unit_test(test_hex_form),
		cmocka_unit_test(test_long_oids),
		cmocka_unit_test(test_parse_untrusted),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_large_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
