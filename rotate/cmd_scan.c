/*
 * cmd_scan.c - `certrotate scan SOURCE... [--within D] [--format F]`:
 * certificates of tokens, files, directory trees and endpoints, soonest
 * expiry first; exit 1 when one expires within D (SPEC 2).
 *
 * Every source is read whatever the others did: one that fails is reported
 * on stderr (and in the output's failed list) and the rest still listed,
 * so a cron job or a textfile collector always gets everything that could
 * be seen.  Endpoints are probed last, all at once (check/probe.c: a
 * bounded number in flight, each within --timeout).  The result and its
 * renderings are in scan.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rot.h"
#include "scan.h"
#include "../common/util.h"
#include "../cert/cert.h"
#include "../cert/tls.h"
#include "../cert/walk.h"
#include "../check/probe.h"
#include "../pkcs11/p11.h"
#include "../common/secret.h"

#define SCAN_IN_FLIGHT 32	/* endpoints probed at once */

/* ---- progress (stderr, a terminal, and only once the work is long) -------- */

struct progress {
	int on;
	int shown;
	struct timespec start, last;
	size_t src, nsrc, files;
	size_t certs;
};

static double
elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
progress_show(struct progress *p)
{
	struct timespec now;

	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* quiet for the first second, then at most ten lines a second */
	if (elapsed(&p->start, &now) < 1.0 || (p->shown && elapsed(&p->last, &now) < 0.1))
		return;
	p->last = now;
	p->shown = 1;
	fprintf(stderr, "\rcertrotate: scanning source %zu/%zu: %zu files read, %zu certificates  ",
	    p->src, p->nsrc, p->files, p->certs);
}

static void
progress_end(struct progress *p)
{
	if (p->shown)
		fputc('\n', stderr);
	p->shown = 0;
}

/* ---- sources --------------------------------------------------------------- */

struct ctx {
	const struct rot_command *self;
	struct rot_scan *scan;
	size_t src;		/* the source being read */
	struct progress *progress;
	struct p11_ctx *p11;	/* created for the first token source */
	struct chk_probes probes;
	size_t *probe_of;	/* per source: index into probes, or (size_t)-1 */
};

static void
fail_source(struct ctx *c, size_t i, const struct cr_err *err)
{
	if (c->progress->shown)
		progress_end(c->progress);
	rot_report(err);
	rot_scan_source_error(c->scan, i, err);
}

static void
on_skipped(void *arg, const char *path, enum crt_walk_skip why, const char *what)
{
	struct ctx *c = arg;

	rot_scan_add_skip(c->scan, path, why, what);
}

static void
on_unreadable(void *arg, const struct cr_err *err)
{
	struct ctx *c = arg;

	fail_source(c, c->src, err);
}

static void
on_progress(void *arg, size_t files)
{
	struct ctx *c = arg;

	c->progress->files++;
	(void)files;
	progress_show(c->progress);
}

static int
read_path(struct ctx *c, const char *source, struct crt_list *out, struct cr_err *err)
{
	const struct crt_walk_cb cb = { on_skipped, on_unreadable, on_progress, c };

	return crt_walk_load(source, NULL, &cb, out, err);
}

/* "pkcs11:" or "pkcs11:?query": no path attribute names a token or object. */
static int
plain_uri(const char *source)
{
	return source[7] == '\0' || source[7] == '?';
}

/*
 * p11-kit's trust module: the system's CA store (/etc/ssl/certs) seen as a
 * token.  Registered everywhere, never a token of the operator's, and it
 * always holds an expired root or two: a plain `pkcs11:` would always exit 1.
 * Known by its file name (p11-kit installs it as p11-kit-trust.so).
 */
static int
trust_token(const struct p11_token *tok)
{
	const char *path = p11_token_module(tok), *base;

	if (path == NULL)
		return 0;
	base = strrchr(path, '/');
	return strcmp(base != NULL ? base + 1 : path, "p11-kit-trust.so") == 0;
}

static int
trust_module(const struct crt_cert *cert)
{
	return cert->token != NULL && cert->token->obj != NULL &&
	    trust_token(cert->token->obj->token);
}

/* Drops the trust module's certificates from *l (a plain `pkcs11:` scan). */
static void
drop_trust(struct crt_list *l)
{
	size_t i, k = 0;

	for (i = 0; i < l->n; i++) {
		if (trust_module(l->v[i]))
			crt_cert_free(l->v[i]);
		else
			l->v[k++] = l->v[i];
	}
	l->n = k;
}

