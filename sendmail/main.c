/*
 * main.c -- postern: sendmail-compatible mail submission agent.
 *
 * The only file that exits.  It sets up a safe process (file descriptors,
 * signals, umask, and, when set-id, a clean environment without core dumps
 * or ptrace), parses the command line, reads the configuration, and runs
 * the mode.  Module errors are mapped to sysexits here and nowhere else;
 * a failure nobody planned for maps to 75 (EX_TEMPFAIL).
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "alias.h"
#include "cli.h"
#include "clock.h"
#include "config.h"
#include "envelope.h"
#include "import.h"
#include "log.h"
#include "msg.h"
#include "queue.h"
#include "serve.h"
#include "smtp.h"

#ifndef POSTERN_VERSION
#define POSTERN_VERSION "dev"
#endif

#ifdef POSTERN_SAN
/*
 * make SAN=1: the program keeps ASan and UBSan but not LeakSanitizer.
 * postern exits right after an error without freeing what the process
 * owns (as Postfix's commands do), and LeakSanitizer cannot run in a
 * process that made itself non-dumpable.  Compiled in, because callers
 * such as runuser and cron give the program a clean environment.  Unit
 * tests do not link this file and keep leak detection.
 */
const char	*__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

struct run {
	struct opts	 opts;
	struct config	 cfg;
	int		 privileged;
	char		*env_config;	/* POSTERN_CONFIG, saved before clearenv */
	char		 user[64];
	char		 fullname[256];
	char		 hostname[256];
	long long	 start_ms;
};

static int
exit_code(enum err_class cls)
{
	switch (cls) {
	case ERR_OK:		return EX_OK;
	case ERR_USAGE:		return EX_USAGE;
	case ERR_DATA:		return EX_DATAERR;
	case ERR_NOUSER:	return EX_NOUSER;
	case ERR_UNAVAILABLE:	return EX_UNAVAILABLE;
	case ERR_CANTCREAT:	return EX_CANTCREAT;
	case ERR_IO:		return EX_IOERR;
	case ERR_TEMP:		return EX_TEMPFAIL;
	case ERR_NOPERM:	return EX_NOPERM;
	case ERR_CONFIG:	return EX_CONFIG;
	case ERR_SOFTWARE:	return EX_TEMPFAIL;
	}
	return EX_TEMPFAIL;
}

static void __attribute__((noreturn))
die(const struct err *e)
{
	fprintf(stderr, "postern: %s\n", e->msg);
	exit(exit_code(e->cls));
}

static void __attribute__((noreturn, format(printf, 2, 3)))
dief(enum err_class cls, const char *fmt, ...)
{
	struct err	e;
	va_list		ap;

	e.cls = cls;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	die(&e);
}

/*
 * Make the process safe before anything else: fds 0-2 open, no signals that
 * kill us mid-write, a tight umask, and for a set-id run a clean
 * environment, no core dumps and no ptrace (postdrop's list of inherited
 * state: research/security.md 1.5).
 */
static void
secure_start(struct run *r)
{
	struct rlimit	rl = { 0, 0 };
	int		fd;

	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);	/* EFBIG instead of death */
	umask(077);
	r->privileged = getuid() != geteuid() || getgid() != getegid();
	if (getenv("POSTERN_CONFIG") != NULL &&
	    (r->env_config = strdup(getenv("POSTERN_CONFIG"))) == NULL)
		dief(ERR_SOFTWARE, "out of memory");
	if (r->privileged) {
		setrlimit(RLIMIT_CORE, &rl);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		clearenv();
		setenv("PATH", "/usr/bin:/bin:/usr/sbin:/sbin", 1);
		umask(007);	/* the queue is shared with group postern */
	}
}

/* Give up the set-gid privilege for good (used before reading -C files). */
static void
drop_group(struct run *r)
{
	gid_t	g = getgid();

	if (!r->privileged)
		return;
	if (setresgid(g, g, g) == -1 || getegid() != g)
		dief(ERR_NOPERM, "cannot drop group privilege: %s",
		    strerror(errno));
	r->privileged = 0;
	/* Dumpable stays off: secrets may already be in memory. */
}

static void
identify(struct run *r)
{
	struct passwd	*pw;
	size_t		 n;

	if ((pw = getpwuid(getuid())) != NULL) {
		snprintf(r->user, sizeof(r->user), "%s", pw->pw_name);
		if (pw->pw_gecos != NULL) {
			n = strcspn(pw->pw_gecos, ",");
			snprintf(r->fullname, sizeof(r->fullname), "%.*s",
			    (int)n, pw->pw_gecos);
		}
	} else
		snprintf(r->user, sizeof(r->user), "uid%ld",
		    (long)getuid());
	if (gethostname(r->hostname, sizeof(r->hostname)) == -1)
		snprintf(r->hostname, sizeof(r->hostname), "localhost");
	r->hostname[sizeof(r->hostname) - 1] = '\0';
}

