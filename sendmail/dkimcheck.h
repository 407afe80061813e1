/*
 * dkimcheck.h -- -bv's deliverability report: is the DKIM key published
 * and is it the key in key_file, does the sender's domain publish SPF and
 * DMARC, does it align with d=, and which TXT record to publish.
 *
 * DNS answers come through dns.h (the libc resolver, our own parser);
 * the report goes to the stream given, nowhere else.
 */
#ifndef POSTERN_DKIMCHECK_H
#define POSTERN_DKIMCHECK_H

#include <stdio.h>

#include "dkim.h"
#include "err.h"

/*
 * Print the report lines (dkim:, dkim-record:, spf:, dmarc:, alignment:)
 * for signer dk and the envelope sender (its domain; dflt_domain when it
 * has none) on out.  Returns 0 when the published key matches key_file,
 * or dk is NULL (nothing printed); -1 with ERR_CONFIG when the key is not
 * published or does not match (the caller reports it after the rest),
 * ERR_SOFTWARE when the key cannot be encoded.
 */
int	dkimcheck_report(const struct dkim *dk, const char *sender,
	    const char *dflt_domain, FILE *out, struct err *e);

#endif
