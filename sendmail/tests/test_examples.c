/*
 * test_examples.c -- every config/examples/NAME.ini loads with config_load().
 *
 * The files hold dummy secrets only by reference (password_file,
 * password_command), so they load from a checkout of any mode.  Run from
 * the top of the source tree (make unit does), or set EXAMPLES_DIR.  Beside
 * loading, each file is checked for what its comments promise: verified
 * TLS everywhere but on loopback, and the mechanism the provider needs.
 */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "err.h"

static const struct {
	const char	*file;
	const char	*host;
	unsigned	 port;
	enum config_tls	 tls;
	unsigned	 mechs;		/* 0: do not check */
} want[] = {
	{ "gmail-app-password.ini", "smtp.gmail.com", 587,
	  CONFIG_TLS_STARTTLS, 0 },
	{ "google-workspace-xoauth2.ini", "smtp.gmail.com", 465,
	  CONFIG_TLS_IMPLICIT, AUTH_MECH_XOAUTH2 },
	{ "microsoft365-oauth2.ini", "smtp.office365.com", 587,
	  CONFIG_TLS_STARTTLS, AUTH_MECH_XOAUTH2 },
	{ "amazon-ses-587.ini", "email-smtp.eu-west-1.amazonaws.com", 587,
	  CONFIG_TLS_STARTTLS, 0 },
	{ "amazon-ses-465.ini", "email-smtp.us-east-1.amazonaws.com", 465,
	  CONFIG_TLS_IMPLICIT, 0 },
	{ "mailgun.ini", "smtp.mailgun.org", 587, CONFIG_TLS_STARTTLS, 0 },
	{ "postmark.ini", "smtp.postmarkapp.com", 587, CONFIG_TLS_STARTTLS, 0 },
	{ "sendgrid.ini", "smtp.sendgrid.net", 587, CONFIG_TLS_STARTTLS, 0 },
	{ "local-relay.ini", "127.0.0.1", 25, CONFIG_TLS_NONE, 0 },
	{ "internal-relay-pinned.ini", "relay.corp.example", 587,
	  CONFIG_TLS_STARTTLS, 0 },
};

static const char *
dir(void)
{
	const char	*d = getenv("EXAMPLES_DIR");

	return d != NULL ? d : "config/examples";
}

/* Every file in the directory loads, and every one is in the table. */
static void
test_all_load(void **state)
{
	glob_t		 g;
	struct config	 c;
	struct err	 e;
	char		 pat[512];
	const char	*base;
	size_t		 i, j;

	(void)state;
	snprintf(pat, sizeof(pat), "%s/*.ini", dir());
	assert_int_equal(glob(pat, 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= sizeof(want) / sizeof(want[0]));
	for (i = 0; i < g.gl_pathc; i++) {
		if (config_load(&c, g.gl_pathv[i], 0, &e) == -1)
			fail_msg("%s", e.msg);
		base = strrchr(g.gl_pathv[i], '/') + 1;
		for (j = 0; j < sizeof(want) / sizeof(want[0]); j++)
			if (strcmp(want[j].file, base) == 0)
				break;
		if (j == sizeof(want) / sizeof(want[0]))
			fail_msg("%s: not in test_examples.c's table", base);
		assert_string_equal(c.hosts[0], want[j].host);
		assert_int_equal(c.port, want[j].port);
		assert_int_equal(c.tls, want[j].tls);
		assert_true(c.tls_verify);
		if (want[j].mechs != 0)
			assert_int_equal(c.auth_mechs, want[j].mechs);
		if (c.tls != CONFIG_TLS_NONE)
			assert_non_null(c.user != NULL ? c.user :
			    c.tls_client_cert);
		assert_null(c.password);	/* never a secret in a file */
		config_free(&c);
	}
	globfree(&g);
}

/* Every file in the table exists. */
static void
test_table_files_exist(void **state)
{
	struct config	c;
	struct err	e;
	char		path[512];
	size_t		j;

	(void)state;
	for (j = 0; j < sizeof(want) / sizeof(want[0]); j++) {
		snprintf(path, sizeof(path), "%s/%s", dir(), want[j].file);
		if (config_load(&c, path, 0, &e) == -1)
			fail_msg("%s", e.msg);
		config_free(&c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_load),
		cmocka_unit_test(test_table_files_exist),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
