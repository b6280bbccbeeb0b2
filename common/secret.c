/*
 * secret.c - PINs and passwords: read, wiped, never shown (secret.h).
 */
#include "secret.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "fsutil.h"
#include "util.h"

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
