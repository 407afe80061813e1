/*
 * proc.c -- process setup (see proc.h).
 *
 * Security assumptions: a set-id run inherits everything from an
 * untrusted caller (environment, descriptors, signal dispositions, umask,
 * resource limits); postdrop's list of inherited state (research/
 * security.md 1.5) is what secure_start() undoes.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

int
proc_secure_start(struct proc *p, struct err *e)
{
	struct rlimit	 rl = { 0, 0 };
	const char	*env;
	int		 fd;

	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);	/* EFBIG instead of death */
	umask(077);
	/*
	 * Privileged means set-id: the caller's real ids differ from the
	 * effective ones, so the process holds a right (group postern: the
	 * config and its secret) the caller does not have, and everything
	 * the caller controls (environment, -C files, commands, files others
	 * can read) is distrusted.  Root running the setgid binary counts
	 * too.  Without the setgid bit (the container image, a user's own
	 * install, the systemd unit whose real group is postern) postern is
	 * not privileged, so ${VAR} and 0444/0644 secrets work.
	 */
	p->privileged = getuid() != geteuid() || getgid() != getegid();
	if ((env = getenv("POSTERN_CONFIG")) != NULL &&
	    (p->env_config = strdup(env)) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	if (p->privileged) {
		setrlimit(RLIMIT_CORE, &rl);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		clearenv();
		setenv("PATH", "/usr/bin:/bin:/usr/sbin:/sbin", 1);
		umask(007);	/* the queue is shared with group postern */
	}
	return 0;
}

int
proc_drop_group(struct proc *p, struct err *e)
{
	gid_t	g = getgid();

	if (!p->privileged)
		return 0;
	if (setresgid(g, g, g) == -1 || getegid() != g)
		return err_set(e, ERR_NOPERM, "cannot drop group privilege: "
		    "%s", strerror(errno));
	p->privileged = 0;
	/* Dumpable stays off: secrets may already be in memory. */
	return 0;
}

void
proc_identify(struct proc *p)
{
	struct passwd	*pw;
	size_t		 n;

	if ((pw = getpwuid(getuid())) != NULL) {
		snprintf(p->user, sizeof(p->user), "%s", pw->pw_name);
		if (pw->pw_gecos != NULL) {
			n = strcspn(pw->pw_gecos, ",");
			snprintf(p->fullname, sizeof(p->fullname), "%.*s",
			    (int)n, pw->pw_gecos);
		}
	} else
		snprintf(p->user, sizeof(p->user), "uid%ld",
		    (long)getuid());
	if (gethostname(p->hostname, sizeof(p->hostname)) == -1)
		snprintf(p->hostname, sizeof(p->hostname), "localhost");
	p->hostname[sizeof(p->hostname) - 1] = '\0';
}

void
proc_detach(void)
{
	int	fd;

	setsid();
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}
