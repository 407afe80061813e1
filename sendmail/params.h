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

#include "config.h"
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

/* The [aliases] section and aliases_file of c (pointers into c). */
void	params_alias(const struct config *c, struct alias_params *ap);

/*
 * deliver_params' open(): read the secret (config_secret(); -1 with its
 * error), then smtp_open() to the configured smarthost (-2 with its
 * error).  The secret is wiped at once.
 */
int	params_open(void *arg, struct smtp_session **sp, struct err *e);

#endif
