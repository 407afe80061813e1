/*
 * queue_dsn.c -- delivery status notifications (RFC 3464) for the
 * recipients that failed, queued as ordinary entries from the null
 * sender.  The original header section is quoted bounded, whole lines
 * only; replies from the smarthost are scrubbed of control octets.
 */
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "envelope.h"
#include "err.h"
#include "io.h"
#include "queue.h"
#include "queue_int.h"
#include "text.h"


struct dsnw {
	int		fd;
	struct buf	b;
	int		failed;
	int		eightbit;
};

static void dsn_printf(struct dsnw *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
dsn_flush(struct dsnw *w)
{
	if (!w->failed && w->b.len > 0 &&
	    io_write_all(w->fd, w->b.data, w->b.len, -1, NULL) == -1)
		w->failed = errno;
	buf_reset(&w->b);
}

static void
dsn_add(struct dsnw *w, const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			w->eightbit = 1;
	if (w->b.len + n > DSN_FLUSH)
		dsn_flush(w);
	if (n > DSN_FLUSH) {
		if (!w->failed && io_write_all(w->fd, p, n, -1, NULL) == -1)
			w->failed = errno;
		return;
	}
	if (buf_add(&w->b, p, n) == -1 && !w->failed)
		w->failed = ENOMEM;
}

static void
dsn_printf(struct dsnw *w, const char *fmt, ...)
{
	char	tmp[2048];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		w->failed = EINVAL;
		return;
	}
	if ((size_t)n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	dsn_add(w, tmp, (size_t)n);
}

/* Copy text for one header or DSN line: no control octets, bounded. */
static void
clean_line(const char *s, char *out, size_t outlen)
{
	text_scrub(out, outlen, s, outlen, ' ');
}

/* "5.1.1" from "550 5.1.1 text", else class.0.0 from the reply code. */
static void
status_of(const char *reply, int expired, char *out, size_t outlen)
{
	size_t	n;

	if (expired) {
		snprintf(out, outlen, "4.4.7");
		return;
	}
	if (reply == NULL || strlen(reply) <= 4 ||
	    (reply[0] != '4' && reply[0] != '5') ||
	    reply[1] < '0' || reply[1] > '9' ||
	    reply[2] < '0' || reply[2] > '9' ||
	    (reply[3] != ' ' && reply[3] != '-')) {
		snprintf(out, outlen, "5.0.0");
		return;
	}
	if ((n = text_enhanced_len(reply + 4, reply[0])) > 0 && n < outlen) {
		memcpy(out, reply + 4, n);
		out[n] = '\0';
	} else
		snprintf(out, outlen, "%c.0.0", reply[0]);
}

/* Copy the original header section (bounded, whole lines) into the DSN. */
static void
dsn_headers(struct dsnw *w, int datafd, off_t size)
{
	char	*h;
	size_t	 len = 0, cut, i;
	ssize_t	 r;
	size_t	 want = size < DSN_HDR_MAX ? (size_t)size : DSN_HDR_MAX;

	if ((h = malloc(want + 1)) == NULL) {
		w->failed = ENOMEM;
		return;
	}
	while (len < want) {
		r = pread(datafd, h + len, want - len, (off_t)len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	cut = len;
	for (i = 0; i + 3 < len; i++)
		if (memcmp(h + i, "\r\n\r\n", 4) == 0) {
			cut = i + 2;
			break;
		}
	/* Whole lines only, so the part stays in canonical form. */
	while (cut > 0 && !(cut >= 2 && h[cut - 2] == '\r' &&
	    h[cut - 1] == '\n'))
		cut--;
	dsn_add(w, h, cut);
	free(h);
}

int
wants_failure_dsn(const struct envelope *env)
{
	const char	*n = env->dsn_notify;

	if (env->sender == NULL || env->sender[0] == '\0')
		return 0;	/* never bounce to the null sender */
	if (n == NULL)
		return 1;
	return strcasestr(n, "failure") != NULL;
}

int
queue_wants_failure_dsn(const struct envelope *env)
{
	return wants_failure_dsn(env);
}

/* -N delay or no -N, and not the null sender (RFC 3461 4.1). */
int
wants_delay_dsn(const struct envelope *env)
{
	const char	*n = env->dsn_notify;

	if (env->sender == NULL || env->sender[0] == '\0')
		return 0;
	return n == NULL || strcasestr(n, "delay") != NULL;
}

/* What every part of one DSN needs. */
struct dsn {
	const struct queue_entry *qe;
	const enum rcpt_state	*before;
	int			 expired;
	int			 delayed;	/* the delay_warning one */
	const char		*host;
	const char		*id;		/* the DSN's own queue id */
	char			 date[64], adate[64], udate[64];
	char			 boundary[80];
};

/*
 * A recipient the DSN is about: newly failed in this attempt, or, for the
 * "delayed" one, still waiting.
 */
static int
dsn_newly_failed(const struct dsn *d, size_t i)
{
	enum rcpt_state	st = d->qe->env.rcpts[i].state;

	if (d->delayed)
		return st == RCPT_DEFERRED || st == RCPT_PENDING;
	return st == RCPT_FAILED && d->before[i] != RCPT_FAILED;
}

static void
dsn_head(struct dsnw *w, const struct dsn *d)
{
	dsn_printf(w, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n",
	    d->host);
	dsn_printf(w, "To: <%s>\r\n", d->qe->env.sender);
	dsn_printf(w, "Subject: %s\r\n", d->delayed ?
	    "Delayed Mail (still being retried)" :
	    "Undelivered Mail Returned to Sender");
	dsn_printf(w, "Date: %s\r\n", d->date);
	dsn_printf(w, "Message-ID: <%s.dsn@%s>\r\n", d->id, d->host);
	dsn_printf(w, "Auto-Submitted: auto-replied\r\n");
	dsn_printf(w, "MIME-Version: 1.0\r\n");
	dsn_printf(w, "Content-Type: multipart/report; "
	    "report-type=delivery-status;\r\n\tboundary=\"%s\"\r\n",
	    d->boundary);
	dsn_printf(w, "\r\nThis is a MIME-encapsulated message.\r\n\r\n");
}

/* The part for people. */
static void
dsn_text(struct dsnw *w, const struct dsn *d)
{
	char	line[QUEUE_TEXT_MAX + 1];
	size_t	i;

	dsn_printf(w, "--%s\r\n", d->boundary);
	dsn_printf(w, "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n");
	dsn_printf(w, "This is the mail system at host %s.\r\n\r\n",
	    d->host);
	if (d->delayed)
		dsn_printf(w, "Your message (queue id %s, submitted %s)\r\n"
		    "could not be delivered yet to one or more recipients.\r\n"
		    "It is still being retried, until %s; this is only a "
		    "warning,\r\nyou need not send it again.\r\n", d->qe->id,
		    d->adate, d->udate);
	else
		dsn_printf(w, "Your message (queue id %s, submitted %s)\r\n"
		    "could not be delivered to one or more recipients.\r\n",
		    d->qe->id, d->adate);
	if (d->expired)
		dsn_printf(w, "It could not be delivered within the "
		    "queue lifetime.\r\n");
	dsn_printf(w, "\r\n");
	for (i = 0; i < d->qe->env.nrcpts; i++) {
		const struct rcpt *r = &d->qe->env.rcpts[i];

		if (!dsn_newly_failed(d, i))
			continue;
		clean_line(r->reply != NULL ? r->reply : d->delayed ?
		    "not delivered yet" : "failed", line, 900);
		dsn_printf(w, "<%s>: %s\r\n", r->addr, line);
	}
}

/* One recipient's fields of the message/delivery-status part. */
static void
dsn_rcpt(struct dsnw *w, const struct dsn *d, const struct rcpt *r)
{
	char	line[QUEUE_TEXT_MAX + 1], status[16];

	/* One refused for good in the last attempt keeps its 5.x.x. */
	status_of(r->reply, d->expired && r->reply != NULL &&
	    strncmp(r->reply, EXPIRED_TEXT, sizeof(EXPIRED_TEXT) - 1) == 0,
	    status, sizeof(status));
	if (d->delayed && status[0] != '4')
		snprintf(status, sizeof(status), "4.0.0");
	clean_line(r->reply != NULL ? r->reply : d->delayed ?
	    "not delivered yet" : "failed", line, 900);
	dsn_printf(w, "\r\nFinal-Recipient: %s; %s\r\n",
	    addr_is_utf8(r->addr) ? "utf-8" : "rfc822", r->addr);
	dsn_printf(w, "Action: %s\r\nStatus: %s\r\n", d->delayed ?
	    "delayed" : "failed", status);
	if (d->delayed)
		dsn_printf(w, "Will-Retry-Until: %s\r\n", d->udate);
	if (line[0] >= '2' && line[0] <= '5' && line[1] >= '0' &&
	    line[1] <= '9' && line[2] >= '0' && line[2] <= '9')
		dsn_printf(w, "Diagnostic-Code: smtp; %s\r\n", line);
	else
		dsn_printf(w, "Diagnostic-Code: X-Postern; %s\r\n", line);
	dsn_printf(w, "Last-Attempt-Date: %s\r\n", d->date);
}

/* The part for programs (RFC 3464). */
static void
dsn_status(struct dsnw *w, const struct dsn *d)
{
	size_t	i;

	dsn_printf(w, "\r\n--%s\r\n", d->boundary);
	dsn_printf(w, "Content-Type: message/delivery-status\r\n\r\n");
	dsn_printf(w, "Reporting-MTA: dns; %s\r\n", d->host);
	dsn_printf(w, "X-Postern-Queue-ID: %s\r\n", d->qe->id);
	if (d->qe->env.dsn_envid != NULL)
		dsn_printf(w, "Original-Envelope-Id: %s\r\n",
		    d->qe->env.dsn_envid);
	dsn_printf(w, "Arrival-Date: %s\r\n", d->adate);
	for (i = 0; i < d->qe->env.nrcpts; i++)
		if (dsn_newly_failed(d, i))
			dsn_rcpt(w, d, &d->qe->env.rcpts[i]);
}

/* Commit the written DSN as an entry from <> to the sender. */
static int
dsn_commit(struct queue *q, struct queue_spool *s,
    const struct queue_entry *qe, int eightbit, struct err *e)
{
	struct envelope	env;
	int		rc;

	envelope_init(&env);
	if (envelope_set_sender(&env, "", e) == -1 ||
	    envelope_add_rcpt(&env, qe->env.sender, e) == -1) {
		envelope_free(&env);
		queue_spool_abort(q, s);
		return -1;
	}
	env.body = eightbit ? BODY_8BITMIME : BODY_7BIT;
	rc = queue_commit(q, s, &env, e);
	envelope_free(&env);
	queue_spool_close(q, s);
	return rc;
}

/*
 * Queue an RFC 3464 delivery status notification to qe's sender for the
 * recipients that failed in this attempt (state FAILED, before[] not), or,
 * delayed, the "delayed" one for those still waiting (DEFERRED, PENDING).
 */
int
dsn_queue(struct queue *q, const struct queue_entry *qe, int datafd,
    const enum rcpt_state *before, int expired, int delayed,
    const struct queue_params *p, struct err *e)
{
	struct queue_spool	*s;
	struct dsnw		 w;
	struct dsn		 d;

	memset(&d, 0, sizeof(d));
	d.qe = qe;
	d.before = before;
	d.expired = expired;
	d.delayed = delayed;
	d.host = p != NULL && p->hostname != NULL && p->hostname[0] != '\0' ?
	    p->hostname : "localhost";
	if (queue_spool_begin(q, &s, e) == -1)
		return -1;
	d.id = s->id;
	memset(&w, 0, sizeof(w));
	w.fd = s->fd;
	buf_init(&w.b, 2 * DSN_FLUSH + 4096);
	text_date(now_of(p), d.date, sizeof(d.date));
	text_date(qe->created, d.adate, sizeof(d.adate));
	text_date(qe->created + (time_t)(p != NULL ? p->lifetime : 0),
	    d.udate, sizeof(d.udate));
	snprintf(d.boundary, sizeof(d.boundary), "=_postern_%s_=", s->id);

	dsn_head(&w, &d);
	dsn_text(&w, &d);
	dsn_status(&w, &d);
	dsn_printf(&w, "\r\n--%s\r\n", d.boundary);
	dsn_printf(&w, "Content-Type: text/rfc822-headers\r\n\r\n");
	dsn_headers(&w, datafd, qe->size);
	dsn_printf(&w, "\r\n--%s--\r\n", d.boundary);
	dsn_flush(&w);
	buf_free(&w.b);
	if (w.failed) {
		queue_spool_abort(q, s);
		return err_set(e, ERR_IO, "queue: write DSN: %s",
		    strerror(w.failed));
	}
	/* DKIM: signed like a submission when its From is in d= (dkim.h). */
	if (p != NULL && p->sign != NULL && p->sign(p->sign_arg, s->fd,
	    e) == -1) {
		queue_spool_abort(q, s);
		return -1;
	}
	return dsn_commit(q, s, qe, w.eightbit, e);
}
