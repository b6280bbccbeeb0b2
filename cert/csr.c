/*
 * csr.c - PKCS#10 requests (csr.h).  Built with OpenSSL's structures rather
 * than from configuration strings (X509V3_EXT_conf), so that no name taken
 * from a configuration is ever parsed as OpenSSL's extension syntax.
 */
#include "csr.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "dn.h"
#include "../common/util.h"

/* ---- the subject --------------------------------------------------------- */

int
crt_name_from_text(const char *text, X509_NAME **out, struct cr_err *err)
{
	struct crt_dn dn = { NULL, 0 };
	X509_NAME *name = NULL;
	size_t end, start, i;
	int r;

	*out = NULL;
	if ((r = crt_dn_parse(text, &dn, err)) != CR_OK)
		goto out;
	if (dn.n == 0) {
		r = cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "bad subject '%s': it is empty", text);
		goto out;
	}
	name = X509_NAME_new();
	/* RDNs from the least specific (the text's last) to the most specific;
	   the AVAs of one RDN (joined by '+') stay in their written order */
	for (end = dn.n; end > 0; end = start) {
		for (start = end - 1; start > 0 && dn.ava[start].multi; start--)
			;
		for (i = start; i < end; i++) {
			ASN1_OBJECT *obj = crt_dn_type_obj(dn.ava[i].type);
			int ok = obj != NULL && X509_NAME_add_entry_by_OBJ(name, obj, MBSTRING_UTF8,
			    (const unsigned char *)dn.ava[i].value, -1, -1, i > start ? -1 : 0);

			ASN1_OBJECT_free(obj);
			if (!ok) {
				r = cr_err_ssl(err, CR_EINPUT, "bad subject '%s': %s='%s' cannot be "
				    "encoded", text, dn.ava[i].type, dn.ava[i].value);
				if (err != NULL)
					err->reason = CR_R_MALFORMED;
				goto out;
			}
		}
	}
	*out = name;
	name = NULL;
	r = CR_OK;
out:
	X509_NAME_free(name);
	crt_dn_release(&dn);
	return r;
}

/* ---- extensions -------------------------------------------------------- */

static int
is_ascii_name(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static int
san_ext(const struct crt_csr_spec *spec, STACK_OF(X509_EXTENSION) *exts, struct cr_err *err)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	X509_EXTENSION *ext = NULL;
	size_t i;
	int r = CR_EINPUT;

	for (i = 0; i < spec->ndns; i++) {
		GENERAL_NAME *g;
		ASN1_IA5STRING *s;

		if (!is_ascii_name(spec->dns[i])) {
			cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "'%s' cannot be a dNSName: "
			    "write it in ASCII (an internationalised name as its xn-- A-label)",
			    spec->dns[i]);
			goto out;
		}
		g = GENERAL_NAME_new();
		s = ASN1_IA5STRING_new();
		ASN1_STRING_set(s, spec->dns[i], (int)strlen(spec->dns[i]));
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
		sk_GENERAL_NAME_push(gens, g);
	}
	for (i = 0; i < spec->nips; i++) {
		ASN1_OCTET_STRING *ip = a2i_IPADDRESS(spec->ips[i]);
		GENERAL_NAME *g;

		if (ip == NULL) {
			cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "'%s' is not an IP address",
			    spec->ips[i]);
			goto out;
		}
		g = GENERAL_NAME_new();
		GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
		sk_GENERAL_NAME_push(gens, g);
	}
	if ((ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens)) == NULL) {
		cr_err_ssl(err, CR_EENV, "cannot encode the subjectAltName");
		r = CR_EENV;
		goto out;
	}
	sk_X509_EXTENSION_push(exts, ext);
	r = CR_OK;
out:
	ERR_clear_error();
	GENERAL_NAMES_free(gens);
	return r;
}

/* serverAuth, and keyUsage digitalSignature (critical): see csr.h. */
static int
usage_exts(STACK_OF(X509_EXTENSION) *exts)
{
	EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	X509_EXTENSION *e1 = NULL, *e2 = NULL;
	int ok;

	sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth));
	ASN1_BIT_STRING_set_bit(ku, 0, 1);	/* digitalSignature */
	e1 = X509V3_EXT_i2d(NID_ext_key_usage, 0, eku);
	e2 = X509V3_EXT_i2d(NID_key_usage, 1, ku);
	ok = e1 != NULL && e2 != NULL;
	if (ok) {
		sk_X509_EXTENSION_push(exts, e1);
		sk_X509_EXTENSION_push(exts, e2);
	} else {
		X509_EXTENSION_free(e1);
		X509_EXTENSION_free(e2);
	}
	EXTENDED_KEY_USAGE_free(eku);
	ASN1_BIT_STRING_free(ku);
	return ok;
}

