/*
 * fsutil.h - every file certrotate writes, and the files it must read
 * without being fooled (SPEC 7.2 and 9).
 *
 * The rules these functions keep, so that callers need not:
 * - Content is never written in place.  It goes to a temporary file created
 *   O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, in the destination's own
 *   directory (".NAME.PID.tmp", then random suffixes when that name is
 *   taken - by a crashed run's leftover or by a planted symlink, which is
 *   never followed nor removed), written, fsync'd, given its final owner and
 *   mode, renamed into place, and the directory fsync'd.  A reader of the
 *   destination sees the old content or the new, never a mix; after a
 *   crash, at worst a ".NAME.*.tmp" file is left beside it.
 * - The final component of a destination is never followed: a symbolic
 *   link found there is either refused, replaced as a link (the certbot
 *   layout: cr_fs_install), or replaced by the file (the tool's private
 *   files) - never written through.
 * - Directories of the tool's own (archive, state) are 0700 and must be
 *   owned by the caller and writable by nobody else.
 *
 * Status: a destination that cannot be written is CR_EENV (3) with reason
 * CR_R_IO, CR_R_NOT_REGULAR (a symlink, directory, FIFO where a file or a
 * directory is expected) or CR_R_OBJECT_EXISTS (cr_fs_create_private: the
 * name is taken).  A file that cannot be read is CR_EINPUT (2), as with
 * cr_read_file: CR_R_NOT_FOUND, CR_R_NOT_REGULAR, CR_R_TOO_LARGE or CR_R_IO.
 * Messages name the path.
 */
#ifndef CR_FSUTIL_H
#define CR_FSUTIL_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "err.h"

/* Owner and mode of what cr_fs_replace / cr_fs_install write. */
enum cr_fs_mode {
	/*
	 * A certificate: the existing file's permission bits (0777 part;
	 * set-id and sticky bits dropped), owner and group are kept; a file
	 * that did not exist is 0644, owned by the caller.
	 */
	CR_FS_KEEP,
	/*
	 * A private key: as CR_FS_KEEP (so a key is never wider than 0600
	 * unless the existing file was, e.g. 0640 root:ssl-cert), but a file
	 * that did not exist is 0600.
	 */
	CR_FS_KEY,
	/*
	 * The tool's own files (materialised PEMs, archive copies): always
	 * 0600 and owned by the caller, whatever was there; a symlink at the
	 * path is replaced by the file, never followed.
	 */
	CR_FS_PRIVATE,
};

/*
 * Replaces the content of `path` with the `len` bytes at `data`, atomically
 * (see above), owner and mode by `mode`.  `path` may not exist yet (its
 * directory must).  Refused, changing nothing: a directory, FIFO or device
 * at `path`; with CR_FS_KEEP / CR_FS_KEY a symbolic link at `path` (use
 * cr_fs_install); an owner that cannot be kept (not root): CR_R_IO.
 */
int cr_fs_replace(const char *path, const void *data, size_t len, enum cr_fs_mode mode,
    struct cr_err *err);

/* What cr_fs_install wrote where: for the journal and for rollback. */
struct cr_fs_install {
	char *written;	/* the file now holding the content: the path itself, or the new file beside the link's old target */
	char *previous;	/* the file that held the old content: the path, or the link's old target (kept on disk); NULL when there was none */
	char *link_old;	/* a symlinked path: the link's text before ("../../archive/x/cert1.pem"); NULL otherwise */
	char *link_new;	/* the link's text now ("../../archive/x/cert2.pem"); NULL otherwise */
};
/* Frees the strings and zeroes *r; r may be NULL. */
void cr_fs_install_release(struct cr_fs_install *r);

