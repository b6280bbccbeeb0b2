/*
 * quote.h - one value as a literal of a shell's language (SPEC 8, 9).
 *
 * Runbooks and the manual steps of `run` show the commands of a service's
 * kind (kind.h) with the placeholders replaced by values that come from
 * certificates (subject, issuer), from the configuration (host, service,
 * ref, account, path) and from certrotate itself (PEM paths).  None of them
 * is trusted: each is written as ONE literal of the kind's shell, so that
 * whatever it holds - quotes, `$(...)`, backticks, `;`, `&`, `|`, newlines -
 * reaches the command as data and never as code.  Pure functions, no I/O.
 *
 * sh (POSIX sh, dash, bash, ksh): the value between single quotes, each '
 * written as '\''.  Nothing else is special between single quotes, so every
 * byte other than NUL passes through unchanged (non-UTF-8 and control bytes
 * included).  A NUL cannot be passed in an argument: refused.
 *
 * powershell (Windows PowerShell 5.1, PowerShell 7): a verbatim string,
 * '...', inside which only a single-quote character is special, and it is
 * written twice.  PowerShell takes FIVE characters for a single quote: '
 * (U+0027) and the typographic U+2018 U+2019 U+201A U+201B (language
 * specification 3.0, section 2.3.5.2, single-quote-character); a value
 * holding ’ would otherwise end the string.  `$`, backtick, double quotes
 * and newlines are inert inside single quotes.
 *   Values made of printable ASCII are written exactly so: 'Default Frontend
 * EXCH01', 'O''Brien'.  Any other character - control characters, and every
 * character beyond ASCII - is written as [char]0xHHHH (a UTF-16 code unit;
 * two for characters beyond U+FFFF) joined to the ASCII runs with +, the
 * whole in parentheses, which PowerShell evaluates to the same string:
 *   ('Soci' + [char]0x00E9 + 't' + [char]0x00E9)      for "Société"
 *   ('' + [char]0x2019 + '; calc')                     for "’; calc"
 * Why: a script saved as UTF-8 without a byte-order mark is read by Windows
 * PowerShell 5.1 in the ANSI code page (1252), where the UTF-8 bytes of
 * "Ñ" (C3 91) read as "Ã‘" - a single quote that would end the string.  An
 * all-ASCII command reads the same in every code page and in every console,
 * and stays on one line.  The value must be valid UTF-8 (else refused:
 * PowerShell could not receive it as written) and hold no NUL.
 *   Such a value is an expression: the kind loader (kind.c) lets a
 * PowerShell placeholder stand only where an expression or an argument can
 * (never glued to other characters), so both forms are always read whole.
 */
#ifndef BOOK_QUOTE_H
#define BOOK_QUOTE_H

#include <stddef.h>

#include "../common/err.h"
#include "../common/util.h"

enum book_shell {
	BOOK_SH = 0,
	BOOK_POWERSHELL,
	BOOK_NSHELLS
};

/* "sh", "powershell". */
const char *book_shell_name(enum book_shell s);

/* Sets *out from a name ("sh", "powershell"); 0, or -1 when unknown. */
int book_shell_from_name(const char *name, enum book_shell *out);

/*
 * 1 when the shell's quoted values are only safe as a whole word (an
 * argument, an operand, inside parentheses): PowerShell.  0 when a quoted
 * value may be glued to other text (sh: --name='x' is one word).
 */
int book_shell_needs_whole_word(enum book_shell s);

/*
 * Appends the n bytes at v (NUL bytes are counted, not terminators) as one
 * literal of shell s to out.  On a value the shell cannot receive (NUL;
 * PowerShell: not UTF-8) returns CR_EINPUT with reason CR_R_MALFORMED and a
 * message that names the problem but not the value, and appends nothing.
 */
int book_quote(enum book_shell s, const char *v, size_t n, struct cr_buf *out,
    struct cr_err *err);

/* Same into a new string (free() it); NULL on failure (err says why). */
char *book_quoted(enum book_shell s, const char *v, size_t n, struct cr_err *err);

#endif
