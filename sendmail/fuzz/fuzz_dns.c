/*
 * fuzz_dns.c -- libFuzzer target for the DNS answer parser and the DKIM
 * key record parser: any bytes as a DNS response, then each TXT record
 * found as a key record.  Invariants: records lie inside the output
 * buffer, a decoded key fits its buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "dns.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_txt	 t;
	struct err	 e;
	unsigned char	 key[4096];
	const char	*k;
	size_t		 i, kn;

	dns_txt_init(&t);
	if (dns_parse_txt(data, size, &t, &e) == 0) {
		if (t.status != DNS_FOUND && t.n != 0)
			abort();
		for (i = 0; i < t.n; i++) {
			if (t.off[i] + t.len[i] > t.data.len)
				abort();
			if (dkim_parse_keyrec(t.data.data + t.off[i], t.len[i],
			    &k, key, sizeof(key), &kn) == 0 &&
			    kn > sizeof(key))
				abort();
		}
	}
	/* The input as a key record by itself. */
	if (dkim_parse_keyrec((const char *)data, size, &k, key, sizeof(key),
	    &kn) == 0 && (kn > sizeof(key) || k == NULL))
		abort();
	dns_txt_free(&t);
	return 0;
}
