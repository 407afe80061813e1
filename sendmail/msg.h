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
 * dot_ends: no -i/-oi was given, so a line holding only "." ends the input
 * (what sendmail and Postfix do); the rest of the input is not read.
 */
struct msg_input *msg_input_new(int fd, int dot_ends);
void	msg_input_free(struct msg_input *in);

struct msg_opts {
	const char	*domain;	/* qualifies bare names; NULL: leave */
	const char	*sender;	/* envelope sender, for an added From */
	const char	*full_name;	/* -F or gecos; NULL: none */
	int		 force_from;	/* from_header = force */
	const char	*msgid_domain;	/* right side of an added Message-ID */
	const char	*tmpdir;	/* for a scratch file; NULL: /tmp */
};

struct msg_stats {
	off_t		 size;		/* octets written, CRLFs included */
	int		 has_8bit;	/* an octet >= 0x80 anywhere */
	int		 has_8bit_headers;
	size_t		 nul_removed;	/* NUL octets dropped */
	size_t		 cr_replaced;	/* stray CRs turned into spaces */
	size_t		 lines_split;	/* lines over 998 octets split */
	int		 qp_reencoded;	/* body re-encoded quoted-printable */
	int		 added_date, added_msgid, added_from;
};

struct msg;

/*
 * Read the header section (up to the empty line, or to the end of input if
 * there is no body).  Folded fields are kept as they came.  Fails with
 * ERR_DATA when the header section is over BUF_LIMIT_HEADERS.
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
 * Write the canonical message to outfd (a regular file at offset 0): the
 * header section with Bcc and Resent-Bcc removed, Date, Message-ID and From
 * added when missing (From per opts), bare names in From, To, Cc,
 * Reply-To and Sender qualified with opts->domain; then the rest of the
 * input.  ERR_IO when writing fails (errno kept in the message).
 */
int	msg_write(struct msg *m, struct msg_input *in, int outfd,
	    const struct msg_opts *opts, struct msg_stats *st, struct err *e);

#endif
