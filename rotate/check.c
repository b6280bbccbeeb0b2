/*
 * check.c - the check engine (see check.h).  Each SPEC 6 check id has one
 * evaluator here (eval_*), called lazily the first time a step lists that
 * (id, subject); the pure certificate checks live in checks_cert.c, the
 * account check in access.c, the probes in probe.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "check.h"
#include "access.h"
#include "probe.h"
#include "../common/sigtest.h"
#include "../common/util.h"
#include "../cert/cert.h"
#include "../cert/dn.h"
#include "../pkcs11/p11.h"

/* Everything an evaluation may need; lives for one rot_check_plan call. */
struct ck {
	const struct plan *p;
	const struct plan_config *cfg;
	const struct plan_inputs *in;
	struct p11_ctx *p11;
	const struct rot_check_opts *o;
	struct rot_report *rep;
	STACK_OF(X509) *untrusted;	/* rotation.chain + the new source's own chain */
	STACK_OF(X509) *anchors;	/* rotation.trust, NULL: system store */
	int chain_done;			/* new.chain evaluated into chain_res */
	struct rot_result chain_res;
	STACK_OF(X509) *path;		/* the path it built (owned), or NULL */
	STACK_OF(X509) *above;		/* what sigalg judges above the leaf: the path
					   without its leaf, else `untrusted` */
	struct rot_probes probes;
	size_t *probe_of;		/* per plan ref (p->refs index): probe index + 1, 0 none */
	size_t *probe_nosni;		/* same, the no-SNI probe when the ref has an sni */
	struct plan_map declared_nosni;	/* endpoints some ref declares without sni */
	unsigned char *restart_pending;	/* per cfg->services index: a restart step is pending */
	size_t *stale;			/* endpoint items where the old certificate stays in
					   use (undeclared bindings, changes in effect that
					   did not take): the retire step lists them */
	size_t nstale, capstale;
	long retire_step;		/* index of the retire step, or -1 */
	struct rot_access_cache access;	/* accounts looked up */
	char *secret;			/* what an account must read to use the key (owned) */
	const char *secret_what;	/* "the key file", "the PIN source"; NULL: not known yet */
};

const char *
rot_step_status_name(enum rot_step_status s)
{
	switch (s) {
	case ROT_STEP_READY: return "ready";
	case ROT_STEP_BLOCKED: return "blocked";
	case ROT_STEP_DONE: return "done";
	}
	return "blocked";
}

/* ---- items ---------------------------------------------------------------- */

/*
 * The item of check `id` about `what` (shown as `subject`): *fresh is 1
 * when it was just created (the caller evaluates it), 0 when it exists.
 */
static size_t
item_as(struct ck *c, const char *id, const char *subject, const char *what, int *fresh)
{
	struct rot_report *rep = c->rep;
	char *key = cr_xasprintf("%s\x1f%s", id, what);
	size_t idx;

	if (plan_map_get(&rep->index, key, &idx)) {
		free(key);
		*fresh = 0;
		return idx;
	}
	cr_grow(&rep->items, &rep->cap, rep->n + 1, sizeof(rep->items[0]));
	idx = rep->n++;
	memset(&rep->items[idx], 0, sizeof(rep->items[idx]));
	rep->items[idx].id = id;
	rep->items[idx].subject = cr_xstrdup(subject);
	/* the key array grows with the items, one key each */
	rep->keys = cr_xrealloc(rep->keys, rep->cap * sizeof(*rep->keys));
	rep->keys[idx] = key;
	plan_map_put(&rep->index, key, idx, NULL);
	*fresh = 1;
	return idx;
}

/* The item for (id, subject), the subject being what tells items apart. */
static size_t
item(struct ck *c, const char *id, const char *subject, int *fresh)
{
	return item_as(c, id, subject, subject, fresh);
}

static struct rot_item *
at(struct ck *c, size_t i)
{
	return &c->rep->items[i];
}

/*
 * Lists item `it` under `step`, once.  Steps are filled one after the other
 * (the retire step last again), so remembering the last step an item went
 * to is enough to keep a step's list free of repeats without searching it.
 */
static void
attach(struct ck *c, size_t step, size_t it)
{
	struct rot_step_report *s = &c->rep->steps[step];

	if (at(c, it)->last_step == step + 1)
		return;
	cr_grow(&s->items, &s->cap, s->n + 1, sizeof(s->items[0]));
	s->items[s->n++] = it;
	at(c, it)->attached = 1;
	at(c, it)->last_step = step + 1;
}

/* ---- certificate checks -------------------------------------------------- */

static char *
cert_brief(const struct crt_cert *x)
{
	char *subj = crt_dn_render(X509_get_subject_name(x->x509));
	char *hex = cr_hex_upper(x->sha1, sizeof(x->sha1));
	char *s = cr_xasprintf("'%s' (sha1:%s)", subj, hex);

	free(subj);
	free(hex);
	return s;
}

static void
eval_load(struct rot_item *it, const struct crt_cert *x, const char *which)
{
	char *b = cert_brief(x);

	rot_result_set(&it->res, ROT_PASS, "the %s certificate %s was read from '%s'", which, b,
	    x->source);
	free(b);
}

/*
 * The path from the new certificate to an anchor, built once for new.chain
 * and sigalg: a host judges the intermediates it will be sent on the way
 * to its anchor, not every certificate the configuration happens to list.
 */
static void
chain_eval(struct ck *c)
{
	if (c->chain_done)
		return;
	c->chain_done = 1;
	rot_chk_chain(c->in->new->x509, c->untrusted, c->anchors, c->o->now, &c->chain_res,
	    &c->path);
	if (c->path != NULL) {
		c->above = sk_X509_dup(c->path);
		(void)sk_X509_shift(c->above);
	} else {
		c->above = sk_X509_dup(c->untrusted);
	}
}

