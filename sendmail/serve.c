/*
 * serve.c -- postern -bs: an SMTP server on stdin/stdout (RFC 5321, the
 * server side, minimal; RFC 2920 pipelining, RFC 1870 SIZE, RFC 6152
 * 8BITMIME, RFC 6531 SMTPUTF8, RFC 2034 enhanced status codes).
 *
 * Security assumptions.  The client is a local program running as the
 * invoking user, but the bytes it sends are untrusted: they may hold NULs,
 * binary, overlong lines, CR or LF where they do not belong, or a message
 * body that a web application copied from its own users.  So:
 *  - Memory is bounded: a command line (SERVE_LINE_MAX), the read-ahead
 *    buffer, the reply buffer.  The message is streamed to a scratch file
 *    (O_TMPFILE, or mkstemp and unlink) and bounded by max_size.
 *  - A command holding any control character (NUL, CR, LF, HTAB, DEL) is
 *    refused whole, so no CR or LF can reach an address or a reply.  Every
 *    address is checked with addr_check_envelope() before anyone sees it;
 *    non-ASCII addresses must be valid UTF-8 and need SMTPUTF8.
 *  - Nothing the client sends is echoed back except an unknown MAIL
 *    parameter name, which has passed the same control-character check.
 *    Texts from the handler are cut to one line of printable octets.
 *  - The end of DATA after a CRLF-speaking client is "<CRLF>.<CRLF>"
 *    exactly (see serve.h): a bare-LF "." line is data, so a body a client
 *    failed to normalise cannot end the message early and smuggle
 *    commands.
 *  - A message is handed on only after its final dot; a client that goes
 *    away inside DATA leaves nothing behind.  The reply to the dot is the
 *    handler's, given after it relayed or queued the message.
 *  - Reads and writes wait at most `timeout` seconds; 20 protocol errors end
 *    the session with 421.
 *
 * Choices, following Postfix's smtpd where it has one: HELO/EHLO is not
 * required before MAIL; a path without <> is accepted; source routes are
 * dropped; commands may end in bare LF.  DSN is not offered (serve.h says
 * why).
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "clock.h"
#include "envelope.h"
#include "err.h"
#include "io.h"
#include "serve.h"
#include "text.h"

#define READ_CHUNK	(64 * 1024)
#define IN_MAX		(SERVE_LINE_MAX + READ_CHUNK)
#define OUT_MAX		(64 * 1024)
#define OUT_FLUSH	4096
#define SERVE_SIZE_CAP	((off_t)1 << 40)	/* keeps SIZE= parsing in range */

/* DATA decoder states. */
enum {
	D_BOL = 0,	/* at the start of a line */
	D_MID,		/* inside a line */
	D_CR,		/* a CR was read and not yet written */
	D_DOT,		/* "." at the start of a line, not yet written */
	D_DOTCR		/* ".\r" at the start of a line, not yet written */
};

struct session {
	int				 in_fd;
	int				 out_fd;
	const struct serve_handler	*h;
	char				 hostname[256];
	const char			*tmpdir;
	off_t				 max_size;
	int				 timeout_ms;
	struct buf			 in;	/* read ahead */
	size_t				 in_off; /* of it already consumed */
	struct buf			 out;	/* replies not yet written */
	struct buf			 line;	/* the current command */
	int				 line_crlf;
	int				 eof;
	int				 errors;
	int				 in_mail;
	int				 smtputf8;
	struct envelope			 env;
	struct err			*e;
};

/*
 * The unconsumed input.  Consuming only moves an offset, so that many
 * small pipelined commands cost no repeated copying; fill() compacts.
 */
static const char *
in_ptr(const struct session *s)
{
	return s->in.data != NULL ? s->in.data + s->in_off : "";
}

static size_t
in_len(const struct session *s)
{
	return s->in.len - s->in_off;
}

static void
in_consume(struct session *s, size_t n)
{
	s->in_off += n;
	if (s->in_off >= s->in.len) {
		buf_reset(&s->in);
		s->in_off = 0;
	}
}

