/*
 * dn.c - Windows rendering, parsing and matching of distinguished names.
 *
 * The rendering follows crypt32's CertNameToStr(CERT_X500_NAME_STR |
 * CERT_NAME_STR_REVERSE_FLAG), which is what Exchange shows and stores in
 * TlsCertificateName: RDNs most specific first, ", " between RDNs, " + "
 * between the AVAs of a multi-valued RDN (kept in encoded order), a value
 * quoted when it holds one of , + = " newline < > # ; or starts or ends
 * with white space.  Empty values are written bare, as crypt32 does.
 * Values are bytes with a length (a CN may hold NUL): written escaped
 * (common/text.h), parsed back through the same escapes.  Matching is in
 * dn_match.c.
 */
#include "dn.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "../common/text.h"
#include "../common/utf8.h"
#include "../common/util.h"

/*
 * Attribute names crypt32 writes (its CRYPT_RDN_ATTR_OID_GROUP names), with
 * the synonyms it accepts when parsing.  Anything else is "OID.dotted".
 */
static const struct attr {
	int nid;
	const char *name;	/* what Windows writes */
	const char *alt[3];	/* accepted when parsing (case-insensitive) */
} attrs[] = {
	{ NID_commonName, "CN", { "commonName" } },
	{ NID_organizationalUnitName, "OU", { "organizationalUnitName" } },
	{ NID_organizationName, "O", { "organizationName" } },
	{ NID_localityName, "L", { "localityName" } },
	{ NID_stateOrProvinceName, "S", { "ST", "stateOrProvinceName" } },
	{ NID_countryName, "C", { "countryName" } },
	{ NID_pkcs9_emailAddress, "E", { "emailAddress", "Email" } },
	{ NID_domainComponent, "DC", { "domainComponent" } },
	{ NID_streetAddress, "STREET", { "streetAddress" } },
	{ NID_serialNumber, "SERIALNUMBER", { 0 } },
	{ NID_givenName, "G", { "GivenName", "GN" } },
	{ NID_surname, "SN", { "surname" } },
	{ NID_title, "T", { "Title" } },
	/* beyond SPEC 3.2's list: crypt32 names these too */
	{ NID_initials, "I", { "Initials" } },
	{ NID_description, "Description", { 0 } },
	{ NID_postalCode, "PostalCode", { 0 } },
	{ NID_postOfficeBox, "POBox", { 0 } },
	{ NID_telephoneNumber, "Phone", { "telephoneNumber" } },
	{ NID_x121Address, "X21Address", { 0 } },
	{ NID_dnQualifier, "dnQualifier", { 0 } },
	{ NID_pkcs9_unstructuredName, "UnstructuredName", { 0 } },
	{ NID_pkcs9_unstructuredAddress, "UnstructuredAddress", { 0 } },
};
#define NATTRS (sizeof(attrs) / sizeof(attrs[0]))

char *
crt_oid_text(const ASN1_OBJECT *obj)
{
	char small[128], *buf, *hex;
	int n, len = obj != NULL ? (int)OBJ_length(obj) : 0;

	if (len <= 0)
		return NULL;	/* a NID-only object ("hkdf"): no OID to write */
	/* OBJ_obj2txt returns the whole length even when the buffer is short */
	n = OBJ_obj2txt(small, sizeof(small), obj, 1);
	if (n > 0 && (size_t)n < sizeof(small))
		return cr_xstrdup(small);
	if (n > 0) {
		buf = cr_xmalloc((size_t)n + 1);
		if (OBJ_obj2txt(buf, n + 1, obj, 1) == n)
			return buf;
		free(buf);
	}
	/* OpenSSL 3.0.9+ writes no OID of more than 586 bytes (CVE-2023-2650) */
	ERR_clear_error();
	hex = cr_hex_upper(OBJ_get0_data(obj), (size_t)len);
	buf = cr_xasprintf("#%s", hex);
	free(hex);
	return buf;
}

/*
 * Canonical type of an ASN.1 object: a Windows name or "OID.1.2.3".  New
 * string; NULL for an object without an OID.
 */
