/*
 * dkim.h -- DKIM signing (RFC 6376) with RSA-SHA256 and Ed25519-SHA256
 * (RFC 8463), and the checks -bv makes of the published key record.
 *
 * A signer (struct dkim) holds the private key and the [dkim] settings; it
 * is loaded once, before anything is read or sent, so that a bad key is a
 * configuration error (ERR_CONFIG, exit 78) naming the key file.
 *
 * One message is signed through a struct dkim_msg that taps msg_write()
 * (msg.h, struct msg_tap): dkim_msg_head() sees the final header section
 * and says how many octets to reserve in front of it; dkim_msg_body() sees
 * every body octet as it is written to the spool file, so the body hash is
 * computed in the same pass; dkim_msg_finish() then writes the folded
 * DKIM-Signature header into the reserved octets at offset 0 of the spool
 * file.  The reservation is exact: the header's length depends only on
 * the lengths of its tag values, and bh= and b= have a fixed length for a
 * given key.  So a queued message carries its signature in its data file
 * and every retry sends the same bytes.
 *
 * The message given to the tap is postern's canonical form (msg.h): CRLF
 * line ends, exactly the bytes that go on the wire before dot-stuffing.
 *
 * Security: the key file is opened with O_NOFOLLOW and checked as
 * password_file is (config_open_secret(): a privileged run wants it
 * root-owned and closed to others); the key is freed with
 * EVP_PKEY_free, which wipes it.  Header text and DNS answers are
 * untrusted and parsed with bounds.
 */
#ifndef POSTERN_DKIM_H
#define POSTERN_DKIM_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "msg.h"

#define DKIM_BODY_BUFSZ	16384

/*
 * The streaming body canonicalizer (RFC 6376 3.4.3, 3.4.4): bytes in,
 * canonical bytes out through emit().  Input that is already canonical
 * goes to emit() straight from the caller's block when the stretch is
 * DKIM_BODY_BUFSZ or longer; shorter pieces are gathered in obuf.  No
 * pointer into the caller's block is kept after dkim_body_update()
 * returns.  Trailing empty lines are counted, not held, and written out
 * only when a later line has content, so the body is never held.
 */
struct dkim_body {
	int		 relaxed;
	int		 in_line;	/* the current line has content */
	int		 wsp;		/* relaxed: blanks pending */
	int		 cr;		/* a CR the next octet decides */
	unsigned long long empty;	/* empty lines held back */
	unsigned long long out;		/* octets emitted */
	void		(*emit)(void *arg, const char *p, size_t n);
	void		*arg;
	size_t		 olen;
	char		 obuf[DKIM_BODY_BUFSZ];
};

void	dkim_body_init(struct dkim_body *b, int relaxed,
	    void (*emit)(void *, const char *, size_t), void *arg);
void	dkim_body_update(struct dkim_body *b, const char *p, size_t n);
void	dkim_body_final(struct dkim_body *b);

/*
 * Canonicalize one header field (name, colon, value, its folding CRLFs and
 * the final CRLF, which may be missing) and append it to out with a CRLF.
 * -1 when out's limit is reached.
 */
int	dkim_canon_header(int relaxed, const char *f, size_t n,
	    struct buf *out);

struct dkim;
struct dkim_msg;

/* What the signer needs of the [dkim] section (params_dkim() fills it). */
struct dkim_params {
	const char	*domain;	/* d=; NULL: signing off */
	const char	*selector;	/* s=; NULL: signing off */
	const char	*key_file;	/* NULL: signing off */
	const char	*headers;	/* "from:to:.."; NULL: the default */
	int		 header_relaxed;
	int		 body_relaxed;
	int		 sign_always;	/* sign = always */
};

/*
 * Load the signer from p (the [dkim] section).  Signing off (domain, selector
 * or key_file unset): returns 0 with *dp NULL.  Errors (ERR_CONFIG, the
 * message naming the key file): unreadable, a symbolic link, not a regular
 * file, accessible by others or not owned by root when privileged, not a PEM
 * private key, neither RSA nor Ed25519, RSA under 2048 bits.
 */
int	dkim_load(struct dkim **dp, const struct dkim_params *c, int privileged,
	    struct err *e);
void	dkim_free(struct dkim *d);

