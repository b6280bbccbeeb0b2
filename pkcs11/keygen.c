/*
 * keygen.c - a key pair generated on the token (`renew`), with the template
 * written out rather than left to defaults: libp11 0.4.12's
 * PKCS11_generate_key is RSA only and sets no CKA_SENSITIVE /
 * CKA_EXTRACTABLE, and a token's defaults for those differ between vendors.
 *
 * The private key is made for one thing - signing on the token: private,
 * sensitive, never extractable, CKA_SIGN and no decrypt, unwrap, derive or
 * sign-recover.  (A TLS key that cannot decrypt still serves every (EC)DHE
 * cipher suite; only RSA key transport, which needs decryption, is out.)
 * The public key goes on the token beside it under the same CKA_ID and
 * CKA_LABEL, as pkcs11-tool --keypairgen does, so that the certificate can
 * be paired with the key by either, and an EC key's point is found (keyindex.c:
 * SoftHSM2's EC private keys do not carry it).
 *
 * Nothing is written before everything that can be checked was: the session
 * is read-write and logged in, no object of any class holds the CKA_ID or
 * the CKA_LABEL, the token says it can generate this mechanism and size.
 * After generating, the attributes are read back and believed over the
 * template: a token that quietly made the key extractable gets it destroyed
 * again.  Everything runs raw, on a read-write session of our own, through
 * the function list libp11 initialised (module.c), so that the login is
 * libp11's; the new key is then found as any other key (keys.c) and signs
 * with C_Sign on its handle (sign.c).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>

#include "../common/util.h"
#include "p11-int.h"

/* "'mail-2027' (CKA_ID 8A1F...)" for messages.  New string. */
static char *
pair_name(const struct p11_keygen *kg)
{
	char *hex = cr_hex_upper(kg->id, kg->id_len);
	char *s = cr_xasprintf("'%s' (CKA_ID %s)", kg->label, hex);

	free(hex);
	return s;
}

static const char *
class_name(CK_OBJECT_CLASS c)
{
	switch (c) {
	case CKO_PRIVATE_KEY: return "a private key";
	case CKO_PUBLIC_KEY: return "a public key";
	case CKO_CERTIFICATE: return "a certificate";
	case CKO_SECRET_KEY: return "a secret key";
	case CKO_DATA: return "a data object";
	default: return "an object";
	}
}

/*
 * Is the attribute `a` (CKA_ID or CKA_LABEL with its value) taken by any
 * object?  CR_OK when free; CR_EBLOCK naming what holds it.
 */
static int
taken(struct p11_token *tok, CK_SESSION_HANDLE s, CK_ATTRIBUTE *a, const struct p11_keygen *kg,
    struct cr_err *err)
{
	CK_FUNCTION_LIST *fl = tok->mod->fl;
	CK_OBJECT_HANDLE *h = NULL;
	CK_OBJECT_CLASS cls = (CK_OBJECT_CLASS)-1;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, NULL, 0 },
		{ CKA_ID, NULL, 0 },
	};
	struct cr_buf b = CR_BUF_INIT;
	size_t n = 0;
	char *hex;
	CK_RV rv;
	int r;

	if ((rv = p11__raw_find(fl, s, a, 1, &h, &n)) != CKR_OK)
		return p11__rv_fail(err, rv, tok->label, "cannot search the objects of token '%s'",
		    tok->label);
	if (n == 0) {
		free(h);
		return CR_OK;
	}
	/* what holds it, for the message only: a failed read just says less */
	if (p11__raw_attrs(fl, s, h[0], t, 3) != CKR_OK)
		cls = (CK_OBJECT_CLASS)-1;
	cr_buf_addf(&b, "token '%s' already holds %s ", tok->label, class_name(cls));
	if (a->type == CKA_ID) {
		hex = cr_hex_upper(kg->id, kg->id_len);
		cr_buf_addf(&b, "with CKA_ID %s", hex);
		if (t[1].pValue != NULL && t[1].ulValueLen > 0)
			cr_buf_addf(&b, " ('%s')", (const char *)t[1].pValue);
	} else {
		hex = t[2].pValue != NULL && t[2].ulValueLen > 0 ?
		    cr_hex_upper(t[2].pValue, t[2].ulValueLen) : NULL;
		cr_buf_addf(&b, "labelled '%s'", kg->label);
		if (hex != NULL)
			cr_buf_addf(&b, " (CKA_ID %s)", hex);
	}
	r = cr_err_setr(err, CR_EBLOCK, CR_R_OBJECT_EXISTS, "%s: not generated", cr_buf_str(&b));
	cr_buf_release(&b);
	free(hex);
	free(t[1].pValue);
	free(t[2].pValue);
	free(h);
	return r;
}

