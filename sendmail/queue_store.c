/*
 * queue_store.c -- the queue's storage: ids, directories, creating,
 * committing, reading and removing entries, crash points.
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
 *	q/ID.data                  the message, canonical form (msg.h),
 *	                           exactly the bytes sent; with [dkim] its
 *	                           first header is the DKIM-Signature, made
 *	                           when it was spooled (dkim.h), so every
 *	                           retry sends the same signed bytes
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
#include "envelope.h"
#include "err.h"
#include "io.h"
#include "queue.h"
#include "queue_int.h"
#include "text.h"


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
	uint64_t	 nth = 1;

	if ((want = secure_getenv("POSTERN_CRASH_AT")) == NULL)
		return;
	if ((at = strchr(want, '@')) != NULL) {
		len = (size_t)(at - want);
		if (text_parse_u64(at + 1, strlen(at + 1), UINT32_MAX,
		    &nth) == -1 || nth == 0)
			return;
	} else
		len = strlen(want);
	if (len != strlen(name) || memcmp(want, name, len) != 0)
		return;
	if (++crash_hits == nth)
		raise(SIGKILL);
}

/* Crash at point c when POSTERN_CRASH_AT names it. */
void
crash(enum queue_crash c)
{
	static const char *const names[] = QUEUE_CRASH_POINTS;

	if ((size_t)c < QUEUE_CRASH_MAX)
		crash_point(names[c]);
}

time_t
now_of(const struct queue_params *p)
{
	return p != NULL && p->now != 0 ? p->now : time(NULL);
}

unsigned
rnd32(void)
{
	unsigned	v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = (unsigned)time(NULL) ^ (unsigned)getpid();
	return v;
}

int
fsync_dir(int fd)
{
	if (fsync(fd) == -1 && errno != EINVAL && errno != EROFS)
		return -1;
	return 0;
}

int
name_has(const char *name, const char *suffix, char *id)
{
	size_t	n = strlen(name), sl = strlen(suffix);

	if (n != QUEUE_ID_LEN + sl || strcmp(name + QUEUE_ID_LEN, suffix) != 0)
		return 0;
	memcpy(id, name, QUEUE_ID_LEN);
	id[QUEUE_ID_LEN] = '\0';
	return queue_id_valid(id);
}

void
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

int
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
    int crash_after_write, struct err *e)
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
	if (io_write_all(fd, b.data, b.len, -1, NULL) == -1)
		goto fail;
	if (crash_after_write >= 0)
		crash((enum queue_crash)crash_after_write);
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
int
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
	crash(QUEUE_CRASH_SPOOL_AFTER_CREATE);
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
int
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
	crash(QUEUE_CRASH_COMMIT_BEFORE);
	what = "fsync";
	if (fsync(s->fd) == -1)
		goto fail;
	crash(QUEUE_CRASH_COMMIT_AFTER_DATA_FSYNC);
	if (write_ctl_tmp(q, qe, QUEUE_CRASH_COMMIT_AFTER_CTL_WRITE, e) == -1)
		goto undo;
	crash(QUEUE_CRASH_COMMIT_AFTER_CTL_FSYNC);
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
	crash(QUEUE_CRASH_COMMIT_AFTER_DATA_RENAME);
	if (renameat(q->tmpfd, ctl, destfd, ctl) == -1)
		goto fail;
	crash(QUEUE_CRASH_COMMIT_AFTER_CTL_RENAME);
	what = "fsync directory";
	if (fsync_dir(destfd) == -1)
		goto fail;
	crash(QUEUE_CRASH_COMMIT_AFTER_DIR_FSYNC);
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

int
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
	qe->owner = (long long)getuid();
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
void
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

/*
 * Record the entry in failed/: the data linked (from q/) or renamed (from
 * tmp/), the control file with the final states renamed over any older
 * record of the same id.
 */
int
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
	crash(QUEUE_CRASH_FAIL_AFTER_DATA_LINK);
	if (write_ctl_tmp(q, qe, -1, e) == -1)
		return -1;
	if (renameat(q->tmpfd, ctl, q->failfd, ctl) == -1) {
		err_set(e, ERR_IO, "queue: rename %s to failed/: %s", ctl,
		    strerror(errno));
		(void)unlinkat(q->tmpfd, ctl, 0);
		return -1;
	}
	crash(QUEUE_CRASH_FAIL_AFTER_CTL_RENAME);
	if (fsync_dir(q->failfd) == -1)
		return err_set(e, ERR_IO, "queue: fsync failed/: %s",
		    strerror(errno));
	return 0;
}

/* Entry finished: control file first (the entry is gone), then data. */
int
entry_remove(struct queue *q, const char *id, struct err *e)
{
	char	name[QUEUE_ID_SIZE + 8];

	ename(name, sizeof(name), id, ".ctl");
	if (unlinkat(q->qfd, name, 0) == -1 && errno != ENOENT)
		return err_set(e, ERR_IO, "queue: unlink %s: %s", name,
		    strerror(errno));
	crash(QUEUE_CRASH_RUN_AFTER_CTL_UNLINK);
	ename(name, sizeof(name), id, ".data");
	if (unlinkat(q->qfd, name, 0) == -1 && errno != ENOENT)
		return err_set(e, ERR_IO, "queue: unlink %s: %s", name,
		    strerror(errno));
	crash(QUEUE_CRASH_RUN_AFTER_DATA_UNLINK);
	if (fsync_dir(q->qfd) == -1)
		return err_set(e, ERR_IO, "queue: fsync q/: %s",
		    strerror(errno));
	crash(QUEUE_CRASH_RUN_AFTER_DIR_FSYNC);
	return 0;
}

int
entry_update(struct queue *q, const struct queue_entry *qe, struct err *e)
{
	char	name[QUEUE_ID_SIZE + 8];

	ename(name, sizeof(name), qe->id, ".ctl");
	if (write_ctl_tmp(q, qe, -1, e) == -1)
		return -1;
	crash(QUEUE_CRASH_RUN_AFTER_CTL_WRITE);
	if (renameat(q->tmpfd, name, q->qfd, name) == -1) {
		err_set(e, ERR_IO, "queue: rename %s: %s", name,
		    strerror(errno));
		(void)unlinkat(q->tmpfd, name, 0);
		return -1;
	}
	crash(QUEUE_CRASH_RUN_AFTER_CTL_RENAME);
	if (fsync_dir(q->qfd) == -1)
		return err_set(e, ERR_IO, "queue: fsync q/: %s",
		    strerror(errno));
	crash(QUEUE_CRASH_RUN_AFTER_DIR_FSYNC);
	return 0;
}
