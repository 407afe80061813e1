/*
 * test_alias.c -- unit tests for aliases (alias.c).
 *
 * Purpose: [aliases] entries, aliases files (written to temporary files),
 * recursion, loops, "default", self-mapping, qualification, refused
 * ":include:", pipe and file targets, and msmtp's old bug where the
 * recipient after an expanded alias was skipped.
 * Security assumptions: none; this is test code.  Temporary files are made
 * with mkstemp() and removed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "addr.h"
#include "alias.h"
#include "params.h"
#include "config.h"
#include "err.h"

#define MAXPAIRS	8
#define MAXOUT		8

struct case_alias {
	const char	*name;
	const char	*section[MAXPAIRS][2];	/* name, targets */
	const char	*file;			/* aliases_file content */
	const char	*domain;
	const char	*rcpts[4];
	/* Expected: a load error (class and part of the message)... */
	enum err_class	 load_err;
	const char	*load_msg;
	/* ...or an expansion error, or these addresses in order. */
	enum err_class	 exp_err;
	const char	*want[MAXOUT];
};


/* aliases_load() with the alias_params of a configuration. */
static int
load_cfg(struct aliases **ap, const struct config *c, struct err *e)
{
	struct alias_params	p;

	params_alias(c, &p);
	return aliases_load(ap, &p, e);
}

