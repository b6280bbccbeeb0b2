/*
 * checks_cert.c - the certificate-level checks of SPEC 6 (validity, EKU,
 * chain, names, signature and key algorithms).  Pure: certificates and
 * configuration values in, a result out.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "checks.h"
#include "../common/util.h"
#include "../cert/cert.h"
#include "../cert/dn.h"
#include "../cert/keyalg.h"
#include "../cert/names.h"

const char *
chk_status_name(enum chk_status s)
{
	switch (s) {
	case CHK_PASS: return "pass";
	case CHK_WARN: return "warn";
	case CHK_FAIL: return "fail";
	case CHK_SKIP: return "skip";
	}
	return "fail";
}

void
chk_result_set(struct chk_result *r, enum chk_status status, const char *fmt, ...)
{
	va_list ap;
	char *m;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	free(r->message);
	r->status = status;
	r->message = m ? m : cr_xstrdup("(out of memory formatting message)");
}

void
chk_result_release(struct chk_result *r)
{
	free(r->message);
	r->message = NULL;
}

/* Seconds from `now` to t (negative when t is past). */
static long long
seconds_until(const ASN1_TIME *t, time_t now)
{
	int days = 0, secs = 0;
	ASN1_TIME *n = ASN1_TIME_set(NULL, now);

	if (n == NULL || !ASN1_TIME_diff(&days, &secs, n, t)) {
		ASN1_TIME_free(n);
		return 0;
	}
	ASN1_TIME_free(n);
	return (long long)days * 86400 + secs;
}

/* A duration of whole days (min_remaining, the wait for notBefore). */
static void
fmt_days(long long secs, char *buf, size_t len)
{
	long long d = (secs < 0 ? -secs : secs) / 86400;

	snprintf(buf, len, "%lld day%s", d, d == 1 ? "" : "s");
}

void
chk_new_validity(const X509 *x, time_t now, long long min_remaining, struct chk_result *r)
{
	long long to_start = seconds_until(X509_get0_notBefore(x), now);
	long long left = seconds_until(X509_get0_notAfter(x), now);
	struct crt_expiry e;
	char m[64];

	/* how long is left, in the words every output uses (cert.h) */
	crt_expiry_x509(x, now, &e);
	fmt_days(min_remaining, m, sizeof(m));
	if (to_start > 0) {
		char s[64];
		fmt_days(to_start, s, sizeof(s));
		chk_result_set(r, CHK_FAIL, "the new certificate is not valid yet: it starts in %s", s);
	} else if (e.expired) {
		chk_result_set(r, CHK_FAIL, "the new certificate EXPIRED %s ago", e.amount);
	} else if (left < min_remaining) {
		chk_result_set(r, CHK_FAIL, "the new certificate expires in %s, less than the "
		    "required %s (min_remaining)", e.amount, m);
	} else {
		chk_result_set(r, CHK_PASS, "valid for %s more (at least %s required)", e.amount, m);
	}
}

void
chk_old_validity(const X509 *x, time_t now, long long min_remaining, struct chk_result *r)
{
	long long left = seconds_until(X509_get0_notAfter(x), now);
	struct crt_expiry e;

	crt_expiry_x509(x, now, &e);
	if (e.expired)
		chk_result_set(r, CHK_WARN, "THE OLD CERTIFICATE EXPIRED %s AGO: services "
		    "presenting it are already failing TLS, and upgrades that validate it fail",
		    e.amount);
	else if (left < min_remaining)
		chk_result_set(r, CHK_WARN, "THE OLD CERTIFICATE EXPIRES IN %s: rotate before then",
		    e.amount);
	else
		chk_result_set(r, CHK_PASS, "the old certificate is valid for %s more", e.amount);
}

void
chk_eku(const X509 *x, struct chk_result *r)
{
	EXTENDED_KEY_USAGE *eku;
	int i, crit = 0, server = 0;
	struct cr_buf names = CR_BUF_INIT;

	eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	if (eku == NULL) {
		if (crit == -1)
			chk_result_set(r, CHK_PASS, "no extended key usage extension: any purpose");
		else
			chk_result_set(r, CHK_FAIL, "the extended key usage extension cannot be decoded");
		return;
	}
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
		char buf[128];
		if (OBJ_obj2nid(o) == NID_server_auth || OBJ_obj2nid(o) == NID_anyExtendedKeyUsage)
			server = 1;
		OBJ_obj2txt(buf, sizeof(buf), o, 0);
		cr_buf_addf(&names, "%s%s", i ? ", " : "", buf);
	}
	if (server)
		chk_result_set(r, CHK_PASS, "extended key usage allows TLS server use (%s)",
		    cr_buf_str(&names));
	else
		chk_result_set(r, CHK_FAIL, "extended key usage lacks serverAuth (has %s): "
		    "TLS clients will reject it", cr_buf_str(&names));
	cr_buf_release(&names);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
}

