/*
 * Unit tests: the configuration model (plan/config.c).
 *
 * One test per kind of configuration error of SPEC 4: each asserts the
 * status (CR_EINPUT, exit 2), the file and the exact line (found from a
 * marker in the text, so the tests survive edits), the setting path, and
 * the gist of the message.  Plus a full valid configuration, checked field
 * by field, and the placeholder expansion.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "../../plan/config.h"
#include "../../common/util.h"

#define HEAD \
	"rotation = {\n" \
	"  name = \"mail-2026\";\n" \
	"  old = \"pkcs11:token=edge;object=mail-2025;type=cert\";\n" \
	"  new = \"file:new/mail-2026.pem\";\n" \
	"  key = \"pkcs11:token=edge;object=mail-2026;type=private\";\n" \
	"};\n"

static const char valid[] =
	"# a full configuration: every setting of SPEC 4\n"
	"rotation = {\n"
	"  name = \"mail-2026\";\n"
	"  old = \"pkcs11:token=edge;object=mail-2025;type=cert\";\n"
	"  new = \"file:new/mail-2026.pem\";\n"
	"  key = \"pkcs11:token=edge;object=mail-2026;type=private\";\n"
	"  chain = [ \"file:pki/issuing-ca.pem\" ];\n"
	"  trust = [ \"file:pki/root-ca.pem\" ];\n"
	"  min_remaining = \"45d\";\n"
	"  import_to = \"pkcs11:token=edge\";\n"
	"  retire = \"delete\";\n"
	"  archive_dir = \"old-certs\";\n"
	"  label = \"mail-2026\";\n"
	"  kinds_dir = \"kinds\";\n"
	"  run_retire = [ \"/usr/local/bin/retire\", \"{old.sha1}\" ];\n"
	"};\n"
	"tokens = (\n"
	"  { uri = \"pkcs11:token=edge\"; module = \"/usr/lib/softhsm/libsofthsm2.so\";\n"
	"    pin_source = \"file:edge.pin\"; }\n"
	");\n"
	"hosts = (\n"
	"  { name = \"wap1\"; run_restart = [ \"ssh\", \"{host}\", \"restart\", \"{service}\" ]; },\n"
	"  { name = \"cas2\";\n"
	"    accepts = { signature = [ \"sha1WithRSAEncryption\", \"sha256withrsaencryption\" ];\n"
	"                key = [ \"rsa:1024-4096\", \"ec:prime256v1\" ]; };\n"
	"    run_import = [ \"ssh\", \"{host}\", \"import\", \"{new.pem}\" ];\n"
	"    run_grant = [ \"ssh\", \"{host}\", \"grant\", \"{account}\", \"{new.sha1}\" ];\n"
	"  },\n"
	"  { name = \"adfs1\"; }\n"
	");\n"
	"services = (\n"
	"  { name = \"wap\"; host = \"wap1\"; kind = \"wap\"; depends = [ \"adfs\" ];\n"
	"    run_rebind = [ \"ssh\", \"{host}\", \"Set-Rule\", \"{ref}\", \"{new.sha1}\" ];\n"
	"    refs = ( { id = \"rule-b\"; type = \"binding\"; cert = \"name:<I>CN=CA<S>CN=mail\"; },\n"
	"             { id = \"rule-a\"; type = \"binding\"; cert = \"sha1:00112233445566778899aabbccddeeff00112233\"; } );\n"
	"  },\n"
	"  { name = \"owa\"; host = \"cas2\"; kind = \"iis\";\n"
	"    names = [ \"mail.contoso.com\", \"legacy.contoso.com\" ];\n"
	"    account = \"IIS_IUSRS\";\n"
	"    run_restart = [ \"ssh\", \"{host}\", \"iisreset\", \"/noforce\" ];\n"
	"    undo_restart = [ \"ssh\", \"{host}\", \"iisreset\" ];\n"
	"    refs = (\n"
	"      { id = \"https-all\"; type = \"binding\";\n"
	"        cert = \"\xe2\x80\x8esha1:5A 1B 2C 3D 4E 5F 60 71 82 93 A4 B5 C6 D7 E8 F9 0A 1B 2C 3D\";\n"
	"        endpoint = \"10.0.0.5:443\"; sni = \"mail.contoso.com\";\n"
	"        run = [ \"ssh\", \"{host}\", \"netsh\", \"{endpoint}\", \"{{literal}\", \"{ $_.Name }\" ]; },\n"
	"      { id = \"frontend\"; type = \"connector\";\n"
	"        cert = \"name:<I>CN=Contoso CA, O=Contoso<S>CN=mail.contoso.com\";\n"
	"        endpoint = \"[::1]:25\"; starttls = \"smtp\"; },\n"
	"      { id = \"tls-file\"; type = \"file\"; path = \"tls/mail.pem\"; }\n"
	"    );\n"
	"  },\n"
	"  { name = \"adfs\"; host = \"adfs1\"; account = \"CONTOSO\\\\svc-adfs\"; }\n"
	");\n"
	"protect = [ \"sha1:00112233445566778899AABBCCDDEEFF00112233\", \"file:pki/default.pem\" ];\n";

/* The line (1-based) of the first occurrence of marker in text. */
static int
line_of(const char *text, const char *marker)
{
	const char *p = strstr(text, marker), *q;
	int line = 1;

	assert_non_null(p);
	for (q = text; q < p; q++)
		line += *q == '\n';
	return line;
}

static struct plan_config *
parse_ok(const char *text)
{
	struct plan_config *cfg = NULL;
	struct cr_err err;
	int r;

	cr_err_clear(&err);
	r = plan_config_parse(text, "certrotate.cfg", "/etc/certrotate", &cfg, &err);
	if (r != CR_OK)
		fail_msg("unexpected error: %s", err.msg);
	assert_non_null(cfg);
	return cfg;
}

/*
 * Parses text, which must fail with CR_EINPUT and a message starting with
 * "certrotate.cfg:LINE: SETTING: " (LINE: of `marker`) and containing
 * `gist`.
 */
