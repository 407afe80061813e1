/*
 * test_serve.c -- the -bs SMTP server: the DATA decoder, and whole sessions
 * (client transcript in, replies and handed-over messages out) against a
 * fake handler.
 */
#include <sys/mman.h>
#include <sys/types.h>

#include <errno.h>
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

#include "addr.h"
#include "buf.h"
#include "serve.h"

/* The DATA decoder. */

struct data_case {
	const char	*name;
	const char	*in;
	int		 strict;
	const char	*out;		/* decoded message */
	int		 done;
	size_t		 rest;		/* input octets left after the end */
};

static const struct data_case data_cases[] = {
	{ "empty message", ".\r\n", 1, "", 1, 0 },
	{ "one line", "a\r\n.\r\n", 1, "a\r\n", 1, 0 },
	{ "bare LF lines", "a\nb\r\n.\r\n", 1, "a\r\nb\r\n", 1, 0 },
	{ "unstuff", "..a\r\n...\r\n..\r\n.\r\n", 1, ".a\r\n..\r\n.\r\n",
	    1, 0 },
	{ "dot then text", ".x\r\n.\r\n", 1, "x\r\n", 1, 0 },
	{ "rest kept", "a\r\n.\r\nQUIT\r\n", 1, "a\r\n", 1, 6 },
	{ "strict: .LF is data", "a\r\n.\nb\r\n.\r\n", 1,
	    "a\r\n.\r\nb\r\n", 1, 0 },
	{ "strict: LF.CRLF is data", "a\n.\r\nb\r\n.\r\n", 1,
	    "a\r\n.\r\nb\r\n", 1, 0 },
	{ "strict: smuggling", "x\n.\nMAIL FROM:<e@v>\n\r\n.\r\n", 1,
	    "x\r\n.\r\nMAIL FROM:<e@v>\r\n\r\n", 1, 0 },
	{ "lenient: .LF ends", "a\n.\nQUIT\n", 0, "a\r\n", 1, 5 },
	{ "lenient: .CRLF ends", "a\n.\r\n", 0, "a\r\n", 1, 0 },
	{ "stray CR kept", "a\rb\r\r\n.\r\n", 1, "a\rb\r\r\n", 1, 0 },
	{ "dot CR text", ".\rx\r\n.\r\n", 1, "\rx\r\n", 1, 0 },
	{ "dot CR CR LF", ".\r\r\n.\r\n", 1, "\r\r\n", 1, 0 },
	{ "unterminated", "abc", 1, "abc", 0, 0 },
	{ "ends in CR", "abc\r", 1, "abc", 0, 0 },
	{ "ends in dot", "a\r\n.", 1, "a\r\n", 0, 0 },
	{ "empty lines", "\r\n\n\r\n.\r\n", 1, "\r\n\r\n\r\n", 1, 0 },
};

static void
test_data_decode(void **state)
{
	const struct data_case	*c;
	struct serve_data	 d;
	char			 out[512];
	size_t			 i, j, used, o, inlen;

	(void)state;
	for (i = 0; i < sizeof(data_cases) / sizeof(data_cases[0]); i++) {
		c = &data_cases[i];
		print_message("case: %s\n", c->name);
		inlen = strlen(c->in);

		/* All at once. */
		serve_data_init(&d, c->strict);
		o = serve_data_decode(&d, c->in, inlen, &used, out);
		assert_int_equal(o, strlen(c->out));
		assert_memory_equal(out, c->out, o);
		assert_int_equal(d.done, c->done);
		assert_int_equal(inlen - used, c->rest);

		/* One octet at a time gives the same. */
		serve_data_init(&d, c->strict);
		for (j = 0, o = 0; j < inlen && !d.done; j++) {
			o += serve_data_decode(&d, c->in + j, 1, &used,
			    out + o);
			assert_true(used <= 1);
		}
		assert_int_equal(o, strlen(c->out));
		assert_memory_equal(out, c->out, o);
		assert_int_equal(d.done, c->done);
		if (c->done)
			assert_int_equal(inlen - j, c->rest);
	}
}

