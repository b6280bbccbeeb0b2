/*
 * files.c - the files `file` refs name, read at plan time (SPEC 5, 7.2),
 * and what the rebind of a file ref writes.
 *
 * Reading (plan_files_load, called by plan_inputs_load): every `path` and
 * `key_path` once, whatever number of refs name it - what it holds and in
 * what order (cert/layout.h), and what installing the new material there
 * would do (common/fsutil.h cr_fs_install_preview: the file itself, or a
 * new numbered file beside a symlink's target with the link repointed;
 * owner and mode kept, a new key file 0600).  Nothing here fails a plan: a
 * file that cannot be read or written is recorded, and the checks
 * (file.layout, file.key, key.mode) say what is wrong with it.
 *
 * Describing (plan_file_step, from the step builders): the writes of a
 * rebind step - the certificate file in its own layout (the leaf first,
 * the chain when it has one, the key where it holds one), then each
 * key_path - and its description.  Pure: reads the plan and its inputs.
 */
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "plan.h"
#include "internal.h"
#include "../common/utf8.h"
#include "../common/util.h"

/* ---- reading ------------------------------------------------------------------ */

static int
cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct plan_file *)a)->path, ((const struct plan_file *)b)->path);
}

const struct plan_file *
plan_inputs_file(const struct plan_inputs *in, const char *path)
{
	struct plan_file key;

	if (in == NULL || in->nfiles == 0 || path == NULL)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.path = (char *)path;
	return bsearch(&key, in->files, in->nfiles, sizeof(*in->files), cmp_file);
}

int
plan_same_file(const struct plan_inputs *in, const char *a, const char *b)
{
	const struct plan_file *fa, *fb;

	if (a == NULL || b == NULL)
		return 0;
	if (strcmp(a, b) == 0)
		return 1;
	fa = plan_inputs_file(in, a);
	fb = plan_inputs_file(in, b);
	return fa != NULL && fb != NULL && strcmp(fa->entry, fb->entry) == 0;
}

/* Appends the components of `path` to b ("/x/y"), "." dropped and ".." going up. */
static void
lexical_add(struct cr_buf *b, const char *path)
{
	const char *p = path;

	while (*p != '\0') {
		size_t len = strcspn(p, "/");

		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* nothing */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = b->len > 0 ? strrchr(cr_buf_str(b), '/') : NULL;

			if (slash != NULL) {
				b->len = (size_t)(slash - b->s);
				b->s[b->len] = '\0';
			}
		} else {
			cr_buf_addf(b, "/%.*s", (int)len, p);
		}
		p += len;
		while (*p == '/')
			p++;
	}
}

/*
 * The directory entry `path` names (plan_file.entry): its directory
 * resolved by realpath, then its last component; when the directory does
 * not exist, the absolute path normalised by its text.  New string.
 */
static char *
entry_of(const char *path)
{
	char *dir = cr_path_dirname(path), *real = realpath(dir, NULL), cwd[4096];
	const char *base = strrchr(path, '/');
	struct cr_buf b = CR_BUF_INIT;

	base = base != NULL ? base + 1 : path;
	if (real != NULL && strcmp(base, ".") != 0 && strcmp(base, "..") != 0 && *base != '\0') {
		cr_buf_adds(&b, strcmp(real, "/") == 0 ? "" : real);
		cr_buf_addf(&b, "/%s", base);
	} else {
		if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL)
			lexical_add(&b, cwd);
		lexical_add(&b, path);
		if (b.len == 0)
			cr_buf_adds(&b, "/");
	}
	free(real);
	free(dir);
	return cr_buf_detach(&b);
}

/* "0:0 (root:root)" - an owner as people read it.  New string. */
static char *
owner_text(long uid, long gid)
{
	char buf[1024];
	struct passwd pw, *pp = NULL;
	struct group gr, *gp = NULL;
	const char *un, *gn;

	(void)getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf) / 2, &pp);
	(void)getgrgid_r((gid_t)gid, &gr, buf + sizeof(buf) / 2, sizeof(buf) / 2, &gp);
	un = pp != NULL ? pp->pw_name : "?";
	gn = gp != NULL ? gp->gr_name : "?";
	return cr_xasprintf("%s:%s (%ld:%ld)", un, gn, uid, gid);
}

