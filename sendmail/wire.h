/*
 * wire.h -- the spooled message onto the connection for DATA: dot-stuffed
 * (RFC 5321 4.5.2), with as few copies as the transport allows.
 *
 * The spool holds the canonical form (msg.h: CRLF lines, no dot-stuffing),
 * which is already what BDAT (RFC 3030) sends as it is (smtp.c does that
 * with net_sendfile()).  For DATA only the lines that start with "." need
 * an extra dot: wire_data() finds them with memchr() over a read-only
 * mapping of the spool, WIRE_WINDOW octets at a time, and sends the runs
 * between them with net_sendfile() (sendfile(2) on a plain connection, so
 * the body is never copied through postern), short runs through the
 * connection's buffer.  Over TLS the runs are written from the mapping.
 *
 * The message must not change while it is sent (the spool is locked and
 * never rewritten in place once written).  The final "." line is the
 * caller's.
 */
#ifndef POSTERN_WIRE_H
#define POSTERN_WIRE_H

#include <sys/types.h>

#include "err.h"

struct conn;

/* Octets mapped at a time; also bounds what the mapping adds to RSS. */
#define WIRE_WINDOW	(1024 * 1024)
/* Runs shorter than this between two dot-lines go through the buffer. */
#define WIRE_RUN_MIN	(16 * 1024)

/*
 * Send size octets of fd from offset 0, every line that starts with "."
 * getting one more, and CRLF after them when they do not end in CRLF, so
 * that the caller's ".\r\n" ends the DATA.  0, or -1 with *e: ERR_IO when
 * the spool cannot be mapped or read (or is shorter than size), otherwise
 * what net_write()/net_sendfile() report (ERR_TEMP); after -1 the
 * connection is unusable.
 */
int	wire_data(struct conn *c, int fd, off_t size, unsigned stall_ms,
	    struct err *e);

#endif
