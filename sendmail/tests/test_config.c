/*
 * test_config.c -- unit tests for config.c.
 *
 * Most cases write a config into a memfd with a given mode and load it with
 * config_load_fd(..., "t.ini", ...), so that messages can be compared
 * exactly.  Cases that need a path (symlink, FIFO, password_file) use a
 * temporary directory.  Privileged cases need the file to be owned by root
 * and are skipped when not run as root.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "fixture.h"
#include "err.h"

#define X10	"xxxxxxxxxx"
#define X50	X10 X10 X10 X10 X10
#define X250	X50 X50 X50 X50 X50
#define X300	X250 X50

#define HOST	"[smarthost]\nhost = a.example.com\n"

static char	tmpdir[64];

struct tcase {
	const char	*name;
	const char	*text;
	size_t		 len;		/* 0: strlen(text) */
	int		 mode;		/* 0: 0600 */
	int		 privileged;
	const char	*msg;		/* NULL: must load */
};

static const struct tcase cases[] = {
	{ "minimal", HOST, 0, 0, 0, NULL },
	{ "minimal privileged", HOST, 0, 0640, 1, NULL },
	{ "unknown key", HOST "bogus = 1\n", 0, 0, 0,
	    "t.ini:3: unknown key 'bogus' in [smarthost]" },
	{ "key of another section", HOST "dir = /x\n", 0, 0, 0,
	    "t.ini:3: unknown key 'dir' in [smarthost]; it belongs in [queue]" },
	{ "misspelt key", HOST "pasword_file = /x\n", 0, 0, 0,
	    "t.ini:3: unknown key 'pasword_file' in [smarthost]; did you mean "
	    "'password_file'?" },
	{ "misspelt key, other case", HOST "TLS_Verify = no\n", 0, 0, 0,
	    "t.ini:3: unknown key 'TLS_Verify' in [smarthost]; did you mean "
	    "'tls_verify'?" },
	{ "unknown key far from any", HOST "colour = blue\n", 0, 0, 0,
	    "t.ini:3: unknown key 'colour' in [smarthost]" },
	{ "host with a port", "[smarthost]\nhost = smtp.gmail.com:587\n", 0, 0, 0,
	    "t.ini:2: bad value for host 'smtp.gmail.com:587': a port does not "
	    "go in host; write 'host = smtp.gmail.com' and 'port = 587'" },
	{ "host as a URL", "[smarthost]\nhost = smtps://smtp.gmail.com\n", 0, 0, 0,
	    "t.ini:2: bad value for host 'smtps://smtp.gmail.com': not a host "
	    "name (write only the name, without smtp:// or smtps://; the port "
	    "goes in 'port =')" },
	{ "unknown section", HOST "[nope]\n", 0, 0, 0,
	    "t.ini:3: unknown section [nope]" },
	{ "section in upper case", "[SMARTHOST]\nhost = a.example.com\n",
	    0, 0, 0, "t.ini:1: unknown section [SMARTHOST]" },
	{ "duplicate section", HOST "[smarthost]\n", 0, 0, 0,
	    "t.ini:3: duplicate section [smarthost]" },
	{ "text after section", "[smarthost] ; x\nhost = a.example.com\n",
	    0, 0, 0, "t.ini:1: text after ']' (comments must be on their "
	    "own line)" },
	{ "unclosed section", "[smarthost\n", 0, 0, 0,
	    "t.ini:1: expected '[section]'" },
	{ "duplicate key", HOST "port = 25\nport = 26\n", 0, 0, 0,
	    "t.ini:4: duplicate key 'port' (first set on line 3)" },
	{ "duplicate host", HOST "host = b.example.com\n", 0, 0, 0,
	    "t.ini:3: duplicate key 'host' (first set on line 2)" },
	{ "300-character line", HOST "user = " X300 "\n", 0, 0, 0,
	    "t.ini:3: line too long (more than 255 characters)" },
	{ "256-character line", HOST "user=" X250 "x\n", 0, 0, 0,
	    "t.ini:3: line too long (more than 255 characters)" },
	{ "255-character line", HOST "user=" X250 "\n", 0, 0, 0, NULL },
	/* Over upstream inih's default INI_MAX_LINE of 200, under ours. */
	{ "230-character value with ';'", HOST "user = " X50 X50 X50 X50
	    ";" X10 X10 "\npassword_file = /x\n", 0, 0, 0, NULL },
	{ "'#' inside a value", HOST "port = 25 #x\n", 0, 0, 0,
	    "t.ini:3: bad value for port '25 #x': expected a port 1-65535" },
	{ "empty value keeps the default", HOST "port =\ntimeout = \n",
	    0, 0, 0, NULL },
	{ "CRLF lines", "[smarthost]\r\nhost = a.example.com\r\n", 0, 0, 0,
	    NULL },
	{ "no value", HOST "user\n", 0, 0, 0,
	    "t.ini:3: expected 'key = value'" },
	{ "long comment line", HOST "#" X300 "\n", 0, 0, 0,
	    "t.ini:3: line too long (more than 255 characters)" },
	{ "continuation line", HOST "  b.example.com\n", 0, 0, 0,
	    "t.ini:3: indented line (continuation lines are not "
	    "supported)" },
	{ "indented key", HOST "\tport = 25\n", 0, 0, 0,
	    "t.ini:3: indented line (continuation lines are not "
	    "supported)" },
	{ "blank line with spaces", HOST "   \n\t\nport = 25\n", 0, 0, 0,
	    NULL },
	{ "no equals sign", "[smarthost]\nhost\n", 0, 0, 0,
	    "t.ini:2: expected 'key = value'" },
	{ "colon instead of equals", "[smarthost]\nhost: a.example.com\n",
	    0, 0, 0, "t.ini:2: expected 'key = value'" },
	{ "colon in key", HOST "[aliases]\na:b = c@example.com\n", 0, 0, 0,
	    "t.ini:4: ':' in key name" },
	{ "missing key name", HOST "= x\n", 0, 0, 0,
	    "t.ini:3: missing key name" },
	{ "key outside section", "host = a.example.com\n", 0, 0, 0,
	    "t.ini:1: key outside of a [section]" },
	{ "NUL byte", HOST "user = a\0b\n", sizeof(HOST "user = a\0b\n") - 1,
	    0, 0, "t.ini:3: NUL byte" },
	{ "control character", HOST "user = a\001b\n", 0, 0, 0,
	    "t.ini:3: control character in value of user" },
	{ "bare CR", HOST "user = a\rb\n", 0, 0, 0,
	    "t.ini:3: control character in value of user" },
	{ "CRLF lines", "[smarthost]\r\nhost = a.example.com\r\n", 0, 0, 0,
	    NULL },
	{ "BOM", "\xef\xbb\xbf" HOST, 0, 0, 0, NULL },
	{ "missing host", "[smarthost]\nport = 25\n", 0, 0, 0,
	    "t.ini: [smarthost] host is required" },
	{ "empty host", "[smarthost]\nhost =\n", 0, 0, 0,
	    "t.ini: [smarthost] host is required" },
	{ "empty file", "", 0, 0, 0, "t.ini: [smarthost] host is required" },
	{ "port 0", HOST "port = 0\n", 0, 0, 0,
	    "t.ini:3: bad value for port '0': expected a port 1-65535" },
	{ "port 65536", HOST "port = 65536\n", 0, 0, 0,
	    "t.ini:3: bad value for port '65536': expected a port 1-65535" },
	{ "port sign", HOST "port = +25\n", 0, 0, 0,
	    "t.ini:3: bad value for port '+25': expected a port 1-65535" },
	{ "port inline comment", HOST "port = 25 ; submission\n", 0, 0, 0,
	    "t.ini:3: bad value for port '25 ; submission': expected a port "
	    "1-65535" },
	{ "port 65535", HOST "port = 65535\n", 0, 0, 0, NULL },
	/* Leading zeros were always taken (strtoul): text_parse_u64 too. */
	{ "port leading zero", HOST "port = 0587\n", 0, 0, 0, NULL },
	{ "port zeros", HOST "port = 000\n", 0, 0, 0,
	    "t.ini:3: bad value for port '000': expected a port 1-65535" },
	{ "port huge", HOST "port = 18446744073709551617\n", 0, 0, 0,
	    "t.ini:3: bad value for port '18446744073709551617': expected a "
	    "port 1-65535" },
	{ "bad tls", HOST "tls = ssl\n", 0, 0, 0,
	    "t.ini:3: bad value for tls 'ssl': expected starttls, implicit "
	    "or none" },
	{ "bad bool", HOST "[queue]\nenabled = maybe\n", 0, 0, 0,
	    "t.ini:4: bad value for enabled 'maybe': expected yes or no" },
	{ "bad bool 1", HOST "[sender]\nallow_from_override = 1\n", 0, 0, 0,
	    "t.ini:4: bad value for allow_from_override '1': expected yes "
	    "or no" },
	{ "bad duration", HOST "[queue]\nretry = 5x\n", 0, 0, 0,
	    "t.ini:4: bad value for retry '5x': expected a duration such as "
	    "30s, 5m, 1h or 5d" },
	{ "compound duration", HOST "[queue]\nretry = 1h30m\n", 0, 0, 0,
	    "t.ini:4: bad value for retry '1h30m': expected a duration such "
	    "as 30s, 5m, 1h or 5d" },
	{ "zero timeout", HOST "timeout = 0\n", 0, 0, 0,
	    "t.ini:3: bad value for timeout '0': must be more than zero" },
	{ "size suffix", HOST "[queue]\nmax_message_size = 5X\n", 0, 0, 0,
	    "t.ini:4: bad value for max_message_size '5X': expected a size "
	    "such as 50M, 512K or 0" },
	{ "size negative", HOST "[queue]\nmax_message_size = -1\n", 0, 0, 0,
	    "t.ini:4: bad value for max_message_size '-1': expected a size "
	    "such as 50M, 512K or 0" },
	{ "size huge", HOST "[queue]\nmax_message_size = 2000G\n", 0, 0, 0,
	    "t.ini:4: bad value for max_message_size '2000G': too large" },
	{ "size zero", HOST "[queue]\nmax_message_size = 0\n", 0, 0, 0,
	    NULL },
	{ "size leading zeros", HOST "[queue]\nmax_message_size = 007M\n", 0,
	    0, 0, NULL },
	{ "size past 64 bits", HOST "[queue]\nmax_message_size = "
	    "99999999999999999999999K\n", 0, 0, 0, "t.ini:4: bad value for "
	    "max_message_size '99999999999999999999999K': too large" },
	{ "size 2^64", HOST "[queue]\nmax_message_size = "
	    "18446744073709551616\n", 0, 0, 0, "t.ini:4: bad value for "
	    "max_message_size '18446744073709551616': too large" },
	{ "size K alone", HOST "[queue]\nmax_message_size = K\n", 0, 0, 0,
	    "t.ini:4: bad value for max_message_size 'K': expected a size "
	    "such as 50M, 512K or 0" },
	{ "retry over retry_max", HOST "[queue]\nretry = 2h\n", 0, 0, 0,
	    "t.ini:4: retry is longer than retry_max" },
	{ "tls_verify no alone", HOST "tls_verify = no\n", 0, 0, 0,
	    "t.ini:3: tls_verify = no requires tls_fingerprint" },
	{ "tls_verify no pinned", HOST "tls_verify = no\ntls_fingerprint = "
	    "sha256:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:"
	    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\n", 0, 0, 0,
	    NULL },
	{ "short fingerprint", HOST "tls_fingerprint = sha256:00:11\n",
	    0, 0, 0, "t.ini:3: bad value for tls_fingerprint 'sha256:00:11': "
	    "expected sha256: and 32 hex pairs separated by ':'" },
	{ "bad tls_min_version", HOST "tls_min_version = 1.1\n", 0, 0, 0,
	    "t.ini:3: bad value for tls_min_version '1.1': expected 1.2 or "
	    "1.3" },
	{ "bad auth", HOST "auth = plain gssapi\n", 0, 0, 0,
	    "t.ini:3: bad value for auth 'plain gssapi': unknown mechanism "
	    "(auto, none, or a list of scram-sha-256 scram-sha-1 plain login "
	    "cram-md5 xoauth2 oauthbearer)" },
	{ "bad syslog", HOST "[log]\nsyslog = mial\n", 0, 0, 0,
	    "t.ini:4: bad value for syslog 'mial': expected a syslog facility "
	    "or no" },
	{ "relative path", HOST "[log]\nfile = postern.log\n", 0, 0, 0,
	    "t.ini:4: bad value for file 'postern.log': must be an absolute "
	    "path" },
	{ "bad host name", "[smarthost]\nhost = a..example.com\n", 0, 0, 0,
	    "t.ini:2: bad value for host 'a..example.com': not a host name or "
	    "IP address" },
	{ "numeric host name", "[smarthost]\nhost = 1.2.3\n", 0, 0, 0,
	    "t.ini:2: bad value for host '1.2.3': not a host name or IP "
	    "address" },
	{ "empty host in list", "[smarthost]\nhost = a.example.com,,b\n",
	    0, 0, 0, "t.ini:2: bad value for host 'a.example.com,,b': empty "
	    "host name in list" },
	{ "too many hosts", "[smarthost]\nhost = a,b,c,d,e,f,g,h,i\n", 0, 0, 0,
	    "t.ini:2: bad value for host 'a,b,c,d,e,f,g,h,i': too many "
	    "hosts" },
	{ "eight hosts", "[smarthost]\nhost = a,b,c,d,e,f,g,h\n", 0, 0, 0,
	    NULL },
	{ "bad helo", HOST "helo = -x.example.com\n", 0, 0, 0,
	    "t.ini:3: bad value for helo '-x.example.com': expected a host "
	    "name or an address literal such as [192.0.2.1]" },
	{ "bad from", HOST "[sender]\nfrom = %x@example.com\n", 0, 0, 0,
	    "t.ini:4: bad value for from '%x@example.com': expected an "
	    "address; only %u, %h and %% may follow %" },
	{ "password in 0644 file", HOST "user = u\npassword = s3cret\n",
	    0, 0644, 0, "t.ini: holds a password but is world-readable or "
	    "-writable (mode 0644; chmod o-rwx)" },
	{ "password in 0602 file", HOST "user = u\npassword = s3cret\n",
	    0, 0602, 0, "t.ini: holds a password but is world-readable or "
	    "-writable (mode 0602; chmod o-rwx)" },
	{ "password in 0640 file", HOST "user = u\npassword = s3cret\n",
	    0, 0640, 0, NULL },
	{ "no password in 0644 file", HOST, 0, 0644, 0, NULL },
	{ "password without user", HOST "password = s3cret\n", 0, 0, 0,
	    "t.ini:3: a password needs user" },
	{ "bad password value not shown", HOST "user = u\npassword = a\001b\n",
	    0, 0, 0, "t.ini:4: control character in value of password" },
	{ "two secret sources", HOST "user = u\npassword = s3cret\n"
	    "password_file = /etc/pw\n", 0, 0, 0,
	    "t.ini:5: only one of password, password_file and "
	    "password_command may be set" },
	{ "password_command privileged", HOST "user = u\n"
	    "password_command = echo x\n", 0, 0640, 1,
	    "t.ini:4: password_command is not allowed when running "
	    "privileged" },
	{ "group-writable privileged", HOST, 0, 0660, 1,
	    "t.ini: writable by group or others (mode 0660)" },
	{ "group-writable unprivileged", HOST, 0, 0660, 0, NULL },
	/* Anyone could choose the smarthost: refused whoever runs it. */
	{ "world-writable unprivileged", HOST "user = u\n"
	    "password_file = /etc/pw\n", 0, 0666, 0,
	    "t.ini: writable by others (mode 0666): anyone could choose the "
	    "smarthost (chmod o-w)" },
	{ "world-writable no secret", HOST, 0, 0602, 0,
	    "t.ini: writable by others (mode 0602): anyone could choose the "
	    "smarthost (chmod o-w)" },
	{ "variable", HOST "user = ${POSTERN_TEST_USER}\n", 0, 0, 0, NULL },
	{ "variable privileged", HOST "user = ${POSTERN_TEST_USER}\n",
	    0, 0640, 1, "t.ini:3: ${...} is not allowed when running "
	    "privileged" },
	{ "unset variable", HOST "user = ${POSTERN_TEST_UNSET}\n", 0, 0, 0,
	    "t.ini:3: environment variable POSTERN_TEST_UNSET is not set" },
	{ "unterminated variable", HOST "user = ${POSTERN_TEST_USER\n",
	    0, 0, 0, "t.ini:3: unterminated ${" },
	{ "bad variable name", HOST "user = ${1X}\n", 0, 0, 0,
	    "t.ini:3: bad variable name in ${...}" },
	{ "variable with newline", HOST "user = ${POSTERN_TEST_NL}\n",
	    0, 0, 0, "t.ini:3: control character in value of user" },
	{ "dollar kept", HOST "user = a$b$\n", 0, 0, 0, NULL },
	{ "duplicate alias", HOST "[aliases]\nroot = a@example.com\n"
	    "ROOT = b@example.com\n", 0, 0, 0,
	    "t.ini:5: duplicate alias 'ROOT'" },
	{ "bad alias name", HOST "[aliases]\nweb master = a@example.com\n",
	    0, 0, 0, "t.ini:4: bad alias name 'web master': no blanks, "
	    "control characters, @ , \" < >" },
	{ "alias with @", HOST "[aliases]\nroot@x = a@example.com\n", 0, 0, 0,
	    "t.ini:4: bad alias name 'root@x': no blanks, control characters, "
	    "@ , \" < >" },
	{ "empty alias", HOST "[aliases]\nroot =\n", 0, 0, 0,
	    "t.ini:4: alias 'root' has no addresses" },
	{ "client cert without key", HOST "tls_client_cert = /c.pem\n",
	    0, 0, 0, "t.ini:3: tls_client_cert and tls_client_key must be set "
	    "together" },
};

