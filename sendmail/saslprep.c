/*
 * saslprep.c -- RFC 4013 SASLprep for SCRAM user names and passwords.
 *
 * The tables in saslprep_tab.inc are code point ranges generated from
 * Python's stringprep and unicodedata.ucd_3_2_0 by tests/saslprep-gen.py
 * (stringprep is fixed to Unicode 3.2); saslprep.h says what "stable"
 * means and why strings outside it are refused instead of normalized.
 *
 * Security assumptions: the input is a secret from the configuration;
 * nothing here prints it, and every copy made is wiped before it is freed.
 * Invalid UTF-8 (overlong forms, surrogates, beyond U+10FFFF, truncated
 * sequences) is rejected, never repaired.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "saslprep.h"

struct cprange {
	uint32_t	lo, hi;
};

#include "saslprep_tab.inc"

#define NELEM(t)	(sizeof(t) / sizeof((t)[0]))

static int
in_table(const struct cprange *t, size_t n, uint32_t c)
{
	size_t	lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c < t[mid].lo)
			hi = mid;
		else if (c > t[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/* Decode one code point at s[*i]; -1 on invalid UTF-8. */
static int
utf8_next(const unsigned char *s, size_t len, size_t *i, uint32_t *cp)
{
	unsigned char	b = s[*i];
	size_t		n, k;
	uint32_t	c, min;

	if (b < 0x80) {
		*cp = b;
		(*i)++;
		return 0;
	}
	if ((b & 0xe0) == 0xc0) {
		n = 1; c = b & 0x1f; min = 0x80;
	} else if ((b & 0xf0) == 0xe0) {
		n = 2; c = b & 0x0f; min = 0x800;
	} else if ((b & 0xf8) == 0xf0) {
		n = 3; c = b & 0x07; min = 0x10000;
	} else
		return -1;
	if (len - *i <= n)
		return -1;
	for (k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (s[*i + k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	*i += n + 1;
	return 0;
}

static size_t
utf8_put(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3f));
	o[2] = (char)(0x80 | (c >> 6 & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* What one pass over the mapped string found. */
struct scan {
	int	unstable, prohibited, has_ral, has_l, first_ral, last_ral;
	size_t	count;
};

static void
scan_one(struct scan *sc, uint32_t c)
{
	int	ral = in_table(tab_d1, NELEM(tab_d1), c);

	if (!in_table(tab_stable, NELEM(tab_stable), c))
		sc->unstable = 1;
	if (in_table(tab_prohib, NELEM(tab_prohib), c))
		sc->prohibited = 1;
	if (ral)
		sc->has_ral = 1;
	if (in_table(tab_d2, NELEM(tab_d2), c))
		sc->has_l = 1;
	if (sc->count++ == 0)
		sc->first_ral = ral;
	sc->last_ral = ral;
}

enum saslprep_result
saslprep(const char *in, char **out, const char **why)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 len = strlen(in), i = 0, n = 0;
	struct scan		 sc;
	uint32_t		 c;
	char			*o;

	*out = NULL;
	*why = NULL;
	/* Mapping never lengthens: a non-ASCII space becomes one octet. */
	if ((o = malloc(len + 1)) == NULL) {
		*why = "out of memory";
		return SASLPREP_NOMEM;
	}
	memset(&sc, 0, sizeof(sc));
	while (i < len) {
		if (utf8_next(s, len, &i, &c) == -1) {
			*why = "it is not UTF-8";
			goto refuse;
		}
		/* RFC 4013 2.1; B.1 first (U+200B is in both tables). */
		if (in_table(tab_b1, NELEM(tab_b1), c))
			continue;
		if (in_table(tab_c12, NELEM(tab_c12), c))
			c = 0x20;
		scan_one(&sc, c);
		n += utf8_put(o + n, c);
	}
	o[n] = '\0';
	if (sc.unstable) {
		*why = "it has a character that Unicode normalization (NFKC) "
		    "would change, and postern does not normalize";
		goto refuse;
	}
	if (sc.prohibited) {
		*why = "it has a character RFC 4013 prohibits (a control, "
		    "private-use, non-character or tagging code point)";
		explicit_bzero(o, len + 1);
		free(o);
		return SASLPREP_PROHIBITED;
	}
	/* RFC 3454 6: no LCat with RandALCat, which must start and end it. */
	if (sc.has_ral && (sc.has_l || !sc.first_ral || !sc.last_ral)) {
		*why = "it mixes right-to-left and left-to-right text "
		    "against RFC 3454's bidi rule";
		explicit_bzero(o, len + 1);
		free(o);
		return SASLPREP_PROHIBITED;
	}
	*out = o;
	return SASLPREP_OK;
refuse:
	explicit_bzero(o, len + 1);
	free(o);
	return SASLPREP_UNSUPPORTED;
}
