/*
 * p11fault.c - a PKCS#11 module for tests that forwards every call to a real
 * module and injects the faults a real token cannot produce on demand.
 *
 * Environment (read at every C_Initialize, which also resets the counts, so
 * a test can load, finalize and load again with other faults):
 *   P11FAULT_MODULE=PATH     the real module (default SoftHSM2)
 *   P11FAULT_FINAL_TRY=1     C_GetTokenInfo adds CKF_USER_PIN_FINAL_TRY
 *   P11FAULT_LOCKED=1        C_GetTokenInfo adds CKF_USER_PIN_LOCKED
 *   P11FAULT_COUNT_LOW=1     C_GetTokenInfo adds CKF_USER_PIN_COUNT_LOW
 *   P11FAULT_FAIL=C_Sign:1,C_Login:2
 *                            the N-th call of that function (counted from 1,
 *                            per function) returns CKR_DEVICE_ERROR without
 *                            reaching the real module; "C_Sign:*" fails every
 *                            call; "C_CreateObject:1:0xE0" returns that CK_RV
 *                            (here CKR_TOKEN_NOT_PRESENT) instead
 *   P11FAULT_LOG=PATH        appends one line per call: the function's name
 *   P11FAULT_DELAY_US=N      every call (but C_GetFunctionList) first sleeps N
 *                            microseconds (at most 10 s): a network HSM's round
 *                            trip, for `make bench`
 *
 * The module hands out a copy of the real module's CK_FUNCTION_LIST whose
 * entries all point at wrappers here, so that every call is logged and can
 * fail; the real module stays underneath (its state, its tokens).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#define DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define MAX_FAULTS 16

struct fault {
	char name[64];
	unsigned long nth;	/* 0: every call */
	unsigned long calls;
	CK_RV rv;		/* what the failing call returns */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static CK_FUNCTION_LIST *real;
static CK_FUNCTION_LIST wrapped;
static void *real_handle;
static struct fault faults[MAX_FAULTS];
static size_t nfaults;
static CK_FLAGS add_flags;
static char *log_path;
static unsigned long delay_us;

static int
env_on(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

/* "C_Sign:1,C_Login:2,C_Foo:*,C_Bar:1:0xE0" */
static void
parse_faults(const char *spec)
{
	char *copy, *item, *save = NULL;

	if (spec == NULL || (copy = strdup(spec)) == NULL)
		return;
	for (item = strtok_r(copy, ",", &save); item != NULL && nfaults < MAX_FAULTS;
	    item = strtok_r(NULL, ",", &save)) {
		struct fault *f = &faults[nfaults];
		char *colon = strchr(item, ':'), *rvs, *end;
		unsigned long n = 1;
		CK_RV rv = CKR_DEVICE_ERROR;

		while (*item == ' ')
			item++;
		if (colon != NULL) {
			*colon = '\0';
			if ((rvs = strchr(colon + 1, ':')) != NULL) {
				*rvs++ = '\0';
				rv = strtoul(rvs, &end, 0);
				if (*end != '\0' || rv == CKR_OK)
					continue;	/* malformed: ignored */
			}
			if (strcmp(colon + 1, "*") == 0) {
				n = 0;
			} else {
				n = strtoul(colon + 1, &end, 10);
				if (*end != '\0' || n == 0)
					continue;	/* malformed: ignored */
			}
		}
		if (snprintf(f->name, sizeof(f->name), "%s", item) >= (int)sizeof(f->name))
			continue;
		f->nth = n;
		f->calls = 0;
		f->rv = rv;
		nfaults++;
	}
	free(copy);
}

/* Called with the lock held. */
static void
read_env(void)
{
	const char *p;

	add_flags = 0;
	if (env_on("P11FAULT_FINAL_TRY"))
		add_flags |= CKF_USER_PIN_FINAL_TRY;
	if (env_on("P11FAULT_LOCKED"))
		add_flags |= CKF_USER_PIN_LOCKED;
	if (env_on("P11FAULT_COUNT_LOW"))
		add_flags |= CKF_USER_PIN_COUNT_LOW;
	nfaults = 0;
	parse_faults(getenv("P11FAULT_FAIL"));
	free(log_path);
	log_path = NULL;
	p = getenv("P11FAULT_LOG");
	if (p != NULL && *p != '\0')
		log_path = strdup(p);
	delay_us = 0;
	p = getenv("P11FAULT_DELAY_US");
	if (p != NULL && *p != '\0') {
		char *end;
		unsigned long v = strtoul(p, &end, 10);

		if (*end == '\0' && v <= 10000000UL)
			delay_us = v;
	}
}

/* A round trip's worth of waiting (outside the lock: calls of other
 * threads wait alongside, as on a network). */
static void
delay(unsigned long us)
{
	struct timespec ts;

	if (us == 0)
		return;
	/* the kernel's default 50 us of timer slack would make 1 ms 1.05 ms */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	ts.tv_sec = (time_t)(us / 1000000UL);
	ts.tv_nsec = (long)(us % 1000000UL) * 1000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
log_call(const char *name)
{
	char line[80];
	int fd, n;

	if (log_path == NULL)
		return;
	n = snprintf(line, sizeof(line), "%s\n", name);
	if (n <= 0 || n >= (int)sizeof(line))
		return;
	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) != n) {
		/* nothing sensible to do in a test module */
	}
	close(fd);
}

