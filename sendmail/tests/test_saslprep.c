/*
 * test_saslprep.c -- SASLprep (RFC 4013): the RFC's examples, the
 * generated differential vectors (tests/saslprep-gen.py against Python's
 * stringprep and NFKC), NFKC cases by hand, invalid UTF-8, the output
 * bound, and SCRAM with a prepared password.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth.h"
#include "config.h"
#include "saslprep.h"

struct vec {
	const char	*in;
	int		 status;
	const char	*out;
};

#include "test_saslprep_vec.inc"

static void
expect(const char *in, enum saslprep_result want, const char *out)
{
	char		*got;
	const char	*why;

	assert_int_equal(saslprep(in, &got, &why), want);
	if (want == SASLPREP_OK) {
		assert_non_null(got);
		assert_null(why);
		assert_string_equal(got, out);
		free(got);
	} else {
		assert_null(got);
		assert_non_null(why);
	}
}

/* RFC 4013 section 3. */
static void
test_rfc4013_examples(void **state)
{
	(void)state;
	expect("I\xc2\xad" "X", SASLPREP_OK, "IX");	/* soft hyphen */
	expect("user", SASLPREP_OK, "user");
	expect("USER", SASLPREP_OK, "USER");
	expect("\xc2\xaa", SASLPREP_OK, "a");		/* U+00AA */
	expect("\xe2\x85\xa8", SASLPREP_OK, "IX");		/* U+2168 */
	expect("\x07", SASLPREP_PROHIBITED, NULL);
	expect("\xd8\xa7" "1", SASLPREP_PROHIBITED, NULL);	/* bidi */
}

static void
test_mapping_and_rules(void **state)
{
	(void)state;
	/* Non-ASCII spaces map to SPACE (C.1.2), B.1 to nothing. */
	expect("pass\xc2\xa0word", SASLPREP_OK, "pass word");
	expect("a\xe3\x80\x80" "b\xe2\x80\x83" "c", SASLPREP_OK, "a b c");
	expect("a\xe2\x80\x8b" "b", SASLPREP_OK, "ab");	/* U+200B: B.1 */
	expect("\xef\xbb\xbfx\xe1\xa0\x86", SASLPREP_OK, "x");
	/* Precomposed Latin is already NFKC; decomposed is composed. */
	expect("p\xc3\xa4sswo\xcc\x88rd", SASLPREP_OK, "p\xc3\xa4ssw\xc3\xb6rd");
	expect("p\xc3\xa4ssw\xc3\xb6rd", SASLPREP_OK, "p\xc3\xa4ssw\xc3\xb6rd");
	expect("\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c", SASLPREP_OK,
	    "\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c");
	expect("\xef\xac\x81", SASLPREP_OK, "fi");		/* U+FB01 */
	expect("\xc2\xb5", SASLPREP_OK, "\xce\xbc");		/* micro sign */
	/* Marks in any order: U+0323 (220) goes before U+0307 (230), then
	 * s + U+0323 + U+0307 is U+1E69; U+1E9B U+0323 likewise. */
	expect("s\xcc\x87\xcc\xa3", SASLPREP_OK, "\xe1\xb9\xa9");
	expect("\xe1\xba\x9b\xcc\xa3", SASLPREP_OK, "\xe1\xb9\xa9");
	/* Hangul: jamo L V T compose to U+AC01, U+3131 is U+1100. */
	expect("\xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8", SASLPREP_OK,
	    "\xea\xb0\x81");
	expect("\xea\xb0\x80\xe1\x86\xa8", SASLPREP_OK, "\xea\xb0\x81");
	expect("\xe3\x84\xb1", SASLPREP_OK, "\xe1\x84\x80");
	/* A composition exclusion (U+0958) stays decomposed; a leading
	 * mark joins nothing. */
	expect("\xe0\xa5\x98", SASLPREP_OK, "\xe0\xa4\x95\xe0\xa4\xbc");
	expect("\xcc\x88" "a", SASLPREP_OK, "\xcc\x88" "a");
	/* Prohibited output. */
	expect("a\x7f", SASLPREP_PROHIBITED, NULL);
	expect("a\xc2\x85", SASLPREP_PROHIBITED, NULL);	/* U+0085 */
	expect("\xee\x80\x80", SASLPREP_PROHIBITED, NULL);	/* private use */
	expect("\xef\xbf\xbe", SASLPREP_PROHIBITED, NULL);	/* U+FFFE */
	expect("\xf3\xa0\x80\x81", SASLPREP_PROHIBITED, NULL);	/* U+E0001 */
	expect("a\xe2\x80\x8e", SASLPREP_PROHIBITED, NULL);	/* U+200E */
	/* Bidi: RandALCat first and last, no LCat with it. */
	expect("\xd8\xa7" "1\xd8\xa8", SASLPREP_OK, "\xd8\xa7" "1\xd8\xa8");
	expect("\xd7\x90" "a\xd7\x91", SASLPREP_PROHIBITED, NULL);
	expect("1\xd7\x90", SASLPREP_PROHIBITED, NULL);
	/* Unassigned in Unicode 3.2 is allowed in a query (RFC 5802). */
	expect("\xf0\x9f\x98\x80", SASLPREP_OK, "\xf0\x9f\x98\x80");
	expect("", SASLPREP_OK, "");
}

