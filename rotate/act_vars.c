/*
 * act_vars.c - the values hooks and manual steps see (SPEC 7.2
 * placeholders), with {new.pem} and {old.pem} materialised.
 *
 * The PEM files hold certificates only (the leaf and its chain: public
 * material), yet they are written as the tool's own files: 0600 in a 0700
 * directory beside the journal, never through a symlink planted there
 * (cr_fs_replace CR_FS_PRIVATE replaces it), replaced when a crashed run
 * left them, and removed when the command ends.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "act_int.h"
#include "../common/fsutil.h"
#include "../common/util.h"

enum { V_NEW = 0, V_OLD = 1 };

struct act_vars {
	int ready;
	struct crt_info info[2];
	char *dir;		/* STATE.pem.d, or NULL when none was made */
	char *pem[2];		/* its new.pem, old.pem */
};

void
act_vars_free(struct act_vars *vars)
{
	int k;

	if (vars == NULL)
		return;
	for (k = 0; k < 2; k++) {
		if (vars->ready)
			crt_info_release(&vars->info[k]);
		if (vars->pem[k] != NULL)
			(void)unlink(vars->pem[k]);
		free(vars->pem[k]);
	}
	if (vars->dir != NULL)
		(void)rmdir(vars->dir);
	free(vars->dir);
	free(vars);
}

void
act_ctx_release(struct act_ctx *a)
{
	act_vars_free(a->vars);
	a->vars = NULL;
}

/* Writes the certificate c and its chain to dir/name.  *path a new string. */
static int
write_pem(const struct plan_inputs *in, const struct crt_cert *c, const char *dir,
    const char *name, char **path, struct cr_err *err)
{
	STACK_OF(X509) *chain = act_chain(in, c);
	size_t len = 0;
	char *pem = act_pem(c->x509, chain, &len);
	int r;

	*path = cr_xasprintf("%s/%s", dir, name);
	r = cr_fs_replace(*path, pem, len, CR_FS_PRIVATE, err);
	if (r != CR_OK) {
		free(*path);
		*path = NULL;
	}
	free(pem);
	sk_X509_pop_free(chain, X509_free);
	return r;
}

static int
vars_ready(struct act_ctx *a, struct cr_err *err)
{
	const struct plan_inputs *in = a->p->in;
	struct act_vars *vars;
	int r;

	if (a->vars != NULL && a->vars->ready)
		return CR_OK;
	if (a->vars == NULL)
		a->vars = cr_xcalloc(1, sizeof(*a->vars));
	vars = a->vars;
	if (vars->dir == NULL && a->state_path != NULL) {
		char *dir = cr_xasprintf("%s.pem.d", a->state_path);

		char *abs;

		if ((r = cr_fs_mkdir_private(dir, err)) != CR_OK) {
			free(dir);
			return r;
		}
		/* absolute: hooks run in the configuration's directory, and an
		   operator copies the file from wherever the path says */
		abs = realpath(dir, NULL);
		vars->dir = abs != NULL ? cr_xstrdup(abs) : dir;
		if (abs != NULL)
			free(dir);
		free(abs);
	}
	if (vars->dir != NULL) {
		if ((r = write_pem(in, in->new, vars->dir, "new.pem", &vars->pem[V_NEW], err)) != CR_OK ||
		    (r = write_pem(in, in->old, vars->dir, "old.pem", &vars->pem[V_OLD], err)) != CR_OK)
			return r;
	}
	crt_info_get(in->new, cr_now(), &vars->info[V_NEW]);
	crt_info_get(in->old, cr_now(), &vars->info[V_OLD]);
	vars->ready = 1;
	return CR_OK;
}

int
act_vars_get(struct act_ctx *a, size_t step, int swap, struct book_vars *v, struct cr_err *err)
{
	int r, n = swap ? V_OLD : V_NEW, o = swap ? V_NEW : V_OLD;

	memset(v, 0, sizeof(*v));
	if ((r = vars_ready(a, err)) != CR_OK)
		return r;
	book_vars_cert(&v->new_cert, &a->vars->info[n], a->vars->pem[n]);
	book_vars_cert(&v->old_cert, &a->vars->info[o], a->vars->pem[o]);
	book_vars_step(v, &a->p->steps[step]);
	return CR_OK;
}
