/*
 * act_file.c - the native rebind of a `file` ref (SPEC 7.2): the new
 * material written in each file's own layout, and put back on rollback.
 *
 * What to write where is the plan's (plan/files.c): a rebind-file step
 * writes every file of its `writes` - the file its refs share, and each
 * `key_path` - in the shape the file has (cert/layout.h: leaf, leaf + chain,
 * leaf + key, leaf + chain + key, key; PEM or one DER certificate; a key
 * before or after the certificates), composed by crt_layout_compose: the
 * new leaf, its chain in order (act_chain: its issuer first, the anchor
 * left out), the new private key where the file holds one - only when
 * rotation.key is a file (SPEC 7.2: a key on a token never leaves it; such
 * a file is refused, nothing written).
 *
 * Writes go through cr_fs_install: temp file, fsync, rename, owner and
 * mode kept (a file holding a key: never wider than 0600 unless it was);
 * a symlinked path (certbot's live/) gets a new file beside its target and
 * the link repointed; a symlink planted where a regular file was is never
 * followed.
 *
 * Before anything is written, what rollback needs is archived under
 * ARCHIVE/STEP/ (0700): the previous content as "cert-NAME" / "key-NAME"
 * (0600), or for a symlink the link's previous text as "cert-NAME.link".
 * A file that already holds the new material (a redo) is neither archived
 * nor written again, so a redone step never archives its own new content.
 * Any other content is what this rotation found there: it replaces a copy
 * already in the archive, which is then the same content (an attempt
 * stopped before its write) or another rotation's (an archive_dir shared
 * with last year's rotation, whose copies hold what preceded *that* one:
 * putting them back would install a certificate two rotations old), and
 * the copy of the other form (NAME vs NAME.link) goes.
 * Rollback removes a copy once it has put it back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "act_int.h"
#include "../cert/layout.h"
#include "../common/fsutil.h"
#include "../common/util.h"

#define FILE_MAX (1 << 20)

/* A buffer that may hold a private key: wiped when freed. */
static void
wipe_free(void *p, size_t len)
{
	if (p != NULL)
		OPENSSL_cleanse(p, len);
	free(p);
}

static int
no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;	/* never prompt: an encrypted key is refused */
}

/* The new private key (rotation.key, a file).  *key: EVP_PKEY_free it. */
static int
new_key(const struct plan_config *cfg, EVP_PKEY **key, struct cr_err *err)
{
	unsigned char *buf = NULL;
	size_t n = 0;
	BIO *in = NULL;
	int r;

	*key = NULL;
	if (!cfg->rotation.key_is_file || cfg->rotation.key_src.path == NULL)
		return cr_err_setr(err, CR_EBLOCK, CR_R_CONFIG, "the new key '%s' is on a token: it "
		    "cannot be written into a file (SPEC 7.2)", cfg->rotation.key);
	if ((r = cr_fs_read_regular(cfg->rotation.key_src.path, NULL, 0, FILE_MAX, &buf, &n,
	    err)) != CR_OK)
		return r;
	in = BIO_new_mem_buf(buf, (int)n);
	*key = PEM_read_bio_PrivateKey(in, NULL, no_password, NULL);
	r = *key != NULL ? CR_OK : cr_err_ssl(err, CR_EINPUT, "cannot read the new key '%s' (an "
	    "encrypted key cannot be written into a service's file)", cfg->rotation.key);
	BIO_free(in);
	wipe_free(buf, n);
	return r;
}

/*
 * Archives what `path` is now into dir/NAME (its content) or dir/NAME.link
 * (a symlink's text), replacing what an earlier rotation left there (see
 * above); the copy of the other form is removed, so that rollback
 * (restore) finds this one.  Nothing at path: nothing to archive, and no
 * earlier copy stays to be put back.
 */