static const struct case_alias cases[] = {
	{ "section", { { "root", "admin@example.com" } }, NULL, "ex.org",
	    { "root" }, 0, NULL, 0, { "admin@example.com" } },
	{ "case-insensitive lookup", { { "root", "admin@example.com" } },
	    NULL, "ex.org", { "ROOT", "Root@LocalHost" }, 0, NULL, 0,
	    { "admin@example.com" } },
	{ "qualify", { { NULL } }, NULL, "ex.org", { "bob", "carol" }, 0,
	    NULL, 0, { "bob@ex.org", "carol@ex.org" } },
	{ "no domain leaves bare", { { NULL } }, NULL, NULL,
	    { "bob", "bob@localhost" }, 0, NULL, 0,
	    { "bob", "bob@localhost" } },
	{ "remote untouched", { { "a", "x@y" } }, NULL, "ex.org",
	    { "a@remote.example" }, 0, NULL, 0, { "a@remote.example" } },
	{ "localhost is local", { { "root", "admin@x" } }, NULL, "ex.org",
	    { "root@localhost", "bob@LOCALHOST" }, 0, NULL, 0,
	    { "admin@x", "bob@ex.org" } },
	{ "recursion", { { "postmaster", "root" }, { "root", "admin" },
	    { "admin", "ops@x" } }, NULL, "ex.org", { "postmaster" }, 0, NULL,
	    0, { "ops@x" } },
	{ "msmtp bug: target after expanded alias",
	    { { "staff", "root, alice" }, { "root", "admin@x" } }, NULL,
	    "ex.org", { "staff", "bob" }, 0, NULL, 0,
	    { "admin@x", "alice@ex.org", "bob@ex.org" } },
	{ "msmtp bug: recipient after expanded alias",
	    { { "root", "admin@x" } }, NULL, "ex.org",
	    { "root", "bob", "root", "carol@y" }, 0, NULL, 0,
	    { "admin@x", "bob@ex.org", "carol@y" } },
	{ "default", { { "root", "admin@x" }, { "default", "catch@x" } },
	    NULL, "ex.org", { "nobody", "root", "a@b" }, 0, NULL, 0,
	    { "catch@x", "admin@x", "a@b" } },
	{ "default through alias", { { "root", "admin" },
	    { "default", "catch@x" } }, NULL, "ex.org", { "root" }, 0, NULL,
	    0, { "catch@x" } },
	{ "default not applied twice", { { "default", "someone" } }, NULL,
	    "ex.org", { "nobody" }, 0, NULL, 0, { "someone@ex.org" } },
	{ "default to an alias", { { "default", "root" },
	    { "root", "admin@x" } }, NULL, "ex.org", { "nobody" }, 0, NULL, 0,
	    { "admin@x" } },
	{ "default to itself", { { "default", "root, ops@x" } }, NULL,
	    "ex.org", { "root" }, 0, NULL, 0, { "root@ex.org", "ops@x" } },
	/* Found by fuzz_alias: "root" reached default, whose own name in its
	 * list was taken for a loop although the file had loaded. */
	{ "default names itself", { { "default", "x@y, default" } }, NULL,
	    "ex.org", { "root", "default" }, 0, NULL, 0,
	    { "x@y", "default@ex.org" } },
	{ "self mapping", { { "root", "root, admin@x" } }, NULL, "ex.org",
	    { "root" }, 0, NULL, 0, { "root@ex.org", "admin@x" } },
	{ "self mapping via localhost", { { "root", "Root@localhost" } },
	    NULL, "ex.org", { "root" }, 0, NULL, 0, { "Root@ex.org" } },
	{ "duplicates removed", { { "a", "x@y, x@Y, b" }, { "b", "x@y" } },
	    NULL, "ex.org", { "a", "x@Y", "X@y" }, 0, NULL, 0,
	    { "x@y", "X@y" } },
	{ "display names dropped", { { "root", "Admin <admin>, "
	    "\"Ops Team\" <ops@x>" } }, NULL, "ex.org", { "root" }, 0, NULL, 0,
	    { "admin@ex.org", "ops@x" } },
	{ "quoted local part qualified", { { NULL } }, NULL, "ex.org",
	    { "\"a b\"" }, 0, NULL, 0, { "\"a b\"@ex.org" } },
	{ "utf8", { { "j\xc3\xb6rg", "joerg@x" } }, NULL, "ex.org",
	    { "j\xc3\xb6rg" }, 0, NULL, 0, { "joerg@x" } },

	/* Expansion errors. */
	{ "option-like recipient", { { NULL } }, NULL, "ex.org",
	    { "-oQ/tmp" }, 0, NULL, ERR_DATA, { NULL } },
	{ "empty recipient", { { NULL } }, NULL, "ex.org", { "" }, 0, NULL,
	    ERR_DATA, { NULL } },
	{ "recipient with CRLF", { { NULL } }, NULL, "ex.org",
	    { "a\r\nRCPT TO:<x@y>" }, 0, NULL, ERR_DATA, { NULL } },
	{ "qualified too long", { { NULL } }, NULL,
	    "a123456789.b123456789.c123456789.d123456789.e123456789."
	    "f123456789.g123456789.h123456789.i123456789.j123456789."
	    "k123456789.l123456789.m123456789.n123456789.o123456789."
	    "p123456789.q123456789.r123456789.s123456789.t123456789."
	    "u123456789.v123456789.w123456789.x123456789.y12345",
	    { "bob" }, 0, NULL, ERR_DATA, { NULL } },

	/* Load errors from the section. */
	{ "loop", { { "a", "b" }, { "b", "a" } }, NULL, "ex.org", { "a" },
	    ERR_CONFIG, "test.ini: [aliases] a: alias loop", 0, { NULL } },
	{ "longer loop", { { "a", "b, ok@x" }, { "b", "c" }, { "c", "A" } },
	    NULL, "ex.org", { "a" }, ERR_CONFIG, "alias loop", 0, { NULL } },
	{ "loop via default", { { "default", "a" }, { "a", "b" },
	    { "b", "a" } }, NULL, "ex.org", { "a" }, ERR_CONFIG, "alias loop",
	    0, { NULL } },
	{ "section pipe", { { "root", "|/usr/bin/procmail" } }, NULL, NULL,
	    { NULL }, ERR_CONFIG, "test.ini: [aliases] root: pipe", 0,
	    { NULL } },
	{ "section file", { { "root", "/var/mail/root" } }, NULL, NULL,
	    { NULL }, ERR_CONFIG, "[aliases] root: file", 0, { NULL } },
	{ "section include", { { "staff", ":include:/etc/staff" } }, NULL,
	    NULL, { NULL }, ERR_CONFIG, "[aliases] staff: ':include:'", 0,
	    { NULL } },
	{ "section bad target", { { "root", "a@" } }, NULL, NULL, { NULL },
	    ERR_CONFIG, "[aliases] root: address:", 0, { NULL } },
	{ "section empty target", { { "root", " , " } }, NULL, NULL, { NULL },
	    ERR_CONFIG, "no target", 0, { NULL } },
	{ "section bad name", { { "ro ot", "a@x" } }, NULL, NULL, { NULL },
	    ERR_CONFIG, "invalid character in alias name", 0, { NULL } },
	{ "section option-like target", { { "root", "-oQ/tmp@x" } }, NULL,
	    NULL, { NULL }, ERR_CONFIG, "begins with '-'", 0, { NULL } },

	/* Files. */
	{ "file", { { NULL } },
	    "# /etc/aliases\n"
	    "root: admin@x\n"
	    "postmaster:\troot\n"
	    "\n"
	    "staff: a@x,\n"
	    "  b@y,\n"
	    "\tc@z\n"
	    "# trailing comment",
	    "ex.org", { "postmaster", "staff", "www" }, 0, NULL, 0,
	    { "admin@x", "a@x", "b@y", "c@z", "www@ex.org" } },
	{ "file CRLF, no final newline", { { NULL } },
	    "root: admin@x\r\nops : a@x,\r\n b@y", "ex.org", { "ops", "root" },
	    0, NULL, 0, { "a@x", "b@y", "admin@x" } },
	{ "file Debian default", { { "root", "admin@example.com" } },
	    "# See man 5 aliases for format\npostmaster:    root\n", "ex.org",
	    { "postmaster" }, 0, NULL, 0, { "admin@example.com" } },
	{ "section wins over file", { { "root", "s@x" } },
	    "root: f@x\nother: root\n", "ex.org", { "root", "other" }, 0,
	    NULL, 0, { "s@x" } },
	{ "file default", { { NULL } }, "default: catch@x\n", "ex.org",
	    { "anyone" }, 0, NULL, 0, { "catch@x" } },
	{ "file duplicate", { { NULL } }, "root: a@x\nROOT: b@x\n", NULL,
	    { NULL }, ERR_CONFIG, ":2: alias 'root' already defined at ", 0,
	    { NULL } },
	{ "file include", { { NULL } }, "root: a@x\nstaff: :include:/x\n",
	    NULL, { NULL }, ERR_CONFIG, ":2: ':include:' targets are not "
	    "supported", 0, { NULL } },
	{ "file pipe", { { NULL } }, "root: |/usr/bin/procmail\n", NULL,
	    { NULL }, ERR_CONFIG, ":1: pipe ('|command') targets", 0,
	    { NULL } },
	{ "file quoted pipe", { { NULL } },
	    "root: a@x, \"|/usr/bin/procmail -a x\"\n", NULL, { NULL },
	    ERR_CONFIG, ":1: pipe", 0, { NULL } },
	{ "file quoted pipe alone", { { NULL } }, "root: \"|/bin/cat\"\n",
	    NULL, { NULL }, ERR_CONFIG, ":1: pipe", 0, { NULL } },
	{ "file file target", { { NULL } }, "\n\nroot: /var/mail/root\n",
	    NULL, { NULL }, ERR_CONFIG, ":3: file ('/path') targets", 0,
	    { NULL } },
	{ "file missing colon", { { NULL } }, "root: a@x\n\nroot a@x\n",
	    NULL, { NULL }, ERR_CONFIG, ":3: missing ':'", 0, { NULL } },
	{ "file continuation first", { { NULL } }, "# c\n  a@x\n", NULL,
	    { NULL }, ERR_CONFIG, ":2: continuation line without an alias",
	    0, { NULL } },
	{ "file bad target", { { NULL } }, "a: b@x\nroot: a@\n", NULL,
	    { NULL }, ERR_CONFIG, ":2: address:", 0, { NULL } },
	{ "file bare CR", { { NULL } }, "root: a@x\rb@y\n", NULL, { NULL },
	    ERR_CONFIG, ":1: address:", 0, { NULL } },
	{ "file loop", { { NULL } }, "a: b\nb: c\nc: a\n", NULL, { NULL },
	    ERR_CONFIG, ":1: alias loop", 0, { NULL } },
	{ "file loop through section", { { "a", "b" } }, "b: a\n", NULL,
	    { NULL }, ERR_CONFIG, "alias loop", 0, { NULL } },
};

