/*
 * test_queue.c -- unit tests for the queue: control file format, commit,
 * abort, full disk, locking, the runner with a fake deliverer, DSNs
 * and crash points (mailq and the queue tools: test_queue_list.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "envelope.h"
#include "err.h"
#include "queue.h"
#include "fixture.h"

/* ---- helpers ---------------------------------------------------------- */

static const char message[] =
    "From: alice@example.com\r\n"
    "To: bob@example.net\r\n"
    "Subject: test\r\n"
    "\r\n"
    "body line\r\n";

static void
env_make(struct envelope *env, const char *sender, const char *const *rcpts)
{
	struct err	e;

	envelope_init(env);
	assert_int_equal(envelope_set_sender(env, sender, &e), 0);
	for (; *rcpts != NULL; rcpts++)
		assert_int_equal(envelope_add_rcpt(env, *rcpts, &e), 0);
}

/* Spool and commit one message; returns its id in id. */
static void
submit(struct tq *t, const char *sender, const char *const *rcpts, char *id)
{
	struct queue_spool	*s;
	struct envelope		 env;
	struct err		 e;

	env_make(&env, sender, rcpts);
	assert_int_equal(queue_spool_begin(t->q, &s, &e), 0);
	assert_int_equal(write(queue_spool_fd(s), message,
	    sizeof(message) - 1), (ssize_t)(sizeof(message) - 1));
	assert_int_equal(queue_commit(t->q, s, &env, &e), 0);
	if (id != NULL)
		memcpy(id, queue_spool_id(s), QUEUE_ID_SIZE);
	queue_spool_close(t->q, s);
	envelope_free(&env);
}

static int
read_entry(const struct tq *t, const char *sub, const char *id,
    struct queue_entry *qe)
{
	char	path[PATH_MAX], data[QUEUE_CTL_MAX / 64];
	int	fd;
	ssize_t	n;
	struct err e;

	snprintf(path, sizeof(path), "%s/%s/%s.ctl", t->dir, sub, id);
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, data, sizeof(data));
	close(fd);
	if (n <= 0)
		return -1;
	return queue_ctl_parse(data, (size_t)n, qe, &e);
}

/* Find the one entry in q/ other than skip; returns 0 and its id. */
static int
other_entry(const struct tq *t, const char *skip, char *id)
{
	char		 path[PATH_MAX];
	DIR		*dp;
	struct dirent	*de;
	int		 found = -1;

	snprintf(path, sizeof(path), "%s/q", t->dir);
	assert_non_null(dp = opendir(path));
	while ((de = readdir(dp)) != NULL) {
		if (strlen(de->d_name) != QUEUE_ID_LEN + 4 ||
		    strcmp(de->d_name + QUEUE_ID_LEN, ".ctl") != 0)
			continue;
		if (skip != NULL && strncmp(de->d_name, skip,
		    QUEUE_ID_LEN) == 0)
			continue;
		memcpy(id, de->d_name, QUEUE_ID_LEN);
		id[QUEUE_ID_LEN] = '\0';
		found = 0;
	}
	closedir(dp);
	return found;
}

/* ---- fake deliverer ------------------------------------------------- */

/*
 * Recipients decide their fate by their local part: ok* accepted, tmp*
 * 451, bad* 550.  down: the "connection" fails before any recipient.
 */
struct fake {
	int	 calls;
	int	 down;
	int	 unreachable;	/* a "connection" failed: more() says 0 */
	int	 reports;	/* report() calls */
	int	 expired;	/* of those, status "expired" */
	int	 offered;	/* recipients offered over all calls */
	char	 seen[16][64];
	char	 body[256];
};

static int
fake_deliver(void *arg, struct envelope *env, int datafd, off_t size,
    struct err *e)
{
	struct fake	*f = arg;
	size_t		 i;
	int		 rc = 0;
	ssize_t		 n;

	f->calls++;
	if (f->down) {
		f->unreachable = 1;
		return err_set(e, ERR_TEMP, "connect to smarthost: "
		    "Connection refused");
	}
	n = pread(datafd, f->body, sizeof(f->body) - 1, 0);
	f->body[n > 0 ? n : 0] = '\0';
	assert_int_equal((off_t)n, size < (off_t)sizeof(f->body) - 1 ?
	    size : (off_t)sizeof(f->body) - 1);
	for (i = 0; i < env->nrcpts; i++) {
		struct rcpt *r = &env->rcpts[i];

		if (r->state != RCPT_PENDING && r->state != RCPT_DEFERRED)
			continue;
		if (f->offered < 16)
			snprintf(f->seen[f->offered], sizeof(f->seen[0]),
			    "%s", r->addr);
		f->offered++;
		if (strncmp(r->addr, "ok", 2) == 0) {
			r->state = RCPT_SENT;
			envelope_set_reply(r, "250 2.0.0 ok");
		} else if (strncmp(r->addr, "tmp", 3) == 0) {
			r->state = RCPT_DEFERRED;
			envelope_set_reply(r, "451 4.3.0 try later");
			rc = err_set(e, ERR_TEMP, "451 4.3.0 try later");
		} else {
			r->state = RCPT_FAILED;
			envelope_set_reply(r, "550 5.1.1 no such user");
			if (rc == 0)
				rc = err_set(e, ERR_NOUSER,
				    "550 5.1.1 no such user");
		}
	}
	return rc;
}

static struct queue_deliverer
fake_deliverer(struct fake *f)
{
	struct queue_deliverer d;

	memset(f, 0, sizeof(*f));
	memset(&d, 0, sizeof(d));
	d.arg = f;
	d.deliver = fake_deliver;
	return d;
}

/* As main.c's delivery_more(): nothing more once a connection failed. */
static int
fake_more(void *arg)
{
	const struct fake	*f = arg;

	return !f->unreachable;
}

static void
fake_report(void *arg, const struct queue_entry *qe, const char *status,
    const char *detail)
{
	struct fake	*f = arg;

	(void)qe;
	(void)detail;
	f->reports++;
	if (strcmp(status, "expired") == 0)
		f->expired++;
}

static void
params(struct queue_params *p)
{
	queue_params_init(p);
	p->retry = 60;
	p->retry_max = 3600;
	p->lifetime = 5 * 86400;
	p->hostname = "mx.example.org";
}

/* ---- control file ---------------------------------------------------- */

static void
sample_entry(struct queue_entry *qe)
{
	static const char *const r[] = { "ok@example.net",
	    "tmp@example.net", "bad@example.net", NULL };

	queue_entry_init(qe);
	memcpy(qe->id, "0123456789ABCDEF01234567", QUEUE_ID_SIZE);
	qe->created = 1700000000;
	qe->next_attempt = 1700000060;
	qe->attempts = 2;
	qe->size = 1234;
	qe->owner = 1000;
	qe->warned = 1;
	qe->last_error = strdup("451 4.3.0 try\r\nlater");
	env_make(&qe->env, "alice@example.com", r);
	qe->env.dsn_notify = strdup("failure,delay");
	qe->env.dsn_ret = strdup("hdrs");
	qe->env.dsn_envid = strdup("env-1");
	qe->env.body = BODY_8BITMIME;
	qe->env.rcpts[0].state = RCPT_SENT;
	qe->env.rcpts[1].state = RCPT_DEFERRED;
	envelope_set_reply(&qe->env.rcpts[1], "451 later");
	qe->env.rcpts[2].state = RCPT_FAILED;
	envelope_set_reply(&qe->env.rcpts[2], "550 no");
}

