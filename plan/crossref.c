/*
 * crossref.c - the rules across entries (loader.h): names unique where they
 * must be, every `host` and `depends` naming an entry that exists, no
 * dependency cycle; then the model is sorted and services are ranked in
 * dependency order.  Every lookup is through a hash map, so a 2,000-host,
 * 20,000-ref inventory is checked in linear time.
 */
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "internal.h"
#include "../common/util.h"
#include "../cert/dn.h"
#include "../pkcs11/p11.h"

struct cfg_index {
	struct plan_map hosts, services;
};

/* ---- within one list (elem validators) ------------------------------------------ */

/* Starts a list's uniqueness map at its first element. */
static void
scratch_start(struct loader *ld, size_t index)
{
	if (index != 0)
		return;
	plan_map_release(&ld->scratch);
	memset(&ld->scratch, 0, sizeof(ld->scratch));
}

/* A service named twice in one `depends` is a typo for another one, more often than not. */
int
plan_xref_depends_once(struct loader *ld, struct plan_value *v)
{
	size_t first;

	scratch_start(ld, v->index);
	if (!plan_map_put(&ld->scratch, v->text, v->index, &first))
		return plan_ld_fail(ld, v->s, v->path, "duplicate service '%s' (already depends.[%zu])",
		    v->text, first);
	return CR_OK;
}

/* Ref ids are unique within their service (checked as each ref is read). */
int
plan_xref_ref_id_once(struct loader *ld, struct plan_value *v)
{
	const struct plan_service *svc = v->obj;
	const struct plan_ref *ref = &svc->refs[v->index];
	char p[PLAN_PATH_BUF];
	size_t first;

	scratch_start(ld, v->index);
	if (plan_map_put(&ld->scratch, ref->id, v->index, &first))
		return CR_OK;
	return plan_ld_fail(ld, config_setting_get_member(v->s, "id"), plan_ld_path(p, v->path, "id"),
	    "duplicate ref id '%s' in service '%s' (first at line %d)", ref->id, svc->name,
	    svc->refs[first].loc.line);
}

/*
 * Two `tokens` entries for one token (the same token attributes, however
 * written): which module and PIN source would apply is a guess.  Tokens
 * are few: pairs are compared.
 */
int
plan_xref_tokens(struct loader *ld, struct plan_value *v)
{
	struct plan_config *cfg = ld->cfg;
	size_t i, j;

	for (i = 1; i < cfg->ntokens; i++) {
		const struct p11_uri *ui = cfg->tokens[i].src.uri;

		for (j = 0; j < i; j++) {
			const struct p11_uri *uj = cfg->tokens[j].src.uri;
			const config_setting_t *e;
			char p[PLAN_PATH_BUF];

			if (strcmp(cfg->tokens[i].uri, cfg->tokens[j].uri) != 0 &&
			    (ui == NULL || uj == NULL || !p11_uri_token_matches(ui, uj) ||
			    !p11_uri_token_matches(uj, ui)))
				continue;
			e = config_setting_get_elem(v->s, (unsigned)i);
			return plan_ld_fail(ld, config_setting_get_member(e, "uri"),
			    plan_ld_path(p, cfg->tokens[i].path, "uri"), "duplicate token '%s' (first "
			    "at line %d, tokens.[%zu]): one entry per token", cfg->tokens[i].uri,
			    cfg->tokens[j].loc.line, j);
		}
	}
	return CR_OK;
}

/* The key under which protect entries naming the same certificate meet.  New string. */
static char *
protect_key(const struct plan_protect *pr)
{
	const struct crt_ident *id = &pr->ident;
	char *k, *key;

	switch (id->kind) {
	case CRT_ID_SHA1:
		k = plan_hash_key(id->hash, 20);
		key = cr_xasprintf("sha1:%s", k);
		free(k);
		return key;
	case CRT_ID_SHA256:
		k = plan_hash_key(id->hash, 32);
		key = cr_xasprintf("sha256:%s", k);
		free(k);
		return key;
	case CRT_ID_NAME:
		return plan_name_key(&id->issuer, &id->subject);
	default:
		return cr_xasprintf("source:%s", plan_ident_source(id, pr->text));
	}
}

/*
 * A protect entry naming what an earlier one names (the same hash, name or
 * source) protects nothing more: harmless, so a warning - but it is often
 * a copy of the line above that was meant to name another certificate.
 */
