/*
 * testfs.h - scratch files in unit tests: a private temp dir under $WORK,
 * whole-file reads and writes.  Header-only; include it after cmocka.h.
 */
#ifndef TESTFS_H
#define TESTFS_H

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/fsutil.h"
#include "../../common/util.h"

/* A new directory NAME.XXXXXX under $WORK (else /tmp), canonical (realpath); free() it. */
static inline char *
tf_tmpdir(const char *name)
{
	const char *w = getenv("WORK");
	char *t = cr_xasprintf("%s/%s.XXXXXX", w != NULL && *w ? w : "/tmp", name), *real;

	assert_non_null(mkdtemp(t));
	real = realpath(t, NULL);
	assert_non_null(real);
	free(t);
	t = cr_xstrdup(real);
	free(real);
	return t;
}

static inline void
tf_rmrf(const char *d)
{
	char *cmd = cr_xasprintf("rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* Writes n bytes (n == (size_t)-1: strlen) to path, created or truncated, then chmod mode. */
static inline void
tf_put(const char *path, const char *text, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (n == (size_t)-1)
		n = strlen(text);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* The content of the regular file path (NUL-terminated; *n its length, n may be NULL); free() it. */
static inline char *
tf_slurp(const char *path, size_t *n)
{
	unsigned char *b;
	size_t len;
	struct cr_err err;

	if (cr_fs_read_regular(path, NULL, 0, 1 << 30, &b, &len, &err) != CR_OK)
		fail_msg("%s", err.msg);
	if (n != NULL)
		*n = len;
	return (char *)b;
}

#endif
