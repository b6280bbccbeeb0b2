/*
 * chk_key.c - the key and token family: new.key, new.key-protection,
 * token.login, and after an import import.present.  A token is logged in
 * to at most once per context (p11/ remembers the outcome; a refused PIN
 * is never tried again), whichever check asks first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "internal.h"
#include "../common/sigtest.h"
#include "../common/util.h"
#include "../pkcs11/p11.h"
#include "../cert/dn.h"
#include "../common/fsutil.h"

/*
 * The token.login item of the (single) token the pkcs11: source `src`
 * names (parsed at load time), logging in once with the URI's pin-source,
 * else the token's configured one.  *tok_out (may be NULL) receives the
 * token when logged in.
 */
static size_t
token_login(struct chk_ctx *c, const struct plan_src *src, struct p11_token **tok_out)
{
	const struct p11_uri *uri = src->uri;
	struct p11_token **toks = NULL;
	struct p11_pin_state ps;
	struct cr_err err;
	struct chk_item *it;
	size_t n = 0, idx;
	char *subject = NULL, *what = NULL;
	int fresh, r;

	if (tok_out != NULL)
		*tok_out = NULL;
	cr_err_clear(&err);
	if (uri == NULL)
		r = cr_err_set(&err, CR_EINPUT, "'%s' is not a pkcs11: URI", src->text);
	else
		r = p11_find_tokens(c->p11, uri, &toks, &n, &err);
	if (r != CR_OK) {
		subject = cr_xasprintf("token of '%s'", src->text);
		idx = chk_item_get(c, PLAN_CHK_TOKEN_LOGIN, CHK_PRE, subject, subject, &fresh);
		it = chk_item_at(c, idx);
		if (fresh) {
			chk_result_set(&it->res, CHK_FAIL, "%s", err.msg);
			it->status = r;
		}
		goto out;
	}
	if (n > 1) {
		/* about the URI, not about any one of the tokens */
		subject = cr_xasprintf("token of '%s'", src->text);
		idx = chk_item_get(c, PLAN_CHK_TOKEN_LOGIN, CHK_PRE, subject, subject, &fresh);
		it = chk_item_at(c, idx);
		if (fresh) {
			chk_result_set(&it->res, CHK_FAIL, "'%s' matches %zu tokens: name one (serial=)",
			    src->text, n);
			it->status = CR_EINPUT;
		}
		goto out;
	}
	/* one login per token, told apart by module and serial: two tokens may
	   share a label */
	subject = cr_xasprintf("token %s", p11_token_label(toks[0]));
	what = cr_xasprintf("%s\x1f%s", p11_token_module(toks[0]), p11_token_serial(toks[0]));
	idx = chk_item_get(c, PLAN_CHK_TOKEN_LOGIN, CHK_PRE, subject, what, &fresh);
	it = chk_item_at(c, idx);
	if (!fresh) {
		if (tok_out != NULL && it->res.status != CHK_FAIL)
			*tok_out = toks[0];
		goto out;
	}
	r = p11_token_login(toks[0], p11_uri_pin_source(uri), 0, &err);
	p11_token_login_pin_state(toks[0], &ps);
	if (r == CR_OK) {
		if (ps.count_low)
			chk_result_set(&it->res, CHK_WARN, "logged in to token '%s', but it reported "
			    "a low PIN count before this login: someone tried wrong PINs",
			    p11_token_label(toks[0]));
		else
			chk_result_set(&it->res, CHK_PASS, "logged in to token '%s' (one attempt)",
			    p11_token_label(toks[0]));
		if (tok_out != NULL)
			*tok_out = toks[0];
	} else {
		/* a PIN source that cannot be read is its `tokens` entry's setting */
		struct plan_loc none = { c->cfg->file, 0 };

		plan_src_error(&err, src, none, NULL);
		chk_result_set(&it->res, CHK_FAIL, "%s", err.msg);
		it->status = r;
	}
out:
	free(subject);
	free(what);
	free(toks);
	return idx;
}

