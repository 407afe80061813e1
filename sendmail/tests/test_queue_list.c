/*
 * test_queue_list.c -- unit tests for mailq and the queue tools: the
 * JSON string writer, Postfix's mailq format, the JSON listing, -qI/-qR/-qS
 * selection, --delete (locks, unknown ids, failed/) and the run summary.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "envelope.h"
#include "err.h"
#include "json.h"
#include "queue.h"
#include "queue_list.h"
#include "fixture.h"

static int
exists(const struct tq *t, const char *sub, const char *id,
    const char *suffix)
{
	char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/%s%s", t->dir, sub, id, suffix);
	return access(path, F_OK) == 0;
}

/* Write qe as an entry of sub ("q" or "failed"), data of qe->size octets. */
static void
put_entry(const struct tq *t, const char *sub, const struct queue_entry *qe)
{
	struct buf	 b;
	struct err	 e;
	char		 path[PATH_MAX];
	FILE		*fp;
	off_t		 i;

	buf_init(&b, QUEUE_CTL_MAX);
	assert_int_equal(queue_ctl_format(qe, &b, &e), 0);
	snprintf(path, sizeof(path), "%s/%s/%s.ctl", t->dir, sub, qe->id);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fwrite(b.data, 1, b.len, fp), b.len);
	fclose(fp);
	buf_free(&b);
	snprintf(path, sizeof(path), "%s/%s/%s.data", t->dir, sub, qe->id);
	assert_non_null(fp = fopen(path, "w"));
	for (i = 0; i < qe->size; i++)
		fputc('x', fp);
	fclose(fp);
}

static void
make_entry(struct queue_entry *qe, const char *id, const char *sender,
    time_t created, off_t size)
{
	struct err	e;

	queue_entry_init(qe);
	memcpy(qe->id, id, QUEUE_ID_SIZE);
	qe->created = created;
	qe->next_attempt = created + 300;
	qe->attempts = 1;
	qe->size = size;
	assert_int_equal(envelope_set_sender(&qe->env, sender, &e), 0);
}

static void
add_rcpt(struct queue_entry *qe, const char *addr, enum rcpt_state st,
    const char *reply)
{
	struct err	e;

	assert_int_equal(envelope_add_rcpt(&qe->env, addr, &e), 0);
	qe->env.rcpts[qe->env.nrcpts - 1].state = st;
	if (reply != NULL)
		assert_int_equal(envelope_set_reply(
		    &qe->env.rcpts[qe->env.nrcpts - 1], reply), 0);
}

/* The listing in fmt; p (own_only) says whose locks may be probed. */
static char *
list_with(struct queue *q, enum queue_list_format fmt,
    const struct queue_params *p)
{
	char		*buf = NULL;
	size_t		 len = 0;
	FILE		*fp;
	struct err	 e;

	assert_non_null(fp = open_memstream(&buf, &len));
	assert_int_equal(queue_list(q, fp, fmt, p, &e), 0);
	fclose(fp);
	return buf;
}

static char *
list_to_string(struct queue *q, enum queue_list_format fmt)
{
	return list_with(q, fmt, NULL);
}

#define ID_A	"06A0000000000000000000AA"
#define ID_B	"06A0000000000000000000BB"
#define ID_C	"06A0000000000000000000CC"
#define T0	1700000000	/* Tue Nov 14 22:13:20 2023 UTC */

/* ---- the JSON string writer ------------------------------------------ */

