/*
 * steps.c - the steps of SPEC 5 from the resolved refs: one builder per
 * step type (step_builders[]), in plan order, then the step ids.  What
 * each step lists as checks comes from checkids.c; what the steps share
 * (identities, names, check lists) is made once (struct plan_shared).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509.h>

#include "plan.h"
#include "internal.h"
#include "map.h"
#include "../common/util.h"
#include "../cert/dn.h"
#include "../cert/ident.h"

/*
 * What steps share (owned by the plan, freed by plan_free): the identities
 * and names of old and new, what changed between their names, and one
 * check list per (variant, applicable conditions) - 25,000 steps need only
 * a few dozen distinct lists.
 */
#define NWHEN 256
struct plan_shared {
	char *old_ident, *new_ident;	/* "sha1:HEX" */
	char *old_tls, *new_tls;	/* "<I>..<S>.." */
	char *change;			/* NULL when the names are equal */
	enum plan_check *lists[PLAN_NVARIANTS][NWHEN][3];
	size_t nlist[PLAN_NVARIANTS][NWHEN][3];
};

void
plan_shared_free(struct plan_shared *sh)
{
	size_t v, w;

	if (sh == NULL)
		return;
	free(sh->old_ident);
	free(sh->new_ident);
	free(sh->old_tls);
	free(sh->new_tls);
	free(sh->change);
	for (v = 0; v < PLAN_NVARIANTS; v++)
		for (w = 0; w < NWHEN; w++) {
			free(sh->lists[v][w][0]);
			free(sh->lists[v][w][1]);
			free(sh->lists[v][w][2]);
		}
	free(sh);
}

/* What the step builders work on. */
struct builder {
	const struct plan_config *cfg;
	const struct plan_inputs *in;
	struct plan *plan;
	struct plan_shared *sh;		/* == plan->priv */
	size_t capsteps;
};

void
plan_add_note(struct plan *p, char *note)
{
	plan_grow_implied(&p->notes, p->nnotes, sizeof(*p->notes));
	p->notes[p->nnotes++] = note;
}

static struct plan_step *
new_step(struct builder *bl, enum plan_variant v, const char *host)
{
	struct plan *p = bl->plan;
	struct plan_step *s;

	cr_grow(&p->steps, &bl->capsteps, p->nsteps + 1, sizeof(*p->steps));
	s = &p->steps[p->nsteps++];
	memset(s, 0, sizeof(*s));
	s->variant = v;
	s->type = plan_step_checks(v)->type;
	s->host = cr_xstrdup(host);
	return s;
}

static const struct plan_argv *
hook(const struct plan_hooks *h, enum plan_step_type t, int undo)
{
	const struct plan_argv *a = undo ? &h->undo[t] : &h->run[t];

	return a->v != NULL ? a : NULL;
}

/*
 * Sets action, run and undo from the lookup chain (own entity first).
 * `own` / `own_undo` are the step's own entity's hooks (may be NULL);
 * chain[] the enclosing entities' hook sets, innermost first; native: the
 * tool can do the step itself.
 */
static void
set_action(struct plan_step *s, const struct plan_argv *own, const struct plan_argv *own_undo,
    const struct plan_hooks *const *chain, size_t nchain, int native)
{
	size_t i;

	s->run = own;
	s->undo = own_undo;
	if (s->run == NULL && !native) {
		for (i = 0; i < nchain && s->run == NULL; i++) {
			s->run = hook(chain[i], s->type, 0);
			if (s->run != NULL)
				s->undo = hook(chain[i], s->type, 1);
		}
	}
	if (s->run != NULL && s->undo == NULL) {
		/* an explicit undo further out still applies */
		for (i = 0; i < nchain && s->undo == NULL; i++)
			s->undo = hook(chain[i], s->type, 1);
	}
	if (s->run != NULL)
		s->action = PLAN_COMMAND;
	else
		s->action = native ? PLAN_NATIVE : PLAN_MANUAL;
}

/* The conditions of enum plan_when that hold for a step, as a bit set (< NWHEN). */
enum { W_ENDPOINT = 1, W_NAMES = 2, W_NO_RESTART = 4, W_KEY_PATH = 8, W_HOOK = 16, W_TEST = 32,
	W_SNI = 64, W_KEY_TOKEN = 128 };

