#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

static void
oom(void)
{
	fputs("certrotate: out of memory\n", stderr);
	abort();
}

void *
cr_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
cr_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
cr_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		oom();
	return q;
}

char *
cr_xstrdup(const char *s)
{
	char *d;
	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		oom();
	return d;
}

char *
cr_xstrndup(const char *s, size_t n)
{
	char *d = strndup(s, n);
	if (d == NULL)
		oom();
	return d;
}

char *
cr_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	return s;
}

void
cr_grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp;
	size_t ncap;

	if (need <= *cap)
		return;
	ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / size)
			oom();
		ncap *= 2;
	}
	*p = cr_xrealloc(*p, ncap * size);
	*cap = ncap;
}

void
cr_buf_add(struct cr_buf *b, const char *s, size_t n)
{
	cr_grow(&b->s, &b->cap, b->len + n + 1, 1);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
cr_buf_adds(struct cr_buf *b, const char *s)
{
	cr_buf_add(b, s, strlen(s));
}

void
cr_buf_addc(struct cr_buf *b, char c)
{
	cr_buf_add(b, &c, 1);
}

void
cr_buf_addf(struct cr_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	cr_buf_add(b, s, (size_t)n);
	free(s);
}

char *
cr_buf_detach(struct cr_buf *b)
{
	char *s = b->s ? b->s : cr_xstrdup("");
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

const char *
cr_buf_str(const struct cr_buf *b)
{
	return b->s ? b->s : "";
}

void
cr_buf_release(struct cr_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

const char *
cr_file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISREG(mode))
		return "a regular file";
	return "not a file";
}

int
cr_check_regular(const char *path, const char *what, const char *shown, int status,
    struct cr_err *err)
{
	struct stat st;
	char buf[128];

	/* stat, never open: opening a FIFO or a tape device can wait or act */
	if (stat(path, &st) != 0)
		return cr_err_setr(err, status, errno == ENOENT ? CR_R_NOT_FOUND : CR_R_IO,
		    "%s '%s': %s", what, shown, strerror_r(errno, buf, sizeof(buf)));
	if (!S_ISREG(st.st_mode))
		return cr_err_setr(err, status, CR_R_NOT_REGULAR, "%s '%s': is %s, not a regular "
		    "file", what, shown, cr_file_kind(st.st_mode));
	return CR_OK;
}

/*
 * Reads the regular file open on fd (at most max bytes) into a new buffer.
 * The size was checked by fstat already; the read is bounded all the same
 * (a file may grow while it is read).
 */
static int
read_fd(int fd, const char *path, size_t max, unsigned char **out, size_t *len,
    struct cr_err *err)
{
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0;
	char ebuf[128];

	for (;;) {
		ssize_t got;

		cr_grow(&buf, &cap, n + 4096 + 1, 1);
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			cr_err_setr(err, CR_EINPUT, CR_R_IO, "cannot read '%s': %s", path,
			    strerror_r(errno, ebuf, sizeof(ebuf)));
			break;
		}
		if (got == 0) {
			buf[n] = '\0';
			*out = buf;
			*len = n;
			return CR_OK;
		}
		n += (size_t)got;
		if (n > max) {
			cr_err_setr(err, CR_EINPUT, CR_R_TOO_LARGE, "cannot read '%s': larger than the "
			    "limit of %zu bytes", path, max);
			break;
		}
	}
	OPENSSL_cleanse(buf, cap);
	free(buf);
	return CR_EINPUT;
}

int
cr_read_file(const char *path, size_t max, unsigned char **out, size_t *len,
    struct cr_err *err)
{
	struct stat st;
	char ebuf[128];
	int fd, r;