static void
test_ctl_roundtrip(void **state)
{
	struct queue_entry	a, b;
	struct buf		fa, fb;
	struct err		e;
	size_t			i;

	(void)state;
	sample_entry(&a);
	buf_init(&fa, QUEUE_CTL_MAX);
	buf_init(&fb, QUEUE_CTL_MAX);
	assert_int_equal(queue_ctl_format(&a, &fa, &e), 0);
	assert_int_equal(queue_ctl_parse(fa.data, fa.len, &b, &e), 0);
	assert_string_equal(a.id, b.id);
	assert_int_equal(a.created, b.created);
	assert_int_equal(a.next_attempt, b.next_attempt);
	assert_int_equal(a.attempts, b.attempts);
	assert_int_equal(a.size, b.size);
	assert_int_equal(b.owner, 1000);
	assert_int_equal(b.warned, 1);
	/* The CR LF of the error became spaces: no field holds a newline. */
	assert_string_equal(b.last_error, "451 4.3.0 try  later");
	assert_string_equal(a.env.sender, b.env.sender);
	assert_string_equal(b.env.dsn_notify, "failure,delay");
	assert_string_equal(b.env.dsn_ret, "hdrs");
	assert_string_equal(b.env.dsn_envid, "env-1");
	assert_int_equal(b.env.body, BODY_8BITMIME);
	assert_int_equal(a.env.nrcpts, b.env.nrcpts);
	for (i = 0; i < a.env.nrcpts; i++) {
		assert_string_equal(a.env.rcpts[i].addr, b.env.rcpts[i].addr);
		assert_int_equal(a.env.rcpts[i].state, b.env.rcpts[i].state);
	}
	assert_null(b.env.rcpts[0].reply);
	assert_string_equal(b.env.rcpts[2].reply, "550 no");
	/* Formatting what was parsed gives the same octets. */
	assert_int_equal(queue_ctl_format(&b, &fb, &e), 0);
	assert_int_equal(fa.len, fb.len);
	assert_memory_equal(fa.data, fb.data, fa.len);
	/* The null sender survives. */
	free(b.env.sender);
	b.env.sender = strdup("");
	buf_reset(&fb);
	assert_int_equal(queue_ctl_format(&b, &fb, &e), 0);
	queue_entry_free(&b);
	assert_int_equal(queue_ctl_parse(fb.data, fb.len, &b, &e), 0);
	assert_string_equal(b.env.sender, "");
	queue_entry_free(&a);
	queue_entry_free(&b);
	buf_free(&fa);
	buf_free(&fb);
}

#define GOOD_HEAD \
	"POSTERN-QUEUE 1\n" \
	"I 24:0123456789ABCDEF01234567\n" \
	"T 10:1700000000\n" \
	"S 17:alice@example.com\n"
#define GOOD_TAIL \
	"Z 3:100\n" "A 1:0\n" "X 10:1700000000\n" \
	"C 1:1\n" "r 15:bob@example.net\n" "s 1:P\n" "END 0:\n"

struct bad_case {
	const char	*name;
	const char	*data;
	size_t		 len;		/* 0: strlen */
};

static const struct bad_case bad_cases[] = {
	{ "empty", "", 0 },
	{ "no magic", "I 24:0123456789ABCDEF01234567\n", 0 },
	{ "version 2", "POSTERN-QUEUE 2\n", 0 },
	{ "missing END", GOOD_HEAD "Z 3:100\nA 1:0\nX 10:1700000000\n"
	    "C 1:1\nr 15:bob@example.net\ns 1:P\n", 0 },
	{ "END not empty", GOOD_HEAD GOOD_TAIL "x", 0 },
	{ "data after END", GOOD_HEAD GOOD_TAIL "END 0:\n", 0 },
	{ "length too long", GOOD_HEAD "Z 9:100\n" "A 1:0\nX 10:1700000000\n"
	    "C 1:1\nr 15:bob@example.net\ns 1:P\nEND 0:\n", 0 },
	{ "length too short", GOOD_HEAD "Z 2:100\n" "A 1:0\n"
	    "X 10:1700000000\nC 1:1\nr 15:bob@example.net\ns 1:P\nEND 0:\n",
	    0 },
	{ "huge length", GOOD_HEAD "E 99999999999999999999:x\n" GOOD_TAIL,
	    0 },
	{ "length over field max", GOOD_HEAD "E 4097:x\n" GOOD_TAIL, 0 },
	{ "leading zero", GOOD_HEAD "Z 03:100\n" "A 1:0\nX 10:1700000000\n"
	    "C 1:1\nr 15:bob@example.net\ns 1:P\nEND 0:\n", 0 },
	{ "no length", GOOD_HEAD "Z :100\n" GOOD_TAIL, 0 },
	{ "negative length", GOOD_HEAD "Z -3:100\n" GOOD_TAIL, 0 },
	{ "NUL in sender", "POSTERN-QUEUE 1\n"
	    "I 24:0123456789ABCDEF01234567\nT 10:1700000000\n"
	    "S 5:a\0b@c\n" GOOD_TAIL, 0 /* strlen stops at NUL */ },
	{ "newline in recipient", GOOD_HEAD "Z 3:100\nA 1:0\n"
	    "X 10:1700000000\nC 1:1\nr 16:bob@exa\nmple.net\ns 1:P\n"
	    "END 0:\n", 0 },
	{ "CR in reply", GOOD_HEAD "Z 3:100\nA 1:0\nX 10:1700000000\n"
	    "C 1:1\nr 15:bob@example.net\ns 1:P\nm 5:45\r1 \nEND 0:\n", 0 },
	{ "count too high", GOOD_HEAD "Z 3:100\nA 1:0\nX 10:1700000000\n"
	    "C 1:2\nr 15:bob@example.net\ns 1:P\nEND 0:\n", 0 },
	{ "count zero", GOOD_HEAD "Z 3:100\nA 1:0\nX 10:1700000000\n"
	    "C 1:0\nEND 0:\n", 0 },
	{ "count huge", GOOD_HEAD "Z 3:100\nA 1:0\nX 10:1700000000\n"
	    "C 9:999999999\nr 15:bob@example.net\ns 1:P\nEND 0:\n", 0 },
	{ "more recipients than count", GOOD_HEAD "Z 3:100\nA 1:0\n"
	    "X 10:1700000000\nC 1:1\nr 15:bob@example.net\ns 1:P\n"
	    "r 15:eve@example.net\ns 1:P\nEND 0:\n", 0 },
	{ "recipient before count", GOOD_HEAD "Z 3:100\nA 1:0\n"
	    "X 10:1700000000\nr 15:bob@example.net\ns 1:P\nC 1:1\nEND 0:\n",
	    0 },
	{ "state missing", GOOD_HEAD "Z 3:100\nA 1:0\nX 10:1700000000\n"
	    "C 1:1\nr 15:bob@example.net\nEND 0:\n", 0 },
	{ "state twice", GOOD_HEAD "Z 3:100\nA 1:0\nX 10:1700000000\n"
	    "C 1:1\nr 15:bob@example.net\ns 1:P\ns 1:S\nEND 0:\n", 0 },
	{ "bad state", GOOD_HEAD "Z 3:100\nA 1:0\nX 10:1700000000\n"
	    "C 1:1\nr 15:bob@example.net\ns 1:Q\nEND 0:\n", 0 },
	{ "empty recipient", GOOD_HEAD "Z 3:100\nA 1:0\nX 10:1700000000\n"
	    "C 1:1\nr 0:\ns 1:P\nEND 0:\n", 0 },
	{ "recipient too long", GOOD_HEAD "Z 3:100\nA 1:0\nX 10:1700000000\n"
	    "C 1:1\nr 300:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.net\n"
	    "s 1:P\nEND 0:\n", 0 },
	{ "duplicate sender", GOOD_HEAD "S 3:a@b\n" GOOD_TAIL, 0 },
	{ "unknown tag", GOOD_HEAD "Q 1:x\n" GOOD_TAIL, 0 },
	{ "long tag", GOOD_HEAD "ABCD 1:x\n" GOOD_TAIL, 0 },
	{ "id not first", "POSTERN-QUEUE 1\nT 10:1700000000\n"
	    "I 24:0123456789ABCDEF01234567\nS 17:alice@example.com\n"
	    GOOD_TAIL, 0 },
	{ "bad id", "POSTERN-QUEUE 1\nI 24:0123456789abcdef01234567\n"
	    "T 10:1700000000\nS 17:alice@example.com\n" GOOD_TAIL, 0 },
	{ "id path", "POSTERN-QUEUE 1\nI 24:../../../../etc/passwd.....\n"
	    "T 10:1700000000\nS 17:alice@example.com\n" GOOD_TAIL, 0 },
	{ "time overflow", "POSTERN-QUEUE 1\nI 24:0123456789ABCDEF01234567\n"
	    "T 20:99999999999999999999\nS 17:alice@example.com\n" GOOD_TAIL,
	    0 },
	{ "time not a number", "POSTERN-QUEUE 1\n"
	    "I 24:0123456789ABCDEF01234567\nT 3:1e9\n"
	    "S 17:alice@example.com\n" GOOD_TAIL, 0 },
	{ "missing size", GOOD_HEAD "A 1:0\nX 10:1700000000\n"
	    "C 1:1\nr 15:bob@example.net\ns 1:P\nEND 0:\n", 0 },
	{ "missing sender", "POSTERN-QUEUE 1\n"
	    "I 24:0123456789ABCDEF01234567\nT 10:1700000000\n" GOOD_TAIL, 0 },
	{ "bad body type", GOOD_HEAD "B 1:9\n" GOOD_TAIL, 0 },
	{ "owner not a number", GOOD_HEAD "O 2:-1\n" GOOD_TAIL, 0 },
	{ "owner is (uid_t)-1", GOOD_HEAD "O 10:4294967295\n" GOOD_TAIL, 0 },
	{ "owner twice", GOOD_HEAD "O 1:0\nO 1:0\n" GOOD_TAIL, 0 },
	{ "warned 0", GOOD_HEAD "W 1:0\n" GOOD_TAIL, 0 },
	{ "bad notify", GOOD_HEAD "N 9:fail ure!\n" GOOD_TAIL, 0 },
	{ "envid with space", GOOD_HEAD "V 3:a b\n" GOOD_TAIL, 0 },
	{ "DEL in error", GOOD_HEAD "E 3:a\177b\n" GOOD_TAIL, 0 },
	{ "missing record newline", GOOD_HEAD "Z 3:100A 1:0\n"
	    "X 10:1700000000\nC 1:1\nr 15:bob@example.net\ns 1:P\nEND 0:\n",
	    0 },
};

