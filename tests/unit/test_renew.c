/*
 * Unit tests: what `renew` asks the CA for (plan/renew.c) - key types, the
 * name union, the signature algorithm, the change report - and the request
 * itself (cert/csr.c) with software keys; rotation.subject in the
 * configuration.  Table-driven; certificates built in memory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "testcert.h"
#include "../../common/util.h"
#include "../../cert/csr.h"
#include "../../plan/config.h"
#include "../../plan/renew.h"

#define DAY 86400L

#define ROT \
	"rotation = {\n" \
	"  name = \"mail-2027\";\n" \
	"  old = \"pkcs11:token=edge;object=mail-2025;type=cert\";\n" \
	"  new = \"file:new.pem\";\n" \
	"  key = \"pkcs11:token=edge;object=mail-2027;type=private\";\n" \
	"%s\n" \
	"};\n"

static EVP_PKEY *rsa2048, *ec256;

static int
setup(void **state)
{
	(void)state;
	rsa2048 = tc_key(0);
	ec256 = tc_key(1);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(ec256);
	return 0;
}

/* A configuration of ROT (rotation_extra inside it) and rest; fails the test
 * when it does not load. */
static struct plan_config *
config(const char *rotation_extra, const char *rest)
{
	struct plan_config *cfg = NULL;
	struct cr_err err;
	char *text = cr_xasprintf(ROT "%s", rotation_extra, rest);

	if (plan_config_parse(text, "certrotate.cfg", ".", &cfg, &err) != CR_OK)
		fail_msg("config: %s", err.msg);
	free(text);
	return cfg;
}

static X509 *
old_cert(EVP_PKEY *key, const char *san)
{
	struct tc_spec s = { "/C=US/O=Contoso/CN=mail.contoso.com", san, "serverAuth", -DAY,
	    20 * DAY, EVP_sha1(), 0, 0 };

	return tc_cert(&s, key, NULL, NULL);
}

static void
expect_list(char *const *v, size_t n, const char *want, const char *what)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		cr_buf_addf(&b, "%s%s", i ? " " : "", v[i]);
	if (strcmp(cr_buf_str(&b), want) != 0)
		fail_msg("%s: got '%s', expected '%s'", what, cr_buf_str(&b), want);
	cr_buf_release(&b);
}

/* ---- key types --------------------------------------------------------------- */

