/*
 * bench/runone.c -- run one command with a file piped to its stdin and
 * report its wall time, CPU time and peak resident set size.
 *
 *   runone [-t SECONDS] [-i FILE] [-o FILE] -- CMD ARGS...
 *
 * Prints one line on stdout:
 *
 *   wall_us=N user_us=N sys_us=N maxrss_kb=N status=S
 *
 * S is the exit status, "sigN" when CMD died of signal N, or "timeout"
 * when it ran longer than -t SECONDS (default 60) and was killed.  The
 * line is printed in every case; runone itself exits 0 unless it could
 * not run CMD at all (then 70, with a message on stderr).
 *
 * -i FILE is written into a pipe by a separate writer process, so CMD reads
 * a pipe as it does under PHP's mail(), cron or sudo (default: /dev/null).
 * -o FILE receives CMD's stdout and stderr (default: /dev/null).
 *
 * The numbers come from wait4() on CMD alone: the wall clock runs from just
 * before fork() to the moment wait4() returns, and the rusage covers CMD
 * and any children it reaped, not the writer.  This replaces
 * /usr/bin/time, whose %e has only 10 ms resolution.
 *
 * Security assumptions: a benchmark helper run by bench/run on a test
 * machine; it executes exactly the argv it is given, no shell.
 */

#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;

static void
on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static void
die(const char *what)
{
	fprintf(stderr, "runone: %s: %s\n", what, strerror(errno));
	exit(70);
}

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long long
tv_us(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000000 + tv->tv_usec;
}

/* Copy the file at path into fd, then exit; runs in the writer child. */
static void
writer(const char *path, int fd)
{
	static char buf[65536];
	ssize_t n, w, off;
	int in;

	signal(SIGPIPE, SIG_DFL);
	if ((in = open(path, O_RDONLY)) == -1)
		_exit(1);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n; off += w) {
			w = write(fd, buf + off, (size_t)(n - off));
			if (w == -1 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0)
				_exit(1);
		}
	}
	_exit(n == 0 ? 0 : 1);
}

int
main(int argc, char *argv[])
{
	const char *input = NULL, *output = "/dev/null";
	struct sigaction sa;
	struct rusage ru;
	long long t0, t1;
	unsigned long timeout = 60;
	pid_t wpid = -1, cpid, r;
	int c, pfd[2], out, st;
	char *end;

	while ((c = getopt(argc, argv, "t:i:o:")) != -1) {
		switch (c) {
		case 't':
			errno = 0;
			timeout = strtoul(optarg, &end, 10);
			if (errno || *end || timeout == 0 || timeout > 3600) {
				fprintf(stderr, "runone: bad -t %s\n", optarg);
				return 64;
			}
			break;
		case 'i':
			input = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		default:
			return 64;
		}
	}
	argv += optind;
	if (argv[0] == NULL) {
		fprintf(stderr, "usage: runone [-t SECONDS] [-i FILE] "
		    "[-o FILE] -- CMD ARGS...\n");
		return 64;
	}

	if ((out = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		die(output);
	if (input != NULL) {
		if (access(input, R_OK) == -1)
			die(input);
		if (pipe(pfd) == -1)
			die("pipe");
		if ((wpid = fork()) == -1)
			die("fork");
		if (wpid == 0) {
			close(pfd[0]);
			writer(input, pfd[1]);
		}
		close(pfd[1]);
	} else if ((pfd[0] = open("/dev/null", O_RDONLY)) == -1)
		die("/dev/null");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;		/* no SA_RESTART: wait4 must see EINTR */
	if (sigaction(SIGALRM, &sa, NULL) == -1)
		die("sigaction");

	t0 = now_us();
	if ((cpid = fork()) == -1)
		die("fork");
	if (cpid == 0) {
		if (dup2(pfd[0], 0) == -1 || dup2(out, 1) == -1 ||
		    dup2(out, 2) == -1)
			_exit(127);
		close(pfd[0]);
		close(out);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[0]);
	close(out);
	alarm((unsigned)timeout);
	memset(&ru, 0, sizeof(ru));
	while ((r = wait4(cpid, &st, 0, &ru)) == -1 && errno == EINTR) {
		if (timed_out) {
			kill(cpid, SIGKILL);
			timed_out = 0;
			timeout = 0;	/* remember it; loop reaps the child */
		}
	}
	t1 = now_us();
	alarm(0);
	if (r == -1)
		die("wait4");
	if (wpid > 0) {
		kill(wpid, SIGKILL);	/* CMD is gone; the writer may block */
		while (waitpid(wpid, NULL, 0) == -1 && errno == EINTR)
			;
	}

	printf("wall_us=%lld user_us=%lld sys_us=%lld maxrss_kb=%ld status=",
	    t1 - t0, tv_us(&ru.ru_utime), tv_us(&ru.ru_stime), ru.ru_maxrss);
	if (timeout == 0)
		printf("timeout\n");
	else if (WIFSIGNALED(st))
		printf("sig%d\n", WTERMSIG(st));
	else
		printf("%d\n", WEXITSTATUS(st));
	return 0;
}
