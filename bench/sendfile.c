/*
 * bench/sendfile.c -- the physical floor for a large plain submission:
 * one SMTP transaction to HOST:PORT whose DATA is FILE sent with
 * sendfile(2), bytes as they are (no CRLF conversion, no dot-stuffing).
 *
 *   sendfile HOST PORT FILE
 *
 * Exit 0 when the server answered 250 to the final dot, 1 otherwise (with
 * a message on stderr).  Run under bench/runone like the clients, so its
 * wall and CPU time are measured the same way.  Meant for smtp-sink, which
 * discards what it gets; the file must not contain a line with a lone dot.
 *
 * Security assumptions: a benchmark helper on a test machine, talking to a
 * loopback server the bench started.
 */

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char	rbuf[4096];
static size_t	rlen;

static void
die(const char *what)
{
	fprintf(stderr, "sendfile: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Read one whole reply (last line "DDD "); return its code. */
static int
reply(int fd)
{
	char	*nl, *line;
	ssize_t	 n;

	for (;;) {
		while ((nl = memchr(rbuf, '\n', rlen)) != NULL) {
			line = rbuf;
			*nl = '\0';
			if (nl - line >= 4 && line[3] == ' ') {
				int code = (int)strtol(line, NULL, 10);
				rlen -= (size_t)(nl + 1 - rbuf);
				memmove(rbuf, nl + 1, rlen);
				return code;
			}
			rlen -= (size_t)(nl + 1 - rbuf);
			memmove(rbuf, nl + 1, rlen);
		}
		if (rlen == sizeof(rbuf))
			return -1;
		if ((n = read(fd, rbuf + rlen, sizeof(rbuf) - rlen)) <= 0)
			return -1;
		rlen += (size_t)n;
	}
}

static void
say(int fd, const char *s, int want)
{
	int	code;

	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		die("write");
	if ((code = reply(fd)) != want) {
		fprintf(stderr, "sendfile: %.*s: reply %d\n",
		    (int)strcspn(s, "\r"), s, code);
		exit(1);
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	sin;
	struct stat		st;
	off_t			off = 0;
	ssize_t			n;
	int			fd, in, one = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: sendfile HOST PORT FILE\n");
		return 64;
	}
	if ((in = open(argv[3], O_RDONLY)) == -1 || fstat(in, &st) == -1)
		die(argv[3]);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)strtoul(argv[2], NULL, 10));
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
		fprintf(stderr, "sendfile: %s: not an IPv4 address\n", argv[1]);
		return 64;
	}
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket");
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (reply(fd) != 220)
		die("greeting");
	say(fd, "EHLO bench\r\n", 250);
	say(fd, "MAIL FROM:<root@example.org>\r\n", 250);
	say(fd, "RCPT TO:<bench-rcpt@example.net>\r\n", 250);
	say(fd, "DATA\r\n", 354);
	while (off < st.st_size) {
		n = sendfile(fd, in, &off, (size_t)(st.st_size - off));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			die("sendfile");
	}
	say(fd, "\r\n.\r\n", 250);
	say(fd, "QUIT\r\n", 221);
	close(fd);
	return 0;
}
