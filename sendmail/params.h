/*
 * params.h -- the one place that turns struct config into each module's
 * parameters: the SMTP client's (smtp_params, with the glue that lets the
 * client start TLS (tls.c) on a net.c connection without net.c and tls.c
 * knowing each other), and submit_params, deliver_params, queue_params,
 * alias_params, so that no module below main.c takes the whole
 * configuration.
 */
#ifndef POSTERN_PARAMS_H
#define POSTERN_PARAMS_H

#include "cli.h"
#include "config.h"
#include "log.h"
#include "proc.h"
#include "serve.h"
#include "smtp.h"
#include "submit.h"

/*
 * Fill *p from c: hosts, port, tls mode, helo, user and AUTH mechanisms,
 * timeout (0 becomes 60), final_timeout = SMTP_FINAL_TIMEOUT, the TLS
 * starter (tls_start() with c's trust settings).  p borrows c's strings:
 * c must outlive every session opened with p.  Never fails.
 */
void	smtp_params_from_config(struct smtp_params *p, const struct config *c,
	    int verbose);

/* Who is calling, as main.c found out. */
struct params_caller {
	const char	*user;		/* login name */
	const char	*full_name;	/* -F, else the GECOS name, or NULL */
	const char	*hostname;
	int		 privileged;	/* set-id: secrets need the group */
	int		 verbose;	/* -v: SMTP dialogue on stderr */
	int		 delivery;	/* -od, or CLI_DELIVERY_UNSET */
	long long	 start_ms;
};

/* What params_open() needs; it must outlive the submit_params. */
struct params_session {
	const struct config	*cfg;
	int			 privileged;
	int			 verbose;
};

/*
 * Fill *p from c and the caller (the strings point into c and caller);
 * p->dp.open is params_open() with *ps as its argument.
 */
void	params_submit(const struct config *c,
	    const struct params_caller *caller, struct params_session *ps,
	    struct submit_params *p);

/*
 * params_submit() with the caller taken from the command line o and the
 * process pr (user, -F else the GECOS name, host name, set-id; -v except
 * for -bs, whose transcript would go to the client; -od).  p points into
 * c, o and pr.
 */
void	params_run(const struct config *c, const struct opts *o,
	    const struct proc *pr, long long start_ms, struct params_session *ps,
	    struct submit_params *p);

/*
 * -bs's session: greeting host name (borrowed), /tmp for scratch files,
 * [limits] max_message_size (0, no limit, becomes CONFIG_SIZE_MAX, which
 * serve.c caps at what SIZE= can say).
 */
void	params_serve(const struct config *c, const char *hostname,
	    struct serve_params *sp);

/* The [log] section of c (the file name points into c). */
void	params_log(const struct config *c, struct log_params *lp);

/* The [dkim] section of c (pointers into c). */
struct dkim_params;
void	params_dkim(const struct config *c, struct dkim_params *dp);

/*
 * The [dkim] signer loaded into p->dkim (NULL when signing is off) and the
 * queue's DSN signing hook (p->qp.sign) set to it.  -1 with *e (ERR_CONFIG,
 * naming the key file) when the key cannot be used (dkim_load()).
 */
int	params_signer(const struct config *c, int privileged,
	    struct submit_params *p, struct err *e);

/* p from c; cache_dir is DIR/tls under [queue] dir (dirbuf holds it).
 * Implemented in tls_conf.c. */
struct tls_params;
void	tls_params_from_config(struct tls_params *p, const struct config *c,
	    char *dirbuf, size_t dirlen);

/* The [aliases] section and aliases_file of c (pointers into c). */
void	params_alias(const struct config *c, struct alias_params *ap);

/*
 * deliver_params' open(): read the secret (config_secret(); -1 with its
 * error), then smtp_open() to the configured smarthost (-2 with its
 * error).  The secret is wiped at once.
 */
int	params_open(void *arg, struct smtp_session **sp, struct err *e);

#endif
