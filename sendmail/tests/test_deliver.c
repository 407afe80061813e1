/*
 * test_deliver.c -- the delivery rules: the fate of a recipient the
 * smarthost never answered (envelope_fate, one table per error class),
 * when a message may be sent again on a new connection
 * (deliver_may_retry), and deliver_spooled() over a session that cannot
 * be opened, with and without a queue.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "deliver.h"
#include "envelope.h"
#include "fixture.h"
#include "io.h"
#include "params.h"
#include "queue.h"

/* Every class, and what a recipient left unanswered becomes. */
static const struct {
	enum err_class	cls;
	enum rcpt_state	fate;
} fates[] = {
	{ ERR_OK,		RCPT_DEFERRED },
	{ ERR_USAGE,		RCPT_DEFERRED },	/* main.c said FAILED */
	{ ERR_DATA,		RCPT_FAILED },
	{ ERR_NOUSER,		RCPT_FAILED },
	{ ERR_UNAVAILABLE,	RCPT_FAILED },
	{ ERR_CANTCREAT,	RCPT_DEFERRED },	/* main.c said FAILED */
	{ ERR_IO,		RCPT_DEFERRED },
	{ ERR_TEMP,		RCPT_DEFERRED },
	{ ERR_NOPERM,		RCPT_DEFERRED },
	{ ERR_CONFIG,		RCPT_DEFERRED },
	{ ERR_SOFTWARE,		RCPT_DEFERRED },
};

static void
test_fate(void **state)
{
	size_t	i;

	(void)state;
	assert_int_equal(sizeof(fates) / sizeof(fates[0]), ERR_SOFTWARE + 1);
	for (i = 0; i < sizeof(fates) / sizeof(fates[0]); i++)
		assert_int_equal(envelope_fate(fates[i].cls), fates[i].fate);
}

/* envelope_settle() touches only PENDING recipients. */
static void
test_settle(void **state)
{
	struct envelope	env;
	struct err	e;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(fates) / sizeof(fates[0]); i++) {
		envelope_init(&env);
		assert_int_equal(envelope_add_rcpt(&env, "a@x", &e), 0);
		assert_int_equal(envelope_add_rcpt(&env, "b@x", &e), 0);
		assert_int_equal(envelope_add_rcpt(&env, "c@x", &e), 0);
		env.rcpts[1].state = RCPT_SENT;
		env.rcpts[2].state = RCPT_FAILED;
		err_set(&e, fates[i].cls, "why %zu", i);
		envelope_settle(&env, &e);
		assert_int_equal(env.rcpts[0].state, fates[i].fate);
		assert_string_equal(env.rcpts[0].reply, e.msg);
		assert_int_equal(env.rcpts[1].state, RCPT_SENT);
		assert_null(env.rcpts[1].reply);
		assert_int_equal(env.rcpts[2].state, RCPT_FAILED);
		envelope_free(&env);
	}
}

#define P	RCPT_PENDING
#define S	RCPT_SENT
#define D	RCPT_DEFERRED
#define F	RCPT_FAILED

#define CHK	SMTP_STEP_CHECK
#define ENV	SMTP_STEP_ENVELOPE
#define BOD	SMTP_STEP_BODY
#define DOT	SMTP_STEP_DOT

struct retry_case {
	const char	*name;
	int		 reused, usable;
	enum smtp_step	 step;		/* where smtp_send() stopped */
	size_t		 n;
	enum rcpt_state	 was[3];	/* before the attempt */
	enum rcpt_state	 now[3];	/* after it */
	int		 retry;
};

