/* Unit tests: the certificate-level checks of SPEC 6 (check/checks_cert.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "testcert.h"
#include "../../check/checks.h"
#include "../../cert/keyalg.h"
#include "../../check/access.h"
#include <sys/stat.h>
#include <unistd.h>

#define DAY 86400L

struct pki {
	EVP_PKEY *root_key, *ca_key, *leaf_key, *ec_key;
	X509 *root, *ca, *ca_sha1;
};
static struct pki P;

static int
setup(void **state)
{
	struct tc_spec root = { "/C=US/O=Contoso/CN=Contoso Root CA", NULL, NULL, -DAY, 3650 * DAY, NULL, 0, 1 };
	struct tc_spec ca = { "/C=US/O=Contoso Ltd/CN=Contoso Issuing CA 1", NULL, NULL, -DAY, 1000 * DAY, NULL, 0, 1 };

	(void)state;
	P.root_key = tc_key(0);
	P.ca_key = tc_key(0);
	P.leaf_key = tc_key(0);
	P.ec_key = tc_key(1);
	P.root = tc_cert(&root, P.root_key, NULL, NULL);
	P.ca = tc_cert(&ca, P.ca_key, P.root, P.root_key);
	ca.md = EVP_sha1();
	P.ca_sha1 = tc_cert(&ca, P.ca_key, P.root, P.root_key);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(P.root);
	X509_free(P.ca);
	X509_free(P.ca_sha1);
	EVP_PKEY_free(P.root_key);
	EVP_PKEY_free(P.ca_key);
	EVP_PKEY_free(P.leaf_key);
	EVP_PKEY_free(P.ec_key);
	return 0;
}

static X509 *
leaf(long from, long to, const char *san, const char *eku, const EVP_MD *md, int ec)
{
	struct tc_spec s = { "/C=US/O=Contoso/CN=mail.contoso.com", san, eku, from, to, md, ec, 0 };
	return tc_cert(&s, ec ? P.ec_key : P.leaf_key, P.ca, P.ca_key);
}

#define EXPECT(r, st, needle) do { \
	if ((r).status != (st) || strstr((r).message, (needle)) == NULL) \
		fail_msg("got %s '%s', expected %s containing '%s'", chk_status_name((r).status), \
		    (r).message, chk_status_name(st), (needle)); \
} while (0)

static void
test_validity(void **state)
{
	static const struct { long from, to; long long min; int old; enum chk_status st; const char *msg; } t[] = {
		{ -DAY, 365 * DAY, 30 * DAY, 0, CHK_PASS, "valid for 364 days" },
		{ DAY, 365 * DAY, 30 * DAY, 0, CHK_FAIL, "not valid yet" },
		{ -400 * DAY, -10 * DAY, 30 * DAY, 0, CHK_FAIL, "EXPIRED 11 days ago" },
		{ -DAY, 20 * DAY, 30 * DAY, 0, CHK_FAIL, "less than the required 30 days" },
		{ -DAY, 20 * DAY, 10 * DAY, 0, CHK_PASS, "valid for 19 days" },
		{ -400 * DAY, -10 * DAY, 30 * DAY, 1, CHK_WARN, "THE OLD CERTIFICATE EXPIRED 11 days" },
		{ -300 * DAY, 20 * DAY, 30 * DAY, 1, CHK_WARN, "EXPIRES IN 19 days" },
		{ -300 * DAY, 200 * DAY, 30 * DAY, 1, CHK_PASS, "valid for 199 days" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* one second in: "20 days from now" is 19 whole days left, "10 days ago"
		   is 10 days and a second, which counts as 11 (cert.h, crt_expiry) */
		X509 *x = leaf(t[i].from, t[i].to, "DNS:mail.contoso.com", "serverAuth", NULL, 0);
		struct chk_result r = { 0 };
		time_t now = time(NULL) + 1;
		if (t[i].old)
			chk_old_validity(x, now, t[i].min, &r);
		else
			chk_new_validity(x, now, t[i].min, &r);
		EXPECT(r, t[i].st, t[i].msg);
		chk_result_release(&r);
		X509_free(x);
	}
}

