/*
 * cfgwalk.c - the engine that reads libconfig's tree through the schema
 * (loader.h, schema.c): for each group, its unknown settings first (with
 * the nearest known name suggested), then each row of its section in
 * order: presence, libconfig type, emptiness, conversion by the row's type,
 * storage at the row's offsets, then the row's validators.  Freeing walks
 * the same rows.
 *
 * Message texts here are the loader's generic ones ("missing (required)",
 * "wrong type: expected a string, got an integer", "must not be empty",
 * "empty list (omit the setting instead)"); the validators add the rest.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "loader.h"
#include "../pkcs11/p11.h"
#include "internal.h"
#include "../common/util.h"
#include "../cert/ident.h"

#define B(t) PLAN_STEP_BIT(t)

/* ---- unknown settings ---------------------------------------------------------- */

/* Step type of "run_T" / "undo_T", or -1. */
static int
hook_step(const char *name, int *undo)
{
	const char *rest;
	int t;

	if (strncmp(name, "run_", 4) == 0) {
		rest = name + 4;
		*undo = 0;
	} else if (strncmp(name, "undo_", 5) == 0) {
		rest = name + 5;
		*undo = 1;
	} else {
		return -1;
	}
	for (t = 0; t < PLAN_NSTEPTYPES; t++)
		if (strcmp(rest, plan_step_type_name((enum plan_step_type)t)) == 0)
			return t;
	return -1;
}

/* Where a hook of each step type may be set, for "... is not a hook of a service". */
static const char *const hook_owner[PLAN_NSTEPTYPES] = {
	"import steps are per host: set it on the host or the rotation",
	"grant steps are per (host, account): set it on the host or the rotation",
	"set it on the ref (run), its service, its host or the rotation",
	"set it on the ref (run), its service, its host or the rotation",
	"set it on the service, its host or the rotation",
	"retire steps are per host (its store) and per token: set it on the host or the rotation",
};

/* The names a group of sec may hold besides its hooks, in table order (*n of them). */
static size_t
member_names(enum plan_sec sec, const char **names, size_t max)
{
	const struct plan_setting *rows;
	size_t n, i, k = 0;

	rows = plan_schema_rows(sec, &n);
	for (i = 0; i < n && k < max; i++)
		if (rows[i].type != PLAN_T_HOOKS)
			names[k++] = rows[i].name;
	return k;
}

/* "unknown setting 'x' ..." for member m of a group of sec, named `name`. */
static int
unknown(struct loader *ld, const config_setting_t *m, const char *path, const char *name,
    enum plan_sec sec)
{
	const struct plan_section *sc = plan_schema_section(sec);
	const char *cand[64], *near;
	char hookname[32];
	size_t nc = member_names(sec, cand, 64), k;

	near = plan_ld_nearest(name, cand, nc);
	if (near == NULL) {
		/* perhaps a misspelt hook ("run_restrat") */
		for (k = 0; k < PLAN_NSTEPTYPES; k++) {
			if (!(sc->hooks & B(k)))
				continue;
			snprintf(hookname, sizeof(hookname), "%s_%s",
			    strncmp(name, "undo", 4) == 0 ? "undo" : "run",
			    plan_step_type_name((enum plan_step_type)k));
			if (plan_ld_edit_distance(name, hookname) <= 2)
				return plan_ld_fail(ld, m, path, "unknown setting '%s' (did you mean "
				    "'%s'?)", name, hookname);
		}
		return plan_ld_fail(ld, m, path, "unknown setting '%s' in %s", name, sc->what);
	}
	return plan_ld_fail(ld, m, path, "unknown setting '%s' (did you mean '%s'?)", name, near);
}

/* Checks that every member of group g is a setting of sec (its rows[0..nrows)). */
static int
check_members(struct loader *ld, const config_setting_t *g, const char *gpath, enum plan_sec sec,
    const struct plan_setting *rows, size_t nrows)
{
	const struct plan_section *sc = plan_schema_section(sec);
	char p[PLAN_PATH_BUF];
	size_t k;
	int i, n = config_setting_length(g), st, undo;

	for (i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);

		if (name == NULL)
			continue;
		for (k = 0; k < nrows; k++)
			if (rows[k].type != PLAN_T_HOOKS && strcmp(name, rows[k].name) == 0)
				break;
		if (k < nrows)
			continue;
		st = hook_step(name, &undo);
		if (st >= 0 && (sc->hooks & B(st)))
			continue;
		plan_ld_path(p, gpath, name);
		if (st >= 0)
			return plan_ld_fail(ld, m, p, "'%s' is not a hook of %s (%s)", name, sc->what,
			    hook_owner[st]);
		return unknown(ld, m, p, name, sec);
	}
	return CR_OK;
}

