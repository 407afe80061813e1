/*
 * config.c -- read /etc/postern.ini into a struct config.
 *
 * The file is opened with O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK and checked with
 * fstat on that descriptor (no stat-then-open race): it must be a regular
 * file; when privileged it must be owned by root and not writable by group
 * or others; when it sets password it must not be accessible by others.
 *
 * libinih's behaviour depends on how a distribution compiled it: upstream
 * inih (Fedora, Alpine, Arch, Homebrew) has compile-time options only and
 * by default treats " ;" inside a value as a comment, appends indented
 * lines to the previous key, skips a BOM and cuts lines at 200 bytes;
 * Debian's build turns the same options into run-time variables.  None of
 * that may change what a postern.ini means (research/security.md 1.6), so
 * config_reader() decides everything itself: it reads the whole file
 * (bounded), refuses NUL bytes, lines over CONFIG_LINE_MAX, indented lines
 * (no continuations), lines without '=', ':' in key names and malformed or
 * unknown sections, strips a BOM on line 1, splits "key = value" itself
 * (blanks trimmed, a ';' or '#' inside a value stays part of it, an empty
 * value means the default), keeps the key and value in its context, and
 * hands libinih only a canonical line: "[section]", a blank line, or
 * "k=v", short and free of comment characters, which every inih build
 * parses the same way.  config_handler() then takes the real key and value
 * from the context.  No libinih run-time switch is touched.
 *
 * Every value is expanded (${VAR}, unless privileged), refused if it holds a
 * control character, and validated by its key.  Error messages never show
 * the value of password or password_command.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <ini.h>

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "err.h"
#include "io.h"
#include "text.h"

static const char default_queue_dir[] = "/var/spool/postern";

enum sect {
	SECT_SMARTHOST,
	SECT_SENDER,
	SECT_ALIASES,
	SECT_QUEUE,
	SECT_LOG,
	SECT_DKIM,
	SECT_COUNT,
	SECT_NONE = -1
};

static const char *const sect_names[SECT_COUNT] = {
	"smarthost", "sender", "aliases", "queue", "log",
	"dkim"
};

enum key {
	K_HOST, K_PORT, K_TLS, K_TLS_VERIFY, K_TLS_CA_FILE, K_TLS_FINGERPRINT,
	K_TLS_CLIENT_CERT, K_TLS_CLIENT_KEY, K_TLS_MIN_VERSION, K_AUTH, K_USER,
	K_PASSWORD, K_PASSWORD_FILE, K_PASSWORD_COMMAND, K_HELO, K_TIMEOUT,
	K_FROM, K_DOMAIN, K_FROM_HEADER, K_ALLOW_FROM_OVERRIDE, K_ALIASES_FILE,
	K_DIR, K_DELIVERY, K_ENABLED, K_RETRY, K_RETRY_MAX, K_LIFETIME,
	K_SYSLOG, K_FILE,
	/* harden (issue 11) */
	K_MAX_MESSAGE_SIZE, K_DELAY_WARNING,
	/* deploy (issue 9) */
	K_LOG_STDERR,
	K_DKIM_DOMAIN, K_DKIM_SELECTOR, K_DKIM_KEY_FILE, K_DKIM_HEADERS,
	K_DKIM_CANON, K_DKIM_SIGN,
	/* TLS session cache */
	K_TLS_SESSION_CACHE,
	/* speed (issue 10) */
	K_TLS_KTLS,
	K_COUNT
};

struct keydef {
	enum sect	 sect;
	const char	*name;
	int		 secret;	/* never echo the value */
};

static const struct keydef keys[K_COUNT] = {
	[K_HOST] =		{ SECT_SMARTHOST, "host", 0 },
	[K_PORT] =		{ SECT_SMARTHOST, "port", 0 },
	[K_TLS] =		{ SECT_SMARTHOST, "tls", 0 },
	[K_TLS_VERIFY] =	{ SECT_SMARTHOST, "tls_verify", 0 },
	[K_TLS_CA_FILE] =	{ SECT_SMARTHOST, "tls_ca_file", 0 },
	[K_TLS_FINGERPRINT] =	{ SECT_SMARTHOST, "tls_fingerprint", 0 },
	[K_TLS_CLIENT_CERT] =	{ SECT_SMARTHOST, "tls_client_cert", 0 },
	[K_TLS_CLIENT_KEY] =	{ SECT_SMARTHOST, "tls_client_key", 0 },
	[K_TLS_MIN_VERSION] =	{ SECT_SMARTHOST, "tls_min_version", 0 },
	[K_AUTH] =		{ SECT_SMARTHOST, "auth", 0 },
	[K_USER] =		{ SECT_SMARTHOST, "user", 0 },
	[K_PASSWORD] =		{ SECT_SMARTHOST, "password", 1 },
	[K_PASSWORD_FILE] =	{ SECT_SMARTHOST, "password_file", 0 },
	[K_PASSWORD_COMMAND] =	{ SECT_SMARTHOST, "password_command", 1 },
	[K_HELO] =		{ SECT_SMARTHOST, "helo", 0 },
	[K_TIMEOUT] =		{ SECT_SMARTHOST, "timeout", 0 },
	[K_FROM] =		{ SECT_SENDER, "from", 0 },
	[K_DOMAIN] =		{ SECT_SENDER, "domain", 0 },
	[K_FROM_HEADER] =	{ SECT_SENDER, "from_header", 0 },
	[K_ALLOW_FROM_OVERRIDE] = { SECT_SENDER, "allow_from_override", 0 },
	[K_ALIASES_FILE] =	{ SECT_SENDER, "aliases_file", 0 },
	[K_DIR] =		{ SECT_QUEUE, "dir", 0 },
	[K_DELIVERY] =		{ SECT_QUEUE, "delivery", 0 },
	[K_ENABLED] =		{ SECT_QUEUE, "enabled", 0 },
	[K_RETRY] =		{ SECT_QUEUE, "retry", 0 },
	[K_RETRY_MAX] =		{ SECT_QUEUE, "retry_max", 0 },
	[K_LIFETIME] =		{ SECT_QUEUE, "lifetime", 0 },
	[K_SYSLOG] =		{ SECT_LOG, "syslog", 0 },
	[K_FILE] =		{ SECT_LOG, "file", 0 },
	/* harden (issue 11) */
	[K_MAX_MESSAGE_SIZE] =	{ SECT_QUEUE, "max_message_size", 0 },
	[K_DELAY_WARNING] =	{ SECT_QUEUE, "delay_warning", 0 },
	/* deploy (issue 9) */
	[K_LOG_STDERR] =	{ SECT_LOG, "stderr", 0 },
	[K_DKIM_DOMAIN] =	{ SECT_DKIM, "domain", 0 },
	[K_DKIM_SELECTOR] =	{ SECT_DKIM, "selector", 0 },
	[K_DKIM_KEY_FILE] =	{ SECT_DKIM, "key_file", 0 },
	[K_DKIM_HEADERS] =	{ SECT_DKIM, "headers", 0 },
	[K_DKIM_CANON] =	{ SECT_DKIM, "canonicalization", 0 },
	[K_DKIM_SIGN] =		{ SECT_DKIM, "sign", 0 },
	/* TLS session cache */
	[K_TLS_SESSION_CACHE] =	{ SECT_SMARTHOST, "tls_session_cache", 0 },
	/* speed (issue 10) */
	[K_TLS_KTLS] =		{ SECT_SMARTHOST, "tls_ktls", 0 },
};

static const struct {
	const char	*name;
	unsigned	 bit;
} mechs[] = {
	{ "scram-sha-256",	AUTH_MECH_SCRAM_SHA_256 },
	{ "scram-sha-1",	AUTH_MECH_SCRAM_SHA_1 },
	{ "plain",		AUTH_MECH_PLAIN },
	{ "login",		AUTH_MECH_LOGIN },
	{ "cram-md5",		AUTH_MECH_CRAM_MD5 },
	{ "xoauth2",		AUTH_MECH_XOAUTH2 },
	{ "oauthbearer",	AUTH_MECH_OAUTHBEARER },
};