static int
memfd_with(const char *text, size_t len, int mode)
{
	int	fd;

	fd = memfd_create("t.ini", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(fchmod(fd, (mode_t)mode), 0);
	return fd;
}

static int
load_text(struct config *c, const char *text, int mode, int privileged,
    struct err *e)
{
	int	fd, rc;

	fd = memfd_with(text, strlen(text), mode);
	err_clear(e);
	rc = config_load_fd(c, fd, "t.ini", privileged, e);
	close(fd);
	return rc;
}

static void
test_cases(void **state)
{
	const struct tcase	*k;
	struct config		 c;
	struct err		 e;
	size_t			 i, len;
	int			 fd, rc, failed = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		k = &cases[i];
		if (k->privileged && geteuid() != 0) {
			print_message("SKIP %s: privileged cases need root\n",
			    k->name);
			continue;
		}
		len = k->len != 0 ? k->len : strlen(k->text);
		fd = memfd_with(k->text, len, k->mode != 0 ? k->mode : 0600);
		err_clear(&e);
		rc = config_load_fd(&c, fd, "t.ini", k->privileged, &e);
		close(fd);
		if (k->msg == NULL && rc != 0) {
			print_error("case '%s': unexpected error: %s\n",
			    k->name, e.msg);
			failed++;
		} else if (k->msg != NULL && rc == 0) {
			print_error("case '%s': loaded, expected: %s\n",
			    k->name, k->msg);
			failed++;
		} else if (k->msg != NULL && (e.cls != ERR_CONFIG ||
		    strcmp(e.msg, k->msg) != 0)) {
			print_error("case '%s':\n  got:      [%s] %s\n"
			    "  expected: %s\n", k->name,
			    err_class_name(e.cls), e.msg, k->msg);
			failed++;
		}
		if (rc == 0)
			assert_true(c.nhosts >= 1);
		/* Never leaks a secret into a message. */
		assert_null(strstr(e.msg, "s3cret"));
		config_free(&c);
	}
	assert_int_equal(failed, 0);
}

