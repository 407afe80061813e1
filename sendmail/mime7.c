/*
 * mime7.c -- 8-bit messages for servers without 8BITMIME (see mime7.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "mime7.h"
#include "text.h"

#define CHUNK		65536


/*
 * The header section (through its empty line) of fd into b: 0, 1 when it
 * has no end or is over BUF_LIMIT_HEADERS, -1 with ERR_IO.
 */
static int
read_headers(int fd, struct buf *b, struct err *e)
{
	char	chunk[4096];
	ssize_t	n;
	off_t	off = 0;
	char	*end;

	for (;;) {
		if (b->len >= 2 && memcmp(b->data, "\r\n", 2) == 0) {
			b->len = 2;	/* no header fields at all */
			return 0;
		}
		if (b->len > 0 && (end = memmem(b->data, b->len, "\r\n\r\n",
		    4)) != NULL) {
			b->len = (size_t)(end - b->data) + 4;
			return 0;
		}
		n = pread(fd, chunk, sizeof(chunk), off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return err_set(e, ERR_IO, "reading the spooled "
			    "message: %s", strerror(errno));
		if (n == 0 || buf_add(b, chunk, (size_t)n) == -1)
			return 1;
		off += n;
	}
}

/* The value of the first field `name` in the header section, or NULL. */
static const char *
field(const char *h, size_t n, const char *name)
{
	size_t	nl = strlen(name);
	const char *p = h, *end = h + n;

	while (p < end) {
		if ((size_t)(end - p) > nl && strncasecmp(p, name, nl) == 0 &&
		    p[nl] == ':') {
			/* Folding white space too: the value may start on a
			 * continuation line. */
			for (p += nl + 1; p < end && (*p == ' ' || *p == '\t' ||
			    *p == '\r' || *p == '\n'); p++)
				;
			return p;
		}
		if ((p = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		p++;
	}
	return NULL;
}

static int
starts(const char *v, const char *prefix)
{
	return v != NULL && strncasecmp(v, prefix, strlen(prefix)) == 0;
}

int
mime7_has_8bit(int fd, struct err *e)
{
	unsigned char	b[CHUNK];
	ssize_t		n, i;
	off_t		off = 0;

	while ((n = pread(fd, b, sizeof(b), off)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return err_set(e, ERR_IO, "reading the spooled "
			    "message: %s", strerror(errno));
		for (i = 0; i < n; i++)
			if (b[i] & 0x80)
				return 1;
		off += n;
	}
	return 0;
}

int
mime7_headers(const char *h, size_t n, const char **why)
{
	const char	*ct, *cte;
	size_t		 i;

	for (i = 0; i < n; i++)
		if ((unsigned char)h[i] & 0x80) {
			*why = "a header field has 8-bit octets";
			return MIME7_REFUSE;
		}
	ct = field(h, n, "content-type");
	cte = field(h, n, "content-transfer-encoding");
	if (ct != NULL && !starts(ct, "text/")) {
		*why = "the body is not a single text part";
		return MIME7_REFUSE;
	}
	if (cte != NULL && !starts(cte, "7bit") && !starts(cte, "8bit")) {
		*why = "the body's transfer encoding cannot be converted";
		return MIME7_REFUSE;
	}
	return MIME7_CONVERT;
}

int
mime7_classify(int fd, const char **why, struct err *e)
{
	struct buf	 h;
	int		 rc;

	*why = "";
	if ((rc = mime7_has_8bit(fd, e)) <= 0)
		return rc == 0 ? MIME7_CLEAN : -1;
	buf_init(&h, BUF_LIMIT_HEADERS);
	if ((rc = read_headers(fd, &h, e)) != 0) {
		buf_free(&h);
		if (rc == -1)
			return -1;
		*why = "its header section is too large or has no end";
		return MIME7_REFUSE;
	}
	rc = mime7_headers(h.data, h.len, why);
	buf_free(&h);
	return rc;
}

/* ---- the converter ---------------------------------------------------- */

struct qp {
	mime7_sink	 sink;
	void		*arg;
	struct err	*e;
	off_t		 size;
	struct text_qp	 enc;
	int		 failed;
	char		 out[CHUNK];
	size_t		 olen;
};

static void
put(struct qp *q, const char *p, size_t n)
{
	if (q->failed)
		return;
	if (q->olen + n > sizeof(q->out)) {
		if (q->sink(q->arg, q->out, q->olen, q->e) == -1) {
			q->failed = 1;
			return;
		}
		q->olen = 0;
	}
	memcpy(q->out + q->olen, p, n);
	q->olen += n;
	q->size += (off_t)n;
}

/* text_qp's output into the send buffer. */
static void
qp_put(void *arg, const char *p, size_t n)
{
	put(arg, p, n);
}

/* The header fields but Content-Transfer-Encoding, then the MIME ones. */
static void
headers(struct qp *q, const struct buf *h)
{
	const char	*p = h->data, *end = h->data + h->len - 2, *nl;
	int		 skip = 0;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl + 1 : end;
		if (*p != ' ' && *p != '\t')
			skip = strncasecmp(p, "content-transfer-encoding:",
			    26) == 0;
		if (!skip)
			put(q, p, (size_t)(nl - p));
		p = nl;
	}
	if (field(h->data, h->len, "mime-version") == NULL)
		put(q, "MIME-Version: 1.0\r\n", 19);
	if (field(h->data, h->len, "content-type") == NULL)
		put(q, "Content-Type: text/plain; charset=UTF-8\r\n", 41);
	put(q, "Content-Transfer-Encoding: quoted-printable\r\n\r\n", 47);
}

int
mime7_convert(int fd, mime7_sink sink, void *arg, off_t *size,
    struct err *e)
{
	struct qp	*q;
	struct buf	 h;
	unsigned char	 in[CHUNK];
	off_t		 off;
	ssize_t		 n;
	int		 rc = -1;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	q->sink = sink;
	q->arg = arg;
	q->e = e;
	text_qp_init(&q->enc, qp_put, q);
	buf_init(&h, BUF_LIMIT_HEADERS);
	if ((n = read_headers(fd, &h, e)) != 0) {
		if (n == 1)
			err_set(e, ERR_SOFTWARE, "mime7: not convertible");
		goto out;
	}
	headers(q, &h);
	for (off = (off_t)h.len; !q->failed; off += n) {
		n = pread(fd, in, sizeof(in), off);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n == -1) {
			err_set(e, ERR_IO, "reading the spooled message: %s",
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		text_qp_feed(&q->enc, (const char *)in, (size_t)n);
	}
	text_qp_finish(&q->enc);
	if (!q->failed && q->olen > 0 &&
	    sink(arg, q->out, q->olen, e) == -1)
		q->failed = 1;
	if (!q->failed) {
		*size = q->size;
		rc = 0;
	}
out:
	buf_free(&h);
	free(q);
	return rc;
}