	*out = NULL;
	*len = 0;
	if ((r = cr_check_regular(path, "cannot read", path, CR_EINPUT, err)) != CR_OK)
		return r;
	/*
	 * O_NONBLOCK: should a FIFO have been put in its place since the stat,
	 * the open returns at once (and fstat refuses it) instead of waiting for
	 * a writer.  Regular files ignore the flag.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return cr_err_setr(err, CR_EINPUT, errno == ENOENT ? CR_R_NOT_FOUND : CR_R_IO,
		    "cannot read '%s': %s", path, strerror_r(errno, ebuf, sizeof(ebuf)));
	if (fstat(fd, &st) != 0)
		r = cr_err_setr(err, CR_EINPUT, CR_R_IO, "cannot read '%s': %s", path,
		    strerror_r(errno, ebuf, sizeof(ebuf)));
	else if (!S_ISREG(st.st_mode))
		r = cr_err_setr(err, CR_EINPUT, CR_R_NOT_REGULAR, "cannot read '%s': is %s, not a "
		    "regular file", path, cr_file_kind(st.st_mode));
	else if (st.st_size < 0 || (unsigned long long)st.st_size > max)
		r = cr_err_setr(err, CR_EINPUT, CR_R_TOO_LARGE, "cannot read '%s': larger than the "
		    "limit of %zu bytes", path, max);
	else
		r = read_fd(fd, path, max, out, len, err);
	close(fd);
	return r;
}

/*
 * The first line of buf[0..len) as the secret: cut there, the rest wiped.
 * CR_EINPUT when it is empty or holds a NUL: either would be tried as a
 * PIN that is not the one meant ("" or the bytes before the NUL), and a
 * wrong PIN costs one of the token's tries.
 */
static int
first_line(unsigned char *buf, size_t len, const char *path, struct cr_err *err)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			break;
	if (i < len)
		OPENSSL_cleanse(buf + i, len - i);
	buf[i] = '\0';
	if (i == 0)
		return cr_err_setr(err, CR_EINPUT, CR_R_PIN_SOURCE, "cannot read '%s': its first "
		    "line is empty: no PIN or password in it", path);
	if (memchr(buf, '\0', i) != NULL)
		return cr_err_setr(err, CR_EINPUT, CR_R_PIN_SOURCE, "cannot read '%s': its first "
		    "line holds a NUL byte", path);
	return CR_OK;
}

/*
 * The secret piped on the standard input: its first line, read within
 * CR_STDIN_SECRET_MS.  Only a pipe, FIFO or regular file: a terminal would
 * echo the PIN, and nothing else is a way to hand one over.  Every read
 * follows a poll() that said the input is readable, so none waits.
 */
static int
read_stdin_secret(char **out, struct cr_err *err)
{
	unsigned char *buf = cr_xmalloc(CR_SECRET_MAX + 1);
	struct stat st;
	struct timespec t0, now;
	size_t n = 0;
	int r = CR_EINPUT;

	if (fstat(STDIN_FILENO, &st) != 0 || isatty(STDIN_FILENO) ||
	    !(S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode))) {
		cr_err_setr(err, CR_EINPUT, CR_R_NOT_REGULAR, "cannot read '/dev/stdin': the "
		    "standard input is %s; a secret is read from it only when piped in",
		    isatty(STDIN_FILENO) ? "a terminal" : cr_file_kind(st.st_mode));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (n <= CR_SECRET_MAX && memchr(buf, '\n', n) == NULL) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN, .revents = 0 };
		long long left;
		ssize_t got;
		int pr;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = CR_STDIN_SECRET_MS - ((long long)(now.tv_sec - t0.tv_sec) * 1000 +
		    (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || (pr = poll(&pfd, 1, (int)left)) == 0) {
			cr_err_setr(err, CR_EINPUT, CR_R_TIMEOUT, "cannot read '/dev/stdin': no line "
			    "on the standard input within %d s", CR_STDIN_SECRET_MS / 1000);
			goto out;
		}
		if (pr < 0)
			continue;	/* EINTR */
		got = read(STDIN_FILENO, buf + n, CR_SECRET_MAX + 1 - n);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0)
			break;	/* end of input (or an error: what was read is judged) */
		n += (size_t)got;
	}
	if (n > CR_SECRET_MAX && memchr(buf, '\n', CR_SECRET_MAX) == NULL) {
		cr_err_setr(err, CR_EINPUT, CR_R_TOO_LARGE, "cannot read '/dev/stdin': a line longer "
		    "than the limit of %d bytes", CR_SECRET_MAX);
		goto out;
	}
	if (n == 0) {
		cr_err_setr(err, CR_EINPUT, CR_R_PIN_SOURCE, "cannot read '/dev/stdin': the "
		    "standard input is empty (it holds one secret per run)");
		goto out;
	}
	if ((r = first_line(buf, n, "/dev/stdin", err)) != CR_OK)
		goto out;
	*out = (char *)buf;
	buf = NULL;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, CR_SECRET_MAX + 1);
		free(buf);
	}
	return r;
}

