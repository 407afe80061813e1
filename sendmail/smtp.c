/*
 * smtp.c -- SMTP client state machine (RFC 5321, 3207, 4954, 2920, 1870,
 * 6152, 6531, 3461).
 *
 * Security assumptions: everything the server says is untrusted.  Replies
 * are bounded (512-octet lines, 100 lines) and must carry one consistent
 * code.  After STARTTLS nothing may be buffered (response injection), the
 * pre-TLS EHLO answer is forgotten, and AUTH mechanisms come only from the
 * EHLO after the handshake.  Credentials go only over verified TLS, or with
 * tls = none to a loopback address.  Every string we send was checked for
 * CR and LF before it reached this module (envelope.c, cli.c).
 *
 * States (enum smtp_state; s->state is always one of them):
 *
 *   opening, one step function each, driven by open_host() in the manner
 *   of curl's smtp_statemachine:
 *     ST_CONNECT -> ST_GREETING -> ST_EHLO -+-> ST_STARTTLS -> ST_TLS
 *       (implicit TLS: the handshake       |     -> ST_EHLO (again) ...
 *        is part of ST_CONNECT)            +-> ST_HELO (5xx to EHLO, not
 *                                          |   with STARTTLS)
 *                                          +-> ST_AUTH -> ST_READY
 *   one message, from ST_READY (smtp_send):
 *     ST_MAIL, ST_RCPT, ST_DATA: the command whose reply is awaited next.
 *       The commands of a transaction are one array (MAIL, each RCPT,
 *       DATA) with two cursors, as in Postfix's smtp_loop: `sent` and
 *       `answered`.  Commands go out up to the window (1 without
 *       PIPELINING, TXN_WINDOW with it), then every reply is drained and
 *       applied (txn_answer(), OpenSMTPD's smtp_client_response), then the
 *       next window; pipelining is not a second code path.
 *     ST_BODY (the dot-stuffed message -- for a server without 8BITMIME
 *       an 8-bit text message in mime7.c's quoted-printable form -- and the
 *       final dot) -> ST_DOT (its reply, waited for final_timeout) ->
 *       ST_READY; a failed transaction is ended with RSET -> ST_READY.
 *     With CHUNKING (RFC 3030) the envelope array has no DATA, and
 *       ST_BDAT replaces ST_BODY and ST_DOT: "BDAT n" commands each with
 *       exactly n octets of the spool, answered in a window of
 *       BDAT_WINDOW (1 without PIPELINING), the LAST chunk's reply waited
 *       for final_timeout; a refused chunk stops the chunks, the ones in
 *       flight are answered, then RSET -> ST_READY.
 *   ST_DEAD: any I/O error, timeout, malformed reply or 421; the session
 *     can only be closed.
 *
 * Deadlines: each reply has one total deadline (all its lines), the opening
 * another (open_timeout, by default SMTP_OPEN_STEPS x timeout, connect to
 * AUTH), the final dot's reply its own (final_timeout, 10 minutes).
 * Writes have a per-stall limit.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "auth.h"
#include "clock.h"
#include "log.h"
#include "mime7.h"
#include "net.h"
#include "smtp.h"
#include "wire.h"

#define TXN_WINDOW	102	/* MAIL, 100 RCPTs, DATA per flush */
#define DATA_CHUNK	65536
#define BDAT_WINDOW	4	/* BDAT chunks unanswered, with PIPELINING */

enum smtp_state {
	ST_CONNECT, ST_GREETING, ST_EHLO, ST_HELO, ST_STARTTLS, ST_TLS,
	ST_AUTH, ST_READY, ST_MAIL, ST_RCPT, ST_DATA, ST_BODY, ST_DOT,
	ST_BDAT, ST_DEAD
};

struct smtp_session {
	struct smtp_params	 p;
	struct conn		*conn;
	const char		*host;
	const char		*secret;	/* during the opening only */
	enum smtp_state		 state;
	enum smtp_step		 step;
	int			 tls_up;
	long long		 limit;		/* opening deadline, or -1 */
	char			 helo[300];
	struct smtp_info	 info;
	struct smtp_reply	 reply;
	struct buf		 line;
	struct buf		 cmd;
};

/* ---- replies ---------------------------------------------------------- */

void
smtp_reply_init(struct smtp_reply *r)
{
	r->code = 0;
	r->nlines = 0;
	buf_init(&r->text, BUF_LIMIT_REPLY);
}

void
smtp_reply_reset(struct smtp_reply *r)
{
	r->code = 0;
	r->nlines = 0;
	buf_reset(&r->text);
}

void
smtp_reply_free(struct smtp_reply *r)
{
	buf_free(&r->text);
}

int
smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len,
    struct err *e)
{
	int	code;
	size_t	i;

	if (len > SMTP_REPLY_LINE_MAX)
		return err_set(e, ERR_TEMP, "server reply line too long");
	if (len < 3 || !isdigit((unsigned char)line[0]) ||
	    !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2]) || line[0] < '2' ||
	    line[0] > '5' || (len > 3 && line[3] != ' ' && line[3] != '-'))
		return err_set(e, ERR_TEMP, "malformed server reply");
	for (i = 0; i < len; i++)
		if (line[i] == '\0')
			return err_set(e, ERR_TEMP, "NUL in server reply");
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->nlines > 0 && code != r->code)
		return err_set(e, ERR_TEMP, "inconsistent codes in server "
		    "reply (%d then %d)", r->code, code);
	if (r->nlines >= SMTP_REPLY_LINES)
		return err_set(e, ERR_TEMP, "server reply has too many lines");
	r->code = code;
	if (r->nlines > 0 && buf_addc(&r->text, '\n') == -1)
		return err_set(e, ERR_TEMP, "server reply too long");
	if (len > 4 && buf_add(&r->text, line + 4, len - 4) == -1)
		return err_set(e, ERR_TEMP, "server reply too long");
	r->nlines++;
	return len > 3 && line[3] == '-' ? 0 : 1;
}

