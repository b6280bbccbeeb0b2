/*
 * state.c - the configuration, the journal and the plan of `run` and
 * `rollback` (state.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "state.h"
#include "act.h"
#include "../common/fsutil.h"
#include "../common/util.h"
#include "../pkcs11/p11.h"

int
rot_state_open(struct rot_state *st, const char *cfgpath, const char *state_path,
    struct cr_err *err)
{
	struct rot_journal_id id = { NULL, NULL, NULL };
	struct stat sb;
	int r;

	if ((r = plan_config_load(cfgpath, &st->ld.cfg, err)) != CR_OK)
		return r;
	st->path = state_path != NULL ? cr_xstrdup(state_path) : cr_xasprintf("%s.state", cfgpath);
	if (lstat(st->path, &sb) != 0) {
		if (errno == ENOENT)
			return CR_OK;
	} else if (S_ISREG(sb.st_mode) && sb.st_size == 0) {
		/* an empty file (a run killed between creating its journal and writing
		   the header, or `touch`): no journal yet - rot_state_load writes its
		   header */
		return CR_OK;
	}
	/* there is something there: it must be this rotation's journal (rot_journal_open
	   refuses a symlink, a FIFO, another rotation's; and takes the lock) */
	id.rotation = st->ld.cfg->rotation.name;
	return rot_journal_open(st->path, &id, 0, &st->j, err);
}

/* The archive's copy of the old certificate this journal's run retired, or NULL. */
static X509 *
retired_copy(const struct rot_state *st)
{
	const char *want = rot_journal_header(st->j)->old_sha256;
	char *path = act_archive_retired(st->ld.cfg, want, "der"), *hex = NULL;
	unsigned char *buf = NULL, md[32];
	const unsigned char *p;
	size_t len = 0;
	unsigned int mdlen = 0;
	struct cr_err e;
	X509 *x = NULL;

	if (cr_fs_read_regular(path, NULL, CR_FS_NOFOLLOW, 1 << 20, &buf, &len, &e) != CR_OK)
		goto out;
	p = buf;
	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL || X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		goto bad;
	hex = cr_hex_upper(md, 32);
	if (strcasecmp(hex, want) == 0)
		goto out;
bad:
	X509_free(x);
	x = NULL;
out:
	free(hex);
	free(buf);
	free(path);
	return x;
}

static int
same_hex(const unsigned char *md, const char *hex)
{
	char *h = cr_hex_upper(md, 32);
	int same = hex != NULL && strcasecmp(h, hex) == 0;

	free(h);
	return same;
}

/* The journal is this rotation's: old and new as loaded. */
static int
check_binding(const struct rot_state *st, struct cr_err *err)
{
	const struct rot_journal_id *h = rot_journal_header(st->j);
	const struct plan_inputs *in = st->ld.in;
	int old_ok = same_hex(in->old->sha256, h->old_sha256);
	int new_ok = same_hex(in->new->sha256, h->new_sha256);
	char *o, *n;

	if (old_ok && new_ok)
		return CR_OK;
	o = cr_hex_upper(in->old->sha256, 32);
	n = cr_hex_upper(in->new->sha256, 32);
	cr_err_setr(err, CR_EINPUT, CR_R_STATE, "journal '%s' belongs to another rotation: it was "
	    "started for %s sha256:%.16s…, the configuration names sha256:%.16s… (give another "
	    "--state, or move that journal away)", st->path, !new_ok ? "new" : "old",
	    !new_ok ? h->new_sha256 : h->old_sha256, !new_ok ? n : o);
	free(o);
	free(n);
	return CR_EINPUT;
}