/* [sender] from with %u and %h expanded, or user@domain, or user@host. */
static void
default_sender(const struct run *r, char *out, size_t len)
{
	const char	*p = r->cfg.from;
	size_t		 o = 0;

	if (p == NULL) {
		snprintf(out, len, "%s@%s", r->user, r->cfg.domain ?
		    r->cfg.domain : r->hostname);
		return;
	}
	for (; *p != '\0' && o + 1 < len; p++) {
		if (p[0] == '%' && p[1] == '%') {
			out[o++] = '%';
			p++;
		} else if (p[0] == '%' && (p[1] == 'u' || p[1] == 'h')) {
			o += (size_t)snprintf(out + o, len - o, "%s",
			    p[1] == 'u' ? r->user : r->hostname);
			if (o >= len)
				o = len - 1;
			p++;
		} else
			out[o++] = *p;
	}
	out[o] = '\0';
}

static int
load_config(struct run *r, struct err *e)
{
	const char	*path = r->opts.config;

	if (path == NULL)
		path = r->env_config;
	if (path != NULL)
		drop_group(r);	/* a user's file gets the user's rights */
	else
		path = CONFIG_DEFAULT_PATH;
	config_defaults(&r->cfg);
	return config_load(&r->cfg, path, r->privileged, e);
}

/*
 * A scratch file for the canonical message when there is no queue to
 * spool into (enabled = no, or a queue this process cannot write).
 */
static int
scratch_open(struct err *e)
{
	const char	*dir = "/tmp";
	int		 fd;

	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd == -1)
		return err_set(e, ERR_CANTCREAT, "cannot create a spool file "
		    "in %s: %s", dir, strerror(errno));
	return fd;
}

/*
 * The envelope sender a caller asked for (-f, -r, MAIL FROM): "" and "<>"
 * are the null sender, and so is MAILER-DAEMON (as in sendmail and msmtp);
 * a bare name gets the domain.
 */
static int
requested_sender(const struct run *r, const char *arg, char *out, size_t len,
    struct err *e)
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
		snprintf(out, len, "%s@%s", a.spec, r->cfg.domain ?
		    r->cfg.domain : r->hostname);
	else
		snprintf(out, len, "%s", a.spec);
	addr_free(&a);
	return 0;
}

/* How msg_write() fixes up a message from this caller. */
static void
message_opts(const struct run *r, const struct envelope *env,
    struct msg_opts *mo)
{
	memset(mo, 0, sizeof(*mo));
	mo->domain = r->cfg.domain;
	mo->sender = env->sender;
	mo->full_name = r->opts.full_name ? r->opts.full_name :
	    (r->fullname[0] ? r->fullname : NULL);
	mo->force_from = r->cfg.from_header == CONFIG_FROM_FORCE;
	mo->msgid_domain = r->cfg.domain ? r->cfg.domain : r->hostname;
	mo->tmpdir = "/tmp";
}

/* Qualify and alias-expand one recipient into the envelope. */
static int
add_recipient(struct run *r, struct aliases *al, struct envelope *env,
    const char *spec, struct err *e)
{
	struct addr_list	out;
	size_t			i;
	int			rc = 0;

	addr_list_init(&out);
	if (aliases_expand(al, r->cfg.domain, spec, &out, e) == -1) {
		addr_list_free(&out);
		return -1;
	}
	for (i = 0; i < out.n && rc == 0; i++) {
		if (!out.v[i].has_domain && r->cfg.domain == NULL) {
			rc = err_set(e, ERR_DATA, "%s: no domain, and [sender] "
			    "domain is not set", out.v[i].spec);
			break;
		}
		rc = envelope_add_rcpt(env, out.v[i].spec, e);
	}
	addr_list_free(&out);
	return rc;
}

static int
add_list(struct run *r, struct aliases *al, struct envelope *env,
    const char *s, size_t len, enum err_class cls, struct err *e)
{
	struct addr_list	l;
	size_t			i;

	addr_list_init(&l);
	if (addr_parse_list(s, len, &l, e) == -1) {
		addr_list_free(&l);
		e->cls = cls;
		return -1;
	}
	/* addr_check_envelope() refuses "-oQ/tmp" and its kind. */
	for (i = 0; i < l.n; i++) {
		if (add_recipient(r, al, env, l.v[i].spec, e) == -1) {
			addr_list_free(&l);
			e->cls = cls;
			return -1;
		}
	}
	addr_list_free(&l);
	return 0;
}

static void
rcpt_list(const struct envelope *env, char *out, size_t len)
{
	size_t	i, o = 0;

	out[0] = '\0';
	for (i = 0; i < env->nrcpts && o + 4 < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s<%s>", i ? "," : "",
		    env->rcpts[i].addr);
	if (o >= len)
		out[len - 1] = '\0';
}

static void
log_result(const struct run *r, const char *id, const struct envelope *env,
    off_t size, const struct smtp_info *info, const char *status,
    const char *why)
{
	char	to[1024];

	rcpt_list(env, to, sizeof(to));
	log_info("id=%s from=<%s> to=%s size=%lld relay=%s tls=%s auth=%s "
	    "status=%s (%s) delay=%.2fs", id ? id : "-", env->sender, to,
	    (long long)size,
	    info && info->relay[0] ? info->relay : "none",
	    info && info->tls_version[0] ? info->tls_version : "none",
	    info && info->authenticated ? r->cfg.user : "none", status,
	    why, (double)(clock_now_ms() - r->start_ms) / 1000.0);
}

