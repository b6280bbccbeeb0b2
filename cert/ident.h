/*
 * ident.h - identities: how a service's configuration refers to a
 * certificate (SPEC 3.2): sha1:HEX (Windows thumbprint), sha256:HEX,
 * name:<I>ISSUER<S>SUBJECT, or a source (file:..., pkcs11:..., a path).
 */
#ifndef CRT_IDENT_H
#define CRT_IDENT_H

#include "cert.h"
#include "dn.h"

#define CRT_IDENT_MAX_TEXT 16384	/* bytes of an identity's text */

enum crt_ident_kind {
	CRT_ID_SHA1,
	CRT_ID_SHA256,
	CRT_ID_NAME,
	CRT_ID_SOURCE,
};

struct crt_ident {
	enum crt_ident_kind kind;
	char *text;			/* as written */
	unsigned char hash[32];		/* SHA1 (20 bytes) / SHA256 */
	struct crt_dn issuer, subject;	/* NAME */
	char *source;			/* SOURCE: the source text, mark and surrounding
					   blanks stripped (resolved later) */
	int had_mark;			/* a leading U+200E/U+200F/U+FEFF was stripped: warn */
};

/*
 * Parses an identity.  Prefixes are case-insensitive.
 *  - sha1: / sha256: tolerate blanks, colons, case and ONE invisible mark
 *    (U+200E, U+200F, U+FEFF), before the prefix or between it and the
 *    hex (had_mark set).  A second mark, a mark inside the hex, a non-hex
 *    character or a wrong count is CR_EINPUT: "bad identity 'sha1:5A1B':
 *    sha1: needs 40 hex digits, got 4" (marks shown as <U+200E>).
 *  - name:<I>ISSUER<S>SUBJECT (<I>/<S> in any case): the first <S> outside
 *    double quotes ends the issuer; both DNs must parse (crt_dn_parse) and
 *    be non-empty.
 *  - file:, pkcs11:, tls:// or text without a scheme (a path; a one-letter
 *    "scheme" is a Windows drive, "C:\...") is a SOURCE.  Text that is only
 *    40 or 64 hex digits (blanks, colons) is CR_EINPUT "looks like a
 *    thumbprint: write it as sha1:...", not a file name.
 *  - any other "scheme:" is CR_EINPUT "unknown prefix 'xyz:'".
 * Text longer than CRT_IDENT_MAX_TEXT bytes is CR_EINPUT, reason
 * CR_R_TOO_LARGE, naming the limit (and so are DNs past crt_dn_parse's
 * bounds).  Messages show the text escaped (common/text.h), marks as
 * <U+200E>, cut after 200 bytes.
 * *id is filled; crt_ident_release it (on error it is already released,
 * and releasing again is harmless).
 */
int crt_ident_parse(const char *text, struct crt_ident *id, struct cr_err *err);
void crt_ident_release(struct crt_ident *id);

/*
 * 1 when the identity denotes the certificate: SHA1 / SHA256 by digest of
 * the DER, NAME when issuer and subject both match by crt_dn_equal.
 * SOURCE identities never match here (the caller loads the source and
 * compares certificates with crt_cert_same).
 */
int crt_ident_matches(const struct crt_ident *id, const struct crt_cert *c);

/* 1 when a and b are the same certificate (same DER). */
int crt_cert_same(const struct crt_cert *a, const struct crt_cert *b);

/*
 * Canonical short form of a certificate for plans and messages:
 * "sha1:<40 hex>".  New string; free() it.
 */
char *crt_ident_of(const struct crt_cert *c);

#endif