static void
expect_error(const char *text, const char *marker, const char *setting, const char *gist)
{
	struct plan_config *cfg = NULL;
	struct cr_err err;
	char prefix[256];
	int r;

	cr_err_clear(&err);
	r = plan_config_parse(text, "certrotate.cfg", ".", &cfg, &err);
	assert_int_equal(r, CR_EINPUT);
	assert_int_equal(err.status, 2);
	assert_null(cfg);
	/* no marker: the error is about the top level, reported at line 1 */
	snprintf(prefix, sizeof(prefix), "certrotate.cfg:%d: %s: ", marker ? line_of(text, marker) : 1,
	    setting);
	if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
		fail_msg("message '%s' does not start with '%s'", err.msg, prefix);
	if (strstr(err.msg, gist) == NULL)
		fail_msg("message '%s' does not contain '%s'", err.msg, gist);
}

/* ---- the valid configuration ------------------------------------------ */

static void
test_valid_full(void **state)
{
	struct plan_config *cfg = parse_ok(valid);
	const struct plan_rotation *rot = &cfg->rotation;
	const struct plan_service *owa, *wap, *adfs;
	const struct plan_ref *ref;

	(void)state;
	assert_string_equal(rot->name, "mail-2026");
	assert_string_equal(rot->old, "pkcs11:token=edge;object=mail-2025;type=cert");
	assert_int_equal(rot->old_loc.line, line_of(valid, "  old ="));
	assert_string_equal(rot->new, "file:new/mail-2026.pem");
	assert_false(rot->key_is_file);
	assert_int_equal(rot->nchain, 1);
	assert_int_equal(rot->ntrust, 1);
	assert_true(rot->min_remaining == 45LL * 86400);
	assert_string_equal(rot->import_token, "edge");
	assert_int_equal(rot->retire, PLAN_RETIRE_DELETE);
	assert_string_equal(rot->archive_dir, "/etc/certrotate/old-certs");
	assert_string_equal(rot->archive_dir_text, "old-certs");
	assert_string_equal(rot->label, "mail-2026");
	assert_string_equal(rot->kinds_dir, "/etc/certrotate/kinds");
	assert_non_null(rot->hooks.run[PLAN_RETIRE].v);
	assert_int_equal(rot->hooks.run[PLAN_RETIRE].n, 2);

	assert_int_equal(cfg->ntokens, 1);
	assert_string_equal(cfg->tokens[0].pin_source, "/etc/certrotate/edge.pin");
	assert_string_equal(cfg->tokens[0].module, "/usr/lib/softhsm/libsofthsm2.so");

	/* sorted by name, whatever the file order */
	assert_int_equal(cfg->nhosts, 3);
	assert_string_equal(cfg->hosts[0].name, "adfs1");
	assert_string_equal(cfg->hosts[1].name, "cas2");
	assert_string_equal(cfg->hosts[2].name, "wap1");
	assert_int_equal(cfg->hosts[1].naccept_sig, 2);
	assert_int_equal(cfg->hosts[1].naccept_key, 2);
	assert_int_equal(cfg->hosts[1].loc.line, line_of(valid, "{ name = \"cas2\""));
	assert_string_equal(cfg->hosts[1].path, "hosts.[1]");
	assert_non_null(cfg->hosts[1].hooks.run[PLAN_IMPORT].v);
	assert_int_equal(plan_config_host(cfg, "cas2"), 1);
	assert_int_equal(plan_config_host(cfg, "nope"), -1);

	assert_int_equal(cfg->nservices, 3);
	adfs = &cfg->services[0];
	owa = &cfg->services[1];
	wap = &cfg->services[2];
	assert_string_equal(adfs->name, "adfs");
	assert_string_equal(owa->name, "owa");
	assert_string_equal(wap->name, "wap");
	assert_int_equal(plan_config_service(cfg, "wap"), 2);
	assert_string_equal(cfg->hosts[wap->host].name, "wap1");
	assert_string_equal(adfs->account, "CONTOSO\\svc-adfs");
	/* depends resolved; dependency rank puts adfs first */
	assert_int_equal(wap->ndepends, 1);
	assert_int_equal(wap->dep[0], 0);
	assert_true(adfs->rank < wap->rank);
	assert_int_equal(owa->nnames, 2);
	assert_non_null(owa->hooks.run[PLAN_RESTART].v);
	assert_non_null(owa->hooks.undo[PLAN_RESTART].v);

	/* refs sorted by id */
	assert_int_equal(owa->nrefs, 3);
	assert_string_equal(owa->refs[0].id, "frontend");
	assert_string_equal(owa->refs[1].id, "https-all");
	assert_string_equal(owa->refs[2].id, "tls-file");
	assert_string_equal(wap->refs[0].id, "rule-a");
	assert_int_equal(cfg->nrefs, 5);

	ref = &owa->refs[0];
	assert_int_equal(ref->type, PLAN_REF_CONNECTOR);
	assert_int_equal(ref->ident.kind, CRT_ID_NAME);
	assert_true(ref->starttls_smtp);
	assert_string_equal(ref->endpoint, "[::1]:25");
	assert_string_equal(ref->path, "services.[1].refs.[1]");
	assert_int_equal(ref->service, 1);

	ref = &owa->refs[1];
	assert_int_equal(ref->ident.kind, CRT_ID_SHA1);
	assert_int_equal(ref->ident.hash[0], 0x5A);
	assert_string_equal(ref->sni, "mail.contoso.com");
	assert_int_equal(ref->run.n, 6);
	assert_int_equal(ref->cert_loc.line, line_of(valid, "sha1:5A 1B"));

	ref = &owa->refs[2];
	assert_int_equal(ref->type, PLAN_REF_FILE);
	assert_true(ref->cert_implicit);
	assert_int_equal(ref->ident.kind, CRT_ID_SOURCE);
	assert_string_equal(ref->cert, "file:tls/mail.pem");
	assert_string_equal(ref->file_path, "/etc/certrotate/tls/mail.pem");
	assert_string_equal(ref->file_path_text, "tls/mail.pem");

	assert_int_equal(cfg->nprotect, 2);
	assert_int_equal(cfg->protect[1].ident.kind, CRT_ID_SOURCE);

	/* the invisible mark before the thumbprint is a warning, not an error */
	assert_int_equal(cfg->nwarnings, 1);
	assert_non_null(strstr(cfg->warnings[0].msg, "services.[1].refs.[0].cert"));
	plan_config_free(cfg);
}

