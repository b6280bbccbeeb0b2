/*
 * html.c - the runbook as one self-contained HTML page (book.h).
 *
 * The Markdown is rendered by cmark-gfm, GitHub's CommonMark library, with
 * its table extension (the runbook is made of pipe tables, which plain
 * CommonMark does not have) and tagfilter.  cmark-gfm renders in its safe
 * mode unless told otherwise (CMARK_OPT_UNSAFE, never set here): raw HTML
 * in the Markdown becomes a comment and javascript:/data: links are dropped.
 * The values in the Markdown are escaped already (md.h), so none of them
 * reaches the page as markup either way: this is the second wall.
 *
 * Status words (strong text of capitals: doc.c) become coloured badges: the
 * strong node's text is wrapped in a custom inline node whose opening and
 * closing tags are constants of this file.
 *
 * The page holds its CSS and nothing else from outside; a
 * Content-Security-Policy meta element tells the browser so (no script, no
 * fetch of any kind).  @media print lays it out for paper.
 */
#include <stdlib.h>
#include <string.h>

#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>

#include "book.h"
#include "../common/util.h"

static const char css[] =
	":root{color-scheme:light}\n"
	"body{font:14px/1.45 \"DejaVu Sans\",\"Segoe UI\",system-ui,sans-serif;color:#1b1f23;"
	"background:#fff;margin:0}\n"
	"main{max-width:74rem;margin:0 auto;padding:1.5rem 2rem 3rem}\n"
	"h1{font-size:1.7rem;border-bottom:3px solid #1f4e79;padding-bottom:.3rem;color:#1f4e79}\n"
	"h2{font-size:1.35rem;border-bottom:1px solid #c8d1dc;margin-top:2.2rem;color:#1f4e79}\n"
	"h3{font-size:1.1rem;margin-top:1.8rem;border-left:4px solid #1f4e79;padding-left:.5rem}\n"
	"table{border-collapse:collapse;margin:.6rem 0 1rem;width:100%;font-size:.92rem}\n"
	"th,td{border:1px solid #c8d1dc;padding:.3rem .5rem;text-align:left;vertical-align:top;"
	"overflow-wrap:anywhere}\n"
	"th{background:#eef2f6;white-space:nowrap;overflow-wrap:normal}\n"
	"td strong{white-space:nowrap}\n"
	"td:empty{height:1.8em}\n"
	"tr:nth-child(even) td{background:#f8fafc}\n"
	"code{font-family:\"DejaVu Sans Mono\",Consolas,monospace;font-size:.88em;"
	"background:#eef1f4;padding:0 .2em;border-radius:3px}\n"
	"pre{background:#14202e;color:#e6edf3;padding:.7rem .9rem;border-radius:4px;"
	"white-space:pre-wrap;overflow-wrap:anywhere}\n"
	"pre code{background:none;color:inherit;padding:0;font-size:.85rem}\n"
	".st{display:inline-block;padding:0 .45em;border-radius:3px;font-weight:700;"
	"font-size:.85em;letter-spacing:.03em;white-space:nowrap}\n"
	".st-pass,.st-ready,.st-done{background:#dcf2e2;color:#14532d;border:1px solid #7fc394}\n"
	".st-warn{background:#fff1cc;color:#6b4400;border:1px solid #e0b040}\n"
	".st-fail,.st-blocked,.st-environment-failure,.st-bad-input{background:#fde0df;"
	"color:#8a1c1c;border:1px solid #de8582}\n"
	".st-skip{background:#eceff3;color:#475261;border:1px solid #b6c0cc}\n"
	"@media print{\n"
	"body{font-size:10pt}\n"
	"main{max-width:none;padding:0}\n"
	"pre{background:#fff;color:#000;border:1px solid #777}\n"
	"h2,h3{break-after:avoid}\n"
	"tr,pre{break-inside:avoid}\n"
	"tr:nth-child(even) td{background:none}\n"
	".st,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
	"@page{margin:14mm}\n"
	"}\n";

/* The status words doc.c writes as strong text, and their badge. */
static const struct {
	const char *word;
	const char *open;
} badges[] = {
	{ "PASS", "<span class=\"st st-pass\">" },
	{ "WARN", "<span class=\"st st-warn\">" },
	{ "FAIL", "<span class=\"st st-fail\">" },
	{ "SKIP", "<span class=\"st st-skip\">" },
	{ "READY", "<span class=\"st st-ready\">" },
	{ "BLOCKED", "<span class=\"st st-blocked\">" },
	{ "DONE", "<span class=\"st st-done\">" },
	{ "ENVIRONMENT FAILURE", "<span class=\"st st-environment-failure\">" },
	{ "BAD INPUT", "<span class=\"st st-bad-input\">" },
};

