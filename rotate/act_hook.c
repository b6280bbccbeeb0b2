/*
 * act_hook.c - a step done by its hook (SPEC 7.2 "command"): the argv
 * expanded one element at a time (a value never becomes two arguments nor
 * reaches a shell), run in the configuration's directory with its timeout,
 * its exit status checked and the tail of its stderr kept for the journal.
 *
 * Rollback runs the step's `undo` argv when one is configured (the
 * certificates named as they are), else the same hook with the roles of
 * old and new swapped; both with CERTROTATE_PHASE=rollback.
 */
#include <stdlib.h>
#include <string.h>

#include "act_int.h"
#include "../common/hook.h"
#include "../common/utf8.h"
#include "../common/util.h"
#include "../plan/placeholder.h"

/* The stderr tail kept in the journal: its last bytes, cut at a character. */
#define TAIL_KEEP 2048

static const char *
var_lookup(void *ctx, const char *name)
{
	return book_var(ctx, name);
}

static const char *
tail_of(const char *s)
{
	size_t n = strlen(s);
	const char *t = n > TAIL_KEEP ? s + n - TAIL_KEEP : s;

	while (*t != '\0' && ((unsigned char)*t & 0xC0) == 0x80)
		t++;	/* not in the middle of a character */
	return t;
}

static int
run_argv(struct act_ctx *a, size_t step, const struct plan_argv *hook, int swap,
    struct act_out *out, struct cr_err *err)
{
	struct cr_hook_result res;
	struct book_vars v;
	struct cr_hook h;
	char **argv;
	size_t i;
	int r;

	memset(&res, 0, sizeof(res));
	if ((r = act_vars_get(a, step, swap, &v, err)) != CR_OK)
		return r;
	argv = cr_xcalloc(hook->n + 1, sizeof(*argv));
	for (i = 0; i < hook->n; i++)
		argv[i] = plan_expand(hook->v[i], var_lookup, &v);
	cr_hook_init(&h, argv, a->p->cfg->dir);
	h.rollback = a->rollback;
	h.timeout_ms = a->hook_timeout_ms;
	h.echo_fd = a->hook_echo_fd;
	r = cr_hook_run(&h, &res, err);
	if (r == CR_OK)
		act_out_detail(out, "command '%s' exited with status 0", argv[0]);
	act_out_put(out, "command", res.path != NULL ? res.path : argv[0]);
	act_out_put(out, "outcome", cr_hook_outcome_name(res.outcome));
	if (res.stderr_tail != NULL && res.stderr_tail[0] != '\0')
		act_out_put(out, "stderr", tail_of(res.stderr_tail));
	cr_hook_result_release(&res);
	for (i = 0; i < hook->n; i++)
		free(argv[i]);
	free(argv);
	return r;
}

int
act_hook_run(struct act_ctx *a, size_t step, struct act_out *out, struct cr_err *err)
{
	const struct plan_step *s = &a->p->steps[step];

	if (s->run == NULL)
		return cr_err_set(err, CR_EBLOCK, "step '%s' has no hook", s->id);
	return run_argv(a, step, s->run, 0, out, err);
}

int
act_hook_undo(struct act_ctx *a, size_t step, struct act_out *out, struct cr_err *err)
{
	const struct plan_step *s = &a->p->steps[step];

	if (s->undo != NULL)
		return run_argv(a, step, s->undo, 0, out, err);
	if (s->run == NULL)
		return cr_err_set(err, CR_EBLOCK, "step '%s' has no hook", s->id);
	return run_argv(a, step, s->run, 1, out, err);
}
