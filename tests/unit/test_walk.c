/*
 * Unit tests: certificates of a file or a directory tree (cert/walk.c) -
 * what a buffer holds (crt_sniff, table-driven), then a tree made here with
 * certificates, a private key, a request, a FIFO, a damaged certificate,
 * links to a file and back up the tree, hidden names, a tree too deep:
 * what is listed, skipped and reported, and that nothing blocks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "testcert.h"
#include "../../cert/walk.h"
#include "../../common/util.h"

#define DAY 86400L

static struct {
	char dir[64];
	EVP_PKEY *key;
	X509 *cert;
	unsigned char *der, *keyder, *reqder;
	int derlen, keyderlen, reqderlen;
	char *pem, *keypem, *reqpem;
} G;

static char *
bio_text(BIO *b)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *s = cr_xstrndup(p, (size_t)n);

	BIO_free(b);
	return s;
}

static int
setup(void **state)
{
	struct tc_spec spec = { .subject = "/CN=walk.example", .from = -DAY, .to = 90 * DAY };
	X509_REQ *req;
	BIO *b;

	(void)state;
	snprintf(G.dir, sizeof(G.dir), "%s/walkXXXXXX", getenv("WORK") ? getenv("WORK") : "/tmp");
	if (mkdtemp(G.dir) == NULL)
		return 1;
	G.key = tc_key(1);
	G.cert = tc_cert(&spec, G.key, NULL, NULL);
	G.derlen = i2d_X509(G.cert, &G.der);
	G.keyderlen = i2d_PrivateKey(G.key, &G.keyder);
	req = X509_REQ_new();
	X509_REQ_set_pubkey(req, G.key);
	X509_REQ_sign(req, G.key, EVP_sha256());
	G.reqderlen = i2d_X509_REQ(req, &G.reqder);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, G.cert);
	G.pem = bio_text(b);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, G.key, NULL, NULL, 0, NULL, NULL);
	G.keypem = bio_text(b);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509_REQ(b, req);
	G.reqpem = bio_text(b);
	X509_REQ_free(req);
	return 0;
}

static int
teardown(void **state)
{
	char *cmd = cr_xasprintf("rm -rf '%s'", G.dir);

	(void)state;
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", G.dir);
	free(cmd);
	X509_free(G.cert);
	EVP_PKEY_free(G.key);
	OPENSSL_free(G.der);
	OPENSSL_free(G.keyder);
	OPENSSL_free(G.reqder);
	free(G.pem);
	free(G.keypem);
	free(G.reqpem);
	return 0;
}

static void
test_sniff(void **state)
{
	char *both = cr_xasprintf("%s%s", G.keypem, G.pem);
	char *params = cr_xstrdup("-----BEGIN DH PARAMETERS-----\nMAA=\n-----END DH PARAMETERS-----\n");
	char *badcert = cr_xstrdup("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n");
	const struct {
		const unsigned char *buf;
		size_t len;
		enum crt_content want;
		const char *what;
	} t[] = {
		{ (const unsigned char *)G.pem, strlen(G.pem), CRT_CONTENT_CERT, "CERTIFICATE" },
		{ (const unsigned char *)G.keypem, strlen(G.keypem), CRT_CONTENT_KEY, "PRIVATE KEY" },
		{ (const unsigned char *)both, strlen(both), CRT_CONTENT_CERT, "CERTIFICATE" },
		{ (const unsigned char *)G.reqpem, strlen(G.reqpem), CRT_CONTENT_OTHER,
		  "CERTIFICATE REQUEST" },
		{ (const unsigned char *)params, strlen(params), CRT_CONTENT_OTHER, "DH PARAMETERS" },
		{ (const unsigned char *)badcert, strlen(badcert), CRT_CONTENT_CERT, "CERTIFICATE" },
		{ G.der, (size_t)G.derlen, CRT_CONTENT_CERT, "a DER certificate" },
		{ G.der, (size_t)G.derlen / 2, CRT_CONTENT_CERT, "DER that does not decode" },
		{ G.keyder, (size_t)G.keyderlen, CRT_CONTENT_KEY, NULL },
		{ G.reqder, (size_t)G.reqderlen, CRT_CONTENT_OTHER, "a DER certificate request" },
		{ (const unsigned char *)"hello\n", 6, CRT_CONTENT_OTHER, "neither PEM nor DER" },
		{ (const unsigned char *)"", 0, CRT_CONTENT_OTHER, "empty" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char what[64] = "";
		enum crt_content got = crt_sniff(t[i].buf, t[i].len, what, sizeof(what));

		if (got != t[i].want)
			fail_msg("case %zu: content %d, expected %d (%s)", i, got, t[i].want, what);
		if (t[i].what != NULL && strcmp(what, t[i].what) != 0)
			fail_msg("case %zu: what '%s', expected '%s'", i, what, t[i].what);
	}
	free(both);
	free(params);
	free(badcert);
}

static char *
path(const char *rel)
{
	return cr_xasprintf("%s/%s", G.dir, rel);
}

static void
put(const char *rel, const void *data, size_t len)
{
	char *p = path(rel);
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(p);
}

static void
mkdir_rel(const char *rel)
{
	char *p = path(rel);

	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
}

static void
link_rel(const char *target, const char *rel)
{
	char *p = path(rel);

	assert_int_equal(symlink(target, p), 0);
	free(p);
}

struct seen {
	char skipped[8][128];
	enum crt_walk_skip why[8];
	int nskipped;
	char errors[4][CR_ERR_MSG_MAX];
	enum cr_reason reasons[4];
	int nerrors;
	size_t files;
};

static void
on_skip(void *arg, const char *p, enum crt_walk_skip why, const char *what)
{
	struct seen *s = arg;

	assert_true(s->nskipped < 8);
	snprintf(s->skipped[s->nskipped], sizeof(s->skipped[0]), "%s|%s", p, what);
	s->why[s->nskipped++] = why;
}

static void
on_error(void *arg, const struct cr_err *e)
{
	struct seen *s = arg;

	assert_true(s->nerrors < 4);
	assert_int_equal(e->status, CR_EINPUT);
	snprintf(s->errors[s->nerrors], sizeof(s->errors[0]), "%s", e->msg);
	s->reasons[s->nerrors++] = e->reason;
}

static void
on_progress(void *arg, size_t files)
{
	((struct seen *)arg)->files = files;
}

static void
on_alarm(int sig)
{
	(void)sig;
	_exit(97);	/* something blocked on the FIFO */
}