static void
test_ctl_good_base(void **state)
{
	struct queue_entry	qe;
	struct err		e;
	const char		good[] = GOOD_HEAD GOOD_TAIL;

	(void)state;
	assert_int_equal(queue_ctl_parse(good, sizeof(good) - 1, &qe, &e), 0);
	assert_int_equal(qe.env.nrcpts, 1);
	assert_int_equal(qe.env.rcpts[0].state, RCPT_PENDING);
	/* A file written before the owner record: nobody's but root's. */
	assert_int_equal(qe.owner, -1);
	queue_entry_free(&qe);
}

static void
test_ctl_malformed(void **state)
{
	struct queue_entry	qe;
	struct err		e;
	size_t			i, len;
	const char		nul[] = GOOD_HEAD "Z 3:100\nA 1:0\n"
	    "X 10:1700000000\nC 1:1\nr 15:bob@exa\0ple.net\ns 1:P\nEND 0:\n";

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		len = bad_cases[i].len ? bad_cases[i].len :
		    strlen(bad_cases[i].data);
		err_clear(&e);
		if (queue_ctl_parse(bad_cases[i].data, len, &qe, &e) != -1)
			fail_msg("accepted: %s", bad_cases[i].name);
		assert_int_equal(e.cls, ERR_DATA);
		assert_int_equal(qe.env.nrcpts, 0);
		queue_entry_free(&qe);
	}
	/* A NUL inside a framed recipient. */
	assert_int_equal(queue_ctl_parse(nul, sizeof(nul) - 1, &qe, &e), -1);
	queue_entry_free(&qe);
}

/* Every truncation of a valid file is refused: END is mandatory. */
static void
test_ctl_truncated(void **state)
{
	struct queue_entry	a, b;
	struct buf		f;
	struct err		e;
	size_t			n;

	(void)state;
	sample_entry(&a);
	buf_init(&f, QUEUE_CTL_MAX);
	assert_int_equal(queue_ctl_format(&a, &f, &e), 0);
	for (n = 0; n < f.len; n++) {
		if (queue_ctl_parse(f.data, n, &b, &e) != -1)
			fail_msg("truncation at %zu accepted", n);
		queue_entry_free(&b);
	}
	assert_int_equal(queue_ctl_parse(f.data, f.len, &b, &e), 0);
	queue_entry_free(&b);
	queue_entry_free(&a);
	buf_free(&f);
}

/* The writer refuses what the parser would refuse. */
static void
test_ctl_format_refuses(void **state)
{
	struct queue_entry	a;
	struct buf		f;
	struct err		e;

	(void)state;
	sample_entry(&a);
	buf_init(&f, QUEUE_CTL_MAX);
	free(a.env.rcpts[0].addr);
	a.env.rcpts[0].addr = strdup("x@y\r\nRCPT TO:<evil@z>");
	assert_int_equal(queue_ctl_format(&a, &f, &e), -1);
	assert_int_equal(e.cls, ERR_DATA);
	queue_entry_free(&a);
	buf_free(&f);
}

static void
test_backoff(void **state)
{
	static const struct {
		unsigned retry, max, attempts, lo, hi;
	} c[] = {
		{ 60, 3600, 1, 48, 60 },
		{ 60, 3600, 2, 96, 120 },
		{ 60, 3600, 3, 192, 240 },
		{ 60, 3600, 6, 1536, 1920 },
		{ 60, 3600, 7, 2880, 3600 },
		{ 60, 3600, 50, 2880, 3600 },
		{ 60, 30, 1, 48, 60 },		/* max below retry */
		{ 0, 0, 1, 1, 1 },
		{ 4000000000u, 4000000000u, 1000, 3200000000u, 4000000000u },
	};
	size_t		i;
	unsigned	r, d;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		for (r = 0; r < 2000; r += 7) {
			d = queue_backoff(c[i].retry, c[i].max, c[i].attempts,
			    r * 2654435761u);
			if (d < c[i].lo || d > c[i].hi)
				fail_msg("case %zu: %u not in [%u, %u]", i, d,
				    c[i].lo, c[i].hi);
		}
}

/* ---- commit, abort, full disk ------------------------------------------ */

static void
test_commit_files(void **state)
{
	static const char *const r[] = { "ok@example.net", NULL };
	struct tq		 t;
	struct queue_entry	 qe;
	char			 id[QUEUE_ID_SIZE], path[PATH_MAX];
	struct stat		 sb;
	mode_t			 old;

	(void)state;
	old = umask(077);	/* the caller's umask must not matter */
	tq_open(&t);
	submit(&t, "alice@example.com", r, id);
	umask(old);
	assert_true(queue_id_valid(id));
	assert_int_equal(fx_count(t.dir, "tmp", ""), 0);
	assert_int_equal(fx_count(t.dir, "q", ".data"), 1);
	assert_int_equal(fx_count(t.dir, "q", ".ctl"), 1);
	assert_int_equal(fx_count(t.dir, "q", ""), 2);
	assert_int_equal(fx_count(t.dir, "failed", ""), 0);
	snprintf(path, sizeof(path), "%s/q/%s.data", t.dir, id);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	assert_int_equal(sb.st_size, (off_t)(sizeof(message) - 1));
	snprintf(path, sizeof(path), "%s/q", t.dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0770);
	assert_int_equal(read_entry(&t, "q", id, &qe), 0);
	assert_string_equal(qe.id, id);
	assert_int_equal(qe.attempts, 0);
	assert_int_equal(qe.size, (off_t)(sizeof(message) - 1));
	assert_string_equal(qe.env.rcpts[0].addr, "ok@example.net");
	queue_entry_free(&qe);
	tq_close(&t);
}

static void
test_abort(void **state)
{
	struct tq		 t;
	struct queue_spool	*s;
	struct err		 e;

	(void)state;
	tq_open(&t);
	assert_int_equal(queue_spool_begin(t.q, &s, &e), 0);
	assert_int_equal(write(queue_spool_fd(s), "x\r\n", 3), 3);
	assert_int_equal(fx_count(t.dir, "tmp", ""), 1);
	queue_spool_abort(t.q, s);
	assert_int_equal(fx_count(t.dir, "tmp", ""), 0);
	assert_int_equal(fx_count(t.dir, "q", ""), 0);
	tq_close(&t);
}