static const char full[] =
    "; a full configuration\n"
    "# both comment styles\n"
    "[smarthost]\n"
    "host = smtp1.example.com, [2001:db8::1], 192.0.2.7\n"
    "tls = implicit\n"
    "tls_verify = yes\n"
    "tls_ca_file = /etc/ssl/certs/ca-certificates.crt\n"
    "tls_fingerprint = sha256:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:"
    "ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\n"
    "tls_client_cert = /etc/postern/client.pem\n"
    "tls_client_key = /etc/postern/client.key\n"
    "tls_min_version = 1.3\n"
    "auth = scram-sha-256, plain login\n"
    "user = ${POSTERN_TEST_USER}@example.com\n"
    "password = a ;b\n"
    "helo = [192.0.2.1]\n"
    "timeout = 2m\n"
    "\n"
    "[sender]\n"
    "from = %u@example.com\n"
    "domain = example.com\n"
    "from_header = force\n"
    "allow_from_override = no\n"
    "aliases_file = /etc/aliases\n"
    "\n"
    "[aliases]\n"
    "Root = admin@example.com, ops@example.com\n"
    "default = admin@example.com\n"
    "\n"
    "[queue]\n"
    "dir = /var/spool/postern2\n"
    "delivery = deferred\n"
    "enabled = no\n"
    "retry = 30s\n"
    "retry_max = 2h\n"
    "lifetime = 3d\n"
    "max_message_size = 10m\n"
    "\n"
    "[log]\n"
    "syslog = local3\n"
    "file = /var/log/postern.log\n";