/* ---- the new key ------------------------------------------------------------ */

/*
 * new.key and new.key-protection of a key on a token.  Items are passed by
 * index: logging in may add the token.login item, which moves the array.
 */
static void
eval_token_key(struct chk_ctx *c, size_t ik, size_t ip)
{
	const struct plan_src *ks = &c->cfg->rotation.key_src;
	const char *src = ks->text;
	struct p11_key_obj **keys = NULL;
	struct p11_token *tok = NULL;
	struct chk_item *key, *prot;
	struct cr_err err;
	size_t n = 0, li;
	int r;

	cr_err_clear(&err);
	li = token_login(c, ks, &tok);
	key = chk_item_at(c, ik);	/* no item is added below this line */
	prot = chk_item_at(c, ip);
	if (tok == NULL) {
		/* one cause, one line: the login's failure is token.login's, listed
		   beside these (chk_eval_new_key); they only point at it */
		const struct chk_item *login = chk_item_at(c, li);

		chk_result_set(&key->res, CHK_SKIP, "not checked: the token cannot be used "
		    "(token.login, %s)", login->subject);
		chk_result_set(&prot->res, CHK_SKIP, "not checked: the token cannot be used "
		    "(token.login, %s)", login->subject);
		c->key_login = li + 1;
		goto out;
	}
	if ((r = p11_find_keys(c->p11, ks->uri, &keys, &n, &err)) != CR_OK) {
		chk_result_set(&key->res, CHK_FAIL, "%s", err.msg);
		key->status = r;
		chk_result_set(&prot->res, CHK_SKIP, "cannot check the key's flags");
		goto out;
	}
	if (n == 0) {
		chk_result_set(&key->res, CHK_FAIL, "no private key on token '%s' matches '%s': "
		    "run 'certrotate renew' first (it generates the key and the certificate "
		    "request)", p11_token_label(tok), src);
		chk_result_set(&prot->res, CHK_SKIP, "no key to check");
		goto out;
	}
	if (n > 1) {
		chk_result_set(&key->res, CHK_FAIL, "%zu private keys match '%s': name one "
		    "(object= and id=)", n, src);
		chk_result_set(&prot->res, CHK_SKIP, "key not identified");
		goto out;
	}
	r = p11_key_test_sign(keys[0], c->in->new->x509, &err);
	if (r == CR_OK) {
		char *id = keys[0]->id ? cr_hex_upper(keys[0]->id, keys[0]->id_len) : NULL;
		chk_result_set(&key->res, CHK_PASS, "key '%s' (CKA_ID %s) on token '%s' matches "
		    "the new certificate and a test signature verifies",
		    keys[0]->label ? keys[0]->label : "", id ? id : "none", p11_token_label(tok));
		free(id);
	} else {
		chk_result_set(&key->res, CHK_FAIL, "%s", err.msg);
		if (r != CR_EBLOCK)
			key->status = r;
	}
	if (keys[0]->sensitive == 1 && keys[0]->extractable == 0)
		chk_result_set(&prot->res, CHK_PASS, "the key is sensitive and not extractable");
	else
		chk_result_set(&prot->res, CHK_WARN, "the key on token '%s' is %s%s%s: it can leave "
		    "the token", p11_token_label(tok),
		    keys[0]->extractable != 0 ? "EXTRACTABLE" : "",
		    keys[0]->extractable != 0 && keys[0]->sensitive != 1 ? " and " : "",
		    keys[0]->sensitive != 1 ? "NOT SENSITIVE" : "");
out:
	free(keys);
}