static void
test_eku(void **state)
{
	static const struct { const char *eku; enum chk_status st; const char *msg; } t[] = {
		{ "serverAuth", CHK_PASS, "TLS server" },
		{ "serverAuth,clientAuth", CHK_PASS, "TLS server" },
		{ "clientAuth", CHK_FAIL, "lacks serverAuth (has TLS Web Client Authentication)" },
		{ NULL, CHK_PASS, "no extended key usage" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		X509 *x = leaf(-DAY, DAY * 100, NULL, t[i].eku, NULL, 0);
		struct chk_result r = { 0 };
		chk_eku(x, &r);
		EXPECT(r, t[i].st, t[i].msg);
		chk_result_release(&r);
		X509_free(x);
	}
}

static void
test_chain(void **state)
{
	X509 *x = leaf(-DAY, 100 * DAY, "DNS:mail.contoso.com", "serverAuth", NULL, 0);
	STACK_OF(X509) *untrusted = sk_X509_new_null(), *anchors = sk_X509_new_null();
	STACK_OF(X509) *wrong = sk_X509_new_null();
	struct chk_result r = { 0 };
	struct tc_spec other = { "/C=US/O=Fabrikam/CN=Fabrikam Root CA", NULL, NULL, -DAY, 3650 * DAY, NULL, 0, 1 };
	X509 *other_root = tc_cert(&other, P.root_key, NULL, NULL);

	(void)state;
	sk_X509_push(untrusted, P.ca);
	sk_X509_push(anchors, P.root);
	sk_X509_push(wrong, other_root);
	chk_chain(x, untrusted, anchors, time(NULL), &r, NULL);
	EXPECT(r, CHK_PASS, "chains to 'CN=Contoso Root CA, O=Contoso, C=US' (3 certificates)");
	chk_chain(x, NULL, anchors, time(NULL), &r, NULL);
	EXPECT(r, CHK_FAIL, "add the issuing CA to `chain`");
	chk_chain(x, untrusted, wrong, time(NULL), &r, NULL);
	EXPECT(r, CHK_FAIL, "no valid path to a trust anchor");
	/* a year from now the leaf has expired */
	chk_chain(x, untrusted, anchors, time(NULL) + 365 * DAY, &r, NULL);
	EXPECT(r, CHK_FAIL, "expired");
	chk_result_release(&r);
	sk_X509_free(untrusted);
	sk_X509_free(anchors);
	sk_X509_free(wrong);
	X509_free(other_root);
	X509_free(x);
}

static void
test_names(void **state)
{
	X509 *n = leaf(-DAY, 100 * DAY, "DNS:mail.contoso.com,DNS:autodiscover.contoso.com,DNS:*.legacy.contoso.com", "serverAuth", NULL, 0);
	X509 *o = leaf(-DAY, 100 * DAY, "DNS:mail.contoso.com,DNS:cas01.contoso.local", "serverAuth", NULL, 0);
	char *ok[] = { "mail.contoso.com", "AutoDiscover.contoso.com", "owa.legacy.contoso.com" };
	char *miss[] = { "mail.contoso.com", "cas01.contoso.local", "x.y.legacy.contoso.com" };
	struct chk_result r = { 0 };

	(void)state;
	chk_names(n, o, ok, 3, &r);
	EXPECT(r, CHK_PASS, "all 3 names covered");
	chk_names(n, o, miss, 3, &r);
	EXPECT(r, CHK_FAIL, "2 names not in the new certificate's SAN: cas01.contoso.local (the old certificate has it), x.y.legacy.contoso.com (the old certificate lacks it too)");
	chk_names(n, o, NULL, 0, &r);
	EXPECT(r, CHK_SKIP, "no names");
	X509_free(n);
	/* no SAN at all: the CN covers the name, but browsers ignore it - a warning */
	n = leaf(-DAY, 100 * DAY, NULL, "serverAuth", NULL, 0);
	chk_names(n, o, ok, 1, &r);
	EXPECT(r, CHK_WARN, "the name is covered only by the new certificate's subject CN: it has no subjectAltName");
	chk_names(n, o, ok, 2, &r);
	EXPECT(r, CHK_FAIL, "1 name not in the new certificate's SAN: AutoDiscover.contoso.com");
	chk_result_release(&r);
	X509_free(n);
	X509_free(o);
}

static void
test_sigalg(void **state)
{
	X509 *x256 = leaf(-DAY, 100 * DAY, NULL, NULL, NULL, 0);
	X509 *x1 = leaf(-DAY, 100 * DAY, NULL, NULL, EVP_sha1(), 0);
	char *sha1only[] = { "sha1WithRSAEncryption" };
	char *both[] = { "RSA-SHA1", "1.2.840.113549.1.1.11" };
	char *win1[] = { "sha1RSA" }, *win256[] = { "Sha256RSA" };
	STACK_OF(X509) *chain = sk_X509_new_null();
	struct chk_result r = { 0 };

	(void)state;
	chk_sigalg("cas2", x256, NULL, sha1only, 1, &r);
	EXPECT(r, CHK_FAIL, "host 'cas2' only validates sha1WithRSAEncryption, but the new certificate is signed with sha256WithRSAEncryption (1.2.840.113549.1.1.11)");
	chk_sigalg("cas2", x1, NULL, sha1only, 1, &r);
	EXPECT(r, CHK_PASS, "accepts sha1WithRSAEncryption (1.2.840.113549.1.1.5)");
	chk_sigalg("cas2", x256, NULL, both, 2, &r);
	EXPECT(r, CHK_PASS, "accepts sha256WithRSAEncryption");
	/* the intermediate is SHA-256 signed; the self-signed root is not judged */
	sk_X509_push(chain, P.ca);
	sk_X509_push(chain, P.root);
	chk_sigalg("cas2", x1, chain, sha1only, 1, &r);
	EXPECT(r, CHK_FAIL, "intermediate 'CN=Contoso Issuing CA 1, O=Contoso Ltd, C=US' is signed with sha256WithRSAEncryption (1.2.840.113549.1.1.11)");
	sk_X509_zero(chain);
	sk_X509_push(chain, P.ca_sha1);
	chk_sigalg("cas2", x1, chain, sha1only, 1, &r);
	EXPECT(r, CHK_PASS, "accepts");
	chk_sigalg("any", x256, chain, NULL, 0, &r);
	EXPECT(r, CHK_PASS, "accepts any signature algorithm");
	/* as Windows names them: sha1RSA is SHA-1 with RSA only */
	chk_sigalg("cas2", x256, NULL, win1, 1, &r);
	EXPECT(r, CHK_FAIL, "host 'cas2' only validates sha1RSA, but the new certificate is signed with sha256WithRSAEncryption");
	chk_sigalg("cas2", x1, NULL, win1, 1, &r);
	EXPECT(r, CHK_PASS, "accepts sha1WithRSAEncryption");
	chk_sigalg("cas2", x256, NULL, win256, 1, &r);
	EXPECT(r, CHK_PASS, "accepts sha256WithRSAEncryption");
	chk_result_release(&r);
	sk_X509_free(chain);
	X509_free(x1);
	X509_free(x256);
}

static void
test_keyalg(void **state)
{
	X509 *rsa = leaf(-DAY, 100 * DAY, NULL, NULL, NULL, 0);
	X509 *ec = leaf(-DAY, 100 * DAY, NULL, NULL, NULL, 1);
	static const struct { const char *spec; int rsa, ec; } t[] = {
		{ "rsa", 1, 0 }, { "rsa:2048", 1, 0 }, { "rsa:1024-4096", 1, 0 },
		{ "rsa:3072-4096", 0, 0 }, { "ec", 0, 1 }, { "ec:prime256v1", 0, 1 },
		{ "ec:P-256", 0, 1 }, { "ec:secp384r1", 0, 0 }, { "ed25519", 0, 0 },
	};
	static const char *bad[] = { "", "rsa:", "rsa:x", "rsa:4096-1024", "ec:nocurve", "dsa", "rsa:1-2-3" };
	struct chk_result r = { 0 };
	char *only_ec[] = { "ec:prime256v1" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(crt_keyalg_valid(t[i].spec, NULL), CR_OK);
		if (crt_keyalg_matches(t[i].spec, rsa) != t[i].rsa)
			fail_msg("'%s' on RSA 2048: expected %d", t[i].spec, t[i].rsa);
		if (crt_keyalg_matches(t[i].spec, ec) != t[i].ec)
			fail_msg("'%s' on EC P-256: expected %d", t[i].spec, t[i].ec);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (crt_keyalg_valid(bad[i], NULL) != CR_EINPUT)
			fail_msg("'%s' accepted", bad[i]);
	chk_keyalg("edge", rsa, only_ec, 1, &r);
	EXPECT(r, CHK_FAIL, "host 'edge' accepts only ec:prime256v1 keys, the new key is RSA 2048");
	chk_keyalg("edge", ec, only_ec, 1, &r);
	EXPECT(r, CHK_PASS, "EC prime256v1");
	chk_result_release(&r);
	X509_free(rsa);
	X509_free(ec);
}

static void
test_access(void **state)
{
	char dir[] = "/tmp/cr-access-XXXXXX";
	char file[64];
	struct chk_result r = { 0 };
	struct chk_access_cache cache = CHK_ACCESS_CACHE_INIT;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/edge.pin", dir);
	f = fopen(file, "w");
	fputs("1234\n", f);
	fclose(f);
	chmod(file, 0600);
	chmod(dir, 0755);
	chk_access(&cache, "adfs1", "CONTOSO\\adfssvc", file, "the PIN source", &r);
	EXPECT(r, CHK_SKIP, "not a local account here");
	chk_access(&cache, "adfs1", "root", file, "the PIN source", &r);
	EXPECT(r, CHK_PASS, "account 'root' can read the PIN source");
	if (geteuid() == 0) {
		/* as root the file is root's: nobody cannot read it, until it can */
		chk_access(&cache, "adfs1", "nobody", file, "the PIN source", &r);
		EXPECT(r, CHK_FAIL, "account 'nobody' cannot read the PIN source");
		chmod(file, 0644);
		chk_access(&cache, "adfs1", "nobody", file, "the PIN source", &r);
		EXPECT(r, CHK_PASS, "account 'nobody' can read");
		chmod(dir, 0700);
		chk_access(&cache, "adfs1", "nobody", file, "the PIN source", &r);
		EXPECT(r, CHK_FAIL, "is not searchable by it");
	}
	chk_access(&cache, "adfs1", "nobody", NULL, "the PIN source", &r);
	EXPECT(r, CHK_SKIP, "no key file or PIN source");
	/* one lookup per account, however many hosts ask */
	chk_access(&cache, "wap1", "CONTOSO\\adfssvc", file, "the PIN source", &r);
	EXPECT(r, CHK_SKIP, "on host 'wap1'");
	assert_int_equal(cache.n, geteuid() == 0 ? 3 : 2);
	chk_access_cache_release(&cache);
	chk_result_release(&r);
	unlink(file);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_eku),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_sigalg),
		cmocka_unit_test(test_keyalg),
		cmocka_unit_test(test_access),
	};
	return cmocka_run_group_tests_name("checks", tests, setup, teardown);
}
