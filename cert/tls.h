/*
 * tls.h - the chain a live endpoint serves (tls://HOST:PORT sources and the
 * endpoint probes of `check`/`run`).
 *
 * The probe's OpenSSL context runs at security level 0 and verifies
 * nothing: its job is to see what an endpoint serves, including the SHA-1
 * and expired certificates it exists to replace; judging them is the
 * caller's business.
 */
#ifndef CRT_TLS_H
#define CRT_TLS_H

#include <openssl/x509.h>
#include "../common/err.h"

struct crt_tls_target {
	const char *host;	/* name or address */
	const char *port;	/* service or number */
	const char *sni;	/* sent as SNI; NULL: no SNI extension at all (never derived
				   from host here: probes send exactly what they are given) */
	int starttls_smtp;	/* speak SMTP up to STARTTLS first */
	int timeout_ms;		/* whole exchange; 0 means 5000 */
};

/*
 * Connects (every address of host in turn), speaks SMTP up to STARTTLS
 * when asked (EHLO certrotate), handshakes (TLS 1.0 to 1.3, security level
 * 0, no verification, SNI when t->sni) and returns the served chain (leaf
 * first, never empty) in *chain (NULL on entry and on error; free with
 * sk_X509_pop_free(.., X509_free)).
 * CR_EENV with "endpoint '127.0.0.1:8443': connection refused", "...:
 * timed out after 5000 ms while connecting" (or "during the TLS
 * handshake", "waiting for the SMTP banner", ...), "...: TLS handshake
 * failed: <reason>", "...: cannot resolve 'host': ...", "...: SMTP server
 * refused the session: \"554 ...\"", "...: SMTP server does not offer
 * STARTTLS (...)", "...: STARTTLS refused: \"454 ...\"", "endpoint '...'
 * served no certificate".  CR_EINPUT for a missing host/port or an SNI
 * OpenSSL refuses.  IPv6 hosts are shown as "[::1]:443".
 *
 * Thread-safe: no shared state (a fresh SSL_CTX per call).  The timeout
 * bounds connect, SMTP and handshake together; name resolution is not
 * bounded by it.  SIGPIPE is blocked in the calling thread during the call
 * (one raised by it is consumed), so a server resetting the connection
 * cannot kill the process.
 */
int crt_tls_fetch(const struct crt_tls_target *t, STACK_OF(X509) **chain,
    struct cr_err *err);

/*
 * Parses "tls://HOST:PORT[/][?sni=NAME&starttls=smtp]" (also "[v6]:port";
 * %25 for a zone inside brackets).  PORT is a number 1-65535; NAME is
 * %-decoded and may not hold blanks; starttls takes only smtp (any case).
 * SNI, as `openssl s_client -connect` chooses it: NAME when given; without
 * ?sni, HOST when it is a name (trailing dot dropped) and none when it is an
 * IP address (v4 in any inet_aton form, v6); "?sni=" (empty) sends none.
 * Unknown, repeated or empty attributes (but sni), user information, a path
 * or a fragment are CR_EINPUT naming the URI.  Strings in *t point into
 * *storage (free() it; NULL on error); t->timeout_ms is 0.
 */
int crt_tls_parse(const char *uri, struct crt_tls_target *t, char **storage,
    struct cr_err *err);

#endif
