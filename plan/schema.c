/*
 * schema.c - every setting of certrotate.cfg (SPEC 4), one row each:
 * section, name, type, flags, where it is stored, default, validators.
 * Model: knot DNS's conf/schema.c.  The engine (cfgwalk.c) reads a group
 * by walking its section's rows in order, so the order of the rows is the
 * order in which a group's settings are checked (and the first problem of a
 * group is the first row's); the settings a group may hold are its rows'
 * names and its section's hooks, nothing else.
 *
 * Adding a setting: a row here, the field it names in config.h, a line in
 * doc/certrotate.cfg.5.  Reading, type checks, "missing (required)",
 * unknown-setting suggestions and freeing follow from the row.
 */
#include <string.h>

#include "loader.h"

#define B(t) PLAN_STEP_BIT(t)

/* ---- enums (names.c holds those others name too) ------------------------------ */

static const struct plan_enum starttls_protos = {	/* plan_ref.starttls_smtp: 0 none, 1 smtp */
	{ "smtp", NULL }, 1,
};

static const enum plan_src_use use_cert = PLAN_USE_CERT, use_key = PLAN_USE_KEY,
    use_token = PLAN_USE_TOKEN, use_import = PLAN_USE_IMPORT;
static const enum plan_sec sec_rotation = PLAN_SEC_ROTATION, sec_token = PLAN_SEC_TOKEN,
    sec_host = PLAN_SEC_HOST, sec_accepts = PLAN_SEC_ACCEPTS, sec_service = PLAN_SEC_SERVICE,
    sec_ref = PLAN_SEC_REF;
static const plan_hook_step_fn ref_hook_step = plan_ref_hook_step;
static const plan_hook_step_fn test_hook_step = plan_test_hook_step;

/* ---- sections ---------------------------------------------------------------------- */

#define ROT struct plan_rotation
#define TOK struct plan_token
#define HOST struct plan_host
#define SVC struct plan_service
#define REF struct plan_ref
#define CFG struct plan_config

static const struct plan_section sections[PLAN_NSECS] = {
	[PLAN_SEC_ROOT] = { "the top level", 0, sizeof(CFG), 0, 0 },
	[PLAN_SEC_ROTATION] = { "the rotation", PLAN_ALL_STEPS, sizeof(ROT), PLAN_AT(ROT, loc), 0 },
	[PLAN_SEC_TOKEN] = { "a token", 0, sizeof(TOK), PLAN_AT(TOK, loc), PLAN_AT(TOK, path) },
	[PLAN_SEC_HOST] = { "a host", B(PLAN_IMPORT) | B(PLAN_GRANT) | B(PLAN_REBIND) |
	    B(PLAN_RENAME) | B(PLAN_RESTART) | B(PLAN_RETIRE), sizeof(HOST), PLAN_AT(HOST, loc), PLAN_AT(HOST, path) },
	[PLAN_SEC_ACCEPTS] = { "accepts", 0, sizeof(HOST), 0, 0 },
	[PLAN_SEC_SERVICE] = { "a service", B(PLAN_REBIND) | B(PLAN_RENAME) | B(PLAN_RESTART),
	    sizeof(SVC), PLAN_AT(SVC, loc), PLAN_AT(SVC, path) },
	[PLAN_SEC_REF] = { "a ref", 0, sizeof(REF), PLAN_AT(REF, loc), PLAN_AT(REF, path) },
};

/* ---- THE table ------------------------------------------------------------------------ */

/*
 * ROW(section, name, type, flags, where it is stored and validators...):
 * .off, .off2, .off3 and .off_loc per enum plan_stype (loader.h), .arg,
 * .def (the default, as it would be written), .absent, .elem, .check.
 */
#define ROW(sec_, name_, type_, flags_, ...) \
	{ .sec = (sec_), .name = (name_), .type = (type_), .flags = (flags_), __VA_ARGS__ }
#define REQ PLAN_F_REQUIRED
#define EMPTY_OK PLAN_F_EMPTY_OK
#define AT PLAN_AT

