/*
 * act_file.c - the native rebind of a `file` ref (SPEC 7.2): the new
 * material written in the file's own layout, and put back on rollback.
 *
 * The layout is read from the file as it is (check/layout.h: leaf, leaf +
 * chain, leaf + key, leaf + chain + key; PEM or one DER certificate) and
 * the new material written the same way: the new leaf, its chain in order
 * (act_chain: its issuer first, the anchor left out), the new private key
 * where the file held one - only when rotation.key is a file (SPEC 7.2: a
 * key on a token never leaves it; such a file is refused, changing
 * nothing).  `key_path` receives the new key the same way.
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
 * A copy already there is kept - it is from the first attempt, the real
 * previous content - so a redone step never archives its own new content.
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
#include "../check/layout.h"
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

/* The new private key (rotation.key, a file) as PEM.  *pem wiped and freed by the caller. */
static int
new_key_pem(const struct plan_config *cfg, char **pem, size_t *len, struct cr_err *err)
{
	unsigned char *buf = NULL;
	size_t n = 0;
	EVP_PKEY *k = NULL;
	BIO *in = NULL, *out = NULL;
	char *data;
	long dlen;
	int r;

	*pem = NULL;
	if (!cfg->rotation.key_is_file || cfg->rotation.key_src.path == NULL)
		return cr_err_setr(err, CR_EBLOCK, CR_R_CONFIG, "the new key '%s' is on a token: it "
		    "cannot be written into a file (SPEC 7.2)", cfg->rotation.key);
	if ((r = cr_fs_read_regular(cfg->rotation.key_src.path, NULL, 0, FILE_MAX, &buf, &n,
	    err)) != CR_OK)
		return r;
	in = BIO_new_mem_buf(buf, (int)n);
	k = PEM_read_bio_PrivateKey(in, NULL, no_password, NULL);
	if (k == NULL) {
		r = cr_err_ssl(err, CR_EINPUT, "cannot read the new key '%s' (an encrypted key cannot "
		    "be written into a service's file)", cfg->rotation.key);
		goto out;
	}
	out = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(out, k, NULL, NULL, 0, NULL, NULL);
	dlen = BIO_get_mem_data(out, &data);
	*pem = cr_xstrndup(data, (size_t)dlen);
	*len = (size_t)dlen;
	OPENSSL_cleanse(data, (size_t)dlen);
	r = CR_OK;
out:
	EVP_PKEY_free(k);
	BIO_free(in);
	BIO_free(out);
	wipe_free(buf, n);
	return r;
}

/*
 * The content for `path`, whose current layout is *l: the new leaf (DER,
 * as the file was, or PEM), then the chain and the key as the shape says.
 */
static int
compose(const struct act_ctx *a, const char *path, const struct chk_layout *l, char **data,
    size_t *len, int *has_key, struct cr_err *err)
{
	const struct crt_cert *nw = a->p->in->new;
	enum chk_shape shape = chk_layout_shape(l);
	STACK_OF(X509) *chain = NULL;
	struct cr_buf b = CR_BUF_INIT;
	char *pem, *key = NULL;
	size_t n, klen = 0;
	int r;

	*data = NULL;
	*has_key = shape == CHK_SHAPE_LEAF_KEY || shape == CHK_SHAPE_CHAIN_KEY;
	if (l->der) {
		unsigned char *der = NULL;
		int dl = i2d_X509(nw->x509, &der);

		if (dl <= 0)
			return cr_err_ssl(err, CR_EINPUT, "cannot encode the new certificate");
		*data = cr_xmalloc((size_t)dl);
		memcpy(*data, der, (size_t)dl);
		*len = (size_t)dl;
		OPENSSL_free(der);
		return CR_OK;
	}
	if (*has_key && (r = new_key_pem(a->p->cfg, &key, &klen, err)) != CR_OK)
		return cr_err_prefix(err, "'%s' holds a private key", path);
	if (shape == CHK_SHAPE_CHAIN || shape == CHK_SHAPE_CHAIN_KEY)
		chain = act_chain(a->p->in, nw);
	pem = act_pem(nw->x509, chain, &n);
	cr_buf_add(&b, pem, n);
	free(pem);
	if (key != NULL)
		cr_buf_add(&b, key, klen);
	wipe_free(key, klen);
	sk_X509_pop_free(chain, X509_free);
	*len = b.len;
	*data = cr_buf_detach(&b);
	return CR_OK;
}

