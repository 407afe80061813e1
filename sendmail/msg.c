/*
 * msg.c -- header scan, -t recipients, header fix-ups and line encoding.
 *
 * Everything read here is untrusted: it comes from whatever program piped
 * the message in.  The header section is held in memory (bounded by
 * BUF_LIMIT_HEADERS); the body is streamed from a 64 KiB input buffer to a
 * 64 KiB output buffer and never held whole.
 *
 * The output of msg_write() is canonical: CRLF line ends only, no NUL, no
 * CR that is not part of a CRLF, no line over MSG_LINE_MAX octets, and it
 * always ends in CRLF.  Every byte that reaches the output, including the
 * headers postern adds, goes through the same encoders, so no input can
 * make the SMTP client send an early CRLF.CRLF (SMTP smuggling).
 *
 * Choices, following Postfix where it has one:
 *  - A line of "." alone (then LF, CRLF or the end of input) ends the input
 *    when dot_ends is set; "..", ".x" and ".\r" followed by more text are
 *    ordinary data.  Dots are never un-stuffed.
 *  - Every leading "From " line (an mbox separator) and ">From " line
 *    (one quoted by a mailer, any number of ">") is dropped, as Postfix's
 *    sendmail does; Return-Path and Content-Length fields are dropped as
 *    Postfix's cleanup does.
 *  - The header section ends at the first empty line, at the end of input,
 *    or at the first line that is neither a field ("name:") nor a
 *    continuation (starts with SP or HTAB); such a line, and everything
 *    after it, is body, and an empty line is written before it.  So input
 *    that does not start with a header is all body.
 *  - LF and CRLF end a line; any other CR becomes a space; NUL is dropped.
 *  - A header line over 998 octets is folded before the last SP or HTAB
 *    that keeps it short enough; a line without such a blank is split and
 *    its continuation starts with an added space.
 *  - A body line over 998 octets: a single-part message (no multipart or
 *    message Content-Type, and not already base64 or quoted-printable) is
 *    re-encoded quoted-printable, with MIME-Version, Content-Type and
 *    Content-Transfer-Encoding fixed up; otherwise the line is split.
 *  - An added From for the null sender names MAILER-DAEMON (qualified with
 *    opts->domain when set), as Postfix's cleanup does.
 */
#include <sys/types.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "io.h"
#include "mime7.h"
#include "msg.h"
#include "text.h"

#define IN_BUFSZ	(64 * 1024)
#define OUT_BUFSZ	(64 * 1024)
#define EW_CHUNK	45	/* octets per encoded word: 72 characters */

struct msg_input {
	int	 fd;
	int	 dot_ends;
	int	 eof;		/* read() returned 0 */
	int	 done;		/* logical end: end of file or the lone dot */
	int	 bol;		/* at the start of a line, not yet checked */
	int	 err;		/* errno of a failed read */
	size_t	 pos;
	size_t	 len;
	char	 buf[IN_BUFSZ];
};

struct field {
	size_t	 off;		/* in msg.hdr */
	size_t	 len;		/* including every CRLF */
	size_t	 namelen;	/* without blanks before the colon */
	size_t	 colon;		/* offset of the colon from off */
	int	 stray_cr;	/* a stray CR, repaired to a space, had text
				   after it on its line */
};

struct msg {
	struct buf	 hdr;	/* canonical header lines, CRLF ended */
	struct field	*f;
	size_t		 nf;
	size_t		 capf;
	size_t		 nul_removed;
	size_t		 cr_replaced;
};

struct out {
	const struct msg_tap *tap;	/* NULL: none */
	struct buf	*hold;	/* the header section, for the tap */
	int	 in_body;	/* the tap sees what is written */
	size_t	 tap_off;	/* buf[tap_off, len) is body the tap has
				   not seen yet */
	int	 to_7bit;	/* an 8-bit body is made quoted-printable */
	int	 fd;
	int	 err;		/* first errno; later writes are dropped */
	off_t	 total;
	size_t	 len;
	char	 buf[OUT_BUFSZ];
};

/* The body encoder: raw input in, canonical lines out. */
struct enc {
	struct out	*o;
	int		 split;		/* split long lines instead of flagging */
	int		 pend_cr;	/* a CR whose fate the next octet decides */
	int		 counted;	/* this line's split is counted */
	int		 long_line;	/* a line over MSG_LINE_MAX was written */
	int		 has_8bit;
	size_t		 col;
	size_t		 nul;
	size_t		 cr;
	size_t		 splits;
};

static const char hexdig[] = "0123456789ABCDEF";

/* Input. */

struct msg_input *
msg_input_new(int fd, int dot_ends)
{
	struct msg_input	*in;

	if ((in = malloc(sizeof(*in))) == NULL)
		return NULL;
	in->fd = fd;
	in->dot_ends = dot_ends != 0;
	in->eof = 0;
	in->done = 0;
	in->bol = 1;
	in->err = 0;
	in->pos = 0;
	in->len = 0;
	return in;
}

void
msg_input_free(struct msg_input *in)
{
	free(in);
}

