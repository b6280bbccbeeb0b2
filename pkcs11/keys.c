/*
 * keys.c - the private keys of a token, enumerated once after login and
 * indexed (objects.c); the keys a URI names.
 *
 * One raw search of the class reads each key's CKA_ID, CKA_LABEL,
 * CKA_KEY_TYPE, CKA_SENSITIVE, CKA_EXTRACTABLE and the RSA modulus or EC
 * point for the fingerprint index (keyindex.c): one attribute read per key,
 * the value a key type does not have asked with a bound (P11_ATMOST) so that
 * its absence costs no second read.  The object handle and type are kept
 * (struct p11_keyinfo) for the test signature, made with C_Sign on that
 * handle (sign.c): libp11's own listing (PKCS11_enumerate_keys, about seven
 * calls a key in 0.4.12) is never run.  Like libp11 0.4.12, only RSA and EC
 * keys are listed.
 *
 * A key URI naming a CKA_ID or CKA_LABEL (`check`'s and `run`'s key) is
 * looked for by those attributes while the token's keys are not listed, at
 * most KEY_SEARCHES times per token: a few calls instead of one per key on
 * the token.  Past that, or for any other question, the token's keys are
 * listed once - a search per reference would make a large inventory
 * quadratic (SoftHSM's search is linear in the token's objects).
 *
 * What is known of a token's keys - the listing, its index, the searches'
 * keys - is set aside by p11__keys_forget once a key pair is generated or
 * destroyed (keygen.c), never freed before p11_ctx_free: keys handed out
 * stay valid, and the next question lists or searches again.
 *
 * Never PKCS11_get_public_key() on a private key: libp11 0.4.12 segfaults
 * when the token holds no public-key object for it.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "../common/util.h"
#include "p11-int.h"

#define KEY_SEARCHES 4	/* searches by CKA_ID / CKA_LABEL before listing all keys */
#define MODULUS_MAX 2048	/* RSA-16384 */
#define EC_POINT_MAX 256	/* a DER OCTET STRING of P-521's uncompressed point: 136 */

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
	struct p11_keyinfo *info;	/* parallel to v */
	size_t n, cap, infocap;
};

/* want[] of keys_read, by position */
enum { K_SENSITIVE, K_EXTRACTABLE, K_TYPE, K_ID, K_LABEL, K_MODULUS, K_EC_POINT, K_N };

