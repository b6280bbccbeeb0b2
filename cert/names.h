/*
 * names.h - does a certificate cover a host name (RFC 6125)?
 */
#ifndef CRT_NAMES_H
#define CRT_NAMES_H

#include <openssl/x509.h>

/*
 * 1 when `name` is covered by a SAN dNSName of x (case-insensitive; a
 * wildcard only as the whole left-most label, matching exactly one label);
 * the subject CN is consulted only when x has no SAN dNSName at all.
 * IP-address names match SAN iPAddress entries.
 */
int crt_name_covered(const X509 *x, const char *name);

#endif