/* Can the token generate this?  Refuses only on a clear "no". */
static int
mechanism_ok(struct p11_token *tok, const struct p11_keygen *kg, CK_MECHANISM_TYPE mech,
    struct cr_err *err)
{
	CK_MECHANISM_INFO info;
	const char *mname = kg->alg == P11_KEYGEN_RSA ? "CKM_RSA_PKCS_KEY_PAIR_GEN" :
	    "CKM_EC_KEY_PAIR_GEN";
	const char *what = kg->alg == P11_KEYGEN_RSA ? "RSA" : "EC";
	unsigned long bits = kg->bits;
	CK_RV rv;

	memset(&info, 0, sizeof(info));
	rv = tok->mod->fl->C_GetMechanismInfo(tok->slot_id, mech, &info);
	if (rv == CKR_MECHANISM_INVALID || (rv == CKR_OK && !(info.flags & CKF_GENERATE_KEY_PAIR)))
		return cr_err_setr(err, CR_EENV, CR_R_TOKEN, "token '%s' cannot generate %s key "
		    "pairs (%s): nothing was generated", tok->label, what, mname);
	if (rv != CKR_OK)
		return CR_OK;	/* no answer: C_GenerateKeyPair will say */
	if (kg->alg == P11_KEYGEN_EC) {
		EC_GROUP *g = EC_GROUP_new_by_curve_name(kg->curve_nid);

		bits = g != NULL ? (unsigned long)EC_GROUP_get_degree(g) : 0;
		EC_GROUP_free(g);
		ERR_clear_error();
	}
	/* sizes in bits (RSA modulus, EC field); 0 / 0 means "not said" */
	if (bits > 0 && info.ulMaxKeySize > 0 &&
	    (bits < info.ulMinKeySize || bits > info.ulMaxKeySize))
		return cr_err_setr(err, CR_EENV, CR_R_TOKEN, "token '%s' cannot generate %s keys "
		    "of %lu bits (%s: %lu to %lu bits): nothing was generated", tok->label, what,
		    bits, mname, (unsigned long)info.ulMinKeySize, (unsigned long)info.ulMaxKeySize);
	return CR_OK;
}

/* The DER of the curve's OID (CKA_EC_PARAMS), or NULL.  OPENSSL_free it. */
static unsigned char *
ec_params(int nid, int *len)
{
	ASN1_OBJECT *obj = OBJ_nid2obj(nid);
	unsigned char *der = NULL;

	*len = obj != NULL ? i2d_ASN1_OBJECT(obj, &der) : 0;
	ERR_clear_error();
	if (*len <= 0) {
		OPENSSL_free(der);
		return NULL;
	}
	return der;
}

/* The templates, filled into the caller's arrays. */
struct templates {
	CK_OBJECT_CLASS pubcls, privcls;
	CK_KEY_TYPE type;
	CK_BBOOL yes, no;
	CK_ULONG bits;
	CK_BYTE exponent[3];
	unsigned char *params;		/* EC: OPENSSL_malloc'ed */
	int nparams;
	CK_ATTRIBUTE pub[12], priv[14];
	CK_ULONG npub, npriv;
};

#define ADD(arr, n, t, p, l) do { \
	(arr)[(n)].type = (t); (arr)[(n)].pValue = (void *)(p); (arr)[(n)++].ulValueLen = (l); \
} while (0)

