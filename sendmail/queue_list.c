/*
 * queue_list.c -- mailq and the queue tools (queue_list.h).
 *
 * The text listing is Postfix's, column for column, because monitoring
 * tools parse it (monitoring-plugins' check_mailq -M postfix reads the
 * last line, munin and the Prometheus exporter match each entry's first
 * line).  Postfix's postqueue(1) prints with these formats (short queue
 * ids), and so do we:
 *
 *	"%-11s %7s %-20s %s\n"	heading and recipient lines
 *	"%-11s %7ld %20.20s %s\n"	the entry line: id (and mark), size,
 *				the first 20 characters of asctime(3),
 *				sender (MAILER-DAEMON for <>)
 *	"%*s(%s)\n"		a reason, right-aligned to column 78,
 *				printed when it differs from the previous
 *				recipient's
 *	"\n-- %lu Kbytes in %lu Request%s.\n"	the footer
 *
 * Our ids are 24 characters, so "%-11s" takes the whole id and the
 * columns after it shift; parsers split on blanks, which is what the
 * formats guarantee.  An entry of failed/ is marked '!' as Postfix marks
 * held mail: it stays until deleted and is never retried.  An entry of q/
 * whose lock someone holds (being delivered now) is marked '*', Postfix's
 * mark for the active queue and Sendmail's for a locked entry.  Listed
 * recipients are those still to be delivered (pending or deferred), or for
 * failed/ those that failed.
 *
 * The queue is read with queue_scan(), a snapshot without locks: an entry
 * delivered meanwhile is simply not shown.  The '*' comes from
 * queue_active()'s probe, made only on entries this caller may lock.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "envelope.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "queue.h"
#include "queue_list.h"

#define LIST_STRING_FORMAT	"%-11s %7s %-20s %s\n"
#define LIST_SENDER_FORMAT	"%-11s %7lld %20.20s %s\n"
#define LIST_REASON_COLUMN	76
#define JSON_LINE_MAX		(16 * 1024 * 1024)	/* one entry */

/* Control octets (a terminal's escape sequences) become '?'. */
static void
safe_copy(const char *s, char *out, size_t outlen)
{
	size_t	i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < outlen; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	out[i] = '\0';
}

/* asctime(3) of t, local time: "Www Mmm dd hh:mm:ss yyyy". */
static void
arrival(time_t t, char *out, size_t outlen)
{
	struct tm	tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, outlen, "%a %b %e %H:%M:%S %Y", &tm) == 0)
		snprintf(out, outlen, "??");
}

/* Whether the text listing shows recipient r of an entry in area a. */
static int
listed(enum queue_area a, const struct rcpt *r)
{
	if (a == QUEUE_AREA_FAILED)
		return r->state == RCPT_FAILED;
	return r->state == RCPT_PENDING || r->state == RCPT_DEFERRED;
}

static void
text_recipients(FILE *out, const struct queue_item *it)
{
	const struct queue_entry	*qe = it->qe;
	const char			*why, *saved = "";
	char				 buf[1100], addr[1100];
	size_t				 i;
	int				 pad;

	for (i = 0; i < qe->env.nrcpts; i++) {
		const struct rcpt *r = &qe->env.rcpts[i];

		if (!listed(it->area, r))
			continue;
		why = r->reply != NULL ? r->reply : qe->last_error;
		if (why == NULL)
			why = "";
		/*
		 * As Postfix: a reason when it differs from the previous
		 * recipient's, "reason unavailable" when this one has none.
		 */
		if (strcmp(saved, why) != 0) {
			saved = why;
			safe_copy(*why ? why : "reason unavailable", buf,
			    sizeof(buf));
			if ((pad = LIST_REASON_COLUMN - (int)strlen(buf)) < 0)
				pad = 0;
			fprintf(out, "%*s(%s)\n", pad, "", buf);
		}
		safe_copy(r->addr, addr, sizeof(addr));
		fprintf(out, LIST_STRING_FORMAT, "", "", "", addr);
	}
}

struct listing {
	FILE			*out;
	enum queue_list_format	 fmt;
	struct queue		*q;
	const struct queue_params *p;
	unsigned long		 count;
	unsigned long long	 bytes;
	struct buf		 line;
};