/* Compact the buffer and read once more.  -1 on error, else octets read. */
static ssize_t
in_fill(struct msg_input *in)
{
	ssize_t	n;

	if (in->eof)
		return 0;
	if (in->pos > 0) {
		memmove(in->buf, in->buf + in->pos, in->len - in->pos);
		in->len -= in->pos;
		in->pos = 0;
	}
	if (in->len == sizeof(in->buf))
		return 0;
	do
		n = read(in->fd, in->buf + in->len, sizeof(in->buf) - in->len);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		in->err = errno;
		return -1;
	}
	if (n == 0)
		in->eof = 1;
	in->len += (size_t)n;
	return n;
}

/* Make want octets available unless the input ends first. */
static int
in_ensure(struct msg_input *in, size_t want)
{
	while (in->len - in->pos < want && !in->eof)
		if (in_fill(in) == -1)
			return -1;
	return 0;
}

/* At the start of a line: with dot_ends, a lone "." ends the input. */
static int
in_check_dot(struct msg_input *in)
{
	const char	*p;
	size_t		 n;

	if (!in->bol)
		return 0;
	in->bol = 0;
	if (!in->dot_ends || in->done)
		return 0;
	if (in_ensure(in, 3) == -1)
		return -1;
	p = in->buf + in->pos;
	n = in->len - in->pos;
	if (n >= 1 && p[0] == '.' && (n == 1 || p[1] == '\n' ||
	    (n >= 3 && p[1] == '\r' && p[2] == '\n')))
		in->done = 1;
	return 0;
}

/*
 * The next run of input: up to and including a LF when lines matter (the
 * lone dot, or lineonly), else all that is buffered.  Returns its length,
 * 0 at the end of input, -1 on a read error.
 */
static ssize_t
in_next(struct msg_input *in, const char **pp, int lineonly)
{
	const char	*p, *lf;
	size_t		 n;

	if (in_check_dot(in) == -1)
		return -1;
	if (in->done)
		return 0;
	if (in->pos == in->len) {
		if (in_fill(in) == -1)
			return -1;
		if (in->pos == in->len) {
			in->done = 1;
			return 0;
		}
	}
	p = in->buf + in->pos;
	n = in->len - in->pos;
	if (in->dot_ends || lineonly) {
		if ((lf = memchr(p, '\n', n)) != NULL)
			n = (size_t)(lf - p) + 1;
		in->bol = lf != NULL;
	}
	in->pos += n;
	*pp = p;
	return (ssize_t)n;
}

/*
 * Look at the line that starts here without consuming it: *np octets are
 * visible, up to its LF, or a full buffer, or the end of input (0).
 */
static int
in_peekline(struct msg_input *in, const char **pp, size_t *np)
{
	if (in_check_dot(in) == -1)
		return -1;
	*np = 0;
	if (in->done)
		return 0;
	while (memchr(in->buf + in->pos, '\n', in->len - in->pos) == NULL &&
	    !in->eof && in->len - in->pos < sizeof(in->buf))
		if (in_fill(in) == -1)
			return -1;
	*pp = in->buf + in->pos;
	*np = in->len - in->pos;
	return 0;
}

static int
in_skipline(struct msg_input *in)
{
	const char	*p;
	ssize_t		 n;

	while ((n = in_next(in, &p, 1)) > 0)
		if (p[n - 1] == '\n')
			return 0;
	return n == -1 ? -1 : 0;
}

static int
in_error(struct msg_input *in, struct err *e)
{
	return err_set(e, ERR_IO, "reading the message: %s",
	    strerror(in->err));
}

/* Header section. */

/* The colon's offset if the line starts a field ("name:"), else 0. */
static size_t
header_name(const char *p, size_t n, size_t *namelen)
{
	size_t	i = 0;

	while (i < n && p[i] > 32 && p[i] < 127 && p[i] != ':')
		i++;
	if (i == 0)
		return 0;
	*namelen = i;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i < n && p[i] == ':')
		return i;
	return 0;
}

static int
hdr_add(struct msg *m, const char *p, size_t n, struct err *e)
{
	if (buf_add(&m->hdr, p, n) == 0)
		return 0;
	if (errno == E2BIG)
		return err_set(e, ERR_DATA, "header section over %d octets",
		    BUF_LIMIT_HEADERS);
	return err_set(e, ERR_SOFTWARE, "out of memory");
}

/* 1 if p[0..n) holds anything but SP and HTAB. */
static int
has_text(const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return 1;
	return 0;
}

/*
 * Consume one header line into m->hdr in canonical form.  *inner: a stray
 * CR (repaired to a space) was followed by text on the line, i.e. it sat
 * inside the field rather than just before its line end.
 */