static char *
type_of_obj(const ASN1_OBJECT *obj)
{
	int nid = OBJ_obj2nid(obj);
	char *oid, *r;
	size_t i;

	for (i = 0; nid != NID_undef && i < NATTRS; i++)
		if (attrs[i].nid == nid)
			return cr_xstrdup(attrs[i].name);
	if ((oid = crt_oid_text(obj)) == NULL)
		return NULL;
	r = cr_xasprintf("OID.%s", oid);
	free(oid);
	return r;
}

/* The type "OID.#HEX" (the encoding of a long OID): canonical, or NULL. */
static char *
type_of_hex_oid(const char *hex)
{
	size_t n = strlen(hex), i, k = 0;
	unsigned char *der;
	const unsigned char *p;
	ASN1_OBJECT *obj;
	char *r = NULL;

	if (n == 0 || n % 2 != 0 || n / 2 > 0xFFFF)
		return NULL;
	der = cr_xmalloc(n / 2 + 4);
	der[k++] = V_ASN1_OBJECT;
	if (n / 2 < 0x80) {
		der[k++] = (unsigned char)(n / 2);
	} else if (n / 2 < 0x100) {
		der[k++] = 0x81;
		der[k++] = (unsigned char)(n / 2);
	} else {
		der[k++] = 0x82;
		der[k++] = (unsigned char)(n / 2 >> 8);
		der[k++] = (unsigned char)(n / 2);
	}
	for (i = 0; i < n; i += 2) {
		if (cr_hexval((unsigned char)hex[i]) < 0 || cr_hexval((unsigned char)hex[i + 1]) < 0)
			goto out;
		der[k++] = (unsigned char)(cr_hexval((unsigned char)hex[i]) << 4 |
		    cr_hexval((unsigned char)hex[i + 1]));
	}
	p = der;
	obj = d2i_ASN1_OBJECT(NULL, &p, (long)k);
	if (obj != NULL && p == der + k)
		r = type_of_obj(obj);
	ASN1_OBJECT_free(obj);
out:
	ERR_clear_error();
	free(der);
	return r;
}

/* Canonical type of a type as written, or NULL when unknown.  New string. */
static char *
type_of_text(const char *t)
{
	ASN1_OBJECT *obj;
	char *r = NULL;
	size_t i, k;
	int nid;

	for (i = 0; i < NATTRS; i++) {
		if (strcasecmp(t, attrs[i].name) == 0)
			return cr_xstrdup(attrs[i].name);
		for (k = 0; k < 3 && attrs[i].alt[k] != NULL; k++)
			if (strcasecmp(t, attrs[i].alt[k]) == 0)
				return cr_xstrdup(attrs[i].name);
	}
	if (strncasecmp(t, "OID.", 4) == 0) {
		t += 4;
		if (t[0] == '#')
			return type_of_hex_oid(t + 1);
		if (!isdigit((unsigned char)t[0]))
			return NULL;
	}
	if (isdigit((unsigned char)t[0])) {
		for (i = 0; t[i]; i++)
			if (!isdigit((unsigned char)t[i]) && t[i] != '.')
				return NULL;
		obj = OBJ_txt2obj(t, 1);
		ERR_clear_error();
		if (obj == NULL)
			return NULL;
		r = type_of_obj(obj);
		ASN1_OBJECT_free(obj);
		return r;
	}
	/* OpenSSL's short and long names ("serialNumber", "postalCode", ...);
	   one without an OID ("hkdf") is no attribute type (type_of_obj) */
	nid = OBJ_txt2nid(t);
	ERR_clear_error();
	if (nid == NID_undef)
		return NULL;
	obj = OBJ_nid2obj(nid);
	return obj != NULL ? type_of_obj(obj) : NULL;
}

/* ---- building and rendering ------------------------------------------- */

static void
dn_push(struct crt_dn *dn, size_t *cap, char *type, char *value, size_t len, int hex, int multi)
{
	cr_grow(&dn->ava, cap, dn->n + 1, sizeof(dn->ava[0]));
	dn->ava[dn->n].type = type;
	dn->ava[dn->n].value = value;
	dn->ava[dn->n].len = len;
	dn->ava[dn->n].hex = hex;
	dn->ava[dn->n].multi = multi;
	dn->n++;
}

/* A copy of n bytes, NUL-terminated after them. */
static char *
bytes_dup(const void *p, size_t n)
{
	char *r = cr_xmalloc(n + 1);

	if (n > 0)
		memcpy(r, p, n);
	r[n] = '\0';
	return r;
}

