/*
 * ident.h - identities: how a service's configuration refers to a
 * certificate (SPEC 3.2): sha1:HEX (Windows thumbprint), sha256:HEX,
 * name:<I>ISSUER<S>SUBJECT, or a source (file:..., pkcs11:..., a path).
 */
#ifndef CRT_IDENT_H
#define CRT_IDENT_H

#include "cert.h"
#include "dn.h"

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
	char *source;			/* SOURCE: the source text (resolved later) */
	int had_mark;			/* a leading U+200E/U+200F/U+FEFF was stripped: warn */
};

/*
 * Parses an identity.  Thumbprints tolerate spaces, colons, case and one
 * stray leading invisible mark (had_mark set).  Errors are CR_EINPUT naming
 * the text and what is wrong ("sha1: needs 40 hex digits, got 38").
 * *id is filled; crt_ident_release it.
 */
int crt_ident_parse(const char *text, struct crt_ident *id, struct cr_err *err);
void crt_ident_release(struct crt_ident *id);

/*
 * 1 when the identity denotes the certificate.  SOURCE identities never
 * match here (the caller loads the source and compares certificates with
 * crt_cert_same).
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
