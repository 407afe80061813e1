/*
 * test_cli.c -- the sendmail command line, as real callers write it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "config.h"

#define MAXARGS	24

struct case_ok {
	const char	*name;
	const char	*argv[MAXARGS];
	enum cli_mode	 mode;
	int		 t, i;
	const char	*sender, *full_name, *config;
	int		 delivery;
	size_t		 nrcpts;
	const char	*rcpt0, *rcpt_last;
};

static const struct case_ok ok_cases[] = {
	{ "php mail()", { "sendmail", "-t", "-i", NULL }, MODE_SUBMIT, 1, 1,
	  NULL, NULL, NULL, -1, 0, NULL, NULL },
	{ "php mail() 5th arg glued", { "sendmail", "-t", "-i",
	  "-fbounce@example.org", NULL }, MODE_SUBMIT, 1, 1,
	  "bounce@example.org", NULL, NULL, -1, 0, NULL, NULL },
	{ "phpmailer -t twice", { "sendmail", "-t", "-i", "-oi",
	  "-fweb@example.org", "-t", NULL }, MODE_SUBMIT, 1, 1,
	  "web@example.org", NULL, NULL, -1, 0, NULL, NULL },
	{ "debian cron", { "/usr/sbin/sendmail", "-FCronDaemon", "-i",
	  "-B8BITMIME", "-oem", "root", NULL }, MODE_SUBMIT, 0, 1, NULL,
	  "CronDaemon", NULL, -1, 1, "root", "root" },
	{ "cronie", { "sendmail", "-FCronDaemon", "-i", "-odi", "-oem",
	  "-oi", "-t", "-f", "user", NULL }, MODE_SUBMIT, 1, 1, "user",
	  "CronDaemon", NULL, CONFIG_DELIVERY_INTERACTIVE, 0, NULL, NULL },
	{ "s-nail", { "sendmail", "-i", "-F", "A Name", "-f", "a@x.org",
	  "--", "b@y.org", "c@z.org", NULL }, MODE_SUBMIT, 0, 1, "a@x.org",
	  "A Name", NULL, -1, 2, "b@y.org", "c@z.org" },
	{ "mutt", { "sendmail", "-oem", "-oi", "-B8BITMIME", "-f", "me@x.org",
	  "-N", "failure,delay", "-R", "hdrs", "--", "a@x.org", NULL },
	  MODE_SUBMIT, 0, 1, "me@x.org", NULL, NULL, -1, 1, "a@x.org",
	  "a@x.org" },
	{ "git send-email", { "sendmail", "-f", "alice@example.org", "-i",
	  "root", "bob@example.com", NULL }, MODE_SUBMIT, 0, 1,
	  "alice@example.org", NULL, NULL, -1, 2, "root", "bob@example.com" },
	{ "sudo", { "sendmail", "-t", NULL }, MODE_SUBMIT, 1, 0, NULL, NULL,
	  NULL, -1, 0, NULL, NULL },
	{ "grouped flags", { "sendmail", "-ti", NULL }, MODE_SUBMIT, 1, 1,
	  NULL, NULL, NULL, -1, 0, NULL, NULL },
	{ "-r synonym", { "sendmail", "-r", "x@y.org", "a@b.org", NULL },
	  MODE_SUBMIT, 0, 0, "x@y.org", NULL, NULL, -1, 1, "a@b.org",
	  "a@b.org" },
	{ "null sender", { "sendmail", "-f", "<>", "a@b.org", NULL },
	  MODE_SUBMIT, 0, 0, "<>", NULL, NULL, -1, 1, "a@b.org", "a@b.org" },
	{ "-C separate", { "sendmail", "-C", "/tmp/x.ini", "-bv", "a@b.org",
	  NULL }, MODE_VERIFY, 0, 0, NULL, NULL, "/tmp/x.ini", -1, 1,
	  "a@b.org", "a@b.org" },
	{ "-bs", { "sendmail", "-bs", NULL }, MODE_SERVE, 0, 0, NULL, NULL,
	  NULL, -1, 0, NULL, NULL },
	{ "-bp", { "sendmail", "-bp", NULL }, MODE_LIST, 0, 0, NULL, NULL,
	  NULL, -1, 0, NULL, NULL },
	{ "mailq name", { "/usr/bin/mailq", NULL }, MODE_LIST, 0, 0, NULL,
	  NULL, NULL, -1, 0, NULL, NULL },
	{ "newaliases name", { "newaliases", NULL }, MODE_NEWALIASES, 0, 0,
	  NULL, NULL, NULL, -1, 0, NULL, NULL },
	{ "-q", { "sendmail", "-q", NULL }, MODE_QUEUE_RUN, 0, 0, NULL, NULL,
	  NULL, -1, 0, NULL, NULL },
	{ "-odq -odb last wins", { "sendmail", "-odq", "-odb", "a@b.org",
	  NULL }, MODE_SUBMIT, 0, 0, NULL, NULL, NULL,
	  CONFIG_DELIVERY_BACKGROUND, 1, "a@b.org", "a@b.org" },
	{ "ignored options", { "sendmail", "-Am", "-G", "-h", "5", "-L", "tag",
	  "-m", "-n", "-U", "-c", "-e", "-x", "-oQ/tmp", "-oXyz", "a@b.org",
	  NULL }, MODE_SUBMIT, 0, 0, NULL, NULL, NULL, -1, 1, "a@b.org",
	  "a@b.org" },
	{ "options after recipients", { "sendmail", "a@b.org", "-i", NULL },
	  MODE_SUBMIT, 0, 1, NULL, NULL, NULL, -1, 1, "a@b.org", "a@b.org" },
	{ "-- then dash address", { "sendmail", "--", "-oQ/tmp", NULL },
	  MODE_SUBMIT, 0, 0, NULL, NULL, NULL, -1, 1, "-oQ/tmp", "-oQ/tmp" },
	{ "--version", { "sendmail", "--version", NULL }, MODE_VERSION, 0, 0,
	  NULL, NULL, NULL, -1, 0, NULL, NULL },
	{ "--help", { "sendmail", "--help", NULL }, MODE_HELP, 0, 0,
	  NULL, NULL, NULL, -1, 0, NULL, NULL },
	{ "--help as mailq", { "mailq", "--help", NULL }, MODE_HELP, 0, 0,
	  NULL, NULL, NULL, -1, 0, NULL, NULL },
	{ "comma list arg", { "sendmail", "a@x.org, b@y.org", NULL },
	  MODE_SUBMIT, 0, 0, NULL, NULL, NULL, -1, 1, "a@x.org, b@y.org",
	  "a@x.org, b@y.org" },
};

struct case_bad {
	const char	*name;
	const char	*argv[MAXARGS];
	const char	*needle;	/* expected in the message */
};

