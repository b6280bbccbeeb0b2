/*
 * p12.h - the certificates of a PKCS#12 (cert/load.c's crt_parse_buffer
 * hands PKCS#12 DER here).  Internal to cert/.
 */
#ifndef CRT_P12_H
#define CRT_P12_H

#include <stddef.h>

#include "cert.h"

/*
 * Key derivations of more iterations than this (the MAC's, an encrypted
 * safe's PBE or PBKDF2) are refused before any is run: each costs time in
 * proportion (10 million SHA-256 rounds is about a second here; exporters
 * use 2,000 to 600,000), and a file may ask for 2^31.
 */
#define CRT_P12_MAX_ITER 10000000L

/*
 * Parses the PKCS#12 DER buf[0..len) as crt_parse_buffer says (cert.h): the
 * MAC checked first, certificate bags only, RC2/RC4 bags through the
 * legacy provider in a private library context, the key's certificate as
 * the leaf.  Appends one crt_cert whose source is `what`.  CR_EINPUT with
 * reason CR_R_TOO_LARGE for an iteration count over CRT_P12_MAX_ITER.
 */
int crt_p12_parse(const unsigned char *buf, size_t len, const char *pass, const char *what,
    struct crt_list *out, struct cr_err *err);

#endif
