/*
 * checkids.c - THE table of what each kind of step lists: the checks (rows of
 * checks.def: SPEC 6 ids and the verify ids of SPEC 7.2) evaluated before
 * it and after it; and the checks' ids by their enum.
 *
 * The planner copies the applicable ids into each step (plan_step.pre /
 * .verify); `check` evaluates exactly those before each step, `run`
 * re-evaluates the preconditions right before the step and the verify
 * checks right after it.  Change what a step requires here and nowhere else.
 *
 * Why each row is what it is:
 *  - Importing onto the import_to token is where the new certificate and
 *    its key meet: everything about the certificate, the key and the login
 *    is a precondition there.  Importing into a host's store is where a host
 *    may refuse the certificate's algorithms (the SHA-1-only host story).
 *  - A file ref has no import step before it (its rebind writes the
 *    certificate), so its rebind carries the certificate checks and the
 *    host's algorithm checks itself.
 *  - `endpoint` before a ref's step: the endpoint should serve old or new.
 *    After the change it must serve the new certificate - verified after
 *    the service's restart (every service with a changed ref has one), or
 *    after the rebind/rename itself when there is no restart step.
 *  - `names` goes on every step that makes a service present the new
 *    certificate, so a missing SAN blocks before anything changes.
 *  - `endpoint` before retire (when any ref has an endpoint): no endpoint
 *    may still serve the old certificate once the changes are in effect -
 *    a binding nobody declared (a second binding on 443, an HTTP.sys
 *    binding beside the service's own setting) would break with it.
 *  - `ref.ambiguous` and `ref.name` only concern connectors (named by
 *    <I>issuer<S>subject).
 *  - Every step that changes something verifies something (SPEC 5): what
 *    the tool can see itself (the token, the file, the endpoint), and
 *    where it cannot - a binding or connector in a Windows store, a
 *    service without an endpoint, a host's store - a check that says what
 *    to verify there (`ref.moved`, `service.restarted`, `import.present`
 *    and `retire.absent` of a host: skip, with the instruction).
 *  - A grant gives access to the key: where the key is on a token, its
 *    login is the grant's too (a refused PIN blocks the grant, and new.key
 *    only points at it: one cause, one line).
 *  - Retire, on a host or a token, waits for every ref (`retire.refs`),
 *    is blocked by a protected old certificate (`retire.protected`), and
 *    by an endpoint still serving the old certificate.
 *  - A file ref's rebind writes files: what each holds and in what order
 *    (file.layout), its key_path (file.key), the modes of the key files it
 *    reads and writes (key.mode, again after: the file written keeps the
 *    mode it had).
 *  - `endpoint.chain` wherever `endpoint` is judged: an incomplete chain
 *    served now will be served incomplete with the new certificate too.
 *    `endpoint.sni` before a ref with an sni: does the name reach a site?
 *  - `hook.exec` before every step that runs a hook (or has an undo hook):
 *    a hook that cannot run would stop `run` half way.  `config.test` before
 *    a restart: a configuration that does not load must not be reloaded.
 *  - After an undo (`rollback`), the mirror of verify where it can be seen:
 *    the old certificate back on the token, the file holding the old
 *    certificate, the new one gone from import_to, and every endpoint of
 *    the refs rolled back serving the old certificate - after the restart
 *    again, or after the rebind itself when there is no restart; where it
 *    cannot be seen (`rollback.unseen`): skip, with what to verify there.
 */
#include <stddef.h>
#include <string.h>

#include "plan.h"

#define A PLAN_WHEN_ALWAYS
#define E PLAN_WHEN_ENDPOINT
#define N PLAN_WHEN_NAMES
#define R PLAN_WHEN_NO_RESTART
#define K PLAN_WHEN_KEY_PATH
#define X PLAN_WHEN_NO_ENDPOINT
#define P PLAN_WHEN_KEY_TOKEN
#define H PLAN_WHEN_HOOK
#define T PLAN_WHEN_TEST
#define S PLAN_WHEN_SNI
#define C(name) PLAN_CHK_##name