/* SPEC 0.2 "a pin is enough": a pin without a tls_verify line is the only
 * check; tls_verify = yes written out keeps chain and name checks. */
#define PIN "sha256:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:" \
    "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"

static void
test_pin_is_enough(void **state)
{
	static const struct {
		const char	*text;
		int		 verify;
	} pins[] = {
		{ HOST, 1 },
		{ HOST "tls_fingerprint = " PIN "\n", 0 },
		{ HOST "tls_fingerprint = " PIN "\ntls_verify = yes\n", 1 },
		{ HOST "tls_verify = yes\ntls_fingerprint = " PIN "\n", 1 },
		{ HOST "tls_verify = no\ntls_fingerprint = " PIN "\n", 0 },
	};
	struct config	c;
	struct err	e;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		if (load_text(&c, pins[i].text, 0600, 0, &e) != 0)
			fail_msg("case %zu: %s", i, e.msg);
		if (c.tls_verify != pins[i].verify)
			fail_msg("case %zu: tls_verify %d", i, c.tls_verify);
		config_free(&c);
	}
}

static void
test_full(void **state)
{
	struct config	c;
	struct err	e;

	(void)state;
	if (load_text(&c, full, 0600, 0, &e) != 0)
		fail_msg("%s", e.msg);
	assert_string_equal(c.path, "t.ini");
	assert_int_equal(c.nhosts, 3);
	assert_string_equal(c.hosts[0], "smtp1.example.com");
	assert_string_equal(c.hosts[1], "2001:db8::1");
	assert_string_equal(c.hosts[2], "192.0.2.7");
	assert_int_equal(c.tls, CONFIG_TLS_IMPLICIT);
	assert_int_equal(c.port, 465);
	assert_int_equal(c.tls_verify, 1);
	assert_string_equal(c.tls_ca_file,
	    "/etc/ssl/certs/ca-certificates.crt");
	assert_non_null(c.tls_fingerprint);
	assert_string_equal(c.tls_client_cert, "/etc/postern/client.pem");
	assert_string_equal(c.tls_client_key, "/etc/postern/client.key");
	assert_int_equal(c.tls_min_version, 13);
	assert_int_equal(c.auth_auto, 0);
	assert_int_equal(c.auth_mechs,
	    AUTH_MECH_SCRAM_SHA_256 | AUTH_MECH_PLAIN | AUTH_MECH_LOGIN);
	assert_string_equal(c.user, "alice@example.com");
	/* Inline comments are off: " ;b" is part of the password. */
	assert_string_equal(c.password, "a ;b");
	assert_null(c.password_file);
	assert_null(c.password_command);
	assert_string_equal(c.helo, "[192.0.2.1]");
	assert_int_equal(c.timeout, 120);
	assert_string_equal(c.from, "%u@example.com");
	assert_string_equal(c.domain, "example.com");
	assert_int_equal(c.from_header, CONFIG_FROM_FORCE);
	assert_int_equal(c.allow_from_override, 0);
	assert_string_equal(c.aliases_file, "/etc/aliases");
	assert_int_equal(c.naliases, 2);
	assert_string_equal(c.aliases[0].name, "root");
	assert_string_equal(c.aliases[0].targets,
	    "admin@example.com, ops@example.com");
	assert_string_equal(c.aliases[1].name, "default");
	assert_string_equal(c.queue_dir, "/var/spool/postern2");
	assert_int_equal(c.delivery, CONFIG_DELIVERY_DEFERRED);
	assert_int_equal(c.queue_enabled, 0);
	assert_int_equal(c.retry, 30);
	assert_int_equal(c.retry_max, 7200);
	assert_int_equal(c.lifetime, 3 * 86400);
	assert_int_equal(c.max_message_size, 10 * 1024 * 1024);
	assert_int_equal(c.syslog_facility, LOG_LOCAL3);
	assert_string_equal(c.log_file, "/var/log/postern.log");
	config_free(&c);
	assert_null(c.password);
	assert_int_equal(c.nhosts, 0);
}

