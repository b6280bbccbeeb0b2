/*
 * objects.c - certificate and private-key objects of a token, enumerated
 * once and indexed.
 *
 * SoftHSM's object search is linear in the token's objects, so one
 * C_FindObjectsInit per reference would make a token of n certificates cost
 * n^2.  Each token is searched once per object class (certificates without
 * login, private keys after it), and lookups by CKA_ID, CKA_LABEL or public
 * key go through sorted arrays: O(log n) each.
 *
 * Certificates come from the raw function list (one search, the object
 * handles known, no libp11 cache: libp11 0.4.12 keeps destroyed objects in
 * its arrays and reallocates them under the caller).  Private keys come from
 * libp11 (PKCS11_enumerate_keys, for the EVP_PKEY of the test signature),
 * paired with one raw search of the same class that reads CKA_SENSITIVE,
 * CKA_EXTRACTABLE and the RSA modulus: libp11 has no attribute API.
 *
 * Never PKCS11_get_public_key() on a private key here: libp11 0.4.12
 * segfaults when the token holds no public-key object for it.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../common/util.h"
#include "p11-int.h"

#define FIND_BATCH 128

int
p11__bytes_cmp(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	int c;

	if (alen != blen)
		return alen < blen ? -1 : 1;
	if (alen == 0)
		return 0;
	c = memcmp(a, b, alen);
	return c < 0 ? -1 : c > 0;
}

/* ---- raw helpers ------------------------------------------------------ */

static int
rv_acceptable(CK_RV rv)
{
	/* per PKCS#11 these still fill every other attribute of the template */
	return rv == CKR_OK || rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID;
}

CK_RV
p11__raw_attrs(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_ATTRIBUTE q[16];
	size_t map[16];
	CK_ULONG i, nq = 0;
	CK_RV rv;
	int alloc[16] = { 0 };

	if (n > 16)
		return CKR_ARGUMENTS_BAD;
	for (i = 0; i < n; i++)
		alloc[i] = t[i].pValue == NULL;
	/* first: fixed-size values, and the lengths of the others */
	rv = fl->C_GetAttributeValue(s, o, t, n);
	if (!rv_acceptable(rv))
		return rv;
	for (i = 0; i < n; i++) {
		if (!alloc[i] || t[i].ulValueLen == CK_UNAVAILABLE_INFORMATION)
			continue;
		t[i].pValue = cr_xmalloc(t[i].ulValueLen + 1);
		q[nq] = t[i];
		map[nq++] = i;
	}
	if (nq == 0)
		return CKR_OK;
	rv = fl->C_GetAttributeValue(s, o, q, nq);
	for (i = 0; i < nq; i++) {
		CK_ATTRIBUTE *a = &t[map[i]];

		if (!rv_acceptable(rv) || q[i].ulValueLen == CK_UNAVAILABLE_INFORMATION) {
			free(a->pValue);
			a->pValue = NULL;
			a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		} else {
			a->ulValueLen = q[i].ulValueLen;
			((unsigned char *)a->pValue)[a->ulValueLen] = '\0';
		}
	}
	return rv_acceptable(rv) ? CKR_OK : rv;
}

/* All objects matching a template, in one search. */
static CK_RV
raw_find(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n,
    CK_OBJECT_HANDLE **out, size_t *count)
{
	CK_OBJECT_HANDLE *v = NULL;
	size_t cap = 0, len = 0;
	CK_ULONG got;
	CK_RV rv;

	*out = NULL;
	*count = 0;
	if ((rv = fl->C_FindObjectsInit(s, t, n)) != CKR_OK)
		return rv;
	for (;;) {
		cr_grow(&v, &cap, len + FIND_BATCH, sizeof(*v));
		got = 0;
		rv = fl->C_FindObjects(s, v + len, FIND_BATCH, &got);
		if (rv != CKR_OK || got == 0)
			break;
		len += got;
	}
	(void)fl->C_FindObjectsFinal(s);
	if (rv != CKR_OK) {
		free(v);
		return rv;
	}
	*out = v;
	*count = len;
	return CKR_OK;
}

