/*
 * login.c - logging in exactly once.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "../common/util.h"
#include "p11-int.h"
#include "../common/secret.h"

/* Why C_Login failed, in words an operator can act on. */
static int
login_failure(struct p11_token *tok, CK_RV rv, struct cr_err *err)
{
	char rvs[48];
	const char *l = tok->label;
	enum cr_reason why = p11__ckr_reason(rv);

	switch (rv) {
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
		return cr_err_setr(err, CR_EENV, why, "PIN refused by token '%s' (%s); not retried",
		    l, p11__ckr_str(rv, rvs, sizeof(rvs)));
	case CKR_PIN_LOCKED:
		return cr_err_setr(err, CR_EENV, why,
		    "token '%s' is locked (CKR_PIN_LOCKED): its user PIN must be reset", l);
	case CKR_PIN_EXPIRED:
		return cr_err_setr(err, CR_EENV, why,
		    "the PIN of token '%s' has expired (CKR_PIN_EXPIRED): change it first", l);
	case CKR_USER_PIN_NOT_INITIALIZED:
		return cr_err_setr(err, CR_EENV, why,
		    "token '%s' has no user PIN set (CKR_USER_PIN_NOT_INITIALIZED)", l);
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_DEVICE_REMOVED:
		return p11__rv_fail(err, rv, l, "login to token '%s' failed", l);
	case 0:
		return cr_err_setr(err, CR_EENV, CR_R_LOGIN,
		    "login to token '%s' failed (libp11 reported no PKCS#11 code); not retried",
		    l);
	default:
		return cr_err_setr(err, CR_EENV, why == CR_R_TOKEN ? CR_R_LOGIN : why,
		    "login to token '%s' failed: %s; not retried", l,
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
	CK_RV rv;

	ERR_clear_error();
	if (PKCS11_open_session(tok->slot, 1) == 0) {
		ERR_clear_error();
		return CR_OK;
	}
	rv = p11__ckr_from_queue();
	return p11__rv_fail(err, rv, NULL, "cannot open a read-write session on token '%s'",
	    tok->label);
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

/* The PIN source for a login: the caller's, the URI's that found the token,
 * a matching `tokens` entry's; NULL when none. */
static const char *
pin_path(struct p11_token *tok, const char *pin_source)
{
	if (pin_source != NULL)
		return pin_source;
	if (tok->pin_source != NULL)
		return tok->pin_source;
	return p11__token_conf_pin_source(tok);
}

static int
no_pin(struct p11_token *tok, struct cr_err *err)
{
	/* not remembered as an outcome: a later call may know a PIN source */
	tok->login = P11_LOGIN_NO_PIN;
	return cr_err_setr(err, CR_EENV, CR_R_PIN_SOURCE,
	    "no PIN source for token '%s': give pin-source=file:PATH in the URI or a "
	    "tokens entry", tok->label);
}

/* Refuses without trying when the token says a PIN would do harm. */
static int
refuse_by_flags(struct p11_token *tok, struct cr_err *e)
{
	if (tok->login_flags.locked)
		return cr_err_setr(e, CR_EENV, CR_R_PIN_LOCKED,
		    "token '%s' is locked (CKF_USER_PIN_LOCKED): PIN not tried", tok->label);
	if (tok->login_flags.final_try && !tok->mod->ctx->force_login)
		return cr_err_setr(e, CR_EENV, CR_R_PIN_FINAL_TRY,
		    "token '%s' reports its final PIN try (CKF_USER_PIN_FINAL_TRY): PIN not "
		    "tried, a wrong one would lock the token", tok->label);
	return CR_OK;
}

/* ---- refusals across runs (p11.h: p11_ctx_add_refusals) ---- */

#define REFUSAL_HEX 64	/* SHA-256, upper-case hex */

/* One field of a refusal digest: its length, then its bytes (no field runs into the next). */
static void
digest_field(EVP_MD_CTX *md, const char *s)
{
	unsigned long long n = s != NULL ? (unsigned long long)strlen(s) : 0;

	EVP_DigestUpdate(md, &n, sizeof(n));
	if (n > 0)
		EVP_DigestUpdate(md, s, (size_t)n);
}

/*
 * The refusal digest of a login to tok with the PIN in `path` as that file
 * is now; NULL when it cannot be stat()ed (the read then says why).  Only
 * names and file metadata go in: the PIN is not read here.
 */
static char *
refusal_digest(const struct p11_token *tok, const char *path)
{
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *md;
	struct stat st;
	char meta[160], *real;
	int ok;

	if (stat(path, &st) != 0 || (md = EVP_MD_CTX_new()) == NULL)
		return NULL;
	snprintf(meta, sizeof(meta), "%llu:%llu:%lld:%lld.%09ld:%lld.%09ld",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino, (long long)st.st_size,
	    (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec,
	    (long)st.st_ctim.tv_nsec);
	real = realpath(path, NULL);
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	if (ok) {
		digest_field(md, "certrotate pin refusal 1");
		digest_field(md, tok->label);
		digest_field(md, tok->serial);
		digest_field(md, tok->manufacturer);
		digest_field(md, tok->model);
		digest_field(md, real != NULL ? real : path);	/* the same file from any cwd */
		digest_field(md, meta);
		ok = EVP_DigestFinal_ex(md, out, &len) == 1 && len * 2 == REFUSAL_HEX;
	}
	EVP_MD_CTX_free(md);
	free(real);
	return ok ? cr_hex_upper(out, len) : NULL;
}

static int
refused_before(const struct p11_ctx *ctx, const char *digest)
{
	size_t i;

	for (i = 0; digest != NULL && i < ctx->nrefused; i++)
		if (strcmp(ctx->refused[i], digest) == 0)
			return 1;
	return 0;
}

static void
add_refusal(struct p11_ctx *ctx, const char *digest, size_t n)
{
	char *d = cr_xstrndup(digest, n);

	if (refused_before(ctx, d)) {
		free(d);
		return;
	}
	cr_grow(&ctx->refused, &ctx->refusedcap, ctx->nrefused + 1, sizeof(*ctx->refused));
	ctx->refused[ctx->nrefused++] = d;
}

void
p11_ctx_add_refusals(struct p11_ctx *ctx, const char *list)
{
	const char *p = list;

	while (p != NULL && *p != '\0') {
		size_t n = strspn(p, "0123456789ABCDEF");

		if (n == REFUSAL_HEX && (p[n] == ' ' || p[n] == '\0'))
			add_refusal(ctx, p, n);
		p += n + strcspn(p + n, " ");
		p += strspn(p, " ");
	}
}

char *
p11_ctx_refusals(const struct p11_ctx *ctx)
{
	struct cr_buf b = CR_BUF_INIT;
	size_t i;

	if (ctx == NULL || ctx->nrefused == 0)
		return NULL;
	for (i = 0; i < ctx->nrefused; i++)
		cr_buf_addf(&b, "%s%s", i ? " " : "", ctx->refused[i]);
	return cr_buf_detach(&b);
}

/*
 * Refuses without C_Login a PIN source an earlier run presented and the
 * token refused, unchanged since (*digest: this attempt's, for add_refusal
 * if it is refused again; free() it).
 */
static int
refuse_by_history(struct p11_token *tok, const char *path, char **digest, struct cr_err *e)
{
	*digest = refusal_digest(tok, path);
	if (tok->mod->ctx->force_login || !refused_before(tok->mod->ctx, *digest))
		return CR_OK;
	return cr_err_setr(e, CR_EENV, CR_R_PIN_INCORRECT, "PIN refused by token '%s' in an earlier "
	    "run, and its source '%s' has not changed since: not tried again (correct the PIN "
	    "there, or give --force-login)", tok->label, path);
}

/* The one C_Login (through libp11), with the PIN read from path and wiped. */
static int
attempt(struct p11_token *tok, const char *path, int rw, struct cr_err *err)
{
	struct cr_err e;
	char *pin = NULL;
	CK_RV rv;
	int lr;

	cr_err_clear(&e);
	if (cr_read_secret(path, &pin, &e) != CR_OK) {
		cr_err_prefix(&e, "cannot read the PIN of token '%s'", tok->label);
		e.status = CR_EENV;
		e.reason = CR_R_PIN_SOURCE;
		return settle(tok, P11_LOGIN_REFUSED, &e, err);
	}
	if (rw && open_rw(tok, &e) != CR_OK) {
		cr_secret_free(pin);
		return settle(tok, P11_LOGIN_REFUSED, &e, err);
	}
	ERR_clear_error();
	lr = PKCS11_login(tok->slot, 0, pin);
	cr_secret_free(pin);
	rv = p11__ckr_from_queue();	/* also clears the queue on success */
	if (lr != 0) {
		login_failure(tok, rv, &e);
		return settle(tok, P11_LOGIN_FAILED, &e, err);
	}
	tok->rw = rw;
	return settle(tok, P11_LOGIN_OK, NULL, err);
}

int
p11_token_login(struct p11_token *tok, const char *pin_source, int rw, struct cr_err *err)
{
	const struct p11_token *twin;
	CK_TOKEN_INFO info;
	struct cr_err e;
	const char *path;
	char *digest = NULL;
	int r;

	rw = rw || tok->mod->ctx->rw;
	switch (tok->login) {
	case P11_LOGIN_OK:
		if (rw && !tok->rw)
			return cr_err_setr(err, CR_EENV, CR_R_LOGIN,
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
	path = pin_path(tok, pin_source);
	/* asked again without a PIN source: the same answer, without reading the
	 * token again (a listing asks once per certificate) */
	if (tok->login == P11_LOGIN_NO_PIN && path == NULL)
		return no_pin(tok, err);
	/* no PIN to present: the flags read when the token was found (this
	 * process) decide, unless they say locked or final try - those are read
	 * fresh as before a login (and said as such) */
	if (path == NULL && (tok->info.flags & CKF_LOGIN_REQUIRED) &&
	    !(tok->info.flags & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_FINAL_TRY))) {
		p11__pin_state_from(tok->info.flags, &tok->login_flags);
		return no_pin(tok, err);
	}
	cr_err_clear(&e);
	if (p11__token_info(tok, &info, &e) != CR_OK)
		return settle(tok, P11_LOGIN_REFUSED, &e, err);
	p11__pin_state_from(info.flags, &tok->login_flags);
	if (!(info.flags & CKF_LOGIN_REQUIRED)) {
		if (rw && open_rw(tok, &e) != CR_OK)
			return settle(tok, P11_LOGIN_REFUSED, &e, err);
		tok->rw = rw;
		return settle(tok, P11_LOGIN_OK, NULL, err);
	}
	if (refuse_by_flags(tok, &e) != CR_OK)
		return settle(tok, P11_LOGIN_REFUSED, &e, err);
	if (path == NULL)
		return no_pin(tok, err);
	if (refuse_by_history(tok, path, &digest, &e) != CR_OK) {
		free(digest);
		return settle(tok, P11_LOGIN_FAILED, &e, err);
	}
	r = attempt(tok, path, rw, err);
	if (tok->login == P11_LOGIN_FAILED && tok->login_err.reason == CR_R_PIN_INCORRECT &&
	    digest != NULL)
		add_refusal(tok->mod->ctx, digest, strlen(digest));
	free(digest);
	return r;
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

int
p11__need_rw(const struct p11_token *tok, const char *doing, struct cr_err *err)
{
	if (tok->login != P11_LOGIN_OK || !tok->rw)
		return cr_err_setr(err, CR_EENV, CR_R_LOGIN,
		    "cannot %s token '%s': not logged in with a read-write session", doing,
		    tok->label);
	return CR_OK;
}
