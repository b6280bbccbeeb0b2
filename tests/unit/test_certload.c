/*
 * Unit tests: loading certificates from files and directories, and what
 * crt_info_get says of them (cert/load.c, cert/info.c).  Inputs are made
 * here with OpenSSL into a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>

#include "testcert.h"
#include "../../cert/cert.h"
#include "../../cert/dn.h"
#include "../../common/util.h"
#include "../../common/fsutil.h"

#define DAY 86400L

static struct {
	char dir[64];
	EVP_PKEY *ca_key, *leaf_key;
	X509 *ca, *leaf, *other;
	unsigned char *der;
	int derlen;
} G;

static void
write_file(const char *name, const void *data, size_t len)
{
	char *path = cr_xasprintf("%s/%s", G.dir, name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static void
write_str(const char *name, const char *s)
{
	write_file(name, s, strlen(s));
}

static void
write_pem(const char *name, EVP_PKEY *key, X509 *const *certs, int n)
{
	char *path = cr_xasprintf("%s/%s", G.dir, name);
	FILE *f = fopen(path, "w");
	int i;

	assert_non_null(f);
	if (key != NULL)
		assert_true(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL));
	for (i = 0; i < n; i++)
		assert_true(PEM_write_X509(f, certs[i]));
	assert_int_equal(fclose(f), 0);
	free(path);
}

static void
write_p12(const char *name, const char *pass, int with_key)
{
	STACK_OF(X509) *ca = sk_X509_new_null();
	PKCS12 *p12;
	unsigned char *der = NULL;
	int len;

	sk_X509_push(ca, G.ca);
	if (with_key)
		p12 = PKCS12_create(pass, "mail", G.leaf_key, G.leaf, ca, 0, 0, 0, 0, 0);
	else
		p12 = PKCS12_create(pass, "mail", NULL, G.leaf, ca, 0, 0, 0, 0, 0);
	assert_non_null(p12);
	len = i2d_PKCS12(p12, &der);
	assert_true(len > 0);
	write_file(name, der, (size_t)len);
	OPENSSL_free(der);
	PKCS12_free(p12);
	sk_X509_free(ca);
}

/* As Windows and OpenSSL 1.x exported: certificates under RC2-40, the key under 3DES. */
static void
write_p12_legacy(const char *name, const char *pass)
{
	OSSL_LIB_CTX *lctx = OSSL_LIB_CTX_new();
	OSSL_PROVIDER *def = OSSL_PROVIDER_load(lctx, "default");
	OSSL_PROVIDER *leg = OSSL_PROVIDER_load(lctx, "legacy");
	STACK_OF(X509) *ca = sk_X509_new_null();
	PKCS12 *p12;
	unsigned char *der = NULL;
	int len;

	assert_non_null(leg);
	sk_X509_push(ca, G.ca);
	p12 = PKCS12_create_ex(pass, "mail", G.leaf_key, G.leaf, ca,
	    NID_pbe_WithSHA1And3_Key_TripleDES_CBC, NID_pbe_WithSHA1And40BitRC2_CBC, 0, 0, 0,
	    lctx, NULL);
	assert_non_null(p12);
	len = i2d_PKCS12(p12, &der);
	assert_true(len > 0);
	write_file(name, der, (size_t)len);
	OPENSSL_free(der);
	PKCS12_free(p12);
	sk_X509_free(ca);
	OSSL_PROVIDER_unload(leg);
	OSSL_PROVIDER_unload(def);
	OSSL_LIB_CTX_free(lctx);
}

/* The key's certificate after another one: the leaf is found by localKeyID. */
static void
write_p12_ca_first(const char *name, const char *pass)
{
	STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
	STACK_OF(PKCS7) *safes = NULL;
	PKCS12_SAFEBAG *bag;
	PKCS12 *p12;
	unsigned char *der = NULL;
	int len;

	assert_non_null(PKCS12_add_cert(&bags, G.ca));
	assert_non_null(bag = PKCS12_add_cert(&bags, G.leaf));
	assert_true(PKCS12_add_localkeyid(bag, (unsigned char *)"k1", 2));
	assert_true(PKCS12_add_safe(&safes, bags, -1, 0, pass));
	sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	bags = NULL;
	assert_non_null(bag = PKCS12_add_key(&bags, G.leaf_key, 0, 0, -1, pass));
	assert_true(PKCS12_add_localkeyid(bag, (unsigned char *)"k1", 2));
	assert_true(PKCS12_add_safe(&safes, bags, -1, 0, NULL));
	sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	assert_non_null(p12 = PKCS12_add_safes(safes, 0));
	sk_PKCS7_pop_free(safes, PKCS7_free);
	assert_true(PKCS12_set_mac(p12, pass, -1, NULL, 0, 0, NULL));
	len = i2d_PKCS12(p12, &der);
	assert_true(len > 0);
	write_file(name, der, (size_t)len);
	OPENSSL_free(der);
	PKCS12_free(p12);
}

/* bytes in a PEM armour, as PEM_write_bio does it; appended to *b */
static void
armour(struct cr_buf *b, const unsigned char *p, size_t n)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;

	assert_true(PEM_write_bio(bio, "CERTIFICATE", "", p, (long)n));
	len = BIO_get_mem_data(bio, &data);
	cr_buf_add(b, data, (size_t)len);
	BIO_free(bio);
}

