/*
 * act_token.c - the native token actions (SPEC 7.2): the new certificate
 * onto rotation.import_to beside its key, and the old certificate retired
 * from its token - archived first - and the undo of both.
 *
 * Only certificate objects are written or destroyed: a private key is
 * never touched.  Every write goes through pkcs11/'s idempotent
 * p11_token_import_cert / p11_token_destroy_cert, on a read-write session
 * (the command's row is ROT_NEEDS_WRITE).
 *
 * What the token actions decided:
 *  - only the leaf is imported: the chain goes to the services that send
 *    it (files, hosts' stores), not onto the token, where an application
 *    reading the token's certificates could take a CA certificate for one
 *    of its own, and where retire would have to tell whose it is;
 *  - the CKA_ID is that of the private key on the import_to token whose
 *    public key is the certificate's (the key rotation.key names, found by
 *    the certificate); none there: the import is refused - a certificate
 *    without its key beside it is of no use to a service reading the token;
 *  - the CKA_LABEL is rotation.label, else the certificate's subject CN;
 *  - a retired certificate goes to ARCHIVE/old-SHA256.der and .pem, with
 *    ARCHIVE/old-SHA256.json naming its token, label and CKA_ID, before
 *    the object is destroyed (retire = delete: nothing is archived);
 *  - an undone import removes the object only when this journal imported
 *    it (the plan saw the import pending when the step first started, or
 *    the import said it created the object).
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "act_int.h"
#include "../common/fsutil.h"
#include "../common/utf8.h"
#include "../common/util.h"
#include "../pkcs11/p11.h"

#define META_MAX (64 * 1024)

/* The one token `src` names, logged in read-write. */
static int
token_of(struct act_ctx *a, const struct plan_src *src, const char *setting,
    struct p11_token **tok, struct cr_err *err)
{
	struct p11_token **toks = NULL;
	size_t n = 0;
	int r;

	*tok = NULL;
	if (a->p11 == NULL || src->kind != PLAN_SRC_PKCS11 || src->uri == NULL)
		return cr_err_set(err, CR_EINPUT, "%s '%s' is not a token", setting, src->text);
	if ((r = p11_find_tokens(a->p11, src->uri, &toks, &n, err)) != CR_OK)
		return r;
	if (n != 1) {
		free(toks);
		return cr_err_setr(err, CR_EINPUT, CR_R_CONFIG, "%s '%s' names %zu tokens: name one "
		    "(add serial=)", setting, src->text, n);
	}
	*tok = toks[0];
	free(toks);
	return p11_token_login(*tok, src->pin_source, 1, err);
}

/* rotation.label, else the subject's CN into buf. */
static const char *
label_for(const struct plan_config *cfg, X509 *x, char *buf, size_t len)
{
	if (cfg->rotation.label != NULL)
		return cfg->rotation.label;
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, (int)len) < 0)
		return NULL;
	return buf;
}

int
act_token_import(struct act_ctx *a, size_t step, struct act_out *out, struct cr_err *err)
{
	const struct plan_config *cfg = a->p->cfg;
	const struct crt_cert *nw = a->p->in->new;
	struct p11_token *tok = NULL;
	struct p11_key_obj *key = NULL;
	const char *label;
	char cn[256], *hex;
	int r, changed = 0;

	(void)step;
	if ((r = token_of(a, &cfg->rotation.import_to_src, "rotation.import_to", &tok, err)) != CR_OK)
		return r;
	if ((r = p11_key_for_cert(tok, nw->x509, NULL, 0, &key, err)) != CR_OK)
		return r;
	if (key == NULL)
		return cr_err_setr(err, CR_EBLOCK, CR_R_NOT_FOUND, "token '%s' holds no private key of "
		    "the new certificate: it would have no key beside it (rotation.key names '%s')",
		    p11_token_label(tok), cfg->rotation.key);
	label = label_for(cfg, nw->x509, cn, sizeof(cn));
	if ((r = p11_token_import_cert(tok, nw->x509, label, key->id, key->id_len, &changed,
	    err)) != CR_OK)
		return r;
	hex = cr_hex_upper(key->id, key->id_len);
	act_out_detail(out, "%s the new certificate on token '%s' as '%s' (CKA_ID %s)",
	    changed ? "stored" : "found", p11_token_label(tok), label ? label : "", hex);
	act_out_put(out, "imported", changed ? "1" : "0");
	act_out_put(out, "label", label);
	act_out_put(out, "id", hex);
	free(hex);
	return CR_OK;
}

