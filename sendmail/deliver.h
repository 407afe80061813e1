/*
 * deliver.h -- one smarthost session, and what became of each recipient.
 *
 * Every way a message leaves this host goes through here: the interactive
 * submission, -odb's child, each -bs message and every queue run.  A
 * struct deliver owns one SMTP session, opened on first use (through the
 * caller's open callback: params.c builds it from the configuration) and
 * reused for each following message of the process.
 *
 * One rule decides the fate of a recipient the smarthost never answered
 * (envelope_fate() in envelope.h, shared with the queue runner), one
 * when a message may be sent again on a fresh connection
 * (deliver_may_retry()).  Both are pure functions, unit-tested in
 * tests/test_deliver.c, which also runs them against a loopback peer.
 *
 * Errors are the SMTP client's (smtp.h): ERR_TEMP, ERR_UNAVAILABLE,
 * ERR_NOUSER, ERR_NOPERM, ERR_CONFIG (opening), ERR_IO (reading the
 * spooled message), ERR_SOFTWARE.  Nothing here prints (but the one log
 * line per message through log.h) or exits.
 */
#ifndef POSTERN_DELIVER_H
#define POSTERN_DELIVER_H

#include <sys/types.h>

#include <signal.h>

#include "envelope.h"
#include "err.h"
#include "queue.h"
#include "smtp.h"

/*
 * How to open a session.  open() connects, says EHLO, starts TLS and
 * authenticates (smtp_open()); 0 with *sp, or with *e and *sp NULL: -1
 * when it failed before connecting (the secret could not be read), -2
 * when the connection failed.
 */
struct deliver_params {
	int		(*open)(void *arg, struct smtp_session **sp,
			    struct err *e);
	void		*open_arg;
	const char	*auth_user;	/* for the log line; NULL: none */
	long long	 start_ms;	/* clock_now_ms() at process start */
	/* NULL, or a flag that once non-zero makes the queue runner's
	   more() say no: nothing new is sent (a -qINTERVAL told to stop) */
	volatile sig_atomic_t *stop;
};

struct deliver;

/* A new, unopened delivery; -1 with ERR_SOFTWARE when out of memory. */
int	deliver_new(struct deliver **dp, const struct deliver_params *p,
	    struct err *e);
/* QUIT (when usable), close the session and free.  NULL is a no-op. */
void	deliver_free(struct deliver *d);

/*
 * Send env's PENDING and DEFERRED recipients the message in fd (size
 * octets from offset 0), opening the session first when there is none
 * usable.  Each tried recipient's state and reply are set as smtp_send()
 * sets them; one the client never got to (a session that could not be
 * opened, a refusal before MAIL) is left PENDING for envelope_settle(),
 * unless it was DEFERRED before: it stays so.  A reused session found
 * dead before the body, no recipient having a final answer, is replaced
 * once (deliver_may_retry()).  Returns 0 when every tried recipient was
 * accepted, else -1 with *e.  Once opening has failed, later calls fail
 * at once with the same error until deliver_reset().
 */
int	deliver_send(struct deliver *d, struct envelope *env, int fd,
	    off_t size, struct err *e);

/* Forget that opening failed: the next message gets its own try. */
void	deliver_reset(struct deliver *d);
/* 1 while opening has not failed (the queue runner's more()). */
int	deliver_reachable(const struct deliver *d);
/* 1 when a session is open and can carry another message. */
int	deliver_usable(const struct deliver *d);
/* The open session's facts, or NULL when none was opened. */
const struct smtp_info *deliver_info(const struct deliver *d);

/*
 * The queue runner's view of d (queue.h): deliver() is deliver_send(),
 * more() deliver_reachable(), report() the log line of each entry.
 */
void	deliver_queue_deliverer(struct deliver *d,
	    struct queue_deliverer *qd);

/*
 * May a message whose attempt failed be sent once more on a new
 * connection?  Only when the session was reused (a server may close one
 * that sat idle), it is dead now, the attempt stopped before the body
 * (step, smtp_last_step(), is SMTP_STEP_CHECK or SMTP_STEP_ENVELOPE:
 * nothing the server could have taken went out), and no recipient tried
 * got an answer that counts, a final one: none that was to be tried
 * (was[i] PENDING or DEFERRED; was NULL: all) is now SENT or FAILED.  A
 * lost final reply (SMTP_STEP_DOT) is never resent: the server may have
 * the message, and a second copy is worse than a late one.
 */
int	deliver_may_retry(int reused, int usable, enum smtp_step step,
	    const struct envelope *env, const enum rcpt_state *was);

/*
 * The one log line of a message: id (NULL: "-"), sender, recipients,
 * size, relay, TLS and auth (from info; NULL: none), status ("sent", "queued", "deferred",
 * "failed", ...) and why, and the delay since the process started.
 */
void	deliver_log(const struct deliver_params *p,
	    const struct smtp_info *info, const char *id,
	    const struct envelope *env, off_t size, const char *status,
	    const char *why);

/* What became of one spooled message tried now (deliver_spooled()). */
struct deliver_outcome {
	enum err_class	 cls;		/* ERR_OK, ERR_NOUSER (some refused),
					   ERR_UNAVAILABLE (all refused), or
					   why it could not be kept */
	int		 queued;	/* some recipients wait in the queue */
	int		 delivered;	/* some recipients were accepted */
	int		 reported;	/* refused ones got a DSN in the queue */
	char		 id[QUEUE_ID_SIZE];	/* "" without a queue */
	struct err	 e;		/* why not everything was delivered */
};

/* The message deliver_spooled() tries. */
struct deliver_msg {
	struct queue		*q;	/* NULL: no queue */
	struct queue_spool	*sp;	/* NULL: fd is a scratch file */
	const struct err	*qerr;	/* why there is no spool */
	int			 queue_enabled;	/* a queue was configured */
	const struct queue_params *qp;
	int			 fd;
	struct envelope		*env;
	off_t			 size;
	int			 dsn_on_submit;	/* -bs: DSN for refused ones */
};

/*
 * Deliver m now over d, then keep what must be kept: with a spool,
 * queue_spool_settle() commits the recipients to retry and copies failed
 * ones to failed/ (with a DSN if dsn_on_submit and not all were refused);
 * without one, a temporary failure is the caller's to retry (ERR_TEMP or
 * ERR_CONFIG), or the queue's error when one was configured but could not
 * be written.  Logs one line.  The spool is closed; fd (when a scratch
 * file) and the session are not.
 */
void	deliver_spooled(struct deliver *d, const struct deliver_msg *m,
	    struct deliver_outcome *o);

#endif
