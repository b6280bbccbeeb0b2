/*
 * render.c - a plan as JSON (SPEC 5) and as text for people.
 *
 * Both depend only on the plan, which depends only on the configuration
 * and the certificates: no time, no addresses, no hash-table order leaks
 * into the output (json-c keeps insertion order), so the same input gives
 * the same bytes.  Dates are the certificates' own (not_before/not_after),
 * never "days left".
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "plan.h"
#include "internal.h"
#include "../common/text.h"
#include "../common/util.h"
#include "../cert/dn.h"
#include "../cert/ident.h"
#include "../common/utf8.h"

/*
 * Adds a member whose key is a string literal and new to the object: no
 * copy of the key, no search for an old one (json-c's plain add does both,
 * 45,000 objects times).
 */
static void
put(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add_ex(o, key, v, JSON_C_OBJECT_ADD_KEY_IS_NEW |
	    JSON_C_OBJECT_KEY_IS_CONSTANT);
}

/* Every string of the JSON goes through cr_json_str: valid UTF-8 whatever the input. */
static struct json_object *
str_or_null(const char *s)
{
	return cr_json_str(s);
}

static struct json_object *
str_array(const char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, cr_json_str(v[i]));
	return a;
}

/* The ids of a list of checks. */
static struct json_object *
check_array(const enum plan_check *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(plan_check_name(v[i])));
	return a;
}

struct json_object *
plan_cert_json(const struct crt_cert *c)
{
	struct json_object *o = json_object_new_object();
	struct crt_info info;

	crt_info_get(c, cr_now(), &info);
	json_object_object_add(o, "sha1", cr_json_str(info.sha1));
	json_object_object_add(o, "sha256", cr_json_str(info.sha256));
	put(o, "subject", cr_json_str(info.subject));
	put(o, "issuer", cr_json_str(info.issuer));
	put(o, "serial", cr_json_str(info.serial));
	put(o, "tls_name", cr_json_str(info.tls_name));
	put(o, "not_before", cr_json_str(info.not_before_s));
	put(o, "not_after", cr_json_str(info.not_after_s));
	put(o, "source", str_or_null(c->source));
	crt_info_release(&info);
	return o;
}

/*
 * The JSON arrays of check-id lists, shared by the steps that have the same
 * list (steps borrow their lists from the plan: a few dozen distinct ones
 * for any number of steps).  NULL cache: a new array every time.
 */
struct list_cache {
	const enum plan_check *list[64];
	struct json_object *arr[64];
	size_t n;
};

static struct json_object *
check_list(struct list_cache *c, const enum plan_check *v, size_t n)
{
	size_t i;

	if (c == NULL)
		return check_array(v, n);
	for (i = 0; i < c->n; i++)
		if (c->list[i] == v)
			return json_object_get(c->arr[i]);
	if (c->n == sizeof(c->list) / sizeof(c->list[0]))
		return check_array(v, n);
	c->list[c->n] = v;
	c->arr[c->n] = check_array(v, n);
	return json_object_get(c->arr[c->n++]);
}

static void
list_cache_release(struct list_cache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		json_object_put(c->arr[i]);
	c->n = 0;
}

static struct json_object *step_json(const struct plan *p, const struct plan_step *s,
    struct list_cache *c);

/* The refs of a file step shared by several refs: [{"service", "ref"}, ...]. */
static struct json_object *
shared_refs_json(const struct plan *p, const struct plan_step *s)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < s->nfrefs; i++) {
		const struct plan_refres *rr = &p->refs[s->frefs[i]];
		struct json_object *o = json_object_new_object();

		put(o, "service", cr_json_str(rr->service->name));
		put(o, "ref", cr_json_str(rr->ref->id));
		json_object_array_add(a, o);
	}
	return a;
}

struct json_object *
plan_step_json(const struct plan *p, const struct plan_step *s)
{
	return step_json(p, s, NULL);
}