/*
 * One SMTP session, opened on first use and reused for every message of
 * this process: the interactive message, then the queue entries sent with
 * it (self-draining), or every entry of a queue run.
 */
struct delivery {
	struct run		*r;
	struct smtp_session	*s;
	int			 unreachable;	/* opening failed: stop */
	const char		*id;		/* queue id, for the log */
	struct err		 open_err;
};

static int
delivery_session(struct delivery *d, struct err *e)
{
	struct run	*r = d->r;
	char		*secret = NULL;
	int		 rc;

	if (d->s != NULL && smtp_usable(d->s))
		return 0;
	if (d->s != NULL) {
		smtp_close(d->s);
		d->s = NULL;
	}
	if (d->unreachable) {
		*e = d->open_err;
		return -1;
	}
	if (r->cfg.user != NULL && r->cfg.auth_mechs != 0 &&
	    (secret = config_secret(&r->cfg, r->privileged, e)) == NULL) {
		d->unreachable = 1;
		d->open_err = *e;
		return -1;
	}
	rc = smtp_open(&d->s, &r->cfg, secret, r->opts.verbose > 0, e);
	if (secret != NULL) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
	if (rc == -1) {
		d->unreachable = 1;
		d->open_err = *e;
	}
	return rc;
}

static int
delivery_send(void *arg, struct envelope *env, int fd, off_t size,
    struct err *e)
{
	struct delivery	*d = arg;
	size_t		 i;
	int		 rc, reused = d->s != NULL && smtp_usable(d->s);

	if (delivery_session(d, e) == -1)
		return -1;	/* the caller logs the message's outcome */
	rc = smtp_send(d->s, env, fd, size, e);
	/*
	 * A server may drop a connection that sat idle (a -bs client between
	 * messages, a long queue run).  If a reused session died before any
	 * recipient got an answer that counts, try once more on a new one.
	 */
	if (rc == -1 && reused && !smtp_usable(d->s) &&
	    envelope_count(env, RCPT_SENT) == 0 &&
	    envelope_count(env, RCPT_FAILED) == 0) {
		for (i = 0; i < env->nrcpts; i++)
			if (env->rcpts[i].state == RCPT_DEFERRED)
				env->rcpts[i].state = RCPT_PENDING;
		if (delivery_session(d, e) == -1)
			return -1;
		rc = smtp_send(d->s, env, fd, size, e);
	}
	if (smtp_info(d->s)->dsn_dropped)
		log_warn("DSN options dropped: %s does not offer DSN",
		    smtp_info(d->s)->relay);
	return rc;
}

static int
delivery_more(void *arg)
{
	const struct delivery	*d = arg;

	return !d->unreachable;
}

static void
delivery_report(void *arg, const struct queue_entry *qe, const char *status,
    const char *detail)
{
	struct delivery	*d = arg;
	const char	*why = detail;

	if (strcmp(status, "sent") == 0 || why == NULL)
		why = qe->env.nrcpts && qe->env.rcpts[0].reply ?
		    qe->env.rcpts[0].reply : "ok";
	log_result(d->r, qe->id, &qe->env, qe->size, d->s ?
	    smtp_info(d->s) : NULL, status, why);
}

static void
delivery_close(struct delivery *d)
{
	smtp_close(d->s);
	d->s = NULL;
}

static int
open_queue(struct run *r, struct queue **qp, int create, struct err *e)
{
	if (r->cfg.queue_dir == NULL)
		return err_set(e, ERR_CONFIG, "[queue] dir is not set");
	return queue_open(qp, r->cfg.queue_dir, create, e);
}

static void
queue_params(struct run *r, struct queue_params *p)
{
	queue_params_init(p, &r->cfg);
	p->hostname = r->cfg.domain ? r->cfg.domain : r->hostname;
}

/* Run the queue once over d's session.  max: 0 for all. */
static int
run_queue_once(struct run *r, struct queue *q, struct delivery *d, int force,
    size_t max, struct queue_stats *st, struct err *e)
{
	struct queue_deliverer	qd = { d, delivery_send, delivery_more,
				    delivery_report };
	struct queue_params	p;

	queue_params(r, &p);
	p.force = force;
	p.max_entries = max;
	memset(st, 0, sizeof(*st));
	return queue_run(q, &p, &qd, st, e);
}

/* What became of one message tried interactively. */
struct outcome {
	int		 status;	/* sysexits for the caller */
	int		 queued;	/* some recipients wait in the queue */
	int		 delivered;	/* some recipients were accepted */
	char		 id[QUEUE_ID_SIZE];
	struct err	 e;		/* why not everything was delivered */
};

/* Exit status from each recipient's state. */
static int
rcpt_status(const struct envelope *env)
{
	if (envelope_count(env, RCPT_FAILED) == 0)
		return EX_OK;
	return envelope_count(env, RCPT_FAILED) == env->nrcpts ?
	    EX_UNAVAILABLE : EX_NOUSER;
}

