/*
 * saslprep.h -- SASLprep (RFC 4013, a stringprep profile, RFC 3454) of a
 * user name or password for SCRAM (RFC 5802 2.2: prepared as a query, so
 * unassigned code points are allowed).
 *
 * Exact for every string whose code points Unicode 3.2's NFKC leaves
 * alone whatever surrounds them (saslprep_tab.inc's "stable" table: ASCII,
 * nearly all of Latin, Greek, Cyrillic, Hebrew, Arabic, CJK, ...): the
 * mapping (B.1 to nothing, C.1.2 to SPACE), the prohibited output, the
 * bidi rules, and the normalization, which is the identity there.  A
 * string that needs NFKC to change it (compatibility characters such as
 * U+00B5 or U+FB01, combining marks, decomposed letters, Hangul jamo) is
 * reported unsupported rather than prepared wrongly: postern has no
 * composition tables (no library beyond OpenSSL and libinih).
 */
#ifndef POSTERN_SASLPREP_H
#define POSTERN_SASLPREP_H

enum saslprep_result {
	SASLPREP_OK = 0,
	SASLPREP_PROHIBITED,	/* RFC 4013 forbids the prepared string */
	SASLPREP_UNSUPPORTED,	/* not UTF-8, or needs a real NFKC */
	SASLPREP_NOMEM
};

/*
 * Prepare the NUL-terminated string in.  SASLPREP_OK: *out is a malloc'd
 * prepared copy, which the caller wipes (explicit_bzero) and frees.
 * Otherwise *out is NULL and *why a short reason that never quotes the
 * string (it may be a password).
 */
enum saslprep_result saslprep(const char *in, char **out, const char **why);

#endif
