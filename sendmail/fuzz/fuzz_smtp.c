/*
 * fuzz_smtp.c -- libFuzzer target for what a hostile server can send:
 * reply lines and EHLO keyword lists, first fed line by line directly,
 * then as raw octets through net.c's bounded line reader (a socketpair)
 * into the reply parser.  Checks that every accepted reply has a code in
 * 200..599 and stays within the documented bounds.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "smtp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(struct smtp_reply *r, struct smtp_info *info, int rc)
{
	if (r->code < 200 || r->code > 599 ||
	    r->nlines > SMTP_REPLY_LINES ||
	    r->text.len > (size_t)r->nlines * SMTP_REPLY_LINE_MAX)
		abort();
	if (rc == 1) {
		smtp_ehlo_parse(info, r);
		if (strlen(info->ext_auth) >= sizeof(info->ext_auth) ||
		    info->ext_size < 0)
			abort();
		smtp_reply_reset(r);
	}
}

static void
by_lines(const uint8_t *data, size_t size)
{
	struct smtp_reply	 r;
	struct smtp_info	 info;
	struct err		 e;
	const char		*p = (const char *)data, *nl;
	size_t			 n, left = size;
	int			 rc;

	smtp_reply_init(&r);
	memset(&info, 0, sizeof(info));
	while (left > 0) {
		nl = memchr(p, '\n', left);
		n = nl ? (size_t)(nl - p) : left;
		if ((rc = smtp_reply_feed(&r, p, n, &e)) == -1)
			break;
		check(&r, &info, rc);
		if (nl == NULL)
			break;
		left -= n + 1;
		p = nl + 1;
	}
	smtp_reply_free(&r);
}

static void
through_net(const uint8_t *data, size_t size)
{
	struct smtp_reply	 r;
	struct smtp_info	 info;
	struct conn		*c;
	struct buf		 line;
	struct err		 e;
	int			 sv[2], rc;

	if (size > 65536 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return;
	if (write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	close(sv[1]);
	if ((c = net_from_fd(sv[0], "fuzz")) == NULL) {
		close(sv[0]);
		return;
	}
	smtp_reply_init(&r);
	memset(&info, 0, sizeof(info));
	buf_init(&line, SMTP_REPLY_LINE_MAX + 4);
	while (net_read_line(c, &line, SMTP_REPLY_LINE_MAX, -1, &e) == 0) {
		if (line.len > SMTP_REPLY_LINE_MAX)
			abort();
		if ((rc = smtp_reply_feed(&r, line.data, line.len, &e)) == -1)
			break;
		check(&r, &info, rc);
	}
	buf_free(&line);
	smtp_reply_free(&r);
	net_close(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	by_lines(data, size);
	through_net(data, size);
	return 0;
}
