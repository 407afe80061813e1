/*
 * main.c -- postern: sendmail-compatible mail submission agent.
 *
 * The only file that exits.  It makes the process safe (proc.c), parses
 * the command line (cli.c), reads the configuration (config.c), turns it
 * into each module's parameters (params.c) and runs the mode: submit.c,
 * verify.c, serve.c with submit.c's handlers, queue.c.  Module errors are
 * mapped to sysexits here and nowhere else; a failure nobody planned for
 * maps to 75 (EX_TEMPFAIL).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "config.h"
#include "dkim.h"
#include "import.h"
#include "log.h"
#include "params.h"
#include "proc.h"
#include "queue.h"
#include "queue_list.h"
#include "serve.h"
#include "submit.h"
#include "verify.h"

#ifndef POSTERN_VERSION
#define POSTERN_VERSION "dev"
#endif

#ifdef POSTERN_SAN
/*
 * make SAN=1: no LeakSanitizer in the program, which exits after an error
 * without freeing (as Postfix's commands do) and may be non-dumpable.
 * Compiled in, as cron and runuser clear the environment.  Unit tests do
 * not link this file and keep leak detection.
 */
const char	*__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

struct run {
	struct opts		 opts;
	struct config		 cfg;
	struct proc		 proc;
	long long		 start_ms;
	struct params_session	 ps;
	struct submit_params	 p;
};

/* -qINTERVAL's stop request (see stop_handlers()). */
static volatile sig_atomic_t	stop_signal;
static int			stop_pipe[2] = { -1, -1 };

static int
exit_code(enum err_class cls)
{
	switch (cls) {
	case ERR_OK:		return EX_OK;
	case ERR_USAGE:		return EX_USAGE;
	case ERR_DATA:		return EX_DATAERR;
	case ERR_NOUSER:	return EX_NOUSER;
	case ERR_UNAVAILABLE:	return EX_UNAVAILABLE;
	case ERR_CANTCREAT:	return EX_CANTCREAT;
	case ERR_IO:		return EX_IOERR;
	case ERR_TEMP:		return EX_TEMPFAIL;
	case ERR_NOPERM:	return EX_NOPERM;
	case ERR_CONFIG:	return EX_CONFIG;
	case ERR_SOFTWARE:	return EX_TEMPFAIL;
	}
	return EX_TEMPFAIL;
}

/* Refusals also go to syslog: cron, sudo, mdadm ignore the status. */
static void
refused(int code, const char *why)
{
	if (code == EX_USAGE || code == EX_DATAERR || code == EX_NOPERM ||
	    code == EX_CONFIG)
		log_refusal(code, why);
}

static void __attribute__((noreturn))
die(const struct err *e)
{
	int	code = exit_code(e->cls);

	fprintf(stderr, "postern: %s\n", e->msg);
	refused(code, e->msg);
	exit(code);
}

static void __attribute__((noreturn))
die_usage(const char *why)
{
	fprintf(stderr, "postern: %s\n", why);
	refused(EX_USAGE, why);
	exit(EX_USAGE);
}

static int
load_config(struct run *r, struct err *e)
{
	const char	*path = r->opts.config;

	if (path == NULL)
		path = r->proc.env_config;
	/* A user's file gets the user's rights. */
	if (path != NULL && proc_drop_group(&r->proc, e) == -1)
		return -1;
	if (path == NULL)
		path = CONFIG_DEFAULT_PATH;
	config_defaults(&r->cfg);
	if (config_load(&r->cfg, path, r->proc.privileged, e) == -1)
		return -1;
	/* [sender] domain unset: /etc/mailname, else a dotted FQDN. */
	return config_default_domain(&r->cfg, CONFIG_MAILNAME_PATH, e);
}