/*
 * Truncated DER inside PEM: the whole leaf's PEM first (so that the cut
 * block starts at line `line`), then its first `cut` DER bytes armoured.
 */
static void
write_pem_cut(const char *name, int after_good, size_t cut, size_t *line)
{
	struct cr_buf b = CR_BUF_INIT;
	const char *s;

	if (after_good)
		armour(&b, G.der, (size_t)G.derlen);
	*line = 1;
	for (s = cr_buf_str(&b); *s; s++)
		if (*s == '\n')
			(*line)++;
	armour(&b, G.der, cut);
	write_str(name, cr_buf_str(&b));
	cr_buf_release(&b);
}

static int
setup(void **state)
{
	struct tc_spec ca = { "/C=US/O=Contoso/CN=Contoso Issuing CA 1", NULL, NULL, -DAY, 1000 * DAY, NULL, 0, 1 };
	struct tc_spec leaf = { "/C=US/O=Contoso, Ltd/CN=mail.contoso.com",
	    "DNS:mail.contoso.com,DNS:*.contoso.com,IP:10.0.0.5,IP:2001:db8::5,email:pki@contoso.com,URI:https://contoso.com/",
	    "serverAuth,clientAuth,1.2.3.4.5", -DAY, 365 * DAY, NULL, 0, 0 };
	struct tc_spec other = { "/CN=other.example", NULL, NULL, -DAY, 30 * DAY, EVP_sha384(), 1, 0 };
	EVP_PKEY *ec = tc_key(1);
	X509 *pair[2];

	(void)state;
	snprintf(G.dir, sizeof(G.dir), "/tmp/crt-load-XXXXXX");
	assert_non_null(mkdtemp(G.dir));
	G.ca_key = tc_key(0);
	G.leaf_key = tc_key(0);
	G.ca = tc_cert(&ca, G.ca_key, NULL, NULL);
	G.leaf = tc_cert(&leaf, G.leaf_key, G.ca, G.ca_key);
	G.other = tc_cert(&other, ec, NULL, NULL);
	EVP_PKEY_free(ec);
	G.derlen = i2d_X509(G.leaf, &G.der);

	pair[0] = G.leaf;
	pair[1] = G.ca;
	write_pem("chain.pem", NULL, pair, 2);
	write_pem("keyfirst.pem", G.leaf_key, pair, 1);
	write_pem("other.crt", NULL, &G.other, 1);
	write_pem("pem-named.cer", NULL, &G.leaf, 1);
	write_file("leaf.der", G.der, (size_t)G.derlen);
	write_file("truncated.der", G.der, (size_t)G.derlen / 2);
	write_file("header-cut.der", G.der, 3);	/* 30 82 xx: the length's 2nd byte missing */
	write_str("garbage.pem", "-----BEGIN CERTIFICATE-----\nthis is !!! not base64\n"
	    "-----END CERTIFICATE-----\n");
	write_str("text.pem", "hello, I am not a certificate\n");
	write_pem("key-only.pem", G.leaf_key, NULL, 0);
	write_str("no-end.pem", "\n\n-----BEGIN CERTIFICATE-----\nMIIB\n");
	write_str("empty.pem", "");
	write_p12("mail.p12", "s3cret", 1);
	write_p12("open.p12", "", 0);
	write_p12_legacy("legacy.pfx", "s3cret");
	write_p12_ca_first("ca-first.p12", "s3cret");
	write_str("pw", "s3cret\n");
	write_str("wrong-pw", "guess\n");
	return 0;
}

static void
rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *p;
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = cr_xasprintf("%s/%s", dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_rf(p);
		else
			unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

static int
teardown(void **state)
{
	(void)state;
	rm_rf(G.dir);
	X509_free(G.ca);
	X509_free(G.leaf);
	X509_free(G.other);
	EVP_PKEY_free(G.ca_key);
	EVP_PKEY_free(G.leaf_key);
	OPENSSL_free(G.der);
	return 0;
}

static int
same(X509 *a, X509 *b)
{
	return X509_cmp(a, b) == 0;
}

static void
test_good_files(void **state)
{
	static const struct { const char *source; const char *leaf; int nchain; } t[] = {
		{ "chain.pem", "leaf", 1 },
		{ "file:chain.pem", "leaf", 1 },
		{ "keyfirst.pem", "leaf", 0 },		/* a key block before the certificate */
		{ "leaf.der", "leaf", 0 },
		{ "pem-named.cer", "leaf", 0 },		/* content decides, not the extension */
		{ "other.crt", "other", 0 },
		{ "mail.p12?pass-source=file:pw", "leaf", 1 },
		{ "file:mail.p12?pass-source=./pw", "leaf", 1 },
		{ "open.p12", "leaf", 1 },		/* no password at all */
		{ "legacy.pfx?pass-source=file:pw", "leaf", 1 },	/* RC2-40: the legacy provider */
		{ "ca-first.p12?pass-source=file:pw", "leaf", 1 },	/* leaf paired by localKeyID */
	};
	struct crt_load_opts opts = { .base_dir = G.dir };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct crt_list l = CRT_LIST_INIT;
		struct cr_err err;
		X509 *want = strcmp(t[i].leaf, "leaf") == 0 ? G.leaf : G.other;

		cr_err_clear(&err);
		if (crt_load(t[i].source, &opts, &l, &err) != CR_OK)
			fail_msg("'%s': %s", t[i].source, err.msg);
		assert_int_equal(l.n, 1);
		assert_true(same(l.v[0]->x509, want));
		assert_int_equal(l.v[0]->chain ? sk_X509_num(l.v[0]->chain) : 0, t[i].nchain);
		if (t[i].nchain)
			assert_true(same(sk_X509_value(l.v[0]->chain, 0), G.ca));
		assert_string_equal(l.v[0]->source, t[i].source);
		assert_null(l.v[0]->token);
		crt_list_release(&l);
	}
}

