/*
 * ext.h - the extensions `inspect` shows beside SPEC 3.3's fields: key
 * usage and basic constraints (what a certificate may sign, whether it is
 * a CA): a CA certificate where the leaf should be, a leaf without
 * digitalSignature, are what these tell at a glance.
 */
#ifndef CRT_EXT_H
#define CRT_EXT_H

#include <stddef.h>
#include <openssl/x509.h>

struct crt_ext {
	int has_ku;		/* a keyUsage extension is present */
	const char *ku[9];	/* its bits by RFC 5280 name ("digitalSignature", ...), static */
	size_t nku;
	int has_bc;		/* a basicConstraints extension is present */
	int ca;			/* cA is true */
	long pathlen;		/* pathLenConstraint, -1 when absent */
};

/* Fills *e from x (nothing to release: the names are static). */
void crt_ext_get(X509 *x, struct crt_ext *e);

#endif