int
rot_state_check_new(struct rot_state *st, struct cr_err *err)
{
	const struct rot_journal_id *h = rot_journal_header(st->j);
	struct rot_loaded *ld = &st->ld;
	struct crt_load_opts opts;
	struct crt_cert *nw = NULL;
	struct cr_err e;
	int r = CR_OK;

	cr_err_clear(&e);
	if (p11_ctx_new(&ld->p11, &e) != CR_OK || plan_config_tokens(ld->cfg, ld->p11, &e) != CR_OK)
		return CR_OK;
	memset(&opts, 0, sizeof(opts));
	opts.p11 = ld->p11;
	opts.base_dir = ld->cfg->dir;
	if (crt_load_one(ld->cfg->rotation.new_src.text, &opts, &nw, &e) == CR_OK &&
	    !same_hex(nw->sha256, h->new_sha256))
		r = cr_err_setr(err, CR_EINPUT, CR_R_STATE, "journal '%s' belongs to another rotation: "
		    "it was started for new sha256:%.16s…, the configuration names another new "
		    "certificate (give another --state, or move that journal away)", st->path,
		    h->new_sha256);
	crt_cert_free(nw);
	return r;
}

/*
 * The PINs earlier runs of this journal presented and their tokens refused
 * (exec.c journals them as "pin_refused" with a failed event): not tried
 * again while their sources are unchanged (SPEC 9; p11_ctx_add_refusals).
 */
static void
refusals_from_journal(struct rot_state *st)
{
	size_t i, n = st->j != NULL ? rot_journal_nsteps(st->j) : 0;

	if (st->j != NULL)	/* a run refused before its first step (cmd_run.c) */
		p11_ctx_add_refusals(st->ld.p11, rot_journal_data(st->j, ROT_JOURNAL_ROTATION,
		    ROT_JOURNAL_PIN_REFUSED));
	for (i = 0; i < n; i++)
		p11_ctx_add_refusals(st->ld.p11, rot_journal_data(st->j, rot_journal_step_id(st->j, i),
		    ROT_JOURNAL_PIN_REFUSED));
}

int
rot_state_load(struct rot_state *st, const struct rot_command *cmd, int create, int force_login,
    struct cr_err *err)
{
	struct rot_loaded *ld = &st->ld;
	char *o = NULL, *n = NULL;
	X509 *copy = NULL;
	int r;

	if ((r = p11_ctx_new(&ld->p11, err)) != CR_OK)
		return r;
	p11_ctx_set_force_login(ld->p11, force_login);
	p11_ctx_set_read_write(ld->p11, rot_read_write(cmd));
	refusals_from_journal(st);
	if ((r = plan_config_tokens(ld->cfg, ld->p11, err)) != CR_OK)
		return r;
	r = plan_inputs_load(ld->cfg, ld->p11, PLAN_LOAD_CHAIN, &ld->in, err);
	if (r == CR_EINPUT && st->j != NULL && ld->in != NULL && ld->in->failed == PLAN_INPUT_OLD &&
	    (copy = retired_copy(st)) != NULL) {
		plan_inputs_free(ld->in);
		ld->in = NULL;
		cr_err_clear(err);
		r = plan_inputs_load_retired(ld->cfg, ld->p11, PLAN_LOAD_CHAIN, copy, &ld->in, err);
		st->retired = 1;
		X509_free(copy);
	}
	if (r != CR_OK || (r = plan_build(ld->cfg, ld->in, &ld->plan, err)) != CR_OK)
		return r;
	if (st->j != NULL)
		return check_binding(st, err);
	if (!create)
		return CR_OK;
	o = cr_hex_upper(ld->in->old->sha256, 32);
	n = cr_hex_upper(ld->in->new->sha256, 32);
	{
		struct rot_journal_id id = { ld->cfg->rotation.name, o, n };

		r = rot_journal_open(st->path, &id, ROT_JOURNAL_CREATE, &st->j, err);
	}
	free(o);
	free(n);
	return r;
}

void
rot_state_release(struct rot_state *st)
{
	rot_journal_close(st->j);
	st->j = NULL;
	rot_loaded_release(&st->ld);
	free(st->path);
	st->path = NULL;
}

long
rot_state_step(const struct plan *p, const char *name)
{
	char *end;
	long v;
	size_t i;

	for (i = 0; i < p->nsteps; i++)
		if (strcmp(p->steps[i].id, name) == 0)
			return (long)i;
	errno = 0;
	v = strtol(name, &end, 10);
	if (errno == 0 && end != name && *end == '\0' && v >= 1 && (size_t)v <= p->nsteps)
		return v - 1;
	return -1;
}
