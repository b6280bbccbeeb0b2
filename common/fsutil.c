#include "fsutil.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "util.h"

/* How many names a temporary file, or a numbered file beside a link target, may try. */
#define TMP_TRIES 100
#define NUMBER_TRIES 1000
/* A temporary name holds at most this much of the destination's name (NAME_MAX is 255). */
#define TMP_BASE_MAX 200

const char *
cr_file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISREG(m))
		return "a regular file";
	return "not a file";
}

int
cr_fs_write_all(int fd, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Splits path into its directory and last component.  A path ending in '/'
 * has no file name: -1.
 */
static int
split_path(const char *path, char **dir, char **base)
{
	const char *slash = strrchr(path, '/');
	const char *b = slash != NULL ? slash + 1 : path;

	*dir = NULL;
	*base = NULL;
	if (*b == '\0' || strcmp(b, ".") == 0 || strcmp(b, "..") == 0)
		return -1;
	*dir = cr_path_dirname(path);
	*base = cr_xstrdup(b);
	return 0;
}

/*
 * The attempt-th temporary name for `base` in `dir`: ".BASE.PID.tmp" first
 * (predictable, so a test can plant a symlink there), then random suffixes.
 * O_EXCL / symlink() / RENAME_NOREPLACE make any name safe; the randomness
 * only keeps a planted name from blocking us.
 */
static char *
tmp_name(const char *dir, const char *base, int attempt, const char *ext)
{
	unsigned long long rnd;

	if (attempt == 0)
		return cr_xasprintf("%s/.%.*s.%ld.%s", dir, TMP_BASE_MAX, base, (long)getpid(), ext);
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd = (unsigned long long)time(NULL) * 2654435761u + (unsigned)attempt;
	return cr_xasprintf("%s/.%.*s.%ld.%016llx.%s", dir, TMP_BASE_MAX, base, (long)getpid(), rnd,
	    ext);
}

/* Owner and permission bits of a file about to replace one with stat *old (NULL: none). */
struct meta {
	int chown;	/* 1: fchown to uid/gid */
	uid_t uid;
	gid_t gid;
	mode_t perm;
};

static struct meta
meta_for(const struct stat *old, enum cr_fs_mode mode)
{
	struct meta m = { 0, 0, 0, 0600 };

	if (mode == CR_FS_PRIVATE)
		return m;
	if (old == NULL) {
		m.perm = mode == CR_FS_KEY ? 0600 : 0644;
		return m;
	}
	m.perm = old->st_mode & 0777;
	if (old->st_uid != geteuid() || old->st_gid != getegid()) {
		m.chown = 1;
		m.uid = old->st_uid;
		m.gid = old->st_gid;
	}
	return m;
}

/*
 * Writes data to a new temporary file in dir (named after base), gives it
 * m's owner and mode, fsyncs and closes it.  *tmp is the new file's path
 * (free() it); on failure nothing is left behind.
 */
static int
write_temp(const char *dir, const char *base, const void *data, size_t len, struct meta m,
    char **tmp, struct cr_err *err)
{
	int fd = -1, i, r = CR_EENV;
	char *t = NULL;

	*tmp = NULL;
	for (i = 0; i < TMP_TRIES && fd < 0; i++) {
		free(t);
		t = tmp_name(dir, base, i, "tmp");
		fd = open(t, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST) {
			cr_err_setr(err, CR_EENV, CR_R_IO, "cannot create a temporary file in '%s': %s",
			    dir, strerror(errno));
			goto out;
		}
	}
	if (fd < 0) {
		cr_err_setr(err, CR_EENV, CR_R_IO,
		    "cannot create a temporary file in '%s': %d names taken", dir, TMP_TRIES);
		goto out;
	}
	/* Owner before mode: the file stays 0600 until both are right. */
	if (cr_fs_write_all(fd, data, len) != 0 || (m.chown && fchown(fd, m.uid, m.gid) != 0) ||
	    fchmod(fd, m.perm) != 0 || fsync(fd) != 0) {
		int e = errno;
		if (m.chown && e == EPERM)
			cr_err_setr(err, CR_EENV, CR_R_IO,
			    "cannot write '%s/%s': cannot keep its owner %ld:%ld: %s", dir, base,
			    (long)m.uid, (long)m.gid, strerror(e));
		else
			cr_err_setr(err, CR_EENV, CR_R_IO, "cannot write '%s': %s", t, strerror(e));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		cr_err_setr(err, CR_EENV, CR_R_IO, "cannot write '%s': %s", t, strerror(errno));
		goto out;
	}
	fd = -1;
	*tmp = t;
	t = NULL;
	r = CR_OK;
out:
	if (fd >= 0)
		close(fd);
	if (t != NULL && r != CR_OK)
		unlink(t);
	free(t);
	return r;
}

int
cr_fs_fsync_dir(const char *dir, struct cr_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = CR_OK;

	if (fd < 0 || fsync(fd) != 0)
		r = cr_err_setr(err, CR_EENV, CR_R_IO, "cannot sync directory '%s': %s", dir,
		    strerror(errno));
	if (fd >= 0)
		close(fd);
	return r;
}

/* Renames tmp over dst in dir (removing tmp when that fails), then makes it durable. */
static int
rename_into(const char *tmp, const char *dst, const char *dir, struct cr_err *err)
{
	if (rename(tmp, dst) != 0) {
		int e = errno;
		unlink(tmp);
		return cr_err_setr(err, CR_EENV, CR_R_IO, "cannot replace '%s': %s", dst, strerror(e));
	}
	return cr_fs_fsync_dir(dir, err);
}

int
cr_fs_replace(const char *path, const void *data, size_t len, enum cr_fs_mode mode,
    struct cr_err *err)
{
	char *dir = NULL, *base = NULL, *tmp = NULL;
	struct stat st;
	int r = CR_EENV, exists = 0;

	if (split_path(path, &dir, &base) != 0) {
		cr_err_setr(err, CR_EENV, CR_R_NOT_REGULAR, "cannot write '%s': not a file name", path);
		goto out;
	}
	if (lstat(path, &st) == 0) {
		exists = 1;
		if (S_ISLNK(st.st_mode) && mode == CR_FS_PRIVATE) {
			exists = 0;	/* replaced by our file, never followed */
		} else if (!S_ISREG(st.st_mode)) {
			cr_err_setr(err, CR_EENV, CR_R_NOT_REGULAR, "cannot write '%s': it is %s", path,
			    cr_file_kind(st.st_mode));
			goto out;
		}
	} else if (errno != ENOENT) {
		cr_err_setr(err, CR_EENV, CR_R_IO, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	if ((r = write_temp(dir, base, data, len, meta_for(exists ? &st : NULL, mode), &tmp, err)) !=
	    CR_OK)
		goto out;
	r = rename_into(tmp, path, dir, err);
out:
	free(dir);
	free(base);
	free(tmp);
	return r;
}

void
cr_fs_install_release(struct cr_fs_install *r)
{
	if (r == NULL)
		return;
	free(r->written);
	free(r->previous);
	free(r->link_old);
	free(r->link_new);
	memset(r, 0, sizeof(*r));
}

/*
 * The k-th (k >= 1) name after `base`: the number ending its stem plus k,
 * same zero padding (cert1.pem -> cert2.pem, cert09.pem -> cert10.pem), or
 * STEM-k.EXT when the stem ends in no number (at most 9 digits count).
 */
static char *
numbered_name(const char *base, unsigned k)
{
	const char *ext = strrchr(base, '.');
	size_t stem, d;

	if (ext == NULL || ext == base)
		ext = base + strlen(base);
	stem = (size_t)(ext - base);
	for (d = stem; d > 0 && isdigit((unsigned char)base[d - 1]); d--)
		;
	if (stem - d >= 1 && stem - d <= 9) {
		unsigned long n = strtoul(base + d, NULL, 10);
		return cr_xasprintf("%.*s%0*lu%s", (int)d, base, (int)(stem - d), n + k, ext);
	}
	return cr_xasprintf("%.*s-%u%s", (int)stem, base, k, ext);
}

/* Gives the temporary file tmp the first free numbered name after base in dir. */
static int
claim_numbered(const char *dir, const char *base, const char *tmp, char **newbase,
    struct cr_err *err)
{
	unsigned k;

	*newbase = NULL;
	for (k = 1; k <= NUMBER_TRIES; k++) {
		char *nb = numbered_name(base, k);
		char *np = cr_xasprintf("%s/%s", dir, nb);
		int rc = renameat2(AT_FDCWD, tmp, AT_FDCWD, np, RENAME_NOREPLACE);
		if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
			/* a file system without RENAME_NOREPLACE: link() never replaces either */
			rc = link(tmp, np);
			if (rc == 0)
				unlink(tmp);
		}
		free(np);
		if (rc == 0) {
			*newbase = nb;
			return CR_OK;
		}
		free(nb);
		if (errno != EEXIST)
			return cr_err_setr(err, CR_EENV, CR_R_IO, "cannot create a file beside '%s/%s': %s",
			    dir, base, strerror(errno));
	}
	return cr_err_setr(err, CR_EENV, CR_R_IO, "cannot create a file beside '%s/%s': %d names taken",
	    dir, base, NUMBER_TRIES);
}

/* Where a symbolic link `path` leads, as cr_fs_install follows it (one level). */
struct link_target {
	char text[PATH_MAX];	/* the link's text */
	char *dir;		/* its target's directory, as the kernel resolves it (owned) */
	char *base;		/* its target's name (owned) */
	struct stat st;		/* the target's */
};

static void
link_target_release(struct link_target *t)
{
	free(t->dir);
	free(t->base);
	t->dir = t->base = NULL;
}

/*
 * Whether the link `path` to t's target may be followed: certbot's links
 * are root's (or ours), and point at root's files; a link planted by
 * another user (in a directory that user may write) must not make us create
 * files beside a target of someone else's - /etc/passwd-1, root's, 0644 -
 * nor repoint the link there.  As the kernel's protected_symlinks: the link
 * is followed when it is ours or root's, or when its owner owns the target.
 */
static int
link_trusted(const char *path, const struct link_target *t, struct cr_err *err)
{
	struct stat ls;

	if (lstat(path, &ls) != 0)
		return cr_err_setr(err, CR_EENV, CR_R_IO, "cannot write '%s': %s", path,
		    strerror(errno));
	if (!S_ISLNK(ls.st_mode))	/* replaced meanwhile: the caller's lstat decides again */
		return cr_err_setr(err, CR_EENV, CR_R_NOT_REGULAR, "cannot write '%s': it changed "
		    "while it was read (%s now)", path, cr_file_kind(ls.st_mode));
	if (ls.st_uid == geteuid() || ls.st_uid == 0 || ls.st_uid == t->st.st_uid)
		return CR_OK;
	return cr_err_setr(err, CR_EENV, CR_R_NOT_REGULAR, "cannot write '%s': it links to '%s', "
	    "a file of uid %ld, but the link is uid %ld's: not followed (a link another user may "
	    "have planted; certbot's links are root's)", path, t->text, (long)t->st.st_uid,
	    (long)ls.st_uid);
}

/*
 * Reads the link `path` into *t: its target must be a regular file (a link
 * to a link, a directory, a FIFO is refused: CR_R_NOT_REGULAR; a missing
 * target CR_R_NOT_FOUND).  t->dir and t->base are NULL on entry and on
 * failure.
 */
static int
link_target(const char *path, struct link_target *t, struct cr_err *err)
{
	char *linkdir = NULL, *target = NULL, *dir = NULL;
	ssize_t n;
	int r = CR_EENV;

	t->dir = t->base = NULL;
	n = readlink(path, t->text, sizeof(t->text));
	if (n < 0 || (size_t)n >= sizeof(t->text))
		return cr_err_setr(err, CR_EENV, CR_R_IO, "cannot read symbolic link '%s': %s", path,
		    n < 0 ? strerror(errno) : "too long");
	t->text[n] = '\0';
	linkdir = cr_path_dirname(path);
	target = cr_path_resolve(linkdir, t->text);
	if (lstat(target, &t->st) != 0) {
		cr_err_setr(err, CR_EENV, errno == ENOENT ? CR_R_NOT_FOUND : CR_R_IO,
		    "cannot write '%s': it links to '%s': %s", path, t->text, strerror(errno));
		goto out;
	}
	if (!S_ISREG(t->st.st_mode)) {
		cr_err_setr(err, CR_EENV, CR_R_NOT_REGULAR, "cannot write '%s': it links to '%s', %s",
		    path, t->text, cr_file_kind(t->st.st_mode));
		goto out;
	}
	if ((r = link_trusted(path, t, err)) != CR_OK)
		goto out;
	r = CR_EENV;
	if (split_path(target, &dir, &t->base) != 0) {
		cr_err_setr(err, CR_EENV, CR_R_NOT_REGULAR, "cannot write '%s': it links to '%s'",
		    path, t->text);
		goto out;
	}
	/* "live/../archive" as the kernel resolves it (live may itself be a link) */
	if ((t->dir = realpath(dir, NULL)) == NULL) {
		cr_err_setr(err, CR_EENV, CR_R_IO, "cannot write '%s': '%s': %s", path, dir,
		    strerror(errno));
		goto out;
	}
	r = CR_OK;
out:
	if (r != CR_OK)
		link_target_release(t);
	free(linkdir);
	free(target);
	free(dir);
	return r;
}

/* The link's text after it is repointed at newbase: the same directory text, the new name. */
static char *
link_text_for(const char *text, const char *newbase)
{
	const char *slash = strrchr(text, '/');

	return cr_xasprintf("%.*s%s", slash != NULL ? (int)(slash - text + 1) : 0, text, newbase);
}

/* cr_fs_install for a path that is a symbolic link (see the header). */
static int
install_via_link(const char *path, const void *data, size_t len, enum cr_fs_mode mode,
    struct cr_fs_install *res, struct cr_err *err)
{
	char *tmp = NULL, *newbase = NULL, *newpath = NULL, *newtext = NULL;
	struct link_target t;
	int r;

	if ((r = link_target(path, &t, err)) != CR_OK)
		return r;
	if ((r = write_temp(t.dir, t.base, data, len, meta_for(&t.st, mode), &tmp, err)) != CR_OK)
		goto out;
	if ((r = claim_numbered(t.dir, t.base, tmp, &newbase, err)) != CR_OK) {
		unlink(tmp);
		goto out;
	}
	newpath = cr_xasprintf("%s/%s", t.dir, newbase);
	newtext = link_text_for(t.text, newbase);
	if ((r = cr_fs_fsync_dir(t.dir, err)) != CR_OK ||
	    (r = cr_fs_symlink_replace(path, newtext, err)) != CR_OK) {
		unlink(newpath);
		goto out;
	}
	res->written = newpath;
	res->previous = cr_xasprintf("%s/%s", t.dir, t.base);
	res->link_old = cr_xstrdup(t.text);
	res->link_new = newtext;
	newpath = newtext = NULL;
	r = CR_OK;
out:
	link_target_release(&t);
	free(tmp);
	free(newbase);
	free(newpath);
	free(newtext);
	return r;
}

int
cr_fs_install(const char *path, const void *data, size_t len, enum cr_fs_mode mode,
    struct cr_fs_install *res, struct cr_err *err)
{
	struct stat st;
	int r, existed;

	memset(res, 0, sizeof(*res));
	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			return install_via_link(path, data, len, mode, res, err);
		existed = 1;
	} else if (errno == ENOENT) {
		existed = 0;
	} else {
		return cr_err_setr(err, CR_EENV, CR_R_IO, "cannot write '%s': %s", path,
		    strerror(errno));
	}
	if ((r = cr_fs_replace(path, data, len, mode, err)) != CR_OK)
		return r;
	res->written = cr_xstrdup(path);
	res->previous = existed ? cr_xstrdup(path) : NULL;
	return CR_OK;
}

void
cr_fs_preview_release(struct cr_fs_preview *p)
{
	if (p == NULL)
		return;
	free(p->link_text);
	free(p->link_new);
	free(p->target);
	free(p->written);
	memset(p, 0, sizeof(*p));
}

static void
preview_meta(struct cr_fs_preview *p, const struct stat *st, enum cr_fs_mode mode)
{
	struct meta m = meta_for(st, mode);

	p->perm = (unsigned)m.perm;
	p->owner_kept = m.chown || (st != NULL && mode != CR_FS_PRIVATE);
	p->uid = m.chown ? (long)m.uid : (long)geteuid();
	p->gid = m.chown ? (long)m.gid : (long)getegid();
}

/* cr_fs_install_preview of a symbolic link: as install_via_link decides, nothing written. */
static int
preview_link(const char *path, enum cr_fs_mode mode, struct cr_fs_preview *p, struct cr_err *err)
{
	struct link_target t;
	char *nb = NULL;
	unsigned k;
	int r;

	if ((r = link_target(path, &t, err)) != CR_OK)
		return r;
	p->link_text = cr_xstrdup(t.text);
	/* the name claim_numbered would take now */
	for (k = 1; k <= NUMBER_TRIES && p->written == NULL; k++) {
		struct stat other;
		char *np;

		free(nb);
		nb = numbered_name(t.base, k);
		np = cr_xasprintf("%s/%s", t.dir, nb);
		if (lstat(np, &other) != 0 && errno == ENOENT)
			p->written = np;
		else
			free(np);
	}
	if (p->written == NULL) {
		r = cr_err_setr(err, CR_EENV, CR_R_IO, "cannot create a file beside '%s/%s': %d names "
		    "taken", t.dir, t.base, NUMBER_TRIES);
	} else {
		p->target = cr_xasprintf("%s/%s", t.dir, t.base);
		p->link_new = link_text_for(t.text, nb);
		preview_meta(p, &t.st, mode);
	}
	free(nb);
	link_target_release(&t);
	return r;
}

int
cr_fs_install_preview(const char *path, enum cr_fs_mode mode, struct cr_fs_preview *p,
    struct cr_err *err)
{
	char *dir = NULL, *base = NULL;
	struct stat st;
	int r = CR_OK;

	memset(p, 0, sizeof(*p));
	if (split_path(path, &dir, &base) != 0) {
		r = cr_err_setr(err, CR_EENV, CR_R_NOT_REGULAR, "cannot write '%s': not a file name",
		    path);
	} else if (lstat(path, &st) == 0) {
		p->exists = 1;
		if (S_ISLNK(st.st_mode)) {
			p->link = 1;
			r = preview_link(path, mode, p, err);
		} else if (!S_ISREG(st.st_mode)) {
			r = cr_err_setr(err, CR_EENV, CR_R_NOT_REGULAR, "cannot write '%s': it is %s",
			    path, cr_file_kind(st.st_mode));
		} else {
			p->target = cr_xstrdup(path);
			p->written = cr_xstrdup(path);
			preview_meta(p, &st, mode);
		}
	} else if (errno == ENOENT) {
		p->written = cr_xstrdup(path);
		preview_meta(p, NULL, mode);
	} else {
		r = cr_err_setr(err, CR_EENV, CR_R_IO, "cannot write '%s': %s", path, strerror(errno));
	}
	free(dir);
	free(base);
	return r;
}

int
cr_fs_symlink_replace(const char *linkpath, const char *target, struct cr_err *err)
{
	char *dir = NULL, *base = NULL, *tmp = NULL;
	struct stat st;
	int r = CR_EENV, i, made = 0;

	if (split_path(linkpath, &dir, &base) != 0) {
		cr_err_setr(err, CR_EENV, CR_R_NOT_REGULAR, "cannot write '%s': not a file name",
		    linkpath);
		goto out;
	}
	if (lstat(linkpath, &st) == 0 && !S_ISLNK(st.st_mode)) {
		cr_err_setr(err, CR_EENV, CR_R_NOT_REGULAR,
		    "cannot repoint '%s': it is %s, not a symbolic link", linkpath,
		    cr_file_kind(st.st_mode));
		goto out;
	}
	for (i = 0; i < TMP_TRIES && !made; i++) {
		free(tmp);
		tmp = tmp_name(dir, base, i, "lnk");
		if (symlink(target, tmp) == 0)
			made = 1;
		else if (errno != EEXIST) {
			cr_err_setr(err, CR_EENV, CR_R_IO, "cannot create a symbolic link in '%s': %s",
			    dir, strerror(errno));
			goto out;
		}
	}
	if (!made) {
		cr_err_setr(err, CR_EENV, CR_R_IO, "cannot create a symbolic link in '%s': %d names taken",
		    dir, TMP_TRIES);
		goto out;
	}
	r = rename_into(tmp, linkpath, dir, err);
out:
	free(dir);
	free(base);
	free(tmp);
	return r;
}

/* mkdir -p with mode 0700 for every directory made; depth bounds the recursion. */
static int
mkdir_parents(const char *path, int depth, struct cr_err *err)
{
	char *parent;
	int r;

	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return CR_OK;
	if (errno != ENOENT || depth > 64)
		return cr_err_setr(err, CR_EENV, CR_R_IO, "cannot create directory '%s': %s", path,
		    strerror(errno));
	parent = cr_path_dirname(path);
	if (strcmp(parent, path) == 0) {
		free(parent);
		return cr_err_setr(err, CR_EENV, CR_R_IO, "cannot create directory '%s': %s", path,
		    strerror(ENOENT));
	}
	r = mkdir_parents(parent, depth + 1, err);
	free(parent);
	if (r != CR_OK)
		return r;
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return cr_err_setr(err, CR_EENV, CR_R_IO, "cannot create directory '%s': %s", path,
		    strerror(errno));
	return CR_OK;
}

/* "dir/" would make open() follow a symlink "dir": path without trailing slashes. New string. */
static char *
strip_slashes(const char *path)
{
	char *p = cr_xstrdup(path);
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	return p;
}

int
cr_fs_mkdir_private(const char *path, struct cr_err *err)
{
	char *p = strip_slashes(path);
	int r;

	if ((r = mkdir_parents(p, 0, err)) == CR_OK)
		r = cr_fs_check_private(path, err);
	free(p);
	return r;
}

int
cr_fs_check_private(const char *path, struct cr_err *err)
{
	char *p = strip_slashes(path);
	struct stat st;
	int fd = -1, r = CR_EENV;

	fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if ((errno == ELOOP || errno == ENOTDIR) && lstat(p, &st) == 0)
			cr_err_setr(err, CR_EENV, CR_R_NOT_REGULAR,
			    "cannot use '%s' as a private directory: it is %s", path,
			    cr_file_kind(st.st_mode));
		else
			cr_err_setr(err, CR_EENV, errno == ENOENT ? CR_R_NOT_FOUND : CR_R_IO,
			    "cannot open directory '%s': %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		cr_err_setr(err, CR_EENV, CR_R_IO, "cannot open directory '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	if (st.st_uid != geteuid()) {
		cr_err_setr(err, CR_EENV, CR_R_IO,
		    "cannot use '%s' as a private directory: it is owned by uid %ld, not %ld", path,
		    (long)st.st_uid, (long)geteuid());
		goto out;
	}
	if (st.st_mode & 022) {
		cr_err_setr(err, CR_EENV, CR_R_IO,
		    "cannot use '%s' as a private directory: it is writable by %s (mode %04o)", path,
		    (st.st_mode & 020) ? "its group" : "others", (unsigned)(st.st_mode & 07777));
		goto out;
	}
	r = CR_OK;
out:
	if (fd >= 0)
		close(fd);
	free(p);
	return r;
}

int
cr_fs_create_private(const char *path, const void *data, size_t len, struct cr_err *err)
{
	char *dir = NULL, *base = NULL, *tmp = NULL;
	struct meta m = { 0, 0, 0, 0600 };
	int r = CR_EENV, rc;

	if (split_path(path, &dir, &base) != 0) {
		cr_err_setr(err, CR_EENV, CR_R_NOT_REGULAR, "cannot write '%s': not a file name", path);
		goto out;
	}
	if ((r = write_temp(dir, base, data, len, m, &tmp, err)) != CR_OK)
		goto out;
	rc = renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE);
	if (rc != 0 && (errno == EINVAL || errno == ENOSYS))
		rc = link(tmp, path);	/* never replaces either */
	if (rc != 0) {
		int e = errno;
		r = cr_err_setr(err, CR_EENV, e == EEXIST ? CR_R_OBJECT_EXISTS : CR_R_IO,
		    "cannot create '%s': %s", path, strerror(e));
	}
	unlink(tmp);	/* after link(); a no-op after a rename that succeeded */
	if (rc != 0)
		goto out;
	r = cr_fs_fsync_dir(dir, err);
out:
	free(dir);
	free(base);
	free(tmp);
	return r;
}

