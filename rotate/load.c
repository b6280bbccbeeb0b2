#include "load.h"

#include "rot.h"
#include "../pkcs11/p11.h"

int
rot_load(const struct rot_command *cmd, const char *cfgpath, int force_login, unsigned flags,
    struct rot_loaded *ld, struct cr_err *err)
{
	int r;

	if ((r = plan_config_load(cfgpath, &ld->cfg, err)) != CR_OK)
		return r;
	if ((r = p11_ctx_new(&ld->p11, err)) != CR_OK)
		return r;
	p11_ctx_set_force_login(ld->p11, force_login);
	p11_ctx_set_read_write(ld->p11, rot_read_write(cmd));
	if ((r = plan_config_tokens(ld->cfg, ld->p11, err)) != CR_OK)
		return r;
	if ((r = plan_inputs_load(ld->cfg, ld->p11, flags, &ld->in, err)) != CR_OK)
		return r;
	return plan_build(ld->cfg, ld->in, &ld->plan, err);
}

void
rot_loaded_release(struct rot_loaded *ld)
{
	/* the plan borrows cfg and inputs; inputs borrow token objects of p11 */
	plan_free(ld->plan);
	plan_inputs_free(ld->in);
	plan_config_free(ld->cfg);
	p11_ctx_free(ld->p11);
	ld->plan = NULL;
	ld->in = NULL;
	ld->cfg = NULL;
	ld->p11 = NULL;
}

void
rot_loaded_warn(const struct rot_loaded *ld)
{
	size_t i;

	for (i = 0; ld->cfg != NULL && i < ld->cfg->nwarnings; i++)
		rot_warn("warning: %s", ld->cfg->warnings[i].msg);
}
