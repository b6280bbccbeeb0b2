/*
 * tokenfill.c - fills a SoftHSM2 token with N certificates (and private keys
 * for the first K of them) in one session, for bench/run.sh.
 *
 *   tokenfill MODULE LABEL PIN-FILE N K DIR
 *
 * The token LABEL must exist (softhsm2-util --init-token) with the user PIN
 * in PIN-FILE (first line).  Writes DIR/ca.pem: one P-256 CA ("CN=Bench CA,
 * O=Contoso, C=US").  Certificate k (1..N) gets its own P-256 key, subject
 * "CN=hNNNNN.contoso.com, O=Contoso, C=US", SAN DNS hNNNNN.contoso.com and
 * mail.contoso.com, EKU serverAuth, serial k, valid -1d..+365d, signed by
 * the CA; it is stored as a certificate object with CKA_LABEL "cNNNNN" and
 * CKA_ID the 4 bytes of k (big-endian).  For k <= K the private key is
 * stored too (CKA_ID and CKA_LABEL as its certificate's, sensitive, sign).
 * One C_CreateObject per object in one logged-in session: a pkcs11-tool
 * process per object would take minutes.
 *
 * Prints one line per certificate: "cNNNNN IDHEX SHA1 SHA256" (upper-case
 * hex of the DER), for the inventory generator.
 *
 * Bench tooling, not part of certrotate: it exits on the first failure.
 * Test PINs only.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <p11-kit/pkcs11.h>

static void
die(const char *what, unsigned long rv)
{
	fprintf(stderr, "tokenfill: %s failed (0x%lx)\n", what, rv);
	exit(1);
}

static EVP_PKEY *
ec_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	if (k == NULL)
		die("EC key generation", 0);
	return k;
}

static X509_NAME *
name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	if (n == NULL ||
	    !X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Contoso", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0))
		die("X509_NAME", 0);
	return n;
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL || !X509_add_ext(x, e, -1))
		die("extension", 0);
	X509_EXTENSION_free(e);
}

/* ca NULL: self-signed CA certificate */
static X509 *
make(long serial, X509_NAME *subject, X509 *ca, EVP_PKEY *pub, EVP_PKEY *signer,
    const char *san)
{
	X509 *x = X509_new();

	if (x == NULL || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), serial) ||
	    !X509_set_subject_name(x, subject) ||
	    !X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : subject) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -86400L) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 365 * 86400L) == NULL ||
	    !X509_set_pubkey(x, pub))
		die("certificate", 0);
	if (ca == NULL) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
		add_ext(x, x, NID_subject_key_identifier, "hash");
	} else {
		add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, ca, NID_key_usage, "critical,digitalSignature");
		add_ext(x, ca, NID_ext_key_usage, "serverAuth");
		add_ext(x, ca, NID_subject_alt_name, san);
		add_ext(x, ca, NID_authority_key_identifier, "keyid");
	}
	if (X509_sign(x, signer, EVP_sha256()) <= 0)
		die("signing", 0);
	return x;
}

static void
hex(const unsigned char *d, unsigned n, char *out)
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static CK_FUNCTION_LIST *
module(const char *path)
{
	CK_RV (*getfl)(CK_FUNCTION_LIST **);
	CK_FUNCTION_LIST *f;
	CK_RV rv;
	void *h;

	if ((h = dlopen(path, RTLD_NOW)) == NULL) {
		fprintf(stderr, "tokenfill: %s\n", dlerror());
		exit(1);
	}
	*(void **)&getfl = dlsym(h, "C_GetFunctionList");
	if (getfl == NULL || (rv = getfl(&f)) != CKR_OK)
		die("C_GetFunctionList", 0);
	if ((rv = f->C_Initialize(NULL)) != CKR_OK)
		die("C_Initialize", rv);
	return f;
}

static CK_SLOT_ID
find_token(CK_FUNCTION_LIST *f, const char *label)
{
	CK_SLOT_ID slots[64];
	CK_ULONG nslots = 64, i;
	CK_TOKEN_INFO ti;
	CK_RV rv;
	char want[32];
	size_t n = strlen(label);

	if ((rv = f->C_GetSlotList(CK_TRUE, slots, &nslots)) != CKR_OK)
		die("C_GetSlotList", rv);
	memset(want, ' ', sizeof(want));
	memcpy(want, label, n < sizeof(want) ? n : sizeof(want));
	for (i = 0; i < nslots; i++)
		if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    (ti.flags & CKF_TOKEN_INITIALIZED) && memcmp(ti.label, want, sizeof(want)) == 0)
			return slots[i];
	die("finding the token", 0);
	return 0;
}

/* DER of a value through an i2d function: *len bytes, malloc'd */
static unsigned char *
der_name(X509_NAME *n, CK_ULONG *len)
{
	unsigned char *p = NULL;
	int l = i2d_X509_NAME(n, &p);

	if (l <= 0)
		die("i2d_X509_NAME", 0);
	*len = (CK_ULONG)l;
	return p;
}

