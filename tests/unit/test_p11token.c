/*
 * Unit tests: the pkcs11/ layer against the fixture SoftHSM2 tokens
 * (softhsm-fixtures/LAYOUT.md), and against the fault-injecting module
 * tests/p11fault that forwards to SoftHSM2 for what a real token will not do
 * on demand (final PIN try, locked, a failing C_Sign) and to count C_Login.
 *
 * Needs FIX (the fixture directory) and SOFTHSM2_CONF, as tests/run.sh sets
 * them; without FIX every test is skipped.  The fault module is $P11FAULT,
 * else $BUILD/tests/p11fault.so; the fault tests skip when it is missing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "../../common/util.h"
#include "../../pkcs11/p11.h"
#include "../../common/fsutil.h"

static const char *fix;
static char softhsm[4096];
static char softhsm_alt[4096];	/* another spelling of the same file */
static char faultmod[4096];
static char logpath[4096];

static char *
fixpath(const char *name)
{
	return cr_xasprintf("%s/%s", fix, name);
}

static void
need_fix(void)
{
	if (fix == NULL)
		skip();
}

static void
need_fault(void)
{
	need_fix();
	if (access(faultmod, R_OK) != 0) {
		fprintf(stderr, "# no fault module at %s\n", faultmod);
		skip();
	}
}

/* A ctx whose `tokens` entry sends `label` to `module` with PIN file `pin`. */
static struct p11_ctx *
ctx_with(const char *label, const char *module, const char *pin)
{
	struct p11_ctx *ctx = NULL;
	struct cr_err err;
	char *uri = cr_xasprintf("pkcs11:token=%s", label);
	char *pinpath = pin ? fixpath(pin) : NULL;

	assert_int_equal(p11_ctx_new(&ctx, &err), CR_OK);
	if (p11_ctx_add_token_conf(ctx, uri, module, pinpath, &err) != CR_OK)
		fail_msg("token conf: %s", err.msg);
	free(uri);
	free(pinpath);
	return ctx;
}

static struct p11_token *
one_token(struct p11_ctx *ctx, const char *text)
{
	struct p11_uri *u = NULL;
	struct p11_token **v = NULL, *t;
	struct cr_err err;
	size_t n = 0;

	if (p11_uri_parse(text, NULL, &u, &err) != CR_OK)
		fail_msg("%s", err.msg);
	if (p11_find_tokens(ctx, u, &v, &n, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(n, 1);
	t = v[0];
	free(v);
	p11_uri_free(u);
	return t;
}

static struct p11_cert_obj *
cert_by_label(struct p11_token *t, const char *label)
{
	struct p11_cert_obj *c = NULL;
	struct cr_err err;
	size_t n = 0, i;

	if (p11_token_certs(t, &c, &n, &err) != CR_OK)
		fail_msg("%s", err.msg);
	for (i = 0; i < n; i++)
		if (c[i].label != NULL && strcmp(c[i].label, label) == 0)
			return &c[i];
	fail_msg("no certificate '%s' on token '%s'", label, p11_token_label(t));
	return NULL;
}

/* Lines "NAME" in the fault module's call log. */
static int
count_calls(const char *name)
{
	char line[128];
	FILE *f = fopen(logpath, "r");
	int n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, name) == 0)
			n++;
	}
	fclose(f);
	return n;
}

/* Every call in the fault module's call log. */
static int
count_all_calls(void)
{
	char line[128];
	FILE *f = fopen(logpath, "r");
	int n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strncmp(line, "C_", 2) == 0;
	fclose(f);
	return n;
}

static void
copy_file(const char *from, const char *to)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	struct cr_err err;
	FILE *f;

	if (cr_read_file(from, 64u << 20, &buf, &len, &err) != CR_OK)
		fail_msg("%s", err.msg);
	f = fopen(to, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(buf);
}

static void
fault_env(const char *name, const char *value)
{
	unlink(logpath);
	unsetenv("P11FAULT_FINAL_TRY");
	unsetenv("P11FAULT_LOCKED");
	unsetenv("P11FAULT_COUNT_LOW");
	unsetenv("P11FAULT_FAIL");
	setenv("P11FAULT_LOG", logpath, 1);
	setenv("P11FAULT_MODULE", softhsm, 1);
	if (name != NULL)
		setenv(name, value, 1);
}

static int
teardown_fault(void **state)
{
	(void)state;
	fault_env(NULL, NULL);
	unsetenv("P11FAULT_LOG");
	unlink(logpath);
	return 0;
}

/* ---- tokens ---------------------------------------------------------- */

static void
test_find_token(void **state)
{
	struct p11_ctx *ctx = NULL;
	struct p11_uri *u = NULL;
	struct p11_token **v = NULL, *a, *b;
	struct cr_err err;
	size_t n = 0;
	char *text;

	(void)state;
	need_fix();
	assert_int_equal(p11_ctx_new(&ctx, &err), CR_OK);

	/* by module-path; twice through two spellings: one module, one token */
	text = cr_xasprintf("pkcs11:token=edge?module-path=%s", softhsm);
	a = one_token(ctx, text);
	free(text);
	assert_string_equal(p11_token_label(a), "edge");
	assert_non_null(p11_token_serial(a));
	assert_true(strncmp(p11_token_uri(a), "pkcs11:token=edge;serial=", 25) == 0);
	text = cr_xasprintf("pkcs11:token=edge;serial=%s?module-path=%s",
	    p11_token_serial(a), softhsm_alt);
	b = one_token(ctx, text);
	free(text);
	assert_ptr_equal(a, b);
	/* the token's own URI finds it again (here through the registry) */
	assert_ptr_equal(one_token(ctx, p11_token_uri(a)), a);

	/* no such token: environment failure naming the URI */
	assert_int_equal(p11_uri_parse("pkcs11:token=no-such-token", NULL, &u, &err), CR_OK);
	assert_int_equal(p11_find_tokens(ctx, u, &v, &n, &err), CR_EENV);
	assert_null(v);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err.msg, "no token matches 'pkcs11:token=no-such-token'"));
	/* a registered module without slots (OpenSC, no reader) is no failure */
	assert_null(strstr(err.msg, "cannot list the slots"));
	p11_uri_free(u);

	/* a module that cannot be loaded: environment failure naming it */
	assert_int_equal(p11_uri_parse("pkcs11:token=edge?module-path=/nonexistent/mod.so",
	    NULL, &u, &err), CR_OK);
	assert_int_equal(p11_find_tokens(ctx, u, &v, &n, &err), CR_EENV);
	assert_non_null(strstr(err.msg, "'/nonexistent/mod.so'"));
	p11_uri_free(u);
	assert_int_equal(p11_uri_parse("pkcs11:token=edge?module-name=no-such-module", NULL, &u,
	    &err), CR_OK);
	assert_int_equal(p11_find_tokens(ctx, u, &v, &n, &err), CR_EENV);
	assert_non_null(strstr(err.msg, "'no-such-module'"));
	p11_uri_free(u);
	p11_ctx_free(ctx);
}

