/*
 * write.c - certificate objects created and destroyed (`run`, `rollback`),
 * both idempotent: the executor may repeat a step after a crash, so "the
 * token already is as asked" is success with nothing written, told apart
 * from "written" by *changed, and the failures a caller must decide on carry
 * a reason (CR_R_OBJECT_EXISTS, CR_R_TOKEN_ABSENT, CR_R_LOGIN, ...).
 *
 * Both need the token logged in with a read-write session (see
 * p11_ctx_set_read_write), both work on the token's current listing
 * (certs.c: read once, or again after a write), and both run raw in a
 * read-write session of our own: PKCS11_store_certificate and
 * PKCS11_remove_certificate go through libp11's certificate cache, which in
 * 0.4.12 keeps destroyed objects listed and moves under its callers.  A write
 * drops the listing (the next p11_token_certs reads the token again).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "../common/util.h"
#include "p11-int.h"

/* "'mail' (CKA_ID 20)" for messages. */
static char *
object_name(const char *label, const unsigned char *id, size_t id_len)
{
	char *hex = cr_hex_upper(id, id_len);
	char *s = cr_xasprintf("'%s' (CKA_ID %s)", label != NULL ? label : "",
	    hex[0] != '\0' ? hex : "none");

	free(hex);
	return s;
}

/* The certificate objects of tok's current listing with this CKA_ID /
 * CKA_LABEL (has_*), in *out (free() its v). */
static int
objects_named(struct p11_token *tok, int has_id, const unsigned char *id, size_t id_len,
    int has_label, const char *label, struct p11_ptrs *out, struct cr_err *err)
{
	int r;

	if ((r = p11__certs_ensure(tok, err)) != CR_OK)
		return r;
	p11__idx_select(&tok->certidx, has_id, id, id != NULL ? id_len : 0, has_label, label,
	    out);
	return CR_OK;
}

static CK_RV
create_cert(struct p11_token *tok, X509 *cert, const char *label, const unsigned char *id,
    size_t id_len)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ctype = CKC_X_509;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	/* DER, allocated by OpenSSL (i2d with a NULL output pointer) */
	unsigned char *der = NULL, *subj = NULL, *iss = NULL, *serial = NULL;
	int nder, nsubj, niss, nserial;
	CK_ULONG n = 0;
	CK_ATTRIBUTE t[10];
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE h;
	CK_RV rv = CKR_HOST_MEMORY;

	nder = i2d_X509(cert, &der);
	nsubj = i2d_X509_NAME(X509_get_subject_name(cert), &subj);
	niss = i2d_X509_NAME(X509_get_issuer_name(cert), &iss);
	nserial = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &serial);
	ERR_clear_error();
	if (nder <= 0 || nsubj <= 0 || niss <= 0 || nserial <= 0)
		goto out;
	{
		CK_ATTRIBUTE base[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_CERTIFICATE_TYPE, &ctype, sizeof(ctype) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_PRIVATE, &no, sizeof(no) },
			{ CKA_VALUE, der, (CK_ULONG)nder },
			{ CKA_SUBJECT, subj, (CK_ULONG)nsubj },
			{ CKA_ISSUER, iss, (CK_ULONG)niss },
			{ CKA_SERIAL_NUMBER, serial, (CK_ULONG)nserial },
		};

		memcpy(t, base, sizeof(base));
		n = sizeof(base) / sizeof(base[0]);
	}
	if (label != NULL) {
		t[n].type = CKA_LABEL;
		t[n].pValue = (void *)label;
		t[n++].ulValueLen = strlen(label);
	}
	if (id != NULL && id_len > 0) {
		t[n].type = CKA_ID;
		t[n].pValue = (void *)id;
		t[n++].ulValueLen = id_len;
	}
	if ((rv = p11__raw_open(tok, 1, &s)) == CKR_OK) {
		rv = tok->mod->fl->C_CreateObject(s, t, n, &h);
		p11__raw_close(tok, s);
	}
out:
	OPENSSL_free(der);
	OPENSSL_free(subj);
	OPENSSL_free(iss);
	OPENSSL_free(serial);
	return rv;
}

