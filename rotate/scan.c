/*
 * scan.c - the result of `certrotate scan`: order, expiry, and the three
 * renderings (contract in scan.h).
 */
#include "scan.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "../cert/json.h"
#include "../common/secret.h"
#include "../common/text.h"
#include "../common/utf8.h"

enum rot_scan_kind
rot_scan_kind_of(const char *source)
{
	if (strncasecmp(source, "pkcs11:", 7) == 0)
		return ROT_SCAN_TOKEN;
	if (strncasecmp(source, "tls://", 6) == 0)
		return ROT_SCAN_ENDPOINT;
	return ROT_SCAN_PATH;
}

static const char *const kind_names[] = {
	[ROT_SCAN_PATH] = "path",
	[ROT_SCAN_TOKEN] = "token",
	[ROT_SCAN_ENDPOINT] = "endpoint",
};

/* ---- building ----------------------------------------------------------- */

void
rot_scan_init(struct rot_scan *s, time_t now, long long within, const char *within_text)
{
	memset(s, 0, sizeof(*s));
	s->now = now;
	s->within = within;
	s->within_text = within_text;
}

void
rot_scan_release(struct rot_scan *s)
{
	size_t i, k;

	for (i = 0; i < s->n; i++)
		crt_info_release(&s->v[i].info);
	free(s->v);
	for (i = 0; i < s->nsrc; i++) {
		for (k = 0; k < s->src[i].nerrors; k++)
			free(s->src[i].errors[k].message);
		free(s->src[i].errors);
		free(s->src[i].name);
	}
	free(s->src);
	for (i = 0; i < s->nskip; i++) {
		free(s->skip[i].path);
		free(s->skip[i].what);
	}
	free(s->skip);
	free(s->cert_src);
	crt_list_release(&s->certs);
	memset(s, 0, sizeof(*s));
}

size_t
rot_scan_add_source(struct rot_scan *s, const char *source, enum rot_scan_kind kind)
{
	struct rot_scan_source *src;

	cr_grow(&s->src, &s->src_cap, s->nsrc + 1, sizeof(*s->src));
	src = &s->src[s->nsrc];
	memset(src, 0, sizeof(*src));
	src->name = cr_secret_masked(source);
	src->kind = kind;
	return s->nsrc++;
}

void
rot_scan_source_error(struct rot_scan *s, size_t i, const struct cr_err *err)
{
	struct rot_scan_source *src = &s->src[i];
	struct rot_scan_error *e;

	cr_grow(&src->errors, &src->errors_cap, src->nerrors + 1, sizeof(*src->errors));
	e = &src->errors[src->nerrors++];
	e->status = err->status != CR_OK ? err->status : CR_EENV;
	e->reason = err->reason;
	e->message = cr_xstrdup(err->msg);
	src->status = cr_status_worse(src->status, e->status);
}

