/*
 * cmd_run.c - `certrotate run`: the rotation executed step by step (SPEC
 * 7): each step's preconditions checked right before it with the same
 * checks as `check` (journal mode), the step done natively, by its hook or
 * by the operator, its verify checks run after it, everything journaled so
 * that an interrupted run resumes where it stopped (exec.h).
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
#include "../check/check.h"
#include "../pkcs11/p11.h"
#include "../common/util.h"
#include "../runbook/kind.h"

/* ---- the command ---------------------------------------------------------------------- */

struct run_opts {
	const char *config, *state, *only, *until, *kinds;
	int yes, force;
	enum rot_format fmt;
	long long hook_timeout_ms;
	int probe_timeout_ms;
};

static int
parse(const struct rot_command *self, int argc, char **argv, struct run_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 'S' },
		{ "yes", no_argument, NULL, 'y' },
		{ "resume", no_argument, NULL, 'R' },
		{ "only", required_argument, NULL, 'O' },
		{ "until", required_argument, NULL, 'U' },
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
		case 'R': break;	/* a plain run resumes too; --resume says so */
		case 'O': o->only = optarg; break;
		case 'U': o->until = optarg; break;
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
	if (o->only != NULL && o->until != NULL)
		return rot_usage_error(self, "--only and --until exclude each other");
	return CR_OK;
}

/* A complete journal: said so, nothing loaded or touched (SPEC 7.1). */
static int
already_complete(const struct rot_state *st, enum rot_format fmt)
{
	struct rot_step_info info;

	rot_journal_step(st->j, ROT_JOURNAL_ROTATION, &info);
	if (fmt == ROT_FMT_JSON)
		rot_progress_complete(st->ld.cfg->rotation.name, st->path, info.at);
	else
		printf("rotation '%s' is complete (journal '%s', %s): nothing to do\n",
		    st->ld.cfg->rotation.name, st->path, info.at ? info.at : "");
	return rot_finish_output(CR_OK);
}

/*
 * Before a fresh run changes anything: the verdict of `check` on the steps
 * it would do (up to --until).  A step one of its own checks blocks (a
 * configuration test that fails, a hook that cannot run, a label taken)
 * would stop the run there, after the steps before it changed things:
 * refused now instead, exit as the step's checks say, nothing done.
 */
static int
preflight(const struct rot_state *st, const struct run_opts *o, long until, struct cr_err *err)
{
	struct chk_opts co = { .probe = 1, .now = cr_now() };
	const struct chk_report *rep;
	struct chk_ctx *c;
	size_t i, k;
	int r = CR_OK;

	co.timeout_ms = o->probe_timeout_ms;
	co.progress = rot_stderr_is_tty();
	c = chk_ctx_new(st->ld.plan, st->ld.p11, &co);
	chk_plan(c);
	rep = chk_ctx_report(c);
	for (i = 0; i < rep->nsteps && (until < 0 || i <= (size_t)until) && r == CR_OK; i++) {
		const struct chk_step_report *sr = &rep->steps[i];
		const struct chk_item *it = NULL;

		if (sr->status != CHK_STEP_BLOCKED)
			continue;
		/* one of the step's own checks: what run evaluates before it (a check
		   that stops the rotation - the new key unproven - is left to the run) */
		for (k = 0; k < sr->n && it == NULL; k++)
			if (rep->items[sr->items[k]].res.status == CHK_FAIL &&
			    !rep->items[sr->items[k]].stops)
				it = &rep->items[sr->items[k]];
		if (it == NULL)
			continue;
		r = cr_err_set(err, sr->exit != CR_OK ? sr->exit : CR_EBLOCK, "not started: check "
		    "blocks step '%s' (%s %s: %s): the run would stop there, after the steps before "
		    "it changed things; nothing was changed - 'certrotate check' shows every "
		    "failure, --until a step before it runs only those", st->ld.plan->steps[i].id,
		    it->id, it->subject, it->res.message);
	}
	chk_ctx_free(c);
	return r;
}

