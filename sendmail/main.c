/*
 * main.c -- postern: sendmail-compatible mail submission agent.
 *
 * The only file that exits.  It makes the process safe (proc.c), parses
 * the command line (cli.c), reads the configuration (config.c), turns it
 * into each module's parameters (params.c) and runs the mode: submit.c,
 * verify.c, serve.c with submit.c's handlers, queue_list.c, run.c.
 * Module errors are mapped to sysexits here and nowhere else; a failure
 * nobody planned for maps to 75 (EX_TEMPFAIL).
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
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
#include "run.h"
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
	/* Here, not in config.c: 811 builds this file with its own SYSCONFDIR. */
	return config_read(&r->cfg, path != NULL ? path : CONFIG_DEFAULT_PATH,
	    r->proc.privileged, e);
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

	if (submit_read(&s, &r->p, &r->opts, STDIN_FILENO, &e) == -1)
		die(&e);
	if (submit_how(s) != SUBMIT_NOW) {
		if (submit_commit(s, &e) == -1)
			die(&e);
		/* -odb: the child inherits the entry's lock and sends it. */
		fflush(NULL);
		pid = submit_how(s) == SUBMIT_BACKGROUND ? fork() : -1;
		if (pid == 0) {
			proc_detach();
			submit_background(s);
		}
		submit_free(s);	/* a parent's close leaves the child's lock */
		if (pid != -1)
			_exit(EX_OK);
		return EX_OK;	/* -odq, or no fork: a queue run sends it */
	}
	e.cls = submit_now(s, line, sizeof(line));
	if (line[0] != '\0')
		fprintf(stderr, "postern: %s\n", line);
	submit_free(s);
	if (line[0] != '\0')
		refused(exit_code(e.cls), line);
	return exit_code(e.cls);
}

/* mailq, -bp */
static int
mode_list(struct run *r)
{
	struct queue	*q;
	struct err	 e;

	if (submit_open_queue(&r->p, &q, 0, &e) == -1 ||
	    queue_list(q, stdout, r->opts.json ? QUEUE_LIST_JSON :
	    QUEUE_LIST_MAILQ, &r->p.qp, &e) == -1)
		die(&e);
	queue_close(q);
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}

/* --delete ID...|ALL */
static int
mode_delete(struct run *r)
{
	struct queue	*q;
	struct err	 e;
	int		 rc;

	if (submit_open_queue(&r->p, &q, 0, &e) == -1)
		die(&e);
	rc = queue_delete_cmd(q, r->opts.rcpts, r->opts.nrcpts,
	    queue_delete_owner(q, r->proc.privileged), stderr, &e);
	queue_close(q);
	return rc == 0 ? EX_OK : exit_code(e.cls);
}

/*
 * --import FILE: print a postern.ini equivalent to another drop-in's
 * configuration (import.c).  The file is read without the set-gid group,
 * so that no file only the group can read is shown.
 */
static int
mode_import(struct run *r)
{
	struct err	e;

	if (r->opts.nrcpts > 0)
		die_usage("--import takes no recipients");
	if (proc_drop_group(&r->proc, &e) == -1 ||
	    import_print(r->opts.import_file, r->opts.import_account, stdout,
	    &e) == -1)
		die(&e);
	return EX_OK;
}

/* The mode, once the configuration and every parameter are ready. */
static int
run_mode(struct run *r)
{
	struct serve_params	sp;
	struct err		e;
	int			rc;

	switch (r->opts.mode) {
	case MODE_SUBMIT:
		return mode_submit(r);
	case MODE_VERIFY:
		if (verify_run(&r->p, &r->opts, stdout, &e) == -1)
			die(&e);
		return EX_OK;
	case MODE_SERVE:	/* -bs: one SMTP session on stdin/stdout */
		params_serve(&r->cfg, r->proc.hostname, &sp);
		rc = submit_serve(&r->p, &sp, STDIN_FILENO, STDOUT_FILENO, &e);
		if (rc == -1)
			die(&e);
		return rc == 0 ? EX_OK : exit_code(e.cls);
	case MODE_LIST:
		return mode_list(r);
	case MODE_QUEUE_RUN:	/* -q, -qINTERVAL */
		if (run_queue(&r->p, &r->opts, stderr, &e) == -1)
			die(&e);
		return EX_OK;
	case MODE_DELETE:
		return mode_delete(r);
	default:
		break;
	}
	err_set(&e, ERR_SOFTWARE, "internal: unknown mode");
	die(&e);
}

int
main(int argc, char **argv)
{
	struct run		r;
	struct log_params	lp;
	struct err		e;
	int			rc;

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
	params_log(&r.cfg, &lp);
	log_open(&lp);
	params_run(&r.cfg, &r.opts, &r.proc, r.start_ms, &r.ps, &r.p);
	if (r.opts.mode == MODE_VERIFY && r.opts.nrcpts == 0)
		die_usage("-bv needs at least one recipient");
	/* Before anything is read or sent: a bad key is 78 (dkim.h). */
	if ((r.opts.mode == MODE_SUBMIT || r.opts.mode == MODE_VERIFY ||
	    r.opts.mode == MODE_SERVE || r.opts.mode == MODE_QUEUE_RUN) &&
	    params_signer(&r.cfg, r.proc.privileged, &r.p, &e) == -1)
		die(&e);
	rc = run_mode(&r);
	dkim_free(r.p.dkim);	/* the signer and its key */
	return rc;
}
