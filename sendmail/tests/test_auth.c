/*
 * test_auth.c -- SASL mechanisms against published vectors, mechanism
 * choice and strict base64.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "auth.h"
#include "config.h"

static void
step_str(struct sasl *s, const char *ch, struct buf *out)
{
	struct err	e;

	assert_int_equal(sasl_step(s, (const unsigned char *)ch,
	    ch ? strlen(ch) : 0, out, &e), 0);
}

/* RFC 5802 section 5: SCRAM-SHA-1. */
static void
test_scram_sha1_rfc5802(void **state)
{
	struct sasl	*s;
	struct buf	 out;
	struct err	 e;

	(void)state;
	buf_init(&out, 4096);
	assert_int_equal(sasl_new(&s, AUTH_MECH_SCRAM_SHA_1, "user",
	    "pencil", &e), 0);
	sasl_set_nonce(s, "fyko+d2lbbFgONRv9qkxdawL");
	step_str(s, NULL, &out);
	assert_string_equal(buf_str(&out), "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
	step_str(s, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
	    "s=QSXCR+Q6sek8bf92,i=4096", &out);
	assert_string_equal(buf_str(&out), "c=biws,r=fyko+d2lbbFgONRv9qkxdawL"
	    "3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
	assert_false(sasl_complete(s));
	/* A SHA-256-sized signature is not a SHA-1 one. */
	assert_int_equal(sasl_step(s, (const unsigned char *)
	    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", 46, &out, &e),
	    -1);
	sasl_free(s);
	assert_int_equal(sasl_new(&s, AUTH_MECH_SCRAM_SHA_1, "user",
	    "pencil", &e), 0);
	sasl_set_nonce(s, "fyko+d2lbbFgONRv9qkxdawL");
	step_str(s, NULL, &out);
	step_str(s, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
	    "s=QSXCR+Q6sek8bf92,i=4096", &out);
	step_str(s, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", &out);
	assert_true(sasl_complete(s));
	sasl_free(s);
	buf_free(&out);
}

/* RFC 7677 section 3. */
static void
test_scram_rfc7677(void **state)
{
	struct sasl	*s;
	struct buf	 out;
	struct err	 e;

	(void)state;
	buf_init(&out, 4096);
	assert_int_equal(sasl_new(&s, AUTH_MECH_SCRAM_SHA_256, "user",
	    "pencil", &e), 0);
	sasl_set_nonce(s, "rOprNGfwEbeRWgbNEkqO");
	step_str(s, NULL, &out);
	assert_string_equal(buf_str(&out), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
	step_str(s, "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	    "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", &out);
	assert_string_equal(buf_str(&out), "c=biws,r=rOprNGfwEbeRWgbNEkqO"
	    "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
	assert_false(sasl_complete(s));
	step_str(s, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", &out);
	assert_true(sasl_complete(s));
	sasl_free(s);

	/* A forged server signature is refused. */
	assert_int_equal(sasl_new(&s, AUTH_MECH_SCRAM_SHA_256, "user",
	    "pencil", &e), 0);
	sasl_set_nonce(s, "rOprNGfwEbeRWgbNEkqO");
	step_str(s, NULL, &out);
	step_str(s, "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	    "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", &out);
	assert_int_equal(sasl_step(s, (const unsigned char *)
	    "v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", 46, &out, &e),
	    -1);
	assert_false(sasl_complete(s));
	sasl_free(s);

	/* A nonce that does not extend ours, and a huge iteration count. */
	assert_int_equal(sasl_new(&s, AUTH_MECH_SCRAM_SHA_256, "user",
	    "pencil", &e), 0);
	sasl_set_nonce(s, "abc");
	step_str(s, NULL, &out);
	assert_int_equal(sasl_step(s, (const unsigned char *)
	    "r=xyz123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", 42, &out, &e), -1);
	sasl_free(s);
	assert_int_equal(sasl_new(&s, AUTH_MECH_SCRAM_SHA_256, "user",
	    "pencil", &e), 0);
	sasl_set_nonce(s, "abc");
	step_str(s, NULL, &out);
	assert_int_equal(sasl_step(s, (const unsigned char *)
	    "r=abc123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=999999999", 47, &out, &e),
	    -1);
	sasl_free(s);
	buf_free(&out);
}

/* RFC 5802 7: i= is a posit-number; anything else is refused, not guessed. */
static void
test_scram_bad_iterations(void **state)
{
	static const char *const bad[] = { "i=+4096", "i= 4096", "i=0",
	    "i=-1", "i=", "i=4096x", "i=04096", "i=18446744073709551617" };
	struct sasl	*s;
	struct buf	 out, in;
	struct err	 e;
	size_t		 i;

	(void)state;
	buf_init(&out, 4096);
	buf_init(&in, 256);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sasl_new(&s, AUTH_MECH_SCRAM_SHA_256, "user",
		    "pencil", &e), 0);
		sasl_set_nonce(s, "abc");
		step_str(s, NULL, &out);
		buf_reset(&in);
		assert_int_equal(buf_adds(&in,
		    "r=abc123,s=W22ZaJ0SNY7soEsUEjb6gQ==,"), 0);
		assert_int_equal(buf_adds(&in, bad[i]), 0);
		if (sasl_step(s, (const unsigned char *)in.data, in.len, &out,
		    &e) != -1)
			fail_msg("%s accepted", bad[i]);
		assert_non_null(strstr(e.msg, "iteration count"));
		sasl_free(s);
	}
	buf_free(&in);
	buf_free(&out);
}

/* RFC 2195 example. */
static void
test_cram_md5(void **state)
{
	struct sasl	*s;
	struct buf	 out;
	struct err	 e;

	(void)state;
	buf_init(&out, 4096);
	assert_int_equal(sasl_new(&s, AUTH_MECH_CRAM_MD5, "tim",
	    "tanstaaftanstaaf", &e), 0);
	assert_false(sasl_has_initial(s));
	step_str(s, "<1896.697170952@postoffice.reston.mci.net>", &out);
	assert_string_equal(buf_str(&out),
	    "tim b913a602c7eda7a495b4e6e7334d3890");
	sasl_free(s);
	buf_free(&out);
}

static void
test_plain_login(void **state)
{
	struct sasl	*s;
	struct buf	 out;
	struct err	 e;

	(void)state;
	buf_init(&out, 4096);
	sasl_new(&s, AUTH_MECH_PLAIN, "u", "p", &e);
	step_str(s, NULL, &out);
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.data, "\0u\0p", 4);
	assert_int_equal(sasl_step(s, (const unsigned char *)"x", 1, &out,
	    &e), -1);
	sasl_free(s);
	sasl_new(&s, AUTH_MECH_LOGIN, "u", "p", &e);
	step_str(s, "Username:", &out);
	assert_string_equal(buf_str(&out), "u");
	step_str(s, "Password:", &out);
	assert_string_equal(buf_str(&out), "p");
	assert_true(sasl_complete(s));
	sasl_free(s);
	buf_free(&out);
}

static void
test_choose(void **state)
{
	unsigned	all = AUTH_MECH_SCRAM_SHA_256 | AUTH_MECH_PLAIN |
	    AUTH_MECH_LOGIN | AUTH_MECH_CRAM_MD5 | AUTH_MECH_XOAUTH2 |
	    AUTH_MECH_OAUTHBEARER;

	(void)state;
	/* Without TLS (loopback): SCRAM first. */
	assert_int_equal(auth_choose("PLAIN LOGIN SCRAM-SHA-256", all, 1, 0),
	    AUTH_MECH_SCRAM_SHA_256);
	/* auto over verified TLS: PLAIN first, then the fixed order. */
	assert_int_equal(auth_choose("PLAIN LOGIN SCRAM-SHA-256", all, 1, 1),
	    AUTH_MECH_PLAIN);
	assert_int_equal(auth_choose("LOGIN SCRAM-SHA-256", all, 1, 1),
	    AUTH_MECH_SCRAM_SHA_256);
	/* An explicit list keeps the fixed order, TLS or not. */
	assert_int_equal(auth_choose("PLAIN SCRAM-SHA-256",
	    AUTH_MECH_PLAIN | AUTH_MECH_SCRAM_SHA_256, 0, 1),
	    AUTH_MECH_SCRAM_SHA_256);
	assert_int_equal(auth_choose("SCRAM-SHA-256 PLAIN", AUTH_MECH_SCRAM_SHA_256,
	    1, 1), AUTH_MECH_SCRAM_SHA_256);
	assert_int_equal(auth_choose("LOGIN PLAIN", all, 1, 0), AUTH_MECH_PLAIN);
	/* SCRAM-SHA-256 before SCRAM-SHA-1, SCRAM-SHA-1 before PLAIN. */
	assert_int_equal(auth_choose("SCRAM-SHA-1 SCRAM-SHA-256", AUTH_MECH_ALL,
	    1, 0), AUTH_MECH_SCRAM_SHA_256);
	assert_int_equal(auth_choose("PLAIN SCRAM-SHA-1", AUTH_MECH_ALL, 1, 0),
	    AUTH_MECH_SCRAM_SHA_1);
	assert_int_equal(auth_choose("PLAIN SCRAM-SHA-1", AUTH_MECH_ALL, 1, 1),
	    AUTH_MECH_PLAIN);
	assert_int_equal(auth_choose("login", all, 1, 1), AUTH_MECH_LOGIN);
	assert_int_equal(auth_choose("XOAUTH2", all, 1, 1), 0);
	assert_int_equal(auth_choose("XOAUTH2", AUTH_MECH_XOAUTH2, 0, 1),
	    AUTH_MECH_XOAUTH2);
	assert_int_equal(auth_choose("GSSAPI NTLM", all, 1, 1), 0);
	assert_int_equal(auth_choose("PLAIN", AUTH_MECH_LOGIN, 0, 1), 0);
	assert_int_equal(auth_choose("", all, 1, 1), 0);
}

static void
test_b64(void **state)
{
	struct buf	b;
	struct err	e;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(auth_b64_encode("\0u\0p", 4, &b), 0);
	assert_string_equal(buf_str(&b), "AHUAcA==");
	assert_int_equal(auth_b64_decode("AHUAcA==", 8, &b, &e), 0);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "\0u\0p", 4);
	assert_int_equal(auth_b64_decode("VXNlcm5hbWU6", 12, &b, &e), 0);
	assert_string_equal(buf_str(&b), "Username:");
	assert_int_equal(auth_b64_decode("", 0, &b, &e), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(auth_b64_decode("AHU", 3, &b, &e), -1);
	assert_int_equal(auth_b64_decode("AH=A", 4, &b, &e), -1);
	assert_int_equal(auth_b64_decode("AH!A", 4, &b, &e), -1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scram_rfc7677),
		cmocka_unit_test(test_scram_sha1_rfc5802),
		cmocka_unit_test(test_scram_bad_iterations),
		cmocka_unit_test(test_cram_md5),
		cmocka_unit_test(test_plain_login),
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_b64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