int
plan_xref_protect(struct loader *ld, struct plan_value *v)
{
	struct plan_config *cfg = ld->cfg;
	struct plan_keyidx seen = PLAN_KEYIDX_INIT;
	size_t i, e;

	for (i = 0; i < cfg->nprotect; i++) {
		const struct crt_ident *id = &cfg->protect[i].ident;
		char *key = protect_key(&cfg->protect[i]);
		int dup = 0;

		for (e = plan_keyidx_find(&seen, key); e != PLAN_KEYIDX_END && !dup; e = seen.e[e].next) {
			const struct plan_protect *p = &cfg->protect[seen.e[e].val];

			dup = id->kind != CRT_ID_NAME || (crt_dn_equal(&p->ident.issuer, &id->issuer) &&
			    crt_dn_equal(&p->ident.subject, &id->subject));
			if (dup) {
				char *msg = cr_xasprintf("names the same certificate as %s (line %d): listed "
				    "twice - was another certificate meant?", p->path, p->loc.line);

				plan_ld_warn(ld, config_setting_get_elem(v->s, (unsigned)i),
				    cfg->protect[i].path, msg);
				free(msg);
			}
		}
		if (dup)
			free(key);
		else
			plan_keyidx_add(&seen, key, i);
	}
	plan_keyidx_release(&seen);
	return CR_OK;
}

/* ---- names across entries ---------------------------------------------------------- */

/* The nearest of the names of n entries (a char * at `off` of each), for suggestions. */
static const char *
nearest_name(const char *word, const void *arr, size_t n, size_t stride, size_t off)
{
	const char **names = cr_xcalloc(n + 1, sizeof(*names));
	const char *best;
	size_t i;

	for (i = 0; i < n; i++)
		names[i] = *(char *const *)((const char *)arr + i * stride + off);
	best = plan_ld_nearest(word, names, n);
	free((void *)names);
	return best;
}

/* "no host named 'x' (did you mean 'y'?)" / "... in hosts". */
static int
dangling(struct loader *ld, const config_setting_t *s, const char *path, const char *what,
    const char *name, const char *near, const char *list)
{
	if (near != NULL)
		return plan_ld_fail(ld, s, path, "no %s named '%s' (did you mean '%s'?)", what, name,
		    near);
	return plan_ld_fail(ld, s, path, "no %s named '%s' in %s", what, name, list);
}

/* Host and service names unique, in file order. */
static int
check_unique(struct loader *ld, struct plan_map *hosts, struct plan_map *svcs)
{
	struct plan_config *cfg = ld->cfg;
	char p[PLAN_PATH_BUF];
	size_t i, first;

	for (i = 0; i < cfg->nhosts; i++)
		if (!plan_map_put(hosts, cfg->hosts[i].name, i, &first))
			return plan_ld_fail(ld, config_setting_get_member(ld->elems[PLAN_ELEMS_HOSTS][i],
			    "name"), plan_ld_path(p, cfg->hosts[i].path, "name"), "duplicate host '%s' "
			    "(first at line %d)", cfg->hosts[i].name, cfg->hosts[first].loc.line);
	for (i = 0; i < cfg->nservices; i++)
		if (!plan_map_put(svcs, cfg->services[i].name, i, &first))
			return plan_ld_fail(ld, config_setting_get_member(
			    ld->elems[PLAN_ELEMS_SERVICES][i], "name"),
			    plan_ld_path(p, cfg->services[i].path, "name"), "duplicate service '%s' "
			    "(first at line %d)", cfg->services[i].name, cfg->services[first].loc.line);
	return CR_OK;
}

int
plan_xref_names(struct loader *ld)
{
	struct plan_config *cfg = ld->cfg;
	struct plan_map hosts = PLAN_MAP_INIT, svcs = PLAN_MAP_INIT;
	char p[PLAN_PATH_BUF];
	size_t i, j;
	int r;

	if ((r = check_unique(ld, &hosts, &svcs)) != CR_OK)
		goto out;
	for (i = 0; i < cfg->nservices && r == CR_OK; i++) {
		const struct plan_service *svc = &cfg->services[i];
		const config_setting_t *set = ld->elems[PLAN_ELEMS_SERVICES][i];
		const config_setting_t *deps = config_setting_get_member(set, "depends");

		if (!plan_map_get(&hosts, svc->host_name, NULL)) {
			r = dangling(ld, config_setting_get_member(set, "host"),
			    plan_ld_path(p, svc->path, "host"), "host", svc->host_name,
			    nearest_name(svc->host_name, cfg->hosts, cfg->nhosts, sizeof(*cfg->hosts),
			    offsetof(struct plan_host, name)), "hosts");
			break;
		}
		for (j = 0; j < svc->ndepends; j++) {
			if (plan_map_get(&svcs, svc->depends[j], NULL))
				continue;
			snprintf(p, sizeof(p), "%s.depends.[%zu]", svc->path, j);
			r = dangling(ld, config_setting_get_elem(deps, (unsigned)j), p, "service",
			    svc->depends[j], nearest_name(svc->depends[j], cfg->services,
			    cfg->nservices, sizeof(*cfg->services), offsetof(struct plan_service, name)),
			    "services");
			break;
		}
	}
out:
	plan_map_release(&hosts);
	plan_map_release(&svcs);
	return r;
}

