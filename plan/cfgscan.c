/*
 * cfgscan.c - the configuration text and its @include files, checked
 * before libconfig reads them (loader.h, limits.h).
 *
 * libconfig 1.5 has no include hook: it fopen()s an @include itself, waits
 * forever on a FIFO, ends the process on a directory (`@include ""` opens
 * the configuration's directory), and spends quadratic time on long tokens
 * and large groups.  So the text is scanned here first, the way libconfig's
 * scanner (scanner.l) reads it: an @include is recognised only at the start
 * of a line (`^[ \t]*@include[ \t]+"`), outside strings and comments, and
 * its file is opened as include_dir + "/" + the name (even an absolute
 * name); each included file is scanned in turn, where it stands, so group
 * sizes and nesting count across files as libconfig sees them.
 *
 * A file that does not exist or cannot be opened is left to libconfig: it
 * reports it with file and line (config.c names the path).  What is read
 * here is kept (struct plan_cfgtexts) for the messages about libconfig's
 * own errors.  A file swapped between this check and libconfig's fopen()
 * is not caught: whoever can do that can write the configuration itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "loader.h"
#include "limits.h"
#include "internal.h"
#include "../common/fsutil.h"
#include "../common/util.h"

struct plan_cfgtexts {
	struct {
		char *name;	/* as written in the @include */
		char *text;
	} *v;
	size_t n;
};

/* ---- reading one file ----------------------------------------------------------------- */

/*
 * Reads the regular file `path` (named `shown`; at most `max` bytes) into a
 * new NUL-terminated *text with common/fsutil's reader (never opens what
 * stat() does not call a regular file, never waits on a FIFO put in its
 * place); *st is its stat, or on CR_R_NOT_REGULAR what stands there.  Its
 * errors (CR_R_NOT_FOUND, CR_R_IO, CR_R_NOT_REGULAR, CR_R_TOO_LARGE) go to
 * *e.
 */
static int
read_regular(const char *path, const char *shown, size_t max, char **text, size_t *len,
    struct stat *st, struct cr_err *e)
{
	unsigned char *buf = NULL;
	int fd, r;

	*text = NULL;
	*len = 0;
	cr_err_clear(e);
	if ((r = cr_fs_open_regular(path, shown, 0, &fd, st, e)) != CR_OK)
		return r;
	r = cr_fs_read_fd(fd, shown, max, &buf, len, e);
	close(fd);
	*text = (char *)buf;
	return r;
}

/* The line of the first NUL byte in text[0..len) (libconfig would stop there), or 0. */
static int
nul_line(const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len), *p;
	int line = 1;

	if (nul == NULL)
		return 0;
	for (p = text; p < nul; p++)
		line += *p == '\n';
	return line;
}

#define NUL_TEXT "a NUL byte: not a text file"

int
plan_cfg_read(const char *path, const char *name, char **text, struct cr_err *err)
{
	struct cr_err e;
	struct stat st;
	size_t len;
	int r, line;

	r = read_regular(path, name, PLAN_CFG_MAX_BYTES, text, &len, &st, &e);
	if (r != CR_OK && e.reason == CR_R_TOO_LARGE)
		return cr_err_setr(err, CR_EINPUT, e.reason, "cannot read '%s': larger than %u "
		    "bytes (the limit for a configuration with its @include files)", name,
		    PLAN_CFG_MAX_BYTES);
	if (r != CR_OK) {
		cr_err_setr(err, r, e.reason, "%s", e.msg);
		cr_err_locate(err, name, 0, NULL);
		return r;
	}
	if ((line = nul_line(*text, len)) != 0) {
		free(*text);
		*text = NULL;
		cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "%s:%d: " NUL_TEXT, name, line);
		cr_err_locate(err, name, line, NULL);
		return CR_EINPUT;
	}
	return CR_OK;
}

/* ---- texts kept for messages ----------------------------------------------------------- */

static void
keep_text(struct plan_cfgtexts *t, const char *name, char *text)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].name, name) == 0) {
			free(text);
			return;
		}
	}
	plan_grow_implied(&t->v, t->n, sizeof(*t->v));
	t->v[t->n].name = cr_xstrdup(name);
	t->v[t->n].text = text;
	t->n++;
}

