/*
 * run.h -- the queue runner mode: -q (one run that tries every entry now,
 * as Postfix's sendmail -q does) and -qINTERVAL (a run every INTERVAL in
 * the foreground, each trying only the entries that are due, for
 * containers and systemd).
 */
#ifndef POSTERN_RUN_H
#define POSTERN_RUN_H

#include <stdio.h>

#include "cli.h"
#include "err.h"
#include "submit.h"

/*
 * Run the queue as o says (o->queue_interval, o->verbose, o->qselect):
 * -qI, -qR, -qS choose the entries (p->qp.select is set for that, so p is
 * changed).  Each run opens its own session and logs one summary line (a
 * periodic run only when it did something); -v adds a line per run on
 * diag.  -qINTERVAL stops on SIGTERM or SIGINT after the message being
 * sent; a failed periodic run is one line "postern: queue run: reason" on
 * diag and the next run follows.  Returns 0 (also when stopped), or -1:
 * submit_open_queue()'s errors, a single run's errors (submit_run_queue()),
 * ERR_SOFTWARE when the stop handlers cannot be set up.
 */
int	run_queue(struct submit_params *p, const struct opts *o, FILE *diag,
	    struct err *e);

#endif
