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
 *    UnstructuredName, UnstructuredAddress; any other type is "OID.1.2.3"
 *    (an OID too long for OpenSSL to write out, over 586 bytes encoded, is
 *    "OID.#" and the hex of its encoding); a name OpenSSL knows without an
 *    OID ("hkdf", "x963kdf") is no attribute type;
 *  - the AVAs of a multi-valued RDN are written in their encoded order and
 *    compared as a set (a SET OF has no order);
 *  - a value is also quoted when it holds a newline; an empty value is
 *    written quoted, as Windows writes it ("CN=\"\""; the bare "CN=" parses
 *    to the same);
 *  - a T61String holding valid UTF-8 is read as UTF-8, as Windows reads it
 *    (else as Latin-1, as OpenSSL does);
 *  - case is ignored for ASCII, Latin-1, Latin Extended-A, Greek and
 *    Cyrillic letters; white space is ASCII space, tab, CR and LF.
 *
 * Untrusted values (common/text.h): a value's bytes are kept whole, NUL
 * included, and written with the one escaping of certrotate: control bytes,
 * invalid UTF-8 and invisible code points as \xHH, a backslash doubled only
 * where it would start an escape.  crt_dn_parse decodes the same escapes, so
 * what inspect prints parses back to the same name:
 * "CN=evil\x00.contoso.com" is a CN holding a NUL, never equal to
 * "CN=evil.contoso.com" nor to "CN=evil".  A value that is no string (an
 * OCTET STRING, a BMPString of odd length) is written, unquoted, as "#" and
 * the hex of its DER (RFC 4514's form) and equals only the same form; a
 * quoted "#..." is text.
 *
 * Bounds: a DN text of more than CRT_DN_MAX_TEXT bytes or more than
 * CRT_DN_MAX_AVAS attributes is refused by crt_dn_parse.  Names built from
 * certificates are not bounded here (the certificate's size bounds them):
 * comparing, keying and describing them costs O(n log n) in their size.
 */
#ifndef CRT_DN_H
#define CRT_DN_H

#include <stddef.h>
#include <openssl/x509.h>

#include "../common/err.h"

#define CRT_DN_MAX_TEXT 4096	/* bytes of a DN's text (crt_dn_parse) */
#define CRT_DN_MAX_AVAS 128	/* attributes of a DN (crt_dn_parse) */

struct crt_ava {
	char *type;	/* canonical: "CN", "S", "E", ..., or "OID.1.2.3" */
	char *value;	/* the value's bytes, unquoted and unescaped (UTF-8 text, but any
			   byte may occur, NUL too), NUL-terminated after len; with hex,
			   "#" and upper-case hex digits */
	size_t len;	/* bytes of value */
	int hex;	/* the value is the "#HEX" form of a non-string value */
	int multi;	/* 1 when joined to the previous AVA with '+' (same RDN) */
};

struct crt_dn {
	struct crt_ava *ava;	/* most specific first */
	size_t n;
};

/*
 * The dotted form of an OID ("1.2.840.113549.1.1.11"), whole however long;
 * one OpenSSL will not write out as "#" and the hex of its encoding.  NULL
 * for an object without an OID (OpenSSL's NID-only names: "hkdf").  New
 * string; free() it.
 */
char *crt_oid_text(const ASN1_OBJECT *obj);

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
 * canonical.  Escapes \xHH and \\ are decoded in values, quoted or not; an
 * unquoted value of "#" and an even count of hex digits is the hex form.
 * The empty text is the empty DN.  CR_EINPUT naming the text and the
 * position on malformed text or an unknown type; with reason
 * CR_R_TOO_LARGE past the bounds above.  *dn is filled (empty on error;
 * crt_dn_release it either way).
 */
int crt_dn_parse(const char *text, struct crt_dn *dn, struct cr_err *err);
void crt_dn_release(struct crt_dn *dn);

/* Builds the crt_dn of an X509_NAME (most specific first). */
void crt_dn_from_name(const X509_NAME *name, struct crt_dn *dn);

/*
 * 1 when the two DNs match by the rules above, else 0: values compare by
 * their bytes (NUL is a character like any other; an invalid UTF-8 byte
 * equals only the same byte), hex forms only with hex forms.
 */
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
