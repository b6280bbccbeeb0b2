/*
 * Unit tests: certificates read lite (cert/lite.c, crt_cert_new_lite) give
 * what the X509 path gives - the same certificates accepted, the same
 * digests, crt_info field for field, and the same names, expiry and
 * digests through crt_cert_copy and the accessors - for every key type OpenSSL
 * decodes, a key it cannot decode, the malformed corpus, and trailing bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "testcert.h"
#include "../../cert/cert.h"
#include "../../cert/lite.h"
#include "../../common/util.h"

static void
same_strv(char **a, size_t na, char **b, size_t nb)
{
	size_t i;

	assert_int_equal(na, nb);
	for (i = 0; i < na; i++)
		assert_string_equal(a[i], b[i]);
}

static void
same_str0(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/*
 * der: the X509 path (d2i_X509 + crt_cert_new) and the lite one agree on
 * whether it is a certificate, and on everything crt_info says.  Returns
 * 1 when it was one.
 */
static int
agree(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	struct crt_cert *lite = crt_cert_new_lite(der, len, "l"), *full;
	struct crt_info a, b;
	time_t now = 1767225600;	/* 2026-01-01 */

	ERR_clear_error();
	if (x == NULL) {
		assert_null(lite);
		return 0;
	}
	assert_non_null(lite);
	assert_null(lite->x509);
	full = crt_cert_new(x, NULL, "l");
	assert_memory_equal(full->sha1, lite->sha1, sizeof(full->sha1));
	assert_memory_equal(full->sha256, lite->sha256, sizeof(full->sha256));
	crt_info_get(full, now, &a);
	ERR_clear_error();	/* X509_get0_pubkey leaves a key's decoding errors */
	crt_info_get(lite, now, &b);
	assert_int_equal(ERR_peek_error(), 0);	/* the lite path leaves none */
	assert_string_equal(a.subject, b.subject);
	assert_string_equal(a.issuer, b.issuer);
	assert_string_equal(a.tls_name, b.tls_name);
	assert_string_equal(a.serial, b.serial);
	assert_int_equal(a.not_before, b.not_before);
	assert_int_equal(a.not_after, b.not_after);
	assert_string_equal(a.not_after_s, b.not_after_s);
	assert_string_equal(a.expiry.phrase, b.expiry.phrase);
	same_strv(a.san, a.nsan, b.san, b.nsan);
	assert_string_equal(a.sig_name, b.sig_name);
	assert_string_equal(a.sig_oid, b.sig_oid);
	assert_string_equal(a.key_type, b.key_type);
	assert_int_equal(a.key_bits, b.key_bits);
	same_str0(a.key_curve, b.key_curve);
	same_strv(a.eku, a.neku, b.eku, b.neku);
	assert_int_equal(a.has_eku, b.has_eku);
	assert_string_equal(a.sha1, b.sha1);
	assert_string_equal(a.sha256, b.sha256);
	/* the accessors check and the planner read lite certificates by */
	{
		struct crt_cert *copy = crt_cert_copy(lite, "copy");
		struct crt_expiry e;
		char *subj = crt_cert_subject(lite);

		assert_null(copy->x509);
		assert_string_equal(copy->source, "copy");
		assert_memory_equal(copy->sha256, full->sha256, sizeof(full->sha256));
		assert_memory_equal(copy->sha1, full->sha1, sizeof(full->sha1));
		assert_int_equal(X509_NAME_cmp(crt_cert_subject_name(copy),
		    X509_get_subject_name(x)), 0);
		assert_int_equal(X509_NAME_cmp(crt_cert_issuer_name(copy),
		    X509_get_issuer_name(x)), 0);
		assert_string_equal(subj, a.subject);
		crt_cert_expiry(copy, now, &e);
		assert_string_equal(e.phrase, a.expiry.phrase);
		assert_int_equal(e.days_left, a.days_left);
		free(subj);
		crt_cert_free(copy);
	}
	/* without the key, then the key: the same again */
	crt_info_release(&b);
	crt_info_get_nokey(lite, now, &b);
	assert_null(b.key_type);
	assert_int_equal(b.key_bits, 0);
	crt_info_key(lite, &b);
	assert_string_equal(a.key_type, b.key_type);
	assert_int_equal(a.key_bits, b.key_bits);
	same_str0(a.key_curve, b.key_curve);
	crt_info_release(&a);
	crt_info_release(&b);
	crt_cert_free(full);
	crt_cert_free(lite);
	return 1;
}

static int
agree_x509(X509 *x)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der), r;

	if (len <= 0)
		return -1;
	r = agree(der, (size_t)len);
	OPENSSL_free(der);
	return r;
}

static EVP_PKEY *
rsa_key(const char *type)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *k = NULL;

	if (c == NULL || EVP_PKEY_keygen_init(c) != 1 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(c, 2048) != 1 || EVP_PKEY_keygen(c, &k) != 1)
		k = NULL;
	EVP_PKEY_CTX_free(c);
	return k;
}