static int
text_item(struct listing *l, const struct queue_item *it)
{
	char	id[QUEUE_ID_SIZE + 2], when[64], sender[1100], why[600];

	snprintf(id, sizeof(id), "%s%s", it->id,
	    it->area == QUEUE_AREA_FAILED ? "!" : it->active ? "*" : "");
	if (l->count == 0)
		fprintf(l->out, LIST_STRING_FORMAT, "-Queue ID-", "--Size--",
		    "----Arrival Time----", "-Sender/Recipient-------");
	else
		fputc('\n', l->out);
	arrival(it->mtime, when, sizeof(when));
	if (it->qe == NULL) {
		/* As Postfix shows a maildrop file it cannot read. */
		if (it->bad)
			snprintf(why, sizeof(why), "(malformed control file, "
			    "kept as failed/%s)", it->name);
		else {
			safe_copy(it->problem, sender, sizeof(sender));
			snprintf(why, sizeof(why), "(unreadable: %.500s)",
			    sender);
		}
		fprintf(l->out, LIST_SENDER_FORMAT, id, (long long)it->size,
		    when, why);
		return 0;
	}
	safe_copy(it->qe->env.sender[0] ? it->qe->env.sender :
	    "MAILER-DAEMON", sender, sizeof(sender));
	fprintf(l->out, LIST_SENDER_FORMAT, id, (long long)it->size, when,
	    sender);
	text_recipients(l->out, it);
	return 0;
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
	return "pending";
}

static int
json_str(struct buf *b, const char *s)
{
	return json_put_string(b, s != NULL ? s : "", s != NULL ?
	    strlen(s) : 0);
}

static int
json_recipients(const struct queue_item *it, struct buf *b)
{
	const struct queue_entry	*qe = it->qe;
	const char			*why;
	size_t				 i;
	int				 bad = 0;

	for (i = 0; qe != NULL && i < qe->env.nrcpts && bad == 0; i++) {
		const struct rcpt *r = &qe->env.rcpts[i];

		bad |= buf_adds(b, i ? ", {\"address\": " : "{\"address\": ");
		bad |= json_str(b, r->addr);
		bad |= buf_printf(b, ", \"state\": \"%s\"",
		    state_name(r->state));
		why = r->reply;
		if (why == NULL && r->state != RCPT_SENT)
			why = qe->last_error;
		if (why != NULL && *why != '\0' && r->state != RCPT_SENT) {
			bad |= buf_adds(b, ", \"delay_reason\": ");
			bad |= json_str(b, why);
		}
		bad |= buf_addc(b, '}');
	}
	return bad ? -1 : 0;
}

int
queue_item_json(const struct queue_item *it, struct buf *b)
{
	const struct queue_entry	*qe = it->qe;
	int				 bad = 0;

	bad |= buf_printf(b, "{\"queue_name\": \"%s\", \"queue_id\": ",
	    it->area == QUEUE_AREA_FAILED ? "failed" : "deferred");
	bad |= json_str(b, it->id);
	bad |= buf_printf(b, ", \"arrival_time\": %lld, \"message_size\": "
	    "%lld, \"forced_expire\": false, \"sender\": ",
	    (long long)it->mtime, (long long)it->size);
	bad |= json_str(b, qe != NULL ? qe->env.sender : "");
	bad |= buf_printf(b, ", \"active\": %s, \"attempts\": %u, "
	    "\"next_attempt\": ", it->active ? "true" : "false",
	    qe != NULL ? qe->attempts : 0);
	if (qe != NULL && it->area == QUEUE_AREA_QUEUED)
		bad |= buf_printf(b, "%lld", (long long)qe->next_attempt);
	else
		bad |= buf_adds(b, "null");
	bad |= buf_adds(b, ", \"recipients\": [");
	if (bad == 0)
		bad |= json_recipients(it, b);
	bad |= buf_addc(b, ']');
	if (qe == NULL) {
		bad |= buf_adds(b, ", \"error\": ");
		bad |= json_str(b, it->problem);
	}
	bad |= buf_addc(b, '}');
	return bad ? -1 : 0;
}

/*
 * Whether the caller may probe the entry's lock: not another user's in a
 * set-gid run (own_only), nor one without a readable owner there.
 */
static int
may_probe(const struct listing *l, const struct queue_item *it)
{
	if (it->area != QUEUE_AREA_QUEUED)
		return 0;
	if (l->p == NULL || !l->p->own_only)
		return 1;
	return it->qe != NULL && it->qe->owner >= 0 &&
	    (uid_t)it->qe->owner == l->p->own_uid;
}

