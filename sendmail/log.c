/*
 * log.c -- syslog, the log file and the -v transcript.
 *
 * The log file is opened with O_NOFOLLOW (a planted symlink must not
 * redirect our writes) and written with one write() per line so that
 * concurrent postern processes do not interleave within a line.  Text from
 * the network is passed as an argument, never as a format.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "text.h"

static int	log_fd = -1;
static int	use_syslog;
static int	tracing;

void
log_open(const struct config *c)
{
	if (c->syslog_facility >= 0) {
		openlog("postern", LOG_PID | LOG_NDELAY, c->syslog_facility);
		use_syslog = 1;
	}
	if (c->log_file != NULL) {
		log_fd = open(c->log_file, O_WRONLY | O_APPEND | O_CREAT |
		    O_NOFOLLOW | O_CLOEXEC, 0640);
		/* Not worth failing a delivery for, but not silent either. */
		if (log_fd == -1 && use_syslog)
			syslog(LOG_WARNING, "cannot open log file %s: %s",
			    c->log_file, strerror(errno));
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