static char *
write_temp(const char *content)
{
	char	*path;
	int	 fd;
	size_t	 n = strlen(content);

	path = strdup("/tmp/test_alias.XXXXXX");
	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd != -1);
	assert_int_equal(write(fd, content, n), (ssize_t)n);
	close(fd);
	return path;
}

static void
test_cases(void **state)
{
	const struct case_alias	*c;
	struct config_alias	 ca[MAXPAIRS];
	struct config		 cfg;
	struct aliases		*a;
	struct addr_list	 out;
	struct err		 e;
	char			*path;
	size_t			 i, j, n;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		memset(&cfg, 0, sizeof(cfg));
		cfg.path = (char *)"test.ini";
		for (n = 0; n < MAXPAIRS && c->section[n][0] != NULL; n++) {
			ca[n].name = (char *)c->section[n][0];
			ca[n].targets = (char *)c->section[n][1];
		}
		cfg.aliases = ca;
		cfg.naliases = n;
		path = c->file != NULL ? write_temp(c->file) : NULL;
		cfg.aliases_file = path;
		err_clear(&e);
		rc = load_cfg(&a, &cfg, &e);
		if (path != NULL) {
			unlink(path);
			free(path);
		}
		if (c->load_err != ERR_OK) {
			if (rc != -1 || e.cls != c->load_err ||
			    strstr(e.msg, c->load_msg) == NULL)
				fail_msg("%s: load gave %d '%s', want '%s'",
				    c->name, rc, e.msg, c->load_msg);
			assert_null(a);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: load: %s", c->name, e.msg);
		addr_list_init(&out);
		for (j = 0; j < 4 && c->rcpts[j] != NULL; j++) {
			rc = aliases_expand(a, c->domain, c->rcpts[j], &out, &e);
			if (c->exp_err != ERR_OK) {
				if (rc != -1 || e.cls != c->exp_err)
					fail_msg("%s: expansion succeeded",
					    c->name);
				assert_int_equal(out.n, 0);
			} else if (rc != 0)
				fail_msg("%s: expand %s: %s", c->name,
				    c->rcpts[j], e.msg);
		}
		for (j = 0; j < MAXOUT && c->want[j] != NULL; j++) {
			if (j >= out.n)
				fail_msg("%s: only %zu addresses", c->name,
				    out.n);
			if (strcmp(out.v[j].spec, c->want[j]) != 0)
				fail_msg("%s[%zu]: '%s', want '%s'", c->name,
				    j, out.v[j].spec, c->want[j]);
		}
		if (out.n != j)
			fail_msg("%s: %zu addresses, want %zu", c->name,
			    out.n, j);
		addr_list_free(&out);
		aliases_free(a);
	}
}

