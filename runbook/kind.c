/*
 * kind.c - loading and validating kind files (kind.h has the format).
 *
 * A kind file is data someone else may have written: it is opened without
 * blocking and read only when it is a regular file within bounds, @include
 * is refused before libconfig sees it (libconfig would open any path), and
 * every setting is checked against the tables below.  Rendering, the set of
 * kinds and the directory lookup are in kinds.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "kind.h"
#include "internal.h"
#include "../common/fsutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- placeholders: the one place that knows plan/'s placeholder API -------
 *
 * Today plan/ exports plan_expand() only; the table of what each step type
 * offers is private to plan/config.c, so it is repeated here.  When plan/
 * exports its placeholder validation, book_placeholder_ok() and
 * book_expand() become calls to it and the table goes.
 */

#define B(t) (1u << (t))
#define ALL_STEPS (B(PLAN_IMPORT) | B(PLAN_GRANT) | B(PLAN_REBIND) | B(PLAN_RENAME) | \
	B(PLAN_RESTART) | B(PLAN_RETIRE))
static const struct {
	const char *name;
	unsigned steps;
} ctx_placeholders[] = {
	/* as plan/config.c's table (SPEC 7.2, config.h HOOKS) */
	{ "host", B(PLAN_IMPORT) | B(PLAN_GRANT) | B(PLAN_REBIND) | B(PLAN_RENAME) | B(PLAN_RESTART) |
	  B(PLAN_RETIRE) },
	{ "service", B(PLAN_REBIND) | B(PLAN_RENAME) | B(PLAN_RESTART) },
	{ "account", B(PLAN_GRANT) | B(PLAN_REBIND) | B(PLAN_RENAME) | B(PLAN_RESTART) },
	{ "ref", B(PLAN_REBIND) | B(PLAN_RENAME) },
	{ "endpoint", B(PLAN_REBIND) | B(PLAN_RENAME) },
	{ "path", B(PLAN_REBIND) | B(PLAN_RENAME) },
};
static const char *const cert_fields[] = { "sha1", "sha256", "subject", "issuer", "tls_name", "pem" };

/* 0: available for t; 1: unknown name; 2: known, not available for t. */
int
book_placeholder_ok(const char *name, enum plan_step_type t)
{
	size_t i;

	if (strncmp(name, "new.", 4) == 0 || strncmp(name, "old.", 4) == 0) {
		for (i = 0; i < N(cert_fields); i++)
			if (strcmp(name + 4, cert_fields[i]) == 0)
				return 0;
		return 1;
	}
	for (i = 0; i < N(ctx_placeholders); i++)
		if (strcmp(name, ctx_placeholders[i].name) == 0)
			return (ctx_placeholders[i].steps & B(t)) ? 0 : 2;
	return 1;
}

/* "{new.*}, {old.*}, {host}, ..." for messages.  New string. */
static char *
available_list(enum plan_step_type t)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i;

	cr_buf_adds(&b, "{new.*}, {old.*}");
	for (i = 0; i < N(ctx_placeholders); i++)
		if (ctx_placeholders[i].steps & B(t))
			cr_buf_addf(&b, ", {%s}", ctx_placeholders[i].name);
	return cr_buf_detach(&b);
}

char *
book_expand(const char *tmpl, const char *(*lookup)(void *ctx, const char *name), void *ctx)
{
	return plan_expand(tmpl, lookup, ctx);
}

/*
 * A placeholder cut off by the end of the text ("... {new.sha1"), which
 * plan_expand leaves as text: refused as plan/config.c refuses it in hooks.
 */
static const char *
unterminated(const char *s)
{
	const char *p = s, *q;

	while ((p = strchr(p, '{')) != NULL) {
		if (p[1] == '{') {
			p += 2;
			continue;
		}
		if (!isalpha((unsigned char)p[1])) {
			p++;
			continue;
		}
		for (q = p + 1; isalnum((unsigned char)*q) || *q == '_' || *q == '.'; q++)
			;
		if (*q == '\0')
			return p;
		p = q;
	}
	return NULL;
}

