/*
 * sign.c - is this token key the certificate's?  Compare the public keys,
 * then prove it: sign a random message on the token and verify the
 * signature with the certificate's public key.
 *
 * The key is used only through libp11's EVP_PKEY (PKCS11_get_private_key, a
 * new reference), whose operations call C_Sign on the token: nothing of the
 * key leaves it.  The signature itself is common/sigtest.c's (SHA-256; RSA
 * PKCS#1 v1.5, ECDSA), shared with file keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../common/sigtest.h"
#include "../common/util.h"
#include "p11-int.h"

/* "'mail-2026'" or "with CKA_ID 20" for messages, into buf. */
static const char *
key_name(const struct p11_key_obj *k, char *buf, size_t len)
{
	if (k->label != NULL && k->label[0] != '\0') {
		snprintf(buf, len, "'%s'", k->label);
	} else {
		char *hex = cr_hex_upper(k->id, k->id_len);

		snprintf(buf, len, "with CKA_ID %s", hex[0] ? hex : "(none)");
		free(hex);
	}
	return buf;
}

static int
is_rsa(const EVP_PKEY *k)
{
	return EVP_PKEY_is_a(k, "RSA") || EVP_PKEY_is_a(k, "RSA-PSS");
}

int
p11_key_evp(struct p11_key_obj *key, EVP_PKEY **out, struct cr_err *err)
{
	struct p11_token *tok = key->token;
	PKCS11_KEY *lkey = NULL;
	char name[160];
	int r;

	*out = NULL;
	key_name(key, name, sizeof(name));
	if ((r = p11__key_libp11(key, &lkey, err)) != CR_OK)
		return r;
	if (lkey == NULL)
		return cr_err_setr(err, CR_EENV, CR_R_TOKEN,
		    "cannot use key %s on token '%s': libp11 does not list it", name, tok->label);
	ERR_clear_error();
	/* never PKCS11_get_public_key on a private key: libp11 0.4.12 crashes */
	if ((*out = PKCS11_get_private_key(lkey)) == NULL)
		return p11__rv_fail(err, p11__ckr_from_queue(), NULL, "cannot use key %s on token '%s'",
		    name, tok->label);
	ERR_clear_error();
	return CR_OK;
}

int
p11_key_test_sign(struct p11_key_obj *key, X509 *cert, struct cr_err *err)
{
	struct p11_token *tok = key->token;
	EVP_PKEY *pub = X509_get0_pubkey(cert), *priv = NULL;
	PKCS11_KEY *lkey = NULL;
	unsigned char fa[P11_FP_LEN], fb[P11_FP_LEN];
	char name[160], what[256];
	int r = CR_EENV, same;

	key_name(key, name, sizeof(name));
	ERR_clear_error();
	if (pub == NULL) {
		r = cr_err_ssl(err, CR_EBLOCK, "cannot read the public key of the certificate "
		    "to test key %s on token '%s'", name, tok->label);
		goto out;
	}
	if ((r = p11__key_libp11(key, &lkey, err)) != CR_OK)
		goto out;
	if (lkey == NULL) {
		r = cr_err_setr(err, CR_EENV, CR_R_TOKEN,
		    "cannot use key %s on token '%s': libp11 does not list it", name, tok->label);
		goto out;
	}
	/* never PKCS11_get_public_key on a private key: libp11 0.4.12 crashes */
	priv = PKCS11_get_private_key(lkey);
	if (priv == NULL) {
		r = p11__rv_fail(err, p11__ckr_from_queue(), NULL, "cannot use key %s on token '%s'",
		    name, tok->label);
		goto out;
	}

	/* public keys first: a clear "not this certificate's key" */
	if (p11__fp_pkey(pub, fa) && p11__fp_pkey(priv, fb)) {
		same = memcmp(fa, fb, P11_FP_LEN) == 0;
	} else if (is_rsa(pub) != is_rsa(priv) || EVP_PKEY_is_a(pub, "EC") !=
	    EVP_PKEY_is_a(priv, "EC")) {
		same = 0;
	} else {
		/* e.g. an EC key whose point libp11 could not find: unless OpenSSL
		 * says "different", the signature decides */
		same = EVP_PKEY_eq(pub, priv) != 0;
		ERR_clear_error();
	}
	if (!same) {
		r = cr_err_set(err, CR_EBLOCK,
		    "key %s on token '%s' does not match the certificate's public key", name,
		    tok->label);
		goto out;
	}

	snprintf(what, sizeof(what), "key %s on token '%s'", name, tok->label);
	r = cr_sign_test(priv, pub, what, err);
	if (r == CR_EENV && err != NULL)
		err->reason = CR_R_TOKEN;	/* the token failed to sign */
out:
	ERR_clear_error();
	EVP_PKEY_free(priv);
	return r;
}
