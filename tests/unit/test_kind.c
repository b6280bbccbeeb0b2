/*
 * Unit tests: kind files (runbook/kind.c, kinds.c) and the shipped kinds/.
 *
 *  - every shipped kind loads and validates, and says what the issue and
 *    the vendors' documentation require of it (a table of must-haves);
 *  - malformed kind files are refused with FILE:LINE and the setting;
 *    files that are not regular, too large or missing are refused;
 *  - the group of a ref (adfs, wap), the fallback to generic;
 *  - rendering with hostile values: PowerShell lines stay printable ASCII
 *    with every value a literal; for every sh kind, every rendered command
 *    is RUN by /bin/sh against stub programs on PATH, which record their
 *    argv: nothing but the programs the template names ran, and each
 *    received exactly the bytes of its values.
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
	enum { NOTES = BOOK_NPARTS };
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
		{ "iis", PLAN_REBIND, "Default Web Site", BOOK_DO, "Get-WebBinding -Name {ref} -Protocol https" },
		{ "iis", PLAN_REBIND, "Default Web Site", BOOK_DO, "AddSslCertificate({new.sha1}, 'My')" },
		{ "iis", PLAN_REBIND, "Default Web Site", BOOK_VERIFY, "IIS:\\SslBindings | Where-Object Thumbprint -eq {old.sha1}" },
		{ "iis", PLAN_GRANT, NULL, BOOK_DO, "icacls" },
		{ "nginx", PLAN_RESTART, NULL, BOOK_DO, "nginx -t && systemctl reload nginx" },
		{ "apache", PLAN_RESTART, NULL, BOOK_DO, "apachectl configtest && systemctl reload apache2" },
		{ "postfix", PLAN_RESTART, NULL, BOOK_DO, "postfix check && systemctl reload postfix" },
		{ "haproxy", PLAN_RESTART, NULL, BOOK_DO, "haproxy -c -f /etc/haproxy/haproxy.cfg && systemctl reload haproxy" },
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
		l = t[i].part == NOTES ? &g->notes : &g->cmd[t[i].part];
		for (j = 0; j < l->n; j++)
			if (strstr(l->v[j], t[i].text) != NULL)
				found = 1;
		if (!found)
			fail_msg("kind %s, %s: no '%s'", t[i].kind, plan_step_type_name(t[i].t), t[i].text);
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
		{ "shell = \"sh\";\ndescription = \"d\";\nretire = { what = \"r\"; undo = [ \"x {host}\" ]; };\n",
		  "k.cfg:3: retire.undo.[0]: placeholder '{host}' is not available in a retire step", CR_R_CONFIG },
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
	assert_non_null(strstr(err.msg, "larger than 262144 bytes"));
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

/* ---- rendering with hostile values -------------------------------------------- */

#define SENTINEL "PWNED"

/* Distinct per placeholder, so that each argument tells whose value it is. */
static const struct book_vars hostile = {
	.new_cert = {
		.sha1 = "$(touch " SENTINEL ")",
		.sha256 = "`touch " SENTINEL "`",
		.subject = "CN=x\", O='Contoso; touch " SENTINEL "'",
		.issuer = "CN=\xe2\x80\x99; touch " SENTINEL "; \xe2\x80\x98",
		.tls_name = "<I>CN=A & touch " SENTINEL "<S>CN=B | touch " SENTINEL,
		.pem = "/tmp/new pem\n touch " SENTINEL,
	},
	.old_cert = {
		.sha1 = "'; touch " SENTINEL "; '",
		.sha256 = "$HOME${IFS}*",
		.subject = "\\\"\\'",
		.issuer = "-rf",
		.tls_name = "#comment",
		.pem = "/tmp/old'pem",
	},
	.host = "h$(touch " SENTINEL ")",
	.service = "s`touch " SENTINEL "`",
	.account = "CONTOSO\\svc\xc3\x91'; touch " SENTINEL "; echo '",	/* Ñ: C3 91 */
	.ref = "Default Web Site\xe2\x80\x99 ; touch " SENTINEL " ; '",	/* ’ */
	.endpoint = "10.0.0.5:443 & touch " SENTINEL " &",
	.path = "/etc/tls/x.pem;touch " SENTINEL,
};

