/*
 * test_addr.c -- unit tests for the address parser (addr.c).
 *
 * Purpose: every example of RFC 5322 Appendix A that holds addresses, the
 * obsolete forms, the forms sendmail callers use (bare "root"), and the
 * inputs an attacker would try (CR/LF injection, NUL, over-long parts,
 * option injection).  Each case lists the exact addresses expected.
 * Security assumptions: none; this is test code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "buf.h"
#include "err.h"

#define NOEND	((size_t)-1)	/* spec_end not checked */
#define FAIL	((size_t)-1)	/* the parse must fail */

struct want {
	const char	*spec;
	const char	*display;	/* NULL: none */
	size_t		 spec_end;
};

struct case_list {
	const char	*name;
	const char	*in;
	size_t		 len;		/* 0: strlen(in) */
	size_t		 n;		/* addresses, or FAIL */
	struct want	 w[4];
};

static const struct case_list cases[] = {
	/* RFC 5322 A.1.1 */
	{ "A.1.1 From", "John Doe <jdoe@machine.example>", 0, 1,
	    { { "jdoe@machine.example", "John Doe", 30 } } },
	{ "A.1.1 Sender", "Michael Jones <mjones@machine.example>", 0, 1,
	    { { "mjones@machine.example", "Michael Jones", NOEND } } },
	{ "A.1.1 To", "Mary Smith <mary@example.net>", 0, 1,
	    { { "mary@example.net", "Mary Smith", 28 } } },
	/* A.1.2 */
	{ "A.1.2 From", "\"Joe Q. Public\" <john.q.public@example.com>", 0, 1,
	    { { "john.q.public@example.com", "Joe Q. Public", NOEND } } },
	{ "A.1.2 To", "Mary Smith <mary@x.test>, jdoe@example.org, "
	    "Who? <one@y.test>", 0, 3,
	    { { "mary@x.test", "Mary Smith", 23 },
	      { "jdoe@example.org", NULL, 42 },
	      { "one@y.test", "Who?", 60 } } },
	{ "A.1.2 Cc", "<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" "
	    "<sysservices@example.net>", 0, 2,
	    { { "boss@nil.test", NULL, 14 },
	      { "sysservices@example.net", "Giant; \"Big\" Box", NOEND } } },
	/* A.1.3 */
	{ "A.1.3 From", "Pete <pete@silly.example>", 0, 1,
	    { { "pete@silly.example", "Pete", NOEND } } },
	{ "A.1.3 To group", "A Group:Ed Jones <c@a.test>,joe@where.test,"
	    "John <jdoe@one.test>;", 0, 3,
	    { { "c@a.test", "Ed Jones", NOEND },
	      { "joe@where.test", NULL, NOEND },
	      { "jdoe@one.test", "John", NOEND } } },
	{ "A.1.3 Cc empty group", "Undisclosed recipients:;", 0, 0, { { 0 } } },
	/* A.2 */
	{ "A.2 Reply-To", "\"Mary Smith: Personal Account\" "
	    "<smith@home.example>", 0, 1,
	    { { "smith@home.example", "Mary Smith: Personal Account",
	    NOEND } } },
	/* A.3 */
	{ "A.3 Resent-To", "Jane Brown <j-brown@other.example>", 0, 1,
	    { { "j-brown@other.example", "Jane Brown", NOEND } } },
	/* A.4 */
	{ "A.4 From", "John Doe <jdoe@node.example>", 0, 1,
	    { { "jdoe@node.example", "John Doe", NOEND } } },
	/* A.5 */
	{ "A.5 From", "Pete(A nice \\) chap) <pete(his account)@silly.test"
	    "(his host)>", 0, 1,
	    { { "pete@silly.test", "Pete", 50 } } },
	{ "A.5 To", "A Group(Some people)\r\n     :Chris Jones "
	    "<c@(Chris's host.)public.example>,\r\n         joe@example.org,"
	    "\r\n  John <jdoe@one.test> (my dear friend); (the end of the "
	    "group)", 0, 3,
	    { { "c@public.example", "Chris Jones", NOEND },
	      { "joe@example.org", NULL, NOEND },
	      { "jdoe@one.test", "John", NOEND } } },
	{ "A.5 Cc", "(Empty list)(start)Hidden recipients  :(nobody(that I "
	    "know))  ;", 0, 0, { { 0 } } },
	/* A.6.1 */
	{ "A.6.1 From", "Joe Q. Public <john.q.public@example.com>", 0, 1,
	    { { "john.q.public@example.com", "Joe Q. Public", NOEND } } },
	{ "A.6.1 To", "Mary Smith <@node.test:mary@example.net>, , "
	    "jdoe@test  . example", 0, 2,
	    { { "mary@example.net", "Mary Smith", 39 },
	      { "jdoe@test.example", NULL, 64 } } },
	/* A.6.2 */
	{ "A.6.2 To", "Mary Smith <mary@example.net>", 0, 1,
	    { { "mary@example.net", "Mary Smith", NOEND } } },
	/* A.6.3 */
	{ "A.6.3 From", "John Doe <jdoe@machine(comment).  example>", 0, 1,
	    { { "jdoe@machine.example", "John Doe", 41 } } },
	{ "A.6.3 To", "Mary Smith\r\n   \r\n          <mary@example.net>", 0,
	    1, { { "mary@example.net", "Mary Smith", NOEND } } },

	/* Bare local names, as cron, sudo and mdadm write them. */
	{ "bare", "root", 0, 1, { { "root", NULL, 4 } } },
	{ "bare+comment", "root (Cron Daemon)", 0, 1, { { "root", NULL, 4 } } },
	{ "bare in angle", "<root>", 0, 1, { { "root", NULL, 5 } } },
	{ "cronie From", "\"(Cron Daemon)\" <user>", 0, 1,
	    { { "user", "(Cron Daemon)", 21 } } },
	{ "bare list", "root, admin", 0, 2,
	    { { "root", NULL, 4 }, { "admin", NULL, 11 } } },
	{ "bare@localhost", "root@localhost", 0, 1,
	    { { "root@localhost", NULL, 14 } } },

	/* Empty list members (obs-addr-list). */
	{ "double comma", "a@x,,b@y", 0, 2,
	    { { "a@x", NULL, 3 }, { "b@y", NULL, 8 } } },
	{ "leading/trailing comma", ",a@x,", 0, 1, { { "a@x", NULL, 4 } } },
	{ "empty", "", 0, 0, { { 0 } } },
	{ "only commas", " , ,\t", 0, 0, { { 0 } } },
	{ "only a comment", "(nobody)", 0, 0, { { 0 } } },

	/* Local parts. */
	{ "quoted space", "\"a b\"@x", 0, 1, { { "\"a b\"@x", NULL, 7 } } },
	{ "quoted quote", "\"a\\\"b\"@x", 0, 1,
	    { { "\"a\\\"b\"@x", NULL, NOEND } } },
	{ "quoted backslash", "\"a\\\\b\"@x", 0, 1,
	    { { "\"a\\\\b\"@x", NULL, NOEND } } },
	{ "needless quotes", "\"ab\"@x", 0, 1, { { "ab@x", NULL, 6 } } },
	{ "needless quoted-pair", "\"\\a\\b\"@x", 0, 1,
	    { { "ab@x", NULL, NOEND } } },
	{ "quoted words", "\"a\".\"b\"@x", 0, 1, { { "a.b@x", NULL, NOEND } } },
	{ "quoted @ and ,", "\"a@b,c\"@x, d@y", 0, 2,
	    { { "\"a@b,c\"@x", NULL, 9 }, { "d@y", NULL, 14 } } },
	{ "empty quoted", "\"\"@x", 0, 1, { { "\"\"@x", NULL, NOEND } } },
	{ "quoted dots", "\"a..b\"@x", 0, 1,
	    { { "\"a..b\"@x", NULL, NOEND } } },
	{ "folded quoted", "\"a\r\n b\"@x", 0, 1,
	    { { "\"a b\"@x", NULL, NOEND } } },
	{ "all atext", "!#$%&'*+-/=?^_`{|}~@x", 0, 1,
	    { { "!#$%&'*+-/=?^_`{|}~@x", NULL, NOEND } } },
	{ "obs local CFWS", "john . q (x). public @ example . com", 0, 1,
	    { { "john.q.public@example.com", NULL, 36 } } },
	{ "nested comment", "a(x(y\\)z)w)@b", 0, 1, { { "a@b", NULL, 13 } } },
	{ "utf8", "j\xc3\xb6rg@b\xc3\xbc" "cher.example", 0, 1,
	    { { "j\xc3\xb6rg@b\xc3\xbc" "cher.example", NULL, NOEND } } },
	{ "plus tag", "user+tag@sub.example.co.uk", 0, 1,
	    { { "user+tag@sub.example.co.uk", NULL, NOEND } } },

	/* Domains. */
	{ "ipv4 literal", "user@[1.2.3.4]", 0, 1,
	    { { "user@[1.2.3.4]", NULL, 14 } } },
	{ "ipv6 literal", "user@[IPv6:2001:db8::1]", 0, 1,
	    { { "user@[IPv6:2001:db8::1]", NULL, NOEND } } },
	{ "literal FWS", "user@[ 1.2.3.4 ]", 0, 1,
	    { { "user@[1.2.3.4]", NULL, 16 } } },
	{ "literal in angle", "X <a@[10.0.0.1]>", 0, 1,
	    { { "a@[10.0.0.1]", "X", 15 } } },

	/* Routes. */
	{ "route", "<@a,@b:user@x>", 0, 1, { { "user@x", NULL, 13 } } },
	{ "route CFWS", "<@a.example ,, @b.example : user@x>", 0, 1,
	    { { "user@x", NULL, NOEND } } },

	/* Groups. */
	{ "group", "Group: a@x, b@y;", 0, 2,
	    { { "a@x", NULL, 10 }, { "b@y", NULL, 15 } } },
	{ "undisclosed", "undisclosed-recipients:;", 0, 0, { { 0 } } },
	{ "groups and more", "g1: a@x;, g2:;, c@z", 0, 2,
	    { { "a@x", NULL, NOEND }, { "c@z", NULL, NOEND } } },
	{ "group null members", "g: ,a@x,, b@y, ;", 0, 2,
	    { { "a@x", NULL, NOEND }, { "b@y", NULL, NOEND } } },
	{ "group missing ; at end", "a@x, G: b@y", 0, 2,
	    { { "a@x", NULL, NOEND }, { "b@y", NULL, NOEND } } },
	{ "quoted group name", "\"My Group\": a@x;", 0, 1,
	    { { "a@x", NULL, NOEND } } },

	/* Display names. */
	{ "comment after", "Name <a@b> (comment)", 0, 1,
	    { { "a@b", "Name", 9 } } },
	{ "many spaces", "First   Last <a@b>", 0, 1,
	    { { "a@b", "First Last", NOEND } } },
	{ "quoted and atom", "\"quoted\" middle <a@b>", 0, 1,
	    { { "a@b", "quoted middle", NOEND } } },
	{ "comment separates", "A(x)B <a@b>", 0, 1, { { "a@b", "A B", 10 } } },
	{ "comma in quotes", "\"Smith, John\" <js@x>, other@y", 0, 2,
	    { { "js@x", "Smith, John", NOEND }, { "other@y", NULL, NOEND } } },
	{ "encoded word", "=?UTF-8?Q?J=C3=B6rg?= <joerg@x>", 0, 1,
	    { { "joerg@x", "=?UTF-8?Q?J=C3=B6rg?=", NOEND } } },
	{ "encoded words", "=?UTF-8?Q?a?= =?UTF-8?Q?b?= <ab@x>", 0, 1,
	    { { "ab@x", "=?UTF-8?Q?a?= =?UTF-8?Q?b?=", NOEND } } },
	{ "utf8 display", "J\xc3\xb6rg <j@x>", 0, 1,
	    { { "j@x", "J\xc3\xb6rg", NOEND } } },
	{ "dotted display", "Joe.Q.Public <x@y>", 0, 1,
	    { { "x@y", "Joe.Q.Public", NOEND } } },
	{ "empty quoted display", "\"\" <a@b>", 0, 1, { { "a@b", NULL, 7 } } },
	{ "tab in display", "\"a\tb\" <a@b>", 0, 1,
	    { { "a@b", "a\tb", NOEND } } },
	{ "folded list CRLF", "a@x,\r\n b@y", 0, 2,
	    { { "a@x", NULL, 3 }, { "b@y", NULL, 10 } } },
	{ "folded list LF", "a@x,\n\tb@y", 0, 2,
	    { { "a@x", NULL, 3 }, { "b@y", NULL, 9 } } },
	{ "trailing WSP", "Mary <m@x> \t", 0, 1, { { "m@x", "Mary", 9 } } },

	/* Failures. */
	{ "unterminated quote", "\"abc@x", 0, FAIL, { { 0 } } },
	{ "unterminated comment", "(abc a@x", 0, FAIL, { { 0 } } },
	{ "unterminated nested comment", "a@x (a(b)", 0, FAIL, { { 0 } } },
	{ "unterminated angle", "Name <a@x", 0, FAIL, { { 0 } } },
	{ "stray >", "a@x>", 0, FAIL, { { 0 } } },
	{ "stray )", "a@b)", 0, FAIL, { { 0 } } },
	{ "stray ]", "a]@b", 0, FAIL, { { 0 } } },
	{ "stray backslash", "\\a@b", 0, FAIL, { { 0 } } },
	{ "CRLF in quoted local", "\"a\r\nRCPT TO:<e>\"@x", 0, FAIL, { { 0 } } },
	{ "CRLF header injection", "a@x\r\nBcc: e@evil", 0, FAIL, { { 0 } } },
	{ "LF injection", "a@x\nBcc: e@evil", 0, FAIL, { { 0 } } },
	{ "trailing LF", "a@x\n", 0, FAIL, { { 0 } } },
	{ "trailing CRLF", "a@x\r\n", 0, FAIL, { { 0 } } },
	{ "bare CR", "a@x\r b@y", 0, FAIL, { { 0 } } },
	{ "CR in comment", "a@x (a\rb)", 0, FAIL, { { 0 } } },
	{ "quoted-pair CR", "\"a\\\r\n b\"@x", 0, FAIL, { { 0 } } },
	{ "quoted-pair LF", "\"a\\\nb\"@x", 0, FAIL, { { 0 } } },
	{ "blank line", "a@b,\r\n\r\n c@d", 0, FAIL, { { 0 } } },
	{ "NUL", "a\0b@x", 5, FAIL, { { 0 } } },
	{ "NUL in quotes", "\"a\0b\"@x", 7, FAIL, { { 0 } } },
	{ "NUL in comment", "a@x (\0)", 7, FAIL, { { 0 } } },
	{ "control char", "a\x01@x", 0, FAIL, { { 0 } } },
	{ "DEL", "a\x7f@x", 0, FAIL, { { 0 } } },
	{ "escape in quotes", "\"a\x1b[2J\"@x", 0, FAIL, { { 0 } } },
	{ "tab in local part", "\"a\tb\"@x", 0, FAIL, { { 0 } } },
	{ "phrase only", "Mary Smith", 0, FAIL, { { 0 } } },
	{ "two specs", "a@b c@d", 0, FAIL, { { 0 } } },
	{ "no domain after @", "a@", 0, FAIL, { { 0 } } },
	{ "no local part", "@b", 0, FAIL, { { 0 } } },
	{ "trailing dot domain", "a@b.", 0, FAIL, { { 0 } } },
	{ "double dot domain", "a@b..c", 0, FAIL, { { 0 } } },
	{ "double dot local", "a..b@x", 0, FAIL, { { 0 } } },
	{ "leading dot", ".a@x", 0, FAIL, { { 0 } } },
	{ "trailing dot local", "a.@x", 0, FAIL, { { 0 } } },
	{ "; outside group", "a@b,c@d;", 0, FAIL, { { 0 } } },
	{ "nested group", "G: H: a@b;;", 0, FAIL, { { 0 } } },
	{ "unterminated literal", "a@[1.2.3.4", 0, FAIL, { { 0 } } },
	{ "space in literal", "a@[1.2 .3.4]", 0, FAIL, { { 0 } } },
	{ "empty literal", "a@[]", 0, FAIL, { { 0 } } },
	{ "utf8 in literal", "a@[\xc3\xa4]", 0, FAIL, { { 0 } } },
	{ "empty angle in list", "<>", 0, FAIL, { { 0 } } },
	{ "named empty angle", "Name <>", 0, FAIL, { { 0 } } },
	{ "route without colon", "<@a user@x>", 0, FAIL, { { 0 } } },
	{ "two @", "a@b@c", 0, FAIL, { { 0 } } },
	{ "angle then more", "<a@b> c", 0, FAIL, { { 0 } } },
	{ "literal as local", "[1.2.3.4]@x", 0, FAIL, { { 0 } } },
	{ "display with dot first", ". <a@b>", 0, FAIL, { { 0 } } },
	{ "good then bad", "a@x, b@y, \"c", 0, FAIL, { { 0 } } },
};

