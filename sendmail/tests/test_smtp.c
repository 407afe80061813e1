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
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "smtp.h"
#include "clock.h"
#include "config.h"	/* AUTH_MECH_* */

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

/*
 * The peer sends replies[0] (the greeting), then for each further reply
 * reads one unit -- a line, or after a reply containing a 354 line, a DATA
 * payload through CRLF.CRLF -- and sends the reply (NOREPLY: nothing now,
 * for pipelined commands; CLOSE: shut down its side).  After the script it
 * reads to EOF.  Every octet the client sent is written to `sent`, which
 * the case compares whole: an extra RSET, a wrong SIZE= or a missing
 * BODY=8BITMIME changes it.
 */
#define CLOSE	"<close>"
#define NOREPLY	""	/* a pipelined command: no reply yet */
#define GREET	"220 peer ESMTP\r\n"
#define HOST	"127.0.0.1"

struct session_case {
	const char	*name;
	enum smtp_tls_mode tls;
	const char	*user;		/* AUTH LOGIN as user / "pw" */
	unsigned	 timeout, final_timeout;	/* 0: defaults */
	const char	*sender;
	const char	*rcpts[4];
	const char	*msg;		/* the spooled message */
	enum body_type	 body;		/* as -B or the reader set it */
	const char	*replies[16];
	int		 slow_step;	/* reply k written line by line, */
	unsigned	 slow_ms;	/* slow_ms before each line; -1: every
					   reply, slow_ms before it */
	const char	*sent;		/* every octet the client sent */
	int		 open_rc;
	enum err_class	 open_cls;
	int		 send_rc;
	enum err_class	 send_cls;
	const char	*states;	/* per recipient: P S D F */
	const char	*why;		/* substring of e.msg; NULL: any */
	enum smtp_step	 step;
	int		 usable;	/* after smtp_send */
	long long	 max_ms;	/* whole case; 0: no limit */
	unsigned	 open_timeout;	/* 0: the default */
};

/* Octets per BDAT chunk for the next case (0: the default). */
static size_t	bdat_chunk;

/* A path of our own, so that parallel runs do not share a file. */
static void
sent_path(char *p, size_t len)
{
	snprintf(p, len, "/tmp/postern-test-sent.%ld", (long)getpid());
}

static int
has_354(const char *r)
{
	return strncmp(r, "354", 3) == 0 || strstr(r, "\n354") != NULL;
}

/* "BDAT n ...": copy exactly n octets after the line (RFC 3030). */
static int
peer_chunk(FILE *in, const char *line, FILE *out)
{
	unsigned long	n;
	int		c;

	if (strncmp(line, "BDAT ", 5) != 0)
		return 0;
	for (n = strtoul(line + 5, NULL, 10); n > 0; n--) {
		if ((c = getc(in)) == EOF)
			return -1;
		putc(c, out);
	}
	return 0;
}

/* Read one unit into out (appended); 0, or -1 at EOF. */
static int
peer_unit(FILE *in, int body, FILE *out)
{
	char	line[4096];

	while (fgets(line, sizeof(line), in) != NULL) {
		fputs(line, out);
		if (!body)
			return peer_chunk(in, line, out);
		if (strcmp(line, ".\r\n") == 0)
			return 0;
	}
	return -1;
}

static void
peer_reply(FILE *out, const char *r, unsigned slow_ms, int whole)
{
	const char	*p, *nl;

	if (whole && slow_ms > 0)
		usleep(slow_ms * 1000);
	if (whole || slow_ms == 0) {
		fputs(r, out);
		fflush(out);
		return;
	}
	for (p = r; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p) - 1;
		usleep(slow_ms * 1000);
		fwrite(p, 1, (size_t)(nl - p) + 1, out);
		fflush(out);
	}
}

/* Child: play the script on one connection, record what arrived. */
static void __attribute__((noreturn))
peer(int lfd, const struct session_case *c, const char *sentpath)
{
	FILE	*in, *out, *rec;
	char	 buf[4096];
	size_t	 n;
	int	 fd, k, body = 0;

	signal(SIGPIPE, SIG_IGN);	/* the client may hang up first */
	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(2);
	in = fdopen(fd, "r");
	out = fdopen(dup(fd), "w");
	if ((rec = fopen(sentpath, "w")) == NULL)
		_exit(3);
	for (k = 0; k < 16 && c->replies[k] != NULL; k++) {
		if (strcmp(c->replies[k], CLOSE) == 0) {
			fflush(out);
			shutdown(fd, SHUT_WR);
			break;
		}
		if (k > 0 && peer_unit(in, body, rec) == -1)
			break;
		peer_reply(out, c->replies[k], k == c->slow_step ||
		    c->slow_step == -1 ? c->slow_ms : 0, c->slow_step == -1);
		body = has_354(c->replies[k]);
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, rec);
	fclose(rec);
	_exit(0);
}

