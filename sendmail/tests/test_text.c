/*
 * test_text.c -- the shared helpers of text.c and io.c: scrubbing, bounded
 * numbers, enhanced status codes, the date, base64, the body's line runs,
 * the scratch file.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "io.h"
#include "text.h"

struct scrub_case {
	const char	*in;
	size_t		 n, outlen;
	const char	*out;
};

static const struct scrub_case scrub_cases[] = {
	{ "plain", 100, 64, "plain" },
	{ "a\r\nb", 100, 64, "a??b" },
	{ "del\x7f", 100, 64, "del?" },		/* log.c used to miss 0x7f */
	{ "tab\there", 100, 64, "tab?here" },
	{ "\x1b[31m", 100, 64, "?[31m" },
	{ "cut here", 3, 64, "cut" },
	{ "too long", 100, 4, "too" },
	{ "\xc3\xa9", 100, 64, "\xc3\xa9" },	/* 8-bit octets stay */
};

static void
test_scrub(void **state)
{
	char	out[64];
	size_t	i, n;

	(void)state;
	for (i = 0; i < sizeof(scrub_cases) / sizeof(scrub_cases[0]); i++) {
		const struct scrub_case *c = &scrub_cases[i];

		n = text_scrub(out, c->outlen, c->in, c->n, '?');
		assert_string_equal(out, c->out);
		assert_int_equal(n, strlen(c->out));
	}
	assert_int_equal(text_scrub(out, sizeof(out), NULL, 5, '?'), 0);
	assert_string_equal(out, "");
	/* In place. */
	snprintf(out, sizeof(out), "x\ny");
	text_scrub(out, sizeof(out), out, sizeof(out), ' ');
	assert_string_equal(out, "x y");
	assert_true(text_has_ctl("a\x7f"));
	assert_true(text_has_ctl("\n"));
	assert_false(text_has_ctl("a b"));
	assert_false(text_has_ctl(NULL));
}

struct num_case {
	const char	*in;
	uint64_t	 max;
	int		 rc;
	uint64_t	 v;
};

static const struct num_case num_cases[] = {
	{ "0", 10, 0, 0 },
	{ "10", 10, 0, 10 },
	{ "11", 10, -1, 0 },
	{ "007", 100, -1, 0 },		/* no leading zero */
	{ "", 100, -1, 0 },
	{ "-1", 100, -1, 0 },
	{ "+1", 100, -1, 0 },
	{ " 1", 100, -1, 0 },
	{ "1x", 100, -1, 0 },
	{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
	{ "18446744073709551616", UINT64_MAX, -1, 0 },
	{ "123456789012345678901", UINT64_MAX, -1, 0 },
};

static void
test_parse_u64(void **state)
{
	uint64_t	v;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(num_cases) / sizeof(num_cases[0]); i++) {
		v = 12345;
		assert_int_equal(text_parse_u64(num_cases[i].in,
		    strlen(num_cases[i].in), num_cases[i].max, &v),
		    num_cases[i].rc);
		assert_true(v == (num_cases[i].rc == 0 ? num_cases[i].v :
		    12345));
	}
	/* Exactly len octets: "12" of "123". */
	assert_int_equal(text_parse_u64("123", 2, 100, &v), 0);
	assert_true(v == 12);
}

struct enh_case {
	const char	*in;
	char		 cls;
	size_t		 len;
};

static const struct enh_case enh_cases[] = {
	{ "5.1.1 no such user", '5', 5 },
	{ "5.1.1", '5', 5 },
	{ "4.7.0 later", '4', 5 },
	{ "5.123.456 x", '5', 9 },
	{ "5.1234.1 x", '5', 0 },
	{ "5.1.1234 x", '5', 0 },
	{ "4.1.1 x", '5', 0 },		/* wrong class */
	{ "5.1. x", '5', 0 },
	{ "5..1 x", '5', 0 },
	{ "5.1.1x", '5', 0 },
	{ "", '5', 0 },
};

static void
test_enhanced(void **state)
{
	char		 out[16];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(enh_cases) / sizeof(enh_cases[0]); i++)
		assert_int_equal(text_enhanced_len(enh_cases[i].in,
		    enh_cases[i].cls), enh_cases[i].len);
	assert_string_equal(text_enhanced_find("smarthost said: 550 5.1.1 "
	    "no such user", '5', "5.0.0", out, sizeof(out)), "5.1.1");
	assert_string_equal(text_enhanced_find("452 4.3.1 full", '4',
	    "4.3.0", out, sizeof(out)), "4.3.1");
	/* Not a reply code before it, or the wrong class: the default. */
	assert_string_equal(text_enhanced_find("x550 5.1.1 y", '5', "5.0.0",
	    out, sizeof(out)), "5.0.0");
	assert_string_equal(text_enhanced_find("550 5.1.1 y", '4', "4.3.0",
	    out, sizeof(out)), "4.3.0");
	assert_string_equal(text_enhanced_find("no code", '5', "5.0.0",
	    out, sizeof(out)), "5.0.0");
	/* Does not fit: the default. */
	assert_string_equal(text_enhanced_find("550 5.1.1 y", '5', "d",
	    out, 4), "d");
}

