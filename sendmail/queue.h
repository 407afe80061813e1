/*
 * queue.h -- the durable local queue: spool, commit, run, list.
 *
 * A message that cannot be delivered now is kept on disk until a later
 * queue run delivers it, it expires, or the smarthost refuses it for good.
 * The on-disk layout and the commit protocol are described at the top of
 * queue_store.c, the control-file format at the top of queue_ctl.c.
 * Every queue file is parsed as untrusted input.
 *
 * Ownership: a struct queue owns the directory descriptors; a struct
 * queue_spool owns one entry's data file descriptor and the lock on it.
 * Errors: ERR_CANTCREAT when an entry (or the queue's directories) cannot
 * be created, ERR_IO when writing, fsync or rename fails.  Either way
 * nothing was promised and no partial entry is left in the queue.  This
 * module never prints and never exits; the listing (mailq) is in
 * queue_list.c.
 */
#ifndef POSTERN_QUEUE_H
#define POSTERN_QUEUE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "envelope.h"
#include "err.h"

/*
 * A queue id: 9 hex digits of seconds, 5 of microseconds, 10 random; upper
 * case, so safe as a file name and sorted by arrival time.
 */
#define QUEUE_ID_LEN		24
#define QUEUE_ID_SIZE		(QUEUE_ID_LEN + 1)

/* Limits of the control file; the parser refuses anything larger. */
#define QUEUE_CTL_MAX		(8 * 1024 * 1024)	/* whole file */
#define QUEUE_RCPT_MAX		10000	/* recipients per entry */
#define QUEUE_TEXT_MAX		1000	/* a reply or error; longer is cut */
#define QUEUE_FIELD_MAX		4096	/* any one value */

/*
 * Crash points, for the crash test.  When the environment variable
 * POSTERN_CRASH_AT names one of these (optionally "NAME@N": the Nth time
 * it is reached), the process raises SIGKILL there.  The variable is read
 * with secure_getenv(), so a set-id process never honours it.
 *   spool:after-create      tmp/ID.data created and locked, nothing written
 *   commit:before           the message is written, nothing synced
 *   commit:after-data-fsync
 *   commit:after-ctl-write  tmp/ID.ctl written, not synced
 *   commit:after-ctl-fsync
 *   commit:after-data-rename  q/ID.data in place, no control file yet
 *   commit:after-ctl-rename   the entry exists, directory not synced
 *   commit:after-dir-fsync  committed; the caller has not been told
 *   run:after-lock          a runner holds the entry, nothing sent
 *   run:after-deliver       the smarthost said 250, the entry is unchanged:
 *                           THE duplicate window (redelivered next run)
 *   run:after-ctl-write     updated control file in tmp/, synced
 *   run:after-ctl-rename    updated control file in place
 *   run:after-ctl-unlink    delivered; control file removed, data left
 *   run:after-data-unlink   both removed, directory not synced
 *   run:after-dir-fsync
 *   fail:after-data-link    failed/ID.data linked
 *   fail:after-ctl-rename   failed/ID.ctl in place
 *   fail:after-dsn          the DSN is queued, the entry not yet updated
 * The commit:* points are also reached when a run queues a DSN.
 */
/*
 * The crash points as an X-macro: the code names a point by its enum
 * (crash(QUEUE_CRASH_RUN_AFTER_DELIVER)), so a misspelt point does not
 * compile.  QUEUE_CRASH_POINTS is the NULL-terminated list of names
 * (compat-tests/cases/503-queue-crash.sh reads the names from the lines
 * between it and the next line that says NULL).
 */
#define QUEUE_CRASH_POINTS { QUEUE_CRASH_LIST(QUEUE_CRASH_NAME) NULL }
#define QUEUE_CRASH_NAME(id, name)	name,
#define QUEUE_CRASH_LIST(X) \
	X(SPOOL_AFTER_CREATE, "spool:after-create") \
	X(COMMIT_BEFORE, "commit:before") \
	X(COMMIT_AFTER_DATA_FSYNC, "commit:after-data-fsync") \
	X(COMMIT_AFTER_CTL_WRITE, "commit:after-ctl-write") \
	X(COMMIT_AFTER_CTL_FSYNC, "commit:after-ctl-fsync") \
	X(COMMIT_AFTER_DATA_RENAME, "commit:after-data-rename") \
	X(COMMIT_AFTER_CTL_RENAME, "commit:after-ctl-rename") \
	X(COMMIT_AFTER_DIR_FSYNC, "commit:after-dir-fsync") \
	X(RUN_AFTER_LOCK, "run:after-lock") \
	X(RUN_AFTER_DELIVER, "run:after-deliver") \
	X(RUN_AFTER_CTL_WRITE, "run:after-ctl-write") \
	X(RUN_AFTER_CTL_RENAME, "run:after-ctl-rename") \
	X(RUN_AFTER_CTL_UNLINK, "run:after-ctl-unlink") \
	X(RUN_AFTER_DATA_UNLINK, "run:after-data-unlink") \
	X(RUN_AFTER_DIR_FSYNC, "run:after-dir-fsync") \
	X(FAIL_AFTER_DATA_LINK, "fail:after-data-link") \
	X(FAIL_AFTER_CTL_RENAME, "fail:after-ctl-rename") \
	X(FAIL_AFTER_DSN, "fail:after-dsn")