/* ---- probing a template: which placeholders, and where -------------------- */

/*
 * book_expand() with this lookup replaces the i-th placeholder by
 * "\x01<i>\x02" and records its name, so the expanded text shows what
 * stands beside each placeholder.  Templates hold no control characters
 * (checked before), so the markers cannot be confused with the text.
 */
struct probe {
	char *names[BOOK_KIND_MAX_LINE / 2];
	size_t n;
	char mark[24];
};

static const char *
probe_lookup(void *ctx, const char *name)
{
	struct probe *pr = ctx;

	if (pr->n >= N(pr->names))
		return "";
	pr->names[pr->n] = cr_xstrdup(name);
	snprintf(pr->mark, sizeof(pr->mark), "\x01%zu\x02", pr->n);
	pr->n++;
	return pr->mark;
}

static void
probe_release(struct probe *pr)
{
	size_t i;

	for (i = 0; i < pr->n; i++)
		free(pr->names[i]);
	pr->n = 0;
}

/* May a PowerShell value stand after `before` and before `after`? */
static int
whole_word(int before, int after)
{
	return (before == '\0' || strchr(" \t(,", before) != NULL) &&
	    (after == '\0' || strchr(" \t),;|", after) != NULL);
}

/*
 * Checks one command template of step type t for shell sh.  NULL when
 * good, else a new message.
 */
static char *
check_template(const char *tmpl, enum plan_step_type t, enum book_shell sh)
{
	struct probe pr = { .n = 0 };
	char *out, *msg = NULL, *avail;
	const char *p, *u;
	size_t i;

	if ((u = unterminated(tmpl)) != NULL)
		return cr_xasprintf("unterminated placeholder '%s' ('{{' is a literal '{')", u);
	out = book_expand(tmpl, probe_lookup, &pr);
	for (i = 0; i < pr.n && msg == NULL; i++) {
		int st = book_placeholder_ok(pr.names[i], t);
		const char *a = strchr("aeiou", plan_step_type_name(t)[0]) ? "an" : "a";

		if (st == 0)
			continue;
		avail = available_list(t);
		if (st == 1)
			msg = cr_xasprintf("unknown placeholder '{%s}' (known in %s %s step: %s; "
			    "'{{' is a literal '{')", pr.names[i], a, plan_step_type_name(t), avail);
		else
			msg = cr_xasprintf("placeholder '{%s}' is not available in %s %s step "
			    "(available: %s)", pr.names[i], a, plan_step_type_name(t), avail);
		free(avail);
	}
	if (msg == NULL && book_shell_needs_whole_word(sh)) {
		for (p = out; (p = strchr(p, '\x01')) != NULL; p++) {
			const char *end = strchr(p, '\x02');
			int before = p == out ? '\0' : p[-1];

			i = (size_t)strtoul(p + 1, NULL, 10);
			if (!whole_word(before, end[1])) {
				msg = cr_xasprintf("placeholder '{%s}' is glued to other text: in a %s "
				    "kind a placeholder stands alone (after a blank, '(' or ',', before a "
				    "blank, ')', ',', ';' or '|'), as its value may be an expression",
				    pr.names[i], book_shell_name(sh));
				break;
			}
		}
	}
	free(out);
	probe_release(&pr);
	return msg;
}

/* what and notes: text for people, no placeholders.  NULL or a new message. */
static char *
check_text(const char *text)
{
	struct probe pr = { .n = 0 };
	char *out = book_expand(text, probe_lookup, &pr), *msg = NULL;

	if (pr.n > 0)
		msg = cr_xasprintf("placeholder '{%s}' in text for people: notes and what are shown "
		    "as written", pr.names[0]);
	free(out);
	probe_release(&pr);
	return msg;
}

/* ---- reading the file ---------------------------------------------------------- */

int
book_kind_name_ok(const char *name)
{
	const char *p;

	if (name == NULL || !isalnum((unsigned char)name[0]) || strlen(name) > 64)
		return 0;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return 0;
	return 1;
}

/* ---- validation -------------------------------------------------------------------- */

