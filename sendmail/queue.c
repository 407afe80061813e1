/*
 * queue.c -- the queue runner: backoff, expiry, each attempt recorded and
 * settled; the scan and removal that mailq and --delete use
 * (queue_list.c).  Storage and the commit protocol are in queue_store.c,
 * the control-file format in queue_ctl.c, DSNs in queue_dsn.c.
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
#include "io.h"
#include "queue.h"
#include "queue_int.h"
#include "text.h"


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
queue_params_init(struct queue_params *p)
{
	memset(p, 0, sizeof(*p));
	p->retry = 60;
	p->retry_max = 3600;
	p->lifetime = 5 * 86400;
}

/* ------------------------------------------------------------------ */
/* Recording an attempt                                                */

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
		r->state = rc == -1 ? envelope_fate(de->cls) : RCPT_DEFERRED;
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
		if (dsn_queue(q, qe, datafd, before, expired, 0, p, &de) ==
		    -1) {
			if (de.cls != ERR_DATA) {
				*e = de;
				return -1;
			}
		} else if (st != NULL)
			st->dsn++;
	}
	crash(QUEUE_CRASH_FAIL_AFTER_DSN);
	return 0;
}

/* Past lifetime: every recipient still waiting fails. */
static void
expire(struct queue_entry *qe)
{
	char		 why[QUEUE_TEXT_MAX];
	struct rcpt	*r;
	size_t		 i;

	for (i = 0; i < qe->env.nrcpts; i++) {
		r = &qe->env.rcpts[i];
		if (r->state != RCPT_PENDING && r->state != RCPT_DEFERRED)
			continue;
		/*
		 * An earlier expiry whose failure could not be recorded left
		 * its reply: do not wrap it again.
		 */
		if (r->reply == NULL || strncmp(r->reply, EXPIRED_TEXT,
		    sizeof(EXPIRED_TEXT) - 1) != 0) {
			snprintf(why, sizeof(why), EXPIRED_TEXT " (%s)",
			    r->reply != NULL ? r->reply :
			    qe->last_error != NULL ? qe->last_error :
			    "never attempted");
			(void)envelope_set_reply(r, why);
		}
		r->state = RCPT_FAILED;
	}
}

/*
 * The failure could not be recorded or bounced (a full disk?): keep those
 * recipients for the next run rather than lose the bounce, but do record
 * what was sent, so that it is not sent twice.
 */
static void
unfail(struct queue_entry *qe, const enum rcpt_state *before)
{
	size_t	i;

	for (i = 0; i < qe->env.nrcpts; i++)
		if (qe->env.rcpts[i].state == RCPT_FAILED &&
		    before[i] != RCPT_FAILED)
			qe->env.rcpts[i].state = RCPT_DEFERRED;
}

/* Some recipients wait: the next attempt, never after the expiry. */
static void
schedule(struct queue_entry *qe, const struct queue_params *p, time_t now,
    time_t expiry)
{
	qe->next_attempt = now + (time_t)queue_backoff(p->retry,
	    p->retry_max, qe->attempts, rnd32());
	if (qe->next_attempt > expiry && expiry > now)
		qe->next_attempt = expiry;
}

/*
 * Record one attempt on a queued (q/) entry whose lock we hold: fail what
 * expired, keep newly failed recipients in failed/ and bounce them, then
 * update or remove the entry.
 */
/* Whether qe is owed its one "delayed" DSN now (delay_warning). */
static int
delay_due(const struct queue_params *p, const struct queue_entry *qe,
    time_t now)
{
	return p->delay_warning != 0 && !p->no_dsn && !qe->warned &&
	    count_left(&qe->env) > 0 &&
	    now - qe->created >= (time_t)p->delay_warning &&
	    wants_delay_dsn(&qe->env);
}

