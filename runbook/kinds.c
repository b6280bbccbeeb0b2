/*
 * kinds.c - rendering a kind's commands, the values of a step, the set of
 * kinds of a directory and where that directory is (kind.h).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kind.h"
#include "internal.h"
#include "../cert/cert.h"
#include "../plan/plan.h"
#include "../common/util.h"

#ifndef CR_KINDS_DIR
#define CR_KINDS_DIR "/usr/local/share/certrotate/kinds"
#endif

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- values ------------------------------------------------------------------ */

/* Every placeholder and where its value is in struct book_vars. */
static const struct {
	const char *name;
	size_t off;
} vars[] = {
	{ "new.sha1", offsetof(struct book_vars, new_cert.sha1) },
	{ "new.sha256", offsetof(struct book_vars, new_cert.sha256) },
	{ "new.subject", offsetof(struct book_vars, new_cert.subject) },
	{ "new.issuer", offsetof(struct book_vars, new_cert.issuer) },
	{ "new.tls_name", offsetof(struct book_vars, new_cert.tls_name) },
	{ "new.pem", offsetof(struct book_vars, new_cert.pem) },
	{ "old.sha1", offsetof(struct book_vars, old_cert.sha1) },
	{ "old.sha256", offsetof(struct book_vars, old_cert.sha256) },
	{ "old.subject", offsetof(struct book_vars, old_cert.subject) },
	{ "old.issuer", offsetof(struct book_vars, old_cert.issuer) },
	{ "old.tls_name", offsetof(struct book_vars, old_cert.tls_name) },
	{ "old.pem", offsetof(struct book_vars, old_cert.pem) },
	{ "host", offsetof(struct book_vars, host) },
	{ "service", offsetof(struct book_vars, service) },
	{ "account", offsetof(struct book_vars, account) },
	{ "ref", offsetof(struct book_vars, ref) },
	{ "endpoint", offsetof(struct book_vars, endpoint) },
	{ "path", offsetof(struct book_vars, path) },
};

void
book_vars_step(struct book_vars *v, const struct plan_step *s)
{
	const struct plan_service *svc = s->service;

	v->host = s->host;
	v->service = svc != NULL ? svc->name : NULL;
	v->account = s->account != NULL ? s->account : svc != NULL ? svc->account : NULL;
	v->ref = s->ref != NULL ? s->ref->id : NULL;
	v->endpoint = s->ref != NULL ? s->ref->endpoint : NULL;
	v->path = s->ref != NULL ? s->ref->file_path : NULL;
}

const char *
book_step_kind(const struct plan *p, const struct plan_step *s)
{
	size_t i;

	if (s->type == PLAN_RETIRE && s->host_cfg == NULL)
		return NULL;		/* the token's retire is certrotate's own */
	if (s->service != NULL)		/* a grant names the first service of its (host, account) */
		return s->service->kind;
	if (s->host_cfg == NULL)
		return NULL;		/* the import_to token */
	for (i = 0; i < p->nsteps; i++) {
		const struct plan_step *o = &p->steps[i];

		if ((o->type == PLAN_REBIND || o->type == PLAN_RENAME || o->type == PLAN_RESTART) &&
		    o->service != NULL && o->host_cfg == s->host_cfg)
			return o->service->kind;
	}
	return NULL;
}

void
book_vars_cert(struct book_cert_vars *cv, const struct crt_info *info, const char *pem)
{
	cv->sha1 = info->sha1;
	cv->sha256 = info->sha256;
	cv->subject = info->subject;
	cv->issuer = info->issuer;
	cv->tls_name = info->tls_name;
	cv->pem = pem;
}

/* ---- rendering ----------------------------------------------------------------- */

struct render {
	enum book_shell shell;
	const struct book_vars *v;
	char **quoted;		/* the values handed to book_expand, freed after */
	size_t n, cap;
	int failed;
	char failed_name[32];
	struct cr_err qerr;
	char missing[32];	/* the first placeholder the step has no value for, or "" */
};

const char *
book_var(const struct book_vars *v, const char *name)
{
	size_t i;

	for (i = 0; i < N(vars); i++)
		if (strcmp(vars[i].name, name) == 0)
			return *(const char *const *)((const char *)v + vars[i].off);
	return NULL;
}

