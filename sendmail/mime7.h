/*
 * mime7.h -- sending a canonical message (msg.h) to a server without
 * 8BITMIME (RFC 6152): decide whether it can go as it is, can be made
 * 7-bit, or must be refused, and stream the 7-bit form.
 *
 * The conversion is Postfix's for the common case: a single-part text body
 * (no Content-Type, or text/...; Content-Transfer-Encoding absent, 7bit or
 * 8bit) whose header section is ASCII is re-encoded quoted-printable (RFC
 * 2045 6.7), the Content-Transfer-Encoding field replaced, MIME-Version
 * and Content-Type added when missing.  Anything else with 8-bit octets
 * (8-bit header fields, multipart or message bodies, binary) is refused.
 * Nothing here prints or exits; nothing is held in memory but the header
 * section (at most BUF_LIMIT_HEADERS octets).
 */
#ifndef POSTERN_MIME7_H
#define POSTERN_MIME7_H

#include <sys/types.h>

#include "err.h"

enum mime7 {
	MIME7_CLEAN,	/* no octet over 127: send it as it is */
	MIME7_CONVERT,	/* mime7_convert() makes it 7-bit */
	MIME7_REFUSE	/* 8-bit and not convertible; *why says why */
};

/*
 * Classify the canonical message in fd (read with pread from offset 0).
 * Returns an enum mime7, or -1 with ERR_IO when fd cannot be read.
 * why (MIME7_REFUSE): a short reason for the caller's message.
 */
int	mime7_classify(int fd, const char **why, struct err *e);

/*
 * The part of mime7_classify() that looks at the header section h (n
 * octets, through its empty line): MIME7_CONVERT when an 8-bit body under
 * it can be made 7-bit, else MIME7_REFUSE with *why.  msg_write() asks it
 * too, to convert at spool time what would be converted here (msg.h,
 * struct msg_tap), so both always agree.
 */
int	mime7_headers(const char *h, size_t n, const char **why);

/* 1 if fd holds an octet over 127, 0 if not, -1 with ERR_IO. */
int	mime7_has_8bit(int fd, struct err *e);

/* A sink for converted octets: 0, or -1 with *e set (stops the stream). */
typedef int (*mime7_sink)(void *arg, const char *p, size_t n,
    struct err *e);

/*
 * Stream the 7-bit form of a message classified MIME7_CONVERT into sink
 * (canonical CRLF lines, every line at most 76 octets in the body).
 * *size gets the octets produced.  0, or -1 with ERR_IO (reading fd) or
 * the sink's error.
 */
int	mime7_convert(int fd, mime7_sink sink, void *arg, off_t *size,
	    struct err *e);

#endif
