/*
 * Unit tests: the file primitives (common/fsutil.c) - atomic replace, the
 * certbot link layout, private directories and files, regular-file reads -
 * each against a hostile file system: planted symlinks, FIFOs, directories,
 * other owners, taken names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testfs.h"

#define OTHER_UID 65534	/* nobody: owner of "someone else's" files (the tests run as root) */

static char *
tmpdir(void)
{
	return tf_tmpdir("fsutil");
}

static void
put(const char *path, const char *text, mode_t mode)
{
	tf_put(path, text, (size_t)-1, mode);
}

static void
assert_content(const char *path, const char *want)
{
	char *s = tf_slurp(path, NULL);
	assert_string_equal(s, want);
	free(s);
}

/* Number of entries in dir (without . and ..): temporary files must not be left behind. */
static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static struct stat
lstat_of(const char *path)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	return st;
}

/* Owner and mode after cr_fs_replace, per policy and what existed. */
static void
test_replace_modes(void **state)
{
	static const struct {
		enum cr_fs_mode mode;
		int existing;		/* mode of the existing file, -1: none */
		int other_owner;	/* existing file owned by OTHER_UID */
		unsigned want_mode;
		int want_other;		/* result owned by OTHER_UID */
	} t[] = {
		{ CR_FS_KEEP, -1, 0, 0644, 0 },
		{ CR_FS_KEY, -1, 0, 0600, 0 },
		{ CR_FS_PRIVATE, -1, 0, 0600, 0 },
		{ CR_FS_KEEP, 0640, 1, 0640, 1 },
		{ CR_FS_KEY, 0640, 1, 0640, 1 },	/* wider than 0600 only because it was */
		{ CR_FS_KEY, 0400, 0, 0400, 0 },
		{ CR_FS_KEEP, 04755, 0, 0755, 0 },	/* set-id bits dropped */
		{ CR_FS_PRIVATE, 0644, 1, 0600, 0 },	/* the tool's own files: always 0600, ours */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *d = tmpdir(), *p = cr_xasprintf("%s/f.pem", d);
		struct cr_err err;
		struct stat st;

		if (t[i].existing >= 0) {
			put(p, "old", (mode_t)t[i].existing);
			if (t[i].other_owner)
				assert_int_equal(chown(p, OTHER_UID, OTHER_UID), 0);
			assert_int_equal(chmod(p, (mode_t)t[i].existing), 0);
		}
		if (cr_fs_replace(p, "new\n", 4, t[i].mode, &err) != CR_OK)
			fail_msg("row %zu: %s", i, err.msg);
		assert_content(p, "new\n");
		st = lstat_of(p);
		if ((st.st_mode & 07777) != t[i].want_mode)
			fail_msg("row %zu: mode %04o, expected %04o", i, st.st_mode & 07777,
			    t[i].want_mode);
		assert_int_equal(st.st_uid == OTHER_UID, t[i].want_other);
		assert_int_equal(st.st_gid == OTHER_UID, t[i].want_other);
		assert_int_equal(count_entries(d), 1);
		tf_rmrf(d);
		free(d);
		free(p);
	}
}

