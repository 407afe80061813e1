/*
 * smtp.h -- the SMTP client: one session with the smarthost.
 *
 * A session is opened once (connect, greeting, EHLO, STARTTLS or implicit
 * TLS, AUTH) and may then carry several messages (RSET between them), as the
 * queue runner does.  Credentials are only ever sent over TLS whose chain and
 * host name were verified (or pinned), or with SMTP_TLS_NONE to a loopback
 * address.  The module takes struct smtp_params, never struct config:
 * params.h builds them from the configuration.
 *
 * Error classes (e->cls; e->msg carries the server's reply when there is
 * one):
 *   ERR_TEMP         anything a later retry may fix: connect, TLS, timeouts,
 *                    a lost connection, malformed replies, 4xx, 421, and
 *                    every AUTH failure, 535 included (SPEC: "A temporary
 *                    failure (connect, TLS, AUTH, ...) queues"); the
 *                    password may be fixed, the mail is kept
 *   ERR_UNAVAILABLE  a permanent refusal of the whole message: a 5xx
 *                    greeting (554, 521), 5xx to EHLO and HELO, MAIL or
 *                    DATA or the final dot, every recipient 5xx, a message
 *                    over the server's SIZE, SMTPUTF8 needed but not
 *                    offered, 8-bit content to a server without 8BITMIME
 *                    that mime7.h cannot make 7-bit (5.6.3)
 *   ERR_NOUSER       some recipients got 5xx, others were accepted or
 *                    deferred
 *   ERR_CONFIG       credentials refused to be sent without TLS to a
 *                    non-loopback host (tls = none)
 *   ERR_IO           the spooled message could not be read
 *   ERR_SOFTWARE     out of memory
 *
 * Time (see smtp_params): every command's whole reply, however many lines,
 * must arrive within `timeout` seconds of the wait's start; opening a
 * session (connect through AUTH) must finish within open_timeout (default
 * SMTP_OPEN_STEPS x timeout); writes fail when the server takes nothing
 * for `timeout`; the
 * reply to the final dot gets `final_timeout` (600 s, RFC 5321 4.5.3.2.6).
 */
#ifndef POSTERN_SMTP_H
#define POSTERN_SMTP_H

#include <sys/types.h>

#include "buf.h"
#include "envelope.h"
#include "err.h"

struct conn;
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
/*
 * Returns 1 when the reply is complete, 0 when more lines follow, -1 with
 * ERR_TEMP for a malformed line (code not 2xx..5xx, bad separator, NUL,
 * a code differing from the first line's, too long, too many lines).
 */
int	smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len,
	    struct err *e);
/* Fill the ext_* fields of info from an EHLO reply (first line skipped). */
void	smtp_ehlo_parse(struct smtp_info *info, const struct smtp_reply *r);
/* Append s in RFC 3461 xtext to b.  0, or -1 when b is full. */
int	smtp_xtext(struct buf *b, const char *s);

/* ---- parameters ------------------------------------------------------- */

enum smtp_tls_mode { SMTP_TLS_STARTTLS, SMTP_TLS_IMPLICIT, SMTP_TLS_NONE };

/* Opening a session may take at most this many `timeout`s in total. */
#define SMTP_OPEN_STEPS		4
/* RFC 5321 4.5.3.2.6: the wait for the reply to the final dot. */
#define SMTP_FINAL_TIMEOUT	600
/* Octets per BDAT chunk (RFC 3030) unless smtp_params say otherwise. */
#define SMTP_BDAT_CHUNK		(1024 * 1024)

/*
 * Start TLS on c (handshake on net_fd(c), verification, then
 * net_set_transport) before the absolute deadline; fill info's tls_* and
 * peer_* fields.  0, or -1 with ERR_TEMP (nothing may be sent then).
 */
typedef int (*smtp_tls_start_fn)(const void *arg, struct conn *c,
    const char *host, long long deadline, struct smtp_info *info,
    struct err *e);

/*
 * Everything the client needs; strings are borrowed and must outlive the
 * session (smtp_connect copies the struct, not the strings).
 */
struct smtp_params {
	char *const	*hosts;		/* tried in order */
	size_t		 nhosts;
	unsigned	 port;
	enum smtp_tls_mode tls;
	const char	*helo;		/* NULL: this host's FQDN or [ip] */
	const char	*user;		/* NULL: no AUTH */
	unsigned	 auth_mechs;	/* AUTH_MECH_* allowed; 0: no AUTH */
	int		 auth_auto;
	unsigned	 timeout;	/* seconds per reply, per write stall */
	unsigned	 final_timeout;	/* seconds for the final dot's reply */
	unsigned	 open_timeout;	/* seconds for the whole opening;
					   0: SMTP_OPEN_STEPS x timeout */
	int		 verbose;	/* -v: the transcript on stderr */
	size_t		 bdat_chunk;	/* 0: SMTP_BDAT_CHUNK (tests: less) */
	smtp_tls_start_fn tls_start;	/* required unless tls = none */
	const void	*tls_arg;
};