const char *
plan_cfgtexts_get(const struct plan_cfgtexts *t, const char *file)
{
	size_t i;

	for (i = 0; t != NULL && i < t->n; i++)
		if (strcmp(t->v[i].name, file) == 0)
			return t->v[i].text;
	return NULL;
}

void
plan_cfgtexts_free(struct plan_cfgtexts *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].text);
	}
	free(t->v);
	free(t);
}

/* ---- the scan ---------------------------------------------------------------------------- */

struct pscan {
	const char *dir;
	struct cr_err *err;
	struct plan_cfgtexts *texts;
	size_t total, nincludes;
	/* the files being scanned, outermost first, for loops and nesting */
	struct {
		int known;	/* dev and ino are set */
		dev_t dev;
		ino_t ino;
		const char *shown;
	} chain[PLAN_CFG_MAX_INCLUDE_DEPTH + 1];
	size_t depth;
	/* open groups, lists and arrays; open[0] is the top level (a group) */
	char open[PLAN_CFG_MAX_DEPTH + 1];
	unsigned members[PLAN_CFG_MAX_DEPTH + 1];
	size_t nest;
};

/* "FILE:LINE: message" into ps->err. */
static int scan_fail(struct pscan *ps, enum cr_reason reason, const char *shown, int line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int
scan_fail(struct pscan *ps, enum cr_reason reason, const char *shown, int line, const char *fmt,
    ...)
{
	char msg[CR_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cr_err_setr(ps->err, CR_EINPUT, reason, "%s:%d: %s", shown, line, msg);
	cr_err_locate(ps->err, shown, line, NULL);
	return CR_EINPUT;
}

static int scan_text(struct pscan *ps, const char *text, const char *shown);

/* The characters of names and numbers, taken as one run (libconfig may split a run: a bound is a bound). */
static inline int
is_word(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '*' || c == '-' || c == '+' || c == '.';
}

/* The first character after blanks, line ends and comments from p ('\0' at the end). */
static char
significant(const char *p)
{
	for (;;) {
		p += strspn(p, " \t\r\n\f");
		if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");

			if (e == NULL)
				return '\0';
			p = e + 2;
		} else {
			return *p;
		}
	}
}

/* 1 when the file st is one being scanned: a loop, told from the top in *msg. */
static int
is_loop(const struct pscan *ps, const struct stat *st, const char *again, char **msg)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i, k;

	for (i = 0; i < ps->depth; i++) {
		if (!ps->chain[i].known || ps->chain[i].dev != st->st_dev ||
		    ps->chain[i].ino != st->st_ino)
			continue;
		for (k = 0; k < ps->depth; k++)
			cr_buf_addf(&b, "%s -> ", ps->chain[k].shown);
		cr_buf_adds(&b, again);
		*msg = cr_buf_detach(&b);
		return 1;
	}
	return 0;
}

