/*
 * module.c - p11-kit's module registry, and the modules loaded through
 * libp11 with their tokens.
 *
 * libp11 0.4.12 traps designed around here (see PKCS11-NOTES.md):
 *  - PKCS11_CTX_unload() after a failed PKCS11_CTX_load() segfaults: a failed
 *    load is followed by PKCS11_CTX_free() only;
 *  - PKCS11_update_slots() segfaults with two or more slots: slots are
 *    enumerated once per module and never updated;
 *  - a load leaves DSO/ENGINE noise on OpenSSL's error queue even when it
 *    succeeds, and a failed dlopen is printed on stderr by libp11: we dlopen
 *    the file ourselves first (which also gives a useful dlerror() message)
 *    and clear the queue after loading;
 *  - two PKCS11_CTX on one library would C_Initialize it twice and the first
 *    PKCS11_CTX_unload would C_Finalize it under the other: modules are keyed
 *    by realpath, so "/usr/lib/softhsm/libsofthsm2.so" and its symlink target
 *    share one;
 *  - libp11 offers no accessor for the function list it initialised, and a
 *    module's C_GetFunctionList may hand every caller a list of its own
 *    (p11-kit's client and proxy modules do: a list we fetch ourselves is
 *    then not initialised, and through the client it would be a connection of
 *    its own, without libp11's login).  See raw_list().
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

#include "../common/fsutil.h"
#include "../common/util.h"
#include "p11-int.h"

/* ---- registry ------------------------------------------------------- */

void
p11__registry_load(struct p11_ctx *ctx)
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
char *
p11__resolve_spec(struct p11_ctx *ctx, const char *spec)
{
	size_t i;

	if (strchr(spec, '/') != NULL)
		return cr_xstrdup(spec);
	p11__registry_load(ctx);
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
	p11_uri_encode(&b, tok->label, strlen(tok->label), 0);
	if (tok->serial[0] != '\0') {
		cr_buf_adds(&b, ";serial=");
		p11_uri_encode(&b, tok->serial, strlen(tok->serial), 0);
	}
	return cr_buf_detach(&b);
}

/* A module's failure as a whole (not one token's): CR_R_MODULE. */
static int
module_reason(struct cr_err *err)
{
	if (err != NULL)
		err->reason = CR_R_MODULE;
	return CR_EENV;
}

static int
module_enumerate(struct p11_module *m, struct cr_err *err)
{
	unsigned int i;
	CK_RV rv;

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
		p11__rv_fail(err, rv, NULL, "cannot list the slots of PKCS#11 module '%s'",
		    m->display);
		return module_reason(err);
	}
	m->tokens = cr_xcalloc(m->nslots ? m->nslots : 1, sizeof(*m->tokens));
	for (i = 0; i < m->nslots; i++) {
		PKCS11_SLOT *slot = &m->slots[i];
		struct p11_token *tok;
		CK_SLOT_ID id;

		/* no token, or one never initialised (SoftHSM2's free slot): no
		 * objects, and no call to learn it again */
		if (slot->token == NULL || !slot->token->initialized)
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

/*
 * The function list libp11 initialised.  libp11 0.4.x has no accessor for
 * it; it is the first member of its private context (struct
 * pkcs11_ctx_private { CK_FUNCTION_LIST_PTR method; ... }, the same in 0.4.10
 * to 0.4.13), so it is read from there when built against 0.4.x (Makefile:
 * CR_LIBP11_VERSION) and only believed when it looks like a function list.
 * NULL otherwise: the caller then initialises a list of its own.
 */
static CK_FUNCTION_LIST *
libp11_list(PKCS11_CTX *lctx)
{
#if defined(CR_LIBP11_VERSION) && CR_LIBP11_VERSION >= 400 && CR_LIBP11_VERSION < 500
	CK_FUNCTION_LIST *l;

	if (lctx == NULL || lctx->_private == NULL)
		return NULL;
	l = *(CK_FUNCTION_LIST **)lctx->_private;
	if (l == NULL || (l->version.major != 2 && l->version.major != 3) ||
	    l->C_GetInfo == NULL || l->C_OpenSession == NULL || l->C_GetAttributeValue == NULL)
		return NULL;
	return l;
#else
	(void)lctx;
	return NULL;
#endif
}

/*
 * The raw function list: the very one libp11 initialised (login state and
 * sessions shared), which for most modules is also what our own
 * C_GetFunctionList returned.  A module that hands each caller its own list
 * (p11-kit's client and proxy) needs libp11's; when that cannot be reached,
 * our own is initialised here - and finalised by p11__module_free, that one
 * only - at the price of not sharing libp11's login (a remote token's
 * private objects then stay invisible to raw reads).
 */
static int
raw_list(struct p11_module *m, CK_FUNCTION_LIST *ours, struct cr_err *err)
{
	CK_FUNCTION_LIST *lib = libp11_list(m->lctx);
	CK_C_INITIALIZE_ARGS args;
	CK_RV rv;

	if (lib != NULL) {
		m->fl = lib;
		return CR_OK;
	}
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = ours->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		p11__rv_fail(err, rv, NULL, "cannot initialise PKCS#11 module '%s'", m->display);
		return module_reason(err);
	}
	/* ALREADY_INITIALIZED: one shared list, libp11's */
	m->fl_init = rv == CKR_OK;
	m->fl = ours;
	return CR_OK;
}

