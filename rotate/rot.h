/*
 * rot.h - the command line layer: subcommand handlers and the helpers they
 * share.  Only this layer prints diagnostics and decides exit codes.
 */
#ifndef ROT_H
#define ROT_H

#include <stdio.h>

#include "../common/err.h"

/*
 * What a subcommand may do to tokens (dispatch table in main.c): every
 * token session it opens is read-only, or read-write (a command that
 * stores or destroys objects: libp11 fixes a slot's session mode with its
 * first session, so the mode is chosen before anything logs in).
 */
enum {
	ROT_READ_ONLY = 0,	/* read-only token sessions, changes nothing */
	ROT_NEEDS_WRITE = 1,	/* read-write token sessions, writes files/tokens */
};

/* A row of the dispatch table: a subcommand and everything said about it. */
struct rot_command {
	const char *name;
	int (*fn)(const struct rot_command *self, int argc, char **argv);
	int flags;		/* ROT_READ_ONLY or ROT_NEEDS_WRITE */
	const char *summary;	/* one line for `certrotate --help` */
	const char *usage;	/* its arguments, after "certrotate NAME" */
	const char *help;	/* the rest of `certrotate NAME --help` */
};

/*
 * Every subcommand: self is its row, argv[0] its name; returns the exit
 * code.  Each parses its own options.
 */
int cmd_inspect(const struct rot_command *self, int argc, char **argv);
int cmd_plan(const struct rot_command *self, int argc, char **argv);
int cmd_check(const struct rot_command *self, int argc, char **argv);
int cmd_scan(const struct rot_command *self, int argc, char **argv);
int cmd_runbook(const struct rot_command *self, int argc, char **argv);
int cmd_run(const struct rot_command *self, int argc, char **argv);
int cmd_rollback(const struct rot_command *self, int argc, char **argv);
int cmd_renew(const struct rot_command *self, int argc, char **argv);

/* `certrotate NAME --help` on stdout: the usage line (from the row), then its help. */
void rot_help(const struct rot_command *cmd);

/* 1 when the command's token sessions are read-write (ROT_NEEDS_WRITE). */
int rot_read_write(const struct rot_command *cmd);

/*
 * "certrotate: <msg>" on stderr, one line: a control byte that reached the
 * message unescaped (a newline in a file name) is written \xHH, so no input
 * can forge a line of its own.
 */
void rot_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints err's message with the prefix (as rot_warn) and returns its status. */
int rot_report(const struct cr_err *err);

/*
 * For --format json: a failure that leaves no report (a configuration
 * error, an input that cannot be read) as one JSON object on stdout -
 *   {"error": {"message", "file", "line", "setting", "reason", "exit"}}
 * message as on stderr; file, line and setting where the error is a
 * setting's (cr_err_locate), else null; reason cr_reason_name's; exit the
 * status - then the message on stderr too (rot_report).  Returns the status.
 */
int rot_report_json(const struct cr_err *err);
/*
 * Usage error: prints "certrotate: NAME: MSG", the command's usage line
 * and a hint to its --help (cmd NULL: "certrotate: MSG" and a hint to
 * --help); returns 2.
 */
int rot_usage_error(const struct rot_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Option errors in git's and curl's words, with what fixes them:
 * rot_missing_value - "option '-c' needs a value: -c FILE" (the value's
 * name from the command's usage line); rot_unknown_option - "unknown
 * option '--no-probes' (did you mean '--no-probe'?)" among `longopts`
 * (getopt_long's table, NULL-terminated; may be NULL).  Both print the
 * usage and return 2.
 */
struct option;
int rot_missing_value(const struct rot_command *cmd, const char *opt);
int rot_unknown_option(const struct rot_command *cmd, const struct option *longopts,
    const char *opt);

/*
 * A duration given as an option: a number and a unit (90s 45m 12h 30d 2w),
 * or a number alone, in seconds ("--timeout 5").  CR_OK and *secs, or
 * CR_EINPUT (err names the forms).
 */
int rot_duration_opt(const char *text, long long *secs, struct cr_err *err);

/*
 * A timeout option (`opt`, e.g. "--timeout") of at most max_secs, parsed
 * with rot_duration_opt: CR_OK and *ms, or the usage error naming the
 * option, the forms it takes and its bound (2).
 */
int rot_timeout_opt(const struct rot_command *cmd, const char *opt, const char *text,
    long long max_secs, long long *ms);

/*
 * A SOURCE argument before it is read: a web URL (http://, https://) is a
 * usage error saying what to write instead ("tls://HOST:443"), returning
 * 2; a PKCS#11 URI's vendor query attributes are ignored with a warning
 * (p11_uri_warning); else 0.
 */
int rot_source_check(const struct rot_command *cmd, const char *source);

/* Output formats a subcommand may accept. */
enum rot_format { ROT_FMT_TEXT, ROT_FMT_JSON, ROT_FMT_MARKDOWN, ROT_FMT_HTML, ROT_FMT_PROMETHEUS };
/*
 * Parses a --format value among the `allowed` bitmask (1 << enum value).
 * Returns 0 and sets *fmt, or prints a usage error and returns 2.
 */
int rot_parse_format(const struct rot_command *cmd, const char *value, unsigned allowed,
    enum rot_format *fmt);

/*
 * Flushes stdout and reports a write error ("cannot write output: ...").
 * Returns `status` when all is well, else CR_EENV.
 */
int rot_finish_output(int status);

/* 1 when stderr is a terminal (progress is shown only then). */
int rot_stderr_is_tty(void);

#endif
