/*
 * sign.c - is this token key the certificate's?  Compare the public keys,
 * then prove it: sign a random message on the token and verify the
 * signature with the certificate's public key.
 *
 * The signature is made raw, C_SignInit + C_Sign on the key's handle in a
 * session of our own (login state is shared), over a SHA-256 digest made
 * here: RSA PKCS#1 v1.5 (CKM_RSA_PKCS over the DigestInfo, which every RSA
 * token offers), RSA-PSS for a certificate whose key is RSA-PSS only
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

/* DER DigestInfo prefix of SHA-256 (RFC 8017 9.2, note 1). */
static const unsigned char sha256_info[] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
	0x01, 0x05, 0x00, 0x04, 0x20,
};

struct tbs {
	unsigned char md[32];		/* SHA-256 of the random message */
	unsigned char in[sizeof(sha256_info) + 32];	/* what the token signs */
	CK_ULONG inlen;
	CK_MECHANISM mech;
	CK_RSA_PKCS_PSS_PARAMS pss;
	int pss_on;
};

/* The digest of a random message and the mechanism for this key and
 * certificate key; 0 when the message cannot be made. */
static int
tbs_make(struct tbs *t, CK_KEY_TYPE type, const EVP_PKEY *pub)
{
	unsigned char msg[32];
	unsigned int mdlen = 0;

	memset(t, 0, sizeof(*t));
	if (RAND_bytes(msg, sizeof(msg)) != 1 ||
	    EVP_Digest(msg, sizeof(msg), t->md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return 0;
	if (type == CKK_EC) {
		t->mech.mechanism = CKM_ECDSA;
		memcpy(t->in, t->md, 32);
		t->inlen = 32;
	} else if (EVP_PKEY_is_a(pub, "RSA-PSS")) {
		t->pss = (CK_RSA_PKCS_PSS_PARAMS){ CKM_SHA256, CKG_MGF1_SHA256, PSS_SALT };
		t->mech = (CK_MECHANISM){ CKM_RSA_PKCS_PSS, &t->pss, sizeof(t->pss) };
		t->pss_on = 1;
		memcpy(t->in, t->md, 32);
		t->inlen = 32;
	} else {
		t->mech.mechanism = CKM_RSA_PKCS;
		memcpy(t->in, sha256_info, sizeof(sha256_info));
		memcpy(t->in + sizeof(sha256_info), t->md, 32);
		t->inlen = sizeof(t->in);
	}
	return 1;
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

/* 1 when sig over t->md verifies with pub; 0 when not; -1 when pub cannot
 * verify this kind of signature at all. */
static int
verify(EVP_PKEY *pub, CK_KEY_TYPE type, const struct tbs *t, const unsigned char *sig,
    CK_ULONG siglen)
{
	EVP_PKEY_CTX *v = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
	unsigned char *der = NULL;
	int derlen = 0, ok = -1;

	if (v == NULL || EVP_PKEY_verify_init(v) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(v, EVP_sha256()) != 1)
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
		ok = EVP_PKEY_verify(v, der, (size_t)derlen, t->md, sizeof(t->md)) == 1;
	} else {
		ok = EVP_PKEY_verify(v, sig, siglen, t->md, sizeof(t->md)) == 1;
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
	struct tbs t;
	char name[160];
	CK_RV rv;
	int r = CR_EENV, ok;

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
	if (!tbs_make(&t, ki->type, pub)) {
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
	free(sig);
	return r;
}