/*
 * Installs `data` at `path` the way its layout asks:
 * - a regular file, or nothing: cr_fs_replace (written = previous = path:
 *   the old content is gone, so archive it first - cr_fs_read_regular, then
 *   cr_fs_create_private into the archive);
 * - a symbolic link (certbot's live/NAME/cert.pem -> ../../archive/NAME/cert1.pem):
 *   the link's target must be a regular file (one level: a link to a link
 *   is refused), and the link root's, the caller's or its target's owner's
 *   (a link another user planted to someone else's file: CR_R_NOT_REGULAR).
 *   A new file is written beside the target, with the target's owner and
 *   mode by `mode`, under the next free number when the target's name is
 *   numbered (cert1.pem -> cert2.pem, cert3.pem if cert2.pem
 *   is taken; the number is the digits ending the name before its
 *   extension, zero padding kept), else as NAME-1.EXT, NAME-2.EXT, ...; the
 *   name is claimed without replacing anything (renameat2 RENAME_NOREPLACE).
 *   Then the link is repointed atomically (cr_fs_symlink_replace), keeping
 *   its relative or absolute form.  The old target stays on disk, for
 *   rollback: repoint the link to link_old.
 * *res is zeroed on entry and filled on success; release it with
 * cr_fs_install_release.  On failure nothing is changed (a new file
 * written beside the target is removed again).  A crash between the new
 * file and the link's repointing leaves the new file unreferenced; the
 * next install takes the next number.
 */
int cr_fs_install(const char *path, const void *data, size_t len, enum cr_fs_mode mode,
    struct cr_fs_install *res, struct cr_err *err);

/*
 * What cr_fs_install(path, ..., mode, ...) would do now, found without
 * writing anything: what `plan` says it will write where.  Owner and mode
 * are those cr_fs_install would give; the numbered file beside a link's
 * target is the first name free now (another may take it before the
 * install, which then takes the next).
 */
struct cr_fs_preview {
	int exists;		/* something is at path now (a file, or a link) */
	int link;		/* path is a symbolic link (certbot's live/NAME/cert.pem) */
	char *link_text;	/* its text now ("../../archive/x/cert1.pem"), else NULL */
	char *link_new;		/* its text after the install ("../../archive/x/cert2.pem"), else NULL */
	char *target;		/* the file holding the content now: path, or the link's
				   target (its directory resolved); NULL when nothing is there */
	char *written;		/* the file the install writes: path, or the new numbered file
				   beside the target */
	unsigned perm;		/* the permission bits given to it (0644, 0600, 0640, ...) */
	long uid, gid;		/* its owner */
	int owner_kept;		/* 1: uid/gid are the existing file's; 0: the caller's */
};
/*
 * Fills *p (zeroed here; cr_fs_preview_release it either way).  Refused as
 * cr_fs_install would refuse (CR_EENV, the same reasons and messages): a
 * directory, FIFO or device at path, a link to a link or to what is not a
 * regular file, a link whose target is missing.
 */
int cr_fs_install_preview(const char *path, enum cr_fs_mode mode, struct cr_fs_preview *p,
    struct cr_err *err);
void cr_fs_preview_release(struct cr_fs_preview *p);

/*
 * Makes `linkpath` a symbolic link to `target` (the link's text, verbatim),
 * atomically: a symlink created at a temporary name beside it, renamed over
 * it, the directory fsync'd.  `linkpath` must be a symbolic link or not
 * exist: anything else is refused (CR_R_NOT_REGULAR), changing nothing.
 */
int cr_fs_symlink_replace(const char *linkpath, const char *target, struct cr_err *err);

/*
 * Makes sure `path` is a private directory: creates it 0700 when missing
 * (and its missing parents, 0700 too), then checks without following a
 * symlink that it is a directory (a symlink or anything else: CR_R_NOT_REGULAR),
 * owned by the caller (effective uid) and not writable by group or others
 * (CR_R_IO).  An existing directory that is readable by others is accepted
 * (the operator's choice; it is not changed).
 */
int cr_fs_mkdir_private(const char *path, struct cr_err *err);

/*
 * The checks of cr_fs_mkdir_private on an existing `path`, creating
 * nothing: missing is CR_EENV with reason CR_R_NOT_FOUND.  Before reading
 * back what was kept in a private directory (a rollback's archive).
 */
int cr_fs_check_private(const char *path, struct cr_err *err);