/*
 * A module with no slots is a module without tokens, not a failed one
 * (libp11 0.4.12's PKCS11_enumerate_slots fails on it).  OpenSC's module
 * without a reader is one; where a reader is attached the URI still
 * matches no token, so the assertions hold either way.
 */
static void
test_no_slots(void **state)
{
	static const char opensc[] = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";
	struct p11_ctx *ctx = NULL;
	struct p11_uri *u = NULL;
	struct p11_token **v = NULL;
	struct cr_err err;
	size_t n = 0;
	char *text;

	(void)state;
	if (access(opensc, R_OK) != 0) {
		fprintf(stderr, "# no OpenSC module at %s\n", opensc);
		skip();
	}
	assert_int_equal(p11_ctx_new(&ctx, &err), CR_OK);
	text = cr_xasprintf("pkcs11:token=no-such-token?module-path=%s", opensc);
	assert_int_equal(p11_uri_parse(text, NULL, &u, &err), CR_OK);
	assert_int_equal(p11_find_tokens(ctx, u, &v, &n, &err), CR_EENV);
	assert_null(v);
	assert_int_equal(n, 0);
	if (strstr(err.msg, "no token matches 'pkcs11:token=no-such-token?module-path=") == NULL ||
	    strstr(err.msg, "cannot list the slots") != NULL)
		fail_msg("%s", err.msg);
	if (strstr(err.msg, "(no slots)") == NULL)
		fprintf(stderr, "# OpenSC has slots here: %s\n", err.msg);
	/* asked again: the same answer from the loaded module */
	assert_int_equal(p11_find_tokens(ctx, u, &v, &n, &err), CR_EENV);
	assert_null(strstr(err.msg, "cannot list the slots"));
	p11_uri_free(u);
	free(text);
	p11_ctx_free(ctx);
}

/* A module whose C_GetSlotList fails is still a failed module, with its CK_RV. */
static void
test_slot_list_fault(void **state)
{
	static const char *const faults[] = { "C_GetSlotList:1", "C_GetSlotList:2" };
	size_t i;

	(void)state;
	need_fault();
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		struct p11_ctx *ctx = NULL;
		struct p11_uri *u = NULL;
		struct p11_token **v = NULL;
		struct cr_err err;
		size_t n = 0;
		char *text = cr_xasprintf("pkcs11:token=edge?module-path=%s", faultmod);

		fault_env("P11FAULT_FAIL", faults[i]);
		assert_int_equal(p11_ctx_new(&ctx, &err), CR_OK);
		assert_int_equal(p11_uri_parse(text, NULL, &u, &err), CR_OK);
		assert_int_equal(p11_find_tokens(ctx, u, &v, &n, &err), CR_EENV);
		if (strstr(err.msg, "cannot list the slots of PKCS#11 module") == NULL ||
		    strstr(err.msg, "CKR_DEVICE_ERROR") == NULL)
			fail_msg("%s: %s", faults[i], err.msg);
		assert_null(v);
		p11_uri_free(u);
		free(text);
		p11_ctx_free(ctx);
	}
}

static void
test_certs(void **state)
{
	static const struct {
		const char *label, *id;
	} want[] = {
		{ "mail-2025", "10" }, { "mail-2026", "20" }, { "ec-2026", "30" },
		{ "expired", "40" }, { "default", "50" }, { "extractable", "60" },
		{ "noeku", "70" },
	};
	struct p11_ctx *ctx;
	struct p11_token *t;
	struct p11_cert_obj *c = NULL, **found = NULL;
	struct p11_uri *u = NULL;
	struct cr_err err;
	size_t n = 0, i, j, nf = 0;

	(void)state;
	need_fix();
	ctx = ctx_with("edge", softhsm, NULL);
	t = one_token(ctx, "pkcs11:token=edge");
	assert_int_equal(p11_token_certs(t, &c, &n, &err), CR_OK);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		for (j = 0; j < n; j++) {
			char *hex = cr_hex_upper(c[j].id, c[j].id_len);
			int same = c[j].label && strcmp(c[j].label, want[i].label) == 0 &&
			    strcmp(hex, want[i].id) == 0;

			free(hex);
			if (same)
				break;
		}
		if (j == n)
			fail_msg("no certificate '%s' with CKA_ID %s", want[i].label, want[i].id);
		assert_non_null(c[j].x509);
		assert_ptr_equal(c[j].token, t);
	}
	/* listing needs no login */
	assert_int_equal(p11_token_login_result(t), P11_LOGIN_NOT_TRIED);

	/* by object, by id (byte 0x20), by both; other types name no certificate */
	assert_int_equal(p11_uri_parse("pkcs11:token=edge;object=mail-2026;type=cert", NULL, &u,
	    &err), CR_OK);
	assert_int_equal(p11_find_certs(ctx, u, &found, &nf, &err), CR_OK);
	assert_int_equal(nf, 1);
	assert_string_equal(found[0]->label, "mail-2026");
	free(found);
	p11_uri_free(u);
	assert_int_equal(p11_uri_parse("pkcs11:token=edge;id=%20", NULL, &u, &err), CR_OK);
	assert_int_equal(p11_find_certs(ctx, u, &found, &nf, &err), CR_OK);
	assert_int_equal(nf, 1);
	assert_string_equal(found[0]->label, "mail-2026");
	free(found);
	p11_uri_free(u);
	assert_int_equal(p11_uri_parse("pkcs11:token=edge;id=%20;object=mail-2025", NULL, &u,
	    &err), CR_OK);
	assert_int_equal(p11_find_certs(ctx, u, &found, &nf, &err), CR_OK);
	assert_int_equal(nf, 0);
	free(found);
	p11_uri_free(u);
	assert_int_equal(p11_uri_parse("pkcs11:token=edge;type=private", NULL, &u, &err), CR_OK);
	assert_int_equal(p11_find_certs(ctx, u, &found, &nf, &err), CR_OK);
	assert_int_equal(nf, 0);
	assert_null(found);
	p11_uri_free(u);
	/* every certificate of the token */
	assert_int_equal(p11_uri_parse("pkcs11:token=edge", NULL, &u, &err), CR_OK);
	assert_int_equal(p11_find_certs(ctx, u, &found, &nf, &err), CR_OK);
	assert_int_equal(nf, n);
	free(found);
	p11_uri_free(u);
	assert_int_equal(p11_token_login_result(t), P11_LOGIN_NOT_TRIED);
	p11_ctx_free(ctx);
}