/*
 * In a child with a small RLIMIT_FSIZE and SIGXFSZ ignored: writing the
 * message or the control file fails with EFBIG, and nothing is left.
 * limit: the file size limit; body: octets of message written.
 */
static int
fsize_child(struct tq *t, rlim_t limit, size_t body)
{
	static const char *const r[] = { "ok@example.net", NULL };
	struct queue_spool	*s;
	struct envelope		 env;
	struct rlimit		 rl = { limit, limit };
	struct err		 e;
	char			 chunk[512];
	size_t			 done;
	ssize_t			 w;

	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
		return 10;
	env_make(&env, "alice@example.com", r);
	if (queue_spool_begin(t->q, &s, &e) == -1)
		return 11;
	memset(chunk, 'x', sizeof(chunk));
	for (done = 0; done < body; done += (size_t)w) {
		w = write(queue_spool_fd(s), chunk, sizeof(chunk) <
		    body - done ? sizeof(chunk) : body - done);
		if (w == -1) {
			int save = errno;

			queue_spool_abort(t->q, s);
			return save == EFBIG ? 1 : 12;
		}
	}
	if (queue_commit(t->q, s, &env, &e) == -1) {
		queue_spool_abort(t->q, s);
		return e.cls == ERR_IO ? 2 : 13;
	}
	queue_spool_close(t->q, s);
	return 0;
}

static void
test_fsize(void **state)
{
	/* limit, body, expected child status */
	static const struct { rlim_t limit; size_t body; int want; } c[] = {
		{ 4096, 10000, 1 },	/* message too large: write fails */
		{ 160, 150, 2 },	/* control file too large: commit */
		{ 1 << 20, 1000, 0 },	/* fits */
	};
	struct tq	t;
	size_t		i;
	pid_t		pid;
	int		status;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		tq_open(&t);
		if ((pid = fork()) == 0)
			_exit(fsize_child(&t, c[i].limit, c[i].body));
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), c[i].want);
		assert_int_equal(fx_count(t.dir, "tmp", ""), 0);
		assert_int_equal(fx_count(t.dir, "q", ""), c[i].want == 0 ? 2 : 0);
		tq_close(&t);
	}
}

/* A real full file system: a 64 KiB tmpfs, when we may mount one. */
static void
test_enospc(void **state)
{
	static const char *const r[] = { "ok@example.net", NULL };
	char			 dir[] = "/tmp/postern-tmpfs.XXXXXX";
	struct queue		*q;
	struct queue_spool	*s;
	struct envelope		 env;
	struct err		 e;
	char			 chunk[4096], path[PATH_MAX];
	int			 i, ok = 0, failed_at = 0, n;
	ssize_t			 w;
	DIR			*dp;
	struct dirent		*de;

	(void)state;
	assert_non_null(mkdtemp(dir));
	if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") == -1) {
		rmdir(dir);
		skip();	/* not root, or no mount namespace: say why */
	}
	assert_int_equal(queue_open(&q, dir, 1, &e), 0);
	env_make(&env, "alice@example.com", r);
	memset(chunk, 'x', sizeof(chunk));
	/* Fill the disk one message at a time until a spool fails. */
	for (i = 0; i < 64 && !failed_at; i++) {
		if (queue_spool_begin(q, &s, &e) == -1) {
			failed_at = 1;
			break;
		}
		for (n = 0; n < 3; n++) {
			w = write(queue_spool_fd(s), chunk, sizeof(chunk));
			if (w != (ssize_t)sizeof(chunk)) {
				failed_at = 2;
				break;
			}
		}
		if (failed_at) {
			queue_spool_abort(q, s);
			break;
		}
		if (queue_commit(q, s, &env, &e) == -1) {
			assert_true(e.cls == ERR_IO || e.cls == ERR_CANTCREAT);
			failed_at = 3;
			queue_spool_abort(q, s);
			break;
		}
		queue_spool_close(q, s);
		ok++;
	}
	assert_true(failed_at != 0);
	/* Nothing partial: tmp/ empty, every entry in q/ complete. */
	snprintf(path, sizeof(path), "%s/tmp", dir);
	assert_non_null(dp = opendir(path));
	n = 0;
	while ((de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dp);
	assert_int_equal(n, 0);
	snprintf(path, sizeof(path), "%s/q", dir);
	assert_non_null(dp = opendir(path));
	n = 0;
	while ((de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dp);
	assert_int_equal(n, 2 * ok);
	envelope_free(&env);
	queue_close(q);
	umount(dir);
	rmdir(dir);
}

/* ---- locking and the runner --------------------------------------------- */

static void
test_lock_skips(void **state)
{
	static const char *const r[] = { "ok@example.net", NULL };
	struct tq		 t;
	struct queue_spool	*s;
	struct envelope		 env;
	struct queue_params	 p;
	struct queue_stats	 st;
	struct queue_deliverer	 d;
	struct fake		 f;
	struct err		 e;
	pid_t			 pid;
	int			 status;

	(void)state;
	tq_open(&t);
	params(&p);
	d = fake_deliverer(&f);
	env_make(&env, "alice@example.com", r);
	assert_int_equal(queue_spool_begin(t.q, &s, &e), 0);
	assert_int_equal(write(queue_spool_fd(s), message,
	    sizeof(message) - 1), (ssize_t)(sizeof(message) - 1));
	assert_int_equal(queue_commit(t.q, s, &env, &e), 0);
	/* The submitter holds the entry: a runner (another process) skips. */
	if ((pid = fork()) == 0) {
		struct queue *q2;

		if (queue_open(&q2, t.dir, 0, &e) == -1 ||
		    queue_run(q2, &p, &d, &st, &e) == -1)
			_exit(1);
		_exit(st.locked == 1 && st.due == 0 && f.calls == 0 ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* Two opens in one process are two locks, too. */
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(st.locked, 1);
	assert_int_equal(f.calls, 0);
	queue_spool_close(t.q, s);
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(st.sent, 1);
	assert_int_equal(f.calls, 1);
	assert_string_equal(f.body, message);
	assert_int_equal(fx_count(t.dir, "q", ""), 0);
	envelope_free(&env);
	tq_close(&t);
}

/* Rewrite entry id's control file with owner uid (-1: no record). */
static void
set_owner(struct tq *t, const char *id, long long uid)
{
	struct queue_entry	 qe;
	struct buf		 b;
	struct err		 e;
	char			 path[PATH_MAX], data[4096];
	ssize_t			 n;
	int			 fd;

	snprintf(path, sizeof(path), "%s/q/%s.ctl", t->dir, id);
	assert_true((fd = open(path, O_RDWR)) != -1);
	assert_true((n = read(fd, data, sizeof(data))) > 0);
	assert_int_equal(queue_ctl_parse(data, (size_t)n, &qe, &e), 0);
	qe.owner = uid;
	buf_init(&b, QUEUE_CTL_MAX);
	assert_int_equal(queue_ctl_format(&qe, &b, &e), 0);
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, b.data, b.len, 0), (ssize_t)b.len);
	close(fd);
	buf_free(&b);
	queue_entry_free(&qe);
}

/*
 * A set-gid run by a user handles only that user's entries: another
 * user's, and one that records no owner, are neither delivered nor locked
 * nor counted as attempted (issue 11, item 1).
 */
static void
test_run_own_only(void **state)
{
	static const char *const r[] = { "ok@example.net", NULL };
	struct tq		t;
	struct queue_params	p;
	struct queue_stats	st;
	struct queue_deliverer	d;
	struct fake		f;
	struct err		e;
	char			mine[QUEUE_ID_SIZE], other[QUEUE_ID_SIZE];
	char			old[QUEUE_ID_SIZE];

	(void)state;
	tq_open(&t);
	params(&p);
	d = fake_deliverer(&f);
	submit(&t, "alice@example.com", r, mine);
	submit(&t, "bob@example.com", r, other);
	submit(&t, "carol@example.com", r, old);
	set_owner(&t, other, 7);
	set_owner(&t, old, -1);
	p.own_only = 1;
	p.own_uid = getuid();
	assert_int_not_equal(p.own_uid, 7);
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.others, 2);
	assert_int_equal(st.sent, 1);
	assert_int_equal(f.calls, 1);
	assert_int_equal(fx_count(t.dir, "q", ".ctl"), 2);
	/* uid 7's own run takes only its entry. */
	p.own_uid = 7;
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.others, 1);
	assert_int_equal(f.calls, 2);
	/* Root's (unrestricted) run takes the rest. */
	p.own_only = 0;
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(st.sent, 1);
	assert_int_equal(f.calls, 3);
	assert_int_equal(fx_count(t.dir, "q", ""), 0);
	tq_close(&t);
}

