/*
 * fuzz_dn.c - identities and distinguished names (cert/ident.c, cert/dn.c,
 * cert/dn_match.c).  The first byte picks the mode, the rest is the input:
 *   0  a DN's text: crt_dn_parse, then the round trip below
 *   1  a DER Name (as in a certificate): crt_dn_from_name, the round trip
 *   2  two DN texts split at the first '\n': equal/key/diff consistency
 *   3  two DER Names, the first data byte the first one's length: the same
 *   4  an identity's text: crt_ident_parse, the round trip of its DNs, and
 *      its match against a certificate with those names
 * Asserted, not only run:
 *   round trip  format(dn) is one line of valid UTF-8 without control bytes;
 *               it parses back (unless past crt_dn_parse's bounds) to a DN
 *               equal to dn, with the same key, formatting to the same text;
 *   pairs       equal(a, b) == equal(b, a) == (key(a) == key(b)) ==
 *               (diff(a, b) == NULL); equal texts mean equal DNs.
 */
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "fuzz.h"
#include "../../cert/dn.h"
#include "../../cert/ident.h"
#include "../../common/util.h"

static void
round_trip(const struct crt_dn *dn)
{
	char *s = crt_dn_format(dn), *k1, *k2, *s2;
	struct crt_dn back;
	struct cr_err err;

	FUZZ_ASSERT(fuzz_shown_ok(s), "rendering '%s' is not printable UTF-8", s);
	cr_err_clear(&err);
	if (crt_dn_parse(s, &back, &err) != CR_OK) {
		FUZZ_ASSERT(err.reason == CR_R_TOO_LARGE &&
		    (dn->n > CRT_DN_MAX_AVAS || strlen(s) > CRT_DN_MAX_TEXT),
		    "rendering '%s' does not parse back: %s", s, err.msg);
		free(s);
		return;
	}
	FUZZ_ASSERT(crt_dn_equal(dn, &back) && crt_dn_equal(&back, dn),
	    "'%s' parses back to another DN", s);
	k1 = crt_dn_key(dn);
	k2 = crt_dn_key(&back);
	FUZZ_ASSERT(strcmp(k1, k2) == 0, "'%s': keys differ after the round trip", s);
	s2 = crt_dn_format(&back);
	FUZZ_ASSERT(strcmp(s, s2) == 0, "'%s' formats as '%s' after the round trip", s, s2);
	free(s2);
	free(k1);
	free(k2);
	free(s);
	crt_dn_release(&back);
}

static void
pair(const struct crt_dn *a, const struct crt_dn *b)
{
	int eq = crt_dn_equal(a, b);
	char *ka = crt_dn_key(a), *kb = crt_dn_key(b), *d = crt_dn_diff(a, b);
	char *fa = crt_dn_format(a), *fb = crt_dn_format(b);

	FUZZ_ASSERT(eq == crt_dn_equal(b, a), "'%s' / '%s': equality is not symmetric", fa, fb);
	FUZZ_ASSERT(eq == (strcmp(ka, kb) == 0), "'%s' / '%s': equal %d but keys '%s' '%s'", fa, fb,
	    eq, ka, kb);
	FUZZ_ASSERT(eq == (d == NULL), "'%s' / '%s': equal %d but diff '%s'", fa, fb, eq,
	    d ? d : "(none)");
	FUZZ_ASSERT(d == NULL || fuzz_shown_ok(d), "diff '%s' is not printable UTF-8", d);
	FUZZ_ASSERT(strcmp(fa, fb) != 0 || eq, "'%s' renders alike but compares unequal", fa);
	free(ka);
	free(kb);
	free(d);
	free(fa);
	free(fb);
}

static int
parse_text(const uint8_t *data, size_t size, struct crt_dn *dn)
{
	char *s = fuzz_str(data, size);
	struct cr_err err;
	int r = crt_dn_parse(s, dn, &err);

	if (r != CR_OK)
		FUZZ_ASSERT(dn->n == 0 && fuzz_shown_ok(err.msg), "bad message '%s'", err.msg);
	free(s);
	return r == CR_OK;
}