static int
module_load(struct p11_module *m, struct cr_err *err)
{
	CK_C_GetFunctionList get;
	CK_FUNCTION_LIST *ours = NULL;
	CK_RV rv;
	char rvs[48];
	const char *e;
	int r;

	/*
	 * Our own dlopen first: the same handle libp11 gets next, a clear
	 * message when the file is no module, and libp11 never gets to print
	 * dlerror() on stderr.
	 */
	dlerror();
	m->dl = dlopen(m->key, RTLD_NOW | RTLD_LOCAL);
	if (m->dl == NULL) {
		e = dlerror();
		return cr_err_setr(err, CR_EENV, CR_R_MODULE, "cannot load PKCS#11 module '%s': %s",
		    m->display, e ? e : "dlopen failed");
	}
	get = (CK_C_GetFunctionList)dlsym(m->dl, "C_GetFunctionList");
	if (get == NULL)
		return cr_err_setr(err, CR_EENV, CR_R_MODULE,
		    "cannot load PKCS#11 module '%s': no C_GetFunctionList in it", m->display);
	if ((rv = get(&ours)) != CKR_OK || ours == NULL)
		return cr_err_setr(err, CR_EENV, CR_R_MODULE,
		    "cannot load PKCS#11 module '%s': C_GetFunctionList failed (%s)", m->display,
		    p11__ckr_str(rv, rvs, sizeof(rvs)));

	ERR_clear_error();
	m->lctx = PKCS11_CTX_new();
	if (PKCS11_CTX_load(m->lctx, m->key) != 0) {
		rv = p11__ckr_from_queue();
		/* never PKCS11_CTX_unload after a failed load (libp11 0.4.12 crash) */
		PKCS11_CTX_free(m->lctx);
		m->lctx = NULL;
		return cr_err_setr(err, CR_EENV, CR_R_MODULE,
		    "cannot initialise PKCS#11 module '%s': %s", m->display,
		    rv ? p11__ckr_str(rv, rvs, sizeof(rvs)) : "C_Initialize failed");
	}
	ERR_clear_error();	/* SoftHSM's DSO/ENGINE noise, even on success */
	m->lloaded = 1;
	if ((r = raw_list(m, ours, err)) != CR_OK)
		return r;
	if ((rv = m->fl->C_GetInfo(&m->info)) != CKR_OK)
		return cr_err_setr(err, CR_EENV, CR_R_MODULE,
		    "PKCS#11 module '%s' fails C_GetInfo: %s", m->display,
		    p11__ckr_str(rv, rvs, sizeof(rvs)));
	return module_enumerate(m, err);
}

/* The spec's usable module, for the next call with the same spec. */
static void
remember(struct p11_ctx *ctx, const char *spec, struct p11_module *m)
{
	free(ctx->last_spec);
	ctx->last_spec = cr_xstrdup(spec);
	ctx->last_mod = m;
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
	if (ctx->last_spec != NULL && strcmp(ctx->last_spec, spec) == 0) {
		*out = ctx->last_mod;
		return CR_OK;
	}
	path = p11__resolve_spec(ctx, spec);
	if (path == NULL)
		return cr_err_setr(err, CR_EENV, CR_R_MODULE,
		    "cannot load PKCS#11 module '%s': no module of that name is registered "
		    "with p11-kit", spec);
	if (realpath(path, real) == NULL) {
		r = cr_err_setr(err, CR_EENV, CR_R_MODULE, "cannot load PKCS#11 module '%s': %s", spec,
		    strerror(errno));
		free(path);
		return r;
	}
	free(path);
	/* dlopen() opens anything: a FIFO or a terminal would block it forever */
	if ((r = cr_check_regular(real, "cannot load PKCS#11 module", spec, CR_EENV, err)) != CR_OK) {
		if (err != NULL)
			err->reason = CR_R_MODULE;
		return r;
	}
	for (i = 0; i < ctx->nmods; i++) {
		m = ctx->mods[i];
		if (strcmp(m->key, real) != 0)
			continue;
		if (m->state < 0) {
			if (err != NULL)
				*err = m->fail;
			return m->fail.status;
		}
		remember(ctx, spec, m);
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
	remember(ctx, spec, m);
	*out = m;
	return CR_OK;
}

static void
token_free(struct p11_token *tok)
{
	if (tok == NULL)
		return;
	free(tok->label);
	free(tok->serial);
	free(tok->manufacturer);
	free(tok->model);
	free(tok->uri);
	free(tok->pin_source);
	free(tok);
}

void
p11__module_free(struct p11_module *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->ntokens; i++)
		token_free(m->tokens[i]);
	free(m->tokens);
	/* ours only: a list libp11 initialised is libp11's to finalise */
	if (m->fl_init)
		(void)m->fl->C_Finalize(NULL);
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
