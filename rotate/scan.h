/*
 * scan.h - the result of `certrotate scan`: certificates from many sources,
 * soonest expiry first, with what failed and what was skipped, and its
 * three renderings (text, JSON, Prometheus text exposition format).
 *
 * Pure: nothing here reads a file, a token or the network.  cmd_scan.c
 * fills a struct rot_scan from the sources, calls rot_scan_finish, then one
 * renderer; unit tests fill it by hand.
 */
#ifndef ROT_SCAN_H
#define ROT_SCAN_H

#include <stdio.h>
#include <time.h>

#include "../common/err.h"
#include "../common/util.h"
#include "../cert/cert.h"
#include "../cert/walk.h"

/* What kind of source a SOURCE argument is (by its prefix). */
enum rot_scan_kind {
	ROT_SCAN_PATH = 0,	/* a file or directory */
	ROT_SCAN_TOKEN,		/* pkcs11: */
	ROT_SCAN_ENDPOINT,	/* tls:// */
};
enum rot_scan_kind rot_scan_kind_of(const char *source);

/* A failure of one source (a source may have several: files of a directory). */
struct rot_scan_error {
	int status;		/* CR_EINPUT or CR_EENV */
	enum cr_reason reason;
	char *message;
};

struct rot_scan_source {
	char *name;		/* the source as given, secrets masked */
	enum rot_scan_kind kind;
	int status;		/* worst of its errors (CR_OK when none) */
	size_t ncerts;		/* certificates it gave (before duplicates are dropped) */
	struct rot_scan_error *errors;
	size_t nerrors, errors_cap;
};

struct rot_scan_skip {
	char *path;
	enum crt_walk_skip why;
	char *what;		/* what it held: "PRIVATE KEY", "a FIFO", ... */
};

/* One certificate of the listing. */
struct rot_scan_entry {
	const struct crt_cert *cert;	/* borrowed from the scan's list */
	struct crt_info info;		/* owned */
	int expiring;			/* not_after - now < within (an expired one always) */
};

struct rot_scan {
	time_t now;
	long long within;		/* seconds */
	const char *within_text;	/* as the user wrote it ("30d"); borrowed */
	struct crt_list certs;		/* owns every certificate added */
	size_t *cert_src;		/* per certificate of `certs`: its source's index */
	size_t cert_src_cap;
	struct rot_scan_source *src;
	size_t nsrc, src_cap;
	struct rot_scan_skip *skip;
	size_t nskip, skip_cap;
	/* set before rot_scan_finish: the entries' info without the key
	 * (crt_info_get_nokey), for the renderings that show none (text and
	 * Prometheus; JSON shows it) */
	int no_keys;
	/* filled by rot_scan_finish */
	struct rot_scan_entry *v;	/* sorted, duplicates dropped */
	size_t n;
	size_t nexpired, nexpiring;	/* nexpiring counts the expired ones too */
	size_t nfailed;			/* sources with an error */
	int status;			/* the exit code (SPEC 2: 2, then 3, then 1) */
};

/* Sets up an empty scan (now, within in seconds, within_text borrowed). */
void rot_scan_init(struct rot_scan *s, time_t now, long long within, const char *within_text);
void rot_scan_release(struct rot_scan *s);

/* Adds a source (name copied, secrets masked); returns its index. */
size_t rot_scan_add_source(struct rot_scan *s, const char *source, enum rot_scan_kind kind);
/* Records a failure of source i (message, status and reason copied from err). */
void rot_scan_source_error(struct rot_scan *s, size_t i, const struct cr_err *err);
/* Moves every certificate of *l into the scan as source i's; *l is left empty. */
void rot_scan_add_certs(struct rot_scan *s, size_t i, struct crt_list *l);
/* Records a file skipped inside a directory (strings copied; what may be NULL). */
void rot_scan_add_skip(struct rot_scan *s, const char *path, enum crt_walk_skip why,
    const char *what);

/*
 * Describes every certificate (crt_info_get at s->now), decides which
 * expire within s->within, sorts them - not_after ascending, then SHA-1,
 * then source (bytes): the same input gives the same listing - and drops
 * an entry whose (SHA-1, source) was listed already (a directory named
 * twice).  Then sets the counts and s->status: the worst source status by
 * SPEC 2's precedence, else CR_EBLOCK when any certificate is expiring,
 * else CR_OK.  Call once, after the last add.
 */
void rot_scan_finish(struct rot_scan *s);

/*
 * The renderings (after rot_scan_finish).  Text: a table (NOT AFTER, DAYS,
 * STATUS, KEY, SHA-1, SUBJECT, SOURCE), then the skipped files, the failed
 * sources and a summary line.  JSON: {"now", "within", "within_seconds",
 * "certificates": [inspect's keys + "expiring"], "sources": [...],
 * "skipped": [...], "summary": {...}, "exit"}.  Prometheus: see
 * rot_scan_print_prometheus.
 */
void rot_scan_print_text(FILE *f, const struct rot_scan *s);
void rot_scan_print_json(FILE *f, const struct rot_scan *s);

/*
 * The text exposition format (version 0.0.4), as node_exporter's textfile
 * collector reads it: one family per metric name, HELP and TYPE first,
 * every sample line unique, no timestamps, valid UTF-8, LF line ends:
 *   certrotate_cert_not_after_seconds{source,subject,sha1}  notAfter (epoch s)
 *   certrotate_scan_source_up{source}                       1 read, 0 failed
 */
void rot_scan_print_prometheus(FILE *f, const struct rot_scan *s);

/*
 * A label value of the exposition format: `s` as valid UTF-8 (each byte of
 * an invalid sequence becomes U+FFFD), with backslash, double quote and
 * line feed escaped as \\ \" \n.  Appended to b (no quotes added).
 */
void rot_prom_label_value(struct cr_buf *b, const char *s);

#endif
