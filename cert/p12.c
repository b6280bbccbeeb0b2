/*
 * p12.c - certificates from a PKCS#12 (p12.h).
 */
#include "p12.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include "../common/util.h"

/* ---- iteration counts, judged before any derivation runs ------------------- */

/* An ASN.1 INTEGER as a long; LONG_MAX when it does not fit (or is negative). */
static long
int_value(const ASN1_INTEGER *i)
{
	long v;

	if (i == NULL)
		return 1;	/* DEFAULT 1 */
	v = ASN1_INTEGER_get(i);
	ERR_clear_error();
	return v < 0 ? LONG_MAX : v;
}

/*
 * The iteration count of a PKCS#12 PBE (PBEParameter) or PBES2/PBKDF2
 * AlgorithmIdentifier; 0 when it is neither (scrypt, unknown: left to
 * OpenSSL).
 */
static long
pbe_iter(const X509_ALGOR *alg)
{
	const ASN1_OBJECT *obj = NULL;
	const void *pv = NULL;
	int ptype = 0;
	long iter = 0;

	X509_ALGOR_get0(&obj, &ptype, &pv, alg);
	if (ptype != V_ASN1_SEQUENCE)
		return 0;
	if (OBJ_obj2nid(obj) == NID_pbes2) {
		PBE2PARAM *p2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter);
		PBKDF2PARAM *kdf = NULL;

		if (p2 != NULL && p2->keyfunc != NULL &&
		    OBJ_obj2nid(p2->keyfunc->algorithm) == NID_id_pbkdf2)
			kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM),
			    p2->keyfunc->parameter);
		if (kdf != NULL)
			iter = int_value(kdf->iter);
		PBKDF2PARAM_free(kdf);
		PBE2PARAM_free(p2);
	} else {
		PBEPARAM *pbe = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM), alg->parameter);

		if (pbe != NULL)
			iter = int_value(pbe->iter);
		PBEPARAM_free(pbe);
	}
	ERR_clear_error();
	return iter;
}

/*
 * CR_OK when no key derivation of p12 asks for more than CRT_P12_MAX_ITER
 * iterations: the MAC's and every encrypted safe's.
 */
static int
check_iterations(PKCS12 *p12, const char *what, struct cr_err *err)
{
	const ASN1_INTEGER *mi = NULL;
	STACK_OF(PKCS7) *safes;
	long iter = 0;
	int i, r = CR_OK;

	if (PKCS12_mac_present(p12)) {
		PKCS12_get0_mac(NULL, NULL, NULL, &mi, p12);
		iter = int_value(mi);
	}
	if (iter > CRT_P12_MAX_ITER)
		return cr_err_setr(err, CR_EINPUT, CR_R_TOO_LARGE, "cannot read '%s': the PKCS#12 "
		    "MAC asks for %ld iterations, over the limit of %ld", what, iter,
		    CRT_P12_MAX_ITER);
	safes = PKCS12_unpack_authsafes(p12);
	for (i = 0; safes != NULL && r == CR_OK && i < sk_PKCS7_num(safes); i++) {
		PKCS7 *p7 = sk_PKCS7_value(safes, i);

		if (!PKCS7_type_is_encrypted(p7) || p7->d.encrypted == NULL ||
		    p7->d.encrypted->enc_data == NULL)
			continue;
		iter = pbe_iter(p7->d.encrypted->enc_data->algorithm);
		if (iter > CRT_P12_MAX_ITER)
			r = cr_err_setr(err, CR_EINPUT, CR_R_TOO_LARGE, "cannot read '%s': a PKCS#12 "
			    "safe's encryption asks for %ld iterations, over the limit of %ld", what,
			    iter, CRT_P12_MAX_ITER);
	}
	sk_PKCS7_pop_free(safes, PKCS7_free);
	ERR_clear_error();
	return r;
}

/* ---- the bags ---------------------------------------------------------------- */

/*
 * PKCS#12 is read bag by bag rather than with PKCS12_parse: only the
 * certificates are wanted, so the private key is never decrypted, and the
 * RC2-40 that Windows (and OpenSSL before 3.0) used for certificate bags
 * can be retried in a private library context with the legacy provider -
 * without loading it into the process-wide default context other threads
 * use.
 */
struct p12_cert {
	X509 *x509;
	unsigned char keyid[64];	/* localKeyID, pairing it with its key */
	int keyid_len;			/* -1: none */
};

