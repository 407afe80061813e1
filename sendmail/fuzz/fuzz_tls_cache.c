/*
 * fuzz_tls_cache.c -- libFuzzer target for tls_cache_parse(), the parser
 * of TLS session cache files (untrusted: anyone who can write the queue
 * directory can write them).
 *
 * The first TLS_CACHE_BIND_LEN bytes of the input are the caller's binding,
 * the rest is the file.  Invariants: no crash or leak; a successful parse
 * points inside the input, at 1..TLS_CACHE_DATA_MAX bytes that end the
 * file; and what was accepted survives tls_cache_format() and a second
 * parse unchanged.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tls_cache.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NOW	((time_t)1796000000)

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	const unsigned char	*data, *data2;
	size_t			 len, len2;
	struct buf		 b;

	if (n < TLS_CACHE_BIND_LEN)
		return 0;
	if (tls_cache_parse(p + TLS_CACHE_BIND_LEN, n - TLS_CACHE_BIND_LEN, p,
	    NOW, &data, &len) == -1) {
		if (data != NULL || len != 0)
			abort();
		return 0;
	}
	if (len == 0 || len > TLS_CACHE_DATA_MAX || data < p ||
	    data + len != p + n)
		abort();
	buf_init(&b, TLS_CACHE_FILE_MAX);
	if (tls_cache_format(&b, p, NOW + 60, data, len) == -1 ||
	    tls_cache_parse((const unsigned char *)b.data, b.len, p, NOW,
	    &data2, &len2) == -1 || len2 != len ||
	    memcmp(data2, data, len) != 0)
		abort();
	buf_free(&b);
	return 0;
}