static int
applies(enum plan_when w, unsigned flags)
{
	switch (w) {
	case PLAN_WHEN_ALWAYS: return 1;
	case PLAN_WHEN_ENDPOINT: return (flags & W_ENDPOINT) != 0;
	case PLAN_WHEN_NAMES: return (flags & W_NAMES) != 0;
	case PLAN_WHEN_NO_RESTART: return (flags & W_NO_RESTART) && (flags & W_ENDPOINT);
	case PLAN_WHEN_KEY_PATH: return (flags & W_KEY_PATH) != 0;
	case PLAN_WHEN_NO_ENDPOINT: return (flags & W_ENDPOINT) == 0;
	case PLAN_WHEN_KEY_TOKEN: return (flags & W_KEY_TOKEN) != 0;
	case PLAN_WHEN_HOOK: return (flags & W_HOOK) != 0;
	case PLAN_WHEN_TEST: return (flags & W_TEST) != 0;
	case PLAN_WHEN_SNI: return (flags & W_SNI) != 0;
	}
	return 0;
}

/* The conditions a ref brings to its step. */
static unsigned
ref_flags(const struct plan_ref *ref, const struct plan_service *svc)
{
	unsigned flags = 0;

	if (ref->endpoint != NULL)
		flags |= W_ENDPOINT;
	if (ref->endpoint != NULL && ref->sni != NULL)
		flags |= W_SNI;
	if (ref->key_path != NULL)
		flags |= W_KEY_PATH;
	if (svc->nnames > 0)
		flags |= W_NAMES;
	return flags;
}

static void
set_checks(struct builder *bl, struct plan_step *s, const struct plan_service *svc,
    int has_restart, int endpoint)
{
	const struct plan_step_checks *t = plan_step_checks(s->variant);
	unsigned flags = 0;
	size_t i, k;

	if (endpoint)
		flags |= W_ENDPOINT;
	if (svc != NULL && svc->nnames > 0)
		flags |= W_NAMES;
	if (svc != NULL && !has_restart)
		flags |= W_NO_RESTART;
	if (s->ref != NULL)
		flags |= ref_flags(s->ref, svc);
	/* a file shared by several refs: what any of them brings */
	for (i = 0; i < s->nfrefs; i++)
		flags |= ref_flags(bl->plan->refs[s->frefs[i]].ref, bl->plan->refs[s->frefs[i]].service);
	if (s->run != NULL || s->undo != NULL)
		flags |= W_HOOK;
	if (s->test != NULL)
		flags |= W_TEST;
	if (bl->cfg->rotation.key_src.kind == PLAN_SRC_PKCS11)
		flags |= W_KEY_TOKEN;
	for (k = 0; k < 3; k++) {
		const struct plan_check_use *use = k == 0 ? t->pre : k == 1 ? t->verify : t->rbverify;
		enum plan_check **list = &bl->sh->lists[s->variant][flags][k];
		size_t *n = &bl->sh->nlist[s->variant][flags][k];

		if (*list == NULL) {
			*list = cr_xcalloc(PLAN_MAX_CHECKS, sizeof(**list));
			for (i = 0; i < PLAN_MAX_CHECKS && use[i].id != PLAN_CHK_NONE; i++)
				if (applies(use[i].when, flags))
					(*list)[(*n)++] = use[i].id;
		}
		if (k == 0) {
			s->pre = *list;
			s->npre = *n;
		} else if (k == 1) {
			s->verify = *list;
			s->nverify = *n;
		} else {
			s->rbverify = *list;
			s->nrbverify = *n;
		}
	}
}

/* "issuer O: 'Contoso' -> 'Contoso Ltd'; subject ..." or NULL when equal. */
static char *
name_change(const X509 *a, const X509 *b)
{
	struct crt_dn ai, bi, as, bs;
	char *di, *ds, *r = NULL;

	crt_dn_from_name(X509_get_issuer_name(a), &ai);
	crt_dn_from_name(X509_get_issuer_name(b), &bi);
	crt_dn_from_name(X509_get_subject_name(a), &as);
	crt_dn_from_name(X509_get_subject_name(b), &bs);
	di = crt_dn_diff(&ai, &bi);
	ds = crt_dn_diff(&as, &bs);
	if (di != NULL && ds != NULL)
		r = cr_xasprintf("issuer %s; subject %s", di, ds);
	else if (di != NULL)
		r = cr_xasprintf("issuer %s", di);
	else if (ds != NULL)
		r = cr_xasprintf("subject %s", ds);
	free(di);
	free(ds);
	crt_dn_release(&ai);
	crt_dn_release(&bi);
	crt_dn_release(&as);
	crt_dn_release(&bs);
	return r;
}