static const struct case_bad bad_cases[] = {
	{ "-X traffic log", { "sendmail", "-X", "/tmp/x.log", NULL }, "-X" },
	{ "-X glued (CVE-2016-10033)", { "sendmail", "-t", "-i",
	  "-fa@b.c", "-X/var/www/x.php", NULL }, "-X" },
	{ "-O", { "sendmail", "-OQueueDirectory=/tmp", NULL }, "-O" },
	{ "-bd", { "sendmail", "-bd", NULL }, "-bd" },
	{ "-bD", { "sendmail", "-bD", NULL }, "-bD" },
	{ "unknown -b", { "sendmail", "-bz", NULL }, "-bz" },
	{ "unknown letter", { "sendmail", "-k", NULL }, "-k" },
	{ "unknown long", { "sendmail", "--foo", NULL }, "--foo" },
	{ "-f missing arg", { "sendmail", "-f", NULL }, "argument" },
	{ "-f with LF", { "sendmail", "-f", "a@b\nRCPT TO:<x@y>", NULL },
	  "control" },
	{ "-F with LF", { "sendmail", "-F", "N\nBcc: e@x", NULL },
	  "control" },
	{ "-N bad", { "sendmail", "-N", "sometimes", NULL }, "-N" },
	{ "-N never+x", { "sendmail", "-N", "never,success", NULL }, "-N" },
	{ "-N with CR", { "sendmail", "-N", "failure\r", NULL }, "-N" },
	{ "-R bad", { "sendmail", "-R", "all", NULL }, "-R" },
	{ "-V with space", { "sendmail", "-V", "a b", NULL }, "-V" },
	{ "-B bad", { "sendmail", "-B", "BINARYMIME", NULL }, "-B" },
	{ "-qR empty", { "sendmail", "-qR", NULL }, "-qR needs" },
	{ "-qS separate", { "sendmail", "-qS", "a@b", NULL }, "-qS needs" },
	{ "-q!R", { "sendmail", "-q!Rexample.org", NULL }, "-q!R" },
	{ "-qR + -q5m", { "sendmail", "-qRx", "-q5m", NULL }, "-qINTERVAL" },
	{ "-qR + -bp", { "sendmail", "-qRx", "-bp", NULL }, "another mode" },
	{ "--json without -bp", { "sendmail", "--json", NULL }, "--json" },
	{ "--delete nothing", { "sendmail", "--delete", NULL }, "--delete" },
	{ "-od bad", { "sendmail", "-odx", NULL }, "-odx" },
	{ "-oe bad", { "sendmail", "-oex", NULL }, "-oex" },
	{ "-I", { "sendmail", "-I", NULL }, "-I" },
};

static int
count(const char *const *v)
{
	int	n = 0;

	while (v[n] != NULL)
		n++;
	return n;
}