static void
test_run_success_deletes(void **state)
{
	static const char *const r[] = { "ok1@example.net", "ok2@example.net",
	    NULL };
	struct tq		t;
	struct queue_params	p;
	struct queue_stats	st;
	struct queue_deliverer	d;
	struct fake		f;
	struct err		e;

	(void)state;
	tq_open(&t);
	params(&p);
	d = fake_deliverer(&f);
	submit(&t, "alice@example.com", r, NULL);
	submit(&t, "alice@example.com", r, NULL);
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.sent, 2);
	assert_int_equal(f.calls, 2);
	assert_int_equal(fx_count(t.dir, "q", ""), 0);
	assert_int_equal(fx_count(t.dir, "failed", ""), 0);
	/* A second run finds nothing: delivered exactly once. */
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(f.calls, 2);
	tq_close(&t);
}

static void
test_run_tempfail_backoff(void **state)
{
	static const char *const r[] = { "ok@example.net", NULL };
	struct tq		t;
	struct queue_params	p;
	struct queue_stats	st;
	struct queue_deliverer	d;
	struct queue_entry	qe;
	struct fake		f;
	struct err		e;
	char			id[QUEUE_ID_SIZE];
	time_t			now = time(NULL);

	(void)state;
	tq_open(&t);
	params(&p);
	p.now = now;
	d = fake_deliverer(&f);
	f.down = 1;
	submit(&t, "alice@example.com", r, id);
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(st.deferred, 1);
	assert_int_equal(read_entry(&t, "q", id, &qe), 0);
	assert_int_equal(qe.attempts, 1);
	assert_true(qe.next_attempt >= now + 48 && qe.next_attempt <= now + 60);
	assert_string_equal(qe.last_error,
	    "connect to smarthost: Connection refused");
	assert_int_equal(qe.env.rcpts[0].state, RCPT_DEFERRED);
	queue_entry_free(&qe);
	/* Not due yet: untouched. */
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(f.calls, 1);
	/* Due again: second attempt, the wait doubles. */
	p.now = now + 61;
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(f.calls, 2);
	assert_int_equal(read_entry(&t, "q", id, &qe), 0);
	assert_int_equal(qe.attempts, 2);
	assert_true(qe.next_attempt >= p.now + 96 &&
	    qe.next_attempt <= p.now + 120);
	queue_entry_free(&qe);
	/* force ignores the schedule; the smarthost is back. */
	f.down = 0;
	p.force = 1;
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(f.calls, 3);
	assert_int_equal(st.sent, 1);
	assert_int_equal(fx_count(t.dir, "q", ""), 0);
	tq_close(&t);
}

/*
 * delay_warning: one "delayed" DSN once the entry is that old, also when
 * it is not due for an attempt (the schedule is kept then), never twice,
 * and none for -N failure or the null sender.
 */
static void
test_run_delay_warning(void **state)
{
	static const char *const r[] = { "tmp@example.net", NULL };
	struct tq		t;
	struct queue_params	p;
	struct queue_stats	st;
	struct queue_deliverer	d;
	struct queue_entry	qe;
	struct fake		f;
	struct err		e;
	char			id[QUEUE_ID_SIZE];
	time_t			now = time(NULL), next;

	(void)state;
	tq_open(&t);
	params(&p);
	p.now = now;
	p.delay_warning = 600;
	p.retry = p.retry_max = 3600;
	d = fake_deliverer(&f);
	submit(&t, "alice@example.com", r, id);
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(st.dsn, 0);			/* too early */
	assert_int_equal(read_entry(&t, "q", id, &qe), 0);
	next = qe.next_attempt;
	assert_int_equal(qe.warned, 0);
	queue_entry_free(&qe);
	/* Old enough, not due (next attempt far away): warned, untried. */
	p.now = now + 601;
	assert_true(next > p.now);
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(st.dsn, 1);
	assert_int_equal(f.calls, 1);
	assert_int_equal(fx_count(t.dir, "q", ".ctl"), 2);
	assert_int_equal(read_entry(&t, "q", id, &qe), 0);
	assert_int_equal(qe.warned, 1);
	assert_int_equal(qe.next_attempt, next);	/* schedule kept */
	assert_int_equal(qe.attempts, 1);
	queue_entry_free(&qe);
	/* Never twice. */
	p.now = now + 100000;
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(st.dsn, 0);
	tq_close(&t);

	/* The null sender (DSNs among them): no warning; "0": never. */
	tq_open(&t);
	p.now = now;
	submit(&t, "", r, NULL);
	p.now = now + 601;
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(st.dsn, 0);
	p.delay_warning = 0;
	p.now = now + 100000;
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(st.dsn, 0);
	tq_close(&t);
}

static void
test_run_partial(void **state)
{
	static const char *const r[] = { "ok@example.net", "tmp@example.net",
	    NULL };
	struct tq		t;
	struct queue_params	p;
	struct queue_stats	st;
	struct queue_deliverer	d;
	struct queue_entry	qe;
	struct fake		f;
	struct err		e;
	char			id[QUEUE_ID_SIZE];

	(void)state;
	tq_open(&t);
	params(&p);
	d = fake_deliverer(&f);
	submit(&t, "alice@example.com", r, id);
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(f.offered, 2);
	assert_int_equal(read_entry(&t, "q", id, &qe), 0);
	assert_int_equal(qe.env.rcpts[0].state, RCPT_SENT);
	assert_int_equal(qe.env.rcpts[1].state, RCPT_DEFERRED);
	assert_string_equal(qe.env.rcpts[1].reply, "451 4.3.0 try later");
	queue_entry_free(&qe);
	/* The retry offers only the deferred recipient. */
	p.force = 1;
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(f.offered, 3);
	assert_string_equal(f.seen[2], "tmp@example.net");
	tq_close(&t);
}

/* Check the DSN entry queued for the failure of failed_rcpt. */
static void
check_dsn(struct tq *t, const char *orig_id, const char *to,
    const char *failed_rcpt, const char *status)
{
	struct queue_entry	qe;
	char			id[QUEUE_ID_SIZE], path[PATH_MAX], *body;
	char			want[256];
	struct stat		sb;
	int			fd;

	assert_int_equal(other_entry(t, orig_id, id), 0);
	assert_int_equal(read_entry(t, "q", id, &qe), 0);
	assert_string_equal(qe.env.sender, "");
	assert_int_equal(qe.env.nrcpts, 1);
	assert_string_equal(qe.env.rcpts[0].addr, to);
	snprintf(path, sizeof(path), "%s/q/%s.data", t->dir, id);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, qe.size);
	assert_non_null(body = calloc(1, (size_t)sb.st_size + 1));
	assert_true((fd = open(path, O_RDONLY)) != -1);
	assert_int_equal(read(fd, body, (size_t)sb.st_size),
	    (ssize_t)sb.st_size);
	close(fd);
	assert_non_null(strstr(body, "Content-Type: multipart/report; "
	    "report-type=delivery-status;"));
	assert_non_null(strstr(body, "Content-Type: message/delivery-status"));
	assert_non_null(strstr(body, "Content-Type: text/rfc822-headers"));
	snprintf(want, sizeof(want), "Final-Recipient: rfc822; %s\r\n"
	    "Action: failed\r\nStatus: %s\r\n", failed_rcpt, status);
	assert_non_null(strstr(body, want));
	assert_non_null(strstr(body, "Subject: test\r\n"));	/* original */
	assert_null(strstr(body, "body line"));		/* headers only */
	assert_non_null(strstr(body, "Reporting-MTA: dns; mx.example.org"));
	/* Canonical: every LF is preceded by CR. */
	for (fd = 0; body[fd] != '\0'; fd++)
		if (body[fd] == '\n')
			assert_true(fd > 0 && body[fd - 1] == '\r');
	free(body);
	queue_entry_free(&qe);
}

