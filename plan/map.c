#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"
#include "internal.h"
#include "../common/util.h"

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static size_t
find(const struct plan_map *m, const char *key)
{
	size_t i = (size_t)hash(key) & (m->cap - 1);

	while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void
grow(struct plan_map *m)
{
	struct plan_map big = PLAN_MAP_INIT;
	size_t i;

	big.cap = m->cap ? m->cap * 2 : 16;
	big.keys = cr_xcalloc(big.cap, sizeof(*big.keys));
	big.vals = cr_xcalloc(big.cap, sizeof(*big.vals));
	for (i = 0; i < m->cap; i++) {
		if (m->keys[i] != NULL) {
			size_t j = find(&big, m->keys[i]);
			big.keys[j] = m->keys[i];
			big.vals[j] = m->vals[i];
		}
	}
	big.n = m->n;
	plan_map_release(m);
	*m = big;
}

int
plan_map_put(struct plan_map *m, const char *key, size_t val, size_t *old)
{
	size_t i;

	/* keep the load factor under one half: probes stay short */
	if (2 * (m->n + 1) > m->cap)
		grow(m);
	i = find(m, key);
	if (m->keys[i] != NULL) {
		if (old != NULL)
			*old = m->vals[i];
		return 0;
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return 1;
}

int
plan_map_get(const struct plan_map *m, const char *key, size_t *val)
{
	size_t i;

	if (m->cap == 0)
		return 0;
	i = find(m, key);
	if (m->keys[i] == NULL)
		return 0;
	if (val != NULL)
		*val = m->vals[i];
	return 1;
}

void
plan_map_release(struct plan_map *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->n = 0;
}

void
plan_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

void
plan_grow_implied(void *pp, size_t n, size_t size)
{
	void **p = pp;

	/* capacity is n rounded up to a power of two (at least 4): grow when n reaches it */
	if (n == 0)
		*p = cr_xrealloc(*p, 4 * size);
	else if (n >= 4 && (n & (n - 1)) == 0)
		*p = cr_xrealloc(*p, 2 * n * size);
}
