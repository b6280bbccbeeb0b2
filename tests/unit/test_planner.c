/*
 * Unit tests: the planner (plan/planner.c) and its rendering.
 *
 * Table-driven: an inventory (configuration text with @OLD1@-style
 * placeholders for the thumbprints of certificates built here) goes in, the
 * expected plan comes out as one line per step: "id action [done]".  Then
 * targeted tests: how every identity kind resolves, the check ids of each
 * kind of step, notes, and determinism (the same inventory in another order
 * gives the same JSON, byte for byte).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "testcert.h"
#include "../../plan/plan.h"
#include "../../plan/internal.h"
#include "../../cert/ident.h"
#include "../../common/util.h"

#define DAY 86400L

/* Certificates of the tests: the fixture PKI's shape, built in memory. */
struct pki {
	EVP_PKEY *root_key, *ca_key, *leaf_key;
	X509 *root, *ca_a, *ca_a2;
	X509 *old, *new, *new_same, *other, *old_twin, *def;
};
static struct pki P;

static int
setup(void **state)
{
	struct tc_spec root = { "/C=US/O=Contoso/CN=Contoso Root CA", NULL, NULL, -DAY, 3650 * DAY, NULL, 0, 1 };
	struct tc_spec a = { "/C=US/O=Contoso/CN=Contoso Issuing CA 1", NULL, NULL, -DAY, 1000 * DAY, NULL, 0, 1 };
	struct tc_spec a2 = { "/C=US/O=Contoso Ltd/CN=Contoso Issuing CA 1", NULL, NULL, -DAY, 1000 * DAY, NULL, 0, 1 };
	struct tc_spec leaf = { "/C=US/O=Contoso/CN=mail.contoso.com",
	    "DNS:mail.contoso.com,DNS:autodiscover.contoso.com", "serverAuth", -300 * DAY, 20 * DAY,
	    NULL, 0, 0 };
	struct tc_spec other = { "/C=US/O=Contoso/CN=other.contoso.com", "DNS:other.contoso.com",
	    "serverAuth", -DAY, 365 * DAY, NULL, 0, 0 };
	struct tc_spec def = { "/CN=cas01", "DNS:cas01,DNS:cas01.contoso.local", "serverAuth",
	    -DAY, 1825 * DAY, NULL, 0, 0 };

	(void)state;
	P.root_key = tc_key(0);
	P.ca_key = tc_key(0);
	P.leaf_key = tc_key(0);
	P.root = tc_cert(&root, P.root_key, NULL, NULL);
	P.ca_a = tc_cert(&a, P.ca_key, P.root, P.root_key);
	P.ca_a2 = tc_cert(&a2, P.ca_key, P.root, P.root_key);
	leaf.md = EVP_sha1();
	P.old = tc_cert(&leaf, P.leaf_key, P.ca_a, P.ca_key);
	P.old_twin = tc_cert(&leaf, P.leaf_key, P.ca_a, P.ca_key);	/* same names, other serial */
	leaf.md = NULL;
	leaf.from = -DAY;
	leaf.to = 365 * DAY;
	P.new = tc_cert(&leaf, P.leaf_key, P.ca_a2, P.ca_key);
	P.new_same = tc_cert(&leaf, P.leaf_key, P.ca_a, P.ca_key);	/* issuer as old's */
	P.other = tc_cert(&other, P.leaf_key, P.ca_a2, P.ca_key);
	P.def = tc_cert(&def, P.leaf_key, NULL, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(P.root);
	X509_free(P.ca_a);
	X509_free(P.ca_a2);
	X509_free(P.old);
	X509_free(P.old_twin);
	X509_free(P.new);
	X509_free(P.new_same);
	X509_free(P.other);
	X509_free(P.def);
	EVP_PKEY_free(P.root_key);
	EVP_PKEY_free(P.ca_key);
	EVP_PKEY_free(P.leaf_key);
	return 0;
}

static struct crt_cert *
cert(X509 *x, const char *source)
{
	X509_up_ref(x);
	return crt_cert_new(x, NULL, source);
}

static char *
hex1(X509 *x)
{
	struct crt_cert *c = cert(x, NULL);
	char *h = cr_hex_upper(c->sha1, 20);

	crt_cert_free(c);
	return h;
}

static char *
hex256(X509 *x)
{
	struct crt_cert *c = cert(x, NULL);
	char *h = cr_hex_upper(c->sha256, 32);

	crt_cert_free(c);
	return h;
}

/* Replaces @OLD1@ @NEW1@ @OLD256@ @NEW256@ @OTHER1@ @DEF1@ @TWIN1@ in text. */
static char *
expand(const char *text)
{
	static const char *const keys[] = { "@OLD1@", "@NEW1@", "@OLD256@", "@NEW256@", "@OTHER1@",
		"@DEF1@", "@TWIN1@" };
	char *vals[7];
	struct cr_buf b = CR_BUF_INIT;
	const char *p = text;
	size_t i;

	vals[0] = hex1(P.old);
	vals[1] = hex1(P.new);
	vals[2] = hex256(P.old);
	vals[3] = hex256(P.new);
	vals[4] = hex1(P.other);
	vals[5] = hex1(P.def);
	vals[6] = hex1(P.old_twin);
	while (*p) {
		for (i = 0; i < 7; i++)
			if (strncmp(p, keys[i], strlen(keys[i])) == 0)
				break;
		if (i < 7) {
			cr_buf_adds(&b, vals[i]);
			p += strlen(keys[i]);
		} else {
			cr_buf_addc(&b, *p++);
		}
	}
	for (i = 0; i < 7; i++)
		free(vals[i]);
	return cr_buf_detach(&b);
}

/* Inputs of a case: which certificates are old, new, known, and the sources. */
enum { K_NONE = 0, K_OTHER = 1, K_DEF = 2, K_TWIN = 4 };

struct fixture {
	struct plan_config *cfg;
	struct plan_inputs *in;
	struct plan *plan;
};

static void
add_source(struct plan_inputs *in, const char *text, X509 *x)
{
	in->sources = cr_xrealloc(in->sources, (in->nsources + 1) * sizeof(*in->sources));
	in->sources[in->nsources].text = cr_xstrdup(text);
	in->sources[in->nsources].cert = x ? cert(x, text) : NULL;
	in->sources[in->nsources].error = x ? NULL :
	    cr_xasprintf("cannot read '%s': No such file or directory", text + 5);
	in->nsources++;
}

/* build() with the certificates extra[0..nextra) also known (token neighbours). */
static void
build_ex(struct fixture *f, const char *text, X509 *old, const char *old_source, X509 *new,
    unsigned known, int new_on_import_to, X509 *const *extra, size_t nextra)
{
	struct cr_err err;
	char *t = expand(text);
	size_t i;
	int r;

	memset(f, 0, sizeof(*f));
	cr_err_clear(&err);
	r = plan_config_parse(t, "certrotate.cfg", ".", &f->cfg, &err);
	free(t);
	if (r != CR_OK)
		fail_msg("config: %s", err.msg);
	f->in = cr_xcalloc(1, sizeof(*f->in));
	f->in->old = cert(old, old_source);
	f->in->new = cert(new, "pkcs11:token=edge;object=mail-2026;type=cert");
	f->in->new_on_import_to = new_on_import_to;
	if (known & K_OTHER)
		crt_list_push(&f->in->known, cert(P.other, "pkcs11:token=edge;object=other"));
	if (known & K_DEF)
		crt_list_push(&f->in->known, cert(P.def, "pkcs11:token=edge;object=default"));
	if (known & K_TWIN)
		crt_list_push(&f->in->known, cert(P.old_twin, "pkcs11:token=edge;object=twin"));
	add_source(f->in, "file:old.pem", P.old);
	add_source(f->in, "file:new.pem", P.new);
	add_source(f->in, "file:other.pem", P.other);
	add_source(f->in, "file:default.pem", P.def);
	add_source(f->in, "file:missing.pem", NULL);
	for (i = 0; i < nextra; i++)
		crt_list_push(&f->in->known, cert(extra[i], "pkcs11:token=edge;object=extra"));
	r = plan_build(f->cfg, f->in, &f->plan, &err);
	if (r != CR_OK)
		fail_msg("plan: %s", err.msg);
}

static void
build(struct fixture *f, const char *text, X509 *old, const char *old_source, X509 *new,
    unsigned known, int new_on_import_to)
{
	build_ex(f, text, old, old_source, new, known, new_on_import_to, NULL, 0);
}

static void
release(struct fixture *f)
{
	plan_free(f->plan);
	plan_inputs_free(f->in);
	plan_config_free(f->cfg);
}

/* "id action[ done]" per step, newline-separated. */
static char *
listing(const struct plan *p)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i;

	for (i = 0; i < p->nsteps; i++)
		cr_buf_addf(&b, "%s %s%s\n", p->steps[i].id, plan_action_name(p->steps[i].action),
		    p->steps[i].done ? " done" : "");
	return cr_buf_detach(&b);
}