static int
key_one(void *arg, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *a, struct cr_err *err)
{
	struct keys_acc *acc = arg;
	struct p11_key_obj *k;
	struct p11_keyinfo *f;
	CK_KEY_TYPE type;

	(void)err;
	if (a[K_TYPE].ulValueLen != sizeof(type))
		return CR_OK;
	memcpy(&type, a[K_TYPE].pValue, sizeof(type));
	if (type != CKK_RSA && type != CKK_EC)
		return CR_OK;	/* as libp11 0.4.12; sign.c signs with these two */
	cr_grow(&acc->v, &acc->cap, acc->n + 1, sizeof(*acc->v));
	cr_grow(&acc->info, &acc->infocap, acc->n + 1, sizeof(*acc->info));
	k = &acc->v[acc->n];
	f = &acc->info[acc->n++];
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
	f->handle = h;
	f->type = type;
	if (type == CKK_RSA && a[K_MODULUS].pValue != NULL && a[K_MODULUS].ulValueLen > 0) {
		p11__fp_rsa(a[K_MODULUS].pValue, a[K_MODULUS].ulValueLen, f->fp);
		f->has = 1;
	} else if (type == CKK_EC && a[K_EC_POINT].pValue != NULL &&
	    a[K_EC_POINT].ulValueLen > 0) {
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

/*
 * The RSA and EC private keys matching `filter` (its first entry is
 * CKA_CLASS), into *acc, each key's priv pointing at its info.
 */
static int
keys_read(struct p11_token *tok, CK_ATTRIBUTE *filter, CK_ULONG nfilter,
    struct keys_acc *acc, struct cr_err *err)
{
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
		/* each key has one of these two (SoftHSM2's EC keys neither) */
		[K_MODULUS] = { CKA_MODULUS, NULL, P11_ATMOST(MODULUS_MAX) },
		[K_EC_POINT] = { CKA_EC_POINT, NULL, P11_ATMOST(EC_POINT_MAX) },
	};
	size_t i;
	int r;

	memset(acc, 0, sizeof(*acc));
	acc->tok = tok;
	r = p11__objects_read(tok, filter, nfilter, want, K_N, "private keys",
	    "a private key's attributes", key_one, acc, err);
	if (r != CR_OK) {
		keys_free(acc->v, acc->n);
		free(acc->info);
		memset(acc, 0, sizeof(*acc));
		return r;
	}
	if (acc->v == NULL) {
		acc->v = cr_xcalloc(1, sizeof(*acc->v));
		acc->info = cr_xcalloc(1, sizeof(*acc->info));
	}
	/* the arrays no longer move */
	for (i = 0; i < acc->n; i++)
		acc->v[i].priv = &acc->info[i];
	return CR_OK;
}

static int
keys_load(struct p11_token *tok, struct cr_err *err)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE filter[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	struct keys_acc acc;
	size_t i;
	int r;

	if ((r = keys_read(tok, filter, 1, &acc, err)) != CR_OK)
		return r;
	tok->keys = acc.v;
	tok->keyinfo = acc.info;
	tok->nkeys = acc.n;
	p11__idx_init(&tok->keyidx, acc.n);
	for (i = 0; i < acc.n; i++)
		p11__idx_set(&tok->keyidx, i, &tok->keys[i], tok->keys[i].id, tok->keys[i].id_len,
		    tok->keys[i].label);
	p11__idx_sort(&tok->keyidx);
	tok->keys_loaded = 1;
	return CR_OK;
}

/* A key an earlier search found with this handle, or NULL. */
static struct p11_key_obj *
found_before(const struct p11_token *tok, CK_OBJECT_HANDLE h)
{
	const struct p11_keyset *set;
	size_t i;

	for (set = tok->found; set != NULL; set = set->next)
		for (i = 0; i < set->n; i++)
			if (set->info[i].handle == h)
				return &set->keys[i];
	return NULL;
}

/*
 * The keys with this CKA_ID (has_id) and CKA_LABEL (label not NULL), by a
 * search on those attributes, appended to res in the token's order (a key
 * an earlier search found is that same object).  1 when searched (*r its
 * status), 0 when the token's keys must be listed instead: listed already,
 * searched often enough, or nothing to search on (an empty label is also an
 * absent one in the index).
 */
static int
keys_search(struct p11_token *tok, int has_id, const unsigned char *id, size_t id_len,
    const char *label, struct p11_ptrs *res, int *r, struct cr_err *err)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE filter[3] = { { CKA_CLASS, &cls, sizeof(cls) } };
	CK_ULONG nf = 1;
	CK_OBJECT_HANDLE *handles;
	struct p11_keyset *set;
	struct keys_acc acc;
	size_t i, n, nh;

	*r = CR_OK;
	if (tok->keys_loaded || tok->nsearches >= KEY_SEARCHES || (has_id && id_len == 0) ||
	    (label != NULL && label[0] == '\0') || (!has_id && label == NULL))
		return 0;
	if (has_id)
		filter[nf++] = (CK_ATTRIBUTE){ CKA_ID, (void *)id, id_len };
	if (label != NULL)
		filter[nf++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)label, strlen(label) };
	tok->nsearches++;
	if ((*r = keys_read(tok, filter, nf, &acc, err)) != CR_OK)
		return 1;
	nh = acc.n;
	handles = cr_xcalloc(nh ? nh : 1, sizeof(*handles));
	/* a key found before stays that object; the new ones are kept, packed */
	for (i = 0, n = 0; i < nh; i++) {
		handles[i] = acc.info[i].handle;
		if (found_before(tok, handles[i]) != NULL) {
			free(acc.v[i].label);
			free(acc.v[i].id);
			continue;
		}
		acc.v[n] = acc.v[i];
		acc.info[n++] = acc.info[i];
	}
	for (i = 0; i < n; i++)
		acc.v[i].priv = &acc.info[i];
	set = cr_xcalloc(1, sizeof(*set));
	set->keys = acc.v;
	set->info = acc.info;
	set->n = n;
	set->next = tok->found;
	tok->found = set;
	for (i = 0; i < nh; i++)
		p11__ptrs_add(res, found_before(tok, handles[i]));
	free(handles);
	return 1;
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
p11__keys_select(struct p11_token *tok, int has_id, const unsigned char *id, size_t id_len,
    const char *label, struct p11_ptrs *res, struct cr_err *err)
{
	int r;

	if (keys_search(tok, has_id, id, id_len, label, res, &r, err))
		return r;
	if ((r = p11__keys_ensure(tok, NULL, err)) != CR_OK)
		return r;
	p11__idx_select(&tok->keyidx, has_id, id, id_len, label != NULL, label, res);
	return CR_OK;
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
		if ((r = p11_token_login(toks[i], uri->pin_source, 0, err)) != CR_OK)
			goto out;
		/* object= with no value is an absent label, as in the index */
		if ((r = p11__keys_select(toks[i], uri->has_id, uri->id, uri->id_len,
		    uri->has_object ? (uri->object != NULL ? uri->object : "") : NULL, &res,
		    err)) != CR_OK)
			goto out;
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

/* Frees a chain of key sets. */
static void
keysets_free(struct p11_keyset *set)
{
	while (set != NULL) {
		struct p11_keyset *next = set->next;

		keys_free(set->keys, set->n);
		free(set->info);
		free(set);
		set = next;
	}
}

void
p11__keys_forget(struct p11_token *tok)
{
	struct p11_keyset *last;

	/* the searches' keys: a handle found again later is a new object */
	if (tok->found != NULL) {
		for (last = tok->found; last->next != NULL; last = last->next)
			;
		last->next = tok->keys_buried;
		tok->keys_buried = tok->found;
		tok->found = NULL;
	}
	/* the listing, as one more set; its index pointed into it */
	if (tok->keys_loaded) {
		struct p11_keyset *set = cr_xcalloc(1, sizeof(*set));

		set->keys = tok->keys;
		set->info = tok->keyinfo;
		set->n = tok->nkeys;
		set->next = tok->keys_buried;
		tok->keys_buried = set;
		p11__idx_release(&tok->keyidx);
		tok->keys = NULL;
		tok->keyinfo = NULL;
		tok->nkeys = 0;
		tok->keys_loaded = 0;
	}
	tok->keys_gen++;
}

void
p11__keys_release(struct p11_token *tok)
{
	keysets_free(tok->found);
	tok->found = NULL;
	keysets_free(tok->keys_buried);
	tok->keys_buried = NULL;
	tok->nsearches = 0;
	keys_free(tok->keys, tok->nkeys);
	p11__idx_release(&tok->keyidx);
	free(tok->keyinfo);
	tok->keyinfo = NULL;
	tok->keys = NULL;
	tok->nkeys = 0;
	tok->keys_loaded = 0;
}
