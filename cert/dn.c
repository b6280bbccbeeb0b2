/*
 * dn.c - Windows rendering, parsing and matching of distinguished names.
 *
 * The rendering follows crypt32's CertNameToStr(CERT_X500_NAME_STR |
 * CERT_NAME_STR_REVERSE_FLAG), which is what Exchange shows and stores in
 * TlsCertificateName: RDNs most specific first, ", " between RDNs, " + "
 * between the AVAs of a multi-valued RDN (kept in encoded order), a value
 * quoted when it holds one of , + = " newline < > # ; or starts or ends
 * with white space.  Empty values are written bare, as crypt32 does.
 */
#include "dn.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/objects.h>
#include <openssl/asn1.h>

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

/* Canonical type of an ASN.1 object: a Windows name or "OID.1.2.3". New string. */
static char *
type_of_obj(const ASN1_OBJECT *obj)
{
	int nid = OBJ_obj2nid(obj);
	char oid[128];
	size_t i;

	for (i = 0; nid != NID_undef && i < NATTRS; i++)
		if (attrs[i].nid == nid)
			return cr_xstrdup(attrs[i].name);
	if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0)
		return cr_xstrdup("OID.?");
	return cr_xasprintf("OID.%s", oid);
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
		if (!isdigit((unsigned char)t[0]))
			return NULL;
	}
	if (isdigit((unsigned char)t[0])) {
		for (i = 0; t[i]; i++)
			if (!isdigit((unsigned char)t[i]) && t[i] != '.')
				return NULL;
		obj = OBJ_txt2obj(t, 1);
		if (obj == NULL)
			return NULL;
		r = type_of_obj(obj);
		ASN1_OBJECT_free(obj);
		return r;
	}
	/* OpenSSL's short and long names ("serialNumber", "postalCode", ...) */
	nid = OBJ_txt2nid(t);
	if (nid == NID_undef)
		return NULL;
	obj = OBJ_nid2obj(nid);
	return obj != NULL ? type_of_obj(obj) : NULL;
}

/* ---- building and rendering ------------------------------------------- */

static void
dn_push(struct crt_dn *dn, size_t *cap, char *type, char *value, int multi)
{
	cr_grow(&dn->ava, cap, dn->n + 1, sizeof(dn->ava[0]));
	dn->ava[dn->n].type = type;
	dn->ava[dn->n].value = value;
	dn->ava[dn->n].multi = multi;
	dn->n++;
}

/* The value of an entry as UTF-8 (NUL bytes replaced).  New string. */
static char *
entry_value(const X509_NAME_ENTRY *e)
{
	const ASN1_STRING *s = X509_NAME_ENTRY_get_data(e);
	unsigned char *u = NULL;
	char *r;
	int n, i;

	n = ASN1_STRING_to_UTF8(&u, s);
	if (n < 0) {
		/* not a string type crypt32 would print either: show the bytes */
		const unsigned char *d = ASN1_STRING_get0_data(s);
		char *hex = cr_hex_upper(d, (size_t)ASN1_STRING_length(s));
		r = cr_xasprintf("#%s", hex);
		free(hex);
		return r;
	}
	r = cr_xstrndup((const char *)u, (size_t)n);
	for (i = 0; i < n; i++)
		if (r[i] == '\0')
			r[i] = '?';
	OPENSSL_free(u);
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
			dn_push(dn, &cap, type_of_obj(X509_NAME_ENTRY_get_object(e)),
			    entry_value(e), i > start);
		}
	}
}

static int
needs_quotes(const char *v)
{
	size_t n = strlen(v);

	if (n == 0)
		return 0;
	if (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1]))
		return 1;
	return strpbrk(v, ",+=\"\n<>#;") != NULL;
}

