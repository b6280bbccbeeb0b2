/*
 * renew.c - the decisions behind `certrotate renew` (renew.h).
 */
#include "renew.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "internal.h"
#include "../common/util.h"
#include "../cert/keyalg.h"
#include "../cert/names.h"

/* ---- key types ------------------------------------------------------------ */

static const struct plan_keytype keytypes[] = {
	{ "rsa:2048", PLAN_KEY_RSA, 2048, NULL, NID_undef, "RSA 2048" },
	{ "rsa:3072", PLAN_KEY_RSA, 3072, NULL, NID_undef, "RSA 3072" },
	{ "rsa:4096", PLAN_KEY_RSA, 4096, NULL, NID_undef, "RSA 4096" },
	{ "ec:prime256v1", PLAN_KEY_EC, 256, "prime256v1", NID_X9_62_prime256v1, "EC prime256v1" },
	{ "ec:secp384r1", PLAN_KEY_EC, 384, "secp384r1", NID_secp384r1, "EC secp384r1" },
};
#define NKEYTYPES (sizeof(keytypes) / sizeof(keytypes[0]))

/* Other names of the curves, as administrators write them. */
static const struct {
	const char *alias, *curve;
} curve_aliases[] = {
	{ "p-256", "prime256v1" }, { "secp256r1", "prime256v1" }, { "p256", "prime256v1" },
	{ "p-384", "secp384r1" }, { "p384", "secp384r1" },
};

const struct plan_keytype *
plan_keytypes(size_t *n)
{
	*n = NKEYTYPES;
	return keytypes;
}

int
plan_keytype_parse(const char *text, const struct plan_keytype **out, struct cr_err *err)
{
	char buf[32];
	const char *colon;
	size_t i;

	*out = NULL;
	if (strlen(text) < sizeof(buf)) {
		for (i = 0; text[i] != '\0'; i++)
			buf[i] = (char)(text[i] >= 'A' && text[i] <= 'Z' ? text[i] - 'A' + 'a' : text[i]);
		buf[i] = '\0';
		colon = strchr(buf, ':');
		for (i = 0; colon != NULL && strncmp(buf, "ec:", 3) == 0 &&
		    i < sizeof(curve_aliases) / sizeof(curve_aliases[0]); i++)
			if (strcmp(colon + 1, curve_aliases[i].alias) == 0)
				snprintf(buf + 3, sizeof(buf) - 3, "%s", curve_aliases[i].curve);
		for (i = 0; i < NKEYTYPES; i++)
			if (strcmp(buf, keytypes[i].spec) == 0) {
				*out = &keytypes[i];
				return CR_OK;
			}
	}
	return cr_err_setr(err, CR_EINPUT, CR_R_USAGE, "unknown key type '%s': expected "
	    "rsa:2048, rsa:3072, rsa:4096, ec:prime256v1 or ec:secp384r1", text);
}

const struct plan_keytype *
plan_keytype_of(const X509 *x)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char group[64];
	size_t glen = 0, i;

	if (pk == NULL)
		return NULL;
	for (i = 0; i < NKEYTYPES; i++) {
		const struct plan_keytype *k = &keytypes[i];

		if (k->alg == PLAN_KEY_RSA && EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA &&
		    EVP_PKEY_get_bits(pk) == k->bits)
			return k;
		if (k->alg == PLAN_KEY_EC && EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC &&
		    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
		    sizeof(group), &glen) && strcmp(group, k->curve) == 0)
			return k;
	}
	ERR_clear_error();
	return NULL;
}

int
plan_host_accepts_key(const struct plan_host *h, const struct plan_keytype *kt)
{
	size_t i;

	if (h->naccept_key == 0)
		return 1;
	for (i = 0; i < h->naccept_key; i++)
		if (crt_keyalg_matches_params(h->accept_key[i], kt->alg == PLAN_KEY_RSA ? "rsa" : "ec",
		    kt->bits, kt->curve))
			return 1;
	return 0;
}

static int
all_accept(const struct plan_config *cfg, const struct plan_keytype *kt)
{
	size_t i;

	for (i = 0; i < cfg->nhosts; i++)
		if (!plan_host_accepts_key(&cfg->hosts[i], kt))
			return 0;
	return 1;
}