static void
test_run_lifetime(void **state)
{
	static const char *const r[] = { "tmp@example.net", "ok@example.net",
	    NULL };
	struct tq		t;
	struct queue_params	p;
	struct queue_stats	st;
	struct queue_deliverer	d;
	struct queue_entry	qe;
	struct fake		f;
	struct err		e;
	char			id[QUEUE_ID_SIZE];

	(void)state;
	tq_open(&t);
	params(&p);
	d = fake_deliverer(&f);
	submit(&t, "alice@example.com", r, id);
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(fx_count(t.dir, "q", ".ctl"), 1);
	/* Past lifetime: one last try, then failed/ and a DSN. */
	p.now = time(NULL) + p.lifetime + 1;
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(f.calls, 2);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.dsn, 1);
	assert_int_equal(fx_count(t.dir, "failed", ".ctl"), 1);
	assert_int_equal(fx_count(t.dir, "failed", ".data"), 1);
	assert_int_equal(read_entry(&t, "failed", id, &qe), 0);
	assert_int_equal(qe.env.rcpts[0].state, RCPT_FAILED);
	assert_non_null(strstr(qe.env.rcpts[0].reply,
	    "delivery time expired"));
	assert_int_equal(qe.env.rcpts[1].state, RCPT_SENT);
	queue_entry_free(&qe);
	/* The original is gone from q/; the DSN is the only entry. */
	assert_int_equal(fx_count(t.dir, "q", ".ctl"), 1);
	check_dsn(&t, id, "alice@example.com", "tmp@example.net", "4.4.7");
	tq_close(&t);
}

/*
 * Past lifetime, the last attempt refuses one recipient for good and
 * defers the other: the DSN gives 5.1.1 for the first, 4.4.7 (expired)
 * for the second.
 */
static void
test_run_lifetime_mixed_status(void **state)
{
	static const char *const r[] = { "bad@example.net", "tmp@example.net",
	    NULL };
	struct tq		t;
	struct queue_params	p;
	struct queue_stats	st;
	struct queue_deliverer	d;
	struct fake		f;
	struct err		e;
	char			id[QUEUE_ID_SIZE];

	(void)state;
	tq_open(&t);
	params(&p);
	d = fake_deliverer(&f);
	d.report = fake_report;
	submit(&t, "alice@example.com", r, id);
	p.now = time(NULL) + p.lifetime + 1;
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(f.calls, 1);
	assert_int_equal(st.expired, 1);
	assert_int_equal(f.expired, 1);
	assert_int_equal(st.dsn, 1);
	check_dsn(&t, id, "alice@example.com", "bad@example.net", "5.1.1");
	check_dsn(&t, id, "alice@example.com", "tmp@example.net", "4.4.7");
	tq_close(&t);
}

/* Rewrite q/ID.ctl with another creation time. */
static void
set_created(struct tq *t, const char *id, time_t created)
{
	struct queue_entry	qe;
	struct buf		b;
	struct err		e;
	char			path[PATH_MAX];
	int			fd;

	assert_int_equal(read_entry(t, "q", id, &qe), 0);
	qe.created = created;
	qe.next_attempt = created;
	buf_init(&b, QUEUE_CTL_MAX);
	assert_int_equal(queue_ctl_format(&qe, &b, &e), 0);
	snprintf(path, sizeof(path), "%s/q/%s.ctl", t->dir, id);
	assert_true((fd = open(path, O_WRONLY | O_TRUNC)) != -1);
	assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
	close(fd);
	buf_free(&b);
	queue_entry_free(&qe);
}

/*
 * Four entries, oldest first: A, Y (young), B, C.  A, B and C are past
 * lifetime with the smarthost down; Y is not.
 */
static void
expiry_setup(struct tq *t, struct queue_params *p, char ids[4][QUEUE_ID_SIZE])
{
	static const char *const r[] = { "tmp@example.net", NULL };
	int	i;

	tq_open(t);
	params(p);
	p->now = time(NULL) + p->lifetime + 1;
	for (i = 0; i < 4; i++)
		submit(t, "alice@example.com", r, ids[i]);
	set_created(t, ids[1], p->now - 60);
}

/* DSNs in q/: entries from the null sender to alice. */
static int
count_dsns(const struct tq *t)
{
	struct queue_entry	 qe;
	char			 path[PATH_MAX], id[QUEUE_ID_SIZE];
	DIR			*dp;
	struct dirent		*de;
	int			 n = 0;

	snprintf(path, sizeof(path), "%s/q", t->dir);
	assert_non_null(dp = opendir(path));
	while ((de = readdir(dp)) != NULL) {
		if (strlen(de->d_name) != QUEUE_ID_LEN + 4 ||
		    strcmp(de->d_name + QUEUE_ID_LEN, ".ctl") != 0)
			continue;
		memcpy(id, de->d_name, QUEUE_ID_LEN);
		id[QUEUE_ID_LEN] = '\0';
		assert_int_equal(read_entry(t, "q", id, &qe), 0);
		if (qe.env.sender[0] == '\0' && qe.env.nrcpts == 1 &&
		    strcmp(qe.env.rcpts[0].addr, "alice@example.com") == 0)
			n++;
		queue_entry_free(&qe);
	}
	closedir(dp);
	return n;
}

/*
 * The smarthost is down: the first attempt fails and more() says 0.  The
 * run goes on to expire every entry past lifetime, without an attempt,
 * and leaves the young one alone.
 */
static void
test_run_expire_unreachable(void **state)
{
	struct tq		t;
	struct queue_params	p;
	struct queue_stats	st;
	struct queue_deliverer	d;
	struct queue_entry	qe;
	struct fake		f;
	struct err		e;
	char			ids[4][QUEUE_ID_SIZE];
	int			i;

	(void)state;
	expiry_setup(&t, &p, ids);
	d = fake_deliverer(&f);
	d.more = fake_more;
	d.report = fake_report;
	f.down = 1;
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(f.calls, 1);		/* A only */
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.due, 1);
	assert_int_equal(st.expired, 3);
	assert_int_equal(st.failed, 3);
	assert_int_equal(st.dsn, 3);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.deferred, 0);
	assert_int_equal(f.reports, 3);
	assert_int_equal(f.expired, 3);
	assert_int_equal(fx_count(t.dir, "failed", ".ctl"), 3);
	assert_int_equal(fx_count(t.dir, "failed", ".data"), 3);
	for (i = 0; i < 4; i++) {
		if (i == 1)
			continue;
		assert_int_equal(read_entry(&t, "failed", ids[i], &qe), 0);
		assert_int_equal(qe.env.rcpts[0].state, RCPT_FAILED);
		assert_non_null(strstr(qe.env.rcpts[0].reply,
		    "delivery time expired"));
		queue_entry_free(&qe);
	}
	/* A was tried, B and C were not. */
	assert_int_equal(read_entry(&t, "failed", ids[0], &qe), 0);
	assert_int_equal(qe.attempts, 1);
	queue_entry_free(&qe);
	assert_int_equal(read_entry(&t, "failed", ids[3], &qe), 0);
	assert_int_equal(qe.attempts, 0);
	assert_non_null(strstr(qe.env.rcpts[0].reply, "never attempted"));
	queue_entry_free(&qe);
	/* Y is untouched; the three DSNs wait in q/. */
	assert_int_equal(read_entry(&t, "q", ids[1], &qe), 0);
	assert_int_equal(qe.attempts, 0);
	assert_int_equal(qe.env.rcpts[0].state, RCPT_PENDING);
	queue_entry_free(&qe);
	assert_int_equal(fx_count(t.dir, "q", ".ctl"), 4);
	assert_int_equal(count_dsns(&t), 3);
	tq_close(&t);
}

