/*
 * submit.c -- a local caller's message: envelope, spool, hand over (see
 * submit.h).
 *
 * Security assumptions: the message and the -t headers are the caller's
 * and untrusted; every address goes through addr.c's checks
 * (addr_check_envelope() refuses "-oQ/tmp" and its kind) before it enters
 * the envelope.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "io.h"
#include "log.h"
#include "submit.h"
#include "text.h"

int
submit_open_queue(const struct submit_params *p, struct queue **qp,
    int create, struct err *e)
{
	if (p->queue_dir == NULL)
		return err_set(e, ERR_CONFIG, "[queue] dir is not set");
	/*
	 * harden (issue 11): a user's set-gid run makes no queue directory;
	 * it would be the user's, who could then chmod it shut for everyone.
	 * The package (or root's first run) makes them root:postern 2770.
	 */
	if (p->qp.own_only)
		create = 0;
	return queue_open(qp, p->queue_dir, create, e);
}

/* [sender] from with %u and %h expanded, or user@domain, or user@host. */
static void
default_sender(const struct submit_params *p, char *out, size_t len)
{
	const char	*s = p->from;
	size_t		 o = 0;

	if (s == NULL) {
		snprintf(out, len, "%s@%s", p->user, p->domain ? p->domain :
		    p->hostname);
		return;
	}
	for (; *s != '\0' && o + 1 < len; s++) {
		if (s[0] == '%' && s[1] == '%') {
			out[o++] = '%';
			s++;
		} else if (s[0] == '%' && (s[1] == 'u' || s[1] == 'h')) {
			o += (size_t)snprintf(out + o, len - o, "%s",
			    s[1] == 'u' ? p->user : p->hostname);
			if (o >= len)
				o = len - 1;
			s++;
		} else
			out[o++] = *s;
	}
	out[o] = '\0';
}

/*
 * The envelope sender a caller asked for (-f, -r, MAIL FROM): "" and "<>"
 * are the null sender, and so is MAILER-DAEMON (as in sendmail and msmtp);
 * a bare name gets the domain.
 */
static int
requested_sender(const struct submit_params *p, const char *arg, char *out,
    size_t len, struct err *e)
{
	struct addr	a;

	if (arg[0] == '\0') {
		out[0] = '\0';
		return 0;
	}
	if (addr_parse_one(arg, &a, e) == -1)
		return -1;
	if (strcasecmp(a.spec, "MAILER-DAEMON") == 0)
		out[0] = '\0';
	else if (a.spec[0] != '\0' && !a.has_domain)
		snprintf(out, len, "%s@%s", a.spec, p->domain ? p->domain :
		    p->hostname);
	else
		snprintf(out, len, "%s", a.spec);
	addr_free(&a);
	return 0;
}

int
submit_sender(const struct submit_params *p, const char *arg,
    struct envelope *env, int reclass, struct err *e)
{
	struct err	pe;
	char		sender[600];

	if (arg != NULL) {
		if (!p->allow_from_override)
			return err_set(e, ERR_NOPERM, "-f/-r is not allowed by "
			    "%s (allow_from_override = no)", p->config_path);
		if (requested_sender(p, arg, sender, sizeof(sender), &pe) ==
		    -1)
			return err_set(e, ERR_USAGE, "-f %.200s: %s", arg,
			    pe.msg);
	} else
		default_sender(p, sender, sizeof(sender));
	if (envelope_set_sender(env, sender, e) == -1) {
		if (reclass)
			e->cls = arg != NULL ? ERR_USAGE : ERR_CONFIG;
		return -1;
	}
	return 0;
}

int
submit_add_rcpt(const struct submit_params *p, const struct aliases *al,
    struct envelope *env, const char *spec, struct err *e)
{
	struct addr_list	out;
	size_t			i;
	int			rc = 0;