/* End of the list (NULL). */

enum queue_crash {
#define QUEUE_CRASH_ENUM(id, name)	QUEUE_CRASH_##id,
	QUEUE_CRASH_LIST(QUEUE_CRASH_ENUM)
#undef QUEUE_CRASH_ENUM
	QUEUE_CRASH_MAX
};


struct queue;
struct queue_spool;

/* One queue entry as stored in its control file (read-only for callers). */
struct queue_entry {
	char		 id[QUEUE_ID_SIZE];
	time_t		 created;
	time_t		 next_attempt;
	unsigned	 attempts;
	off_t		 size;		/* of the data file */
	long long	 owner;		/* uid that submitted it (record O);
					   -1: not recorded (older files) */
	char		*last_error;	/* NULL: none */
	int		 warned;	/* a "delayed" DSN was queued (W) */
	struct envelope	 env;		/* with each recipient's state */
};

/* How queue_run() and the settle/deliver calls behave. */
struct queue_params {
	unsigned	 retry;		/* first retry delay, seconds */
	unsigned	 retry_max;	/* the delay doubles up to this */
	unsigned	 lifetime;	/* then the message fails for good */
	unsigned	 delay_warning;	/* one "delayed" DSN after this long
					   in the queue; 0: never */
	int		 force;		/* ignore next-attempt times */
	size_t		 max_entries;	/* handle at most this many: tried
					   or expired (queue_run); 0: all */
	int		 no_dsn;	/* never queue a DSN */
	int		 dsn_on_submit;	/* queue_spool_settle() queues DSNs too */
	const char	*hostname;	/* Reporting-MTA, DSN From/Message-ID */
	/* Signs a DSN in place before it is committed (dkim_sign_file(),
	 * arg the signer); NULL: DSNs go unsigned. */
	int		(*sign)(void *arg, int fd, struct err *e);
	void		*sign_arg;
	int		 own_only;	/* handle only entries whose owner is
					   own_uid: never open, lock or touch
					   another user's entry (a non-root
					   caller of a set-gid run) */
	uid_t		 own_uid;
	time_t		 now;		/* 0: time(NULL) (tests set it) */
	/* -qI, -qR, -qS: only entries select() says 1 for; NULL: all. */
	int		(*select)(void *arg, const struct queue_entry *qe);
	void		*select_arg;
};

/*
 * The delivery callback.  deliver() tries every recipient whose state is
 * RCPT_PENDING or RCPT_DEFERRED with the message in datafd (size octets
 * from offset 0; use pread or lseek) and sets each one's state (SENT,
 * DEFERRED, FAILED) and reply, exactly as smtp_send() does.  It returns 0
 * when all were accepted, else -1 with *e.  A recipient it left PENDING
 * takes the outcome of *e: envelope_fate(e->cls) (envelope.h).
 *
 * more() (optional), asked before each entry: 0 means deliver() can send
 * nothing more, e.g. because the smarthost cannot be reached.  The run
 * then goes on only to expire the entries past their lifetime (failed/
 * and a DSN, which waits in the queue; deliver() is not called for them);
 * the others stay as they are.
 * report() (optional): one call per entry handled, for the log line; status
 * is "sent", "deferred", "failed", "expired" (past lifetime, whether or not
 * a last attempt was made), "delayed" (not tried now, but its "delayed"
 * DSN was queued) or "malformed", detail the last error or NULL.
 */
struct queue_deliverer {
	void	*arg;
	int	(*deliver)(void *arg, struct envelope *env, int datafd,
		    off_t size, struct err *e);
	int	(*more)(void *arg);
	void	(*report)(void *arg, const struct queue_entry *qe,
		    const char *status, const char *detail);
};