/*
 * Deliver the spooled message now over d's session, then keep what must
 * be kept: with a queue, queue_spool_settle() commits the recipients to
 * retry and copies failed ones to failed/ (with a DSN if dsn_on_submit);
 * without one, a temporary failure is the caller's to retry (75), or 73/74
 * when a queue was configured but could not be written.  The spool is
 * closed; fd (a scratch file when sp is NULL) and the session are not.
 */
static void
attempt(struct run *r, struct delivery *d, struct queue *q,
    struct queue_spool *sp, const struct err *qerr, int fd,
    struct envelope *env, off_t size, int dsn_on_submit, struct outcome *o)
{
	struct queue_params	 p;
	enum queue_outcome	 out;
	struct err		 e, qe;
	size_t			 i;
	int			 rc;

	memset(o, 0, sizeof(*o));
	err_clear(&e);
	d->id = sp != NULL ? queue_spool_id(sp) : NULL;
	if (sp != NULL)
		snprintf(o->id, sizeof(o->id), "%s", queue_spool_id(sp));
	d->unreachable = 0;	/* each message gets its own try */
	rc = delivery_send(d, env, fd, size, &e);
	o->delivered = envelope_count(env, RCPT_SENT) > 0;
	/* A recipient never reached takes the session's outcome. */
	for (i = 0; rc == -1 && i < env->nrcpts; i++)
		if (env->rcpts[i].state == RCPT_PENDING) {
			env->rcpts[i].state = err_is_temporary(&e) ||
			    e.cls == ERR_CONFIG || e.cls == ERR_NOPERM ?
			    RCPT_DEFERRED : RCPT_FAILED;
			envelope_set_reply(&env->rcpts[i], e.msg);
		}
	o->e = e;
	if (rc == 0) {
		if (sp != NULL)
			queue_spool_close(q, sp);	/* removes the file */
		goto done;
	}

	if (sp == NULL) {
		o->status = rcpt_status(env);
		if (envelope_count(env, RCPT_DEFERRED) == 0)
			goto done;
		if (r->cfg.queue_enabled) {
			/* The queue would have kept it, but failed. */
			err_set(&o->e, qerr->cls, "%s; and %s", e.msg,
			    qerr->msg);
			o->status = exit_code(qerr->cls);
		} else {
			o->e.cls = e.cls == ERR_CONFIG ? ERR_CONFIG : ERR_TEMP;
			o->status = exit_code(o->e.cls);
		}
		goto done;
	}

	queue_params(r, &p);
	/*
	 * A DSN only when the caller is told "accepted" although some
	 * recipients were refused; a refusal of every recipient is reported
	 * to the caller directly (exit status or SMTP reply), once.
	 */
	p.dsn_on_submit = dsn_on_submit &&
	    envelope_count(env, RCPT_FAILED) < env->nrcpts;
	out = QUEUE_DISCARDED;
	if (queue_spool_settle(q, sp, env, &e, &p, &out, &qe) == -1) {
		if (out == QUEUE_DISCARDED) {
			/* Nothing was committed: nothing promised. */
			o->e = qe;
			o->status = exit_code(qe.cls);
			queue_spool_close(q, sp);
			goto done;
		}
		/*
		 * The entry is committed; only the failed/ record or the DSN
		 * for refused recipients could not be written.  Exiting 73/74
		 * now would invite a resubmission, and a duplicate.
		 */
		log_warn("id=%s: %s", o->id, qe.msg);
	}
	o->queued = out == QUEUE_QUEUED;
	if (o->status == EX_OK)
		o->status = rcpt_status(env);
	queue_spool_close(q, sp);
done:
	/* One log line for the message, with its final outcome. */
	log_result(r, o->id[0] ? o->id : NULL, env, size, d->s ?
	    smtp_info(d->s) : NULL, rc == 0 ? "sent" : o->queued ? "queued" :
	    envelope_count(env, RCPT_FAILED) ? "failed" : "deferred",
	    rc == 0 ? (env->nrcpts && env->rcpts[0].reply ?
	    env->rcpts[0].reply : "ok") : o->e.msg);
}

/*
 * Deliver, queue, or both, as the delivery mode says.  Exit 0 is a
 * promise: delivered, or committed to the queue (queue.c's protocol).
 */