static const struct {
	const char	*name;
	int		 facility;
} facilities[] = {
	{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV },
	{ "cron", LOG_CRON }, { "daemon", LOG_DAEMON }, { "ftp", LOG_FTP },
	{ "kern", LOG_KERN }, { "lpr", LOG_LPR }, { "mail", LOG_MAIL },
	{ "news", LOG_NEWS }, { "syslog", LOG_SYSLOG }, { "user", LOG_USER },
	{ "uucp", LOG_UUCP }, { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
};

/* State shared by the reader and the handler during one parse. */
struct ctx {
	struct config	*c;
	const char	*name;		/* file name for messages */
	int		 privileged;
	struct err	*e;
	int		 failed;	/* *e is set: stop */

	const char	*data;		/* the whole file */
	size_t		 len;
	size_t		 pos;
	int		 lineno;	/* line last handed to libinih */
	char		 key[CONFIG_LINE_MAX + 1];	/* of that line */
	char		 value[CONFIG_LINE_MAX + 1];
	int		 pending;	/* key/value wait for the handler */

	int		 section;	/* enum sect, or SECT_NONE */
	unsigned	 sect_seen;	/* bit per section */
	int		 key_line[K_COUNT]; /* 0: key not seen */
	int		 port_set;	/* port has a value */
};

static int	config_keyval(struct ctx *, const char *, const char *);
static int	host_hint(struct ctx *, const char *, char *);
static int	ctx_fail(struct ctx *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Set *e to "FILE:LINE: reason" and stop the parse. */
static int
ctx_fail(struct ctx *x, const char *fmt, ...)
{
	char	reason[ERR_MSGMAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	x->failed = 1;
	if (x->lineno <= 0)
		return err_set(x->e, ERR_CONFIG, "%s: %s", x->name, reason);
	return err_set(x->e, ERR_CONFIG, "%s:%d: %s", x->name, x->lineno,
	    reason);
}

static int
ctx_nomem(struct ctx *x)
{
	x->failed = 1;
	return err_set(x->e, ERR_SOFTWARE, "%s:%d: out of memory", x->name,
	    x->lineno);
}

static int
is_blank(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\v' || ch == '\f';
}

static int
has_ctl(const char *s)
{
	return text_has_ctl(s);
}

/* ---- value checks ---------------------------------------------------- */

/*
 * The decimal number s starts with (text_parse_u64), leading zeros
 * allowed as the values have always taken them ("port = 0587"): its value
 * in *out and the end of its digits in *end.  -1 when s does not start
 * with a digit or the number is above max.
 */
static int
lead_number(const char *s, uint64_t max, uint64_t *out, const char **end)
{
	size_t	z = 0, n;

	while (s[z] == '0' && isdigit((unsigned char)s[z + 1]))
		z++;
	n = strspn(s + z, "0123456789");
	if (n == 0 || text_parse_u64(s + z, n, max, out) == -1)
		return -1;
	*end = s + z + n;
	return 0;
}

/* Decimal digits only, no sign or blanks, at most max. */
static int
parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	const char	*end;
	uint64_t	 v;

	if (lead_number(s, max, &v, &end) == -1 || *end != '\0')
		return -1;
	*out = (unsigned long)v;
	return 0;
}

long
config_parse_duration(const char *s)
{
	const char	*end;
	uint64_t	 v, mul = 1;

	if (s == NULL || lead_number(s, UINT64_MAX, &v, &end) == -1)
		return -1;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		mul = 60;
		break;
	case 'h':
		mul = 3600;
		break;
	case 'd':
		mul = 86400;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > (uint64_t)CONFIG_DURATION_MAX / mul)
		return -1;
	return (long)(v * mul);
}

static int
parse_bool(const char *s, int *out)
{
	if (strcasecmp(s, "yes") == 0)
		*out = 1;
	else if (strcasecmp(s, "no") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

/*
 * A DNS host name: labels of letters, digits and '-', not starting or
 * ending with '-', 1-63 octets each, 253 in all, no trailing dot, and a
 * last label that is not all digits (so "1.2.3" is not taken for a name).
 */
static int
check_hostname(const char *s)
{
	size_t	 len = strlen(s), lab = 0;
	int	 alldigit = 1;
	const char *p;

	if (len == 0 || len > 253)
		return -1;
	for (p = s; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (lab == 0 || lab > 63 || p[-1] == '-')
				return -1;
			if (*p == '\0')
				break;
			lab = 0;
			alldigit = 1;
			continue;
		}
		if (lab == 0 && *p == '-')
			return -1;
		if (!isalnum((unsigned char)*p) && *p != '-')
			return -1;
		if (!isdigit((unsigned char)*p))
			alldigit = 0;
		lab++;
	}
	return alldigit ? -1 : 0;
}

static int
is_ip(const char *s)
{
	struct in_addr	a4;
	struct in6_addr	a6;

	return inet_pton(AF_INET, s, &a4) == 1 ||
	    inet_pton(AF_INET6, s, &a6) == 1;
}

/* helo: a host name, or an RFC 5321 address literal "[1.2.3.4]" or
 * "[IPv6:...]", sent as written. */
static int
check_helo(const char *s)
{
	char		 tmp[INET6_ADDRSTRLEN + 8];
	size_t		 len = strlen(s);
	struct in_addr	 a4;
	struct in6_addr	 a6;

	if (s[0] != '[')
		return check_hostname(s);
	if (len < 3 || s[len - 1] != ']' || len - 2 >= sizeof(tmp))
		return -1;
	memcpy(tmp, s + 1, len - 2);
	tmp[len - 2] = '\0';
	if (strncasecmp(tmp, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, tmp + 5, &a6) == 1 ? 0 : -1;
	return inet_pton(AF_INET, tmp, &a4) == 1 ? 0 : -1;
}

/* "sha256:" and 32 hex pairs separated by ':'. */
static int
check_fingerprint(const char *s)
{
	size_t	i;

	if (strncasecmp(s, "sha256:", 7) != 0)
		return -1;
	s += 7;
	if (strlen(s) != 32 * 3 - 1)
		return -1;
	for (i = 0; i < 32 * 3 - 1; i++) {
		if (i % 3 == 2) {
			if (s[i] != ':')
				return -1;
		} else if (!isxdigit((unsigned char)s[i]))
			return -1;
	}
	return 0;
}

static int
check_path(const char *s)
{
	return s[0] == '/' ? 0 : -1;
}

/* from: an envelope sender template; only %u, %h and %% are escapes. */
static int
check_from(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '<' || *s == '>' || *s == ',')
			return -1;
		if (*s == '%') {
			s++;
			if (*s != 'u' && *s != 'h' && *s != '%')
				return -1;
		}
	}
	return 0;
}

/* ---- storing values ------------------------------------------------- */

static int
set_str(struct ctx *x, char **dst, const char *v)
{
	char	*p;

	if ((p = strdup(v)) == NULL)
		return ctx_nomem(x);
	free(*dst);
	*dst = p;
	return 0;
}

/* Report a bad value; the value is shown unless the key is secret. */
static int
bad(struct ctx *x, enum key k, const char *v, const char *why)
{
	if (keys[k].secret)
		return ctx_fail(x, "bad value for %s: %s", keys[k].name, why);
	return ctx_fail(x, "bad value for %s '%.64s%s': %s", keys[k].name, v,
	    strlen(v) > 64 ? "..." : "", why);
}

/*
 * A host that is not a name: say how to write what was probably meant
 * ("smtp.gmail.com:587" is a host and a port; a URL is not a host).
 */
static int
host_hint(struct ctx *x, const char *v, char *item)
{
	char		*colon = strrchr(item, ':');
	const char	*p;
	unsigned long	 port;

	if (strstr(item, "://") != NULL)
		return bad(x, K_HOST, v, "not a host name (write only the "
		    "name, without smtp:// or smtps://; the port goes in "
		    "'port =')");
	if (colon != NULL && strchr(item, ':') == colon) {
		*colon = '\0';
		for (p = colon + 1; *p >= '0' && *p <= '9'; p++)
			;
		if (p != colon + 1 && *p == '\0' &&
		    parse_ulong(colon + 1, 65535, &port) == 0 && port > 0 &&
		    (is_ip(item) || check_hostname(item) == 0))
			return ctx_fail(x, "bad value for host '%.64s': a port "
			    "does not go in host; write 'host = %.64s' and "
			    "'port = %lu'", v, item, port);
		*colon = ':';
	}
	return bad(x, K_HOST, v, "not a host name or IP address");
}

/* "a.example.com, [2001:db8::1], 192.0.2.1": try in order. */
static int
set_hosts(struct ctx *x, const char *v)
{
	struct config	*c = x->c;
	char		 item[256];
	const char	*p = v, *q, *end;
	size_t		 n;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		q = end;
		while (q > p && q[-1] == ' ')
			q--;
		n = (size_t)(q - p);
		if (n == 0)
			return bad(x, K_HOST, v, "empty host name in list");
		if (n >= sizeof(item))
			return bad(x, K_HOST, v, "host name too long");
		memcpy(item, p, n);
		item[n] = '\0';
		if (item[0] == '[' && item[n - 1] == ']') {
			memmove(item, item + 1, n - 2);
			item[n - 2] = '\0';
			if (!is_ip(item))
				return bad(x, K_HOST, v,
				    "not an IP address in []");
		} else if (!is_ip(item) && check_hostname(item) == -1)
			return host_hint(x, v, item);
		if (c->nhosts == CONFIG_MAX_HOSTS)
			return bad(x, K_HOST, v, "too many hosts");
		if ((c->hosts[c->nhosts] = strdup(item)) == NULL)
			return ctx_nomem(x);
		c->nhosts++;
		if (*end == '\0')
			break;
		p = end + 1;
		if (*p == '\0')
			return bad(x, K_HOST, v, "empty host name in list");
	}
	return 0;
}