/* ---- the steps ---------------------------------------------------------------- */

struct refkey {
	const char *host;
	size_t rank;
	const char *id;
	size_t idx;		/* into plan->refs */
};

static int
cmp_refkey(const void *a, const void *b)
{
	const struct refkey *x = a, *y = b;
	int c = strcmp(x->host, y->host);

	if (c != 0)
		return c;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	c = strcmp(x->id, y->id);
	return c != 0 ? c : (x->idx < y->idx ? -1 : x->idx > y->idx);
}

struct svckey {
	const char *host;
	size_t rank;
	size_t idx;
};

static int
cmp_svc_host_rank(const void *a, const void *b)
{
	const struct svckey *x = a, *y = b;
	int c = strcmp(x->host, y->host);

	if (c != 0)
		return c;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static int
cmp_svc_rank(const void *a, const void *b)
{
	const struct svckey *x = a, *y = b;

	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/*
 * The pseudo-host of the token holding the old certificate, "token:LABEL",
 * or NULL when it is not a token object (a file or an endpoint: rotation.old
 * is then only read, never moved or deleted).  New string.
 */
static char *
old_token(const struct plan_inputs *in)
{
	const struct crt_cert *old = in->old;
	const char *src = old->source ? old->source : "";
	char *label, *s;

	if (old->token != NULL && old->token->token_label != NULL)
		return cr_xasprintf("token:%s", old->token->token_label);
	if (strncasecmp(src, "pkcs11:", 7) != 0)
		return NULL;
	label = plan_uri_attr(src, "token");
	s = cr_xasprintf("token:%s", label != NULL ? label : "");
	free(label);
	return s;
}

static char *
ref_where(const struct plan_ref *ref)
{
	if (ref->endpoint == NULL)
		return cr_xstrdup("");
	if (ref->sni != NULL)
		return cr_xasprintf(" (%s, SNI %s)", ref->endpoint, ref->sni);
	return cr_xasprintf(" (%s)", ref->endpoint);
}

static void
ref_step(struct builder *bl, struct plan_refres *rr, size_t ridx)
{
	const struct plan_config *cfg = bl->cfg;
	const struct plan_ref *ref = rr->ref;
	const struct plan_service *svc = rr->service;
	const struct plan_host *host = rr->host;
	const struct plan_hooks *chain[3] = { &svc->hooks, &host->hooks, &cfg->rotation.hooks };
	enum plan_variant v;
	struct plan_step *s;
	char *where;

	v = ref->type == PLAN_REF_CONNECTOR ? PLAN_V_RENAME :
	    ref->type == PLAN_REF_FILE ? PLAN_V_REBIND_FILE : PLAN_V_REBIND_BINDING;
	s = new_step(bl, v, host->name);
	s->host_cfg = host;
	s->service = svc;
	s->ref = ref;
	s->res = &bl->plan->refs[ridx];
	s->done = rr->denotes == PLAN_DENOTES_NEW;
	rr->step = (long)(bl->plan->nsteps - 1);
	set_action(s, ref->run.v ? &ref->run : NULL, ref->undo.v ? &ref->undo : NULL, chain, 3,
	    v == PLAN_V_REBIND_FILE);
	where = ref_where(ref);
	switch (v) {
	case PLAN_V_REBIND_FILE:
		/* described once every ref sharing the file is known (ref_steps) */
		s->from = bl->sh->old_ident;
		s->to = bl->sh->new_ident;
		plan_grow_implied(&s->frefs, 0, sizeof(*s->frefs));
		s->frefs[s->nfrefs++] = ridx;
		break;
	case PLAN_V_RENAME:
		s->from = ref->ident.kind == CRT_ID_NAME ? ref->cert + strlen("name:") :
		    bl->sh->old_tls;
		s->to = bl->sh->new_tls;
		s->change = bl->sh->change;
		if (s->change == NULL)
			s->description = cr_xasprintf("connector '%s'%s: its name <I>issuer<S>subject "
			    "stays the same (old and new share it); verify the service selects the new "
			    "certificate", ref->id, where);
		else
			s->description = cr_xasprintf("set connector '%s'%s to the new certificate's "
			    "name (%s)", ref->id, where, s->change);
		break;
	default:
		s->from = bl->sh->old_ident;
		s->to = bl->sh->new_ident;
		s->description = cr_xasprintf("point binding '%s'%s at the new certificate",
		    ref->id, where);
		break;
	}
	free(where);
}

/*
 * What changes where, found once and shared by the step builders: which
 * hosts and services have a ref on the old or the new certificate, which
 * still have one on the old (their steps are pending), and the changed refs
 * in step order (host, service dependency rank, ref id).
 */
struct changes {
	unsigned char *host_any;	/* a binding/connector ref on old or new */
	unsigned char *host_pending;	/* ... on old */
	unsigned char *svc_any;		/* a ref on old or new: the service restarts */
	unsigned char *svc_pending;	/* a ref on old */
	unsigned char *svc_endpoint;	/* a changed ref with an endpoint */
	struct refkey *rk;		/* the changed refs, sorted */
	size_t nchanged;
};

static void
changes_find(const struct builder *bl, struct changes *ch)
{
	const struct plan_config *cfg = bl->cfg;
	const struct plan *p = bl->plan;
	size_t nh = cfg->nhosts, ns = cfg->nservices, i;

	ch->host_any = cr_xcalloc(nh ? nh : 1, 1);
	ch->host_pending = cr_xcalloc(nh ? nh : 1, 1);
	ch->svc_any = cr_xcalloc(ns ? ns : 1, 1);
	ch->svc_pending = cr_xcalloc(ns ? ns : 1, 1);
	ch->svc_endpoint = cr_xcalloc(ns ? ns : 1, 1);
	ch->rk = cr_xcalloc(p->nrefs ? p->nrefs : 1, sizeof(*ch->rk));
	ch->nchanged = 0;
	for (i = 0; i < p->nrefs; i++) {
		const struct plan_refres *rr = &p->refs[i];
		size_t si = rr->ref->service, hi = cfg->services[si].host;
		struct refkey *k;

		if (rr->denotes != PLAN_DENOTES_OLD && rr->denotes != PLAN_DENOTES_NEW)
			continue;
		ch->svc_any[si] = 1;
		if (rr->ref->endpoint != NULL)
			ch->svc_endpoint[si] = 1;
		if (rr->denotes == PLAN_DENOTES_OLD)
			ch->svc_pending[si] = 1;
		if (rr->ref->type != PLAN_REF_FILE) {
			ch->host_any[hi] = 1;
			if (rr->denotes == PLAN_DENOTES_OLD)
				ch->host_pending[hi] = 1;
		}
		k = &ch->rk[ch->nchanged++];
		k->host = cfg->hosts[hi].name;
		k->rank = cfg->services[si].rank;
		k->id = rr->ref->id;
		k->idx = i;
	}
	plan_sort(ch->rk, ch->nchanged, sizeof(*ch->rk), cmp_refkey);
}

static void
changes_release(struct changes *ch)
{
	free(ch->host_any);
	free(ch->host_pending);
	free(ch->svc_any);
	free(ch->svc_pending);
	free(ch->svc_endpoint);
	free(ch->rk);
}

/* The services sorted by `cmp` (cmp_svc_host_rank, cmp_svc_rank).  New array. */
static struct svckey *
services_sorted(const struct plan_config *cfg, int (*cmp)(const void *, const void *))
{
	struct svckey *sk = cr_xcalloc(cfg->nservices ? cfg->nservices : 1, sizeof(*sk));
	size_t i;

	for (i = 0; i < cfg->nservices; i++) {
		sk[i].host = cfg->hosts[cfg->services[i].host].name;
		sk[i].rank = cfg->services[i].rank;
		sk[i].idx = i;
	}
	plan_sort(sk, cfg->nservices, sizeof(*sk), cmp);
	return sk;
}

/* 1. import: the import_to token first, then each host by name. */
static void
steps_import(struct builder *bl, const struct changes *ch)
{
	const struct plan_config *cfg = bl->cfg;
	const struct plan_hooks *chain[1] = { &cfg->rotation.hooks };
	struct plan_step *s;
	size_t i;

	if (cfg->rotation.import_to != NULL) {
		char *h = cr_xasprintf("token:%s", cfg->rotation.import_token);
		char cn[256] = "";

		s = new_step(bl, PLAN_V_IMPORT_TOKEN, h);
		free(h);
		s->action = PLAN_NATIVE;
		s->done = bl->in->new_on_import_to == 1;
		if (cfg->rotation.label == NULL &&
		    X509_NAME_get_text_by_NID(X509_get_subject_name(bl->in->new->x509),
		    NID_commonName, cn, sizeof(cn)) < 0)
			cn[0] = '\0';
		s->description = cr_xasprintf("store the new certificate on token '%s' beside "
		    "its key, labelled '%s'", cfg->rotation.import_token,
		    cfg->rotation.label ? cfg->rotation.label : cn);
		set_checks(bl, s, NULL, 0, 0);
	}
	for (i = 0; i < cfg->nhosts; i++) {
		const struct plan_host *h = &cfg->hosts[i];

		if (!ch->host_any[i])
			continue;
		s = new_step(bl, PLAN_V_IMPORT_HOST, h->name);
		s->host_cfg = h;
		s->done = !ch->host_pending[i];
		set_action(s, hook(&h->hooks, PLAN_IMPORT, 0), hook(&h->hooks, PLAN_IMPORT, 1),
		    chain, 1, 0);
		s->description = cr_xasprintf("make the new certificate and its chain available on %s",
		    h->name);
		set_checks(bl, s, NULL, 0, 0);
	}
}

/* 2. grant: one per (host, account); services by host, then dependency rank. */
static void
steps_grant(struct builder *bl, const struct changes *ch)
{
	const struct plan_config *cfg = bl->cfg;
	const struct plan_hooks *chain[1] = { &cfg->rotation.hooks };
	struct plan *p = bl->plan;
	struct svckey *sk = services_sorted(cfg, cmp_svc_host_rank);
	struct plan_map grants = PLAN_MAP_INIT;	/* "host\x1faccount" -> step index */
	char **keys = NULL;
	size_t nkeys = 0, first = p->nsteps, i, j;

	for (i = 0; i < cfg->nservices; i++) {
		const struct plan_service *svc = &cfg->services[sk[i].idx];
		const struct plan_host *h = &cfg->hosts[svc->host];
		struct plan_step *s;
		size_t at;
		char *key;

		if (!ch->svc_any[sk[i].idx] || svc->account == NULL)
			continue;
		key = cr_xasprintf("%zu\x1f%s", svc->host, svc->account);
		if (!plan_map_put(&grants, key, p->nsteps, &at)) {
			s = &p->steps[at];
			plan_grow_implied(&s->services, s->nservices, sizeof(size_t));
			s->services[s->nservices++] = sk[i].idx;
			s->done = s->done && !ch->svc_pending[sk[i].idx];
			free(key);
			continue;
		}
		plan_grow_implied(&keys, nkeys, sizeof(*keys));
		keys[nkeys++] = key;
		s = new_step(bl, PLAN_V_GRANT, h->name);
		s->host_cfg = h;
		s->service = svc;
		s->account = svc->account;
		plan_grow_implied(&s->services, 0, sizeof(size_t));
		s->services[0] = sk[i].idx;
		s->nservices = 1;
		s->done = !ch->svc_pending[sk[i].idx];
		set_action(s, hook(&h->hooks, PLAN_GRANT, 0), hook(&h->hooks, PLAN_GRANT, 1), chain, 1, 0);
	}
	/* described once every service sharing the grant is known */
	for (i = first; i < p->nsteps; i++) {
		struct plan_step *s = &p->steps[i];
		struct cr_buf names = CR_BUF_INIT;

		for (j = 0; j < s->nservices; j++)
			cr_buf_addf(&names, "%s%s", j ? ", " : "", cfg->services[s->services[j]].name);
		s->description = cr_xasprintf("give '%s' use of the new private key on %s (%s %s)",
		    s->account, s->host, s->nservices > 1 ? "services" : "service", cr_buf_str(&names));
		cr_buf_release(&names);
		set_checks(bl, s, s->service, 0, 0);
	}
	for (i = 0; i < nkeys; i++)
		free(keys[i]);
	free(keys);
	plan_map_release(&grants);
	free(sk);
}

/*
 * A file ref writing a file that an earlier ref's step writes natively - its
 * path or key_path, any spelling, whatever host its service is on: files are
 * written on the machine certrotate runs on - joins that step, so that each
 * file is written once (SPEC 7.2): 1 when it did.  `group` is the ref's
 * group (plan_file_groups); `first` maps a group to its step.
 */
static int
join_file_step(struct builder *bl, size_t *first, size_t group, struct plan_refres *rr,
    size_t ridx)
{
	struct plan *p = bl->plan;
	struct plan_step *s;

	if (first[group] == (size_t)-1) {
		first[group] = p->nsteps;	/* the step ref_step makes next */
		return 0;
	}
	s = &p->steps[first[group]];
	plan_grow_implied(&s->frefs, s->nfrefs, sizeof(*s->frefs));
	s->frefs[s->nfrefs++] = ridx;
	s->done = s->done && rr->denotes == PLAN_DENOTES_NEW;
	rr->step = (long)first[group];
	return 1;
}

/* The changed refs of one kind (connectors or not), in step order. */
static void
ref_steps(struct builder *bl, const struct changes *ch, int connectors)
{
	struct plan *p = bl->plan;
	size_t *idx = cr_xcalloc(ch->nchanged + 1, sizeof(*idx));
	size_t *group = cr_xcalloc(ch->nchanged + 1, sizeof(*group));
	size_t *step_of = cr_xcalloc(ch->nchanged + 1, sizeof(*step_of));
	size_t i, first = p->nsteps;

	for (i = 0; i < ch->nchanged; i++) {
		idx[i] = ch->rk[i].idx;
		step_of[i] = (size_t)-1;
	}
	plan_file_groups(p, idx, ch->nchanged, group);
	for (i = 0; i < ch->nchanged; i++) {
		struct plan_refres *rr = &p->refs[ch->rk[i].idx];

		if ((rr->ref->type == PLAN_REF_CONNECTOR) != connectors ||
		    join_file_step(bl, step_of, group[i], rr, ch->rk[i].idx))
			continue;
		ref_step(bl, rr, ch->rk[i].idx);
	}
	for (i = first; i < p->nsteps; i++) {
		struct plan_step *s = &p->steps[i];
		int endpoint = s->ref->endpoint != NULL;
		size_t k;

		for (k = 0; k < s->nfrefs; k++)
			endpoint |= p->refs[s->frefs[k]].ref->endpoint != NULL;
		if (s->variant == PLAN_V_REBIND_FILE)
			plan_file_step(p, s);
		/* every service with a changed ref has a restart step */
		set_checks(bl, s, s->service, ch->svc_any[s->ref->service], endpoint);
	}
	free(idx);
	free(group);
	free(step_of);
}

/* 3. rebind: binding and file refs on old (pending) or new (done). */
static void
steps_rebind(struct builder *bl, const struct changes *ch)
{
	ref_steps(bl, ch, 0);
}

/* 4. rename: connector refs on old or new. */
static void
steps_rename(struct builder *bl, const struct changes *ch)
{
	ref_steps(bl, ch, 1);
}

/* 5. restart: each service with a changed ref, in dependency order over all hosts. */
static void
steps_restart(struct builder *bl, const struct changes *ch)
{
	const struct plan_config *cfg = bl->cfg;
	struct svckey *sk = services_sorted(cfg, cmp_svc_rank);
	size_t i, j;

	for (i = 0; i < cfg->nservices; i++) {
		const struct plan_service *svc = &cfg->services[sk[i].idx];
		const struct plan_host *h = &cfg->hosts[svc->host];
		const struct plan_hooks *chain[2] = { &h->hooks, &cfg->rotation.hooks };
		struct cr_buf after = CR_BUF_INIT;
		struct plan_step *s;

		if (!ch->svc_any[sk[i].idx])
			continue;
		s = new_step(bl, PLAN_V_RESTART, h->name);
		s->host_cfg = h;
		s->service = svc;
		s->done = !ch->svc_pending[sk[i].idx];
		s->test = plan_service_test(svc, &s->test_is_default);
		set_action(s, hook(&svc->hooks, PLAN_RESTART, 0), hook(&svc->hooks, PLAN_RESTART, 1),
		    chain, 2, 0);
		for (j = 0; j < svc->ndepends; j++)
			cr_buf_addf(&after, "%s%s", j ? ", " : " (after ", svc->depends[j]);
		if (svc->ndepends > 0)
			cr_buf_addf(&after, ")");
		s->description = cr_xasprintf("restart or reload %s on %s so that the change takes "
		    "effect%s", svc->name, h->name, cr_buf_str(&after));
		cr_buf_release(&after);
		set_checks(bl, s, svc, 1, ch->svc_endpoint[sk[i].idx]);
	}
	free(sk);
}

/* Whether any ref has an endpoint: one still serving the old certificate blocks retire. */
static int
any_endpoint(const struct plan *p)
{
	size_t i;

	for (i = 0; i < p->nrefs; i++)
		if (p->refs[i].ref->endpoint != NULL)
			return 1;
	return 0;
}

/*
 * 6a. retire on each host whose refs held the old certificate by binding or
 * connector (the hosts of the import steps), by name: the old certificate
 * leaves the host's store by its run_retire hook (else the rotation's),
 * else by hand.  Always pending: a host's store cannot be seen from here.
 */
static void
retire_hosts(struct builder *bl, const struct changes *ch, int endpoint)
{
	const struct plan_config *cfg = bl->cfg;
	const struct plan_hooks *chain[1] = { &cfg->rotation.hooks };
	struct plan_step *s;
	size_t i;

	for (i = 0; i < cfg->nhosts; i++) {
		const struct plan_host *h = &cfg->hosts[i];

		if (!ch->host_any[i])
			continue;
		s = new_step(bl, PLAN_V_RETIRE_HOST, h->name);
		s->host_cfg = h;
		set_action(s, hook(&h->hooks, PLAN_RETIRE, 0), hook(&h->hooks, PLAN_RETIRE, 1),
		    chain, 1, 0);
		s->description = cr_xasprintf("remove the old certificate from the certificate store "
		    "of %s once nothing refers to it", h->name);
		set_checks(bl, s, NULL, 0, endpoint);
	}
}

/* 6b. retire on the token holding the old certificate (native): archive, then destroy. */
static void
retire_token(struct builder *bl, const char *place, int endpoint)
{
	const struct plan_rotation *rot = &bl->cfg->rotation;
	const char *token = place + strlen("token:");
	struct plan_step *s = new_step(bl, PLAN_V_RETIRE_TOKEN, place);

	s->action = PLAN_NATIVE;
	if (rot->retire == PLAN_RETIRE_ARCHIVE)
		s->description = cr_xasprintf("archive the old certificate (DER and PEM) in '%s', "
		    "then remove it from token '%s'", rot->archive_dir_text, token);
	else
		s->description = cr_xasprintf("remove the old certificate from token '%s' (retire = "
		    "delete: no archive copy)", token);
	set_checks(bl, s, NULL, 0, endpoint);
}

/*
 * 6. retire (SPEC 5 row 6): each host that held the old certificate, then
 * the token that holds it - the source of the copies last.  None with
 * retire = keep.  A protected old certificate keeps its steps: they are
 * blocked by retire.protected, so that a thumbprint pasted into `protect`
 * by mistake shows instead of silently dropping the retirement.  An old
 * certificate read from a file or an endpoint has no native retire: the
 * file is only read.
 */
static void
steps_retire(struct builder *bl, const struct changes *ch)
{
	const struct plan_rotation *rot = &bl->cfg->rotation;
	struct plan *p = bl->plan;
	int endpoint = any_endpoint(p);
	char *place;

	if (rot->retire == PLAN_RETIRE_KEEP) {
		plan_add_note(p, cr_xstrdup("retire = keep: the old certificate stays where it is "
		    "(no retire step)"));
		return;
	}
	retire_hosts(bl, ch, endpoint);
	place = old_token(bl->in);
	if (place != NULL)
		retire_token(bl, place, endpoint);
	else
		plan_add_note(p, cr_xasprintf("the old certificate is read from '%s': rotation.old is "
		    "only read, never moved or deleted (no retire step for it)",
		    bl->in->old->source ? bl->in->old->source : rot->old));
	free(place);
}

/* The builders of SPEC 5's step types, in plan order. */
static void (*const step_builders[PLAN_NSTEPTYPES])(struct builder *, const struct changes *) = {
	[PLAN_IMPORT] = steps_import,
	[PLAN_GRANT] = steps_grant,
	[PLAN_REBIND] = steps_rebind,
	[PLAN_RENAME] = steps_rename,
	[PLAN_RESTART] = steps_restart,
	[PLAN_RETIRE] = steps_retire,
};


/*
 * A ref id as it appears in step ids (SPEC 5): ASCII letters lower-cased,
 * digits, '.', '_' and '-' kept, every other run of characters (blanks,
 * punctuation, anything beyond ASCII) one '-', none at either end; "ref"
 * when nothing is left.  "Default Frontend EXCH01" -> "default-frontend-exch01".
 * New string.
 */
static char *
ref_slug(const char *id)
{
	struct cr_buf b = CR_BUF_INIT;
	const char *p;
	int gap = 0;

	for (p = id; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c >= 0x80 || (!isalnum(c) && c != '.' && c != '_' && c != '-')) {
			gap = 1;
			continue;
		}
		if (gap && b.len > 0)
			cr_buf_addc(&b, '-');
		gap = 0;
		cr_buf_addc(&b, (char)tolower(c));
	}
	if (b.len == 0)
		cr_buf_adds(&b, "ref");
	return cr_buf_detach(&b);
}

/*
 * The host part of a step id: a host's name as configured (letters,
 * digits, '.', '_', '-'), or a pseudo-host "token:LABEL" / "local" with the
 * token's label slugged like a ref id - a label is whatever the token says
 * ("Edge HSM 1"), and a step id must stay one word a journal, a shell and
 * `--only` can carry.
 */
static char *
host_slug(const char *host)
{
	char *slug, *s;

	if (strncmp(host, "token:", 6) != 0)
		return cr_xstrdup(host);
	slug = ref_slug(host + 6);
	s = cr_xasprintf("token:%s", slug);
	free(slug);
	return s;
}

/*
 * NN-type-host[-service[-ref]], NN zero-padded to the width of the count
 * (>= 2).  Ref ids appear slugged (ref_slug); two refs whose slugs meet
 * ("Default Frontend" and "default-frontend") are told apart by "-2",
 * "-3"... on the later one, so that every id without its number is unique.
 */
static void
name_steps(struct plan *p)
{
	struct plan_map seen = PLAN_MAP_INIT;
	char **keys = cr_xcalloc(p->nsteps + 1, sizeof(*keys));
	int width = 2;
	size_t n = p->nsteps, i, k;

	while (n >= 100) {
		width++;
		n /= 10;
	}
	for (i = 0; i < p->nsteps; i++) {
		struct plan_step *s = &p->steps[i];
		const char *type = plan_step_type_name(s->type);
		char *host = host_slug(s->host);

		if (s->ref != NULL) {
			char *slug = ref_slug(s->ref->id);

			keys[i] = cr_xasprintf("%s-%s-%s-%s", type, host, s->service->name, slug);
			for (k = 2; !plan_map_put(&seen, keys[i], i, NULL); k++) {
				free(keys[i]);
				keys[i] = cr_xasprintf("%s-%s-%s-%s-%zu", type, host,
				    s->service->name, slug, k);
			}
			free(slug);
			s->id = cr_xasprintf("%0*zu-%s", width, i + 1, keys[i]);
		} else if (s->service != NULL) {
			s->id = cr_xasprintf("%0*zu-%s-%s-%s", width, i + 1, type, host,
			    s->service->name);
		} else {
			s->id = cr_xasprintf("%0*zu-%s-%s", width, i + 1, type, host);
		}
		free(host);
	}
	plan_map_release(&seen);
	for (i = 0; i < p->nsteps; i++)
		free(keys[i]);
	free(keys);
}

struct plan_shared *
plan_shared_new(const struct plan_inputs *in)
{
	struct plan_shared *sh = cr_xcalloc(1, sizeof(*sh));

	sh->old_ident = crt_ident_of(in->old);
	sh->new_ident = crt_ident_of(in->new);
	sh->old_tls = crt_tls_name(in->old->x509);
	sh->new_tls = crt_tls_name(in->new->x509);
	sh->change = name_change(in->old->x509, in->new->x509);
	return sh;
}

int
plan_steps_build(struct plan *p)
{
	struct builder bl = { p->cfg, p->in, p, p->priv, 0 };
	struct changes ch;
	size_t t;

	changes_find(&bl, &ch);
	for (t = 0; t < PLAN_NSTEPTYPES; t++)
		step_builders[t](&bl, &ch);
	changes_release(&ch);
	name_steps(p);
	return CR_OK;
}