/* The value of a placeholder in the hostile set (NULL when not one). */
static const char *
hostile_value(const char *name)
{
	static const struct { const char *name; const char *const *v; } t[] = {
		{ "new.sha1", &hostile.new_cert.sha1 }, { "new.sha256", &hostile.new_cert.sha256 },
		{ "new.subject", &hostile.new_cert.subject }, { "new.issuer", &hostile.new_cert.issuer },
		{ "new.tls_name", &hostile.new_cert.tls_name }, { "new.pem", &hostile.new_cert.pem },
		{ "old.sha1", &hostile.old_cert.sha1 }, { "old.sha256", &hostile.old_cert.sha256 },
		{ "old.subject", &hostile.old_cert.subject }, { "old.issuer", &hostile.old_cert.issuer },
		{ "old.tls_name", &hostile.old_cert.tls_name }, { "old.pem", &hostile.old_cert.pem },
		{ "host", &hostile.host }, { "service", &hostile.service }, { "account", &hostile.account },
		{ "ref", &hostile.ref }, { "endpoint", &hostile.endpoint }, { "path", &hostile.path },
	};
	size_t i;

	for (i = 0; i < N(t); i++)
		if (strcmp(t[i].name, name) == 0)
			return *t[i].v;
	return NULL;
}

/* PowerShell kinds: every rendered line is printable ASCII (quote.h). */
static void
test_render_powershell(void **state)
{
	static const char *const ps[] = { "iis", "exchange", "exchange-connector", "adfs", "wap" };
	size_t i, t, g, p, j, lines_seen = 0, with_ref = 0, with_account = 0;

	(void)state;
	for (i = 0; i < N(ps); i++) {
		struct book_kind *k = load_shipped(ps[i]);

		assert_int_equal(k->shell, BOOK_POWERSHELL);
		for (t = 0; t < PLAN_NSTEPTYPES; t++)
			for (g = 0; g < k->ngroups[t]; g++)
				for (p = 0; p < BOOK_NPARTS; p++) {
					char **lines;
					size_t n;
					struct cr_err err;

					if (book_render(k, &k->groups[t][g], (enum book_part)p, &hostile, &lines,
					    &n, &err) != CR_OK)
						fail_msg("%s: %s", ps[i], err.msg);
					for (j = 0; j < n; j++, lines_seen++) {
						const unsigned char *c;

						for (c = (const unsigned char *)lines[j]; *c; c++)
							if (*c < 0x20 || *c >= 0x7F)
								fail_msg("%s: byte 0x%02X in <%s>", ps[i], *c, lines[j]);
						/* the typographic quote of {ref}, the Ñ of {account}: [char] */
						if (strstr(k->groups[t][g].cmd[p].v[j], "{ref}") != NULL) {
							assert_non_null(strstr(lines[j], "[char]0x2019"));
							with_ref++;
						}
						if (strstr(k->groups[t][g].cmd[p].v[j], "{account}") != NULL) {
							assert_non_null(strstr(lines[j], "[char]0x00D1"));
							with_account++;
						}
					}
					book_lines_free(lines, n);
				}
		book_kind_free(k);
	}
	assert_true(lines_seen > 50);
	assert_true(with_ref >= 10);
	assert_true(with_account >= 4);
}

/* A PowerShell value that is not UTF-8 fails the rendering, naming it. */
static void
test_render_refused(void **state)
{
	struct book_kind *k = load_shipped("wap");
	struct book_vars v = hostile;
	char **lines = (char **)1;
	size_t n = 9;
	struct cr_err err;

	(void)state;
	v.ref = "OWA\xff";
	assert_int_equal(book_render(k, book_kind_group(k, PLAN_REBIND, "x"), BOOK_DO, &v, &lines, &n,
	    &err), CR_EINPUT);
	assert_null(lines);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err.msg, "cannot write the do commands of kind 'wap' ("));
	assert_non_null(strstr(err.msg, "wap.cfg:"));
	assert_non_null(strstr(err.msg, "{ref}: value is not valid UTF-8 (at byte 3)"));
	book_kind_free(k);
}

