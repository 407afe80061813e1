/*
 * proc.h -- the process postern runs in: made safe before anything else,
 * and who is calling.
 *
 * Nothing here prints or exits; main.c calls these first.
 */
#ifndef POSTERN_PROC_H
#define POSTERN_PROC_H

#include "err.h"

struct proc {
	int	 privileged;	/* set-id (the group postern) */
	char	*env_config;	/* POSTERN_CONFIG, saved before clearenv */
	char	 user[64];	/* login name, or "uidN" */
	char	 fullname[256];	/* GECOS up to the first ',', or "" */
	char	 hostname[256];	/* gethostname(), or "localhost" */
};

/*
 * Make the process safe: fds 0-2 open, SIGPIPE and SIGXFSZ ignored, umask
 * 077; for a set-id run a clean environment (PATH only), no core dumps,
 * not dumpable (no ptrace), umask 007 (the queue is shared with group
 * postern).  ERR_SOFTWARE when out of memory.
 */
int	proc_secure_start(struct proc *p, struct err *e);

/*
 * Give up the set-gid privilege for good (before reading a -C or
 * POSTERN_CONFIG file).  ERR_NOPERM when it cannot be dropped.
 */
int	proc_drop_group(struct proc *p, struct err *e);

/*
 * -odb's child: a session of its own, stdin, stdout and stderr on
 * /dev/null (the caller has gone).
 */
void	proc_detach(void);

/* Fill user, fullname and hostname. */
void	proc_identify(struct proc *p);

#endif
