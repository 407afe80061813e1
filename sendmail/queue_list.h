/*
 * queue_list.h -- mailq and the queue tools: the queue as people and
 * monitoring tools read it, deleting entries, choosing entries for a run,
 * and the run's summary line.
 *
 * Everything here reads the queue through queue_scan() and changes it only
 * through queue_delete() (queue.h); it writes only to the stream it is
 * given and never exits.  Queue files are untrusted: no control octet from
 * them reaches the text output, and the JSON output is valid JSON and
 * UTF-8 whatever they hold.
 */
#ifndef POSTERN_QUEUE_LIST_H
#define POSTERN_QUEUE_LIST_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "err.h"
#include "queue.h"

enum queue_list_format {
	QUEUE_LIST_MAILQ = 0,	/* Postfix's mailq (showq) text */
	QUEUE_LIST_JSON		/* Postfix's postqueue -j: a JSON object a line */
};

/*
 * List q/ then failed/.  QUEUE_LIST_MAILQ: "Mail queue is empty", or the
 * heading, one block per entry (failed/ ones marked '!' after the id, q/
 * ones being delivered now '*'), a blank line and "-- N Kbytes in M
 * Request(s).".  QUEUE_LIST_JSON: one object per entry ("active": true for
 * those being delivered), nothing for an empty queue.  Times are local
 * (TZ).  p (may be NULL: no restriction) says which entries' locks may be
 * probed for '*' (queue_active()): with own_only only the caller's own,
 * so another user's entry is never marked.  ERR_IO when the queue cannot
 * be read or writing to out fails.
 */
int	queue_list(struct queue *q, FILE *out, enum queue_list_format fmt,
	    const struct queue_params *p, struct err *e);

/*
 * One entry as a JSON object (no newline) appended to out; -1 when out's
 * limit is reached.  Exposed for the fuzz target.
 */
int	queue_item_json(const struct queue_item *it, struct buf *out);

/*
 * --delete: remove the entries named in ids (n of them; "ALL" alone means
 * every entry in q/ and failed/), no DSN.  An entry a runner holds is
 * waited for up to wait_ms.  owner (queue_delete_owner()): with a uid,
 * only the entries that uid submitted are removed, "ALL" means all of
 * those, and any other id -- another's entry or none at all, alike, so
 * nothing is revealed -- is "not one of your queue entries" (ERR_NOPERM)
 * at once, without waiting for its lock.  Each id that could not be
 * removed gets one line "postern: ID: reason" on diag.  Returns 0 when all
 * were removed, else -1 with e set to the worst problem: ERR_IO, then
 * ERR_TEMP (still locked), then ERR_NOPERM (not the caller's), then
 * ERR_NOUSER (no such entry).
 */
#define QUEUE_DELETE_WAIT_MS	5000
int	queue_delete_ids(struct queue *q, char *const *ids, size_t n,
	    long wait_ms, long long owner, FILE *diag, size_t *removed,
	    struct err *e);

/*
 * Whose entries may this caller --delete from q?  A set-gid run
 * (privileged) could remove anybody's mail, so there a user who is
 * neither root nor the owner of q's directory may remove only the entries
 * they submitted: their uid is returned.  Otherwise (root, the queue's
 * owner, no set-gid: the file system decides) QUEUE_ANY_OWNER.
 */
long long queue_delete_owner(struct queue *q, int privileged);

/*
 * The --delete command: queue_delete_ids() with QUEUE_DELETE_WAIT_MS, and
 * one log line saying how many entries were removed (and by which uid),
 * if any.  queue_delete_ids()'s return and errors.
 */
int	queue_delete_cmd(struct queue *q, char *const *ids, size_t n,
	    long long owner, FILE *diag, struct err *e);

/*
 * -qI, -qR, -qS: choose the entries of a run.  Several criteria of the
 * same kind are alternatives, criteria of different kinds must all hold.
 * Queue ids match case-sensitively (they are upper case), addresses
 * case-insensitively (ASCII).
 */
#define QUEUE_SELECT_MAX	16

struct queue_select {
	size_t	 n;
	struct {
		char		 kind;		/* 'I', 'R' or 'S' */
		const char	*substr;
	} v[QUEUE_SELECT_MAX];
};

/* A queue_params select callback: arg is a struct queue_select. */
int	queue_select_match(void *arg, const struct queue_entry *qe);

/*
 * The run's summary line for the log ("queue run: ..."), from the run's
 * statistics and its duration in milliseconds.
 */
void	queue_run_summary(const struct queue_stats *st, long long ms,
	    char *out, size_t outlen);

#endif
