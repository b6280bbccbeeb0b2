/*
 * chk_keyfile.c - private keys in files: a file ref's key_path (file.key:
 * it exists or can be created, holds a private key, and that key is the
 * one of the certificate at the ref's path) and the modes of every key
 * file the rotation reads or writes (key.mode).
 *
 * key.mode decides: a key readable by others (any local account) FAILS -
 * that is a leaked key, and run would write the new key with the same
 * mode; a key readable by its group WARNS, naming the group - 0640
 * root:ssl-cert is Debian's deliberate convention for services that read
 * keys as a group, fine when only those services are in it.  Writable by
 * others fails, by the group warns, alike.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "internal.h"
#include "../common/util.h"
#include "../cert/dn.h"
#include "../cert/layout.h"

/* ---- file.key ---------------------------------------------------------------- */

/* Whether key pairs with the leaf of the file at path: 1, 0, or -1 (unknown, *why). */
static int
pairs_with(EVP_PKEY *key, const char *path, char **leaf_name)
{
	struct crt_layout l;
	struct cr_err err;
	int leaf, r = -1;

	*leaf_name = NULL;
	cr_err_clear(&err);
	if (crt_layout_read(path, &l, &err) == CR_OK && (leaf = crt_layout_leaf(&l)) >= 0) {
		X509 *x = sk_X509_value(l.certs, leaf);

		*leaf_name = crt_dn_render(X509_get_subject_name(x));
		r = EVP_PKEY_eq(key, X509_get0_pubkey(x)) == 1;
	}
	crt_layout_release(&l);
	return r;
}

/* Why key_path is not a key file the service reads, or NULL; *warn for a missing file. */
static char *
key_path_problem(const struct plan_ref *ref, int *warn)
{
	struct crt_layout k;
	struct cr_err err;
	char *s = NULL, *dir, *leaf = NULL;
	struct stat st;
	int pairs;

	*warn = 0;
	cr_err_clear(&err);
	if (crt_layout_read(ref->key_path, &k, &err) != CR_OK) {
		if (!k.missing) {
			s = cr_xstrdup(err.msg);
		} else {
			dir = cr_path_dirname(ref->key_path);
			if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
				s = cr_xasprintf("'%s' does not exist, nor does its directory '%s': the new key "
				    "cannot be written there", ref->key_path_text, dir);
			} else {
				*warn = 1;
				s = cr_xasprintf("'%s' does not exist: the service cannot be reading its key "
				    "from there now; the new key would be created there (mode 0600) - is "
				    "key_path the file the service reads?", ref->key_path_text);
			}
			free(dir);
		}
	} else if (k.nkeys == 0) {
		s = cr_xasprintf("'%s' holds no private key but %s: key_path must name the key file the "
		    "service reads - writing the new key there would replace what it holds",
		    ref->key_path_text, k.ncerts > 0 ? crt_shape_name(crt_layout_shape(&k)) :
		    "nothing a certificate tool reads");
	} else if (k.key == NULL) {
		*warn = 1;
		s = cr_xasprintf("the key in '%s' is encrypted: whether it pairs with the certificate "
		    "at '%s' cannot be checked, and the new key is written unencrypted",
		    ref->key_path_text, ref->file_path_text);
	} else if ((pairs = pairs_with(k.key, ref->file_path, &leaf)) == 0) {
		s = cr_xasprintf("the key in '%s' does not pair with the certificate in '%s' ('%s'): "
		    "key_path must be the key of the certificate at path", ref->key_path_text,
		    ref->file_path_text, leaf);
	}
	free(leaf);
	crt_layout_release(&k);
	return s;
}