/* The DATA decoder (serve.h). */

void
serve_data_init(struct serve_data *d, int strict)
{
	memset(d, 0, sizeof(*d));
	d->state = D_BOL;
	d->strict = strict;
	d->prev_crlf = 1;	/* the DATA line itself */
}

size_t
serve_data_decode(struct serve_data *d, const char *in, size_t inlen,
    size_t *used, char *out)
{
	size_t	i, o = 0;
	int	c;

	for (i = 0; i < inlen && !d->done; i++) {
		c = (unsigned char)in[i];
 again:
		switch (d->state) {
		case D_BOL:
			if (c == '.') {
				d->state = D_DOT;
				break;
			}
			/* FALLTHROUGH */
		case D_MID:
			if (c == '\n') {
				out[o++] = '\r';
				out[o++] = '\n';
				d->prev_crlf = 0;
				d->state = D_BOL;
			} else if (c == '\r')
				d->state = D_CR;
			else {
				out[o++] = (char)c;
				d->state = D_MID;
			}
			break;
		case D_CR:
			if (c == '\n') {
				out[o++] = '\r';
				out[o++] = '\n';
				d->prev_crlf = 1;
				d->state = D_BOL;
			} else if (c == '\r')
				out[o++] = '\r';	/* a stray CR */
			else {
				out[o++] = '\r';
				out[o++] = (char)c;
				d->state = D_MID;
			}
			break;
		case D_DOT:
			if (c == '\n') {
				if (!d->strict) {
					d->done = 1;
					break;
				}
				/* ".\n" after a CRLF client: data. */
				out[o++] = '.';
				out[o++] = '\r';
				out[o++] = '\n';
				d->prev_crlf = 0;
				d->state = D_BOL;
			} else if (c == '\r')
				d->state = D_DOTCR;
			else {
				/* Un-stuff: drop the dot, keep the rest. */
				d->state = D_MID;
				goto again;
			}
			break;
		case D_DOTCR:
			if (c == '\n') {
				if (!d->strict || d->prev_crlf) {
					d->done = 1;
					break;
				}
				out[o++] = '.';
				out[o++] = '\r';
				out[o++] = '\n';
				d->prev_crlf = 1;
				d->state = D_BOL;
			} else {
				/* ".\rX": un-stuff, the CR is still pending. */
				d->state = D_CR;
				goto again;
			}
			break;
		}
	}
	*used = i;
	return o;
}

/* Output. */

static int
flush_out(struct session *s)
{
	long long	deadline;

	if (s->out.len == 0)
		return 0;
	/* The client has the idle timeout to start reading our replies. */
	deadline = clock_now_ms() + s->timeout_ms;
	if (io_wait(s->out_fd, POLLOUT, deadline, s->e) == -1 ||
	    io_write_all(s->out_fd, s->out.data, s->out.len, deadline,
	    s->e) == -1) {
		err_prefix(s->e, "-bs: writing a reply");
		s->e->cls = ERR_IO;
		return -1;
	}
	buf_reset(&s->out);
	return 0;
}