/* Output never has a LF without CR before it, whatever the input. */
static void
test_data_invariant(void **state)
{
	static const char	 alpha[] = { '\r', '\n', '.', 'a', '\0' };
	struct serve_data	 d;
	char			 in[8], out[SERVE_DATA_OUTMAX(8)];
	size_t			 used, o, k;
	unsigned		 n, v;

	(void)state;
	/* Every string of 8 octets over the alphabet, both modes. */
	for (n = 0; n < 390625 * 2; n++) {
		for (v = n / 2, k = 0; k < sizeof(in); k++, v /= 5)
			in[k] = alpha[v % 5];
		serve_data_init(&d, n & 1);
		o = serve_data_decode(&d, in, sizeof(in), &used, out);
		assert_true(o <= SERVE_DATA_OUTMAX(sizeof(in)));
		for (k = 0; k < o; k++)
			if (out[k] == '\n')
				assert_true(k > 0 && out[k - 1] == '\r');
		if (d.done)
			assert_true(o == 0 || (o >= 2 && out[o - 2] == '\r' &&
			    out[o - 1] == '\n'));
	}
}

/* Whole sessions. */

#define HOST	"test.example"
#define GREET	"220 " HOST " postern ESMTP\r\n"
#define HELO_OK	"250 " HOST "\r\n"
#define EHLO_OK	"250-" HOST "\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n" \
		"250-8BITMIME\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n"
#define MAIL_OK	"250 2.1.0 Ok\r\n"
#define RCPT_OK	"250 2.1.5 Ok\r\n"
#define DATA_GO	"354 End data with <CR><LF>.<CR><LF>\r\n"
#define QUEUED	"250 2.0.0 Ok: queued\r\n"
#define OK	"250 2.0.0 Ok\r\n"
#define BYE	"221 2.0.0 Bye\r\n"
#define E500	"500 5.5.2 Error: command not recognized\r\n"
#define ECTL	"500 5.5.2 Error: control character in command\r\n"
#define NEED_MAIL "503 5.5.1 Error: need MAIL command\r\n"
#define NEED_RCPT "503 5.5.1 Error: need RCPT command\r\n"
#define BAD_RCPT "501 5.1.3 Bad recipient address syntax\r\n"
#define BAD_FROM "501 5.1.7 Bad sender address syntax\r\n"
#define TOOBIG	"552 5.3.4 Message size exceeds fixed limit\r\n"

#define HOOK_RCPT	0x1	/* qualify bare names, refuse "nobody" */
#define HOOK_MAIL	0x2	/* refuse senders @forbidden.example */

#define NUL_IN	"HELO c\r\nNOOP\0x\r\nMAIL FROM:<a\0@x>\r\nMAIL FROM:<a@x>\r\n" \
		"\0\r\nQUIT\r\n"
#define L48	"012345678901234567890123456789012345678901234567"	/* 48 */

struct serve_case {
	const char	*name;
	const char	*in;
	size_t		 inlen;		/* 0: strlen(in) */
	int		 hooks;
	off_t		 max_size;
	/* The handler's reply to each message in turn; NULL: 250. */
	const char	*replies[4];
	const char	*out;		/* everything the client reads */
	/* Each message handed over: "<from> <to,to> body=N\n" data "~\n". */
	const char	*msgs;
	int		 rc;
	enum err_class	 cls;
};

