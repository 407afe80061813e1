/*
 * addr.h -- RFC 5322 address lists and RFC 5321 envelope addresses.
 *
 * The parser takes untrusted bytes (header bodies, command-line arguments)
 * and yields the mailboxes they name.  It never trusts its input: every
 * length is bounded and control characters are refused.
 */
#ifndef POSTERN_ADDR_H
#define POSTERN_ADDR_H

#include <stddef.h>

#include "err.h"

#define ADDR_LOCAL_MAX	64	/* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX	255	/* RFC 5321 4.5.3.1.2 */
#define ADDR_PATH_MAX	256	/* RFC 5321 4.5.3.1.3, including the <> */

struct addr {
	/*
	 * The addr-spec in its envelope form: comments and folding removed,
	 * the local part in dot-atom form when it can be, else as a minimal
	 * quoted string; "@domain" when the input had a domain.  Route
	 * prefixes (obsolete "@a,@b:") are dropped.
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
/* Append a copy of spec (and display, which may be NULL). */
int	addr_list_add(struct addr_list *l, const char *spec,
	    const char *display, struct err *e);

/*
 * Parse an RFC 5322 address-list (a header body or a recipient argument),
 * appending each mailbox to *out; group members are listed, group names and
 * empty groups yield nothing.  Encoded words are left as they are.  Returns
 * 0, or -1 with ERR_DATA and a reason naming the offending position.
 */
int	addr_parse_list(const char *s, size_t len, struct addr_list *out,
	    struct err *e);

/*
 * Parse one envelope address as given to -f/-r or on the command line: a
 * bare addr-spec, "<addr-spec>", "Name <addr-spec>", or "<>" (the null
 * sender, stored as the empty string).  Returns 0 or -1 with ERR_DATA.
 */
int	addr_parse_one(const char *s, struct addr *out, struct err *e);
void	addr_free(struct addr *a);

/*
 * Check an envelope address against RFC 5321: local part <= 64 octets,
 * domain <= 255, path <= 256, no control characters or spaces outside a
 * quoted local part, no CR or LF anywhere.  "" (null sender) is valid.
 */
int	addr_check_envelope(const char *spec, struct err *e);

/* 1 if spec has any octet >= 0x80 (needs SMTPUTF8). */
int	addr_is_utf8(const char *spec);

#endif
