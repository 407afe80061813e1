/*
 * test_smtp.c -- SMTP reply parsing, EHLO keywords, xtext, and whole
 * transactions against a scripted peer on a loopback socket.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "smtp.h"
#include "config.h"

struct reply_case {
	const char	*name;
	const char	*lines[8];
	int		 rc;		/* of the last line fed */
	int		 code;
	const char	*text;
};

static const struct reply_case reply_cases[] = {
	{ "single", { "250 ok", NULL }, 1, 250, "ok" },
	{ "bare code", { "250", NULL }, 1, 250, "" },
	{ "multi", { "250-a", "250-b", "250 c", NULL }, 1, 250, "a\nb\nc" },
	{ "continues", { "250-a", NULL }, 0, 250, "a" },
	{ "mixed codes", { "250-a", "251 b", NULL }, -1, 0, NULL },
	{ "letter in code", { "25O ok", NULL }, -1, 0, NULL },
	{ "code 1xx", { "199 x", NULL }, -1, 0, NULL },
	{ "code 6xx", { "600 x", NULL }, -1, 0, NULL },
	{ "bad separator", { "250_ok", NULL }, -1, 0, NULL },
	{ "short", { "25", NULL }, -1, 0, NULL },
	{ "empty", { "", NULL }, -1, 0, NULL },
};

static void
test_reply_feed(void **state)
{
	const struct reply_case	*c;
	struct smtp_reply	 r;
	struct err		 e;
	size_t			 i, j;
	int			 rc = 0;

	(void)state;
	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
		c = &reply_cases[i];
		print_message("case: %s\n", c->name);
		smtp_reply_init(&r);
		for (j = 0; c->lines[j] != NULL; j++) {
			rc = smtp_reply_feed(&r, c->lines[j],
			    strlen(c->lines[j]), &e);
			if (rc == -1)
				break;
		}
		assert_int_equal(rc, c->rc);
		if (rc != -1) {
			assert_int_equal(r.code, c->code);
			assert_string_equal(buf_str(&r.text), c->text);
		}
		smtp_reply_free(&r);
	}
}

static void
test_reply_bounds(void **state)
{
	struct smtp_reply	r;
	struct err		e;
	char			line[600];
	int			i, rc = 0;

	(void)state;
	smtp_reply_init(&r);
	for (i = 0; i < 200 && rc == 0; i++)
		rc = smtp_reply_feed(&r, "250-x", 5, &e);
	assert_int_equal(rc, -1);
	assert_int_equal(i, SMTP_REPLY_LINES + 1);
	smtp_reply_free(&r);

	smtp_reply_init(&r);
	memset(line, 'a', sizeof(line));
	memcpy(line, "250 ", 4);
	assert_int_equal(smtp_reply_feed(&r, line, SMTP_REPLY_LINE_MAX, &e), 1);
	smtp_reply_reset(&r);
	assert_int_equal(smtp_reply_feed(&r, line, SMTP_REPLY_LINE_MAX + 1,
	    &e), -1);
	/* A NUL inside a line is refused, not a truncation point. */
	smtp_reply_reset(&r);
	assert_int_equal(smtp_reply_feed(&r, "250 a\0b", 7, &e), -1);
	smtp_reply_free(&r);
}

static void
test_ehlo(void **state)
{
	struct smtp_reply	r;
	struct smtp_info	info;
	struct err		e;
	const char		*lines[] = { "250-mx.example.org hello",
	    "250-PIPELINING", "250-SIZE 10240000", "250-8BITMIME",
	    "250-AUTH PLAIN LOGIN SCRAM-SHA-256", "250-dsn",
	    "250-ENHANCEDSTATUSCODES", "250-STARTTLS", "250 SMTPUTF8", NULL };
	size_t			 i;

	(void)state;
	smtp_reply_init(&r);
	for (i = 0; lines[i] != NULL; i++)
		smtp_reply_feed(&r, lines[i], strlen(lines[i]), &e);
	memset(&info, 0, sizeof(info));
	smtp_ehlo_parse(&info, &r);
	assert_true(info.ext_pipelining);
	assert_int_equal(info.ext_size, 10240000);
	assert_true(info.ext_8bitmime);
	assert_true(info.ext_dsn);
	assert_true(info.ext_starttls);
	assert_true(info.ext_smtputf8);
	assert_true(info.ext_enhancedstatuscodes);
	assert_false(info.ext_chunking);
	assert_string_equal(info.ext_auth, "PLAIN LOGIN SCRAM-SHA-256");
	/* The greeting line is not a keyword, even if it looks like one. */
	smtp_reply_reset(&r);
	smtp_reply_feed(&r, "250-STARTTLS", 12, &e);
	smtp_reply_feed(&r, "250 SIZE", 8, &e);
	smtp_ehlo_parse(&info, &r);
	assert_false(info.ext_starttls);
	assert_int_equal(info.ext_size, 0);
	smtp_reply_free(&r);
}