/* "auto", "none", or mechanism names separated by blanks or commas. */
static int
set_auth(struct ctx *x, const char *v)
{
	struct config	*c = x->c;
	char		 word[32];
	const char	*p = v;
	size_t		 n, i;
	unsigned	 bits = 0;

	if (strcasecmp(v, "auto") == 0) {
		c->auth_auto = 1;
		c->auth_mechs = AUTH_MECH_ALL;
		return 0;
	}
	if (strcasecmp(v, "none") == 0) {
		c->auth_auto = 0;
		c->auth_mechs = 0;
		return 0;
	}
	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, " ,");
		if (n >= sizeof(word))
			return bad(x, K_AUTH, v, "unknown mechanism");
		memcpy(word, p, n);
		word[n] = '\0';
		for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
			if (strcasecmp(word, mechs[i].name) == 0)
				break;
		if (i == sizeof(mechs) / sizeof(mechs[0]))
			return bad(x, K_AUTH, v, "unknown mechanism "
			    "(auto, none, or a list of scram-sha-256 "
			    "scram-sha-1 plain login cram-md5 xoauth2 "
			    "oauthbearer)");
		bits |= mechs[i].bit;
		p += n;
	}
	c->auth_auto = 0;
	c->auth_mechs = bits;
	return 0;
}

static int
set_duration(struct ctx *x, enum key k, const char *v, unsigned *out)
{
	long	d;

	d = config_parse_duration(v);
	if (d == -1)
		return bad(x, k, v,
		    "expected a duration such as 30s, 5m, 1h or 5d");
	if (d == 0)
		return bad(x, k, v, "must be more than zero");
	*out = (unsigned)d;
	return 0;
}

/*
 * A size: digits, then optionally K, M or G (binary: 1024, 1024^2,
 * 1024^3, either case); "0" is no limit.  At most CONFIG_SIZE_MAX.
 */
static int
set_size(struct ctx *x, enum key k, const char *v, unsigned long long *out)
{
	uint64_t	 n, mul = 1;
	const char	*end;

	if (!isdigit((unsigned char)v[0]))
		return bad(x, k, v, "expected a size such as 50M, 512K or 0");
	if (lead_number(v, UINT64_MAX, &n, &end) == -1)
		return bad(x, k, v, "too large");
	switch (*end) {
	case 'k': case 'K':
		mul = 1024;
		break;
	case 'm': case 'M':
		mul = 1024 * 1024;
		break;
	case 'g': case 'G':
		mul = 1024 * 1024 * 1024;
		break;
	case '\0':
		break;
	default:
		return bad(x, k, v, "expected a size such as 50M, 512K or 0");
	}
	if (*end != '\0' && end[1] != '\0')
		return bad(x, k, v, "expected a size such as 50M, 512K or 0");
	if (n > CONFIG_SIZE_MAX / mul)
		return bad(x, k, v, "too large");
	*out = n * mul;
	return 0;
}

static int
set_bool(struct ctx *x, enum key k, const char *v, int *out)
{
	if (parse_bool(v, out) == -1)
		return bad(x, k, v, "expected yes or no");
	return 0;
}

static int
set_path(struct ctx *x, enum key k, const char *v, char **dst)
{
	if (check_path(v) == -1)
		return bad(x, k, v, "must be an absolute path");
	return set_str(x, dst, v);
}

/* harden (issue 11): [queue] max_message_size and delay_warning. */
static int
key_set_harden(struct ctx *x, enum key k, const char *v)
{
	struct config	*c = x->c;

	if (k == K_MAX_MESSAGE_SIZE)
		return set_size(x, k, v, &c->max_message_size);
	if (strcmp(v, "0") == 0) {
		c->delay_warning = 0;	/* never */
		return 0;
	}
	return set_duration(x, k, v, &c->delay_warning);
}

/* [dkim] */

/* A colon-separated list of header field names (RFC 5322 ftext). */
static int
set_dkim_headers(struct ctx *x, enum key k, const char *v)
{
	struct buf	 b;
	const char	*p = v;
	size_t		 n, i;
	int		 rc, from = 0, ok = 1;

	buf_init(&b, BUF_LIMIT_CONFIG);
	for (;;) {
		p += strspn(p, " \t");
		for (n = 0; p[n] > 32 && p[n] < 127 && p[n] != ':'; n++)
			;
		i = n + strspn(p + n, " \t");
		if (n == 0 || (p[i] != ':' && p[i] != '\0')) {
			ok = 0;
			break;
		}
		if (n == 4 && strncasecmp(p, "from", 4) == 0)
			from = 1;
		if ((b.len > 0 && buf_addc(&b, ':') == -1) ||
		    buf_add(&b, p, n) == -1) {
			ok = 0;
			break;
		}
		if (p[i] == '\0')
			break;
		p += i + 1;
	}
	if (!ok || !from) {
		buf_free(&b);
		return bad(x, k, v, ok ? "must include from (RFC 6376 5.4)" :
		    "expected header names separated by ':'");
	}
	for (n = 0; n < b.len; n++)
		if (b.data[n] >= 'A' && b.data[n] <= 'Z')
			b.data[n] = (char)(b.data[n] - 'A' + 'a');
	rc = set_str(x, &x->c->dkim_headers, buf_str(&b));
	buf_free(&b);
	return rc;
}

static int
set_dkim_canon(struct ctx *x, enum key k, const char *v)
{
	static const char *const names[] = { "simple", "relaxed" };
	const char	*slash = strchr(v, '/');
	size_t		 hn = slash ? (size_t)(slash - v) : strlen(v);
	int		 h = -1, b = 0, i;

	for (i = 0; i < 2; i++) {
		if (strlen(names[i]) == hn && strncasecmp(v, names[i], hn) == 0)
			h = i;
		if (slash != NULL && strcasecmp(slash + 1, names[i]) == 0)
			b = i + 1;
	}
	if (h == -1 || (slash != NULL && b == 0))
		return bad(x, k, v, "expected simple or relaxed, or "
		    "HEADER/BODY such as relaxed/relaxed");
	x->c->dkim_header_relaxed = h;
	/* RFC 6376 3.5: a lone value names the header; the body is simple. */
	x->c->dkim_body_relaxed = slash != NULL ? b - 1 : 0;
	return 0;
}

