/*
 * config.c - loading and validating certrotate.cfg (SPEC 4).
 *
 * The loader walks libconfig's tree once, in file order, checking every
 * setting as it goes, so that the first error reported is the first in the
 * file.  Cross-entity rules (duplicates, dangling names, cycles) run after
 * the walk, still in file order.  Only then are the arrays sorted, which
 * makes everything downstream independent of the order of entries.
 *
 * Every lookup is through a hash map or a sorted array: a 2,000-host,
 * 20,000-ref inventory loads in linear time.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "config.h"
#include "internal.h"
#include "map.h"
#include "../common/util.h"
#include "../cert/csr.h"
#include "../cert/dn.h"
#include "../cert/keyalg.h"
#include "../cert/tls.h"
#include "../pkcs11/p11.h"

/* ---- names of enums ------------------------------------------------- */

static const char *const step_names[PLAN_NSTEPTYPES] = {
	"import", "grant", "rebind", "rename", "restart", "retire",
};

const char *
plan_step_type_name(enum plan_step_type t)
{
	return (unsigned)t < PLAN_NSTEPTYPES ? step_names[t] : "?";
}

const char *
plan_ref_type_name(enum plan_ref_type t)
{
	switch (t) {
	case PLAN_REF_BINDING: return "binding";
	case PLAN_REF_CONNECTOR: return "connector";
	case PLAN_REF_FILE: return "file";
	}
	return "?";
}

const char *
plan_retire_mode_name(enum plan_retire_mode m)
{
	switch (m) {
	case PLAN_RETIRE_ARCHIVE: return "archive";
	case PLAN_RETIRE_DELETE: return "delete";
	case PLAN_RETIRE_KEEP: return "keep";
	}
	return "?";
}

/* ---- placeholders ----------------------------------------------------- */

static const char *const cert_fields[] = {
	"sha1", "sha256", "subject", "issuer", "tls_name", "pem", NULL,
};

/* Context placeholders and the step types they are available in. */
#define B(t) (1u << (t))
static const struct {
	const char *name;
	unsigned steps;
} ctx_placeholders[] = {
	{ "host", B(PLAN_IMPORT) | B(PLAN_GRANT) | B(PLAN_REBIND) | B(PLAN_RENAME) | B(PLAN_RESTART) },
	{ "service", B(PLAN_REBIND) | B(PLAN_RENAME) | B(PLAN_RESTART) },
	{ "account", B(PLAN_GRANT) | B(PLAN_REBIND) | B(PLAN_RENAME) | B(PLAN_RESTART) },
	{ "ref", B(PLAN_REBIND) | B(PLAN_RENAME) },
	{ "endpoint", B(PLAN_REBIND) | B(PLAN_RENAME) },
	{ "path", B(PLAN_REBIND) | B(PLAN_RENAME) },
};
#define NCTX (sizeof(ctx_placeholders) / sizeof(ctx_placeholders[0]))

static int
is_ident_char(int c)
{
	return isalnum(c) || c == '_' || c == '.';
}

/* 0: known; 1: unknown name; 2: not available for this step type. */
static int
placeholder_status(const char *name, size_t len, enum plan_step_type t)
{
	size_t i;

	if (len > 4 && (strncmp(name, "new.", 4) == 0 || strncmp(name, "old.", 4) == 0)) {
		for (i = 0; cert_fields[i] != NULL; i++)
			if (strlen(cert_fields[i]) == len - 4 &&
			    strncmp(name + 4, cert_fields[i], len - 4) == 0)
				return 0;
		return 1;
	}
	for (i = 0; i < NCTX; i++)
		if (strlen(ctx_placeholders[i].name) == len &&
		    strncmp(name, ctx_placeholders[i].name, len) == 0)
			return (ctx_placeholders[i].steps & B(t)) ? 0 : 2;
	return 1;
}

/* The placeholders available for a step type, for messages. */
static char *
available_list(enum plan_step_type t)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i;

	cr_buf_adds(&b, "{new.*}, {old.*}");
	for (i = 0; i < NCTX; i++)
		if (ctx_placeholders[i].steps & B(t))
			cr_buf_addf(&b, ", {%s}", ctx_placeholders[i].name);
	return cr_buf_detach(&b);
}

/*
 * Checks one argv element; on a problem returns a new message, else NULL.
 */
static char *
check_placeholders(const char *arg, enum plan_step_type t)
{
	const char *p = arg;
	char *avail, *msg;

	while ((p = strchr(p, '{')) != NULL) {
		const char *q;
		int st;

		if (p[1] == '{') {
			p += 2;
			continue;
		}
		if (!isalpha((unsigned char)p[1])) {
			p++;
			continue;
		}
		for (q = p + 1; is_ident_char((unsigned char)*q); q++)
			;
		if (*q == '\0')
			return cr_xasprintf("unterminated placeholder '%s' in '%s'", p, arg);
		if (*q != '}') {
			p = q;
			continue;
		}
		st = placeholder_status(p + 1, (size_t)(q - p - 1), t);
		if (st != 0) {
			avail = available_list(t);
			/* "an import hook", "a restart hook" */
			const char *a = strchr("aeiou", plan_step_type_name(t)[0]) ? "an" : "a";

			if (st == 1)
				msg = cr_xasprintf("unknown placeholder '%.*s' (known in %s %s hook: %s; "
				    "'{{' is a literal '{')", (int)(q - p + 1), p, a, plan_step_type_name(t),
				    avail);
			else
				msg = cr_xasprintf("placeholder '%.*s' is not available in %s %s hook "
				    "(available: %s)", (int)(q - p + 1), p, a, plan_step_type_name(t), avail);
			free(avail);
			return msg;
		}
		p = q + 1;
	}
	return NULL;
}

char *
plan_expand(const char *arg, const char *(*lookup)(void *ctx, const char *name), void *ctx)
{
	struct cr_buf b = CR_BUF_INIT;
	const char *p = arg;

	while (*p) {
		const char *q;

		if (p[0] == '{' && p[1] == '{') {
			cr_buf_addc(&b, '{');
			p += 2;
			continue;
		}
		if (p[0] != '{' || !isalpha((unsigned char)p[1])) {
			cr_buf_addc(&b, *p++);
			continue;
		}
		for (q = p + 1; is_ident_char((unsigned char)*q); q++)
			;
		if (*q == '}') {
			char *name = cr_xstrndup(p + 1, (size_t)(q - p - 1));
			const char *v = lookup(ctx, name);

			if (v != NULL)
				cr_buf_adds(&b, v);
			free(name);
			p = q + 1;
		} else {
			cr_buf_add(&b, p, (size_t)(q - p));
			p = q;
		}
	}
	return cr_buf_detach(&b);
}

/* ---- the loader ------------------------------------------------------- */

struct cfg_index {
	struct plan_map hosts, services;
};

struct loader {
	config_t lc;
	struct plan_config *cfg;
	struct cr_err *err;
	/* file-order setting of each host / service (for cross-entity errors) */
	const config_setting_t **host_set, **svc_set;
};

static const char *
type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_INT: return "an integer";
	case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_GROUP: return "a group { ... }";
	case CONFIG_TYPE_ARRAY: return "an array [ ... ]";
	case CONFIG_TYPE_LIST: return "a list ( ... )";
	}
	return "nothing";
}

/* 1 when `resolved` is `file` resolved against the configuration's directory. */
static int
is_resolved(const struct plan_config *cfg, const char *resolved, const char *file)
{
	char *r = cr_path_resolve(cfg->dir, file);
	int same = strcmp(r, resolved) == 0;

	free(r);
	return same;
}

static const char *
intern_file(struct plan_config *cfg, const char *file)
{
	size_t i;

	if (file == NULL)
		file = cfg->file;
	for (i = 0; i < cfg->nfiles; i++)
		if (strcmp(cfg->files[i], file) == 0 || (strcmp(file, cfg->file) != 0 &&
		    file[0] != '/' && is_resolved(cfg, cfg->files[i], file)))
			return cfg->files[i];
	/* few files (the configuration and what it @includes): a list will do */
	plan_grow_implied(&cfg->files, cfg->nfiles, sizeof(*cfg->files));
	/* libconfig names an @include as written; it was read relative to our directory */
	cfg->files[cfg->nfiles] = strcmp(file, cfg->file) == 0 ? cr_xstrdup(file) :
	    cr_path_resolve(cfg->dir, file);
	return cfg->files[cfg->nfiles++];
}

static struct plan_loc
loc_of(struct loader *ld, const config_setting_t *s)
{
	struct plan_loc l;

	l.file = intern_file(ld->cfg, s ? config_setting_source_file(s) : NULL);
	l.line = s ? (int)config_setting_source_line(s) : 0;
	/* the top level (a missing `rotation`, an empty file) has no line: say the first */
	if (s != NULL && l.line == 0)
		l.line = 1;
	return l;
}

static int
vfail_loc(struct cr_err *err, struct plan_loc loc, const char *setting, const char *fmt,
    va_list ap)
{
	char msg[CR_ERR_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (loc.line > 0)
		return cr_err_set(err, CR_EINPUT, "%s:%d: %s: %s", loc.file, loc.line, setting, msg);
	return cr_err_set(err, CR_EINPUT, "%s: %s: %s", loc.file, setting, msg);
}

int
plan_config_error(struct cr_err *err, struct plan_loc loc, const char *setting,
    const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail_loc(err, loc, setting, fmt, ap);
	va_end(ap);
	return r;
}

/* Error about setting s (whose path is `path`). */
static int fail(struct loader *ld, const config_setting_t *s, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int
fail(struct loader *ld, const config_setting_t *s, const char *path, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail_loc(ld->err, loc_of(ld, s), path, fmt, ap);
	va_end(ap);
	return r;
}

static void
warn(struct loader *ld, const config_setting_t *s, const char *path, const char *msg)
{
	struct plan_config *cfg = ld->cfg;
	struct plan_loc l = loc_of(ld, s);

	plan_grow_implied(&cfg->warnings, cfg->nwarnings, sizeof(*cfg->warnings));
	cfg->warnings[cfg->nwarnings++].msg = cr_xasprintf("%s:%d: %s: %s", l.file, l.line, path, msg);
}

/* "parent.name" into a new string. */
static char *
mpath(const char *parent, const char *name)
{
	return parent[0] ? cr_xasprintf("%s.%s", parent, name) : cr_xstrdup(name);
}

/*
 * "parent.name" into buf (PATH_BUF bytes), without allocating: the paths of
 * settings that turn out fine are built for every setting checked.  A path
 * too long for the buffer (deeper than any configuration) is cut and ends
 * in "...".
 */
#define PATH_BUF 256
static const char *
jpath(char *buf, const char *parent, const char *name)
{
	int n = snprintf(buf, PATH_BUF, "%s%s%s", parent, parent[0] ? "." : "", name);

	if (n < 0 || n >= PATH_BUF)
		memcpy(buf + PATH_BUF - 4, "...", 4);
	return buf;
}

/* ---- unknown settings, with a suggestion --------------------------------- */

/* Optimal string alignment distance (Levenshtein with transpositions). */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, r;
	size_t *d;

	if (la > 64 || lb > 64)
		return 99;
	d = cr_xcalloc((la + 1) * (lb + 1), sizeof(*d));
#define D(x, y) d[(x) * (lb + 1) + (y)]
	for (i = 0; i <= la; i++)
		D(i, 0) = i;
	for (j = 0; j <= lb; j++)
		D(0, j) = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t v = D(i - 1, j) + 1;

			if (D(i, j - 1) + 1 < v)
				v = D(i, j - 1) + 1;
			if (D(i - 1, j - 1) + cost < v)
				v = D(i - 1, j - 1) + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    D(i - 2, j - 2) + 1 < v)
				v = D(i - 2, j - 2) + 1;
			D(i, j) = v;
		}
	}
	r = D(la, lb);
