/*
 * items.c - the results of checks (items), how steps list them, and the
 * small helpers every family of checks shares.  The bottom of check/'s
 * own files: it calls none of the others.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../common/util.h"
#include "../cert/dn.h"

const char *
chk_step_status_name(enum chk_step_status s)
{
	switch (s) {
	case CHK_STEP_READY: return "ready";
	case CHK_STEP_BLOCKED: return "blocked";
	case CHK_STEP_DONE: return "done";
	}
	return "blocked";
}

size_t
chk_item_get(struct chk_ctx *c, enum plan_check check, enum chk_phase phase,
    const char *subject, const char *what, int *fresh)
{
	struct chk_report *rep = c->rep;
	char *key = cr_xasprintf("%d\x1f%d\x1f%s", (int)check, (int)phase, what);
	struct chk_item *it;
	size_t idx;

	if (plan_map_get(&rep->index, key, &idx)) {
		free(key);
		it = &rep->items[idx];
		*fresh = it->stale;
		if (it->stale) {
			it->stale = 0;
			it->status = CR_OK;
			chk_result_release(&it->res);
			it->res.status = CHK_PASS;
		}
		return idx;
	}
	cr_grow(&rep->items, &rep->cap, rep->n + 1, sizeof(rep->items[0]));
	idx = rep->n++;
	it = &rep->items[idx];
	memset(it, 0, sizeof(*it));
	it->check = check;
	it->id = plan_check_name(check);
	it->phase = phase;
	it->subject = cr_xstrdup(subject);
	/* the key array grows with the items, one key each */
	rep->keys = cr_xrealloc(rep->keys, rep->cap * sizeof(*rep->keys));
	rep->keys[idx] = key;
	plan_map_put(&rep->index, key, idx, NULL);
	*fresh = 1;
	return idx;
}

struct chk_item *
chk_item_at(struct chk_ctx *c, size_t i)
{
	return &c->rep->items[i];
}

/*
 * Each chk_step call fills its step's list afresh, and an item is listed
 * at most once per call: remembering the call an item was last listed by
 * keeps a list free of repeats without searching it.
 */
void
chk_attach(struct chk_ctx *c, const struct chk_at *at, size_t it)
{
	struct chk_step_report *sr;
	struct chk_item *item = &c->rep->items[it];

	if (at->step == CHK_NO_STEP || item->last_call == c->call)
		return;
	sr = at->phase == CHK_PRE ? &c->rep->steps[at->step] : &c->rep->verify[at->step];
	cr_grow(&sr->items, &sr->cap, sr->n + 1, sizeof(sr->items[0]));
	sr->items[sr->n++] = it;
	item->attached = 1;
	item->last_call = c->call;
}

size_t
chk_fresh_item(struct chk_ctx *c, const struct chk_at *at, int *fresh)
{
	size_t idx = chk_item_get(c, at->check, at->phase, at->subject, at->subject, fresh);

	chk_attach(c, at, idx);
	return idx;
}

struct chk_result *
chk_fresh(struct chk_ctx *c, const struct chk_at *at)
{
	int fresh;
	size_t idx = chk_fresh_item(c, at, &fresh);

	return fresh ? &c->rep->items[idx].res : NULL;
}

struct chk_result *
chk_file_item(struct chk_ctx *c, const struct chk_at *at, const char *path, const char *text,
    const char *also)
{
	const struct plan_file *f = plan_inputs_file(c->in, path), *g;
	char *subject = cr_xasprintf("file %s", text), *what;
	size_t idx;
	int fresh;

	g = also != NULL ? plan_inputs_file(c->in, also) : NULL;
	what = cr_xasprintf("%s\x1f%s", f != NULL ? f->entry : path,
	    also == NULL ? "" : g != NULL ? g->entry : also);
	idx = chk_item_get(c, at->check, at->phase, subject, what, &fresh);
	chk_attach(c, at, idx);
	free(subject);
	free(what);
	return fresh ? &chk_item_at(c, idx)->res : NULL;
}

int
chk_item_fails(const struct chk_ctx *c, const struct chk_item *it)
{
	return it->res.status == CHK_FAIL || (c->o.strict && it->res.status == CHK_WARN);
}

int
chk_list_fails(const struct chk_ctx *c, const struct chk_step_report *sr)
{
	size_t k;

	for (k = 0; k < sr->n; k++)
		if (chk_item_fails(c, &c->rep->items[sr->items[k]]))
			return 1;
	return 0;
}

int
chk_list_exit(const struct chk_ctx *c, const struct chk_step_report *sr)
{
	int st = CR_OK;
	size_t k;

	for (k = 0; k < sr->n; k++) {
		const struct chk_item *it = &c->rep->items[sr->items[k]];

		if (it->status != CR_OK)
			st = cr_status_worse(st, it->status);
		if (chk_item_fails(c, it))
			st = cr_status_worse(st, CR_EBLOCK);
	}
	return st;
}

void
chk_report_count(struct chk_report *rep, int strict)
{
	size_t i;

	rep->status = CR_OK;
	memset(rep->count, 0, sizeof(rep->count));
	free(rep->top);
	rep->top = NULL;
	rep->ntop = 0;
	for (i = 0; i < rep->n; i++) {
		struct chk_item *it = &rep->items[i];
		rep->count[it->res.status]++;
		if (it->status != CR_OK)
			rep->status = cr_status_worse(rep->status, it->status);
		if (it->res.status == CHK_FAIL || (strict && it->res.status == CHK_WARN))
			rep->status = cr_status_worse(rep->status, CR_EBLOCK);
		if (!it->attached) {
			rep->top = cr_xrealloc(rep->top, (rep->ntop + 1) * sizeof(*rep->top));
			rep->top[rep->ntop++] = i;
		}
	}
}

void
chk_report_release(struct chk_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++) {
		free(rep->items[i].subject);
		chk_result_release(&rep->items[i].res);
		free(rep->keys[i]);
	}
	for (i = 0; i < rep->nsteps; i++) {
		free(rep->steps[i].items);
		free(rep->verify[i].items);
	}
	free(rep->items);
	free(rep->keys);
	free(rep->steps);
	free(rep->verify);
	free(rep->top);
	plan_map_release(&rep->index);
	memset(rep, 0, sizeof(*rep));
}

char *
chk_cert_brief(const struct crt_cert *x)
{
	char *subj = crt_cert_subject(x);
	char *hex = cr_hex_upper(x->sha1, sizeof(x->sha1));
	char *s = cr_xasprintf("'%s' (sha1:%s)", subj, hex);

	free(subj);
	free(hex);
	return s;
}

int
chk_done(const struct chk_ctx *c, long si)
{
	return si >= 0 && c->done != NULL && c->done[si];
}
