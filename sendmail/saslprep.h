/*
 * saslprep.h -- SASLprep (RFC 4013, a stringprep profile, RFC 3454) of a
 * user name or password for SCRAM (RFC 5802 2.2: prepared as a query, so
 * unassigned code points are allowed).
 *
 * All four steps, exactly: the mapping (B.1 to nothing, C.1.2 to SPACE),
 * the normalization (NFKC of Unicode 3.2: full compatibility decomposition,
 * canonical ordering, canonical composition without the composition
 * exclusions; Hangul arithmetically), the prohibited output and the bidi
 * rules.  The tables are generated (saslprep_tab.inc, tests/saslprep-gen.py);
 * no library beyond OpenSSL and libinih is used.
 */
#ifndef POSTERN_SASLPREP_H
#define POSTERN_SASLPREP_H

/* The longest prepared string, in octets (NFKC can lengthen a string:
 * U+FDFA alone becomes 33 octets). */
#define SASLPREP_MAX	4096

enum saslprep_result {
	SASLPREP_OK = 0,
	SASLPREP_PROHIBITED,	/* RFC 4013 forbids the prepared string */
	SASLPREP_UNSUPPORTED,	/* not UTF-8, or longer than SASLPREP_MAX
				   once prepared */
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