/* ---- reading values -------------------------------------------------------------- */

/*
 * The string of v->s into v->text: wrong type or empty is an error.
 */
static int
get_string(struct loader *ld, struct plan_value *v)
{
	const char *t;

	if (config_setting_type(v->s) != CONFIG_TYPE_STRING)
		return plan_ld_fail(ld, v->s, v->path, "wrong type: expected a string, got %s",
		    plan_ld_type_name(config_setting_type(v->s)));
	t = config_setting_get_string(v->s);
	if (t == NULL || t[0] == '\0')
		return plan_ld_fail(ld, v->s, v->path, "must not be empty");
	v->text = t;
	return CR_OK;
}

/*
 * A list of strings at v->s: an array [ "a", "b" ] or a list ( "a", "b" ),
 * empty only with PLAN_F_EMPTY_OK.  *out: new array of n copies.
 */
static int
get_strlist(struct loader *ld, struct plan_value *v, int allow_empty, char ***out, size_t *n)
{
	char ep[PLAN_PATH_BUF];
	char **a;
	int i, len;

	*out = NULL;
	*n = 0;
	if (!config_setting_is_array(v->s) && !config_setting_is_list(v->s))
		return plan_ld_fail(ld, v->s, v->path, "wrong type: expected a list of strings "
		    "[ \"...\", ... ], got %s", plan_ld_type_name(config_setting_type(v->s)));
	len = config_setting_length(v->s);
	if (len == 0 && !allow_empty)
		return plan_ld_fail(ld, v->s, v->path, "empty list (omit the setting instead)");
	a = cr_xcalloc((size_t)len + 1, sizeof(*a));
	for (i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(v->s, (unsigned)i);
		const char *s = NULL;
		int r = CR_OK;

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			r = plan_ld_fail(ld, e, plan_ld_elem_path(ep, v->path, (size_t)i),
			    "wrong type: expected a string, got %s",
			    plan_ld_type_name(config_setting_type(e)));
		else if ((s = config_setting_get_string(e)) == NULL || s[0] == '\0')
			r = plan_ld_fail(ld, e, plan_ld_elem_path(ep, v->path, (size_t)i),
			    "must not be empty");
		if (r != CR_OK) {
			plan_free_strv(a, (size_t)i);
			return r;
		}
		a[i] = cr_xstrdup(s);
	}
	*out = a;
	*n = (size_t)len;
	return CR_OK;
}

/* Runs the row's elem validator on each element of the list v->s. */
static int
each_elem(struct loader *ld, struct plan_value *v, char **texts, size_t n)
{
	struct plan_value e = *v;
	size_t i;
	int r;

	if (v->row->elem == NULL)
		return CR_OK;
	for (i = 0; i < n; i++) {
		e.s = config_setting_get_elem(v->s, (unsigned)i);
		e.text = texts[i];
		e.index = i;
		plan_ld_elem_path(e.path, v->path, i);
		if ((r = v->row->elem(ld, &e)) != CR_OK)
			return r;
	}
	return CR_OK;
}

/* ---- types ------------------------------------------------------------------------ */