static const struct plan_step_checks table[PLAN_NVARIANTS] = {
	{ PLAN_V_IMPORT_TOKEN, PLAN_IMPORT, "import-token",
	  { { C(NEW_LOAD), A }, { C(NEW_VALIDITY), A }, { C(NEW_CHAIN), A }, { C(NEW_EKU), A },
	    { C(NEW_KEY), A }, { C(NEW_KEY_PROTECTION), A }, { C(TOKEN_LOGIN), A },
	    { C(IMPORT_LABEL), A } },
	  { { C(IMPORT_PRESENT), A } },
	  { { C(RB_IMPORT), A } } },
	{ PLAN_V_IMPORT_HOST, PLAN_IMPORT, "import-host",
	  { { C(NEW_LOAD), A }, { C(NEW_VALIDITY), A }, { C(NEW_CHAIN), A }, { C(NEW_EKU), A },
	    { C(SIGALG), A }, { C(KEYALG), A }, { C(HOOK_EXEC), H } },
	  { { C(IMPORT_PRESENT), A } },
	  { { C(RB_UNSEEN), A } } },
	{ PLAN_V_GRANT, PLAN_GRANT, "grant",
	  { { C(NEW_KEY), A }, { C(TOKEN_LOGIN), P }, { C(ACCESS), A }, { C(HOOK_EXEC), H } },
	  { { C(ACCESS), A } },
	  { { C(RB_UNSEEN), A } } },
	{ PLAN_V_REBIND_BINDING, PLAN_REBIND, "rebind-binding",
	  { { C(REF_RESOLVE), A }, { C(NAMES), N }, { C(ENDPOINT), E }, { C(ENDPOINT_SNI), S },
	    { C(ENDPOINT_CHAIN), E }, { C(HOOK_EXEC), H } },
	  { { C(REF_MOVED), A }, { C(ENDPOINT), R }, { C(ENDPOINT_CHAIN), R } },
	  { { C(RB_UNSEEN), A }, { C(RB_ENDPOINT), R } } },
	{ PLAN_V_REBIND_FILE, PLAN_REBIND, "rebind-file",
	  { { C(NEW_LOAD), A }, { C(NEW_VALIDITY), A }, { C(NEW_CHAIN), A }, { C(NEW_EKU), A },
	    { C(NEW_KEY), K }, { C(NEW_KEY_PROTECTION), K }, { C(SIGALG), A }, { C(KEYALG), A },
	    { C(REF_RESOLVE), A }, { C(FILE_LAYOUT), A }, { C(FILE_KEY), K }, { C(KEY_MODE), A },
	    { C(NAMES), N }, { C(ENDPOINT), E }, { C(ENDPOINT_SNI), S }, { C(ENDPOINT_CHAIN), E },
	    { C(HOOK_EXEC), H } },
	  { { C(FILE_CONTENT), A }, { C(KEY_MODE), A }, { C(ENDPOINT), R },
	    { C(ENDPOINT_CHAIN), R } },
	  { { C(RB_FILE), A }, { C(RB_ENDPOINT), R } } },
	{ PLAN_V_RENAME, PLAN_RENAME, "rename",
	  { { C(REF_RESOLVE), A }, { C(REF_AMBIGUOUS), A }, { C(REF_NAME), A }, { C(NAMES), N },
	    { C(ENDPOINT), E }, { C(ENDPOINT_SNI), S }, { C(ENDPOINT_CHAIN), E }, { C(HOOK_EXEC), H } },
	  { { C(REF_MOVED), A }, { C(ENDPOINT), R }, { C(ENDPOINT_CHAIN), R } },
	  { { C(RB_UNSEEN), A }, { C(RB_ENDPOINT), R } } },
	{ PLAN_V_RESTART, PLAN_RESTART, "restart",
	  { { C(CONFIG_TEST), T }, { C(HOOK_EXEC), H } },
	  { { C(ENDPOINT), E }, { C(ENDPOINT_CHAIN), E }, { C(SERVICE_RESTARTED), X } },
	  { { C(RB_ENDPOINT), E }, { C(RB_UNSEEN), X } } },
	{ PLAN_V_RETIRE_HOST, PLAN_RETIRE, "retire-host",
	  { { C(RETIRE_REFS), A }, { C(RETIRE_PROTECTED), A }, { C(ENDPOINT), E }, { C(HOOK_EXEC), H } },
	  { { C(RETIRE_ABSENT), A } },
	  { { C(RB_UNSEEN), A } } },
	{ PLAN_V_RETIRE_TOKEN, PLAN_RETIRE, "retire-token",
	  { { C(RETIRE_REFS), A }, { C(RETIRE_PROTECTED), A }, { C(ENDPOINT), E }, { C(TOKEN_LOGIN), A } },
	  { { C(RETIRE_ABSENT), A } },
	  { { C(RB_RETIRE), A } } },
};

const struct plan_step_checks *
plan_step_checks(enum plan_variant v)
{
	return (unsigned)v < PLAN_NVARIANTS ? &table[v] : NULL;
}

const char *
plan_variant_name(enum plan_variant v)
{
	return (unsigned)v < PLAN_NVARIANTS ? table[v].name : "?";
}

/* The ids and what they establish, from the registry (checks.def). */
static const struct {
	const char *name;
	const char *what;
} ids[PLAN_NCHECKS] = {
	[PLAN_CHK_NONE] = { "?", NULL },
#define PLAN_CHECK(name, id, subject, flags, eval, what) [PLAN_CHK_##name] = { id, what },
#include "checks.def"
#undef PLAN_CHECK
};

const char *
plan_check_name(enum plan_check c)
{
	return (unsigned)c < PLAN_NCHECKS ? ids[c].name : "?";
}

const char *
plan_check_what(enum plan_check c)
{
	return (unsigned)c < PLAN_NCHECKS ? ids[c].what : NULL;
}

enum plan_check
plan_check_find(const char *name)
{
	size_t i;

	for (i = 1; name != NULL && i < PLAN_NCHECKS; i++)
		if (strcmp(ids[i].name, name) == 0)
			return (enum plan_check)i;
	return PLAN_CHK_NONE;
}