static int
submit_deliver(struct run *r, struct queue *q, struct queue_spool *sp,
    const struct err *qerr, int fd, struct envelope *env, off_t size,
    int mode)
{
	struct delivery		 d;
	struct queue_params	 p;
	struct queue_stats	 qs;
	struct outcome		 o;
	struct err		 e;
	pid_t			 pid;
	int			 rc;

	memset(&d, 0, sizeof(d));
	d.r = r;
	err_clear(&e);
	queue_params(r, &p);

	if (sp != NULL && mode != CONFIG_DELIVERY_INTERACTIVE) {
		if (queue_commit(q, sp, env, &e) == -1)
			die(&e);
		log_result(r, queue_spool_id(sp), env, size, NULL, "queued",
		    mode == CONFIG_DELIVERY_DEFERRED ? "-odq: queue only" :
		    "-odb: delivery in the background");
		if (mode == CONFIG_DELIVERY_DEFERRED)
			return EX_OK;
		/* -odb: the child inherits the entry's lock and sends it. */
		fflush(NULL);
		if ((pid = fork()) == -1)
			return EX_OK;	/* committed: a queue run sends it */
		if (pid > 0)
			_exit(EX_OK);	/* keep the lock for the child */
		setsid();
		if ((rc = open("/dev/null", O_RDWR)) != -1) {
			dup2(rc, 0);
			dup2(rc, 1);
			dup2(rc, 2);
			if (rc > 2)
				close(rc);
		}
		queue_spool_deliver(q, sp, &p, &(struct queue_deliverer){ &d,
		    delivery_send, delivery_more, delivery_report }, &qs, &e);
		delivery_close(&d);
		queue_spool_close(q, sp);
		_exit(EX_OK);
	}

	/* Interactive: try now. */
	attempt(r, &d, q, sp, qerr, fd, env, size, 0, &o);
	/* Exactly one line on stderr, whatever happened. */
	if (o.queued && o.status != EX_OK)
		fprintf(stderr, "postern: %s; the other recipients are queued, "
		    "id %s\n", o.e.msg, o.id);
	else if (o.queued)
		fprintf(stderr, "postern: queued (%s); id %s\n", o.e.msg, o.id);
	else if (o.status != EX_OK)
		fprintf(stderr, "postern: %s\n", o.e.msg);
	/* Self-draining: a container without cron still empties its queue. */
	if (q != NULL && o.delivered && d.s != NULL && smtp_usable(d.s))
		run_queue_once(r, q, &d, 0, 10, &qs, &e);
	delivery_close(&d);
	if (sp == NULL)
		close(fd);
	if (q != NULL)
		queue_close(q);
	return o.status;
}

static int
mode_submit(struct run *r)
{
	struct envelope		 env;
	struct aliases		*al = NULL;
	struct msg_input	*in;
	struct msg		*m = NULL;
	struct msg_opts		 mo;
	struct msg_stats	 st;
	struct addr_list	 hl;
	struct err		 e, qerr;
	struct queue		*q = NULL;
	struct queue_spool	*sp = NULL;
	char			 sender[600];
	size_t			 i;
	int			 fd, delivery, rc;

	envelope_init(&env);
	err_clear(&e);
	err_clear(&qerr);
	delivery = r->opts.delivery != CLI_DELIVERY_UNSET ? r->opts.delivery :
	    (int)r->cfg.delivery;

	/* Envelope sender. */
	if (r->opts.sender != NULL) {
		if (!r->cfg.allow_from_override)
			dief(ERR_NOPERM, "-f/-r is not allowed by %s "
			    "(allow_from_override = no)", r->cfg.path);
		if (requested_sender(r, r->opts.sender, sender, sizeof(sender),
		    &e) == -1)
			dief(ERR_USAGE, "-f %.200s: %s", r->opts.sender, e.msg);
	} else
		default_sender(r, sender, sizeof(sender));
	if (envelope_set_sender(&env, sender, &e) == -1) {
		e.cls = r->opts.sender ? ERR_USAGE : ERR_CONFIG;
		die(&e);
	}
	env.body = r->opts.body;
	if (r->opts.dsn_notify)
		env.dsn_notify = strdup(r->opts.dsn_notify);
	if (r->opts.dsn_ret)
		env.dsn_ret = strdup(r->opts.dsn_ret);
	if (r->opts.dsn_envid)
		env.dsn_envid = strdup(r->opts.dsn_envid);

	if (aliases_load(&al, &r->cfg, &e) == -1)
		die(&e);

	/* Recipients on the command line. */
	for (i = 0; i < r->opts.nrcpts; i++)
		if (add_list(r, al, &env, r->opts.rcpts[i],
		    strlen(r->opts.rcpts[i]), ERR_USAGE, &e) == -1)
			die(&e);

	/* The message: headers first, then -t. */
	if ((in = msg_input_new(STDIN_FILENO, !r->opts.ignore_dots)) == NULL)
		dief(ERR_SOFTWARE, "out of memory");
	if (msg_read_headers(&m, in, &e) == -1)
		die(&e);
	if (r->opts.extract_rcpts) {
		addr_list_init(&hl);
		if (msg_header_rcpts(m, &hl, &e) == -1)
			die(&e);
		for (i = 0; i < hl.n; i++)
			if (add_recipient(r, al, &env, hl.v[i].spec, &e) == -1) {
				e.cls = ERR_DATA;
				die(&e);
			}
		addr_list_free(&hl);
	}
	if (env.nrcpts == 0)
		dief(ERR_USAGE, "no recipients (give addresses as arguments, "
		    "or use -t with To, Cc or Bcc headers)");

	/*
	 * Spool the canonical message as it is read: into the queue's tmp/
	 * when there is a queue, so that a temporary failure only has to
	 * commit what is already on disk.
	 */
	if (r->cfg.queue_enabled && open_queue(r, &q, 1, &qerr) == 0 &&
	    queue_spool_begin(q, &sp, &qerr) == 0) {
		fd = queue_spool_fd(sp);
	} else {
		if (r->cfg.queue_enabled && delivery !=
		    CONFIG_DELIVERY_INTERACTIVE)
			die(&qerr);	/* nothing else can take the message */
		if ((fd = scratch_open(&e)) == -1)
			die(&e);
	}
	message_opts(r, &env, &mo);
	if (msg_write(m, in, fd, &mo, &st, &e) == -1) {
		if (sp != NULL)
			queue_spool_abort(q, sp);
		die(&e);
	}
	msg_free(m);
	msg_input_free(in);
	if (st.has_8bit && env.body == BODY_UNSPEC)
		env.body = BODY_8BITMIME;
	if (st.nul_removed || st.cr_replaced || st.lines_split ||
	    st.qp_reencoded)
		log_warn("from=<%s>: message repaired: %zu NUL removed, %zu "
		    "stray CR replaced, %zu long lines split%s", env.sender,
		    st.nul_removed, st.cr_replaced, st.lines_split,
		    st.qp_reencoded ? ", body re-encoded quoted-printable" :
		    "");
	rc = submit_deliver(r, q, sp, &qerr, fd, &env, st.size, delivery);
	aliases_free(al);
	envelope_free(&env);
	return rc;
}