struct p12_walk {
	const char *pass;
	struct p12_cert *v;
	size_t n, cap;
	unsigned char keyid[64];	/* localKeyID of the first key bag */
	int keyid_len;			/* -1: no key bag */
	int undecryptable;		/* an encrypted bag did not decrypt */
};

static int
bag_keyid(const PKCS12_SAFEBAG *bag, unsigned char *out, size_t max)
{
	const ASN1_TYPE *t = PKCS12_SAFEBAG_get0_attr(bag, NID_localKeyID);
	const ASN1_OCTET_STRING *os;
	int n;

	if (t == NULL || t->type != V_ASN1_OCTET_STRING)
		return -1;
	os = t->value.octet_string;
	n = ASN1_STRING_length(os);
	if (n < 0 || (size_t)n > max)
		return -1;
	memcpy(out, ASN1_STRING_get0_data(os), (size_t)n);
	return n;
}

static void
walk_bags(const STACK_OF(PKCS12_SAFEBAG) *bags, struct p12_walk *w, int depth)
{
	int i;

	for (i = 0; i < sk_PKCS12_SAFEBAG_num(bags); i++) {
		const PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, i);
		X509 *x;

		switch (PKCS12_SAFEBAG_get_nid(bag)) {
		case NID_certBag:
			if ((x = PKCS12_SAFEBAG_get1_cert(bag)) == NULL)
				break;	/* an SDSI certificate or similar: not ours */
			cr_grow(&w->v, &w->cap, w->n + 1, sizeof(w->v[0]));
			w->v[w->n].x509 = x;
			w->v[w->n].keyid_len = bag_keyid(bag, w->v[w->n].keyid,
			    sizeof(w->v[w->n].keyid));
			w->n++;
			break;
		case NID_keyBag:
		case NID_pkcs8ShroudedKeyBag:
			if (w->keyid_len < 0)
				w->keyid_len = bag_keyid(bag, w->keyid, sizeof(w->keyid));
			break;
		case NID_safeContentsBag:
			if (depth < 4)
				walk_bags(PKCS12_SAFEBAG_get0_safes(bag), w, depth + 1);
			break;
		default:
			break;
		}
	}
}

static void
walk_release(struct p12_walk *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		X509_free(w->v[i].x509);
	free(w->v);
	w->v = NULL;
	w->n = w->cap = 0;
}

/*
 * Collects the certificates of every authenticated safe p12 holds.  With
 * lctx, encrypted safes are decrypted in that library context (a PKCS12
 * read by d2i does not carry one down to its safes in OpenSSL 3.0).
 */
static void
walk_p12(PKCS12 *p12, struct p12_walk *w, OSSL_LIB_CTX *lctx)
{
	STACK_OF(PKCS7) *safes = PKCS12_unpack_authsafes(p12);
	int i;

	w->keyid_len = -1;
	w->undecryptable = 0;
	if (safes == NULL) {
		w->undecryptable = 1;
		return;
	}
	for (i = 0; i < sk_PKCS7_num(safes); i++) {
		PKCS7 *p7 = sk_PKCS7_value(safes, i);
		STACK_OF(PKCS12_SAFEBAG) *bags = NULL;

		if (PKCS7_type_is_data(p7))
			bags = PKCS12_unpack_p7data(p7);
		else if (PKCS7_type_is_encrypted(p7) && lctx == NULL)
			bags = PKCS12_unpack_p7encdata(p7, w->pass, w->pass ? -1 : 0);
		else if (PKCS7_type_is_encrypted(p7) && p7->d.encrypted != NULL &&
		    p7->d.encrypted->enc_data != NULL &&
		    p7->d.encrypted->enc_data->enc_data != NULL)
			bags = PKCS12_item_decrypt_d2i_ex(p7->d.encrypted->enc_data->algorithm,
			    ASN1_ITEM_rptr(PKCS12_SAFEBAGS), w->pass, w->pass ? -1 : 0,
			    p7->d.encrypted->enc_data->enc_data, 1, lctx, NULL);
		else
			continue;	/* public-key enveloped safes: never seen in exports */
		if (bags == NULL) {
			w->undecryptable = 1;
			continue;
		}
		walk_bags(bags, w, 0);
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	}
	sk_PKCS7_pop_free(safes, PKCS7_free);
}