/* Reads one file: its layout (the key dropped), its order, the install's preview. */
static void
file_read(struct plan_file *f)
{
	struct cr_err err;
	char *why = NULL;

	cr_err_clear(&err);
	if (crt_layout_read(f->path, &f->layout, &err) == CR_OK) {
		f->read = 1;
		if (!crt_layout_ordered(&f->layout, &why))
			f->why = why;
		crt_layout_drop_key(&f->layout);
	} else if (!f->layout.missing) {
		f->error = cr_xstrdup(err.msg);
	}
	f->key_mode = f->key_path || crt_shape_has_key(crt_layout_shape(&f->layout));
	cr_err_clear(&err);
	if (cr_fs_install_preview(f->path, f->key_mode ? CR_FS_KEY : CR_FS_KEEP, &f->pv, &err) !=
	    CR_OK)
		f->pv_error = cr_xstrdup(err.msg);
	else if (f->pv.uid != (long)geteuid() || f->pv.gid != (long)getegid())
		f->owner = owner_text(f->pv.uid, f->pv.gid);
}

static void
file_add(struct plan_inputs *in, size_t *cap, const char *path, const char *text, int key_path)
{
	struct plan_file *f;

	cr_grow(&in->files, cap, in->nfiles + 1, sizeof(*in->files));
	f = &in->files[in->nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = cr_xstrdup(path);
	f->entry = entry_of(path);
	f->text = text;
	f->key_path = key_path;
}

static void
file_release(struct plan_file *f)
{
	free(f->path);
	free(f->entry);
	crt_layout_release(&f->layout);
	free(f->why);
	free(f->error);
	cr_fs_preview_release(&f->pv);
	free(f->pv_error);
	free(f->owner);
}

void
plan_files_load(const struct plan_config *cfg, struct plan_inputs *in)
{
	size_t cap = 0, i, j, k;

	for (i = 0; i < cfg->nservices; i++)
		for (j = 0; j < cfg->services[i].nrefs; j++) {
			const struct plan_ref *ref = &cfg->services[i].refs[j];

			if (ref->type != PLAN_REF_FILE)
				continue;
			if (ref->file_path != NULL)
				file_add(in, &cap, ref->file_path, ref->file_path_text, 0);
			if (ref->key_path != NULL)
				file_add(in, &cap, ref->key_path, ref->key_path_text, 1);
		}
	plan_sort(in->files, in->nfiles, sizeof(*in->files), cmp_file);
	/* one entry per path: a key_path named by one ref is a key file for all */
	for (i = k = 0; i < in->nfiles; i++) {
		if (k > 0 && strcmp(in->files[k - 1].path, in->files[i].path) == 0) {
			in->files[k - 1].key_path |= in->files[i].key_path;
			file_release(&in->files[i]);
			continue;
		}
		in->files[k++] = in->files[i];
	}
	in->nfiles = k;
	for (i = 0; i < in->nfiles; i++)
		file_read(&in->files[i]);
}

void
plan_files_release(struct plan_inputs *in)
{
	size_t i;

	for (i = 0; i < in->nfiles; i++)
		file_release(&in->files[i]);
	free(in->files);
	in->files = NULL;
	in->nfiles = 0;
}

/* ---- which refs share a step ------------------------------------------------------ */

/* A file ref certrotate writes natively (no hook of its own). */
static int
native_file_ref(const struct plan_ref *r)
{
	return r->type == PLAN_REF_FILE && r->file_path != NULL && r->run.v == NULL;
}

/* Whether refs a and b write a file in common: a certificate file or a key file. */
static int
share_file(const struct plan_inputs *in, const struct plan_ref *a, const struct plan_ref *b)
{
	return plan_same_file(in, a->file_path, b->file_path) ||
	    plan_same_file(in, a->file_path, b->key_path) ||
	    plan_same_file(in, a->key_path, b->file_path) ||
	    plan_same_file(in, a->key_path, b->key_path);
}

static size_t
group_root(size_t *g, size_t i)
{
	while (g[i] != i)
		i = g[i] = g[g[i]];
	return i;
}

void
plan_file_groups(const struct plan *p, const size_t *idx, size_t n, size_t *group)
{
	size_t i, j, a, b;

	for (i = 0; i < n; i++)
		group[i] = i;
	for (i = 0; i < n; i++) {
		const struct plan_ref *ri = p->refs[idx[i]].ref;

		if (!native_file_ref(ri))
			continue;
		for (j = i + 1; j < n; j++) {
			const struct plan_ref *rj = p->refs[idx[j]].ref;

			if (!native_file_ref(rj) || !share_file(p->in, ri, rj))
				continue;
			a = group_root(group, i);
			b = group_root(group, j);
			/* the first ref of a group is its root */
			group[a > b ? a : b] = a < b ? a : b;
		}
	}
	for (i = 0; i < n; i++)
		group[i] = group_root(group, i);
}

/* ---- what a rebind writes ------------------------------------------------------ */

/* The shape the new material takes in f: its own; a file holding nothing yet gets leaf + chain. */
static enum crt_shape
shape_for(const struct plan_file *f)
{
	enum crt_shape s = f != NULL && f->read ? crt_layout_shape(&f->layout) : CRT_SHAPE_NONE;

	if (s == CRT_SHAPE_NONE)
		return CRT_SHAPE_CHAIN;
	return s == CRT_SHAPE_KEY ? CRT_SHAPE_CHAIN_KEY : s;
}

static void
add_write(struct plan_step *s, const char *path, const char *text, const struct plan_file *f,
    enum crt_shape shape, int key_first)
{
	struct plan_write *w;

	s->writes = cr_xrealloc(s->writes, (s->nwrites + 1) * sizeof(*s->writes));
	w = &s->writes[s->nwrites++];
	w->path = path;
	w->text = text;
	w->file = f;
	w->shape = shape;
	w->order = crt_shape_order(shape, key_first);
	w->key = crt_shape_has_key(shape);
}

/* "'tls/mail.pem' (leaf, chain; mode 0644)" and how a link is followed. */
static void
describe_write(struct cr_buf *b, const struct plan_write *w)
{
	const struct plan_file *f = w->file;

	cr_buf_addf(b, "%s in '%s' (%s", w->shape == CRT_SHAPE_KEY ? "the new key" :
	    w->key ? "the new certificate and key" : "the new certificate", w->text, w->order);
	if (f == NULL || f->pv_error != NULL) {
		cr_buf_adds(b, ")");
		return;
	}
	cr_buf_addf(b, "; mode %04o%s", f->pv.perm, f->pv.exists ? " kept" : "");
	if (f->owner != NULL)
		cr_buf_addf(b, ", owner %s kept", f->owner);
	if (f->pv.link)
		cr_buf_addf(b, "; a symbolic link to '%s': the new file '%s' is written beside it "
		    "and the link repointed", f->pv.link_text, f->pv.link_new);
	cr_buf_adds(b, ")");
}

/* Whether the step writes the file at `path` already (any spelling of it). */
static int
writes_already(const struct plan *p, const struct plan_step *s, const char *path)
{
	size_t k;

	for (k = 0; k < s->nwrites; k++)
		if (plan_same_file(p->in, s->writes[k].path, path))
			return 1;
	return 0;
}

void
plan_file_step(const struct plan *p, struct plan_step *s)
{
	const struct plan_ref *ref = s->ref;
	struct cr_buf b = CR_BUF_INIT;
	size_t i;

	/* each certificate file of the refs, then each key file: every file once */
	for (i = 0; i < s->nfrefs; i++) {
		const struct plan_ref *r = p->refs[s->frefs[i]].ref;
		const struct plan_file *f = plan_inputs_file(p->in, r->file_path);

		if (!writes_already(p, s, r->file_path))
			add_write(s, r->file_path, r->file_path_text, f, shape_for(f),
			    f != NULL && f->layout.key_first);
	}
	for (i = 0; i < s->nfrefs; i++) {
		const struct plan_ref *r = p->refs[s->frefs[i]].ref;

		if (r->key_path != NULL && !writes_already(p, s, r->key_path))
			add_write(s, r->key_path, r->key_path_text, plan_inputs_file(p->in, r->key_path),
			    CRT_SHAPE_KEY, 0);
	}
	cr_buf_adds(&b, "install ");
	for (i = 0; i < s->nwrites; i++) {
		if (i > 0)
			cr_buf_adds(&b, " and ");
		describe_write(&b, &s->writes[i]);
	}
	if (ref->endpoint != NULL)
		cr_buf_addf(&b, ", served at %s%s%s", ref->endpoint, ref->sni ? " with SNI " : "",
		    ref->sni ? ref->sni : "");
	for (i = 1; i < s->nfrefs; i++) {
		const struct plan_refres *rr = &p->refs[s->frefs[i]];

		cr_buf_addf(&b, "%s%s/%s", i == 1 ? "; the file is shared with ref " : ", ",
		    rr->service->name, rr->ref->id);
	}
	s->description = cr_buf_detach(&b);
}

/* ---- rendering ------------------------------------------------------------------ */

static struct json_object *
str_or_null(const char *s)
{
	return s != NULL ? cr_json_str(s) : NULL;
}

/* What a file holds now, for the plan's JSON: null when nothing was read. */
static struct json_object *
now_json(const struct plan_file *f)
{
	struct json_object *o;

	if (f == NULL || !f->read)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "holds", cr_json_str(crt_shape_name(
	    crt_layout_shape(&f->layout))));
	json_object_object_add(o, "order", cr_json_str(crt_layout_order(&f->layout)));
	json_object_object_add(o, "certificates", json_object_new_int(f->layout.ncerts));
	json_object_object_add(o, "keys", json_object_new_int(f->layout.nkeys));
	json_object_object_add(o, "ordered", json_object_new_boolean(f->why == NULL));
	return o;
}