static int
raw_error(struct p11_token *tok, const char *what, CK_RV rv, struct cr_err *err)
{
	char rvs[48];

	switch (rv) {
	case CKR_TOKEN_NOT_PRESENT:
		return cr_err_set(err, CR_EENV, "token '%s' is not present (CKR_TOKEN_NOT_PRESENT)",
		    tok->label);
	case CKR_DEVICE_REMOVED:
		return cr_err_set(err, CR_EENV, "token '%s' was removed (CKR_DEVICE_REMOVED)",
		    tok->label);
	default:
		return cr_err_set(err, CR_EENV, "cannot %s on token '%s': %s", what, tok->label,
		    p11__ckr_str(rv, rvs, sizeof(rvs)));
	}
}

/* ---- fingerprints ------------------------------------------------------ */

static void
fp_make(unsigned char tag, const unsigned char *p, size_t n, unsigned char fp[P11_FP_LEN])
{
	unsigned int len = 0;

	fp[0] = tag;
	EVP_Digest(p, n, fp + 1, &len, EVP_sha256(), NULL);
}

static void
fp_rsa(const unsigned char *mod, size_t n, unsigned char fp[P11_FP_LEN])
{
	while (n > 0 && *mod == 0) {
		mod++;
		n--;
	}
	fp_make('R', mod, n, fp);
}

/* CKA_EC_POINT is a DER OCTET STRING around the point (PKCS#11 2.40); some
 * modules give the bare point.  Unwrap when the DER reading is exact. */
static void
fp_ec(const unsigned char *p, size_t n, unsigned char fp[P11_FP_LEN])
{
	if (n >= 2 && p[0] == 0x04) {
		size_t len = 0, hdr = 0;

		if (p[1] < 0x80) {
			len = p[1];
			hdr = 2;
		} else if (p[1] == 0x81 && n >= 3) {
			len = p[2];
			hdr = 3;
		} else if (p[1] == 0x82 && n >= 4) {
			len = (size_t)p[2] << 8 | p[3];
			hdr = 4;
		}
		if (hdr > 0 && hdr + len == n) {
			p += hdr;
			n = len;
		}
	}
	fp_make('E', p, n, fp);
}

/* The fingerprint of a certificate's (or any) public key; 0 when the key
 * type has none here. */
int
p11__fp_pkey(EVP_PKEY *pk, unsigned char fp[P11_FP_LEN])
{
	int ok = 0;

	if (pk == NULL)
		return 0;
	if (EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_is_a(pk, "RSA-PSS")) {
		BIGNUM *nbn = NULL;

		if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &nbn) == 1) {
			int len = BN_num_bytes(nbn);
			unsigned char *buf = cr_xmalloc(len > 0 ? (size_t)len : 1);

			BN_bn2bin(nbn, buf);
			fp_rsa(buf, (size_t)len, fp);
			free(buf);
			ok = 1;
		}
		BN_free(nbn);
	} else {
		unsigned char buf[256];
		size_t len = 0;

		if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf,
		    sizeof(buf), &len) == 1) {
			fp_ec(buf, len, fp);
			ok = 1;
		}
	}
	ERR_clear_error();
	return ok;
}

/* By fingerprint; among equals the most direct evidence first. */
static int
fp_cmp(const void *a, const void *b)
{
	const struct p11_fp *x = a, *y = b;
	int c = memcmp(x->fp, y->fp, P11_FP_LEN);

	return c ? c : (x->rank < y->rank ? -1 : x->rank > y->rank);
}

static void
fps_free(struct p11_fp *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].id);
	free(v);
}

/* ---- certificates ------------------------------------------------------ */

static int
cert_id_cmp(const void *a, const void *b)
{
	const struct p11_cert_obj *x = *(struct p11_cert_obj *const *)a;
	const struct p11_cert_obj *y = *(struct p11_cert_obj *const *)b;
	int c = p11__bytes_cmp(x->id, x->id_len, y->id, y->id_len);

	return c ? c : (x < y ? -1 : x > y);
}

static int
cert_label_cmp(const void *a, const void *b)
{
	const struct p11_cert_obj *x = *(struct p11_cert_obj *const *)a;
	const struct p11_cert_obj *y = *(struct p11_cert_obj *const *)b;
	int c = cr_strcmp0(x->label, y->label);

	return c ? c : (x < y ? -1 : x > y);
}

static void
certs_free(struct p11_cert_obj *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		X509_free(v[i].x509);
		free(v[i].label);
		free(v[i].id);
	}
	free(v);
}