/*
 * Archives what `path` is now into dir/NAME (its content) or dir/NAME.link
 * (a symlink's text), keeping a copy already there.  Nothing at path:
 * nothing to archive.
 */
static int
archive(const char *path, const char *dir, const char *name, struct cr_err *err)
{
	unsigned char *buf = NULL;
	char link[4096], *dest = NULL;
	size_t n = 0;
	struct stat st;
	ssize_t ln;
	int r;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? CR_OK : cr_err_setr(err, CR_EENV, CR_R_IO,
		    "cannot read '%s': %s", path, strerror(errno));
	if (S_ISLNK(st.st_mode)) {
		if ((ln = readlink(path, link, sizeof(link) - 1)) < 0)
			return cr_err_setr(err, CR_EENV, CR_R_IO, "cannot read the link '%s': %s", path,
			    strerror(errno));
		link[ln] = '\0';
		dest = cr_xasprintf("%s/%s.link", dir, name);
		r = cr_fs_create_private(dest, link, (size_t)ln, err);
	} else {
		if ((r = cr_fs_read_regular(path, NULL, 0, FILE_MAX, &buf, &n, err)) != CR_OK)
			return r;
		dest = cr_xasprintf("%s/%s", dir, name);
		r = cr_fs_create_private(dest, buf, n, err);
	}
	if (r != CR_OK && err->reason == CR_R_OBJECT_EXISTS) {
		cr_err_clear(err);	/* the first attempt's copy: the real previous content */
		r = CR_OK;
	}
	free(dest);
	wipe_free(buf, n);
	return r;
}

/* "cert-NAME" / "key-NAME" of a path. */
static char *
archive_name(const char *prefix, const char *path)
{
	const char *base = strrchr(path, '/');

	return cr_xasprintf("%s-%s", prefix, base != NULL ? base + 1 : path);
}

/* Whether `path` holds the new certificate first, in the shape it had (a redo). */
static int
holds_new(const struct act_ctx *a, const struct chk_layout *l)
{
	return l->ncerts > 0 && X509_cmp(sk_X509_value(l->certs, 0), a->p->in->new->x509) == 0;
}

/* The certificate file of a file ref. */
static int
install_cert(struct act_ctx *a, const char *path, const char *dir, struct act_out *out,
    struct cr_err *err)
{
	struct cr_fs_install res;
	struct chk_layout l;
	char *data = NULL, *name = archive_name("cert", path);
	size_t len = 0;
	int r, has_key = 0;

	memset(&res, 0, sizeof(res));
	if ((r = chk_layout_read(path, &l, err)) != CR_OK)
		goto out;
	if (l.ncerts == 0) {
		r = cr_err_setr(err, CR_EBLOCK, CR_R_MALFORMED, "'%s' holds no certificate: its "
		    "layout is not known, nothing written", path);
		goto out;
	}
	if (holds_new(a, &l)) {
		act_out_detail(out, "'%s' already holds the new certificate (%s)", path,
		    chk_shape_name(chk_layout_shape(&l)));
		act_out_put(out, "file", path);
		r = CR_OK;
		goto out;
	}
	if ((r = compose(a, path, &l, &data, &len, &has_key, err)) != CR_OK ||
	    (r = archive(path, dir, name, err)) != CR_OK ||
	    (r = cr_fs_install(path, data, len, has_key ? CR_FS_KEY : CR_FS_KEEP, &res, err)) != CR_OK)
		goto out;
	act_out_detail(out, "wrote the new certificate into '%s' as it was laid out (%s%s)%s%s",
	    path, chk_shape_name(chk_layout_shape(&l)), l.der ? ", DER" : "",
	    res.link_new != NULL ? ": the link now points at " : "",
	    res.link_new != NULL ? res.link_new : "");
	act_out_put(out, "file", res.written);
	if (res.link_old != NULL)
		act_out_put(out, "link_old", res.link_old);
	act_out_put(out, "archive", dir);
out:
	cr_fs_install_release(&res);
	chk_layout_release(&l);
	wipe_free(data, len);
	free(name);
	return r;
}

