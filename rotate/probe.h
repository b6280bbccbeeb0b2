/*
 * probe.h - live endpoint probes for `check` and `run`: what certificate
 * each endpoint serves, with and without SNI, many at once.
 *
 * Probes are deduplicated by (endpoint, sni, starttls) and run on a small
 * pool of threads with a bounded number in flight, each bounded by its own
 * timeout, so a check over hundreds of endpoints takes about
 * ceil(n / in_flight) * timeout at worst, never n * timeout.
 */
#ifndef ROT_PROBE_H
#define ROT_PROBE_H

#include <stddef.h>
#include <openssl/x509.h>

#include "../common/err.h"
#include "../plan/map.h"

struct rot_probe {
	/* in */
	char *endpoint;		/* "HOST:PORT" (owned) */
	char *sni;		/* NULL: no SNI (owned) */
	int starttls_smtp;
	/* out */
	int status;		/* CR_OK or CR_EENV after rot_probes_run */
	char *error;		/* message when status != CR_OK (owned) */
	X509 *leaf;		/* served leaf (owned) or NULL */
	unsigned char sha256[32];	/* of leaf, when leaf != NULL */
	char *key;		/* "endpoint\x1fsni\x1fstarttls": the dedup key (owned) */
};

struct rot_probes {
	struct rot_probe *v;
	size_t n, cap;
	struct plan_map index;	/* key -> index into v */
};
#define ROT_PROBES_INIT { NULL, 0, 0, PLAN_MAP_INIT }

/*
 * Adds a probe unless an identical one is already listed; returns its index
 * (stable until the set is released).
 */
size_t rot_probes_add(struct rot_probes *ps, const char *endpoint, const char *sni,
    int starttls_smtp);

/*
 * Runs every probe, at most `in_flight` at once (0: 8), each within
 * timeout_ms (0: 5000).  With `progress`, prints "probing endpoints: i/n"
 * on stderr as they finish.  Never fails as a whole: each probe has its
 * own status.
 */
void rot_probes_run(struct rot_probes *ps, int in_flight, int timeout_ms, int progress);

void rot_probes_release(struct rot_probes *ps);

#endif
