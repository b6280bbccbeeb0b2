/*
 * Unit tests: kind files (runbook/kind.c, kinds.c) and the shipped kinds/.
 *
 *  - every shipped kind loads and validates, and says what the issue and
 *    the vendors' documentation require of it (a table of must-haves);
 *  - malformed kind files are refused with FILE:LINE and the setting;
 *    files that are not regular, too large or missing are refused;
 *  - the group of a ref (adfs, wap), the fallback to generic, where the
 *    kinds are read from;
 *  - rendering a good kind of the test's own ({{, script blocks).
 * Rendering the shipped kinds with hostile values: test_kindrender.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../runbook/kind.h"
#include "../../plan/plan.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *self_path;	/* argv[0]: this test binary (not valgrind's) */

static const char *const shipped[] = {
	"iis", "exchange", "exchange-connector", "adfs", "wap",
	"nginx", "apache", "postfix", "haproxy", "generic",
};

static char *
kinds_dir(void)
{
	const char *src = getenv("SRCDIR");

	return cr_xasprintf("%s/kinds", src != NULL ? src : ".");
}

static char *
work_path(const char *name)
{
	const char *w = getenv("WORK");

	return cr_xasprintf("%s/%s", w != NULL ? w : "/tmp", name);
}

static struct book_kind *
load_shipped(const char *name)
{
	char *dir = kinds_dir();
	struct book_kind *k = NULL;
	struct cr_err err;

	if (book_kind_load(dir, name, &k, &err) != CR_OK)
		fail_msg("shipped kind '%s' does not load: %s", name, err.msg);
	free(dir);
	return k;
}

/* ---- the shipped kinds --------------------------------------------------------- */

static void
test_shipped_load(void **state)
{
	size_t i, t, g;

	(void)state;
	for (i = 0; i < N(shipped); i++) {
		struct book_kind *k = load_shipped(shipped[i]);
		size_t nsteps = 0;

		assert_string_equal(k->name, shipped[i]);
		assert_non_null(k->description);
		for (t = 0; t < PLAN_NSTEPTYPES; t++)
			for (g = 0; g < k->ngroups[t]; g++) {
				const struct book_group *gr = &k->groups[t][g];

				nsteps++;
				assert_non_null(gr->what);
				if (strcmp(shipped[i], "generic") == 0)
					continue;
				/* a step that changes something says how to check it and undo it */
				if (gr->cmd[BOOK_DO].n > 0 && (gr->cmd[BOOK_VERIFY].n == 0 ||
				    gr->cmd[BOOK_UNDO].n == 0))
					fail_msg("kind %s: %s group %zu has commands but no verify or undo",
					    shipped[i], plan_step_type_name((enum plan_step_type)t), g);
				if (gr->cmd[BOOK_DO].n == 0 && gr->cmd[BOOK_VERIFY].n == 0)
					fail_msg("kind %s: %s group %zu has neither commands nor verify",
					    shipped[i], plan_step_type_name((enum plan_step_type)t), g);
			}
		assert_true(nsteps > 0);
		book_kind_free(k);
	}
}

/* Every NAME.cfg in kinds/ is a shipped kind, so none escapes the test above. */
static void
test_shipped_list(void **state)
{
	char *dir = kinds_dir(), *cmd = cr_xasprintf("ls '%s'", dir), line[256];
	FILE *p = popen(cmd, "r");
	size_t n = 0, i;

	(void)state;
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line) < 5 || strcmp(line + strlen(line) - 4, ".cfg") != 0)
			fail_msg("kinds/%s: not a kind file", line);
		line[strlen(line) - 4] = '\0';
		for (i = 0; i < N(shipped); i++)
			if (strcmp(shipped[i], line) == 0)
				break;
		if (i == N(shipped))
			fail_msg("kinds/%s.cfg is not in the test's list of shipped kinds", line);
		n++;
	}
	pclose(p);
	assert_int_equal(n, N(shipped));
	free(cmd);
	free(dir);
}

