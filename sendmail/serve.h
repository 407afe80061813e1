/*
 * serve.h -- postern -bs: a minimal RFC 5321 SMTP server on two
 * descriptors (stdin and stdout), for clients such as Symfony Mailer that
 * speak SMTP to a pipe.
 *
 * The server only collects transactions: the sender, the recipients and the
 * message data.  After the final dot it hands each message to the caller's
 * handler, which relays or durably queues it and says what to reply; so the
 * client sees the real outcome (250, 4xx, 5xx) of every message.
 *
 * Offered: PIPELINING, SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES.
 * Not offered: DSN (an envelope holds one NOTIFY for all recipients and no
 * ORCPT, so per-recipient DSN could not be passed on faithfully; RET=,
 * ENVID= and NOTIFY= are refused with 555 like any unknown parameter),
 * STARTTLS and AUTH (meaningless on a pipe to a local process), CHUNKING.
 *
 * Ownership: serve_run() owns every envelope and scratch file it creates;
 * a handler may change the envelope it is given (recipient states, replies)
 * but must not keep pointers into it or the descriptor after returning.
 */
#ifndef POSTERN_SERVE_H
#define POSTERN_SERVE_H

#include <stddef.h>
#include <sys/types.h>

#include "envelope.h"
#include "err.h"

/* Defaults of struct serve_params. */
#define SERVE_MAX_SIZE		(50L * 1024 * 1024)	/* SIZE we offer */
#define SERVE_TIMEOUT		300	/* seconds waiting for the client */
#define SERVE_MAX_RCPTS		1000	/* per transaction (RFC 5321: >= 100) */
#define SERVE_MAX_ERRORS	20	/* protocol errors, then 421 */
#define SERVE_LINE_MAX		2048	/* a command line, CRLF included */
#define SERVE_TEXT_MAX		400	/* reply text from a handler */

/*
 * The caller's side.  Each callback fills *code with an SMTP reply code
 * and text (NUL-terminated, textlen octets available, at most one line:
 * control characters are replaced by spaces, and the text is cut at
 * SERVE_TEXT_MAX).  When the text does not begin with an enhanced status
 * code ("2.1.0 "), one is added (X.0.0 for the class of the code).
 */
struct serve_handler {
	void	*arg;
	/*
	 * Optional.  Set env's sender from addr, the reverse-path as the
	 * client gave it: already checked by addr_check_envelope(), "" for
	 * the null sender, possibly without "@domain".  The callback may
	 * qualify or replace it (e.g. when -f overrides are not allowed)
	 * but must use envelope_set_sender().  Return 0 (reply 250 2.1.0)
	 * or -1 with *code (4xx/5xx) and text.  NULL: envelope_set_sender()
	 * with addr as given.
	 */
	int	(*mail)(void *arg, struct envelope *env, const char *addr,
		    int *code, char *text, size_t textlen);
	/*
	 * Optional.  Add the recipient addr (checked by
	 * addr_check_envelope(), never "", possibly without "@domain") to
	 * env, qualified and alias-expanded as the caller sees fit, with
	 * envelope_add_rcpt() only.  Return 0 (reply 250 2.1.5) or -1 with
	 * *code (4xx/5xx) and text.  NULL: envelope_add_rcpt() as given.
	 */
	int	(*rcpt)(void *arg, struct envelope *env, const char *addr,
		    int *code, char *text, size_t textlen);
	/*
	 * Required.  Called after the final dot.  env holds the sender and at
	 * least one recipient (each in state RCPT_PENDING); env->body is
	 * BODY_7BIT or BODY_8BITMIME when the client said BODY=, else
	 * BODY_UNSPEC; env->smtputf8 is set only when an address needs it
	 * (the SMTPUTF8 parameter is accepted but, as for raw UTF-8 headers
	 * in submit mode, does not by itself demand SMTPUTF8 of the relay).
	 * datafd is a read-write scratch file at offset 0 holding size octets:
	 * the message as received, dot-unstuffed, every line ending in CRLF
	 * (see serve_data_decode() for exactly what is promised).  It is not
	 * canonical (NULs, stray CRs and long lines may remain): pass it
	 * through msg_read_headers()/msg_write() with dot_ends = 0.
	 *
	 * Relay it or queue it durably, then set *code: 250 only when one of
	 * those happened, 4xx/5xx otherwise, with the reason in text.  A code
	 * of 421 also ends the session after the reply.  Return 0, or -1
	 * for a failure: then *code is used only if it is 4xx or 5xx, and
	 * otherwise the reply is 451 4.3.0.
	 */
	int	(*message)(void *arg, struct envelope *env, int datafd,
		    off_t size, int *code, char *text, size_t textlen);
};

