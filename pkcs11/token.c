/*
 * token.c - the tokens of the loaded modules: which tokens a URI names
 * (searching the URI's module, a `tokens` entry's, or every registered
 * one), what they are called, and the state they report now.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "p11-int.h"

const char *
p11__token_conf_pin_source(struct p11_token *tok)
{
	struct p11_ctx *ctx = tok->mod->ctx;
	size_t i;

	for (i = 0; i < ctx->nconf; i++) {
		const struct p11_token_conf *c = &ctx->conf[i];

		if (c->pin_source == NULL || !p11__uri_matches_token(c->uri, tok))
			continue;
		if (c->module != NULL) {
			/* an entry naming a module applies to that module's tokens only */
			char real[PATH_MAX], *path = p11__resolve_spec(ctx, c->module);
			int same = path != NULL && realpath(path, real) != NULL &&
			    strcmp(real, tok->mod->key) == 0;

			free(path);
			if (!same)
				continue;
		}
		return c->pin_source;
	}
	return NULL;
}

int
p11__same_token(const struct p11_token *a, const struct p11_token *b)
{
	/* a token without a serial number cannot be told from another */
	return a->serial[0] != '\0' && strcmp(a->serial, b->serial) == 0 &&
	    strcmp(a->label, b->label) == 0 && strcmp(a->model, b->model) == 0 &&
	    strcmp(a->manufacturer, b->manufacturer) == 0;
}

/*
 * One physical token reached through two modules (a wrapper and the module
 * it wraps, two vendors' modules for one card) is listed once: the first
 * module in search order wins.  Tokens are few; this is not per object.
 */
static int
seen_before(struct p11_token *const *v, size_t n, const struct p11_token *tok)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i]->mod != tok->mod && p11__same_token(v[i], tok))
			return 1;
	return 0;
}

struct modlist {
	struct p11_module **v;
	size_t n, cap;
};

static void
modlist_add(struct modlist *l, struct p11_module *m)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i] == m)
			return;
	cr_grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = m;
}

int
p11_find_tokens(struct p11_ctx *ctx, const struct p11_uri *uri,
    struct p11_token ***out, size_t *n, struct cr_err *err)
{
	struct modlist mods = { NULL, 0, 0 };
	struct p11_token **v = NULL;
	struct cr_err soft;
	struct cr_buf searched = CR_BUF_INIT;
	size_t i, j, cap = 0, count = 0;
	int r = CR_OK, soft_failed = 0;
	struct p11_module *m;

	*out = NULL;
	*n = 0;
	cr_err_clear(&soft);
	if (uri->module_path != NULL || uri->module_name != NULL) {
		/* the URI names its module: only that one, and its failure is fatal */
		r = p11__module_get(ctx, uri->module_path ? uri->module_path : uri->module_name,
		    &m, err);
		if (r != CR_OK)
			goto out;
		modlist_add(&mods, m);
	} else {
		for (i = 0; i < ctx->nconf; i++) {
			const struct p11_token_conf *c = &ctx->conf[i];

			if (c->module == NULL || !p11_uri_token_matches(c->uri, uri))
				continue;
			if ((r = p11__module_get(ctx, c->module, &m, err)) != CR_OK)
				goto out;
			modlist_add(&mods, m);
		}
	}
	if (mods.n == 0) {
		/* the modules of `tokens` entries, then every module registered with
		 * p11-kit; a module that fails to load is skipped here */
		p11__registry_load(ctx);
		for (i = 0; i < ctx->nconf + ctx->nreg; i++) {
			const char *spec = i < ctx->nconf ? ctx->conf[i].module :
			    ctx->reg[i - ctx->nconf].path;
			struct cr_err e;

			if (spec == NULL)
				continue;
			if (p11__module_get(ctx, spec, &m, &e) == CR_OK) {
				modlist_add(&mods, m);
			} else if (!soft_failed) {
				soft = e;
				soft_failed = 1;
			}
		}
	}
	for (i = 0; i < mods.n; i++) {
		m = mods.v[i];
		if (i > 0)
			cr_buf_adds(&searched, ", ");
		cr_buf_addf(&searched, "'%s'%s", m->display, m->nslots == 0 ? " (no slots)" : "");
		for (j = 0; j < m->ntokens; j++) {
			struct p11_token *tok = m->tokens[j];

			if (!p11__uri_matches_token(uri, tok) || seen_before(v, count, tok))
				continue;
			cr_grow(&v, &cap, count + 1, sizeof(*v));
			v[count++] = tok;
			if (uri->pin_source != NULL && tok->pin_source == NULL)
				tok->pin_source = cr_xstrdup(uri->pin_source);
		}
	}
	if (count == 0) {
		r = cr_err_setr(err, CR_EENV, CR_R_TOKEN_ABSENT,
		    "no token matches '%s' (modules searched: %s)%s%s",
		    uri->text, mods.n ? cr_buf_str(&searched) : "none",
		    soft_failed ? "; " : "", soft_failed ? soft.msg : "");
		goto out;
	}
	*out = v;
	*n = count;
	v = NULL;
	r = CR_OK;
out:
	free(v);
	free(mods.v);
	cr_buf_release(&searched);
	return r;
}

const char *
p11_token_label(const struct p11_token *tok)
{
	return tok->label;
}

const char *
p11_token_serial(const struct p11_token *tok)
{
	return tok->serial;
}

const char *
p11_token_module(const struct p11_token *tok)
{
	return tok->mod->key;
}

const char *
p11_token_uri(const struct p11_token *tok)
{
	return tok->uri;
}

void
p11__pin_state_from(CK_FLAGS f, struct p11_pin_state *st)
{
	st->count_low = (f & CKF_USER_PIN_COUNT_LOW) != 0;
	st->final_try = (f & CKF_USER_PIN_FINAL_TRY) != 0;
	st->locked = (f & CKF_USER_PIN_LOCKED) != 0;
}

int
p11__token_info(struct p11_token *tok, CK_TOKEN_INFO *info, struct cr_err *err)
{
	CK_RV rv = tok->mod->fl->C_GetTokenInfo(tok->slot_id, info);

	if (rv == CKR_OK)
		return CR_OK;
	return p11__rv_fail(err, rv, tok->label, "cannot read the state of token '%s'",
	    tok->label);
}

int
p11_token_pin_state(struct p11_token *tok, struct p11_pin_state *st, struct cr_err *err)
{
	CK_TOKEN_INFO info;
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = p11__token_info(tok, &info, err)) != CR_OK)
		return r;
	p11__pin_state_from(info.flags, st);
	return CR_OK;
}