/* Logs the call and says whether it must fail. */
static CK_RV
pre(const char *name)
{
	CK_RV rv = CKR_OK;
	unsigned long us;
	size_t i;

	pthread_mutex_lock(&lock);
	us = delay_us;
	log_call(name);
	for (i = 0; i < nfaults; i++) {
		if (strcmp(faults[i].name, name) != 0)
			continue;
		faults[i].calls++;
		if (faults[i].nth == 0 || faults[i].calls == faults[i].nth)
			rv = faults[i].rv;
	}
	pthread_mutex_unlock(&lock);
	delay(us);
	if (rv == CKR_OK && real == NULL)
		rv = CKR_GENERAL_ERROR;
	return rv;
}

/* Forwarders: one per function of the PKCS#11 2.40 list. */
#define FWD(name, params, args)						\
	static CK_RV w_##name params					\
	{								\
		CK_RV rv_ = pre(#name);					\
		if (rv_ != CKR_OK)					\
			return rv_;					\
		return real->name args;					\
	}

/*
 * Functions that end a cryptographic operation: an injected failure must end
 * the real module's operation too (as a real failure would), or the next
 * C_*Init on that session answers CKR_OPERATION_ACTIVE.  So the call still
 * reaches the real module, with its output sent to a scratch buffer, and the
 * caller sees CKR_DEVICE_ERROR.
 */
#define SCRATCH 16384
#define FWD_OUT(name)							\
	static CK_RV w_##name(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG inlen,	\
	    CK_BYTE_PTR out, CK_ULONG_PTR outlen)			\
	{								\
		CK_RV rv_ = pre(#name);					\
		if (rv_ != CKR_OK && real != NULL) {			\
			CK_BYTE scratch[SCRATCH];			\
			CK_ULONG n_ = sizeof(scratch);			\
			(void)real->name(s, in, inlen, scratch, &n_);	\
		}							\
		if (rv_ != CKR_OK)					\
			return rv_;					\
		return real->name(s, in, inlen, out, outlen);		\
	}
#define FWD_FINAL(name)							\
	static CK_RV w_##name(CK_SESSION_HANDLE s, CK_BYTE_PTR out, CK_ULONG_PTR outlen)	\
	{								\
		CK_RV rv_ = pre(#name);					\
		if (rv_ != CKR_OK && real != NULL) {			\
			CK_BYTE scratch[SCRATCH];			\
			CK_ULONG n_ = sizeof(scratch);			\
			(void)real->name(s, scratch, &n_);		\
		}							\
		if (rv_ != CKR_OK)					\
			return rv_;					\
		return real->name(s, out, outlen);			\
	}
#define FWD_END(name, params, args)					\
	static CK_RV w_##name params					\
	{								\
		CK_RV rv_ = pre(#name);					\
		if (rv_ != CKR_OK && real != NULL)			\
			(void)real->name args;				\
		if (rv_ != CKR_OK)					\
			return rv_;					\
		return real->name args;					\
	}

FWD(C_Finalize, (void *a), (a))
FWD(C_GetInfo, (CK_INFO_PTR a), (a))
FWD(C_GetSlotList, (CK_BBOOL a, CK_SLOT_ID_PTR b, CK_ULONG_PTR c), (a, b, c))
FWD(C_GetSlotInfo, (CK_SLOT_ID a, CK_SLOT_INFO_PTR b), (a, b))
FWD(C_WaitForSlotEvent, (CK_FLAGS a, CK_SLOT_ID_PTR b, void *c), (a, b, c))
FWD(C_GetMechanismList, (CK_SLOT_ID a, CK_MECHANISM_TYPE_PTR b, CK_ULONG_PTR c), (a, b, c))
FWD(C_GetMechanismInfo, (CK_SLOT_ID a, CK_MECHANISM_TYPE b, CK_MECHANISM_INFO_PTR c), (a, b, c))
FWD(C_InitToken, (CK_SLOT_ID a, CK_UTF8CHAR_PTR b, CK_ULONG c, CK_UTF8CHAR_PTR d), (a, b, c, d))
FWD(C_InitPIN, (CK_SESSION_HANDLE a, CK_UTF8CHAR_PTR b, CK_ULONG c), (a, b, c))
FWD(C_SetPIN, (CK_SESSION_HANDLE a, CK_UTF8CHAR_PTR b, CK_ULONG c, CK_UTF8CHAR_PTR d,
    CK_ULONG e), (a, b, c, d, e))
FWD(C_OpenSession, (CK_SLOT_ID a, CK_FLAGS b, void *c, CK_NOTIFY d, CK_SESSION_HANDLE_PTR e),
    (a, b, c, d, e))
FWD(C_CloseSession, (CK_SESSION_HANDLE a), (a))
FWD(C_CloseAllSessions, (CK_SLOT_ID a), (a))
FWD(C_GetSessionInfo, (CK_SESSION_HANDLE a, CK_SESSION_INFO_PTR b), (a, b))
FWD(C_GetOperationState, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG_PTR c), (a, b, c))
FWD(C_SetOperationState, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_OBJECT_HANDLE d,
    CK_OBJECT_HANDLE e), (a, b, c, d, e))
FWD(C_Login, (CK_SESSION_HANDLE a, CK_USER_TYPE b, CK_UTF8CHAR_PTR c, CK_ULONG d), (a, b, c, d))
FWD(C_Logout, (CK_SESSION_HANDLE a), (a))
FWD(C_CreateObject, (CK_SESSION_HANDLE a, CK_ATTRIBUTE_PTR b, CK_ULONG c,
    CK_OBJECT_HANDLE_PTR d), (a, b, c, d))
FWD(C_CopyObject, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b, CK_ATTRIBUTE_PTR c, CK_ULONG d,
    CK_OBJECT_HANDLE_PTR e), (a, b, c, d, e))
