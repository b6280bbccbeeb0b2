/*
 * cli.c - helpers every subcommand shares: diagnostics, formats, output.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rot.h"
#include "../common/text.h"

void
rot_warn(const char *fmt, ...)
{
	struct cr_buf b = CR_BUF_INIT;
	va_list ap;
	char *msg = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg = NULL;	/* out of memory: the prefix alone */
	cr_esc_ctl_add(&b, msg);
	fprintf(stderr, "certrotate: %s\n", cr_buf_str(&b));
	cr_buf_release(&b);
	free(msg);
}

int
rot_report(const struct cr_err *err)
{
	if (err->msg[0] != '\0')
		rot_warn("%s", err->msg);
	return err->status;
}

/*
 * "usage: certrotate NAME USAGE" after `prefix`, wrapped at 78 columns
 * between arguments ([...] groups stay whole), continuation lines under
 * the first argument.
 */
static void
print_usage(FILE *f, const char *prefix, const struct rot_command *cmd)
{
	const char *p = cmd->usage;
	int lead = fprintf(f, "%susage: certrotate %s", prefix, cmd->name), col = lead;

	while (*p != '\0') {
		const char *e;
		int depth = 0, len;

		while (*p == ' ')
			p++;
		for (e = p; *e != '\0' && (depth > 0 || *e != ' '); e++)
			depth += *e == '[' ? 1 : *e == ']' ? -1 : 0;
		len = (int)(e - p);
		if (len == 0)
			break;
		if (col + 1 + len > 78 && col > lead) {
			/* every line of a diagnostic carries its prefix */
			fprintf(f, "\n%s%*s", prefix, lead - (int)strlen(prefix), "");
			col = lead;
		}
		col += fprintf(f, " %.*s", len, p);
		p = e;
	}
	fputc('\n', f);
}

void
rot_help(const struct rot_command *cmd)
{
	print_usage(stdout, "", cmd);
	fputc('\n', stdout);
	fputs(cmd->help, stdout);
}

int
rot_read_write(const struct rot_command *cmd)
{
	return (cmd->flags & ROT_NEEDS_WRITE) != 0;
}

int
rot_usage_error(const struct rot_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("certrotate: ", stderr);
	if (cmd != NULL)
		fprintf(stderr, "%s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cmd != NULL) {
		print_usage(stderr, "certrotate: ", cmd);
		fprintf(stderr, "certrotate: try 'certrotate %s --help'\n", cmd->name);
	} else {
		fputs("certrotate: try 'certrotate --help'\n", stderr);
	}
	return CR_EINPUT;
}

static const char *const format_names[] = {
	[ROT_FMT_TEXT] = "text",
	[ROT_FMT_JSON] = "json",
	[ROT_FMT_MARKDOWN] = "markdown",
	[ROT_FMT_HTML] = "html",
	[ROT_FMT_PROMETHEUS] = "prometheus",
};

int
rot_parse_format(const struct rot_command *cmd, const char *value, unsigned allowed,
    enum rot_format *fmt)
{
	size_t i;
	char list[128] = "";

	for (i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++) {
		if (!(allowed & (1u << i)))
			continue;
		if (strcmp(value, format_names[i]) == 0) {
			*fmt = (enum rot_format)i;
			return 0;
		}
		if (list[0] != '\0')
			strncat(list, "|", sizeof(list) - strlen(list) - 1);
		strncat(list, format_names[i], sizeof(list) - strlen(list) - 1);
	}
	return rot_usage_error(cmd, "unknown format '%s' (expected %s)", value, list);
}

int
rot_finish_output(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		rot_warn("cannot write output: %s", strerror(errno ? errno : EIO));
		return CR_EENV;
	}
	return status;
}

int
rot_stderr_is_tty(void)
{
	return isatty(STDERR_FILENO);
}