/* ---- tokens ---------------------------------------------------------------- */

/*
 * The token.login item of the (single) token `uri_text` names, logging in
 * once.  *tok_out (may be NULL) receives the token when logged in.
 * pin_source may be NULL (the token's configured one is used).
 */
static size_t
token_login(struct ck *c, const char *uri_text, struct p11_token **tok_out)
{
	struct p11_uri *uri = NULL;
	struct p11_token **toks = NULL;
	struct p11_pin_state ps;
	struct cr_err err;
	struct rot_item *it;
	size_t n = 0, idx;
	char *subject = NULL, *what = NULL;
	int fresh, r;

	if (tok_out != NULL)
		*tok_out = NULL;
	cr_err_clear(&err);
	if ((r = p11_uri_parse(uri_text, c->cfg->dir, &uri, &err)) != CR_OK ||
	    (r = p11_find_tokens(c->p11, uri, &toks, &n, &err)) != CR_OK) {
		subject = cr_xasprintf("token of '%s'", uri_text);
		idx = item(c, "token.login", subject, &fresh);
		it = at(c, idx);
		if (fresh) {
			rot_result_set(&it->res, ROT_FAIL, "%s", err.msg);
			it->status = r;
		}
		goto out;
	}
	if (n > 1) {
		/* about the URI, not about any one of the tokens */
		subject = cr_xasprintf("token of '%s'", uri_text);
		idx = item(c, "token.login", subject, &fresh);
		it = at(c, idx);
		if (fresh) {
			rot_result_set(&it->res, ROT_FAIL, "'%s' matches %zu tokens: name one (serial=)",
			    uri_text, n);
			it->status = CR_EINPUT;
		}
		goto out;
	}
	/* one login per token, told apart by module and serial: two tokens may
	   share a label */
	subject = cr_xasprintf("token %s", p11_token_label(toks[0]));
	what = cr_xasprintf("%s\x1f%s", p11_token_module(toks[0]), p11_token_serial(toks[0]));
	idx = item_as(c, "token.login", subject, what, &fresh);
	it = at(c, idx);
	if (!fresh) {
		if (tok_out != NULL && it->res.status != ROT_FAIL)
			*tok_out = toks[0];
		goto out;
	}
	r = p11_token_login(toks[0], p11_uri_pin_source(uri), 0, &err);
	p11_token_login_pin_state(toks[0], &ps);
	if (r == CR_OK) {
		if (ps.count_low)
			rot_result_set(&it->res, ROT_WARN, "logged in to token '%s', but it reported "
			    "a low PIN count before this login: someone tried wrong PINs",
			    p11_token_label(toks[0]));
		else
			rot_result_set(&it->res, ROT_PASS, "logged in to token '%s' (one attempt)",
			    p11_token_label(toks[0]));
		if (tok_out != NULL)
			*tok_out = toks[0];
	} else {
		rot_result_set(&it->res, ROT_FAIL, "%s", err.msg);
		it->status = r;
	}
out:
	free(subject);
	free(what);
	free(toks);
	p11_uri_free(uri);
	return idx;
}

/* ---- the new key ------------------------------------------------------------ */

static int
is_pkcs11(const char *s)
{
	return strncmp(s, "pkcs11:", 7) == 0;
}

static char *
file_path_of(const struct ck *c, const char *src)
{
	if (strncmp(src, "file:", 5) == 0)
		src += 5;
	return cr_path_resolve(c->cfg->dir, src);
}

/*
 * new.key and new.key-protection of a key on a token.  Items are passed by
 * index: logging in may add the token.login item, which moves the array.
 */
static void
eval_token_key(struct ck *c, size_t ik, size_t ip)
{
	const char *src = c->cfg->rotation.key;
	struct p11_uri *uri = NULL;
	struct p11_key_obj **keys = NULL;
	struct p11_token *tok = NULL;
	struct rot_item *key, *prot;
	struct cr_err err;
	size_t n = 0, li;
	int r;

	cr_err_clear(&err);
	li = token_login(c, src, &tok);
	key = at(c, ik);	/* no item is added below this line */
	prot = at(c, ip);
	if (tok == NULL) {
		const struct rot_item *login = at(c, li);
		rot_result_set(&key->res, ROT_FAIL, "cannot check the key: %s", login->res.message);
		key->status = login->status;
		rot_result_set(&prot->res, ROT_SKIP, "cannot check the key's flags: no login");
		goto out;
	}
	if ((r = p11_uri_parse(src, c->cfg->dir, &uri, &err)) != CR_OK ||
	    (r = p11_find_keys(c->p11, uri, &keys, &n, &err)) != CR_OK) {
		rot_result_set(&key->res, ROT_FAIL, "%s", err.msg);
		key->status = r;
		rot_result_set(&prot->res, ROT_SKIP, "cannot check the key's flags");
		goto out;
	}
	if (n == 0) {
		rot_result_set(&key->res, ROT_FAIL, "no private key on token '%s' matches '%s': "
		    "run 'certrotate renew' first (it generates the key and the certificate "
		    "request)", p11_token_label(tok), src);
		rot_result_set(&prot->res, ROT_SKIP, "no key to check");
		goto out;
	}
	if (n > 1) {
		rot_result_set(&key->res, ROT_FAIL, "%zu private keys match '%s': name one "
		    "(object= and id=)", n, src);
		rot_result_set(&prot->res, ROT_SKIP, "key not identified");
		goto out;
	}
	r = p11_key_test_sign(keys[0], c->in->new->x509, &err);
	if (r == CR_OK) {
		char *id = keys[0]->id ? cr_hex_upper(keys[0]->id, keys[0]->id_len) : NULL;
		rot_result_set(&key->res, ROT_PASS, "key '%s' (CKA_ID %s) on token '%s' matches "
		    "the new certificate and a test signature verifies",
		    keys[0]->label ? keys[0]->label : "", id ? id : "none", p11_token_label(tok));
		free(id);
	} else {
		rot_result_set(&key->res, ROT_FAIL, "%s", err.msg);
		if (r != CR_EBLOCK)
			key->status = r;
	}
	if (keys[0]->sensitive == 1 && keys[0]->extractable == 0)
		rot_result_set(&prot->res, ROT_PASS, "the key is sensitive and not extractable");
	else
		rot_result_set(&prot->res, ROT_WARN, "the key on token '%s' is %s%s%s: it can leave "
		    "the token", p11_token_label(tok),
		    keys[0]->extractable != 0 ? "EXTRACTABLE" : "",
		    keys[0]->extractable != 0 && keys[0]->sensitive != 1 ? " and " : "",
		    keys[0]->sensitive != 1 ? "NOT SENSITIVE" : "");
out:
	free(keys);
	p11_uri_free(uri);
}