static const struct serve_case cases[] = {
	{ "symfony: HELO, three messages, dots",
	  "HELO client.example\r\n"
	  "MAIL FROM:<app@example.org>\r\n"
	  "RCPT TO:<b@example.net>\r\n"
	  "DATA\r\n"
	  "Subject: one\r\n\r\n..leading dot\r\nbody\r\n.\r\n"
	  "MAIL FROM:<app@example.org>\r\n"
	  "RCPT TO:<c@example.net>\r\n"
	  "RCPT TO:<d@example.net>\r\n"
	  "DATA\r\n"
	  "Subject: two\r\n\r\n.\r\n"
	  "MAIL FROM:<>\r\n"
	  "RCPT TO:<b@example.net>\r\n"
	  "DATA\r\n"
	  "Subject: three\r\n\r\n...\r\n.\r\n"
	  "QUIT\r\n", 0, 0, 0, { NULL },
	  GREET HELO_OK MAIL_OK RCPT_OK DATA_GO QUEUED
	  MAIL_OK RCPT_OK RCPT_OK DATA_GO QUEUED
	  MAIL_OK RCPT_OK DATA_GO QUEUED BYE,
	  "<app@example.org> <b@example.net> body=0\n"
	  "Subject: one\r\n\r\n.leading dot\r\nbody\r\n~\n"
	  "<app@example.org> <c@example.net>,<d@example.net> body=0\n"
	  "Subject: two\r\n\r\n~\n"
	  "<> <b@example.net> body=0\n"
	  "Subject: three\r\n\r\n..\r\n~\n", 0, ERR_OK },

	{ "pipelined EHLO session, read-ahead kept",
	  "EHLO c\r\nMAIL FROM:<a@x> BODY=8BITMIME SIZE=100\r\n"
	  "RCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\nhi\r\n.\r\n"
	  "RSET\r\nMAIL FROM:<a@x>\r\nRCPT TO:<d@y>\r\nDATA\r\nyo\r\n.\r\n"
	  "NOOP\r\nQUIT\r\nNOOP\r\n", 0, 0, 0, { NULL },
	  GREET EHLO_OK MAIL_OK RCPT_OK RCPT_OK DATA_GO QUEUED OK
	  MAIL_OK RCPT_OK DATA_GO QUEUED OK BYE,
	  "<a@x> <b@y>,<c@y> body=2\nhi\r\n~\n"
	  "<a@x> <d@y> body=0\nyo\r\n~\n", 0, ERR_OK },

	{ "RSET mid-transaction",
	  "HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRSET\r\n"
	  "DATA\r\nRCPT TO:<b@y>\r\nMAIL FROM:<e@x>\r\nRCPT TO:<f@y>\r\n"
	  "DATA\r\nz\r\n.\r\nQUIT\r\n", 0, 0, 0, { NULL },
	  GREET HELO_OK MAIL_OK RCPT_OK OK NEED_MAIL NEED_MAIL MAIL_OK
	  RCPT_OK DATA_GO QUEUED BYE,
	  "<e@x> <f@y> body=0\nz\r\n~\n", 0, ERR_OK },

	{ "DATA without RCPT, nested MAIL, DATA with argument",
	  "HELO c\r\nMAIL FROM:<a@x>\r\nDATA\r\nMAIL FROM:<a@x>\r\n"
	  "RCPT TO:<b@y>\r\nDATA now\r\nQUIT\r\n", 0, 0, 0, { NULL },
	  GREET HELO_OK MAIL_OK NEED_RCPT
	  "503 5.5.1 Error: nested MAIL command\r\n" RCPT_OK
	  "501 5.5.4 Syntax: DATA\r\n" BYE, "", 0, ERR_OK },

	{ "handler 451: the client sees it after the dot",
	  "HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nm1\r\n.\r\n"
	  "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nm2\r\n.\r\n"
	  "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nm3\r\n.\r\nQUIT\r\n",
	  0, 0, 0, { "451 4.4.1 smarthost unreachable: queue disabled",
	  "554 relay said no\nsecond line", "999 nonsense" },
	  GREET HELO_OK MAIL_OK RCPT_OK DATA_GO
	  "451 4.4.1 smarthost unreachable: queue disabled\r\n"
	  MAIL_OK RCPT_OK DATA_GO "554 5.0.0 relay said no second line\r\n"
	  MAIL_OK RCPT_OK DATA_GO "451 4.3.0 Local error in processing\r\n"
	  BYE,
	  "<a@x> <b@y> body=0\nm1\r\n~\n<a@x> <b@y> body=0\nm2\r\n~\n"
	  "<a@x> <b@y> body=0\nm3\r\n~\n", 0, ERR_OK },

	{ "a failing handler never yields 2xx",
	  "HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nm1\r\n.\r\n"
	  "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nm2\r\n.\r\nQUIT\r\n",
	  0, 0, 0, { "!250 2.0.0 looks fine", "!452 4.3.1 disk full" },
	  GREET HELO_OK MAIL_OK RCPT_OK DATA_GO
	  "451 4.3.0 Local error in processing\r\n"
	  MAIL_OK RCPT_OK DATA_GO "452 4.3.1 disk full\r\n" BYE,
	  "<a@x> <b@y> body=0\nm1\r\n~\n<a@x> <b@y> body=0\nm2\r\n~\n",
	  0, ERR_OK },

	{ "handler 421 ends the session",
	  "HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nm\r\n.\r\n"
	  "NOOP\r\n", 0, 0, 0, { "421 4.3.2 shutting down" },
	  GREET HELO_OK MAIL_OK RCPT_OK DATA_GO "421 4.3.2 shutting down\r\n",
	  "<a@x> <b@y> body=0\nm\r\n~\n", -1, ERR_TEMP },

	{ "bad addresses",
	  "HELO c\r\nMAIL FROM:<a b@x>\r\nMAIL FROM:<-oQ/tmp@x>\r\n"
	  "MAIL FROM:a@x junk\r\nMAIL FROM:<a@x\r\nMAIL FROM:<a@x>\r\n"
	  "RCPT TO:<>\r\nRCPT TO:<-x@y>\r\nRCPT TO:<a@@y>\r\n"
	  "RCPT TO:<a@y>>\r\nRCPT TO:b@y\r\nRCPT TO:<\"q>\\\"\"@y>\r\n"
	  "RCPT TO:<@r1,@r2:c@y>\r\nRCPT TO:<a..b@y>\r\n"
	  "RCPT TO:<postmaster>\r\nQUIT\r\n", 0, 0, 0, { NULL },
	  GREET HELO_OK BAD_FROM BAD_FROM
	  "555 5.5.4 Unsupported option: junk\r\n"
	  "501 5.5.4 Syntax: MAIL FROM:<address>\r\n" MAIL_OK
	  BAD_RCPT BAD_RCPT BAD_RCPT "501 5.5.4 Syntax: RCPT TO:<address>\r\n"
	  RCPT_OK RCPT_OK RCPT_OK BAD_RCPT RCPT_OK BYE, "", 0, ERR_OK },

	{ "CR and LF injection",
	  "HELO c\r\nMAIL FROM:<a@x>\rRCPT TO:<evil@y>\r\n"
	  "MAIL FROM:<a@x>\r\nRCPT TO:<b@y\r\nDATA>\r\n"
	  "RCPT TO:<b@y>\rDATA\r\nRCPT TO:<b\tc@y>\r\nQUIT\r\n",
	  0, 0, 0, { NULL },
	  GREET HELO_OK ECTL MAIL_OK "501 5.5.4 Syntax: RCPT TO:<address>\r\n"
	  E500 ECTL ECTL BYE, "", 0, ERR_OK },

	{ "NUL in commands",
	  NUL_IN, sizeof(NUL_IN) - 1, 0, 0, { NULL },
	  GREET HELO_OK ECTL ECTL MAIL_OK ECTL BYE, "", 0, ERR_OK },

	{ "EOF inside DATA: nothing handed over",
	  "HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"
	  "partial\r\n.x", 0, 0, 0, { NULL },
	  GREET HELO_OK MAIL_OK RCPT_OK DATA_GO, "", -1, ERR_TEMP },

	{ "EOF between commands, last line unterminated",
	  "HELO c\r\nNOOP\r\nQUI", 0, 0, 0, { NULL },
	  GREET HELO_OK OK, "", 0, ERR_OK },

	{ "bare-LF client: .LF ends the data",
	  "HELO c\nMAIL FROM:<a@x>\nRCPT TO:<b@y>\nDATA\nl1\n..l2\n.\nQUIT\n",
	  0, 0, 0, { NULL },
	  GREET HELO_OK MAIL_OK RCPT_OK DATA_GO QUEUED BYE,
	  "<a@x> <b@y> body=0\nl1\r\n.l2\r\n~\n", 0, ERR_OK },

	{ "CRLF client: a bare-LF dot cannot smuggle a second message",
	  "HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"
	  "body\n.\nMAIL FROM:<evil@x>\nRCPT TO:<victim@y>\nDATA\nspam\n.\n"
	  "\r\n.\r\nQUIT\r\n", 0, 0, 0, { NULL },
	  GREET HELO_OK MAIL_OK RCPT_OK DATA_GO QUEUED BYE,
	  "<a@x> <b@y> body=0\nbody\r\n.\r\nMAIL FROM:<evil@x>\r\n"
	  "RCPT TO:<victim@y>\r\nDATA\r\nspam\r\n.\r\n\r\n~\n", 0, ERR_OK },

	{ "size limits",
	  "EHLO c\r\nMAIL FROM:<a@x> SIZE=101\r\nMAIL FROM:<a@x> SIZE=100\r\n"
	  "RCPT TO:<b@y>\r\nDATA\r\n"
	  "0123456789012345678901234567890123456789012345678\r\n"
	  "0123456789012345678901234567890123456789012345678\r\n"
	  "x\r\n.\r\nMAIL FROM:<a@x> SIZE=99999999999999999999999999\r\n"
	  "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"
	  L48 "\r\n" L48 "\r\n.\r\nQUIT\r\n", 0, 0, 100, { NULL },
	  GREET "250-" HOST "\r\n250-PIPELINING\r\n250-SIZE 100\r\n"
	  "250-8BITMIME\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n"
	  TOOBIG MAIL_OK RCPT_OK DATA_GO TOOBIG TOOBIG MAIL_OK RCPT_OK
	  DATA_GO QUEUED BYE,
	  "<a@x> <b@y> body=0\n" L48 "\r\n" L48 "\r\n~\n",
	  0, ERR_OK },

	{ "MAIL parameters",
	  "EHLO c\r\nMAIL FROM:<a@x> RET=HDRS\r\nMAIL FROM:<a@x> BODY=BINARYMIME\r\n"
	  "MAIL FROM:<a@x> SIZE=1 SIZE=2\r\nMAIL FROM:<a@x> SIZE=1x\r\n"
	  "MAIL FROM:<a@x> =x\r\nMAIL FROM:<a@x> BODY=7bit\r\n"
	  "RCPT TO:<b@y> NOTIFY=NEVER\r\nRCPT TO:<b@y>\r\nDATA\r\nq\r\n.\r\n"
	  "QUIT\r\n", 0, 0, 0, { NULL },
	  GREET EHLO_OK "555 5.5.4 Unsupported option: RET\r\n"
	  "501 5.5.4 Unsupported BODY parameter\r\n"
	  "501 5.5.4 Bad or repeated SIZE parameter\r\n"
	  "501 5.5.4 Bad SIZE parameter\r\n"
	  "501 5.5.4 Bad MAIL parameter syntax\r\n" MAIL_OK
	  "555 5.5.4 Unsupported option: NOTIFY\r\n" RCPT_OK DATA_GO QUEUED
	  BYE, "<a@x> <b@y> body=1\nq\r\n~\n", 0, ERR_OK },

	{ "SMTPUTF8",
	  "EHLO c\r\nMAIL FROM:<j\xc3\xb6rg@x>\r\n"
	  "MAIL FROM:<j\xc3\xb6rg@x> SMTPUTF8\r\n"
	  "RCPT TO:<bad\xc3\x28@y>\r\nRCPT TO:<b@\xe4\xbe\x8b.y>\r\n"
	  "DATA\r\nu\r\n.\r\nQUIT\r\n", 0, 0, 0, { NULL },
	  GREET EHLO_OK "553 5.6.7 The sender address is not ASCII: SMTPUTF8 "
	  "is required\r\n" MAIL_OK BAD_RCPT RCPT_OK DATA_GO QUEUED BYE,
	  "<j\xc3\xb6rg@x> <b@\xe4\xbe\x8b.y> body=0 utf8\nu\r\n~\n",
	  0, ERR_OK },

	{ "other commands",
	  "NOOP hello\r\nVRFY root\r\nEXPN staff\r\nHELP\r\nSTARTTLS\r\n"
	  "AUTH PLAIN AAAA\r\nHELO\r\nRSET x\r\nhelo c\r\nXYZZY\r\n\r\n"
	  "quit\r\n", 0, 0, 0, { NULL },
	  GREET OK "252 2.5.2 Cannot VRFY user, but will accept message and "
	  "attempt delivery\r\n"
	  "502 5.5.1 Error: command not implemented\r\n"
	  "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY "
	  "HELP\r\n"
	  "502 5.5.1 Error: command not implemented\r\n"
	  "502 5.5.1 Error: command not implemented\r\n"
	  "501 5.5.4 Syntax: HELO hostname\r\n"
	  "501 5.5.4 Syntax: RSET\r\n" HELO_OK E500
	  "500 5.5.2 Error: bad syntax\r\n" BYE, "", 0, ERR_OK },

	{ "MAIL without HELO, path without <>, EHLO resets",
	  "MAIL FROM: a@x\r\nRCPT TO:<b@y>\r\nEHLO c\r\nDATA\r\n"
	  "mail from:<A@X>\r\nrcpt to:<B@Y>\r\ndata\r\nw\r\n.\r\nQUIT\r\n",
	  0, 0, 0, { NULL },
	  GREET MAIL_OK RCPT_OK EHLO_OK NEED_MAIL MAIL_OK RCPT_OK DATA_GO
	  QUEUED BYE, "<A@X> <B@Y> body=0\nw\r\n~\n", 0, ERR_OK },

	{ "recipient and sender hooks",
	  "HELO c\r\nMAIL FROM:<a@forbidden.example>\r\nMAIL FROM:<a@x>\r\n"
	  "RCPT TO:<root>\r\nRCPT TO:<nobody>\r\nRCPT TO:<Root>\r\n"
	  "RCPT TO:<c@y>\r\nDATA\r\nh\r\n.\r\nQUIT\r\n",
	  0, HOOK_RCPT | HOOK_MAIL, 0, { NULL },
	  GREET HELO_OK "550 5.7.1 not your domain\r\n" MAIL_OK RCPT_OK
	  "550 5.1.1 <nobody>: no such user\r\n" RCPT_OK RCPT_OK DATA_GO QUEUED
	  BYE, "<a@x> <root@example.com>,<Root@example.com>,<c@y> body=0\n"
	  "h\r\n~\n", 0, ERR_OK },

	{ "too many errors: 421",
	  "x\r\nx\r\nx\r\nx\r\nx\r\nx\r\nx\r\nx\r\nx\r\nx\r\n"
	  "x\r\nx\r\nx\r\nx\r\nx\r\nx\r\nx\r\nx\r\nx\r\nx\r\nNOOP\r\n",
	  0, 0, 0, { NULL },
	  GREET E500 E500 E500 E500 E500 E500 E500 E500 E500 E500
	  E500 E500 E500 E500 E500 E500 E500 E500 E500 E500
	  "421 4.7.0 " HOST " Error: too many errors\r\n", "", -1, ERR_USAGE },
};

