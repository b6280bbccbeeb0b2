/*
 * placeholder.c - the placeholder table, validation and expansion
 * (placeholder.h).
 *
 * One scanner (next_part) splits a template into literal text and
 * placeholder references; validation and both expansions walk its output,
 * so what is checked at load time is exactly what is expanded later.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "placeholder.h"
#include "../common/util.h"

#define B(t) PLAN_STEP_BIT(t)
#define CTX_REF (B(PLAN_REBIND) | B(PLAN_RENAME))

static const struct plan_placeholder table[PLAN_NPH] = {
	{ PLAN_PH_NEW_SHA1, "new.sha1", PLAN_ALL_STEPS },
	{ PLAN_PH_NEW_SHA256, "new.sha256", PLAN_ALL_STEPS },
	{ PLAN_PH_NEW_SUBJECT, "new.subject", PLAN_ALL_STEPS },
	{ PLAN_PH_NEW_ISSUER, "new.issuer", PLAN_ALL_STEPS },
	{ PLAN_PH_NEW_TLS_NAME, "new.tls_name", PLAN_ALL_STEPS },
	{ PLAN_PH_NEW_PEM, "new.pem", PLAN_ALL_STEPS },
	{ PLAN_PH_OLD_SHA1, "old.sha1", PLAN_ALL_STEPS },
	{ PLAN_PH_OLD_SHA256, "old.sha256", PLAN_ALL_STEPS },
	{ PLAN_PH_OLD_SUBJECT, "old.subject", PLAN_ALL_STEPS },
	{ PLAN_PH_OLD_ISSUER, "old.issuer", PLAN_ALL_STEPS },
	{ PLAN_PH_OLD_TLS_NAME, "old.tls_name", PLAN_ALL_STEPS },
	{ PLAN_PH_OLD_PEM, "old.pem", PLAN_ALL_STEPS },
	{ PLAN_PH_HOST, "host", B(PLAN_IMPORT) | B(PLAN_GRANT) | CTX_REF | B(PLAN_RESTART) |
	  B(PLAN_RETIRE) },
	{ PLAN_PH_SERVICE, "service", CTX_REF | B(PLAN_RESTART) },
	{ PLAN_PH_ACCOUNT, "account", B(PLAN_GRANT) | CTX_REF | B(PLAN_RESTART) },
	{ PLAN_PH_REF, "ref", CTX_REF },
	{ PLAN_PH_ENDPOINT, "endpoint", CTX_REF },
	{ PLAN_PH_PATH, "path", CTX_REF },
};

/* The certificate placeholders, listed as {new.*}, {old.*}. */
#define IS_CERT(i) (strncmp(table[i].name, "new.", 4) == 0 || strncmp(table[i].name, "old.", 4) == 0)

const struct plan_placeholder *
plan_placeholders(void)
{
	return table;
}

int
plan_ph_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < PLAN_NPH; i++)
		if (strlen(table[i].name) == len && strncmp(name, table[i].name, len) == 0)
			return (int)i;
	return -1;
}

/* ---- the scanner ---------------------------------------------------------- */

enum part { P_END = 0, P_TEXT, P_BRACE, P_NAME, P_UNTERMINATED };

static int
is_ident_char(int c)
{
	return isalnum(c) || c == '_' || c == '.';
}

/*
 * The part of the template at *pp: literal text (up to the next '{' that
 * may start something), "{{" (P_BRACE), a "{name}" (P_NAME: the name is
 * [*start, *start + *len)), or a "{name" reaching the end (P_UNTERMINATED).
 * A '{' that starts no name is literal text, and so is "{name" followed by
 * anything but '}'.  Advances *pp.
 */
static enum part
next_part(const char **pp, const char **start, size_t *len)
{
	const char *p = *pp, *q;

	*start = p;
	if (*p == '\0')
		return P_END;
	if (p[0] == '{' && p[1] == '{') {
		*pp = p + 2;
		return P_BRACE;
	}
	if (p[0] == '{' && isalpha((unsigned char)p[1])) {
		for (q = p + 1; is_ident_char((unsigned char)*q); q++)
			;
		if (*q == '}') {
			*start = p + 1;
			*len = (size_t)(q - p - 1);
			*pp = q + 1;
			return P_NAME;
		}
		if (*q == '\0') {
			*len = (size_t)(q - p);
			*pp = q;
			return P_UNTERMINATED;
		}
		/* "{name" then something else: literal up to that */
		*len = (size_t)(q - p);
		*pp = q;
		return P_TEXT;
	}
	/* literal text up to the next '{' (a '{' here starts no name: take it) */
	q = strchr(p + 1, '{');
	if (q == NULL)
		q = p + strlen(p);
	*len = (size_t)(q - p);
	*pp = q;
	return P_TEXT;
}