static void
test_invalid_utf8(void **state)
{
	static const char *const bad[] = {
		"\x80", "a\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\xff", "\xe2\x82",
		"\xc3\x28",
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect(bad[i], SASLPREP_UNSUPPORTED, NULL);
}

/* Against Python's stringprep + NFKC (Unicode 3.2). */
static void
test_vectors(void **state)
{
	size_t	i, n[3] = { 0, 0, 0 };

	(void)state;
	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		expect(vecs[i].in, (enum saslprep_result)vecs[i].status,
		    vecs[i].out);
		n[vecs[i].status]++;
	}
	/* The vectors exercise both outcomes; all are valid UTF-8. */
	assert_true(n[0] > 1000 && n[1] > 500 && n[2] == 0);
}

/* NFKC can lengthen a string: U+FDFA is 3 octets in, 33 out.  The output
 * is bounded by SASLPREP_MAX and a longer one is refused cleanly. */
static void
test_length_bound(void **state)
{
	char		 in[4 * SASLPREP_MAX], *got;
	const char	*why;
	size_t		 i, k = SASLPREP_MAX / 33;

	(void)state;
	for (i = 0; i < k; i++)
		memcpy(in + 3 * i, "\xef\xb7\xba", 3);
	in[3 * k] = '\0';
	assert_int_equal(saslprep(in, &got, &why), SASLPREP_OK);
	assert_int_equal(strlen(got), 33 * k);
	free(got);
	memcpy(in + 3 * k, "\xef\xb7\xba", 4);
	assert_int_equal(saslprep(in, &got, &why), SASLPREP_UNSUPPORTED);
	assert_null(got);
	assert_non_null(strstr(why, "too long"));
	/* U+01D5 is 3 code points decomposed, 2 octets composed: 2048 of
	 * them (SASLPREP_MAX octets, 6144 code points on the way) fit,
	 * written either way. */
	k = SASLPREP_MAX / 2;
	for (i = 0; i < k; i++)
		memcpy(in + 5 * i, "U\xcc\x88\xcc\x84", 5);
	in[5 * k] = '\0';
	assert_int_equal(saslprep(in, &got, &why), SASLPREP_OK);
	assert_int_equal(strlen(got), 2 * k);
	for (i = 0; i < k; i++)
		assert_memory_equal(got + 2 * i, "\xc7\x95", 2);
	free(got);
	memset(in, 'a', SASLPREP_MAX);
	in[SASLPREP_MAX] = '\0';
	assert_int_equal(saslprep(in, &got, &why), SASLPREP_OK);
	free(got);
	memset(in, 'a', 3 * SASLPREP_MAX);
	in[3 * SASLPREP_MAX] = '\0';
	assert_int_equal(saslprep(in, &got, &why), SASLPREP_UNSUPPORTED);
	assert_null(got);
}

/* SCRAM proves the prepared password: U+00AD and U+00A0 change nothing
 * but what RFC 4013 says they map to (RFC 7677's vector). */
