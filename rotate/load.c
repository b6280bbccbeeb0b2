#include "load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rot.h"
#include "act.h"
#include "journal.h"
#include "../common/util.h"
#include "../pkcs11/p11.h"
#include "../runbook/kind.h"

/*
 * Every service's kind is a kind of the kinds directory.  Here, not in
 * plan/: which kinds exist is the kinds directory's business (runbook/),
 * and plan/ uses nothing beside it.
 */
static int
check_kinds(const struct plan_config *cfg, const char *cli_dir, struct cr_err *err)
{
	char *dir = book_kinds_dir(cli_dir, cfg->rotation.kinds_dir, NULL);
	char **names = NULL;
	size_t n = 0, i, k;
	struct cr_err e;
	int r = CR_OK;

	cr_err_clear(&e);
	if (book_kinds_names(dir, &names, &n, &e) != CR_OK || n == 0)
		goto out;	/* unreadable: the runbook says so when it needs a kind */
	for (i = 0; i < cfg->nservices && r == CR_OK; i++) {
		const struct plan_service *svc = &cfg->services[i];
		struct cr_buf list = CR_BUF_INIT;
		const char *near;
		char *setting;

		if (svc->kind == NULL)
			continue;
		for (k = 0; k < n && strcmp(names[k], svc->kind) != 0; k++)
			;
		if (k < n)
			continue;
		for (k = 0; k < n; k++)
			cr_buf_addf(&list, "%s%s", k ? ", " : "", names[k]);
		near = plan_nearest(svc->kind, (const char *const *)names, n);
		setting = cr_xasprintf("%s.kind", svc->path);
		r = plan_config_error(err, svc->kind_loc, setting, "unknown kind '%s'%s%s%s (kinds in "
		    "'%s': %s)", svc->kind, near ? "; did you mean '" : "", near ? near : "",
		    near ? "'?" : "", dir, cr_buf_str(&list));
		free(setting);
		cr_buf_release(&list);
	}
out:
	for (k = 0; k < n; k++)
		free(names[k]);
	free(names);
	free(dir);
	return r;
}

/*
 * rotation.old is gone because this rotation's run retired it (plan, check
 * and runbook after the change window): when the journal beside the
 * configuration is this rotation's and complete, the message says so and
 * where the archive's copy is.  The journal is only read (a run holding
 * its lock: no hint).
 */
static void
hint_retired(const char *cfgpath, const struct plan_config *cfg, struct cr_err *err)
{
	struct rot_journal_id id = { cfg->rotation.name, NULL, NULL };
	struct rot_journal *j = NULL;
	char *path = cr_xasprintf("%s.state", cfgpath), *copy = NULL;
	size_t n = strlen(err->msg);
	struct stat sb;
	struct cr_err e;

	cr_err_clear(&e);
	if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0 ||
	    rot_journal_open(path, &id, 0, &j, &e) != CR_OK || !rot_journal_complete(j))
		goto out;
	copy = act_archive_retired(cfg, rot_journal_header(j)->old_sha256, "pem");
	snprintf(err->msg + n, sizeof(err->msg) - n, " (the journal '%s' says rotation '%s' is "
	    "complete: its run retired the old certificate%s%s%s; 'certrotate run' reports the "
	    "rotation, 'certrotate rollback' undoes it)", path, cfg->rotation.name,
	    lstat(copy, &sb) == 0 ? ", archived as '" : "", lstat(copy, &sb) == 0 ? copy : "",
	    lstat(copy, &sb) == 0 ? "'" : "");
out:
	rot_journal_close(j);
	free(copy);
	free(path);
}

int
rot_load(const struct rot_command *cmd, const char *cfgpath, int force_login, unsigned flags,
    struct rot_loaded *ld, struct cr_err *err)
{
	int r;

	if ((r = plan_config_load(cfgpath, &ld->cfg, err)) != CR_OK ||
	    (r = check_kinds(ld->cfg, ld->kinds_cli, err)) != CR_OK)
		return r;
	if ((r = p11_ctx_new(&ld->p11, err)) != CR_OK)
		return r;
	p11_ctx_set_force_login(ld->p11, force_login);
	p11_ctx_set_read_write(ld->p11, rot_read_write(cmd));
	/* lite token certificates: parsed only when one is needed whole */
	p11_ctx_set_lazy_parse(ld->p11, (flags & PLAN_LOAD_LITE) != 0);
	if ((r = plan_config_tokens(ld->cfg, ld->p11, err)) != CR_OK)
		return r;
	if ((r = plan_inputs_load(ld->cfg, ld->p11, flags, &ld->in, err)) != CR_OK) {
		if (ld->in != NULL && ld->in->failed == PLAN_INPUT_OLD &&
		    err->reason == CR_R_NOT_FOUND)
			hint_retired(cfgpath, ld->cfg, err);
		return r;
	}
	return plan_build(ld->cfg, ld->in, &ld->plan, err);
}

void
rot_loaded_release(struct rot_loaded *ld)
{
	/* the plan borrows cfg and inputs; inputs borrow token objects of p11 */
	plan_free(ld->plan);
	plan_inputs_free(ld->in);
	plan_config_free(ld->cfg);
	p11_ctx_free(ld->p11);
	ld->plan = NULL;
	ld->in = NULL;
	ld->cfg = NULL;
	ld->p11 = NULL;
}

void
rot_loaded_warn(const struct rot_loaded *ld)
{
	size_t i;

	for (i = 0; ld->cfg != NULL && i < ld->cfg->nwarnings; i++)
		rot_warn("warning: %s", ld->cfg->warnings[i].msg);
}