void
smtp_ehlo_parse(struct smtp_info *info, const struct smtp_reply *r)
{
	const char	*p = buf_str(&r->text), *eol, *arg;
	size_t		 n, kw;
	char		 num[24];
	long long	 v;
	char		*end;
	int		 first = 1;

	info->ext_pipelining = info->ext_8bitmime = info->ext_smtputf8 = 0;
	info->ext_dsn = info->ext_enhancedstatuscodes = 0;
	info->ext_starttls = info->ext_chunking = 0;
	info->ext_size = 0;
	info->ext_auth[0] = '\0';
	for (; *p != '\0'; p = *eol ? eol + 1 : eol) {
		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		n = (size_t)(eol - p);
		if (first) {	/* the greeting line names the server */
			first = 0;
			continue;
		}
		for (kw = 0; kw < n && p[kw] != ' ' && p[kw] != '='; kw++)
			;
		arg = kw < n ? p + kw + 1 : p + n;
#define KW(s) (kw == sizeof(s) - 1 && strncasecmp(p, s, kw) == 0)
		if (KW("PIPELINING"))
			info->ext_pipelining = 1;
		else if (KW("8BITMIME"))
			info->ext_8bitmime = 1;
		else if (KW("SMTPUTF8"))
			info->ext_smtputf8 = 1;
		else if (KW("DSN"))
			info->ext_dsn = 1;
		else if (KW("ENHANCEDSTATUSCODES"))
			info->ext_enhancedstatuscodes = 1;
		else if (KW("STARTTLS"))
			info->ext_starttls = 1;
		else if (KW("CHUNKING"))
			info->ext_chunking = 1;
		else if (KW("SIZE")) {
			n = (size_t)(eol - arg);
			if (n > 0 && n < sizeof(num)) {
				memcpy(num, arg, n);
				num[n] = '\0';
				errno = 0;
				v = strtoll(num, &end, 10);
				if (errno == 0 && *end == '\0' && v > 0)
					info->ext_size = v;
			}
		} else if (KW("AUTH")) {
			n = (size_t)(eol - arg);
			if (n >= sizeof(info->ext_auth))
				n = sizeof(info->ext_auth) - 1;
			memcpy(info->ext_auth, arg, n);
			info->ext_auth[n] = '\0';
		}
#undef KW
	}
}

int
smtp_xtext(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 33 || c > 126 || c == '+' || c == '=') {
			if (buf_printf(b, "+%02X", c) == -1)
				return -1;
		} else if (buf_addc(b, c) == -1)
			return -1;
	}
	return 0;
}

/* ---- the wire ----------------------------------------------------------- */

/* First line of the last reply, with its code, for messages. */
static const char *
reply_summary(struct smtp_session *s, char *out, size_t len)
{
	const char	*t = buf_str(&s->reply.text);
	size_t		 n = strcspn(t, "\n");

	snprintf(out, len, "%d %.*s", s->reply.code, (int)(n > 400 ? 400 : n),
	    t);
	return out;
}

/* now + secs, but never past the opening's deadline. */
static long long
deadline(const struct smtp_session *s, unsigned secs)
{
	long long	d = clock_now_ms() + (long long)secs * 1000;

	return s->limit >= 0 && s->limit < d ? s->limit : d;
}

static unsigned
stall_ms(const struct smtp_session *s)
{
	return s->p.timeout * 1000;
}

/* Read one whole reply; all its lines share one deadline. */
static int
read_reply_within(struct smtp_session *s, unsigned secs, struct err *e)
{
	long long	dl = deadline(s, secs);
	int		rc;

	smtp_reply_reset(&s->reply);
	do {
		if (net_read_line(s->conn, &s->line, SMTP_REPLY_LINE_MAX, dl,
		    e) == -1) {
			s->state = ST_DEAD;
			if (strcmp(e->msg, "timed out") == 0 && dl == s->limit)
				err_set(e, ERR_TEMP, "timed out: opening the "
				    "session with %s took over %us", s->host,
				    s->p.open_timeout);
			else if (strcmp(e->msg, "timed out") == 0)
				err_set(e, ERR_TEMP, "timed out after %us "
				    "waiting for %s's reply", secs, s->host);
			return -1;
		}
		log_trace('<', s->line.data, s->line.len);
		rc = smtp_reply_feed(&s->reply, s->line.data, s->line.len, e);
		if (rc == -1) {
			s->state = ST_DEAD;
			return -1;
		}
	} while (rc == 0);
	if (s->reply.code == 421)
		s->state = ST_DEAD;
	return 0;
}

static int
read_reply(struct smtp_session *s, struct err *e)
{
	return read_reply_within(s, s->p.timeout, e);
}

/* The transcript line for a secret command: "AUTH MECH ***" or "***". */
static void
trace_secret(const char *line, size_t len)
{
	const char	*sp = memchr(line, ' ', len);
	size_t		 keep = sp ? (size_t)(sp - line) + 1 : 0;
	char		 shown[64];

	if (keep > 40 || strncmp(line, "AUTH ", 5) != 0)
		keep = 0;
	else if ((sp = memchr(line + 5, ' ', len - 5)) != NULL)
		keep = (size_t)(sp - line) + 1;
	else if (len <= 40) {
		/* "AUTH LOGIN": a mechanism and no payload. */
		log_trace('>', line, len);
		return;
	} else
		keep = 0;
	snprintf(shown, sizeof(shown), "%.*s***", (int)keep, line);
	log_trace('>', shown, strlen(shown));
}

/* Queue one command line; secret: show "***" in the transcript. */
static int
send_line(struct smtp_session *s, const char *line, size_t len, int secret,
    struct err *e)
{
	if (log_tracing()) {
		if (secret)
			trace_secret(line, len);
		else
			log_trace('>', line, len);
	}
	if (net_write(s->conn, line, len, stall_ms(s), e) == -1 ||
	    net_write(s->conn, "\r\n", 2, stall_ms(s), e) == -1) {
		s->state = ST_DEAD;
		return -1;
	}
	return 0;
}

static int
flush(struct smtp_session *s, struct err *e)
{
	if (net_flush(s->conn, stall_ms(s), e) == -1) {
		s->state = ST_DEAD;
		return -1;
	}
	return 0;
}

/* Send one command and read its reply. */
static int
command(struct smtp_session *s, const char *line, int secret, struct err *e)
{
	if (send_line(s, line, strlen(line), secret, e) == -1 ||
	    flush(s, e) == -1)
		return -1;
	return read_reply(s, e);
}

/* QUIT whose outcome does not matter (and must not overwrite *e). */
static void
quit_quietly(struct smtp_session *s)
{
	struct err	e2;

	if (s->state != ST_DEAD && s->conn != NULL)
		command(s, "QUIT", 0, &e2);
	s->state = ST_DEAD;
}