static int	reply(struct session *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Queue one reply line (CRLF added); written at the next read. */
static int
reply(struct session *s, const char *fmt, ...)
{
	char	line[SERVE_TEXT_MAX + 300];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return err_set(s->e, ERR_SOFTWARE, "-bs: formatting a reply");
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	if (buf_add(&s->out, line, (size_t)n) == -1 ||
	    buf_add(&s->out, "\r\n", 2) == -1)
		return err_set(s->e, ERR_SOFTWARE, "-bs: reply buffer full");
	if (s->out.len >= OUT_FLUSH)
		return flush_out(s);
	return 0;
}

/* A protocol error: reply, count it, and give up after too many. */
static int	proto_error(struct session *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
proto_error(struct session *s, const char *fmt, ...)
{
	char	line[SERVE_TEXT_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (reply(s, "%s", line) == -1)
		return -1;
	if (++s->errors < SERVE_MAX_ERRORS)
		return 0;
	if (reply(s, "421 4.7.0 %s Error: too many errors", s->hostname) == -1
	    || flush_out(s) == -1)
		return -1;
	return err_set(s->e, ERR_USAGE, "-bs: too many errors from the "
	    "client");
}

/*
 * Reply with a code and text from a handler: one line of printable octets
 * (SERVE_TEXT_MAX at most), an enhanced status code of the right class.
 */
static int
handler_reply(struct session *s, int code, const char *text)
{
	char		 t[SERVE_TEXT_MAX + 1];
	int		 cls;

	if (code < 200 || code > 599 || code / 100 == 3) {
		code = 451;
		text = "4.3.0 Local error in processing";
	}
	if (text == NULL)
		text = "";
	text_scrub(t, sizeof(t), text, SERVE_TEXT_MAX, ' ');
	/* Does it start with "C.S.D" of the same class, then SP or end? */
	cls = code / 100;
	if (text_enhanced_len(t, (char)('0' + cls)) > 0)
		return reply(s, "%d %s", code, t);
	return reply(s, "%d %d.0.0 %s", code, cls, t[0] ? t : "Error");
}

/* Input. */

/*
 * Read more input, waiting at most the timeout.  Replies are written first:
 * the client may be waiting for them (RFC 2920 3.1).  Returns 1 when bytes
 * were added, 0 at the end of input, -1 on error or timeout.
 */
static int
fill(struct session *s)
{
	char		chunk[READ_CHUNK];
	long long	deadline;
	size_t		room;
	ssize_t		n;

	if (s->eof)
		return 0;
	if (flush_out(s) == -1)
		return -1;
	buf_consume(&s->in, s->in_off);
	s->in_off = 0;
	room = IN_MAX - s->in.len;
	if (room > sizeof(chunk))
		room = sizeof(chunk);
	if (room == 0)
		return err_set(s->e, ERR_SOFTWARE, "-bs: input buffer full");
	deadline = clock_now_ms() + s->timeout_ms;
	for (;;) {
		if (io_wait(s->in_fd, POLLIN, deadline, s->e) == -1) {
			if (clock_now_ms() < deadline) {
				err_prefix(s->e, "-bs: waiting for input");
				s->e->cls = ERR_IO;
				return -1;
			}
			if (reply(s, "421 4.4.2 %s Error: timeout exceeded",
			    s->hostname) == -1 || flush_out(s) == -1)
				return -1;
			return err_set(s->e, ERR_TEMP, "-bs: the client was "
			    "idle for %d seconds", s->timeout_ms / 1000);
		}
		n = read(s->in_fd, chunk, room);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1)
			return err_set(s->e, ERR_IO, "-bs: reading input: %s",
			    strerror(errno));
		break;
	}
	if (n == 0) {
		s->eof = 1;
		return 0;
	}
	if (buf_add(&s->in, chunk, (size_t)n) == -1)
		return err_set(s->e, ERR_SOFTWARE, "-bs: input buffer full");
	return 1;
}

/*
 * Read one command line into s->line (terminator removed).  Returns 1 with
 * a line, 2 for a line that was too long (discarded), 0 at the end of
 * input (an unterminated last line is dropped), -1 on error.
 */
static int
read_command(struct session *s)
{
	const char	*p, *nl;
	size_t		 n;
	int		 skipping = 0, r;

	for (;;) {
		p = in_ptr(s);
		nl = in_len(s) ? memchr(p, '\n', in_len(s)) : NULL;
		if (nl != NULL) {
			n = (size_t)(nl - p);
			if (skipping || n + 1 > SERVE_LINE_MAX) {
				in_consume(s, n + 1);
				return 2;
			}
			s->line_crlf = n > 0 && p[n - 1] == '\r';
			buf_reset(&s->line);
			if (buf_add(&s->line, p, n - (size_t)s->line_crlf) == -1)
				return err_set(s->e, ERR_SOFTWARE, "-bs: out "
				    "of memory");
			in_consume(s, n + 1);
			return 1;
		}
		if (in_len(s) >= SERVE_LINE_MAX) {
			/* Too long already: drop it up to its LF. */
			skipping = 1;
			in_consume(s, in_len(s));
		}
		if ((r = fill(s)) <= 0)
			return r;
	}
}

/* Helpers for parsing commands. */

static void
reset_transaction(struct session *s)
{
	envelope_free(&s->env);
	envelope_init(&s->env);
	s->in_mail = 0;
	s->smtputf8 = 0;
}

/*
 * Parse "FROM:" or "TO:" (case-insensitive, then optional spaces) and a
 * path: "<...>" (a quoted local part may hold ">") or, leniently, a bare
 * address up to the next space.  The path's contents, source route
 * removed, go to out; *rest points after the path.  Returns 0 or -1.
 */
static int
parse_path(const char *arg, const char *kw, char *out, size_t outlen,
    const char **rest)
{
	const char	*p, *start, *end;
	size_t		 kwlen = strlen(kw), n;
	int		 quoted = 0;

	if (strncasecmp(arg, kw, kwlen) != 0)
		return -1;
	p = arg + kwlen;
	while (*p == ' ')
		p++;
	if (*p == '<') {
		start = ++p;
		for (; *p != '\0'; p++) {
			if (quoted && *p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				quoted = !quoted;
			else if (*p == '>' && !quoted)
				break;
		}
		if (*p != '>')
			return -1;
		end = p++;
	} else {
		start = p;
		p += strcspn(p, " ");
		end = p;
		if (end == start)
			return -1;
	}
	if (*p != '\0' && *p != ' ')
		return -1;
	/* An obsolete source route "@a,@b:" is dropped (RFC 5321 C). */
	if (start < end && *start == '@') {
		while (start < end && *start != ':')
			start++;
		if (start == end)
			return -1;
		start++;
	}
	n = (size_t)(end - start);
	if (n >= outlen)
		return -1;
	memcpy(out, start, n);
	out[n] = '\0';
	*rest = p;
	return 0;
}

/*
 * The next ESMTP parameter "KEY[=VALUE]" of rest (RFC 5321 4.1.2).
 * Returns 1 with key and value (value "" when none), 0 at the end, -1 for
 * bad syntax.
 */
static int
next_param(const char **rest, char *key, size_t keylen, char *val,
    size_t vallen)
{
	const char	*p = *rest, *k, *v;
	size_t		 kn, vn;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 0;
	k = p;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	    (*p >= '0' && *p <= '9') || (*p == '-' && p != k))
		p++;
	kn = (size_t)(p - k);
	if (kn == 0 || kn >= keylen)
		return -1;
	memcpy(key, k, kn);
	key[kn] = '\0';
	val[0] = '\0';
	if (*p == '=') {
		v = ++p;
		while (*p != '\0' && *p != ' ' && *p != '=')
			p++;
		vn = (size_t)(p - v);
		if (vn == 0 || vn >= vallen)
			return -1;
		memcpy(val, v, vn);
		val[vn] = '\0';
	}
	if (*p != '\0' && *p != ' ')
		return -1;
	*rest = p;
	return 1;
}

/* Commands. */

static int
cmd_helo(struct session *s, const char *arg, int ehlo)
{
	if (*arg == '\0')
		return proto_error(s, "501 5.5.4 Syntax: %s hostname",
		    ehlo ? "EHLO" : "HELO");
	reset_transaction(s);
	if (!ehlo)
		return reply(s, "250 %s", s->hostname);
	if (reply(s, "250-%s", s->hostname) == -1 ||
	    reply(s, "250-PIPELINING") == -1 ||
	    reply(s, "250-SIZE %lld", (long long)s->max_size) == -1 ||
	    reply(s, "250-8BITMIME") == -1 ||
	    reply(s, "250-SMTPUTF8") == -1)
		return -1;
	return reply(s, "250 ENHANCEDSTATUSCODES");
}

/* Check an address from MAIL or RCPT; replies and returns 1 if bad. */
static int
bad_address(struct session *s, const char *addr, const char *what,
    const char *enh, int *rc)
{
	struct err	e;

	*rc = 0;
	if (addr_check_envelope(addr, &e) == -1) {
		*rc = proto_error(s, "501 %s Bad %s address syntax", enh,
		    what);
		return 1;
	}
	if (addr_is_utf8(addr) && !s->smtputf8) {
		*rc = reply(s, "553 5.6.7 The %s address is not ASCII: "
		    "SMTPUTF8 is required", what);
		return 1;
	}
	return 0;
}

/* A SIZE= value: digits only; a value past max reads as max + 1. */
static int
parse_size(const char *v, off_t max, long long *out)
{
	size_t		n = strspn(v, "0123456789");
	uint64_t	u;

	if (n == 0 || v[n] != '\0')
		return -1;
	while (n > 1 && v[0] == '0') {
		v++;
		n--;
	}
	if (text_parse_u64(v, n, (uint64_t)max, &u) == -1)
		u = (uint64_t)max + 1;
	*out = (long long)u;
	return 0;
}

/* The MAIL parameters (RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8). */
struct mail_params {
	enum body_type	 body;
	long long	 size;
	int		 seen_size, seen_utf8;
};

/* One parameter: 0, or 1 with *rc what cmd_mail() returns. */
static int
mail_param(struct session *s, const char *key, const char *val,
    struct mail_params *mp, int *rc)
{
	if (strcasecmp(key, "SIZE") == 0 && !mp->seen_size && val[0]) {
		mp->seen_size = 1;
		if (parse_size(val, s->max_size, &mp->size) == 0)
			return 0;
		*rc = proto_error(s, "501 5.5.4 Bad SIZE parameter");
		return 1;
	}
	if (strcasecmp(key, "BODY") == 0 && mp->body == BODY_UNSPEC &&
	    val[0]) {
		if (strcasecmp(val, "7BIT") == 0)
			mp->body = BODY_7BIT;
		else if (strcasecmp(val, "8BITMIME") == 0)
			mp->body = BODY_8BITMIME;
		else {
			*rc = proto_error(s, "501 5.5.4 Unsupported BODY "
			    "parameter");
			return 1;
		}
		return 0;
	}
	if (strcasecmp(key, "SMTPUTF8") == 0 && !mp->seen_utf8 &&
	    val[0] == '\0') {
		mp->seen_utf8 = 1;
		return 0;
	}
	if (strcasecmp(key, "SIZE") == 0 || strcasecmp(key, "BODY") == 0 ||
	    strcasecmp(key, "SMTPUTF8") == 0)
		*rc = proto_error(s, "501 5.5.4 Bad or repeated %s parameter",
		    key);
	else
		*rc = proto_error(s, "555 5.5.4 Unsupported option: %s", key);
	return 1;
}

/*
 * The handler (or envelope_set_sender()) takes the sender: 0, or 1 when
 * it was refused, with *rc what cmd_mail() returns.
 */
static int
take_sender(struct session *s, const char *addr, int *rc)
{
	char		 text[SERVE_TEXT_MAX + 1];
	struct err	 e;
	int		 code = 0, r;

	text[0] = '\0';
	if (s->h->mail != NULL)
		r = s->h->mail(s->h->arg, &s->env, addr, &code, text,
		    sizeof(text));
	else if ((r = envelope_set_sender(&s->env, addr, &e)) == -1)
		code = e.cls == ERR_DATA ? 553 : 451;
	if (r == -1 || s->env.sender == NULL) {
		reset_transaction(s);
		if (code == 0)
			code = 451;
		*rc = handler_reply(s, code, text[0] ? text :
		    "Sender refused");
		return 1;
	}
	return 0;
}

static int
cmd_mail(struct session *s, const char *arg)
{
	char			 addr[SERVE_LINE_MAX], key[32], val[64];
	const char		*rest;
	struct mail_params	 mp;
	int			 r, rc = 0;

	memset(&mp, 0, sizeof(mp));
	if (s->in_mail)
		return proto_error(s, "503 5.5.1 Error: nested MAIL command");
	if (parse_path(arg, "FROM:", addr, sizeof(addr), &rest) == -1)
		return proto_error(s, "501 5.5.4 Syntax: MAIL "
		    "FROM:<address>");
	while ((r = next_param(&rest, key, sizeof(key), val,
	    sizeof(val))) == 1)
		if (mail_param(s, key, val, &mp, &rc))
			return rc;
	if (r == -1)
		return proto_error(s, "501 5.5.4 Bad MAIL parameter syntax");
	if (mp.size > s->max_size)
		return reply(s, "552 5.3.4 Message size exceeds fixed limit");
	s->smtputf8 = mp.seen_utf8;
	if (bad_address(s, addr, "sender", "5.1.7", &rc))
		return rc;
	if (take_sender(s, addr, &rc))
		return rc;
	s->env.body = mp.body;
	s->in_mail = 1;
	return reply(s, "250 2.1.0 Ok");
}

static int
cmd_rcpt(struct session *s, const char *arg)
{
	char		 addr[SERVE_LINE_MAX], key[32], val[64];
	char		 text[SERVE_TEXT_MAX + 1];
	const char	*rest;
	struct err	 e;
	int		 code, r, rc;

	if (!s->in_mail)
		return proto_error(s, "503 5.5.1 Error: need MAIL command");
	if (parse_path(arg, "TO:", addr, sizeof(addr), &rest) == -1)
		return proto_error(s, "501 5.5.4 Syntax: RCPT TO:<address>");
	if ((r = next_param(&rest, key, sizeof(key), val,
	    sizeof(val))) == 1)
		return proto_error(s, "555 5.5.4 Unsupported option: %s", key);
	if (r == -1)
		return proto_error(s, "501 5.5.4 Bad RCPT parameter syntax");
	if (addr[0] == '\0')
		return proto_error(s, "501 5.1.3 Bad recipient address "
		    "syntax");
	if (bad_address(s, addr, "recipient", "5.1.3", &rc))
		return rc;
	if (s->env.nrcpts >= SERVE_MAX_RCPTS)
		return reply(s, "452 4.5.3 Error: too many recipients");

	code = 0;
	text[0] = '\0';
	if (s->h->rcpt != NULL)
		r = s->h->rcpt(s->h->arg, &s->env, addr, &code, text,
		    sizeof(text));
	else if ((r = envelope_add_rcpt(&s->env, addr, &e)) == -1)
		code = e.cls == ERR_DATA ? 553 : 451;
	if (r == -1) {
		if (code == 0)
			code = 451;
		return handler_reply(s, code, text[0] ? text :
		    "Recipient refused");
	}
	return reply(s, "250 2.1.5 Ok");
}

/*
 * Copy the message after 354 into fd, dot-unstuffed, until the final
 * dot.  Returns 0 with *size, *toobig (past max_size: the rest was read
 * and dropped) and *werr (the errno of a failed write), or -1 when the
 * input failed or ended (s->e).
 */
static int
data_read(struct session *s, int fd, char *out, off_t *size, int *toobig,
    int *werr)
{
	struct serve_data	 d;
	struct err		 we;
	size_t			 n, used, o;
	int			 r;

	serve_data_init(&d, s->line_crlf);
	while (!d.done) {
		if (in_len(s) == 0) {
			if ((r = fill(s)) == -1)
				return -1;
			if (r == 0)
				return err_set(s->e, ERR_TEMP, "-bs: the input "
				    "ended inside DATA; message discarded");
		}
		n = in_len(s) < READ_CHUNK ? in_len(s) : READ_CHUNK;
		o = serve_data_decode(&d, in_ptr(s), n, &used, out);
		in_consume(s, used);
		if (*toobig || (off_t)o > s->max_size - *size) {
			*toobig = 1;
			continue;
		}
		*size += (off_t)o;
		/* io_write_all() leaves errno as write() set it. */
		errno = 0;
		if (!*werr && o > 0 && io_write_all(fd, out, o, -1, &we) == -1)
			*werr = errno ? errno : EIO;
	}
	return 0;
}

/* Hand the message in fd to the handler and reply; 1: it ended with 421. */
static int
data_hand_over(struct session *s, int fd, off_t size)
{
	char	text[SERVE_TEXT_MAX + 1];
	int	code = 0, r, rc;

	/* The handler may take a while: let the client know now. */
	if (flush_out(s) == -1)
		return -1;
	text[0] = '\0';
	r = s->h->message(s->h->arg, &s->env, fd, size, &code, text,
	    sizeof(text));
	/* A failed handler never gets its message a 2xx. */
	if (r == -1 && (code < 400 || code > 599))
		code = 0;
	rc = handler_reply(s, code, text);
	if (rc == 0 && code == 421) {
		err_set(s->e, ERR_TEMP, "-bs: session ended: %.200s", text);
		rc = 1;
	}
	return rc;
}

/*
 * Read the message after 354 and hand it on.  Returns 0 (the session goes
 * on), 1 (the handler ended it with 421), or -1.
 */
static int
cmd_data(struct session *s, const char *arg)
{
	char		*out = NULL;
	off_t		 size = 0;
	int		 fd, werr = 0, toobig = 0, rc = -1;
	struct err	 se;

	if (*arg != '\0')
		return proto_error(s, "501 5.5.4 Syntax: DATA");
	if (!s->in_mail)
		return proto_error(s, "503 5.5.1 Error: need MAIL command");
	if (s->env.nrcpts == 0)
		return proto_error(s, "503 5.5.1 Error: need RCPT command");
	if ((fd = io_scratch_open(s->tmpdir, &se)) == -1)
		return reply(s, "451 4.3.0 %s", se.msg);
	if ((out = malloc(SERVE_DATA_OUTMAX(READ_CHUNK))) == NULL) {
		close(fd);
		return reply(s, "451 4.3.0 Out of memory");
	}
	if (reply(s, "354 End data with <CR><LF>.<CR><LF>") == -1 ||
	    data_read(s, fd, out, &size, &toobig, &werr) == -1)
		goto out;
	if (toobig)
		rc = reply(s, "552 5.3.4 Message size exceeds fixed limit");
	else if (werr == ENOSPC || werr == EDQUOT)
		rc = reply(s, "452 4.3.1 Insufficient system storage");
	else if (werr)
		rc = reply(s, "451 4.3.0 Cannot write the message: %s",
		    strerror(werr));
	else if (lseek(fd, 0, SEEK_SET) == -1)
		rc = reply(s, "451 4.3.0 Cannot rewind the message: %s",
		    strerror(errno));
	else
		rc = data_hand_over(s, fd, size);
 out:
	reset_transaction(s);
	free(out);
	close(fd);
	return rc;
}

static int
dispatch(struct session *s)
{
	static const char *const unimpl[] = { "EXPN", "STARTTLS", "AUTH",
	    "BDAT", "ETRN", "TURN", "ATRN", "SEND", "SOML", "SAML", NULL };
	char		*line = s->line.data;
	const char	*arg;
	size_t		 i, vlen;

	for (i = 0; i < s->line.len; i++)
		if (text_is_ctl(line[i]))
			return proto_error(s, "500 5.5.2 Error: control "
			    "character in command");
	if (s->line.len == 0)
		return proto_error(s, "500 5.5.2 Error: bad syntax");
	vlen = strcspn(line, " ");
	arg = line + vlen;
	while (*arg == ' ')
		arg++;
	line[vlen] = '\0';

	if (strcasecmp(line, "HELO") == 0)
		return cmd_helo(s, arg, 0);
	if (strcasecmp(line, "EHLO") == 0)
		return cmd_helo(s, arg, 1);
	if (strcasecmp(line, "MAIL") == 0)
		return cmd_mail(s, arg);
	if (strcasecmp(line, "RCPT") == 0)
		return cmd_rcpt(s, arg);
	if (strcasecmp(line, "DATA") == 0)
		return cmd_data(s, arg);
	if (strcasecmp(line, "RSET") == 0) {
		if (*arg != '\0')
			return proto_error(s, "501 5.5.4 Syntax: RSET");
		reset_transaction(s);
		return reply(s, "250 2.0.0 Ok");
	}
	if (strcasecmp(line, "NOOP") == 0)
		return reply(s, "250 2.0.0 Ok");
	if (strcasecmp(line, "QUIT") == 0) {
		if (reply(s, "221 2.0.0 Bye") == -1 || flush_out(s) == -1)
			return -1;
		return 1;
	}
	if (strcasecmp(line, "VRFY") == 0)
		return reply(s, "252 2.5.2 Cannot VRFY user, but will accept "
		    "message and attempt delivery");
	if (strcasecmp(line, "HELP") == 0)
		return reply(s, "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA "
		    "RSET NOOP QUIT VRFY HELP");
	for (i = 0; unimpl[i] != NULL; i++)
		if (strcasecmp(line, unimpl[i]) == 0)
			return proto_error(s, "502 5.5.1 Error: command not "
			    "implemented");
	return proto_error(s, "500 5.5.2 Error: command not recognized");
}

/* The session's settings from p (NULL: every default). */
static void
session_init(struct session *s, int in_fd, int out_fd,
    const struct serve_params *p, const struct serve_handler *h,
    struct err *e)
{
	const char	*host;
	size_t		 i;

	memset(s, 0, sizeof(*s));
	s->in_fd = in_fd;
	s->out_fd = out_fd;
	s->h = h;
	s->e = e;
	host = p != NULL && p->hostname != NULL && p->hostname[0] != '\0' ?
	    p->hostname : "localhost";
	snprintf(s->hostname, sizeof(s->hostname), "%s", host);
	for (i = 0; s->hostname[i] != '\0'; i++)
		if (text_is_ctl(s->hostname[i]) || s->hostname[i] == ' ')
			s->hostname[i] = '?';
	s->tmpdir = p != NULL && p->tmpdir != NULL ? p->tmpdir : "/tmp";
	s->max_size = p != NULL && p->max_size > 0 ? p->max_size :
	    SERVE_MAX_SIZE;
	if (s->max_size > SERVE_SIZE_CAP)
		s->max_size = SERVE_SIZE_CAP;
	s->timeout_ms = 1000 * (int)(p != NULL && p->timeout > 0 &&
	    p->timeout < 86400 ? p->timeout : SERVE_TIMEOUT);
	buf_init(&s->in, IN_MAX);
	buf_init(&s->out, OUT_MAX);
	buf_init(&s->line, SERVE_LINE_MAX);
	envelope_init(&s->env);
}

/* Commands until QUIT or the end of input: 0, or -1. */
static int
session_loop(struct session *s, struct err *e)
{
	int	r;

	for (;;) {
		r = read_command(s);
		if (r == -1)
			return -1;
		if (r == 0)
			return 0;
		if (r == 2)
			r = proto_error(s, "500 5.5.2 Error: line too long");
		else
			r = dispatch(s);
		if (r == -1)
			return -1;
		if (r == 1)
			return e->cls != ERR_OK ? -1 : 0;	/* QUIT */
	}
}

int
serve_run(int in_fd, int out_fd, const struct serve_params *p,
    const struct serve_handler *h, struct err *e)
{
	struct session	 s;
	struct err	 e2;
	int		 rc = -1;

	err_clear(e);
	if (h == NULL || h->message == NULL)
		return err_set(e, ERR_SOFTWARE, "-bs: no message handler");
	session_init(&s, in_fd, out_fd, p, h, e);
	if (reply(&s, "220 %s postern ESMTP", s.hostname) != -1 &&
	    session_loop(&s, e) == 0 && flush_out(&s) == 0)
		rc = 0;
	if (rc == -1 && e->cls != ERR_IO) {
		/* Say what we can (a 421); keep the first error. */
		s.e = &e2;
		(void)flush_out(&s);
	}
	envelope_free(&s.env);
	buf_free(&s.in);
	buf_free(&s.out);
	buf_free(&s.line);
	return rc;
}
