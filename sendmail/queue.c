/*
 * queue.c -- the durable local queue: spool format, commit, run, scan.
 *
 * Exit status 0 promises that a message was delivered or is on disk and
 * will be delivered exactly once by a later run.  This file keeps that
 * promise.  It trusts nothing it reads back: a queue file may have been
 * truncated by a crash or a full disk, or written by anyone who can write
 * to the queue directory (group postern in the privileged layout), so
 * every length is checked and a file that does not parse is moved aside.
 *
 * DIRECTORY LAYOUT (under [queue] dir, 2770 root:postern when privileged)
 *
 *	tmp/ID.data, tmp/ID.ctl    being written; never read by a run
 *	q/ID.data                  the message, canonical form (msg.h)
 *	q/ID.ctl                   its control file; its presence is what
 *	                           makes the entry exist
 *	failed/ID.data, ID.ctl     permanently failed (or a copy of the
 *	                           message with the failed recipients)
 *	failed/ID.bad              a control file that did not parse
 *
 * Subdirectories are created 0770 (plus the set-gid bit of the queue
 * directory) when missing; files 0640, set with fchmod so the caller's
 * umask does not matter.  ID is QUEUE_ID_LEN upper-case hex digits: 9 of
 * seconds, 5 of microseconds, 10 random.  A file whose name is not ID.data,
 * ID.ctl or ID.bad is never touched.
 *
 * CONTROL FILE FORMAT (version 1)
 *
 * The first line is "POSTERN-QUEUE 1\n".  Then records, each
 *
 *	TAG SP LEN ":" VALUE "\n"
 *
 * TAG is 1-3 ASCII letters, LEN the decimal length of VALUE (no leading
 * zero, at most QUEUE_FIELD_MAX), VALUE exactly LEN octets followed by a
 * newline.  No value may hold an octet below 0x20 or 0x7f, so neither a
 * newline nor NUL can appear in a field even though the framing would
 * survive it (Exim CVE-2020-28026 put a newline into its spool).  Records:
 *
 *	I   id, equal to the file name             required, first
 *	T   created, Unix seconds                  required
 *	S   envelope sender, "" = null sender      required
 *	N   DSN NOTIFY   R  DSN RET   V  ENVID      optional
 *	B   body type: 0 unspecified, 7, 8         optional
 *	U   1 when SMTPUTF8 is needed              optional
 *	Z   size of the data file, octets          required
 *	A   attempts so far                        required
 *	X   next attempt, Unix seconds             required
 *	E   last error                             optional
 *	C   number of recipients, 1..QUEUE_RCPT_MAX  required, before any r
 *	r   recipient address (starts a recipient)
 *	s   its state: P pending, S sent, D deferred, F failed  (one per r)
 *	m   its last reply                         optional, after r
 *	END the empty value; last record, nothing may follow
 *
 * Scalar records appear at most once.  Unknown tags, a missing required
 * record, a count that does not match, a missing END (a truncated file)
 * or a size that differs from the data file make the entry malformed: a
 * run renames it to failed/ID.bad (with failed/ID.data) and says so.
 *
 * COMMIT PROTOCOL (queue_spool_begin, queue_commit)
 *
 *	1. open tmp/ID.data O_CREAT|O_EXCL|O_NOFOLLOW, flock it; the caller
 *	   writes the message (every write checked: ENOSPC, EFBIG)
 *	2. fsync the data file
 *	3. write tmp/ID.ctl (O_EXCL, locked), fsync it
 *	4. rename tmp/ID.data -> q/ID.data
 *	5. rename tmp/ID.ctl -> q/ID.ctl: the entry now exists
 *	6. fsync q/; only now is 0 returned
 * A failure at any step removes what was made.  A crash leaves files in
 * tmp/ (no entry), or q/ID.data alone (no entry), or a whole entry whose
 * caller was never told: it is delivered once, which the caller may not
 * expect but which loses nothing.  Leftovers are removed by the next run
 * once nobody holds their lock (and tmp/ files only when older than
 * TMP_MAX_AGE, which closes the window between open and flock).
 *
 * LOCKING
 *
 * Whoever delivers an entry holds flock(LOCK_EX|LOCK_NB) on its data file,
 * which is never replaced while the entry lives; a locked entry is
 * skipped.  The control file is opened only after the lock is held, so the
 * holder always sees the latest state (locking the control file instead
 * would race with its replacement by rename).  A submitter holds the lock
 * from step 1 until queue_spool_close(), across fork for -odb.
 *
 * RUN UPDATE AND REMOVAL
 *
 * After a delivery attempt the new state is written to tmp/ID.ctl,
 * fsync'd and renamed over q/ID.ctl, then q/ is fsync'd.  When no
 * recipient is left to try, q/ID.ctl is unlinked first (the entry is gone),
 * then q/ID.data, then q/ is fsync'd.  Newly failed recipients are first
 * recorded in failed/ (data hard-linked, control file written and renamed
 * in) and their DSN queued, and only then is the entry updated or removed,
 * so a crash repeats a DSN rather than losing it.
 *
 * EXPIRY: an entry past [queue] lifetime is due whatever its next attempt
 * says; it gets one last attempt, and whatever is still undelivered then
 * fails (failed/ and a DSN, as above).  Once the deliverer can send no
 * more (its more() says 0: the smarthost is unreachable), the run keeps
 * scanning, oldest first and under the same lock, but only to expire the
 * entries past lifetime, without that last attempt; their DSNs wait in q/
 * for the smarthost like any message.  Such an expiry counts toward
 * max_entries.
 *
 * THE DUPLICATE WINDOW: between the smarthost's final 250 and the rename
 * or unlink of the control file, the entry on disk still says "not sent";
 * a crash there means the next run sends the message again to the
 * recipients that had accepted it.  Crash points inside the window:
 * run:after-deliver, run:after-ctl-write, and when a recipient failed in
 * the same attempt fail:after-data-link, fail:after-ctl-rename and
 * fail:after-dsn (and the DSN's own commit:* points).  A crash after the
 * DSN is committed (commit:after-ctl-rename, commit:after-dir-fsync,
 * fail:after-dsn) also queues the DSN a second time.  These are the only
 * duplicates, and the price of never losing mail (RFC 5321 section 6.1);
 * compat-tests/cases/503-queue-crash.sh shows each point.
 */
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "clock.h"
#include "envelope.h"
#include "err.h"
#include "queue.h"

#define CTL_MAGIC	"POSTERN-QUEUE 1\n"
#define FILE_MODE	0640
#define DIR_MODE	0770
#define TMP_MAX_AGE	600		/* seconds before tmp/ leftovers go */
#define DSN_HDR_MAX	(64 * 1024)	/* original headers quoted in a DSN */
#define DSN_FLUSH	8192
#define ID_TRIES	16
#define TIME_MAX	((uint64_t)1 << 40)	/* sane Unix seconds */
#define SIZE_MAX_Q	((uint64_t)1 << 50)
#define EXPIRED_TEXT	"delivery time expired"

struct queue {
	char	*dir;
	int	 rootfd;
	int	 tmpfd;		/* -1 when missing (read-only open) */
	int	 qfd;
	int	 failfd;
};

enum spool_where { SPOOL_TMP, SPOOL_QUEUED, SPOOL_GONE };

struct queue_spool {
	char		 id[QUEUE_ID_SIZE];
	int		 fd;		/* data file, locked */
	enum spool_where where;
};

static const char *const crash_names[] = QUEUE_CRASH_POINTS;
static unsigned long crash_hits;

/*
 * Raise SIGKILL when POSTERN_CRASH_AT names this point.  secure_getenv()
 * returns NULL in a set-id process, so only unprivileged test runs honour
 * the variable.
 */
static void
crash_point(const char *name)
{
	const char	*want, *at;
	size_t		 len;
	unsigned long	 nth = 1;
	char		*end;

	if ((want = secure_getenv("POSTERN_CRASH_AT")) == NULL)
		return;
	if ((at = strchr(want, '@')) != NULL) {
		len = (size_t)(at - want);
		errno = 0;
		nth = strtoul(at + 1, &end, 10);
		if (errno != 0 || *end != '\0' || nth == 0)
			return;
	} else
		len = strlen(want);
	if (len != strlen(name) || memcmp(want, name, len) != 0)
		return;
	if (++crash_hits == nth)
		raise(SIGKILL);
}

/* Only to keep the list in queue.h honest: every point used is listed. */
static int
crash_known(const char *name)
{
	size_t	i;

	for (i = 0; crash_names[i] != NULL; i++)
		if (strcmp(crash_names[i], name) == 0)
			return 1;
	return 0;
}

static void
crash(const char *name)
{
	if (crash_known(name))
		crash_point(name);
}

static time_t
now_of(const struct queue_params *p)
{
	return p != NULL && p->now != 0 ? p->now : time(NULL);
}

static unsigned
rnd32(void)
{
	unsigned	v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = (unsigned)time(NULL) ^ (unsigned)getpid();
	return v;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char	*c = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
fsync_dir(int fd)
{
	if (fsync(fd) == -1 && errno != EINVAL && errno != EROFS)
		return -1;
	return 0;
}

static int
name_has(const char *name, const char *suffix, char *id)
{
	size_t	n = strlen(name), sl = strlen(suffix);

	if (n != QUEUE_ID_LEN + sl || strcmp(name + QUEUE_ID_LEN, suffix) != 0)
		return 0;
	memcpy(id, name, QUEUE_ID_LEN);
	id[QUEUE_ID_LEN] = '\0';
	return queue_id_valid(id);
}

static void
ename(char *out, size_t outlen, const char *id, const char *suffix)
{
	snprintf(out, outlen, "%s%s", id, suffix);
}

int
queue_id_valid(const char *id)
{
	size_t	i;

	for (i = 0; i < QUEUE_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'A' && id[i] <= 'F')))
			return 0;
	return id[QUEUE_ID_LEN] == '\0';
}

static int
make_id(char *id)
{
	struct timespec		ts;
	unsigned char		r[5];
	unsigned long long	rv = 0;
	size_t			i;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return -1;
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	for (i = 0; i < sizeof(r); i++)
		rv = rv << 8 | r[i];
	snprintf(id, QUEUE_ID_SIZE, "%09llX%05lX%010llX",
	    (unsigned long long)ts.tv_sec & 0xFFFFFFFFFULL,
	    (unsigned long)(ts.tv_nsec / 1000), rv);
	return 0;
}