/* The badge of a strong node holding exactly one status word, or NULL. */
static const char *
badge_of(cmark_node *strong)
{
	cmark_node *t = cmark_node_first_child(strong);
	const char *lit;
	size_t i;

	if (t == NULL || cmark_node_next(t) != NULL || cmark_node_get_type(t) != CMARK_NODE_TEXT)
		return NULL;
	lit = cmark_node_get_literal(t);
	for (i = 0; lit != NULL && i < sizeof(badges) / sizeof(badges[0]); i++)
		if (strcmp(lit, badges[i].word) == 0)
			return badges[i].open;
	return NULL;
}

/* Replaces each status word's strong node by a badge (collected first: no edits while walking). */
static void
badges_apply(cmark_node *doc)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_node **found = NULL, *n;
	size_t nfound = 0, cap = 0, i;
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		if (ev == CMARK_EVENT_ENTER && cmark_node_get_type(n) == CMARK_NODE_STRONG &&
		    badge_of(n) != NULL) {
			cr_grow(&found, &cap, nfound + 1, sizeof(*found));
			found[nfound++] = n;
		}
	}
	cmark_iter_free(it);
	for (i = 0; i < nfound; i++) {
		cmark_node *b = cmark_node_new(CMARK_NODE_CUSTOM_INLINE);
		cmark_node *t = cmark_node_first_child(found[i]);

		/* inside the strong node: a table cell (an extension's node) refuses
		   a custom node in place of its strong child */
		cmark_node_set_on_enter(b, badge_of(found[i]));
		cmark_node_set_on_exit(b, "</span>");
		if (!cmark_node_insert_before(t, b)) {
			cmark_node_free(b);
			continue;
		}
		cmark_node_unlink(t);
		cmark_node_append_child(b, t);
	}
	free(found);
}

static void
add_escaped(struct cr_buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		switch (*s) {
		case '&': cr_buf_adds(b, "&amp;"); break;
		case '<': cr_buf_adds(b, "&lt;"); break;
		case '>': cr_buf_adds(b, "&gt;"); break;
		case '"': cr_buf_adds(b, "&quot;"); break;
		case '\'': cr_buf_adds(b, "&#39;"); break;
		default: cr_buf_addc(b, *s); break;
		}
}

int
book_html(const char *md, const char *title, char **out, struct cr_err *err)
{
	static const char *const exts[] = { "table", "tagfilter" };
	cmark_mem *mem = cmark_get_default_mem_allocator();
	cmark_parser *parser = NULL;
	cmark_node *doc = NULL;
	struct cr_buf b = CR_BUF_INIT;
	char *html = NULL;
	size_t i;
	int r = CR_EENV;

	*out = NULL;
	cmark_gfm_core_extensions_ensure_registered();
	parser = cmark_parser_new(CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8);
	if (parser == NULL) {
		r = cr_err_setr(err, CR_EENV, CR_R_NONE, "cannot render the runbook: no memory");
		goto out;
	}
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		cmark_syntax_extension *e = cmark_find_syntax_extension(exts[i]);

		if (e == NULL || !cmark_parser_attach_syntax_extension(parser, e)) {
			r = cr_err_setr(err, CR_EENV, CR_R_NONE, "cannot render the runbook: the "
			    "cmark-gfm extension '%s' is missing", exts[i]);
			goto out;
		}
	}
	cmark_parser_feed(parser, md, strlen(md));
	if ((doc = cmark_parser_finish(parser)) == NULL) {
		r = cr_err_setr(err, CR_EENV, CR_R_NONE, "cannot render the runbook: cmark-gfm failed");
		goto out;
	}
	badges_apply(doc);
	html = cmark_render_html_with_mem(doc, CMARK_OPT_DEFAULT,
	    cmark_parser_get_syntax_extensions(parser), mem);
	if (html == NULL) {
		r = cr_err_setr(err, CR_EENV, CR_R_NONE, "cannot render the runbook: cmark-gfm failed");
		goto out;
	}
	cr_buf_adds(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	    "style-src 'unsafe-inline'\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"generator\" content=\"certrotate\">\n<title>");
	add_escaped(&b, title);
	cr_buf_adds(&b, "</title>\n<style>\n");
	cr_buf_adds(&b, css);
	cr_buf_adds(&b, "</style>\n</head>\n<body>\n<main>\n");
	cr_buf_adds(&b, html);
	cr_buf_adds(&b, "</main>\n</body>\n</html>\n");
	*out = cr_buf_detach(&b);
	r = CR_OK;
out:
	if (html != NULL)
		mem->free(html);
	if (doc != NULL)
		cmark_node_free(doc);
	if (parser != NULL)
		cmark_parser_free(parser);
	cr_buf_release(&b);
	return r;
}