static void
test_parse_list(void **state)
{
	struct addr_list	 l;
	struct err		 e;
	const struct case_list	*c;
	size_t			 i, j, len;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		len = c->len ? c->len : strlen(c->in);
		addr_list_init(&l);
		err_clear(&e);
		rc = addr_parse_list(c->in, len, &l, &e);
		if (c->n == FAIL) {
			if (rc != -1 || e.cls != ERR_DATA ||
			    strstr(e.msg, "offset") == NULL)
				fail_msg("%s: expected failure, got rc %d (%s)",
				    c->name, rc, e.msg);
			assert_int_equal(l.n, 0);
			addr_list_free(&l);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: %s", c->name, e.msg);
		if (l.n != c->n)
			fail_msg("%s: %zu addresses, want %zu", c->name, l.n,
			    c->n);
		for (j = 0; j < l.n; j++) {
			const struct want	*w = &c->w[j];
			const struct addr	*a = &l.v[j];

			if (strcmp(a->spec, w->spec) != 0)
				fail_msg("%s[%zu]: spec '%s', want '%s'",
				    c->name, j, a->spec, w->spec);
			if ((a->display == NULL) != (w->display == NULL) ||
			    (a->display != NULL &&
			    strcmp(a->display, w->display) != 0))
				fail_msg("%s[%zu]: display '%s', want '%s'",
				    c->name, j, a->display ? a->display :
				    "(null)", w->display ? w->display :
				    "(null)");
			if (a->has_domain != (strchr(w->spec, '@') != NULL &&
			    addr_domain(w->spec) != NULL))
				fail_msg("%s[%zu]: has_domain %d", c->name, j,
				    a->has_domain);
			if (w->spec_end != NOEND && a->spec_end != w->spec_end)
				fail_msg("%s[%zu]: spec_end %zu, want %zu",
				    c->name, j, a->spec_end, w->spec_end);
			if (a->spec_end > len)
				fail_msg("%s[%zu]: spec_end past input",
				    c->name, j);
		}
		addr_list_free(&l);
	}
}

