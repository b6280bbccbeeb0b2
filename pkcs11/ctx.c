/*
 * ctx.c - the context: p11-kit's module registry, `tokens` entries, modules
 * loaded through libp11, their tokens, and which tokens a URI names.
 *
 * libp11 0.4.12 traps designed around here (see PKCS11-NOTES.md):
 *  - PKCS11_CTX_unload() after a failed PKCS11_CTX_load() segfaults: a failed
 *    load is followed by PKCS11_CTX_free() only;
 *  - PKCS11_update_slots() segfaults with two or more slots: slots are
 *    enumerated once per module and never updated;
 *  - a load leaves DSO/ENGINE noise on OpenSSL's error queue even when it
 *    succeeds, and a failed dlopen is printed on stderr by libp11: we dlopen
 *    the file ourselves first (which also gives the raw function list and a
 *    useful dlerror() message) and clear the queue after loading;
 *  - two PKCS11_CTX on one library would C_Initialize it twice and the first
 *    PKCS11_CTX_unload would C_Finalize it under the other: modules are keyed
 *    by realpath, so "/usr/lib/softhsm/libsofthsm2.so" and its symlink target
 *    share one.
 * p11-kit's registry is read once with p11_kit_modules_load (which
 * initialises nothing) and released at once; its modules are never
 * finalised here (that would pull a module from under libp11).
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <p11-kit/p11-kit.h>

#include "../common/util.h"
#include "p11-int.h"

int
p11_ctx_new(struct p11_ctx **out, struct cr_err *err)
{
	(void)err;
	*out = cr_xcalloc(1, sizeof(**out));
	return CR_OK;
}

static void
token_free(struct p11_token *tok)
{
	if (tok == NULL)
		return;
	p11__token_free_objects(tok);
	free(tok->label);
	free(tok->serial);
	free(tok->manufacturer);
	free(tok->model);
	free(tok->uri);
	free(tok->pin_source);
	free(tok);
}

static void
module_free(struct p11_module *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->ntokens; i++)
		token_free(m->tokens[i]);
	free(m->tokens);
	if (m->lctx != NULL) {
		if (m->slots != NULL)
			PKCS11_release_all_slots(m->lctx, m->slots, m->nslots);
		if (m->lloaded)
			PKCS11_CTX_unload(m->lctx);
		PKCS11_CTX_free(m->lctx);
	}
	if (m->dl != NULL)
		dlclose(m->dl);
	free(m->key);
	free(m->display);
	free(m);
	/* libp11 leaves its own noise behind on unload */
	ERR_clear_error();
}

void
p11_ctx_free(struct p11_ctx *ctx)
{
	size_t i;

	if (ctx == NULL)
		return;
	/* modules in reverse load order */
	for (i = ctx->nmods; i > 0; i--)
		module_free(ctx->mods[i - 1]);
	free(ctx->mods);
	for (i = 0; i < ctx->nconf; i++) {
		p11_uri_free(ctx->conf[i].uri);
		free(ctx->conf[i].module);
		free(ctx->conf[i].pin_source);
	}
	free(ctx->conf);
	for (i = 0; i < ctx->nreg; i++) {
		free(ctx->reg[i].name);
		free(ctx->reg[i].path);
	}
	free(ctx->reg);
	free(ctx);
}

void
p11_ctx_set_force_login(struct p11_ctx *ctx, int force)
{
	ctx->force_login = force;
}

void
p11_ctx_set_read_write(struct p11_ctx *ctx, int rw)
{
	ctx->rw = rw;
}

