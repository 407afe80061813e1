/*
 * test_net.c -- net.c over a socketpair: whole-line deadlines, line
 * limits, EOF, buffered writes, write stalls, the transport interface.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
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

#include "clock.h"
#include "net.h"

static struct conn *
pair(int *peer)
{
	struct conn	*c;
	int		 sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c = net_from_fd(sv[0], "pair");
	assert_non_null(c);
	*peer = sv[1];
	return c;
}

static void
put(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void
test_lines(void **state)
{
	struct conn	*c;
	struct buf	 line;
	struct err	 e;
	int		 peer;

	(void)state;
	c = pair(&peer);
	buf_init(&line, 1024);
	assert_string_equal(net_peer(c), "pair");
	assert_false(net_is_loopback(c));
	assert_false(net_has_buffered(c));
	put(peer, "250-one\r\n250 two\nthree");
	assert_true(net_has_buffered(c));
	assert_int_equal(net_read_line(c, &line, 512, -1, &e), 0);
	assert_string_equal(buf_str(&line), "250-one");
	assert_true(net_has_buffered(c));	/* in our buffer now */
	assert_int_equal(net_read_line(c, &line, 512, -1, &e), 0);
	assert_string_equal(buf_str(&line), "250 two");
	/* EOF before the terminator: an error, not a short line. */
	close(peer);
	assert_int_equal(net_read_line(c, &line, 512, clock_now_ms() + 2000,
	    &e), -1);
	assert_int_equal(e.cls, ERR_TEMP);
	assert_non_null(strstr(e.msg, "closed"));
	buf_free(&line);
	net_close(c);
}

static void
test_line_limit(void **state)
{
	struct conn	*c;
	struct buf	 line;
	struct err	 e;
	char		 big[40];
	int		 peer;

	(void)state;
	c = pair(&peer);
	buf_init(&line, 1024);
	memset(big, 'x', sizeof(big));
	/* Exactly max octets: fine, CRLF or LF. */
	assert_int_equal(write(peer, big, 16), 16);
	put(peer, "\r\n");
	assert_int_equal(write(peer, big, 16), 16);
	put(peer, "\n");
	assert_int_equal(net_read_line(c, &line, 16, -1, &e), 0);
	assert_int_equal(line.len, 16);
	assert_int_equal(net_read_line(c, &line, 16, -1, &e), 0);
	assert_int_equal(line.len, 16);
	/* One over, with its CRLF: refused. */
	assert_int_equal(write(peer, big, 17), 17);
	put(peer, "\r\n");
	assert_int_equal(net_read_line(c, &line, 16, -1, &e), -1);
	assert_int_equal(e.cls, ERR_TEMP);
	assert_non_null(strstr(e.msg, "longer than 16"));
	close(peer);
	buf_free(&line);
	net_close(c);
}

/* A peer that sends one octet every 100 ms never finishes a line in time. */
static void
test_deadline_whole_line(void **state)
{
	struct conn	*c;
	struct buf	 line;
	struct err	 e;
	long long	 t0;
	pid_t		 pid;
	int		 peer, i;

	(void)state;
	c = pair(&peer);
	buf_init(&line, 1024);
	if ((pid = fork()) == 0) {
		signal(SIGPIPE, SIG_IGN);
		for (i = 0; i < 30; i++) {
			if (write(peer, "x", 1) != 1)
				_exit(0);
			usleep(100 * 1000);
		}
		_exit(0);
	}
	t0 = clock_now_ms();
	assert_int_equal(net_read_line(c, &line, 512, t0 + 500, &e), -1);
	assert_int_equal(e.cls, ERR_TEMP);
	assert_non_null(strstr(e.msg, "timed out"));
	assert_true(clock_now_ms() - t0 >= 450);
	assert_true(clock_now_ms() - t0 < 1000);
	net_close(c);
	close(peer);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	buf_free(&line);
}