/* Per message.  now: the t= value.  NULL when out of memory. */
struct dkim_msg *dkim_msg_new(struct dkim *d, time_t now);
void	dkim_msg_free(struct dkim_msg *dm);

/*
 * The struct msg_tap callbacks (arg is the struct dkim_msg).  head() is
 * given the whole header section, ending with the empty line, and returns
 * the octets to reserve (0 when this message is not signed: sign =
 * from-domain and the From address is elsewhere), or -1 with *e.  A new
 * head() starts the body over (the message was re-encoded).
 */
long	dkim_msg_head(void *arg, const char *p, size_t n, struct err *e);
void	dkim_msg_body(void *arg, const char *p, size_t n);

/*
 * Sign and pwrite() the DKIM-Signature header into the reserved octets at
 * offset 0 of fd.  Nothing to do when head() reserved nothing.  ERR_IO
 * when writing fails, ERR_SOFTWARE when signing does.
 */
int	dkim_msg_finish(struct dkim_msg *dm, int fd, struct err *e);
/* 1 when the message got (or will get) a signature. */
int	dkim_msg_signed(const struct dkim_msg *dm);

/*
 * msg_write() signed by d (the one call in the spool path): a struct
 * dkim_msg taps the write and the signature goes into the reserved
 * octets before this returns.  d NULL: msg_write() as it is.  Errors:
 * msg_write()'s, and dkim_msg_head() and dkim_msg_finish()'s.
 */
int	dkim_msg_write(struct dkim *d, struct msg *m, struct msg_input *in,
	    int fd, const struct msg_opts *mo, struct msg_stats *st,
	    struct err *e);

/*
 * Sign the canonical message in fd (a DSN the queue wrote, not yet
 * committed; queue.h struct queue_params sign) in place: the file's
 * octets move up to make room and the DKIM-Signature goes in front.
 * arg is the struct dkim.  Nothing changes when sign = from-domain and
 * the From address is elsewhere.  0, or -1 with ERR_IO, ERR_DATA (no
 * header section) or dkim_msg_head() and dkim_msg_finish()'s errors.
 */
int	dkim_sign_file(void *arg, int fd, struct err *e);

/*
 * The header for this message as it will be written, without the final
 * CRLF (for tests; valid after dkim_msg_finish()).
 */
const char *dkim_msg_header(const struct dkim_msg *dm);

/*
 * -bv.  The DNS name of the key record (SELECTOR._domainkey.DOMAIN) and
 * the TXT record to publish for the loaded key, as a zone file line with
 * the text split in strings of at most 255 octets.
 */
int	dkim_record_name(const struct dkim *d, char *out, size_t len);
int	dkim_record_text(const struct dkim *d, struct buf *out);

/* What a published key record says, compared with the loaded key. */
enum dkim_keycheck {
	DKIM_KEY_MATCH = 0,
	DKIM_KEY_MISMATCH,	/* a valid record, another key */
	DKIM_KEY_REVOKED,	/* p= is empty */
	DKIM_KEY_BAD,		/* not a DKIM key record, or unusable */
	DKIM_KEY_WRONG_TYPE	/* k= names another algorithm */
};

/*
 * Compare one TXT record (its strings joined) with the loaded key.  why
 * gets a short reason for anything but DKIM_KEY_MATCH.
 */
enum dkim_keycheck dkim_check_record(const struct dkim *d, const char *txt,
	    size_t n, char *why, size_t whylen);

/*
 * Parse a DKIM key record's tag list (RFC 6376 3.6.1): v= (must be DKIM1
 * and first when present), k= (default rsa), p= (base64, FWS allowed).
 * Fills *k (a static string), the decoded key into key (at most keylen
 * octets) and *keyn.  -1 when the record is malformed.  For the fuzz
 * target and tests.
 */
int	dkim_parse_keyrec(const char *txt, size_t n, const char **k,
	    unsigned char *key, size_t keylen, size_t *keyn);

/* "example.com" is in "example.com" and "mail.example.com"; 1 or 0. */
int	dkim_domain_within(const char *dom, const char *parent);

/* The d= and s= of the signer, for -bv. */
const char *dkim_domain(const struct dkim *d);
const char *dkim_key_file(const struct dkim *d);

#endif