static pid_t
start_peer(const struct session_case *c, const char *sentpath,
    unsigned *port)
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
		peer(lfd, c, sentpath);
	close(lfd);
	return pid;
}

static void
params_for(struct smtp_params *p, const struct session_case *c,
    unsigned *port)
{
	static char	 host[] = HOST;
	static char	*hosts[] = { host };

	memset(p, 0, sizeof(*p));
	p->hosts = hosts;
	p->nhosts = 1;
	p->port = *port;
	p->tls = c->tls;
	p->timeout = c->timeout ? c->timeout : 5;
	p->final_timeout = c->final_timeout;
	p->open_timeout = c->open_timeout;
	p->helo = host;
	p->user = c->user;
	p->auth_mechs = c->user ? AUTH_MECH_LOGIN : 0;
	p->bdat_chunk = bdat_chunk;
}

static int
spool(const char *text)
{
	FILE	*f = tmpfile();
	int	 fd;

	fputs(text, f);
	fflush(f);
	fd = dup(fileno(f));
	fclose(f);
	return fd;
}

static int
peer_status(pid_t pid)
{
	int	st;

	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

static char
state_letter(enum rcpt_state st)
{
	return st == RCPT_SENT ? 'S' : st == RCPT_DEFERRED ? 'D' :
	    st == RCPT_FAILED ? 'F' : 'P';
}

static void
slurp_file(const char *path, struct buf *b)
{
	char	 chunk[4096];
	size_t	 n;
	FILE	*f = fopen(path, "r");

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_add(b, chunk, n), 0);
	fclose(f);
}

/* Open, send one message (when open succeeded), close; check it all. */
static void
run_case(const struct session_case *c)
{
	struct smtp_session	*s;
	struct smtp_params	 p;
	struct envelope		 env;
	struct err		 e;
	struct buf		 sent;
	char			 states[8], sentpath[64];
	unsigned		 port;
	long long		 t0 = clock_now_ms();
	pid_t			 pid;
	size_t			 i;
	int			 fd;

	print_message("case: %s\n", c->name);
	sent_path(sentpath, sizeof(sentpath));
	pid = start_peer(c, sentpath, &port);
	params_for(&p, c, &port);
	envelope_init(&env);
	assert_int_equal(envelope_set_sender(&env, c->sender ? c->sender :
	    "s@example.org", &e), 0);
	for (i = 0; i < 4 && c->rcpts[i] != NULL; i++)
		assert_int_equal(envelope_add_rcpt(&env, c->rcpts[i], &e), 0);
	env.body = c->body;
	err_clear(&e);
	assert_int_equal(smtp_connect(&s, &p, c->user ? "pw" : NULL, &e),
	    c->open_rc);
	if (c->open_rc == -1) {
		print_message("  -> %s\n", e.msg);
		assert_int_equal(e.cls, c->open_cls);
		assert_null(s);
	} else {
		fd = spool(c->msg ? c->msg : "Subject: x\r\n\r\nbody\r\n");
		err_clear(&e);
		assert_int_equal(smtp_send(s, &env, fd, (off_t)strlen(c->msg ?
		    c->msg : "Subject: x\r\n\r\nbody\r\n"), &e), c->send_rc);
		print_message("  -> %s\n", e.msg);
		if (c->send_rc == -1)
			assert_int_equal(e.cls, c->send_cls);
		assert_int_equal(smtp_last_step(s), c->step);
		assert_int_equal(smtp_usable(s), c->usable);
		for (i = 0; i < env.nrcpts; i++)
			states[i] = state_letter(env.rcpts[i].state);
		states[i] = '\0';
		assert_string_equal(states, c->states);
		smtp_close(s);
		close(fd);
	}
	if (c->why != NULL && strstr(e.msg, c->why) == NULL)
		fail_msg("e.msg '%s' lacks '%s'", e.msg, c->why);
	if (c->max_ms > 0 && clock_now_ms() - t0 > c->max_ms)
		fail_msg("took %lld ms, limit %lld", clock_now_ms() - t0,
		    c->max_ms);
	assert_int_equal(peer_status(pid), 0);
	buf_init(&sent, 1 << 20);
	slurp_file(sentpath, &sent);
	unlink(sentpath);
	assert_string_equal(buf_str(&sent), c->sent);
	buf_free(&sent);
	envelope_free(&env);
}

#define EHLO_LINE	"EHLO " HOST "\r\n"
#define EHLO_PIPE	"250-peer\r\n250-PIPELINING\r\n250-SIZE 1000\r\n" \
			"250 8BITMIME\r\n"
#define MSG_DOTS	"Subject: x\r\n\r\n.hidden\r\n..two\r\nend\r\n"
#define MSG_8BIT	"Subject: x\r\n\r\ncaf\xc3\xa9\r\n"
#define BODY_DEFAULT	"Subject: x\r\n\r\nbody\r\n.\r\n"
#define EHLO_CHUNK	"250-peer\r\n250-PIPELINING\r\n250-SIZE 1000\r\n" \
			"250-8BITMIME\r\n250 CHUNKING\r\n"