/* new.key and new.key-protection of a key in a file. */
static void
eval_file_key(struct chk_ctx *c, struct chk_item *key, struct chk_item *prot)
{
	const char *path = c->cfg->rotation.key_src.path;
	unsigned char *buf = NULL;
	size_t len = 0;
	EVP_PKEY *pk = NULL;
	BIO *bio = NULL;
	struct cr_err err;
	int r;

	cr_err_clear(&err);
	if (cr_read_file(path, 1 << 20, &buf, &len, &err) != CR_OK) {
		chk_result_set(&key->res, CHK_FAIL, "%s", err.msg);
		key->status = CR_EINPUT;
		chk_result_set(&prot->res, CHK_SKIP, "no key to check");
		goto out;
	}
	bio = BIO_new_mem_buf(buf, (int)len);
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (pk == NULL) {
		const unsigned char *p = buf;
		ERR_clear_error();
		pk = d2i_AutoPrivateKey(NULL, &p, (long)len);
	}
	if (pk == NULL) {
		ERR_clear_error();
		chk_result_set(&key->res, CHK_FAIL, "cannot read '%s': not an unencrypted private "
		    "key (PEM or DER)", path);
		key->status = CR_EINPUT;
		chk_result_set(&prot->res, CHK_SKIP, "no key to check");
		goto out;
	}
	if (EVP_PKEY_eq(pk, X509_get0_pubkey(c->in->new->x509)) != 1) {
		ERR_clear_error();
		chk_result_set(&key->res, CHK_FAIL, "the key in '%s' is not the new certificate's: "
		    "their public keys differ", path);
	} else {
		char *name = cr_xasprintf("key '%s'", path);
		r = cr_sign_test(pk, X509_get0_pubkey(c->in->new->x509), name, &err);
		free(name);
		if (r == CR_OK)
			chk_result_set(&key->res, CHK_PASS, "the key in '%s' matches the new "
			    "certificate and a test signature verifies", path);
		else
			chk_result_set(&key->res, CHK_FAIL, "%s", err.msg);
	}
	chk_result_set(&prot->res, CHK_WARN, "the key is a plain file '%s': whoever can read it "
	    "can impersonate the services; prefer a token", path);
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	BIO_free(bio);
	EVP_PKEY_free(pk);
}

/*
 * new.key and new.key-protection: one evaluation makes both items (new.key
 * first), whichever is asked for; the one asked for is listed.
 */
void
chk_eval_new_key(struct chk_ctx *c, const struct chk_at *at)
{
	int fk, fp;
	size_t ik = chk_item_get(c, PLAN_CHK_NEW_KEY, at->phase, at->subject, at->subject, &fk);
	size_t ip = chk_item_get(c, PLAN_CHK_NEW_KEY_PROTECTION, at->phase, at->subject,
	    at->subject, &fp);

	if (fk) {
		c->key_login = 0;
		if (c->cfg->rotation.key_src.kind == PLAN_SRC_PKCS11)
			eval_token_key(c, ik, ip);
		else
			eval_file_key(c, chk_item_at(c, ik), chk_item_at(c, ip));
	}
	/* a key that could not be checked for want of a login: the login that
	   failed is what blocks the step */
	if (c->key_login != 0)
		chk_attach(c, at, c->key_login - 1);
	chk_attach(c, at, at->check == PLAN_CHK_NEW_KEY ? ik : ip);
}

/*
 * The token an import writes to (import_to), a retire removes from (old),
 * or a grant gives access to (the key's).
 */
void
chk_eval_token_login(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_rotation *rot = &c->cfg->rotation;
	size_t idx;

	if (at->s == NULL)
		return;
	if (at->s->type == PLAN_IMPORT && rot->import_to != NULL)
		idx = token_login(c, &rot->import_to_src, NULL);
	else if (at->s->type == PLAN_RETIRE && at->s->variant == PLAN_V_RETIRE_TOKEN &&
	    rot->old_src.kind == PLAN_SRC_PKCS11)
		idx = token_login(c, &rot->old_src, NULL);
	else if (at->s->type == PLAN_GRANT && rot->key_src.kind == PLAN_SRC_PKCS11)
		idx = token_login(c, &rot->key_src, NULL);
	else
		return;
	chk_attach(c, at, idx);
}

/* Is object o the certificate of SHA-256 sha256 (of its DER)?  Without parsing it. */
static int
object_is(const struct p11_cert_obj *o, const unsigned char *sha256)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	return o->der != NULL &&
	    EVP_Digest(o->der, o->der_len, md, &len, EVP_sha256(), NULL) == 1 && len == 32 &&
	    memcmp(md, sha256, 32) == 0;
}

