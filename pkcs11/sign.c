/*
 * sign.c - signatures made on the token: is this token key the
 * certificate's (compare the public keys, then sign a random message on the
 * token and verify the signature with the certificate's public key), and
 * the signature of a certificate request (renew).
 *
 * Signatures are made raw, C_SignInit + C_Sign on the key's handle in a
 * session of our own (login state is shared), over a digest made here: RSA
 * PKCS#1 v1.5 (CKM_RSA_PKCS over the DigestInfo, which every RSA token
 * offers), RSA-PSS for a certificate whose key is RSA-PSS only
 * (CKM_RSA_PKCS_PSS), ECDSA (CKM_ECDSA; r || s turned into DER).  About five
 * calls, and nothing of the key leaves the token.  libp11's EVP_PKEY would
 * do the same after PKCS11_enumerate_keys, about seven calls for every key
 * on the token (libp11 0.4.12 has no way to reach one key alone).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "../common/util.h"
#include "p11-int.h"

#define SIG_MAX 2048	/* RSA-16384; ECDSA P-521 is 132 */
#define PSS_SALT 32	/* the digest's length */

/* "'mail-2026'" or "with CKA_ID 20" for messages, into buf. */
static const char *
key_name(const struct p11_key_obj *k, char *buf, size_t len)
{
	if (k->label != NULL && k->label[0] != '\0') {
		snprintf(buf, len, "'%s'", k->label);
	} else {
		char *hex = cr_hex_upper(k->id, k->id_len);

		snprintf(buf, len, "with CKA_ID %s", hex[0] ? hex : "(none)");
		free(hex);
	}
	return buf;
}

static int
is_rsa(const EVP_PKEY *k)
{
	return EVP_PKEY_is_a(k, "RSA") || EVP_PKEY_is_a(k, "RSA-PSS");
}

struct tbs {
	const EVP_MD *md;
	unsigned char dg[EVP_MAX_MD_SIZE];	/* the digest of the message */
	unsigned int dglen;
	unsigned char *in;			/* what the token signs (OPENSSL_free) */
	CK_ULONG inlen;
	CK_MECHANISM mech;
	CK_RSA_PKCS_PSS_PARAMS pss;
	int pss_on;
};

/* The DER DigestInfo of the digest (RFC 8017 9.2) into t->in; 0 on failure. */
static int
digest_info(struct tbs *t)
{
	X509_SIG *di = X509_SIG_new();
	X509_ALGOR *alg = NULL;
	ASN1_OCTET_STRING *dg = NULL;
	unsigned char *der = NULL;
	int len = 0;

	if (di == NULL)
		return 0;
	X509_SIG_getm(di, &alg, &dg);
	if (X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_get_type(t->md)), V_ASN1_NULL, NULL) == 1 &&
	    ASN1_OCTET_STRING_set(dg, t->dg, (int)t->dglen) == 1)
		len = i2d_X509_SIG(di, &der);
	X509_SIG_free(di);
	if (len <= 0)
		return 0;
	t->in = der;
	t->inlen = (CK_ULONG)len;
	return 1;
}

/*
 * The digest (md) of msg and the mechanism and input for a key of this
 * type; RSA-PSS (SHA-256, salt of the digest's length) when pss.  0 when
 * they cannot be made.  tbs_release it.
 */
static int
tbs_make(struct tbs *t, CK_KEY_TYPE type, int pss, const EVP_MD *md, const unsigned char *msg,
    size_t len)
{
	memset(t, 0, sizeof(*t));
	t->md = md;
	if (EVP_Digest(msg, len, t->dg, &t->dglen, md, NULL) != 1)
		return 0;
	if (type == CKK_EC || pss) {
		if ((t->in = OPENSSL_memdup(t->dg, t->dglen)) == NULL)
			return 0;
		t->inlen = t->dglen;
		t->mech.mechanism = CKM_ECDSA;
		if (type != CKK_EC) {
			t->pss = (CK_RSA_PKCS_PSS_PARAMS){ CKM_SHA256, CKG_MGF1_SHA256, PSS_SALT };
			t->mech = (CK_MECHANISM){ CKM_RSA_PKCS_PSS, &t->pss, sizeof(t->pss) };
			t->pss_on = 1;
		}
		return 1;
	}
	t->mech.mechanism = CKM_RSA_PKCS;
	return digest_info(t);
}