void
rot_scan_add_certs(struct rot_scan *s, size_t i, struct crt_list *l)
{
	size_t k;

	for (k = 0; k < l->n; k++) {
		cr_grow(&s->cert_src, &s->cert_src_cap, s->certs.n + 1, sizeof(*s->cert_src));
		s->cert_src[s->certs.n] = i;
		crt_list_push(&s->certs, l->v[k]);
		s->src[i].ncerts++;
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

void
rot_scan_add_skip(struct rot_scan *s, const char *path, enum crt_walk_skip why, const char *what)
{
	cr_grow(&s->skip, &s->skip_cap, s->nskip + 1, sizeof(*s->skip));
	s->skip[s->nskip].path = cr_xstrdup(path);
	s->skip[s->nskip].why = why;
	s->skip[s->nskip].what = cr_xstrdup(what);
	s->nskip++;
}

/* ---- order and expiry ------------------------------------------------------ */

static int
cmp_entry(const void *pa, const void *pb)
{
	const struct rot_scan_entry *a = pa, *b = pb;
	int c;

	if (a->info.not_after != b->info.not_after)
		return a->info.not_after < b->info.not_after ? -1 : 1;
	if ((c = memcmp(a->cert->sha1, b->cert->sha1, sizeof(a->cert->sha1))) != 0)
		return c;
	return cr_strcmp0(a->cert->source, b->cert->source);
}

void
rot_scan_finish(struct rot_scan *s)
{
	size_t i, k = 0;
	int status = CR_OK;

	s->v = cr_xcalloc(s->certs.n + 1, sizeof(*s->v));
	for (i = 0; i < s->certs.n; i++) {
		struct rot_scan_entry *e = &s->v[i];
		long long left;

		e->cert = s->certs.v[i];
		if (s->no_keys)
			crt_info_get_nokey(e->cert, s->now, &e->info);
		else
			crt_info_get(e->cert, s->now, &e->info);
		/* the subtraction first: now + within may overflow, this cannot */
		left = (long long)e->info.not_after - (long long)s->now;
		e->expiring = e->info.expiry.expired || left < s->within;
	}
	qsort(s->v, s->certs.n, sizeof(*s->v), cmp_entry);
	for (i = 0; i < s->certs.n; i++) {
		if (k > 0 && memcmp(s->v[k - 1].cert->sha1, s->v[i].cert->sha1,
		    sizeof(s->v[i].cert->sha1)) == 0 &&
		    cr_strcmp0(s->v[k - 1].cert->source, s->v[i].cert->source) == 0) {
			crt_info_release(&s->v[i].info);
			continue;
		}
		if (k != i)
			s->v[k] = s->v[i];
		k++;
	}
	s->n = k;
	for (i = 0; i < s->n; i++) {
		s->nexpired += s->v[i].info.expiry.expired != 0;
		s->nexpiring += s->v[i].expiring != 0;
	}
	for (i = 0; i < s->nsrc; i++) {
		s->nfailed += s->src[i].nerrors > 0;
		status = cr_status_worse(status, s->src[i].status);
	}
	if (s->nexpiring > 0)
		status = cr_status_worse(status, CR_EBLOCK);
	s->status = status;
}

/* ---- strings ------------------------------------------------------------------ */

void
rot_prom_label_value(struct cr_buf *b, const char *s)
{
	char *v = cr_utf8_clean(s != NULL ? s : "");
	const char *p;

	for (p = v; *p != '\0'; p++) {
		if (*p == '\\')
			cr_buf_adds(b, "\\\\");
		else if (*p == '"')
			cr_buf_adds(b, "\\\"");
		else if (*p == '\n')
			cr_buf_adds(b, "\\n");
		else
			cr_buf_addc(b, *p);
	}
	free(v);
}

/*
 * `s` for a line of text on a terminal: control characters (a newline in a
 * file name, an escape sequence in a message - file names are anybody's)
 * written \xHH as in every message (cr_esc_ctl_add; subjects are escaped
 * already), so that each certificate stays one line and nothing reaches
 * the terminal as a command.  Into b (reset first); returns its string.
 */
static const char *
text_safe(struct cr_buf *b, const char *s)
{
	b->len = 0;
	if (b->s != NULL)
		b->s[0] = '\0';
	cr_esc_ctl_add(b, s);
	return cr_buf_str(b);
}

/* Columns a string takes on a terminal, counting code points. */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* ---- text ------------------------------------------------------------------------ */

static const char *
key_word(const struct crt_cert *c)
{
	if (c->token == NULL)
		return "-";
	return c->token->key == CRT_KEY_PRESENT ? "yes" : c->token->key == CRT_KEY_ABSENT ?
	    "no" : "?";
}

static const char *
state_word(const struct rot_scan_entry *e)
{
	return e->info.expiry.expired ? "EXPIRED" : e->expiring ? "EXPIRING" : "ok";
}

/* What a skipped file was, in words (a row per reason). */
static const char *const skip_phrase[CRT_NSKIPS] = {
	[CRT_SKIP_KEY] = "a private key (%s), no certificate",
	[CRT_SKIP_OTHER] = "not a certificate (%s)",
	[CRT_SKIP_SPECIAL] = "%s, not opened",
	[CRT_SKIP_DIR] = "directory not readable (%s)",
};

#define SUBJECT_COLS 48		/* longer subjects push their source right */

/* Tokens whose private keys could not be looked up, each once, with why. */
static void
print_key_notes(FILE *f, const struct rot_scan *s)
{
	const char **seen = cr_xcalloc(s->n + 1, sizeof(*seen));
	struct cr_buf b = CR_BUF_INIT;
	size_t i, k, nseen = 0;

	for (i = 0; i < s->n; i++) {
		const struct crt_token_ref *t = s->v[i].cert->token;

		if (t == NULL || t->key != CRT_KEY_UNKNOWN || t->key_note == NULL)
			continue;
		for (k = 0; k < nseen && strcmp(seen[k], t->token_uri ? t->token_uri : "") != 0; k++)
			;
		if (k < nseen)
			continue;
		seen[nseen++] = t->token_uri ? t->token_uri : "";
		if (nseen == 1)
			fputs("\nprivate keys not looked up (KEY ?):\n", f);
		fprintf(f, "  token '%s': ", text_safe(&b, t->token_label));
		fprintf(f, "%s\n", text_safe(&b, t->key_note));
	}
	cr_buf_release(&b);
	free(seen);
}

static void
print_table(FILE *f, const struct rot_scan *s)
{
	struct cr_buf sub = CR_BUF_INIT, src = CR_BUF_INIT;
	size_t i, wsub = 7;

	for (i = 0; i < s->n; i++)
		if (width(text_safe(&sub, s->v[i].info.subject)) > wsub)
			wsub = width(cr_buf_str(&sub));
	if (wsub > SUBJECT_COLS)
		wsub = SUBJECT_COLS;
	fprintf(f, "%-20s  %6s  %-8s  %-3s  %-40s  %-*s  %s\n", "NOT AFTER", "DAYS", "STATUS",
	    "KEY", "SHA-1", (int)wsub, "SUBJECT", "SOURCE");
	for (i = 0; i < s->n; i++) {
		const struct rot_scan_entry *e = &s->v[i];
		size_t w = width(text_safe(&sub, e->info.subject));

		fprintf(f, "%-20s  %6ld  %-8s  %-3s  %s  %s%*s  %s\n", e->info.not_after_s,
		    e->info.days_left, state_word(e), key_word(e->cert), e->info.sha1,
		    cr_buf_str(&sub), (int)(w < wsub ? wsub - w : 0), "",
		    text_safe(&src, e->cert->source));
	}
	cr_buf_release(&sub);
	cr_buf_release(&src);
}

void
rot_scan_print_text(FILE *f, const struct rot_scan *s)
{
	static const char *const verdict[] = {
		[CR_OK] = "ok", [CR_EBLOCK] = "EXPIRING (exit 1)",
		[CR_EINPUT] = "BAD INPUT (exit 2)", [CR_EENV] = "SOURCE FAILED (exit 3)",
	};
	struct cr_buf b = CR_BUF_INIT;
	size_t i, k;

	if (s->n == 0)
		fputs("no certificates found\n", f);
	else
		print_table(f, s);
	print_key_notes(f, s);
	if (s->nskip > 0)
		fprintf(f, "\nskipped (%zu):\n", s->nskip);
	for (i = 0; i < s->nskip; i++) {
		fprintf(f, "  %s: ", text_safe(&b, s->skip[i].path));
		fprintf(f, skip_phrase[s->skip[i].why], text_safe(&b, s->skip[i].what));
		fputc('\n', f);
	}
	if (s->nfailed > 0)
		fprintf(f, "\nfailed (%zu of %zu source%s):\n", s->nfailed, s->nsrc,
		    s->nsrc == 1 ? "" : "s");
	for (i = 0; i < s->nsrc; i++)
		for (k = 0; k < s->src[i].nerrors; k++)
			fprintf(f, "  %s (exit %d)\n", text_safe(&b, s->src[i].errors[k].message),
			    s->src[i].errors[k].status);
	fprintf(f, "\nsummary: %zu certificate%s from %zu source%s: %zu expired, %zu expiring "
	    "within %s, %zu ok", s->n, s->n == 1 ? "" : "s", s->nsrc, s->nsrc == 1 ? "" : "s",
	    s->nexpired, s->nexpiring - s->nexpired, s->within_text, s->n - s->nexpiring);
	if (s->nskip > 0)
		fprintf(f, "; %zu skipped", s->nskip);
	if (s->nfailed > 0)
		fprintf(f, "; %zu source%s failed", s->nfailed, s->nfailed == 1 ? "" : "s");
	fprintf(f, ": %s\n", verdict[s->status]);
	cr_buf_release(&b);
}

/* ---- JSON ----------------------------------------------------------------------- */

static struct json_object *
jstr(const char *s)
{
	return cr_json_str(s != NULL ? s : "");
}

static struct json_object *
jcount(size_t n)
{
	return json_object_new_int64((int64_t)n);
}

static struct json_object *
source_json(const struct rot_scan_source *src)
{
	struct json_object *o = json_object_new_object(), *errs = json_object_new_array();
	size_t k;

	json_object_object_add(o, "source", jstr(src->name));
	json_object_object_add(o, "kind", json_object_new_string(kind_names[src->kind]));
	json_object_object_add(o, "status", json_object_new_string(src->nerrors ? "failed" : "ok"));
	json_object_object_add(o, "exit", json_object_new_int(src->status));
	json_object_object_add(o, "certificates", jcount(src->ncerts));
	for (k = 0; k < src->nerrors; k++) {
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "message", jstr(src->errors[k].message));
		json_object_object_add(e, "exit", json_object_new_int(src->errors[k].status));
		json_object_object_add(e, "reason",
		    json_object_new_string(cr_reason_name(src->errors[k].reason)));
		json_object_array_add(errs, e);
	}
	json_object_object_add(o, "errors", errs);
	return o;
}

void
rot_scan_print_json(FILE *f, const struct rot_scan *s)
{
	struct json_object *o = json_object_new_object(), *certs = json_object_new_array();
	struct json_object *srcs = json_object_new_array(), *skips = json_object_new_array();
	struct json_object *sum = json_object_new_object();
	char now[32];
	struct tm tm;
	size_t i;

	gmtime_r(&s->now, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(o, "now", json_object_new_string(now));
	json_object_object_add(o, "within", jstr(s->within_text));
	json_object_object_add(o, "within_seconds", json_object_new_int64(s->within));
	for (i = 0; i < s->n; i++) {
		struct json_object *c = crt_cert_json(s->v[i].cert, &s->v[i].info);
		/* replaces crt_cert_json's: a file name need not be UTF-8, JSON must be */
		json_object_object_add(c, "source", jstr(s->v[i].cert->source));
		json_object_object_add(c, "expired",
		    json_object_new_boolean(s->v[i].info.expiry.expired));
		json_object_object_add(c, "expiring", json_object_new_boolean(s->v[i].expiring));
		json_object_array_add(certs, c);
	}
	json_object_object_add(o, "certificates", certs);
	for (i = 0; i < s->nsrc; i++)
		json_object_array_add(srcs, source_json(&s->src[i]));
	json_object_object_add(o, "sources", srcs);
	for (i = 0; i < s->nskip; i++) {
		struct json_object *k = json_object_new_object();
		json_object_object_add(k, "path", jstr(s->skip[i].path));
		json_object_object_add(k, "reason",
		    json_object_new_string(crt_walk_skip_name(s->skip[i].why)));
		json_object_object_add(k, "what", jstr(s->skip[i].what));
		json_object_array_add(skips, k);
	}
	json_object_object_add(o, "skipped", skips);
	json_object_object_add(sum, "certificates", jcount(s->n));
	json_object_object_add(sum, "expired", jcount(s->nexpired));
	json_object_object_add(sum, "expiring", jcount(s->nexpiring));
	json_object_object_add(sum, "ok", jcount(s->n - s->nexpiring));
	json_object_object_add(sum, "sources", jcount(s->nsrc));
	json_object_object_add(sum, "sources_failed", jcount(s->nfailed));
	json_object_object_add(sum, "skipped", jcount(s->nskip));
	json_object_object_add(o, "summary", sum);
	json_object_object_add(o, "exit", json_object_new_int(s->status));
	crt_json_print(f, o);
	json_object_put(o);
}

/* ---- Prometheus -------------------------------------------------------------------- */

void
rot_scan_print_prometheus(FILE *f, const struct rot_scan *s)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i, k;

	fputs("# HELP certrotate_cert_not_after_seconds Expiry (notAfter) of a certificate found "
	    "by certrotate scan, in seconds since the epoch.\n"
	    "# TYPE certrotate_cert_not_after_seconds gauge\n", f);
	/* rot_scan_finish dropped repeated (sha1, source) pairs: every line is unique */
	for (i = 0; i < s->n; i++) {
		const struct rot_scan_entry *e = &s->v[i];

		cr_buf_adds(&b, "certrotate_cert_not_after_seconds{source=\"");
		rot_prom_label_value(&b, e->cert->source ? e->cert->source : "");
		cr_buf_adds(&b, "\",subject=\"");
		rot_prom_label_value(&b, e->info.subject);
		cr_buf_addf(&b, "\",sha1=\"%s\"} %lld\n", e->info.sha1, (long long)e->info.not_after);
		fputs(cr_buf_str(&b), f);
		cr_buf_release(&b);
	}
	fputs("# HELP certrotate_scan_source_up Whether certrotate scan read the source without "
	    "error (1) or not (0).\n"
	    "# TYPE certrotate_scan_source_up gauge\n", f);
	for (i = 0; i < s->nsrc; i++) {
		for (k = 0; k < i && strcmp(s->src[k].name, s->src[i].name) != 0; k++)
			;
		if (k < i)
			continue;	/* the same source named twice: one series */
		cr_buf_adds(&b, "certrotate_scan_source_up{source=\"");
		rot_prom_label_value(&b, s->src[i].name);
		cr_buf_addf(&b, "\"} %d\n", s->src[i].nerrors == 0);
		fputs(cr_buf_str(&b), f);
		cr_buf_release(&b);
	}
}
