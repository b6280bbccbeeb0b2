/* Unit tests: identities - thumbprints, <I>..<S>.. names, sources (cert/ident.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testcert.h"
#include "../../cert/ident.h"
#include "../../common/util.h"

#define LRM "\xe2\x80\x8e"	/* U+200E, what the Windows certificate dialog pastes */
#define RLM "\xe2\x80\x8f"	/* U+200F */
#define BOM "\xef\xbb\xbf"	/* U+FEFF */

static struct {
	EVP_PKEY *key;
	X509 *ca, *leaf;
	struct crt_cert *cert, *other;
	char sha1[41], sha256[65];
} G;

static int
setup(void **state)
{
	struct tc_spec ca = { "/C=US/O=Contoso/CN=Contoso Issuing CA 1", NULL, NULL, -60, 86400, NULL, 1, 1 };
	struct tc_spec leaf = { "/C=US/ST=Washington/O=Contoso, Ltd/CN=mail.contoso.com", NULL, NULL, -60, 86400, NULL, 1, 0 };
	char *h;

	(void)state;
	G.key = tc_key(1);
	G.ca = tc_cert(&ca, G.key, NULL, NULL);
	G.leaf = tc_cert(&leaf, G.key, G.ca, G.key);
	X509_up_ref(G.leaf);
	G.cert = crt_cert_new(G.leaf, NULL, "leaf.pem");
	X509_up_ref(G.ca);
	G.other = crt_cert_new(G.ca, NULL, "ca.pem");
	h = cr_hex_upper(G.cert->sha1, 20);
	memcpy(G.sha1, h, 41);
	free(h);
	h = cr_hex_upper(G.cert->sha256, 32);
	memcpy(G.sha256, h, 65);
	free(h);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	crt_cert_free(G.cert);
	crt_cert_free(G.other);
	X509_free(G.leaf);
	X509_free(G.ca);
	EVP_PKEY_free(G.key);
	return 0;
}

/* The thumbprint with `sep` between byte pairs, lower-cased when asked. */
static void
variant(const char *hex, const char *sep, int lower, char *out, size_t len)
{
	size_t i, k = 0, n = strlen(hex);

	for (i = 0; i < n && k + 4 < len; i++) {
		if (i > 0 && i % 2 == 0)
			for (const char *s = sep; *s; s++)
				out[k++] = *s;
		out[k++] = lower && hex[i] >= 'A' && hex[i] <= 'F' ? (char)(hex[i] + 32) : hex[i];
	}
	out[k] = '\0';
}

