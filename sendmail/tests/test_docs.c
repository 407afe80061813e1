/*
 * test_docs.c -- the documentation names every option and every key.
 *
 * What the code accepts is found from the code itself, not from a list
 * kept beside it:
 *  - short options: every letter is tried with cli_parse(); one that is
 *    not "unknown" (accepted, ignored or refused with its own reason) is
 *    an option; likewise every -bX mode and every -qX form (-qI, -qR, ...)
 *    that parses;
 *  - long options: every "--name" string in sendmail/cli.c that
 *    cli_parse() does not call unknown;
 *  - sections and keys: every "name" string in sendmail/config.c that
 *    config_load_fd() does not call an unknown section or key.
 * Each must then appear in man/postern.8 (options: "Fl X"), in
 * man/postern.ini.5 (keys: "Ic key", sections: "Ic [name]"), in
 * config/postern.ini (a "key =" or ";key =" line, a "[name]" line), and in
 * the output of `postern --help` once cli_parse() knows --help (the binary
 * is sendmail/postern, or $POSTERN).  A new option or key without
 * documentation fails here, naming it.  Run from the top of the source
 * tree (make unit and make lint do), or set TOP.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "err.h"

#define MAXNAMES	512

struct names {
	char	*v[MAXNAMES];
	size_t	 n;
};

static char	*man8, *man5, *ini, *help;
static int	 failures;

static char *
slurp(const char *rel)
{
	char		 path[1024];
	const char	*top = getenv("TOP");
	FILE		*f;
	struct buf	 b;
	char		 chunk[4096];
	size_t		 n;

	snprintf(path, sizeof(path), "%s/%s", top != NULL ? top : ".", rel);
	if ((f = fopen(path, "r")) == NULL)
		fail_msg("%s: %s (run from the top of the tree or set TOP)",
		    path, strerror(errno));
	buf_init(&b, 4 * 1024 * 1024);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_add(&b, chunk, n), 0);
	fclose(f);
	return buf_release(&b);
}

static void
add(struct names *s, const char *v, size_t n)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		if (strlen(s->v[i]) == n && strncmp(s->v[i], v, n) == 0)
			return;
	assert_true(s->n < MAXNAMES);
	s->v[s->n] = strndup(v, n);
	assert_non_null(s->v[s->n]);
	s->n++;
}

static void
names_free(struct names *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	s->n = 0;
}

/* Every string literal of src that starts with prefix and then holds only
 * characters of set. */
static void
literals(const char *src, const char *prefix, const char *set,
    struct names *out)
{
	const char	*p = src, *q;
	size_t		 np = strlen(prefix);

	while ((p = strchr(p, '"')) != NULL) {
		p++;
		if (strncmp(p, prefix, np) != 0)
			continue;
		q = p + np;
		q += strspn(q, set);
		if (*q == '"' && q > p + np)
			add(out, p, (size_t)(q - p));
	}
}

/* cli_parse() on a short argv: 1 when the option is known to it. */
static int
cli_known(const char *a1, const char *a2)
{
	struct opts	 o;
	struct err	 e;
	char		*argv[4], b0[] = "sendmail", b1[64], b2[64];
	int		 argc = 2, rc;

	snprintf(b1, sizeof(b1), "%s", a1);
	argv[0] = b0;
	argv[1] = b1;
	if (a2 != NULL) {
		snprintf(b2, sizeof(b2), "%s", a2);
		argv[argc++] = b2;
	}
	argv[argc] = NULL;
	rc = cli_parse(&o, argc, argv, &e);
	cli_free(&o);
	if (rc == 0)
		return 1;
	return strstr(e.msg, ": unknown option") == NULL &&
	    strstr(e.msg, "unsupported mode") == NULL &&
	    strstr(e.msg, "unsupported (use -q") == NULL;
}

/* Is "Fl NAME" (or "Ic NAME") in the page, as a whole token? */
static int
has_token(const char *page, const char *macro, const char *name)
{
	char		 want[128];
	const char	*p = page;
	size_t		 n;

	snprintf(want, sizeof(want), "%s %s", macro, name);
	n = strlen(want);
	while ((p = strstr(p, want)) != NULL) {
		if ((p == page || !isalnum((unsigned char)p[-1])) &&
		    !isalnum((unsigned char)p[n]) && p[n] != '_' &&
		    p[n] != '-')
			return 1;
		p += n;
	}
	return 0;
}