static void
test_tree(void **state)
{
	struct seen s;
	struct crt_walk_cb cb = { on_skip, on_error, on_progress, &s };
	struct crt_list l = CRT_LIST_INIT;
	struct cr_err err;
	char *p, *want;
	int r;

	(void)state;
	memset(&s, 0, sizeof(s));
	mkdir_rel("t");
	mkdir_rel("t/sub");
	mkdir_rel("t/sub/deeper");
	mkdir_rel("t/.hiddendir");
	put("t/a.pem", G.pem, strlen(G.pem));
	put("t/sub/b.CRT", G.der, (size_t)G.derlen);
	put("t/sub/deeper/c.pem", G.pem, strlen(G.pem));
	put("t/privkey.pem", G.keypem, strlen(G.keypem));
	put("t/req.pem", G.reqpem, strlen(G.reqpem));
	put("t/notes.txt", G.pem, strlen(G.pem));		/* not a certificate file name */
	put("t/.hidden.pem", G.pem, strlen(G.pem));
	put("t/.hiddendir/x.pem", G.pem, strlen(G.pem));
	put("t/broken.pem", "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n", 58);
	link_rel("a.pem", "t/link.pem");			/* the same file again */
	link_rel(".", "t/loop");				/* back up the tree */
	link_rel("nowhere.pem", "t/dangling.pem");
	p = path("t/fifo.pem");
	assert_int_equal(mkfifo(p, 0600), 0);
	free(p);

	signal(SIGALRM, on_alarm);
	alarm(20);
	p = path("t");
	cr_err_clear(&err);
	r = crt_walk_load(p, NULL, &cb, &l, &err);
	alarm(0);
	assert_int_equal(r, CR_OK);
	assert_int_equal(l.n, 3);
	want = cr_xasprintf("%s/a.pem", p);
	assert_string_equal(l.v[0]->source, want);
	free(want);
	want = cr_xasprintf("%s/sub/b.CRT", p);
	assert_string_equal(l.v[1]->source, want);
	free(want);
	want = cr_xasprintf("%s/sub/deeper/c.pem", p);
	assert_string_equal(l.v[2]->source, want);
	free(want);
	/* in walk order: fifo, privkey, req */
	assert_int_equal(s.nskipped, 3);
	assert_int_equal(s.why[0], CRT_SKIP_SPECIAL);
	assert_non_null(strstr(s.skipped[0], "/t/fifo.pem|a FIFO"));
	assert_int_equal(s.why[1], CRT_SKIP_KEY);
	assert_non_null(strstr(s.skipped[1], "/t/privkey.pem|PRIVATE KEY"));
	assert_int_equal(s.why[2], CRT_SKIP_OTHER);
	assert_non_null(strstr(s.skipped[2], "/t/req.pem|CERTIFICATE REQUEST"));
	assert_int_equal(s.nerrors, 1);
	assert_non_null(strstr(s.errors[0], "/t/broken.pem': not a certificate (line 1)"));
	assert_int_equal(s.reasons[0], CR_R_MALFORMED);
	assert_int_equal(s.files, 6);	/* a, broken, privkey, req, b, c */
	crt_list_release(&l);

	/* "file:" is kept in the sources */
	want = cr_xasprintf("file:%s/sub", p);
	memset(&s, 0, sizeof(s));
	assert_int_equal(crt_walk_load(want, NULL, &cb, &l, &err), CR_OK);
	assert_int_equal(l.n, 2);
	assert_true(strncmp(l.v[0]->source, "file:", 5) == 0);
	free(want);
	crt_list_release(&l);
	free(p);
}

