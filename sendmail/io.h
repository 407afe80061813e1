/*
 * io.h -- the file-descriptor helpers every module shares: wait for an fd
 * with a deadline, write a whole buffer, open an unnamed scratch file.
 *
 * Errors are reported as struct err (err.h); nothing here prints or exits.
 */
#ifndef POSTERN_IO_H
#define POSTERN_IO_H

#include <stddef.h>

#include "err.h"

/*
 * Wait until fd is ready for `events` (POLLIN, POLLOUT) or the absolute
 * deadline (clock_now_ms() milliseconds; -1 = none) has passed.  EINTR is
 * retried.  Returns 0 when ready (also on POLLERR/POLLHUP: the next read or
 * write reports the problem), -1 with ERR_TEMP "timed out" or the poll
 * error.
 */
int	io_wait(int fd, short events, long long deadline, struct err *e);

/*
 * Write all n bytes to fd, retrying short writes and EINTR; on a
 * non-blocking fd, EAGAIN waits (io_wait) until the deadline (-1 = none).
 * Returns 0, or -1 with ERR_IO (the errno text) or ERR_TEMP (timed out).
 */
int	io_write_all(int fd, const void *p, size_t n, long long deadline,
	    struct err *e);

/*
 * An unnamed read-write scratch file in dir (NULL: /tmp), mode 0600 and
 * close-on-exec, already gone from the file system: O_TMPFILE, or where
 * the file system does not support it, mkostemp() then unlink().  Returns
 * the descriptor, or -1 with ERR_CANTCREAT ("cannot create a scratch file
 * in DIR: reason").
 */
int	io_scratch_open(const char *dir, struct err *e);

#endif
