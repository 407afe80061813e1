/*
 * params.h -- the one place that turns struct config into each module's
 * parameters (submit_params, deliver_params, queue_params, alias_params),
 * so that no module below main.c takes the whole configuration.
 *
 * When the SMTP client and TLS take their own parameter structs, the
 * mapping from [smarthost] and [tls] goes here too (params_open()).
 */
#ifndef POSTERN_PARAMS_H
#define POSTERN_PARAMS_H

#include "config.h"
#include "submit.h"

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