static int
hdr_take_line(struct msg *m, struct msg_input *in, int *inner, struct err *e)
{
	const char	*p;
	ssize_t		 r;
	size_t		 n, i, j;
	int		 pend = 0, eol = 0, after_cr = 0;

	while (!eol && (r = in_next(in, &p, 1)) > 0) {
		n = (size_t)r;
		if (p[n - 1] == '\n') {
			eol = 1;
			n--;
		}
		for (i = 0; i < n; i = j) {
			if (p[i] == '\0') {
				m->nul_removed++;
				j = i + 1;
				continue;
			}
			if (pend) {
				m->cr_replaced++;
				after_cr = 1;
				if (hdr_add(m, " ", 1, e) == -1)
					return -1;
				pend = 0;
			}
			if (p[i] == '\r') {
				pend = 1;
				j = i + 1;
				continue;
			}
			for (j = i; j < n && p[j] != '\0' && p[j] != '\r'; j++)
				;
			if (after_cr && has_text(p + i, j - i))
				*inner = 1;
			if (hdr_add(m, p + i, j - i, e) == -1)
				return -1;
		}
	}
	if (!eol && in->err != 0)
		return in_error(in, e);
	/* A CR just before the LF belongs to the line end. */
	if (pend && !eol) {
		m->cr_replaced++;
		if (hdr_add(m, " ", 1, e) == -1)
			return -1;
	}
	return hdr_add(m, "\r\n", 2, e);
}

/* "From " after any number of ">": an mbox separator or a quoted one. */
static int
is_from_line(const char *p, size_t n)
{
	size_t	i = 0;

	while (i < n && p[i] == '>')
		i++;
	return n - i >= 5 && memcmp(p + i, "From ", 5) == 0;
}

int
msg_read_headers(struct msg **mp, struct msg_input *in, struct err *e)
{
	struct msg	*m;
	struct field	*nf;
	const char	*p;
	size_t		 n, colon, namelen, ncap;
	int		 first = 1;

	*mp = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	buf_init(&m->hdr, BUF_LIMIT_HEADERS);
	for (;;) {
		if (in_peekline(in, &p, &n) == -1) {
			in_error(in, e);
			goto fail;
		}
		if (n == 0)
			break;			/* end of input: no body */
		if (first && is_from_line(p, n)) {
			if (in_skipline(in) == -1) {
				in_error(in, e);
				goto fail;
			}
			continue;
		}
		first = 0;
		if (p[0] == '\n' || (n >= 2 && p[0] == '\r' && p[1] == '\n')) {
			if (in_skipline(in) == -1) {
				in_error(in, e);
				goto fail;
			}
			break;			/* the empty line */
		}
		if (p[0] == ' ' || p[0] == '\t') {
			if (m->nf == 0)
				break;		/* no field to continue: body */
		} else {
			if ((colon = header_name(p, n, &namelen)) == 0)
				break;		/* not a field: body */
			if (m->nf == m->capf) {
				ncap = m->capf ? m->capf * 2 : 32;
				nf = reallocarray(m->f, ncap, sizeof(*m->f));
				if (nf == NULL) {
					err_set(e, ERR_SOFTWARE,
					    "out of memory");
					goto fail;
				}
				m->f = nf;
				m->capf = ncap;
			}
			m->f[m->nf].off = m->hdr.len;
			m->f[m->nf].len = 0;
			m->f[m->nf].namelen = namelen;
			m->f[m->nf].colon = colon;
			m->f[m->nf].stray_cr = 0;
			m->nf++;
		}
		if (hdr_take_line(m, in, &m->f[m->nf - 1].stray_cr, e) == -1)
			goto fail;
		m->f[m->nf - 1].len = m->hdr.len - m->f[m->nf - 1].off;
	}
	*mp = m;
	return 0;
fail:
	msg_free(m);
	return -1;
}

void
msg_free(struct msg *m)
{
	if (m == NULL)
		return;
	buf_free(&m->hdr);
	free(m->f);
	free(m);
}

static const char *
field_text(const struct msg *m, size_t i)
{
	return m->hdr.data + m->f[i].off;
}

static int
field_is(const struct msg *m, size_t i, const char *name)
{
	return m->f[i].namelen == strlen(name) &&
	    strncasecmp(field_text(m, i), name, m->f[i].namelen) == 0;
}

static int
msg_has(const struct msg *m, const char *name)
{
	size_t	i;

	for (i = 0; i < m->nf; i++)
		if (field_is(m, i, name))
			return 1;
	return 0;
}

/* The field body with every CRLF removed (RFC 5322 2.2.3). */
static int
field_unfold(const struct msg *m, size_t i, struct buf *u, struct err *e)
{
	const char	*v = field_text(m, i) + m->f[i].colon + 1;
	size_t		 n = m->f[i].len - m->f[i].colon - 1, k, j;

	buf_reset(u);
	for (k = 0; k < n; k = j) {
		if (v[k] == '\r' || v[k] == '\n') {
			j = k + 1;
			continue;
		}
		for (j = k; j < n && v[j] != '\r' && v[j] != '\n'; j++)
			;
		if (buf_add(u, v + k, j - k) == -1)
			return err_set(e, ERR_SOFTWARE, "out of memory");
	}
	if (u->data == NULL && buf_add(u, "", 0) == -1)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	return 0;
}