static const struct plan_step *
step(const struct plan *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->nsteps; i++)
		if (strcmp(p->steps[i].id, id) == 0)
			return &p->steps[i];
	fail_msg("no step '%s'", id);
	return NULL;
}

static const struct plan_refres *
ref(const struct plan *p, const char *svc, const char *id)
{
	size_t i;

	for (i = 0; i < p->nrefs; i++)
		if (strcmp(p->refs[i].service->name, svc) == 0 && strcmp(p->refs[i].ref->id, id) == 0)
			return &p->refs[i];
	fail_msg("no ref '%s/%s'", svc, id);
	return NULL;
}

/* "a b c" == the step's list */
static void
assert_ids(const enum plan_check *v, size_t n, const char *want)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		cr_buf_addf(&b, "%s%s", i ? " " : "", plan_check_name(v[i]));
	assert_string_equal(cr_buf_str(&b), want);
	cr_buf_release(&b);
}

static int
has_note(const struct plan *p, const char *needle)
{
	size_t i;

	for (i = 0; i < p->nnotes; i++)
		if (strstr(p->notes[i], needle) != NULL)
			return 1;
	return 0;
}

/* ---- inventories --------------------------------------------------------- */

#define ROT(extra) \
	"rotation = { name = \"mail-2026\";\n" \
	"  old = \"pkcs11:token=edge;object=mail-2025;type=cert\";\n" \
	"  new = \"pkcs11:token=edge;object=mail-2026;type=cert\";\n" \
	"  key = \"pkcs11:token=edge;object=mail-2026;type=private\";\n" extra "};\n"

#define NAME_A "name:<I>CN=Contoso Issuing CA 1, O=Contoso, C=US<S>CN=mail.contoso.com, O=Contoso, C=US"

/* The mail story: two bindings on 443 (one already moved), a connector, a file. */
static const char mail[] = ROT("  import_to = \"pkcs11:token=edge\";\n")
	"hosts = ( { name = \"mx1\"; }, { name = \"cas2\"; } );\n"
	"services = (\n"
	" { name = \"owa\"; host = \"cas2\"; account = \"IIS_IUSRS\"; names = [ \"mail.contoso.com\" ];\n"
	"   refs = ( { id = \"https-ip\"; type = \"binding\"; cert = \"sha1:@NEW1@\"; endpoint = \"10.0.0.5:443\"; },\n"
	"            { id = \"https-all\"; type = \"binding\"; cert = \"sha1:@OLD1@\"; endpoint = \"10.0.0.5:443\";\n"
	"              sni = \"mail.contoso.com\"; } ); },\n"
	" { name = \"exchange\"; host = \"mx1\";\n"
	"   refs = ( { id = \"frontend\"; type = \"connector\"; cert = \"" NAME_A "\";\n"
	"              endpoint = \"10.0.0.6:25\"; starttls = \"smtp\"; } ); },\n"
	" { name = \"nginx\"; host = \"mx1\"; depends = [ \"exchange\" ];\n"
	"   refs = ( { id = \"tls\"; type = \"file\"; path = \"old.pem\"; } ); }\n"
	");\n";

/* The same inventory with every list in another order. */
static const char mail_shuffled[] = ROT("  import_to = \"pkcs11:token=edge\";\n")
	"services = (\n"
	" { name = \"nginx\"; depends = [ \"exchange\" ]; host = \"mx1\";\n"
	"   refs = ( { type = \"file\"; id = \"tls\"; path = \"old.pem\"; } ); },\n"
	" { name = \"exchange\"; host = \"mx1\";\n"
	"   refs = ( { id = \"frontend\"; type = \"connector\"; cert = \"" NAME_A "\";\n"
	"              starttls = \"smtp\"; endpoint = \"10.0.0.6:25\"; } ); },\n"
	" { names = [ \"mail.contoso.com\" ]; name = \"owa\"; account = \"IIS_IUSRS\"; host = \"cas2\";\n"
	"   refs = ( { id = \"https-all\"; type = \"binding\"; cert = \"sha1:@OLD1@\"; endpoint = \"10.0.0.5:443\";\n"
	"              sni = \"mail.contoso.com\"; },\n"
	"            { id = \"https-ip\"; type = \"binding\"; cert = \"sha1:@NEW1@\"; endpoint = \"10.0.0.5:443\"; } ); }\n"
	");\n"
	"hosts = ( { name = \"cas2\"; }, { name = \"mx1\"; } );\n";

static const char mail_expected[] =
	"01-import-token:edge native\n"
	"02-import-cas2 manual\n"
	"03-import-mx1 manual\n"
	"04-grant-cas2-owa manual\n"
	"05-rebind-cas2-owa-https-all manual\n"
	"06-rebind-cas2-owa-https-ip manual done\n"
	"07-rebind-mx1-nginx-tls native\n"
	"08-rename-mx1-exchange-frontend manual\n"
	"09-restart-cas2-owa manual\n"
	"10-restart-mx1-exchange manual\n"
	"11-restart-mx1-nginx manual\n"
	"12-retire-cas2 manual\n"
	"13-retire-mx1 manual\n"
	"14-retire-token:edge native\n";

/*
 * Federation: the proxy (on a host that sorts first) depends on adfs; its
 * publishing rules each hold the thumbprint; one rule is on another cert.
 */
static const char federation[] =
	"rotation = { name = \"fs-2026\"; old = \"file:old.pem\"; new = \"file:new.pem\";\n"
	"  key = \"file:new.key\"; };\n"
	"hosts = ( { name = \"zz-adfs\"; }, { name = \"aa-wap\"; } );\n"
	"services = (\n"
	" { name = \"wap\"; host = \"aa-wap\"; depends = [ \"adfs\" ]; account = \"NETWORK SERVICE\";\n"
	"   refs = ( { id = \"rule-b\"; type = \"binding\"; cert = \"sha1:@OLD1@\"; },\n"
	"            { id = \"rule-c\"; type = \"binding\"; cert = \"sha1:@OTHER1@\"; },\n"
	"            { id = \"rule-a\"; type = \"binding\"; cert = \"sha256:@OLD256@\"; } ); },\n"
	" { name = \"adfs\"; host = \"zz-adfs\"; account = \"CONTOSO\\\\svc-adfs\";\n"
	"   refs = ( { id = \"ssl\"; type = \"binding\"; cert = \"sha1:@OLD1@\"; endpoint = \"10.0.1.5:443\"; },\n"
	"            { id = \"service\"; type = \"binding\"; cert = \"file:old.pem\"; } ); }\n"
	");\n";

static const char federation_expected[] =
	"01-import-aa-wap manual\n"
	"02-import-zz-adfs manual\n"
	"03-grant-aa-wap-wap manual\n"
	"04-grant-zz-adfs-adfs manual\n"
	"05-rebind-aa-wap-wap-rule-a manual\n"
	"06-rebind-aa-wap-wap-rule-b manual\n"
	"07-rebind-zz-adfs-adfs-service manual\n"
	"08-rebind-zz-adfs-adfs-ssl manual\n"
	"09-restart-zz-adfs-adfs manual\n"
	"10-restart-aa-wap-wap manual\n"
	"11-retire-aa-wap manual\n"
	"12-retire-zz-adfs manual\n";

/*
 * A server whose self-signed default certificate is protected, and is the
 * old one: the retire steps stay (retire.protected blocks them).
 */
static const char protected_old[] = ROT("")
	"hosts = ( { name = \"cas01\"; } );\n"
	"services = ( { name = \"exchange\"; host = \"cas01\";\n"
	"  refs = ( { id = \"smtp\"; type = \"binding\"; cert = \"sha1:@DEF1@\"; },\n"
	"           { id = \"unknown\"; type = \"binding\"; cert = \"sha1:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\"; } ); } );\n"
	"protect = [ \"sha1:@DEF1@\", \"sha1:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\" ];\n";

static const char protected_old_expected[] =
	"01-import-cas01 manual\n"
	"02-rebind-cas01-exchange-smtp manual\n"
	"03-restart-cas01-exchange manual\n"
	"04-retire-cas01 manual\n"
	"05-retire-token:edge native\n";

/* A protected neighbour: refs on it are left alone, the old cert is retired. */
static const char protected_other[] = ROT("")
	"hosts = ( { name = \"cas01\"; } );\n"
	"services = ( { name = \"exchange\"; host = \"cas01\";\n"
	"  refs = ( { id = \"auth\"; type = \"binding\"; cert = \"name:<I>CN=cas01<S>CN=cas01\"; },\n"
	"           { id = \"smtp\"; type = \"binding\"; cert = \"sha1:@OLD1@\"; } ); } );\n"
	"protect = [ \"file:default.pem\" ];\n";

