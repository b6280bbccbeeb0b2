/*
 * planner.c - from configuration and certificates to a plan (SPEC 5): every
 * ref resolved against the known certificates here, the steps built from
 * the resolution in steps.c.
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
	const struct known *near;	/* unknown: the nearest known certificate, or NULL */
	char *near_why;
};

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
	plan_keyidx_add(&pl->byname, plan_cert_name_key(c), pl->nk);
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

/* Where a role stands in lists for people: old, new, protected, other. */
static int
role_rank(const struct known *k)
{
	return k->role == ROLE_OLD ? 0 : k->role == ROLE_NEW ? 1 : k->protected ? 2 : 3;
}

/*
 * The order of the certificates an identity matches: by role, then by
 * source (a token object's URI names its label), then by SHA-256 - never
 * the token's object order, which differs from one process to the next.
 */
static int
cmp_match(const void *a, const void *b)
{
	const struct known *x = *(const struct known *const *)a;
	const struct known *y = *(const struct known *const *)b;
	int c = role_rank(x) - role_rank(y);

	if (c != 0)
		return c;
	c = strcmp(x->c->source ? x->c->source : "", y->c->source ? y->c->source : "");
	if (c != 0)
		return c;
	return memcmp(x->c->sha256, y->c->sha256, sizeof(x->c->sha256));
}

/* The known certificates id (a hash or name) matches, sorted (cmp_match).  *n set. */
static const struct known **
matches_of(struct planner *pl, const struct crt_ident *id, size_t *n)
{
	const struct known **m = NULL;
	const struct plan_keyidx *idx;
	size_t e, cap = 0;

	*n = 0;
	for (e = candidates(pl, id, &idx); e != PLAN_KEYIDX_END; e = idx->e[e].next) {
		const struct known *k = &pl->k[idx->e[e].val];

		if (!crt_ident_matches(id, k->c))
			continue;
		cr_grow(&m, &cap, *n + 1, sizeof(*m));
		m[(*n)++] = k;
	}
	plan_sort(m, *n, sizeof(*m), cmp_match);
	return m;
}

/* "'TEXT' matches 3 known certificates (old sha1:.., other sha1:..): treated as old; ..." */
static char *
ambiguity_note(const char *text, const struct known *const *m, size_t n, enum plan_denotes d)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i;

	if (n == 2 && m[0]->role == ROLE_OLD && m[1]->role == ROLE_NEW) {
		cr_buf_adds(&b, "name matches both the old and the new certificate "
		    "(same issuer and subject): treated as old; the service may pick either "
		    "until the old one is retired");
		return cr_buf_detach(&b);
	}
	cr_buf_addf(&b, "'%s' matches %zu known certificates (", text, n);
	for (i = 0; i < n && i < 8; i++) {
		char *s = plan_short_ident(m[i]->c);

		cr_buf_addf(&b, "%s%s %s", i ? ", " : "", role_word(m[i]), s);
		free(s);
	}
	if (n > 8)
		cr_buf_adds(&b, ", ...");
	cr_buf_addf(&b, "): treated as %s; the service may pick any of them", plan_denotes_name(d));
	return cr_buf_detach(&b);
}

static enum plan_denotes
denotes_of(const struct known *k)
{
	return k->role == ROLE_OLD ? PLAN_DENOTES_OLD : k->role == ROLE_NEW ? PLAN_DENOTES_NEW :
	    k->protected ? PLAN_DENOTES_PROTECTED : PLAN_DENOTES_OTHER;
}

/*
 * The known certificate an identity that matches none is a near miss of,
 * the first in cmp_match's order (old before new before the others), with
 * how it is near in *why; NULL when none is.
 */
static const struct known *
nearest(const struct planner *pl, const struct crt_ident *id, char **why)
{
	const struct known *best = NULL;
	size_t i;

	*why = NULL;
	for (i = 0; i < pl->nk; i++) {
		const struct known *k = &pl->k[i];
		char *w;

		if (best != NULL && cmp_match(&k, &best) >= 0)
			continue;
		if ((w = plan_near_miss(id, k->c)) == NULL)
			continue;
		free(*why);
		*why = w;
		best = k;
	}
	return best;
}