static int
blank(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

int
msg_header_rcpts(const struct msg *m, struct addr_list *out, struct err *e)
{
	static const char *const plain[] = { "to", "cc", "bcc" };
	static const char *const resent[] = {
		"resent-to", "resent-cc", "resent-bcc"
	};
	const char *const	*names = plain;
	struct buf		 u;
	size_t			 i, k;
	char			 what[64];

	for (i = 0; i < m->nf; i++)
		for (k = 0; k < 3; k++)
			if (field_is(m, i, resent[k]))
				names = resent;
	buf_init(&u, BUF_LIMIT_HEADERS);
	for (i = 0; i < m->nf; i++) {
		for (k = 0; k < 3; k++)
			if (field_is(m, i, names[k]))
				break;
		if (k == 3)
			continue;
		snprintf(what, sizeof(what), "%.*s header",
		    (int)m->f[i].namelen, field_text(m, i));
		/*
		 * A stray CR inside an address field is refused, not repaired
		 * (SPEC: CR or LF inside an address exits 65): "\rtest"@x
		 * must not become the recipient " test"@x.
		 */
		if (m->f[i].stray_cr) {
			err_set(e, ERR_DATA, "%s: stray CR inside the field",
			    what);
			goto fail;
		}
		if (field_unfold(m, i, &u, e) == -1)
			goto fail;
		if (blank(u.data, u.len))
			continue;
		if (addr_parse_list(u.data, u.len, out, e) == -1) {
			err_prefix(e, what);
			goto fail;
		}
	}
	buf_free(&u);
	return 0;
fail:
	buf_free(&u);
	return -1;
}

char *
msg_header_from(const struct msg *m)
{
	struct addr_list	 l;
	struct buf		 u;
	struct err		 e;
	char			*s = NULL;
	size_t			 i;

	for (i = 0; i < m->nf; i++)
		if (field_is(m, i, "from"))
			break;
	if (i == m->nf)
		return NULL;
	buf_init(&u, BUF_LIMIT_HEADERS);
	addr_list_init(&l);
	if (field_unfold(m, i, &u, &e) == 0 &&
	    addr_parse_list(u.data, u.len, &l, &e) == 0 && l.n > 0)
		s = strdup(l.v[0].spec);
	addr_list_free(&l);
	buf_free(&u);
	return s;
}

/* Output. */

static void
out_flush(struct out *o)
{
	/* The tap sees the body in the same blocks as the file. */
	if (o->in_body && o->len > o->tap_off)
		o->tap->body(o->tap->arg, o->buf + o->tap_off,
		    o->len - o->tap_off);
	o->tap_off = 0;
	/* io_write_all() leaves errno as write() set it. */
	errno = 0;
	if (o->err == 0 && o->len > 0 &&
	    io_write_all(o->fd, o->buf, o->len, -1, NULL) == -1)
		o->err = errno != 0 ? errno : EIO;
	o->len = 0;
}

static void
out_put(struct out *o, const void *p, size_t n)
{
	const char	*s = p;
	size_t		 k;

	if (o->hold != NULL) {
		if (buf_add(o->hold, p, n) == -1 && o->err == 0)
			o->err = E2BIG;
		return;
	}
	o->total += (off_t)n;
	/* Most calls are a line or a CRLF that fits: one copy. */
	if (n <= sizeof(o->buf) - o->len) {
		memcpy(o->buf + o->len, p, n);
		o->len += n;
		return;
	}
	while (n > 0) {
		if (o->len == sizeof(o->buf))
			out_flush(o);
		k = sizeof(o->buf) - o->len;
		if (k > n)
			k = n;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
	}
}

static void
out_reset(struct out *o, int fd)
{
	o->fd = fd;
	o->err = 0;
	o->total = 0;
	o->len = 0;
	o->tap = NULL;
	o->hold = NULL;
	o->in_body = 0;
	o->tap_off = 0;
	o->to_7bit = 0;
}

/* Emit one physical header line, folding it under MSG_LINE_MAX. */
static void
emit_physline(struct out *o, const char *p, size_t n)
{
	size_t	lim = MSG_LINE_MAX, i, cut;

	while (n > lim) {
		cut = 0;
		for (i = lim; i > 0; i--)
			if (p[i] == ' ' || p[i] == '\t') {
				cut = i;
				break;
			}
		if (cut > 0) {
			out_put(o, p, cut);
			out_put(o, "\r\n", 2);
			lim = MSG_LINE_MAX;
		} else {
			cut = lim;
			out_put(o, p, cut);
			out_put(o, "\r\n ", 3);
			lim = MSG_LINE_MAX - 1;
		}
		p += cut;
		n -= cut;
	}
	out_put(o, p, n);
	out_put(o, "\r\n", 2);
}

/* Emit a field: lines separated by CRLF, the last CRLF optional. */
static void
emit_field(struct out *o, const char *s, size_t n, struct msg_stats *st)
{
	const char	*end = s + n, *p;
	size_t		 i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80) {
			st->has_8bit_headers = 1;
			break;
		}
	while (s < end) {
		for (p = s; p < end && !(p[0] == '\r' && p + 1 < end &&
		    p[1] == '\n'); p++)
			;
		emit_physline(o, s, (size_t)(p - s));
		s = p < end ? p + 2 : end;
	}
}

/* Added and rewritten headers. */

static int
is_atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/*
 * A display name as a phrase: atoms as they are, otherwise a quoted
 * string, or RFC 2047 encoded words when it is not ASCII (taken as UTF-8;
 * words are cut between characters and stay under 75 octets).
 */
