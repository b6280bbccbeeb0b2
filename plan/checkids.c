/*
 * checkids.c - THE table: for each kind of step, the checks (SPEC 6 ids and
 * the verify ids defined here) evaluated before it and after it.
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
 */
#include <stddef.h>

#include "plan.h"

#define A PLAN_WHEN_ALWAYS
#define E PLAN_WHEN_ENDPOINT
#define N PLAN_WHEN_NAMES
#define R PLAN_WHEN_NO_RESTART
#define K PLAN_WHEN_KEY_PATH

static const struct plan_step_checks table[PLAN_NVARIANTS] = {
	{ PLAN_V_IMPORT_TOKEN, PLAN_IMPORT, "import-token",
	  { { "new.load", A }, { "new.validity", A }, { "new.chain", A }, { "new.eku", A },
	    { "new.key", A }, { "new.key-protection", A }, { "token.login", A } },
	  { { "import.present", A } } },
	{ PLAN_V_IMPORT_HOST, PLAN_IMPORT, "import-host",
	  { { "new.load", A }, { "new.validity", A }, { "new.chain", A }, { "new.eku", A },
	    { "sigalg", A }, { "keyalg", A } },
	  { { "import.present", A } } },
	{ PLAN_V_GRANT, PLAN_GRANT, "grant",
	  { { "new.key", A }, { "access", A } },
	  { { "access", A } } },
	{ PLAN_V_REBIND_BINDING, PLAN_REBIND, "rebind-binding",
	  { { "ref.resolve", A }, { "names", N }, { "endpoint", E } },
	  { { "endpoint", R } } },
	{ PLAN_V_REBIND_FILE, PLAN_REBIND, "rebind-file",
	  { { "new.load", A }, { "new.validity", A }, { "new.chain", A }, { "new.eku", A },
	    { "new.key", K }, { "new.key-protection", K }, { "sigalg", A }, { "keyalg", A },
	    { "ref.resolve", A }, { "names", N }, { "endpoint", E } },
	  { { "file.content", A }, { "endpoint", R } } },
	{ PLAN_V_RENAME, PLAN_RENAME, "rename",
	  { { "ref.resolve", A }, { "ref.ambiguous", A }, { "ref.name", A }, { "names", N },
	    { "endpoint", E } },
	  { { "endpoint", R } } },
	{ PLAN_V_RESTART, PLAN_RESTART, "restart",
	  { { NULL, A } },
	  { { "endpoint", E } } },
	{ PLAN_V_RETIRE_TOKEN, PLAN_RETIRE, "retire-token",
	  { { "retire.refs", A }, { "retire.protected", A }, { "endpoint", E }, { "token.login", A } },
	  { { "retire.absent", A } } },
	{ PLAN_V_RETIRE_FILE, PLAN_RETIRE, "retire-file",
	  { { "retire.refs", A }, { "retire.protected", A }, { "endpoint", E } },
	  { { "retire.absent", A } } },
	{ PLAN_V_RETIRE_OTHER, PLAN_RETIRE, "retire",
	  { { "retire.refs", A }, { "retire.protected", A }, { "endpoint", E } },
	  { { "retire.absent", A } } },
	{ PLAN_V_RETIRE_KEEP, PLAN_RETIRE, "retire-keep",
	  { { NULL, A } },
	  { { NULL, A } } },
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

/*
 * Every id a step may list.  The SPEC 6 ids keep their meaning there; the
 * verify ids below are the postconditions of SPEC 7.2 ("token object
 * present, file content, endpoint serves the new cert, old cert absent").
 */
static const struct plan_check_id ids[] = {
	{ "new.load", "the new certificate can be read and parsed" },
	{ "new.validity", "the new certificate is valid now and for at least min_remaining" },
	{ "new.chain", "the new certificate chains to a trust anchor for TLS server use" },
	{ "new.eku", "the new certificate's EKU, when present, includes serverAuth" },
	{ "new.key", "the new key is present, matches the certificate and signs" },
	{ "new.key-protection", "the new key is sensitive and not extractable (warn)" },
	{ "token.login", "the token is present and the PIN is accepted" },
	{ "names", "the service's names are covered by the new certificate's SAN" },
	{ "sigalg", "the host accepts the signature algorithms of the new certificate and chain" },
	{ "keyalg", "the host accepts the new certificate's key type and size" },
	{ "ref.resolve", "the ref's identity denotes a known certificate" },
	{ "ref.ambiguous", "the connector's name matches only one known certificate" },
	{ "ref.name", "the connector's new <I>issuer<S>subject name and what changed" },
	{ "endpoint", "before: serves old or new; after: serves the new certificate" },
	{ "retire.refs", "nothing still refers to the old certificate" },
	{ "retire.protected", "the old certificate is not protected" },
	{ "access", "the service account can use the new key" },
	{ "import.present", "after import: the new certificate is on the token / host" },
	{ "file.content", "after rebind: the file holds the new certificate (+ chain, + key)" },
	{ "retire.absent", "after retire: the old certificate is gone from its place (archived)" },
	{ NULL, NULL },
};

const struct plan_check_id *
plan_check_ids(void)
{
	return ids;
}
