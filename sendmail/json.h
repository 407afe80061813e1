/*
 * json.h -- a JSON string writer for machine-readable output (mailq --json).
 *
 * The bytes written are valid JSON (RFC 8259) and valid UTF-8 whatever
 * the input holds: well-formed UTF-8 passes through, every octet of an
 * ill-formed sequence (overlong forms, surrogates, code points above
 * U+10FFFF, truncated sequences) becomes \ufffd, control octets and DEL
 * become \u00XX, and '"' and '\' are escaped.  Nothing here prints.
 */
#ifndef POSTERN_JSON_H
#define POSTERN_JSON_H

#include <stddef.h>

#include "buf.h"

/*
 * Append s (len octets; NUL is an ordinary octet here) to b as a quoted
 * JSON string.  -1 when b's limit is reached (b then holds a prefix).
 */
int	json_put_string(struct buf *b, const char *s, size_t len);

/* Length of the well-formed UTF-8 sequence at p (1-4), 0 when ill-formed. */
size_t	json_utf8_len(const unsigned char *p, size_t n);

#endif