/* "host 'cas2' (accepts.key: rsa:1024-2048), host 'web' (...)": the hosts
 * refusing kt, or all hosts with accepts.key when kt is NULL. */
static void
refusers(const struct plan_config *cfg, const struct plan_keytype *kt, struct cr_buf *b)
{
	size_t i, k, n = 0;

	for (i = 0; i < cfg->nhosts; i++) {
		const struct plan_host *h = &cfg->hosts[i];

		if (h->naccept_key == 0 || (kt != NULL && plan_host_accepts_key(h, kt)))
			continue;
		cr_buf_addf(b, "%shost '%s' (accepts.key:", n++ ? ", " : "", h->name);
		for (k = 0; k < h->naccept_key; k++)
			cr_buf_addf(b, "%s %s", k ? "," : "", h->accept_key[k]);
		cr_buf_addc(b, ')');
	}
}

/* The order candidates are tried in when the old key type cannot be kept:
 * same algorithm, the next larger first, then smaller; then the other one. */
static int
candidate_rank(const struct plan_keytype *k, const EVP_PKEY *old)
{
	int same = old != NULL && ((k->alg == PLAN_KEY_RSA && EVP_PKEY_get_base_id(old) ==
	    EVP_PKEY_RSA) || (k->alg == PLAN_KEY_EC && EVP_PKEY_get_base_id(old) == EVP_PKEY_EC));
	int bits = old != NULL ? EVP_PKEY_get_bits(old) : 0;

	if (!same)
		return 20000 + (int)(k - keytypes);
	if (k->bits >= bits)
		return k->bits - bits;		/* 0 ... : larger, nearest first */
	return 10000 + (bits - k->bits);	/* then smaller, nearest first */
}

int
plan_renew_keytype(const struct plan_config *cfg, const X509 *old,
    const struct plan_keytype *asked, const struct plan_keytype **out,
    enum plan_key_choice *how, struct cr_err *err)
{
	struct cr_buf b = CR_BUF_INIT;
	const struct plan_keytype *best = NULL, *mine = old ? plan_keytype_of(old) : NULL;
	EVP_PKEY *opk = old ? X509_get0_pubkey(old) : NULL;
	int r, bestrank = 0;
	size_t i;

	*out = NULL;
	*how = PLAN_KEY_ASKED;
	if (asked != NULL) {
		if (all_accept(cfg, asked)) {
			*out = asked;
			return CR_OK;
		}
		refusers(cfg, asked, &b);
		r = cr_err_setr(err, CR_EBLOCK, CR_R_CONFIG, "key type %s is not accepted by %s",
		    asked->spec, cr_buf_str(&b));
		cr_buf_release(&b);
		return r;
	}
	if (mine != NULL && all_accept(cfg, mine)) {
		*out = mine;
		*how = PLAN_KEY_AS_OLD;
		return CR_OK;
	}
	for (i = 0; i < NKEYTYPES; i++) {
		int rank = candidate_rank(&keytypes[i], opk);

		if (all_accept(cfg, &keytypes[i]) && (best == NULL || rank < bestrank)) {
			best = &keytypes[i];
			bestrank = rank;
		}
	}
	if (best != NULL) {
		*out = best;
		*how = PLAN_KEY_OTHER;
		return CR_OK;
	}
	refusers(cfg, NULL, &b);
	r = cr_err_setr(err, CR_EBLOCK, CR_R_CONFIG, "no key type renew can generate (rsa:2048, "
	    "rsa:3072, rsa:4096, ec:prime256v1, ec:secp384r1) is accepted by every host: %s",
	    cr_buf_str(&b));
	cr_buf_release(&b);
	return r;
}

/* ---- names ----------------------------------------------------------------- */

void
plan_renew_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts v and drops repeats (freeing them). */
static void
sort_unique(char **v, size_t *n)
{
	size_t i, k = 0;

	plan_sort(v, *n, sizeof(*v), str_cmp);
	for (i = 0; i < *n; i++) {
		if (k > 0 && strcmp(v[k - 1], v[i]) == 0)
			free(v[i]);
		else
			v[k++] = v[i];
	}
	*n = k;
}