/* Sources are parsed once, at load time: what later layers use instead of the texts. */
static void
test_sources(void **state)
{
	struct plan_config *cfg = parse_ok(valid);
	const struct plan_rotation *rot = &cfg->rotation;
	const struct plan_service *owa;

	(void)state;
	assert_int_equal(rot->old_src.kind, PLAN_SRC_PKCS11);
	assert_string_equal(rot->old_src.text, rot->old);
	assert_non_null(rot->old_src.uri);
	assert_ptr_equal(rot->old_src.token, &cfg->tokens[0]);
	assert_string_equal(rot->old_src.pin_source, "/etc/certrotate/edge.pin");
	assert_int_equal(rot->key_src.kind, PLAN_SRC_PKCS11);
	assert_string_equal(rot->key_src.pin_source, "/etc/certrotate/edge.pin");
	assert_int_equal(rot->new_src.kind, PLAN_SRC_FILE);
	assert_string_equal(rot->new_src.path, "/etc/certrotate/new/mail-2026.pem");
	assert_null(rot->new_src.uri);
	assert_int_equal(rot->import_to_src.kind, PLAN_SRC_PKCS11);
	assert_ptr_equal(rot->import_to_src.token, &cfg->tokens[0]);
	assert_string_equal(rot->chain_src[0].path, "/etc/certrotate/pki/issuing-ca.pem");
	assert_string_equal(rot->trust_src[0].path, "/etc/certrotate/pki/root-ca.pem");
	assert_non_null(cfg->tokens[0].src.uri);
	owa = &cfg->services[1];
	assert_null(owa->refs[0].cert_src);		/* name: */
	assert_null(owa->refs[1].cert_src);		/* sha1: */
	assert_int_equal(owa->refs[2].cert_src->kind, PLAN_SRC_FILE);	/* implicit file: */
	assert_string_equal(owa->refs[2].cert_src->path, "/etc/certrotate/tls/mail.pem");
	assert_null(cfg->protect[0].src);
	assert_string_equal(cfg->protect[1].src->path, "/etc/certrotate/pki/default.pem");
	plan_config_free(cfg);

	/* the URI's pin-source first; else the first matching entry that has one */
	cfg = parse_ok("rotation = {\n  name = \"r\";\n"
	    "  old = \"pkcs11:token=edge;serial=01;object=a;type=cert?pin-source=file:old.pin\";\n"
	    "  new = \"tls://mail.contoso.com:443?sni=smtp.contoso.com\";\n"
	    "  key = \"pkcs11:token=edge;serial=01;object=k;type=private\";\n"
	    "  chain = [ \"file:/etc/ca.pem\", \"x.p12?pass-source=file:x.pass\" ];\n};\n"
	    "tokens = ( { uri = \"pkcs11:token=edge\"; module = \"lib/mod.so\"; },\n"
	    "  { uri = \"pkcs11:token=edge;serial=01\"; pin_source = \"file:edge.pin\"; },\n"
	    "  { uri = \"pkcs11:token=core\"; pin_source = \"file:core.pin\"; } );\n");
	rot = &cfg->rotation;
	assert_string_equal(rot->old_src.pin_source, "/etc/certrotate/old.pin");
	assert_ptr_equal(rot->old_src.token, &cfg->tokens[0]);
	assert_string_equal(rot->key_src.pin_source, "/etc/certrotate/edge.pin");
	assert_ptr_equal(rot->key_src.token, &cfg->tokens[0]);
	assert_string_equal(cfg->tokens[0].module, "/etc/certrotate/lib/mod.so");
	assert_int_equal(rot->new_src.kind, PLAN_SRC_TLS);
	assert_string_equal(rot->new_src.tls.host, "mail.contoso.com");
	assert_string_equal(rot->new_src.tls.port, "443");
	assert_string_equal(rot->new_src.tls.sni, "smtp.contoso.com");
	assert_string_equal(rot->chain_src[0].path, "/etc/ca.pem");
	assert_string_equal(rot->chain_src[1].path, "/etc/certrotate/x.p12");
	assert_false(rot->key_is_file);
	plan_config_free(cfg);
}

static void
test_defaults(void **state)
{
	struct plan_config *cfg = parse_ok(HEAD);

	(void)state;
	assert_true(cfg->rotation.min_remaining == 30LL * 86400);
	assert_int_equal(cfg->rotation.retire, PLAN_RETIRE_ARCHIVE);
	assert_string_equal(cfg->rotation.archive_dir, "/etc/certrotate/mail-2026.archive");
	assert_null(cfg->rotation.import_to);
	assert_int_equal(cfg->nhosts, 0);
	assert_int_equal(cfg->nservices, 0);
	plan_config_free(cfg);
}

/* ---- libconfig's own errors ------------------------------------------- */

static void
test_syntax_error(void **state)
{
	struct plan_config *cfg = NULL;
	struct cr_err err;

	(void)state;
	cr_err_clear(&err);
	assert_int_equal(plan_config_parse(HEAD "hosts = (\n  { name = \"a\" }\n  { name = \"b\"; }\n);\n",
	    "certrotate.cfg", ".", &cfg, &err), CR_EINPUT);
	assert_null(cfg);
	assert_string_equal(err.msg, "certrotate.cfg:9: syntax error");

	/* libconfig's own errors name the setting: a repeated name, an array of two types */
	cr_err_clear(&err);
	assert_int_equal(plan_config_parse(HEAD "hosts = ( { name = \"a\"; name = \"b\"; } );\n",
	    "certrotate.cfg", ".", &cfg, &err), CR_EINPUT);
	assert_string_equal(err.msg, "certrotate.cfg:7: hosts.[0].name: duplicate setting 'name' "
	    "(first at line 7)");
	cr_err_clear(&err);
	assert_int_equal(plan_config_parse("rotation = {\n  name = \"r1\";\n  /* name = \"x\"; */\n"
	    "  old = \"a.pem\"; # name = \"y\";\n  name = \"r2\";\n};\n",
	    "certrotate.cfg", ".", &cfg, &err), CR_EINPUT);
	assert_string_equal(err.msg, "certrotate.cfg:5: rotation.name: duplicate setting 'name' "
	    "(first at line 2)");
	cr_err_clear(&err);
	assert_int_equal(plan_config_parse(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\";\n"
	    "  names = [ \"a.com\",\n    5 ]; } );\n",
	    "certrotate.cfg", ".", &cfg, &err), CR_EINPUT);
	assert_string_equal(err.msg, "certrotate.cfg:10: services.[0].names.[1]: wrong type: expected "
	    "a string like the array's first element, got an integer (an array [ ... ] holds one "
	    "type; a list ( ... ) may mix)");
	/* the same name in two groups is fine; in a list's groups too */
	plan_config_free(parse_ok(HEAD "hosts = ( { name = \"a\"; }, { name = \"b\"; } );\n"));
}