	addr_list_init(&out);
	if (aliases_expand(al, p->domain, spec, &out, e) == -1) {
		addr_list_free(&out);
		return -1;
	}
	for (i = 0; i < out.n && rc == 0; i++) {
		if (!out.v[i].has_domain && p->domain == NULL) {
			rc = err_set(e, ERR_DATA, "%s: no domain, and [sender] "
			    "domain is not set", out.v[i].spec);
			break;
		}
		rc = envelope_add_rcpt(env, out.v[i].spec, e);
	}
	addr_list_free(&out);
	return rc;
}

int
submit_add_list(const struct submit_params *p, const struct aliases *al,
    struct envelope *env, const char *s, size_t len, enum err_class cls,
    struct err *e)
{
	struct addr_list	l;
	size_t			i;
	int			rc = 0;

	/*
	 * A line break followed by a blank is a fold in a header, but an
	 * argument has no lines: CR or LF anywhere in it is refused (SPEC).
	 */
	if (cls == ERR_USAGE && (memchr(s, '\r', len) != NULL ||
	    memchr(s, '\n', len) != NULL))
		return err_set(e, cls, "recipient argument holds a line "
		    "break (CR or LF)");
	addr_list_init(&l);
	if (addr_parse_list(s, len, &l, e) == -1)
		rc = -1;
	for (i = 0; rc == 0 && i < l.n; i++)
		rc = submit_add_rcpt(p, al, env, l.v[i].spec, e);
	addr_list_free(&l);
	if (rc == -1)
		e->cls = cls;
	return rc;
}

/* How msg_write() fixes up a message from this caller. */
static void
message_opts(const struct submit_params *p, const struct envelope *env,
    struct msg_opts *mo)
{
	memset(mo, 0, sizeof(*mo));
	mo->domain = p->domain;
	mo->sender = env->sender;
	mo->full_name = p->full_name;
	mo->force_from = p->force_from;
	mo->msgid_domain = p->domain ? p->domain : p->hostname;
	mo->tmpdir = p->tmpdir;
	mo->max_size = p->max_size;
}

int
submit_spool(const struct submit_params *p, struct queue *q,
    struct envelope *env, struct msg *m, struct msg_input *in,
    int need_queue, struct submit_spool *ss, struct err *e)
{
	struct msg_opts	mo;

	memset(ss, 0, sizeof(*ss));
	err_clear(&ss->qerr);
	if (q == NULL)
		err_set(&ss->qerr, ERR_CANTCREAT, "the queue is not usable");
	if (q != NULL && queue_spool_begin(q, &ss->sp, &ss->qerr) == 0)
		ss->fd = queue_spool_fd(ss->sp);
	else if (need_queue) {
		*e = ss->qerr;	/* nothing else can take the message */
		return -1;
	} else if ((ss->fd = io_scratch_open(p->tmpdir, e)) == -1)
		return -1;
	message_opts(p, env, &mo);
	/* Signed as it is spooled (dkim.h): retries send the same bytes. */
	if (dkim_msg_write(p->dkim, m, in, ss->fd, &mo, &ss->st, e) == -1) {
		if (ss->sp != NULL)
			queue_spool_abort(q, ss->sp);
		else
			close(ss->fd);
		ss->sp = NULL;
		ss->fd = -1;
		return -1;
	}
	ss->size = ss->st.size;
	/* speed (issue 10): the SMTP client need not scan the spool again. */
	env->scanned = ss->st.has_8bit ? SCAN_8BIT : SCAN_7BIT;
	if (ss->st.has_8bit && env->body == BODY_UNSPEC)
		env->body = BODY_8BITMIME;
	return 0;
}

/* One submission from the command line. */
struct submit {
	const struct submit_params *p;
	struct envelope		 env;
	struct aliases		*al;
	struct queue		*q;
	struct submit_spool	 ss;
	struct err		 qerr;	/* why the queue is not open */
};