static void
test_json_string(void **state)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*out;
	} c[] = {
		{ "", 0, "\"\"" },
		{ "abc", 3, "\"abc\"" },
		{ "a\"b\\c/", 6, "\"a\\\"b\\\\c/\"" },
		{ "\x01\x1f\x7f\n\t", 5, "\"\\u0001\\u001f\\u007f\\u000a\\u0009\"" },
		{ "a\0b", 3, "\"a\\u0000b\"" },
		{ "caf\xc3\xa9", 5, "\"caf\xc3\xa9\"" },		/* é */
		{ "\xe2\x82\xac", 3, "\"\xe2\x82\xac\"" },		/* € */
		{ "\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"" },	/* U+1F600 */
		{ "\xf4\x8f\xbf\xbf", 4, "\"\xf4\x8f\xbf\xbf\"" },	/* U+10FFFF */
		{ "\xff", 1, "\"\\ufffd\"" },
		{ "\xc3", 1, "\"\\ufffd\"" },			/* truncated */
		{ "\xc3" "a", 2, "\"\\ufffda\"" },
		{ "\xc0\xaf", 2, "\"\\ufffd\\ufffd\"" },		/* overlong / */
		{ "\xe0\x80\xaf", 3, "\"\\ufffd\\ufffd\\ufffd\"" },	/* overlong */
		{ "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"" },	/* surrogate */
		{ "\xf4\x90\x80\x80", 4,
		    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },		/* > U+10FFFF */
		{ "\xf8\x88\x80\x80\x80", 5,
		    "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ "\x80x", 2, "\"\\ufffdx\"" },			/* lone continuation */
	};
	struct buf	b;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		buf_init(&b, 1024);
		assert_int_equal(json_put_string(&b, c[i].in, c[i].len), 0);
		assert_int_equal(buf_addc(&b, '\0'), 0);
		if (strcmp(b.data, c[i].out) != 0)
			fail_msg("case %zu: got %s, want %s", i, b.data,
			    c[i].out);
		buf_free(&b);
	}
	/* The buffer's limit is an error, not an overflow. */
	buf_init(&b, 4);
	assert_int_equal(json_put_string(&b, "abcdef", 6), -1);
	buf_free(&b);
}

/* ---- mailq ------------------------------------------------------------ */

static void
test_list_empty(void **state)
{
	struct tq	 t;
	struct queue	*q;
	struct err	 e;
	char		*out;

	(void)state;
	tq_open(&t);
	out = list_to_string(t.q, QUEUE_LIST_MAILQ);
	assert_string_equal(out, "Mail queue is empty\n");
	free(out);
	out = list_to_string(t.q, QUEUE_LIST_JSON);
	assert_string_equal(out, "");
	free(out);
	tq_close(&t);
	/* A queue directory that does not exist reads as empty. */
	assert_int_equal(queue_open(&q, "/nonexistent/postern", 0, &e), 0);
	out = list_to_string(q, QUEUE_LIST_MAILQ);
	assert_string_equal(out, "Mail queue is empty\n");
	free(out);
	queue_close(q);
}

/*
 * The whole listing, octet for octet, against Postfix's showq formats:
 * heading, entry line (id, '!' for failed/, size, asctime's first 20
 * characters, sender or MAILER-DAEMON), right-aligned reasons only when
 * they change, recipients at column 42, blank lines between entries, the
 * footer with the total in Kbytes.
 */
static void
test_list_postfix_format(void **state)
{
	static const char want[] =
	    "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n"
	    "06A0000000000000000000AA    2048 Tue Nov 14 22:13:20  alice@example.com\n"
	    "                                                         (451 4.3.0 try later)\n"
	    "                                         tmp1@example.net\n"
	    "                                         tmp2@example.net\n"
	    "                                                          (reason unavailable)\n"
	    "                                         new@example.net\n"
	    "\n"
	    "06A0000000000000000000BB     100 Tue Nov 14 22:30:00  MAILER-DAEMON\n"
	    "                                        (connect to smtp.example.com: refused)\n"
	    "                                         alice@example.com\n"
	    "\n"
	    "06A0000000000000000000AA!    2048 Tue Nov 14 22:13:20  alice@example.com\n"
	    "                                            (550 5.1.1 no such user: bad user)\n"
	    "                                         bad@example.net\n"
	    "\n"
	    "-- 4 Kbytes in 3 Requests.\n";
	struct queue_entry	a, b, f;
	struct tq		t;
	char			*out;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	tq_open(&t);
	make_entry(&a, ID_A, "alice@example.com", T0, 2048);
	add_rcpt(&a, "ok@example.net", RCPT_SENT, "250 2.0.0 ok");
	add_rcpt(&a, "tmp1@example.net", RCPT_DEFERRED, "451 4.3.0 try later");
	add_rcpt(&a, "tmp2@example.net", RCPT_DEFERRED, "451 4.3.0 try later");
	add_rcpt(&a, "new@example.net", RCPT_PENDING, NULL);
	put_entry(&t, "q", &a);
	make_entry(&b, ID_B, "", T0 + 1000, 100);
	b.last_error = strdup("connect to smtp.example.com: refused");
	add_rcpt(&b, "alice@example.com", RCPT_PENDING, NULL);
	put_entry(&t, "q", &b);
	make_entry(&f, ID_A, "alice@example.com", T0, 2048);
	add_rcpt(&f, "bad@example.net", RCPT_FAILED,
	    "550 5.1.1 no such user: bad\x1buser");
	add_rcpt(&f, "tmp1@example.net", RCPT_DEFERRED, "451 4.3.0 try later");
	put_entry(&t, "failed", &f);
	/* The control file keeps no control octet (it holds a space). */
	out = list_to_string(t.q, QUEUE_LIST_MAILQ);
	if (strcmp(out, want) != 0)
		fail_msg("got:\n%s\nwant:\n%s", out, want);
	free(out);
	queue_entry_free(&a);
	queue_entry_free(&b);
	queue_entry_free(&f);
	tq_close(&t);
}