int
p11_ctx_add_token_conf(struct p11_ctx *ctx, const char *uri, const char *module,
    const char *pin_source, struct cr_err *err)
{
	struct p11_token_conf c = { 0 };
	int r;

	if ((r = p11_uri_parse(uri, NULL, &c.uri, err)) != CR_OK)
		return r;
	if (module != NULL && *module != '\0')
		c.module = cr_xstrdup(module);
	else if (p11_uri_module_path(c.uri) != NULL)
		c.module = cr_xstrdup(p11_uri_module_path(c.uri));
	else if (p11_uri_module_name(c.uri) != NULL)
		c.module = cr_xstrdup(p11_uri_module_name(c.uri));
	if (pin_source != NULL && *pin_source != '\0') {
		c.pin_source = p11__pin_source_path(pin_source, NULL);
		if (c.pin_source == NULL) {
			p11_uri_free(c.uri);
			free(c.module);
			return cr_err_set(err, CR_EINPUT,
			    "bad pin_source '%s' for '%s': must be file:PATH or a path",
			    pin_source, uri);
		}
	} else if (p11_uri_pin_source(c.uri) != NULL) {
		c.pin_source = cr_xstrdup(p11_uri_pin_source(c.uri));
	}
	cr_grow(&ctx->conf, &ctx->confcap, ctx->nconf + 1, sizeof(*ctx->conf));
	ctx->conf[ctx->nconf++] = c;
	return CR_OK;
}

/* ---- registry ------------------------------------------------------- */

static void
registry_load(struct p11_ctx *ctx)
{
	CK_FUNCTION_LIST **mods;
	size_t i, n = 0;

	if (ctx->reg_loaded)
		return;
	ctx->reg_loaded = 1;
	/* Loads the module files but initialises none of them. */
	mods = p11_kit_modules_load(NULL, 0);
	if (mods == NULL)
		return;
	while (mods[n] != NULL)
		n++;
	ctx->reg = cr_xcalloc(n ? n : 1, sizeof(*ctx->reg));
	for (i = 0; i < n; i++) {
		char *name = p11_kit_module_get_name(mods[i]);
		char *file = p11_kit_module_get_filename(mods[i]);

		if (name != NULL && file != NULL) {
			ctx->reg[ctx->nreg].name = cr_xstrdup(name);
			ctx->reg[ctx->nreg].path = cr_xstrdup(file);
			ctx->nreg++;
		}
		free(name);
		free(file);
	}
	/* release, never finalize: libp11 may be using the same libraries */
	p11_kit_modules_release(mods);
}

/*
 * A module spec is a path (it has a '/') or the name of a module registered
 * with p11-kit ("softhsm2"), or the file name of one ("libsofthsm2.so").
 * Returns a new string, or NULL when the name is unknown.
 */
static char *
resolve_spec(struct p11_ctx *ctx, const char *spec)
{
	size_t i;

	if (strchr(spec, '/') != NULL)
		return cr_xstrdup(spec);
	registry_load(ctx);
	for (i = 0; i < ctx->nreg; i++)
		if (strcmp(ctx->reg[i].name, spec) == 0)
			return cr_xstrdup(ctx->reg[i].path);
	for (i = 0; i < ctx->nreg; i++) {
		const char *base = strrchr(ctx->reg[i].path, '/');

		if (strcmp(base ? base + 1 : ctx->reg[i].path, spec) == 0)
			return cr_xstrdup(ctx->reg[i].path);
	}
	return NULL;
}

/* ---- modules -------------------------------------------------------- */

static char *
trimmed(const unsigned char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\0'))
		n--;
	return cr_xstrndup((const char *)s, n);
}

static char *
token_uri_string(const struct p11_token *tok)
{
	struct cr_buf b = CR_BUF_INIT;

	cr_buf_adds(&b, "pkcs11:token=");
	p11__uri_encode(&b, tok->label, strlen(tok->label));
	if (tok->serial[0] != '\0') {
		cr_buf_adds(&b, ";serial=");
		p11__uri_encode(&b, tok->serial, strlen(tok->serial));
	}
	return cr_buf_detach(&b);
}

