/*
 * log.c -- syslog, the log file and the -v transcript.
 *
 * The log file is opened with O_NOFOLLOW (a planted symlink must not
 * redirect our writes) and O_NONBLOCK, and used only when it is a regular
 * file (a FIFO must not block postern), and written with one write() per line so that
 * concurrent postern processes do not interleave within a line.  Text from
 * the network is passed as an argument, never as a format.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "text.h"

static int	log_fd = -1;
static int	use_syslog;
static int	use_stderr;	/* [log] stderr = yes */
static int	opened;		/* log_open() ran: the config decides */
static int	tracing;
static int	saved_argc;
static char	**saved_argv;

/*
 * Open the log file for appending: never through a symbolic link, never
 * waiting (O_NONBLOCK: a FIFO without a reader fails at once with ENXIO,
 * one with a reader is refused below), and only a regular file is kept.
 * A missing file is created mode 0640 (fchmod: the umask does not matter),
 * owned by the caller, except by a set-id run: there the caller is an
 * ordinary user who would then own the system's log, so the file must
 * exist (made by the package or the administrator, e.g. root:postern 0660).
 * NULL on success, else why it cannot be used.
 */
static const char *
log_file_open(const char *path, int *fdp)
{
	struct stat	st;
	int		fd, created = 0, flags;
	int		setid = getuid() != geteuid() || getgid() != getegid();

	flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	fd = open(path, flags);
	if (fd == -1 && errno == ENOENT && !setid) {
		fd = open(path, flags | O_CREAT | O_EXCL, 0640);
		created = fd != -1;
		if (fd == -1 && errno == EEXIST)
			fd = open(path, flags);
	}
	if (fd == -1)
		return strerror(errno);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return "not a regular file";
	}
	if (created)
		(void)fchmod(fd, 0640);
	(void)fcntl(fd, F_SETFL, O_WRONLY | O_APPEND);
	*fdp = fd;
	return NULL;
}

void
log_open(const struct log_params *p)
{
	const char	*why;

	opened = 1;
	use_stderr = p->log_stderr;
	if (p->syslog_facility >= 0) {
		openlog("postern", LOG_PID | LOG_NDELAY, p->syslog_facility);
		use_syslog = 1;
	}
	if (p->file != NULL &&
	    (why = log_file_open(p->file, &log_fd)) != NULL) {
		log_fd = -1;
		/* Not worth failing a delivery for, but not silent either. */
		if (use_syslog)
			syslog(LOG_WARNING, "cannot open log file %s: %s",
			    p->file, why);
	}
}

void
log_close(void)
{
	if (log_fd != -1)
		close(log_fd);
	log_fd = -1;
	if (use_syslog)
		closelog();
	use_syslog = 0;
}

static void log_emit(int, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
log_emit(int prio, const char *fmt, va_list ap)
{
	char		line[2048], stamp[64], out[2200];
	struct tm	tm;
	time_t		now;
	int		n, m;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	text_scrub(line, sizeof(line), line, sizeof(line), '?');
	if (use_syslog)
		syslog(prio, "%s", line);
	if (use_stderr) {
		m = snprintf(out, sizeof(out), "postern[%ld]: %s\n",
		    (long)getpid(), line);
		if (m > 0)
			(void)!write(STDERR_FILENO, out, (size_t)m < sizeof(out)
			    ? (size_t)m : sizeof(out) - 1);
	}
	if (log_fd != -1) {
		now = time(NULL);
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S%z", &tm);
		m = snprintf(out, sizeof(out), "%s postern[%ld]: %s\n", stamp,
		    (long)getpid(), line);
		if (m > 0)
			(void)!write(log_fd, out, (size_t)m < sizeof(out) ?
			    (size_t)m : sizeof(out) - 1);
	}
}

static void
log_fmt_file(int status, const char *reason, const char *args)
{
	log_warn("refused (exit %d): %s; uid=%ld argv: %s", status, reason,
	    (long)getuid(), args);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, fmt, ap);
	va_end(ap);
}