/* The CKA_ID journaled as hex into buf (*len bytes), or NULL. */
static const unsigned char *
hex_id(const char *hex, unsigned char *buf, size_t max, size_t *len)
{
	int n;

	*len = 0;
	if (hex == NULL || (n = cr_hex_parse(hex, buf, max)) <= 0)
		return NULL;
	*len = (size_t)n;
	return buf;
}

int
act_token_unimport(struct act_ctx *a, size_t step, struct act_out *out, struct cr_err *err)
{
	const struct plan_config *cfg = a->p->cfg;
	const char *id = act_jid(a, step);
	const char *imported = a->j ? rot_journal_data(a->j, id, "imported") : NULL;
	const char *plan = a->j ? rot_journal_data(a->j, id, ACT_KEY_PLAN) : NULL;
	struct p11_token *tok = NULL;
	unsigned char idbuf[256];
	const unsigned char *cka;
	size_t idlen;
	int r, changed = 0;

	if (!(imported != NULL && strcmp(imported, "1") == 0) &&
	    !(plan != NULL && strcmp(plan, "pending") == 0)) {
		act_out_detail(out, "left on the token: the new certificate was there before this "
		    "journal's run");
		out->kept = 1;
		return CR_OK;
	}
	if ((r = token_of(a, &cfg->rotation.import_to_src, "rotation.import_to", &tok, err)) != CR_OK)
		return r;
	cka = hex_id(a->j ? rot_journal_data(a->j, id, "id") : NULL, idbuf, sizeof(idbuf), &idlen);
	if ((r = p11_token_destroy_cert(tok, a->p->in->new->x509,
	    a->j ? rot_journal_data(a->j, id, "label") : NULL, cka, idlen, &changed, err)) != CR_OK)
		return r;
	act_out_detail(out, "%s the new certificate from token '%s' (its private key stays)",
	    changed ? "removed" : "no longer found", p11_token_label(tok));
	act_out_put(out, "removed", changed ? "1" : "0");
	return CR_OK;
}

/* Writes ARCHIVE/old-SHA256.{der,pem,json}; a copy already there is kept (the first one). */
static int
archive_old(struct act_ctx *a, const struct crt_cert *old, struct p11_token *tok,
    struct cr_err *err)
{
	const struct plan_config *cfg = a->p->cfg;
	const char *ext[3] = { "der", "pem", "json" };
	unsigned char *der = NULL;
	char *hex = cr_hex_upper(old->sha256, 32), *pem = NULL, *path;
	struct json_object *meta = NULL;
	const void *data[3];
	size_t len[3];
	int r, k, dlen;

	if ((r = cr_fs_mkdir_private(cfg->rotation.archive_dir, err)) != CR_OK)
		goto out;
	if ((dlen = i2d_X509(old->x509, &der)) <= 0) {
		r = cr_err_ssl(err, CR_EINPUT, "cannot encode the old certificate");
		goto out;
	}
	pem = act_pem(old->x509, NULL, &len[1]);
	meta = json_object_new_object();
	json_object_object_add(meta, "token", cr_json_str(p11_token_uri(tok)));
	if (old->token != NULL && old->token->object != NULL)
		json_object_object_add(meta, "label", cr_json_str(old->token->object));
	if (old->token != NULL && old->token->id != NULL) {
		char *idhex = cr_hex_upper(old->token->id, old->token->id_len);

		json_object_object_add(meta, "id", cr_json_str(idhex));
		free(idhex);
	}
	data[0] = der;
	len[0] = (size_t)dlen;
	data[1] = pem;
	data[2] = json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PLAIN);
	len[2] = strlen(data[2]);
	for (k = 0; k < 3; k++) {
		/* the token facts exist only while the certificate was read from it */
		if (k == 2 && old->token == NULL)
			break;
		path = act_archive_retired(cfg, hex, ext[k]);
		r = cr_fs_create_private(path, data[k], len[k], err);
		free(path);
		if (r != CR_OK && err->reason != CR_R_OBJECT_EXISTS)
			goto out;
	}
	cr_err_clear(err);
	r = CR_OK;
out:
	OPENSSL_free(der);
	free(pem);
	free(hex);
	json_object_put(meta);
	return r;
}