static int
archive(const char *path, const char *dir, const char *name, struct cr_err *err)
{
	unsigned char *buf = NULL;
	char link[4096], *copy = cr_xasprintf("%s/%s", dir, name);
	char *dlink = cr_xasprintf("%s/%s.link", dir, name);
	const char *stale = NULL;
	size_t n = 0;
	struct stat st;
	ssize_t ln;
	int r = CR_OK;

	if (lstat(path, &st) != 0) {
		if (errno != ENOENT)
			r = cr_err_setr(err, CR_EENV, CR_R_IO, "cannot read '%s': %s", path,
			    strerror(errno));
		else if ((unlink(copy) != 0 && errno != ENOENT) || (unlink(dlink) != 0 &&
		    errno != ENOENT))
			r = cr_err_setr(err, CR_EENV, CR_R_IO, "cannot remove an earlier copy in "
			    "'%s': %s", dir, strerror(errno));
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		if ((ln = readlink(path, link, sizeof(link) - 1)) < 0) {
			r = cr_err_setr(err, CR_EENV, CR_R_IO, "cannot read the link '%s': %s", path,
			    strerror(errno));
			goto out;
		}
		link[ln] = '\0';
		r = cr_fs_replace(dlink, link, (size_t)ln, CR_FS_PRIVATE, err);
		stale = copy;
	} else {
		if ((r = cr_fs_read_regular(path, NULL, 0, FILE_MAX, &buf, &n, err)) != CR_OK)
			goto out;
		r = cr_fs_replace(copy, buf, n, CR_FS_PRIVATE, err);
		stale = dlink;
	}
	if (r == CR_OK && unlink(stale) != 0 && errno != ENOENT)
		r = cr_err_setr(err, CR_EENV, CR_R_IO, "cannot remove the earlier copy '%s': %s",
		    stale, strerror(errno));
out:
	free(copy);
	free(dlink);
	wipe_free(buf, n);
	return r;
}

/* Where write w goes: the file the plan read, else its path resolved. New string. */
static char *
write_path(const struct act_ctx *a, const struct plan_write *w)
{
	return w->file != NULL ? cr_xstrdup(w->file->path) : cr_path_resolve(a->p->cfg->dir, w->text);
}

/* "cert-NAME" / "key-NAME" of write k of step s: unique among the step's writes. */
static char *
archive_name(const struct act_ctx *a, const struct plan_step *s, size_t k)
{
	struct cr_buf b = CR_BUF_INIT;
	char *path = write_path(a, &s->writes[k]);
	const char *base = strrchr(path, '/');
	size_t j;
	int dup = 0;

	base = base != NULL ? base + 1 : path;
	for (j = 0; j < k; j++) {
		char *other = write_path(a, &s->writes[j]);
		const char *ob = strrchr(other, '/');

		dup |= strcmp(ob != NULL ? ob + 1 : other, base) == 0;
		free(other);
	}
	cr_buf_addf(&b, "%s-%s", s->writes[k].shape == CRT_SHAPE_KEY ? "key" : "cert", base);
	if (dup)
		cr_buf_addf(&b, "-%zu", k + 1);
	free(path);
	return cr_buf_detach(&b);
}

/* Whether `path` holds the new material already (a redo): its leaf, or for a key file its key. */
static int
holds_new(const struct act_ctx *a, const char *path, enum crt_shape shape)
{
	X509 *nw = a->p->in->new->x509;
	struct crt_layout l;
	struct cr_err e;
	int leaf, yes = 0;

	if (crt_layout_read(path, &l, &e) == CR_OK) {
		if (shape == CRT_SHAPE_KEY)
			yes = l.key != NULL && EVP_PKEY_eq(l.key, X509_get0_pubkey(nw)) == 1;
		else if ((leaf = crt_layout_leaf(&l)) >= 0)
			yes = X509_cmp(sk_X509_value(l.certs, leaf), nw) == 0 &&
			    crt_layout_shape(&l) == shape;
	}
	crt_layout_release(&l);
	return yes;
}

/* The layout to write in: the file's own when it has that shape, else one of that shape. */
static void
layout_like(const struct plan_write *w, struct crt_layout *like)
{
	const struct plan_file *f = w->file;

	memset(like, 0, sizeof(*like));
	if (f != NULL && f->read && crt_layout_shape(&f->layout) == w->shape) {
		like->der = f->layout.der;
		like->key_first = f->layout.key_first;
	}
	like->ncerts = w->shape == CRT_SHAPE_KEY ? 0 : (w->shape == CRT_SHAPE_CHAIN ||
	    w->shape == CRT_SHAPE_CHAIN_KEY) ? 2 : 1;
	like->nkeys = crt_shape_has_key(w->shape);
}

