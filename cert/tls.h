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
	const char *sni;	/* NULL: no SNI extension sent */
	int starttls_smtp;	/* speak SMTP up to STARTTLS first */
	int timeout_ms;		/* whole exchange; 0 means 5000 */
};

/*
 * Connects, handshakes and returns the served chain (leaf first) in *chain
 * (NULL on entry; free with sk_X509_pop_free(.., X509_free)).
 * CR_EENV with "endpoint '127.0.0.1:8443': connection refused" (or timed
 * out, TLS handshake failed: reason, STARTTLS refused: "454 ...").
 */
int crt_tls_fetch(const struct crt_tls_target *t, STACK_OF(X509) **chain,
    struct cr_err *err);

/*
 * Parses "tls://HOST:PORT[?sni=NAME&starttls=smtp]" (also "[v6]:port").
 * Strings in *t point into *storage (free() it).  CR_EINPUT on malformed.
 */
int crt_tls_parse(const char *uri, struct crt_tls_target *t, char **storage,
    struct cr_err *err);

#endif
