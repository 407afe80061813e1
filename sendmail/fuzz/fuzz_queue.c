/*
 * fuzz_queue.c -- libFuzzer target for the queue control file parser.
 *
 * Queue files are untrusted input (a crash, a full disk or anyone in the
 * queue's group may have written them).  The parser must never crash, and
 * whatever it accepts must hold the invariants the runner relies on: a
 * valid id, an owner that is a uid or -1 (not recorded),
 * 1..QUEUE_RCPT_MAX recipients each with a known state, no
 * control octet in any string; it can be written back, the written form
 * is a fixed point of parse and format, and a truncated copy of the
 * input is refused (END is mandatory).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "envelope.h"
#include "err.h"
#include "queue.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_text(const char *s)
{
	if (s == NULL)
		return;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_entry	qe, again;
	struct buf		out, out2;
	struct err		e;
	size_t			i;

	if (queue_ctl_parse((const char *)data, size, &qe, &e) == -1) {
		/* A refusal leaves an empty entry and a one-line reason. */
		if (qe.env.nrcpts != 0 || qe.env.sender != NULL ||
		    e.cls == ERR_OK || strchr(e.msg, '\n') != NULL)
			abort();
		queue_entry_free(&qe);
		return 0;
	}
	if (!queue_id_valid(qe.id) || qe.env.sender == NULL ||
	    qe.env.nrcpts == 0 || qe.env.nrcpts > QUEUE_RCPT_MAX ||
	    qe.created < 0 || qe.next_attempt < 0 || qe.size < 0 ||
	    qe.owner < -1 || qe.owner >= 4294967295LL)
		abort();
	check_text(qe.env.sender);
	check_text(qe.last_error);
	check_text(qe.env.dsn_notify);
	check_text(qe.env.dsn_ret);
	check_text(qe.env.dsn_envid);
	for (i = 0; i < qe.env.nrcpts; i++) {
		if (qe.env.rcpts[i].addr == NULL ||
		    qe.env.rcpts[i].addr[0] == '\0' ||
		    (unsigned)qe.env.rcpts[i].state > RCPT_FAILED)
			abort();
		check_text(qe.env.rcpts[i].addr);
		check_text(qe.env.rcpts[i].reply);
	}
	/*
	 * What was accepted can be written back, and the written form is a
	 * fixed point: parsing and formatting it again gives the same octets.
	 */
	buf_init(&out, QUEUE_CTL_MAX);
	buf_init(&out2, QUEUE_CTL_MAX);
	if (queue_ctl_format(&qe, &out, &e) == -1)
		abort();
	if (queue_ctl_parse(out.data, out.len, &again, &e) == -1)
		abort();
	if (queue_ctl_format(&again, &out2, &e) == -1)
		abort();
	if (out.len != out2.len || memcmp(out.data, out2.data, out.len) != 0)
		abort();
	if (again.env.nrcpts != qe.env.nrcpts)
		abort();
	queue_entry_free(&again);
	buf_free(&out2);
	/* A truncated copy is always refused. */
	if (size > 0 && queue_ctl_parse((const char *)data, size - 1 -
	    (size > 8 ? data[0] % 8 : 0), &again, &e) != -1)
		abort();
	queue_entry_free(&again);
	buf_free(&out);
	queue_entry_free(&qe);
	return 0;
}
