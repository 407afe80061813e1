/*
 * verify.c -- -bv (see verify.h).
 */
#include <stdio.h>
#include <string.h>

#include "dkimcheck.h"
#include "smtp.h"
#include "verify.h"

static void
report_session(const struct submit_params *p, const struct smtp_info *info,
    FILE *out)
{
	fprintf(out, "relay:       %s\n", info->relay);
	if (info->tls_version[0]) {
		fprintf(out, "tls:         %s %s (%s)\n", info->tls_version,
		    info->tls_cipher, p->tls_verify ? "chain and name "
		    "verified" : "fingerprint pinned");
		fprintf(out, "certificate: %s\n", info->peer_subject);
		fprintf(out, "issuer:      %s\n", info->peer_issuer);
		fprintf(out, "fingerprint: %s\n", info->peer_fingerprint);
	} else
		fprintf(out, "tls:         none\n");
	fprintf(out, "auth:        %s\n", info->authenticated ?
	    info->auth_mech : "none");
	fprintf(out, "extensions: %s%s%s%s%s", info->ext_pipelining ?
	    " PIPELINING" : "", info->ext_8bitmime ? " 8BITMIME" : "",
	    info->ext_smtputf8 ? " SMTPUTF8" : "", info->ext_dsn ? " DSN" :
	    "", info->ext_chunking ? " CHUNKING" : "");
	if (info->ext_size)
		fprintf(out, " SIZE=%lld", info->ext_size);
	fprintf(out, "\n");
}

/* 0 all accepted, 1 one refused, 2 one deferred (and none refused). */
static int
check_rcpts(struct smtp_session *s, const struct envelope *env, FILE *out)
{
	struct err	e;
	char		reply[512];
	size_t		i;
	int		bad = 0;

	for (i = 0; i < env->nrcpts; i++) {
		if (smtp_verify(s, env->sender, env->rcpts[i].addr, reply,
		    sizeof(reply), &e) == 0) {
			fprintf(out, "recipient:   <%s>: ok %s\n",
			    env->rcpts[i].addr, reply);
			continue;
		}
		fprintf(out, "recipient:   <%s>: %s %s\n", env->rcpts[i].addr,
		    e.cls == ERR_NOUSER ? "REFUSED" : "TEMPORARY", reply);
		if (e.cls == ERR_NOUSER)
			bad = 1;
		else if (!bad)
			bad = 2;
	}
	return bad;
}

static int
build_envelope(const struct submit_params *p, const struct opts *o,
    struct envelope *env, struct err *e)
{
	struct aliases	*al = NULL;
	size_t		 i;
	int		 rc = 0;

	if (submit_sender(p, o->sender, env, 0, e) == -1 ||
	    aliases_load(&al, &p->ap, e) == -1)
		return -1;
	for (i = 0; rc == 0 && i < o->nrcpts; i++)
		rc = submit_add_list(p, al, env, o->rcpts[i],
		    strlen(o->rcpts[i]), ERR_USAGE, e);
	aliases_free(al);
	return rc;
}

int
verify_run(const struct submit_params *p, const struct opts *o, FILE *out,
    struct err *e)
{
	struct smtp_session	*s = NULL;
	struct envelope		 env;
	struct err		 de;
	int			 bad, rc;

	/* Sender and recipients exactly as a submission would use them. */
	envelope_init(&env);
	if (build_envelope(p, o, &env, e) == -1) {
		envelope_free(&env);
		return -1;
	}
	fprintf(out, "config:      %s: ok\n", p->config_path);
	/* DKIM key, SPF, DMARC: reported now, an error only at the end. */
	(void)dkimcheck_report(p->dkim, env.sender, p->domain ? p->domain :
	    p->hostname, out, &de);
	if ((rc = p->dp.open(p->dp.open_arg, &s, e)) < 0) {
		if (rc == -2)
			fprintf(out, "connection:  FAILED: %s\n", e->msg);
		envelope_free(&env);
		return -1;
	}
	report_session(p, smtp_info(s), out);
	bad = check_rcpts(s, &env, out);
	smtp_close(s);
	envelope_free(&env);
	if (bad == 1)
		return err_set(e, ERR_NOUSER, "some recipients were refused");
	if (bad == 2)
		return err_set(e, ERR_TEMP, "some recipients were deferred "
		    "(4xx)");
	if (de.cls != ERR_OK) {
		*e = de;
		return -1;
	}
	return 0;
}