/* "-X" or "--name" as a word of the --help text. */
static int
has_word(const char *text, const char *w)
{
	const char	*p = text;
	size_t		 n = strlen(w);

	while ((p = strstr(p, w)) != NULL) {
		if ((p == text || !isalnum((unsigned char)p[-1])) &&
		    !isalnum((unsigned char)p[n]) && p[n] != '_' &&
		    (p == text || p[-1] != '-'))
			return 1;
		p += n;
	}
	return 0;
}

static void
missing(const char *what, const char *name, const char *where)
{
	fprintf(stderr, "docs: %s %s is not documented in %s\n", what, name,
	    where);
	failures++;
}

static char *
run_help(void)
{
	const char	*bin = getenv("POSTERN");
	char		 cmd[1100];
	struct buf	 b;
	char		 chunk[4096];
	size_t		 n;
	FILE		*p;
	int		 st;

	if (bin == NULL)
		bin = "sendmail/postern";
	if (access(bin, X_OK) == -1)
		fail_msg("%s: %s: build it first (make) to check --help", bin,
		    strerror(errno));
	snprintf(cmd, sizeof(cmd), "'%s' --help </dev/null", bin);
	assert_non_null(p = popen(cmd, "r"));
	buf_init(&b, 1024 * 1024);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		assert_int_equal(buf_add(&b, chunk, n), 0);
	st = pclose(p);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("postern --help did not exit 0");
	return buf_release(&b);
}

/* Short options: every letter cli_parse() does not call unknown. */
static void
check_short(void)
{
	char	name[8], flag[4];
	int	ch;

	for (ch = 0x21; ch < 0x7f; ch++) {
		if (!isalnum(ch))
			continue;
		snprintf(name, sizeof(name), "-%c", ch);
		if (!cli_known(name, "x"))
			continue;
		snprintf(flag, sizeof(flag), "%c", ch);
		if (!has_token(man8, "Fl", flag))
			missing("option", name, "man/postern.8");
		/* -b and -o are checked by their modes (-bs, -odq...) */
		if (help != NULL && !has_word(help, name) && ch != 'b' &&
		    ch != 'o')
			missing("option", name, "postern --help");
	}
}

/* -bX modes and -qX forms (-qI, -qR, -qS) that cli_parse() accepts. */
static void
check_modes(void)
{
	char	name[8];
	int	ch;

	for (ch = 'A'; ch <= 'z'; ch++) {
		if (!isalpha(ch))
			continue;
		snprintf(name, sizeof(name), "-b%c", ch);
		if (cli_known(name, NULL) && !has_token(man8, "Fl", name + 1))
			missing("mode", name, "man/postern.8");
		if (cli_known(name, NULL) && help != NULL &&
		    !has_word(help, name))
			missing("mode", name, "postern --help");
		snprintf(name, sizeof(name), "-q%cx", ch);
		if (!isupper(ch) || !cli_known(name, NULL))
			continue;
		name[3] = '\0';
		if (!has_token(man8, "Fl", name + 1))
			missing("option", name, "man/postern.8");
		/* glued: -qRsubstr */
		if (help != NULL && strstr(help, name) == NULL)
			missing("option", name, "postern --help");
	}
}

/* Every "--name" in cli.c that cli_parse() accepts. */
static void
check_long(void)
{
	struct names	 longs = { { NULL }, 0 };
	char		*cli;
	size_t		 i;

	cli = slurp("sendmail/cli.c");
	literals(cli, "--", "abcdefghijklmnopqrstuvwxyz-", &longs);
	for (i = 0; i < longs.n; i++) {
		if (!cli_known(longs.v[i], "x") || strcmp(longs.v[i], "--") == 0)
			continue;
		/* "Fl -import" */
		if (!has_token(man8, "Fl", longs.v[i] + 1))
			missing("option", longs.v[i], "man/postern.8");
		if (help != NULL && !has_word(help, longs.v[i]))
			missing("option", longs.v[i], "postern --help");
	}
	names_free(&longs);
	free(cli);
}

/* Every option cli_parse() knows is in postern.8 and in --help. */
static void
test_options(void **state)
{
	(void)state;
	help = cli_known("--help", NULL) ? run_help() : NULL;
	if (help == NULL)
		fprintf(stderr, "docs: cli_parse() has no --help yet: "
		    "--help output not checked\n");
	check_short();
	check_modes();
	check_long();
	free(help);
	help = NULL;
}