unsigned
queue_backoff(unsigned retry, unsigned retry_max, unsigned attempts,
    unsigned rnd)
{
	unsigned long long	d;
	unsigned		i, jit;

	if (retry == 0)
		retry = 1;
	if (retry_max < retry)
		retry_max = retry;
	d = retry;
	for (i = 1; i < attempts && d < retry_max; i++)
		d *= 2;
	if (d > retry_max)
		d = retry_max;
	/*
	 * Take off up to a fifth: runners started together spread out, and
	 * the delay never exceeds retry_max.
	 */
	jit = (unsigned)(d / 5);
	if (jit > 0)
		d -= rnd % (jit + 1);
	return d < 1 ? 1 : (unsigned)d;
}

void
queue_params_init(struct queue_params *p, const struct config *c)
{
	memset(p, 0, sizeof(*p));
	p->retry = c != NULL ? c->retry : 60;
	p->retry_max = c != NULL ? c->retry_max : 3600;
	p->lifetime = c != NULL ? c->lifetime : 5 * 86400;
}

/* ------------------------------------------------------------------ */
/* Control file: format and parse                                      */

void
queue_entry_init(struct queue_entry *qe)
{
	memset(qe, 0, sizeof(*qe));
	envelope_init(&qe->env);
}

void
queue_entry_free(struct queue_entry *qe)
{
	free(qe->last_error);
	envelope_free(&qe->env);
	memset(qe, 0, sizeof(*qe));
}

static int
is_text(const char *v, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	return 1;
}

static int
valid_addr(const char *v, size_t len, int empty_ok)
{
	struct err	e;
	char		tmp[ADDR_PATH_MAX + 1];

	if (len == 0)
		return empty_ok;
	if (len > ADDR_PATH_MAX || !is_text(v, len))
		return 0;
	/* v is not terminated: it points into the control file. */
	memcpy(tmp, v, len);
	tmp[len] = '\0';
	return addr_check_envelope(tmp, &e) == 0;
}

static int
valid_word(const char *v, size_t len, size_t max, const char *extra)
{
	size_t	i;

	if (len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') ||
		    (v[i] >= 'A' && v[i] <= 'Z') ||
		    (extra != NULL && v[i] != '\0' && strchr(extra, v[i]))))
			return 0;
	return 1;
}

/* RFC 3461 4.4: ENVID is at most 100 printable ASCII characters. */
static int
valid_envid(const char *v, size_t len)
{
	size_t	i;

	if (len == 0 || len > 100)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7e)
			return 0;
	return 1;
}

static int
put_rec(struct buf *b, const char *tag, const char *v, size_t len)
{
	if (buf_printf(b, "%s %zu:", tag, len) == -1 ||
	    buf_add(b, v, len) == -1 || buf_addc(b, '\n') == -1)
		return -1;
	return 0;
}

static int
put_str(struct buf *b, const char *tag, const char *s)
{
	return put_rec(b, tag, s, strlen(s));
}

static int
put_num(struct buf *b, const char *tag, unsigned long long n)
{
	char	tmp[32];

	snprintf(tmp, sizeof(tmp), "%llu", n);
	return put_str(b, tag, tmp);
}

