/*
 * log.h -- the per-message log line (syslog and an optional file) and the
 * -v SMTP transcript on stderr.
 *
 * Nothing logged ever contains a secret: AUTH payloads reach log_trace()
 * already replaced by "***".
 */
#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

#include <stddef.h>

struct config;

/* ident: "postern"; facility from the config; file opened O_APPEND|O_NOFOLLOW. */
void	log_open(const struct config *c);
void	log_close(void);
/* One line for one message (see SPEC "Logging"). */
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Escaping for log lines, so that a line parses back unambiguously whatever
 * an address or a server's reply holds (issue 11 item 7):
 *   log_addr():  "<ADDR>" with every octet below 0x21, 0x7f, and each of
 *                \ < > , written as \xHH (two lower-case hex digits);
 *                "<>" for the null sender; "none" for NULL (unknown).
 *   log_text():  the text with every octet below 0x20, 0x7f, and each of
 *                \ ( ) written as \xHH, for the parenthesised reason.
 * Octets 0x80 and above (UTF-8) are kept.  Both write at most outlen - 1
 * characters and a NUL, never cutting an escape in two, and return out.
 */
#define LOG_ADDR_MAX	1100	/* enough for any address addr.c accepts */
const char *log_addr(const char *addr, char *out, size_t outlen);
const char *log_text(const char *text, char *out, size_t outlen);

/*
 * [log] stderr = yes: every log_info/log_warn line is also written to
 * stderr ("postern[PID]: line"), for containers (docker logs).
 *
 * log_refusal: a refused submission (exit 64, 65, 77, 78) also goes to
 * syslog (LOG_MAIL before the config is read, else the configured
 * facility; not with syslog = no) and the log file, with the caller's
 * uid and argv as given to log_set_argv(), since cron, sudo and mdadm
 * ignore the exit status.  The reason is the stderr line's text.
 */
void	log_set_argv(int argc, char **argv);
void	log_refusal(int status, const char *reason);
/* -v: dir '>' for what we send, '<' for what we read. */
void	log_set_trace(int on);
int	log_tracing(void);
void	log_trace(char dir, const char *line, size_t len);

#endif