/* ---- keys and the test signature --------------------------------------- */

static void
test_keys(void **state)
{
	struct p11_ctx *ctx = NULL;
	struct p11_token *t;
	struct p11_key_obj *k = NULL, *k2 = NULL, **found = NULL;
	struct p11_cert_obj *newc, *oldc, *ecc, *exc;
	struct p11_uri *u = NULL;
	struct cr_err err;
	size_t nf = 0;
	char *text, *pin = NULL;

	(void)state;
	need_fix();
	assert_int_equal(p11_ctx_new(&ctx, &err), CR_OK);
	/* the PIN source of the URI that found the token is the token's */
	pin = fixpath("edge.pin");
	text = cr_xasprintf("pkcs11:token=edge?module-path=%s&pin-source=file:%s", softhsm, pin);
	t = one_token(ctx, text);
	free(text);
	free(pin);
	newc = cert_by_label(t, "mail-2026");
	oldc = cert_by_label(t, "mail-2025");
	ecc = cert_by_label(t, "ec-2026");
	exc = cert_by_label(t, "extractable");

	/* by CKA_ID; logs in on the way */
	assert_int_equal(p11_key_for_cert(t, newc->x509, newc->id, newc->id_len, &k, &err), CR_OK);
	assert_int_equal(p11_token_login_result(t), P11_LOGIN_OK);
	assert_non_null(k);
	assert_string_equal(k->label, "mail-2026");
	assert_int_equal(k->sensitive, 1);
	assert_int_equal(k->extractable, 0);
	/* by public key alone: the same key */
	assert_int_equal(p11_key_for_cert(t, newc->x509, NULL, 0, &k2, &err), CR_OK);
	assert_ptr_equal(k, k2);
	/* an id that no key has falls back to the public key */
	assert_int_equal(p11_key_for_cert(t, newc->x509, (const unsigned char *)"\x99", 1, &k2,
	    &err), CR_OK);
	assert_ptr_equal(k, k2);

	/* the test signature: RSA, then EC; a mismatch blocks */
	if (p11_key_test_sign(k, newc->x509, &err) != CR_OK)
		fail_msg("%s", err.msg);
	cr_err_clear(&err);
	assert_int_equal(p11_key_test_sign(k, oldc->x509, &err), CR_EBLOCK);
	assert_non_null(strstr(err.msg, "'mail-2026'"));
	assert_non_null(strstr(err.msg, "does not match"));
	assert_int_equal(p11_key_for_cert(t, ecc->x509, ecc->id, ecc->id_len, &k2, &err), CR_OK);
	assert_non_null(k2);
	assert_string_equal(k2->label, "ec-2026");
	/* EC keys carry no point: found through the public-key object or the
	 * certificate of the same CKA_ID */
	k = NULL;
	assert_int_equal(p11_key_for_cert(t, ecc->x509, NULL, 0, &k, &err), CR_OK);
	assert_ptr_equal(k, k2);
	assert_int_equal(p11_key_for_cert(t, newc->x509, newc->id, newc->id_len, &k, &err),
	    CR_OK);
	if (p11_key_test_sign(k2, ecc->x509, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(p11_key_test_sign(k2, newc->x509, &err), CR_EBLOCK);

	/* key protection flags as the token reports them */
	assert_int_equal(p11_key_for_cert(t, exc->x509, exc->id, exc->id_len, &k2, &err), CR_OK);
	assert_non_null(k2);
	assert_int_equal(k2->extractable, 1);
	assert_int_equal(k2->sensitive, 0);	/* LAYOUT.md: extractable, not sensitive */

	/* a key URI */
	assert_int_equal(p11_uri_parse("pkcs11:token=edge;object=mail-2026;type=private", NULL,
	    &u, &err), CR_OK);
	assert_int_equal(p11_find_keys(ctx, u, &found, &nf, &err), CR_OK);
	assert_int_equal(nf, 1);
	assert_ptr_equal(found[0], k);
	free(found);
	p11_uri_free(u);
	assert_int_equal(p11_uri_parse("pkcs11:token=edge;object=mail-2026;type=cert", NULL,
	    &u, &err), CR_OK);
	assert_int_equal(p11_find_keys(ctx, u, &found, &nf, &err), CR_OK);
	assert_int_equal(nf, 0);
	p11_uri_free(u);
	p11_ctx_free(ctx);
}

/* Without a PIN source nothing is tried, and a later PIN source still may. */
static void
test_no_pin(void **state)
{
	struct p11_ctx *ctx;
	struct p11_token *t;
	struct p11_key_obj *k = NULL;
	size_t n = 0;
	struct cr_err err;
	char *pin;

	(void)state;
	need_fix();
	ctx = ctx_with("edge", softhsm, NULL);
	t = one_token(ctx, "pkcs11:token=edge");
	assert_int_equal(p11_token_keys(t, &k, &n, &err), CR_EENV);
	assert_non_null(strstr(err.msg, "no PIN source for token 'edge'"));
	assert_int_equal(p11_token_login_result(t), P11_LOGIN_NO_PIN);
	pin = fixpath("edge.pin");
	assert_int_equal(p11_token_login(t, pin, 0, &err), CR_OK);
	free(pin);
	assert_int_equal(p11_token_keys(t, &k, &n, &err), CR_OK);
	assert_true(n >= 7);
	p11_ctx_free(ctx);
}

/* ---- login through the fault module ----------------------------------- */

static void
test_wrong_pin(void **state)
{
	struct p11_ctx *ctx;
	struct p11_token *t;
	struct p11_key_obj *k = NULL;
	struct p11_pin_state st;
	struct cr_err err, err2;
	size_t n = 0;

	(void)state;
	need_fault();
	fault_env(NULL, NULL);
	ctx = ctx_with("spare", faultmod, "wrong.pin");
	t = one_token(ctx, "pkcs11:token=spare");
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_EENV);
	assert_string_equal(err.msg, "PIN refused by token 'spare' (CKR_PIN_INCORRECT); not retried");
	assert_int_equal(p11_token_login_result(t), P11_LOGIN_FAILED);
	assert_int_equal(count_calls("C_Login"), 1);
	/* the second call answers from memory: no second C_Login, same message */
	assert_int_equal(p11_token_login(t, NULL, 0, &err2), CR_EENV);
	assert_string_equal(err2.msg, err.msg);
	assert_int_equal(p11_token_keys(t, &k, &n, &err2), CR_EENV);
	assert_string_equal(err2.msg, err.msg);
	assert_int_equal(count_calls("C_Login"), 1);
	p11_ctx_free(ctx);

	/* SoftHSM reports COUNT_LOW after a wrong PIN, until a good login */
	fault_env(NULL, NULL);
	ctx = ctx_with("spare", faultmod, "spare.pin");
	t = one_token(ctx, "pkcs11:token=spare");
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_OK);
	p11_token_login_pin_state(t, &st);
	assert_int_equal(st.count_low, 1);
	assert_int_equal(p11_token_pin_state(t, &st, &err), CR_OK);
	assert_int_equal(st.count_low, 0);
	assert_int_equal(count_calls("C_Login"), 1);
	p11_ctx_free(ctx);
}