static const char protected_other_expected[] =
	"01-import-cas01 manual\n"
	"02-rebind-cas01-exchange-smtp manual\n"
	"03-restart-cas01-exchange manual\n"
	"04-retire-cas01 manual\n"
	"05-retire-token:edge native\n";

/* Hooks: where they apply and where native wins. */
static const char hooks[] = ROT("  retire = \"keep\";\n"
	"  run_rebind = [ \"rebind\", \"{host}\", \"{ref}\", \"{new.sha1}\" ];\n"
	"  run_restart = [ \"restart\", \"{service}\" ];\n")
	"hosts = ( { name = \"h1\"; run_import = [ \"import\", \"{host}\", \"{new.pem}\" ];\n"
	"            run_restart = [ \"systemctl\", \"reload\", \"{service}\" ];\n"
	"            run_grant = [ \"grant\", \"{account}\" ]; },\n"
	"          { name = \"h2\"; } );\n"
	"services = (\n"
	" { name = \"web\"; host = \"h1\"; account = \"www-data\";\n"
	"   refs = ( { id = \"file-native\"; type = \"file\"; path = \"old.pem\"; },\n"
	"            { id = \"file-hook\"; type = \"file\"; path = \"old.pem\"; run = [ \"install\", \"{path}\" ]; },\n"
	"            { id = \"bind\"; type = \"binding\"; cert = \"sha1:@OLD1@\"; } ); },\n"
	" { name = \"mta\"; host = \"h2\"; run_restart = [ \"postfix\", \"reload\" ];\n"
	"   refs = ( { id = \"conn\"; type = \"connector\"; cert = \"" NAME_A "\"; } ); },\n"
	" { name = \"proxy\"; host = \"h2\";\n"
	"   refs = ( { id = \"bind\"; type = \"binding\"; cert = \"sha1:@OLD1@\"; } ); }\n"
	");\n";

static const char hooks_expected[] =
	"01-import-h1 command\n"
	"02-import-h2 manual\n"
	"03-grant-h1-web command\n"
	"04-rebind-h1-web-bind command\n"
	"05-rebind-h1-web-file-hook command\n"
	"06-rebind-h1-web-file-native native\n"
	"07-rebind-h2-proxy-bind command\n"
	"08-rename-h2-mta-conn manual\n"
	"09-restart-h1-web command\n"
	"10-restart-h2-mta command\n"
	"11-restart-h2-proxy command\n";

/* A finished rotation: every ref on the new certificate. */
static const char all_done[] = ROT("  import_to = \"pkcs11:token=edge\";\n")
	"hosts = ( { name = \"cas2\"; } );\n"
	"services = ( { name = \"owa\"; host = \"cas2\"; account = \"IIS_IUSRS\";\n"
	"  refs = ( { id = \"a\"; type = \"binding\"; cert = \"sha1:@NEW1@\"; },\n"
	"           { id = \"b\"; type = \"binding\"; cert = \"sha256:@NEW256@\"; },\n"
	"           { id = \"c\"; type = \"file\"; path = \"new.pem\"; } ); } );\n";

static const char all_done_expected[] =
	"01-import-token:edge native done\n"
	"02-import-cas2 manual done\n"
	"03-grant-cas2-owa manual done\n"
	"04-rebind-cas2-owa-a manual done\n"
	"05-rebind-cas2-owa-b manual done\n"
	"06-rebind-cas2-owa-c native done\n"
	"07-restart-cas2-owa manual done\n"
	"08-retire-cas2 manual\n"
	"09-retire-token:edge native\n";

/* A token labelled with blanks and capitals: its step ids hold the label slugged. */
static const char token_label[] = ROT("  import_to = \"pkcs11:token=Edge%20HSM%201\";\n")
	"hosts = ( { name = \"cas01\"; } );\n"
	"services = ( { name = \"exchange\"; host = \"cas01\";\n"
	"  refs = ( { id = \"smtp\"; type = \"binding\"; cert = \"sha1:@OLD1@\"; } ); } );\n";

static const char token_label_expected[] =
	"01-import-token:edge-hsm-1 native\n"
	"02-import-cas01 manual\n"
	"03-rebind-cas01-exchange-smtp manual\n"
	"04-restart-cas01-exchange manual\n"
	"05-retire-cas01 manual\n"
	"06-retire-token:edge native\n";

struct plan_case {
	const char *name;
	const char *config;
	X509 **old;
	const char *old_source;
	unsigned known;
	int new_on_import_to;
	const char *expected;
};

static const struct plan_case cases[] = {
	{ "mail", mail, &P.old, "pkcs11:token=edge;object=mail-2025;type=cert", K_OTHER, 0, mail_expected },
	{ "mail shuffled", mail_shuffled, &P.old, "pkcs11:token=edge;object=mail-2025;type=cert", K_OTHER, 0,
	  mail_expected },
	{ "federation", federation, &P.old, "file:old.pem", K_OTHER, -1, federation_expected },
	{ "protected old", protected_old, &P.def, "pkcs11:token=edge;object=default;type=cert", 0, -1,
	  protected_old_expected },
	{ "protected other", protected_other, &P.old, "pkcs11:token=edge;object=mail-2025;type=cert",
	  K_DEF, -1, protected_other_expected },
	{ "hooks", hooks, &P.old, "pkcs11:token=edge;object=mail-2025;type=cert", 0, -1, hooks_expected },
	{ "token label", token_label, &P.old, "pkcs11:token=edge;object=mail-2025;type=cert", 0, 0,
	  token_label_expected },
	{ "all done", all_done, &P.old, "pkcs11:token=edge;object=mail-2025;type=cert", 0, 1,
	  all_done_expected },
};

static void
test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture f;
		char *got;

		build(&f, cases[i].config, *cases[i].old, cases[i].old_source, P.new, cases[i].known,
		    cases[i].new_on_import_to);
		got = listing(f.plan);
		if (strcmp(got, cases[i].expected) != 0)
			fail_msg("case '%s':\n--- got\n%s--- expected\n%s", cases[i].name, got,
			    cases[i].expected);
		free(got);
		release(&f);
	}
}

/* ---- details ------------------------------------------------------------- */

static void
test_mail_details(void **state)
{
	struct fixture f;
	const struct plan_step *s;

	(void)state;
	build(&f, mail, P.old, "pkcs11:token=edge;object=mail-2025;type=cert", P.new, K_OTHER, 0);

	s = step(f.plan, "01-import-token:edge");
	assert_null(s->host_cfg);
	assert_string_equal(s->host, "token:edge");
	assert_ids(s->pre, s->npre, "new.load new.validity new.chain new.eku new.key "
	    "new.key-protection token.login import.label");
	assert_ids(s->verify, s->nverify, "import.present");
	assert_ids(s->rbverify, s->nrbverify, "rollback.import");

	s = step(f.plan, "02-import-cas2");
	assert_ids(s->rbverify, s->nrbverify, "rollback.unseen");
	assert_ids(s->pre, s->npre, "new.load new.validity new.chain new.eku sigalg keyalg");

	s = step(f.plan, "04-grant-cas2-owa");
	assert_string_equal(s->account, "IIS_IUSRS");
	assert_int_equal(s->nservices, 1);
	/* the key is on a token: its login is the grant's too */
	assert_ids(s->pre, s->npre, "new.key token.login access");
	assert_ids(s->verify, s->nverify, "access");

	s = step(f.plan, "05-rebind-cas2-owa-https-all");
	assert_int_equal(s->variant, PLAN_V_REBIND_BINDING);
	assert_ids(s->pre, s->npre, "ref.resolve names endpoint endpoint.sni endpoint.chain");
	/* the endpoint is verified after the service's restart, not here; what
	   the binding names cannot be seen from here, and says so */
	assert_ids(s->verify, s->nverify, "ref.moved");
	assert_non_null(s->from);
	assert_int_equal(strncmp(s->from, "sha1:", 5), 0);
	assert_string_not_equal(s->from, s->to);

	s = step(f.plan, "07-rebind-mx1-nginx-tls");
	assert_int_equal(s->variant, PLAN_V_REBIND_FILE);
	assert_ids(s->pre, s->npre, "new.load new.validity new.chain new.eku sigalg keyalg ref.resolve "
	    "file.layout key.mode");
	assert_ids(s->verify, s->nverify, "file.content key.mode");
	assert_ids(s->rbverify, s->nrbverify, "rollback.file");

	s = step(f.plan, "08-rename-mx1-exchange-frontend");
	assert_ids(s->pre, s->npre, "ref.resolve ref.ambiguous ref.name endpoint endpoint.chain");
	assert_ids(s->verify, s->nverify, "ref.moved");
	assert_non_null(s->change);
	/* the issuer's O differs between A and A2 */
	assert_non_null(strstr(s->change, "issuer"));
	assert_non_null(strstr(s->change, "Contoso Ltd"));
	assert_non_null(strstr(s->to, "O=Contoso Ltd"));

	s = step(f.plan, "09-restart-cas2-owa");
	assert_int_equal(s->npre, 0);
	assert_ids(s->verify, s->nverify, "endpoint endpoint.chain");
	assert_ids(s->rbverify, s->nrbverify, "rollback.endpoint");
	/* no endpoint to probe: what to verify there */
	s = step(f.plan, "11-restart-mx1-nginx");
	assert_ids(s->verify, s->nverify, "service.restarted");
	assert_ids(s->rbverify, s->nrbverify, "rollback.unseen");

	/* a host that held the old certificate by binding or connector retires it from
	   its store (by hand here), then the token */
	s = step(f.plan, "12-retire-cas2");
	assert_int_equal(s->variant, PLAN_V_RETIRE_HOST);
	assert_ptr_equal(s->host_cfg, &f.cfg->hosts[0]);
	assert_int_equal(s->action, PLAN_MANUAL);
	assert_ids(s->pre, s->npre, "retire.refs retire.protected endpoint");
	assert_ids(s->verify, s->nverify, "retire.absent");
	s = step(f.plan, "14-retire-token:edge");
	assert_int_equal(s->variant, PLAN_V_RETIRE_TOKEN);
	/* an endpoint still serving the old certificate would block it */
	assert_ids(s->pre, s->npre, "retire.refs retire.protected endpoint token.login");
	assert_ids(s->verify, s->nverify, "retire.absent");
	assert_ids(s->rbverify, s->nrbverify, "rollback.retire");
	assert_non_null(strstr(s->description, "archive"));

	assert_int_equal(ref(f.plan, "owa", "https-ip")->step, 5);
	assert_int_equal(f.plan->nnotes, 0);
	release(&f);
}