static int
dsn_options(struct envelope *env, const struct opts *o, struct err *e)
{
	env->body = o->body;
	if ((o->dsn_notify && (env->dsn_notify = strdup(o->dsn_notify)) ==
	    NULL) || (o->dsn_ret && (env->dsn_ret = strdup(o->dsn_ret)) ==
	    NULL) || (o->dsn_envid && (env->dsn_envid =
	    strdup(o->dsn_envid)) == NULL))
		return err_set(e, ERR_SOFTWARE, "out of memory");
	return 0;
}

/*
 * A message the queue could not hold is refused before anything is sent:
 * found out only when a partly delivered message had to be queued, it
 * exited 65 after some recipients already had it.
 */
static int
too_many_rcpts(const struct envelope *env, enum err_class cls,
    struct err *e)
{
	if (env->nrcpts > QUEUE_RCPT_MAX)
		return err_set(e, cls, "%zu recipients: more than %d",
		    env->nrcpts, QUEUE_RCPT_MAX);
	return 0;
}

/* Sender, then the recipients on the command line. */
static int
envelope_from_opts(struct submit *s, const struct opts *o, struct err *e)
{
	size_t	i;

	if (submit_sender(s->p, o->sender, &s->env, 1, e) == -1 ||
	    dsn_options(&s->env, o, e) == -1 ||
	    aliases_load(&s->al, &s->p->ap, e) == -1)
		return -1;
	for (i = 0; i < o->nrcpts; i++)
		if (submit_add_list(s->p, s->al, &s->env, o->rcpts[i],
		    strlen(o->rcpts[i]), ERR_USAGE, e) == -1)
			return -1;
	return too_many_rcpts(&s->env, ERR_USAGE, e);
}

/* -t: the recipients of the header section. */
static int
header_rcpts(struct submit *s, const struct msg *m, struct err *e)
{
	struct addr_list	hl;
	size_t			i;
	int			rc;

	addr_list_init(&hl);
	rc = msg_header_rcpts(m, &hl, e);
	for (i = 0; rc == 0 && i < hl.n; i++)
		if ((rc = submit_add_rcpt(s->p, s->al, &s->env, hl.v[i].spec,
		    e)) == -1)
			e->cls = ERR_DATA;
	addr_list_free(&hl);
	if (rc == 0)
		rc = too_many_rcpts(&s->env, ERR_DATA, e);
	return rc;
}

static void
log_repairs(const struct envelope *env, const struct msg_stats *st)
{
	char	from[LOG_ADDR_MAX];

	if (st->nul_removed || st->cr_replaced || st->lines_split ||
	    st->qp_reencoded)
		log_warn("from=%s: message repaired: %zu NUL removed, %zu "
		    "stray CR replaced, %zu long lines split%s",
		    log_addr(env->sender, from, sizeof(from)),
		    st->nul_removed, st->cr_replaced, st->lines_split,
		    st->qp_reencoded ? ", body re-encoded quoted-printable" :
		    "");
}

/* The message: headers first, then -t, then the spool. */
static int
read_message(struct submit *s, const struct opts *o, int infd,
    struct err *e)
{
	struct msg_input	*in;
	struct msg		*m = NULL;
	int			 rc = -1;