/* A ctx sending token spare to the fault module with the PIN in `pin`. */
static struct p11_token *
spare_with_pin(struct p11_ctx **ctx, const char *pin)
{
	struct cr_err err;

	assert_int_equal(p11_ctx_new(ctx, &err), CR_OK);
	assert_int_equal(p11_ctx_add_token_conf(*ctx, "pkcs11:token=spare", faultmod, pin, &err),
	    CR_OK);
	return one_token(*ctx, "pkcs11:token=spare");
}

/*
 * A refusal an earlier run journaled (p11_ctx_add_refusals): the same PIN
 * file, unchanged, is not presented again; once the file changes, it is.
 */
static void
test_refused_before(void **state)
{
	struct p11_ctx *ctx;
	struct p11_token *t;
	struct cr_err err;
	char *pin = cr_xasprintf("%s.refused.pin", logpath), *wrong = fixpath("wrong.pin");
	char *r1, *r2, *list;
	FILE *f;

	(void)state;
	need_fault();
	fault_env(NULL, NULL);
	copy_file(wrong, pin);
	t = spare_with_pin(&ctx, pin);
	assert_null(p11_ctx_refusals(ctx));
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_EENV);
	r1 = p11_ctx_refusals(ctx);
	assert_non_null(r1);
	assert_int_equal(strlen(r1), 64);
	assert_int_equal(count_calls("C_Login"), 1);
	p11_ctx_free(ctx);

	/* given back (with noise and twice): refused without C_Login */
	fault_env(NULL, NULL);
	t = spare_with_pin(&ctx, pin);
	list = cr_xasprintf("zz %s  %s 12 %.63s", r1, r1, r1);
	p11_ctx_add_refusals(ctx, list);
	r2 = p11_ctx_refusals(ctx);
	assert_string_equal(r2, r1);
	free(r2);
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_PIN_INCORRECT);
	assert_non_null(strstr(err.msg, "PIN refused by token 'spare' in an earlier run, and its "
	    "source"));
	assert_int_equal(p11_token_login_result(t), P11_LOGIN_FAILED);
	assert_int_equal(count_calls("C_Login"), 0);
	p11_ctx_free(ctx);

	/* the file rewritten (another wrong PIN): one attempt */
	fault_env(NULL, NULL);
	assert_non_null(f = fopen(pin, "w"));
	fputs("999999\n", f);
	fclose(f);
	t = spare_with_pin(&ctx, pin);
	p11_ctx_add_refusals(ctx, list);
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_EENV);
	assert_string_equal(err.msg, "PIN refused by token 'spare' (CKR_PIN_INCORRECT); not retried");
	assert_int_equal(count_calls("C_Login"), 1);
	r2 = p11_ctx_refusals(ctx);
	assert_int_equal(strlen(r2), 2 * 64 + 1);
	free(r2);
	p11_ctx_free(ctx);
	unlink(pin);
	free(pin); free(wrong); free(r1); free(list);
}

/* One token through two modules: a refused PIN is not tried through the other. */
static void
test_twin_refused(void **state)
{
	struct p11_ctx *ctx;
	struct p11_token *a, *b;
	struct cr_err err, err2;
	char *copy, *text;

	(void)state;
	need_fault();
	fault_env(NULL, NULL);
	/* a second file: another module as far as anyone can tell */
	copy = cr_xasprintf("%s.twin.so", logpath);
	copy_file(faultmod, copy);
	ctx = ctx_with("spare", faultmod, "wrong.pin");
	a = one_token(ctx, "pkcs11:token=spare");
	assert_int_equal(p11_token_login(a, NULL, 0, &err), CR_EENV);
	text = cr_xasprintf("pkcs11:token=spare?module-path=%s", copy);
	b = one_token(ctx, text);
	free(text);
	assert_ptr_not_equal(a, b);
	assert_int_equal(p11_token_login(b, NULL, 0, &err2), CR_EENV);
	assert_string_equal(err2.msg, err.msg);
	assert_int_equal(count_calls("C_Login"), 1);
	p11_ctx_free(ctx);
	unlink(copy);
	free(copy);
}

static void
test_final_try(void **state)
{
	struct p11_ctx *ctx;
	struct p11_token *t;
	struct p11_pin_state st;
	struct cr_err err;

	(void)state;
	need_fault();
	fault_env("P11FAULT_FINAL_TRY", "1");
	ctx = ctx_with("edge", faultmod, "edge.pin");
	t = one_token(ctx, "pkcs11:token=edge");
	assert_int_equal(p11_token_pin_state(t, &st, &err), CR_OK);
	assert_int_equal(st.final_try, 1);
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_EENV);
	assert_non_null(strstr(err.msg, "token 'edge' reports its final PIN try"));
	assert_int_equal(p11_token_login_result(t), P11_LOGIN_REFUSED);
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_EENV);
	assert_int_equal(count_calls("C_Login"), 0);
	p11_ctx_free(ctx);

	/* forced, the (right) PIN is presented once */
	fault_env("P11FAULT_FINAL_TRY", "1");
	ctx = ctx_with("edge", faultmod, "edge.pin");
	p11_ctx_set_force_login(ctx, 1);
	t = one_token(ctx, "pkcs11:token=edge");
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_OK);
	assert_int_equal(count_calls("C_Login"), 1);
	p11_ctx_free(ctx);
}

static void
test_locked(void **state)
{
	struct p11_ctx *ctx;
	struct p11_token *t;
	struct cr_err err;

	(void)state;
	need_fault();
	fault_env("P11FAULT_LOCKED", "1");
	ctx = ctx_with("edge", faultmod, "edge.pin");
	p11_ctx_set_force_login(ctx, 1);	/* force does not unlock */
	t = one_token(ctx, "pkcs11:token=edge");
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_EENV);
	assert_non_null(strstr(err.msg, "token 'edge' is locked"));
	assert_int_equal(p11_token_login_result(t), P11_LOGIN_REFUSED);
	assert_int_equal(count_calls("C_Login"), 0);
	p11_ctx_free(ctx);
}