/* In section order (the order of enum plan_sec); within a section, in reading order. */
static const struct plan_setting schema[] = {
	/* the top level */
	ROW(PLAN_SEC_ROOT, "rotation", PLAN_T_GROUP, REQ, .off = AT(CFG, rotation),
	    .arg = &sec_rotation),
	ROW(PLAN_SEC_ROOT, "tokens", PLAN_T_GROUPS, 0, .off = AT(CFG, tokens),
	    .off2 = AT(CFG, ntokens), .arg = &sec_token, .check = plan_xref_tokens),
	ROW(PLAN_SEC_ROOT, "hosts", PLAN_T_GROUPS, 0, .off = AT(CFG, hosts), .off2 = AT(CFG, nhosts),
	    .arg = &sec_host),
	ROW(PLAN_SEC_ROOT, "services", PLAN_T_GROUPS, 0, .off = AT(CFG, services),
	    .off2 = AT(CFG, nservices), .arg = &sec_service),
	ROW(PLAN_SEC_ROOT, "protect", PLAN_T_PROTECT, EMPTY_OK, .off = AT(CFG, protect),
	    .off2 = AT(CFG, nprotect), .check = plan_xref_protect),

	/* rotation = { } */
	ROW(PLAN_SEC_ROTATION, "name", PLAN_T_STR, REQ, .off = AT(ROT, name), .check = plan_chk_name),
	ROW(PLAN_SEC_ROTATION, "old", PLAN_T_SOURCE, REQ, .off = AT(ROT, old),
	    .off2 = AT(ROT, old_src), .off_loc = AT(ROT, old_loc), .arg = &use_cert),
	ROW(PLAN_SEC_ROTATION, "new", PLAN_T_SOURCE, REQ, .off = AT(ROT, new),
	    .off2 = AT(ROT, new_src), .off_loc = AT(ROT, new_loc), .arg = &use_cert),
	ROW(PLAN_SEC_ROTATION, "key", PLAN_T_SOURCE, REQ, .off = AT(ROT, key),
	    .off2 = AT(ROT, key_src), .off_loc = AT(ROT, key_loc), .arg = &use_key,
	    .check = plan_chk_key),
	ROW(PLAN_SEC_ROTATION, "chain", PLAN_T_SOURCES, EMPTY_OK, .off = AT(ROT, chain),
	    .off2 = AT(ROT, nchain), .off3 = AT(ROT, chain_src), .off_loc = AT(ROT, chain_loc),
	    .arg = &use_cert),
	ROW(PLAN_SEC_ROTATION, "trust", PLAN_T_SOURCES, EMPTY_OK, .off = AT(ROT, trust),
	    .off2 = AT(ROT, ntrust), .off3 = AT(ROT, trust_src), .off_loc = AT(ROT, trust_loc),
	    .arg = &use_cert),
	ROW(PLAN_SEC_ROTATION, "min_remaining", PLAN_T_DURATION, 0, .off = AT(ROT, min_remaining),
	    .def = "30d"),
	ROW(PLAN_SEC_ROTATION, "import_to", PLAN_T_SOURCE, 0, .off = AT(ROT, import_to),
	    .off2 = AT(ROT, import_to_src), .off_loc = AT(ROT, import_to_loc), .arg = &use_import,
	    .check = plan_chk_import_to),
	ROW(PLAN_SEC_ROTATION, "retire", PLAN_T_ENUM, 0, .off = AT(ROT, retire),
	    .arg = &plan_retire_modes),
	ROW(PLAN_SEC_ROTATION, "archive_dir", PLAN_T_PATH, 0, .off = AT(ROT, archive_dir),
	    .off2 = AT(ROT, archive_dir_text), .absent = plan_dflt_archive_dir),
	ROW(PLAN_SEC_ROTATION, "label", PLAN_T_STR, 0, .off = AT(ROT, label)),
	ROW(PLAN_SEC_ROTATION, "subject", PLAN_T_STR, 0, .off = AT(ROT, subject),
	    .off_loc = AT(ROT, subject_loc), .check = plan_chk_subject),
	ROW(PLAN_SEC_ROTATION, "kinds_dir", PLAN_T_PATH, 0, .off = AT(ROT, kinds_dir)),
	ROW(PLAN_SEC_ROTATION, "run_*", PLAN_T_HOOKS, 0, .off = AT(ROT, hooks),
	    .check = plan_chk_rotation_hooks),

	/* tokens = ( { }, ... ) */
	ROW(PLAN_SEC_TOKEN, "uri", PLAN_T_SOURCE, REQ, .off = AT(TOK, uri), .off2 = AT(TOK, src),
	    .arg = &use_token),
	ROW(PLAN_SEC_TOKEN, "module", PLAN_T_MODULE, 0, .off = AT(TOK, module),
	    .off_loc = AT(TOK, module_loc)),
	ROW(PLAN_SEC_TOKEN, "pin_source", PLAN_T_SECRET, 0, .off = AT(TOK, pin_source),
	    .off_loc = AT(TOK, pin_loc)),

	/* hosts = ( { }, ... ) */
	ROW(PLAN_SEC_HOST, "name", PLAN_T_STR, REQ, .off = AT(HOST, name), .check = plan_chk_name),
	ROW(PLAN_SEC_HOST, "accepts", PLAN_T_GROUP, 0, .arg = &sec_accepts),
	ROW(PLAN_SEC_HOST, "run_*", PLAN_T_HOOKS, 0, .off = AT(HOST, hooks)),
	ROW(PLAN_SEC_ACCEPTS, "signature", PLAN_T_STRLIST, 0, .off = AT(HOST, accept_sig),
	    .off2 = AT(HOST, naccept_sig), .elem = plan_chk_sigalg),
	ROW(PLAN_SEC_ACCEPTS, "key", PLAN_T_STRLIST, 0, .off = AT(HOST, accept_key),
	    .off2 = AT(HOST, naccept_key), .elem = plan_chk_keyalg),

	/* services = ( { }, ... ) */
	ROW(PLAN_SEC_SERVICE, "name", PLAN_T_STR, REQ, .off = AT(SVC, name), .check = plan_chk_name),
	ROW(PLAN_SEC_SERVICE, "host", PLAN_T_STR, REQ, .off = AT(SVC, host_name)),
	ROW(PLAN_SEC_SERVICE, "kind", PLAN_T_STR, 0, .off = AT(SVC, kind), .off_loc = AT(SVC, kind_loc),
	    .check = plan_chk_name),
	ROW(PLAN_SEC_SERVICE, "names", PLAN_T_STRLIST, 0, .off = AT(SVC, names),
	    .off2 = AT(SVC, nnames), .elem = plan_chk_svcname),
	ROW(PLAN_SEC_SERVICE, "account", PLAN_T_STR, 0, .off = AT(SVC, account)),
	ROW(PLAN_SEC_SERVICE, "depends", PLAN_T_STRLIST, EMPTY_OK, .off = AT(SVC, depends),
	    .off2 = AT(SVC, ndepends), .off_loc = AT(SVC, depends_loc),
	    .elem = plan_xref_depends_once),
	ROW(PLAN_SEC_SERVICE, "run_*", PLAN_T_HOOKS, 0, .off = AT(SVC, hooks)),
	ROW(PLAN_SEC_SERVICE, "run_test", PLAN_T_HOOK, 0, .off = AT(SVC, run_test),
	    .arg = &test_hook_step),
	ROW(PLAN_SEC_SERVICE, "refs", PLAN_T_GROUPS, 0, .off = AT(SVC, refs), .off2 = AT(SVC, nrefs),
	    .arg = &sec_ref, .elem = plan_xref_ref_id_once),

	/* refs = ( { }, ... ); path before cert: a file ref's identity defaults to its file */
	ROW(PLAN_SEC_REF, "id", PLAN_T_STR, REQ, .off = AT(REF, id), .check = plan_chk_ref_id),
	ROW(PLAN_SEC_REF, "type", PLAN_T_ENUM, REQ, .off = AT(REF, type), .arg = &plan_ref_types),
	ROW(PLAN_SEC_REF, "path", PLAN_T_PATH, 0, .off = AT(REF, file_path),
	    .off2 = AT(REF, file_path_text), .absent = plan_dflt_ref_path,
	    .check = plan_chk_ref_path),
	ROW(PLAN_SEC_REF, "cert", PLAN_T_IDENT, 0, .off = AT(REF, cert), .off2 = AT(REF, ident),
	    .off3 = AT(REF, cert_src), .off_loc = AT(REF, cert_loc), .absent = plan_dflt_ref_cert),
	ROW(PLAN_SEC_REF, "key_path", PLAN_T_PATH, 0, .off = AT(REF, key_path),
	    .off2 = AT(REF, key_path_text), .check = plan_chk_key_path),
	ROW(PLAN_SEC_REF, "endpoint", PLAN_T_STR, 0, .off = AT(REF, endpoint),
	    .check = plan_chk_endpoint),
	ROW(PLAN_SEC_REF, "sni", PLAN_T_STR, 0, .off = AT(REF, sni), .check = plan_chk_sni),
	ROW(PLAN_SEC_REF, "starttls", PLAN_T_ENUM, 0, .off = AT(REF, starttls_smtp),
	    .arg = &starttls_protos, .check = plan_chk_needs_endpoint),
	ROW(PLAN_SEC_REF, "run", PLAN_T_HOOK, 0, .off = AT(REF, run), .arg = &ref_hook_step),
	ROW(PLAN_SEC_REF, "undo", PLAN_T_HOOK, 0, .off = AT(REF, undo), .arg = &ref_hook_step),
};

#define NROWS (sizeof(schema) / sizeof(schema[0]))

/* The first row whose section is not before sec (rows are in section order). */
static size_t
first_row(enum plan_sec sec)
{
	size_t lo = 0, hi = NROWS;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (schema[mid].sec < sec)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct plan_setting *
plan_schema_rows(enum plan_sec sec, size_t *n)
{
	size_t i = first_row(sec);

	*n = first_row(sec + 1) - i;
	return schema + i;
}

const struct plan_section *
plan_schema_section(enum plan_sec sec)
{
	return &sections[sec];
}
