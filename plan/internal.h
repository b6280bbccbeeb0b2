/*
 * internal.h - helpers shared by the files of plan/ only.
 */
#ifndef PLAN_INTERNAL_H
#define PLAN_INTERNAL_H

#include <stdio.h>

#include "map.h"
#include "plan.h"
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

/*
 * The NID of an OpenSSL object named by its short or long name in any case,
 * or by its dotted OID (validate.c: accepts.signature entries are compared
 * so); NID_undef when none.
 */
int plan_obj_nid(const char *text);

/* qsort that accepts an empty array with a NULL base (qsort's may not be NULL). */
void plan_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* ---- near misses (nearmiss.c) ----------------------------------------------- */

/*
 * How the identity id (a hash or a name that matches no known certificate)
 * is near certificate c, for people: "one hex digit differs (digit 17: 'C'
 * here, 'B' in it)", "its subject has the RDNs of the certificate's subject
 * in reverse order: Windows writes it '...'", "its issuer differs from the
 * certificate's in one RDN (O: 'Contoso' -> 'Contoso Ltd')"; NULL when it
 * is not near (or id is a source).  New string.
 */
char *plan_near_miss(const struct crt_ident *id, const struct crt_cert *c);

/* ---- steps (steps.c) ---------------------------------------------------- */

/* What the steps of a plan share (plan->priv). */
struct plan_shared;
/* For a plan of old and new (both loaded).  plan_shared_free it (accepts NULL). */
struct plan_shared *plan_shared_new(const struct plan_inputs *in);
void plan_shared_free(struct plan_shared *sh);

/*
 * Builds the steps of p (whose refs are resolved and whose priv is its
 * plan_shared), in SPEC 5 order, and names them.  CR_OK.
 */
int plan_steps_build(struct plan *p);

/* Appends a note for people to p (takes note). */
void plan_add_note(struct plan *p, char *note);

/* ---- files of file refs (files.c) ------------------------------------------- */

/*
 * Reads every file a file ref names into in->files (sorted by path), once
 * each: layout, order, the install's preview.  Never fails: what cannot be
 * read is recorded in the entry.
 */
void plan_files_load(const struct plan_config *cfg, struct plan_inputs *in);
void plan_files_release(struct plan_inputs *in);
/*
 * Fills the writes and the description of rebind-file step s (its ref and
 * frefs set): what goes into which file, in which layout and mode.
 */
void plan_file_step(const struct plan *p, struct plan_step *s);
/*
 * Which of the n refs idx[] (indices into p->refs) write a file in common -
 * one's path or key_path the same file (plan_same_file) as another's -
 * transitively: group[i] is the position in idx of the first ref of i's
 * group, so that one step writes each file once (SPEC 7.2).  A ref that is
 * no file ref, or has a hook of its own (it writes its file its own way),
 * is a group of its own.
 */
void plan_file_groups(const struct plan *p, const size_t *idx, size_t n, size_t *group);
/* The step's writes as a JSON array (new reference) / as lines under its text line. */
struct json_object *plan_writes_json(const struct plan_step *s);
void plan_writes_text(const struct plan_step *s, FILE *out);
/* "      test: nginx -t (the kind's default)" under a restart's text line. */
void plan_test_text(const struct plan_step *s, FILE *out);

/* ---- keyed indexes (index.c) ------------------------------------------- */

/*
 * A multimap from string keys to values, each key's values in insertion
 * order: how known certificates are found by SHA-256, SHA-1 or name, and
 * protect entries by hash or name, in O(1) per lookup.  Keys are owned.
 *
 *   for (e = plan_keyidx_find(x, key); e != PLAN_KEYIDX_END; e = x->e[e].next)
 *           use(x->e[e].val);
 */
#define PLAN_KEYIDX_END ((size_t)-1)

struct plan_keyidx_entry {
	char *key;		/* owned */
	size_t val;
	size_t next;		/* next entry with the same key, or PLAN_KEYIDX_END */
	size_t tail;		/* in a key's first entry: its last entry */
};

struct plan_keyidx {
	struct plan_keyidx_entry *e;
	size_t n, cap;
	struct plan_map map;	/* key -> its first entry */
};
#define PLAN_KEYIDX_INIT { NULL, 0, 0, PLAN_MAP_INIT }

/* Adds key -> val after any values the key already has; takes key. */
void plan_keyidx_add(struct plan_keyidx *x, char *key, size_t val);
/* The first entry of key, or PLAN_KEYIDX_END. */
size_t plan_keyidx_find(const struct plan_keyidx *x, const char *key);
void plan_keyidx_release(struct plan_keyidx *x);

/* The key of a SHA-1 / SHA-256 digest (upper-case hex).  New string. */
char *plan_hash_key(const unsigned char *digest, size_t n);

/*
 * The key of an <I>issuer<S>subject name (crt_dn_key of each): two names
 * have the same key exactly when crt_dn_equal matches them, issuer with
 * issuer and subject with subject.  Candidates found by key are still
 * confirmed with crt_ident_matches, which is cheap.  New string.
 */
char *plan_name_key(const struct crt_dn *issuer, const struct crt_dn *subject);
/* The same for a certificate's issuer and subject.  New string. */
char *plan_cert_name_key(const struct crt_cert *c);

/* ---- libconfig's errors (cfgdiag.c) ---------------------------------------- */

/* The setting behind "duplicate setting name" / "mismatched element type in array". */
struct plan_cfgdiag {
	int line;		/* where libconfig stops: the repeated name, the odd element */
	char *path;		/* its setting path ("hosts.[0].name", "...names.[1]"), or NULL
				   when an @include in an enclosing group or list hides it */
	char *name;		/* the repeated name, or NULL */
	char *msg;		/* "duplicate setting 'name' (first at line 3)", "wrong type: ..." */
};

/*
 * Scans libconfig text for the first name repeated within a group and the
 * first array element of another type than the array's first, whichever
 * comes first.  1 and *out filled (plan_cfgdiag_release it) when one is
 * found, else 0.  A syntax error ends the scan (0).
 */
int plan_cfgdiag(const char *text, struct plan_cfgdiag *out);
void plan_cfgdiag_release(struct plan_cfgdiag *d);

/* 1 when text has an @include of `target` (as written) outside any group or list. */
int plan_include_at_root(const char *text, const char *target);

/* The file named by an @include directive on line `line` of text, or NULL.  New string. */
char *plan_include_target(const char *text, int line);

#endif