FWD(C_DestroyObject, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b), (a, b))
FWD(C_GetObjectSize, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b, CK_ULONG_PTR c), (a, b, c))
FWD(C_GetAttributeValue, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b, CK_ATTRIBUTE_PTR c,
    CK_ULONG d), (a, b, c, d))
FWD(C_SetAttributeValue, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b, CK_ATTRIBUTE_PTR c,
    CK_ULONG d), (a, b, c, d))
FWD(C_FindObjectsInit, (CK_SESSION_HANDLE a, CK_ATTRIBUTE_PTR b, CK_ULONG c), (a, b, c))
FWD(C_FindObjects, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE_PTR b, CK_ULONG c, CK_ULONG_PTR d),
    (a, b, c, d))
FWD(C_FindObjectsFinal, (CK_SESSION_HANDLE a), (a))
FWD(C_EncryptInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c), (a, b, c))
FWD_OUT(C_Encrypt)
FWD(C_EncryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d,
    CK_ULONG_PTR e), (a, b, c, d, e))
FWD_FINAL(C_EncryptFinal)
FWD(C_DecryptInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c), (a, b, c))
FWD_OUT(C_Decrypt)
FWD(C_DecryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d,
    CK_ULONG_PTR e), (a, b, c, d, e))
FWD_FINAL(C_DecryptFinal)
FWD(C_DigestInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b), (a, b))
FWD_OUT(C_Digest)
FWD(C_DigestUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c), (a, b, c))
FWD(C_DigestKey, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b), (a, b))
FWD_FINAL(C_DigestFinal)
FWD(C_SignInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c), (a, b, c))
FWD_OUT(C_Sign)
FWD(C_SignUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c), (a, b, c))
FWD_FINAL(C_SignFinal)
FWD(C_SignRecoverInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c), (a, b, c))
FWD_OUT(C_SignRecover)
FWD(C_VerifyInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c), (a, b, c))
FWD_END(C_Verify, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG e),
    (a, b, c, d, e))
