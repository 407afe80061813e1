/*
 * params.h -- the one place that turns struct config into the parameters
 * of the SMTP client (smtp.h), and the glue that lets the client start TLS
 * (tls.c) on a net.c connection without net.c and tls.c knowing each other.
 *
 * Modules below main.c take their own parameter structs; callers build
 * them here.
 */
#ifndef POSTERN_PARAMS_H
#define POSTERN_PARAMS_H

#include "config.h"
#include "smtp.h"

/*
 * Fill *p from c: hosts, port, tls mode, helo, user and AUTH mechanisms,
 * timeout (0 becomes 60), final_timeout = SMTP_FINAL_TIMEOUT, the TLS
 * starter (tls_start() with c's trust settings).  p borrows c's strings:
 * c must outlive every session opened with p.  Never fails.
 */
void	smtp_params_from_config(struct smtp_params *p, const struct config *c,
	    int verbose);

#endif