struct fake {
	const struct serve_case	*c;
	struct buf		 msgs;
	int			 n;
};

static int
fake_message(void *arg, struct envelope *env, int fd, off_t size, int *code,
    char *text, size_t textlen)
{
	struct fake	*f = arg;
	struct err	 e;
	const char	*r;
	char		 data[4096];
	ssize_t		 n;
	size_t		 i;
	off_t		 got = 0;
	int		 fail;

	assert_true(env->nrcpts > 0);
	assert_int_equal(addr_check_envelope(env->sender, &e), 0);
	buf_printf(&f->msgs, "<%s> ", env->sender);
	for (i = 0; i < env->nrcpts; i++) {
		assert_int_equal(addr_check_envelope(env->rcpts[i].addr, &e),
		    0);
		buf_printf(&f->msgs, "%s<%s>", i ? "," : "",
		    env->rcpts[i].addr);
	}
	buf_printf(&f->msgs, " body=%d%s\n", (int)env->body,
	    env->smtputf8 ? " utf8" : "");
	while ((n = read(fd, data, sizeof(data))) > 0) {
		buf_add(&f->msgs, data, (size_t)n);
		got += n;
	}
	assert_int_equal(got, size);
	buf_adds(&f->msgs, "~\n");

	r = f->n < 4 ? f->c->replies[f->n] : NULL;
	f->n++;
	if (r == NULL)
		r = "250 2.0.0 Ok: queued";
	/* "!" first: the handler fails (returns -1) with that code. */
	fail = r[0] == '!';
	r += fail;
	*code = (r[0] - '0') * 100 + (r[1] - '0') * 10 + (r[2] - '0');
	snprintf(text, textlen, "%s", r + 4);
	return fail ? -1 : 0;
}

