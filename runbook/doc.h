/*
 * doc.h - what the two halves of the runbook writer share (doc.c: the
 * frame, certificates, inventory, pre-checks, sign-off, appendix;
 * steps.c: the steps and the rollback; docwrite.c: what both write with,
 * below both).  Internal to runbook/.
 */
#ifndef BOOK_DOC_H
#define BOOK_DOC_H

#include "book.h"
#include "md.h"
#include "../cert/cert.h"
#include "../plan/plan.h"

struct book_doc {
	const struct plan *p;
	const struct book_checks *ck;
	struct book_kinds *ks;
	const struct book_opts *o;
	struct crt_info oldi, newi;
	char *old_pem, *new_pem;	/* the appendix's file names */
	struct book_vars certs;		/* new.* and old.* for every step */
	struct cr_buf b;		/* the document */
};

/* docwrite.c: text / code span, outside or inside a table cell (md.h). */
void doc_text(struct book_doc *d, const char *s);
void doc_code(struct book_doc *d, const char *s);
void doc_cell_text(struct book_doc *d, const char *s);
void doc_cell_code(struct book_doc *d, const char *s);
void doc_item(struct book_doc *d, const char *s);	/* "- TEXT\n": a list item */
void doc_add(struct book_doc *d, const char *s);	/* certrotate's own Markdown */
void doc_addf(struct book_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "**PASS**", "**BLOCKED**", ...: a status the HTML page colours (html.c). */
const char *doc_status_word(enum book_status s);
const char *doc_step_status_word(enum book_step_status s);

/* A table of check results: the checks `items` (indices into d->ck->items). */
void doc_check_table(struct book_doc *d, const size_t *items, size_t n, int with_steps);

/* steps.c: section 4 (each step) and section 5 (rollback).  CR_EINPUT: nothing usable written. */
int doc_steps(struct book_doc *d, struct cr_err *err);
void doc_rollback(struct book_doc *d);

#endif