/* A malformed control file in failed/ is listed, and counted. */
static void
test_list_malformed(void **state)
{
	struct tq	 t;
	char		 path[PATH_MAX], *out;
	FILE		*fp;

	(void)state;
	tq_open(&t);
	snprintf(path, sizeof(path), "%s/failed/%s.bad", t.dir, ID_C);
	assert_non_null(fp = fopen(path, "w"));
	fputs("POSTERN-QUEUE 1\ngarbage", fp);
	fclose(fp);
	out = list_to_string(t.q, QUEUE_LIST_MAILQ);
	assert_non_null(strstr(out, ID_C "!       0 "));
	assert_non_null(strstr(out, "(malformed control file, kept as "
	    "failed/" ID_C ".bad)\n"));
	assert_non_null(strstr(out, "\n-- 0 Kbytes in 1 Request.\n"));
	free(out);
	out = list_to_string(t.q, QUEUE_LIST_JSON);
	assert_non_null(strstr(out, "\"queue_name\": \"failed\", "
	    "\"queue_id\": \"" ID_C "\""));
	assert_non_null(strstr(out, "\"recipients\": [], \"error\": "
	    "\"malformed control file\"}\n"));
	free(out);
	tq_close(&t);
}

/* JSON: Postfix's field names, every recipient with its state. */
static void
test_list_json(void **state)
{
	static const char want[] =
	    "{\"queue_name\": \"deferred\", \"queue_id\": \"" ID_A "\", "
	    "\"arrival_time\": 1700000000, \"message_size\": 10, "
	    "\"forced_expire\": false, \"sender\": \"al\xc3\xaf" "ce@example.com\", "
	    "\"active\": false, \"attempts\": 1, \"next_attempt\": 1700000300, \"recipients\": ["
	    "{\"address\": \"ok@example.net\", \"state\": \"sent\"}, "
	    "{\"address\": \"t@example.net\", \"state\": \"deferred\", "
	    "\"delay_reason\": \"451 \\\"q\\\" \\\\ \\ufffd\\ufffd end\"}, "
	    "{\"address\": \"n@example.net\", \"state\": \"pending\", "
	    "\"delay_reason\": \"conn\\ufffd\"}]}\n"
	    "{\"queue_name\": \"failed\", \"queue_id\": \"" ID_B "\", "
	    "\"arrival_time\": 1700000001, \"message_size\": 3, "
	    "\"forced_expire\": false, \"sender\": \"\", "
	    "\"active\": false, \"attempts\": 1, \"next_attempt\": null, \"recipients\": ["
	    "{\"address\": \"b@example.net\", \"state\": \"failed\", "
	    "\"delay_reason\": \"550 no\"}]}\n";
	struct queue_entry	a, b;
	struct tq		t;
	char			*out;

	(void)state;
	tq_open(&t);
	make_entry(&a, ID_A, "al\xc3\xaf" "ce@example.com", T0, 10);
	a.last_error = strdup("conn\xfe");
	add_rcpt(&a, "ok@example.net", RCPT_SENT, "250 ok");
	add_rcpt(&a, "t@example.net", RCPT_DEFERRED,
	    "451 \"q\" \\ \xc0\xaf end");
	add_rcpt(&a, "n@example.net", RCPT_PENDING, NULL);
	put_entry(&t, "q", &a);
	make_entry(&b, ID_B, "", T0 + 1, 3);
	add_rcpt(&b, "b@example.net", RCPT_FAILED, "550 no");
	put_entry(&t, "failed", &b);
	out = list_to_string(t.q, QUEUE_LIST_JSON);
	if (strcmp(out, want) != 0)
		fail_msg("got:\n%s\nwant:\n%s", out, want);
	free(out);
	queue_entry_free(&a);
	queue_entry_free(&b);
	tq_close(&t);
}

