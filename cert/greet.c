/*
 * greet.c - what a server says before the client: after a TLS handshake
 * failed on a port where the server speaks first in clear (SMTP greets
 * "220 ..."), the probe's message says how to reach its certificate
 * (STARTTLS) instead of leaving OpenSSL's "wrong version number".
 *
 * One plain connection, bounded by the probe's timeout (at most 2 s of
 * it), reads at most one line; nothing is sent.  Only after a failure.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "greet.h"
#include "../common/util.h"

#define GREET_MS 2000

/* A connected, non-blocking socket to host:port before `deadline`, or -1. */
static int
dial(const char *host, const char *port, long long deadline)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		struct pollfd pfd;
		int e = 0, left;
		socklen_t el = sizeof(e);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		left = (int)(deadline - cr_mono_ms());
		if (errno != EINPROGRESS || left <= 0 || poll(&pfd, 1, left) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 || e != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

/*
 * The first line the server sends unprompted into line (printable ASCII,
 * others '?', at most len - 1 bytes): 1, or 0 when it sends none in time.
 */
static int
first_line(int fd, long long deadline, char *line, size_t len)
{
	char buf[512];
	size_t got = 0, i;

	while (got < sizeof(buf) && memchr(buf, '\n', got) == NULL) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN, .revents = 0 };
		int left = (int)(deadline - cr_mono_ms());
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, left) != 1)
			break;
		n = recv(fd, buf + got, sizeof(buf) - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	for (i = 0; i < got && i + 1 < len && buf[i] != '\r' && buf[i] != '\n'; i++)
		line[i] = buf[i] >= 0x20 && buf[i] < 0x7f ? buf[i] : '?';
	line[i] = '\0';
	return i > 0 && memchr(buf, '\n', got) != NULL;
}

void
crt_greeting_hint(const struct crt_tls_target *t, struct cr_err *err)
{
	int ms = t->timeout_ms > 0 && t->timeout_ms < GREET_MS ? t->timeout_ms : GREET_MS;
	long long deadline = cr_mono_ms() + ms;
	char line[96], *msg;
	int fd;

	if (t->starttls_smtp || t->host == NULL || t->port == NULL)
		return;
	if ((fd = dial(t->host, t->port, deadline)) < 0)
		return;
	if (first_line(fd, deadline, line, sizeof(line)) &&
	    strncmp(line, "220", 3) == 0 && (line[3] == ' ' || line[3] == '-' || line[3] == '\0')) {
		msg = cr_xstrdup(err->msg);
		cr_err_setr(err, err->status, err->reason, "%s: the server greets in clear as an "
		    "SMTP server does (\"%s\"): its certificate is behind STARTTLS - set starttls = "
		    "\"smtp\" on the ref (in a tls:// source: ?starttls=smtp)", msg, line);
		free(msg);
	}
	close(fd);
}