struct serve_params {
	const char	*hostname;	/* in the greeting; NULL: "localhost" */
	const char	*tmpdir;	/* scratch files; NULL: "/tmp" */
	off_t		 max_size;	/* message size limit; 0: SERVE_MAX_SIZE */
	unsigned	 timeout;	/* idle seconds; 0: SERVE_TIMEOUT */
};

/*
 * Run one SMTP session: greet at once, then read commands from in_fd and
 * write replies to out_fd until QUIT or the end of input.  Any number of
 * transactions; commands may be pipelined (RFC 2920), bytes read ahead
 * are never lost.  Nothing is printed anywhere else.  Replies are written
 * with write(2), so nothing may sit in stdio's buffer for out_fd, and the
 * caller ignores SIGPIPE (a client that went away is then ERR_IO).
 *
 * Returns 0 after QUIT or when the input ends between commands.  Returns
 * -1 with ERR_TEMP when the client was idle for the timeout (after
 * replying 421) or the input ended inside DATA (the partial message is
 * discarded, the handler is not called); ERR_USAGE after too many
 * protocol errors (after replying 421); ERR_IO when reading or writing
 * fails.  Whatever the return value, every message whose final dot got a
 * 250 was accepted by the handler.
 */
int	serve_run(int in_fd, int out_fd, const struct serve_params *p,
	    const struct serve_handler *h, struct err *e);

/*
 * The DATA decoder, exposed for tests and the fuzz target.
 *
 * Input lines end in LF or CRLF.  Each line is written out with a CRLF
 * ending; a line beginning with "." and holding more than that loses its
 * first "." (RFC 5321 4.5.2).  Other octets, NUL and CR not before LF
 * included, pass unchanged.  So the output promises: every LF is preceded
 * by CR, and it is empty or ends in CRLF.
 *
 * The end of data is a line of "." alone.  In strict mode (the client sent
 * DATA itself with CRLF) that line and the one before it must both end in
 * CRLF: "<CRLF>.<CRLF>" exactly, as Postfix's smtpd_forbid_bare_newline
 * requires, so that a "\n.\n" hidden in a body a client failed to
 * normalise is data, not the end of the message followed by smuggled
 * commands.  Such a "." line is kept as data.  In lenient mode (the client
 * sent DATA with a bare LF, so it speaks bare LF throughout) "." ending in
 * LF or CRLF ends the data after any line.
 *
 * Members are private.
 */
struct serve_data {
	int	state;
	int	strict;
	int	prev_crlf;
	int	done;		/* the end-of-data line has been read */
};

/* Worst-case output octets for n input octets. */
#define SERVE_DATA_OUTMAX(n)	(3 * (n) + 3)

void	serve_data_init(struct serve_data *d, int strict);
/*
 * Decode up to inlen octets into out (room for SERVE_DATA_OUTMAX(inlen)
 * octets), returning the number of octets written.  *used gets the number
 * of input octets consumed: inlen, or fewer when the end-of-data line was
 * reached (d->done is then set and the rest of the input is not data).
 */
size_t	serve_data_decode(struct serve_data *d, const char *in, size_t inlen,
	    size_t *used, char *out);

#endif