/*
 * A PIN a token refused while the preflight checked: journaled on the
 * rotation's own record (a run refused before any step is still a fresh
 * one), so that the next run does not present it again (rot_state_load
 * reads it back; SPEC 9).
 */
static void
journal_refusals(struct rot_state *st)
{
	char *refused = st->j != NULL ? p11_ctx_refusals(st->ld.p11) : NULL;
	const char *data[] = { ROT_JOURNAL_PIN_REFUSED, refused, NULL };
	struct rot_journal_event e;
	struct cr_err err;

	if (refused == NULL)
		return;
	memset(&e, 0, sizeof(e));
	e.step = ROT_JOURNAL_ROTATION;
	e.event = ROT_EV_FAILED;
	e.phase = ROT_PHASE_RUN;
	e.detail = "not started: a token refused its PIN";
	e.data = data;
	cr_err_clear(&err);
	if (rot_journal_append(st->j, &e, &err) != CR_OK)
		rot_warn("%s", err.msg);
	free(refused);
}

static int
execute(const struct rot_command *self, struct rot_state *st, const struct run_opts *o)
{
	struct rot_drive_opts d = { .config = o->config, .state = o->state, .kinds = o->kinds,
	    .yes = o->yes, .fmt = o->fmt, .phase = ROT_PHASE_RUN,
	    .hook_timeout_ms = o->hook_timeout_ms, .probe_timeout_ms = o->probe_timeout_ms,
	    .only = -1, .until = -1 };
	struct cr_err err;
	int r;

	if (o->only != NULL && (d.only = rot_state_step(st->ld.plan, o->only)) < 0)
		return rot_usage_error(self, "no step '%s' in the plan (give its id or number)", o->only);
	if (o->until != NULL && (d.until = rot_state_step(st->ld.plan, o->until)) < 0)
		return rot_usage_error(self, "no step '%s' in the plan (give its id or number)", o->until);
	if (d.only < 0 && rot_journal_nsteps(st->j) == 0 &&
	    (r = preflight(st, o, d.until, &err)) != CR_OK) {
		journal_refusals(st);
		(void)rot_report(&err);
		return r;
	}
	return rot_drive(st, &d);
}

int
cmd_run(const struct rot_command *self, int argc, char **argv)
{
	struct run_opts o = { .config = NULL, .fmt = ROT_FMT_TEXT,
	    .hook_timeout_ms = CR_HOOK_TIMEOUT_DEFAULT_MS };
	struct rot_state st = ROT_STATE_INIT;
	struct cr_err err;
	int r;

	if ((r = parse(self, argc, argv, &o)) != CR_OK)
		return r < 0 ? CR_OK : r;
	cr_err_clear(&err);
	if ((r = rot_state_open(&st, o.config ? o.config : "certrotate.cfg", o.state, &err)) != CR_OK)
		goto out;
	if (st.j != NULL && rot_journal_complete(st.j)) {
		if ((r = rot_state_check_new(&st, &err)) == CR_OK)
			r = already_complete(&st, o.fmt);
		goto out;
	}
	if (!o.yes && !isatty(STDIN_FILENO)) {
		r = cr_err_setr(&err, CR_EINPUT, CR_R_USAGE, "run asks before each step, and stdin is "
		    "not a terminal: run it on a terminal, or pass --yes to run the native and command "
		    "steps unattended (it stops at the first manual step)");
		goto out;
	}
	if ((r = rot_state_load(&st, self, 1, o.force, &err)) != CR_OK)
		goto out;
	if (rot_journal_warning(st.j) != NULL)
		rot_warn("%s", rot_journal_warning(st.j));
	r = execute(self, &st, &o);
out:
	rot_loaded_warn(&st.ld);
	if (err.msg[0] != '\0')
		(void)rot_report(&err);
	rot_state_release(&st);
	return rot_finish_output(r);
}
