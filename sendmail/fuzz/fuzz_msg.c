/*
 * fuzz_msg.c -- libFuzzer target for msg.c.
 *
 * The first input byte picks the options (dot_ends, domain, force_from,
 * the full name, the null sender); the rest is the message, handed over in
 * a memfd.  After read_headers, header_rcpts and write, the output must be
 * canonical: CRLF line ends only, no NUL, no line over 998 octets, a final
 * CRLF, and no Bcc field.  Any violation abort()s.
 */
#include <sys/mman.h>
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char	*outbuf;
static size_t	 outcap;

static void
check_output(int fd, const struct msg_stats *st)
{
	off_t	 end = lseek(fd, 0, SEEK_END);
	size_t	 n, i, col = 0, bol = 1;
	char	*p;

	if (end < 2 || end != st->size)
		abort();
	n = (size_t)end;
	if (n > outcap) {
		free(outbuf);
		if ((outbuf = malloc(n)) == NULL)
			abort();
		outcap = n;
	}
	p = outbuf;
	if (pread(fd, p, n, 0) != (ssize_t)n)
		abort();
	if (p[n - 2] != '\r' || p[n - 1] != '\n')
		abort();
	for (i = 0; i < n; i++) {
		if (p[i] == '\0' || p[i] == '\n')
			abort();
		if (p[i] == '\r') {
			if (i + 1 >= n || p[i + 1] != '\n')
				abort();
			i++;
			col = 0;
			if (bol)	/* the empty line: headers end */
				break;
			bol = 1;
			continue;
		}
		/* No Bcc or Resent-Bcc field in the header section. */
		if (bol && col == 0 && (strncasecmp(p + i, "bcc:", 4) == 0 ||
		    strncasecmp(p + i, "resent-bcc:", 11) == 0))
			abort();
		bol = 0;
		if (++col > MSG_LINE_MAX)
			abort();
	}
	for (i++; i < n; i++) {
		if (p[i] == '\0' || p[i] == '\n')
			abort();
		if (p[i] == '\r') {
			if (i + 1 >= n || p[i + 1] != '\n')
				abort();
			i++;
			col = 0;
			continue;
		}
		if (++col > MSG_LINE_MAX)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_input	*in;
	struct msg		*m = NULL;
	struct msg_opts		 o;
	struct msg_stats	 st;
	struct addr_list	 l;
	struct err		 e;
	uint8_t			 sel;
	int			 ifd, ofd;
	char			*from;

	if (size < 1)
		return 0;
	sel = data[0];
	data++;
	size--;
	if ((ifd = memfd_create("in", 0)) == -1 ||
	    (ofd = memfd_create("out", 0)) == -1)
		abort();
	if (size > 0 && write(ifd, data, size) != (ssize_t)size)
		abort();
	lseek(ifd, 0, SEEK_SET);

	memset(&o, 0, sizeof(o));
	o.sender = (sel & 0x10) ? "" : "user";
	o.domain = (sel & 0x02) ? "example.org" : NULL;
	o.force_from = (sel & 0x04) != 0;
	o.full_name = (sel & 0x08) ? "J\xc3\xbcrgen \"M\" M\xc3\xbcller, Jr." :
	    ((sel & 0x20) ? "Plain Name" : NULL);
	o.msgid_domain = "example.net";
	o.tmpdir = NULL;

	if ((in = msg_input_new(ifd, sel & 0x01)) == NULL)
		abort();
	if (msg_read_headers(&m, in, &e) == 0) {
		addr_list_init(&l);
		(void)msg_header_rcpts(m, &l, &e);
		addr_list_free(&l);
		from = msg_header_from(m);
		free(from);
		if (msg_write(m, in, ofd, &o, &st, &e) == 0)
			check_output(ofd, &st);
		else if (e.cls != ERR_DATA)
			abort();
		msg_free(m);
	} else if (e.cls != ERR_DATA)
		abort();
	msg_input_free(in);
	close(ifd);
	close(ofd);
	return 0;
}