/*
 * An entry whose lock another open file holds (a runner delivering it) is
 * marked '*' after its id and "active": true; the others are not, nor is
 * a failed/ entry; the probe leaves the holder's lock in place and takes
 * none that stays.  With own_only another user's entry is not probed, so
 * never marked.
 */
static void
test_list_active(void **state)
{
	struct queue_params	 p;
	struct queue_entry	 a, b, f;
	struct tq		 t;
	char			 path[PATH_MAX], *out;
	int			 held, fd;

	(void)state;
	tq_open(&t);
	make_entry(&a, ID_A, "alice@example.com", T0, 5);
	add_rcpt(&a, "x@example.net", RCPT_DEFERRED, "451 later");
	a.owner = 1000;
	put_entry(&t, "q", &a);
	make_entry(&b, ID_B, "bob@example.com", T0 + 1, 5);
	add_rcpt(&b, "y@example.net", RCPT_PENDING, NULL);
	b.owner = 1001;
	put_entry(&t, "q", &b);
	make_entry(&f, ID_C, "carol@example.com", T0 + 2, 5);
	add_rcpt(&f, "z@example.net", RCPT_FAILED, "550 no");
	put_entry(&t, "failed", &f);
	snprintf(path, sizeof(path), "%s/q/%s.data", t.dir, ID_B);
	assert_true((held = open(path, O_RDONLY)) != -1);
	assert_int_equal(flock(held, LOCK_EX | LOCK_NB), 0);
	snprintf(path, sizeof(path), "%s/failed/%s.data", t.dir, ID_C);
	assert_true((fd = open(path, O_RDONLY)) != -1);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);

	out = list_to_string(t.q, QUEUE_LIST_MAILQ);
	assert_non_null(strstr(out, "\n" ID_B "*       5 "));
	assert_non_null(strstr(out, "\n" ID_A "       5 "));
	assert_non_null(strstr(out, "\n" ID_C "!       5 "));
	assert_null(strstr(out, ID_A "*"));
	free(out);
	out = list_to_string(t.q, QUEUE_LIST_JSON);
	assert_non_null(strstr(out, "\"queue_id\": \"" ID_B "\", "
	    "\"arrival_time\": 1700000001, \"message_size\": 5, "
	    "\"forced_expire\": false, \"sender\": \"bob@example.com\", "
	    "\"active\": true,"));
	assert_non_null(strstr(out, "\"sender\": \"alice@example.com\", "
	    "\"active\": false,"));
	assert_non_null(strstr(out, "\"sender\": \"carol@example.com\", "
	    "\"active\": false,"));
	free(out);
	/* The holder still holds it; A is free for a runner. */
	snprintf(path, sizeof(path), "%s/q/%s.data", t.dir, ID_B);
	assert_true((fd = open(path, O_RDONLY)) != -1);
	assert_int_equal(flock(fd, LOCK_SH | LOCK_NB), -1);
	close(fd);
	snprintf(path, sizeof(path), "%s/q/%s.data", t.dir, ID_A);
	assert_true((fd = open(path, O_RDONLY)) != -1);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);

	/* A set-gid user's listing probes only the user's own entries. */
	queue_params_init(&p);
	p.own_only = 1;
	p.own_uid = 1000;
	assert_non_null(out = list_with(t.q, QUEUE_LIST_MAILQ, &p));
	assert_null(strstr(out, ID_B "*"));
	free(out);
	p.own_uid = 1001;
	assert_non_null(out = list_with(t.q, QUEUE_LIST_MAILQ, &p));
	assert_non_null(strstr(out, ID_B "*"));
	free(out);
	close(held);
	queue_entry_free(&a);
	queue_entry_free(&b);
	queue_entry_free(&f);
	tq_close(&t);
}

/* ---- -qI, -qR, -qS ----------------------------------------------------- */

