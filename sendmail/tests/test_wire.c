/*
 * test_wire.c -- wire_data()'s dot-stuffing against a one-octet-at-a-time
 * reference, over a socketpair: line-leading dots at the start, on and
 * around the mapping's window boundaries, runs shorter and longer than
 * WIRE_RUN_MIN, a spool without its final CRLF, and one recorded as longer
 * than the file.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "net.h"
#include "wire.h"

/* What DATA must carry: an extra "." on each line that starts with one. */
static void
reference(const char *p, size_t n, struct buf *out)
{
	size_t	i;
	int	bol = 1;

	for (i = 0; i < n; i++) {
		if (bol && p[i] == '.')
			assert_int_equal(buf_addc(out, '.'), 0);
		assert_int_equal(buf_addc(out, p[i]), 0);
		bol = p[i] == '\n';
	}
	if (n > 0 && !(n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n'))
		assert_int_equal(buf_add(out, "\r\n", 2), 0);
}

/* Run wire_data over a socketpair; the child collects what arrives. */
static void
check(const char *name, const char *p, size_t n)
{
	struct conn	*c;
	struct buf	 want, got;
	struct err	 e;
	FILE		*f = tmpfile(), *r = tmpfile();
	char		 chunk[65536];
	ssize_t		 k;
	pid_t		 pid;
	int		 sv[2], st, fd;

	print_message("case: %s\n", name);
	assert_int_equal((int)fwrite(p, 1, n, f), (int)n);
	fflush(f);
	fd = fileno(f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		while ((k = read(sv[1], chunk, sizeof(chunk))) > 0)
			if (fwrite(chunk, 1, (size_t)k, r) != (size_t)k)
				_exit(2);
		fflush(r);
		_exit(0);
	}
	close(sv[1]);
	c = net_from_fd(sv[0], "test");
	assert_non_null(c);
	assert_int_equal(wire_data(c, fd, (off_t)n, 5000, &e), 0);
	assert_int_equal(net_flush(c, 5000, &e), 0);
	net_close(c);
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	buf_init(&want, 16 << 20);
	buf_init(&got, 16 << 20);
	reference(p, n, &want);
	rewind(r);
	while ((k = (ssize_t)fread(chunk, 1, sizeof(chunk), r)) > 0)
		assert_int_equal(buf_add(&got, chunk, (size_t)k), 0);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);
	buf_free(&want);
	buf_free(&got);
	fclose(f);
	fclose(r);
}

/* A body of 72-octet lines, size n, with dots where the case wants. */
static char *
lines(size_t n)
{
	char	*p = malloc(n);
	size_t	 i;

	assert_non_null(p);
	for (i = 0; i < n; i++)
		p[i] = i % 74 == 72 ? '\r' : i % 74 == 73 ? '\n' :
		    (char)('a' + i % 26);
	return p;
}

static void
test_small(void **state)
{
	(void)state;
	check("empty", "", 0);
	check("dot first", ".x\r\n", 4);
	check("lone dot lines", ".\r\n.\r\n..\r\n", 10);
	check("no final CRLF", "a\r\n.b", 6);
	check("ends in CR only", "a\r\n.\r", 5);
	check("dot after LF only", "a\n.b\r\n", 6);
}

static void
test_windows(void **state)
{
	size_t	 n = 2 * WIRE_WINDOW + 5000, w = WIRE_WINDOW, i;
	char	*p = lines(n);

	(void)state;
	/* A line break just before the boundary, a dot right on it. */
	p[w - 2] = '\r';
	p[w - 1] = '\n';
	p[w] = '.';
	/* A dot just before the second boundary, LF on it. */
	p[2 * w - 2] = '\n';
	p[2 * w - 1] = '.';
	p[2 * w] = '\n';
	p[0] = '.';
	p[n - 1] = '.';	/* no final CRLF */
	p[n - 2] = '\n';
	check("window boundaries", p, n);
	/* Every line dotted: short runs through the buffer. */
	for (i = 0; i + 74 <= n; i += 74)
		p[i] = '.';
	check("every line dotted", p, n);
	/* Long runs: a dot every 40 KiB (over WIRE_RUN_MIN). */
	free(p);
	p = lines(n);
	for (i = 0; i + 74 <= n; i += 74 * 560)
		p[i] = '.';
	check("long runs", p, n);
	free(p);
}

static void
test_short_file(void **state)
{
	struct conn	*c;
	struct err	 e;
	FILE		*f = tmpfile();
	int		 sv[2];

	(void)state;
	fputs("Subject: x\r\n\r\nbody\r\n", f);
	fflush(f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c = net_from_fd(sv[0], "test");
	assert_int_equal(wire_data(c, fileno(f), 100, 5000, &e), -1);
	assert_int_equal(e.cls, ERR_IO);
	net_close(c);
	close(sv[1]);
	fclose(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_short_file),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
