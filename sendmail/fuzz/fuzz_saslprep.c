/*
 * fuzz_saslprep.c -- libFuzzer target for saslprep.c (RFC 4013) over
 * arbitrary bytes.
 *
 * Invariants: nothing reads past the input; a prepared string is at most
 * SASLPREP_MAX octets, is valid UTF-8 (checked here by a decoder of its
 * own, not saslprep's), has no octet below 0x20 or 0x7f, and preparing it
 * again gives the same string (SASLprep, NFKC included, is idempotent on
 * its output: NFKC(NFKC(x)) == NFKC(x)); a refusal always has a reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "saslprep.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 when s[0..n) is UTF-8 (RFC 3629: shortest form, no surrogates, at most
 * U+10FFFF). */
static int
valid_utf8(const unsigned char *s, size_t n)
{
	size_t		i = 0, k, len;
	uint32_t	c, min;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			len = 2; c = s[i] & 0x1f; min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			len = 3; c = s[i] & 0x0f; min = 0x800;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			len = 4; c = s[i] & 0x07; min = 0x10000;
		} else
			return 0;
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char			*s, *out, *again;
	const char		*why;
	enum saslprep_result	 r;
	size_t			 i, n;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	r = saslprep(s, &out, &why);
	if (r != SASLPREP_OK) {
		if (out != NULL || why == NULL)
			abort();
		free(s);
		return 0;
	}
	n = strlen(out);
	if (n > SASLPREP_MAX || !valid_utf8((const unsigned char *)out, n))
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			abort();
	if (saslprep(out, &again, &why) != SASLPREP_OK ||
	    strcmp(out, again) != 0)
		abort();
	free(again);
	free(out);
	free(s);
	return 0;
}
