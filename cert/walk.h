/*
 * walk.h - certificates of a path for `scan`: one file, or every
 * certificate file of a directory tree.
 *
 * What crt_load does for one file, made safe for walking trees nobody
 * curated (/etc/ssl, /etc/letsencrypt, a Kubernetes secret mount):
 *  - nothing is ever opened that could block: a FIFO, device or socket is
 *    seen with stat() first and opened O_NONBLOCK, then refused unless
 *    fstat() says it is a regular file (it may have been swapped since);
 *  - inside a directory, a file that holds no certificate - a private key
 *    beside its certificate (certbot's privkey.pem), a request, a CRL,
 *    DH parameters, text - is reported as skipped, which is not an error;
 *    a file that should hold a certificate but cannot be read (a damaged
 *    PEM block, truncated DER, a PKCS#12 without its password, no
 *    permission) is an error of its own, and the walk goes on;
 *  - symbolic links are followed, and each file and directory is visited
 *    once (by device and inode): a link to a file already seen (the hash
 *    links of /etc/ssl/certs, certbot's live/ beside archive/) is not
 *    listed twice, and a link back up the tree is no loop.
 */
#ifndef CRT_WALK_H
#define CRT_WALK_H

#include <stddef.h>

#include "cert.h"

/* What a file that gave no certificate held (crt_sniff). */
enum crt_content {
	CRT_CONTENT_CERT = 0,	/* a certificate or PKCS#12 (it may still fail to parse) */
	CRT_CONTENT_KEY,	/* a private key and no certificate */
	CRT_CONTENT_OTHER,	/* something else: request, CRL, parameters, public key, text */
};

/*
 * Tells what a buffer holds, by content: PEM by its BEGIN labels (any
 * certificate label wins; else any "... PRIVATE KEY"; else the first
 * label), DER by what OpenSSL decodes it as (a certificate or PKCS#12; a
 * PKCS#8, encrypted PKCS#8 or traditional RSA/EC/DSA private key; a request
 * or CRL).  DER that decodes as none of them is CRT_CONTENT_CERT (a damaged
 * certificate is the likely story of a .der or .cer file); anything neither
 * PEM nor DER (text, empty) is CRT_CONTENT_OTHER.  `what` (may be NULL)
 * receives a short description for people: "PRIVATE KEY", "CERTIFICATE
 * REQUEST", "a DER private key", "a CRL", "empty", "neither PEM nor DER".
 * Pure: reads only buf.
 */
enum crt_content crt_sniff(const unsigned char *buf, size_t len, char *what, size_t whatlen);

/* Why a file of a directory was skipped. */
enum crt_walk_skip {
	CRT_SKIP_KEY = 1,	/* a private key, no certificate */
	CRT_SKIP_OTHER,		/* no certificate at all */
	CRT_SKIP_SPECIAL,	/* not a regular file (FIFO, device, socket): never read */
	CRT_SKIP_DIR,		/* a subdirectory that cannot be opened (permission) */
	CRT_NSKIPS
};

/* "private-key", "not-a-certificate", "not-a-regular-file", "unreadable-directory". */
const char *crt_walk_skip_name(enum crt_walk_skip why);

/* The caller's hooks; each may be NULL.  Called in walk order. */
struct crt_walk_cb {
	/* a file skipped: path as the user would write it, why, what it held */
	void (*skipped)(void *arg, const char *path, enum crt_walk_skip why, const char *what);
	/* a file that should hold a certificate and cannot be read (its own error,
	   CR_EINPUT, reason CR_R_MALFORMED / CR_R_IO / CR_R_TOO_LARGE / ...) */
	void (*unreadable)(void *arg, const struct cr_err *err);
	/* after each certificate file read: how many so far (for progress) */
	void (*progress)(void *arg, size_t files);
	void *arg;
};

/* Bounds of a walk. */
#define CRT_WALK_MAX_DEPTH 64		/* directories below the one named */
#define CRT_WALK_MAX_FILE (16u << 20)	/* no certificate file is anywhere near this */

/*
 * Loads the certificates of a path source - "file:PATH", "file:///PATH" or a
 * bare path, with an optional "?pass-source=file:PWFILE" for the PKCS#12
 * files (split off only when PATH does not exist as written) - relative to
 * base_dir (NULL: cwd), appending to *out:
 *  - a regular file: one entry (the leaf, its chain), source = the text
 *    given; anything that is not a certificate is CR_EINPUT (the user named
 *    it: "cannot read 'k.pem': not a certificate (the PEM holds PRIVATE
 *    KEY but no CERTIFICATE)");
 *  - a directory: every regular file named *.pem *.crt *.cer *.der *.p12
 *    *.pfx (any case) in it and below it, hidden names (".x") left out,
 *    each directory's names in byte order, depth first; one entry per file
 *    with source "DIR/SUB/NAME" (keeping a "file:" prefix); skips and
 *    unreadable files go to cb and do not fail the walk; a subdirectory
 *    deeper than CRT_WALK_MAX_DEPTH is an unreadable error;
 *  - anything else (FIFO, device, socket): CR_EINPUT, reason
 *    CR_R_NOT_REGULAR, never opened blocking.
 * Returns CR_OK when the path itself could be read (whatever its files
 * did), else CR_EINPUT naming it as written (reason CR_R_NOT_FOUND, CR_R_IO,
 * CR_R_MALFORMED, ...), or CR_EINPUT for a bad query.  Entries appended
 * stay in *out either way.  The password is wiped after use.
 */
int crt_walk_load(const char *source, const char *base_dir, const struct crt_walk_cb *cb,
    struct crt_list *out, struct cr_err *err);

#endif