/* What the issue asks of each kind, looked for in its templates and notes. */
static void
test_shipped_content(void **state)
{
	enum { NOTES = BOOK_NPARTS, TEST_NOTES };
	static const struct {
		const char *kind;
		enum plan_step_type t;
		const char *ref;
		int part;
		const char *text;
	} t[] = {
		{ "exchange", PLAN_IMPORT, NULL, BOOK_DO, "Import-ExchangeCertificate -Server {host} -FileData" },
		{ "exchange", PLAN_IMPORT, NULL, BOOK_VERIFY, "Get-ExchangeCertificate -Server {host} -Thumbprint {new.sha1}" },
		{ "exchange", PLAN_REBIND, "smtp-iis", BOOK_DO, "Enable-ExchangeCertificate -Server {host} -Thumbprint {new.sha1} -Services" },
		{ "exchange", PLAN_REBIND, "smtp-iis", NOTES, "New-EdgeSubscription" },
		{ "exchange", PLAN_RESTART, NULL, BOOK_DO, "Restart-Service MSExchangeTransport" },
		{ "exchange", PLAN_RETIRE, NULL, BOOK_DO, "Remove-ExchangeCertificate -Thumbprint {old.sha1}" },
		{ "exchange-connector", PLAN_RENAME, "Default Frontend EXCH01", BOOK_DO, "Set-ReceiveConnector -TlsCertificateName {new.tls_name}" },
		{ "exchange-connector", PLAN_RENAME, "x", BOOK_DO, "Set-SendConnector -TlsCertificateName {new.tls_name}" },
		{ "exchange-connector", PLAN_RENAME, "x", BOOK_UNDO, "-TlsCertificateName {old.tls_name}" },
		{ "exchange-connector", PLAN_RENAME, "x", NOTES, "New-EdgeSubscription" },
		{ "exchange-connector", PLAN_RESTART, NULL, BOOK_DO, "Restart-Service MSExchangeFrontEndTransport" },
		{ "exchange-connector", PLAN_RESTART, NULL, BOOK_DO, "Restart-Service MSExchangeTransport" },
		{ "exchange-connector", PLAN_RETIRE, NULL, BOOK_DO, "Remove-ExchangeCertificate" },
		{ "adfs", PLAN_REBIND, "service-communications", BOOK_DO, "Set-AdfsCertificate -CertificateType Service-Communications -Thumbprint {new.sha1}" },
		{ "adfs", PLAN_REBIND, "httpsys", BOOK_DO, "Set-AdfsSslCertificate -Thumbprint {new.sha1}" },
		{ "adfs", PLAN_REBIND, "other", BOOK_DO, "Set-AdfsSslCertificate -Thumbprint {new.sha1}" },
		{ "adfs", PLAN_REBIND, "other", BOOK_DO, "Set-AdfsCertificate -CertificateType Service-Communications" },
		{ "adfs", PLAN_GRANT, NULL, BOOK_DO, "/grant ({account} + ':(R)')" },
		{ "adfs", PLAN_RESTART, NULL, BOOK_DO, "Restart-Service adfssrv" },
		{ "wap", PLAN_REBIND, "proxy-ssl", BOOK_DO, "Set-WebApplicationProxySslCertificate -Thumbprint {new.sha1}" },
		{ "wap", PLAN_REBIND, "OWA", BOOK_DO, "Get-WebApplicationProxyApplication | Where-Object Name -eq {ref} | Set-WebApplicationProxyApplication -ExternalCertificateThumbprint {new.sha1}" },
		{ "wap", PLAN_REBIND, "OWA", BOOK_VERIFY, "Where-Object ExternalCertificateThumbprint -eq {old.sha1}" },
		/* an iis ref is one binding, named by its binding information (IP:PORT:HOST) */
		{ "iis", PLAN_REBIND, "*:443:mail.contoso.com", BOOK_DO, "Get-WebBinding -Protocol https | Where-Object bindingInformation -eq {ref} | Where-Object certificateHash -eq {old.sha1}" },
		/* HTTP.sys refuses to add a binding that is there (error 183): removed first */
		{ "iis", PLAN_REBIND, "*:443:", BOOK_DO, "$_.RemoveSslCertificate(); $_.AddSslCertificate({new.sha1}, 'My')" },
		{ "iis", PLAN_REBIND, "*:443:", BOOK_UNDO, "Where-Object bindingInformation -eq {ref} | Where-Object certificateHash -eq {new.sha1} | ForEach-Object { $_.RemoveSslCertificate(); $_.AddSslCertificate({old.sha1}, 'My') }" },
		{ "iis", PLAN_REBIND, "*:443:", BOOK_VERIFY, "IIS:\\SslBindings | Where-Object Thumbprint -eq {old.sha1}" },
		{ "iis", PLAN_REBIND, "*:443:", NOTES, "exactly ONE binding" },
		{ "iis", PLAN_GRANT, NULL, BOOK_DO, "icacls" },
		{ "nginx", PLAN_RESTART, NULL, BOOK_DO, "systemctl reload nginx" },
		{ "nginx", PLAN_RESTART, NULL, TEST_NOTES, "test is successful" },
		{ "apache", PLAN_RESTART, NULL, BOOK_DO, "systemctl reload apache2" },
		{ "apache", PLAN_RESTART, NULL, TEST_NOTES, "Syntax OK" },
		{ "postfix", PLAN_RESTART, NULL, BOOK_DO, "systemctl reload postfix" },
		{ "postfix", PLAN_RESTART, NULL, TEST_NOTES, "prints nothing when it passes" },
		{ "haproxy", PLAN_RESTART, NULL, BOOK_DO, "systemctl reload haproxy" },
		{ "haproxy", PLAN_RESTART, NULL, TEST_NOTES, "Configuration file is valid" },
		{ "nginx", PLAN_REBIND, "tls-file", BOOK_VERIFY, "grep -i -- {new.sha256}" },
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < N(t); i++) {
		struct book_kind *k = load_shipped(t[i].kind);
		const struct book_group *g = book_kind_group(k, t[i].t, t[i].ref);
		const struct book_lines *l;
		int found = 0;

		if (g == NULL)
			fail_msg("kind %s has no %s group for '%s'", t[i].kind,
			    plan_step_type_name(t[i].t), t[i].ref ? t[i].ref : "");
		l = t[i].part == NOTES ? &g->notes : t[i].part == TEST_NOTES ? &g->test_notes :
		    &g->cmd[t[i].part];
		for (j = 0; j < l->n; j++)
			if (strstr(l->v[j], t[i].text) != NULL)
				found = 1;
		if (!found)
			fail_msg("kind %s, %s: no '%s'", t[i].kind, plan_step_type_name(t[i].t), t[i].text);
		book_kind_free(k);
	}
}