static enum err_class
class_of(int code)
{
	return code >= 500 ? ERR_UNAVAILABLE : ERR_TEMP;
}

/* ---- opening a session ----------------------------------------------- */

/*
 * This host's FQDN (RFC 5321 4.1.4), or, when the host has none (a
 * container named by a hash), the address literal of our end of the
 * connection, which the RFC allows in its place.
 */
static void
default_helo(const struct conn *conn, char *out, size_t len)
{
	struct addrinfo	 hints, *res = NULL;
	char		 host[256], ip[64];

	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		memset(&hints, 0, sizeof(hints));
		hints.ai_flags = AI_CANONNAME;
		/* harden (issue 11): only a name that is SMTP syntax. */
		if (getaddrinfo(host, NULL, &hints, &res) == 0 &&
		    res->ai_canonname != NULL &&
		    strchr(res->ai_canonname, '.') != NULL &&
		    addr_domain_valid(res->ai_canonname) &&
		    strlen(res->ai_canonname) < len) {
			snprintf(out, len, "%s", res->ai_canonname);
			freeaddrinfo(res);
			return;
		}
		if (res != NULL)
			freeaddrinfo(res);
		if (strchr(host, '.') != NULL && addr_domain_valid(host)) {
			snprintf(out, len, "%s", host);
			return;
		}
	}
	if (net_local_ip(conn, ip, sizeof(ip)) == 0)
		snprintf(out, len, "[%s%s]", strchr(ip, ':') ? "IPv6:" : "",
		    ip);
	else
		snprintf(out, len, "[127.0.0.1]");
}

static int
want_auth(const struct smtp_session *s)
{
	return s->p.user != NULL && s->p.auth_mechs != 0;
}

/* Where an accepted EHLO or HELO leads. */
static enum smtp_state
after_hello(const struct smtp_session *s)
{
	if (s->p.tls == SMTP_TLS_STARTTLS && !s->tls_up)
		return ST_STARTTLS;
	return want_auth(s) ? ST_AUTH : ST_READY;
}

static int
start_tls(struct smtp_session *s, struct err *e)
{
	if (s->p.tls_start == NULL)
		return err_set(e, ERR_CONFIG, "TLS wanted but not available");
	if (net_has_buffered(s->conn))
		return err_set(e, ERR_TEMP, "server sent data after its "
		    "STARTTLS reply (possible injection); refusing");
	if (s->p.tls_start(s->p.tls_arg, s->conn, s->host,
	    deadline(s, s->p.timeout), &s->info, e) == -1) {
		s->state = ST_DEAD;
		return -1;
	}
	s->tls_up = 1;
	return 0;
}

static int
step_connect(struct smtp_session *s, struct err *e)
{
	if (net_connect(&s->conn, s->host, s->p.port,
	    deadline(s, s->p.timeout), e) == -1)
		return -1;
	snprintf(s->info.relay, sizeof(s->info.relay), "%s",
	    net_peer(s->conn));
	if (s->p.helo != NULL)
		snprintf(s->helo, sizeof(s->helo), "%s", s->p.helo);
	else
		default_helo(s->conn, s->helo, sizeof(s->helo));
	if (s->p.tls == SMTP_TLS_IMPLICIT && start_tls(s, e) == -1)
		return -1;
	s->state = ST_GREETING;
	return 0;
}

static int
step_greeting(struct smtp_session *s, struct err *e)
{
	char	sum[450];

	if (read_reply(s, e) == -1)
		return -1;
	if (s->reply.code != 220) {
		/*
		 * 554/521: permanent.  The QUIT RFC 5321 3.1 asks for may
		 * find the connection closed; that must not turn the refusal
		 * into a temporary failure.
		 */
		err_set(e, class_of(s->reply.code), "%s greeted with %s",
		    s->host, reply_summary(s, sum, sizeof(sum)));
		quit_quietly(s);
		return -1;
	}
	s->state = ST_EHLO;
	return 0;
}

static int
step_ehlo(struct smtp_session *s, struct err *e)
{
	char	cmd[320], sum[450];

	snprintf(cmd, sizeof(cmd), "EHLO %s", s->helo);
	if (command(s, cmd, 0, e) == -1)
		return -1;
	if (s->reply.code == 250) {
		smtp_ehlo_parse(&s->info, &s->reply);
		s->state = after_hello(s);
		return 0;
	}
	/* HELO fallback, but never where STARTTLS is required. */
	if (s->reply.code >= 500 && s->reply.code != 521 &&
	    s->p.tls != SMTP_TLS_STARTTLS) {
		s->state = ST_HELO;
		return 0;
	}
	return err_set(e, class_of(s->reply.code), "%s refused EHLO: %s",
	    s->host, reply_summary(s, sum, sizeof(sum)));
}

static int
step_helo(struct smtp_session *s, struct err *e)
{
	char	cmd[320], sum[450];

	snprintf(cmd, sizeof(cmd), "HELO %s", s->helo);
	if (command(s, cmd, 0, e) == -1)
		return -1;
	if (s->reply.code != 250)
		return err_set(e, class_of(s->reply.code), "%s refused EHLO: "
		    "%s", s->host, reply_summary(s, sum, sizeof(sum)));
	/* HELO: no extensions at all. */
	smtp_reply_reset(&s->reply);
	smtp_ehlo_parse(&s->info, &s->reply);
	s->state = after_hello(s);
	return 0;
}

static int
step_starttls(struct smtp_session *s, struct err *e)
{
	char	sum[450];

	if (!s->info.ext_starttls)
		return err_set(e, ERR_TEMP, "%s does not offer STARTTLS; "
		    "refusing to continue without TLS", s->host);
	if (command(s, "STARTTLS", 0, e) == -1)
		return -1;
	if (s->reply.code != 220)
		return err_set(e, ERR_TEMP, "%s refused STARTTLS: %s",
		    s->host, reply_summary(s, sum, sizeof(sum)));
	s->state = ST_TLS;
	return 0;
}

static int
step_tls(struct smtp_session *s, struct err *e)
{
	if (start_tls(s, e) == -1)
		return -1;
	/* RFC 3207 4.2: forget everything, ask again. */
	s->state = ST_EHLO;
	return 0;
}

struct auth_x {
	struct sasl	*sasl;
	unsigned	 mech;
	struct buf	 raw, b64, challenge;
};