/* Every mode's parameters, from the configuration and the caller. */
static void
set_params(struct run *r)
{
	struct params_caller	c;

	memset(&c, 0, sizeof(c));
	c.user = r->proc.user;
	c.full_name = r->opts.full_name ? r->opts.full_name :
	    (r->proc.fullname[0] ? r->proc.fullname : NULL);
	c.hostname = r->proc.hostname;
	c.privileged = r->proc.privileged;
	/* -bs: the transcript would go to the client, so no -v there. */
	c.verbose = r->opts.mode == MODE_SERVE ? 0 : r->opts.verbose;
	c.delivery = r->opts.delivery;
	c.start_ms = r->start_ms;
	params_submit(&r->cfg, &c, &r->ps, &r->p);
}

/*
 * The DKIM key is loaded before anything is read or sent: a key that
 * cannot be used is exit 78 naming the file (dkim.h).
 */
static void
load_dkim(struct run *r)
{
	struct err	e;

	if (dkim_load(&r->p.dkim, &r->cfg, r->proc.privileged, &e) == -1)
		die(&e);
}

/*
 * Deliver, queue, or both, as the delivery mode says.  Exit 0 is a
 * promise: delivered, or committed to the queue (queue_store.c's protocol).
 */
static int
mode_submit(struct run *r)
{
	struct submit	*s;
	struct err	 e;
	char		 line[ERR_MSGMAX + 100];
	pid_t		 pid;

	load_dkim(r);
	if (submit_read(&s, &r->p, &r->opts, STDIN_FILENO, &e) == -1)
		die(&e);
	if (submit_how(s) != SUBMIT_NOW) {
		if (submit_commit(s, &e) == -1)
			die(&e);
		if (submit_how(s) == SUBMIT_QUEUE)
			return EX_OK;
		/* -odb: the child inherits the entry's lock and sends it. */
		fflush(NULL);
		if ((pid = fork()) == -1)
			return EX_OK;	/* committed: a queue run sends it */
		if (pid > 0)
			_exit(EX_OK);	/* keep the lock for the child */
		proc_detach();
		submit_background(s);
		_exit(EX_OK);
	}
	e.cls = submit_now(s, line, sizeof(line));
	if (line[0] != '\0')
		fprintf(stderr, "postern: %s\n", line);
	submit_free(s);
	if (line[0] != '\0')
		refused(exit_code(e.cls), line);
	return exit_code(e.cls);
}

static int
mode_verify(struct run *r)
{
	struct err	e;

	if (r->opts.nrcpts == 0)
		die_usage("-bv needs at least one recipient");
	load_dkim(r);
	if (verify_run(&r->p, &r->opts, stdout, &e) == -1)
		die(&e);
	return EX_OK;
}

/* -bs: one SMTP session on stdin/stdout; every message relayed or queued. */
static int
mode_serve(struct run *r)
{
	struct serve_handler	 h;
	struct serve_params	 sp;
	struct submit_serve	*c;
	struct err		 e;
	char			 text[600];
	int			 rc;

	load_dkim(r);
	if (submit_serve_new(&c, &r->p, &h, &e) == -1)
		die(&e);
	memset(&sp, 0, sizeof(sp));
	sp.hostname = r->proc.hostname;
	sp.tmpdir = "/tmp";
	/* 0 is no limit: serve.c then caps it at what SIZE= can say. */
	sp.max_size = r->cfg.max_message_size != 0 ?
	    (off_t)r->cfg.max_message_size : (off_t)CONFIG_SIZE_MAX;
	rc = serve_run(STDIN_FILENO, STDOUT_FILENO, &sp, &h, &e);
	submit_serve_free(c);
	/* Nothing on stderr: the client reads replies, not our messages. */
	if (rc == -1)
		log_warn("-bs: %s", log_text(e.msg, text, sizeof(text)));
	return rc == 0 ? EX_OK : exit_code(e.cls);
}

/* mailq, -bp */
static int
mode_list(struct run *r)
{
	struct queue	*q;
	struct err	 e;

	if (submit_open_queue(&r->p, &q, 0, &e) == -1 ||
	    queue_list(q, stdout, r->opts.json ? QUEUE_LIST_JSON :
	    QUEUE_LIST_MAILQ, &e) == -1)
		die(&e);
	queue_close(q);
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}

