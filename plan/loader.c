/*
 * loader.c - where a setting is and how a problem with it is told
 * (loader.h): file and line, setting paths, suggestions.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "internal.h"
#include "../common/util.h"

/* 1 when `resolved` is `file` resolved against the configuration's directory. */
static int
is_resolved(const struct plan_config *cfg, const char *resolved, const char *file)
{
	char *r = cr_path_resolve(cfg->dir, file);
	int same = strcmp(r, resolved) == 0;

	free(r);
	return same;
}

const char *
plan_ld_intern(struct plan_config *cfg, const char *file)
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

struct plan_loc
plan_ld_loc(struct loader *ld, const config_setting_t *s)
{
	struct plan_loc l;

	l.file = plan_ld_intern(ld->cfg, s ? config_setting_source_file(s) : NULL);
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
		cr_err_setr(err, CR_EINPUT, CR_R_CONFIG, "%s:%d: %s: %s", loc.file, loc.line,
		    setting, msg);
	else
		cr_err_setr(err, CR_EINPUT, CR_R_CONFIG, "%s: %s: %s", loc.file, setting, msg);
	cr_err_locate(err, loc.file, loc.line, setting);
	return CR_EINPUT;
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

int
plan_ld_fail(struct loader *ld, const config_setting_t *s, const char *path, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail_loc(ld->err, plan_ld_loc(ld, s), path, fmt, ap);
	va_end(ap);
	return r;
}

void
plan_ld_warn(struct loader *ld, const config_setting_t *s, const char *path, const char *msg)
{
	struct plan_config *cfg = ld->cfg;
	struct plan_loc l = plan_ld_loc(ld, s);

	plan_grow_implied(&cfg->warnings, cfg->nwarnings, sizeof(*cfg->warnings));
	cfg->warnings[cfg->nwarnings].msg = cr_xasprintf("%s:%d: %s: %s", l.file, l.line, path, msg);
	cfg->warnings[cfg->nwarnings++].setting = cr_xstrdup(path);
}

/* A path cut to the buffer ends in "...". */
static const char *
cut(char *buf, int n)
{
	if (n < 0 || n >= PLAN_PATH_BUF)
		memcpy(buf + PLAN_PATH_BUF - 4, "...", 4);
	return buf;
}

/* Built for every setting read, most of them fine: no snprintf. */
const char *
plan_ld_path(char *buf, const char *parent, const char *name)
{
	size_t lp = strlen(parent), ln = strlen(name), n = lp + (lp > 0) + ln;

	if (n >= PLAN_PATH_BUF)
		return cut(buf, snprintf(buf, PLAN_PATH_BUF, "%s%s%s", parent, lp ? "." : "", name));
	memcpy(buf, parent, lp);
	if (lp > 0)
		buf[lp++] = '.';
	memcpy(buf + lp, name, ln + 1);
	return buf;
}

const char *
plan_ld_elem_path(char *buf, const char *parent, size_t i)
{
	return cut(buf, snprintf(buf, PLAN_PATH_BUF, "%s.[%zu]", parent, i));
}

const char *
plan_ld_type_name(int type)
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

void
plan_free_strv(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- suggestions ---------------------------------------------------------------- */

/* Optimal string alignment distance (Levenshtein with transpositions). */
size_t
plan_ld_edit_distance(const char *a, const char *b)
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

const char *
plan_ld_nearest(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t bestd = 3, i, len = strlen(word);

	for (i = 0; i < n; i++) {
		size_t d = plan_ld_edit_distance(word, names[i]);

		if (d < bestd && d < len) {
			best = names[i];
			bestd = d;
		}
	}
	return best;
}

const char *
plan_nearest(const char *word, const char *const *names, size_t n)
{
	return plan_ld_nearest(word, names, n);
}
