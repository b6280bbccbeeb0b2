/*
 * tls.c - fetch the chain an endpoint serves.
 *
 * Probes run several at once on threads (check/probe.c), so everything
 * here is per call: the SSL_CTX, the socket, the deadline, the signal mask.
 * OpenSSL's error queue is per thread already.
 *
 * One deadline bounds the whole exchange (connect, SMTP dialogue, TLS
 * handshake): the socket is non-blocking and every wait is a poll() for
 * what is left of it.  Name resolution (getaddrinfo) is the exception: it
 * cannot be bounded without a resolver thread, and the system's resolver
 * has its own timeouts.
 */
#include "tls.h"
#include "smtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "greet.h"
#include "../common/util.h"

#define DEFAULT_TIMEOUT_MS 5000

struct conn {
	int fd;
	const char *ep;			/* "host:port" for messages */
	int timeout_ms;
	struct timespec deadline;	/* CLOCK_MONOTONIC */
	char rbuf[CRT_SMTP_LINE_MAX];	/* SMTP reply bytes not yet consumed */
	size_t rlen;
};

static int
remaining_ms(const struct conn *c)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(c->deadline.tv_sec - now.tv_sec) * 1000 +
	    (c->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 1000000000 ? 1000000000 : (int)ms;
}

/* 1 when fd is ready for events, 0 at the deadline, -1 on error (errno). */
static int
wait_fd(const struct conn *c, short events)
{
	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = events, .revents = 0 };
		int left = remaining_ms(c), r;

		if (left <= 0)
			return 0;
		r = poll(&pfd, 1, left);
		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static const char *
errstr(int e, char *buf, size_t len)
{
	/* GNU strerror_r: thread-safe, returns the message */
	return strerror_r(e, buf, len);
}

static int
fail_errno(const struct conn *c, int e, const char *what, struct cr_err *err)
{
	char buf[128];

	if (e == ECONNREFUSED)
		return cr_err_set(err, CR_EENV, "endpoint '%s': connection refused", c->ep);
	return cr_err_set(err, CR_EENV, "endpoint '%s': %s%s%s", c->ep, what, *what ? ": " : "",
	    errstr(e, buf, sizeof(buf)));
}

static int
fail_timeout(const struct conn *c, const char *when, struct cr_err *err)
{
	return cr_err_set(err, CR_EENV, "endpoint '%s': timed out after %d ms %s", c->ep,
	    c->timeout_ms, when);
}

/* ---- connecting ----------------------------------------------------------- */

static int
connect_any(const struct crt_tls_target *t, struct conn *c, struct cr_err *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	int rc, last = 0, timed_out = 0, r = CR_EENV;
	const char *p;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	for (p = t->port; *p >= '0' && *p <= '9'; p++)
		;
	if (*p == '\0')
		hints.ai_flags |= AI_NUMERICSERV;
	rc = getaddrinfo(t->host, t->port, &hints, &res);
	if (rc != 0) {
		char buf[128];
		return cr_err_set(err, CR_EENV, "endpoint '%s': cannot resolve '%s': %s", c->ep,
		    t->host, rc == EAI_SYSTEM ? errstr(errno, buf, sizeof(buf)) : gai_strerror(rc));
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int soerr = 0, w;
		socklen_t sl = sizeof(soerr);

		if (remaining_ms(c) <= 0) {
			timed_out = 1;
			break;
		}
		c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (c->fd < 0) {
			last = errno;
			continue;
		}
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0)
			goto connected;
		if (errno != EINPROGRESS) {
			last = errno;
			goto next;
		}
		w = wait_fd(c, POLLOUT);
		if (w == 0) {
			timed_out = 1;
			close(c->fd);
			c->fd = -1;
			break;
		}
		if (w < 0 || getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) {
			last = errno;
			goto next;
		}
		if (soerr == 0)
			goto connected;
		last = soerr;
next:
		close(c->fd);
		c->fd = -1;
	}
	if (timed_out)
		fail_timeout(c, "while connecting", err);
	else
		fail_errno(c, last ? last : ECONNREFUSED, "cannot connect", err);
	goto out;
connected:
	r = CR_OK;
out:
	freeaddrinfo(res);
	return r;
}