static int
key_set_dkim(struct ctx *x, enum key k, const char *v)
{
	struct config	*c = x->c;
	size_t		 i;

	switch (k) {
	case K_DKIM_DOMAIN:
		if (check_hostname(v) == -1)
			return bad(x, k, v, "expected a domain name");
		return set_str(x, &c->dkim_domain, v);
	case K_DKIM_SELECTOR:
		/* sub-domain *("." sub-domain) of letters, digits, '-'. */
		for (i = 0; v[i] != '\0'; i++)
			if (!((v[i] >= 'a' && v[i] <= 'z') ||
			    (v[i] >= 'A' && v[i] <= 'Z') ||
			    (v[i] >= '0' && v[i] <= '9') || v[i] == '-' ||
			    (v[i] == '.' && i > 0 && v[i - 1] != '.' &&
			    v[i + 1] != '\0')) || i >= 63)
				return bad(x, k, v, "expected a selector "
				    "(letters, digits, '-' and '.')");
		return set_str(x, &c->dkim_selector, v);
	case K_DKIM_KEY_FILE:
		return set_path(x, k, v, &c->dkim_key_file);
	case K_DKIM_HEADERS:
		return set_dkim_headers(x, k, v);
	case K_DKIM_CANON:
		return set_dkim_canon(x, k, v);
	case K_DKIM_SIGN:
		if (strcasecmp(v, "from-domain") == 0)
			c->dkim_sign_always = 0;
		else if (strcasecmp(v, "always") == 0)
			c->dkim_sign_always = 1;
		else
			return bad(x, k, v, "expected from-domain or always");
		return 0;
	default:
		break;
	}
	return ctx_fail(x, "internal error: key %d", (int)k);
}

#define KEY_OTHER	1	/* key_set_*(): not this section's key */

/*
 * [smarthost]: host, port, AUTH, credentials, HELO, timeout; KEY_OTHER
 * for a key of another section.
 */
static int
key_set_smarthost(struct ctx *x, enum key k, const char *v)
{
	struct config	*c = x->c;
	unsigned long	 n;

	switch (k) {
	case K_HOST:
		return set_hosts(x, v);
	case K_PORT:
		if (parse_ulong(v, 65535, &n) == -1 || n == 0)
			return bad(x, k, v, "expected a port 1-65535");
		c->port = (unsigned)n;
		x->port_set = 1;
		return 0;
	case K_AUTH:
		return set_auth(x, v);
	case K_USER:
		return set_str(x, &c->user, v);
	case K_PASSWORD:
		return set_str(x, &c->password, v);
	case K_PASSWORD_FILE:
		return set_path(x, k, v, &c->password_file);
	case K_PASSWORD_COMMAND:
		if (x->privileged)
			return ctx_fail(x, "password_command is not allowed "
			    "when running privileged");
		return set_str(x, &c->password_command, v);
	case K_HELO:
		if (check_helo(v) == -1)
			return bad(x, k, v, "expected a host name or "
			    "an address literal such as [192.0.2.1]");
		return set_str(x, &c->helo, v);
	case K_TIMEOUT:
		return set_duration(x, k, v, &c->timeout);
	default:
		break;
	}
	return KEY_OTHER;
}

/* [smarthost] tls*; KEY_OTHER for a key of another section. */
static int
key_set_tls(struct ctx *x, enum key k, const char *v)
{
	struct config	*c = x->c;

	switch (k) {
	case K_TLS:
		if (strcasecmp(v, "starttls") == 0)
			c->tls = CONFIG_TLS_STARTTLS;
		else if (strcasecmp(v, "implicit") == 0)
			c->tls = CONFIG_TLS_IMPLICIT;
		else if (strcasecmp(v, "none") == 0)
			c->tls = CONFIG_TLS_NONE;
		else
			return bad(x, k, v,
			    "expected starttls, implicit or none");
		return 0;
	case K_TLS_VERIFY:
		return set_bool(x, k, v, &c->tls_verify);
	case K_TLS_SESSION_CACHE:
		return set_bool(x, k, v, &c->tls_session_cache);
	case K_TLS_KTLS:	/* speed (issue 10) */
		return set_bool(x, k, v, &c->tls_ktls);
	case K_TLS_CA_FILE:
		return set_path(x, k, v, &c->tls_ca_file);
	case K_TLS_FINGERPRINT:
		if (check_fingerprint(v) == -1)
			return bad(x, k, v, "expected sha256: and 32 "
			    "hex pairs separated by ':'");
		return set_str(x, &c->tls_fingerprint, v);
	case K_TLS_CLIENT_CERT:
		return set_path(x, k, v, &c->tls_client_cert);
	case K_TLS_CLIENT_KEY:
		return set_path(x, k, v, &c->tls_client_key);
	case K_TLS_MIN_VERSION:
		if (strcmp(v, "1.2") == 0)
			c->tls_min_version = 12;
		else if (strcmp(v, "1.3") == 0)
			c->tls_min_version = 13;
		else
			return bad(x, k, v, "expected 1.2 or 1.3");
		return 0;
	default:
		break;
	}
	return KEY_OTHER;
}

/* [sender] and aliases_file; KEY_OTHER for a key of another section. */
static int
key_set_sender(struct ctx *x, enum key k, const char *v)
{
	struct config	*c = x->c;

	switch (k) {
	case K_FROM:
		if (check_from(v) == -1)
			return bad(x, k, v, "expected an address; "
			    "only %u, %h and %% may follow %");
		return set_str(x, &c->from, v);
	case K_DOMAIN:
		if (check_hostname(v) == -1)
			return bad(x, k, v, "expected a domain name");
		return set_str(x, &c->domain, v);
	case K_FROM_HEADER:
		if (strcasecmp(v, "add") == 0)
			c->from_header = CONFIG_FROM_ADD;
		else if (strcasecmp(v, "force") == 0)
			c->from_header = CONFIG_FROM_FORCE;
		else
			return bad(x, k, v, "expected add or force");
		return 0;
	case K_ALLOW_FROM_OVERRIDE:
		return set_bool(x, k, v, &c->allow_from_override);
	case K_ALIASES_FILE:
		return set_path(x, k, v, &c->aliases_file);
	default:
		break;
	}
	return KEY_OTHER;
}

/* [queue]; KEY_OTHER for a key of another section. */
static int
key_set_queue(struct ctx *x, enum key k, const char *v)
{
	struct config	*c = x->c;

	switch (k) {
	case K_DIR:
		if (check_path(v) == -1)
			return bad(x, k, v, "must be an absolute path");
		if (c->queue_dir == default_queue_dir)
			c->queue_dir = NULL;
		return set_str(x, &c->queue_dir, v);
	case K_DELIVERY:
		if (strcasecmp(v, "interactive") == 0)
			c->delivery = CONFIG_DELIVERY_INTERACTIVE;
		else if (strcasecmp(v, "background") == 0)
			c->delivery = CONFIG_DELIVERY_BACKGROUND;
		else if (strcasecmp(v, "deferred") == 0)
			c->delivery = CONFIG_DELIVERY_DEFERRED;
		else
			return bad(x, k, v, "expected interactive, "
			    "background or deferred");
		return 0;
	case K_ENABLED:
		return set_bool(x, k, v, &c->queue_enabled);
	case K_RETRY:
		return set_duration(x, k, v, &c->retry);
	case K_RETRY_MAX:
		return set_duration(x, k, v, &c->retry_max);
	case K_LIFETIME:
		return set_duration(x, k, v, &c->lifetime);
	default:
		break;
	}
	return KEY_OTHER;
}

/* [log]; KEY_OTHER for a key of another section. */
static int
key_set_log(struct ctx *x, enum key k, const char *v)
{
	struct config	*c = x->c;
	size_t		 i;

	switch (k) {
	case K_SYSLOG:
		if (strcasecmp(v, "no") == 0) {
			c->syslog_facility = -1;
			return 0;
		}
		for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]);
		    i++)
			if (strcasecmp(v, facilities[i].name) == 0) {
				c->syslog_facility = facilities[i].facility;
				return 0;
			}
		return bad(x, k, v, "expected a syslog facility or no");
	case K_FILE:
		return set_path(x, k, v, &c->log_file);
	case K_LOG_STDERR:
		return set_bool(x, k, v, &c->log_stderr);
	default:
		break;
	}
	return KEY_OTHER;
}

static int (*const key_setters[])(struct ctx *, enum key, const char *) = {
	key_set_smarthost, key_set_tls, key_set_sender, key_set_queue,
	key_set_log
};

