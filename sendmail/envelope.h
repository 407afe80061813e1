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
};

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

#endif