static void
test_scram_prepared(void **state)
{
	static const char *const pw[] = { "pencil", "pen\xc2\xad" "cil" };
	static const char first[] = "r=rOprNGfwEbeRWgbNEkqO"
	    "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
	struct sasl	*s;
	struct buf	 out;
	struct err	 e;
	unsigned	 mech;
	char		 note[400];
	size_t		 i;

	(void)state;
	buf_init(&out, 4096);
	for (i = 0; i < 2; i++) {
		assert_int_equal(sasl_new(&s, AUTH_MECH_SCRAM_SHA_256,
		    "us\xc2\xad" "er", pw[i], &e), 0);
		sasl_set_nonce(s, "rOprNGfwEbeRWgbNEkqO");
		assert_int_equal(sasl_step(s, NULL, 0, &out, &e), 0);
		assert_string_equal(buf_str(&out),
		    "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
		assert_int_equal(sasl_step(s, (const unsigned char *)first,
		    strlen(first), &out, &e), 0);
		assert_string_equal(buf_str(&out), "c=biws,r=rOprNGfwEbeRWgbNEkqO"
		    "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
		    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
		sasl_free(s);
	}
	/* No SCRAM with a password that cannot be prepared (not UTF-8)... */
	assert_int_equal(sasl_new(&s, AUTH_MECH_SCRAM_SHA_1, "user",
	    "\xb5", &e), -1);
	assert_int_equal(e.cls, ERR_CONFIG);
	assert_null(strstr(e.msg, "\xb5"));
	/* ...but PLAIN sends it as it is. */
	assert_int_equal(sasl_new(&s, AUTH_MECH_PLAIN, "user", "\xb5",
	    &e), 0);
	assert_int_equal(sasl_step(s, NULL, 0, &out, &e), 0);
	assert_memory_equal(out.data, "\0user\0\xb5", 7);
	sasl_free(s);

	/* auth_select: auto leaves SCRAM out and says why... */
	assert_int_equal(auth_select("SCRAM-SHA-256 LOGIN", AUTH_MECH_ALL, 1, 0,
	    "user", "\xb5", &mech, note, sizeof(note), &e), 0);
	assert_int_equal(mech, AUTH_MECH_LOGIN);
	assert_non_null(strstr(note, "not using SCRAM-SHA-256"));
	assert_non_null(strstr(note, "using LOGIN"));
	/* ...a password that can be prepared keeps SCRAM, NFKC or not... */
	assert_int_equal(auth_select("SCRAM-SHA-256 LOGIN", AUTH_MECH_ALL, 1, 0,
	    "user", "p\xc3\xa4ss\xc2\xa0w\xc3\xb6rd", &mech, note,
	    sizeof(note), &e), 0);
	assert_int_equal(mech, AUTH_MECH_SCRAM_SHA_256);
	assert_string_equal(note, "");
	assert_int_equal(auth_select("SCRAM-SHA-256 LOGIN", AUTH_MECH_ALL, 1, 0,
	    "\xef\xac\x81", "pa\xcc\x88ss\xc2\xb5", &mech, note,
	    sizeof(note), &e), 0);
	assert_int_equal(mech, AUTH_MECH_SCRAM_SHA_256);
	assert_string_equal(note, "");
	/* ...and an explicit SCRAM-only list is an error (U+0007 is
	 * prohibited output). */
	assert_int_equal(auth_select("SCRAM-SHA-256 PLAIN",
	    AUTH_MECH_SCRAM_SHA_256, 0, 1, "user", "a\x07", &mech, note,
	    sizeof(note), &e), -1);
	assert_int_equal(e.cls, ERR_CONFIG);
	assert_non_null(strstr(e.msg, "cannot use SCRAM-SHA-256"));
	/* A user name that cannot be prepared counts too. */
	assert_int_equal(auth_select("SCRAM-SHA-1 CRAM-MD5", AUTH_MECH_ALL, 1, 0,
	    "us\xe2\x80\x8e" "er", "pencil", &mech, note, sizeof(note), &e), 0);
	assert_int_equal(mech, AUTH_MECH_CRAM_MD5);
	assert_non_null(strstr(note, "user name"));
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4013_examples),
		cmocka_unit_test(test_mapping_and_rules),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_length_bound),
		cmocka_unit_test(test_scram_prepared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