int
cr_check_regular(const char *path, const char *what, const char *shown, int status,
    struct cr_err *err)
{
	struct stat st;

	/* stat, never open: opening a FIFO or a tape device can wait or act */
	if (stat(path, &st) != 0)
		return cr_err_setr(err, status, errno == ENOENT || errno == ENOTDIR ?
		    CR_R_NOT_FOUND : CR_R_IO, "%s '%s': %s", what, shown, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cr_err_setr(err, status, CR_R_NOT_REGULAR, "%s '%s': is %s, not a regular "
		    "file", what, shown, cr_file_kind(st.st_mode));
	return CR_OK;
}

int
cr_fs_open_regular(const char *path, const char *shown, int flags, int *fd, struct stat *stp,
    struct cr_err *err)
{
	int nofollow = (flags & CR_FS_NOFOLLOW) != 0;
	struct stat pre, st;
	int f, fl, e;

	*fd = -1;
	if (stp == NULL)
		stp = &st;
	memset(stp, 0, sizeof(*stp));
	if (shown == NULL)
		shown = path;
	/*
	 * Look before opening: opening a device can have effects of its own.
	 * Then check again on the descriptor: the name may have changed between
	 * (O_NONBLOCK: a FIFO put there meanwhile does not block the open).
	 */
	if ((nofollow ? lstat(path, &pre) : stat(path, &pre)) != 0)
		return cr_err_setr(err, CR_EINPUT, errno == ENOENT || errno == ENOTDIR ?
		    CR_R_NOT_FOUND : CR_R_IO, "cannot read '%s': %s", shown, strerror(errno));
	*stp = pre;
	if (!S_ISREG(pre.st_mode))
		return cr_err_setr(err, CR_EINPUT, CR_R_NOT_REGULAR, "cannot read '%s': is %s, not a "
		    "regular file", shown, cr_file_kind(pre.st_mode));
	f = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (nofollow ? O_NOFOLLOW : 0));
	if (f < 0)
		return cr_err_setr(err, CR_EINPUT,
		    errno == ENOENT ? CR_R_NOT_FOUND : errno == ELOOP ? CR_R_NOT_REGULAR : CR_R_IO,
		    "cannot read '%s': %s", shown, strerror(errno));
	if (fstat(f, stp) != 0) {
		e = errno;
		close(f);
		return cr_err_setr(err, CR_EINPUT, CR_R_IO, "cannot read '%s': %s", shown,
		    strerror(e));
	}
	if (!S_ISREG(stp->st_mode)) {
		close(f);
		return cr_err_setr(err, CR_EINPUT, CR_R_NOT_REGULAR, "cannot read '%s': is %s, not a "
		    "regular file", shown, cr_file_kind(stp->st_mode));
	}
	if ((fl = fcntl(f, F_GETFL)) < 0 || fcntl(f, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		e = errno;
		close(f);
		return cr_err_setr(err, CR_EINPUT, CR_R_IO, "cannot read '%s': %s", shown,
		    strerror(e));
	}
	*fd = f;
	return CR_OK;
}

int
cr_fs_read_fd(int fd, const char *path, size_t max, unsigned char **out, size_t *len,
    struct cr_err *err)
{
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0;
	struct stat st;
	int r = CR_EINPUT;

