/*
 * login.c - the PIN state a token reports, and logging in exactly once.
 *
 * libp11 caches a successful login: a later PKCS11_login with any PIN, even a
 * wrong one, returns 0 without reaching the token.  So the outcome of the
 * first attempt is what counts, and it is remembered on the token: a second
 * p11_token_login returns the same status and message and touches nothing.
 * A refused PIN is therefore never presented twice (SPEC 9).
 *
 * The flags are read fresh through the raw function list right before the
 * attempt (libp11's copies date from slot enumeration), and a token that says
 * it is locked, or at its final try, gets no attempt at all.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "../common/util.h"
#include "p11-int.h"

static int
token_info(struct p11_token *tok, CK_TOKEN_INFO *info, struct cr_err *err)
{
	char rvs[48];
	CK_RV rv = tok->mod->fl->C_GetTokenInfo(tok->slot_id, info);

	switch (rv) {
	case CKR_OK:
		return CR_OK;
	case CKR_TOKEN_NOT_PRESENT:
		return cr_err_set(err, CR_EENV, "token '%s' is not present (CKR_TOKEN_NOT_PRESENT)",
		    tok->label);
	case CKR_DEVICE_REMOVED:
		return cr_err_set(err, CR_EENV, "token '%s' was removed (CKR_DEVICE_REMOVED)",
		    tok->label);
	default:
		return cr_err_set(err, CR_EENV, "cannot read the state of token '%s': %s",
		    tok->label, p11__ckr_str(rv, rvs, sizeof(rvs)));
	}
}

static void
flags_to_state(CK_FLAGS f, struct p11_pin_state *st)
{
	st->count_low = (f & CKF_USER_PIN_COUNT_LOW) != 0;
	st->final_try = (f & CKF_USER_PIN_FINAL_TRY) != 0;
	st->locked = (f & CKF_USER_PIN_LOCKED) != 0;
}

int
p11_token_pin_state(struct p11_token *tok, struct p11_pin_state *st, struct cr_err *err)
{
	CK_TOKEN_INFO info;
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = token_info(tok, &info, err)) != CR_OK)
		return r;
	flags_to_state(info.flags, st);
	return CR_OK;
}

/* Why C_Login failed, in words an operator can act on. */
static int
login_failure(struct p11_token *tok, CK_RV rv, struct cr_err *err)
{
	char rvs[48];
	const char *l = tok->label;

	switch (rv) {
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
		return cr_err_set(err, CR_EENV, "PIN refused by token '%s' (%s); not retried", l,
		    p11__ckr_str(rv, rvs, sizeof(rvs)));
	case CKR_PIN_LOCKED:
		return cr_err_set(err, CR_EENV,
		    "token '%s' is locked (CKR_PIN_LOCKED): its user PIN must be reset", l);
	case CKR_PIN_EXPIRED:
		return cr_err_set(err, CR_EENV,
		    "the PIN of token '%s' has expired (CKR_PIN_EXPIRED): change it first", l);
	case CKR_USER_PIN_NOT_INITIALIZED:
		return cr_err_set(err, CR_EENV,
		    "token '%s' has no user PIN set (CKR_USER_PIN_NOT_INITIALIZED)", l);
	case CKR_TOKEN_NOT_PRESENT:
		return cr_err_set(err, CR_EENV, "token '%s' is not present (CKR_TOKEN_NOT_PRESENT)",
		    l);
	case CKR_DEVICE_REMOVED:
		return cr_err_set(err, CR_EENV, "token '%s' was removed (CKR_DEVICE_REMOVED)", l);
	case 0:
		return cr_err_set(err, CR_EENV,
		    "login to token '%s' failed (libp11 reported no PKCS#11 code); not retried",
		    l);
	default:
		return cr_err_set(err, CR_EENV, "login to token '%s' failed: %s; not retried", l,
		    p11__ckr_str(rv, rvs, sizeof(rvs)));
	}
}

/*
 * libp11's session on the slot, read-write.  Before the login: libp11 0.4.12
 * fixes a slot's session mode with its first session, and PKCS11_open_session
 * closes every session of the slot (C_CloseAllSessions), which logs out.
 */
static int
open_rw(struct p11_token *tok, struct cr_err *err)
{
	char rvs[48];
	CK_RV rv;

	ERR_clear_error();
	if (PKCS11_open_session(tok->slot, 1) == 0) {
		ERR_clear_error();
		return CR_OK;
	}
	rv = p11__ckr_from_queue();
	return cr_err_set(err, CR_EENV, "cannot open a read-write session on token '%s': %s",
	    tok->label, rv ? p11__ckr_str(rv, rvs, sizeof(rvs)) : "libp11 failed");
}

/*
 * A failed or refused login of the same physical token through another
 * module of this ctx: its outcome stands for this one too, so that two
 * modules for one card never mean two wrong PINs.
 */
