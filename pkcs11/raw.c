/*
 * raw.c - objects through the raw function list: one search per class,
 * attributes read in two calls, errors in words; and the small helpers the
 * object indexes share (byte-string order, result arrays).
 *
 * libp11 0.4.12 has no attribute API and caches objects in arrays that move
 * under their callers; the raw function list is the very table libp11 uses
 * (same dlopen handle), on a session of our own opened around each use.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "p11-int.h"

#define FIND_BATCH 128

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

static int
rv_acceptable(CK_RV rv)
{
	/* per PKCS#11 these still fill every other attribute of the template */
	return rv == CKR_OK || rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID;
}

CK_RV
p11__raw_attrs(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_ATTRIBUTE q[16];
	size_t map[16];
	CK_ULONG i, nq = 0;
	CK_RV rv;
	int alloc[16] = { 0 };

	if (n > 16)
		return CKR_ARGUMENTS_BAD;
	for (i = 0; i < n; i++)
		alloc[i] = t[i].pValue == NULL;
	/* first: fixed-size values, and the lengths of the others */
	rv = fl->C_GetAttributeValue(s, o, t, n);
	if (!rv_acceptable(rv))
		return rv;
	for (i = 0; i < n; i++) {
		if (!alloc[i] || t[i].ulValueLen == CK_UNAVAILABLE_INFORMATION)
			continue;
		t[i].pValue = cr_xmalloc(t[i].ulValueLen + 1);
		q[nq] = t[i];
		map[nq++] = i;
	}
	if (nq == 0)
		return CKR_OK;
	rv = fl->C_GetAttributeValue(s, o, q, nq);
	for (i = 0; i < nq; i++) {
		CK_ATTRIBUTE *a = &t[map[i]];

		if (!rv_acceptable(rv) || q[i].ulValueLen == CK_UNAVAILABLE_INFORMATION) {
			free(a->pValue);
			a->pValue = NULL;
			a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		} else {
			a->ulValueLen = q[i].ulValueLen;
			((unsigned char *)a->pValue)[a->ulValueLen] = '\0';
		}
	}
	return rv_acceptable(rv) ? CKR_OK : rv;
}

CK_RV
p11__raw_find(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n,
    CK_OBJECT_HANDLE **out, size_t *count)
{
	CK_OBJECT_HANDLE *v = NULL;
	size_t cap = 0, len = 0;
	CK_ULONG got;
	CK_RV rv;

	*out = NULL;
	*count = 0;
	if ((rv = fl->C_FindObjectsInit(s, t, n)) != CKR_OK)
		return rv;
	for (;;) {
		cr_grow(&v, &cap, len + FIND_BATCH, sizeof(*v));
		got = 0;
		rv = fl->C_FindObjects(s, v + len, FIND_BATCH, &got);
		if (rv != CKR_OK || got == 0)
			break;
		len += got;
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
p11__raw_error(struct p11_token *tok, const char *what, CK_RV rv, struct cr_err *err)
{
	char rvs[48];

	switch (rv) {
	case CKR_TOKEN_NOT_PRESENT:
		return cr_err_set(err, CR_EENV, "token '%s' is not present (CKR_TOKEN_NOT_PRESENT)",
		    tok->label);
	case CKR_DEVICE_REMOVED:
		return cr_err_set(err, CR_EENV, "token '%s' was removed (CKR_DEVICE_REMOVED)",
		    tok->label);
	default:
		return cr_err_set(err, CR_EENV, "cannot %s on token '%s': %s", what, tok->label,
		    p11__ckr_str(rv, rvs, sizeof(rvs)));
	}
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
