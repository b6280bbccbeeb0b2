/*
 * main.c - certrotate's entry point: one dispatch table, nothing else.
 * Each subcommand parses its own options (cmd_*.c).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "rot.h"

static const struct rot_command commands[] = {
	{ "plan", cmd_plan, ROT_READ_ONLY, "build and print the ordered rotation plan",
	  "[-c FILE] [--format text|json]" },
	{ "check", cmd_check, ROT_READ_ONLY, "dry run: evaluate every step's preconditions",
	  "[-c FILE] [--format text|json] [--no-probe] [--strict] [--force-login] [--timeout D]" },
	{ "renew", cmd_renew, ROT_NEEDS_WRITE,
	  "generate the new key on the token and the certificate request",
	  "[-c FILE] [--key-type rsa:BITS|ec:CURVE] [-o FILE.csr] [--format text|json]" },
	{ "inspect", cmd_inspect, ROT_READ_ONLY, "show everything that identifies certificates",
	  "SOURCE... [--format text|json]" },
	{ "scan", cmd_scan, ROT_READ_ONLY, "list certificates soonest expiry first; exit 1 if expiring",
	  "SOURCE... [--within D] [--format text|json|prometheus] [--timeout D]" },
	{ NULL, NULL, 0, NULL, NULL },
};

const struct rot_command *
rot_commands(void)
{
	return commands;
}

static void
usage(FILE *f)
{
	const struct rot_command *c;

	fputs("usage: certrotate COMMAND [OPTIONS]\n"
	    "       certrotate --version | --help | COMMAND --help\n\n"
	    "Replace a TLS certificate in use by services, safely: plan the change,\n"
	    "check every step's preconditions against the real certificates, keys,\n"
	    "tokens and endpoints.\n\ncommands:\n", f);
	for (c = commands; c->name != NULL; c++)
		fprintf(f, "  %-9s %s\n", c->name, c->summary);
	fputs("\nexit codes: 0 success, 1 blocked (a check failed, renew refused, or scan\n"
	    "found certificates expiring), 2 bad input, 3 environment failure (module,\n"
	    "token, endpoint).\n"
	    "See certrotate(1) and certrotate.cfg(5).\n", f);
}

int
main(int argc, char **argv)
{
	const struct rot_command *c;

	if (argc < 2) {
		usage(stderr);
		return CR_EINPUT;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return rot_finish_output(CR_OK);
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("certrotate %s\n", CR_VERSION);
		return rot_finish_output(CR_OK);
	}
	for (c = commands; c->name != NULL; c++)
		if (strcmp(argv[1], c->name) == 0)
			return c->fn(argc - 1, argv + 1);
	return rot_usage_error(NULL, "unknown command '%s'", argv[1]);
}
