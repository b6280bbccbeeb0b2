/*
 * inputs.c - reading the certificates a plan is made of (plan.h).
 *
 * Only certificates are read: token objects are enumerated without login
 * (p11_token_certs needs none), keys are not looked for, and no endpoint is
 * contacted unless a source itself is tls://.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "plan.h"
#include "internal.h"
#include "map.h"
#include "../common/util.h"
#include "../cert/chain.h"
#include "../cert/ident.h"
#include "../pkcs11/p11.h"

int
plan_config_tokens(const struct plan_config *cfg, struct p11_ctx *p11, struct cr_err *err)
{
	size_t i;

	for (i = 0; i < cfg->ntokens; i++) {
		const struct plan_token *t = &cfg->tokens[i];
		struct cr_err e;

		cr_err_clear(&e);
		if (p11_ctx_add_token_conf(p11, t->uri, t->module, t->pin_source, &e) != CR_OK) {
			plan_config_error(err, t->loc, t->path, "%s", e.msg);
			err->status = e.status ? e.status : CR_EINPUT;
			err->reason = e.reason;
			return err->status;
		}
	}
	return CR_OK;
}

/* Prefixes a loader error with where the source was configured. */
static int
located(struct cr_err *err, struct plan_loc loc, const char *setting)
{
	if (loc.line > 0)
		cr_err_prefix(err, "%s:%d: %s", loc.file, loc.line, setting);
	else
		cr_err_prefix(err, "%s: %s", loc.file, setting);
	cr_err_locate(err, loc.file, loc.line, setting);
	return err->status;
}

/*
 * The certificates seen so far (old, new, known), by SHA-256: adding one is
 * a lookup, not a scan, however many distinct certificates the inventory
 * names.
 */
struct seen {
	struct plan_keyidx by256;
};

/* 1 when c was not seen before (and is now). */
static int
seen_add(struct seen *sn, const struct crt_cert *c)
{
	char *key = plan_hash_key(c->sha256, sizeof(c->sha256));

	if (plan_keyidx_find(&sn->by256, key) != PLAN_KEYIDX_END) {
		free(key);
		return 0;
	}
	plan_keyidx_add(&sn->by256, key, 0);
	return 1;
}

/* Adds c to known unless it is old, new or already there; takes c. */
static void
add_known(struct plan_inputs *in, struct seen *sn, struct crt_cert *c)
{
	if (!seen_add(sn, c)) {
		crt_cert_free(c);
		return;
	}
	crt_list_push(&in->known, c);
}

/*
 * A certificate read from a file whose chain comes before its leaf is taken
 * for its leaf - the certificate that issued none of the others - not for
 * the CA certificate written first: the deployed file of a service is what
 * it is (file.layout fails on its order), and the new material is written
 * leaf first.  *why (may be NULL) receives what was wrong, else NULL.
 */
static void
leaf_first(struct crt_cert **c, char **why)
{
	char *w = NULL;
	struct crt_cert *fixed = crt_cert_leaf_first(*c, &w);

	if (why != NULL)
		*why = w;
	else
		free(w);
	if (fixed == NULL)
		return;
	crt_cert_free(*c);
	*c = fixed;
}

struct src_loader {
	struct plan_inputs *in;
	struct plan_map map;	/* text -> index into in->sources (keys owned by in->sources) */
	size_t cap;
	const struct crt_load_opts *opts;
};

/*
 * Loads the source of an identity once (its text as parsed at load time).  A failure is returned, prefixed
 * with where the source is configured, with one exception when not strict
 * (refs; protect entries are strict): a pkcs11: source that names no
 * certificate object on a token that answered (CR_EINPUT) is kept, with the
 * reason, for the ref's resolution - the ref denotes nothing known, a
 * warning (ref.resolve).  A file that cannot be read or is not a
 * certificate is bad input (SPEC 2), whatever names it: were it treated as
 * unknown, the ref would get no step while the old certificate is still
 * retired.
 */