struct json_object *
plan_writes_json(const struct plan_step *s)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < s->nwrites; i++) {
		const struct plan_write *w = &s->writes[i];
		const struct plan_file *f = w->file;
		int ok = f != NULL && f->pv_error == NULL;
		struct json_object *o = json_object_new_object();
		char mode[8];

		snprintf(mode, sizeof(mode), "%04o", ok ? f->pv.perm : 0);
		json_object_object_add(o, "path", cr_json_str(w->text));
		json_object_object_add(o, "now", now_json(f));
		json_object_object_add(o, "holds", cr_json_str(crt_shape_name(w->shape)));
		json_object_object_add(o, "order", cr_json_str(w->order));
		json_object_object_add(o, "key", json_object_new_boolean(w->key));
		/* the file written: the path itself, or the new file beside a link's target */
		json_object_object_add(o, "file", !ok ? NULL : f->pv.link ?
		    cr_json_str(f->pv.written) : cr_json_str(w->text));
		json_object_object_add(o, "link_now", ok ? str_or_null(f->pv.link_text) : NULL);
		json_object_object_add(o, "link", ok ? str_or_null(f->pv.link_new) : NULL);
		json_object_object_add(o, "mode", ok ? cr_json_str(mode) : NULL);
		json_object_object_add(o, "owner", ok ? str_or_null(f->owner) : NULL);
		json_object_object_add(o, "error", f != NULL ? str_or_null(f->pv_error) : NULL);
		json_object_array_add(a, o);
	}
	return a;
}

