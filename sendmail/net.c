/*
 * net.c -- connect, deadlines and buffered line I/O (see net.h).
 *
 * The socket is non-blocking and every wait goes through io_wait() (io.h)
 * with an absolute deadline on clock_now_ms() (clock.h): a read's deadline
 * covers the whole line, so a server that stops talking, or talks one byte
 * at a time, cannot hold postern past it.  Writes have a stall limit that
 * progress restarts.  Lines are bounded; an over-long line is an error, not
 * a truncation.  TLS is not known here: it replaces the plain transport
 * through struct net_transport.
 */
#include <sys/types.h>
#include <sys/sendfile.h>
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
#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "net.h"

#define NET_RBUF	16384
#define NET_WBUF_MAX	(256 * 1024)
#define NET_WBUF_FLUSH	(32 * 1024)
#define NET_FILE_BLOCK	(64 * 1024)	/* pread blocks without sendfile */
#define NET_SENDFILE_MAX (1 << 30)	/* octets per sendfile() call */

struct conn {
	int				 fd;
	const struct net_transport	*t;
	void				*ctx;
	char				 rbuf[NET_RBUF];
	size_t				 rpos, rlen;
	struct buf			 wbuf;
	char				 peer[300];
	struct sockaddr_storage		 addr;
};

/* ---- the plain transport ---------------------------------------------- */

static ssize_t
plain_read(void *ctx, void *p, size_t n, long long deadline, struct err *e)
{
	struct conn	*c = ctx;
	ssize_t		 r;

	for (;;) {
		r = read(c->fd, p, n);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return err_set(e, ERR_TEMP, "read: %s",
			    strerror(errno));
		if (io_wait(c->fd, POLLIN, deadline, e) == -1)
			return -1;
	}
}

static ssize_t
plain_write(void *ctx, const void *p, size_t n, long long deadline,
    struct err *e)
{
	struct conn	*c = ctx;
	ssize_t		 w;

	for (;;) {
		w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w >= 0)
			return w;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return err_set(e, ERR_TEMP, "write: %s",
			    strerror(errno));
		if (io_wait(c->fd, POLLOUT, deadline, e) == -1)
			return -1;
	}
}

static size_t
plain_pending(void *ctx)
{
	return 0;
}

static void
plain_close(void *ctx)
{
}

static const struct net_transport plain = {
	plain_read, plain_write, plain_pending, plain_close, NULL
};

/* ---- connections ------------------------------------------------------ */

static struct conn *
conn_new(int fd)
{
	struct conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->fd = fd;
	c->t = &plain;
	c->ctx = c;
	buf_init(&c->wbuf, NET_WBUF_MAX);
	return c;
}