static int
load_source(struct src_loader *sl, const struct plan_src *ps, int strict, struct plan_loc loc,
    const char *setting, struct cr_err *err)
{
	const char *text = ps->text;
	struct plan_inputs *in = sl->in;
	struct plan_source *src;
	struct cr_err e;
	size_t at;
	int r;

	if (plan_map_get(&sl->map, text, &at)) {
		if (strict && in->sources[at].cert == NULL) {
			cr_err_set(err, CR_EINPUT, "%s", in->sources[at].error);
			return located(err, loc, setting);
		}
		return CR_OK;
	}
	cr_grow(&in->sources, &sl->cap, in->nsources + 1, sizeof(*in->sources));
	src = &in->sources[in->nsources];
	memset(src, 0, sizeof(*src));
	src->text = cr_xstrdup(text);
	cr_err_clear(&e);
	r = crt_load_one(text, sl->opts, &src->cert, &e);
	if (r != CR_OK) {
		src->cert = NULL;
		src->error = cr_xstrdup(e.msg);
	} else {
		/* a deployed file written chain first still denotes its leaf (file.layout says so) */
		leaf_first(&src->cert, NULL);
	}
	/* rebuild-free: map keys point at src->text, which never moves (strings are heap) */
	plan_map_put(&sl->map, src->text, in->nsources, NULL);
	in->nsources++;
	if (r != CR_OK && (strict || r != CR_EINPUT || ps->kind != PLAN_SRC_PKCS11)) {
		*err = e;
		return plan_src_error(err, ps, loc, setting);
	}
	return CR_OK;
}

/* Loads every certificate of a token and records those that are not old/new. */
static int
scan_token(struct plan_inputs *in, struct seen *sn, const char *uri, const struct crt_load_opts *opts,
    int is_import_to, const struct plan_src *ps, struct plan_loc loc, const char *setting,
    struct cr_err *err)
{
	struct crt_list l = CRT_LIST_INIT;
	struct crt_load_opts o = *opts;
	size_t i;
	int r;

	/* an empty token is no error: a new HSM that import_to fills */
	o.allow_none = 1;
	if ((r = crt_load(uri, &o, &l, err)) != CR_OK) {
		crt_list_release(&l);
		return plan_src_error(err, ps, loc, setting);
	}
	for (i = 0; i < l.n; i++) {
		if (is_import_to && crt_cert_same(l.v[i], in->new))
			in->new_on_import_to = 1;
		add_known(in, sn, l.v[i]);
		l.v[i] = NULL;
	}
	l.n = 0;
	crt_list_release(&l);
	return CR_OK;
}

static int
load_list(char **texts, size_t n, const struct crt_load_opts *opts, struct crt_list *out,
    struct plan_loc loc, const char *setting, struct cr_err *err)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		if ((r = crt_load(texts[i], opts, out, err)) != CR_OK) {
			char *p = cr_xasprintf("%s.[%zu]", setting, i);

			located(err, loc, p);
			free(p);
			return r;
		}
	}
	return CR_OK;
}

const char *
plan_input_name(enum plan_input in)
{
	static const char *const names[] = {
		[PLAN_INPUT_NONE] = "",
		[PLAN_INPUT_OLD] = "rotation.old",
		[PLAN_INPUT_NEW] = "rotation.new",
		[PLAN_INPUT_IMPORT_TO] = "rotation.import_to",
		[PLAN_INPUT_CHAIN] = "rotation.chain",
		[PLAN_INPUT_TRUST] = "rotation.trust",
		[PLAN_INPUT_SOURCES] = "sources",
	};

	return (unsigned)in < sizeof(names) / sizeof(names[0]) ? names[in] : "";
}

/*
 * rotation.new may name a certificate the CA has not issued yet (renew made
 * its key and request): a file or token object that does not exist is the
 * operator's next step, not bad input - CR_EBLOCK, and the message says what
 * to do.
 */
static void
new_not_issued(struct cr_err *e)
{
	size_t n = strlen(e->msg);

	if (e->status != CR_EINPUT || e->reason != CR_R_NOT_FOUND)
		return;
	e->status = CR_EBLOCK;
	snprintf(e->msg + n, sizeof(e->msg) - n, " (not issued yet? 'certrotate renew' makes the "
	    "key and the request; have the CA sign it and save the certificate there)");
}

/* Records where loading stopped (plan_inputs.failed). */
static void
failed_at(struct plan_inputs *in, enum plan_input what, const char *source)
{
	in->failed = what;
	in->failed_source = source;
}

/*
 * old and new; both, even when old fails: check reports each.  With
 * old_copy, old is that copy (up-referenced), named by rotation.old's text.
 */
static int
load_old_new(const struct plan_config *cfg, const struct crt_load_opts *opts, X509 *old_copy,
    struct plan_inputs *in, struct cr_err *err)
{
	const struct plan_rotation *rot = &cfg->rotation;
	int r;