/* Validate v for key k and store it; v is expanded and not empty. */
static int
key_set(struct ctx *x, enum key k, const char *v)
{
	size_t	i;
	int	rc;

	switch (k) {
	case K_MAX_MESSAGE_SIZE:
	case K_DELAY_WARNING:
		return key_set_harden(x, k, v);
	case K_DKIM_DOMAIN: case K_DKIM_SELECTOR: case K_DKIM_KEY_FILE:
	case K_DKIM_HEADERS: case K_DKIM_CANON: case K_DKIM_SIGN:
		return key_set_dkim(x, k, v);
	case K_COUNT:
	default:
		break;
	}
	for (i = 0; i < sizeof(key_setters) / sizeof(key_setters[0]); i++)
		if ((rc = key_setters[i](x, k, v)) != KEY_OTHER)
			return rc;
	return ctx_fail(x, "internal error: key %d", (int)k);
}

/*
 * Expand ${NAME} from the environment into out.  A '$' not followed by '{'
 * is kept.  Refused when privileged: the caller controls the environment.
 */
static int
expand(struct ctx *x, const char *in, struct buf *out)
{
	char		 name[65];
	const char	*p, *close, *val;
	size_t		 n, i;

	for (p = in; *p != '\0'; p++) {
		if (p[0] != '$' || p[1] != '{') {
			if (buf_addc(out, *p) == -1)
				goto toolong;
			continue;
		}
		if (x->privileged)
			return ctx_fail(x, "${...} is not allowed when "
			    "running privileged");
		if ((close = strchr(p + 2, '}')) == NULL)
			return ctx_fail(x, "unterminated ${");
		n = (size_t)(close - (p + 2));
		if (n == 0 || n >= sizeof(name))
			return ctx_fail(x, "bad variable name in ${...}");
		memcpy(name, p + 2, n);
		name[n] = '\0';
		for (i = 0; i < n; i++)
			if (!(isalpha((unsigned char)name[i]) ||
			    name[i] == '_' ||
			    (i > 0 && isdigit((unsigned char)name[i]))))
				return ctx_fail(x,
				    "bad variable name in ${...}");
		if ((val = getenv(name)) == NULL)
			return ctx_fail(x, "environment variable %s is "
			    "not set", name);
		if (buf_adds(out, val) == -1)
			goto toolong;
		p = close;
	}
	return 0;
toolong:
	if (errno == E2BIG)
		return ctx_fail(x, "value too long");
	return ctx_nomem(x);
}

/* [aliases]: "name = address list"; names are kept in lower case. */
static int
alias_add(struct ctx *x, const char *name, const char *v)
{
	struct config		*c = x->c;
	struct config_alias	*a;
	const char		*p;
	char			*n, *t;
	size_t			 i;

	for (p = name; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '@' ||
		    *p == ',' || *p == '"' || *p == '<' || *p == '>')
			return ctx_fail(x, "bad alias name '%.64s': no "
			    "blanks, control characters, @ , \" < >", name);
	for (i = 0; i < c->naliases; i++)
		if (strcasecmp(c->aliases[i].name, name) == 0)
			return ctx_fail(x, "duplicate alias '%.64s'", name);
	if (*v == '\0')
		return ctx_fail(x, "alias '%.64s' has no addresses", name);
	if (c->naliases == CONFIG_MAX_ALIASES)
		return ctx_fail(x, "too many aliases (at most %d; use "
		    "aliases_file)", CONFIG_MAX_ALIASES);
	a = reallocarray(c->aliases, c->naliases + 1, sizeof(*a));
	if (a == NULL)
		return ctx_nomem(x);
	c->aliases = a;
	if ((n = strdup(name)) == NULL)
		return ctx_nomem(x);
	if ((t = strdup(v)) == NULL) {
		free(n);
		return ctx_nomem(x);
	}
	for (i = 0; n[i] != '\0'; i++)
		n[i] = (char)tolower((unsigned char)n[i]);
	a[c->naliases].name = n;
	a[c->naliases].targets = t;
	c->naliases++;
	return 0;
}

/*
 * libinih handler.  The key and value are the reader's (x->key, x->value):
 * what libinih passes is only the canonical "k=v" line it was handed.
 * A build with INI_CALL_HANDLER_ON_NEW_SECTION calls it with name NULL at
 * each section, which is ignored.
 */
#if defined(INI_HANDLER_LINENO) && INI_HANDLER_LINENO
static int
config_handler(void *user, const char *section, const char *name,
    const char *value, int lineno)
#else
static int
config_handler(void *user, const char *section, const char *name,
    const char *value)
#endif
{
	struct ctx	*x = user;

	(void)section;		/* x->section is ours, checked by the reader */
	(void)value;
#if defined(INI_HANDLER_LINENO) && INI_HANDLER_LINENO
	(void)lineno;
#endif
	if (x->failed)
		return 0;
	if (name == NULL)
		return 1;
	if (!x->pending) {
		ctx_fail(x, "internal error: libinih reported a line the "
		    "reader did not hand it");
		return 0;
	}
	x->pending = 0;
	return config_keyval(x, x->key, x->value) == 0;
}

/* Edit distance of two short strings (at most 64 bytes are compared). */
static size_t
distance(const char *a, const char *b)
{
	size_t	row[66], i, j, la = strlen(a), lb = strlen(b), prev, cur;

	if (la > 64)
		la = 64;
	if (lb > 64)
		lb = 64;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = row[j];
			row[j] = tolower((unsigned char)a[i - 1]) ==
			    tolower((unsigned char)b[j - 1]) ? prev :
			    1 + (prev < row[j] ? (prev < row[j - 1] ? prev :
			    row[j - 1]) : (row[j] < row[j - 1] ? row[j] :
			    row[j - 1]));
			prev = cur;
		}
	}
	return row[lb];
}

/*
 * "unknown key", with the nearest key of the section (a typo: at most a
 * third of the name wrong) or the section the key belongs to.
 */
static int
key_unknown(struct ctx *x, const char *name)
{
	size_t	k, d, best = K_COUNT, bestd = (size_t)-1;

	for (k = 0; k < K_COUNT; k++)
		if (strcmp(keys[k].name, name) == 0 &&
		    (int)keys[k].sect != x->section)
			return ctx_fail(x, "unknown key '%.64s' in [%s]; it "
			    "belongs in [%s]", name, sect_names[x->section],
			    sect_names[keys[k].sect]);
	for (k = 0; k < K_COUNT; k++) {
		if ((int)keys[k].sect != x->section)
			continue;
		d = distance(name, keys[k].name);
		if (d < bestd) {
			bestd = d;
			best = k;
		}
	}
	if (best != K_COUNT && bestd * 3 <= strlen(name) + 2)
		return ctx_fail(x, "unknown key '%.64s' in [%s]; did you mean "
		    "'%s'?", name, sect_names[x->section], keys[best].name);
	return ctx_fail(x, "unknown key '%.64s' in [%s]", name,
	    sect_names[x->section]);
}

/* One "key = value" in the current section. */
static int
config_keyval(struct ctx *x, const char *name, const char *value)
{
	struct buf	 v;
	size_t		 k;
	int		 rc;

	buf_init(&v, BUF_LIMIT_CONFIG);
	if (expand(x, value, &v) == -1)
		goto fail;
	if (has_ctl(buf_str(&v))) {
		ctx_fail(x, "control character in value of %.64s", name);
		goto fail;
	}
	if (x->section == SECT_ALIASES) {
		rc = alias_add(x, name, buf_str(&v));
		buf_free(&v);
		return rc;
	}

	for (k = 0; k < K_COUNT; k++)
		if ((int)keys[k].sect == x->section &&
		    strcmp(keys[k].name, name) == 0)
			break;
	if (k == K_COUNT) {
		key_unknown(x, name);
		goto fail;
	}
	if (x->key_line[k] != 0) {
		ctx_fail(x, "duplicate key '%s' (first set on line %d)",
		    keys[k].name, x->key_line[k]);
		goto fail;
	}
	x->key_line[k] = x->lineno;
	/* An empty value leaves the default. */
	rc = buf_str(&v)[0] == '\0' ? 0 : key_set(x, (enum key)k,
	    buf_str(&v));
	buf_free(&v);
	return rc;
fail:
	buf_free(&v);
	return -1;
}

