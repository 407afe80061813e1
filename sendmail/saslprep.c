/*
 * saslprep.c -- RFC 4013 SASLprep for SCRAM user names and passwords.
 *
 * The tables in saslprep_tab.inc are generated from Python's stringprep
 * and unicodedata.ucd_3_2_0 by tests/saslprep-gen.py (stringprep is fixed
 * to Unicode 3.2): code point ranges for the stringprep tables, and for
 * NFKC the combining classes, the full compatibility decompositions (one
 * flat array) and the canonical composition pairs, all sorted for bsearch.
 * Hangul syllables are decomposed and composed arithmetically (Unicode
 * 3.2, 3.12).  NFKC runs on an array of at most 2 * SASLPREP_MAX code
 * points, so every loop here is bounded by it.
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

struct ccrange {
	uint32_t	lo, hi;
	unsigned char	ccc;
};

struct decomp {
	uint32_t	cp;
	uint16_t	off;
	uint8_t		len;
};

struct comp {
	uint32_t	a, b, c;
};

#include "saslprep_tab.inc"

#define NELEM(t)	(sizeof(t) / sizeof((t)[0]))

/* bsearch(3) comparators: a code point (or pair) against a table entry. */
static int
cmp_range(const void *key, const void *elem)
{
	uint32_t		 c = *(const uint32_t *)key;
	const struct cprange	*r = elem;

	return c < r->lo ? -1 : c > r->hi;
}

static int
cmp_ccrange(const void *key, const void *elem)
{
	uint32_t		 c = *(const uint32_t *)key;
	const struct ccrange	*r = elem;

	return c < r->lo ? -1 : c > r->hi;
}

static int
cmp_decomp(const void *key, const void *elem)
{
	uint32_t		 c = *(const uint32_t *)key;
	const struct decomp	*d = elem;

	return c < d->cp ? -1 : c > d->cp;
}

static int
cmp_comp(const void *key, const void *elem)
{
	const struct comp	*k = key, *t = elem;

	if (k->a != t->a)
		return k->a < t->a ? -1 : 1;
	return k->b < t->b ? -1 : k->b > t->b;
}

