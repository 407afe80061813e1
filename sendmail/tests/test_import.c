/*
 * test_import.c -- unit tests for import.c (postern --import).
 *
 * Each case gives a source file (and the files beside it, served by an
 * in-memory import_fs), the expected result, lines the output must hold
 * exactly, text it must hold somewhere (comments), and text it must not
 * hold (secrets in comments, values that must not be carried over).  Every
 * successful output is also loaded with config_load_fd() from a 0600 memfd,
 * as postern would read it once saved.
 */
#include <sys/mman.h>
#include <sys/stat.h>

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
#include "config.h"
#include "err.h"
#include "import.h"

#define MAXS	8

struct file {
	const char	*path;
	const char	*text;
};

struct tcase {
	const char	*name;
	const char	*path;		/* source file name */
	const char	*text;
	const char	*account;
	struct file	 other[MAXS];	/* files beside it */
	int		 rc;		/* 0, or -1 */
	const char	*errmsg;	/* substring of the error */
	const char	*lines[MAXS];	/* whole lines of the output */
	const char	*has[MAXS];	/* substrings of the output */
	const char	*hasnot[MAXS];	/* never in the output */
};

#define PIN "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:" \
	    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"
#define PINHEX "ABCDEF0123456789ABCDEF0123456789" \
	    "ABCDEF0123456789ABCDEF0123456789"