static int
mode_verify(struct run *r)
{
	struct smtp_session	*s = NULL;
	const struct smtp_info	*info;
	struct envelope		 env;
	struct aliases		*al = NULL;
	struct err		 e;
	char			*secret = NULL, sender[600], reply[512];
	size_t			 i;
	int			 bad = 0, rc;

	/* Sender and recipients exactly as a submission would use them. */
	envelope_init(&env);
	if (r->opts.sender != NULL) {
		if (!r->cfg.allow_from_override)
			dief(ERR_NOPERM, "-f/-r is not allowed by %s "
			    "(allow_from_override = no)", r->cfg.path);
		if (requested_sender(r, r->opts.sender, sender, sizeof(sender),
		    &e) == -1)
			dief(ERR_USAGE, "-f %.200s: %s", r->opts.sender, e.msg);
	} else
		default_sender(r, sender, sizeof(sender));
	if (envelope_set_sender(&env, sender, &e) == -1)
		die(&e);
	if (aliases_load(&al, &r->cfg, &e) == -1)
		die(&e);
	for (i = 0; i < r->opts.nrcpts; i++)
		if (add_list(r, al, &env, r->opts.rcpts[i],
		    strlen(r->opts.rcpts[i]), ERR_USAGE, &e) == -1)
			die(&e);
	printf("config:      %s: ok\n", r->cfg.path);
	if (r->cfg.user != NULL && r->cfg.auth_mechs != 0 &&
	    (secret = config_secret(&r->cfg, r->privileged, &e)) == NULL)
		die(&e);
	rc = smtp_open(&s, &r->cfg, secret, r->opts.verbose > 0, &e);
	if (secret != NULL) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
	if (rc == -1) {
		printf("connection:  FAILED: %s\n", e.msg);
		die(&e);
	}
	info = smtp_info(s);
	printf("relay:       %s\n", info->relay);
	if (info->tls_version[0]) {
		printf("tls:         %s %s (%s)\n", info->tls_version,
		    info->tls_cipher, r->cfg.tls_verify ? "chain and name "
		    "verified" : "fingerprint pinned");
		printf("certificate: %s\n", info->peer_subject);
		printf("issuer:      %s\n", info->peer_issuer);
		printf("fingerprint: %s\n", info->peer_fingerprint);
	} else
		printf("tls:         none\n");
	printf("auth:        %s\n", info->authenticated ? info->auth_mech :
	    "none");
	printf("extensions: %s%s%s%s%s", info->ext_pipelining ?
	    " PIPELINING" : "", info->ext_8bitmime ? " 8BITMIME" : "",
	    info->ext_smtputf8 ? " SMTPUTF8" : "", info->ext_dsn ? " DSN" :
	    "", info->ext_chunking ? " CHUNKING" : "");
	if (info->ext_size)
		printf(" SIZE=%lld", info->ext_size);
	printf("\n");
	for (i = 0; i < env.nrcpts; i++) {
		if (smtp_verify(s, env.sender, env.rcpts[i].addr, reply,
		    sizeof(reply), &e) == -1) {
			printf("recipient:   <%s>: %s %s\n", env.rcpts[i].addr,
			    e.cls == ERR_NOUSER ? "REFUSED" : "TEMPORARY",
			    reply);
			if (e.cls == ERR_NOUSER)
				bad = 1;
			else if (!bad)
				bad = 2;
		} else
			printf("recipient:   <%s>: ok %s\n", env.rcpts[i].addr,
			    reply);
	}
	smtp_close(s);
	aliases_free(al);
	envelope_free(&env);
	if (bad == 1) {
		fprintf(stderr, "postern: some recipients were refused\n");
		return EX_NOUSER;
	}
	if (bad == 2) {
		fprintf(stderr, "postern: some recipients were deferred (4xx)\n");
		return EX_TEMPFAIL;
	}
	return EX_OK;
}