/* ---- validation ----------------------------------------------------------- */

/* The placeholders available for a step type, for messages. */
static char *
available_list(enum plan_step_type t)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i;

	cr_buf_adds(&b, "{new.*}, {old.*}");
	for (i = 0; i < PLAN_NPH; i++)
		if (!IS_CERT(i) && (table[i].steps & B(t)))
			cr_buf_addf(&b, ", {%s}", table[i].name);
	return cr_buf_detach(&b);
}

char *
plan_ph_check(const char *tmpl, enum plan_step_type t, const char *what, plan_phset *used)
{
	const char *p = tmpl, *start;
	/* "an import hook", "a restart hook" */
	const char *tn = plan_step_type_name(t), *a = strchr("aeiou", tn[0]) ? "an" : "a";
	plan_phset set = 0;
	enum part k;
	size_t len = 0;
	char *avail, *msg;
	int ph;

	if (used != NULL)
		*used = 0;
	while ((k = next_part(&p, &start, &len)) != P_END) {
		if (k == P_UNTERMINATED)
			return cr_xasprintf("unterminated placeholder '%s' in '%s'", start, tmpl);
		if (k != P_NAME)
			continue;
		ph = plan_ph_find(start, len);
		if (ph >= 0 && (table[ph].steps & B(t))) {
			set |= (plan_phset)1 << ph;
			continue;
		}
		avail = available_list(t);
		if (ph < 0)
			msg = cr_xasprintf("unknown placeholder '{%.*s}' (known in %s %s %s: %s; "
			    "'{{' is a literal '{')", (int)len, start, a, tn, what, avail);
		else
			msg = cr_xasprintf("placeholder '{%.*s}' is not available in %s %s %s "
			    "(available: %s)", (int)len, start, a, tn, what, avail);
		free(avail);
		return msg;
	}
	if (used != NULL)
		*used = set;
	return NULL;
}

/* ---- expansion ---------------------------------------------------------------- */

/*
 * The walk both expansions share: value(ctx, name, len, &known) gives a
 * placeholder's value (NULL: ""); a name it does not know is kept as
 * written.
 */
typedef const char *(*value_fn)(void *ctx, const char *name, size_t len, int *known);

static char *
expand(const char *tmpl, value_fn value, void *vctx, plan_ph_transform_fn transform, void *tctx)
{
	struct cr_buf b = CR_BUF_INIT;
	const char *p = tmpl, *start, *v;
	size_t len = 0;
	enum part k;
	int known;

	while ((k = next_part(&p, &start, &len)) != P_END) {
		switch (k) {
		case P_BRACE:
			cr_buf_addc(&b, '{');
			break;
		case P_NAME:
			v = value(vctx, start, len, &known);
			if (!known) {
				cr_buf_addf(&b, "{%.*s}", (int)len, start);
			} else if (transform != NULL) {
				char *t = transform(tctx, v != NULL ? v : "");

				cr_buf_adds(&b, t);
				free(t);
			} else if (v != NULL) {
				cr_buf_adds(&b, v);
			}
			break;
		default:
			cr_buf_add(&b, start, len);
			break;
		}
	}
	return cr_buf_detach(&b);
}

struct by_id {
	plan_ph_lookup_fn lookup;
	void *ctx;
};

static const char *
value_by_id(void *ctx, const char *name, size_t len, int *known)
{
	const struct by_id *c = ctx;
	int ph = plan_ph_find(name, len);

	*known = ph >= 0;
	return ph >= 0 ? c->lookup(c->ctx, (enum plan_ph)ph) : NULL;
}

char *
plan_ph_expand(const char *tmpl, plan_ph_lookup_fn lookup, void *lctx,
    plan_ph_transform_fn transform, void *tctx)
{
	struct by_id c = { lookup, lctx };

	return expand(tmpl, value_by_id, &c, transform, tctx);
}

struct by_name {
	const char *(*lookup)(void *ctx, const char *name);
	void *ctx;
};

static const char *
value_by_name(void *ctx, const char *name, size_t len, int *known)
{
	const struct by_name *c = ctx;
	char *n = cr_xstrndup(name, len);
	const char *v = c->lookup(c->ctx, n);

	free(n);
	*known = 1;
	return v;
}

char *
plan_expand(const char *arg, const char *(*lookup)(void *ctx, const char *name), void *ctx)
{
	struct by_name c = { lookup, ctx };

	return expand(arg, value_by_name, &c, NULL, NULL);
}
