/*
 * raw.c - raw calls through the module's function list: sessions of our
 * own, one search per class, an object's attributes in one call; and the
 * small helpers the indexes share (byte-string order, result arrays).
 *
 * libp11 0.4.12 has no attribute API and caches objects in arrays that move
 * under their callers.  The function list is the one libp11 initialised
 * (module.c), on a session of our own opened and closed around each use.
 *
 * Round trips: on a network HSM or through p11-kit's RPC every call is one,
 * so an object's attributes are read with buffers sized up front - one
 * C_GetAttributeValue per object when the values fit, which certificates
 * and key attributes do - and a search fetches handles in large batches.
 * A value that may be absent (CKA_MODULUS of an EC key) is asked with a
 * bound (P11_ATMOST): its absence then costs no second call, which a
 * module's CKR_ATTRIBUTE_TYPE_INVALID alone could not promise (PKCS#11 lets
 * it answer that code when another value did not fit).
 */
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "p11-int.h"

#define FIND_BATCH_MIN 4096	/* handles per C_FindObjects, doubling up to MAX: */
#define FIND_BATCH_MAX 16384	/* two calls for up to 4,096 objects */
#define ATTR_GUESS 256		/* a value's buffer when the caller gives no size */
#define ATTR_MAX 16

int
p11__bytes_cmp(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	int c;

	if (alen != blen)
		return alen < blen ? -1 : 1;
	if (alen == 0)
		return 0;
	c = memcmp(a, b, alen);
	return c < 0 ? -1 : c > 0;
}

CK_RV
p11__raw_open(struct p11_token *tok, int rw, CK_SESSION_HANDLE *s)
{
	CK_FLAGS flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);

	return tok->mod->fl->C_OpenSession(tok->slot_id, flags, NULL, NULL, s);
}

void
p11__raw_close(struct p11_token *tok, CK_SESSION_HANDLE s)
{
	/* only this session: C_CloseAllSessions would log libp11 out */
	(void)tok->mod->fl->C_CloseSession(s);
}

static int
rv_acceptable(CK_RV rv)
{
	/* per PKCS#11 these still fill every other attribute of the template */
	return rv == CKR_OK || rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID;
}

static void
drop_value(CK_ATTRIBUTE *a)
{
	free(a->pValue);
	a->pValue = NULL;
	a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
}

/*
 * The values that did not come back from the first call (too small, or
 * sensitive, or not there: PKCS#11 marks all three alike and returns one of
 * its codes for all): ask their lengths, then read those that have one.
 */
static CK_RV
attrs_retry(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE *t,
    const size_t *idx, size_t nidx)
{
	CK_ATTRIBUTE q[ATTR_MAX];
	size_t map[ATTR_MAX];
	CK_ULONG nq = 0, i;
	CK_RV rv;

	for (i = 0; i < nidx; i++) {
		q[i] = t[idx[i]];
		q[i].pValue = NULL;
		q[i].ulValueLen = 0;
	}
	rv = fl->C_GetAttributeValue(s, o, q, (CK_ULONG)nidx);
	if (!rv_acceptable(rv))
		return rv;
	for (i = 0; i < nidx; i++) {
		CK_ATTRIBUTE *a = &t[idx[i]];

		if (q[i].ulValueLen == CK_UNAVAILABLE_INFORMATION)
			continue;	/* sensitive or absent: stays NULL */
		a->pValue = cr_xmalloc(q[i].ulValueLen + 1);
		a->ulValueLen = q[i].ulValueLen;
		q[nq] = *a;
		map[nq++] = idx[i];
	}
	if (nq == 0)
		return CKR_OK;
	rv = fl->C_GetAttributeValue(s, o, q, nq);
	for (i = 0; i < nq; i++) {
		CK_ATTRIBUTE *a = &t[map[i]];

		if (!rv_acceptable(rv) || q[i].ulValueLen == CK_UNAVAILABLE_INFORMATION ||
		    q[i].ulValueLen > a->ulValueLen) {
			drop_value(a);
			continue;
		}
		a->ulValueLen = q[i].ulValueLen;
		((unsigned char *)a->pValue)[a->ulValueLen] = '\0';
	}
	return rv_acceptable(rv) ? CKR_OK : rv;
}

