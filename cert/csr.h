/*
 * csr.h - PKCS#10 certificate requests (`renew`): a subject, the DNS names
 * and IP addresses of the SAN, serverAuth requested, signed by a signer the
 * caller gives - for renew a token key signing on the token
 * (p11_key_sign), so the private key never leaves it.
 *
 * What a request holds (its extensionRequest attribute):
 *   subjectAltName     the dNSNames, then the iPAddresses, in the order given
 *   extendedKeyUsage   serverAuth
 *   keyUsage           critical, digitalSignature: the key renew generates
 *                      signs only (no decryption), so it serves (EC)DHE cipher
 *                      suites and not RSA key transport; a certificate that
 *                      claimed keyEncipherment would promise what it cannot do
 * The CA decides what the certificate finally holds; a request is a request.
 */
#ifndef CRT_CSR_H
#define CRT_CSR_H

#include <stddef.h>
#include <openssl/x509.h>

#include "../common/err.h"

struct crt_csr_spec {
	const X509_NAME *subject;	/* copied into the request */
	char *const *dns;		/* dNSNames (ASCII) */
	size_t ndns;
	char *const *ips;		/* IP addresses as text ("10.0.0.5", "2001:db8::5") */
	size_t nips;
	const EVP_MD *md;		/* digest of the request's signature (EVP_sha256()) */
};

/*
 * What signs the request: fn(arg, md, tbs, len, &sig, &siglen, err) signs
 * the DER of the request's CertificationRequestInfo (tbs, len bytes) as an
 * X.509 signature with digest md is made - RSA PKCS#1 v1.5 over md's
 * DigestInfo, or ECDSA as a DER ECDSA-Sig-Value - into *sig (new, free()).
 * Returns a status and fills err.
 */
struct crt_signer {
	int (*fn)(void *arg, const EVP_MD *md, const unsigned char *tbs, size_t len,
	    unsigned char **sig, size_t *siglen, struct cr_err *err);
	void *arg;
};

/*
 * Builds the request for public key `pub` (RSA or EC), signs it with
 * `signer` (the private key of pub; the algorithm is spec->md with pub's
 * type: sha256WithRSAEncryption, ecdsa-with-SHA384, ...) and verifies the
 * signature with `pub` - a signer that is not pub's key, or a token that
 * signed wrongly, fails here (CR_EENV), never at the CA.  *out is NULL on
 * entry; X509_REQ_free it.  CR_EINPUT for a name that cannot be encoded
 * (non-ASCII DNS name, bad IP address) or a digest and key type no
 * signature algorithm combines; the signer's status when it fails.
 */
int crt_csr_make(const struct crt_csr_spec *spec, EVP_PKEY *pub, const struct crt_signer *signer,
    X509_REQ **out, struct cr_err *err);

/* The request as PEM ("-----BEGIN CERTIFICATE REQUEST-----").  New string;
 * *len its length.  NULL on failure (memory). */
char *crt_csr_pem(X509_REQ *req, size_t *len);

/*
 * An X509_NAME from DN text in the syntax of name: identities (cert/dn.h:
 * most specific first, Windows attribute names, "+" for multi-valued RDNs):
 * "CN=mail.contoso.com, O=Contoso, C=US" is encoded C, O, CN.  Values are
 * UTF-8 and encoded as OpenSSL's string table asks (C as a two-letter
 * PrintableString).  *out NULL on entry; X509_NAME_free it.  CR_EINPUT naming
 * the text on a malformed DN, an empty one, or a value its type cannot hold.
 */
int crt_name_from_text(const char *text, X509_NAME **out, struct cr_err *err);

#endif