static int
certs_load(struct p11_token *tok, struct cr_err *err)
{
	CK_FUNCTION_LIST *fl = tok->mod->fl;
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ctype = CKC_X_509;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_CERTIFICATE_TYPE, &ctype, sizeof(ctype) },
	};
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE *h = NULL;
	struct p11_cert_obj *v = NULL;
	size_t n = 0, i, count = 0;
	CK_RV rv;
	int r = CR_EENV;

	if ((rv = p11__raw_open(tok, 0, &s)) != CKR_OK)
		return raw_error(tok, "open a session", rv, err);
	if ((rv = raw_find(fl, s, tmpl, 2, &h, &n)) != CKR_OK) {
		raw_error(tok, "list certificates", rv, err);
		goto out;
	}
	v = cr_xcalloc(n ? n : 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		CK_ATTRIBUTE a[] = {
			{ CKA_VALUE, NULL, 0 },
			{ CKA_LABEL, NULL, 0 },
			{ CKA_ID, NULL, 0 },
		};
		const unsigned char *p;
		X509 *x = NULL;

		if ((rv = p11__raw_attrs(fl, s, h[i], a, 3)) != CKR_OK) {
			raw_error(tok, "read a certificate", rv, err);
			goto out;
		}
		p = a[0].pValue;
		if (p != NULL)
			x = d2i_X509(NULL, &p, (long)a[0].ulValueLen);
		ERR_clear_error();
		if (x == NULL) {
			/* not DER we can parse: nothing this tool can say about it */
			free(a[0].pValue);
			free(a[1].pValue);
			free(a[2].pValue);
			continue;
		}
		free(a[0].pValue);
		v[count].token = tok;
		v[count].x509 = x;
		v[count].label = a[1].pValue;
		v[count].id = a[2].pValue;
		v[count].id_len = a[2].pValue ? a[2].ulValueLen : 0;
		v[count].handle = h[i];
		count++;
	}
	tok->certs = v;
	tok->ncerts = count;
	v = NULL;
	tok->cert_by_id = cr_xcalloc(count ? count : 1, sizeof(*tok->cert_by_id));
	tok->cert_by_label = cr_xcalloc(count ? count : 1, sizeof(*tok->cert_by_label));
	for (i = 0; i < count; i++)
		tok->cert_by_id[i] = tok->cert_by_label[i] = &tok->certs[i];
	qsort(tok->cert_by_id, count, sizeof(*tok->cert_by_id), cert_id_cmp);
	qsort(tok->cert_by_label, count, sizeof(*tok->cert_by_label), cert_label_cmp);
	tok->certs_loaded = 1;
	r = CR_OK;
out:
	if (v != NULL)
		certs_free(v, count);
	free(h);
	p11__raw_close(tok, s);
	return r;
}

int
p11_token_certs(struct p11_token *tok, struct p11_cert_obj **objs, size_t *n,
    struct cr_err *err)
{
	int r;

	*objs = NULL;
	*n = 0;
	if (!tok->certs_loaded && (r = certs_load(tok, err)) != CR_OK)
		return r;
	*objs = tok->certs;
	*n = tok->ncerts;
	return CR_OK;
}

void
p11__token_invalidate_certs(struct p11_token *tok)
{
	struct p11_grave *g;

	if (tok->certs_loaded) {
		/* old pointers stay readable (stale) until p11_ctx_free */
		g = cr_xcalloc(1, sizeof(*g));
		g->certs = tok->certs;
		g->n = tok->ncerts;
		g->next = tok->graves;
		tok->graves = g;
	}
	tok->certs = NULL;
	tok->ncerts = 0;
	free(tok->cert_by_id);
	free(tok->cert_by_label);
	tok->cert_by_id = tok->cert_by_label = NULL;
	tok->certs_loaded = 0;
	/* certificates are one source of the public-key index */
	fps_free(tok->fps, tok->nfps);
	tok->fps = NULL;
	tok->nfps = 0;
	tok->fps_loaded = 0;
}

/* ---- private keys ------------------------------------------------------- */

static int
key_id_cmp(const void *a, const void *b)
{
	const struct p11_key_obj *x = *(struct p11_key_obj *const *)a;
	const struct p11_key_obj *y = *(struct p11_key_obj *const *)b;
	int c = p11__bytes_cmp(x->id, x->id_len, y->id, y->id_len);

	return c ? c : (x < y ? -1 : x > y);
}