struct kload {
	struct book_kind *k;
	struct cr_err *err;
};

static int kfail(struct kload *kl, const config_setting_t *s, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int
kfail(struct kload *kl, const config_setting_t *s, const char *path, const char *fmt, ...)
{
	char msg[CR_ERR_MSG_MAX];
	va_list ap;
	int line = s != NULL ? (int)config_setting_source_line(s) : 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cr_err_setr(kl->err, CR_EINPUT, CR_R_CONFIG, "%s:%d: %s: %s", kl->k->file,
	    line > 0 ? line : 1, path, msg);
}

static const char *
type_word(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP: return "a group";
	case CONFIG_TYPE_ARRAY: return "an array";
	case CONFIG_TYPE_LIST: return "a list";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	default: return "a number";
	}
}

/*
 * A string fit for one line of a runbook: non-empty, at most
 * BOOK_KIND_MAX_LINE bytes, no control characters.  NULL or a static
 * message.
 */
static const char *
line_problem(const char *v)
{
	const unsigned char *p;

	if (v[0] == '\0')
		return "empty";
	if (strlen(v) > BOOK_KIND_MAX_LINE)
		return "longer than 4096 bytes";
	for (p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7F)
			return "holds a control character (one line per string)";
	return NULL;
}

static int
get_string(struct kload *kl, const config_setting_t *s, const char *path, char **out)
{
	const char *v, *why;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return kfail(kl, s, path, "must be a string, not %s", type_word(s));
	v = config_setting_get_string(s);
	if ((why = line_problem(v)) != NULL)
		return kfail(kl, s, path, "%s", why);
	*out = cr_xstrdup(v);
	return CR_OK;
}

/*
 * A list of strings (array or list), each checked by `check` (NULL: text)
 * which returns NULL or a new message.
 */
static int
get_lines(struct kload *kl, const config_setting_t *s, const char *path,
    char *(*check)(const char *v, enum plan_step_type t, enum book_shell sh),
    enum plan_step_type t, struct book_lines *out)
{
	int i, n, r;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST)
		return kfail(kl, s, path, "must be a list of strings, not %s", type_word(s));
	n = config_setting_length(s);
	if (n > BOOK_KIND_MAX_CMDS)
		return kfail(kl, s, path, "more than %d entries", BOOK_KIND_MAX_CMDS);
	out->v = cr_xcalloc((size_t)n + 1, sizeof(char *));
	out->line = cr_xcalloc((size_t)n + 1, sizeof(int));
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		char *epath = cr_xasprintf("%s.[%d]", path, i), *msg;

		r = get_string(kl, e, epath, &out->v[i]);
		if (r == CR_OK) {
			out->line[i] = (int)config_setting_source_line(e);
			out->n++;
			msg = check != NULL ? check(out->v[i], t, kl->k->shell) : check_text(out->v[i]);
			if (msg != NULL) {
				r = kfail(kl, e, epath, "%s", msg);
				free(msg);
			}
		}
		free(epath);
		if (r != CR_OK)
			return r;
	}
	return CR_OK;
}

static char *
check_cmd(const char *v, enum plan_step_type t, enum book_shell sh)
{
	return check_template(v, t, sh);
}

/* What may stand in a step group. */
enum gkey { G_WHAT, G_REFS, G_DO, G_VERIFY, G_UNDO, G_NOTES, G_TEST_NOTES, G_NKEYS };
static const char *const group_keys[G_NKEYS] = {
	[G_WHAT] = "what", [G_REFS] = "refs", [G_DO] = "do", [G_VERIFY] = "verify",
	[G_UNDO] = "undo", [G_NOTES] = "notes", [G_TEST_NOTES] = "test_notes",
};

static int
unknown_setting(struct kload *kl, const config_setting_t *s, const char *path,
    const char *const *keys, size_t nkeys)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i;
	int r;

	for (i = 0; i < nkeys; i++)
		if (keys[i] != NULL)
			cr_buf_addf(&b, "%s%s", b.len ? ", " : "", keys[i]);
	r = kfail(kl, s, path, "unknown setting '%s' (known: %s)", config_setting_name(s),
	    cr_buf_str(&b));
	cr_buf_release(&b);
	return r;
}