static void
test_absolute_path_and_load_one(void **state)
{
	char *src = cr_xasprintf("file:%s/leaf.der", G.dir);
	struct crt_cert *c = NULL;
	struct cr_err err;
	unsigned char sha1[20];
	unsigned int n;

	(void)state;
	assert_int_equal(crt_load_one(src, NULL, &c, &err), CR_OK);
	assert_non_null(c);
	X509_digest(G.leaf, EVP_sha1(), sha1, &n);
	assert_memory_equal(c->sha1, sha1, 20);
	crt_cert_free(c);
	free(src);
}

static void
test_bad_files(void **state)
{
	static const struct { const char *source; int status; const char *msg; } t[] = {
		{ "missing.pem", CR_EINPUT, "cannot read 'missing.pem': No such file" },
		{ "file:missing.pem", CR_EINPUT, "cannot read 'missing.pem'" },
		{ "garbage.pem", CR_EINPUT, "cannot read 'garbage.pem': not a certificate (line 1)" },
		{ "text.pem", CR_EINPUT, "cannot read 'text.pem': not a certificate" },
		{ "key-only.pem", CR_EINPUT, "not a certificate (the PEM holds PRIVATE KEY but no CERTIFICATE)" },
		{ "no-end.pem", CR_EINPUT, "not a certificate (line 3): no '-----END CERTIFICATE-----' line" },
		{ "empty.pem", CR_EINPUT, "cannot read 'empty.pem': empty" },
		{ "truncated.der", CR_EINPUT, "cannot read 'truncated.der': truncated DER" },
		{ "header-cut.der", CR_EINPUT,
		  "cannot read 'header-cut.der': truncated DER (3 bytes, cut inside the header)" },
		{ "mail.p12?pass-source=file:wrong-pw", CR_EINPUT,
		  "cannot read 'mail.p12': wrong password or corrupt PKCS#12" },
		{ "mail.p12", CR_EINPUT, "cannot read 'mail.p12': the PKCS#12 needs a password" },
		{ "legacy.pfx?pass-source=file:wrong-pw", CR_EINPUT, "cannot read 'legacy.pfx': wrong password" },
		{ "mail.p12?pass-source=file:no-such-pw", CR_EINPUT, "password for 'mail.p12': cannot read" },
		{ "mail.p12?pass-source=pass:s3cret", CR_EINPUT, "pass-source must be file:PATH" },
		/* a bare word may be the password itself: refused, and never shown */
		{ "mail.p12?pass-source=s3cret", CR_EINPUT, "bad source 'mail.p12?pass-source=***'" },
		{ "mail.p12?pass-source=s3cret&x=1", CR_EINPUT, "'mail.p12?pass-source=***&x=1'" },
		{ "mail.p12?pin=1", CR_EINPUT, "unknown attribute 'pin'" },
		{ ".", CR_EINPUT, "cannot read '.': is a directory" },
		{ "", CR_EINPUT, "empty" },
		{ "file:", CR_EINPUT, "no path" },
		{ "pkcs11:token=edge", CR_EINPUT, "token sources are not accepted here" },
		{ "tls://nohost", CR_EINPUT, "needs a port" },
	};
	struct crt_load_opts opts = { .base_dir = G.dir };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct crt_list l = CRT_LIST_INIT;
		struct cr_err err;
		int r;

		cr_err_clear(&err);
		r = crt_load(t[i].source, &opts, &l, &err);
		if (r != t[i].status || strstr(err.msg, t[i].msg) == NULL)
			fail_msg("'%s': status %d '%s', expected %d '%s'", t[i].source, r, err.msg,
			    t[i].status, t[i].msg);
		/* the password never reaches a message */
		if (strstr(err.msg, "s3cret") != NULL)
			fail_msg("'%s': message '%s' shows the password", t[i].source, err.msg);
		assert_int_equal(l.n, 0);
		crt_list_release(&l);
	}
}

/* Why a file could not be read is a reason, the path as written in the message. */
static void
test_file_reasons(void **state)
{
	static const struct { const char *source; int reason; const char *msg; } t[] = {
		{ "missing.pem", CR_R_NOT_FOUND, "cannot read 'missing.pem': No such file or directory" },
		{ "file:missing.pem", CR_R_NOT_FOUND,
		  "cannot read 'missing.pem': No such file or directory" },
		{ "leaf.der/x.pem", CR_R_NOT_FOUND, "cannot read 'leaf.der/x.pem': Not a directory" },
	};
	struct crt_load_opts opts = { .base_dir = G.dir };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct crt_list l = CRT_LIST_INIT;
		struct cr_err err;

		assert_int_equal(crt_load(t[i].source, &opts, &l, &err), CR_EINPUT);
		if ((int)err.reason != t[i].reason || strcmp(err.msg, t[i].msg) != 0)
			fail_msg("'%s': '%s' (%s)", t[i].source, err.msg, cr_reason_name(err.reason));
		crt_list_release(&l);
	}
}