/* Free text (replies, errors): control octets become spaces, cut long. */
static int
put_text(struct buf *b, const char *tag, const char *s)
{
	char	tmp[QUEUE_TEXT_MAX];
	size_t	i, n = strlen(s);

	if (n > sizeof(tmp))
		n = sizeof(tmp);
	for (i = 0; i < n; i++)
		tmp[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ?
		    ' ' : s[i];
	return put_rec(b, tag, tmp, n);
}

static const char rcpt_state_chars[] = "PSDF";

int
queue_ctl_format(const struct queue_entry *qe, struct buf *out,
    struct err *e)
{
	const struct envelope	*env = &qe->env;
	size_t			 i;
	char			 st[2] = { 0, 0 };
	int			 bad = 0;

	if (!queue_id_valid(qe->id))
		return err_set(e, ERR_SOFTWARE, "queue: bad id");
	if (env->sender == NULL ||
	    !valid_addr(env->sender, strlen(env->sender), 1))
		return err_set(e, ERR_DATA, "queue: sender cannot be stored");
	if (env->nrcpts == 0 || env->nrcpts > QUEUE_RCPT_MAX)
		return err_set(e, ERR_DATA, "queue: %zu recipients",
		    env->nrcpts);
	if (env->dsn_notify != NULL && !valid_word(env->dsn_notify,
	    strlen(env->dsn_notify), 64, ","))
		return err_set(e, ERR_DATA, "queue: bad DSN NOTIFY");
	if (env->dsn_ret != NULL && !valid_word(env->dsn_ret,
	    strlen(env->dsn_ret), 8, NULL))
		return err_set(e, ERR_DATA, "queue: bad DSN RET");
	if (env->dsn_envid != NULL && !valid_envid(env->dsn_envid,
	    strlen(env->dsn_envid)))
		return err_set(e, ERR_DATA, "queue: bad DSN ENVID");
	if (qe->created < 0 || (uint64_t)qe->created >= TIME_MAX ||
	    qe->next_attempt < 0 || (uint64_t)qe->next_attempt >= TIME_MAX ||
	    qe->size < 0 || (uint64_t)qe->size >= SIZE_MAX_Q)
		return err_set(e, ERR_SOFTWARE, "queue: value out of range");

	bad |= buf_adds(out, CTL_MAGIC);
	bad |= put_str(out, "I", qe->id);
	bad |= put_num(out, "T", (unsigned long long)qe->created);
	bad |= put_str(out, "S", env->sender);
	if (env->dsn_notify != NULL)
		bad |= put_str(out, "N", env->dsn_notify);
	if (env->dsn_ret != NULL)
		bad |= put_str(out, "R", env->dsn_ret);
	if (env->dsn_envid != NULL)
		bad |= put_str(out, "V", env->dsn_envid);
	bad |= put_str(out, "B", env->body == BODY_7BIT ? "7" :
	    env->body == BODY_8BITMIME ? "8" : "0");
	bad |= put_str(out, "U", env->smtputf8 ? "1" : "0");
	bad |= put_num(out, "Z", (unsigned long long)qe->size);
	bad |= put_num(out, "A", qe->attempts);
	bad |= put_num(out, "X", (unsigned long long)qe->next_attempt);
	if (qe->last_error != NULL)
		bad |= put_text(out, "E", qe->last_error);
	bad |= put_num(out, "C", env->nrcpts);
	for (i = 0; i < env->nrcpts && bad == 0; i++) {
		const struct rcpt *r = &env->rcpts[i];

		if (r->addr == NULL || !valid_addr(r->addr,
		    strlen(r->addr), 0))
			return err_set(e, ERR_DATA,
			    "queue: recipient cannot be stored");
		if ((unsigned)r->state > RCPT_FAILED)
			return err_set(e, ERR_SOFTWARE, "queue: bad state");
		st[0] = rcpt_state_chars[r->state];
		bad |= put_str(out, "r", r->addr);
		bad |= put_str(out, "s", st);
		if (r->reply != NULL)
			bad |= put_text(out, "m", r->reply);
	}
	bad |= put_rec(out, "END", "", 0);
	if (bad != 0)
		return err_set(e, ERR_IO, "queue: control file too large");
	return 0;
}

struct rd {
	const char	*p;
	size_t		 len;
	size_t		 off;
};

/* Read one record; tag gets 1-3 letters. */
static int
rd_record(struct rd *r, char tag[4], const char **val, size_t *vlen,
    struct err *e)
{
	size_t	n = 0, digits = 0, len = 0;

	while (r->off < r->len && n < 3 &&
	    ((r->p[r->off] >= 'a' && r->p[r->off] <= 'z') ||
	    (r->p[r->off] >= 'A' && r->p[r->off] <= 'Z')))
		tag[n++] = r->p[r->off++];
	tag[n] = '\0';
	if (n == 0 || r->off >= r->len || r->p[r->off] != ' ')
		return err_set(e, ERR_DATA, "bad record tag at offset %zu",
		    r->off);
	r->off++;
	while (r->off < r->len && r->p[r->off] >= '0' &&
	    r->p[r->off] <= '9') {
		if (digits == 0 && r->p[r->off] == '0' &&
		    r->off + 1 < r->len && r->p[r->off + 1] != ':')
			return err_set(e, ERR_DATA, "leading zero in length");
		len = len * 10 + (size_t)(r->p[r->off] - '0');
		if (++digits > 7 || len > QUEUE_FIELD_MAX)
			return err_set(e, ERR_DATA, "record %s too long",
			    tag);
		r->off++;
	}
	if (digits == 0 || r->off >= r->len || r->p[r->off] != ':')
		return err_set(e, ERR_DATA, "bad length in record %s", tag);
	r->off++;
	if (len > r->len - r->off || r->len - r->off - len < 1)
		return err_set(e, ERR_DATA, "record %s truncated", tag);
	if (r->p[r->off + len] != '\n')
		return err_set(e, ERR_DATA, "record %s not terminated", tag);
	*val = r->p + r->off;
	*vlen = len;
	r->off += len + 1;
	if (!is_text(*val, len))
		return err_set(e, ERR_DATA, "control octet in record %s", tag);
	return 0;
}

static int
parse_u64(const char *v, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t	n = 0;
	size_t		i;

	if (len == 0 || len > 20 || (len > 1 && v[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (n > (max - (uint64_t)(v[i] - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	*out = n;
	return 0;
}

static char *
dupn(const char *v, size_t len)
{
	char	*p;

	if ((p = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(p, v, len);
	p[len] = '\0';
	return p;
}

/* Bits for the scalar records seen. */
enum {
	SEEN_I = 0x001, SEEN_T = 0x002, SEEN_S = 0x004, SEEN_N = 0x008,
	SEEN_R = 0x010, SEEN_V = 0x020, SEEN_B = 0x040, SEEN_U = 0x080,
	SEEN_Z = 0x100, SEEN_A = 0x200, SEEN_X = 0x400, SEEN_E = 0x800,
	SEEN_C = 0x1000
};
#define SEEN_REQUIRED	(SEEN_I | SEEN_T | SEEN_S | SEEN_Z | SEEN_A | \
			 SEEN_X | SEEN_C)

static int
scalar_bit(const char *tag)
{
	static const struct { const char *tag; int bit; } t[] = {
		{ "I", SEEN_I }, { "T", SEEN_T }, { "S", SEEN_S },
		{ "N", SEEN_N }, { "R", SEEN_R }, { "V", SEEN_V },
		{ "B", SEEN_B }, { "U", SEEN_U }, { "Z", SEEN_Z },
		{ "A", SEEN_A }, { "X", SEEN_X }, { "E", SEEN_E },
		{ "C", SEEN_C }
	};
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].tag, tag) == 0)
			return t[i].bit;
	return 0;
}

static int
parse_record(struct queue_entry *qe, const char *tag, const char *v,
    size_t len, size_t *count, int *rcpt_has, struct err *e)
{
	struct envelope	*env = &qe->env;
	struct rcpt	*rc;
	uint64_t	 n;
	const char	*sp;
	char		**slot = NULL;

	if (strcmp(tag, "I") == 0) {
		if (len != QUEUE_ID_LEN)
			return err_set(e, ERR_DATA, "bad id");
		memcpy(qe->id, v, len);
		qe->id[len] = '\0';
		if (!queue_id_valid(qe->id))
			return err_set(e, ERR_DATA, "bad id");
	} else if (strcmp(tag, "T") == 0 || strcmp(tag, "X") == 0) {
		if (parse_u64(v, len, TIME_MAX - 1, &n) == -1)
			return err_set(e, ERR_DATA, "bad time in %s", tag);
		if (tag[0] == 'T')
			qe->created = (time_t)n;
		else
			qe->next_attempt = (time_t)n;
	} else if (strcmp(tag, "Z") == 0) {
		if (parse_u64(v, len, SIZE_MAX_Q - 1, &n) == -1)
			return err_set(e, ERR_DATA, "bad size");
		qe->size = (off_t)n;
	} else if (strcmp(tag, "A") == 0) {
		if (parse_u64(v, len, 1000000, &n) == -1)
			return err_set(e, ERR_DATA, "bad attempt count");
		qe->attempts = (unsigned)n;
	} else if (strcmp(tag, "C") == 0) {
		if (parse_u64(v, len, QUEUE_RCPT_MAX, &n) == -1 || n == 0)
			return err_set(e, ERR_DATA, "bad recipient count");
		*count = (size_t)n;
		if ((env->rcpts = calloc(*count, sizeof(*env->rcpts))) == NULL)
			return err_set(e, ERR_SOFTWARE, "out of memory");
		env->cap = *count;
	} else if (strcmp(tag, "S") == 0) {
		if (!valid_addr(v, len, 1))
			return err_set(e, ERR_DATA, "bad sender");
		slot = &env->sender;
	} else if (strcmp(tag, "N") == 0) {
		if (!valid_word(v, len, 64, ","))
			return err_set(e, ERR_DATA, "bad DSN NOTIFY");
		slot = &env->dsn_notify;
	} else if (strcmp(tag, "R") == 0) {
		if (!valid_word(v, len, 8, NULL))
			return err_set(e, ERR_DATA, "bad DSN RET");
		slot = &env->dsn_ret;
	} else if (strcmp(tag, "V") == 0) {
		if (!valid_envid(v, len))
			return err_set(e, ERR_DATA, "bad DSN ENVID");
		slot = &env->dsn_envid;
	} else if (strcmp(tag, "B") == 0) {
		if (len != 1 || (sp = strchr("078", v[0])) == NULL ||
		    v[0] == '\0')
			return err_set(e, ERR_DATA, "bad body type");
		env->body = v[0] == '7' ? BODY_7BIT :
		    v[0] == '8' ? BODY_8BITMIME : BODY_UNSPEC;
	} else if (strcmp(tag, "U") == 0) {
		if (len != 1 || (v[0] != '0' && v[0] != '1'))
			return err_set(e, ERR_DATA, "bad SMTPUTF8 flag");
		env->smtputf8 = v[0] == '1';
	} else if (strcmp(tag, "E") == 0) {
		if (len > QUEUE_TEXT_MAX)
			return err_set(e, ERR_DATA, "error text too long");
		slot = &qe->last_error;
	} else if (strcmp(tag, "r") == 0) {
		if (env->rcpts == NULL)
			return err_set(e, ERR_DATA, "recipient before count");
		if (env->nrcpts > 0 && !(rcpt_has[0] & 1))
			return err_set(e, ERR_DATA, "recipient without state");
		if (env->nrcpts == *count)
			return err_set(e, ERR_DATA, "more recipients than %zu",
			    *count);
		if (!valid_addr(v, len, 0))
			return err_set(e, ERR_DATA, "bad recipient address");
		rc = &env->rcpts[env->nrcpts];
		if ((rc->addr = dupn(v, len)) == NULL)
			return err_set(e, ERR_SOFTWARE, "out of memory");
		env->nrcpts++;
		rcpt_has[0] = 0;
	} else if (strcmp(tag, "s") == 0 || strcmp(tag, "m") == 0) {
		if (env->nrcpts == 0)
			return err_set(e, ERR_DATA, "%s before a recipient",
			    tag);
		rc = &env->rcpts[env->nrcpts - 1];
		if (tag[0] == 's') {
			if ((rcpt_has[0] & 1) || len != 1 ||
			    (sp = memchr(rcpt_state_chars, v[0], 4)) == NULL)
				return err_set(e, ERR_DATA, "bad state");
			rc->state = (enum rcpt_state)(sp - rcpt_state_chars);
			rcpt_has[0] |= 1;
		} else {
			if ((rcpt_has[0] & 2) || len > QUEUE_TEXT_MAX)
				return err_set(e, ERR_DATA, "bad reply");
			if ((rc->reply = dupn(v, len)) == NULL)
				return err_set(e, ERR_SOFTWARE,
				    "out of memory");
			rcpt_has[0] |= 2;
		}
	} else
		return err_set(e, ERR_DATA, "unknown record %s", tag);

	if (slot != NULL && (*slot = dupn(v, len)) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	return 0;
}

int
queue_ctl_parse(const char *data, size_t len, struct queue_entry *qe,
    struct err *e)
{
	struct rd	 r = { data, len, 0 };
	const char	*v = NULL;
	size_t		 vlen = 0, count = 0, i;
	char		 tag[4];
	int		 seen = 0, bit, rcpt_has = 0, ended = 0;

	queue_entry_init(qe);
	if (len > QUEUE_CTL_MAX)
		return err_set(e, ERR_DATA, "control file too large");
	if (len < sizeof(CTL_MAGIC) - 1 ||
	    memcmp(data, CTL_MAGIC, sizeof(CTL_MAGIC) - 1) != 0)
		return err_set(e, ERR_DATA, "not a version 1 control file");
	r.off = sizeof(CTL_MAGIC) - 1;
	while (r.off < r.len) {
		if (rd_record(&r, tag, &v, &vlen, e) == -1)
			goto bad;
		if (strcmp(tag, "END") == 0) {
			if (vlen != 0) {
				err_set(e, ERR_DATA, "bad END record");
				goto bad;
			}
			ended = 1;
			break;
		}
		if (seen == 0 && strcmp(tag, "I") != 0) {
			err_set(e, ERR_DATA, "first record is not the id");
			goto bad;
		}
		if ((bit = scalar_bit(tag)) != 0) {
			if (seen & bit) {
				err_set(e, ERR_DATA, "duplicate record %s",
				    tag);
				goto bad;
			}
			seen |= bit;
		}
		if (parse_record(qe, tag, v, vlen, &count, &rcpt_has,
		    e) == -1)
			goto bad;
	}
	if (!ended) {
		err_set(e, ERR_DATA, "no END record: truncated");
		goto bad;
	}
	if (r.off != r.len) {
		err_set(e, ERR_DATA, "data after END record");
		goto bad;
	}
	if ((seen & SEEN_REQUIRED) != SEEN_REQUIRED) {
		err_set(e, ERR_DATA, "required record missing");
		goto bad;
	}
	if (qe->env.nrcpts != count || !(rcpt_has & 1)) {
		err_set(e, ERR_DATA, "recipient count or state missing");
		goto bad;
	}
	/* An 8-bit address needs SMTPUTF8, whatever the file says. */
	if (addr_is_utf8(qe->env.sender))
		qe->env.smtputf8 = 1;
	for (i = 0; i < qe->env.nrcpts; i++)
		if (addr_is_utf8(qe->env.rcpts[i].addr))
			qe->env.smtputf8 = 1;
	return 0;
bad:
	err_prefix(e, "malformed control file");
	queue_entry_free(qe);
	queue_entry_init(qe);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Directories                                                         */

static int
open_subdir(int rootfd, const char *name, int create, mode_t setgid,
    struct err *e)
{
	int	fd, made = 1;

	if ((fd = openat(rootfd, name, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) != -1)
		return fd;
	if (errno != ENOENT || !create) {
		if (errno == ENOENT)
			return -2;
		err_set(e, ERR_CANTCREAT, "queue: %s: %s", name,
		    strerror(errno));
		return -1;
	}
	if (mkdirat(rootfd, name, DIR_MODE) == -1) {
		if (errno != EEXIST) {
			err_set(e, ERR_CANTCREAT, "queue: mkdir %s: %s", name,
			    strerror(errno));
			return -1;
		}
		made = 0;
	}
	if ((fd = openat(rootfd, name, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1) {
		err_set(e, ERR_CANTCREAT, "queue: %s: %s", name,
		    strerror(errno));
		return -1;
	}
	/* The umask must not narrow the group's access. */
	if (made)
		(void)fchmod(fd, DIR_MODE | setgid);
	return fd;
}

int
queue_open(struct queue **qp, const char *dir, int create, struct err *e)
{
	struct queue	*q;
	struct stat	 st;
	int		*fds[3];
	const char	*names[3] = { "tmp", "q", "failed" };
	size_t		 i;

	*qp = NULL;
	if (dir == NULL || *dir == '\0')
		return err_set(e, ERR_CANTCREAT, "queue: no directory");
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->dir = strdup(dir)) == NULL) {
		free(q);
		return err_set(e, ERR_SOFTWARE, "out of memory");
	}
	q->rootfd = q->tmpfd = q->qfd = q->failfd = -1;
	if ((q->rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1 && errno == ENOENT && create) {
		if (mkdir(dir, DIR_MODE) == -1 && errno != EEXIST) {
			err_set(e, ERR_CANTCREAT, "queue: mkdir %s: %s", dir,
			    strerror(errno));
			goto fail;
		}
		q->rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (q->rootfd == -1) {
		if (errno == ENOENT && !create) {
			*qp = q;	/* no queue yet: reads as empty */
			return 0;
		}
		err_set(e, ERR_CANTCREAT, "queue: %s: %s", dir,
		    strerror(errno));
		goto fail;
	}
	if (fstat(q->rootfd, &st) == -1) {
		err_set(e, ERR_CANTCREAT, "queue: %s: %s", dir,
		    strerror(errno));
		goto fail;
	}
	fds[0] = &q->tmpfd;
	fds[1] = &q->qfd;
	fds[2] = &q->failfd;
	for (i = 0; i < 3; i++) {
		*fds[i] = open_subdir(q->rootfd, names[i], create,
		    st.st_mode & S_ISGID, e);
		if (*fds[i] == -1)
			goto fail;
		if (*fds[i] == -2)
			*fds[i] = -1;
	}
	*qp = q;
	return 0;
fail:
	queue_close(q);
	return -1;
}

void
queue_close(struct queue *q)
{
	if (q == NULL)
		return;
	if (q->rootfd != -1)
		close(q->rootfd);
	if (q->tmpfd != -1)
		close(q->tmpfd);
	if (q->qfd != -1)
		close(q->qfd);
	if (q->failfd != -1)
		close(q->failfd);
	free(q->dir);
	free(q);
}

static int
writable(struct queue *q, struct err *e)
{
	if (q->tmpfd == -1 || q->qfd == -1 || q->failfd == -1)
		return err_set(e, ERR_CANTCREAT,
		    "queue: %s is missing or incomplete", q->dir);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

/* Create dirfd/name exclusively, 0640, locked.  -1 with errno. */
static int
create_locked(int dirfd, const char *name)
{
	int	fd, save;

	fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, FILE_MODE);
	if (fd == -1)
		return -1;
	if (fchmod(fd, FILE_MODE) == -1 ||
	    flock(fd, LOCK_EX | LOCK_NB) == -1) {
		save = errno;
		close(fd);
		(void)unlinkat(dirfd, name, 0);
		errno = save;
		return -1;
	}
	return fd;
}

/*
 * Write qe's control file to tmp/ID.ctl and fsync it; the caller renames
 * it into place.  A stale tmp/ID.ctl can only be a crashed writer's (we
 * hold the entry's lock), so it is replaced.
 */
static int
write_ctl_tmp(struct queue *q, const struct queue_entry *qe,
    const char *crash_after_write, struct err *e)
{
	struct buf	b;
	char		name[QUEUE_ID_SIZE + 8];
	int		fd, save;

	ename(name, sizeof(name), qe->id, ".ctl");
	buf_init(&b, QUEUE_CTL_MAX);
	if (queue_ctl_format(qe, &b, e) == -1) {
		buf_free(&b);
		return -1;
	}
	if ((fd = create_locked(q->tmpfd, name)) == -1 && errno == EEXIST) {
		(void)unlinkat(q->tmpfd, name, 0);
		fd = create_locked(q->tmpfd, name);
	}
	if (fd == -1) {
		err_set(e, errno == ENOSPC || errno == EDQUOT ? ERR_IO :
		    ERR_CANTCREAT, "queue: create tmp/%s: %s", name,
		    strerror(errno));
		buf_free(&b);
		return -1;
	}
	if (write_all(fd, b.data, b.len) == -1)
		goto fail;
	if (crash_after_write != NULL)
		crash(crash_after_write);
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	buf_free(&b);
	return 0;
fail:
	save = errno;
	if (fd != -1)
		close(fd);
	(void)unlinkat(q->tmpfd, name, 0);
	buf_free(&b);
	return err_set(e, ERR_IO, "queue: write tmp/%s: %s", name,
	    strerror(save));
}

/*
 * Read a control file, bounded.  1: it does not exist.  -1 with ERR_DATA
 * when it is malformed, ERR_IO or ERR_SOFTWARE when it could not be read
 * now (the entry itself may be fine).
 */
static int
read_ctl(int dirfd, const char *name, struct queue_entry *qe,
    struct err *e)
{
	struct stat	 st;
	char		*p;
	size_t		 len = 0;
	ssize_t		 r;
	int		 fd, rc;

	queue_entry_init(qe);
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 1;
		/*
		 * A symbolic link is never ours; anything else (EMFILE,
		 * EACCES, EIO) says nothing about the entry: try next time.
		 */
		return err_set(e, errno == ELOOP ? ERR_DATA : ERR_IO,
		    "open %s: %s", name, strerror(errno));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > QUEUE_CTL_MAX) {
		close(fd);
		return err_set(e, ERR_DATA, "%s: not a regular file of "
		    "sane size", name);
	}
	if ((p = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return err_set(e, ERR_SOFTWARE, "out of memory");
	}
	/* Read one octet past the size to notice a file that grew. */
	while (len <= (size_t)st.st_size) {
		r = read(fd, p + len, (size_t)st.st_size + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			rc = err_set(e, ERR_IO, "read %s: %s", name,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > (size_t)st.st_size) {
		rc = err_set(e, ERR_DATA, "%s changed while read", name);
		goto out;
	}
	rc = queue_ctl_parse(p, len, qe, e);
out:
	free(p);
	close(fd);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Spool and commit                                                    */

int
queue_spool_begin(struct queue *q, struct queue_spool **sp, struct err *e)
{
	struct queue_spool	*s;
	char			 name[QUEUE_ID_SIZE + 8];
	int			 i;

	*sp = NULL;
	if (writable(q, e) == -1)
		return -1;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	s->fd = -1;
	for (i = 0; i < ID_TRIES; i++) {
		if (make_id(s->id) == -1) {
			free(s);
			return err_set(e, ERR_CANTCREAT,
			    "queue: no random id: %s", strerror(errno));
		}
		ename(name, sizeof(name), s->id, ".data");
		if ((s->fd = create_locked(q->tmpfd, name)) != -1 ||
		    errno != EEXIST)
			break;
	}
	if (s->fd == -1) {
		err_set(e, ERR_CANTCREAT, "queue: create %s/tmp/%s: %s",
		    q->dir, name, strerror(errno));
		free(s);
		return -1;
	}
	s->where = SPOOL_TMP;
	*sp = s;
	crash("spool:after-create");
	return 0;
}

int
queue_spool_fd(const struct queue_spool *s)
{
	return s->fd;
}

const char *
queue_spool_id(const struct queue_spool *s)
{
	return s->id;
}

/* Undo a commit that did not complete: leave no entry behind. */
static void
commit_undo(struct queue *q, const char *id, int destfd)
{
	char	name[QUEUE_ID_SIZE + 8];

	ename(name, sizeof(name), id, ".ctl");
	(void)unlinkat(destfd, name, 0);
	(void)unlinkat(q->tmpfd, name, 0);
	ename(name, sizeof(name), id, ".data");
	(void)unlinkat(destfd, name, 0);
	(void)unlinkat(q->tmpfd, name, 0);
	(void)fsync_dir(destfd);
}

/* Commit the spool's files with control file qe into destfd (q/ or failed/). */
static int
commit_to(struct queue *q, struct queue_spool *s,
    const struct queue_entry *qe, int destfd, struct err *e)
{
	struct stat	st;
	char		data[QUEUE_ID_SIZE + 8], ctl[QUEUE_ID_SIZE + 8];
	const char	*what;

	if (s->where != SPOOL_TMP)
		return err_set(e, ERR_SOFTWARE, "queue: spool not pending");
	ename(data, sizeof(data), s->id, ".data");
	ename(ctl, sizeof(ctl), s->id, ".ctl");
	crash("commit:before");
	what = "fsync";
	if (fsync(s->fd) == -1)
		goto fail;
	crash("commit:after-data-fsync");
	if (write_ctl_tmp(q, qe, "commit:after-ctl-write", e) == -1)
		goto undo;
	crash("commit:after-ctl-fsync");
	/* Refuse to commit a file that is not what the caller wrote. */
	what = "stat";
	if (fstat(s->fd, &st) == -1)
		goto fail;
	if (st.st_size != qe->size) {
		errno = EIO;
		goto fail;
	}
	what = "rename";
	if (renameat(q->tmpfd, data, destfd, data) == -1)
		goto fail;
	crash("commit:after-data-rename");
	if (renameat(q->tmpfd, ctl, destfd, ctl) == -1)
		goto fail;
	crash("commit:after-ctl-rename");
	what = "fsync directory";
	if (fsync_dir(destfd) == -1)
		goto fail;
	crash("commit:after-dir-fsync");
	s->where = destfd == q->qfd ? SPOOL_QUEUED : SPOOL_GONE;
	return 0;
fail:
	err_set(e, ERR_IO, "queue: commit %s: %s: %s", s->id, what,
	    strerror(errno));
undo:
	commit_undo(q, s->id, destfd);
	s->where = SPOOL_GONE;
	return -1;
}

static int
entry_from_env(struct queue_entry *qe, const char *id, int datafd,
    const struct envelope *env, struct err *e)
{
	struct stat	st;

	queue_entry_init(qe);
	memcpy(qe->id, id, QUEUE_ID_SIZE);
	if (fstat(datafd, &st) == -1)
		return err_set(e, ERR_IO, "queue: stat: %s", strerror(errno));
	qe->size = st.st_size;
	qe->created = time(NULL);
	qe->next_attempt = qe->created;
	/* Borrowed: the caller's envelope; never freed through qe. */
	qe->env = *env;
	return 0;
}

int
queue_commit(struct queue *q, struct queue_spool *s,
    const struct envelope *env, struct err *e)
{
	struct queue_entry	qe;

	if (s == NULL || s->where != SPOOL_TMP)
		return err_set(e, ERR_SOFTWARE, "queue: nothing to commit");
	if (entry_from_env(&qe, s->id, s->fd, env, e) == -1 ||
	    commit_to(q, s, &qe, q->qfd, e) == -1) {
		if (s->where == SPOOL_TMP) {
			commit_undo(q, s->id, q->qfd);
			s->where = SPOOL_GONE;
		}
		return -1;
	}
	return 0;
}

/* Remove an uncommitted spool's files; the spool stays allocated. */
static void
spool_discard(struct queue *q, struct queue_spool *s)
{
	char	name[QUEUE_ID_SIZE + 8];

	if (s->where != SPOOL_TMP)
		return;
	ename(name, sizeof(name), s->id, ".data");
	(void)unlinkat(q->tmpfd, name, 0);
	ename(name, sizeof(name), s->id, ".ctl");
	(void)unlinkat(q->tmpfd, name, 0);
	s->where = SPOOL_GONE;
}

void
queue_spool_abort(struct queue *q, struct queue_spool *s)
{
	if (s == NULL)
		return;
	spool_discard(q, s);
	if (s->fd != -1)
		close(s->fd);
	free(s);
}

void
queue_spool_close(struct queue *q, struct queue_spool *s)
{
	queue_spool_abort(q, s);
}

/* ------------------------------------------------------------------ */
/* Failure records and DSNs                                            */

static const char *const wday[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const month[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* RFC 5322 date, in UTC so that no locale or time zone file is needed. */
static void
rfc5322_date(time_t t, char *out, size_t outlen)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, outlen, "Thu, 01 Jan 1970 00:00:00 +0000");
		return;
	}
	snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    wday[tm.tm_wday % 7], tm.tm_mday, month[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/*
 * Record the entry in failed/: the data linked (from q/) or renamed (from
 * tmp/), the control file with the final states renamed over any older
 * record of the same id.
 */
static int
fail_record(struct queue *q, const struct queue_entry *qe, int from_tmp,
    struct err *e)
{
	char	data[QUEUE_ID_SIZE + 8], ctl[QUEUE_ID_SIZE + 8];

	ename(data, sizeof(data), qe->id, ".data");
	ename(ctl, sizeof(ctl), qe->id, ".ctl");
	if (from_tmp) {
		if (renameat(q->tmpfd, data, q->failfd, data) == -1)
			return err_set(e, ERR_IO, "queue: rename %s to "
			    "failed/: %s", data, strerror(errno));
	} else if (linkat(q->qfd, data, q->failfd, data, 0) == -1 &&
	    errno != EEXIST)
		return err_set(e, ERR_IO, "queue: link %s into failed/: %s",
		    data, strerror(errno));
	crash("fail:after-data-link");
	if (write_ctl_tmp(q, qe, NULL, e) == -1)
		return -1;
	if (renameat(q->tmpfd, ctl, q->failfd, ctl) == -1) {
		err_set(e, ERR_IO, "queue: rename %s to failed/: %s", ctl,
		    strerror(errno));
		(void)unlinkat(q->tmpfd, ctl, 0);
		return -1;
	}
	crash("fail:after-ctl-rename");
	if (fsync_dir(q->failfd) == -1)
		return err_set(e, ERR_IO, "queue: fsync failed/: %s",
		    strerror(errno));
	return 0;
}

struct dsnw {
	int		fd;
	struct buf	b;
	int		failed;
	int		eightbit;
};

static void dsn_printf(struct dsnw *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
dsn_flush(struct dsnw *w)
{
	if (!w->failed && w->b.len > 0 &&
	    write_all(w->fd, w->b.data, w->b.len) == -1)
		w->failed = errno;
	buf_reset(&w->b);
}

static void
dsn_add(struct dsnw *w, const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			w->eightbit = 1;
	if (w->b.len + n > DSN_FLUSH)
		dsn_flush(w);
	if (n > DSN_FLUSH) {
		if (!w->failed && write_all(w->fd, p, n) == -1)
			w->failed = errno;
		return;
	}
	if (buf_add(&w->b, p, n) == -1 && !w->failed)
		w->failed = ENOMEM;
}

static void
dsn_printf(struct dsnw *w, const char *fmt, ...)
{
	char	tmp[2048];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		w->failed = EINVAL;
		return;
	}
	if ((size_t)n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	dsn_add(w, tmp, (size_t)n);
}

/* Copy text for one header or DSN line: no control octets, bounded. */
static void
clean_line(const char *s, char *out, size_t outlen)
{
	size_t	i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < outlen; i++)
		out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ?
		    ' ' : s[i];
	out[i] = '\0';
}

/* "5.1.1" from "550 5.1.1 text", else class.0.0 from the reply code. */
static void
status_of(const char *reply, int expired, char *out, size_t outlen)
{
	const char	*p;
	size_t		 i, d1, d2;

	if (expired) {
		snprintf(out, outlen, "4.4.7");
		return;
	}
	if (reply != NULL && strlen(reply) > 4 &&
	    (reply[0] == '4' || reply[0] == '5') &&
	    reply[1] >= '0' && reply[1] <= '9' &&
	    reply[2] >= '0' && reply[2] <= '9' &&
	    (reply[3] == ' ' || reply[3] == '-')) {
		p = reply + 4;
		if (p[0] == reply[0] && p[1] == '.') {
			for (i = 2, d1 = 0; p[i] >= '0' && p[i] <= '9'; i++)
				d1++;
			if (d1 >= 1 && d1 <= 3 && p[i] == '.') {
				for (i++, d2 = 0; p[i] >= '0' && p[i] <= '9';
				    i++)
					d2++;
				if (d2 >= 1 && d2 <= 3 && (p[i] == ' ' ||
				    p[i] == '\0') && i < outlen) {
					memcpy(out, p, i);
					out[i] = '\0';
					return;
				}
			}
		}
		snprintf(out, outlen, "%c.0.0", reply[0]);
		return;
	}
	snprintf(out, outlen, "5.0.0");
}

/* Copy the original header section (bounded, whole lines) into the DSN. */
static void
dsn_headers(struct dsnw *w, int datafd, off_t size)
{
	char	*h;
	size_t	 len = 0, cut, i;
	ssize_t	 r;
	size_t	 want = size < DSN_HDR_MAX ? (size_t)size : DSN_HDR_MAX;

	if ((h = malloc(want + 1)) == NULL) {
		w->failed = ENOMEM;
		return;
	}
	while (len < want) {
		r = pread(datafd, h + len, want - len, (off_t)len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	cut = len;
	for (i = 0; i + 3 < len; i++)
		if (memcmp(h + i, "\r\n\r\n", 4) == 0) {
			cut = i + 2;
			break;
		}
	/* Whole lines only, so the part stays in canonical form. */
	while (cut > 0 && !(cut >= 2 && h[cut - 2] == '\r' &&
	    h[cut - 1] == '\n'))
		cut--;
	dsn_add(w, h, cut);
	free(h);
}

static int
wants_failure_dsn(const struct envelope *env)
{
	const char	*n = env->dsn_notify;

	if (env->sender == NULL || env->sender[0] == '\0')
		return 0;	/* never bounce to the null sender */
	if (n == NULL)
		return 1;
	return strcasestr(n, "failure") != NULL;
}

/*
 * Queue an RFC 3464 delivery status notification to qe's sender for the
 * recipients that failed in this attempt (state FAILED, before[] not).
 */
static int
dsn_queue(struct queue *q, const struct queue_entry *qe, int datafd,
    const enum rcpt_state *before, int expired,
    const struct queue_params *p, struct err *e)
{
	struct queue_spool	*s;
	struct envelope		 env;
	struct dsnw		 w;
	const char		*host;
	char			 date[64], adate[64], boundary[80];
	char			 line[QUEUE_TEXT_MAX + 1], status[16];
	size_t			 i;
	int			 rc;

	host = p != NULL && p->hostname != NULL && p->hostname[0] != '\0' ?
	    p->hostname : "localhost";
	if (queue_spool_begin(q, &s, e) == -1)
		return -1;
	memset(&w, 0, sizeof(w));
	w.fd = s->fd;
	buf_init(&w.b, 2 * DSN_FLUSH + 4096);
	rfc5322_date(now_of(p), date, sizeof(date));
	rfc5322_date(qe->created, adate, sizeof(adate));
	snprintf(boundary, sizeof(boundary), "=_postern_%s_=", s->id);

	dsn_printf(&w, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n",
	    host);
	dsn_printf(&w, "To: <%s>\r\n", qe->env.sender);
	dsn_printf(&w, "Subject: Undelivered Mail Returned to Sender\r\n");
	dsn_printf(&w, "Date: %s\r\n", date);
	dsn_printf(&w, "Message-ID: <%s.dsn@%s>\r\n", s->id, host);
	dsn_printf(&w, "Auto-Submitted: auto-replied\r\n");
	dsn_printf(&w, "MIME-Version: 1.0\r\n");
	dsn_printf(&w, "Content-Type: multipart/report; "
	    "report-type=delivery-status;\r\n\tboundary=\"%s\"\r\n", boundary);
	dsn_printf(&w, "\r\nThis is a MIME-encapsulated message.\r\n\r\n");

	dsn_printf(&w, "--%s\r\n", boundary);
	dsn_printf(&w, "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n");
	dsn_printf(&w, "This is the mail system at host %s.\r\n\r\n", host);
	dsn_printf(&w, "Your message (queue id %s, submitted %s)\r\n"
	    "could not be delivered to one or more recipients.\r\n",
	    qe->id, adate);
	if (expired)
		dsn_printf(&w, "It could not be delivered within the "
		    "queue lifetime.\r\n");
	dsn_printf(&w, "\r\n");
	for (i = 0; i < qe->env.nrcpts; i++) {
		const struct rcpt *r = &qe->env.rcpts[i];

		if (r->state != RCPT_FAILED || before[i] == RCPT_FAILED)
			continue;
		clean_line(r->reply != NULL ? r->reply : "failed", line,
		    900);
		dsn_printf(&w, "<%s>: %s\r\n", r->addr, line);
	}

	dsn_printf(&w, "\r\n--%s\r\n", boundary);
	dsn_printf(&w, "Content-Type: message/delivery-status\r\n\r\n");
	dsn_printf(&w, "Reporting-MTA: dns; %s\r\n", host);
	dsn_printf(&w, "X-Postern-Queue-ID: %s\r\n", qe->id);
	if (qe->env.dsn_envid != NULL)
		dsn_printf(&w, "Original-Envelope-Id: %s\r\n",
		    qe->env.dsn_envid);
	dsn_printf(&w, "Arrival-Date: %s\r\n", adate);
	for (i = 0; i < qe->env.nrcpts; i++) {
		const struct rcpt *r = &qe->env.rcpts[i];

		if (r->state != RCPT_FAILED || before[i] == RCPT_FAILED)
			continue;
		/* One refused for good in the last attempt keeps its 5.x.x. */
		status_of(r->reply, expired && r->reply != NULL &&
		    strncmp(r->reply, EXPIRED_TEXT,
		    sizeof(EXPIRED_TEXT) - 1) == 0, status, sizeof(status));
		clean_line(r->reply != NULL ? r->reply : "failed", line,
		    900);
		dsn_printf(&w, "\r\nFinal-Recipient: %s; %s\r\n",
		    addr_is_utf8(r->addr) ? "utf-8" : "rfc822", r->addr);
		dsn_printf(&w, "Action: failed\r\nStatus: %s\r\n", status);
		if (line[0] >= '2' && line[0] <= '5' && line[1] >= '0' &&
		    line[1] <= '9' && line[2] >= '0' && line[2] <= '9')
			dsn_printf(&w, "Diagnostic-Code: smtp; %s\r\n", line);
		else
			dsn_printf(&w, "Diagnostic-Code: X-Postern; %s\r\n",
			    line);
		dsn_printf(&w, "Last-Attempt-Date: %s\r\n", date);
	}

	dsn_printf(&w, "\r\n--%s\r\n", boundary);
	dsn_printf(&w, "Content-Type: text/rfc822-headers\r\n\r\n");
	dsn_headers(&w, datafd, qe->size);
	dsn_printf(&w, "\r\n--%s--\r\n", boundary);
	dsn_flush(&w);
	buf_free(&w.b);
	if (w.failed) {
		queue_spool_abort(q, s);
		return err_set(e, ERR_IO, "queue: write DSN: %s",
		    strerror(w.failed));
	}

	envelope_init(&env);
	if (envelope_set_sender(&env, "", e) == -1 ||
	    envelope_add_rcpt(&env, qe->env.sender, e) == -1) {
		envelope_free(&env);
		queue_spool_abort(q, s);
		return -1;
	}
	env.body = w.eightbit ? BODY_8BITMIME : BODY_7BIT;
	rc = queue_commit(q, s, &env, e);
	envelope_free(&env);
	queue_spool_close(q, s);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Recording an attempt                                                */

static int
err_is_permanent(enum err_class c)
{
	return c == ERR_UNAVAILABLE || c == ERR_DATA || c == ERR_NOUSER;
}

/*
 * Make every tried recipient's state definite: one the deliverer left
 * PENDING takes the class of its error; one it should not have touched
 * gets its old state back.
 */
static void
normalize(struct envelope *env, const enum rcpt_state *before, int rc,
    const struct err *de)
{
	struct rcpt	*r;
	size_t		 i;

	for (i = 0; i < env->nrcpts; i++) {
		r = &env->rcpts[i];
		if (before[i] == RCPT_SENT || before[i] == RCPT_FAILED) {
			r->state = before[i];
			continue;
		}
		if (r->state == RCPT_SENT || r->state == RCPT_FAILED ||
		    r->state == RCPT_DEFERRED)
			continue;
		if (rc == -1 && err_is_permanent(de->cls))
			r->state = RCPT_FAILED;
		else
			r->state = RCPT_DEFERRED;
		if (r->reply == NULL || rc == -1)
			(void)envelope_set_reply(r, rc == -1 && de->msg[0] ?
			    de->msg : "delivery not attempted");
	}
}

static size_t
count_left(const struct envelope *env)
{
	return envelope_count(env, RCPT_PENDING) +
	    envelope_count(env, RCPT_DEFERRED);
}

static size_t
count_new_failed(const struct envelope *env, const enum rcpt_state *before)
{
	size_t	i, n = 0;

	for (i = 0; i < env->nrcpts; i++)
		if (env->rcpts[i].state == RCPT_FAILED &&
		    before[i] != RCPT_FAILED)
			n++;
	return n;
}

/* The first reply of a recipient still waiting, for "last error". */
static void
set_last_error(struct queue_entry *qe, const struct err *de, int rc)
{
	const char	*m = NULL;
	size_t		 i;

	/*
	 * A session-level error (connect, TLS, AUTH, a 4xx to MAIL) is why
	 * every waiting recipient waits.  When the attempt's error is about
	 * refused recipients (ERR_NOUSER), it says nothing about the ones
	 * still queued: their own reply does.
	 */
	if (rc == -1 && de->msg[0] != '\0' && de->cls != ERR_NOUSER)
		m = de->msg;
	for (i = 0; m == NULL && i < qe->env.nrcpts; i++)
		if (qe->env.rcpts[i].state == RCPT_DEFERRED &&
		    qe->env.rcpts[i].reply != NULL)
			m = qe->env.rcpts[i].reply;
	if (m == NULL && rc == -1 && de->msg[0] != '\0')
		m = de->msg;
	if (m == NULL)
		return;
	free(qe->last_error);
	qe->last_error = strdup(m);
}

/* Entry finished: control file first (the entry is gone), then data. */
static int
entry_remove(struct queue *q, const char *id, struct err *e)
{
	char	name[QUEUE_ID_SIZE + 8];

	ename(name, sizeof(name), id, ".ctl");
	if (unlinkat(q->qfd, name, 0) == -1 && errno != ENOENT)
		return err_set(e, ERR_IO, "queue: unlink %s: %s", name,
		    strerror(errno));
	crash("run:after-ctl-unlink");
	ename(name, sizeof(name), id, ".data");
	if (unlinkat(q->qfd, name, 0) == -1 && errno != ENOENT)
		return err_set(e, ERR_IO, "queue: unlink %s: %s", name,
		    strerror(errno));
	crash("run:after-data-unlink");
	if (fsync_dir(q->qfd) == -1)
		return err_set(e, ERR_IO, "queue: fsync q/: %s",
		    strerror(errno));
	crash("run:after-dir-fsync");
	return 0;
}

static int
entry_update(struct queue *q, const struct queue_entry *qe, struct err *e)
{
	char	name[QUEUE_ID_SIZE + 8];

	ename(name, sizeof(name), qe->id, ".ctl");
	if (write_ctl_tmp(q, qe, NULL, e) == -1)
		return -1;
	crash("run:after-ctl-write");
	if (renameat(q->tmpfd, name, q->qfd, name) == -1) {
		err_set(e, ERR_IO, "queue: rename %s: %s", name,
		    strerror(errno));
		(void)unlinkat(q->tmpfd, name, 0);
		return -1;
	}
	crash("run:after-ctl-rename");
	if (fsync_dir(q->qfd) == -1)
		return err_set(e, ERR_IO, "queue: fsync q/: %s",
		    strerror(errno));
	crash("run:after-dir-fsync");
	return 0;
}

static void
report(const struct queue_deliverer *d, const struct queue_entry *qe,
    const char *status, const char *detail)
{
	if (d != NULL && d->report != NULL)
		d->report(d->arg, qe, status, detail);
}

/*
 * Keep newly failed recipients in failed/ and bounce them to the sender.
 * A DSN that cannot be made for this sender (ERR_DATA) is skipped; a
 * local write failure is returned.
 */
static int
record_failures(struct queue *q, const struct queue_entry *qe, int datafd,
    const enum rcpt_state *before, int expired, const struct queue_params *p,
    struct queue_stats *st, struct err *e)
{
	struct err	de;

	if (fail_record(q, qe, 0, e) == -1)
		return -1;
	if (st != NULL)
		st->failed++;
	if (!p->no_dsn && wants_failure_dsn(&qe->env)) {
		err_clear(&de);
		if (dsn_queue(q, qe, datafd, before, expired, p, &de) == -1) {
			if (de.cls != ERR_DATA) {
				*e = de;
				return -1;
			}
		} else if (st != NULL)
			st->dsn++;
	}
	crash("fail:after-dsn");
	return 0;
}

/*
 * Record one attempt on a queued (q/) entry whose lock we hold: fail what
 * expired, keep newly failed recipients in failed/ and bounce them, then
 * update or remove the entry.
 */
static int
entry_settle(struct queue *q, struct queue_entry *qe, int datafd,
    const enum rcpt_state *before, const struct queue_params *p,
    const struct queue_deliverer *d, struct queue_stats *st, struct err *e)
{
	time_t		 now = now_of(p), expiry;
	size_t		 i, nfail;
	int		 expired = 0, local_error = 0;
	struct err	 ue;
	char		 why[QUEUE_TEXT_MAX];
	struct rcpt	*r;
	const char	*status;

	expiry = qe->created + (time_t)p->lifetime;
	if (count_left(&qe->env) > 0 && now >= expiry) {
		expired = 1;
		for (i = 0; i < qe->env.nrcpts; i++) {
			r = &qe->env.rcpts[i];
			if (r->state != RCPT_PENDING &&
			    r->state != RCPT_DEFERRED)
				continue;
			/*
			 * An earlier expiry whose failure could not be
			 * recorded left its reply: do not wrap it again.
			 */
			if (r->reply == NULL || strncmp(r->reply,
			    EXPIRED_TEXT, sizeof(EXPIRED_TEXT) - 1) != 0) {
				snprintf(why, sizeof(why), EXPIRED_TEXT " (%s)",
				    r->reply != NULL ? r->reply :
				    qe->last_error != NULL ? qe->last_error :
				    "never attempted");
				(void)envelope_set_reply(r, why);
			}
			r->state = RCPT_FAILED;
		}
	}
	nfail = count_new_failed(&qe->env, before);
	if (nfail > 0 && record_failures(q, qe, datafd, before, expired, p,
	    st, e) == -1) {
		/*
		 * The failure could not be recorded or bounced (a full disk?):
		 * keep those recipients for the next run rather than lose
		 * the bounce, but do record what was sent, so that it is not
		 * sent twice.  The run stops after this entry.
		 */
		local_error = 1;
		for (i = 0; i < qe->env.nrcpts; i++)
			if (qe->env.rcpts[i].state == RCPT_FAILED &&
			    before[i] != RCPT_FAILED)
				qe->env.rcpts[i].state = RCPT_DEFERRED;
		nfail = 0;
		expired = 0;
	}
	if (count_left(&qe->env) == 0) {
		if (entry_remove(q, qe->id, e) == -1)
			return -1;
		status = expired ? "expired" : nfail > 0 ? "failed" : "sent";
		if (expired && st != NULL)
			st->expired++;
		else if (nfail == 0 && st != NULL)
			st->sent++;
	} else {
		qe->next_attempt = now + (time_t)queue_backoff(p->retry,
		    p->retry_max, qe->attempts, rnd32());
		if (qe->next_attempt > expiry && expiry > now)
			qe->next_attempt = expiry;
		if (local_error) {
			if (entry_update(q, qe, &ue) == 0)
				report(d, qe, "deferred", e->msg);
			return -1;
		}
		if (entry_update(q, qe, e) == -1)
			return -1;
		status = nfail > 0 ? "failed" : "deferred";
		if (st != NULL)
			st->deferred++;
	}
	report(d, qe, status, qe->last_error);
	return 0;
}

/*
 * Try one entry whose lock we hold, then record the outcome.  Without
 * deliver, nothing is sent: the entry only expires (the caller has checked
 * that it is past its lifetime), as when the smarthost cannot be reached.
 */
static int
attempt(struct queue *q, struct queue_entry *qe, int datafd, int deliver,
    const struct queue_params *p, const struct queue_deliverer *d,
    struct queue_stats *st, struct err *e)
{
	enum rcpt_state	*before;
	struct err	 de;
	size_t		 i;
	int		 rc;

	if ((before = calloc(qe->env.nrcpts, sizeof(*before))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	for (i = 0; i < qe->env.nrcpts; i++)
		before[i] = qe->env.rcpts[i].state;
	err_clear(&de);
	if (deliver && count_left(&qe->env) > 0) {
		(void)lseek(datafd, 0, SEEK_SET);
		rc = d->deliver(d->arg, &qe->env, datafd, qe->size, &de);
		crash("run:after-deliver");
		normalize(&qe->env, before, rc, &de);
		qe->attempts++;
		set_last_error(qe, &de, rc);
	}
	if (deliver && st != NULL)
		st->due++;
	rc = entry_settle(q, qe, datafd, before, p, d, st, e);
	free(before);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The runner                                                          */

/* Move a control file that does not parse (and its data) aside. */
static void
move_aside(struct queue *q, const char *id, const struct err *why,
    const struct queue_deliverer *d, struct queue_stats *st)
{
	struct queue_entry	qe;
	char			from[QUEUE_ID_SIZE + 8], to[QUEUE_ID_SIZE + 8];

	ename(from, sizeof(from), id, ".ctl");
	ename(to, sizeof(to), id, ".bad");
	(void)renameat(q->qfd, from, q->failfd, to);
	ename(from, sizeof(from), id, ".data");
	(void)renameat(q->qfd, from, q->failfd, from);
	(void)fsync_dir(q->failfd);
	(void)fsync_dir(q->qfd);
	if (st != NULL)
		st->malformed++;
	queue_entry_init(&qe);
	memcpy(qe.id, id, QUEUE_ID_SIZE);
	report(d, &qe, "malformed", why->msg);
}

/*
 * Open and lock q/ID.data.  -1 with *locked: LOCK_HELD (another process
 * has it), LOCK_ERROR (a local error such as EMFILE or ENOLCK: nothing is
 * known about the entry) or LOCK_NONE (missing, a symbolic link or not a
 * regular file).
 */
enum { LOCK_NONE = 0, LOCK_HELD, LOCK_ERROR };

static int
lock_data(struct queue *q, const char *id, int *locked, struct stat *st)
{
	char	name[QUEUE_ID_SIZE + 8];
	int	fd;

	*locked = LOCK_NONE;
	ename(name, sizeof(name), id, ".data");
	fd = openat(q->qfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1) {
		if (errno != ENOENT && errno != ELOOP)
			*locked = LOCK_ERROR;
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		*locked = errno == EWOULDBLOCK ? LOCK_HELD : LOCK_ERROR;
		close(fd);
		return -1;
	}
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * One entry whose data file is open and locked as datafd.  Reads the
 * control file only now, so the state seen is the latest.  expire_only:
 * the deliverer can send nothing more (its more() said 0), so an entry
 * past its lifetime expires without a last attempt and any other is left
 * alone.  *tried: the entry was attempted or expired.
 */
static int
process_locked(struct queue *q, const char *id, int datafd,
    const struct stat *dst, const struct queue_params *p, int force,
    int expire_only, const struct queue_deliverer *d,
    struct queue_stats *st, int *tried, struct err *e)
{
	struct queue_entry	qe;
	struct err		pe;
	char			name[QUEUE_ID_SIZE + 8];
	int			rc, past;
	time_t			now = now_of(p);

	*tried = 0;
	crash("run:after-lock");
	ename(name, sizeof(name), id, ".ctl");
	err_clear(&pe);
	if ((rc = read_ctl(q->qfd, name, &qe, &pe)) == 1)
		return 0;	/* finished by someone else meanwhile */
	if (rc == 0 && strcmp(qe.id, id) != 0)
		rc = err_set(&pe, ERR_DATA, "id %s in file %s", qe.id, name);
	if (rc == 0 && qe.size != dst->st_size)
		rc = err_set(&pe, ERR_DATA, "data file is %lld octets, "
		    "control file says %lld", (long long)dst->st_size,
		    (long long)qe.size);
	if (rc == -1) {
		queue_entry_free(&qe);
		if (pe.cls != ERR_DATA)
			return 0;	/* out of memory, EMFILE: next time */
		move_aside(q, id, &pe, d, st);
		return 0;
	}
	if (p->select != NULL && !p->select(p->select_arg, &qe)) {
		queue_entry_free(&qe);
		return 0;	/* not chosen by -qI, -qR, -qS */
	}
	past = now >= qe.created + (time_t)p->lifetime;
	if ((expire_only && !past) ||
	    (!force && qe.next_attempt > now && !past)) {
		queue_entry_free(&qe);
		return 0;
	}
	*tried = 1;
	rc = attempt(q, &qe, datafd, !expire_only, p, d, st, e);
	queue_entry_free(&qe);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct names {
	char	**v;
	size_t	  n, cap;
};

static int
names_add(struct names *l, const char *s)
{
	char	**v;
	size_t	  ncap;

	if (l->n == l->cap) {
		ncap = l->cap ? l->cap * 2 : 64;
		if ((v = reallocarray(l->v, ncap, sizeof(*v))) == NULL)
			return -1;
		l->v = v;
		l->cap = ncap;
	}
	if ((l->v[l->n] = strdup(s)) == NULL)
		return -1;
	l->n++;
	return 0;
}

static void
names_free(struct names *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* List the file names in dirfd, sorted. */
static int
list_dir(int dirfd, struct names *l, struct err *e)
{
	DIR		*dp;
	struct dirent	*de;
	int		 fd;

	memset(l, 0, sizeof(*l));
	if (dirfd == -1)
		return 0;
	if ((fd = dup(dirfd)) == -1 || (dp = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return err_set(e, ERR_IO, "queue: read directory: %s",
		    strerror(errno));
	}
	rewinddir(dp);
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (names_add(l, de->d_name) == -1) {
			closedir(dp);
			names_free(l);
			return err_set(e, ERR_SOFTWARE, "out of memory");
		}
	}
	closedir(dp);
	if (l->n > 0)
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
	return 0;
}

/*
 * Remove what crashed processes left: tmp/ files nobody holds (and old
 * enough that their creator is not between open and flock), and q/ data
 * files without a control file that nobody holds.
 */
static void
cleanup(struct queue *q, time_t now, struct queue_stats *st)
{
	struct names	 l;
	struct stat	 sb, sn;
	struct err	 e;
	char		 id[QUEUE_ID_SIZE], ctl[QUEUE_ID_SIZE + 8];
	size_t		 i;
	int		 fd, locked;

	if (list_dir(q->tmpfd, &l, &e) == 0) {
		for (i = 0; i < l.n; i++) {
			if (!name_has(l.v[i], ".data", id) &&
			    !name_has(l.v[i], ".ctl", id))
				continue;
			fd = openat(q->tmpfd, l.v[i], O_RDONLY | O_NOFOLLOW |
			    O_NONBLOCK | O_CLOEXEC);
			if (fd == -1)
				continue;
			if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
			    now - sb.st_mtime >= TMP_MAX_AGE &&
			    flock(fd, LOCK_EX | LOCK_NB) == 0 &&
			    fstatat(q->tmpfd, l.v[i], &sn,
			    AT_SYMLINK_NOFOLLOW) == 0 &&
			    sn.st_ino == sb.st_ino && sn.st_dev == sb.st_dev &&
			    unlinkat(q->tmpfd, l.v[i], 0) == 0 && st != NULL)
				st->cleaned++;
			close(fd);
		}
		names_free(&l);
	}
	if (list_dir(q->qfd, &l, &e) == 0) {
		for (i = 0; i < l.n; i++) {
			if (!name_has(l.v[i], ".data", id))
				continue;
			ename(ctl, sizeof(ctl), id, ".ctl");
			if (fstatat(q->qfd, ctl, &sn, AT_SYMLINK_NOFOLLOW) ==
			    0 || errno != ENOENT)
				continue;
			if ((fd = lock_data(q, id, &locked, &sb)) == -1)
				continue;
			/* Still no control file, now that we hold it? */
			if (fstatat(q->qfd, ctl, &sn, AT_SYMLINK_NOFOLLOW) ==
			    -1 && errno == ENOENT &&
			    unlinkat(q->qfd, l.v[i], 0) == 0 && st != NULL)
				st->cleaned++;
			close(fd);
		}
		names_free(&l);
	}
}

int
queue_run(struct queue *q, const struct queue_params *p,
    const struct queue_deliverer *d, struct queue_stats *st,
    struct err *e)
{
	struct queue_stats	 dummy;
	struct names		 l;
	struct stat		 sb;
	char			 id[QUEUE_ID_SIZE], ctl[QUEUE_ID_SIZE + 8];
	size_t			 i, done = 0;
	int			 fd, locked, tried, expire_only, rc = 0;
	struct err		 pe;

	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	if (q->qfd == -1)
		return 0;	/* no queue: nothing to do */
	if (writable(q, e) == -1)
		return -1;
	cleanup(q, now_of(p), st);
	if (list_dir(q->qfd, &l, e) == -1)
		return -1;
	for (i = 0; i < l.n; i++) {
		if (!name_has(l.v[i], ".ctl", id))
			continue;
		st->entries++;
		if (p->max_entries != 0 && done >= p->max_entries)
			continue;
		/*
		 * Once the deliverer can send no more (the smarthost is
		 * unreachable), keep going, but only to expire what is past
		 * its lifetime: that needs no smarthost, and its DSN waits
		 * in the queue like any other message.
		 */
		expire_only = d->more != NULL && !d->more(d->arg);
		if ((fd = lock_data(q, id, &locked, &sb)) == -1) {
			if (locked == LOCK_HELD)
				st->locked++;
			if (locked != LOCK_NONE)
				continue;
			/* No data file: gone meanwhile, or broken. */
			ename(ctl, sizeof(ctl), id, ".ctl");
			if (faccessat(q->qfd, ctl, F_OK,
			    AT_SYMLINK_NOFOLLOW) == 0) {
				err_set(&pe, ERR_DATA, "data file missing "
				    "or unusable");
				move_aside(q, id, &pe, d, st);
			}
			continue;
		}
		rc = process_locked(q, id, fd, &sb, p, p->force, expire_only,
		    d, st, &tried, e);
		close(fd);
		if (tried)
			done++;
		if (rc == -1)
			break;
	}
	names_free(&l);
	return rc;
}

int
queue_spool_deliver(struct queue *q, struct queue_spool *s,
    const struct queue_params *p, const struct queue_deliverer *d,
    struct queue_stats *st, struct err *e)
{
	struct queue_stats	dummy;
	struct stat		sb;
	int			tried;

	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	if (s == NULL || s->where != SPOOL_QUEUED)
		return err_set(e, ERR_SOFTWARE, "queue: spool not queued");
	if (fstat(s->fd, &sb) == -1)
		return err_set(e, ERR_IO, "queue: stat: %s", strerror(errno));
	return process_locked(q, s->id, s->fd, &sb, p, 1, 0, d, st, &tried,
	    e);
}

int
queue_spool_settle(struct queue *q, struct queue_spool *s,
    struct envelope *env, const struct err *result,
    const struct queue_params *p, enum queue_outcome *out, struct err *e)
{
	struct queue_entry	 qe;
	enum rcpt_state		*before;
	struct err		 ok;
	size_t			 i, nfail;
	int			 rc = 0, failed_rc;

	*out = QUEUE_DISCARDED;
	if (s == NULL || s->where != SPOOL_TMP)
		return err_set(e, ERR_SOFTWARE, "queue: spool not pending");
	if (result == NULL) {
		err_clear(&ok);
		result = &ok;
	}
	if ((before = calloc(env->nrcpts ? env->nrcpts : 1,
	    sizeof(*before))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	for (i = 0; i < env->nrcpts; i++)
		before[i] = RCPT_PENDING;
	normalize(env, before, result->cls == ERR_OK ? 0 : -1, result);
	if (count_left(env) == 0 && envelope_count(env, RCPT_FAILED) == 0) {
		free(before);
		spool_discard(q, s);
		return 0;
	}
	if (entry_from_env(&qe, s->id, s->fd, env, e) == -1) {
		free(before);
		return -1;
	}
	qe.attempts = 1;
	set_last_error(&qe, result, result->cls == ERR_OK ? 0 : -1);
	nfail = count_new_failed(env, before);
	if (count_left(env) > 0) {
		qe.next_attempt = qe.created + (time_t)queue_backoff(p->retry,
		    p->retry_max, 1, rnd32());
		if (commit_to(q, s, &qe, q->qfd, e) == -1) {
			rc = -1;
			goto out;
		}
		*out = QUEUE_QUEUED;
		if (nfail > 0) {
			failed_rc = fail_record(q, &qe, 0, e);
			if (failed_rc == 0 && p->dsn_on_submit && !p->no_dsn &&
			    wants_failure_dsn(env))
				failed_rc = dsn_queue(q, &qe, s->fd, before, 0,
				    p, e);
			rc = failed_rc;
		}
	} else {
		/* Nothing to retry: the message itself goes to failed/. */
		if (commit_to(q, s, &qe, q->failfd, e) == -1) {
			rc = -1;
			goto out;
		}
		*out = QUEUE_FAILED;
		if (p->dsn_on_submit && !p->no_dsn && wants_failure_dsn(env))
			rc = dsn_queue(q, &qe, s->fd, before, 0, p, e);
	}
out:
	free(qe.last_error);
	free(before);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Scanning, for mailq and the queue tools (queue_list.c)              */

const char *
queue_dir(const struct queue *q)
{
	return q->dir;
}

/* Size of dirfd/ID.data and mtime of dirfd/name, for an entry without a
 * control file that parses; 0 when missing. */
static void
item_stat(int dirfd, const char *name, const char *id, struct queue_item *it)
{
	struct stat	sb;
	char		data[QUEUE_ID_SIZE + 8];

	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		it->mtime = sb.st_mtime;
	ename(data, sizeof(data), id, ".data");
	if (fstatat(dirfd, data, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(sb.st_mode))
		it->size = sb.st_size;
}

int
queue_scan(struct queue *q, enum queue_area area, queue_scan_fn fn,
    void *arg, struct err *e)
{
	struct names		 l;
	struct queue_entry	 qe;
	struct queue_item	 it;
	struct err		 pe;
	char			 id[QUEUE_ID_SIZE];
	size_t			 i;
	int			 dirfd, rc = 0, r;

	dirfd = area == QUEUE_AREA_FAILED ? q->failfd : q->qfd;
	if (list_dir(dirfd, &l, e) == -1)
		return -1;
	for (i = 0; i < l.n && rc == 0; i++) {
		memset(&it, 0, sizeof(it));
		it.area = area;
		it.id = id;
		it.name = l.v[i];
		if (name_has(l.v[i], ".bad", id)) {
			it.bad = 1;
			it.problem = "malformed control file";
			item_stat(dirfd, l.v[i], id, &it);
			rc = fn(arg, &it);
			continue;
		}
		if (!name_has(l.v[i], ".ctl", id))
			continue;
		err_clear(&pe);
		if ((r = read_ctl(dirfd, l.v[i], &qe, &pe)) == 1)
			continue;	/* delivered meanwhile */
		if (r == -1) {
			it.problem = pe.msg;
			item_stat(dirfd, l.v[i], id, &it);
		} else {
			it.qe = &qe;
			it.size = qe.size;
			it.mtime = qe.created;
		}
		rc = fn(arg, &it);
		if (r == 0)
			queue_entry_free(&qe);
	}
	names_free(&l);
	if (rc != 0)
		return err_set(e, ERR_IO, "queue: listing stopped");
	return 0;
}

/* flock(LOCK_EX) on fd, retrying every 50 ms until wait_ms have passed. */
static int
lock_wait(int fd, long wait_ms)
{
	struct timespec	 ts = { 0, 50 * 1000 * 1000 };
	long long	 deadline = clock_now_ms() + wait_ms;

	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (clock_now_ms() >= deadline)
			return -1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static int
unlink_found(int dirfd, const char *id, const char *suffix, int *found,
    struct err *e)
{
	char	name[QUEUE_ID_SIZE + 8];

	if (dirfd == -1)
		return 0;
	ename(name, sizeof(name), id, suffix);
	if (unlinkat(dirfd, name, 0) == 0) {
		*found = 1;
		return 0;
	}
	if (errno == ENOENT)
		return 0;
	return err_set(e, ERR_IO, "%s: unlink %s: %s", id, name,
	    strerror(errno));
}

int
queue_delete(struct queue *q, const char *id, long wait_ms, struct err *e)
{
	char	name[QUEUE_ID_SIZE + 8];
	int	fd = -1, found = 0, ffound = 0, rc = 0;

	if (strlen(id) != QUEUE_ID_LEN || !queue_id_valid(id))
		return 1;
	ename(name, sizeof(name), id, ".data");
	if (q->qfd != -1 && (fd = openat(q->qfd, name, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC)) == -1 && errno != ENOENT)
		return err_set(e, ERR_IO, "%s: open q/%s: %s", id, name,
		    strerror(errno));
	if (fd != -1 && lock_wait(fd, wait_ms) == -1) {
		close(fd);
		return err_set(e, ERR_TEMP, "%s: another postern process is "
		    "delivering it (still locked after %ld s); try again",
		    id, wait_ms / 1000);
	}
	/* The control file first: without it the entry does not exist. */
	if (unlink_found(q->qfd, id, ".ctl", &found, e) == -1 ||
	    unlink_found(q->qfd, id, ".data", &found, e) == -1)
		rc = -1;
	if (rc == 0 && found && fsync_dir(q->qfd) == -1)
		rc = err_set(e, ERR_IO, "%s: fsync q/: %s", id,
		    strerror(errno));
	/* failed/ too, still under the lock (fail_record() writes there). */
	if (rc == 0 && (unlink_found(q->failfd, id, ".ctl", &ffound, e) == -1 ||
	    unlink_found(q->failfd, id, ".bad", &ffound, e) == -1 ||
	    unlink_found(q->failfd, id, ".data", &ffound, e) == -1))
		rc = -1;
	if (rc == 0 && ffound && fsync_dir(q->failfd) == -1)
		rc = err_set(e, ERR_IO, "%s: fsync failed/: %s", id,
		    strerror(errno));
	if (fd != -1)
		close(fd);
	if (rc == -1)
		return -1;
	return found || ffound ? 0 : 1;
}