static int
list_item(void *arg, const struct queue_item *cit)
{
	struct listing		*l = arg;
	struct queue_item	 big, item = *cit;
	const struct queue_item	*it = &item;

	item.active = may_probe(l, cit) && queue_active(l->q, cit->id);
	if (l->fmt == QUEUE_LIST_JSON) {
		buf_reset(&l->line);
		if (queue_item_json(it, &l->line) == -1) {
			/* Thousands of long replies: list it without them. */
			big = *it;
			big.qe = NULL;
			big.problem = "entry too large to list as JSON";
			buf_reset(&l->line);
			if (queue_item_json(&big, &l->line) == -1)
				return -1;
		}
		fwrite(l->line.data, 1, l->line.len, l->out);
		fputc('\n', l->out);
	} else
		text_item(l, it);
	l->count++;
	l->bytes += it->size > 0 ? (unsigned long long)it->size : 0;
	return ferror(l->out) ? -1 : 0;
}

int
queue_list(struct queue *q, FILE *out, enum queue_list_format fmt,
    const struct queue_params *p, struct err *e)
{
	struct listing	l;
	int		rc;

	memset(&l, 0, sizeof(l));
	l.out = out;
	l.fmt = fmt;
	l.q = q;
	l.p = p;
	buf_init(&l.line, JSON_LINE_MAX);
	rc = queue_scan(q, QUEUE_AREA_QUEUED, list_item, &l, e);
	if (rc == 0)
		rc = queue_scan(q, QUEUE_AREA_FAILED, list_item, &l, e);
	buf_free(&l.line);
	if (rc == -1 && !ferror(out))
		return -1;
	if (fmt == QUEUE_LIST_MAILQ && l.count == 0)
		fprintf(out, "Mail queue is empty\n");
	else if (fmt == QUEUE_LIST_MAILQ)
		fprintf(out, "\n-- %llu Kbytes in %lu Request%s.\n",
		    l.bytes / 1024, l.count, l.count == 1 ? "" : "s");
	if (ferror(out) || fflush(out) == EOF)
		return err_set(e, ERR_IO, "mailq: write error");
	return 0;
}

/* ---- --delete ------------------------------------------------------- */

struct idlist {
	char		**v;
	size_t		  n, cap;
	long long	  owner;	/* QUEUE_ANY_OWNER: every entry */
};

static int
collect(void *arg, const struct queue_item *it)
{
	struct idlist	*l = arg;
	char		**v;

	if (l->owner != QUEUE_ANY_OWNER && (it->qe == NULL ||
	    it->qe->owner != l->owner))
		return 0;	/* ALL: the caller's own entries */

	if (l->n == l->cap) {
		if ((v = reallocarray(l->v, l->cap ? l->cap * 2 : 64,
		    sizeof(*v))) == NULL)
			return -1;
		l->v = v;
		l->cap = l->cap ? l->cap * 2 : 64;
	}
	if ((l->v[l->n] = strdup(it->id)) == NULL)
		return -1;
	l->n++;
	return 0;
}

static int
cmp_id(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, each id once: an id may be in q/ and failed/ (partly failed). */
static void
idlist_uniq(struct idlist *l)
{
	size_t	i, o = 0;

	if (l->n == 0)
		return;
	qsort(l->v, l->n, sizeof(*l->v), cmp_id);
	for (i = 0; i < l->n; i++) {
		if (o > 0 && strcmp(l->v[o - 1], l->v[i]) == 0)
			free(l->v[i]);
		else
			l->v[o++] = l->v[i];
	}
	l->n = o;
}

static int
worse(enum err_class a, enum err_class b)
{
	static const enum err_class order[] = { ERR_OK, ERR_NOUSER,
	    ERR_NOPERM, ERR_TEMP, ERR_IO };
	size_t	i, ra = 0, rb = 0;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (order[i] == a)
			ra = i;
		if (order[i] == b)
			rb = i;
	}
	return rb > ra;
}

static void
delete_one(struct queue *q, const char *id, long wait_ms, long long owner,
    FILE *diag, size_t *removed, struct err *worst)
{
	struct err	e;
	int		rc;

	err_clear(&e);
	if ((rc = queue_delete(q, id, wait_ms, owner, &e)) == 0) {
		(*removed)++;
		return;
	}
	/* Restricted: a missing id and another's entry read the same. */
	if (rc == 2 || (rc == 1 && owner != QUEUE_ANY_OWNER))
		err_set(&e, ERR_NOPERM, "%.64s: not one of your queue "
		    "entries", id);
	else if (rc == 1)
		err_set(&e, ERR_NOUSER, "%.64s: no such queue entry", id);
	fprintf(diag, "postern: %s\n", e.msg);
	if (worse(worst->cls, e.cls))
		*worst = e;
}