/* The first CN of dn (borrowed), or NULL. */
static const char *
dn_cn(const struct crt_dn *dn)
{
	size_t i;

	for (i = 0; i < dn->n; i++)
		if (strcmp(dn->ava[i].type, "CN") == 0)
			return dn->ava[i].value;
	return NULL;
}

/*
 * The trap of an issuing CA renamed in one RDN (O=Fabrikam / O=Fabrikam
 * Ltd): a certificate of `pool` whose CN is the issuer's CN of `x` but whose
 * DN is not x's issuer.  A sentence naming both DNs and what differs, or
 * NULL.
 */
static char *
issuer_lookalike(const X509 *x, STACK_OF(X509) *pool)
{
	struct crt_dn want, dn;
	const char *cn;
	char *r = NULL;
	int i;

	crt_dn_from_name(X509_get_issuer_name(x), &want);
	cn = dn_cn(&want);
	for (i = 0; cn != NULL && r == NULL && i < sk_X509_num(pool); i++) {
		const char *c;

		crt_dn_from_name(X509_get_subject_name(sk_X509_value(pool, i)), &dn);
		c = dn_cn(&dn);
		if (c != NULL && strcasecmp(c, cn) == 0 && !crt_dn_equal(&dn, &want)) {
			char *have = crt_dn_format(&dn), *need = crt_dn_format(&want);
			char *diff = crt_dn_diff(&dn, &want);

			r = cr_xasprintf("`chain` holds '%s', whose CN is the issuer's but whose DN is "
			    "not: the certificate was issued by '%s' (%s); put that issuing CA in "
			    "`chain`", have, need, diff ? diff : "the names differ");
			free(have);
			free(need);
			free(diff);
		}
		crt_dn_release(&dn);
	}
	crt_dn_release(&want);
	return r;
}

void
chk_chain(X509 *leaf, STACK_OF(X509) *untrusted, STACK_OF(X509) *anchors, time_t now,
    struct chk_result *r, STACK_OF(X509) **path_out)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *param;
	int i, ok;

	if (path_out != NULL)
		*path_out = NULL;
	if (store == NULL || ctx == NULL) {
		chk_result_set(r, CHK_FAIL, "cannot set up chain verification (out of memory)");
		goto out;
	}
	if (anchors != NULL) {
		for (i = 0; i < sk_X509_num(anchors); i++)
			X509_STORE_add_cert(store, sk_X509_value(anchors, i));
	} else if (!X509_STORE_set_default_paths(store)) {
		chk_result_set(r, CHK_FAIL, "cannot load the system trust store");
		goto out;
	}
	if (!X509_STORE_CTX_init(ctx, store, leaf, untrusted)) {
		chk_result_set(r, CHK_FAIL, "cannot set up chain verification");
		goto out;
	}
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, now);
	/* judge the path here; digest strength per host is sigalg's job */
	X509_VERIFY_PARAM_set_auth_level(param, 0);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	ok = X509_verify_cert(ctx);
	if (ok == 1) {
		STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
		X509 *top = sk_X509_value(path, sk_X509_num(path) - 1);
		char *anchor = crt_dn_render(X509_get_subject_name(top));
		chk_result_set(r, CHK_PASS, "chains to '%s' (%d certificates) for TLS server use",
		    anchor, sk_X509_num(path));
		free(anchor);
		if (path_out != NULL)
			*path_out = X509_STORE_CTX_get1_chain(ctx);
	} else {
		int e = X509_STORE_CTX_get_error(ctx);
		int depth = X509_STORE_CTX_get_error_depth(ctx);
		X509 *bad = X509_STORE_CTX_get_current_cert(ctx);
		char *who = bad ? crt_dn_render(X509_get_subject_name(bad)) : NULL;
		int missing = e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
		    e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT;
		char *trap = missing && bad != NULL && untrusted != NULL ?
		    issuer_lookalike(bad, untrusted) : NULL;

		if (trap != NULL)
			chk_result_set(r, CHK_FAIL, "no valid path to a trust anchor: %s (OpenSSL: %s, "
			    "depth %d, '%s')", trap, X509_verify_cert_error_string(e), depth, who);
		else
			chk_result_set(r, CHK_FAIL, "no valid path to a trust anchor: %s (depth %d%s%s%s)%s",
			    X509_verify_cert_error_string(e), depth, who ? ", '" : "", who ? who : "",
			    who ? "'" : "",
			    missing ? ": add the issuing CA to `chain` or its root to `trust`" : "");
		free(trap);
		free(who);
	}
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
}

void
chk_names(const X509 *cert, const X509 *old, char *const *names, size_t n,
    struct chk_result *r)
{
	struct cr_buf missing = CR_BUF_INIT;
	size_t i, nmiss = 0, old_had = 0;