#undef D
	free(d);
	return r;
}

/* The nearest of `names` (n entries) to `word`, or NULL when none is near. */
static const char *
nearest(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t bestd = 3, i, len = strlen(word);

	for (i = 0; i < n; i++) {
		size_t d = edit_distance(word, names[i]);

		if (d < bestd && d < len) {
			best = names[i];
			bestd = d;
		}
	}
	return best;
}

/*
 * The settings a group may hold: its plain keys and the step types of the
 * run_/undo_ hooks it accepts.
 */
struct schema {
	const char *what;		/* "a host", for messages */
	const char *const *keys;	/* NULL-terminated */
	unsigned hooks;			/* bitmask of step types */
};

static const char *const rotation_keys[] = { "name", "old", "new", "key", "chain", "trust",
	"min_remaining", "import_to", "retire", "archive_dir", "label", "kinds_dir", "subject",
	NULL };
static const char *const token_keys[] = { "uri", "module", "pin_source", NULL };
static const char *const host_keys[] = { "name", "accepts", NULL };
static const char *const accepts_keys[] = { "signature", "key", NULL };
static const char *const service_keys[] = { "name", "host", "kind", "names", "account",
	"depends", "refs", NULL };
static const char *const ref_keys[] = { "id", "type", "cert", "endpoint", "sni", "starttls",
	"path", "key_path", "run", "undo", NULL };
static const char *const root_keys[] = { "rotation", "tokens", "hosts", "services",
	"protect", NULL };

#define ALL_STEPS ((1u << PLAN_NSTEPTYPES) - 1)
static const struct schema s_root = { "the top level", root_keys, 0 };
static const struct schema s_rotation = { "the rotation", rotation_keys, ALL_STEPS };
static const struct schema s_token = { "a token", token_keys, 0 };
static const struct schema s_host = { "a host", host_keys,
	B(PLAN_IMPORT) | B(PLAN_GRANT) | B(PLAN_REBIND) | B(PLAN_RENAME) | B(PLAN_RESTART) };
static const struct schema s_accepts = { "accepts", accepts_keys, 0 };
static const struct schema s_service = { "a service", service_keys,
	B(PLAN_REBIND) | B(PLAN_RENAME) | B(PLAN_RESTART) };
static const struct schema s_ref = { "a ref", ref_keys, 0 };

/* Step type of "run_T" / "undo_T", or -1. */
static int
hook_step(const char *name, int *undo)
{
	size_t t;
	const char *rest;

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
		if (strcmp(rest, step_names[t]) == 0)
			return (int)t;
	return -1;
}

static const char *const hook_owner[PLAN_NSTEPTYPES] = {
	"import steps are per host: set it on the host or the rotation",
	"grant steps are per (host, account): set it on the host or the rotation",
	"set it on the ref (run), its service, its host or the rotation",
	"set it on the ref (run), its service, its host or the rotation",
	"set it on the service, its host or the rotation",
	"retire is one step of the rotation: set rotation.run_retire",
};

/* Checks that every member of group g is known to schema sc. */
static int
check_members(struct loader *ld, const config_setting_t *g, const char *gpath,
    const struct schema *sc)
{
	int i, n = config_setting_length(g);

	for (i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);
		const char *cand[64];
		size_t nc = 0, k;
		const char *near;
		char *p, hookname[32];
		int st, undo, r;

		if (name == NULL)
			continue;
		for (k = 0; sc->keys[k] != NULL; k++)
			if (strcmp(name, sc->keys[k]) == 0)
				break;
		if (sc->keys[k] != NULL)
			continue;
		st = hook_step(name, &undo);
		if (st >= 0 && (sc->hooks & B(st)))
			continue;
		p = mpath(gpath, name);
		if (st >= 0) {
			r = fail(ld, m, p, "'%s' is not a hook of %s (%s)", name, sc->what,
			    hook_owner[st]);
			free(p);
			return r;
		}
		for (k = 0; sc->keys[k] != NULL && nc < 64; k++)
			cand[nc++] = sc->keys[k];
		near = nearest(name, cand, nc);
		if (near == NULL) {
			/* perhaps a misspelt hook ("run_restrat") */
			for (k = 0; k < PLAN_NSTEPTYPES; k++) {
				if (!(sc->hooks & B(k)))
					continue;
				snprintf(hookname, sizeof(hookname), "%s_%s",
				    strncmp(name, "undo", 4) == 0 ? "undo" : "run", step_names[k]);
				if (edit_distance(name, hookname) <= 2) {
					near = step_names[k];
					break;
				}
			}
			if (near != NULL) {
				r = fail(ld, m, p, "unknown setting '%s' (did you mean '%s'?)", name,
				    hookname);
				free(p);
				return r;
			}
		}
		if (near != NULL)
			r = fail(ld, m, p, "unknown setting '%s' (did you mean '%s'?)", name, near);
		else
			r = fail(ld, m, p, "unknown setting '%s' in %s", name, sc->what);
		free(p);
		return r;
	}
	return CR_OK;
}

/* ---- typed getters ---------------------------------------------------- */

/*
 * A string member.  Absent: *out NULL (error when required).  Empty strings
 * are refused.  *sp (may be NULL) gets the setting.
 */
static int
get_str(struct loader *ld, const config_setting_t *g, const char *gpath, const char *name,
    int required, char **out, const config_setting_t **sp)
{
	const config_setting_t *m = config_setting_get_member(g, name);
	const char *v;
	char *p = NULL;
	int r = CR_OK;

	*out = NULL;
	if (sp != NULL)
		*sp = m;
	if (m == NULL) {
		if (required) {
			p = mpath(gpath, name);
			r = fail(ld, g, p, "missing (required)");
		}
		goto out;
	}
	if (config_setting_type(m) != CONFIG_TYPE_STRING) {
		p = mpath(gpath, name);
		r = fail(ld, m, p, "wrong type: expected a string, got %s",
		    type_name(config_setting_type(m)));
		goto out;
	}
	v = config_setting_get_string(m);
	if (v == NULL || v[0] == '\0') {
		p = mpath(gpath, name);
		r = fail(ld, m, p, "must not be empty");
		goto out;
	}
	*out = cr_xstrdup(v);
out:
	free(p);
	return r;
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * A list of strings: an array [ "a", "b" ] or a list ( "a", "b" ).  Absent:
 * *v NULL, *n 0.  Empty elements are refused; an empty list is refused
 * unless allow_empty.
 */
static int
get_strlist(struct loader *ld, const config_setting_t *g, const char *gpath, const char *name,
    int allow_empty, char ***v, size_t *n, const config_setting_t **sp)
{
	const config_setting_t *m = config_setting_get_member(g, name);
	char *p = NULL, *ep = NULL;
	char **out = NULL;
	size_t k = 0;
	int i, len, r = CR_OK;

	*v = NULL;
	*n = 0;
	if (sp != NULL)
		*sp = m;
	if (m == NULL)
		return CR_OK;
	p = mpath(gpath, name);
	if (!config_setting_is_array(m) && !config_setting_is_list(m)) {
		r = fail(ld, m, p, "wrong type: expected a list of strings [ \"...\", ... ], got %s",
		    type_name(config_setting_type(m)));
		goto out;
	}
	len = config_setting_length(m);
	if (len == 0 && !allow_empty) {
		r = fail(ld, m, p, "empty list (omit the setting instead)");
		goto out;
	}
	out = cr_xcalloc((size_t)len + 1, sizeof(*out));
	for (i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);
		const char *s;

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			ep = cr_xasprintf("%s.[%d]", p, i);
			r = fail(ld, e, ep, "wrong type: expected a string, got %s",
			    type_name(config_setting_type(e)));
			goto out;
		}
		s = config_setting_get_string(e);
		if (s == NULL || s[0] == '\0') {
			ep = cr_xasprintf("%s.[%d]", p, i);
			r = fail(ld, e, ep, "must not be empty");
			goto out;
		}
		out[k++] = cr_xstrdup(s);
	}
	*v = out;
	*n = k;
	out = NULL;
out:
	free_strv(out, k);
	free(p);
	free(ep);
	return r;
}

/* A member that must be a group (or absent). */
static int
get_group(struct loader *ld, const config_setting_t *g, const char *gpath, const char *name,
    int required, const config_setting_t **out)
{
	const config_setting_t *m = config_setting_get_member(g, name);
	char *p;
	int r = CR_OK;

	*out = NULL;
	if (m == NULL) {
		if (!required)
			return CR_OK;
		p = mpath(gpath, name);
		r = fail(ld, g, p, "missing (required)");
		free(p);
		return r;
	}
	if (!config_setting_is_group(m)) {
		p = mpath(gpath, name);
		r = fail(ld, m, p, "wrong type: expected a group { ... }, got %s",
		    type_name(config_setting_type(m)));
		free(p);
		return r;
	}
	*out = m;
	return CR_OK;
}