static const struct tcase cases[] = {
	{ "msmtp default account, inheritance, passwordeval", "/e/msmtprc",
	  "# system\ndefaults\nauth on\ntls on\n"
	  "tls_trust_file /etc/ssl/certs/ca-certificates.crt\n\n"
	  "account base\nhost smtp.example.com\nport 587\n"
	  "from %U@example.com\nuser jo\n"
	  "passwordeval \"pass show mail\"\n\n"
	  "account default : base\nproxy_host 10.0.0.1\n",
	  NULL, { { NULL, NULL } }, 0, NULL,
	  { "host = smtp.example.com", "port = 587", "tls = starttls",
	    "user = jo", "password_command = pass show mail",
	    "from = %u@example.com",
	    "tls_ca_file = /etc/ssl/certs/ca-certificates.crt", NULL },
	  { "/e/msmtprc:15: proxy_host: postern does not connect through",
	    "# /e/msmtprc:8", "set-group-ID", NULL },
	  { "tls_verify", NULL } },
	{ "msmtp --account", "/e/msmtprc",
	  "account a\nhost a.example.com\naccount b\nhost b.example.com\n"
	  "tls on\ntls_starttls off\n",
	  "b", { { NULL, NULL } }, 0, NULL,
	  { "host = b.example.com", "tls = implicit", "port = 465", NULL },
	  { "Account \"b\"", NULL }, { "a.example.com", NULL } },
	{ "msmtp without the account", "/e/msmtprc",
	  "account a\nhost a.example.com\naccount b\nhost b.example.com\n",
	  NULL, { { NULL, NULL } }, -1,
	  "/e/msmtprc: no account 'default' (accounts: a, b; choose one "
	  "with --account NAME)", { NULL }, { NULL }, { NULL } },
	{ "msmtp tls_certcheck off keeps verification", "/e/msmtprc",
	  "account default\nhost mail.example.com\ntls on\n"
	  "tls_certcheck off\n",
	  NULL, { { NULL, NULL } }, 0, NULL,
	  { "tls_verify = yes", "tls = starttls", "port = 25", NULL },
	  { "/e/msmtprc:4: msmtp had certificate checks off", NULL },
	  { "tls_verify = no", NULL } },
	{ "msmtp password in clear to a remote host: STARTTLS", "/e/msmtprc",
	  "account default\nhost mail.example.com\nauth plain\nuser jo\n"
	  "password hunter2\n",
	  NULL, { { NULL, NULL } }, 0, NULL,
	  { "tls = starttls", "auth = plain", "password = hunter2", NULL },
	  { "msmtp sent the password without TLS", "password_file = PATH",
	    NULL },
	  { "tls = none", NULL } },
	{ "msmtp plain to localhost without auth", "/e/msmtprc",
	  "account default\nhost localhost\nuser jo\n",
	  NULL, { { NULL, NULL } }, 0, NULL,
	  { "tls = none", "port = 25", "auth = none", NULL },
	  { "user not carried over: msmtp did not authenticate", NULL },
	  { "user = jo", NULL } },
	{ "msmtp SHA-256 pin alone", "/e/msmtprc",
	  "account default\nhost mail.example.com\ntls on\n"
	  "tls_fingerprint " PIN "\n",
	  NULL, { { NULL, NULL } }, 0, NULL,
	  { "tls_fingerprint = sha256:" PIN, "tls_verify = no", NULL },
	  { "the pin alone is the check", NULL }, { NULL } },
	{ "msmtp SHA-1 pin not carried over", "/e/msmtprc",
	  "account default\nhost mail.example.com\ntls on\n"
	  "tls_fingerprint 00:11:22:33:44:55:66:77:88:99:00:11:22:33:44:55:"
	  "66:77:88:99\n",
	  NULL, { { NULL, NULL } }, 0, NULL,
	  { "tls = starttls", NULL },
	  { "/e/msmtprc:4: tls_fingerprint not carried over", NULL },
	  { "tls_fingerprint =", "tls_verify", NULL } },
	{ "msmtp from with %C, quoted values, unknown command", "/e/msmtprc",
	  "account default\nhost \"mail.example.com\"\nfrom %U@%C\n"
	  "colour blue\ndomain client.example.com\ntimeout 30\n"
	  "syslog LOG_MAIL\nset_from_header on\nallow_from_override off\n",
	  NULL, { { NULL, NULL } }, 0, NULL,
	  { "host = mail.example.com", "helo = client.example.com",
	    "timeout = 30", "syslog = mail", "from_header = force",
	    "allow_from_override = no", NULL },
	  { "/e/msmtprc:3: from %U@%C: postern knows only",
	    "/e/msmtprc:4: colour: not an msmtp command", NULL },
	  { "from =", NULL } },
	{ "msmtp auth scram-sha-1", "/e/msmtprc",
	  "account default\nhost mail.example.com\ntls on\nauth scram-sha-1\n"
	  "user jo\npasswordeval pass jo\n",
	  NULL, { { NULL, NULL } }, 0, NULL,
	  { "auth = scram-sha-1", "password_command = pass jo", NULL },
	  { NULL }, { "no such mechanism", NULL } },
	{ "msmtp value with ${ is not carried over", "/e/msmtprc",
	  "account default\nhost mail.example.com\ntls on\nauth on\n"
	  "user jo\npassword a${HOME}b\n",
	  NULL, { { NULL, NULL } }, 0, NULL,
	  { "user = jo", NULL },
	  { "password not carried over: postern would refuse it", NULL },
	  { "a${HOME}b", "password =", NULL } },
	{ "ssmtp with STARTTLS, auth, Root, rewriteDomain", "/e/ssmtp.conf",
	  "#\n# Config file for sSMTP sendmail\n#\n"
	  "root=postmaster@example.com\nmailhub=smtp.example.com:587\n"
	  "rewriteDomain=example.com\nhostname=host1.example.com\n"
	  "UseSTARTTLS=YES\nAuthUser=jo@example.com\nAuthPass=s3cr3t\n"
	  "AuthPass=second\n",
	  NULL, { { "/e/revaliases",
	    "# sSMTP aliases\nroot:jo@example.com:smtp.example.com:587\n" },
	    { NULL, NULL } }, 0, NULL,
	  { "host = smtp.example.com", "port = 587", "tls = starttls",
	    "tls_verify = yes", "user = jo@example.com", "password = s3cr3t",
	    "domain = example.com", "root = postmaster@example.com" },
	  { "ssmtp never verified the server certificate",
	    "/e/revaliases:2: root sends as jo@example.com", NULL },
	  { "second", "not to smtp", NULL } },
	{ "ssmtp UseTLS is implicit TLS on ssmtp's port", "/e/ssmtp.conf",
	  "mailhub=mail.example.com\nUseTLS=YES\nUseTLSCert=YES\n"
	  "TLSCert=/etc/ssl/private/client.pem\n",
	  NULL, { { NULL, NULL } }, 0, NULL,
	  { "tls = implicit", "port = 25",
	    "tls_client_cert = /etc/ssl/private/client.pem",
	    "tls_client_key = /etc/ssl/private/client.pem", NULL },
	  { NULL }, { NULL } },
	{ "dma with auth.conf, MASQUERADE, DEFER", "/e/dma.conf",
	  "SMARTHOST mail.example.net\nPORT 587\nAUTHPATH /e/auth.conf\n"
	  "SECURETRANSFER\nSTARTTLS\nMAILNAME host2.example.net\n"
	  "MASQUERADE jo@\nDEFER\nINSECURE\n",
	  NULL, { { "/e/auth.conf", "# SMTP authentication\n"
	    "bob|other.example:nope\njo|mail.example.net:dma-secret\n" },
	    { NULL, NULL } }, 0, NULL,
	  { "host = mail.example.net", "port = 587", "tls = starttls",
	    "user = jo", "password = dma-secret",
	    "from = jo@host2.example.net", "domain = host2.example.net",
	    "delivery = deferred" },
	  { "dma did not verify the server certificate", "INSECURE:",
	    "/e/auth.conf:2: for host other.example", NULL },
	  { "nope", NULL } },
	{ "dma pin without VERIFYCERT", "/e/dma.conf",
	  "SMARTHOST mail.example.net\nSECURETRANSFER\nFINGERPRINT " PINHEX
	  "\n",
	  NULL, { { NULL, NULL } }, 0, NULL,
	  { "tls = implicit", "port = 25", "tls_fingerprint = sha256:" PIN,
	    "tls_verify = no", NULL },
	  { NULL }, { NULL } },
	{ "dma without TLS but with a password: STARTTLS", "/e/dma.conf",
	  "SMARTHOST mail.example.net\nAUTHPATH /e/auth.conf\nNULLCLIENT\n",
	  NULL, { { "/e/auth.conf", "jo|mail.example.net:pw\n" },
	    { NULL, NULL } }, 0, NULL,
	  { "tls = starttls", "port = 25", NULL },
	  { "dma sent the password without TLS", "NULLCLIENT:", NULL },
	  { NULL } },
	{ "dma auth.conf missing", "/e/dma.conf",
	  "SMARTHOST mail.example.net\nAUTHPATH /e/none.conf\n",
	  NULL, { { NULL, NULL } }, 0, NULL,
	  { "tls = none", NULL }, { "AUTHPATH /e/none.conf: not read", NULL },
	  { "user =", NULL } },
	{ "nullmailer remotes and control files", "/etc/nullmailer/remotes",
	  "# remotes\nsmtp.example.org smtp --port=587 --starttls "
	  "--user=jo --pass='my pass' --x509cafile=/etc/ca.pem\n"
	  "smtp2.example.org smtp --port=587 --starttls --user=jo "
	  "--pass='my pass' --x509cafile=/etc/ca.pem\n"
	  "backup.example.org qmqp\n",
	  NULL, { { "/etc/nullmailer/me", "host3\n" },
	    { "/etc/nullmailer/defaultdomain", "example.org\n" },
	    { "/etc/nullmailer/adminaddr", "ops@example.org\n" },
	    { "/etc/nullmailer/helohost", "host3.example.org\n" },
	    { NULL, NULL } }, 0, NULL,
	  { "host = smtp.example.org, smtp2.example.org", "port = 587",
	    "tls = starttls", "tls_ca_file = /etc/ca.pem", "user = jo",
	    "password = my pass", "domain = host3.example.org",
	    "default = ops@example.org" },
	  { "/etc/nullmailer/remotes:4: qmqp: postern speaks SMTP only",
	    "helo = host3.example.org", NULL },
	  { NULL } },
	{ "nullmailer --ssl insecure", "/n/remotes",
	  "relay.example.org smtp --ssl --insecure user=u pass=p\n",
	  NULL, { { NULL, NULL } }, 0, NULL,
	  { "tls = implicit", "port = 465", "tls_verify = yes", NULL },
	  { "nullmailer had 'insecure'", NULL }, { NULL } },
	{ "unknown file", "/etc/passwd",
	  "root:x:0:0:root:/root:/bin/bash\nbin:x:1:1::/:/sbin/nologin\n",
	  NULL, { { NULL, NULL } }, -1,
	  "/etc/passwd: not recognised as an msmtprc, ssmtp.conf, dma.conf "
	  "or nullmailer remotes file", { NULL }, { NULL }, { NULL } },
	{ "empty file", "/e/x", "", NULL, { { NULL, NULL } }, -1,
	  "not recognised", { NULL }, { NULL }, { NULL } },
	{ "--account with ssmtp", "/e/ssmtp.conf", "mailhub=a.example\n",
	  "x", { { NULL, NULL } }, -1, "--account is for msmtprc files only",
	  { NULL }, { NULL }, { NULL } },
	{ "no usable host", "/e/msmtprc",
	  "account default\nhost bad_host!\n", NULL, { { NULL, NULL } }, -1,
	  "/e/msmtprc: no usable smarthost host", { NULL }, { NULL },
	  { NULL } },
};

