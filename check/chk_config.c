/*
 * chk_config.c - the configuration's own check (config): each warning the
 * loader found - an invisible mark stripped from a pasted thumbprint, a
 * protect entry naming what an earlier one names - is a warning item of
 * the report, about its setting, so that `check --strict` fails on it and
 * JSON carries it, not only a line on stderr.
 */
#include <stdlib.h>

#include "internal.h"
#include "../common/util.h"

void
chk_eval_config(struct chk_ctx *c, const struct chk_at *at)
{
	size_t i, idx;
	int fresh;

	for (i = 0; i < c->cfg->nwarnings; i++) {
		const struct plan_warning *w = &c->cfg->warnings[i];
		char *subject = cr_xasprintf("setting %s", w->setting);
		char *what = cr_xasprintf("%zu\x1f%s", i, w->setting);

		idx = chk_item_get(c, at->check, at->phase, subject, what, &fresh);
		if (fresh)
			chk_result_set(&chk_item_at(c, idx)->res, CHK_WARN, "%s", w->msg);
		chk_attach(c, at, idx);
		free(subject);
		free(what);
	}
}
