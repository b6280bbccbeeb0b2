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

static void
help(void)
{
	fputs("usage: certrotate plan [-c FILE] [--format text|json]\n\n"
	    "Resolve every ref of the configuration to the old certificate (it must\n"
	    "move), the new one (already moved: its step is listed as done), a\n"
	    "protected or other certificate (left alone) or nothing known (noted),\n"
	    "and print the ordered steps: import, grant, rebind, rename, restart,\n"
	    "retire, each with its action (native, command or manual) and the checks\n"
	    "evaluated before and after it.  Reads certificates only: nothing is\n"
	    "changed, no endpoint is contacted.\n\n"
	    "options:\n"
	    "  -c, --config FILE   configuration (default ./certrotate.cfg); relative\n"
	    "                      paths inside it are relative to its directory\n"
	    "  --format text|json  output format (default text)\n"
	    "  -h, --help          this help\n\n"
	    "exit: 0 plan printed, 1 rotation.new does not exist yet (not issued:\n"
	    "      see 'certrotate renew'), 2 bad configuration (file and line named),\n"
	    "      unreadable or malformed certificate, 3 module or token failure\n", stdout);
}

int
cmd_plan(int argc, char **argv)
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
			if (rot_parse_format("plan", optarg, 1u << ROT_FMT_TEXT | 1u << ROT_FMT_JSON,
			    &fmt) != 0)
				return CR_EINPUT;
			break;
		case 'h':
			help();
			return rot_finish_output(CR_OK);
		case ':':
			return rot_usage_error("plan", "option '%s' needs a value", argv[optind - 1]);
		default:
			return rot_usage_error("plan", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return rot_usage_error("plan", "unexpected argument '%s'", argv[optind]);

	cr_err_clear(&err);
	r = rot_load(cfgpath, 0, 0, &ld, &err);
	rot_loaded_warn(&ld);
	if (r != CR_OK) {
		r = rot_report(&err);
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