FWD(C_VerifyUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c), (a, b, c))
FWD_END(C_VerifyFinal, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c), (a, b, c))
FWD(C_VerifyRecoverInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c), (a, b, c))
FWD_OUT(C_VerifyRecover)
FWD(C_DigestEncryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d,
    CK_ULONG_PTR e), (a, b, c, d, e))
FWD(C_DecryptDigestUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d,
    CK_ULONG_PTR e), (a, b, c, d, e))
FWD(C_SignEncryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d,
    CK_ULONG_PTR e), (a, b, c, d, e))
FWD(C_DecryptVerifyUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d,
    CK_ULONG_PTR e), (a, b, c, d, e))
FWD(C_GenerateKey, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_ATTRIBUTE_PTR c, CK_ULONG d,
    CK_OBJECT_HANDLE_PTR e), (a, b, c, d, e))
FWD(C_GenerateKeyPair, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_ATTRIBUTE_PTR c,
    CK_ULONG d, CK_ATTRIBUTE_PTR e, CK_ULONG f, CK_OBJECT_HANDLE_PTR g, CK_OBJECT_HANDLE_PTR h),
    (a, b, c, d, e, f, g, h))
FWD(C_WrapKey, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c, CK_OBJECT_HANDLE d,
    CK_BYTE_PTR e, CK_ULONG_PTR f), (a, b, c, d, e, f))
FWD(C_UnwrapKey, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c, CK_BYTE_PTR d,
    CK_ULONG e, CK_ATTRIBUTE_PTR f, CK_ULONG g, CK_OBJECT_HANDLE_PTR h), (a, b, c, d, e, f, g, h))
FWD(C_DeriveKey, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c, CK_ATTRIBUTE_PTR d,
    CK_ULONG e, CK_OBJECT_HANDLE_PTR f), (a, b, c, d, e, f))
FWD(C_SeedRandom, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c), (a, b, c))
FWD(C_GenerateRandom, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c), (a, b, c))
FWD(C_GetFunctionStatus, (CK_SESSION_HANDLE a), (a))
FWD(C_CancelFunction, (CK_SESSION_HANDLE a), (a))

/* Every (re)initialisation starts from the environment as it is now. */
static CK_RV
w_C_Initialize(void *args)
{
	CK_RV rv;

	pthread_mutex_lock(&lock);
	read_env();
	pthread_mutex_unlock(&lock);
	if ((rv = pre("C_Initialize")) != CKR_OK)
		return rv;
	return real->C_Initialize(args);
}

