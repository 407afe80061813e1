/*
 * fuzz_import.c -- libFuzzer target for import_convert() (postern --import).
 *
 * The input is split at NUL bytes: the first part is the source file
 * (/f/src), each further part the next file the converter asks for (the
 * revaliases, auth.conf or nullmailer control files), so the parsers of
 * those files are reached too.  The first byte, when it is '\x01', asks for
 * --account x.  Invariants: no crash or leak; a failure is one clean line
 * of class ERR_CONFIG (or ERR_SOFTWARE for memory, never "internal");
 * a success is text with no line over CONFIG_LINE_MAX and no NUL, that
 * config_load_fd() loads without error from a 0600 file, as postern would
 * read it once saved.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "import.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct parts {
	const uint8_t	*p;
	size_t		 left;
};

/* Each file asked for gets the next NUL-separated part, while any last. */
static int
parts_read(void *arg, const char *path, struct buf *out)
{
	struct parts	*s = arg;
	const uint8_t	*nul;
	size_t		 n;

	(void)path;
	if (s->left == 0) {
		errno = ENOENT;
		return -1;
	}
	nul = memchr(s->p, '\0', s->left);
	n = nul != NULL ? (size_t)(nul - s->p) : s->left;
	if (buf_add(out, s->p, n) == -1)
		return -1;
	s->p += n + (nul != NULL);
	s->left -= n + (nul != NULL);
	return 0;
}

static void
check_loads(const struct buf *out)
{
	struct config	 c;
	struct err	 e;
	const char	*p, *nl, *end = out->data + out->len;
	int		 fd;

	if (out->len == 0 || memchr(out->data, '\0', out->len) != NULL)
		abort();
	for (p = out->data; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			abort();	/* every line ends in LF */
		if (nl - p > CONFIG_LINE_MAX)
			abort();
	}
	if ((fd = memfd_create("fuzz-import", MFD_CLOEXEC)) == -1)
		abort();
	if (fchmod(fd, 0600) == -1 ||
	    write(fd, out->data, out->len) != (ssize_t)out->len ||
	    lseek(fd, 0, SEEK_SET) == -1)
		abort();
	if (config_load_fd(&c, fd, "fuzz.ini", 0, &e) == -1)
		abort();
	config_free(&c);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct import_fs	 fs;
	struct parts		 rest;
	struct buf		 out;
	struct err		 e;
	const uint8_t		*nul;
	const char		*account = NULL;
	size_t			 n;

	if (size > 0 && data[0] == 1) {
		account = "x";
		data++;
		size--;
	}
	nul = memchr(data, '\0', size);
	n = nul != NULL ? (size_t)(nul - data) : size;
	rest.p = data + n + (nul != NULL);
	rest.left = size - n - (nul != NULL);
	fs.read = parts_read;
	fs.arg = &rest;
	buf_init(&out, IMPORT_OUT_MAX);
	err_clear(&e);
	if (import_convert("/f/src", (const char *)data, n, account, &fs,
	    &out, &e) == -1) {
		if (e.cls != ERR_CONFIG && e.cls != ERR_SOFTWARE)
			abort();
		if (strncmp(e.msg, "internal", 8) == 0 || e.msg[0] == '\0' ||
		    strchr(e.msg, '\n') != NULL)
			abort();
	} else
		check_loads(&out);
	buf_free(&out);
	return 0;
}