static void
test_identity_kinds(void **state)
{
	static const char text[] = ROT("")
	    "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; refs = (\n"
	    "  { id = \"by-sha1\"; type = \"binding\"; cert = \"sha1:@OLD1@\"; },\n"
	    "  { id = \"by-sha1-again\"; type = \"binding\"; cert = \"sha1:@OLD1@\"; },\n"
	    "  { id = \"by-sha256\"; type = \"binding\"; cert = \"sha256:@NEW256@\"; },\n"
	    "  { id = \"by-name\"; type = \"connector\"; cert = \"" NAME_A "\"; },\n"
	    "  { id = \"by-file\"; type = \"binding\"; cert = \"file:old.pem\"; },\n"
	    "  { id = \"by-file-other\"; type = \"binding\"; cert = \"file:other.pem\"; },\n"
	    "  { id = \"by-missing\"; type = \"binding\"; cert = \"file:missing.pem\"; },\n"
	    "  { id = \"by-sha1-unknown\"; type = \"binding\"; cert = \"sha1:0000000000000000000000000000000000000000\"; },\n"
	    "  { id = \"by-name-unknown\"; type = \"connector\"; cert = \"name:<I>CN=Nobody<S>CN=nothing\"; },\n"
	    "  { id = \"by-sha1-other\"; type = \"binding\"; cert = \"sha1:@OTHER1@\"; }\n"
	    "); } );\n";
	struct fixture f;
	const struct plan_refres *r;

	(void)state;
	build(&f, text, P.old, "file:old.pem", P.new, K_OTHER, -1);
	r = ref(f.plan, "s", "by-sha1");
	assert_int_equal(r->denotes, PLAN_DENOTES_OLD);
	assert_ptr_equal(r->cert, f.in->old);
	assert_false(r->ambiguous);
	assert_int_equal(ref(f.plan, "s", "by-sha256")->denotes, PLAN_DENOTES_NEW);
	r = ref(f.plan, "s", "by-name");
	assert_int_equal(r->denotes, PLAN_DENOTES_OLD);
	assert_false(r->ambiguous);
	assert_int_equal(ref(f.plan, "s", "by-file")->denotes, PLAN_DENOTES_OLD);
	assert_int_equal(ref(f.plan, "s", "by-file-other")->denotes, PLAN_DENOTES_OTHER);
	r = ref(f.plan, "s", "by-missing");
	assert_int_equal(r->denotes, PLAN_DENOTES_UNKNOWN);
	assert_non_null(strstr(r->note, "cannot read"));
	r = ref(f.plan, "s", "by-sha1-unknown");
	assert_int_equal(r->denotes, PLAN_DENOTES_UNKNOWN);
	assert_non_null(strstr(r->note, "matches none"));
	assert_int_equal(ref(f.plan, "s", "by-name-unknown")->denotes, PLAN_DENOTES_UNKNOWN);
	assert_int_equal(ref(f.plan, "s", "by-sha1-other")->denotes, PLAN_DENOTES_OTHER);
	assert_int_equal(ref(f.plan, "s", "by-sha1-other")->step, -1);
	assert_true(has_note(f.plan, "h/s/by-missing: cannot resolve 'file:missing.pem'"));
	assert_true(has_note(f.plan, "h/s/by-sha1-other: denotes another certificate"));
	/* only the refs on old/new get steps; a file-type identity on a binding is still a binding */
	assert_int_equal(step(f.plan, "02-rebind-h-s-by-file")->variant, PLAN_V_REBIND_BINDING);
	assert_true(step(f.plan, "05-rebind-h-s-by-sha256")->done);
	/* an old certificate read from a file: the host retires it from its store; the
	   file itself is only read, never moved */
	assert_int_equal(step(f.plan, "08-retire-h")->variant, PLAN_V_RETIRE_HOST);
	assert_int_equal(f.plan->nsteps, 8);
	assert_true(has_note(f.plan, "the old certificate is read from 'file:old.pem': rotation.old "
	    "is only read, never moved or deleted"));
	release(&f);
}

static void
test_ambiguous_names(void **state)
{
	static const char text[] = ROT("")
	    "hosts = ( { name = \"mx1\"; } );\n"
	    "services = ( { name = \"exchange\"; host = \"mx1\"; refs = (\n"
	    "  { id = \"frontend\"; type = \"connector\"; cert = \"" NAME_A "\"; } ); } );\n";
	struct fixture f;
	const struct plan_refres *r;
	const struct plan_step *s;

	(void)state;
	/* new has the same <I><S> as old: the name matches both; it must move (treated as old) */
	build(&f, text, P.old, "pkcs11:token=edge;object=mail-2025;type=cert", P.new_same, 0, -1);
	r = ref(f.plan, "exchange", "frontend");
	assert_int_equal(r->denotes, PLAN_DENOTES_OLD);
	assert_true(r->ambiguous);
	assert_int_equal(r->nmatch, 2);
	assert_non_null(strstr(r->note, "both the old and the new"));
	s = step(f.plan, "02-rename-mx1-exchange-frontend");
	assert_null(s->change);
	assert_non_null(strstr(s->description, "stays the same"));
	assert_true(has_note(f.plan, "mx1/exchange/frontend: name matches both"));
	release(&f);

	/* a token neighbour with old's names: ambiguous, still old */
	build(&f, text, P.old, "pkcs11:token=edge;object=mail-2025;type=cert", P.new, K_TWIN | K_OTHER, -1);
	r = ref(f.plan, "exchange", "frontend");
	assert_int_equal(r->denotes, PLAN_DENOTES_OLD);
	assert_true(r->ambiguous);
	assert_non_null(strstr(r->note, "matches 2 known certificates (old sha1:"));
	release(&f);
}

/* A certificate issued by CA A to `subject` (X509_NAME taken). */
static X509 *
cert_named(X509_NAME *subject)
{
	struct tc_spec spec = { "/CN=x", NULL, "serverAuth", -DAY, 365 * DAY, NULL, 0, 0 };
	X509 *x = tc_cert(&spec, P.leaf_key, P.ca_a, P.ca_key);

	X509_set_subject_name(x, subject);
	X509_NAME_free(subject);
	X509_sign(x, P.ca_key, EVP_sha256());
	return x;
}

static X509_NAME *
name3(const char *o, const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"US", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)o, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	return n;
}

/*
 * The certificates a name matches are listed, and the one it denotes is
 * chosen, in one order whatever the token's object order (which differs
 * from one process to the next): role, source, SHA-256.
 */
