/*
 * cmd_renew.c - `certrotate renew [-c FILE] [--key-type rsa:BITS|ec:CURVE]
 * [-o FILE.csr] [--format text|json] [--force-login]`: options, then
 * renew.c does the work.
 */
#include <getopt.h>
#include <stdio.h>

#include "rot.h"
#include "renew.h"

static void
help(void)
{
	fputs("usage: certrotate renew [-c FILE] [--key-type rsa:BITS|ec:CURVE] [-o FILE.csr]\n"
	    "                        [--format text|json] [--force-login]\n\n"
	    "Generate the new key pair on the token rotation.key names (private,\n"
	    "sensitive, never extractable, sign only; the public key beside it) and\n"
	    "write a PKCS#10 request signed by it on the token: subject as the old\n"
	    "certificate's (or rotation.subject), subjectAltName exactly the union of\n"
	    "every service's names (lower case, sorted, each once), serverAuth\n"
	    "requested, a signature algorithm every host's accepts.signature allows.\n"
	    "Reports the names dropped and gained against the old certificate, the key\n"
	    "type old -> new, and the hosts whose accepts the issuing CA must honour.\n"
	    "CKA_ID and label come from rotation.key; when it gives none, a random\n"
	    "8-byte CKA_ID and the rotation's name are used and printed.\n\n"
	    "options:\n"
	    "  -c, --config FILE     configuration (default ./certrotate.cfg)\n"
	    "  --key-type TYPE       rsa:2048, rsa:3072, rsa:4096, ec:prime256v1 or\n"
	    "                        ec:secp384r1 (default: the old certificate's, when\n"
	    "                        every host's accepts.key allows it)\n"
	    "  -o, --output FILE     write the request there (0600; never over an\n"
	    "                        existing file); default: stdout, after the report\n"
	    "  --format text|json    report format (default text; json holds the request)\n"
	    "  --force-login         log in even to a token reporting its final PIN try\n"
	    "  -h, --help            this help\n\n"
	    "Nothing is changed when renew refuses: an object with that CKA_ID or label\n"
	    "on the token, a key type a host does not accept, a refused PIN (tried once).\n\n"
	    "exit: 0 key generated and request written, 1 refused (id or label taken,\n"
	    "      key type not accepted), 2 bad input (configuration, certificate,\n"
	    "      -o exists), 3 module or token failure (PIN refused, locked, final try)\n",
	    stdout);
}

int
cmd_renew(int argc, char **argv)
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
	struct rot_renew_opts o = { "certrotate.cfg", NULL, NULL, ROT_FMT_TEXT, 0 };
	int c;

	opterr = 0;
	optind = 1;
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
			if (rot_parse_format("renew", optarg, 1u << ROT_FMT_TEXT | 1u << ROT_FMT_JSON,
			    &o.fmt) != 0)
				return CR_EINPUT;
			break;
		case 'F':
			o.force_login = 1;
			break;
		case 'h':
			help();
			return rot_finish_output(CR_OK);
		case ':':
			return rot_usage_error("renew", "option '%s' needs a value", argv[optind - 1]);
		default:
			return rot_usage_error("renew", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return rot_usage_error("renew", "unexpected argument '%s'", argv[optind]);
	return rot_renew(&o);
}
