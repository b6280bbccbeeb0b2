/*
 * info.c - what `inspect` shows of a certificate (SPEC 3.3).
 */
#include "cert.h"
#include "dn.h"
#include "lite.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "../common/text.h"
#include "../common/util.h"

/*
 * OBJ_obj2txt into buf; a text that does not fit ends in "...", so that a
 * cut OID never equals a real one (an accepts.signature entry).
 */
static void
obj_text(char *buf, size_t len, const ASN1_OBJECT *obj, int no_name)
{
	int n = OBJ_obj2txt(buf, (int)len, obj, no_name);

	if (n <= 0)
		snprintf(buf, len, "unknown");
	else if ((size_t)n >= len && len >= 4)
		memcpy(buf + len - 4, "...", 4);
	ERR_clear_error();
}

void
crt_sigalg(const X509 *x, char *name, size_t namelen, char *oid, size_t oidlen)
{
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;

	X509_get0_signature(NULL, &alg, x);
	if (alg != NULL)
		X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (obj == NULL) {
		snprintf(name, namelen, "unknown");
		snprintf(oid, oidlen, "unknown");
		return;
	}
	/* no_name=0 gives the long name ("sha256WithRSAEncryption") when known */
	obj_text(name, namelen, obj, 0);
	obj_text(oid, oidlen, obj, 1);
}

int
crt_sigalg_windows_nid(const char *name)
{
	static const struct { const char *win; int nid; } t[] = {
		{ "sha1RSA", NID_sha1WithRSAEncryption },
		{ "sha256RSA", NID_sha256WithRSAEncryption },
		{ "sha384RSA", NID_sha384WithRSAEncryption },
		{ "sha512RSA", NID_sha512WithRSAEncryption },
		{ "md5RSA", NID_md5WithRSAEncryption },
		{ "md2RSA", NID_md2WithRSAEncryption },
		{ "sha1ECDSA", NID_ecdsa_with_SHA1 },
		{ "sha256ECDSA", NID_ecdsa_with_SHA256 },
		{ "sha384ECDSA", NID_ecdsa_with_SHA384 },
		{ "sha512ECDSA", NID_ecdsa_with_SHA512 },
		{ "sha1DSA", NID_dsaWithSHA1 },
	};
	size_t i;

	for (i = 0; name != NULL && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(name, t[i].win) == 0)
			return t[i].nid;
	return NID_undef;
}

/* An OID whole ("unknown" for none): crt_oid_text.  New string. */
static char *
oid_str(const ASN1_OBJECT *obj)
{
	char *s = crt_oid_text(obj);

	return s != NULL ? s : cr_xstrdup("unknown");
}

/* ASN1_TIME to time_t; 0 when it cannot be read. */
static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
}

/* "1 day" / "3 days" */
static void
amount(char *buf, size_t len, long long n, const char *unit)
{
	snprintf(buf, len, "%lld %s%s", n, unit, n == 1 ? "" : "s");
}

void
crt_expiry_get(time_t not_after, time_t now, struct crt_expiry *e)
{
	long long d = (long long)not_after - (long long)now;

	memset(e, 0, sizeof(*e));
	/* floor, not truncation: one second past not_after is day -1 */
	e->days_left = (long)(d >= 0 ? d / 86400 : -((-d + 86399) / 86400));
	e->expired = d < 0;
	if (d >= 86400)
		amount(e->amount, sizeof(e->amount), e->days_left, "day");
	else if (d >= 3600)
		amount(e->amount, sizeof(e->amount), d / 3600, "hour");
	else if (d >= 60)
		amount(e->amount, sizeof(e->amount), d / 60, "minute");
	else if (d >= 0)
		amount(e->amount, sizeof(e->amount), d, "second");
	else if (-d >= 86400)
		amount(e->amount, sizeof(e->amount), -(long long)e->days_left, "day");
	else
		amount(e->amount, sizeof(e->amount), (-d + 3599) / 3600, "hour");
	if (e->expired)
		snprintf(e->phrase, sizeof(e->phrase), "(EXPIRED %s ago)", e->amount);
	else if (d >= 86400)
		snprintf(e->phrase, sizeof(e->phrase), "(%s left)", e->amount);
	else
		snprintf(e->phrase, sizeof(e->phrase), "(expires in %s)", e->amount);
}

void
crt_expiry_x509(const X509 *x, time_t now, struct crt_expiry *e)
{
	crt_expiry_get(asn1_time(X509_get0_notAfter(x)), now, e);
}

static void
rfc3339(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "unknown");
}