/*
 * Resolves one identity (text as written) against the known certificates:
 * the first of its matches in cmp_match's order decides (old before new
 * before protected before the others).
 */
static void
resolve(struct planner *pl, const struct crt_ident *id, const char *text, struct resolution *out)
{
	const struct known **m = NULL;
	const struct known *one[1];
	const struct known *const *match = one;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (id->kind == CRT_ID_SOURCE) {
		const char *error;
		const struct crt_cert *c = source_cert(pl, plan_ident_source(id, text), &error);

		if (c == NULL) {
			out->note = error ? cr_xasprintf("cannot resolve '%s': %s: the planner cannot "
			    "tell whether it must move", text, error) :
			    cr_xasprintf("source '%s' was not loaded", text);
			return;
		}
		if ((one[0] = known_of(pl, c)) == NULL) {
			out->denotes = PLAN_DENOTES_OTHER;
			out->cert = c;
			out->nmatch = 1;
			return;
		}
		n = 1;
	} else {
		match = m = matches_of(pl, id, &n);
	}
	out->nmatch = n;
	if (n > 0) {
		out->cert = match[0]->c;
		out->denotes = denotes_of(match[0]);
	} else if (protect_equal(pl, id)) {
		out->denotes = PLAN_DENOTES_PROTECTED;
	} else if ((out->near = nearest(pl, id, &out->near_why)) != NULL) {
		char *ident = crt_ident_of(out->near->c);

		out->note = cr_xasprintf("'%s' matches none of the %zu known certificates "
		    "(old, new and those beside them): the planner cannot tell whether it must move; "
		    "it is near the %s certificate %s: %s", text, pl->nk, role_word(out->near),
		    ident, out->near_why);
		free(ident);
	} else {
		out->note = cr_xasprintf("'%s' matches none of the %zu known certificates "
		    "(old, new and those beside them): the planner cannot tell whether it must move",
		    text, pl->nk);
	}
	if (n > 1)
		out->note = ambiguity_note(text, match, n, out->denotes);
	free(m);
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

char *
plan_short_ident(const struct crt_cert *c)
{
	char *hex = cr_hex_upper(c->sha1, sizeof(c->sha1));
	char *s = cr_xasprintf("sha1:%.8s\xe2\x80\xa6%s", hex, hex + 36);

	free(hex);
	return s;
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
	p->priv = plan_shared_new(in);

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
			if (res->near != NULL) {
				rr->near = res->near->c;
				rr->near_role = denotes_of(res->near);
				rr->near_why = cr_xstrdup(res->near_why);
			}
			if (rr->note != NULL)
				plan_add_note(p, cr_xasprintf("%s/%s/%s: %s", rr->host->name, svc->name,
				    rr->ref->id, rr->note));
			else if (rr->denotes == PLAN_DENOTES_PROTECTED)
				plan_add_note(p, cr_xasprintf("%s/%s/%s: denotes a protected certificate: "
				    "left alone", rr->host->name, svc->name, rr->ref->id));
			else if (rr->denotes == PLAN_DENOTES_OTHER) {
				char *id = plan_short_ident(rr->cert);

				plan_add_note(p, cr_xasprintf("%s/%s/%s: denotes another certificate (%s): "
				    "left alone", rr->host->name, svc->name, rr->ref->id, id));
				free(id);
			}
		}
	}

	if ((r = plan_steps_build(p)) != CR_OK)
		goto out;
	*out = p;
	p = NULL;
	r = CR_OK;
out:
	for (i = 0; i < pl.nres; i++) {
		free(pl.res[i].note);
		free(pl.res[i].near_why);
	}
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
		free(s->frefs);
		free(s->writes);
	}
	plan_shared_free(p->priv);
	free(p->steps);
	for (i = 0; i < p->nrefs; i++) {
		free(p->refs[i].note);
		free(p->refs[i].near_why);
	}
	free(p->refs);
	for (i = 0; i < p->nnotes; i++)
		free(p->notes[i]);
	free(p->notes);
	free(p);
}
