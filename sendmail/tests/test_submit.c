/*
 * test_submit.c -- what main.c used to decide and only end-to-end tests
 * saw: the envelope sender (-f, the [sender] default, MAILER-DAEMON),
 * recipients qualified and checked, and one submission read, spooled and
 * committed with -odq.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli.h"
#include "fixture.h"
#include "submit.h"

static void
params(struct submit_params *p, const char *domain, const char *from,
    int allow)
{
	memset(p, 0, sizeof(*p));
	p->domain = domain;
	p->hostname = "host.example";
	p->user = "alice";
	p->from = from;
	p->allow_from_override = allow;
	p->config_path = "test.ini";
	p->tmpdir = "/tmp";
	queue_params_init(&p->qp);
}

struct sender_case {
	const char	*domain, *from;
	int		 allow;
	const char	*arg;		/* -f; NULL: none */
	int		 rc;
	enum err_class	 cls;
	const char	*sender;
};

static const struct sender_case sender_cases[] = {
	{ NULL, NULL, 1, NULL, 0, ERR_OK, "alice@host.example" },
	{ "ex.org", NULL, 1, NULL, 0, ERR_OK, "alice@ex.org" },
	{ "ex.org", "%u+x@%h", 1, NULL, 0, ERR_OK, "alice+x@host.example" },
	{ "ex.org", "100%%@ex.org", 1, NULL, 0, ERR_OK, "100%@ex.org" },
	{ "ex.org", NULL, 1, "bob", 0, ERR_OK, "bob@ex.org" },
	{ "ex.org", NULL, 1, "Bob <bob@b.org>", 0, ERR_OK, "bob@b.org" },
	{ "ex.org", NULL, 1, "", 0, ERR_OK, "" },
	{ "ex.org", NULL, 1, "<>", 0, ERR_OK, "" },
	{ "ex.org", NULL, 1, "mailer-daemon", 0, ERR_OK, "" },
	{ "ex.org", NULL, 0, "bob", -1, ERR_NOPERM, NULL },
	{ "ex.org", NULL, 1, "a@b@c", -1, ERR_USAGE, NULL },
	{ "ex.org", "-oQ/tmp", 1, NULL, -1, ERR_CONFIG, NULL },
};

static void
test_sender(void **state)
{
	struct submit_params	p;
	struct envelope		env;
	struct err		e;
	size_t			i;
	int			rc;

	(void)state;
	for (i = 0; i < sizeof(sender_cases) / sizeof(sender_cases[0]); i++) {
		const struct sender_case *c = &sender_cases[i];

		params(&p, c->domain, c->from, c->allow);
		envelope_init(&env);
		err_clear(&e);
		rc = submit_sender(&p, c->arg, &env, 1, &e);
		if (rc != c->rc || (rc == -1 && e.cls != c->cls))
			fail_msg("case %zu: rc %d class %d (%s)", i, rc, e.cls,
			    e.msg);
		if (rc == 0)
			assert_string_equal(env.sender, c->sender);
		envelope_free(&env);
	}
	/* A bad -f keeps the parser's reason after the argument. */
	params(&p, "ex.org", NULL, 1);
	envelope_init(&env);
	assert_int_equal(submit_sender(&p, "a@b@c", &env, 1, &e), -1);
	assert_true(strncmp(e.msg, "-f a@b@c: address: ", 19) == 0);
	envelope_free(&env);
}

struct rcpt_case {
	const char	*domain;
	const char	*list;
	int		 rc;
	size_t		 n;
	const char	*first;
};

static const struct rcpt_case rcpt_cases[] = {
	{ "ex.org", "bob", 0, 1, "bob@ex.org" },
	{ "ex.org", "bob, carol@c.org, Bob <bob@EX.ORG>", 0, 2, "bob@ex.org" },
	{ NULL, "bob", -1, 0, NULL },	/* no domain to qualify with */
	{ NULL, "bob@b.org", 0, 1, "bob@b.org" },
	{ "ex.org", "-oQ/tmp", -1, 0, NULL },
	{ "ex.org", "a@", -1, 0, NULL },
};

