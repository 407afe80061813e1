/*
 * params.c -- struct config to module parameters (see params.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "params.h"
#include "smtp.h"

int
params_open(void *arg, struct smtp_session **sp, struct err *e)
{
	const struct params_session	*ps = arg;
	const struct config		*c = ps->cfg;
	char				*secret = NULL;
	int				 rc;

	*sp = NULL;
	if (c->user != NULL && c->auth_mechs != 0 &&
	    (secret = config_secret(c, ps->privileged, e)) == NULL)
		return -1;
	rc = smtp_open(sp, c, secret, ps->verbose > 0, e);
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
    struct queue_params *qp)
{
	queue_params_init(qp);
	qp->retry = c->retry;
	qp->retry_max = c->retry_max;
	qp->lifetime = c->lifetime;
	qp->hostname = c->domain ? c->domain : hostname;
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
	params_queue(c, caller->hostname, &p->qp);

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
