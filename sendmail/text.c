/*
 * text.c -- shared text helpers (see text.h).
 *
 * Everything here reads bytes that may come from a peer or a queue file;
 * every function is bounded by its length arguments.
 */
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#include <openssl/evp.h>

#include "text.h"

int
text_is_ctl(int c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

int
text_has_ctl(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (text_is_ctl(*s))
			return 1;
	return 0;
}

/*
 * Sixteen octets at a time where the compiler has vector types (GCC and
 * clang: SSE2 on x86-64, NEON on arm64, plain words elsewhere): a lane of
 * the comparison is all ones at a NUL, CR or LF, so a block without one
 * is taken whole and its octets OR-ed for the high bit; in the first block
 * with one, the lowest set octet of the mask (little-endian: the first in
 * memory) is the stop.  The octet loop does the tail, and everything on
 * other compilers or byte orders.
 */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LINE_RUN_VECTOR
typedef unsigned char	v16u8 __attribute__((vector_size(16)));
#endif

size_t
text_line_run(const char *p, size_t n, int *hi)
{
	const unsigned char	*s = (const unsigned char *)p;
	size_t			 i = 0, k;
	unsigned char		 or8 = 0;
#ifdef LINE_RUN_VECTOR
	v16u8			 x, m, acc = { 0 };
	uint64_t		 lo, up;

	for (; n - i >= 16; i += 16) {
		memcpy(&x, s + i, 16);
		m = (v16u8)((x == 0) | (x == '\r') | (x == '\n'));
		memcpy(&lo, &m, 8);
		memcpy(&up, (const unsigned char *)&m + 8, 8);
		if ((lo | up) != 0) {
			k = lo != 0 ? (size_t)__builtin_ctzll(lo) / 8 :
			    8 + (size_t)__builtin_ctzll(up) / 8;
			for (; k > 0; k--, i++)
				or8 |= s[i];
			n = i;	/* the stop: the octet loop ends here */
			break;
		}
		acc |= x;
	}
	memcpy(&lo, &acc, 8);
	memcpy(&up, (const unsigned char *)&acc + 8, 8);
	if ((lo | up) & 0x8080808080808080ULL)
		or8 = 0x80;
#endif
	for (; i < n && s[i] != '\0' && s[i] != '\r' && s[i] != '\n'; i++)
		or8 |= s[i];
	if (or8 & 0x80)
		*hi = 1;
	return i;
}

size_t
text_scrub(char *out, size_t outlen, const char *src, size_t n, char repl)
{
	size_t	i;

	if (outlen == 0)
		return 0;
	for (i = 0; src != NULL && i < n && i + 1 < outlen &&
	    src[i] != '\0'; i++)
		out[i] = text_is_ctl(src[i]) ? repl : src[i];
	out[i] = '\0';
	return i;
}

int
text_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t	n = 0;
	size_t		i;

	if (s == NULL || len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (n > (max - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	*out = n;
	return 0;
}

/* 1 to 3 digits at s; their count, or 0. */
static size_t
digits13(const char *s)
{
	size_t	i;

	for (i = 0; i < 4 && s[i] >= '0' && s[i] <= '9'; i++)
		;
	return i >= 1 && i <= 3 ? i : 0;
}

size_t
text_enhanced_len(const char *s, char cls)
{
	size_t	i, d;

	if (s == NULL || s[0] != cls || s[1] != '.')
		return 0;
	i = 2;
	if ((d = digits13(s + i)) == 0 || s[i + d] != '.')
		return 0;
	i += d + 1;
	if ((d = digits13(s + i)) == 0)
		return 0;
	i += d;
	return s[i] == ' ' || s[i] == '\0' ? i : 0;
}

const char *
text_enhanced_find(const char *msg, char cls, const char *dflt, char *out,
    size_t len)
{
	const char	*p;
	size_t		 n;

	for (p = msg; p != NULL && (p = strchr(p, cls)) != NULL; p++) {
		/* "NNN C.S.D" */
		if (p != msg && p[-1] != ' ')
			continue;
		if (p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9' ||
		    p[3] != ' ')
			continue;
		if ((n = text_enhanced_len(p + 4, cls)) > 0 && n < len) {
			memcpy(out, p + 4, n);
			out[n] = '\0';
			return out;
		}
	}
	return dflt;
}

void
text_date(time_t t, char *out, size_t len)
{
	static const char *const days[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char *const mons[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	struct tm	tm;
	long		off;
	char		sign = '+';

	if (localtime_r(&t, &tm) == NULL) {
		snprintf(out, len, "Thu, 1 Jan 1970 00:00:00 +0000");
		return;
	}
	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	snprintf(out, len, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday % 7], tm.tm_mday, mons[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign,
	    off / 60, off % 60);
}

int
text_b64_append(struct buf *out, const void *p, size_t n)
{
	size_t	need = 4 * ((n + 2) / 3);

	if (n > (size_t)1 << 30)
		return -1;
	/* Make room, then let OpenSSL write in place. */
	if (buf_reserve(out, need) == -1)
		return -1;
	EVP_EncodeBlock((unsigned char *)out->data + out->len, p, (int)n);
	out->len += need;
	out->data[out->len] = '\0';
	return 0;
}

#define QP_LINE_MAX	76	/* RFC 2045 6.7 (5), the soft break included */

void
text_qp_init(struct text_qp *q,
    void (*put)(void *arg, const char *p, size_t n), void *arg)
{
	q->put = put;
	q->arg = arg;
	q->col = 0;
	q->ws = -1;
}

static void
qp_token(struct text_qp *q, const char *t, size_t n)
{
	if (q->col + n > QP_LINE_MAX - 1) {
		q->put(q->arg, "=\r\n", 3);
		q->col = 0;
	}
	q->put(q->arg, t, n);
	q->col += n;
}

static void
qp_hex(struct text_qp *q, unsigned char c)
{
	static const char hexdig[] = "0123456789ABCDEF";
	char	t[3];

	t[0] = '=';
	t[1] = hexdig[c >> 4];
	t[2] = hexdig[c & 15];
	qp_token(q, t, 3);
}

/* A blank is literal unless it ends a line (RFC 2045 6.7 (3)). */
static void
qp_flush_ws(struct text_qp *q, int at_eol)
{
	char	c;

	if (q->ws == -1)
		return;
	c = (char)q->ws;
	q->ws = -1;
	if (at_eol)
		qp_hex(q, (unsigned char)c);
	else
		qp_token(q, &c, 1);
}

void
text_qp_feed(struct text_qp *q, const char *p, size_t n)
{
	unsigned char	c;
	size_t		i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (c == '\r')
			continue;
		if (c == '\n') {
			qp_flush_ws(q, 1);
			q->put(q->arg, "\r\n", 2);
			q->col = 0;
			continue;
		}
		qp_flush_ws(q, 0);
		if (c == ' ' || c == '\t')
			q->ws = c;
		else if (c >= 33 && c <= 126 && c != '=')
			qp_token(q, p + i, 1);
		else
			qp_hex(q, c);
	}
}

void
text_qp_finish(struct text_qp *q)
{
	qp_flush_ws(q, 1);
	if (q->col > 0)
		q->put(q->arg, "\r\n", 2);
	q->col = 0;
}
