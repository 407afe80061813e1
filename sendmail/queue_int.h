/*
 * queue_int.h -- shared by the queue's own files only (queue_store.c,
 * queue_ctl.c, queue.c, queue_dsn.c); nothing else may include it.
 *
 * Functions return 0 or -1 with *e as queue.h describes (ERR_IO,
 * ERR_CANTCREAT, ERR_DATA for a control file that does not parse), or -1
 * with errno where noted.
 */
#ifndef POSTERN_QUEUE_INT_H
#define POSTERN_QUEUE_INT_H

#include <stdint.h>
#include <time.h>

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
#define OWNER_MAX	((uint64_t)UINT32_MAX)	/* uid_t; (uid_t)-1 is no uid */
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

/* Raise SIGKILL at point c when POSTERN_CRASH_AT names it (queue.h). */
void	crash(enum queue_crash c);

/* p->now, or time(NULL) */
time_t	now_of(const struct queue_params *p);

/* 32 random bits (getrandom, else time and pid) */
unsigned	rnd32(void);

/* fsync a directory; EINVAL/EROFS are not errors */
int	fsync_dir(int fd);

/* name is ID+suffix with a valid ID: copy ID to id */
int	name_has(const char *name, const char *suffix, char *id);

/* "ID.suffix" into out */
void	ename(char *out, size_t outlen, const char *id, const char *suffix);

/* ERR_CANTCREAT unless tmp/ exists (a read-only open) */
int	writable(struct queue *q, struct err *e);

/* parse dirfd/name into qe: 0, 1 when gone, -1 with e */
int	read_ctl(int dirfd, const char *name, struct queue_entry *qe,
	    struct err *e);

/* commit the spool with control file qe into destfd (q/ or failed/) */
int	commit_to(struct queue *q, struct queue_spool *s,
	    const struct queue_entry *qe, int destfd, struct err *e);

/* a new entry for env, with the data file size */
int	entry_from_env(struct queue_entry *qe, const char *id, int datafd,
	    const struct envelope *env, struct err *e);

/* remove an uncommitted spool's files */
void	spool_discard(struct queue *q, struct queue_spool *s);

/* record qe in failed/ (data linked from q/ or renamed from tmp/) */
int	fail_record(struct queue *q, const struct queue_entry *qe,
	    int from_tmp, struct err *e);

/* entry finished: control file, then data, then fsync q/ */
int	entry_remove(struct queue *q, const char *id, struct err *e);

/* replace q/ID.ctl with qe (tmp/, fsync, rename, fsync q/) */
int	entry_update(struct queue *q, const struct queue_entry *qe,
	    struct err *e);

/* the sender asked for (or did not refuse) failure DSNs */
int	wants_failure_dsn(const struct envelope *env);

/* the sender asked for (or did not refuse) delay DSNs (queue_dsn.c) */
int	wants_delay_dsn(const struct envelope *env);

/*
 * queue a DSN for the recipients that newly failed, or (delayed) the one
 * "delayed" DSN for those still waiting (queue_dsn.c)
 */
int	dsn_queue(struct queue *q, const struct queue_entry *qe, int datafd,
	    const enum rcpt_state *before, int expired, int delayed,
	    const struct queue_params *p, struct err *e);

#endif
