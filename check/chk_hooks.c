/*
 * chk_hooks.c - the commands a step runs: every hook of a pending step has
 * a program that resolves and can be executed (hook.exec), and a
 * service's configuration test passes before its restart (config.test:
 * `nginx -t` is read-only by nature, so `check` runs it).
 *
 * Both resolve programs as the executor will (common/hook.h): a name with
 * a '/' relative to the configuration file's directory, any other name in
 * $PATH, a regular executable that is a binary or starts with "#!" (no
 * shell ever runs a hook).  A hook whose program is a placeholder is
 * resolved when it runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../common/hook.h"
#include "../common/util.h"
#include "../cert/dn.h"
#include "../cert/ident.h"

/* A configuration test is bounded: it reads files, it does not serve. */
#define CONFIG_TEST_TIMEOUT_MS (60LL * 1000)
/* How much of a failed test's output goes into the message. */
#define TAIL_LINES 3
#define TAIL_BYTES 400

/* ---- hook.exec ---------------------------------------------------------------- */

/*
 * What program `prog` resolves to (cr_hook_resolve from the configuration
 * file's directory, as run resolves it), memoised: "'nginx' is
 * '/usr/sbin/nginx'" or the resolver's message; *bad when it does not
 * resolve.  Borrowed from the context.
 */
static const char *
resolved(struct chk_ctx *c, const char *prog, int *bad)
{
	struct cr_err err;
	char *path = NULL;
	size_t i;

	if (!plan_map_get(&c->progs, prog, &i)) {
		i = c->nprogs++;
		c->prog_name = cr_xrealloc(c->prog_name, c->nprogs * sizeof(*c->prog_name));
		c->prog_said = cr_xrealloc(c->prog_said, c->nprogs * sizeof(*c->prog_said));
		c->prog_bad = cr_xrealloc(c->prog_bad, c->nprogs);
		c->prog_name[i] = cr_xstrdup(prog);
		cr_err_clear(&err);
		c->prog_bad[i] = cr_hook_resolve(prog, c->cfg->dir, &path, NULL, &err) != CR_OK;
		c->prog_said[i] = c->prog_bad[i] ? cr_xstrdup(err.msg) :
		    cr_xasprintf("'%s' is '%s'", prog, path);
		free(path);
		plan_map_put(&c->progs, c->prog_name[i], i, NULL);
	}
	*bad = c->prog_bad[i];
	return c->prog_said[i];
}

/* Appends what hook `a` (named `which`) resolves to; 1 when it does not. */
static int
resolve_hook(struct chk_ctx *c, const struct plan_argv *a, const char *which, struct cr_buf *b)
{
	const char *prog = a->v[0], *said;
	int bad;

	if (b->len > 0)
		cr_buf_adds(b, "; ");
	if (strchr(prog, '{') != NULL) {
		cr_buf_addf(b, "%s: '%s' is a placeholder, resolved when it runs", which, prog);
		return 0;
	}
	said = resolved(c, prog, &bad);
	if (bad)
		cr_buf_addf(b, "%s (%s:%d): %s", which, a->loc.file ? a->loc.file : "?", a->loc.line,
		    said);
	else
		cr_buf_addf(b, "%s: %s", which, said);
	return bad;
}

void
chk_hooks_release(struct chk_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nprogs; i++) {
		free(c->prog_name[i]);
		free(c->prog_said[i]);
	}
	free(c->prog_name);
	free(c->prog_said);
	free(c->prog_bad);
	plan_map_release(&c->progs);
}

void
chk_eval_hook_exec(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_step *s = at->s;
	struct cr_buf b = CR_BUF_INIT;
	struct chk_result *r;
	int bad = 0;

	if (s == NULL || (s->run == NULL && s->undo == NULL) || (r = chk_fresh(c, at)) == NULL)
		return;
	if (s->run != NULL)
		bad += resolve_hook(c, s->run, "its hook", &b);
	if (s->undo != NULL)
		bad += resolve_hook(c, s->undo, "its undo hook", &b);
	if (bad)
		chk_result_set(r, CHK_FAIL, "%s: run would stop here, after the steps before changed "
		    "things", cr_buf_str(&b));
	else
		chk_result_set(r, CHK_PASS, "%s", cr_buf_str(&b));
	cr_buf_release(&b);
}

/* ---- config.test ---------------------------------------------------------------- */

struct lookup {
	const struct chk_ctx *c;
	const struct plan_step *s;
	char *owned[16];
	size_t n;
};

/* Keeps s for the expansion's life. */
static const char *
keep(struct lookup *l, char *s)
{
	if (l->n == sizeof(l->owned) / sizeof(l->owned[0])) {
		free(s);
		return NULL;
	}
	return l->owned[l->n++] = s;
}