/* A symlink at the path: refused for service files, replaced (never followed) for private ones. */
static void
test_replace_symlink_at_path(void **state)
{
	char *d = tmpdir(), *p = cr_xasprintf("%s/f.pem", d), *victim = cr_xasprintf("%s/victim", d);
	struct cr_err err;

	(void)state;
	put(victim, "precious", 0644);
	assert_int_equal(symlink(victim, p), 0);
	assert_int_equal(cr_fs_replace(p, "evil", 4, CR_FS_KEEP, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_NOT_REGULAR);
	assert_non_null(strstr(err.msg, "symbolic link"));
	assert_int_equal(cr_fs_replace(p, "evil", 4, CR_FS_KEY, &err), CR_EENV);
	assert_true(S_ISLNK(lstat_of(p).st_mode));
	assert_content(victim, "precious");
	assert_int_equal(count_entries(d), 2);

	assert_int_equal(cr_fs_replace(p, "mine", 4, CR_FS_PRIVATE, &err), CR_OK);
	assert_true(S_ISREG(lstat_of(p).st_mode));
	assert_content(p, "mine");
	assert_content(victim, "precious");
	tf_rmrf(d);
	free(d);
	free(p);
	free(victim);
}

/* A symlink planted at the first temporary name is neither followed nor removed. */
static void
test_replace_planted_temp(void **state)
{
	char *d = tmpdir(), *p = cr_xasprintf("%s/f.pem", d), *victim = cr_xasprintf("%s/victim", d);
	char *planted = cr_xasprintf("%s/.f.pem.%ld.tmp", d, (long)getpid());
	char *planted_lnk = cr_xasprintf("%s/.f.pem.%ld.lnk", d, (long)getpid());
	struct cr_err err;

	(void)state;
	put(victim, "precious", 0644);
	put(p, "old", 0644);
	assert_int_equal(symlink(victim, planted), 0);
	assert_int_equal(cr_fs_replace(p, "new", 3, CR_FS_KEEP, &err), CR_OK);
	assert_content(p, "new");
	assert_content(victim, "precious");
	assert_true(S_ISLNK(lstat_of(planted).st_mode));
	assert_int_equal(count_entries(d), 3);

	/* the same for the link's temporary name */
	unlink(p);
	assert_int_equal(symlink("victim", p), 0);
	assert_int_equal(symlink(victim, planted_lnk), 0);
	assert_int_equal(cr_fs_symlink_replace(p, "other", &err), CR_OK);
	assert_true(S_ISLNK(lstat_of(planted_lnk).st_mode));
	{
		char buf[64];
		ssize_t n = readlink(p, buf, sizeof(buf) - 1);
		assert_true(n > 0);
		buf[n] = '\0';
		assert_string_equal(buf, "other");
	}
	assert_content(victim, "precious");
	tf_rmrf(d);
	free(d);
	free(p);
	free(victim);
	free(planted);
	free(planted_lnk);
}

/* Not a regular file at the path, or no file name: refused, nothing written. */
static void
test_replace_refused(void **state)
{
	char *d = tmpdir(), *dirp = cr_xasprintf("%s/sub", d), *fifo = cr_xasprintf("%s/fifo", d);
	char *nodir = cr_xasprintf("%s/missing/f.pem", d), *slash = cr_xasprintf("%s/", d);
	struct cr_err err;

	(void)state;
	assert_int_equal(mkdir(dirp, 0755), 0);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(cr_fs_replace(dirp, "x", 1, CR_FS_PRIVATE, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_NOT_REGULAR);
	assert_non_null(strstr(err.msg, "a directory"));
	assert_int_equal(cr_fs_replace(fifo, "x", 1, CR_FS_KEEP, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_NOT_REGULAR);
	assert_non_null(strstr(err.msg, "a FIFO"));
	assert_int_equal(cr_fs_replace(nodir, "x", 1, CR_FS_KEEP, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_IO);
	assert_int_equal(cr_fs_replace(slash, "x", 1, CR_FS_KEEP, &err), CR_EENV);
	assert_int_equal(count_entries(d), 2);
	assert_true(S_ISFIFO(lstat_of(fifo).st_mode));
	tf_rmrf(d);
	free(d);
	free(dirp);
	free(fifo);
	free(nodir);
	free(slash);
}

static char *
link_text(const char *path)
{
	char buf[4096];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	return cr_xstrdup(buf);
}

/* The certbot layout: a new numbered file beside the target, the link repointed. */
static void
test_install_link(void **state)
{
	static const struct {
		const char *target;	/* file name in arch/ */
		const char *taken;	/* another file already there, or NULL */
		int absolute;		/* the link's text is absolute */
		const char *want;	/* the new file's name */
	} t[] = {
		{ "cert1.pem", NULL, 0, "cert2.pem" },
		{ "cert1.pem", "cert2.pem", 0, "cert3.pem" },	/* after a rollback: never overwritten */
		{ "cert09.pem", NULL, 0, "cert10.pem" },
		{ "privkey7", NULL, 1, "privkey8" },
		{ "mail.pem", NULL, 0, "mail-1.pem" },
		{ "mail.pem", "mail-1.pem", 1, "mail-2.pem" },
		{ "cert1234567890.pem", NULL, 0, "cert1234567890-1.pem" },	/* too many digits to count */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *d = tmpdir(), *arch = cr_xasprintf("%s/arch", d), *live = cr_xasprintf("%s/live", d);
		char *target = cr_xasprintf("%s/%s", arch, t[i].target);
		char *link = cr_xasprintf("%s/cert.pem", live), *want = cr_xasprintf("%s/%s", arch, t[i].want);
		char *text = t[i].absolute ? cr_xstrdup(target) : cr_xasprintf("../arch/%s", t[i].target);
		char *want_text = t[i].absolute ? cr_xstrdup(want) : cr_xasprintf("../arch/%s", t[i].want);
		char *got;
		struct cr_fs_install res;
		struct cr_fs_preview pv;
		struct cr_err err;
		struct stat st;

		assert_int_equal(mkdir(arch, 0755), 0);
		assert_int_equal(mkdir(live, 0755), 0);
		put(target, "old", 0640);
		assert_int_equal(chown(target, OTHER_UID, 0), 0);
		if (t[i].taken != NULL) {
			char *tk = cr_xasprintf("%s/%s", arch, t[i].taken);
			put(tk, "taken", 0600);
			free(tk);
		}
		assert_int_equal(symlink(text, link), 0);
		/* the preview says what the install then does, writing nothing */
		if (cr_fs_install_preview(link, CR_FS_KEY, &pv, &err) != CR_OK)
			fail_msg("row %zu: preview: %s", i, err.msg);
		assert_true(pv.exists && pv.link);
		assert_string_equal(pv.written, want);
		assert_string_equal(pv.target, target);
		assert_string_equal(pv.link_text, text);
		assert_string_equal(pv.link_new, want_text);
		assert_int_equal(pv.perm, 0640);
		assert_int_equal(pv.uid, OTHER_UID);
		assert_true(pv.owner_kept);
		assert_int_equal(count_entries(arch), t[i].taken ? 2 : 1);
		cr_fs_preview_release(&pv);
		if (cr_fs_install(link, "new", 3, CR_FS_KEY, &res, &err) != CR_OK)
			fail_msg("row %zu: %s", i, err.msg);
		assert_string_equal(res.written, want);
		assert_string_equal(res.previous, target);
		assert_string_equal(res.link_old, text);
		assert_string_equal(res.link_new, want_text);
		got = link_text(link);
		assert_string_equal(got, want_text);
		assert_content(link, "new");
		assert_content(target, "old");
		st = lstat_of(want);
		assert_int_equal(st.st_mode & 07777, 0640);
		assert_int_equal(st.st_uid, OTHER_UID);
		assert_int_equal(count_entries(arch), t[i].taken ? 3 : 2);
		assert_int_equal(count_entries(live), 1);
		/* rollback: the link back to its old text */
		assert_int_equal(cr_fs_symlink_replace(link, res.link_old, &err), CR_OK);
		assert_content(link, "old");
		cr_fs_install_release(&res);
		free(got);
		tf_rmrf(d);
		free(d); free(arch); free(live); free(target); free(link); free(want);
		free(text); free(want_text);
	}
}

/* A regular file or nothing at the path: replaced in place, reported so. */
static void
test_install_plain(void **state)
{
	char *d = tmpdir(), *p = cr_xasprintf("%s/f.pem", d);
	struct cr_fs_install res;
	struct cr_fs_preview pv;
	struct cr_err err;

	(void)state;
	/* nothing there: a new file, 0644 for a certificate, 0600 for a key, owned by us */
	assert_int_equal(cr_fs_install_preview(p, CR_FS_KEEP, &pv, &err), CR_OK);
	assert_true(!pv.exists && !pv.link && pv.target == NULL && !pv.owner_kept);
	assert_string_equal(pv.written, p);
	assert_int_equal(pv.perm, 0644);
	cr_fs_preview_release(&pv);
	assert_int_equal(cr_fs_install_preview(p, CR_FS_KEY, &pv, &err), CR_OK);
	assert_int_equal(pv.perm, 0600);
	cr_fs_preview_release(&pv);
	assert_int_equal(cr_fs_install(p, "one", 3, CR_FS_KEEP, &res, &err), CR_OK);
	assert_string_equal(res.written, p);
	assert_null(res.previous);
	assert_null(res.link_old);
	cr_fs_install_release(&res);
	/* a key file 0640 root:other stays so: never narrowed, never widened */
	assert_int_equal(chmod(p, 0640), 0);
	assert_int_equal(chown(p, 0, OTHER_UID), 0);
	assert_int_equal(cr_fs_install_preview(p, CR_FS_KEY, &pv, &err), CR_OK);
	assert_true(pv.exists && !pv.link && pv.owner_kept);
	assert_string_equal(pv.target, p);
	assert_int_equal(pv.perm, 0640);
	assert_int_equal(pv.gid, OTHER_UID);
	cr_fs_preview_release(&pv);
	cr_fs_preview_release(NULL);
	assert_int_equal(cr_fs_install(p, "two", 3, CR_FS_KEEP, &res, &err), CR_OK);
	assert_string_equal(res.previous, p);
	assert_content(p, "two");
	cr_fs_install_release(&res);
	cr_fs_install_release(NULL);
	tf_rmrf(d);
	free(d);
	free(p);
}

/* A link that does not lead to one regular file: refused, nothing changed. */
static void
test_install_link_refused(void **state)
{
	static const struct {
		const char *setup;	/* what the link leads to */
		enum cr_reason reason;
	} t[] = {
		{ "dangling", CR_R_NOT_FOUND },
		{ "link-to-link", CR_R_NOT_REGULAR },
		{ "directory", CR_R_NOT_REGULAR },
		{ "fifo", CR_R_NOT_REGULAR },
		/* a link of another user's to a file of ours (root's): planted, not certbot's */
		{ "planted", CR_R_NOT_REGULAR },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *d = tmpdir(), *link = cr_xasprintf("%s/cert.pem", d), *to = cr_xasprintf("%s/to", d);
		char *real = cr_xasprintf("%s/real1.pem", d), *before;
		struct cr_fs_install res;
		struct cr_err err;
		int n;

		if (strcmp(t[i].setup, "link-to-link") == 0) {
			put(real, "x", 0644);
			assert_int_equal(symlink("real1.pem", to), 0);
		} else if (strcmp(t[i].setup, "directory") == 0) {
			assert_int_equal(mkdir(to, 0755), 0);
		} else if (strcmp(t[i].setup, "fifo") == 0) {
			assert_int_equal(mkfifo(to, 0644), 0);
		} else if (strcmp(t[i].setup, "planted") == 0) {
			put(to, "x", 0644);
		}
		assert_int_equal(symlink("to", link), 0);
		if (strcmp(t[i].setup, "planted") == 0)
			assert_int_equal(lchown(link, OTHER_UID, OTHER_UID), 0);
		n = count_entries(d);
		{
			struct cr_fs_preview pv;

			assert_int_equal(cr_fs_install_preview(link, CR_FS_KEEP, &pv, &err), CR_EENV);
			assert_int_equal(err.reason, t[i].reason);
			cr_fs_preview_release(&pv);
		}
		assert_int_equal(cr_fs_install(link, "new", 3, CR_FS_KEEP, &res, &err), CR_EENV);
		if (err.reason != t[i].reason)
			fail_msg("%s: reason %s: %s", t[i].setup, cr_reason_name(err.reason), err.msg);
		assert_non_null(strstr(err.msg, "links to 'to'"));
		assert_null(res.written);
		assert_int_equal(count_entries(d), n);
		before = link_text(link);
		assert_string_equal(before, "to");
		free(before);
		tf_rmrf(d);
		free(d); free(link); free(to); free(real);
	}
}

/*
 * A link of another user's is followed to that user's own file (the link
 * could as well have been that file): the new file beside it is theirs.
 */
static void
test_install_link_other_owner(void **state)
{
	char *d = tmpdir(), *link = cr_xasprintf("%s/cert.pem", d), *to = cr_xasprintf("%s/to1.pem", d);
	char *want = cr_xasprintf("%s/to2.pem", d);
	struct cr_fs_install res;
	struct cr_err err;
	struct stat st;

	(void)state;
	put(to, "old", 0644);
	assert_int_equal(chown(to, OTHER_UID, OTHER_UID), 0);
	assert_int_equal(symlink("to1.pem", link), 0);
	assert_int_equal(lchown(link, OTHER_UID, OTHER_UID), 0);
	assert_int_equal(cr_fs_install(link, "new", 3, CR_FS_KEEP, &res, &err), CR_OK);
	assert_string_equal(res.written, want);
	assert_content(link, "new");
	st = lstat_of(want);
	assert_int_equal(st.st_uid, OTHER_UID);
	cr_fs_install_release(&res);
	tf_rmrf(d);
	free(d); free(link); free(to); free(want);
}

/* cr_fs_symlink_replace repoints only a link (or makes one where nothing is). */
static void
test_symlink_replace(void **state)
{
	char *d = tmpdir(), *p = cr_xasprintf("%s/f", d), *q = cr_xasprintf("%s/new", d), *s;
	struct cr_err err;

	(void)state;
	put(p, "file", 0644);
	assert_int_equal(cr_fs_symlink_replace(p, "x", &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_NOT_REGULAR);
	assert_content(p, "file");
	assert_int_equal(cr_fs_symlink_replace(q, "f", &err), CR_OK);
	s = link_text(q);
	assert_string_equal(s, "f");
	free(s);
	assert_int_equal(count_entries(d), 2);
	tf_rmrf(d);
	free(d);
	free(p);
	free(q);
}

static void
test_mkdir_private(void **state)
{
	static const struct {
		const char *setup;
		int status;
		enum cr_reason reason;
		const char *msg;
	} t[] = {
		{ "missing", CR_OK, CR_R_NONE, NULL },
		{ "missing-parents", CR_OK, CR_R_NONE, NULL },
		{ "ours-0700", CR_OK, CR_R_NONE, NULL },
		{ "ours-0755", CR_OK, CR_R_NONE, NULL },
		{ "trailing-slash", CR_OK, CR_R_NONE, NULL },
		{ "ours-0777", CR_EENV, CR_R_IO, "writable by its group" },
		{ "ours-0703", CR_EENV, CR_R_IO, "writable by others" },
		{ "other-owner", CR_EENV, CR_R_IO, "owned by uid 65534" },
		{ "symlink", CR_EENV, CR_R_NOT_REGULAR, "a symbolic link" },
		{ "symlink-slash", CR_EENV, CR_R_NOT_REGULAR, "a symbolic link" },
		{ "file", CR_EENV, CR_R_NOT_REGULAR, "it is a regular file" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *d = tmpdir(), *p = cr_xasprintf("%s/a", d), *real = cr_xasprintf("%s/real", d);
		char *arg = cr_xstrdup(p);
		const char *s = t[i].setup;
		struct cr_err err;
		int r;

		if (strcmp(s, "missing-parents") == 0) {
			free(arg);
			arg = cr_xasprintf("%s/b/c", p);
		} else if (strncmp(s, "ours-", 5) == 0) {
			assert_int_equal(mkdir(p, 0700), 0);
			assert_int_equal(chmod(p, (mode_t)strtol(s + 5, NULL, 8)), 0);
		} else if (strcmp(s, "trailing-slash") == 0) {
			free(arg);
			arg = cr_xasprintf("%s//", p);
		} else if (strcmp(s, "other-owner") == 0) {
			assert_int_equal(mkdir(p, 0700), 0);
			assert_int_equal(chown(p, OTHER_UID, OTHER_UID), 0);
		} else if (strncmp(s, "symlink", 7) == 0) {
			assert_int_equal(mkdir(real, 0700), 0);
			assert_int_equal(symlink(real, p), 0);
			if (strcmp(s, "symlink-slash") == 0) {
				free(arg);
				arg = cr_xasprintf("%s/", p);
			}
		} else if (strcmp(s, "file") == 0) {
			put(p, "", 0600);
		}
		/* the check alone: the same verdict on what exists, NOT_FOUND (nothing made) else */
		r = cr_fs_check_private(arg, &err);
		if (strncmp(s, "missing", 7) == 0 || strcmp(s, "trailing-slash") == 0) {
			struct stat st;

			assert_int_equal(r, CR_EENV);
			assert_int_equal(err.reason, CR_R_NOT_FOUND);
			assert_int_not_equal(lstat(p, &st), 0);
		} else if (r != t[i].status) {
			fail_msg("%s: check: status %d: %s", s, r, err.msg);
		}
		r = cr_fs_mkdir_private(arg, &err);
		if (r != t[i].status)
			fail_msg("%s: status %d: %s", s, r, err.msg);
		if (r == CR_OK) {
			struct stat st = lstat_of(arg);
			assert_true(S_ISDIR(st.st_mode));
			if (strncmp(s, "ours-", 5) != 0)
				assert_int_equal(st.st_mode & 07777, 0700);
			if (strcmp(s, "missing-parents") == 0)
				assert_int_equal(lstat_of(p).st_mode & 07777, 0700);
		} else {
			assert_int_equal(err.reason, t[i].reason);
			if (strstr(err.msg, t[i].msg) == NULL)
				fail_msg("%s: message '%s'", s, err.msg);
		}
		tf_rmrf(d);
		free(d); free(p); free(real); free(arg);
	}
}

static void
test_create_private(void **state)
{
	char *d = tmpdir(), *p = cr_xasprintf("%s/a.pem", d), *victim = cr_xasprintf("%s/victim", d);
	char *l = cr_xasprintf("%s/l.pem", d), *dangling = cr_xasprintf("%s/dangling.pem", d);
	char *gone = cr_xasprintf("%s/gone", d);
	struct cr_err err;

	(void)state;
	assert_int_equal(cr_fs_create_private(p, "pem", 3, &err), CR_OK);
	assert_content(p, "pem");
	assert_int_equal(lstat_of(p).st_mode & 07777, 0600);
	/* taken: never overwritten */
	assert_int_equal(cr_fs_create_private(p, "other", 5, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_OBJECT_EXISTS);
	assert_content(p, "pem");
	/* a planted symlink, live or dangling: not followed, not replaced */
	put(victim, "precious", 0644);
	assert_int_equal(symlink(victim, l), 0);
	assert_int_equal(cr_fs_create_private(l, "evil", 4, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_OBJECT_EXISTS);
	assert_int_equal(symlink(gone, dangling), 0);
	assert_int_equal(cr_fs_create_private(dangling, "evil", 4, &err), CR_EENV);
	assert_int_equal(err.reason, CR_R_OBJECT_EXISTS);
	assert_int_equal(access(gone, F_OK), -1);
	assert_content(victim, "precious");
	assert_int_equal(count_entries(d), 4);
	tf_rmrf(d);
	free(d); free(p); free(victim); free(l); free(dangling); free(gone);
}

/* Reading what must be a regular file: nothing blocks, nothing unbounded. */
static void
test_read_regular(void **state)
{
	static const struct {
		const char *name;	/* in the temp dir; "/..." absolute */
		int flags;
		size_t max;
		int status;
		enum cr_reason reason;
	} t[] = {
		{ "file", 0, 100, CR_OK, CR_R_NONE },
		{ "file", CR_FS_NOFOLLOW, 100, CR_OK, CR_R_NONE },
		{ "file", 0, 4, CR_EINPUT, CR_R_TOO_LARGE },
		{ "empty", 0, 0, CR_OK, CR_R_NONE },
		{ "link", 0, 100, CR_OK, CR_R_NONE },
		{ "link", CR_FS_NOFOLLOW, 100, CR_EINPUT, CR_R_NOT_REGULAR },
		{ "fifo", 0, 100, CR_EINPUT, CR_R_NOT_REGULAR },
		{ "fifo-link", 0, 100, CR_EINPUT, CR_R_NOT_REGULAR },
		{ "dir", 0, 100, CR_EINPUT, CR_R_NOT_REGULAR },
		{ "missing", 0, 100, CR_EINPUT, CR_R_NOT_FOUND },
		{ "/dev/null", 0, 100, CR_EINPUT, CR_R_NOT_REGULAR },
	};
	char *d = tmpdir();
	size_t i;

	(void)state;
	{
		char *f = cr_xasprintf("%s/file", d), *e = cr_xasprintf("%s/empty", d);
		char *l = cr_xasprintf("%s/link", d), *fi = cr_xasprintf("%s/fifo", d);
		char *fl = cr_xasprintf("%s/fifo-link", d), *di = cr_xasprintf("%s/dir", d);
		put(f, "hello", 0644);
		put(e, "", 0644);
		assert_int_equal(symlink("file", l), 0);
		assert_int_equal(mkfifo(fi, 0644), 0);	/* no writer: a blocking open would hang */
		assert_int_equal(symlink("fifo", fl), 0);
		assert_int_equal(mkdir(di, 0755), 0);
		free(f); free(e); free(l); free(fi); free(fl); free(di);
	}
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *p = t[i].name[0] == '/' ? cr_xstrdup(t[i].name) : cr_xasprintf("%s/%s", d, t[i].name);
		unsigned char *b = (unsigned char *)"unset";
		size_t n = 99;
		struct cr_err err;
		int r = cr_fs_read_regular(p, NULL, t[i].flags, t[i].max, &b, &n, &err);

		if (r != t[i].status)
			fail_msg("row %zu '%s': status %d: %s", i, t[i].name, r, err.msg);
		if (r == CR_OK) {
			assert_int_equal(n, strlen((char *)b));
			free(b);
		} else {
			assert_null(b);
			assert_int_equal(n, 0);
			assert_int_equal(err.reason, t[i].reason);
			assert_non_null(strstr(err.msg, p));
		}
		free(p);
	}
	tf_rmrf(d);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace_modes),
		cmocka_unit_test(test_replace_symlink_at_path),
		cmocka_unit_test(test_replace_planted_temp),
		cmocka_unit_test(test_replace_refused),
		cmocka_unit_test(test_install_link),
		cmocka_unit_test(test_install_plain),
		cmocka_unit_test(test_install_link_refused),
		cmocka_unit_test(test_install_link_other_owner),
		cmocka_unit_test(test_symlink_replace),
		cmocka_unit_test(test_mkdir_private),
		cmocka_unit_test(test_create_private),
		cmocka_unit_test(test_read_regular),
	};

	if (geteuid() != 0) {
		/* chown to another owner needs root: the tests say so rather than fail */
		printf("SKIP: test_fsutil: needs root (chown to uid %d)\n", OTHER_UID);
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