#define EHLO_CHUNK1	"250-peer\r\n250-8BITMIME\r\n250 CHUNKING\r\n"
#define MSG_60	"Subject: x\r\n\r\n" "0123456789abcdefghijklmnopqrstuvwxyz.\r\n" \
		"67890\r\n"
#define X5	"xxxxx"
#define X75	X5 X5 X5 X5 X5 X5 X5 X5 X5 X5 X5 X5 X5 X5 X5
#define X80	X75 X5

static const struct session_case session_cases[] = {
	{ "pipelined: one window, replies drained, dots stuffed",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL,
	  { "a@example.org", "b@example.org", "c@example.org" }, MSG_DOTS,
	  BODY_UNSPEC,
	  { GREET, EHLO_PIPE, NOREPLY, NOREPLY, NOREPLY, NOREPLY,
	    "250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n"
	    "451 4.3.0 try later\r\n354 go\r\n",
	    "250 2.0.0 queued as X\r\n", "221 bye\r\n" }, 0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org> SIZE=35\r\n"
	  "RCPT TO:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
	  "RCPT TO:<c@example.org>\r\nDATA\r\n"
	  "Subject: x\r\n\r\n..hidden\r\n...two\r\nend\r\n.\r\n"
	  "QUIT\r\n",
	  0, ERR_OK, -1, ERR_NOUSER, "SFD", "550 5.1.1", SMTP_STEP_NONE, 1, 0,
	  0 },

	{ "8-bit body, 8BITMIME offered: BODY=8BITMIME (also after -B7BIT)",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, MSG_8BIT,
	  BODY_7BIT,
	  { GREET, EHLO_PIPE, NOREPLY, NOREPLY,
	    "250 ok\r\n250 ok\r\n354 go\r\n",
	    "250 2.0.0 queued\r\n", "221 bye\r\n" }, 0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org> SIZE=21 BODY=8BITMIME\r\n"
	  "RCPT TO:<a@example.org>\r\nDATA\r\n" MSG_8BIT ".\r\nQUIT\r\n",
	  0, ERR_OK, 0, ERR_OK, "S", NULL, SMTP_STEP_NONE, 1, 0, 0 },

	{ "8-bit text, no 8BITMIME: sent quoted-printable, SIZE= as sent",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, MSG_8BIT,
	  BODY_8BITMIME,
	  { GREET, "250-peer\r\n250-PIPELINING\r\n250 SIZE 1000\r\n",
	    NOREPLY, NOREPLY, "250 ok\r\n250 ok\r\n354 go\r\n",
	    "250 2.0.0 queued\r\n", "221 bye\r\n" }, 0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org> SIZE=130\r\n"
	  "RCPT TO:<a@example.org>\r\nDATA\r\n"
	  "Subject: x\r\nMIME-Version: 1.0\r\n"
	  "Content-Type: text/plain; charset=UTF-8\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	  "caf=C3=A9\r\n.\r\nQUIT\r\n",
	  0, ERR_OK, 0, ERR_OK, "S", NULL, SMTP_STEP_NONE, 1, 0, 0 },

	{ "8-bit declared -B7BIT, no 8BITMIME: CTE replaced, QP rules, dots",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" },
	  "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	  "Content-Transfer-Encoding: 8bit\r\nSubject: y\r\n\r\n"
	  "a=b \r\n.dot \xc3\xa9\r\n" X80 "\r\n", BODY_7BIT,
	  { GREET, "250 peer\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n",
	    "250 2.0.0 queued\r\n", "221 bye\r\n" }, 0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org>\r\n"
	  "RCPT TO:<a@example.org>\r\nDATA\r\n"
	  "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	  "Subject: y\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
	  "a=3Db=20\r\n..dot =C3=A9\r\n" X75 "=\r\nxxxxx\r\n.\r\n"
	  "QUIT\r\n",
	  0, ERR_OK, 0, ERR_OK, "S", NULL, SMTP_STEP_NONE, 1, 0, 0 },

	{ "8-bit header field, no 8BITMIME: refused 5.6.3 before MAIL",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" },
	  "Subject: caf\xc3\xa9\r\n\r\nbody\r\n", BODY_7BIT,
	  { GREET, "250 peer\r\n", "221 bye\r\n" }, 0, 0,
	  EHLO_LINE "QUIT\r\n",
	  0, ERR_OK, -1, ERR_UNAVAILABLE, "P", "a header field has 8-bit",
	  SMTP_STEP_CHECK, 1, 0, 0 },

	{ "8-bit multipart, no 8BITMIME: refused 5.6.3 before MAIL",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" },
	  "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\n"
	  "caf\xc3\xa9\r\n--x--\r\n", BODY_8BITMIME,
	  { GREET, "250-peer\r\n250 PIPELINING\r\n", "221 bye\r\n" }, 0, 0,
	  EHLO_LINE "QUIT\r\n",
	  0, ERR_OK, -1, ERR_UNAVAILABLE, "P", "5.6.3", SMTP_STEP_CHECK, 1, 0,
	  0 },

	{ "HELO fallback after 502 to EHLO",
	  SMTP_TLS_NONE, NULL, 0, 0, "", { "a@example.org" }, NULL,
	  BODY_UNSPEC,
	  { GREET, "502 5.5.1 what\r\n", "250 ok\r\n", "250 ok\r\n",
	    "250 ok\r\n", "354 go\r\n", "250 ok\r\n", "221 bye\r\n" }, 0, 0,
	  EHLO_LINE "HELO " HOST "\r\nMAIL FROM:<>\r\n"
	  "RCPT TO:<a@example.org>\r\nDATA\r\n" BODY_DEFAULT "QUIT\r\n",
	  0, ERR_OK, 0, ERR_OK, "S", NULL, SMTP_STEP_NONE, 1, 0, 0 },

	{ "451 to MAIL: one RSET, the session stays",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, NULL,
	  BODY_UNSPEC,
	  { GREET, "250 peer\r\n", "451 4.7.1 greylisted\r\n", "250 ok\r\n",
	    "221 bye\r\n" }, 0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org>\r\nRSET\r\nQUIT\r\n",
	  0, ERR_OK, -1, ERR_TEMP, "D", "greylisted", SMTP_STEP_ENVELOPE, 1,
	  0, 0 },

	{ "421 to a pipelined MAIL, then the server hangs up",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, NULL,
	  BODY_UNSPEC,
	  { GREET, "250-peer\r\n250 PIPELINING\r\n", NOREPLY, NOREPLY,
	    "421 4.3.2 shutting down\r\n", CLOSE }, 0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.org>\r\n"
	  "DATA\r\n",
	  0, ERR_OK, -1, ERR_TEMP, "D", "421 4.3.2 shutting down",
	  SMTP_STEP_ENVELOPE, 0, 0, 0 },

	{ "every recipient refused: DATA 554, RSET, no body",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, NULL,
	  BODY_UNSPEC,
	  { GREET, "250-peer\r\n250 PIPELINING\r\n", NOREPLY, NOREPLY,
	    "250 ok\r\n550 5.1.1 unknown\r\n554 5.5.1 no valid recipients\r\n",
	    "250 ok\r\n", "221 bye\r\n" }, 0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.org>\r\n"
	  "DATA\r\nRSET\r\nQUIT\r\n",
	  0, ERR_OK, -1, ERR_UNAVAILABLE, "F", "5.1.1 unknown",
	  SMTP_STEP_ENVELOPE, 1, 0, 0 },

	{ "every recipient refused, DATA still 354: an empty message ends it",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, NULL,
	  BODY_UNSPEC,
	  { GREET, "250-peer\r\n250 PIPELINING\r\n", NOREPLY, NOREPLY,
	    "250 ok\r\n450 4.2.0 later\r\n354 go\r\n",
	    "554 5.5.1 no recipients\r\n", "250 ok\r\n", "221 bye\r\n" },
	  0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.org>\r\n"
	  "DATA\r\n.\r\nRSET\r\nQUIT\r\n",
	  0, ERR_OK, -1, ERR_TEMP, "D", "450 4.2.0", SMTP_STEP_ENVELOPE, 1,
	  0, 0 },

	{ "451 to DATA: the accepted recipient is deferred, RSET",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, NULL,
	  BODY_UNSPEC,
	  { GREET, "250 peer\r\n", "250 ok\r\n", "250 ok\r\n",
	    "451 4.3.0 later\r\n", "250 ok\r\n", "221 bye\r\n" }, 0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.org>\r\n"
	  "DATA\r\nRSET\r\nQUIT\r\n",
	  0, ERR_OK, -1, ERR_TEMP, "D", "DATA refused: 451",
	  SMTP_STEP_ENVELOPE, 1, 0, 0 },

	{ "lost after an accepted RCPT: deferred, never 'sent'",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL,
	  { "a@example.org", "b@example.org" }, NULL, BODY_UNSPEC,
	  { GREET, "250 peer\r\n", "250 ok\r\n", "250 ok\r\n", CLOSE }, 0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.org>\r\n"
	  "RCPT TO:<b@example.org>\r\n",
	  0, ERR_OK, -1, ERR_TEMP, "DD", "closed", SMTP_STEP_ENVELOPE, 0, 0,
	  0 },

	{ "554 to the final dot: failed, RSET",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, NULL,
	  BODY_UNSPEC,
	  { GREET, "250 peer\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n",
	    "554 5.7.1 spam\r\n", "250 ok\r\n", "221 bye\r\n" }, 0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.org>\r\n"
	  "DATA\r\n" BODY_DEFAULT "RSET\r\nQUIT\r\n",
	  0, ERR_OK, -1, ERR_UNAVAILABLE, "F", "5.7.1 spam", SMTP_STEP_DOT, 1,
	  0, 0 },

	{ "lost after the final dot: deferred, step DOT",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, NULL,
	  BODY_UNSPEC,
	  { GREET, "250 peer\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n",
	    CLOSE }, 0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.org>\r\n"
	  "DATA\r\n" BODY_DEFAULT,
	  0, ERR_OK, -1, ERR_TEMP, "D", "closed", SMTP_STEP_DOT, 0, 0, 0 },

	{ "the final reply may take longer than `timeout` (RFC 5321 4.5.3.2.6)",
	  SMTP_TLS_NONE, NULL, 2, 8, NULL, { "a@example.org" }, NULL,
	  BODY_UNSPEC,
	  { GREET, "250 peer\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n",
	    "250 2.0.0 queued\r\n", "221 bye\r\n" }, 5, 3000,
	  EHLO_LINE "MAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.org>\r\n"
	  "DATA\r\n" BODY_DEFAULT "QUIT\r\n",
	  0, ERR_OK, 0, ERR_OK, "S", NULL, SMTP_STEP_NONE, 1, 0, 0 },

	{ "a slow multi-line EHLO reply: one deadline for all its lines",
	  SMTP_TLS_NONE, NULL, 1, 0, NULL, { "a@example.org" }, NULL,
	  BODY_UNSPEC,
	  { GREET, "250-peer\r\n250-a\r\n250-b\r\n250-c\r\n250-d\r\n"
	    "250 e\r\n" }, 1, 400,
	  EHLO_LINE,
	  -1, ERR_TEMP, 0, ERR_OK, "", "timed out after", SMTP_STEP_NONE, 0,
	  2200, 0 },

	{ "the opening has one deadline, however quick each reply is",
	  SMTP_TLS_NONE, "user", 3, 0, NULL, { "a@example.org" }, NULL,
	  BODY_UNSPEC,
	  { GREET, "250-peer\r\n250 AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n",
	    "334 UGFzc3dvcmQ6\r\n", "235 2.7.0 ok\r\n" }, -1, 1200,
	  EHLO_LINE "AUTH LOGIN\r\n",
	  -1, ERR_TEMP, 0, ERR_OK, "", "opening the session", SMTP_STEP_NONE, 0,
	  4500, 3 },

	{ "554 greeting, then the server closes: permanent",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, NULL,
	  BODY_UNSPEC,
	  { "554 5.7.1 go away\r\n", CLOSE }, 0, 0,
	  "QUIT\r\n",
	  -1, ERR_UNAVAILABLE, 0, ERR_OK, "", "554 5.7.1 go away",
	  SMTP_STEP_NONE, 0, 0, 0 },

	{ "521 greeting (RFC 7504): permanent",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, NULL,
	  BODY_UNSPEC,
	  { "521 5.3.2 does not accept mail\r\n", "221 bye\r\n" }, 0, 0,
	  "QUIT\r\n",
	  -1, ERR_UNAVAILABLE, 0, ERR_OK, "", "521", SMTP_STEP_NONE, 0, 0, 0 },

	{ "STARTTLS required but not offered: nothing but EHLO",
	  SMTP_TLS_STARTTLS, NULL, 0, 0, NULL, { "a@example.org" }, NULL,
	  BODY_UNSPEC,
	  { GREET, "250-peer\r\n250 AUTH PLAIN\r\n" }, 0, 0,
	  EHLO_LINE,
	  -1, ERR_TEMP, 0, ERR_OK, "", "STARTTLS", SMTP_STEP_NONE, 0, 0, 0 },

	{ "535 to AUTH is temporary (smtp.h), then a polite QUIT",
	  SMTP_TLS_NONE, "user", 0, 0, NULL, { "a@example.org" }, NULL,
	  BODY_UNSPEC,
	  { GREET, "250-peer\r\n250 AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n",
	    "334 UGFzc3dvcmQ6\r\n", "535 5.7.8 authentication failed\r\n",
	    "221 bye\r\n" }, 0, 0,
	  EHLO_LINE "AUTH LOGIN\r\ndXNlcg==\r\ncHc=\r\nQUIT\r\n",
	  -1, ERR_TEMP, 0, ERR_OK, "", "535 5.7.8", SMTP_STEP_NONE, 0, 0, 0 },
};