/* The canonical text of an IP literal (also "[v6]"), or NULL.  New string. */
static char *
ip_canonical(const char *name)
{
	unsigned char a[16];
	char buf[64], out[INET6_ADDRSTRLEN];
	size_t n = strlen(name);

	if (n >= sizeof(buf))
		return NULL;
	if (name[0] == '[' && n > 2 && name[n - 1] == ']') {
		memcpy(buf, name + 1, n - 2);
		buf[n - 2] = '\0';
	} else {
		memcpy(buf, name, n + 1);
	}
	if (inet_pton(AF_INET, buf, a) == 1 && inet_ntop(AF_INET, a, out, sizeof(out)) != NULL)
		return cr_xstrdup(out);
	if (inet_pton(AF_INET6, buf, a) == 1 && inet_ntop(AF_INET6, a, out, sizeof(out)) != NULL)
		return cr_xstrdup(out);
	return NULL;
}

/* A DNS name as the request carries it: ASCII lower case, no trailing dot.
 * NULL when it holds bytes outside printable ASCII.  New string. */
static char *
dns_canonical(const char *name, size_t len)
{
	char *s;
	size_t i;

	if (len > 1 && name[len - 1] == '.')
		len--;
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] <= 0x20 || (unsigned char)name[i] >= 0x7f)
			return NULL;
	s = cr_xstrndup(name, len);
	for (i = 0; i < len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	return s;
}

int
plan_renew_names(const struct plan_config *cfg, char ***dns, size_t *ndns, char ***ips,
    size_t *nips, struct cr_err *err)
{
	char **d = NULL, **p = NULL;
	size_t nd = 0, np = 0, capd = 0, capp = 0, i, k;

	*dns = *ips = NULL;
	*ndns = *nips = 0;
	for (i = 0; i < cfg->nservices; i++) {
		const struct plan_service *svc = &cfg->services[i];

		for (k = 0; k < svc->nnames; k++) {
			const char *name = svc->names[k];
			char *s = ip_canonical(name);

			if (s != NULL) {
				cr_grow(&p, &capp, np + 1, sizeof(*p));
				p[np++] = s;
				continue;
			}
			if ((s = dns_canonical(name, strlen(name))) == NULL) {
				plan_renew_strv_free(d, nd);
				plan_renew_strv_free(p, np);
				return plan_config_error(err, svc->loc, svc->path, "name '%s' is not "
				    "ASCII: a certificate request needs its A-label (xn--...)", name);
			}
			cr_grow(&d, &capd, nd + 1, sizeof(*d));
			d[nd++] = s;
		}
	}
	if (nd + np == 0)
		return cr_err_setr(err, CR_EINPUT, CR_R_CONFIG, "%s: no service lists names: the "
		    "request's subjectAltName would be empty (give every service its `names`)",
		    cfg->file);
	sort_unique(d, &nd);
	sort_unique(p, &np);
	*dns = d;
	*ndns = nd;
	*ips = p;
	*nips = np;
	return CR_OK;
}

/* ---- the signature algorithm ------------------------------------------------- */

/* The digests host h's accepts.signature allows, into md[] (max 16); 0 when it
 * constrains nothing. */
static size_t
host_digests(const struct plan_host *h, int *md, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < h->naccept_sig && n < max; i++) {
		int dig = NID_undef, pk = NID_undef, nid = plan_obj_nid(h->accept_sig[i]);

		if (nid != NID_undef && OBJ_find_sigid_algs(nid, &dig, &pk) && dig != NID_undef)
			md[n++] = dig;
	}
	return n;
}

static int
host_allows(const struct plan_host *h, int digest)
{
	int md[16];
	size_t i, n = host_digests(h, md, 16);

	for (i = 0; i < n; i++)
		if (md[i] == digest)
			return 1;
	return n == 0;
}

void
plan_renew_sigalg(const struct plan_config *cfg, const struct plan_keytype *kt,
    struct plan_sigchoice *out)
{
	static const int pref[] = { NID_sha256, NID_sha384, NID_sha512, NID_sha1 };
	static const int pref384[] = { NID_sha384, NID_sha256, NID_sha512, NID_sha1 };
	const int *p = kt->alg == PLAN_KEY_EC && kt->bits == 384 ? pref384 : pref;
	size_t i, h;