/*
 * One owner of the configuration test (kind.h, book_step_test): the kinds
 * with a default test (plan/svctest.c) say how to read it in test_notes,
 * naming its program, and none of them repeats a test in the restart's
 * commands - every shipped kind's restart do and undo is free of the
 * default tests' programs.
 */
static void
test_config_test_owner(void **state)
{
	static const char *const tested[] = { "nginx", "apache", "haproxy", "postfix" };
	size_t i, j, p, n;

	(void)state;
	for (i = 0; i < N(tested); i++) {
		const struct plan_argv *a = plan_kind_test(tested[i]);
		struct book_kind *k = load_shipped(tested[i]);
		const struct book_group *g = book_kind_group(k, PLAN_RESTART, NULL);
		int named = 0;

		assert_non_null(a);
		assert_non_null(g);
		for (j = 0; j < g->test_notes.n; j++)
			named |= strstr(g->test_notes.v[j], a->v[0]) != NULL;
		if (!named)
			fail_msg("kind %s: test_notes do not say how to read '%s'", tested[i], a->v[0]);
		book_kind_free(k);
	}
	for (i = 0; i < N(shipped); i++) {
		struct book_kind *k = load_shipped(shipped[i]);
		const struct book_group *g = book_kind_group(k, PLAN_RESTART, NULL);

		for (p = 0; g != NULL && p < BOOK_NPARTS; p++)
			for (n = 0; n < g->cmd[p].n; n++)
				for (j = 0; j < N(tested); j++) {
					const struct plan_argv *a = plan_kind_test(tested[j]);
					char *line = cr_xasprintf("%s %s", a->v[0], a->v[1]);

					if (strstr(g->cmd[p].v[n], line) != NULL)
						fail_msg("kind %s: restart %s repeats the test '%s'", shipped[i],
						    book_part_name((enum book_part)p), line);
					free(line);
				}
		book_kind_free(k);
	}
}