static int
parse_refs(struct kload *kl, const config_setting_t *s, const char *path, struct book_group *g)
{
	struct book_lines l = { NULL, NULL, 0 };
	int r = get_lines(kl, s, path, NULL, PLAN_REBIND, &l);

	free(l.line);
	g->refs = l.v;
	g->nrefs = l.n;
	if (r == CR_OK && l.n == 0)
		r = kfail(kl, s, path, "is empty (leave refs out for the group of every other ref)");
	return r;
}

static int
parse_group(struct kload *kl, const config_setting_t *s, const char *path,
    enum plan_step_type t, struct book_group *g)
{
	int i, n = config_setting_length(s), r = CR_OK;
	int has_refs = t == PLAN_REBIND || t == PLAN_RENAME;

	g->line = (int)config_setting_source_line(s);
	for (i = 0; i < n && r == CR_OK; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *name = config_setting_name(e);
		char *epath = cr_xasprintf("%s.%s", path, name);
		size_t k;

		for (k = 0; k < G_NKEYS; k++)
			if (strcmp(name, group_keys[k]) == 0)
				break;
		if (k == G_REFS && !has_refs)
			r = kfail(kl, e, epath, "refs chooses among the groups of a rebind or rename "
			    "step: a %s step has no ref", plan_step_type_name(t));
		else if (k == G_TEST_NOTES && t != PLAN_RESTART)
			r = kfail(kl, e, epath, "test_notes says how to read the configuration test "
			    "run before a restart: a %s step has none", plan_step_type_name(t));
		else if (k == G_TEST_NOTES)
			r = get_lines(kl, e, epath, NULL, t, &g->test_notes);
		else if (k == G_WHAT)
			r = get_string(kl, e, epath, &g->what);
		else if (k == G_REFS)
			r = parse_refs(kl, e, epath, g);
		else if (k == G_NOTES)
			r = get_lines(kl, e, epath, NULL, t, &g->notes);
		else if (k < G_NKEYS)
			r = get_lines(kl, e, epath, check_cmd, t,
			    &g->cmd[k == G_DO ? BOOK_DO : k == G_VERIFY ? BOOK_VERIFY : BOOK_UNDO]);
		else
			r = has_refs ? unknown_setting(kl, e, epath, group_keys, G_TEST_NOTES) :
			    unknown_setting(kl, e, epath, (const char *const[]){ "what", "do", "verify",
				"undo", "notes", "test_notes" }, t == PLAN_RESTART ? 6 : 5);
		if (r == CR_OK && k == G_WHAT) {
			char *msg = check_text(g->what);

			if (msg != NULL) {
				r = kfail(kl, e, epath, "%s", msg);
				free(msg);
			}
		}
		free(epath);
	}
	if (r == CR_OK && g->what == NULL)
		r = kfail(kl, s, path, "missing setting 'what' (one line saying what the step does)");
	return r;
}

/*
 * The groups of step type t: one group, or (rebind, rename) a list of
 * groups with refs first and at most one without, last; no ref id twice.
 */