static void
test_select(void **state)
{
	static const struct {
		const char	*spec;	/* "KIND:substr KIND:substr" */
		int		 match;
	} c[] = {
		{ "I:0000AA", 1 },
		{ "I:0000aa", 0 },		/* ids: case-sensitive */
		{ "I:0000BB", 0 },
		{ "R:EXAMPLE.NET", 1 },		/* addresses: not */
		{ "R:bob@", 1 },
		{ "R:carol", 0 },
		{ "S:Alice@", 1 },
		{ "S:bob", 0 },			/* a recipient, not the sender */
		{ "R:carol R:bob", 1 },		/* same kind: either */
		{ "R:bob S:nobody", 0 },	/* different kinds: both */
		{ "R:bob S:alice I:AA", 1 },
		{ "", 1 },
	};
	struct queue_entry	qe;
	struct queue_select	sel;
	char			spec[128], *p, *save = NULL;
	size_t			i;

	(void)state;
	make_entry(&qe, ID_A, "alice@example.com", T0, 1);
	add_rcpt(&qe, "bob@Example.Net", RCPT_PENDING, NULL);
	add_rcpt(&qe, "dave@example.org", RCPT_PENDING, NULL);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&sel, 0, sizeof(sel));
		snprintf(spec, sizeof(spec), "%s", c[i].spec);
		for (p = strtok_r(spec, " ", &save); p != NULL;
		    p = strtok_r(NULL, " ", &save)) {
			sel.v[sel.n].kind = p[0];
			sel.v[sel.n].substr = p + 2;
			sel.n++;
		}
		if (queue_select_match(&sel, &qe) != c[i].match)
			fail_msg("case %zu (%s): want %d", i, c[i].spec,
			    c[i].match);
	}
	queue_entry_free(&qe);
}

/* ---- --delete ---------------------------------------------------------- */

