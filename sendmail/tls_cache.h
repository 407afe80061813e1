/*
 * tls_cache.h -- the on-disk TLS session cache ([smarthost]
 * tls_session_cache): one file per smarthost host and port, under
 * [queue] dir/tls/, holding one serialised session (opaque bytes for this
 * module; tls.c makes and reads them) together with the binding it was
 * made under and its expiry.
 *
 * The cache is only an optimisation.  Nothing here reports an error to
 * the caller's mail path: a file that is missing, unreadable, of the wrong
 * type, too large, corrupt, bound to other settings or expired is simply
 * "no session" (and an unwritable directory means nothing is stored).
 *
 * Security assumptions: a cache file is untrusted input (whoever can write
 * the queue directory can write it: the caller in the unprivileged layout,
 * group postern in the privileged one; both can read the configuration's
 * secret anyway).  Files are written like queue files (tmp + fsync +
 * rename + fsync of the directory, mode 0640, directory 0770 with the
 * queue's set-gid bit), so they are protected like queued mail.  The
 * binding is a SHA-256 digest (made by tls.c) over the host, the port and
 * every TLS setting that affects verification; a session is handed back
 * only when the stored binding is byte-for-byte the caller's.
 */
#ifndef POSTERN_TLS_CACHE_H
#define POSTERN_TLS_CACHE_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

#define TLS_CACHE_BIND_LEN	32		/* SHA-256 */
#define TLS_CACHE_DATA_MAX	(32 * 1024)	/* one serialised session */
#define TLS_CACHE_FILE_MAX	(TLS_CACHE_DATA_MAX + 256)
#define TLS_CACHE_LIFE_MAX	(7L * 86400)	/* RFC 8446 4.6.1 */

/*
 * FILE FORMAT (version 1), exactly:
 *
 *	"POSTERN-TLS-SESSION 1\n"
 *	"B " 64 lower-case hex digits (the binding) "\n"
 *	"X " expiry, Unix seconds, decimal without leading zero "\n"
 *	"L " length of the data, decimal without leading zero "\n"
 *	the data: exactly L octets, 1 <= L <= TLS_CACHE_DATA_MAX, then EOF
 *
 * tls_cache_parse() accepts only that: it points *data into p and returns
 * 0 when the binding equals bind and now < expiry <= now +
 * TLS_CACHE_LIFE_MAX; anything else returns -1.  Pure (fuzzed by
 * fuzz/fuzz_tls_cache.c).
 */
int	tls_cache_parse(const unsigned char *p, size_t n,
	    const unsigned char bind[TLS_CACHE_BIND_LEN], time_t now,
	    const unsigned char **data, size_t *len);
/* The same framing for writing; -1 when the data or expiry do not fit. */
int	tls_cache_format(struct buf *out,
	    const unsigned char bind[TLS_CACHE_BIND_LEN], time_t expiry,
	    const unsigned char *data, size_t len);

/*
 * The file of host:port under dir ("DIR/session-HOST-PORT"); -1 when the
 * host has a character outside [A-Za-z0-9.:-] or the path does not fit.
 */
int	tls_cache_path(char *out, size_t len, const char *dir,
	    const char *host, unsigned port);

/*
 * Read the session for host:port into out (the data only).  0 when a valid,
 * matching, unexpired session was found; -1 otherwise (out is then empty).
 * The file must be a regular file (opened O_NOFOLLOW | O_NONBLOCK) not
 * writable by group or others.
 */
int	tls_cache_load(const char *dir, const char *host, unsigned port,
	    const unsigned char bind[TLS_CACHE_BIND_LEN], time_t now,
	    struct buf *out);

/*
 * Replace the session for host:port atomically; creates dir (0770 |
 * set-gid of its parent) when missing.  0 or -1 (nothing is reported:
 * a cache that cannot be written is no cache).
 */
int	tls_cache_store(const char *dir, const char *host, unsigned port,
	    const unsigned char bind[TLS_CACHE_BIND_LEN], time_t expiry,
	    const unsigned char *data, size_t len);

/* Remove the session for host:port (a resumption that went wrong). */
void	tls_cache_forget(const char *dir, const char *host, unsigned port);

#endif