static void
test_defaults(void **state)
{
	struct config	c;
	struct err	e;

	(void)state;
	if (load_text(&c, HOST, 0600, 0, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(c.nhosts, 1);
	assert_string_equal(c.hosts[0], "a.example.com");
	assert_int_equal(c.port, 587);
	assert_int_equal(c.tls, CONFIG_TLS_STARTTLS);
	assert_int_equal(c.tls_verify, 1);
	assert_int_equal(c.tls_min_version, 12);
	assert_int_equal(c.auth_auto, 1);
	assert_int_equal(c.auth_mechs, AUTH_MECH_ALL);
	assert_int_equal(c.timeout, 60);
	assert_null(c.helo);
	assert_null(c.user);
	assert_null(c.from);
	assert_null(c.domain);
	assert_int_equal(c.from_header, CONFIG_FROM_ADD);
	assert_int_equal(c.allow_from_override, 1);
	assert_string_equal(c.queue_dir, "/var/spool/postern");
	assert_int_equal(c.delivery, CONFIG_DELIVERY_INTERACTIVE);
	assert_int_equal(c.queue_enabled, 1);
	assert_int_equal(c.retry, 60);
	assert_int_equal(c.retry_max, 3600);
	assert_int_equal(c.lifetime, 5 * 86400);
	assert_int_equal(c.syslog_facility, LOG_MAIL);
	assert_null(c.log_file);
	assert_int_equal(c.naliases, 0);
	config_free(&c);

	if (load_text(&c, HOST "tls = none\nport =\n", 0600, 0, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(c.port, 25);
	config_free(&c);
	if (load_text(&c, HOST "tls = implicit\nport = 2525\n"
	    "auth = none\n[log]\nsyslog = no\n", 0600, 0, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(c.port, 2525);
	assert_int_equal(c.auth_auto, 0);
	assert_int_equal(c.auth_mechs, 0);
	assert_int_equal(c.syslog_facility, -1);
	config_free(&c);
}

static void
path_in_tmp(char *out, size_t len, const char *name)
{
	int	n;

	n = snprintf(out, len, "%s/%s", tmpdir, name);
	assert_true(n > 0 && (size_t)n < len);
}

/* config_load's message starts with the path; check the rest. */
static void
expect_load_error(const char *path, const char *rest)
{
	struct config	c;
	struct err	e;
	char		want[PATH_MAX + 200];

	err_clear(&e);
	assert_int_equal(config_load(&c, path, 0, &e), -1);
	assert_int_equal(e.cls, ERR_CONFIG);
	snprintf(want, sizeof(want), "%s: %s", path, rest);
	assert_string_equal(e.msg, want);
	config_free(&c);
}

static void
test_files(void **state)
{
	struct config	c;
	struct err	e;
	char		real[PATH_MAX], link[PATH_MAX], fifo[PATH_MAX];
	char		dir[PATH_MAX];

	(void)state;
	path_in_tmp(real, sizeof(real), "real.ini");
	path_in_tmp(link, sizeof(link), "link.ini");
	path_in_tmp(fifo, sizeof(fifo), "fifo.ini");
	path_in_tmp(dir, sizeof(dir), "dir.ini");
	fx_write_file(real, HOST, 0644);
	unlink(link);
	assert_int_equal(symlink(real, link), 0);
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	rmdir(dir);
	assert_int_equal(mkdir(dir, 0700), 0);

	if (config_load(&c, real, 0, &e) != 0)
		fail_msg("%s", e.msg);
	assert_string_equal(c.path, real);
	config_free(&c);

	expect_load_error(link, "is a symbolic link (refused)");
	/* A FIFO must not block the open. */
	expect_load_error(fifo, "not a regular file");
	expect_load_error(dir, "not a regular file");
	expect_load_error("/dev/null", "not a regular file");
	path_in_tmp(real, sizeof(real), "missing.ini");
	expect_load_error(real, "No such file or directory");
}

/* The shipped example must load, and must not set a password. */
static void
test_example(void **state)
{
	struct config	c;
	struct err	e;

	(void)state;
	if (access("config/postern.ini", R_OK) != 0) {
		print_message("SKIP: config/postern.ini not found from %s\n",
		    "the current directory");
		skip();
	}
	if (config_load(&c, "config/postern.ini", 0, &e) != 0)
		fail_msg("%s", e.msg);
	assert_null(c.password);
	assert_true(c.nhosts >= 1);
	config_free(&c);
}

static const struct {
	const char	*in;
	long		 out;
} durations[] = {
	{ "0", 0 }, { "30", 30 }, { "30s", 30 }, { "5m", 300 },
	{ "2h", 7200 }, { "5d", 432000 }, { "365d", 31536000 },
	{ "366d", -1 }, { "31536001", -1 }, { "", -1 }, { "s", -1 },
	{ "-1", -1 }, { "+1", -1 }, { " 1", -1 }, { "1 ", -1 },
	{ "1ms", -1 }, { "1M", -1 }, { "1h30m", -1 }, { "0x10", -1 },
	{ "99999999999999999999999", -1 }, { "1.5h", -1 },
	{ "05m", 300 }, { "0000000000000000000000030s", 30 }, { "00", 0 },
	{ "18446744073709551616d", -1 }, { "18446744073709551615", -1 },
};

static void
test_duration(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		if (config_parse_duration(durations[i].in) != durations[i].out)
			fail_msg("duration '%s': got %ld, expected %ld",
			    durations[i].in,
			    config_parse_duration(durations[i].in),
			    durations[i].out);
	}
	assert_int_equal(config_parse_duration(NULL), -1);
}

/* Secret from a config text; returns the secret or NULL with *e. */
static char *
secret_of(const char *text, int privileged, struct err *e)
{
	struct config	 c;
	char		*s;

	if (load_text(&c, text, 0600, 0, e) != 0)
		fail_msg("%s", e->msg);
	err_clear(e);
	s = config_secret(&c, privileged, e);
	config_free(&c);
	return s;
}

static void
expect_secret(const char *text, int privileged, const char *want)
{
	struct err	 e;
	char		*s;

	s = secret_of(text, privileged, &e);
	if (s == NULL)
		fail_msg("no secret: %s", e.msg);
	assert_string_equal(s, want);
	explicit_bzero(s, strlen(s));
	free(s);
}

static void
expect_no_secret(const char *text, int privileged, const char *msg)
{
	struct err	 e;
	char		*s;

	s = secret_of(text, privileged, &e);
	assert_null(s);
	assert_int_equal(e.cls, ERR_CONFIG);
	assert_string_equal(e.msg, msg);
}

static void
test_secret(void **state)
{
	char	pw[PATH_MAX], text[PATH_MAX + 200], msg[PATH_MAX + 200];
	char	link[PATH_MAX];

	(void)state;
	expect_secret(HOST "user = u\npassword = pass word\n", 0,
	    "pass word");
	expect_secret(HOST "user = u\npassword = pass word\n", 1,
	    "pass word");

	/* password_file: first line, CRLF or LF stripped. */
	path_in_tmp(pw, sizeof(pw), "pw");
	fx_write_file(pw, "fil3secret\r\nsecond line\n", 0600);
	snprintf(text, sizeof(text), HOST "user = u\npassword_file = %s\n",
	    pw);
	expect_secret(text, 0, "fil3secret");
	if (geteuid() == 0)
		expect_secret(text, 1, "fil3secret");
	fx_write_file(pw, "nonewline", 0640);
	expect_secret(text, 0, "nonewline");

	/*
	 * Containers mount secrets root-owned 0444 (Docker) or 0644
	 * (Kubernetes): read when not privileged; a privileged run still
	 * refuses a secret others can read.
	 */
	fx_write_file(pw, "fil3secret\n", 0644);
	expect_secret(text, 0, "fil3secret");
	fx_write_file(pw, "fil3secret\n", 0444);
	expect_secret(text, 0, "fil3secret");
	snprintf(msg, sizeof(msg), "%s: holds a password but is "
	    "world-readable or -writable (mode 0444; chmod o-rwx)", pw);
	if (geteuid() == 0)
		expect_no_secret(text, 1, msg);
	chmod(pw, 0600);

	fx_write_file(pw, "\nsecond\n", 0600);
	snprintf(msg, sizeof(msg), "%s: empty secret", pw);
	expect_no_secret(text, 0, msg);

	fx_write_file(pw, "fil3secret\n", 0600);
	path_in_tmp(link, sizeof(link), "pwlink");
	unlink(link);
	assert_int_equal(symlink(pw, link), 0);
	snprintf(text, sizeof(text), HOST "user = u\npassword_file = %s\n",
	    link);
	snprintf(msg, sizeof(msg), "%s: is a symbolic link (refused)", link);
	expect_no_secret(text, 0, msg);

	/* password_command: first line of stdout; stdin is not the caller's. */
	expect_secret(HOST "user = u\npassword_command = "
	    "printf 'cmd secret\\nline2\\n'\n", 0, "cmd secret");
	expect_secret(HOST "user = u\npassword_command = "
	    "read x || printf ok\n", 0, "ok");
	expect_no_secret(HOST "user = u\npassword_command = "
	    "echo s3cret; exit 3\n", 0,
	    "password_command: exited with status 3");
	expect_no_secret(HOST "user = u\npassword_command = true\n", 0,
	    "password_command: empty secret");
	expect_no_secret(HOST "user = u\npassword_command = "
	    "yes x | head -c 5000\n", 0,
	    "password_command: more than 4096 bytes of output");
	expect_no_secret(HOST "user = u\npassword_command = echo x\n", 1,
	    "t.ini: password_command is not allowed when running "
	    "privileged");
	expect_no_secret(HOST "user = u\n", 0,
	    "t.ini: no password, password_file or password_command is set");
}

static int
setup(void **state)
{
	(void)state;
	/* Once per inih build: a fresh directory each time. */
	fx_mkdtemp(tmpdir, sizeof(tmpdir), "test-config");
	setenv("POSTERN_TEST_USER", "alice", 1);
	setenv("POSTERN_TEST_NL", "a\nb", 1);
	unsetenv("POSTERN_TEST_UNSET");
	return 0;
}

/* Everything a test left in tmpdir goes with it: no list to keep. */
static int
teardown(void **state)
{
	(void)state;
	fx_rmtree(tmpdir);
	return 0;
}

/*
 * The values themselves, past upstream inih's 200-byte line and with
 * characters that some inih builds treat as comments or markers.
 */
static void
test_values(void **state)
{
	static const char text[] = "\xef\xbb\xbf[smarthost]\n"
	    "host = a.example.com\n"
	    "user = " X50 X50 X50 X50 " ;tail # too\n"
	    "helo = b.example.com   \n"
	    "port =\n"
	    "[sender]\n"
	    "from = x;y@example.com\n";
	struct config	c;
	struct err	e;

	(void)state;
	assert_int_equal(load_text(&c, text, 0600, 0, &e), 0);
	assert_string_equal(c.user, X50 X50 X50 X50 " ;tail # too");
	assert_string_equal(c.hosts[0], "a.example.com");
	assert_string_equal(c.helo, "b.example.com");
	assert_int_equal(c.port, 587);
	assert_string_equal(c.from, "x;y@example.com");
	config_free(&c);
}

/* [sender] domain from /etc/mailname, else a dotted host name. */
static void
test_default_domain(void **state)
{
	struct config	c;
	struct err	e;
	char		p[PATH_MAX];
	FILE		*f;

	(void)state;
	path_in_tmp(p, sizeof(p), "mailname");
	assert_non_null(f = fopen(p, "w"));
	fputs("Mail.Example.NET  \nsecond.example\n", f);
	fclose(f);
	assert_int_equal(load_text(&c, HOST, 0600, 0, &e), 0);
	assert_null(c.domain);
	assert_int_equal(config_default_domain(&c, p, &e), 0);
	assert_string_equal(c.domain, "Mail.Example.NET");
	config_free(&c);

	/* Set in the file: the file wins. */
	assert_int_equal(load_text(&c, HOST "[sender]\ndomain = own.example\n",
	    0600, 0, &e), 0);
	assert_int_equal(config_default_domain(&c, p, &e), 0);
	assert_string_equal(c.domain, "own.example");
	config_free(&c);

	/* Not a host name, or missing: the host's name, only when dotted. */
	assert_non_null(f = fopen(p, "w"));
	fputs("not a name!\n", f);
	fclose(f);
	assert_int_equal(load_text(&c, HOST, 0600, 0, &e), 0);
	assert_int_equal(config_default_domain(&c, p, &e), 0);
	assert_true(c.domain == NULL || strchr(c.domain, '.') != NULL);
	assert_true(c.domain == NULL || strcmp(c.domain, "not a name!") != 0);
	config_free(&c);
	unlink(p);
	assert_int_equal(load_text(&c, HOST, 0600, 0, &e), 0);
	assert_int_equal(config_default_domain(&c, p, &e), 0);
	assert_true(c.domain == NULL || strchr(c.domain, '.') != NULL);
	config_free(&c);
}

/*
 * Every test above runs once per plausible libinih build.  Debian's
 * libinih turns upstream's compile-time options into run-time variables
 * (detected by the Makefile: HAVE_INI_RUNTIME_SWITCHES), which lets this
 * test emulate the builds that Fedora, Alpine, Arch and Homebrew ship
 * (upstream defaults), Debian's own defaults, and odd ones.  config.c
 * sets none of them, so the results must be identical.
 */
struct inih_build {
	const char	*name;
	int		 inline_comments, multiline, bom, stop_first, no_value;
	int		 max_line, use_stack;
	const char	*start_prefixes, *inline_prefixes;
};

static const struct inih_build builds[] = {
	{ "as installed", -1, -1, -1, -1, -1, -1, -1, NULL, NULL },
	{ "upstream defaults (Fedora, Alpine, Arch)", 1, 1, 1, 0, 0, 200, 1,
	    ";#", ";" },
	{ "everything off", 0, 0, 0, 0, 0, 200, 1, ";#", ";" },
	{ "everything on", 1, 1, 1, 1, 1, 255, 0, ";#", ";#" },
	{ "inline comments, no multi-line, line 255", 1, 0, 1, 0, 0, 255, 1,
	    ";#", ";#" },
	{ "multi-line, no BOM, line 4096, heap", 0, 1, 0, 1, 0, 4096, 0,
	    "#", ";" },
	{ "only ';' comments, no-value lines, line 80", 1, 1, 0, 0, 1, 80, 1,
	    ";", ";" },
};

#ifdef HAVE_INI_RUNTIME_SWITCHES
#include <ini.h>

static char	start_buf[8], inline_buf[8];

static void
build_apply(const struct inih_build *b)
{
	if (b->inline_comments == -1)
		return;
	ini_allow_inline_comments = b->inline_comments;
	ini_allow_multiline = b->multiline;
	ini_allow_bom = b->bom;
	ini_stop_on_first_error = b->stop_first;
	ini_allow_no_value = b->no_value;
	ini_max_line = b->max_line;
	ini_use_stack = b->use_stack;
	snprintf(start_buf, sizeof(start_buf), "%s", b->start_prefixes);
	snprintf(inline_buf, sizeof(inline_buf), "%s", b->inline_prefixes);
	ini_start_comment_prefixes = start_buf;
	ini_inline_comment_prefixes = inline_buf;
}
#endif

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_pin_is_enough),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_secret),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_default_domain),
	};
	char	name[128];
	size_t	i, n = 1;
	int	failed = 0;

#ifdef HAVE_INI_RUNTIME_SWITCHES
	n = sizeof(builds) / sizeof(builds[0]);
#else
	print_message("libinih has no run-time switches: testing the "
	    "installed build only\n");
#endif
	for (i = 0; i < n; i++) {
#ifdef HAVE_INI_RUNTIME_SWITCHES
		build_apply(&builds[i]);
#endif
		snprintf(name, sizeof(name), "config, inih build: %s",
		    builds[i].name);
		failed += _cmocka_run_group_tests(name, tests,
		    sizeof(tests) / sizeof(tests[0]), setup, teardown);
	}
	return failed;
}