/* Expiry without an attempt counts toward max_entries. */
static void
test_run_expire_max_entries(void **state)
{
	struct tq		t;
	struct queue_params	p;
	struct queue_stats	st;
	struct queue_deliverer	d;
	struct fake		f;
	struct err		e;
	char			ids[4][QUEUE_ID_SIZE];

	(void)state;
	expiry_setup(&t, &p, ids);
	d = fake_deliverer(&f);
	d.more = fake_more;
	d.report = fake_report;
	f.down = 1;
	p.max_entries = 2;	/* A (tried, expired) and B; Y not counted */
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(f.calls, 1);
	assert_int_equal(st.expired, 2);
	assert_int_equal(f.expired, 2);
	assert_int_equal(fx_count(t.dir, "failed", ".ctl"), 2);
	/* C waits for the next run: Y, C and the two DSNs. */
	assert_int_equal(fx_count(t.dir, "q", ".ctl"), 4);
	assert_int_equal(count_dsns(&t), 2);
	tq_close(&t);
}

static void
test_run_permanent(void **state)
{
	static const char *const r[] = { "bad@example.net", "ok@example.net",
	    NULL };
	struct tq		t;
	struct queue_params	p;
	struct queue_stats	st;
	struct queue_deliverer	d;
	struct fake		f;
	struct err		e;
	char			id[QUEUE_ID_SIZE], dsn[QUEUE_ID_SIZE];

	(void)state;
	tq_open(&t);
	params(&p);
	d = fake_deliverer(&f);
	submit(&t, "alice@example.com", r, id);
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.dsn, 1);
	assert_int_equal(fx_count(t.dir, "failed", ".ctl"), 1);
	check_dsn(&t, id, "alice@example.com", "bad@example.net", "5.1.1");
	/*
	 * The DSN goes out next run, from the null sender; refused too, it
	 * is kept in failed/ but never bounced: no loop.
	 */
	assert_int_equal(other_entry(&t, id, dsn), 0);
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(f.calls, 2);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.dsn, 0);
	assert_int_equal(fx_count(t.dir, "q", ""), 0);
	assert_int_equal(fx_count(t.dir, "failed", ".ctl"), 2);
	tq_close(&t);
}

static void
test_run_null_sender_no_dsn(void **state)
{
	static const char *const r[] = { "bad@example.net", NULL };
	struct tq		t;
	struct queue_params	p;
	struct queue_stats	st;
	struct queue_deliverer	d;
	struct fake		f;
	struct err		e;

	(void)state;
	tq_open(&t);
	params(&p);
	d = fake_deliverer(&f);
	submit(&t, "", r, NULL);
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.dsn, 0);
	assert_int_equal(fx_count(t.dir, "q", ""), 0);
	assert_int_equal(fx_count(t.dir, "failed", ".ctl"), 1);
	tq_close(&t);
}

static void
test_run_notify_never(void **state)
{
	static const char *const r[] = { "bad@example.net", NULL };
	struct tq		 t;
	struct queue_spool	*s;
	struct envelope		 env;
	struct queue_params	 p;
	struct queue_stats	 st;
	struct queue_deliverer	 d;
	struct fake		 f;
	struct err		 e;

	(void)state;
	tq_open(&t);
	params(&p);
	d = fake_deliverer(&f);
	env_make(&env, "alice@example.com", r);
	env.dsn_notify = strdup("never");
	assert_int_equal(queue_spool_begin(t.q, &s, &e), 0);
	assert_int_equal(write(queue_spool_fd(s), message,
	    sizeof(message) - 1), (ssize_t)(sizeof(message) - 1));
	assert_int_equal(queue_commit(t.q, s, &env, &e), 0);
	queue_spool_close(t.q, s);
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.dsn, 0);
	envelope_free(&env);
	tq_close(&t);
}

static void
test_run_max_entries(void **state)
{
	static const char *const r[] = { "ok@example.net", NULL };
	struct tq		t;
	struct queue_params	p;
	struct queue_stats	st;
	struct queue_deliverer	d;
	struct fake		f;
	struct err		e;
	int			i;

	(void)state;
	tq_open(&t);
	params(&p);
	d = fake_deliverer(&f);
	for (i = 0; i < 5; i++)
		submit(&t, "alice@example.com", r, NULL);
	p.max_entries = 2;	/* the self-drain bound */
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(f.calls, 2);
	assert_int_equal(fx_count(t.dir, "q", ".ctl"), 3);
	tq_close(&t);
}

static void
test_run_malformed_moved(void **state)
{
	static const char *const r[] = { "ok@example.net", NULL };
	struct tq		t;
	struct queue_params	p;
	struct queue_stats	st;
	struct queue_deliverer	d;
	struct fake		f;
	struct err		e;
	char			id[QUEUE_ID_SIZE], path[PATH_MAX];
	int			fd;

	(void)state;
	tq_open(&t);
	params(&p);
	d = fake_deliverer(&f);
	submit(&t, "alice@example.com", r, id);
	/* Truncate the control file, as a full disk might have. */
	snprintf(path, sizeof(path), "%s/q/%s.ctl", t.dir, id);
	assert_int_equal(truncate(path, 60), 0);
	/* And a stray file the runner must leave alone. */
	snprintf(path, sizeof(path), "%s/q/README", t.dir);
	assert_true((fd = open(path, O_CREAT | O_WRONLY, 0600)) != -1);
	close(fd);
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(f.calls, 0);
	assert_int_equal(fx_count(t.dir, "failed", ".bad"), 1);
	assert_int_equal(fx_count(t.dir, "failed", ".data"), 1);
	assert_int_equal(fx_count(t.dir, "q", ""), 1);	/* README */
	tq_close(&t);
}

/*
 * When failed/ cannot be written, the bounce is not lost (the recipient
 * stays for the next run) and what was sent is still recorded.
 */
static void
test_run_failed_unwritable(void **state)
{
	static const char *const r[] = { "ok@example.net", "bad@example.net",
	    NULL };
	struct tq		t;
	struct queue_params	p;
	struct queue_stats	st;
	struct queue_deliverer	d;
	struct queue_entry	qe;
	struct fake		f;
	struct err		e;
	char			id[QUEUE_ID_SIZE], path[PATH_MAX];

	(void)state;
	tq_open(&t);
	params(&p);
	d = fake_deliverer(&f);
	submit(&t, "alice@example.com", r, id);
	snprintf(path, sizeof(path), "%s/failed", t.dir);
	assert_int_equal(rmdir(path), 0);	/* even root cannot link there */
	assert_int_equal(queue_run(t.q, &p, &d, &st, &e), -1);
	assert_int_equal(e.cls, ERR_IO);
	assert_int_equal(read_entry(&t, "q", id, &qe), 0);
	assert_int_equal(qe.env.rcpts[0].state, RCPT_SENT);
	assert_int_equal(qe.env.rcpts[1].state, RCPT_DEFERRED);
	queue_entry_free(&qe);
	assert_int_equal(fx_count(t.dir, "tmp", ""), 0);
	tq_close(&t);
}

/* ---- interactive settle, background deliver ------------------------------ */

static void
settle_case(const char *const *r, int down, enum queue_outcome want,
    int in_q, int in_failed)
{
	struct tq		 t;
	struct queue_spool	*s;
	struct envelope		 env;
	struct queue_params	 p;
	struct fake		 f;
	struct err		 e, res;
	enum queue_outcome	 out;

	tq_open(&t);
	params(&p);
	memset(&f, 0, sizeof(f));
	env_make(&env, "alice@example.com", r);
	assert_int_equal(queue_spool_begin(t.q, &s, &e), 0);
	assert_int_equal(write(queue_spool_fd(s), message,
	    sizeof(message) - 1), (ssize_t)(sizeof(message) - 1));
	err_clear(&res);
	f.down = down;
	fake_deliver(&f, &env, queue_spool_fd(s),
	    (off_t)(sizeof(message) - 1), &res);
	assert_int_equal(queue_spool_settle(t.q, s, &env, &res, &p, &out,
	    &e), 0);
	assert_int_equal(out, want);
	queue_spool_close(t.q, s);
	assert_int_equal(fx_count(t.dir, "tmp", ""), 0);
	assert_int_equal(fx_count(t.dir, "q", ".ctl"), in_q);
	assert_int_equal(fx_count(t.dir, "failed", ".ctl"), in_failed);
	envelope_free(&env);
	tq_close(&t);
}

