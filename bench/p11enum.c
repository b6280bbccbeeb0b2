/*
 * p11enum.c - the floor for reading a token's certificates: a minimal raw
 * PKCS#11 enumeration, for bench/run.sh to time `certrotate scan` against.
 *
 *   p11enum MODULE LABEL
 *
 * Loads MODULE, finds the token labelled LABEL, opens one read-only session
 * (no login), finds every certificate object (C_FindObjects in batches of
 * 4,096) and reads each one's CKA_VALUE in one C_GetAttributeValue (a 16 KiB
 * buffer, a second call only for a larger value).  Prints the number of
 * certificates and the bytes read.  Nothing is parsed, sorted or printed
 * per object: no tool that shows certificates can do less.
 *
 * Bench tooling, not part of certrotate: it exits on the first failure.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#define BATCH 4096
#define VALUE_GUESS 16384

static void
die(const char *what, unsigned long rv)
{
	fprintf(stderr, "p11enum: %s failed (0x%lx)\n", what, rv);
	exit(1);
}

static CK_SLOT_ID
find_token(CK_FUNCTION_LIST *f, const char *label)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64, i;
	CK_TOKEN_INFO ti;
	CK_RV rv;
	size_t len = strlen(label);

	if ((rv = f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK)
		die("C_GetSlotList", rv);
	for (i = 0; i < n; i++) {
		if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK || len > sizeof(ti.label))
			continue;
		if (memcmp(ti.label, label, len) == 0 &&
		    (len == sizeof(ti.label) || ti.label[len] == ' '))
			return slots[i];
	}
	die("finding the token", 0);
	return 0;
}

int
main(int argc, char **argv)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE filter[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	CK_C_GetFunctionList getfl;
	CK_FUNCTION_LIST *f;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE *h = NULL;
	CK_ULONG got, n = 0, cap = 0, i;
	unsigned char *buf;
	unsigned long long bytes = 0;
	void *dl;
	CK_RV rv;

	if (argc != 3) {
		fprintf(stderr, "usage: p11enum MODULE LABEL\n");
		return 2;
	}
	if ((dl = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL)) == NULL)
		die("dlopen", 0);
	*(void **)&getfl = dlsym(dl, "C_GetFunctionList");
	if (getfl == NULL || getfl(&f) != CKR_OK)
		die("C_GetFunctionList", 0);
	if ((rv = f->C_Initialize(NULL)) != CKR_OK)
		die("C_Initialize", rv);
	if ((rv = f->C_OpenSession(find_token(f, argv[2]), CKF_SERIAL_SESSION, NULL, NULL, &s)) !=
	    CKR_OK)
		die("C_OpenSession", rv);
	if ((rv = f->C_FindObjectsInit(s, filter, 1)) != CKR_OK)
		die("C_FindObjectsInit", rv);
	do {
		if (n + BATCH > cap) {
			cap = n + BATCH;
			if ((h = realloc(h, cap * sizeof(*h))) == NULL)
				die("realloc", 0);
		}
		got = 0;
		if ((rv = f->C_FindObjects(s, h + n, BATCH, &got)) != CKR_OK)
			die("C_FindObjects", rv);
		n += got;
	} while (got > 0);
	f->C_FindObjectsFinal(s);
	if ((buf = malloc(VALUE_GUESS)) == NULL)
		die("malloc", 0);
	for (i = 0; i < n; i++) {
		CK_ATTRIBUTE a = { CKA_VALUE, buf, VALUE_GUESS };

		rv = f->C_GetAttributeValue(s, h[i], &a, 1);
		if (rv == CKR_BUFFER_TOO_SMALL) {
			unsigned char *big;

			a.pValue = NULL;
			if ((rv = f->C_GetAttributeValue(s, h[i], &a, 1)) != CKR_OK ||
			    (big = malloc(a.ulValueLen)) == NULL)
				die("C_GetAttributeValue (length)", rv);
			a.pValue = big;
			rv = f->C_GetAttributeValue(s, h[i], &a, 1);
			free(big);
		}
		if (rv != CKR_OK)
			die("C_GetAttributeValue", rv);
		bytes += a.ulValueLen;
	}
	printf("%lu certificates, %llu bytes\n", (unsigned long)n, bytes);
	free(buf);
	free(h);
	f->C_CloseSession(s);
	f->C_Finalize(NULL);
	return 0;
}
