/*
 * cli.c -- sendmail options to struct opts.
 *
 * Callers pass options glued and separate, repeated, grouped, and mixed with
 * recipients (see research/clients.md).  Options that could make a
 * privileged program write files or change its behaviour unseen (-X, -O,
 * -bd, -bD) are refused, as is every option SPEC.md does not name.  Values
 * that end up in SMTP commands or headers (-f, -F, -N, -R, -V) must not
 * carry control characters: they are refused here, before anything is sent.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "config.h"
#include "text.h"

static int
has_ctl(const char *s)
{
	return text_has_ctl(s);
}

/* The same grammar as durations in the config file. */
long
cli_parse_interval(const char *s)
{
	return config_parse_duration(s);
}

/* -N: "never", or a comma list of success, failure, delay. */
static int
valid_notify(const char *s)
{
	const char	*p = s, *q;
	size_t		 n;
	int		 never = 0, count = 0;

	if (*s == '\0')
		return 0;
	while (*p != '\0') {
		q = strchr(p, ',');
		n = q ? (size_t)(q - p) : strlen(p);
		if (n == 5 && strncasecmp(p, "never", 5) == 0)
			never = 1;
		else if (!((n == 7 && strncasecmp(p, "success", 7) == 0) ||
		    (n == 7 && strncasecmp(p, "failure", 7) == 0) ||
		    (n == 5 && strncasecmp(p, "delay", 5) == 0)))
			return 0;
		count++;
		p += n;
		if (*p == ',' && *++p == '\0')
			return 0;
	}
	return !(never && count > 1);
}

/* -V: at most 100 printable ASCII characters (RFC 3461 4.4). */
static int
valid_envid(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++, n++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return 0;
	return n > 0 && n <= 100;
}