static int
templates_fill(struct templates *t, const struct p11_keygen *kg)
{
	memset(t, 0, sizeof(*t));
	t->pubcls = CKO_PUBLIC_KEY;
	t->privcls = CKO_PRIVATE_KEY;
	t->type = kg->alg == P11_KEYGEN_RSA ? CKK_RSA : CKK_EC;
	t->yes = CK_TRUE;
	t->no = CK_FALSE;
	t->bits = kg->bits;
	t->exponent[0] = 0x01;		/* 65537 */
	t->exponent[1] = 0x00;
	t->exponent[2] = 0x01;

	ADD(t->pub, t->npub, CKA_CLASS, &t->pubcls, sizeof(t->pubcls));
	ADD(t->pub, t->npub, CKA_KEY_TYPE, &t->type, sizeof(t->type));
	ADD(t->pub, t->npub, CKA_TOKEN, &t->yes, sizeof(t->yes));
	ADD(t->pub, t->npub, CKA_PRIVATE, &t->no, sizeof(t->no));
	ADD(t->pub, t->npub, CKA_VERIFY, &t->yes, sizeof(t->yes));
	ADD(t->pub, t->npub, CKA_ENCRYPT, &t->no, sizeof(t->no));
	ADD(t->pub, t->npub, CKA_WRAP, &t->no, sizeof(t->no));
	ADD(t->pub, t->npub, CKA_ID, kg->id, kg->id_len);
	ADD(t->pub, t->npub, CKA_LABEL, kg->label, strlen(kg->label));
	if (kg->alg == P11_KEYGEN_RSA) {
		ADD(t->pub, t->npub, CKA_MODULUS_BITS, &t->bits, sizeof(t->bits));
		ADD(t->pub, t->npub, CKA_PUBLIC_EXPONENT, t->exponent, sizeof(t->exponent));
	} else {
		if ((t->params = ec_params(kg->curve_nid, &t->nparams)) == NULL)
			return -1;
		ADD(t->pub, t->npub, CKA_EC_PARAMS, t->params, (CK_ULONG)t->nparams);
	}

	ADD(t->priv, t->npriv, CKA_CLASS, &t->privcls, sizeof(t->privcls));
	ADD(t->priv, t->npriv, CKA_KEY_TYPE, &t->type, sizeof(t->type));
	ADD(t->priv, t->npriv, CKA_TOKEN, &t->yes, sizeof(t->yes));
	ADD(t->priv, t->npriv, CKA_PRIVATE, &t->yes, sizeof(t->yes));
	ADD(t->priv, t->npriv, CKA_SENSITIVE, &t->yes, sizeof(t->yes));
	ADD(t->priv, t->npriv, CKA_EXTRACTABLE, &t->no, sizeof(t->no));
	ADD(t->priv, t->npriv, CKA_SIGN, &t->yes, sizeof(t->yes));
	ADD(t->priv, t->npriv, CKA_SIGN_RECOVER, &t->no, sizeof(t->no));
	ADD(t->priv, t->npriv, CKA_DECRYPT, &t->no, sizeof(t->no));
	ADD(t->priv, t->npriv, CKA_UNWRAP, &t->no, sizeof(t->no));
	ADD(t->priv, t->npriv, CKA_DERIVE, &t->no, sizeof(t->no));
	ADD(t->priv, t->npriv, CKA_ID, kg->id, kg->id_len);
	ADD(t->priv, t->npriv, CKA_LABEL, kg->label, strlen(kg->label));
	return 0;
}

/* ---- reading back ---------------------------------------------------------- */

static int
bool_of(const CK_ATTRIBUTE *a)
{
	if (a->pValue == NULL || a->ulValueLen != sizeof(CK_BBOOL))
		return -1;
	return *(const CK_BBOOL *)a->pValue ? 1 : 0;
}

static CK_RV
read_flags(struct p11_token *tok, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
    struct p11_key_flags *f)
{
	static const CK_ATTRIBUTE_TYPE types[] = {
		CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_ALWAYS_SENSITIVE,
		CKA_NEVER_EXTRACTABLE, CKA_LOCAL, CKA_SIGN, CKA_DECRYPT, CKA_UNWRAP, CKA_DERIVE,
	};
	int *const dst[] = {
		&f->token, &f->private_, &f->sensitive, &f->extractable, &f->always_sensitive,
		&f->never_extractable, &f->local, &f->sign, &f->decrypt, &f->unwrap, &f->derive,
	};
	CK_ATTRIBUTE t[sizeof(types) / sizeof(types[0])];
	size_t i, n = sizeof(types) / sizeof(types[0]);
	CK_RV rv;

	for (i = 0; i < n; i++) {
		t[i].type = types[i];
		t[i].pValue = NULL;
		t[i].ulValueLen = sizeof(CK_BBOOL);
	}
	rv = p11__raw_attrs(tok->mod->fl, s, h, t, (CK_ULONG)n);
	for (i = 0; i < n; i++) {
		*dst[i] = rv == CKR_OK ? bool_of(&t[i]) : -1;
		free(t[i].pValue);
	}
	return rv;
}

/* The first thing a key made for signing only must not be, or NULL. */
static const char *
flags_wrong(const struct p11_key_flags *f)
{
	if (f->token != 1)
		return "not stored on the token (CKA_TOKEN)";
	if (f->private_ != 1)
		return "readable without login (CKA_PRIVATE false)";
	if (f->sensitive != 1)
		return "not sensitive (CKA_SENSITIVE false)";
	if (f->extractable != 0)
		return "extractable (CKA_EXTRACTABLE true)";
	if (f->sign != 1)
		return "unable to sign (CKA_SIGN false)";
	if (f->decrypt == 1 || f->unwrap == 1 || f->derive == 1)
		return "usable beyond signing (CKA_DECRYPT, CKA_UNWRAP or CKA_DERIVE true)";
	return NULL;
}

