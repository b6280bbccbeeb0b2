/*
 * Unit tests: placeholders (plan/placeholder.c): the table, validation of a
 * template for a step type (with the placeholders it uses), and expansion,
 * by id with a per-value transform and by name as hooks are expanded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../plan/placeholder.h"
#include "../../common/util.h"

#define B(t) PLAN_STEP_BIT(t)
#define PH(p) ((plan_phset)1 << (p))

static void
test_table(void **state)
{
	const struct plan_placeholder *t = plan_placeholders();
	size_t i, j;

	(void)state;
	for (i = 0; i < PLAN_NPH; i++) {
		assert_int_equal(t[i].id, i);
		assert_int_equal(plan_ph_find(t[i].name, strlen(t[i].name)), (int)i);
		for (j = 0; j < i; j++)
			assert_string_not_equal(t[i].name, t[j].name);
	}
	assert_int_equal(plan_ph_find("hots", 4), -1);
	assert_int_equal(plan_ph_find("host}", 4), PLAN_PH_HOST);
	/* SPEC 7.2, by step type */
	assert_int_equal(t[PLAN_PH_NEW_PEM].steps, PLAN_ALL_STEPS);
	/* a host's retire (its store) has a host; the token's retire is native */
	assert_int_equal(t[PLAN_PH_HOST].steps & B(PLAN_RETIRE), B(PLAN_RETIRE));
	assert_int_equal(t[PLAN_PH_SERVICE].steps & B(PLAN_RETIRE), 0);
	assert_int_equal(t[PLAN_PH_ACCOUNT].steps, B(PLAN_GRANT) | B(PLAN_REBIND) | B(PLAN_RENAME) |
	    B(PLAN_RESTART));
	assert_int_equal(t[PLAN_PH_REF].steps, B(PLAN_REBIND) | B(PLAN_RENAME));
}

static void
test_check(void **state)
{
	static const struct {
		const char *tmpl;
		enum plan_step_type t;
		plan_phset used;		/* when fine */
		const char *msg;		/* else: the message starts so */
	} cases[] = {
		{ "{host}", PLAN_IMPORT, PH(PLAN_PH_HOST), NULL },
		{ "--thumb={new.sha1}:{old.sha1}", PLAN_RETIRE,
		    PH(PLAN_PH_NEW_SHA1) | PH(PLAN_PH_OLD_SHA1), NULL },
		{ "{{host} { $_.Name } @{Name=x} {host", PLAN_RETIRE, 0,
		    "unterminated placeholder '{host' in '{{host} { $_.Name } @{Name=x} {host'" },
		{ "{ref}/{path}/{endpoint}", PLAN_RENAME,
		    PH(PLAN_PH_REF) | PH(PLAN_PH_PATH) | PH(PLAN_PH_ENDPOINT), NULL },
		{ "{ref}", PLAN_RESTART, 0, "placeholder '{ref}' is not available in a restart command "
		    "(available: {new.*}, {old.*}, {host}, {service}, {account})" },
		{ "x{hots}", PLAN_IMPORT, 0, "unknown placeholder '{hots}' (known in an import command: "
		    "{new.*}, {old.*}, {host}; '{{' is a literal '{')" },
		{ "{new.thumbprint}", PLAN_GRANT, 0, "unknown placeholder '{new.thumbprint}'" },
		{ "", PLAN_GRANT, 0, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		plan_phset used = 99;
		char *msg = plan_ph_check(cases[i].tmpl, cases[i].t, "command", &used);

		if (cases[i].msg == NULL) {
			if (msg != NULL)
				fail_msg("'%s': %s", cases[i].tmpl, msg);
			assert_int_equal(used, cases[i].used);
		} else {
			assert_non_null(msg);
			if (strncmp(msg, cases[i].msg, strlen(cases[i].msg)) != 0)
				fail_msg("'%s': '%s', expected '%s'", cases[i].tmpl, msg, cases[i].msg);
			assert_int_equal(used, 0);
		}
		free(msg);
	}
}

static const char *
by_id(void *ctx, enum plan_ph ph)
{
	(void)ctx;
	switch (ph) {
	case PLAN_PH_HOST: return "cas 2";
	case PLAN_PH_NEW_SUBJECT: return "CN=x, O='a'";
	default: return NULL;
	}
}

/* Single quotes for a POSIX shell: the kind of transform a runbook passes. */
static char *
sh_quote(void *ctx, const char *v)
{
	struct cr_buf b = CR_BUF_INIT;

	(void)ctx;
	cr_buf_addc(&b, '\'');
	for (; *v; v++) {
		if (*v == '\'')
			cr_buf_adds(&b, "'\\''");
		else
			cr_buf_addc(&b, *v);
	}
	cr_buf_addc(&b, '\'');
	return cr_buf_detach(&b);
}

/* Literal text is never transformed; every value is, "" for an unset one. */
static void
test_expand_by_id(void **state)
{
	static const struct {
		const char *in, *plain, *quoted;
	} cases[] = {
		{ "ssh {host} 'x'", "ssh cas 2 'x'", "ssh 'cas 2' 'x'" },
		{ "-s {new.subject}", "-s CN=x, O='a'", "-s 'CN=x, O='\\''a'\\'''" },
		{ "[{endpoint}]", "[]", "['']" },
		{ "{{host} {bogus} {host", "{host} {bogus} {host", "{host} {bogus} {host" },
		{ "{ $_.Name }", "{ $_.Name }", "{ $_.Name }" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *a = plan_ph_expand(cases[i].in, by_id, NULL, NULL, NULL);
		char *b = plan_ph_expand(cases[i].in, by_id, NULL, sh_quote, NULL);

		assert_string_equal(a, cases[i].plain);
		assert_string_equal(b, cases[i].quoted);
		free(a);
		free(b);
	}
}

static const char *
lookup(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, "host") == 0)
		return "cas2";
	if (strcmp(name, "new.sha1") == 0)
		return "ABCD";
	return NULL;
}

/* By name, as hooks are expanded: every {name} is looked up, NULL gives "". */
static void
test_expand(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "{host}", "cas2" },
		{ "--thumb={new.sha1}!", "--thumb=ABCD!" },
		{ "{endpoint}", "" },
		{ "{{host}", "{host}" },
		{ "{ $_.Name }", "{ $_.Name }" },
		{ "@{Name=x}", "@{Name=x}" },
		{ "{host", "{host" },
		{ "{a{host}", "{acas2" },
		{ "a{host}b{new.sha1}c", "acas2bABCDc" },
		{ "", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = plan_expand(cases[i].in, lookup, NULL);

		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_expand_by_id),
		cmocka_unit_test(test_expand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
