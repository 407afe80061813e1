/*
 * test_dkim.c -- unit tests for dkim.c: body and header canonicalization
 * (RFC 6376 3.4.5 and more; expected values computed with python3-dkim's
 * own canonicalization, an independent implementation), h= selection and
 * over-signing, folding, key checks, and known-answer signatures for RSA
 * and Ed25519 that python3-dkim verified (sendmail/tests/dkim-kat.py
 * regenerates and re-verifies them).
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "buf.h"
#include "config.h"
#include "dkim.h"
#include "mime7.h"
#include "msg.h"
#include "params.h"

/* Test keys, made for these tests only. */
static const char rsa_pem[] =
"-----BEGIN PRIVATE KEY-----\n"
"MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCLzyl/VB1JCvoy\n"
"kuW1tvEgyNnu3kjZK8nyfZ4SrbcOO8RRx1fOdJw/aVgCwZdt7HsvcJ8iXgvecjwx\n"
"bN8dnA72Svj7va+df6APVDtno06mAOG4CqvKD90soSN/exHnkmaK68z4nORA6jxT\n"
"6lhMZMxoBFVZJkHWkrlMs/plFgHP1Hn3BrUT0bcg0PetFYWBn1LNhY66LyjCiwrw\n"
"dIqHpWbvcFqXcxhU8U6vugIyEbrEoOrcM2oj19SvnmumZPLLdu6QiGNjiwu8jH+t\n"
"WsVLh2/mQF3s+3OP/ggk16lYUueeK/M1lW81DAJiLUEyaP6PyYsM0LK0W00T3ZTI\n"
"nYspjtMtAgMBAAECggEAA/rKIhs5WC5tT8o5qrIB7B57gZ6nMTNbZMEpojt6pfeS\n"
"j4demvxbxDxR6oYrMtBT81Y/2WEW8maLCxcfxL5/+IfKzZOpL5EF89nAdSNDZltJ\n"
"EY2QNUi9UXtmwMa2jEJxE8xBgeQpZSWlwPe/OrF11hIlgcuifSKhDqti2cTGGW3W\n"
"o1yLRGib4xsiy6zGXp5W6VAvUZT8m8FLqtuOn049a9+pz88uL8y5jMxJD2W/u2t9\n"
"hsvMwD5vRXaO+8/y49k58CWOExSkfWyLjp3YayxH9UdR0Eu7VPyEQEjzyjFbV1aN\n"
"rDlVONpn7xXavNB9iVYnF03s7QTSbFUO+2WXgixJQQKBgQDALvO0+5Mr8PFebyvk\n"
"sV+tL9u6oXk+h8bsih4IodnEFAHcBeFg6c/SHK+WB1qkXUWOp9Mzv25kR5hcO3mv\n"
"2yE7ZgvK+tLjNCa2lGgbOuN8NrM4l505wHTWOgbtS7BgO2MBwmJFL8sVjn4wlXNz\n"
"M9mHrUQznp1Pz97YENtXSiqWDQKBgQC6PAHl0ml0puqFk1Pn2Aq9v0Vte0R4KM1k\n"
"bxb5KwvT+CtdOdAE0XJnTQISMDsD2s3igxmrpem+6kbodmMIyBxeGgUtE+Hdu+wQ\n"
"+6m486hk0pM9ZrikVroVm1UDQEgFnAYTuBZ9osZFnXBgLru5FHvtfbyhz7i2xw0I\n"
"0TRSO4AJoQKBgAfqJxk9/xqhKp+T/n/FmkYcoXT3L3IWz2dwbLo4SCqeFFGGYHjI\n"
"SEnD6qtIFECOos20Nat858Pzet/ZhzJp2N2EX1n1qHe47xs3023DqBi2e/0JqWz2\n"
"cxlbfGuLYXElIPeylK96v2dc3e+MSBvnd77xsMxbbOkbi3bkgtP+dvCFAoGAQf9s\n"
"CL8FYjKY39dzH7FfNRkoiIDrpc2H5DS+JnULzwWekH4hauOysEsJFdsDvvz2g3RE\n"
"T6EPcfniQRVbSUxpSSvdc7kdDRBAu1AEOKgYoApD5bmWa57UeT2/5dQM8ff1610M\n"
"k19w9lCx91P4cMGCnYo2o/1SD2wBAYPqD85INKECgYA/sPb6H/Q2EgFUjhmTfEMv\n"
"LV3DiDNUE+HOFXv2+CYTcVgLYLyKxR2pM6egSoUWwVnZNva4FQkkNTj6e+i8T1Bo\n"
"g++oLVK0msXjrGJe+W39I8zA8wdqY+sjeWYCnbbmN7wSEazsbv3paiyDJNLWqb/j\n"
"pLAXB4/cY/xyb8PkpHigCg==\n"
"-----END PRIVATE KEY-----\n"
;

static const char ed_pem[] =
"-----BEGIN PRIVATE KEY-----\n"
"MC4CAQAwBQYDK2VwBCIEIFmtpq2ofYkIOiSLqz9VaA3CdPeq7vcAeXMdqn763kOy\n"
"-----END PRIVATE KEY-----\n"
;

static const char small_pem[] =
"-----BEGIN PRIVATE KEY-----\n"
"MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAKfUGX875WSUrukK\n"
"YCwGebE1NR5BmtN8fBWkSGSEuJRMJruMnlgad02H707VN7cUJN8BSG3WrZOO4a72\n"
"0VBOWNm4Y+3WWs4ZSH1tttwr7IMbrSiP7lHSGsaBGAXik5r9DI1KVeQs0xchYmqz\n"
"eqVHYyY99FBHHDymAARA7CSQ/JMXAgMBAAECgYEAoHDHnzbnaWwqemaM4gmetKYl\n"
"DbOyC5PqG9ZdzpqCymKydIFNrvQ+MUROppJ3HPKI/RgA4eBlN7dUUStrltYPYSeZ\n"
"qToqAoj1vPZnN4cP0s74hdBZ4rGp7AQCfyVzXjCbfbxGl4TeV+tqISnV72dgnSbK\n"
"THSJJy6pOHjEBAlzYSECQQDYFVuRBNMVqOd+Q+F8xE80mi83FJnhcQ6BLo75feeE\n"
"EqNnBGdhQjW5N1BKE7wOPJfIU+pDqqQU8yZZoycIgR1DAkEAxtTBGQvKhmSCfDBR\n"
"yi0+14RiMR5q1Grmo2SrwG0k7zhSn3SlEdJ/23PMzzKat2jtppzOS2ahT8DabiwX\n"
"J6lLnQJAXnxQUsRKTNFTkFm8UqNAgx7cgHhIpVSbZA9ow12zi4Pe4aACWHvsI/Y0\n"
"7H9entcOA7H14OrP3r1HyrBV1BkpIwJARXd1k3uUIYoiMKNtH/bY2tFMwR6AcoB6\n"
"3iFBBHTdj5qc+0r0lRp3Q0PdDZL/jQ7i4PAt/xf3Sfb2GcHbwSab3QJAYEvB3U8t\n"
"alGAw6IpUbCbeyH/gva/C6tZIEJYN9uQ9cRR5pQdr02LJy91UpkRhDxgqkfc+7md\n"
"zIMvobNBwG0HZw==\n"
"-----END PRIVATE KEY-----\n"
;