static const struct p11_token *
refused_twin(const struct p11_token *tok)
{
	struct p11_ctx *ctx = tok->mod->ctx;
	size_t i, j;

	for (i = 0; i < ctx->nmods; i++) {
		const struct p11_module *m = ctx->mods[i];

		if (m == tok->mod)
			continue;
		for (j = 0; j < m->ntokens; j++) {
			const struct p11_token *t = m->tokens[j];

			if ((t->login == P11_LOGIN_FAILED || t->login == P11_LOGIN_REFUSED) &&
			    p11__same_token(t, tok))
				return t;
		}
	}
	return NULL;
}

/* Remembers the outcome of the (only) attempt and returns its status. */
static int
settle(struct p11_token *tok, enum p11_login_result res, const struct cr_err *e,
    struct cr_err *err)
{
	tok->login = res;
	if (e != NULL)
		tok->login_err = *e;
	else
		cr_err_clear(&tok->login_err);
	if (err != NULL)
		*err = tok->login_err;
	return tok->login_err.status;
}

int
p11_token_login(struct p11_token *tok, const char *pin_source, int rw, struct cr_err *err)
{
	struct p11_ctx *ctx = tok->mod->ctx;
	const struct p11_token *twin;
	CK_TOKEN_INFO info;
	struct cr_err e;
	const char *path;
	char *pin = NULL;
	CK_RV rv;
	int lr;

	rw = rw || ctx->rw;
	switch (tok->login) {
	case P11_LOGIN_OK:
		if (rw && !tok->rw)
			return cr_err_set(err, CR_EENV,
			    "cannot write to token '%s': it was logged in read-only",
			    tok->label);
		return CR_OK;
	case P11_LOGIN_FAILED:
	case P11_LOGIN_REFUSED:
		if (err != NULL)
			*err = tok->login_err;
		return tok->login_err.status;
	case P11_LOGIN_NOT_TRIED:
	case P11_LOGIN_NO_PIN:
		break;
	}

	/* the same token reached through another module already refused */
	if ((twin = refused_twin(tok)) != NULL)
		return settle(tok, twin->login, &twin->login_err, err);
	cr_err_clear(&e);
	if (token_info(tok, &info, &e) != CR_OK)
		return settle(tok, P11_LOGIN_REFUSED, &e, err);
	flags_to_state(info.flags, &tok->login_flags);
	if (!(info.flags & CKF_LOGIN_REQUIRED)) {
		if (rw && open_rw(tok, &e) != CR_OK)
			return settle(tok, P11_LOGIN_REFUSED, &e, err);
		tok->rw = rw;
		return settle(tok, P11_LOGIN_OK, NULL, err);
	}
	if (tok->login_flags.locked) {
		cr_err_set(&e, CR_EENV,
		    "token '%s' is locked (CKF_USER_PIN_LOCKED): PIN not tried", tok->label);
		return settle(tok, P11_LOGIN_REFUSED, &e, err);
	}
	if (tok->login_flags.final_try && !ctx->force_login) {
		cr_err_set(&e, CR_EENV,
		    "token '%s' reports its final PIN try (CKF_USER_PIN_FINAL_TRY): PIN not "
		    "tried, a wrong one would lock the token", tok->label);
		return settle(tok, P11_LOGIN_REFUSED, &e, err);
	}

	path = pin_source;
	if (path == NULL)
		path = tok->pin_source;
	if (path == NULL)
		path = p11__token_conf_pin_source(tok);
	if (path == NULL) {
		/* not remembered: a later call may know a PIN source */
		tok->login = P11_LOGIN_NO_PIN;
		return cr_err_set(err, CR_EENV,
		    "no PIN source for token '%s': give pin-source=file:PATH in the URI or a "
		    "tokens entry", tok->label);
	}
	if (cr_read_secret(path, &pin, &e) != CR_OK) {
		cr_err_prefix(&e, "cannot read the PIN of token '%s'", tok->label);
		e.status = CR_EENV;
		return settle(tok, P11_LOGIN_REFUSED, &e, err);
	}

	if (rw && open_rw(tok, &e) != CR_OK) {
		cr_secret_free(pin);
		return settle(tok, P11_LOGIN_REFUSED, &e, err);
	}
	ERR_clear_error();
	lr = PKCS11_login(tok->slot, 0, pin);
	cr_secret_free(pin);
	pin = NULL;
	rv = p11__ckr_from_queue();	/* also clears the queue on success */
	if (lr != 0) {
		login_failure(tok, rv, &e);
		return settle(tok, P11_LOGIN_FAILED, &e, err);
	}
	tok->rw = rw;
	return settle(tok, P11_LOGIN_OK, NULL, err);
}

enum p11_login_result
p11_token_login_result(const struct p11_token *tok)
{
	return tok->login;
}

void
p11_token_login_pin_state(const struct p11_token *tok, struct p11_pin_state *st)
{
	*st = tok->login_flags;
}