/* ---- dependency order ---------------------------------------------------------------- */

/*
 * The cycle on stack[pos..top) back to its start, rotated to start at its
 * smallest name, reported at the `depends` of that member.
 */
static int
report_cycle(struct loader *ld, const size_t *stack, size_t pos, size_t top)
{
	struct plan_config *cfg = ld->cfg;
	struct cr_buf b = CR_BUF_INIT;
	size_t len = top - pos, start = pos, k;
	const struct plan_service *s0;
	char p[PLAN_PATH_BUF];
	int r;

	for (k = pos; k < top; k++)
		if (strcmp(cfg->services[stack[k]].name, cfg->services[stack[start]].name) < 0)
			start = k;
	for (k = 0; k <= len; k++)
		cr_buf_addf(&b, "%s%s", k ? " -> " : "",
		    cfg->services[stack[pos + (start - pos + k) % len]].name);
	s0 = &cfg->services[stack[start]];
	r = plan_config_error(ld->err, s0->depends_loc, plan_ld_path(p, s0->path, "depends"),
	    "dependency cycle %s", cr_buf_str(&b));
	cr_buf_release(&b);
	return r;
}

/*
 * Finds a dependency cycle (services sorted by name, dep[] resolved).
 * Iterative DFS with colours; the first cycle found from the smallest name
 * is reported.
 */
static int
check_cycles(struct loader *ld)
{
	struct plan_config *cfg = ld->cfg;
	size_t n = cfg->nservices, i, top;
	unsigned char *colour = cr_xcalloc(n ? n : 1, 1);	/* 0 white, 1 grey, 2 black */
	size_t *stack = cr_xcalloc(n ? n : 1, sizeof(*stack));
	size_t *next = cr_xcalloc(n ? n : 1, sizeof(*next));	/* next dep to visit */
	int r = CR_OK;

	for (i = 0; i < n && r == CR_OK; i++) {
		if (colour[i] != 0)
			continue;
		top = 0;
		stack[top++] = i;
		colour[i] = 1;
		next[i] = 0;
		while (top > 0 && r == CR_OK) {
			size_t u = stack[top - 1], v, pos;
			const struct plan_service *su = &cfg->services[u];

			if (next[u] >= su->ndepends) {
				colour[u] = 2;
				top--;
				continue;
			}
			v = su->dep[next[u]++];
			if (colour[v] == 0) {
				colour[v] = 1;
				next[v] = 0;
				stack[top++] = v;
			} else if (colour[v] == 1) {
				for (pos = top - 1; stack[pos] != v; pos--)
					;
				r = report_cycle(ld, stack, pos, top);
			}
		}
	}
	free(colour);
	free(stack);
	free(next);
	return r;
}

/* Binary min-heap of service indices ordered by (host name, service name). */
struct heap {
	size_t *v, n;
	const struct plan_config *cfg;
};

static int
heap_less(const struct heap *h, size_t a, size_t b)
{
	const struct plan_service *sa = &h->cfg->services[a], *sb = &h->cfg->services[b];
	int c = strcmp(h->cfg->hosts[sa->host].name, h->cfg->hosts[sb->host].name);

	return c != 0 ? c < 0 : a < b;	/* services are sorted by name: index order is name order */
}

static void
heap_push(struct heap *h, size_t x)
{
	size_t i = h->n++;

	h->v[i] = x;
	while (i > 0 && heap_less(h, h->v[i], h->v[(i - 1) / 2])) {
		size_t p = (i - 1) / 2, t = h->v[p];

		h->v[p] = h->v[i];
		h->v[i] = t;
		i = p;
	}
}

static size_t
heap_pop(struct heap *h)
{
	size_t top = h->v[0], i = 0;

	h->v[0] = h->v[--h->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i, t;

		if (l < h->n && heap_less(h, h->v[l], h->v[m]))
			m = l;
		if (r < h->n && heap_less(h, h->v[r], h->v[m]))
			m = r;
		if (m == i)
			break;
		t = h->v[m];
		h->v[m] = h->v[i];
		h->v[i] = t;
		i = m;
	}
	return top;
}

/*
 * Ranks services in dependency order (Kahn), ties by host then name, so a
 * service always comes after what it depends on, whatever the hosts.
 */