static EVP_PKEY *
pkey_fromdata(const char *type, OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pk = NULL;

	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

static EVP_PKEY *
rsa_public(const CK_ATTRIBUTE *mod, const CK_ATTRIBUTE *exp)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY *pk = NULL;

	if (b == NULL || mod->pValue == NULL || exp->pValue == NULL)
		goto out;
	n = BN_bin2bn(mod->pValue, (int)mod->ulValueLen, NULL);
	e = BN_bin2bn(exp->pValue, (int)exp->ulValueLen, NULL);
	if (n == NULL || e == NULL || !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (params = OSSL_PARAM_BLD_to_param(b)) == NULL)
		goto out;
	pk = pkey_fromdata("RSA", params);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	BN_free(n);
	BN_free(e);
	return pk;
}

static EVP_PKEY *
ec_public(int nid, const CK_ATTRIBUTE *point)
{
	const unsigned char *p = point->pValue;
	size_t n = point->ulValueLen;
	OSSL_PARAM params[3];
	const char *group = OBJ_nid2sn(nid);

	if (p == NULL || group == NULL)
		return NULL;
	p11__ec_point_unwrap(&p, &n);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)p, n);
	params[2] = OSSL_PARAM_construct_end();
	return pkey_fromdata("EC", params);
}

/* The new public-key object as an EVP_PKEY, or NULL. */
static EVP_PKEY *
read_public(struct p11_token *tok, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
    const struct p11_keygen *kg)
{
	CK_ATTRIBUTE t[] = {
		{ CKA_MODULUS, NULL, 512 },		/* RSA-4096 fits */
		{ CKA_PUBLIC_EXPONENT, NULL, 8 },
		{ CKA_EC_POINT, NULL, 0 },
	};
	EVP_PKEY *pk = NULL;
	size_t i;

	if (kg->alg == P11_KEYGEN_RSA) {
		if (p11__raw_attrs(tok->mod->fl, s, h, t, 2) == CKR_OK)
			pk = rsa_public(&t[0], &t[1]);
	} else if (p11__raw_attrs(tok->mod->fl, s, h, &t[2], 1) == CKR_OK) {
		pk = ec_public(kg->curve_nid, &t[2]);
	}
	for (i = 0; i < 3; i++)
		free(t[i].pValue);
	ERR_clear_error();
	return pk;
}

static void
destroy_pair(struct p11_token *tok, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv,
    CK_OBJECT_HANDLE pub)
{
	(void)tok->mod->fl->C_DestroyObject(s, priv);
	(void)tok->mod->fl->C_DestroyObject(s, pub);
}

/* The new private key as keys.c finds it (its CKA_ID and label are the
 * pair's alone: preflight saw to that). */
static int
find_new(struct p11_token *tok, const struct p11_keygen *kg, struct p11_key_obj **out,
    struct cr_err *err)
{
	struct p11_ptrs hits = { NULL, 0, 0 };
	int r;

	*out = NULL;
	if ((r = p11__keys_select(tok, 1, kg->id, kg->id_len, kg->label, &hits, err)) != CR_OK)
		return r;
	if (hits.n == 1)
		*out = hits.v[0];
	free(hits.v);
	if (*out == NULL)
		return cr_err_setr(err, CR_EENV, CR_R_TOKEN,
		    "token '%s' does not list the key it just generated", tok->label);
	return CR_OK;
}

/* ---- the API ----------------------------------------------------------------- */

/* Everything before C_GenerateKeyPair: nothing is written when it fails. */
static int
preflight(struct p11_token *tok, CK_SESSION_HANDLE s, const struct p11_keygen *kg,
    CK_MECHANISM_TYPE mech, struct cr_err *err)
{
	CK_ATTRIBUTE by_id = { CKA_ID, (void *)kg->id, kg->id_len };
	CK_ATTRIBUTE by_label = { CKA_LABEL, (void *)kg->label, strlen(kg->label) };
	int r;

	if ((r = taken(tok, s, &by_id, kg, err)) != CR_OK ||
	    (r = taken(tok, s, &by_label, kg, err)) != CR_OK)
		return r;
	return mechanism_ok(tok, kg, mech, err);
}