struct conn *
net_from_fd(int fd, const char *name)
{
	struct conn	*c;
	socklen_t	 len = sizeof(c->addr);
	int		 fl;

	if ((c = conn_new(fd)) == NULL)
		return NULL;
	if ((fl = fcntl(fd, F_GETFL)) != -1)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (getpeername(fd, (struct sockaddr *)&c->addr, &len) == -1)
		memset(&c->addr, 0, sizeof(c->addr));
	snprintf(c->peer, sizeof(c->peer), "%s", name ? name : "fd");
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
		if (io_wait(fd, POLLOUT, deadline, e) == -1) {
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
    long long deadline, struct err *e)
{
	struct addrinfo	 hints, *res, *ai;
	struct conn	*c;
	char		 serv[16], ip[INET6_ADDRSTRLEN];
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
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = try_connect(ai, deadline, e)) != -1)
			break;
		if (deadline >= 0 && clock_now_ms() >= deadline)
			break;
	}
	if (fd == -1) {
		freeaddrinfo(res);
		err_prefix(e, host);
		e->cls = ERR_TEMP;
		return -1;
	}
	if ((c = conn_new(fd)) == NULL) {
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
net_fd(const struct conn *c)
{
	return c->fd;
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
net_set_transport(struct conn *c, const struct net_transport *t, void *ctx,
    struct err *e)
{
	if (c->rpos < c->rlen || c->wbuf.len > 0)
		return err_set(e, ERR_TEMP, "octets buffered across a "
		    "transport change (possible injection); refusing");
	c->t = t;
	c->ctx = ctx;
	return 0;
}

void *
net_transport_ctx(const struct conn *c)
{
	return c->t == &plain ? NULL : c->ctx;
}

int
net_has_buffered(struct conn *c)
{
	char	b;

	if (c->rpos < c->rlen || c->t->pending(c->ctx) > 0)
		return 1;
	return recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/* Take what the buffer holds of the current line; 1 when it is complete. */
static int
take_line(struct conn *c, struct buf *line, size_t max, struct err *e)
{
	char	*nl;
	size_t	 take;

	nl = memchr(c->rbuf + c->rpos, '\n', c->rlen - c->rpos);
	take = nl ? (size_t)(nl - (c->rbuf + c->rpos)) + 1 : c->rlen - c->rpos;
	if (line->len + take > max + 2)
		return err_set(e, ERR_TEMP, "reply line longer than %zu octets",
		    max);
	if (buf_add(line, c->rbuf + c->rpos, take) == -1)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	c->rpos += take;
	if (nl == NULL)
		return 0;
	line->len--;
	if (line->len > 0 && line->data[line->len - 1] == '\r')
		line->len--;
	if (line->len > max)
		return err_set(e, ERR_TEMP, "reply line longer than %zu octets",
		    max);
	line->data[line->len] = '\0';
	return 1;
}

int
net_read_line(struct conn *c, struct buf *line, size_t max,
    long long deadline, struct err *e)
{
	ssize_t	r;
	int	rc;

	buf_reset(line);
	for (;;) {
		if (c->rpos < c->rlen) {
			if ((rc = take_line(c, line, max, e)) != 0)
				return rc == 1 ? 0 : -1;
		}
		c->rpos = c->rlen = 0;
		if (deadline >= 0 && clock_now_ms() >= deadline)
			return err_set(e, ERR_TEMP, "timed out");
		r = c->t->read(c->ctx, c->rbuf, sizeof(c->rbuf), deadline, e);
		if (r == -1)
			return -1;
		if (r == 0)
			return err_set(e, ERR_TEMP,
			    "connection closed by server");
		c->rlen = (size_t)r;
	}
}

static int
write_all(struct conn *c, const char *p, size_t n, unsigned stall_ms,
    struct err *e)
{
	ssize_t	w;

	while (n > 0) {
		/* Progress restarts the clock: the limit is per stall. */
		w = c->t->write(c->ctx, p, n, clock_now_ms() + stall_ms, e);
		if (w == -1)
			return -1;
		if (w == 0)
			return err_set(e, ERR_TEMP, "write: wrote nothing");
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
net_write(struct conn *c, const void *p, size_t n, unsigned stall_ms,
    struct err *e)
{
	if (c->wbuf.len + n > NET_WBUF_FLUSH &&
	    net_flush(c, stall_ms, e) == -1)
		return -1;
	if (n > NET_WBUF_FLUSH)
		return write_all(c, p, n, stall_ms, e);
	if (buf_add(&c->wbuf, p, n) == -1)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	return 0;
}

int
net_flush(struct conn *c, unsigned stall_ms, struct err *e)
{
	int	rc;

	if (c->wbuf.len == 0)
		return 0;
	rc = write_all(c, c->wbuf.data, c->wbuf.len, stall_ms, e);
	buf_reset(&c->wbuf);
	return rc;
}

size_t
net_unsent(const struct conn *c)
{
	return c->wbuf.len;
}

int
net_zero_copy(const struct conn *c)
{
	return c->t == &plain;
}

/* The queue, sent with MSG_MORE: the file's octets follow at once. */
static int
flush_more(struct conn *c, unsigned stall_ms, struct err *e)
{
	const char	*p = c->wbuf.data;
	size_t		 n = c->wbuf.len;
	ssize_t		 w;

	while (n > 0) {
		w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_MORE);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (io_wait(c->fd, POLLOUT, clock_now_ms() + stall_ms,
			    e) == -1)
				goto fail;
			continue;
		}
		if (w <= 0) {
			err_set(e, ERR_TEMP, "write: %s", w == 0 ?
			    "wrote nothing" : strerror(errno));
			goto fail;
		}
		p += w;
		n -= (size_t)w;
	}
	buf_reset(&c->wbuf);
	return 0;
fail:
	buf_reset(&c->wbuf);
	return -1;
}

/* The file through the transport: pread, then write.  -1 with *e. */
static int
copy_file(struct conn *c, int fd, off_t off, off_t len, unsigned stall_ms,
    struct err *e)
{
	char	*b;
	ssize_t	 n;
	size_t	 want;
	int	 rc = 0;

	if ((b = malloc(NET_FILE_BLOCK)) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	while (len > 0 && rc == 0) {
		want = len > NET_FILE_BLOCK ? NET_FILE_BLOCK : (size_t)len;
		n = pread(fd, b, want, off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			rc = err_set(e, ERR_IO, "reading the spooled message: "
			    "%s", strerror(errno));
		else if (n == 0)
			rc = err_set(e, ERR_IO, "the spooled message is "
			    "shorter than its recorded size");
		else {
			rc = write_all(c, b, (size_t)n, stall_ms, e);
			off += n;
			len -= n;
		}
	}
	free(b);
	return rc;
}

int
net_sendfile(struct conn *c, int fd, off_t off, off_t len,
    unsigned stall_ms, struct err *e)
{
	ssize_t	n;
	size_t	want;

	if (c->t != &plain) {
		if (net_flush(c, stall_ms, e) == -1)
			return -1;
		while (len > 0 && c->t->sendfile != NULL) {
			want = len > NET_SENDFILE_MAX ? NET_SENDFILE_MAX :
			    (size_t)len;
			n = c->t->sendfile(c->ctx, fd, off, want,
			    clock_now_ms() + stall_ms, e);
			if (n == -1)
				return -1;
			if (n == 0)
				break;	/* not possible here: copy */
			off += n;
			len -= n;
		}
		return len > 0 ? copy_file(c, fd, off, len, stall_ms, e) : 0;
	}
	if (c->wbuf.len > 0 && flush_more(c, stall_ms, e) == -1)
		return -1;
	while (len > 0) {
		want = len > NET_SENDFILE_MAX ? NET_SENDFILE_MAX : (size_t)len;
		n = sendfile(c->fd, fd, &off, want);
		if (n > 0) {
			len -= n;
			continue;
		}
		if (n == 0)
			return err_set(e, ERR_IO, "the spooled message is "
			    "shorter than its recorded size");
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (io_wait(c->fd, POLLOUT, clock_now_ms() + stall_ms,
			    e) == -1)
				return -1;
			continue;
		}
		/* A file system without sendfile: copy (off is unchanged). */
		if (errno == EINVAL || errno == ENOSYS)
			return copy_file(c, fd, off, len, stall_ms, e);
		if (errno == EIO)
			return err_set(e, ERR_IO, "reading the spooled "
			    "message: %s", strerror(errno));
		return err_set(e, ERR_TEMP, "write: %s", strerror(errno));
	}
	return 0;
}

void
net_close(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->t != &plain)
		c->t->close(c->ctx);
	if (c->fd != -1)
		close(c->fd);
	buf_free(&c->wbuf);
	explicit_bzero(c->rbuf, sizeof(c->rbuf));
	free(c);
}