/* Walks again with RC2/RC4 available: a private context with the legacy provider. */
static void
walk_p12_legacy(PKCS12 *p12, struct p12_walk *w)
{
	OSSL_LIB_CTX *lctx = OSSL_LIB_CTX_new();
	OSSL_PROVIDER *def = NULL, *leg = NULL;

	if (lctx == NULL)
		return;
	def = OSSL_PROVIDER_load(lctx, "default");
	leg = OSSL_PROVIDER_load(lctx, "legacy");
	if (def != NULL && leg != NULL) {
		walk_release(w);
		walk_p12(p12, w, lctx);
	}
	if (leg != NULL)
		OSSL_PROVIDER_unload(leg);
	if (def != NULL)
		OSSL_PROVIDER_unload(def);
	OSSL_LIB_CTX_free(lctx);
	ERR_clear_error();
}

int
crt_p12_parse(const unsigned char *buf, size_t len, const char *pass, const char *what,
    struct crt_list *out, struct cr_err *err)
{
	const unsigned char *p = buf;
	struct p12_walk w;
	STACK_OF(X509) *chain = NULL;
	PKCS12 *p12;
	size_t i, leaf = 0;
	int r = CR_EINPUT;

	memset(&w, 0, sizeof(w));
	p12 = d2i_PKCS12(NULL, &p, (long)len);
	if (p12 == NULL) {
		const char *why = ERR_reason_error_string(ERR_peek_error());
		cr_err_set(err, CR_EINPUT, "cannot read '%s': not a certificate (invalid DER%s%s)",
		    what, why ? ": " : "", why ? why : "");
		goto out;
	}
	if ((r = check_iterations(p12, what, err)) != CR_OK)
		goto out;
	r = CR_EINPUT;
	w.pass = pass;
	if (PKCS12_mac_present(p12)) {
		if (pass == NULL) {
			/* unprotected exports use an empty password, or none at all */
			if (PKCS12_verify_mac(p12, NULL, 0))
				w.pass = NULL;
			else if (PKCS12_verify_mac(p12, "", 0))
				w.pass = "";
			else {
				cr_err_set(err, CR_EINPUT, "cannot read '%s': the PKCS#12 needs a "
				    "password (add ?pass-source=file:PWFILE)", what);
				goto out;
			}
		} else if (!PKCS12_verify_mac(p12, pass, -1)) {
			cr_err_set(err, CR_EINPUT, "cannot read '%s': wrong password or corrupt "
			    "PKCS#12", what);
			goto out;
		}
	}
	ERR_clear_error();
	walk_p12(p12, &w, NULL);
	if (w.undecryptable)
		walk_p12_legacy(p12, &w);
	if (w.undecryptable) {
		cr_err_set(err, CR_EINPUT, "cannot read '%s': cannot decrypt the PKCS#12 (%s)", what,
		    PKCS12_mac_present(p12) ? "an algorithm this OpenSSL lacks" :
		    "wrong password, or an algorithm this OpenSSL lacks");
		goto out;
	}
	if (w.n == 0) {
		cr_err_set(err, CR_EINPUT, "cannot read '%s': the PKCS#12 holds no certificate",
		    what);
		goto out;
	}
	/* the leaf is the certificate of the key (same localKeyID), else the first */
	for (i = 0; w.keyid_len >= 0 && i < w.n; i++)
		if (w.v[i].keyid_len == w.keyid_len &&
		    memcmp(w.v[i].keyid, w.keyid, (size_t)w.keyid_len) == 0) {
			leaf = i;
			break;
		}
	if (w.n > 1 && (chain = sk_X509_new_null()) == NULL) {
		cr_err_ssl(err, CR_EENV, "cannot read '%s'", what);
		goto out;
	}
	for (i = 0; i < w.n; i++) {
		if (i == leaf)
			continue;
		if (!sk_X509_push(chain, w.v[i].x509)) {
			cr_err_ssl(err, CR_EENV, "cannot read '%s'", what);
			goto out;
		}
		w.v[i].x509 = NULL;
	}
	crt_list_push(out, crt_cert_new(w.v[leaf].x509, chain, what));
	w.v[leaf].x509 = NULL;
	chain = NULL;
	r = CR_OK;
out:
	if (chain != NULL)
		sk_X509_pop_free(chain, X509_free);
	walk_release(&w);
	PKCS12_free(p12);
	ERR_clear_error();
	return r;
}

