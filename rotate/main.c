/*
 * main.c - certrotate's entry point: one dispatch table, nothing else.
 * Each row is a subcommand: its handler, what it may do to tokens (the
 * flag gives it read-only or read-write token sessions), and everything
 * --help and usage errors say about it.  Each subcommand parses its own
 * options (cmd_*.c).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "rot.h"
#include "../plan/config.h"

static const struct rot_command commands[] = {
	{ "plan", cmd_plan, ROT_READ_ONLY, "build and print the ordered rotation plan",
	  "[-c FILE] [--format text|json]",
	  "Resolve every ref of the configuration to the old certificate (it must\n"
	  "move), the new one (already moved: its step is listed as done), a\n"
	  "protected or other certificate (left alone) or nothing known (noted),\n"
	  "and print the ordered steps: import, grant, rebind, rename, restart,\n"
	  "retire, each with its action (native, command or manual) and the checks\n"
	  "evaluated before and after it.  Reads certificates only: nothing is\n"
	  "changed, no endpoint is contacted.\n"
	  "\n"
	  "options:\n"
	  "  -c, --config FILE   configuration (default ./certrotate.cfg); relative\n"
	  "                      paths inside it are relative to its directory\n"
	  "  --format text|json  output format (default text)\n"
	  "  -h, --help          this help\n"
	  "\n"
	  "exit: 0 plan printed, 1 rotation.new does not exist yet (not issued:\n"
	  "      see 'certrotate renew'), 2 bad configuration (file and line named),\n"
	  "      unreadable or malformed certificate, 3 module or token failure\n" },
	{ "check", cmd_check, ROT_READ_ONLY, "dry run: evaluate every step's preconditions",
	  "[-c FILE] [--format text|json] [--no-probe] [--strict] [--force-login] "
	  "[--timeout DURATION]",
	  "The dry run: build the rotation plan and evaluate every precondition of\n"
	  "every step against the real certificates, keys, tokens and endpoints, as\n"
	  "it would hold at the start of `run`.  Nothing is changed.\n"
	  "\n"
	  "options:\n"
	  "  -c, --config FILE     configuration (default ./certrotate.cfg)\n"
	  "  --format text|json    output format (default text)\n"
	  "  --no-probe            do not contact endpoints\n"
	  "  --strict              warnings fail (exit 1)\n"
	  "  --force-login         log in even to a token reporting its final PIN try\n"
	  "  --timeout DURATION    per endpoint probe (default 5s; e.g. 10s)\n"
	  "  -h, --help            this help\n"
	  "\n"
	  "exit: 0 all checks pass (warnings allowed unless --strict), 1 a check\n"
	  "      failed (also: rotation.new not issued yet), 2 bad input (configuration,\n"
	  "      certificate), 3 a module, token or endpoint failed (a refused PIN is\n"
	  "      never retried)\n" },
	{ "run", cmd_run, ROT_NEEDS_WRITE, "execute the rotation, step by step, journaled",
	  "[-c FILE] [--state FILE] [--yes] [--resume] [--only STEP] [--until STEP] "
	  "[--format text|json] [--hook-timeout DURATION] [--timeout DURATION] [--kinds DIR] "
	  "[--force-login]",
	  "Execute the rotation plan.  For each step: its preconditions are checked\n"
	  "again right before it (the checks of `check`), it is done - natively, by\n"
	  "its hook, or by the operator - and its verify checks run after it.  The\n"
	  "first failure stops the run, with the step journaled failed and what to do\n"
	  "next.  Every step is journaled (JSON Lines, fsync'd, 0600): an interrupted\n"
	  "run resumes where it stopped, re-verifying what is done.\n"
	  "\n"
	  "Without --yes it asks before each step on the terminal: y do it (a manual\n"
	  "step: it is done), s skip it, r check again, a abort.  With --yes native\n"
	  "and command steps run unattended and the first manual step stops the run.\n"
	  "\n"
	  "options:\n"
	  "  -c, --config FILE       configuration (default ./certrotate.cfg)\n"
	  "  --state FILE            the journal (default: the configuration's path\n"
	  "                          followed by .state)\n"
	  "  -y, --yes               unattended: no questions, stop at a manual step\n"
	  "  --resume                go on from the journal (a plain run does too;\n"
	  "                          without a journal it starts at the first step)\n"
	  "  --only STEP             that step alone (its id, or its number)\n"
	  "  --until STEP            the steps up to and including STEP\n"
	  "  --format text|json      progress for people (default), or JSON Lines:\n"
	  "                          one event per line as it happens\n"
	  "  --hook-timeout DURATION a hook's time before it is killed (default 300s)\n"
	  "  --timeout DURATION      per endpoint probe (default 5s)\n"
	  "  --kinds DIR             where kind files are (manual steps' commands)\n"
	  "  --force-login           log in even to a token reporting its final PIN try\n"
	  "  -h, --help              this help\n"
	  "\n"
	  "exit: 0 the rotation is complete (or stopped where --until/--only said),\n"
	  "      1 a step is blocked, failed its verification, awaits the operator\n"
	  "      (manual under --yes) or was aborted or skipped, 2 bad input (another\n"
	  "      rotation's journal, a configuration error, no terminal without --yes),\n"
	  "      3 a token, module, file or command failed, or the journal is in use\n" },
	{ "rollback", cmd_rollback, ROT_NEEDS_WRITE, "undo what the journal says run did",
	  "[-c FILE] [--state FILE] [--yes] [--format text|json] [--hook-timeout DURATION] "
	  "[--timeout DURATION] [--kinds DIR] [--force-login]",
	  "Undo the steps the journal says this rotation's run did, each journaled:\n"
	  "the retired certificate put back on its token from the archive (with its\n"
	  "CKA_ID and label), refs back to the old certificate (files restored from\n"
	  "the archive, symlinks repointed, hooks run again with old and new swapped\n"
	  "and CERTROTATE_PHASE=rollback, or their undo argv), services restarted\n"
	  "again, and the imported certificate removed when this journal imported it.\n"
	  "Each undo is verified (the old certificate back on its token, in its files,\n"
	  "served by every endpoint; what cannot be seen from here is named): a failed\n"
	  "verification stops the rollback.  Private keys are never deleted.\n"
	  "Resumable like run; it ends with the rotation rolled back.\n"
	  "\n"
	  "options:\n"
	  "  -c, --config FILE       configuration (default ./certrotate.cfg)\n"
	  "  --state FILE            the journal (default: CONFIG.state)\n"
	  "  -y, --yes               unattended: no questions, stop at a manual step\n"
	  "  --format text|json      progress for people (default), or JSON Lines\n"
	  "  --hook-timeout DURATION a hook's time before it is killed (default 300s)\n"
	  "  --timeout DURATION      per endpoint probe of the verification (default 5s)\n"
	  "  --kinds DIR             where kind files are (manual steps' commands)\n"
	  "  --force-login           log in even to a token reporting its final PIN try\n"
	  "  -h, --help              this help\n"
	  "\n"
	  "exit: 0 rolled back (or nothing to roll back), 1 a step awaits the operator,\n"
	  "      was skipped or aborted, or its verification fails, 2 no journal or another rotation's, 3 a token,\n"
	  "      file or command failed, or the journal is in use\n" },
	{ "runbook", cmd_runbook, ROT_READ_ONLY, "write the change-request runbook (Markdown, HTML)",
	  "[-c FILE] [-o FILE] [--format markdown|html] [--no-probe] [--kinds DIR] "
	  "[--timeout DURATION]",
	  "Write the change-request runbook of the rotation: the certificates old\n"
	  "and new, what is affected, the pre-check results (the checks of `check`),\n"
	  "every step with its exact commands (each value quoted for its shell), how\n"
	  "to verify and roll back each, a rollback section and a sign-off block.\n"
	  "Nothing is changed.\n"
	  "\n"
	  "options:\n"
	  "  -c, --config FILE        configuration (default ./certrotate.cfg)\n"
	  "  -o, --output FILE        write the document to FILE (atomically, never\n"
	  "                           through a symlink) instead of stdout\n"
	  "  --format markdown|html   Markdown (default; md for short) or one\n"
	  "                           self-contained HTML page\n"
	  "  --no-probe               do not contact endpoints (their checks are skipped)\n"
	  "  --kinds DIR              read kind files from DIR (default: kinds_dir, else\n"
	  "                           the installed kinds)\n"
	  "  --timeout DURATION       per endpoint probe (default 5s)\n"
	  "  -h, --help               this help\n"
	  "\n"
	  "exit: 0 written, pre-checks pass; 1 written, a pre-check fails (nothing\n"
	  "      written when rotation.new is not issued yet); 2 bad input (nothing\n"
	  "      written); 3 a module, token or endpoint failed (written when a plan\n"
	  "      could be built, with the failure among the pre-checks)\n" },
	{ "renew", cmd_renew, ROT_NEEDS_WRITE,
	  "generate the new key on the token and the certificate request",
	  "[-c FILE] [--key-type rsa:BITS|ec:CURVE] [-o FILE.csr] [--format text|json] "
	  "[--force-login]",
	  "Generate the new key pair on the token rotation.key names (private,\n"
	  "sensitive, never extractable, sign only; the public key beside it) and\n"
	  "write a PKCS#10 request signed by it on the token: subject as the old\n"
	  "certificate's (or rotation.subject), subjectAltName exactly the union of\n"
	  "every service's names (lower case, sorted, each once), serverAuth\n"
	  "requested, a signature algorithm every host's accepts.signature allows.\n"
	  "Reports the names dropped and gained against the old certificate, the key\n"
	  "type old -> new, and the hosts whose accepts the issuing CA must honour.\n"
	  "CKA_ID and label come from rotation.key; when it gives none, a random\n"
	  "8-byte CKA_ID and the rotation's name are used and printed.\n"
	  "\n"
	  "options:\n"
	  "  -c, --config FILE     configuration (default ./certrotate.cfg)\n"
	  "  --key-type TYPE       rsa:2048, rsa:3072, rsa:4096, ec:prime256v1 or\n"
	  "                        ec:secp384r1 (default: the old certificate's, when\n"
	  "                        every host's accepts.key allows it)\n"
	  "  -o, --output FILE     write the request there (0600; never over an\n"
	  "                        existing file); default: stdout, after the report\n"
	  "  --format text|json    report format (default text; json holds the request)\n"
	  "  --force-login         log in even to a token reporting its final PIN try\n"
	  "  -h, --help            this help\n"
	  "\n"
	  "Nothing is changed when renew refuses: an object with that CKA_ID or label\n"
	  "on the token, a key type a host does not accept, a refused PIN (tried once).\n"
	  "\n"
	  "exit: 0 key generated and request written, 1 refused (id or label taken,\n"
	  "      key type not accepted), 2 bad input (configuration, certificate,\n"
	  "      -o exists), 3 module or token failure (PIN refused, locked, final try)\n" },
	{ "inspect", cmd_inspect, ROT_READ_ONLY, "show everything that identifies certificates",
	  "SOURCE... [--format text|json]",
	  "Show what identifies each certificate: subject, issuer, serial, validity\n"
	  "with days left, SAN, signature algorithm (name and OID), public key, EKU,\n"
	  "SHA-1 thumbprint (as Windows prints it), SHA-256, the <I>issuer<S>subject\n"
	  "name Exchange connectors use, key usage and basic constraints, and for\n"
	  "token objects the token, object label, CKA_ID and the matching private\n"
	  "key's flags.  For a file or an endpoint, the chain it carries: subject,\n"
	  "issuer and SHA-1 of each certificate, self-signed ones marked, and whether\n"
	  "it is in order and complete up to a root or an anchor of the system store.\n"
	  "\n"
	  "sources:\n"
	  "  file:PATH | PATH          PEM (first certificate is the leaf), DER, PKCS#12\n"
	  "  file:P.p12?pass-source=file:PWFILE\n"
	  "  DIRECTORY[?pass-source=file:PWFILE]\n"
	  "                            every *.pem *.crt *.cer *.der *.p12 *.pfx in it and\n"
	  "                            below; a file holding no certificate (a private\n"
	  "                            key) is skipped with a note; each file that cannot\n"
	  "                            be read (a PKCS#12 without its password too) is\n"
	  "                            reported, the others shown\n"
	  "  pkcs11:token=..;object=..;type=cert[?pin-source=file:PIN]\n"
	  "                            certificate objects (a token-only URI: all of them);\n"
	  "                            with a pin-source the private key is looked up -\n"
	  "                            unless the URI matches several tokens: a PIN is\n"
	  "                            one token's and is tried on none of them\n"
	  "  tls://HOST:PORT[?sni=NAME&starttls=smtp]   what an endpoint serves;\n"
	  "                            SNI is NAME, else HOST when it is a name (none for\n"
	  "                            an IP address); ?sni= (empty) sends none\n"
	  "\n"
	  "options:\n"
	  "  --format text|json        output format (default text; json is an array)\n"
	  "  -h, --help                this help\n"
	  "\n"
	  "exit: 0 all shown, 2 a source is malformed or unreadable,\n"
	  "      3 a module, token or endpoint failed\n" },
	{ "scan", cmd_scan, ROT_READ_ONLY, "list certificates soonest expiry first; exit 1 if expiring",
	  "SOURCE... [--within DURATION] [--format text|json|prometheus] [--timeout DURATION]",
	  "List the certificates of tokens, files, directory trees and endpoints,\n"
	  "soonest expiry first, with days left, SHA-1 thumbprint, subject and\n"
	  "source; for token objects whether the private key is on the token.\n"
	  "\n"
	  "sources:\n"
	  "  pkcs11:token=..[;object=..][?pin-source=file:PIN]\n"
	  "                            every certificate object the URI names; plain\n"
	  "                            'pkcs11:' is every token of every registered\n"
	  "                            module but p11-kit's trust module (the system CA\n"
	  "                            store); with a pin-source the private keys are\n"
	  "                            looked up - unless the URI matches several tokens:\n"
	  "                            a PIN is one token's and is tried on none of them\n"
	  "  FILE | file:PATH[?pass-source=file:PWFILE]    PEM, DER or PKCS#12\n"
	  "  DIRECTORY[?pass-source=file:PWFILE]\n"
	  "                            every *.pem *.crt *.cer *.der *.p12 *.pfx below\n"
	  "                            it (links followed, each file once, hidden names\n"
	  "                            left out); private keys and other non-certificates\n"
	  "                            are listed as skipped, FIFOs and devices never opened\n"
	  "  tls://HOST:PORT[?sni=NAME&starttls=smtp]      what an endpoint serves\n"
	  "\n"
	  "options:\n"
	  "  --within DURATION         expiring means within this (default 30d; 90s 45m\n"
	  "                            12h 30d 2w); an expired certificate always counts\n"
	  "  --format text|json|prometheus\n"
	  "                            output (default text); prometheus is the text\n"
	  "                            exposition format for node_exporter's textfile\n"
	  "                            collector\n"
	  "  --timeout DURATION        per endpoint (default 5s); at most 32 at once\n"
	  "  -h, --help                this help\n"
	  "\n"
	  "columns: KEY is yes / no for token objects whose private key was looked up\n"
	  "(? when it could not be: no PIN), - for other sources.\n"
	  "\n"
	  "exit: 0 none expiring, 1 a certificate expires within DURATION (or has\n"
	  "      expired), 2 bad input (a source malformed or unreadable), 3 a\n"
	  "      module, token or endpoint failed; when several apply 2 wins, then 3,\n"
	  "      then 1.  Everything readable is listed whatever the exit code.\n" },
	{ NULL, NULL, 0, NULL, NULL, NULL },
};

static const struct rot_command *
find(const char *name)
{
	const struct rot_command *c;

	for (c = commands; c->name != NULL; c++)
		if (strcmp(name, c->name) == 0)
			return c;
	return NULL;
}

/* Not a command: the nearest one, if any.  Returns 2. */
static int
not_a_command(const char *name)
{
	const char *names[32], *near;
	const struct rot_command *c;
	size_t n = 0;

	for (c = commands; c->name != NULL && n < 32; c++)
		names[n++] = c->name;
	near = plan_nearest(name, names, n);
	if (near != NULL)
		return rot_usage_error(NULL, "unknown command '%s' (did you mean '%s'?)", name, near);
	return rot_usage_error(NULL, "unknown command '%s'", name);
}

static void
usage(FILE *f)
{
	const struct rot_command *c;

	fputs("usage: certrotate COMMAND [OPTIONS]\n"
	  "       certrotate --version | --help | COMMAND --help | help COMMAND\n\n"
	  "Replace a TLS certificate in use by services, safely: plan the change,\n"
	  "check every step's preconditions against the real certificates, keys,\n"
	  "tokens and endpoints, execute it step by step and roll it back.\n\ncommands:\n", f);
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
	/* "help check" is "check --help", as git has it */
	if (strcmp(argv[1], "help") == 0 && argc > 2) {
		if ((c = find(argv[2])) == NULL)
			return not_a_command(argv[2]);
		rot_help(c);
		return rot_finish_output(CR_OK);
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
	if ((c = find(argv[1])) != NULL)
		return c->fn(c, argc - 1, argv + 1);
	return not_a_command(argv[1]);
}