/*
 * The value of an entry: its bytes as UTF-8, whole (a NUL inside stays, with
 * the length).  A UTF8String is taken as it is, invalid or not: the
 * rendering escapes what is not valid.  A T61String holding valid UTF-8 is
 * read as UTF-8, as Windows reads it (CAs put UTF-8 in TeletexStrings);
 * else, as the other string types, it is converted by OpenSSL (BMPString,
 * UniversalString; T61String as Latin-1).  A value that is no string, or
 * does not convert, is its "#HEX" form.
 */
static char *
entry_value(const X509_NAME_ENTRY *e, size_t *len, int *hex)
{
	const ASN1_STRING *s = X509_NAME_ENTRY_get_data(e);
	unsigned char *u = NULL, *der = NULL;
	char *r, *h;
	int n;

	*hex = 0;
	if (ASN1_STRING_type(s) == V_ASN1_UTF8STRING || (ASN1_STRING_type(s) == V_ASN1_T61STRING &&
	    cr_utf8_valid(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s)))) {
		*len = (size_t)ASN1_STRING_length(s);
		return bytes_dup(ASN1_STRING_get0_data(s), *len);
	}
	n = ASN1_STRING_to_UTF8(&u, s);
	if (n >= 0) {
		*len = (size_t)n;
		r = bytes_dup(u, *len);
		OPENSSL_free(u);
		return r;
	}
	ERR_clear_error();
	/* RFC 4514's form: the DER of the value, as encoded in the certificate */
	*hex = 1;
	n = ASN1_item_i2d((const ASN1_VALUE *)s, &der, ASN1_ITEM_rptr(ASN1_PRINTABLE));
	if (n > 0)
		h = cr_hex_upper(der, (size_t)n);
	else
		h = cr_hex_upper(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
	OPENSSL_free(der);
	ERR_clear_error();
	r = cr_xasprintf("#%s", h);
	free(h);
	*len = strlen(r);
	return r;
}

void
crt_dn_from_name(const X509_NAME *name, struct crt_dn *dn)
{
	int count = X509_NAME_entry_count(name);
	size_t cap = 0;
	int end, start;

	dn->ava = NULL;
	dn->n = 0;
	/* walk RDNs (runs of entries with the same set number) from the last */
	for (end = count; end > 0; end = start) {
		int set = X509_NAME_ENTRY_set(X509_NAME_get_entry(name, end - 1));
		int i;

		for (start = end - 1; start > 0 &&
		    X509_NAME_ENTRY_set(X509_NAME_get_entry(name, start - 1)) == set; start--)
			;
		for (i = start; i < end; i++) {
			const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
			char *type = type_of_obj(X509_NAME_ENTRY_get_object(e)), *v;
			size_t len;
			int hex;

			/* every OID decoded from DER has content: this is for names
			   built in memory with a NID-only object */
			if (type == NULL)
				type = cr_xstrdup("OID.?");
			v = entry_value(e, &len, &hex);
			dn_push(dn, &cap, type, v, len, hex, i > start);
		}
	}
}

static int
needs_quotes(const char *v, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	if (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1]))
		return 1;
	for (i = 0; i < n; i++)
		if (v[i] != '\0' && strchr(",+=\"\n<>#;", v[i]) != NULL)
			return 1;
	return 0;
}

/* Appends one value as written in a DN: escaped, quoted when needed. */
static void
add_value(struct cr_buf *b, const struct crt_ava *a)
{
	const char *v = a->value, *end = a->value + a->len, *q;

	if (a->hex || (a->len > 0 && !needs_quotes(v, a->len))) {
		cr_esc_add(b, v, a->len, 0);
		return;
	}
	/* an empty value is written quoted, as Windows writes it: CN="" */
	cr_buf_addc(b, '"');
	/* a quote is never escaped: split at quotes, doubled as Windows does */
	while ((q = memchr(v, '"', (size_t)(end - v))) != NULL) {
		cr_esc_add(b, v, (size_t)(q - v), 0);
		cr_buf_adds(b, "\"\"");
		v = q + 1;
	}
	cr_esc_add(b, v, (size_t)(end - v), 0);
	cr_buf_addc(b, '"');
}

