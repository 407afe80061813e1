/*
 * fuzz_addr.c -- libFuzzer target for the address parser.
 *
 * Purpose: feed arbitrary bytes to addr_parse_list() and addr_parse_one()
 * and abort() when an invariant breaks.  The sanitizers catch memory
 * errors; the invariants catch a parser that accepts what it must not:
 *  1. every spec and display name is free of NUL, CR, LF and other control
 *     characters (HTAB is allowed in a display name, never in a spec);
 *  2. spec_end <= input length, has_domain agrees with addr_domain();
 *  3. a spec within the RFC 5321 length limits that does not begin with
 *     '-', is well-formed UTF-8 and has an RFC 5321 domain (or none)
 *     passes addr_check_envelope(), and what that accepts has one;
 *  4. a spec parses again, alone, to itself (the canonical form is stable);
 *  5. inserting "@example.org" at spec_end of a bare name and parsing the
 *     list again yields the same addresses with that one qualified;
 *  6. a failed parse leaves the list as it was.
 * Security assumptions: none; this is test code.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define QUALIFY	"@example.org"

static void
check_text(const char *s, int tab_ok)
{
	const unsigned char	*p;

	if (s == NULL)
		return;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if ((*p < 0x20 && !(tab_ok && *p == '\t')) || *p == 0x7f)
			abort();
}

static int
within_limits(const char *spec)
{
	const char	*dom = addr_domain(spec);
	size_t		 n = strlen(spec), local;

	if (spec[0] == '-' || n > ADDR_PATH_MAX - 2)
		return 0;
	local = dom != NULL ? (size_t)(dom - spec - 1) : n;
	if (local > ADDR_LOCAL_MAX)
		return 0;
	if (dom != NULL && strlen(dom) > ADDR_DOMAIN_MAX)
		return 0;
	/*
	 * RFC 5322 takes domains RFC 5321 does not (x/y.org, -x.org,
	 * [IPv5:...]); only SMTP-syntax domains must pass.  Literals are
	 * left to the unit tests.
	 */
	if (dom != NULL && (dom[0] == '[' || !addr_domain_valid(dom)))
		return 0;
	return 1;
}

static void
check_spec(const struct addr *a, size_t len)
{
	struct err		 e;
	struct addr		 one;
	struct addr_list	 l;

	if (a->spec == NULL)
		abort();
	check_text(a->spec, 0);
	check_text(a->display, 1);
	if (a->spec_end > len)
		abort();
	if (a->has_domain != (addr_domain(a->spec) != NULL))
		abort();
	if (within_limits(a->spec) && addr_utf8_valid(a->spec) &&
	    addr_check_envelope(a->spec, &e) == -1)
		abort();
	/* What the envelope check accepts has an SMTP-syntax domain. */
	if (addr_check_envelope(a->spec, &e) == 0 && a->has_domain &&
	    addr_domain(a->spec)[0] != '[' &&
	    !addr_domain_valid(addr_domain(a->spec)))
		abort();
	if (a->spec[0] == '\0')
		return;
	/* Canonical form is a fixed point. */
	if (addr_parse_one(a->spec, &one, &e) == -1)
		abort();
	if (strcmp(one.spec, a->spec) != 0 || one.display != NULL ||
	    one.has_domain != a->has_domain)
		abort();
	addr_free(&one);
	addr_list_init(&l);
	if (addr_parse_list(a->spec, strlen(a->spec), &l, &e) == -1 ||
	    l.n != 1 || strcmp(l.v[0].spec, a->spec) != 0)
		abort();
	addr_list_free(&l);
}

/* Qualify the first bare name in place and parse again. */
static void
check_qualify(const uint8_t *data, size_t len, const struct addr_list *l)
{
	struct addr_list	 l2;
	struct err		 e;
	char			*s, *want;
	size_t			 i, j, qlen = strlen(QUALIFY), wlen;

	for (i = 0; i < l->n; i++)
		if (!l->v[i].has_domain && l->v[i].spec[0] != '\0')
			break;
	if (i == l->n)
		return;
	if ((s = malloc(len + qlen)) == NULL)
		abort();
	memcpy(s, data, l->v[i].spec_end);
	memcpy(s + l->v[i].spec_end, QUALIFY, qlen);
	memcpy(s + l->v[i].spec_end + qlen, data + l->v[i].spec_end,
	    len - l->v[i].spec_end);
	addr_list_init(&l2);
	if (addr_parse_list(s, len + qlen, &l2, &e) == -1) {
		/* Only a length limit may now be exceeded. */
		if (strstr(e.msg, "too long") == NULL &&
		    strstr(e.msg, "more than") == NULL)
			abort();
		free(s);
		return;
	}
	if (l2.n != l->n)
		abort();
	wlen = strlen(l->v[i].spec) + qlen + 1;
	if ((want = malloc(wlen)) == NULL)
		abort();
	memcpy(want, l->v[i].spec, wlen - qlen - 1);
	memcpy(want + wlen - qlen - 1, QUALIFY, qlen + 1);
	for (j = 0; j < l->n; j++) {
		if (strcmp(l2.v[j].spec, j == i ? want : l->v[j].spec) != 0)
			abort();
		if ((l2.v[j].display == NULL) != (l->v[j].display == NULL))
			abort();
	}
	free(want);
	free(s);
	addr_list_free(&l2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct addr_list	 l;
	struct addr		 a;
	struct err		 e;
	char			*s;
	size_t			 i;

	addr_list_init(&l);
	if (addr_list_add(&l, "sentinel@example.org", NULL, &e) == -1)
		abort();
	if (addr_parse_list((const char *)data, len, &l, &e) == 0) {
		for (i = 1; i < l.n; i++)
			check_spec(&l.v[i], len);
		if (l.n > 1 && len < 4096) {
			struct addr_list	tail;

			/* Drop the sentinel for the qualification check. */
			tail.v = l.v + 1;
			tail.n = l.n - 1;
			tail.cap = tail.n;
			check_qualify(data, len, &tail);
		}
	} else {
		if (l.n != 1 || e.cls != ERR_DATA || e.msg[0] == '\0')
			abort();
	}
	addr_list_free(&l);

	/* addr_parse_one() wants a C string. */
	if ((s = malloc(len + 1)) == NULL)
		abort();
	memcpy(s, data, len);
	s[len] = '\0';
	if (addr_parse_one(s, &a, &e) == 0) {
		if (a.spec[0] != '\0')
			check_spec(&a, strlen(s));
		else if (a.has_domain)
			abort();
		addr_free(&a);
	} else if (a.spec != NULL || e.cls != ERR_DATA)
		abort();
	free(s);
	return 0;
}
