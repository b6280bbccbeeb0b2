#include "sigtest.h"

#include <openssl/err.h>
#include <openssl/rand.h>

int
cr_sign_test(EVP_PKEY *priv, EVP_PKEY *pub, const char *keyname, struct cr_err *err)
{
	unsigned char msg[32], *sig = NULL;
	size_t siglen = 0;
	EVP_MD_CTX *sctx = NULL, *vctx = NULL;
	const EVP_MD *md;
	int id = EVP_PKEY_get_base_id(pub);
	int r = CR_EENV;

	/* EdDSA signs the message itself: no separate digest */
	md = (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) ? NULL : EVP_sha256();
	if (RAND_bytes(msg, sizeof(msg)) != 1) {
		r = cr_err_ssl(err, CR_EENV, "cannot make a random test message");
		goto out;
	}
	if ((sctx = EVP_MD_CTX_new()) == NULL || (vctx = EVP_MD_CTX_new()) == NULL) {
		r = cr_err_set(err, CR_EENV, "out of memory");
		goto out;
	}
	if (EVP_DigestSignInit(sctx, NULL, md, NULL, priv) != 1 ||
	    EVP_DigestSign(sctx, NULL, &siglen, msg, sizeof(msg)) != 1) {
		r = cr_err_ssl(err, CR_EENV, "cannot sign with %s", keyname);
		goto out;
	}
	sig = OPENSSL_malloc(siglen);
	if (sig == NULL || EVP_DigestSign(sctx, sig, &siglen, msg, sizeof(msg)) != 1) {
		r = cr_err_ssl(err, CR_EENV, "cannot sign with %s", keyname);
		goto out;
	}
	if (EVP_DigestVerifyInit(vctx, NULL, md, NULL, pub) != 1) {
		r = cr_err_ssl(err, CR_EBLOCK, "the certificate's public key cannot verify "
		    "signatures of %s", keyname);
		goto out;
	}
	if (EVP_DigestVerify(vctx, sig, siglen, msg, sizeof(msg)) != 1) {
		ERR_clear_error();
		r = cr_err_set(err, CR_EBLOCK, "a signature made with %s does not verify with "
		    "the certificate's public key", keyname);
		goto out;
	}
	r = CR_OK;
out:
	OPENSSL_free(sig);
	EVP_MD_CTX_free(sctx);
	EVP_MD_CTX_free(vctx);
	return r;
}
