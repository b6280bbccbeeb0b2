/*
 * config.c - loading certrotate.cfg (SPEC 4): the entry points of config.h.
 *
 * The text is read (a regular file, bounded) and pre-scanned with what it
 * @includes (cfgscan.c) before libconfig parses it; libconfig's tree is then
 * walked once through the schema (schema.c, cfgwalk.c), each group's
 * settings in table order, so that the first error reported is the first
 * one met; the rules across entries run after the walk (crossref.c), still
 * in file order.  Only then are the arrays sorted, which makes everything
 * downstream independent of the order of entries.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"
#include "internal.h"
#include "../common/util.h"

/* ---- libconfig's own errors ---------------------------------------------------------- */

/* The name of the first setting ("name =" / "name :") on line `line` of text, or NULL.  New string. */
static char *
line_setting(const char *text, int line)
{
	const char *p = text, *end, *q, *r;
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
	for (; p < end; p = q) {
		if (*p == '"' || *p == '#')
			return NULL;
		if (!isalpha((unsigned char)*p) && *p != '*') {
			q = p + 1;
			continue;
		}
		for (q = p; q < end && (isalnum((unsigned char)*q) || *q == '_' || *q == '-' || *q == '*'); q++)
			;
		for (r = q; r < end && (*r == ' ' || *r == '\t'); r++)
			;
		if (r < end && (*r == '=' || *r == ':'))
			return cr_xstrndup(p, (size_t)(q - p));
		q++;	/* the character after a name is not looked at */
	}
	return NULL;
}

/*
 * libconfig's "cannot open include file" at line `line` of ftext (the file
 * f, the main one when is_main): which include, and why (the open()
 * libconfig made).
 */
