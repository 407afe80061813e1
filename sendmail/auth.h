/*
 * auth.h -- SASL client mechanisms for SMTP AUTH (RFC 4954).
 *
 * The SMTP client picks a mechanism with auth_choose(), then feeds each
 * decoded server challenge to sasl_step() and sends back what it produces
 * (base64-encoded by the caller with auth_b64_encode()).  The secret is
 * copied into the sasl state and wiped by sasl_free(); for SCRAM the copy
 * is the SASLprep'd form, and sasl_new() fails (ERR_CONFIG) when there is
 * none.
 */
#ifndef POSTERN_AUTH_H
#define POSTERN_AUTH_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/*
 * The mechanism to use: the first of the client's preference order that
 * the server lists and the config allows.  server_list is the AUTH
 * extension's parameter.  The order is SCRAM-SHA-256, PLAIN, LOGIN,
 * CRAM-MD5 (OAuth mechanisms only when named in the config), except that
 * with auto_mode over verified TLS (over_tls) PLAIN comes first: inside a
 * session whose server certificate was verified, SCRAM adds nothing a
 * submission needs, and its PBKDF2 (4,096 rounds and more) costs more CPU
 * than the whole rest of a submission (bench/README.md).  Returns an
 * AUTH_MECH_* bit, or 0.
 */
unsigned	 auth_choose(const char *server_list, unsigned allowed,
		    int auto_mode, int over_tls);
/*
 * auth_choose() for these credentials.  SCRAM needs the user name and the
 * password prepared with SASLprep (RFC 5802 2.2, saslprep.h); when they
 * cannot be, SCRAM is left out: *mech is the next mechanism allowed and
 * offered (0 when none), and note (for -v) says what was not used and why.
 * Returns 0, or -1 with ERR_CONFIG when SCRAM was the only choice (an
 * explicit auth = scram-...).  The message never quotes the secret.
 */
int		 auth_select(const char *server_list, unsigned allowed,
		    int auto_mode, int over_tls, const char *user,
		    const char *secret, unsigned *mech, char *note,
		    size_t notelen, struct err *e);
const char	*auth_mech_name(unsigned mech);
/* Parse one mechanism name ("plain", "SCRAM-SHA-256") -> bit, 0 if unknown. */
unsigned	 auth_mech_parse(const char *name, size_t len);

struct sasl;

int	sasl_new(struct sasl **sp, unsigned mech, const char *user,
	    const char *secret, struct err *e);
/*
 * Produce the next client message into out (raw bytes).  challenge is the
 * decoded server challenge, or NULL for the initial response.  Returns 0,
 * or -1 with ERR_TEMP (bad challenge, failed server proof).
 */
int	sasl_step(struct sasl *s, const unsigned char *challenge, size_t len,
	    struct buf *out, struct err *e);
/* 1 when the mechanism is satisfied with the server (SCRAM: proof seen). */
int	sasl_complete(const struct sasl *s);
/* 1 if the mechanism sends an initial response with the AUTH command. */
int	sasl_has_initial(const struct sasl *s);
void	sasl_free(struct sasl *s);
/* Tests only: fix the SCRAM client nonce (RFC 7677 vectors). */
int	sasl_set_nonce(struct sasl *s, const char *nonce);

int	auth_b64_encode(const void *p, size_t n, struct buf *out);
/* Strict: bad characters or padding fail with ERR_TEMP. */
int	auth_b64_decode(const char *s, size_t n, struct buf *out,
	    struct err *e);

#endif
