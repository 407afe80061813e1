/*
 * alias.h -- local aliases: [aliases] in postern.ini and aliases_file.
 *
 * A smarthost cannot deliver to "root", so every envelope recipient goes
 * through aliases_expand() before it is added to the envelope.
 *
 * Sources, in this order of precedence:
 *  1. the [aliases] section (alias_params aliases, naliases): name =
 *     address list;
 *  2. alias_params file when set, /etc/aliases syntax: '#' starts a
 *     comment line, "name: address, address", a line starting with SP or
 *     HTAB continues the previous entry, CRLF accepted.  A name that the
 *     [aliases] section defines is ignored in the file; a name defined twice
 *     in the file is an error.
 * Targets are RFC 5322 address lists (see addr.h).  ":include:", "|command"
 * and "/file" targets are refused: postern only relays, it never runs a
 * program or writes a file for a recipient.
 *
 * Expansion rules:
 *  - a recipient is local when it has no "@domain" or its domain is
 *    "localhost" (any case); only the local part of a local recipient is
 *    looked up, case-insensitively;
 *  - an alias's targets are expanded in turn, depth first, in order;
 *  - "default" applies to any local name that has no alias of its own,
 *    also to names reached through other aliases, but not again to names
 *    reached through "default" itself;
 *  - a target naming the alias being expanded ("root: root, a@x") is kept
 *    as it is and not expanded again;
 *  - any other cycle (a -> b -> a), nesting deeper than ALIAS_DEPTH_MAX, or
 *    more than ALIAS_VISIT_MAX expansion steps is a configuration error
 *    (ERR_CONFIG).  aliases_load() expands every alias once, so these
 *    errors surface when the configuration is read, not when mail is sent;
 *  - what is still local at the end is qualified: "name" and
 *    "name@localhost" become "name@domain" (left alone when domain is NULL);
 *  - results already in the output list are not added again (local part
 *    compared exactly, domain case-insensitively).
 */
#ifndef POSTERN_ALIAS_H
#define POSTERN_ALIAS_H

#include "addr.h"
#include "config.h"
#include "err.h"

#define ALIAS_DEPTH_MAX		20
#define ALIAS_VISIT_MAX		10000
#define ALIAS_FILE_MAX		(1024 * 1024)	/* size of aliases_file */
#define ALIAS_NAME_MAX		ADDR_LOCAL_MAX

struct aliases;

/* What aliases_load() reads: the [aliases] section and aliases_file. */
struct alias_params {
	const char			*config_path;	/* for messages; NULL:
							   "config" */
	const struct config_alias	*aliases;	/* [aliases] entries */
	size_t				 naliases;
	const char			*file;		/* aliases_file, or
							   NULL/"" */
};

/*
 * Read the aliases p names.  On success *ap holds a table (possibly empty)
 * to free with aliases_free().  Errors: ERR_CONFIG "FILE:LINE: reason" for
 * the file, "PATH: [aliases] NAME: reason" for the section (PATH being
 * p->config_path, or "config" when unset); ERR_SOFTWARE when out of memory.
 * The file is opened read-only with O_NOFOLLOW and must be a regular file
 * of at most ALIAS_FILE_MAX octets.
 */
int	aliases_load(struct aliases **ap, const struct alias_params *p,
	    struct err *e);

/*
 * Expand one recipient, given in envelope form (a spec, as
 * addr_parse_one() or addr_parse_list() yields it), appending the final
 * addresses to *out (display NULL, spec_end 0).  a may be NULL: then only
 * qualification and deduplication happen.  domain qualifies what is left
 * local; NULL leaves it.  Every appended spec has passed
 * addr_check_envelope().  Returns 0, or -1 with ERR_DATA (bad recipient,
 * a result over RFC 5321 limits) or ERR_CONFIG (see above); on failure
 * *out is as it was.
 */
int	aliases_expand(const struct aliases *a, const char *domain,
	    const char *rcpt, struct addr_list *out, struct err *e);

/* Number of aliases loaded. */
size_t	aliases_count(const struct aliases *a);

void	aliases_free(struct aliases *a);

#endif
