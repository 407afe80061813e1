/*
 * queue_ctl.c -- the control file: format and parse (fuzzed by
 * fuzz/fuzz_queue.c).  Every control file is untrusted input: a crash or
 * a full disk may have truncated it, and anyone in group postern may have
 * written it.
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
 *	O   owner: the real uid of the process     optional (files written
 *	    that created the entry                 before 0.2 lack it: such
 *	                                           an entry is root's)
 *	S   envelope sender, "" = null sender      required
 *	N   DSN NOTIFY   R  DSN RET   V  ENVID      optional
 *	B   body type: 0 unspecified, 7, 8         optional
 *	U   1 when SMTPUTF8 is needed              optional
 *	Z   size of the data file, octets          required
 *	A   attempts so far                        required
 *	X   next attempt, Unix seconds             required
 *	E   last error                             optional
 *	W   "1": the "delayed" DSN was queued       optional (0.2)
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


/* ------------------------------------------------------------------ */
/* Control file: format and parse                                      */

void
queue_entry_init(struct queue_entry *qe)
{
	memset(qe, 0, sizeof(*qe));
	qe->owner = -1;
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
	char	tmp[QUEUE_TEXT_MAX + 1];
	size_t	n;

	n = text_scrub(tmp, sizeof(tmp), s, QUEUE_TEXT_MAX, ' ');
	return put_rec(b, tag, tmp, n);
}

static const char rcpt_state_chars[] = "PSDF";

/* What the format cannot hold, refused before anything is written. */
static int
format_check(const struct queue_entry *qe, struct err *e)
{
	const struct envelope	*env = &qe->env;

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
	    qe->size < 0 || (uint64_t)qe->size >= SIZE_MAX_Q ||
	    qe->owner < -1 || qe->owner >= (long long)OWNER_MAX)
		return err_set(e, ERR_SOFTWARE, "queue: value out of range");
	return 0;
}

/* The scalar records; nonzero when out is full. */
static int
format_head(const struct queue_entry *qe, struct buf *out)
{
	const struct envelope	*env = &qe->env;
	int			 bad = 0;

	bad |= buf_adds(out, CTL_MAGIC);
	bad |= put_str(out, "I", qe->id);
	bad |= put_num(out, "T", (unsigned long long)qe->created);
	if (qe->owner >= 0)
		bad |= put_num(out, "O", (unsigned long long)qe->owner);
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
	if (qe->warned)
		bad |= put_str(out, "W", "1");
	bad |= put_num(out, "C", env->nrcpts);
	return bad;
}

int
queue_ctl_format(const struct queue_entry *qe, struct buf *out,
    struct err *e)
{
	const struct envelope	*env = &qe->env;
	size_t			 i;
	char			 st[2] = { 0, 0 };
	int			 bad;

	if (format_check(qe, e) == -1)
		return -1;
	bad = format_head(qe, out);
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

static int
is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* LEN ":": decimal, no leading zero, at most QUEUE_FIELD_MAX. */
static int
rd_length(struct rd *r, const char *tag, size_t *lenp, struct err *e)
{
	size_t	digits = 0, len = 0;

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
	*lenp = len;
	return 0;
}

/* Read one record; tag gets 1-3 letters. */
static int
rd_record(struct rd *r, char tag[4], const char **val, size_t *vlen,
    struct err *e)
{
	size_t	n = 0, len = 0;

