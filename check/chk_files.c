/*
 * chk_files.c - the files and accounts family: whether a service account
 * can read what it needs to use the new key (access), what a file ref's
 * file holds (file.layout) and, after its rebind, that it holds the new
 * certificate in the same layout (file.content).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "internal.h"
#include "../cert/layout.h"
#include "../common/util.h"
#include "../cert/dn.h"

/* ---- access ------------------------------------------------------------------ */

/*
 * The file a service account must read to use the new key: the key file or
 * the key token's PIN source (the URI's pin-source, else the first matching
 * `tokens` entry's: found at load time), or NULL.  New string.
 */
static char *
key_secret_path(const struct chk_ctx *c, const char **what)
{
	const struct plan_src *ks = &c->cfg->rotation.key_src;
	const char *path;

	if (ks->kind == PLAN_SRC_PKCS11) {
		*what = "the PIN source";
		path = ks->pin_source;
	} else {
		*what = "the key file";
		path = ks->path;
	}
	return path != NULL ? cr_xstrdup(path) : NULL;
}

void
chk_eval_access(struct chk_ctx *c, const struct chk_at *at)
{
	struct chk_result *r = chk_fresh(c, at);

	if (r == NULL)
		return;
	if (c->secret_what == NULL)
		c->secret = key_secret_path(c, &c->secret_what);
	chk_access(&c->access, at->s->host, at->s->account, c->secret, c->secret_what, r);
}

/* ---- file layouts ------------------------------------------------------------- */

/* The shape `path` had when first seen (file.layout, before a change), or NONE. */
static enum crt_shape
shape_before(const struct chk_ctx *c, const char *path)
{
	size_t v;

	return plan_map_get(&c->layouts, path, &v) ? (enum crt_shape)v : CRT_SHAPE_NONE;
}

static void
shape_remember(struct chk_ctx *c, const char *path, enum crt_shape shape)
{
	size_t dummy;
	char *key;

	if (shape == CRT_SHAPE_NONE || plan_map_get(&c->layouts, path, &dummy))
		return;
	key = cr_xstrdup(path);
	c->layout_paths = cr_xrealloc(c->layout_paths, (c->nlayouts + 1) * sizeof(char *));
	c->layout_paths[c->nlayouts++] = key;
	plan_map_put(&c->layouts, key, (size_t)shape, NULL);
}

/* "'CN=..' (sha1:HEX)" of a certificate read from a file. */
static char *
x509_brief(X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char *subj = crt_dn_render(X509_get_subject_name(x)), *hex, *s;

	X509_digest(x, EVP_sha1(), md, &len);
	hex = cr_hex_upper(md, len);
	s = cr_xasprintf("'%s' (sha1:%s)", subj, hex);
	free(subj);
	free(hex);
	return s;
}

/* "; a symbolic link to '..': ..." - how the file is reached and will be written. */
static char *
link_note(const struct plan_file *f)
{
	if (f == NULL || f->pv_error != NULL || !f->pv.link)
		return cr_xstrdup("");
	return cr_xasprintf("; a symbolic link to '%s': the new material goes into a new file '%s' "
	    "beside it and the link is repointed", f->pv.link_text, f->pv.link_new);
}

/*
 * Whether rotation.old is a file source naming the directory entry at path
 * itself (lstat: a symlink is the link, not its target) - the file the
 * rebind rewrites.
 */