static int
in_table(const struct cprange *t, size_t n, uint32_t c)
{
	return bsearch(&c, t, n, sizeof(*t), cmp_range) != NULL;
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

/* Hangul (Unicode 3.2, section 3.12). */
#define SBASE	0xac00
#define LBASE	0x1100
#define VBASE	0x1161
#define TBASE	0x11a7
#define LCOUNT	19
#define VCOUNT	21
#define TCOUNT	28
#define NCOUNT	(VCOUNT * TCOUNT)
#define SCOUNT	(LCOUNT * NCOUNT)

/* A code point array with a hard capacity. */
struct cpbuf {
	uint32_t	*cp;
	size_t		 n, cap;
};

static int
cp_push(struct cpbuf *b, uint32_t c)
{
	if (b->n >= b->cap)
		return -1;
	b->cp[b->n++] = c;
	return 0;
}

static unsigned
ccc_of(uint32_t c)
{
	const struct ccrange	*r;

	r = bsearch(&c, tab_ccc, NELEM(tab_ccc), sizeof(tab_ccc[0]),
	    cmp_ccrange);
	return r != NULL ? r->ccc : 0;
}

static const struct decomp *
decomp_of(uint32_t c)
{
	return bsearch(&c, tab_dec, NELEM(tab_dec), sizeof(tab_dec[0]),
	    cmp_decomp);
}

/* The composite of a and b, or 0 when they do not compose. */
static uint32_t
compose(uint32_t a, uint32_t b)
{
	const struct comp	 key = { a, b, 0 };
	const struct comp	*t;

	if (a >= LBASE && a < LBASE + LCOUNT && b >= VBASE &&
	    b < VBASE + VCOUNT)
		return SBASE + ((a - LBASE) * VCOUNT + (b - VBASE)) * TCOUNT;
	if (a >= SBASE && a < SBASE + SCOUNT && (a - SBASE) % TCOUNT == 0 &&
	    b > TBASE && b < TBASE + TCOUNT)
		return a + (b - TBASE);
	t = bsearch(&key, tab_comp, NELEM(tab_comp), sizeof(tab_comp[0]),
	    cmp_comp);
	return t != NULL ? t->c : 0;
}

/* Append the full compatibility decomposition of c (the table holds it
 * already expanded, so no recursion here). */
static int
decompose(struct cpbuf *b, uint32_t c)
{
	const struct decomp	*d;
	uint32_t		 s, t;
	size_t			 k;

	if (c >= SBASE && c < SBASE + SCOUNT) {
		s = c - SBASE;
		t = s % TCOUNT;
		if (cp_push(b, LBASE + s / NCOUNT) == -1 ||
		    cp_push(b, VBASE + s % NCOUNT / TCOUNT) == -1)
			return -1;
		return t != 0 ? cp_push(b, TBASE + t) : 0;
	}
	if ((d = decomp_of(c)) == NULL)
		return cp_push(b, c);
	for (k = 0; k < d->len; k++)
		if (cp_push(b, tab_dec_cp[d->off + k]) == -1)
			return -1;
	return 0;
}

/* Canonical ordering: a stable insertion sort of each run of non-starters
 * by combining class. */
static void
reorder(struct cpbuf *b)
{
	size_t		i, j;
	uint32_t	c;
	unsigned	k;

	for (i = 1; i < b->n; i++) {
		c = b->cp[i];
		if ((k = ccc_of(c)) == 0)
			continue;
		for (j = i; j > 0 && ccc_of(b->cp[j - 1]) > k; j--)
			b->cp[j] = b->cp[j - 1];
		b->cp[j] = c;
	}
}

/* Canonical composition in place: each character joins the last starter
 * unless a character between them has class 0 or >= its own. */
static void
recompose(struct cpbuf *b)
{
	size_t		r, w, sp = 0;
	unsigned	last = 0, k;
	uint32_t	c, x;
	int		starter;

	if (b->n == 0)
		return;
	/* A leading non-starter has no starter to join. */
	starter = ccc_of(b->cp[0]) == 0;
	for (r = w = 1; r < b->n; r++) {
		c = b->cp[r];
		k = ccc_of(c);
		if (starter && (last == 0 || last < k) &&
		    (x = compose(b->cp[sp], c)) != 0) {
			b->cp[sp] = x;
			continue;
		}
		if (k == 0) {
			sp = w;
			starter = 1;
		}
		last = k;
		b->cp[w++] = c;
	}
	b->n = w;
}

/* What one pass over the normalized string found. */
struct scan {
	int	prohibited, has_ral, has_l, first_ral, last_ral;
	size_t	count;
};

static void
scan_one(struct scan *sc, uint32_t c)
{
	int	ral = in_table(tab_d1, NELEM(tab_d1), c);

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

/* RFC 4013 2.1 (B.1 to nothing, C.1.2 to SPACE) and the compatibility
 * decomposition; -1 with *why. */
static int
map_decompose(const char *in, struct cpbuf *b, const char **why)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 len = strlen(in), i = 0;
	uint32_t		 c;

	while (i < len) {
		if (utf8_next(s, len, &i, &c) == -1) {
			*why = "it is not UTF-8";
			return -1;
		}
		/* B.1 first (U+200B is in both tables). */
		if (in_table(tab_b1, NELEM(tab_b1), c))
			continue;
		if (in_table(tab_c12, NELEM(tab_c12), c))
			c = 0x20;
		if (decompose(b, c) == -1) {
			*why = "its normalized form is too long";
			return -1;
		}
	}
	return 0;
}

/* Wipe and free the code points; returns r. */
static enum saslprep_result
cp_free(struct cpbuf *b, enum saslprep_result r)
{
	explicit_bzero(b->cp, b->cap * sizeof(b->cp[0]));
	free(b->cp);
	return r;
}

/* UTF-8 of b into a new string, checking the RFC 4013 rules. */
static enum saslprep_result
encode_check(const struct cpbuf *b, char **out, const char **why)
{
	struct scan	sc;
	size_t		i, n = 0;
	char		*o;

	memset(&sc, 0, sizeof(sc));
	for (i = 0; i < b->n; i++) {
		scan_one(&sc, b->cp[i]);
		n += b->cp[i] < 0x80 ? 1 : b->cp[i] < 0x800 ? 2 :
		    b->cp[i] < 0x10000 ? 3 : 4;
	}
	if (sc.prohibited) {
		*why = "it has a character RFC 4013 prohibits (a control, "
		    "private-use, non-character or tagging code point)";
		return SASLPREP_PROHIBITED;
	}
	/* RFC 3454 6: no LCat with RandALCat, which must start and end it. */
	if (sc.has_ral && (sc.has_l || !sc.first_ral || !sc.last_ral)) {
		*why = "it mixes right-to-left and left-to-right text "
		    "against RFC 3454's bidi rule";
		return SASLPREP_PROHIBITED;
	}
	if (n > SASLPREP_MAX) {
		*why = "its normalized form is too long";
		return SASLPREP_UNSUPPORTED;
	}
	if ((o = malloc(n + 1)) == NULL) {
		*why = "out of memory";
		return SASLPREP_NOMEM;
	}
	for (i = n = 0; i < b->n; i++)
		n += utf8_put(o + n, b->cp[i]);
	o[n] = '\0';
	*out = o;
	return SASLPREP_OK;
}

enum saslprep_result
saslprep(const char *in, char **out, const char **why)
{
	struct cpbuf		b;
	enum saslprep_result	r;

	*out = NULL;
	*why = NULL;
	/* A character NFKC outputs decomposes to at most two code points
	 * per UTF-8 octet (U+01D5: 2 octets, 3 code points; checked by
	 * saslprep-gen.py), so this holds the decomposed form of any string
	 * whose prepared form fits SASLPREP_MAX. */
	b.n = 0;
	b.cap = 2 * SASLPREP_MAX;
	if ((b.cp = calloc(b.cap, sizeof(b.cp[0]))) == NULL) {
		*why = "out of memory";
		return SASLPREP_NOMEM;
	}
	if (map_decompose(in, &b, why) == -1)
		return cp_free(&b, SASLPREP_UNSUPPORTED);
	reorder(&b);
	recompose(&b);
	r = encode_check(&b, out, why);
	return cp_free(&b, r);
}