static struct json_object *
step_json(const struct plan *p, const struct plan_step *s, struct list_cache *c)
{
	struct json_object *o = json_object_new_object();

	put(o, "id", cr_json_str(s->id));
	put(o, "type", cr_json_str(plan_step_type_name(s->type)));
	put(o, "host", cr_json_str(s->host));
	put(o, "service", s->service ? cr_json_str(s->service->name) : NULL);
	put(o, "ref", s->ref ? cr_json_str(s->ref->id) : NULL);
	put(o, "action", cr_json_str(plan_action_name(s->action)));
	put(o, "status", cr_json_str(s->done ? "done" : "pending"));
	put(o, "description", cr_json_str(s->description));
	put(o, "preconditions", check_list(c, s->pre, s->npre));
	put(o, "verify", check_list(c, s->verify, s->nverify));
	if (s->account != NULL) {
		struct json_object *a = json_object_new_array();
		size_t i;

		put(o, "account", cr_json_str(s->account));
		for (i = 0; i < s->nservices; i++)
			json_object_array_add(a, cr_json_str(p->cfg->services[s->services[i]].name));
		put(o, "services", a);
	}
	if (s->ref != NULL) {
		put(o, "ref_type", cr_json_str(plan_ref_type_name(s->ref->type)));
		put(o, "cert", cr_json_str(s->ref->cert));
		put(o, "denotes", cr_json_str(plan_denotes_name(s->res->denotes)));
		put(o, "ambiguous", json_object_new_boolean(s->res->ambiguous));
		if (s->res->note != NULL)
			put(o, "note", cr_json_str(s->res->note));
		if (s->ref->endpoint != NULL)
			put(o, "endpoint", cr_json_str(s->ref->endpoint));
		if (s->ref->sni != NULL)
			put(o, "sni", cr_json_str(s->ref->sni));
		if (s->ref->file_path_text != NULL)
			put(o, "path", cr_json_str(s->ref->file_path_text));
	}
	if (s->nfrefs > 1)
		put(o, "refs", shared_refs_json(p, s));
	if (s->nwrites > 0)
		put(o, "writes", plan_writes_json(s));
	if (s->test != NULL) {
		put(o, "test", str_array((const char *const *)s->test->v, s->test->n));
		put(o, "test_from", cr_json_str(s->test_is_default ? "kind" : "run_test"));
	}
	if (s->from != NULL)
		put(o, "from", cr_json_str(s->from));
	if (s->to != NULL)
		put(o, "to", cr_json_str(s->to));
	if (s->change != NULL)
		put(o, "change", cr_json_str(s->change));
	if (s->run != NULL)
		put(o, "command", str_array((const char *const *)s->run->v, s->run->n));
	if (s->undo != NULL)
		put(o, "undo", str_array((const char *const *)s->undo->v, s->undo->n));
	return o;
}

static struct json_object *ref_json(const struct plan_refres *rr);

struct json_object *
plan_json(const struct plan *p)
{
	struct json_object *o = json_object_new_object();
	struct json_object *steps = json_object_new_array();
	struct json_object *refs = json_object_new_array();
	struct json_object *notes = json_object_new_array();
	size_t i;

	put(o, "rotation", cr_json_str(p->cfg->rotation.name));
	put(o, "old", plan_cert_json(p->in->old));
	put(o, "new", plan_cert_json(p->in->new));
	for (i = 0; i < p->nsteps; i++)
		json_object_array_add(steps, plan_step_json(p, &p->steps[i]));
	put(o, "steps", steps);
	for (i = 0; i < p->nrefs; i++)
		if (p->refs[i].step < 0)
			json_object_array_add(refs, ref_json(&p->refs[i]));
	put(o, "untouched", refs);
	for (i = 0; i < p->nnotes; i++)
		json_object_array_add(notes, cr_json_str(p->notes[i]));
	put(o, "notes", notes);
	return o;
}

static struct json_object *
ref_json(const struct plan_refres *rr)
{
	struct json_object *r = json_object_new_object();

	put(r, "host", cr_json_str(rr->host->name));
	put(r, "service", cr_json_str(rr->service->name));
	put(r, "ref", cr_json_str(rr->ref->id));
	put(r, "type", cr_json_str(plan_ref_type_name(rr->ref->type)));
	put(r, "cert", cr_json_str(rr->ref->cert));
	put(r, "denotes", cr_json_str(plan_denotes_name(rr->denotes)));
	put(r, "ambiguous", json_object_new_boolean(rr->ambiguous));
	if (rr->note != NULL)
		put(r, "note", cr_json_str(rr->note));
	return r;
}

#define JSON_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
	JSON_C_TO_STRING_NOSLASHESCAPE)

/*
 * Prints obj (taking the reference) as json-c's pretty printer would at
 * nesting depth `indent` (in spaces): its own pretty form with every line
 * after the first indented.  This lets plan_render_json stream a plan step
 * by step, in the same bytes as printing plan_json() whole, without a tree
 * of every step in memory (half of the run time for 20,000 refs).
 */
