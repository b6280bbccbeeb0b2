/*
 * rot.h - the command line layer: subcommand handlers and the helpers they
 * share.  Only this layer prints diagnostics and decides exit codes.
 */
#ifndef ROT_H
#define ROT_H

#include <stdio.h>

#include "../common/err.h"

/* Capability flags of a subcommand (dispatch table in main.c). */
enum {
	ROT_READ_ONLY = 0,	/* read-only token sessions, changes nothing */
	ROT_NEEDS_WRITE = 1,	/* read-write token sessions, writes files/tokens */
};

/* Every subcommand: argv[0] is the subcommand name; returns the exit code. */
int cmd_inspect(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* The dispatch table row of a subcommand (for --help texts). */
struct rot_command {
	const char *name;
	int (*fn)(int, char **);
	int flags;
	const char *summary;
	const char *usage;	/* arguments after the name */
};
const struct rot_command *rot_commands(void);	/* terminated by a NULL name */

/*
 * "certrotate: <msg>" on stderr, one line: a control byte that reached the
 * message unescaped (a newline in a file name) is written \xHH, so no input
 * can forge a line of its own.
 */
void rot_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints err's message with the prefix (as rot_warn) and returns its status. */
int rot_report(const struct cr_err *err);
/* Usage error: prints "certrotate: CMD: MSG" and a hint to --help; returns 2. */
int rot_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Output formats a subcommand may accept. */
enum rot_format { ROT_FMT_TEXT, ROT_FMT_JSON, ROT_FMT_MARKDOWN, ROT_FMT_HTML, ROT_FMT_PROMETHEUS };
/*
 * Parses a --format value among the `allowed` bitmask (1 << enum value).
 * Returns 0 and sets *fmt, or prints a usage error and returns 2.
 */
int rot_parse_format(const char *cmd, const char *value, unsigned allowed, enum rot_format *fmt);

/*
 * Flushes stdout and reports a write error ("cannot write output: ...").
 * Returns `status` when all is well, else CR_EENV.
 */
int rot_finish_output(int status);

/* 1 when stderr is a terminal (progress is shown only then). */
int rot_stderr_is_tty(void);

#endif