static void
test_count_low(void **state)
{
	struct p11_ctx *ctx;
	struct p11_token *t;
	struct p11_pin_state st;
	struct cr_err err;

	(void)state;
	need_fault();
	fault_env("P11FAULT_COUNT_LOW", "1");
	ctx = ctx_with("edge", faultmod, "edge.pin");
	t = one_token(ctx, "pkcs11:token=edge");
	assert_int_equal(p11_token_pin_state(t, &st, &err), CR_OK);
	assert_int_equal(st.count_low, 1);
	assert_int_equal(st.final_try, 0);
	assert_int_equal(st.locked, 0);
	/* a low count does not stop the login, and is remembered for reporting */
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_OK);
	p11_token_login_pin_state(t, &st);
	assert_int_equal(st.count_low, 1);
	assert_int_equal(count_calls("C_Login"), 1);
	p11_ctx_free(ctx);
}

/* A certificate for `pub`'s RSA key as an RSA-PSS key (id-RSASSA-PSS), signed
 * by a throwaway key: only its public key matters here. */
static X509 *
pss_cert_for(EVP_PKEY *pub)
{
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
	EVP_PKEY *pss = NULL, *signer = EVP_EC_gen("P-256");
	X509 *x = X509_new();

	assert_true(EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &n));
	assert_true(EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &e));
	assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n));
	assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e));
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_non_null(params);
	assert_int_equal(EVP_PKEY_fromdata_init(pc), 1);
	assert_int_equal(EVP_PKEY_fromdata(pc, &pss, EVP_PKEY_PUBLIC_KEY, params), 1);
	assert_true(EVP_PKEY_is_a(pss, "RSA-PSS"));
	assert_non_null(x);
	assert_int_equal(X509_set_pubkey(x, pss), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
	EVP_PKEY_free(signer);
	EVP_PKEY_free(pss);
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return x;
}

/* A certificate whose key is RSA-PSS only: the token signs with
 * CKM_RSA_PKCS_PSS (SHA-256, MGF1-SHA-256, salt 32) and it verifies. */
static void
test_sign_pss(void **state)
{
	struct p11_ctx *ctx;
	struct p11_token *t;
	struct p11_cert_obj *c;
	struct p11_key_obj *k = NULL;
	struct cr_err err;
	X509 *pss;

	(void)state;
	need_fix();
	ctx = ctx_with("edge", softhsm, "edge.pin");
	t = one_token(ctx, "pkcs11:token=edge");
	c = cert_by_label(t, "mail-2026");
	assert_int_equal(p11_key_for_cert(t, c->x509, c->id, c->id_len, &k, &err), CR_OK);
	assert_non_null(k);
	pss = pss_cert_for(X509_get0_pubkey(c->x509));
	if (p11_key_test_sign(k, pss, &err) != CR_OK)
		fail_msg("%s", err.msg);
	X509_free(pss);
	/* another RSA key's certificate made RSA-PSS: not this key's */
	pss = pss_cert_for(X509_get0_pubkey(cert_by_label(t, "extractable")->x509));
	assert_int_equal(p11_key_test_sign(k, pss, &err), CR_EBLOCK);
	assert_non_null(strstr(err.msg, "does not match"));
	X509_free(pss);
	p11_ctx_free(ctx);
}

static void
test_sign_fault(void **state)
{
	struct p11_ctx *ctx;
	struct p11_token *t;
	struct p11_cert_obj *c;
	struct p11_key_obj *k = NULL;
	struct cr_err err;

	(void)state;
	need_fault();
	fault_env("P11FAULT_FAIL", "C_Sign:1");
	ctx = ctx_with("edge", faultmod, "edge.pin");
	t = one_token(ctx, "pkcs11:token=edge");
	c = cert_by_label(t, "mail-2026");
	assert_int_equal(p11_key_for_cert(t, c->x509, c->id, c->id_len, &k, &err), CR_OK);
	assert_non_null(k);
	/* the token failing to sign is the environment's fault, not a mismatch */
	assert_int_equal(p11_key_test_sign(k, c->x509, &err), CR_EENV);
	assert_non_null(strstr(err.msg, "'mail-2026'"));
	/* only the first C_Sign fails */
	if (p11_key_test_sign(k, c->x509, &err) != CR_OK)
		fail_msg("%s", err.msg);
	p11_ctx_free(ctx);
}

/* ---- writes ------------------------------------------------------------- */

static X509 *
fixture_cert(const char *name)
{
	char *path = fixpath(name);
	FILE *f = fopen(path, "r");
	X509 *x;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	free(path);
	assert_non_null(x);
	return x;
}

/* Objects on t labelled `label`. */
static size_t
count_label(struct p11_token *t, const char *label)
{
	struct p11_cert_obj *c = NULL;
	struct cr_err err;
	size_t n = 0, i, k = 0;

	if (p11_token_certs(t, &c, &n, &err) != CR_OK)
		fail_msg("%s", err.msg);
	for (i = 0; i < n; i++)
		k += c[i].label != NULL && strcmp(c[i].label, label) == 0;
	return k;
}

/* Import and destroy are idempotent, decide on reasons, and never touch
 * another certificate's object. */
