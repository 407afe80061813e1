/*
 * dns.h -- TXT lookups with the libc resolver, for -bv's DKIM, SPF and
 * DMARC checks.
 *
 * dns_txt() asks res_query() (so /etc/resolv.conf decides the servers)
 * and parses the answer itself with dns_parse_txt(): the answer is
 * untrusted bytes from the network, every length is checked against the
 * message, compression pointers are only skipped (never followed), and the
 * output is bounded by DNS_TXT_MAX records and the buffer's limit.
 */
#ifndef POSTERN_DNS_H
#define POSTERN_DNS_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define DNS_TXT_MAX	32	/* records kept from one answer */

enum dns_status {
	DNS_FOUND = 0,		/* at least one TXT record */
	DNS_NXDOMAIN,		/* the name does not exist */
	DNS_NODATA		/* the name exists, no TXT record */
};

/* The TXT records of one answer, each one's strings joined. */
struct dns_txt {
	enum dns_status	 status;
	size_t		 n;
	size_t		 off[DNS_TXT_MAX];	/* into data */
	size_t		 len[DNS_TXT_MAX];
	struct buf	 data;
};

void	dns_txt_init(struct dns_txt *t);
void	dns_txt_free(struct dns_txt *t);

/*
 * Look up the TXT records of name.  Returns 0 with t->status (a missing
 * name or record is not an error), or -1 with ERR_TEMP when no server
 * answered or the answer was a failure (SERVFAIL, REFUSED), ERR_DATA when
 * it could not be parsed.
 */
int	dns_txt(const char *name, struct dns_txt *t, struct err *e);

/*
 * Parse a DNS response message (RFC 1035 4.1): the TXT records of its
 * answer section (class IN).  rcode 3 gives DNS_NXDOMAIN.  -1 with
 * ERR_DATA when the message is malformed, ERR_TEMP for another non-zero
 * rcode.  For dns_txt(), the tests and the fuzz target.
 */
int	dns_parse_txt(const unsigned char *msg, size_t len, struct dns_txt *t,
	    struct err *e);

#endif
