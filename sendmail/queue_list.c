/*
 * queue_list.c -- mailq: the queue as people and monitoring tools read it.
 *
 * The queue is read with queue_scan(), a snapshot without locks: an entry
 * delivered meanwhile is simply not shown.  Strings come from queue files,
 * which are untrusted (queue.c): control octets never reach the output.
 */
#include <sys/types.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "envelope.h"
#include "err.h"
#include "queue.h"
#include "queue_list.h"

static void
put_safe(FILE *out, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

static void
fmt_age(long long secs, char *out, size_t outlen)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		snprintf(out, outlen, "%llds", secs);
	else if (secs < 2 * 3600)
		snprintf(out, outlen, "%lldm", secs / 60);
	else if (secs < 2 * 86400)
		snprintf(out, outlen, "%lldh", secs / 3600);
	else
		snprintf(out, outlen, "%lldd", secs / 86400);
}

static const char *
state_name(enum rcpt_state s)
{
	switch (s) {
	case RCPT_PENDING:	return "pending";
	case RCPT_SENT:		return "sent";
	case RCPT_DEFERRED:	return "deferred";
	case RCPT_FAILED:	return "failed";
	}
	return "?";
}

static void
list_entry(FILE *out, const struct queue_entry *qe, time_t now, int queued)
{
	char	age[32], next[32];
	size_t	i;

	fmt_age((long long)(now - qe->created), age, sizeof(age));
	fprintf(out, "%s %9lld %5s  <", qe->id, (long long)qe->size, age);
	put_safe(out, qe->env.sender);
	fprintf(out, ">\n");
	if (queued) {
		if (qe->next_attempt <= now)
			snprintf(next, sizeof(next), "now");
		else {
			fmt_age((long long)(qe->next_attempt - now), next,
			    sizeof(next));
		}
		fprintf(out, "    attempts: %u, next attempt: %s%s\n",
		    qe->attempts, qe->next_attempt <= now ? "" : "in ",
		    next);
	}
	if (qe->last_error != NULL) {
		fprintf(out, "    last error: ");
		put_safe(out, qe->last_error);
		fputc('\n', out);
	}
	for (i = 0; i < qe->env.nrcpts; i++) {
		const struct rcpt *r = &qe->env.rcpts[i];

		fprintf(out, "    <");
		put_safe(out, r->addr);
		fprintf(out, "> %s", state_name(r->state));
		if (r->reply != NULL && r->state != RCPT_SENT) {
			fprintf(out, ": ");
			put_safe(out, r->reply);
		}
		fputc('\n', out);
	}
}

struct section {
	FILE		*out;
	time_t		 now;
	const char	*heading;
	size_t		 count;
	off_t		 bytes;
};

static int
section_item(void *arg, const struct queue_item *it)
{
	struct section	*s = arg;

	if (s->heading != NULL) {
		fprintf(s->out, "%s", s->heading);
		s->heading = NULL;
	}
	s->count++;
	if (it->bad) {
		fprintf(s->out, "%s  malformed control file, kept as %s\n",
		    it->id, it->name);
		return 0;
	}
	if (it->qe == NULL) {
		fprintf(s->out, "%s  unreadable: ", it->id);
		put_safe(s->out, it->problem);
		fputc('\n', s->out);
		return 0;
	}
	s->bytes += it->qe->size;
	list_entry(s->out, it->qe, s->now, it->area == QUEUE_AREA_QUEUED);
	return 0;
}

int
queue_list(struct queue *q, FILE *out, time_t now, struct err *e)
{
	struct section	s;
	char		heading[PATH_MAX + 64];

	if (now == 0)
		now = time(NULL);
	memset(&s, 0, sizeof(s));
	s.out = out;
	s.now = now;
	if (queue_scan(q, QUEUE_AREA_QUEUED, section_item, &s, e) == -1)
		return -1;
	if (s.count == 0)
		fprintf(out, "Mail queue is empty\n");
	else
		fprintf(out, "-- %zu message%s, %lld octets in the queue\n",
		    s.count, s.count == 1 ? "" : "s", (long long)s.bytes);
	snprintf(heading, sizeof(heading), "\nFailed permanently, "
	    "kept in %s/failed (not retried):\n", queue_dir(q));
	memset(&s, 0, sizeof(s));
	s.out = out;
	s.now = now;
	s.heading = heading;
	if (queue_scan(q, QUEUE_AREA_FAILED, section_item, &s, e) == -1)
		return -1;
	if (s.count > 0)
		fprintf(out, "-- %zu failed message%s\n", s.count,
		    s.count == 1 ? "" : "s");
	if (ferror(out))
		return err_set(e, ERR_IO, "mailq: write error");
	return 0;
}
