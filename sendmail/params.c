/*
 * params.c -- struct config to struct smtp_params, TLS as a net.c
 * transport, and struct config to the submission's parameters (see
 * params.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "net.h"
#include "dkim.h"
#include "params.h"
#include "tls.h"

static ssize_t
tls_t_read(void *ctx, void *p, size_t n, long long deadline, struct err *e)
{
	return tls_read(ctx, p, n, deadline, e);
}

static ssize_t
tls_t_write(void *ctx, const void *p, size_t n, long long deadline,
    struct err *e)
{
	return tls_write(ctx, p, n, deadline, e);
}

static size_t
tls_t_pending(void *ctx)
{
	return tls_pending(ctx);
}

static void
tls_t_close(void *ctx)
{
	tls_close(ctx);
}

static ssize_t
tls_t_sendfile(void *ctx, int fd, off_t off, size_t n, long long deadline,
    struct err *e)
{
	return tls_sendfile(ctx, fd, off, n, deadline, e);
}

static const struct net_transport tls_transport = {
	tls_t_read, tls_t_write, tls_t_pending, tls_t_close, tls_t_sendfile
};

static int
start_tls(const void *arg, struct conn *c, const char *host, long long deadline,
    struct smtp_info *info, struct err *e)
{
	const struct config	*cfg = arg;
	struct tls		*t = NULL;
	struct tls_peer		 p;
	struct tls_params	 tp;
	char			 dir[4096];

	/* tls_start copies tp; dir is the session cache under [queue] dir. */
	tls_params_from_config(&tp, cfg, dir, sizeof(dir));
	if (tls_start(&t, net_fd(c), &tp, host, deadline, e) == -1)
		return -1;
	if (net_set_transport(c, &tls_transport, t, e) == -1) {
		tls_close(t);
		return -1;
	}
	tls_describe(t, &p);
	snprintf(info->tls_version, sizeof(info->tls_version), "%s",
	    p.version);
	snprintf(info->tls_cipher, sizeof(info->tls_cipher), "%s", p.cipher);
	snprintf(info->peer_subject, sizeof(info->peer_subject), "%s",
	    p.subject);
	snprintf(info->peer_issuer, sizeof(info->peer_issuer), "%s",
	    p.issuer);
	snprintf(info->peer_fingerprint, sizeof(info->peer_fingerprint),
	    "%s", p.fingerprint);
	return 0;
}

void
smtp_params_from_config(struct smtp_params *p, const struct config *c,
    int verbose)
{
	memset(p, 0, sizeof(*p));
	p->hosts = c->hosts;
	p->nhosts = c->nhosts;
	p->port = c->port;
	p->tls = c->tls == CONFIG_TLS_NONE ? SMTP_TLS_NONE :
	    c->tls == CONFIG_TLS_IMPLICIT ? SMTP_TLS_IMPLICIT :
	    SMTP_TLS_STARTTLS;
	p->helo = c->helo;
	p->user = c->user;
	p->auth_mechs = c->auth_mechs;
	p->auth_auto = c->auth_auto;
	p->timeout = c->timeout ? c->timeout : 60;
	p->final_timeout = SMTP_FINAL_TIMEOUT;
	p->verbose = verbose;
	p->tls_start = start_tls;
	p->tls_arg = c;
}

int
params_open(void *arg, struct smtp_session **sp, struct err *e)
{
	const struct params_session	*ps = arg;
	const struct config		*c = ps->cfg;
	struct smtp_params		 p;
	char				*secret = NULL;
	int				 rc;

	*sp = NULL;
	if (c->user != NULL && c->auth_mechs != 0 &&
	    (secret = config_secret(c, ps->privileged, e)) == NULL)
		return -1;
	smtp_params_from_config(&p, c, ps->verbose > 0);
	rc = smtp_connect(sp, &p, secret, e);
	if (secret != NULL) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
	if (rc == -1) {
		*sp = NULL;
		return -2;
	}
	return 0;
}