char *
crt_dn_format(const struct crt_dn *dn)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i;

	for (i = 0; i < dn->n; i++) {
		const char *v = dn->ava[i].value;

		if (i > 0)
			cr_buf_adds(&b, dn->ava[i].multi ? " + " : ", ");
		cr_buf_adds(&b, dn->ava[i].type);
		cr_buf_addc(&b, '=');
		if (!needs_quotes(v)) {
			cr_buf_adds(&b, v);
			continue;
		}
		cr_buf_addc(&b, '"');
		for (; *v; v++) {
			if (*v == '"')
				cr_buf_addc(&b, '"');
			cr_buf_addc(&b, *v);
		}
		cr_buf_addc(&b, '"');
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

int
crt_dn_parse(const char *text, struct crt_dn *dn, struct cr_err *err)
{
	const char *p = text;
	size_t cap = 0;
	int multi = 0;
	int r = CR_EINPUT;

	dn->ava = NULL;
	dn->n = 0;
	p = skip_ws(p);
	if (*p == '\0')
		return CR_OK;	/* the empty DN */
	for (;;) {
		const char *t0, *t1;
		char *type, *tname;
		struct cr_buf val = CR_BUF_INIT;

		p = skip_ws(p);
		t0 = p;
		while (*p && *p != '=' && *p != ',' && *p != ';' && *p != '+' && *p != '"')
			p++;
		t1 = p;
		while (t1 > t0 && is_ws(t1[-1]))
			t1--;
		if (t1 == t0) {
			cr_err_set(err, CR_EINPUT, "bad DN '%s': missing attribute type at position %zu",
			    text, (size_t)(t0 - text) + 1);
			goto out;
		}
		tname = cr_xstrndup(t0, (size_t)(t1 - t0));
		if (*p != '=') {
			cr_err_set(err, CR_EINPUT, "bad DN '%s': expected '=' after '%s' at position %zu",
			    text, tname, (size_t)(p - text) + 1);
			free(tname);
			goto out;
		}
		type = type_of_text(tname);
		if (type == NULL) {
			cr_err_set(err, CR_EINPUT, "bad DN '%s': unknown attribute type '%s' "
			    "(expected CN, OU, O, L, S, C, E, DC, STREET, SERIALNUMBER, G, SN, T "
			    "or OID.n.n.n)", text, tname);
			free(tname);
			goto out;
		}
		free(tname);
		p = skip_ws(p + 1);
		if (*p == '"') {
			const char *q0 = p;
			for (p++;; p++) {
				if (*p == '\0') {
					cr_err_set(err, CR_EINPUT, "bad DN '%s': unterminated quote "
					    "at position %zu", text, (size_t)(q0 - text) + 1);
					free(type);
					cr_buf_release(&val);
					goto out;
				}
				if (*p == '"') {
					if (p[1] != '"')
						break;
					p++;	/* "" is one quote */
				}
				cr_buf_addc(&val, *p);
			}
			p = skip_ws(p + 1);
			if (*p && *p != ',' && *p != ';' && *p != '+') {
				cr_err_set(err, CR_EINPUT, "bad DN '%s': unexpected '%c' after a quoted "
				    "value at position %zu", text, *p, (size_t)(p - text) + 1);
				free(type);
				cr_buf_release(&val);
				goto out;
			}
		} else {
			const char *v0 = p, *v1;
			while (*p && *p != ',' && *p != ';' && *p != '+')
				p++;
			v1 = p;
			while (v1 > v0 && is_ws(v1[-1]))
				v1--;
			cr_buf_add(&val, v0, (size_t)(v1 - v0));
		}
		dn_push(dn, &cap, type, cr_buf_detach(&val), multi);
		if (*p == '\0')
			break;
		multi = *p == '+';
		p = skip_ws(p + 1);
		if (*p == '\0') {
			cr_err_set(err, CR_EINPUT, "bad DN '%s': nothing after the last '%c'", text,
			    multi ? '+' : ',');
			goto out;
		}
	}
	r = CR_OK;
out:
	if (r != CR_OK)
		crt_dn_release(dn);
	return r;
}

/* ---- matching ------------------------------------------------------------ */

/*
 * Simple case folding of one code point: ASCII, Latin-1, Latin Extended-A,
 * Greek and Cyrillic - the scripts of the names seen in certificates
 * without a locale-dependent towlower().
 */
static unsigned long
fold_cp(unsigned long c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
		return c + 32;
	if (c >= 0x100 && c <= 0x137 && (c & 1) == 0)
		return c + 1;
	if (c >= 0x139 && c <= 0x148 && (c & 1) == 1)
		return c + 1;
	if (c >= 0x14A && c <= 0x177 && (c & 1) == 0)
		return c + 1;
	if (c == 0x178)
		return 0xFF;
	if ((c == 0x179 || c == 0x17B || c == 0x17D))
		return c + 1;
	if (c >= 0x391 && c <= 0x3AB && c != 0x3A2)
		return c + 32;
	if (c >= 0x410 && c <= 0x42F)
		return c + 32;
	if (c >= 0x400 && c <= 0x40F)
		return c + 80;
	return c;
}

/* Decodes one UTF-8 sequence at s; invalid bytes stand for themselves. */
static size_t
utf8_next(const unsigned char *s, unsigned long *cp)
{
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0) {
		n = 2;
		*cp = s[0] & 0x1F;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 3;
		*cp = s[0] & 0x0F;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 4;
		*cp = s[0] & 0x07;
	} else {
		*cp = 0x80000000UL | s[0];	/* a stray byte: never folded */
		return 1;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = 0x80000000UL | s[0];
			return 1;
		}
		*cp = (*cp << 6) | (s[i] & 0x3F);
	}
	return n;
}

