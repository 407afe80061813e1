/*
 * smtp.h -- the SMTP client: one session with the smarthost.
 *
 * A session is opened once (connect, greeting, EHLO, STARTTLS or implicit
 * TLS, AUTH) and may then carry several messages (RSET between them), as the
 * queue runner does.  Credentials are only ever sent over TLS whose chain and
 * host name were verified (or pinned), or with tls = none to a loopback
 * address.
 *
 * Errors: ERR_TEMP for anything a later retry may fix (connect, TLS, 4xx,
 * 421, timeouts, lost connection, bad replies); ERR_UNAVAILABLE for a 5xx to
 * MAIL or DATA; ERR_NOUSER when only some recipients got 5xx; ERR_NOPERM
 * for a permanent AUTH refusal (535).  e->msg carries the server's reply.
 */
#ifndef POSTERN_SMTP_H
#define POSTERN_SMTP_H

#include <sys/types.h>

#include "buf.h"
#include "config.h"
#include "envelope.h"
#include "err.h"

struct smtp_session;

struct smtp_info {
	char	 relay[300];	/* "host[ip]:port" */
	char	 tls_version[16];	/* "TLSv1.3", or "" */
	char	 tls_cipher[64];
	char	 peer_subject[256];
	char	 peer_issuer[256];
	char	 peer_fingerprint[128];	/* sha256:AB:CD:... */
	char	 auth_mech[32];	/* "" when not authenticated */
	/* ESMTP extensions the server offered after TLS. */
	int	 ext_pipelining, ext_8bitmime, ext_smtputf8, ext_dsn;
	int	 ext_enhancedstatuscodes, ext_starttls, ext_chunking;
	long long ext_size;	/* 0: SIZE not offered or no limit */
	char	 ext_auth[200];	/* the AUTH mechanism list */
	int	 dsn_dropped;	/* -N/-R/-V given but DSN not offered */
	int	 authenticated;
};

/*
 * One server reply, fed line by line (exposed for tests and fuzzing).
 * Each line must be "ddd", "ddd text" or "ddd-text" with the same code,
 * at most SMTP_REPLY_LINE_MAX octets, at most SMTP_REPLY_LINES lines.
 */
#define SMTP_REPLY_LINE_MAX	512
#define SMTP_REPLY_LINES	100

struct smtp_reply {
	int		code;
	int		nlines;
	struct buf	text;	/* lines without their codes, "\n"-joined */
};

void	smtp_reply_init(struct smtp_reply *r);
void	smtp_reply_reset(struct smtp_reply *r);
void	smtp_reply_free(struct smtp_reply *r);
/* Returns 1 when the reply is complete, 0 when more lines follow, -1. */
int	smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len,
	    struct err *e);
/* Fill the ext_* fields of info from an EHLO reply. */
void	smtp_ehlo_parse(struct smtp_info *info, const struct smtp_reply *r);
/* Append s in RFC 3461 xtext to b. */
int	smtp_xtext(struct buf *b, const char *s);

/* verbose: write the dialogue to stderr, AUTH payloads shown as "***". */
int	smtp_open(struct smtp_session **sp, const struct config *c,
	    const char *secret, int verbose, struct err *e);

/*
 * Send one message whose canonical form (see msg.h) is in datafd, size
 * octets from offset 0.  Only recipients in state RCPT_PENDING or
 * RCPT_DEFERRED are tried; each one's state and reply are updated.  Returns
 * 0 when every tried recipient was accepted, else -1 with *e describing the
 * worst outcome.  After a failure the session may still be usable:
 * smtp_usable() says.
 */
int	smtp_send(struct smtp_session *s, struct envelope *env, int datafd,
	    off_t size, struct err *e);

/* Verify one address with MAIL/RCPT/RSET (-bv).  reply gets the answer. */
int	smtp_verify(struct smtp_session *s, const char *sender,
	    const char *rcpt, char *reply, size_t replylen, struct err *e);

int	smtp_usable(const struct smtp_session *s);
const struct smtp_info *smtp_info(const struct smtp_session *s);

/* QUIT (when usable), close and free. */
void	smtp_close(struct smtp_session *s);

#endif
