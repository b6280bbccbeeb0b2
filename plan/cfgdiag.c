/*
 * cfgdiag.c - naming the setting behind libconfig's own errors (internal.h).
 *
 * libconfig 1.5 reports some errors with a line and a fixed text only:
 * "duplicate setting name", "mismatched element type in array".  When it
 * does, the loader scans the text itself with the small scanner below
 * (libconfig's syntax: settings, groups, arrays, lists, scalars, comments,
 * @include) to find the setting: the first name repeated within one group,
 * or the first array element whose type differs from the first element's.
 * Only the error path runs it.
 *
 * The setting's path is libconfig's lookup notation from the top of the
 * scanned text.  An @include inside an enclosing group or list may add
 * settings the scanner does not see, so after one the path is not given
 * (the name of the setting still is).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "../common/util.h"

enum tok {
	T_EOF = 0, T_NAME, T_STRING, T_INT, T_INT64, T_FLOAT, T_BOOL, T_INCLUDE,
	T_LBRACE, T_RBRACE, T_LBRACK, T_RBRACK, T_LPAREN, T_RPAREN, T_ASSIGN, T_SEP, T_BAD,
};

struct scan {
	const char *p;
	int line;
	enum tok t;		/* the current token */
	const char *start;	/* its text */
	size_t len;
	int tline;		/* its line */
	int unsure;		/* an @include inside a group or list was seen */
	int depth;		/* open groups and lists */
	struct plan_cfgdiag *out;
	int done;		/* found, or gave up */
};

static void
skip_blank(struct scan *sc)
{
	for (;;) {
		const char *p = sc->p;

		if (*p == '\n') {
			sc->line++;
			sc->p++;
		} else if (isspace((unsigned char)*p)) {
			sc->p++;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (*sc->p && *sc->p != '\n')
				sc->p++;
		} else if (p[0] == '/' && p[1] == '*') {
			sc->p += 2;
			while (*sc->p && !(sc->p[0] == '*' && sc->p[1] == '/')) {
				if (*sc->p == '\n')
					sc->line++;
				sc->p++;
			}
			if (*sc->p)
				sc->p += 2;
		} else {
			return;
		}
	}
}

/* Skips a string literal at sc->p (on its opening quote); 0 when unterminated. */
static int
skip_string(struct scan *sc)
{
	sc->p++;
	while (*sc->p && *sc->p != '"') {
		if (*sc->p == '\\' && sc->p[1] != '\0')
			sc->p++;
		if (*sc->p == '\n')
			sc->line++;
		sc->p++;
	}
	if (*sc->p != '"')
		return 0;
	sc->p++;
	return 1;
}

static int
is_name_start(int c)
{
	return isalpha(c) || c == '*';
}

static int
is_name_char(int c)
{
	return isalnum(c) || c == '*' || c == '_' || c == '-';
}