static int
include_error(struct loader *ld, const char *f, const char *ftext, int line, int is_main)
{
	struct plan_config *cfg = ld->cfg;
	char *s = plan_include_target(ftext, line), *full;
	int fd, e, r;

	if (s == NULL)
		return -1;
	/* what libconfig 1.5 opened: include_dir + "/" + the name, even when absolute */
	full = strcmp(cfg->dir, ".") == 0 && s[0] != '/' ? cr_xstrdup(s) :
	    cr_xasprintf("%s/%s", cfg->dir, s);
	fd = open(full, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	e = errno;
	if (fd >= 0) {
		close(fd);
		r = cr_err_setr(ld->err, CR_EINPUT, CR_R_IO, "%s:%d: cannot open include file '%s'", f,
		    line, s);
	} else {
		r = cr_err_setr(ld->err, CR_EINPUT, e == ENOENT ? CR_R_NOT_FOUND : CR_R_IO,
		    "%s:%d: cannot open include file '%s': '%s': %s%s", f, line, s, full, strerror(e),
		    s[0] == '/' ? " (libconfig 1.5 looks an @include up in the main configuration's "
		    "directory even when it is absolute)" : !is_main ? " (an @include is relative to "
		    "the main configuration's directory, also in an included file)" : "");
	}
	free(full);
	free(s);
	return r;
}

/* "duplicate setting name", "mismatched element type in array": name the setting. */
static int
diag_error(struct loader *ld, const char *f, const char *ftext, int line, const char *efile,
    int is_main, const char *main_text)
{
	struct plan_cfgdiag d;
	int r = -1;

	if (!plan_cfgdiag(ftext, &d))
		return -1;
	/* an included file's paths start at the top only when it is included there */
	if (d.path != NULL && !is_main && !plan_include_at_root(main_text, efile)) {
		free(d.path);
		d.path = NULL;
	}
	if (d.line == line && d.path != NULL) {
		r = cr_err_setr(ld->err, CR_EINPUT, CR_R_MALFORMED, "%s:%d: %s: %s", f, line, d.path,
		    d.msg);
		cr_err_locate(ld->err, f, line, d.path);
	} else if (d.line == line)
		r = cr_err_setr(ld->err, CR_EINPUT, CR_R_MALFORMED, "%s:%d: %s", f, line, d.msg);
	plan_cfgdiag_release(&d);
	return r;
}

/*
 * libconfig's own error, made to name what it is about: the setting of a
 * "duplicate setting name" or "mismatched element type in array" (found by
 * plan_cfgdiag), the file of a "cannot open include file"; else the text of
 * the line.
 */
static int
syntax_text(struct loader *ld, const char *main_text)
{
	struct plan_config *cfg = ld->cfg;
	const char *efile = config_error_file(&ld->lc), *etext = config_error_text(&ld->lc);
	const char *f = efile ? plan_ld_intern(cfg, efile) : cfg->file, *ftext;
	int line = config_error_line(&ld->lc), is_main = efile == NULL, r = -1;
	char *s;

	if (config_error_type(&ld->lc) == CONFIG_ERR_FILE_IO)
		return cr_err_setr(ld->err, CR_EINPUT, CR_R_IO, "cannot read '%s': %s", f, etext);
	ftext = is_main ? main_text : plan_cfgtexts_get(ld->texts, efile);
	if (ftext == NULL)
		return cr_err_setr(ld->err, CR_EINPUT, CR_R_MALFORMED, "%s:%d: %s", f, line, etext);
	if (strcmp(etext, "cannot open include file") == 0)
		r = include_error(ld, f, ftext, line, is_main);
	else if (strcmp(etext, "duplicate setting name") == 0 ||
	    strcmp(etext, "mismatched element type in array") == 0)
		r = diag_error(ld, f, ftext, line, efile, is_main, main_text);
	if (r >= 0)
		return r;
	/*
	 * Say at least which setting the line holds - its name only: the line
	 * may hold a PIN pasted into a pin_source.
	 */
	s = line_setting(ftext, line);
	if (s != NULL && strcmp(etext, "syntax error") != 0)
		r = cr_err_setr(ld->err, CR_EINPUT, CR_R_MALFORMED, "%s:%d: %s (at setting '%s')", f,
		    line, etext, s);
	else
		r = cr_err_setr(ld->err, CR_EINPUT, CR_R_MALFORMED, "%s:%d: %s", f, line, etext);
	free(s);
	return r;
}

/* The same, located (file and line; the setting when known) for callers reporting apart. */
static int
syntax_error(struct loader *ld, const char *main_text)
{
	const char *efile = config_error_file(&ld->lc);
	int r = syntax_text(ld, main_text);

	if (ld->err->file[0] == '\0')
		cr_err_locate(ld->err, efile ? plan_ld_intern(ld->cfg, efile) : ld->cfg->file,
		    config_error_type(&ld->lc) == CONFIG_ERR_FILE_IO ? 0 :
		    config_error_line(&ld->lc), NULL);
	return r;
}

/* ---- loading ------------------------------------------------------------------------------ */

/* The walk of the whole tree, the rules across entries, sorting, sources' tokens. */
static int
load_tree(struct loader *ld)
{
	int r;

	if ((r = plan_walk(ld, PLAN_SEC_ROOT, config_root_setting(&ld->lc), "", ld->cfg)) != CR_OK ||
	    (r = plan_xref_names(ld)) != CR_OK || (r = plan_xref_finish(ld)) != CR_OK)
		return r;
	plan_src_bind_tokens(ld->cfg);
	return CR_OK;
}

/*
 * libconfig parses the text read here, through a memory stream: its scanner
 * then copies blocks, where config_read_string() copies byte by byte.  Either
 * way the main file has no name for libconfig (its settings' file is NULL).
 */
static int
parse_text(config_t *lc, const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ok;

	if (f == NULL)
		return config_read_string(lc, text);
	ok = config_read(lc, f);
	fclose(f);
	return ok;
}

/* path: the file to read (NULL: text is the configuration); name stands for it in messages. */
static int
load(const char *path, const char *text, const char *name, const char *dir,
    struct plan_config **out, struct cr_err *err)
{
	struct loader ld;
	struct plan_config *cfg = cr_xcalloc(1, sizeof(*cfg));
	char *owned = NULL;
	size_t i;
	int r;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.cfg = cfg;
	ld.err = err;
	cfg->file = cr_xstrdup(name);
	cfg->dir = dir ? cr_xstrdup(dir) : cr_path_dirname(name);
	cfg->index = plan_xref_index_new();
	config_init(&ld.lc);
	config_set_include_dir(&ld.lc, cfg->dir);
	/* read here, not by libconfig: a FIFO or a huge file must fail at once */
	if (path != NULL) {
		if ((r = plan_cfg_read(path, name, &owned, err)) != CR_OK)
			goto out;
		text = owned;
	}
	if ((r = plan_cfg_prescan(text, cfg->file, path, cfg->dir, &ld.texts, err)) != CR_OK)
		goto out;
	if (!parse_text(&ld.lc, text)) {
		r = syntax_error(&ld, text);
		goto out;
	}
	if ((r = load_tree(&ld)) != CR_OK)
		goto out;
	*out = cfg;
	cfg = NULL;
	r = CR_OK;
out:
	for (i = 0; i < sizeof(ld.elems) / sizeof(ld.elems[0]); i++)
		free((void *)ld.elems[i]);
	plan_map_release(&ld.scratch);
	plan_cfgtexts_free(ld.texts);
	config_destroy(&ld.lc);
	free(owned);
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

void
plan_config_free(struct plan_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	/* what the loader derived from the settings; the settings go by the schema */
	free(cfg->rotation.import_token);
	for (i = 0; i < cfg->nservices; i++)
		free(cfg->services[i].dep);
	plan_walk_release(PLAN_SEC_ROOT, cfg);
	for (i = 0; i < cfg->nwarnings; i++) {
		free(cfg->warnings[i].msg);
		free(cfg->warnings[i].setting);
	}
	free(cfg->warnings);
	plan_xref_index_free(cfg->index);
	plan_free_strv(cfg->files, cfg->nfiles);
	free(cfg->file);
	free(cfg->dir);
	free(cfg);
}
