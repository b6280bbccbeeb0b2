/*
 * objects.c - the objects of a token: listing those of one class (one
 * search, one attribute read per object), and the one index every kind of
 * object is looked up by - CKA_ID and CKA_LABEL, sorted, binary search.
 *
 * SoftHSM's object search is linear in the token's objects, so a search per
 * reference would make a large inventory quadratic: a token is listed once
 * per class and every lookup after that is O(log n) in memory.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "p11-int.h"

/* ---- the index ------------------------------------------------------- */

void
p11__idx_init(struct p11_objidx *ix, size_t n)
{
	ix->n = n;
	ix->ents = cr_xcalloc(n ? n : 1, sizeof(*ix->ents));
	ix->by_id = cr_xcalloc(n ? n : 1, sizeof(*ix->by_id));
	ix->by_label = cr_xcalloc(n ? n : 1, sizeof(*ix->by_label));
}

void
p11__idx_set(struct p11_objidx *ix, size_t i, void *obj, const unsigned char *id,
    size_t id_len, const char *label)
{
	struct p11_idx_ent *e = &ix->ents[i];

	e->obj = obj;
	e->id = id;
	e->id_len = id != NULL ? id_len : 0;
	e->label = label;
	e->order = i;
	ix->by_id[i] = ix->by_label[i] = e;
}

static int
order_cmp(const struct p11_idx_ent *x, const struct p11_idx_ent *y)
{
	return x->order < y->order ? -1 : x->order > y->order;
}

/* NULL and "" are one label: tokens report a missing CKA_LABEL either way. */
static const char *
label_of(const char *l)
{
	return l != NULL ? l : "";
}

static int
id_cmp(const void *a, const void *b)
{
	const struct p11_idx_ent *x = *(struct p11_idx_ent *const *)a;
	const struct p11_idx_ent *y = *(struct p11_idx_ent *const *)b;
	int c = p11__bytes_cmp(x->id, x->id_len, y->id, y->id_len);

	return c ? c : order_cmp(x, y);
}

static int
label_cmp(const void *a, const void *b)
{
	const struct p11_idx_ent *x = *(struct p11_idx_ent *const *)a;
	const struct p11_idx_ent *y = *(struct p11_idx_ent *const *)b;
	int c = strcmp(label_of(x->label), label_of(y->label));

	return c ? c : order_cmp(x, y);
}

void
p11__idx_sort(struct p11_objidx *ix)
{
	qsort(ix->by_id, ix->n, sizeof(*ix->by_id), id_cmp);
	qsort(ix->by_label, ix->n, sizeof(*ix->by_label), label_cmp);
}

void
p11__idx_release(struct p11_objidx *ix)
{
	free(ix->ents);
	free(ix->by_id);
	free(ix->by_label);
	memset(ix, 0, sizeof(*ix));
}

void
p11__idx_id_range(const struct p11_objidx *ix, const unsigned char *id, size_t len,
    size_t *lo, size_t *hi)
{
	size_t l = 0, h = ix->n;

	/* lower bound: the first entry whose id is not below the wanted one */
	while (l < h) {
		size_t mid = l + (h - l) / 2;

		if (p11__bytes_cmp(ix->by_id[mid]->id, ix->by_id[mid]->id_len, id, len) < 0)
			l = mid + 1;
		else
			h = mid;
	}
	for (h = l; h < ix->n && p11__id_eq(ix->by_id[h]->id, ix->by_id[h]->id_len, id, len);
	    h++)
		;
	*lo = l;
	*hi = h;
}

static void
label_range(const struct p11_objidx *ix, const char *label, size_t *lo, size_t *hi)
{
	size_t l = 0, h = ix->n;

	label = label_of(label);
	while (l < h) {
		size_t mid = l + (h - l) / 2;

		if (strcmp(label_of(ix->by_label[mid]->label), label) < 0)
			l = mid + 1;
		else
			h = mid;
	}
	for (h = l; h < ix->n && strcmp(label_of(ix->by_label[h]->label), label) == 0; h++)
		;
	*lo = l;
	*hi = h;
}

static int
ent_order_cmp(const void *a, const void *b)
{
	return order_cmp(*(struct p11_idx_ent *const *)a, *(struct p11_idx_ent *const *)b);
}

void
p11__idx_select(const struct p11_objidx *ix, int has_id, const unsigned char *id,
    size_t id_len, int has_label, const char *label, struct p11_ptrs *out)
{
	struct p11_idx_ent **hits = NULL;
	size_t lo = 0, hi = 0, i, n = 0;

	if (has_id) {
		p11__idx_id_range(ix, id, id_len, &lo, &hi);
		hits = cr_xcalloc(hi > lo ? hi - lo : 1, sizeof(*hits));
		for (i = lo; i < hi; i++)
			if (!has_label || strcmp(label_of(ix->by_id[i]->label), label_of(label)) == 0)
				hits[n++] = ix->by_id[i];
	} else if (has_label) {
		label_range(ix, label, &lo, &hi);
		hits = cr_xcalloc(hi > lo ? hi - lo : 1, sizeof(*hits));
		for (i = lo; i < hi; i++)
			hits[n++] = ix->by_label[i];
	} else {
		for (i = 0; i < ix->n; i++)
			p11__ptrs_add(out, ix->ents[i].obj);
		return;
	}
	/* the token's order, whichever index found them */
	qsort(hits, n, sizeof(*hits), ent_order_cmp);
	for (i = 0; i < n; i++)
		p11__ptrs_add(out, hits[i]->obj);
	free(hits);
}

/* ---- listing --------------------------------------------------------- */

int
p11__objects_read(struct p11_token *tok, CK_ATTRIBUTE *filter, CK_ULONG nfilter,
    const CK_ATTRIBUTE *want, CK_ULONG n, const char *what, const char *one, p11_obj_fn fn,
    void *arg, struct cr_err *err)
{
	CK_FUNCTION_LIST *fl = tok->mod->fl;
	CK_ATTRIBUTE a[16];
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE *h = NULL;
	size_t nh = 0, i;
	CK_ULONG k;
	CK_RV rv;
	int r = CR_EENV;

	if (n > sizeof(a) / sizeof(a[0]))
		return cr_err_setr(err, CR_EENV, CR_R_TOKEN, "too many attributes asked of %s", what);
	/* a session of our own: login state is shared, so it sees private objects */
	if ((rv = p11__raw_open(tok, 0, &s)) != CKR_OK)
		return p11__rv_fail(err, rv, tok->label, "cannot open a session on token '%s'",
		    tok->label);
	if ((rv = p11__raw_find(fl, s, filter, nfilter, &h, &nh)) != CKR_OK) {
		p11__rv_fail(err, rv, tok->label, "cannot list %s on token '%s'", what, tok->label);
		goto out;
	}
	for (i = 0; i < nh; i++) {
		memcpy(a, want, n * sizeof(*a));
		if ((rv = p11__raw_attrs(fl, s, h[i], a, n)) != CKR_OK) {
			p11__rv_fail(err, rv, tok->label, "cannot read %s on token '%s'", one,
			    tok->label);
			goto out;
		}
		r = fn(arg, h[i], a, err);
		for (k = 0; k < n; k++)
			if (want[k].pValue == NULL)
				free(a[k].pValue);
		if (r != CR_OK)
			goto out;
	}
	r = CR_OK;
out:
	free(h);
	p11__raw_close(tok, s);
	return r;
}