static void
test_rcpts(void **state)
{
	struct submit_params	p;
	struct envelope		env;
	struct err		e;
	size_t			i;
	int			rc;

	(void)state;
	for (i = 0; i < sizeof(rcpt_cases) / sizeof(rcpt_cases[0]); i++) {
		const struct rcpt_case *c = &rcpt_cases[i];

		params(&p, c->domain, NULL, 1);
		envelope_init(&env);
		rc = submit_add_list(&p, NULL, &env, c->list, strlen(c->list),
		    ERR_USAGE, &e);
		if (rc != c->rc)
			fail_msg("case %zu: rc %d (%s)", i, rc, e.msg);
		if (rc == -1)
			assert_int_equal(e.cls, ERR_USAGE);	/* as asked */
		else {
			assert_int_equal(env.nrcpts, c->n);
			assert_string_equal(env.rcpts[0].addr, c->first);
		}
		envelope_free(&env);
	}
}

/* A file holding text, at offset 0, for stdin. */
static int
input(const char *text)
{
	char	path[] = "/tmp/test_submit.in.XXXXXX";
	int	fd;

	assert_true((fd = mkstemp(path)) >= 0);
	unlink(path);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* -t -odq: recipients from the headers, committed to q/, 8 bit noticed. */
static void
test_read_queue_only(void **state)
{
	struct submit_params	 p;
	struct submit		*s;
	struct opts		 o;
	struct err		 e;
	char			 dir[64];
	int			 fd;

	(void)state;
	fx_mkdtemp(dir, sizeof(dir), "test_submit");
	params(&p, "ex.org", NULL, 1);
	p.queue_enabled = 1;
	p.queue_dir = dir;
	p.how = SUBMIT_QUEUE;
	memset(&o, 0, sizeof(o));
	o.extract_rcpts = 1;
	o.ignore_dots = 1;
	fd = input("To: bob, carol@c.org\nSubject: caf\xc3\xa9\n\nhi\n");
	assert_int_equal(submit_read(&s, &p, &o, fd, &e), 0);
	close(fd);
	assert_int_equal(submit_how(s), SUBMIT_QUEUE);
	assert_int_equal(fx_count(dir, "tmp", ".data"), 1);
	assert_int_equal(submit_commit(s, &e), 0);
	submit_free(s);
	assert_int_equal(fx_count(dir, "q", ".ctl"), 1);
	assert_int_equal(fx_count(dir, "q", ".data"), 1);
	assert_int_equal(fx_count(dir, "tmp", ""), 0);
	fx_rmtree(dir);

	/* No recipients: ERR_USAGE, and nothing is left behind. */
	fx_mkdtemp(dir, sizeof(dir), "test_submit");
	p.queue_dir = dir;
	o.extract_rcpts = 0;
	fd = input("Subject: x\n\nhi\n");
	assert_int_equal(submit_read(&s, &p, &o, fd, &e), -1);
	close(fd);
	assert_int_equal(e.cls, ERR_USAGE);
	assert_null(s);
	assert_int_equal(fx_count(dir, "tmp", ""), -1);	/* not even made */
	fx_rmtree(dir);
}

/* -odq with a queue that cannot be opened: its error, not a scratch file. */
static void
test_read_queue_unusable(void **state)
{
	struct submit_params	 p;
	struct submit		*s;
	struct opts		 o;
	struct err		 e;
	char			*rcpts[] = { (char *)"bob" };
	int			 fd;

	(void)state;
	params(&p, "ex.org", NULL, 1);
	p.queue_enabled = 1;
	p.queue_dir = "/proc/nonexistent/queue";
	p.how = SUBMIT_QUEUE;
	memset(&o, 0, sizeof(o));
	o.rcpts = rcpts;
	o.nrcpts = 1;
	fd = input("Subject: x\n\nhi\n");
	assert_int_equal(submit_read(&s, &p, &o, fd, &e), -1);
	close(fd);
	assert_int_equal(e.cls, ERR_CANTCREAT);
	/* Interactive: a scratch file takes it, and delivery decides. */
	p.how = SUBMIT_NOW;
	fd = input("Subject: x\n\nhi\n");
	assert_int_equal(submit_read(&s, &p, &o, fd, &e), 0);
	close(fd);
	assert_int_equal(submit_how(s), SUBMIT_NOW);
	submit_free(s);
}


/* -bs through submit.c's handlers, the smarthost failing as told. */
static int
open_fails(void *arg, struct smtp_session **sp, struct err *e)
{
	const enum err_class	*cls = arg;

	*sp = NULL;
	err_set(e, *cls, "smarthost said: %s", *cls == ERR_UNAVAILABLE ?
	    "554 5.7.1 go away" : "451 4.7.1 greylisted");
	return -2;
}

struct bs_case {
	const char	*name;
	enum err_class	 cls;
	int		 queue;
	const char	*reply;		/* to the final dot */
};

static const struct bs_case bs_cases[] = {
	{ "temporary, queued", ERR_TEMP, 1, "250 2.0.0 queued as " },
	{ "temporary, no queue", ERR_TEMP, 0, "451 4.7.1 smarthost said: " },
	{ "refused", ERR_UNAVAILABLE, 1, "554 5.7.1 smarthost said: " },
	{ "refused, no queue", ERR_UNAVAILABLE, 0, "554 5.7.1 smarthost " },
};

static void
test_serve_handlers(void **state)
{
	const char	*session = "EHLO me\r\nMAIL FROM:<s@ex.org>\r\n"
	    "RCPT TO:<bob>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n";
	struct submit_params	 p;
	struct submit_serve	*c;
	struct serve_handler	 h;
	struct serve_params	 sp;
	struct err		 e;
	enum err_class		 cls;
	char			 dir[64], out[4096];
	char			 path[] = "/tmp/test_submit.out.XXXXXX";
	size_t			 i;
	ssize_t			 n;
	int			 in, ofd;

	(void)state;
	for (i = 0; i < sizeof(bs_cases) / sizeof(bs_cases[0]); i++) {
		fx_mkdtemp(dir, sizeof(dir), "test_submit");
		params(&p, "ex.org", NULL, 1);
		p.queue_enabled = bs_cases[i].queue;
		p.queue_dir = dir;
		cls = bs_cases[i].cls;
		p.dp.open = open_fails;
		p.dp.open_arg = &cls;
		assert_int_equal(submit_serve_new(&c, &p, &h, &e), 0);
		memset(&sp, 0, sizeof(sp));
		sp.hostname = "test";
		in = input(session);
		snprintf(path, sizeof(path), "/tmp/test_submit.out.XXXXXX");
		assert_true((ofd = mkstemp(path)) >= 0);
		unlink(path);
		assert_int_equal(serve_run(in, ofd, &sp, &h, &e), 0);
		submit_serve_free(c);
		n = pread(ofd, out, sizeof(out) - 1, 0);
		assert_true(n > 0);
		out[n] = '\0';
		if (strstr(out, bs_cases[i].reply) == NULL)
			fail_msg("%s: no '%s' in\n%s", bs_cases[i].name,
			    bs_cases[i].reply, out);
		close(in);
		close(ofd);
		assert_int_equal(fx_count(dir, "q", ".ctl"),
		    bs_cases[i].queue && cls == ERR_TEMP ? 1 :
		    bs_cases[i].queue ? 0 : -1);
		fx_rmtree(dir);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sender),
		cmocka_unit_test(test_rcpts),
		cmocka_unit_test(test_read_queue_only),
		cmocka_unit_test(test_read_queue_unusable),
		cmocka_unit_test(test_serve_handlers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