static const char *
render_lookup(void *ctx, const char *name)
{
	struct render *rc = ctx;
	const char *value = book_var(rc->v, name);
	char *q;

	if (value == NULL) {
		if (rc->missing[0] == '\0')
			snprintf(rc->missing, sizeof(rc->missing), "%s", name);
		value = "";
	}
	q = book_quoted(rc->shell, value, strlen(value), &rc->qerr);
	if (q == NULL) {
		if (!rc->failed)
			snprintf(rc->failed_name, sizeof(rc->failed_name), "%s", name);
		rc->failed = 1;
		return "";
	}
	cr_grow(&rc->quoted, &rc->cap, rc->n + 1, sizeof(char *));
	rc->quoted[rc->n++] = q;
	return q;
}

int
book_render(const struct book_kind *k, const struct book_group *g, enum book_part p,
    const struct book_vars *v, char ***lines, size_t *n, struct cr_err *err)
{
	const struct book_lines *cmd;
	char **out;
	size_t i, j;
	int r = CR_OK;

	*lines = NULL;
	*n = 0;
	if ((unsigned)p >= BOOK_NPARTS)
		return cr_err_setr(err, CR_EINPUT, CR_R_USAGE, "no such part of a step");
	cmd = &g->cmd[p];
	out = cr_xcalloc(cmd->n + 1, sizeof(char *));
	for (i = 0; i < cmd->n; i++) {
		struct render rc = { .shell = k->shell, .v = v };

		out[i] = book_expand(cmd->v[i], render_lookup, &rc);
		for (j = 0; j < rc.n; j++)
			free(rc.quoted[j]);
		free(rc.quoted);
		if (rc.missing[0] != '\0') {
			/* a command about what the step does not have (a ref without an
			   endpoint): an empty argument would make it wrong, not inert */
			free(out[i]);
			out[i] = cr_xasprintf("# left out: this step has no {%s} for: %s", rc.missing,
			    cmd->v[i]);
		}
		if (rc.failed) {
			r = cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "cannot write the %s commands "
			    "of kind '%s' (%s:%d): {%s}: %s", book_part_name(p), k->name, k->file,
			    cmd->line[i], rc.failed_name, rc.qerr.msg);
			book_lines_free(out, i + 1);
			return r;
		}
	}
	*lines = out;
	*n = cmd->n;
	return CR_OK;
}

void
book_lines_free(char **lines, size_t n)
{
	size_t i;

	if (lines == NULL)
		return;
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

/* ---- hooks and a restart's configuration test ------------------------------------ */

/* 1 when sh reads w as one plain word (nothing to quote). */
static int
plain_word(const char *w, int first)
{
	const char *p;

	if (*w == '\0')
		return 0;
	for (p = w; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("@%+:,./_-", *p) != NULL || (*p == '=' && !first)))
			return 0;
	return 1;
}

static const char *
raw_lookup(void *ctx, const char *name)
{
	return book_var(ctx, name);
}

char *
book_argv_line(const struct plan_argv *a, const struct book_vars *v, struct cr_err *err)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i;

	for (i = 0; i < a->n; i++) {
		char *x = book_expand(a->v[i], raw_lookup, (void *)v);

		if (i > 0)
			cr_buf_addc(&b, ' ');
		if (plain_word(x, i == 0)) {
			cr_buf_adds(&b, x);
		} else if (book_quote(BOOK_SH, x, strlen(x), &b, err) != CR_OK) {
			free(x);
			cr_buf_release(&b);
			return NULL;
		}
		free(x);
	}
	return cr_buf_detach(&b);
}

int
book_step_test(const struct plan_step *s, const struct book_vars *v, char **line,
    enum book_test_from *from, struct cr_err *err)
{
	const struct plan_argv *a = NULL;
	struct book_vars tv = *v;

	*line = NULL;
	*from = BOOK_TEST_NONE;
	if (s->type != PLAN_RESTART || s->service == NULL)
		return CR_OK;
	if (s->test != NULL) {
		a = s->test;
		*from = s->test_is_default ? BOOK_TEST_DEFAULT : BOOK_TEST_RUN_TEST;
	} else if ((a = plan_kind_test(s->service->kind)) != NULL) {
		*from = BOOK_TEST_BY_HAND;
	} else {
		return CR_OK;
	}
	/* as config.test runs it: no PEM files are written for a test */
	tv.new_cert.pem = NULL;
	tv.old_cert.pem = NULL;
	if ((*line = book_argv_line(a, &tv, err)) == NULL) {
		*from = BOOK_TEST_NONE;
		return cr_err_prefix(err, "cannot write the configuration test of service '%s' (%s:%d)",
		    s->service->name, a->loc.file != NULL ? a->loc.file : "?", a->loc.line);
	}
	return CR_OK;
}