static int
add_rcpt(struct opts *o, char *arg, struct err *e)
{
	char	**v;

	if ((v = reallocarray(o->rcpts, o->nrcpts + 1, sizeof(*v))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	o->rcpts = v;
	o->rcpts[o->nrcpts++] = arg;
	return 0;
}

/* -b: the mode. */
static int
set_mode(struct opts *o, const char *m, struct err *e)
{
	if (strcmp(m, "m") == 0)
		o->mode = MODE_SUBMIT;
	else if (strcmp(m, "s") == 0)
		o->mode = MODE_SERVE;
	else if (strcmp(m, "v") == 0)
		o->mode = MODE_VERIFY;
	else if (strcmp(m, "p") == 0)
		o->mode = MODE_LIST;
	else if (strcmp(m, "i") == 0)
		o->mode = MODE_NEWALIASES;
	else if (strcmp(m, "V") == 0)
		o->mode = MODE_VERSION;
	else if (strcmp(m, "d") == 0 || strcmp(m, "D") == 0)
		return err_set(e, ERR_USAGE, "-b%s: postern runs no daemon", m);
	else
		return err_set(e, ERR_USAGE, "-b%s: unsupported mode", m);
	return 0;
}

/* -o: only -oi, -od and -oe mean something; other -oX are ignored. */
static int
set_o(struct opts *o, const char *v, struct err *e)
{
	if (strcmp(v, "i") == 0) {
		o->ignore_dots = 1;
	} else if (v[0] == 'd') {
		if (strcmp(v, "di") == 0)
			o->delivery = CONFIG_DELIVERY_INTERACTIVE;
		else if (strcmp(v, "db") == 0)
			o->delivery = CONFIG_DELIVERY_BACKGROUND;
		else if (strcmp(v, "dq") == 0)
			o->delivery = CONFIG_DELIVERY_DEFERRED;
		else
			return err_set(e, ERR_USAGE,
			    "-o%s: delivery mode must be -odi, -odb or -odq", v);
	} else if (v[0] == 'e') {
		/*
		 * Error reporting (-oem mail, -oew write, -oep print, -oeq
		 * quiet, -oee): postern always reports on stderr and by exit
		 * status, and keeps failed mail under failed/; accepted.
		 */
		if (strchr("mepqw", v[1]) == NULL || v[1] == '\0' ||
		    v[2] != '\0')
			return err_set(e, ERR_USAGE, "-o%s: unknown error mode",
			    v);
		o->nignored++;
	} else {
		o->nignored++;	/* sendmail.cf options mean nothing here */
	}
	return 0;
}

static int
set_arg(struct opts *o, int opt, char *val, struct err *e)
{
	switch (opt) {
	case 'A':
		if (strcmp(val, "m") != 0 && strcmp(val, "c") != 0)
			return err_set(e, ERR_USAGE, "-A%s: use -Am or -Ac",
			    val);
		o->nignored++;	/* no submit.cf to choose */
		return 0;
	case 'B':
		if (strcasecmp(val, "7BIT") == 0)
			o->body = BODY_7BIT;
		else if (strcasecmp(val, "8BITMIME") == 0)
			o->body = BODY_8BITMIME;
		else
			return err_set(e, ERR_USAGE,
			    "-B %s: body type must be 7BIT or 8BITMIME", val);
		return 0;
	case 'C':
		o->config = val;
		return 0;
	case 'F':
		if (has_ctl(val))
			return err_set(e, ERR_USAGE,
			    "-F: control character in full name");
		o->full_name = val;
		return 0;
	case 'L':
	case 'h':
		o->nignored++;	/* syslog tag, hop count: not used */
		return 0;
	case 'N':
		if (has_ctl(val) || !valid_notify(val))
			return err_set(e, ERR_USAGE, "-N: bad DSN notify value "
			    "(use never, or success,failure,delay)");
		o->dsn_notify = val;
		return 0;
	case 'R':
		if (strcasecmp(val, "hdrs") == 0 ||
		    strcasecmp(val, "headers") == 0)
			o->dsn_ret = "HDRS";
		else if (strcasecmp(val, "full") == 0)
			o->dsn_ret = "FULL";
		else
			return err_set(e, ERR_USAGE,
			    "-R: DSN return must be hdrs or full");
		return 0;
	case 'V':
		if (!valid_envid(val))
			return err_set(e, ERR_USAGE, "-V: envelope id must be "
			    "1 to 100 printable characters");
		o->dsn_envid = val;
		return 0;
	case 'b':
		return set_mode(o, val, e);
	case 'f':
	case 'r':
		if (has_ctl(val))
			return err_set(e, ERR_USAGE,
			    "-%c: control character in sender address", opt);
		o->sender = val;
		return 0;
	case 'o':
		return set_o(o, val, e);
	}
	return err_set(e, ERR_USAGE, "internal: option -%c", opt);
}

/* -qIsubstr, -qRsubstr, -qSsubstr (sendmail 8): glued only. */
static int
add_qselect(struct opts *o, char kind, const char *substr, struct err *e)
{
	if (*substr == '\0')
		return err_set(e, ERR_USAGE, "-q%c needs a substring, glued "
		    "(-q%cexample.com)", kind, kind);
	if (has_ctl(substr))
		return err_set(e, ERR_USAGE, "-q%c: control character", kind);
	if (o->nqselect == CLI_QSELECT_MAX)
		return err_set(e, ERR_USAGE, "-q%c: more than %d -qI/-qR/-qS",
		    kind, CLI_QSELECT_MAX);
	o->qselect[o->nqselect].kind = kind;
	o->qselect[o->nqselect].substr = substr;
	o->nqselect++;
	return 0;
}

/* Combinations of the queue tools' options that make no sense. */
static int
check_queue_tools(const struct opts *o, struct err *e)
{
	if (o->json && o->mode != MODE_LIST)
		return err_set(e, ERR_USAGE, "--json: only with -bp or mailq");
	if (o->nqselect > 0 && o->queue_interval > 0)
		return err_set(e, ERR_USAGE, "-qI/-qR/-qS run the queue once; "
		    "not with -qINTERVAL");
	if (o->nqselect > 0 && o->mode != MODE_QUEUE_RUN)
		return err_set(e, ERR_USAGE, "-qI/-qR/-qS: not with another "
		    "mode");
	if (o->mode == MODE_DELETE && o->nrcpts == 0)
		return err_set(e, ERR_USAGE, "--delete: name the queue ids, or "
		    "ALL");
	return 0;
}

/* "--name" options: --version, --help, the queue tools' --json, --delete. */
static int
long_flag(struct opts *o, const char *arg, struct err *e)
{
	if (strcmp(arg, "--version") == 0)
		o->mode = MODE_VERSION;
	else if (strcmp(arg, "--help") == 0)
		o->mode = MODE_HELP;
	else if (strcmp(arg, "--json") == 0)
		o->json = 1;
	else if (strcmp(arg, "--delete") == 0)
		o->mode = MODE_DELETE;
	else
		return err_set(e, ERR_USAGE, "%.64s: unknown option (see "
		    "--help)", arg);
	return 0;
}

/* -q, -qINTERVAL, -qIsubstr, -qRsubstr, -qSsubstr; v follows the q. */
static int
set_q(struct opts *o, const char *v, struct err *e)
{
	o->mode = MODE_QUEUE_RUN;
	if (v[0] == 'I' || v[0] == 'R' || v[0] == 'S')
		return add_qselect(o, v[0], v + 1, e);
	if (v[0] == '\0') {
		o->queue_interval = 0;
		return 0;
	}
	if ((o->queue_interval = cli_parse_interval(v)) <= 0)
		return err_set(e, ERR_USAGE, "-q%.32s: unsupported (use -q, "
		    "-qINTERVAL such as -q5m, or -qI, -qR, -qS)", v);
	return 0;
}

/*
 * Long options: those that take a value, "--import FILE" or
 * "--import=FILE", "--account NAME" or "--account=NAME" (*i is advanced
 * past a separate value), else long_flag()'s.
 */
static int
long_option(struct opts *o, int argc, char **argv, int *i, struct err *e)
{
	static const char *const names[] = { "--import", "--account" };
	const char	*arg = argv[*i], *val = NULL;
	size_t		 k, n = 0;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		n = strlen(names[k]);
		if (strncmp(arg, names[k], n) == 0 &&
		    (arg[n] == '\0' || arg[n] == '='))
			break;
	}
	if (k == sizeof(names) / sizeof(names[0]))
		return long_flag(o, arg, e);
	if (arg[n] == '=')
		val = arg + n + 1;
	else if (*i + 1 < argc)
		val = argv[++*i];
	if (val == NULL || *val == '\0')
		return err_set(e, ERR_USAGE, "%s: option requires an argument",
		    names[k]);
	if (k == 0) {
		o->mode = MODE_IMPORT;
		o->import_file = val;
	} else
		o->import_account = val;
	return 0;
}

/* Combinations of long options that make no sense. */
static int
long_check(const struct opts *o, struct err *e)
{
	if (o->import_account != NULL && o->mode != MODE_IMPORT)
		return err_set(e, ERR_USAGE, "--account: only with --import");
	return 0;
}

int
cli_parse(struct opts *o, int argc, char **argv, struct err *e)
{
	const char	*base;
	char		*arg, *p;
	int		 i, opt, endopts = 0;

	memset(o, 0, sizeof(*o));
	o->delivery = CLI_DELIVERY_UNSET;
	base = argc > 0 && argv[0] != NULL ? argv[0] : "sendmail";
	if ((p = strrchr(base, '/')) != NULL)
		base = p + 1;
	o->progname = base;
	if (strcmp(base, "mailq") == 0)
		o->mode = MODE_LIST;
	else if (strcmp(base, "newaliases") == 0)
		o->mode = MODE_NEWALIASES;

	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (endopts || arg[0] != '-' || arg[1] == '\0') {
			if (add_rcpt(o, arg, e) == -1)
				return -1;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			endopts = 1;
			continue;
		}
		if (arg[1] == '-') {
			if (long_option(o, argc, argv, &i, e) == -1)
				return -1;
			continue;
		}
		for (p = arg + 1; *p != '\0'; p++) {
			opt = (unsigned char)*p;
			switch (opt) {
			case 't':
				o->extract_rcpts = 1;
				continue;
			case 'i':
				o->ignore_dots = 1;
				continue;
			case 'v':
				o->verbose++;
				continue;
			case 'G':	/* gateway submission: no rewriting */
			case 'U':	/* initial user submission: we are */
			case 'm':	/* "me too": no local expansion here */
			case 'n':	/* no aliasing: aliases are config */
			case 'c':	/* connection caching: always one */
			case 'e':
			case 'x':
				o->nignored++;
				continue;
			case 'q':
				if (set_q(o, p + 1, e) == -1)
					return -1;
				break;
			case 'X':
				return err_set(e, ERR_USAGE, "-X: traffic logs "
				    "to a file are not supported (use -v)");
			case 'O':
				return err_set(e, ERR_USAGE,
				    "-O: sendmail.cf options are not supported");
			case 'A': case 'B': case 'C': case 'F': case 'L':
			case 'N': case 'R': case 'V': case 'b': case 'f':
			case 'h': case 'o': case 'r':
				if (p[1] != '\0') {
					if (set_arg(o, opt, p + 1, e) == -1)
						return -1;
				} else if (i + 1 < argc) {
					if (set_arg(o, opt, argv[++i], e) == -1)
						return -1;
				} else {
					return err_set(e, ERR_USAGE,
					    "-%c: option requires an argument",
					    opt);
				}
				break;
			default:
				if (isprint(opt))
					return err_set(e, ERR_USAGE,
					    "-%c: unknown option", opt);
				return err_set(e, ERR_USAGE,
				    "unknown option (byte 0x%02x)", opt);
			}
			break;	/* the rest of arg was the option's value */
		}
	}
	if (check_queue_tools(o, e) == -1)
		return -1;
	return long_check(o, e);
}

