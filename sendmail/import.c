/*
 * import.c -- msmtprc, ssmtp.conf, dma.conf and nullmailer remotes to
 * postern.ini (see import.h).
 *
 * Each format is learnt from its own documentation and code (msmtp(1),
 * ssmtp.conf(5) and ssmtp.c's read_config(), dma(8) and conf.c,
 * nullmailer-send(8), nullmailer-inject(1), nullmailer-queue(8)).  A parser
 * fills a struct src with what the source says, each value with the file
 * and line it came from; build() then decides what postern should do,
 * checks every value by loading it with config.c, and emit() writes the
 * file.  Security assumptions: the input is untrusted bytes (a user may
 * import anything, the fuzz target does); nothing here runs a command or
 * opens a file itself (fs does); secrets (passwords, password commands)
 * never appear in comments or messages.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alias.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "import.h"
#include "params.h"

#define IMPORT_STRS_MAX		256	/* computed strings per conversion */
#define IMPORT_SIBLINGS_MAX	12	/* other files read per conversion */
#define IMPORT_ALIASES_MAX	8
#define MSMTP_ACCOUNTS_MAX	64
#define MSMTP_ENTRIES_MAX	96	/* distinct commands per account */
#define WRAP			76	/* comment text per line */

/* ------------------------------------------------------------ the model */

/* One value from a source file. */
struct sval {
	const char	*v;		/* NULL: not set */
	const char	*file;
	int		 line;
};

/* What the source says, in postern's terms. */
struct src {
	const char	*format;	/* "msmtprc" ... */
	struct sval	 host[CONFIG_MAX_HOSTS];
	size_t		 nhosts;
	struct sval	 port;
	int		 tls;		/* enum config_tls */
	struct sval	 tls_src;	/* the line that chose TLS */
	const char	*weak;		/* why the source did not verify */
	struct sval	 weak_src;
	int		 pin_only;	/* the source checked only the pin */
	struct sval	 ca_file, fingerprint, client_cert, client_key;
	struct sval	 auth, user, password, password_command;
	struct sval	 helo, timeout, from, domain, from_header;
	struct sval	 allow_from_override, aliases_file, delivery;
	struct sval	 syslog, log_file;
	struct sval	 alias_name[IMPORT_ALIASES_MAX];
	struct sval	 alias_to[IMPORT_ALIASES_MAX];
	size_t		 naliases;
};

enum okey {
	O_HOST, O_PORT, O_TLS, O_TLS_VERIFY, O_TLS_CA_FILE, O_TLS_FINGERPRINT,
	O_TLS_CLIENT_CERT, O_TLS_CLIENT_KEY, O_AUTH, O_USER, O_PASSWORD,
	O_PASSWORD_COMMAND, O_HELO, O_TIMEOUT, O_FROM, O_DOMAIN,
	O_FROM_HEADER, O_ALLOW_FROM_OVERRIDE, O_ALIASES_FILE, O_DELIVERY,
	O_SYSLOG, O_LOG_FILE,
	O_COUNT
};

static const struct {
	const char	*sect;
	const char	*key;
	int		 secret;
} okeys[O_COUNT] = {
	[O_HOST] = { "smarthost", "host", 0 },
	[O_PORT] = { "smarthost", "port", 0 },
	[O_TLS] = { "smarthost", "tls", 0 },
	[O_TLS_VERIFY] = { "smarthost", "tls_verify", 0 },
	[O_TLS_CA_FILE] = { "smarthost", "tls_ca_file", 0 },
	[O_TLS_FINGERPRINT] = { "smarthost", "tls_fingerprint", 0 },
	[O_TLS_CLIENT_CERT] = { "smarthost", "tls_client_cert", 0 },
	[O_TLS_CLIENT_KEY] = { "smarthost", "tls_client_key", 0 },
	[O_AUTH] = { "smarthost", "auth", 0 },
	[O_USER] = { "smarthost", "user", 0 },
	[O_PASSWORD] = { "smarthost", "password", 1 },
	[O_PASSWORD_COMMAND] = { "smarthost", "password_command", 1 },
	[O_HELO] = { "smarthost", "helo", 0 },
	[O_TIMEOUT] = { "smarthost", "timeout", 0 },
	[O_FROM] = { "sender", "from", 0 },
	[O_DOMAIN] = { "sender", "domain", 0 },
	[O_FROM_HEADER] = { "sender", "from_header", 0 },
	[O_ALLOW_FROM_OVERRIDE] = { "sender", "allow_from_override", 0 },
	[O_ALIASES_FILE] = { "sender", "aliases_file", 0 },
	[O_DELIVERY] = { "queue", "delivery", 0 },
	[O_SYSLOG] = { "log", "syslog", 0 },
	[O_LOG_FILE] = { "log", "file", 0 },
};

static const char *const sections[] = {
	"smarthost", "sender", "aliases", "queue", "log"
};

struct oval {
	const char	*value;
	struct sval	 from;		/* where it came from */
	char		*comment;	/* malloc'd, or NULL */
};

struct conv {
	const char		*name;
	const char		*account;
	const struct import_fs	*fs;
	struct src		 s;
	struct oval		 o[O_COUNT];
	struct sval		 al_name[IMPORT_ALIASES_MAX];
	struct sval		 al_to[IMPORT_ALIASES_MAX];
	char			*al_comment[IMPORT_ALIASES_MAX];
	size_t			 nal;
	struct buf		 notes;		/* "# ..." lines */
	struct buf		 head;
	char			*strs[IMPORT_STRS_MAX];
	size_t			 nstrs;
	struct buf		 files[IMPORT_SIBLINGS_MAX];
	size_t			 nfiles;
	int			 nomem;
	struct err		*e;
};

/* ------------------------------------------------------------ helpers */

