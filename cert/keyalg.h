/*
 * keyalg.h - key algorithm specifications of a host's `accepts.key`:
 *   "rsa"            any RSA key
 *   "rsa:2048"       RSA of exactly 2048 bits
 *   "rsa:1024-4096"  RSA from 1024 to 4096 bits
 *   "ec"             any EC key
 *   "ec:prime256v1"  EC on that curve (OpenSSL or NIST name: P-256, P-384, P-521)
 *   "ed25519", "ed448"
 */
#ifndef CRT_KEYALG_H
#define CRT_KEYALG_H

#include <openssl/x509.h>
#include "../common/err.h"

/* CR_OK when spec is well-formed, else CR_EINPUT with a message naming it. */
int crt_keyalg_valid(const char *spec, struct cr_err *err);

/* 1 when the public key of x matches the (valid) spec. */
int crt_keyalg_matches(const char *spec, const X509 *x);

/*
 * 1 when a key of `type` ("rsa", "ec", "ed25519", "ed448"), `bits` (RSA) and
 * `curve` (EC, OpenSSL or NIST name; NULL when unknown) matches the spec: for
 * a key that does not exist yet (renew chooses its type).
 */
int crt_keyalg_matches_params(const char *spec, const char *type, long bits, const char *curve);

/* "RSA 2048", "EC prime256v1", "ED25519" into buf. */
void crt_keyalg_describe(const X509 *x, char *buf, size_t len);

#endif