/* new.key and new.key-protection of a key in a file. */
static void
eval_file_key(struct ck *c, struct rot_item *key, struct rot_item *prot)
{
	char *path = file_path_of(c, c->cfg->rotation.key);
	unsigned char *buf = NULL;
	size_t len = 0;
	EVP_PKEY *pk = NULL;
	BIO *bio = NULL;
	struct cr_err err;
	int r;

	cr_err_clear(&err);
	if (cr_read_file(path, 1 << 20, &buf, &len, &err) != CR_OK) {
		rot_result_set(&key->res, ROT_FAIL, "%s", err.msg);
		key->status = CR_EINPUT;
		rot_result_set(&prot->res, ROT_SKIP, "no key to check");
		goto out;
	}
	bio = BIO_new_mem_buf(buf, (int)len);
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (pk == NULL) {
		const unsigned char *p = buf;
		ERR_clear_error();
		pk = d2i_AutoPrivateKey(NULL, &p, (long)len);
	}
	if (pk == NULL) {
		ERR_clear_error();
		rot_result_set(&key->res, ROT_FAIL, "cannot read '%s': not an unencrypted private "
		    "key (PEM or DER)", path);
		key->status = CR_EINPUT;
		rot_result_set(&prot->res, ROT_SKIP, "no key to check");
		goto out;
	}
	if (EVP_PKEY_eq(pk, X509_get0_pubkey(c->in->new->x509)) != 1) {
		ERR_clear_error();
		rot_result_set(&key->res, ROT_FAIL, "the key in '%s' is not the new certificate's: "
		    "their public keys differ", path);
	} else {
		char *name = cr_xasprintf("key '%s'", path);
		r = cr_sign_test(pk, X509_get0_pubkey(c->in->new->x509), name, &err);
		free(name);
		if (r == CR_OK)
			rot_result_set(&key->res, ROT_PASS, "the key in '%s' matches the new "
			    "certificate and a test signature verifies", path);
		else
			rot_result_set(&key->res, ROT_FAIL, "%s", err.msg);
	}
	rot_result_set(&prot->res, ROT_WARN, "the key is a plain file '%s': whoever can read it "
	    "can impersonate the services; prefer a token", path);
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	BIO_free(bio);
	EVP_PKEY_free(pk);
	free(path);
}

static size_t
key_items(struct ck *c, const char *id)
{
	char *subject = cr_xasprintf("key %s", c->cfg->rotation.key);
	int fk, fp;
	size_t ik = item(c, "new.key", subject, &fk);
	size_t ip = item(c, "new.key-protection", subject, &fp);

	free(subject);
	if (fk) {
		if (is_pkcs11(c->cfg->rotation.key))
			eval_token_key(c, ik, ip);
		else
			eval_file_key(c, at(c, ik), at(c, ip));
	}
	return strcmp(id, "new.key") == 0 ? ik : ip;
}

/* The file a service account must read to use the new key: the key file or
 * the key token's PIN source. */
static char *
key_secret_path(const struct ck *c, const char **what)
{
	const char *src = c->cfg->rotation.key;
	struct p11_uri *uri = NULL, *tu = NULL;
	char *path = NULL;
	size_t i;

	if (!is_pkcs11(src)) {
		*what = "the key file";
		return file_path_of(c, src);
	}
	*what = "the PIN source";
	if (p11_uri_parse(src, c->cfg->dir, &uri, NULL) != CR_OK)
		return NULL;
	if (p11_uri_pin_source(uri) != NULL)
		path = cr_xstrdup(p11_uri_pin_source(uri));
	for (i = 0; path == NULL && i < c->cfg->ntokens; i++) {
		if (c->cfg->tokens[i].pin_source == NULL ||
		    p11_uri_parse(c->cfg->tokens[i].uri, c->cfg->dir, &tu, NULL) != CR_OK)
			continue;
		if (p11_uri_token_matches(tu, uri))
			path = cr_xstrdup(c->cfg->tokens[i].pin_source);
		p11_uri_free(tu);
		tu = NULL;
	}
	p11_uri_free(uri);
	return path;
}

/* ---- refs and endpoints ---------------------------------------------------- */

static char *
ref_subject(const struct plan_refres *r)
{
	return cr_xasprintf("ref %s/%s", r->service->name, r->ref->id);
}

static size_t
refres_index(const struct ck *c, const struct plan_refres *r)
{
	return (size_t)(r - c->p->refs);
}