/* A failed parse leaves what was already in the list. */
static void
test_parse_list_appends(void **state)
{
	struct addr_list	l;
	struct err		e;

	(void)state;
	addr_list_init(&l);
	assert_int_equal(addr_parse_list("a@x", 3, &l, &e), 0);
	assert_int_equal(addr_parse_list("b@y, c@z", 8, &l, &e), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(addr_parse_list("d@w, \"e", 7, &l, &e), -1);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[2].spec, "c@z");
	/* Only the given length is read. */
	assert_int_equal(addr_parse_list("f@v, junk\"", 3, &l, &e), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[3].spec, "f@v");
	assert_int_equal(addr_parse_list(NULL, 0, &l, &e), 0);
	assert_int_equal(l.n, 4);
	addr_list_free(&l);
}

/* Insert "@example.org" at spec_end the way the message module will. */
struct case_qualify {
	const char	*in;
	const char	*out;
};

static const struct case_qualify qualify_cases[] = {
	{ "root (Cron Daemon)", "root@example.org (Cron Daemon)" },
	{ "root", "root@example.org" },
	{ "<root>", "<root@example.org>" },
	{ "root(c)", "root@example.org(c)" },
	{ "a@x, root, \"Admin\" <admin>",
	    "a@x, root@example.org, \"Admin\" <admin@example.org>" },
	{ "Group: root, b@y;", "Group: root@example.org, b@y;" },
	{ "john . q (x)", "john . q@example.org (x)" },
	{ "\"a b\" (c)", "\"a b\"@example.org (c)" },
	{ "\"(Cron Daemon)\" <user >", "\"(Cron Daemon)\" <user@example.org >" },
	{ "a@x", "a@x" },
};