static void
test_date(void **state)
{
	char	out[64];

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	text_date(0, out, sizeof(out));
	assert_string_equal(out, "Thu, 1 Jan 1970 00:00:00 +0000");
	setenv("TZ", "EST5", 1);
	tzset();
	text_date(1796000000, out, sizeof(out));
	assert_string_equal(out, "Sun, 29 Nov 2026 19:53:20 -0500");
	setenv("TZ", "<+0530>-5:30", 1);
	tzset();
	text_date(0, out, sizeof(out));
	assert_string_equal(out, "Thu, 1 Jan 1970 05:30:00 +0530");
	unsetenv("TZ");
	tzset();
}

struct b64_case {
	const char	*in;
	const char	*out;
};

static const struct b64_case b64_cases[] = {	/* RFC 4648 section 10 */
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static void
test_b64(void **state)
{
	struct buf	b;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(b64_cases) / sizeof(b64_cases[0]); i++) {
		buf_init(&b, 64);
		buf_adds(&b, ">");
		assert_int_equal(text_b64_append(&b, b64_cases[i].in,
		    strlen(b64_cases[i].in)), 0);
		assert_string_equal(b.data + 1, b64_cases[i].out);
		assert_int_equal(b.len, 1 + strlen(b64_cases[i].out));
		buf_free(&b);
	}
	/* Past the limit: fails, the buffer unchanged. */
	buf_init(&b, 8);
	buf_adds(&b, "ab");
	assert_int_equal(text_b64_append(&b, "foobar", 6), -1);
	assert_string_equal(buf_str(&b), "ab");
	buf_free(&b);
}

/* The obvious octet loop text_line_run() must agree with. */
static size_t
ref_line_run(const unsigned char *p, size_t n, int *hi)
{
	size_t	i;

	for (i = 0; i < n && p[i] != '\0' && p[i] != '\r' && p[i] != '\n';
	    i++)
		if (p[i] >= 0x80)
			*hi = 1;
	return i;
}

static void
test_line_run(void **state)
{
	/* Stops, and octets next to them (a borrow, the high bit). */
	static const unsigned char	alpha[] = { 'a', ' ', 0, '\r', '\n',
	    0x01, 0x0c, 0x0e, 0x0b, 0x09, 0x7f, 0x80, 0x8d, 0x8a, 0xff };
	unsigned char			in[80];
	size_t				n, i, off, round;
	int				hi, want_hi;

	(void)state;
	hi = 0;
	assert_int_equal(text_line_run("", 0, &hi), 0);
	assert_int_equal(text_line_run("exactly8\r\n", 10, &hi), 8);
	assert_int_equal(text_line_run("sixteen octets..\n", 17, &hi), 16);
	assert_int_equal(hi, 0);
	assert_int_equal(text_line_run("caf\xc3\xa9 latte, long enough", 22,
	    &hi), 22);
	assert_int_equal(hi, 1);
	/* 8-bit after the stop does not count. */
	hi = 0;
	assert_int_equal(text_line_run("0123456789\n\xff", 12, &hi), 10);
	assert_int_equal(hi, 0);
	srandom(5322);
	for (round = 0; round < 200000; round++) {
		n = (size_t)random() % sizeof(in);
		for (i = 0; i < n; i++)
			in[i] = random() % 4 != 0 ? (unsigned char)('a' +
			    random() % 26) : alpha[random() % sizeof(alpha)];
		/* Mostly long clean runs, so the word loop is taken. */
		if (round & 1)
			for (i = 0; i + 1 < n; i++)
				if (in[i] == 0 || in[i] == '\r' ||
				    in[i] == '\n')
					in[i] = random() % 8 != 0 ? 'x' : in[i];
		off = n > 0 ? (size_t)random() % (n + 1) : 0;
		hi = want_hi = (int)(round & 2) / 2;
		assert_int_equal(text_line_run((const char *)in + off,
		    n - off, &hi), ref_line_run(in + off, n - off, &want_hi));
		assert_int_equal(hi, want_hi);
	}
}

static void
test_scratch(void **state)
{
	char		 dir[] = "/tmp/test_text.XXXXXX", buf[8], path[64];
	struct err	 e;
	struct stat	 st;
	int		 fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	fd = io_scratch_open(dir, &e);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_nlink, 0);	/* unnamed */
	assert_int_equal(write(fd, "abc", 3), 3);
	assert_int_equal(pread(fd, buf, 3, 0), 3);
	assert_memory_equal(buf, "abc", 3);
	close(fd);
	assert_int_equal(rmdir(dir), 0);	/* nothing left in it */
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(io_scratch_open(path, &e), -1);
	assert_int_equal(e.cls, ERR_CANTCREAT);
	assert_non_null(strstr(e.msg, "cannot create a scratch file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_enhanced),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_b64),
		cmocka_unit_test(test_line_run),
		cmocka_unit_test(test_scratch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