static const struct retry_case retry_cases[] = {
	{ "dead at MAIL, reused", 1, 0, ENV, 2, { P, P }, { D, D }, 1 },
	{ "dead at MAIL, fresh session", 0, 0, ENV, 2, { P, P }, { D, D }, 0 },
	{ "failed but still usable", 1, 1, ENV, 2, { P, P }, { D, D }, 0 },
	{ "queue entry: deferred before", 1, 0, ENV, 2, { D, D }, { D, D },
	    1 },
	{ "sent before is not tried", 1, 0, ENV, 3, { S, D, F }, { S, D, F },
	    1 },
	{ "refused before MAIL", 1, 0, CHK, 2, { P, P }, { P, P }, 1 },
	/* The final reply was lost: the server may have the message. */
	{ "lost final reply", 1, 0, DOT, 2, { P, P }, { D, D }, 0 },
	{ "lost in the body", 1, 0, BOD, 2, { P, P }, { D, D }, 0 },
	{ "a 5xx at RCPT, then dead", 1, 0, ENV, 2, { P, P }, { F, D }, 0 },
	{ "a 4xx at RCPT, then dead", 1, 0, ENV, 2, { P, P }, { D, D }, 1 },
	{ "taken, then dead", 1, 0, ENV, 2, { P, P }, { S, D }, 0 },
};

static void
test_may_retry(void **state)
{
	struct envelope	env;
	struct err	e;
	size_t		i, j;
	char		a[32];

	(void)state;
	for (i = 0; i < sizeof(retry_cases) / sizeof(retry_cases[0]); i++) {
		const struct retry_case *c = &retry_cases[i];

		envelope_init(&env);
		for (j = 0; j < c->n; j++) {
			snprintf(a, sizeof(a), "r%zu@x", j);
			assert_int_equal(envelope_add_rcpt(&env, a, &e), 0);
			env.rcpts[j].state = c->now[j];
		}
		if (deliver_may_retry(c->reused, c->usable, c->step, &env,
		    c->was) != c->retry)
			fail_msg("%s: retry should be %d", c->name, c->retry);
		envelope_free(&env);
	}
}

/* A session that cannot be opened, with the class it fails with. */
struct opener {
	enum err_class	cls;
	int		rc;
	int		calls;
};

static int
open_fails(void *arg, struct smtp_session **sp, struct err *e)
{
	struct opener	*o = arg;

	o->calls++;
	*sp = NULL;
	err_set(e, o->cls, "smarthost said: %s", o->cls == ERR_UNAVAILABLE ?
	    "554 5.7.1 go away" : "421 4.3.2 busy");
	return o->rc;
}

static void
one_rcpt(struct envelope *env, const char *rcpt)
{
	struct err	e;

	envelope_init(env);
	assert_int_equal(envelope_set_sender(env, "me@x", &e), 0);
	assert_int_equal(envelope_add_rcpt(env, rcpt, &e), 0);
}

/* A stop flag (-qINTERVAL told to stop) makes the runner's more() say no. */
static void
test_stop(void **state)
{
	volatile sig_atomic_t	 stop = 0;
	struct opener		 o = { ERR_TEMP, -2, 0 };
	struct deliver_params	 p = { open_fails, &o, NULL, 0, &stop };
	struct queue_deliverer	 qd;
	struct deliver		*d;
	struct err		 e;

	(void)state;
	assert_int_equal(deliver_new(&d, &p, &e), 0);
	deliver_queue_deliverer(d, &qd);
	assert_true(qd.more(qd.arg));
	stop = 15;
	assert_false(qd.more(qd.arg));
	assert_int_equal(o.calls, 0);
	deliver_free(d);
}

