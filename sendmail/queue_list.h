/*
 * queue_list.h -- mailq: the queue as people and monitoring tools read it.
 *
 * Everything here reads the queue through queue_scan() (queue.h) and
 * writes to the stream it is given; it never prints elsewhere and never
 * exits.  Queue files are untrusted: every string is made safe for the
 * output (no control octet reaches a terminal).
 */
#ifndef POSTERN_QUEUE_LIST_H
#define POSTERN_QUEUE_LIST_H

#include <stdio.h>
#include <time.h>

#include "err.h"
#include "queue.h"

/*
 * mailq: list q/ (id, size, age, sender, recipients with state, attempts,
 * last error, next attempt), or "Mail queue is empty" when q/ holds no
 * entry; then the entries in failed/, under their own heading.  now: 0
 * for time(NULL).  ERR_IO when the queue cannot be read or out fails.
 */
int	queue_list(struct queue *q, FILE *out, time_t now, struct err *e);

#endif
