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
#include "../common/util.h"
#include "../cert/json.h"

static struct json_object *
str_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static struct json_object *
str_array(const char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

struct json_object *
plan_cert_json(const struct crt_cert *c)
{
	struct json_object *o = json_object_new_object();
	struct crt_info info;

	crt_info_get(c, cr_now(), &info);
	json_object_object_add(o, "sha1", json_object_new_string(info.sha1));
	json_object_object_add(o, "sha256", json_object_new_string(info.sha256));
	json_object_object_add(o, "subject", json_object_new_string(info.subject));
	json_object_object_add(o, "issuer", json_object_new_string(info.issuer));
	json_object_object_add(o, "serial", json_object_new_string(info.serial));
	json_object_object_add(o, "tls_name", json_object_new_string(info.tls_name));
	json_object_object_add(o, "not_before", json_object_new_string(info.not_before_s));
	json_object_object_add(o, "not_after", json_object_new_string(info.not_after_s));
	json_object_object_add(o, "source", str_or_null(c->source));
	crt_info_release(&info);
	return o;
}

struct json_object *
plan_step_json(const struct plan *p, const struct plan_step *s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(s->id));
	json_object_object_add(o, "type", json_object_new_string(plan_step_type_name(s->type)));
	json_object_object_add(o, "host", json_object_new_string(s->host));
	json_object_object_add(o, "service", s->service ? json_object_new_string(s->service->name) : NULL);
	json_object_object_add(o, "ref", s->ref ? json_object_new_string(s->ref->id) : NULL);
	json_object_object_add(o, "action", json_object_new_string(plan_action_name(s->action)));
	json_object_object_add(o, "status", json_object_new_string(s->done ? "done" : "pending"));
	json_object_object_add(o, "description", json_object_new_string(s->description));
	json_object_object_add(o, "preconditions", str_array(s->pre, s->npre));
	json_object_object_add(o, "verify", str_array(s->verify, s->nverify));
	if (s->account != NULL) {
		struct json_object *a = json_object_new_array();
		size_t i;

		json_object_object_add(o, "account", json_object_new_string(s->account));
		for (i = 0; i < s->nservices; i++)
			json_object_array_add(a, json_object_new_string(p->cfg->services[s->services[i]].name));
		json_object_object_add(o, "services", a);
	}
	if (s->ref != NULL) {
		json_object_object_add(o, "ref_type", json_object_new_string(plan_ref_type_name(s->ref->type)));
		if (s->ref->endpoint != NULL)
			json_object_object_add(o, "endpoint", json_object_new_string(s->ref->endpoint));
		if (s->ref->sni != NULL)
			json_object_object_add(o, "sni", json_object_new_string(s->ref->sni));
		if (s->ref->file_path != NULL)
			json_object_object_add(o, "path", json_object_new_string(s->ref->file_path));
	}
	if (s->from != NULL)
		json_object_object_add(o, "from", json_object_new_string(s->from));
	if (s->to != NULL)
		json_object_object_add(o, "to", json_object_new_string(s->to));
	if (s->change != NULL)
		json_object_object_add(o, "change", json_object_new_string(s->change));
	if (s->run != NULL)
		json_object_object_add(o, "command", str_array((const char *const *)s->run->v, s->run->n));
	if (s->undo != NULL)
		json_object_object_add(o, "undo", str_array((const char *const *)s->undo->v, s->undo->n));
	return o;
}

struct json_object *
plan_json(const struct plan *p)
{
	struct json_object *o = json_object_new_object();
	struct json_object *steps = json_object_new_array();
	struct json_object *refs = json_object_new_array();
	struct json_object *notes = json_object_new_array();
	size_t i;

	json_object_object_add(o, "rotation", json_object_new_string(p->cfg->rotation.name));
	json_object_object_add(o, "old", plan_cert_json(p->in->old));
	json_object_object_add(o, "new", plan_cert_json(p->in->new));
	for (i = 0; i < p->nsteps; i++)
		json_object_array_add(steps, plan_step_json(p, &p->steps[i]));
	json_object_object_add(o, "steps", steps);
	for (i = 0; i < p->nrefs; i++) {
		const struct plan_refres *rr = &p->refs[i];
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "host", json_object_new_string(rr->host->name));
		json_object_object_add(r, "service", json_object_new_string(rr->service->name));
		json_object_object_add(r, "ref", json_object_new_string(rr->ref->id));
		json_object_object_add(r, "type", json_object_new_string(plan_ref_type_name(rr->ref->type)));
		json_object_object_add(r, "cert", json_object_new_string(rr->ref->cert));
		json_object_object_add(r, "denotes", json_object_new_string(plan_denotes_name(rr->denotes)));
		json_object_object_add(r, "matches", json_object_new_int64((int64_t)rr->nmatch));
		json_object_object_add(r, "ambiguous", json_object_new_boolean(rr->ambiguous));
		json_object_object_add(r, "step", rr->step >= 0 ?
		    json_object_new_string(p->steps[rr->step].id) : NULL);
		if (rr->note != NULL)
			json_object_object_add(r, "note", json_object_new_string(rr->note));
		json_object_array_add(refs, r);
	}
	json_object_object_add(o, "refs", refs);
	for (i = 0; i < p->nnotes; i++)
		json_object_array_add(notes, json_object_new_string(p->notes[i]));
	json_object_object_add(o, "notes", notes);
	return o;
}

void
plan_render_json(const struct plan *p, FILE *f)
{
	struct json_object *o = plan_json(p);

	crt_json_print(f, o);
	json_object_put(o);
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

/* What a step changes, in one line. */
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
		return cr_xasprintf("%s/%s/%s%s%s: name -> %s (%s)", s->host, s->service->name,
		    s->ref->id, s->ref->endpoint ? " at " : "", s->ref->endpoint ? s->ref->endpoint : "",
		    s->to, s->change);
	}
	a = plan_short_ident(p->in->old);
	b = plan_short_ident(p->in->new);
	if (s->variant == PLAN_V_REBIND_FILE)
		line = cr_xasprintf("%s/%s/%s: file '%s'%s: %s -> %s", s->host, s->service->name,
		    s->ref->id, s->ref->file_path, s->ref->key_path ? " (and key)" : "", a, b);
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
	}
	if (p->nnotes > 0) {
		fputs("\nnotes\n", f);
		for (i = 0; i < p->nnotes; i++)
			fprintf(f, "  - %s\n", p->notes[i]);
	}
}
