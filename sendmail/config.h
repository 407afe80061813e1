/*
 * config.h -- /etc/postern.ini and its values.
 *
 * The file is read with libinih from a descriptor that was opened with
 * O_NOFOLLOW and checked with fstat.  Every error -- unknown section or key,
 * duplicate key, over-long line, bad value, unsafe permissions -- fails with
 * ERR_CONFIG and the message "FILE:LINE: reason" (or "FILE: reason" for
 * problems that belong to the whole file).  The first error stops parsing.
 *
 * Security assumptions: the file may be written by an attacker when the
 * process is not privileged (it is then only the caller's own mail), so
 * every value is validated and no value may carry a control character.  When
 * privileged (set-group-ID), the file must be owned by root and not writable
 * by group or others, and nothing from the environment and no command may
 * be used.  Messages never contain the value of password or
 * password_command.
 */
#ifndef POSTERN_CONFIG_H
#define POSTERN_CONFIG_H

#include <stddef.h>

#include "err.h"

#define CONFIG_MAX_MESSAGE_SIZE	(50ULL * 1024 * 1024)	/* default */
#define CONFIG_SIZE_MAX		(1ULL << 40)	/* any size value */
#define CONFIG_DEFAULT_PATH	SYSCONFDIR "/postern.ini"
#define CONFIG_MAILNAME_PATH	"/etc/mailname"
#define CONFIG_MAX_HOSTS	8
#define CONFIG_LINE_MAX		255	/* characters per line, without EOL */
#define CONFIG_FILE_MAX		65536	/* bytes in the whole file */
#define CONFIG_MAX_ALIASES	1024	/* entries in [aliases] */
#define CONFIG_DURATION_MAX	(365L * 86400)	/* longest duration, seconds */

enum config_tls { CONFIG_TLS_STARTTLS, CONFIG_TLS_IMPLICIT, CONFIG_TLS_NONE };
enum config_from_header { CONFIG_FROM_ADD, CONFIG_FROM_FORCE };
enum config_delivery {
	CONFIG_DELIVERY_INTERACTIVE,
	CONFIG_DELIVERY_BACKGROUND,
	CONFIG_DELIVERY_DEFERRED
};

/* Bits of config.auth_mechs. */
#define AUTH_MECH_SCRAM_SHA_256	0x01
#define AUTH_MECH_PLAIN		0x02
#define AUTH_MECH_LOGIN		0x04
#define AUTH_MECH_CRAM_MD5	0x08
#define AUTH_MECH_XOAUTH2	0x10
#define AUTH_MECH_OAUTHBEARER	0x20
/* SCRAM-SHA-1 (RFC 5802), issue 11 */
#define AUTH_MECH_SCRAM_SHA_1	0x40
#define AUTH_MECH_ALL		0x7f	/* auth_mechs with auth = auto */

struct config_alias {
	char	*name;		/* local name, lower case */
	char	*targets;	/* the value as written: an address list */
};

/*
 * Every string is NULL when unset, malloc'd and owned by the config, except
 * queue_dir, which may point to a built-in default: never free() fields
 * yourself, call config_free().  No string holds a control character.
 */
struct config {
	char			*path;

	/* [smarthost] */
	char			*hosts[CONFIG_MAX_HOSTS]; /* name or IP, no [] */
	size_t			 nhosts;	/* >= 1 after a load */
	unsigned		 port;		/* resolved default if unset */
	enum config_tls		 tls;
	int			 tls_verify;
	char			*tls_ca_file;
	char			*tls_fingerprint; /* "sha256:AB:CD:..", as given */
	char			*tls_client_cert;
	char			*tls_client_key;
	int			 tls_min_version; /* 12 or 13 */
	int			 auth_auto;	/* auth = auto */
	unsigned		 auth_mechs;	/* allowed; 0 with auth = none,
						   AUTH_MECH_ALL with auto */
	char			*user;
	char			*password;	/* secret: wiped by config_free */
	char			*password_file;
	char			*password_command;
	char			*helo;		/* NULL: this host's FQDN; else
						   a name or "[addr]" literal */
	unsigned		 timeout;	/* seconds */

	/* [smarthost] TLS session cache (tls_cache.h) */
	int			 tls_session_cache; /* 1: resume sessions */
	/* [smarthost] kernel TLS, speed (issue 10); default 0 */
	int			 tls_ktls;	/* 1: SSL_OP_ENABLE_KTLS */