static void
test_qualify(void **state)
{
	struct addr_list	 l, l2;
	struct err		 e;
	struct buf		 b;
	size_t			 i, j, k, last;

	(void)state;
	for (i = 0; i < sizeof(qualify_cases) / sizeof(qualify_cases[0]);
	    i++) {
		const char	*in = qualify_cases[i].in;

		addr_list_init(&l);
		if (addr_parse_list(in, strlen(in), &l, &e) != 0)
			fail_msg("%s: %s", in, e.msg);
		buf_init(&b, 4096);
		last = 0;
		for (j = 0; j < l.n; j++) {
			if (l.v[j].has_domain)
				continue;
			assert_int_equal(buf_add(&b, in + last,
			    l.v[j].spec_end - last), 0);
			assert_int_equal(buf_adds(&b, "@example.org"), 0);
			last = l.v[j].spec_end;
		}
		assert_int_equal(buf_adds(&b, in + last), 0);
		assert_string_equal(buf_str(&b), qualify_cases[i].out);
		/* The result parses to the same list, qualified. */
		addr_list_init(&l2);
		assert_int_equal(addr_parse_list(buf_str(&b), b.len, &l2, &e),
		    0);
		assert_int_equal(l2.n, l.n);
		for (k = 0; k < l.n; k++)
			assert_int_equal(l2.v[k].has_domain, 1);
		addr_list_free(&l2);
		buf_free(&b);
		addr_list_free(&l);
	}
}