static int
entry_settle(struct queue *q, struct queue_entry *qe, int datafd,
    const enum rcpt_state *before, int tried, const struct queue_params *p,
    const struct queue_deliverer *d, struct queue_stats *st, struct err *e)
{
	time_t		 now = now_of(p), expiry;
	size_t		 nfail;
	int		 expired = 0;
	struct err	 ue;
	const char	*status;

	expiry = qe->created + (time_t)p->lifetime;
	if (count_left(&qe->env) > 0 && now >= expiry) {
		expired = 1;
		expire(qe);
	}
	nfail = count_new_failed(&qe->env, before);
	if (nfail > 0 && record_failures(q, qe, datafd, before, expired, p,
	    st, e) == -1) {
		/* The run stops after this entry. */
		unfail(qe, before);
		schedule(qe, p, now, expiry);
		if (entry_update(q, qe, &ue) == 0)
			report(d, qe, "deferred", e->msg);
		return -1;
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
		if (tried)
			schedule(qe, p, now, expiry);
		/*
		 * The one "delayed" DSN, queued before the entry records it:
		 * a crash in between repeats the warning, never loses it.
		 * One that cannot be queued now is tried at the next run.
		 */
		if (delay_due(p, qe, now) && dsn_queue(q, qe, datafd, before,
		    0, 1, p, &ue) == 0) {
			qe->warned = 1;
			if (st != NULL)
				st->dsn++;
		}
		if (entry_update(q, qe, e) == -1)
			return -1;
		status = nfail > 0 ? "failed" : tried ? "deferred" : "delayed";
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
		crash(QUEUE_CRASH_RUN_AFTER_DELIVER);
		normalize(&qe->env, before, rc, &de);
		qe->attempts++;
		set_last_error(qe, &de, rc);
	}
	if (deliver && st != NULL)
		st->due++;
	rc = entry_settle(q, qe, datafd, before, deliver, p, d, st, e);
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
 * Whether the entry ID belongs to someone this run must leave alone
 * (p->own_only: a non-root caller of a set-gid run).  Decided from the
 * control file before any lock is taken, so such a caller never holds
 * another user's lock and cannot stall or repeat another user's mail.  An
 * entry whose control file cannot be read, or that records no owner (an
 * older file), is left to root.
 */
static int
foreign(struct queue *q, const char *id, const struct queue_params *p)
{
	struct queue_entry	qe;
	struct err		pe;
	char			name[QUEUE_ID_SIZE + 8];
	int			other;

	if (!p->own_only)
		return 0;
	ename(name, sizeof(name), id, ".ctl");
	other = read_ctl(q->qfd, name, &qe, &pe) != 0 || qe.owner < 0 ||
	    (uid_t)qe.owner != p->own_uid;
	queue_entry_free(&qe);
	return other;
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
	int			rc, past, due;
	time_t			now = now_of(p);

	*tried = 0;
	crash(QUEUE_CRASH_RUN_AFTER_LOCK);
	ename(name, sizeof(name), id, ".ctl");
	err_clear(&pe);
	if ((rc = read_ctl(q->qfd, name, &qe, &pe)) == 1)
		return 0;	/* finished by someone else meanwhile */
	if (rc == 0 && p->own_only && (qe.owner < 0 ||
	    (uid_t)qe.owner != p->own_uid)) {
		queue_entry_free(&qe);
		return 0;	/* replaced meanwhile by another's entry */
	}
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
	due = !expire_only && (force || qe.next_attempt <= now || past);
	/* Not due, but owed its delay warning: that alone, no attempt. */
	if (!due && !past && !delay_due(p, &qe, now)) {
		queue_entry_free(&qe);
		return 0;
	}
	*tried = 1;
	rc = attempt(q, &qe, datafd, due, p, d, st, e);
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

/* Whether this run may touch a file with these attributes (own_only). */
static int
owned(const struct queue_params *p, const struct stat *sb)
{
	return !p->own_only || sb->st_uid == p->own_uid;
}

/* tmp/ files old enough and unlocked: their writer is gone. */
static void
cleanup_tmp(struct queue *q, const struct queue_params *p,
    struct queue_stats *st)
{
	time_t		 now = now_of(p);
	struct names	 l;
	struct stat	 sb, sn;
	struct err	 e;
	char		 id[QUEUE_ID_SIZE];
	size_t		 i;
	int		 fd;

	if (list_dir(q->tmpfd, &l, &e) == -1)
		return;
	for (i = 0; i < l.n; i++) {
		if (!name_has(l.v[i], ".data", id) &&
		    !name_has(l.v[i], ".ctl", id))
			continue;
		fd = openat(q->tmpfd, l.v[i], O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);
		if (fd == -1)
			continue;
		if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    now - sb.st_mtime >= TMP_MAX_AGE && owned(p, &sb) &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0 &&
		    fstatat(q->tmpfd, l.v[i], &sn, AT_SYMLINK_NOFOLLOW) == 0 &&
		    sn.st_ino == sb.st_ino && sn.st_dev == sb.st_dev &&
		    unlinkat(q->tmpfd, l.v[i], 0) == 0 && st != NULL)
			st->cleaned++;
		close(fd);
	}
	names_free(&l);
}

/* q/ data files without a control file that nobody holds. */
static void
cleanup_q(struct queue *q, const struct queue_params *p,
    struct queue_stats *st)
{
	struct names	 l;
	struct stat	 sb, sn;
	struct err	 e;
	char		 id[QUEUE_ID_SIZE], ctl[QUEUE_ID_SIZE + 8];
	size_t		 i;
	int		 fd, locked;

	if (list_dir(q->qfd, &l, &e) == -1)
		return;
	for (i = 0; i < l.n; i++) {
		if (!name_has(l.v[i], ".data", id))
			continue;
		ename(ctl, sizeof(ctl), id, ".ctl");
		if (fstatat(q->qfd, ctl, &sn, AT_SYMLINK_NOFOLLOW) == 0 ||
		    errno != ENOENT)
			continue;
		/* A set-gid user's run touches only its own files. */
		if (p->own_only && (fstatat(q->qfd, l.v[i], &sn,
		    AT_SYMLINK_NOFOLLOW) == -1 || !owned(p, &sn)))
			continue;
		if ((fd = lock_data(q, id, &locked, &sb)) == -1)
			continue;
		/* Still no control file, now that we hold it? */
		if (fstatat(q->qfd, ctl, &sn, AT_SYMLINK_NOFOLLOW) == -1 &&
		    errno == ENOENT && unlinkat(q->qfd, l.v[i], 0) == 0 &&
		    st != NULL)
			st->cleaned++;
		close(fd);
	}
	names_free(&l);
}

/*
 * Remove what crashed processes left: tmp/ files nobody holds (and old
 * enough that their creator is not between open and flock), and q/ data
 * files without a control file that nobody holds.  A set-gid user's run
 * (own_only) removes only files that user owns.
 */
static void
cleanup(struct queue *q, const struct queue_params *p,
    struct queue_stats *st)
{
	cleanup_tmp(q, p, st);
	cleanup_q(q, p, st);
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
	cleanup(q, p, st);
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
		if (foreign(q, id, p)) {
			st->others++;
			continue;
		}
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
				    0, p, e);
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
			rc = dsn_queue(q, &qe, s->fd, before, 0, 0, p, e);
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

int
queue_active(struct queue *q, const char *id)
{
	char	name[QUEUE_ID_SIZE + 8];
	int	fd, held;

	if (q->qfd == -1 || strlen(id) != QUEUE_ID_LEN || !queue_id_valid(id))
		return 0;
	ename(name, sizeof(name), id, ".data");
	fd = openat(q->qfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1)
		return 0;
	/* Shared: two listings at once do not see each other. */
	held = flock(fd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK;
	close(fd);	/* releases a lock just taken */
	return held;
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

/*
 * Whether entry id records owner as its submitter (record O): its control
 * file in q/, or failed/ when q/ has none.  One that cannot be read, or
 * records no owner (an older file), is nobody's (0).
 */
static int
owned_by(struct queue *q, const char *id, long long owner)
{
	struct queue_entry	qe;
	struct err		pe;
	char			name[QUEUE_ID_SIZE + 8];
	int			r = 1, mine;

	ename(name, sizeof(name), id, ".ctl");
	if (q->qfd != -1)
		r = read_ctl(q->qfd, name, &qe, &pe);
	if (r == 1 && q->failfd != -1)
		r = read_ctl(q->failfd, name, &qe, &pe);
	mine = r == 0 && qe.owner >= 0 && qe.owner == owner;
	if (r != 1)
		queue_entry_free(&qe);
	return mine;
}

/*
 * Unlink id's files under its lock: q/ (control file first: without it the
 * entry does not exist), then failed/ (fail_record() writes there).  0
 * when something was removed, 1 when nothing was there, -1 (ERR_IO).
 */
static int
delete_files(struct queue *q, const char *id, struct err *e)
{
	int	found = 0, ffound = 0;

	if (unlink_found(q->qfd, id, ".ctl", &found, e) == -1 ||
	    unlink_found(q->qfd, id, ".data", &found, e) == -1)
		return -1;
	if (found && fsync_dir(q->qfd) == -1)
		return err_set(e, ERR_IO, "%s: fsync q/: %s", id,
		    strerror(errno));
	if (unlink_found(q->failfd, id, ".ctl", &ffound, e) == -1 ||
	    unlink_found(q->failfd, id, ".bad", &ffound, e) == -1 ||
	    unlink_found(q->failfd, id, ".data", &ffound, e) == -1)
		return -1;
	if (ffound && fsync_dir(q->failfd) == -1)
		return err_set(e, ERR_IO, "%s: fsync failed/: %s", id,
		    strerror(errno));
	return found || ffound ? 0 : 1;
}

int
queue_delete(struct queue *q, const char *id, long wait_ms, long long owner,
    struct err *e)
{
	char	name[QUEUE_ID_SIZE + 8];
	int	fd = -1, rc;

	if (strlen(id) != QUEUE_ID_LEN || !queue_id_valid(id))
		return 1;
	/* Before any lock: another's entry is never waited for or held. */
	if (owner != QUEUE_ANY_OWNER && !owned_by(q, id, owner))
		return 2;
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
	/* Under the lock again: the files may have changed meanwhile. */
	if (owner != QUEUE_ANY_OWNER && !owned_by(q, id, owner))
		rc = 2;
	else
		rc = delete_files(q, id, e);
	if (fd != -1)
		close(fd);
	return rc;
}