static void
tbs_release(struct tbs *t)
{
	OPENSSL_free(t->in);
	t->in = NULL;
}

/* C_SignInit + C_Sign in a session of our own; *sig new (free()). */
static CK_RV
token_sign(struct p11_token *tok, CK_OBJECT_HANDLE h, struct tbs *t, unsigned char **sig,
    CK_ULONG *siglen)
{
	CK_FUNCTION_LIST *fl = tok->mod->fl;
	CK_SESSION_HANDLE s;
	CK_ULONG len = SIG_MAX;
	unsigned char *buf = cr_xmalloc(SIG_MAX);
	CK_RV rv;

	*sig = NULL;
	*siglen = 0;
	if ((rv = p11__raw_open(tok, 0, &s)) != CKR_OK) {
		free(buf);
		return rv;
	}
	if ((rv = fl->C_SignInit(s, &t->mech, h)) == CKR_OK) {
		rv = fl->C_Sign(s, t->in, t->inlen, buf, &len);
		if (rv == CKR_BUFFER_TOO_SMALL && len > SIG_MAX && len <= 8 * SIG_MAX) {
			/* the operation is still active: ask again with room */
			buf = cr_xrealloc(buf, len);
			rv = fl->C_Sign(s, t->in, t->inlen, buf, &len);
		}
	}
	p11__raw_close(tok, s);
	if (rv != CKR_OK) {
		free(buf);
		return rv;
	}
	*sig = buf;
	*siglen = len;
	return CKR_OK;
}

/* An ECDSA r || s as DER (new, OPENSSL_free()), or NULL. */
static unsigned char *
ecdsa_der(const unsigned char *rs, size_t len, int *derlen)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;

	*derlen = 0;
	if (es == NULL || len == 0 || len % 2 != 0)
		goto out;
	r = BN_bin2bn(rs, (int)(len / 2), NULL);
	s = BN_bin2bn(rs + len / 2, (int)(len / 2), NULL);
	if (r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL;	/* es owns them */
	*derlen = i2d_ECDSA_SIG(es, &der);
	if (*derlen <= 0) {
		der = NULL;
		*derlen = 0;
	}
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return der;
}

/* 1 when sig over t->dg verifies with pub; 0 when not; -1 when pub cannot
 * verify this kind of signature at all. */
