/*
 * wire.c -- the spooled message, dot-stuffed, onto the connection (see
 * wire.h).
 *
 * Security assumptions: the spool file is postern's own, locked, written
 * by msg.c in canonical form and not changed while it is sent; its size
 * is checked against the one recorded before it is mapped (a mapping read
 * past the end of a file would raise SIGBUS).  Whatever its content, every
 * line that starts with "." goes out with one more, so no message can end
 * the DATA early: the scan looks at every line start, including one that
 * falls on a window boundary.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "wire.h"

struct run {
	struct conn	*c;
	int		 fd;
	unsigned	 stall_ms;
	const char	*map;	/* the current window */
	off_t		 win;	/* its offset in the file */
	off_t		 from;	/* the first octet not sent yet */
};

/*
 * Send [from, to) of the current window: long runs without a copy where
 * the transport allows it, short ones (or over TLS) from the mapping.
 */
static int
run_send(struct run *r, off_t to, struct err *e)
{
	off_t	n = to - r->from;
	int	rc;

	if (n <= 0)
		return 0;
	if (n >= WIRE_RUN_MIN && net_zero_copy(r->c))
		rc = net_sendfile(r->c, r->fd, r->from, n, r->stall_ms, e);
	else
		rc = net_write(r->c, r->map + (r->from - r->win), (size_t)n,
		    r->stall_ms, e);
	r->from = to;
	return rc;
}

/* Map one window; a file system without mmap gets a read copy. */
static const char *
window_map(int fd, off_t off, size_t len, int *mapped, struct err *e)
{
	char	*b;
	void	*p;
	ssize_t	 n;
	size_t	 got = 0;
	int	 flags = MAP_PRIVATE;

#ifdef MAP_POPULATE
	flags |= MAP_POPULATE;	/* one call instead of a fault per page */
#endif
	p = mmap(NULL, len, PROT_READ, flags, fd, off);
	if (p != MAP_FAILED) {
		*mapped = 1;
		return p;
	}
	*mapped = 0;
	if ((b = malloc(len)) == NULL) {
		err_set(e, ERR_SOFTWARE, "out of memory");
		return NULL;
	}
	while (got < len) {
		n = pread(fd, b + got, len - got, off + (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_set(e, ERR_IO, "reading the spooled message: %s",
			    n == 0 ? "unexpected end" : strerror(errno));
			free(b);
			return NULL;
		}
		got += (size_t)n;
	}
	return b;
}

static void
window_unmap(const char *p, size_t len, int mapped)
{
	if (mapped)
		munmap((void *)(uintptr_t)p, len);
	else
		free((void *)(uintptr_t)p);
}

/*
 * One window: an extra "." before each line-leading dot, the runs between
 * sent as they end.  *bol: the window starts a line; updated for the next.
 */
static int
window_send(struct run *r, size_t len, int *bol, struct err *e)
{
	const char	*p = r->map, *nl;
	size_t		 i = 0;

	while (i < len) {
		if (*bol && p[i] == '.') {
			if (run_send(r, r->win + (off_t)i, e) == -1 ||
			    net_write(r->c, ".", 1, r->stall_ms, e) == -1)
				return -1;
		}
		if ((nl = memchr(p + i, '\n', len - i)) == NULL) {
			*bol = 0;
			break;
		}
		i = (size_t)(nl - p) + 1;
		*bol = 1;
	}
	return run_send(r, r->win + (off_t)len, e);
}

int
wire_data(struct conn *c, int fd, off_t size, unsigned stall_ms,
    struct err *e)
{
	struct run	r;
	struct stat	sb;
	size_t		len;
	char		last[2] = { '\r', '\n' };
	int		bol = 1, mapped, rc;

	if (fstat(fd, &sb) == -1 || sb.st_size < size)
		return err_set(e, ERR_IO, "the spooled message is shorter "
		    "than its recorded size");
	memset(&r, 0, sizeof(r));
	r.c = c;
	r.fd = fd;
	r.stall_ms = stall_ms;
	for (r.win = 0; r.win < size; r.win += (off_t)len) {
		len = size - r.win > WIRE_WINDOW ? WIRE_WINDOW :
		    (size_t)(size - r.win);
		if ((r.map = window_map(fd, r.win, len, &mapped, e)) == NULL)
			return -1;
		rc = window_send(&r, len, &bol, e);
		last[0] = len >= 2 ? r.map[len - 2] : last[1];
		last[1] = r.map[len - 1];
		window_unmap(r.map, len, mapped);
		if (rc == -1)
			return -1;
	}
	/* The canonical form ends in CRLF; be safe if it somehow does not. */
	if (size > 0 && !(last[0] == '\r' && last[1] == '\n'))
		return net_write(c, "\r\n", 2, stall_ms, e);
	return 0;
}