static void
put_value(FILE *f, struct cr_buf *b, struct json_object *obj, int indent)
{
	static const char spaces[] = "                ";	/* 16: deeper than any plan */
	const char *s = obj ? json_object_to_json_string_ext(obj, JSON_FLAGS) : "null";
	size_t n = (size_t)indent < sizeof(spaces) - 1 ? (size_t)indent : sizeof(spaces) - 1;
	const char *nl;

	b->len = 0;
	while ((nl = strchr(s, '\n')) != NULL) {
		cr_buf_add(b, s, (size_t)(nl - s + 1));
		cr_buf_add(b, spaces, n);
		s = nl + 1;
	}
	cr_buf_adds(b, s);
	fwrite(b->s, 1, b->len, f);
	json_object_put(obj);
}

/* Starts the member `key` of the top-level object (depth 1). */
static void
begin_member(FILE *f, const char *key, int first)
{
	fprintf(f, "%s\n  \"%s\": ", first ? "" : ",", key);
}

void
plan_render_json(const struct plan *p, FILE *f)
{
	struct cr_buf b = CR_BUF_INIT;	/* reused for every value */
	struct list_cache cache;
	size_t i, k;

	cache.n = 0;
	fputs("{", f);
	begin_member(f, "rotation", 1);
	put_value(f, &b, cr_json_str(p->cfg->rotation.name), 2);
	begin_member(f, "old", 0);
	put_value(f, &b, plan_cert_json(p->in->old), 2);
	begin_member(f, "new", 0);
	put_value(f, &b, plan_cert_json(p->in->new), 2);
	begin_member(f, "steps", 0);
	fputs("[", f);
	for (i = 0; i < p->nsteps; i++) {
		fputs(i ? ",\n    " : "\n    ", f);
		put_value(f, &b, step_json(p, &p->steps[i], &cache), 4);
	}
	fputs("\n  ]", f);
	begin_member(f, "untouched", 0);
	fputs("[", f);
	for (i = k = 0; i < p->nrefs; i++) {
		if (p->refs[i].step >= 0)
			continue;
		fputs(k++ ? ",\n    " : "\n    ", f);
		put_value(f, &b, ref_json(&p->refs[i]), 4);
	}
	fputs("\n  ]", f);
	begin_member(f, "notes", 0);
	fputs("[", f);
	for (i = 0; i < p->nnotes; i++) {
		fputs(i ? ",\n    " : "\n    ", f);
		put_value(f, &b, cr_json_str(p->notes[i]), 4);
	}
	fputs("\n  ]\n}\n", f);
	cr_buf_release(&b);
	list_cache_release(&cache);
}

/* ---- text -------------------------------------------------------------------- */

static void
cert_header(FILE *f, const char *role, const struct crt_cert *c)
{
	struct crt_info info;

	crt_info_get(c, cr_now(), &info);
	fprintf(f, "%s  sha1:%s  %s\n", role, info.sha1, info.subject);
	fprintf(f, "     issuer %s; valid %s to %s\n", info.issuer, info.not_before_s,
	    info.not_after_s);
	fprintf(f, "     from %s\n", c->source ? c->source : "(memory)");
	crt_info_release(&info);
}

/* The RDN start indexes of dn (an RDN is a run of AVAs joined by '+'); v[*n] = dn->n. */
static size_t *
rdn_starts(const struct crt_dn *dn, size_t *n)
{
	size_t *v = cr_xcalloc(dn->n + 1, sizeof(*v));
	size_t i;

	*n = 0;
	for (i = 0; i < dn->n; i++)
		if (i == 0 || !dn->ava[i].multi)
			v[(*n)++] = i;
	v[*n] = dn->n;
	return v;
}

/* RDN k of dn (starts st) as a DN of its own: borrowed AVAs. */
static struct crt_dn
rdn_slice(const struct crt_dn *dn, const size_t *st, size_t k)
{
	struct crt_dn r;

	r.ava = dn->ava + st[k];
	r.n = st[k + 1] - st[k];
	return r;
}

/*
 * Marks in ca[] / cb[] the RDNs of a and b that are not in a longest common
 * subsequence of equal RDNs (crt_dn_equal): what the rename changes.
 */