static char	*keepf(struct conv *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 note(struct conv *, const struct sval *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 notef(struct conv *, const char *, int, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

/* A string that lives as long as the conversion. */
static char *
keepf(struct conv *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	if (c->nstrs == IMPORT_STRS_MAX) {
		c->nomem = 1;
		return NULL;
	}
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		c->nomem = 1;
		return NULL;
	}
	c->strs[c->nstrs++] = s;
	return s;
}

static int
is_blank(int ch)
{
	return ch == ' ' || ch == '\t';
}

static char *
trim(char *s)
{
	size_t	n;

	while (is_blank((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && (is_blank((unsigned char)s[n - 1]) || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/*
 * Append text as comment lines of at most WRAP characters, broken at
 * blanks; control characters are shown as '?'.
 */
static void
wrap(struct conv *c, struct buf *b, const char *text)
{
	const char	*p = text, *end, *brk;
	size_t		 n, i;
	int		 rc = 0;

	while (*p != '\0') {
		n = strlen(p);
		if (n > WRAP) {
			end = p + WRAP;
			for (brk = end; brk > p && *brk != ' '; brk--)
				;
			if (brk > p)
				end = brk;
		} else
			end = p + n;
		rc |= buf_adds(b, "# ");
		for (i = 0; p + i < end; i++)
			rc |= buf_addc(b, (unsigned char)p[i] < 0x20 ||
			    p[i] == 0x7f ? '?' : p[i]);
		rc |= buf_addc(b, '\n');
		p = end;
		while (*p == ' ')
			p++;
	}
	if (rc != 0)
		c->nomem = 1;
}

static void vnote(struct conv *, const char *, int, const char *, va_list)
    __attribute__((format(printf, 4, 0)));

static void
vnote(struct conv *c, const char *file, int line, const char *fmt,
    va_list ap)
{
	char	msg[1024], full[1200];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		snprintf(full, sizeof(full), "%s:%d: %s", file, line, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", file, msg);
	wrap(c, &c->notes, full);
}

/* A "not carried over" comment about a source value. */
static void
note(struct conv *c, const struct sval *v, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vnote(c, v->file != NULL ? v->file : c->name, v->line, fmt, ap);
	va_end(ap);
}

static void
notef(struct conv *c, const char *file, int line, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vnote(c, file, line, fmt, ap);
	va_end(ap);
}

static struct sval
sv(const char *v, const char *file, int line)
{
	struct sval	s = { v, file, line };

	return s;
}

static int
is_onoff(const char *v, int *on)
{
	if (*v == '\0' || strcasecmp(v, "on") == 0 ||
	    strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0)
		*on = 1;
	else if (strcasecmp(v, "off") == 0 || strcasecmp(v, "no") == 0 ||
	    strcasecmp(v, "false") == 0)
		*on = 0;
	else
		return 0;
	return 1;
}

static int
is_loopback(const char *h)
{
	return strcasecmp(h, "localhost") == 0 || strncmp(h, "127.", 4) == 0 ||
	    strcmp(h, "::1") == 0 || strcmp(h, "[::1]") == 0;
}

/* The file called base in the directory of the source file. */
static const char *
sibling(struct conv *c, const char *base)
{
	const char	*slash = strrchr(c->name, '/');

	if (slash == NULL)
		return base;
	return keepf(c, "%.*s/%s", (int)(slash - c->name), c->name, base);
}

/*
 * Read another file through c->fs into a buffer kept for the conversion;
 * its text is NUL-terminated.  NULL when it cannot be read (ENOENT: it
 * does not exist) or holds a NUL byte.
 */
static char *
read_other(struct conv *c, const char *path, int *err)
{
	struct buf	*b;

	*err = ENOENT;
	if (path == NULL || c->fs == NULL || c->fs->read == NULL ||
	    c->nfiles == IMPORT_SIBLINGS_MAX)
		return NULL;
	b = &c->files[c->nfiles++];
	buf_init(b, IMPORT_FILE_MAX);
	errno = 0;
	if (c->fs->read(c->fs->arg, path, b) == -1) {
		*err = errno != 0 ? errno : EIO;
		return NULL;
	}
	if (memchr(b->data == NULL ? "" : b->data, '\0', b->len) != NULL) {
		*err = EINVAL;
		return NULL;
	}
	*err = 0;
	return b->data == NULL ? keepf(c, "%s", "") : b->data;
}

/* The first line of a file beside the source, trimmed; NULL if none. */
static char *
first_line_of(struct conv *c, const char *path)
{
	char	*t, *nl;
	int	 err;

	if ((t = read_other(c, path, &err)) == NULL)
		return NULL;
	if ((nl = strchr(t, '\n')) != NULL)
		*nl = '\0';
	t = trim(t);
	return *t == '\0' ? NULL : t;
}

/* Iterate over the lines of a mutable, NUL-terminated text. */
struct lines {
	char	*p;
	int	 lineno;
};

static char *
next_line(struct lines *l)
{
	char	*s = l->p, *nl;

	if (s == NULL || *s == '\0')
		return NULL;
	if ((nl = strchr(s, '\n')) != NULL) {
		*nl = '\0';
		l->p = nl + 1;
	} else
		l->p = s + strlen(s);
	l->lineno++;
	return s;
}

/* ------------------------------------------------------------ checking */

/* Load text (a whole postern.ini) with config.c, from a memfd. */
static int
load_text(const char *text, size_t len, struct config *cfg, struct err *e)
{
	int	fd, rc;

	if ((fd = memfd_create("postern-import", MFD_CLOEXEC)) == -1)
		return err_set(e, ERR_SOFTWARE, "memfd_create: %s",
		    strerror(errno));
	if (fchmod(fd, 0600) == -1 || write(fd, text, len) != (ssize_t)len ||
	    lseek(fd, 0, SEEK_SET) == -1) {
		close(fd);
		return err_set(e, ERR_SOFTWARE, "memfd: %s", strerror(errno));
	}
	rc = config_load_fd(cfg, fd, "check", 0, e);
	close(fd);
	return rc;
}

/* config.c's reason without the "check:LINE: " it starts with. */
static const char *
reason(const struct err *e)
{
	const char	*p = e->msg;

	if (strncmp(p, "check:", 6) != 0)
		return p;
	p += 6;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == ':')
		p++;
	while (*p == ' ')
		p++;
	return p;
}

/* Checks every value must pass before config.c sees it. */
static const char *
value_shape(const char *key, const char *v)
{
	size_t	 n = strlen(v), i;

	if (n == 0)
		return "empty";
	if (strlen(key) + 3 + n > CONFIG_LINE_MAX)
		return "too long for one line of postern.ini";
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return "it holds a control character";
	if (strstr(v, "${") != NULL)
		return "it holds \"${\", which postern.ini would read as an "
		    "environment variable";
	if (is_blank((unsigned char)v[0]) || is_blank((unsigned char)v[n - 1]))
		return "it starts or ends with a blank";
	return NULL;
}

/*
 * Would postern accept key = v?  Loads a small file holding it (and what
 * it needs to be valid on its own).  Returns NULL, or the reason.
 */
static const char *
check_value(struct conv *c, enum okey k, const char *v, struct err *why)
{
	struct config	 cfg;
	struct buf	 t;
	const char	*shape;
	int		 rc = 0;

	if ((shape = value_shape(okeys[k].key, v)) != NULL)
		return shape;
	buf_init(&t, 4 * CONFIG_LINE_MAX);
	if (k == O_HOST)
		rc |= buf_printf(&t, "[smarthost]\nhost = %s\n", v);
	else
		rc |= buf_adds(&t, "[smarthost]\nhost = localhost\n");
	if (k == O_PASSWORD || k == O_PASSWORD_COMMAND)
		rc |= buf_adds(&t, "user = u\n");
	if (k == O_TLS_CLIENT_CERT)
		rc |= buf_adds(&t, "tls_client_key = /k\n");
	if (k == O_TLS_CLIENT_KEY)
		rc |= buf_adds(&t, "tls_client_cert = /c\n");
	if (k == O_TLS_VERIFY)
		rc |= buf_adds(&t, "tls_fingerprint = sha256:"
		    "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
		    "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00\n");
	if (k != O_HOST && strcmp(okeys[k].sect, "smarthost") != 0)
		rc |= buf_printf(&t, "[%s]\n", okeys[k].sect);
	if (k != O_HOST)
		rc |= buf_printf(&t, "%s = %s\n", okeys[k].key, v);
	if (rc != 0) {
		buf_free(&t);
		return "too long";
	}
	rc = load_text(t.data, t.len, &cfg, why);
	buf_free(&t);
	if (rc == -1) {
		if (why->cls == ERR_SOFTWARE)
			c->nomem = 1;
		return reason(why);
	}
	config_free(&cfg);
	return NULL;
}

/* The same for an [aliases] entry, also through alias.c. */
static const char *
check_alias(struct conv *c, const char *name, const char *to,
    struct err *why)
{
	struct config		 cfg;
	struct alias_params	 ap;
	struct aliases		*al;
	struct buf		 t;
	const char		*shape;
	int			 rc;

	if ((shape = value_shape(name, to)) != NULL)
		return shape;
	buf_init(&t, 2 * CONFIG_LINE_MAX + 64);
	if (buf_printf(&t, "[smarthost]\nhost = localhost\n[aliases]\n"
	    "%s = %s\n", name, to) == -1) {
		buf_free(&t);
		return "too long";
	}
	rc = load_text(t.data, t.len, &cfg, why);
	buf_free(&t);
	if (rc == -1)
		return reason(why);
	params_alias(&cfg, &ap);
	rc = aliases_load(&al, &ap, why);
	config_free(&cfg);
	if (rc == -1)
		return why->msg;
	aliases_free(al);
	return NULL;
}

/*
 * Keep key = v (from where v came), unless postern refuses it: then the
 * refusal becomes a note.  comment (may be NULL) goes above the line.
 */
static int
oset(struct conv *c, enum okey k, const struct sval *v, const char *comment)
{
	struct err	 why;
	const char	*bad;

	if (v->v == NULL || *v->v == '\0')
		return -1;
	if ((bad = check_value(c, k, v->v, &why)) != NULL) {
		if (okeys[k].secret)
			note(c, v, "%s not carried over: postern would refuse "
			    "it (%s)", okeys[k].key, bad);
		else
			note(c, v, "%s = %.100s not carried over: %s",
			    okeys[k].key, v->v, bad);
		return -1;
	}
	free(c->o[k].comment);
	c->o[k].value = v->v;
	c->o[k].from = *v;
	c->o[k].comment = NULL;
	if (comment != NULL && (c->o[k].comment = strdup(comment)) == NULL)
		c->nomem = 1;
	return 0;
}

/* oset() for a value computed here; from names the source line. */
static int
osetc(struct conv *c, enum okey k, const char *v, const struct sval *from,
    const char *comment)
{
	struct sval	s = sv(v, from != NULL ? from->file : NULL,
			    from != NULL ? from->line : 0);

	return oset(c, k, &s, comment);
}

static void
alias_add(struct conv *c, const struct sval *name, const struct sval *to,
    const char *comment)
{
	struct err	 why;
	const char	*bad;
	size_t		 i;

	for (i = 0; i < c->nal; i++)
		if (strcasecmp(c->al_name[i].v, name->v) == 0) {
			note(c, to, "alias %.64s given twice: the first is "
			    "kept", name->v);
			return;
		}
	if (c->nal == IMPORT_ALIASES_MAX) {
		note(c, to, "too many aliases");
		return;
	}
	if ((bad = check_alias(c, name->v, to->v, &why)) != NULL) {
		note(c, to, "alias %.64s = %.100s not carried over: %s",
		    name->v, to->v, bad);
		return;
	}
	c->al_name[c->nal] = *name;
	c->al_to[c->nal] = *to;
	c->al_comment[c->nal] = comment != NULL ? strdup(comment) : NULL;
	c->nal++;
}

/* ------------------------------------------------------------ building */

static void
build_hosts(struct conv *c)
{
	struct src	*s = &c->s;
	struct err	 why;
	struct buf	 list;
	const char	*bad;
	struct sval	 first = { NULL, NULL, 0 };
	size_t		 i;

	buf_init(&list, CONFIG_LINE_MAX);
	for (i = 0; i < s->nhosts; i++) {
		if ((bad = check_value(c, O_HOST, s->host[i].v, &why)) !=
		    NULL) {
			note(c, &s->host[i], "host %.100s not carried over: %s",
			    s->host[i].v, bad);
			continue;
		}
		if (first.v == NULL)
			first = s->host[i];
		if ((list.len > 0 && buf_adds(&list, ", ") == -1) ||
		    buf_adds(&list, s->host[i].v) == -1) {
			note(c, &s->host[i], "host %.100s not carried over: "
			    "the list is too long", s->host[i].v);
			continue;
		}
	}
	if (first.v != NULL)
		osetc(c, O_HOST, keepf(c, "%s", buf_str(&list)), &first,
		    s->nhosts > 1 ? "tried in this order" : NULL);
	buf_free(&list);
}

static int
all_loopback(const struct src *s)
{
	size_t	i;

	for (i = 0; i < s->nhosts; i++)
		if (!is_loopback(s->host[i].v))
			return 0;
	return s->nhosts > 0;
}

/* tls, port, and the certificate checks. */
static void
build_tls(struct conv *c)
{
	struct src	*s = &c->s;
	const char	*mode[] = { "starttls", "implicit", "none" };
	int		 auth = s->user.v != NULL &&
			    (s->auth.v == NULL || strcmp(s->auth.v, "none") != 0);
	char		 msg[600];
	struct sval	 no;

	if (s->tls == CONFIG_TLS_NONE && auth && !all_loopback(s)) {
		snprintf(msg, sizeof(msg), "%s sent the password without "
		    "TLS; postern never sends credentials in clear to a host "
		    "that is not loopback, so this asks for STARTTLS; if the "
		    "server does not offer it, use its submission port (587, "
		    "tls = starttls) or 465 (tls = implicit)", s->format);
		s->tls = CONFIG_TLS_STARTTLS;
		osetc(c, O_TLS, "starttls", &s->tls_src, msg);
	} else
		osetc(c, O_TLS, mode[s->tls], &s->tls_src, NULL);
	oset(c, O_PORT, &s->port, NULL);
	if (s->tls == CONFIG_TLS_NONE) {
		if (s->ca_file.v != NULL || s->fingerprint.v != NULL)
			note(c, s->ca_file.v != NULL ? &s->ca_file :
			    &s->fingerprint, "the trust file or pin is not "
			    "carried over: the source used no TLS");
		return;
	}
	oset(c, O_TLS_CA_FILE, &s->ca_file, NULL);
	if (s->fingerprint.v != NULL &&
	    oset(c, O_TLS_FINGERPRINT, &s->fingerprint, NULL) == 0 &&
	    s->pin_only) {
		no = sv("no", s->fingerprint.file, s->fingerprint.line);
		snprintf(msg, sizeof(msg), "%s checked only this pin: the "
		    "pin alone is the check%s", s->format, s->weak != NULL ?
		    "; the source also turned certificate checks off, which "
		    "postern does not do" : "");
		oset(c, O_TLS_VERIFY, &no, msg);
		return;
	}
	if (s->weak != NULL) {
		snprintf(msg, sizeof(msg), "%s; postern verifies the "
		    "certificate chain and host name (against tls_ca_file, "
		    "or the system trust store). For a server with a private "
		    "or self-signed certificate, set tls_ca_file to its CA, "
		    "or pin it with tls_fingerprint (postern -bv prints it)",
		    s->weak);
		osetc(c, O_TLS_VERIFY, "yes", &s->weak_src, msg);
	}
}

static void
build_auth(struct conv *c)
{
	struct src	*s = &c->s;
	const char	*cmd_msg = "postern runs it at each connection; it "
			    "is refused when postern runs set-group-ID, so "
			    "for /etc/postern.ini of such an install use "
			    "password_file";
	const char	*pw_msg = "postern accepts the password here (the file "
			    "must then not be readable by others), but keeping "
			    "it out of the configuration is better: put it on "
			    "the first line of a file of mode 0600 (0640 "
			    "root:postern for a set-group-ID install) and "
			    "write password_file = PATH instead";

	if (s->auth.v != NULL && strcmp(s->auth.v, "none") == 0) {
		oset(c, O_AUTH, &s->auth, NULL);
		if (s->user.v != NULL)
			note(c, &s->user, "user not carried over: %s did not "
			    "authenticate", s->format);
		return;
	}
	if (s->client_cert.v != NULL && s->client_key.v != NULL &&
	    oset(c, O_TLS_CLIENT_CERT, &s->client_cert, NULL) == 0 &&
	    oset(c, O_TLS_CLIENT_KEY, &s->client_key, NULL) == -1) {
		note(c, &s->client_cert, "tls_client_cert not carried over "
		    "without its key");
		free(c->o[O_TLS_CLIENT_CERT].comment);
		memset(&c->o[O_TLS_CLIENT_CERT], 0, sizeof(c->o[0]));
	}
	if (s->user.v == NULL || oset(c, O_USER, &s->user, NULL) == -1) {
		if (s->password.v != NULL || s->password_command.v != NULL)
			note(c, s->password.v != NULL ? &s->password :
			    &s->password_command, "the password is not "
			    "carried over: there is no user to go with it");
		return;
	}
	if (s->auth.file != NULL || (s->auth.v != NULL &&
	    strcmp(s->auth.v, "auto") != 0))
		oset(c, O_AUTH, &s->auth, NULL);
	if (s->password.v != NULL)
		oset(c, O_PASSWORD, &s->password, pw_msg);
	else if (s->password_command.v != NULL)
		oset(c, O_PASSWORD_COMMAND, &s->password_command, cmd_msg);
	else
		note(c, &s->user, "no password in the source: set "
		    "password_file (or password_command) for user %.100s",
		    s->user.v);
}

static void
build(struct conv *c)
{
	struct src	*s = &c->s;
	size_t		 i;

	build_hosts(c);
	build_tls(c);
	build_auth(c);
	oset(c, O_HELO, &s->helo, NULL);
	oset(c, O_TIMEOUT, &s->timeout, NULL);
	oset(c, O_FROM, &s->from, NULL);
	oset(c, O_DOMAIN, &s->domain, NULL);
	oset(c, O_FROM_HEADER, &s->from_header, NULL);
	oset(c, O_ALLOW_FROM_OVERRIDE, &s->allow_from_override, NULL);
	oset(c, O_ALIASES_FILE, &s->aliases_file, s->aliases_file.v == NULL ?
	    NULL : "postern reads the same name: address, address format; "
	    "it refuses |command, /file and :include: targets");
	oset(c, O_DELIVERY, &s->delivery, NULL);
	oset(c, O_SYSLOG, &s->syslog, NULL);
	oset(c, O_LOG_FILE, &s->log_file, s->log_file.v == NULL ? NULL :
	    "postern writes its own line format (see postern(8))");
	for (i = 0; i < s->naliases; i++)
		alias_add(c, &s->alias_name[i], &s->alias_to[i], NULL);
}

/* ------------------------------------------------------------ emitting */

static void
emit_key(struct conv *c, struct buf *out, enum okey k)
{
	const struct oval	*o = &c->o[k];
	char			 text[1400];

	if (o->from.file != NULL && o->from.line > 0)
		snprintf(text, sizeof(text), "%s:%d%s%s", o->from.file,
		    o->from.line, o->comment != NULL ? ": " : "",
		    o->comment != NULL ? o->comment : "");
	else
		snprintf(text, sizeof(text), "%s",
		    o->comment != NULL ? o->comment : "");
	if (text[0] != '\0')
		wrap(c, out, text);
	if (buf_printf(out, "%s = %s\n", okeys[k].key, o->value) == -1)
		c->nomem = 1;
}

static int
section_used(const struct conv *c, const char *sect)
{
	size_t	k;

	if (strcmp(sect, "aliases") == 0)
		return c->nal > 0;
	for (k = 0; k < O_COUNT; k++)
		if (c->o[k].value != NULL && strcmp(okeys[k].sect, sect) == 0)
			return 1;
	return 0;
}

static void
emit(struct conv *c, struct buf *out)
{
	char	 text[600];
	size_t	 i, k;
	int	 rc = 0;

	rc |= buf_add(out, c->head.data == NULL ? "" : c->head.data,
	    c->head.len);
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		if (!section_used(c, sections[i]))
			continue;
		rc |= buf_printf(out, "\n[%s]\n", sections[i]);
		for (k = 0; k < O_COUNT; k++)
			if (c->o[k].value != NULL &&
			    strcmp(okeys[k].sect, sections[i]) == 0)
				emit_key(c, out, (enum okey)k);
		if (strcmp(sections[i], "aliases") != 0)
			continue;
		for (k = 0; k < c->nal; k++) {
			snprintf(text, sizeof(text), "%s:%d%s%s",
			    c->al_to[k].file, c->al_to[k].line,
			    c->al_comment[k] != NULL ? ": " : "",
			    c->al_comment[k] != NULL ? c->al_comment[k] : "");
			wrap(c, out, text);
			rc |= buf_printf(out, "%s = %s\n", c->al_name[k].v,
			    c->al_to[k].v);
		}
	}
	if (c->notes.len > 0) {
		rc |= buf_adds(out, "\n# Not carried over:\n");
		rc |= buf_add(out, c->notes.data, c->notes.len);
	}
	if (rc != 0)
		c->nomem = 1;
}

/* ------------------------------------------------------------ msmtp */

struct ment {
	const char	*cmd;
	char		*arg;
	int		 line;
};

struct macct {
	const char	*name;
	struct ment	 e[MSMTP_ENTRIES_MAX];
	size_t		 n;
};

static const char *const msmtp_cmds[] = {
	"defaults", "account", "host", "port", "source_ip", "proxy_host",
	"proxy_port", "socket", "timeout", "protocol", "domain", "auth",
	"user", "password", "passwordeval", "ntlmdomain", "tls",
	"tls_starttls", "tls_trust_file", "tls_crl_file", "tls_fingerprint",
	"tls_key_file", "tls_cert_file", "tls_certcheck", "tls_priorities",
	"tls_host_override", "tls_min_dh_prime_bits", "from",
	"allow_from_override", "dsn_notify", "dsn_return", "set_from_header",
	"set_date_header", "set_msgid_header", "set_to_header",
	"remove_bcc_headers", "undisclosed_recipients", "logfile",
	"logfile_time_format", "syslog", "aliases", "auto_from",
	"maildomain", "eval", "tls_nocertcheck", "tls_nostarttls",
	"add_missing_from_header", "add_missing_date_header", "keepbcc",
	"from_full_name",
};

/* Commands postern has no use for, and why. */
static const struct {
	const char	*cmd;
	const char	*why;
} msmtp_skip[] = {
	{ "source_ip", "postern does not choose a source address" },
	{ "proxy_host", "postern does not connect through a SOCKS proxy" },
	{ "proxy_port", "postern does not connect through a SOCKS proxy" },
	{ "socket", "postern connects over TCP only" },
	{ "ntlmdomain", "postern has no NTLM" },
	{ "tls_crl_file", "postern reads no CRL file" },
	{ "tls_priorities", "postern uses OpenSSL's defaults (TLS 1.2 at "
	    "least; see tls_min_version)" },
	{ "tls_host_override", "postern checks the certificate against "
	    "host" },
	{ "tls_min_dh_prime_bits", "postern uses OpenSSL's defaults" },
	{ "dsn_notify", "postern passes -N from the command line only" },
	{ "dsn_return", "postern passes -R from the command line only" },
	{ "set_date_header", "postern always adds a missing Date:" },
	{ "set_msgid_header", "postern always adds a missing Message-ID:" },
	{ "set_to_header", "postern never adds a To: header" },
	{ "undisclosed_recipients", "postern leaves To: and Cc: alone" },
	{ "remove_bcc_headers", "postern always removes Bcc:" },
	{ "keepbcc", "postern always removes Bcc:" },
	{ "logfile_time_format", "postern's log lines have their own time "
	    "format" },
	{ "auto_from", "obsolete in msmtp; set [sender] from" },
	{ "maildomain", "obsolete in msmtp; set [sender] domain" },
	{ "eval", "postern does not run commands while importing; put the "
	    "value in by hand" },
	{ "from_full_name", "postern takes the full name from -F or the "
	    "password database" },
	{ "add_missing_date_header", "postern always adds a missing Date:" },
	{ "protocol", "postern speaks SMTP only" },
};

static int
msmtp_known(const char *cmd)
{
	size_t	i;

	for (i = 0; i < sizeof(msmtp_cmds) / sizeof(msmtp_cmds[0]); i++)
		if (strcmp(cmd, msmtp_cmds[i]) == 0)
			return 1;
	return 0;
}

/* Split "cmd arg" (line already trimmed); unquote a "..." argument. */
static void
msmtp_split(char *line, char **cmd, char **arg)
{
	char	*p = line, *q, *w;

	while (*p != '\0' && !is_blank((unsigned char)*p))
		p++;
	if (*p != '\0')
		*p++ = '\0';
	*cmd = line;
	p = trim(p);
	if (*p == '"') {
		for (q = p + 1, w = p; *q != '\0' && *q != '"'; q++) {
			if (*q == '\\' && (q[1] == '"' || q[1] == '\\'))
				q++;
			*w++ = *q;
		}
		*w = '\0';
	}
	*arg = p;
}

static void
macct_set(struct macct *a, const char *cmd, char *arg, int line)
{
	size_t	i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->e[i].cmd, cmd) == 0)
			break;
	if (i == MSMTP_ENTRIES_MAX)
		return;
	a->e[i].cmd = cmd;
	a->e[i].arg = arg;
	a->e[i].line = line;
	if (i == a->n)
		a->n++;
}

static struct macct *
macct_find(struct macct *v, size_t n, const char *name)
{
	size_t	i;

	for (i = n; i > 0; i--)
		if (strcmp(v[i - 1].name, name) == 0)
			return &v[i - 1];
	return NULL;
}

static const struct ment *
mget(const struct macct *a, const char *cmd)
{
	size_t	i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->e[i].cmd, cmd) == 0)
			return &a->e[i];
	return NULL;
}

/* "account NAME [: PARENT[,PARENT...]]" */
static struct macct *
msmtp_account(struct conv *c, struct macct *v, size_t *n,
    const struct macct *defs, char *arg, int line)
{
	struct macct	*a, *p;
	char		*colon, *par, *next;
	size_t		 i;

	if (*n == MSMTP_ACCOUNTS_MAX) {
		notef(c, c->name, line, "too many accounts: ignored");
		return NULL;
	}
	a = &v[(*n)++];
	*a = *defs;
	if ((colon = strchr(arg, ':')) != NULL)
		*colon++ = '\0';
	a->name = trim(arg);
	for (par = colon; par != NULL; par = next) {
		if ((next = strchr(par, ',')) != NULL)
			*next++ = '\0';
		par = trim(par);
		if (*par == '\0')
			continue;
		if ((p = macct_find(v, *n - 1, par)) == NULL) {
			notef(c, c->name, line, "account %.64s inherits from "
			    "%.64s, which is not defined before it", a->name,
			    par);
			continue;
		}
		for (i = 0; i < p->n; i++)
			macct_set(a, p->e[i].cmd, p->e[i].arg, p->e[i].line);
	}
	return a;
}

static void
msmtp_list_accounts(struct conv *c, const struct macct *v, size_t n,
    const char *want)
{
	char	list[200];
	size_t	i, len = 0;

	list[0] = '\0';
	for (i = 0; i < n && len < sizeof(list) - 1; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len,
		    "%s%s", i ? ", " : "", v[i].name);
	err_set(c->e, ERR_CONFIG, "%s: no account '%.64s' (accounts: %s%s)",
	    c->name, want, n ? list : "none",
	    n && !c->account ? "; choose one with --account NAME" : "");
}

/* The TLS mode and the certificate checks of an msmtp account. */
static void
msmtp_tls(struct conv *c, const struct macct *a)
{
	struct src		*s = &c->s;
	const struct ment	*m, *st;
	int			 tls = 0, starttls = 1, on;

	if ((m = mget(a, "tls")) != NULL && is_onoff(m->arg, &on))
		tls = on;
	if ((st = mget(a, "tls_starttls")) != NULL && is_onoff(st->arg, &on))
		starttls = on;
	if (mget(a, "tls_nostarttls") != NULL)
		starttls = 0;
	s->tls = !tls ? CONFIG_TLS_NONE : starttls ? CONFIG_TLS_STARTTLS :
	    CONFIG_TLS_IMPLICIT;
	if (m != NULL)
		s->tls_src = sv(NULL, c->name, m->line);
	if ((m = mget(a, "port")) != NULL)
		s->port = sv(m->arg, c->name, m->line);
	else
		s->port = sv(s->tls == CONFIG_TLS_IMPLICIT ? "465" : "25",
		    NULL, 0);
	if ((m = mget(a, "tls_trust_file")) != NULL) {
		if (strcmp(m->arg, "system") == 0)
			;
		else if (*m->arg == '\0')
			notef(c, c->name, m->line, "tls_trust_file is empty "
			    "(no CA trusted): postern uses the system trust "
			    "store unless tls_fingerprint is set");
		else
			s->ca_file = sv(m->arg, c->name, m->line);
	}
	if (((m = mget(a, "tls_certcheck")) != NULL && is_onoff(m->arg, &on) &&
	    !on) || (m = mget(a, "tls_nocertcheck")) != NULL) {
		s->weak = "msmtp had certificate checks off (tls_certcheck "
		    "off)";
		s->weak_src = sv(NULL, c->name, m->line);
	}
	if ((m = mget(a, "tls_cert_file")) != NULL && *m->arg != '\0')
		s->client_cert = sv(m->arg, c->name, m->line);
	if ((m = mget(a, "tls_key_file")) != NULL && *m->arg != '\0')
		s->client_key = sv(m->arg, c->name, m->line);
	if ((s->client_cert.v == NULL) != (s->client_key.v == NULL))
		notef(c, c->name, (m != NULL ? m : mget(a,
		    "tls_cert_file"))->line, "a client certificate needs both "
		    "tls_cert_file and tls_key_file: not carried over");
}

/* "AB:CD:..." of 32 pairs -> "sha256:AB:CD:..."; NULL otherwise. */
static const char *
pin_sha256(struct conv *c, const char *v)
{
	size_t	i, n = strlen(v);

	if (n != 95)
		return NULL;
	for (i = 0; i < n; i++)
		if (i % 3 == 2 ? v[i] != ':' : !isxdigit((unsigned char)v[i]))
			return NULL;
	return keepf(c, "sha256:%s", v);
}

static void
msmtp_fingerprint(struct conv *c, const struct macct *a)
{
	const struct ment	*m;
	const char		*pin;

	if ((m = mget(a, "tls_fingerprint")) == NULL || *m->arg == '\0')
		return;
	if ((pin = pin_sha256(c, m->arg)) == NULL) {
		notef(c, c->name, m->line, "tls_fingerprint not carried over: "
		    "postern pins SHA-256 fingerprints only (32 pairs); "
		    "postern -bv prints the server's");
		return;
	}
	c->s.fingerprint = sv(pin, c->name, m->line);
	c->s.pin_only = 1;	/* it "overrides tls_trust_file" */
}

static void
msmtp_auth(struct conv *c, const struct macct *a)
{
	static const char *const mechs[] = {
		"plain", "login", "cram-md5", "scram-sha-256", "scram-sha-1",
		"xoauth2", "oauthbearer"
	};
	struct src		*s = &c->s;
	const struct ment	*m;
	size_t			 i;
	int			 on;

	if ((m = mget(a, "user")) != NULL && *m->arg != '\0')
		s->user = sv(m->arg, c->name, m->line);
	m = mget(a, "auth");
	if (m == NULL || (is_onoff(m->arg, &on) && !on)) {
		/* msmtp's default is auth off */
		s->auth = sv("none", m != NULL ? c->name : NULL,
		    m != NULL ? m->line : 0);
		return;
	}
	if (is_onoff(m->arg, &on))
		s->auth = sv("auto", c->name, m->line);
	for (i = 0; s->auth.v == NULL && i < sizeof(mechs) / sizeof(mechs[0]);
	    i++)
		if (strcasecmp(m->arg, mechs[i]) == 0)
			s->auth = sv(mechs[i], c->name, m->line);
	if (s->auth.v == NULL) {
		notef(c, c->name, m->line, "auth %.32s: postern has no such "
		    "mechanism; it chooses one itself (auth = auto)", m->arg);
		s->auth = sv("auto", c->name, m->line);
	}
	/* msmtp takes password before passwordeval. */
	if ((m = mget(a, "password")) != NULL && *m->arg != '\0')
		s->password = sv(m->arg, c->name, m->line);
	else if ((m = mget(a, "passwordeval")) != NULL && *m->arg != '\0')
		s->password_command = sv(m->arg, c->name, m->line);
}

/* msmtp's from: %U and %H have postern equivalents, nothing else. */
static void
msmtp_from(struct conv *c, const struct ment *m)
{
	struct buf	b;
	const char	*p;
	int		rc = 0;

	if (strpbrk(m->arg, "*?[") != NULL) {
		notef(c, c->name, m->line, "from %.100s: a pattern; postern "
		    "takes one sender", m->arg);
		return;
	}
	buf_init(&b, CONFIG_LINE_MAX);
	for (p = m->arg; *p != '\0' && rc == 0; p++) {
		if (*p != '%') {
			rc = buf_addc(&b, *p);
			continue;
		}
		if (p[1] == 'U' || p[1] == 'H')
			rc = buf_addc(&b, '%') | buf_addc(&b, tolower(*++p));
		else
			rc = -1;
	}
	if (rc == 0)
		c->s.from = sv(keepf(c, "%s", buf_str(&b)), c->name, m->line);
	else
		notef(c, c->name, m->line, "from %.100s: postern knows only "
		    "%%u (user) and %%h (host name) in [sender] from", m->arg);
	buf_free(&b);
}

static void
msmtp_misc(struct conv *c, const struct macct *a)
{
	struct src		*s = &c->s;
	const struct ment	*m;

	if ((m = mget(a, "host")) != NULL && *m->arg != '\0')
		s->host[s->nhosts++] = sv(m->arg, c->name, m->line);
	if ((m = mget(a, "domain")) != NULL)
		s->helo = sv(strchr(m->arg, '%') ? NULL : m->arg, c->name,
		    m->line);
	if (m != NULL && s->helo.v == NULL)
		notef(c, c->name, m->line, "domain: postern has no %%H, %%C "
		    "or %%M; its default EHLO name is this host's FQDN");
	if ((m = mget(a, "timeout")) != NULL && strcmp(m->arg, "off") != 0)
		s->timeout = sv(m->arg, c->name, m->line);
}

/* The sender and header commands of an msmtp account. */
static void
msmtp_sender(struct conv *c, const struct macct *a)
{
	struct src		*s = &c->s;
	const struct ment	*m;
	int			 on;

	if ((m = mget(a, "from")) != NULL && *m->arg != '\0')
		msmtp_from(c, m);
	if ((m = mget(a, "allow_from_override")) != NULL &&
	    is_onoff(m->arg, &on))
		s->allow_from_override = sv(on ? "yes" : "no", c->name,
		    m->line);
	if ((m = mget(a, "set_from_header")) != NULL) {
		if (strcmp(m->arg, "on") == 0 || *m->arg == '\0')
			s->from_header = sv("force", c->name, m->line);
		else if (strcmp(m->arg, "auto") == 0)
			s->from_header = sv("add", c->name, m->line);
		else
			notef(c, c->name, m->line, "set_from_header %.32s: "
			    "postern always adds a missing From:", m->arg);
	}
	if ((m = mget(a, "add_missing_from_header")) != NULL &&
	    is_onoff(m->arg, &on) && !on)
		notef(c, c->name, m->line, "add_missing_from_header off: "
		    "postern always adds a missing From:");
	if ((m = mget(a, "aliases")) != NULL && *m->arg != '\0')
		s->aliases_file = sv(m->arg, c->name, m->line);
	if ((m = mget(a, "logfile")) != NULL && *m->arg != '\0' &&
	    strcmp(m->arg, "-") != 0)
		s->log_file = sv(m->arg, c->name, m->line);
	else if (m != NULL && *m->arg != '\0')
		notef(c, c->name, m->line, "logfile -: postern logs to "
		    "syslog or a file");
}

static void
msmtp_syslog(struct conv *c, const struct macct *a)
{
	const struct ment	*m;
	char			*f;
	int			 on;

	if ((m = mget(a, "syslog")) == NULL)
		return;
	if (is_onoff(m->arg, &on))
		f = on ? "user" : "no";	/* msmtp's default is LOG_USER */
	else if (strncmp(m->arg, "LOG_", 4) == 0 &&
	    (f = keepf(c, "%s", m->arg + 4)) != NULL) {
		for (char *p = f; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	} else
		f = m->arg;
	c->s.syslog = sv(f, c->name, m->line);
}

/* Notes for the commands of the account that nothing above took. */
static void
msmtp_leftovers(struct conv *c, const struct macct *a)
{
	size_t	i, j;

	for (i = 0; i < a->n; i++) {
		for (j = 0; j < sizeof(msmtp_skip) / sizeof(msmtp_skip[0]);
		    j++)
			if (strcmp(a->e[i].cmd, msmtp_skip[j].cmd) == 0)
				break;
		if (j < sizeof(msmtp_skip) / sizeof(msmtp_skip[0]))
			notef(c, c->name, a->e[i].line, "%s: %s",
			    a->e[i].cmd, msmtp_skip[j].why);
		else if (!msmtp_known(a->e[i].cmd))
			notef(c, c->name, a->e[i].line, "%.64s: not an msmtp "
			    "command", a->e[i].cmd);
	}
}

static int
parse_msmtp(struct conv *c, char *text)
{
	struct macct	*v, defs, *cur = &defs, *a;
	struct lines	 l = { text, 0 };
	char		*line, *cmd, *arg;
	const char	*want = c->account != NULL ? c->account : "default";
	size_t		 n = 0;
	int		 rc = 0;

	if ((v = calloc(MSMTP_ACCOUNTS_MAX, sizeof(*v))) == NULL)
		return err_set(c->e, ERR_SOFTWARE, "out of memory");
	memset(&defs, 0, sizeof(defs));
	defs.name = "";
	while ((line = next_line(&l)) != NULL) {
		line = trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		msmtp_split(line, &cmd, &arg);
		if (strcmp(cmd, "defaults") == 0)
			cur = &defs;
		else if (strcmp(cmd, "account") == 0)
			cur = msmtp_account(c, v, &n, &defs, arg, l.lineno);
		else if (cur != NULL)
			macct_set(cur, cmd, arg, l.lineno);
	}
	c->s.format = "msmtp";
	if ((a = macct_find(v, n, want)) == NULL) {
		msmtp_list_accounts(c, v, n, want);
		rc = -1;
	} else {
		msmtp_tls(c, a);
		msmtp_fingerprint(c, a);
		msmtp_auth(c, a);
		msmtp_misc(c, a);
		msmtp_sender(c, a);
		msmtp_syslog(c, a);
		msmtp_leftovers(c, a);
		wrap(c, &c->head, keepf(c, "Account \"%.64s\".", a->name));
	}
	free(v);
	return rc;
}

/* ------------------------------------------------------------ ssmtp */

enum skey {
	S_ROOT, S_MAILHUB, S_REMOTEPORT, S_HOSTNAME, S_REWRITEDOMAIN,
	S_FROMLINEOVERRIDE, S_USETLS, S_USESTARTTLS, S_USETLSCERT, S_TLSCERT,
	S_TLSKEY, S_AUTHUSER, S_AUTHPASS, S_AUTHMETHOD, S_USEOLDAUTH,
	S_DEBUG, S_ADDHEADER, S_TLSCERTVERIFY, S_TLS_CA_FILE, S_COUNT
};

static const char *const ssmtp_keys[S_COUNT] = {
	"Root", "MailHub", "RemotePort", "HostName", "RewriteDomain",
	"FromLineOverride", "UseTLS", "UseSTARTTLS", "UseTLSCert", "TLSCert",
	"TLSKey", "AuthUser", "AuthPass", "AuthMethod", "UseOldAUTH",
	"Debug", "AddHeader", "TLSCertVerify", "TLS_CA_File",
};

static int
ssmtp_key(const char *k)
{
	int	i;

	for (i = 0; i < S_COUNT; i++)
		if (strcasecmp(k, ssmtp_keys[i]) == 0)
			return i;
	return -1;
}

/* "key=value" with '#' starting a comment anywhere, as ssmtp reads it. */
static int
ssmtp_split(char *line, char **key, char **val)
{
	char	*p, *eq;

	if ((p = strchr(line, '#')) != NULL)
		*p = '\0';
	if ((eq = strchr(line, '=')) == NULL)
		return -1;
	*eq = '\0';
	*key = trim(line);
	*val = trim(eq + 1);
	return **key == '\0' ? -1 : 0;
}

static int
yes(const struct sval *v)
{
	return v->v != NULL && strcasecmp(v->v, "YES") == 0;
}

/* revaliases: "local:from[:hub[:port]]". */
static void
ssmtp_revaliases(struct conv *c, const char *hub)
{
	const char	*path = sibling(c, "revaliases");
	struct lines	 l;
	char		*t, *line, *from, *rhub, *port;
	int		 err;

	if ((t = read_other(c, path, &err)) == NULL) {
		if (err != ENOENT)
			notef(c, path, 0, "not read: %s", strerror(err));
		return;
	}
	l.p = t;
	l.lineno = 0;
	while ((line = next_line(&l)) != NULL) {
		line = trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if ((from = strchr(line, ':')) == NULL) {
			notef(c, path, l.lineno, "not local:address[:hub]");
			continue;
		}
		*from++ = '\0';
		if ((rhub = strchr(from, ':')) != NULL)
			*rhub++ = '\0';
		if (rhub != NULL && (port = strchr(rhub, ':')) != NULL)
			*port = '\0';
		if (rhub != NULL && (hub == NULL || strcasecmp(rhub, hub) != 0))
			notef(c, path, l.lineno, "%.64s: postern relays "
			    "through one smarthost; mail of this user goes "
			    "to host too, not to %.64s", line, rhub);
		notef(c, path, l.lineno, "%.64s sends as %.100s: postern has "
		    "one sender rule for every user ([sender] from, with %%u "
		    "for the user); programs can still pass -f %.100s",
		    line, from, from);
	}
}

static void
ssmtp_tls(struct conv *c, struct sval *v)
{
	struct src	*s = &c->s;

	s->tls = CONFIG_TLS_NONE;
	if (yes(&v[S_USESTARTTLS])) {
		s->tls = CONFIG_TLS_STARTTLS;
		s->tls_src = v[S_USESTARTTLS];
	} else if (yes(&v[S_USETLS])) {
		s->tls = CONFIG_TLS_IMPLICIT;
		s->tls_src = v[S_USETLS];
	}
	if (s->tls != CONFIG_TLS_NONE && !yes(&v[S_TLSCERTVERIFY])) {
		s->weak = "ssmtp never verified the server certificate";
		s->weak_src = s->tls_src;
	}
	if (v[S_TLS_CA_FILE].v != NULL)
		s->ca_file = v[S_TLS_CA_FILE];
	if (yes(&v[S_USETLSCERT]) && v[S_TLSCERT].v != NULL) {
		s->client_cert = v[S_TLSCERT];
		s->client_key = v[S_TLSKEY].v != NULL ? v[S_TLSKEY] :
		    v[S_TLSCERT];
	} else if (v[S_TLSCERT].v != NULL)
		note(c, &v[S_TLSCERT], "TLSCert without UseTLSCert=YES: "
		    "ssmtp did not send it");
}

static void
ssmtp_host(struct conv *c, struct sval *v)
{
	struct src	*s = &c->s;
	char		*h, *colon;

	if (v[S_MAILHUB].v != NULL) {
		h = keepf(c, "%s", v[S_MAILHUB].v);
		if (h != NULL && (colon = strrchr(h, ':')) != NULL &&
		    strchr(h, ':') == colon) {
			*colon++ = '\0';
			s->port = sv(colon, v[S_MAILHUB].file,
			    v[S_MAILHUB].line);
		}
		s->host[s->nhosts++] = sv(h, v[S_MAILHUB].file,
		    v[S_MAILHUB].line);
	}
	if (v[S_REMOTEPORT].v != NULL)
		s->port = v[S_REMOTEPORT];
	if (s->port.v == NULL)
		s->port = sv("25", NULL, 0);	/* ssmtp's default */
}

static void
ssmtp_notes(struct conv *c, struct sval *v)
{
	static const struct {
		int		 k;
		const char	*why;
	} skip[] = {
		{ S_USEOLDAUTH, "postern speaks RFC 4954 AUTH only" },
		{ S_DEBUG, "use postern -v for the SMTP dialogue (AUTH "
		    "hidden)" },
		{ S_ADDHEADER, "postern adds no headers of your choice" },
		{ S_FROMLINEOVERRIDE, "postern keeps a From: header a message "
		    "has and honours -f (from_header = add, "
		    "allow_from_override = yes, the defaults)" },
	};
	size_t	i;

	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (v[skip[i].k].v != NULL)
			note(c, &v[skip[i].k], "%s: %s", ssmtp_keys[skip[i].k],
			    skip[i].why);
}

static void
ssmtp_auth(struct conv *c, struct sval *v)
{
	struct src	*s = &c->s;

	s->user = v[S_AUTHUSER];
	s->password = v[S_AUTHPASS];
	if (v[S_AUTHMETHOD].v == NULL)
		s->auth = sv("auto", NULL, 0);
	else if (strcasecmp(v[S_AUTHMETHOD].v, "cram-md5") == 0)
		s->auth = sv("cram-md5", v[S_AUTHMETHOD].file,
		    v[S_AUTHMETHOD].line);
	else
		note(c, &v[S_AUTHMETHOD], "AuthMethod %.32s: postern chooses "
		    "the mechanism itself (auth = auto)", v[S_AUTHMETHOD].v);
}

static int
parse_ssmtp(struct conv *c, char *text)
{
	struct sval	 v[S_COUNT];
	struct src	*s = &c->s;
	struct lines	 l = { text, 0 };
	char		*line, *key, *val;
	int		 k;

	memset(v, 0, sizeof(v));
	s->format = "ssmtp";
	while ((line = next_line(&l)) != NULL) {
		if (ssmtp_split(line, &key, &val) == -1)
			continue;
		if ((k = ssmtp_key(key)) == -1) {
			notef(c, c->name, l.lineno, "%.64s: not an ssmtp "
			    "setting", key);
			continue;
		}
		/* ssmtp keeps the first AuthUser/AuthPass/AuthMethod. */
		if (v[k].v != NULL && (k == S_AUTHUSER || k == S_AUTHPASS ||
		    k == S_AUTHMETHOD))
			continue;
		if (*val != '\0')
			v[k] = sv(val, c->name, l.lineno);
	}
	ssmtp_host(c, v);
	ssmtp_tls(c, v);
	ssmtp_auth(c, v);
	ssmtp_notes(c, v);
	/* ssmtp qualifies with RewriteDomain, else its host name. */
	s->domain = v[S_REWRITEDOMAIN].v != NULL ? v[S_REWRITEDOMAIN] :
	    v[S_HOSTNAME];
	s->helo = v[S_HOSTNAME];
	if (v[S_ROOT].v != NULL) {
		s->alias_name[0] = sv("root", v[S_ROOT].file, v[S_ROOT].line);
		s->alias_to[0] = v[S_ROOT];
		s->naliases = 1;
		note(c, &v[S_ROOT], "Root: ssmtp sent mail for every account "
		    "below uid 1000 there; postern maps root (add more names "
		    "to [aliases], or default = ADDRESS for every local "
		    "name)");
	}
	ssmtp_revaliases(c, s->nhosts ? s->host[0].v : NULL);
	return 0;
}

/* ------------------------------------------------------------ dma */

enum dkey {
	D_SMARTHOST, D_PORT, D_ALIASES, D_SPOOLDIR, D_AUTHPATH, D_CERTFILE,
	D_MAILNAME, D_MASQUERADE, D_FINGERPRINT, D_SECURETRANSFER,
	D_STARTTLS, D_OPPORTUNISTIC_TLS, D_VERIFYCERT, D_DEFER, D_INSECURE,
	D_FULLBOUNCE, D_NULLCLIENT, D_DEBUGLOG, D_SECURE, D_COUNT
};

static const char *const dma_keys[D_COUNT] = {
	"SMARTHOST", "PORT", "ALIASES", "SPOOLDIR", "AUTHPATH", "CERTFILE",
	"MAILNAME", "MASQUERADE", "FINGERPRINT", "SECURETRANSFER", "STARTTLS",
	"OPPORTUNISTIC_TLS", "VERIFYCERT", "DEFER", "INSECURE", "FULLBOUNCE",
	"NULLCLIENT", "DEBUGLOG", "SECURE",
};

static int
dma_key(const char *k)
{
	int	i;

	for (i = 0; i < D_COUNT; i++)
		if (strcmp(k, dma_keys[i]) == 0)
			return i;
	return -1;
}

/* "NAME value": the first word, the rest trimmed; '#' starts a comment. */
static void
dma_split(char *line, char **key, char **val)
{
	char	*p;

	if ((p = strchr(line, '#')) != NULL)
		*p = '\0';
	line = trim(line);
	for (p = line; *p != '\0' && !is_blank((unsigned char)*p); p++)
		;
	if (*p != '\0')
		*p++ = '\0';
	*key = line;
	*val = trim(p);
}

/* auth.conf: "user|host:password"; dma uses the last line for its host. */
static void
dma_auth(struct conv *c, const struct sval *path, const char *host)
{
	struct lines	 l;
	char		*t, *line, *bar, *hp, *pw;
	int		 err;

	if ((t = read_other(c, path->v, &err)) == NULL) {
		note(c, path, "AUTHPATH %.100s: not read (%s): add user and "
		    "password_file by hand", path->v, strerror(err));
		return;
	}
	l.p = t;
	l.lineno = 0;
	while ((line = next_line(&l)) != NULL) {
		if (*line == '#' || *line == '\0')
			continue;
		if ((bar = strchr(line, '|')) == NULL ||
		    (pw = strpbrk(bar + 1, ": \t")) == NULL) {
			notef(c, path->v, l.lineno, "not user|host:password");
			continue;
		}
		*bar = '\0';
		hp = bar + 1;
		*pw++ = '\0';
		if (host == NULL || strcasecmp(hp, host) != 0) {
			notef(c, path->v, l.lineno, "for host %.64s, not the "
			    "SMARTHOST", hp);
			continue;
		}
		c->s.user = sv(line, path->v, l.lineno);
		c->s.password = sv(pw, path->v, l.lineno);
	}
}

/* dma's 64 hex digits as postern's sha256:AB:CD:...; NULL otherwise. */
static const char *
pin_from_hex(struct conv *c, const char *hex)
{
	char	pin[7 + 96];
	size_t	i, n = 7;

	if (strlen(hex) != 64 || strspn(hex, "0123456789abcdefABCDEF") != 64)
		return NULL;
	memcpy(pin, "sha256:", 7);
	for (i = 0; i < 64; i += 2) {
		if (i > 0)
			pin[n++] = ':';
		pin[n++] = hex[i];
		pin[n++] = hex[i + 1];
	}
	pin[n] = '\0';
	return keepf(c, "%s", pin);
}

static void
dma_tls(struct conv *c, struct sval *v)
{
	struct src	*s = &c->s;

	s->tls = CONFIG_TLS_NONE;
	if (v[D_SECURETRANSFER].line) {
		s->tls = v[D_STARTTLS].line ? CONFIG_TLS_STARTTLS :
		    CONFIG_TLS_IMPLICIT;
		s->tls_src = v[D_STARTTLS].line ? v[D_STARTTLS] :
		    v[D_SECURETRANSFER];
	} else if (v[D_STARTTLS].line)
		note(c, &v[D_STARTTLS], "STARTTLS without SECURETRANSFER: "
		    "dma did not use TLS");
	if (v[D_OPPORTUNISTIC_TLS].line)
		note(c, &v[D_OPPORTUNISTIC_TLS], "OPPORTUNISTIC_TLS: postern "
		    "never falls back to plain text when STARTTLS fails");
	if (v[D_FINGERPRINT].v != NULL) {
		s->fingerprint = v[D_FINGERPRINT];
		s->fingerprint.v = pin_from_hex(c, v[D_FINGERPRINT].v);
		if (s->fingerprint.v == NULL)
			note(c, &v[D_FINGERPRINT], "FINGERPRINT is not 64 "
			    "hex digits: not carried over");
		s->pin_only = !v[D_VERIFYCERT].line;
	}
	if (s->tls != CONFIG_TLS_NONE && !v[D_VERIFYCERT].line &&
	    v[D_FINGERPRINT].v == NULL) {
		s->weak = "dma did not verify the server certificate "
		    "(VERIFYCERT not set)";
		s->weak_src = s->tls_src;
	}
	if (v[D_CERTFILE].v != NULL)
		s->client_cert = s->client_key = v[D_CERTFILE];
}

static void
dma_sender(struct conv *c, struct sval *v)
{
	struct src	*s = &c->s;
	const char	*name = v[D_MAILNAME].v, *m = v[D_MASQUERADE].v, *at;

	if (name != NULL && name[0] == '/') {
		if ((name = first_line_of(c, name)) == NULL)
			note(c, &v[D_MAILNAME], "MAILNAME %.100s: not read",
			    v[D_MAILNAME].v);
	}
	if (name != NULL) {
		s->domain = sv(name, v[D_MAILNAME].file, v[D_MAILNAME].line);
		s->helo = s->domain;
	}
	if (m == NULL)
		return;
	at = strrchr(m, '@');
	if (at == NULL)
		s->from = sv(keepf(c, "%%u@%s", m), v[D_MASQUERADE].file,
		    v[D_MASQUERADE].line);
	else if (at[1] == '\0')
		s->from = sv(keepf(c, "%s%s", m, name != NULL ? name : "%h"),
		    v[D_MASQUERADE].file, v[D_MASQUERADE].line);
	else
		s->from = v[D_MASQUERADE];
	note(c, &v[D_MASQUERADE], "MASQUERADE also overrode -f; postern "
	    "honours -f (allow_from_override = no would refuse it with exit "
	    "77 instead)");
}

static void
dma_notes(struct conv *c, struct sval *v)
{
	static const struct {
		int		 k;
		const char	*why;
	} skip[] = {
		{ D_SPOOLDIR, "postern has its own queue ([queue] dir); mail "
		    "still in dma's spool is not moved" },
		{ D_INSECURE, "postern never sends credentials without TLS, "
		    "except to a loopback host" },
		{ D_FULLBOUNCE, "postern's notifications return the headers "
		    "only" },
		{ D_NULLCLIENT, "postern always relays everything to the "
		    "smarthost" },
		{ D_DEBUGLOG, "use postern -v" },
		{ D_SECURE, "a placeholder in dma.conf" },
	};
	size_t	i;

	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (v[skip[i].k].line)
			note(c, &v[skip[i].k], "%s: %s", dma_keys[skip[i].k],
			    skip[i].why);
	if (!v[D_NULLCLIENT].line && v[D_SMARTHOST].v != NULL)
		notef(c, c->name, 0, "without NULLCLIENT dma delivered mail "
		    "for local names itself; postern sends everything to the "
		    "smarthost ([aliases] or [sender] domain decide where)");
}

static int
parse_dma(struct conv *c, char *text)
{
	struct sval	 v[D_COUNT];
	struct src	*s = &c->s;
	struct lines	 l = { text, 0 };
	char		*line, *key, *val;
	int		 k;

	memset(v, 0, sizeof(v));
	s->format = "dma";
	while ((line = next_line(&l)) != NULL) {
		dma_split(line, &key, &val);
		if (*key == '\0')
			continue;
		if ((k = dma_key(key)) == -1) {
			notef(c, c->name, l.lineno, "%.64s: not a dma setting",
			    key);
			continue;
		}
		v[k] = sv(*val != '\0' ? val : NULL, c->name, l.lineno);
	}
	if (v[D_SMARTHOST].v != NULL)
		s->host[s->nhosts++] = v[D_SMARTHOST];
	s->port = v[D_PORT].v != NULL ? v[D_PORT] : sv("25", NULL, 0);
	dma_tls(c, v);
	s->auth = sv("auto", NULL, 0);
	if (v[D_AUTHPATH].v != NULL)
		dma_auth(c, &v[D_AUTHPATH], v[D_SMARTHOST].v);
	dma_sender(c, v);
	if (v[D_ALIASES].v != NULL)
		s->aliases_file = v[D_ALIASES];
	if (v[D_DEFER].line)
		s->delivery = sv("deferred", c->name, v[D_DEFER].line);
	dma_notes(c, v);
	return 0;
}

/* ------------------------------------------------------------ nullmailer */

#define NM_WORDS_MAX	32

/*
 * Split a remotes line by the shell's quoting rules ('...', "...", \x);
 * the words are written over line.  Returns the number of words, -1 for
 * an unterminated quote.
 */
static int
shell_words(char *line, char **w, int max)
{
	char	*r = line, *o = line, q = 0;
	int	 n = 0, inword = 0;

	for (; *r != '\0'; r++) {
		if (q == 0 && is_blank((unsigned char)*r)) {
			if (inword)
				*o++ = '\0';
			inword = 0;
			continue;
		}
		if (!inword) {
			if (n == max)
				return -1;
			w[n++] = o;
			inword = 1;
		}
		if (q == 0 && (*r == '\'' || *r == '"'))
			q = *r;
		else if (q != 0 && *r == q)
			q = 0;
		else if (*r == '\\' && q != '\'' && r[1] != '\0')
			*o++ = *++r;
		else
			*o++ = *r;
	}
	if (q != 0)
		return -1;
	*o = '\0';
	return n;
}

struct nmremote {
	struct sval	 host, port, user, pass, cert, key, ca;
	int		 tls;		/* enum config_tls */
	int		 insecure, line, ok;
	const char	*proto;
};

static const char *const nm_flags[] = {
	"tls", "ssl", "starttls", "insecure", "auth-login", "x509fmtder",
	"tls-anon-auth",
};
static const char *const nm_opts[] = {
	"port", "user", "pass", "source", "x509certfile", "x509keyfile",
	"x509cafile", "x509crlfile",
};

/* One option word of a remotes line; 0, or -1 when it is not one. */
static int
nm_option(struct conv *c, struct nmremote *r, char *w)
{
	char	*eq;
	size_t	 i;

	if (w[0] == '-' && w[1] == '-')
		w += 2;
	if ((eq = strchr(w, '=')) != NULL)
		*eq++ = '\0';
	for (i = 0; eq == NULL && i < sizeof(nm_flags) / sizeof(nm_flags[0]);
	    i++)
		if (strcmp(w, nm_flags[i]) == 0)
			break;
	if (eq == NULL && i == sizeof(nm_flags) / sizeof(nm_flags[0]))
		return -1;
	if (eq == NULL) {
		if (i <= 1)
			r->tls = CONFIG_TLS_IMPLICIT;
		else if (i == 2)
			r->tls = CONFIG_TLS_STARTTLS;
		else if (i == 3)
			r->insecure = 1;
		else if (c != NULL)
			notef(c, c->name, r->line, "%s: %s", w, i == 4 ?
			    "postern chooses the mechanism itself" : i == 5 ?
			    "postern reads PEM files only" : "postern does "
			    "not do anonymous TLS");
		return 0;
	}
	for (i = 0; i < sizeof(nm_opts) / sizeof(nm_opts[0]); i++)
		if (strcmp(w, nm_opts[i]) == 0)
			break;
	if (i == sizeof(nm_opts) / sizeof(nm_opts[0]))
		return -1;
	if (c == NULL)
		return 0;
	{
		struct sval	*dst[] = { &r->port, &r->user, &r->pass, NULL,
				    &r->cert, &r->key, &r->ca, NULL };

		if (dst[i] != NULL)
			*dst[i] = sv(eq, c->name, r->line);
		else
			notef(c, c->name, r->line, "%s: %s", w, i == 3 ?
			    "postern does not choose a source address" :
			    "postern reads no CRL file");
	}
	return 0;
}

/* Parse one remotes line; c NULL: only say whether it is one. */
static int
nm_remote(struct conv *c, char *line, int lineno, struct nmremote *r)
{
	char	*w[NM_WORDS_MAX];
	int	 n, i = 1;

	memset(r, 0, sizeof(*r));
	r->tls = CONFIG_TLS_NONE;
	r->line = lineno;
	r->proto = "smtp";
	if ((n = shell_words(line, w, NM_WORDS_MAX)) < 1 ||
	    strspn(w[0], "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]_") != strlen(w[0]))
		return -1;
	r->host = sv(w[0], c != NULL ? c->name : NULL, lineno);
	if (n > 1 && (strcmp(w[1], "smtp") == 0 || strcmp(w[1], "qmqp") ==
	    0))
		r->proto = w[i++];
	for (; i < n; i++)
		if (nm_option(c, r, w[i]) == -1)
			return -1;
	return 0;
}

static int
nm_same(const struct nmremote *a, const struct nmremote *b)
{
	const struct sval	*x[] = { &a->port, &a->user, &a->pass,
				    &a->cert, &a->key, &a->ca };
	const struct sval	*y[] = { &b->port, &b->user, &b->pass,
				    &b->cert, &b->key, &b->ca };
	size_t			 i;

	if (a->tls != b->tls || a->insecure != b->insecure)
		return 0;
	for (i = 0; i < sizeof(x) / sizeof(x[0]); i++)
		if ((x[i]->v == NULL) != (y[i]->v == NULL) ||
		    (x[i]->v != NULL && strcmp(x[i]->v, y[i]->v) != 0))
			return 0;
	return 1;
}

static void
nm_apply(struct conv *c, const struct nmremote *r)
{
	struct src	*s = &c->s;

	s->tls = r->tls;
	s->tls_src = sv(NULL, c->name, r->line);
	s->port = r->port.v != NULL ? r->port :
	    sv(r->tls == CONFIG_TLS_IMPLICIT ? "465" : "25", NULL, 0);
	s->user = r->user;
	s->password = r->pass;
	s->auth = sv("auto", NULL, 0);
	s->ca_file = r->ca;
	if (r->cert.v != NULL) {
		s->client_cert = r->cert;
		s->client_key = r->key.v != NULL ? r->key : r->cert;
	}
	if (r->insecure && r->tls != CONFIG_TLS_NONE) {
		s->weak = "nullmailer had 'insecure' (certificate failures "
		    "ignored)";
		s->weak_src = s->tls_src;
	}
}

/* defaulthost, me, defaultdomain, adminaddr, helohost, allmailfrom. */
static void
nm_controls(struct conv *c)
{
	struct src	*s = &c->s;
	const char	*f;
	char		*host, *dom, *admin, *v;

	host = first_line_of(c, f = sibling(c, "defaulthost"));
	if (host == NULL)
		host = first_line_of(c, f = sibling(c, "me"));
	dom = first_line_of(c, sibling(c, "defaultdomain"));
	if (host != NULL && strchr(host, '.') == NULL && dom != NULL &&
	    strcmp(host, "localhost") != 0)
		host = keepf(c, "%s.%s", host, dom);
	if (host != NULL)
		s->domain = sv(host, f, 1);
	else if (dom != NULL)
		notef(c, sibling(c, "defaultdomain"), 1, "nullmailer appended "
		    "this only to host names without a dot; bare names got "
		    "@defaulthost (/etc/mailname): postern qualifies them with "
		    "[sender] domain, which you may set to %.100s", dom);
	if ((admin = first_line_of(c, f = sibling(c, "adminaddr"))) != NULL) {
		s->alias_name[0] = sv("default", f, 1);
		s->alias_to[0] = sv(admin, f, 1);
		s->naliases = 1;
		notef(c, f, 1, "nullmailer also sent mail for user@%s there; "
		    "postern's default alias catches bare names and "
		    "@localhost", host != NULL ? host : "(this host)");
	}
	if ((v = first_line_of(c, f = sibling(c, "helohost"))) != NULL)
		s->helo = sv(v, f, 1);
	if ((v = first_line_of(c, f = sibling(c, "allmailfrom"))) != NULL) {
		s->from = sv(v, f, 1);
		notef(c, f, 1, "allmailfrom also overrode -f; postern honours "
		    "-f (allow_from_override = no would refuse it with exit 77 "
		    "instead)");
	}
}

static int
parse_nullmailer(struct conv *c, char *text)
{
	struct src	*s = &c->s;
	struct lines	 l = { text, 0 };
	struct nmremote	 r, first;
	char		*line;
	int		 have = 0;

	s->format = "nullmailer";
	while ((line = next_line(&l)) != NULL) {
		line = trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if (nm_remote(c, line, l.lineno, &r) == -1) {
			notef(c, c->name, l.lineno, "not a remote: host "
			    "[protocol] [options]");
			continue;
		}
		if (strcmp(r.proto, "smtp") != 0)
			notef(c, c->name, l.lineno, "%s: postern speaks SMTP "
			    "only", r.proto);
		else if (!have) {
			first = r;
			have = 1;
			nm_apply(c, &r);
			s->host[s->nhosts++] = r.host;
		} else if (nm_same(&first, &r) && s->nhosts < CONFIG_MAX_HOSTS)
			s->host[s->nhosts++] = r.host;
		else
			notef(c, c->name, l.lineno, "%.64s: postern uses one "
			    "port, TLS mode and login for every host; this "
			    "remote differs from the first", r.host.v);
	}
	nm_controls(c);
	return 0;
}

/* ------------------------------------------------------------ detection */

struct score {
	int	known, unknown;
};

static void
score_line(char *line, struct score sc[5])
{
	char	 copy[1024], *key, *val, *cmd, *arg;
	size_t	 n = strlen(line);
	struct nmremote	 r;

	if (n >= sizeof(copy))
		n = sizeof(copy) - 1;
	memcpy(copy, line, n);
	copy[n] = '\0';
	msmtp_split(copy, &cmd, &arg);
	sc[IMPORT_MSMTP].known += msmtp_known(cmd);
	sc[IMPORT_MSMTP].unknown += !msmtp_known(cmd);
	memcpy(copy, line, n);
	copy[n] = '\0';
	if (ssmtp_split(copy, &key, &val) == 0 && ssmtp_key(key) != -1)
		sc[IMPORT_SSMTP].known++;
	else
		sc[IMPORT_SSMTP].unknown++;
	memcpy(copy, line, n);
	copy[n] = '\0';
	dma_split(copy, &key, &val);
	if (dma_key(key) != -1)
		sc[IMPORT_DMA].known++;
	else
		sc[IMPORT_DMA].unknown++;
	memcpy(copy, line, n);
	copy[n] = '\0';
	if (nm_remote(NULL, copy, 0, &r) == 0)
		sc[IMPORT_NULLMAILER].known++;
	else
		sc[IMPORT_NULLMAILER].unknown++;
}

enum import_format
import_detect(const char *data, size_t len)
{
	struct score	 sc[5];
	char		 line[1024];
	const char	*p = data, *end = data + len, *nl;
	size_t		 n, i;
	int		 best = IMPORT_NONE, bs = 0, s;

	if (memchr(data, '\0', len) != NULL)
		return IMPORT_NONE;
	memset(sc, 0, sizeof(sc));
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		for (i = 0; is_blank((unsigned char)line[i]); i++)
			;
		if (line[i] == '\0' || line[i] == '#' || line[i] == '\r')
			continue;
		score_line(trim(line + i), sc);
	}
	for (s = IMPORT_MSMTP; s <= IMPORT_NULLMAILER; s++)
		if (sc[s].known > 0 && sc[s].known >= sc[s].unknown &&
		    sc[s].known - sc[s].unknown > bs - (best ? sc[best].unknown :
		    0)) {
			best = s;
			bs = sc[s].known;
		}
	return (enum import_format)best;
}

/* ------------------------------------------------------------ entry */

static void
conv_free(struct conv *c)
{
	size_t	i;

	for (i = 0; i < O_COUNT; i++)
		free(c->o[i].comment);
	for (i = 0; i < c->nal; i++)
		free(c->al_comment[i]);
	for (i = 0; i < c->nstrs; i++) {
		explicit_bzero(c->strs[i], strlen(c->strs[i]));
		free(c->strs[i]);
	}
	for (i = 0; i < c->nfiles; i++)
		buf_free(&c->files[i]);
	buf_free(&c->notes);
	buf_free(&c->head);
}

static int
convert(struct conv *c, enum import_format f, char *text, struct buf *out)
{
	static const char *const names[] = { "", "msmtprc", "ssmtp.conf",
	    "dma.conf", "nullmailer remotes file" };
	struct config	cfg;
	int		rc;

	wrap(c, &c->head, keepf(c, "postern.ini converted by postern "
	    "--import from the %s %s.", names[f], c->name));
	wrap(c, &c->head, "Save it with mode 0600 (0640 root:postern for a "
	    "set-group-ID install), read the comments, then check it with "
	    "postern -C FILE -bv you@example.com");
	rc = f == IMPORT_MSMTP ? parse_msmtp(c, text) : f == IMPORT_SSMTP ?
	    parse_ssmtp(c, text) : f == IMPORT_DMA ? parse_dma(c, text) :
	    parse_nullmailer(c, text);
	if (rc == -1)
		return -1;
	build(c);
	if (c->nomem)
		return err_set(c->e, ERR_SOFTWARE, "out of memory");
	if (c->o[O_HOST].value == NULL)
		return err_set(c->e, ERR_CONFIG, "%s: no usable smarthost host "
		    "in this %s", c->name, names[f]);
	emit(c, out);
	if (c->nomem)
		return err_set(c->e, ERR_SOFTWARE, "%s: the converted "
		    "configuration is too large", c->name);
	if (load_text(out->data, out->len, &cfg, c->e) == -1)
		return err_set(c->e, ERR_SOFTWARE, "internal: the converted "
		    "configuration does not load: %s", c->e->msg);
	config_free(&cfg);
	return 0;
}

int
import_convert(const char *name, const char *data, size_t len,
    const char *account, const struct import_fs *fs, struct buf *out,
    struct err *e)
{
	struct conv		 c;
	enum import_format	 f;
	char			*text;
	int			 rc;

	if (len > IMPORT_FILE_MAX)
		return err_set(e, ERR_CONFIG, "%s: larger than %d bytes", name,
		    IMPORT_FILE_MAX);
	if ((f = import_detect(data, len)) == IMPORT_NONE)
		return err_set(e, ERR_CONFIG, "%s: not recognised as an "
		    "msmtprc, ssmtp.conf, dma.conf or nullmailer remotes file",
		    name);
	if (account != NULL && f != IMPORT_MSMTP)
		return err_set(e, ERR_CONFIG, "%s: --account is for msmtprc "
		    "files only", name);
	if ((text = malloc(len + 1)) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	memcpy(text, data, len);
	text[len] = '\0';
	memset(&c, 0, sizeof(c));
	c.name = name;
	c.account = account;
	c.fs = fs;
	c.e = e;
	buf_init(&c.notes, IMPORT_OUT_MAX);
	buf_init(&c.head, 4096);
	rc = convert(&c, f, text, out);
	conv_free(&c);
	explicit_bzero(text, len);
	free(text);
	return rc;
}

/* ------------------------------------------------------------ files */

static int
fs_read(void *arg, const char *path, struct buf *out)
{
	struct stat	 st;
	char		 chunk[4096];
	ssize_t		 n;
	int		 fd, saved;

	(void)arg;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		saved = S_ISREG(st.st_mode) ? errno : EINVAL;
		close(fd);
		errno = saved;
		return -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || buf_add(out, chunk, (size_t)n) == -1) {
			saved = n == -1 ? errno : E2BIG;
			close(fd);
			explicit_bzero(chunk, sizeof(chunk));
			errno = saved;
			return -1;
		}
	}
	close(fd);
	explicit_bzero(chunk, sizeof(chunk));
	return 0;
}

int
import_file(const char *path, const char *account, struct buf *out,
    struct err *e)
{
	struct import_fs	 fs = { fs_read, NULL };
	struct buf		 b;
	int			 rc;

	buf_init(&b, IMPORT_FILE_MAX);
	if (fs_read(NULL, path, &b) == -1) {
		rc = errno == E2BIG ? err_set(e, ERR_CONFIG, "%s: larger than "
		    "%d bytes", path, IMPORT_FILE_MAX) : errno == EINVAL ?
		    err_set(e, ERR_CONFIG, "%s: not a regular file", path) :
		    err_set(e, ERR_CONFIG, "%s: %s", path, strerror(errno));
		buf_free(&b);
		return rc;
	}
	rc = import_convert(path, buf_str(&b), b.len, account, &fs, out, e);
	buf_free(&b);
	return rc;
}

int
import_print(const char *path, const char *account, FILE *out,
    struct err *e)
{
	struct buf	b;

	buf_init(&b, IMPORT_OUT_MAX);
	if (import_file(path, account, &b, e) == -1) {
		buf_free(&b);
		return -1;
	}
	if (fwrite(buf_str(&b), 1, b.len, out) != b.len || fflush(out) != 0) {
		err_set(e, ERR_IO, "--import: writing standard output: %s",
		    strerror(errno));
		buf_free(&b);
		return -1;
	}
	buf_free(&b);
	return 0;
}
