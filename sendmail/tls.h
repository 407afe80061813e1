/*
 * tls.h -- TLS client on a connected socket.  The only module that talks to
 * libssl.
 *
 * tls_start() performs the handshake and refuses the session unless the
 * chain verified against the configured trust (or the system store) and the
 * certificate names the configured host (IP SAN for an IP literal), or, when
 * a fingerprint is pinned, the certificate matches the pin.  Nothing is
 * ever sent over a session that failed these checks.
 */
#ifndef POSTERN_TLS_H
#define POSTERN_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct tls;

/*
 * What tls_start() checks and how; built from the configuration by
 * tls_params_from_config() (tls_conf.c, the one place that reads struct
 * config for this module).
 */
struct tls_params {
	const char	*ca_file;	/* PEM trust anchors; NULL: the system
					   store (hashed directory, looked up
					   lazily; see tls.c) */
	const char	*fingerprint;	/* "sha256:AB:..", or NULL */
	const char	*client_cert;	/* PEM chain, or NULL */
	const char	*client_key;	/* PEM key; NULL: in client_cert */
	int		 verify;	/* 1: chain and host name checks */
	int		 min_version;	/* 12 or 13 */
	const char	*cache_dir;	/* session cache directory
					   (tls_cache.h); NULL: no cache */
	unsigned	 port;		/* part of the cache key */
	int		 ktls;		/* 1: let OpenSSL hand the session's
					   send direction to the kernel (kTLS)
					   where kernel and cipher allow */
};


/*
 * fd must be non-blocking; deadline is a clock_now_ms() time after which
 * the handshake fails with ERR_TEMP.  host is the configured name.  *p
 * and host are copied (p may be on the caller's stack); the strings *p
 * points to other than cache_dir are borrowed until tls_close().
 *
 * With p->cache_dir set, a cached TLS 1.3 session for host:port made under
 * the same settings is offered; the server may resume it.  A resumed
 * session is checked as a full handshake would check it: the host name or
 * IP, the validity period and the pin are checked again on the peer
 * certificate kept in the session, and the verify result the session was
 * made with must have been success.  A new session is written to the cache
 * only after a full handshake that passed every check.
 *
 * Errors: ERR_TEMP (handshake, verification, timeout), ERR_CONFIG (an
 * unreadable CA file, client certificate or key), ERR_SOFTWARE.
 */
int	tls_start(struct tls **tp, int fd, const struct tls_params *p,
	    const char *host, long long deadline, struct err *e);
/* 1 when the session was resumed (abbreviated handshake). */
int	tls_resumed(const struct tls *t);
/*
 * Read or write with the deadline.  Return bytes moved, 0 on orderly EOF
 * (read), or -1 with *e set (ERR_TEMP).
 */
ssize_t	tls_read(struct tls *t, void *buf, size_t n, long long deadline,
	    struct err *e);
ssize_t	tls_write(struct tls *t, const void *buf, size_t n,
	    long long deadline, struct err *e);
/* Bytes already decrypted and waiting in the TLS layer. */
size_t	tls_pending(struct tls *t);
/*
 * Send up to n octets of the regular file fd from offset off with
 * SSL_sendfile() when the session's send direction is in the kernel
 * (p->ktls and the kernel took it): the octets are encrypted without
 * passing through postern.  Returns the count sent, 0 when kernel TLS is
 * not in use (nothing sent: the caller writes the octets itself), or -1
 * with *e set (ERR_TEMP; ERR_IO when the file cannot be read).
 */
ssize_t	tls_sendfile(struct tls *t, int fd, off_t off, size_t n,
	    long long deadline, struct err *e);
void	tls_close(struct tls *t);	/* close_notify (best effort), free */

/* For reports and logs.  Strings are truncated to fit. */
struct tls_peer {
	char	version[16];
	char	cipher[64];
	char	subject[256];
	char	issuer[256];
	char	fingerprint[128];	/* sha256:AB:CD:... */
	char	not_after[64];
	int	resumed;		/* abbreviated handshake */
};
void	tls_describe(struct tls *t, struct tls_peer *p);

#endif
