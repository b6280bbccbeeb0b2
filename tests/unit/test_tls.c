/*
 * Unit tests: tls:// URIs and fetching what an endpoint serves
 * (cert/tls.c), against small OpenSSL servers on 127.0.0.1 run in threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <openssl/ssl.h>
#include <openssl/err.h>

#include "testcert.h"
#include "../../cert/cert.h"
#include "../../cert/smtp.h"
#include "../../cert/tls.h"
#include "../../common/util.h"

#define B(s) s, sizeof(s) - 1

#define DAY 86400L

/* ---- tls:// parsing ------------------------------------------------------ */

static void
test_parse(void **state)
{
	static const struct {
		const char *uri;
		const char *host, *port, *sni;
		int smtp;
		const char *err;
	} t[] = {
		{ "tls://10.0.0.5:443", "10.0.0.5", "443", NULL, 0, NULL },
		/* a host name is its own SNI (as s_client -connect sends it); an address is none */
		{ "TLS://mail.contoso.com:8443/", "mail.contoso.com", "8443", "mail.contoso.com", 0, NULL },
		{ "tls://localhost:443", "localhost", "443", "localhost", 0, NULL },
		{ "tls://mail.contoso.com.:443", "mail.contoso.com.", "443", "mail.contoso.com", 0, NULL },
		{ "tls://mail.contoso.com:443?sni=", "mail.contoso.com", "443", NULL, 0, NULL },
		{ "tls://mail.contoso.com:443?sni=&starttls=smtp", "mail.contoso.com", "443", NULL, 1, NULL },
		{ "tls://mail.contoso.com:443?sni=legacy.contoso.com", "mail.contoso.com", "443",
		  "legacy.contoso.com", 0, NULL },
		{ "tls://127.1:443", "127.1", "443", NULL, 0, NULL },
		{ "tls://0x7f000001:443", "0x7f000001", "443", NULL, 0, NULL },
		{ "tls://10.0.0.5:443?sni=mail.contoso.com", "10.0.0.5", "443", "mail.contoso.com", 0, NULL },
		{ "tls://10.0.0.5:25?starttls=smtp", "10.0.0.5", "25", NULL, 1, NULL },
		{ "tls://10.0.0.5:25?starttls=SMTP&sni=mx.contoso.com", "10.0.0.5", "25", "mx.contoso.com", 1, NULL },
		{ "tls://10.0.0.5:25/?sni=a%2Eb", "10.0.0.5", "25", "a.b", 0, NULL },
		{ "tls://[::1]:443", "::1", "443", NULL, 0, NULL },
		{ "tls://[2001:db8::5]:8443?sni=x", "2001:db8::5", "8443", "x", 0, NULL },
		{ "tls://[fe80::1%25eth0]:443", "fe80::1%eth0", "443", NULL, 0, NULL },
		{ "tls://h:65535", "h", "65535", "h", 0, NULL },
		{ "tls://h:1", "h", "1", "h", 0, NULL },
		{ "https://h:443", NULL, NULL, NULL, 0, "expected tls://HOST:PORT" },
		{ "tls://h", NULL, NULL, NULL, 0, "needs a port" },
		{ "tls://:443", NULL, NULL, NULL, 0, "no host" },
		{ "tls://h:", NULL, NULL, NULL, 0, "the port must be a number" },
		{ "tls://h:0", NULL, NULL, NULL, 0, "the port must be a number" },
		{ "tls://h:65536", NULL, NULL, NULL, 0, "the port must be a number" },
		{ "tls://h:https", NULL, NULL, NULL, 0, "the port must be a number" },
		{ "tls://h:443x", NULL, NULL, NULL, 0, "the port must be a number" },
		{ "tls://::1:443", NULL, NULL, NULL, 0, "an IPv6 address goes in brackets" },
		{ "tls://[::1]443", NULL, NULL, NULL, 0, "expected [ADDRESS]:PORT" },
		{ "tls://[::1", NULL, NULL, NULL, 0, "expected [ADDRESS]:PORT" },
		{ "tls://user@h:443", NULL, NULL, NULL, 0, "user information" },
		{ "tls://h:443/path", NULL, NULL, NULL, 0, "unexpected '/path'" },
		{ "tls://h:443#frag", NULL, NULL, NULL, 0, "unexpected '#frag'" },
		{ "tls://h:443?sni", NULL, NULL, NULL, 0, "bad or repeated 'sni'" },
		{ "tls://h:443?sni=&sni=a", NULL, NULL, NULL, 0, "bad or repeated 'sni=a'" },
		{ "tls://h:443?sni=a&sni=b", NULL, NULL, NULL, 0, "bad or repeated 'sni=b'" },
		{ "tls://h:443?sni=a%20b", NULL, NULL, NULL, 0, "bad or repeated" },
		{ "tls://h:443?starttls=imap", NULL, NULL, NULL, 0, "bad or repeated 'starttls=imap'" },
		{ "tls://h:443?starttls", NULL, NULL, NULL, 0, "bad or repeated 'starttls'" },
		{ "tls://h:443?timeout=5", NULL, NULL, NULL, 0, "unknown attribute 'timeout'" },
		{ "tls://h:443?pin-source=file:x", NULL, NULL, NULL, 0, "unknown attribute 'pin-source'" },
		/* a decoded NUL would cut the name short */
		{ "tls://h:443?sni=a%00.evil", NULL, NULL, NULL, 0, "bad or repeated 'sni=a%00.evil'" },
		{ "tls://[fe80::1%00x]:443", NULL, NULL, NULL, 0, "%00 in the host" },
		/* found by fuzz_uri: a bracketed name, control bytes in the host (its SNI) */
		{ "tls://[mail.contoso.com]:443", NULL, NULL, NULL, 0, "only an IPv6 address goes in brackets" },
		{ "tls://[fe\x15]:443", NULL, NULL, NULL, 0, "a blank or control byte in the host" },
		{ "tls://a\x01" "b:443", NULL, NULL, NULL, 0, "a blank or control byte in the host" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct crt_tls_target tg;
		struct cr_err err;
		char *storage = (char *)1;
		int r;

		cr_err_clear(&err);
		r = crt_tls_parse(t[i].uri, &tg, &storage, &err);
		if (t[i].err != NULL) {
			if (r != CR_EINPUT || strstr(err.msg, t[i].err) == NULL)
				fail_msg("'%s': status %d '%s', expected '%s'", t[i].uri, r, err.msg, t[i].err);
			assert_null(storage);
			continue;
		}
		if (r != CR_OK)
			fail_msg("'%s': %s", t[i].uri, err.msg);
		assert_string_equal(tg.host, t[i].host);
		assert_string_equal(tg.port, t[i].port);
		if (t[i].sni == NULL)
			assert_null(tg.sni);
		else
			assert_string_equal(tg.sni, t[i].sni);
		assert_int_equal(tg.starttls_smtp, t[i].smtp);
		assert_int_equal(tg.timeout_ms, 0);
		free(storage);
	}
}

/* ---- a tiny server ------------------------------------------------------- */

enum mode {
	M_TLS,			/* TLS right away */
	M_SMTP,			/* banner, EHLO with STARTTLS, 220, TLS */
	M_SMTP_454,		/* STARTTLS refused */
	M_SMTP_NOTLS,		/* EHLO without STARTTLS */
	M_SMTP_554,		/* the session refused in the banner */
	M_GARBAGE,		/* not TLS at all */
};

struct server {
	int lfd, port;
	enum mode mode;
	int nconn;		/* connections to serve before the thread ends */
	SSL_CTX *ctx;
	char sni[256];		/* the last SNI seen ("" for none); read after join */
	int handshakes;
	pthread_t th;
};

static struct {
	EVP_PKEY *ca_key, *leaf_key, *weak_key;
	X509 *ca, *leaf, *weak;
} G;

static int
setup(void **state)
{
	struct tc_spec ca = { "/C=US/O=Contoso/CN=Contoso Issuing CA 1", NULL, NULL, -DAY, 1000 * DAY, NULL, 1, 1 };
	struct tc_spec leaf = { "/C=US/O=Contoso/CN=mail.contoso.com", "DNS:mail.contoso.com",
	    "serverAuth", -DAY, 365 * DAY, NULL, 1, 0 };
	struct tc_spec weak = { "/O=Contoso/CN=legacy.contoso.com", "DNS:legacy.contoso.com", NULL,
	    -400 * DAY, -DAY, NULL, 0, 0 };

	(void)state;
	G.ca_key = tc_key(1);
	G.leaf_key = tc_key(1);
	G.ca = tc_cert(&ca, G.ca_key, NULL, NULL);
	G.leaf = tc_cert(&leaf, G.leaf_key, G.ca, G.ca_key);
	/* what the probe exists to see: RSA-1024, SHA-1-signed, expired */
	G.weak_key = EVP_RSA_gen(1024);
	weak.md = EVP_sha1();
	G.weak = tc_cert(&weak, G.weak_key, NULL, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(G.ca);
	X509_free(G.leaf);
	X509_free(G.weak);
	EVP_PKEY_free(G.ca_key);
	EVP_PKEY_free(G.leaf_key);
	EVP_PKEY_free(G.weak_key);
	return 0;
}

static int
listen_local(int *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void
say(int fd, const char *s)
{
	ssize_t n = send(fd, s, strlen(s), MSG_NOSIGNAL);
	(void)n;
}

/* Reads one line (up to '\n'); 0 when the peer went away. */
static int
hear(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		char c;
		if (recv(fd, &c, 1, 0) != 1)
			return 0;
		buf[n++] = c;
		if (c == '\n')
			break;
	}
	buf[n] = '\0';
	return 1;
}

static void
serve_one(struct server *s, int fd)
{
	struct timeval tv = { 5, 0 };
	char line[512];
	SSL *ssl;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	switch (s->mode) {
	case M_GARBAGE:
		hear(fd, line, 8);	/* a little of the ClientHello */
		say(fd, "HTTP/1.0 400 Bad Request\r\n\r\n");
		return;
	case M_SMTP_554:
		say(fd, "554 5.7.1 no thanks\r\n");
		hear(fd, line, sizeof(line));
		return;
	case M_SMTP:
	case M_SMTP_454:
	case M_SMTP_NOTLS:
		say(fd, "220-mx.test ESMTP\r\n220 ready\r\n");
		if (!hear(fd, line, sizeof(line)) || strncmp(line, "EHLO certrotate\r\n", 17) != 0)
			return;
		say(fd, s->mode == M_SMTP_NOTLS ? "250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n" :
		    "250-mx.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n");
		if (!hear(fd, line, sizeof(line)))
			return;
		if (strcmp(line, "STARTTLS\r\n") != 0) {
			say(fd, "500 what?\r\n");
			return;
		}
		if (s->mode == M_SMTP_454) {
			say(fd, "454 4.7.0 TLS not available due to temporary reason\r\n");
			return;
		}
		say(fd, "220 2.0.0 go ahead\r\n");
		break;
	case M_TLS:
		break;
	}
	ssl = SSL_new(s->ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) == 1) {
		const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
		snprintf(s->sni, sizeof(s->sni), "%s", sni ? sni : "");
		s->handshakes++;
		SSL_shutdown(ssl);
	}
	SSL_free(ssl);
	ERR_clear_error();
}

static void *
server_main(void *arg)
{
	struct server *s = arg;
	sigset_t pipe_set;
	int i;

	/* the client hangs up at will; only the client's side is under test */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
	for (i = 0; i < s->nconn; i++) {
		struct pollfd p = { .fd = s->lfd, .events = POLLIN };
		int fd;

		if (poll(&p, 1, 10000) != 1)
			break;
		fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			break;
		serve_one(s, fd);
		close(fd);
	}
	return NULL;
}

static void
server_start(struct server *s, enum mode mode, int nconn, X509 *cert, EVP_PKEY *key,
    X509 *chain, int tls10_only)
{
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->nconn = nconn;
	s->lfd = listen_local(&s->port);
	s->ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(s->ctx);
	/* the server must be willing to serve the weak certificate at all */
	SSL_CTX_set_security_level(s->ctx, 0);
	assert_true(SSL_CTX_set_cipher_list(s->ctx, "DEFAULT:@SECLEVEL=0"));
	SSL_CTX_set_min_proto_version(s->ctx, TLS1_VERSION);
	if (tls10_only)
		SSL_CTX_set_max_proto_version(s->ctx, TLS1_VERSION);
	assert_true(SSL_CTX_use_certificate(s->ctx, cert));
	assert_true(SSL_CTX_use_PrivateKey(s->ctx, key));
	if (chain != NULL)
		assert_true(SSL_CTX_add1_chain_cert(s->ctx, chain));
	assert_int_equal(pthread_create(&s->th, NULL, server_main, s), 0);
}

static void
server_stop(struct server *s)
{
	/* unblock a server still waiting for a connection */
	shutdown(s->lfd, SHUT_RDWR);
	pthread_join(s->th, NULL);
	close(s->lfd);
	SSL_CTX_free(s->ctx);
}

static int
fetch(int port, const char *host, const char *sni, int smtp, int timeout_ms,
    STACK_OF(X509) **chain, struct cr_err *err)
{
	char ps[16];
	struct crt_tls_target t = { host, ps, sni, smtp, timeout_ms };

	snprintf(ps, sizeof(ps), "%d", port);
	cr_err_clear(err);
	return crt_tls_fetch(&t, chain, err);
}

static void
test_fetch_chain(void **state)
{
	struct server s;
	STACK_OF(X509) *chain = NULL;
	struct cr_err err;

	(void)state;
	server_start(&s, M_TLS, 2, G.leaf, G.leaf_key, G.ca, 0);
	if (fetch(s.port, "127.0.0.1", "mail.contoso.com", 0, 5000, &chain, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(sk_X509_num(chain), 2);
	assert_int_equal(X509_cmp(sk_X509_value(chain, 0), G.leaf), 0);
	assert_int_equal(X509_cmp(sk_X509_value(chain, 1), G.ca), 0);
	sk_X509_pop_free(chain, X509_free);
	chain = NULL;
	/* without SNI, and by name: "localhost" may be ::1 first, which refuses */
	if (fetch(s.port, "localhost", NULL, 0, 5000, &chain, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(X509_cmp(sk_X509_value(chain, 0), G.leaf), 0);
	sk_X509_pop_free(chain, X509_free);
	server_stop(&s);
	assert_int_equal(s.handshakes, 2);
	assert_string_equal(s.sni, "");
}

static void
test_fetch_sni(void **state)
{
	struct server s;
	STACK_OF(X509) *chain = NULL;
	struct cr_err err;

	(void)state;
	server_start(&s, M_TLS, 1, G.leaf, G.leaf_key, NULL, 0);
	assert_int_equal(fetch(s.port, "127.0.0.1", "mail.contoso.com", 0, 0, &chain, &err), CR_OK);
	assert_int_equal(sk_X509_num(chain), 1);
	sk_X509_pop_free(chain, X509_free);
	server_stop(&s);
	assert_string_equal(s.sni, "mail.contoso.com");
}

static void
test_load_tls_source(void **state)
{
	struct server s;
	struct crt_list l = CRT_LIST_INIT;
	struct crt_load_opts opts = { .timeout_ms = 5000 };
	struct cr_err err;
	char uri[128];

	(void)state;
	server_start(&s, M_TLS, 1, G.leaf, G.leaf_key, G.ca, 0);
	snprintf(uri, sizeof(uri), "tls://127.0.0.1:%d?sni=mail.contoso.com", s.port);
	if (crt_load(uri, &opts, &l, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(l.n, 1);
	assert_int_equal(X509_cmp(l.v[0]->x509, G.leaf), 0);
	assert_int_equal(sk_X509_num(l.v[0]->chain), 1);
	assert_string_equal(l.v[0]->source, uri);
	crt_list_release(&l);
	server_stop(&s);
	assert_string_equal(s.sni, "mail.contoso.com");
}

/*
 * tls:// sources send SNI as s_client -connect does: the host name unless
 * ?sni says otherwise, nothing for an address or "?sni=".  crt_tls_fetch
 * itself never derives one (the check engine's probes send exactly the
 * ref's sni or none): a target with sni NULL sends none, also for a name.
 */
static void
test_default_sni(void **state)
{
	static const struct { const char *fmt; const char *seen; } t[] = {
		{ "tls://localhost:%d", "localhost" },
		{ "tls://localhost:%d?sni=", "" },
		{ "tls://localhost:%d?sni=mail.contoso.com", "mail.contoso.com" },
		{ "tls://127.0.0.1:%d", "" },
	};
	struct crt_load_opts opts = { .timeout_ms = 5000 };
	STACK_OF(X509) *chain = NULL;
	struct server s;
	struct cr_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct crt_list l = CRT_LIST_INIT;
		char uri[128];

		server_start(&s, M_TLS, 1, G.leaf, G.leaf_key, NULL, 0);
		snprintf(uri, sizeof(uri), t[i].fmt, s.port);
		cr_err_clear(&err);
		if (crt_load(uri, &opts, &l, &err) != CR_OK)
			fail_msg("'%s': %s", uri, err.msg);
		crt_list_release(&l);
		server_stop(&s);
		if (strcmp(s.sni, t[i].seen) != 0)
			fail_msg("'%s': the server saw SNI '%s', expected '%s'", uri, s.sni, t[i].seen);
	}
	/* the probes' entry point: a name with sni NULL sends no SNI */
	server_start(&s, M_TLS, 1, G.leaf, G.leaf_key, NULL, 0);
	if (fetch(s.port, "localhost", NULL, 0, 5000, &chain, &err) != CR_OK)
		fail_msg("%s", err.msg);
	sk_X509_pop_free(chain, X509_free);
	server_stop(&s);
	assert_int_equal(s.handshakes, 1);
	assert_string_equal(s.sni, "");
}

/* The old certificates the tool exists to replace: SHA-1, RSA-1024, TLS 1.0. */
static void
test_fetch_weak(void **state)
{
	struct server s;
	STACK_OF(X509) *chain = NULL;
	struct cr_err err;

	(void)state;
	server_start(&s, M_TLS, 1, G.weak, G.weak_key, NULL, 1);
	if (fetch(s.port, "127.0.0.1", NULL, 0, 5000, &chain, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(X509_cmp(sk_X509_value(chain, 0), G.weak), 0);
	sk_X509_pop_free(chain, X509_free);
	server_stop(&s);
}

static void
test_starttls(void **state)
{
	static const struct { enum mode mode; int status; const char *msg; } t[] = {
		{ M_SMTP, CR_OK, NULL },
		{ M_SMTP_454, CR_EENV, "STARTTLS refused: \"454 4.7.0 TLS not available due to temporary reason\"" },
		{ M_SMTP_NOTLS, CR_EENV, "SMTP server does not offer STARTTLS (EHLO reply ends \"250 8BITMIME\")" },
		{ M_SMTP_554, CR_EENV, "SMTP server refused the session: \"554 5.7.1 no thanks\"" },
		{ M_TLS, CR_EENV, "timed out after 500 ms waiting for the SMTP banner" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct server s;
		STACK_OF(X509) *chain = NULL;
		struct cr_err err;
		char ep[64];
		int r;

		server_start(&s, t[i].mode, 1, G.leaf, G.leaf_key, G.ca, 0);
		r = fetch(s.port, "127.0.0.1", "mx.contoso.com", 1, 500, &chain, &err);
		if (r != t[i].status || (t[i].msg && strstr(err.msg, t[i].msg) == NULL))
			fail_msg("mode %d: status %d '%s', expected %d '%s'", t[i].mode, r, err.msg,
			    t[i].status, t[i].msg ? t[i].msg : "");
		snprintf(ep, sizeof(ep), "endpoint '127.0.0.1:%d'", s.port);
		if (r == CR_OK) {
			assert_int_equal(sk_X509_num(chain), 2);
			assert_int_equal(X509_cmp(sk_X509_value(chain, 0), G.leaf), 0);
			sk_X509_pop_free(chain, X509_free);
		} else {
			assert_null(chain);
			assert_non_null(strstr(err.msg, ep));
		}
		server_stop(&s);
		if (t[i].mode == M_SMTP)
			assert_string_equal(s.sni, "mx.contoso.com");
	}
}

static void
test_refused(void **state)
{
	STACK_OF(X509) *chain = NULL;
	struct cr_err err;
	char want[96];
	int port, fd = listen_local(&port);

	(void)state;
	close(fd);	/* nothing listens there now */
	assert_int_equal(fetch(port, "127.0.0.1", NULL, 0, 2000, &chain, &err), CR_EENV);
	snprintf(want, sizeof(want), "endpoint '127.0.0.1:%d': connection refused", port);
	assert_string_equal(err.msg, want);
	assert_null(chain);
}

static void
test_timeout(void **state)
{
	STACK_OF(X509) *chain = NULL;
	struct cr_err err;
	struct timespec a, b;
	long ms;
	int port, fd = listen_local(&port);	/* listens, never accepts, never answers */

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(fetch(port, "127.0.0.1", NULL, 0, 300, &chain, &err), CR_EENV);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	if (strstr(err.msg, "timed out after 300 ms") == NULL)
		fail_msg("%s", err.msg);
	assert_non_null(strstr(err.msg, "during the TLS handshake"));
	assert_true(ms >= 250 && ms < 3000);
	assert_null(chain);
	close(fd);
}

static void
test_not_tls(void **state)
{
	struct server s;
	STACK_OF(X509) *chain = NULL;
	struct cr_err err;

	(void)state;
	server_start(&s, M_GARBAGE, 1, G.leaf, G.leaf_key, NULL, 0);
	assert_int_equal(fetch(s.port, "127.0.0.1", NULL, 0, 3000, &chain, &err), CR_EENV);
	if (strstr(err.msg, "TLS handshake failed") == NULL)
		fail_msg("%s", err.msg);
	assert_null(chain);
	server_stop(&s);
}

static void
test_unresolvable(void **state)
{
	STACK_OF(X509) *chain = NULL;
	struct crt_tls_target t = { "no-such-host.invalid", "443", NULL, 0, 1000 };
	struct cr_err err;

	(void)state;
	assert_int_equal(crt_tls_fetch(&t, &chain, &err), CR_EENV);
	assert_non_null(strstr(err.msg, "endpoint 'no-such-host.invalid:443': cannot resolve"));
}

/* Probes run on threads: several fetches at once, each with its own state. */
struct job {
	int port;
	int status;
	int ok_leaf;
	char msg[CR_ERR_MSG_MAX];
};

static void *
job_main(void *arg)
{
	struct job *j = arg;
	STACK_OF(X509) *chain = NULL;
	struct cr_err err;

	j->status = fetch(j->port, "127.0.0.1", "mail.contoso.com", 0, 10000, &chain, &err);
	snprintf(j->msg, sizeof(j->msg), "%s", err.msg);
	if (chain != NULL) {
		j->ok_leaf = X509_cmp(sk_X509_value(chain, 0), G.leaf) == 0;
		sk_X509_pop_free(chain, X509_free);
	}
	return NULL;
}

static void
test_parallel(void **state)
{
	enum { N = 6 };
	struct server s;
	struct job jobs[N];
	pthread_t th[N];
	int i;

	(void)state;
	server_start(&s, M_TLS, N, G.leaf, G.leaf_key, G.ca, 0);
	for (i = 0; i < N; i++) {
		jobs[i].port = s.port;
		jobs[i].ok_leaf = 0;
		assert_int_equal(pthread_create(&th[i], NULL, job_main, &jobs[i]), 0);
	}
	for (i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	server_stop(&s);
	for (i = 0; i < N; i++) {
		if (jobs[i].status != CR_OK)
			fail_msg("job %d: %s", i, jobs[i].msg);
		assert_true(jobs[i].ok_leaf);
	}
	assert_int_equal(s.handshakes, N);
}


/* ---- SMTP replies, as bytes (cert/smtp.c) -------------------------------- */

static void
test_smtp_replies(void **state)
{
	static const struct {
		enum crt_smtp_stage stage;
		const char *bytes;
		size_t len;
		int status;		/* of feed, then of judge */
		int complete;
		size_t used;
		const char *msg;
	} t[] = {
		{ CRT_SMTP_BANNER, B("220 mx ready\r\n"), CR_OK, 1, 14, NULL },
		{ CRT_SMTP_BANNER, B("220-mx\r\n220 ready\r\nleft"), CR_OK, 1, 19, NULL },
		{ CRT_SMTP_BANNER, B("220\n"), CR_OK, 1, 4, NULL },
		{ CRT_SMTP_BANNER, B("220-mx\r\n220 rea"), CR_OK, 0, 8, NULL },
		{ CRT_SMTP_BANNER, B("554 5.7.1 no\r\n"), CR_EENV, 1, 14,
		  "SMTP server refused the session: \"554 5.7.1 no\"" },
		{ CRT_SMTP_BANNER, B("HTTP/1.0 400\r\n"), CR_EENV, 0, 0,
		  "not an SMTP reply now: \"HTTP/1.0 400\"" },
		{ CRT_SMTP_BANNER, B("22 x\r\n"), CR_EENV, 0, 0, "not an SMTP reply" },
		{ CRT_SMTP_BANNER, B("220x\r\n"), CR_EENV, 0, 0, "not an SMTP reply" },
		/* a NUL in a line: malformed, quoted escaped */
		{ CRT_SMTP_BANNER, B("220 a\0b\r\n"), CR_EENV, 0, 0, "not an SMTP reply now: \"220 a\\x00b\"" },
		{ CRT_SMTP_BANNER, B("554 \x1b[2Jgone\r\n"), CR_EENV, 1, 14, "\"554 \\x1B[2Jgone\"" },
		{ CRT_SMTP_EHLO, B("250-mx\r\n250-STARTTLS\r\n250 8BITMIME\r\n"), CR_OK, 1, 36, NULL },
		{ CRT_SMTP_EHLO, B("250-mx\r\n250 starttls\r\n"), CR_OK, 1, 22, NULL },
		{ CRT_SMTP_EHLO, B("250-mx\r\n250-STARTTLSX\r\n250 8BITMIME\r\n"), CR_EENV, 1, 37,
		  "does not offer STARTTLS (EHLO reply ends \"250 8BITMIME\")" },
		/* the NUL-cut keyword of the old parser */
		{ CRT_SMTP_EHLO, B("250-STARTTLS\0junk\r\n250 x\r\n"), CR_EENV, 0, 0, "not an SMTP reply" },
		{ CRT_SMTP_EHLO, B("500 what\r\n"), CR_EENV, 1, 10, "refused EHLO: \"500 what\"" },
		{ CRT_SMTP_STARTTLS, B("220 go\r\n"), CR_OK, 1, 8, NULL },
		{ CRT_SMTP_STARTTLS, B("454 4.7.0 later\r\n"), CR_EENV, 1, 17, "STARTTLS refused: \"454 4.7.0 later\"" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct crt_smtp_reply r;
		struct cr_err err;
		size_t used = 99;
		int rc;

		cr_err_clear(&err);
		crt_smtp_reply_init(&r);
		rc = crt_smtp_reply_feed(&r, "h:25", "now", t[i].bytes, t[i].len, &used, &err);
		if (rc == CR_OK && r.complete)
			rc = crt_smtp_judge(t[i].stage, &r, "h:25", &err);
		if (rc != t[i].status || r.complete != t[i].complete ||
		    (rc == CR_OK && used != t[i].used) ||
		    (t[i].msg != NULL && strstr(err.msg, t[i].msg) == NULL))
			fail_msg("row %zu: status %d complete %d used %zu '%s'", i, rc, r.complete, used,
			    err.msg);
	}
}

/* Bounds: a line of CRT_SMTP_LINE_MAX bytes, a reply of more than CRT_SMTP_LINES_MAX lines. */
static void
test_smtp_bounds(void **state)
{
	char *buf = malloc(CRT_SMTP_LINE_MAX + 16);
	struct cr_buf many = CR_BUF_INIT;
	struct crt_smtp_reply r;
	struct cr_err err;
	size_t used;
	int i;

	(void)state;
	memset(buf, 'a', CRT_SMTP_LINE_MAX + 16);
	memcpy(buf, "220 ", 4);
	crt_smtp_reply_init(&r);
	assert_int_equal(crt_smtp_reply_feed(&r, "h:25", "now", buf, CRT_SMTP_LINE_MAX, &used, &err),
	    CR_EENV);
	assert_non_null(strstr(err.msg, "SMTP reply line longer than 4096 bytes now"));
	crt_smtp_reply_init(&r);
	assert_int_equal(crt_smtp_reply_feed(&r, "h:25", "now", buf, CRT_SMTP_LINE_MAX - 1, &used,
	    &err), CR_OK);
	assert_false(r.complete);
	for (i = 0; i <= CRT_SMTP_LINES_MAX; i++)
		cr_buf_adds(&many, "250-x\r\n");
	crt_smtp_reply_init(&r);
	assert_int_equal(crt_smtp_reply_feed(&r, "h:25", "now", many.s, many.len, &used, &err),
	    CR_EENV);
	assert_int_equal(err.reason, CR_R_TOO_LARGE);
	assert_non_null(strstr(err.msg, "more than 1000 lines"));
	cr_buf_release(&many);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_smtp_replies),
		cmocka_unit_test(test_smtp_bounds),
		cmocka_unit_test(test_fetch_chain),
		cmocka_unit_test(test_fetch_sni),
		cmocka_unit_test(test_load_tls_source),
		cmocka_unit_test(test_default_sni),
		cmocka_unit_test(test_fetch_weak),
		cmocka_unit_test(test_starttls),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_not_tls),
		cmocka_unit_test(test_unresolvable),
		cmocka_unit_test(test_parallel),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