/* ---- unknown settings ---------------------------------------------------- */

static void
test_unknown_setting_typo(void **state)
{
	(void)state;
	expect_error(HEAD "services = ( { name = \"owa\"; host = \"cas2\";\n"
	    "  nmaes = [ \"mail.contoso.com\" ]; } );\n",
	    "nmaes", "services.[0].nmaes", "unknown setting 'nmaes' (did you mean 'names'?)");
}

static void
test_unknown_setting_top(void **state)
{
	(void)state;
	expect_error(HEAD "hostz = ();\n", "hostz", "hostz",
	    "unknown setting 'hostz' (did you mean 'hosts'?)");
	expect_error(HEAD "frobnicate = 1;\n", "frobnicate", "frobnicate",
	    "unknown setting 'frobnicate' in the top level");
}

static void
test_unknown_setting_hook_level(void **state)
{
	(void)state;
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; run_import = [ \"x\" ]; } );\n",
	    "run_import", "services.[0].run_import", "'run_import' is not a hook of a service");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; run_retire = [ \"x\" ]; } );\n",
	    "run_retire", "services.[0].run_retire", "set it on the host or the rotation");
	expect_error(HEAD "hosts = ( { name = \"h\"; run_restrat = [ \"x\" ]; } );\n",
	    "run_restrat", "hosts.[0].run_restrat", "did you mean 'run_restart'?");
}

/* ---- types and required settings ---------------------------------------- */

static void
test_wrong_type(void **state)
{
	(void)state;
	expect_error("rotation = {\n  name = \"x\";\n  old = \"a.pem\";\n  new = \"b.pem\";\n"
	    "  key = \"b.key\";\n  min_remaining = 30;\n};\n",
	    "min_remaining", "rotation.min_remaining", "expected a string, got an integer");
	expect_error(HEAD "hosts = { name = \"h\"; };\n", "hosts =", "hosts",
	    "expected a list of groups");
	expect_error(HEAD "hosts = ( \"h\" );\n", "hosts =", "hosts.[0]",
	    "expected a group { ... }, got a string");
	expect_error(HEAD "hosts = ( { name = \"h\"; accepts = { key = \"rsa\"; }; } );\n",
	    "accepts", "hosts.[0].accepts.key", "expected a list of strings");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; names = ( \"a\", 2 ); } );\n",
	    "names", "services.[0].names.[1]", "expected a string, got an integer");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; refs = { id = \"x\"; }; } );\n",
	    "refs", "services.[0].refs", "expected a list of groups");
	expect_error(HEAD "hosts = ( { name = \"\"; } );\n", "name = \"\"", "hosts.[0].name",
	    "must not be empty");
}

static void
test_missing_required(void **state)
{
	(void)state;
	expect_error("rotation = {\n  name = \"x\";\n  old = \"a.pem\";\n  new = \"b.pem\";\n};\n",
	    "rotation = {", "rotation.key", "missing (required)");
	/* the top level has no line of its own: errors about it name the first */
	expect_error("hosts = ();\n", "hosts", "rotation", "missing (required)");
	expect_error("", NULL, "rotation", "missing (required)");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\";\n  refs = ( { id = \"r\"; type = \"binding\"; cert = \"a.pem\"; } ); } );\n",
	    "{ name = \"s\"", "services.[0].host", "missing (required)");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\";\n  refs = ( { id = \"r\"; cert = \"a.pem\"; } ); } );\n",
	    "{ id = \"r\"", "services.[0].refs.[0].type", "missing (required)");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\";\n  refs = ( { id = \"r\"; type = \"binding\"; } ); } );\n",
	    "{ id = \"r\"", "services.[0].refs.[0].cert", "missing (required)");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\";\n  refs = ( { id = \"r\"; type = \"file\"; } ); } );\n",
	    "{ id = \"r\"", "services.[0].refs.[0].path", "missing (required for a file ref)");
}

/* ---- names: duplicates, dangling, cycles ---------------------------------- */

static void
test_duplicate_host(void **state)
{
	(void)state;
	expect_error(HEAD "hosts = (\n  { name = \"cas2\"; },\n  { name = \"cas1\"; },\n"
	    "  { name = \"cas2\"; run_import = [ \"x\" ]; }\n);\n",
	    "{ name = \"cas2\"; run_import", "hosts.[2].name", "duplicate host 'cas2' (first at line 8)");
}