/* Nesting: 20 levels are fine, 21 are not. */
static void
test_depth(void **state)
{
	struct config_alias	 ca[ALIAS_DEPTH_MAX + 2];
	char			 names[ALIAS_DEPTH_MAX + 2][8];
	struct config		 cfg;
	struct aliases		*a;
	struct addr_list	 out;
	struct err		 e;
	size_t			 i, n;

	(void)state;
	for (n = ALIAS_DEPTH_MAX; n <= ALIAS_DEPTH_MAX + 1; n++) {
		for (i = 0; i < n; i++) {
			snprintf(names[i], sizeof(names[i]), "a%zu", i);
			ca[i].name = names[i];
			ca[i].targets = names[i + 1];
		}
		snprintf(names[n], sizeof(names[n]), "end");
		ca[n - 1].targets = (char *)"end@x";
		memset(&cfg, 0, sizeof(cfg));
		cfg.aliases = ca;
		cfg.naliases = n;
		if (n == ALIAS_DEPTH_MAX) {
			assert_int_equal(load_cfg(&a, &cfg, &e), 0);
			assert_int_equal(aliases_count(a), n);
			addr_list_init(&out);
			assert_int_equal(aliases_expand(a, "d", "a0", &out,
			    &e), 0);
			assert_int_equal(out.n, 1);
			assert_string_equal(out.v[0].spec, "end@x");
			addr_list_free(&out);
			aliases_free(a);
		} else {
			assert_int_equal(load_cfg(&a, &cfg, &e), -1);
			assert_int_equal(e.cls, ERR_CONFIG);
			assert_non_null(strstr(e.msg, "nested deeper"));
		}
	}
}

