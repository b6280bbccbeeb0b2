/*
 * names.c - the names of the model's enums (config.h, steptype.h), one
 * table each: the schema reads settings with them (schema.c), messages and
 * output print them.
 */
#include "loader.h"

static const char *const step_names[PLAN_NSTEPTYPES] = {
	"import", "grant", "rebind", "rename", "restart", "retire",
};

const struct plan_enum plan_retire_modes = {	/* enum plan_retire_mode */
	{ "archive", "delete", "keep", NULL }, PLAN_RETIRE_ARCHIVE,
};

const struct plan_enum plan_ref_types = {	/* enum plan_ref_type */
	{ "binding", "connector", "file", NULL }, PLAN_REF_BINDING,
};

const char *
plan_step_type_name(enum plan_step_type t)
{
	return (unsigned)t < PLAN_NSTEPTYPES ? step_names[t] : "?";
}

/* The name of value v of an enum, "?" when out of range. */
static const char *
enum_name(const struct plan_enum *en, int v)
{
	int i;

	for (i = 0; en->names[i] != NULL; i++)
		if (en->base + i == v)
			return en->names[i];
	return "?";
}

const char *
plan_ref_type_name(enum plan_ref_type t)
{
	return enum_name(&plan_ref_types, (int)t);
}

const char *
plan_retire_mode_name(enum plan_retire_mode m)
{
	return enum_name(&plan_retire_modes, (int)m);
}