/*
 * Keep "key = value" of a checked line (eq: offset of the '=', klen: the
 * key's length without trailing blanks) as x->key and x->value, the value
 * without blanks at either end.  Both fit: n <= CONFIG_LINE_MAX.
 */
static void
line_keyval(struct ctx *x, const char *p, size_t n, size_t eq, size_t klen)
{
	size_t	i, end;

	memcpy(x->key, p, klen);
	x->key[klen] = '\0';
	for (i = eq + 1; i < n && is_blank(p[i]); i++)
		;
	for (end = n; end > i && is_blank(p[end - 1]); end--)
		;
	memcpy(x->value, p + i, end - i);
	x->value[end - i] = '\0';
	x->pending = 1;
}

/*
 * Check one physical line before libinih sees it.  Returns -1 on error,
 * 0 when libinih should see a blank line (blank or comment), 1 for a
 * section header (x->section set), 2 for "key = value" (x->key and
 * x->value set).
 */
static int
line_check(struct ctx *x, const char *p, size_t n)
{
	const char	*eq, *close;
	size_t		 i, len;
	int		 s;

	if (n == 0)
		return 0;
	if (is_blank(p[0])) {
		for (i = 0; i < n; i++)
			if (!is_blank(p[i]))
				return ctx_fail(x, "indented line (continuation "
				    "lines are not supported)");
		return 0;
	}
	if (p[0] == ';' || p[0] == '#')
		return 0;
	if (p[0] == '[') {
		close = memchr(p, ']', n);
		if (close == NULL)
			return ctx_fail(x, "expected '[section]'");
		for (i = (size_t)(close - p) + 1; i < n; i++)
			if (!is_blank(p[i]))
				return ctx_fail(x, "text after ']' (comments "
				    "must be on their own line)");
		len = (size_t)(close - p) - 1;
		for (s = 0; s < SECT_COUNT; s++)
			if (strlen(sect_names[s]) == len &&
			    memcmp(sect_names[s], p + 1, len) == 0)
				break;
		if (s == SECT_COUNT)
			return ctx_fail(x, "unknown section [%.*s]",
			    (int)(len > 64 ? 64 : len), p + 1);
		if (x->sect_seen & (1U << s))
			return ctx_fail(x, "duplicate section [%s]",
			    sect_names[s]);
		x->sect_seen |= 1U << s;
		x->section = s;
		return 1;
	}
	if ((eq = memchr(p, '=', n)) == NULL)
		return ctx_fail(x, "expected 'key = value'");
	if (memchr(p, ':', (size_t)(eq - p)) != NULL)
		return ctx_fail(x, "':' in key name");
	for (len = (size_t)(eq - p); len > 0 && is_blank(p[len - 1]); len--)
		;
	if (len == 0)
		return ctx_fail(x, "missing key name");
	if (x->section == SECT_NONE)
		return ctx_fail(x, "key outside of a [section]");
	line_keyval(x, p, n, (size_t)(eq - p), len);
	return 2;
}

/* libinih reader: hand over one checked line, or NULL at EOF or error. */
static char *
config_reader(char *str, int num, void *stream)
{
	struct ctx	*x = stream;
	const char	*p, *nl, *canon;
	size_t		 n, need;
	int		 kind;

	if (x->failed || x->pos >= x->len)
		return NULL;
	p = x->data + x->pos;
	nl = memchr(p, '\n', x->len - x->pos);
	n = nl != NULL ? (size_t)(nl - p) : x->len - x->pos;
	x->pos += n + (nl != NULL);
	x->lineno++;
	if (x->lineno == 1 && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		n -= 3;
	}
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n > CONFIG_LINE_MAX) {
		ctx_fail(x, "line too long (more than %d characters)",
		    CONFIG_LINE_MAX);
		return NULL;
	}
	if ((kind = line_check(x, p, n)) == -1)
		return NULL;
	/* The canonical line: what every inih build reads the same way. */
	if (kind == 1)
		canon = sect_names[x->section];
	else if (kind == 2)
		canon = "k=v";
	else
		canon = "";
	need = strlen(canon) + (kind == 1 ? 2 : 0) + 2;
	if (num < 0 || (size_t)num < need) {
		ctx_fail(x, "internal error: libinih line buffer of %d bytes",
		    num);
		return NULL;
	}
	if (kind == 1)
		snprintf(str, (size_t)num, "[%s]\n", canon);
	else
		snprintf(str, (size_t)num, "%s\n", canon);
	return str;
}

/* Run libinih over x->data through config_reader(), whatever its build. */
static int
config_parse(struct ctx *x)
{
	int	 rc;

	rc = ini_parse_stream(config_reader, x, config_handler, x);
	if (x->failed)
		return -1;
	if (rc != 0) {
		if (rc > 0)
			x->lineno = rc;
		return ctx_fail(x, "syntax error");
	}
	return 0;
}

/* [dkim]: all three of domain, selector and key_file, or none. */
static int
dkim_finish(struct ctx *x)
{
	struct config	*c = x->c;
	int		 n;

	n = (c->dkim_domain != NULL) + (c->dkim_selector != NULL) +
	    (c->dkim_key_file != NULL);
	if (n == 0 || n == 3)
		return 0;
	x->lineno = x->key_line[K_DKIM_DOMAIN] ? x->key_line[K_DKIM_DOMAIN] :
	    x->key_line[K_DKIM_SELECTOR] ? x->key_line[K_DKIM_SELECTOR] :
	    x->key_line[K_DKIM_KEY_FILE];
	return ctx_fail(x, "[dkim] signs only with domain, selector and "
	    "key_file all set");
}

/* At most one secret, and a secret needs user (the latest line is named). */
static int
finish_secret(struct ctx *x)
{
	struct config	*c = x->c;
	int		 nsecret = 0, last = 0;
	enum key	 k, sk[] = { K_PASSWORD, K_PASSWORD_FILE,
			    K_PASSWORD_COMMAND };
	size_t		 i;

	for (i = 0; i < sizeof(sk) / sizeof(sk[0]); i++) {
		k = sk[i];
		if ((k == K_PASSWORD && c->password != NULL) ||
		    (k == K_PASSWORD_FILE && c->password_file != NULL) ||
		    (k == K_PASSWORD_COMMAND && c->password_command != NULL)) {
			nsecret++;
			if (x->key_line[k] > last)
				last = x->key_line[k];
		}
	}
	if (nsecret > 1) {
		x->lineno = last;
		return ctx_fail(x, "only one of password, password_file and "
		    "password_command may be set");
	}
	if (nsecret == 1 && c->user == NULL) {
		x->lineno = last;
		return ctx_fail(x, "a password needs user");
	}
	return 0;
}

/* The port when none is set: 587 for STARTTLS, 465 implicit, 25 none. */
static unsigned
default_port(enum config_tls tls)
{
	switch (tls) {
	case CONFIG_TLS_STARTTLS:
		return 587;
	case CONFIG_TLS_IMPLICIT:
		return 465;
	default:
		return 25;
	}
}

