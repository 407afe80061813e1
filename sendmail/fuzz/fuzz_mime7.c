/*
 * fuzz_mime7.c -- libFuzzer target for mime7.c: any message, made
 * canonical as msg.c would (bare LF -> CRLF, stray CR -> SP, a final CRLF),
 * is classified; one found convertible is
 * converted, and the result must be all 7-bit, in CRLF lines, with a
 * quoted-printable body whose lines are at most 76 octets, and exactly as
 * long as the size the converter reports.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "mime7.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
collect(void *arg, const char *p, size_t n, struct err *e)
{
	return buf_add(arg, p, n) == -1 ? err_set(e, ERR_SOFTWARE, "full") :
	    0;
}

static void
check(const struct buf *b, off_t size)
{
	const char	*body, *p, *nl;
	size_t		 i;

	if ((off_t)b->len != size)
		abort();
	for (i = 0; i < b->len; i++)
		if ((unsigned char)b->data[i] & 0x80)
			abort();
	if ((body = memmem(b->data, b->len, "\r\n\r\n", 4)) == NULL)
		abort();
	for (p = body + 4; p < b->data + b->len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(b->data + b->len - p));
		if (nl == NULL || nl == p || nl[-1] != '\r' ||
		    (size_t)(nl - 1 - p) > 76)
			abort();
	}
}

/* The canonical form of data in c (2 * size + 2 octets at most). */
static size_t
canonical(const uint8_t *data, size_t size, char *c)
{
	size_t	i, n = 0;

	for (i = 0; i < size; i++) {
		if (data[i] == '\r' && i + 1 < size && data[i + 1] == '\n')
			continue;
		if (data[i] == '\n') {
			c[n++] = '\r';
			c[n++] = '\n';
		} else
			c[n++] = data[i] == '\r' ? ' ' : (char)data[i];
	}
	if (n < 2 || c[n - 1] != '\n') {
		c[n++] = '\r';
		c[n++] = '\n';
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	 b;
	struct err	 e;
	const char	*why;
	char		*c;
	off_t		 n;
	size_t		 len;
	int		 fd;

	if ((c = malloc(2 * size + 2)) == NULL)
		return 0;
	len = canonical(data, size, c);
	if ((fd = memfd_create("fuzz", 0)) == -1) {
		free(c);
		return 0;
	}
	if (write(fd, c, len) != (ssize_t)len) {
		free(c);
		close(fd);
		return 0;
	}
	free(c);
	if (mime7_classify(fd, &why, &e) == MIME7_CONVERT) {
		buf_init(&b, 16 * 1024 * 1024);
		if (mime7_convert(fd, collect, &b, &n, &e) == 0)
			check(&b, n);
		buf_free(&b);
	}
	close(fd);
	return 0;
}
