/*
 * names.h - does a certificate cover a host name (RFC 6125)?
 */
#ifndef CRT_NAMES_H
#define CRT_NAMES_H

#include <openssl/x509.h>

/*
 * 1 when `name` is covered by a SAN dNSName of x (case-insensitive; a
 * trailing dot on either side ignored; a wildcard only as the whole
 * left-most label "*", matching exactly one non-empty label, never the
 * parent domain, and only with at least two labels after it - "*.com"
 * covers nothing; partial wildcards "w*.x.com" match only themselves);
 * the subject CNs are consulted (same rules) only when x has no SAN
 * extension at all (SPEC 6: "CN ignored when a SAN exists"; one that does
 * not decode, or is there twice, covers nothing and still rules the CN
 * out).  IP-address names ("10.0.0.5", "2001:db8::5", "[2001:db8::5]")
 * match SAN iPAddress entries only, never a CN or a dNSName.  dNSNames and
 * CNs with an embedded NUL are ignored (the NUL-prefix attack:
 * "mail.contoso.com\0.evil.example" covers nothing).  NULL or "": 0.
 * Hand-written rather than X509_check_host so that exactly these rules
 * hold whatever the OpenSSL version.
 */
int crt_name_covered(const X509 *x, const char *name);

#endif