int
cr_read_secret(const char *path, char **out, struct cr_err *err)
{
	unsigned char *buf;
	size_t len;
	int r;

	*out = NULL;
	if (strcmp(path, "/dev/stdin") == 0 || strcmp(path, "/dev/fd/0") == 0)
		return read_stdin_secret(out, err);
	if ((r = cr_read_file(path, CR_SECRET_MAX, &buf, &len, err)) != CR_OK)
		return r;
	if ((r = first_line(buf, len, path, err)) != CR_OK) {
		OPENSSL_cleanse(buf, len);
		free(buf);
		return r;
	}
	*out = (char *)buf;
	return CR_OK;
}

void
cr_secret_free(char *secret)
{
	if (secret == NULL)
		return;
	OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
}

int
cr_duration_parse(const char *text, long long *seconds, struct cr_err *err)
{
	const char *p = text;
	long long v = 0, mult;

	if (text == NULL || !isdigit((unsigned char)*p))
		goto bad;
	while (isdigit((unsigned char)*p)) {
		if (v > (LLONG_MAX - 9) / 10)
			goto bad;
		v = v * 10 + (*p - '0');
		p++;
	}
	switch (*p) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	case 'w': mult = 7 * 86400; break;
	default: goto bad;
	}
	if (p[1] != '\0' || v > LLONG_MAX / mult)
		goto bad;
	*seconds = v * mult;
	return CR_OK;
bad:
	return cr_err_set(err, CR_EINPUT,
	    "bad duration '%s': expected a number and a unit s, m, h, d or w (e.g. 30d)",
	    text ? text : "");
}

char *
cr_path_resolve(const char *base_dir, const char *path)
{
	if (path[0] == '/' || base_dir == NULL || base_dir[0] == '\0' ||
	    strcmp(base_dir, ".") == 0)
		return cr_xstrdup(path);
	return cr_xasprintf("%s/%s", base_dir, path);
}

char *
cr_path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return cr_xstrdup(".");
	if (slash == path)
		return cr_xstrdup("/");
	return cr_xstrndup(path, (size_t)(slash - path));
}

char *
cr_hex_upper(const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789ABCDEF";
	char *s = cr_xmalloc(2 * n + 1);
	size_t i;

	for (i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
cr_hex_parse(const char *text, unsigned char *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *text; text++) {
		int v;
		if (*text == ' ' || *text == ':' || *text == '\t')
			continue;
		if ((v = hexval((unsigned char)*text)) < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= max)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		return -1;
	return (int)n;
}

time_t
cr_now(void)
{
	const char *s = getenv("CERTROTATE_NOW");
	if (s != NULL && *s) {
		char *end;
		long long v;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0' && v > 0)
			return (time_t)v;
	}
	return time(NULL);
}

int
cr_strcmp0(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

int
cr_secret_ref_ok(const char *v)
{
	if (v == NULL)
		return 0;
	if (strncmp(v, "file:", 5) == 0)
		return v[5] != '\0';
	return strchr(v, '/') != NULL;
}

char *
cr_secret_masked(const char *text)
{
	static const struct {
		const char *attr;
		int always;	/* the value is the secret itself */
	} attrs[] = { { "pin-value=", 1 }, { "pin-source=", 0 }, { "pass-source=", 0 } };
	struct cr_buf b = CR_BUF_INIT;
	const char *p = text;
	int query = 0;

	/*
	 * An attribute starts the text or follows ':' ';' '?' '&': in the query
	 * and in the path too ("pkcs11:token=edge;pin-value=1234", a ';' typed
	 * for the '?', is refused with the URI quoted: the PIN must not be).
	 */
	while (*p != '\0') {
		size_t an = 0, i, len;
		int always = 0;

		if (p == text || strchr(":;?&", p[-1]) != NULL)
			for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
				if (strncmp(p, attrs[i].attr, strlen(attrs[i].attr)) == 0) {
					an = strlen(attrs[i].attr);
					always = attrs[i].always;
				}
		if (an > 0) {
			char *v;
			int keep;

			len = an + strcspn(p + an, query ? "&" : ";?&");
			v = cr_xstrndup(p + an, len - an);
			keep = !always && cr_secret_ref_ok(v);
			cr_buf_add(&b, p, keep ? len : an);
			if (!keep)
				cr_buf_adds(&b, "***");
			OPENSSL_cleanse(v, strlen(v));
			free(v);
			p += len;
			continue;
		}
		query |= *p == '?';
		cr_buf_addc(&b, *p++);
	}
	return cr_buf_detach(&b);
}
