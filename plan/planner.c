/*
 * planner.c - from configuration and certificates to ordered steps (SPEC 5).
 *
 * Pure: reads only its arguments.  Everything that grows with the
 * inventory goes through a hash map or a sort, so a 20,000-ref plan costs
 * O(refs log refs) plus one resolution (an index lookup) per distinct
 * identity, however many distinct certificates there are.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "plan.h"
#include "internal.h"
#include "map.h"
#include "../common/util.h"
#include "../cert/dn.h"
#include "../cert/ident.h"

const char *
plan_denotes_name(enum plan_denotes d)
{
	switch (d) {
	case PLAN_DENOTES_UNKNOWN: return "unknown";
	case PLAN_DENOTES_OLD: return "old";
	case PLAN_DENOTES_NEW: return "new";
	case PLAN_DENOTES_PROTECTED: return "protected";
	case PLAN_DENOTES_OTHER: return "other";
	}
	return "?";
}

const char *
plan_action_name(enum plan_action a)
{
	switch (a) {
	case PLAN_NATIVE: return "native";
	case PLAN_COMMAND: return "command";
	case PLAN_MANUAL: return "manual";
	}
	return "?";
}

/* ---- known certificates and resolution ----------------------------------- */

enum role { ROLE_OLD, ROLE_NEW, ROLE_OTHER };

struct known {
	const struct crt_cert *c;
	enum role role;
	int protected;
};

/* The result of resolving one distinct identity text. */
struct resolution {
	enum plan_denotes denotes;
	const struct crt_cert *cert;
	size_t nmatch;
	char *note;
};

/*
 * What steps share (owned by the plan, freed by plan_free): the identities
 * and names of old and new, what changed between their names, and one
 * check-id list per (variant, applicable conditions) - 25,000 steps need
 * only a few dozen distinct lists.
 */
#define NWHEN 16
struct shared {
	char *old_ident, *new_ident;	/* "sha1:HEX" */
	char *old_tls, *new_tls;	/* "<I>..<S>.." */
	char *change;			/* NULL when the names are equal */
	enum plan_check *lists[PLAN_NVARIANTS][NWHEN][2];
	size_t nlist[PLAN_NVARIANTS][NWHEN][2];
};

static void
shared_free(struct shared *sh)
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
			free((void *)sh->lists[v][w][0]);
			free((void *)sh->lists[v][w][1]);
		}
	free(sh);
}

struct planner {
	const struct plan_config *cfg;
	const struct plan_inputs *in;
	struct plan *plan;
	struct known *k;
	size_t nk;
	/* the known certificates by SHA-256 (one each), SHA-1 and name key */
	struct plan_keyidx by256, by1, byname;
	/* the protect entries that are hashes or names, by hash / name key */
	struct plan_keyidx prot1, prot256, protname;
	struct plan_map sources;	/* source text -> index into in->sources */
	struct plan_map memo;		/* identity text -> index into res */
	struct resolution *res;
	size_t nres, capres;
	struct shared *sh;		/* == plan->priv */
	size_t capsteps;
};

static const struct crt_cert *
source_cert(const struct planner *pl, const char *text, const char **error)
{
	size_t i;

	*error = NULL;
	if (!plan_map_get(&pl->sources, text, &i))
		return NULL;
	*error = pl->in->sources[i].error;
	return pl->in->sources[i].cert;
}

/* The known certificate that is c (same DER), or NULL. */
static struct known *
known_of(struct planner *pl, const struct crt_cert *c)
{
	char *key = plan_hash_key(c->sha256, sizeof(c->sha256));
	size_t e = plan_keyidx_find(&pl->by256, key);

	free(key);
	return e == PLAN_KEYIDX_END ? NULL : &pl->k[pl->by256.e[e].val];
}

static void
add_known(struct planner *pl, const struct crt_cert *c, enum role role)
{
	if (known_of(pl, c) != NULL)
		return;
	plan_grow_implied(&pl->k, pl->nk, sizeof(*pl->k));
	pl->k[pl->nk].c = c;
	pl->k[pl->nk].role = role;
	pl->k[pl->nk].protected = 0;
	plan_keyidx_add(&pl->by256, plan_hash_key(c->sha256, sizeof(c->sha256)), pl->nk);
	plan_keyidx_add(&pl->by1, plan_hash_key(c->sha1, sizeof(c->sha1)), pl->nk);
	plan_keyidx_add(&pl->byname, plan_cert_name_key(c->x509), pl->nk);
	pl->nk++;
}

/*
 * The first entry, in the index of its kind, of the known certificates a
 * hash or name identity may denote (confirm each with crt_ident_matches), or
 * PLAN_KEYIDX_END; *idx is that index.
 */
