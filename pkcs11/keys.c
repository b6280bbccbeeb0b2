/*
 * keys.c - the private keys of a token, enumerated once after login and
 * indexed (objects.c); the keys a URI names.
 *
 * One raw search of the class reads each key's CKA_ID, CKA_LABEL,
 * CKA_KEY_TYPE, CKA_SENSITIVE, CKA_EXTRACTABLE and the RSA modulus or EC
 * point for the fingerprint index (keyindex.c): one attribute read per key.
 * libp11's own enumeration (PKCS11_enumerate_keys) costs about seven calls
 * per key (one C_FindObjects and six C_GetAttributeValue in 0.4.12), and
 * only the test signature needs it (its EVP_PKEY signs on the token): it is
 * done on the first p11__key_libp11, once per token, and paired with the
 * raw keys by (CKA_ID, CKA_LABEL) - the same search returns the same
 * objects to both.  Like libp11 0.4.12, only RSA and EC keys are listed.
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
bool_attr(const CK_ATTRIBUTE *a)
{
	if (a->ulValueLen != sizeof(CK_BBOOL))
		return -1;
	return *(const CK_BBOOL *)a->pValue ? 1 : 0;
}

struct keys_acc {
	struct p11_token *tok;
	struct p11_key_obj *v;
	struct p11_keyfp *fp;	/* parallel to v */
	size_t n, cap, fpcap;
};

/* want[] of keys_load, by position */
enum { K_SENSITIVE, K_EXTRACTABLE, K_TYPE, K_ID, K_LABEL, K_MODULUS, K_EC_POINT, K_N };

static int
key_one(void *arg, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *a, struct cr_err *err)
{
	struct keys_acc *acc = arg;
	struct p11_key_obj *k;
	struct p11_keyfp *f;
	CK_KEY_TYPE type;

	(void)h;
	(void)err;
	if (a[K_TYPE].ulValueLen != sizeof(type))
		return CR_OK;
	memcpy(&type, a[K_TYPE].pValue, sizeof(type));
	if (type != CKK_RSA && type != CKK_EC)
		return CR_OK;	/* as libp11 0.4.12, which could not sign with it */
	cr_grow(&acc->v, &acc->cap, acc->n + 1, sizeof(*acc->v));
	cr_grow(&acc->fp, &acc->fpcap, acc->n + 1, sizeof(*acc->fp));
	k = &acc->v[acc->n];
	f = &acc->fp[acc->n++];
	memset(k, 0, sizeof(*k));
	memset(f, 0, sizeof(*f));
	k->token = acc->tok;
	k->sensitive = bool_attr(&a[K_SENSITIVE]);
	k->extractable = bool_attr(&a[K_EXTRACTABLE]);
	k->label = a[K_LABEL].pValue;
	if (a[K_ID].pValue != NULL && a[K_ID].ulValueLen > 0) {
		k->id = a[K_ID].pValue;
		k->id_len = a[K_ID].ulValueLen;
		a[K_ID].pValue = NULL;
	}
	a[K_LABEL].pValue = NULL;	/* taken */
	if (a[K_MODULUS].pValue != NULL && a[K_MODULUS].ulValueLen > 0) {
		p11__fp_rsa(a[K_MODULUS].pValue, a[K_MODULUS].ulValueLen, f->fp);
		f->has = 1;
	} else if (a[K_EC_POINT].pValue != NULL && a[K_EC_POINT].ulValueLen > 0) {
		p11__fp_ec(a[K_EC_POINT].pValue, a[K_EC_POINT].ulValueLen, f->fp);
		f->has = 1;
	}
	return CR_OK;
}

static void
keys_free(struct p11_key_obj *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].label);
		free(v[i].id);
	}
	free(v);
}

static int
keys_load(struct p11_token *tok, struct cr_err *err)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE filter[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	/* the fixed-size values land in these, one object at a time: see
	 * p11__objects_read, which copies `want` per object */
	CK_BBOOL sens = 0, extr = 0;
	CK_KEY_TYPE type = 0;
	const CK_ATTRIBUTE want[K_N] = {
		[K_SENSITIVE] = { CKA_SENSITIVE, &sens, sizeof(sens) },
		[K_EXTRACTABLE] = { CKA_EXTRACTABLE, &extr, sizeof(extr) },
		[K_TYPE] = { CKA_KEY_TYPE, &type, sizeof(type) },
		[K_ID] = { CKA_ID, NULL, 0 },
		[K_LABEL] = { CKA_LABEL, NULL, 0 },
		[K_MODULUS] = { CKA_MODULUS, NULL, 512 },	/* RSA-4096 fits */
		[K_EC_POINT] = { CKA_EC_POINT, NULL, 0 },
	};
	struct keys_acc acc = { tok, NULL, NULL, 0, 0, 0 };
	size_t i;
	int r;

	r = p11__objects_read(tok, filter, 1, want, K_N, "private keys",
	    "a private key's attributes", key_one, &acc, err);
	if (r != CR_OK) {
		keys_free(acc.v, acc.n);
		free(acc.fp);
		return r;
	}
	tok->keys = acc.v != NULL ? acc.v : cr_xcalloc(1, sizeof(*tok->keys));
	tok->keyfp = acc.fp != NULL ? acc.fp : cr_xcalloc(1, sizeof(*tok->keyfp));
	tok->nkeys = acc.n;
	p11__idx_init(&tok->keyidx, acc.n);
	for (i = 0; i < acc.n; i++)
		p11__idx_set(&tok->keyidx, i, &tok->keys[i], tok->keys[i].id, tok->keys[i].id_len,
		    tok->keys[i].label);
	p11__idx_sort(&tok->keyidx);
	tok->keys_loaded = 1;
	return CR_OK;
}

