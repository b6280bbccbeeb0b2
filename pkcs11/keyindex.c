/*
 * keyindex.c - which private key goes with a certificate when no CKA_ID
 * pairs them: an index of public-key fingerprints, built once per token.
 *
 * A fingerprint is a type tag and the SHA-256 of the key material: the RSA
 * modulus or the EC point.  The material comes from the private key object
 * itself (RSA keys carry their modulus), else from a public-key object or a
 * certificate whose CKA_ID then leads to the private key.  One search of the
 * public keys, the certificates already listed: linear to build, O(log n) a
 * lookup, where a search per certificate would be quadratic.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../common/util.h"
#include "p11-int.h"

static void
fp_make(unsigned char tag, const unsigned char *p, size_t n, unsigned char fp[P11_FP_LEN])
{
	unsigned int len = 0;

	fp[0] = tag;
	EVP_Digest(p, n, fp + 1, &len, EVP_sha256(), NULL);
}

void
p11__fp_rsa(const unsigned char *mod, size_t n, unsigned char fp[P11_FP_LEN])
{
	while (n > 0 && *mod == 0) {
		mod++;
		n--;
	}
	fp_make('R', mod, n, fp);
}

/* CKA_EC_POINT is a DER OCTET STRING around the point (PKCS#11 2.40); some
 * modules give the bare point.  Unwrap when the DER reading is exact. */
void
p11__fp_ec(const unsigned char *p, size_t n, unsigned char fp[P11_FP_LEN])
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
			p11__fp_rsa(buf, (size_t)len, fp);
			free(buf);
			ok = 1;
		}
		BN_free(nbn);
	} else {
		unsigned char buf[256];
		size_t len = 0;

		if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf,
		    sizeof(buf), &len) == 1) {
			p11__fp_ec(buf, len, fp);
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
		return p11__raw_error(tok, "open a session", rv, err);
	if ((rv = p11__raw_find(fl, s, tmpl, 1, &h, &nh)) != CKR_OK) {
		p11__raw_error(tok, "list public keys", rv, err);
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
			p11__raw_error(tok, "read a public key's attributes", rv, err);
			goto out;
		}
		if (a[1].pValue != NULL && a[1].ulValueLen > 0) {
			p11__fp_rsa(a[1].pValue, a[1].ulValueLen, fp);
			have = 1;
		} else if (a[2].pValue != NULL && a[2].ulValueLen > 0) {
			p11__fp_ec(a[2].pValue, a[2].ulValueLen, fp);
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
fps_ensure(struct p11_token *tok, struct cr_err *err)
{
	struct p11_fp *v = NULL;
	size_t n = 0, cap = 0, i;
	int r;

	if (tok->fps_loaded)
		return CR_OK;
	if ((r = p11__certs_ensure(tok, err)) != CR_OK)
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

void
p11__fps_drop(struct p11_token *tok)
{
	fps_free(tok->fps, tok->nfps);
	tok->fps = NULL;
	tok->nfps = 0;
	tok->fps_loaded = 0;
}

int
p11__fps_find(struct p11_token *tok, const unsigned char fp[P11_FP_LEN],
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

		*out = f->key != NULL ? f->key : p11__key_first_by_id(tok, f->id, f->id_len);
		if (*out != NULL)
			return CR_OK;
	}
	return CR_OK;
}