static void
test_duplicate_service(void **state)
{
	(void)state;
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = (\n  { name = \"owa\"; host = \"h\"; },\n  { name = \"owa\"; host = \"h\"; kind = \"iis\"; }\n);\n",
	    "kind = \"iis\"", "services.[1].name", "duplicate service 'owa'");
}

static void
test_duplicate_ref(void **state)
{
	static const char ok[] = HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = (\n"
	    "  { name = \"a\"; host = \"h\"; refs = ( { id = \"r\"; type = \"binding\"; cert = \"x.pem\"; } ); },\n"
	    "  { name = \"b\"; host = \"h\"; refs = ( { id = \"r\"; type = \"binding\"; cert = \"x.pem\"; } ); }\n"
	    ");\n";

	(void)state;
	/* the same id in two services is fine */
	plan_config_free(parse_ok(ok));
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"a\"; host = \"h\"; refs = (\n"
	    "  { id = \"https\"; type = \"binding\"; cert = \"x.pem\"; },\n"
	    "  { id = \"https\"; type = \"connector\"; cert = \"x.pem\"; }\n) } );\n",
	    "{ id = \"https\"; type = \"connector\"", "services.[0].refs.[1].id",
	    "duplicate ref id 'https' in service 'a' (first at line 9)");
}

static void
test_dangling_host(void **state)
{
	(void)state;
	expect_error(HEAD "hosts = ( { name = \"cas2\"; } );\n"
	    "services = ( { name = \"owa\";\n  host = \"cas3\"; } );\n",
	    "host = \"cas3\"", "services.[0].host", "no host named 'cas3' (did you mean 'cas2'?)");
	expect_error(HEAD "services = ( { name = \"owa\"; host = \"zzzzzz\"; } );\n",
	    "zzzzzz", "services.[0].host", "no host named 'zzzzzz' in hosts");
}

static void
test_dangling_depends(void **state)
{
	(void)state;
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = (\n  { name = \"adfs\"; host = \"h\"; },\n"
	    "  { name = \"wap\"; host = \"h\"; depends = [ \"adfs\",\n    \"adsf\" ]; }\n);\n",
	    "\"adsf\"", "services.[1].depends.[1]", "no service named 'adsf' (did you mean 'adfs'?)");
}

static void
test_cycle(void **state)
{
	(void)state;
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = (\n  { name = \"wap\"; host = \"h\"; depends = [ \"adfs\" ]; },\n"
	    "  { name = \"adfs\"; host = \"h\";\n    depends = [ \"wap\" ]; },\n"
	    "  { name = \"owa\"; host = \"h\"; depends = [ \"wap\" ]; }\n);\n",
	    "depends = [ \"wap\" ]; },", "services.[1].depends", "dependency cycle adfs -> wap -> adfs");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"self\"; host = \"h\"; depends = [ \"self\" ]; } );\n",
	    "depends", "services.[0].depends", "dependency cycle self -> self");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = (\n  { name = \"c\"; host = \"h\"; depends = [ \"a\" ]; },\n"
	    "  { name = \"b\"; host = \"h\"; depends = [ \"c\" ]; },\n"
	    "  { name = \"a\"; host = \"h\"; depends = [ \"b\" ]; }\n);\n",
	    "{ name = \"a\"", "services.[2].depends", "dependency cycle a -> b -> c -> a");
}

/* ---- identities and sources ----------------------------------------------- */

static void
test_bad_identity(void **state)
{
	(void)state;
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = (\n  { name = \"a\"; host = \"h\"; },\n  { name = \"b\"; host = \"h\"; refs = (\n"
	    "    { id = \"r\"; type = \"binding\";\n"
	    "      cert = \"sha1:00112233445566778899aabbccddeeff001122\"; } ); }\n);\n",
	    "cert = \"sha1", "services.[1].refs.[0].cert", "sha1: needs 40 hex digits, got 38");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"b\"; host = \"h\"; refs = (\n"
	    "    { id = \"r\"; type = \"connector\"; cert = \"name:<I>CN=CA\"; } ); } );\n",
	    "name:<I>", "services.[0].refs.[0].cert", "<S>");
	expect_error(HEAD "protect = [ \"sha1:zz\" ];\n", "protect", "protect.[0]", "bad identity");
	expect_error(HEAD "protect = [ \"sha512:00\" ];\n", "protect", "protect.[0]", "unknown prefix");
}

static void
test_bad_source(void **state)
{
	(void)state;
	expect_error("rotation = {\n  name = \"x\";\n"
	    "  old = \"sha1:00112233445566778899aabbccddeeff00112233\";\n"
	    "  new = \"b.pem\";\n  key = \"b.key\";\n};\n",
	    "old =", "rotation.old", "is an identity, not a source");
	expect_error("rotation = {\n  name = \"x\";\n  old = \"a.pem\";\n  new = \"b.pem\";\n"
	    "  key = \"pkcs11:token=edge;object=k;type=private?pin-value=1234\";\n};\n",
	    "key =", "rotation.key", "pin-value");
	expect_error("rotation = {\n  name = \"x\";\n  old = \"a.pem\";\n  new = \"https://x/b.pem\";\n"
	    "  key = \"b.key\";\n};\n", "new =", "rotation.new", "unknown source scheme");
	expect_error("rotation = {\n  name = \"x\";\n  old = \"a.pem\";\n  new = \"b.pem\";\n"
	    "  key = \"tls://mail:443\";\n};\n", "key =", "rotation.key", "cannot come from an endpoint");
	expect_error("rotation = {\n  name = \"x\";\n  old = \"a.pem\";\n  new = \"b.pem\";\n"
	    "  key = \"k.pem\";\n  chain = [ \"ca.pem\", \"file:\" ];\n};\n",
	    "chain", "rotation.chain.[1]", "no path after 'file:'");
	expect_error("rotation = {\n  name = \"x\";\n"
	    "  old = \"pkcs11:token=edge;object=old;type=private\";\n  new = \"b.pem\";\n"
	    "  key = \"k.pem\";\n};\n", "old =", "rotation.old", "names a key, not a certificate");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"b\"; host = \"h\"; refs = (\n"
	    "    { id = \"r\"; type = \"binding\"; cert = \"pkcs11:token=edge;bogus=1\"; } ); } );\n",
	    "bogus", "services.[0].refs.[0].cert", "bogus");
}

static void
test_bad_import_to_and_tokens(void **state)
{
	(void)state;
	expect_error("rotation = {\n  name = \"x\";\n  old = \"a.pem\";\n  new = \"b.pem\";\n"
	    "  key = \"k.pem\";\n  import_to = \"pkcs11:token=edge;object=x\";\n};\n",
	    "import_to", "rotation.import_to", "names an object");
	expect_error(HEAD "tokens = ( { uri = \"pkcs11:token=edge\"; pin_source = \"env:PIN\"; } );\n",
	    "tokens", "tokens.[0].pin_source", "must be file:PATH");
	expect_error(HEAD "tokens = ( { module = \"x.so\"; } );\n", "tokens",
	    "tokens.[0].uri", "missing (required)");
}

/* A message about a pin_source or pin-/pass-source must never show its value. */
static void
expect_secret_error(const char *text, const char *marker, const char *setting, const char *gist,
    const char *secret)
{
	struct plan_config *cfg = NULL;
	struct cr_err err;

	expect_error(text, marker, setting, gist);
	cr_err_clear(&err);
	assert_int_equal(plan_config_parse(text, "certrotate.cfg", ".", &cfg, &err), CR_EINPUT);
	if (strstr(err.msg, secret) != NULL)
		fail_msg("message '%s' shows the value '%s'", err.msg, secret);
}

static void
test_pin_sources(void **state)
{
	(void)state;
	/* SPEC 4, 9: file:PATH only; a bare value may be a PIN pasted by mistake */
	expect_secret_error(HEAD "tokens = ( { uri = \"pkcs11:token=edge\";\n  pin_source = \"1234\"; } );\n",
	    "pin_source", "tokens.[0].pin_source", "must be file:PATH, a file holding the PIN", "1234");
	expect_secret_error(HEAD "tokens = ( { uri = \"pkcs11:token=edge\"; pin_source = \"edge.pin\"; } );\n",
	    "tokens", "tokens.[0].pin_source", "the value is not shown", "edge.pin");
	expect_secret_error(HEAD "tokens = ( { uri = \"pkcs11:token=edge\"; pin_source = \"file:\"; } );\n",
	    "tokens", "tokens.[0].pin_source", "must be file:PATH", "file:\"");
	/* the same for a URI's pin-source and a PKCS#12's pass-source, wherever a source goes */
	expect_secret_error("rotation = {\n  name = \"x\";\n  old = \"a.pem\";\n  new = \"b.pem\";\n"
	    "  key = \"pkcs11:token=edge;object=k;type=private?pin-source=987654\";\n};\n",
	    "key =", "rotation.key", "pin-source must be file:PATH", "987654");
	expect_secret_error("rotation = {\n  name = \"x\";\n  old = \"a.pem\";\n"
	    "  new = \"b.p12?pass-source=s3cret\";\n  key = \"k.pem\";\n};\n",
	    "new =", "rotation.new", "pass-source must be file:PATH, a file holding the password", "s3cret");
	expect_secret_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"b\"; host = \"h\"; refs = (\n"
	    "  { id = \"r\"; type = \"binding\"; cert = \"pkcs11:token=edge;object=o?pin-source=%31%32;bogus=1\"; } ); } );\n",
	    "bogus", "services.[0].refs.[0].cert", "pin-source must be file:PATH", "%31%32");
	expect_secret_error(HEAD "tokens = ( { uri = \"pkcs11:token=edge?pin-source=4321\"; } );\n",
	    "tokens", "tokens.[0].uri", "pin-source must be file:PATH", "4321");
	expect_secret_error("rotation = {\n  name = \"x\";\n  old = \"a.pem\";\n  new = \"b.pem\";\n"
	    "  key = \"k.pem\";\n  import_to = \"pkcs11:token=edge?pin-source=4321\";\n};\n",
	    "import_to", "rotation.import_to", "pin-source must be file:PATH", "4321");
	/* file:PATH is fine, in both places */
	plan_config_free(parse_ok(HEAD "tokens = ( { uri = \"pkcs11:token=edge?pin-source=file:e.pin\";\n"
	    "  pin_source = \"file:/etc/edge.pin\"; } );\n"));
}

static void
test_duplicate_tokens(void **state)
{
	static const char ok[] = HEAD "tokens = (\n"
	    "  { uri = \"pkcs11:token=edge\"; },\n"
	    "  { uri = \"pkcs11:token=edge;serial=0001\"; },\n"	/* more specific: another entry */
	    "  { uri = \"pkcs11:token=core\"; }\n);\n";

	(void)state;
	plan_config_free(parse_ok(ok));
	expect_error(HEAD "tokens = (\n  { uri = \"pkcs11:token=edge\"; module = \"a.so\"; },\n"
	    "  { uri = \"pkcs11:token=core\"; },\n"
	    "  { module = \"b.so\";\n    uri = \"pkcs11:token=edge\"; }\n);\n",
	    "uri = \"pkcs11:token=edge\"; }", "tokens.[2].uri",
	    "duplicate token 'pkcs11:token=edge' (first at line 8, tokens.[0])");
	/* the same token however written */
	expect_error(HEAD "tokens = (\n  { uri = \"pkcs11:serial=0001;token=edge\"; },\n"
	    "  { uri = \"pkcs11:token=%65dge;serial=0001\"; }\n);\n",
	    "%65dge", "tokens.[1].uri", "duplicate token");
}

static void
test_duplicate_depends(void **state)
{
	(void)state;
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = (\n  { name = \"adfs\"; host = \"h\"; },\n  { name = \"sql\"; host = \"h\"; },\n"
	    "  { name = \"wap\"; host = \"h\"; depends = [ \"adfs\", \"sql\",\n    \"adfs\" ]; }\n);\n",
	    "\"adfs\" ]", "services.[2].depends.[2]", "duplicate service 'adfs' (already depends.[0])");
}

static void
test_duplicate_protect(void **state)
{
	struct plan_config *cfg;

	(void)state;
	cfg = parse_ok(HEAD "protect = [\n"
	    "  \"sha1:00112233445566778899AABBCCDDEEFF00112233\",\n"
	    "  \"name:<I>CN=CA<S>CN=default\",\n"
	    "  \"file:default.pem\",\n"
	    "  \"sha1:00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 00 11 22 33\",\n"
	    "  \"name:<I>cn=ca<S>cn=DEFAULT\",\n"
	    "  \"file:default.pem\",\n"
	    "  \"sha256:00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF\",\n"
	    "  \"name:<I>CN=CA<S>CN=other\"\n];\n");
	/* a warning each (a duplicate protects nothing more), not an error */
	assert_int_equal(cfg->nprotect, 8);
	assert_int_equal(cfg->nwarnings, 3);
	assert_string_equal(cfg->warnings[0].msg, "certrotate.cfg:11: protect.[3]: names the same "
	    "certificate as protect.[0] (line 8): listed twice - was another certificate meant?");
	assert_non_null(strstr(cfg->warnings[1].msg, "protect.[4]: names the same certificate as protect.[1]"));
	assert_non_null(strstr(cfg->warnings[2].msg, "protect.[5]: names the same certificate as protect.[2]"));
	plan_config_free(cfg);
}

/* ---- hooks and placeholders ---------------------------------------------------- */

static void
test_unknown_placeholder(void **state)
{
	(void)state;
	expect_error(HEAD "hosts = ( { name = \"h\";\n"
	    "  run_import = [ \"ssh\", \"{hots}\", \"import\" ]; } );\n",
	    "run_import", "hosts.[0].run_import.[1]", "unknown placeholder '{hots}'");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\";\n"
	    "  run_restart = [ \"ssh\", \"{host}\", \"restart\", \"{ref}\" ]; } );\n",
	    "run_restart", "services.[0].run_restart.[3]",
	    "placeholder '{ref}' is not available in a restart hook");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; refs = (\n"
	    "  { id = \"r\"; type = \"binding\"; cert = \"a.pem\";\n"
	    "    undo = [ \"x\", \"{old.thumbprint}\" ]; } ); } );\n",
	    "undo", "services.[0].refs.[0].undo.[1]", "unknown placeholder '{old.thumbprint}'");
	/* "an import hook"; what each hook has available */
	expect_error(HEAD "hosts = ( { name = \"h\";\n"
	    "  run_import = [ \"ssh\", \"{host}\", \"import\", \"{service}\" ]; } );\n",
	    "run_import", "hosts.[0].run_import.[3]", "placeholder '{service}' is not available in an "
	    "import hook (available: {new.*}, {old.*}, {host})");
	expect_error(HEAD "hosts = ( { name = \"h\";\n"
	    "  undo_import = [ \"{hots}\" ]; } );\n",
	    "undo_import", "hosts.[0].undo_import.[0]", "unknown placeholder '{hots}' (known in an "
	    "import hook: {new.*}, {old.*}, {host};");
	expect_error(HEAD "hosts = ( { name = \"h\";\n"
	    "  run_grant = [ \"{ref}\" ]; } );\n",
	    "run_grant", "hosts.[0].run_grant.[0]", "not available in a grant hook (available: "
	    "{new.*}, {old.*}, {host}, {account})");
	expect_error("rotation = {\n  name = \"x\";\n  old = \"a.pem\";\n  new = \"b.pem\";\n"
	    "  key = \"k.pem\";\n  run_retire = [ \"rm\", \"{service}\" ];\n};\n",
	    "run_retire", "rotation.run_retire.[1]", "not available in a retire hook (available: "
	    "{new.*}, {old.*}, {host})");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\";\n"
	    "  run_restart = [ \"{endpoint}\" ]; } );\n",
	    "run_restart", "services.[0].run_restart.[0]", "not available in a restart hook "
	    "(available: {new.*}, {old.*}, {host}, {service}, {account})");
	expect_error(HEAD "hosts = ( { name = \"h\"; run_grant = [ \"x\", \"--sha={new.sha1\" ]; } );\n",
	    "run_grant", "hosts.[0].run_grant.[1]", "unterminated placeholder");
	expect_error(HEAD "hosts = ( { name = \"h\"; run_grant = [ ]; } );\n",
	    "run_grant", "hosts.[0].run_grant", "empty list");
	expect_error("rotation = {\n  name = \"x\";\n  old = \"a.pem\";\n  new = \"b.pem\";\n"
	    "  key = \"k.pem\";\n  retire = \"keep\";\n  run_retire = [ \"rm\", \"{old.pem}\" ];\n};\n",
	    "run_retire", "rotation.run_retire", "retire = \"keep\"");
}