/* ---- sh kinds: run the rendered commands against stubs ---------------------------- */

struct sandbox {
	char *dir, *bin, *log, *cwd;
};

/* Programs the sh kinds run; each is the same stub recording its argv. */
static const char *const stub_names[] = {
	"install", "cp", "mv", "openssl", "tr", "grep", "nginx", "systemctl", "apachectl",
	"postfix", "postconf", "haproxy", "stub", "touch", "id", "rm", "cat", "sh",
};

/*
 * The stub: its name, its argument count, then each argument, each followed
 * by a NUL, in a file of its own in the directory $STUBLOG (the members of a
 * pipeline run at once: one file each keeps their records whole).  It runs
 * nothing.
 */
static const char stub_script[] =
    "#!/bin/sh\n"
    "{ printf '%s\\000%s\\000' \"${0##*/}\" \"$#\"; for a in \"$@\"; do printf '%s\\000' \"$a\"; done; } >\"$STUBLOG/$$\"\n"
    "exit 0\n";

static void
sandbox_init(struct sandbox *sb)
{
	size_t i;
	char *stub;
	FILE *f;

	sb->dir = work_path("sandbox");
	sb->bin = cr_xasprintf("%s/bin", sb->dir);
	sb->log = cr_xasprintf("%s/log", sb->dir);
	sb->cwd = cr_xasprintf("%s/cwd", sb->dir);
	mkdir(sb->dir, 0700);
	mkdir(sb->bin, 0700);
	mkdir(sb->cwd, 0700);
	mkdir(sb->log, 0700);
	stub = cr_xasprintf("%s/.stub", sb->bin);
	f = fopen(stub, "w");
	assert_non_null(f);
	fputs(stub_script, f);
	fclose(f);
	chmod(stub, 0700);
	for (i = 0; i < N(stub_names); i++) {
		char *p = cr_xasprintf("%s/%s", sb->bin, stub_names[i]);

		unlink(p);
		assert_int_equal(symlink(".stub", p), 0);
		free(p);
	}
	free(stub);
}

static void
sandbox_release(struct sandbox *sb)
{
	free(sb->dir);
	free(sb->bin);
	free(sb->log);
	free(sb->cwd);
}

/* Empties the directory of records. */
static void
clear_log(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.') {
			char *p = cr_xasprintf("%s/%s", dir, e->d_name);

			unlink(p);
			free(p);
		}
	closedir(d);
}

/*
 * Runs `line` with /bin/sh -c in the sandbox; returns the records of the
 * programs that ran, one after the other (NUL-separated), in *len bytes.
 */
static char *
sandbox_run(struct sandbox *sb, const char *line, size_t *len)
{
	char *path_env = cr_xasprintf("PATH=%s", sb->bin), *log_env = cr_xasprintf("STUBLOG=%s", sb->log);
	char *envp[] = { path_env, log_env, NULL };
	struct cr_buf all = CR_BUF_INIT;
	struct dirent *e;
	int status;
	pid_t pid;
	DIR *d;

	clear_log(sb->log);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (chdir(sb->cwd) != 0)
			_exit(126);
		execle("/bin/sh", "sh", "-c", line, (char *)NULL, envp);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("sh -c <%s> exited %d", line, status);
	d = opendir(sb->log);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		unsigned char *buf;
		size_t n;
		char *p;

		if (e->d_name[0] == '.')
			continue;
		p = cr_xasprintf("%s/%s", sb->log, e->d_name);
		assert_int_equal(cr_read_file(p, 1 << 20, &buf, &n, NULL), CR_OK);
		cr_buf_add(&all, (char *)buf, n);
		free(buf);
		free(p);
	}
	closedir(d);
	free(path_env);
	free(log_env);
	*len = all.len;
	if (all.s == NULL)
		cr_buf_adds(&all, "");
	return cr_buf_detach(&all);
}

