/*
 * checks.h - the checks of SPEC 6: results, and the certificate-level
 * checks that need nothing but certificates and configuration values.
 *
 * Every check yields pass / warn / fail / skip and one line a person can
 * act on.  The functions here are pure (no tokens, no network) so they are
 * unit-tested with certificates built in the test; the checks that touch
 * tokens and endpoints are evaluated by the check engine (engine.c, chk_*.c).
 */
#ifndef CHK_CHECKS_H
#define CHK_CHECKS_H

#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>

enum chk_status { CHK_PASS = 0, CHK_WARN, CHK_FAIL, CHK_SKIP };

/* "pass", "warn", "fail", "skip" */
const char *chk_status_name(enum chk_status s);

struct chk_result {
	enum chk_status status;
	char *message;		/* owned; one line */
};

/* Sets *r (freeing a previous message) to status and the formatted message. */
void chk_result_set(struct chk_result *r, enum chk_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void chk_result_release(struct chk_result *r);

/* new.validity: fail when not yet valid, expired, or valid for less than min_remaining seconds. */
void chk_new_validity(const X509 *x, time_t now, long long min_remaining,
    struct chk_result *r);

/* old.validity: warn (loudly) when expired or expiring within min_remaining. */
void chk_old_validity(const X509 *x, time_t now, long long min_remaining,
    struct chk_result *r);

/* new.eku: fail when an EKU extension exists without serverAuth. */
void chk_eku(const X509 *x, struct chk_result *r);

/*
 * new.chain: a path from leaf through `untrusted` (may be NULL) to one of
 * `anchors` (NULL: the system store) valid at `now` for TLS server use.
 * Signature strength is not judged here (security level 0): that is
 * sigalg's job per host.  When path is not NULL it receives the path built
 * (leaf first, anchor last; free with sk_X509_pop_free(.., X509_free)), or
 * NULL when there is none.
 */
void chk_chain(X509 *leaf, STACK_OF(X509) *untrusted, STACK_OF(X509) *anchors,
    time_t now, struct chk_result *r, STACK_OF(X509) **path);

/*
 * names: every name must be covered by a SAN dNSName of `cert` (RFC 6125).
 * The message lists the missing names and, for each, whether `old` (may be
 * NULL) had it.
 */
void chk_names(const X509 *cert, const X509 *old, char *const *names, size_t n,
    struct chk_result *r);

/*
 * sigalg: the signature algorithm of the leaf and of every certificate of
 * `chain` (the intermediates: the path new.chain built, else the
 * configured ones) that is not self-signed must be in `accepted` (names like
 * "sha1WithRSAEncryption" or "RSA-SHA1", or dotted OIDs; case-insensitive).
 * n == 0 means anything is accepted.  The message names the host, the
 * algorithm and its OID.
 */
void chk_sigalg(const char *host, X509 *leaf, STACK_OF(X509) *chain,
    char *const *accepted, size_t n, struct chk_result *r);

/*
 * keyalg: the leaf's key must match one of `accepted` (cert/keyalg.h
 * syntax: "rsa:1024-4096", "ec:prime256v1", ...).  n == 0 means anything.
 */
void chk_keyalg(const char *host, const X509 *leaf, char *const *accepted, size_t n,
    struct chk_result *r);

#endif