static int
module_enumerate(struct p11_module *m, struct cr_err *err)
{
	unsigned int i;
	CK_RV rv;
	char rvs[48];

	if (PKCS11_enumerate_slots(m->lctx, &m->slots, &m->nslots) != 0) {
		CK_ULONG count = 1;

		rv = p11__ckr_from_queue();
		m->slots = NULL;
		m->nslots = 0;
		/*
		 * libp11 0.4.12 fails on a module without slots (OpenSC with no
		 * reader): it allocates the slot array with OPENSSL_malloc(0), which
		 * is NULL, and reports no CK_RV.  Ask the module itself: no slots is
		 * no tokens, not a failed module.  A CK_RV from libp11, or one from
		 * the count, is a real failure.
		 */
		if (rv == CKR_OK && (rv = m->fl->C_GetSlotList(CK_FALSE, NULL, &count)) == CKR_OK &&
		    count == 0) {
			m->tokens = cr_xcalloc(1, sizeof(*m->tokens));
			return CR_OK;
		}
		return cr_err_set(err, CR_EENV, "cannot list the slots of PKCS#11 module '%s': %s",
		    m->display, rv != CKR_OK ? p11__ckr_str(rv, rvs, sizeof(rvs)) : "libp11 failed");
	}
	m->tokens = cr_xcalloc(m->nslots ? m->nslots : 1, sizeof(*m->tokens));
	for (i = 0; i < m->nslots; i++) {
		PKCS11_SLOT *slot = &m->slots[i];
		struct p11_token *tok;
		CK_SLOT_ID id;

		if (slot->token == NULL)
			continue;
		id = PKCS11_get_slotid_from_slot(slot);
		tok = cr_xcalloc(1, sizeof(*tok));
		tok->mod = m;
		tok->slot = slot;
		tok->slot_id = id;
		/* fresh and unpadded-safe: the raw structures, not libp11's copies */
		if (m->fl->C_GetTokenInfo(id, &tok->info) != CKR_OK ||
		    !(tok->info.flags & CKF_TOKEN_INITIALIZED) ||
		    m->fl->C_GetSlotInfo(id, &tok->slot_info) != CKR_OK) {
			free(tok);	/* absent or uninitialised: holds nothing */
			continue;
		}
		tok->label = trimmed(tok->info.label, sizeof(tok->info.label));
		tok->serial = trimmed(tok->info.serialNumber, sizeof(tok->info.serialNumber));
		tok->manufacturer = trimmed(tok->info.manufacturerID,
		    sizeof(tok->info.manufacturerID));
		tok->model = trimmed(tok->info.model, sizeof(tok->info.model));
		tok->uri = token_uri_string(tok);
		m->tokens[m->ntokens++] = tok;
	}
	return CR_OK;
}

static int
module_load(struct p11_module *m, struct cr_err *err)
{
	CK_C_GetFunctionList get;
	CK_RV rv;
	char rvs[48];
	const char *e;

	/*
	 * Our own dlopen first: the same handle libp11 gets next (so the same
	 * function table and module state), a clear message when the file is no
	 * module, and libp11 never gets to print dlerror() on stderr.
	 */
	dlerror();
	m->dl = dlopen(m->key, RTLD_NOW | RTLD_LOCAL);
	if (m->dl == NULL) {
		e = dlerror();
		return cr_err_set(err, CR_EENV, "cannot load PKCS#11 module '%s': %s", m->display,
		    e ? e : "dlopen failed");
	}
	get = (CK_C_GetFunctionList)dlsym(m->dl, "C_GetFunctionList");
	if (get == NULL)
		return cr_err_set(err, CR_EENV,
		    "cannot load PKCS#11 module '%s': no C_GetFunctionList in it", m->display);
	if ((rv = get(&m->fl)) != CKR_OK || m->fl == NULL) {
		m->fl = NULL;
		return cr_err_set(err, CR_EENV,
		    "cannot load PKCS#11 module '%s': C_GetFunctionList failed (%s)", m->display,
		    p11__ckr_str(rv, rvs, sizeof(rvs)));
	}

	ERR_clear_error();
	m->lctx = PKCS11_CTX_new();
	if (PKCS11_CTX_load(m->lctx, m->key) != 0) {
		rv = p11__ckr_from_queue();
		/* never PKCS11_CTX_unload after a failed load (libp11 0.4.12 crash) */
		PKCS11_CTX_free(m->lctx);
		m->lctx = NULL;
		return cr_err_set(err, CR_EENV, "cannot initialise PKCS#11 module '%s': %s",
		    m->display, rv ? p11__ckr_str(rv, rvs, sizeof(rvs)) : "C_Initialize failed");
	}
	ERR_clear_error();	/* SoftHSM's DSO/ENGINE noise, even on success */
	m->lloaded = 1;
	/* libp11 has initialised the library: the raw table is usable as is */
	if ((rv = m->fl->C_GetInfo(&m->info)) != CKR_OK)
		return cr_err_set(err, CR_EENV, "PKCS#11 module '%s' fails C_GetInfo: %s",
		    m->display, p11__ckr_str(rv, rvs, sizeof(rvs)));
	return module_enumerate(m, err);
}