static int
fake_rcpt(void *arg, struct envelope *env, const char *addr, int *code,
    char *text, size_t textlen)
{
	struct err	e;
	char		q[300];

	(void)arg;
	if (strcmp(addr, "nobody") == 0) {
		*code = 550;
		snprintf(text, textlen, "5.1.1 <%s>: no such user", addr);
		return -1;
	}
	if (addr_domain(addr) == NULL) {
		snprintf(q, sizeof(q), "%s@example.com", addr);
		addr = q;
	}
	if (envelope_add_rcpt(env, addr, &e) == -1) {
		*code = 451;
		return -1;
	}
	return 0;
}

static int
fake_mail(void *arg, struct envelope *env, const char *addr, int *code,
    char *text, size_t textlen)
{
	struct err	 e;
	const char	*d = addr_domain(addr);

	(void)arg;
	if (d != NULL && strcmp(d, "forbidden.example") == 0) {
		*code = 550;
		snprintf(text, textlen, "5.7.1 not your domain");
		return -1;
	}
	return envelope_set_sender(env, addr, &e);
}

static int
memfd_with(const char *data, size_t len)
{
	int	fd;

	fd = memfd_create("test_serve", MFD_CLOEXEC);
	assert_true(fd != -1);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void
slurp(int fd, struct buf *b)
{
	char	tmp[4096];
	ssize_t	n;

	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		assert_int_equal(buf_add(b, tmp, (size_t)n), 0);
}

static void
test_sessions(void **state)
{
	const struct serve_case	*c;
	struct serve_handler	 h;
	struct serve_params	 p;
	struct fake		 f;
	struct buf		 out;
	struct err		 e;
	size_t			 i, len;
	int			 in, outfd, rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		print_message("case: %s\n", c->name);
		len = c->inlen ? c->inlen : strlen(c->in);
		in = memfd_with(c->in, len);
		outfd = memfd_with("", 0);
		memset(&f, 0, sizeof(f));
		f.c = c;
		buf_init(&f.msgs, 1 << 20);
		memset(&h, 0, sizeof(h));
		h.arg = &f;
		h.message = fake_message;
		if (c->hooks & HOOK_RCPT)
			h.rcpt = fake_rcpt;
		if (c->hooks & HOOK_MAIL)
			h.mail = fake_mail;
		memset(&p, 0, sizeof(p));
		p.hostname = HOST;
		p.max_size = c->max_size;
		p.timeout = 5;

		rc = serve_run(in, outfd, &p, &h, &e);

		buf_init(&out, 1 << 20);
		slurp(outfd, &out);
		assert_string_equal(buf_str(&out), c->out);
		assert_string_equal(buf_str(&f.msgs), c->msgs);
		assert_int_equal(rc, c->rc);
		assert_int_equal(e.cls, c->cls);
		buf_free(&out);
		buf_free(&f.msgs);
		close(in);
		close(outfd);
	}
}