static int
verify(EVP_PKEY *pub, CK_KEY_TYPE type, const struct tbs *t, const unsigned char *sig,
    CK_ULONG siglen)
{
	EVP_PKEY_CTX *v = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
	unsigned char *der = NULL;
	int derlen = 0, ok = -1;

	if (v == NULL || EVP_PKEY_verify_init(v) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(v, t->md) != 1)
		goto out;
	if (t->pss_on && (EVP_PKEY_CTX_set_rsa_padding(v, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(v, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(v, PSS_SALT) != 1))
		goto out;
	if (!t->pss_on && type == CKK_RSA &&
	    EVP_PKEY_CTX_set_rsa_padding(v, RSA_PKCS1_PADDING) != 1)
		goto out;
	if (type == CKK_EC) {
		if ((der = ecdsa_der(sig, siglen, &derlen)) == NULL) {
			ok = 0;	/* not r || s: not a signature of this key */
			goto out;
		}
		ok = EVP_PKEY_verify(v, der, (size_t)derlen, t->dg, t->dglen) == 1;
	} else {
		ok = EVP_PKEY_verify(v, sig, siglen, t->dg, t->dglen) == 1;
	}
out:
	ERR_clear_error();
	OPENSSL_free(der);
	EVP_PKEY_CTX_free(v);
	return ok;
}

/* Do the key's type and (when the key object told it) its public key say
 * it is the certificate's? */
static int
same_public_key(const struct p11_keyinfo *ki, EVP_PKEY *pub)
{
	unsigned char fp[P11_FP_LEN];

	if (ki->type == CKK_RSA ? !is_rsa(pub) : !EVP_PKEY_is_a(pub, "EC"))
		return 0;
	/* an EC key object without its point: the signature decides */
	if (!ki->has || !p11__fp_pkey(pub, fp))
		return 1;
	return memcmp(ki->fp, fp, P11_FP_LEN) == 0;
}

int
p11_key_test_sign(struct p11_key_obj *key, X509 *cert, struct cr_err *err)
{
	struct p11_token *tok = key->token;
	const struct p11_keyinfo *ki = p11__key_info(key);
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	unsigned char *sig = NULL;
	CK_ULONG siglen = 0;
	unsigned char msg[32];
	struct tbs t;
	char name[160];
	CK_RV rv;
	int r = CR_EENV, ok;

	memset(&t, 0, sizeof(t));
	key_name(key, name, sizeof(name));
	ERR_clear_error();
	if (pub == NULL) {
		r = cr_err_ssl(err, CR_EBLOCK, "cannot read the public key of the certificate "
		    "to test key %s on token '%s'", name, tok->label);
		goto out;
	}
	/* public keys first: a clear "not this certificate's key" */
	if (!same_public_key(ki, pub)) {
		r = cr_err_set(err, CR_EBLOCK,
		    "key %s on token '%s' does not match the certificate's public key", name,
		    tok->label);
		goto out;
	}
	if (RAND_bytes(msg, sizeof(msg)) != 1 ||
	    !tbs_make(&t, ki->type, EVP_PKEY_is_a(pub, "RSA-PSS"), EVP_sha256(), msg, sizeof(msg))) {
		r = cr_err_ssl(err, CR_EENV, "cannot make a random test message");
		goto out;
	}
	if ((rv = token_sign(tok, ki->handle, &t, &sig, &siglen)) != CKR_OK) {
		r = p11__rv_fail(err, rv, tok->label, "cannot sign with key %s on token '%s'", name,
		    tok->label);
		goto out;
	}
	ok = verify(pub, ki->type, &t, sig, siglen);
	if (ok < 0) {
		r = cr_err_set(err, CR_EBLOCK, "the certificate's public key cannot verify "
		    "signatures of key %s on token '%s'", name, tok->label);
		goto out;
	}
	if (!ok) {
		r = cr_err_set(err, CR_EBLOCK, "a signature made with key %s on token '%s' does "
		    "not verify with the certificate's public key", name, tok->label);
		goto out;
	}
	r = CR_OK;
out:
	ERR_clear_error();
	tbs_release(&t);
	free(sig);
	return r;
}

int
p11_key_sign(struct p11_key_obj *key, const EVP_MD *md, const unsigned char *data, size_t len,
    unsigned char **sig, size_t *siglen, struct cr_err *err)
{
	struct p11_token *tok = key->token;
	const struct p11_keyinfo *ki = p11__key_info(key);
	unsigned char *raw = NULL, *der = NULL;
	CK_ULONG rawlen = 0;
	struct tbs t;
	char name[160];
	CK_RV rv;
	int derlen = 0, r = CR_EENV;

	*sig = NULL;
	*siglen = 0;
	key_name(key, name, sizeof(name));
	ERR_clear_error();
	if (!tbs_make(&t, ki->type, 0, md, data, len)) {
		r = cr_err_ssl(err, CR_EENV, "cannot digest what key %s on token '%s' is to sign",
		    name, tok->label);
		goto out;
	}
	if ((rv = token_sign(tok, ki->handle, &t, &raw, &rawlen)) != CKR_OK) {
		r = p11__rv_fail(err, rv, tok->label, "cannot sign with key %s on token '%s'", name,
		    tok->label);
		goto out;
	}
	if (ki->type == CKK_EC) {
		/* X.509 wants ECDSA-Sig-Value, the token gives r || s */
		if ((der = ecdsa_der(raw, rawlen, &derlen)) == NULL) {
			r = cr_err_setr(err, CR_EENV, CR_R_TOKEN, "key %s on token '%s' made an "
			    "ECDSA signature of %lu bytes, not r || s", name, tok->label,
			    (unsigned long)rawlen);
			goto out;
		}
		free(raw);
		raw = cr_xmalloc((size_t)derlen);
		memcpy(raw, der, (size_t)derlen);
		rawlen = (CK_ULONG)derlen;
	}
	*sig = raw;
	*siglen = rawlen;
	raw = NULL;
	r = CR_OK;
out:
	ERR_clear_error();
	tbs_release(&t);
	OPENSSL_free(der);
	free(raw);
	return r;
}