struct case_one {
	const char	*in;
	const char	*spec;		/* NULL: must fail */
	const char	*display;
	int		 has_domain;
};

static const struct case_one one_cases[] = {
	{ "<>", "", NULL, 0 },
	{ " <> ", "", NULL, 0 },
	{ "a@b", "a@b", NULL, 1 },
	{ "<a@b>", "a@b", NULL, 1 },
	{ "  <a@b>  ", "a@b", NULL, 1 },
	{ "Name <a@b>", "a@b", "Name", 1 },
	{ "bounce@example.org", "bounce@example.org", NULL, 1 },
	{ "root", "root", NULL, 0 },
	{ "root (Cron Daemon)", "root", NULL, 0 },
	{ "<@r.example:a@b>", "a@b", NULL, 1 },
	{ "\"a b\"@x", "\"a b\"@x", NULL, 1 },
	{ "-oQ/tmp", "-oQ/tmp", NULL, 0 },	/* parses; envelope check refuses */
	{ "", NULL, NULL, 0 },
	{ "   ", NULL, NULL, 0 },
	{ "a@b, c@d", NULL, NULL, 0 },
	{ "a@b,", NULL, NULL, 0 },
	{ "G: a@b;", NULL, NULL, 0 },
	{ "G:;", NULL, NULL, 0 },
	{ "Name <>", NULL, NULL, 0 },
	{ "<<>>", NULL, NULL, 0 },
	{ "<> x", NULL, NULL, 0 },
	{ "a@b\n", NULL, NULL, 0 },
	{ "a@b\r\nRCPT TO:<x@y>", NULL, NULL, 0 },
	{ "\"a\r\nRCPT TO:<e>\"@x", NULL, NULL, 0 },
	{ "a@b c", NULL, NULL, 0 },
};

