/*
 * msg.h -- reading, fixing up and encoding one message.
 *
 * The message arrives as untrusted bytes on a descriptor (stdin, or a spool
 * file written by -bs).  Its header section is held in memory, bounded by
 * BUF_LIMIT_HEADERS; the body is streamed and never held whole.
 *
 * msg_write() produces the one canonical form that postern stores and sends:
 * CRLF line ends only, no NUL, no stray CR, no line over 998 octets, fixed
 * headers first, no dot-stuffing (the SMTP client stuffs while sending).
 * Whatever the input, that form cannot end the DATA early.
 */
#ifndef POSTERN_MSG_H
#define POSTERN_MSG_H

#include <stddef.h>
#include <sys/types.h>

#include "addr.h"
#include "err.h"

#define MSG_LINE_MAX	998	/* RFC 5322 2.1.1, without the CRLF */

/* A buffered reader over an input descriptor. */
struct msg_input;

/*
 * dot_ends: no -i/-oi was given, so a line holding only "." (then LF, CRLF
 * or the end of input) ends the input (what sendmail and Postfix do); the
 * rest of the input is not read.  ".." is never un-stuffed.  The reader
 * reads fd in 64 KiB blocks and does not own it.  NULL when out of memory.
 */
struct msg_input *msg_input_new(int fd, int dot_ends);
void	msg_input_free(struct msg_input *in);

/*
 * An optional observer of msg_write()'s output (the DKIM signer).  head()
 * gets the final header section, ending with the empty line, before it is
 * written, and returns how many octets to reserve in front of it (spaces,
 * which the caller overwrites after msg_write() returns), or -1 with *e
 * to fail the write.  body() then gets every body octet, in order, as it
 * is written.  A re-encoded body restarts: head() is called again.
 *
 * seven_bit (the signer sets it): when head() reserved octets, a body
 * with 8-bit octets under a header section that mime7 would convert for
 * a server without 8BITMIME (mime7_headers()) is re-encoded quoted-
 * printable here, as a long line is, so the octets the tap saw are the
 * octets every server receives (RFC 6376 5.3).  What mime7 would refuse
 * stays 8-bit (it goes only where 8BITMIME is offered).
 */
struct msg_tap {
	void	*arg;
	long	(*head)(void *arg, const char *p, size_t n, struct err *e);
	void	(*body)(void *arg, const char *p, size_t n);
	int	 seven_bit;
};

struct msg_opts {
	const char	*domain;	/* qualifies bare names; NULL: leave */
	/* Envelope sender, for an added or forced From; NULL or "" (the null
	 * sender): MAILER-DAEMON.  Qualified with domain when it has none. */
	const char	*sender;
	const char	*full_name;	/* -F or gecos; NULL: none */
	int		 force_from;	/* from_header = force */
	/* Right side of an added Message-ID; NULL: domain, or "localhost". */
	const char	*msgid_domain;
	const char	*tmpdir;	/* for a scratch file; NULL: /tmp */
	/*
	 * 0: no limit.  Else msg_write() stops reading as soon as the input
	 * it has taken, or the message it has written, exceeds this many
	 * octets and fails with ERR_DATA (the caller discards the output).
	 */
	off_t		 max_size;
	const struct msg_tap *tap;	/* NULL: none */
};

struct msg_stats {
	off_t		 size;		/* octets written, CRLFs included,
					   with what the tap reserved */
	int		 has_8bit;	/* an octet >= 0x80 anywhere in the output
					   (a QP re-encoded body is 7-bit) */
	int		 has_8bit_headers;
	size_t		 nul_removed;	/* NUL octets dropped */
	size_t		 cr_replaced;	/* stray CRs turned into spaces */
	size_t		 lines_split;	/* lines over 998 octets split */
	int		 qp_reencoded;	/* body re-encoded quoted-printable
					   for a long line (a repair) */
	int		 made_7bit;	/* 8-bit body re-encoded quoted-
					   printable for the tap (seven_bit) */
	int		 added_date, added_msgid, added_from;
};

struct msg;

/*
 * Read the header section (up to the empty line, or to the end of input if
 * there is no body).  Folded fields are kept as they came; line ends become
 * CRLF, NUL is dropped, a stray CR becomes a space.  A first line "From "
 * (mbox) is dropped.  The section also ends at the first line that is
 * neither "name:" nor a continuation; that line is left unread and becomes
 * the first body line (so input that does not start with a header is all
 * body, as in Postfix).  Fails with ERR_DATA when the header section is over
 * BUF_LIMIT_HEADERS, ERR_IO when reading fails, ERR_SOFTWARE out of memory.
 */
int	msg_read_headers(struct msg **mp, struct msg_input *in,
	    struct err *e);
void	msg_free(struct msg *m);

/*
 * The -t recipients: To, Cc and Bcc, or, when any Resent-To/Cc/Bcc field
 * exists, only those.  Appends to *out.  ERR_DATA on a bad address list.
 */
int	msg_header_rcpts(const struct msg *m, struct addr_list *out,
	    struct err *e);

/* The first address of the From header, or NULL. (Caller frees.) */
char	*msg_header_from(const struct msg *m);

/*
 * Write the canonical message to outfd, a regular file (it is truncated
 * first; it is read back when the body must be re-encoded): the header
 * section with Bcc and Resent-Bcc removed, Date, Message-ID and From
 * added when missing (From per opts), bare names in From, To, Cc,
 * Reply-To and Sender (and their Resent- forms) qualified with
 * opts->domain; header lines over MSG_LINE_MAX folded; then the empty line
 * and the rest of the input.  A body line over MSG_LINE_MAX makes a
 * single-part body quoted-printable (MIME fields fixed up; needs a scratch
 * file in opts->tmpdir) and is split in a multipart/message body or one
 * already in base64/quoted-printable.  *st is always filled.
 * Errors: ERR_IO when reading, writing or the scratch file fails (errno in
 * the message); ERR_USAGE for a control character in sender or full_name,
 * ERR_CONFIG in domain or msgid_domain; ERR_SOFTWARE when outfd is not a
 * regular file or memory runs out.
 */
int	msg_write(struct msg *m, struct msg_input *in, int outfd,
	    const struct msg_opts *opts, struct msg_stats *st, struct err *e);

#endif