static int
key_label_cmp(const void *a, const void *b)
{
	const struct p11_key_obj *x = *(struct p11_key_obj *const *)a;
	const struct p11_key_obj *y = *(struct p11_key_obj *const *)b;
	int c = cr_strcmp0(x->label, y->label);

	return c ? c : (x < y ? -1 : x > y);
}

/* A private key object as the raw search saw it. */
struct rawkey {
	unsigned char *id;
	size_t id_len;
	char *label;
	int sensitive, extractable;
	int has_fp;
	unsigned char fp[P11_FP_LEN];
	size_t order;
};

static int
rawkey_cmp(const void *a, const void *b)
{
	const struct rawkey *x = a, *y = b;
	int c = p11__bytes_cmp(x->id, x->id_len, y->id, y->id_len);

	if (c == 0)
		c = cr_strcmp0(x->label, y->label);
	return c ? c : (x->order < y->order ? -1 : x->order > y->order);
}

static int
bool_attr(const CK_ATTRIBUTE *a)
{
	if (a->ulValueLen != sizeof(CK_BBOOL))
		return -1;
	return *(const CK_BBOOL *)a->pValue ? 1 : 0;
}

static int
rawkeys_load(struct p11_token *tok, struct rawkey **out, size_t *count, struct cr_err *err)
{
	CK_FUNCTION_LIST *fl = tok->mod->fl;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE *h = NULL;
	struct rawkey *v = NULL;
	size_t n = 0, i;
	CK_RV rv;
	int r = CR_EENV;

	*out = NULL;
	*count = 0;
	/* a session of our own: login state is shared, so it sees private objects */
	if ((rv = p11__raw_open(tok, 0, &s)) != CKR_OK)
		return raw_error(tok, "open a session", rv, err);
	if ((rv = raw_find(fl, s, tmpl, 1, &h, &n)) != CKR_OK) {
		raw_error(tok, "list private keys", rv, err);
		goto out;
	}
	v = cr_xcalloc(n ? n : 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		CK_BBOOL sens = 0, extr = 0;
		CK_ATTRIBUTE a[] = {
			{ CKA_SENSITIVE, &sens, sizeof(sens) },
			{ CKA_EXTRACTABLE, &extr, sizeof(extr) },
			{ CKA_ID, NULL, 0 },
			{ CKA_LABEL, NULL, 0 },
			{ CKA_MODULUS, NULL, 0 },
			{ CKA_EC_POINT, NULL, 0 },
		};

		if ((rv = p11__raw_attrs(fl, s, h[i], a, 6)) != CKR_OK) {
			raw_error(tok, "read a private key's attributes", rv, err);
			*count = i;
			goto out;
		}
		v[i].sensitive = bool_attr(&a[0]);
		v[i].extractable = bool_attr(&a[1]);
		v[i].id = a[2].pValue;
		v[i].id_len = a[2].pValue ? a[2].ulValueLen : 0;
		v[i].label = a[3].pValue;
		v[i].order = i;
		if (a[4].pValue != NULL && a[4].ulValueLen > 0) {
			fp_rsa(a[4].pValue, a[4].ulValueLen, v[i].fp);
			v[i].has_fp = 1;
		} else if (a[5].pValue != NULL && a[5].ulValueLen > 0) {
			fp_ec(a[5].pValue, a[5].ulValueLen, v[i].fp);
			v[i].has_fp = 1;
		}
		free(a[4].pValue);
		free(a[5].pValue);
	}
	*out = v;
	*count = n;
	v = NULL;
	r = CR_OK;
out:
	if (v != NULL) {
		for (i = 0; i < *count; i++) {
			free(v[i].id);
			free(v[i].label);
		}
		free(v);
		*count = 0;
	}
	free(h);
	p11__raw_close(tok, s);
	return r;
}