/* A member that must be a list of groups ( { ... }, { ... } ), or absent. */
static int
get_group_list(struct loader *ld, const config_setting_t *g, const char *gpath,
    const char *name, const config_setting_t **out)
{
	const config_setting_t *m = config_setting_get_member(g, name);
	char *p = NULL;
	int i, r = CR_OK;

	*out = NULL;
	if (m == NULL)
		return CR_OK;
	p = mpath(gpath, name);
	if (!config_setting_is_list(m)) {
		r = fail(ld, m, p, "wrong type: expected a list of groups ( { ... }, ... ), got %s",
		    type_name(config_setting_type(m)));
		goto out;
	}
	for (i = 0; i < config_setting_length(m); i++) {
		const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);

		if (!config_setting_is_group(e)) {
			char *ep = cr_xasprintf("%s.[%d]", p, i);

			r = fail(ld, e, ep, "wrong type: expected a group { ... }, got %s",
			    type_name(config_setting_type(e)));
			free(ep);
			goto out;
		}
	}
	*out = m;
out:
	free(p);
	return r;
}

/* ---- value checks --------------------------------------------------------- */

/* Names used in step ids: letters, digits, '.', '_', '-'. */
static int
check_name(struct loader *ld, const config_setting_t *s, const char *path, const char *v)
{
	const char *p;

	for (p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			return fail(ld, s, path, "'%s': only letters, digits, '.', '_' and '-' "
			    "are allowed (the name appears in step ids)", v);
	if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		return fail(ld, s, path, "'%s' is not a usable name", v);
	return CR_OK;
}

enum src_kind { SRC_CERT, SRC_KEY };

static int
has_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * The percent-decoded value of attribute `attr` in the query of a source
 * (after its first '?', attributes separated by '&'), or NULL.  New string.
 */
static char *
query_attr(const char *text, const char *attr)
{
	const char *q = strchr(text, '?');
	size_t alen = strlen(attr);

	while (q != NULL) {
		const char *a = q + 1, *end = a + strcspn(a, "&");

		if ((size_t)(end - a) > alen && strncmp(a, attr, alen) == 0 && a[alen] == '=') {
			struct cr_buf b = CR_BUF_INIT;

			for (a += alen + 1; a < end; a++) {
				if (*a == '%' && end - a > 2 && isxdigit((unsigned char)a[1]) &&
				    isxdigit((unsigned char)a[2])) {
					char hex[3] = { a[1], a[2], 0 };

					cr_buf_addc(&b, (char)strtol(hex, NULL, 16));
					a += 2;
				} else {
					cr_buf_addc(&b, *a);
				}
			}
			return cr_buf_detach(&b);
		}
		q = *end == '&' ? end : NULL;
	}
	return NULL;
}

/*
 * A source's pin-source (pkcs11:) and pass-source (PKCS#12 files) must be
 * file:PATH (SPEC 3.1, 9).  Anything else may be the PIN or password itself,
 * pasted by mistake: the message never shows it, and this runs before any
 * other check of the source can echo the text.
 */
static int
check_secret_attrs(struct loader *ld, const config_setting_t *s, const char *path, const char *v)
{
	static const struct {
		const char *attr, *what;
	} attrs[] = { { "pin-source", "PIN" }, { "pass-source", "password" } };
	size_t i;

	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		char *val = query_attr(v, attrs[i].attr);
		int bad = val != NULL && (!has_prefix(val, "file:") || val[5] == '\0');

		if (val != NULL)
			OPENSSL_cleanse(val, strlen(val));
		free(val);
		if (bad)
			return fail(ld, s, path, "%s must be file:PATH, a file holding the %s (the value "
			    "is not shown: it may be the %s itself)", attrs[i].attr, attrs[i].what,
			    attrs[i].what);
	}
	return CR_OK;
}

/* Validates a source (SPEC 3.1) without touching it. */
static int
check_source(struct loader *ld, const config_setting_t *s, const char *path, const char *v,
    enum src_kind kind)
{
	struct cr_err e;
	int r;

	if ((r = check_secret_attrs(ld, s, path, v)) != CR_OK)
		return r;
	cr_err_clear(&e);
	if (has_prefix(v, "pkcs11:")) {
		struct p11_uri *u = NULL;
		enum p11_objtype t;

		if (p11_uri_parse(v, ld->cfg->dir, &u, &e) != CR_OK)
			return fail(ld, s, path, "%s", e.msg);
		t = p11_uri_type(u);
		if (kind == SRC_CERT && t != P11_TYPE_CERT && t != P11_TYPE_ANY)
			r = fail(ld, s, path, "'%s' names a key, not a certificate (type=cert)", v);
		else if (kind == SRC_KEY && t != P11_TYPE_PRIVATE && t != P11_TYPE_ANY)
			r = fail(ld, s, path, "'%s' does not name a private key (type=private)", v);
		p11_uri_free(u);
		return r;
	}
	if (has_prefix(v, "tls://")) {
		struct crt_tls_target t;
		char *storage = NULL;

		if (kind == SRC_KEY)
			return fail(ld, s, path, "'%s': a private key cannot come from an endpoint", v);
		if (crt_tls_parse(v, &t, &storage, &e) != CR_OK)
			r = fail(ld, s, path, "%s", e.msg);
		free(storage);
		return r;
	}
	if (has_prefix(v, "sha1:") || has_prefix(v, "sha256:") || has_prefix(v, "name:"))
		return fail(ld, s, path, "'%s' is an identity, not a source: give where the %s "
		    "is (file:PATH, pkcs11:URI%s)", v, kind == SRC_KEY ? "key" : "certificate",
		    kind == SRC_KEY ? "" : " or tls://HOST:PORT");
	if (strstr(v, "://") != NULL)
		return fail(ld, s, path, "'%s': unknown source scheme (expected file:PATH, "
		    "pkcs11:URI%s)", v, kind == SRC_KEY ? "" : " or tls://HOST:PORT");
	if (has_prefix(v, "file:") && (v[5] == '\0' || v[5] == '?'))
		return fail(ld, s, path, "'%s': no path after 'file:'", v);
	return CR_OK;
}

static int
check_source_list(struct loader *ld, const config_setting_t *s, const char *path,
    char **v, size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		char *ep = cr_xasprintf("%s.[%zu]", path, i);

		r = check_source(ld, e, ep, v[i], SRC_CERT);
		free(ep);
		if (r != CR_OK)
			return r;
	}
	return CR_OK;
}

const char *
plan_ident_source(const struct crt_ident *id, const char *text)
{
	return id->source != NULL ? id->source : text;
}

/* Parses an identity (refs' cert, protect entries). */
static int
parse_ident(struct loader *ld, const config_setting_t *s, const char *path, const char *text,
    struct crt_ident *id)
{
	struct cr_err e;
	int r;

	cr_err_clear(&e);
	memset(id, 0, sizeof(*id));
	if (crt_ident_parse(text, id, &e) != CR_OK) {
		crt_ident_release(id);
		memset(id, 0, sizeof(*id));
		return fail(ld, s, path, "%s", e.msg);
	}
	if (id->kind == CRT_ID_SOURCE &&
	    (r = check_source(ld, s, path, plan_ident_source(id, text), SRC_CERT)) != CR_OK)
		return r;
	if (id->had_mark)
		warn(ld, s, path, "an invisible mark before the thumbprint was ignored "
		    "(pasted from the Windows certificate dialog?)");
	return CR_OK;
}

/* "HOST:PORT" or "[V6]:PORT", port 1..65535. */
static int
check_endpoint(struct loader *ld, const config_setting_t *s, const char *path, const char *v)
{
	const char *colon, *host_end;
	char *end;
	long port;

	if (v[0] == '[') {
		host_end = strchr(v, ']');
		if (host_end == NULL || host_end == v + 1 || host_end[1] != ':')
			goto bad;
		colon = host_end + 1;
	} else {
		colon = strrchr(v, ':');
		if (colon == NULL || colon == v || memchr(v, ':', (size_t)(colon - v)) != NULL)
			goto bad;
	}
	if (strpbrk(v, " \t/") != NULL)
		goto bad;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 1 || port > 65535)
		return fail(ld, s, path, "'%s': port must be a number from 1 to 65535", v);
	return CR_OK;
bad:
	return fail(ld, s, path, "'%s': expected HOST:PORT (e.g. 10.0.0.5:443, [::1]:443)", v);
}

static int
check_hostname(struct loader *ld, const config_setting_t *s, const char *path, const char *v)
{
	const char *p;

	for (p = v; *p; p++)
		if (isspace((unsigned char)*p) || *p == '/' || *p == ':' || *p == ',')
			return fail(ld, s, path, "'%s' is not a DNS name", v);
	return CR_OK;
}

/*
 * 1 when nid is a signature algorithm: one OpenSSL pairs with a digest and
 * a key type, or one under NIST's sigAlgs arc 2.16.840.1.101.3.4.3 (DSA and
 * ECDSA with SHA-3, which OpenSSL 3.0 names but does not pair).
 */
static int
is_sigalg(int nid)
{
	static const char arc[] = "2.16.840.1.101.3.4.3.";
	char oid[128];
	int dig, pk;

	if (OBJ_find_sigid_algs(nid, &dig, &pk))
		return 1;
	return OBJ_obj2txt(oid, sizeof(oid), OBJ_nid2obj(nid), 1) > 0 &&
	    strncmp(oid, arc, sizeof(arc) - 1) == 0;
}

/*
 * accepts.signature entries: a signature algorithm OpenSSL knows, by short
 * or long name (any case, as the sigalg check compares them) or by its
 * dotted OID, written as OpenSSL writes it (the check compares OIDs as
 * text).  An OID OpenSSL does not know is refused: it is more likely a typo
 * than an algorithm a certificate could be signed with.
 */
static int
check_sigalg(struct loader *ld, const config_setting_t *s, const char *path, const char *v)
{
	int nid = NID_undef, i, is_oid = v[0] != '\0' && strspn(v, "0123456789.") == strlen(v);
	char canon[128];

	if (is_oid) {
		ERR_set_mark();
		nid = OBJ_txt2nid(v);
		ERR_pop_to_mark();
		if (nid == NID_undef || !is_sigalg(nid))
			return fail(ld, s, path, "'%s' is not the OID of a signature algorithm OpenSSL "
			    "knows (e.g. 1.2.840.113549.1.1.11, sha256WithRSAEncryption)", v);
		if (OBJ_obj2txt(canon, sizeof(canon), OBJ_nid2obj(nid), 1) > 0 && strcmp(canon, v) != 0)
			return fail(ld, s, path, "'%s': write the OID as %s", v, canon);
		return CR_OK;
	}
	/*
	 * Names are compared case-insensitively by the check: find one that fits
	 * (OpenSSL's lookups are exact; asking for NIDs past its table queues
	 * errors, dropped here).
	 */
	ERR_set_mark();
	nid = OBJ_txt2nid(v);
	for (i = 1; i < 4000 && nid == NID_undef; i++) {
		const char *sn = OBJ_nid2sn(i), *ln = OBJ_nid2ln(i);

		if ((sn != NULL && strcasecmp(sn, v) == 0) || (ln != NULL && strcasecmp(ln, v) == 0))
			nid = i;
	}
	ERR_pop_to_mark();
	if (nid == NID_undef)
		return fail(ld, s, path, "unknown signature algorithm '%s' (e.g. "
		    "sha1WithRSAEncryption, sha256WithRSAEncryption, ecdsa-with-SHA256, or an OID)", v);
	if (!is_sigalg(nid))
		return fail(ld, s, path, "'%s' is not a signature algorithm (e.g. "
		    "sha1WithRSAEncryption, sha256WithRSAEncryption)", v);
	return CR_OK;
}