/* The ref chooses the group: adfs, wap; none matching and no fallback: none. */
static void
test_group_choice(void **state)
{
	struct book_kind *k = load_shipped("adfs"), *w = load_shipped("wap");
	const struct book_group *a = book_kind_group(k, PLAN_REBIND, "service-communications");
	const struct book_group *b = book_kind_group(k, PLAN_REBIND, "httpsys");
	const struct book_group *c = book_kind_group(k, PLAN_REBIND, "anything");

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_true(a != b && b != c && a != c);
	assert_int_equal(a->cmd[BOOK_DO].n, 1);
	assert_int_equal(c->cmd[BOOK_DO].n, 2);
	assert_ptr_equal(book_kind_group(k, PLAN_REBIND, NULL), c);
	/* ids are compared exactly */
	assert_ptr_equal(book_kind_group(k, PLAN_REBIND, "HTTPSYS"), c);
	assert_null(book_kind_group(k, PLAN_RENAME, "x"));
	assert_non_null(strstr(book_kind_group(w, PLAN_REBIND, "proxy-ssl")->cmd[BOOK_DO].v[0],
	    "Set-WebApplicationProxySslCertificate"));
	assert_non_null(strstr(book_kind_group(w, PLAN_REBIND, "ADFS")->cmd[BOOK_DO].v[0],
	    "Set-WebApplicationProxyApplication"));
	book_kind_free(k);
	book_kind_free(w);
}