static int
mem_read(void *arg, const char *path, struct buf *out)
{
	const struct tcase	*t = arg;
	size_t			 i;

	for (i = 0; i < MAXS && t->other[i].path != NULL; i++)
		if (strcmp(t->other[i].path, path) == 0)
			return buf_adds(out, t->other[i].text);
	errno = ENOENT;
	return -1;
}

static int
has_line(const char *out, const char *line)
{
	const char	*p = out;
	size_t		 n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == out || p[-1] == '\n') && (p[n] == '\n' ||
		    p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static void
loads(const char *text)
{
	struct config	c;
	struct err	e;
	int		fd;

	fd = memfd_create("t", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0600), 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	if (config_load_fd(&c, fd, "out.ini", 0, &e) == -1)
		fail_msg("output does not load: %s\n%s", e.msg, text);
	config_free(&c);
	close(fd);
}

static void
test_cases(void **state)
{
	const struct tcase	*t;
	struct import_fs	 fs;
	struct buf		 out;
	struct err		 e;
	size_t			 i, j;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = &cases[i];
		fs.read = mem_read;
		fs.arg = (void *)(uintptr_t)t;
		buf_init(&out, IMPORT_OUT_MAX);
		err_clear(&e);
		rc = import_convert(t->path, t->text, strlen(t->text),
		    t->account, &fs, &out, &e);
		if (rc != t->rc)
			fail_msg("%s: rc %d (%s)", t->name, rc, e.msg);
		if (rc == -1) {
			assert_int_equal(e.cls, ERR_CONFIG);
			if (strstr(e.msg, t->errmsg) == NULL)
				fail_msg("%s: error '%s'", t->name, e.msg);
			buf_free(&out);
			continue;
		}
		for (j = 0; j < MAXS && t->lines[j] != NULL; j++)
			if (!has_line(buf_str(&out), t->lines[j]))
				fail_msg("%s: no line '%s' in\n%s", t->name,
				    t->lines[j], buf_str(&out));
		for (j = 0; j < MAXS && t->has[j] != NULL; j++)
			if (strstr(buf_str(&out), t->has[j]) == NULL)
				fail_msg("%s: no '%s' in\n%s", t->name,
				    t->has[j], buf_str(&out));
		for (j = 0; j < MAXS && t->hasnot[j] != NULL; j++)
			if (strstr(buf_str(&out), t->hasnot[j]) != NULL)
				fail_msg("%s: '%s' in\n%s", t->name,
				    t->hasnot[j], buf_str(&out));
		loads(buf_str(&out));
		buf_free(&out);
	}
}