static size_t
lines(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void
test_delete(void **state)
{
	struct queue_entry	 a, b, f;
	struct tq		 t;
	struct err		 e;
	char			*ids[3], *diag = NULL;
	size_t			 len = 0, removed;
	FILE			*fp;

	(void)state;
	tq_open(&t);
	make_entry(&a, ID_A, "alice@example.com", T0, 5);
	add_rcpt(&a, "x@example.net", RCPT_PENDING, NULL);
	put_entry(&t, "q", &a);
	make_entry(&f, ID_A, "alice@example.com", T0, 5);
	add_rcpt(&f, "y@example.net", RCPT_FAILED, "550 no");
	put_entry(&t, "failed", &f);
	make_entry(&b, ID_B, "bob@example.com", T0, 5);
	add_rcpt(&b, "x@example.net", RCPT_PENDING, NULL);
	put_entry(&t, "q", &b);

	/* An unknown id: one line, ERR_NOUSER; the known one still goes. */
	ids[0] = "06A00000000000000000FFFF";
	ids[1] = ID_A;
	ids[2] = "not-an-id";
	assert_non_null(fp = open_memstream(&diag, &len));
	assert_int_equal(queue_delete_ids(t.q, ids, 3, 100, QUEUE_ANY_OWNER,
	    fp, &removed, &e), -1);
	fclose(fp);
	assert_int_equal(e.cls, ERR_NOUSER);
	assert_int_equal(removed, 1);
	assert_int_equal(lines(diag), 2);
	assert_non_null(strstr(diag, "postern: 06A00000000000000000FFFF: no "
	    "such queue entry\n"));
	free(diag);
	assert_false(exists(&t, "q", ID_A, ".ctl"));
	assert_false(exists(&t, "q", ID_A, ".data"));
	assert_false(exists(&t, "failed", ID_A, ".ctl"));
	assert_false(exists(&t, "failed", ID_A, ".data"));
	assert_true(exists(&t, "q", ID_B, ".ctl"));
	assert_int_equal(queue_delete(t.q, ID_A, 100, QUEUE_ANY_OWNER, &e), 1);
	queue_entry_free(&a);
	queue_entry_free(&b);
	queue_entry_free(&f);
	tq_close(&t);
}

/*
 * An entry whose data file another process has locked (a runner in the
 * middle of a delivery) is not removed: waited for, then ERR_TEMP; once
 * the lock is released within the wait, it is removed.
 */
static void
test_delete_locked(void **state)
{
	struct queue_entry	 a;
	struct tq		 t;
	struct err		 e;
	char			 path[PATH_MAX], c;
	int			 fd, pfd[2], status;
	pid_t			 pid;
	long long		 t0;
	struct timespec		 ts;

	(void)state;
	tq_open(&t);
	make_entry(&a, ID_A, "alice@example.com", T0, 5);
	add_rcpt(&a, "x@example.net", RCPT_PENDING, NULL);
	put_entry(&t, "q", &a);
	snprintf(path, sizeof(path), "%s/q/%s.data", t.dir, ID_A);
	assert_int_equal(pipe(pfd), 0);
	if ((pid = fork()) == 0) {
		fd = open(path, O_RDONLY);
		if (fd == -1 || flock(fd, LOCK_EX) == -1)
			_exit(1);
		if (write(pfd[1], "l", 1) != 1)
			_exit(1);
		usleep(700 * 1000);
		_exit(0);
	}
	assert_int_equal(read(pfd[0], &c, 1), 1);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
	assert_int_equal(queue_delete(t.q, ID_A, 200, QUEUE_ANY_OWNER, &e), -1);
	assert_int_equal(e.cls, ERR_TEMP);
	assert_non_null(strstr(e.msg, "delivering it"));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	assert_true(ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 - t0 >= 190);
	assert_true(exists(&t, "q", ID_A, ".ctl"));
	/* The holder lets go within the wait: removed. */
	assert_int_equal(queue_delete(t.q, ID_A, 5000, QUEUE_ANY_OWNER, &e), 0);
	assert_false(exists(&t, "q", ID_A, ".ctl"));
	waitpid(pid, &status, 0);
	assert_int_equal(WEXITSTATUS(status), 0);
	close(pfd[0]);
	close(pfd[1]);
	queue_entry_free(&a);
	tq_close(&t);
}

/*
 * A set-gid user's --delete (owner set): their own entries go, ALL means
 * all of theirs; another's entry and an unknown id get the same line and
 * ERR_NOPERM, another's without waiting for its lock, and stay.
 */
static void
test_delete_owner(void **state)
{
	struct queue_entry	 a, b, f, old;
	struct tq		 t;
	struct err		 e;
	char			*ids[3], *all[] = { "ALL" }, *diag = NULL;
	char			 path[PATH_MAX], want[200];
	size_t			 len = 0, removed;
	long long		 t0;
	struct timespec		 ts;
	FILE			*fp;
	int			 held;

	(void)state;
	tq_open(&t);
	make_entry(&a, ID_A, "alice@example.com", T0, 5);	/* alice's */
	add_rcpt(&a, "x@example.net", RCPT_PENDING, NULL);
	a.owner = 1000;
	put_entry(&t, "q", &a);
	make_entry(&b, ID_B, "bob@example.com", T0, 5);		/* bob's */
	add_rcpt(&b, "x@example.net", RCPT_PENDING, NULL);
	b.owner = 1001;
	put_entry(&t, "q", &b);
	make_entry(&f, ID_C, "bob@example.com", T0, 5);		/* bob's */
	add_rcpt(&f, "y@example.net", RCPT_FAILED, "550 no");
	f.owner = 1001;
	put_entry(&t, "failed", &f);
	make_entry(&old, "06A0000000000000000000DD", "x@example.com", T0, 5);
	add_rcpt(&old, "x@example.net", RCPT_PENDING, NULL);	/* nobody's */
	put_entry(&t, "q", &old);
	/* Alice's entry is being delivered: bob's answer must not wait. */
	snprintf(path, sizeof(path), "%s/q/%s.data", t.dir, ID_A);
	assert_true((held = open(path, O_RDONLY)) != -1);
	assert_int_equal(flock(held, LOCK_EX | LOCK_NB), 0);

	ids[0] = ID_A;
	ids[1] = "06A00000000000000000FFFF";
	ids[2] = "06A0000000000000000000DD";
	assert_non_null(fp = open_memstream(&diag, &len));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
	assert_int_equal(queue_delete_ids(t.q, ids, 3, 3000, 1001, fp,
	    &removed, &e), -1);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	assert_true(ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 - t0 < 1000);
	fclose(fp);
	assert_int_equal(e.cls, ERR_NOPERM);
	assert_int_equal(removed, 0);
	snprintf(want, sizeof(want), "postern: %s: not one of your queue "
	    "entries\npostern: 06A00000000000000000FFFF: not one of your "
	    "queue entries\npostern: 06A0000000000000000000DD: not one of "
	    "your queue entries\n", ID_A);
	assert_string_equal(diag, want);
	free(diag);
	assert_true(exists(&t, "q", ID_A, ".ctl"));
	assert_true(exists(&t, "q", "06A0000000000000000000DD", ".ctl"));
	close(held);

	/* ALL: bob's two (q/ and failed/), nobody else's. */
	assert_non_null(fp = fopen("/dev/null", "w"));
	assert_int_equal(queue_delete_ids(t.q, all, 1, 100, 1001, fp,
	    &removed, &e), 0);
	fclose(fp);
	assert_int_equal(removed, 2);
	assert_false(exists(&t, "q", ID_B, ".ctl"));
	assert_false(exists(&t, "failed", ID_C, ".ctl"));
	assert_true(exists(&t, "q", ID_A, ".ctl"));
	/* Alice removes hers; root (any owner) the one without a record. */
	assert_int_equal(queue_delete(t.q, ID_A, 100, 1000, &e), 0);
	assert_false(exists(&t, "q", ID_A, ".data"));
	assert_int_equal(queue_delete(t.q, "06A0000000000000000000DD", 100,
	    1000, &e), 2);
	assert_int_equal(queue_delete(t.q, "06A0000000000000000000DD", 100,
	    QUEUE_ANY_OWNER, &e), 0);
	queue_entry_free(&a);
	queue_entry_free(&b);
	queue_entry_free(&f);
	queue_entry_free(&old);
	tq_close(&t);
}

static void
test_delete_all(void **state)
{
	struct queue_entry	 a, b, f;
	struct tq		 t;
	struct err		 e;
	char			*all[] = { "ALL" }, *out;
	size_t			 removed;
	FILE			*fp;

	(void)state;
	tq_open(&t);
	make_entry(&a, ID_A, "alice@example.com", T0, 5);
	add_rcpt(&a, "x@example.net", RCPT_PENDING, NULL);
	put_entry(&t, "q", &a);
	make_entry(&f, ID_A, "alice@example.com", T0, 5);
	add_rcpt(&f, "y@example.net", RCPT_FAILED, "550 no");
	put_entry(&t, "failed", &f);
	make_entry(&b, ID_C, "bob@example.com", T0, 5);
	add_rcpt(&b, "x@example.net", RCPT_FAILED, "550 no");
	put_entry(&t, "failed", &b);
	assert_non_null(fp = fopen("/dev/null", "w"));
	assert_int_equal(queue_delete_ids(t.q, all, 1, 100, QUEUE_ANY_OWNER,
	    fp, &removed, &e), 0);
	fclose(fp);
	assert_int_equal(removed, 2);	/* ID_A (q/ and failed/), ID_C */
	out = list_to_string(t.q, QUEUE_LIST_MAILQ);
	assert_string_equal(out, "Mail queue is empty\n");
	free(out);
	queue_entry_free(&a);
	queue_entry_free(&b);
	queue_entry_free(&f);
	tq_close(&t);
}

/* ---- the run's summary line --------------------------------------------- */

static void
test_summary(void **state)
{
	struct queue_stats	st;
	char			line[300];

	(void)state;
	memset(&st, 0, sizeof(st));
	st.entries = 7;
	st.due = 5;
	st.sent = 2;
	st.deferred = 2;
	st.failed = 1;
	st.expired = 1;
	st.locked = 1;
	st.dsn = 1;
	queue_run_summary(&st, 1234, line, sizeof(line));
	assert_string_equal(line, "queue run: entries=7 tried=5 sent=2 "
	    "deferred=2 failed=1 expired=1 locked=1 malformed=0 dsn=1 "
	    "duration=1.23s");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_list_empty),
		cmocka_unit_test(test_list_postfix_format),
		cmocka_unit_test(test_list_malformed),
		cmocka_unit_test(test_list_json),
		cmocka_unit_test(test_list_active),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_delete_locked),
		cmocka_unit_test(test_delete_owner),
		cmocka_unit_test(test_delete_all),
		cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