static void
add_phrase(struct buf *b, const char *s)
{
	size_t	n = strlen(s), i, k;
	int	ascii = 1, atoms = 1;

	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] >= 0x80)
			ascii = 0;
		else if (!is_atext((unsigned char)s[i]) && s[i] != ' ')
			atoms = 0;
	}
	if (!ascii) {
		for (i = 0; i < n; i += k) {
			k = n - i < EW_CHUNK ? n - i : EW_CHUNK;
			while (i + k < n && k > 1 &&
			    ((unsigned char)s[i + k] & 0xc0) == 0x80)
				k--;
			if (i > 0)
				buf_addc(b, ' ');
			buf_adds(b, "=?UTF-8?B?");
			text_b64_append(b, s + i, k);
			buf_adds(b, "?=");
		}
	} else if (atoms)
		buf_add(b, s, n);
	else {
		buf_addc(b, '"');
		for (i = 0; i < n; i++) {
			if (s[i] == '"' || s[i] == '\\')
				buf_addc(b, '\\');
			buf_addc(b, s[i]);
		}
		buf_addc(b, '"');
	}
}

/* "From: phrase <sender>" or "From: sender". */
static int
build_from(struct buf *b, const char *display, const struct msg_opts *opts,
    struct err *e)
{
	const char	*s = opts->sender;

	if (s == NULL || *s == '\0')
		s = "MAILER-DAEMON";
	if (display != NULL && blank(display, strlen(display)))
		display = NULL;
	buf_reset(b);
	buf_adds(b, "From: ");
	if (display != NULL) {
		add_phrase(b, display);
		buf_adds(b, " <");
	}
	buf_adds(b, s);
	if (addr_domain(s) == NULL && opts->domain != NULL) {
		buf_addc(b, '@');
		buf_adds(b, opts->domain);
	}
	if (display != NULL)
		buf_addc(b, '>');
	if (buf_adds(b, "\r\n") == -1)
		return err_set(e, ERR_DATA, "From header too long");
	return 0;
}

static int
build_date(struct buf *b, struct err *e)
{
	char	date[64];

	text_date(time(NULL), date, sizeof(date));
	buf_reset(b);
	if (buf_printf(b, "Date: %s\r\n", date) == -1)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	return 0;
}

/*
 * <time.pid.random@domain>: 96 random bits from getrandom(); should that
 * fail, the clock's nanoseconds and a counter keep IDs from this process
 * distinct.
 */
static int
build_msgid(struct buf *b, const struct msg_opts *opts, struct err *e)
{
	static unsigned		 counter;
	unsigned char		 rnd[12];
	struct timespec		 ts;
	const char		*dom;
	size_t			 i;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		memset(rnd, 0, sizeof(rnd));
		memcpy(rnd, &ts.tv_nsec, sizeof(ts.tv_nsec) < sizeof(rnd) ?
		    sizeof(ts.tv_nsec) : sizeof(rnd));
		rnd[sizeof(rnd) - 1] ^= (unsigned char)counter++;
	}
	dom = opts->msgid_domain != NULL ? opts->msgid_domain :
	    opts->domain != NULL ? opts->domain : "localhost";
	buf_reset(b);
	buf_printf(b, "Message-ID: <%lld.%ld.", (long long)ts.tv_sec,
	    (long)getpid());
	for (i = 0; i < sizeof(rnd); i++) {
		buf_addc(b, hexdig[rnd[i] >> 4]);
		buf_addc(b, hexdig[rnd[i] & 15]);
	}
	buf_printf(b, "@%s>\r\n", dom);
	if (b->data == NULL || b->data[b->len - 1] != '\n')
		return err_set(e, ERR_SOFTWARE, "out of memory");
	return 0;
}