/* One program run: name and argv (the strings point into a log buffer). */
struct call {
	const char *name;
	const char *argv[32];
	size_t argc;
};

static size_t
parse_log(const char *log, size_t len, struct call *calls, size_t max)
{
	const char *p = log, *end = log + len;
	size_t n = 0, i;

	while (p < end) {
		assert_true(n < max);
		calls[n].name = p;
		p += strlen(p) + 1;
		calls[n].argc = (size_t)strtoul(p, NULL, 10);
		p += strlen(p) + 1;
		assert_true(calls[n].argc <= N(calls[n].argv));
		for (i = 0; i < calls[n].argc; i++) {
			calls[n].argv[i] = p;
			p += strlen(p) + 1;
		}
		n++;
	}
	return n;
}

/*
 * What a template should run, read from the template itself: the sh
 * templates are plain words separated by single blanks, `|` and `&&`
 * between programs, redirections (`<`, `>`, `2>`) dropped; in a word, a
 * placeholder stands for its raw value.  A template this reader cannot
 * read (quotes, $, backticks, ;) fails the test: extend the reader when a
 * kind needs more.
 */
static size_t
expect_calls(const char *tmpl, struct call *calls, size_t max, char **store, size_t *nstore)
{
	char *copy = cr_xstrdup(tmpl), *save = NULL, *w;
	size_t n = 0;
	int new_call = 1;

	if (strpbrk(tmpl, "'\"`$;()\\") != NULL)
		fail_msg("template <%s>: the test's reader takes plain words only", tmpl);
	for (w = strtok_r(copy, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		struct cr_buf b = CR_BUF_INIT;
		const char *p;

		if (strcmp(w, "|") == 0 || strcmp(w, "&&") == 0) {
			new_call = 1;
			continue;
		}
		if (w[0] == '<' || w[0] == '>' || strncmp(w, "2>", 2) == 0)
			continue;
		for (p = w; *p;) {
			const char *q;

			if (p[0] == '{' && (q = strchr(p, '}')) != NULL) {
				char *name = cr_xstrndup(p + 1, (size_t)(q - p - 1));
				const char *v = hostile_value(name);

				assert_non_null(v);
				cr_buf_adds(&b, v);
				free(name);
				p = q + 1;
			} else {
				cr_buf_addc(&b, *p++);
			}
		}
		if (b.s == NULL)
			cr_buf_adds(&b, "");
		store[*nstore] = cr_buf_detach(&b);
		if (new_call) {
			assert_true(n < max);
			calls[n].name = store[*nstore];
			calls[n].argc = 0;
			n++;
			new_call = 0;
		} else {
			calls[n - 1].argv[calls[n - 1].argc++] = store[*nstore];
		}
		(*nstore)++;
	}
	free(copy);
	return n;
}

static int
call_equal(const struct call *a, const struct call *b)
{
	size_t i;

	if (strcmp(a->name, b->name) != 0 || a->argc != b->argc)
		return 0;
	for (i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], b->argv[i]) != 0)
			return 0;
	return 1;
}

/*
 * Runs one rendered line; the programs that ran must be exactly those the
 * template names, in any order (a pipeline's members start together), each
 * with exactly its arguments; nothing named touch ran and nothing was
 * created.
 */
static void
run_and_compare(struct sandbox *sb, const char *tmpl, const char *line)
{
	struct call want[8], got[8];
	char *store[64], *log, *sentinel;
	size_t nstore = 0, nwant, ngot, len, i, j;
	int used[8] = { 0 };
	struct stat st;

	nwant = expect_calls(tmpl, want, N(want), store, &nstore);
	log = sandbox_run(sb, line, &len);
	ngot = parse_log(log, len, got, N(got));
	for (i = 0; i < ngot; i++)
		if (strcmp(got[i].name, "touch") == 0 || strcmp(got[i].name, "id") == 0)
			fail_msg("<%s> ran %s: a value was executed", line, got[i].name);
	if (ngot != nwant)
		fail_msg("<%s>: %zu programs ran, the template names %zu", line, ngot, nwant);
	for (i = 0; i < nwant; i++) {
		for (j = 0; j < ngot; j++)
			if (!used[j] && call_equal(&want[i], &got[j]))
				break;
		if (j == ngot) {
			struct cr_buf d = CR_BUF_INIT;
			size_t a;

			for (a = 0; a < want[i].argc; a++)
				cr_buf_addf(&d, " [%s]", want[i].argv[a]);
			fail_msg("<%s>: no run of %s with%s", line, want[i].name, cr_buf_str(&d));
		}
		used[j] = 1;
	}
	sentinel = cr_xasprintf("%s/" SENTINEL, sb->cwd);
	assert_int_not_equal(stat(sentinel, &st), 0);
	free(sentinel);
	for (i = 0; i < nstore; i++)
		free(store[i]);
	free(log);
}

