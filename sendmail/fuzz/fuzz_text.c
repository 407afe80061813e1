/*
 * fuzz_text.c -- libFuzzer target for text.c's parsers of peer bytes:
 * enhanced status codes in a smarthost's reply, bounded numbers, the
 * scrubber, base64, the body's line runs.
 *
 * Invariants: nothing reads past the input; an enhanced code found is a
 * prefix of what follows the reply code and of the class asked for; a
 * number parsed is at most max and prints back as the input; scrubbed
 * text has no control octet and is never longer than its buffer; base64
 * output is 4/3 of the input, rounded up; text_line_run() agrees with the
 * octet-by-octet definition at every offset.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "text.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s, out[32], scrub[64], num[32];
	const char	*r;
	struct buf	 b;
	uint64_t	 v, max = size > 0 ? data[0] * 1000003ULL : 0;
	size_t		 n, i;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (i = 0; i < 3; i++) {
		char cls = "245"[i];

		n = text_enhanced_len(s, cls);
		if (n > 0 && (n > strlen(s) || s[0] != cls))
			abort();
		r = text_enhanced_find(s, cls, "dflt", out, sizeof(out));
		if (r != out && strcmp(r, "dflt") != 0)
			abort();
		if (r == out && (out[0] != cls ||
		    text_enhanced_len(out, cls) != strlen(out)))
			abort();
	}
	if (text_parse_u64(s, size, max, &v) == 0) {
		if (v > max)
			abort();
		snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
		if (strlen(num) != size || memcmp(num, data, size) != 0)
			abort();
	}
	n = text_scrub(scrub, sizeof(scrub), s, size, '?');
	if (n >= sizeof(scrub) || n != strlen(scrub) || text_has_ctl(scrub))
		abort();
	for (i = 0; i < size && i < 64; i++) {
		int	hi = 0, want = 0;
		size_t	k;

		for (k = i; k < size && data[k] != 0 && data[k] != '\r' &&
		    data[k] != '\n'; k++)
			if (data[k] >= 0x80)
				want = 1;
		if (text_line_run((const char *)data + i, size - i, &hi) !=
		    k - i || hi != want)
			abort();
	}
	buf_init(&b, 4096);
	if (text_b64_append(&b, data, size) == 0 &&
	    b.len != 4 * ((size + 2) / 3))
		abort();
	buf_free(&b);
	free(s);
	return 0;
}
