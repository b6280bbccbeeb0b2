/*
 * svctest.c - the configuration test a service's restart runs (SPEC 4
 * run_test, 6 config.test): its own, or its kind's default.
 *
 * The defaults are a table here rather than lines of kinds/NAME.cfg: kinds are
 * runbook/'s data (their commands for people), and plan/ and check/ may
 * not read them.  Each is the command the kind's restart runs before its
 * reload.  This table is the one owner of those tests: `check` runs them
 * (config.test), `run` is gated by them, and the runbook and run's manual
 * steps show them before the reload (runbook/kinds.c book_step_test); the
 * kind files hold the reload alone, and how to read the test (test_notes).
 *
 * A default applies only to a service with a `file` ref: certrotate writes
 * such a service's files itself, on the machine it runs on, so that is
 * where the service's configuration is too.  A service on another host
 * gives its own run_test (ssh HOST nginx -t).
 */
#include <stddef.h>
#include <string.h>

#include "plan.h"

static char *nginx_v[] = { "nginx", "-t", NULL };
static char *apache_v[] = { "apachectl", "configtest", NULL };
static char *haproxy_v[] = { "haproxy", "-c", "-f", "/etc/haproxy/haproxy.cfg", NULL };
static char *postfix_v[] = { "postfix", "check", NULL };

static const struct {
	const char *kind;
	struct plan_argv test;
} defaults[] = {
	{ "nginx", { nginx_v, 2, { NULL, 0 }, NULL } },
	{ "apache", { apache_v, 2, { NULL, 0 }, NULL } },
	{ "haproxy", { haproxy_v, 4, { NULL, 0 }, NULL } },
	{ "postfix", { postfix_v, 2, { NULL, 0 }, NULL } },
};

const struct plan_argv *
plan_kind_test(const char *kind)
{
	size_t i;

	for (i = 0; kind != NULL && i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (strcmp(defaults[i].kind, kind) == 0)
			return &defaults[i].test;
	return NULL;
}

const struct plan_argv *
plan_service_test(const struct plan_service *svc, int *is_default)
{
	size_t i;
	int local = 0;

	if (is_default != NULL)
		*is_default = 0;
	if (svc->run_test.v != NULL)
		return &svc->run_test;
	for (i = 0; i < svc->nrefs && !local; i++)
		local = svc->refs[i].type == PLAN_REF_FILE;
	if (!local || plan_kind_test(svc->kind) == NULL)
		return NULL;
	if (is_default != NULL)
		*is_default = 1;
	return plan_kind_test(svc->kind);
}