void
chk_eval_file_key(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_ref *ref = at->ref != NULL ? at->ref->ref : NULL;
	struct chk_result *r;
	char *problem;
	int warn;

	if (ref == NULL || ref->key_path == NULL || ref->file_path == NULL ||
	    (r = chk_file_item(c, at, ref->key_path, ref->key_path_text, ref->file_path)) == NULL)
		return;
	problem = key_path_problem(ref, &warn);
	if (problem != NULL)
		chk_result_set(r, warn ? CHK_WARN : CHK_FAIL, "%s", problem);
	else
		chk_result_set(r, CHK_PASS, "'%s' holds the private key of the certificate in '%s': "
		    "the new key goes there", ref->key_path_text, ref->file_path_text);
	free(problem);
}

/* ---- key.mode ---------------------------------------------------------------- */

static char *
group_name(gid_t gid)
{
	char buf[1024];
	struct group gr, *gp = NULL;

	(void)getgrgid_r(gid, &gr, buf, sizeof(buf), &gp);
	return gp != NULL ? cr_xstrdup(gp->gr_name) : cr_xasprintf("%ld", (long)gid);
}

/* Judges the mode of the key file at path (shown as `text`, `what` says whose it is). */
static void
judge_mode(const char *path, const char *text, const char *what, struct chk_result *r)
{
	struct stat st;
	unsigned m;
	char *g;

	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			chk_result_set(r, CHK_PASS, "'%s' (%s) does not exist yet: it will be created with "
			    "mode 0600", text, what);
		else
			chk_result_set(r, CHK_SKIP, "'%s': %s", text, strerror(errno));
		return;
	}
	m = (unsigned)st.st_mode & 0777;
	g = group_name(st.st_gid);
	if (m & 006)
		chk_result_set(r, CHK_FAIL, "'%s' (%s) is %s by every user of the host (mode %04o): a "
		    "private key must not be; chmod 600 it (640 with a group only the services that "
		    "read it share) - run keeps a file's mode, so the new key would be as open",
		    text, what, (m & 002) ? "writable" : "readable", m);
	else if (m & 060)
		chk_result_set(r, CHK_WARN, "'%s' (%s) is %s by group '%s' (mode %04o): fine when that "
		    "group holds only the services that read the key (ssl-cert on Debian); the new "
		    "key keeps this mode", text, what, (m & 020) ? "writable" : "readable", g, m);
	else
		chk_result_set(r, CHK_PASS, "'%s' (%s) is mode %04o: readable by its owner only", text,
		    what, m);
	free(g);
}

/* The item of key file `text`, listed under at's step, judged when fresh. */
static void
key_file(struct chk_ctx *c, const struct chk_at *at, const char *path, const char *text,
    const char *what)
{
	char *subject = cr_xasprintf("key file %s", text);
	size_t idx;
	int fresh;

	idx = chk_item_get(c, PLAN_CHK_KEY_MODE, at->phase, subject, subject, &fresh);
	free(subject);
	chk_attach(c, at, idx);
	if (fresh)
		judge_mode(path, text, what, &chk_item_at(c, idx)->res);
}

/*
 * key.mode: the new key file, when rotation.key is a file (the `check` of
 * no step too), and, before a file ref's rebind, every file the rebind
 * writes a key into (a key_path; a file that holds its key beside its
 * certificate, as haproxy's).
 */
void
chk_eval_key_mode(struct chk_ctx *c, const struct chk_at *at)
{
	const struct plan_src *ks = &c->cfg->rotation.key_src;
	const struct plan_step *s = at->s;
	size_t i;

	if (ks->kind == PLAN_SRC_FILE && ks->path != NULL) {
		const char *text = c->cfg->rotation.key;

		key_file(c, at, ks->path, text + (strncmp(text, "file:", 5) == 0 ? 5 : 0),
		    "the new key");
	}
	for (i = 0; s != NULL && i < s->nwrites; i++) {
		const struct plan_write *w = &s->writes[i];

		if (!w->key || w->file == NULL)
			continue;
		key_file(c, at, w->file->path, w->text, w->shape == CRT_SHAPE_KEY ?
		    "the key file the service reads" : "it holds the service's key");
	}
}
