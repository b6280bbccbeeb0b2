/*
 * keyindex.c - which private key goes with a certificate: by CKA_ID, else
 * through an index of public-key fingerprints (fp.c), built once per token
 * (and again when a write changed its certificates).
 *
 * The key material comes from the private key object
 * itself (RSA keys carry their modulus), else from a public-key object or a
 * certificate whose CKA_ID then leads to the private key.  One search of the
 * public keys, the certificates already listed: linear to build, O(log n) a
 * lookup, where a search per certificate would be quadratic.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "../common/util.h"
#include "p11-int.h"

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

struct pub_acc {
	struct p11_fp *v;
	size_t n, cap;
};

static int
pub_one(void *arg, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *a, struct cr_err *err)
{
	struct pub_acc *acc = arg;
	unsigned char fp[P11_FP_LEN];
	int have = 0;

	(void)h;
	(void)err;
	if (a[1].pValue != NULL && a[1].ulValueLen > 0) {
		p11__fp_rsa(a[1].pValue, a[1].ulValueLen, fp);
		have = 1;
	} else if (a[2].pValue != NULL && a[2].ulValueLen > 0) {
		p11__fp_ec(a[2].pValue, a[2].ulValueLen, fp);
		have = 1;
	}
	if (have && a[0].pValue != NULL && a[0].ulValueLen > 0)
		fps_add(&acc->v, &acc->n, &acc->cap, fp, 1, a[0].pValue, a[0].ulValueLen);
	return CR_OK;
}

void
p11__fps_drop(struct p11_token *tok)
{
	fps_free(tok->fps, tok->nfps);
	tok->fps = NULL;
	tok->nfps = 0;
	tok->fps_loaded = 0;
}

/* Public-key objects: their key material, keyed back to a CKA_ID. */
static int
fps_from_pubkeys(struct p11_token *tok, struct p11_fp **v, size_t *n, size_t *cap,
    struct cr_err *err)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE filter[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	const CK_ATTRIBUTE want[] = {
		{ CKA_ID, NULL, 0 },
		/* each public key has one of these two: bounded, the other one's
		 * absence costs no second read (raw.c) */
		{ CKA_MODULUS, NULL, P11_ATMOST(2048) },	/* RSA-16384 */
		{ CKA_EC_POINT, NULL, P11_ATMOST(256) },	/* P-521: 136 */
	};
	struct pub_acc acc = { *v, *n, *cap };
	int r;

	r = p11__objects_read(tok, filter, 1, want, 3, "public keys",
	    "a public key's attributes", pub_one, &acc, err);
	*v = acc.v;
	*n = acc.n;
	*cap = acc.cap;
	return r;
}

static int
fps_ensure(struct p11_token *tok, struct cr_err *err)
{
	struct p11_fp *v = NULL;
	size_t n = 0, cap = 0, i;
	int r;

	if (tok->fps_loaded && tok->fps_gen == tok->certs_gen &&
	    tok->fps_keys_gen == tok->keys_gen)
		return CR_OK;
	p11__fps_drop(tok);	/* built from certificates or keys a write replaced */
	if ((r = p11__certs_ensure(tok, err)) != CR_OK)
		return r;
	for (i = 0; i < tok->nkeys; i++) {
		if (!tok->keyinfo[i].has)
			continue;
		fps_add(&v, &n, &cap, tok->keyinfo[i].fp, 0, NULL, 0);
		v[n - 1].key = &tok->keys[i];
	}
	if ((r = fps_from_pubkeys(tok, &v, &n, &cap, err)) != CR_OK) {
		fps_free(v, n);
		return r;
	}
	for (i = 0; i < tok->ncerts; i++) {
		unsigned char fp[P11_FP_LEN];
		const struct p11_cert_obj *c = &tok->certs[i];

		if (c->id_len > 0 && p11_cert_x509(c) != NULL &&
		    p11__fp_pkey(X509_get0_pubkey(p11_cert_x509(c)), fp))
			fps_add(&v, &n, &cap, fp, 2, c->id, c->id_len);
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), fp_cmp);
	tok->fps = v;
	tok->nfps = n;
	tok->fps_loaded = 1;
	tok->fps_gen = tok->certs_gen;
	tok->fps_keys_gen = tok->keys_gen;
	return CR_OK;
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

/* The first key with this CKA_ID, or NULL. */
static struct p11_key_obj *
key_first_by_id(struct p11_token *tok, const unsigned char *id, size_t len)
{
	size_t lo, hi;

	p11__idx_id_range(&tok->keyidx, id, len, &lo, &hi);
	return lo < hi ? tok->keyidx.by_id[lo]->obj : NULL;
}

/* The private key whose public key has this fingerprint (builds the index
 * on first use); *out NULL when none. */
static int
fps_find(struct p11_token *tok, const unsigned char fp[P11_FP_LEN],
    struct p11_key_obj **out, struct cr_err *err)
{
	size_t i;
	int r;

	*out = NULL;
	if ((r = fps_ensure(tok, err)) != CR_OK)
		return r;
	/* equal fingerprints sort the most direct evidence first */
	for (i = lb_fp(tok->fps, tok->nfps, fp); i < tok->nfps &&
	    memcmp(tok->fps[i].fp, fp, P11_FP_LEN) == 0; i++) {
		const struct p11_fp *f = &tok->fps[i];

		*out = f->key != NULL ? f->key : key_first_by_id(tok, f->id, f->id_len);
		if (*out != NULL)
			return CR_OK;
	}
	return CR_OK;
}

int
p11_key_for_cert(struct p11_token *tok, X509 *cert, const unsigned char *id,
    size_t id_len, struct p11_key_obj **out, struct cr_err *err)
{
	unsigned char fp[P11_FP_LEN];
	int have_fp = -1, r;	/* computed when needed: it costs a bignum export */
	size_t i, lo = 0, hi = 0;

	*out = NULL;
	if ((r = p11__keys_ensure(tok, NULL, err)) != CR_OK)
		return r;
	if (id != NULL && id_len > 0)
		p11__idx_id_range(&tok->keyidx, id, id_len, &lo, &hi);
	if (hi - lo == 1) {
		*out = tok->keyidx.by_id[lo]->obj;
		return CR_OK;
	}
	if (hi > lo) {
		/* several keys share the id: prefer the certificate's own */
		have_fp = p11__fp_pkey(X509_get0_pubkey(cert), fp);
		for (i = lo; have_fp && i < hi; i++) {
			struct p11_key_obj *k = tok->keyidx.by_id[i]->obj;
			const struct p11_keyinfo *kf = p11__key_info(k);

			if (kf->has && memcmp(kf->fp, fp, P11_FP_LEN) == 0) {
				*out = k;
				return CR_OK;
			}
		}
		*out = tok->keyidx.by_id[lo]->obj;
		return CR_OK;
	}
	if (have_fp < 0)
		have_fp = p11__fp_pkey(X509_get0_pubkey(cert), fp);
	if (!have_fp)
		return CR_OK;
	return fps_find(tok, fp, out, err);
}