/* Value normalised for comparison: trimmed, white space runs as one space, folded. */
static unsigned long *
normalize(const char *v, size_t *len)
{
	const unsigned char *p = (const unsigned char *)v;
	unsigned long *out = cr_xcalloc(strlen(v) + 1, sizeof(*out));
	size_t n = 0;
	int pending_space = 0;

	while (*p && is_ws((char)*p))
		p++;
	while (*p) {
		unsigned long cp;
		if (is_ws((char)*p)) {
			pending_space = 1;
			p++;
			continue;
		}
		if (pending_space) {
			out[n++] = ' ';
			pending_space = 0;
		}
		p += utf8_next(p, &cp);
		out[n++] = fold_cp(cp);
	}
	*len = n;
	return out;
}

static int
value_equal(const char *a, const char *b)
{
	size_t na, nb;
	unsigned long *x = normalize(a, &na), *y = normalize(b, &nb);
	int eq = na == nb && memcmp(x, y, na * sizeof(*x)) == 0;

	free(x);
	free(y);
	return eq;
}

static int
ava_equal(const struct crt_ava *a, const struct crt_ava *b)
{
	/* types are canonical already (S = ST, E = emailAddress) */
	return strcasecmp(a->type, b->type) == 0 && value_equal(a->value, b->value);
}

/* Length of the RDN (run of AVAs) starting at i. */
static size_t
rdn_len(const struct crt_dn *dn, size_t i)
{
	size_t k = 1;

	while (i + k < dn->n && dn->ava[i + k].multi)
		k++;
	return k;
}

/* Two RDNs are equal when their AVAs pair up (a SET OF: in any order). */
static int
rdn_equal(const struct crt_dn *a, size_t ia, size_t na, const struct crt_dn *b, size_t ib,
    size_t nb)
{
	unsigned char *used;
	size_t i, k;
	int eq = 1;

	if (na != nb)
		return 0;
	if (na == 1)
		return ava_equal(&a->ava[ia], &b->ava[ib]);
	/* equality is an equivalence, so greedy pairing finds a pairing if any */
	used = cr_xcalloc(nb, 1);
	for (i = 0; eq && i < na; i++) {
		for (k = 0; k < nb; k++)
			if (!used[k] && ava_equal(&a->ava[ia + i], &b->ava[ib + k]))
				break;
		if (k == nb)
			eq = 0;
		else
			used[k] = 1;
	}
	free(used);
	return eq;
}

/* Start indexes of the RDNs of dn.  New array; *n RDNs. */
static size_t *
rdn_starts(const struct crt_dn *dn, size_t *n)
{
	size_t *v = cr_xcalloc(dn->n + 1, sizeof(*v));
	size_t i;

	*n = 0;
	for (i = 0; i < dn->n; i += rdn_len(dn, i))
		v[(*n)++] = i;
	v[*n] = dn->n;
	return v;
}

int
crt_dn_equal(const struct crt_dn *a, const struct crt_dn *b)
{
	size_t ra, rb, i;
	size_t *sa = rdn_starts(a, &ra), *sb = rdn_starts(b, &rb);
	int eq = ra == rb;

	for (i = 0; eq && i < ra; i++)
		eq = rdn_equal(a, sa[i], sa[i + 1] - sa[i], b, sb[i], sb[i + 1] - sb[i]);
	free(sa);
	free(sb);
	return eq;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One AVA's key: the type, '=', each normalised code point in hex and '.'. */
static char *
ava_key(const struct crt_ava *a)
{
	struct cr_buf b = CR_BUF_INIT;
	unsigned long *cp;
	const char *t;
	size_t n, i;

	for (t = a->type; *t; t++)
		cr_buf_addc(&b, (char)tolower((unsigned char)*t));
	cr_buf_addc(&b, '=');
	cp = normalize(a->value, &n);
	for (i = 0; i < n; i++)
		cr_buf_addf(&b, "%lx.", cp[i]);
	free(cp);
	return cr_buf_detach(&b);
}

char *
crt_dn_key(const struct crt_dn *dn)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i, k, n;

	for (i = 0; i < dn->n; i += n) {
		char **keys;

		n = rdn_len(dn, i);
		keys = cr_xcalloc(n, sizeof(*keys));
		for (k = 0; k < n; k++)
			keys[k] = ava_key(&dn->ava[i + k]);
		/* an RDN is a SET OF: its AVAs in any order are the same RDN */
		if (n > 1)
			qsort(keys, n, sizeof(*keys), cmp_str);
		if (i > 0)
			cr_buf_addc(&b, ',');
		for (k = 0; k < n; k++) {
			cr_buf_addf(&b, "%s%s", k ? "+" : "", keys[k]);
			free(keys[k]);
		}
		free(keys);
	}
	return cr_buf_detach(&b);
}