/* A DER cut short inside PEM says so, as for a raw DER, naming the block's line. */
static void
test_truncated_pem(void **state)
{
	static const struct { const char *name; int after_good; size_t cut; const char *want; } t[] = {
		{ "cut.pem", 0, 300, "truncated DER (300 of %d bytes) in the PEM block at line %zu" },
		{ "cut-second.pem", 1, 300, "truncated DER (300 of %d bytes) in the PEM block at line %zu" },
		{ "cut-header.pem", 0, 3,
		  "truncated DER (3 bytes, cut inside the header) in the PEM block at line %zu" },
	};
	struct crt_load_opts opts = { .base_dir = G.dir };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct crt_list l = CRT_LIST_INIT;
		struct cr_err err;
		char want[256];
		size_t line;
		int r;

		write_pem_cut(t[i].name, t[i].after_good, t[i].cut, &line);
		if (t[i].cut == 3)
			snprintf(want, sizeof(want), t[i].want, line);
		else
			snprintf(want, sizeof(want), t[i].want, G.derlen, line);
		cr_err_clear(&err);
		r = crt_load(t[i].name, &opts, &l, &err);
		if (r != CR_EINPUT || strstr(err.msg, want) == NULL ||
		    strncmp(err.msg, "cannot read '", 13) != 0 || strstr(err.msg, t[i].name) == NULL)
			fail_msg("'%s': status %d '%s', expected '%s'", t[i].name, r, err.msg, want);
		/* OpenSSL's own words for it are no explanation */
		assert_null(strstr(err.msg, "too long"));
		if (t[i].after_good)
			assert_true(line > 1);
		assert_int_equal(l.n, 0);
		crt_list_release(&l);
	}
}

static void
test_parse_buffer(void **state)
{
	struct crt_list l = CRT_LIST_INIT;
	struct cr_err err;
	unsigned char *padded;

	(void)state;
	/* DER with a trailing newline, as some tools write it */
	padded = cr_xmalloc((size_t)G.derlen + 2);
	memcpy(padded, G.der, (size_t)G.derlen);
	padded[G.derlen] = '\r';
	padded[G.derlen + 1] = '\n';
	assert_int_equal(crt_parse_buffer(padded, (size_t)G.derlen + 2, NULL, "buf", &l, &err), CR_OK);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0]->source, "buf");
	/* DER followed by anything else is refused */
	padded[G.derlen] = 'x';
	assert_int_equal(crt_parse_buffer(padded, (size_t)G.derlen + 2, NULL, "buf", &l, &err), CR_EINPUT);
	assert_non_null(strstr(err.msg, "trailing data after the DER"));
	/* a SEQUENCE that is not a certificate */
	assert_int_equal(crt_parse_buffer((const unsigned char *)"\x30\x03\x02\x01\x01", 5, NULL,
	    "seq", &l, &err), CR_EINPUT);
	assert_non_null(strstr(err.msg, "cannot read 'seq': not a certificate"));
	assert_int_equal(l.n, 1);
	free(padded);
	crt_list_release(&l);
}

static void
test_directory(void **state)
{
	struct crt_load_opts opts = { .base_dir = G.dir, .scan_dirs = 1 };
	struct crt_list l = CRT_LIST_INIT;
	struct cr_err err;
	char *sub = cr_xasprintf("%s/d", G.dir);
	char *empty = cr_xasprintf("%s/e", G.dir);
	X509 *pair[2] = { G.leaf, G.ca };
	int r;

	(void)state;
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(mkdir(empty, 0700), 0);
	write_pem("d/b.pem", NULL, &G.other, 1);
	write_pem("d/a.CRT", NULL, pair, 2);
	write_file("d/c.der", G.der, (size_t)G.derlen);
	write_str("d/notes.txt", "not scanned");
	write_str("d/.hidden.pem", "not scanned");
	r = crt_load("file:d", &opts, &l, &err);
	if (r != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(l.n, 3);
	/* sorted by name (bytes: upper case first) */
	assert_string_equal(l.v[0]->source, "file:d/a.CRT");
	assert_string_equal(l.v[1]->source, "file:d/b.pem");
	assert_string_equal(l.v[2]->source, "file:d/c.der");
	assert_true(same(l.v[0]->x509, G.leaf));
	assert_int_equal(sk_X509_num(l.v[0]->chain), 1);
	assert_true(same(l.v[1]->x509, G.other));
	crt_list_release(&l);

	/* one bad file fails the load but the others are listed */
	write_str("d/bad.pem", "-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n");
	r = crt_load("d/", &opts, &l, &err);
	assert_int_equal(r, CR_EINPUT);
	assert_non_null(strstr(err.msg, "cannot read 'd/bad.pem': not a certificate"));
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0]->source, "d/a.CRT");
	crt_list_release(&l);

	/* exactly one is wanted */
	{
		struct crt_cert *c = (struct crt_cert *)1;
		r = crt_load_one("d", &opts, &c, &err);
		assert_int_equal(r, CR_EINPUT);
		assert_null(c);
	}
	r = crt_load("e", &opts, &l, &err);
	assert_int_equal(r, CR_EINPUT);
	assert_non_null(strstr(err.msg, "no certificate files"));
	opts.scan_dirs = 0;
	r = crt_load("d", &opts, &l, &err);
	assert_int_equal(r, CR_EINPUT);
	assert_non_null(strstr(err.msg, "cannot read 'd': is a directory"));
	assert_int_equal(l.n, 0);
	free(sub);
	free(empty);
}