/*
 * --delete ID...|ALL.  A set-gid run could remove anybody's mail, so there
 * only root and the queue directory's owner may delete; without set-gid
 * the file system decides.
 */
static int
mode_delete(struct run *r)
{
	struct queue	*q;
	struct stat	 sb;
	struct err	 e;
	size_t		 removed;
	int		 rc;

	if (submit_open_queue(&r->p, &q, 0, &e) == -1)
		die(&e);
	if (r->proc.privileged && getuid() != 0 &&
	    (stat(queue_dir(q), &sb) == -1 || sb.st_uid != getuid())) {
		err_set(&e, ERR_NOPERM, "--delete: only root or the owner of "
		    "%s may delete queue entries", queue_dir(q));
		die(&e);
	}
	rc = queue_delete_ids(q, r->opts.rcpts, r->opts.nrcpts,
	    QUEUE_DELETE_WAIT_MS, stderr, &removed, &e);
	if (removed > 0)
		log_info("queue: --delete removed %zu entr%s (uid %ld)",
		    removed, removed == 1 ? "y" : "ies", (long)getuid());
	queue_close(q);
	return rc == 0 ? EX_OK : exit_code(e.cls);
}

/*
 * -qINTERVAL stops on SIGTERM or SIGINT (docker/podman stop, Ctrl-C; as
 * PID 1 a process without a handler would ignore them): the message being
 * sent finishes (the deliverer's more() then says no, so the run only
 * scans for expiries and sends nothing new), every other entry stays as
 * it is, and the process exits 0.  The handler writes to a pipe that the
 * sleep between runs polls, so a signal can never be missed between a
 * check and the sleep.
 */
static void
on_stop(int sig)
{
	int	save = errno;

	stop_signal = sig;
	if (stop_pipe[1] != -1)
		(void)!write(stop_pipe[1], "", 1);
	errno = save;
}

