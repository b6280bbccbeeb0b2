/*
 * probe.h - live endpoint probes for the check engine (`check`, `run`):
 * what certificate each endpoint serves, with and without SNI, many at
 * once, and again after the executor changed something.
 *
 * Probes are deduplicated by (endpoint, sni, starttls) and run on a small
 * pool of threads with a bounded number in flight, each bounded by its own
 * timeout, so a check over hundreds of endpoints takes about
 * ceil(n / in_flight) * timeout at worst, never n * timeout.
 */
#ifndef CHK_PROBE_H
#define CHK_PROBE_H

#include <stddef.h>
#include <openssl/x509.h>

#include "../common/err.h"
#include "../plan/map.h"

struct chk_probe {
	/* in */
	char *endpoint;		/* "HOST:PORT" (owned) */
	char *sni;		/* NULL: no SNI (owned) */
	int starttls_smtp;
	/* out */
	int status;		/* CR_OK or CR_EENV after chk_probes_run */
	char *error;		/* message when status != CR_OK (owned) */
	X509 *leaf;		/* served leaf (owned) or NULL */
	STACK_OF(X509) *chain;	/* everything served, leaf first, as sent (owned) or NULL:
				   endpoint.chain judges it */
	unsigned char sha256[32];	/* of leaf, when leaf != NULL */
	char *key;		/* "endpoint\x1fsni\x1fstarttls": the dedup key (owned) */
	int fresh;		/* the out fields hold a result not marked stale since */
};

struct chk_probes {
	struct chk_probe *v;
	size_t n, cap;
	struct plan_map index;	/* key -> index into v */
};
#define CHK_PROBES_INIT { NULL, 0, 0, PLAN_MAP_INIT }

/*
 * Adds a probe unless an identical one is already listed; returns its index
 * (stable until the set is released).
 */
size_t chk_probes_add(struct chk_probes *ps, const char *endpoint, const char *sni,
    int starttls_smtp);

/*
 * Runs the probes listed in which[0..n) (which NULL: every probe) that are
 * not fresh - never run, or marked stale since - at most `in_flight` at
 * once (0: 8), each within timeout_ms (0: 5000); a probe run again loses
 * its previous result first.  With `progress`, prints "probing endpoints:
 * i/n" on stderr as they finish (n: the probes run).  Never fails as a
 * whole: each probe has its own status.
 */
void chk_probes_run(struct chk_probes *ps, const size_t *which, size_t n, int in_flight,
    int timeout_ms, int progress);

/* Marks every probe stale: the next chk_probes_run that lists it runs it again. */
void chk_probes_stale(struct chk_probes *ps);

void chk_probes_release(struct chk_probes *ps);

#endif