static const char ec_pem[] =
"-----BEGIN PRIVATE KEY-----\n"
"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgxPorX7bAEOonUvpQ\n"
"k3e8ZYNPAfjBB2akCkshOTRERpahRANCAATPEaOh9zVRNgw0Oi+3CKDTHRBbGjjB\n"
"/G3JjheLn0w/eujA0kkuF/PeLczQ9MESG7spbcV3xxW1csc0Sd7OTOId\n"
"-----END PRIVATE KEY-----\n"
;

/* Body canonicalization: python3-dkim's canonicalize_body and SHA-256. */
struct bcase {
	const char	*in;
	const char	*simple, *relaxed;
	const char	*bh_simple, *bh_relaxed;
};

static const struct bcase bcases[] = {
	{ "", "\r\n", "", "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=",
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
	{ "\r\n", "\r\n", "", "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=",
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
	{ "\r\n\r\n", "\r\n", "", "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=",
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
	{ "a", "a\r\n", "a\r\n", "jkYhN5eG70Kk/sFVzVJcKR3X2zwf3jR4Ui9PYcA/0b0=",
	    "jkYhN5eG70Kk/sFVzVJcKR3X2zwf3jR4Ui9PYcA/0b0=" },
	{ "a\r\n", "a\r\n", "a\r\n",
	    "jkYhN5eG70Kk/sFVzVJcKR3X2zwf3jR4Ui9PYcA/0b0=",
	    "jkYhN5eG70Kk/sFVzVJcKR3X2zwf3jR4Ui9PYcA/0b0=" },
	/* RFC 6376 3.4.5 */
	{ " C \r\nD \t E\r\n\r\n\r\n", " C \r\nD \t E\r\n", " C\r\nD E\r\n",
	    "NOeivbQlDH9TmNKJUw7D53wZfsk8YMZ/hTuVVwTgi8s=",
	    "unak6JHq0wL+Q1HP7dW1tjBx9FLA6DffoZ0qrLwbbpo=" },
	{ "x  \r\n \r\n\t\r\n", "x  \r\n \r\n\t\r\n", "x\r\n",
	    "yNOOOp4poZgq1so2RTwdJY8dX2hLJQTZrqs8zrdXlBQ=",
	    "s14J+iztnrytnRYzb7lhFG/jS/vrxWJnnahfijFMnco=" },
	{ "line\r\n\r\nnext\r\n\r\n", "line\r\n\r\nnext\r\n",
	    "line\r\n\r\nnext\r\n",
	    "LL7Df0zZJdE5xPftRDOuSOtPfqa7x07NGv6Zh3dKCQ8=",
	    "LL7Df0zZJdE5xPftRDOuSOtPfqa7x07NGv6Zh3dKCQ8=" },
	{ "a\rb\r\n", "a\rb\r\n", "a\rb\r\n",
	    "LyKRrVaOri6zT8fJNyWWbX0dJvvNQVCly5aCYrYNasE=",
	    "LyKRrVaOri6zT8fJNyWWbX0dJvvNQVCly5aCYrYNasE=" },
	{ "  \r\n", "  \r\n", "", "kiExZrYGcSsjjbKRQOqqyHvid7aTsCAia9W8eEeIONU=",
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
	{ "\t lead  x\t\ty \r\n", "\t lead  x\t\ty \r\n", " lead x y\r\n",
	    "0F37kxFZkXSx9z2XTvmj5qm9XZqQ+tRuZ0yMu1CrueA=",
	    "5LxZ3UN8aPTu/Mi3iyur9ImeziotDsV4w8p8IWsafxw=" },
};

static void
cap_emit(void *arg, const char *p, size_t n)
{
	assert_int_equal(buf_add(arg, p, n), 0);
}

static void
md_emit(void *arg, const char *p, size_t n)
{
	EVP_DigestUpdate(arg, p, n);
}

/* Canonicalize in chunks of step octets (0: all at once). */
static void
canon(const char *in, int relaxed, size_t step, struct buf *out)
{
	static struct dkim_body	b;
	size_t			n = strlen(in), i, k;

	buf_reset(out);
	dkim_body_init(&b, relaxed, cap_emit, out);
	for (i = 0; i < n; i += k) {
		k = step == 0 || n - i < step ? n - i : step;
		dkim_body_update(&b, in + i, k);
	}
	dkim_body_final(&b);
}

static void
bh(const char *in, int relaxed, char *out)
{
	static struct dkim_body	b;
	EVP_MD_CTX		*md = EVP_MD_CTX_new();
	unsigned char		 dg[32];

	assert_non_null(md);
	assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	dkim_body_init(&b, relaxed, md_emit, md);
	dkim_body_update(&b, in, strlen(in));
	dkim_body_final(&b);
	assert_int_equal(EVP_DigestFinal_ex(md, dg, NULL), 1);
	EVP_EncodeBlock((unsigned char *)out, dg, 32);
	EVP_MD_CTX_free(md);
}

static void
test_body_canon(void **state)
{
	struct buf	out;
	char		h[64];
	size_t		i, step;

	(void)state;
	buf_init(&out, 1 << 20);
	for (i = 0; i < sizeof(bcases) / sizeof(bcases[0]); i++) {
		for (step = 0; step < 4; step++) {
			canon(bcases[i].in, 0, step, &out);
			assert_int_equal(out.len, strlen(bcases[i].simple));
			assert_memory_equal(out.data, bcases[i].simple, out.len);
			canon(bcases[i].in, 1, step, &out);
			assert_int_equal(out.len, strlen(bcases[i].relaxed));
			assert_memory_equal(out.data, bcases[i].relaxed,
			    out.len);
		}
		bh(bcases[i].in, 0, h);
		assert_string_equal(h, bcases[i].bh_simple);
		bh(bcases[i].in, 1, h);
		assert_string_equal(h, bcases[i].bh_relaxed);
	}
	buf_free(&out);
}

/*
 * A reference canonicalizer, written the obvious way (split into CRLF
 * lines, transform each, drop trailing empty lines), against the
 * streaming one on random bodies cut into random pieces.
 */
static void
ref_canon(const char *in, size_t n, int relaxed, struct buf *out)
{
	size_t	i = 0, j, k, keep = 0, nonempty = 0, before;
	int	wsp;

	buf_reset(out);
	while (i < n) {
		for (j = i; j < n && !(in[j] == '\r' && j + 1 < n &&
		    in[j + 1] == '\n'); j++)
			;
		/* the line is in[i, j) */
		before = out->len;
		if (relaxed) {
			wsp = 0;
			for (k = i; k < j; k++) {
				if (in[k] == ' ' || in[k] == '\t') {
					wsp = 1;
					continue;
				}
				if (wsp)
					buf_addc(out, ' ');
				wsp = 0;
				buf_addc(out, in[k]);
			}
		} else
			buf_add(out, in + i, j - i);
		if (out->len > before) {
			nonempty = 1;
			buf_add(out, "\r\n", 2);
			keep = out->len;
		} else
			buf_add(out, "\r\n", 2);
		i = j < n ? j + 2 : n;
	}
	out->len = keep;	/* trailing empty lines go */
	if (!relaxed && !nonempty)
		buf_adds(out, "\r\n");
}

/*
 * Canonicalize in[0, n) fed in pieces of 1 to max octets and compare with
 * ref_canon(); on a difference, say where it starts (and the input, when
 * it is short enough to read).
 */
static void
body_compare(struct dkim_body *b, const char *in, size_t n, int rel,
    size_t max, struct buf *got, struct buf *want)
{
	size_t	i, k;

	ref_canon(in, n, rel, want);
	buf_reset(got);
	dkim_body_init(b, rel, cap_emit, got);
	for (i = 0; i < n; i += k) {
		k = 1 + (size_t)random() % max;
		if (k > n - i)
			k = n - i;
		dkim_body_update(b, in + i, k);
	}
	dkim_body_final(b);
	if (got->len != want->len || memcmp(got->data, want->data,
	    got->len) != 0) {
		for (i = 0; i < got->len && i < want->len &&
		    got->data[i] == want->data[i]; i++)
			;
		fprintf(stderr, "relaxed=%d n=%zu max=%zu: output differs "
		    "at %zu (got %zu, want %zu octets)\n", rel, n, max, i,
		    got->len, want->len);
		if (n <= 300) {
			fprintf(stderr, "in=");
			for (i = 0; i < n; i++)
				fprintf(stderr, "%02x", (unsigned char)in[i]);
			fprintf(stderr, "\n");
		}
	}
	assert_int_equal(got->len, want->len);
	assert_memory_equal(got->data, want->data, got->len);
}

/*
 * A long body that is mostly canonical already (words, single spaces,
 * CRLF after content), with one octet sequence in about rare that is
 * not: blanks to fold or drop, empty lines to hold, bare CR and LF, a
 * control.  Now and then a line is longer than the canonicalizer's
 * buffer, so spans that long are cut by the pieces too.
 */
static void
long_body(char *in, size_t n, long rare)
{
	static const char *const odd[] = {
		"\t", "  ", " \t ", "\t ", " \r\n", "\t\r\n", "   \r\n",
		"\r\n\r\n", "\r\n\r\n\r\n", "\r\n \r\n", "\r\n\t\r\n", "\r",
		"\n", "\001", " \r", "\r\r\n", " \n", "\r\n ", "\r\n\r\n\t x",
	};
	static const char	 word[] = "abcdefghij!~\"\177\200\377";
	size_t			 i = 0, k, len;
	long			 r;
	int			 bol = 1;

	while (i < n) {
		r = random();
		if (r % rare == 0) {
			k = (size_t)(r / rare) % (sizeof(odd) / sizeof(odd[0]));
			len = strlen(odd[k]);
			if (len > n - i)
				len = n - i;
			memcpy(in + i, odd[k], len);
			i += len;
			bol = in[i - 1] == '\n';
			continue;
		}
		if (!bol && r % 13 == 1 && n - i >= 2) {
			memcpy(in + i, "\r\n", 2);
			i += 2;
			bol = 1;
			continue;
		}
		/* One word (rarely a very long one), a space before it. */
		len = r % 20011 == 2 ? 16384 + (size_t)(r / 20011) % 50000 :
		    1 + (size_t)(r / 13) % 12;
		if (!bol)
			in[i++] = ' ';
		for (k = 0; k < len && i < n; k++)
			in[i++] = word[(size_t)random() % (sizeof(word) - 1)];
		bol = 0;
	}
}

static void
test_body_random(void **state)
{
	static const char	alpha[] = "ab  \t\r\n\r\n.";
	/* Octets next to the canonicalizer's 0x21 boundary, and 8-bit. */
	static const char	alpha2[] = "a!  \t\r\n\001\037\"\177\200\377";
	/* Pieces from the spool writer's blocks down to single octets. */
	static const size_t	maxes[] = { 3, 64, 4096, 70000 };
	static const long	rares[] = { 8, 300, 20000 };
	const char		*al;
	size_t			 aln;
	struct dkim_body	*b = malloc(sizeof(*b));
	struct buf		 got, want;
	char			 in[300], *big;
	size_t			 n, i, round;
	int			 rel;

	(void)state;
	assert_non_null(b);
	assert_non_null(big = malloc(200 * 1024));
	buf_init(&got, 1 << 20);
	buf_init(&want, 1 << 20);
	srandom(6376);
	for (round = 0; round < 20000; round++) {
		n = (size_t)random() % sizeof(in);
		al = round & 2 ? alpha2 : alpha;
		aln = round & 2 ? sizeof(alpha2) - 1 : sizeof(alpha) - 1;
		for (i = 0; i < n; i++)
			in[i] = al[random() % aln];
		rel = (int)(round & 1);
		body_compare(b, in, n, rel, 40, &got, &want);
	}
	/* Bodies longer than any buffer, in pieces of every size. */
	for (round = 0; round < 96; round++) {
		n = round % 4 == 0 ? 200 * 1024 :
		    (size_t)random() % (200 * 1024);
		long_body(big, n, rares[round / 8 % 3]);
		/* Its end from alpha: what is held at the end shows. */
		for (i = n - (size_t)random() % (n < 40 ? n + 1 : 40); i < n;
		    i++)
			big[i] = alpha[random() % (sizeof(alpha) - 1)];
		body_compare(b, big, n, (int)(round & 1),
		    maxes[round / 2 % 4], &got, &want);
	}
	buf_free(&got);
	buf_free(&want);
	free(big);
	free(b);
}

/* A million trailing empty lines are counted, not held. */
static void
test_body_many_empty(void **state)
{
	struct buf	 out;
	static struct dkim_body b;
	size_t		 i;

	(void)state;
	buf_init(&out, 4 << 20);
	dkim_body_init(&b, 1, cap_emit, &out);
	dkim_body_update(&b, "x\r\n", 3);
	for (i = 0; i < 1000000; i++)
		dkim_body_update(&b, "\r\n", 2);
	assert_true(out.len <= 3);
	dkim_body_update(&b, "y", 1);	/* the empty lines were body */
	dkim_body_final(&b);
	assert_int_equal(out.len, 3 + 2000000 + 3);
	buf_free(&out);
}

/* Header canonicalization (RFC 6376 3.4.5 and 3.4.2). */
struct hcase {
	const char	*in, *simple, *relaxed;
};

static const struct hcase hcases[] = {
	{ "A: X\r\n", "A: X\r\n", "a:X\r\n" },
	{ "B : Y\t\r\n\tZ  \r\n", "B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n" },
	{ "Subject:  a \t b  \r\n", "Subject:  a \t b  \r\n", "subject:a b\r\n" },
	{ "X-Empty:\r\n", "X-Empty:\r\n", "x-empty:\r\n" },
	{ "X-Blank: \r\n \r\n", "X-Blank: \r\n \r\n", "x-blank:\r\n" },
	{ "To: a@b", "To: a@b\r\n", "to:a@b\r\n" },
};

static void
test_header_canon(void **state)
{
	struct buf	out;
	size_t		i;

	(void)state;
	buf_init(&out, 4096);
	for (i = 0; i < sizeof(hcases) / sizeof(hcases[0]); i++) {
		buf_reset(&out);
		assert_int_equal(dkim_canon_header(0, hcases[i].in,
		    strlen(hcases[i].in), &out), 0);
		assert_string_equal(buf_str(&out), hcases[i].simple);
		buf_reset(&out);
		assert_int_equal(dkim_canon_header(1, hcases[i].in,
		    strlen(hcases[i].in), &out), 0);
		assert_string_equal(buf_str(&out), hcases[i].relaxed);
	}
	buf_free(&out);
}

/* Keys. */

static char	 tmpdir[] = "/tmp/test_dkim.XXXXXX";

static const char *
key_file(const char *name, const char *pem, mode_t mode)
{
	static char	path[256];
	int		fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, pem, strlen(pem)), (ssize_t)strlen(pem));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static void
conf(struct config *c, const char *key, int hrel, int brel, int always)
{
	config_defaults(c);
	c->dkim_domain = strdup("example.com");
	c->dkim_selector = strdup("kat");
	c->dkim_key_file = strdup(key);
	c->dkim_header_relaxed = hrel;
	c->dkim_body_relaxed = brel;
	c->dkim_sign_always = always;
}

struct kcase {
	const char	*name;
	const char	*pem;
	mode_t		 mode;
	const char	*err;	/* NULL: loads */
	int		 priv;	/* loaded as a privileged (set-gid) run */
};


/* dkim_load() from a parsed configuration, as main.c does it. */
static int
load_priv(struct dkim **dp, const struct config *c, int priv, struct err *e)
{
	struct dkim_params	p;

	params_dkim(c, &p);
	return dkim_load(dp, &p, priv, e);
}

static int
load_cfg(struct dkim **dp, const struct config *c, struct err *e)
{
	return load_priv(dp, c, 0, e);
}

static void
test_key_load(void **state)
{
	const struct kcase kc[] = {
		{ "rsa", rsa_pem, 0600, NULL, 0 },
		{ "ed", ed_pem, 0640, NULL, 0 },
		{ "small", small_pem, 0600, "1024 bits", 0 },
		{ "ec", ec_pem, 0600, "neither an RSA nor an Ed25519", 0 },
		{ "junk", "hello\n", 0600, "not an unencrypted PEM", 0 },
		/* Checked like password_file: others may read it only
		 * when not privileged (container secrets are 0444/0644). */
		{ "open", rsa_pem, 0644, NULL, 0 },
		{ "openx", ed_pem, 0444, NULL, 0 },
		{ "popen", rsa_pem, 0604, "accessible by others", 1 },
		{ "popenx", ed_pem, 0601, "accessible by others", 1 },
		{ "pgw", ed_pem, 0660, "writable by group", 1 },
		{ "pok", ed_pem, 0640, NULL, 1 },
	};
	struct config	 c;
	struct dkim	*d;
	struct err	 e;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(kc) / sizeof(kc[0]); i++) {
		/* A privileged run wants a key owned by root. */
		if (kc[i].priv && geteuid() != 0)
			continue;
		conf(&c, key_file(kc[i].name, kc[i].pem, kc[i].mode), 1, 1, 0);
		if (kc[i].err == NULL) {
			assert_int_equal(load_priv(&d, &c, kc[i].priv, &e), 0);
			assert_non_null(d);
		} else {
			assert_int_equal(load_priv(&d, &c, kc[i].priv, &e),
			    -1);
			assert_int_equal(e.cls, ERR_CONFIG);
			assert_non_null(strstr(e.msg, kc[i].err));
			/* The message names the key file. */
			assert_non_null(strstr(e.msg, c.dkim_key_file));
			assert_null(d);
		}
		dkim_free(d);
		config_free(&c);
	}
	/* Missing file. */
	conf(&c, "/nonexistent/key", 1, 1, 0);
	assert_int_equal(load_cfg(&d, &c, &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent/key"));
	config_free(&c);
	/* Not configured: no signer, no error. */
	config_defaults(&c);
	assert_int_equal(load_cfg(&d, &c, &e), 0);
	assert_null(d);
}

/* Signing one message through the tap, into a scratch file. */
static char *
sign_msg(struct dkim *d, const char *head, const char *body, int *signed_)
{
	struct dkim_msg	*dm = dkim_msg_new(d, 1700000000);
	struct err	 e;
	char		*out;
	long		 r;
	int		 fd;
	size_t		 n;

	assert_non_null(dm);
	fd = open(tmpdir, O_TMPFILE | O_RDWR, 0600);
	assert_true(fd >= 0);
	r = dkim_msg_head(dm, head, strlen(head), &e);
	assert_true(r >= 0);
	for (n = 0; n < (size_t)r; n++)
		assert_int_equal(write(fd, " ", 1), 1);
	assert_int_equal(write(fd, head, strlen(head)), (ssize_t)strlen(head));
	/* In two pieces, as the spool writer may. */
	n = strlen(body) / 2;
	dkim_msg_body(dm, body, n);
	dkim_msg_body(dm, body + n, strlen(body) - n);
	assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
	assert_int_equal(dkim_msg_finish(dm, fd, &e), 0);
	*signed_ = dkim_msg_signed(dm);
	n = (size_t)lseek(fd, 0, SEEK_END);
	out = calloc(1, n + 1);
	assert_non_null(out);
	assert_int_equal(pread(fd, out, n, 0), (ssize_t)n);
	close(fd);
	dkim_msg_free(dm);
	return out;
}

static const char kat_head[] =
    "From: Ann <ann@example.com>\r\n"
    "To: bob@example.org,\r\n carol@example.org\r\n"
    "Subject:  Hello\t  world \r\n"
    "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
    "Message-ID: <kat@example.com>\r\n"
    "X-Unsigned: yes\r\n"
    "To: dave@example.org\r\n"
    "\r\n";
static const char kat_body[] = "Hi  there, \r\n\r\n  indented\tline\r\n\r\n\r\n";

/* Known answers: each signed message verified by python3-dkim. */
struct katcase {
	const char	*name;
	const char	*pem;
	int		 hrel, brel;
	const char	*want;	/* the DKIM-Signature header */
};

#include "test_dkim_kat.inc"

static void
test_kat(void **state)
{
	struct config	 c;
	struct dkim	*d;
	struct err	 e;
	char		*m, *p, path[300];
	size_t		 i, col;
	int		 sg;
	FILE		*fp;

	(void)state;
	for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		conf(&c, key_file(kats[i].name, kats[i].pem, 0600),
		    kats[i].hrel, kats[i].brel, 0);
		assert_int_equal(load_cfg(&d, &c, &e), 0);
		m = sign_msg(d, kat_head, kat_body, &sg);
		assert_true(sg);
		if (getenv("DKIM_KAT_DIR") != NULL) {
			snprintf(path, sizeof(path), "%s/%s.eml",
			    getenv("DKIM_KAT_DIR"), kats[i].name);
			assert_non_null(fp = fopen(path, "w"));
			fputs(m, fp);
			fclose(fp);
		}
		/* Every line within 78 columns, the header first. */
		for (p = m, col = 0; *p != '\0'; p++) {
			if (*p == '\n')
				col = 0;
			else if (*p != '\r')
				assert_true(++col <= 78);
		}
		assert_memory_equal(m, "DKIM-Signature: v=1; ", 21);
		/* Every To (two), From over-signed, X-Unsigned not. */
		p = strstr(m, "\r\n\r\n");
		assert_non_null(p);
		assert_non_null(strstr(m, "h=from:from:to:to:subject:date:"));
		assert_null(strstr(m, "x-unsigned"));
		if (kats[i].want != NULL) {
			p = strstr(m, "\r\nFrom: ");
			assert_non_null(p);
			*p = '\0';
			assert_string_equal(m, kats[i].want);
		}
		free(m);
		dkim_free(d);
		config_free(&c);
	}
}

/* sign = from-domain: d= or below only. */
static void
test_from_domain(void **state)
{
	static const struct {
		const char	*from;
		int		 signed_;
	} fc[] = {
		{ "From: a@example.com\r\n", 1 },
		{ "From: A <a@EXAMPLE.COM>\r\n", 1 },
		{ "From: a@mail.example.com\r\n", 1 },
		{ "From: a@example.com, b@example.com\r\n", 1 },
		{ "From: a@example.com, b@example.org\r\n", 0 },
		{ "From: a@example.org\r\n", 0 },
		{ "From: a@notexample.com\r\n", 0 },
		{ "From: a@example.com.evil.org\r\n", 0 },
		{ "From: \"a@example.com\" <x@evil.org>\r\n", 0 },
		{ "From: a@example.com (a@evil.org)\r\n", 1 },
		{ "To: a@example.com\r\n", 0 },		/* no From */
		{ "From: broken <\r\n", 0 },
	};
	struct config	 c;
	struct dkim	*d;
	struct err	 e;
	char		 head[256], *m;
	size_t		 i;
	int		 sg;

	(void)state;
	conf(&c, key_file("ed", ed_pem, 0600), 1, 1, 0);
	assert_int_equal(load_cfg(&d, &c, &e), 0);
	for (i = 0; i < sizeof(fc) / sizeof(fc[0]); i++) {
		snprintf(head, sizeof(head), "%sSubject: x\r\n\r\n", fc[i].from);
		m = sign_msg(d, head, "b\r\n", &sg);
		assert_int_equal(sg, fc[i].signed_);
		assert_int_equal(strncmp(m, "DKIM-Signature:", 15) == 0,
		    fc[i].signed_);
		if (!fc[i].signed_)
			assert_string_equal(m + strlen(head), "b\r\n");
		free(m);
	}
	dkim_free(d);
	config_free(&c);
	/* sign = always signs mail from anywhere. */
	conf(&c, key_file("ed", ed_pem, 0600), 1, 1, 1);
	assert_int_equal(load_cfg(&d, &c, &e), 0);
	m = sign_msg(d, "From: a@example.org\r\n\r\n", "b\r\n", &sg);
	assert_true(sg);
	free(m);
	dkim_free(d);
	config_free(&c);
}

/* dkim_msg_write() over the input text: the spooled octets. */
static char *
write_signed(struct dkim *d, const char *text, struct msg_stats *st)
{
	struct msg_input	*mi;
	struct msg_opts		 mo;
	struct msg		*m;
	struct err		 e;
	char			*out;
	int			 ifd, ofd;
	off_t			 n;

	ifd = memfd_create("in", 0);
	ofd = memfd_create("out", 0);
	assert_true(ifd >= 0 && ofd >= 0);
	assert_int_equal(write(ifd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(lseek(ifd, 0, SEEK_SET), 0);
	assert_non_null(mi = msg_input_new(ifd, 0));
	assert_int_equal(msg_read_headers(&m, mi, &e), 0);
	memset(&mo, 0, sizeof(mo));
	mo.domain = "example.com";
	mo.tmpdir = tmpdir;
	if (dkim_msg_write(d, m, mi, ofd, &mo, st, &e) != 0)
		fail_msg("dkim_msg_write: %s", e.msg);
	n = lseek(ofd, 0, SEEK_END);
	assert_int_equal(n, st->size);
	assert_non_null(out = calloc(1, (size_t)n + 1));
	assert_int_equal(pread(ofd, out, (size_t)n, 0), (ssize_t)n);
	msg_free(m);
	msg_input_free(mi);
	close(ifd);
	close(ofd);
	return out;
}

/*
 * A signed 8-bit text body is made quoted-printable before it is signed
 * (RFC 6376 5.3); what mime7 would refuse stays 8-bit, and so does an
 * unsigned message.
 */
static void
test_seven_bit(void **state)
{
	static const struct {
		const char	*in;
		int		 seven;	/* 1: made 7-bit */
		int		 sig;	/* signed */
	} sc[] = {
		{ "From: a@example.com\nSubject: s\n\ncaf\303\251\n", 1, 1 },
		{ "From: a@example.com\nContent-Type: text/plain; "
		  "charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n"
		  "\303\251\n", 1, 1 },
		{ "From: a@example.com\nSubject: caf\303\251\n\nx\303\251\n",
		  0, 1 },
		{ "From: a@example.com\nContent-Type: multipart/mixed; "
		  "boundary=b\n\n--b\n\n\303\251\n--b--\n", 0, 1 },
		{ "From: a@example.com\nContent-Type: application/x\n\n"
		  "\303\251\n", 0, 1 },
		{ "From: a@example.com\nContent-Transfer-Encoding: binary\n\n"
		  "\303\251\n", 0, 1 },
		{ "From: a@example.org\nSubject: s\n\ncaf\303\251\n", 0, 0 },
		{ "From: a@example.com\nSubject: s\n\ncafe\n", 0, 1 },
	};
	struct msg_stats st;
	struct config	 c;
	struct dkim	*d;
	struct err	 e;
	const char	*p, *why;
	char		*out;
	size_t		 i;
	int		 hi;

	(void)state;
	conf(&c, key_file("ed", ed_pem, 0600), 1, 1, 0);
	assert_int_equal(load_cfg(&d, &c, &e), 0);
	for (i = 0; i < sizeof(sc) / sizeof(sc[0]); i++) {
		out = write_signed(d, sc[i].in, &st);
		for (hi = 0, p = out; *p != '\0'; p++)
			hi |= (unsigned char)*p & 0x80;
		assert_int_equal(strncmp(out, "DKIM-Signature:", 15) == 0,
		    sc[i].sig);
		assert_int_equal(st.made_7bit, sc[i].seven);
		assert_int_equal(st.qp_reencoded, 0);
		if (sc[i].seven) {
			assert_int_equal(hi, 0);
			assert_int_equal(st.has_8bit, 0);
			assert_non_null(strstr(out, "\r\nContent-Transfer-"
			    "Encoding: quoted-printable\r\n\r\n"));
			assert_non_null(strstr(out, "=C3=A9"));
		} else
			assert_int_equal(st.has_8bit, hi != 0);
		/* What mime7 would do with the spooled form: never convert. */
		assert_int_not_equal(mime7_headers(out, strlen(out), &why) ==
		    MIME7_CONVERT && hi, 1);
		free(out);
	}
	dkim_free(d);
	config_free(&c);
}

/*
 * dkim_sign_file(), the queue's DSN hook: the signature goes in front and
 * the octets after it are the file as it was; the same message signed
 * through the tap gets the same header.  From elsewhere: unchanged.
 */
static void
test_sign_file(void **state)
{
	static const char head[] = "From: <MAILER-DAEMON@example.com>\r\n"
	    "To: <a@example.org>\r\nSubject: s\r\n\r\n";
	struct config	 c;
	struct dkim	*d;
	struct err	 e;
	struct buf	 body;
	char		*out, *ref;
	const char	*hs;
	size_t		 i, n, hl;
	int		 fd, sg;

	(void)state;
	conf(&c, key_file("rsa", rsa_pem, 0600), 0, 1, 0);
	assert_int_equal(load_cfg(&d, &c, &e), 0);
	/* A body over the 64 KiB chunk, so the move takes several steps. */
	buf_init(&body, 1 << 20);
	for (i = 0; i < 3000; i++)
		assert_int_equal(buf_printf(&body, "line %zu  of the report\r\n",
		    i), 0);
	fd = open(tmpdir, O_TMPFILE | O_RDWR, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, head, strlen(head)), (ssize_t)strlen(head));
	assert_int_equal(write(fd, body.data, body.len), (ssize_t)body.len);
	assert_int_equal(dkim_sign_file(d, fd, &e), 0);
	n = (size_t)lseek(fd, 0, SEEK_END);
	assert_non_null(out = calloc(1, n + 1));
	assert_int_equal(pread(fd, out, n, 0), (ssize_t)n);
	close(fd);
	assert_int_equal(strncmp(out, "DKIM-Signature:", 15), 0);
	hs = strstr(out, "\r\nFrom: ");
	assert_non_null(hs);
	hl = (size_t)(hs + 2 - out);
	assert_int_equal(n, hl + strlen(head) + body.len);
	assert_memory_equal(out + hl, head, strlen(head));
	assert_memory_equal(out + hl + strlen(head), body.data, body.len);
	/* The tap's signature of the same message (t= aside, the same). */
	ref = sign_msg(d, head, buf_str(&body), &sg);
	assert_true(sg);
	assert_memory_equal(strstr(ref, "h="), strstr(out, "h="),
	    (size_t)(strstr(out, "b=") - strstr(out, "h=")));
	free(ref);
	free(out);
	dkim_free(d);
	config_free(&c);
	/* sign = from-domain, From elsewhere: the file is left alone. */
	conf(&c, key_file("ed", ed_pem, 0600), 1, 1, 0);
	c.dkim_domain[0] = 'x';		/* xxample.com */
	assert_int_equal(load_cfg(&d, &c, &e), 0);
	fd = open(tmpdir, O_TMPFILE | O_RDWR, 0600);
	assert_int_equal(write(fd, head, strlen(head)), (ssize_t)strlen(head));
	assert_int_equal(dkim_sign_file(d, fd, &e), 0);
	assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)strlen(head));
	close(fd);
	/* No header section end: ERR_DATA. */
	fd = open(tmpdir, O_TMPFILE | O_RDWR, 0600);
	assert_int_equal(write(fd, "From: a@b", 9), 9);
	assert_int_equal(dkim_sign_file(d, fd, &e), -1);
	assert_int_equal(e.cls, ERR_DATA);
	close(fd);
	dkim_free(d);
	config_free(&c);
	buf_free(&body);
}

static void
test_domain_within(void **state)
{
	(void)state;
	assert_true(dkim_domain_within("example.com", "example.com"));
	assert_true(dkim_domain_within("Example.COM", "example.com"));
	assert_true(dkim_domain_within("a.b.example.com", "example.com"));
	assert_false(dkim_domain_within("badexample.com", "example.com"));
	assert_false(dkim_domain_within("example.com", "mail.example.com"));
	assert_false(dkim_domain_within("com", "example.com"));
}

/* The record to publish, read back, matches; another key does not. */
static void
test_record(void **state)
{
	static const struct {
		const char		*txt;
		enum dkim_keycheck	 want;
	} rc[] = {
		{ "v=DKIM1; k=rsa; p=", DKIM_KEY_REVOKED },
		{ "v=DKIM1; p=MIIB", DKIM_KEY_BAD },
		{ "k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
		    DKIM_KEY_WRONG_TYPE },
		{ "v=DKIM2; p=AAAA", DKIM_KEY_BAD },
		{ "p=AAAA; v=DKIM1", DKIM_KEY_BAD },	/* v= not first */
		{ "v=spf1 -all", DKIM_KEY_BAD },
		{ "v=DKIM1; k=rsa; p=!!!!", DKIM_KEY_BAD },
		{ "", DKIM_KEY_BAD },
	};
	struct config	 c;
	struct dkim	*d, *d2;
	struct err	 e;
	struct buf	 out, txt;
	const char	*p, *q;
	char		 why[256], name[300];
	size_t		 i;

	(void)state;
	buf_init(&out, 65536);
	buf_init(&txt, 65536);
	conf(&c, key_file("rsa", rsa_pem, 0600), 1, 1, 0);
	assert_int_equal(load_cfg(&d, &c, &e), 0);
	config_free(&c);
	assert_int_equal(dkim_record_name(d, name, sizeof(name)), 0);
	assert_string_equal(name, "kat._domainkey.example.com");
	assert_int_equal(dkim_record_text(d, &out), 0);
	assert_memory_equal(out.data, "kat._domainkey.example.com. IN TXT (",
	    36);
	/* Join the quoted strings, as a resolver would. */
	for (p = out.data; (p = strchr(p, '"')) != NULL; p = q + 1) {
		q = strchr(p + 1, '"');
		assert_non_null(q);
		assert_true(q - p - 1 <= 255);
		buf_add(&txt, p + 1, (size_t)(q - p - 1));
	}
	assert_memory_equal(txt.data, "v=DKIM1; k=rsa; p=MIIB", 22);
	assert_int_equal(dkim_check_record(d, txt.data, txt.len, why,
	    sizeof(why)), DKIM_KEY_MATCH);
	/* Folding whitespace inside p= is allowed. */
	buf_reset(&out);
	buf_add(&out, txt.data, 30);
	buf_adds(&out, " \t ");
	buf_add(&out, txt.data + 30, txt.len - 30);
	assert_int_equal(dkim_check_record(d, out.data, out.len, why,
	    sizeof(why)), DKIM_KEY_MATCH);
	for (i = 0; i < sizeof(rc) / sizeof(rc[0]); i++)
		assert_int_equal(dkim_check_record(d, rc[i].txt,
		    strlen(rc[i].txt), why, sizeof(why)), rc[i].want);
	/* The Ed25519 key's record against the RSA signer: wrong type;
	 * against itself: a match; against another RSA key: mismatch. */
	conf(&c, key_file("ed", ed_pem, 0600), 1, 1, 0);
	assert_int_equal(load_cfg(&d2, &c, &e), 0);
	config_free(&c);
	buf_reset(&out);
	assert_int_equal(dkim_record_text(d2, &out), 0);
	p = strchr(out.data, '"');
	q = strchr(p + 1, '"');
	assert_int_equal(dkim_check_record(d2, p + 1, (size_t)(q - p - 1),
	    why, sizeof(why)), DKIM_KEY_MATCH);
	assert_int_equal(dkim_check_record(d, p + 1, (size_t)(q - p - 1),
	    why, sizeof(why)), DKIM_KEY_WRONG_TYPE);
	dkim_free(d2);
	/* Another RSA key (small_pem's, which the signer refuses). */
	p = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCn1Bl/O+VklK"
	    "7pCmAsBnmxNTUeQZrTfHwVpEhkhLiUTCa7jJ5YGndNh+9O1Te3FCTfAUht1q2TjuGu9t"
	    "FQTljZuGPt1lrOGUh9bbbcK+yDG60oj+5R0hrGgRgF4pOa/QyNSlXkLNMXIWJqs3qlR2"
	    "MmPfRQRxw8pgAEQOwkkPyTFwIDAQAB";
	assert_int_equal(dkim_check_record(d, p, strlen(p), why, sizeof(why)),
	    DKIM_KEY_MISMATCH);
	assert_non_null(strstr(why, "not the key in"));
	dkim_free(d);
	buf_free(&out);
	buf_free(&txt);
}

/* p= decoding: FWS anywhere, padding optional, nothing else accepted. */
static void
test_keyrec_base64(void **state)
{
	static const struct {
		const char	*txt;
		int		 rc;
		size_t		 n;
		const char	*key;
	} t[] = {
		{ "p=", 0, 0, "" },
		{ "p= \t", 0, 0, "" },
		{ "p=AAEC", 0, 3, "\x00\x01\x02" },
		{ "p=AAE", 0, 2, "\x00\x01" },
		{ "p=AAE=", 0, 2, "\x00\x01" },
		{ "p=AA\r\n\t E=", 0, 2, "\x00\x01" },
		{ "v=DKIM1; k=ed25519; p=/w", 0, 1, "\xff" },
		{ "p=AAEC-AAA", -1, 0, NULL },	/* OpenSSL stops at '-' */
		{ "p=AA.C", -1, 0, NULL },
		{ "p=A", -1, 0, NULL },
		{ "p=AAAA=AAA", -1, 0, NULL },
		{ "p=AAAAAAAAAAAA", -1, 0, NULL },	/* 9 octets > 8 */
	};
	unsigned char	 key[8];
	const char	*k;
	size_t		 i, n;
	int		 rc;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = 0;
		rc = dkim_parse_keyrec(t[i].txt, strlen(t[i].txt), &k, key,
		    sizeof(key), &n);
		if (rc != t[i].rc)
			fail_msg("%s: %d", t[i].txt, rc);
		if (rc == 0 && (n != t[i].n || memcmp(key, t[i].key, n) != 0))
			fail_msg("%s: %zu octets", t[i].txt, n);
	}
}

/* [dkim] in the configuration file. */
static void
test_config(void **state)
{
	static const struct {
		const char	*ini;
		const char	*err;	/* NULL: loads */
		const char	*headers;
		int		 hrel, brel, always;
	} cc[] = {
		{ "", NULL, NULL, 1, 1, 0 },
		{ "domain = example.com\nselector = s1\nkey_file = /k\n", NULL,
		    NULL, 1, 1, 0 },
		{ "canonicalization = simple/relaxed\n", NULL, NULL, 0, 1, 0 },
		{ "canonicalization = relaxed\n", NULL, NULL, 1, 0, 0 },
		{ "canonicalization = Simple\n", NULL, NULL, 0, 0, 0 },
		{ "canonicalization = relaxed/\n", "expected simple or relaxed",
		    NULL, 0, 0, 0 },
		{ "canonicalization = loose\n", "expected simple or relaxed",
		    NULL, 0, 0, 0 },
		{ "sign = always\n", NULL, NULL, 1, 1, 1 },
		{ "sign = sometimes\n", "expected from-domain or always", NULL,
		    0, 0, 0 },
		{ "headers = From : To:Subject\n", NULL, "from:to:subject",
		    1, 1, 0 },
		{ "headers = to:subject\n", "must include from", NULL, 0, 0, 0 },
		{ "headers = from::to\n", "separated by ':'", NULL, 0, 0, 0 },
		{ "headers = from:x y\n", "separated by ':'", NULL, 0, 0, 0 },
		{ "selector = a_b\n", "expected a selector", NULL, 0, 0, 0 },
		{ "selector = .a\n", "expected a selector", NULL, 0, 0, 0 },
		{ "domain = -x.com\n", "expected a domain name", NULL, 0, 0, 0 },
		{ "key_file = rel/key\n", "absolute path", NULL, 0, 0, 0 },
		{ "domain = example.com\nkey_file = /k\n",
		    "signs only with domain, selector and key_file", NULL, 0, 0,
		    0 },
		{ "bogus = 1\n", "unknown", NULL, 0, 0, 0 },
	};
	struct config	c;
	struct err	e;
	char		text[1024];
	size_t		i;
	int		fd, rc;

	(void)state;
	for (i = 0; i < sizeof(cc) / sizeof(cc[0]); i++) {
		snprintf(text, sizeof(text), "[smarthost]\nhost = h.example\n"
		    "[dkim]\n%s", cc[i].ini);
		fd = memfd_create("ini", 0);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, text, strlen(text)),
		    (ssize_t)strlen(text));
		assert_int_equal(fchmod(fd, 0600), 0);
		lseek(fd, 0, SEEK_SET);
		rc = config_load_fd(&c, fd, "t.ini", 0, &e);
		close(fd);
		if (cc[i].err != NULL) {
			if (rc != -1)
				fprintf(stderr, "case %zu loaded\n", i);
			assert_int_equal(rc, -1);
			if (strstr(e.msg, cc[i].err) == NULL)
				fprintf(stderr, "case %zu: %s\n", i, e.msg);
			assert_non_null(strstr(e.msg, cc[i].err));
			continue;
		}
		if (rc != 0)
			fprintf(stderr, "case %zu: %s\n", i, e.msg);
		assert_int_equal(rc, 0);
		assert_int_equal(c.dkim_header_relaxed, cc[i].hrel);
		assert_int_equal(c.dkim_body_relaxed, cc[i].brel);
		assert_int_equal(c.dkim_sign_always, cc[i].always);
		if (cc[i].headers != NULL)
			assert_string_equal(c.dkim_headers, cc[i].headers);
		config_free(&c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_canon),
		cmocka_unit_test(test_body_random),
		cmocka_unit_test(test_body_many_empty),
		cmocka_unit_test(test_header_canon),
		cmocka_unit_test(test_key_load),
		cmocka_unit_test(test_kat),
		cmocka_unit_test(test_from_domain),
		cmocka_unit_test(test_seven_bit),
		cmocka_unit_test(test_sign_file),
		cmocka_unit_test(test_domain_within),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_keyrec_base64),
		cmocka_unit_test(test_config),
	};
	int	rc;

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	(void)!system("rm -rf /tmp/test_dkim.*");
	return rc;
}