/* ---- a directory of kinds ------------------------------------------------------ */

struct book_kinds {
	char *dir;
	struct book_kind **v;	/* loaded, in order of first use */
	size_t n, cap;
};

struct book_kinds *
book_kinds_new(const char *dir)
{
	struct book_kinds *ks = cr_xcalloc(1, sizeof(*ks));

	ks->dir = cr_xstrdup(dir);
	return ks;
}

void
book_kinds_free(struct book_kinds *ks)
{
	size_t i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n; i++)
		book_kind_free(ks->v[i]);
	free(ks->v);
	free(ks->dir);
	free(ks);
}

const char *
book_kinds_path(const struct book_kinds *ks)
{
	return ks->dir;
}

int
book_kinds_get(struct book_kinds *ks, const char *name, const struct book_kind **out,
    struct cr_err *err)
{
	struct book_kind *k;
	size_t i;
	int r;

	*out = NULL;
	if (name == NULL || name[0] == '\0')
		name = "generic";
	for (i = 0; i < ks->n; i++)
		if (strcmp(ks->v[i]->name, name) == 0) {
			*out = ks->v[i];
			return CR_OK;
		}
	if ((r = book_kind_load(ks->dir, name, &k, err)) != CR_OK)
		return r;
	cr_grow(&ks->v, &ks->cap, ks->n + 1, sizeof(*ks->v));
	ks->v[ks->n++] = k;
	*out = k;
	return CR_OK;
}

int
book_kinds_step(struct book_kinds *ks, const char *kind_name, enum plan_step_type t,
    const char *ref, const struct book_kind **kind, const struct book_group **group,
    struct cr_err *err)
{
	int r;

	*kind = NULL;
	*group = NULL;
	if ((r = book_kinds_get(ks, kind_name, kind, err)) != CR_OK)
		return r;
	if ((*group = book_kind_group(*kind, t, ref)) != NULL)
		return CR_OK;
	if (strcmp((*kind)->name, "generic") == 0)
		return CR_OK;
	if ((r = book_kinds_get(ks, "generic", kind, err)) != CR_OK)
		return r;
	*group = book_kind_group(*kind, t, ref);
	return CR_OK;
}

/* 1 when dir/generic.cfg is a regular file. */
static int
has_kinds(const char *dir)
{
	char *p = cr_xasprintf("%s/generic.cfg", dir);
	struct stat st;
	int ok = stat(p, &st) == 0 && S_ISREG(st.st_mode);

	free(p);
	return ok;
}

/* The source tree's kinds/ when the running binary sits in BUILD/ of one; else NULL. */
static char *
source_tree_kinds(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *bindir, *tree, *dir = NULL;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	bindir = cr_path_dirname(exe);
	tree = cr_path_dirname(bindir);
	dir = cr_xasprintf("%s/kinds", tree);
	free(bindir);
	free(tree);
	if (!has_kinds(dir)) {
		free(dir);
		dir = NULL;
	}
	return dir;
}

char *
book_kinds_dir(const char *cli_dir, const char *cfg_dir, const char **why)
{
	const char *w;
	char *dir;

	if (cli_dir != NULL && cli_dir[0] != '\0') {
		w = "--kinds";
		dir = cr_xstrdup(cli_dir);
	} else if (cfg_dir != NULL && cfg_dir[0] != '\0') {
		w = "kinds_dir";
		dir = cr_xstrdup(cfg_dir);
	} else if ((dir = source_tree_kinds()) != NULL) {
		w = "source tree";
	} else {
		w = "installed";
		dir = cr_xstrdup(CR_KINDS_DIR);
	}
	if (why != NULL)
		*why = w;
	return dir;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
book_kinds_names(const char *dir, char ***names, size_t *n, struct cr_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	if (d == NULL)
		return cr_err_setr(err, CR_EENV, CR_R_IO, "cannot read the kinds directory '%s': %s",
		    dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char *name, *path;
		struct stat st;

		if (len <= 4 || strcmp(e->d_name + len - 4, ".cfg") != 0)
			continue;
		name = cr_xstrdup(e->d_name);
		name[len - 4] = '\0';
		path = cr_xasprintf("%s/%s", dir, e->d_name);
		if (book_kind_name_ok(name) && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			cr_grow(names, &cap, *n + 1, sizeof(**names));
			(*names)[(*n)++] = name;
			name = NULL;
		}
		free(name);
		free(path);
	}
	closedir(d);
	if (*n > 1)
		qsort(*names, *n, sizeof(**names), cmp_str);
	return CR_OK;
}