static size_t
candidates(const struct planner *pl, const struct crt_ident *id, const struct plan_keyidx **idx)
{
	char *key;
	size_t e;

	switch (id->kind) {
	case CRT_ID_SHA1:
		*idx = &pl->by1;
		key = plan_hash_key(id->hash, 20);
		break;
	case CRT_ID_SHA256:
		*idx = &pl->by256;
		key = plan_hash_key(id->hash, 32);
		break;
	case CRT_ID_NAME:
		*idx = &pl->byname;
		key = plan_name_key(&id->issuer, &id->subject);
		break;
	default:
		*idx = NULL;
		return PLAN_KEYIDX_END;
	}
	e = plan_keyidx_find(*idx, key);
	free(key);
	return e;
}

static void
protect_known(struct planner *pl, struct known *k, const struct plan_protect *pr)
{
	if (k->protected)
		return;
	k->protected = 1;
	if (k->role == ROLE_OLD && pl->plan->old_protect == NULL)
		pl->plan->old_protect = pr;
}

/*
 * Marks the known certificates that a protect entry covers, and indexes
 * the protect entries that are hashes or names (for protect_equal).
 */
static void
mark_protected(struct planner *pl)
{
	const struct plan_config *cfg = pl->cfg;
	size_t i, e;

	for (i = 0; i < cfg->nprotect; i++) {
		const struct plan_protect *pr = &cfg->protect[i];
		const struct plan_keyidx *idx;

		switch (pr->ident.kind) {
		case CRT_ID_SHA1:
			plan_keyidx_add(&pl->prot1, plan_hash_key(pr->ident.hash, 20), i);
			break;
		case CRT_ID_SHA256:
			plan_keyidx_add(&pl->prot256, plan_hash_key(pr->ident.hash, 32), i);
			break;
		case CRT_ID_NAME:
			plan_keyidx_add(&pl->protname, plan_name_key(&pr->ident.issuer,
			    &pr->ident.subject), i);
			break;
		default:
			break;
		}
		if (pr->ident.kind == CRT_ID_SOURCE) {
			const char *error;
			const struct crt_cert *c = source_cert(pl,
			    plan_ident_source(&pr->ident, pr->text), &error);

			if (c == NULL)
				continue;
			add_known(pl, c, ROLE_OTHER);
			protect_known(pl, known_of(pl, c), pr);
			continue;
		}
		for (e = candidates(pl, &pr->ident, &idx); e != PLAN_KEYIDX_END; e = idx->e[e].next)
			if (crt_ident_matches(&pr->ident, pl->k[idx->e[e].val].c))
				protect_known(pl, &pl->k[idx->e[e].val], pr);
	}
}

/* A hash or name identity equal to a protect entry's (for unknown certificates). */
static int
protect_equal(const struct planner *pl, const struct crt_ident *id)
{
	const struct plan_config *cfg = pl->cfg;
	const struct plan_keyidx *idx;
	char *key;
	size_t e;
	int eq = 0;

	switch (id->kind) {
	case CRT_ID_SHA1:
		idx = &pl->prot1;
		key = plan_hash_key(id->hash, 20);
		break;
	case CRT_ID_SHA256:
		idx = &pl->prot256;
		key = plan_hash_key(id->hash, 32);
		break;
	case CRT_ID_NAME:
		idx = &pl->protname;
		key = plan_name_key(&id->issuer, &id->subject);
		break;
	default:
		return 0;
	}
	/* equal hash keys are equal hashes; names with one key are confirmed */
	for (e = plan_keyidx_find(idx, key); e != PLAN_KEYIDX_END && !eq; e = idx->e[e].next) {
		const struct crt_ident *p = &cfg->protect[idx->e[e].val].ident;

		eq = id->kind != CRT_ID_NAME || (crt_dn_equal(&p->issuer, &id->issuer) &&
		    crt_dn_equal(&p->subject, &id->subject));
	}
	free(key);
	return eq;
}

static const char *
role_word(const struct known *k)
{
	return k->role == ROLE_OLD ? "old" : k->role == ROLE_NEW ? "new" :
	    k->protected ? "protected" : "other";
}

