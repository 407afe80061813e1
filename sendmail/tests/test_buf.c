/*
 * test_buf.c -- the bounded buffer: every writer stops at the limit,
 * fails with E2BIG and leaves the contents as they were.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"

enum op { ADD, ADDC, ADDS, PRINTF, RESERVE };

struct case_buf {
	const char	*name;
	size_t		 max;
	const char	*before;	/* added first */
	enum op		 op;
	const char	*arg;		/* for RESERVE: its length counts */
	int		 rc;
	const char	*after;
};

static const struct case_buf cases[] = {
	{ "add fits", 8, "abc", ADD, "defgh", 0, "abcdefgh" },
	{ "add one past", 8, "abc", ADD, "defghi", -1, "abc" },
	{ "addc fits", 4, "abc", ADDC, "d", 0, "abcd" },
	{ "addc past", 3, "abc", ADDC, "d", -1, "abc" },
	{ "adds exact", 3, "", ADDS, "xyz", 0, "xyz" },
	{ "adds past", 2, "", ADDS, "xyz", -1, "" },
	{ "printf fits", 6, "a", PRINTF, "bcdef", 0, "abcdef" },
	{ "printf past", 6, "a", PRINTF, "bcdefg", -1, "a" },
	{ "reserve fits", 5, "ab", RESERVE, "cde", 0, "ab" },
	{ "reserve past", 5, "ab", RESERVE, "cdef", -1, "ab" },
	{ "zero limit", 0, "", ADD, "a", -1, "" },
};

static void
test_limits(void **state)
{
	struct buf	b;
	size_t		i;
	int		rc = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct case_buf *c = &cases[i];

		buf_init(&b, c->max);
		assert_int_equal(buf_adds(&b, c->before), 0);
		errno = 0;
		switch (c->op) {
		case ADD:
			rc = buf_add(&b, c->arg, strlen(c->arg));
			break;
		case ADDC:
			rc = buf_addc(&b, c->arg[0]);
			break;
		case ADDS:
			rc = buf_adds(&b, c->arg);
			break;
		case PRINTF:
			rc = buf_printf(&b, "%s", c->arg);
			break;
		case RESERVE:
			rc = buf_reserve(&b, strlen(c->arg));
			break;
		}
		if (rc != c->rc)
			fail_msg("%s: rc %d", c->name, rc);
		if (rc == -1)
			assert_int_equal(errno, E2BIG);
		assert_string_equal(buf_str(&b), c->after);
		assert_int_equal(b.len, strlen(c->after));
		assert_true(b.len <= b.max);
		if (c->op == RESERVE && rc == 0)
			assert_true(b.cap >= b.len + strlen(c->arg) + 1);
		buf_free(&b);
	}
}

static void
test_consume_release(void **state)
{
	struct buf	 b;
	char		*p;

	(void)state;
	buf_init(&b, 64);
	assert_string_equal(buf_str(&b), "");	/* never NULL */
	assert_int_equal(buf_add(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 3);		/* NULs are data */
	assert_int_equal(b.data[3], '\0');	/* and it is terminated */
	buf_consume(&b, 1);
	assert_memory_equal(b.data, "\0b", 3);
	buf_consume(&b, 10);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_adds(&b, "xy"), 0);
	p = buf_release(&b);
	assert_string_equal(p, "xy");
	free(p);
	assert_int_equal(b.len, 0);
	p = buf_release(&b);			/* empty: "" */
	assert_string_equal(p, "");
	free(p);
	/* Reused after a release, with the same limit. */
	assert_int_equal(buf_adds(&b, "0123456789"), 0);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_consume_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