static void
test_match_order(void **state)
{
	static const char text[] = ROT("")
	    "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; refs = (\n"
	    "  { id = \"c\"; type = \"connector\"; cert = \"name:<I>CN=Contoso Issuing CA 1, "
	    "O=Contoso, C=US<S>CN=x.contoso.com, O=Contoso, C=US\"; } ); } );\n";
	X509 *x[3];
	X509 *rev[3];
	struct fixture a, b;
	const struct plan_refres *ra, *rb;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++)
		x[i] = cert_named(name3("Contoso", "x.contoso.com"));
	for (i = 0; i < 3; i++)
		rev[i] = x[2 - i];
	build_ex(&a, text, P.old, "pkcs11:token=edge;object=mail-2025;type=cert", P.new, 0, -1, x, 3);
	build_ex(&b, text, P.old, "pkcs11:token=edge;object=mail-2025;type=cert", P.new, 0, -1, rev, 3);
	ra = ref(a.plan, "s", "c");
	rb = ref(b.plan, "s", "c");
	assert_int_equal(ra->denotes, PLAN_DENOTES_OTHER);
	assert_int_equal(ra->nmatch, 3);
	assert_non_null(ra->note);
	assert_non_null(strstr(ra->note, "matches 3 known certificates (other sha1:"));
	assert_string_equal(ra->note, rb->note);
	assert_memory_equal(ra->cert->sha256, rb->cert->sha256, 32);
	release(&a);
	release(&b);
	for (i = 0; i < 3; i++)
		X509_free(x[i]);
}

/*
 * Near misses (nearmiss.c): an identity that matches nothing, but is one or
 * two hex digits from a thumbprint, or a name with its RDNs reversed or in
 * another order, or one RDN different - and nothing else.
 */
static void
test_near_miss(void **state)
{
	struct crt_cert *old = cert(P.old, "old");
	char *hex = cr_hex_upper(old->sha1, 20), *hex256 = cr_hex_upper(old->sha256, 32);
	struct {
		const char *ident;	/* %s: the old thumbprint, edited by the case */
		int edit;		/* 0 none, 1 digit 5, 2 digits 5 and 40, 3 shift, 4 three digits */
		const char *want;	/* substring of the diagnosis, NULL: not near */
	} t[] = {
		{ "sha1:%s", 1, "one hex digit differs (digit 5: " },
		{ "sha1:%s", 2, "two hex digits differ (digits 5 and 40: " },
		{ "sha1:%s", 3, "hex digits away from it (a digit left out and another added)" },
		{ "sha1:%s", 4, NULL },
		{ "sha256:%s", 1, "one hex digit differs (digit 5: " },
		{ "name:<I>C=US, O=Contoso, CN=Contoso Issuing CA 1<S>CN=mail.contoso.com, O=Contoso, C=US",
		  0, "its issuer has the RDNs of the certificate's issuer in reverse order: Windows "
		  "writes it 'CN=Contoso Issuing CA 1, O=Contoso, C=US' (most specific first)" },
		{ "name:<I>CN=Contoso Issuing CA 1, O=Contoso, C=US<S>O=Contoso, CN=mail.contoso.com, C=US",
		  0, "its subject has the RDNs of the certificate's subject in another order" },
		{ "name:<I>CN=Contoso Issuing CA 1, O=Fabrikam, C=US<S>CN=mail.contoso.com, O=Contoso, C=US",
		  0, "its issuer differs from the certificate's in one RDN (O: 'Fabrikam' -> 'Contoso')" },
		{ "name:<I>CN=Other CA, O=Fabrikam, C=US<S>CN=mail.contoso.com, O=Contoso, C=US", 0, NULL },
		{ "name:<I>C=US, O=Contoso, CN=Contoso Issuing CA 1<S>CN=www, O=Contoso, C=US", 0, NULL },
		{ "file:old.pem", 0, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *h = strncmp(t[i].ident, "sha256", 6) == 0 ? hex256 : hex;
		char *e = cr_xstrdup(h), *text, *why;
		size_t n = strlen(e);
		struct crt_ident id;
		struct cr_err err;

		if (t[i].edit == 1 || t[i].edit == 2 || t[i].edit == 4)
			e[4] = e[4] == '0' ? '1' : '0';
		if (t[i].edit == 2 || t[i].edit == 4)
			e[n - 1] = e[n - 1] == '0' ? '1' : '0';
		if (t[i].edit == 4)
			e[20] = e[20] == '0' ? '1' : '0';
		if (t[i].edit == 3) {	/* digit 3 left out, a digit added at the end */
			memmove(e + 2, e + 3, n - 3);
			e[n - 1] = e[n - 2] == 'A' ? 'B' : 'A';
		}
		text = cr_xasprintf(t[i].ident, e);
		cr_err_clear(&err);
		if (crt_ident_parse(text, &id, &err) != CR_OK)
			fail_msg("case %zu: %s", i, err.msg);
		why = plan_near_miss(&id, old);
		if (t[i].want == NULL && why != NULL)
			fail_msg("case %zu: '%s' is near: %s", i, text, why);
		if (t[i].want != NULL && (why == NULL || strstr(why, t[i].want) == NULL))
			fail_msg("case %zu: '%s': got '%s', want '%s'", i, text, why ? why : "(far)",
			    t[i].want);
		free(why);
		free(text);
		free(e);
		crt_ident_release(&id);
	}
	free(hex);
	free(hex256);
	crt_cert_free(old);
}

/*
 * Names are found through an index keyed by a normalised name: every
 * difference crt_dn_equal ignores (case, also of Latin-1 letters; blanks;
 * S = ST; the order of a multi-valued RDN) must give the same key, and two
 * names sharing a key (one run of other letters each) must still be told apart.
 */
static void
test_name_index(void **state)
{
#define CA_A "<I>cn=contoso  issuing ca 1,o=CONTOSO ; c=us"
	static const char text[] = ROT("")
	    "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; refs = (\n"
	    "  { id = \"latin1\"; type = \"connector\"; cert = \"name:" CA_A
	    "<S>CN=  \xc3\xbcN\xc3\x8f" "code   stra\xc3\x9f" "e , O=contoso, C=US\"; },\n"
	    "  { id = \"st\"; type = \"connector\"; cert = \"name:" CA_A
	    "<S>CN=st.contoso.com, O=Contoso, ST=washington, C=US\"; },\n"
	    "  { id = \"multi1\"; type = \"connector\"; cert = \"name:" CA_A
	    "<S>CN=multi + OU=ops, O=Contoso, C=US\"; },\n"
	    "  { id = \"multi2\"; type = \"connector\"; cert = \"name:" CA_A
	    "<S>OU=OPS+CN=Multi, O=Contoso, C=US\"; },\n"
	    "  { id = \"a-umlaut\"; type = \"connector\"; cert = \"name:" CA_A
	    "<S>CN=\xc3\xa4, O=Contoso, C=US\"; },\n"
	    "  { id = \"o-umlaut\"; type = \"binding\"; cert = \"sha1:@O1@\"; },\n"
	    "  { id = \"nobody\"; type = \"connector\"; cert = \"name:<I>CN=Nobody<S>CN=NOBODY\"; }\n"
	    "); } );\n"
	    "protect = [ \"name:" CA_A "<S>cn=\xc3\xb6, o=contoso, c=us\", \"name:<I>cn=nobody<S>cn=nobody\" ];\n";
#undef CA_A
	X509 *x[5];
	X509_NAME *n;
	struct fixture f;
	const struct plan_refres *r;
	char *t, *o1, *at;
	size_t i;

	(void)state;
	x[0] = cert_named(name3("Contoso", "\xc3\x9cn\xc3\xaf" "code Stra\xc3\x9f" "e"));
	n = X509_NAME_new();
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"US", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "ST", MBSTRING_UTF8, (const unsigned char *)"Washington", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"Contoso", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"st.contoso.com", -1, -1, 0);
	x[1] = cert_named(n);
	n = name3("Contoso", "multi");
	X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8, (const unsigned char *)"ops", -1, -1, -1);
	x[2] = cert_named(n);
	x[3] = cert_named(name3("Contoso", "\xc3\x84"));	/* CN=Ä */
	x[4] = cert_named(name3("Contoso", "\xc3\x96"));	/* CN=Ö: the same key as Ä */

	o1 = hex1(x[4]);
	t = cr_xstrdup(text);
	at = strstr(t, "@O1@");
	assert_non_null(at);
	{
		char *u = cr_xasprintf("%.*s%s%s", (int)(at - t), t, o1, at + 4);

		free(t);
		t = u;
	}
	build_ex(&f, t, P.old, "file:old.pem", P.new, 0, -1, x, 5);
	{
		static const char *const ids[] = { "latin1", "st", "multi1", "multi2", "a-umlaut" };
		static const int want[] = { 0, 1, 2, 2, 3 };

		for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			r = ref(f.plan, "s", ids[i]);
			if (r->denotes != PLAN_DENOTES_OTHER || r->nmatch != 1)
				fail_msg("ref '%s': denotes %s, %zu matches (%s)", ids[i],
				    plan_denotes_name(r->denotes), r->nmatch, r->note ? r->note : "");
			assert_ptr_equal(r->cert->x509, x[want[i]]);
		}
	}
	/* protected by a name written differently; a name of no certificate, protected */
	assert_int_equal(ref(f.plan, "s", "o-umlaut")->denotes, PLAN_DENOTES_PROTECTED);
	assert_int_equal(ref(f.plan, "s", "nobody")->denotes, PLAN_DENOTES_PROTECTED);
	release(&f);
	free(t);
	free(o1);
	for (i = 0; i < 5; i++)
		X509_free(x[i]);
}