static void
next(struct scan *sc)
{
	const char *p;

	skip_blank(sc);
	p = sc->p;
	sc->start = p;
	sc->tline = sc->line;
	if (*p == '\0') {
		sc->t = T_EOF;
	} else if (*p == '"') {
		sc->t = skip_string(sc) ? T_STRING : T_BAD;
		/* adjacent literals are one string */
		while (sc->t == T_STRING) {
			const char *save = sc->p;
			int line = sc->line;

			skip_blank(sc);
			if (*sc->p != '"') {
				sc->p = save;
				sc->line = line;
				break;
			}
			if (!skip_string(sc))
				sc->t = T_BAD;
		}
	} else if (strncmp(p, "@include", 8) == 0) {
		sc->p += 8;
		skip_blank(sc);
		sc->start = sc->p;
		sc->t = *sc->p == '"' && skip_string(sc) ? T_INCLUDE : T_BAD;
	} else if (is_name_start((unsigned char)*p)) {
		while (is_name_char((unsigned char)*sc->p))
			sc->p++;
		sc->t = T_NAME;
		if ((sc->p - p == 4 && strncasecmp(p, "true", 4) == 0) ||
		    (sc->p - p == 5 && strncasecmp(p, "false", 5) == 0))
			sc->t = T_BOOL;
	} else if (isdigit((unsigned char)*p) || ((*p == '-' || *p == '+' || *p == '.') &&
	    (isdigit((unsigned char)p[1]) || p[1] == '.'))) {
		int is_float = 0, hex = 0;

		sc->p++;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
			hex = 1;
			sc->p++;
		}
		while (isalnum((unsigned char)*sc->p) || *sc->p == '.' ||
		    ((*sc->p == '-' || *sc->p == '+') && !hex && (sc->p[-1] == 'e' || sc->p[-1] == 'E'))) {
			if (!hex && (*sc->p == '.' || *sc->p == 'e' || *sc->p == 'E'))
				is_float = 1;
			sc->p++;
		}
		if (*p == '.')
			is_float = 1;
		sc->t = is_float ? T_FLOAT : (sc->p[-1] == 'L' || sc->p[-1] == 'l') ? T_INT64 : T_INT;
	} else {
		sc->p++;
		switch (*p) {
		case '{': sc->t = T_LBRACE; break;
		case '}': sc->t = T_RBRACE; break;
		case '[': sc->t = T_LBRACK; break;
		case ']': sc->t = T_RBRACK; break;
		case '(': sc->t = T_LPAREN; break;
		case ')': sc->t = T_RPAREN; break;
		case '=': case ':': sc->t = T_ASSIGN; break;
		case ';': case ',': sc->t = T_SEP; break;
		default: sc->t = T_BAD; break;
		}
	}
	sc->len = (size_t)(sc->p - sc->start);
}

static const char *
tok_type(enum tok t)
{
	switch (t) {
	case T_STRING: return "a string";
	case T_INT: return "an integer";
	case T_INT64: return "a 64-bit integer";
	case T_FLOAT: return "a number";
	case T_BOOL: return "a boolean";
	default: return "?";
	}
}

/* Records the finding at the current token; takes path, name and msg. */
static void
found(struct scan *sc, char *path, char *name, char *msg)
{
	struct plan_cfgdiag *d = sc->out;

	d->line = sc->tline;
	d->path = path;
	if (sc->unsure) {
		free(path);
		d->path = NULL;
	}
	d->name = name;
	d->msg = msg;
	sc->done = 1;
}

static void value(struct scan *sc, const char *path);

