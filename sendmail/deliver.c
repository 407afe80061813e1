/*
 * deliver.c -- one smarthost session and the fate of each recipient (see
 * deliver.h).
 *
 * The session is the caller's to open (a callback), so this file needs no
 * configuration and its rules can be tested without a network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "deliver.h"
#include "log.h"

struct deliver {
	struct deliver_params	 p;
	struct smtp_session	*s;
	int			 unreachable;	/* opening failed: stop */
	struct err		 open_err;
};

int
deliver_new(struct deliver **dp, const struct deliver_params *p,
    struct err *e)
{
	if ((*dp = calloc(1, sizeof(**dp))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	(*dp)->p = *p;
	return 0;
}

void
deliver_free(struct deliver *d)
{
	if (d == NULL)
		return;
	smtp_close(d->s);
	free(d);
}

void
deliver_reset(struct deliver *d)
{
	d->unreachable = 0;
}

int
deliver_reachable(const struct deliver *d)
{
	return !d->unreachable;
}

int
deliver_usable(const struct deliver *d)
{
	return d->s != NULL && smtp_usable(d->s);
}

const struct smtp_info *
deliver_info(const struct deliver *d)
{
	return d->s != NULL ? smtp_info(d->s) : NULL;
}

int
deliver_may_retry(int reused, int usable, enum smtp_step step,
    const struct envelope *env, const enum rcpt_state *was)
{
	size_t	i;

	if (!reused || usable ||
	    (step != SMTP_STEP_CHECK && step != SMTP_STEP_ENVELOPE))
		return 0;
	for (i = 0; i < env->nrcpts; i++) {
		if (was != NULL && was[i] != RCPT_PENDING &&
		    was[i] != RCPT_DEFERRED)
			continue;	/* not tried in this attempt */
		if (env->rcpts[i].state == RCPT_SENT ||
		    env->rcpts[i].state == RCPT_FAILED)
			return 0;	/* a final answer */
	}
	return 1;
}

/* Open a session unless a usable one is there. */
static int
session(struct deliver *d, struct err *e)
{
	if (deliver_usable(d))
		return 0;
	smtp_close(d->s);
	d->s = NULL;
	if (d->unreachable) {
		*e = d->open_err;
		return -1;
	}
	if (d->p.open(d->p.open_arg, &d->s, e) < 0) {
		d->s = NULL;
		d->unreachable = 1;
		d->open_err = *e;
		return -1;
	}
	return 0;
}

/*
 * One try with the recipients to do marked PENDING, so that a recipient
 * the client never reached (a refusal before MAIL, an unusable session)
 * is still PENDING after it.
 */
static int
send_once(struct deliver *d, struct envelope *env, const enum rcpt_state *was,
    int fd, off_t size, struct err *e)
{
	size_t	i;

	for (i = 0; i < env->nrcpts; i++)
		if (was[i] == RCPT_PENDING || was[i] == RCPT_DEFERRED)
			env->rcpts[i].state = RCPT_PENDING;
	if (session(d, e) == -1)
		return -1;	/* the caller logs the message's outcome */
	return smtp_send(d->s, env, fd, size, e);
}

int
deliver_send(struct deliver *d, struct envelope *env, int fd, off_t size,
    struct err *e)
{
	enum rcpt_state	*was;
	size_t		 i;
	int		 rc, reused = deliver_usable(d);

	if ((was = calloc(env->nrcpts + 1, sizeof(*was))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	for (i = 0; i < env->nrcpts; i++)
		was[i] = env->rcpts[i].state;
	rc = send_once(d, env, was, fd, size, e);
	/*
	 * A server may drop a connection that sat idle (a -bs client between
	 * messages, a long queue run): a reused session that died before any
	 * recipient was answered gets one more try on a new one.
	 */
	if (rc == -1 && d->s != NULL && deliver_may_retry(reused,
	    deliver_usable(d), smtp_last_step(d->s), env, was))
		rc = send_once(d, env, was, fd, size, e);
	/* Unanswered ones that were deferred before stay deferred. */
	for (i = 0; i < env->nrcpts; i++)
		if (was[i] == RCPT_DEFERRED &&
		    env->rcpts[i].state == RCPT_PENDING)
			env->rcpts[i].state = RCPT_DEFERRED;
	free(was);
	if (d->s != NULL && smtp_info(d->s)->dsn_dropped)
		log_warn("DSN options dropped: %s does not offer DSN",
		    smtp_info(d->s)->relay);
	return rc;
}

/*
 * "<a>,<b>" for the log, each address escaped (log_addr); whole addresses
 * only, then ",..." when the rest does not fit; "none" when there is none.
 */
static void
rcpt_list(const struct envelope *env, char *out, size_t len)
{
	char	a[LOG_ADDR_MAX];
	size_t	i, n, o = 0;

	snprintf(out, len, "none");
	for (i = 0; i < env->nrcpts; i++) {
		log_addr(env->rcpts[i].addr, a, sizeof(a));
		n = strlen(a);
		if (o + (i ? 1 : 0) + n + 5 > len) {
			snprintf(out + o, len - o, ",...");
			break;
		}
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? "," : "",
		    a);
	}
}

void
deliver_log(const struct deliver_params *p, const struct smtp_info *info,
    const char *id, const struct envelope *env, off_t size,
    const char *status, const char *why)
{
	char	to[1024], from[LOG_ADDR_MAX], text[600];

	rcpt_list(env, to, sizeof(to));
	log_info("id=%s from=%s to=%s size=%lld relay=%s tls=%s auth=%s "
	    "status=%s (%s) delay=%.2fs", id ? id : "-",
	    log_addr(env->sender, from, sizeof(from)), to, (long long)size,
	    info && info->relay[0] ? info->relay : "none",
	    info && info->tls_version[0] ? info->tls_version : "none",
	    info && info->authenticated && p->auth_user ? p->auth_user :
	    "none", status, log_text(why, text, sizeof(text)),
	    (double)(clock_now_ms() - p->start_ms) / 1000.0);
}

static int
qd_deliver(void *arg, struct envelope *env, int fd, off_t size,
    struct err *e)
{
	return deliver_send(arg, env, fd, size, e);
}

static int
qd_more(void *arg)
{
	const struct deliver	*d = arg;

	if (d->p.stop != NULL && *d->p.stop != 0)
		return 0;	/* told to stop: send nothing new */
	return deliver_reachable(arg);
}

static void
qd_report(void *arg, const struct queue_entry *qe, const char *status,
    const char *detail)
{
	const struct deliver	*d = arg;
	const char		*why = detail;

	if (strcmp(status, "sent") == 0 || why == NULL)
		why = qe->env.nrcpts && qe->env.rcpts[0].reply ?
		    qe->env.rcpts[0].reply : "ok";
	deliver_log(&d->p, deliver_info(d), qe->id, &qe->env, qe->size,
	    status, why);
}

void
deliver_queue_deliverer(struct deliver *d, struct queue_deliverer *qd)
{
	qd->arg = d;
	qd->deliver = qd_deliver;
	qd->more = qd_more;
	qd->report = qd_report;
}

/* The class a caller reports from each recipient's state. */
static enum err_class
rcpt_class(const struct envelope *env)
{
	if (envelope_count(env, RCPT_FAILED) == 0)
		return ERR_OK;
	return envelope_count(env, RCPT_FAILED) == env->nrcpts ?
	    ERR_UNAVAILABLE : ERR_NOUSER;
}

/* No spool: what is deferred is the caller's to retry. */
static void
keep_none(const struct deliver_msg *m, const struct err *e,
    struct deliver_outcome *o)
{
	o->cls = rcpt_class(m->env);
	if (envelope_count(m->env, RCPT_DEFERRED) == 0)
		return;
	if (m->queue_enabled) {
		/* The queue would have kept it, but failed. */
		err_set(&o->e, m->qerr->cls, "%s; and %s", e->msg,
		    m->qerr->msg);
		o->cls = m->qerr->cls;
	} else {
		o->e.cls = e->cls == ERR_CONFIG ? ERR_CONFIG : ERR_TEMP;
		o->cls = o->e.cls;
	}
}

/* A spool: commit what is to retry, record what failed. */
static void
keep_spooled(const struct deliver_msg *m, const struct err *e,
    struct deliver_outcome *o)
{
	struct queue_params	 p = *m->qp;
	enum queue_outcome	 out = QUEUE_DISCARDED;
	struct err		 qe;
	char			 text[600];

	/*
	 * A DSN only when the caller is told "accepted" although some
	 * recipients were refused; a refusal of every recipient is reported
	 * to the caller directly (exit status or SMTP reply), once.
	 */
	p.dsn_on_submit = m->dsn_on_submit &&
	    envelope_count(m->env, RCPT_FAILED) < m->env->nrcpts;
	o->reported = p.dsn_on_submit && queue_wants_failure_dsn(m->env) &&
	    envelope_count(m->env, RCPT_FAILED) > 0;
	if (queue_spool_settle(m->q, m->sp, m->env, e, &p, &out, &qe) == -1) {
		o->reported = 0;
		if (out == QUEUE_DISCARDED) {
			/* Nothing was committed: nothing promised. */
			o->e = qe;
			o->cls = qe.cls;
			return;
		}
		/*
		 * The entry is committed; only the failed/ record or the DSN
		 * for refused recipients could not be written.  Exiting 73/74
		 * now would invite a resubmission, and a duplicate.
		 */
		log_warn("id=%s: %s", o->id, log_text(qe.msg, text,
		    sizeof(text)));
	}
	o->queued = out == QUEUE_QUEUED;
	o->cls = rcpt_class(m->env);
}

void
deliver_spooled(struct deliver *d, const struct deliver_msg *m,
    struct deliver_outcome *o)
{
	struct envelope	*env = m->env;
	struct err	 e;
	int		 rc;

	memset(o, 0, sizeof(*o));
	err_clear(&e);
	if (m->sp != NULL)
		snprintf(o->id, sizeof(o->id), "%s", queue_spool_id(m->sp));
	deliver_reset(d);	/* each message gets its own try */
	rc = deliver_send(d, env, m->fd, m->size, &e);
	o->delivered = envelope_count(env, RCPT_SENT) > 0;
	if (rc == -1)
		envelope_settle(env, &e);
	o->e = e;
	if (rc == -1 && m->sp == NULL)
		keep_none(m, &e, o);
	else if (rc == -1)
		keep_spooled(m, &e, o);
	if (m->sp != NULL)
		queue_spool_close(m->q, m->sp);	/* removes it unless kept */
	/* One log line for the message, with its final outcome. */
	deliver_log(&d->p, deliver_info(d), o->id[0] ? o->id : NULL, env, m->size, rc == 0 ?
	    "sent" : o->queued ? "queued" : envelope_count(env, RCPT_FAILED) ?
	    "failed" : "deferred", rc == 0 ? (env->nrcpts &&
	    env->rcpts[0].reply ? env->rcpts[0].reply : "ok") : o->e.msg);
}
