/*
 * net.h -- a connection to the smarthost: connect with a deadline, bounded
 * buffered line reads, buffered writes, and a pluggable transport (plain
 * socket by default; TLS plugs in through struct net_transport, so net.c
 * never includes tls.h and tls.c never includes net.h).
 *
 * Time: every read and connect takes an ABSOLUTE deadline in clock_now_ms()
 * milliseconds (clock.h); -1 means none.  The deadline covers the whole
 * call (all addresses of a connect, every chunk of a line), however the
 * peer paces its bytes.  Writes instead take a STALL limit: they fail when
 * the peer accepts no octet for stall_ms, but a slow, steadily moving body
 * is not cut off.
 *
 * Errors: ERR_TEMP for everything the network or the peer does (refused,
 * unreachable, timed out, closed, reset, over-long line, TLS failures the
 * transport reports); ERR_SOFTWARE for out of memory.  Nothing here prints
 * or exits.  Nothing a peer sends can grow memory without bound.
 */
#ifndef POSTERN_NET_H
#define POSTERN_NET_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"

struct conn;

/*
 * A byte transport over the connection's socket.  read/write move at most
 * n octets before the deadline and return the count, 0 on orderly EOF
 * (read), or -1 with *e set (ERR_TEMP).  pending: octets already received
 * and decoded but not yet returned by read.  close: end and free ctx (the
 * socket is closed by net_close itself).
 */
struct net_transport {
	ssize_t	(*read)(void *ctx, void *p, size_t n, long long deadline,
		    struct err *e);
	ssize_t	(*write)(void *ctx, const void *p, size_t n,
		    long long deadline, struct err *e);
	size_t	(*pending)(void *ctx);
	void	(*close)(void *ctx);
	/*
	 * Optional (NULL: none): send up to n octets of file fd from off
	 * without copying them through postern (kernel TLS).  Returns the
	 * count, 0 when it cannot (nothing sent), -1 with *e.
	 */
	ssize_t	(*sendfile)(void *ctx, int fd, off_t off, size_t n,
		    long long deadline, struct err *e);
};

/*
 * Resolve host (name or IP literal) and try each address in turn until one
 * connects; the deadline covers resolution's results and every attempt
 * together.  On success *cp is a new connection with the plain transport
 * and net_peer() is "host[ip]:port".  ERR_TEMP on failure ("host: reason").
 */
int	net_connect(struct conn **cp, const char *host, unsigned port,
	    long long deadline, struct err *e);
/*
 * Wrap an already connected descriptor (tests: one end of a socketpair);
 * it is made non-blocking and owned by the connection from now on.  name
 * becomes net_peer().  NULL when out of memory (fd is then not closed).
 */
struct conn *net_from_fd(int fd, const char *name);
const char *net_peer(const struct conn *c);
int	net_fd(const struct conn *c);
/* Our end's numeric address, for an address-literal HELO.  0 or -1. */
int	net_local_ip(const struct conn *c, char *out, size_t len);
/* 1 if the peer address is a loopback address (127/8, ::1, ::ffff:127/104). */
int	net_is_loopback(const struct conn *c);

/*
 * Replace the plain transport by t (with its ctx) for all further I/O,
 * e.g. after a TLS handshake on net_fd(c).  Fails (-1, ERR_TEMP) when
 * octets are still buffered unread or queued unsent, because they belong
 * to the old transport (STARTTLS response injection, RFC 3207 5).  On
 * success the connection owns ctx: net_close() calls t->close(ctx).
 */
int	net_set_transport(struct conn *c, const struct net_transport *t,
	    void *ctx, struct err *e);
/* The ctx given to net_set_transport, or NULL on the plain transport. */
void	*net_transport_ctx(const struct conn *c);
/*
 * 1 if octets the peer sent are waiting unread: in our buffer, in the
 * transport, or in the socket.  Never blocks.
 */
int	net_has_buffered(struct conn *c);

/*
 * Read one line, CRLF or LF terminated, into line (terminator removed,
 * NUL-terminated; it may contain NULs).  A line over max octets (without
 * its terminator) fails with ERR_TEMP, as do EOF before the terminator and
 * the deadline passing before the whole line arrived.
 */
int	net_read_line(struct conn *c, struct buf *line, size_t max,
	    long long deadline, struct err *e);
/*
 * Queue n octets for sending; when the queue is full it is sent first
 * (which may fail as net_flush does).  net_flush() sends everything queued;
 * both fail with ERR_TEMP when the peer takes nothing for stall_ms.
 * After a failure the queue is empty and the connection is unusable.
 */
int	net_write(struct conn *c, const void *p, size_t n, unsigned stall_ms,
	    struct err *e);
int	net_flush(struct conn *c, unsigned stall_ms, struct err *e);
/* Octets queued and not yet sent. */
size_t	net_unsent(const struct conn *c);
/*
 * Send what is queued, then len octets of the regular file fd from offset
 * off.  On the plain transport the file goes with sendfile(2), its pages
 * never copied into postern (the queued octets are sent with MSG_MORE, so
 * a command line and the data after it share segments); on a transport
 * whose sendfile member can (kernel TLS), through that; otherwise, or
 * where sendfile() is not supported for fd, it is read in 64 KiB blocks
 * (pread) and written through the transport.  Stalls fail
 * as in net_flush (ERR_TEMP); a file that ends before len octets, or
 * cannot be read, fails with ERR_IO.  After a failure the connection is
 * unusable (part of the data may have gone out).
 */
int	net_sendfile(struct conn *c, int fd, off_t off, off_t len,
	    unsigned stall_ms, struct err *e);
/* 1 when net_sendfile() avoids copying (the plain transport). */
int	net_zero_copy(const struct conn *c);
/* Close the transport (t->close) and the socket, free c.  NULL is a no-op. */
void	net_close(struct conn *c);

#endif
