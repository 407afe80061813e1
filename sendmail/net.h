/*
 * net.h -- a connection to the smarthost: connect with a deadline, buffered
 * line reads, writes, and an optional TLS layer.
 *
 * Every operation has a deadline of `timeout` seconds from its start (RFC
 * 5321 4.5.3.2 asks for minutes; the configured value applies to each
 * network step).  A line longer than the limit fails; nothing a server sends
 * can grow memory without bound.
 */
#ifndef POSTERN_NET_H
#define POSTERN_NET_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "config.h"
#include "err.h"

struct conn;

/* Monotonic clock in milliseconds. */
long long	net_now_ms(void);

/*
 * Resolve host and try each address in turn until one connects; the
 * deadline covers all attempts together.  peer gets "host[ip]:port".
 */
int	net_connect(struct conn **cp, const char *host, unsigned port,
	    unsigned timeout, struct err *e);
/* Wrap an existing descriptor (tests: one end of a socketpair). */
struct conn *net_from_fd(int fd, unsigned timeout);
const char *net_peer(const struct conn *c);
/* Our end's numeric address, for an address-literal HELO. */
int	net_local_ip(const struct conn *c, char *out, size_t len);
/* 1 if the peer address is a loopback address. */
int	net_is_loopback(const struct conn *c);

/* Start TLS on the connection (see tls.h). */
int	net_starttls(struct conn *c, const struct config *cfg,
	    const char *host, struct err *e);
struct tls *net_tls(struct conn *c);
/* 1 if bytes the peer sent are waiting unread (STARTTLS injection check). */
int	net_has_buffered(struct conn *c);

/*
 * Read one line, CRLF or LF terminated, into line (terminator removed).
 * Lines over max octets fail with ERR_TEMP.  EOF fails with ERR_TEMP.
 */
int	net_read_line(struct conn *c, struct buf *line, size_t max,
	    struct err *e);
/* Queue bytes for sending; net_flush() sends them. */
int	net_write(struct conn *c, const void *p, size_t n, struct err *e);
int	net_flush(struct conn *c, struct err *e);
void	net_close(struct conn *c);

#endif
