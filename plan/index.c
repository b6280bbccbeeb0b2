/*
 * index.c - keyed indexes of certificates and identities (internal.h), so
 * that resolving identities costs one lookup each instead of a scan of
 * every known certificate.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../common/util.h"
#include "../cert/dn.h"

/* ---- the multimap ------------------------------------------------------ */

void
plan_keyidx_add(struct plan_keyidx *x, char *key, size_t val)
{
	struct plan_keyidx_entry *e;
	size_t at = x->n, head;

	cr_grow(&x->e, &x->cap, x->n + 1, sizeof(*x->e));
	e = &x->e[at];
	e->key = key;
	e->val = val;
	e->next = PLAN_KEYIDX_END;
	e->tail = at;
	x->n++;
	/* keys are heap strings owned by the entries: they stay put when x->e moves */
	if (!plan_map_put(&x->map, key, at, &head)) {
		x->e[x->e[head].tail].next = at;
		x->e[head].tail = at;
	}
}

size_t
plan_keyidx_find(const struct plan_keyidx *x, const char *key)
{
	size_t at;

	return plan_map_get(&x->map, key, &at) ? at : PLAN_KEYIDX_END;
}

void
plan_keyidx_release(struct plan_keyidx *x)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		free(x->e[i].key);
	free(x->e);
	plan_map_release(&x->map);
	memset(x, 0, sizeof(*x));
}

/* ---- keys ---------------------------------------------------------------- */

char *
plan_hash_key(const unsigned char *digest, size_t n)
{
	return cr_hex_upper(digest, n);
}

char *
plan_name_key(const struct crt_dn *issuer, const struct crt_dn *subject)
{
	char *i = crt_dn_key(issuer), *s = crt_dn_key(subject);
	char *key = cr_xasprintf("<I>%s<S>%s", i, s);

	free(i);
	free(s);
	return key;
}

char *
plan_cert_name_key(const struct crt_cert *c)
{
	struct crt_dn issuer, subject;
	char *key;

	crt_dn_from_name(crt_cert_issuer_name(c), &issuer);
	crt_dn_from_name(crt_cert_subject_name(c), &subject);
	key = plan_name_key(&issuer, &subject);
	crt_dn_release(&issuer);
	crt_dn_release(&subject);
	return key;
}