static void
add_repeat(struct buf *b, int c, size_t n)
{
	while (n-- > 0)
		assert_int_equal(buf_addc(b, c), 0);
}

/* Overlong command lines are refused and the session goes on. */
static void
test_long_line(void **state)
{
	struct serve_handler	 h;
	struct serve_params	 p;
	struct fake		 f;
	struct buf		 in, out;
	struct err		 e;
	int			 infd, outfd;

	(void)state;
	buf_init(&in, 1 << 20);
	buf_adds(&in, "HELO c\r\nMAIL FROM:<");
	add_repeat(&in, 'a', 100000);
	buf_adds(&in, "@x>\r\nNOOP\r\n");
	/* Exactly SERVE_LINE_MAX octets with the CRLF: accepted. */
	buf_adds(&in, "NOOP ");
	add_repeat(&in, 'b', SERVE_LINE_MAX - 7);
	buf_adds(&in, "\r\nNOOP ");
	/* One more: refused. */
	add_repeat(&in, 'c', SERVE_LINE_MAX - 6);
	/* Over 254 octets but under the line limit: refused by addr.c. */
	buf_adds(&in, "\r\nMAIL FROM:<");
	add_repeat(&in, 'd', 500);
	buf_adds(&in, "@x>\r\nQUIT\r\n");

	infd = memfd_with(in.data, in.len);
	outfd = memfd_with("", 0);
	memset(&f, 0, sizeof(f));
	buf_init(&f.msgs, 1024);
	memset(&h, 0, sizeof(h));
	h.arg = &f;
	h.message = fake_message;
	memset(&p, 0, sizeof(p));
	p.hostname = HOST;
	assert_int_equal(serve_run(infd, outfd, &p, &h, &e), 0);
	buf_init(&out, 4096);
	slurp(outfd, &out);
	assert_string_equal(buf_str(&out), GREET HELO_OK
	    "500 5.5.2 Error: line too long\r\n" OK OK
	    "500 5.5.2 Error: line too long\r\n" BAD_FROM BYE);
	buf_free(&in);
	buf_free(&out);
	buf_free(&f.msgs);
	close(infd);
	close(outfd);
}