/* Checks that need the whole file; line is the key that is wrong. */
static int
config_finish(struct ctx *x)
{
	struct config	*c = x->c;
	enum key	 k;

	if (c->nhosts == 0)
		return err_set(x->e, ERR_CONFIG,
		    "%s: [smarthost] host is required", x->name);
	if (!c->tls_verify && c->tls_fingerprint == NULL) {
		x->lineno = x->key_line[K_TLS_VERIFY];
		return ctx_fail(x, "tls_verify = no requires tls_fingerprint");
	}
	/* A pin is enough (SPEC 0.2): a pin and no tls_verify line means
	 * the pin alone is the check; tls_verify = yes adds chain and name. */
	if (c->tls_fingerprint != NULL && x->key_line[K_TLS_VERIFY] == 0)
		c->tls_verify = 0;
	if (finish_secret(x) == -1)
		return -1;
	if ((c->tls_client_cert == NULL) != (c->tls_client_key == NULL)) {
		k = c->tls_client_cert != NULL ? K_TLS_CLIENT_CERT :
		    K_TLS_CLIENT_KEY;
		x->lineno = x->key_line[k];
		return ctx_fail(x, "tls_client_cert and tls_client_key must "
		    "be set together");
	}
	if (dkim_finish(x) == -1)
		return -1;
	if (c->retry > c->retry_max) {
		x->lineno = x->key_line[K_RETRY] > x->key_line[K_RETRY_MAX] ?
		    x->key_line[K_RETRY] : x->key_line[K_RETRY_MAX];
		return ctx_fail(x, "retry is longer than retry_max");
	}
	if (!x->port_set)
		c->port = default_port(c->tls);
	return 0;
}

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->port = 587;			/* resolved from tls after loading */
	c->tls = CONFIG_TLS_STARTTLS;
	c->tls_verify = 1;
	c->tls_min_version = 12;
	c->tls_session_cache = 1;
	c->auth_auto = 1;
	c->auth_mechs = AUTH_MECH_ALL;
	c->timeout = 60;
	c->from_header = CONFIG_FROM_ADD;
	c->allow_from_override = 1;
	c->queue_dir = (char *)default_queue_dir;
	c->delivery = CONFIG_DELIVERY_INTERACTIVE;
	c->queue_enabled = 1;
	c->retry = 60;
	c->retry_max = 3600;
	c->lifetime = 5 * 86400;
	c->max_message_size = CONFIG_MAX_MESSAGE_SIZE;
	c->delay_warning = 4 * 3600;
	c->syslog_facility = LOG_MAIL;
	c->dkim_header_relaxed = 1;
	c->dkim_body_relaxed = 1;
}

void
config_free(struct config *c)
{
	size_t	i;

	if (c->password != NULL) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	if (c->password_command != NULL) {
		explicit_bzero(c->password_command,
		    strlen(c->password_command));
		free(c->password_command);
	}
	free(c->path);
	for (i = 0; i < c->nhosts; i++)
		free(c->hosts[i]);
	free(c->tls_ca_file);
	free(c->tls_fingerprint);
	free(c->tls_client_cert);
	free(c->tls_client_key);
	free(c->user);
	free(c->password_file);
	free(c->helo);
	free(c->from);
	free(c->domain);
	free(c->aliases_file);
	for (i = 0; i < c->naliases; i++) {
		free(c->aliases[i].name);
		free(c->aliases[i].targets);
	}
	free(c->aliases);
	if (c->queue_dir != default_queue_dir)
		free(c->queue_dir);
	free(c->log_file);
	free(c->dkim_domain);
	free(c->dkim_selector);
	free(c->dkim_key_file);
	free(c->dkim_headers);
	config_defaults(c);
}

/*
 * fstat checks shared by the config file and password_file; what is the
 * name for messages.  When privileged, a file that an unprivileged user
 * could have written would let that user choose the smarthost (and so
 * capture the password): require root and no group or other write bit.
 */