/* "AUTH MECH [initial]"; a long initial response waits for the 334. */
static int
auth_first(struct smtp_session *s, struct auth_x *x, struct err *e)
{
	buf_reset(&s->cmd);
	if (buf_printf(&s->cmd, "AUTH %s", auth_mech_name(x->mech)) == -1)
		return err_set(e, ERR_SOFTWARE, "AUTH command too long");
	if (sasl_has_initial(x->sasl)) {
		if (sasl_step(x->sasl, NULL, 0, &x->raw, e) == -1)
			return -1;
		if (auth_b64_encode(x->raw.data, x->raw.len, &x->b64) == -1)
			return err_set(e, ERR_TEMP, "AUTH response too long");
		if (s->cmd.len + 1 + x->b64.len <= 500) {
			buf_printf(&s->cmd, " %s", x->b64.len ? x->b64.data :
			    "=");
			buf_reset(&x->b64);
		}
	}
	return command(s, s->cmd.data, 1, e);
}

/* Answer one 334: the deferred initial response, or the next step. */
static int
auth_answer(struct smtp_session *s, struct auth_x *x, struct err *e)
{
	if (x->b64.len == 0) {
		if (auth_b64_decode(s->reply.text.data, s->reply.text.len,
		    &x->challenge, e) == -1 ||
		    sasl_step(x->sasl, (unsigned char *)x->challenge.data,
		    x->challenge.len, &x->raw, e) == -1) {
			struct err	e2;

			/* Cancel the exchange (RFC 4954 4). */
			command(s, "*", 0, &e2);
			return -1;
		}
		if (auth_b64_encode(x->raw.data, x->raw.len, &x->b64) == -1)
			return err_set(e, ERR_TEMP, "AUTH response too long");
	}
	if (send_line(s, x->b64.data, x->b64.len, 1, e) == -1 ||
	    flush(s, e) == -1 || read_reply(s, e) == -1)
		return -1;
	buf_reset(&x->b64);
	return 0;
}

static int
auth_exchange(struct smtp_session *s, struct auth_x *x, struct err *e)
{
	char	sum[450];
	int	steps = 0;

	if (auth_first(s, x, e) == -1)
		return -1;
	while (s->reply.code == 334) {
		if (++steps > 10)
			return err_set(e, ERR_TEMP, "AUTH: too many "
			    "challenges");
		if (auth_answer(s, x, e) == -1)
			return -1;
	}
	/* SPEC: an AUTH failure is temporary, 535 included. */
	if (s->reply.code != 235)
		return err_set(e, ERR_TEMP, "authentication as %s failed: %s",
		    s->p.user, reply_summary(s, sum, sizeof(sum)));
	if (!sasl_complete(x->sasl))
		return err_set(e, ERR_TEMP, "AUTH %s: server did not prove "
		    "itself", auth_mech_name(x->mech));
	return 0;
}

static int
auth_run(struct smtp_session *s, struct err *e)
{
	struct auth_x	x;
	int		rc;

	if (s->p.tls == SMTP_TLS_NONE && !net_is_loopback(s->conn))
		return err_set(e, ERR_CONFIG, "refusing to send credentials "
		    "to %s without TLS (tls = none is for loopback only)",
		    s->host);
	if (s->info.ext_auth[0] == '\0')
		return err_set(e, ERR_TEMP, "%s does not offer AUTH",
		    s->host);
	memset(&x, 0, sizeof(x));
	/* AUTH only follows verified TLS or tls = none to loopback. */
	x.mech = auth_choose(s->info.ext_auth, s->p.auth_mechs,
	    s->p.auth_auto, s->tls_up);
	if (x.mech == 0)
		return err_set(e, ERR_TEMP, "%s offers no allowed AUTH "
		    "mechanism (it offers: %s)", s->host, s->info.ext_auth);
	if (sasl_new(&x.sasl, x.mech, s->p.user, s->secret, e) == -1)
		return -1;
	buf_init(&x.raw, 16384);
	buf_init(&x.b64, 24000);
	buf_init(&x.challenge, 16384);
	rc = auth_exchange(s, &x, e);
	sasl_free(x.sasl);
	buf_free(&x.raw);
	buf_free(&x.b64);
	buf_free(&x.challenge);
	if (rc == -1)
		return -1;
	snprintf(s->info.auth_mech, sizeof(s->info.auth_mech), "%s",
	    auth_mech_name(x.mech));
	s->info.authenticated = 1;
	return 0;
}

static int
step_auth(struct smtp_session *s, struct err *e)
{
	if (auth_run(s, e) == -1) {
		/* Refused, not broken: end the session politely. */
		quit_quietly(s);
		return -1;
	}
	s->state = ST_READY;
	return 0;
}

/* One host: connect through to a ready, authenticated session. */
static int
open_host(struct smtp_session *s, const char *host, struct err *e)
{
	int	rc;

	s->host = host;
	s->state = ST_CONNECT;
	s->tls_up = 0;
	memset(&s->info, 0, sizeof(s->info));
	s->limit = clock_now_ms() + (long long)s->p.open_timeout * 1000;
	while (s->state != ST_READY) {
		switch (s->state) {
		case ST_CONNECT:
			rc = step_connect(s, e);
			break;
		case ST_GREETING:
			rc = step_greeting(s, e);
			break;
		case ST_EHLO:
			rc = step_ehlo(s, e);
			break;
		case ST_HELO:
			rc = step_helo(s, e);
			break;
		case ST_STARTTLS:
			rc = step_starttls(s, e);
			break;
		case ST_TLS:
			rc = step_tls(s, e);
			break;
		case ST_AUTH:
			rc = step_auth(s, e);
			break;
		default:
			rc = err_set(e, ERR_SOFTWARE, "SMTP: state %d while "
			    "opening", (int)s->state);
			break;
		}
		if (rc == -1)
			return -1;
	}
	s->limit = -1;
	return 0;
}

static void
session_free(struct smtp_session *s)
{
	net_close(s->conn);
	smtp_reply_free(&s->reply);
	buf_free(&s->line);
	buf_free(&s->cmd);
	free(s);
}