	/* Defined on every path, the error ones included (clang-tidy). */
	memset(tag, 0, 4);
	while (r->off < r->len && n < 3 && is_letter(r->p[r->off]))
		tag[n++] = r->p[r->off++];
	tag[n] = '\0';
	if (n == 0 || r->off >= r->len || r->p[r->off] != ' ')
		return err_set(e, ERR_DATA, "bad record tag at offset %zu",
		    r->off);
	r->off++;
	if (rd_length(r, tag, &len, e) == -1)
		return -1;
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

static char *
dupn(const char *v, size_t len)
{
	char	*p;

	if ((p = malloc(len + 1)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, v, len);	/* v may be NULL for an empty value */
	p[len] = '\0';
	return p;
}

/* Bits for the scalar records seen. */
enum {
	SEEN_I = 0x001, SEEN_T = 0x002, SEEN_S = 0x004, SEEN_N = 0x008,
	SEEN_R = 0x010, SEEN_V = 0x020, SEEN_B = 0x040, SEEN_U = 0x080,
	SEEN_Z = 0x100, SEEN_A = 0x200, SEEN_X = 0x400, SEEN_E = 0x800,
	SEEN_C = 0x1000, SEEN_O = 0x2000, SEEN_W = 0x4000
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
		{ "C", SEEN_C }, { "O", SEEN_O }, { "W", SEEN_W }
	};
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].tag, tag) == 0)
			return t[i].bit;
	return 0;
}

/* I, T, X, Z, A, C, O: the id and the numbers; 1 when tag is none of them. */
static int
parse_number(struct queue_entry *qe, const char *tag, const char *v,
    size_t len, size_t *count, struct err *e)
{
	struct envelope	*env = &qe->env;
	uint64_t	 n;

	switch (tag[0]) {
	case 'I':
		if (len != QUEUE_ID_LEN)
			return err_set(e, ERR_DATA, "bad id");
		memcpy(qe->id, v, len);
		qe->id[len] = '\0';
		if (!queue_id_valid(qe->id))
			return err_set(e, ERR_DATA, "bad id");
		return 0;
	case 'T':
	case 'X':
		if (text_parse_u64(v, len, TIME_MAX - 1, &n) == -1)
			return err_set(e, ERR_DATA, "bad time in %s", tag);
		if (tag[0] == 'T')
			qe->created = (time_t)n;
		else
			qe->next_attempt = (time_t)n;
		return 0;
	case 'O':
		if (text_parse_u64(v, len, OWNER_MAX - 1, &n) == -1)
			return err_set(e, ERR_DATA, "bad owner");
		qe->owner = (long long)n;
		return 0;
	case 'Z':
		if (text_parse_u64(v, len, SIZE_MAX_Q - 1, &n) == -1)
			return err_set(e, ERR_DATA, "bad size");
		qe->size = (off_t)n;
		return 0;
	case 'A':
		if (text_parse_u64(v, len, 1000000, &n) == -1)
			return err_set(e, ERR_DATA, "bad attempt count");
		qe->attempts = (unsigned)n;
		return 0;
	case 'C':
		if (text_parse_u64(v, len, QUEUE_RCPT_MAX, &n) == -1 || n == 0)
			return err_set(e, ERR_DATA, "bad recipient count");
		*count = (size_t)n;
		if ((env->rcpts = calloc(*count, sizeof(*env->rcpts))) == NULL)
			return err_set(e, ERR_SOFTWARE, "out of memory");
		env->cap = *count;
		return 0;
	}
	return 1;
}

/* B, U and W: one-octet flags. */
static int
parse_flag(struct queue_entry *qe, char tag, const char *v, size_t len,
    struct err *e)
{
	struct envelope	*env = &qe->env;

	if (tag == 'W') {
		if (len != 1 || v[0] != '1')
			return err_set(e, ERR_DATA, "bad warned flag");
		qe->warned = 1;
		return 0;
	}
	if (tag == 'B') {
		if (len != 1 || v[0] == '\0' || strchr("078", v[0]) == NULL)
			return err_set(e, ERR_DATA, "bad body type");
		env->body = v[0] == '7' ? BODY_7BIT :
		    v[0] == '8' ? BODY_8BITMIME : BODY_UNSPEC;
		return 0;
	}
	if (len != 1 || (v[0] != '0' && v[0] != '1'))
		return err_set(e, ERR_DATA, "bad SMTPUTF8 flag");
	env->smtputf8 = v[0] == '1';
	return 0;
}