	*out = NULL;
	*len = 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max)
		goto toolarge;
	for (;;) {
		ssize_t got;
		cr_grow(&buf, &cap, n + 4096 + 1, 1);
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			cr_err_setr(err, CR_EINPUT, CR_R_IO, "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > max)
			goto toolarge;	/* it grew while read */
	}
	cr_grow(&buf, &cap, n + 1, 1);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
	r = CR_OK;
	goto out;
toolarge:
	cr_err_setr(err, CR_EINPUT, CR_R_TOO_LARGE, "cannot read '%s': larger than the limit of "
	    "%zu bytes", path, max);
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, cap);	/* may have held a key */
		free(buf);
	}
	return r;
}

int
cr_fs_read_regular(const char *path, const char *shown, int flags, size_t max,
    unsigned char **out, size_t *len, struct cr_err *err)
{
	int fd, r;

	*out = NULL;
	*len = 0;
	if (shown == NULL)
		shown = path;
	if ((r = cr_fs_open_regular(path, shown, flags, &fd, NULL, err)) != CR_OK)
		return r;
	r = cr_fs_read_fd(fd, shown, max, out, len, err);
	close(fd);
	return r;
}

int
cr_read_file(const char *path, size_t max, unsigned char **out, size_t *len,
    struct cr_err *err)
{
	return cr_fs_read_regular(path, path, 0, max, out, len, err);
}
