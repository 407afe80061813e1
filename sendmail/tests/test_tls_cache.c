/*
 * test_tls_cache.c -- the TLS session cache file: exact framing, binding,
 * expiry, path rules, atomic store and the checks on load.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "params.h"
#include "tls.h"
#include "tls_cache.h"

#define NOW	((time_t)1796000000)

static unsigned char	bind[TLS_CACHE_BIND_LEN];

static void
make_file(struct buf *b, const char *xline, const char *lline,
    const char *data)
{
	size_t	i;

	buf_init(b, 65536);
	buf_adds(b, "POSTERN-TLS-SESSION 1\nB ");
	for (i = 0; i < sizeof(bind); i++)
		buf_printf(b, "%02x", bind[i]);
	buf_printf(b, "\n%s\n%s\n%s", xline, lline, data);
}

static const struct pcase {
	const char	*name;
	const char	*x, *l, *data;
	int		 ok;
} pcases[] = {
	{ "valid",		"X 1796003600", "L 5", "hello", 1 },
	{ "expired",		"X 1796000000", "L 5", "hello", 0 },
	{ "too far ahead",	"X 1796700000", "L 5", "hello", 0 },
	{ "leading zero",	"X 01796003600", "L 5", "hello", 0 },
	{ "length short",	"X 1796003600", "L 4", "hello", 0 },
	{ "length long",	"X 1796003600", "L 6", "hello", 0 },
	{ "empty data",		"X 1796003600", "L 0", "", 0 },
	{ "sign",		"X 1796003600", "L +5", "hello", 0 },
	{ "space",		"X 1796003600", "L  5", "hello", 0 },
	{ "too large",		"X 1796003600", "L 99999999", "hello", 0 },
	{ "huge number",	"X 99999999999999999999", "L 5", "hello", 0 },
	{ "tags swapped",	"L 5", "X 1796003600", "hello", 0 },
};

static void
test_parse_table(void **state)
{
	const unsigned char	*data;
	struct buf		 b;
	size_t			 i, len;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		make_file(&b, pcases[i].x, pcases[i].l, pcases[i].data);
		rc = tls_cache_parse((unsigned char *)b.data, b.len, bind, NOW,
		    &data, &len);
		if ((rc == 0) != pcases[i].ok)
			fail_msg("case %s: rc %d", pcases[i].name, rc);
		if (rc == 0)
			assert_memory_equal(data, pcases[i].data, len);
		else
			assert_null(data);
		buf_free(&b);
	}
}

static void
test_parse_binding_and_magic(void **state)
{
	const unsigned char	*data;
	unsigned char		 other[TLS_CACHE_BIND_LEN];
	struct buf		 b;
	size_t			 len, i;

	(void)state;
	make_file(&b, "X 1796003600", "L 5", "hello");
	memcpy(other, bind, sizeof(other));
	other[31] ^= 1;
	assert_int_equal(tls_cache_parse((unsigned char *)b.data, b.len,
	    other, NOW, &data, &len), -1);
	/* Every truncation fails. */
	for (i = 0; i < b.len; i++)
		assert_int_equal(tls_cache_parse((unsigned char *)b.data, i,
		    bind, NOW, &data, &len), -1);
	/* Upper-case hex is not the format. */
	for (i = 24; i < 24 + 64; i++)
		if (b.data[i] >= 'a' && b.data[i] <= 'f') {
			b.data[i] -= 32;
			break;
		}
	assert_int_equal(tls_cache_parse((unsigned char *)b.data, b.len,
	    bind, NOW, &data, &len), -1);
	buf_free(&b);
	/* Another version. */
	make_file(&b, "X 1796003600", "L 5", "hello");
	b.data[20] = '2';
	assert_int_equal(tls_cache_parse((unsigned char *)b.data, b.len,
	    bind, NOW, &data, &len), -1);
	buf_free(&b);
}

