/*
 * renew.c - `certrotate renew`, in the order renew.h gives: everything that
 * can refuse runs before the token is written to, and a failure after the
 * key pair exists removes it again.
 */
#include "renew.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "../cert/cert.h"
#include "../cert/csr.h"
#include "../plan/config.h"
#include "../plan/plan.h"
#include "../plan/renew.h"
#include "../pkcs11/p11.h"

#define CHOSEN_ID_LEN 8

/* Appends to err's message (messages say the problem first). */
static void
suffix(struct cr_err *err, const char *fmt, const char *arg)
{
	size_t n = strlen(err->msg);

	if (n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, fmt, arg);
}

struct renew {
	const struct rot_renew_opts *o;
	struct plan_config *cfg;
	struct p11_ctx *p11;
	struct crt_cert *old;
	const struct plan_keytype *asked;
	struct plan_renew *pr;
	X509_NAME *subject;
	const struct p11_uri *uri;	/* rotation.key, parsed at load (borrowed) */
	struct p11_token *tok;
	unsigned char id[CHOSEN_ID_LEN];
	const unsigned char *idp;	/* the URI's CKA_ID, or id */
	size_t id_len;
	char *label;
	int id_chosen, label_chosen;
	char *key_uri;
	struct p11_newkey *nk;
	char *pem;
	size_t pemlen;
};

/* ---- 1. what the request holds ------------------------------------------------ */

static int
prepare(struct renew *rn, struct cr_err *err)
{
	const struct plan_rotation *rot;
	struct crt_load_opts lo;
	int r;

	if ((r = plan_config_load(rn->o->cfgpath, &rn->cfg, err)) != CR_OK)
		return r;
	rot = &rn->cfg->rotation;
	if (rot->key_is_file)
		return plan_config_error(err, rot->key_loc, "rotation.key", "'%s' is a file: renew "
		    "generates the key on a token (pkcs11:token=...;object=...;type=private)",
		    rot->key);
	if ((r = p11_ctx_new(&rn->p11, err)) != CR_OK)
		return r;
	/* before anything logs in: libp11 fixes a slot's session mode with its
	   first session, and switching later would need a second C_Login */
	p11_ctx_set_read_write(rn->p11, rot_read_write(rn->o->cmd));
	p11_ctx_set_force_login(rn->p11, rn->o->force_login);
	if ((r = plan_config_tokens(rn->cfg, rn->p11, err)) != CR_OK)
		return r;
	memset(&lo, 0, sizeof(lo));
	lo.p11 = rn->p11;
	lo.base_dir = rn->cfg->dir;
	/* reading certificate objects needs no login */
	if ((r = crt_load_one(rot->old, &lo, &rn->old, err)) != CR_OK) {
		if (rot->old_loc.line > 0)
			cr_err_prefix(err, "%s:%d: rotation.old", rot->old_loc.file, rot->old_loc.line);
		return r;
	}
	if (rn->o->key_type != NULL &&
	    (r = plan_keytype_parse(rn->o->key_type, &rn->asked, err)) != CR_OK)
		return r;
	if ((r = plan_renew_prepare(rn->cfg, rn->old->x509, rn->asked, &rn->pr, err)) != CR_OK) {
		if (r == CR_EBLOCK)
			suffix(err, "%s", ": no key was generated, nothing was changed");
		return r;
	}
	if (rot->subject != NULL)
		return crt_name_from_text(rot->subject, &rn->subject, err);
	rn->subject = X509_NAME_dup(X509_get_subject_name(rn->old->x509));
	return CR_OK;
}

/* ---- 2. where the request goes ----------------------------------------------------- */

static int
check_output(const char *path, struct cr_err *err)
{
	struct stat st;
	char *dir;
	int r = CR_OK;

	if (path == NULL)
		return CR_OK;
	if (lstat(path, &st) == 0)
		return cr_err_setr(err, CR_EINPUT, CR_R_OBJECT_EXISTS, "'%s' exists: renew never "
		    "replaces a request (move it away or give another -o); nothing was changed",
		    path);
	if (errno != ENOENT)
		return cr_err_setr(err, CR_EINPUT, CR_R_IO, "cannot write '%s': %s", path,
		    strerror(errno));
	dir = cr_path_dirname(path);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		r = cr_err_setr(err, CR_EINPUT, CR_R_NOT_FOUND, "cannot write '%s': '%s' is not a "
		    "directory; nothing was changed", path, dir);
	free(dir);
	return r;
}

