/*
 * cmd_plan.c - `certrotate plan [-c FILE] [--format text|json]`: the
 * ordered rotation plan (SPEC 5).
 *
 * Reads the configuration and the certificates it names (token objects are
 * read, never written, and no login is needed to read certificates);
 * contacts no endpoint unless a source itself is tls://.  The plan goes to
 * stdout only once it is complete: on any error stdout stays empty.
 */
#include <getopt.h>
#include <stdio.h>

#include "rot.h"
#include "load.h"

int
cmd_plan(const struct rot_command *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rot_loaded ld = ROT_LOADED_INIT;
	enum rot_format fmt = ROT_FMT_TEXT;
	const char *cfgpath = "certrotate.cfg";
	struct cr_err err;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'f':
			if (rot_parse_format(self, optarg, 1u << ROT_FMT_TEXT | 1u << ROT_FMT_JSON,
			    &fmt) != 0)
				return CR_EINPUT;
			break;
		case 'h':
			rot_help(self);
			return rot_finish_output(CR_OK);
		case ':':
			return rot_missing_value(self, argv[optind - 1]);
		default:
			return rot_unknown_option(self, longopts, argv[optind - 1]);
		}
	}
	if (optind < argc)
		return rot_usage_error(self, "unexpected argument '%s'", argv[optind]);

	cr_err_clear(&err);
	r = rot_load(self, cfgpath, 0, 0, &ld, &err);
	rot_loaded_warn(&ld);
	if (r != CR_OK) {
		r = fmt == ROT_FMT_JSON ? rot_report_json(&err) : rot_report(&err);
		goto out;
	}
	if (fmt == ROT_FMT_JSON)
		plan_render_json(ld.plan, stdout);
	else
		plan_render_text(ld.plan, stdout);
	r = rot_finish_output(CR_OK);
out:
	rot_loaded_release(&ld);
	return r;
}
