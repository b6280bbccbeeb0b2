/*
 * cmd_renew.c - `certrotate renew [-c FILE] [--key-type rsa:BITS|ec:CURVE]
 * [-o FILE.csr] [--format text|json] [--force-login]`: options, then
 * renew.c does the work.  Usage and help are in its row (main.c).
 */
#include <getopt.h>
#include <stdio.h>

#include "rot.h"
#include "renew.h"

int
cmd_renew(const struct rot_command *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "key-type", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "force-login", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rot_renew_opts o = { self, "certrotate.cfg", NULL, NULL, ROT_FMT_TEXT, 0 };
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.cfgpath = optarg;
			break;
		case 'k':
			o.key_type = optarg;
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'f':
			if (rot_parse_format(self, optarg, 1u << ROT_FMT_TEXT | 1u << ROT_FMT_JSON,
			    &o.fmt) != 0)
				return CR_EINPUT;
			break;
		case 'F':
			o.force_login = 1;
			break;
		case 'h':
			rot_help(self);
			return rot_finish_output(CR_OK);
		case ':':
			return rot_usage_error(self, "option '%s' needs a value", argv[optind - 1]);
		default:
			return rot_usage_error(self, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return rot_usage_error(self, "unexpected argument '%s'", argv[optind]);
	return rot_renew(&o);
}
