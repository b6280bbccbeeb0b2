/*
 * act_int.h - what the action files of rotate/ share (act_*.c); not for
 * the rest of rotate/.
 *
 * Calls go one way: act.c (the table) -> act_token.c, act_file.c,
 * act_hook.c, act_manual.c -> act_vars.c -> act_base.c.
 */
#ifndef ROT_ACT_INT_H
#define ROT_ACT_INT_H

#include <openssl/x509.h>

#include "act.h"
#include "../runbook/kind.h"

/* ---- act_base.c ---------------------------------------------------------------- */

/*
 * The chain of certificate c for a service to send: c's issuer, its issuer,
 * ... found among c's own chain, rotation.chain and rotation.trust, in that
 * order of preference, each issued-by checked, the self-signed anchor left
 * out.  New stack of up-referenced certificates: sk_X509_pop_free(.., X509_free).
 */
STACK_OF(X509) *act_chain(const struct plan_inputs *in, const struct crt_cert *c);

/* leaf then chain (may be NULL) as PEM: a new string of *len bytes; free() it. */
char *act_pem(X509 *leaf, STACK_OF(X509) *chain, size_t *len);

/* ---- act_vars.c ---------------------------------------------------------------- */

/*
 * The values of step `step`'s placeholders into *v (borrowed from a; valid
 * until act_ctx_release): the step's host, service, ref, ...; the
 * certificates' values, with {new.pem} and {old.pem} written (once per
 * process, 0600, in a 0700 directory beside the journal: STATE.pem.d/, removed
 * by act_ctx_release).  With `swap`, new and old trade places (a run hook
 * undoing its step in a rollback).
 */
int act_vars_get(struct act_ctx *a, size_t step, int swap, struct book_vars *v,
    struct cr_err *err);
void act_vars_free(struct act_vars *vars);

#endif