static void
eval_resolve(struct rot_item *it, const struct plan_refres *r)
{
	char *b;

	switch (r->denotes) {
	case PLAN_DENOTES_UNKNOWN:
		rot_result_set(&it->res, ROT_WARN, "'%s' matches no known certificate: the planner "
		    "cannot tell whether it must move%s%s", r->ref->cert, r->note ? ": " : "",
		    r->note ? r->note : "");
		return;
	case PLAN_DENOTES_PROTECTED:
		rot_result_set(&it->res, ROT_PASS, "'%s' denotes a protected certificate: left alone",
		    r->ref->cert);
		return;
	default:
		break;
	}
	if (r->cert == NULL) {
		rot_result_set(&it->res, ROT_PASS, "'%s' denotes the %s certificate", r->ref->cert,
		    plan_denotes_name(r->denotes));
		return;
	}
	b = cert_brief(r->cert);
	rot_result_set(&it->res, ROT_PASS, "'%s' denotes the %s certificate %s", r->ref->cert,
	    plan_denotes_name(r->denotes), b);
	free(b);
}

static void
eval_ambiguous(struct rot_item *it, const struct plan_refres *r)
{
	if (r->nmatch > 1 && r->note != NULL)
		rot_result_set(&it->res, ROT_WARN, "%s", r->note);
	else if (r->nmatch > 1)
		rot_result_set(&it->res, ROT_WARN, "the name '%s' matches %zu known certificates: "
		    "the service may pick either", r->ref->cert, r->nmatch);
	else
		rot_result_set(&it->res, ROT_PASS, "the name matches one known certificate");
}

static void
eval_name(struct rot_item *it, const struct plan_step *s)
{
	if (s->change != NULL)
		rot_result_set(&it->res, ROT_PASS, "new name %s (%s): the connector must be "
		    "renamed before the old certificate goes", s->to ? s->to : "?", s->change);
	else
		rot_result_set(&it->res, ROT_PASS, "new name %s: issuer and subject unchanged",
		    s->to ? s->to : "?");
}

static const char *
served(const struct ck *c, const struct rot_probe *pr)
{
	if (memcmp(pr->sha256, c->in->old->sha256, 32) == 0)
		return "old";
	if (memcmp(pr->sha256, c->in->new->sha256, 32) == 0)
		return "new";
	return NULL;
}

/*
 * Whether the change of ref r has taken effect: the ref already names the
 * new certificate and its service has no restart left to do.  What its
 * endpoint serves then is what clients get (SPEC 6 `endpoint`, "after").
 */
static int
in_effect(const struct ck *c, const struct plan_refres *r)
{
	return r->denotes == PLAN_DENOTES_NEW &&
	    !c->restart_pending[r->service - c->cfg->services];
}

static void
stale_add(struct ck *c, size_t idx)
{
	cr_grow(&c->stale, &c->capstale, c->nstale + 1, sizeof(c->stale[0]));
	c->stale[c->nstale++] = idx;
}

static void
eval_endpoint(struct ck *c, size_t idx, const struct plan_refres *r)
{
	struct rot_item *it = at(c, idx);
	size_t pi = c->probe_of[refres_index(c, r)];
	const struct rot_probe *pr;
	const char *what;
	char via[300] = "";

	if (!c->o->probe) {
		rot_result_set(&it->res, ROT_SKIP, "not probed (--no-probe)");
		return;
	}
	if (pi == 0) {
		rot_result_set(&it->res, ROT_SKIP, "no endpoint");
		return;
	}
	pr = &c->probes.v[pi - 1];
	if (pr->sni != NULL)
		snprintf(via, sizeof(via), " with SNI '%s'", pr->sni);
	if (pr->status != CR_OK) {
		rot_result_set(&it->res, ROT_FAIL, "%s", pr->error);
		it->status = cr_status_worse(it->status, pr->status);
		return;
	}
	what = served(c, pr);
	if (what != NULL && strcmp(what, "old") == 0 && in_effect(c, r)) {
		/* the HTTP.sys story: the service's setting names the new
		   certificate, but what answers on its endpoint does not */
		rot_result_set(&it->res, ROT_FAIL, "'%s'%s still serves the OLD certificate although "
		    "the ref names the new one and nothing is left to restart: another binding "
		    "(HTTP.sys, a second site) still holds the old certificate; move it before the "
		    "old certificate is retired", pr->endpoint, via);
		stale_add(c, idx);
	} else if (what != NULL && strcmp(what, "old") == 0 && r->denotes == PLAN_DENOTES_NEW) {
		rot_result_set(&it->res, ROT_WARN, "'%s'%s still serves the old certificate although "
		    "the ref names the new one: the pending restart of '%s' should change that, "
		    "else another binding is answering", pr->endpoint, via, r->service->name);
		stale_add(c, idx);
	} else if (what != NULL && strcmp(what, "old") == 0) {
		rot_result_set(&it->res, ROT_PASS, "'%s'%s serves the old certificate now", pr->endpoint,
		    via);
	} else if (what != NULL) {
		rot_result_set(&it->res, ROT_PASS, "'%s'%s already serves the new certificate",
		    pr->endpoint, via);
	} else {
		char *subj = crt_dn_render(X509_get_subject_name(pr->leaf));
		char *hex = cr_hex_upper(pr->sha256, 32);
		rot_result_set(&it->res, ROT_WARN, "'%s'%s serves neither the old nor the new "
		    "certificate but '%s' (sha256:%.16s…): is this the right endpoint?", pr->endpoint,
		    via, subj, hex);
		free(subj);
		free(hex);
	}
}

/*
 * The no-SNI probe of a ref that has an sni: when it serves the old
 * certificate and no ref declares the endpoint without SNI, an undeclared
 * default binding will keep serving the old certificate (the "second
 * binding on 443").  A warning while the ref's own change is still to come
 * (the default may be that very binding); a failure once it is in effect.
 * Returns the item, or (size_t)-1 when there is none.
 */