/* ---- 3. the key's token, id and label -------------------------------------------- */

/* rotation.key with the chosen object= and id= added to its path (before
 * any query), so that it names the new key alone. */
static char *
key_uri(const struct renew *rn)
{
	const char *text = rn->cfg->rotation.key, *q = strchr(text, '?');
	size_t plen = q != NULL ? (size_t)(q - text) : strlen(text);
	struct cr_buf b = CR_BUF_INIT;

	cr_buf_add(&b, text, plen);
	if (rn->label_chosen) {
		cr_buf_adds(&b, plen > strlen("pkcs11:") ? ";object=" : "object=");
		p11_uri_encode(&b, rn->label, strlen(rn->label), 0);
	}
	if (rn->id_chosen) {
		cr_buf_adds(&b, ";id=");
		p11_uri_encode(&b, rn->idp, rn->id_len, 1);
	}
	if (q != NULL)
		cr_buf_adds(&b, q);
	return cr_buf_detach(&b);
}

static int
key_target(struct renew *rn, struct cr_err *err)
{
	const struct plan_rotation *rot = &rn->cfg->rotation;
	struct p11_token **toks = NULL;
	size_t n = 0, len = 0;
	const unsigned char *id;
	int r;

	/* a pkcs11: URI (prepare refused a file) that names no other type
	   than a private key (the loader refused type=cert) */
	rn->uri = rot->key_src.uri;
	if ((r = p11_find_tokens(rn->p11, rn->uri, &toks, &n, err)) != CR_OK)
		return r;
	rn->tok = toks[0];
	free(toks);
	if (n > 1)
		return cr_err_setr(err, CR_EINPUT, CR_R_CONFIG, "rotation.key '%s' matches %zu "
		    "tokens: name one (token=, serial=)", rot->key, n);
	if ((id = p11_uri_id(rn->uri, &len)) != NULL && len > 0) {
		rn->idp = id;
		rn->id_len = len;
	} else {
		/* random: no two renews of one token meet, and the search below
		   refuses the one-in-2^64 that would */
		if (RAND_bytes(rn->id, sizeof(rn->id)) != 1)
			return cr_err_setr(err, CR_EENV, CR_R_NONE, "cannot draw a random CKA_ID");
		rn->idp = rn->id;
		rn->id_len = sizeof(rn->id);
		rn->id_chosen = 1;
	}
	if (p11_uri_object(rn->uri) != NULL && p11_uri_object(rn->uri)[0] != '\0') {
		rn->label = cr_xstrdup(p11_uri_object(rn->uri));
	} else {
		rn->label = cr_xstrdup(rot->name);
		rn->label_chosen = 1;
	}
	rn->key_uri = key_uri(rn);
	return CR_OK;
}

/* ---- 4, 5. the key, the request --------------------------------------------------- */

static int
generate(struct renew *rn, struct cr_err *err)
{
	struct p11_keygen kg;
	int r;

	/* one login, read-write; a refused PIN is never presented again */
	if ((r = p11_token_login(rn->tok, p11_uri_pin_source(rn->uri), 1, err)) != CR_OK)
		return r;
	memset(&kg, 0, sizeof(kg));
	kg.alg = rn->pr->key->alg == PLAN_KEY_RSA ? P11_KEYGEN_RSA : P11_KEYGEN_EC;
	kg.bits = (unsigned long)rn->pr->key->bits;
	kg.curve_nid = rn->pr->key->curve_nid;
	kg.id = rn->idp;
	kg.id_len = rn->id_len;
	kg.label = rn->label;
	return p11_token_generate_key(rn->tok, &kg, &rn->nk, err);
}

/* The request's signer (cert/csr.h): the new key, signing on the token. */
static int
sign_on_token(void *arg, const EVP_MD *md, const unsigned char *tbs, size_t len,
    unsigned char **sig, size_t *siglen, struct cr_err *err)
{
	return p11_key_sign(arg, md, tbs, len, sig, siglen, err);
}