static void
test_format_roundtrip(void **state)
{
	const unsigned char	*data;
	struct buf		 b;
	size_t			 len;

	(void)state;
	buf_init(&b, TLS_CACHE_FILE_MAX);
	assert_int_equal(tls_cache_format(&b, bind, NOW + 10,
	    (const unsigned char *)"\0\1\2", 3), 0);
	assert_int_equal(tls_cache_parse((unsigned char *)b.data, b.len, bind,
	    NOW, &data, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "\0\1\2", 3);
	assert_int_equal(tls_cache_format(&b, bind, NOW, NULL, 0), -1);
	buf_free(&b);
}

static void
test_path(void **state)
{
	char	p[64];

	(void)state;
	assert_int_equal(tls_cache_path(p, sizeof(p), "/q/tls", "mx.example",
	    587), 0);
	assert_string_equal(p, "/q/tls/session-mx.example-587");
	assert_int_equal(tls_cache_path(p, sizeof(p), "/q/tls", "::1", 25), 0);
	assert_int_equal(tls_cache_path(p, sizeof(p), "/q/tls", "a/b", 25),
	    -1);
	assert_int_equal(tls_cache_path(p, sizeof(p), "/q/tls", "..", 25), -1);
	assert_int_equal(tls_cache_path(p, sizeof(p), "/q/tls", "", 25), -1);
	assert_int_equal(tls_cache_path(p, 10, "/q/tls", "mx.example", 25),
	    -1);
}

static void
test_store_load(void **state)
{
	char		 dir[] = "/tmp/test_tls_cache.XXXXXX", sub[64], f[128];
	struct buf	 out;
	struct stat	 st;
	FILE		*fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/tls", dir);
	buf_init(&out, TLS_CACHE_DATA_MAX);
	/* Nothing there yet. */
	assert_int_equal(tls_cache_load(sub, "h", 1, bind, time(NULL), &out),
	    -1);
	assert_int_equal(tls_cache_store(sub, "h", 1, bind, time(NULL) + 60,
	    (const unsigned char *)"sess", 4), 0);
	snprintf(f, sizeof(f), "%s/session-h-1", sub);
	assert_int_equal(stat(f, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(tls_cache_load(sub, "h", 1, bind, time(NULL), &out),
	    0);
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.data, "sess", 4);
	/* Another port is another file. */
	assert_int_equal(tls_cache_load(sub, "h", 2, bind, time(NULL), &out),
	    -1);
	/* Group-writable: refused. */
	assert_int_equal(chmod(f, 0660), 0);
	assert_int_equal(tls_cache_load(sub, "h", 1, bind, time(NULL), &out),
	    -1);
	assert_int_equal(chmod(f, 0640), 0);
	/* Corrupt: refused, and a new store replaces it. */
	assert_non_null(fp = fopen(f, "a"));
	fputs("x", fp);
	fclose(fp);
	assert_int_equal(tls_cache_load(sub, "h", 1, bind, time(NULL), &out),
	    -1);
	assert_int_equal(out.len, 0);
	assert_int_equal(tls_cache_store(sub, "h", 1, bind, time(NULL) + 60,
	    (const unsigned char *)"new", 3), 0);
	assert_int_equal(tls_cache_load(sub, "h", 1, bind, time(NULL), &out),
	    0);
	assert_memory_equal(out.data, "new", 3);
	/* A symbolic link is not followed. */
	tls_cache_forget(sub, "h", 1);
	assert_int_equal(symlink("/etc/passwd", f), 0);
	assert_int_equal(tls_cache_load(sub, "h", 1, bind, time(NULL), &out),
	    -1);
	unlink(f);
	rmdir(sub);
	rmdir(dir);
	buf_free(&out);
}

/* tls_params_from_config: the cache lives in DIR/tls, or nowhere. */
static void
test_params_from_config(void **state)
{
	struct config		c;
	struct tls_params	p;
	char			dir[64];

	(void)state;
	config_defaults(&c);
	c.queue_dir = (char *)"/var/spool/x";
	c.port = 465;
	c.tls_verify = 0;
	c.tls_fingerprint = (char *)"sha256:00";
	tls_params_from_config(&p, &c, dir, sizeof(dir));
	assert_string_equal(p.cache_dir, "/var/spool/x/tls");
	assert_int_equal(p.port, 465);
	assert_int_equal(p.verify, 0);
	assert_string_equal(p.fingerprint, "sha256:00");
	assert_null(p.ca_file);
	c.tls_session_cache = 0;
	tls_params_from_config(&p, &c, dir, sizeof(dir));
	assert_null(p.cache_dir);
	c.tls_session_cache = 1;
	tls_params_from_config(&p, &c, dir, 10);	/* does not fit */
	assert_null(p.cache_dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_binding_and_magic),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_store_load),
		cmocka_unit_test(test_params_from_config),
	};
	size_t	i;

	for (i = 0; i < sizeof(bind); i++)
		bind[i] = (unsigned char)(i * 7 + 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
