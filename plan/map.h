/*
 * map.h - plan/'s internal string-keyed hash map (open addressing, linear
 * probing, FNV-1a).  Keys are borrowed: they must outlive the map.  Used to
 * index hosts, services, identities and sources so that no part of loading
 * or planning is quadratic in the size of the inventory.
 *
 * Part of plan/'s interface for the layers above (check/ indexes its
 * results with it); nothing below plan/ uses it.
 */
#ifndef PLAN_MAP_H
#define PLAN_MAP_H

#include <stddef.h>

struct plan_map {
	const char **keys;	/* NULL = empty slot */
	size_t *vals;
	size_t cap;		/* power of two, 0 before the first put */
	size_t n;
};
#define PLAN_MAP_INIT { NULL, NULL, 0, 0 }

/*
 * Inserts key -> val unless key is present.  Returns 1 when inserted, 0 when
 * the key was already there (then *old, when not NULL, is its value and the
 * map is unchanged).
 */
int plan_map_put(struct plan_map *m, const char *key, size_t val, size_t *old);

/* 1 and *val set when key is present, else 0. */
int plan_map_get(const struct plan_map *m, const char *key, size_t *val);

void plan_map_release(struct plan_map *m);

#endif