/* Write k of step s: archived, then installed. */
static int
install_one(struct act_ctx *a, const struct plan_step *s, size_t k, const char *dir,
    EVP_PKEY *key, struct act_out *out, struct cr_err *err)
{
	const struct plan_write *w = &s->writes[k];
	const struct crt_cert *nw = a->p->in->new;
	STACK_OF(X509) *chain = NULL;
	struct cr_fs_install res;
	struct crt_layout like;
	unsigned char *data = NULL;
	char *path = write_path(a, w), *name = archive_name(a, s, k);
	size_t len = 0;
	int r;

	memset(&res, 0, sizeof(res));
	if (holds_new(a, path, w->shape)) {
		r = CR_OK;
		goto out;
	}
	layout_like(w, &like);
	if (w->shape == CRT_SHAPE_CHAIN || w->shape == CRT_SHAPE_CHAIN_KEY)
		chain = act_chain(a->p->in, nw);
	if ((r = crt_layout_compose(&like, nw->x509, chain, key, &data, &len, err)) != CR_OK) {
		/* the layout cannot take the new material: nothing written */
		r = cr_err_setr(err, CR_EBLOCK, err->reason, "'%s': %s", w->text, err->msg);
		goto out;
	}
	if ((r = archive(path, dir, name, err)) != CR_OK ||
	    (r = cr_fs_install(path, data, len, w->key || (w->file != NULL && w->file->key_mode) ?
	    CR_FS_KEY : CR_FS_KEEP, &res, err)) != CR_OK)
		goto out;
	act_out_put(out, k == 0 ? "file" : "key_file", res.written);
	if (res.link_old != NULL && k == 0)
		act_out_put(out, "link_old", res.link_old);
out:
	cr_fs_install_release(&res);
	sk_X509_pop_free(chain, X509_free);
	wipe_free(data, len);
	free(path);
	free(name);
	return r;
}

static int restore(const char *path, const char *dir, const char *name, int *did,
    struct cr_err *err);

/*
 * Writes 0..n-1 of step s put back from dir after write n failed: a step
 * writes all its files or none (a new certificate beside the old key is a
 * service that does not start).  err's message says what was put back, or
 * what could not be.
 */
static void
undo_writes(struct act_ctx *a, const struct plan_step *s, size_t n, const char *dir,
    struct cr_err *err)
{
	struct cr_buf b = CR_BUF_INIT;
	struct cr_err e;
	size_t k;
	int did;

	for (k = 0; k < n; k++) {
		char *path = write_path(a, &s->writes[k]), *name = archive_name(a, s, k);

		cr_err_clear(&e);
		did = 0;
		if (restore(path, dir, name, &did, &e) != CR_OK)
			cr_buf_addf(&b, "; '%s' is NOT as it was (%s)", s->writes[k].text, e.msg);
		else if (did)
			cr_buf_addf(&b, "; '%s' put back as it was", s->writes[k].text);
		free(path);
		free(name);
	}
	if (b.len > 0) {
		char *first = cr_xstrdup(err->msg);	/* not formatted into itself */

		cr_err_setr(err, err->status, err->reason, "%s%s", first, cr_buf_str(&b));
		free(first);
	}
	cr_buf_release(&b);
}

int
act_file_install(struct act_ctx *a, size_t step, struct act_out *out, struct cr_err *err)
{
	const struct plan_step *s = &a->p->steps[step];
	struct cr_buf what = CR_BUF_INIT;
	EVP_PKEY *key = NULL;
	char *dir;
	size_t k;
	int r = CR_OK, need_key = 0;

	if (s->nwrites == 0)
		return cr_err_set(err, CR_EBLOCK, "step '%s' writes no file", s->id);
	for (k = 0; k < s->nwrites; k++)
		need_key |= s->writes[k].key;
	if (need_key && (r = new_key(a->p->cfg, &key, err)) != CR_OK)
		return r;
	dir = act_archive_step_dir(a->p->cfg, s->id);
	/* archive_dir itself too: in a directory another user may write, the step's
	   directory could be swapped for theirs, and rollback would put back their files */
	if ((r = cr_fs_mkdir_private(a->p->cfg->rotation.archive_dir, err)) == CR_OK &&
	    (r = cr_fs_mkdir_private(dir, err)) == CR_OK) {
		for (k = 0; k < s->nwrites && r == CR_OK; k++) {
			r = install_one(a, s, k, dir, key, out, err);
			cr_buf_addf(&what, "%s'%s' (%s)", k ? " and " : "", s->writes[k].text,
			    s->writes[k].order);
		}
		if (r != CR_OK && k > 1)
			undo_writes(a, s, k - 1, dir, err);
	}
	if (r == CR_OK) {
		act_out_detail(out, "wrote the new material into %s, as laid out", cr_buf_str(&what));
		act_out_put(out, "archive", dir);
	}
	cr_buf_release(&what);
	EVP_PKEY_free(key);
	free(dir);
	return r;
}