int
smtp_connect(struct smtp_session **sp, const struct smtp_params *p,
    const char *secret, struct err *e)
{
	struct smtp_session	*s;
	size_t			 i;

	*sp = NULL;
	if (p->verbose)
		log_set_trace(1);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	s->p = *p;
	if (s->p.timeout == 0)
		s->p.timeout = 60;
	if (s->p.final_timeout == 0)
		s->p.final_timeout = SMTP_FINAL_TIMEOUT;
	if (s->p.open_timeout == 0)
		s->p.open_timeout = SMTP_OPEN_STEPS * s->p.timeout;
	s->secret = secret;
	smtp_reply_init(&s->reply);
	buf_init(&s->line, SMTP_REPLY_LINE_MAX + 4);
	buf_init(&s->cmd, 4096);
	err_set(e, ERR_CONFIG, "no smarthost configured");
	for (i = 0; i < p->nhosts; i++) {
		if (open_host(s, p->hosts[i], e) == 0) {
			s->secret = NULL;
			*sp = s;
			return 0;
		}
		net_close(s->conn);
		s->conn = NULL;
		/* A config error will not get better on the next host;
		 * anything else might. */
		if (e->cls == ERR_CONFIG)
			break;
	}
	s->conn = NULL;
	session_free(s);
	return -1;
}

/* ---- one message ------------------------------------------------------ */

/*
 * One transaction.  Command k is MAIL (k = 0), RCPT for rcpt[k - 1]
 * (1 <= k <= nrcpt) or DATA (k = nrcpt + 1); `sent` commands have gone
 * out, `answered` of them got their reply.
 */
struct txn {
	struct envelope	 *env;
	struct rcpt	**rcpt;		/* every recipient to try, in order */
	unsigned char	 *ok;		/* ok[j]: rcpt[j] got 2xx to RCPT */
	size_t		  nrcpt, ncmd, sent, answered, accepted;
	int		  eightbit;	/* the message has an octet > 127 */
	int		  convert;	/* send mime7_convert()'s form */
	int		  bdat;		/* CHUNKING: BDAT instead of DATA */
	off_t		  size;		/* octets as sent (SIZE=) */
	off_t		  spooled;	/* octets in the spool file (fstat) */
	int		  mail_code;	/* MAIL's code when not 250, else 0 */
	int		  data_code;	/* DATA's code; 0: not answered */
	char		  mail_sum[450];
};

/* Which recipients a reply concerns. */
enum txn_set {
	TXN_ALL,	/* every recipient tried */
	TXN_ACCEPTED,	/* those whose RCPT got 2xx */
	TXN_OPEN	/* those without a refusal of their own */
};

static int
txn_in(const struct txn *t, size_t j, enum txn_set which)
{
	switch (which) {
	case TXN_ACCEPTED:
		return t->ok[j];
	case TXN_OPEN:
		return t->ok[j] || j + 1 >= t->answered;
	default:
		return 1;
	}
}

/*
 * The one place a reply becomes a recipient's fate: taken (RCPT_SENT),
 * 5xx (RCPT_FAILED) or anything else, a lost connection included
 * (RCPT_DEFERRED).
 */
static void
fate(struct rcpt *r, int taken, int code, const char *why)
{
	r->state = taken ? RCPT_SENT : code >= 500 ? RCPT_FAILED :
	    RCPT_DEFERRED;
	envelope_set_reply(r, why);
}

/* Apply one reply (or reason) to the recipients it concerns. */
static void
apply(struct txn *t, enum txn_set which, int taken, int code,
    const char *why)
{
	size_t	j;

	for (j = 0; j < t->nrcpt; j++)
		if (txn_in(t, j, which))
			fate(t->rcpt[j], taken, code, why);
}

static int
txn_init(struct txn *t, struct envelope *env)
{
	size_t	i;

	memset(t, 0, sizeof(*t));
	t->env = env;
	t->rcpt = calloc(env->nrcpts + 1, sizeof(*t->rcpt));
	t->ok = calloc(env->nrcpts + 1, 1);
	if (t->rcpt == NULL || t->ok == NULL)
		return -1;
	for (i = 0; i < env->nrcpts; i++)
		if (env->rcpts[i].state == RCPT_PENDING ||
		    env->rcpts[i].state == RCPT_DEFERRED)
			t->rcpt[t->nrcpt++] = &env->rcpts[i];
	t->ncmd = t->nrcpt + 2;
	return 0;
}

static void
txn_free(struct txn *t)
{
	free(t->rcpt);
	free(t->ok);
}

static enum smtp_state
txn_kind(const struct txn *t, size_t k)
{
	return k == 0 ? ST_MAIL : k <= t->nrcpt ? ST_RCPT : ST_DATA;
}

static int
mail_cmd(struct smtp_session *s, struct txn *t, struct err *e)
{
	struct envelope	*env = t->env;
	struct buf	*b = &s->cmd;

	buf_reset(b);
	buf_printf(b, "MAIL FROM:<%s>", env->sender ? env->sender : "");
	if (s->info.ext_size)
		buf_printf(b, " SIZE=%lld", (long long)t->size);
	if ((env->body == BODY_8BITMIME || t->eightbit) &&
	    s->info.ext_8bitmime)
		buf_adds(b, " BODY=8BITMIME");
	if (env->smtputf8)
		buf_adds(b, " SMTPUTF8");
	if (s->info.ext_dsn) {
		if (env->dsn_ret != NULL)
			buf_printf(b, " RET=%s", env->dsn_ret);
		if (env->dsn_envid != NULL) {
			buf_adds(b, " ENVID=");
			smtp_xtext(b, env->dsn_envid);
		}
	}
	if (b->len > 1000)
		return err_set(e, ERR_DATA, "MAIL command too long");
	return send_line(s, b->data, b->len, 0, e);
}

static int
rcpt_cmd(struct smtp_session *s, struct envelope *env, struct rcpt *r,
    struct err *e)
{
	struct buf	*b = &s->cmd;

	buf_reset(b);
	buf_printf(b, "RCPT TO:<%s>", r->addr);
	if (s->info.ext_dsn && env->dsn_notify != NULL) {
		buf_printf(b, " NOTIFY=%s", env->dsn_notify);
		if (!env->smtputf8) {
			buf_adds(b, " ORCPT=rfc822;");
			smtp_xtext(b, r->addr);
		}
	}
	return send_line(s, b->data, b->len, 0, e);
}

/* May command `sent` go out now? */
static int
txn_may_send(const struct smtp_session *s, const struct txn *t)
{
	size_t	window = s->info.ext_pipelining ? TXN_WINDOW : 1;

	if (t->sent >= t->ncmd || t->mail_code != 0 || s->state == ST_DEAD ||
	    t->sent - t->answered >= window)
		return 0;
	/* Without PIPELINING, DATA only when someone was accepted. */
	if (txn_kind(t, t->sent) == ST_DATA && !s->info.ext_pipelining &&
	    t->accepted == 0)
		return 0;
	return 1;
}