/* Every key type, twice round: one decoder context serves them all, in any order. */
static void
test_key_types(void **state)
{
	static const struct { const char *type, *param; } keys[] = {
		{ "RSA", NULL }, { "EC", "P-256" }, { "RSA-PSS", NULL }, { "EC", "P-384" },
		{ "ED25519", NULL }, { "ED448", NULL }, { "EC", "P-521" }, { "X25519", NULL },
	};
	const struct tc_spec spec = { "/C=US/O=Contoso/CN=mail.contoso.com",
	    "DNS:mail.contoso.com,IP:10.0.0.5", "serverAuth,clientAuth", -3600, 86400 * 30,
	    NULL, 0, 0 };
	EVP_PKEY *signer = EVP_EC_gen("P-256"), *k[8];
	size_t i, round;

	(void)state;
	for (i = 0; i < 8; i++) {
		if (keys[i].param != NULL)
			k[i] = EVP_PKEY_Q_keygen(NULL, NULL, keys[i].type, keys[i].param);
		else if (!strcmp(keys[i].type, "RSA") || !strcmp(keys[i].type, "RSA-PSS"))
			k[i] = rsa_key(keys[i].type);
		else
			k[i] = EVP_PKEY_Q_keygen(NULL, NULL, keys[i].type);
		if (k[i] == NULL)
			fail_msg("cannot make a %s key", keys[i].type);
	}
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 8; i++) {
			X509 *x = tc_cert(&spec, k[i], NULL, NULL);

			/* X25519 cannot sign, Ed25519 and Ed448 not with SHA-256: all
			 * three signed by another key */
			if (!strcmp(keys[i].type, "X25519") || !strncmp(keys[i].type, "ED", 2))
				X509_sign(x, signer, EVP_sha256());
			if (agree_x509(x) != 1)
				fail_msg("%s", keys[i].type);
			X509_free(x);
		}
	}
	for (i = 0; i < 8; i++)
		EVP_PKEY_free(k[i]);
	EVP_PKEY_free(signer);
}

/*
 * A public key OpenSSL cannot decode (the EC point's bytes spoilt): "unknown"
 * either way, and the decoder still serves the next certificate.
 */
static void
test_bad_key(void **state)
{
	const struct tc_spec spec = { "/CN=bad.contoso.com", NULL, NULL, 0, 86400, NULL, 1, 0 };
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = tc_cert(&spec, key, NULL, NULL);
	unsigned char *der = NULL, *q;
	int len = i2d_X509(x, &der);
	unsigned char *pt;
	size_t i;

	(void)state;
	/* the uncompressed point 04 || X || Y: make its first byte 05, no form at all */
	pt = NULL;
	for (i = 0; i + 66 <= (size_t)len; i++)
		if (der[i] == 0x03 && der[i + 1] == 0x42 && der[i + 2] == 0x00 && der[i + 3] == 0x04)
			pt = der + i + 3;
	assert_non_null(pt);
	*pt = 0x05;
	q = der;
	{
		struct crt_cert *l = crt_cert_new_lite(q, (size_t)len, NULL);
		struct crt_info info;

		assert_non_null(l);
		crt_info_get(l, 0, &info);
		assert_string_equal(info.key_type, "unknown");
		crt_info_release(&info);
		crt_cert_free(l);
	}
	assert_int_equal(agree(der, (size_t)len), 1);
	*pt = 0x04;
	assert_int_equal(agree(der, (size_t)len), 1);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(key);
}

/* Trailing bytes are ignored, a cut is refused, as d2i_X509 does. */
static void
test_lengths(void **state)
{
	const struct tc_spec spec = { "/CN=len.contoso.com", NULL, NULL, 0, 86400, NULL, 1, 0 };
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = tc_cert(&spec, key, NULL, NULL);
	unsigned char *der = NULL, *longer;
	int len = i2d_X509(x, &der);
	size_t cut;

	(void)state;
	longer = cr_xmalloc((size_t)len + 16);
	memcpy(longer, der, (size_t)len);
	memset(longer + len, 0x30, 16);
	assert_int_equal(agree(longer, (size_t)len + 16), 1);
	for (cut = 0; cut < (size_t)len; cut += 7)
		assert_int_equal(agree(der, cut), 0);
	assert_null(crt_cert_new_lite(der, 0, NULL));
	free(longer);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(key);
}

/* The malformed corpus' DER certificates: the same verdict and the same info. */
static void
test_corpus(void **state)
{
	static const char *const files[] = {
		"bitstring-cn.der", "control-cn.der", "huge-oid.der", "long-oid-other.der",
		"long-oid.der", "many-rdns.der", "nul-cn.der", "trailing.der", "truncated.der",
	};
	const char *src = getenv("SRCDIR");
	size_t i, certs = 0;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *path = cr_xasprintf("%s/tests/malformed/certs/%s", src ? src : ".", files[i]);
		unsigned char buf[65536];
		FILE *f = fopen(path, "rb");
		size_t n;

		if (f == NULL)
			fail_msg("cannot open %s", path);
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		certs += (size_t)agree(buf, n);
		free(path);
	}
	/* all but truncated.der are certificates (some odd ones) */
	assert_int_equal(certs, sizeof(files) / sizeof(files[0]) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_types),
		cmocka_unit_test(test_bad_key),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