/*
 * A big message in one stream, with a dot line every few octets: crosses
 * the reader's chunk boundaries in every state.
 */
static void
test_big_message(void **state)
{
	struct serve_handler	 h;
	struct serve_params	 p;
	struct fake		 f;
	struct buf		 in, want, out;
	struct err		 e;
	int			 infd, outfd, i, rc;

	(void)state;
	buf_init(&in, 8 << 20);
	buf_init(&want, 8 << 20);
	buf_adds(&in, "HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	buf_adds(&want, "<a@x> <b@y> body=0\n");
	for (i = 0; in.len < 3 * 1024 * 1024; i++) {
		if (i % 7 == 0) {
			buf_adds(&in, "\n");
			buf_adds(&want, "\r\n");
		}
		buf_printf(&in, "..%d line with some text\r\n", i);
		buf_printf(&want, ".%d line with some text\r\n", i);
	}
	buf_adds(&in, ".\r\nQUIT\r\n");
	buf_adds(&want, "~\n");

	infd = memfd_with(in.data, in.len);
	outfd = memfd_with("", 0);
	memset(&f, 0, sizeof(f));
	f.c = &cases[0];
	buf_init(&f.msgs, 8 << 20);
	memset(&h, 0, sizeof(h));
	h.arg = &f;
	h.message = fake_message;
	memset(&p, 0, sizeof(p));
	p.hostname = HOST;
	rc = serve_run(infd, outfd, &p, &h, &e);
	if (rc != 0)
		print_error("serve_run: %s\n", e.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(f.msgs.len, want.len);
	assert_memory_equal(f.msgs.data, want.data, want.len);
	buf_init(&out, 4096);
	slurp(outfd, &out);
	assert_string_equal(buf_str(&out), GREET HELO_OK MAIL_OK RCPT_OK
	    DATA_GO QUEUED BYE);
	buf_free(&in);
	buf_free(&want);
	buf_free(&out);
	buf_free(&f.msgs);
	close(infd);
	close(outfd);
}

/* An idle client gets 421 after the timeout; replies came before. */
static void
test_timeout(void **state)
{
	struct serve_handler	 h;
	struct serve_params	 p;
	struct fake		 f;
	struct buf		 out;
	struct err		 e;
	int			 pfd[2], outfd;

	(void)state;
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(write(pfd[1], "HELO c\r\nNOOP\r\n", 14), 14);
	outfd = memfd_with("", 0);
	memset(&f, 0, sizeof(f));
	buf_init(&f.msgs, 1024);
	memset(&h, 0, sizeof(h));
	h.arg = &f;
	h.message = fake_message;
	memset(&p, 0, sizeof(p));
	p.hostname = HOST;
	p.timeout = 1;
	assert_int_equal(serve_run(pfd[0], outfd, &p, &h, &e), -1);
	assert_int_equal(e.cls, ERR_TEMP);
	buf_init(&out, 4096);
	slurp(outfd, &out);
	assert_string_equal(buf_str(&out), GREET HELO_OK OK
	    "421 4.4.2 " HOST " Error: timeout exceeded\r\n");
	buf_free(&out);
	buf_free(&f.msgs);
	close(pfd[0]);
	close(pfd[1]);
	close(outfd);
}

/* A client that closed its end: the write fails with ERR_IO, no signal. */
static void
test_client_gone(void **state)
{
	struct serve_handler	 h;
	struct serve_params	 p;
	struct fake		 f;
	struct err		 e;
	int			 infd, pfd[2];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(pfd), 0);
	close(pfd[0]);
	infd = memfd_with("NOOP\r\n", 6);
	memset(&f, 0, sizeof(f));
	buf_init(&f.msgs, 1024);
	memset(&h, 0, sizeof(h));
	h.arg = &f;
	h.message = fake_message;
	memset(&p, 0, sizeof(p));
	assert_int_equal(serve_run(infd, pfd[1], &p, &h, &e), -1);
	assert_int_equal(e.cls, ERR_IO);
	buf_free(&f.msgs);
	close(infd);
	close(pfd[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_decode),
		cmocka_unit_test(test_data_invariant),
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_big_message),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_client_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
