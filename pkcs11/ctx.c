/*
 * ctx.c - the context: created empty, told the configuration's `tokens`
 * entries and modes, and freed with everything the files below it built
 * (modules, tokens, their objects).  The top of pkcs11/: it calls into the
 * other files, none calls into it.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "p11-int.h"

int
p11_ctx_new(struct p11_ctx **out, struct cr_err *err)
{
	(void)err;
	*out = cr_xcalloc(1, sizeof(**out));
	return CR_OK;
}

/* The objects of every token first, then the modules, in reverse load
 * order. */
void
p11_ctx_free(struct p11_ctx *ctx)
{
	size_t i;

	if (ctx == NULL)
		return;
	for (i = 0; i < ctx->nmods; i++) {
		struct p11_module *m = ctx->mods[i];
		size_t j;

		for (j = 0; j < m->ntokens; j++) {
			p11__fps_drop(m->tokens[j]);
			p11__keys_release(m->tokens[j]);
			p11__certs_release(m->tokens[j]);
		}
	}
	for (i = ctx->nmods; i > 0; i--)
		p11__module_free(ctx->mods[i - 1]);
	free(ctx->mods);
	free(ctx->last_spec);
	for (i = 0; i < ctx->nrefused; i++)
		free(ctx->refused[i]);
	free(ctx->refused);
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

void
p11_ctx_set_lazy_parse(struct p11_ctx *ctx, int lazy)
{
	ctx->lazy_parse = lazy;
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
			return cr_err_setr(err, CR_EINPUT, CR_R_CONFIG,
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
