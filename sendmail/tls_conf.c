/*
 * tls_conf.c -- struct config -> struct tls_params: the one place that
 * reads the configuration for tls.c.
 */
#include <stdio.h>

#include "config.h"
#include "params.h"
#include "tls.h"

void
tls_params_from_config(struct tls_params *p, const struct config *c,
    char *dirbuf, size_t dirlen)
{
	int	n;

	p->ca_file = c->tls_ca_file;
	p->fingerprint = c->tls_fingerprint;
	p->client_cert = c->tls_client_cert;
	p->client_key = c->tls_client_key;
	p->verify = c->tls_verify;
	p->min_version = c->tls_min_version;
	p->port = c->port;
	p->ktls = c->tls_ktls;
	p->cache_dir = NULL;
	if (c->tls_session_cache && c->queue_dir != NULL && dirlen > 0) {
		n = snprintf(dirbuf, dirlen, "%s/tls", c->queue_dir);
		if (n > 0 && (size_t)n < dirlen)
			p->cache_dir = dirbuf;
	}
}