static int
txn_send(struct smtp_session *s, struct txn *t, struct err *e)
{
	size_t	k = t->sent;

	switch (txn_kind(t, k)) {
	case ST_MAIL:
		if (mail_cmd(s, t, e) == -1)
			return -1;
		break;
	case ST_RCPT:
		if (rcpt_cmd(s, t->env, t->rcpt[k - 1], e) == -1)
			return -1;
		break;
	default:
		if (send_line(s, "DATA", 4, 0, e) == -1)
			return -1;
		break;
	}
	t->sent++;
	return 0;
}

/* Apply the reply just read to command `answered`. */
static void
txn_answer(struct smtp_session *s, struct txn *t)
{
	size_t	k = t->answered++, j;
	char	sum[450];

	switch (txn_kind(t, k)) {
	case ST_MAIL:
		if (s->reply.code != 250) {
			t->mail_code = s->reply.code;
			reply_summary(s, t->mail_sum, sizeof(t->mail_sum));
		}
		break;
	case ST_RCPT:
		j = k - 1;
		if (t->mail_code != 0)
			break;	/* MAIL's reply decides for everyone */
		if (s->reply.code / 100 == 2) {
			t->ok[j] = 1;
			t->accepted++;
		} else
			fate(t->rcpt[j], 0, s->reply.code,
			    reply_summary(s, sum, sizeof(sum)));
		break;
	default:
		t->data_code = s->reply.code;
		break;
	}
}

/*
 * MAIL, RCPT..., DATA: send up to the window, then drain, until every
 * command sent is answered and no more may go out.  -1: lost (I/O,
 * timeout, malformed reply).  A 421 ends it early with 0: the session is
 * ST_DEAD and the server has gone.
 */
static int
txn_envelope(struct smtp_session *s, struct txn *t, struct err *e)
{
	for (;;) {
		while (txn_may_send(s, t))
			if (txn_send(s, t, e) == -1)
				return -1;
		if (t->answered == t->sent)
			return 0;
		if (flush(s, e) == -1)
			return -1;
		while (t->answered < t->sent && s->state != ST_DEAD) {
			s->state = txn_kind(t, t->answered);
			if (read_reply(s, e) == -1)
				return -1;
			txn_answer(s, t);
		}
		if (s->state == ST_DEAD)
			return 0;
		s->state = ST_READY;
	}
}

static void
rset(struct smtp_session *s)
{
	struct err	e2;

	if (s->state != ST_READY)
		return;
	if (command(s, "RSET", 0, &e2) == -1 || s->reply.code != 250)
		s->state = ST_DEAD;
}

/* DATA got 354 but nothing may be sent: an empty message, discarded. */
static void
abort_data(struct smtp_session *s, struct txn *t)
{
	struct err	e2;

	if (t->data_code != 354 || s->state == ST_DEAD)
		return;
	if (send_line(s, ".", 1, 0, &e2) == -1 || flush(s, &e2) == -1 ||
	    read_reply(s, &e2) == -1)
		return;
	t->data_code = 0;
}

/*
 * Overall result from the recipients' states.  The message names the first
 * refused recipient (or the first deferred one) and the server's reply.
 */
static int
outcome(struct envelope *env, struct err *e)
{
	const struct rcpt	*failed = NULL, *deferred = NULL;
	size_t			 i, sent = 0, nfailed = 0, ndeferred = 0;

	for (i = 0; i < env->nrcpts; i++) {
		switch (env->rcpts[i].state) {
		case RCPT_SENT:
			sent++;
			break;
		case RCPT_DEFERRED:
			if (ndeferred++ == 0)
				deferred = &env->rcpts[i];
			break;
		case RCPT_FAILED:
			if (nfailed++ == 0)
				failed = &env->rcpts[i];
			break;
		default:
			break;
		}
	}
	if (failed != NULL)
		return err_set(e, sent + ndeferred > 0 ? ERR_NOUSER :
		    ERR_UNAVAILABLE, "<%s>%s refused: %s", failed->addr,
		    nfailed > 1 ? " and others" : "",
		    failed->reply ? failed->reply : "?");
	if (deferred != NULL)
		return err_set(e, ERR_TEMP, "<%s>%s deferred: %s",
		    deferred->addr, ndeferred > 1 ? " and others" : "",
		    deferred->reply ? deferred->reply : "?");
	return 0;
}

/*
 * Every reply to the envelope is in: decide.  1: send the body; 0 or -1:
 * the result of smtp_send (the transaction is over, RSET sent if needed).
 */
static int
txn_conclude(struct smtp_session *s, struct txn *t, struct err *e)
{
	char	sum[450];

	if (t->mail_code != 0) {
		abort_data(s, t);
		apply(t, TXN_ALL, 0, t->mail_code, t->mail_sum);
		rset(s);
		return err_set(e, class_of(t->mail_code), "sender refused: %s",
		    t->mail_sum);
	}
	if (s->state == ST_DEAD && t->data_code == 0) {	/* 421 to a RCPT */
		reply_summary(s, sum, sizeof(sum));
		apply(t, TXN_OPEN, 0, s->reply.code, sum);
		return err_set(e, ERR_TEMP, "%s", sum);
	}
	if (t->accepted == 0) {
		/* Every recipient refused: no body goes out. */
		abort_data(s, t);
		rset(s);
		return outcome(t->env, e);
	}
	if (t->data_code != 0 && t->data_code != 354) {
		reply_summary(s, sum, sizeof(sum));
		apply(t, TXN_ACCEPTED, 0, t->data_code, sum);
		rset(s);
		return err_set(e, class_of(t->data_code), "DATA refused: %s",
		    sum);
	}
	return 1;
}

/* Dot-stuffing on the way to the wire. */
struct stuffer {
	struct smtp_session	*s;
	int			 bol;
	char			 last[2];
	off_t			 n;
	char			*out;
};

static int
stuff(void *arg, const char *p, size_t n, struct err *e)
{
	struct stuffer	*st = arg;
	size_t		 i, o;

	if (n == 0)
		return 0;
	for (i = 0, o = 0; i < n; i++) {
		if (st->bol && p[i] == '.')
			st->out[o++] = '.';
		st->out[o++] = p[i];
		st->bol = p[i] == '\n';
	}
	st->last[0] = n >= 2 ? p[n - 2] : st->last[1];
	st->last[1] = p[n - 1];
	st->n += (off_t)n;
	return net_write(st->s->conn, st->out, o, stall_ms(st->s), e);
}