static void
test_settle(void **state)
{
	static const char *const ok[] = { "ok@example.net", NULL };
	static const char *const bad[] = { "bad@example.net", NULL };
	static const char *const mixed[] = { "ok@example.net",
	    "tmp@example.net", "bad@example.net", NULL };

	(void)state;
	settle_case(ok, 0, QUEUE_DISCARDED, 0, 0);
	settle_case(ok, 1, QUEUE_QUEUED, 1, 0);	/* smarthost down */
	settle_case(bad, 0, QUEUE_FAILED, 0, 1);
	settle_case(mixed, 0, QUEUE_QUEUED, 1, 1);
}

static void
test_spool_deliver(void **state)
{
	static const char *const r[] = { "ok@example.net", NULL };
	struct tq		 t;
	struct queue_spool	*s;
	struct envelope		 env;
	struct queue_params	 p;
	struct queue_stats	 st;
	struct queue_deliverer	 d;
	struct fake		 f;
	struct err		 e;

	(void)state;
	tq_open(&t);
	params(&p);
	d = fake_deliverer(&f);
	env_make(&env, "alice@example.com", r);
	assert_int_equal(queue_spool_begin(t.q, &s, &e), 0);
	assert_int_equal(write(queue_spool_fd(s), message,
	    sizeof(message) - 1), (ssize_t)(sizeof(message) - 1));
	assert_int_equal(queue_commit(t.q, s, &env, &e), 0);
	assert_int_equal(queue_spool_deliver(t.q, s, &p, &d, &st, &e), 0);
	queue_spool_close(t.q, s);
	assert_int_equal(f.calls, 1);
	assert_int_equal(fx_count(t.dir, "q", ""), 0);
	envelope_free(&env);
	tq_close(&t);
}

/* ---- crash points -------------------------------------------------------- */

/*
 * For every commit step: a child is killed there; then a run (later, so
 * tmp/ leftovers are old enough) delivers the message at most once and
 * leaves no stray file.  Killed before the entry exists: not delivered
 * (the caller saw the kill).  After: delivered exactly once.
 */
static void
test_crash_commit(void **state)
{
	static const struct { const char *point; int delivered; } c[] = {
		{ "spool:after-create", 0 },
		{ "commit:before", 0 },
		{ "commit:after-data-fsync", 0 },
		{ "commit:after-ctl-write", 0 },
		{ "commit:after-ctl-fsync", 0 },
		{ "commit:after-data-rename", 0 },
		{ "commit:after-ctl-rename", 1 },
		{ "commit:after-dir-fsync", 1 },
	};
	static const char *const r[] = { "ok@example.net", NULL };
	struct tq		t;
	struct queue_params	p;
	struct queue_stats	st;
	struct queue_deliverer	d;
	struct fake		f;
	struct err		e;
	size_t			i;
	pid_t			pid;
	int			status;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		tq_open(&t);
		params(&p);
		d = fake_deliverer(&f);
		if ((pid = fork()) == 0) {
			setenv("POSTERN_CRASH_AT", c[i].point, 1);
			submit(&t, "alice@example.com", r, NULL);
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
			fail_msg("%s: not killed", c[i].point);
		p.now = time(NULL) + 3600;
		assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
		assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
		if (f.calls != c[i].delivered)
			fail_msg("%s: delivered %d times", c[i].point,
			    f.calls);
		assert_int_equal(fx_count(t.dir, "tmp", ""), 0);
		assert_int_equal(fx_count(t.dir, "q", ""), 0);
		tq_close(&t);
	}
}

/*
 * For every runner step: the message is delivered; after the kill, the
 * next run delivers it again only if the kill came before the state was
 * recorded (run:after-deliver and earlier: the duplicate window).
 */
static void
test_crash_run(void **state)
{
	static const struct {
		const char *point;
		const char *rcpt;
		int total;	/* deliveries over both runs */
	} c[] = {
		{ "run:after-lock", "ok@example.net", 1 },
		{ "run:after-deliver", "ok@example.net", 2 },	/* window */
		{ "run:after-ctl-unlink", "ok@example.net", 1 },
		{ "run:after-data-unlink", "ok@example.net", 1 },
		{ "run:after-dir-fsync", "ok@example.net", 1 },
		{ "run:after-ctl-write", "tmp@example.net", 2 },
		{ "run:after-ctl-rename", "tmp@example.net", 2 },
		{ "fail:after-data-link", "bad@example.net", 2 },
		{ "fail:after-ctl-rename", "bad@example.net", 2 },
		{ "fail:after-dsn", "bad@example.net", 2 },
	};
	struct tq		t;
	struct queue_params	p;
	struct queue_stats	st;
	struct queue_deliverer	d;
	struct fake		f;
	struct err		e;
	size_t			i;
	pid_t			pid;
	int			status, first;
	const char		*r[2];

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		tq_open(&t);
		params(&p);
		p.no_dsn = 0;
		r[0] = c[i].rcpt;
		r[1] = NULL;
		submit(&t, "", r, NULL);	/* no DSN to muddle counts */
		d = fake_deliverer(&f);
		if ((pid = fork()) == 0) {
			setenv("POSTERN_CRASH_AT", c[i].point, 1);
			queue_run(t.q, &p, &d, &st, &e);
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
			fail_msg("%s: not killed", c[i].point);
		first = strcmp(c[i].point, "run:after-lock") == 0 ? 0 : 1;
		p.now = time(NULL) + 3600;
		p.force = 1;
		assert_int_equal(queue_run(t.q, &p, &d, &st, &e), 0);
		if (first + f.calls != c[i].total)
			fail_msg("%s: %d deliveries", c[i].point,
			    first + f.calls);
		assert_int_equal(fx_count(t.dir, "tmp", ""), 0);
		if (c[i].rcpt[0] == 'o')
			assert_int_equal(fx_count(t.dir, "q", ""), 0);
		tq_close(&t);
	}
}

/* A crash point name is honoured only with the variable set. */
static void
test_crash_names_listed(void **state)
{
	static const char *const names[] = QUEUE_CRASH_POINTS;
	size_t	n;

	(void)state;
	for (n = 0; names[n] != NULL; n++)
		assert_true(strchr(names[n], ':') != NULL);
	assert_int_equal(n, 18);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctl_roundtrip),
		cmocka_unit_test(test_ctl_good_base),
		cmocka_unit_test(test_ctl_malformed),
		cmocka_unit_test(test_ctl_truncated),
		cmocka_unit_test(test_ctl_format_refuses),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_commit_files),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_fsize),
		cmocka_unit_test(test_enospc),
		cmocka_unit_test(test_lock_skips),
		cmocka_unit_test(test_run_success_deletes),
		cmocka_unit_test(test_run_tempfail_backoff),
		cmocka_unit_test(test_run_delay_warning),
		cmocka_unit_test(test_run_partial),
		cmocka_unit_test(test_run_lifetime),
		cmocka_unit_test(test_run_lifetime_mixed_status),
		cmocka_unit_test(test_run_expire_unreachable),
		cmocka_unit_test(test_run_expire_max_entries),
		cmocka_unit_test(test_run_permanent),
		cmocka_unit_test(test_run_null_sender_no_dsn),
		cmocka_unit_test(test_run_notify_never),
		cmocka_unit_test(test_run_max_entries),
		cmocka_unit_test(test_run_malformed_moved),
		cmocka_unit_test(test_run_failed_unwritable),
		cmocka_unit_test(test_settle),
		cmocka_unit_test(test_spool_deliver),
		cmocka_unit_test(test_run_own_only),
		cmocka_unit_test(test_crash_commit),
		cmocka_unit_test(test_crash_run),
		cmocka_unit_test(test_crash_names_listed),
	};

	unsetenv("POSTERN_CRASH_AT");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