static void
test_xtext(void **state)
{
	struct buf	b;

	(void)state;
	buf_init(&b, 1024);
	smtp_xtext(&b, "a+b=c d\x01\xc3\xa9");
	assert_string_equal(buf_str(&b), "a+2Bb+3Dc+20d+01+C3+A9");
	buf_free(&b);
}

/* ---- scripted peer ---------------------------------------------------- */

struct step {
	const char	*expect;	/* command prefix; "BODY" = DATA body */
	const char	*reply;		/* sent after it; may hold lines */
};

static int
peer_readline(FILE *f, char *line, size_t len)
{
	if (fgets(line, (int)len, f) == NULL)
		return -1;
	line[strcspn(line, "\r\n")] = '\0';
	return 0;
}

/* Child: serve one connection by the script; exit 0 iff all matched. */
static void __attribute__((noreturn))
peer(int lfd, const struct step *steps, const char *bodyfile)
{
	FILE	*in, *out, *bf;
	char	 line[2048];
	int	 fd, i;

	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(2);
	in = fdopen(fd, "r");
	out = fdopen(dup(fd), "w");
	fputs("220 peer ESMTP\r\n", out);
	fflush(out);
	for (i = 0; steps[i].expect != NULL; i++) {
		if (strcmp(steps[i].expect, "BODY") == 0) {
			if ((bf = fopen(bodyfile, "w")) == NULL)
				_exit(3);
			while (fgets(line, sizeof(line), in) != NULL &&
			    strcmp(line, ".\r\n") != 0)
				fputs(line, bf);
			fclose(bf);
		} else {
			if (peer_readline(in, line, sizeof(line)) == -1)
				_exit(4);
			if (strncmp(line, steps[i].expect,
			    strlen(steps[i].expect)) != 0) {
				fprintf(stderr, "peer: expected '%s', got "
				    "'%s'\n", steps[i].expect, line);
				_exit(1);
			}
		}
		if (steps[i].reply != NULL) {
			fputs(steps[i].reply, out);
			fflush(out);
		}
	}
	_exit(0);
}

static pid_t
start_peer(const struct step *steps, const char *bodyfile, unsigned *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	pid_t			pid;
	int			lfd;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	getsockname(lfd, (struct sockaddr *)&sin, &len);
	*port = ntohs(sin.sin_port);
	if ((pid = fork()) == 0)
		peer(lfd, steps, bodyfile);
	close(lfd);
	return pid;
}

static void
plain_config(struct config *c, unsigned port)
{
	static char	host[] = "127.0.0.1";

	memset(c, 0, sizeof(*c));
	c->hosts[0] = host;
	c->nhosts = 1;
	c->port = port;
	c->tls = CONFIG_TLS_NONE;
	c->timeout = 5;
	c->helo = host;
}

static int
spool(const char *text)
{
	FILE	*f = tmpfile();

	fputs(text, f);
	fflush(f);
	return dup(fileno(f));
}