static void
test_buffered_writes(void **state)
{
	struct conn	*c;
	struct err	 e;
	char		 got[64];
	ssize_t		 n;
	int		 peer;

	(void)state;
	c = pair(&peer);
	assert_int_equal(net_write(c, "MAIL FROM:<>\r\n", 14, 1000, &e), 0);
	assert_int_equal(net_write(c, "RCPT TO:<a@b>\r\n", 15, 1000, &e), 0);
	assert_int_equal(net_unsent(c), 29);
	/* Nothing on the wire before the flush. */
	assert_int_equal(recv(peer, got, sizeof(got), MSG_DONTWAIT), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	assert_int_equal(net_flush(c, 1000, &e), 0);
	assert_int_equal(net_unsent(c), 0);
	n = recv(peer, got, sizeof(got), 0);
	assert_int_equal(n, 29);
	assert_memory_equal(got, "MAIL FROM:<>\r\nRCPT TO:<a@b>\r\n", 29);
	close(peer);
	net_close(c);
}

/* A peer that reads nothing: the write fails after the stall limit. */
static void
test_write_stall(void **state)
{
	struct conn	*c;
	struct err	 e;
	char		*big;
	long long	 t0;
	int		 peer, rc = 0, i;

	(void)state;
	c = pair(&peer);
	big = calloc(1, 1 << 20);
	assert_non_null(big);
	t0 = clock_now_ms();
	for (i = 0; i < 64 && rc == 0; i++)
		rc = net_write(c, big, 1 << 20, 300, &e);
	assert_int_equal(rc, -1);
	assert_int_equal(e.cls, ERR_TEMP);
	assert_non_null(strstr(e.msg, "timed out"));
	assert_true(clock_now_ms() - t0 < 3000);
	free(big);
	close(peer);
	net_close(c);
}

/* A transport that upper-cases what it reads and counts its use. */
struct upper {
	int	fd, reads, writes, closed;
};

static ssize_t
up_read(void *ctx, void *p, size_t n, long long deadline, struct err *e)
{
	struct upper	*u = ctx;
	ssize_t		 r, i;

	u->reads++;
	r = read(u->fd, p, n);
	for (i = 0; i < r; i++)
		((char *)p)[i] = (char)toupper(((unsigned char *)p)[i]);
	return r;
}

static ssize_t
up_write(void *ctx, const void *p, size_t n, long long deadline,
    struct err *e)
{
	struct upper	*u = ctx;

	u->writes++;
	return write(u->fd, p, n);
}

static size_t
up_pending(void *ctx)
{
	return 0;
}

static void
up_close(void *ctx)
{
	((struct upper *)ctx)->closed++;
}

static const struct net_transport upper_t = {
	up_read, up_write, up_pending, up_close, NULL
};

static void
test_transport(void **state)
{
	struct upper	 u;
	struct conn	*c;
	struct buf	 line;
	struct err	 e;
	char		 got[16];
	int		 peer;

	(void)state;
	c = pair(&peer);
	buf_init(&line, 1024);
	memset(&u, 0, sizeof(u));
	u.fd = net_fd(c);
	assert_null(net_transport_ctx(c));
	/* Octets read ahead belong to the old transport: refused. */
	put(peer, "220 go\r\n250 injected\r\n");
	assert_int_equal(net_read_line(c, &line, 512, -1, &e), 0);
	assert_int_equal(net_set_transport(c, &upper_t, &u, &e), -1);
	assert_non_null(strstr(e.msg, "injection"));
	assert_int_equal(net_read_line(c, &line, 512, -1, &e), 0);
	assert_int_equal(net_set_transport(c, &upper_t, &u, &e), 0);
	assert_ptr_equal(net_transport_ctx(c), &u);
	put(peer, "250 ok\r\n");
	assert_int_equal(net_read_line(c, &line, 512, -1, &e), 0);
	assert_string_equal(buf_str(&line), "250 OK");
	assert_int_equal(u.reads, 1);
	assert_int_equal(net_write(c, "QUIT\r\n", 6, 1000, &e), 0);
	assert_int_equal(net_flush(c, 1000, &e), 0);
	assert_int_equal(u.writes, 1);
	assert_int_equal(read(peer, got, sizeof(got)), 6);
	net_close(c);
	assert_int_equal(u.closed, 1);
	close(peer);
	buf_free(&line);
}

static void
test_connect_refused(void **state)
{
	struct conn	*c;
	struct err	 e;

	(void)state;
	/* Port 1 on loopback: nothing listens (refused at once). */
	assert_int_equal(net_connect(&c, "127.0.0.1", 1, clock_now_ms() + 2000,
	    &e), -1);
	assert_null(c);
	assert_int_equal(e.cls, ERR_TEMP);
	assert_non_null(strstr(e.msg, "127.0.0.1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_deadline_whole_line),
		cmocka_unit_test(test_buffered_writes),
		cmocka_unit_test(test_write_stall),
		cmocka_unit_test(test_transport),
		cmocka_unit_test(test_connect_refused),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
