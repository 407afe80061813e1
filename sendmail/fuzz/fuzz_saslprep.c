/*
 * fuzz_saslprep.c -- libFuzzer target for saslprep.c (RFC 4013) over
 * arbitrary bytes.
 *
 * Invariants: nothing reads past the input; a prepared string is never
 * longer than the input, is valid UTF-8 per saslprep itself (preparing it
 * again gives the same string: SASLprep is idempotent on its output), and
 * has no octet below 0x20 or 0x7f; a refusal always has a reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "saslprep.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	if (n > strlen(s))
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