/* Opening fails once per message, not once per try. */
static void
test_unreachable(void **state)
{
	struct opener		 o = { ERR_TEMP, -2, 0 };
	struct deliver_params	 p = { open_fails, &o, NULL, 0, NULL };
	struct deliver		*d;
	struct envelope		 env;
	struct err		 e;

	(void)state;
	assert_int_equal(deliver_new(&d, &p, &e), 0);
	assert_true(deliver_reachable(d));
	one_rcpt(&env, "a@x");
	env.rcpts[0].state = RCPT_DEFERRED;
	assert_int_equal(deliver_send(d, &env, -1, 0, &e), -1);
	assert_int_equal(e.cls, ERR_TEMP);
	assert_int_equal(o.calls, 1);
	assert_false(deliver_reachable(d));
	assert_false(deliver_usable(d));
	assert_null(deliver_info(d));
	/* Deferred before, unanswered: still deferred (not PENDING). */
	assert_int_equal(env.rcpts[0].state, RCPT_DEFERRED);
	/* The next try fails at once with the same error. */
	err_clear(&e);
	assert_int_equal(deliver_send(d, &env, -1, 0, &e), -1);
	assert_int_equal(o.calls, 1);
	assert_non_null(strstr(e.msg, "busy"));
	deliver_reset(d);
	assert_int_equal(deliver_send(d, &env, -1, 0, &e), -1);
	assert_int_equal(o.calls, 2);
	envelope_free(&env);
	deliver_free(d);
}

struct spooled_case {
	const char	*name;
	enum err_class	 open_cls;
	int		 use_queue, queue_enabled;
	enum err_class	 cls;		/* the outcome */
	int		 queued;
	int		 in_q, in_failed;	/* files left */
};

static const struct spooled_case spooled_cases[] = {
	{ "no queue, temporary", ERR_TEMP, 0, 0, ERR_TEMP, 0, 0, 0 },
	{ "no queue, config", ERR_CONFIG, 0, 0, ERR_CONFIG, 0, 0, 0 },
	{ "no queue, refused", ERR_UNAVAILABLE, 0, 0, ERR_UNAVAILABLE, 0, 0,
	    0 },
	{ "queue unusable", ERR_TEMP, 0, 1, ERR_CANTCREAT, 0, 0, 0 },
	{ "queued", ERR_TEMP, 1, 1, ERR_OK, 1, 2, 0 },
	{ "refused, spooled", ERR_UNAVAILABLE, 1, 1, ERR_UNAVAILABLE, 0, 0,
	    2 },
};

static void
test_spooled(void **state)
{
	struct deliver_outcome	 out;
	struct queue_params	 qp;
	struct deliver_msg	 m;
	struct envelope		 env;
	struct deliver		*d;
	struct queue		*q = NULL;
	struct queue_spool	*sp = NULL;
	struct err		 e, qerr;
	char			 dir[64];
	size_t			 i;

	(void)state;
	queue_params_init(&qp);
	for (i = 0; i < sizeof(spooled_cases) / sizeof(spooled_cases[0]);
	    i++) {
		const struct spooled_case *c = &spooled_cases[i];
		struct opener		 o = { c->open_cls, -2, 0 };
		struct deliver_params	 p = { open_fails, &o, NULL, 0, NULL };

		fx_mkdtemp(dir, sizeof(dir), "test_deliver");
		err_set(&qerr, ERR_CANTCREAT, "queue: cannot create");
		memset(&m, 0, sizeof(m));
		if (c->use_queue) {
			assert_int_equal(queue_open(&q, dir, 1, &e), 0);
			assert_int_equal(queue_spool_begin(q, &sp, &e), 0);
			m.fd = queue_spool_fd(sp);
		} else
			m.fd = io_scratch_open(dir, &e);
		assert_true(m.fd >= 0);
		assert_int_equal(write(m.fd, "Subject: x\r\n\r\nhi\r\n", 18),
		    18);
		one_rcpt(&env, "a@x");
		m.q = q;
		m.sp = sp;
		m.qerr = &qerr;
		m.queue_enabled = c->queue_enabled;
		m.qp = &qp;
		m.env = &env;
		m.size = 18;
		assert_int_equal(deliver_new(&d, &p, &e), 0);
		deliver_spooled(d, &m, &out);
		if (out.cls != c->cls || out.queued != c->queued)
			fail_msg("%s: class %d queued %d", c->name, out.cls,
			    out.queued);
		assert_int_equal(out.delivered, 0);
		assert_int_equal(env.rcpts[0].state,
		    envelope_fate(c->open_cls));
		if (c->use_queue) {
			assert_string_not_equal(out.id, "");
			assert_int_equal(fx_count(dir, "q", ""), c->in_q);
			assert_int_equal(fx_count(dir, "failed", ""),
			    c->in_failed);
			assert_int_equal(fx_count(dir, "tmp", ""), 0);
			queue_close(q);
			q = NULL;
			sp = NULL;
		} else {
			assert_string_equal(out.id, "");
			close(m.fd);
		}
		deliver_free(d);
		envelope_free(&env);
		fx_rmtree(dir);
	}
}


