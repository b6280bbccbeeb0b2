/*
 * cli.c - helpers every subcommand shares: diagnostics, formats, output.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "rot.h"
#include "../cert/json.h"
#include "../common/text.h"
#include "../common/utf8.h"
#include "../common/util.h"
#include "../plan/config.h"
#include "../pkcs11/p11.h"

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

int
rot_report_json(const struct cr_err *err)
{
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "message", cr_json_str(err->msg));
	json_object_object_add(e, "file", err->file[0] ? cr_json_str(err->file) : NULL);
	json_object_object_add(e, "line", err->line > 0 ? json_object_new_int(err->line) : NULL);
	json_object_object_add(e, "setting", err->setting[0] ?
	    cr_json_str(err->setting) : NULL);
	json_object_object_add(e, "reason", json_object_new_string(cr_reason_name(err->reason)));
	json_object_object_add(e, "exit", json_object_new_int(err->status));
	json_object_object_add(o, "error", e);
	crt_json_print(stdout, o);
	json_object_put(o);
	return rot_report(err);
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

/* The value's name after option `opt` in the command's usage ("FILE"), or NULL. */
static char *
usage_value(const struct rot_command *cmd, const char *opt)
{
	const char *u = cmd->usage, *p;
	size_t n = strlen(opt);

	for (p = strstr(u, opt); p != NULL; p = strstr(p + 1, opt)) {
		const char *v = p + n, *e;

		if ((p > u && p[-1] != '[' && p[-1] != ' ' && p[-1] != '|') || *v != ' ')
			continue;
		for (e = ++v; *e && *e != ']' && *e != ' '; e++)
			;
		if (e > v && isupper((unsigned char)*v))
			return cr_xstrndup(v, (size_t)(e - v));
	}
	return NULL;
}

int
rot_missing_value(const struct rot_command *cmd, const char *opt)
{
	char *v = usage_value(cmd, opt);
	int r;

	if (v != NULL)
		r = rot_usage_error(cmd, "option '%s' needs a value: %s %s", opt, opt, v);
	else
		r = rot_usage_error(cmd, "option '%s' needs a value", opt);
	free(v);
	return r;
}

int
rot_unknown_option(const struct rot_command *cmd, const struct option *longopts,
    const char *opt)
{
	const char *names[64], *near = NULL;
	char *want = cr_xstrdup(opt), *eq;
	size_t n = 0;

	if ((eq = strchr(want, '=')) != NULL)
		*eq = '\0';
	for (; longopts != NULL && longopts->name != NULL && n < 64; longopts++)
		names[n++] = longopts->name;
	if (strncmp(want, "--", 2) == 0 && want[2] != '\0')
		near = plan_nearest(want + 2, names, n);
	free(want);
	if (near != NULL)
		return rot_usage_error(cmd, "unknown option '%s' (did you mean '--%s'?)", opt, near);
	return rot_usage_error(cmd, "unknown option '%s'", opt);
}

int
rot_duration_opt(const char *text, long long *secs, struct cr_err *err)
{
	const char *p = text;
	long long v = 0;

	if (*p == '\0')
		return cr_err_set(err, CR_EINPUT, "empty duration");
	for (; isdigit((unsigned char)*p); p++) {
		if (v > 100000000000LL)
			return cr_err_set(err, CR_EINPUT, "duration '%s' is too long", text);
		v = v * 10 + (*p - '0');
	}
	if (*p == '\0') {		/* a number alone: seconds, as curl's --max-time */
		*secs = v;
		return CR_OK;
	}
	return cr_duration_parse(text, secs, err);
}

int
rot_timeout_opt(const struct rot_command *cmd, const char *opt, const char *text,
    long long max_secs, long long *ms)
{
	struct cr_err err;
	long long secs;

	if (rot_duration_opt(text, &secs, &err) != CR_OK || secs <= 0 || secs > max_secs)
		return rot_usage_error(cmd, "bad %s '%s' (seconds, or with a unit: 5, 5s, 1m; "
		    "at most %lld%s)", opt, text, max_secs % 3600 == 0 ? max_secs / 3600 : max_secs,
		    max_secs % 3600 == 0 ? "h" : "s");
	*ms = secs * 1000;
	return CR_OK;
}

int
rot_source_check(const struct rot_command *cmd, const char *source)
{
	const char *rest;
	char *host;
	size_t n;
	int r;

	if (strncasecmp(source, "pkcs11:", 7) == 0) {
		struct p11_uri *u = NULL;
		struct cr_err e;

		/* a URI that is refused is refused when it is read, with its message */
		cr_err_clear(&e);
		if (p11_uri_parse(source, NULL, &u, &e) == CR_OK && p11_uri_warning(u) != NULL)
			rot_warn("warning: %s", p11_uri_warning(u));
		p11_uri_free(u);
		return 0;
	}
	if (strncasecmp(source, "https://", 8) == 0)
		rest = source + 8;
	else if (strncasecmp(source, "http://", 7) == 0)
		rest = source + 7;
	else
		return 0;
	n = strcspn(rest, "/?#");
	host = cr_xstrndup(rest, n);
	if (n == 0 || strchr(host, '@') != NULL)
		r = rot_usage_error(cmd, "'%s' is a web URL: certrotate reads what an endpoint serves "
		    "from tls://HOST:PORT", source);
	else
		r = rot_usage_error(cmd, "'%s' is a web URL: certrotate reads what an endpoint serves "
		    "from tls://HOST:PORT - try 'tls://%s%s'", source, host,
		    strchr(host, ':') != NULL && host[0] != '[' ? "" :
		    host[0] == '[' && strstr(host, "]:") != NULL ? "" : ":443");
	free(host);
	return r;
}