static void
rdn_changes(const struct crt_dn *a, const size_t *sa, size_t ra, const struct crt_dn *b,
    const size_t *sb, size_t rb, unsigned char *ca, unsigned char *cb)
{
	size_t *L, i, k;

	/* names of thousands of RDNs (a hostile certificate): by position, not quadratic */
	if (ra + 1 > 65536 / (rb + 1)) {
		for (i = 0; i < ra || i < rb; i++) {
			struct crt_dn x, y;
			int eq = 0;

			if (i < ra && i < rb) {
				x = rdn_slice(a, sa, i);
				y = rdn_slice(b, sb, i);
				eq = crt_dn_equal(&x, &y);
			}
			if (i < ra)
				ca[i] = !eq;
			if (i < rb)
				cb[i] = !eq;
		}
		return;
	}
	L = cr_xcalloc((ra + 1) * (rb + 1), sizeof(*L));

#define LCS(x, y) L[(x) * (rb + 1) + (y)]
	for (i = ra; i-- > 0;)
		for (k = rb; k-- > 0;) {
			struct crt_dn x = rdn_slice(a, sa, i), y = rdn_slice(b, sb, k);

			if (crt_dn_equal(&x, &y))
				LCS(i, k) = LCS(i + 1, k + 1) + 1;
			else
				LCS(i, k) = LCS(i + 1, k) > LCS(i, k + 1) ? LCS(i + 1, k) : LCS(i, k + 1);
		}
	memset(ca, 1, ra);
	memset(cb, 1, rb);
	i = k = 0;
	while (i < ra && k < rb) {
		struct crt_dn x = rdn_slice(a, sa, i), y = rdn_slice(b, sb, k);

		if (crt_dn_equal(&x, &y) && LCS(i, k) == LCS(i + 1, k + 1) + 1)
			ca[i++] = cb[k++] = 0;
		else if (LCS(i + 1, k) >= LCS(i, k + 1))
			i++;
		else
			k++;
	}
#undef LCS
	free(L);
}

/* Characters (UTF-8 code points) in s: its width on a terminal, near enough. */
static size_t
text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void
pad(struct cr_buf *b, char c, size_t n)
{
	while (n-- > 0)
		cr_buf_addc(b, c);
}

/* Appends dn's Windows rendering to line and, under each changed RDN, '^' to mark. */
static void
add_marked(struct cr_buf *line, struct cr_buf *mark, const struct crt_dn *dn, const size_t *st,
    size_t n, const unsigned char *changed)
{
	size_t k;

	for (k = 0; k < n; k++) {
		struct crt_dn r = rdn_slice(dn, st, k);
		char *t = crt_dn_format(&r);

		if (k > 0) {
			cr_buf_adds(line, ", ");
			pad(mark, ' ', 2);
		}
		cr_buf_adds(line, t);
		pad(mark, changed[k] ? '^' : ' ', text_width(t));
		free(t);
	}
}

/*
 * The two names of a rename, old and new, each with a line of '^' under the
 * RDNs that change (left out when none does), indented under the step:
 *
 *       old <I>CN=Contoso Issuing CA 1, O=Contoso, C=US<S>CN=mail.contoso.com, ...
 *                                       ^^^^^^^^^
 *       new <I>CN=Contoso Issuing CA 1, O=Contoso Ltd, C=US<S>CN=mail.contoso.com, ...
 *                                       ^^^^^^^^^^^^^
 *
 * The old name is the one the connector holds: its ref's name: identity
 * while the ref is still on the old certificate, else the old
 * certificate's.  Both are written as Windows writes them.
 */
static void
rename_names(const struct plan *p, const struct plan_step *s, FILE *f)
{
	const struct crt_ident *id = &s->ref->ident;
	int by_name = id->kind == CRT_ID_NAME && s->res->denotes == PLAN_DENOTES_OLD;
	struct crt_dn oi, os, ni, ns;
	const struct crt_dn *dn[2][2];
	size_t *st[2][2], nr[2][2], j;
	unsigned char *ch[2][2];
	int w;

	if (!by_name) {
		crt_dn_from_name(X509_get_issuer_name(p->in->old->x509), &oi);
		crt_dn_from_name(X509_get_subject_name(p->in->old->x509), &os);
	}
	crt_dn_from_name(X509_get_issuer_name(p->in->new->x509), &ni);
	crt_dn_from_name(X509_get_subject_name(p->in->new->x509), &ns);
	dn[0][0] = by_name ? &id->issuer : &oi;
	dn[0][1] = by_name ? &id->subject : &os;
	dn[1][0] = &ni;
	dn[1][1] = &ns;
	for (j = 0; j < 2; j++) {
		st[0][j] = rdn_starts(dn[0][j], &nr[0][j]);
		st[1][j] = rdn_starts(dn[1][j], &nr[1][j]);
		ch[0][j] = cr_xcalloc(nr[0][j] + 1, 1);
		ch[1][j] = cr_xcalloc(nr[1][j] + 1, 1);
		rdn_changes(dn[0][j], st[0][j], nr[0][j], dn[1][j], st[1][j], nr[1][j], ch[0][j],
		    ch[1][j]);
	}
	for (w = 0; w < 2; w++) {
		struct cr_buf line = CR_BUF_INIT, mark = CR_BUF_INIT;

		cr_buf_adds(&line, "<I>");
		pad(&mark, ' ', 3);
		add_marked(&line, &mark, dn[w][0], st[w][0], nr[w][0], ch[w][0]);
		cr_buf_adds(&line, "<S>");
		pad(&mark, ' ', 3);
		add_marked(&line, &mark, dn[w][1], st[w][1], nr[w][1], ch[w][1]);
		fprintf(f, "      %s %s\n", w == 0 ? "old" : "new", cr_buf_str(&line));
		while (mark.len > 0 && mark.s[mark.len - 1] == ' ')
			mark.s[--mark.len] = '\0';
		if (mark.len > 0)
			fprintf(f, "          %s\n", mark.s);
		cr_buf_release(&line);
		cr_buf_release(&mark);
	}
	for (j = 0; j < 2; j++)
		for (w = 0; w < 2; w++) {
			free(st[w][j]);
			free(ch[w][j]);
		}
	if (!by_name) {
		crt_dn_release(&oi);
		crt_dn_release(&os);
	}
	crt_dn_release(&ni);
	crt_dn_release(&ns);
}