/* "O='Contoso'" or "CN='a' + OU='b'" for one RDN. */
static void
add_rdn(struct cr_buf *out, const struct crt_dn *dn, size_t start, size_t end)
{
	size_t i;

	for (i = start; i < end; i++)
		cr_buf_addf(out, "%s%s='%s'", i > start ? " + " : "", dn->ava[i].type,
		    dn->ava[i].value);
}

static void
sep(struct cr_buf *out)
{
	if (out->len > 0)
		cr_buf_adds(out, "; ");
}

/* Describes how the unmatched RDNs a[ai..aj) became b[bi..bj). */
static void
diff_gap(struct cr_buf *out, const struct crt_dn *a, const size_t *sa, size_t ai, size_t aj,
    const struct crt_dn *b, const size_t *sb, size_t bi, size_t bj)
{
	while (ai < aj || bi < bj) {
		if (ai < aj && bi < bj) {
			size_t la = sa[ai + 1] - sa[ai], lb = sb[bi + 1] - sb[bi];
			const struct crt_ava *x = &a->ava[sa[ai]], *y = &b->ava[sb[bi]];
			sep(out);
			if (la == 1 && lb == 1 && strcasecmp(x->type, y->type) == 0) {
				cr_buf_addf(out, "%s: '%s' -> '%s'", x->type, x->value, y->value);
			} else {
				add_rdn(out, a, sa[ai], sa[ai + 1]);
				cr_buf_adds(out, " -> ");
				add_rdn(out, b, sb[bi], sb[bi + 1]);
			}
			ai++;
			bi++;
		} else if (ai < aj) {
			sep(out);
			cr_buf_adds(out, "removed ");
			add_rdn(out, a, sa[ai], sa[ai + 1]);
			ai++;
		} else {
			sep(out);
			cr_buf_adds(out, "added ");
			add_rdn(out, b, sb[bi], sb[bi + 1]);
			bi++;
		}
	}
}

char *
crt_dn_diff(const struct crt_dn *a, const struct crt_dn *b)
{
	struct cr_buf out = CR_BUF_INIT;
	size_t ra, rb, i, k, pi, pk;
	size_t *sa, *sb, *L;
	char *r;

	if (crt_dn_equal(a, b))
		return NULL;
	sa = rdn_starts(a, &ra);
	sb = rdn_starts(b, &rb);
	/* longest common subsequence of equal RDNs; the rest is the difference */
	L = cr_xcalloc((ra + 1) * (rb + 1), sizeof(*L));
#define LCS(x, y) L[(x) * (rb + 1) + (y)]
	for (i = ra; i-- > 0;)
		for (k = rb; k-- > 0;) {
			if (rdn_equal(a, sa[i], sa[i + 1] - sa[i], b, sb[k], sb[k + 1] - sb[k]))
				LCS(i, k) = LCS(i + 1, k + 1) + 1;
			else
				LCS(i, k) = LCS(i + 1, k) > LCS(i, k + 1) ? LCS(i + 1, k) : LCS(i, k + 1);
		}
	if (ra != rb)
		cr_buf_addf(&out, "RDN count %zu -> %zu", ra, rb);
	i = k = pi = pk = 0;
	while (i < ra && k < rb) {
		if (rdn_equal(a, sa[i], sa[i + 1] - sa[i], b, sb[k], sb[k + 1] - sb[k]) &&
		    LCS(i, k) == LCS(i + 1, k + 1) + 1) {
			diff_gap(&out, a, sa, pi, i, b, sb, pk, k);
			pi = ++i;
			pk = ++k;
		} else if (LCS(i + 1, k) >= LCS(i, k + 1)) {
			i++;
		} else {
			k++;
		}
	}
	diff_gap(&out, a, sa, pi, ra, b, sb, pk, rb);
#undef LCS
	if (out.len == 0)	/* cannot happen: unequal DNs differ somewhere */
		cr_buf_adds(&out, "names differ");
	r = cr_buf_detach(&out);
	free(L);
	free(sa);
	free(sb);
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
