/*
 * act.c - THE table of actions (act.h): a row per plan variant with its
 * native run and undo, and the rows of the steps done by a hook or by the
 * operator.  A new native variant is its row here and its functions in an
 * act_*.c file.
 */
#include <stddef.h>

#include "act.h"

static const struct act_row native[PLAN_NVARIANTS] = {
	{ PLAN_V_IMPORT_TOKEN, act_token_import, act_token_unimport },
	{ PLAN_V_IMPORT_HOST, NULL, NULL },
	{ PLAN_V_GRANT, NULL, NULL },
	{ PLAN_V_REBIND_BINDING, NULL, NULL },
	{ PLAN_V_REBIND_FILE, act_file_install, act_file_restore },
	{ PLAN_V_RENAME, NULL, NULL },
	{ PLAN_V_RESTART, NULL, NULL },
	{ PLAN_V_RETIRE_HOST, NULL, NULL },
	{ PLAN_V_RETIRE_TOKEN, act_token_retire, act_token_restore },
};

static const struct act_row by_hook = { PLAN_NVARIANTS, act_hook_run, act_hook_undo };
static const struct act_row by_hand = { PLAN_NVARIANTS, act_manual_run, act_manual_undo };

const struct act_row *
act_native(enum plan_variant v)
{
	return (unsigned)v < PLAN_NVARIANTS ? &native[v] : NULL;
}

const struct act_row *
act_lookup(const struct plan_step *s)
{
	switch (s->action) {
	case PLAN_COMMAND:
		return &by_hook;
	case PLAN_MANUAL:
		return &by_hand;
	case PLAN_NATIVE:
		break;
	}
	return act_native(s->variant);
}
