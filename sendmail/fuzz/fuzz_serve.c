/*
 * fuzz_serve.c -- libFuzzer target for what a hostile client can send to
 * postern -bs: the input is a whole client transcript, fed through a
 * memfd to serve_run() with a fake handler; replies go to /dev/null.
 *
 * Checked for every message handed to the handler: at least one
 * recipient; the sender and every recipient pass addr_check_envelope()
 * (so hold no CR, LF or other control character); the data file holds
 * exactly `size` octets, every LF in it follows a CR, and it is empty or
 * ends in CRLF (the promise of serve_data_decode()).  The DATA decoder is
 * also run on the raw input in both modes with the same checks.
 */
#include <sys/mman.h>
#include <sys/types.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "serve.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int	in_fd = -1, out_fd = -1;

/* complete: the whole message, so it must also end in CRLF. */
static void
check_data(const char *p, size_t n, int complete)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			abort();
	if (complete && n > 0 &&
	    (n < 2 || p[n - 2] != '\r' || p[n - 1] != '\n'))
		abort();
}

static int
fake_message(void *arg, struct envelope *env, int fd, off_t size, int *code,
    char *text, size_t textlen)
{
	static char	 buf[1 << 16];
	struct err	 e;
	size_t		 i;
	ssize_t		 n;
	off_t		 got = 0;

	(void)arg;
	if (env->nrcpts == 0 || env->sender == NULL ||
	    addr_check_envelope(env->sender, &e) == -1)
		abort();
	for (i = 0; i < env->nrcpts; i++)
		if (env->rcpts[i].addr[0] == '\0' ||
		    addr_check_envelope(env->rcpts[i].addr, &e) == -1)
			abort();
	/* The test limit below keeps every message within buf. */
	while ((n = read(fd, buf + got, sizeof(buf) - (size_t)got)) > 0)
		got += n;
	if (got != size || size > 4096)
		abort();
	check_data(buf, (size_t)got, 1);

	/* Vary the outcome so that every reply path runs. */
	switch (size % 4) {
	case 0:
		*code = 250;
		break;
	case 1:
		*code = 451;
		snprintf(text, textlen, "relay\r\nfailed");
		break;
	case 2:
		*code = 554;
		break;
	default:
		*code = env->nrcpts > 3 ? 421 : 299;
		break;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 out[SERVE_DATA_OUTMAX(4096)];
	struct serve_handler	 h;
	struct serve_params	 p;
	struct serve_data	 d;
	struct err		 e;
	size_t			 used, o, n;
	int			 strict;

	if (in_fd == -1) {
		in_fd = memfd_create("fuzz_serve", MFD_CLOEXEC);
		out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (in_fd == -1 || out_fd == -1)
			abort();
	}
	if (ftruncate(in_fd, 0) == -1 ||
	    pwrite(in_fd, data, size, 0) != (ssize_t)size ||
	    lseek(in_fd, 0, SEEK_SET) == -1)
		abort();

	memset(&h, 0, sizeof(h));
	h.message = fake_message;
	memset(&p, 0, sizeof(p));
	p.hostname = "fuzz.example";
	p.tmpdir = "/tmp";
	p.max_size = 4096;
	p.timeout = 5;
	(void)serve_run(in_fd, out_fd, &p, &h, &e);

	/* The decoder alone, in both modes. */
	n = size < 4096 ? size : 4096;
	for (strict = 0; strict <= 1; strict++) {
		serve_data_init(&d, strict);
		o = serve_data_decode(&d, (const char *)data, n, &used, out);
		if (o > SERVE_DATA_OUTMAX(n) || used > n ||
		    (used < n && !d.done))
			abort();
		check_data(out, o, d.done);
	}
	return 0;
}
