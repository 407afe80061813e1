/*
 * submit.h -- taking a message from a local caller: the envelope (sender,
 * recipients, aliases), the canonical message spooled once, and the hand
 * over to deliver.h (now, in the background, or queue only); also the
 * -bs handlers that do the same for each message of an SMTP session.
 *
 * Everything it needs from the configuration comes in struct
 * submit_params (params.c fills it).  Nothing here exits; the only output
 * is the one log line per message, and the one line for stderr that
 * submit_now() hands back to main.c.
 *
 * Errors: ERR_USAGE (bad -f, no recipients, a bad recipient argument),
 * ERR_DATA (the message or a -t header), ERR_NOPERM (-f not allowed),
 * ERR_CONFIG, ERR_CANTCREAT/ERR_IO (the queue or a scratch file), and the
 * delivery classes of deliver.h.
 */
#ifndef POSTERN_SUBMIT_H
#define POSTERN_SUBMIT_H

#include <sys/types.h>

#include "alias.h"
#include "cli.h"
#include "deliver.h"
#include "dkim.h"
#include "envelope.h"
#include "err.h"
#include "msg.h"
#include "queue.h"
#include "serve.h"

/* How a submission is handed over (enum config_delivery's values). */
enum submit_how { SUBMIT_NOW = 0, SUBMIT_BACKGROUND, SUBMIT_QUEUE };

struct submit_params {
	const char		*domain;	/* [sender] domain, or NULL */
	const char		*hostname;	/* this host's name */
	const char		*user;		/* the caller's login name */
	const char		*full_name;	/* -F or GECOS name, or NULL */
	const char		*from;		/* [sender] from, or NULL */
	int			 force_from;	/* from_header = force */
	int			 allow_from_override;
	const char		*config_path;	/* for messages */
	const char		*tmpdir;	/* scratch files */
	off_t			 max_size;	/* [queue] max_message_size;
						   0: no limit */
	int			 queue_enabled;
	const char		*queue_dir;	/* NULL: not set */
	enum submit_how		 how;		/* [queue] delivery, or -od */
	int			 tls_verify;	/* for -bv's report */
	struct dkim		*dkim;		/* [dkim] signer; NULL: none */
	struct queue_params	 qp;
	struct deliver_params	 dp;
	struct alias_params	 ap;
};

/* [queue] dir opened (queue_open()); ERR_CONFIG when it is not set. */
int	submit_open_queue(const struct submit_params *p, struct queue **qp,
	    int create, struct err *e);

/*
 * Set env's sender: arg (-f, -r; NULL: the [sender] default with %u and
 * %h expanded, or user@domain) as the caller asked for it: "" and "<>"
 * and MAILER-DAEMON are the null sender, a bare name gets the domain.
 * ERR_NOPERM when -f is not allowed, ERR_USAGE for a bad arg, and for an
 * address the envelope refuses ERR_USAGE (arg given) or ERR_CONFIG (the
 * default), or envelope_set_sender()'s class when !reclass.
 */
int	submit_sender(const struct submit_params *p, const char *arg,
	    struct envelope *env, int reclass, struct err *e);

/*
 * Qualify and alias-expand one recipient (a spec) into env; ERR_DATA when
 * a result has no domain and none is configured, else aliases_expand()'s
 * and envelope_add_rcpt()'s errors.
 */
int	submit_add_rcpt(const struct submit_params *p,
	    const struct aliases *al, struct envelope *env, const char *spec,
	    struct err *e);

/* Every address of the list s (len octets); any error gets class cls. */
int	submit_add_list(const struct submit_params *p,
	    const struct aliases *al, struct envelope *env, const char *s,
	    size_t len, enum err_class cls, struct err *e);

/*
 * The canonical message (msg_write()) spooled once: into the queue's
 * tmp/ when q is usable (a temporary failure then only commits what is
 * on disk), else a scratch file.  need_queue: fail with the queue's error
 * rather than use a scratch file.
 */
struct submit_spool {
	struct queue_spool	*sp;	/* NULL: fd is a scratch file */
	struct err		 qerr;	/* why there is no spool */
	int			 fd;
	off_t			 size;
	struct msg_stats	 st;
};

/*
 * Spool m (headers read) and the rest of in for env with the fix-ups
 * p asks for; env->body becomes BODY_8BITMIME when the message has 8-bit
 * octets and the caller did not say.  On failure nothing is left behind.
 */
int	submit_spool(const struct submit_params *p, struct queue *q,
	    struct envelope *env, struct msg *m, struct msg_input *in,
	    int need_queue, struct submit_spool *ss, struct err *e);

/* One submission from the command line (-bm, -t). */
struct submit;

/*
 * Read the caller's message from infd with opts' envelope and spool it.
 * ERR_* as above; on failure nothing is kept and *sp is NULL.
 */
int	submit_read(struct submit **sp, const struct submit_params *p,
	    const struct opts *o, int infd, struct err *e);

/* SUBMIT_NOW unless a spool exists and -odb/-odq was asked for. */
enum submit_how	submit_how(const struct submit *s);

/* -odq, -odb: commit the spool as a queue entry and log it (ERR_IO). */
int	submit_commit(struct submit *s, struct err *e);

/* -odb's child (holding the entry's lock): deliver the committed entry. */
void	submit_background(struct submit *s);

/*
 * Deliver now (deliver_spooled()), then let a usable session carry up to
 * 10 queue entries (self-draining).  Returns the class for the exit
 * status; line gets the one line for stderr ("" for none).
 */
enum err_class	submit_now(struct submit *s, char *line, size_t len);

void	submit_free(struct submit *s);

/* -bs: the serve.h handlers, relaying or queueing each message. */
struct submit_serve;

/* Aliases and the queue (when usable) opened; ERR_CONFIG for aliases. */
int	submit_serve_new(struct submit_serve **cp,
	    const struct submit_params *p, struct serve_handler *h,
	    struct err *e);
void	submit_serve_free(struct submit_serve *c);

/*
 * -bs: one SMTP session (serve_run() with sp) on in_fd/out_fd, every
 * message relayed or queued through p.  Returns 0; -1 when the session
 * cannot start (submit_serve_new()'s errors, nothing sent); -2 when the
 * session failed (serve_run()'s errors, logged as "-bs: reason" and
 * printed nowhere: the client reads replies, not our messages).
 */
int	submit_serve(const struct submit_params *p,
	    const struct serve_params *sp, int in_fd, int out_fd,
	    struct err *e);

/*
 * One run over q through d (queue_run()), or through a session of its
 * own when d is NULL: force ignores next-attempt times, max bounds the
 * entries (0: all).  *st is zeroed first.  queue_run()'s errors.
 */
int	submit_run_queue(const struct submit_params *p, struct queue *q,
	    struct deliver *d, int force, size_t max, struct queue_stats *st,
	    struct err *e);

#endif
