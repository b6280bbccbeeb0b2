/*
 * chk_confirm.c - the verify checks of changes certrotate cannot observe
 * from where it runs: a binding or connector held in a service's own
 * configuration (ref.moved), a service restarted where no endpoint shows
 * it (service.restarted).  SPEC 5 wants every step that changes something
 * to verify something; where the tool cannot see the result, the check is
 * a `skip` that says exactly what to verify there (the runbook's verify
 * commands of the step's kind do it), never a silent pass.
 */
#include <stdlib.h>

#include "internal.h"
#include "../common/util.h"
#include "../cert/ident.h"

/* ref.moved: after a rebind or rename, the binding / connector names the new certificate. */
void
chk_eval_ref_moved(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_step *s = at->s;
	struct chk_result *res;
	char *what;

	if (s == NULL || s->ref == NULL || (res = chk_fresh(c, at)) == NULL)
		return;
	if (s->ref->type == PLAN_REF_CONNECTOR) {
		what = crt_tls_name(c->in->new->x509);
		chk_result_set(res, CHK_SKIP, "connector '%s' on %s cannot be seen from here: verify "
		    "there that its certificate name is %s (the verify commands of step %s)",
		    s->ref->id, s->host, what, s->id);
	} else {
		what = crt_ident_of(c->in->new);
		chk_result_set(res, CHK_SKIP, "binding '%s' on %s cannot be seen from here: verify "
		    "there that it names the new certificate %s (the verify commands of step %s)",
		    s->ref->id, s->host, what, s->id);
	}
	free(what);
}

/* service.restarted: after a restart of a service none of whose changed refs has an endpoint. */
void
chk_eval_service_restarted(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_step *s = at->s;
	struct chk_result *res;
	char *ident;

	if (s == NULL || s->service == NULL || (res = chk_fresh(c, at)) == NULL)
		return;
	ident = crt_ident_of(c->in->new);
	chk_result_set(res, CHK_SKIP, "'%s' on %s has no endpoint to probe: verify there that it "
	    "restarted and uses the new certificate %s (the verify commands of step %s)",
	    s->service->name, s->host, ident, s->id);
	free(ident);
}

/* rollback.unseen: what each kind of step's undo changed where it cannot be seen from here. */
static const struct {
	const char *thing;	/* what the undo changed */
	const char *claim;	/* what to verify there, before the certificate's identity */
	int old;		/* the identity shown: 1 the old certificate's, 0 the new one's */
} unseen[PLAN_NVARIANTS] = {
	[PLAN_V_IMPORT_HOST] = { "the certificate store", "the new certificate is removed (unless "
	    "it was there before the run)", 0 },
	[PLAN_V_GRANT] = { "the access of account", "the undo left the access to the key as it "
	    "was before the run; the key of", 0 },
	[PLAN_V_REBIND_BINDING] = { "binding", "it names the old certificate again", 1 },
	[PLAN_V_RENAME] = { "connector", "its certificate name is the old certificate's again", 1 },
	[PLAN_V_RESTART] = { "service", "it restarted and uses the old certificate again", 1 },
	[PLAN_V_RETIRE_HOST] = { "the certificate store", "the old certificate is back", 1 },
};

void
chk_eval_rb_unseen(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_step *s = at->s;
	const char *name;
	struct chk_result *res;
	char *ident;

	if (s == NULL || (unsigned)s->variant >= PLAN_NVARIANTS || unseen[s->variant].thing == NULL ||
	    (res = chk_fresh(c, at)) == NULL)
		return;
	name = s->ref != NULL ? s->ref->id : s->service != NULL ? s->service->name : s->account;
	ident = crt_ident_of(unseen[s->variant].old ? c->in->old : c->in->new);
	chk_result_set(res, CHK_SKIP, "%s%s%s%s on %s cannot be seen from here: verify there that "
	    "%s %s (the verify commands of step %s)", unseen[s->variant].thing,
	    name != NULL ? " '" : "", name != NULL ? name : "", name != NULL ? "'" : "", s->host,
	    unseen[s->variant].claim, ident, s->id);
	free(ident);
}
