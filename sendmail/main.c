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
#include <sys/types.h>

#include <errno.h>
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

static void __attribute__((noreturn))
die(const struct err *e)
{
	fprintf(stderr, "postern: %s\n", e->msg);
	exit(exit_code(e->cls));
}

static void __attribute__((noreturn))
die_usage(const char *why)
{
	fprintf(stderr, "postern: %s\n", why);
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
	return config_load(&r->cfg, path, r->proc.privileged, e);
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
	int			 rc;

	load_dkim(r);
	if (submit_serve_new(&c, &r->p, &h, &e) == -1)
		die(&e);
	memset(&sp, 0, sizeof(sp));
	sp.hostname = r->proc.hostname;
	sp.tmpdir = "/tmp";
	rc = serve_run(STDIN_FILENO, STDOUT_FILENO, &sp, &h, &e);
	submit_serve_free(c);
	/* Nothing on stderr: the client reads replies, not our messages. */
	if (rc == -1)
		log_warn("-bs: %s", e.msg);
	return rc == 0 ? EX_OK : exit_code(e.cls);
}

/* mailq, -bp */
static int
mode_list(struct run *r)
{
	struct queue	*q;
	struct err	 e;

	if (submit_open_queue(&r->p, &q, 0, &e) == -1 ||
	    queue_list(q, stdout, time(NULL), &e) == -1)
		die(&e);
	queue_close(q);
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
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
	struct queue		*q;
	struct err		 e;
	long			 interval = r->opts.queue_interval;

	if (submit_open_queue(&r->p, &q, 1, &e) == -1)
		die(&e);
	for (;;) {
		/* Each run opens its own session. */
		if (submit_run_queue(&r->p, q, NULL, interval == 0, 0, &st,
		    &e) == -1) {
			if (interval == 0)
				die(&e);
			fprintf(stderr, "postern: queue run: %s\n", e.msg);
		}
		if (r->opts.verbose)
			fprintf(stderr, "postern: queue run: %zu entries, %zu "
			    "sent, %zu deferred, %zu failed (%zu expired), "
			    "%zu locked\n", st.entries, st.sent, st.deferred,
			    st.failed, st.expired, st.locked);
		if (interval == 0)
			break;
		sleep((unsigned)interval);
	}
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
	if (proc_secure_start(&r.proc, &e) == -1)
		die(&e);
	if (cli_parse(&r.opts, argc, argv, &e) == -1)
		die(&e);
	switch (r.opts.mode) {
	case MODE_VERSION:
		printf("postern %s\n", POSTERN_VERSION);
		return EX_OK;
	case MODE_NEWALIASES:
		/* Aliases are read at each submission: nothing to rebuild. */
		return EX_OK;
	case MODE_IMPORT:
		return mode_import(&r);
	default:
		break;
	}
	if (r.opts.mode != MODE_SUBMIT && r.opts.mode != MODE_VERIFY &&
	    r.opts.nrcpts > 0)
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
	default:
		break;
	}
	err_set(&e, ERR_SOFTWARE, "internal: unknown mode");
	die(&e);
}
