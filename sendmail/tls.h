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

#include "config.h"
#include "err.h"

struct tls;

/*
 * fd must be non-blocking; deadline is a CLOCK_MONOTONIC time in ms after
 * which the handshake fails with ERR_TEMP.  host is the configured name.
 */
int	tls_start(struct tls **tp, int fd, const struct config *c,
	    const char *host, long long deadline, struct err *e);
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
void	tls_close(struct tls *t);	/* close_notify (best effort), free */

/* For reports and logs.  Strings are truncated to fit. */
struct tls_peer {
	char	version[16];
	char	cipher[64];
	char	subject[256];
	char	issuer[256];
	char	fingerprint[128];	/* sha256:AB:CD:... */
	char	not_after[64];
};
void	tls_describe(struct tls *t, struct tls_peer *p);

#endif