static int
old_is(const struct chk_ctx *c, const char *path)
{
	const struct plan_src *o = &c->cfg->rotation.old_src;
	struct stat a, b;

	return o->kind == PLAN_SRC_FILE && o->path != NULL && lstat(o->path, &a) == 0 &&
	    lstat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Why the file's layout cannot take the new material, or NULL. */
static char *
layout_problem(const struct chk_ctx *c, const char *path, const struct crt_layout *l,
    const struct plan_file *f)
{
	const struct plan_rotation *rot = &c->cfg->rotation;
	char *why = NULL, *s;

	if (l->ncerts == 0)
		return cr_xasprintf("'%s' holds no certificate", path);
	if (!crt_layout_ordered(l, &why)) {
		s = cr_xasprintf("'%s' is out of order (%s): %s: the leaf must come first, each "
		    "certificate followed by its issuer", path, crt_layout_order(l), why);
		free(why);
		return s;
	}
	if (l->key != NULL && EVP_PKEY_eq(l->key, X509_get0_pubkey(sk_X509_value(l->certs, 0))) != 1)
		return cr_xasprintf("the key in '%s' does not pair with its certificate: the service "
		    "cannot be using this file as it is", path);
	if (l->nkeys > 0 && !rot->key_is_file)
		return cr_xasprintf("'%s' holds %s (%s): the service reads its private key from this "
		    "file, but the new key is on a token ('%s'): the service cannot read it from there, "
		    "and a token key is never copied into a file - give the service the key through "
		    "its PKCS#11 support, or make rotation.key a key file", path,
		    crt_shape_name(crt_layout_shape(l)), crt_layout_order(l), rot->key);
	if (f != NULL && f->pv_error != NULL)
		return cr_xasprintf("'%s' cannot be written: %s", path, f->pv_error);
	if (f != NULL && old_is(c, f->path))
		return cr_xasprintf("'%s' is rotation.old ('%s') as well: the rebind puts the new "
		    "certificate there, and then no later check, run --resume or rollback can read the "
		    "old one from it - name a copy of the old certificate as rotation.old (certbot "
		    "keeps one: archive/NAME/fullchainN.pem)", path, rot->old);
	return NULL;
}

/*
 * file.layout: what the file at a file ref's path holds, in what order
 * (leaf first, each certificate issued by the next), and whether the new
 * material can be written in that layout (a key in it needs the new key in
 * a file; a symlink is followed the certbot way).  The shape seen is
 * remembered: it is what the file must have again after its rebind.
 */
void
chk_eval_file_layout(struct chk_ctx *c, const struct chk_at *at)
{
	const char *path = at->ref != NULL ? at->ref->ref->file_path : NULL;
	const struct plan_file *f = plan_inputs_file(c->in, path);
	struct chk_result *r;
	struct crt_layout l;
	struct cr_err err;
	char *problem = NULL, *ln;

	if (path == NULL || (r = chk_file_item(c, at, path, at->ref->ref->file_path_text, NULL)) == NULL)
		return;
	path = at->ref->ref->file_path_text;
	cr_err_clear(&err);
	if (crt_layout_read(at->ref->ref->file_path, &l, &err) != CR_OK)
		problem = cr_xstrdup(err.msg);
	else
		problem = layout_problem(c, path, &l, f);
	ln = link_note(f);
	if (problem != NULL)
		chk_result_set(r, CHK_FAIL, "%s", problem);
	else
		chk_result_set(r, CHK_PASS, "'%s' holds %s (%s; %d certificate%s%s), in order: the new "
		    "material will be written the same way%s", path,
		    crt_shape_name(crt_layout_shape(&l)), crt_layout_order(&l), l.ncerts,
		    l.ncerts == 1 ? "" : "s", l.der ? ", DER" : "", ln);
	if (l.ncerts > 0)
		shape_remember(c, at->ref->ref->file_path, crt_layout_shape(&l));
	free(problem);
	free(ln);
	crt_layout_release(&l);
}

/*
 * Which certificate a file must hold: after its rebind the new one, after
 * the rebind's rollback the old one; `when` is said where it helps (" after
 * the rollback").
 */
struct file_want {
	const struct crt_cert *want, *other;
	const char *want_name, *other_name;	/* "new", "OLD" */
	const char *when;
};

/*
 * What is wrong with the file at path (a new string), or NULL: its leaf is
 * w->want, its chain in order, a key in it pairs with that certificate.
 */
static char *
holds_problem(const char *path, const struct crt_layout *l, const struct file_want *w)
{
	X509 *leaf = l->ncerts > 0 ? sk_X509_value(l->certs, 0) : NULL;
	char *why = NULL, *s, *b;

	if (leaf == NULL)
		return cr_xasprintf("'%s' holds no certificate%s", path, w->when);
	if (X509_cmp(leaf, w->other->x509) == 0)
		return cr_xasprintf("'%s' still holds the %s certificate%s", path, w->other_name,
		    w->when);
	if (X509_cmp(leaf, w->want->x509) != 0) {
		b = x509_brief(leaf);
		s = cr_xasprintf("'%s' holds %s, not the %s certificate", path, b, w->want_name);
		free(b);
		return s;
	}
	if (!crt_layout_ordered(l, &why)) {
		s = cr_xasprintf("'%s' is out of order%s: %s", path, w->when, why);
		free(why);
		return s;
	}
	if (l->key != NULL && EVP_PKEY_eq(l->key, X509_get0_pubkey(w->want->x509)) != 1)
		return cr_xasprintf("the key in '%s' is not the %s certificate's", path, w->want_name);
	return NULL;
}

/*
 * What is wrong with `l` as the new material read back from `path`, or NULL:
 * the leaf is the new certificate, the order holds, a key in it pairs with
 * the new certificate, and the shape is the one seen before the change.
 */
static char *
content_problem(struct chk_ctx *c, const char *path, const struct crt_layout *l)
{
	const struct file_want w = { c->in->new, c->in->old, "new", "OLD", "" };
	enum crt_shape before = shape_before(c, path), now = crt_layout_shape(l);
	char *s = holds_problem(path, l, &w);

	if (s == NULL && before != CRT_SHAPE_NONE && before != now)
		s = cr_xasprintf("'%s' holds %s, but it held %s before the change", path,
		    crt_shape_name(now), crt_shape_name(before));
	return s;
}

/* A separate key_path must hold the key of the new certificate. */
static char *
key_path_problem(struct chk_ctx *c, const char *key_path)
{
	struct crt_layout k;
	struct cr_err err;
	char *s = NULL;

	cr_err_clear(&err);
	if (crt_layout_read(key_path, &k, &err) != CR_OK)
		s = cr_xstrdup(err.msg);
	else if (k.nkeys == 0)
		s = cr_xasprintf("'%s' holds no private key", key_path);
	else if (k.key != NULL && EVP_PKEY_eq(k.key, X509_get0_pubkey(c->in->new->x509)) != 1)
		s = cr_xasprintf("the key in '%s' is not the new certificate's", key_path);
	crt_layout_release(&k);
	return s;
}

/*
 * file.content, after a file ref's rebind: the file at its path holds the
 * new certificate first, its chain in order, a key (when there is one)
 * that pairs with it - in the layout the file had before - and a separate
 * key_path holds the new key.
 */
void
chk_eval_file_content(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_ref *ref = at->ref != NULL ? at->ref->ref : NULL;
	struct chk_result *r;
	struct crt_layout l;
	struct cr_err err;
	char *problem = NULL;

	if (ref == NULL || ref->file_path == NULL ||
	    (r = chk_file_item(c, at, ref->file_path, ref->file_path_text, ref->key_path)) == NULL)
		return;
	cr_err_clear(&err);
	if (crt_layout_read(ref->file_path, &l, &err) != CR_OK)
		problem = cr_xstrdup(err.msg);
	else
		problem = content_problem(c, ref->file_path, &l);
	if (problem == NULL && ref->key_path != NULL && strcmp(ref->key_path, ref->file_path) != 0)
		problem = key_path_problem(c, ref->key_path);
	if (problem != NULL)
		chk_result_set(r, CHK_FAIL, "%s", problem);
	else
		chk_result_set(r, CHK_PASS, "'%s' holds the new certificate: %s (%d certificate%s)%s%s",
		    ref->file_path, crt_shape_name(crt_layout_shape(&l)), l.ncerts,
		    l.ncerts == 1 ? "" : "s", ref->key_path != NULL ? ", the new key in " : "",
		    ref->key_path != NULL ? ref->key_path : "");
	free(problem);
	crt_layout_release(&l);
}

/*
 * rollback.file, after a file ref's rebind is undone: the file at its path
 * holds the old certificate first again, its chain in order, a key (when
 * there is one) that pairs with it; a separate key_path that holds a key
 * holds the old one.
 */
void
chk_eval_rb_file(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_ref *ref = at->ref != NULL ? at->ref->ref : NULL;
	struct chk_result *r;
	struct crt_layout l, k;
	struct cr_err err;
	char *problem = NULL;

	if (ref == NULL || ref->file_path == NULL ||
	    (r = chk_file_item(c, at, ref->file_path, ref->file_path_text, ref->key_path)) == NULL)
		return;
	cr_err_clear(&err);
	if (crt_layout_read(ref->file_path, &l, &err) != CR_OK)
		problem = cr_xstrdup(err.msg);
	else
		problem = holds_problem(ref->file_path, &l, &(const struct file_want){
		    c->in->old, c->in->new, "old", "NEW", " after the rollback" });
	if (problem == NULL && ref->key_path != NULL && strcmp(ref->key_path, ref->file_path) != 0 &&
	    crt_layout_read(ref->key_path, &k, &err) == CR_OK) {
		if (k.key != NULL && EVP_PKEY_eq(k.key, X509_get0_pubkey(c->in->old->x509)) != 1)
			problem = cr_xasprintf("the key in '%s' is not the old certificate's after "
			    "the rollback", ref->key_path);
		crt_layout_release(&k);
	}
	if (problem != NULL)
		chk_result_set(r, CHK_FAIL, "%s", problem);
	else
		chk_result_set(r, CHK_PASS, "'%s' holds the old certificate again: %s (%d "
		    "certificate%s)", ref->file_path, crt_shape_name(crt_layout_shape(&l)), l.ncerts,
		    l.ncerts == 1 ? "" : "s");
	free(problem);
	crt_layout_release(&l);
}

void
chk_files_release(struct chk_ctx *c)
{
	size_t i;

	chk_access_cache_release(&c->access);
	free(c->secret);
	for (i = 0; i < c->nlayouts; i++)
		free(c->layout_paths[i]);
	free(c->layout_paths);
	plan_map_release(&c->layouts);
}