int
queue_delete_ids(struct queue *q, char *const *ids, size_t n, long wait_ms,
    long long owner, FILE *diag, size_t *removed, struct err *e)
{
	struct idlist	 all;
	struct err	 worst;
	size_t		 i;
	int		 rc = 0;

	*removed = 0;
	err_clear(&worst);
	memset(&all, 0, sizeof(all));
	all.owner = owner;
	if (n == 1 && strcmp(ids[0], "ALL") == 0) {
		if (queue_scan(q, QUEUE_AREA_QUEUED, collect, &all, e) == -1 ||
		    queue_scan(q, QUEUE_AREA_FAILED, collect, &all, e) == -1)
			rc = -1;
		idlist_uniq(&all);
		for (i = 0; rc == 0 && i < all.n; i++)
			delete_one(q, all.v[i], wait_ms, owner, diag, removed,
			    &worst);
		for (i = 0; i < all.n; i++)
			free(all.v[i]);
		free(all.v);
		if (rc == -1)
			return -1;
	} else {
		for (i = 0; i < n; i++)
			delete_one(q, ids[i], wait_ms, owner, diag, removed,
			    &worst);
	}
	if (worst.cls == ERR_OK)
		return 0;
	*e = worst;
	return -1;
}

/* ---- -qI, -qR, -qS ---------------------------------------------------- */

/* Whether s contains sub; ASCII case-insensitive when icase. */
static int
contains(const char *s, const char *sub, int icase)
{
	size_t	n = strlen(sub);

	if (s == NULL)
		return 0;
	if (!icase)
		return strstr(s, sub) != NULL;
	for (; *s != '\0'; s++)
		if (strncasecmp(s, sub, n) == 0)
			return 1;
	return n == 0;
}

static int
kind_matches(char kind, const char *sub, const struct queue_entry *qe)
{
	size_t	i;

	switch (kind) {
	case 'I':
		return contains(qe->id, sub, 0);
	case 'S':
		return contains(qe->env.sender, sub, 1);
	case 'R':
		for (i = 0; i < qe->env.nrcpts; i++)
			if (contains(qe->env.rcpts[i].addr, sub, 1))
				return 1;
		return 0;
	}
	return 0;
}

int
queue_select_match(void *arg, const struct queue_entry *qe)
{
	const struct queue_select	*s = arg;
	static const char		 kinds[] = "IRS";
	size_t				 k, i;
	int				 given, hit;

	for (k = 0; kinds[k] != '\0'; k++) {
		given = hit = 0;
		for (i = 0; i < s->n; i++) {
			if (s->v[i].kind != kinds[k])
				continue;
			given = 1;
			if (kind_matches(kinds[k], s->v[i].substr, qe))
				hit = 1;
		}
		if (given && !hit)
			return 0;
	}
	return 1;
}

/* ---- the run's summary ------------------------------------------------ */

void
queue_run_summary(const struct queue_stats *st, long long ms, char *out,
    size_t outlen)
{
	snprintf(out, outlen, "queue run: entries=%zu tried=%zu sent=%zu "
	    "deferred=%zu failed=%zu expired=%zu locked=%zu malformed=%zu "
	    "dsn=%zu duration=%lld.%02llds", st->entries, st->due, st->sent,
	    st->deferred, st->failed, st->expired, st->locked, st->malformed,
	    st->dsn, ms / 1000, (ms % 1000) / 10);
}

long long
queue_delete_owner(struct queue *q, int privileged)
{
	struct stat	sb;

	if (privileged && getuid() != 0 &&
	    (stat(queue_dir(q), &sb) == -1 || sb.st_uid != getuid()))
		return (long long)getuid();
	return QUEUE_ANY_OWNER;
}

int
queue_delete_cmd(struct queue *q, char *const *ids, size_t n,
    long long owner, FILE *diag, struct err *e)
{
	size_t	removed;
	int	rc;

	rc = queue_delete_ids(q, ids, n, QUEUE_DELETE_WAIT_MS, owner, diag,
	    &removed, e);
	if (removed > 0)
		log_info("queue: --delete removed %zu entr%s (uid %ld)",
		    removed, removed == 1 ? "y" : "ies", (long)getuid());
	return rc;
}