static int
parse_der(const uint8_t *data, size_t size, struct crt_dn *dn)
{
	const unsigned char *p = data;
	X509_NAME *n = d2i_X509_NAME(NULL, &p, (long)size);

	if (n == NULL)
		return 0;
	crt_dn_from_name(n, dn);
	X509_NAME_free(n);
	return 1;
}

/* A certificate issued by and to "CN=fuzz, O=x": identities are matched against it. */
static struct crt_cert *G_cert;
static struct crt_dn G_dn;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	struct cr_err err;

	(void)argc;
	(void)argv;
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"x", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"fuzz", -1, -1, 0);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	if (k == NULL || !X509_sign(x, k, EVP_sha256()) ||
	    crt_dn_parse("CN=fuzz, O=x", &G_dn, &err) != CR_OK)
		abort();
	G_cert = crt_cert_new(x, NULL, "fuzz");
	X509_NAME_free(n);
	EVP_PKEY_free(k);
	return 0;
}

/* An identity: its DNs round-trip, and it matches the fixed certificate exactly when equal. */
static void
identity(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct crt_ident id, again;
	struct cr_err err;

	cr_err_clear(&err);
	if (crt_ident_parse(s, &id, &err) != CR_OK) {
		FUZZ_ASSERT(fuzz_shown_ok(err.msg), "bad message '%s'", err.msg);
		free(s);
		return;
	}
	if (id.kind == CRT_ID_NAME) {
		char *iss = crt_dn_format(&id.issuer), *sub = crt_dn_format(&id.subject);
		char *text = cr_xasprintf("name:<I>%s<S>%s", iss, sub);

		round_trip(&id.issuer);
		round_trip(&id.subject);
		/* the name inspect would print for it is an identity denoting the same */
		if (crt_ident_parse(text, &again, &err) == CR_OK) {
			FUZZ_ASSERT(crt_dn_equal(&again.issuer, &id.issuer) &&
			    crt_dn_equal(&again.subject, &id.subject), "'%s' is another identity", text);
			crt_ident_release(&again);
		} else {
			FUZZ_ASSERT(err.reason == CR_R_TOO_LARGE, "'%s' does not parse: %s", text,
			    err.msg);
		}
		FUZZ_ASSERT(crt_ident_matches(&id, G_cert) ==
		    (crt_dn_equal(&id.issuer, &G_dn) && crt_dn_equal(&id.subject, &G_dn)),
		    "'%s' matches the certificate 'CN=fuzz, O=x' wrongly", s);
		free(text);
		free(iss);
		free(sub);
	}
	crt_ident_release(&id);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crt_dn a, b;
	const uint8_t *nl;
	size_t k;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		if (parse_text(data + 1, size - 1, &a))
			round_trip(&a);
		crt_dn_release(&a);
		break;
	case 1:
		if (parse_der(data + 1, size - 1, &a)) {
			round_trip(&a);
			crt_dn_release(&a);
		}
		break;
	case 2:
		nl = memchr(data + 1, '\n', size - 1);
		k = nl != NULL ? (size_t)(nl - (data + 1)) : size - 1;
		if (parse_text(data + 1, k, &a)) {
			if (parse_text(data + 1 + k + (nl != NULL), size - 1 - k - (nl != NULL), &b))
				pair(&a, &b);
			crt_dn_release(&b);
		}
		crt_dn_release(&a);
		break;
	case 3:
		if (size < 2)
			break;
		k = data[1] < size - 2 ? data[1] : size - 2;
		if (parse_der(data + 2, k, &a)) {
			if (parse_der(data + 2 + k, size - 2 - k, &b)) {
				pair(&a, &b);
				crt_dn_release(&b);
			}
			crt_dn_release(&a);
		}
		break;
	default:
		identity(data + 1, size - 1);
		break;
	}
	return 0;
}