/* ---- hooks ------------------------------------------------------------------ */

static int
parse_hook(struct loader *ld, const config_setting_t *g, const char *gpath, const char *name,
    enum plan_step_type t, struct plan_argv *out)
{
	const config_setting_t *s;
	size_t i;
	int r;

	if ((r = get_strlist(ld, g, gpath, name, 0, &out->v, &out->n, &s)) != CR_OK || s == NULL)
		return r;
	out->loc = loc_of(ld, s);
	out->path = mpath(gpath, name);
	for (i = 0; i < out->n; i++) {
		char *msg = check_placeholders(out->v[i], t);

		if (msg != NULL) {
			char *ep = cr_xasprintf("%s.[%zu]", out->path, i);

			r = fail(ld, config_setting_get_elem(s, (unsigned)i), ep, "%s", msg);
			free(ep);
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

static int
parse_hooks(struct loader *ld, const config_setting_t *g, const char *gpath, unsigned mask,
    struct plan_hooks *h)
{
	char name[32];
	size_t t;
	int r;

	if (!has_hooks(g))
		return CR_OK;

	for (t = 0; t < PLAN_NSTEPTYPES; t++) {
		if (!(mask & B(t)))
			continue;
		snprintf(name, sizeof(name), "run_%s", step_names[t]);
		if ((r = parse_hook(ld, g, gpath, name, (enum plan_step_type)t, &h->run[t])) != CR_OK)
			return r;
		snprintf(name, sizeof(name), "undo_%s", step_names[t]);
		if ((r = parse_hook(ld, g, gpath, name, (enum plan_step_type)t, &h->undo[t])) != CR_OK)
			return r;
	}
	return CR_OK;
}

static void
argv_release(struct plan_argv *a)
{
	free_strv(a->v, a->n);
	free(a->path);
	memset(a, 0, sizeof(*a));
}

static void
hooks_release(struct plan_hooks *h)
{
	size_t t;

	for (t = 0; t < PLAN_NSTEPTYPES; t++) {
		argv_release(&h->run[t]);
		argv_release(&h->undo[t]);
	}
}

/* ---- rotation ------------------------------------------------------------------ */

/* The decoded value of attribute `attr` in the path of a pkcs11: URI, or NULL. */
char *
plan_uri_attr(const char *uri, const char *attr)
{
	const char *p = uri + strlen("pkcs11:");
	size_t alen = strlen(attr);

	while (*p && *p != '?') {
		const char *end = p + strcspn(p, ";?");

		if ((size_t)(end - p) > alen && strncmp(p, attr, alen) == 0 && p[alen] == '=') {
			struct cr_buf b = CR_BUF_INIT;
			const char *q;

			for (q = p + alen + 1; q < end; q++) {
				if (*q == '%' && q + 2 < end && isxdigit((unsigned char)q[1]) &&
				    isxdigit((unsigned char)q[2])) {
					char hex[3] = { q[1], q[2], 0 };

					cr_buf_addc(&b, (char)strtol(hex, NULL, 16));
					q += 2;
				} else {
					cr_buf_addc(&b, *q);
				}
			}
			return cr_buf_detach(&b);
		}
		p = *end == ';' ? end + 1 : end;
	}
	return NULL;
}

static int
parse_rotation(struct loader *ld, const config_setting_t *g)
{
	struct plan_rotation *rot = &ld->cfg->rotation;
	const config_setting_t *s;
	char *v = NULL;
	int r;

	rot->loc = loc_of(ld, g);
	if ((r = check_members(ld, g, "rotation", &s_rotation)) != CR_OK)
		return r;
	if ((r = get_str(ld, g, "rotation", "name", 1, &rot->name, &s)) != CR_OK ||
	    (r = check_name(ld, s, "rotation.name", rot->name)) != CR_OK)
		return r;
	if ((r = get_str(ld, g, "rotation", "old", 1, &rot->old, &s)) != CR_OK ||
	    (r = check_source(ld, s, "rotation.old", rot->old, SRC_CERT)) != CR_OK)
		return r;
	rot->old_loc = loc_of(ld, s);
	if ((r = get_str(ld, g, "rotation", "new", 1, &rot->new, &s)) != CR_OK ||
	    (r = check_source(ld, s, "rotation.new", rot->new, SRC_CERT)) != CR_OK)
		return r;
	rot->new_loc = loc_of(ld, s);
	if ((r = get_str(ld, g, "rotation", "key", 1, &rot->key, &s)) != CR_OK ||
	    (r = check_source(ld, s, "rotation.key", rot->key, SRC_KEY)) != CR_OK)
		return r;
	rot->key_loc = loc_of(ld, s);
	rot->key_is_file = !has_prefix(rot->key, "pkcs11:");
	if ((r = get_strlist(ld, g, "rotation", "chain", 1, &rot->chain, &rot->nchain, &s)) != CR_OK ||
	    (s != NULL && (r = check_source_list(ld, s, "rotation.chain", rot->chain,
	    rot->nchain)) != CR_OK))
		return r;
	rot->chain_loc = s ? loc_of(ld, s) : rot->loc;
	if ((r = get_strlist(ld, g, "rotation", "trust", 1, &rot->trust, &rot->ntrust, &s)) != CR_OK ||
	    (s != NULL && (r = check_source_list(ld, s, "rotation.trust", rot->trust,
	    rot->ntrust)) != CR_OK))
		return r;
	rot->trust_loc = s ? loc_of(ld, s) : rot->loc;

	rot->min_remaining = 30 * 86400LL;
	if ((r = get_str(ld, g, "rotation", "min_remaining", 0, &v, &s)) != CR_OK)
		return r;
	if (v != NULL) {
		struct cr_err e;

		cr_err_clear(&e);
		r = cr_duration_parse(v, &rot->min_remaining, &e);
		free(v);
		v = NULL;
		if (r != CR_OK)
			return fail(ld, s, "rotation.min_remaining", "%s", e.msg);
	}

	if ((r = get_str(ld, g, "rotation", "import_to", 0, &rot->import_to, &s)) != CR_OK)
		return r;
	if (rot->import_to != NULL) {
		struct p11_uri *u = NULL;
		struct cr_err e;

		rot->import_to_loc = loc_of(ld, s);
		cr_err_clear(&e);
		if ((r = check_secret_attrs(ld, s, "rotation.import_to", rot->import_to)) != CR_OK)
			return r;
		if (!has_prefix(rot->import_to, "pkcs11:"))
			return fail(ld, s, "rotation.import_to", "'%s': expected a token URI "
			    "(pkcs11:token=LABEL)", rot->import_to);
		if (p11_uri_parse(rot->import_to, ld->cfg->dir, &u, &e) != CR_OK)
			return fail(ld, s, "rotation.import_to", "%s", e.msg);
		r = p11_uri_is_token_only(u);
		p11_uri_free(u);
		if (!r)
			return fail(ld, s, "rotation.import_to", "'%s' names an object: give the "
			    "token only (pkcs11:token=LABEL)", rot->import_to);
		rot->import_token = plan_uri_attr(rot->import_to, "token");
		if (rot->import_token == NULL)
			rot->import_token = cr_xstrdup(rot->import_to + strlen("pkcs11:"));
	}

	if ((r = get_str(ld, g, "rotation", "retire", 0, &v, &s)) != CR_OK)
		return r;
	if (v != NULL) {
		if (strcmp(v, "archive") == 0)
			rot->retire = PLAN_RETIRE_ARCHIVE;
		else if (strcmp(v, "delete") == 0)
			rot->retire = PLAN_RETIRE_DELETE;
		else if (strcmp(v, "keep") == 0)
			rot->retire = PLAN_RETIRE_KEEP;
		else
			r = fail(ld, s, "rotation.retire", "'%s': expected archive, delete or keep", v);
		free(v);
		v = NULL;
		if (r != CR_OK)
			return r;
	}

	if ((r = get_str(ld, g, "rotation", "archive_dir", 0, &v, NULL)) != CR_OK)
		return r;
	if (v == NULL)
		v = cr_xasprintf("%s.archive", rot->name);
	rot->archive_dir = cr_path_resolve(ld->cfg->dir, v);
	rot->archive_dir_text = v;
	v = NULL;
	if ((r = get_str(ld, g, "rotation", "label", 0, &rot->label, NULL)) != CR_OK)
		return r;
	if ((r = get_str(ld, g, "rotation", "subject", 0, &rot->subject, &s)) != CR_OK)
		return r;
	if (rot->subject != NULL) {
		X509_NAME *name = NULL;
		struct cr_err e;

		/* renew's request subject: it must parse and be encodable */
		rot->subject_loc = loc_of(ld, s);
		cr_err_clear(&e);
		r = crt_name_from_text(rot->subject, &name, &e);
		X509_NAME_free(name);
		if (r != CR_OK)
			return fail(ld, s, "rotation.subject", "%s", e.msg);
	}
	if ((r = get_str(ld, g, "rotation", "kinds_dir", 0, &v, NULL)) != CR_OK)
		return r;
	if (v != NULL)
		rot->kinds_dir = cr_path_resolve(ld->cfg->dir, v);
	free(v);
	if ((r = parse_hooks(ld, g, "rotation", s_rotation.hooks, &rot->hooks)) != CR_OK)
		return r;
	if (rot->retire == PLAN_RETIRE_KEEP && rot->hooks.run[PLAN_RETIRE].v != NULL)
		return plan_config_error(ld->err, rot->hooks.run[PLAN_RETIRE].loc,
		    "rotation.run_retire", "retire = \"keep\": the old certificate is kept, "
		    "there is nothing to run");
	return CR_OK;
}

/* ---- tokens, hosts ----------------------------------------------------------- */

static int
parse_token(struct loader *ld, const config_setting_t *g, size_t idx, struct plan_token *t)
{
	const config_setting_t *s;
	struct p11_uri *u = NULL;
	struct cr_err e;
	char *v = NULL, *p = NULL;
	int r;

	t->loc = loc_of(ld, g);
	t->path = cr_xasprintf("tokens.[%zu]", idx);
	cr_err_clear(&e);
	if ((r = check_members(ld, g, t->path, &s_token)) != CR_OK)
		goto out;
	if ((r = get_str(ld, g, t->path, "uri", 1, &t->uri, &s)) != CR_OK)
		goto out;
	p = mpath(t->path, "uri");
	if ((r = check_secret_attrs(ld, s, p, t->uri)) != CR_OK)
		goto out;
	if (!has_prefix(t->uri, "pkcs11:")) {
		r = fail(ld, s, p, "'%s': expected a token URI (pkcs11:token=LABEL)", t->uri);
		goto out;
	}
	if (p11_uri_parse(t->uri, ld->cfg->dir, &u, &e) != CR_OK) {
		r = fail(ld, s, p, "%s", e.msg);
		goto out;
	}
	if (!p11_uri_is_token_only(u)) {
		r = fail(ld, s, p, "'%s' names an object: give the token only", t->uri);
		goto out;
	}
	if ((r = get_str(ld, g, t->path, "module", 0, &v, NULL)) != CR_OK)
		goto out;
	if (v != NULL)
		t->module = strchr(v, '/') ? cr_path_resolve(ld->cfg->dir, v) : cr_xstrdup(v);
	free(v);
	v = NULL;
	if ((r = get_str(ld, g, t->path, "pin_source", 0, &v, &s)) != CR_OK)
		goto out;
	if (v != NULL) {
		free(p);
		p = mpath(t->path, "pin_source");
		/* SPEC 4, 9: a file.  Not a bare path either: "1234" may be a PIN pasted here */
		if (!has_prefix(v, "file:") || v[5] == '\0') {
			OPENSSL_cleanse(v, strlen(v));
			r = fail(ld, s, p, "must be file:PATH, a file holding the PIN (the value is not "
			    "shown: it may be the PIN itself)");
			goto out;
		}
		t->pin_source = cr_path_resolve(ld->cfg->dir, v + 5);
	}
	r = CR_OK;
out:
	p11_uri_free(u);
	free(v);
	free(p);
	return r;
}

static int
parse_host(struct loader *ld, const config_setting_t *g, size_t idx, struct plan_host *h)
{
	const config_setting_t *s, *acc;
	char *p = NULL;
	size_t i;
	int r;

	h->loc = loc_of(ld, g);
	h->path = cr_xasprintf("hosts.[%zu]", idx);
	if ((r = check_members(ld, g, h->path, &s_host)) != CR_OK)
		return r;
	if ((r = get_str(ld, g, h->path, "name", 1, &h->name, &s)) != CR_OK)
		return r;
	p = mpath(h->path, "name");
	r = check_name(ld, s, p, h->name);
	free(p);
	if (r != CR_OK)
		return r;
	if ((r = get_group(ld, g, h->path, "accepts", 0, &acc)) != CR_OK)
		return r;
	if (acc != NULL) {
		char *ap = mpath(h->path, "accepts");

		if ((r = check_members(ld, acc, ap, &s_accepts)) == CR_OK &&
		    (r = get_strlist(ld, acc, ap, "signature", 0, &h->accept_sig, &h->naccept_sig,
		    &s)) == CR_OK) {
			for (i = 0; r == CR_OK && i < h->naccept_sig; i++) {
				p = cr_xasprintf("%s.signature.[%zu]", ap, i);
				r = check_sigalg(ld, config_setting_get_elem(s, (unsigned)i), p,
				    h->accept_sig[i]);
				free(p);
			}
		}
		if (r == CR_OK &&
		    (r = get_strlist(ld, acc, ap, "key", 0, &h->accept_key, &h->naccept_key, &s)) == CR_OK) {
			for (i = 0; r == CR_OK && i < h->naccept_key; i++) {
				struct cr_err e;

				cr_err_clear(&e);
				if (crt_keyalg_valid(h->accept_key[i], &e) != CR_OK) {
					p = cr_xasprintf("%s.key.[%zu]", ap, i);
					r = fail(ld, config_setting_get_elem(s, (unsigned)i), p, "%s", e.msg);
					free(p);
				}
			}
		}
		free(ap);
		if (r != CR_OK)
			return r;
	}
	return parse_hooks(ld, g, h->path, s_host.hooks, &h->hooks);
}

/* ---- services and refs ------------------------------------------------------- */

static int
parse_ref(struct loader *ld, const config_setting_t *g, const char *path, struct plan_ref *ref)
{
	const config_setting_t *s;
	char *v = NULL, sp[PATH_BUF];
	int r;

	ref->loc = loc_of(ld, g);
	ref->path = cr_xstrdup(path);
	if ((r = check_members(ld, g, path, &s_ref)) != CR_OK)
		goto out;
	if ((r = get_str(ld, g, path, "id", 1, &ref->id, &s)) != CR_OK ||
	    (r = check_name(ld, s, jpath(sp, path, "id"), ref->id)) != CR_OK)
		goto out;

	if ((r = get_str(ld, g, path, "type", 1, &v, &s)) != CR_OK)
		goto out;
	if (strcmp(v, "binding") == 0) {
		ref->type = PLAN_REF_BINDING;
	} else if (strcmp(v, "connector") == 0) {
		ref->type = PLAN_REF_CONNECTOR;
	} else if (strcmp(v, "file") == 0) {
		ref->type = PLAN_REF_FILE;
	} else {
		r = fail(ld, s, jpath(sp, path, "type"), "'%s': expected binding, connector or file", v);
		goto out;
	}
	free(v);
	v = NULL;

	/* path first: a file ref's identity defaults to the file itself */
	if ((r = get_str(ld, g, path, "path", 0, &v, &s)) != CR_OK)
		goto out;
	if (v != NULL) {
		if (ref->type != PLAN_REF_FILE) {
			r = fail(ld, s, jpath(sp, path, "path"), "only a file ref has a path (this ref "
			    "is a %s)", plan_ref_type_name(ref->type));
			goto out;
		}
		ref->file_path = cr_path_resolve(ld->cfg->dir, v);
		ref->file_path_text = cr_xstrdup(v);
	} else if (ref->type == PLAN_REF_FILE) {
		r = fail(ld, g, jpath(sp, path, "path"), "missing (required for a file ref)");
		goto out;
	}

	if ((r = get_str(ld, g, path, "cert", ref->type != PLAN_REF_FILE, &ref->cert, &s)) != CR_OK)
		goto out;
	if (ref->cert == NULL) {
		ref->cert = cr_xasprintf("file:%s", v);
		ref->cert_implicit = 1;
		s = config_setting_get_member(g, "path");
	}
	ref->cert_loc = loc_of(ld, s);
	if ((r = parse_ident(ld, s, jpath(sp, path, ref->cert_implicit ? "path" : "cert"),
	    ref->cert, &ref->ident)) != CR_OK)
		goto out;
	free(v);
	v = NULL;

	if ((r = get_str(ld, g, path, "key_path", 0, &v, &s)) != CR_OK)
		goto out;
	if (v != NULL) {
		if (ref->type != PLAN_REF_FILE) {
			r = fail(ld, s, jpath(sp, path, "key_path"), "only a file ref has a key_path");
			goto out;
		}
		if (!ld->cfg->rotation.key_is_file) {
			r = fail(ld, s, jpath(sp, path, "key_path"), "rotation.key is on a token: a "
			    "token key is never copied to a file (remove key_path)");
			goto out;
		}
		ref->key_path = cr_path_resolve(ld->cfg->dir, v);
		ref->key_path_text = v;
		v = NULL;
	}

	if ((r = get_str(ld, g, path, "endpoint", 0, &ref->endpoint, &s)) != CR_OK)
		goto out;
	if (ref->endpoint != NULL &&
	    (r = check_endpoint(ld, s, jpath(sp, path, "endpoint"), ref->endpoint)) != CR_OK)
		goto out;
	if ((r = get_str(ld, g, path, "sni", 0, &ref->sni, &s)) != CR_OK)
		goto out;
	if (ref->sni != NULL) {
		if ((r = check_hostname(ld, s, jpath(sp, path, "sni"), ref->sni)) != CR_OK)
			goto out;
		if (ref->endpoint == NULL) {
			r = fail(ld, s, jpath(sp, path, "sni"), "sni without an endpoint");
			goto out;
		}
	}
	if ((r = get_str(ld, g, path, "starttls", 0, &v, &s)) != CR_OK)
		goto out;
	if (v != NULL) {
		if (strcmp(v, "smtp") != 0) {
			r = fail(ld, s, jpath(sp, path, "starttls"), "'%s': only \"smtp\" is supported", v);
			goto out;
		}
		if (ref->endpoint == NULL) {
			r = fail(ld, s, jpath(sp, path, "starttls"), "starttls without an endpoint");
			goto out;
		}
		ref->starttls_smtp = 1;
	}
	{
		enum plan_step_type t = ref->type == PLAN_REF_CONNECTOR ? PLAN_RENAME : PLAN_REBIND;

		if ((r = parse_hook(ld, g, path, "run", t, &ref->run)) != CR_OK ||
		    (r = parse_hook(ld, g, path, "undo", t, &ref->undo)) != CR_OK)
			goto out;
	}
	r = CR_OK;
out:
	free(v);
	return r;
}

static void
ref_release(struct plan_ref *ref)
{
	free(ref->id);
	free(ref->cert);
	crt_ident_release(&ref->ident);
	free(ref->endpoint);
	free(ref->sni);
	free(ref->file_path);
	free(ref->file_path_text);
	free(ref->key_path);
	free(ref->key_path_text);
	argv_release(&ref->run);
	argv_release(&ref->undo);
	free(ref->path);
}

static int
parse_service(struct loader *ld, const config_setting_t *g, size_t idx, struct plan_service *svc)
{
	const config_setting_t *s, *refs;
	struct plan_map ids = PLAN_MAP_INIT, deps = PLAN_MAP_INIT;
	char sp[PATH_BUF], rp[PATH_BUF];
	size_t i;
	int r;

	svc->loc = loc_of(ld, g);
	svc->path = cr_xasprintf("services.[%zu]", idx);
	if ((r = check_members(ld, g, svc->path, &s_service)) != CR_OK)
		goto out;
	if ((r = get_str(ld, g, svc->path, "name", 1, &svc->name, &s)) != CR_OK ||
	    (r = check_name(ld, s, jpath(sp, svc->path, "name"), svc->name)) != CR_OK)
		goto out;
	if ((r = get_str(ld, g, svc->path, "host", 1, &svc->host_name, NULL)) != CR_OK)
		goto out;
	if ((r = get_str(ld, g, svc->path, "kind", 0, &svc->kind, &s)) != CR_OK)
		goto out;
	if (svc->kind != NULL &&
	    (r = check_name(ld, s, jpath(sp, svc->path, "kind"), svc->kind)) != CR_OK)
		goto out;
	if ((r = get_strlist(ld, g, svc->path, "names", 0, &svc->names, &svc->nnames, &s)) != CR_OK)
		goto out;
	for (i = 0; i < svc->nnames; i++) {
		snprintf(sp, sizeof(sp), "%s.names.[%zu]", svc->path, i);
		if ((r = check_hostname(ld, config_setting_get_elem(s, (unsigned)i), sp,
		    svc->names[i])) != CR_OK)
			goto out;
	}
	if ((r = get_str(ld, g, svc->path, "account", 0, &svc->account, NULL)) != CR_OK)
		goto out;
	if ((r = get_strlist(ld, g, svc->path, "depends", 1, &svc->depends, &svc->ndepends,
	    &s)) != CR_OK)
		goto out;
	svc->depends_loc = s ? loc_of(ld, s) : svc->loc;
	for (i = 0; i < svc->ndepends; i++) {
		size_t first;

		/* a name listed twice is a typo for another one, more often than not */
		if (!plan_map_put(&deps, svc->depends[i], i, &first)) {
			snprintf(sp, sizeof(sp), "%s.depends.[%zu]", svc->path, i);
			r = fail(ld, config_setting_get_elem(s, (unsigned)i), sp, "duplicate service '%s' "
			    "(already depends.[%zu])", svc->depends[i], first);
			goto out;
		}
	}
	if ((r = parse_hooks(ld, g, svc->path, s_service.hooks, &svc->hooks)) != CR_OK)
		goto out;

	if ((r = get_group_list(ld, g, svc->path, "refs", &refs)) != CR_OK)
		goto out;
	if (refs == NULL)
		goto done;
	svc->nrefs = (size_t)config_setting_length(refs);
	svc->refs = cr_xcalloc(svc->nrefs, sizeof(*svc->refs));
	for (i = 0; i < svc->nrefs; i++) {
		const config_setting_t *e = config_setting_get_elem(refs, (unsigned)i);
		size_t first;

		snprintf(rp, sizeof(rp), "%s.refs.[%zu]", svc->path, i);
		if ((r = parse_ref(ld, e, rp, &svc->refs[i])) != CR_OK)
			goto out;
		if (!plan_map_put(&ids, svc->refs[i].id, i, &first)) {
			r = fail(ld, config_setting_get_member(e, "id"), jpath(sp, rp, "id"),
			    "duplicate ref id '%s' in service '%s' (first at line %d)",
			    svc->refs[i].id, svc->name, svc->refs[first].loc.line);
			goto out;
		}
	}
done:
	r = CR_OK;
out:
	plan_map_release(&ids);
	plan_map_release(&deps);
	return r;
}

static void
service_release(struct plan_service *svc)
{
	size_t i;

	free(svc->name);
	free(svc->host_name);
	free(svc->kind);
	free_strv(svc->names, svc->nnames);
	free(svc->account);
	free_strv(svc->depends, svc->ndepends);
	free(svc->dep);
	hooks_release(&svc->hooks);
	for (i = 0; i < svc->nrefs; i++)
		ref_release(&svc->refs[i]);
	free(svc->refs);
	free(svc->path);
}

/* ---- cross-entity rules ---------------------------------------------------------- */

/* Names of all hosts / services, for suggestions. */
static const char *
nearest_name(const char *word, const void *arr, size_t n, size_t stride, size_t off)
{
	const char **names = cr_xcalloc(n + 1, sizeof(*names));
	const char *best;
	size_t i;

	for (i = 0; i < n; i++)
		names[i] = *(char *const *)((const char *)arr + i * stride + off);
	best = nearest(word, names, n);
	free((void *)names);
	return best;
}

static int
check_unique_and_refs(struct loader *ld)
{
	struct plan_config *cfg = ld->cfg;
	struct plan_map hosts = PLAN_MAP_INIT, svcs = PLAN_MAP_INIT;
	size_t i, j, first;
	char *p = NULL;
	int r = CR_OK;

	for (i = 0; i < cfg->nhosts; i++) {
		if (!plan_map_put(&hosts, cfg->hosts[i].name, i, &first)) {
			p = mpath(cfg->hosts[i].path, "name");
			r = fail(ld, config_setting_get_member(ld->host_set[i], "name"), p,
			    "duplicate host '%s' (first at line %d)", cfg->hosts[i].name,
			    cfg->hosts[first].loc.line);
			goto out;
		}
	}
	for (i = 0; i < cfg->nservices; i++) {
		if (!plan_map_put(&svcs, cfg->services[i].name, i, &first)) {
			p = mpath(cfg->services[i].path, "name");
			r = fail(ld, config_setting_get_member(ld->svc_set[i], "name"), p,
			    "duplicate service '%s' (first at line %d)", cfg->services[i].name,
			    cfg->services[first].loc.line);
			goto out;
		}
	}
	for (i = 0; i < cfg->nservices; i++) {
		struct plan_service *svc = &cfg->services[i];
		const config_setting_t *deps = config_setting_get_member(ld->svc_set[i], "depends");

		if (!plan_map_get(&hosts, svc->host_name, NULL)) {
			const char *near = nearest_name(svc->host_name, cfg->hosts, cfg->nhosts,
			    sizeof(*cfg->hosts), offsetof(struct plan_host, name));

			p = mpath(svc->path, "host");
			r = fail(ld, config_setting_get_member(ld->svc_set[i], "host"), p,
			    "no host named '%s'%s%s%s", svc->host_name,
			    near ? " (did you mean '" : " in hosts", near ? near : "", near ? "'?)" : "");
			goto out;
		}
		for (j = 0; j < svc->ndepends; j++) {
			if (plan_map_get(&svcs, svc->depends[j], NULL))
				continue;
			{
				const char *near = nearest_name(svc->depends[j], cfg->services,
				    cfg->nservices, sizeof(*cfg->services),
				    offsetof(struct plan_service, name));

				p = cr_xasprintf("%s.depends.[%zu]", svc->path, j);
				r = fail(ld, config_setting_get_elem(deps, (unsigned)j), p,
				    "no service named '%s'%s%s%s", svc->depends[j],
				    near ? " (did you mean '" : " in services", near ? near : "",
				    near ? "'?)" : "");
				goto out;
			}
		}
	}
out:
	free(p);
	plan_map_release(&hosts);
	plan_map_release(&svcs);
	return r;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_host(const void *a, const void *b)
{
	return strcmp(((const struct plan_host *)a)->name, ((const struct plan_host *)b)->name);
}

static int
cmp_service(const void *a, const void *b)
{
	return strcmp(((const struct plan_service *)a)->name,
	    ((const struct plan_service *)b)->name);
}

static int
cmp_ref(const void *a, const void *b)
{
	return strcmp(((const struct plan_ref *)a)->id, ((const struct plan_ref *)b)->id);
}

/*
 * Finds a dependency cycle (services sorted by name, dep[] resolved).
 * Iterative DFS with colours; the first cycle found from the smallest name
 * is reported, rotated to start at its smallest member, at the `depends`
 * setting of that member.
 */
static int
check_cycles(struct loader *ld)
{
	struct plan_config *cfg = ld->cfg;
	size_t n = cfg->nservices, i, top, k;
	unsigned char *colour = cr_xcalloc(n ? n : 1, 1);	/* 0 white, 1 grey, 2 black */
	size_t *stack = cr_xcalloc(n ? n : 1, sizeof(*stack));
	size_t *next = cr_xcalloc(n ? n : 1, sizeof(*next));	/* next dep to visit */
	int r = CR_OK;

	for (i = 0; i < n && r == CR_OK; i++) {
		if (colour[i] != 0)
			continue;
		top = 0;
		stack[top++] = i;
		colour[i] = 1;
		next[i] = 0;
		while (top > 0 && r == CR_OK) {
			size_t u = stack[top - 1];
			struct plan_service *su = &cfg->services[u];

			if (next[u] < su->ndepends) {
				size_t v = su->dep[next[u]++];

				if (colour[v] == 0) {
					colour[v] = 1;
					next[v] = 0;
					stack[top++] = v;
				} else if (colour[v] == 1) {
					/* the cycle is stack[pos..top-1] back to v */
					size_t pos = top - 1, start, len;
					struct cr_buf b = CR_BUF_INIT;

					while (stack[pos] != v)
						pos--;
					len = top - pos;
					start = pos;
					for (k = pos; k < top; k++)
						if (strcmp(cfg->services[stack[k]].name,
						    cfg->services[stack[start]].name) < 0)
							start = k;
					for (k = 0; k <= len; k++) {
						size_t at = stack[pos + (start - pos + k) % len];

						cr_buf_addf(&b, "%s%s", k ? " -> " : "", cfg->services[at].name);
					}
					{
						struct plan_service *s0 = &cfg->services[stack[start]];
						char *p = mpath(s0->path, "depends");

						r = plan_config_error(ld->err, s0->depends_loc, p,
						    "dependency cycle %s", cr_buf_str(&b));
						free(p);
					}
					cr_buf_release(&b);
				}
			} else {
				colour[u] = 2;
				top--;
			}
		}
	}
	free(colour);
	free(stack);
	free(next);
	return r;
}

/* Binary min-heap of service indices ordered by (host name, service name). */
struct heap {
	size_t *v, n;
	const struct plan_config *cfg;
};

static int
heap_less(const struct heap *h, size_t a, size_t b)
{
	const struct plan_service *sa = &h->cfg->services[a], *sb = &h->cfg->services[b];
	int c = strcmp(h->cfg->hosts[sa->host].name, h->cfg->hosts[sb->host].name);

	return c != 0 ? c < 0 : a < b;	/* services are sorted by name: index order is name order */
}

static void
heap_push(struct heap *h, size_t x)
{
	size_t i = h->n++;

	h->v[i] = x;
	while (i > 0 && heap_less(h, h->v[i], h->v[(i - 1) / 2])) {
		size_t p = (i - 1) / 2, t = h->v[p];

		h->v[p] = h->v[i];
		h->v[i] = t;
		i = p;
	}
}

static size_t
heap_pop(struct heap *h)
{
	size_t top = h->v[0], i = 0;

	h->v[0] = h->v[--h->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i, t;

		if (l < h->n && heap_less(h, h->v[l], h->v[m]))
			m = l;
		if (r < h->n && heap_less(h, h->v[r], h->v[m]))
			m = r;
		if (m == i)
			break;
		t = h->v[m];
		h->v[m] = h->v[i];
		h->v[i] = t;
		i = m;
	}
	return top;
}

/*
 * Ranks services in dependency order (Kahn), ties by host then name, so a
 * service always comes after what it depends on, whatever the hosts.
 */
static void
rank_services(struct plan_config *cfg)
{
	size_t n = cfg->nservices, i, j, next = 0;
	size_t *indeg = cr_xcalloc(n ? n : 1, sizeof(*indeg));
	size_t *off = cr_xcalloc(n + 1, sizeof(*off));	/* reverse edges in CSR form */
	size_t *fill = cr_xcalloc(n + 1, sizeof(*fill));
	size_t *adj, nedges = 0;
	struct heap h = { cr_xcalloc(n ? n : 1, sizeof(size_t)), 0, cfg };

	for (i = 0; i < n; i++) {
		indeg[i] = cfg->services[i].ndepends;
		nedges += cfg->services[i].ndepends;
		for (j = 0; j < cfg->services[i].ndepends; j++)
			off[cfg->services[i].dep[j] + 1]++;
	}
	for (i = 0; i < n; i++)
		off[i + 1] += off[i];
	adj = cr_xcalloc(nedges ? nedges : 1, sizeof(*adj));
	for (i = 0; i < n; i++)
		for (j = 0; j < cfg->services[i].ndepends; j++) {
			size_t d = cfg->services[i].dep[j];

			adj[off[d] + fill[d]++] = i;
		}
	for (i = 0; i < n; i++)
		if (indeg[i] == 0)
			heap_push(&h, i);
	while (h.n > 0) {
		size_t u = heap_pop(&h);

		cfg->services[u].rank = next++;
		for (j = off[u]; j < off[u + 1]; j++)
			if (--indeg[adj[j]] == 0)
				heap_push(&h, adj[j]);
	}
	free(indeg);
	free(off);
	free(fill);
	free(adj);
	free(h.v);
}

/* Sorts everything and resolves names to indices. */
static int
finish(struct loader *ld)
{
	struct plan_config *cfg = ld->cfg;
	struct cfg_index *ix = cfg->index;
	size_t i, j, k;
	int r;

	plan_sort(cfg->hosts, cfg->nhosts, sizeof(*cfg->hosts), cmp_host);
	plan_sort(cfg->services, cfg->nservices, sizeof(*cfg->services), cmp_service);
	for (i = 0; i < cfg->nhosts; i++)
		plan_map_put(&ix->hosts, cfg->hosts[i].name, i, NULL);
	for (i = 0; i < cfg->nservices; i++)
		plan_map_put(&ix->services, cfg->services[i].name, i, NULL);
	cfg->nrefs = 0;
	for (i = 0; i < cfg->nservices; i++) {
		struct plan_service *svc = &cfg->services[i];

		plan_map_get(&ix->hosts, svc->host_name, &svc->host);
		/* depends: sorted, duplicates dropped */
		plan_sort(svc->depends, svc->ndepends, sizeof(*svc->depends), cmp_str);
		for (j = k = 0; j < svc->ndepends; j++) {
			if (k > 0 && strcmp(svc->depends[k - 1], svc->depends[j]) == 0) {
				free(svc->depends[j]);
				continue;
			}
			svc->depends[k++] = svc->depends[j];
		}
		svc->ndepends = k;
		svc->dep = cr_xcalloc(k ? k : 1, sizeof(*svc->dep));
		for (j = 0; j < k; j++)
			plan_map_get(&ix->services, svc->depends[j], &svc->dep[j]);
		plan_sort(svc->refs, svc->nrefs, sizeof(*svc->refs), cmp_ref);
		for (j = 0; j < svc->nrefs; j++)
			svc->refs[j].service = i;
		cfg->nrefs += svc->nrefs;
	}
	if ((r = check_cycles(ld)) != CR_OK)
		return r;
	rank_services(cfg);
	return CR_OK;
}

/*
 * Two `tokens` entries for one token (the same token attributes, however
 * written): which module and PIN source would apply is a guess.  Tokens
 * are few: pairs are compared.
 */
static int
check_token_duplicates(struct loader *ld, const config_setting_t *list)
{
	struct plan_config *cfg = ld->cfg;
	struct p11_uri **u = cr_xcalloc(cfg->ntokens + 1, sizeof(*u));
	size_t i, j;
	int r = CR_OK;

	for (i = 0; i < cfg->ntokens; i++)
		p11_uri_parse(cfg->tokens[i].uri, cfg->dir, &u[i], NULL);	/* parsed before */
	for (i = 1; i < cfg->ntokens && r == CR_OK; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(cfg->tokens[i].uri, cfg->tokens[j].uri) != 0 &&
			    (u[i] == NULL || u[j] == NULL || !p11_uri_token_matches(u[i], u[j]) ||
			    !p11_uri_token_matches(u[j], u[i])))
				continue;
			{
				const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
				char *p = mpath(cfg->tokens[i].path, "uri");

				r = fail(ld, config_setting_get_member(e, "uri"), p, "duplicate token '%s' "
				    "(first at line %d, tokens.[%zu]): one entry per token", cfg->tokens[i].uri,
				    cfg->tokens[j].loc.line, j);
				free(p);
			}
			break;
		}
	}
	for (i = 0; i < cfg->ntokens; i++)
		p11_uri_free(u[i]);
	free(u);
	return r;
}

/*
 * A protect entry naming what an earlier one names (the same hash, name or
 * source) protects nothing more: harmless, so a warning - but it is often
 * a copy of the line above that was meant to name another certificate.
 */
static void
warn_protect_duplicates(struct loader *ld, const config_setting_t *list)
{
	struct plan_config *cfg = ld->cfg;
	struct plan_keyidx seen = PLAN_KEYIDX_INIT;
	size_t i, e;

	for (i = 0; i < cfg->nprotect; i++) {
		const struct crt_ident *id = &cfg->protect[i].ident;
		char *key, *k;
		int dup = 0;

		switch (id->kind) {
		case CRT_ID_SHA1:
			k = plan_hash_key(id->hash, 20);
			key = cr_xasprintf("sha1:%s", k);
			free(k);
			break;
		case CRT_ID_SHA256:
			k = plan_hash_key(id->hash, 32);
			key = cr_xasprintf("sha256:%s", k);
			free(k);
			break;
		case CRT_ID_NAME:
			key = plan_name_key(&id->issuer, &id->subject);
			break;
		default:
			key = cr_xasprintf("source:%s", plan_ident_source(id, cfg->protect[i].text));
			break;
		}
		for (e = plan_keyidx_find(&seen, key); e != PLAN_KEYIDX_END && !dup; e = seen.e[e].next) {
			const struct crt_ident *p = &cfg->protect[seen.e[e].val].ident;

			dup = id->kind != CRT_ID_NAME || (crt_dn_equal(&p->issuer, &id->issuer) &&
			    crt_dn_equal(&p->subject, &id->subject));
			if (dup) {
				char *msg = cr_xasprintf("names the same certificate as %s (line %d): listed "
				    "twice - was another certificate meant?", cfg->protect[seen.e[e].val].path,
				    cfg->protect[seen.e[e].val].loc.line);

				warn(ld, config_setting_get_elem(list, (unsigned)i), cfg->protect[i].path, msg);
				free(msg);
			}
		}
		if (dup)
			free(key);
		else
			plan_keyidx_add(&seen, key, i);
	}
	plan_keyidx_release(&seen);
}

/* ---- entry points ---------------------------------------------------------------- */

static int
load_tree(struct loader *ld)
{
	struct plan_config *cfg = ld->cfg;
	const config_setting_t *root = config_root_setting(&ld->lc), *g, *list;
	size_t i;
	int r;

	if ((r = check_members(ld, root, "", &s_root)) != CR_OK)
		return r;
	if ((r = get_group(ld, root, "", "rotation", 1, &g)) != CR_OK)
		return r;
	if ((r = parse_rotation(ld, g)) != CR_OK)
		return r;

	if ((r = get_group_list(ld, root, "", "tokens", &list)) != CR_OK)
		return r;
	if (list != NULL) {
		cfg->ntokens = (size_t)config_setting_length(list);
		cfg->tokens = cr_xcalloc(cfg->ntokens ? cfg->ntokens : 1, sizeof(*cfg->tokens));
		for (i = 0; i < cfg->ntokens; i++)
			if ((r = parse_token(ld, config_setting_get_elem(list, (unsigned)i), i,
			    &cfg->tokens[i])) != CR_OK)
				return r;
		if ((r = check_token_duplicates(ld, list)) != CR_OK)
			return r;
	}

	if ((r = get_group_list(ld, root, "", "hosts", &list)) != CR_OK)
		return r;
	if (list != NULL) {
		cfg->nhosts = (size_t)config_setting_length(list);
		cfg->hosts = cr_xcalloc(cfg->nhosts ? cfg->nhosts : 1, sizeof(*cfg->hosts));
		ld->host_set = cr_xcalloc(cfg->nhosts ? cfg->nhosts : 1, sizeof(*ld->host_set));
		for (i = 0; i < cfg->nhosts; i++) {
			ld->host_set[i] = config_setting_get_elem(list, (unsigned)i);
			if ((r = parse_host(ld, ld->host_set[i], i, &cfg->hosts[i])) != CR_OK)
				return r;
		}
	}

	if ((r = get_group_list(ld, root, "", "services", &list)) != CR_OK)
		return r;
	if (list != NULL) {
		cfg->nservices = (size_t)config_setting_length(list);
		cfg->services = cr_xcalloc(cfg->nservices ? cfg->nservices : 1, sizeof(*cfg->services));
		ld->svc_set = cr_xcalloc(cfg->nservices ? cfg->nservices : 1, sizeof(*ld->svc_set));
		for (i = 0; i < cfg->nservices; i++) {
			ld->svc_set[i] = config_setting_get_elem(list, (unsigned)i);
			if ((r = parse_service(ld, ld->svc_set[i], i, &cfg->services[i])) != CR_OK)
				return r;
		}
	}

	{
		char **v = NULL;
		size_t n = 0;
		const config_setting_t *s;

		if ((r = get_strlist(ld, root, "", "protect", 1, &v, &n, &s)) != CR_OK)
			return r;
		cfg->protect = cr_xcalloc(n ? n : 1, sizeof(*cfg->protect));
		for (i = 0; i < n; i++) {
			struct plan_protect *pr = &cfg->protect[i];
			const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

			pr->text = v[i];
			v[i] = NULL;
			pr->loc = loc_of(ld, e);
			pr->path = cr_xasprintf("protect.[%zu]", i);
			cfg->nprotect = i + 1;
			if ((r = parse_ident(ld, e, pr->path, pr->text, &pr->ident)) != CR_OK) {
				free_strv(v, n);
				return r;
			}
		}
		free_strv(v, n);
		warn_protect_duplicates(ld, s);
	}

	if ((r = check_unique_and_refs(ld)) != CR_OK)
		return r;
	return finish(ld);
}

/* The name of the first setting ("name =" / "name :") on line `line` of text, or NULL.  New string. */
static char *
line_setting(const char *text, int line)
{
	const char *p = text, *end, *q;
	int l = 1;

	while (p != NULL && l < line) {
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
		l++;
	}
	if (p == NULL)
		return NULL;
	end = p + strcspn(p, "\n");
	for (; p < end; p++) {
		if (*p == '"' || *p == '#')
			return NULL;
		if (!isalpha((unsigned char)*p) && *p != '*')
			continue;
		for (q = p; q < end && (isalnum((unsigned char)*q) || *q == '_' || *q == '-' || *q == '*'); q++)
			;
		{
			const char *r = q;

			while (r < end && (*r == ' ' || *r == '\t'))
				r++;
			if (r < end && (*r == '=' || *r == ':'))
				return cr_xstrndup(p, (size_t)(q - p));
		}
		p = q;
	}
	return NULL;
}

/* The whole file at path, or NULL when it cannot be read.  New string. */
static char *
read_text(const char *path)
{
	unsigned char *buf = NULL;
	size_t len;

	if (cr_read_file(path, 64u << 20, &buf, &len, NULL) != CR_OK)
		return NULL;
	return (char *)buf;
}

/*
 * libconfig's own error, made to name what it is about: the setting of a
 * "duplicate setting name" or "mismatched element type in array" (found by
 * plan_cfgdiag), the file of a "cannot open include file"; else the text of
 * the line.  path: the configuration file, or NULL when parsing `text`.
 */
static int
syntax_error(struct loader *ld, const char *path, const char *text)
{
	struct plan_config *cfg = ld->cfg;
	const char *efile = config_error_file(&ld->lc), *etext = config_error_text(&ld->lc);
	const char *f = efile ? intern_file(cfg, efile) : cfg->file;
	int line = config_error_line(&ld->lc), is_main;
	char *main_text, *ftext, *s = NULL;
	struct plan_cfgdiag d;
	int r;

	if (config_error_type(&ld->lc) == CONFIG_ERR_FILE_IO)
		return cr_err_set(ld->err, CR_EINPUT, "cannot read '%s': %s", f, etext);
	is_main = efile == NULL || (path != NULL && strcmp(efile, path) == 0);
	main_text = path != NULL ? read_text(path) : cr_xstrdup(text);
	if (is_main) {
		ftext = main_text;
	} else {
		/* libconfig 1.5 opens an @include as include_dir + "/" + the name written */
		char *p = cr_xasprintf("%s/%s", cfg->dir, efile);

		ftext = read_text(p);
		free(p);
	}
	if (ftext == NULL) {
		r = cr_err_set(ld->err, CR_EINPUT, "%s:%d: %s", f, line, etext);
		goto out;
	}

	if (strcmp(etext, "cannot open include file") == 0 &&
	    (s = plan_include_target(ftext, line)) != NULL) {
		/* what libconfig 1.5 opened: include_dir + "/" + the name, even when absolute */
		char *full = strcmp(cfg->dir, ".") == 0 && s[0] != '/' ? cr_xstrdup(s) :
		    cr_xasprintf("%s/%s", cfg->dir, s);
		FILE *fp = fopen(full, "r");
		int e = errno;

		if (fp != NULL) {
			fclose(fp);
			r = cr_err_set(ld->err, CR_EINPUT, "%s:%d: cannot open include file '%s'", f,
			    line, s);
		} else {
			r = cr_err_set(ld->err, CR_EINPUT, "%s:%d: cannot open include file '%s': "
			    "'%s': %s%s", f, line, s, full, strerror(e), s[0] == '/' ?
			    " (libconfig 1.5 looks an @include up in the main configuration's "
			    "directory even when it is absolute)" : !is_main ?
			    " (an @include is relative to the main configuration's directory, "
			    "also in an included file)" : "");
		}
		free(full);
		goto out;
	}
	if ((strcmp(etext, "duplicate setting name") == 0 ||
	    strcmp(etext, "mismatched element type in array") == 0) &&
	    plan_cfgdiag(ftext, &d)) {
		/* an included file's paths start at the top only when it is included there */
		if (d.path != NULL && !is_main &&
		    (main_text == NULL || !plan_include_at_root(main_text, efile))) {
			free(d.path);
			d.path = NULL;
		}
		if (d.line == line) {
			if (d.path != NULL)
				r = cr_err_set(ld->err, CR_EINPUT, "%s:%d: %s: %s", f, line, d.path, d.msg);
			else
				r = cr_err_set(ld->err, CR_EINPUT, "%s:%d: %s", f, line, d.msg);
			plan_cfgdiag_release(&d);
			goto out;
		}
		plan_cfgdiag_release(&d);
	}
	/*
	 * Say at least which setting the line holds - its name only: the line
	 * may hold a PIN pasted into a pin_source.
	 */
	s = line_setting(ftext, line);
	if (s != NULL && strcmp(etext, "syntax error") != 0)
		r = cr_err_set(ld->err, CR_EINPUT, "%s:%d: %s (at setting '%s')", f, line, etext, s);
	else
		r = cr_err_set(ld->err, CR_EINPUT, "%s:%d: %s", f, line, etext);
out:
	free(s);
	if (ftext != main_text)
		free(ftext);
	free(main_text);
	return r;
}

static int
load(const char *path, const char *text, const char *name, const char *dir,
    struct plan_config **out, struct cr_err *err)
{
	struct loader ld;
	struct plan_config *cfg = cr_xcalloc(1, sizeof(*cfg));
	int r = CR_EINPUT, ok;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.cfg = cfg;
	ld.err = err;
	cfg->file = cr_xstrdup(name);
	cfg->dir = dir ? cr_xstrdup(dir) : cr_path_dirname(name);
	cfg->index = cr_xcalloc(1, sizeof(struct cfg_index));
	config_init(&ld.lc);
	config_set_include_dir(&ld.lc, cfg->dir);
	if (path != NULL) {
		FILE *f = fopen(path, "r");

		if (f == NULL) {
			r = cr_err_set(err, CR_EINPUT, "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		fclose(f);
		ok = config_read_file(&ld.lc, path);
	} else {
		ok = config_read_string(&ld.lc, text);
	}
	if (!ok) {
		r = syntax_error(&ld, path, text);
		goto out;
	}
	if ((r = load_tree(&ld)) != CR_OK)
		goto out;
	*out = cfg;
	cfg = NULL;
	r = CR_OK;
out:
	free((void *)ld.host_set);
	free((void *)ld.svc_set);
	config_destroy(&ld.lc);
	plan_config_free(cfg);
	return r;
}

int
plan_config_load(const char *path, struct plan_config **out, struct cr_err *err)
{
	return load(path, NULL, path, NULL, out, err);
}

int
plan_config_parse(const char *text, const char *name, const char *dir,
    struct plan_config **out, struct cr_err *err)
{
	return load(NULL, text, name, dir ? dir : ".", out, err);
}

long
plan_config_host(const struct plan_config *cfg, const char *name)
{
	const struct cfg_index *ix = cfg->index;
	size_t v;

	return plan_map_get(&ix->hosts, name, &v) ? (long)v : -1;
}

long
plan_config_service(const struct plan_config *cfg, const char *name)
{
	const struct cfg_index *ix = cfg->index;
	size_t v;

	return plan_map_get(&ix->services, name, &v) ? (long)v : -1;
}

void
plan_config_free(struct plan_config *cfg)
{
	struct plan_rotation *rot;
	size_t i;

	if (cfg == NULL)
		return;
	rot = &cfg->rotation;
	free(rot->name);
	free(rot->old);
	free(rot->new);
	free(rot->key);
	free_strv(rot->chain, rot->nchain);
	free_strv(rot->trust, rot->ntrust);
	free(rot->import_to);
	free(rot->import_token);
	free(rot->archive_dir);
	free(rot->archive_dir_text);
	free(rot->label);
	free(rot->subject);
	free(rot->kinds_dir);
	hooks_release(&rot->hooks);
	for (i = 0; i < cfg->ntokens; i++) {
		free(cfg->tokens[i].uri);
		free(cfg->tokens[i].module);
		free(cfg->tokens[i].pin_source);
		free(cfg->tokens[i].path);
	}
	free(cfg->tokens);
	for (i = 0; i < cfg->nhosts; i++) {
		struct plan_host *h = &cfg->hosts[i];

		free(h->name);
		free_strv(h->accept_sig, h->naccept_sig);
		free_strv(h->accept_key, h->naccept_key);
		hooks_release(&h->hooks);
		free(h->path);
	}
	free(cfg->hosts);
	for (i = 0; i < cfg->nservices; i++)
		service_release(&cfg->services[i]);
	free(cfg->services);
	for (i = 0; i < cfg->nprotect; i++) {
		free(cfg->protect[i].text);
		crt_ident_release(&cfg->protect[i].ident);
		free(cfg->protect[i].path);
	}
	free(cfg->protect);
	for (i = 0; i < cfg->nwarnings; i++)
		free(cfg->warnings[i].msg);
	free(cfg->warnings);
	if (cfg->index != NULL) {
		struct cfg_index *ix = cfg->index;

		plan_map_release(&ix->hosts);
		plan_map_release(&ix->services);
		free(ix);
	}
	free_strv(cfg->files, cfg->nfiles);
	free(cfg->file);
	free(cfg->dir);
	free(cfg);
}