struct seen {
	char msg[4][CR_ERR_MSG_MAX];
	int status[4];
	size_t n;
};

static void
collect(void *arg, const struct cr_err *e)
{
	struct seen *s = arg;

	assert_true(s->n < 4);
	snprintf(s->msg[s->n], sizeof(s->msg[0]), "%s", e->msg);
	s->status[s->n++] = e->status;
}

/* With on_unreadable, every file that cannot be read is reported, not only the first. */
static void
test_directory_every_failure(void **state)
{
	struct seen seen;
	struct crt_load_opts opts = { .base_dir = G.dir, .scan_dirs = 1, .on_unreadable = collect,
	    .on_unreadable_arg = &seen };
	struct crt_list l = CRT_LIST_INIT;
	struct cr_err err;
	char *sub = cr_xasprintf("%s/several", G.dir);
	char *p12 = NULL;
	unsigned char *buf = NULL;
	size_t len = 0;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(mkdir(sub, 0700), 0);
	write_pem("several/a-good.pem", NULL, &G.other, 1);
	write_str("several/b-bad.pem", "-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n");
	p12 = cr_xasprintf("%s/mail.p12", G.dir);
	assert_int_equal(cr_read_file(p12, 1u << 20, &buf, &len, &err), CR_OK);
	write_file("several/c-locked.p12", buf, len);
	write_file("several/d-cut.der", G.der, (size_t)G.derlen / 2);
	write_file("several/e-good.der", G.der, (size_t)G.derlen);
	cr_err_clear(&err);
	/* the load succeeds: the failures were handed over, one by one, in name order */
	if (crt_load("several", &opts, &l, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(seen.n, 3);
	assert_non_null(strstr(seen.msg[0], "cannot read 'several/b-bad.pem': not a certificate"));
	assert_non_null(strstr(seen.msg[1], "cannot read 'several/c-locked.p12': the PKCS#12 needs a password"));
	assert_non_null(strstr(seen.msg[2], "cannot read 'several/d-cut.der': truncated DER"));
	assert_int_equal(seen.status[0], CR_EINPUT);
	assert_int_equal(seen.status[1], CR_EINPUT);
	assert_int_equal(seen.status[2], CR_EINPUT);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0]->source, "several/a-good.pem");
	assert_string_equal(l.v[1]->source, "several/e-good.der");
	crt_list_release(&l);

	/* with the directory's pass-source the PKCS#12 is read: two failures left */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(crt_load("several?pass-source=file:pw", &opts, &l, &err), CR_OK);
	assert_int_equal(seen.n, 2);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[1]->source, "several/c-locked.p12");
	crt_list_release(&l);

	/* without the callback: the first failure fails the load, the rest still listed */
	opts.on_unreadable = NULL;
	assert_int_equal(crt_load("several", &opts, &l, &err), CR_EINPUT);
	assert_non_null(strstr(err.msg, "cannot read 'several/b-bad.pem'"));
	assert_int_equal(l.n, 2);
	crt_list_release(&l);
	free(buf);
	free(p12);
	free(sub);
}


/*
 * Nothing that is not a regular file is ever opened: a FIFO as the
 * certificate or its pass-source is an error at once (this test hangs, not
 * fails, when one is opened for reading), and a directory scan skips FIFOs,
 * devices and subdirectories with a note (status CR_OK) in name order.
 */