/*
 * Plans n distinct certificates, each named by three refs (name:, sha1:, a
 * file source), all known, and checks that each ref found its certificate
 * and only it.
 */
static void
plan_distinct(X509 *const *certs, size_t n)
{
	struct cr_buf b = CR_BUF_INIT;
	struct plan_config *cfg = NULL;
	struct plan_inputs *in = cr_xcalloc(1, sizeof(*in));
	struct plan *p = NULL;
	struct cr_err err;
	size_t k;

	cr_err_clear(&err);
	cr_buf_adds(&b, ROT("") "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; refs = (\n");
	in->sources = cr_xcalloc(n, sizeof(*in->sources));
	for (k = 0; k < n; k++) {
		char *h = hex1(certs[k]), *src = cr_xasprintf("file:d%05zu.pem", k);

		cr_buf_addf(&b, "%s{ id = \"n%05zu\"; type = \"connector\"; cert = \"name:<I>CN=Contoso "
		    "Issuing CA 1, O=Contoso, C=US<S>CN=d%05zu.contoso.com, O=Contoso, C=US\"; },\n"
		    "{ id = \"s%05zu\"; type = \"binding\"; cert = \"sha1:%s\"; },\n"
		    "{ id = \"f%05zu\"; type = \"binding\"; cert = \"%s\"; }\n",
		    k ? "," : "", k, k, k, h, k, src);
		in->sources[k].text = src;
		in->sources[k].cert = cert(certs[k], src);
		crt_list_push(&in->known, cert(certs[k], src));
		free(h);
	}
	in->nsources = n;
	cr_buf_adds(&b, "); } );\n");
	if (plan_config_parse(cr_buf_str(&b), "certrotate.cfg", ".", &cfg, &err) != CR_OK)
		fail_msg("config: %s", err.msg);
	in->old = cert(P.old, "file:old.pem");
	in->new = cert(P.new, "file:new.pem");
	in->new_on_import_to = -1;
	if (plan_build(cfg, in, &p, &err) != CR_OK)
		fail_msg("plan: %s", err.msg);
	assert_int_equal(p->nrefs, 3 * n);
	for (k = 0; k < p->nrefs; k++) {
		const struct plan_refres *r = &p->refs[k];
		size_t want = (size_t)strtoul(r->ref->id + 1, NULL, 10);

		assert_int_equal(r->denotes, PLAN_DENOTES_OTHER);
		assert_int_equal(r->nmatch, 1);
		assert_ptr_equal(r->cert->x509, certs[want]);
	}
	plan_free(p);
	plan_inputs_free(in);
	plan_config_free(cfg);
	cr_buf_release(&b);
}

/*
 * Many distinct certificates, each found by its name, thumbprint and source
 * through the planner's indexes.  How the time grows is measured by
 * `make bench` (bench/gen_distinct.sh), not here: a timed test fails on a
 * loaded machine.
 */
static void
test_many_distinct(void **state)
{
	struct tc_spec leaf = { NULL, NULL, NULL, -DAY, 365 * DAY, NULL, 1, 0 };
	enum { N = 400 };
	EVP_PKEY *key = tc_key(1), *ca_key = tc_key(1);
	struct tc_spec ca = { "/C=US/O=Contoso/CN=Contoso Issuing CA 1", NULL, NULL, -DAY, 1000 * DAY, NULL, 1, 1 };
	X509 *ca_x = tc_cert(&ca, ca_key, NULL, NULL);
	X509 **certs = cr_xcalloc(N, sizeof(*certs));
	size_t k;

	(void)state;
	for (k = 0; k < N; k++) {
		char subj[64];

		snprintf(subj, sizeof(subj), "/C=US/O=Contoso/CN=d%05zu.contoso.com", k);
		leaf.subject = subj;
		certs[k] = tc_cert(&leaf, key, ca_x, ca_key);
	}
	plan_distinct(certs, N);
	for (k = 0; k < N; k++)
		X509_free(certs[k]);
	free(certs);
	X509_free(ca_x);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
}

static void
test_protected(void **state)
{
	struct fixture f;

	(void)state;
	build(&f, protected_old, P.def, "pkcs11:token=edge;object=default;type=cert", P.new, 0, -1);
	assert_true(f.plan->old_protected);
	assert_string_equal(f.plan->old_protect->path, "protect.[0]");
	/* the retire steps stay, for retire.protected to block */
	assert_int_equal(step(f.plan, "04-retire-cas01")->variant, PLAN_V_RETIRE_HOST);
	assert_int_equal(step(f.plan, "05-retire-token:edge")->variant, PLAN_V_RETIRE_TOKEN);
	/* a hash listed in protect, of a certificate nobody has: protected, not unknown */
	assert_int_equal(ref(f.plan, "exchange", "unknown")->denotes, PLAN_DENOTES_PROTECTED);
	release(&f);

	build(&f, protected_other, P.old, "pkcs11:token=edge;object=mail-2025;type=cert", P.new,
	    K_DEF, -1);
	assert_false(f.plan->old_protected);
	assert_int_equal(ref(f.plan, "exchange", "auth")->denotes, PLAN_DENOTES_PROTECTED);
	assert_int_equal(ref(f.plan, "exchange", "auth")->step, -1);
	assert_true(has_note(f.plan, "cas01/exchange/auth: denotes a protected certificate"));
	/* no ref has an endpoint: nothing to probe before retire */
	assert_ids(step(f.plan, "05-retire-token:edge")->pre, step(f.plan, "05-retire-token:edge")->npre,
	    "retire.refs retire.protected token.login");
	release(&f);
}

static void
test_hooks_and_keep(void **state)
{
	struct fixture f;
	const struct plan_step *s;

	(void)state;
	build(&f, hooks, P.old, "pkcs11:token=edge;object=mail-2025;type=cert", P.new, 0, -1);
	s = step(f.plan, "04-rebind-h1-web-bind");
	assert_ptr_equal(s->run, &f.cfg->rotation.hooks.run[PLAN_REBIND]);
	s = step(f.plan, "05-rebind-h1-web-file-hook");
	assert_string_equal(s->run->v[0], "install");
	s = step(f.plan, "09-restart-h1-web");
	assert_string_equal(s->run->v[0], "systemctl");	/* host beats rotation */
	s = step(f.plan, "10-restart-h2-mta");
	assert_string_equal(s->run->v[0], "postfix");	/* service beats host */
	s = step(f.plan, "11-restart-h2-proxy");
	assert_string_equal(s->run->v[0], "restart");	/* rotation default */
	/* retire = keep: no retire step at all (SPEC 5), a note says so */
	assert_int_equal(f.plan->nsteps, 11);
	assert_true(has_note(f.plan, "retire = keep: the old certificate stays where it is"));
	release(&f);

	/* a host's run_retire makes its retire a command; the rotation's is the default
	   of the others; the token's retire stays native */
	build(&f, ROT("  run_retire = [ \"retire-all\", \"{host}\" ];\n")
	    "hosts = ( { name = \"h1\"; run_retire = [ \"retire\", \"{host}\", \"{old.sha1}\" ]; },\n"
	    "          { name = \"h2\"; }, { name = \"h3\"; } );\n"
	    "services = ( { name = \"a\"; host = \"h1\"; refs = (\n"
	    "    { id = \"b\"; type = \"binding\"; cert = \"sha1:@OLD1@\"; } ); },\n"
	    "  { name = \"b\"; host = \"h2\"; refs = (\n"
	    "    { id = \"c\"; type = \"connector\"; cert = \"" NAME_A "\"; } ); },\n"
	    "  { name = \"c\"; host = \"h3\"; refs = (\n"
	    "    { id = \"f\"; type = \"file\"; path = \"old.pem\"; } ); } );\n",
	    P.old, "pkcs11:token=edge;object=mail-2025;type=cert", P.new, 0, -1);
	s = step(f.plan, "09-retire-h1");
	assert_int_equal(s->action, PLAN_COMMAND);
	assert_string_equal(s->run->v[0], "retire");
	s = step(f.plan, "10-retire-h2");
	assert_int_equal(s->action, PLAN_COMMAND);
	assert_string_equal(s->run->v[0], "retire-all");
	/* h3 holds its certificate in a file only: the rebind overwrites it, no retire */
	s = step(f.plan, "11-retire-token:edge");
	assert_int_equal(s->action, PLAN_NATIVE);
	assert_int_equal(f.plan->nsteps, 11);
	release(&f);
}