int
p11_token_import_cert(struct p11_token *tok, X509 *cert, const char *label,
    const unsigned char *id, size_t id_len, int *changed, struct cr_err *err)
{
	struct p11_ptrs same = { NULL, 0, 0 };
	char *name = NULL;
	size_t i;
	CK_RV rv;
	int r;

	*changed = 0;
	if ((r = p11__need_rw(tok, "write to", err)) != CR_OK)
		return r;
	if ((r = objects_named(tok, 1, id, id_len, 1, label, &same, err)) != CR_OK)
		goto out;
	name = object_name(label, id, id != NULL ? id_len : 0);
	for (i = 0; i < same.n; i++) {
		if (p11_cert_x509(same.v[i]) != NULL &&
		    X509_cmp(p11_cert_x509(same.v[i]), cert) == 0) {
			r = CR_OK;	/* there already: nothing to do */
			goto out;
		}
	}
	if (same.n > 0) {
		/* a URI naming it could not tell the two apart: never replaced */
		r = cr_err_setr(err, CR_EBLOCK, CR_R_OBJECT_EXISTS,
		    "token '%s' already holds another certificate %s: not replaced", tok->label,
		    name);
		goto out;
	}
	rv = create_cert(tok, cert, label, id, id_len);
	p11__certs_invalidate(tok);
	if (rv != CKR_OK) {
		r = p11__rv_fail(err, rv, tok->label, "cannot store the certificate %s on token '%s'",
		    name, tok->label);
		goto out;
	}
	*changed = 1;
	r = CR_OK;
out:
	free(name);
	free(same.v);
	return r;
}

/*
 * One pass of p11_token_destroy_cert over the token's listing.  *stale is
 * set when a handle of the listing was no longer valid: SoftHSM2 (and the
 * standard allows it) invalidates every object handle of a slot when its
 * last session closes - and libp11 closes them all to open the read-write
 * session before the login - so a listing read before that names objects
 * that are still there by handles that are not.
 */
static int
destroy_pass(struct p11_token *tok, X509 *cert, const char *label, const unsigned char *id,
    size_t id_len, int *changed, int *stale, CK_RV *rvp, struct cr_err *err)
{
	struct p11_ptrs named = { NULL, 0, 0 };
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_RV rv = CKR_OK;
	size_t i;
	int r, opened = 0;

	*stale = 0;
	if ((r = objects_named(tok, id != NULL, id, id_len, label != NULL, label, &named,
	    err)) != CR_OK)
		return r;
	for (i = 0; i < named.n && rv == CKR_OK; i++) {
		const struct p11_cert_obj *o = named.v[i];

		if (p11_cert_x509(o) == NULL || X509_cmp(p11_cert_x509(o), cert) != 0)
			continue;	/* not this certificate: never touched */
		if (!opened && (rv = p11__raw_open(tok, 1, &s)) != CKR_OK)
			break;
		opened = 1;
		rv = tok->mod->fl->C_DestroyObject(s, (CK_OBJECT_HANDLE)o->handle);
		if (rv == CKR_OBJECT_HANDLE_INVALID) {
			*stale = 1;	/* gone meanwhile, or a handle from before the login */
			rv = CKR_OK;
		} else if (rv == CKR_OK) {
			*changed = 1;
		}
	}
	if (opened) {
		p11__raw_close(tok, s);
		p11__certs_invalidate(tok);
	}
	free(named.v);
	*rvp = rv;
	return CR_OK;
}

int
p11_token_destroy_cert(struct p11_token *tok, X509 *cert, const char *label,
    const unsigned char *id, size_t id_len, int *changed, struct cr_err *err)
{
	CK_RV rv = CKR_OK;
	int r, stale = 0;

	*changed = 0;
	if ((r = p11__need_rw(tok, "write to", err)) != CR_OK ||
	    (r = destroy_pass(tok, cert, label, id, id_len, changed, &stale, &rv, err)) != CR_OK)
		return r;
	/* a stale handle: the listing read again, what is there now destroyed */
	if (rv == CKR_OK && stale &&
	    (r = destroy_pass(tok, cert, label, id, id_len, changed, &stale, &rv, err)) != CR_OK)
		return r;
	if (rv != CKR_OK) {
		char *name = object_name(label, id, id != NULL ? id_len : 0);

		r = p11__rv_fail(err, rv, tok->label, "cannot remove the certificate %s from token "
		    "'%s'", name, tok->label);
		free(name);
		return r;
	}
	return CR_OK;
}