/* Opens, checks and scans the file an @include names (name as written). */
static int
include_file(struct pscan *ps, const char *name, const char *shown, int line)
{
	char *full, *text = NULL, *inc_shown, *loop = NULL;
	struct cr_err e;
	struct stat st;
	size_t len = 0;
	int r, nul;

	if (name[0] == '\0')
		return scan_fail(ps, CR_R_NOT_REGULAR, shown, line, "cannot open include file '': "
		    "empty file name");
	if (++ps->nincludes > PLAN_CFG_MAX_INCLUDES)
		return scan_fail(ps, CR_R_TOO_LARGE, shown, line, "cannot open include file '%s': "
		    "more than %d @include directives (the limit)", name, PLAN_CFG_MAX_INCLUDES);
	if (ps->depth > PLAN_CFG_MAX_INCLUDE_DEPTH)
		return scan_fail(ps, CR_R_TOO_LARGE, shown, line, "cannot open include file '%s': "
		    "@include nested more than %d deep (libconfig's limit)", name,
		    PLAN_CFG_MAX_INCLUDE_DEPTH);
	/* what libconfig 1.5 opens: include_dir + "/" + the name, even when absolute */
	full = cr_xasprintf("%s/%s", ps->dir, name);
	inc_shown = cr_path_resolve(ps->dir, name);
	r = read_regular(full, full, PLAN_CFG_MAX_BYTES - ps->total, &text, &len, &st, &e);
	if (r != CR_OK && (e.reason == CR_R_NOT_FOUND || e.reason == CR_R_IO))
		r = CR_OK;	/* libconfig says it cannot open it, with its line */
	else if (r != CR_OK && e.reason == CR_R_TOO_LARGE)
		r = scan_fail(ps, e.reason, shown, line, "cannot open include file '%s': the "
		    "configuration with its @include files exceeds %u bytes (the limit)", name,
		    PLAN_CFG_MAX_BYTES);
	else if (r != CR_OK)	/* the path as config.c names a missing one */
		r = scan_fail(ps, e.reason, shown, line, "cannot open include file '%s': '%s' is %s, "
		    "not a regular file", name, strcmp(ps->dir, ".") == 0 && name[0] != '/' ? name :
		    full, cr_file_kind(st.st_mode));
	else if ((nul = nul_line(text, len)) != 0)
		r = scan_fail(ps, CR_R_MALFORMED, inc_shown, nul, NUL_TEXT);
	else if (is_loop(ps, &st, inc_shown, &loop))
		r = scan_fail(ps, CR_R_CONFIG, shown, line, "cannot open include file '%s': it "
		    "includes itself (%s)", name, loop);
	if (r != CR_OK || text == NULL)
		goto out;
	ps->total += len;
	ps->chain[ps->depth].known = 1;
	ps->chain[ps->depth].dev = st.st_dev;
	ps->chain[ps->depth].ino = st.st_ino;
	ps->chain[ps->depth++].shown = inc_shown;
	r = scan_text(ps, text, inc_shown);
	ps->depth--;
	keep_text(ps->texts, name, text);
	text = NULL;
out:
	free(loop);
	free(text);
	free(inc_shown);
	free(full);
	return r;
}

/*
 * At the start of a line: when it is an @include libconfig would act on,
 * reads its name and includes the file; *pp then points after the name's
 * closing quote.  0 when the line is no @include.
 */
static int
at_include(struct pscan *ps, const char **pp, const char *shown, int line, int *done)
{
	const char *q = *pp + strspn(*pp, " \t");
	struct cr_buf name = CR_BUF_INIT;
	size_t n;
	int r = CR_OK;

	*done = 0;
	if (strncmp(q, "@include", 8) != 0 || (n = strspn(q + 8, " \t")) == 0 || q[8 + n] != '"')
		return CR_OK;
	*done = 1;
	for (q += 8 + n + 1; *q != '"'; q++) {
		if (*q == '\0') {	/* unterminated: libconfig ignores it */
			*pp = q;
			goto out;
		}
		if (*q == '\\' && (q[1] == '\\' || q[1] == '"')) {
			cr_buf_addc(&name, *++q);
		} else if (*q == '\\') {
			/* libconfig would echo the backslash to standard output */
			r = scan_fail(ps, CR_R_MALFORMED, shown, line, "@include: '\\%c' in a file name "
			    "(only \\\\ and \\\" are escapes there)", q[1]);
			goto out;
		} else {
			cr_buf_addc(&name, *q);
		}
		if (name.len > PLAN_CFG_MAX_TOKEN) {
			r = scan_fail(ps, CR_R_TOO_LARGE, shown, line, "@include: file name longer than "
			    "%u bytes (the limit)", PLAN_CFG_MAX_TOKEN);
			goto out;
		}
	}
	*pp = q + 1;
	r = include_file(ps, cr_buf_str(&name), shown, line);
out:
	cr_buf_release(&name);
	return r;
}

/* A token longer than the limit: which one, where. */
static int
too_long(struct pscan *ps, const char *shown, int line, const char *what)
{
	return scan_fail(ps, CR_R_TOO_LARGE, shown, line, "%s too long: more than %u bytes (the "
	    "limit for one %s)", what, PLAN_CFG_MAX_TOKEN, what);
}