/* The new key at key_path (rotation.key a file). */
static int
install_key(struct act_ctx *a, const char *path, const char *dir, struct act_out *out,
    struct cr_err *err)
{
	struct cr_fs_install res;
	struct chk_layout l;
	char *pem = NULL, *name = archive_name("key", path);
	size_t len = 0;
	int r;

	memset(&res, 0, sizeof(res));
	memset(&l, 0, sizeof(l));
	if ((r = new_key_pem(a->p->cfg, &pem, &len, err)) != CR_OK)
		goto out;
	cr_err_clear(err);
	if (chk_layout_read(path, &l, err) == CR_OK && l.key != NULL &&
	    EVP_PKEY_eq(l.key, X509_get0_pubkey(a->p->in->new->x509)) == 1) {
		r = CR_OK;	/* a redo: the new key is there */
		goto out;
	}
	cr_err_clear(err);
	if ((r = archive(path, dir, name, err)) != CR_OK ||
	    (r = cr_fs_install(path, pem, len, CR_FS_KEY, &res, err)) != CR_OK)
		goto out;
	act_out_put(out, "key_file", res.written);
out:
	cr_fs_install_release(&res);
	chk_layout_release(&l);
	wipe_free(pem, len);
	free(name);
	return r;
}

int
act_file_install(struct act_ctx *a, size_t step, struct act_out *out, struct cr_err *err)
{
	const struct plan_step *s = &a->p->steps[step];
	const struct plan_ref *ref = s->ref;
	char *dir;
	int r;

	if (ref == NULL || ref->file_path == NULL)
		return cr_err_set(err, CR_EBLOCK, "step '%s' has no file", s->id);
	dir = act_archive_step_dir(a->p->cfg, s->id);
	if ((r = cr_fs_mkdir_private(dir, err)) == CR_OK)
		r = install_cert(a, ref->file_path, dir, out, err);
	if (r == CR_OK && ref->key_path != NULL && strcmp(ref->key_path, ref->file_path) != 0)
		r = install_key(a, ref->key_path, dir, out, err);
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
		r = cr_fs_symlink_replace(path, (const char *)buf, err);
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
	const struct plan_ref *ref = s->ref;
	char *dir, *cname, *kname = NULL;
	int r, did = 0, kdid = 0;

	if (ref == NULL || ref->file_path == NULL)
		return cr_err_set(err, CR_EBLOCK, "step '%s' has no file", s->id);
	dir = act_archive_step_dir(a->p->cfg, s->id);
	cname = archive_name("cert", ref->file_path);
	r = restore(ref->file_path, dir, cname, &did, err);
	if (r == CR_OK && ref->key_path != NULL && strcmp(ref->key_path, ref->file_path) != 0) {
		kname = archive_name("key", ref->key_path);
		r = restore(ref->key_path, dir, kname, &kdid, err);
	}
	if (r == CR_OK)
		act_out_detail(out, did ? "put back the previous '%s'%s from '%s'" :
		    "nothing to put back in '%s'%s: it was not written (nothing archived in '%s')",
		    ref->file_path, kdid ? " and its key" : "", dir);
	free(dir);
	free(cname);
	free(kname);
	return r;
}