static void
test_thumbprints(void **state)
{
	static const struct { const char *pre, *mid, *sep; int lower, sha256, mark; } t[] = {
		{ "", "", "", 0, 0, 0 },
		{ "", "", "", 1, 0, 0 },
		{ "", "", " ", 0, 0, 0 },
		{ "", "", ":", 1, 0, 0 },
		{ "", " ", " ", 0, 0, 0 },
		{ "  ", "", "", 0, 0, 0 },
		{ LRM, "", "", 0, 0, 1 },		/* before sha1: */
		{ "", LRM, " ", 1, 0, 1 },		/* between sha1: and the hex */
		{ "", " " LRM, " ", 0, 0, 1 },
		{ RLM, "", "", 0, 0, 1 },
		{ "", RLM, "", 0, 0, 1 },
		{ BOM, "", ":", 0, 0, 1 },
		{ "", BOM, "", 1, 0, 1 },
		{ "", "", "", 0, 1, 0 },
		{ "", "", ":", 1, 1, 0 },
		{ LRM, "", " ", 0, 1, 1 },
		{ "", LRM, "", 0, 1, 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char hex[256], text[512];
		struct crt_ident id;
		struct cr_err err;

		variant(t[i].sha256 ? G.sha256 : G.sha1, t[i].sep, t[i].lower, hex, sizeof(hex));
		snprintf(text, sizeof(text), "%s%s:%s%s", t[i].pre, t[i].sha256 ? "sha256" : "sha1",
		    t[i].mid, hex);
		if (crt_ident_parse(text, &id, &err) != CR_OK)
			fail_msg("row %zu '%s': %s", i, text, err.msg);
		assert_int_equal(id.kind, t[i].sha256 ? CRT_ID_SHA256 : CRT_ID_SHA1);
		if (id.had_mark != t[i].mark)
			fail_msg("row %zu: had_mark %d, expected %d", i, id.had_mark, t[i].mark);
		assert_string_equal(id.text, text);
		if (!crt_ident_matches(&id, G.cert))
			fail_msg("row %zu '%s' does not match its certificate", i, text);
		assert_false(crt_ident_matches(&id, G.other));
		crt_ident_release(&id);
	}
}

static void
test_thumbprint_case_of_prefix(void **state)
{
	struct crt_ident id;
	struct cr_err err;
	char text[128];

	(void)state;
	snprintf(text, sizeof(text), "SHA1:%s", G.sha1);
	assert_int_equal(crt_ident_parse(text, &id, &err), CR_OK);
	assert_int_equal(id.kind, CRT_ID_SHA1);
	assert_true(crt_ident_matches(&id, G.cert));
	crt_ident_release(&id);
}

static void
test_bad_thumbprints(void **state)
{
	static const struct { const char *text; const char *msg; } t[] = {
		{ "sha1:5A1B", "sha1: needs 40 hex digits, got 4" },
		{ "sha1:00112233445566778899AABBCCDDEEFF001122", "sha1: needs 40 hex digits, got 38" },
		{ "sha1:00112233445566778899AABBCCDDEEFF0011223344", "sha1: needs 40 hex digits, got 42" },
		{ "sha1:00112233445566778899AABBCCDDEEFF0011223", "sha1: needs 40 hex digits, got 39" },
		{ "sha1:", "sha1: needs 40 hex digits, got 0" },
		{ "sha256:00112233445566778899AABBCCDDEEFF00112233", "sha256: needs 64 hex digits, got 40" },
		{ "sha1:00112233445566778899AABBCCDDEEFF0011223G", "'G' is not a hex digit" },
		{ "sha1:0011-2233", "'-' is not a hex digit" },
		{ LRM "sha1:" LRM "00112233445566778899AABBCCDDEEFF00112233", "more than one invisible mark" },
		{ "sha1:0011223344" LRM "5566778899AABBCCDDEEFF00112233", "invisible character U+200E inside" },
		{ "sha1:00112233445566778899AABBCCDDEEFF001122\xc3\xa9", "byte 0xC3 is not a hex digit" },
		{ "", "empty" },
		{ "   ", "empty" },
		{ LRM, "empty" },
		{ "md5:00112233445566778899AABBCCDDEEFF", "unknown prefix 'md5:'" },
		{ "thumbprint:00112233445566778899AABBCCDDEEFF00112233", "unknown prefix 'thumbprint:'" },
		{ "00112233445566778899AABBCCDDEEFF00112233", "looks like a thumbprint: write it as sha1:" },
		{ "00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF 00 11 22 33", "write it as sha1:" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct crt_ident id;
		struct cr_err err;
		int r;

		cr_err_clear(&err);
		r = crt_ident_parse(t[i].text, &id, &err);
		if (r != CR_EINPUT || strstr(err.msg, t[i].msg) == NULL)
			fail_msg("'%s': status %d '%s', expected '%s'", t[i].text, r, err.msg, t[i].msg);
		assert_non_null(strstr(err.msg, "bad identity '"));
		/* invisible marks are shown, not echoed invisibly */
		assert_null(strstr(err.msg, LRM));
		crt_ident_release(&id);
	}
}

static void
test_names(void **state)
{
	static const struct { const char *text; int match; } t[] = {
		{ "name:<I>CN=Contoso Issuing CA 1, O=Contoso, C=US<S>CN=mail.contoso.com, O=\"Contoso, Ltd\", S=Washington, C=US", 1 },
		{ "name:<I>cn=contoso issuing ca 1, o=contoso, c=us<S>CN=MAIL.contoso.com, O=\"contoso,  ltd\", ST=Washington, C=US", 1 },
		{ "name: <I>CN=Contoso Issuing CA 1,O=Contoso,C=US <S> CN=mail.contoso.com,O=\"Contoso, Ltd\",S=Washington,C=US ", 1 },
		{ "name:<i>CN=Contoso Issuing CA 1, O=Contoso, C=US<s>CN=mail.contoso.com, O=\"Contoso, Ltd\", S=Washington, C=US", 1 },
		/* the connector story: an issuer DN that differs by one word */
		{ "name:<I>CN=Contoso Issuing CA 1, O=Contoso Ltd, C=US<S>CN=mail.contoso.com, O=\"Contoso, Ltd\", S=Washington, C=US", 0 },
		{ "name:<I>CN=Contoso Issuing CA 1, O=Contoso, C=US<S>CN=mail.contoso.com, O=\"Contoso, Ltd\", C=US", 0 },
		{ "name:<I>CN=Contoso Issuing CA 1, O=Contoso, C=US<S>CN=Contoso Issuing CA 1, O=Contoso, C=US", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct crt_ident id;
		struct cr_err err;

		if (crt_ident_parse(t[i].text, &id, &err) != CR_OK)
			fail_msg("'%s': %s", t[i].text, err.msg);
		assert_int_equal(id.kind, CRT_ID_NAME);
		if (crt_ident_matches(&id, G.cert) != t[i].match)
			fail_msg("'%s': expected %s", t[i].text, t[i].match ? "a match" : "no match");
		crt_ident_release(&id);
	}
	/* the CA's own <I>..<S>.. names the CA, not the leaf */
	{
		struct crt_ident id;
		struct cr_err err;
		assert_int_equal(crt_ident_parse("name:<I>CN=Contoso Issuing CA 1, O=Contoso, C=US"
		    "<S>CN=Contoso Issuing CA 1, O=Contoso, C=US", &id, &err), CR_OK);
		assert_true(crt_ident_matches(&id, G.other));
		crt_ident_release(&id);
	}
}

static void
test_name_rendering_round_trip(void **state)
{
	char *tls = crt_tls_name(G.leaf);
	char *text = cr_xasprintf("name:%s", tls);
	struct crt_ident id;
	struct cr_err err;

	(void)state;
	assert_int_equal(crt_ident_parse(text, &id, &err), CR_OK);
	assert_true(crt_ident_matches(&id, G.cert));
	assert_false(crt_ident_matches(&id, G.other));
	crt_ident_release(&id);
	free(text);
	free(tls);
}

static void
test_name_parsing(void **state)
{
	static const struct { const char *text; const char *issuer, *subject, *err; } t[] = {
		/* a quoted value may hold "<S>": it does not end the issuer */
		{ "name:<I>CN=\"a<S>b\", O=x<S>CN=y", "CN=\"a<S>b\", O=x", "CN=y", NULL },
		{ "name:<I>O=\"say \"\"<S>\"\"\"<S>CN=y", "O=\"say \"\"<S>\"\"\"", "CN=y", NULL },
		/* only the first <S> separates; Windows would have quoted the rest */
		{ "name:<I>CN=a<S>CN=b<S>c", "CN=a", "CN=\"b<S>c\"", NULL },
		{ "name:CN=a<S>CN=b", NULL, NULL, "must be <I>ISSUER<S>SUBJECT" },
		{ "name:<I>CN=a", NULL, NULL, "needs <S>SUBJECT" },
		{ "name:<I>CN=\"a<S>CN=b", NULL, NULL, "a quote is not closed" },
		{ "name:<I>CN=a<S>", NULL, NULL, "the subject is empty" },
		{ "name:<I><S>CN=b", NULL, NULL, "the issuer is empty" },
		{ "name:<I>XX=a<S>CN=b", NULL, NULL, "issuer: bad DN 'XX=a': unknown attribute type 'XX'" },
		{ "name:<I>CN=a<S>CN=\"b", NULL, NULL, "subject: bad DN" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct crt_ident id;
		struct cr_err err;
		int r;

		cr_err_clear(&err);
		r = crt_ident_parse(t[i].text, &id, &err);
		if (t[i].err != NULL) {
			if (r != CR_EINPUT || strstr(err.msg, t[i].err) == NULL)
				fail_msg("'%s': status %d '%s', expected '%s'", t[i].text, r, err.msg, t[i].err);
		} else {
			char *is, *su;
			if (r != CR_OK)
				fail_msg("'%s': %s", t[i].text, err.msg);
			is = crt_dn_format(&id.issuer);
			su = crt_dn_format(&id.subject);
			assert_string_equal(is, t[i].issuer);
			assert_string_equal(su, t[i].subject);
			free(is);
			free(su);
		}
		crt_ident_release(&id);
	}
}

static void
test_sources(void **state)
{
	static const struct { const char *text, *source; int mark; } t[] = {
		{ "file:new/mail.pem", "file:new/mail.pem", 0 },
		{ "FILE:new/mail.pem", "FILE:new/mail.pem", 0 },
		{ "pkcs11:token=edge;object=mail-2025;type=cert", "pkcs11:token=edge;object=mail-2025;type=cert", 0 },
		{ "/etc/ssl/mail.pem", "/etc/ssl/mail.pem", 0 },
		{ "./mail.pem", "./mail.pem", 0 },
		{ "mail.pem", "mail.pem", 0 },
		{ "certs/a:b.pem", "certs/a:b.pem", 0 },
		{ "C:\\certs\\mail.cer", "C:\\certs\\mail.cer", 0 },
		{ "tls://10.0.0.5:443?sni=mail.contoso.com", "tls://10.0.0.5:443?sni=mail.contoso.com", 0 },
		{ "  file:x.pem  ", "file:x.pem", 0 },
		{ LRM "file:x.pem", "file:x.pem", 1 },
		{ "cafe", "cafe", 0 },		/* hex, but not thumbprint-long: a file name */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct crt_ident id;
		struct cr_err err;

		if (crt_ident_parse(t[i].text, &id, &err) != CR_OK)
			fail_msg("'%s': %s", t[i].text, err.msg);
		assert_int_equal(id.kind, CRT_ID_SOURCE);
		assert_string_equal(id.source, t[i].source);
		assert_int_equal(id.had_mark, t[i].mark);
		/* sources are resolved by the caller, never matched here */
		assert_false(crt_ident_matches(&id, G.cert));
		crt_ident_release(&id);
	}
}

static void
test_ident_of_and_same(void **state)
{
	char *s = crt_ident_of(G.cert);
	char want[64];
	struct crt_cert *again;

	(void)state;
	snprintf(want, sizeof(want), "sha1:%s", G.sha1);
	assert_string_equal(s, want);
	free(s);
	X509_up_ref(G.leaf);
	again = crt_cert_new(G.leaf, NULL, "elsewhere");
	assert_true(crt_cert_same(G.cert, again));
	assert_false(crt_cert_same(G.cert, G.other));
	crt_cert_free(again);
}


/*
 * Item 4 and 7 of issue 8: a name: identity is bounded (a million RDNs took
 * 800 MB), and attribute names without an OID are refused, not all "OID.?".
 */
static void
test_untrusted_names(void **state)
{
	struct cr_buf b = CR_BUF_INIT;
	struct crt_ident id;
	struct cr_err err;
	size_t i;

	(void)state;
	cr_buf_adds(&b, "name:<I>CN=a<S>");
	for (i = 0; i < 200000; i++)
		cr_buf_adds(&b, "CN=a, ");
	cr_buf_adds(&b, "CN=a");
	assert_int_equal(crt_ident_parse(b.s, &id, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_TOO_LARGE);
	assert_non_null(strstr(err.msg, "longer than the limit of 16384 bytes"));
	assert_true(strlen(err.msg) < 400);
	cr_buf_release(&b);
	/* under the identity's limit, over the DN's: the DN's message */
	cr_buf_adds(&b, "name:<I>CN=a<S>");
	for (i = 0; i < 200; i++)
		cr_buf_adds(&b, "CN=a, ");
	cr_buf_adds(&b, "CN=a");
	assert_int_equal(crt_ident_parse(b.s, &id, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_TOO_LARGE);
	assert_non_null(strstr(err.msg, "more than the limit of 128 attributes"));
	cr_buf_release(&b);
	assert_int_equal(crt_ident_parse("name:<I>hkdf=a<S>CN=x", &id, &err), CR_EINPUT);
	assert_non_null(strstr(err.msg, "unknown attribute type 'hkdf'"));
	assert_int_equal(crt_ident_parse("name:<I>CN=a<S>x963kdf=a", &id, &err), CR_EINPUT);
	assert_non_null(strstr(err.msg, "unknown attribute type 'x963kdf'"));
	/* messages show control bytes escaped */
	assert_int_equal(crt_ident_parse("sha1:\x1b[2J", &id, &err), CR_EINPUT);
	assert_non_null(strstr(err.msg, "'sha1:\\x1B[2J'"));
	/* found by fuzz_dn (10-minute run): the bare thumbprint was suggested back raw, tabs included */
	assert_int_equal(crt_ident_parse("  :\t\t 0  888888888888888888888888888888888888888 ", &id, &err),
	    CR_EINPUT);
	assert_non_null(strstr(err.msg, "write it as sha1:0888888888888888888888888888888888888888"));
	assert_null(strchr(err.msg, '\t'));
	/* found by fuzz_dn: DEL was quoted raw as "'\x7f' is not a hex digit" */
	assert_int_equal(crt_ident_parse("sha1:5A\x7f", &id, &err), CR_EINPUT);
	assert_non_null(strstr(err.msg, "byte 0x7F is not a hex digit"));
}

/* A name with NUL, as inspect prints it, denotes that certificate and no other. */
static void
test_name_with_nul(void **state)
{
	X509 *x = X509_dup(G.leaf), *y = X509_dup(G.leaf);
	X509_NAME *n = X509_NAME_new(), *m = X509_NAME_new();
	struct crt_cert *cx, *cy;
	struct crt_ident id;
	struct cr_err err;
	char *tn, *text;

	(void)state;
	X509_NAME_add_entry_by_NID(n, NID_commonName, V_ASN1_UTF8STRING,
	    (const unsigned char *)"mail.contoso.com\0.evil", 22, -1, 0);
	X509_NAME_add_entry_by_NID(m, NID_commonName, V_ASN1_UTF8STRING,
	    (const unsigned char *)"mail.contoso.com", 16, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_subject_name(y, m);
	cx = crt_cert_new(x, NULL, "x");
	cy = crt_cert_new(y, NULL, "y");
	tn = crt_tls_name(cx->x509);
	assert_non_null(strstr(tn, "<S>CN=mail.contoso.com\\x00.evil"));
	text = cr_xasprintf("name:%s", tn);
	assert_int_equal(crt_ident_parse(text, &id, &err), CR_OK);
	assert_true(crt_ident_matches(&id, cx));
	assert_false(crt_ident_matches(&id, cy));
	crt_ident_release(&id);
	free(text);
	free(tn);
	crt_cert_free(cx);
	crt_cert_free(cy);
	X509_NAME_free(n);
	X509_NAME_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thumbprints),
		cmocka_unit_test(test_thumbprint_case_of_prefix),
		cmocka_unit_test(test_bad_thumbprints),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_name_rendering_round_trip),
		cmocka_unit_test(test_name_parsing),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_ident_of_and_same),
		cmocka_unit_test(test_untrusted_names),
		cmocka_unit_test(test_name_with_nul),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