/*
 * A SAN string with its prefix, escaped (common/text.h): the IA5String
 * kinds (dNSName, rfc822Name, URI) are ASCII, so every byte from 0x80 is
 * escaped too; "DNS:evil\x00.contoso.com" shows the NUL that ends a C
 * string early.
 */
static char *
printable(const char *prefix, const ASN1_STRING *s, int flags)
{
	struct cr_buf b = CR_BUF_INIT;

	cr_buf_adds(&b, prefix);
	cr_esc_add(&b, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), flags);
	return cr_buf_detach(&b);
}

static char *
prefixed_oid(const char *prefix, const ASN1_OBJECT *obj)
{
	char *oid = oid_str(obj);
	char *r = cr_xasprintf("%s%s", prefix, oid);

	free(oid);
	return r;
}

static char *
san_entry(const GENERAL_NAME *g)
{
	char buf[INET6_ADDRSTRLEN];

	switch (g->type) {
	case GEN_DNS:
		return printable("DNS:", g->d.dNSName, CR_ESC_ASCII);
	case GEN_EMAIL:
		return printable("email:", g->d.rfc822Name, CR_ESC_ASCII);
	case GEN_URI:
		return printable("URI:", g->d.uniformResourceIdentifier, CR_ESC_ASCII);
	case GEN_IPADD: {
		const unsigned char *d = ASN1_STRING_get0_data(g->d.iPAddress);
		int n = ASN1_STRING_length(g->d.iPAddress);
		if ((n == 4 && inet_ntop(AF_INET, d, buf, sizeof(buf))) ||
		    (n == 16 && inet_ntop(AF_INET6, d, buf, sizeof(buf))))
			return cr_xasprintf("IP:%s", buf);
		return printable("IP:", g->d.iPAddress, CR_ESC_ASCII);
	}
	case GEN_DIRNAME: {
		char *dn = crt_dn_render(g->d.directoryName);
		char *r = cr_xasprintf("DirName:%s", dn);
		free(dn);
		return r;
	}
	case GEN_RID:
		return prefixed_oid("RID:", g->d.registeredID);
	case GEN_OTHERNAME:
		if (OBJ_obj2nid(g->d.otherName->type_id) == NID_ms_upn &&
		    g->d.otherName->value->type == V_ASN1_UTF8STRING)
			return printable("UPN:", g->d.otherName->value->value.utf8string, 0);
		return prefixed_oid("othername:", g->d.otherName->type_id);
	default:
		return cr_xstrdup("other:?");
	}
}

/* X509_get_ext_d2i / X509_get_ext_by_NID on the parts: the same calls */
static void
get_san(const struct crt_parts *x, struct crt_info *info)
{
	GENERAL_NAMES *gens = X509V3_get_d2i(x->exts, NID_subject_alt_name, NULL, NULL);
	int i, n = gens ? sk_GENERAL_NAME_num(gens) : 0;

	info->san = cr_xcalloc((size_t)n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		info->san[info->nsan++] = san_entry(sk_GENERAL_NAME_value(gens, i));
	GENERAL_NAMES_free(gens);
}

static void
get_eku(const struct crt_parts *x, struct crt_info *info)
{
	EXTENDED_KEY_USAGE *eku;
	int i, n;

	info->has_eku = X509v3_get_ext_by_NID(x->exts, NID_ext_key_usage, -1) >= 0;
	eku = X509V3_get_d2i(x->exts, NID_ext_key_usage, NULL, NULL);
	n = eku ? sk_ASN1_OBJECT_num(eku) : 0;
	info->eku = cr_xcalloc((size_t)n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
		int nid = OBJ_obj2nid(o);

		if (nid != NID_undef && OBJ_nid2sn(nid) != NULL)
			info->eku[info->neku++] = cr_xstrdup(OBJ_nid2sn(nid));
		else
			info->eku[info->neku++] = oid_str(o);
	}
	EXTENDED_KEY_USAGE_free(eku);
}

static void
get_key(const EVP_PKEY *pk, struct crt_info *info)
{
	char group[80];
	size_t glen = 0;
	int id;

	if (pk == NULL) {
		info->key_type = cr_xstrdup("unknown");
		return;
	}
	id = EVP_PKEY_get_base_id(pk);
	switch (id) {
	case EVP_PKEY_RSA: info->key_type = cr_xstrdup("RSA"); break;
	case EVP_PKEY_RSA_PSS: info->key_type = cr_xstrdup("RSA-PSS"); break;
	case EVP_PKEY_EC: info->key_type = cr_xstrdup("EC"); break;
	case EVP_PKEY_ED25519: info->key_type = cr_xstrdup("ED25519"); break;
	case EVP_PKEY_ED448: info->key_type = cr_xstrdup("ED448"); break;
	case EVP_PKEY_DSA: info->key_type = cr_xstrdup("DSA"); break;
	default:
		info->key_type = cr_xstrdup(id != NID_undef && OBJ_nid2sn(id) ? OBJ_nid2sn(id) :
		    "unknown");
		break;
	}
	info->key_bits = EVP_PKEY_get_bits(pk);
	if (id == EVP_PKEY_EC && EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen))
		info->key_curve = cr_xstrdup(group);
}