/* { ( [ opens, } ) ] closes; a name followed by = or : in a group is one of its settings. */
static int
structure(struct pscan *ps, const char *p, size_t wlen, const char *shown, int line)
{
	char c = *p;

	if (c == '{' || c == '(' || c == '[') {
		if (ps->nest >= PLAN_CFG_MAX_DEPTH)
			return scan_fail(ps, CR_R_TOO_LARGE, shown, line, "nested too deep: more than "
			    "%d groups, lists and arrays inside one another (the limit)",
			    PLAN_CFG_MAX_DEPTH);
		ps->open[++ps->nest] = c;
		ps->members[ps->nest] = 0;
	} else if (c == '}' || c == ')' || c == ']') {
		if (ps->nest > 0)
			ps->nest--;
	} else if (wlen > 0 && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '*') &&
	    (ps->nest == 0 || ps->open[ps->nest] == '{')) {
		char n = significant(p + wlen);

		if ((n == '=' || n == ':') && ++ps->members[ps->nest] > PLAN_CFG_MAX_MEMBERS)
			return scan_fail(ps, CR_R_TOO_LARGE, shown, line, "too many settings in one "
			    "group: more than %d (the limit)", PLAN_CFG_MAX_MEMBERS);
	}
	return CR_OK;
}

/* Skips a string at p (on its quote); *line counts its line ends.  The end, past the quote. */
static const char *
skip_string(const char *p, int *line)
{
	for (p++;;) {
		p += strcspn(p, "\"\\\n");
		if (*p == '\0')
			return p;
		if (*p == '"')
			return p + 1;
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (*p == '\n')
			(*line)++;
		p++;
	}
}

static int
scan_text(struct pscan *ps, const char *text, const char *shown)
{
	const char *p = text, *q;
	int line = 1, bol = 1, done, start, r;
	size_t n;

	while (*p != '\0') {
		if (bol && ((r = at_include(ps, &p, shown, line, &done)) != CR_OK || done)) {
			if (r != CR_OK)
				return r;
			bol = 0;
			continue;
		}
		bol = *p == '\n';
		if (*p == '\n') {
			line++;
			p++;
		} else if (*p == ' ' || *p == '\t') {
			for (n = 1; p[n] == ' ' || p[n] == '\t'; n++)
				;
			if (n > PLAN_CFG_MAX_TOKEN)
				return too_long(ps, shown, line, "run of blanks");
			p += n;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			if ((n = strcspn(p, "\n")) > PLAN_CFG_MAX_TOKEN)
				return too_long(ps, shown, line, "comment line");
			p += n;
		} else if (p[0] == '/' && p[1] == '*') {
			/* libconfig reads a block comment a character at a time: no bound */
			for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
				line += *p == '\n';
			p += *p != '\0' ? 2 : 0;
		} else if (*p == '"') {
			start = line;
			q = skip_string(p, &line);
			if ((size_t)(q - p) > PLAN_CFG_MAX_TOKEN)
				return too_long(ps, shown, start, "string");
			p = q;
		} else {
			for (n = 0; is_word((unsigned char)p[n]); n++)
				;
			if (n > PLAN_CFG_MAX_TOKEN)
				return too_long(ps, shown, line, "name or number");
			if ((r = structure(ps, p, n, shown, line)) != CR_OK)
				return r;
			p += n ? n : 1;
		}
	}
	return CR_OK;
}

int
plan_cfg_prescan(const char *text, const char *name, const char *path, const char *dir,
    struct plan_cfgtexts **texts, struct cr_err *err)
{
	struct pscan ps;
	struct stat st;
	int r;

	memset(&ps, 0, sizeof(ps));
	ps.dir = dir;
	ps.err = err;
	ps.texts = cr_xcalloc(1, sizeof(*ps.texts));
	ps.total = strlen(text);
	if (ps.total > PLAN_CFG_MAX_BYTES) {
		r = cr_err_setr(err, CR_EINPUT, CR_R_TOO_LARGE, "%s: larger than %u bytes (the limit "
		    "for a configuration with its @include files)", name, PLAN_CFG_MAX_BYTES);
		goto out;
	}
	/* the main file, when there is one, may be included again: a loop */
	if (path != NULL && stat(path, &st) == 0) {
		ps.chain[0].known = 1;
		ps.chain[0].dev = st.st_dev;
		ps.chain[0].ino = st.st_ino;
	}
	ps.chain[0].shown = name;
	ps.depth = 1;
	r = scan_text(&ps, text, name);
out:
	*texts = ps.texts;
	return r;
}