	if (old_copy != NULL) {
		X509_up_ref(old_copy);
		in->old = crt_cert_new(old_copy, NULL, rot->old_src.text);
	} else if ((r = crt_load_one(rot->old_src.text, opts, &in->old, err)) != CR_OK) {
		plan_src_error(err, &rot->old_src, rot->old_loc, "rotation.old");
		failed_at(in, PLAN_INPUT_OLD, rot->old);
		cr_err_clear(&in->new_err);
		if (crt_load_one(rot->new_src.text, opts, &in->new, &in->new_err) != CR_OK) {
			plan_src_error(&in->new_err, &rot->new_src, rot->new_loc, "rotation.new");
			new_not_issued(&in->new_err);
		}
		return r;
	}
	if ((r = crt_load_one(rot->new_src.text, opts, &in->new, err)) != CR_OK) {
		plan_src_error(err, &rot->new_src, rot->new_loc, "rotation.new");
		new_not_issued(err);
		r = err->status;
		failed_at(in, PLAN_INPUT_NEW, rot->new);
		return r;
	}
	leaf_first(&in->old, NULL);
	/* the new material chain first: new.load fails, saying so; the rest judges its leaf */
	leaf_first(&in->new, &in->new_misordered);
	return r;
}

/* The sources of protect entries (strict: a protection that cannot be checked is none) and refs. */
static int
load_sources(const struct plan_config *cfg, struct src_loader *sl, struct cr_err *err)
{
	size_t i, j;
	int r;

	for (i = 0; i < cfg->nprotect; i++) {
		const struct plan_protect *pr = &cfg->protect[i];

		if (pr->src == NULL)
			continue;
		if ((r = load_source(sl, pr->src, 1, pr->loc, pr->path, err)) != CR_OK) {
			failed_at(sl->in, PLAN_INPUT_SOURCES, pr->text);
			return r;
		}
	}
	for (i = 0; i < cfg->nservices; i++) {
		const struct plan_service *svc = &cfg->services[i];

		for (j = 0; j < svc->nrefs; j++) {
			const struct plan_ref *ref = &svc->refs[j];
			char *setting;

			if (ref->cert_src == NULL)
				continue;
			setting = cr_xasprintf("%s.%s", ref->path, ref->cert_implicit ? "path" : "cert");
			r = load_source(sl, ref->cert_src, 0, ref->cert_loc, setting, err);
			free(setting);
			if (r != CR_OK) {
				failed_at(sl->in, PLAN_INPUT_SOURCES, ref->cert);
				return r;
			}
		}
	}
	return CR_OK;
}

/* The neighbours of old and new on their tokens, and what import_to holds. */
static int
scan_tokens(const struct plan_config *cfg, const struct crt_load_opts *opts,
    struct plan_inputs *in, struct seen *sn, struct cr_err *err)
{
	const struct plan_rotation *rot = &cfg->rotation;
	const char *tokens[2];
	size_t ntok = 0, i;
	int r;

	if (in->old->token != NULL && in->old->token->token_uri != NULL)
		tokens[ntok++] = in->old->token->token_uri;
	if (in->new->token != NULL && in->new->token->token_uri != NULL &&
	    (ntok == 0 || strcmp(tokens[0], in->new->token->token_uri) != 0))
		tokens[ntok++] = in->new->token->token_uri;
	for (i = 0; i < ntok; i++) {
		enum plan_input what = i == 0 && in->old->token ? PLAN_INPUT_OLD : PLAN_INPUT_NEW;

		if ((r = scan_token(in, sn, tokens[i], opts, 0, what == PLAN_INPUT_OLD ?
		    &rot->old_src : &rot->new_src, what == PLAN_INPUT_OLD ? rot->old_loc :
		    rot->new_loc, plan_input_name(what), err)) != CR_OK) {
			failed_at(in, what, tokens[i]);
			return r;
		}
	}
	if (rot->import_to != NULL) {
		in->new_on_import_to = 0;
		if ((r = scan_token(in, sn, rot->import_to_src.text, opts, 1, &rot->import_to_src,
		    rot->import_to_loc, "rotation.import_to", err)) != CR_OK) {
			failed_at(in, PLAN_INPUT_IMPORT_TO, rot->import_to);
			return r;
		}
	}
	return CR_OK;
}