/* A secret appears once: on its own line, never in a comment. */
static void
test_secret_once(void **state)
{
	static const char	src[] = "account default\nhost mail.example.com\n"
	    "tls on\nauth on\nuser jo\npassword Zq9-secret\n";
	struct buf		out;
	struct err		e;
	const char		*p;

	(void)state;
	buf_init(&out, IMPORT_OUT_MAX);
	assert_int_equal(import_convert("/e/msmtprc", src, sizeof(src) - 1,
	    NULL, NULL, &out, &e), 0);
	p = strstr(buf_str(&out), "Zq9-secret");
	assert_non_null(p);
	assert_null(strstr(p + 1, "Zq9-secret"));
	assert_true(has_line(buf_str(&out), "password = Zq9-secret"));
	buf_free(&out);
}

/* Every output line fits postern.ini's limit, however long the input. */
static void
test_long_lines(void **state)
{
	struct buf	 in, out;
	struct err	 e;
	const char	*p, *nl;
	int		 i;

	(void)state;
	buf_init(&in, IMPORT_FILE_MAX);
	buf_init(&out, IMPORT_OUT_MAX);
	assert_int_equal(buf_adds(&in, "account default\nhost "
	    "mail.example.com\n"), 0);
	for (i = 0; i < 40; i++)
		assert_int_equal(buf_printf(&in, "tls_priorities %0400d\n", i),
		    0);
	assert_int_equal(buf_printf(&in, "from %0300d@example.com\n", 1), 0);
	assert_int_equal(import_convert("/e/msmtprc", buf_str(&in), in.len,
	    NULL, NULL, &out, &e), 0);
	for (p = buf_str(&out); *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		assert_true(nl - p <= CONFIG_LINE_MAX);
	}
	loads(buf_str(&out));
	buf_free(&in);
	buf_free(&out);
}

static void
test_detect(void **state)
{
	(void)state;
	assert_int_equal(import_detect("host a\n", 7), IMPORT_MSMTP);
	assert_int_equal(import_detect("mailhub=a\n", 10), IMPORT_SSMTP);
	assert_int_equal(import_detect("SMARTHOST a\n", 12), IMPORT_DMA);
	assert_int_equal(import_detect("a.example smtp\n", 15),
	    IMPORT_NULLMAILER);
	assert_int_equal(import_detect("[smarthost]\nhost = a\n", 21),
	    IMPORT_NONE);
	assert_int_equal(import_detect("host\0a\n", 7), IMPORT_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_secret_once),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_detect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