static void
test_kinds_set(void **state)
{
	char *dir = kinds_dir();
	struct book_kinds *ks = book_kinds_new(dir);
	const struct book_kind *k, *k2;
	const struct book_group *g;
	struct cr_err err;

	(void)state;
	assert_string_equal(book_kinds_path(ks), dir);
	/* nginx has no import: generic's */
	assert_int_equal(book_kinds_step(ks, "nginx", PLAN_IMPORT, NULL, &k, &g, &err), CR_OK);
	assert_string_equal(k->name, "generic");
	assert_non_null(g);
	assert_int_equal(book_kinds_step(ks, "nginx", PLAN_RESTART, NULL, &k, &g, &err), CR_OK);
	assert_string_equal(k->name, "nginx");
	/* loaded once */
	assert_int_equal(book_kinds_get(ks, "nginx", &k2, &err), CR_OK);
	assert_ptr_equal(k, k2);
	assert_int_equal(book_kinds_get(ks, NULL, &k2, &err), CR_OK);
	assert_string_equal(k2->name, "generic");
	/* a service without kind: generic */
	assert_int_equal(book_kinds_step(ks, NULL, PLAN_REBIND, "r", &k, &g, &err), CR_OK);
	assert_string_equal(k->name, "generic");
	/* unknown kind, bad names */
	assert_int_equal(book_kinds_get(ks, "lotus-notes", &k, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_NOT_FOUND);
	assert_non_null(strstr(err.msg, "unknown kind 'lotus-notes': no file '"));
	assert_null(k);
	assert_int_equal(book_kinds_get(ks, "../etc/passwd", &k, &err), CR_EINPUT);
	assert_non_null(strstr(err.msg, "bad kind name '../etc/passwd'"));
	assert_int_equal(book_kinds_get(ks, ".hidden", &k, &err), CR_EINPUT);
	book_kinds_free(ks);
	book_kinds_free(NULL);
	free(dir);
}

static void
test_kinds_dir(void **state)
{
	const char *why;
	char *d;

	(void)state;
	d = book_kinds_dir("/a", "/b", &why);
	assert_string_equal(d, "/a");
	assert_string_equal(why, "--kinds");
	free(d);
	d = book_kinds_dir(NULL, "/b", &why);
	assert_string_equal(d, "/b");
	assert_string_equal(why, "kinds_dir");
	free(d);
	d = book_kinds_dir("", "", &why);
	/* the test binary is in BUILD/tests/, not BUILD/: no source tree beside it */
	assert_string_equal(why, "installed");
	assert_string_equal(d, CR_KINDS_DIR);
	free(d);
}

/*
 * A binary in TREE/build/ with TREE/kinds/generic.cfg reads TREE/kinds: a
 * copy of this test binary placed so, run with --kinds-dir (see main),
 * prints what it found.
 */
static void
test_kinds_dir_source_tree(void **state)
{
	char *tree = work_path("tree"), *cmd, out[512] = "";
	FILE *p;

	(void)state;
	cmd = cr_xasprintf("rm -rf '%s' && mkdir -p '%s/build' '%s/kinds' && cp '%s' '%s/build/cr' && "
	    "touch '%s/kinds/generic.cfg' && '%s/build/cr' --kinds-dir", tree, tree, tree, self_path,
	    tree, tree, tree);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (fgets(out, sizeof(out), p) == NULL)
		out[0] = '\0';
	assert_int_equal(pclose(p), 0);
	free(cmd);
	cmd = cr_xasprintf("%s/kinds (source tree)\n", tree);
	assert_string_equal(out, cmd);
	free(cmd);
	/* without generic.cfg it is not a source tree: the installed directory */
	cmd = cr_xasprintf("rm '%s/kinds/generic.cfg' && '%s/build/cr' --kinds-dir", tree, tree);
	p = popen(cmd, "r");
	assert_non_null(fgets(out, sizeof(out), p));
	pclose(p);
	free(cmd);
	cmd = cr_xasprintf("%s (installed)\n", CR_KINDS_DIR);
	assert_string_equal(out, cmd);
	free(cmd);
	free(tree);
}

/* Which kind a step shows, and the values a step gives its placeholders. */
static void
test_step_kind_and_vars(void **state)
{
	struct plan_host h1 = { .name = "exch01" }, h2 = { .name = "web1" };
	struct plan_service ex = { .name = "exchange", .kind = "exchange", .account = "NETWORK SERVICE" };
	struct plan_service conn = { .name = "frontend", .kind = "exchange-connector" };
	struct plan_service web = { .name = "web", .kind = NULL };
	struct plan_ref ref = { .id = "Default Frontend EXCH01", .endpoint = "10.0.0.5:25",
	    .file_path = NULL };
	struct plan_step steps[] = {
		{ .type = PLAN_IMPORT, .host = "token:edge" },
		{ .type = PLAN_IMPORT, .host = "exch01", .host_cfg = &h1 },
		{ .type = PLAN_IMPORT, .host = "web1", .host_cfg = &h2 },
		{ .type = PLAN_GRANT, .host = "exch01", .host_cfg = &h1, .service = &ex,
		  .account = "CONTOSO\\svc" },
		{ .type = PLAN_REBIND, .host = "exch01", .host_cfg = &h1, .service = &ex },
		{ .type = PLAN_RENAME, .host = "exch01", .host_cfg = &h1, .service = &conn, .ref = &ref },
		{ .type = PLAN_RESTART, .host = "web1", .host_cfg = &h2, .service = &web },
		{ .type = PLAN_RETIRE, .host = "local" },
	};
	struct plan p = { .steps = steps, .nsteps = N(steps) };
	struct book_vars v = { .host = "stale", .new_cert = { .sha1 = "AB" } };

	(void)state;
	assert_null(book_step_kind(&p, &steps[0]));
	assert_string_equal(book_step_kind(&p, &steps[1]), "exchange");
	assert_null(book_step_kind(&p, &steps[2]));		/* web has no kind */
	assert_string_equal(book_step_kind(&p, &steps[3]), "exchange");
	assert_string_equal(book_step_kind(&p, &steps[5]), "exchange-connector");
	assert_null(book_step_kind(&p, &steps[7]));
	/* a rename: the ref's values, the service's account; certificates kept */
	book_vars_step(&v, &steps[5]);
	assert_string_equal(v.host, "exch01");
	assert_string_equal(v.service, "frontend");
	assert_null(v.account);
	assert_string_equal(v.ref, "Default Frontend EXCH01");
	assert_string_equal(v.endpoint, "10.0.0.5:25");
	assert_null(v.path);
	assert_string_equal(v.new_cert.sha1, "AB");
	/* a grant: its own account */
	book_vars_step(&v, &steps[3]);
	assert_string_equal(v.account, "CONTOSO\\svc");
	assert_null(v.ref);
	/* a rebind without account of its own: the service's */
	book_vars_step(&v, &steps[4]);
	assert_string_equal(v.account, "NETWORK SERVICE");
	/* a certificate's values from its description */
	{
		struct crt_info info = { .sha1 = "S1", .sha256 = "S256", .subject = "CN=s",
		    .issuer = "CN=i", .tls_name = "<I>CN=i<S>CN=s" };

		book_vars_cert(&v.old_cert, &info, "/x/old.pem");
		assert_string_equal(v.old_cert.sha1, "S1");
		assert_string_equal(v.old_cert.sha256, "S256");
		assert_string_equal(v.old_cert.subject, "CN=s");
		assert_string_equal(v.old_cert.issuer, "CN=i");
		assert_string_equal(v.old_cert.tls_name, "<I>CN=i<S>CN=s");
		assert_string_equal(v.old_cert.pem, "/x/old.pem");
	}
	/* the import onto a token: a host only */
	book_vars_step(&v, &steps[0]);
	assert_string_equal(v.host, "token:edge");
	assert_null(v.service);
	assert_null(v.account);
}

/* ---- malformed kind files --------------------------------------------------------- */

#define OKSTEP "restart = { what = \"r\"; do = [ \"systemctl reload x\" ]; };\n"

static void
test_malformed(void **state)
{
	static const struct { const char *text, *msg; int reason; } t[] = {
		{ "shell = \"sh\";\ndescription = \"d\";\ncolour = 1;\n" OKSTEP,
		  "k.cfg:3: colour: unknown setting 'colour' (known: shell, description, import, grant, "
		  "rebind, rename, restart, retire)", CR_R_CONFIG },
		{ "description = \"d\";\n" OKSTEP, "k.cfg:1: missing setting 'shell'", CR_R_CONFIG },
		{ "shell = \"bash\";\ndescription = \"d\";\n" OKSTEP,
		  "k.cfg:1: shell: unknown shell 'bash' (known: sh, powershell)", CR_R_CONFIG },
		{ "shell = 1;\n", "k.cfg:1: shell: must be a string, not a number", CR_R_CONFIG },
		{ "shell = \"sh\";\n" OKSTEP, "k.cfg:1: missing setting 'description'", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\n", "k.cfg:1: the kind has no step", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrestart = { do = [ \"x\" ]; };\n",
		  "k.cfg:3: restart: missing setting 'what'", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrestart = {\n what = \"r\";\n do = [ \"x {hots}\" ];\n};\n",
		  "k.cfg:5: restart.do.[0]: unknown placeholder '{hots}' (known in a restart step: {new.*}, "
		  "{old.*}, {host}, {service}, {account}", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrestart = {\n what = \"r\";\n verify = [ \"ok\",\n  \"x {ref}\" ];\n};\n",
		  "k.cfg:6: restart.verify.[1]: placeholder '{ref}' is not available in a restart step", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nretire = { what = \"r\"; undo = [ \"x {service}\" ]; };\n",
		  "k.cfg:3: retire.undo.[0]: placeholder '{service}' is not available in a retire step", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nimport = { what = \"r\"; do = [ \"x {new.sha1\" ]; };\n",
		  "k.cfg:3: import.do.[0]: unterminated placeholder '{new.sha1'", CR_R_CONFIG },
		{ "shell = \"powershell\";\ndescription = \"d\";\nrebind = {\n what = \"r\";\n do = [ \"Set-X -Name:{ref}\" ];\n};\n",
		  "k.cfg:5: rebind.do.[0]: placeholder '{ref}' is glued to other text", CR_R_CONFIG },
		{ "shell = \"powershell\";\ndescription = \"d\";\nrebind = { what = \"r\"; do = [ \"x {ref}.txt\" ]; };\n",
		  "placeholder '{ref}' is glued to other text", CR_R_CONFIG },
		{ "shell = \"powershell\";\ndescription = \"d\";\nrebind = { what = \"r\"; do = [ \"x '{ref}'\" ]; };\n",
		  "placeholder '{ref}' is glued to other text", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrebind = { what = \"r\"; do = [ \"a\\tb\" ]; };\n",
		  "k.cfg:3: rebind.do.[0]: holds a control character", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrebind = { what = \"r\"; do = [ \"\" ]; };\n",
		  "k.cfg:3: rebind.do.[0]: empty", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrebind = { what = \"r\"; do = \"x\"; };\n",
		  "k.cfg:3: rebind.do: must be a list of strings, not a string", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrebind = { what = \"r\"; do = [ 1 ]; };\n",
		  "k.cfg:3: rebind.do.[0]: must be a string, not a number", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrebind = { what = \"r\"; steps = [ ]; };\n",
		  "k.cfg:3: rebind.steps: unknown setting 'steps' (known: what, refs, do, verify, undo, notes)",
		  CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrestart = { what = \"r\"; refs = [ \"a\" ]; };\n",
		  "k.cfg:3: restart.refs: refs chooses among the groups of a rebind or rename step", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrestart = ( { what = \"r\"; } );\n",
		  "k.cfg:3: restart: must be a group, not a list", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrebind = { what = \"r\"; test_notes = [ \"x\" ]; };\n",
		  "k.cfg:3: rebind.test_notes: test_notes says how to read the configuration test run "
		  "before a restart: a rebind step has none", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrestart = { what = \"r\"; test_notes = [ \"see {host}\" ]; };\n",
		  "k.cfg:3: restart.test_notes.[0]: placeholder '{host}' in text for people", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrestart = { what = \"r\"; tests = [ \"x\" ]; };\n",
		  "restart.tests: unknown setting 'tests' (known: what, do, verify, undo, notes, test_notes)",
		  CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nimport = { what = \"r\"; tests = [ \"x\" ]; };\n",
		  "import.tests: unknown setting 'tests' (known: what, do, verify, undo, notes)",
		  CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrebind = (\n { what = \"all\"; },\n { refs = [ \"a\" ]; what = \"a\"; }\n);\n",
		  "k.cfg:4: rebind.[0]: a group without refs applies to every other ref: it comes last", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrebind = (\n { refs = [ \"a\" ]; what = \"a\"; },\n { refs = [ \"b\", \"a\" ]; what = \"b\"; }\n);\n",
		  "rebind: ref 'a' is listed twice", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrebind = { refs = [ ]; what = \"a\"; };\n",
		  "k.cfg:3: rebind.refs: is empty", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrebind = ( );\n",
		  "k.cfg:3: rebind: is an empty list", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrebind = { what = \"r\"; notes = [ \"see {host}\" ]; };\n",
		  "k.cfg:3: rebind.notes.[0]: placeholder '{host}' in text for people", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrebind = { what = \"for {ref}\"; };\n",
		  "k.cfg:3: rebind.what: placeholder '{ref}' in text for people", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\n  @include \"/etc/passwd\"\n" OKSTEP,
		  "k.cfg:3: @include is not allowed in a kind file", CR_R_CONFIG },
		{ "shell = \"sh\";\ndescription = \"d\";\nrestart = { what = ; };\n", "k.cfg:3: syntax error",
		  CR_R_MALFORMED },
		{ "shell = \"sh\";\nshell = \"sh\";\n", "k.cfg:2: duplicate setting name", CR_R_MALFORMED },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		struct book_kind *k = (struct book_kind *)1;
		struct cr_err err;
		int r = book_kind_parse(t[i].text, strlen(t[i].text), "k", "k.cfg", &k, &err);

		if (r != CR_EINPUT)
			fail_msg("case %zu: status %d, expected %d", i, r, CR_EINPUT);
		assert_null(k);
		if (strstr(err.msg, t[i].msg) == NULL)
			fail_msg("case %zu: message\n  %s\nlacks\n  %s", i, err.msg, t[i].msg);
		if ((int)err.reason != t[i].reason)
			fail_msg("case %zu: reason %s", i, cr_reason_name(err.reason));
	}
}

/* A good kind from text: {{ is a brace, PowerShell script blocks pass. */
static void
test_parse_good(void **state)
{
	static const char text[] =
	    "shell = \"powershell\";\ndescription = \"d\";\n"
	    "rebind = (\n"
	    " { refs = [ \"a b\" ]; what = \"for a b\"; do = [ \"Get-X | Where-Object { $_.Name -eq {ref} }\" ]; },\n"
	    " { what = \"rest\"; do = [ \"Set-X ({host} + '\\\\' + {ref})\", \"Write-Output '{{ref}'\" ]; }\n"
	    ");\n";
	struct book_kind *k;
	struct book_vars v = { .host = "EXCH01", .ref = "Default Frontend EXCH01" };
	const struct book_group *g;
	struct cr_err err;
	char **lines;
	size_t n;

	(void)state;
	if (book_kind_parse(text, strlen(text), "t", "t.cfg", &k, &err) != CR_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(k->shell, BOOK_POWERSHELL);
	g = book_kind_group(k, PLAN_REBIND, "a b");
	assert_int_equal(g->line, 4);
	assert_int_equal(book_render(k, g, BOOK_DO, &v, &lines, &n, &err), CR_OK);
	assert_int_equal(n, 1);
	assert_string_equal(lines[0], "Get-X | Where-Object { $_.Name -eq 'Default Frontend EXCH01' }");
	book_lines_free(lines, n);
	g = book_kind_group(k, PLAN_REBIND, "other");
	assert_int_equal(book_render(k, g, BOOK_DO, &v, &lines, &n, &err), CR_OK);
	assert_int_equal(n, 2);
	assert_string_equal(lines[0], "Set-X ('EXCH01' + '\\' + 'Default Frontend EXCH01')");
	assert_string_equal(lines[1], "Write-Output '{ref}'");
	book_lines_free(lines, n);
	/* a part without commands renders to nothing */
	assert_int_equal(book_render(k, g, BOOK_UNDO, &v, &lines, &n, &err), CR_OK);
	assert_int_equal(n, 0);
	book_lines_free(lines, n);
	/* a value the step does not have: the command is left out, saying so -
	   not run with an empty argument */
	v.host = NULL;
	assert_int_equal(book_render(k, g, BOOK_DO, &v, &lines, &n, &err), CR_OK);
	assert_int_equal(n, 2);
	assert_string_equal(lines[0], "# left out: this step has no {host} for: Set-X ({host} + '\\' + {ref})");
	assert_string_equal(lines[1], "Write-Output '{ref}'");
	book_lines_free(lines, n);
	book_kind_free(k);
}

static void
test_file_rules(void **state)
{
	char *dir = work_path("kfiles"), *p;
	struct book_kind *k;
	struct cr_err err;
	FILE *f;
	size_t i;

	(void)state;
	mkdir(dir, 0700);
	/* a FIFO is refused at once, without blocking on it */
	p = cr_xasprintf("%s/fifo.cfg", dir);
	unlink(p);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(book_kind_load(dir, "fifo", &k, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_NOT_REGULAR);
	assert_non_null(strstr(err.msg, "not a regular file"));
	free(p);
	/* a directory */
	p = cr_xasprintf("%s/dir.cfg", dir);
	mkdir(p, 0700);
	assert_int_equal(book_kind_load(dir, "dir", &k, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_NOT_REGULAR);
	free(p);
	/* too large */
	p = cr_xasprintf("%s/big.cfg", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	for (i = 0; i <= BOOK_KIND_MAX_BYTES; i += 16)
		fputs("# padding pad..\n", f);	/* 16 bytes a line */
	fclose(f);
	assert_int_equal(book_kind_load(dir, "big", &k, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_TOO_LARGE);
	assert_non_null(strstr(err.msg, "larger than the limit of 262144 bytes"));
	free(p);
	/* a NUL byte */
	p = cr_xasprintf("%s/nul.cfg", dir);
	f = fopen(p, "w");
	fwrite("shell = \"sh\";\0", 1, 14, f);
	fclose(f);
	assert_int_equal(book_kind_load(dir, "nul", &k, &err), CR_EINPUT);
	assert_non_null(strstr(err.msg, "holds a NUL byte"));
	free(p);
	/* missing */
	assert_int_equal(book_kind_load(dir, "none", &k, &err), CR_EINPUT);
	assert_int_equal(err.reason, CR_R_NOT_FOUND);
	/* an error inside names the file's path */
	p = cr_xasprintf("%s/bad.cfg", dir);
	f = fopen(p, "w");
	fputs("shell = \"sh\";\ndescription = \"d\";\nrestart = { what = \"w\"; do = [ \"{x}\" ]; };\n", f);
	fclose(f);
	assert_int_equal(book_kind_load(dir, "bad", &k, &err), CR_EINPUT);
	{
		char *want = cr_xasprintf("%s:3: restart.do.[0]: unknown placeholder '{x}'", p);

		if (strstr(err.msg, want) == NULL)
			fail_msg("'%s' lacks '%s'", err.msg, want);
		free(want);
	}
	free(p);
	free(dir);
}

int
main(int argc, char **argv)
{
	self_path = argv[0];
	if (argc == 2 && strcmp(argv[1], "--kinds-dir") == 0) {
		const char *why;
		char *d = book_kinds_dir(NULL, NULL, &why);

		printf("%s (%s)\n", d, why);
		free(d);
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_load),
		cmocka_unit_test(test_shipped_list),
		cmocka_unit_test(test_shipped_content),
		cmocka_unit_test(test_config_test_owner),
		cmocka_unit_test(test_group_choice),
		cmocka_unit_test(test_kinds_set),
		cmocka_unit_test(test_kinds_dir),
		cmocka_unit_test(test_kinds_dir_source_tree),
		cmocka_unit_test(test_step_kind_and_vars),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_file_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