static int
keys_load(struct p11_token *tok, struct cr_err *err)
{
	PKCS11_KEY *lkeys = NULL;
	unsigned int nl = 0;
	struct rawkey *raw = NULL;
	struct p11_key_obj **byl = NULL;
	size_t nraw = 0, i, j;
	CK_RV rv;
	char rvs[48];
	int r;

	ERR_clear_error();
	if (PKCS11_enumerate_keys(tok->slot->token, &lkeys, &nl) != 0) {
		rv = p11__ckr_from_queue();
		return cr_err_set(err, CR_EENV, "cannot list the private keys of token '%s': %s",
		    tok->label, rv ? p11__ckr_str(rv, rvs, sizeof(rvs)) : "libp11 failed");
	}
	ERR_clear_error();
	if ((r = rawkeys_load(tok, &raw, &nraw, err)) != CR_OK)
		return r;

	tok->keys = cr_xcalloc(nl ? nl : 1, sizeof(*tok->keys));
	tok->nkeys = nl;
	for (i = 0; i < nl; i++) {
		struct p11_key_obj *k = &tok->keys[i];

		k->token = tok;
		k->label = cr_xstrdup(lkeys[i].label);
		if (lkeys[i].id != NULL && lkeys[i].id_len > 0) {
			k->id = cr_xmalloc(lkeys[i].id_len);
			memcpy(k->id, lkeys[i].id, lkeys[i].id_len);
			k->id_len = lkeys[i].id_len;
		}
		k->sensitive = k->extractable = -1;
		/* libp11's array is never re-enumerated by us, so this stays valid */
		k->priv = &lkeys[i];
	}

	/* Pair libp11's keys with the raw objects by (CKA_ID, CKA_LABEL), both
	 * sides sorted: the same search returns the same objects. */
	byl = cr_xcalloc(nl ? nl : 1, sizeof(*byl));
	for (i = 0; i < nl; i++)
		byl[i] = &tok->keys[i];
	qsort(byl, nl, sizeof(*byl), key_id_cmp);
	/* within one id, order by label so that the walk below lines up */
	for (i = 0; i < nl;) {
		for (j = i + 1; j < nl && p11__bytes_cmp(byl[i]->id, byl[i]->id_len, byl[j]->id,
		    byl[j]->id_len) == 0; j++)
			;
		qsort(byl + i, j - i, sizeof(*byl), key_label_cmp);
		i = j;
	}
	qsort(raw, nraw, sizeof(*raw), rawkey_cmp);
	tok->keyfp = cr_xcalloc(nl ? nl : 1, sizeof(*tok->keyfp));
	for (i = 0, j = 0; i < nl && j < nraw;) {
		struct p11_key_obj *k = byl[i];
		int c = p11__bytes_cmp(k->id, k->id_len, raw[j].id, raw[j].id_len);

		if (c == 0)
			c = cr_strcmp0(k->label, raw[j].label);
		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;
		} else {
			k->sensitive = raw[j].sensitive;
			k->extractable = raw[j].extractable;
			if (raw[j].has_fp) {
				struct p11_keyfp *kf = &tok->keyfp[k - tok->keys];

				memcpy(kf->fp, raw[j].fp, P11_FP_LEN);
				kf->has = 1;
			}
			i++;
			j++;
		}
	}
	for (j = 0; j < nraw; j++) {
		free(raw[j].id);
		free(raw[j].label);
	}
	free(raw);
	free(byl);

	tok->key_by_id = cr_xcalloc(nl ? nl : 1, sizeof(*tok->key_by_id));
	tok->key_by_label = cr_xcalloc(nl ? nl : 1, sizeof(*tok->key_by_label));
	for (i = 0; i < nl; i++)
		tok->key_by_id[i] = tok->key_by_label[i] = &tok->keys[i];
	qsort(tok->key_by_id, nl, sizeof(*tok->key_by_id), key_id_cmp);
	qsort(tok->key_by_label, nl, sizeof(*tok->key_by_label), key_label_cmp);
	tok->keys_loaded = 1;
	return CR_OK;
}

static int
ensure_keys(struct p11_token *tok, const char *pin_source, struct cr_err *err)
{
	int r;

	if (tok->keys_loaded)
		return CR_OK;
	if ((r = p11_token_login(tok, pin_source, 0, err)) != CR_OK)
		return r;
	return keys_load(tok, err);
}

int
p11_token_keys(struct p11_token *tok, struct p11_key_obj **objs, size_t *n,
    struct cr_err *err)
{
	int r;

	*objs = NULL;
	*n = 0;
	if ((r = ensure_keys(tok, NULL, err)) != CR_OK)
		return r;
	*objs = tok->keys;
	*n = tok->nkeys;
	return CR_OK;
}

