/*
 * p11import.c - test-fixture helper: write an RSA private key to a token
 * with explicit CKA_SENSITIVE / CKA_EXTRACTABLE values.
 *
 * Why: pkcs11-tool (OpenSC 0.23) always sends CKA_SENSITIVE=TRUE when it
 * writes a private key, so it cannot create the "extractable, not
 * sensitive" key of LAYOUT.md; p11tool and softhsm2-util cannot either.
 *
 * usage: p11import MODULE TOKEN-LABEL PIN-FILE ID-HEX LABEL KEY.pem SENSITIVE EXTRACTABLE
 *        (SENSITIVE, EXTRACTABLE: 0 or 1)
 * Built and run by mkfixtures.sh only; test PINs only.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <p11-kit/pkcs11.h>

#include "../common/util.h"	/* cr_hex_parse: built with common/util.c, err.c */

static void
die(const char *what, unsigned long rv)
{
	fprintf(stderr, "p11import: %s failed (0x%lx)\n", what, rv);
	exit(1);
}

static unsigned char *
bn_param(EVP_PKEY *pkey, const char *name, CK_ULONG *len)
{
	BIGNUM *bn = NULL;
	unsigned char *buf;

	if (!EVP_PKEY_get_bn_param(pkey, name, &bn))
		die(name, 0);
	*len = (CK_ULONG)BN_num_bytes(bn);
	if ((buf = malloc(*len ? *len : 1)) == NULL)
		die("malloc", 0);
	BN_bn2bin(bn, buf);
	BN_clear_free(bn);
	return buf;
}

int
main(int argc, char **argv)
{
	CK_FUNCTION_LIST *f;
	CK_RV (*getfl)(CK_FUNCTION_LIST **);
	CK_SLOT_ID slots[64];
	CK_ULONG nslots = 64, i;
	CK_SLOT_ID slot = 0;
	CK_SESSION_HANDLE sess;
	CK_OBJECT_HANDLE obj;
	CK_TOKEN_INFO ti;
	CK_RV rv;
	char want[32], pin[256];
	unsigned char id[64];
	size_t idlen, n;
	int found = 0, idn;
	void *h;
	FILE *fp;
	EVP_PKEY *pkey;

	if (argc != 9) {
		fprintf(stderr, "usage: p11import MODULE TOKEN PIN-FILE ID-HEX LABEL KEY.pem SENSITIVE EXTRACTABLE\n");
		return 2;
	}
	/* id */
	if ((idn = cr_hex_parse(argv[4], id, sizeof(id))) < 0)
		die("id", 0);
	idlen = (size_t)idn;
	/* pin: first line of the file */
	if ((fp = fopen(argv[3], "r")) == NULL || fgets(pin, sizeof(pin), fp) == NULL)
		die("reading the PIN file", 0);
	fclose(fp);
	pin[strcspn(pin, "\r\n")] = '\0';
	/* key */
	if ((fp = fopen(argv[6], "r")) == NULL)
		die("opening the key", 0);
	pkey = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	if (pkey == NULL || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
		die("reading an RSA key", 0);

	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = CKK_RSA;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_BBOOL sens = argv[7][0] == '1' ? CK_TRUE : CK_FALSE;
	CK_BBOOL extr = argv[8][0] == '1' ? CK_TRUE : CK_FALSE;
	CK_ULONG ln, le, ld, lp, lq, ldp, ldq, lqi;
	unsigned char *vn = bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &ln);
	unsigned char *ve = bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &le);
	unsigned char *vd = bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, &ld);
	unsigned char *vp = bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1, &lp);
	unsigned char *vq = bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2, &lq);
	unsigned char *vdp = bn_param(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT1, &ldp);
	unsigned char *vdq = bn_param(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT2, &ldq);
	unsigned char *vqi = bn_param(pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, &lqi);
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &sens, sizeof(sens) },
		{ CKA_EXTRACTABLE, &extr, sizeof(extr) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &yes, sizeof(yes) },
		{ CKA_UNWRAP, &no, sizeof(no) },
		{ CKA_ID, id, idlen },
		{ CKA_LABEL, argv[5], strlen(argv[5]) },
		{ CKA_MODULUS, vn, ln },
		{ CKA_PUBLIC_EXPONENT, ve, le },
		{ CKA_PRIVATE_EXPONENT, vd, ld },
		{ CKA_PRIME_1, vp, lp },
		{ CKA_PRIME_2, vq, lq },
		{ CKA_EXPONENT_1, vdp, ldp },
		{ CKA_EXPONENT_2, vdq, ldq },
		{ CKA_COEFFICIENT, vqi, lqi },
	};

	if ((h = dlopen(argv[1], RTLD_NOW)) == NULL) {
		fprintf(stderr, "p11import: %s\n", dlerror());
		return 1;
	}
	*(void **)&getfl = dlsym(h, "C_GetFunctionList");
	if (getfl == NULL || (rv = getfl(&f)) != CKR_OK)
		die("C_GetFunctionList", 0);
	if ((rv = f->C_Initialize(NULL)) != CKR_OK)
		die("C_Initialize", rv);
	if ((rv = f->C_GetSlotList(CK_TRUE, slots, &nslots)) != CKR_OK)
		die("C_GetSlotList", rv);
	memset(want, ' ', sizeof(want));
	n = strlen(argv[2]);
	memcpy(want, argv[2], n < sizeof(want) ? n : sizeof(want));
	for (i = 0; i < nslots && !found; i++)
		if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    memcmp(ti.label, want, sizeof(want)) == 0) {
			slot = slots[i];
			found = 1;
		}
	if (!found)
		die("finding the token", 0);
	if ((rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &sess)) != CKR_OK)
		die("C_OpenSession", rv);
	if ((rv = f->C_Login(sess, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin))) != CKR_OK)
		die("C_Login", rv);
	if ((rv = f->C_CreateObject(sess, t, sizeof(t) / sizeof(t[0]), &obj)) != CKR_OK)
		die("C_CreateObject", rv);
	f->C_Logout(sess);
	f->C_CloseSession(sess);
	f->C_Finalize(NULL);
	EVP_PKEY_free(pkey);
	return 0;
}
