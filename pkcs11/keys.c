/*
 * keys.c - the private keys of a token, enumerated once after login and
 * indexed (objects.c); the keys a URI names.
 *
 * The keys come from libp11 (PKCS11_enumerate_keys: their EVP_PKEY signs the
 * test message on the token), paired by (CKA_ID, CKA_LABEL) with one raw
 * search of the same class that reads what libp11 cannot: CKA_SENSITIVE,
 * CKA_EXTRACTABLE, and the RSA modulus for the fingerprint index
 * (keyindex.c), all in one attribute read per key.
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

/* Pairing order: CKA_ID, then CKA_LABEL, then the listing's order. */
static int
key_pair_cmp(const void *a, const void *b)
{
	const struct p11_key_obj *x = *(struct p11_key_obj *const *)a;
	const struct p11_key_obj *y = *(struct p11_key_obj *const *)b;
	int c = p11__bytes_cmp(x->id, x->id_len, y->id, y->id_len);

	if (c == 0)
		c = cr_strcmp0(x->label, y->label);
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

struct rawkeys_acc {
	struct rawkey *v;
	size_t n, cap;
};

static int
rawkey_one(void *arg, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *a, struct cr_err *err)
{
	struct rawkeys_acc *acc = arg;
	struct rawkey *k;

	(void)h;
	(void)err;
	cr_grow(&acc->v, &acc->cap, acc->n + 1, sizeof(*acc->v));
	k = &acc->v[acc->n];
	memset(k, 0, sizeof(*k));
	k->sensitive = bool_attr(&a[0]);
	k->extractable = bool_attr(&a[1]);
	k->id = a[2].pValue;
	k->id_len = a[2].pValue ? a[2].ulValueLen : 0;
	k->label = a[3].pValue;
	a[2].pValue = a[3].pValue = NULL;	/* taken */
	k->order = acc->n++;
	if (a[4].pValue != NULL && a[4].ulValueLen > 0) {
		p11__fp_rsa(a[4].pValue, a[4].ulValueLen, k->fp);
		k->has_fp = 1;
	} else if (a[5].pValue != NULL && a[5].ulValueLen > 0) {
		p11__fp_ec(a[5].pValue, a[5].ulValueLen, k->fp);
		k->has_fp = 1;
	}
	return CR_OK;
}

static void
rawkeys_free(struct rawkey *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].label);
	}
	free(v);
}

/* The private key objects as one raw search sees them: what libp11 cannot
 * read (CKA_SENSITIVE, CKA_EXTRACTABLE) and the key material's fingerprint. */
static int
rawkeys_load(struct p11_token *tok, struct rawkey **out, size_t *count, struct cr_err *err)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE filter[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	/* the bools are read into each object's copy of this template: see
	 * p11__objects_read, which copies `want` per object */
	CK_BBOOL sens = 0, extr = 0;
	const CK_ATTRIBUTE want[] = {
		{ CKA_SENSITIVE, &sens, sizeof(sens) },
		{ CKA_EXTRACTABLE, &extr, sizeof(extr) },
		{ CKA_ID, NULL, 0 },
		{ CKA_LABEL, NULL, 0 },
		{ CKA_MODULUS, NULL, 512 },	/* RSA-4096 fits */
		{ CKA_EC_POINT, NULL, 0 },
	};
	struct rawkeys_acc acc = { NULL, 0, 0 };
	int r;

	*out = NULL;
	*count = 0;
	r = p11__objects_read(tok, filter, 1, want, 6, "private keys",
	    "a private key's attributes", rawkey_one, &acc, err);
	if (r != CR_OK) {
		rawkeys_free(acc.v, acc.n);
		return r;
	}
	*out = acc.v;
	*count = acc.n;
	return CR_OK;
}

/*
 * Pairs libp11's keys with the raw objects by (CKA_ID, CKA_LABEL), both sides
 * sorted the same way: one search returns the same objects to both.  Fills
 * each key's protection flags and its fingerprint (tok->keyfp).
 */
static void
pair_raw(struct p11_token *tok, struct rawkey *raw, size_t nraw)
{
	struct p11_key_obj **byk = cr_xcalloc(tok->nkeys ? tok->nkeys : 1, sizeof(*byk));
	size_t i, j, nl = tok->nkeys;

	for (i = 0; i < nl; i++)
		byk[i] = &tok->keys[i];
	qsort(byk, nl, sizeof(*byk), key_pair_cmp);
	qsort(raw, nraw, sizeof(*raw), rawkey_cmp);
	tok->keyfp = cr_xcalloc(nl ? nl : 1, sizeof(*tok->keyfp));
	for (i = 0, j = 0; i < nl && j < nraw;) {
		struct p11_key_obj *k = byk[i];
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
	free(byk);
}

static int
keys_load(struct p11_token *tok, struct cr_err *err)
{
	PKCS11_KEY *lkeys = NULL;
	unsigned int nl = 0;
	struct rawkey *raw = NULL;
	size_t nraw = 0, i;
	int r;

	ERR_clear_error();
	if (PKCS11_enumerate_keys(tok->slot->token, &lkeys, &nl) != 0)
		return p11__rv_fail(err, p11__ckr_from_queue(), NULL,
		    "cannot list the private keys of token '%s'", tok->label);
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
	pair_raw(tok, raw, nraw);
	rawkeys_free(raw, nraw);

	p11__idx_init(&tok->keyidx, nl);
	for (i = 0; i < nl; i++)
		p11__idx_set(&tok->keyidx, i, &tok->keys[i], tok->keys[i].id, tok->keys[i].id_len,
		    tok->keys[i].label);
	p11__idx_sort(&tok->keyidx);
	tok->keys_loaded = 1;
	return CR_OK;
}

int
p11__keys_ensure(struct p11_token *tok, const char *pin_source, struct cr_err *err)
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
	if ((r = p11__keys_ensure(tok, NULL, err)) != CR_OK)
		return r;
	*objs = tok->keys;
	*n = tok->nkeys;
	return CR_OK;
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
		if ((r = p11__keys_ensure(toks[i], uri->pin_source, err)) != CR_OK)
			goto out;
		p11__idx_select(&toks[i]->keyidx, uri->has_id, uri->id, uri->id_len,
		    uri->has_object, uri->object, &res);
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

void
p11__keys_release(struct p11_token *tok)
{
	size_t i;

	for (i = 0; i < tok->nkeys; i++) {
		free(tok->keys[i].label);
		free(tok->keys[i].id);
	}
	free(tok->keys);
	p11__idx_release(&tok->keyidx);
	free(tok->keyfp);
	tok->keyfp = NULL;
	tok->keys = NULL;
	tok->nkeys = 0;
	tok->keys_loaded = 0;
}