static void
test_parse_one(void **state)
{
	struct addr	a;
	struct err	e;
	size_t		i;
	int		rc;

	(void)state;
	for (i = 0; i < sizeof(one_cases) / sizeof(one_cases[0]); i++) {
		const struct case_one	*c = &one_cases[i];

		rc = addr_parse_one(c->in, &a, &e);
		if (c->spec == NULL) {
			if (rc != -1 || e.cls != ERR_DATA)
				fail_msg("'%s': expected failure", c->in);
			assert_null(a.spec);
			continue;
		}
		if (rc != 0)
			fail_msg("'%s': %s", c->in, e.msg);
		assert_string_equal(a.spec, c->spec);
		if (c->display == NULL)
			assert_null(a.display);
		else
			assert_string_equal(a.display, c->display);
		assert_int_equal(a.has_domain, c->has_domain);
		addr_free(&a);
	}
}

struct case_env {
	const char	*spec;
	int		 ok;
};

static const struct case_env env_cases[] = {
	{ "", 1 },
	{ "j\xc3\xb6rg@example.org", 1 },		/* UTF-8 */
	{ "j\xf6rg@example.org", 0 },		/* Latin-1 byte */
	{ "a\xc0\xaf" "b@example.org", 0 },		/* overlong "/" */
	{ "a\xed\xa0\x80@example.org", 0 },	/* surrogate */
	{ "a@\xff\xfe.example.org", 0 },
	{ "a@b", 1 },
	{ "root", 1 },
	{ "first.last@sub.example.org", 1 },
	{ "\"a b\"@x", 1 },
	{ "\"a\\\"b\"@x", 1 },
	{ "\"a@b\"@x", 1 },
	{ "\"\"@x", 1 },
	{ "a@[1.2.3.4]", 1 },
	{ "a@[IPv6:::1]", 1 },
	{ "j\xc3\xb6rg@b\xc3\xbc" "cher.example", 1 },
	{ "a_b@under_score.example", 1 },
	{ "a b@x", 0 },
	{ "<a@b>", 0 },
	{ "a@b>", 0 },
	{ "a<b@x", 0 },
	{ "-oQ/tmp", 0 },
	{ "-oQ/tmp/@x", 0 },
	{ "-X/var/www/x.php", 0 },
	{ "a\r\n@x", 0 },
	{ "a@x\r\nRCPT TO:<y>", 0 },
	{ "a@x\n", 0 },
	{ "\"a\r\nb\"@x", 0 },
	{ "\"a\tb\"@x", 0 },
	{ "\"a\\\n\"@x", 0 },
	{ "\"ab@x", 0 },
	{ "\"a\"b@x", 0 },
	{ "a\x7f@x", 0 },
	{ "a\x01@x", 0 },
	{ "a@", 0 },
	{ "@x", 0 },
	{ "a@b..c", 0 },
	{ "a@b.", 0 },
	{ ".a@b", 0 },
	{ "a..b@x", 0 },
	{ "a@[1.2.3.4", 0 },
	{ "a@[1.2.3.4]x", 0 },
	{ "a@[]", 0 },
	{ "a@[1 2]", 0 },
	{ "a@b@c", 0 },
	{ "a@b c", 0 },
	{ "a,b@x", 0 },
	/* RFC 5321 4.1.2 Domain and 4.1.3 address-literal (issue 11). */
	{ "a@-x.org", 0 },
	{ "a@x.org-", 0 },
	{ "a@x-.org", 0 },
	{ "a@x/y.org", 0 },
	{ "a@x+y.org", 0 },
	{ "a@[not-an-ip]", 0 },
	{ "a@[IPv6:1::2:]", 0 },
	{ "a@[IPv6:1.2.3.4]", 0 },
	{ "a@[300.1.2.3]", 0 },
	{ "a@[1.2.3]", 0 },
	{ "a@[1.2.3.4.5]", 0 },
	{ "a@[1.2.3.0004]", 0 },
	{ "a@[tag:text]", 0 },
	{ "a@[IPv6:]", 0 },
	{ "a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x",
	    0 },				/* a 64-octet label */
	{ "a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x",
	    1 },				/* 63 */
	{ "a@x-y.example.org", 1 },
	{ "a@1.example.org", 1 },
	{ "a@[010.0.0.255]", 1 },
	{ "a@[ipv6:2001:db8::1]", 1 },
	{ "a@[IPv6:::ffff:1.2.3.4]", 1 },
	{ "a@[IPv6:1:2:3:4:5:6:7:8]", 1 },
};