static void
store_cert(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s, X509 *x, const char *label,
    unsigned char id[4])
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_HANDLE o;
	CK_ULONG lv, ls, li, lsn;
	unsigned char *v = NULL, *sn = NULL;
	unsigned char *subj = der_name(X509_get_subject_name(x), &ls);
	unsigned char *iss = der_name(X509_get_issuer_name(x), &li);
	int l;
	CK_RV rv;

	if ((l = i2d_X509(x, &v)) <= 0)
		die("i2d_X509", 0);
	lv = (CK_ULONG)l;
	if ((l = i2d_ASN1_INTEGER(X509_get_serialNumber(x), &sn)) <= 0)
		die("i2d_ASN1_INTEGER", 0);
	lsn = (CK_ULONG)l;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_ID, id, 4 },
		{ CKA_SUBJECT, subj, ls },
		{ CKA_ISSUER, iss, li },
		{ CKA_SERIAL_NUMBER, sn, lsn },
		{ CKA_VALUE, v, lv },
	};
	if ((rv = f->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), &o)) != CKR_OK)
		die("C_CreateObject (certificate)", rv);
	OPENSSL_free(v);
	OPENSSL_free(sn);
	OPENSSL_free(subj);
	OPENSSL_free(iss);
}

static void
store_key(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s, EVP_PKEY *k, const char *label,
    unsigned char id[4])
{
	/* DER of OID prime256v1 (1.2.840.10045.3.1.7) */
	static const unsigned char p256[] = {
		0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
	};
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = CKK_EC;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_HANDLE o;
	unsigned char d[32];
	BIGNUM *bn = NULL;
	CK_RV rv;

	if (!EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &bn) ||
	    BN_bn2binpad(bn, d, sizeof(d)) != (int)sizeof(d))
		die("reading the EC key", 0);
	BN_clear_free(bn);
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_DERIVE, &no, sizeof(no) },
		{ CKA_ID, id, 4 },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
		{ CKA_VALUE, d, sizeof(d) },
	};
	if ((rv = f->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), &o)) != CKR_OK)
		die("C_CreateObject (private key)", rv);
	OPENSSL_cleanse(d, sizeof(d));
}

static long
number(const char *s, long max)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n < 0 || n > max) {
		fprintf(stderr, "tokenfill: '%s' must be 0..%ld\n", s, max);
		exit(2);
	}
	return n;
}

int
main(int argc, char **argv)
{
	CK_FUNCTION_LIST *f;
	CK_SESSION_HANDLE sess;
	CK_RV rv;
	EVP_PKEY *ca_key;
	X509_NAME *ca_name;
	X509 *ca;
	char pin[256], file[4096];
	long n, nkeys, k;
	FILE *fp;

	if (argc != 7) {
		fprintf(stderr, "usage: tokenfill MODULE LABEL PIN-FILE N K DIR\n");
		return 2;
	}
	n = number(argv[4], 99999);
	nkeys = number(argv[5], n);
	if ((fp = fopen(argv[3], "r")) == NULL || fgets(pin, sizeof(pin), fp) == NULL)
		die("reading the PIN file", 0);
	fclose(fp);
	pin[strcspn(pin, "\r\n")] = '\0';

	ca_key = ec_key();
	ca_name = name("Bench CA");
	ca = make(1, ca_name, NULL, ca_key, ca_key, NULL);
	if (snprintf(file, sizeof(file), "%s/ca.pem", argv[6]) >= (int)sizeof(file))
		die("path", 0);
	if ((fp = fopen(file, "w")) == NULL || !PEM_write_X509(fp, ca) || fclose(fp) != 0)
		die(file, 0);

	f = module(argv[1]);
	if ((rv = f->C_OpenSession(find_token(f, argv[2]), CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &sess)) != CKR_OK)
		die("C_OpenSession", rv);
	if ((rv = f->C_Login(sess, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin))) != CKR_OK)
		die("C_Login", rv);
	OPENSSL_cleanse(pin, sizeof(pin));

	for (k = 1; k <= n; k++) {
		char cn[64], san[128], label[32], idhex[9], sha1[41], sha256[65];
		unsigned char id[4], md[EVP_MAX_MD_SIZE];
		unsigned mdlen;
		EVP_PKEY *key = ec_key();
		X509_NAME *subj;
		X509 *x;

		snprintf(cn, sizeof(cn), "h%05ld.contoso.com", k);
		snprintf(san, sizeof(san), "DNS:%s,DNS:mail.contoso.com", cn);
		snprintf(label, sizeof(label), "c%05ld", k);
		id[0] = (unsigned char)(k >> 24);
		id[1] = (unsigned char)(k >> 16);
		id[2] = (unsigned char)(k >> 8);
		id[3] = (unsigned char)k;
		subj = name(cn);
		x = make(k + 1, subj, ca, key, ca_key, san);
		store_cert(f, sess, x, label, id);
		if (k <= nkeys)
			store_key(f, sess, key, label, id);
		hex(id, sizeof(id), idhex);
		if (!X509_digest(x, EVP_sha1(), md, &mdlen))
			die("digest", 0);
		hex(md, mdlen, sha1);
		if (!X509_digest(x, EVP_sha256(), md, &mdlen))
			die("digest", 0);
		hex(md, mdlen, sha256);
		printf("%s %s %s %s\n", label, idhex, sha1, sha256);
		X509_free(x);
		X509_NAME_free(subj);
		EVP_PKEY_free(key);
	}
	f->C_Logout(sess);
	f->C_CloseSession(sess);
	f->C_Finalize(NULL);
	X509_free(ca);
	X509_NAME_free(ca_name);
	EVP_PKEY_free(ca_key);
	return fflush(stdout) == 0 ? 0 : 1;
}