static size_t
undeclared_binding(struct ck *c, const struct plan_refres *r)
{
	size_t pi = c->probe_nosni[refres_index(c, r)], idx, dummy;
	const struct rot_probe *pr;
	const char *what;
	char *subject;
	int fresh;

	if (!c->o->probe || pi == 0)
		return (size_t)-1;
	pr = &c->probes.v[pi - 1];
	if (pr->status != CR_OK || (what = served(c, pr)) == NULL || strcmp(what, "old") != 0)
		return (size_t)-1;
	if (plan_map_get(&c->declared_nosni, pr->endpoint, &dummy))
		return (size_t)-1;
	subject = cr_xasprintf("endpoint %s (no SNI)", pr->endpoint);
	idx = item(c, "endpoint", subject, &fresh);
	free(subject);
	if (!fresh) {
		/* several refs share the endpoint: one in effect makes it certain */
		if (in_effect(c, r) && at(c, idx)->res.status == ROT_WARN)
			fresh = 1;
		else
			return idx;
	} else {
		stale_add(c, idx);
	}
	if (in_effect(c, r))
		rot_result_set(&at(c, idx)->res, ROT_FAIL, "without SNI, '%s' still serves the OLD "
		    "certificate although ref %s/%s (SNI '%s') is on the new one, and no ref declares "
		    "a binding there without SNI: a second binding on this port nobody declared; "
		    "declare it as a ref without sni and move it before the old certificate is "
		    "retired", pr->endpoint, r->service->name, r->ref->id, r->ref->sni);
	else
		rot_result_set(&at(c, idx)->res, ROT_WARN, "without SNI, '%s' serves the old "
		    "certificate and no ref declares a binding there without SNI: if that is a "
		    "separate default binding (a second binding on this port), it will keep serving "
		    "the old certificate after the rebind; declare it as a ref without sni",
		    pr->endpoint);
	return idx;
}

/*
 * `endpoint` before retire: the endpoint items where the old certificate
 * stays in use, or one item saying there are none.  Called when the retire
 * step comes up, last, when every ref's endpoint has been judged.
 */
static size_t
retire_endpoints(struct ck *c, size_t si)
{
	size_t k, idx;
	int fresh;

	for (k = 0; k < c->nstale; k++)
		attach(c, si, c->stale[k]);
	if (c->nstale > 0)
		return (size_t)-1;
	idx = item(c, "endpoint", "certificate old", &fresh);
	if (!fresh)
		return idx;
	if (!c->o->probe)
		rot_result_set(&at(c, idx)->res, ROT_SKIP, "not probed (--no-probe): whether an "
		    "endpoint still serves the old certificate is not known");
	else
		rot_result_set(&at(c, idx)->res, ROT_PASS, "no endpoint will still serve the old "
		    "certificate once the steps before are done");
	return idx;
}

static void
setup_probes(struct ck *c)
{
	size_t i;

	c->probe_of = cr_xcalloc(c->p->nrefs + 1, sizeof(size_t));
	c->probe_nosni = cr_xcalloc(c->p->nrefs + 1, sizeof(size_t));
	c->restart_pending = cr_xcalloc(c->cfg->nservices + 1, 1);
	for (i = 0; i < c->p->nsteps; i++) {
		const struct plan_step *s = &c->p->steps[i];
		if (s->type == PLAN_RESTART && !s->done && s->service != NULL)
			c->restart_pending[s->service - c->cfg->services] = 1;
	}
	for (i = 0; i < c->p->nrefs; i++) {
		const struct plan_ref *ref = c->p->refs[i].ref;
		if (ref->endpoint != NULL && ref->sni == NULL)
			plan_map_put(&c->declared_nosni, ref->endpoint, i, NULL);
	}
	if (!c->o->probe)
		return;
	for (i = 0; i < c->p->nsteps; i++) {
		const struct plan_step *s = &c->p->steps[i];
		const struct plan_ref *ref = s->ref;
		size_t ri;
		/* done steps too: a ref already on the new certificate is exactly where
		   a forgotten second binding shows (the story of the two 443 bindings) */
		if (ref == NULL || ref->endpoint == NULL || s->res == NULL)
			continue;
		ri = refres_index(c, s->res);
		c->probe_of[ri] = rot_probes_add(&c->probes, ref->endpoint, ref->sni,
		    ref->starttls_smtp) + 1;
		if (ref->sni != NULL)
			c->probe_nosni[ri] = rot_probes_add(&c->probes, ref->endpoint, NULL,
			    ref->starttls_smtp) + 1;
	}
	rot_probes_run(&c->probes, c->o->in_flight, c->o->timeout_ms, c->o->progress);
}

/* ---- retire ------------------------------------------------------------------ */

/* Whether pending step si has a check that fails (a warning too, with --strict). */
static int
step_blocked(const struct ck *c, size_t si)
{
	const struct rot_step_report *sr = &c->rep->steps[si];
	size_t k;

	if (c->p->steps[si].done)
		return 0;
	for (k = 0; k < sr->n; k++) {
		enum rot_status st = c->rep->items[sr->items[k]].res.status;
		if (st == ROT_FAIL || (c->o->strict && st == ROT_WARN))
			return 1;
	}
	return 0;
}