static void
test_keytype_parse(void **state)
{
	static const struct {
		const char *in, *spec;
	} t[] = {
		{ "rsa:2048", "rsa:2048" }, { "RSA:3072", "rsa:3072" }, { "rsa:4096", "rsa:4096" },
		{ "ec:prime256v1", "ec:prime256v1" }, { "EC:P-256", "ec:prime256v1" },
		{ "ec:secp256r1", "ec:prime256v1" }, { "ec:secp384r1", "ec:secp384r1" },
		{ "ec:P-384", "ec:secp384r1" },
		{ "rsa:1024", NULL }, { "rsa:2047", NULL }, { "rsa", NULL }, { "ec", NULL },
		{ "ec:secp521r1", NULL }, { "ed25519", NULL }, { "", NULL }, { "rsa:2048 ", NULL },
		{ "ec:P-256xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const struct plan_keytype *k = NULL;
		struct cr_err err;
		int r = plan_keytype_parse(t[i].in, &k, &err);

		if (t[i].spec == NULL) {
			if (r != CR_EINPUT || k != NULL || strstr(err.msg, "unknown key type") == NULL)
				fail_msg("'%s' accepted", t[i].in);
		} else if (r != CR_OK || strcmp(k->spec, t[i].spec) != 0) {
			fail_msg("'%s': got %s", t[i].in, r == CR_OK ? k->spec : err.msg);
		}
	}
}

static void
test_keytype_choice(void **state)
{
	static const struct {
		const char *hosts;	/* hosts = ( ... ) body */
		int old;		/* 0 RSA 2048, 1 EC P-256, 2 RSA 1024 */
		const char *asked;	/* --key-type or NULL */
		int status;
		const char *want;	/* spec chosen, or message substring */
		enum plan_key_choice how;
	} t[] = {
		/* no constraint: as the old certificate */
		{ "{ name = \"a\"; }", 0, NULL, CR_OK, "rsa:2048", PLAN_KEY_AS_OLD },
		{ "{ name = \"a\"; }", 1, NULL, CR_OK, "ec:prime256v1", PLAN_KEY_AS_OLD },
		{ "{ name = \"a\"; }", 0, "ec:secp384r1", CR_OK, "ec:secp384r1", PLAN_KEY_ASKED },
		/* accepted by every host */
		{ "{ name = \"a\"; accepts = { key = [ \"rsa:1024-4096\" ]; }; }, { name = \"b\"; "
		  "accepts = { key = [ \"rsa\", \"ec\" ]; }; }", 0, NULL, CR_OK, "rsa:2048",
		  PLAN_KEY_AS_OLD },
		/* the old size refused: the next larger of the same algorithm */
		{ "{ name = \"a\"; accepts = { key = [ \"rsa:3072-4096\" ]; }; }", 0, NULL, CR_OK,
		  "rsa:3072", PLAN_KEY_OTHER },
		/* an old key renew does not generate: the nearest larger */
		{ "{ name = \"a\"; }", 2, NULL, CR_OK, "rsa:2048", PLAN_KEY_OTHER },
		/* the old algorithm refused: the other one */
		{ "{ name = \"a\"; accepts = { key = [ \"ec:P-384\" ]; }; }", 0, NULL, CR_OK,
		  "ec:secp384r1", PLAN_KEY_OTHER },
		{ "{ name = \"a\"; accepts = { key = [ \"rsa:2048\" ]; }; }", 1, NULL, CR_OK,
		  "rsa:2048", PLAN_KEY_OTHER },
		/* refusals name the hosts and what they accept */
		{ "{ name = \"cas2\"; accepts = { key = [ \"rsa:2048\" ]; }; }, { name = \"web\"; }", 0,
		  "ec:prime256v1", CR_EBLOCK,
		  "key type ec:prime256v1 is not accepted by host 'cas2' (accepts.key: rsa:2048)", 0 },
		{ "{ name = \"a\"; accepts = { key = [ \"rsa:2048\" ]; }; }, { name = \"b\"; "
		  "accepts = { key = [ \"ec\" ]; }; }", 0, NULL, CR_EBLOCK,
		  "is accepted by every host: host 'a' (accepts.key: rsa:2048), host 'b' "
		  "(accepts.key: ec)", 0 },
		{ "{ name = \"a\"; accepts = { key = [ \"ed25519\" ]; }; }", 0, NULL, CR_EBLOCK,
		  "no key type renew can generate", 0 },
	};
	EVP_PKEY *rsa1024 = EVP_RSA_gen(1024);
	EVP_PKEY *keys[3] = { rsa2048, ec256, rsa1024 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *hosts = cr_xasprintf("hosts = ( %s );\n", t[i].hosts);
		struct plan_config *cfg = config("", hosts);
		X509 *old = old_cert(keys[t[i].old], "DNS:mail.contoso.com");
		const struct plan_keytype *asked = NULL, *got = NULL;
		enum plan_key_choice how = PLAN_KEY_ASKED;
		struct cr_err err;
		int r;

		if (t[i].asked != NULL)
			assert_int_equal(plan_keytype_parse(t[i].asked, &asked, &err), CR_OK);
		cr_err_clear(&err);
		r = plan_renew_keytype(cfg, old, asked, &got, &how, &err);
		if (r != t[i].status)
			fail_msg("case %zu: status %d (%s)", i, r, err.msg);
		if (r == CR_OK && (strcmp(got->spec, t[i].want) != 0 || how != t[i].how))
			fail_msg("case %zu: got %s (%d), expected %s (%d)", i, got->spec, how,
			    t[i].want, t[i].how);
		if (r != CR_OK && strstr(err.msg, t[i].want) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, t[i].want);
		X509_free(old);
		plan_config_free(cfg);
		free(hosts);
	}
	EVP_PKEY_free(rsa1024);
}

/* ---- names ------------------------------------------------------------------ */

static void
test_names(void **state)
{
	static const struct {
		const char *services;
		int status;
		const char *dns, *ips;	/* expected (space-separated), or the message */
	} t[] = {
		/* union, lower case, trailing dot, each once, sorted */
		{ "{ name = \"owa\"; host = \"h\"; names = [ \"Mail.Contoso.com\", \"autodiscover."
		  "contoso.com\" ]; },\n{ name = \"smtp\"; host = \"h\"; names = [ \"mail.contoso.com.\","
		  " \"MAIL.CONTOSO.COM\", \"smtp.contoso.com\" ]; }", CR_OK,
		  "autodiscover.contoso.com mail.contoso.com smtp.contoso.com", "" },
		/* seed 003: two certificates' names, one request */
		{ "{ name = \"web\"; host = \"h\"; names = [ \"remote.contoso.com\" ]; },\n"
		  "{ name = \"edgesync\"; host = \"h\"; names = [ \"EBS01.contoso.local\", \"ebs01\" ]; }",
		  CR_OK, "ebs01 ebs01.contoso.local remote.contoso.com", "" },
		/* wildcards kept as written; IP addresses apart, canonical */
		{ "{ name = \"a\"; host = \"h\"; names = [ \"*.Contoso.com\", \"10.0.0.5\", "
		  "\"010.0.0.5\" ]; },\n{ name = \"b\"; host = \"h\"; names = "
		  "[ \"10.0.0.5\", \"192.0.2.1\" ]; }", CR_OK, "*.contoso.com 010.0.0.5",
		  "10.0.0.5 192.0.2.1" },
		/* a service without names adds none */
		{ "{ name = \"a\"; host = \"h\"; },\n{ name = \"b\"; host = \"h\"; names = "
		  "[ \"x.contoso.com\" ]; }", CR_OK, "x.contoso.com", "" },
		{ "{ name = \"a\"; host = \"h\"; }", CR_EINPUT, "no service lists names", NULL },
		/* a name that is not ASCII is a configuration error now (test_config) */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *rest = cr_xasprintf("hosts = ( { name = \"h\"; } );\nservices = ( %s );\n",
		    t[i].services);
		struct plan_config *cfg = config("", rest);
		char **dns = NULL, **ips = NULL;
		size_t nd = 0, ni = 0;
		struct cr_err err;
		int r = plan_renew_names(cfg, &dns, &nd, &ips, &ni, &err);

		if (r != t[i].status)
			fail_msg("case %zu: status %d (%s)", i, r, err.msg);
		if (r == CR_OK) {
			expect_list(dns, nd, t[i].dns, "dns");
			expect_list(ips, ni, t[i].ips, "ips");
		} else if (strstr(err.msg, t[i].dns) == NULL || dns != NULL || ips != NULL) {
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, t[i].dns);
		}
		plan_renew_strv_free(dns, nd);
		plan_renew_strv_free(ips, ni);
		plan_config_free(cfg);
		free(rest);
	}
}