/*
 * A peer on loopback for the retry rule at work: it serves connections
 * one after another, each by its script, and exits with the number of
 * connections it accepted (a second connection within 2 s after the
 * scripts ran out counts too: that is a resend).
 */
struct pstep {
	const char	*expect;	/* line prefix; "BODY": up to "." */
	const char	*reply;		/* NULL: none; "CLOSE": hang up */
};

static int
peer_line(FILE *in, char *line, size_t len)
{
	if (fgets(line, (int)len, in) == NULL)
		return -1;
	line[strcspn(line, "\r\n")] = '\0';
	return 0;
}

/* One connection by its script: 0 when it went as scripted, else 1. */
static int
peer_serve(int fd, const struct pstep *st)
{
	FILE	*in = fdopen(fd, "r"), *out = fdopen(dup(fd), "w");
	char	 line[2048];
	int	 bad = 0;

	fputs("220 peer ESMTP\r\n", out);
	fflush(out);
	for (; st->expect != NULL && !bad; st++) {
		if (strcmp(st->expect, "BODY") == 0) {
			while ((bad = peer_line(in, line, sizeof(line))) == 0 &&
			    strcmp(line, ".") != 0)
				;
		} else if (peer_line(in, line, sizeof(line)) == -1 ||
		    strncmp(line, st->expect, strlen(st->expect)) != 0)
			bad = 1;
		if (st->reply != NULL && strcmp(st->reply, "CLOSE") == 0)
			break;
		if (st->reply != NULL) {
			fputs(st->reply, out);
			fflush(out);
		}
	}
	fclose(in);
	fclose(out);
	return bad;
}

static void __attribute__((noreturn))
peer_run(int lfd, const struct pstep *const *conns)
{
	struct pollfd	pfd = { lfd, POLLIN, 0 };
	int		fd, n = 0;

	alarm(30);	/* never outlive a failed test */
	for (; *conns != NULL; conns++) {
		if (poll(&pfd, 1, 10000) != 1 ||
		    (fd = accept(lfd, NULL, NULL)) == -1)
			_exit(100);
		n++;
		if (peer_serve(fd, *conns) != 0)
			_exit(100 + n);
	}
	if (poll(&pfd, 1, 2000) == 1 && (fd = accept(lfd, NULL, NULL)) != -1)
		n++;
	_exit(n);
}

