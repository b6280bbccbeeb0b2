/*
 * registry.c - the engine's table of checks: one row per row of
 * plan/checks.def, indexed by its enum, with the subject, the
 * dependencies and the evaluator.  Generated: a check added there is here.
 */
#include "internal.h"

const struct chk_row chk_registry[PLAN_NCHECKS] = {
	[PLAN_CHK_NONE] = { PLAN_CHK_NONE, CHK_SUBJ_NONE, 0, NULL },
#define PLAN_CHECK(name, id, subject, flags, eval, what) \
	[PLAN_CHK_##name] = { PLAN_CHK_##name, CHK_SUBJ_##subject, flags, eval },
#include "../plan/checks.def"
#undef PLAN_CHECK
};

/* One row per enum value, and no value without its row's evaluator. */
#define PLAN_CHECK(name, id, subject, flags, eval, what) +1
_Static_assert(PLAN_NCHECKS == 1 + 0
#include "../plan/checks.def"
    , "every check of checks.def has its row");
#undef PLAN_CHECK
