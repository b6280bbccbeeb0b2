/*
 * docwrite.c - what doc.c (the frame) and steps.c (the steps) write with:
 * text and code spans, list items, status words, tables of check results.
 * Below both of them, so that they do not call each other in a circle.
 *
 * Everything certrotate does not write itself goes through doc_text /
 * doc_code (md.h): a value never reaches the document raw.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "doc.h"

/* ---- writing -------------------------------------------------------------- */

void
doc_text(struct book_doc *d, const char *s)
{
	book_md_text(&d->b, s, 0);
}

void
doc_code(struct book_doc *d, const char *s)
{
	book_md_code(&d->b, s, 0);
}

void
doc_cell_text(struct book_doc *d, const char *s)
{
	book_md_text(&d->b, s, BOOK_MD_CELL);
}

void
doc_cell_code(struct book_doc *d, const char *s)
{
	book_md_code(&d->b, s, BOOK_MD_CELL);
}

void
doc_item(struct book_doc *d, const char *s)
{
	cr_buf_adds(&d->b, "- ");
	book_md_text(&d->b, s, BOOK_MD_LINE_START);
	cr_buf_addc(&d->b, '\n');
}

void
doc_add(struct book_doc *d, const char *s)
{
	cr_buf_adds(&d->b, s);
}

void
doc_addf(struct book_doc *d, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	s = cr_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	cr_buf_adds(&d->b, s);
	free(s);
}

/*
 * Status words are strong text made only of capitals: html.c colours
 * exactly these (a value can never be strong text: '*' is escaped).
 */
const char *
doc_status_word(enum book_status s)
{
	static const char *const w[BOOK_NSTATUS] = { "**PASS**", "**WARN**", "**FAIL**", "**SKIP**" };

	return (unsigned)s < BOOK_NSTATUS ? w[s] : "?";
}

const char *
doc_step_status_word(enum book_step_status s)
{
	return s == BOOK_STEP_BLOCKED ? "**BLOCKED**" : s == BOOK_STEP_DONE ? "**DONE**" :
	    "**READY**";
}

/* ---- check results ------------------------------------------------------------- */

void
doc_check_table(struct book_doc *d, const size_t *items, size_t n, int with_steps)
{
	const struct book_checks *ck = d->ck;
	size_t i, k, j;

	doc_add(d, with_steps ? "| Status | Check | Subject | Result | Steps |\n|---|---|---|---|---|\n" :
	    "| Status | Check | Subject | Result |\n|---|---|---|---|\n");
	for (i = 0; i < n; i++) {
		const struct book_check *c = &ck->items[items[i]];
		int first = 1;

		doc_add(d, "| ");
		doc_add(d, doc_status_word(c->status));
		doc_add(d, " | ");
		doc_cell_code(d, c->id);
		doc_add(d, " | ");
		doc_cell_text(d, c->subject);
		doc_add(d, " | ");
		doc_cell_text(d, c->message);
		doc_add(d, " |");
		if (with_steps) {
			/* the steps listing it, by number (a few per check: linear enough) */
			for (k = 0; k < d->p->nsteps; k++)
				for (j = 0; j < ck->steps[k].n; j++)
					if (ck->steps[k].items[j] == items[i]) {
						doc_addf(d, "%s%zu", first ? " " : ", ", k + 1);
						first = 0;
						break;
					}
			doc_add(d, first ? " none |" : " |");
		}
		doc_add(d, "\n");
	}
	doc_add(d, "\n");
}