void
plan_writes_text(const struct plan_step *s, FILE *out)
{
	size_t i;

	for (i = 0; i < s->nwrites; i++) {
		const struct plan_write *w = &s->writes[i];
		const struct plan_file *f = w->file;

		fprintf(out, "      writes '%s'", w->text);
		if (f != NULL && f->pv_error == NULL && f->pv.link)
			fprintf(out, " -> '%s' (new, beside '%s'; the link is repointed)", f->pv.link_new,
			    f->pv.link_text);
		fprintf(out, ": %s", w->order);
		if (f != NULL && f->pv_error != NULL)
			fprintf(out, ": CANNOT: %s\n", f->pv_error);
		else if (f != NULL)
			fprintf(out, ", mode %04o%s%s%s\n", f->pv.perm, f->owner ? ", owner " : "",
			    f->owner ? f->owner : "", f->pv.exists ? " (as now)" : " (a new file)");
		else
			fputc('\n', out);
	}
}

void
plan_test_text(const struct plan_step *s, FILE *out)
{
	size_t i;

	fputs("      test:", out);
	for (i = 0; i < s->test->n; i++)
		fprintf(out, " %s", s->test->v[i]);
	fprintf(out, " (%s)\n", s->test_is_default ? "the kind's default" : "run_test");
}
