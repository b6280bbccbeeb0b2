/*
 * write.c - certificate objects created and destroyed (`run`, `rollback`).
 *
 * Both need the token logged in with a read-write session (see
 * p11_ctx_set_read_write), and both drop the token's certificate cache: the
 * next p11_token_certs searches the token again.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "../common/util.h"
#include "p11-int.h"

static int
need_rw(struct p11_token *tok, struct cr_err *err)
{
	if (tok->login != P11_LOGIN_OK || !tok->rw)
		return cr_err_set(err, CR_EENV,
		    "cannot write to token '%s': not logged in with a read-write session",
		    tok->label);
	return CR_OK;
}

static int
write_error(struct p11_token *tok, const char *what, CK_RV rv, struct cr_err *err)
{
	char rvs[48];

	switch (rv) {
	case CKR_TOKEN_WRITE_PROTECTED:
		return cr_err_set(err, CR_EENV, "cannot %s on token '%s': it is write-protected "
		    "(CKR_TOKEN_WRITE_PROTECTED)", what, tok->label);
	case CKR_SESSION_READ_ONLY:
		return cr_err_set(err, CR_EENV, "cannot %s on token '%s': the session is "
		    "read-only (CKR_SESSION_READ_ONLY)", what, tok->label);
	case CKR_DEVICE_MEMORY:
		return cr_err_set(err, CR_EENV, "cannot %s on token '%s': the token is full "
		    "(CKR_DEVICE_MEMORY)", what, tok->label);
	case CKR_TOKEN_NOT_PRESENT:
		return cr_err_set(err, CR_EENV, "cannot %s: token '%s' is not present "
		    "(CKR_TOKEN_NOT_PRESENT)", what, tok->label);
	case CKR_DEVICE_REMOVED:
		return cr_err_set(err, CR_EENV, "cannot %s: token '%s' was removed "
		    "(CKR_DEVICE_REMOVED)", what, tok->label);
	case 0:
		return cr_err_set(err, CR_EENV, "cannot %s on token '%s' (libp11 failed)", what,
		    tok->label);
	default:
		return cr_err_set(err, CR_EENV, "cannot %s on token '%s': %s", what, tok->label,
		    p11__ckr_str(rv, rvs, sizeof(rvs)));
	}
}

int
p11_token_store_cert(struct p11_token *tok, X509 *cert, const char *label,
    const unsigned char *id, size_t id_len, struct cr_err *err)
{
	char *l = NULL;
	unsigned char *i = NULL;
	CK_RV rv;
	int r;

	if ((r = need_rw(tok, err)) != CR_OK)
		return r;
	/* libp11 takes non-const pointers */
	l = cr_xstrdup(label);
	if (id != NULL && id_len > 0) {
		i = cr_xmalloc(id_len);
		memcpy(i, id, id_len);
	}
	ERR_clear_error();
	if (PKCS11_store_certificate(tok->slot->token, cert, l, i, i ? id_len : 0, NULL) != 0) {
		rv = p11__ckr_from_queue();
		r = write_error(tok, "store the certificate", rv, err);
	} else {
		ERR_clear_error();
		r = CR_OK;
	}
	p11__token_invalidate_certs(tok);
	free(l);
	free(i);
	return r;
}

int
p11_token_remove_cert(struct p11_token *tok, const struct p11_cert_obj *obj,
    struct cr_err *err)
{
	CK_SESSION_HANDLE s;
	CK_RV rv;
	int r;

	if ((r = need_rw(tok, err)) != CR_OK)
		return r;
	if (obj == NULL || obj->token != tok || !tok->certs_loaded || obj < tok->certs ||
	    obj >= tok->certs + tok->ncerts)
		return cr_err_set(err, CR_EENV,
		    "cannot remove a certificate from token '%s': the object was not read from "
		    "its current listing", tok->label);
	if ((rv = p11__raw_open(tok, 1, &s)) != CKR_OK)
		return write_error(tok, "open a read-write session", rv, err);
	rv = tok->mod->fl->C_DestroyObject(s, (CK_OBJECT_HANDLE)obj->handle);
	p11__raw_close(tok, s);
	p11__token_invalidate_certs(tok);
	if (rv != CKR_OK)
		return write_error(tok, "remove the certificate", rv, err);
	return CR_OK;
}