static void
stop_handlers(void)
{
	struct sigaction	sa;
	struct err		e;

	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		err_set(&e, ERR_SOFTWARE, "pipe: %s", strerror(errno));
		die(&e);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: a sleep ends at once */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* Sleep seconds, or less when told to stop; returns 1 when told to stop. */
static int
stop_wait(long seconds)
{
	struct pollfd	pfd = { stop_pipe[0], POLLIN, 0 };
	long long	deadline = clock_now_ms() + (long long)seconds * 1000;
	long long	left;

	while (stop_signal == 0 && (left = deadline - clock_now_ms()) > 0)
		(void)poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
	return stop_signal != 0;
}

/*
 * -q: one run that tries every entry now (as Postfix's sendmail -q does);
 * -qINTERVAL: a run every INTERVAL in the foreground, each trying only the
 * entries that are due (for containers and systemd).
 */
static int
mode_queue(struct run *r)
{
	struct queue_stats	 st;
	struct queue_select	 sel;
	struct queue		*q;
	struct err		 e;
	char			 summary[300];
	long long		 t0;
	size_t			 i;
	long			 interval = r->opts.queue_interval;

	/* -qI, -qR, -qS choose the entries of the run. */
	memset(&sel, 0, sizeof(sel));
	for (i = 0; i < r->opts.nqselect; i++) {
		sel.v[i].kind = r->opts.qselect[i].kind;
		sel.v[i].substr = r->opts.qselect[i].substr;
	}
	if ((sel.n = r->opts.nqselect) > 0) {
		r->p.qp.select = queue_select_match;
		r->p.qp.select_arg = &sel;
	}
	if (submit_open_queue(&r->p, &q, 1, &e) == -1)
		die(&e);
	if (interval > 0) {
		stop_handlers();
		r->p.dp.stop = &stop_signal;
	}
	for (;;) {
		t0 = clock_now_ms();
		/* Each run opens its own session. */
		if (submit_run_queue(&r->p, q, NULL, interval == 0, 0, &st,
		    &e) == -1) {
			if (interval == 0)
				die(&e);
			fprintf(stderr, "postern: queue run: %s\n", e.msg);
		}
		/* One line per run; a periodic run logs only when it worked. */
		queue_run_summary(&st, clock_now_ms() - t0, summary,
		    sizeof(summary));
		if (interval == 0 || st.due > 0 || st.expired > 0 ||
		    st.malformed > 0)
			log_info("%s", summary);
		if (r->opts.verbose)
			fprintf(stderr, "postern: queue run: %zu entries, %zu "
			    "sent, %zu deferred, %zu failed (%zu expired), "
			    "%zu locked\n", st.entries, st.sent, st.deferred,
			    st.failed, st.expired, st.locked);
		if (interval == 0 || stop_wait(interval))
			break;
	}
	if (stop_signal != 0)
		log_info("queue runner stopped by signal %d; every entry "
		    "left in the queue", (int)stop_signal);
	queue_close(q);
	return EX_OK;
}

/*
 * --import FILE: print a postern.ini equivalent to another drop-in's
 * configuration (import.c).  The file is read without the set-gid group,
 * so that no file only the group can read is shown.
 */
static int
mode_import(struct run *r)
{
	struct buf	out;
	struct err	e;

	if (r->opts.nrcpts > 0)
		die_usage("--import takes no recipients");
	if (proc_drop_group(&r->proc, &e) == -1)
		die(&e);
	buf_init(&out, IMPORT_OUT_MAX);
	if (import_file(r->opts.import_file, r->opts.import_account, &out,
	    &e) == -1) {
		buf_free(&out);
		die(&e);
	}
	if (fwrite(buf_str(&out), 1, out.len, stdout) != out.len ||
	    fflush(stdout) != 0) {
		err_set(&e, ERR_IO, "--import: writing standard output: %s",
		    strerror(errno));
		buf_free(&out);
		die(&e);
	}
	buf_free(&out);
	return EX_OK;
}

int
main(int argc, char **argv)
{
	struct run	r;
	struct err	e;

	memset(&r, 0, sizeof(r));
	r.start_ms = clock_now_ms();
	log_set_argv(argc, argv);
	if (proc_secure_start(&r.proc, &e) == -1)
		die(&e);
	if (cli_parse(&r.opts, argc, argv, &e) == -1)
		die(&e);
	switch (r.opts.mode) {
	case MODE_VERSION:
		printf("postern %s\n", POSTERN_VERSION);
		return EX_OK;
	case MODE_HELP:
		fputs(cli_usage(), stdout);
		return fflush(stdout) == 0 && !ferror(stdout) ? EX_OK :
		    EX_IOERR;
	case MODE_NEWALIASES:
		/* Aliases are read at each submission: nothing to rebuild. */
		return EX_OK;
	case MODE_IMPORT:
		return mode_import(&r);
	default:
		break;
	}
	if (r.opts.mode != MODE_SUBMIT && r.opts.mode != MODE_VERIFY &&
	    r.opts.mode != MODE_DELETE && r.opts.nrcpts > 0)
		die_usage("recipients are only allowed when submitting or "
		    "verifying (-bm, -bv)");
	proc_identify(&r.proc);
	if (load_config(&r, &e) == -1)
		die(&e);
	log_open(&r.cfg);
	set_params(&r);

	switch (r.opts.mode) {
	case MODE_SUBMIT:
		return mode_submit(&r);
	case MODE_VERIFY:
		return mode_verify(&r);
	case MODE_SERVE:
		return mode_serve(&r);
	case MODE_LIST:
		return mode_list(&r);
	case MODE_QUEUE_RUN:
		return mode_queue(&r);
	case MODE_DELETE:
		return mode_delete(&r);
	default:
		break;
	}
	err_set(&e, ERR_SOFTWARE, "internal: unknown mode");
	die(&e);
}