/*
 * Stream the canonical message with dot-stuffing (wire.h: the runs
 * between dot-lines without a copy on a plain connection), or its 7-bit
 * form through the stuffer, then the final dot.
 */
static int
send_body(struct smtp_session *s, struct txn *t, int fd, struct err *e)
{
	struct stuffer	st;
	off_t		size;
	int		rc;

	if (!t->convert) {
		if (wire_data(s->conn, fd, t->spooled, stall_ms(s), e) == -1)
			return -1;
		log_trace('>', "(message body)", 14);
		return send_line(s, ".", 1, 0, e);
	}
	memset(&st, 0, sizeof(st));
	st.s = s;
	st.bol = 1;
	st.last[0] = '\r';
	st.last[1] = '\n';
	if ((st.out = malloc(2 * DATA_CHUNK + 8)) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	rc = mime7_convert(fd, stuff, &st, &size, e);
	free(st.out);
	if (rc == -1)
		return -1;
	/* The canonical form ends in CRLF; be safe if it somehow does not. */
	if (!(st.last[0] == '\r' && st.last[1] == '\n') && st.n > 0 &&
	    net_write(s->conn, "\r\n", 2, stall_ms(s), e) == -1)
		return -1;
	log_trace('>', "(message body, quoted-printable)", 32);
	return send_line(s, ".", 1, 0, e);
}

/* Lost before the final reply: the recipients still open are deferred. */
static int
txn_lost(struct smtp_session *s, struct txn *t, struct err *e)
{
	apply(t, s->step == SMTP_STEP_DOT ? TXN_ACCEPTED : TXN_OPEN, 0, 0,
	    e->msg);
	s->state = ST_DEAD;
	e->cls = e->cls == ERR_IO ? ERR_IO : ERR_TEMP;
	return -1;
}

/* The body, the final dot, and its reply (waited for final_timeout). */
static int
txn_body(struct smtp_session *s, struct txn *t, int fd, struct err *e)
{
	char	sum[450];

	s->step = SMTP_STEP_BODY;
	s->state = ST_BODY;
	if (send_body(s, t, fd, e) == -1 || flush(s, e) == -1)
		return txn_lost(s, t, e);	/* we cannot finish the DATA */
	s->step = SMTP_STEP_DOT;
	s->state = ST_DOT;
	if (read_reply_within(s, s->p.final_timeout, e) == -1)
		return txn_lost(s, t, e);
	if (s->state != ST_DEAD)
		s->state = ST_READY;
	reply_summary(s, sum, sizeof(sum));
	apply(t, TXN_ACCEPTED, s->reply.code == 250, s->reply.code, sum);
	if (s->reply.code != 250)
		rset(s);
	else
		s->step = SMTP_STEP_NONE;
	return outcome(t->env, e);
}

/* ---- BDAT (RFC 3030) -------------------------------------------------- */

struct bdat {
	off_t	off;		/* octets of the spool sent */
	int	crlf;		/* the spool lacks its final CRLF: add it */
	size_t	sent, answered;	/* BDAT commands */
	int	code;		/* the first reply that was not 2xx; 0 */
	char	sum[450];
};

/* The canonical form always ends in CRLF; be safe if it somehow does not. */
static int
lacks_crlf(int fd, off_t size)
{
	char	b[2];

	if (size == 0)
		return 0;
	if (size < 2 || pread(fd, b, 2, size - 2) != 2)
		return 1;
	return !(b[0] == '\r' && b[1] == '\n');
}

/*
 * One "BDAT n [LAST]" and exactly n octets: the next chunk of the spool
 * (net_sendfile: no copy on a plain connection), the missing CRLF after
 * the last one.  *last: this was the LAST chunk.
 */
static int
bdat_chunk(struct smtp_session *s, struct bdat *b, int fd, off_t size,
    int *last, struct err *e)
{
	off_t	chunk = s->p.bdat_chunk ? (off_t)s->p.bdat_chunk :
		    SMTP_BDAT_CHUNK, n = size - b->off;
	char	cmd[64];

	if (n > chunk)
		n = chunk;
	*last = b->off + n == size;
	snprintf(cmd, sizeof(cmd), "BDAT %lld%s", (long long)n +
	    (*last && b->crlf ? 2 : 0), *last ? " LAST" : "");
	if (send_line(s, cmd, strlen(cmd), 0, e) == -1)
		return -1;
	if (n > 0 && net_sendfile(s->conn, fd, b->off, n, stall_ms(s),
	    e) == -1)
		return -1;
	b->off += n;
	if (*last && b->crlf && net_write(s->conn, "\r\n", 2, stall_ms(s),
	    e) == -1)
		return -1;
	log_trace('>', "(message chunk)", 15);
	b->sent++;
	return 0;
}

/* The reply to the oldest unanswered chunk; the LAST's waits longer. */
static int
bdat_answer(struct smtp_session *s, struct bdat *b, int final,
    struct err *e)
{
	if (flush(s, e) == -1 || read_reply_within(s, final ?
	    s->p.final_timeout : s->p.timeout, e) == -1)
		return -1;
	b->answered++;
	if (s->reply.code / 100 != 2 && b->code == 0) {
		b->code = s->reply.code;
		reply_summary(s, b->sum, sizeof(b->sum));
	}
	return 0;
}

/*
 * The body as BDAT chunks, up to BDAT_WINDOW unanswered with PIPELINING,
 * one at a time without.  After a refused chunk no more go out, and the
 * ones already pipelined are answered first (RFC 3030 2); the LAST
 * chunk's reply decides, waited for final_timeout like the final dot's.
 */
static int
txn_bdat(struct smtp_session *s, struct txn *t, int fd, struct err *e)
{
	struct bdat	b;
	size_t		window = s->info.ext_pipelining ? BDAT_WINDOW : 1;
	char		sum[450];
	int		last = 0;

	memset(&b, 0, sizeof(b));
	b.crlf = lacks_crlf(fd, t->spooled);
	s->step = SMTP_STEP_BODY;
	s->state = ST_BDAT;
	while (!last && b.code == 0) {
		if (bdat_chunk(s, &b, fd, t->spooled, &last, e) == -1)
			return txn_lost(s, t, e);
		if (last)
			s->step = SMTP_STEP_DOT;
		while (b.answered < b.sent && s->state != ST_DEAD &&
		    (last || b.sent - b.answered >= window || b.code != 0))
			if (bdat_answer(s, &b, last && b.answered + 1 ==
			    b.sent, e) == -1)
				return txn_lost(s, t, e);
		if (s->state == ST_DEAD)
			break;	/* 421 */
	}
	while (b.answered < b.sent && s->state != ST_DEAD)
		if (bdat_answer(s, &b, 0, e) == -1)
			return txn_lost(s, t, e);
	if (s->state != ST_DEAD)
		s->state = ST_READY;
	if (b.code != 0) {
		apply(t, TXN_ACCEPTED, 0, b.code, b.sum);
		rset(s);
		return outcome(t->env, e);
	}
	reply_summary(s, sum, sizeof(sum));
	apply(t, TXN_ACCEPTED, 1, s->reply.code, sum);
	s->step = SMTP_STEP_NONE;
	return outcome(t->env, e);
}

static int
count(void *arg, const char *p, size_t n, struct err *e)
{
	return 0;
}

/*
 * 8-bit content: BODY=8BITMIME where offered; elsewhere quoted-printable
 * when mime7 can convert it, else a permanent refusal (RFC 6152 3).
 */
static int
eightbit(struct smtp_session *s, struct txn *t, int fd, struct err *e)
{
	const char	*why;
	int		 k;

	/*
	 * Declared 8BITMIME to a server that offers it, or the spool's writer
	 * said what the message holds: no need to read it all again.
	 */
	if ((t->env->body == BODY_8BITMIME || t->env->scanned == SCAN_8BIT) &&
	    s->info.ext_8bitmime) {
		t->eightbit = 1;
		return 0;
	}
	if (t->env->scanned == SCAN_7BIT)
		return 0;
	if ((k = mime7_classify(fd, &why, e)) == -1)
		return -1;
	t->eightbit = k != MIME7_CLEAN;
	if (!t->eightbit || s->info.ext_8bitmime)
		return 0;
	if (k == MIME7_REFUSE)
		return err_set(e, ERR_UNAVAILABLE, "5.6.3 the message has "
		    "8-bit content, %s does not offer 8BITMIME, and %s; not "
		    "sent (RFC 6152)", s->host, why);
	t->convert = 1;
	return mime7_convert(fd, count, NULL, &t->size, e);
}

/* Refusals before any command.  1: go on; 0 or -1: smtp_send's result. */
static int
precheck(struct smtp_session *s, struct txn *t, off_t size, int fd,
    struct err *e)
{
	struct envelope	*env = t->env;
	struct stat	 sb;

	if (s->state != ST_READY)
		return err_set(e, ERR_TEMP, "SMTP session is not usable");
	if (t->nrcpt == 0) {
		s->step = SMTP_STEP_NONE;
		return outcome(env, e);
	}
	if (env->smtputf8 && !s->info.ext_smtputf8)
		return err_set(e, ERR_UNAVAILABLE, "an address is not ASCII "
		    "and %s does not offer SMTPUTF8", s->host);
	t->size = size;
	/* The body is what the file holds, as pread() until EOF would see. */
	if (fstat(fd, &sb) == -1)
		return err_set(e, ERR_IO, "the spooled message: %s",
		    strerror(errno));
	t->spooled = sb.st_size;
	if (eightbit(s, t, fd, e) == -1)
		return -1;
	/* RFC 3030: the canonical form as it is; no DATA command. */
	if (s->info.ext_chunking && !t->convert) {
		t->bdat = 1;
		t->ncmd = t->nrcpt + 1;
	}
	if (s->info.ext_size > 0 && t->size > s->info.ext_size)
		return err_set(e, ERR_UNAVAILABLE, "message of %lld octets is "
		    "over %s's limit of %lld", (long long)t->size, s->host,
		    s->info.ext_size);
	if ((env->dsn_notify || env->dsn_ret || env->dsn_envid) &&
	    !s->info.ext_dsn)
		s->info.dsn_dropped = 1;
	return 1;
}

int
smtp_send(struct smtp_session *s, struct envelope *env, int datafd,
    off_t size, struct err *e)
{
	struct txn	t;
	int		rc;

	s->step = SMTP_STEP_CHECK;
	if (txn_init(&t, env) == -1) {
		txn_free(&t);
		return err_set(e, ERR_SOFTWARE, "out of memory");
	}
	if ((rc = precheck(s, &t, size, datafd, e)) != 1) {
		txn_free(&t);
		return rc;
	}
	s->step = SMTP_STEP_ENVELOPE;
	rc = txn_envelope(s, &t, e);
	/* A refused MAIL stays the reason even if the drain then failed. */
	if (rc == 0 || t.mail_code != 0)
		rc = txn_conclude(s, &t, e);
	else
		rc = txn_lost(s, &t, e);
	if (rc == 1)
		rc = t.bdat ? txn_bdat(s, &t, datafd, e) :
		    txn_body(s, &t, datafd, e);
	txn_free(&t);
	return rc;
}

enum smtp_step
smtp_last_step(const struct smtp_session *s)
{
	return s->step;
}

int
smtp_verify(struct smtp_session *s, const char *sender, const char *rcpt,
    char *reply, size_t replylen, struct err *e)
{
	char	cmd[600];
	int	code;

	if (s->state != ST_READY)
		return err_set(e, ERR_TEMP, "SMTP session is not usable");
	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>", sender);
	if (command(s, cmd, 0, e) == -1)
		return -1;
	if (s->reply.code != 250) {
		reply_summary(s, reply, replylen);
		rset(s);
		return err_set(e, class_of(s->reply.code), "sender refused: %s",
		    reply);
	}
	snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>", rcpt);
	if (command(s, cmd, 0, e) == -1)
		return -1;
	code = s->reply.code;
	reply_summary(s, reply, replylen);
	rset(s);
	if (code / 100 != 2)
		return err_set(e, code >= 500 ? ERR_NOUSER : ERR_TEMP, "%s",
		    reply);
	return 0;
}

int
smtp_usable(const struct smtp_session *s)
{
	return s != NULL && s->state == ST_READY;
}

const struct smtp_info *
smtp_info(const struct smtp_session *s)
{
	return &s->info;
}

void
smtp_close(struct smtp_session *s)
{
	if (s == NULL)
		return;
	if (s->state == ST_READY)
		quit_quietly(s);
	session_free(s);
}