static void
test_import_destroy(void **state)
{
	static const unsigned char id[] = { 0x7f, 0x01 };
	struct p11_ctx *ctx;
	struct p11_token *t;
	struct p11_cert_obj *c = NULL, **found = NULL;
	struct p11_uri *u = NULL;
	struct cr_err err;
	size_t n0 = 0, nf = 0;
	int changed = -1;
	X509 *x, *y;

	(void)state;
	need_fix();
	/* neither is on "spare" (which holds other.pem) */
	x = fixture_cert("certs/default.pem");
	y = fixture_cert("certs/noeku.pem");

	/* read-only login: refused without touching the token */
	ctx = ctx_with("spare", softhsm, "spare.pin");
	t = one_token(ctx, "pkcs11:token=spare");
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_OK);
	assert_int_equal(p11_token_import_cert(t, x, "p11token-test", id, sizeof(id), &changed,
	    &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_LOGIN);
	assert_int_equal(changed, 0);
	assert_non_null(strstr(err.msg, "read-write"));
	assert_int_equal(p11_token_destroy_cert(t, x, NULL, NULL, 0, &changed, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_LOGIN);
	assert_int_equal(p11_token_login(t, NULL, 1, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_LOGIN);
	assert_int_equal(count_label(t, "p11token-test"), 0);
	p11_ctx_free(ctx);

	ctx = ctx_with("spare", softhsm, "spare.pin");
	p11_ctx_set_read_write(ctx, 1);
	t = one_token(ctx, "pkcs11:token=spare");
	assert_int_equal(p11_token_certs(t, &c, &n0, &err), CR_OK);
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_OK);
	/* created, then there already: nothing written the second time */
	if (p11_token_import_cert(t, x, "p11token-test", id, sizeof(id), &changed, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(changed, 1);
	assert_int_equal(count_label(t, "p11token-test"), 1);
	assert_int_equal(p11_token_import_cert(t, x, "p11token-test", id, sizeof(id), &changed,
	    &err), CR_OK);
	assert_int_equal(changed, 0);
	assert_int_equal(count_label(t, "p11token-test"), 1);
	/* found by its URI, with the attributes given */
	assert_int_equal(p11_uri_parse("pkcs11:token=spare;object=p11token-test;id=%7f%01", NULL,
	    &u, &err), CR_OK);
	assert_int_equal(p11_find_certs(ctx, u, &found, &nf, &err), CR_OK);
	assert_int_equal(nf, 1);
	assert_int_equal(X509_cmp(found[0]->x509, x), 0);
	free(found);
	/* another certificate under the same CKA_ID and CKA_LABEL: refused */
	assert_int_equal(p11_token_import_cert(t, y, "p11token-test", id, sizeof(id), &changed,
	    &err), CR_EBLOCK);
	assert_int_equal(err.reason, CR_R_OBJECT_EXISTS);
	assert_int_equal(changed, 0);
	assert_string_equal(err.msg, "token 'spare' already holds another certificate "
	    "'p11token-test' (CKA_ID 7F01): not replaced");
	/* destroying another certificate by that name touches nothing */
	assert_int_equal(p11_token_destroy_cert(t, y, "p11token-test", id, sizeof(id), &changed,
	    &err), CR_OK);
	assert_int_equal(changed, 0);
	assert_int_equal(count_label(t, "p11token-test"), 1);
	/* destroyed, then already gone */
	if (p11_token_destroy_cert(t, x, "p11token-test", id, sizeof(id), &changed, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(changed, 1);
	assert_int_equal(p11_token_destroy_cert(t, x, "p11token-test", id, sizeof(id), &changed,
	    &err), CR_OK);
	assert_int_equal(changed, 0);
	assert_int_equal(p11_token_certs(t, &c, &nf, &err), CR_OK);
	assert_int_equal(nf, n0);
	assert_int_equal(count_label(t, "p11token-test"), 0);
	assert_int_equal(p11_find_certs(ctx, u, &found, &nf, &err), CR_OK);
	assert_int_equal(nf, 0);
	free(found);

	/* without a label or id: by the certificate alone */
	if (p11_token_import_cert(t, x, NULL, NULL, 0, &changed, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(changed, 1);
	assert_int_equal(p11_token_import_cert(t, x, NULL, NULL, 0, &changed, &err), CR_OK);
	assert_int_equal(changed, 0);
	if (p11_token_destroy_cert(t, x, NULL, NULL, 0, &changed, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(changed, 1);
	assert_int_equal(p11_token_certs(t, &c, &nf, &err), CR_OK);
	assert_int_equal(nf, n0);
	assert_int_equal(count_label(t, "other"), 1);	/* the fixture's own, untouched */

	/* a listing read before the login names the object by a handle the login
	   invalidated (libp11 closes the slot's sessions to open a read-write one;
	   SoftHSM2 then forgets the handles): destroyed all the same */
	if (p11_token_import_cert(t, x, "p11token-test", id, sizeof(id), &changed, &err) != CR_OK)
		fail_msg("%s", err.msg);
	p11_ctx_free(ctx);
	ctx = ctx_with("spare", softhsm, "spare.pin");
	p11_ctx_set_read_write(ctx, 1);
	t = one_token(ctx, "pkcs11:token=spare");
	assert_int_equal(count_label(t, "p11token-test"), 1);	/* listed before the login */
	assert_int_equal(p11_token_login(t, NULL, 1, &err), CR_OK);
	if (p11_token_destroy_cert(t, x, NULL, NULL, 0, &changed, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(changed, 1);
	assert_int_equal(count_label(t, "p11token-test"), 0);
	p11_uri_free(u);
	p11_ctx_free(ctx);
	X509_free(x);
	X509_free(y);
}

/* A token gone while writing: the reason says so, and nothing is half done. */
static void
test_write_faults(void **state)
{
	static const struct {
		const char *fault, *want;
		int reason;
	} t[] = {
		{ "C_CreateObject:1:0xE0", "token 'spare' is not present (CKR_TOKEN_NOT_PRESENT)",
		  CR_R_TOKEN_ABSENT },
		{ "C_CreateObject:1:0x32", "token 'spare' was removed (CKR_DEVICE_REMOVED)",
		  CR_R_TOKEN_ABSENT },
		{ "C_CreateObject:1:0xE2", "cannot store the certificate 'p11token-fault' (CKA_ID "
		  "none) on token 'spare': it is write-protected (CKR_TOKEN_WRITE_PROTECTED)",
		  CR_R_TOKEN },
		{ "C_CreateObject:1", "cannot store the certificate 'p11token-fault' (CKA_ID none) "
		  "on token 'spare': CKR_DEVICE_ERROR", CR_R_TOKEN },
		{ "C_DestroyObject:1:0xE0", "token 'spare' is not present (CKR_TOKEN_NOT_PRESENT)",
		  CR_R_TOKEN_ABSENT },
	};
	size_t i;
	X509 *x;

	(void)state;
	need_fault();
	x = fixture_cert("certs/default.pem");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct p11_ctx *ctx;
		struct p11_token *tok;
		struct cr_err err;
		int changed = -1, destroy = strncmp(t[i].fault, "C_Destroy", 9) == 0;

		fault_env("P11FAULT_FAIL", t[i].fault);
		ctx = ctx_with("spare", faultmod, "spare.pin");
		p11_ctx_set_read_write(ctx, 1);
		tok = one_token(ctx, "pkcs11:token=spare");
		assert_int_equal(p11_token_login(tok, NULL, 0, &err), CR_OK);
		if (destroy && p11_token_import_cert(tok, x, "p11token-fault", NULL, 0, &changed,
		    &err) != CR_OK)
			fail_msg("%s", err.msg);
		if (destroy)
			assert_int_equal(p11_token_destroy_cert(tok, x, "p11token-fault", NULL, 0,
			    &changed, &err), CR_EENV);
		else
			assert_int_equal(p11_token_import_cert(tok, x, "p11token-fault", NULL, 0,
			    &changed, &err), CR_EENV);
		if (strcmp(err.msg, t[i].want) != 0 || (int)err.reason != t[i].reason)
			fail_msg("%s: '%s' (%s)", t[i].fault, err.msg, cr_reason_name(err.reason));
		assert_int_equal(changed, 0);
		assert_int_equal(count_label(tok, "p11token-fault"), destroy ? 1 : 0);
		if (destroy) {
			fault_env(NULL, NULL);	/* counts are per C_Initialize: 2nd call passes */
			if (p11_token_destroy_cert(tok, x, NULL, NULL, 0, &changed, &err) != CR_OK)
				fail_msg("%s", err.msg);
			assert_int_equal(changed, 1);
		}
		p11_ctx_free(ctx);
	}
	X509_free(x);
}

/* Reasons of the read side: decided on, never parsed from messages. */
static void
test_reasons(void **state)
{
	struct p11_ctx *ctx;
	struct p11_token *t;
	struct p11_uri *u = NULL;
	struct p11_token **v = NULL;
	struct cr_err err;
	size_t n = 0;

	(void)state;
	need_fault();
	assert_int_equal(p11_uri_parse("pkcs11:token=edge;bogus=1", NULL, &u, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_MALFORMED);
	assert_int_equal(p11_ctx_new(&ctx, &err), CR_OK);
	assert_int_equal(p11_uri_parse("pkcs11:token=no-such-token", NULL, &u, &err), CR_OK);
	assert_int_equal(p11_find_tokens(ctx, u, &v, &n, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_TOKEN_ABSENT);
	assert_true(p11_reason_is_token(err.reason));
	p11_uri_free(u);
	assert_int_equal(p11_uri_parse("pkcs11:token=edge?module-path=/nonexistent/mod.so", NULL,
	    &u, &err), CR_OK);
	assert_int_equal(p11_find_tokens(ctx, u, &v, &n, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_MODULE);
	p11_uri_free(u);
	p11_ctx_free(ctx);

	fault_env(NULL, NULL);
	ctx = ctx_with("spare", faultmod, "wrong.pin");
	t = one_token(ctx, "pkcs11:token=spare");
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_PIN_INCORRECT);
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_PIN_INCORRECT);	/* remembered with it */
	p11_ctx_free(ctx);

	fault_env("P11FAULT_LOCKED", "1");
	ctx = ctx_with("edge", faultmod, "edge.pin");
	t = one_token(ctx, "pkcs11:token=edge");
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_PIN_LOCKED);
	p11_ctx_free(ctx);

	fault_env("P11FAULT_FINAL_TRY", "1");
	ctx = ctx_with("edge", faultmod, "edge.pin");
	t = one_token(ctx, "pkcs11:token=edge");
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_PIN_FINAL_TRY);
	p11_ctx_free(ctx);

	fault_env("P11FAULT_FAIL", "C_Login:1:0xA4");	/* CKR_PIN_LOCKED from C_Login */
	ctx = ctx_with("edge", faultmod, "edge.pin");
	t = one_token(ctx, "pkcs11:token=edge");
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_PIN_LOCKED);
	assert_non_null(strstr(err.msg, "token 'edge' is locked (CKR_PIN_LOCKED)"));
	p11_ctx_free(ctx);

	fault_env(NULL, NULL);
	ctx = ctx_with("edge", faultmod, "no-such.pin");
	t = one_token(ctx, "pkcs11:token=edge");
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_PIN_SOURCE);
	p11_ctx_free(ctx);

	ctx = ctx_with("edge", faultmod, NULL);
	t = one_token(ctx, "pkcs11:token=edge");
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_PIN_SOURCE);
	/* asked again without a PIN source: the same answer, the token not asked again */
	unlink(logpath);
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_PIN_SOURCE);
	assert_int_equal(count_calls("C_GetTokenInfo"), 0);
	p11_ctx_free(ctx);

	fault_env("P11FAULT_FAIL", "C_FindObjectsInit:1:0xE0");
	ctx = ctx_with("edge", faultmod, NULL);
	t = one_token(ctx, "pkcs11:token=edge");
	{
		struct p11_cert_obj *c = NULL;

		assert_int_equal(p11_token_certs(t, &c, &n, &err), CR_EENV);
		assert_int_equal(err.reason, CR_R_TOKEN_ABSENT);
		assert_string_equal(err.msg, "token 'edge' is not present (CKR_TOKEN_NOT_PRESENT)");
	}
	p11_ctx_free(ctx);
}

/* One C_GetAttributeValue per certificate object when its value fits. */
static void
test_attr_calls(void **state)
{
	struct p11_ctx *ctx;
	struct p11_token *t;
	struct p11_cert_obj *c = NULL;
	struct cr_err err;
	size_t n = 0;

	(void)state;
	need_fault();
	fault_env(NULL, NULL);
	ctx = ctx_with("edge", faultmod, NULL);
	t = one_token(ctx, "pkcs11:token=edge");
	unlink(logpath);
	assert_int_equal(p11_token_certs(t, &c, &n, &err), CR_OK);
	assert_true(n >= 7);
	assert_int_equal(count_calls("C_GetAttributeValue"), (int)n);
	assert_int_equal(count_calls("C_FindObjectsInit"), 1);
	assert_int_equal(count_calls("C_FindObjects"), 2);	/* the batch, then none left */
	p11_ctx_free(ctx);

	/* keys: one read a key (CKA_MODULUS / CKA_EC_POINT asked with a bound: the
	 * one a key has not costs no second read); the test signature is made on
	 * the key's handle, never through libp11's own listing of the keys */
	fault_env(NULL, NULL);
	ctx = ctx_with("edge", faultmod, "edge.pin");
	t = one_token(ctx, "pkcs11:token=edge");
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_OK);
	unlink(logpath);
	{
		struct p11_key_obj *k = NULL, *key = NULL;
		struct p11_cert_obj *nc = cert_by_label(t, "mail-2026");
		struct p11_cert_obj *ec = cert_by_label(t, "ec-2026");
		int finds, reads, total;

		assert_int_equal(p11_token_keys(t, &k, &n, &err), CR_OK);
		assert_int_equal(n, 7);
		/* + one read per certificate */
		assert_int_equal(count_calls("C_GetAttributeValue"), (int)n + 7);
		assert_int_equal(count_calls("C_FindObjectsInit"), 2);
		assert_int_equal(p11_key_for_cert(t, nc->x509, nc->id, nc->id_len, &key, &err), CR_OK);
		assert_non_null(key);
		finds = count_calls("C_FindObjectsInit");
		reads = count_calls("C_GetAttributeValue");
		total = count_all_calls();
		if (p11_key_test_sign(key, nc->x509, &err) != CR_OK)
			fail_msg("%s", err.msg);
		/* a session, C_SignInit, C_Sign: nothing searched, nothing read */
		assert_int_equal(count_calls("C_FindObjectsInit"), finds);
		assert_int_equal(count_calls("C_GetAttributeValue"), reads);
		assert_int_equal(count_calls("C_SignInit"), 1);
		assert_int_equal(count_calls("C_Sign"), 1);
		assert_int_equal(count_all_calls() - total, 4);
		/* EC: the same, r || s verified as DER */
		assert_int_equal(p11_key_for_cert(t, ec->x509, ec->id, ec->id_len, &key, &err), CR_OK);
		assert_non_null(key);
		if (p11_key_test_sign(key, ec->x509, &err) != CR_OK)
			fail_msg("%s", err.msg);
		assert_int_equal(count_calls("C_Sign"), 2);
		assert_int_equal(count_calls("C_FindObjectsInit"), finds);
		/* by public key alone: SoftHSM2's EC key objects carry no point, so
		 * the public-key objects are listed, one read each (LAYOUT.md: 3) */
		reads = count_calls("C_GetAttributeValue");
		assert_int_equal(p11_key_for_cert(t, ec->x509, NULL, 0, &key, &err), CR_OK);
		assert_non_null(key);
		assert_string_equal(key->label, "ec-2026");
		assert_int_equal(count_calls("C_FindObjectsInit"), finds + 1);
		assert_int_equal(count_calls("C_GetAttributeValue"), reads + 3);
	}
	p11_ctx_free(ctx);
}

/* A key URI naming a CKA_LABEL / CKA_ID is a search on them (a few calls),
 * not a listing of every key, a few times per token; then the keys are
 * listed once. */
static void
test_key_search(void **state)
{
	static const char *uris[] = {
		"pkcs11:token=edge;object=mail-2026;type=private",
		"pkcs11:token=edge;id=%20;type=private",
		"pkcs11:token=edge;object=mail-2026;id=%20",
		"pkcs11:token=edge;object=ec-2026;type=private",
		"pkcs11:token=edge;object=no-such-key;type=private",
		"pkcs11:token=edge;object=mail-2026;type=private",
	};
	struct p11_ctx *ctx;
	struct p11_token *t;
	struct p11_key_obj **found = NULL, *first = NULL;
	struct p11_uri *u = NULL;
	struct p11_cert_obj *nc;
	struct cr_err err;
	size_t nf = 0, i;

	(void)state;
	need_fault();
	fault_env(NULL, NULL);
	ctx = ctx_with("edge", faultmod, "edge.pin");
	t = one_token(ctx, "pkcs11:token=edge");
	nc = cert_by_label(t, "mail-2026");
	assert_int_equal(p11_token_login(t, NULL, 0, &err), CR_OK);
	for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		unlink(logpath);
		assert_int_equal(p11_uri_parse(uris[i], NULL, &u, &err), CR_OK);
		if (p11_find_keys(ctx, u, &found, &nf, &err) != CR_OK)
			fail_msg("%s: %s", uris[i], err.msg);
		p11_uri_free(u);
		if (i < 4) {
			/* searched: one search, one read per key found */
			assert_int_equal(count_calls("C_FindObjectsInit"), 1);
			assert_int_equal(count_calls("C_GetAttributeValue"), 1);
			assert_int_equal(nf, 1);
		} else {
			/* searched often enough: the keys are listed (once) */
			assert_int_equal(count_calls("C_FindObjectsInit"), i == 4 ? 1 : 0);
			assert_int_equal(count_calls("C_GetAttributeValue"), i == 4 ? 7 : 0);
			assert_int_equal(nf, i == 4 ? 0 : 1);
		}
		if (i == 0)
			first = found[0];
		if (i < 3) {
			/* the same key found again is the same object, and it signs */
			assert_ptr_equal(found[0], first);
			assert_string_equal(found[0]->label, "mail-2026");
			assert_int_equal(found[0]->sensitive, 1);
			assert_int_equal(found[0]->extractable, 0);
		}
		if (i == 3)
			assert_string_equal(found[0]->label, "ec-2026");
		free(found);
		found = NULL;
	}
	if (p11_key_test_sign(first, nc->x509, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(p11_key_test_sign(first, cert_by_label(t, "ec-2026")->x509, &err),
	    CR_EBLOCK);
	assert_non_null(strstr(err.msg, "does not match"));
	p11_ctx_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_token),
		cmocka_unit_test(test_no_slots),
		cmocka_unit_test_teardown(test_slot_list_fault, teardown_fault),
		cmocka_unit_test(test_certs),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_no_pin),
		cmocka_unit_test_teardown(test_wrong_pin, teardown_fault),
		cmocka_unit_test_teardown(test_refused_before, teardown_fault),
		cmocka_unit_test_teardown(test_twin_refused, teardown_fault),
		cmocka_unit_test_teardown(test_final_try, teardown_fault),
		cmocka_unit_test_teardown(test_locked, teardown_fault),
		cmocka_unit_test_teardown(test_count_low, teardown_fault),
		cmocka_unit_test(test_sign_pss),
		cmocka_unit_test_teardown(test_sign_fault, teardown_fault),
		cmocka_unit_test(test_import_destroy),
		cmocka_unit_test_teardown(test_write_faults, teardown_fault),
		cmocka_unit_test_teardown(test_reasons, teardown_fault),
		cmocka_unit_test_teardown(test_attr_calls, teardown_fault),
		cmocka_unit_test_teardown(test_key_search, teardown_fault),
	};
	const char *s, *build;

	fix = getenv("FIX");
	if (fix != NULL && *fix == '\0')
		fix = NULL;
	s = getenv("SOFTHSM_MODULE");
	snprintf(softhsm, sizeof(softhsm), "%s",
	    s && *s ? s : "/usr/lib/softhsm/libsofthsm2.so");
	s = strrchr(softhsm, '/');
	if (s != NULL)
		snprintf(softhsm_alt, sizeof(softhsm_alt), "%.*s/./%s", (int)(s - softhsm), softhsm,
		    s + 1);
	s = getenv("P11FAULT");
	build = getenv("BUILD");
	if (s && *s)
		snprintf(faultmod, sizeof(faultmod), "%s", s);
	else
		snprintf(faultmod, sizeof(faultmod), "%s/tests/p11fault.so",
		    build && *build ? build : "build");
	/* relative paths would be resolved against nothing in particular */
	if (faultmod[0] != '/') {
		char cwd[2048];

		if (getcwd(cwd, sizeof(cwd)) != NULL) {
			char *abs = cr_xasprintf("%s/%s", cwd, faultmod);

			snprintf(faultmod, sizeof(faultmod), "%s", abs);
			free(abs);
		}
	}
	snprintf(logpath, sizeof(logpath), "%s/p11token-%ld.log",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
	return cmocka_run_group_tests_name("p11token", tests, NULL, NULL);
}