/* The settings of a group (or of the whole text) up to `end`. */
static void
settings(struct scan *sc, const char *path, enum tok end)
{
	struct plan_map seen = PLAN_MAP_INIT;
	char **names = NULL;
	int *lines = NULL;
	size_t n = 0, i, at;

	while (!sc->done && sc->t != end) {
		char *name, *p;
		int line;

		if (sc->t == T_INCLUDE) {
			if (sc->depth > 0)
				sc->unsure = 1;
			next(sc);
			continue;
		}
		if (sc->t != T_NAME) {
			sc->done = 1;
			break;
		}
		name = cr_xstrndup(sc->start, sc->len);
		line = sc->tline;
		p = path[0] ? cr_xasprintf("%s.%s", path, name) : cr_xstrdup(name);
		if (!plan_map_put(&seen, name, n, &at)) {
			found(sc, p, name, cr_xasprintf("duplicate setting '%s' (first at line %d)",
			    name, lines[at]));
			break;
		}
		plan_grow_implied(&names, n, sizeof(*names));
		plan_grow_implied(&lines, n, sizeof(*lines));
		names[n] = name;
		lines[n++] = line;
		next(sc);
		if (sc->t != T_ASSIGN) {
			free(p);
			sc->done = 1;
			break;
		}
		next(sc);
		value(sc, p);
		free(p);
		if (!sc->done && sc->t == T_SEP)
			next(sc);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(lines);
	plan_map_release(&seen);
}

/* The elements of an array or list up to `end`; arrays hold scalars of one type. */
static void
elements(struct scan *sc, const char *path, enum tok end, int array)
{
	enum tok first = T_EOF;
	size_t i = 0;

	while (!sc->done && sc->t != end) {
		char *p;

		if (sc->t == T_INCLUDE) {
			sc->unsure = 1;
			next(sc);
			continue;
		}
		p = cr_xasprintf("%s.[%zu]", path, i);
		if (array && first == T_EOF) {
			first = sc->t;
		} else if (array && sc->t != first && sc->t >= T_STRING && sc->t <= T_BOOL) {
			found(sc, p, NULL, cr_xasprintf("wrong type: expected %s like the array's first "
			    "element, got %s (an array [ ... ] holds one type; a list ( ... ) may mix)",
			    tok_type(first), tok_type(sc->t)));
			return;
		}
		value(sc, p);
		free(p);
		i++;
		if (!sc->done && sc->t == T_SEP)
			next(sc);
	}
}

static void
value(struct scan *sc, const char *path)
{
	switch (sc->t) {
	case T_STRING: case T_INT: case T_INT64: case T_FLOAT: case T_BOOL:
		next(sc);
		return;
	case T_LBRACE:
		sc->depth++;
		next(sc);
		settings(sc, path, T_RBRACE);
		break;
	case T_LPAREN:
		sc->depth++;
		next(sc);
		elements(sc, path, T_RPAREN, 0);
		break;
	case T_LBRACK:
		sc->depth++;
		next(sc);
		elements(sc, path, T_RBRACK, 1);
		break;
	default:
		sc->done = 1;
		return;
	}
	if (!sc->done) {
		sc->depth--;
		next(sc);
	}
}

int
plan_cfgdiag(const char *text, struct plan_cfgdiag *out)
{
	struct scan sc;

	memset(out, 0, sizeof(*out));
	memset(&sc, 0, sizeof(sc));
	sc.p = text;
	sc.line = 1;
	sc.out = out;
	next(&sc);
	settings(&sc, "", T_EOF);
	return out->msg != NULL;
}

void
plan_cfgdiag_release(struct plan_cfgdiag *d)
{
	free(d->path);
	free(d->name);
	free(d->msg);
	memset(d, 0, sizeof(*d));
}

int
plan_include_at_root(const char *text, const char *target)
{
	struct scan sc;
	size_t n = strlen(target);
	int depth = 0;

	memset(&sc, 0, sizeof(sc));
	sc.p = text;
	sc.line = 1;
	for (next(&sc); sc.t != T_EOF && sc.t != T_BAD; next(&sc)) {
		if (sc.t == T_LBRACE || sc.t == T_LBRACK || sc.t == T_LPAREN)
			depth++;
		else if (sc.t == T_RBRACE || sc.t == T_RBRACK || sc.t == T_RPAREN)
			depth--;
		else if (sc.t == T_INCLUDE && depth == 0 && sc.len == n + 2 &&
		    strncmp(sc.start + 1, target, n) == 0)
			return 1;
	}
	return 0;
}

char *
plan_include_target(const char *text, int line)
{
	const char *p = text, *end, *q;
	int l = 1;

	while (l < line && (p = strchr(p, '\n')) != NULL) {
		p++;
		l++;
	}
	if (p == NULL)
		return NULL;
	end = strchr(p, '\n');
	if (end == NULL)
		end = p + strlen(p);
	while (p < end && isspace((unsigned char)*p))
		p++;
	if ((size_t)(end - p) < 8 || strncmp(p, "@include", 8) != 0)
		return NULL;
	p = memchr(p, '"', (size_t)(end - p));
	q = p != NULL ? memchr(p + 1, '"', (size_t)(end - p - 1)) : NULL;
	return q != NULL ? cr_xstrndup(p + 1, (size_t)(q - p - 1)) : NULL;
}