/* ---- the signature algorithm -------------------------------------------------- */

static void
test_sigalg(void **state)
{
	static const struct {
		const char *hosts;
		const char *key;
		const char *sig;	/* OpenSSL long name of the choice */
		int sha1, conflict;
	} t[] = {
		{ "{ name = \"a\"; }", "rsa:2048", "sha256WithRSAEncryption", 0, 0 },
		{ "{ name = \"a\"; }", "ec:prime256v1", "ecdsa-with-SHA256", 0, 0 },
		{ "{ name = \"a\"; }", "ec:secp384r1", "ecdsa-with-SHA384", 0, 0 },
		/* SHA-1 only when a host accepts nothing else */
		{ "{ name = \"a\"; accepts = { signature = [ \"sha1WithRSAEncryption\" ]; }; }",
		  "rsa:2048", "sha1WithRSAEncryption", 1, 0 },
		{ "{ name = \"a\"; accepts = { signature = [ \"sha1WithRSAEncryption\", "
		  "\"sha256WithRSAEncryption\" ]; }; }", "rsa:2048", "sha256WithRSAEncryption", 0, 0 },
		/* the digest counts, not the key: the CA's key signs the certificate */
		{ "{ name = \"a\"; accepts = { signature = [ \"RSA-SHA1\" ]; }; }", "ec:prime256v1",
		  "ecdsa-with-SHA1", 1, 0 },
		{ "{ name = \"a\"; accepts = { signature = [ \"ecdsa-with-SHA384\" ]; }; }", "rsa:3072",
		  "sha384WithRSAEncryption", 0, 0 },
		{ "{ name = \"a\"; accepts = { signature = [ \"1.2.840.113549.1.1.13\" ]; }; }",
		  "rsa:2048", "sha512WithRSAEncryption", 0, 0 },
		/* any case, as the sigalg check compares */
		{ "{ name = \"a\"; accepts = { signature = [ \"SHA384WITHRSAENCRYPTION\" ]; }; }",
		  "rsa:2048", "sha384WithRSAEncryption", 0, 0 },
		/* an entry without a digest constrains nothing */
		{ "{ name = \"a\"; accepts = { signature = [ \"RSASSA-PSS\" ]; }; }", "rsa:2048",
		  "sha256WithRSAEncryption", 0, 0 },
		/* two hosts, one common digest */
		{ "{ name = \"a\"; accepts = { signature = [ \"sha1WithRSAEncryption\", "
		  "\"sha384WithRSAEncryption\" ]; }; }, { name = \"b\"; accepts = { signature = "
		  "[ \"sha384WithRSAEncryption\", \"sha256WithRSAEncryption\" ]; }; }", "rsa:2048",
		  "sha384WithRSAEncryption", 0, 0 },
		/* none in common: the default, and said so */
		{ "{ name = \"a\"; accepts = { signature = [ \"sha1WithRSAEncryption\" ]; }; }, "
		  "{ name = \"b\"; accepts = { signature = [ \"sha256WithRSAEncryption\" ]; }; }",
		  "rsa:2048", "sha256WithRSAEncryption", 0, 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *hosts = cr_xasprintf("hosts = ( %s );\n", t[i].hosts);
		struct plan_config *cfg = config("", hosts);
		const struct plan_keytype *k = NULL;
		struct plan_sigchoice sc;
		struct cr_err err;

		assert_int_equal(plan_keytype_parse(t[i].key, &k, &err), CR_OK);
		plan_renew_sigalg(cfg, k, &sc);
		if (sc.sig_nid == NID_undef || strcmp(OBJ_nid2ln(sc.sig_nid), t[i].sig) != 0 ||
		    sc.sha1 != t[i].sha1 || sc.conflict != t[i].conflict)
			fail_msg("case %zu: got %s sha1=%d conflict=%d", i,
			    sc.sig_nid != NID_undef ? OBJ_nid2ln(sc.sig_nid) : "none", sc.sha1,
			    sc.conflict);
		plan_config_free(cfg);
		free(hosts);
	}
}

/* ---- against the old certificate ------------------------------------------------ */

static void
test_diff(void **state)
{
	static const struct {
		const char *old_san;	/* NULL: none (CN only) */
		const char *dns, *ips;	/* the request's names (space-separated) */
		const char *dropped, *gained;
	} t[] = {
		{ "DNS:mail.contoso.com,DNS:autodiscover.contoso.com,DNS:legacy.contoso.com,"
		  "DNS:cas01.contoso.local", "autodiscover.contoso.com mail.contoso.com "
		  "smtp.contoso.com", "", "legacy.contoso.com cas01.contoso.local",
		  "smtp.contoso.com" },
		/* case and a trailing dot in the old SAN are no change */
		{ "DNS:Mail.Contoso.COM.,DNS:mail.contoso.com", "mail.contoso.com", "", "", "" },
		/* a name the old wildcard covered was not broken; the wildcard itself goes */
		{ "DNS:*.contoso.com", "mail.contoso.com", "", "*.contoso.com", "" },
		/* addresses: the old iPAddress kept or dropped, a DNS-only old lacks the new one */
		{ "DNS:mail.contoso.com,IP:10.0.0.5,IP:2001:db8::5", "mail.contoso.com", "10.0.0.5",
		  "2001:db8::5", "" },
		{ "DNS:mail.contoso.com", "mail.contoso.com", "10.0.0.5", "", "10.0.0.5" },
		/* no SAN: the CN covered the name, nothing is dropped */
		{ NULL, "mail.contoso.com www.contoso.com", "", "", "www.contoso.com" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *d = cr_xstrdup(t[i].dns), *p = cr_xstrdup(t[i].ips), *s, *save = NULL;
		char *dv[8], *pv[8], **dropped = NULL, **gained = NULL;
		size_t nd = 0, np = 0, ndr = 0, ng = 0;
		X509 *old = old_cert(rsa2048, t[i].old_san);

		for (s = strtok_r(d, " ", &save); s != NULL; s = strtok_r(NULL, " ", &save))
			dv[nd++] = s;
		save = NULL;
		for (s = strtok_r(p, " ", &save); s != NULL; s = strtok_r(NULL, " ", &save))
			pv[np++] = s;
		plan_renew_diff(old, dv, nd, pv, np, &dropped, &ndr, &gained, &ng);
		expect_list(dropped, ndr, t[i].dropped, "dropped");
		expect_list(gained, ng, t[i].gained, "gained");
		plan_renew_strv_free(dropped, ndr);
		plan_renew_strv_free(gained, ng);
		X509_free(old);
		free(d);
		free(p);
	}
}

/* The whole decision: notes and what the CA must honour. */
static void
test_prepare(void **state)
{
	struct plan_config *cfg = config("", "hosts = ( { name = \"cas2\"; accepts = { signature = "
	    "[ \"sha1WithRSAEncryption\" ]; key = [ \"rsa:3072\" ]; }; }, { name = \"web\"; } );\n"
	    "services = ( { name = \"owa\"; host = \"cas2\"; names = [ \"mail.contoso.com\" ]; } );\n");
	X509 *old = old_cert(rsa2048, "DNS:mail.contoso.com,DNS:old.contoso.com");
	struct plan_renew *r = NULL;
	struct cr_err err;

	(void)state;
	if (plan_renew_prepare(cfg, old, NULL, &r, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_string_equal(r->key->spec, "rsa:3072");
	assert_int_equal(r->key_how, PLAN_KEY_OTHER);
	assert_string_equal(r->old_key, "RSA 2048");
	assert_string_equal(r->sig_name, "sha1WithRSAEncryption");
	assert_string_equal(r->sig_oid, "1.2.840.113549.1.1.5");
	expect_list(r->dropped, r->ndropped, "old.contoso.com", "dropped");
	expect_list(r->gained, r->ngained, "", "gained");
	assert_int_equal(r->nhonour, 1);
	assert_string_equal(r->honour[0].host->name, "cas2");
	assert_int_equal(r->honour[0].sha1_only, 1);
	assert_non_null(strstr(r->honour[0].message, "host 'cas2' validates only "
	    "sha1WithRSAEncryption: the CA must sign the new certificate (and any intermediate "
	    "sent with it) with it, or 'cas2' breaks - SHA-1"));
	assert_int_equal(r->nnotes, 2);
	assert_string_equal(r->notes[0], "the old certificate's key (RSA 2048) is not accepted "
	    "by every host: RSA 3072 chosen, the nearest every host accepts");
	assert_non_null(strstr(r->notes[1], "the request is signed with sha1WithRSAEncryption "
	    "because 'cas2' accepts no other digest: the CA must sign the certificate with SHA-1"));
	plan_renew_free(r);

	/* a refusal allocates nothing and says so */
	r = NULL;
	{
		const struct plan_keytype *k = NULL;

		assert_int_equal(plan_keytype_parse("ec:prime256v1", &k, &err), CR_OK);
		assert_int_equal(plan_renew_prepare(cfg, old, k, &r, &err), CR_EBLOCK);
		assert_null(r);
		assert_non_null(strstr(err.msg, "host 'cas2' (accepts.key: rsa:3072)"));
	}
	X509_free(old);
	plan_config_free(cfg);
}

/* ---- rotation.subject and the request --------------------------------------------- */

static char *
name_line(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *s;
	long len;

	X509_NAME_print_ex(b, n, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
	len = BIO_get_mem_data(b, &data);
	s = cr_xstrndup(data, (size_t)len);
	BIO_free(b);
	return s;
}

static void
test_subject(void **state)
{
	static const struct {
		const char *text;
		const char *want;	/* OpenSSL's one-line form (encoded order), or NULL: refused */
	} t[] = {
		{ "CN=mail.contoso.com, O=Contoso, C=US", "C = US, O = Contoso, CN = mail.contoso.com" },
		{ "CN=mail.contoso.com, O=\"Contoso, Ltd\", S=Bayern, E=pki@contoso.com, C=DE",
		  "C = DE, emailAddress = pki@contoso.com, ST = Bayern, O = \"Contoso, Ltd\", "
		  "CN = mail.contoso.com" },
		{ "CN=a + OU=b, O=c", "O = c, CN = a + OU = b" },
		{ "OID.2.5.4.3=x, DC=contoso, DC=com", "DC = com, DC = contoso, CN = x" },
		{ "CN=x, C=USA", NULL },
		{ "", NULL },
		{ "CN=x, Foo=y", NULL },
		{ "CN=\"unterminated", NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		X509_NAME *n = NULL;
		struct cr_err err;
		int r = crt_name_from_text(t[i].text, &n, &err);

		if (t[i].want == NULL) {
			if (r != CR_EINPUT || n != NULL)
				fail_msg("'%s' accepted", t[i].text);
			continue;
		}
		if (r != CR_OK)
			fail_msg("'%s': %s", t[i].text, err.msg);
		{
			char *line = name_line(n);

			if (strcmp(line, t[i].want) != 0)
				fail_msg("'%s': got '%s', expected '%s'", t[i].text, line, t[i].want);
			free(line);
		}
		X509_NAME_free(n);
	}
}

static void
test_config_subject(void **state)
{
	struct plan_config *cfg = NULL;
	struct cr_err err;
	char *text;

	(void)state;
	cfg = config("  subject = \"CN=mail.contoso.com, O=Contoso Ltd, C=US\";", "");
	assert_string_equal(cfg->rotation.subject, "CN=mail.contoso.com, O=Contoso Ltd, C=US");
	assert_int_equal(cfg->rotation.subject_loc.line, 6);
	plan_config_free(cfg);
	cfg = config("", "");
	assert_null(cfg->rotation.subject);
	plan_config_free(cfg);
	cfg = NULL;
	text = cr_xasprintf(ROT, "  subject = \"CN=x, C=USA\";");
	assert_int_equal(plan_config_parse(text, "certrotate.cfg", ".", &cfg, &err), CR_EINPUT);
	assert_non_null(strstr(err.msg, "certrotate.cfg:6: rotation.subject: bad subject "
	    "'CN=x, C=USA': C='USA' cannot be encoded"));
	free(text);
}

/* The SAN's general names of a request, as "DNS:x" / "IP:10.0.0.5" joined by spaces. */
static char *
req_san(X509_REQ *req)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	GENERAL_NAMES *gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	struct cr_buf b = CR_BUF_INIT;
	int i;

	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *s = g->type == GEN_DNS ? g->d.dNSName : g->d.iPAddress;
		char buf[64];

		if (g->type == GEN_DNS)
			snprintf(buf, sizeof(buf), "DNS:%.*s", ASN1_STRING_length(s),
			    (const char *)ASN1_STRING_get0_data(s));
		else
			snprintf(buf, sizeof(buf), "IP:%d", ASN1_STRING_length(s));
		cr_buf_addf(&b, "%s%s", i ? " " : "", buf);
	}
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return cr_buf_detach(&b);
}

/* A software signer (crt_signer) over the EVP_PKEY arg: what the token does. */
static int
sw_sign(void *arg, const EVP_MD *md, const unsigned char *tbs, size_t len, unsigned char **sig,
    size_t *siglen, struct cr_err *err)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int r = CR_EENV;

	*sig = NULL;
	if (EVP_DigestSignInit(m, NULL, md, NULL, arg) == 1 &&
	    EVP_DigestSign(m, NULL, siglen, tbs, len) == 1) {
		*sig = cr_xmalloc(*siglen);
		if (EVP_DigestSign(m, *sig, siglen, tbs, len) == 1)
			r = CR_OK;
	}
	EVP_MD_CTX_free(m);
	if (r != CR_OK) {
		free(*sig);
		*sig = NULL;
		return cr_err_setr(err, CR_EENV, CR_R_TOKEN, "cannot sign with the test key");
	}
	return CR_OK;
}

/* A signer that fails, as a token refusing C_Sign. */
static int
no_sign(void *arg, const EVP_MD *md, const unsigned char *tbs, size_t len, unsigned char **sig,
    size_t *siglen, struct cr_err *err)
{
	(void)arg, (void)md, (void)tbs, (void)len;
	*sig = NULL;
	*siglen = 0;
	return cr_err_setr(err, CR_EENV, CR_R_TOKEN, "cannot sign with key 'x' on token 'edge': "
	    "CKR_DEVICE_ERROR");
}

static void
test_csr(void **state)
{
	char *dns[] = { "autodiscover.contoso.com", "mail.contoso.com" };
	char *ips[] = { "10.0.0.5", "2001:db8::5" };
	char *bad_dns[] = { "b\xc3\xbc" "cher.de" }, *bad_ip[] = { "10.0.0.300" };
	struct crt_csr_spec spec = { NULL, dns, 2, ips, 2, EVP_sha256() };
	X509_NAME *subj = NULL;
	X509_REQ *req = NULL;
	struct cr_err err;
	size_t len = 0;
	char *san, *pem;
	EVP_PKEY *keys[2] = { rsa2048, ec256 };
	const char *algs[2] = { "sha256WithRSAEncryption", "ecdsa-with-SHA256" };
	size_t k;

	(void)state;
	assert_int_equal(crt_name_from_text("CN=mail.contoso.com, O=Contoso, C=US", &subj, &err),
	    CR_OK);
	spec.subject = subj;
	for (k = 0; k < 2; k++) {
		struct crt_signer sw = { sw_sign, keys[k] };

		if (crt_csr_make(&spec, keys[k], &sw, &req, &err) != CR_OK)
			fail_msg("%s", err.msg);
		assert_int_equal(X509_REQ_verify(req, keys[k]), 1);
		assert_string_equal(OBJ_nid2ln(X509_REQ_get_signature_nid(req)), algs[k]);
		san = req_san(req);
		assert_string_equal(san, "DNS:autodiscover.contoso.com DNS:mail.contoso.com IP:4 IP:16");
		free(san);
		pem = crt_csr_pem(req, &len);
		assert_non_null(pem);
		assert_int_equal(strlen(pem), len);
		assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE REQUEST-----"));
		{
			/* as a CA reads it: parses, verifies, the signature whole bytes */
			BIO *b = BIO_new_mem_buf(pem, (int)len);
			X509_REQ *back = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
			const ASN1_BIT_STRING *psig = NULL;
			const X509_ALGOR *palg = NULL;
			const ASN1_OBJECT *oid = NULL;
			int ptype = -1;

			assert_non_null(back);
			assert_int_equal(X509_REQ_verify(back, keys[k]), 1);
			X509_REQ_get0_signature(back, &psig, &palg);
			assert_int_equal(psig->flags & 0x07, 0);
			X509_ALGOR_get0(&oid, &ptype, NULL, palg);
			/* RSA: NULL parameters (RFC 4055); ECDSA: none (RFC 5758) */
			assert_int_equal(ptype, k == 0 ? V_ASN1_NULL : V_ASN1_UNDEF);
			X509_REQ_free(back);
			BIO_free(b);
		}
		free(pem);
		{
			STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
			EXTENDED_KEY_USAGE *eku = X509V3_get_d2i(exts, NID_ext_key_usage, NULL, NULL);
			int crit = -1;
			ASN1_BIT_STRING *ku = X509V3_get_d2i(exts, NID_key_usage, &crit, NULL);

			assert_non_null(eku);
			assert_int_equal(sk_ASN1_OBJECT_num(eku), 1);
			assert_int_equal(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)), NID_server_auth);
			assert_non_null(ku);
			assert_int_equal(crit, 1);
			assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 0), 1);	/* digitalSignature */
			assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 2), 0);	/* keyEncipherment */
			EXTENDED_KEY_USAGE_free(eku);
			ASN1_BIT_STRING_free(ku);
			sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
		}
		X509_REQ_free(req);
		req = NULL;
	}
	/* ECDSA signatures differ each time: every one a BIT STRING of whole
	   bytes (else DER counts a last byte's trailing zero bits as unused) */
	for (k = 0; k < 16; k++) {
		struct crt_signer sw = { sw_sign, ec256 };
		unsigned char *der = NULL, *p;
		const unsigned char *q;
		X509_REQ *back;
		const ASN1_BIT_STRING *psig = NULL;
		int n;

		if (crt_csr_make(&spec, ec256, &sw, &req, &err) != CR_OK)
			fail_msg("%s", err.msg);
		n = i2d_X509_REQ(req, NULL);
		der = p = cr_xmalloc((size_t)n);
		assert_int_equal(i2d_X509_REQ(req, &p), n);
		q = der;
		back = d2i_X509_REQ(NULL, &q, n);
		assert_non_null(back);
		X509_REQ_get0_signature(back, &psig, NULL);
		assert_int_equal(psig->flags & 0x07, 0);
		assert_int_equal(X509_REQ_verify(back, ec256), 1);
		X509_REQ_free(back);
		free(der);
		X509_REQ_free(req);
		req = NULL;
	}
	/* a signer that is not the public key's: refused here, not at the CA */
	{
		struct crt_signer wrong = { sw_sign, ec256 }, failing = { no_sign, NULL };
		const EVP_MD *md = spec.md;

		assert_int_equal(crt_csr_make(&spec, rsa2048, &wrong, &req, &err), CR_EENV);
		assert_null(req);
		assert_non_null(strstr(err.msg, "does not verify with the new public key"));
		/* a signer that fails: its status and message */
		assert_int_equal(crt_csr_make(&spec, rsa2048, &failing, &req, &err), CR_EENV);
		assert_null(req);
		assert_string_equal(err.msg, "cannot sign with key 'x' on token 'edge': "
		    "CKR_DEVICE_ERROR");
		/* a digest no signature algorithm combines with the key */
		spec.md = EVP_md5_sha1();
		assert_int_equal(crt_csr_make(&spec, ec256, &wrong, &req, &err), CR_EINPUT);
		assert_null(req);
		assert_non_null(strstr(err.msg, "no signature algorithm combines"));
		spec.md = md;
	}
	/* names a request cannot carry */
	{
		struct crt_signer sw = { sw_sign, rsa2048 };

		spec.dns = bad_dns;
		spec.ndns = 1;
		assert_int_equal(crt_csr_make(&spec, rsa2048, &sw, &req, &err), CR_EINPUT);
		assert_non_null(strstr(err.msg, "write it in ASCII"));
		spec.dns = dns;
		spec.ips = bad_ip;
		spec.nips = 1;
		assert_int_equal(crt_csr_make(&spec, rsa2048, &sw, &req, &err), CR_EINPUT);
	}
	assert_non_null(strstr(err.msg, "'10.0.0.300' is not an IP address"));
	assert_null(req);
	X509_NAME_free(subj);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keytype_parse),
		cmocka_unit_test(test_keytype_choice),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_sigalg),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_prepare),
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_config_subject),
		cmocka_unit_test(test_csr),
	};

	return cmocka_run_group_tests_name("renew", tests, setup, teardown);
}