/* The token-information wrapper is where the PIN-state faults appear. */
static CK_RV
w_C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	CK_RV rv = pre("C_GetTokenInfo");

	if (rv != CKR_OK)
		return rv;
	rv = real->C_GetTokenInfo(slot, info);
	if (rv == CKR_OK && info != NULL)
		info->flags |= add_flags;
	return rv;
}

static CK_RV w_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

static int
load_real(void)
{
	const char *path = getenv("P11FAULT_MODULE");
	CK_C_GetFunctionList get;

	if (real != NULL)
		return 0;
	if (path == NULL || *path == '\0')
		path = DEFAULT_MODULE;
	real_handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (real_handle == NULL)
		return -1;
	get = (CK_C_GetFunctionList)dlsym(real_handle, "C_GetFunctionList");
	if (get == NULL || get(&real) != CKR_OK || real == NULL) {
		real = NULL;
		return -1;
	}
	read_env();
	wrapped.version = real->version;
#define SET(name) wrapped.name = w_##name
	SET(C_Initialize); SET(C_Finalize); SET(C_GetInfo); SET(C_GetFunctionList);
	SET(C_GetSlotList); SET(C_GetSlotInfo); SET(C_GetTokenInfo); SET(C_GetMechanismList);
	SET(C_GetMechanismInfo); SET(C_InitToken); SET(C_InitPIN); SET(C_SetPIN);
	SET(C_OpenSession); SET(C_CloseSession); SET(C_CloseAllSessions); SET(C_GetSessionInfo);
	SET(C_GetOperationState); SET(C_SetOperationState); SET(C_Login); SET(C_Logout);
	SET(C_CreateObject); SET(C_CopyObject); SET(C_DestroyObject); SET(C_GetObjectSize);
	SET(C_GetAttributeValue); SET(C_SetAttributeValue); SET(C_FindObjectsInit);
	SET(C_FindObjects); SET(C_FindObjectsFinal); SET(C_EncryptInit); SET(C_Encrypt);
	SET(C_EncryptUpdate); SET(C_EncryptFinal); SET(C_DecryptInit); SET(C_Decrypt);
	SET(C_DecryptUpdate); SET(C_DecryptFinal); SET(C_DigestInit); SET(C_Digest);
	SET(C_DigestUpdate); SET(C_DigestKey); SET(C_DigestFinal); SET(C_SignInit); SET(C_Sign);
	SET(C_SignUpdate); SET(C_SignFinal); SET(C_SignRecoverInit); SET(C_SignRecover);
	SET(C_VerifyInit); SET(C_Verify); SET(C_VerifyUpdate); SET(C_VerifyFinal);
	SET(C_VerifyRecoverInit); SET(C_VerifyRecover); SET(C_DigestEncryptUpdate);
	SET(C_DecryptDigestUpdate); SET(C_SignEncryptUpdate); SET(C_DecryptVerifyUpdate);
	SET(C_GenerateKey); SET(C_GenerateKeyPair); SET(C_WrapKey); SET(C_UnwrapKey);
	SET(C_DeriveKey); SET(C_SeedRandom); SET(C_GenerateRandom); SET(C_GetFunctionStatus);
	SET(C_CancelFunction); SET(C_WaitForSlotEvent);
#undef SET
	return 0;
}

static CK_RV
w_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	if (list == NULL)
		return CKR_ARGUMENTS_BAD;
	*list = &wrapped;
	return CKR_OK;
}

__attribute__((destructor)) static void
unload(void)
{
	if (real_handle != NULL)
		dlclose(real_handle);
	free(log_path);
}

/* The only exported symbol. */
__attribute__((visibility("default"))) CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	CK_RV rv = CKR_OK;

	if (list == NULL)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&lock);
	if (load_real() != 0)
		rv = CKR_GENERAL_ERROR;
	pthread_mutex_unlock(&lock);
	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&lock);
	log_call("C_GetFunctionList");
	pthread_mutex_unlock(&lock);
	*list = &wrapped;
	return CKR_OK;
}