	if ((in = msg_input_new(infd, !o->ignore_dots)) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	if (msg_read_headers(&m, in, e) == -1 ||
	    (o->extract_rcpts && header_rcpts(s, m, e) == -1))
		goto done;
	if (s->env.nrcpts == 0) {
		err_set(e, ERR_USAGE, "no recipients (give addresses as "
		    "arguments, or use -t with To, Cc or Bcc headers)");
		goto done;
	}
	if (s->p->queue_enabled && submit_open_queue(s->p, &s->q, 1,
	    &s->qerr) == -1)
		s->q = NULL;
	if (s->q == NULL && s->p->queue_enabled &&
	    s->p->how != SUBMIT_NOW) {
		*e = s->qerr;	/* nothing else can take the message */
		goto done;
	}
	if (submit_spool(s->p, s->q, &s->env, m, in, s->p->queue_enabled &&
	    s->p->how != SUBMIT_NOW, &s->ss, e) == -1)
		goto done;
	if (s->q == NULL)
		s->ss.qerr = s->qerr;
	log_repairs(&s->env, &s->ss.st);
	rc = 0;
done:
	msg_free(m);
	msg_input_free(in);
	return rc;
}

int
submit_read(struct submit **sp, const struct submit_params *p,
    const struct opts *o, int infd, struct err *e)
{
	struct submit	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	s->p = p;
	s->ss.fd = -1;
	envelope_init(&s->env);
	err_clear(&s->qerr);
	if (envelope_from_opts(s, o, e) == -1 ||
	    read_message(s, o, infd, e) == -1) {
		submit_free(s);
		*sp = NULL;
		return -1;
	}
	*sp = s;
	return 0;
}

enum submit_how
submit_how(const struct submit *s)
{
	return s->ss.sp != NULL ? s->p->how : SUBMIT_NOW;
}

int
submit_commit(struct submit *s, struct err *e)
{
	if (queue_commit(s->q, s->ss.sp, &s->env, e) == -1)
		return -1;
	deliver_log(&s->p->dp, NULL, queue_spool_id(s->ss.sp), &s->env, s->ss.size,
	    "queued", s->p->how == SUBMIT_QUEUE ? "-odq: queue only" :
	    "-odb: delivery in the background");
	return 0;
}

void
submit_background(struct submit *s)
{
	struct queue_deliverer	 qd;
	struct queue_stats	 qs;
	struct deliver		*d;
	struct err		 e;

	if (deliver_new(&d, &s->p->dp, &e) == 0) {
		deliver_queue_deliverer(d, &qd);
		queue_spool_deliver(s->q, s->ss.sp, &s->p->qp, &qd, &qs, &e);
		deliver_free(d);
	}
	queue_spool_close(s->q, s->ss.sp);
	s->ss.sp = NULL;
}

int
submit_run_queue(const struct submit_params *p, struct queue *q,
    struct deliver *d, int force, size_t max, struct queue_stats *st,
    struct err *e)
{
	struct queue_deliverer	 qd;
	struct queue_params	 qp = p->qp;
	struct deliver		*own = NULL;
	int			 rc;