static void
test_ok(void **state)
{
	const struct case_ok	*c;
	struct opts		 o;
	struct err		 e;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		c = &ok_cases[i];
		print_message("case: %s\n", c->name);
		assert_int_equal(cli_parse(&o, count(c->argv),
		    (char **)c->argv, &e), 0);
		assert_int_equal(o.mode, c->mode);
		assert_int_equal(o.extract_rcpts, c->t);
		assert_int_equal(o.ignore_dots, c->i);
		if (c->sender)
			assert_string_equal(o.sender, c->sender);
		else
			assert_null(o.sender);
		if (c->full_name)
			assert_string_equal(o.full_name, c->full_name);
		if (c->config)
			assert_string_equal(o.config, c->config);
		assert_int_equal(o.delivery, c->delivery);
		assert_int_equal(o.nrcpts, c->nrcpts);
		if (c->nrcpts) {
			assert_string_equal(o.rcpts[0], c->rcpt0);
			assert_string_equal(o.rcpts[o.nrcpts - 1],
			    c->rcpt_last);
		}
		cli_free(&o);
	}
}

static void
test_bad(void **state)
{
	const struct case_bad	*c;
	struct opts		 o;
	struct err		 e;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		c = &bad_cases[i];
		print_message("case: %s\n", c->name);
		assert_int_equal(cli_parse(&o, count(c->argv),
		    (char **)c->argv, &e), -1);
		assert_int_equal(e.cls, ERR_USAGE);
		assert_non_null(strstr(e.msg, c->needle));
		assert_null(strchr(e.msg, '\n'));
		cli_free(&o);
	}
}

static void
test_values(void **state)
{
	const char	*argv[] = { "sendmail", "-N", "Failure,Delay", "-R",
	    "headers", "-V", "env-1", "-B", "7bit", "-q5m", NULL };
	struct opts	 o;
	struct err	 e;

	(void)state;
	assert_int_equal(cli_parse(&o, count(argv), (char **)argv, &e), 0);
	assert_string_equal(o.dsn_notify, "Failure,Delay");
	assert_string_equal(o.dsn_ret, "HDRS");
	assert_string_equal(o.dsn_envid, "env-1");
	assert_int_equal(o.body, BODY_7BIT);
	assert_int_equal(o.mode, MODE_QUEUE_RUN);
	assert_int_equal(o.queue_interval, 300);
	cli_free(&o);
	assert_int_equal(cli_parse_interval("90"), 90);
	assert_int_equal(cli_parse_interval("2h"), 7200);
	assert_int_equal(cli_parse_interval("1d"), 86400);
	assert_int_equal(cli_parse_interval("5x"), -1);
	assert_int_equal(cli_parse_interval("m"), -1);
	assert_int_equal(cli_parse_interval("5mm"), -1);
	assert_int_equal(cli_parse_interval("-5"), -1);
}

/* The queue tools: -qI/-qR/-qS, --json, --delete. */
static void
test_queue_tools(void **state)
{
	const char	*sel[] = { "sendmail", "-qRexample.org", "-qSalice",
	    "-qI06B0", "-qRbob", NULL };
	const char	*json[] = { "mailq", "--json", NULL };
	const char	*json2[] = { "sendmail", "--json", "-bp", NULL };
	const char	*del[] = { "sendmail", "--delete", "ID1", "ID2", NULL };
	struct opts	 o;
	struct err	 e;

	(void)state;
	assert_int_equal(cli_parse(&o, count(sel), (char **)sel, &e), 0);
	assert_int_equal(o.mode, MODE_QUEUE_RUN);
	assert_int_equal(o.queue_interval, 0);
	assert_int_equal(o.nqselect, 4);
	assert_int_equal(o.qselect[0].kind, 'R');
	assert_string_equal(o.qselect[0].substr, "example.org");
	assert_int_equal(o.qselect[1].kind, 'S');
	assert_string_equal(o.qselect[1].substr, "alice");
	assert_int_equal(o.qselect[2].kind, 'I');
	assert_string_equal(o.qselect[2].substr, "06B0");
	assert_string_equal(o.qselect[3].substr, "bob");
	cli_free(&o);
	assert_int_equal(cli_parse(&o, count(json), (char **)json, &e), 0);
	assert_int_equal(o.mode, MODE_LIST);
	assert_int_equal(o.json, 1);
	cli_free(&o);
	assert_int_equal(cli_parse(&o, count(json2), (char **)json2, &e), 0);
	assert_int_equal(o.mode, MODE_LIST);
	cli_free(&o);
	assert_int_equal(cli_parse(&o, count(del), (char **)del, &e), 0);
	assert_int_equal(o.mode, MODE_DELETE);
	assert_int_equal(o.nrcpts, 2);
	assert_string_equal(o.rcpts[1], "ID2");
	cli_free(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_queue_tools),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
