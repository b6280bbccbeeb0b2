/* Unit tests: RFC 7512 URIs as the pkcs11/ layer accepts them (no token needed). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../common/util.h"
#include "../../pkcs11/p11.h"

/* Good URIs: what each one yields. */
static void
test_good(void **state)
{
	static const struct {
		const char *text;
		const char *base;
		enum p11_objtype type;
		int token_only;
		const char *object;	/* NULL: absent */
		const char *id;		/* hex, NULL: absent */
		const char *pin;	/* resolved pin-source, NULL: absent */
		const char *mpath, *mname;
	} t[] = {
		{ "pkcs11:token=edge", NULL, P11_TYPE_ANY, 1, NULL, NULL, NULL, NULL, NULL },
		{ "pkcs11:", NULL, P11_TYPE_ANY, 1, NULL, NULL, NULL, NULL, NULL },
		{ "pkcs11:token=edge;object=mail-2025;type=cert", NULL, P11_TYPE_CERT, 0,
		  "mail-2025", NULL, NULL, NULL, NULL },
		{ "pkcs11:token=edge;object=mail-2026;type=private", NULL, P11_TYPE_PRIVATE, 0,
		  "mail-2026", NULL, NULL, NULL, NULL },
		{ "pkcs11:type=public", NULL, P11_TYPE_PUBLIC, 0, NULL, NULL, NULL, NULL, NULL },
		/* id: percent-encoded bytes; "01" is two ASCII digits */
		{ "pkcs11:id=%01", NULL, P11_TYPE_ANY, 0, NULL, "01", NULL, NULL, NULL },
		{ "pkcs11:id=%20%1f", NULL, P11_TYPE_ANY, 0, NULL, "201F", NULL, NULL, NULL },
		{ "pkcs11:id=01", NULL, P11_TYPE_ANY, 0, NULL, "3031", NULL, NULL, NULL },
		{ "pkcs11:object=my%20cert", NULL, P11_TYPE_ANY, 0, "my cert", NULL, NULL, NULL,
		  NULL },
		{ "pkcs11:token=edge;serial=70d867f5c890f1e6;manufacturer=SoftHSM%20project;"
		  "model=SoftHSM%20v2", NULL, P11_TYPE_ANY, 1, NULL, NULL, NULL, NULL, NULL },
		{ "pkcs11:token=edge;type=cert?pin-source=file:/etc/edge.pin", NULL, P11_TYPE_CERT,
		  0, NULL, NULL, "/etc/edge.pin", NULL, NULL },
		{ "pkcs11:token=edge?pin-source=/etc/edge.pin", NULL, P11_TYPE_ANY, 1, NULL, NULL,
		  "/etc/edge.pin", NULL, NULL },
		{ "pkcs11:token=edge?pin-source=file:///etc/edge.pin", NULL, P11_TYPE_ANY, 1, NULL,
		  NULL, "/etc/edge.pin", NULL, NULL },
		{ "pkcs11:token=edge?pin-source=file:pins/edge.pin", "/etc/cr", P11_TYPE_ANY, 1,
		  NULL, NULL, "/etc/cr/pins/edge.pin", NULL, NULL },
		{ "pkcs11:token=edge?module-path=/usr/lib/softhsm/libsofthsm2.so", NULL,
		  P11_TYPE_ANY, 1, NULL, NULL, NULL, "/usr/lib/softhsm/libsofthsm2.so", NULL },
		{ "pkcs11:token=edge?module-path=mods/x.so", "/opt", P11_TYPE_ANY, 1, NULL, NULL,
		  NULL, "/opt/mods/x.so", NULL },
		{ "pkcs11:token=edge?module-name=softhsm2&pin-source=file:/p", NULL, P11_TYPE_ANY,
		  1, NULL, NULL, "/p", NULL, "softhsm2" },
		{ "pkcs11:slot-id=3;library-description=x;slot-description=y", NULL, P11_TYPE_ANY,
		  1, NULL, NULL, NULL, NULL, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct p11_uri *u = NULL;
		struct cr_err err;
		const unsigned char *id;
		size_t idlen;
		int r;

		cr_err_clear(&err);
		r = p11_uri_parse(t[i].text, t[i].base, &u, &err);
		if (r != CR_OK)
			fail_msg("'%s': status %d (%s)", t[i].text, r, err.msg);
		assert_string_equal(p11_uri_text(u), t[i].text);
		assert_int_equal(p11_uri_type(u), t[i].type);
		if (p11_uri_is_token_only(u) != t[i].token_only)
			fail_msg("'%s': token-only %d", t[i].text, p11_uri_is_token_only(u));
		if (t[i].object == NULL)
			assert_null(p11_uri_object(u));
		else
			assert_string_equal(p11_uri_object(u), t[i].object);
		id = p11_uri_id(u, &idlen);
		if (t[i].id == NULL) {
			assert_null(id);
			assert_int_equal(idlen, 0);
		} else {
			char *hex = cr_hex_upper(id, idlen);

			assert_non_null(id);
			assert_string_equal(hex, t[i].id);
			free(hex);
		}
		if (t[i].pin == NULL)
			assert_null(p11_uri_pin_source(u));
		else
			assert_string_equal(p11_uri_pin_source(u), t[i].pin);
		if (t[i].mpath == NULL)
			assert_null(p11_uri_module_path(u));
		else
			assert_string_equal(p11_uri_module_path(u), t[i].mpath);
		if (t[i].mname == NULL)
			assert_null(p11_uri_module_name(u));
		else
			assert_string_equal(p11_uri_module_name(u), t[i].mname);
		p11_uri_free(u);
	}
}

/* Refused URIs: CR_EINPUT, the message names the URI and says why. */
static void
test_refused(void **state)
{
	static const struct {
		const char *text;
		const char *want;	/* substring of the message */
	} t[] = {
		{ "pkcs11:token=edge?pin-value=s3cr3t", "pin-value" },
		{ "pkcs11:token=edge?pin-source=file:/p&pin-value=s3cr3t", "pin-value" },
		{ "pkcs11:token=edge;foo=bar", "unknown attribute 'foo'" },
		{ "pkcs11:token=edge;x-vendor=1", "unknown attribute 'x-vendor'" },
		{ "pkcs11:token=edge;token=other", "given twice" },
		{ "pkcs11:token=edge;type=foo", "bad value in 'type=foo'" },
		{ "pkcs11:type=data", "type must be cert, private or public" },
		{ "pkcs11:type=secret-key", "type must be cert, private or public" },
		{ "pkcs11:token=0123456789012345678901234567890123456789",
		  "bad value in 'token=" },
		{ "pkcs11:id=%zz", "bad PKCS#11 URI 'pkcs11:id=%zz'" },
		{ "pkcs11:token", "is not name=value" },
		{ "http://example.com/", "must start with 'pkcs11:'" },
		{ "", "must start with 'pkcs11:'" },
		{ "pkcs11:token=edge?pin-source=env:PIN", "pin-source must be file:PATH" },
		{ "pkcs11:token=edge?pin-source=file://host/p", "pin-source must be file:PATH" },
		{ "pkcs11:token=edge?pin-source=", "pin-source must be file:PATH" },
		/* a bare word may be the PIN itself: refused, and never shown */
		{ "pkcs11:token=edge?pin-source=s3cr3t", "'pkcs11:token=edge?pin-source=***'" },
		{ "pkcs11:token=edge?pin-source=s3cr3t&x=1", "'pkcs11:token=edge?pin-source=***&x=1'" },
		{ "pkcs11:token=edge?module-path=", "empty module-path" },
		/* two modules named: neither may silently win */
		{ "pkcs11:token=edge?module-path=/usr/lib/softhsm/libsofthsm2.so&module-name=softhsm2",
		  "both module-path and module-name given" },
		{ "pkcs11:token=edge?module-name=softhsm2&pin-source=file:/p&module-path=/m.so",
		  "both module-path and module-name given" },
		/* found by fuzz_uri: the bad segment was quoted raw, PIN included */
		{ "pkcs11:token=a-label-longer-than-32-characters::pin-value=s3cr3t",
		  "bad value in 'token=a-label-longer-than-32-characters::pin-value=***'" },
		/* a ';' typed for the '?': the PIN is in the path, never shown */
		{ "pkcs11:token=edge;pin-value=s3cr3t", "pin-value" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct p11_uri *u = (struct p11_uri *)&u;	/* set to NULL on entry */
		struct cr_err err;
		int r;

		cr_err_clear(&err);
		r = p11_uri_parse(t[i].text, NULL, &u, &err);
		if (r != CR_EINPUT)
			fail_msg("'%s': status %d, expected %d", t[i].text, r, CR_EINPUT);
		assert_null(u);
		if (strstr(err.msg, t[i].want) == NULL)
			fail_msg("'%s': message '%s' lacks '%s'", t[i].text, err.msg, t[i].want);
		if (t[i].text[0] != '\0' && strncmp(t[i].text, "pkcs11:", 7) == 0 &&
		    strstr(err.msg, "'pkcs11:") == NULL)
			fail_msg("'%s': message '%s' does not name the URI", t[i].text, err.msg);
		/* a PIN given in the URI never reaches a message */
		if (strstr(err.msg, "s3cr3t") != NULL)
			fail_msg("'%s': message '%s' shows the PIN", t[i].text, err.msg);
	}
}

/*
 * An unknown QUERY attribute is a vendor's (RFC 7512 section 2.3): ignored,
 * as p11-kit ignores it, with a warning naming it; an unknown PATH
 * attribute still matches nothing (refused: test_refused).
 */
static void
test_vendor_query(void **state)
{
	static const struct {
		const char *text;
		const char *want;	/* substring of the warning, NULL: none */
	} t[] = {
		{ "pkcs11:token=edge?foo=bar", "unknown query attribute 'foo' ignored" },
		{ "pkcs11:token=edge;type=cert?x-vendor=1&pin-source=file:/p",
		  "unknown query attribute 'x-vendor' ignored (vendor-specific, RFC 7512 section 2.3" },
		{ "pkcs11:token=edge?a=1&b=2", "unknown query attributes 'a', 'b' ignored" },
		{ "pkcs11:token=edge?pin-source=file:/p", NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct p11_uri *u = NULL;
		struct cr_err err;
		const char *w;

		cr_err_clear(&err);
		if (p11_uri_parse(t[i].text, NULL, &u, &err) != CR_OK)
			fail_msg("'%s': refused: %s", t[i].text, err.msg);
		w = p11_uri_warning(u);
		if (t[i].want == NULL && w != NULL)
			fail_msg("'%s': unexpected warning '%s'", t[i].text, w);
		if (t[i].want != NULL && (w == NULL || strstr(w, t[i].want) == NULL))
			fail_msg("'%s': warning '%s' lacks '%s'", t[i].text, w ? w : "(none)", t[i].want);
		/* the vendor's attribute does not narrow or widen what the URI names */
		assert_string_equal(p11_uri_text(u), t[i].text);
		p11_uri_free(u);
	}
}

/* p11_uri_token_matches: a `tokens` entry applies when all its token
 * attributes are in the URI with the same values. */
static void
test_token_matches(void **state)
{
	static const struct {
		const char *entry, *uri;
		int match;
	} t[] = {
		{ "pkcs11:token=edge", "pkcs11:token=edge", 1 },
		{ "pkcs11:token=edge", "pkcs11:token=edge;object=mail-2025;type=cert", 1 },
		{ "pkcs11:token=edge", "pkcs11:token=edge;serial=1234?pin-source=/p", 1 },
		{ "pkcs11:token=edge", "pkcs11:token=spare", 0 },
		{ "pkcs11:token=edge", "pkcs11:token=Edge", 0 },
		{ "pkcs11:token=edge", "pkcs11:token=edge2", 0 },
		{ "pkcs11:token=edge", "pkcs11:object=mail-2025", 0 },
		{ "pkcs11:token=edge;serial=1234", "pkcs11:token=edge", 0 },
		{ "pkcs11:token=edge;serial=1234", "pkcs11:token=edge;serial=1234", 1 },
		{ "pkcs11:token=edge;serial=1234", "pkcs11:serial=1234;token=edge;id=%01", 1 },
		{ "pkcs11:manufacturer=SoftHSM%20project", "pkcs11:manufacturer=SoftHSM%20project;"
		  "token=x", 1 },
		{ "pkcs11:model=SoftHSM%20v2", "pkcs11:token=edge", 0 },
		{ "pkcs11:", "pkcs11:token=edge", 1 },
		{ "pkcs11:", "pkcs11:", 1 },
		/* module and object attributes are no token attributes */
		{ "pkcs11:token=edge?module-path=/m.so", "pkcs11:token=edge", 1 },
		{ "pkcs11:token=edge;object=a", "pkcs11:token=edge;object=b", 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct p11_uri *a = NULL, *b = NULL;
		struct cr_err err;

		assert_int_equal(p11_uri_parse(t[i].entry, NULL, &a, &err), CR_OK);
		assert_int_equal(p11_uri_parse(t[i].uri, NULL, &b, &err), CR_OK);
		if (p11_uri_token_matches(a, b) != t[i].match)
			fail_msg("entry '%s' vs '%s': expected %d", t[i].entry, t[i].uri, t[i].match);
		p11_uri_free(a);
		p11_uri_free(b);
	}
}

/* A `tokens` entry's own URI is checked like any other. */
static void
test_token_conf(void **state)
{
	struct p11_ctx *ctx = NULL;
	struct cr_err err;

	(void)state;
	assert_int_equal(p11_ctx_new(&ctx, &err), CR_OK);
	assert_int_equal(p11_ctx_add_token_conf(ctx, "pkcs11:token=edge", "softhsm2",
	    "file:/etc/edge.pin", &err), CR_OK);
	assert_int_equal(p11_ctx_add_token_conf(ctx, "pkcs11:token=edge?pin-value=s3cr3t", NULL,
	    NULL, &err), CR_EINPUT);
	assert_null(strstr(err.msg, "s3cr3t"));
	assert_non_null(strstr(err.msg, "pin-value=***"));
	assert_int_equal(p11_ctx_add_token_conf(ctx, "pkcs11:token=edge", NULL, "env:PIN",
	    &err), CR_EINPUT);
	p11_ctx_free(ctx);
	p11_ctx_free(NULL);
	p11_uri_free(NULL);
}

/* Attribute values written back into a URI parse to the same bytes. */
static void
test_encode(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		int every;
		const char *want;
	} t[] = {
		{ "mail-2027", 9, 0, "mail-2027" },
		{ "a b;c=d/e?f%", 12, 0, "a%20b%3Bc%3Dd%2Fe%3Ff%25" },
		{ "\x5e\x01", 2, 1, "%5E%01" },
		{ "az", 2, 1, "%61%7A" },
		{ "x\0y", 3, 0, "x%00y" },
		{ "\xc3\xbc._~", 5, 0, "%C3%BC._~" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cr_buf b = CR_BUF_INIT;
		struct p11_uri *u = NULL;
		struct cr_err err;
		const unsigned char *id;
		size_t len = 0;
		char *text;

		p11_uri_encode(&b, t[i].in, t[i].n, t[i].every);
		assert_string_equal(cr_buf_str(&b), t[i].want);
		text = cr_xasprintf("pkcs11:token=edge;id=%s", cr_buf_str(&b));
		if (p11_uri_parse(text, NULL, &u, &err) != CR_OK)
			fail_msg("case %zu: %s", i, err.msg);
		id = p11_uri_id(u, &len);
		assert_int_equal(len, t[i].n);
		assert_memory_equal(id, t[i].in, t[i].n);
		p11_uri_free(u);
		free(text);
		cr_buf_release(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_vendor_query),
		cmocka_unit_test(test_token_matches),
		cmocka_unit_test(test_token_conf),
		cmocka_unit_test(test_encode),
	};
	return cmocka_run_group_tests_name("p11uri", tests, NULL, NULL);
}