/* S, N, R, V, E (strings), B, U, W; 1 when tag is none of them. */
static int
parse_string(struct queue_entry *qe, const char *tag, const char *v,
    size_t len, struct err *e)
{
	struct envelope	*env = &qe->env;
	char		**slot;

	switch (tag[0]) {
	case 'S':
		if (!valid_addr(v, len, 1))
			return err_set(e, ERR_DATA, "bad sender");
		slot = &env->sender;
		break;
	case 'N':
		if (!valid_word(v, len, 64, ","))
			return err_set(e, ERR_DATA, "bad DSN NOTIFY");
		slot = &env->dsn_notify;
		break;
	case 'R':
		if (!valid_word(v, len, 8, NULL))
			return err_set(e, ERR_DATA, "bad DSN RET");
		slot = &env->dsn_ret;
		break;
	case 'V':
		if (!valid_envid(v, len))
			return err_set(e, ERR_DATA, "bad DSN ENVID");
		slot = &env->dsn_envid;
		break;
	case 'E':
		if (len > QUEUE_TEXT_MAX)
			return err_set(e, ERR_DATA, "error text too long");
		slot = &qe->last_error;
		break;
	case 'B':
	case 'U':
	case 'W':
		return parse_flag(qe, tag[0], v, len, e);
	default:
		return 1;
	}
	if ((*slot = dupn(v, len)) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	return 0;
}

/* r starts a recipient. */
static int
parse_rcpt(struct envelope *env, const char *v, size_t len, size_t count,
    int *rcpt_has, struct err *e)
{
	struct rcpt	*rc;

	if (env->rcpts == NULL)
		return err_set(e, ERR_DATA, "recipient before count");
	if (env->nrcpts > 0 && !(rcpt_has[0] & 1))
		return err_set(e, ERR_DATA, "recipient without state");
	if (env->nrcpts == count)
		return err_set(e, ERR_DATA, "more recipients than %zu", count);
	if (!valid_addr(v, len, 0))
		return err_set(e, ERR_DATA, "bad recipient address");
	rc = &env->rcpts[env->nrcpts];
	if ((rc->addr = dupn(v, len)) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	env->nrcpts++;
	rcpt_has[0] = 0;
	return 0;
}

/* s and m: the state and the reply of the last recipient. */
static int
parse_rcpt_attr(struct envelope *env, char tag, const char *v, size_t len,
    int *rcpt_has, struct err *e)
{
	struct rcpt	*rc;
	const char	*sp;

	if (env->nrcpts == 0)
		return err_set(e, ERR_DATA, "%c before a recipient", tag);
	rc = &env->rcpts[env->nrcpts - 1];
	if (tag == 's') {
		if ((rcpt_has[0] & 1) || len != 1 ||
		    (sp = memchr(rcpt_state_chars, v[0], 4)) == NULL)
			return err_set(e, ERR_DATA, "bad state");
		rc->state = (enum rcpt_state)(sp - rcpt_state_chars);
		rcpt_has[0] |= 1;
		return 0;
	}
	if ((rcpt_has[0] & 2) || len > QUEUE_TEXT_MAX)
		return err_set(e, ERR_DATA, "bad reply");
	if ((rc->reply = dupn(v, len)) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	rcpt_has[0] |= 2;
	return 0;
}

static int
parse_record(struct queue_entry *qe, const char *tag, const char *v,
    size_t len, size_t *count, int *rcpt_has, struct err *e)
{
	int	rc;

	if (tag[1] == '\0' && tag[0] == 'r')
		return parse_rcpt(&qe->env, v, len, *count, rcpt_has, e);
	if (tag[1] == '\0' && (tag[0] == 's' || tag[0] == 'm'))
		return parse_rcpt_attr(&qe->env, tag[0], v, len, rcpt_has, e);
	if (tag[1] == '\0' &&
	    (rc = parse_number(qe, tag, v, len, count, e)) != 1)
		return rc;
	if (tag[1] == '\0' && (rc = parse_string(qe, tag, v, len, e)) != 1)
		return rc;
	return err_set(e, ERR_DATA, "unknown record %s", tag);
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
