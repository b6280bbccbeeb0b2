/*
 * testcert.h - build certificates in unit tests (no fixtures needed).
 * Header-only; each test includes it once.
 */
#ifndef TESTCERT_H
#define TESTCERT_H

#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct tc_spec {
	const char *subject;	/* "/C=US/O=Contoso/CN=mail.contoso.com" (OpenSSL order) */
	const char *san;	/* "DNS:a,DNS:b" or NULL */
	const char *eku;	/* "serverAuth" or NULL */
	long from, to;		/* validity offsets in seconds from now */
	const EVP_MD *md;	/* NULL: sha256 */
	int ec;			/* EC P-256 key instead of RSA 2048 */
	int ca;			/* basicConstraints CA:TRUE */
};

static inline EVP_PKEY *
tc_key(int ec)
{
	return ec ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
}

static inline X509_NAME *
tc_name(const char *s)
{
	X509_NAME *n = X509_NAME_new();
	char buf[512];
	char *p, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	for (p = strtok_r(buf, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		char *eq = strchr(p, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		X509_NAME_add_entry_by_txt(n, p, MBSTRING_UTF8, (unsigned char *)eq + 1, -1, -1, 0);
	}
	return n;
}

static inline void
tc_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (e != NULL) {
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
}

/*
 * A certificate for `key` per spec, signed by issuer_key (self-signed when
 * issuer is NULL).  Caller frees with X509_free.
 */
static inline X509 *
tc_cert(const struct tc_spec *s, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
	static long serial = 1000;
	X509 *x = X509_new();
	X509_NAME *n = tc_name(s->subject);

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_NAME_free(n);
	X509_gmtime_adj(X509_getm_notBefore(x), s->from);
	X509_gmtime_adj(X509_getm_notAfter(x), s->to);
	X509_set_pubkey(x, key);
	tc_ext(x, issuer ? issuer : x, NID_basic_constraints, s->ca ? "critical,CA:TRUE" : "CA:FALSE");
	if (s->ca)
		tc_ext(x, issuer ? issuer : x, NID_key_usage, "critical,keyCertSign,cRLSign");
	if (s->san)
		tc_ext(x, issuer ? issuer : x, NID_subject_alt_name, s->san);
	if (s->eku)
		tc_ext(x, issuer ? issuer : x, NID_ext_key_usage, s->eku);
	X509_sign(x, issuer_key ? issuer_key : key, s->md ? s->md : EVP_sha256());
	return x;
}

#endif
