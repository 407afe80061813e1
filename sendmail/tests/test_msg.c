/*
 * test_msg.c -- unit tests for msg.c: line endings, the lone dot, header
 * fix-ups, -t recipients, long lines, and the output invariant (CRLF only,
 * no NUL, no line over 998 octets, final CRLF) on every case.
 */
#include <sys/mman.h>
#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "msg.h"

#define H	"Date: x\nMessage-ID: <a@b>\nFrom: a@b\n"
#define HC	"Date: x\r\nMessage-ID: <a@b>\r\nFrom: a@b\r\n"

enum { O_DOMAIN = 1, O_FORCE = 2, O_UTF8 = 4, O_SPECIAL = 8, O_NULLS = 16 };

struct tcase {
	const char	*name;
	const char	*in;
	size_t		 inlen;		/* 0: strlen(in) */
	int		 dot_ends;
	int		 opt;
	const char	*want;		/* exact output, or NULL */
	const char	*has[4];
	const char	*hasnot[4];
	size_t		 nul, cr, split;
	int		 qp, has8, has8h;
};

static const struct tcase cases[] = {
	{ "lf", H "\nbody\nline 2\n", 0, 1, 0,
	    HC "\r\nbody\r\nline 2\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "crlf", HC "\r\nbody\r\n", 0, 1, 0,
	    HC "\r\nbody\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "mixed", "Date: x\r\nMessage-ID: <a@b>\nFrom: a@b\r\n\nb1\r\nb2\n",
	    0, 0, 0, HC "\r\nb1\r\nb2\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "cr cr lf", H "\na\r\r\nb\n", 0, 1, 0, HC "\r\na \r\nb\r\n",
	    {0}, {0}, 0, 1, 0, 0, 0, 0 },
	{ "lf dot lf ends", H "\na\n.\nMAIL FROM:<x>\n", 0, 1, 0,
	    HC "\r\na\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "lf dot lf with -i", H "\na\n.\nMAIL FROM:<x>\n", 0, 0, 0,
	    HC "\r\na\r\n.\r\nMAIL FROM:<x>\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "crlf dot crlf ends", H "\na\r\n.\r\nDATA\r\n", 0, 1, 0,
	    HC "\r\na\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "crlf dot crlf with -i", H "\na\r\n.\r\nDATA\r\n", 0, 0, 0,
	    HC "\r\na\r\n.\r\nDATA\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "lf dot crlf ends", H "\na\n.\r\nDATA\n", 0, 1, 0,
	    HC "\r\na\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "lf dot crlf with -i", H "\na\n.\r\nDATA\n", 0, 0, 0,
	    HC "\r\na\r\n.\r\nDATA\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "cr dot cr", H "\na\r.\rDATA\n", 0, 1, 0,
	    HC "\r\na . DATA\r\n", {0}, {0}, 0, 2, 0, 0, 0, 0 },
	{ "cr dot cr with -i", H "\na\r.\rDATA\n", 0, 0, 0,
	    HC "\r\na . DATA\r\n", {0}, {0}, 0, 2, 0, 0, 0, 0 },
	{ "dot cr text", H "\na\n.\rx\n", 0, 1, 0,
	    HC "\r\na\r\n. x\r\n", {0}, {0}, 0, 1, 0, 0, 0, 0 },
	{ "dot at eof ends", H "\na\n.", 0, 1, 0,
	    HC "\r\na\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "dot at eof with -i", H "\na\n.", 0, 0, 0,
	    HC "\r\na\r\n.\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "dot dot kept", H "\n..\n.x\n", 0, 1, 0,
	    HC "\r\n..\r\n.x\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "dot ends in headers", H ".\nSubject: no\n", 0, 1, 0,
	    HC "\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "bare cr at body end", H "\na\r", 0, 0, 0,
	    HC "\r\na \r\n", {0}, {0}, 0, 1, 0, 0, 0, 0 },
	{ "cr in header", H "Subject: a\rb\r\n\nx\n", 0, 0, 0,
	    HC "Subject: a b\r\n\r\nx\r\n", {0}, {0}, 0, 1, 0, 0, 0, 0 },
	{ "nul", H "Subject: a\0b\n\nx\0y\n\0", sizeof(H "Subject: a\0b\n\nx\0y\n\0") - 1,
	    0, 0, HC "Subject: ab\r\n\r\nxy\r\n", {0}, {0}, 3, 0, 0, 0, 0, 0 },
	{ "no body", "Date: x\nMessage-ID: <a@b>\nFrom: a@b", 0, 1, 0,
	    HC "\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "no final newline", H "\nlast", 0, 1, 0, HC "\r\nlast\r\n",
	    {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "empty body", H "\n", 0, 1, 0, HC "\r\n",
	    {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "mbox from line", "From a@b Mon Jan  1 00:00:00 2024\n" H "\nx\n", 0,
	    1, 0, HC "\r\nx\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	/* Every leading "From " and ">From " line goes, as Postfix does. */
	{ ">From first line", ">From a@b Mon Jan  1 00:00:00 2024\n" H "\nx\n",
	    0, 1, 0, HC "\r\nx\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "several from lines", "From a@b Mon\r\n>From c@d Tue\nFrom e\n"
	    ">>From f\n" H "\nx\n", 0, 1, 0, HC "\r\nx\r\n",
	    {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "from line later is a header error: body", H "From x\n\nb\n", 0, 1,
	    0, HC "\r\nFrom x\r\n\r\nb\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	/* Return-Path and Content-Length are dropped (Postfix, RFC 5321 4.4). */
	{ "return-path, content-length", "Return-Path: <x@y>\n"
	    "Content-Length: 5\n" H "return-path:\n <z@w>\n"
	    "CONTENT-LENGTH : 9\n\nx\n", 0, 1, 0, HC "\r\nx\r\n",
	    {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "not a header: all body", "hello world\nTo: x\n", 0, 1, 0, NULL,
	    { "Date: ", "Message-ID: <", "\r\n\r\nhello world\r\nTo: x\r\n" },
	    { "\r\nTo: x\r\n\r\n" }, 0, 0, 0, 0, 0, 0 },
	{ "continuation first: body", " indented\n", 0, 1, 0, NULL,
	    { "\r\n\r\n indented\r\n" }, {0}, 0, 0, 0, 0, 0, 0 },
	{ "non-header line ends headers", H "To: a@b\nnot a header\nX: y\n",
	    0, 1, 0, HC "To: a@b\r\n\r\nnot a header\r\nX: y\r\n",
	    {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "empty input", "", 0, 1, 0, NULL,
	    { "Date: ", "Message-ID: <", "From: " }, {0}, 0, 0, 0, 0, 0, 0 },
	{ "bcc removed", H "To: a@b\nBcc: c@d,\n e@f\nResent-Bcc: g@h\n"
	    "\tmore\nbCC : x@y\nSubject: s\n\nBcc: body\n", 0, 1, 0,
	    HC "To: a@b\r\nSubject: s\r\n\r\nBcc: body\r\n",
	    {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "folded kept", H "Subject: a\n  b\n\tc\n\nx\n", 0, 1, 0,
	    HC "Subject: a\r\n  b\r\n\tc\r\n\r\nx\r\n", {0}, {0},
	    0, 0, 0, 0, 0, 0 },
	{ "added headers", "To: x@y\n\nbody\n", 0, 1, O_DOMAIN, NULL,
	    { "Date: ", "\r\nMessage-ID: <",
	      "@mid.example.net>\r\n",
	      "\r\nFrom: Test User <user@example.org>\r\n" },
	    {0}, 0, 0, 0, 0, 0, 0 },
	{ "date format", "To: x@y\n\n", 0, 1, 0, NULL,
	    { "Date: ", " 20", ":", " +0000\r\n" }, { "Date: x" },
	    0, 0, 0, 0, 0, 0 },
	{ "added from, utf-8 name", "To: x@y\n\n", 0, 1, O_UTF8, NULL,
	    { "\r\nFrom: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <user>\r\n" },
	    {0}, 0, 0, 0, 0, 0, 0 },
	{ "added from, specials", "To: x@y\n\n", 0, 1, O_SPECIAL, NULL,
	    { "\r\nFrom: \"Doe, \\\"J\\\" John\" <user>\r\n" },
	    {0}, 0, 0, 0, 0, 0, 0 },
	{ "added from, null sender", "To: x@y\n\n", 0, 1,
	    O_NULLS | O_DOMAIN, NULL,
	    { "\r\nFrom: Test User <MAILER-DAEMON@example.org>\r\n" },
	    {0}, 0, 0, 0, 0, 0, 0 },
	{ "force from keeps name", "From: Old Name <old@x>\nFrom: b@c\n"
	    "Date: x\nMessage-ID: <a@b>\n\nx\n", 0, 1, O_FORCE | O_DOMAIN,
	    "From: Old Name <user@example.org>\r\nDate: x\r\n"
	    "Message-ID: <a@b>\r\n\r\nx\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "force from, no name", "From: old@x\nDate: x\nMessage-ID: <a@b>\n\n",
	    0, 1, O_FORCE, "From: Test User <user>\r\nDate: x\r\n"
	    "Message-ID: <a@b>\r\n\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "qualify", "Date: x\nMessage-ID: <a@b>\nFrom: root (Cron Daemon)\n"
	    "To: root\nCc: a@b,\n bob, <carol>\nReply-To: \"x y\"\n"
	    "X-Other: root\n\n", 0, 1, O_DOMAIN,
	    "Date: x\r\nMessage-ID: <a@b>\r\n"
	    "From: root@example.org (Cron Daemon)\r\n"
	    "To: root@example.org\r\n"
	    "Cc: a@b,\r\n bob@example.org, <carol@example.org>\r\n"
	    "Reply-To: \"x y\"@example.org\r\nX-Other: root\r\n\r\n",
	    {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "no qualify without domain", H "To: root\n\n", 0, 1, 0,
	    HC "To: root\r\n\r\n", {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "qualify resent and groups", H "Resent-To: g: a, b@c;\n\n", 0, 1,
	    O_DOMAIN, HC "Resent-To: g: a@example.org, b@c;\r\n\r\n",
	    {0}, {0}, 0, 0, 0, 0, 0, 0 },
	{ "8-bit body", H "\ncaf\xc3\xa9\n", 0, 1, 0,
	    HC "\r\ncaf\xc3\xa9\r\n", {0}, {0}, 0, 0, 0, 0, 1, 0 },
	{ "8-bit header", H "Subject: caf\xc3\xa9\n\nx\n", 0, 1, 0,
	    HC "Subject: caf\xc3\xa9\r\n\r\nx\r\n", {0}, {0},
	    0, 0, 0, 0, 1, 1 },
	{ "7-bit", H "\nplain\n", 0, 1, 0, NULL, {0}, {0}, 0, 0, 0, 0, 0, 0 },
};

static int
memfd_with(const char *p, size_t n)
{
	int	fd;
	size_t	off = 0;
	ssize_t	w;

	fd = memfd_create("test", 0);
	assert_true(fd >= 0);
	while (off < n) {
		w = write(fd, p + off, n - off);
		assert_true(w > 0);
		off += (size_t)w;
	}
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static char *
slurp(int fd, size_t *np)
{
	off_t	 end = lseek(fd, 0, SEEK_END);
	char	*p;

	assert_true(end >= 0);
	p = malloc((size_t)end + 1);
	assert_non_null(p);
	assert_int_equal(pread(fd, p, (size_t)end, 0), end);
	p[end] = '\0';
	*np = (size_t)end;
	return p;
}

/* The canonical form: CRLF only, no NUL, no line over 998, final CRLF. */
static void
check_invariant(const char *p, size_t n)
{
	size_t	i, col = 0;

	assert_true(n >= 2);
	assert_true(p[n - 2] == '\r' && p[n - 1] == '\n');
	for (i = 0; i < n; i++) {
		assert_int_not_equal(p[i], '\0');
		if (p[i] == '\r') {
			assert_true(i + 1 < n && p[i + 1] == '\n');
			i++;
			col = 0;
			continue;
		}
		assert_int_not_equal(p[i], '\n');
		col++;
		assert_true(col <= MSG_LINE_MAX);
	}
}

static void
opts_for(struct msg_opts *o, int opt)
{
	memset(o, 0, sizeof(*o));
	o->sender = (opt & O_NULLS) ? "" : "user";
	o->full_name = "Test User";
	if (opt & O_UTF8)
		o->full_name = "J\xc3\xbcrgen M\xc3\xbcller";
	if (opt & O_SPECIAL)
		o->full_name = "Doe, \"J\" John";
	if (opt & O_DOMAIN) {
		o->domain = "example.org";
		o->sender = (opt & O_NULLS) ? "" : "user@example.org";
	}
	o->force_from = (opt & O_FORCE) != 0;
	o->msgid_domain = "mid.example.net";
}

/* Run read_headers + write; return the output. */
static char *
run(const char *in, size_t inlen, int dot_ends, const struct msg_opts *o,
    struct msg_stats *st, size_t *outlen)
{
	struct msg_input	*mi;
	struct msg		*m;
	struct err		 e;
	int			 ifd, ofd;
	char			*out;

	ifd = memfd_with(in, inlen);
	ofd = memfd_create("out", 0);
	assert_true(ofd >= 0);
	mi = msg_input_new(ifd, dot_ends);
	assert_non_null(mi);
	assert_int_equal(msg_read_headers(&m, mi, &e), 0);
	if (msg_write(m, mi, ofd, o, st, &e) != 0)
		fail_msg("msg_write: %s", e.msg);
	out = slurp(ofd, outlen);
	assert_int_equal((off_t)*outlen, st->size);
	check_invariant(out, *outlen);
	msg_free(m);
	msg_input_free(mi);
	close(ifd);
	close(ofd);
	return out;
}

static void
test_cases(void **state)
{
	const struct tcase	*c;
	struct msg_opts		 o;
	struct msg_stats	 st;
	size_t			 i, k, n;
	char			*out;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		opts_for(&o, c->opt);
		out = run(c->in, c->inlen ? c->inlen : strlen(c->in),
		    c->dot_ends, &o, &st, &n);
		if (c->want != NULL && (n != strlen(c->want) ||
		    memcmp(out, c->want, n) != 0))
			fail_msg("%s: got [%s]", c->name, out);
		for (k = 0; k < 4 && c->has[k] != NULL; k++)
			if (strstr(out, c->has[k]) == NULL)
				fail_msg("%s: no [%s] in [%s]", c->name,
				    c->has[k], out);
		for (k = 0; k < 4 && c->hasnot[k] != NULL; k++)
			if (strstr(out, c->hasnot[k]) != NULL)
				fail_msg("%s: [%s] in [%s]", c->name,
				    c->hasnot[k], out);
		if (strcasestr(out, "bcc:") != NULL &&
		    strstr(out, "\r\n\r\nBcc: body") == NULL)
			fail_msg("%s: Bcc left in [%s]", c->name, out);
		if (st.nul_removed != c->nul || st.cr_replaced != c->cr ||
		    st.lines_split != c->split || st.qp_reencoded != c->qp ||
		    st.has_8bit != c->has8 || st.has_8bit_headers != c->has8h)
			fail_msg("%s: stats nul %zu cr %zu split %zu qp %d "
			    "8bit %d/%d", c->name, st.nul_removed,
			    st.cr_replaced, st.lines_split, st.qp_reencoded,
			    st.has_8bit, st.has_8bit_headers);
		free(out);
	}
}

static void
test_added_flags(void **state)
{
	struct msg_opts		 o;
	struct msg_stats	 st;
	size_t			 n;
	char			*out;

	(void)state;
	opts_for(&o, 0);
	out = run(H "\nx\n", strlen(H "\nx\n"), 1, &o, &st, &n);
	assert_int_equal(st.added_date + st.added_msgid + st.added_from, 0);
	free(out);
	out = run("Subject: s\n\nx\n", 14, 1, &o, &st, &n);
	assert_int_equal(st.added_date + st.added_msgid + st.added_from, 3);
	free(out);
}

static void
test_msgid_unique(void **state)
{
	struct msg_opts		 o;
	struct msg_stats	 st;
	size_t			 n1, n2;
	char			*a, *b, *pa, *pb;

	(void)state;
	opts_for(&o, 0);
	a = run("X: y\n\n", 6, 1, &o, &st, &n1);
	b = run("X: y\n\n", 6, 1, &o, &st, &n2);
	pa = strstr(a, "Message-ID: <");
	pb = strstr(b, "Message-ID: <");
	assert_non_null(pa);
	assert_non_null(pb);
	assert_true(strncmp(pa, pb, strcspn(pa, "\r")) != 0);
	free(a);
	free(b);
}

static size_t
qp_decode(const char *p, size_t n, char *out)
{
	size_t	i, j = 0;
	char	h[3] = { 0 };

	for (i = 0; i < n; i++) {
		if (p[i] == '=' && i + 2 < n && p[i + 1] == '\r' &&
		    p[i + 2] == '\n') {
			i += 2;
			continue;
		}
		if (p[i] == '=' && i + 2 < n) {
			h[0] = p[i + 1];
			h[1] = p[i + 2];
			out[j++] = (char)strtol(h, NULL, 16);
			i += 2;
			continue;
		}
		out[j++] = p[i];
	}
	return j;
}

static void
check_qp_lines(const char *body)
{
	size_t	col = 0;

	for (; *body != '\0'; body++) {
		if (*body == '\r') {
			col = 0;
			body++;
			continue;
		}
		col++;
		assert_true(col <= 76);
		assert_true((unsigned char)*body < 0x80);
	}
}

static void
test_long_line_qp(void **state)
{
	struct msg_opts		 o;
	struct msg_stats	 st;
	char			*in, *out, *body, *dec, *want;
	size_t			 n, i, len, wn;
	const char		*hdr = H "Content-Transfer-Encoding: 8bit\n\n";

	(void)state;
	opts_for(&o, 0);
	len = strlen(hdr);
	in = malloc(len + 5000 + 40);
	want = malloc(5000 + 40);
	memcpy(in, hdr, len);
	for (i = 0; i < 5000; i++)
		want[i] = i % 97 == 96 ? ' ' : (i % 89 == 0 ? '=' :
		    (i % 101 == 0 ? '\xc3' : (char)('a' + i % 26)));
	want[4999] = ' ';		/* trailing blank must be encoded */
	memcpy(want + 5000, "\r\nshort \tline\t\r\n", 16);
	wn = 5016;
	memcpy(in + len, want, 5000);
	memcpy(in + len + 5000, "\nshort \tline\t\n", 14);
	out = run(in, len + 5014, 1, &o, &st, &n);
	assert_int_equal(st.qp_reencoded, 1);
	assert_int_equal(st.has_8bit, 0);
	assert_non_null(strstr(out, "MIME-Version: 1.0\r\n"));
	assert_non_null(strstr(out,
	    "Content-Type: text/plain; charset=UTF-8\r\n"));
	assert_non_null(strstr(out,
	    "Content-Transfer-Encoding: quoted-printable\r\n"));
	assert_null(strstr(out, "8bit"));
	body = strstr(out, "\r\n\r\n") + 4;
	check_qp_lines(body);
	dec = malloc(n);
	assert_int_equal(qp_decode(body, strlen(body), dec), wn);
	assert_memory_equal(dec, want, wn);
	free(dec);
	free(out);
	free(in);
	free(want);
}

static void
test_multipart_split(void **state)
{
	struct msg_opts		 o;
	struct msg_stats	 st;
	char			*in, *out;
	size_t			 n, len;
	const char		*hdr = H "Content-Type: multipart/mixed;\n"
	    " boundary=b\n\n--b\n\n";

	(void)state;
	opts_for(&o, 0);
	len = strlen(hdr);
	in = malloc(len + 3000 + 10);
	memcpy(in, hdr, len);
	memset(in + len, 'y', 2500);
	memcpy(in + len + 2500, "\n--b--\n", 7);
	out = run(in, len + 2507, 1, &o, &st, &n);
	assert_int_equal(st.qp_reencoded, 0);
	assert_int_equal(st.lines_split, 1);
	assert_null(strstr(out, "quoted-printable"));
	free(out);
	free(in);
}

static void
test_long_header(void **state)
{
	struct msg_opts		 o;
	struct msg_stats	 st;
	struct buf		 b;
	char			*out;
	size_t			 n, i;

	(void)state;
	opts_for(&o, O_DOMAIN);
	buf_init(&b, 1 << 20);
	buf_adds(&b, H "Subject:");
	for (i = 0; i < 400; i++)
		buf_adds(&b, " word");
	buf_adds(&b, "\nX-Long: ");
	for (i = 0; i < 3000; i++)
		buf_addc(&b, 'z');
	buf_adds(&b, "\nTo: ");
	for (i = 0; i < 300; i++)
		buf_adds(&b, "root, ");
	buf_adds(&b, "root\n\nbody\n");
	out = run(b.data, b.len, 1, &o, &st, &n);
	assert_non_null(strstr(out, "word\r\n word"));
	assert_non_null(strstr(out, "root@example.org, root@example.org"));
	free(out);
	buf_free(&b);
}

static void
test_header_limit(void **state)
{
	struct msg_input	*mi;
	struct msg		*m = NULL;
	struct err		 e;
	char			*in;
	size_t			 n = BUF_LIMIT_HEADERS + 100, i;
	int			 fd;

	(void)state;
	in = malloc(n);
	memcpy(in, "Subject: ", 9);
	for (i = 9; i < n; i++)
		in[i] = i % 80 == 0 ? '\n' : (i % 80 == 1 ? ' ' : 'a');
	fd = memfd_with(in, n);
	mi = msg_input_new(fd, 0);
	assert_int_equal(msg_read_headers(&m, mi, &e), -1);
	assert_int_equal(e.cls, ERR_DATA);
	assert_null(m);
	msg_input_free(mi);
	close(fd);
	free(in);
}

/*
 * max_size: refused while reading, counting the input too (NULs write
 * nothing), and a message at the limit passes.
 */
static void
test_max_size(void **state)
{
	struct msg_opts		 o;
	struct msg_stats	 st;
	struct msg_input	*mi;
	struct msg		*m;
	struct err		 e;
	char			*in;
	size_t			 n = 300000, i;
	int			 ifd, ofd, nul;

	(void)state;
	in = malloc(n);
	assert_non_null(in);
	for (nul = 0; nul < 3; nul++) {
		memcpy(in, H "\n", sizeof(H));
		for (i = sizeof(H); i < n; i++)
			in[i] = nul == 1 ? '\0' : (i % 70 ? 'a' : '\n');
		ifd = memfd_with(in, nul == 2 ? 1000 : n);
		ofd = memfd_create("out", 0);
		mi = msg_input_new(ifd, 0);
		assert_int_equal(msg_read_headers(&m, mi, &e), 0);
		memset(&o, 0, sizeof(o));
		o.max_size = nul == 2 ? 1000 + 64 : 100000;
		if (nul == 2)
			assert_int_equal(msg_write(m, mi, ofd, &o, &st, &e), 0);
		else {
			assert_int_equal(msg_write(m, mi, ofd, &o, &st, &e),
			    -1);
			assert_int_equal(e.cls, ERR_DATA);
			assert_non_null(strstr(e.msg, "max_message_size"));
			/* It stopped soon after the limit, not at the end. */
			assert_true(lseek(ifd, 0, SEEK_CUR) < 100000 +
			    2 * 65536);
		}
		msg_free(m);
		msg_input_free(mi);
		close(ifd);
		close(ofd);
	}
	free(in);
}

/* Line ends and lone dots across 64 KiB read boundaries. */
static void
test_boundaries(void **state)
{
	struct msg_opts		 o;
	struct msg_stats	 st;
	struct buf		 in, want;
	char			*out;
	size_t			 n, shift, i;

	(void)state;
	opts_for(&o, 0);
	for (shift = 0; shift < 8; shift++) {
		buf_init(&in, 1 << 20);
		buf_init(&want, 1 << 20);
		buf_adds(&in, H "X-Pad: ");
		buf_adds(&want, HC "X-Pad: ");
		for (i = 0; i < shift; i++) {
			buf_addc(&in, 'p');
			buf_addc(&want, 'p');
		}
		buf_adds(&in, "\n\n");
		buf_adds(&want, "\r\n\r\n");
		for (i = 0; i < 3000; i++) {
			buf_adds(&in, i % 3 ? "line of text.\r\n" :
			    "line of text.\n");
			buf_adds(&want, "line of text.\r\n");
			if (i % 7 == 0) {
				buf_adds(&in, ".\r\r\n");
				buf_adds(&want, ". \r\n");
			}
		}
		buf_adds(&in, ".\r\nafter\n");
		out = run(in.data, in.len, 1, &o, &st, &n);
		assert_int_equal(n, want.len);
		assert_memory_equal(out, want.data, n);
		free(out);
		buf_free(&in);
		buf_free(&want);
	}
}

struct rcase {
	const char	*in;
	const char	*want;		/* specs joined by ",", NULL: error */
};

static const struct rcase rcases[] = {
	{ "To: a@b\nCc: c@d\nBcc: e@f\nSubject: x\n\nTo: no@body\n",
	    "a@b,c@d,e@f" },
	{ "To: a@b\nResent-To: r@s\nCc: c@d\nResent-Bcc: t@u\n\n",
	    "r@s,t@u" },
	{ "To: a@b\nRESENT-CC: r@s\n\n", "r@s" },
	{ "To: a@b\nTo: c@d\nto: e@f\n\n", "a@b,c@d,e@f" },
	{ "To: undisclosed-recipients:;\nCc: team: x@y, \"Z\" <z@w>;\n\n",
	    "x@y,z@w" },
	{ "Cc: a@b,\n c@d,\r\n\tName\n <e@f>\n\n", "a@b,c@d,e@f" },
	{ "To: root\nFrom: x@y\n\n", "root" },
	{ "To: \nCc: a@b\n\n", "a@b" },
	{ "Subject: none\n\n", "" },
	{ "To: a@b@c\n\n", NULL },
	{ "To: <a@b\n\n", NULL },
	/* A stray CR inside an address field is refused, not repaired. */
	{ "To: \"\rtest\"@x\n\n", NULL },
	{ "To: a@b,\r c@d\n\n", NULL },
	{ "Subject: a\rb\nTo: a@b\n\n", "a@b" },	/* not an address field */
	{ "To: a@b\r\r\n\n", "a@b" },	/* only blanks after it */
	{ "To: a@b \r \n\n", "a@b" },
};

static void
test_rcpts(void **state)
{
	struct msg_input	*mi;
	struct msg		*m;
	struct addr_list	 l;
	struct err		 e;
	struct buf		 got;
	size_t			 i, k;
	int			 fd, rc;

	(void)state;
	for (i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		fd = memfd_with(rcases[i].in, strlen(rcases[i].in));
		mi = msg_input_new(fd, 0);
		assert_int_equal(msg_read_headers(&m, mi, &e), 0);
		addr_list_init(&l);
		rc = msg_header_rcpts(m, &l, &e);
		if (rcases[i].want == NULL) {
			if (rc != -1 || e.cls != ERR_DATA)
				fail_msg("%s: no error", rcases[i].in);
		} else {
			if (rc != 0)
				fail_msg("%s: %s", rcases[i].in, e.msg);
			buf_init(&got, 4096);
			for (k = 0; k < l.n; k++) {
				if (k > 0)
					buf_addc(&got, ',');
				buf_adds(&got, l.v[k].spec);
			}
			if (strcmp(buf_str(&got), rcases[i].want) != 0)
				fail_msg("%s: got %s", rcases[i].in,
				    buf_str(&got));
			buf_free(&got);
		}
		addr_list_free(&l);
		msg_free(m);
		msg_input_free(mi);
		close(fd);
	}
}

static void
test_header_from(void **state)
{
	struct msg_input	*mi;
	struct msg		*m;
	struct err		 e;
	char			*s;
	const char		*in = "To: x@y\nFrom: Name <a@b>, c@d\n"
	    "From: z@z\n\n";
	int			 fd;

	(void)state;
	fd = memfd_with(in, strlen(in));
	mi = msg_input_new(fd, 0);
	assert_int_equal(msg_read_headers(&m, mi, &e), 0);
	s = msg_header_from(m);
	assert_string_equal(s, "a@b");
	free(s);
	msg_free(m);
	msg_input_free(mi);
	close(fd);
}

static void
test_not_regular(void **state)
{
	struct msg_input	*mi;
	struct msg		*m;
	struct msg_opts		 o;
	struct msg_stats	 st;
	struct err		 e;
	int			 fd, p[2];

	(void)state;
	opts_for(&o, 0);
	fd = memfd_with(H "\n", strlen(H "\n"));
	mi = msg_input_new(fd, 0);
	assert_int_equal(msg_read_headers(&m, mi, &e), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(msg_write(m, mi, p[1], &o, &st, &e), -1);
	o.full_name = "a\nBcc: x";
	assert_int_equal(msg_write(m, mi, fd, &o, &st, &e), -1);
	assert_int_equal(e.cls, ERR_USAGE);
	msg_free(m);
	msg_input_free(mi);
	close(fd);
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_added_flags),
		cmocka_unit_test(test_msgid_unique),
		cmocka_unit_test(test_long_line_qp),
		cmocka_unit_test(test_multipart_split),
		cmocka_unit_test(test_long_header),
		cmocka_unit_test(test_header_limit),
		cmocka_unit_test(test_max_size),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_rcpts),
		cmocka_unit_test(test_header_from),
		cmocka_unit_test(test_not_regular),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
