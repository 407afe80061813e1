/*
 * config.h -- /etc/postern.ini and its values.
 *
 * The file is read with libinih from a descriptor that was opened with
 * O_NOFOLLOW and checked with fstat.  Every error -- unknown section or key,
 * duplicate key, over-long line, bad value, unsafe permissions -- fails with
 * ERR_CONFIG and the message "FILE:LINE: reason".
 */
#ifndef POSTERN_CONFIG_H
#define POSTERN_CONFIG_H

#include <stddef.h>

#include "err.h"

#define CONFIG_DEFAULT_PATH	SYSCONFDIR "/postern.ini"
#define CONFIG_MAX_HOSTS	8

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

struct config_alias {
	char	*name;		/* local name, lower case */
	char	*targets;	/* the value as written: an address list */
};

struct config {
	char			*path;

	/* [smarthost] */
	char			*hosts[CONFIG_MAX_HOSTS];
	size_t			 nhosts;
	unsigned		 port;		/* resolved default if unset */
	enum config_tls		 tls;
	int			 tls_verify;
	char			*tls_ca_file;
	char			*tls_fingerprint; /* "sha256:AB:CD:..", as given */
	char			*tls_client_cert;
	char			*tls_client_key;
	int			 tls_min_version; /* 12 or 13 */
	int			 auth_auto;	/* auth = auto */
	unsigned		 auth_mechs;	/* allowed; 0 with auth = none */
	char			*user;
	char			*password;	/* secret: wiped by config_free */
	char			*password_file;
	char			*password_command;
	char			*helo;		/* NULL: this host's FQDN */
	unsigned		 timeout;	/* seconds */

	/* [sender] */
	char			*from;		/* with %u and %h unexpanded */
	char			*domain;
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

	/* [log] */
	int			 syslog_facility; /* LOG_MAIL etc., -1 for "no" */
	char			*log_file;
};

/* Set every field to its default (no host). */
void	config_defaults(struct config *c);

/*
 * Read the file at path.  privileged: the process is set-id, so ${VAR}
 * expansion and password_command are refused.  A file that holds a secret
 * (password =) must not be readable by others.  Secrets are not read here:
 * see config_secret().
 */
int	config_load(struct config *c, const char *path, int privileged,
	    struct err *e);

/* Parse from an already-open stream; name is used in messages. (Tests.) */
int	config_load_fd(struct config *c, int fd, const char *name,
	    int privileged, struct err *e);

/*
 * Fetch the secret for AUTH: password, password_file or password_command
 * (first line of its standard output; refused when privileged).  Returns a
 * malloc'd string the caller must wipe and free, or NULL with *e set.
 */
char	*config_secret(const struct config *c, int privileged, struct err *e);

/* Wipe the password and free everything. */
void	config_free(struct config *c);

/* "30", "30s", "5m", "2h", "5d" -> seconds; -1 on error. */
long	config_parse_duration(const char *s);

#endif
