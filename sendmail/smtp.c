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
 * States of a session: CONNECT -> GREETING -> EHLO -> [STARTTLS -> EHLO]
 * -> [AUTH] -> READY; per message READY -> MAIL -> RCPT... -> DATA -> body
 * -> READY (RSET after a failed transaction); any I/O error or 421 makes
 * the session DEAD.
 */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "net.h"
#include "smtp.h"
#include "tls.h"

#define PIPELINE_RCPTS	100
#define DATA_CHUNK	65536

enum session_state { SS_READY, SS_DEAD };

struct smtp_session {
	const struct config	*cfg;
	struct conn		*conn;
	const char		*host;
	enum session_state	 state;
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

static int
read_reply(struct smtp_session *s, struct err *e)
{
	int	rc;

	smtp_reply_reset(&s->reply);
	do {
		if (net_read_line(s->conn, &s->line, SMTP_REPLY_LINE_MAX,
		    e) == -1) {
			s->state = SS_DEAD;
			return -1;
		}
		log_trace('<', s->line.data, s->line.len);
		rc = smtp_reply_feed(&s->reply, s->line.data, s->line.len, e);
		if (rc == -1) {
			s->state = SS_DEAD;
			return -1;
		}
	} while (rc == 0);
	if (s->reply.code == 421)
		s->state = SS_DEAD;
	return 0;
}

/* Queue one command line; secret: show "***" in the transcript. */
static int
send_line(struct smtp_session *s, const char *line, size_t len, int secret,
    struct err *e)
{
	if (secret) {
		const char *sp = memchr(line, ' ', len);
		size_t keep = sp ? (size_t)(sp - line) + 1 : 0;
		char shown[64];

		if (keep > 40 || strncmp(line, "AUTH ", 5) != 0)
			keep = 0;
		else if ((sp = memchr(line + 5, ' ', len - 5)) != NULL)
			keep = (size_t)(sp - line) + 1;
		else if (len <= 40) {
			/* "AUTH LOGIN": a mechanism and no payload. */
			log_trace('>', line, len);
			goto send;
		} else
			keep = 0;
		snprintf(shown, sizeof(shown), "%.*s***", (int)keep, line);
		log_trace('>', shown, strlen(shown));
	} else
		log_trace('>', line, len);
send:
	if (net_write(s->conn, line, len, e) == -1 ||
	    net_write(s->conn, "\r\n", 2, e) == -1) {
		s->state = SS_DEAD;
		return -1;
	}
	return 0;
}

static int
flush(struct smtp_session *s, struct err *e)
{
	if (net_flush(s->conn, e) == -1) {
		s->state = SS_DEAD;
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

static enum err_class
class_of(int code)
{
	return code >= 500 ? ERR_UNAVAILABLE : ERR_TEMP;
}

/* ---- opening a session ----------------------------------------------- */

static int
ehlo(struct smtp_session *s, const char *helo, int allow_helo, struct err *e)
{
	char	cmd[300], sum[450];

	snprintf(cmd, sizeof(cmd), "EHLO %s", helo);
	if (command(s, cmd, 0, e) == -1)
		return -1;
	if (s->reply.code == 250) {
		smtp_ehlo_parse(&s->info, &s->reply);
		return 0;
	}
	if (s->reply.code >= 500 && s->reply.code != 521 && allow_helo) {
		snprintf(cmd, sizeof(cmd), "HELO %s", helo);
		if (command(s, cmd, 0, e) == -1)
			return -1;
		if (s->reply.code == 250) {
			/* HELO: no extensions at all. */
			smtp_reply_reset(&s->reply);
			smtp_ehlo_parse(&s->info, &s->reply);
			return 0;
		}
	}
	return err_set(e, class_of(s->reply.code), "%s refused EHLO: %s",
	    s->host, reply_summary(s, sum, sizeof(sum)));
}

static int
authenticate(struct smtp_session *s, const char *secret, struct err *e)
{
	const struct config	*c = s->cfg;
	struct sasl		*sasl = NULL;
	struct buf		 raw, b64, challenge;
	unsigned		 mech;
	char			 sum[450];
	int			 rc = -1, steps = 0;

	if (c->tls == CONFIG_TLS_NONE && !net_is_loopback(s->conn))
		return err_set(e, ERR_CONFIG, "refusing to send credentials "
		    "to %s without TLS (tls = none is for loopback only)",
		    s->host);
	if (s->info.ext_auth[0] == '\0')
		return err_set(e, ERR_TEMP, "%s does not offer AUTH",
		    s->host);
	/* AUTH only follows verified TLS or tls = none to loopback. */
	mech = auth_choose(s->info.ext_auth, c->auth_mechs, c->auth_auto,
	    net_tls(s->conn) != NULL);
	if (mech == 0)
		return err_set(e, ERR_TEMP, "%s offers no allowed AUTH "
		    "mechanism (it offers: %s)", s->host, s->info.ext_auth);
	if (sasl_new(&sasl, mech, c->user, secret, e) == -1)
		return -1;
	buf_init(&raw, 16384);
	buf_init(&b64, 24000);
	buf_init(&challenge, 16384);
	buf_reset(&s->cmd);
	if (buf_printf(&s->cmd, "AUTH %s", auth_mech_name(mech)) == -1)
		goto out;
	if (sasl_has_initial(sasl)) {
		if (sasl_step(sasl, NULL, 0, &raw, e) == -1 ||
		    auth_b64_encode(raw.data, raw.len, &b64) == -1)
			goto out;
		if (s->cmd.len + 1 + b64.len <= 500) {
			buf_printf(&s->cmd, " %s", b64.len ? b64.data : "=");
			buf_reset(&b64);
		} else
			steps = -1;	/* send it after the empty 334 */
	}
	if (command(s, s->cmd.data, 1, e) == -1)
		goto out;
	while (s->reply.code == 334) {
		if (++steps > 10) {
			err_set(e, ERR_TEMP, "AUTH: too many challenges");
			goto out;
		}
		if (b64.len > 0) {	/* the deferred initial response */
			if (send_line(s, b64.data, b64.len, 1, e) == -1 ||
			    flush(s, e) == -1 || read_reply(s, e) == -1)
				goto out;
			buf_reset(&b64);
			continue;
		}
		if (auth_b64_decode(s->reply.text.data, s->reply.text.len,
		    &challenge, e) == -1 ||
		    sasl_step(sasl, (unsigned char *)challenge.data,
		    challenge.len, &raw, e) == -1) {
			/* Cancel the exchange (RFC 4954 4). */
			command(s, "*", 0, e);
			goto out;
		}
		if (auth_b64_encode(raw.data, raw.len, &b64) == -1) {
			err_set(e, ERR_TEMP, "AUTH response too long");
			goto out;
		}
		if (send_line(s, b64.data, b64.len, 1, e) == -1 ||
		    flush(s, e) == -1 || read_reply(s, e) == -1)
			goto out;
		buf_reset(&b64);
	}
	if (s->reply.code != 235) {
		err_set(e, ERR_TEMP, "authentication as %s failed: %s",
		    c->user, reply_summary(s, sum, sizeof(sum)));
		goto out;
	}
	if (!sasl_complete(sasl)) {
		err_set(e, ERR_TEMP, "AUTH %s: server did not prove itself",
		    auth_mech_name(mech));
		goto out;
	}
	snprintf(s->info.auth_mech, sizeof(s->info.auth_mech), "%s",
	    auth_mech_name(mech));
	s->info.authenticated = 1;
	rc = 0;
out:
	sasl_free(sasl);
	buf_free(&raw);
	buf_free(&b64);
	buf_free(&challenge);
	return rc;
}

static void
fill_tls_info(struct smtp_session *s)
{
	struct tls_peer	p;

	if (net_tls(s->conn) == NULL)
		return;
	tls_describe(net_tls(s->conn), &p);
	snprintf(s->info.tls_version, sizeof(s->info.tls_version), "%s",
	    p.version);
	snprintf(s->info.tls_cipher, sizeof(s->info.tls_cipher), "%s",
	    p.cipher);
	snprintf(s->info.peer_subject, sizeof(s->info.peer_subject), "%s",
	    p.subject);
	snprintf(s->info.peer_issuer, sizeof(s->info.peer_issuer), "%s",
	    p.issuer);
	snprintf(s->info.peer_fingerprint, sizeof(s->info.peer_fingerprint),
	    "%s", p.fingerprint);
}

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
		if (getaddrinfo(host, NULL, &hints, &res) == 0 &&
		    res->ai_canonname != NULL &&
		    strchr(res->ai_canonname, '.') != NULL &&
		    strlen(res->ai_canonname) < len) {
			snprintf(out, len, "%s", res->ai_canonname);
			freeaddrinfo(res);
			return;
		}
		if (res != NULL)
			freeaddrinfo(res);
		if (strchr(host, '.') != NULL) {
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

/* One host: connect through to a ready, authenticated session. */
static int
open_host(struct smtp_session *s, const char *host, const char *secret,
    struct err *e)
{
	const struct config	*c = s->cfg;
	char			 sum[450], helo[300];

	s->host = host;
	s->state = SS_READY;
	memset(&s->info, 0, sizeof(s->info));
	if (net_connect(&s->conn, host, c->port, c->timeout, e) == -1)
		return -1;
	snprintf(s->info.relay, sizeof(s->info.relay), "%s",
	    net_peer(s->conn));
	if (c->helo != NULL)
		snprintf(helo, sizeof(helo), "%s", c->helo);
	else
		default_helo(s->conn, helo, sizeof(helo));
	if (c->tls == CONFIG_TLS_IMPLICIT) {
		if (net_starttls(s->conn, c, host, e) == -1)
			return -1;
		fill_tls_info(s);
	}
	if (read_reply(s, e) == -1)
		return -1;
	if (s->reply.code != 220) {
		err_set(e, class_of(s->reply.code), "%s greeted with %s", host,
		    reply_summary(s, sum, sizeof(sum)));
		command(s, "QUIT", 0, e);	/* RFC 5321 3.1 */
		return -1;
	}
	if (ehlo(s, helo, c->tls != CONFIG_TLS_STARTTLS, e) == -1)
		return -1;
	if (c->tls == CONFIG_TLS_STARTTLS) {
		if (!s->info.ext_starttls)
			return err_set(e, ERR_TEMP, "%s does not offer "
			    "STARTTLS; refusing to continue without TLS", host);
		if (command(s, "STARTTLS", 0, e) == -1)
			return -1;
		if (s->reply.code != 220)
			return err_set(e, ERR_TEMP, "%s refused STARTTLS: %s",
			    host, reply_summary(s, sum, sizeof(sum)));
		if (net_starttls(s->conn, c, host, e) == -1) {
			s->state = SS_DEAD;
			return -1;
		}
		fill_tls_info(s);
		/* RFC 3207 4.2: forget everything, ask again. */
		if (ehlo(s, helo, 0, e) == -1)
			return -1;
	}
	if (c->user != NULL && c->auth_mechs != 0 &&
	    authenticate(s, secret, e) == -1) {
		/* Refused, not broken: end the session politely. */
		if (s->state == SS_READY) {
			struct err	e2;

			command(s, "QUIT", 0, &e2);
		}
		return -1;
	}
	return 0;
}

int
smtp_open(struct smtp_session **sp, const struct config *c,
    const char *secret, int verbose, struct err *e)
{
	struct smtp_session	*s;
	size_t			 i;

	*sp = NULL;
	if (verbose)
		log_set_trace(1);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	s->cfg = c;
	smtp_reply_init(&s->reply);
	buf_init(&s->line, SMTP_REPLY_LINE_MAX + 4);
	buf_init(&s->cmd, 4096);
	for (i = 0; i < c->nhosts; i++) {
		if (open_host(s, c->hosts[i], secret, e) == 0) {
			*sp = s;
			return 0;
		}
		net_close(s->conn);
		s->conn = NULL;
		/* A permanent refusal or a config error will not get better
		 * on the next host; anything else might. */
		if (e->cls == ERR_CONFIG)
			break;
	}
	smtp_reply_free(&s->reply);
	buf_free(&s->line);
	buf_free(&s->cmd);
	free(s);
	return -1;
}

/* ---- one message ------------------------------------------------------ */

static int
mail_cmd(struct smtp_session *s, struct envelope *env, off_t size,
    struct err *e)
{
	struct buf	*b = &s->cmd;

	buf_reset(b);
	buf_printf(b, "MAIL FROM:<%s>", env->sender ? env->sender : "");
	if (s->info.ext_size)
		buf_printf(b, " SIZE=%lld", (long long)size);
	if (env->body == BODY_8BITMIME && s->info.ext_8bitmime)
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

/* Stream the canonical message with dot-stuffing, then the final dot. */
static int
send_body(struct smtp_session *s, int fd, struct err *e)
{
	char		 in[DATA_CHUNK];
	char		*out;
	size_t		 o, i;
	ssize_t		 n;
	int		 bol = 1;
	char		 last[2] = { '\r', '\n' };
	off_t		 off = 0;

	if ((out = malloc(2 * DATA_CHUNK + 8)) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	for (;;) {
		n = pread(fd, in, sizeof(in), off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(out);
			s->state = SS_DEAD;	/* we cannot finish the DATA */
			return err_set(e, ERR_IO, "reading the spooled message:"
			    " %s", strerror(errno));
		}
		if (n == 0)
			break;
		off += n;
		for (i = 0, o = 0; i < (size_t)n; i++) {
			if (bol && in[i] == '.')
				out[o++] = '.';
			out[o++] = in[i];
			bol = in[i] == '\n';
		}
		last[0] = n >= 2 ? in[n - 2] : last[1];
		last[1] = in[n - 1];
		if (net_write(s->conn, out, o, e) == -1) {
			free(out);
			s->state = SS_DEAD;
			return -1;
		}
	}
	free(out);
	/* The canonical form ends in CRLF; be safe if it somehow does not. */
	if (!(last[0] == '\r' && last[1] == '\n') && off > 0 &&
	    net_write(s->conn, "\r\n", 2, e) == -1) {
		s->state = SS_DEAD;
		return -1;
	}
	log_trace('>', "(message body)", 14);
	return send_line(s, ".", 1, 0, e);
}

static void
rset(struct smtp_session *s)
{
	struct err	e2;

	if (s->state != SS_READY)
		return;
	if (command(s, "RSET", 0, &e2) == -1 || s->reply.code != 250)
		s->state = SS_DEAD;
}

static void
set_rcpt(struct smtp_session *s, struct rcpt *r, enum rcpt_state st)
{
	char	sum[450];

	r->state = st;
	envelope_set_reply(r, reply_summary(s, sum, sizeof(sum)));
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
 * MAIL was refused with CODE (SUM is its summary): every recipient still
 * to do gets that result, and the transaction is reset.
 */
static int
mail_refused(struct smtp_session *s, struct envelope *env, int code,
    const char *sum, struct err *e)
{
	enum err_class	cls = class_of(code);
	size_t		i;

	for (i = 0; i < env->nrcpts; i++) {
		struct rcpt *r = &env->rcpts[i];

		if (r->state == RCPT_PENDING || r->state == RCPT_DEFERRED) {
			r->state = cls == ERR_TEMP ? RCPT_DEFERRED :
			    RCPT_FAILED;
			envelope_set_reply(r, sum);
		}
	}
	rset(s);
	return err_set(e, cls, "sender refused: %s", sum);
}

int
smtp_send(struct smtp_session *s, struct envelope *env, int datafd,
    off_t size, struct err *e)
{
	struct rcpt	*batch[PIPELINE_RCPTS];
	char		 sum[450];
	size_t		 i, nb, tried = 0, accepted = 0, next = 0;
	int		 pipe = s->info.ext_pipelining, data_sent = 0;
	int		 mail_read = 0, code;

	if (s->state != SS_READY)
		return err_set(e, ERR_TEMP, "SMTP session is not usable");
	if (envelope_count(env, RCPT_PENDING) +
	    envelope_count(env, RCPT_DEFERRED) == 0)
		return outcome(env, e);
	if (env->smtputf8 && !s->info.ext_smtputf8)
		return err_set(e, ERR_UNAVAILABLE, "an address is not ASCII "
		    "and %s does not offer SMTPUTF8", s->host);
	if (s->info.ext_size > 0 && size > s->info.ext_size)
		return err_set(e, ERR_UNAVAILABLE, "message of %lld octets is "
		    "over %s's limit of %lld", (long long)size, s->host,
		    s->info.ext_size);
	if ((env->dsn_notify || env->dsn_ret || env->dsn_envid) &&
	    !s->info.ext_dsn)
		s->info.dsn_dropped = 1;

	if (mail_cmd(s, env, size, e) == -1)
		return -1;
	if (!pipe && (flush(s, e) == -1 || read_reply(s, e) == -1))
		return -1;
	if (!pipe && s->reply.code != 250)
		return mail_refused(s, env, s->reply.code,
		    reply_summary(s, sum, sizeof(sum)), e);
	mail_read = !pipe;

	/* Recipients, in pipelined batches. */
	for (;;) {
		nb = 0;
		while (next < env->nrcpts && nb < PIPELINE_RCPTS) {
			struct rcpt *r = &env->rcpts[next++];

			if (r->state != RCPT_PENDING &&
			    r->state != RCPT_DEFERRED)
				continue;
			if (rcpt_cmd(s, env, r, e) == -1)
				return -1;
			if (!pipe) {
				if (flush(s, e) == -1 || read_reply(s, e) == -1)
					return -1;
				tried++;
				if (s->reply.code / 100 == 2) {
					r->state = RCPT_SENT;	/* provisional */
					accepted++;
				} else
					set_rcpt(s, r, s->reply.code >= 500 ?
					    RCPT_FAILED : RCPT_DEFERRED);
				if (s->state == SS_DEAD)
					return err_set(e, ERR_TEMP, "%s",
					    reply_summary(s, sum, sizeof(sum)));
				continue;
			}
			batch[nb++] = r;
		}
		if (!pipe)
			break;
		if (next >= env->nrcpts && accepted + nb > 0 &&
		    send_line(s, "DATA", 4, 0, e) == 0)
			data_sent = 1;
		if (flush(s, e) == -1)
			return -1;
		if (!mail_read) {	/* the MAIL reply comes first */
			if (read_reply(s, e) == -1)
				return -1;
			mail_read = 1;
			if (s->reply.code != 250) {
				/*
				 * Keep the MAIL reply: draining the RCPT and
				 * DATA replies overwrites it, and after a 421
				 * the server has closed, so there are none.
				 */
				code = s->reply.code;
				reply_summary(s, sum, sizeof(sum));
				for (i = 0; s->state == SS_READY &&
				    i < nb + (size_t)data_sent; i++)
					if (read_reply(s, e) == -1)
						break;
				return mail_refused(s, env, code, sum, e);
			}
		}
		for (i = 0; i < nb; i++) {
			if (read_reply(s, e) == -1)
				return -1;
			tried++;
			if (s->reply.code / 100 == 2) {
				batch[i]->state = RCPT_SENT;
				accepted++;
			} else
				set_rcpt(s, batch[i], s->reply.code >= 500 ?
				    RCPT_FAILED : RCPT_DEFERRED);
		}
		if (next >= env->nrcpts)
			break;
	}
	if (accepted == 0) {
		/* Every recipient refused: no body goes out. */
		if (data_sent && read_reply(s, e) == 0 &&
		    s->reply.code == 354) {
			send_line(s, ".", 1, 0, e);
			flush(s, e);
			read_reply(s, e);
		}
		rset(s);
		return outcome(env, e);
	}
	if (!data_sent) {
		if (send_line(s, "DATA", 4, 0, e) == -1)
			return -1;
		data_sent = 1;
		if (flush(s, e) == -1)
			return -1;
	}
	if (read_reply(s, e) == -1)
		goto lost;
	if (s->reply.code != 354) {
		enum err_class cls = class_of(s->reply.code);

		reply_summary(s, sum, sizeof(sum));
		for (i = 0; i < env->nrcpts; i++)
			if (env->rcpts[i].state == RCPT_SENT) {
				env->rcpts[i].state = cls == ERR_TEMP ?
				    RCPT_DEFERRED : RCPT_FAILED;
				envelope_set_reply(&env->rcpts[i], sum);
			}
		rset(s);
		return err_set(e, cls, "DATA refused: %s", sum);
	}
	if (send_body(s, datafd, e) == -1 || flush(s, e) == -1 ||
	    read_reply(s, e) == -1)
		goto lost;
	reply_summary(s, sum, sizeof(sum));
	for (i = 0; i < env->nrcpts; i++) {
		struct rcpt *r = &env->rcpts[i];

		if (r->state != RCPT_SENT)
			continue;
		if (s->reply.code == 250)
			envelope_set_reply(r, sum);
		else
			set_rcpt(s, r, s->reply.code >= 500 ? RCPT_FAILED :
			    RCPT_DEFERRED);
	}
	if (s->reply.code != 250)
		rset(s);
	return outcome(env, e);

lost:
	/* No final reply: the message may or may not have been taken. */
	for (i = 0; i < env->nrcpts; i++)
		if (env->rcpts[i].state == RCPT_SENT) {
			env->rcpts[i].state = RCPT_DEFERRED;
			envelope_set_reply(&env->rcpts[i], e->msg);
		}
	s->state = SS_DEAD;
	e->cls = e->cls == ERR_IO ? ERR_IO : ERR_TEMP;
	return -1;
}

int
smtp_verify(struct smtp_session *s, const char *sender, const char *rcpt,
    char *reply, size_t replylen, struct err *e)
{
	char	cmd[600];
	int	code;

	if (s->state != SS_READY)
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
	return s != NULL && s->state == SS_READY;
}

const struct smtp_info *
smtp_info(const struct smtp_session *s)
{
	return &s->info;
}

void
smtp_close(struct smtp_session *s)
{
	struct err	e;

	if (s == NULL)
		return;
	if (s->state == SS_READY && s->conn != NULL)
		command(s, "QUIT", 0, &e);
	net_close(s->conn);
	smtp_reply_free(&s->reply);
	buf_free(&s->line);
	buf_free(&s->cmd);
	free(s);
}