	/* [sender] */
	char			*from;		/* with %u and %h unexpanded;
						   NULL: not set */
	char			*domain;	/* NULL: not set */
	enum config_from_header	 from_header;
	int			 allow_from_override;
	char			*aliases_file;

	/* [aliases] */
	struct config_alias	*aliases;
	size_t			 naliases;

	/* [queue] */
	char			*queue_dir;
	enum config_delivery	 delivery;
	int			 queue_enabled;
	unsigned		 retry;		/* seconds */
	unsigned		 retry_max;
	unsigned		 lifetime;
	/* harden (issue 11) */
	unsigned long long	 max_message_size; /* octets; 0: no limit */
	unsigned		 delay_warning;	/* seconds; 0: never */

	/* [log] */
	int			 syslog_facility; /* LOG_MAIL etc., -1 for "no" */
	char			*log_file;	/* NULL: no log file */
	int			 log_stderr;	/* each log line also on stderr */

	/* [dkim]: signing is on when domain, selector and key_file are set */
	char			*dkim_domain;	/* d= */
	char			*dkim_selector;	/* s= */
	char			*dkim_key_file;
	char			*dkim_headers;	/* "from:to:..", lower case */
	int			 dkim_header_relaxed;
	int			 dkim_body_relaxed;
	int			 dkim_sign_always; /* sign = always */
};

/* Set every field to its default (no host). */
void	config_defaults(struct config *c);

/*
 * Read the file at path (opened with O_NOFOLLOW, never blocking on a FIFO).
 * privileged: the process is set-id, so the file must be a regular file
 * owned by root and not writable by group or others, and ${VAR} expansion
 * and password_command are refused.  A file that sets password must not be
 * readable, writable or executable by others (mode & 007 == 0).  Secrets are
 * not read here: see config_secret().  c need not be initialised.  Returns 0,
 * or -1 with ERR_CONFIG (ERR_SOFTWARE when out of memory) and c left in its
 * defaults, so config_free() is always safe.
 */
int	config_load(struct config *c, const char *path, int privileged,
	    struct err *e);

/*
 * The same from an open descriptor, read from its current offset to EOF;
 * the same fstat checks apply.  name is used in messages and kept as
 * c->path.  The descriptor is not closed.
 */
int	config_load_fd(struct config *c, int fd, const char *name,
	    int privileged, struct err *e);

/*
 * Fetch the secret for AUTH: password, the first line of password_file
 * (opened with O_NOFOLLOW; a regular file; when privileged owned by root,
 * not writable by group and not accessible by others -- an unprivileged
 * run accepts a 0444/0644 container secret) or the first line of password_command's
 * standard output (run with /bin/sh -c, stdin /dev/null, at most
 * BUF_LIMIT_CONFIG bytes within c->timeout seconds, exit status 0; refused
 * when privileged).  The line ending is stripped; an empty secret is an
 * error.  Returns a malloc'd string the caller must explicit_bzero and free,
 * or NULL with *e set (ERR_CONFIG).  Never call it from a fuzz target: it
 * runs commands.
 */
char	*config_secret(const struct config *c, int privileged, struct err *e);

/*
 * When [sender] domain is not set: the first line of mailname (NULL: none;
 * config_read() passes /etc/mailname) if it is a valid host name, else this
 * host's name or its canonical name from the resolver when it has a dot;
 * otherwise domain stays NULL.  Returns 0, or -1 (ERR_SOFTWARE).
 */
int	config_default_domain(struct config *c, const char *mailname,
	    struct err *e);

/*
 * The configuration a run uses: config_defaults(), config_load() of path,
 * then config_default_domain() with CONFIG_MAILNAME_PATH.  The caller
 * chooses path (-C, the environment, else CONFIG_DEFAULT_PATH, which
 * depends on the program's build).  Their errors.
 */
int	config_read(struct config *c, const char *path, int privileged,
	    struct err *e);

/*
 * Open a file that holds a secret (a DKIM key), checked like
 * password_file: O_NOFOLLOW, a regular file; when privileged also owned
 * by root, not group-writable and no access for others (unprivileged,
 * others may read it: containers mount secrets 0444 or 0644).  Returns
 * the descriptor or -1 with ERR_CONFIG, the message starting with path.
 */
int	config_open_secret(const char *path, int privileged, struct err *e);

/* Wipe the password and free everything. */
void	config_free(struct config *c);

/*
 * "30", "30s", "5m", "2h", "5d" -> seconds, at most CONFIG_DURATION_MAX;
 * -1 on error.
 */
long	config_parse_duration(const char *s);

#endif