/* Whether the one token src names holds a certificate with this SHA-256. */
static int
token_holds(struct chk_ctx *c, const struct plan_src *src, const unsigned char sha256[32],
    int *holds, char **label, struct cr_err *err)
{
	struct p11_token **toks = NULL;
	struct p11_cert_obj *objs;
	size_t n = 0, nobj = 0, i;
	int r;

	*label = NULL;
	*holds = 0;
	if (src->uri == NULL) {
		r = cr_err_set(err, CR_EINPUT, "'%s' is not a pkcs11: URI", src->text);
		goto out;
	}
	if ((r = p11_find_tokens(c->p11, src->uri, &toks, &n, err)) != CR_OK)
		goto out;
	if (n != 1) {
		r = cr_err_set(err, CR_EINPUT, "'%s' matches %zu tokens: name one (serial=)",
		    src->text, n);
		goto out;
	}
	*label = cr_xstrdup(p11_token_label(toks[0]));
	if ((r = p11_token_certs(toks[0], &objs, &nobj, err)) != CR_OK)
		goto out;
	for (i = 0; i < nobj && !*holds; i++)
		*holds = object_is(&objs[i], sha256);	/* parsed or not: the DER's digest */
out:
	free(toks);
	return r;
}

void
chk_token_presence(struct chk_ctx *c, size_t idx, const struct plan_src *src,
    const struct crt_cert *cert, int want, const char *yes, const char *no)
{
	struct chk_item *it;
	struct cr_err err;
	char *label = NULL;
	int holds = 0, r;

	cr_err_clear(&err);
	r = token_holds(c, src, cert->sha256, &holds, &label, &err);
	it = chk_item_at(c, idx);
	if (r != CR_OK) {
		chk_result_set(&it->res, CHK_FAIL, "%s", err.msg);
		it->status = r;
	} else {
		chk_result_set(&it->res, holds == want ? CHK_PASS : CHK_FAIL, holds ? yes : no, label);
	}
	free(label);
}

/*
 * import.present: the import_to token holds the new certificate (read from
 * the token now, not from what the plan saw).  A host's store cannot be
 * seen from here: skip, saying where to look.
 */
void
chk_eval_import_present(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_rotation *rot = &c->cfg->rotation;
	int fresh;
	size_t idx = chk_fresh_item(c, at, &fresh);

	if (!fresh)
		return;
	if (at->s->variant != PLAN_V_IMPORT_TOKEN || rot->import_to == NULL) {
		chk_result_set(&chk_item_at(c, idx)->res, CHK_SKIP, "the certificate store of "
		    "host '%s' cannot be seen from here: verify there that the new certificate "
		    "and its chain are installed", at->s->host);
		return;
	}
	chk_token_presence(c, idx, &rot->import_to_src, c->in->new, 1,
	    "token '%s' holds the new certificate", "the new certificate is not on token '%s'");
}

/*
 * rollback.import: after the import is undone, the import_to token holds the
 * new certificate no more (read from the token now).  Listed for the token's
 * import only (a host's: rollback.unseen).
 */
void
chk_eval_rb_import(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_rotation *rot = &c->cfg->rotation;
	int fresh;
	size_t idx = chk_fresh_item(c, at, &fresh);

	if (!fresh)
		return;
	if (rot->import_to == NULL) {
		chk_result_set(&chk_item_at(c, idx)->res, CHK_SKIP, "no import_to token");
		return;
	}
	chk_token_presence(c, idx, &rot->import_to_src, c->in->new, 0,
	    "the new certificate is still on token '%s' after the rollback",
	    "the new certificate is no longer on token '%s'");
}

/* The CKA_LABEL the import gives the new certificate (act_token.c's rule):
   rotation.label, else the subject's CN; NULL when neither. */
