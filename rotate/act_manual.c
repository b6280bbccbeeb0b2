/*
 * act_manual.c - a step the operator does: what to show them (the
 * commands of the step's kind, SPEC 8, each value quoted for the kind's
 * shell) and nothing to do once they answer that it is done - the checks
 * after it say whether it is.
 */
#include <stdlib.h>
#include <string.h>

#include "act_int.h"
#include "../common/util.h"

int
act_manual_run(struct act_ctx *a, size_t step, struct act_out *out, struct cr_err *err)
{
	(void)a;
	(void)step;
	(void)err;
	act_out_detail(out, "done by the operator");
	return CR_OK;
}

int
act_manual_undo(struct act_ctx *a, size_t step, struct act_out *out, struct cr_err *err)
{
	(void)a;
	(void)step;
	(void)err;
	act_out_detail(out, "rolled back by the operator");
	return CR_OK;
}

void
act_lines_free(char **lines, size_t n)
{
	size_t i;

	for (i = 0; lines != NULL && i < n; i++)
		free(lines[i]);
	free(lines);
}

static void
push(char ***lines, size_t *n, char *s)
{
	*lines = cr_xrealloc(*lines, (*n + 1) * sizeof(**lines));
	(*lines)[(*n)++] = s;
}

/* Appends the rendered commands of one part, "$ cmd" each, under `heading` (NULL: none). */
static int
part(const struct book_kind *k, const struct book_group *g, enum book_part p,
    const struct book_vars *v, const char *heading, char ***lines, size_t *n,
    struct cr_err *err)
{
	char **cmds = NULL;
	size_t ncmds = 0, i;
	int r;

	if ((r = book_render(k, g, p, v, &cmds, &ncmds, err)) != CR_OK)
		return r;
	if (ncmds > 0 && heading != NULL)
		push(lines, n, cr_xstrdup(heading));
	for (i = 0; i < ncmds; i++)
		push(lines, n, cr_xasprintf("$ %s", cmds[i]));
	book_lines_free(cmds, ncmds);
	return CR_OK;
}

/*
 * A restart's configuration test (runbook/kind.h book_step_test: the one
 * `check` runs), before the reload the operator does - on rollback too.
 */
static int
test_lines(const struct plan_step *s, const struct book_vars *v, char ***lines, size_t *n,
    struct cr_err *err)
{
	enum book_test_from from;
	char *t = NULL;
	int r;

	if ((r = book_step_test(s, v, &t, &from, err)) != CR_OK || t == NULL)
		return r;
	push(lines, n, cr_xstrdup(from == BOOK_TEST_BY_HAND ?
	    "configuration test first, on the host (reload only when it exits 0):" :
	    "configuration test first, from the configuration's directory (reload only when it "
	    "exits 0; certrotate ran it before this step: config.test):"));
	push(lines, n, cr_xasprintf("$ %s", t));
	free(t);
	return CR_OK;
}

int
act_manual_lines(struct act_ctx *a, size_t step, char ***lines, size_t *n, struct cr_err *err)
{
	const struct plan_step *s = &a->p->steps[step];
	const struct book_kind *k = NULL;
	const struct book_group *g = NULL;
	struct book_vars v;
	size_t i;
	int r;

	*lines = NULL;
	*n = 0;
	if (a->kinds == NULL)
		return CR_OK;
	r = book_kinds_step(a->kinds, book_step_kind(a->p, s), s->type,
	    s->ref != NULL ? s->ref->id : NULL, &k, &g, err);
	if (r != CR_OK || g == NULL)
		return r;
	/* undo commands name the certificates as they are (kind.h): no swap */
	if ((r = act_vars_get(a, step, 0, &v, err)) != CR_OK)
		return r;
	push(lines, n, cr_xasprintf("%s (kind '%s', %s):", g->what, k->name, book_shell_name(k->shell)));
	if ((r = test_lines(s, &v, lines, n, err)) != CR_OK)
		goto out;
	if (a->rollback)
		r = part(k, g, BOOK_UNDO, &v, NULL, lines, n, err);
	else if ((r = part(k, g, BOOK_DO, &v, NULL, lines, n, err)) == CR_OK)
		r = part(k, g, BOOK_VERIFY, &v, "verify:", lines, n, err);
	for (i = 0; r == CR_OK && i < g->notes.n; i++)
		push(lines, n, cr_xasprintf("note: %s", g->notes.v[i]));
out:
	if (r != CR_OK) {
		act_lines_free(*lines, *n);
		*lines = NULL;
		*n = 0;
	}
	return r;
}