	memset(st, 0, sizeof(*st));
	if (d == NULL && deliver_new(&own, &p->dp, e) == -1)
		return -1;
	deliver_queue_deliverer(d != NULL ? d : own, &qd);
	qp.force = force;
	qp.max_entries = max;
	rc = queue_run(q, &qp, &qd, st, e);
	deliver_free(own);
	return rc;
}

enum err_class
submit_now(struct submit *s, char *line, size_t len)
{
	struct deliver_outcome	 o;
	struct deliver_msg	 m;
	struct queue_stats	 qs;
	struct deliver		*d;
	struct err		 e;

	memset(&m, 0, sizeof(m));
	m.q = s->q;
	m.sp = s->ss.sp;
	m.qerr = &s->ss.qerr;
	m.queue_enabled = s->p->queue_enabled;
	m.qp = &s->p->qp;
	m.fd = s->ss.fd;
	m.env = &s->env;
	m.size = s->ss.size;
	line[0] = '\0';
	if (deliver_new(&d, &s->p->dp, &e) == -1) {
		snprintf(line, len, "%s", e.msg);
		return e.cls;
	}
	deliver_spooled(d, &m, &o);
	if (s->ss.sp != NULL)
		s->ss.fd = -1;	/* closed with the spool */
	s->ss.sp = NULL;
	/* Exactly one line on stderr, whatever happened. */
	if (o.queued && o.cls != ERR_OK)
		snprintf(line, len, "%s; the other recipients are queued, "
		    "id %s", o.e.msg, o.id);
	else if (o.queued)
		snprintf(line, len, "queued (%s); id %s", o.e.msg, o.id);
	else if (o.cls != ERR_OK)
		snprintf(line, len, "%s", o.e.msg);
	/* Self-draining: a container without cron still empties its queue. */
	if (s->q != NULL && o.delivered && deliver_usable(d))
		submit_run_queue(s->p, s->q, d, 0, 10, &qs, &e);
	deliver_free(d);
	return o.cls;
}

void
submit_free(struct submit *s)
{
	if (s == NULL)
		return;
	if (s->ss.sp != NULL)
		queue_spool_close(s->q, s->ss.sp);
	else if (s->ss.fd != -1)
		close(s->ss.fd);
	if (s->q != NULL)
		queue_close(s->q);
	aliases_free(s->al);
	envelope_free(&s->env);
	free(s);
}

/* -bs */

struct submit_serve {
	const struct submit_params *p;
	struct aliases		*al;
	struct deliver		*d;
	struct queue		*q;	/* NULL: none usable */
	struct err		 qerr;	/* why not */
};

static void
reply(int *code, char *text, size_t len, int c, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
reply(int *code, char *text, size_t len, int c, const char *fmt, ...)
{
	va_list	ap;

	*code = c;
	va_start(ap, fmt);
	vsnprintf(text, len, fmt, ap);
	va_end(ap);
}

static int
serve_mail(void *arg, struct envelope *env, const char *addr, int *code,
    char *text, size_t len)
{
	struct submit_serve	*c = arg;
	struct err		 e;
	char			 sender[600];

	if (!c->p->allow_from_override)
		default_sender(c->p, sender, sizeof(sender));
	else if (requested_sender(c->p, addr, sender, sizeof(sender),
	    &e) == -1) {
		reply(code, text, len, 553, "5.1.7 %s", e.msg);
		return -1;
	}
	if (envelope_set_sender(env, sender, &e) == -1) {
		reply(code, text, len, 553, "5.1.7 %s", e.msg);
		return -1;
	}
	return 0;
}

static int
serve_rcpt(void *arg, struct envelope *env, const char *addr, int *code,
    char *text, size_t len)
{
	struct submit_serve	*c = arg;
	struct err		 e;

	if (submit_add_rcpt(c->p, c->al, env, addr, &e) == -1) {
		if (e.cls == ERR_DATA || e.cls == ERR_USAGE)
			reply(code, text, len, 553, "5.1.3 %s", e.msg);
		else
			reply(code, text, len, 451, "4.3.0 %s", e.msg);
		return -1;
	}
	return 0;
}

/* The reply to the -bs client for what became of its message. */
static int
serve_outcome(const struct deliver_outcome *o, const struct envelope *env,
    int spooled, int *code, char *text, size_t len)
{
	char	esc[16];

	switch (o->cls) {
	case ERR_OK:
		if (o->queued)
			reply(code, text, len, 250, "2.0.0 queued as %s (%s)",
			    o->id, o->e.msg);
		else
			reply(code, text, len, 250, "2.0.0 sent%s%s",
			    o->id[0] ? " as " : "", o->id);
		return 0;
	case ERR_NOUSER:
		/*
		 * The others have the message, so not a 5xx (the client would
		 * send it again).  Promise a report only when one was queued:
		 * without a (writable) queue there is none, and the reply is
		 * the only place left to say who was refused.
		 */
		if (o->reported)
			reply(code, text, len, 250, "2.0.0 accepted; some "
			    "recipients refused, a report goes to the sender: "
			    "%s", o->e.msg);
		else
			reply(code, text, len, 250, "2.0.0 accepted for %zu of "
			    "%zu recipients; refused, and no report will be "
			    "sent (%s): %s", env->nrcpts -
			    envelope_count(env, RCPT_FAILED), env->nrcpts,
			    !queue_wants_failure_dsn(env) ? "none asked for" :
			    !spooled ? "no queue" :
			    "the report could not be queued", o->e.msg);
		return 0;
	case ERR_UNAVAILABLE:
		reply(code, text, len, 554, "%s %s", text_enhanced_find(
		    o->e.msg, '5', "5.0.0", esc, sizeof(esc)), o->e.msg);
		return -1;
	default:
		reply(code, text, len, 451, "%s %s", text_enhanced_find(
		    o->e.msg, '4', "4.3.0", esc, sizeof(esc)), o->e.msg);
		return -1;
	}
}

static int
serve_message(void *arg, struct envelope *env, int datafd, off_t size,
    int *code, char *text, size_t len)
{
	struct submit_serve	*c = arg;
	struct deliver_outcome	 o;
	struct deliver_msg	 m;
	struct submit_spool	 ss;
	struct msg_input	*in;
	struct msg		*msg = NULL;
	struct err		 e;
	int			 rc = -1;

	(void)size;
	if ((in = msg_input_new(datafd, 0)) == NULL)
		err_set(&e, ERR_SOFTWARE, "out of memory");
	else if (msg_read_headers(&msg, in, &e) == 0 &&
	    submit_spool(c->p, c->q, env, msg, in, 0, &ss, &e) == 0)
		rc = 0;
	msg_free(msg);
	msg_input_free(in);
	if (rc == -1) {
		if (e.cls == ERR_DATA)
			reply(code, text, len, 554, "5.6.0 %s", e.msg);
		else
			reply(code, text, len, 451, "4.3.0 %s", e.msg);
		return -1;
	}
	if (c->q == NULL)
		ss.qerr = c->qerr;
	/* Failed recipients of a partly delivered message get a DSN. */
	memset(&m, 0, sizeof(m));
	m.q = c->q;
	m.sp = ss.sp;
	m.qerr = &ss.qerr;
	m.queue_enabled = c->p->queue_enabled;
	m.qp = &c->p->qp;
	m.fd = ss.fd;
	m.env = env;
	m.size = ss.size;
	m.dsn_on_submit = 1;
	deliver_spooled(c->d, &m, &o);
	if (ss.sp == NULL)
		close(ss.fd);
	return serve_outcome(&o, env, ss.sp != NULL, code, text, len);
}

int
submit_serve_new(struct submit_serve **cp, const struct submit_params *p,
    struct serve_handler *h, struct err *e)
{
	struct submit_serve	*c;

	*cp = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	c->p = p;
	if (aliases_load(&c->al, &p->ap, e) == -1 ||
	    deliver_new(&c->d, &p->dp, e) == -1) {
		submit_serve_free(c);
		return -1;
	}
	err_clear(&c->qerr);
	if (p->queue_enabled && submit_open_queue(p, &c->q, 1,
	    &c->qerr) == -1)
		c->q = NULL;
	memset(h, 0, sizeof(*h));
	h->arg = c;
	h->mail = serve_mail;
	h->rcpt = serve_rcpt;
	h->message = serve_message;
	*cp = c;
	return 0;
}

void
submit_serve_free(struct submit_serve *c)
{
	if (c == NULL)
		return;
	deliver_free(c->d);
	if (c->q != NULL)
		queue_close(c->q);
	aliases_free(c->al);
	free(c);
}

int
submit_serve(const struct submit_params *p, const struct serve_params *sp,
    int in_fd, int out_fd, struct err *e)
{
	struct serve_handler	 h;
	struct submit_serve	*c;
	char			 text[600];
	int			 rc;

	if (submit_serve_new(&c, p, &h, e) == -1)
		return -1;
	rc = serve_run(in_fd, out_fd, sp, &h, e);
	submit_serve_free(c);
	if (rc == -1) {
		log_warn("-bs: %s", log_text(e->msg, text, sizeof(text)));
		return -2;
	}
	return 0;
}