void
cli_free(struct opts *o)
{
	free(o->rcpts);
	o->rcpts = NULL;
	o->nrcpts = 0;
}

/* The fuzz targets are built without the Makefile's -DSYSCONFDIR. */
#ifdef SYSCONFDIR
#define USAGE_CONFIG	CONFIG_DEFAULT_PATH
#else
#define USAGE_CONFIG	"/etc/postern.ini"
#endif

const char *
cli_usage(void)
{
	return
	    "usage: sendmail [options] [--] [recipient ...] < message\n"
	    "       mailq | sendmail -bp     list the queue\n"
	    "       sendmail -q | -q5m       run the queue once | every 5 minutes\n"
	    "       sendmail -qRsubstr       run now the entries with a matching\n"
	    "                                recipient (-qS sender, -qI queue id)\n"
	    "       mailq --json             the queue as JSON, one entry a line\n"
	    "       sendmail --delete ID...|ALL  remove queue entries (no DSN)\n"
	    "       sendmail -bv recipient   check config, TLS, AUTH, recipients\n"
	    "       sendmail -bs             SMTP on stdin/stdout\n"
	    "       sendmail -bV | --version | --help\n"
	    "\n"
	    "submit options:\n"
	    "  -t             recipients from To/Cc/Bcc (added to arguments)\n"
	    "  -i, -oi        a line with a single '.' does not end the message\n"
	    "  -f ADDR, -r    envelope sender ('<>' for none)\n"
	    "  -F NAME        full name for an added From:\n"
	    "  -N, -R, -V     DSN notify, return, envelope id\n"
	    "  -B 7BIT|8BITMIME\n"
	    "  -odi|-odb|-odq deliver now | in the background | queue only\n"
	    "  -oem -oee ...  accepted; errors are reported by the exit status\n"
	    "  -v             SMTP transcript on stderr (AUTH hidden)\n"
	    "  -C FILE        configuration file (default " USAGE_CONFIG ";\n"
	    "                 also POSTERN_CONFIG)\n"
	    "\n"
	    "other modes:\n"
	    "  -bm            submit (the default); -bi, newaliases: nothing to do\n"
	    "  --import FILE [--account NAME]\n"
	    "                 print a postern.ini equivalent to an msmtprc,\n"
	    "                 ssmtp.conf, dma.conf or nullmailer remotes file\n"
	    "accepted and ignored: -A c|m, -G, -h N, -L TAG, -m, -n, -U, -c, -e, -x\n"
	    "refused: -X, -O, -bd, -bD\n"
	    "\n"
	    "Exit status: 0 sent or queued, 64 usage, 65 data, 67 a recipient\n"
	    "refused, 69 message refused, 75 temporary failure (queue off),\n"
	    "77 not allowed, 78 configuration.  See postern(8), postern.ini(5).\n";
}