/* A file the user names must be a certificate; a FIFO is never opened. */
static void
test_explicit(void **state)
{
	static const struct {
		const char *rel;
		int status;
		enum cr_reason reason;
		const char *msg;
	} t[] = {
		{ "e/cert.pem", CR_OK, CR_R_NONE, NULL },
		{ "e/cert.pem?pass-source=file:/nonexistent/pw", CR_EINPUT, CR_NREASONS,
		  "password for '" },
		{ "e/key.pem", CR_EINPUT, CR_R_MALFORMED, "holds PRIVATE KEY but no CERTIFICATE" },
		{ "e/fifo", CR_EINPUT, CR_R_NOT_REGULAR, "is a FIFO, not a regular file" },
		{ "e/none.pem", CR_EINPUT, CR_R_NOT_FOUND, "No such file" },
		{ "e/none.pem?colour=red", CR_EINPUT, CR_R_USAGE, "unknown attribute 'colour'" },
		{ "e/none.pem?pass-source=secret", CR_EINPUT, CR_R_USAGE, "is not shown" },
	};
	struct crt_list l = CRT_LIST_INIT;
	size_t i;
	char *p;

	(void)state;
	mkdir_rel("e");
	put("e/cert.pem", G.pem, strlen(G.pem));
	put("e/key.pem", G.keypem, strlen(G.keypem));
	p = path("e/fifo");
	assert_int_equal(mkfifo(p, 0600), 0);
	free(p);
	signal(SIGALRM, on_alarm);
	alarm(20);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cr_err err;
		int r;

		p = path(t[i].rel);
		cr_err_clear(&err);
		r = crt_walk_load(p, NULL, NULL, &l, &err);
		/* CR_NREASONS: any reason (that of common/'s file reading) */
		if (r != t[i].status || (t[i].reason != CR_NREASONS && err.reason != t[i].reason))
			fail_msg("case %zu: status %d reason %d, expected %d %d: %s", i, r, err.reason,
			    t[i].status, t[i].reason, err.msg);
		if (t[i].msg != NULL && strstr(err.msg, t[i].msg) == NULL)
			fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, t[i].msg);
		if (r == CR_OK) {
			assert_int_equal(l.n, 1);
			assert_string_equal(l.v[0]->source, p);	/* the text given */
		}
		assert_null(strstr(err.msg, "secret"));
		crt_list_release(&l);
		free(p);
	}
	alarm(0);
}

/* A tree deeper than the bound is reported, not followed for ever. */
static void
test_depth(void **state)
{
	struct seen s;
	struct crt_walk_cb cb = { on_skip, on_error, NULL, &s };
	struct crt_list l = CRT_LIST_INIT;
	struct cr_buf rel = CR_BUF_INIT;
	struct cr_err err;
	char *p;
	int i;

	(void)state;
	memset(&s, 0, sizeof(s));
	cr_buf_adds(&rel, "d");
	mkdir_rel(cr_buf_str(&rel));
	for (i = 0; i <= CRT_WALK_MAX_DEPTH + 1; i++) {
		cr_buf_adds(&rel, "/x");
		mkdir_rel(cr_buf_str(&rel));
	}
	p = path("d");
	assert_int_equal(crt_walk_load(p, NULL, &cb, &l, &err), CR_OK);
	assert_int_equal(s.nerrors, 1);
	assert_non_null(strstr(s.errors[0], "more than 64 directories deep"));
	assert_int_equal(s.reasons[0], CR_R_TOO_LARGE);
	free(p);
	cr_buf_release(&rel);
	crt_list_release(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_explicit),
		cmocka_unit_test(test_depth),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
