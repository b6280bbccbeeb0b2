/*
 * ext.c - key usage and basic constraints (ext.h).
 */
#include "ext.h"

#include <string.h>

#include <openssl/x509v3.h>

/* RFC 5280 4.2.1.3 names, in bit order, with OpenSSL's masks. */
static const struct {
	uint32_t bit;
	const char *name;
} ku_names[] = {
	{ KU_DIGITAL_SIGNATURE, "digitalSignature" },
	{ KU_NON_REPUDIATION, "nonRepudiation" },
	{ KU_KEY_ENCIPHERMENT, "keyEncipherment" },
	{ KU_DATA_ENCIPHERMENT, "dataEncipherment" },
	{ KU_KEY_AGREEMENT, "keyAgreement" },
	{ KU_KEY_CERT_SIGN, "keyCertSign" },
	{ KU_CRL_SIGN, "cRLSign" },
	{ KU_ENCIPHER_ONLY, "encipherOnly" },
	{ KU_DECIPHER_ONLY, "decipherOnly" },
};

void
crt_ext_get(X509 *x, struct crt_ext *e)
{
	uint32_t flags, ku;
	size_t i;

	memset(e, 0, sizeof(*e));
	e->pathlen = -1;
	/* the extension cache fills the flags (an invalid extension sets EXFLAG_INVALID) */
	flags = X509_get_extension_flags(x);
	if (flags & EXFLAG_KUSAGE) {
		e->has_ku = 1;
		ku = X509_get_key_usage(x);
		for (i = 0; i < sizeof(ku_names) / sizeof(ku_names[0]); i++)
			if (ku & ku_names[i].bit)
				e->ku[e->nku++] = ku_names[i].name;
	}
	if (flags & EXFLAG_BCONS) {
		e->has_bc = 1;
		e->ca = (flags & EXFLAG_CA) != 0;
		e->pathlen = X509_get_pathlen(x);
	}
}