char *
crt_dn_format(const struct crt_dn *dn)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i;

	for (i = 0; i < dn->n; i++) {
		if (i > 0)
			cr_buf_adds(&b, dn->ava[i].multi ? " + " : ", ");
		cr_buf_adds(&b, dn->ava[i].type);
		cr_buf_addc(&b, '=');
		add_value(&b, &dn->ava[i]);
	}
	return cr_buf_detach(&b);
}

char *
crt_dn_render(const X509_NAME *name)
{
	struct crt_dn dn;
	char *s;

	crt_dn_from_name(name, &dn);
	s = crt_dn_format(&dn);
	crt_dn_release(&dn);
	return s;
}

char *
crt_tls_name(const X509 *x)
{
	char *i = crt_dn_render(X509_get_issuer_name(x));
	char *s = crt_dn_render(X509_get_subject_name(x));
	char *r = cr_xasprintf("<I>%s<S>%s", i, s);

	free(i);
	free(s);
	return r;
}

void
crt_dn_release(struct crt_dn *dn)
{
	size_t i;

	if (dn == NULL)
		return;
	for (i = 0; i < dn->n; i++) {
		free(dn->ava[i].type);
		free(dn->ava[i].value);
	}
	free(dn->ava);
	dn->ava = NULL;
	dn->n = 0;
}

/* ---- parsing ------------------------------------------------------------ */

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *
skip_ws(const char *p)
{
	while (is_ws(*p))
		p++;
	return p;
}

/* Appends text[0..n) to val with the escapes \xHH and \\ decoded. */
static void
add_unescaped(struct cr_buf *val, const char *t, size_t n)
{
	size_t i = 0, k;
	unsigned char c;

	while (i < n) {
		if (t[i] == '\\' && (k = cr_esc_decode(t + i, &c)) != 0 && i + k <= n) {
			cr_buf_addc(val, (char)c);
			i += k;
		} else {
			cr_buf_addc(val, t[i++]);
		}
	}
}

/* 1 when t[0..n) is "#" and an even, non-zero count of hex digits. */
static int
is_hex_form(const char *t, size_t n)
{
	size_t i;

	if (n < 3 || t[0] != '#' || (n - 1) % 2 != 0)
		return 0;
	for (i = 1; i < n; i++)
		if (cr_hexval((unsigned char)t[i]) < 0)
			return 0;
	return 1;
}

/* The text for a message: escaped, cut after 80 bytes.  New string. */
static char *
shown(const char *text)
{
	size_t n = strlen(text);
	char *s = cr_esc(text, n > 80 ? 80 : n, 0), *r;

	if (n <= 80)
		return s;
	r = cr_xasprintf("%s...", s);
	free(s);
	return r;
}

/*
 * One value at *pp (blanks skipped already): quoted or bare, escapes
 * decoded, into val (*hex set for the "#HEX" form).  *pp is left at the
 * separator or the end.
 */
static int
parse_value(const char *text, const char **pp, struct cr_buf *val, int *hex,
    struct cr_err *err)
{
	const char *p = *pp, *q0, *v0, *v1;
	char *sh;
	int r;

	*hex = 0;
	if (*p != '"') {
		v0 = p;
		while (*p && *p != ',' && *p != ';' && *p != '+')
			p++;
		v1 = p;
		while (v1 > v0 && is_ws(v1[-1]))
			v1--;
		if (is_hex_form(v0, (size_t)(v1 - v0))) {
			*hex = 1;
			for (; v0 < v1; v0++)
				cr_buf_addc(val, (char)toupper((unsigned char)*v0));
		} else {
			add_unescaped(val, v0, (size_t)(v1 - v0));
		}
		*pp = p;
		return CR_OK;
	}
	q0 = p;
	for (p++;; p++) {
		unsigned char c;
		size_t k;

		if (*p == '\0') {
			r = cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "bad DN '%s': unterminated "
			    "quote at position %zu", (sh = shown(text)), (size_t)(q0 - text) + 1);
			free(sh);
			return r;
		}
		if (*p == '"') {
			if (p[1] != '"')
				break;
			p++;	/* "" is one quote */
		} else if (*p == '\\' && (k = cr_esc_decode(p, &c)) != 0) {
			cr_buf_addc(val, (char)c);
			p += k - 1;
			continue;
		}
		cr_buf_addc(val, *p);
	}
	p = skip_ws(p + 1);
	if (*p && *p != ',' && *p != ';' && *p != '+') {
		char *c = cr_esc(p, 1, 0);

		sh = shown(text);
		r = cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "bad DN '%s': unexpected '%s' after "
		    "a quoted value at position %zu", sh, c, (size_t)(p - text) + 1);
		free(sh);
		free(c);
		return r;
	}
	*pp = p;
	return CR_OK;
}