/* Resolves one identity (text as written) against the known certificates. */
static void
resolve(struct planner *pl, const struct crt_ident *id, const char *text, struct resolution *out)
{
	const struct known *match[8];
	const struct known *first_old = NULL, *first_new = NULL, *first_prot = NULL, *first = NULL;
	size_t i, n = 0;

	memset(out, 0, sizeof(*out));
	if (id->kind == CRT_ID_SOURCE) {
		const char *error;
		const struct crt_cert *c = source_cert(pl, plan_ident_source(id, text), &error);

		if (c == NULL) {
			out->note = error ? cr_xasprintf("cannot resolve '%s': %s", text, error) :
			    cr_xasprintf("source '%s' was not loaded", text);
			return;
		}
		first = known_of(pl, c);
		if (first == NULL) {
			out->denotes = PLAN_DENOTES_OTHER;
			out->cert = c;
			out->nmatch = 1;
			return;
		}
		match[0] = first;
		n = 1;
	} else {
		const struct plan_keyidx *idx;
		size_t e;

		/* in the order the certificates became known: old, new, then the others */
		for (e = candidates(pl, id, &idx); e != PLAN_KEYIDX_END; e = idx->e[e].next) {
			const struct known *k = &pl->k[idx->e[e].val];

			if (!crt_ident_matches(id, k->c))
				continue;
			if (n < sizeof(match) / sizeof(match[0]))
				match[n] = k;
			n++;
		}
	}
	out->nmatch = n;
	for (i = 0; i < n && i < sizeof(match) / sizeof(match[0]); i++) {
		if (match[i]->role == ROLE_OLD)
			first_old = match[i];
		else if (match[i]->role == ROLE_NEW)
			first_new = match[i];
		else if (match[i]->protected && first_prot == NULL)
			first_prot = match[i];
		if (first == NULL)
			first = match[i];
	}
	if (first_old != NULL) {
		out->denotes = PLAN_DENOTES_OLD;
		out->cert = first_old->c;
	} else if (first_new != NULL) {
		out->denotes = PLAN_DENOTES_NEW;
		out->cert = first_new->c;
	} else if (first_prot != NULL) {
		out->denotes = PLAN_DENOTES_PROTECTED;
		out->cert = first_prot->c;
	} else if (first != NULL) {
		out->denotes = PLAN_DENOTES_OTHER;
		out->cert = first->c;
	} else if (protect_equal(pl, id)) {
		out->denotes = PLAN_DENOTES_PROTECTED;
	} else {
		out->note = cr_xasprintf("'%s' matches none of the %zu known certificates "
		    "(old, new and those beside them): the planner cannot tell whether it must move",
		    text, pl->nk);
		return;
	}
	if (n > 1) {
		struct cr_buf b = CR_BUF_INIT;

		if (first_old != NULL && first_new != NULL && n == 2)
			cr_buf_adds(&b, "name matches both the old and the new certificate "
			    "(same issuer and subject): treated as old; the service may pick either "
			    "until the old one is retired");
		else {
			cr_buf_addf(&b, "'%s' matches %zu known certificates (", text, n);
			for (i = 0; i < n && i < sizeof(match) / sizeof(match[0]); i++) {
				char *s = plan_short_ident(match[i]->c);

				cr_buf_addf(&b, "%s%s %s", i ? ", " : "", role_word(match[i]), s);
				free(s);
			}
			if (n > sizeof(match) / sizeof(match[0]))
				cr_buf_adds(&b, ", ...");
			cr_buf_addf(&b, "): treated as %s; the service may pick any of them",
			    plan_denotes_name(out->denotes));
		}
		out->note = cr_buf_detach(&b);
	}
}

static const struct resolution *
resolve_memo(struct planner *pl, const struct plan_ref *ref)
{
	size_t i;

	if (plan_map_get(&pl->memo, ref->cert, &i))
		return &pl->res[i];
	cr_grow(&pl->res, &pl->capres, pl->nres + 1, sizeof(*pl->res));
	resolve(pl, &ref->ident, ref->cert, &pl->res[pl->nres]);
	plan_map_put(&pl->memo, ref->cert, pl->nres, NULL);
	return &pl->res[pl->nres++];
}

/* ---- helpers for steps ------------------------------------------------------ */

char *
plan_short_ident(const struct crt_cert *c)
{
	char *hex = cr_hex_upper(c->sha1, sizeof(c->sha1));
	char *s = cr_xasprintf("sha1:%.8s\xe2\x80\xa6%s", hex, hex + 36);

	free(hex);
	return s;
}

static void
add_note(struct plan *p, char *note)
{
	plan_grow_implied(&p->notes, p->nnotes, sizeof(*p->notes));
	p->notes[p->nnotes++] = note;
}