static void
test_not_regular(void **state)
{
	struct seen seen;
	struct crt_load_opts opts = { .base_dir = G.dir, .scan_dirs = 1, .on_unreadable = collect,
	    .on_unreadable_arg = &seen };
	struct crt_list l = CRT_LIST_INIT;
	struct cr_err err;
	char *fifo = cr_xasprintf("%s/cert.fifo", G.dir), *sub = cr_xasprintf("%s/mixed", G.dir);
	char *p = NULL;

	(void)state;
	assert_int_equal(mkfifo(fifo, 0600), 0);
	cr_err_clear(&err);
	assert_int_equal(crt_load("cert.fifo", &opts, &l, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_NOT_REGULAR);
	assert_string_equal(err.msg, "cannot read 'cert.fifo': is a FIFO, not a regular file");
	assert_int_equal(crt_load("mail.p12?pass-source=file:cert.fifo", &opts, &l, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_NOT_REGULAR);
	assert_non_null(strstr(err.msg, "is a FIFO, not a regular file"));
	assert_int_equal(l.n, 0);

	assert_int_equal(mkdir(sub, 0700), 0);
	write_pem("mixed/a.pem", NULL, &G.other, 1);
	p = cr_xasprintf("%s/mixed/b.pem", G.dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	free(p);
	p = cr_xasprintf("%s/mixed/c.crt", G.dir);
	assert_int_equal(symlink("/dev/zero", p), 0);
	free(p);
	p = cr_xasprintf("%s/mixed/d.pem", G.dir);
	assert_int_equal(mkdir(p, 0700), 0);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(crt_load("mixed", &opts, &l, &err), CR_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.msg[0], "skipped 'mixed/b.pem': is a FIFO, not a regular file");
	assert_string_equal(seen.msg[1], "skipped 'mixed/c.crt': is a character device, not a "
	    "regular file");
	assert_string_equal(seen.msg[2], "skipped 'mixed/d.pem': is a directory, not a regular file");
	assert_int_equal(seen.status[0], CR_OK);
	crt_list_release(&l);
	rmdir(p);
	free(p);
	p = cr_xasprintf("%s/mixed/a.pem", G.dir);
	unlink(p);
	/* only what is skipped: the directory holds no certificate file */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(crt_load("mixed", &opts, &l, &err), CR_EINPUT);
	assert_non_null(strstr(err.msg, "no certificate files in the directory"));
	assert_non_null(strstr(err.msg, "not regular files are skipped"));
	crt_list_release(&l);
	free(p);
	free(sub);
	free(fifo);
}


/* Header length and content length of the DER element at d. */
static size_t
der_hdr(const unsigned char *d, size_t *clen)
{
	size_t k, n = d[1] & 0x7f;

	if (d[1] < 0x80) {
		*clen = d[1];
		return 2;
	}
	for (*clen = 0, k = 0; k < n; k++)
		*clen = *clen << 8 | d[2 + k];
	return 2 + n;
}

/* Appends a DER header (tag, length n) at out; returns its length. */
static size_t
put_hdr(unsigned char *out, unsigned char tag, size_t n)
{
	out[0] = tag;
	if (n < 0x80) {
		out[1] = (unsigned char)n;
		return 2;
	}
	out[1] = 0x82;
	out[2] = (unsigned char)(n >> 8);
	out[3] = (unsigned char)n;
	return 4;
}

/*
 * A PKCS#12 of the leaf whose MAC asks for 2^31-1 iterations: made with one
 * iteration (cheap), the count re-encoded.  Verifying it would take minutes.
 */
static void
test_p12_iterations(void **state)
{
	STACK_OF(X509) *none = sk_X509_new_null();
	PKCS12 *p12 = PKCS12_create("pw", NULL, NULL, G.leaf, none, 0, -1, 1, 1, 0);
	unsigned char *der = NULL, out[8192], mac[512];
	size_t len, h, clen, off, vlen, alen, mh, mlen, k = 0, m;
	struct crt_list l = CRT_LIST_INIT;
	struct cr_err err;

	(void)state;
	assert_non_null(p12);
	len = (size_t)i2d_PKCS12(p12, &der);
	/* SEQUENCE { version, authSafe, macData SEQUENCE { mac, salt[, iterations] } } */
	h = der_hdr(der, &clen);
	off = h;
	off += der_hdr(der + off, &vlen) + vlen;		/* version */
	off += der_hdr(der + off, &alen) + alen;		/* authSafe */
	mh = der_hdr(der + off, &mlen);
	assert_int_equal(off + mh + mlen, len);
	/* one iteration is the DEFAULT, left out by DER; a "02 01 01" is dropped */
	m = memcmp(der + len - 3, "\x02\x01\x01", 3) == 0 ? mlen - 3 : mlen;
	memcpy(mac, der + off + mh, m);
	memcpy(mac + m, "\x02\x04\x7f\xff\xff\xff", 6);
	m += 6;
	{
		unsigned char mhdr[4];
		size_t mhl = put_hdr(mhdr, 0x30, m);

		k = put_hdr(out, 0x30, off - h + mhl + m);
		memcpy(out + k, der + h, off - h);
		k += off - h;
		memcpy(out + k, mhdr, mhl);
		k += mhl;
		memcpy(out + k, mac, m);
		k += m;
	}
	cr_err_clear(&err);
	assert_int_equal(crt_parse_buffer(out, k, "pw", "slow.p12", &l, &err), CR_EINPUT);
	if (err.reason != CR_R_TOO_LARGE)
		fail_msg("%s", err.msg);
	assert_string_equal(err.msg, "cannot read 'slow.p12': the PKCS#12 MAC asks for 2147483647 "
	    "iterations, over the limit of 10000000");
	assert_int_equal(l.n, 0);
	/* the same file with its one iteration reads */
	assert_int_equal(crt_parse_buffer(der, len, "pw", "fast.p12", &l, &err), CR_OK);
	assert_int_equal(l.n, 1);
	crt_list_release(&l);
	OPENSSL_free(der);
	PKCS12_free(p12);
	sk_X509_free(none);
}

static void
test_load_one_counts(void **state)
{
	struct crt_load_opts opts = { .base_dir = G.dir, .scan_dirs = 1 };
	struct crt_cert *c = NULL;
	struct cr_err err;
	char *sub = cr_xasprintf("%s/two", G.dir);
	X509 *pair[2] = { G.leaf, G.ca };

	(void)state;
	assert_int_equal(mkdir(sub, 0700), 0);
	write_pem("two/1.pem", NULL, pair, 2);
	write_pem("two/2.pem", NULL, &G.other, 1);
	assert_int_equal(crt_load_one("two", &opts, &c, &err), CR_EINPUT);
	assert_non_null(strstr(err.msg, "'two' holds 2 certificates, expected exactly one"));
	assert_null(c);
	/* a PEM chain is one certificate with its chain */
	assert_int_equal(crt_load_one("two/1.pem", &opts, &c, &err), CR_OK);
	assert_int_equal(sk_X509_num(c->chain), 1);
	crt_cert_free(c);
	free(sub);
}

static void
test_info(void **state)
{
	struct crt_load_opts opts = { .base_dir = G.dir };
	struct crt_cert *c = NULL;
	struct crt_info in;
	struct cr_err err;
	char *serial, *sha1;
	const ASN1_INTEGER *sn = X509_get0_serialNumber(G.leaf);
	time_t na;
	size_t i;
	static const char *const san[] = { "DNS:mail.contoso.com", "DNS:*.contoso.com", "IP:10.0.0.5",
	    "IP:2001:db8::5", "email:pki@contoso.com", "URI:https://contoso.com/" };

	(void)state;
	assert_int_equal(crt_load_one("chain.pem", &opts, &c, &err), CR_OK);
	crt_info_get(c, time(NULL), &in);
	assert_string_equal(in.subject, "CN=mail.contoso.com, O=\"Contoso, Ltd\", C=US");
	assert_string_equal(in.issuer, "CN=Contoso Issuing CA 1, O=Contoso, C=US");
	assert_string_equal(in.tls_name, "<I>CN=Contoso Issuing CA 1, O=Contoso, C=US"
	    "<S>CN=mail.contoso.com, O=\"Contoso, Ltd\", C=US");
	serial = cr_hex_upper(ASN1_STRING_get0_data(sn), (size_t)ASN1_STRING_length(sn));
	assert_string_equal(in.serial, serial);
	free(serial);
	/* RFC 3339 UTC */
	assert_int_equal(strlen(in.not_after_s), 20);
	assert_int_equal(in.not_after_s[10], 'T');
	assert_int_equal(in.not_after_s[19], 'Z');
	assert_true(in.not_after - in.not_before == 366 * DAY);
	assert_int_equal(in.nsan, 6);
	for (i = 0; i < 6; i++)
		assert_string_equal(in.san[i], san[i]);
	assert_string_equal(in.sig_name, "sha256WithRSAEncryption");
	assert_string_equal(in.sig_oid, "1.2.840.113549.1.1.11");
	assert_string_equal(in.key_type, "RSA");
	assert_int_equal(in.key_bits, 2048);
	assert_null(in.key_curve);
	assert_true(in.has_eku);
	assert_int_equal(in.neku, 3);
	assert_string_equal(in.eku[0], "serverAuth");
	assert_string_equal(in.eku[1], "clientAuth");
	assert_string_equal(in.eku[2], "1.2.3.4.5");
	sha1 = cr_hex_upper(c->sha1, 20);
	assert_string_equal(in.sha1, sha1);
	free(sha1);
	assert_int_equal(strlen(in.sha256), 64);
	for (i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789ABCDEF", in.sha256[i]));
	/* days left: floor((not_after - now) / 86400) */
	na = in.not_after;
	crt_info_release(&in);
	{
		static const struct { long off; long days; } t[] = {
			{ -10 * DAY, 10 }, { -10 * DAY + 1, 9 }, { -1, 0 }, { 0, 0 }, { 1, -1 },
			{ DAY, -1 }, { DAY + 1, -2 }, { 30 * DAY, -30 },
		};
		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			crt_info_get(c, na + t[i].off, &in);
			if (in.days_left != t[i].days)
				fail_msg("now = not_after%+ld: days_left %ld, expected %ld", t[i].off,
				    in.days_left, t[i].days);
			crt_info_release(&in);
		}
	}
	crt_cert_free(c);

	/* an EC certificate without SAN or EKU, signed with SHA-384 */
	assert_int_equal(crt_load_one("other.crt", &opts, &c, &err), CR_OK);
	crt_info_get(c, time(NULL), &in);
	assert_string_equal(in.key_type, "EC");
	assert_int_equal(in.key_bits, 256);
	assert_string_equal(in.key_curve, "prime256v1");
	assert_string_equal(in.sig_name, "ecdsa-with-SHA384");
	assert_string_equal(in.sig_oid, "1.2.840.10045.4.3.3");
	assert_int_equal(in.nsan, 0);
	assert_non_null(in.san);
	assert_false(in.has_eku);
	assert_int_equal(in.neku, 0);
	assert_true(in.days_left == 29 || in.days_left == 30);
	crt_info_release(&in);
	crt_cert_free(c);
}

/*
 * Days left and the words for it are one computation: a fixed not_after,
 * `now` around every boundary.  days_left is what JSON says; the phrase is
 * what inspect prints, and when expired its N is -days_left.
 */
static void
test_expiry(void **state)
{
	static const struct {
		long off;		/* now = not_after + off */
		long days;
		int expired;
		const char *amount, *phrase;
	} t[] = {
		{ -400 * DAY, 400, 0, "400 days", "(400 days left)" },
		{ -10 * DAY, 10, 0, "10 days", "(10 days left)" },
		{ -10 * DAY + 1, 9, 0, "9 days", "(9 days left)" },
		{ -2 * DAY, 2, 0, "2 days", "(2 days left)" },
		{ -DAY, 1, 0, "1 day", "(1 day left)" },
		{ -DAY + 1, 0, 0, "23 hours", "(expires in 23 hours)" },
		{ -5 * 3600, 0, 0, "5 hours", "(expires in 5 hours)" },
		{ -3600 - 1, 0, 0, "1 hour", "(expires in 1 hour)" },
		{ -3600, 0, 0, "1 hour", "(expires in 1 hour)" },
		{ -3599, 0, 0, "59 minutes", "(expires in 59 minutes)" },
		{ -60, 0, 0, "1 minute", "(expires in 1 minute)" },
		{ -59, 0, 0, "59 seconds", "(expires in 59 seconds)" },
		{ -1, 0, 0, "1 second", "(expires in 1 second)" },
		{ 0, 0, 0, "0 seconds", "(expires in 0 seconds)" },	/* notAfter is still valid */
		{ 1, -1, 1, "1 hour", "(EXPIRED 1 hour ago)" },
		{ 3600, -1, 1, "1 hour", "(EXPIRED 1 hour ago)" },	/* was "EXPIRED 0 days ago" */
		{ 3601, -1, 1, "2 hours", "(EXPIRED 2 hours ago)" },
		{ DAY - 1, -1, 1, "24 hours", "(EXPIRED 24 hours ago)" },
		{ DAY, -1, 1, "1 day", "(EXPIRED 1 day ago)" },
		{ DAY + 1, -2, 1, "2 days", "(EXPIRED 2 days ago)" },
		{ 10 * DAY, -10, 1, "10 days", "(EXPIRED 10 days ago)" },
		{ 10 * DAY + 5, -11, 1, "11 days", "(EXPIRED 11 days ago)" },	/* was "10 days ago" */
		{ 400 * DAY, -400, 1, "400 days", "(EXPIRED 400 days ago)" },
	};
	const time_t na = 1795333228;	/* 2026-11-22T07:40:28Z */
	X509 *x = X509_dup(G.other);
	struct crt_cert *c;
	size_t i;

	(void)state;
	ASN1_TIME_set(X509_getm_notAfter(x), na);
	c = crt_cert_new(x, NULL, "mem");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct crt_expiry e, ex;
		struct crt_info in;

		crt_expiry_get(na, na + t[i].off, &e);
		if (e.days_left != t[i].days || e.expired != t[i].expired ||
		    strcmp(e.amount, t[i].amount) != 0 || strcmp(e.phrase, t[i].phrase) != 0)
			fail_msg("now = not_after%+ld: %ld %d '%s' '%s', expected %ld %d '%s' '%s'",
			    t[i].off, e.days_left, e.expired, e.amount, e.phrase, t[i].days,
			    t[i].expired, t[i].amount, t[i].phrase);
		/* an expired phrase counts the days JSON counts */
		if (e.expired && -e.days_left > 1 && strstr(e.phrase, "days ago") != NULL) {
			char want[48];
			snprintf(want, sizeof(want), "(EXPIRED %ld days ago)", -e.days_left);
			assert_string_equal(e.phrase, want);
		}
		/* the same from the certificate, and in crt_info (what inspect shows) */
		crt_expiry_x509(c->x509, na + t[i].off, &ex);
		assert_memory_equal(&e, &ex, sizeof(e));
		crt_info_get(c, na + t[i].off, &in);
		assert_int_equal(in.days_left, e.days_left);
		assert_memory_equal(&in.expiry, &e, sizeof(e));
		crt_info_release(&in);
	}
	/* far from the epoch's range of a 32-bit long: no overflow in the sums */
	{
		struct crt_expiry e;
		crt_expiry_get((time_t)253402300799LL, 0, &e);	/* 9999-12-31T23:59:59Z */
		assert_int_equal(e.days_left, 2932896);
		assert_string_equal(e.phrase, "(2932896 days left)");
	}
	crt_cert_free(c);
}

static void
test_rfc3339(void **state)
{
	X509 *x = X509_dup(G.other);
	struct crt_cert *c;
	struct crt_info in;

	(void)state;
	ASN1_TIME_set_string(X509_getm_notBefore(x), "20251122074028Z");
	ASN1_TIME_set_string(X509_getm_notAfter(x), "20261122074028Z");
	c = crt_cert_new(x, NULL, "mem");
	crt_info_get(c, 1795000000, &in);
	assert_string_equal(in.not_before_s, "2025-11-22T07:40:28Z");
	assert_string_equal(in.not_after_s, "2026-11-22T07:40:28Z");
	assert_int_equal(in.not_after, 1795333228);
	assert_int_equal(in.days_left, 3);
	crt_info_release(&in);
	crt_cert_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_files),
		cmocka_unit_test(test_absolute_path_and_load_one),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_file_reasons),
		cmocka_unit_test(test_truncated_pem),
		cmocka_unit_test(test_parse_buffer),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_directory_every_failure),
		cmocka_unit_test(test_not_regular),
		cmocka_unit_test(test_p12_iterations),
		cmocka_unit_test(test_load_one_counts),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_rfc3339),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