static void
rank_services(struct plan_config *cfg)
{
	size_t n = cfg->nservices, i, j, next = 0;
	size_t *indeg = cr_xcalloc(n ? n : 1, sizeof(*indeg));
	size_t *off = cr_xcalloc(n + 1, sizeof(*off));	/* reverse edges in CSR form */
	size_t *fill = cr_xcalloc(n + 1, sizeof(*fill));
	size_t *adj, nedges = 0;
	struct heap h = { cr_xcalloc(n ? n : 1, sizeof(size_t)), 0, cfg };

	for (i = 0; i < n; i++) {
		indeg[i] = cfg->services[i].ndepends;
		nedges += cfg->services[i].ndepends;
		for (j = 0; j < cfg->services[i].ndepends; j++)
			off[cfg->services[i].dep[j] + 1]++;
	}
	for (i = 0; i < n; i++)
		off[i + 1] += off[i];
	adj = cr_xcalloc(nedges ? nedges : 1, sizeof(*adj));
	for (i = 0; i < n; i++)
		for (j = 0; j < cfg->services[i].ndepends; j++) {
			size_t d = cfg->services[i].dep[j];

			adj[off[d] + fill[d]++] = i;
		}
	for (i = 0; i < n; i++)
		if (indeg[i] == 0)
			heap_push(&h, i);
	while (h.n > 0) {
		size_t u = heap_pop(&h);

		cfg->services[u].rank = next++;
		for (j = off[u]; j < off[u + 1]; j++)
			if (--indeg[adj[j]] == 0)
				heap_push(&h, adj[j]);
	}
	free(indeg);
	free(off);
	free(fill);
	free(adj);
	free(h.v);
}

/* ---- sorting and resolving ----------------------------------------------------------- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_host(const void *a, const void *b)
{
	return strcmp(((const struct plan_host *)a)->name, ((const struct plan_host *)b)->name);
}

static int
cmp_service(const void *a, const void *b)
{
	return strcmp(((const struct plan_service *)a)->name,
	    ((const struct plan_service *)b)->name);
}

static int
cmp_ref(const void *a, const void *b)
{
	return strcmp(((const struct plan_ref *)a)->id, ((const struct plan_ref *)b)->id);
}

/* depends: sorted, duplicates dropped, resolved to indices. */
static void
resolve_depends(struct plan_service *svc, const struct cfg_index *ix)
{
	size_t j, k;

	plan_sort(svc->depends, svc->ndepends, sizeof(*svc->depends), cmp_str);
	for (j = k = 0; j < svc->ndepends; j++) {
		if (k > 0 && strcmp(svc->depends[k - 1], svc->depends[j]) == 0) {
			free(svc->depends[j]);
			continue;
		}
		svc->depends[k++] = svc->depends[j];
	}
	svc->ndepends = k;
	svc->dep = cr_xcalloc(k ? k : 1, sizeof(*svc->dep));
	for (j = 0; j < k; j++)
		plan_map_get(&ix->services, svc->depends[j], &svc->dep[j]);
}

int
plan_xref_finish(struct loader *ld)
{
	struct plan_config *cfg = ld->cfg;
	struct cfg_index *ix = cfg->index;
	size_t i, j;
	int r;

	plan_sort(cfg->hosts, cfg->nhosts, sizeof(*cfg->hosts), cmp_host);
	plan_sort(cfg->services, cfg->nservices, sizeof(*cfg->services), cmp_service);
	for (i = 0; i < cfg->nhosts; i++)
		plan_map_put(&ix->hosts, cfg->hosts[i].name, i, NULL);
	for (i = 0; i < cfg->nservices; i++)
		plan_map_put(&ix->services, cfg->services[i].name, i, NULL);
	cfg->nrefs = 0;
	for (i = 0; i < cfg->nservices; i++) {
		struct plan_service *svc = &cfg->services[i];

		plan_map_get(&ix->hosts, svc->host_name, &svc->host);
		resolve_depends(svc, ix);
		plan_sort(svc->refs, svc->nrefs, sizeof(*svc->refs), cmp_ref);
		for (j = 0; j < svc->nrefs; j++)
			svc->refs[j].service = i;
		cfg->nrefs += svc->nrefs;
	}
	if ((r = check_cycles(ld)) != CR_OK)
		return r;
	rank_services(cfg);
	return CR_OK;
}

/* ---- the indexes (config.h) ------------------------------------------------------------ */

void *
plan_xref_index_new(void)
{
	return cr_xcalloc(1, sizeof(struct cfg_index));
}

void
plan_xref_index_free(void *index)
{
	struct cfg_index *ix = index;

	if (ix == NULL)
		return;
	plan_map_release(&ix->hosts);
	plan_map_release(&ix->services);
	free(ix);
}

long
plan_config_host(const struct plan_config *cfg, const char *name)
{
	const struct cfg_index *ix = cfg->index;
	size_t v;

	return plan_map_get(&ix->hosts, name, &v) ? (long)v : -1;
}

long
plan_config_service(const struct plan_config *cfg, const char *name)
{
	const struct cfg_index *ix = cfg->index;
	size_t v;

	return plan_map_get(&ix->services, name, &v) ? (long)v : -1;
}
