/*
 * internal.h - helpers shared by the files of plan/ only.
 */
#ifndef PLAN_INTERNAL_H
#define PLAN_INTERNAL_H

#include "../cert/ident.h"

/*
 * The percent-decoded value of attribute `attr` in the path part of a
 * pkcs11: URI ("token" of "pkcs11:token=edge;object=x"), or NULL.  New
 * string; free() it.
 */
char *plan_uri_attr(const char *uri, const char *attr);

/* The source text an identity of kind CRT_ID_SOURCE names (borrowed). */
const char *plan_ident_source(const struct crt_ident *id, const char *text);

/*
 * Makes room for element n (0-based) of an array *pp of `size`-byte
 * elements that holds n: capacity is implied (doubling at powers of two), so
 * appending is amortised O(1) without a capacity field.
 */
void plan_grow_implied(void *pp, size_t n, size_t size);

/* qsort that accepts an empty array with a NULL base (qsort's may not be NULL). */
void plan_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

#endif
