/*
 * cmd_rollback.c - `certrotate rollback`: what the journal says this
 * rotation's run did, undone (SPEC 7.1; the order and the journaling are
 * exec.h's): the retired certificate back from the archive, files put back,
 * hooks run again with old and new swapped (or their undo argv), services
 * restarted again, the imported certificate removed - never a private key.
 * Each undo is verified (the rollback rows of plan/checks.def, through the
 * check engine in journal mode): a failed verification stops the rollback.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rot.h"
#include "exec.h"
#include "../common/hook.h"
#include "progress.h"
#include "state.h"
#include "drive.h"
#include "../common/util.h"
#include "../runbook/kind.h"

struct rollback_opts {
	const char *config, *state, *kinds;
	int yes, force;
	enum rot_format fmt;
	long long hook_timeout_ms;
	int probe_timeout_ms;		/* 0: the default */
};

static int
parse(const struct rot_command *self, int argc, char **argv, struct rollback_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 'S' },
		{ "yes", no_argument, NULL, 'y' },
		{ "format", required_argument, NULL, 'f' },
		{ "hook-timeout", required_argument, NULL, 'H' },
		{ "timeout", required_argument, NULL, 't' },
		{ "kinds", required_argument, NULL, 'K' },
		{ "force-login", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long long ms;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:c:yh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'S': o->state = optarg; break;
		case 'y': o->yes = 1; break;
		case 'K': o->kinds = optarg; break;
		case 'F': o->force = 1; break;
		case 'f':
			if (rot_parse_format(self, optarg, 1u << ROT_FMT_TEXT | 1u << ROT_FMT_JSON,
			    &o->fmt) != 0)
				return CR_EINPUT;
			break;
		case 'H':
			if (rot_timeout_opt(self, "--hook-timeout", optarg, 86400,
			    &o->hook_timeout_ms) != CR_OK)
				return CR_EINPUT;
			break;
		case 't':
			if (rot_timeout_opt(self, "--timeout", optarg, 3600, &ms) != CR_OK)
				return CR_EINPUT;
			o->probe_timeout_ms = (int)ms;
			break;
		case 'h':
			rot_help(self);
			return rot_finish_output(CR_OK) == CR_OK ? -1 : CR_EENV;
		case ':':
			return rot_missing_value(self, argv[optind - 1]);
		default:
			return rot_unknown_option(self, longopts, argv[optind - 1]);
		}
	}
	if (optind < argc)
		return rot_usage_error(self, "unexpected argument '%s'", argv[optind]);
	return CR_OK;
}

static int
execute(struct rot_state *st, const struct rollback_opts *o)
{
	struct rot_drive_opts d = { .config = o->config, .state = o->state, .kinds = o->kinds,
	    .yes = o->yes, .fmt = o->fmt, .phase = ROT_PHASE_ROLLBACK,
	    .hook_timeout_ms = o->hook_timeout_ms, .probe_timeout_ms = o->probe_timeout_ms,
	    .only = -1, .until = -1 };

	return rot_drive(st, &d);
}

int
cmd_rollback(const struct rot_command *self, int argc, char **argv)
{
	struct rollback_opts o = { .fmt = ROT_FMT_TEXT, .hook_timeout_ms = CR_HOOK_TIMEOUT_DEFAULT_MS };
	struct rot_state st = ROT_STATE_INIT;
	struct cr_err err;
	int r;

	if ((r = parse(self, argc, argv, &o)) != CR_OK)
		return r < 0 ? CR_OK : r;
	cr_err_clear(&err);
	if ((r = rot_state_open(&st, o.config ? o.config : "certrotate.cfg", o.state, &err)) != CR_OK)
		goto out;
	if (st.j == NULL) {
		r = cr_err_setr(&err, CR_EINPUT, CR_R_NOT_FOUND, "no journal '%s': nothing to roll back "
		    "(run keeps its journal there; give --state when it is elsewhere)", st.path);
		goto out;
	}
	if (rot_journal_rolled_back(st.j) && (r = rot_state_check_new(&st, &err)) != CR_OK)
		goto out;
	if (rot_journal_rolled_back(st.j)) {
		if (o.fmt == ROT_FMT_TEXT)
			printf("rotation '%s' is already rolled back (journal '%s'): nothing to do\n",
			    st.ld.cfg->rotation.name, st.path);
		else
			printf("{\"event\":\"summary\",\"phase\":\"rollback\",\"outcome\":\"nothing\","
			    "\"exit\":0}\n");
		r = CR_OK;
		goto out;
	}
	if (!o.yes && !isatty(STDIN_FILENO)) {
		r = cr_err_setr(&err, CR_EINPUT, CR_R_USAGE, "rollback asks before each step, and stdin "
		    "is not a terminal: run it on a terminal, or pass --yes to undo the native and "
		    "command steps unattended (it stops at the first manual step)");
		goto out;
	}
	if ((r = rot_state_load(&st, self, 0, o.force, &err)) != CR_OK)
		goto out;
	if (rot_journal_warning(st.j) != NULL)
		rot_warn("%s", rot_journal_warning(st.j));
	r = execute(&st, &o);
out:
	rot_loaded_warn(&st.ld);
	if (err.msg[0] != '\0')
		(void)rot_report(&err);
	rot_state_release(&st);
	return rot_finish_output(r);
}