/*
 * A URI with a pin-source that matches several tokens would try one PIN on
 * each: a PIN is one token's, and every wrong try counts against the
 * others' PIN counters.  Then no token is logged in to (keys stay "?").
 * Returns the number of tokens matched, the trust module's left out when
 * `plain` (it needs no login and is dropped anyway); 0 when the search
 * fails (crt_load reports that).
 */
static size_t
count_tokens(struct ctx *c, const struct p11_uri *uri, int plain)
{
	struct p11_token **toks = NULL;
	struct cr_err e;
	size_t n = 0, i, k = 0;

	if (p11_find_tokens(c->p11, uri, &toks, &n, &e) != CR_OK)
		n = 0;
	for (i = 0; i < n; i++)
		k += !(plain && trust_token(toks[i]));
	free(toks);
	return k;
}

static int
read_token(struct ctx *c, const char *source, struct crt_list *out, struct cr_err *err)
{
	/* lite: scan reads crt_info of each certificate and nothing else */
	struct crt_load_opts opts = { .describe_keys = 1, .lite = 1 };
	struct p11_uri *uri = NULL;
	size_t ntok = 0, before = out->n, i;
	int r;

	if (c->p11 == NULL) {
		if ((r = p11_ctx_new(&c->p11, err)) != CR_OK)
			return r;
		p11_ctx_set_read_write(c->p11, rot_read_write(c->self));
		p11_ctx_set_lazy_parse(c->p11, 1);
	}
	/* a whole token may hold no certificate; a URI naming one must find it */
	if (p11_uri_parse(source, NULL, &uri, NULL) == CR_OK) {
		opts.allow_none = p11_uri_is_token_only(uri);
		if (p11_uri_pin_source(uri) != NULL && (ntok = count_tokens(c, uri, plain_uri(source))) > 1)
			opts.describe_keys = 0;
	}
	p11_uri_free(uri);
	opts.p11 = c->p11;
	r = crt_load(source, &opts, out, err);
	if (!opts.describe_keys) {
		char *shown = cr_secret_masked(source);

		rot_warn("'%s' matches %zu tokens: its pin-source is tried on none of them (a PIN "
		    "is one token's); name the token (token=LABEL) to see their private keys",
		    shown, ntok);
		for (i = before; i < out->n; i++)
			if (out->v[i]->token != NULL && out->v[i]->token->key_note == NULL)
				out->v[i]->token->key_note = cr_xasprintf("not logged in: the "
				    "pin-source of '%s' matches %zu tokens", shown, ntok);
		free(shown);
	}
	if (plain_uri(source))
		drop_trust(out);
	return r;
}

/* Parses the endpoint now; it is probed with the others later. */
static int
add_endpoint(struct ctx *c, size_t i, const char *source, struct cr_err *err)
{
	struct crt_tls_target t;
	char *storage = NULL, *endpoint;
	int r;

	if ((r = crt_tls_parse(source, &t, &storage, err)) != CR_OK)
		return r;
	endpoint = strchr(t.host, ':') != NULL ? cr_xasprintf("[%s]:%s", t.host, t.port) :
	    cr_xasprintf("%s:%s", t.host, t.port);
	c->probe_of[i] = chk_probes_add(&c->probes, endpoint, t.sni, t.starttls_smtp);
	free(endpoint);
	free(storage);
	return CR_OK;
}

static void
read_source(struct ctx *c, const char *source)
{
	enum rot_scan_kind kind = rot_scan_kind_of(source);
	size_t i = rot_scan_add_source(c->scan, source, kind);
	struct crt_list list = CRT_LIST_INIT;
	struct cr_err err;
	int r = CR_OK;

	cr_err_clear(&err);
	c->src = i;
	c->progress->src = i + 1;
	progress_show(c->progress);
	switch (kind) {
	case ROT_SCAN_PATH:
		r = read_path(c, source, &list, &err);
		break;
	case ROT_SCAN_TOKEN:
		r = read_token(c, source, &list, &err);
		break;
	case ROT_SCAN_ENDPOINT:
		r = add_endpoint(c, i, source, &err);
		break;
	}
	if (r != CR_OK)
		fail_source(c, i, &err);
	c->progress->certs += list.n;
	rot_scan_add_certs(c->scan, i, &list);
}