/* Fan-out: each level doubles; the visit limit stops it. */
static void
test_fanout(void **state)
{
	struct config_alias	 ca[16];
	char			 names[16][8], targets[16][32];
	struct config		 cfg;
	struct aliases		*a;
	struct err		 e;
	size_t			 i;

	(void)state;
	for (i = 0; i < 16; i++) {
		snprintf(names[i], sizeof(names[i]), "f%zu", i);
		if (i < 15)
			snprintf(targets[i], sizeof(targets[i]),
			    "f%zu, f%zu", i + 1, i + 1);
		else
			snprintf(targets[i], sizeof(targets[i]), "x@y");
		ca[i].name = names[i];
		ca[i].targets = targets[i];
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.aliases = ca;
	cfg.naliases = 16;
	assert_int_equal(load_cfg(&a, &cfg, &e), -1);
	assert_int_equal(e.cls, ERR_CONFIG);
	assert_non_null(strstr(e.msg, "steps"));
}

static void
test_file_errors(void **state)
{
	struct config	 cfg;
	struct aliases	*a;
	struct err	 e;
	char		*path, link[64];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.aliases_file = (char *)"/nonexistent/aliases";
	assert_int_equal(load_cfg(&a, &cfg, &e), -1);
	assert_int_equal(e.cls, ERR_CONFIG);
	assert_non_null(strstr(e.msg, "/nonexistent/aliases: "));

	cfg.aliases_file = (char *)"/tmp";
	assert_int_equal(load_cfg(&a, &cfg, &e), -1);
	assert_int_equal(e.cls, ERR_CONFIG);

	/* A symbolic link is not followed. */
	path = write_temp("root: a@x\n");
	snprintf(link, sizeof(link), "%s.lnk", path);
	assert_int_equal(symlink(path, link), 0);
	cfg.aliases_file = link;
	assert_int_equal(load_cfg(&a, &cfg, &e), -1);
	assert_int_equal(e.cls, ERR_CONFIG);
	unlink(link);

	/* An empty file or empty setting is fine. */
	cfg.aliases_file = path;
	assert_int_equal(load_cfg(&a, &cfg, &e), 0);
	assert_int_equal(aliases_count(a), 1);
	aliases_free(a);
	unlink(path);
	free(path);
	path = write_temp("");
	cfg.aliases_file = path;
	assert_int_equal(load_cfg(&a, &cfg, &e), 0);
	assert_int_equal(aliases_count(a), 0);
	aliases_free(a);
	unlink(path);
	free(path);
	cfg.aliases_file = (char *)"";
	assert_int_equal(load_cfg(&a, &cfg, &e), 0);
	aliases_free(a);

	/* NUL in the file. */
	path = strdup("/tmp/test_alias.XXXXXX");
	assert_non_null(path);
	{
		int	fd = mkstemp(path);

		assert_true(fd != -1);
		assert_int_equal(write(fd, "root: a\0@x\n", 11), 11);
		close(fd);
	}
	cfg.aliases_file = path;
	assert_int_equal(load_cfg(&a, &cfg, &e), -1);
	assert_non_null(strstr(e.msg, "NUL"));
	unlink(path);
	free(path);
}

/* Without a table, expansion only qualifies and removes duplicates. */
static void
test_no_table(void **state)
{
	struct addr_list	out;
	struct err		e;

	(void)state;
	addr_list_init(&out);
	assert_int_equal(aliases_expand(NULL, "ex.org", "root", &out, &e), 0);
	assert_int_equal(aliases_expand(NULL, "ex.org", "root@ex.org", &out,
	    &e), 0);
	assert_int_equal(aliases_expand(NULL, "ex.org", "a@b", &out, &e), 0);
	assert_int_equal(out.n, 2);
	assert_string_equal(out.v[0].spec, "root@ex.org");
	assert_int_equal(out.v[0].has_domain, 1);
	assert_string_equal(out.v[1].spec, "a@b");
	assert_int_equal(aliases_count(NULL), 0);
	aliases_free(NULL);
	addr_list_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_fanout),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_no_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