static int
cmp_size(const void *a, const void *b)
{
	size_t	x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Copy field i to b with "@domain" inserted after each addr-spec that has
 * no domain.  The parser sees the unfolded body; its offsets map back to
 * the folded text by skipping CRLFs, so the folding is kept.  A body that
 * does not parse is copied unchanged (only -t treats that as an error).
 */
static int
qualify_field(const struct msg *m, size_t i, const char *domain,
    struct buf *b, struct err *e)
{
	struct addr_list	 l;
	struct buf		 u;
	struct err		 pe;
	const char		*f = field_text(m, i), *v;
	size_t			*ins = NULL, nins = 0, k, j, un, vn;
	int			 bad;

	buf_reset(b);
	buf_init(&u, BUF_LIMIT_HEADERS);
	addr_list_init(&l);
	if (field_unfold(m, i, &u, e) == -1)
		goto fail;
	if (addr_parse_list(u.data, u.len, &l, &pe) == 0 && l.n > 0) {
		if ((ins = calloc(l.n, sizeof(*ins))) == NULL) {
			err_set(e, ERR_SOFTWARE, "out of memory");
			goto fail;
		}
		for (k = 0; k < l.n; k++)
			if (!l.v[k].has_domain && l.v[k].spec[0] != '\0' &&
			    l.v[k].spec_end <= u.len)
				ins[nins++] = l.v[k].spec_end;
		qsort(ins, nins, sizeof(*ins), cmp_size);
	}
	v = f + m->f[i].colon + 1;
	vn = m->f[i].len - m->f[i].colon - 1;
	bad = buf_add(b, f, m->f[i].colon + 1);
	for (k = 0, j = 0, un = 0; k < vn; k++) {
		while (j < nins && ins[j] == un) {
			bad |= buf_addc(b, '@');
			bad |= buf_adds(b, domain);
			j++;
		}
		bad |= buf_addc(b, v[k]);
		if (v[k] != '\r' && v[k] != '\n')
			un++;
	}
	if (bad) {
		err_set(e, ERR_SOFTWARE, "out of memory");
		goto fail;
	}
	free(ins);
	addr_list_free(&l);
	buf_free(&u);
	return 0;
fail:
	free(ins);
	addr_list_free(&l);
	buf_free(&u);
	return -1;
}

/* The display name of the first address of field i, or NULL. (Caller frees.) */
static char *
field_display(const struct msg *m, size_t i)
{
	struct addr_list	 l;
	struct buf		 u;
	struct err		 e;
	char			*s = NULL;

	buf_init(&u, BUF_LIMIT_HEADERS);
	addr_list_init(&l);
	if (field_unfold(m, i, &u, &e) == 0 &&
	    addr_parse_list(u.data, u.len, &l, &e) == 0 && l.n > 0 &&
	    l.v[0].display != NULL)
		s = strdup(l.v[0].display);
	addr_list_free(&l);
	buf_free(&u);
	return s;
}

static int
is_addr_field(const struct msg *m, size_t i)
{
	static const char *const names[] = {
		"from", "to", "cc", "reply-to", "sender", "resent-from",
		"resent-to", "resent-cc", "resent-reply-to", "resent-sender"
	};
	size_t	k;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (field_is(m, i, names[k]))
			return 1;
	return 0;
}

/* The start of a field body, unfolded, lower-cased, in at most n-1 octets. */
static void
field_head(const struct msg *m, size_t i, char *s, size_t n)
{
	const char	*v = field_text(m, i) + m->f[i].colon + 1;
	size_t		 vn = m->f[i].len - m->f[i].colon - 1, k, j = 0;

	for (k = 0; k < vn && j + 1 < n; k++) {
		if (v[k] == '\r' || v[k] == '\n' ||
		    ((v[k] == ' ' || v[k] == '\t') && j == 0))
			continue;
		s[j++] = (char)(v[k] >= 'A' && v[k] <= 'Z' ? v[k] + 32 : v[k]);
	}
	s[j] = '\0';
}

/*
 * Whether a long body line is split rather than the body re-encoded:
 * composite types cannot be quoted-printable (RFC 2045 6.4), and a body
 * already in base64 or quoted-printable would be encoded twice.
 */
static int
body_splits(const struct msg *m)
{
	char	h[32];
	size_t	i;
	int	ct = 0, cte = 0;

	for (i = 0; i < m->nf; i++) {
		if (!ct && field_is(m, i, "content-type")) {
			ct = 1;
			field_head(m, i, h, sizeof(h));
			if (strncmp(h, "multipart/", 10) == 0 ||
			    strncmp(h, "message/", 8) == 0)
				return 1;
		} else if (!cte &&
		    field_is(m, i, "content-transfer-encoding")) {
			cte = 1;
			field_head(m, i, h, sizeof(h));
			if (strncmp(h, "base64", 6) == 0 ||
			    strncmp(h, "quoted-printable", 16) == 0)
				return 1;
		}
	}
	return 0;
}

static void
emit_buf(struct out *o, const struct buf *b, struct msg_stats *st)
{
	emit_field(o, b->data, b->len, st);
}

/* The header section and the empty line after it. */
static int
emit_headers(const struct msg *m, struct out *o, const struct msg_opts *opts,
    int qp, struct msg_stats *st, struct err *e)
{
	struct buf	 b;
	char		*disp;
	size_t		 i;
	int		 from_done = 0;

	/* Room for a header section in which every address gets a domain. */
	buf_init(&b, BUF_LIMIT_HEADERS +
	    (size_t)ADDR_LIST_MAX * (ADDR_DOMAIN_MAX + 2));
	st->has_8bit_headers = 0;
	for (i = 0; i < m->nf; i++) {
		if (field_is(m, i, "bcc") || field_is(m, i, "resent-bcc"))
			continue;
		/*
		 * Return-Path is the final delivery's to add (RFC 5321 4.4:
		 * an originating system should not send it); Content-Length
		 * describes a local mailbox, not what goes on the wire.
		 * Postfix's cleanup drops both.
		 */
		if (field_is(m, i, "return-path") ||
		    field_is(m, i, "content-length"))
			continue;
		if (qp && field_is(m, i, "content-transfer-encoding"))
			continue;
		if (opts->force_from && field_is(m, i, "from")) {
			if (from_done)
				continue;	/* one From is enough */
			from_done = 1;
			disp = field_display(m, i);
			if (build_from(&b, disp != NULL ? disp :
			    opts->full_name, opts, e) == -1) {
				free(disp);
				goto fail;
			}
			free(disp);
			emit_buf(o, &b, st);
			continue;
		}
		if (opts->domain != NULL && is_addr_field(m, i)) {
			if (qualify_field(m, i, opts->domain, &b, e) == -1)
				goto fail;
			emit_buf(o, &b, st);
			continue;
		}
		emit_field(o, field_text(m, i), m->f[i].len, st);
	}
	st->added_date = st->added_msgid = st->added_from = 0;
	if (!msg_has(m, "date")) {
		if (build_date(&b, e) == -1)
			goto fail;
		emit_buf(o, &b, st);
		st->added_date = 1;
	}
	if (!msg_has(m, "message-id")) {
		if (build_msgid(&b, opts, e) == -1)
			goto fail;
		emit_buf(o, &b, st);
		st->added_msgid = 1;
	}
	if (!msg_has(m, "from")) {
		if (build_from(&b, opts->full_name, opts, e) == -1)
			goto fail;
		emit_buf(o, &b, st);
		st->added_from = 1;
	}
	if (qp) {
		if (!msg_has(m, "mime-version"))
			out_put(o, "MIME-Version: 1.0\r\n", 19);
		if (!msg_has(m, "content-type"))
			out_put(o, "Content-Type: text/plain; charset=UTF-8\r\n",
			    41);
		out_put(o, "Content-Transfer-Encoding: quoted-printable\r\n",
		    45);
	}
	out_put(o, "\r\n", 2);
	buf_free(&b);
	return 0;
fail:
	buf_free(&b);
	return -1;
}

/*
 * The header section through the tap (when there is one): held in memory,
 * shown to the tap, written after the octets it reserves.
 */
static int
emit_head(const struct msg *m, struct out *o, const struct msg_opts *opts,
    int qp, struct msg_stats *st, struct err *e)
{
	static const char	 blanks[64] = "                                "
				    "                                ";
	struct buf		 h;
	const char		*why;
	long			 r;
	int			 rc = -1;

	o->tap = opts->tap;
	if (o->tap == NULL)
		return emit_headers(m, o, opts, qp, st, e);
	buf_init(&h, 4 * BUF_LIMIT_HEADERS);
	o->in_body = 0;
	o->hold = &h;
	rc = emit_headers(m, o, opts, qp, st, e);
	o->hold = NULL;
	if (rc == 0 && o->err != 0)
		rc = err_set(e, ERR_DATA, "header section too large");
	if (rc == 0 && (r = o->tap->head(o->tap->arg, h.data, h.len, e)) < 0)
		rc = -1;
	if (rc == 0) {
		o->to_7bit = r > 0 && o->tap->seven_bit &&
		    mime7_headers(h.data, h.len, &why) == MIME7_CONVERT;
		for (; r > 0; r -= r > 64 ? 64 : r)
			out_put(o, blanks, r > 64 ? 64 : (size_t)r);
		out_put(o, h.data, h.len);
		o->in_body = 1;
		o->tap_off = o->len;
	}
	buf_free(&h);
	return rc;
}

/* Body. */

static void
enc_run(struct enc *en, const char *p, size_t n)
{
	size_t	k;

	while (n > 0) {
		if (en->split && en->col >= MSG_LINE_MAX) {
			out_put(en->o, "\r\n", 2);
			en->col = 0;
			if (!en->counted) {
				en->splits++;
				en->counted = 1;
			}
		}
		k = n;
		if (en->split && k > MSG_LINE_MAX - en->col)
			k = MSG_LINE_MAX - en->col;
		out_put(en->o, p, k);
		en->col += k;
		if (en->col > MSG_LINE_MAX)
			en->long_line = 1;
		p += k;
		n -= k;
	}
}

static void
enc_stray_cr(struct enc *en)
{
	en->cr++;
	en->pend_cr = 0;
	enc_run(en, " ", 1);
}

static void
enc_feed(struct enc *en, const char *p, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i = j) {
		switch (p[i]) {
		case '\0':
			en->nul++;
			j = i + 1;
			break;
		case '\r':
			if (en->pend_cr)
				enc_stray_cr(en);
			en->pend_cr = 1;
			j = i + 1;
			break;
		case '\n':
			en->pend_cr = 0;
			out_put(en->o, "\r\n", 2);
			en->col = 0;
			en->counted = 0;
			j = i + 1;
			break;
		default:
			if (en->pend_cr)
				enc_stray_cr(en);
			j = i + text_line_run(p + i, n - i, &en->has_8bit);
			enc_run(en, p + i, j - i);
			break;
		}
	}
}