static int
request(struct renew *rn, struct cr_err *err)
{
	struct crt_signer signer = { sign_on_token, rn->nk->key };
	struct crt_csr_spec spec;
	X509_REQ *req = NULL;
	int r;

	memset(&spec, 0, sizeof(spec));
	spec.subject = rn->subject;
	spec.dns = rn->pr->dns;
	spec.ndns = rn->pr->ndns;
	spec.ips = rn->pr->ips;
	spec.nips = rn->pr->nips;
	spec.md = EVP_get_digestbynid(rn->pr->sig.md_nid);
	if (spec.md == NULL)
		r = cr_err_setr(err, CR_EENV, CR_R_NONE, "no digest for %s", rn->pr->sig_name);
	else if ((r = crt_csr_make(&spec, rn->nk->pub, &signer, &req, err)) == CR_OK &&
	    (rn->pem = crt_csr_pem(req, &rn->pemlen)) == NULL)
		r = cr_err_setr(err, CR_EENV, CR_R_NONE, "cannot write the request as PEM");
	if (r == CR_OK && rn->o->out != NULL)
		r = cr_fs_create_private(rn->o->out, rn->pem, rn->pemlen, err);
	X509_REQ_free(req);
	return r;
}

/* A renew that could not finish takes its key pair back off the token. */
static void
undo(struct renew *rn, struct cr_err *err)
{
	struct cr_err e;
	char *hex = cr_hex_upper(rn->idp, rn->id_len);

	cr_err_clear(&e);
	if (p11_newkey_discard(rn->nk, &e) == CR_OK) {
		suffix(err, "%s", "; the new key pair was removed again, nothing was changed");
	} else {
		char *m = cr_xasprintf("; the new key pair '%s' (CKA_ID %s) could not be removed "
		    "from token '%s' (%s): remove it before running renew again", rn->label, hex,
		    p11_token_label(rn->tok), e.msg);

		suffix(err, "%s", m);
		free(m);
	}
	free(hex);
}

static void
renew_release(struct renew *rn)
{
	free(rn->pem);
	p11_newkey_free(rn->nk);
	free(rn->key_uri);
	free(rn->label);
	X509_NAME_free(rn->subject);
	plan_renew_free(rn->pr);
	crt_cert_free(rn->old);
	p11_ctx_free(rn->p11);
	plan_config_free(rn->cfg);
}

static void
report(const struct renew *rn)
{
	struct rot_renew_result res;

	memset(&res, 0, sizeof(res));
	res.cfg = rn->cfg;
	res.old = rn->old;
	res.pr = rn->pr;
	res.subject = rn->subject;
	res.subject_from_config = rn->cfg->rotation.subject != NULL;
	res.token = p11_token_label(rn->tok);
	res.key_uri = rn->key_uri;
	res.label = rn->label;
	res.id = rn->idp;
	res.id_len = rn->id_len;
	res.label_chosen = rn->label_chosen;
	res.id_chosen = rn->id_chosen;
	res.nk = rn->nk;
	res.pem = rn->pem;
	res.out = rn->o->out;
	if (rn->o->fmt == ROT_FMT_JSON)
		rot_renew_print_json(&res, stdout);
	else
		rot_renew_print_text(&res, stdout);
}

int
rot_renew(const struct rot_renew_opts *o)
{
	struct renew rn;
	struct cr_err err;
	int r;

	memset(&rn, 0, sizeof(rn));
	rn.o = o;
	cr_err_clear(&err);
	/* a reader gone (renew | head) is a failed write to undo, not a kill */
	if (o->out == NULL)
		signal(SIGPIPE, SIG_IGN);
	r = prepare(&rn, &err);
	for (size_t i = 0; rn.cfg != NULL && i < rn.cfg->nwarnings; i++)
		rot_warn("warning: %s", rn.cfg->warnings[i].msg);
	if (r != CR_OK || (r = check_output(o->out, &err)) != CR_OK ||
	    (r = key_target(&rn, &err)) != CR_OK || (r = generate(&rn, &err)) != CR_OK)
		goto fail;
	if ((r = request(&rn, &err)) != CR_OK) {
		undo(&rn, &err);
		goto fail;
	}
	report(&rn);
	/* without -o the request is on stdout: a request that did not get out
	   takes its key back too */
	if (o->out == NULL && (fflush(stdout) != 0 || ferror(stdout))) {
		r = cr_err_setr(&err, CR_EENV, CR_R_IO, "cannot write the request to stdout: %s",
		    strerror(errno ? errno : EIO));
		undo(&rn, &err);
		goto fail;
	}
	renew_release(&rn);
	return rot_finish_output(CR_OK);
fail:
	r = rot_report(&err);
	renew_release(&rn);
	return r;
}