static void
test_check_envelope(void **state)
{
	struct err	e;
	char		buf[400];
	size_t		i;
	int		rc;

	(void)state;
	for (i = 0; i < sizeof(env_cases) / sizeof(env_cases[0]); i++) {
		rc = addr_check_envelope(env_cases[i].spec, &e);
		if (env_cases[i].ok && rc != 0)
			fail_msg("'%s': %s", env_cases[i].spec, e.msg);
		if (!env_cases[i].ok && (rc != -1 || e.cls != ERR_DATA))
			fail_msg("'%s': accepted", env_cases[i].spec);
	}
	/* Local part: 64 octets fine, 65 not. */
	memset(buf, 'a', 64);
	memcpy(buf + 64, "@x", 3);
	assert_int_equal(addr_check_envelope(buf, &e), 0);
	memset(buf, 'a', 65);
	memcpy(buf + 65, "@x", 3);
	assert_int_equal(addr_check_envelope(buf, &e), -1);
	assert_non_null(strstr(e.msg, "local part too long"));
	/* Path: 256 with the <>, so a 254-octet spec is the most. */
	memcpy(buf, "a@", 2);
	memset(buf + 2, 'b', 252);
	for (i = 60; i < 254; i += 60)
		buf[i] = '.';		/* labels of at most 63 octets */
	buf[254] = '\0';
	assert_int_equal(addr_check_envelope(buf, &e), 0);
	buf[254] = 'b';
	buf[255] = '\0';
	assert_int_equal(addr_check_envelope(buf, &e), -1);
	assert_non_null(strstr(e.msg, "too long"));
	/* A bare domain of 255 octets exceeds the path limit too. */
	memset(buf, 'd', 300);
	buf[300] = '\0';
	assert_int_equal(addr_check_envelope(buf, &e), -1);
	assert_int_equal(addr_check_envelope(NULL, &e), -1);
}