/* Puts back what archive() kept of `path` under dir/NAME; *did 1 when something was. */
static int
restore(const char *path, const char *dir, const char *name, int *did, struct cr_err *err)
{
	char *link = cr_xasprintf("%s/%s.link", dir, name), *copy = cr_xasprintf("%s/%s", dir, name);
	unsigned char *buf = NULL;
	size_t n = 0;
	int r;

	*did = 0;
	r = cr_fs_read_regular(link, NULL, CR_FS_NOFOLLOW, 4096, &buf, &n, err);
	if (r == CR_OK) {
		*did = 1;
		if ((r = cr_fs_symlink_replace(path, (const char *)buf, err)) == CR_OK)
			(void)unlink(link);	/* put back: see below */
		goto out;
	}
	if (err->reason != CR_R_NOT_FOUND)
		goto out;
	r = cr_fs_read_regular(copy, NULL, CR_FS_NOFOLLOW, FILE_MAX, &buf, &n, err);
	if (r != CR_OK) {
		if (err->reason == CR_R_NOT_FOUND) {
			cr_err_clear(err);	/* nothing was archived: nothing was written */
			r = CR_OK;
		}
		goto out;
	}
	*did = 1;
	r = cr_fs_replace(path, buf, n, strstr((const char *)buf, "PRIVATE KEY") != NULL ?
	    CR_FS_KEY : CR_FS_KEEP, err);
	/*
	 * Put back, the copy goes: the file holds it now.  Kept, it would be taken
	 * for "the first attempt's" by a run after this rollback, which would then
	 * archive nothing - and its rollback put back this old copy over whatever
	 * the file held in between.
	 */
	if (r == CR_OK)
		(void)unlink(copy);
out:
	wipe_free(buf, n);
	free(link);
	free(copy);
	return r;
}

int
act_file_restore(struct act_ctx *a, size_t step, struct act_out *out, struct cr_err *err)
{
	const struct plan_step *s = &a->p->steps[step];
	struct cr_buf what = CR_BUF_INIT;
	char *dir = act_archive_step_dir(a->p->cfg, s->id);
	size_t k;
	int r = CR_OK, did;

	/* what is put back must be what install kept: from private directories only */
	if ((r = cr_fs_check_private(a->p->cfg->rotation.archive_dir, err)) != CR_OK ||
	    (r = cr_fs_check_private(dir, err)) != CR_OK) {
		if (err->reason != CR_R_NOT_FOUND)
			goto out;
		cr_err_clear(err);	/* nothing was archived: nothing was written */
		r = CR_OK;
		k = s->nwrites;
	} else {
		k = 0;
	}
	for (; k < s->nwrites && r == CR_OK; k++) {
		char *path = write_path(a, &s->writes[k]), *name = archive_name(a, s, k);

		r = restore(path, dir, name, &did, err);
		if (r == CR_OK && did)
			cr_buf_addf(&what, "%s'%s'", what.len ? " and " : "", s->writes[k].text);
		free(path);
		free(name);
	}
	if (r == CR_OK && what.len > 0)
		act_out_detail(out, "put back the previous %s from '%s'", cr_buf_str(&what), dir);
	else if (r == CR_OK)
		act_out_detail(out, "nothing to put back: nothing was archived in '%s' (nothing was "
		    "written)", dir);
out:
	cr_buf_release(&what);
	free(dir);
	return r;
}