/* ---- the request --------------------------------------------------------- */

/* The signature algorithm of md with pub's key type (NULL parameters for
 * RSA, none for ECDSA: RFC 4055, RFC 5758), or NULL. */
static X509_ALGOR *
sig_algor(EVP_PKEY *pub, const EVP_MD *md)
{
	int pkey_nid = EVP_PKEY_is_a(pub, "RSA") ? NID_rsaEncryption :
	    EVP_PKEY_is_a(pub, "EC") ? NID_X9_62_id_ecPublicKey : NID_undef;
	X509_ALGOR *alg;
	int sig_nid;

	if (pkey_nid == NID_undef ||
	    !OBJ_find_sigid_by_algs(&sig_nid, EVP_MD_get_type(md), pkey_nid) ||
	    (alg = X509_ALGOR_new()) == NULL)
		return NULL;
	if (X509_ALGOR_set0(alg, OBJ_nid2obj(sig_nid),
	    pkey_nid == NID_rsaEncryption ? V_ASN1_NULL : V_ASN1_UNDEF, NULL) != 1) {
		X509_ALGOR_free(alg);
		return NULL;
	}
	return alg;
}

/*
 * The request's algorithm, then its CertificationRequestInfo signed by the
 * signer: what X509_REQ_sign_ctx does, with the signature made elsewhere.
 */
static int
sign_req(X509_REQ *req, EVP_PKEY *pub, const struct crt_signer *signer, const EVP_MD *md,
    struct cr_err *err)
{
	X509_ALGOR *alg = sig_algor(pub, md);
	ASN1_BIT_STRING *bits = NULL;
	unsigned char *tbs = NULL, *sig = NULL;
	size_t siglen = 0;
	int tbslen, r;

	ERR_clear_error();
	if (alg == NULL) {
		r = cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "no signature algorithm combines "
		    "%s with a %s key", EVP_MD_get0_name(md), EVP_PKEY_get0_type_name(pub));
		goto out;
	}
	if (X509_REQ_set1_signature_algo(req, alg) != 1 ||
	    (tbslen = i2d_re_X509_REQ_tbs(req, &tbs)) <= 0) {
		r = cr_err_ssl(err, CR_EENV, "cannot encode the certificate request");
		goto out;
	}
	if ((r = signer->fn(signer->arg, md, tbs, (size_t)tbslen, &sig, &siglen, err)) != CR_OK)
		goto out;
	if ((bits = ASN1_BIT_STRING_new()) == NULL || siglen > INT_MAX ||
	    ASN1_BIT_STRING_set(bits, sig, (int)siglen) != 1) {
		r = cr_err_ssl(err, CR_EENV, "cannot store the certificate request's signature");
		goto out;
	}
	/* whole bytes: without this flag DER would count the last byte's
	   trailing zero bits as unused */
	bits->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	X509_REQ_set0_signature(req, bits);
	bits = NULL;
	/* proof that the token signed with the key whose public half goes to the CA */
	if (X509_REQ_verify(req, pub) != 1) {
		r = cr_err_ssl(err, CR_EENV, "the signature on the certificate request does not "
		    "verify with the new public key");
		goto out;
	}
	r = CR_OK;
out:
	ERR_clear_error();
	ASN1_BIT_STRING_free(bits);
	X509_ALGOR_free(alg);
	OPENSSL_free(tbs);
	free(sig);
	return r;
}

int
crt_csr_make(const struct crt_csr_spec *spec, EVP_PKEY *pub, const struct crt_signer *signer,
    X509_REQ **out, struct cr_err *err)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_REQ *req = X509_REQ_new();
	int r;

	*out = NULL;
	if (!X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    !X509_REQ_set_subject_name(req, spec->subject) || !X509_REQ_set_pubkey(req, pub)) {
		r = cr_err_ssl(err, CR_EENV, "cannot build the certificate request");
		goto out;
	}
	if ((r = san_ext(spec, exts, err)) != CR_OK)
		goto out;
	if (!usage_exts(exts) || !X509_REQ_add_extensions(req, exts)) {
		r = cr_err_ssl(err, CR_EENV, "cannot add the requested extensions");
		goto out;
	}
	if ((r = sign_req(req, pub, signer, spec->md, err)) != CR_OK)
		goto out;
	*out = req;
	req = NULL;
	r = CR_OK;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	return r;
}

char *
crt_csr_pem(X509_REQ *req, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *s = NULL;
	long n;

	*len = 0;
	if (b != NULL && PEM_write_bio_X509_REQ(b, req) == 1 &&
	    (n = BIO_get_mem_data(b, &data)) > 0) {
		s = cr_xstrndup(data, (size_t)n);
		*len = (size_t)n;
	}
	BIO_free(b);
	ERR_clear_error();
	return s;
}
