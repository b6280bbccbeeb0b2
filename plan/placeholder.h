/*
 * placeholder.h - the placeholders of SPEC 7.2: which exist, for which step
 * types each is available, validating a template (an argv element of a hook,
 * a command line of a kind file, a runbook line) and expanding it.
 *
 * Syntax.  A `{` followed by a letter starts a placeholder when the name
 * (letters, digits, '_', '.') is followed by `}`; `{{` is a literal `{`.  Any
 * other `{` is literal, so PowerShell script blocks (`{ $_.Name }`,
 * `@{Name=x}`) pass through.  A `{name` that reaches the end of the text is
 * an error ("unterminated placeholder").
 *
 * Names: {new.X} and {old.X} for X in sha1 sha256 subject issuer tls_name pem
 * (available for every step type), and by step type:
 *   import: {host}   grant: {host} {account}   restart: {host} {service} {account}
 *   rebind, rename: {host} {service} {account} {ref} {endpoint} {path}
 *   retire: certificate placeholders only.
 *
 * Nothing here allocates a table or keeps state: the table is static.
 */
#ifndef PLAN_PLACEHOLDER_H
#define PLAN_PLACEHOLDER_H

#include <stddef.h>
#include <stdint.h>

#include "steptype.h"

/* Every placeholder, in the order of the table. */
enum plan_ph {
	PLAN_PH_NEW_SHA1 = 0, PLAN_PH_NEW_SHA256, PLAN_PH_NEW_SUBJECT, PLAN_PH_NEW_ISSUER,
	PLAN_PH_NEW_TLS_NAME, PLAN_PH_NEW_PEM,
	PLAN_PH_OLD_SHA1, PLAN_PH_OLD_SHA256, PLAN_PH_OLD_SUBJECT, PLAN_PH_OLD_ISSUER,
	PLAN_PH_OLD_TLS_NAME, PLAN_PH_OLD_PEM,
	PLAN_PH_HOST, PLAN_PH_SERVICE, PLAN_PH_ACCOUNT, PLAN_PH_REF, PLAN_PH_ENDPOINT,
	PLAN_PH_PATH,
	PLAN_NPH
};

/* A set of placeholders: bit (1 << enum plan_ph). */
typedef uint32_t plan_phset;

struct plan_placeholder {
	enum plan_ph id;
	const char *name;	/* "new.sha1", "host", ... */
	unsigned steps;		/* step types it is available for: bit (1 << enum plan_step_type) */
};

/* The table: PLAN_NPH rows, row i has id i.  Static. */
const struct plan_placeholder *plan_placeholders(void);

/* The placeholder named name[0..len), or -1. */
int plan_ph_find(const char *name, size_t len);

/*
 * Validates a template for a step of type t.  `what` names what the
 * template belongs to in messages ("hook": "... in an import hook").
 * Returns NULL when it is fine, with *used (may be NULL) set to the
 * placeholders it uses; else a new message (free() it), e.g.
 *   unknown placeholder '{hots}' (known in an import hook: {new.*}, {old.*}, {host};
 *       '{{' is a literal '{')
 *   placeholder '{ref}' is not available in a restart hook (available: {new.*},
 *       {old.*}, {host}, {service}, {account})
 *   unterminated placeholder '{new.sha1' in '--sha={new.sha1'
 */
char *plan_ph_check(const char *tmpl, enum plan_step_type t, const char *what,
    plan_phset *used);

/*
 * The value of a placeholder for an expansion, or NULL for "" (an available
 * value that is not set: a ref without endpoint).  Borrowed.
 */
typedef const char *(*plan_ph_lookup_fn)(void *ctx, enum plan_ph ph);

/*
 * Transforms one substituted value (e.g. quotes it for a shell); gets ""
 * for a NULL value.  Returns a new string; free() is called on it.
 */
typedef char *(*plan_ph_transform_fn)(void *ctx, const char *value);

/*
 * Expands a template: every known placeholder is replaced by lookup's value,
 * passed through transform when it is not NULL (literal text never is);
 * `{{` becomes `{`.  A placeholder name that is not known (the template was
 * not validated) is kept as written.  New string; free() it.
 */
char *plan_ph_expand(const char *tmpl, plan_ph_lookup_fn lookup, void *lctx,
    plan_ph_transform_fn transform, void *tctx);

/*
 * The same with the lookup by name ("new.sha1", "host"), as hooks are
 * expanded: lookup(ctx, name) for every `{name}`, known or not; NULL gives
 * "".  New string; free() it.
 */
char *plan_expand(const char *arg, const char *(*lookup)(void *ctx, const char *name),
    void *ctx);

#endif
