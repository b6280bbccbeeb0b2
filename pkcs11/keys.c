/*
 * keys.c - the private keys of a token, enumerated once after login and
 * indexed; the keys a URI names; the key of a certificate.
 *
 * The keys come from libp11 (PKCS11_enumerate_keys: their EVP_PKEY signs the
 * test message on the token), paired by (CKA_ID, CKA_LABEL) with one raw
 * search of the same class that reads what libp11 cannot: CKA_SENSITIVE,
 * CKA_EXTRACTABLE, and the RSA modulus for the public-key index.
 *
 * Never PKCS11_get_public_key() on a private key: libp11 0.4.12 segfaults
 * when the token holds no public-key object for it.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "../common/util.h"
#include "p11-int.h"

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
		return p11__raw_error(tok, "open a session", rv, err);
	if ((rv = p11__raw_find(fl, s, tmpl, 1, &h, &n)) != CKR_OK) {
		p11__raw_error(tok, "list private keys", rv, err);
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
			p11__raw_error(tok, "read a private key's attributes", rv, err);
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
			p11__fp_rsa(a[4].pValue, a[4].ulValueLen, v[i].fp);
			v[i].has_fp = 1;
		} else if (a[5].pValue != NULL && a[5].ulValueLen > 0) {
			p11__fp_ec(a[5].pValue, a[5].ulValueLen, v[i].fp);
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

struct p11_key_obj *
p11__key_first_by_id(struct p11_token *tok, const unsigned char *id, size_t len)
{
	size_t k = lb_key_id(tok->key_by_id, tok->nkeys, id, len);

	if (k < tok->nkeys && p11__id_eq(tok->key_by_id[k]->id, tok->key_by_id[k]->id_len, id,
	    len))
		return tok->key_by_id[k];
	return NULL;
}

static void
select_keys(struct p11_token *tok, const struct p11_uri *uri, struct p11_ptrs *out)
{
	size_t i, start = out->n;

	if (uri->has_id) {
		for (i = lb_key_id(tok->key_by_id, tok->nkeys, uri->id, uri->id_len);
		    i < tok->nkeys && p11__id_eq(tok->key_by_id[i]->id, tok->key_by_id[i]->id_len,
		    uri->id, uri->id_len); i++)
			if (!uri->has_object || cr_strcmp0(tok->key_by_id[i]->label, uri->object) == 0)
				p11__ptrs_add(out, tok->key_by_id[i]);
	} else if (uri->has_object) {
		for (i = lb_key_label(tok->key_by_label, tok->nkeys, uri->object);
		    i < tok->nkeys && cr_strcmp0(tok->key_by_label[i]->label, uri->object) == 0; i++)
			p11__ptrs_add(out, tok->key_by_label[i]);
	} else {
		for (i = 0; i < tok->nkeys; i++)
			p11__ptrs_add(out, &tok->keys[i]);
	}
	if (out->n > start)
		qsort(out->v + start, out->n - start, sizeof(*out->v), p11__ptr_cmp);
}

int
p11_find_keys(struct p11_ctx *ctx, const struct p11_uri *uri,
    struct p11_key_obj ***out, size_t *n, struct cr_err *err)
{
	struct p11_token **toks = NULL;
	struct p11_ptrs res = { NULL, 0, 0 };
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

		while (hi < tok->nkeys && p11__id_eq(tok->key_by_id[hi]->id, tok->key_by_id[hi]->id_len,
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
	return p11__fps_find(tok, fp, out, err);
}

void
p11__token_free_objects(struct p11_token *tok)
{
	size_t i;

	p11__certs_release(tok);
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