static int
has_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* What parsing a source ignored (a PKCS#11 URI's vendor query attributes): a warning. */
static void
src_warn(struct loader *ld, const config_setting_t *s, const char *path, const struct plan_src *src)
{
	const char *w = src->uri != NULL ? p11_uri_warning(src->uri) : NULL;

	if (w != NULL)
		plan_ld_warn(ld, s, path, w);
}

/* Parses an identity (refs' cert, protect entries) into id and, for a source, *src. */
static int
read_ident(struct loader *ld, const config_setting_t *s, const char *path, const char *text,
    struct crt_ident *id, struct plan_src **src)
{
	struct cr_err e;

	cr_err_clear(&e);
	memset(id, 0, sizeof(*id));
	*src = NULL;
	if (crt_ident_parse(text, id, &e) != CR_OK) {
		crt_ident_release(id);
		memset(id, 0, sizeof(*id));
		return plan_ld_fail(ld, s, path, "%s", e.msg);
	}
	if (id->kind == CRT_ID_SOURCE) {
		*src = cr_xcalloc(1, sizeof(**src));
		if (plan_src_parse(plan_ident_source(id, text), PLAN_USE_CERT, ld->cfg->dir, *src,
		    &e) != CR_OK)
			return plan_ld_fail(ld, s, path, "%s", e.msg);
		src_warn(ld, s, path, *src);
	}
	if (id->had_mark)
		plan_ld_warn(ld, s, path, "an invisible mark before the thumbprint was ignored "
		    "(pasted from the Windows certificate dialog?)");
	return CR_OK;
}

/* "'x': expected a, b or c" / "'x': only "a" is supported". */
static int
bad_enum(struct loader *ld, struct plan_value *v, const struct plan_enum *en)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i, n;
	int r;

	for (n = 0; en->names[n] != NULL; n++)
		;
	if (n == 1)
		return plan_ld_fail(ld, v->s, v->path, "'%s': only \"%s\" is supported", v->text,
		    en->names[0]);
	for (i = 0; i < n; i++)
		cr_buf_addf(&b, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", en->names[i]);
	r = plan_ld_fail(ld, v->s, v->path, "'%s': expected %s", v->text, cr_buf_str(&b));
	cr_buf_release(&b);
	return r;
}

/* Converts and stores the string v->text of a scalar row. */
static int
store_scalar(struct loader *ld, struct plan_value *v)
{
	const struct plan_setting *row = v->row;
	void *f = PLAN_FIELD(v->obj, row->off);
	const char *dir = ld->cfg->dir;
	struct cr_err e;
	size_t i;

	cr_err_clear(&e);
	switch (row->type) {
	case PLAN_T_STR:
		*(char **)f = cr_xstrdup(v->text);
		return CR_OK;
	case PLAN_T_PATH:
		*(char **)f = cr_path_resolve(dir, v->text);
		if (row->off2)
			*(char **)PLAN_FIELD(v->obj, row->off2) = cr_xstrdup(v->text);
		return CR_OK;
	case PLAN_T_MODULE:
		*(char **)f = strchr(v->text, '/') ? cr_path_resolve(dir, v->text) :
		    cr_xstrdup(v->text);
		return CR_OK;
	case PLAN_T_SECRET:
		/* SPEC 4, 9: a file.  Not a bare path either: "1234" may be a PIN pasted here */
		if (!has_prefix(v->text, "file:") || v->text[5] == '\0')
			return plan_ld_fail(ld, v->s, v->path, "must be file:PATH, a file holding the "
			    "PIN (the value is not shown: it may be the PIN itself)");
		*(char **)f = cr_path_resolve(dir, v->text + 5);
		return CR_OK;
	case PLAN_T_DURATION:
		if (cr_duration_parse(v->text, (long long *)f, &e) != CR_OK)
			return plan_ld_fail(ld, v->s, v->path, "%s", e.msg);
		return CR_OK;
	case PLAN_T_ENUM: {
		const struct plan_enum *en = row->arg;

		for (i = 0; en->names[i] != NULL; i++) {
			if (strcmp(v->text, en->names[i]) == 0) {
				int val = en->base + (int)i;

				memcpy(f, &val, sizeof(val));
				return CR_OK;
			}
		}
		return bad_enum(ld, v, en);
	}
	case PLAN_T_SOURCE: {
		struct plan_src *src = PLAN_FIELD(v->obj, row->off2);

		/* parsed from the stored copy: src->text points at it */
		*(char **)f = cr_xstrdup(v->text);
		if (plan_src_parse(*(char **)f, *(const enum plan_src_use *)row->arg, dir, src,
		    &e) != CR_OK)
			return plan_ld_fail(ld, v->s, v->path, "%s", e.msg);
		src_warn(ld, v->s, v->path, src);
		return CR_OK;
	}
	case PLAN_T_IDENT:
		*(char **)f = cr_xstrdup(v->text);
		return read_ident(ld, v->s, v->path, *(char **)f, PLAN_FIELD(v->obj, row->off2),
		    (struct plan_src **)PLAN_FIELD(v->obj, row->off3));
	default:
		break;
	}
	return CR_OK;
}

/* A scalar row: present, defaulted (absent / def) or absent. */
static int
read_scalar(struct loader *ld, struct plan_value *v)
{
	const struct plan_setting *row = v->row;
	int r;

	if (v->s == NULL) {
		if (row->absent != NULL && (r = row->absent(ld, v)) != CR_OK)
			return r;
		if (v->dflt != NULL)
			v->text = v->dflt;
		else if (row->flags & PLAN_F_REQUIRED)
			return plan_ld_fail(ld, v->group, v->path, "missing (required)");
		else if (row->def != NULL)
			v->text = row->def;
		else
			return CR_OK;
	} else if ((r = get_string(ld, v)) != CR_OK) {
		return r;
	}
	if (row->off_loc && v->s != NULL)
		*(struct plan_loc *)PLAN_FIELD(v->obj, row->off_loc) = plan_ld_loc(ld, v->s);
	if ((r = store_scalar(ld, v)) != CR_OK)
		return r;
	return row->check != NULL ? row->check(ld, v) : CR_OK;
}

/* STRLIST and SOURCES. */
static int
read_list(struct loader *ld, struct plan_value *v)
{
	const struct plan_setting *row = v->row;
	char **a = NULL, ep[PLAN_PATH_BUF];
	size_t n = 0, i;
	struct cr_err e;
	int r;

	if (v->s == NULL) {
		if (row->off_loc)	/* where the setting would be: its group */
			*(struct plan_loc *)PLAN_FIELD(v->obj, row->off_loc) = plan_ld_loc(ld, v->group);
		return CR_OK;
	}
	if ((r = get_strlist(ld, v, (row->flags & PLAN_F_EMPTY_OK) != 0, &a, &n)) != CR_OK)
		return r;
	*(char ***)PLAN_FIELD(v->obj, row->off) = a;
	*(size_t *)PLAN_FIELD(v->obj, row->off2) = n;
	if (row->type == PLAN_T_SOURCES) {
		struct plan_src *src = cr_xcalloc(n ? n : 1, sizeof(*src));

		*(struct plan_src **)PLAN_FIELD(v->obj, row->off3) = src;
		for (i = 0; i < n; i++) {
			cr_err_clear(&e);
			if (plan_src_parse(a[i], *(const enum plan_src_use *)row->arg, ld->cfg->dir,
			    &src[i], &e) != CR_OK)
				return plan_ld_fail(ld, config_setting_get_elem(v->s, (unsigned)i),
				    plan_ld_elem_path(ep, v->path, i), "%s", e.msg);
			src_warn(ld, config_setting_get_elem(v->s, (unsigned)i),
			    plan_ld_elem_path(ep, v->path, i), &src[i]);
		}
	}
	if (row->off_loc)
		*(struct plan_loc *)PLAN_FIELD(v->obj, row->off_loc) = plan_ld_loc(ld, v->s);
	if ((r = each_elem(ld, v, a, n)) != CR_OK)
		return r;
	return row->check != NULL ? row->check(ld, v) : CR_OK;
}

/* protect = [ identities ]: struct plan_protect each. */
static int
read_protect(struct loader *ld, struct plan_value *v)
{
	const struct plan_setting *row = v->row;
	struct plan_protect *pr;
	size_t n = 0, i, *count = PLAN_FIELD(v->obj, row->off2);
	char **a = NULL;
	int r = CR_OK;

	*count = 0;
	if (v->s != NULL &&
	    (r = get_strlist(ld, v, (row->flags & PLAN_F_EMPTY_OK) != 0, &a, &n)) != CR_OK)
		return r;
	pr = cr_xcalloc(n ? n : 1, sizeof(*pr));
	*(struct plan_protect **)PLAN_FIELD(v->obj, row->off) = pr;
	for (i = 0; i < n && r == CR_OK; i++) {
		const config_setting_t *e = config_setting_get_elem(v->s, (unsigned)i);

		pr[i].text = a[i];
		a[i] = NULL;
		pr[i].loc = plan_ld_loc(ld, e);
		pr[i].path = cr_xasprintf("%s.[%zu]", v->path, i);
		*count = i + 1;
		r = read_ident(ld, e, pr[i].path, pr[i].text, &pr[i].ident, &pr[i].src);
	}
	plan_free_strv(a, n);
	if (r != CR_OK || v->s == NULL)
		return r;
	return row->check != NULL ? row->check(ld, v) : CR_OK;
}

/* ---- groups --------------------------------------------------------------------------- */

/* A group { } read as another section. */
static int
read_group(struct loader *ld, struct plan_value *v)
{
	const struct plan_setting *row = v->row;

	if (v->s == NULL) {
		if (row->flags & PLAN_F_REQUIRED)
			return plan_ld_fail(ld, v->group, v->path, "missing (required)");
		return CR_OK;
	}
	if (!config_setting_is_group(v->s))
		return plan_ld_fail(ld, v->s, v->path, "wrong type: expected a group { ... }, got %s",
		    plan_ld_type_name(config_setting_type(v->s)));
	return plan_walk(ld, *(const enum plan_sec *)row->arg, v->s, v->path,
	    row->off ? PLAN_FIELD(v->obj, row->off) : v->obj);
}

/* The top-level lists whose elements' settings crossref.c reports about later. */
static int
elems_slot(enum plan_sec sec)
{
	switch (sec) {
	case PLAN_SEC_TOKEN: return PLAN_ELEMS_TOKENS;
	case PLAN_SEC_HOST: return PLAN_ELEMS_HOSTS;
	case PLAN_SEC_SERVICE: return PLAN_ELEMS_SERVICES;
	default: return -1;
	}
}

/* A list of groups ( { }, { } ), each read as the row's section. */
static int
read_groups(struct loader *ld, struct plan_value *v)
{
	const struct plan_setting *row = v->row;
	enum plan_sec sub = *(const enum plan_sec *)row->arg;
	const struct plan_section *sc = plan_schema_section(sub);
	const config_setting_t **elems = NULL;
	struct plan_value e;
	size_t n, i;
	char *arr;
	int r, slot;

	if (v->s == NULL)
		return CR_OK;
	if (!config_setting_is_list(v->s))
		return plan_ld_fail(ld, v->s, v->path, "wrong type: expected a list of groups "
		    "( { ... }, ... ), got %s", plan_ld_type_name(config_setting_type(v->s)));
	n = (size_t)config_setting_length(v->s);
	for (i = 0; i < n; i++) {
		const config_setting_t *el = config_setting_get_elem(v->s, (unsigned)i);

		if (!config_setting_is_group(el)) {
			char ep[PLAN_PATH_BUF];

			return plan_ld_fail(ld, el, plan_ld_elem_path(ep, v->path, i), "wrong type: "
			    "expected a group { ... }, got %s",
			    plan_ld_type_name(config_setting_type(el)));
		}
	}
	arr = cr_xcalloc(n ? n : 1, sc->size);
	*(char **)PLAN_FIELD(v->obj, row->off) = arr;
	*(size_t *)PLAN_FIELD(v->obj, row->off2) = n;
	if (row->sec == PLAN_SEC_ROOT && (slot = elems_slot(sub)) >= 0) {
		elems = cr_xcalloc(n ? n : 1, sizeof(*elems));
		for (i = 0; i < n; i++)
			elems[i] = config_setting_get_elem(v->s, (unsigned)i);
		ld->elems[slot] = elems;
	}
	e = *v;
	for (i = 0; i < n; i++) {
		e.s = config_setting_get_elem(v->s, (unsigned)i);
		e.index = i;
		plan_ld_elem_path(e.path, v->path, i);
		if ((r = plan_walk(ld, sub, e.s, e.path, arr + i * sc->size)) != CR_OK)
			return r;
		if (row->elem != NULL && (r = row->elem(ld, &e)) != CR_OK)
			return r;
	}
	return row->check != NULL ? row->check(ld, v) : CR_OK;
}

/* ---- hooks ---------------------------------------------------------------------------- */

/* One hook: a non-empty list of strings whose placeholders are available for step t. */
static int
read_hook(struct loader *ld, struct plan_value *v, enum plan_step_type t, struct plan_argv *out)
{
	char ep[PLAN_PATH_BUF];
	size_t i;
	int r;

	if (v->s == NULL)
		return CR_OK;
	if ((r = get_strlist(ld, v, 0, &out->v, &out->n)) != CR_OK)
		return r;
	out->loc = plan_ld_loc(ld, v->s);
	out->path = cr_xstrdup(v->path);
	for (i = 0; i < out->n; i++) {
		char *msg = plan_ph_check(out->v[i], t, "hook", NULL);

		if (msg != NULL) {
			r = plan_ld_fail(ld, config_setting_get_elem(v->s, (unsigned)i),
			    plan_ld_elem_path(ep, out->path, i), "%s", msg);
			free(msg);
			return r;
		}
	}
	return CR_OK;
}

/* 1 when group g has a member named run_* or undo_* (most groups have none). */
static int
has_hooks(const config_setting_t *g)
{
	int i, n = config_setting_length(g);

	for (i = 0; i < n; i++) {
		const char *name = config_setting_name(config_setting_get_elem(g, (unsigned)i));

		if (name != NULL && (strncmp(name, "run_", 4) == 0 || strncmp(name, "undo_", 5) == 0))
			return 1;
	}
	return 0;
}

/* The section's run_T and undo_T hooks, T in step order. */
static int
read_hooks(struct loader *ld, struct plan_value *v, const char *gpath, enum plan_sec sec)
{
	struct plan_hooks *h = PLAN_FIELD(v->obj, v->row->off);
	unsigned mask = plan_schema_section(sec)->hooks;
	struct plan_value hv = *v;
	char name[32];
	size_t t;
	int r, undo;

	if (has_hooks(v->group)) {
		for (t = 0; t < PLAN_NSTEPTYPES; t++) {
			if (!(mask & B(t)))
				continue;
			for (undo = 0; undo < 2; undo++) {
				snprintf(name, sizeof(name), "%s_%s", undo ? "undo" : "run",
				    plan_step_type_name((enum plan_step_type)t));
				hv.s = config_setting_get_member(v->group, name);
				plan_ld_path(hv.path, gpath, name);
				if ((r = read_hook(ld, &hv, (enum plan_step_type)t,
				    undo ? &h->undo[t] : &h->run[t])) != CR_OK)
					return r;
			}
		}
	}
	return v->row->check != NULL ? v->row->check(ld, v) : CR_OK;
}

/* ---- the walk ------------------------------------------------------------------------- */

static int
read_row(struct loader *ld, const struct plan_setting *row, const config_setting_t *g,
    const char *gpath, enum plan_sec sec, void *obj)
{
	struct plan_value v;
	int r;

	v.row = row;
	v.obj = obj;
	v.group = g;
	v.s = row->type != PLAN_T_HOOKS ? config_setting_get_member(g, row->name) : NULL;
	v.text = NULL;
	v.index = 0;
	v.dflt = NULL;
	/* most optional settings are absent: their path is never used then */
	if (v.s != NULL || (row->flags & PLAN_F_REQUIRED) || row->absent != NULL ||
	    row->def != NULL || row->type == PLAN_T_HOOKS)
		plan_ld_path(v.path, gpath, row->name);
	else
		v.path[0] = '\0';
	switch (row->type) {
	case PLAN_T_STRLIST:
	case PLAN_T_SOURCES:
		r = read_list(ld, &v);
		break;
	case PLAN_T_PROTECT:
		r = read_protect(ld, &v);
		break;
	case PLAN_T_GROUP:
		r = read_group(ld, &v);
		break;
	case PLAN_T_GROUPS:
		r = read_groups(ld, &v);
		break;
	case PLAN_T_HOOKS:
		r = read_hooks(ld, &v, gpath, sec);
		break;
	case PLAN_T_HOOK:
		r = read_hook(ld, &v, (*(const plan_hook_step_fn *)row->arg)(obj),
		    PLAN_FIELD(obj, row->off));
		break;
	default:
		r = read_scalar(ld, &v);
		break;
	}
	free(v.dflt);
	return r;
}

int
plan_walk(struct loader *ld, enum plan_sec sec, const config_setting_t *g, const char *path,
    void *obj)
{
	const struct plan_section *sc = plan_schema_section(sec);
	const struct plan_setting *rows;
	size_t n, i;
	int r;

	if (sc->off_loc)
		*(struct plan_loc *)PLAN_FIELD(obj, sc->off_loc) = plan_ld_loc(ld, g);
	if (sc->off_path)
		*(char **)PLAN_FIELD(obj, sc->off_path) = cr_xstrdup(path);
	rows = plan_schema_rows(sec, &n);
	if ((r = check_members(ld, g, path, sec, rows, n)) != CR_OK)
		return r;
	for (i = 0; i < n; i++)
		if ((r = read_row(ld, &rows[i], g, path, sec, obj)) != CR_OK)
			return r;
	return CR_OK;
}

/* ---- release --------------------------------------------------------------------------- */

static void
argv_release(struct plan_argv *a)
{
	plan_free_strv(a->v, a->n);
	free(a->path);
	memset(a, 0, sizeof(*a));
}

static void
release_row(const struct plan_setting *row, void *obj)
{
	void *f = row->off ? PLAN_FIELD(obj, row->off) : obj;
	size_t i, n;

	switch (row->type) {
	case PLAN_T_STR: case PLAN_T_MODULE: case PLAN_T_SECRET:
		free(*(char **)f);
		break;
	case PLAN_T_PATH:
		free(*(char **)f);
		if (row->off2)
			free(*(char **)PLAN_FIELD(obj, row->off2));
		break;
	case PLAN_T_SOURCE:
		plan_src_release(PLAN_FIELD(obj, row->off2));
		free(*(char **)f);
		break;
	case PLAN_T_SOURCES: {
		struct plan_src *src = *(struct plan_src **)PLAN_FIELD(obj, row->off3);

		n = *(size_t *)PLAN_FIELD(obj, row->off2);
		for (i = 0; src != NULL && i < n; i++)
			plan_src_release(&src[i]);
		free(src);
		plan_free_strv(*(char ***)f, n);
		break;
	}
	case PLAN_T_STRLIST:
		plan_free_strv(*(char ***)f, *(size_t *)PLAN_FIELD(obj, row->off2));
		break;
	case PLAN_T_IDENT: {
		struct plan_src *src = *(struct plan_src **)PLAN_FIELD(obj, row->off3);

		crt_ident_release(PLAN_FIELD(obj, row->off2));
		plan_src_release(src);
		free(src);
		free(*(char **)f);
		break;
	}
	case PLAN_T_PROTECT: {
		struct plan_protect *pr = *(struct plan_protect **)f;

		n = *(size_t *)PLAN_FIELD(obj, row->off2);
		for (i = 0; pr != NULL && i < n; i++) {
			free(pr[i].text);
			crt_ident_release(&pr[i].ident);
			plan_src_release(pr[i].src);
			free(pr[i].src);
			free(pr[i].path);
		}
		free(pr);
		break;
	}
	case PLAN_T_GROUP:
		plan_walk_release(*(const enum plan_sec *)row->arg, f);
		break;
	case PLAN_T_GROUPS: {
		enum plan_sec sub = *(const enum plan_sec *)row->arg;
		size_t size = plan_schema_section(sub)->size;
		char *arr = *(char **)f;

		n = *(size_t *)PLAN_FIELD(obj, row->off2);
		for (i = 0; arr != NULL && i < n; i++)
			plan_walk_release(sub, arr + i * size);
		free(arr);
		break;
	}
	case PLAN_T_HOOKS: {
		struct plan_hooks *h = f;

		for (i = 0; i < PLAN_NSTEPTYPES; i++) {
			argv_release(&h->run[i]);
			argv_release(&h->undo[i]);
		}
		break;
	}
	case PLAN_T_HOOK:
		argv_release(f);
		break;
	case PLAN_T_DURATION: case PLAN_T_ENUM:
		break;
	}
}

void
plan_walk_release(enum plan_sec sec, void *obj)
{
	const struct plan_section *sc = plan_schema_section(sec);
	const struct plan_setting *rows;
	size_t n, i;

	if (obj == NULL)
		return;
	rows = plan_schema_rows(sec, &n);
	for (i = 0; i < n; i++)
		release_row(&rows[i], obj);
	if (sc->off_path)
		free(*(char **)PLAN_FIELD(obj, sc->off_path));
}