/* A certificate placeholder: "new.sha1", "old.subject", ... ({new.pem} is empty here). */
static const char *
cert_value(struct lookup *l, const struct crt_cert *x, const char *what)
{
	if (strcmp(what, "sha1") == 0)
		return keep(l, cr_hex_upper(x->sha1, sizeof(x->sha1)));
	if (strcmp(what, "sha256") == 0)
		return keep(l, cr_hex_upper(x->sha256, sizeof(x->sha256)));
	if (strcmp(what, "subject") == 0)
		return keep(l, crt_dn_render(X509_get_subject_name(x->x509)));
	if (strcmp(what, "issuer") == 0)
		return keep(l, crt_dn_render(X509_get_issuer_name(x->x509)));
	if (strcmp(what, "tls_name") == 0)
		return keep(l, crt_tls_name(x->x509));
	return NULL;
}

/* The placeholders of a restart hook (plan/placeholder.h), for the test's argv. */
static const char *
lookup(void *ctx, const char *name)
{
	struct lookup *l = ctx;
	const struct plan_service *svc = l->s->service;

	if (strcmp(name, "host") == 0)
		return l->s->host;
	if (strcmp(name, "service") == 0)
		return svc->name;
	if (strcmp(name, "account") == 0)
		return svc->account;
	if (strncmp(name, "new.", 4) == 0)
		return cert_value(l, l->c->in->new, name + 4);
	if (strncmp(name, "old.", 4) == 0)
		return cert_value(l, l->c->in->old, name + 4);
	return NULL;
}

/* "nginx -t -c /etc/nginx/nginx.conf" - an argv for people. */
static char *
argv_text(char **v, size_t n)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		cr_buf_addf(&b, "%s%s", i ? " " : "", v[i]);
	return cr_buf_detach(&b);
}

/* The last lines of a test's output, on one line ("a | b | c"), bounded. */
static char *
tail_lines(const char *out)
{
	struct cr_buf b = CR_BUF_INIT;
	const char *end = out + strlen(out), *p = end, *starts[TAIL_LINES];
	size_t n = 0, i;

	while (p > out && n < TAIL_LINES) {
		const char *e = p;

		while (e > out && (e[-1] == '\n' || e[-1] == '\r'))
			e--;
		p = e;
		while (p > out && p[-1] != '\n')
			p--;
		if (e > p)
			starts[n++] = p;
	}
	for (i = n; i-- > 0;) {
		size_t len = strcspn(starts[i], "\r\n");

		cr_buf_addf(&b, "%s%.*s", b.len ? " | " : "", (int)len, starts[i]);
	}
	if (b.len > TAIL_BYTES) {
		b.s[TAIL_BYTES] = '\0';
		b.len = TAIL_BYTES;
		cr_buf_adds(&b, "...");
	}
	return cr_buf_detach(&b);
}

void
chk_eval_config_test(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_step *s = at->s;
	struct lookup l = { c, s, { NULL }, 0 };
	struct cr_hook_result res;
	struct chk_result *r;
	struct cr_hook h;
	struct cr_err err;
	char **argv, *shown, *tail;
	size_t i;
	int rc;

	if (s == NULL || s->test == NULL || (r = chk_fresh(c, at)) == NULL)
		return;
	argv = cr_xcalloc(s->test->n + 1, sizeof(*argv));
	for (i = 0; i < s->test->n; i++)
		argv[i] = plan_expand(s->test->v[i], lookup, &l);
	shown = argv_text(argv, s->test->n);
	cr_hook_init(&h, argv, c->cfg->dir);
	h.timeout_ms = CONFIG_TEST_TIMEOUT_MS;
	h.grace_ms = 2000;
	h.stdout_fd = CR_HOOK_STDOUT_CAPTURED;
	cr_err_clear(&err);
	rc = cr_hook_run(&h, &res, &err);
	tail = tail_lines(res.stderr_tail != NULL ? res.stderr_tail : "");
	if (rc == CR_OK)
		chk_result_set(r, CHK_PASS, "configuration test '%s' passed%s", shown,
		    s->test_is_default ? " (the kind's default)" : "");
	else if (res.outcome == CR_HOOK_EXIT)
		chk_result_set(r, CHK_FAIL, "configuration test '%s' failed (exit %d)%s%s: the restart "
		    "of %s is blocked until it passes", shown, res.code, *tail ? ": " : "", tail,
		    s->service->name);
	else
		chk_result_set(r, CHK_FAIL, "configuration test '%s' could not run: %s: the restart of "
		    "%s is blocked until it passes", shown, err.msg, s->service->name);
	cr_hook_result_release(&res);
	free(tail);
	free(shown);
	for (i = 0; i < s->test->n; i++)
		free(argv[i]);
	free(argv);
	for (i = 0; i < l.n; i++)
		free(l.owned[i]);
}