static void
test_sh_kinds_run(void **state)
{
	static const char *const sh_kinds[] = { "nginx", "apache", "postfix", "haproxy", "generic" };
	struct sandbox sb;
	size_t i, t, g, p, j, ran = 0;

	(void)state;
	sandbox_init(&sb);
	for (i = 0; i < N(sh_kinds); i++) {
		struct book_kind *k = load_shipped(sh_kinds[i]);

		assert_int_equal(k->shell, BOOK_SH);
		for (t = 0; t < PLAN_NSTEPTYPES; t++)
			for (g = 0; g < k->ngroups[t]; g++)
				for (p = 0; p < BOOK_NPARTS; p++) {
					const struct book_group *gr = &k->groups[t][g];
					char **lines;
					size_t n;
					struct cr_err err;

					if (book_render(k, gr, (enum book_part)p, &hostile, &lines, &n, &err) != CR_OK)
						fail_msg("%s: %s", sh_kinds[i], err.msg);
					for (j = 0; j < n; j++, ran++)
						run_and_compare(&sb, gr->cmd[p].v[j], lines[j]);
					book_lines_free(lines, n);
				}
		book_kind_free(k);
	}
	assert_true(ran >= 20);
	sandbox_release(&sb);
}

/* Every placeholder, alone and glued to text, through a kind of the test's own. */
static void
test_sh_every_placeholder(void **state)
{
	static const char text[] =
	    "shell = \"sh\";\ndescription = \"d\";\n"
	    "rebind = { what = \"w\"; do = [\n"
	    "  \"stub {host} {service} {account} {ref} {endpoint} {path}\",\n"
	    "  \"stub {new.sha1} {new.sha256} {new.subject} {new.issuer} {new.tls_name} {new.pem}\",\n"
	    "  \"stub {old.sha1} {old.sha256} {old.subject} {old.issuer} {old.tls_name} {old.pem}\",\n"
	    "  \"stub --ref={ref} {path}.bak x{host}y{service}z | stub -- {endpoint}\"\n"
	    "]; };\n";
	struct book_kind *k;
	struct sandbox sb;
	struct cr_err err;
	char **lines;
	size_t n, j;

	(void)state;
	if (book_kind_parse(text, strlen(text), "t", "t.cfg", &k, &err) != CR_OK)
		fail_msg("%s", err.msg);
	sandbox_init(&sb);
	assert_int_equal(book_render(k, &k->groups[PLAN_REBIND][0], BOOK_DO, &hostile, &lines, &n, &err),
	    CR_OK);
	assert_int_equal(n, 4);
	for (j = 0; j < n; j++)
		run_and_compare(&sb, k->groups[PLAN_REBIND][0].cmd[BOOK_DO].v[j], lines[j]);
	book_lines_free(lines, n);
	book_kind_free(k);
	sandbox_release(&sb);
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
		cmocka_unit_test(test_group_choice),
		cmocka_unit_test(test_kinds_set),
		cmocka_unit_test(test_kinds_dir),
		cmocka_unit_test(test_kinds_dir_source_tree),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_file_rules),
		cmocka_unit_test(test_render_powershell),
		cmocka_unit_test(test_render_refused),
		cmocka_unit_test(test_sh_kinds_run),
		cmocka_unit_test(test_sh_every_placeholder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