static int
parse_step(struct kload *kl, const config_setting_t *s, enum plan_step_type t)
{
	const char *name = plan_step_type_name(t);
	int list = config_setting_type(s) == CONFIG_TYPE_LIST, i, n, r = CR_OK;
	size_t a, b, c, d;
	struct book_kind *k = kl->k;

	if (config_setting_type(s) != CONFIG_TYPE_GROUP &&
	    (!list || (t != PLAN_REBIND && t != PLAN_RENAME)))
		return kfail(kl, s, name, "must be a group%s, not %s",
		    t == PLAN_REBIND || t == PLAN_RENAME ? " or a list of groups" : "", type_word(s));
	n = list ? config_setting_length(s) : 1;
	if (n == 0)
		return kfail(kl, s, name, "is an empty list (leave the step out instead)");
	k->groups[t] = cr_xcalloc((size_t)n, sizeof(struct book_group));
	for (i = 0; i < n && r == CR_OK; i++) {
		const config_setting_t *e = list ? config_setting_get_elem(s, (unsigned)i) : s;
		char *path = list ? cr_xasprintf("%s.[%d]", name, i) : cr_xstrdup(name);

		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			r = kfail(kl, e, path, "must be a group, not %s", type_word(e));
		else
			r = parse_group(kl, e, path, t, &k->groups[t][i]);
		k->ngroups[t]++;
		if (r == CR_OK && list && k->groups[t][i].nrefs == 0 && i != n - 1)
			r = kfail(kl, e, path, "a group without refs applies to every other ref: it "
			    "comes last, and only once");
		free(path);
	}
	for (a = 0; r == CR_OK && a < k->ngroups[t]; a++)
		for (b = 0; r == CR_OK && b < k->groups[t][a].nrefs; b++)
			for (c = a; r == CR_OK && c < k->ngroups[t]; c++)
				for (d = c == a ? b + 1 : 0; r == CR_OK && d < k->groups[t][c].nrefs; d++)
					if (strcmp(k->groups[t][a].refs[b], k->groups[t][c].refs[d]) == 0)
						r = kfail(kl, list ? config_setting_get_elem(s, (unsigned)c) :
						    s, name, "ref '%s' is listed twice", k->groups[t][a].refs[b]);
	return r;
}

/* Top-level settings: shell and description, then one per step type. */
static const char *const top_keys[] = {
	"shell", "description", "import", "grant", "rebind", "rename", "restart", "retire",
};

static int
parse_root(struct kload *kl, const config_setting_t *root)
{
	const config_setting_t *s;
	struct book_kind *k = kl->k;
	char *shell = NULL;
	int i, n, r = CR_OK, nsteps = 0;
	size_t t;

	/* the shell first: command checks depend on it */
	if ((s = config_setting_get_member(root, "shell")) == NULL)
		return cr_err_setr(kl->err, CR_EINPUT, CR_R_CONFIG, "%s:1: missing setting 'shell' "
		    "(\"sh\" or \"powershell\")", k->file);
	if ((r = get_string(kl, s, "shell", &shell)) != CR_OK)
		return r;
	if (book_shell_from_name(shell, &k->shell) != 0)
		r = kfail(kl, s, "shell", "unknown shell '%s' (known: sh, powershell)", shell);
	free(shell);
	if (r != CR_OK)
		return r;
	n = config_setting_length(root);
	for (i = 0; i < n && r == CR_OK; i++) {
		const config_setting_t *e = config_setting_get_elem(root, (unsigned)i);
		const char *name = config_setting_name(e);

		for (t = 0; t < N(top_keys); t++)
			if (strcmp(name, top_keys[t]) == 0)
				break;
		if (t == 0)
			continue;
		if (t == 1)
			r = get_string(kl, e, name, &k->description);
		else if (t < N(top_keys)) {
			r = parse_step(kl, e, (enum plan_step_type)(t - 2));
			nsteps++;
		} else
			r = unknown_setting(kl, e, name, top_keys, N(top_keys));
	}
	if (r == CR_OK && k->description == NULL)
		r = cr_err_setr(kl->err, CR_EINPUT, CR_R_CONFIG, "%s:1: missing setting 'description' "
		    "(one line: what the kind is for)", k->file);
	if (r == CR_OK && nsteps == 0)
		r = cr_err_setr(kl->err, CR_EINPUT, CR_R_CONFIG, "%s:1: the kind has no step "
		    "(import, grant, rebind, rename, restart, retire)", k->file);
	return r;
}

/*
 * libconfig reads an @include anywhere in the file, from any path: a kind
 * file may not have one.  Its scanner takes `@include "` at the start of a
 * line (after blanks), which is what is looked for.
 */
static int
find_include(const char *text, size_t n)
{
	const char *p = text, *end = text + n;
	int line = 1;

	while (p < end) {
		const char *q = p;

		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if ((size_t)(end - q) >= 8 && strncmp(q, "@include", 8) == 0)
			return line;
		while (p < end && *p != '\n')
			p++;
		p++;
		line++;
	}
	return 0;
}