/*
 * The old certificate's copy as the source named by rotation.old's text,
 * so that an identity naming it that way resolves to it.
 */
static void
seed_old_source(struct src_loader *sl, const struct plan_rotation *rot, X509 *old_copy)
{
	struct plan_inputs *in = sl->in;
	struct plan_source *src;

	cr_grow(&in->sources, &sl->cap, in->nsources + 1, sizeof(*in->sources));
	src = &in->sources[in->nsources];
	memset(src, 0, sizeof(*src));
	src->text = cr_xstrdup(rot->old_src.text);
	X509_up_ref(old_copy);
	src->cert = crt_cert_new(old_copy, NULL, rot->old_src.text);
	plan_map_put(&sl->map, src->text, in->nsources, NULL);
	in->nsources++;
}

static int
load_inputs(const struct plan_config *cfg, struct p11_ctx *p11, unsigned flags, X509 *old_copy,
    struct plan_inputs **out, struct cr_err *err)
{
	const struct plan_rotation *rot = &cfg->rotation;
	struct crt_load_opts opts;
	struct plan_inputs *in = cr_xcalloc(1, sizeof(*in));
	struct src_loader sl;
	struct seen sn = { PLAN_KEYIDX_INIT };
	size_t i;
	int r;

	*out = NULL;
	memset(&opts, 0, sizeof(opts));
	opts.p11 = p11;
	opts.base_dir = cfg->dir;
	memset(&sl, 0, sizeof(sl));
	sl.in = in;
	sl.opts = &opts;
	in->new_on_import_to = -1;

	if ((r = load_old_new(cfg, &opts, old_copy, in, err)) != CR_OK)
		goto out;
	if (old_copy != NULL)
		seed_old_source(&sl, rot, old_copy);
	seen_add(&sn, in->old);
	seen_add(&sn, in->new);
	opts.lite = (flags & PLAN_LOAD_LITE) != 0;
	if ((r = load_sources(cfg, &sl, err)) != CR_OK ||
	    (r = scan_tokens(cfg, &opts, in, &sn, err)) != CR_OK)
		goto out;
	opts.lite = 0;	/* chain and trust are whole */
	plan_files_load(cfg, in);
	for (i = 0; i < in->nsources; i++) {
		if (in->sources[i].cert == NULL || !seen_add(&sn, in->sources[i].cert))
			continue;
		/* known keeps its own copy: sources stay owned by the source table */
		crt_list_push(&in->known, crt_cert_copy(in->sources[i].cert,
		    in->sources[i].cert->source));
	}

	if (flags & PLAN_LOAD_CHAIN) {
		if ((r = load_list(rot->chain, rot->nchain, &opts, &in->chain, rot->chain_loc,
		    "rotation.chain", err)) != CR_OK) {
			failed_at(in, PLAN_INPUT_CHAIN, NULL);
			goto out;
		}
		if ((r = load_list(rot->trust, rot->ntrust, &opts, &in->trust, rot->trust_loc,
		    "rotation.trust", err)) != CR_OK) {
			failed_at(in, PLAN_INPUT_TRUST, NULL);
			goto out;
		}
	}
	r = CR_OK;
out:
	/* what was loaded goes out on failure too (see plan.h) */
	*out = in;
	plan_keyidx_release(&sn.by256);
	plan_map_release(&sl.map);
	return r;
}

int
plan_inputs_load(const struct plan_config *cfg, struct p11_ctx *p11, unsigned flags,
    struct plan_inputs **out, struct cr_err *err)
{
	return load_inputs(cfg, p11, flags, NULL, out, err);
}

int
plan_inputs_load_retired(const struct plan_config *cfg, struct p11_ctx *p11, unsigned flags,
    X509 *old_copy, struct plan_inputs **out, struct cr_err *err)
{
	return load_inputs(cfg, p11, flags, old_copy, out, err);
}

void
plan_inputs_free(struct plan_inputs *in)
{
	size_t i;

	if (in == NULL)
		return;
	crt_cert_free(in->old);
	crt_cert_free(in->new);
	crt_list_release(&in->known);
	for (i = 0; i < in->nsources; i++) {
		free(in->sources[i].text);
		crt_cert_free(in->sources[i].cert);
		free(in->sources[i].error);
	}
	free(in->sources);
	crt_list_release(&in->chain);
	crt_list_release(&in->trust);
	free(in->new_misordered);
	plan_files_release(in);
	free(in);
}