/* Escape s into out: octets for which special() is true become \xHH. */
static const char *
escape(const char *s, int (*special)(unsigned char), char *out,
    size_t outlen)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			o = 0;
	unsigned char		c;

	if (outlen == 0)
		return out;
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (special(c)) {
			if (o + 4 >= outlen)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0x0f];
		} else {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return out;
}

static int
addr_special(unsigned char c)
{
	return c <= 0x20 || c == 0x7f || c == '\\' || c == '<' || c == '>' ||
	    c == ',';
}

static int
text_special(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '\\' || c == '(' || c == ')';
}

const char *
log_addr(const char *addr, char *out, size_t outlen)
{
	size_t	n;

	if (outlen < 6) {
		if (outlen > 0)
			out[0] = '\0';
		return out;
	}
	if (addr == NULL) {
		snprintf(out, outlen, "none");
		return out;
	}
	out[0] = '<';
	escape(addr, addr_special, out + 1, outlen - 2);
	n = strlen(out);	/* at most outlen - 2: room for ">" */
	out[n] = '>';
	out[n + 1] = '\0';
	return out;
}

const char *
log_text(const char *text, char *out, size_t outlen)
{
	return escape(text != NULL ? text : "", text_special, out, outlen);
}

void
log_set_argv(int argc, char **argv)
{
	saved_argc = argc;
	saved_argv = argv;
}

/*
 * argv as one bounded line: each argument at most 64 bytes, control
 * characters as '?', at most 12 arguments then "...".
 */
static void
argv_summary(char *out, size_t len)
{
	size_t	o = 0, j;
	int	i;

	out[0] = '\0';
	for (i = 0; i < saved_argc && saved_argv != NULL &&
	    saved_argv[i] != NULL && o + 5 < len; i++) {
		if (i == 12) {
			snprintf(out + o, len - o, " ...");
			return;
		}
		if (i > 0)
			out[o++] = ' ';
		for (j = 0; saved_argv[i][j] != '\0' && j < 64 && o + 4 < len;
		    j++)
			out[o++] = (unsigned char)saved_argv[i][j] < 0x20 ||
			    saved_argv[i][j] == 0x7f ? '?' : saved_argv[i][j];
		if (saved_argv[i][j] != '\0' && o + 4 < len) {
			memcpy(out + o, "...", 3);
			o += 3;
		}
		out[o] = '\0';
	}
}

void
log_refusal(int status, const char *reason)
{
	char	args[1024];
	int	own = 0;

	/* Before the config is read (or when it is broken): mail facility. */
	if (!opened) {
		openlog("postern", LOG_PID, LOG_MAIL);
		use_syslog = own = 1;
	}
	if (!use_syslog && log_fd == -1)
		return;
	argv_summary(args, sizeof(args));
	if (use_syslog)
		syslog(LOG_ERR, "refused (exit %d): %s; uid=%ld argv: %s",
		    status, reason, (long)getuid(), args);
	if (log_fd != -1) {
		/* The file only: stderr has the line already. */
		int	save = use_syslog, save_err = use_stderr;

		use_syslog = use_stderr = 0;
		log_fmt_file(status, reason, args);
		use_syslog = save;
		use_stderr = save_err;
	}
	if (own) {
		closelog();
		use_syslog = 0;
	}
}

void
log_set_trace(int on)
{
	tracing = on;
}

int
log_tracing(void)
{
	return tracing;
}

void
log_trace(char dir, const char *line, size_t len)
{
	char	out[1100];
	size_t	i, n = 0;

	if (!tracing)
		return;
	out[n++] = dir;
	out[n++] = ' ';
	for (i = 0; i < len && n < sizeof(out) - 2; i++)
		out[n++] = text_is_ctl(line[i]) ? '?' : line[i];
	out[n++] = '\n';
	(void)!write(STDERR_FILENO, out, n);
}