/* ---- values -------------------------------------------------------------------- */

static void
test_bad_duration(void **state)
{
	(void)state;
	expect_error("rotation = {\n  name = \"x\";\n  old = \"a.pem\";\n  new = \"b.pem\";\n"
	    "  key = \"k.pem\";\n  min_remaining = \"30x\";\n};\n",
	    "min_remaining", "rotation.min_remaining", "bad duration '30x'");
	expect_error("rotation = {\n  name = \"x\";\n  old = \"a.pem\";\n  new = \"b.pem\";\n"
	    "  key = \"k.pem\";\n  min_remaining = \"d\";\n};\n",
	    "min_remaining", "rotation.min_remaining", "bad duration 'd'");
}

static void
test_bad_accepts(void **state)
{
	(void)state;
	expect_error(HEAD "hosts = ( { name = \"h\"; accepts = {\n"
	    "  key = [ \"rsa:1024-4096\",\n  \"dsa:1024\" ]; }; } );\n",
	    "\"dsa", "hosts.[0].accepts.key.[1]", "bad key specification 'dsa:1024'");
	expect_error(HEAD "hosts = ( { name = \"h\"; accepts = {\n"
	    "  signature = [ \"sha999WithRSAEncryption\" ]; }; } );\n",
	    "sha999", "hosts.[0].accepts.signature.[0]", "unknown signature algorithm");
	expect_error(HEAD "hosts = ( { name = \"h\"; accepts = {\n"
	    "  signature = [ \"sha256\" ]; }; } );\n",
	    "\"sha256\"", "hosts.[0].accepts.signature.[0]", "is not a signature algorithm");
	expect_error(HEAD "hosts = ( { name = \"h\"; accepts = { keys = [ \"rsa\" ]; }; } );\n",
	    "keys", "hosts.[0].accepts.keys", "did you mean 'key'?");
	expect_error(HEAD "hosts = ( { name = \"h\"; accepts = { signature = []; }; } );\n",
	    "signature", "hosts.[0].accepts.signature", "empty list");
	/* an OID must be one of a signature algorithm OpenSSL knows, as OpenSSL writes it */
	expect_error(HEAD "hosts = ( { name = \"h\"; accepts = {\n  signature = [ \"1.2.3\" ]; }; } );\n",
	    "1.2.3", "hosts.[0].accepts.signature.[0]", "'1.2.3' is not the OID of a signature algorithm");
	expect_error(HEAD "hosts = ( { name = \"h\"; accepts = {\n  signature = [ \"2.5.4.3\" ]; }; } );\n",
	    "2.5.4.3", "hosts.[0].accepts.signature.[0]", "is not the OID of a signature algorithm");
	expect_error(HEAD "hosts = ( { name = \"h\"; accepts = {\n  signature = [ \"commonName\" ]; }; } );\n",
	    "commonName", "hosts.[0].accepts.signature.[0]", "is not a signature algorithm");
	expect_error(HEAD "hosts = ( { name = \"h\"; accepts = {\n"
	    "  signature = [ \"1.2.840.113549.1.1.011\" ]; }; } );\n",
	    "011", "hosts.[0].accepts.signature.[0]", "write the OID as 1.2.840.113549.1.1.11");
	/* short and long names in any case, OIDs; SHA-3 ECDSA that OpenSSL 3.0 names but does not pair */
	plan_config_free(parse_ok(HEAD "hosts = ( { name = \"h\"; accepts = { signature = [\n"
	    "  \"RSA-SHA256\", \"sha256WITHrsaencryption\", \"1.2.840.113549.1.1.11\", \"ED25519\",\n"
	    "  \"1.3.101.112\", \"rsassaPss\", \"ecdsa-with-SHA384\", \"ecdsa_with_SHA3-256\",\n"
	    "  \"2.16.840.1.101.3.4.3.10\", \"dsa_with_SHA256\" ]; }; } );\n"));
	/* the names Windows shows (the certificate dialog, certutil) */
	plan_config_free(parse_ok(HEAD "hosts = ( { name = \"h\"; accepts = { signature = [\n"
	    "  \"sha1RSA\", \"SHA256RSA\", \"sha256ECDSA\" ]; }; } );\n"));
}