static void
enc_finish(struct enc *en)
{
	if (en->pend_cr)
		enc_stray_cr(en);
	if (en->col > 0)
		out_put(en->o, "\r\n", 2);
	en->col = 0;
}

/* text_qp's output into the spool. */
static void
qp_put(void *arg, const char *p, size_t n)
{
	out_put(arg, p, n);
}

static ssize_t
pread_all(int fd, char *p, size_t n, off_t off)
{
	ssize_t	r;

	do
		r = pread(fd, p, n, off);
	while (r == -1 && errno == EINTR);
	return r;
}

/*
 * The body in o->fd from body_off on is canonical but has a long line:
 * encode it quoted-printable into a scratch file, then write the headers
 * again (now with MIME fields) and the encoded body over o->fd.
 */
static int
qp_rewrite(const struct msg *m, struct out *o, off_t body_off,
    const struct msg_opts *opts, struct msg_stats *st, struct err *e)
{
	struct out	*so = NULL;
	struct text_qp	 q;
	char		*rb = NULL;
	off_t		 off;
	ssize_t		 n;
	int		 fd, rc = -1;

	if ((fd = io_scratch_open(opts->tmpdir, e)) == -1) {
		e->cls = ERR_IO;
		return -1;
	}
	if ((so = malloc(sizeof(*so))) == NULL ||
	    (rb = malloc(IN_BUFSZ)) == NULL) {
		err_set(e, ERR_SOFTWARE, "out of memory");
		goto done;
	}
	out_reset(so, fd);
	text_qp_init(&q, qp_put, so);
	for (off = body_off; (n = pread_all(o->fd, rb, IN_BUFSZ, off)) > 0;
	    off += n)
		text_qp_feed(&q, rb, (size_t)n);
	if (n == -1) {
		err_set(e, ERR_IO, "reading back the message: %s",
		    strerror(errno));
		goto done;
	}
	text_qp_finish(&q);
	out_flush(so);
	if (so->err != 0) {
		err_set(e, ERR_IO, "writing the scratch file: %s",
		    strerror(so->err));
		goto done;
	}
	if (ftruncate(o->fd, 0) == -1 || lseek(o->fd, 0, SEEK_SET) == -1) {
		err_set(e, ERR_IO, "writing the message: %s", strerror(errno));
		goto done;
	}
	out_reset(o, o->fd);
	if (emit_head(m, o, opts, 1, st, e) == -1)
		goto done;
	for (off = 0; (n = pread_all(fd, rb, IN_BUFSZ, off)) > 0; off += n)
		out_put(o, rb, (size_t)n);
	if (n == -1) {
		err_set(e, ERR_IO, "reading the scratch file: %s",
		    strerror(errno));
		goto done;
	}
	rc = 0;
done:
	free(rb);
	free(so);
	close(fd);
	return rc;
}