static void
params_queue(const struct config *c, const char *hostname,
    int privileged, struct queue_params *qp)
{
	queue_params_init(qp);
	qp->retry = c->retry;
	qp->retry_max = c->retry_max;
	qp->lifetime = c->lifetime;
	qp->delay_warning = c->delay_warning;
	qp->hostname = c->domain ? c->domain : hostname;
	/*
	 * The privilege model (postern(8) SECURITY): a set-gid run by anyone
	 * but root handles only the caller's own entries, so a user can
	 * neither repeat another user's mail (SIGKILL after the 250), nor
	 * stall it (SIGSTOP while holding its lock), nor see it with -v.
	 */
	if (privileged && getuid() != 0) {
		qp->own_only = 1;
		qp->own_uid = getuid();
	}
}

void
params_submit(const struct config *c, const struct params_caller *caller,
    struct params_session *ps, struct submit_params *p)
{
	memset(p, 0, sizeof(*p));
	p->domain = c->domain;
	p->hostname = caller->hostname;
	p->user = caller->user;
	p->full_name = caller->full_name;
	p->from = c->from;
	p->force_from = c->from_header == CONFIG_FROM_FORCE;
	p->allow_from_override = c->allow_from_override;
	p->config_path = c->path;
	p->tmpdir = "/tmp";
	p->queue_enabled = c->queue_enabled;
	p->queue_dir = c->queue_dir;
	p->how = (enum submit_how)(caller->delivery != CLI_DELIVERY_UNSET ?
	    caller->delivery : (int)c->delivery);
	p->tls_verify = c->tls_verify;
	params_queue(c, caller->hostname, caller->privileged, &p->qp);
	p->max_size = (off_t)c->max_message_size;

	ps->cfg = c;
	ps->privileged = caller->privileged;
	ps->verbose = caller->verbose;
	p->dp.open = params_open;
	p->dp.open_arg = ps;
	p->dp.auth_user = c->user;
	p->dp.start_ms = caller->start_ms;

	params_alias(c, &p->ap);
}

void
params_alias(const struct config *c, struct alias_params *ap)
{
	ap->config_path = c->path;
	ap->aliases = c->aliases;
	ap->naliases = c->naliases;
	ap->file = c->aliases_file;
}

void
params_run(const struct config *c, const struct opts *o,
    const struct proc *pr, long long start_ms, struct params_session *ps,
    struct submit_params *p)
{
	struct params_caller	cl;

	memset(&cl, 0, sizeof(cl));
	cl.user = pr->user;
	cl.full_name = o->full_name ? o->full_name :
	    (pr->fullname[0] ? pr->fullname : NULL);
	cl.hostname = pr->hostname;
	cl.privileged = pr->privileged;
	/* -bs: the transcript would go to the client, so no -v there. */
	cl.verbose = o->mode == MODE_SERVE ? 0 : o->verbose;
	cl.delivery = o->delivery;
	cl.start_ms = start_ms;
	params_submit(c, &cl, ps, p);
}

void
params_serve(const struct config *c, const char *hostname,
    struct serve_params *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->hostname = hostname;
	sp->tmpdir = "/tmp";
	/* 0 is no limit: serve.c then caps it at what SIZE= can say. */
	sp->max_size = c->max_message_size != 0 ?
	    (off_t)c->max_message_size : (off_t)CONFIG_SIZE_MAX;
}

void
params_log(const struct config *c, struct log_params *lp)
{
	memset(lp, 0, sizeof(*lp));
	lp->syslog_facility = c->syslog_facility;
	lp->file = c->log_file;
	lp->log_stderr = c->log_stderr;
}

void
params_dkim(const struct config *c, struct dkim_params *dp)
{
	dp->domain = c->dkim_domain;
	dp->selector = c->dkim_selector;
	dp->key_file = c->dkim_key_file;
	dp->headers = c->dkim_headers;
	dp->header_relaxed = c->dkim_header_relaxed;
	dp->body_relaxed = c->dkim_body_relaxed;
	dp->sign_always = c->dkim_sign_always;
}

int
params_signer(const struct config *c, int privileged, struct submit_params *p,
    struct err *e)
{
	struct dkim_params	dk;

	params_dkim(c, &dk);
	if (dkim_load(&p->dkim, &dk, privileged, e) == -1)
		return -1;
	if (p->dkim != NULL) {	/* the queue signs its DSNs too */
		p->qp.sign = dkim_sign_file;
		p->qp.sign_arg = p->dkim;
	}
	return 0;
}
