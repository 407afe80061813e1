/*
 * test_mime7.c -- which messages go to a 7-bit server as they are, which
 * are made quoted-printable, which are refused, and the converted form.
 */
#include <sys/mman.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "mime7.h"

struct case7 {
	const char	*name;
	const char	*msg;
	int		 kind;
	const char	*why;	/* MIME7_REFUSE: substring */
	const char	*out;	/* MIME7_CONVERT: the converted message */
};

static const struct case7 cases[] = {
	{ "ASCII only", "Subject: x\r\n\r\nbody\r\n", MIME7_CLEAN, NULL,
	  NULL },
	{ "8-bit text, no MIME fields",
	  "Subject: x\r\n\r\n\xc3\xa9t\xc3\xa9 = \r\n",
	  MIME7_CONVERT, NULL,
	  "Subject: x\r\nMIME-Version: 1.0\r\n"
	  "Content-Type: text/plain; charset=UTF-8\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	  "=C3=A9t=C3=A9 =3D=20\r\n" },
	{ "text/html with 8bit CTE, folded",
	  "Content-Type: text/html;\r\n charset=utf-8\r\n"
	  "Content-Transfer-Encoding:\r\n 8bit\r\nMIME-Version: 1.0\r\n\r\n"
	  "<p>\xe9\t</p>\r\n\r\n",
	  MIME7_CONVERT, NULL,
	  "Content-Type: text/html;\r\n charset=utf-8\r\nMIME-Version: 1.0\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	  "<p>=E9\t</p>\r\n\r\n" },
	{ "no header fields", "\r\n\xff\r\n", MIME7_CONVERT, NULL,
	  "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\n=FF\r\n" },
	{ "8-bit header", "Subject: \xc3\xa9\r\n\r\nbody\r\n", MIME7_REFUSE,
	  "header field", NULL },
	{ "multipart", "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	  "--b\r\n\r\n\xe9\r\n--b--\r\n", MIME7_REFUSE, "single text part",
	  NULL },
	{ "message/rfc822", "Content-Type: message/rfc822\r\n\r\n"
	  "Subject: \xe9\r\n\r\nx\r\n", MIME7_REFUSE, "single text part",
	  NULL },
	{ "binary", "Content-Transfer-Encoding: binary\r\n\r\n\xe9\r\n",
	  MIME7_REFUSE, "transfer encoding", NULL },
	{ "base64 with 8-bit octets", "Content-Transfer-Encoding: base64\r\n"
	  "\r\n\xe9\r\n", MIME7_REFUSE, "transfer encoding", NULL },
};

static int
memfd_with(const char *s)
{
	int	fd = memfd_create("t", 0);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	return fd;
}

static int
collect(void *arg, const char *p, size_t n, struct err *e)
{
	return buf_add(arg, p, n);
}

static void
test_cases(void **state)
{
	const struct case7	*c;
	struct buf		 b;
	struct err		 e;
	const char		*why;
	off_t			 size;
	size_t			 i;
	int			 fd;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		print_message("case: %s\n", c->name);
		fd = memfd_with(c->msg);
		assert_int_equal(mime7_has_8bit(fd, &e),
		    c->kind != MIME7_CLEAN);
		assert_int_equal(mime7_classify(fd, &why, &e), c->kind);
		if (c->why != NULL)
			assert_non_null(strstr(why, c->why));
		if (c->out != NULL) {
			buf_init(&b, 1 << 20);
			assert_int_equal(mime7_convert(fd, collect, &b, &size,
			    &e), 0);
			assert_string_equal(buf_str(&b), c->out);
			assert_int_equal(size, (off_t)strlen(c->out));
			buf_free(&b);
		}
		close(fd);
	}
}

/* Soft breaks keep every body line within 76 octets. */
static void
test_long_line(void **state)
{
	struct buf	 in, out;
	struct err	 e;
	const char	*why, *p, *nl;
	off_t		 size;
	size_t		 i;
	int		 fd;

	(void)state;
	buf_init(&in, 1 << 20);
	buf_adds(&in, "Subject: long\r\n\r\n");
	for (i = 0; i < 3000; i++)
		buf_addc(&in, i % 7 == 0 ? '\xe9' : i % 5 == 0 ? ' ' : 'a');
	buf_adds(&in, "\r\n");
	fd = memfd_with(buf_str(&in));
	assert_int_equal(mime7_classify(fd, &why, &e), MIME7_CONVERT);
	buf_init(&out, 1 << 20);
	assert_int_equal(mime7_convert(fd, collect, &out, &size, &e), 0);
	p = strstr(buf_str(&out), "\r\n\r\n") + 4;
	for (; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		assert_true(nl - p - 1 <= 76);
	}
	for (i = 0; i < out.len; i++)
		assert_true((unsigned char)out.data[i] < 128);
	close(fd);
	buf_free(&in);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_long_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