struct queue_stats {
	size_t	 entries;	/* control files seen */
	size_t	 due;		/* tried: deliver() was called for them */
	size_t	 locked;	/* skipped: another process holds them */
	size_t	 others;	/* skipped: another user's (own_only) */
	size_t	 sent;		/* finished: every recipient accepted */
	size_t	 deferred;	/* kept for a retry */
	size_t	 failed;	/* moved to (or copied into) failed/ */
	size_t	 expired;	/* of those, past lifetime; not in sent */
	size_t	 dsn;		/* DSNs queued */
	size_t	 malformed;	/* moved aside as failed/ID.bad */
	size_t	 cleaned;	/* orphan files of crashed processes removed */
};

/* What queue_spool_settle() did with the message. */
enum queue_outcome {
	QUEUE_DISCARDED = 0,	/* every recipient accepted: nothing kept */
	QUEUE_QUEUED,		/* some recipients wait for a retry in q/ */
	QUEUE_FAILED		/* nothing to retry; a copy is in failed/ */
};

/* Zero *p, with the [queue] defaults for retry, retry_max and lifetime. */
void	queue_params_init(struct queue_params *p);

/*
 * Open the queue at dir.  create: make dir and its tmp/, q/, failed/
 * (0770, keeping the set-gid bit of dir) when missing; without it a missing
 * directory reads as empty and writing fails.  ERR_CANTCREAT on failure.
 */
int	queue_open(struct queue **qp, const char *dir, int create,
	    struct err *e);
void	queue_close(struct queue *q);

/*
 * Start an entry: create tmp/ID.data (O_EXCL|O_NOFOLLOW, mode 0640 set
 * with fchmod whatever the umask) and lock it.  Write the canonical
 * message (msg.h) to queue_spool_fd(); the descriptor is read-write, so the
 * same file can be handed to smtp_send().  ERR_CANTCREAT on failure.
 */
int	queue_spool_begin(struct queue *q, struct queue_spool **sp,
	    struct err *e);
int	queue_spool_fd(const struct queue_spool *s);
const char *queue_spool_id(const struct queue_spool *s);

/*
 * Commit the spooled message with env (recipient states as they are; an
 * untried message has them all RCPT_PENDING) as a new entry due now:
 * fsync the data, write and fsync tmp/ID.ctl, rename data then control
 * file into q/, fsync q/.  Returns 0 only then.  On failure (ERR_IO, or
 * ERR_DATA for an envelope the format cannot hold) everything is removed.
 * The spool keeps its lock until queue_spool_close().
 */
int	queue_commit(struct queue *q, struct queue_spool *s,
	    const struct envelope *env, struct err *e);

/*
 * After an interactive attempt on a spool that is not committed yet: env
 * holds each recipient's outcome and result the attempt's error (NULL or
 * ERR_OK when it succeeded).  Every recipient SENT: the file is removed.
 * Some to retry: committed to q/ with attempts 1 and the next attempt
 * after p->retry.  Newly FAILED recipients: a copy goes to failed/ (and a
 * DSN when p->dsn_on_submit).  Returns -1 with ERR_IO/ERR_CANTCREAT if
 * the queue could not be written (nothing kept, nothing promised).
 */
int	queue_spool_settle(struct queue *q, struct queue_spool *s,
	    struct envelope *env, const struct err *result,
	    const struct queue_params *p, enum queue_outcome *out,
	    struct err *e);

/*
 * Deliver a committed spool now, as a queue run would (the background
 * mode's child: the lock is inherited across fork).  Due or not.
 */
int	queue_spool_deliver(struct queue *q, struct queue_spool *s,
	    const struct queue_params *p, const struct queue_deliverer *d,
	    struct queue_stats *st, struct err *e);

/* Remove the spool's files unless committed; then as queue_spool_close. */
void	queue_spool_abort(struct queue *q, struct queue_spool *s);
/* Release the lock and free; an uncommitted spool is removed. */
void	queue_spool_close(struct queue *q, struct queue_spool *s);

/*
 * Run the queue once: remove the files of crashed processes, then for
 * each entry in q/ that is due (or p->force, or past lifetime) and not
 * locked by another process: lock it, deliver it through d, record each
 * recipient's outcome; past lifetime, what is still undelivered after
 * that attempt fails (failed/, a DSN).  Once d->more() says 0 the
 * remaining entries get no attempt, but those past lifetime still expire.
 * Entries are handled oldest first, at most p->max_entries of them: an
 * entry expired without an attempt counts toward that bound like a tried
 * one (each costs a failed/ record and a DSN commit, several fsyncs), so a
 * bounded run such as the self-drain stays bounded; entries not due are
 * not counted.  A malformed entry is moved aside and counted.  Returns -1
 * only when the queue cannot be read or an update cannot be written
 * (ERR_IO); the run then stops.
 */
