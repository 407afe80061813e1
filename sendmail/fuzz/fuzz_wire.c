/*
 * fuzz_wire.c -- libFuzzer target for wire_data(), the DATA body's
 * dot-stuffing (the guarantee that no message ends the DATA early): any
 * octets as the spool, sent over a socketpair, must arrive as the
 * one-octet-at-a-time reference stuffing says -- an extra "." on every
 * line that starts with one, CRLF added when the spool does not end in
 * it -- and never contain CRLF.CRLF.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_IN	16384

static size_t
reference(const uint8_t *p, size_t n, char *out)
{
	size_t	i, o = 0;
	int	bol = 1;

	for (i = 0; i < n; i++) {
		if (bol && p[i] == '.')
			out[o++] = '.';
		out[o++] = (char)p[i];
		bol = p[i] == '\n';
	}
	if (n > 0 && !(n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n')) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	 want[2 * MAX_IN + 2], got[2 * MAX_IN + 8];
	struct conn	*c;
	struct err	 e;
	FILE		*f;
	size_t		 nw, ng = 0;
	ssize_t		 k;
	int		 sv[2];

	if (size > MAX_IN || (f = tmpfile()) == NULL)
		return 0;
	if (fwrite(data, 1, size, f) != size || fflush(f) != 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		fclose(f);
		return 0;
	}
	if ((c = net_from_fd(sv[0], "fuzz")) == NULL)
		abort();
	if (wire_data(c, fileno(f), (off_t)size, 1000, &e) == -1 ||
	    net_flush(c, 1000, &e) == -1)
		abort();
	net_close(c);
	while ((k = read(sv[1], got + ng, sizeof(got) - ng)) > 0)
		ng += (size_t)k;
	close(sv[1]);
	fclose(f);
	nw = reference(data, size, want);
	if (ng != nw || memcmp(got, want, nw) != 0)
		abort();
	/* Stuffed, the body cannot hold the end of DATA ... */
	if (ng >= 5 && memmem(got, ng, "\r\n.\r\n", 5) != NULL)
		abort();
	/* ... nor start with it. */
	if (ng >= 3 && memcmp(got, ".\r\n", 3) == 0)
		abort();
	return 0;
}