/*
 * Creates the private file `path` (0600, owned by the caller) holding `data`:
 * written to a temporary file, fsync'd, then given its name only if nothing
 * is there (renameat2 RENAME_NOREPLACE, never following a symlink), the
 * directory fsync'd.  A name already taken - by a file, a symlink, anything -
 * is CR_EENV with reason CR_R_OBJECT_EXISTS, nothing changed.  For archive
 * copies that must never overwrite an earlier copy; use cr_fs_replace with
 * CR_FS_PRIVATE to replace one.
 */
int cr_fs_create_private(const char *path, const void *data, size_t len, struct cr_err *err);

/*
 * Reading untrusted files: never waits, never opens what is not a regular
 * file.  The path is stat()ed first (opening a FIFO waits for a writer,
 * opening a device can act), opened O_NONBLOCK (a FIFO put in its place
 * meanwhile does not block the open), fstat'd, refused unless a regular
 * file, then switched back to blocking.  Errors are CR_EINPUT, the file
 * named `shown` (the path as the user wrote it; NULL: `path`):
 *   CR_R_NOT_FOUND, CR_R_IO          "cannot read 'x': No such file or directory"
 *   CR_R_NOT_REGULAR                 "cannot read 'x': is a FIFO, not a regular file"
 *   CR_R_TOO_LARGE                   "cannot read 'x': larger than the limit of N bytes"
 */

/* Flags of cr_fs_open_regular / cr_fs_read_regular. */
enum {
	CR_FS_NOFOLLOW = 1,	/* refuse a symbolic link as the final component */
};

/* "a FIFO", "a directory", "a character device", ... for messages. */
const char *cr_file_kind(mode_t mode);

/*
 * CR_OK when `path` (links followed) is a regular file; it is stat()ed,
 * never opened.  Else `status` with "<what> '<shown>': is a FIFO, not a
 * regular file" (CR_R_NOT_REGULAR) or "<what> '<shown>': <strerror>"
 * (CR_R_NOT_FOUND, CR_R_IO).  For paths handed to something that opens them
 * itself (dlopen of a PKCS#11 module) or listed in a directory.
 */
int cr_check_regular(const char *path, const char *what, const char *shown, int status,
    struct cr_err *err);

/*
 * Opens `path` read-only as above; with CR_FS_NOFOLLOW a symlink is
 * CR_R_NOT_REGULAR too.  *fd is -1 on entry; close() it.  *st (may be NULL)
 * is the open file's fstat, or on CR_R_NOT_REGULAR what stands there
 * instead (cr_file_kind of its mode); zeroed when nothing could be stat()ed.
 */
int cr_fs_open_regular(const char *path, const char *shown, int flags, int *fd, struct stat *st,
    struct cr_err *err);

/*
 * Reads from `fd` (named `path` in messages) to its end, at most `max`
 * bytes (more: CR_EINPUT / CR_R_TOO_LARGE) into a new NUL-terminated buffer
 * (the NUL not counted in *len).  *out is NULL on entry; free() it (a
 * buffer given up on is wiped first: it may have held a key).
 */
int cr_fs_read_fd(int fd, const char *path, size_t max, unsigned char **out, size_t *len,
    struct cr_err *err);

/* cr_fs_open_regular, then cr_fs_read_fd, then close: the one way to read a file. */
int cr_fs_read_regular(const char *path, const char *shown, int flags, size_t max,
    unsigned char **out, size_t *len, struct cr_err *err);

/* cr_fs_read_regular(path, path, 0, max, ...). */
int cr_read_file(const char *path, size_t max, unsigned char **out, size_t *len,
    struct cr_err *err);

/*
 * Writes all n bytes at p to fd, retrying short writes and EINTR.  0, or -1
 * with errno set.
 */
int cr_fs_write_all(int fd, const void *p, size_t n);

/* fsync of the directory `dir` (that a rename or a creation in it is durable). */
int cr_fs_fsync_dir(const char *dir, struct cr_err *err);

#endif
