/*
 * sigtest.h - proving a private key belongs to a certificate: sign a random
 * message with the private key, verify with the certificate's public key.
 * Works for software keys and for token keys reached through libp11's
 * EVP_PKEY (the key never leaves the token; only the signature does).
 */
#ifndef CR_SIGTEST_H
#define CR_SIGTEST_H

#include <openssl/evp.h>
#include "err.h"

/*
 * Signs 32 random bytes with `priv` (SHA-256; RSA PKCS#1 v1.5, ECDSA, or
 * EdDSA without a digest) and verifies with `pub`.  CR_OK when it verifies,
 * CR_EBLOCK "signature made with KEYNAME does not verify with the
 * certificate's public key", CR_EENV when signing itself failed
 * ("cannot sign with KEYNAME: reason").  `keyname` names the key in messages.
 */
int cr_sign_test(EVP_PKEY *priv, EVP_PKEY *pub, const char *keyname, struct cr_err *err);

#endif