/* ---- SMTP up to STARTTLS --------------------------------------------------- */

static int
send_all(struct conn *c, const char *s, const char *when, struct cr_err *err)
{
	size_t n = strlen(s), off = 0;

	while (off < n) {
		ssize_t w = send(c->fd, s + off, n - off, MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return fail_errno(c, errno, when, err);
		if (w < 0 && errno == EINTR)
			continue;
		if (wait_fd(c, POLLOUT) <= 0)
			return fail_timeout(c, when, err);
	}
	return CR_OK;
}

/*
 * Reads one SMTP reply into r: what is buffered first, then the socket,
 * within the deadline.  Bytes after the reply stay in c->rbuf.
 */
static int
smtp_read(struct conn *c, struct crt_smtp_reply *r, const char *when, struct cr_err *err)
{
	crt_smtp_reply_init(r);
	for (;;) {
		size_t used;
		ssize_t got;
		int rc;

		if ((rc = crt_smtp_reply_feed(r, c->ep, when, c->rbuf, c->rlen, &used, err)) != CR_OK)
			return rc;
		memmove(c->rbuf, c->rbuf + used, c->rlen - used);
		c->rlen -= used;
		if (r->complete)
			return CR_OK;
		/* the feed refuses a line as long as the buffer: there is room */
		got = recv(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen, 0);
		if (got > 0) {
			c->rlen += (size_t)got;
			continue;
		}
		if (got == 0)
			return cr_err_set(err, CR_EENV, "endpoint '%s': connection closed by the "
			    "server %s", c->ep, when);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return fail_errno(c, errno, when, err);
		if (wait_fd(c, POLLIN) <= 0)
			return fail_timeout(c, when, err);
	}
}

/* The client's side up to STARTTLS; each reply judged by cert/smtp.c. */
static int
smtp_starttls(struct conn *c, struct cr_err *err)
{
	struct crt_smtp_reply rep;
	int r;

	if ((r = smtp_read(c, &rep, "waiting for the SMTP banner", err)) != CR_OK ||
	    (r = crt_smtp_judge(CRT_SMTP_BANNER, &rep, c->ep, err)) != CR_OK)
		return r;
	if ((r = send_all(c, "EHLO certrotate\r\n", "sending EHLO", err)) != CR_OK ||
	    (r = smtp_read(c, &rep, "after EHLO", err)) != CR_OK ||
	    (r = crt_smtp_judge(CRT_SMTP_EHLO, &rep, c->ep, err)) != CR_OK)
		return r;
	if ((r = send_all(c, "STARTTLS\r\n", "sending STARTTLS", err)) != CR_OK ||
	    (r = smtp_read(c, &rep, "after STARTTLS", err)) != CR_OK ||
	    (r = crt_smtp_judge(CRT_SMTP_STARTTLS, &rep, c->ep, err)) != CR_OK)
		return r;
	/* anything the server sent ahead of the handshake is discarded (RFC 3207) */
	c->rlen = 0;
	return CR_OK;
}

/* ---- TLS ------------------------------------------------------------------- */

static SSL_CTX *
probe_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		return NULL;
	/*
	 * Level 0 and every protocol from TLS 1.0: the probe must see the SHA-1
	 * and small-key certificates it exists to replace (PKCS11-NOTES), and
	 * servers too old for RFC 5746.  Nothing is verified: the caller judges.
	 */
	SSL_CTX_set_security_level(ctx, 0);
	if (!SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0") ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, 0)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

static int
handshake_failed(const struct conn *c, SSL *ssl, int rc, struct cr_err *err)
{
	int e = SSL_get_error(ssl, rc);
	char buf[128];

	if (e == SSL_ERROR_SSL || ERR_peek_last_error() != 0)
		cr_err_ssl(err, CR_EENV, "endpoint '%s': TLS handshake failed", c->ep);
	else if (e == SSL_ERROR_SYSCALL && errno != 0)
		cr_err_set(err, CR_EENV, "endpoint '%s': TLS handshake failed: %s", c->ep,
		    errstr(errno, buf, sizeof(buf)));
	else
		cr_err_set(err, CR_EENV, "endpoint '%s': TLS handshake failed: connection closed "
		    "by the server", c->ep);
	err->reason = CR_R_TLS;
	return CR_EENV;
}

static int
tls_chain(const struct crt_tls_target *t, struct conn *c, STACK_OF(X509) **chain,
    struct cr_err *err)
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	STACK_OF(X509) *peer, *copy = NULL;
	int r = CR_EENV, i;

	ERR_clear_error();
	if ((ctx = probe_ctx()) == NULL || (ssl = SSL_new(ctx)) == NULL ||
	    !SSL_set_fd(ssl, c->fd)) {
		cr_err_ssl(err, CR_EENV, "endpoint '%s': cannot set up TLS", c->ep);
		goto out;
	}
	if (t->sni != NULL && !SSL_set_tlsext_host_name(ssl, t->sni)) {
		cr_err_ssl(err, CR_EINPUT, "endpoint '%s': bad SNI name '%s'", c->ep, t->sni);
		r = CR_EINPUT;
		goto out;
	}
	for (;;) {
		int rc, e, w;

		errno = 0;
		rc = SSL_connect(ssl);
		if (rc == 1)
			break;
		e = SSL_get_error(ssl, rc);
		if (e == SSL_ERROR_WANT_READ)
			w = wait_fd(c, POLLIN);
		else if (e == SSL_ERROR_WANT_WRITE)
			w = wait_fd(c, POLLOUT);
		else {
			handshake_failed(c, ssl, rc, err);
			goto out;
		}
		if (w == 0) {
			fail_timeout(c, "during the TLS handshake", err);
			goto out;
		}
		if (w < 0) {
			fail_errno(c, errno, "TLS handshake failed", err);
			goto out;
		}
	}
	/* on the client side the peer chain includes the leaf, first */
	copy = sk_X509_new_null();
	peer = SSL_get_peer_cert_chain(ssl);
	for (i = 0; copy != NULL && peer != NULL && i < sk_X509_num(peer); i++) {
		X509 *x = sk_X509_value(peer, i);
		X509_up_ref(x);
		if (!sk_X509_push(copy, x))
			X509_free(x);
	}
	if (copy != NULL && sk_X509_num(copy) == 0) {
		X509 *leaf = SSL_get1_peer_certificate(ssl);
		if (leaf != NULL && !sk_X509_push(copy, leaf))
			X509_free(leaf);
	}
	if (copy == NULL || sk_X509_num(copy) == 0) {
		cr_err_set(err, CR_EENV, "endpoint '%s' served no certificate", c->ep);
		goto out;
	}
	/* a courtesy close_notify; no waiting for the server's */
	SSL_shutdown(ssl);
	*chain = copy;
	copy = NULL;
	r = CR_OK;
out:
	if (copy != NULL)
		sk_X509_pop_free(copy, X509_free);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

int
crt_tls_fetch(const struct crt_tls_target *t, STACK_OF(X509) **chain, struct cr_err *err)
{
	struct conn c;
	sigset_t pipe_set, old, pend;
	int r, was_pending;
	char *ep;

	*chain = NULL;
	if (t->host == NULL || *t->host == '\0' || t->port == NULL || *t->port == '\0')
		return cr_err_set(err, CR_EINPUT, "endpoint '%s:%s': needs a host and a port",
		    t->host ? t->host : "", t->port ? t->port : "");
	memset(&c, 0, sizeof(c));
	c.fd = -1;
	c.timeout_ms = t->timeout_ms > 0 ? t->timeout_ms : DEFAULT_TIMEOUT_MS;
	ep = strchr(t->host, ':') != NULL ? cr_xasprintf("[%s]:%s", t->host, t->port) :
	    cr_xasprintf("%s:%s", t->host, t->port);
	c.ep = ep;
	clock_gettime(CLOCK_MONOTONIC, &c.deadline);
	c.deadline.tv_sec += c.timeout_ms / 1000;
	c.deadline.tv_nsec += (long)(c.timeout_ms % 1000) * 1000000L;
	if (c.deadline.tv_nsec >= 1000000000L) {
		c.deadline.tv_sec++;
		c.deadline.tv_nsec -= 1000000000L;
	}
	/*
	 * OpenSSL writes to the socket with write(): a server that resets the
	 * connection would kill the process with SIGPIPE.  Block it in this
	 * thread only, and swallow one raised here before unblocking.
	 */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigemptyset(&pend);
	was_pending = sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE);

	if ((r = connect_any(t, &c, err)) == CR_OK &&
	    (!t->starttls_smtp || (r = smtp_starttls(&c, err)) == CR_OK))
		r = tls_chain(t, &c, chain, err);
	if (c.fd >= 0)
		close(c.fd);
	/* a server that speaks first in clear (SMTP) tells why, and what to ask for */
	if (r != CR_OK && err != NULL && err->reason == CR_R_TLS)
		crt_greeting_hint(t, err);

	if (!was_pending && sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE)) {
		struct timespec zero = { 0, 0 };
		sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(ep);
	return r;
}

/* ---- tls:// URIs ------------------------------------------------------------- */

/*
 * Appends the %XX-decoded s[0..n) and a NUL at *dst; returns the copy, or
 * NULL when it decodes a NUL ("%00" would cut the name short).
 */
static char *
put(char **dst, const char *s, size_t n, int decode)
{
	char *start = *dst;
	size_t k;

	if (!decode) {
		memcpy(start, s, n);
		start[n] = '\0';
		k = n;
	} else {
		k = cr_pct_decode_into(start, s, n);
	}
	*dst = start + k + 1;
	return strlen(start) == k ? start : NULL;
}

/* An IPv6 address, with a zone ("fe80::1%eth0") or without. */
static int
ipv6_literal(const char *host)
{
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN + 1];
	size_t n = strcspn(host, "%");

	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, host, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, &a6) == 1;
}