/* -bs: one SMTP session on stdin/stdout; every message relayed or queued. */
struct serve_ctx {
	struct run		*r;
	struct aliases		*al;
	struct delivery		 d;
	struct queue		*q;	/* NULL: none usable */
	struct err		 qerr;
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

/*
 * The enhanced status code (RFC 3463) of the smarthost's reply quoted in
 * msg, if its class is cls ('4' or '5'); else dflt.
 */
static const char *
enhanced_code(const char *msg, char cls, const char *dflt, char *out,
    size_t len)
{
	const char	*p;
	size_t		 n;

	for (p = msg; (p = strchr(p, cls)) != NULL; p++) {
		/* "NNN C.S.D " */
		if (p != msg && p[-1] != ' ')
			continue;
		if (!isdigit((unsigned char)p[1]) ||
		    !isdigit((unsigned char)p[2]) || p[3] != ' ' ||
		    p[4] != cls || p[5] != '.')
			continue;
		n = strspn(p + 4, "0123456789.");
		if (n >= 5 && n < len && p[4 + n] == ' ') {
			memcpy(out, p + 4, n);
			out[n] = '\0';
			return out;
		}
	}
	return dflt;
}

static int
serve_mail(void *arg, struct envelope *env, const char *addr, int *code,
    char *text, size_t len)
{
	struct serve_ctx	*c = arg;
	struct run		*r = c->r;
	struct err		 e;
	char			 sender[600];

	if (!r->cfg.allow_from_override)
		default_sender(r, sender, sizeof(sender));
	else if (requested_sender(r, addr, sender, sizeof(sender), &e) == -1) {
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
	struct serve_ctx	*c = arg;
	struct err		 e;

	if (add_recipient(c->r, c->al, env, addr, &e) == -1) {
		if (e.cls == ERR_DATA || e.cls == ERR_USAGE)
			reply(code, text, len, 553, "5.1.3 %s", e.msg);
		else
			reply(code, text, len, 451, "4.3.0 %s", e.msg);
		return -1;
	}
	return 0;
}

static int
serve_message(void *arg, struct envelope *env, int datafd, off_t size,
    int *code, char *text, size_t len)
{
	struct serve_ctx	*c = arg;
	struct run		*r = c->r;
	struct queue_spool	*sp = NULL;
	struct msg_input	*in;
	struct msg		*m = NULL;
	struct msg_opts		 mo;
	struct msg_stats	 st;
	struct outcome		 o;
	struct err		 e;
	char			 esc[16];
	int			 fd;

	(void)size;
	if (c->q != NULL && queue_spool_begin(c->q, &sp, &c->qerr) == 0)
		fd = queue_spool_fd(sp);
	else if ((fd = scratch_open(&e)) == -1) {
		reply(code, text, len, 451, "4.3.0 %s", e.msg);
		return -1;
	}
	if ((in = msg_input_new(datafd, 0)) == NULL ||
	    msg_read_headers(&m, in, &e) == -1) {
		if (in == NULL)
			err_set(&e, ERR_SOFTWARE, "out of memory");
		goto bad;
	}
	message_opts(r, env, &mo);
	if (msg_write(m, in, fd, &mo, &st, &e) == -1)
		goto bad;
	msg_free(m);
	msg_input_free(in);
	if (st.has_8bit && env->body == BODY_UNSPEC)
		env->body = BODY_8BITMIME;

	/* Failed recipients of a partly delivered message get a DSN. */
	attempt(r, &c->d, c->q, sp, &c->qerr, fd, env, st.size, 1, &o);
	if (sp == NULL)
		close(fd);
	switch (o.status) {
	case EX_OK:
		if (o.queued)
			reply(code, text, len, 250, "2.0.0 queued as %s (%s)",
			    o.id, o.e.msg);
		else
			reply(code, text, len, 250, "2.0.0 sent%s%s",
			    o.id[0] ? " as " : "", o.id);
		return 0;
	case EX_NOUSER:
		reply(code, text, len, 250, "2.0.0 accepted; some recipients "
		    "refused, a report goes to the sender: %s", o.e.msg);
		return 0;
	case EX_UNAVAILABLE:
		reply(code, text, len, 554, "%s %s", enhanced_code(o.e.msg,
		    '5', "5.0.0", esc, sizeof(esc)), o.e.msg);
		return -1;
	default:
		reply(code, text, len, 451, "%s %s", enhanced_code(o.e.msg,
		    '4', "4.3.0", esc, sizeof(esc)), o.e.msg);
		return -1;
	}
bad:
	msg_free(m);
	msg_input_free(in);
	if (sp != NULL)
		queue_spool_abort(c->q, sp);
	else
		close(fd);
	if (e.cls == ERR_DATA)
		reply(code, text, len, 554, "5.6.0 %s", e.msg);
	else
		reply(code, text, len, 451, "4.3.0 %s", e.msg);
	return -1;
}

static int
mode_serve(struct run *r)
{
	struct serve_handler	 h = { NULL, serve_mail, serve_rcpt,
				    serve_message };
	struct serve_params	 sp;
	struct serve_ctx	 c;
	struct err		 e;
	int			 rc;

	memset(&c, 0, sizeof(c));
	c.r = r;
	c.d.r = r;
	h.arg = &c;
	if (aliases_load(&c.al, &r->cfg, &e) == -1)
		die(&e);
	err_clear(&c.qerr);
	if (r->cfg.queue_enabled && open_queue(r, &c.q, 1, &c.qerr) == -1)
		c.q = NULL;
	memset(&sp, 0, sizeof(sp));
	sp.hostname = r->hostname;
	sp.tmpdir = "/tmp";
	/* The transcript would go to the client: no -v here. */
	r->opts.verbose = 0;
	rc = serve_run(STDIN_FILENO, STDOUT_FILENO, &sp, &h, &e);
	delivery_close(&c.d);
	if (c.q != NULL)
		queue_close(c.q);
	aliases_free(c.al);
	/* Nothing on stderr: the client reads replies, not our messages. */
	if (rc == -1)
		log_warn("-bs: %s", e.msg);
	return rc == 0 ? EX_OK : exit_code(e.cls);
}

/* mailq, -bp */
static int
mode_list(struct run *r)
{
	struct queue	*q;
	struct err	 e;

	if (open_queue(r, &q, 0, &e) == -1 ||
	    queue_list(q, stdout, time(NULL), &e) == -1)
		die(&e);
	queue_close(q);
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}

/*
 * -q: one run that tries every entry now (as Postfix's sendmail -q does);
 * -qINTERVAL: a run every INTERVAL in the foreground, each trying only the
 * entries that are due (for containers and systemd).
 */
static int
mode_queue(struct run *r)
{
	struct delivery		 d;
	struct queue_stats	 st;
	struct queue		*q;
	struct err		 e;
	long			 interval = r->opts.queue_interval;

	if (open_queue(r, &q, 1, &e) == -1)
		die(&e);
	for (;;) {
		memset(&d, 0, sizeof(d));
		d.r = r;
		if (run_queue_once(r, q, &d, interval == 0, 0, &st, &e) == -1) {
			delivery_close(&d);
			if (interval == 0)
				die(&e);
			fprintf(stderr, "postern: queue run: %s\n", e.msg);
		}
		delivery_close(&d);
		if (r->opts.verbose)
			fprintf(stderr, "postern: queue run: %zu entries, %zu "
			    "sent, %zu deferred, %zu failed (%zu expired), "
			    "%zu locked\n", st.entries, st.sent, st.deferred,
			    st.failed, st.expired, st.locked);
		if (interval == 0)
			break;
		sleep((unsigned)interval);
	}
	queue_close(q);
	return EX_OK;
}

/*
 * --import FILE: print a postern.ini equivalent to another drop-in's
 * configuration (import.c).  The file is read without the set-gid group,
 * so that no file only the group can read is shown.
 */
static int
mode_import(struct run *r)
{
	struct buf	out;
	struct err	e;

	if (r->opts.nrcpts > 0)
		dief(ERR_USAGE, "--import takes no recipients");
	drop_group(r);
	buf_init(&out, IMPORT_OUT_MAX);
	if (import_file(r->opts.import_file, r->opts.import_account, &out,
	    &e) == -1) {
		buf_free(&out);
		die(&e);
	}
	if (fwrite(buf_str(&out), 1, out.len, stdout) != out.len ||
	    fflush(stdout) != 0) {
		buf_free(&out);
		dief(ERR_IO, "--import: writing standard output: %s",
		    strerror(errno));
	}
	buf_free(&out);
	return EX_OK;
}

int
main(int argc, char **argv)
{
	struct run	r;
	struct err	e;

	memset(&r, 0, sizeof(r));
	r.start_ms = clock_now_ms();
	secure_start(&r);
	if (cli_parse(&r.opts, argc, argv, &e) == -1)
		die(&e);
	switch (r.opts.mode) {
	case MODE_VERSION:
		printf("postern %s\n", POSTERN_VERSION);
		return EX_OK;
	case MODE_NEWALIASES:
		/* Aliases are read at each submission: nothing to rebuild. */
		return EX_OK;
	case MODE_IMPORT:
		return mode_import(&r);
	default:
		break;
	}
	if (r.opts.mode != MODE_SUBMIT && r.opts.mode != MODE_VERIFY &&
	    r.opts.nrcpts > 0)
		dief(ERR_USAGE, "recipients are only allowed when submitting "
		    "or verifying (-bm, -bv)");
	identify(&r);
	if (load_config(&r, &e) == -1)
		die(&e);
	log_open(&r.cfg);

	switch (r.opts.mode) {
	case MODE_SUBMIT:
		return mode_submit(&r);
	case MODE_VERIFY:
		if (r.opts.nrcpts == 0)
			dief(ERR_USAGE, "-bv needs at least one recipient");
		return mode_verify(&r);
	case MODE_SERVE:
		return mode_serve(&r);
	case MODE_LIST:
		return mode_list(&r);
	case MODE_QUEUE_RUN:
		return mode_queue(&r);
	default:
		break;
	}
	dief(ERR_SOFTWARE, "internal: unknown mode");
}