static int
peer_status(pid_t pid)
{
	int	st;

	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

static const struct step pipelined[] = {
	{ "EHLO 127.0.0.1", "250-peer\r\n250-PIPELINING\r\n250-SIZE 1000\r\n"
	  "250 8BITMIME\r\n" },
	{ "MAIL FROM:<s@example.org> SIZE=", NULL },
	{ "RCPT TO:<a@example.org>", NULL },
	{ "RCPT TO:<b@example.org>", NULL },
	{ "RCPT TO:<c@example.org>", NULL },
	{ "DATA", "250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n"
	  "451 4.3.0 try later\r\n354 go\r\n" },
	{ "BODY", "250 2.0.0 queued as X\r\n" },
	{ "QUIT", "221 bye\r\n" },
	{ NULL, NULL }
};

static void
test_session_pipelined(void **state)
{
	struct smtp_session	*s;
	struct envelope		 env;
	struct config		 c;
	struct err		 e;
	char			 body[256];
	const char		*msg = "Subject: x\r\n\r\n.hidden\r\n..two\r\n"
	    "end\r\n";
	unsigned		 port;
	pid_t			 pid;
	FILE			*f;
	size_t			 n;
	int			 fd;

	(void)state;
	pid = start_peer(pipelined, "/tmp/postern-test-body", &port);
	plain_config(&c, port);
	envelope_init(&env);
	assert_int_equal(envelope_set_sender(&env, "s@example.org", &e), 0);
	envelope_add_rcpt(&env, "a@example.org", &e);
	envelope_add_rcpt(&env, "b@example.org", &e);
	envelope_add_rcpt(&env, "c@example.org", &e);
	assert_int_equal(smtp_open(&s, &c, NULL, 0, &e), 0);
	fd = spool(msg);
	assert_int_equal(smtp_send(s, &env, fd, (off_t)strlen(msg), &e), -1);
	assert_int_equal(e.cls, ERR_NOUSER);
	assert_int_equal(env.rcpts[0].state, RCPT_SENT);
	assert_int_equal(env.rcpts[1].state, RCPT_FAILED);
	assert_int_equal(env.rcpts[2].state, RCPT_DEFERRED);
	assert_non_null(strstr(env.rcpts[1].reply, "550"));
	assert_true(smtp_usable(s));
	smtp_close(s);
	close(fd);
	assert_int_equal(peer_status(pid), 0);
	f = fopen("/tmp/postern-test-body", "r");
	n = fread(body, 1, sizeof(body) - 1, f);
	body[n] = '\0';
	fclose(f);
	unlink("/tmp/postern-test-body");
	assert_string_equal(body, "Subject: x\r\n\r\n..hidden\r\n...two\r\n"
	    "end\r\n");
	envelope_free(&env);
}

static const struct step helo_fallback[] = {
	{ "EHLO", "502 5.5.1 what\r\n" },
	{ "HELO 127.0.0.1", "250 ok\r\n" },
	{ "MAIL FROM:<>", "250 ok\r\n" },
	{ "RCPT TO:<a@example.org>", "250 ok\r\n" },
	{ "DATA", "354 go\r\n" },
	{ "BODY", "250 ok\r\n" },
	{ "QUIT", "221 bye\r\n" },
	{ NULL, NULL }
};

static void
test_session_helo(void **state)
{
	struct smtp_session	*s;
	struct envelope		 env;
	struct config		 c;
	struct err		 e;
	unsigned		 port;
	pid_t			 pid;
	int			 fd;

	(void)state;
	pid = start_peer(helo_fallback, "/tmp/postern-test-body2", &port);
	plain_config(&c, port);
	envelope_init(&env);
	envelope_set_sender(&env, "", &e);
	envelope_add_rcpt(&env, "a@example.org", &e);
	assert_int_equal(smtp_open(&s, &c, NULL, 0, &e), 0);
	fd = spool("x\r\n");
	assert_int_equal(smtp_send(s, &env, fd, 3, &e), 0);
	assert_int_equal(env.rcpts[0].state, RCPT_SENT);
	smtp_close(s);
	close(fd);
	unlink("/tmp/postern-test-body2");
	assert_int_equal(peer_status(pid), 0);
	envelope_free(&env);
}

static const struct step mail_451[] = {
	{ "EHLO", "250 peer\r\n" },
	{ "MAIL FROM:<s@example.org>", "451 4.7.1 greylisted\r\n" },
	{ "RSET", "250 ok\r\n" },
	{ "QUIT", "221 bye\r\n" },
	{ NULL, NULL }
};

static void
test_session_mail_tempfail(void **state)
{
	struct smtp_session	*s;
	struct envelope		 env;
	struct config		 c;
	struct err		 e;
	unsigned		 port;
	pid_t			 pid;
	int			 fd;

	(void)state;
	pid = start_peer(mail_451, NULL, &port);
	plain_config(&c, port);
	envelope_init(&env);
	envelope_set_sender(&env, "s@example.org", &e);
	envelope_add_rcpt(&env, "a@example.org", &e);
	assert_int_equal(smtp_open(&s, &c, NULL, 0, &e), 0);
	fd = spool("x\r\n");
	assert_int_equal(smtp_send(s, &env, fd, 3, &e), -1);
	assert_int_equal(e.cls, ERR_TEMP);
	assert_int_equal(env.rcpts[0].state, RCPT_DEFERRED);
	assert_non_null(strstr(e.msg, "greylisted"));
	smtp_close(s);
	close(fd);
	assert_int_equal(peer_status(pid), 0);
	envelope_free(&env);
}

/* 421 to a pipelined MAIL, then the server hangs up (smtp-sink -Q MAIL). */
static const struct step mail_421[] = {
	{ "EHLO", "250-peer\r\n250 PIPELINING\r\n" },
	{ "MAIL FROM:<s@example.org>", NULL },
	{ "RCPT TO:<a@example.org>", NULL },
	{ "DATA", "421 4.3.2 shutting down\r\n" },
	{ NULL, NULL }
};

static void
test_session_mail_421_pipelined(void **state)
{
	struct smtp_session	*s;
	struct envelope		 env;
	struct config		 c;
	struct err		 e;
	unsigned		 port;
	pid_t			 pid;
	int			 fd;

	(void)state;
	pid = start_peer(mail_421, NULL, &port);
	plain_config(&c, port);
	envelope_init(&env);
	envelope_set_sender(&env, "s@example.org", &e);
	envelope_add_rcpt(&env, "a@example.org", &e);
	assert_int_equal(smtp_open(&s, &c, NULL, 0, &e), 0);
	fd = spool("x\r\n");
	assert_int_equal(smtp_send(s, &env, fd, 3, &e), -1);
	assert_int_equal(e.cls, ERR_TEMP);
	/* The reason is the 421, not the lost connection after it. */
	assert_non_null(strstr(e.msg, "421 4.3.2 shutting down"));
	assert_int_equal(env.rcpts[0].state, RCPT_DEFERRED);
	assert_non_null(strstr(env.rcpts[0].reply, "421 4.3.2"));
	assert_false(smtp_usable(s));
	smtp_close(s);
	close(fd);
	assert_int_equal(peer_status(pid), 0);
	envelope_free(&env);
}

/* AUTH LOGIN: the -v transcript shows the command, never the payloads. */
static const struct step auth_login[] = {
	{ "EHLO", "250-peer\r\n250 AUTH LOGIN\r\n" },
	{ "AUTH LOGIN", "334 VXNlcm5hbWU6\r\n" },
	{ "dXNlcg==", "334 UGFzc3dvcmQ6\r\n" },		/* "user" */
	{ "czNjcmV0LXB3", "235 2.7.0 ok\r\n" },	/* "s3cret-pw" */
	{ "QUIT", "221 bye\r\n" },
	{ NULL, NULL }
};

static void
test_session_auth_login_trace(void **state)
{
	struct smtp_session	*s;
	struct config		 c;
	struct err		 e;
	static char		 user[] = "user";
	char			 trace[4096];
	unsigned		 port;
	pid_t			 pid;
	FILE			*f = tmpfile();
	size_t			 n;
	int			 saved;

	(void)state;
	pid = start_peer(auth_login, NULL, &port);
	plain_config(&c, port);
	c.user = user;
	c.auth_mechs = AUTH_MECH_LOGIN;
	saved = dup(STDERR_FILENO);
	dup2(fileno(f), STDERR_FILENO);
	assert_int_equal(smtp_open(&s, &c, "s3cret-pw", 1, &e), 0);
	smtp_close(s);
	dup2(saved, STDERR_FILENO);
	close(saved);
	log_set_trace(0);
	assert_int_equal(peer_status(pid), 0);
	rewind(f);
	n = fread(trace, 1, sizeof(trace) - 1, f);
	trace[n] = '\0';
	fclose(f);
	assert_non_null(strstr(trace, "> AUTH LOGIN\n"));
	assert_null(strstr(trace, "dXNlcg=="));
	assert_null(strstr(trace, "czNjcmV0LXB3"));
	assert_null(strstr(trace, "s3cret"));
	assert_non_null(strstr(trace, "> ***\n"));
}

static const struct step no_starttls[] = {
	{ "EHLO", "250-peer\r\n250 AUTH PLAIN\r\n" },
	{ NULL, NULL }
};

static void
test_session_no_starttls(void **state)
{
	struct smtp_session	*s;
	struct config		 c;
	struct err		 e;
	unsigned		 port;
	pid_t			 pid;

	(void)state;
	/* STARTTLS stripped: no AUTH, no MAIL, a temporary failure. */
	pid = start_peer(no_starttls, NULL, &port);
	plain_config(&c, port);
	c.tls = CONFIG_TLS_STARTTLS;	/* peer offers no STARTTLS */
	assert_int_equal(smtp_open(&s, &c, NULL, 0, &e), -1);
	assert_int_equal(e.cls, ERR_TEMP);
	assert_non_null(strstr(e.msg, "STARTTLS"));
	assert_int_equal(peer_status(pid), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_feed),
		cmocka_unit_test(test_reply_bounds),
		cmocka_unit_test(test_ehlo),
		cmocka_unit_test(test_xtext),
		cmocka_unit_test(test_session_pipelined),
		cmocka_unit_test(test_session_helo),
		cmocka_unit_test(test_session_mail_tempfail),
		cmocka_unit_test(test_session_mail_421_pipelined),
		cmocka_unit_test(test_session_auth_login_trace),
		cmocka_unit_test(test_session_no_starttls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