CK_RV
p11__raw_attrs(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_ULONG cap[ATTR_MAX];
	size_t again[ATTR_MAX], nagain = 0;
	int alloc[ATTR_MAX] = { 0 }, atmost[ATTR_MAX] = { 0 };
	CK_ULONG i;
	CK_RV rv;

	if (n > ATTR_MAX)
		return CKR_ARGUMENTS_BAD;
	for (i = 0; i < n; i++) {
		if (t[i].pValue != NULL)
			continue;
		alloc[i] = 1;
		atmost[i] = (t[i].ulValueLen & P11_ATMOST_BIT) != 0;
		cap[i] = t[i].ulValueLen & ~P11_ATMOST_BIT;
		if (cap[i] == 0)
			cap[i] = ATTR_GUESS;
		t[i].pValue = cr_xmalloc(cap[i] + 1);
		t[i].ulValueLen = cap[i];
	}
	rv = fl->C_GetAttributeValue(s, o, t, n);
	if (rv != CKR_OK && rv != CKR_BUFFER_TOO_SMALL && !rv_acceptable(rv)) {
		for (i = 0; i < n; i++)
			if (alloc[i])
				drop_value(&t[i]);
		return rv;
	}
	for (i = 0; i < n; i++) {
		if (!alloc[i])
			continue;
		if (t[i].ulValueLen == CK_UNAVAILABLE_INFORMATION || t[i].ulValueLen > cap[i]) {
			/* not filled: learn why (and the length) below, unless the
			 * call said all is well, which leaves nothing to learn, or
			 * the buffer held the most the caller accepts (absent,
			 * sensitive or too long: NULL all three) */
			drop_value(&t[i]);
			if (rv != CKR_OK && !atmost[i])
				again[nagain++] = i;
			continue;
		}
		/* kept values (labels, ids) give back what the guess did not use */
		if (cap[i] - t[i].ulValueLen > 64)
			t[i].pValue = cr_xrealloc(t[i].pValue, t[i].ulValueLen + 1);
		((unsigned char *)t[i].pValue)[t[i].ulValueLen] = '\0';
	}
	if (nagain == 0)
		return CKR_OK;
	return attrs_retry(fl, s, o, t, again, nagain);
}

CK_RV
p11__raw_find(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n,
    CK_OBJECT_HANDLE **out, size_t *count)
{
	CK_OBJECT_HANDLE *v = NULL;
	size_t cap = 0, len = 0, batch = FIND_BATCH_MIN;
	CK_ULONG got;
	CK_RV rv;

	*out = NULL;
	*count = 0;
	if ((rv = fl->C_FindObjectsInit(s, t, n)) != CKR_OK)
		return rv;
	for (;;) {
		cr_grow(&v, &cap, len + batch, sizeof(*v));
		got = 0;
		rv = fl->C_FindObjects(s, v + len, (CK_ULONG)batch, &got);
		if (rv != CKR_OK || got == 0)
			break;
		len += got;
		/* a short batch is not the end (PKCS#11 promises only that 0 is):
		 * ask until nothing comes back */
		if (batch < FIND_BATCH_MAX)
			batch *= 2;
	}
	(void)fl->C_FindObjectsFinal(s);
	if (rv != CKR_OK) {
		free(v);
		return rv;
	}
	*out = v;
	*count = len;
	return CKR_OK;
}

int
p11__ptr_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	return x < y ? -1 : x > y;
}

void
p11__ptrs_add(struct p11_ptrs *p, void *x)
{
	cr_grow(&p->v, &p->cap, p->n + 1, sizeof(*p->v));
	p->v[p->n++] = x;
}