static void
test_bad_values(void **state)
{
	(void)state;
	expect_error("rotation = {\n  name = \"x\";\n  old = \"a.pem\";\n  new = \"b.pem\";\n"
	    "  key = \"k.pem\";\n  retire = \"shred\";\n};\n",
	    "retire", "rotation.retire", "expected archive, delete or keep");
	expect_error("rotation = {\n  name = \"mail 2026\";\n  old = \"a.pem\";\n  new = \"b.pem\";\n"
	    "  key = \"k.pem\";\n};\n", "name", "rotation.name", "only letters, digits");
	expect_error(HEAD "hosts = ( { name = \"token:edge\"; } );\n", "token:edge",
	    "hosts.[0].name", "only letters, digits");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; refs = (\n"
	    "  { id = \"r\"; type = \"socket\"; cert = \"a.pem\"; } ); } );\n",
	    "socket", "services.[0].refs.[0].type", "expected binding, connector or file");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; refs = (\n"
	    "  { id = \"r\"; type = \"binding\"; cert = \"a.pem\"; endpoint = \"10.0.0.5\"; } ); } );\n",
	    "endpoint", "services.[0].refs.[0].endpoint", "expected HOST:PORT");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; refs = (\n"
	    "  { id = \"r\"; type = \"binding\"; cert = \"a.pem\"; endpoint = \"10.0.0.5:70000\"; } ); } );\n",
	    "endpoint", "services.[0].refs.[0].endpoint", "port must be a number from 1 to 65535");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; refs = (\n"
	    "  { id = \"r\"; type = \"binding\"; cert = \"a.pem\"; endpoint = \"a:25\"; starttls = \"imap\"; } ); } );\n",
	    "starttls", "services.[0].refs.[0].starttls", "only \"smtp\"");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; refs = (\n"
	    "  { id = \"r\"; type = \"binding\"; cert = \"a.pem\"; path = \"x.pem\"; } ); } );\n",
	    "path", "services.[0].refs.[0].path", "only a file ref has a path");
	/* rotation.key is on a token in HEAD: a token key is never copied to a file */
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; refs = (\n"
	    "  { id = \"r\"; type = \"file\"; path = \"x.pem\"; key_path = \"x.key\"; } ); } );\n",
	    "key_path", "services.[0].refs.[0].key_path", "never copied to a file");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; refs = (\n"
	    "  { id = \"r\"; type = \"binding\"; cert = \"a.pem\"; sni = \"mail\"; } ); } );\n",
	    "sni", "services.[0].refs.[0].sni", "sni without an endpoint");
	/* names: an IPv6 address is an iPAddress name (cert/names.h), with or without
	   brackets; a U-label could never be in a SAN: its A-label is asked for */
	plan_config_free(parse_ok(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\";\n"
	    "  names = [ \"2001:db8::5\", \"[2001:db8::6]\", \"10.0.0.5\", \"a.com\" ]; } );\n"));
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\";\n"
	    "  names = [ \"b\xc3\xbc" "cher.contoso.com\" ]; } );\n",
	    "names", "services.[0].names.[0]", "is not ASCII: write an internationalised name as "
	    "its A-label (xn--...)");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\";\n"
	    "  names = [ \"2001:db8::zz\" ]; } );\n",
	    "names", "services.[0].names.[0]", "is not a DNS name");
	expect_error(HEAD "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; refs = (\n"
	    "  { id = \"r\"; type = \"binding\"; cert = \"a.pem\"; endpoint = \"[::1]:443\";\n"
	    "    sni = \"2001:db8::5\"; } ); } );\n",
	    "sni", "services.[0].refs.[0].sni", "is not a DNS name");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_full),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_unknown_setting_typo),
		cmocka_unit_test(test_unknown_setting_top),
		cmocka_unit_test(test_unknown_setting_hook_level),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_duplicate_host),
		cmocka_unit_test(test_duplicate_service),
		cmocka_unit_test(test_duplicate_ref),
		cmocka_unit_test(test_dangling_host),
		cmocka_unit_test(test_dangling_depends),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_bad_identity),
		cmocka_unit_test(test_bad_source),
		cmocka_unit_test(test_bad_import_to_and_tokens),
		cmocka_unit_test(test_pin_sources),
		cmocka_unit_test(test_duplicate_tokens),
		cmocka_unit_test(test_duplicate_depends),
		cmocka_unit_test(test_duplicate_protect),
		cmocka_unit_test(test_unknown_placeholder),
		cmocka_unit_test(test_bad_duration),
		cmocka_unit_test(test_bad_accepts),
		cmocka_unit_test(test_bad_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