/* An IPv4 (any form inet_aton takes: "127.1" too) or IPv6 address, not a name. */
static int
ip_literal(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	return strchr(host, ':') != NULL || inet_aton(host, &a4) != 0 ||
	    inet_pton(AF_INET6, host, &a6) == 1;
}

int
crt_tls_parse(const char *uri, struct crt_tls_target *t, char **storage, struct cr_err *err)
{
	const char *a, *aend, *host, *hend, *port, *q;
	char *buf, *w;
	size_t i;
	int have_sni = 0, have_starttls = 0;

	memset(t, 0, sizeof(*t));
	*storage = NULL;
	if (uri == NULL || strncasecmp(uri, "tls://", 6) != 0)
		return cr_err_set(err, CR_EINPUT, "bad endpoint '%s': expected "
		    "tls://HOST:PORT[?sni=NAME&starttls=smtp]", uri ? uri : "");
	a = uri + 6;
	aend = a + strcspn(a, "/?#");
	if (*aend == '#' || (*aend == '/' && aend[1] != '\0' && aend[1] != '?'))
		return cr_err_set(err, CR_EINPUT, "bad endpoint '%s': unexpected '%s' after "
		    "HOST:PORT", uri, aend);
	if (memchr(a, '@', (size_t)(aend - a)) != NULL)
		return cr_err_set(err, CR_EINPUT, "bad endpoint '%s': user information is not "
		    "supported", uri);
	if (*a == '[') {
		host = a + 1;
		hend = memchr(host, ']', (size_t)(aend - host));
		if (hend == NULL || hend == host || hend + 1 >= aend || hend[1] != ':')
			return cr_err_set(err, CR_EINPUT, "bad endpoint '%s': expected [ADDRESS]:PORT",
			    uri);
		port = hend + 2;
	} else {
		host = a;
		hend = NULL;
		for (q = a; q < aend; q++)
			if (*q == ':')
				hend = q;
		if (hend == NULL)
			return cr_err_set(err, CR_EINPUT, "bad endpoint '%s': needs a port "
			    "(tls://HOST:PORT)", uri);
		if (memchr(host, ':', (size_t)(hend - host)) != NULL)
			return cr_err_set(err, CR_EINPUT, "bad endpoint '%s': an IPv6 address goes "
			    "in brackets (tls://[::1]:443)", uri);
		if (hend == host)
			return cr_err_set(err, CR_EINPUT, "bad endpoint '%s': no host", uri);
		port = hend + 1;
	}
	{
		long v = 0;
		if (port == aend || aend - port > 5)
			return cr_err_set(err, CR_EINPUT, "bad endpoint '%s': the port must be a "
			    "number from 1 to 65535", uri);
		for (q = port; q < aend; q++) {
			if (*q < '0' || *q > '9')
				return cr_err_set(err, CR_EINPUT, "bad endpoint '%s': the port must be "
				    "a number from 1 to 65535", uri);
			v = v * 10 + (*q - '0');
		}
		if (v < 1 || v > 65535)
			return cr_err_set(err, CR_EINPUT, "bad endpoint '%s': the port must be a "
			    "number from 1 to 65535", uri);
	}
	/* host, port and sni are at most the URI's length together; a default
	 * sni (the host again) at most that once more */
	buf = cr_xmalloc(2 * strlen(uri) + 4);
	w = buf;
	/* a zone in brackets is written %25 (RFC 6874): "[fe80::1%25eth0]" */
	t->host = put(&w, host, (size_t)(hend - host), *a == '[');
	t->port = put(&w, port, (size_t)(aend - port), 0);
	if (t->host == NULL) {
		cr_err_set(err, CR_EINPUT, "bad endpoint '%s': %%00 in the host", uri);
		goto fail;
	}
	/* the host is resolved and, a name, sent as SNI: no blanks or control bytes */
	for (i = 0; t->host[i]; i++)
		if ((unsigned char)t->host[i] <= ' ' || t->host[i] == 0x7f) {
			cr_err_set(err, CR_EINPUT, "bad endpoint '%s': a blank or control byte in the "
			    "host", uri);
			goto fail;
		}
	if (*a == '[' && !ipv6_literal(t->host)) {
		cr_err_set(err, CR_EINPUT, "bad endpoint '%s': only an IPv6 address goes in "
		    "brackets", uri);
		goto fail;
	}
	q = strchr(aend, '?');
	for (q = q ? q + 1 : NULL; q != NULL && *q; ) {
		size_t n = strcspn(q, "&");
		const char *eq = memchr(q, '=', n);
		size_t klen = eq ? (size_t)(eq - q) : n;
		const char *v = eq ? eq + 1 : q + n;
		size_t vlen = eq ? n - klen - 1 : 0;

		if (klen == 3 && strncmp(q, "sni", 3) == 0) {
			if (have_sni++ || eq == NULL)
				goto bad_attr;
			if (vlen == 0)	/* "?sni=": none at all, even for a host name */
				goto next;
			if ((t->sni = put(&w, v, vlen, 1)) == NULL)
				goto bad_attr;
			for (i = 0; t->sni[i]; i++)
				if ((unsigned char)t->sni[i] <= ' ')
					goto bad_attr;
		} else if (klen == 8 && strncmp(q, "starttls", 8) == 0) {
			if (have_starttls++ || vlen != 4 || strncasecmp(v, "smtp", 4) != 0)
				goto bad_attr;
			t->starttls_smtp = 1;
		} else {
			cr_err_set(err, CR_EINPUT, "bad endpoint '%s': unknown attribute '%.*s' "
			    "(expected sni=NAME or starttls=smtp)", uri, (int)klen, q);
			goto fail;
		}
next:
		q += n;
		if (*q == '&')
			q++;
		continue;
bad_attr:
		cr_err_set(err, CR_EINPUT, "bad endpoint '%s': bad or repeated '%.*s' (expected "
		    "sni=NAME or starttls=smtp)", uri, (int)n, q);
		goto fail;
	}
	/*
	 * As `openssl s_client -connect` does: a host name is its own SNI unless
	 * ?sni says otherwise; an address never is one (RFC 6066 forbids IP
	 * literals in SNI).  Unlike s_client's heuristic a single-label name
	 * ("localhost", "exchange01") is sent too, as curl and browsers do.  The
	 * trailing dot of an absolute name is not part of a HostName.
	 */
	if (!have_sni && !ip_literal(t->host)) {
		size_t n = strlen(t->host);

		if (n > 1 && t->host[n - 1] == '.')
			n--;
		t->sni = put(&w, t->host, n, 0);
	}
	*storage = buf;
	return CR_OK;
fail:
	free(buf);
	memset(t, 0, sizeof(*t));
	return CR_EINPUT;
}