	for (i = 0; i < n; i++) {
		if (crt_name_covered(cert, names[i]))
			continue;
		nmiss++;
		if (old != NULL && crt_name_covered(old, names[i])) {
			old_had++;
			cr_buf_addf(&missing, "%s%s (the old certificate has it)",
			    nmiss > 1 ? ", " : "", names[i]);
		} else {
			cr_buf_addf(&missing, "%s%s%s", nmiss > 1 ? ", " : "", names[i],
			    old != NULL ? " (the old certificate lacks it too)" : "");
		}
	}
	if (n == 0)
		chk_result_set(r, CHK_SKIP, "no names configured for this service");
	else if (nmiss == 0 && X509_get_ext_by_NID(cert, NID_subject_alt_name, -1) < 0)
		/* crt_name_covered's legacy CN fallback: RFC 6125 6.4.4 allows it,
		   current browsers (Chrome 58+, Safari, Firefox) do not */
		chk_result_set(r, CHK_WARN, "%s covered only by the new certificate's subject CN: it "
		    "has no subjectAltName, and current browsers and TLS clients ignore the CN - "
		    "they will reject it; have the CA issue it with the names in its SAN",
		    n == 1 ? "the name is" : "the names are");
	else if (nmiss == 0)
		chk_result_set(r, CHK_PASS, "all %zu name%s covered by the new certificate's SAN",
		    n, n == 1 ? "" : "s");
	else
		chk_result_set(r, CHK_FAIL, "%zu name%s not in the new certificate's SAN: %s%s",
		    nmiss, nmiss == 1 ? "" : "s", cr_buf_str(&missing),
		    old_had ? ": clients using them will get certificate errors after the change" : "");
	cr_buf_release(&missing);
}

static int
sigalg_accepted(const X509 *x, char *const *accepted, size_t n)
{
	char name[128], oid[128];
	const char *sn;
	size_t i;
	int nid;

	crt_sigalg(x, name, sizeof(name), oid, sizeof(oid));
	nid = X509_get_signature_nid(x);
	sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
	for (i = 0; i < n; i++)
		if (strcasecmp(accepted[i], name) == 0 || strcmp(accepted[i], oid) == 0 ||
		    (sn != NULL && strcasecmp(accepted[i], sn) == 0) ||
		    (nid != NID_undef && crt_sigalg_windows_nid(accepted[i]) == nid))
			return 1;
	return 0;
}

static int
self_signed(X509 *x)
{
	return X509_check_issued(x, x) == X509_V_OK;
}

void
chk_sigalg(const char *host, X509 *leaf, STACK_OF(X509) *chain, char *const *accepted,
    size_t n, struct chk_result *r)
{
	struct cr_buf bad = CR_BUF_INIT;
	char name[128], oid[128];
	int i, nbad = 0;

	crt_sigalg(leaf, name, sizeof(name), oid, sizeof(oid));
	if (n == 0) {
		chk_result_set(r, CHK_PASS, "host '%s' accepts any signature algorithm (new: %s (%s))",
		    host, name, oid);
		return;
	}
	if (!sigalg_accepted(leaf, accepted, n)) {
		cr_buf_addf(&bad, "the new certificate is signed with %s (%s)", name, oid);
		nbad++;
	}
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		X509 *c = sk_X509_value(chain, i);
		char *who;
		if (self_signed(c) || sigalg_accepted(c, accepted, n))
			continue;
		crt_sigalg(c, name, sizeof(name), oid, sizeof(oid));
		who = crt_dn_render(X509_get_subject_name(c));
		cr_buf_addf(&bad, "%sintermediate '%s' is signed with %s (%s)", nbad ? "; " : "",
		    who, name, oid);
		free(who);
		nbad++;
	}
	if (nbad == 0) {
		crt_sigalg(leaf, name, sizeof(name), oid, sizeof(oid));
		chk_result_set(r, CHK_PASS, "host '%s' accepts %s (%s)", host, name, oid);
	} else {
		struct cr_buf acc = CR_BUF_INIT;
		size_t k;
		for (k = 0; k < n; k++)
			cr_buf_addf(&acc, "%s%s", k ? ", " : "", accepted[k]);
		chk_result_set(r, CHK_FAIL, "host '%s' only validates %s, but %s", host,
		    cr_buf_str(&acc), cr_buf_str(&bad));
		cr_buf_release(&acc);
	}
	cr_buf_release(&bad);
}

void
chk_keyalg(const char *host, const X509 *leaf, char *const *accepted, size_t n,
    struct chk_result *r)
{
	char desc[64];
	size_t i;

	crt_keyalg_describe(leaf, desc, sizeof(desc));
	if (n == 0) {
		chk_result_set(r, CHK_PASS, "host '%s' accepts any key (new: %s)", host, desc);
		return;
	}
	for (i = 0; i < n; i++)
		if (crt_keyalg_matches(accepted[i], leaf)) {
			chk_result_set(r, CHK_PASS, "host '%s' accepts %s (%s)", host, desc, accepted[i]);
			return;
		}
	{
		struct cr_buf acc = CR_BUF_INIT;
		for (i = 0; i < n; i++)
			cr_buf_addf(&acc, "%s%s", i ? ", " : "", accepted[i]);
		chk_result_set(r, CHK_FAIL, "host '%s' accepts only %s keys, the new key is %s",
		    host, cr_buf_str(&acc), desc);
		cr_buf_release(&acc);
	}
}
