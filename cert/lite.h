/*
 * lite.h - a certificate read from its DER without building an X509: what
 * crt_info needs, for `scan`'s token objects (private to cert/).
 *
 * Why: OpenSSL 3.0's d2i_X509 decodes the public key through a decoder
 * chain it builds afresh for every certificate, about 100 us; scan needs
 * only crt_info of each.  Read with the X509 template's own layout (the
 * public key kept as its algorithm and bits), a certificate takes under
 * 10 us, and the key is decoded, when crt_info asks for it, by one decoder
 * context built once (about 20 us a key).  Both give what the X509 path
 * gives, field for field (tests/unit/test_lite.c compares them).
 */
#ifndef CRT_LITE_H
#define CRT_LITE_H

#include <stddef.h>
#include <openssl/x509.h>

/* What crt_info reads of a certificate, borrowed from an X509 or a lite. */
struct crt_parts {
	const X509_NAME *subject, *issuer;
	const ASN1_INTEGER *serial;
	const ASN1_TIME *not_before, *not_after;
	const STACK_OF(X509_EXTENSION) *exts;	/* may be NULL */
	const X509_ALGOR *sigalg;		/* the outer signature algorithm */
};

struct crt_lite;

/* The parts of x (borrowed from x). */
void crt_parts_x509(const X509 *x, struct crt_parts *p);

/*
 * Reads the certificate at the start of der (len bytes; what follows it is
 * ignored, as d2i_X509 does), accepting exactly what d2i_X509 accepts.
 * NULL when it does not parse.  Reference counted (one thread): the result
 * holds one reference; crt_lite_ref takes another, crt_lite_free drops one.
 */
struct crt_lite *crt_lite_parse(const unsigned char *der, size_t len);
void crt_lite_free(struct crt_lite *l);	/* accepts NULL */
struct crt_lite *crt_lite_ref(struct crt_lite *l);	/* returns l */
void crt_lite_free_void(void *l);	/* crt_lite_free, as a destructor */
/* Its parts, borrowed from l. */
void crt_lite_parts(const struct crt_lite *l, struct crt_parts *p);
/* Its subject as crt_dn_render gives it (rendered once), borrowed from l. */
const char *crt_lite_subject(const struct crt_lite *l);
/*
 * SHA-1 and SHA-256 of its encoding as i2d_X509 of the same DER gives it
 * (what X509_digest hashes; computed once): 1, or 0 on memory exhaustion.
 */
int crt_lite_digests(const struct crt_lite *l, unsigned char sha1[20], unsigned char sha256[32]);
/*
 * Its public key as X509_get0_pubkey of the same DER gives it (a new
 * reference: EVP_PKEY_free it), or NULL when the key does not decode.
 * Leaves OpenSSL's error queue as it found it.  Thread-safe.
 */
EVP_PKEY *crt_lite_pubkey(const struct crt_lite *l);

#endif
