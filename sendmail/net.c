/*
 * net.c -- connect, deadlines and buffered line I/O.
 *
 * The socket is non-blocking and every wait goes through poll() with the
 * time left until the step's deadline, so a server that stops talking, or
 * talks one byte at a time, cannot hold postern longer than `timeout` per
 * step.  Lines are bounded; an over-long line is an error, not a truncation.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "tls.h"

#define NET_RBUF	16384
#define NET_WBUF_MAX	(256 * 1024)
#define NET_WBUF_FLUSH	(32 * 1024)

struct conn {
	int			 fd;
	unsigned		 timeout;
	struct tls		*tls;
	char			 rbuf[NET_RBUF];
	size_t			 rpos, rlen;
	struct buf		 wbuf;
	char			 peer[300];
	struct sockaddr_storage	 addr;
};

long long
net_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long
deadline_of(const struct conn *c)
{
	return net_now_ms() + (long long)c->timeout * 1000;
}

static int
wait_fd(int fd, short events, long long deadline, struct err *e)
{
	struct pollfd	pfd;
	long long	left;
	int		n;

	for (;;) {
		left = deadline - net_now_ms();
		if (left <= 0)
			return err_set(e, ERR_TEMP, "timed out");
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return err_set(e, ERR_TEMP, "poll: %s",
			    strerror(errno));
	}
}

static struct conn *
conn_new(int fd, unsigned timeout)
{
	struct conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->fd = fd;
	c->timeout = timeout ? timeout : 60;
	buf_init(&c->wbuf, NET_WBUF_MAX);
	return c;
}

struct conn *
net_from_fd(int fd, unsigned timeout)
{
	struct conn	*c;
	int		 fl;

	if ((fl = fcntl(fd, F_GETFL)) != -1)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if ((c = conn_new(fd, timeout)) != NULL)
		snprintf(c->peer, sizeof(c->peer), "fd%d", fd);
	return c;
}

static int
try_connect(const struct addrinfo *ai, long long deadline, struct err *e)
{
	socklen_t	len;
	int		fd, soerr, one = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return err_set(e, ERR_TEMP, "socket: %s", strerror(errno));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS) {
			err_set(e, ERR_TEMP, "%s", strerror(errno));
			close(fd);
			return -1;
		}
		if (wait_fd(fd, POLLOUT, deadline, e) == -1) {
			close(fd);
			return -1;
		}
		len = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
			soerr = errno;
		if (soerr != 0) {
			err_set(e, ERR_TEMP, "%s", strerror(soerr));
			close(fd);
			return -1;
		}
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int
net_connect(struct conn **cp, const char *host, unsigned port,
    unsigned timeout, struct err *e)
{
	struct addrinfo	 hints, *res, *ai;
	struct conn	*c;
	char		 serv[16], ip[INET6_ADDRSTRLEN];
	long long	 deadline;
	int		 rc, fd = -1;

	*cp = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(serv, sizeof(serv), "%u", port);
	rc = getaddrinfo(host, serv, &hints, &res);
	if (rc != 0)
		return err_set(e, ERR_TEMP, "%s: %s", host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	deadline = net_now_ms() + (long long)(timeout ? timeout : 60) * 1000;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = try_connect(ai, deadline, e)) != -1)
			break;
		if (net_now_ms() >= deadline)
			break;
	}
	if (fd == -1) {
		freeaddrinfo(res);
		err_prefix(e, host);
		e->cls = ERR_TEMP;
		return -1;
	}
	if ((c = conn_new(fd, timeout)) == NULL) {
		freeaddrinfo(res);
		close(fd);
		return err_set(e, ERR_SOFTWARE, "out of memory");
	}
	memcpy(&c->addr, ai->ai_addr, ai->ai_addrlen);
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, ip, sizeof(ip), NULL, 0,
	    NI_NUMERICHOST) != 0)
		snprintf(ip, sizeof(ip), "?");
	snprintf(c->peer, sizeof(c->peer), "%s[%s]:%u", host, ip, port);
	freeaddrinfo(res);
	*cp = c;
	return 0;
}

const char *
net_peer(const struct conn *c)
{
	return c->peer;
}

int
net_local_ip(const struct conn *c, char *out, size_t len)
{
	struct sockaddr_storage	ss;
	socklen_t		sl = sizeof(ss);

	if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, sl, out, (socklen_t)len, NULL,
	    0, NI_NUMERICHOST) != 0)
		return -1;
	return 0;
}

int
net_is_loopback(const struct conn *c)
{
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;

	if (c->addr.ss_family == AF_INET) {
		s4 = (const struct sockaddr_in *)&c->addr;
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	}
	if (c->addr.ss_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)&c->addr;
		if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return 1;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			return s6->sin6_addr.s6_addr[12] == 127;
	}
	return 0;
}

int
net_starttls(struct conn *c, const struct config *cfg, const char *host,
    struct err *e)
{
	struct tls_params	tp;
	char			dir[4096];

	if (net_has_buffered(c))
		return err_set(e, ERR_TEMP, "server sent data after its "
		    "STARTTLS reply (possible injection); refusing");
	tls_params_from_config(&tp, cfg, dir, sizeof(dir));
	return tls_start(&c->tls, c->fd, &tp, host, deadline_of(c), e);
}

struct tls *
net_tls(struct conn *c)
{
	return c->tls;
}

int
net_has_buffered(struct conn *c)
{
	char	b;
	ssize_t	n;

	if (c->rpos < c->rlen)
		return 1;
	if (c->tls != NULL)
		return tls_pending(c->tls) > 0;
	n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return n > 0;
}

static ssize_t
raw_read(struct conn *c, void *p, size_t n, long long deadline,
    struct err *e)
{
	ssize_t	r;

	if (c->tls != NULL)
		return tls_read(c->tls, p, n, deadline, e);
	for (;;) {
		r = read(c->fd, p, n);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return err_set(e, ERR_TEMP, "read: %s",
			    strerror(errno));
		if (wait_fd(c->fd, POLLIN, deadline, e) == -1)
			return -1;
	}
}

int
net_read_line(struct conn *c, struct buf *line, size_t max, struct err *e)
{
	long long	 deadline = deadline_of(c);
	char		*nl;
	size_t		 take;
	ssize_t		 r;

	buf_reset(line);
	for (;;) {
		if (c->rpos < c->rlen) {
			nl = memchr(c->rbuf + c->rpos, '\n', c->rlen - c->rpos);
			take = nl ? (size_t)(nl - (c->rbuf + c->rpos)) + 1 :
			    c->rlen - c->rpos;
			if (line->len + take > max + 2)
				return err_set(e, ERR_TEMP,
				    "reply line longer than %zu octets", max);
			if (buf_add(line, c->rbuf + c->rpos, take) == -1)
				return err_set(e, ERR_SOFTWARE,
				    "out of memory");
			c->rpos += take;
			if (nl != NULL) {
				line->len--;
				if (line->len > 0 &&
				    line->data[line->len - 1] == '\r')
					line->len--;
				line->data[line->len] = '\0';
				return 0;
			}
		}
		c->rpos = c->rlen = 0;
		r = raw_read(c, c->rbuf, sizeof(c->rbuf), deadline, e);
		if (r == -1)
			return -1;
		if (r == 0)
			return err_set(e, ERR_TEMP,
			    "connection closed by server");
		c->rlen = (size_t)r;
	}
}

static int
raw_write_all(struct conn *c, const char *p, size_t n, struct err *e)
{
	long long	deadline = deadline_of(c);
	ssize_t		w;

	while (n > 0) {
		if (c->tls != NULL) {
			w = tls_write(c->tls, p, n, deadline, e);
			if (w == -1)
				return -1;
		} else {
			w = send(c->fd, p, n, MSG_NOSIGNAL);
			if (w == -1) {
				if (errno == EINTR)
					continue;
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					return err_set(e, ERR_TEMP,
					    "write: %s", strerror(errno));
				if (wait_fd(c->fd, POLLOUT, deadline, e) == -1)
					return -1;
				continue;
			}
		}
		p += w;
		n -= (size_t)w;
		/* Progress restarts the clock: the limit is per stall. */
		deadline = deadline_of(c);
	}
	return 0;
}

int
net_write(struct conn *c, const void *p, size_t n, struct err *e)
{
	if (c->wbuf.len + n > NET_WBUF_FLUSH && net_flush(c, e) == -1)
		return -1;
	if (n > NET_WBUF_FLUSH)
		return raw_write_all(c, p, n, e);
	if (buf_add(&c->wbuf, p, n) == -1)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	return 0;
}

int
net_flush(struct conn *c, struct err *e)
{
	int	rc;

	if (c->wbuf.len == 0)
		return 0;
	rc = raw_write_all(c, c->wbuf.data, c->wbuf.len, e);
	buf_reset(&c->wbuf);
	return rc;
}

void
net_close(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->tls != NULL)
		tls_close(c->tls);
	if (c->fd != -1)
		close(c->fd);
	buf_free(&c->wbuf);
	explicit_bzero(c->rbuf, sizeof(c->rbuf));
	free(c);
}
