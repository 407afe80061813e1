/*
 * dns.c -- TXT lookups: res_query() for the transport, our own parser for
 * the answer (see dns.h; the parser is fuzzed by fuzz/fuzz_dns.c).
 */
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/nameser.h>

#include <netdb.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

#define DNS_ANSWER_MAX	65536
#define DNS_TYPE_TXT	16
#define DNS_CLASS_IN	1

void
dns_txt_init(struct dns_txt *t)
{
	memset(t, 0, sizeof(*t));
	buf_init(&t->data, 4 * DNS_ANSWER_MAX);
}

void
dns_txt_free(struct dns_txt *t)
{
	buf_free(&t->data);
	t->n = 0;
}

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* Skip a possibly compressed name at *pos.  -1 when it runs off. */
static int
skip_name(const unsigned char *m, size_t len, size_t *pos)
{
	size_t	p = *pos, labels = 0;

	for (;;) {
		if (p >= len || ++labels > 128)
			return -1;
		if ((m[p] & 0xc0) == 0xc0) {
			if (p + 2 > len)
				return -1;
			*pos = p + 2;
			return 0;
		}
		if ((m[p] & 0xc0) != 0)
			return -1;	/* 0x40 and 0x80: reserved */
		if (m[p] == 0) {
			*pos = p + 1;
			return 0;
		}
		p += 1 + (size_t)m[p];
	}
}

/* One TXT RDATA: <length><octets> strings, joined into t. */
static int
add_txt(const unsigned char *r, size_t n, struct dns_txt *t, struct err *e)
{
	size_t	i = 0, k, start = t->data.len;

	if (t->n == DNS_TXT_MAX)
		return 0;	/* enough: ignore the rest */
	/* Allocated even for an empty record: data is never NULL then. */
	if (buf_reserve(&t->data, 1) == -1)
		return err_set(e, ERR_DATA, "DNS: answer too large");
	while (i < n) {
		k = r[i++];
		if (k > n - i)
			return err_set(e, ERR_DATA, "DNS: TXT string runs "
			    "past its record");
		if (buf_add(&t->data, r + i, k) == -1)
			return err_set(e, ERR_DATA, "DNS: answer too large");
		i += k;
	}
	t->off[t->n] = start;
	t->len[t->n] = t->data.len - start;
	t->n++;
	return 0;
}

int
dns_parse_txt(const unsigned char *m, size_t len, struct dns_txt *t,
    struct err *e)
{
	size_t		pos = 12, i, rdlen;
	unsigned	qd, an, rcode, type, cls;

	t->n = 0;
	buf_reset(&t->data);
	if (len < 12)
		return err_set(e, ERR_DATA, "DNS: answer shorter than a "
		    "header");
	if ((m[2] & 0x80) == 0)
		return err_set(e, ERR_DATA, "DNS: not a response");
	rcode = m[3] & 0x0f;
	qd = get16(m + 4);
	an = get16(m + 6);
	if (rcode == 3) {
		t->status = DNS_NXDOMAIN;
		return 0;
	}
	if (rcode != 0)
		return err_set(e, ERR_TEMP, "DNS: server answered rcode %u",
		    rcode);
	for (i = 0; i < qd; i++) {
		if (skip_name(m, len, &pos) == -1 || pos + 4 > len)
			return err_set(e, ERR_DATA, "DNS: bad question");
		pos += 4;
	}
	for (i = 0; i < an; i++) {
		if (skip_name(m, len, &pos) == -1 || pos + 10 > len)
			return err_set(e, ERR_DATA, "DNS: bad answer record");
		type = get16(m + pos);
		cls = get16(m + pos + 2);
		rdlen = get16(m + pos + 8);
		pos += 10;
		if (rdlen > len - pos)
			return err_set(e, ERR_DATA, "DNS: record runs past "
			    "the answer");
		if (type == DNS_TYPE_TXT && cls == DNS_CLASS_IN &&
		    add_txt(m + pos, rdlen, t, e) == -1)
			return -1;
		pos += rdlen;
	}
	t->status = t->n > 0 ? DNS_FOUND : DNS_NODATA;
	return 0;
}

int
dns_txt(const char *name, struct dns_txt *t, struct err *e)
{
	unsigned char	*ans;
	int		 n, rc;

	t->n = 0;
	buf_reset(&t->data);
	if ((ans = malloc(DNS_ANSWER_MAX)) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	n = res_query(name, DNS_CLASS_IN, DNS_TYPE_TXT, ans, DNS_ANSWER_MAX);
	if (n < 0) {
		free(ans);
		switch (h_errno) {
		case HOST_NOT_FOUND:
			t->status = DNS_NXDOMAIN;
			return 0;
		case NO_DATA:
			t->status = DNS_NODATA;
			return 0;
		default:
			return err_set(e, ERR_TEMP, "%s: no answer from the "
			    "DNS (%s)", name, hstrerror(h_errno));
		}
	}
	if (n > DNS_ANSWER_MAX)
		n = DNS_ANSWER_MAX;
	rc = dns_parse_txt(ans, (size_t)n, t, e);
	free(ans);
	return rc;
}
