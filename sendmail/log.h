/*
 * log.h -- the per-message log line (syslog and an optional file) and the
 * -v SMTP transcript on stderr.
 *
 * Nothing logged ever contains a secret: AUTH payloads reach log_trace()
 * already replaced by "***".
 */
#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

struct config;

/* ident: "postern"; facility from the config; file opened O_APPEND|O_NOFOLLOW. */
void	log_open(const struct config *c);
void	log_close(void);
/* One line for one message (see SPEC "Logging"). */
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* -v: dir '>' for what we send, '<' for what we read. */
void	log_set_trace(int on);
int	log_tracing(void);
void	log_trace(char dir, const char *line, size_t len);

#endif
