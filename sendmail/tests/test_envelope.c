/*
 * test_envelope.c -- the envelope: checked addresses, duplicate
 * recipients (local part exact, domain without case), SMTPUTF8 noticed,
 * replies, counts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "envelope.h"

struct rcpt_case {
	const char	*add[4];	/* added in order */
	size_t		 n;		/* recipients kept */
	int		 utf8;
};

static const struct rcpt_case rcpt_cases[] = {
	{ { "a@x", "a@x" }, 1, 0 },
	{ { "a@x", "a@X" }, 1, 0 },		/* domain: any case */
	{ { "a@x", "A@x" }, 2, 0 },		/* local part: exact */
	{ { "a@x", "a" }, 2, 0 },
	{ { "a", "a" }, 1, 0 },
	{ { "a@x", "b@x", "c@y", "a@x" }, 3, 0 },
	{ { "j\xc3\xb6rg@x" }, 1, 1 },
};

static void
test_rcpts(void **state)
{
	struct envelope	env;
	struct err	e;
	size_t		i, j;

	(void)state;
	for (i = 0; i < sizeof(rcpt_cases) / sizeof(rcpt_cases[0]); i++) {
		envelope_init(&env);
		for (j = 0; j < 4 && rcpt_cases[i].add[j] != NULL; j++)
			assert_int_equal(envelope_add_rcpt(&env,
			    rcpt_cases[i].add[j], &e), 0);
		assert_int_equal(env.nrcpts, rcpt_cases[i].n);
		assert_int_equal(env.smtputf8, rcpt_cases[i].utf8);
		assert_int_equal(envelope_count(&env, RCPT_PENDING),
		    rcpt_cases[i].n);
		envelope_free(&env);
	}
}

static const char *const bad[] = {
	"", "a\r\n@x", "-oQ/tmp", "a b@x", "a@x\n",
};

static void
test_refused(void **state)
{
	struct envelope	env;
	struct err	e;
	size_t		i;

	(void)state;
	envelope_init(&env);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		assert_int_equal(envelope_add_rcpt(&env, bad[i], &e), -1);
		assert_int_equal(e.cls, ERR_DATA);
	}
	assert_int_equal(env.nrcpts, 0);
	assert_int_equal(envelope_set_sender(&env, "a\nb@x", &e), -1);
	assert_null(env.sender);
	/* "" is the null sender. */
	assert_int_equal(envelope_set_sender(&env, "", &e), 0);
	assert_string_equal(env.sender, "");
	assert_int_equal(envelope_set_sender(&env, "me@x", &e), 0);
	assert_string_equal(env.sender, "me@x");
	envelope_free(&env);
}

static void
test_reply_count(void **state)
{
	struct envelope	env;
	struct err	e;

	(void)state;
	envelope_init(&env);
	assert_int_equal(envelope_add_rcpt(&env, "a@x", &e), 0);
	assert_int_equal(envelope_add_rcpt(&env, "b@x", &e), 0);
	assert_int_equal(envelope_set_reply(&env.rcpts[0], "250 ok"), 0);
	assert_string_equal(env.rcpts[0].reply, "250 ok");
	assert_int_equal(envelope_set_reply(&env.rcpts[0], NULL), 0);
	assert_null(env.rcpts[0].reply);
	env.rcpts[1].state = RCPT_FAILED;
	assert_int_equal(envelope_count(&env, RCPT_PENDING), 1);
	assert_int_equal(envelope_count(&env, RCPT_FAILED), 1);
	assert_int_equal(envelope_count(&env, RCPT_SENT), 0);
	envelope_free(&env);
	assert_int_equal(env.nrcpts, 0);	/* reusable */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rcpts),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_reply_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