/* Strings from the command line or configuration that go into headers. */
static int
opt_bad(const char *s)
{
	return text_has_ctl(s);
}

int
msg_write(struct msg *m, struct msg_input *in, int outfd,
    const struct msg_opts *opts, struct msg_stats *st, struct err *e)
{
	struct out	*o;
	struct enc	 en;
	struct stat	 sb;
	const char	*p;
	off_t		 body_off, taken;
	ssize_t		 n;
	int		 rc = -1;

	memset(st, 0, sizeof(*st));
	if (opt_bad(opts->sender) || opt_bad(opts->full_name))
		return err_set(e, ERR_USAGE,
		    "control character in the sender or full name");
	if (opt_bad(opts->domain) || opt_bad(opts->msgid_domain))
		return err_set(e, ERR_CONFIG, "control character in a domain");
	if (fstat(outfd, &sb) == -1 || !S_ISREG(sb.st_mode))
		return err_set(e, ERR_SOFTWARE,
		    "message output is not a regular file");
	if (ftruncate(outfd, 0) == -1 || lseek(outfd, 0, SEEK_SET) == -1)
		return err_set(e, ERR_IO, "writing the message: %s",
		    strerror(errno));
	if ((o = malloc(sizeof(*o))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	out_reset(o, outfd);

	if (emit_head(m, o, opts, 0, st, e) == -1)
		goto done;
	body_off = o->total;
	memset(&en, 0, sizeof(en));
	en.o = o;
	en.split = body_splits(m);
	taken = body_off;
	while ((n = in_next(in, &p, 0)) > 0) {
		enc_feed(&en, p, (size_t)n);
		taken += n;
		/* Counting the input too: NULs from /dev/zero write nothing. */
		if (opts->max_size > 0 && (taken > opts->max_size ||
		    o->total > opts->max_size))
			goto toobig;
	}
	if (n == -1) {
		in_error(in, e);
		goto done;
	}
	enc_finish(&en);
	out_flush(o);
	if (o->err != 0) {
		err_set(e, ERR_IO, "writing the message: %s",
		    strerror(o->err));
		goto done;
	}
	st->nul_removed = m->nul_removed + en.nul;
	st->cr_replaced = m->cr_replaced + en.cr;
	st->lines_split = en.splits;
	st->has_8bit = en.has_8bit;
	/* A signed 8-bit body is made 7-bit before it is signed (msg.h). */
	if (en.long_line || (en.has_8bit && o->to_7bit)) {
		if (qp_rewrite(m, o, body_off, opts, st, e) == -1)
			goto done;
		out_flush(o);
		if (o->err != 0) {
			err_set(e, ERR_IO, "writing the message: %s",
			    strerror(o->err));
			goto done;
		}
		st->qp_reencoded = en.long_line;
		st->made_7bit = !en.long_line;
		st->has_8bit = 0;
	}
	if (st->has_8bit_headers)
		st->has_8bit = 1;
	st->size = o->total;
	if (opts->max_size > 0 && o->total > opts->max_size)
		goto toobig;	/* the quoted-printable form grew */
	rc = 0;
done:
	free(o);
	return rc;
toobig:
	err_set(e, ERR_DATA, "message larger than [queue] max_message_size "
	    "(%lld octets)", (long long)opts->max_size);
	free(o);
	return -1;
}
