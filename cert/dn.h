/*
 * dn.h - distinguished names as Windows writes them, and their matching.
 *
 * Exchange connectors name their certificate "<I>ISSUER<S>SUBJECT" with DNs
 * most-specific first, ", " between RDNs, Windows attribute names (CN OU O
 * L S C E DC STREET SERIALNUMBER G SN T) and values holding , + = " < > # ;
 * or leading/trailing blanks in double quotes with inner quotes doubled.
 * Two DNs match when their RDNs pair up in order with equal attribute types
 * (case-insensitive; S = ST, E = emailAddress) and values equal ignoring
 * case, surrounding blanks and runs of white space (SPEC 3.2).
 *
 * Refinements of SPEC 3.2 (as crypt32 does it):
 *  - types crypt32 also names are written with its names: I (initials),
 *    Description, PostalCode, POBox, Phone, X21Address, dnQualifier,
 *    UnstructuredName, UnstructuredAddress; any other type is "OID.1.2.3";
 *  - the AVAs of a multi-valued RDN are written in their encoded order and
 *    compared as a set (a SET OF has no order);
 *  - a value is also quoted when it holds a newline; an empty value is
 *    written bare ("CN=");
 *  - case is ignored for ASCII, Latin-1, Latin Extended-A, Greek and
 *    Cyrillic letters; white space is ASCII space, tab, CR and LF.
 */
#ifndef CRT_DN_H
#define CRT_DN_H

#include <stddef.h>
#include <openssl/x509.h>

#include "../common/err.h"

struct crt_ava {
	char *type;	/* canonical: "CN", "S", "E", ..., or "OID.1.2.3" */
	char *value;	/* as written (unquoted) */
	int multi;	/* 1 when joined to the previous AVA with '+' (same RDN) */
};

struct crt_dn {
	struct crt_ava *ava;	/* most specific first */
	size_t n;
};

/* Windows rendering of an X509_NAME.  New string; free() it. */
char *crt_dn_render(const X509_NAME *name);

/* Windows rendering of a crt_dn (parsed or built).  New string; free() it. */
char *crt_dn_format(const struct crt_dn *dn);

/* "<I>" issuer "<S>" subject of a certificate.  New string; free() it. */
char *crt_tls_name(const X509 *x);

/*
 * Parses a Windows-rendered DN ("CN=a, O=\"b, c\", C=US").  RDNs are
 * separated by ',' or ';', AVAs of one RDN by '+'; blanks around types,
 * values and separators are ignored; a quoted value keeps its blanks and
 * "" stands for one quote.  Types: the names above (any case), their
 * synonyms (ST, emailAddress, Email, Title, GivenName, Initials, ...),
 * OpenSSL's short and long names, "OID.1.2.3" or "1.2.3"; they are stored
 * canonical.  The empty text is the empty DN.  CR_EINPUT naming the text
 * and the position on malformed text or an unknown type.  *dn is filled
 * (empty on error; crt_dn_release it either way).
 */
int crt_dn_parse(const char *text, struct crt_dn *dn, struct cr_err *err);
void crt_dn_release(struct crt_dn *dn);

/* Builds the crt_dn of an X509_NAME (most specific first). */
void crt_dn_from_name(const X509_NAME *name, struct crt_dn *dn);

/* 1 when the two DNs match by the rules above, else 0. */
int crt_dn_equal(const struct crt_dn *a, const struct crt_dn *b);

/*
 * A key for indexing DNs: two DNs get the same key exactly when
 * crt_dn_equal calls them equal (types as compared, values trimmed, blank
 * runs as one, case-folded as compared, the AVAs of a multi-valued RDN in
 * a fixed order).  Not for people.  New string; free() it.
 */
char *crt_dn_key(const struct crt_dn *dn);

/*
 * Describes how b differs from a for a person: NULL when equal, else a new
 * string like "O: 'Contoso' -> 'Contoso Ltd'" or "RDN count 3 -> 4".
 */
char *crt_dn_diff(const struct crt_dn *a, const struct crt_dn *b);

/*
 * The attribute type of a canonical type name as crt_dn_parse stores it
 * ("CN", "S", "E", "OID.1.2.3"), for building an X509_NAME; NULL when
 * unknown.  A new object: ASN1_OBJECT_free it.
 */
ASN1_OBJECT *crt_dn_type_obj(const char *type);

#endif
