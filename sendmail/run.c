/*
 * run.c -- the queue runner mode (run.h).
 *
 * -qINTERVAL stops on SIGTERM or SIGINT (docker/podman stop, Ctrl-C; as
 * PID 1 a process without a handler would ignore them): the message being
 * sent finishes (the deliverer's more() then says no, so the run only
 * scans for expiries and sends nothing new), every other entry stays as
 * it is, and the process exits 0.  The handler writes to a pipe that the
 * sleep between runs polls, so a signal can never be missed between a
 * check and the sleep.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "err.h"
#include "io.h"
#include "log.h"
#include "queue.h"
#include "queue_list.h"
#include "run.h"
#include "submit.h"

static volatile sig_atomic_t	stop_signal;
static int			stop_pipe[2] = { -1, -1 };

static void
on_stop(int sig)
{
	int	save = errno;

	stop_signal = sig;
	if (stop_pipe[1] != -1)
		(void)!write(stop_pipe[1], "", 1);
	errno = save;
}

static int
stop_handlers(struct err *e)
{
	struct sigaction	sa;

	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		err_set(e, ERR_SOFTWARE, "pipe: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: a sleep ends at once */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	return 0;
}

/* Sleep seconds, or less when told to stop; returns 1 when told to stop. */
static int
stop_wait(long seconds)
{
	struct err	e;

	/* The handler writes to the pipe: a signal ends the wait at once. */
	if (stop_signal == 0)
		(void)io_wait(stop_pipe[0], POLLIN, clock_now_ms() +
		    (long long)seconds * 1000, &e);
	return stop_signal != 0;
}

/* One line per run; a periodic run logs only when it worked. */
static void
report_run(const struct queue_stats *st, long long ms, long interval,
    int verbose, FILE *diag)
{
	char	summary[300];

	queue_run_summary(st, ms, summary, sizeof(summary));
	if (interval == 0 || st->due > 0 || st->expired > 0 ||
	    st->malformed > 0)
		log_info("%s", summary);
	if (verbose)
		fprintf(diag, "postern: queue run: %zu entries, %zu "
		    "sent, %zu deferred, %zu failed (%zu expired), "
		    "%zu locked\n", st->entries, st->sent, st->deferred,
		    st->failed, st->expired, st->locked);
}

int
run_queue(struct submit_params *p, const struct opts *o, FILE *diag,
    struct err *e)
{
	static struct queue_select	 sel;
	struct queue_stats		 st;
	struct queue			*q;
	long long			 t0;
	size_t				 i;
	long				 interval = o->queue_interval;

	/* -qI, -qR, -qS choose the entries of the run. */
	memset(&sel, 0, sizeof(sel));
	for (i = 0; i < o->nqselect; i++) {
		sel.v[i].kind = o->qselect[i].kind;
		sel.v[i].substr = o->qselect[i].substr;
	}
	if ((sel.n = o->nqselect) > 0) {
		p->qp.select = queue_select_match;
		p->qp.select_arg = &sel;
	}
	if (submit_open_queue(p, &q, 1, e) == -1)
		return -1;
	if (interval > 0) {
		if (stop_handlers(e) == -1) {
			queue_close(q);
			return -1;
		}
		p->dp.stop = &stop_signal;
	}
	for (;;) {
		t0 = clock_now_ms();
		/* Each run opens its own session. */
		if (submit_run_queue(p, q, NULL, interval == 0, 0, &st,
		    e) == -1) {
			if (interval == 0) {
				queue_close(q);
				return -1;
			}
			fprintf(diag, "postern: queue run: %s\n", e->msg);
		}
		report_run(&st, clock_now_ms() - t0, interval, o->verbose,
		    diag);
		if (interval == 0 || stop_wait(interval))
			break;
	}
	if (stop_signal != 0)
		log_info("queue runner stopped by signal %d; every entry "
		    "left in the queue", (int)stop_signal);
	queue_close(q);
	return 0;
}