static int
check_file(int fd, const char *what, int privileged, struct stat *st,
    struct err *e)
{
	if (fstat(fd, st) == -1)
		return err_set(e, ERR_CONFIG, "%s: %s", what, strerror(errno));
	if (!S_ISREG(st->st_mode))
		return err_set(e, ERR_CONFIG, "%s: not a regular file", what);
	if (privileged && st->st_uid != 0)
		return err_set(e, ERR_CONFIG, "%s: not owned by root "
		    "(required when running privileged)", what);
	if (privileged && (st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return err_set(e, ERR_CONFIG, "%s: writable by group or others "
		    "(mode %04o)", what, (unsigned)(st->st_mode & 07777));
	return 0;
}

static int
check_secret_mode(const struct stat *st, const char *what, struct err *e)
{
	if ((st->st_mode & S_IRWXO) != 0)
		return err_set(e, ERR_CONFIG, "%s: holds a password but is "
		    "world-readable or -writable (mode %04o; chmod o-rwx)",
		    what, (unsigned)(st->st_mode & 07777));
	return 0;
}

/* Open for reading without following a symlink or blocking on a FIFO. */
static int
open_checked(const char *path, const char *what, struct err *e)
{
	int	fd, fl;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		if (errno == ELOOP)
			return err_set(e, ERR_CONFIG, "%s: is a symbolic link "
			    "(refused)", what);
		return err_set(e, ERR_CONFIG, "%s: %s", what, strerror(errno));
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
		err_set(e, ERR_CONFIG, "%s: %s", what, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Read fd to EOF into b (whose limit bounds it).  With stop_at_nl, stop
 * once a newline has been read.  Returns 0, or -1 with errno.
 */
static int
read_all(int fd, struct buf *b, int stop_at_nl)
{
	char	chunk[4096];
	ssize_t	n;
	int	rc = 0;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		if (buf_add(b, chunk, (size_t)n) == -1) {
			rc = -1;
			break;
		}
		if (stop_at_nl && memchr(chunk, '\n', (size_t)n) != NULL)
			break;
	}
	explicit_bzero(chunk, sizeof(chunk));
	return rc;
}

int
config_load_fd(struct config *c, int fd, const char *name, int privileged,
    struct err *e)
{
	struct ctx	 x;
	struct stat	 st;
	struct buf	 b;
	const char	*nul, *p;

	config_defaults(c);
	if (check_file(fd, name, privileged, &st, e) == -1)
		return -1;
	if ((c->path = strdup(name)) == NULL)
		return err_set(e, ERR_SOFTWARE, "%s: out of memory", name);

	buf_init(&b, CONFIG_FILE_MAX);
	if (read_all(fd, &b, 0) == -1) {
		if (errno == E2BIG)
			err_set(e, ERR_CONFIG, "%s: larger than %d bytes",
			    name, CONFIG_FILE_MAX);
		else
			err_set(e, ERR_CONFIG, "%s: %s", name,
			    strerror(errno));
		goto fail;
	}

	memset(&x, 0, sizeof(x));
	x.c = c;
	x.name = name;
	x.privileged = privileged;
	x.e = e;
	x.data = buf_str(&b);
	x.len = b.len;
	x.section = SECT_NONE;

	if ((nul = memchr(x.data, '\0', x.len)) != NULL) {
		x.lineno = 1;
		for (p = x.data; p < nul; p++)
			if (*p == '\n')
				x.lineno++;
		ctx_fail(&x, "NUL byte");
		goto fail;
	}
	if (config_parse(&x) == -1 || config_finish(&x) == -1)
		goto fail;
	if (c->password != NULL && check_secret_mode(&st, name, e) == -1)
		goto fail;
	/*
	 * harden (issue 11): a file anyone may write lets anyone choose the
	 * smarthost, and so read the mail and capture the password wherever
	 * it is kept; refused for every caller, not only privileged ones.
	 */
	if ((st.st_mode & S_IWOTH) != 0) {
		err_set(e, ERR_CONFIG, "%s: writable by others (mode %04o): "
		    "anyone could choose the smarthost (chmod o-w)", name,
		    (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	buf_free(&b);
	return 0;
fail:
	buf_free(&b);
	config_free(c);
	return -1;
}

int
config_load(struct config *c, const char *path, int privileged,
    struct err *e)
{
	int	fd, rc;

	config_defaults(c);
	if ((fd = open_checked(path, path, e)) == -1)
		return -1;
	rc = config_load_fd(c, fd, path, privileged, e);
	close(fd);
	return rc;
}

/*
 * The first line of b as a new string, without its line ending.  what
 * names the source in messages.
 */
static char *
first_line(struct buf *b, const char *what, struct err *e)
{
	const char	*p = buf_str(b), *nl;
	size_t		 n;
	char		*s;

	nl = memchr(p, '\n', b->len);
	n = nl != NULL ? (size_t)(nl - p) : b->len;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (memchr(p, '\0', n) != NULL) {
		err_set(e, ERR_CONFIG, "%s: NUL byte in the secret", what);
		return NULL;
	}
	if (n == 0) {
		err_set(e, ERR_CONFIG, "%s: empty secret", what);
		return NULL;
	}
	if ((s = strndup(p, n)) == NULL)
		err_set(e, ERR_SOFTWARE, "%s: out of memory", what);
	return s;
}

static char *
secret_file(const char *path, int privileged, struct err *e)
{
	struct stat	 st;
	struct buf	 b;
	char		*s = NULL;
	int		 fd;

	if ((fd = open_checked(path, path, e)) == -1)
		return NULL;
	/*
	 * Others may read it only when not privileged: containers mount
	 * secrets root-owned 0444 or 0644, and an unprivileged run reads
	 * with the caller's own rights anyway.  A privileged run guards the
	 * group's secret, so it must not be readable by others.
	 */
	if (check_file(fd, path, privileged, &st, e) == -1 ||
	    (privileged && check_secret_mode(&st, path, e) == -1)) {
		close(fd);
		return NULL;
	}
	buf_init(&b, BUF_LIMIT_CONFIG);
	if (read_all(fd, &b, 1) == -1) {
		if (errno == E2BIG)
			err_set(e, ERR_CONFIG, "%s: first line too long",
			    path);
		else
			err_set(e, ERR_CONFIG, "%s: %s", path,
			    strerror(errno));
	} else
		s = first_line(&b, path, e);
	buf_free(&b);
	close(fd);
	return s;
}

int
config_open_secret(const char *path, int privileged, struct err *e)
{
	struct stat	 st;
	int		 fd;

	if ((fd = open_checked(path, path, e)) == -1)
		return -1;
	if (check_file(fd, path, privileged, &st, e) == -1) {
		close(fd);
		return -1;
	}
	/* Others may read it only when not privileged, as secret_file(). */
	if (privileged && (st.st_mode & S_IRWXO) != 0) {
		close(fd);
		return err_set(e, ERR_CONFIG, "%s: holds a private key but is "
		    "accessible by others (mode %04o; chmod o-rwx)", path,
		    (unsigned)(st.st_mode & 07777));
	}
	return fd;
}

/* Wait for pid; returns its status, or -1. */
static int
reap(pid_t pid)
{
	int	status;

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return status;
}

static char *
secret_command(const char *cmd, unsigned timeout, struct err *e)
{
	const char	*what = "password_command";
	struct buf	 b;
	struct err	 we;
	char		 chunk[512];
	char		*s = NULL;
	long long	 deadline;
	ssize_t		 n;
	pid_t		 pid;
	int		 p[2], null, status;

	if (pipe2(p, O_CLOEXEC) == -1) {
		err_set(e, ERR_CONFIG, "%s: pipe: %s", what, strerror(errno));
		return NULL;
	}
	if ((pid = fork()) == -1) {
		err_set(e, ERR_CONFIG, "%s: fork: %s", what, strerror(errno));
		close(p[0]);
		close(p[1]);
		return NULL;
	}
	if (pid == 0) {
		/* Child: stdin is the message, so never let it read that. */
		null = open("/dev/null", O_RDONLY);
		if (null == -1 || dup2(null, 0) == -1 || dup2(p[1], 1) == -1)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);

	buf_init(&b, BUF_LIMIT_CONFIG);
	deadline = clock_now_ms() + (long long)timeout * 1000;
	for (;;) {
		if (io_wait(p[0], POLLIN, deadline, &we) == -1) {
			if (clock_now_ms() >= deadline)
				err_set(e, ERR_CONFIG, "%s: timed out after "
				    "%us", what, timeout);
			else
				err_set(e, ERR_CONFIG, "%s: %s", what, we.msg);
			goto kill;
		}
		n = read(p[0], chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			err_set(e, ERR_CONFIG, "%s: read: %s", what,
			    strerror(errno));
			goto kill;
		}
		if (n == 0)
			break;
		if (buf_add(&b, chunk, (size_t)n) == -1) {
			err_set(e, ERR_CONFIG, "%s: more than %d bytes of "
			    "output", what, BUF_LIMIT_CONFIG);
			goto kill;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	close(p[0]);
	status = reap(pid);
	if (status == -1)
		err_set(e, ERR_CONFIG, "%s: wait: %s", what, strerror(errno));
	else if (WIFSIGNALED(status))
		err_set(e, ERR_CONFIG, "%s: killed by signal %d", what,
		    WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		err_set(e, ERR_CONFIG, "%s: exited with status %d", what,
		    WEXITSTATUS(status));
	else
		s = first_line(&b, what, e);
	buf_free(&b);
	return s;
kill:
	explicit_bzero(chunk, sizeof(chunk));
	close(p[0]);
	kill(pid, SIGKILL);
	reap(pid);
	buf_free(&b);
	return NULL;
}

char *
config_secret(const struct config *c, int privileged, struct err *e)
{
	char	*s;

	if (c->password != NULL) {
		if ((s = strdup(c->password)) == NULL)
			err_set(e, ERR_SOFTWARE, "out of memory");
		return s;
	}
	if (c->password_file != NULL)
		return secret_file(c->password_file, privileged, e);
	if (c->password_command != NULL) {
		if (privileged) {
			err_set(e, ERR_CONFIG, "%s: password_command is not "
			    "allowed when running privileged",
			    c->path != NULL ? c->path : "config");
			return NULL;
		}
		return secret_command(c->password_command,
		    c->timeout > 0 ? c->timeout : 60, e);
	}
	err_set(e, ERR_CONFIG, "%s: no password, password_file or "
	    "password_command is set", c->path != NULL ? c->path : "config");
	return NULL;
}

/*
 * The first line of a mailname file into out (len bytes), blanks at its
 * end removed; "" when the file is missing, not a regular file, or the
 * line does not fit.
 */
static void
mailname_read(const char *path, char *out, size_t len)
{
	struct stat	 st;
	struct buf	 b;
	const char	*p;
	size_t		 n;
	int		 fd;

	out[0] = '\0';
	if (path == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC |
	    O_NONBLOCK)) == -1)
		return;
	buf_init(&b, 1024);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (read_all(fd, &b, 1) == 0 || errno == E2BIG)) {
		p = buf_str(&b);
		n = strcspn(p, "\r\n");
		while (n > 0 && is_blank(p[n - 1]))
			n--;
		if (n > 0 && n < len) {
			memcpy(out, p, n);
			out[n] = '\0';
		}
	}
	buf_free(&b);
	close(fd);
}

/*
 * This host's name into out when it has a dot: gethostname(), else the
 * canonical name the resolver gives for it.  "" otherwise.
 */
static void
dotted_hostname(char *out, size_t len)
{
	struct addrinfo	 hints, *res = NULL;
	char		 host[256];

	out[0] = '\0';
	if (gethostname(host, sizeof(host)) == -1)
		return;
	host[sizeof(host) - 1] = '\0';
	if (strchr(host, '.') != NULL && check_hostname(host) == 0) {
		snprintf(out, len, "%s", host);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL)
		return;
	if (res->ai_canonname != NULL && strchr(res->ai_canonname, '.') !=
	    NULL && strlen(res->ai_canonname) < len &&
	    check_hostname(res->ai_canonname) == 0)
		snprintf(out, len, "%s", res->ai_canonname);
	freeaddrinfo(res);
}

/*
 * [sender] domain when the file does not set it (SPEC 0.2): the first line
 * of mailname (Debian's /etc/mailname), when it is a valid host name, else
 * this host's name when it has a dot (gethostname, then its canonical name
 * from the resolver, which reads /etc/hosts first).  Leaves c->domain NULL
 * when neither gives a dotted name.  Returns 0, or -1 when out of memory.
 */
int
config_default_domain(struct config *c, const char *mailname, struct err *e)
{
	char	name[256];

	if (c->domain != NULL)
		return 0;
	mailname_read(mailname, name, sizeof(name));
	if (name[0] == '\0' || check_hostname(name) == -1)
		dotted_hostname(name, sizeof(name));
	if (name[0] == '\0')
		return 0;
	if ((c->domain = strdup(name)) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	return 0;
}

int
config_read(struct config *c, const char *path, int privileged,
    struct err *e)
{
	config_defaults(c);
	if (config_load(c, path, privileged, e) == -1)
		return -1;
	/* [sender] domain unset: /etc/mailname, else a dotted FQDN. */
	return config_default_domain(c, CONFIG_MAILNAME_PATH, e);
}