int
book_kind_parse(const char *text, size_t n, const char *name, const char *file,
    struct book_kind **out, struct cr_err *err)
{
	struct book_kind *k = cr_xcalloc(1, sizeof(*k));
	struct kload kl = { k, err };
	config_t lc;
	int r, line;

	*out = NULL;
	k->name = cr_xstrdup(name);
	k->file = cr_xstrdup(file);
	config_init(&lc);
	if (memchr(text, '\0', n) != NULL) {
		r = cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "%s: holds a NUL byte: not a kind "
		    "file", file);
		goto out;
	}
	if ((line = find_include(text, n)) != 0) {
		r = cr_err_setr(err, CR_EINPUT, CR_R_CONFIG, "%s:%d: @include is not allowed in a "
		    "kind file", file, line);
		goto out;
	}
	if (config_read_string(&lc, text) != CONFIG_TRUE) {
		r = cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "%s:%d: %s", file,
		    config_error_line(&lc), config_error_text(&lc));
		goto out;
	}
	if ((r = parse_root(&kl, config_root_setting(&lc))) != CR_OK)
		goto out;
	*out = k;
	k = NULL;
out:
	config_destroy(&lc);
	book_kind_free(k);
	return r;
}

int
book_kind_load(const char *dir, const char *name, struct book_kind **out, struct cr_err *err)
{
	char *path = NULL;
	unsigned char *text = NULL;
	size_t n = 0;
	int r;

	*out = NULL;
	if (!book_kind_name_ok(name))
		return cr_err_setr(err, CR_EINPUT, CR_R_MALFORMED, "bad kind name '%s': letters, "
		    "digits, '-' and '_' only", name != NULL ? name : "");
	path = cr_xasprintf("%s/%s.cfg", dir, name);
	/* a regular file within bounds: a FIFO put in kinds/ never blocks */
	if ((r = cr_fs_read_regular(path, path, 0, BOOK_KIND_MAX_BYTES, &text, &n, err)) != CR_OK) {
		if (err != NULL && err->reason == CR_R_NOT_FOUND)
			cr_err_setr(err, CR_EINPUT, CR_R_NOT_FOUND, "unknown kind '%s': no file '%s'",
			    name, path);
		goto out;
	}
	r = book_kind_parse((const char *)text, n, name, path, out, err);
out:
	free(text);
	free(path);
	return r;
}

static void
lines_release(struct book_lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->line);
}

void
book_kind_free(struct book_kind *k)
{
	size_t t, i, j, p;

	if (k == NULL)
		return;
	for (t = 0; t < PLAN_NSTEPTYPES; t++) {
		for (i = 0; i < k->ngroups[t]; i++) {
			struct book_group *g = &k->groups[t][i];

			free(g->what);
			for (j = 0; j < g->nrefs; j++)
				free(g->refs[j]);
			free(g->refs);
			for (p = 0; p < BOOK_NPARTS; p++)
				lines_release(&g->cmd[p]);
			lines_release(&g->notes);
			lines_release(&g->test_notes);
		}
		free(k->groups[t]);
	}
	free(k->description);
	free(k->file);
	free(k->name);
	free(k);
}

const struct book_group *
book_kind_group(const struct book_kind *k, enum plan_step_type t, const char *ref)
{
	size_t i, j;

	if (k == NULL || (unsigned)t >= PLAN_NSTEPTYPES)
		return NULL;
	for (i = 0; i < k->ngroups[t]; i++) {
		const struct book_group *g = &k->groups[t][i];

		if (g->nrefs == 0)
			return g;	/* the last one: every other ref */
		for (j = 0; ref != NULL && j < g->nrefs; j++)
			if (strcmp(g->refs[j], ref) == 0)
				return g;
	}
	return NULL;
}

const char *
book_part_name(enum book_part p)
{
	static const char *const names[BOOK_NPARTS] = { "do", "verify", "undo" };

	return (unsigned)p < BOOK_NPARTS ? names[p] : "?";
}
