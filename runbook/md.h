/*
 * md.h - values into Markdown (CommonMark with GitHub's tables), inert.
 *
 * A runbook is made of text certrotate writes and of values it does not
 * control: certificate fields, host, service, ref and account names, paths,
 * check messages.  Every value goes through one of these functions, so that
 * none can start markup - emphasis, links, raw HTML, entities, headings,
 * lists, a table cell's end ('|') or a code span's end - or hide what it
 * holds.  Pure functions, no I/O.
 *
 * TEXT (book_md_text): ASCII punctuation that can start markup inline is
 * backslash-escaped (\ ` * _ [ ] < > | & ~ and, for a value that starts a
 * line, what would start a block there: # + - = and a digit run ending in
 * . or ));
 * characters that are not printable are shown, never written: C0 controls
 * and DEL as their Control Pictures (newline U+240A, tab U+2409, ...), C1
 * controls and the invisible and bidirectional formatting marks as
 * [U+XXXX], bytes that are not UTF-8 as U+FFFD.  The value therefore stays
 * on one line - one table cell, one paragraph.
 *
 * CODE SPAN (book_md_code): the value between backtick fences one longer
 * than its longest run of backticks (padded when it starts or ends with one,
 * CommonMark 6.1); in a table cell '|' is written '\|' (the table parser
 * removes the backslash first, GFM 4.10).  A value that holds anything
 * TEXT would show instead of write is written as TEXT.
 *
 * CODE BLOCK (book_md_block): command lines in a fenced block whose fence is
 * longer than any run of backticks inside, so no line can close it.  Inside
 * a block nothing is escaped: the lines are what the operator copies.  So
 * they must be writable as they are (book_md_block_ok): valid UTF-8 with no
 * control character but tab and newline (a newline inside a quoted value is
 * part of the command), and no invisible or bidirectional formatting mark
 * (the block would show another command than the one copied).
 */
#ifndef BOOK_MD_H
#define BOOK_MD_H

#include <stddef.h>

#include "../common/util.h"

enum {
	BOOK_MD_CELL = 1,	/* the value goes into a table cell */
	BOOK_MD_LINE_START = 2,	/* the value starts a line (a list item's text) */
};

/* Appends s (NULL: nothing) as Markdown text (see above). */
void book_md_text(struct cr_buf *b, const char *s, unsigned flags);

/* Appends s as an inline code span, or as text when it must be (see above). */
void book_md_code(struct cr_buf *b, const char *s, unsigned flags);

/*
 * 0 when s can stand in a code block as it is; else -1 with *off the byte
 * offset and *cp the code point (or the byte, for invalid UTF-8) at fault.
 */
int book_md_block_ok(const char *s, size_t *off, unsigned *cp);

/*
 * Appends a fenced code block with info string `lang` (NULL: none) holding
 * the n lines (each checked with book_md_block_ok by the caller).
 */
void book_md_block(struct cr_buf *b, const char *lang, char *const *lines, size_t n);

/* 1 for the invisible and bidirectional formatting marks shown as [U+XXXX]. */
int book_is_format_mark(unsigned cp);

#endif
