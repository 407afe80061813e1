/*
 * fuzz_dkim.c -- libFuzzer target for the DKIM signer's view of a message:
 * any bytes as the header section (split into fields, From parsed for
 * sign = from-domain, h= built, the header laid out) and the body
 * (streamed through both canonicalizations).  Invariants: the signature
 * header fills exactly the octets head() reserved (dkim_msg_finish fails
 * otherwise), every line of it is within 78 columns, and canonicalizing
 * the body in one piece, octet by octet or in pieces of other sizes gives
 * the bytes a line-by-line reference canonicalizer gives; and
 * dkim_sign_file() on the same octets puts the header in front of them
 * unchanged, or leaves them alone.
 */
#include <sys/mman.h>
#include <sys/types.h>

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dkim.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIFmtpq2ofYkIOiSLqz9VaA3CdPeq7vcAeXMdqn763kOy\n"
    "-----END PRIVATE KEY-----\n";

static struct dkim *signers[4];

static void
setup(void)
{
	struct dkim_params	dp;
	struct err		e;
	char			path[] = "/tmp/fuzz_dkim.XXXXXX";
	int			fd, i;

	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, key_pem, sizeof(key_pem) - 1) != sizeof(key_pem) - 1)
		abort();
	close(fd);
	for (i = 0; i < 4; i++) {
		memset(&dp, 0, sizeof(dp));
		dp.domain = "example.com";
		dp.selector = "f";
		dp.key_file = path;
		dp.header_relaxed = i & 1;
		dp.body_relaxed = (i >> 1) & 1;
		dp.sign_always = i == 3 ? 0 : 1;
		if (dkim_load(&signers[i], &dp, 0, &e) == -1 ||
		    signers[i] == NULL)
			abort();
	}
	unlink(path);
}

static void
cap(void *arg, const char *p, size_t n)
{
	if (buf_add(arg, p, n) == -1)
		abort();
}

/*
 * The body canonicalized the obvious way (split into CRLF lines,
 * transform each, drop the trailing empty ones), to hold the streaming
 * one to.
 */
static void
ref_canon(const char *in, size_t n, int relaxed, struct buf *out)
{
	size_t	i = 0, j, k, keep = 0, before;
	int	wsp, nonempty = 0;

	while (i < n) {
		for (j = i; j < n && !(in[j] == '\r' && j + 1 < n &&
		    in[j + 1] == '\n'); j++)
			;
		before = out->len;
		for (k = i, wsp = 0; k < j; k++) {
			if (relaxed && (in[k] == ' ' || in[k] == '\t')) {
				wsp = 1;
				continue;
			}
			if (wsp && buf_addc(out, ' ') == -1)
				abort();
			wsp = 0;
			if (buf_addc(out, in[k]) == -1)
				abort();
		}
		if (out->len > before)
			nonempty = 1;
		if (buf_add(out, "\r\n", 2) == -1)
			abort();
		if (out->len > before + 2)
			keep = out->len;
		i = j < n ? j + 2 : n;
	}
	out->len = keep;
	if (!relaxed && !nonempty && buf_adds(out, "\r\n") == -1)
		abort();
}

/*
 * The body in one piece, octet by octet, and in pieces of pseudo-random
 * sizes (so spans end at block boundaries in every state), against the
 * reference.
 */
static void
body_check(const char *p, size_t n, int relaxed)
{
	static struct dkim_body	a, b, c;
	struct buf		oa, ob, oc, ref;
	size_t			i, k;
	uint32_t		x = (uint32_t)n;

	buf_init(&oa, 1 << 22);
	buf_init(&ob, 1 << 22);
	buf_init(&oc, 1 << 22);
	buf_init(&ref, 1 << 22);
	dkim_body_init(&a, relaxed, cap, &oa);
	dkim_body_init(&b, relaxed, cap, &ob);
	dkim_body_init(&c, relaxed, cap, &oc);
	dkim_body_update(&a, p, n);
	for (i = 0; i < n; i++)
		dkim_body_update(&b, p + i, 1);
	for (i = 0; i < n; i += k) {
		x = x * 1103515245 + 12345;
		k = 1 + (x >> 8) % 61;
		if (k > n - i)
			k = n - i;
		dkim_body_update(&c, p + i, k);
	}
	dkim_body_final(&a);
	dkim_body_final(&b);
	dkim_body_final(&c);
	ref_canon(p, n, relaxed, &ref);
	if (oa.len != ref.len || ob.len != ref.len || oc.len != ref.len ||
	    (ref.len > 0 && (memcmp(oa.data, ref.data, ref.len) != 0 ||
	    memcmp(ob.data, ref.data, ref.len) != 0 ||
	    memcmp(oc.data, ref.data, ref.len) != 0)))
		abort();
	buf_free(&oa);
	buf_free(&ob);
	buf_free(&oc);
	buf_free(&ref);
}

/*
 * dkim_sign_file() (the queue's DSN hook) on the same octets: when it
 * signs, the file is the signature header and then exactly the input.
 */
static void
sign_file_check(struct dkim *d, const char *p, size_t n)
{
	struct err	 e;
	char		*out;
	off_t		 len;
	size_t		 hl;
	int		 fd;

	if ((fd = memfd_create("fuzz_dkim_file", 0)) == -1 ||
	    (n > 0 && write(fd, p, n) != (ssize_t)n))
		abort();
	if (dkim_sign_file(d, fd, &e) == 0 &&
	    (len = lseek(fd, 0, SEEK_END)) > (off_t)n) {
		if ((out = malloc((size_t)len)) == NULL ||
		    pread(fd, out, (size_t)len, 0) != (ssize_t)len)
			abort();
		hl = (size_t)len - n;
		if (strncmp(out, "DKIM-Signature:", 15) != 0 ||
		    out[hl - 2] != '\r' || out[hl - 1] != '\n' ||
		    memcmp(out + hl, p, n) != 0)
			abort();
		free(out);
	} else if (lseek(fd, 0, SEEK_END) != (off_t)n)
		abort();	/* unsigned or failed: left as it was */
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_msg	*dm;
	struct err	 e;
	const char	*p = (const char *)data, *h, *q;
	size_t		 hn, col;
	long		 r;
	int		 fd;

	if (signers[0] == NULL)
		setup();
	if (size < 1)
		return 0;
	dm = dkim_msg_new(signers[data[0] & 3], 1700000000);
	if (dm == NULL)
		abort();
	p++;
	size--;
	h = memmem(p, size, "\r\n\r\n", 4);
	hn = h != NULL ? (size_t)(h - p) + 4 : size;
	if ((fd = memfd_create("fuzz_dkim", 0)) == -1)
		abort();
	if ((r = dkim_msg_head(dm, p, hn, &e)) > 0) {
		if (ftruncate(fd, r) == -1)
			abort();
		dkim_msg_body(dm, p + hn, size - hn);
		if (dkim_msg_finish(dm, fd, &e) == -1)
			abort();	/* did not fit its reservation */
		for (q = dkim_msg_header(dm), col = 0; *q != '\0'; q++) {
			if (*q == '\n')
				col = 0;
			else if (*q != '\r' && ++col > 78)
				abort();
		}
	}
	close(fd);
	dkim_msg_free(dm);
	body_check(p + hn, size - hn, data[0] & 4 ? 1 : 0);
	sign_file_check(signers[data[0] & 3], p, size);
	return 0;
}