/* Every endpoint at once; each result goes to its source(s). */
static void
probe_endpoints(struct ctx *c, int timeout_ms)
{
	struct rot_scan *s = c->scan;
	size_t i, nsrc = s->nsrc;

	if (c->probes.n == 0)
		return;
	progress_end(c->progress);
	chk_probes_run(&c->probes, NULL, 0, SCAN_IN_FLIGHT, timeout_ms,
	    c->progress->on && c->probes.n > SCAN_IN_FLIGHT);
	for (i = 0; i < nsrc; i++) {
		const struct chk_probe *p;
		struct crt_list list = CRT_LIST_INIT;
		struct cr_err err;

		if (c->probe_of[i] == (size_t)-1)
			continue;
		p = &c->probes.v[c->probe_of[i]];
		if (p->status != CR_OK) {
			cr_err_setr(&err, p->status, CR_R_NETWORK, "cannot scan '%s': %s",
			    s->src[i].name, p->error ? p->error : "probe failed");
			fail_source(c, i, &err);
			continue;
		}
		X509_up_ref(p->leaf);
		crt_list_push(&list, crt_cert_new(p->leaf, NULL, s->src[i].name));
		rot_scan_add_certs(s, i, &list);
	}
}

/* ---- the command ------------------------------------------------------------- */

struct scan_opts {
	enum rot_format fmt;
	long long within;
	const char *within_text;
	int timeout_ms;
};

/* Options anywhere among the sources (getopt permutes); 0 or the exit code. */
static int
parse_opts(const struct rot_command *self, int argc, char **argv, struct scan_opts *o,
    int *done)
{
	static const struct option longopts[] = {
		{ "within", required_argument, NULL, 'w' },
		{ "format", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cr_err err;
	long long ms;
	int c;

	*done = 0;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			/* a window of days: a bare number is refused, not taken as seconds
			   (--within 30 meant as days would report nothing expiring) */
			if (cr_duration_parse(optarg, &o->within, &err) != CR_OK)
				return rot_usage_error(self, "bad --within '%s' (e.g. 30d, 2w, 12h; "
				    "0s: expired ones only)%s", optarg,
				    optarg[0] != '\0' && optarg[strspn(optarg, "0123456789")] == '\0' ?
				    ": a number needs its unit here - 30d for days" : "");
			o->within_text = optarg;
			break;
		case 'f':
			if (rot_parse_format(self, optarg, 1u << ROT_FMT_TEXT | 1u << ROT_FMT_JSON |
			    1u << ROT_FMT_PROMETHEUS, &o->fmt) != 0)
				return CR_EINPUT;
			break;
		case 't':
			if (rot_timeout_opt(self, "--timeout", optarg, 3600, &ms) != CR_OK)
				return CR_EINPUT;
			o->timeout_ms = (int)ms;
			break;
		case 'h':
			rot_help(self);
			*done = 1;
			return rot_finish_output(CR_OK);
		case ':':
			return rot_missing_value(self, argv[optind - 1]);
		default:
			return rot_unknown_option(self, longopts, argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return rot_usage_error(self, "no SOURCE given");
	for (c = optind; c < argc; c++)
		if (rot_source_check(self, argv[c]) != 0)
			return CR_EINPUT;
	return 0;
}

int
cmd_scan(const struct rot_command *self, int argc, char **argv)
{
	struct scan_opts o = { ROT_FMT_TEXT, 30LL * 86400, "30d", 0 };
	struct progress prog;
	struct rot_scan scan;
	struct ctx c;
	int i, r, done;

	if ((r = parse_opts(self, argc, argv, &o, &done)) != 0 || done)
		return r;
	rot_scan_init(&scan, cr_now(), o.within, o.within_text);
	memset(&prog, 0, sizeof(prog));
	prog.on = rot_stderr_is_tty();
	prog.nsrc = (size_t)(argc - optind);
	clock_gettime(CLOCK_MONOTONIC, &prog.start);
	memset(&c, 0, sizeof(c));
	c.self = self;
	c.scan = &scan;
	c.progress = &prog;
	c.probe_of = cr_xmalloc(((size_t)argc + 1) * sizeof(*c.probe_of));
	for (i = 0; i <= argc; i++)
		c.probe_of[i] = (size_t)-1;

	for (i = optind; i < argc; i++)
		read_source(&c, argv[i]);
	probe_endpoints(&c, o.timeout_ms);
	progress_end(&prog);

	scan.no_keys = o.fmt != ROT_FMT_JSON;
	rot_scan_finish(&scan);
	if (o.fmt == ROT_FMT_JSON)
		rot_scan_print_json(stdout, &scan);
	else if (o.fmt == ROT_FMT_PROMETHEUS)
		rot_scan_print_prometheus(stdout, &scan);
	else
		rot_scan_print_text(stdout, &scan);
	r = scan.status;
	rot_scan_release(&scan);
	chk_probes_release(&c.probes);
	free(c.probe_of);
	p11_ctx_free(c.p11);
	return rot_finish_output(r);
}