static struct plan_step *
new_step(struct planner *pl, enum plan_variant v, const char *host)
{
	struct plan *p = pl->plan;
	struct plan_step *s;

	cr_grow(&p->steps, &pl->capsteps, p->nsteps + 1, sizeof(*p->steps));
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

/* The conditions of enum plan_when that hold for a step, as a bit set. */
enum { W_ENDPOINT = 1, W_NAMES = 2, W_NO_RESTART = 4, W_KEY_PATH = 8 };

static int
applies(enum plan_when w, unsigned flags)
{
	switch (w) {
	case PLAN_WHEN_ALWAYS: return 1;
	case PLAN_WHEN_ENDPOINT: return (flags & W_ENDPOINT) != 0;
	case PLAN_WHEN_NAMES: return (flags & W_NAMES) != 0;
	case PLAN_WHEN_NO_RESTART: return (flags & W_NO_RESTART) && (flags & W_ENDPOINT);
	case PLAN_WHEN_KEY_PATH: return (flags & W_KEY_PATH) != 0;
	}
	return 0;
}

static void
set_checks(struct planner *pl, struct plan_step *s, const struct plan_service *svc,
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
	if (s->ref != NULL && s->ref->key_path != NULL)
		flags |= W_KEY_PATH;
	for (k = 0; k < 2; k++) {
		const struct plan_check_use *use = k == 0 ? t->pre : t->verify;
		enum plan_check **list = &pl->sh->lists[s->variant][flags][k];
		size_t *n = &pl->sh->nlist[s->variant][flags][k];

		if (*list == NULL) {
			*list = cr_xcalloc(PLAN_MAX_CHECKS, sizeof(**list));
			for (i = 0; i < PLAN_MAX_CHECKS && use[i].id != PLAN_CHK_NONE; i++)
				if (applies(use[i].when, flags))
					(*list)[(*n)++] = use[i].id;
		}
		if (k == 0) {
			s->pre = *list;
			s->npre = *n;
		} else {
			s->verify = *list;
			s->nverify = *n;
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

/* Where the old certificate lives, as a pseudo-host: "token:LABEL" or "local". */
static char *
old_place(const struct plan_inputs *in, int *on_token, int *is_file)
{
	const struct crt_cert *old = in->old;
	const char *src = old->source ? old->source : "";
	char *label;

	*on_token = *is_file = 0;
	if (old->token != NULL && old->token->token_label != NULL) {
		*on_token = 1;
		return cr_xasprintf("token:%s", old->token->token_label);
	}
	if (strncasecmp(src, "pkcs11:", 7) == 0) {
		*on_token = 1;
		label = plan_uri_attr(src, "token");
		if (label != NULL) {
			char *s = cr_xasprintf("token:%s", label);

			free(label);
			return s;
		}
		return cr_xstrdup("token:");
	}
	*is_file = strncasecmp(src, "tls://", 6) != 0;
	return cr_xstrdup("local");
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
ref_step(struct planner *pl, struct plan_refres *rr, size_t ridx, int has_restart_unused)
{
	const struct plan_config *cfg = pl->cfg;
	const struct plan_ref *ref = rr->ref;
	const struct plan_service *svc = rr->service;
	const struct plan_host *host = rr->host;
	const struct plan_hooks *chain[3] = { &svc->hooks, &host->hooks, &cfg->rotation.hooks };
	enum plan_variant v;
	struct plan_step *s;
	char *where;

	(void)has_restart_unused;
	v = ref->type == PLAN_REF_CONNECTOR ? PLAN_V_RENAME :
	    ref->type == PLAN_REF_FILE ? PLAN_V_REBIND_FILE : PLAN_V_REBIND_BINDING;
	s = new_step(pl, v, host->name);
	s->host_cfg = host;
	s->service = svc;
	s->ref = ref;
	s->res = &pl->plan->refs[ridx];
	s->done = rr->denotes == PLAN_DENOTES_NEW;
	rr->step = (long)(pl->plan->nsteps - 1);
	set_action(s, ref->run.v ? &ref->run : NULL, ref->undo.v ? &ref->undo : NULL, chain, 3,
	    v == PLAN_V_REBIND_FILE);
	where = ref_where(ref);
	switch (v) {
	case PLAN_V_REBIND_FILE:
		s->from = pl->sh->old_ident;
		s->to = pl->sh->new_ident;
		if (ref->key_path != NULL)
			s->description = cr_xasprintf("install the new certificate and chain in '%s' "
			    "and the new key in '%s'%s", ref->file_path_text, ref->key_path_text, where);
		else
			s->description = cr_xasprintf("install the new certificate and chain in '%s'%s",
			    ref->file_path_text, where);
		break;
	case PLAN_V_RENAME:
		s->from = ref->ident.kind == CRT_ID_NAME ? ref->cert + strlen("name:") :
		    pl->sh->old_tls;
		s->to = pl->sh->new_tls;
		s->change = pl->sh->change;
		if (s->change == NULL)
			s->description = cr_xasprintf("connector '%s'%s: its name <I>issuer<S>subject "
			    "stays the same (old and new share it); verify the service selects the new "
			    "certificate", ref->id, where);
		else
			s->description = cr_xasprintf("set connector '%s'%s to the new certificate's "
			    "name (%s)", ref->id, where, s->change);
		break;
	default:
		s->from = pl->sh->old_ident;
		s->to = pl->sh->new_ident;
		s->description = cr_xasprintf("point binding '%s'%s at the new certificate",
		    ref->id, where);
		break;
	}
	free(where);
}

static int
build_steps(struct planner *pl)
{
	const struct plan_config *cfg = pl->cfg;
	struct plan *p = pl->plan;
	size_t nh = cfg->nhosts, ns = cfg->nservices, i, j, nchanged = 0;
	unsigned char *host_any = cr_xcalloc(nh ? nh : 1, 1);	/* binding/connector on old or new */
	unsigned char *host_pending = cr_xcalloc(nh ? nh : 1, 1);
	unsigned char *svc_any = cr_xcalloc(ns ? ns : 1, 1);
	unsigned char *svc_pending = cr_xcalloc(ns ? ns : 1, 1);
	unsigned char *svc_endpoint = cr_xcalloc(ns ? ns : 1, 1);
	struct refkey *rk = cr_xcalloc(p->nrefs ? p->nrefs : 1, sizeof(*rk));
	struct svckey *sk = cr_xcalloc(ns ? ns : 1, sizeof(*sk));
	struct plan_map grants = PLAN_MAP_INIT;
	char **grant_keys = NULL;
	size_t ngrant_keys = 0;
	long *restart_of = cr_xcalloc(ns ? ns : 1, sizeof(*restart_of));

	/* what changes where */
	for (i = 0; i < p->nrefs; i++) {
		struct plan_refres *rr = &p->refs[i];
		size_t si = rr->ref->service, hi = cfg->services[si].host;

		if (rr->denotes != PLAN_DENOTES_OLD && rr->denotes != PLAN_DENOTES_NEW)
			continue;
		svc_any[si] = 1;
		if (rr->ref->endpoint != NULL)
			svc_endpoint[si] = 1;
		if (rr->denotes == PLAN_DENOTES_OLD)
			svc_pending[si] = 1;
		if (rr->ref->type != PLAN_REF_FILE) {
			host_any[hi] = 1;
			if (rr->denotes == PLAN_DENOTES_OLD)
				host_pending[hi] = 1;
		}
		rk[nchanged].host = cfg->hosts[hi].name;
		rk[nchanged].rank = cfg->services[si].rank;
		rk[nchanged].id = rr->ref->id;
		rk[nchanged].idx = i;
		nchanged++;
	}
	plan_sort(rk, nchanged, sizeof(*rk), cmp_refkey);
	for (i = 0; i < ns; i++) {
		sk[i].host = cfg->hosts[cfg->services[i].host].name;
		sk[i].rank = cfg->services[i].rank;
		sk[i].idx = i;
		restart_of[i] = -1;
	}

	/* 1. import: the token first, then hosts by name */
	if (cfg->rotation.import_to != NULL) {
		char *h = cr_xasprintf("token:%s", cfg->rotation.import_token);
		struct plan_step *s = new_step(pl, PLAN_V_IMPORT_TOKEN, h);

		free(h);
		s->action = PLAN_NATIVE;
		s->done = pl->in->new_on_import_to == 1;
		{
			char cn[256] = "";

			if (cfg->rotation.label == NULL &&
			    X509_NAME_get_text_by_NID(X509_get_subject_name(pl->in->new->x509),
			    NID_commonName, cn, sizeof(cn)) < 0)
				cn[0] = '\0';
			s->description = cr_xasprintf("store the new certificate on token '%s' beside "
			    "its key, labelled '%s'", cfg->rotation.import_token,
			    cfg->rotation.label ? cfg->rotation.label : cn);
		}
		set_checks(pl, s, NULL, 0, 0);
	}
	for (i = 0; i < nh; i++) {
		const struct plan_hooks *chain[1] = { &cfg->rotation.hooks };
		const struct plan_host *h = &cfg->hosts[i];
		struct plan_step *s;

		if (!host_any[i])
			continue;
		s = new_step(pl, PLAN_V_IMPORT_HOST, h->name);
		s->host_cfg = h;
		s->done = !host_pending[i];
		set_action(s, hook(&h->hooks, PLAN_IMPORT, 0), hook(&h->hooks, PLAN_IMPORT, 1),
		    chain, 1, 0);
		s->description = cr_xasprintf("make the new certificate and its chain available on %s",
		    h->name);
		set_checks(pl, s, NULL, 0, 0);
	}

	/* 2. grant: per (host, account), services by host then dependency rank */
	plan_sort(sk, ns, sizeof(*sk), cmp_svc_host_rank);
	for (i = 0; i < ns; i++) {
		const struct plan_service *svc = &cfg->services[sk[i].idx];
		const struct plan_host *h = &cfg->hosts[svc->host];
		const struct plan_hooks *chain[1] = { &cfg->rotation.hooks };
		struct plan_step *s;
		size_t at;
		char *key;

		if (!svc_any[sk[i].idx] || svc->account == NULL)
			continue;
		key = cr_xasprintf("%zu\x1f%s", svc->host, svc->account);
		if (!plan_map_put(&grants, key, p->nsteps, &at)) {
			s = &p->steps[at];
			plan_grow_implied(&s->services, s->nservices, sizeof(size_t));
			s->services[s->nservices++] = sk[i].idx;
			s->done = s->done && !svc_pending[sk[i].idx];
			free(key);
			continue;
		}
		plan_grow_implied(&grant_keys, ngrant_keys, sizeof(*grant_keys));
		grant_keys[ngrant_keys++] = key;
		s = new_step(pl, PLAN_V_GRANT, h->name);
		s->host_cfg = h;
		s->service = svc;
		s->account = svc->account;
		plan_grow_implied(&s->services, 0, sizeof(size_t));
		s->services[0] = sk[i].idx;
		s->nservices = 1;
		s->done = !svc_pending[sk[i].idx];
		set_action(s, hook(&h->hooks, PLAN_GRANT, 0), hook(&h->hooks, PLAN_GRANT, 1), chain, 1, 0);
	}
	for (i = 0; i < p->nsteps; i++) {
		struct plan_step *s = &p->steps[i];
		struct cr_buf b = CR_BUF_INIT;

		if (s->type != PLAN_GRANT)
			continue;
		for (j = 0; j < s->nservices; j++)
			cr_buf_addf(&b, "%s%s", j ? ", " : "", cfg->services[s->services[j]].name);
		s->description = cr_xasprintf("give '%s' use of the new private key on %s (%s %s)",
		    s->account, s->host, s->nservices > 1 ? "services" : "service", cr_buf_str(&b));
		cr_buf_release(&b);
		set_checks(pl, s, s->service, 0, 0);
	}

	/* which services get a restart step (needed for the endpoint verify rule) */
	for (i = 0; i < ns; i++)
		if (svc_any[i])
			restart_of[i] = 0;

	/* 3. rebind, 4. rename */
	for (j = 0; j < 2; j++) {
		for (i = 0; i < nchanged; i++) {
			struct plan_refres *rr = &p->refs[rk[i].idx];
			int is_conn = rr->ref->type == PLAN_REF_CONNECTOR;

			if ((j == 0) == is_conn)
				continue;
			ref_step(pl, rr, rk[i].idx, 1);
			set_checks(pl, &p->steps[p->nsteps - 1], rr->service,
			    restart_of[rr->ref->service] >= 0, rr->ref->endpoint != NULL);
		}
	}

	/* 5. restart: dependency order over all hosts */
	plan_sort(sk, ns, sizeof(*sk), cmp_svc_rank);
	for (i = 0; i < ns; i++) {
		const struct plan_service *svc = &cfg->services[sk[i].idx];
		const struct plan_host *h = &cfg->hosts[svc->host];
		const struct plan_hooks *chain[2] = { &h->hooks, &cfg->rotation.hooks };
		struct plan_step *s;

		if (!svc_any[sk[i].idx])
			continue;
		s = new_step(pl, PLAN_V_RESTART, h->name);
		s->host_cfg = h;
		s->service = svc;
		s->done = !svc_pending[sk[i].idx];
		set_action(s, hook(&svc->hooks, PLAN_RESTART, 0), hook(&svc->hooks, PLAN_RESTART, 1),
		    chain, 2, 0);
		if (svc->ndepends > 0) {
			struct cr_buf b = CR_BUF_INIT;

			for (j = 0; j < svc->ndepends; j++)
				cr_buf_addf(&b, "%s%s", j ? ", " : "", svc->depends[j]);
			s->description = cr_xasprintf("restart or reload %s on %s so that the change takes "
			    "effect (after %s)", svc->name, h->name, cr_buf_str(&b));
			cr_buf_release(&b);
		} else {
			s->description = cr_xasprintf("restart or reload %s on %s so that the change takes "
			    "effect", svc->name, h->name);
		}
		set_checks(pl, s, svc, 1, svc_endpoint[sk[i].idx]);
	}

	/* 6. retire */
	if (p->old_protected) {
		const struct plan_protect *pr = p->old_protect;

		add_note(p, pr ? cr_xasprintf("the old certificate is protected (%s, line %d): "
		    "no retire step; it stays where it is", pr->path, pr->loc.line) :
		    cr_xstrdup("the old certificate is protected: no retire step"));
	} else {
		int on_token, is_file, any_endpoint = 0;
		char *place = old_place(pl->in, &on_token, &is_file);
		const struct plan_rotation *rot = &cfg->rotation;
		enum plan_variant v;
		struct plan_step *s;
		const char *src = pl->in->old->source ? pl->in->old->source : rot->old;

		if (rot->retire == PLAN_RETIRE_KEEP)
			v = PLAN_V_RETIRE_KEEP;
		else if (rot->hooks.run[PLAN_RETIRE].v != NULL)
			v = PLAN_V_RETIRE_OTHER;
		else if (on_token)
			v = PLAN_V_RETIRE_TOKEN;
		else if (is_file)
			v = PLAN_V_RETIRE_FILE;
		else
			v = PLAN_V_RETIRE_OTHER;
		s = new_step(pl, v, place);
		if (v == PLAN_V_RETIRE_KEEP) {
			s->action = PLAN_NATIVE;
			s->description = cr_xasprintf("keep the old certificate (retire = keep): nothing "
			    "is removed from %s", src);
		} else {
			set_action(s, hook(&rot->hooks, PLAN_RETIRE, 0), hook(&rot->hooks, PLAN_RETIRE, 1),
			    NULL, 0, v != PLAN_V_RETIRE_OTHER);
			if (v == PLAN_V_RETIRE_TOKEN && rot->retire == PLAN_RETIRE_ARCHIVE)
				s->description = cr_xasprintf("archive the old certificate (DER and PEM) in "
				    "'%s', then remove it from token '%s'", rot->archive_dir_text,
				    place + strlen("token:"));
			else if (v == PLAN_V_RETIRE_TOKEN)
				s->description = cr_xasprintf("remove the old certificate from token '%s' "
				    "(retire = delete: no archive copy)", place + strlen("token:"));
			else if (v == PLAN_V_RETIRE_FILE && rot->retire == PLAN_RETIRE_ARCHIVE)
				s->description = cr_xasprintf("move the old certificate '%s' into '%s'",
				    src, rot->archive_dir_text);
			else if (v == PLAN_V_RETIRE_FILE)
				s->description = cr_xasprintf("delete the old certificate '%s' "
				    "(retire = delete)", src);
			else
				s->description = cr_xasprintf("%s the old certificate (%s) once nothing "
				    "refers to it", rot->retire == PLAN_RETIRE_DELETE ? "delete" :
				    "archive and remove", src);
		}
		/* an endpoint still serving the old certificate blocks its retirement */
		for (i = 0; i < p->nrefs && !any_endpoint; i++)
			any_endpoint = p->refs[i].ref->endpoint != NULL;
		set_checks(pl, s, NULL, 0, any_endpoint);
		free(place);
	}

	for (i = 0; i < ngrant_keys; i++)
		free(grant_keys[i]);
	free(grant_keys);
	plan_map_release(&grants);
	free(host_any);
	free(host_pending);
	free(svc_any);
	free(svc_pending);
	free(svc_endpoint);
	free(rk);
	free(sk);
	free(restart_of);
	return CR_OK;
}

/* NN-type-host[-service[-ref]], NN zero-padded to the width of the count (>= 2). */
static void
name_steps(struct plan *p)
{
	int width = 2;
	size_t n = p->nsteps, i;

	while (n >= 100) {
		width++;
		n /= 10;
	}
	for (i = 0; i < p->nsteps; i++) {
		struct plan_step *s = &p->steps[i];
		const char *type = plan_step_type_name(s->type);

		if (s->ref != NULL)
			s->id = cr_xasprintf("%0*zu-%s-%s-%s-%s", width, i + 1, type, s->host,
			    s->service->name, s->ref->id);
		else if (s->service != NULL)
			s->id = cr_xasprintf("%0*zu-%s-%s-%s", width, i + 1, type, s->host,
			    s->service->name);
		else
			s->id = cr_xasprintf("%0*zu-%s-%s", width, i + 1, type, s->host);
	}
}

int
plan_build(const struct plan_config *cfg, const struct plan_inputs *in, struct plan **out,
    struct cr_err *err)
{
	struct planner pl;
	struct plan *p = NULL;
	size_t i, j, k;
	int r = CR_EINPUT;

	*out = NULL;
	memset(&pl, 0, sizeof(pl));
	if (in == NULL || in->old == NULL || in->new == NULL)
		return cr_err_set(err, CR_EINPUT, "plan: the old and the new certificate are needed");
	if (crt_cert_same(in->old, in->new)) {
		char *id = crt_ident_of(in->old);

		r = plan_config_error(err, cfg->rotation.new_loc, "rotation.new",
		    "is the same certificate as rotation.old (%s): nothing to rotate", id);
		free(id);
		return r;
	}
	p = cr_xcalloc(1, sizeof(*p));
	p->cfg = cfg;
	p->in = in;
	pl.cfg = cfg;
	pl.in = in;
	pl.plan = p;
	pl.sh = cr_xcalloc(1, sizeof(*pl.sh));
	p->priv = pl.sh;
	pl.sh->old_ident = crt_ident_of(in->old);
	pl.sh->new_ident = crt_ident_of(in->new);
	pl.sh->old_tls = crt_tls_name(in->old->x509);
	pl.sh->new_tls = crt_tls_name(in->new->x509);
	pl.sh->change = name_change(in->old->x509, in->new->x509);

	for (i = 0; i < in->nsources; i++)
		if (in->sources[i].text != NULL)
			plan_map_put(&pl.sources, in->sources[i].text, i, NULL);
	add_known(&pl, in->old, ROLE_OLD);
	add_known(&pl, in->new, ROLE_NEW);
	for (i = 0; i < in->known.n; i++)
		add_known(&pl, in->known.v[i], ROLE_OTHER);
	mark_protected(&pl);
	p->old_protected = pl.k[0].protected;

	/* resolve every ref, in config order (services by name, refs by id) */
	p->nrefs = cfg->nrefs;
	p->refs = cr_xcalloc(p->nrefs ? p->nrefs : 1, sizeof(*p->refs));
	for (i = k = 0; i < cfg->nservices; i++) {
		const struct plan_service *svc = &cfg->services[i];

		for (j = 0; j < svc->nrefs; j++, k++) {
			struct plan_refres *rr = &p->refs[k];
			const struct resolution *res = resolve_memo(&pl, &svc->refs[j]);

			rr->ref = &svc->refs[j];
			rr->service = svc;
			rr->host = &cfg->hosts[svc->host];
			rr->denotes = res->denotes;
			rr->cert = res->cert;
			rr->nmatch = res->nmatch;
			rr->ambiguous = res->nmatch > 1;
			rr->note = cr_xstrdup(res->note);
			rr->step = -1;
			if (rr->note != NULL)
				add_note(p, cr_xasprintf("%s/%s/%s: %s", rr->host->name, svc->name,
				    rr->ref->id, rr->note));
			else if (rr->denotes == PLAN_DENOTES_PROTECTED)
				add_note(p, cr_xasprintf("%s/%s/%s: denotes a protected certificate: "
				    "left alone", rr->host->name, svc->name, rr->ref->id));
			else if (rr->denotes == PLAN_DENOTES_OTHER) {
				char *id = plan_short_ident(rr->cert);

				add_note(p, cr_xasprintf("%s/%s/%s: denotes another certificate (%s): "
				    "left alone", rr->host->name, svc->name, rr->ref->id, id));
				free(id);
			}
		}
	}

	if ((r = build_steps(&pl)) != CR_OK)
		goto out;
	name_steps(p);
	*out = p;
	p = NULL;
	r = CR_OK;
out:
	for (i = 0; i < pl.nres; i++)
		free(pl.res[i].note);
	free(pl.res);
	free(pl.k);
	plan_keyidx_release(&pl.by256);
	plan_keyidx_release(&pl.by1);
	plan_keyidx_release(&pl.byname);
	plan_keyidx_release(&pl.prot1);
	plan_keyidx_release(&pl.prot256);
	plan_keyidx_release(&pl.protname);
	plan_map_release(&pl.sources);
	plan_map_release(&pl.memo);
	plan_free(p);
	return r;
}

void
plan_free(struct plan *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nsteps; i++) {
		struct plan_step *s = &p->steps[i];

		free(s->id);
		free(s->host);
		free(s->services);
		free(s->description);
	}
	shared_free(p->priv);
	free(p->steps);
	for (i = 0; i < p->nrefs; i++)
		free(p->refs[i].note);
	free(p->refs);
	for (i = 0; i < p->nnotes; i++)
		free(p->notes[i]);
	free(p->notes);
	free(p);
}
