/*
 * load.h - what every plan-based subcommand starts with: the configuration,
 * a token context set up from its `tokens` section, the certificates, and
 * the plan.
 */
#ifndef ROT_LOAD_H
#define ROT_LOAD_H

#include "rot.h"
#include "../plan/plan.h"

struct p11_ctx;

struct rot_loaded {
	struct plan_config *cfg;
	struct p11_ctx *p11;
	struct plan_inputs *in;
	struct plan *plan;
	const char *kinds_cli;		/* set by the caller: --kinds DIR, or NULL */
};
#define ROT_LOADED_INIT { NULL, NULL, NULL, NULL, NULL }

/*
 * Loads `cfgpath` - and checks that every service's `kind` is a kind of the
 * kinds directory (runbook/kind.h book_kinds_dir: ld->kinds_cli, kinds_dir,
 * the source tree's, the installed one; a configuration error naming the
 * setting, with "did you mean", when it is not; nothing is said when the
 * directory cannot be read: runbook says it) - sets up the token context for command `cmd` (its token
 * sessions read-write when the command's row says ROT_NEEDS_WRITE;
 * force_login: see p11_ctx_set_force_login), loads the inputs (flags:
 * PLAN_LOAD_*) and builds the plan into *ld.  On failure err names the file, line and
 * setting or the certificate; *ld holds what was loaded (release it either
 * way with rot_loaded_release).
 */
int rot_load(const struct rot_command *cmd, const char *cfgpath, int force_login, unsigned flags,
    struct rot_loaded *ld, struct cr_err *err);
void rot_loaded_release(struct rot_loaded *ld);

/* Prints the configuration's warnings (e.g. a pasted invisible mark) on stderr. */
void rot_loaded_warn(const struct rot_loaded *ld);

#endif
