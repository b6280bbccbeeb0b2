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

void
rot_warn(const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	const unsigned char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg = NULL;	/* out of memory: the prefix alone */
	fputs("certrotate: ", stderr);
	for (p = (const unsigned char *)msg; p != NULL && *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(stderr, "\\x%02X", *p);
		else
			fputc(*p, stderr);
	}
	fputc('\n', stderr);
	free(msg);
}

int
rot_report(const struct cr_err *err)
{
	if (err->msg[0] != '\0')
		rot_warn("%s", err->msg);
	return err->status;
}

int
rot_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("certrotate: ", stderr);
	if (cmd != NULL)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd != NULL)
		fprintf(stderr, "\ncertrotate: try 'certrotate %s --help'\n", cmd);
	else
		fputs("\ncertrotate: try 'certrotate --help'\n", stderr);
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
rot_parse_format(const char *cmd, const char *value, unsigned allowed, enum rot_format *fmt)
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
