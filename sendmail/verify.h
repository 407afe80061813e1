/*
 * verify.h -- -bv: check the configuration, the smarthost and each
 * recipient without sending anything.
 *
 * The report goes to the stream the caller gives (stdout), one "name:
 * value" line per fact; nothing else is printed and nothing exits.
 */
#ifndef POSTERN_VERIFY_H
#define POSTERN_VERIFY_H

#include <stdio.h>

#include "cli.h"
#include "err.h"
#include "submit.h"

/*
 * Build the envelope exactly as a submission would (o's -f and
 * recipients), open a session (p->dp), report it and verify each
 * recipient with MAIL/RCPT/RSET.  Returns 0 when every recipient was
 * accepted; -1 with ERR_NOUSER ("some recipients were refused") when one
 * was refused for good, ERR_TEMP when one was deferred, or the error that
 * stopped the check (the sender's, the aliases', the connection's).
 */
int	verify_run(const struct submit_params *p, const struct opts *o,
	    FILE *out, struct err *e);

#endif