int
act_token_retire(struct act_ctx *a, size_t step, struct act_out *out, struct cr_err *err)
{
	const struct plan_config *cfg = a->p->cfg;
	const struct crt_cert *old = a->p->in->old;
	struct p11_token *tok = NULL;
	char *hex;
	int r, changed = 0, archive = cfg->rotation.retire != PLAN_RETIRE_DELETE;

	(void)step;
	if ((r = token_of(a, &cfg->rotation.old_src, "rotation.old", &tok, err)) != CR_OK)
		return r;
	/* the archive first: a failure here leaves the token as it was */
	if (archive && (r = archive_old(a, old, tok, err)) != CR_OK)
		return r;
	if ((r = p11_token_destroy_cert(tok, old->x509, NULL, NULL, 0, &changed, err)) != CR_OK)
		return r;
	hex = cr_hex_upper(old->sha256, 32);
	act_out_detail(out, "%s the old certificate from token '%s'%s%s%s (its private key stays)",
	    changed ? "removed" : "no longer found", p11_token_label(tok),
	    archive ? ", archived in '" : " (retire = delete: not archived)",
	    archive ? cfg->rotation.archive_dir : "", archive ? "'" : "");
	if (archive) {
		char *der = act_archive_retired(cfg, hex, "der");

		act_out_put(out, "archive", der);
		free(der);
	}
	if (old->token != NULL && old->token->object != NULL)
		act_out_put(out, "label", old->token->object);
	if (old->token != NULL && old->token->id != NULL) {
		char *idhex = cr_hex_upper(old->token->id, old->token->id_len);

		act_out_put(out, "id", idhex);
		free(idhex);
	}
	free(hex);
	return CR_OK;
}

/*
 * The label and CKA_ID the old object had: its archive's json, else the
 * journal, else the object= / id= of rotation.old.  Strings into the
 * buffers given.
 */
static void
old_object(struct act_ctx *a, size_t step, char *label, size_t llen, unsigned char *id,
    size_t *idlen)
{
	const struct plan_config *cfg = a->p->cfg;
	const char *sid = act_jid(a, step), *l = NULL, *h = NULL, *uo;
	char *hex = cr_hex_upper(a->p->in->old->sha256, 32), *path;
	struct json_object *meta = NULL, *v;
	unsigned char *buf = NULL;
	const unsigned char *uid;
	size_t len = 0, ulen = 0;
	struct cr_err e;

	path = act_archive_retired(cfg, hex, "json");
	if (cr_fs_read_regular(path, NULL, CR_FS_NOFOLLOW, META_MAX, &buf, &len, &e) == CR_OK)
		meta = json_tokener_parse((const char *)buf);
	if (meta != NULL && json_object_object_get_ex(meta, "label", &v))
		l = json_object_get_string(v);
	if (meta != NULL && json_object_object_get_ex(meta, "id", &v))
		h = json_object_get_string(v);
	if (l == NULL && a->j != NULL)
		l = rot_journal_data(a->j, sid, "label");
	if (h == NULL && a->j != NULL)
		h = rot_journal_data(a->j, sid, "id");
	uo = cfg->rotation.old_src.uri ? p11_uri_object(cfg->rotation.old_src.uri) : NULL;
	snprintf(label, llen, "%s", l != NULL ? l : uo != NULL ? uo : "");
	if (h == NULL || hex_id(h, id, 256, idlen) == NULL) {
		uid = cfg->rotation.old_src.uri ? p11_uri_id(cfg->rotation.old_src.uri, &ulen) : NULL;
		*idlen = uid != NULL && ulen <= 256 ? ulen : 0;
		if (*idlen > 0)
			memcpy(id, uid, *idlen);
	}
	json_object_put(meta);
	free(buf);
	free(path);
	free(hex);
}

int
act_token_restore(struct act_ctx *a, size_t step, struct act_out *out, struct cr_err *err)
{
	const struct plan_config *cfg = a->p->cfg;
	struct p11_token *tok = NULL;
	unsigned char id[256];
	char label[256], *hex;
	size_t idlen = 0;
	int r, changed = 0;

	/* the old certificate itself: loaded by the plan - from its token when it is
	   back there, else from the archive copy (state.c) */
	old_object(a, step, label, sizeof(label), id, &idlen);
	if ((r = token_of(a, &cfg->rotation.old_src, "rotation.old", &tok, err)) != CR_OK)
		return r;
	if ((r = p11_token_import_cert(tok, a->p->in->old->x509, label[0] ? label : NULL,
	    idlen ? id : NULL, idlen, &changed, err)) != CR_OK)
		return r;
	hex = cr_hex_upper(id, idlen);
	act_out_detail(out, "%s the old certificate on token '%s' as '%s' (CKA_ID %s)",
	    changed ? "restored" : "found", p11_token_label(tok), label, hex);
	free(hex);
	return CR_OK;
}