/* Listen on POSTERN_TEST_PORT_BASE + 50 + k (any port when unset). */
static pid_t
peer_start(const struct pstep *const *conns, unsigned k, unsigned *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	const char		*base = getenv("POSTERN_TEST_PORT_BASE");
	pid_t			 pid;
	int			 lfd, one = 1;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(base != NULL ? (uint16_t)(strtoul(base, NULL,
	    10) + 50 + k) : 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	getsockname(lfd, (struct sockaddr *)&sin, &len);
	*port = ntohs(sin.sin_port);
	if ((pid = fork()) == 0)
		peer_run(lfd, conns);
	close(lfd);
	return pid;
}

static int
peer_wait(pid_t pid)
{
	int	st;

	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
open_plain(void *arg, struct smtp_session **sp, struct err *e)
{
	struct smtp_params	p;

	smtp_params_from_config(&p, arg, 0);
	return smtp_connect(sp, &p, NULL, e) == 0 ? 0 : -2;
}

#define EHLO	{ "EHLO", "250-peer\r\n250 8BITMIME\r\n" }
#define MAIL	{ "MAIL FROM:<me@x>", "250 ok\r\n" }
#define RCPT	{ "RCPT TO:<a@x>", "250 ok\r\n" }
#define DATA	{ "DATA", "354 go\r\n" }
#define BODY	{ "BODY", "250 2.0.0 taken\r\n" }

/* Message 1 sent, then the server drops the idle connection. */
static const struct pstep idle_first[] = {
	EHLO, MAIL, RCPT, DATA, BODY, { "MAIL", "CLOSE" }, { NULL, NULL }
};
/* The resend on a new connection. */
static const struct pstep idle_second[] = {
	EHLO, MAIL, RCPT, DATA, BODY, { "QUIT", "221 bye\r\n" },
	{ NULL, NULL }
};
static const struct pstep *const idle[] = { idle_first, idle_second, NULL };

/* Message 2's final reply is lost: the server may have taken it. */
static const struct pstep lost_first[] = {
	EHLO, MAIL, RCPT, DATA, BODY, MAIL, RCPT, DATA,
	{ "BODY", "CLOSE" }, { NULL, NULL }
};
static const struct pstep *const lost[] = { lost_first, NULL };

struct session_case {
	const char		*name;
	const struct pstep *const *conns;
	int			 rc2;		/* deliver_send(), message 2 */
	enum rcpt_state		 state2;
	int			 connections;	/* the peer accepted */
};

static const struct session_case session_cases[] = {
	{ "idle drop: resent on a new connection", idle, 0, RCPT_SENT, 2 },
	{ "lost final reply: not resent", lost, -1, RCPT_DEFERRED, 1 },
};

static void
test_retry_session(void **state)
{
	const char		*msg = "Subject: x\r\n\r\nhi\r\n";
	struct deliver_params	 p;
	struct deliver		*d;
	struct envelope		 env;
	struct config		 c;
	struct err		 e;
	static char		 host[] = "127.0.0.1";
	unsigned		 port;
	size_t			 i;
	pid_t			 pid;
	int			 fd;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(session_cases) / sizeof(session_cases[0]);
	    i++) {
		const struct session_case *sc = &session_cases[i];

		pid = peer_start(sc->conns, (unsigned)i, &port);
		memset(&c, 0, sizeof(c));
		c.hosts[0] = host;
		c.nhosts = 1;
		c.port = port;
		c.tls = CONFIG_TLS_NONE;
		c.timeout = 5;
		c.helo = host;
		memset(&p, 0, sizeof(p));
		p.open = open_plain;
		p.open_arg = &c;
		assert_int_equal(deliver_new(&d, &p, &e), 0);
		fd = io_scratch_open(NULL, &e);
		assert_int_equal(write(fd, msg, strlen(msg)),
		    (ssize_t)strlen(msg));
		one_rcpt(&env, "a@x");
		assert_int_equal(deliver_send(d, &env, fd, (off_t)strlen(msg),
		    &e), 0);
		assert_int_equal(env.rcpts[0].state, RCPT_SENT);
		envelope_free(&env);
		one_rcpt(&env, "a@x");
		if (deliver_send(d, &env, fd, (off_t)strlen(msg), &e) !=
		    sc->rc2 || env.rcpts[0].state != sc->state2)
			fail_msg("%s: message 2 state %d (%s)", sc->name,
			    env.rcpts[0].state, e.msg);
		deliver_free(d);
		envelope_free(&env);
		close(fd);
		if (peer_wait(pid) != sc->connections)
			fail_msg("%s: the peer saw a bad script or not %d "
			    "connections", sc->name, sc->connections);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fate),
		cmocka_unit_test(test_settle),
		cmocka_unit_test(test_may_retry),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_spooled),
		cmocka_unit_test(test_retry_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