	memset(out, 0, sizeof(*out));
	out->md_nid = NID_undef;
	for (i = 0; i < 4 && out->md_nid == NID_undef; i++) {
		for (h = 0; h < cfg->nhosts && host_allows(&cfg->hosts[h], p[i]); h++)
			;
		if (h == cfg->nhosts)
			out->md_nid = p[i];
	}
	if (out->md_nid == NID_undef) {
		out->md_nid = p[0];
		out->conflict = 1;
	}
	out->sha1 = out->md_nid == NID_sha1;
	if (!OBJ_find_sigid_by_algs(&out->sig_nid, out->md_nid,
	    kt->alg == PLAN_KEY_RSA ? NID_rsaEncryption : NID_X9_62_id_ecPublicKey))
		out->sig_nid = NID_undef;
}

/* ---- against the old certificate -------------------------------------------- */

static int
in_list(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static void
push(char ***v, size_t *n, size_t *cap, char *s)
{
	cr_grow(v, cap, *n + 1, sizeof(**v));
	(*v)[(*n)++] = s;
}

void
plan_renew_diff(const X509 *old, char *const *dns, size_t ndns, char *const *ips,
    size_t nips, char ***dropped, size_t *ndropped, char ***gained, size_t *ngained)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(old, NID_subject_alt_name, NULL, NULL);
	size_t capd = 0, capg = 0, i;
	int k;

	*dropped = *gained = NULL;
	*ndropped = *ngained = 0;
	for (k = 0; gens != NULL && k < sk_GENERAL_NAME_num(gens); k++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, k);
		char *s = NULL, buf[INET6_ADDRSTRLEN];

		if (g->type == GEN_DNS) {
			s = dns_canonical((const char *)ASN1_STRING_get0_data(g->d.dNSName),
			    (size_t)ASN1_STRING_length(g->d.dNSName));
			if (s != NULL && (in_list(dns, ndns, s) || in_list(*dropped, *ndropped, s))) {
				free(s);
				s = NULL;
			}
		} else if (g->type == GEN_IPADD) {
			int len = ASN1_STRING_length(g->d.iPAddress);
			const unsigned char *a = ASN1_STRING_get0_data(g->d.iPAddress);

			if ((len == 4 && inet_ntop(AF_INET, a, buf, sizeof(buf)) != NULL) ||
			    (len == 16 && inet_ntop(AF_INET6, a, buf, sizeof(buf)) != NULL))
				if (!in_list(ips, nips, buf) && !in_list(*dropped, *ndropped, buf))
					s = cr_xstrdup(buf);
		}
		if (s != NULL)
			push(dropped, ndropped, &capd, s);
	}
	GENERAL_NAMES_free(gens);
	ERR_clear_error();
	for (i = 0; i < ndns + nips; i++) {
		const char *name = i < ndns ? dns[i] : ips[i - ndns];

		if (!crt_name_covered(old, name))
			push(gained, ngained, &capg, cr_xstrdup(name));
	}
}

/* ---- all of it ---------------------------------------------------------------- */

static void
note(struct plan_renew *r, size_t *cap, char *msg)
{
	push(&r->notes, &r->nnotes, cap, msg);
}

static void
honour_hosts(const struct plan_config *cfg, struct plan_renew *r)
{
	size_t i, k;

	for (i = 0; i < cfg->nhosts; i++) {
		const struct plan_host *h = &cfg->hosts[i];
		struct cr_buf b = CR_BUF_INIT;
		struct plan_honour *o;
		int md[16];
		size_t n = host_digests(h, md, 16), nsha1 = 0;

		if (h->naccept_sig == 0)
			continue;
		for (k = 0; k < n; k++)
			nsha1 += md[k] == NID_sha1;
		r->honour = cr_xrealloc(r->honour, (r->nhonour + 1) * sizeof(*r->honour));
		o = &r->honour[r->nhonour++];
		o->host = h;
		o->sha1_only = n > 0 && nsha1 == n;
		for (k = 0; k < h->naccept_sig; k++)
			cr_buf_addf(&b, "%s%s", k ? ", " : "", h->accept_sig[k]);
		o->message = cr_xasprintf("host '%s' validates only %s: the CA must sign the new "
		    "certificate (and any intermediate sent with it) with %s, or '%s' breaks%s",
		    h->name, cr_buf_str(&b), h->naccept_sig == 1 ? "it" : "one of these", h->name,
		    o->sha1_only ? " - SHA-1: make sure the CA still issues SHA-1 certificates "
		    "before submitting" : "");
		cr_buf_release(&b);
	}
}