/* config_load_fd() on text: the error message, or "" when it loads. */
static void
try_config(const char *text, char *msg, size_t len)
{
	struct config	c;
	struct err	e;
	int		fd;

	assert_true((fd = memfd_create("docs", MFD_CLOEXEC)) >= 0);
	assert_int_equal(fchmod(fd, 0600), 0);
	assert_int_equal(write(fd, text, strlen(text)),
	    (ssize_t)strlen(text));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	if (config_load_fd(&c, fd, "docs.ini", 0, &e) == -1)
		snprintf(msg, len, "%s", e.msg);
	else {
		msg[0] = '\0';
		config_free(&c);
	}
	close(fd);
}

/* A "key =" or ";key =" line of config/postern.ini in [sect]. */
static int
ini_has_key(const char *sect, const char *key)
{
	char		 head[80];
	const char	*p, *end, *line;
	size_t		 n = strlen(key);

	snprintf(head, sizeof(head), "\n[%s]\n", sect);
	if ((p = strstr(ini, head)) == NULL)
		return 0;
	p += strlen(head);
	if ((end = strstr(p, "\n[")) == NULL)
		end = p + strlen(p);
	for (line = p; line < end; line = strchr(line, '\n') + 1) {
		if (*line == ';')
			line++;
		if (strncmp(line, key, n) == 0 &&
		    (line[n] == ' ' || line[n] == '='))
			return 1;
		if (strchr(line, '\n') == NULL)
			break;
	}
	return 0;
}

/* Every section and key config.c knows is in postern.ini.5 and the file. */
static void
test_keys(void **state)
{
	struct names	 cand = { { NULL }, 0 }, sects = { { NULL }, 0 };
	char		*src, text[512], msg[ERR_MSGMAX], ic[80];
	size_t		 i, j, nkeys = 0;

	(void)state;
	src = slurp("sendmail/config.c");
	literals(src, "", "abcdefghijklmnopqrstuvwxyz0123456789_", &cand);
	for (i = 0; i < cand.n; i++) {
		snprintf(text, sizeof(text), "[smarthost]\nhost = localhost\n"
		    "[%s]\n", cand.v[i]);
		if (strcmp(cand.v[i], "smarthost") == 0)
			snprintf(text, sizeof(text), "[smarthost]\n"
			    "host = localhost\n");
		try_config(text, msg, sizeof(msg));
		if (strstr(msg, "unknown section") != NULL)
			continue;
		add(&sects, cand.v[i], strlen(cand.v[i]));
	}
	assert_true(sects.n >= 5);
	for (i = 0; i < sects.n; i++) {
		snprintf(ic, sizeof(ic), "[%s]", sects.v[i]);
		if (!has_token(man5, "Ic", ic))
			missing("section", ic, "man/postern.ini.5");
		if (strstr(ini, ic) == NULL)
			missing("section", ic, "config/postern.ini");
		if (strcmp(sects.v[i], "aliases") == 0)
			continue;	/* any name is an alias there */
		for (j = 0; j < cand.n; j++) {
			snprintf(text, sizeof(text), "[smarthost]\n"
			    "host = localhost\n%s%s%s\n%s = x\n",
			    strcmp(sects.v[i], "smarthost") ? "[" : "",
			    strcmp(sects.v[i], "smarthost") ? sects.v[i] : "",
			    strcmp(sects.v[i], "smarthost") ? "]" : "",
			    cand.v[j]);
			try_config(text, msg, sizeof(msg));
			if (strstr(msg, "unknown key") != NULL)
				continue;
			nkeys++;
			snprintf(ic, sizeof(ic), "%s.%s", sects.v[i],
			    cand.v[j]);
			if (!has_token(man5, "Ic", cand.v[j]))
				missing("key", ic, "man/postern.ini.5");
			if (!ini_has_key(sects.v[i], cand.v[j]))
				missing("key", ic, "config/postern.ini");
		}
	}
	assert_true(nkeys >= 29);
	names_free(&cand);
	names_free(&sects);
	free(src);
}

static int
setup(void **state)
{
	(void)state;
	man8 = slurp("man/postern.8");
	man5 = slurp("man/postern.ini.5");
	ini = slurp("config/postern.ini");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(man8);
	free(man5);
	free(ini);
	return 0;
}

static void
test_verdict(void **state)
{
	(void)state;
	if (failures > 0)
		fail_msg("%d undocumented option(s) or key(s), listed above",
		    failures);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_verdict),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