int
p11__module_get(struct p11_ctx *ctx, const char *spec, struct p11_module **out,
    struct cr_err *err)
{
	struct p11_module *m;
	char real[PATH_MAX];
	char *path;
	size_t i;
	int r;

	*out = NULL;
	path = resolve_spec(ctx, spec);
	if (path == NULL)
		return cr_err_set(err, CR_EENV,
		    "cannot load PKCS#11 module '%s': no module of that name is registered "
		    "with p11-kit", spec);
	if (realpath(path, real) == NULL) {
		r = cr_err_set(err, CR_EENV, "cannot load PKCS#11 module '%s': %s", spec,
		    strerror(errno));
		free(path);
		return r;
	}
	free(path);
	/* dlopen() opens anything: a FIFO or a terminal would block it forever */
	if ((r = cr_check_regular(real, "cannot load PKCS#11 module", spec, CR_EENV, err)) != CR_OK)
		return r;
	for (i = 0; i < ctx->nmods; i++) {
		m = ctx->mods[i];
		if (strcmp(m->key, real) != 0)
			continue;
		if (m->state < 0) {
			if (err != NULL)
				*err = m->fail;
			return m->fail.status;
		}
		*out = m;
		return CR_OK;
	}
	m = cr_xcalloc(1, sizeof(*m));
	m->ctx = ctx;
	m->key = cr_xstrdup(real);
	m->display = cr_xstrdup(spec);
	cr_grow(&ctx->mods, &ctx->modcap, ctx->nmods + 1, sizeof(*ctx->mods));
	ctx->mods[ctx->nmods++] = m;
	if ((r = module_load(m, &m->fail)) != CR_OK) {
		/* remembered: the next URI naming it gets the same answer at once */
		m->state = -1;
		if (err != NULL)
			*err = m->fail;
		return r;
	}
	m->state = 1;
	cr_err_clear(&m->fail);
	*out = m;
	return CR_OK;
}

/* ---- tokens --------------------------------------------------------- */

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
			char real[PATH_MAX], *path = resolve_spec(ctx, c->module);
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
		registry_load(ctx);
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
		r = cr_err_set(err, CR_EENV, "no token matches '%s' (modules searched: %s)%s%s",
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

CK_RV
p11__raw_open(struct p11_token *tok, int rw, CK_SESSION_HANDLE *s)
{
	CK_FLAGS flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);

	return tok->mod->fl->C_OpenSession(tok->slot_id, flags, NULL, NULL, s);
}

void
p11__raw_close(struct p11_token *tok, CK_SESSION_HANDLE s)
{
	/* only this session: C_CloseAllSessions would log libp11 out */
	(void)tok->mod->fl->C_CloseSession(s);
}