static void
eval_retire_refs(struct ck *c, struct rot_item *it)
{
	struct cr_buf steps = CR_BUF_INIT, stuck = CR_BUF_INIT, blocked = CR_BUF_INIT;
	size_t i, nmove = 0, nstuck = 0, nblocked = 0;

	/* steps in plan order: mark the steps that move a ref on the old certificate */
	unsigned char *moves = cr_xcalloc(c->p->nsteps + 1, 1);

	for (i = 0; i < c->p->nrefs; i++) {
		const struct plan_refres *r = &c->p->refs[i];
		if (r->denotes != PLAN_DENOTES_OLD)
			continue;
		if (r->step >= 0) {
			moves[r->step] = 1;
			nmove++;
		} else {
			cr_buf_addf(&stuck, "%s%s/%s", nstuck ? ", " : "", r->service->name, r->ref->id);
			nstuck++;
		}
	}
	for (i = 0; i < c->p->nsteps; i++) {
		if (!moves[i])
			continue;
		cr_buf_addf(&steps, "%s%s", steps.len ? ", " : "", c->p->steps[i].id);
		/* the steps before retire have been judged: one that cannot run
		   keeps the old certificate in use, so retire cannot run either */
		if (step_blocked(c, i))
			cr_buf_addf(&blocked, "%s%s", nblocked++ ? ", " : "", c->p->steps[i].id);
	}
	free(moves);
	if (nstuck > 0)
		rot_result_set(&it->res, ROT_FAIL, "%zu ref%s will still denote the old certificate "
		    "after the plan: %s", nstuck, nstuck == 1 ? "" : "s", cr_buf_str(&stuck));
	else if (nblocked > 0)
		rot_result_set(&it->res, ROT_FAIL, "retire waits for %s, which %s blocked: the old "
		    "certificate stays in use until %s done", cr_buf_str(&blocked),
		    nblocked == 1 ? "is" : "are", nblocked == 1 ? "it is" : "they are");
	else if (nmove > 0)
		rot_result_set(&it->res, ROT_PASS, "%zu ref%s on the old certificate move first: "
		    "retire waits for %s", nmove, nmove == 1 ? "" : "s", cr_buf_str(&steps));
	else
		rot_result_set(&it->res, ROT_PASS, "no ref denotes the old certificate");
	cr_buf_release(&steps);
	cr_buf_release(&stuck);
	cr_buf_release(&blocked);
}

static void
eval_retire_protected(struct ck *c, struct rot_item *it)
{
	if (c->p->old_protected)
		rot_result_set(&it->res, ROT_FAIL, "the old certificate is listed in `protect`%s%s: "
		    "it must never be retired", c->p->old_protect ? " as " : "",
		    c->p->old_protect ? c->p->old_protect->text : "");
	else
		rot_result_set(&it->res, ROT_PASS, "the old certificate is not protected");
}

/* ---- dispatch ------------------------------------------------------------------ */

/*
 * The item of check `id` for step `s` (evaluated on first use), or
 * (size_t)-1 when the id is not evaluated before a step (verify-only ids).
 */
static size_t
step_item(struct ck *c, size_t si, const char *id)
{
	const struct plan_step *s = &c->p->steps[si];
	const struct plan_config *cfg = c->cfg;
	char *subject = NULL;
	size_t idx = (size_t)-1;
	int fresh;

	if (strcmp(id, "new.load") == 0) {
		idx = item(c, id, "certificate new", &fresh);
		if (fresh)
			eval_load(at(c, idx), c->in->new, "new");
	} else if (strcmp(id, "new.validity") == 0) {
		idx = item(c, id, "certificate new", &fresh);
		if (fresh)
			rot_chk_new_validity(c->in->new->x509, c->o->now,
			    cfg->rotation.min_remaining, &at(c, idx)->res);
	} else if (strcmp(id, "new.chain") == 0) {
		idx = item(c, id, "certificate new", &fresh);
		if (fresh) {
			chain_eval(c);
			rot_result_set(&at(c, idx)->res, c->chain_res.status, "%s",
			    c->chain_res.message);
		}
	} else if (strcmp(id, "new.eku") == 0) {
		idx = item(c, id, "certificate new", &fresh);
		if (fresh)
			rot_chk_eku(c->in->new->x509, &at(c, idx)->res);
	} else if (strcmp(id, "new.key") == 0 || strcmp(id, "new.key-protection") == 0) {
		idx = key_items(c, id);
	} else if (strcmp(id, "token.login") == 0) {
		if (s->type == PLAN_IMPORT && cfg->rotation.import_to != NULL)
			idx = token_login(c, cfg->rotation.import_to, NULL);
		else if (s->type == PLAN_RETIRE && is_pkcs11(cfg->rotation.old))
			idx = token_login(c, cfg->rotation.old, NULL);
	} else if (strcmp(id, "names") == 0 && s->service != NULL) {
		subject = cr_xasprintf("service %s", s->service->name);
		idx = item(c, id, subject, &fresh);
		if (fresh)
			rot_chk_names(c->in->new->x509, c->in->old->x509, s->service->names,
			    s->service->nnames, &at(c, idx)->res);
	} else if ((strcmp(id, "sigalg") == 0 || strcmp(id, "keyalg") == 0) && s->host_cfg) {
		subject = cr_xasprintf("host %s", s->host_cfg->name);
		idx = item(c, id, subject, &fresh);
		if (fresh && id[0] == 's') {
			chain_eval(c);
			rot_chk_sigalg(s->host_cfg->name, c->in->new->x509, c->above,
			    s->host_cfg->accept_sig, s->host_cfg->naccept_sig, &at(c, idx)->res);
		} else if (fresh) {
			rot_chk_keyalg(s->host_cfg->name, c->in->new->x509, s->host_cfg->accept_key,
			    s->host_cfg->naccept_key, &at(c, idx)->res);
		}
	} else if (strncmp(id, "ref.", 4) == 0 && s->res != NULL) {
		subject = ref_subject(s->res);
		idx = item(c, id, subject, &fresh);
		if (fresh && strcmp(id, "ref.resolve") == 0)
			eval_resolve(at(c, idx), s->res);
		else if (fresh && strcmp(id, "ref.ambiguous") == 0)
			eval_ambiguous(at(c, idx), s->res);
		else if (fresh && strcmp(id, "ref.name") == 0)
			eval_name(at(c, idx), s);
		else if (fresh)
			rot_result_set(&at(c, idx)->res, ROT_SKIP, "not evaluated before this step");
	} else if (strcmp(id, "endpoint") == 0 && s->res != NULL) {
		size_t u = undeclared_binding(c, s->res);
		subject = ref_subject(s->res);
		idx = item(c, id, subject, &fresh);
		if (fresh)
			eval_endpoint(c, idx, s->res);
		if (u != (size_t)-1)
			attach(c, si, u);
	} else if (strcmp(id, "endpoint") == 0 && s->type == PLAN_RETIRE) {
		idx = retire_endpoints(c, si);
	} else if (strcmp(id, "retire.refs") == 0) {
		idx = item(c, id, "certificate old", &fresh);
		if (fresh)
			eval_retire_refs(c, at(c, idx));
	} else if (strcmp(id, "retire.protected") == 0) {
		idx = item(c, id, "certificate old", &fresh);
		if (fresh)
			eval_retire_protected(c, at(c, idx));
	} else if (strcmp(id, "access") == 0 && s->account != NULL) {
		subject = cr_xasprintf("account %s/%s", s->host, s->account);
		idx = item(c, id, subject, &fresh);
		if (fresh) {
			if (c->secret_what == NULL)
				c->secret = key_secret_path(c, &c->secret_what);
			rot_chk_access(&c->access, s->host, s->account, c->secret, c->secret_what,
			    &at(c, idx)->res);
		}
	}
	free(subject);
	return idx;
}