/* ---- libp11's keys, for the test signature -------------------------------- */

/* NULL and "" are one label: libp11 and the raw read may differ there. */
static int
label_cmp(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

/* Pairing order: CKA_ID, CKA_LABEL, then the listing's order. */
static int
ours_cmp(const void *a, const void *b)
{
	const struct p11_key_obj *x = *(struct p11_key_obj *const *)a;
	const struct p11_key_obj *y = *(struct p11_key_obj *const *)b;
	int c = p11__bytes_cmp(x->id, x->id_len, y->id, y->id_len);

	if (c == 0)
		c = label_cmp(x->label, y->label);
	return c ? c : (x < y ? -1 : x > y);
}

static int
theirs_cmp(const void *a, const void *b)
{
	const PKCS11_KEY *x = *(PKCS11_KEY *const *)a, *y = *(PKCS11_KEY *const *)b;
	int c = p11__bytes_cmp(x->id, x->id ? x->id_len : 0, y->id, y->id ? y->id_len : 0);

	if (c == 0)
		c = label_cmp(x->label, y->label);
	return c ? c : (x < y ? -1 : x > y);
}

/* Sets each of tok's keys' priv to its libp11 key: both sides sorted alike,
 * one merge. */
static void
pair_libp11(struct p11_token *tok, PKCS11_KEY *lkeys, unsigned int nl)
{
	struct p11_key_obj **ours = cr_xcalloc(tok->nkeys ? tok->nkeys : 1, sizeof(*ours));
	PKCS11_KEY **theirs = cr_xcalloc(nl ? nl : 1, sizeof(*theirs));
	size_t i, j;

	for (i = 0; i < tok->nkeys; i++)
		ours[i] = &tok->keys[i];
	for (i = 0; i < nl; i++)
		theirs[i] = &lkeys[i];
	qsort(ours, tok->nkeys, sizeof(*ours), ours_cmp);
	qsort(theirs, nl, sizeof(*theirs), theirs_cmp);
	for (i = 0, j = 0; i < tok->nkeys && j < nl;) {
		const PKCS11_KEY *l = theirs[j];
		int c = p11__bytes_cmp(ours[i]->id, ours[i]->id_len, l->id, l->id ? l->id_len : 0);

		if (c == 0)
			c = label_cmp(ours[i]->label, l->label);
		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;
		} else {
			/* libp11's array is never enumerated again by us: it stays valid */
			ours[i++]->priv = theirs[j++];
		}
	}
	free(ours);
	free(theirs);
}

int
p11__key_libp11(struct p11_key_obj *k, PKCS11_KEY **out, struct cr_err *err)
{
	struct p11_token *tok = k->token;
	PKCS11_KEY *lkeys = NULL;
	unsigned int nl = 0;

	*out = NULL;
	if (tok->lkeys_state == 0) {
		ERR_clear_error();
		if (PKCS11_enumerate_keys(tok->slot->token, &lkeys, &nl) != 0) {
			p11__rv_fail(&tok->lkeys_err, p11__ckr_from_queue(), NULL,
			    "cannot list the private keys of token '%s'", tok->label);
			tok->lkeys_state = -1;
		} else {
			ERR_clear_error();
			pair_libp11(tok, lkeys, nl);
			tok->lkeys_state = 1;
		}
	}
	if (tok->lkeys_state < 0) {
		if (err != NULL)
			*err = tok->lkeys_err;
		return tok->lkeys_err.status;
	}
	*out = k->priv;
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
p11__keys_invalidate(struct p11_token *tok)
{
	size_t i;

	if (tok->keys_loaded) {
		struct p11_key_grave *g = cr_xcalloc(1, sizeof(*g));

		/* their libp11 keys are in an array the next listing may move */
		for (i = 0; i < tok->nkeys; i++)
			tok->keys[i].priv = NULL;
		g->keys = tok->keys;
		g->n = tok->nkeys;
		g->next = tok->key_graves;
		tok->key_graves = g;
	} else {
		free(tok->keys);
	}
	tok->keys = NULL;
	tok->nkeys = 0;
	free(tok->keyfp);
	tok->keyfp = NULL;
	p11__idx_release(&tok->keyidx);
	tok->keys_loaded = 0;
	/* libp11 0.4.12 adds the objects it has not seen to its array when
	   listing again; a failed listing stays failed */
	if (tok->lkeys_state > 0)
		tok->lkeys_state = 0;
}

void
p11__keys_release(struct p11_token *tok)
{
	while (tok->key_graves != NULL) {
		struct p11_key_grave *g = tok->key_graves;

		tok->key_graves = g->next;
		keys_free(g->keys, g->n);
		free(g);
	}
	keys_free(tok->keys, tok->nkeys);
	p11__idx_release(&tok->keyidx);
	free(tok->keyfp);
	tok->keyfp = NULL;
	tok->keys = NULL;
	tok->nkeys = 0;
	tok->keys_loaded = 0;
}