static void
test_grant_shared(void **state)
{
	static const char text[] = ROT("")
	    "hosts = ( { name = \"h\"; } );\n"
	    "services = (\n"
	    " { name = \"c\"; host = \"h\"; account = \"svc\"; depends = [ \"a\" ];\n"
	    "   refs = ( { id = \"r\"; type = \"binding\"; cert = \"sha1:@OLD1@\"; } ); },\n"
	    " { name = \"d\"; host = \"h\"; account = \"other\";\n"
	    "   refs = ( { id = \"r\"; type = \"binding\"; cert = \"sha1:@NEW1@\"; } ); },\n"
	    " { name = \"b\"; host = \"h\"; account = \"svc\";\n"
	    "   refs = ( { id = \"r\"; type = \"binding\"; cert = \"sha1:@NEW1@\"; } ); },\n"
	    " { name = \"a\"; host = \"h\"; account = \"svc\";\n"
	    "   refs = ( { id = \"r\"; type = \"binding\"; cert = \"sha1:@OLD1@\"; } ); },\n"
	    " { name = \"e\"; host = \"h\"; account = \"svc\";\n"
	    "   refs = ( { id = \"r\"; type = \"binding\"; cert = \"sha1:@OTHER1@\"; } ); }\n"
	    ");\n";
	struct fixture f;
	const struct plan_step *s;

	(void)state;
	build(&f, text, P.old, "file:old.pem", P.new, K_OTHER, -1);
	/* one grant per (host, account), named after its first service in dependency order;
	   e changes nothing (its ref is on another certificate): no grant for it */
	s = step(f.plan, "02-grant-h-a");
	assert_string_equal(s->account, "svc");
	assert_int_equal(s->nservices, 3);
	assert_string_equal(f.cfg->services[s->services[0]].name, "a");
	assert_string_equal(f.cfg->services[s->services[1]].name, "b");
	assert_string_equal(f.cfg->services[s->services[2]].name, "c");
	assert_false(s->done);
	assert_non_null(strstr(s->description, "(services a, b, c)"));
	s = step(f.plan, "03-grant-h-d");
	assert_true(s->done);	/* d's only ref is already on the new certificate */
	assert_int_equal(f.plan->nsteps, 12);	/* import, 2 grants, 4 rebinds, 4 restarts, retire */
	release(&f);
}

static void
test_width(void **state)
{
	struct cr_buf b = CR_BUF_INIT;
	struct fixture f;
	size_t i;

	(void)state;
	cr_buf_adds(&b, ROT("") "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; refs = (\n");
	for (i = 0; i < 120; i++)
		cr_buf_addf(&b, "%s{ id = \"r%03zu\"; type = \"binding\"; cert = \"sha1:@OLD1@\"; }\n",
		    i ? "," : "", i);
	cr_buf_adds(&b, "); } );\n");
	build(&f, cr_buf_str(&b), P.old, "pkcs11:token=edge;object=mail-2025;type=cert", P.new, 0, -1);
	assert_int_equal(f.plan->nsteps, 124);
	assert_string_equal(f.plan->steps[0].id, "001-import-h");
	assert_string_equal(f.plan->steps[1].id, "002-rebind-h-s-r000");
	assert_string_equal(f.plan->steps[122].id, "123-retire-h");
	assert_string_equal(f.plan->steps[123].id, "124-retire-token:edge");
	release(&f);
	cr_buf_release(&b);
}

static char *
json_of(const struct plan *p)
{
	struct json_object *o = plan_json(p);
	char *s = cr_xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return s;
}

static void
test_deterministic_json(void **state)
{
	struct fixture a, b;
	char *ja, *jb;
	struct json_object *o, *steps, *st, *v;

	(void)state;
	build(&a, mail, P.old, "pkcs11:token=edge;object=mail-2025;type=cert", P.new, K_OTHER, 0);
	build(&b, mail_shuffled, P.old, "pkcs11:token=edge;object=mail-2025;type=cert", P.new, K_OTHER, 0);
	ja = json_of(a.plan);
	jb = json_of(b.plan);
	assert_string_equal(ja, jb);

	/* the shape of SPEC 5 */
	o = json_tokener_parse(ja);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "rotation", &v));
	assert_string_equal(json_object_get_string(v), "mail-2026");
	assert_true(json_object_object_get_ex(o, "old", &v));
	assert_true(json_object_object_get_ex(v, "sha1", NULL));
	assert_true(json_object_object_get_ex(v, "tls_name", NULL));
	assert_true(json_object_object_get_ex(o, "new", NULL));
	assert_true(json_object_object_get_ex(o, "steps", &steps));
	assert_int_equal(json_object_array_length(steps), 14);
	st = json_object_array_get_idx(steps, 5);
	assert_true(json_object_object_get_ex(st, "id", &v));
	assert_string_equal(json_object_get_string(v), "06-rebind-cas2-owa-https-ip");
	assert_true(json_object_object_get_ex(st, "status", &v));
	assert_string_equal(json_object_get_string(v), "done");
	assert_true(json_object_object_get_ex(st, "action", &v));
	assert_string_equal(json_object_get_string(v), "manual");
	assert_true(json_object_object_get_ex(st, "preconditions", &v));
	assert_true(json_object_is_type(v, json_type_array));
	assert_true(json_object_object_get_ex(st, "verify", NULL));
	assert_true(json_object_object_get_ex(st, "description", NULL));
	st = json_object_array_get_idx(steps, 0);
	assert_true(json_object_object_get_ex(st, "service", &v));
	assert_null(v);
	json_object_put(o);

	/* the streamed rendering is byte for byte the whole tree, pretty-printed */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);

		plan_render_json(a.plan, m);
		fclose(m);
		assert_int_equal(len, strlen(ja) + 1);
		assert_memory_equal(buf, ja, strlen(ja));
		assert_int_equal(buf[len - 1], '\n');
		free(buf);
	}
	free(ja);
	free(jb);
	release(&a);
	release(&b);
}

static void
test_text(void **state)
{
	struct fixture f;
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	(void)state;
	build(&f, mail, P.old, "pkcs11:token=edge;object=mail-2025;type=cert", P.new, K_OTHER, 0);
	m = open_memstream(&buf, &len);
	plan_render_text(f.plan, m);
	fclose(m);
	assert_non_null(strstr(buf, "rotation mail-2026: 14 steps, 1 already done\n"));
	assert_non_null(strstr(buf, "\nold  sha1:"));
	assert_non_null(strstr(buf, "\nnew  sha1:"));
	assert_non_null(strstr(buf, "\nrebind\n"));
	assert_non_null(strstr(buf, "06-rebind-cas2-owa-https-ip"));
	assert_non_null(strstr(buf, "cas2/owa/https-all at 10.0.0.5:443 SNI mail.contoso.com: sha1:"));
	/* a rename shows the connector's old name and the new one, the changed RDN marked */
	assert_non_null(strstr(buf, "mx1/exchange/frontend at 10.0.0.6:25: name old -> new "
	    "(issuer O: 'Contoso' -> 'Contoso Ltd')\n"
	    "      old <I>CN=Contoso Issuing CA 1, O=Contoso, C=US<S>CN=mail.contoso.com, O=Contoso, C=US\n"
	    "                                      ^^^^^^^^^\n"
	    "      new <I>CN=Contoso Issuing CA 1, O=Contoso Ltd, C=US<S>CN=mail.contoso.com, O=Contoso, C=US\n"
	    "                                      ^^^^^^^^^^^^^\n"));
	free(buf);
	release(&f);
}

/*
 * The old name of a rename is the connector's: its name: identity as
 * written (in the Windows rendering), else the old certificate's; once the
 * connector is on the new name, the old certificate's.  A removed RDN is
 * marked on the old line only.
 */