/* BDAT (RFC 3030): the state steps of ST_BDAT. */
static const struct session_case bdat_cases[] = {
	{ "CHUNKING: BDAT n LAST, the spool as it is, dots not stuffed",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, MSG_DOTS,
	  BODY_UNSPEC,
	  { GREET, EHLO_CHUNK, NOREPLY, "250 ok\r\n250 ok\r\n",
	    "250 2.0.0 35 octets queued\r\n", "221 bye\r\n" }, 0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org> SIZE=35\r\n"
	  "RCPT TO:<a@example.org>\r\nBDAT 35 LAST\r\n" MSG_DOTS "QUIT\r\n",
	  0, ERR_OK, 0, ERR_OK, "S", NULL, SMTP_STEP_NONE, 1, 0, 0 },

	{ "chunks of 10: exact sizes, pipelined, the LAST one decides",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, MSG_DOTS,
	  BODY_UNSPEC,
	  { GREET, EHLO_CHUNK, NOREPLY, "250 ok\r\n250 ok\r\n",
	    "250 10\r\n", "250 20\r\n", "250 30\r\n", "250 queued\r\n",
	    "221 bye\r\n" }, 0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org> SIZE=35\r\n"
	  "RCPT TO:<a@example.org>\r\nBDAT 10\r\nSubject: xBDAT 10\r\n"
	  "\r\n\r\n.hiddeBDAT 10\r\nn\r\n..two\r\nBDAT 5 LAST\r\nend\r\n"
	  "QUIT\r\n",
	  0, ERR_OK, 0, ERR_OK, "S", NULL, SMTP_STEP_NONE, 1, 0, 0 },

	{ "554 to a middle chunk, no PIPELINING: no more chunks, RSET, failed",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, MSG_DOTS,
	  BODY_UNSPEC,
	  { GREET, EHLO_CHUNK1, "250 ok\r\n", "250 ok\r\n", "250 10\r\n",
	    "554 5.6.0 no thanks\r\n", "250 reset\r\n", "221 bye\r\n" },
	  0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.org>\r\n"
	  "BDAT 10\r\nSubject: xBDAT 10\r\n\r\n\r\n.hidde"
	  "RSET\r\nQUIT\r\n",
	  0, ERR_OK, -1, ERR_UNAVAILABLE, "F", "554 5.6.0", SMTP_STEP_BODY, 1,
	  0, 0 },

	{ "452 to the first of four pipelined chunks: the rest answered, RSET",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, MSG_60,
	  BODY_UNSPEC,
	  { GREET, EHLO_CHUNK, NOREPLY, "250 ok\r\n250 ok\r\n",
	    "452 4.3.1 full\r\n", "554 5.5.0 after error\r\n",
	    "554 5.5.0 after error\r\n", "554 5.5.0 after error\r\n",
	    "250 reset\r\n", "221 bye\r\n" }, 0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org> SIZE=60\r\n"
	  "RCPT TO:<a@example.org>\r\nBDAT 10\r\nSubject: xBDAT 10\r\n"
	  "\r\n\r\n012345BDAT 10\r\n6789abcdefBDAT 10\r\n"
	  "ghijklmnopRSET\r\nQUIT\r\n",
	  0, ERR_OK, -1, ERR_TEMP, "D", "452 4.3.1", SMTP_STEP_BODY, 1, 0,
	  0 },

	{ "lost waiting for the LAST chunk's reply: deferred, step DOT",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, MSG_DOTS,
	  BODY_UNSPEC,
	  { GREET, EHLO_CHUNK, NOREPLY, "250 ok\r\n250 ok\r\n", NOREPLY,
	    CLOSE }, 0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org> SIZE=35\r\n"
	  "RCPT TO:<a@example.org>\r\nBDAT 35 LAST\r\n" MSG_DOTS,
	  0, ERR_OK, -1, ERR_TEMP, "D", NULL, SMTP_STEP_DOT, 0, 0, 0 },

	{ "every recipient refused: no BDAT at all, RSET",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, MSG_DOTS,
	  BODY_UNSPEC,
	  { GREET, EHLO_CHUNK, NOREPLY, "250 ok\r\n550 5.1.1 no\r\n",
	    "250 reset\r\n", "221 bye\r\n" }, 0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org> SIZE=35\r\n"
	  "RCPT TO:<a@example.org>\r\nRSET\r\nQUIT\r\n",
	  0, ERR_OK, -1, ERR_UNAVAILABLE, "F", "550 5.1.1", SMTP_STEP_ENVELOPE,
	  1, 0, 0 },

	{ "8-bit with 8BITMIME: BODY=8BITMIME and BDAT",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, MSG_8BIT,
	  BODY_UNSPEC,
	  { GREET, EHLO_CHUNK, NOREPLY, "250 ok\r\n250 ok\r\n",
	    "250 queued\r\n", "221 bye\r\n" }, 0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org> SIZE=21 BODY=8BITMIME\r\n"
	  "RCPT TO:<a@example.org>\r\nBDAT 21 LAST\r\n" MSG_8BIT "QUIT\r\n",
	  0, ERR_OK, 0, ERR_OK, "S", NULL, SMTP_STEP_NONE, 1, 0, 0 },

	{ "CHUNKING without 8BITMIME, 8-bit text: quoted-printable by DATA",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" }, MSG_8BIT,
	  BODY_8BITMIME,
	  { GREET, "250-peer\r\n250 CHUNKING\r\n", "250 ok\r\n",
	    "250 ok\r\n", "354 go\r\n", "250 queued\r\n", "221 bye\r\n" },
	  0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.org>\r\n"
	  "DATA\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
	  "Content-Type: text/plain; charset=UTF-8\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	  "caf=C3=A9\r\n.\r\nQUIT\r\n",
	  0, ERR_OK, 0, ERR_OK, "S", NULL, SMTP_STEP_NONE, 1, 0, 0 },

	{ "the LAST chunk's reply may take longer than `timeout`, as the dot's",
	  SMTP_TLS_NONE, NULL, 2, 8, NULL, { "a@example.org" }, NULL,
	  BODY_UNSPEC,
	  { GREET, EHLO_CHUNK1, "250 ok\r\n", "250 ok\r\n",
	    "250 2.0.0 queued\r\n", "221 bye\r\n" }, 4, 3000,
	  EHLO_LINE "MAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.org>\r\n"
	  "BDAT 20 LAST\r\nSubject: x\r\n\r\nbody\r\nQUIT\r\n",
	  0, ERR_OK, 0, ERR_OK, "S", NULL, SMTP_STEP_NONE, 1, 0, 0 },

	{ "an earlier chunk's reply gets `timeout`: lost, deferred, step BODY",
	  SMTP_TLS_NONE, NULL, 1, 8, NULL, { "a@example.org" }, NULL,
	  BODY_UNSPEC,
	  { GREET, EHLO_CHUNK1, "250 ok\r\n", "250 ok\r\n", "250 10\r\n" },
	  4, 2500,
	  EHLO_LINE "MAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.org>\r\n"
	  "BDAT 10\r\nSubject: x",
	  0, ERR_OK, -1, ERR_TEMP, "D", "timed out", SMTP_STEP_BODY, 0, 2500,
	  0 },

	{ "a spool without its final CRLF: BDAT counts the CRLF added",
	  SMTP_TLS_NONE, NULL, 0, 0, NULL, { "a@example.org" },
	  "Subject: x\r\n\r\nno end", BODY_UNSPEC,
	  { GREET, EHLO_CHUNK1, "250 ok\r\n", "250 ok\r\n",
	    "250 queued\r\n", "221 bye\r\n" }, 0, 0,
	  EHLO_LINE "MAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.org>\r\n"
	  "BDAT 22 LAST\r\nSubject: x\r\n\r\nno end\r\nQUIT\r\n",
	  0, ERR_OK, 0, ERR_OK, "S", NULL, SMTP_STEP_NONE, 1, 0, 0 },
};