/*
 * The checks of the certificates themselves, for those that loaded: their
 * loading, their validity, the new one's EKU - even when no step lists them.
 */
static void
cert_items(struct ck *c)
{
	const struct crt_cert *old = c->in->old, *new = c->in->new;
	long long min = c->cfg->rotation.min_remaining;
	size_t idx;
	int fresh;

	if (old != NULL) {
		idx = item(c, "old.load", "certificate old", &fresh);
		if (fresh)
			eval_load(at(c, idx), old, "old");
	}
	if (new != NULL) {
		idx = item(c, "new.load", "certificate new", &fresh);
		if (fresh)
			eval_load(at(c, idx), new, "new");
	}
	if (old != NULL) {
		idx = item(c, "old.validity", "certificate old", &fresh);
		if (fresh)
			rot_chk_old_validity(old->x509, c->o->now, min, &at(c, idx)->res);
	}
	if (new != NULL) {
		idx = item(c, "new.validity", "certificate new", &fresh);
		if (fresh)
			rot_chk_new_validity(new->x509, c->o->now, min, &at(c, idx)->res);
		idx = item(c, "new.eku", "certificate new", &fresh);
		if (fresh)
			rot_chk_eku(new->x509, &at(c, idx)->res);
	}
}

/* Checks that belong to no step. */
static void
top_level(struct ck *c)
{
	size_t i, idx;
	int fresh;

	cert_items(c);
	/* the new key is what every service will use: always proven, even when
	   no pending step lists it (e.g. the import onto the token is done) */
	key_items(c, "new.key");
	if (c->retire_step < 0) {
		idx = item(c, "retire.protected", "certificate old", &fresh);
		if (fresh && c->p->old_protected)
			rot_result_set(&at(c, idx)->res, ROT_PASS, "the old certificate is protected%s%s:"
			    " no retire step is planned", c->p->old_protect ? " by " : "",
			    c->p->old_protect ? c->p->old_protect->text : "");
		else if (fresh)
			eval_retire_protected(c, at(c, idx));
	}
	for (i = 0; i < c->p->nrefs; i++) {
		const struct plan_refres *r = &c->p->refs[i];
		char *subject;

		if (r->step >= 0)
			continue;
		subject = ref_subject(r);
		/* refs the plan leaves alone: how they resolved, and whether they are expired */
		idx = item(c, "ref.resolve", subject, &fresh);
		if (fresh)
			eval_resolve(at(c, idx), r);
		if (r->cert != NULL && (r->denotes == PLAN_DENOTES_PROTECTED ||
		    r->denotes == PLAN_DENOTES_OTHER)) {
			struct crt_info info;
			crt_info_get(r->cert, c->o->now, &info);
			idx = item(c, "ref.expired", subject, &fresh);
			if (fresh && info.expiry.expired)
				rot_result_set(&at(c, idx)->res, ROT_WARN, "'%s' stays on '%s', which "
				    "EXPIRED %s ago: expired certificates break TLS and upgrades "
				    "(Exchange setup fails on them); replace it too", r->ref->cert,
				    info.subject, info.expiry.amount);
			else if (fresh)
				rot_result_set(&at(c, idx)->res, ROT_PASS, "'%s' stays on a certificate "
				    "valid for %s more", r->ref->cert, info.expiry.amount);
			crt_info_release(&info);
		}
		free(subject);
	}
}

static void
load_chain(struct ck *c)
{
	const struct plan_inputs *in = c->in;
	size_t i;
	int k;

	c->untrusted = sk_X509_new_null();
	for (i = 0; i < in->chain.n; i++) {
		sk_X509_push(c->untrusted, in->chain.v[i]->x509);
		for (k = 0; in->chain.v[i]->chain && k < sk_X509_num(in->chain.v[i]->chain); k++)
			sk_X509_push(c->untrusted, sk_X509_value(in->chain.v[i]->chain, k));
	}
	for (k = 0; in->new->chain && k < sk_X509_num(in->new->chain); k++)
		sk_X509_push(c->untrusted, sk_X509_value(in->new->chain, k));
	if (in->trust.n > 0) {
		c->anchors = sk_X509_new_null();
		for (i = 0; i < in->trust.n; i++)
			sk_X509_push(c->anchors, in->trust.v[i]->x509);
	}
}

