/*
 * addr.h -- RFC 5322 address lists and RFC 5321 envelope addresses.
 *
 * The parser takes untrusted bytes (header bodies, command-line arguments)
 * and yields the mailboxes they name.  It never trusts its input: every
 * length is bounded and control characters are refused.
 *
 * Accepted grammar: the RFC 5322 address-list (section 3.4) with all the
 * obsolete forms of section 4.4 (routes, CFWS around dots, null list
 * members, "." in phrases), nested comments, quoted strings, domain
 * literals, groups, folding (CRLF or LF followed by SP or HTAB), octets
 * >= 0x80 (RFC 6532).  A bare local name without "@domain" ("root",
 * "root (Cron Daemon)", "<root>") is accepted with has_domain = 0.  A group
 * whose ";" is missing at the very end of the input is accepted (as Postfix
 * does).  Refused with ERR_DATA: NUL, any octet < 0x20 other than HTAB, DEL,
 * a CR or LF that is not part of a fold -- including one at the very end of
 * the input, so callers strip a header's own line terminator first.
 */
#ifndef POSTERN_ADDR_H
#define POSTERN_ADDR_H

#include <stddef.h>

#include "err.h"

#define ADDR_LOCAL_MAX	64	/* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX	255	/* RFC 5321 4.5.3.1.2 */
#define ADDR_PATH_MAX	256	/* RFC 5321 4.5.3.1.3, including the <> */
#define ADDR_LIST_MAX	10000	/* addresses in one struct addr_list */

struct addr {
	/*
	 * The addr-spec in its envelope form: comments and folding removed,
	 * the local part in dot-atom form when it can be, else as a minimal
	 * quoted string; "@domain" when the input had a domain.  Route
	 * prefixes (obsolete "@a,@b:") are dropped.  Never holds a control
	 * character (not even HTAB), at most BUF_LIMIT_ADDR octets.
	 */
	char	*spec;
	/* Display name, unfolded, quotes and comments removed; NULL if none. */
	char	*display;
	/* 1 when spec has an "@domain" part. */
	int	 has_domain;
	/*
	 * Offset in the parsed input just past the addr-spec's last octet, so
	 * that "@domain" can be inserted there to qualify a bare name.
	 */
	size_t	 spec_end;
};

struct addr_list {
	struct addr	*v;
	size_t		 n;
	size_t		 cap;
};

void	addr_list_init(struct addr_list *l);
void	addr_list_free(struct addr_list *l);
/*
 * Append a copy of spec (and display, which may be NULL); has_domain is
 * derived from spec, spec_end is set to 0.  Fails with ERR_DATA past
 * ADDR_LIST_MAX entries, ERR_SOFTWARE when out of memory.
 */
int	addr_list_add(struct addr_list *l, const char *spec,
	    const char *display, struct err *e);
/* Append a copy of *a, all fields included. */
int	addr_list_add_addr(struct addr_list *l, const struct addr *a,
	    struct err *e);

/*
 * Parse an RFC 5322 address-list (a header body or a recipient argument),
 * appending each mailbox to *out; group members are listed, group names and
 * empty groups yield nothing.  Encoded words are left as they are.  Returns
 * 0, or -1 with ERR_DATA and a reason naming the offending offset; on
 * failure, entries appended by this call are removed again.  An input with
 * no mailbox at all ("", ",", "undisclosed-recipients:;") succeeds and
 * appends nothing.  The RFC 5321 length limits are not applied here (a
 * header may name a long address); call addr_check_envelope() before a
 * spec goes into an envelope.
 */
int	addr_parse_list(const char *s, size_t len, struct addr_list *out,
	    struct err *e);

/*
 * Parse one envelope address as given to -f/-r or on the command line: a
 * bare addr-spec, "<addr-spec>", "Name <addr-spec>", an addr-spec followed
 * by a comment, or "<>" (the null sender, stored as the empty string).
 * Lists, groups and an empty string are refused.  Returns 0 (*out filled,
 * free it with addr_free) or -1 with ERR_DATA (*out zeroed).
 */
int	addr_parse_one(const char *s, struct addr *out, struct err *e);
void	addr_free(struct addr *a);

/*
 * Check an envelope address (a spec, without <>) against RFC 5321: local
 * part <= 64 octets, domain <= 255, path <= 256 with the <>; the local part
 * a dot-string or a quoted string of printable characters, the domain
 * dot-separated atoms or an address literal "[...]"; no control characters,
 * no spaces outside a quoted local part, no "<" or ">" outside one, no CR or
 * LF anywhere.  "" (null sender) is valid.  A spec without "@domain" is
 * valid (the caller decides whether it must be qualified).
 *
 * A spec beginning with "-" is refused: it could be taken for an option
 * (SPEC: "an argument starting with '-' after '--' is an address and is
 * invalid"; CVE-2016-10033, CVE-2020-7769).  So every recipient and -f
 * value passed through this function is safe on a command line.
 * Returns 0 or -1 with ERR_DATA.
 */
int	addr_check_envelope(const char *spec, struct err *e);

/*
 * The domain of a spec: a pointer just past the "@" that ends the local
 * part (which may itself hold "@" inside quotes), or NULL when the spec has
 * no domain.
 */
const char *addr_domain(const char *spec);

/*
 * 1 if domain is an RFC 5321 Domain (not an address literal): labels of
 * letters, digits, "_" and inner hyphens, 1 to 63 octets each, at most
 * ADDR_DOMAIN_MAX in all; octets >= 0x80 count as letters (U-labels).
 */
int	addr_domain_valid(const char *domain);

/* 1 if str is well-formed UTF-8 (RFC 3629: no overlongs or surrogates). */
int	addr_utf8_valid(const char *str);

/* 1 if spec has any octet >= 0x80 (needs SMTPUTF8). */
int	addr_is_utf8(const char *spec);

#endif