static const size_t bdat_chunks[] = { 0, 10, 10, 10, 0, 0, 0, 0, 0, 10, 0 };

static void
test_sessions_bdat(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(bdat_cases) / sizeof(bdat_cases[0]); i++) {
		bdat_chunk = bdat_chunks[i];
		run_case(&bdat_cases[i]);
	}
	bdat_chunk = 0;
}

static void
test_sessions(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(session_cases) / sizeof(session_cases[0]); i++)
		run_case(&session_cases[i]);
}

/* AUTH LOGIN: the -v transcript shows the command, never the payloads. */
static const struct session_case auth_login = {
	"AUTH LOGIN transcript", SMTP_TLS_NONE, "user", 0, 0, NULL, { NULL },
	NULL, BODY_UNSPEC,
	{ GREET, "250-peer\r\n250 AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n",
	  "334 UGFzc3dvcmQ6\r\n", "235 2.7.0 ok\r\n", "221 bye\r\n" }, 0, 0,
	EHLO_LINE "AUTH LOGIN\r\ndXNlcg==\r\nczNjcmV0LXB3\r\nQUIT\r\n",
	0, ERR_OK, 0, ERR_OK, "", NULL, SMTP_STEP_NONE, 0, 0, 0
};

static void
test_session_auth_login_trace(void **state)
{
	struct smtp_session	*s;
	struct smtp_params	 p;
	struct err		 e;
	struct buf		 sent;
	char			 trace[4096], sentpath[64];
	unsigned		 port;
	pid_t			 pid;
	FILE			*f = tmpfile();
	size_t			 n;
	int			 saved;

	(void)state;
	sent_path(sentpath, sizeof(sentpath));
	pid = start_peer(&auth_login, sentpath, &port);
	params_for(&p, &auth_login, &port);
	p.verbose = 1;
	saved = dup(STDERR_FILENO);
	dup2(fileno(f), STDERR_FILENO);
	assert_int_equal(smtp_connect(&s, &p, "s3cret-pw", &e), 0);
	assert_true(smtp_info(s)->authenticated);
	assert_string_equal(smtp_info(s)->auth_mech, "LOGIN");
	smtp_close(s);
	dup2(saved, STDERR_FILENO);
	close(saved);
	log_set_trace(0);
	assert_int_equal(peer_status(pid), 0);
	buf_init(&sent, 1 << 16);
	slurp_file(sentpath, &sent);
	unlink(sentpath);
	assert_string_equal(buf_str(&sent), auth_login.sent);
	buf_free(&sent);
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

/*
 * 150 recipients with PIPELINING: more than one window, every reply
 * applied to its own recipient (550 for the 7th and 120th, 452 for the
 * 101st).  This peer answers each line as it arrives.
 */
static void __attribute__((noreturn))
answering_peer(int lfd, const char *sentpath)
{
	FILE	*in, *out, *rec;
	char	 line[1024];
	int	 fd, nrcpt = 0, body = 0;

	signal(SIGPIPE, SIG_IGN);
	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(2);
	in = fdopen(fd, "r");
	out = fdopen(dup(fd), "w");
	if ((rec = fopen(sentpath, "w")) == NULL)
		_exit(3);
	fputs(GREET, out);
	fflush(out);
	while (fgets(line, sizeof(line), in) != NULL) {
		fputs(line, rec);
		if (body) {
			if (strcmp(line, ".\r\n") == 0) {
				body = 0;
				fputs("250 2.0.0 queued\r\n", out);
			}
		} else if (strncmp(line, "EHLO", 4) == 0)
			fputs("250-peer\r\n250 PIPELINING\r\n", out);
		else if (strncmp(line, "RCPT", 4) == 0)
			fputs(++nrcpt == 7 || nrcpt == 120 ?
			    "550 5.1.1 no\r\n" : nrcpt == 101 ?
			    "452 4.5.3 later\r\n" : "250 ok\r\n", out);
		else if (strncmp(line, "DATA", 4) == 0) {
			fputs("354 go\r\n", out);
			body = 1;
		} else if (strncmp(line, "QUIT", 4) == 0) {
			fputs("221 bye\r\n", out);
			fflush(out);
			break;
		} else
			fputs("250 ok\r\n", out);
		fflush(out);
	}
	fclose(rec);
	_exit(0);
}

static void
test_session_many_rcpts(void **state)
{
	static const struct session_case none;
	struct smtp_session	*s;
	struct smtp_params	 p;
	struct envelope		 env;
	struct err		 e;
	struct buf		 sent;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	char			 addr[64], sentpath[64];
	const char		*q;
	unsigned		 port;
	pid_t			 pid;
	size_t			 i, n;
	int			 lfd, fd;

	(void)state;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	getsockname(lfd, (struct sockaddr *)&sin, &len);
	port = ntohs(sin.sin_port);
	sent_path(sentpath, sizeof(sentpath));
	if ((pid = fork()) == 0)
		answering_peer(lfd, sentpath);
	close(lfd);
	params_for(&p, &none, &port);
	p.tls = SMTP_TLS_NONE;
	envelope_init(&env);
	envelope_set_sender(&env, "s@example.org", &e);
	for (i = 1; i <= 150; i++) {
		snprintf(addr, sizeof(addr), "r%zu@example.org", i);
		assert_int_equal(envelope_add_rcpt(&env, addr, &e), 0);
	}
	assert_int_equal(smtp_connect(&s, &p, NULL, &e), 0);
	fd = spool("Subject: x\r\n\r\nbody\r\n");
	assert_int_equal(smtp_send(s, &env, fd, 21, &e), -1);
	print_message("  -> %s\n", e.msg);
	assert_int_equal(e.cls, ERR_NOUSER);
	for (i = 0; i < env.nrcpts; i++)
		assert_int_equal(env.rcpts[i].state, i == 6 || i == 119 ?
		    RCPT_FAILED : i == 100 ? RCPT_DEFERRED : RCPT_SENT);
	assert_non_null(strstr(env.rcpts[100].reply, "452 4.5.3"));
	assert_non_null(strstr(env.rcpts[0].reply, "250 2.0.0 queued"));
	smtp_close(s);
	close(fd);
	assert_int_equal(peer_status(pid), 0);
	buf_init(&sent, 1 << 20);
	slurp_file(sentpath, &sent);
	unlink(sentpath);
	/* One MAIL, 150 RCPTs in order, one DATA, the body, QUIT. */
	for (n = 0, q = buf_str(&sent); (q = strstr(q, "RCPT TO:<r")) != NULL;
	    q++)
		n++;
	assert_int_equal(n, 150);
	assert_non_null(strstr(buf_str(&sent), "RCPT TO:<r149@example.org>\r\n"
	    "RCPT TO:<r150@example.org>\r\nDATA\r\nSubject: x\r\n"));
	assert_true(sent.len >= 15);
	assert_string_equal(buf_str(&sent) + sent.len - 15,
	    "body\r\n.\r\nQUIT\r\n");
	buf_free(&sent);
	envelope_free(&env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_feed),
		cmocka_unit_test(test_reply_bounds),
		cmocka_unit_test(test_ehlo),
		cmocka_unit_test(test_xtext),
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_sessions_bdat),
		cmocka_unit_test(test_session_auth_login_trace),
		cmocka_unit_test(test_session_many_rcpts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