static char *
serial_hex(const ASN1_INTEGER *sn)
{
	const unsigned char *d = ASN1_STRING_get0_data(sn);
	int n = ASN1_STRING_length(sn);
	char *hex, *r;

	/* the magnitude's bytes, as Windows and `openssl x509 -serial` show them */
	if (n <= 0)
		return cr_xstrdup("00");
	hex = cr_hex_upper(d, (size_t)n);
	if (ASN1_STRING_type(sn) != V_ASN1_NEG_INTEGER)
		return hex;
	r = cr_xasprintf("-%s", hex);
	free(hex);
	return r;
}

void
crt_cert_expiry(const struct crt_cert *c, time_t now, struct crt_expiry *e)
{
	struct crt_parts x;

	if (c->x509 != NULL)
		crt_parts_x509(c->x509, &x);
	else
		crt_lite_parts(c->lite, &x);
	crt_expiry_get(asn1_time(x.not_after), now, e);
}

char *
crt_cert_subject(const struct crt_cert *c)
{
	if (c->x509 != NULL)
		return crt_dn_render(X509_get_subject_name(c->x509));
	return cr_xstrdup(crt_lite_subject(c->lite));
}

void
crt_info_key(const struct crt_cert *c, struct crt_info *info)
{
	EVP_PKEY *lite_key;

	free(info->key_type);
	free(info->key_curve);
	info->key_type = info->key_curve = NULL;
	info->key_bits = 0;
	if (c->x509 != NULL) {
		get_key(X509_get0_pubkey(c->x509), info);
		return;
	}
	lite_key = crt_lite_pubkey(c->lite);
	get_key(lite_key, info);
	EVP_PKEY_free(lite_key);
}

void
crt_info_get(const struct crt_cert *c, time_t now, struct crt_info *info)
{
	crt_info_get_nokey(c, now, info);
	crt_info_key(c, info);
}

void
crt_info_get_nokey(const struct crt_cert *c, time_t now, struct crt_info *info)
{
	struct crt_parts parts, *x = &parts;
	const ASN1_OBJECT *obj = NULL;
	int nid;

	memset(info, 0, sizeof(*info));
	if (c->x509 != NULL)
		crt_parts_x509(c->x509, x);
	else
		crt_lite_parts(c->lite, x);
	info->subject = crt_dn_render(x->subject);
	info->issuer = crt_dn_render(x->issuer);
	info->tls_name = cr_xasprintf("<I>%s<S>%s", info->issuer, info->subject);
	info->serial = serial_hex(x->serial);
	info->not_before = asn1_time(x->not_before);
	info->not_after = asn1_time(x->not_after);
	rfc3339(info->not_before, info->not_before_s, sizeof(info->not_before_s));
	rfc3339(info->not_after, info->not_after_s, sizeof(info->not_after_s));
	crt_expiry_get(info->not_after, now, &info->expiry);
	info->days_left = info->expiry.days_left;
	get_san(x, info);
	/* crt_sigalg's buffers would cut a long OID: here it is whole */
	if (x->sigalg != NULL)
		X509_ALGOR_get0(&obj, NULL, NULL, x->sigalg);
	nid = obj != NULL ? OBJ_obj2nid(obj) : NID_undef;
	info->sig_oid = obj != NULL ? oid_str(obj) : cr_xstrdup("unknown");
	info->sig_name = nid != NID_undef && OBJ_nid2ln(nid) != NULL ?
	    cr_xstrdup(OBJ_nid2ln(nid)) : cr_xstrdup(info->sig_oid);
	get_eku(x, info);
	info->sha1 = cr_hex_upper(c->sha1, sizeof(c->sha1));
	info->sha256 = cr_hex_upper(c->sha256, sizeof(c->sha256));
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

void
crt_info_release(struct crt_info *info)
{
	if (info == NULL)
		return;
	free(info->subject);
	free(info->issuer);
	free(info->tls_name);
	free(info->serial);
	free_strv(info->san, info->nsan);
	free(info->sig_name);
	free(info->sig_oid);
	free(info->key_type);
	free(info->key_curve);
	free_strv(info->eku, info->neku);
	free(info->sha1);
	free(info->sha256);
	memset(info, 0, sizeof(*info));
}