/* Over-long parts are refused by the parser, not truncated. */
static void
test_limits(void **state)
{
	struct addr_list	 l;
	struct addr		 a;
	struct err		 e;
	char			*s;
	size_t			 n = 3 * BUF_LIMIT_ADDR, i;

	(void)state;
	s = malloc(n + 16);
	assert_non_null(s);
	addr_list_init(&l);

	/* Local part, domain, display, quoted string, literal. */
	memset(s, 'a', n);
	memcpy(s + n, "@x", 3);
	assert_int_equal(addr_parse_list(s, strlen(s), &l, &e), -1);
	assert_non_null(strstr(e.msg, "too long"));
	memcpy(s, "a@", 2);
	s[n] = '\0';
	assert_int_equal(addr_parse_list(s, strlen(s), &l, &e), -1);
	s[0] = '"';
	s[n - 6] = '"';
	memcpy(s + n - 5, " <a@b", 6);
	assert_int_equal(addr_parse_list(s, strlen(s), &l, &e), -1);
	memcpy(s, "a@[", 3);
	memset(s + 3, '1', n - 3);
	memcpy(s + n, "]", 2);
	assert_int_equal(addr_parse_list(s, strlen(s), &l, &e), -1);
	memset(s, 'a', n);
	s[n] = '\0';
	assert_int_equal(addr_parse_one(s, &a, &e), -1);

	/* Within the parser's limit but over RFC 5321's: caller checks. */
	memset(s, 'a', 100);
	memcpy(s + 100, "@x", 3);
	assert_int_equal(addr_parse_one(s, &a, &e), 0);
	assert_int_equal(addr_check_envelope(a.spec, &e), -1);
	addr_free(&a);

	/* Comments nest through a counter, bounded. */
	for (i = 0; i < 1000; i++)
		s[i] = '(';
	for (; i < 2000; i++)
		s[i] = ')';
	memcpy(s + 2000, "a@x", 4);
	assert_int_equal(addr_parse_list(s, strlen(s), &l, &e), -1);
	assert_non_null(strstr(e.msg, "nested too deep"));
	for (i = 0; i < 50; i++)
		s[i] = '(';
	for (; i < 100; i++)
		s[i] = ')';
	memcpy(s + 100, "a@x", 4);
	assert_int_equal(addr_parse_list(s, strlen(s), &l, &e), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].spec, "a@x");
	addr_list_free(&l);

	/* The number of addresses is bounded. */
	addr_list_init(&l);
	for (i = 0; i < ADDR_LIST_MAX; i++)
		assert_int_equal(addr_list_add(&l, "a@x", NULL, &e), 0);
	assert_int_equal(addr_list_add(&l, "a@x", NULL, &e), -1);
	assert_int_equal(e.cls, ERR_DATA);
	addr_list_free(&l);
	free(s);
}

static void
test_helpers(void **state)
{
	struct addr_list	l;
	struct err		e;

	(void)state;
	assert_string_equal(addr_domain("a@b"), "b");
	assert_string_equal(addr_domain("\"a@b\"@c"), "c");
	assert_string_equal(addr_domain("\"a\\\"@b\"@c"), "c");
	assert_null(addr_domain("root"));
	assert_null(addr_domain("\"a@b\""));
	assert_null(addr_domain(""));
	assert_int_equal(addr_is_utf8("a@b"), 0);
	assert_int_equal(addr_is_utf8("j\xc3\xb6rg@b"), 1);
	assert_int_equal(addr_is_utf8(""), 0);
	addr_list_init(&l);
	assert_int_equal(addr_list_add(&l, "root", NULL, &e), 0);
	assert_int_equal(addr_list_add(&l, "\"a@b\"@c", "Name", &e), 0);
	assert_int_equal(addr_list_add(&l, "\"a@b\"", NULL, &e), 0);
	assert_int_equal(l.v[0].has_domain, 0);
	assert_int_equal(l.v[1].has_domain, 1);
	assert_string_equal(l.v[1].display, "Name");
	assert_int_equal(l.v[2].has_domain, 0);
	addr_list_free(&l);
	addr_list_free(&l);	/* twice is harmless */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_list),
		cmocka_unit_test(test_parse_list_appends),
		cmocka_unit_test(test_qualify),
		cmocka_unit_test(test_parse_one),
		cmocka_unit_test(test_check_envelope),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
