/*
 * io.c -- waiting on and writing to file descriptors (see io.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"

int
io_wait(int fd, short events, long long deadline, struct err *e)
{
	struct pollfd	pfd;
	long long	left;
	int		n, ms;

	for (;;) {
		if (deadline < 0)
			ms = -1;
		else {
			left = deadline - clock_now_ms();
			if (left <= 0)
				return err_set(e, ERR_TEMP, "timed out");
			ms = left > 60000 ? 60000 : (int)left;
		}
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, ms);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return err_set(e, ERR_TEMP, "poll: %s",
			    strerror(errno));
	}
}

int
io_write_all(int fd, const void *p, size_t n, long long deadline,
    struct err *e)
{
	const char	*s = p;
	ssize_t		 w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w > 0) {
			s += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (io_wait(fd, POLLOUT, deadline, e) == -1)
				return -1;
			continue;
		}
		return err_set(e, ERR_IO, "write: %s",
		    w == 0 ? "wrote nothing" : strerror(errno));
	}
	return 0;
}

int
io_scratch_open(const char *dir, struct err *e)
{
	char	path[4096];
	int	fd;

	if (dir == NULL)
		dir = "/tmp";
#ifdef O_TMPFILE
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) != -1)
		return fd;
	/* Anything but "not supported here" is the real answer. */
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return err_set(e, ERR_CANTCREAT, "cannot create a scratch "
		    "file in %s: %s", dir, strerror(errno));
#endif
	if ((size_t)snprintf(path, sizeof(path), "%s/postern.XXXXXX", dir) >=
	    sizeof(path))
		return err_set(e, ERR_CANTCREAT, "cannot create a scratch "
		    "file in %.200s...: name too long", dir);
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1)
		return err_set(e, ERR_CANTCREAT, "cannot create a scratch "
		    "file in %s: %s", dir, strerror(errno));
	unlink(path);
	return fd;
}