/*
 * Open a session to the first of p->hosts that gets through to a ready,
 * authenticated state; a host failing with ERR_CONFIG stops the search.
 * secret: the AUTH password (NULL when p->user is NULL).  On failure *sp
 * is NULL and *e is the last host's error (classes above; a 5xx greeting
 * is ERR_UNAVAILABLE even when the server then closes).
 */
int	smtp_connect(struct smtp_session **sp, const struct smtp_params *p,
	    const char *secret, struct err *e);

/* ---- messages --------------------------------------------------------- */

/*
 * Where the last smtp_send() stopped.  Anything before SMTP_STEP_DOT means
 * the server has not taken the message for anyone in this call: the
 * recipients it accepted are back to their state before the call
 * (RCPT_PENDING or RCPT_DEFERRED) unless a reply said otherwise, so a
 * caller may retry them on a new session.  SMTP_STEP_DOT: the body went
 * out whole; without a final reply the server may have taken it (the
 * accepted recipients are RCPT_DEFERRED: a retry may duplicate).
 */
enum smtp_step {
	SMTP_STEP_NONE = 0,	/* not started, or finished with 250 */
	SMTP_STEP_CHECK,	/* refused before a command (SIZE, SMTPUTF8,
				   8BITMIME, session not usable) */
	SMTP_STEP_ENVELOPE,	/* MAIL, RCPT or DATA refused, or lost */
	SMTP_STEP_BODY,		/* lost while sending the body */
	SMTP_STEP_DOT		/* after the final dot */
};

/*
 * Send one message whose canonical form (see msg.h) is in datafd, size
 * octets from offset 0.  Only recipients in state RCPT_PENDING or
 * RCPT_DEFERRED are tried; each one tried gets its state and reply:
 * RCPT_SENT after the final 250, RCPT_FAILED for a 5xx (to its RCPT, or to
 * MAIL/DATA/the dot), RCPT_DEFERRED for a 4xx or a lost connection.
 * Returns 0 when every tried recipient was accepted, else -1 with *e
 * describing the worst outcome (classes above).
 *
 * MAIL gets SIZE= when offered, BODY=8BITMIME when the body has 8-bit
 * octets (whatever -B said) or env->body is BODY_8BITMIME and the server
 * offers 8BITMIME, SMTPUTF8 for env->smtputf8, DSN parameters only when
 * offered (info.dsn_dropped otherwise).  8-bit content is never sent to
 * a server that lacks 8BITMIME (RFC 6152 3): a single-part text message
 * with ASCII headers goes out quoted-printable (mime7.h; SIZE= is the
 * converted size), anything else fails with ERR_UNAVAILABLE "5.6.3"
 * before MAIL.  With PIPELINING, MAIL, the RCPTs and DATA go out in windows.
 *
 * The body: when the server offers CHUNKING (RFC 3030) and no 7-bit
 * conversion is needed, the spooled octets go as they are in "BDAT n"
 * chunks of bdat_chunk octets, the last "BDAT n LAST" (no DATA, no
 * dot-stuffing; sendfile(2) on a plain connection); a chunk refused with
 * 4xx/5xx ends the transaction like a refused final dot (RSET).  Without
 * CHUNKING, DATA and the dot-stuffed body (wire.h).
 * After a failure the session may still be usable: smtp_usable() says;
 * smtp_last_step() says where it stopped.
 */
int	smtp_send(struct smtp_session *s, struct envelope *env, int datafd,
	    off_t size, struct err *e);
enum smtp_step smtp_last_step(const struct smtp_session *s);

/*
 * Verify one address with MAIL/RCPT/RSET (-bv).  reply gets the answer.
 * 0 for 2xx; -1 with ERR_NOUSER (5xx to RCPT), ERR_UNAVAILABLE (5xx to
 * MAIL), ERR_TEMP otherwise.
 */
int	smtp_verify(struct smtp_session *s, const char *sender,
	    const char *rcpt, char *reply, size_t replylen, struct err *e);

/* 1 while the session can carry another command. */
int	smtp_usable(const struct smtp_session *s);
const struct smtp_info *smtp_info(const struct smtp_session *s);

/* QUIT (when usable), close and free.  NULL is a no-op. */
void	smtp_close(struct smtp_session *s);

#endif
