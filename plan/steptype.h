/*
 * steptype.h - the step types of SPEC 5, in plan order (shared by the
 * configuration model, its placeholders and the planner).
 */
#ifndef PLAN_STEPTYPE_H
#define PLAN_STEPTYPE_H

enum plan_step_type {
	PLAN_IMPORT = 0,
	PLAN_GRANT,
	PLAN_REBIND,
	PLAN_RENAME,
	PLAN_RESTART,
	PLAN_RETIRE,
	PLAN_NSTEPTYPES
};

/* Bit of a step type in a set of step types (unsigned). */
#define PLAN_STEP_BIT(t) (1u << (t))
#define PLAN_ALL_STEPS ((1u << PLAN_NSTEPTYPES) - 1)

/* "import", "grant", ... ("?" out of range).  Static. */
const char *plan_step_type_name(enum plan_step_type t);

#endif