static void
sig_notes(const struct plan_config *cfg, struct plan_renew *r, size_t *cap)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i;

	if (r->sig.sha1) {
		for (i = 0; i < r->nhonour; i++)
			if (r->honour[i].sha1_only)
				cr_buf_addf(&b, "%s'%s'", cr_buf_str(&b)[0] ? ", " : "",
				    r->honour[i].host->name);
		note(r, cap, cr_xasprintf("the request is signed with %s because %s accept%s no "
		    "other digest: the CA must sign the certificate with SHA-1 too, which many "
		    "refuse", r->sig_name, cr_buf_str(&b), strchr(cr_buf_str(&b), ',') ? "" : "s"));
	} else if (r->sig.conflict) {
		for (i = 0; i < cfg->nhosts; i++)
			if (cfg->hosts[i].naccept_sig > 0)
				cr_buf_addf(&b, "%s'%s'", cr_buf_str(&b)[0] ? ", " : "",
				    cfg->hosts[i].name);
		note(r, cap, cr_xasprintf("no digest is accepted by every host (%s): the request "
		    "is signed with %s, and no one certificate can satisfy them all", cr_buf_str(&b),
		    r->sig_name));
	}
	cr_buf_release(&b);
}

int
plan_renew_prepare(const struct plan_config *cfg, const X509 *old,
    const struct plan_keytype *asked, struct plan_renew **out, struct cr_err *err)
{
	struct plan_renew *r = cr_xcalloc(1, sizeof(*r));
	size_t cap = 0;
	int st;

	*out = NULL;
	if ((st = plan_renew_keytype(cfg, old, asked, &r->key, &r->key_how, err)) != CR_OK ||
	    (st = plan_renew_names(cfg, &r->dns, &r->ndns, &r->ips, &r->nips, err)) != CR_OK) {
		plan_renew_free(r);
		return st;
	}
	crt_keyalg_describe(old, r->old_key, sizeof(r->old_key));
	plan_renew_diff(old, r->dns, r->ndns, r->ips, r->nips, &r->dropped, &r->ndropped,
	    &r->gained, &r->ngained);
	plan_renew_sigalg(cfg, r->key, &r->sig);
	snprintf(r->sig_name, sizeof(r->sig_name), "%s", r->sig.sig_nid != NID_undef ?
	    OBJ_nid2ln(r->sig.sig_nid) : "?");
	if (r->sig.sig_nid == NID_undef ||
	    OBJ_obj2txt(r->sig_oid, sizeof(r->sig_oid), OBJ_nid2obj(r->sig.sig_nid), 1) <= 0)
		snprintf(r->sig_oid, sizeof(r->sig_oid), "?");
	honour_hosts(cfg, r);
	if (r->key_how == PLAN_KEY_OTHER)
		note(r, &cap, cr_xasprintf("the old certificate's key (%s) is %s: %s chosen, the "
		    "nearest every host accepts", r->old_key, plan_keytype_of(old) != NULL ?
		    "not accepted by every host" : "not a type renew generates", r->key->desc));
	sig_notes(cfg, r, &cap);
	*out = r;
	return CR_OK;
}

void
plan_renew_free(struct plan_renew *r)
{
	size_t i;

	if (r == NULL)
		return;
	plan_renew_strv_free(r->dns, r->ndns);
	plan_renew_strv_free(r->ips, r->nips);
	plan_renew_strv_free(r->dropped, r->ndropped);
	plan_renew_strv_free(r->gained, r->ngained);
	for (i = 0; i < r->nhonour; i++)
		free(r->honour[i].message);
	free(r->honour);
	plan_renew_strv_free(r->notes, r->nnotes);
	free(r);
}
