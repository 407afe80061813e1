/*
 * text.h -- small text helpers every module shares: control-character
 * scrubbing, bounded number parsing, RFC 3463 enhanced status codes, the
 * RFC 5322 date, base64 (OpenSSL's encoder), a message body's line runs.
 *
 * Pure functions over caller-owned memory; none allocates except
 * text_b64_append() (into the caller's buf), none prints or exits.
 */
#ifndef POSTERN_TEXT_H
#define POSTERN_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

/* True for the octets no log line, header or reply may carry: < 0x20, 0x7f. */
int	text_is_ctl(int c);

/* True when the NUL-terminated s (NULL: false) holds a control octet. */
int	text_has_ctl(const char *s);

/*
 * The length of the longest prefix of p[0, n) with no NUL, CR or LF (the
 * octets a message body's line ends and repairs are about); *hi is OR-ed
 * with 1 when that prefix has an octet of 0x80 or above.  Reads p[0, n)
 * only, 16 octets at a time where the compiler has vector types.
 */
size_t	text_line_run(const char *p, size_t n, int *hi);

/*
 * Copy at most n octets of src (stopping at a NUL) into out (outlen > 0,
 * always NUL-terminated, cut to fit), each control octet replaced by repl.
 * src may equal out (in place).  Returns the length written.  src NULL:
 * out is "".
 */
size_t	text_scrub(char *out, size_t outlen, const char *src, size_t n,
	    char repl);

/*
 * Parse exactly len octets of s as a decimal number: digits only, no sign,
 * no space, no leading zero (except "0" itself), at most max.  Returns 0
 * with *out set, or -1 (nothing written).
 */
int	text_parse_u64(const char *s, size_t len, uint64_t max,
	    uint64_t *out);

/*
 * The length of an RFC 3463 enhanced status code "C.SSS.DDD" at the start
 * of s (class C equal to cls, e.g. '4' or '5'; 1-3 digits in each of the
 * other two parts) followed by a space or the end of s; 0 if there is none.
 */
size_t	text_enhanced_len(const char *s, char cls);

/*
 * The enhanced code of a reply of class cls quoted anywhere in msg (an
 * error text such as "smarthost said: 550 5.1.1 no such user"), copied to
 * out; the reply's code must start msg or follow a space.  Returns out, or
 * dflt when msg quotes no such code (or it does not fit in len).
 */
const char *text_enhanced_find(const char *msg, char cls, const char *dflt,
	    char *out, size_t len);

/*
 * t as an RFC 5322 date-time in local time with a numeric zone, as
 * Postfix writes it: "Tue, 1 Dec 2026 19:45:00 +0100".  Always fills out
 * (len >= 32 is enough); a time localtime cannot convert gives the epoch.
 */
void	text_date(time_t t, char *out, size_t len);

/*
 * Append the base64 encoding (RFC 4648, with padding) of n octets of p to
 * out, using OpenSSL's encoder.  0, or -1 (buf limit) with out unchanged.
 */
int	text_b64_append(struct buf *out, const void *p, size_t n);

/*
 * A streaming quoted-printable encoder (RFC 2045 6.7) for canonical input
 * (every CR part of a CRLF): lines of at most 76 octets with soft breaks,
 * a blank before a line end encoded, CRLF line ends.  Output goes to
 * put(arg, p, n), which reports its own errors.  text_qp_finish() ends a
 * last line that has no CRLF.
 */
struct text_qp {
	void	(*put)(void *arg, const char *p, size_t n);
	void	 *arg;
	size_t	  col;
	int	  ws;		/* a held SP or HTAB, or -1 */
};
void	text_qp_init(struct text_qp *q,
	    void (*put)(void *arg, const char *p, size_t n), void *arg);
void	text_qp_feed(struct text_qp *q, const char *p, size_t n);
void	text_qp_finish(struct text_qp *q);

#endif
