/*
 * envelope.h -- the SMTP envelope of one message.
 *
 * Shared by the message reader (which fills it), the SMTP client (which
 * sends it and records each recipient's outcome) and the queue (which
 * stores it).  Every string is checked by addr_check_envelope() before it
 * is added, so none holds CR, LF or other control characters.
 */
#ifndef POSTERN_ENVELOPE_H
#define POSTERN_ENVELOPE_H

#include <stddef.h>

#include "err.h"

enum rcpt_state {
	RCPT_PENDING = 0,	/* not tried yet, or to be retried */
	RCPT_SENT,		/* the smarthost accepted the message for it */
	RCPT_DEFERRED,		/* 4xx: retry later */
	RCPT_FAILED		/* 5xx: permanent */
};

struct rcpt {
	char		*addr;		/* envelope form, no <> */
	enum rcpt_state	 state;
	char		*reply;		/* last server reply for it, or NULL */
};

enum body_type { BODY_UNSPEC = 0, BODY_7BIT, BODY_8BITMIME };

/*
 * What the writer of the spooled message saw (speed, issue 10): the SMTP
 * client then need not read the whole message again to find out.  Not
 * stored in the queue: a queue run starts from SCAN_UNKNOWN.
 */
enum body_scan { SCAN_UNKNOWN = 0, SCAN_7BIT, SCAN_8BIT };

struct envelope {
	char		*sender;	/* "" is the null sender */
	struct rcpt	*rcpts;
	size_t		 nrcpts;
	size_t		 cap;
	/* DSN, each NULL when not given (-N, -R, -V). */
	char		*dsn_notify;	/* "never" or "failure,delay,success" */
	char		*dsn_ret;	/* "hdrs" or "full" */
	char		*dsn_envid;	/* raw; xtext-encoded on the wire */
	enum body_type	 body;		/* from -B, or found while reading */
	int		 smtputf8;	/* an address is not ASCII */
	enum body_scan	 scanned;	/* octets >= 0x80 in the spool? */
};

/*
 * Ownership: the envelope owns every string in it (envelope_free()).
 * Errors: envelope_set_sender() and envelope_add_rcpt() fail with
 * ERR_DATA for an address addr_check_envelope() refuses and ERR_SOFTWARE
 * when out of memory; nothing else fails.
 */
void	envelope_init(struct envelope *env);
void	envelope_free(struct envelope *env);
int	envelope_set_sender(struct envelope *env, const char *addr,
	    struct err *e);
/* Adds addr unless an equal one (case-insensitive domain) is present. */
int	envelope_add_rcpt(struct envelope *env, const char *addr,
	    struct err *e);
int	envelope_set_reply(struct rcpt *r, const char *reply);
/* Count of recipients in the given state. */
size_t	envelope_count(const struct envelope *env, enum rcpt_state state);

/*
 * The one rule for the fate of a recipient the smarthost never answered,
 * from the class of the error that ended the attempt (the interactive
 * submission, -bs and the queue runner all use it).  Permanent
 * (RCPT_FAILED) only when the message was refused for good or cannot be
 * sent as it is: ERR_UNAVAILABLE, ERR_NOUSER, ERR_DATA.  Everything else
 * is RCPT_DEFERRED, local trouble included (ERR_USAGE, ERR_CANTCREAT,
 * ERR_IO, ERR_CONFIG, ERR_NOPERM, ERR_SOFTWARE, ERR_TEMP): it may be
 * fixed before the message expires, and a retry loses nothing.  (Until
 * 0.2 the interactive path failed ERR_USAGE and ERR_CANTCREAT for good
 * while the queue deferred them; neither class comes out of a delivery
 * attempt today.)
 */
enum rcpt_state	envelope_fate(enum err_class cls);

/* Give every PENDING recipient envelope_fate(e->cls) and the reply e->msg. */
void	envelope_settle(struct envelope *env, const struct err *e);

#endif