static void
test_text_rename_names(void **state)
{
	static const char text[] = ROT("")
	    "hosts = ( { name = \"h\"; } );\n"
	    "services = ( { name = \"s\"; host = \"h\"; refs = (\n"
	    "  { id = \"by-name\"; type = \"connector\"; cert = \"name:<I>cn=contoso issuing ca 1,o=contoso,c=us"
	    "<S>cn=mail.contoso.com,o=contoso,c=us\"; },\n"
	    "  { id = \"by-sha1\"; type = \"connector\"; cert = \"sha1:@OLD1@\"; },\n"
	    "  { id = \"done\"; type = \"connector\"; cert = \"name:<I>CN=Contoso Issuing CA 1, O=Contoso Ltd, "
	    "C=US<S>CN=mail.contoso.com, O=Contoso, C=US\"; }\n"
	    "); } );\n";
	struct tc_spec leaf = { "/C=US/O=Contoso/CN=mail.contoso.com", "DNS:mail.contoso.com",
	    "serverAuth", -DAY, 365 * DAY, NULL, 0, 0 };
	struct tc_spec ca = { "/C=US/CN=Contoso Issuing CA 1", NULL, NULL, -DAY, 1000 * DAY, NULL, 0, 1 };
	struct fixture f;
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	X509 *ca_x, *new_x;

	(void)state;
	build(&f, text, P.old, "file:old.pem", P.new, 0, -1);
	m = open_memstream(&buf, &len);
	plan_render_text(f.plan, m);
	fclose(m);
	assert_non_null(strstr(buf, "h/s/by-name: name old -> new (issuer O: 'Contoso' -> 'Contoso Ltd')\n"
	    "      old <I>CN=contoso issuing ca 1, O=contoso, C=us<S>CN=mail.contoso.com, O=contoso, C=us\n"));
	assert_non_null(strstr(buf, "h/s/by-sha1: name old -> new (issuer O: 'Contoso' -> 'Contoso Ltd')\n"
	    "      old <I>CN=Contoso Issuing CA 1, O=Contoso, C=US<S>CN=mail.contoso.com, O=Contoso, C=US\n"));
	assert_non_null(strstr(buf, "done  h/s/done: name old -> new (issuer O: 'Contoso' -> 'Contoso Ltd')\n"
	    "      old <I>CN=Contoso Issuing CA 1, O=Contoso, C=US<S>CN=mail.contoso.com, O=Contoso, C=US\n"));
	free(buf);
	release(&f);

	/* the new issuer lost its O: marked under the old name, no mark line under the new */
	ca_x = tc_cert(&ca, P.ca_key, P.root, P.root_key);
	new_x = tc_cert(&leaf, P.leaf_key, ca_x, P.ca_key);
	build(&f, text, P.old, "file:old.pem", new_x, 0, -1);
	buf = NULL;
	m = open_memstream(&buf, &len);
	plan_render_text(f.plan, m);
	fclose(m);
	assert_non_null(strstr(buf, "h/s/by-sha1: name old -> new (issuer RDN count 3 -> 2; removed O='Contoso')\n"
	    "      old <I>CN=Contoso Issuing CA 1, O=Contoso, C=US<S>CN=mail.contoso.com, O=Contoso, C=US\n"
	    "                                      ^^^^^^^^^\n"
	    "      new <I>CN=Contoso Issuing CA 1, C=US<S>CN=mail.contoso.com, O=Contoso, C=US\n"
	    "\nrestart\n"));
	free(buf);
	release(&f);
	X509_free(new_x);
	X509_free(ca_x);
}

/*
 * A file named by refs of two services is written by one step (SPEC 7.2:
 * each file once), which moves both refs; each restart runs its service's
 * configuration test: its own run_test, else its kind's default when the
 * service has a file ref (its files are local), else none.
 */
static void
test_shared_file_and_tests(void **state)
{
	static const char text[] = ROT("")
	    "hosts = ( { name = \"h\"; }, { name = \"far\"; } );\n"
	    "services = (\n"
	    " { name = \"web\"; host = \"h\"; kind = \"nginx\";\n"
	    "   refs = ( { id = \"https\"; type = \"file\"; path = \"old.pem\"; } ); },\n"
	    " { name = \"mta\"; host = \"h\"; kind = \"postfix\";\n"
	    "   refs = ( { id = \"smtp\"; type = \"file\"; path = \"old.pem\"; endpoint = \"127.0.0.1:25\";\n"
	    "              sni = \"mail.contoso.com\"; } ); },\n"
	    " { name = \"lb\"; host = \"h\"; kind = \"haproxy\"; run_test = [ \"haproxy\", \"-c\", \"-f\", \"{service}.cfg\" ];\n"
	    "   refs = ( { id = \"pem\"; type = \"file\"; path = \"new.pem\"; cert = \"sha1:@OLD1@\"; } ); },\n"
	    " { name = \"remote\"; host = \"far\"; kind = \"nginx\";\n"
	    "   refs = ( { id = \"b\"; type = \"binding\"; cert = \"sha1:@OLD1@\"; } ); }\n"
	    ");\n";
	struct fixture f;
	const struct plan_step *s;
	struct json_object *o, *v;
	int dflt;

	(void)state;
	build(&f, text, P.old, "file:old.pem", P.new, 0, -1);
	s = step(f.plan, "04-rebind-h-mta-smtp");
	assert_int_equal(s->variant, PLAN_V_REBIND_FILE);
	assert_int_equal(s->nfrefs, 2);
	assert_int_equal(ref(f.plan, "web", "https")->step, ref(f.plan, "mta", "smtp")->step);
	assert_non_null(strstr(s->description, "install the new certificate in 'old.pem' (leaf, chain)"));
	assert_non_null(strstr(s->description, "; the file is shared with ref web/https"));
	assert_int_equal(s->nwrites, 1);
	assert_string_equal(s->writes[0].order, "leaf, chain");
	assert_false(s->writes[0].key);
	/* the sni and the endpoint of the shared ref count for the step's checks */
	assert_ids(s->pre, s->npre, "new.load new.validity new.chain new.eku sigalg keyalg ref.resolve "
	    "file.layout key.mode endpoint endpoint.sni endpoint.chain");
	o = plan_step_json(f.plan, s);
	assert_true(json_object_object_get_ex(o, "refs", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_true(json_object_object_get_ex(o, "writes", &v));
	json_object_put(o);
	/* one rebind for the shared file, one for lb's, one binding: 3; 4 restarts */
	assert_int_equal(f.plan->nsteps, 1 + 3 + 4 + 1);

	s = step(f.plan, "08-restart-h-web");
	assert_non_null(s->test);
	assert_string_equal(s->test->v[0], "nginx");
	assert_true(s->test_is_default);
	assert_ids(s->pre, s->npre, "config.test");
	s = step(f.plan, "07-restart-h-mta");
	assert_string_equal(s->test->v[0], "postfix");
	s = step(f.plan, "06-restart-h-lb");
	assert_false(s->test_is_default);
	assert_string_equal(s->test->v[3], "{service}.cfg");
	o = plan_step_json(f.plan, s);
	assert_true(json_object_object_get_ex(o, "test_from", &v));
	assert_string_equal(json_object_get_string(v), "run_test");
	json_object_put(o);
	/* a service on another host with no file ref: no default test */
	s = step(f.plan, "05-restart-far-remote");
	assert_null(s->test);
	assert_int_equal(s->npre, 0);
	assert_null(plan_service_test(&f.cfg->services[plan_config_service(f.cfg, "remote")], &dflt));
	assert_null(plan_kind_test("iis"));
	assert_string_equal(plan_kind_test("apache")->v[0], "apachectl");
	release(&f);
}

static void
test_same_cert_refused(void **state)
{
	struct plan_config *cfg = NULL;
	struct plan_inputs *in = cr_xcalloc(1, sizeof(*in));
	struct plan *p = NULL;
	struct cr_err err;

	(void)state;
	cr_err_clear(&err);
	assert_int_equal(plan_config_parse(ROT(""), "certrotate.cfg", ".", &cfg, &err), CR_OK);
	in->old = cert(P.old, "a");
	in->new = cert(P.old, "b");
	assert_int_equal(plan_build(cfg, in, &p, &err), CR_EINPUT);
	assert_null(p);
	assert_non_null(strstr(err.msg, "certrotate.cfg:3: rotation.new: is the same certificate"));
	plan_inputs_free(in);
	plan_config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_mail_details),
		cmocka_unit_test(test_identity_kinds),
		cmocka_unit_test(test_ambiguous_names),
		cmocka_unit_test(test_name_index),
		cmocka_unit_test(test_match_order),
		cmocka_unit_test(test_near_miss),
		cmocka_unit_test(test_many_distinct),
		cmocka_unit_test(test_protected),
		cmocka_unit_test(test_hooks_and_keep),
		cmocka_unit_test(test_grant_shared),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_deterministic_json),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_rename_names),
		cmocka_unit_test(test_same_cert_refused),
		cmocka_unit_test(test_shared_file_and_tests),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