/* ---- the public-key index ------------------------------------------------ */

static void
fps_add(struct p11_fp **v, size_t *n, size_t *cap, const unsigned char fp[P11_FP_LEN],
    int rank, const unsigned char *id, size_t id_len)
{
	struct p11_fp *f;

	cr_grow(v, cap, *n + 1, sizeof(**v));
	f = &(*v)[(*n)++];
	memset(f, 0, sizeof(*f));
	memcpy(f->fp, fp, P11_FP_LEN);
	f->rank = rank;
	if (id_len > 0) {
		f->id = cr_xmalloc(id_len);
		memcpy(f->id, id, id_len);
		f->id_len = id_len;
	}
}

/* Public-key objects: their key material, keyed back to a CKA_ID. */
static int
fps_from_pubkeys(struct p11_token *tok, struct p11_fp **v, size_t *n, size_t *cap,
    struct cr_err *err)
{
	CK_FUNCTION_LIST *fl = tok->mod->fl;
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE tmpl[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE *h = NULL;
	size_t nh = 0, i;
	CK_RV rv;
	int r = CR_EENV;

	if ((rv = p11__raw_open(tok, 0, &s)) != CKR_OK)
		return raw_error(tok, "open a session", rv, err);
	if ((rv = raw_find(fl, s, tmpl, 1, &h, &nh)) != CKR_OK) {
		raw_error(tok, "list public keys", rv, err);
		goto out;
	}
	for (i = 0; i < nh; i++) {
		CK_ATTRIBUTE a[] = {
			{ CKA_ID, NULL, 0 },
			{ CKA_MODULUS, NULL, 0 },
			{ CKA_EC_POINT, NULL, 0 },
		};
		unsigned char fp[P11_FP_LEN];
		int have = 0;

		if ((rv = p11__raw_attrs(fl, s, h[i], a, 3)) != CKR_OK) {
			raw_error(tok, "read a public key's attributes", rv, err);
			goto out;
		}
		if (a[1].pValue != NULL && a[1].ulValueLen > 0) {
			fp_rsa(a[1].pValue, a[1].ulValueLen, fp);
			have = 1;
		} else if (a[2].pValue != NULL && a[2].ulValueLen > 0) {
			fp_ec(a[2].pValue, a[2].ulValueLen, fp);
			have = 1;
		}
		if (have && a[0].pValue != NULL && a[0].ulValueLen > 0)
			fps_add(v, n, cap, fp, 1, a[0].pValue, a[0].ulValueLen);
		free(a[0].pValue);
		free(a[1].pValue);
		free(a[2].pValue);
	}
	r = CR_OK;
out:
	free(h);
	p11__raw_close(tok, s);
	return r;
}

static int
ensure_fps(struct p11_token *tok, struct cr_err *err)
{
	struct p11_fp *v = NULL;
	size_t n = 0, cap = 0, i;
	int r;

	if (tok->fps_loaded)
		return CR_OK;
	if (!tok->certs_loaded && (r = certs_load(tok, err)) != CR_OK)
		return r;
	for (i = 0; i < tok->nkeys; i++) {
		if (!tok->keyfp[i].has)
			continue;
		fps_add(&v, &n, &cap, tok->keyfp[i].fp, 0, NULL, 0);
		v[n - 1].key = &tok->keys[i];
	}
	if ((r = fps_from_pubkeys(tok, &v, &n, &cap, err)) != CR_OK) {
		fps_free(v, n);
		return r;
	}
	for (i = 0; i < tok->ncerts; i++) {
		unsigned char fp[P11_FP_LEN];
		const struct p11_cert_obj *c = &tok->certs[i];

		if (c->id_len > 0 && p11__fp_pkey(X509_get0_pubkey(c->x509), fp))
			fps_add(&v, &n, &cap, fp, 2, c->id, c->id_len);
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), fp_cmp);
	tok->fps = v;
	tok->nfps = n;
	tok->fps_loaded = 1;
	return CR_OK;
}

/* ---- lookups ------------------------------------------------------------ */

/*
 * The first index in a sorted pointer array whose element is >= the
 * wanted (id) / (label): lower bound by binary search.
 */
