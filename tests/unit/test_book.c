/*
 * Unit tests: the runbook (runbook/md.c, doc.c, steps.c, html.c) and the
 * ref ids it shows (plan/config.c check_ref_id, plan/planner.c slugs).
 *
 *  - Markdown escaping, table-driven: text, code spans, code blocks;
 *  - ref ids: any printable name accepted, control characters, invisible
 *    marks, invalid UTF-8, blanks at the ends and overlong ids refused
 *    without echoing the bytes; slugs in step ids, made unique;
 *  - a whole runbook of an inventory whose ref ids, account, path,
 *    certificate subject and check message are hostile: no raw HTML, no
 *    link, no extra heading, no broken table row in the Markdown; every
 *    value inside commands as the shell's quoted literal; PowerShell blocks
 *    pure printable ASCII; the HTML page without script, external asset or
 *    unescaped value, raw HTML in Markdown never passed through.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>

#include "testcert.h"
#include "../../runbook/book.h"
#include "../../runbook/md.h"
#include "../../plan/plan.h"
#include "../../common/util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define DAY 86400L

/* ---- Markdown escaping ------------------------------------------------------- */

static void
test_md_text(void **state)
{
	static const struct {
		const char *in;
		unsigned flags;
		const char *out;
	} t[] = {
		{ "mail.contoso.com", 0, "mail.contoso.com" },
		{ "IIS_IUSRS", 0, "IIS\\_IUSRS" },
		{ "a|b", BOOK_MD_CELL, "a\\|b" },
		{ "<script>&amp;", 0, "\\<script\\>\\&amp;" },
		{ "*x* [l](javascript:x) `c` ~s~ \\", 0, "\\*x\\* \\[l\\](javascript:x) \\`c\\` \\~s\\~ \\\\" },
		{ "# not a heading", 0, "# not a heading" },
		{ "# not a heading", BOOK_MD_LINE_START, "\\# not a heading" },
		{ "1. not a list", BOOK_MD_LINE_START, "1\\. not a list" },
		{ "127.0.0.1", BOOK_MD_LINE_START, "127.0.0.1" },
		{ "- x", BOOK_MD_LINE_START, "\\- x" },
		{ "a\nb\tc\x1b", 0, "a\xe2\x90\x8a" "b\xe2\x90\x89" "c\xe2\x90\x9b" },
		{ "\x7f", 0, "\xe2\x90\xa1" },
		{ "x\xe2\x80\xaey", 0, "x\\[U+202E\\]y" },
		{ "\xc2\x85", 0, "\\[U+0085\\]" },
		{ "bad\xff\xc0\xaf", 0, "bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "Soci\xc3\xa9t\xc3\xa9 \xe2\x80\x99", 0, "Soci\xc3\xa9t\xc3\xa9 \xe2\x80\x99" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		struct cr_buf b = CR_BUF_INIT;

		book_md_text(&b, t[i].in, t[i].flags);
		if (strcmp(cr_buf_str(&b), t[i].out) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, cr_buf_str(&b), t[i].out);
		cr_buf_release(&b);
	}
}

static void
test_md_code(void **state)
{
	static const struct {
		const char *in;
		unsigned flags;
		const char *out;
	} t[] = {
		{ "sha1:5A1B", 0, "`sha1:5A1B`" },
		{ "a`b", 0, "``a`b``" },
		{ "`x`", 0, "`` `x` ``" },
		{ "a``b`", 0, "``` a``b` ```" },
		{ " x ", 0, "`  x  `" },
		{ "a|b", BOOK_MD_CELL, "`a\\|b`" },
		{ "a|b", 0, "`a|b`" },
		{ "<I>CN=A<S>CN=B", 0, "`<I>CN=A<S>CN=B`" },
		{ "a\nb", 0, "a\xe2\x90\x8a" "b" },		/* not writable as code: text */
		{ "", 0, "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		struct cr_buf b = CR_BUF_INIT;

		book_md_code(&b, t[i].in, t[i].flags);
		if (strcmp(cr_buf_str(&b), t[i].out) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, cr_buf_str(&b), t[i].out);
		cr_buf_release(&b);
	}
}

static void
test_md_block(void **state)
{
	static const struct {
		const char *in;
		int ok;
		size_t off;
	} t[] = {
		{ "Get-Item 'a' | Format-List", 1, 0 },
		{ "cp -- 'a\nb' 'c'\t# tab and newline are fine", 1, 0 },
		{ "x\x1b[2J", 0, 1 },
		{ "x\ry", 0, 1 },
		{ "ab\xe2\x80\xae", 0, 2 },
		{ "\xef\xbb\xbfx", 0, 0 },
		{ "ok \xff", 0, 3 },
		{ "\xc2\x9b", 0, 0 },
	};
	char *lines[] = { "echo 1", "```", "echo '````'" };
	struct cr_buf b = CR_BUF_INIT;
	size_t i, off;
	unsigned cp;

	(void)state;
	for (i = 0; i < N(t); i++) {
		int r = book_md_block_ok(t[i].in, &off, &cp);

		if ((r == 0) != t[i].ok || (!t[i].ok && off != t[i].off))
			fail_msg("case %zu: ok %d off %zu", i, r == 0, off);
	}
	/* the fence is longer than any run of backticks inside: no line closes it */
	book_md_block(&b, "sh", lines, N(lines));
	assert_string_equal(cr_buf_str(&b), "`````sh\necho 1\n```\necho '````'\n`````\n");
	cr_buf_release(&b);
}

/* ---- certificates and plans ------------------------------------------------------ */

static struct {
	EVP_PKEY *key;
	X509 *ca, *old, *new;
} P;

/* Every markup character, shell metacharacter and quote of both shells. */
#define HOSTILE_CN "mail'\"; $(touch PWNED) `id` |&<script>*_[x](javascript:y)# \xe2\x80\x99"

static int
setup(void **state)
{
	struct tc_spec ca = { "/C=US/O=Contoso/CN=Contoso CA", NULL, NULL, -DAY, 1000 * DAY, NULL, 0, 1 };
	struct tc_spec o = { "/C=US/O=Contoso/CN=" HOSTILE_CN, "DNS:mail.contoso.com", "serverAuth",
		-300 * DAY, 20 * DAY, NULL, 0, 0 };
	struct tc_spec n = { "/C=US/O=Contoso Ltd/CN=" HOSTILE_CN, "DNS:mail.contoso.com",
		"serverAuth", -DAY, 365 * DAY, NULL, 0, 0 };

	(void)state;
	P.key = tc_key(0);
	P.ca = tc_cert(&ca, P.key, NULL, NULL);
	P.old = tc_cert(&o, P.key, P.ca, P.key);
	P.new = tc_cert(&n, P.key, P.ca, P.key);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(P.ca);
	X509_free(P.old);
	X509_free(P.new);
	EVP_PKEY_free(P.key);
	return 0;
}

static struct crt_cert *
cert(X509 *x, const char *source)
{
	X509_up_ref(x);
	return crt_cert_new(x, NULL, source);
}

struct fixture {
	struct plan_config *cfg;
	struct plan_inputs *in;
	struct plan *plan;
};

#define ROT \
	"rotation = { name = \"r\"; old = \"file:old.pem\"; new = \"file:new.pem\";\n" \
	"  key = \"file:new.key\"; };\nhosts = ( { name = \"h\"; } );\n"

/* Parses text (@OLD@: the old certificate's SHA-1) and builds its plan. */
static void
build(struct fixture *f, const char *text)
{
	struct crt_cert *o = cert(P.old, NULL);
	char *hex = cr_hex_upper(o->sha1, 20);
	struct cr_buf t = CR_BUF_INIT;
	const char *p, *q;
	struct cr_err err;

	crt_cert_free(o);
	for (p = text; (q = strstr(p, "@OLD@")) != NULL; p = q + 5) {
		cr_buf_add(&t, p, (size_t)(q - p));
		cr_buf_adds(&t, hex);
	}
	cr_buf_adds(&t, p);
	free(hex);
	memset(f, 0, sizeof(*f));
	if (plan_config_parse(cr_buf_str(&t), "c.cfg", ".", &f->cfg, &err) != CR_OK)
		fail_msg("config: %s", err.msg);
	cr_buf_release(&t);
	f->in = cr_xcalloc(1, sizeof(*f->in));
	f->in->old = cert(P.old, "file:old.pem");
	f->in->new = cert(P.new, "file:new.pem");
	f->in->new_on_import_to = -1;
	if (plan_build(f->cfg, f->in, &f->plan, &err) != CR_OK)
		fail_msg("plan: %s", err.msg);
}

static void
release(struct fixture *f)
{
	plan_free(f->plan);
	plan_inputs_free(f->in);
	plan_config_free(f->cfg);
}

/* ---- ref ids ---------------------------------------------------------------------- */

static void
test_ref_ids(void **state)
{
	static const struct {
		const char *id;		/* as written in the libconfig string */
		const char *gist;	/* NULL: accepted */
	} t[] = {
		{ "Default Frontend EXCH01", NULL },
		{ "Default Web Site", NULL },
		{ "O'Brien \\\"rule\\\" $(x) `y` | & ; <b> \\\\share", NULL },
		{ "Soci\xc3\xa9t\xc3\xa9 G\xc3\xa9n\xc3\xa9rale \xe2\x80\x94 \xc3\x91", NULL },
		{ "", "must not be empty" },
		{ "a\\tb", "control or invisible character (U+0009 at byte 1)" },
		{ "a\\nb", "(U+000A at byte 1)" },
		{ "x\xc2\x85", "(U+0085 at byte 1)" },
		{ "rlo\xe2\x80\xae", "(U+202E at byte 3)" },
		{ "\xef\xbb\xbfsite", "(U+FEFF at byte 0)" },
		{ "soft\xc2\xadhyphen", "(U+00AD" },
		{ "bad\xff", "not valid UTF-8 (byte 3)" },
		{ "over\xc0\xaflong", "not valid UTF-8 (byte 4)" },
		{ " Default Web Site", "leading or trailing blank" },
		{ "Default Web Site ", "leading or trailing blank" },
	};
	char id257[300];
	size_t i;

	(void)state;
	for (i = 0; i < N(t) + 2; i++) {
		const char *id = i < N(t) ? t[i].id : id257;
		const char *gist = i < N(t) ? t[i].gist : i == N(t) ? NULL : "this one 257";
		struct plan_config *cfg = NULL;
		struct cr_err err;
		char *text;
		int r;

		memset(id257, 'x', sizeof(id257));
		id257[i == N(t) ? 256 : 257] = '\0';
		text = cr_xasprintf(ROT "services = ( { name = \"s\"; host = \"h\"; refs = (\n"
		    "  { id = \"%s\"; type = \"binding\"; cert = \"sha1:%040d\"; } ); } );\n", id, 1);
		cr_err_clear(&err);
		r = plan_config_parse(text, "c.cfg", ".", &cfg, &err);
		if (gist == NULL && r != CR_OK)
			fail_msg("case %zu: refused: %s", i, err.msg);
		if (gist != NULL) {
			if (r != CR_EINPUT || strstr(err.msg, gist) == NULL ||
			    strstr(err.msg, "c.cfg:5: services.[0].refs.[0].id: ") == NULL)
				fail_msg("case %zu: got %d '%s', want '%s'", i, r, err.msg, gist);
			/* the message never holds the value's control or invisible bytes */
			assert_null(strchr(err.msg, '\t'));
			assert_null(strstr(err.msg, "\xe2\x80\xae"));
			assert_null(strstr(err.msg, "\xc2\x85"));
		}
		plan_config_free(cfg);
		free(text);
	}
}

static void
test_ref_slugs(void **state)
{
	static const char *const want[] = {
		"1-import-h",
		"2-rebind-h-s-x",				/* "((x))" */
		"3-rebind-h-s-default-frontend-exch01",		/* "DEFAULT FRONTEND EXCH01" */
		"4-rebind-h-s-default-frontend-exch01-2",	/* "Default Frontend EXCH01" */
		"5-rebind-h-s-soci-t-g-n-rale",			/* "Société Générale" */
		"6-rebind-h-s-default-frontend-exch01-3",	/* "default-frontend-exch01" */
		"7-rebind-h-s-o.brien_s-site",			/* "o.brien_s site" */
		"8-rebind-h-s-ref",				/* "Ñ" */
		"9-restart-h-s",
		"10-retire-h",					/* the host's store; old.pem is only read */
	};
	struct fixture f;
	size_t i;

	(void)state;
	build(&f, ROT "services = ( { name = \"s\"; host = \"h\"; refs = (\n"
	    "  { id = \"Default Frontend EXCH01\"; type = \"binding\"; cert = \"sha1:@OLD@\"; },\n"
	    "  { id = \"default-frontend-exch01\"; type = \"binding\"; cert = \"sha1:@OLD@\"; },\n"
	    "  { id = \"DEFAULT FRONTEND EXCH01\"; type = \"binding\"; cert = \"sha1:@OLD@\"; },\n"
	    "  { id = \"((x))\"; type = \"binding\"; cert = \"sha1:@OLD@\"; },\n"
	    "  { id = \"o.brien_s site\"; type = \"binding\"; cert = \"sha1:@OLD@\"; },\n"
	    "  { id = \"Soci\xc3\xa9t\xc3\xa9 G\xc3\xa9n\xc3\xa9rale\"; type = \"binding\"; cert = \"sha1:@OLD@\"; },\n"
	    "  { id = \"\xc3\x91\"; type = \"binding\"; cert = \"sha1:@OLD@\"; } ); } );\n");
	assert_int_equal(f.plan->nsteps, N(want));
	for (i = 0; i < N(want); i++) {
		const char *id = f.plan->steps[i].id;
		char *w = cr_xasprintf("%02d%s", (int)strtol(want[i], NULL, 10), strchr(want[i], '-'));

		if (strcmp(id, w) != 0)
			fail_msg("step %zu: got '%s', want '%s'", i, id, w);
		free(w);
	}
	/* the ref keeps its name verbatim everywhere else */
	assert_string_equal(f.plan->steps[3].ref->id, "Default Frontend EXCH01");
	assert_non_null(strstr(f.plan->steps[3].description, "'Default Frontend EXCH01'"));
	release(&f);
}

/* ---- a runbook of hostile values ------------------------------------------------- */

#define REF_PS "Default Web Site'; Remove-Item C:\\\\ -Recurse; $(calc) `whoami` | & ; <script>alert(1)</script> $env:X"
#define REF_PS_RAW "Default Web Site'; Remove-Item C:\\ -Recurse; $(calc) `whoami` | & ; <script>alert(1)</script> $env:X"
#define CONNECTOR "Default Frontend \xe2\x80\x99; calc \xe2\x80\x98"
#define ACCOUNT "CONTOSO\\\\svc'$(x)`n|<b>*a*</b>\\n# h"
#define ACCOUNT_RAW "CONTOSO\\svc'$(x)`n|<b>*a*</b>\n# h"
#define PATH "tls/$(touch PWNED)`x`;'q'|&<i>.pem"
#define MESSAGE "fail | <img src=x onerror=alert(1)> `code`\n# heading [l](javascript:z)"

static const char hostile_cfg[] =
	ROT
	"services = (\n"
	"  { name = \"web\"; host = \"h\"; kind = \"iis\"; account = \"" ACCOUNT "\";\n"
	"    refs = ( { id = \"" REF_PS "\"; type = \"binding\"; cert = \"sha1:@OLD@\";\n"
	"               endpoint = \"127.0.0.1:443\"; } ); },\n"
	"  { name = \"smtp\"; host = \"h\"; kind = \"exchange-connector\";\n"
	"    refs = ( { id = \"" CONNECTOR "\"; type = \"connector\"; cert = \"sha1:@OLD@\"; } ); },\n"
	"  { name = \"nginx\"; host = \"h\"; kind = \"nginx\";\n"
	"    refs = ( { id = \"tls\"; type = \"file\"; path = \"" PATH "\"; cert = \"sha1:@OLD@\"; } ); }\n"
	");\n";

/* Unescaped '|' on a line (a '|' after an odd number of backslashes is escaped). */
static size_t
pipes(const char *line, size_t len)
{
	size_t i, n = 0, bs = 0;

	for (i = 0; i < len; i++) {
		if (line[i] == '|' && bs % 2 == 0)
			n++;
		bs = line[i] == '\\' ? bs + 1 : 0;
	}
	return n;
}

/* Every table row has as many cells as its header: no value broke a row. */
static void
check_tables(const char *md)
{
	const char *p = md, *e;
	size_t want = 0, in_code = 0;

	for (; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		if (strncmp(p, "```", 3) == 0)
			in_code = !in_code;
		if (in_code || *p != '|') {
			want = 0;
			continue;
		}
		if (want == 0)
			want = pipes(p, (size_t)(e - p));
		else if (pipes(p, (size_t)(e - p)) != want)
			fail_msg("table row with %zu cells, header %zu: %.*s", pipes(p, (size_t)(e - p)),
			    want, (int)(e - p), p);
	}
}

struct md_walk {
	size_t h2, html, links, ps_blocks, sh_blocks;
	struct cr_buf ps, sh;	/* the code blocks' text */
};

static void
walk_md(const char *md, struct md_walk *w)
{
	cmark_parser *parser;
	cmark_node *doc, *n;
	cmark_iter *it;
	cmark_event_type ev;

	cmark_gfm_core_extensions_ensure_registered();
	parser = cmark_parser_new(CMARK_OPT_DEFAULT);
	cmark_parser_attach_syntax_extension(parser, cmark_find_syntax_extension("table"));
	cmark_parser_feed(parser, md, strlen(md));
	doc = cmark_parser_finish(parser);
	it = cmark_iter_new(doc);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		const char *info;

		n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_HEADING:
			w->h2 += cmark_node_get_heading_level(n) == 2;
			break;
		case CMARK_NODE_HTML_BLOCK:
		case CMARK_NODE_HTML_INLINE:
			w->html++;
			break;
		case CMARK_NODE_LINK:
		case CMARK_NODE_IMAGE:
			w->links++;
			break;
		case CMARK_NODE_CODE_BLOCK:
			info = cmark_node_get_fence_info(n);
			if (strcmp(info, "powershell") == 0) {
				w->ps_blocks++;
				cr_buf_adds(&w->ps, cmark_node_get_literal(n));
			} else if (strcmp(info, "sh") == 0) {
				w->sh_blocks++;
				cr_buf_adds(&w->sh, cmark_node_get_literal(n));
			}
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
	cmark_node_free(doc);
	cmark_parser_free(parser);
}

static void
expect_quoted(const char *text, enum book_shell sh, const char *value)
{
	struct cr_err err;
	char *q = book_quoted(sh, value, strlen(value), &err);

	assert_non_null(q);
	if (strstr(text, q) == NULL)
		fail_msg("%s blocks do not hold %s as the literal %s", book_shell_name(sh), value, q);
	free(q);
}

static char *
hostile_runbook(struct fixture *f)
{
	static const size_t items0[] = { 0 };
	struct book_check item = { "new.chain", "certificate new", MESSAGE, BOOK_FAIL };
	struct book_step_checks *steps;
	struct book_checks ck;
	struct book_opts o = { "c.cfg", "0.0-test", 1767225600 };
	const char *src = getenv("SRCDIR");
	char *dir = cr_xasprintf("%s/kinds", src != NULL ? src : ".");
	struct book_kinds *ks = book_kinds_new(dir);
	char *md = NULL;
	struct cr_err err;

	build(f, hostile_cfg);
	steps = cr_xcalloc(f->plan->nsteps, sizeof(*steps));
	steps[0].items = items0;
	steps[0].n = 1;
	steps[0].status = BOOK_STEP_BLOCKED;
	memset(&ck, 0, sizeof(ck));
	ck.items = &item;
	ck.n = 1;
	ck.steps = steps;
	ck.count[BOOK_FAIL] = 1;
	ck.status = CR_EBLOCK;
	if (book_markdown(f->plan, &ck, ks, &o, &md, &err) != CR_OK)
		fail_msg("runbook: %s", err.msg);
	free(steps);
	book_kinds_free(ks);
	free(dir);
	return md;
}

static void
test_hostile_markdown(void **state)
{
	struct md_walk w;
	struct fixture f;
	char *md;
	const char *p;

	(void)state;
	md = hostile_runbook(&f);
	memset(&w, 0, sizeof(w));
	walk_md(md, &w);
	assert_int_equal(w.html, 0);		/* no raw HTML from any value */
	assert_int_equal(w.links, 0);		/* no link, no image */
	assert_int_equal(w.h2, 7);		/* sections 1-6 and the appendix: no value made one */
	check_tables(md);
	assert_true(w.ps_blocks > 0);
	assert_true(w.sh_blocks > 0);
	/* PowerShell commands are printable ASCII, each value one verbatim string */
	for (p = cr_buf_str(&w.ps); *p != '\0'; p++)
		if (*p != '\n' && (*p < 0x20 || *p > 0x7e))
			fail_msg("PowerShell block holds byte 0x%02x", (unsigned char)*p);
	expect_quoted(cr_buf_str(&w.ps), BOOK_POWERSHELL, REF_PS_RAW);
	expect_quoted(cr_buf_str(&w.ps), BOOK_POWERSHELL, CONNECTOR);
	expect_quoted(cr_buf_str(&w.ps), BOOK_POWERSHELL, ACCOUNT_RAW);
	/* sh commands: the path as one single-quoted literal */
	expect_quoted(cr_buf_str(&w.sh), BOOK_SH, PATH);
	/* the check message is one escaped line in its cell */
	assert_non_null(strstr(md, "fail \\| \\<img src=x onerror=alert(1)\\> \\`code\\`"
	    "\xe2\x90\x8a# heading \\[l\\](javascript:z)"));
	/* the subject: escaped text, and as a code span in the connector name */
	assert_non_null(strstr(md, "CN=\"mail'\"\"; $(touch PWNED) \\`id\\` \\|\\&\\<script\\>"));
	cr_buf_release(&w.ps);
	cr_buf_release(&w.sh);
	free(md);
	release(&f);
}

static void
test_hostile_html(void **state)
{
	struct fixture f;
	struct cr_err err;
	char *md, *html = NULL, *lower;
	size_t i;

	(void)state;
	md = hostile_runbook(&f);
	if (book_html(md, "t <script>x</script>", &html, &err) != CR_OK)
		fail_msg("html: %s", err.msg);
	lower = cr_xstrdup(html);
	for (i = 0; lower[i] != '\0'; i++)
		lower[i] = (char)tolower((unsigned char)lower[i]);
	assert_null(strstr(lower, "<script"));
	assert_null(strstr(lower, "<img"));
	assert_null(strstr(lower, "<b>"));
	assert_null(strstr(lower, "<a "));
	assert_null(strstr(lower, "src=\""));
	assert_null(strstr(lower, "href=\""));
	assert_null(strstr(lower, "@import"));
	assert_null(strstr(lower, "url("));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(html, "<title>t &lt;script&gt;x&lt;/script&gt;</title>"));
	assert_non_null(strstr(html, "Content-Security-Policy\" content=\"default-src 'none'; "
	    "style-src 'unsafe-inline'\""));
	assert_non_null(strstr(html, "<span class=\"st st-fail\">FAIL</span>"));
	assert_non_null(strstr(html, "@media print"));
	free(lower);
	free(html);
	free(md);
	release(&f);
}

/* Raw HTML written into the Markdown itself is never passed through. */
static void
test_html_raw_refused(void **state)
{
	static const char md[] = "# t\n\n<script>alert(1)</script>\n\n"
	    "x <img src=x onerror=alert(2)> [a](javascript:alert(3)) **FAIL**\n\n"
	    "<iframe src=\"https://example.com\"></iframe>\n";
	struct cr_err err;
	char *html = NULL;

	(void)state;
	assert_int_equal(book_html(md, "t", &html, &err), CR_OK);
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<iframe"));
	assert_null(strstr(html, "javascript:"));
	assert_non_null(strstr(html, "raw HTML omitted"));
	assert_non_null(strstr(html, "<span class=\"st st-fail\">FAIL</span>"));
	free(html);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md_text),
		cmocka_unit_test(test_md_code),
		cmocka_unit_test(test_md_block),
		cmocka_unit_test(test_ref_ids),
		cmocka_unit_test(test_ref_slugs),
		cmocka_unit_test(test_hostile_markdown),
		cmocka_unit_test(test_hostile_html),
		cmocka_unit_test(test_html_raw_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
