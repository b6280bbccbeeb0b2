/*
 * fp.c - public-key fingerprints: a type tag and the SHA-256 of the key
 * material, the RSA modulus or the EC point.  Pure: no token, no session;
 * the same fingerprint comes from a key object's attributes, a public-key
 * object, a certificate or an EVP_PKEY, which is what lets keyindex.c pair
 * a certificate with its private key when no CKA_ID does.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "../common/util.h"
#include "p11-int.h"

static void
fp_make(unsigned char tag, const unsigned char *p, size_t n, unsigned char fp[P11_FP_LEN])
{
	unsigned int len = 0;

	fp[0] = tag;
	EVP_Digest(p, n, fp + 1, &len, EVP_sha256(), NULL);
}

void
p11__fp_rsa(const unsigned char *mod, size_t n, unsigned char fp[P11_FP_LEN])
{
	while (n > 0 && *mod == 0) {
		mod++;
		n--;
	}
	fp_make('R', mod, n, fp);
}

/* CKA_EC_POINT is a DER OCTET STRING around the point (PKCS#11 2.40); some
 * modules give the bare point.  Unwrap when the DER reading is exact. */
void
p11__ec_point_unwrap(const unsigned char **pp, size_t *pn)
{
	const unsigned char *p = *pp;
	size_t n = *pn, len = 0, hdr = 0;

	if (n < 2 || p[0] != 0x04)
		return;
	if (p[1] < 0x80) {
		len = p[1];
		hdr = 2;
	} else if (p[1] == 0x81 && n >= 3) {
		len = p[2];
		hdr = 3;
	} else if (p[1] == 0x82 && n >= 4) {
		len = (size_t)p[2] << 8 | p[3];
		hdr = 4;
	}
	if (hdr > 0 && hdr + len == n) {
		*pp = p + hdr;
		*pn = len;
	}
}

void
p11__fp_ec(const unsigned char *p, size_t n, unsigned char fp[P11_FP_LEN])
{
	p11__ec_point_unwrap(&p, &n);
	fp_make('E', p, n, fp);
}

/* The fingerprint of a certificate's (or any) public key; 0 when the key
 * type has none here. */
int
p11__fp_pkey(EVP_PKEY *pk, unsigned char fp[P11_FP_LEN])
{
	int ok = 0;

	if (pk == NULL)
		return 0;
	if (EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_is_a(pk, "RSA-PSS")) {
		BIGNUM *nbn = NULL;

		if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &nbn) == 1) {
			int len = BN_num_bytes(nbn);
			unsigned char *buf = cr_xmalloc(len > 0 ? (size_t)len : 1);

			BN_bn2bin(nbn, buf);
			p11__fp_rsa(buf, (size_t)len, fp);
			free(buf);
			ok = 1;
		}
		BN_free(nbn);
	} else {
		unsigned char buf[256];
		size_t len = 0;

		if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf,
		    sizeof(buf), &len) == 1) {
			p11__fp_ec(buf, len, fp);
			ok = 1;
		}
	}
	ERR_clear_error();
	return ok;
}