static const char *
import_label(const struct plan_config *cfg, X509 *x, char *buf, size_t len)
{
	if (cfg->rotation.label != NULL)
		return cfg->rotation.label;
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, (int)len) < 0)
		return NULL;
	return buf;
}

/* "'CN=..' (sha1:HEX, CKA_ID HEX)" of a certificate object.  New string. */
static char *
object_brief(const struct p11_cert_obj *o)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	X509 *x = p11_cert_x509(o);	/* parsed now if it was read lazily */
	char *subj = x != NULL ? crt_dn_render(X509_get_subject_name(x)) :
	    cr_xstrdup("(a value that does not parse)"), *hex, *id, *s;

	EVP_Digest(o->der, o->der_len, md, &len, EVP_sha1(), NULL);
	hex = cr_hex_upper(md, len);
	id = o->id_len > 0 ? cr_hex_upper(o->id, o->id_len) : cr_xstrdup("none");
	s = cr_xasprintf("'%s' (sha1:%s, CKA_ID %s)", subj, hex, id);
	free(subj);
	free(hex);
	free(id);
	return s;
}

/*
 * import.label: the CKA_LABEL the new certificate gets on import_to is not
 * already another certificate's there - a service that names its
 * certificate (or a Java keystore alias) by label would then find two, and
 * may load the new certificate with its own key.  The old certificate's
 * label is a warning: two certificates answer to it until the retire.
 */
void
chk_eval_import_label(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_rotation *rot = &c->cfg->rotation;
	X509 *nw = c->in->new->x509;
	struct chk_result *r = chk_fresh(c, at);
	struct p11_token **toks = NULL;
	struct p11_cert_obj *objs = NULL;
	struct cr_err err;
	const char *label, *tl;
	char cn[256], *who = NULL;
	size_t n = 0, nobj = 0, i;
	int is_old = 0, has_new = 0;

	if (r == NULL)
		return;
	cr_err_clear(&err);
	if (at->s->variant != PLAN_V_IMPORT_TOKEN || rot->import_to_src.uri == NULL) {
		chk_result_set(r, CHK_SKIP, "no token import");
		return;
	}
	if ((label = import_label(c->cfg, nw, cn, sizeof(cn))) == NULL) {
		chk_result_set(r, CHK_PASS, "the new certificate gets no label (its subject has no CN)");
		return;
	}
	if (p11_find_tokens(c->p11, rot->import_to_src.uri, &toks, &n, &err) != CR_OK ||
	    n != 1 || p11_token_certs(toks[0], &objs, &nobj, &err) != CR_OK) {
		/* token.login and import.present say what is wrong with the token */
		chk_result_set(r, CHK_SKIP, "the token '%s' could not be read%s%s",
		    rot->import_to, err.msg[0] ? ": " : "", err.msg);
		goto out;
	}
	tl = p11_token_label(toks[0]);
	for (i = 0; i < nobj; i++) {
		if (object_is(&objs[i], c->in->new->sha256))
			has_new = 1;
		else if (who == NULL && objs[i].label != NULL && strcmp(objs[i].label, label) == 0) {
			who = object_brief(&objs[i]);
			is_old = c->in->old != NULL && object_is(&objs[i], c->in->old->sha256);
		}
	}
	if (has_new)
		chk_result_set(r, CHK_PASS, "token '%s' holds the new certificate already", tl);
	else if (who == NULL)
		chk_result_set(r, CHK_PASS, "no certificate on token '%s' is labelled '%s'", tl, label);
	else if (is_old)
		chk_result_set(r, CHK_WARN, "the new certificate is to be labelled '%s', as the old "
		    "certificate %s on token '%s' is: until the old one is retired, a service that "
		    "names its certificate by label finds two", label, who, tl);
	else
		chk_result_set(r, CHK_FAIL, "the new certificate is to be labelled '%s', but "
		    "certificate %s on token '%s' already is: a service that names its certificate "
		    "by label would find two, and could pair the new one with its own key; set "
		    "rotation.label to a label no object on the token has", label, who, tl);
out:
	free(who);
	free(toks);
}