/* Counts the results and gives the report its exit code and top-level list. */
static void
count_report(struct rot_report *rep, int strict)
{
	size_t i;

	rep->status = CR_OK;
	for (i = 0; i < rep->n; i++) {
		struct rot_item *it = &rep->items[i];
		rep->count[it->res.status]++;
		if (it->status != CR_OK)
			rep->status = cr_status_worse(rep->status, it->status);
		if (it->res.status == ROT_FAIL || (strict && it->res.status == ROT_WARN))
			rep->status = cr_status_worse(rep->status, CR_EBLOCK);
		if (!it->attached) {
			rep->top = cr_xrealloc(rep->top, (rep->ntop + 1) * sizeof(*rep->top));
			rep->top[rep->ntop++] = i;
		}
	}
}

void
rot_check_plan(const struct plan *p, struct p11_ctx *p11, const struct rot_check_opts *o,
    struct rot_report *rep)
{
	struct ck c = { .p = p, .cfg = p->cfg, .in = p->in, .p11 = p11, .o = o, .rep = rep,
	    .probes = ROT_PROBES_INIT, .declared_nosni = PLAN_MAP_INIT, .retire_step = -1,
	    .access = ROT_ACCESS_CACHE_INIT };
	size_t i, k;

	rep->nsteps = p->nsteps;
	rep->steps = cr_xcalloc(p->nsteps + 1, sizeof(rep->steps[0]));
	load_chain(&c);
	for (i = 0; i < p->nsteps; i++)
		if (p->steps[i].type == PLAN_RETIRE)
			c.retire_step = (long)i;
	setup_probes(&c);

	for (i = 0; i < p->nsteps; i++) {
		const struct plan_step *s = &p->steps[i];
		struct rot_step_report *sr = &rep->steps[i];

		if (s->done)
			sr->status = ROT_STEP_DONE;
		for (k = 0; k < s->npre; k++) {
			size_t it;
			/* a done step's preconditions are moot, but what its endpoint serves is not */
			if (s->done && strcmp(s->pre[k], "endpoint") != 0)
				continue;
			it = step_item(&c, i, s->pre[k]);
			if (it != (size_t)-1)
				attach(&c, i, it);
		}
	}
	top_level(&c);

	/* statuses, counts, exit code */
	count_report(rep, o->strict);
	for (i = 0; i < p->nsteps; i++)
		if (rep->steps[i].status != ROT_STEP_DONE && step_blocked(&c, i))
			rep->steps[i].status = ROT_STEP_BLOCKED;

	sk_X509_free(c.untrusted);
	sk_X509_free(c.anchors);
	sk_X509_free(c.above);
	sk_X509_pop_free(c.path, X509_free);
	rot_result_release(&c.chain_res);
	rot_probes_release(&c.probes);
	free(c.probe_of);
	free(c.probe_nosni);
	free(c.restart_pending);
	free(c.stale);
	plan_map_release(&c.declared_nosni);
	rot_access_cache_release(&c.access);
	free(c.secret);
}

/*
 * The item of a source that failed to load: a module or token that failed
 * (a reason of the token family) is token.login's failure, and the load is
 * skipped; anything else is the load's own failure.
 */
static void
failed_load(struct ck *c, const char *id, const char *subject, const char *source,
    const struct cr_err *e)
{
	/* import_to (id NULL) is a token in itself */
	int token = id == NULL || (e->status == CR_EENV && p11_reason_is_token(e->reason));
	size_t idx;
	int fresh;

	if (token) {
		char *who = cr_xasprintf("token of '%s'", source != NULL ? source : "?");
		idx = item(c, "token.login", who, &fresh);
		free(who);
		if (fresh) {
			rot_result_set(&at(c, idx)->res, ROT_FAIL, "%s", e->msg);
			at(c, idx)->status = e->status;
		}
		if (id != NULL) {
			idx = item(c, id, subject, &fresh);
			rot_result_set(&at(c, idx)->res, ROT_SKIP, "not read: the token could not "
			    "be used (token.login)");
		}
		return;
	}
	idx = item(c, id, subject, &fresh);
	rot_result_set(&at(c, idx)->res, ROT_FAIL, "%s", e->msg);
	at(c, idx)->status = e->status;
}

int
rot_check_unplanned(const struct plan_config *cfg, const struct plan_inputs *in,
    const struct rot_check_opts *o, const struct cr_err *err, struct rot_report *rep)
{
	struct ck c = { .cfg = cfg, .in = in, .o = o, .rep = rep };
	const struct plan_rotation *rot;

	if (cfg == NULL || in == NULL || in->failed == PLAN_INPUT_NONE ||
	    in->failed == PLAN_INPUT_SOURCES)
		return 0;
	rot = &cfg->rotation;
	cert_items(&c);
	if (in->old == NULL)
		failed_load(&c, "old.load", "certificate old", rot->old, err);
	if (in->new == NULL && in->old == NULL && in->new_err.status != CR_OK)
		failed_load(&c, "new.load", "certificate new", rot->new, &in->new_err);
	else if (in->new == NULL && in->failed == PLAN_INPUT_NEW)
		failed_load(&c, "new.load", "certificate new", rot->new, err);
	if (in->old != NULL && in->new != NULL) {
		/* both loaded: what failed came after them */
		if (in->failed == PLAN_INPUT_CHAIN || in->failed == PLAN_INPUT_TRUST)
			failed_load(&c, "new.chain", "certificate new", NULL, err);
		else
			failed_load(&c, NULL, NULL, in->failed_source, err);
	}
	count_report(rep, o->strict);
	return 1;
}

void
rot_report_release(struct rot_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++) {
		free(rep->items[i].subject);
		rot_result_release(&rep->items[i].res);
		free(rep->keys[i]);
	}
	for (i = 0; i < rep->nsteps; i++)
		free(rep->steps[i].items);
	free(rep->items);
	free(rep->keys);
	free(rep->steps);
	free(rep->top);
	plan_map_release(&rep->index);
	memset(rep, 0, sizeof(*rep));
}
