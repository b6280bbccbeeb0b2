/*
 * drive.c - the executor of `run` and `rollback`, set up once (drive.h).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drive.h"
#include "act.h"
#include "exec.h"
#include "progress.h"
#include "../check/check.h"
#include "../common/util.h"
#include "../runbook/kind.h"

int
rot_drive(struct rot_state *st, const struct rot_drive_opts *o)
{
	struct chk_opts co = { .probe = 1, .journal = 1, .now = cr_now() };
	struct rot_exec_checks checks;
	struct act_ctx act;
	struct rot_progress pr;
	struct rot_exec x;
	struct cr_err err;
	char again[2048], *kdir;
	const char *env;
	int r;

	co.timeout_ms = o->probe_timeout_ms;
	co.progress = rot_stderr_is_tty();
	rot_exec_engine_checks(&checks, chk_ctx_new(st->ld.plan, st->ld.p11, &co));
	kdir = book_kinds_dir(o->kinds, st->ld.cfg->rotation.kinds_dir, NULL);
	memset(&act, 0, sizeof(act));
	act.p = st->ld.plan;
	act.p11 = st->ld.p11;
	act.j = st->j;
	act.rollback = o->phase == ROT_PHASE_ROLLBACK;
	act.hook_timeout_ms = o->hook_timeout_ms;
	act.hook_echo_fd = STDERR_FILENO;
	act.state_path = st->path;
	act.kinds = book_kinds_new(kdir);
	rot_again(again, sizeof(again), o->config, o->state);
	memset(&pr, 0, sizeof(pr));
	pr.fmt = o->fmt;
	pr.p = st->ld.plan;
	pr.chk = checks.ctx;
	pr.act = &act;
	pr.journal = st->path;
	pr.again = again;
	pr.yes = o->yes;
	rot_progress_init(&pr);
	rot_progress_begin(&pr, o->phase, rot_journal_warning(st->j));
	memset(&x, 0, sizeof(x));
	x.only = o->only;
	x.until = o->until;
	x.p = st->ld.plan;
	x.j = st->j;
	x.chk = &checks;
	x.ui = &pr.ui;
	x.lookup = act_lookup;
	x.act = &act;
	x.phase = o->phase;
	x.interactive = !o->yes;
	/* certrotate(1) ENVIRONMENT: a test hook, never set in production */
	if ((env = getenv("CERTROTATE_TEST_KILL_AFTER")) != NULL)
		x.kill_after = (unsigned)strtoul(env, NULL, 10);
	cr_err_clear(&err);
	r = rot_exec_run(&x, &err);
	if (err.msg[0] != '\0')
		(void)rot_report(&err);
	act_ctx_release(&act);
	book_kinds_free(act.kinds);
	free(kdir);
	chk_ctx_free(checks.ctx);
	return r;
}