/* What a step changes, in one line (a rename's names follow: rename_names). */
static char *
step_line(const struct plan *p, const struct plan_step *s)
{
	char *a, *b, *line;

	if (s->ref == NULL)
		return cr_xstrdup(s->description);
	if (s->variant == PLAN_V_RENAME) {
		if (s->change == NULL)
			return cr_xasprintf("%s/%s/%s: %s", s->host, s->service->name, s->ref->id,
			    s->description);
		return cr_xasprintf("%s/%s/%s%s%s: name old -> new (%s)", s->host, s->service->name,
		    s->ref->id, s->ref->endpoint ? " at " : "", s->ref->endpoint ? s->ref->endpoint : "",
		    s->change);
	}
	a = plan_short_ident(p->in->old);
	b = plan_short_ident(p->in->new);
	if (s->variant == PLAN_V_REBIND_FILE && s->nfrefs > 1)
		line = cr_xasprintf("%s/%s/%s and %zu more ref%s: file '%s'%s: %s -> %s", s->host,
		    s->service->name, s->ref->id, s->nfrefs - 1, s->nfrefs > 2 ? "s" : "",
		    s->ref->file_path_text, s->ref->key_path ? " (and key)" : "", a, b);
	else if (s->variant == PLAN_V_REBIND_FILE)
		line = cr_xasprintf("%s/%s/%s: file '%s'%s: %s -> %s", s->host, s->service->name,
		    s->ref->id, s->ref->file_path_text, s->ref->key_path ? " (and key)" : "", a, b);
	else
		line = cr_xasprintf("%s/%s/%s%s%s%s%s: %s -> %s", s->host, s->service->name,
		    s->ref->id, s->ref->endpoint ? " at " : "", s->ref->endpoint ? s->ref->endpoint : "",
		    s->ref->sni ? " SNI " : "", s->ref->sni ? s->ref->sni : "", a, b);
	free(a);
	free(b);
	return line;
}

void
plan_render_text(const struct plan *p, FILE *f)
{
	size_t i, done = 0, width = 0;
	int last = -1;

	for (i = 0; i < p->nsteps; i++) {
		size_t w = strlen(p->steps[i].id);

		done += p->steps[i].done != 0;
		if (w > width)
			width = w;
	}
	if (width > 48)
		width = 48;
	fprintf(f, "rotation %s: %zu step%s", p->cfg->rotation.name, p->nsteps,
	    p->nsteps == 1 ? "" : "s");
	if (done > 0)
		fprintf(f, ", %zu already done", done);
	fputc('\n', f);
	cert_header(f, "old", p->in->old);
	cert_header(f, "new", p->in->new);
	for (i = 0; i < p->nsteps; i++) {
		const struct plan_step *s = &p->steps[i];
		char *line;

		if ((int)s->type != last) {
			fprintf(f, "\n%s\n", plan_step_type_name(s->type));
			last = (int)s->type;
		}
		line = step_line(p, s);
		fprintf(f, "  %-*s  %-7s %-4s  %s\n", (int)width, s->id, plan_action_name(s->action),
		    s->done ? "done" : "", line);
		free(line);
		if (s->variant == PLAN_V_RENAME && s->change != NULL)
			rename_names(p, s, f);
		plan_writes_text(s, f);
		if (s->test != NULL)
			plan_test_text(s, f);
	}
	if (p->nnotes > 0) {
		fputs("\nnotes\n", f);
		for (i = 0; i < p->nnotes; i++)
			fprintf(f, "  - %s\n", p->notes[i]);
	}
}