int
p11_token_generate_key(struct p11_token *tok, const struct p11_keygen *kg,
    struct p11_newkey **out, struct cr_err *err)
{
	CK_MECHANISM mech = { kg->alg == P11_KEYGEN_RSA ? CKM_RSA_PKCS_KEY_PAIR_GEN :
	    CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	struct p11_newkey *nk = NULL;
	struct templates t;
	const char *wrong;
	char *name = NULL;
	CK_RV rv;
	int r, opened = 0, made = 0;

	*out = NULL;
	memset(&t, 0, sizeof(t));
	if (kg->id == NULL || kg->id_len == 0 || kg->label == NULL || kg->label[0] == '\0' ||
	    (kg->alg == P11_KEYGEN_RSA && kg->bits == 0))
		return cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED,
		    "cannot generate a key without a CKA_ID, a CKA_LABEL and a size");
	if ((r = p11__need_rw(tok, "generate a key on", err)) != CR_OK)
		return r;
	name = pair_name(kg);
	if (templates_fill(&t, kg) != 0) {
		r = cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "unknown curve for the key %s", name);
		goto out;
	}
	if ((rv = p11__raw_open(tok, 1, &s)) != CKR_OK) {
		r = p11__rv_fail(err, rv, tok->label, "cannot open a read-write session on token '%s'",
		    tok->label);
		goto out;
	}
	opened = 1;
	if ((r = preflight(tok, s, kg, mech.mechanism, err)) != CR_OK)
		goto out;

	rv = tok->mod->fl->C_GenerateKeyPair(s, &mech, t.pub, t.npub, t.priv, t.npriv, &hpub,
	    &hpriv);
	if (rv != CKR_OK) {
		r = p11__rv_fail(err, rv, tok->label, "cannot generate the key pair %s on token '%s'",
		    name, tok->label);
		goto out;
	}
	made = 1;
	nk = cr_xcalloc(1, sizeof(*nk));
	nk->token = tok;
	nk->priv_handle = hpriv;
	nk->pub_handle = hpub;
	/* the token's word over our template */
	rv = read_flags(tok, s, hpriv, &nk->flags);
	if (rv != CKR_OK) {
		r = p11__rv_fail(err, rv, tok->label, "cannot read back the key %s on token '%s'",
		    name, tok->label);
		goto out;
	}
	if ((wrong = flags_wrong(&nk->flags)) != NULL) {
		r = cr_err_setr(err, CR_EENV, CR_R_TOKEN, "token '%s' made the key %s %s against "
		    "the template: the pair was destroyed again", tok->label, name, wrong);
		goto out;
	}
	if ((nk->pub = read_public(tok, s, hpub, kg)) == NULL) {
		r = cr_err_setr(err, CR_EENV, CR_R_TOKEN, "cannot read the public key of %s on "
		    "token '%s': the pair was destroyed again", name, tok->label);
		goto out;
	}
	p11__raw_close(tok, s);
	opened = 0;
	p11__keys_forget(tok);
	if ((r = find_new(tok, kg, &nk->key, err)) != CR_OK)
		goto out;
	*out = nk;
	nk = NULL;
	made = 0;
	r = CR_OK;
out:
	if (made) {
		/* all or nothing: a pair renew cannot vouch for does not stay */
		if (!opened && p11__raw_open(tok, 1, &s) == CKR_OK)
			opened = 1;
		if (opened)
			destroy_pair(tok, s, hpriv, hpub);
		p11__keys_forget(tok);
	}
	if (opened)
		p11__raw_close(tok, s);
	p11_newkey_free(nk);
	OPENSSL_free(t.params);
	free(name);
	return r;
}

int
p11_newkey_discard(struct p11_newkey *nk, struct cr_err *err)
{
	struct p11_token *tok = nk->token;
	CK_SESSION_HANDLE s;
	CK_RV rv, rv2;

	if ((rv = p11__raw_open(tok, 1, &s)) != CKR_OK)
		return p11__rv_fail(err, rv, tok->label, "cannot open a read-write session on token "
		    "'%s'", tok->label);
	rv = tok->mod->fl->C_DestroyObject(s, (CK_OBJECT_HANDLE)nk->priv_handle);
	rv2 = tok->mod->fl->C_DestroyObject(s, (CK_OBJECT_HANDLE)nk->pub_handle);
	p11__raw_close(tok, s);
	p11__keys_forget(tok);
	nk->key = NULL;
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		rv = CKR_OK;	/* gone already */
	if (rv == CKR_OK && rv2 != CKR_OBJECT_HANDLE_INVALID)
		rv = rv2;
	if (rv != CKR_OK)
		return p11__rv_fail(err, rv, tok->label, "cannot remove the new key pair from token "
		    "'%s'", tok->label);
	return CR_OK;
}

void
p11_newkey_free(struct p11_newkey *nk)
{
	if (nk == NULL)
		return;
	EVP_PKEY_free(nk->pub);
	free(nk);
}
