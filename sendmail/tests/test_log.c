/*
 * test_log.c -- unit tests for the escaping of log lines (log_addr,
 * log_text): a line must parse back unambiguously whatever an address or
 * a reply holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

static const struct {
	const char	*in;
	const char	*out;
} addr_cases[] = {
	{ "a@example.org", "<a@example.org>" },
	{ "", "<>" },
	{ "\"x> status=sent relay=evil\"@d",
	    "<\"x\\x3e\\x20status=sent\\x20relay=evil\"@d>" },
	{ "\"a,b<c\\\\d\"@x", "<\"a\\x2cb\\x3cc\\x5c\\x5cd\"@x>" },
	{ "\"\t\x7f\"@x", "<\"\\x09\\x7f\"@x>" },
	{ "j\xc3\xb6rg@x", "<j\xc3\xb6rg@x>" },	/* UTF-8 is kept */
};

static void
test_addr(void **state)
{
	char	out[LOG_ADDR_MAX];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++)
		assert_string_equal(log_addr(addr_cases[i].in, out,
		    sizeof(out)), addr_cases[i].out);
	assert_string_equal(log_addr(NULL, out, sizeof(out)), "none");
}

/* A short buffer cuts between escapes, never inside one, and keeps ">". */
static void
test_addr_short(void **state)
{
	char	out[12];

	(void)state;
	assert_string_equal(log_addr("ab  cd@x", out, sizeof(out)),
	    "<ab\\x20>");
	assert_string_equal(log_addr("abcdefghijklmnop", out, sizeof(out)),
	    "<abcdefghi>");
}

static void
test_text(void **state)
{
	char	out[64];

	(void)state;
	assert_string_equal(log_text("250 2.0.0 Ok (queued) \\ x", out,
	    sizeof(out)), "250 2.0.0 Ok \\x28queued\\x29 \\x5c x");
	assert_string_equal(log_text("a\r\nb", out, sizeof(out)),
	    "a\\x0d\\x0ab");
	assert_string_equal(log_text(NULL, out, sizeof(out)), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_addr_short),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