/* The attribute type at *pp, canonical, into *type; *pp is left at its '='. */
static int
parse_type(const char *text, const char **pp, char **type, struct cr_err *err)
{
	const char *p = skip_ws(*pp), *t0 = p, *t1;
	char *tname, *sh = NULL;
	int r = CR_EINPUT;

	while (*p && *p != '=' && *p != ',' && *p != ';' && *p != '+' && *p != '"')
		p++;
	t1 = p;
	while (t1 > t0 && is_ws(t1[-1]))
		t1--;
	tname = cr_xstrndup(t0, (size_t)(t1 - t0));
	if (t1 == t0) {
		cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "bad DN '%s': missing attribute type "
		    "at position %zu", (sh = shown(text)), (size_t)(t0 - text) + 1);
	} else if (*p != '=') {
		char *t = shown(tname);
		cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "bad DN '%s': expected '=' after '%s' at "
		    "position %zu", (sh = shown(text)), t, (size_t)(p - text) + 1);
		free(t);
	} else if ((*type = type_of_text(tname)) == NULL) {
		char *t = shown(tname);
		cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "bad DN '%s': unknown attribute type "
		    "'%s' (expected CN, OU, O, L, S, C, E, DC, STREET, SERIALNUMBER, G, SN, T or "
		    "OID.n.n.n)", (sh = shown(text)), t);
		free(t);
	} else {
		r = CR_OK;
	}
	free(tname);
	free(sh);
	*pp = p;
	return r;
}

int
crt_dn_parse(const char *text, struct crt_dn *dn, struct cr_err *err)
{
	const char *p = text;
	size_t cap = 0;
	int multi = 0;
	int r = CR_EINPUT;
	char *sh = NULL;

	dn->ava = NULL;
	dn->n = 0;
	if (strlen(text) > CRT_DN_MAX_TEXT) {
		cr_err_setr(err, CR_EINPUT, CR_R_TOO_LARGE, "bad DN '%s': longer than the limit of "
		    "%d bytes", (sh = shown(text)), CRT_DN_MAX_TEXT);
		goto out;
	}
	p = skip_ws(p);
	while (*p != '\0') {	/* nothing at all is the empty DN */
		struct cr_buf val = CR_BUF_INIT;
		char *type = NULL;
		int hex;

		if (dn->n == CRT_DN_MAX_AVAS) {
			cr_err_setr(err, CR_EINPUT, CR_R_TOO_LARGE, "bad DN '%s': more than the limit "
			    "of %d attributes", (sh = shown(text)), CRT_DN_MAX_AVAS);
			goto out;
		}
		if ((r = parse_type(text, &p, &type, err)) != CR_OK)
			goto out;
		p = skip_ws(p + 1);
		if ((r = parse_value(text, &p, &val, &hex, err)) != CR_OK) {
			free(type);
			cr_buf_release(&val);
			goto out;
		}
		{
			size_t len = val.len;
			dn_push(dn, &cap, type, cr_buf_detach(&val), len, hex, multi);
		}
		r = CR_EINPUT;
		if (*p == '\0')
			break;
		multi = *p == '+';
		p = skip_ws(p + 1);
		if (*p == '\0') {
			cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "bad DN '%s': nothing after the "
			    "last '%c'", (sh = shown(text)), multi ? '+' : ',');
			goto out;
		}
	}
	r = CR_OK;
out:
	free(sh);
	if (r != CR_OK)
		crt_dn_release(dn);
	return r;
}

ASN1_OBJECT *
crt_dn_type_obj(const char *type)
{
	size_t i;

	for (i = 0; i < NATTRS; i++)
		if (strcmp(type, attrs[i].name) == 0)
			return OBJ_nid2obj(attrs[i].nid);
	if (strncmp(type, "OID.", 4) == 0 && isdigit((unsigned char)type[4]))
		return OBJ_txt2obj(type + 4, 1);
	return NULL;
}