int	queue_run(struct queue *q, const struct queue_params *p,
	    const struct queue_deliverer *d, struct queue_stats *st,
	    struct err *e);

/*
 * Scanning, for mailq and the queue tools (queue_list.h).  queue_scan()
 * calls fn once per entry of q/ (QUEUE_AREA_QUEUED) or failed/
 * (QUEUE_AREA_FAILED), in id order, that is oldest first: with the parsed
 * control file in it->qe, or it->qe NULL and it->problem saying why (a
 * control file that does not parse, or a failed/ID.bad).  An entry that
 * disappears meanwhile is skipped.  Nothing is locked: what fn sees is a
 * snapshot.  fn returns 0 to go on; anything else stops the scan, which
 * then returns -1 (ERR_IO).  A missing directory scans as empty.
 */
enum queue_area { QUEUE_AREA_QUEUED = 0, QUEUE_AREA_FAILED };

struct queue_item {
	enum queue_area		  area;
	const char		 *id;
	const char		 *name;		/* ID.ctl or ID.bad */
	const struct queue_entry *qe;		/* NULL: see problem */
	const char		 *problem;
	int			  bad;		/* failed/ID.bad */
	off_t			  size;		/* of the data file */
	time_t			  mtime;	/* arrival, or the file's mtime */
	int			  active;	/* being delivered (queue_active);
						   set by queue_list, not the scan */
};

typedef int	(*queue_scan_fn)(void *arg, const struct queue_item *it);

int	queue_scan(struct queue *q, enum queue_area area, queue_scan_fn fn,
	    void *arg, struct err *e);
const char *queue_dir(const struct queue *q);

/*
 * 1 when another process holds the lock on q/ID.data right now (a runner,
 * an -odb child or a submitter delivering it), else 0 (also for no such
 * entry or an error).  Probed as Sendmail's mailq does: flock(LOCK_SH |
 * LOCK_NB), released at once, so a runner that tries the entry in that
 * instant leaves it to its next run.  The caller must not probe entries it
 * may not lock (queue_params own_only): a stopped prober would stall them.
 */
int	queue_active(struct queue *q, const char *id);

/*
 * Remove the entry id from q/ and failed/ (no DSN, nothing logged).  The
 * lock on q/ID.data is taken first, waiting up to wait_ms milliseconds
 * for a runner or submitter that holds it, so an entry is never removed
 * under a delivery; then the control file goes (the entry is gone), the
 * data file, and the directory is synced.  owner: QUEUE_ANY_OWNER, or a
 * uid whose entries alone may be removed (record O; a set-gid user's
 * --delete): any other entry returns 2 before any lock is taken or waited
 * for, and is checked again under the lock.  Returns 0 when removed, 1
 * when there is no such entry, 2 when it is not owner's, -1 with ERR_TEMP
 * (still locked after wait_ms) or ERR_IO.
 */
#define QUEUE_ANY_OWNER	(-1LL)
int	queue_delete(struct queue *q, const char *id, long wait_ms,
	    long long owner, struct err *e);

/*
 * 1 when a failure of env's recipients gets a DSN: a sender that is not
 * the null sender, and DSN NOTIFY unset or holding "failure".
 */
int	queue_wants_failure_dsn(const struct envelope *env);

/*
 * The control file (format in queue_ctl.c), exposed for tests and the
 * fuzz target.  queue_ctl_parse() reads len octets of untrusted data into
 * qe (initialised first; free it with queue_entry_free() either way):
 * ERR_DATA for anything that is not a whole, valid version 1 file,
 * ERR_SOFTWARE when out of memory.  queue_ctl_format() appends qe's
 * control file to out: ERR_DATA for an envelope the format cannot hold,
 * ERR_SOFTWARE for an invalid id, state or value, ERR_IO when out is full.
 */
int	queue_ctl_parse(const char *data, size_t len, struct queue_entry *qe,
	    struct err *e);
int	queue_ctl_format(const struct queue_entry *qe, struct buf *out,
	    struct err *e);
void	queue_entry_init(struct queue_entry *qe);
void	queue_entry_free(struct queue_entry *qe);
/* True for QUEUE_ID_LEN upper-case hex digits and nothing else. */
int	queue_id_valid(const char *id);
/* Delay before attempt number attempts+1; rnd is any random value. */
unsigned	queue_backoff(unsigned retry, unsigned retry_max,
	    unsigned attempts, unsigned rnd);

#endif