static size_t
lb_cert_id(struct p11_cert_obj **v, size_t n, const unsigned char *id, size_t len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p11__bytes_cmp(v[mid]->id, v[mid]->id_len, id, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t
lb_cert_label(struct p11_cert_obj **v, size_t n, const char *label)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cr_strcmp0(v[mid]->label, label) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t
lb_key_id(struct p11_key_obj **v, size_t n, const unsigned char *id, size_t len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p11__bytes_cmp(v[mid]->id, v[mid]->id_len, id, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t
lb_key_label(struct p11_key_obj **v, size_t n, const char *label)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cr_strcmp0(v[mid]->label, label) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t
lb_fp(const struct p11_fp *v, size_t n, const unsigned char fp[P11_FP_LEN])
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(v[mid].fp, fp, P11_FP_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
ptr_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	return x < y ? -1 : x > y;
}

struct ptrs {
	void **v;
	size_t n, cap;
};

static void
ptrs_add(struct ptrs *p, void *x)
{
	cr_grow(&p->v, &p->cap, p->n + 1, sizeof(*p->v));
	p->v[p->n++] = x;
}

static int
id_eq(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	return p11__bytes_cmp(a, alen, b, blen) == 0;
}

/* Appends the certificates of tok that uri's object / id attributes name,
 * in the token's order. */
static void
select_certs(struct p11_token *tok, const struct p11_uri *uri, struct ptrs *out)
{
	size_t i, start = out->n;

	if (uri->has_id) {
		for (i = lb_cert_id(tok->cert_by_id, tok->ncerts, uri->id, uri->id_len);
		    i < tok->ncerts && id_eq(tok->cert_by_id[i]->id, tok->cert_by_id[i]->id_len,
		    uri->id, uri->id_len); i++)
			if (!uri->has_object || cr_strcmp0(tok->cert_by_id[i]->label, uri->object) == 0)
				ptrs_add(out, tok->cert_by_id[i]);
	} else if (uri->has_object) {
		for (i = lb_cert_label(tok->cert_by_label, tok->ncerts, uri->object);
		    i < tok->ncerts && cr_strcmp0(tok->cert_by_label[i]->label, uri->object) == 0;
		    i++)
			ptrs_add(out, tok->cert_by_label[i]);
	} else {
		for (i = 0; i < tok->ncerts; i++)
			ptrs_add(out, &tok->certs[i]);
	}
	if (out->n > start)
		qsort(out->v + start, out->n - start, sizeof(*out->v), ptr_cmp);
}

static void
select_keys(struct p11_token *tok, const struct p11_uri *uri, struct ptrs *out)
{
	size_t i, start = out->n;

	if (uri->has_id) {
		for (i = lb_key_id(tok->key_by_id, tok->nkeys, uri->id, uri->id_len);
		    i < tok->nkeys && id_eq(tok->key_by_id[i]->id, tok->key_by_id[i]->id_len,
		    uri->id, uri->id_len); i++)
			if (!uri->has_object || cr_strcmp0(tok->key_by_id[i]->label, uri->object) == 0)
				ptrs_add(out, tok->key_by_id[i]);
	} else if (uri->has_object) {
		for (i = lb_key_label(tok->key_by_label, tok->nkeys, uri->object);
		    i < tok->nkeys && cr_strcmp0(tok->key_by_label[i]->label, uri->object) == 0; i++)
			ptrs_add(out, tok->key_by_label[i]);
	} else {
		for (i = 0; i < tok->nkeys; i++)
			ptrs_add(out, &tok->keys[i]);
	}
	if (out->n > start)
		qsort(out->v + start, out->n - start, sizeof(*out->v), ptr_cmp);
}

int
p11_find_certs(struct p11_ctx *ctx, const struct p11_uri *uri,
    struct p11_cert_obj ***out, size_t *n, struct cr_err *err)
{
	struct p11_token **toks = NULL;
	struct ptrs res = { NULL, 0, 0 };
	size_t ntoks = 0, i;
	int r;

	*out = NULL;
	*n = 0;
	if (uri->has_type && uri->type != P11_TYPE_CERT)
		return CR_OK;
	if ((r = p11_find_tokens(ctx, uri, &toks, &ntoks, err)) != CR_OK)
		return r;
	for (i = 0; i < ntoks; i++) {
		if (!toks[i]->certs_loaded && (r = certs_load(toks[i], err)) != CR_OK)
			goto out;
		select_certs(toks[i], uri, &res);
	}
	*out = (struct p11_cert_obj **)res.v;
	*n = res.n;
	res.v = NULL;
	r = CR_OK;
out:
	free(res.v);
	free(toks);
	return r;
}

int
p11_find_keys(struct p11_ctx *ctx, const struct p11_uri *uri,
    struct p11_key_obj ***out, size_t *n, struct cr_err *err)
{
	struct p11_token **toks = NULL;
	struct ptrs res = { NULL, 0, 0 };
	size_t ntoks = 0, i;
	int r;

	*out = NULL;
	*n = 0;
	if (uri->has_type && uri->type != P11_TYPE_PRIVATE)
		return CR_OK;
	if ((r = p11_find_tokens(ctx, uri, &toks, &ntoks, err)) != CR_OK)
		return r;
	for (i = 0; i < ntoks; i++) {
		if ((r = ensure_keys(toks[i], uri->pin_source, err)) != CR_OK)
			goto out;
		select_keys(toks[i], uri, &res);
	}
	*out = (struct p11_key_obj **)res.v;
	*n = res.n;
	res.v = NULL;
	r = CR_OK;
out:
	free(res.v);
	free(toks);
	return r;
}

int
p11_key_for_cert(struct p11_token *tok, X509 *cert, const unsigned char *id,
    size_t id_len, struct p11_key_obj **out, struct cr_err *err)
{
	unsigned char fp[P11_FP_LEN];
	int have_fp = -1, r;	/* computed when needed: it costs a bignum export */
	size_t i;

	*out = NULL;
	if ((r = ensure_keys(tok, NULL, err)) != CR_OK)
		return r;

	if (id != NULL && id_len > 0) {
		size_t lo = lb_key_id(tok->key_by_id, tok->nkeys, id, id_len), hi = lo;

		while (hi < tok->nkeys && id_eq(tok->key_by_id[hi]->id, tok->key_by_id[hi]->id_len,
		    id, id_len))
			hi++;
		if (hi - lo == 1) {
			*out = tok->key_by_id[lo];
			return CR_OK;
		}
		if (hi > lo) {
			/* several keys share the id: prefer the certificate's own */
			have_fp = p11__fp_pkey(X509_get0_pubkey(cert), fp);
			for (i = lo; have_fp && i < hi; i++) {
				struct p11_key_obj *k = tok->key_by_id[i];
				const struct p11_keyfp *kf = &tok->keyfp[k - tok->keys];

				if (kf->has && memcmp(kf->fp, fp, P11_FP_LEN) == 0) {
					*out = k;
					return CR_OK;
				}
			}
			*out = tok->key_by_id[lo];
			return CR_OK;
		}
	}
	if (have_fp < 0)
		have_fp = p11__fp_pkey(X509_get0_pubkey(cert), fp);
	if (!have_fp)
		return CR_OK;
	if ((r = ensure_fps(tok, err)) != CR_OK)
		return r;
	for (i = lb_fp(tok->fps, tok->nfps, fp); i < tok->nfps &&
	    memcmp(tok->fps[i].fp, fp, P11_FP_LEN) == 0; i++) {
		const struct p11_fp *f = &tok->fps[i];
		size_t k;

		if (f->key != NULL) {
			*out = f->key;
			return CR_OK;
		}
		k = lb_key_id(tok->key_by_id, tok->nkeys, f->id, f->id_len);
		if (k < tok->nkeys && id_eq(tok->key_by_id[k]->id, tok->key_by_id[k]->id_len,
		    f->id, f->id_len)) {
			*out = tok->key_by_id[k];
			return CR_OK;
		}
	}
	return CR_OK;
}

void
p11__token_free_objects(struct p11_token *tok)
{
	size_t i;

	p11__token_invalidate_certs(tok);
	while (tok->graves != NULL) {
		struct p11_grave *g = tok->graves;

		tok->graves = g->next;
		certs_free(g->certs, g->n);
		free(g);
	}
	for (i = 0; i < tok->nkeys; i++) {
		free(tok->keys[i].label);
		free(tok->keys[i].id);
	}
	free(tok->keys);
	free(tok->key_by_id);
	free(tok->key_by_label);
	free(tok->keyfp);
	tok->keyfp = NULL;
	tok->keys = NULL;
	tok->nkeys = 0;
}
