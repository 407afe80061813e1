/*
 * dkim.c -- DKIM-Signature (RFC 6376) with RSA-SHA256 and Ed25519-SHA256
 * (RFC 8463), computed while msg_write() spools the message.
 *
 * How a message is signed (see dkim.h for the interface):
 *  - dkim_msg_head() gets the final header section.  It decides whether
 *    to sign (sign = from-domain: every From address in d= or below),
 *    picks the fields to sign (every instance of each name in headers,
 *    plus one more "from" than there are From fields, so none can be
 *    added later), fixes t=, and lays out the header with stand-in bh=
 *    and b= values of their exact lengths to know how many octets to
 *    reserve.  Folding depends only on lengths, so the real header has
 *    the same length.
 *  - dkim_msg_body() streams the body through the canonicalizer into
 *    SHA-256; nothing is held but the count of trailing empty lines.
 *  - dkim_msg_finish() hashes the selected fields (bottom-up per name,
 *    RFC 6376 5.4.2) and the signature header with an empty b=, signs,
 *    and writes the header into the reserved octets.
 *
 * Security assumptions: the header section is untrusted (it comes from the
 * caller) but already canonical (msg.h); every loop is bounded by its
 * length.  DNS answers (dkim_parse_keyrec) are untrusted: lengths checked,
 * output bounded.  The key never leaves this file.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/*
 * d2i_RSAPrivateKey and EVP_PKEY_assign_RSA are deprecated in OpenSSL 3
 * but skip the provider decoder set-up that PEM_read_PrivateKey pays on
 * every call (about 9 M instructions, three times an unsigned small
 * submission).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "addr.h"
#include "config.h"
#include "dkim.h"

#define DKIM_FOLD	78	/* columns (RFC 5322 2.1.1) */
#define DKIM_HDR_MAX	(64 * 1024)	/* the DKIM-Signature header */
#define DKIM_HASHIN_MAX	(8 * 1024 * 1024) /* header hash input */
#define DKIM_MAX_SIGNED	1000	/* fields in h= */
#define DKIM_RSA_MIN	2048
#define DKIM_FILE_CHUNK	65536	/* dkim_sign_file()'s read size */

static const char default_headers[] = "from:to:cc:subject:date:message-id:"
    "reply-to:in-reply-to:references:mime-version:content-type:"
    "content-transfer-encoding";

struct dkim {
	EVP_PKEY	*key;
	RSA		*rsa;		/* RSA: the same key, for RSA_sign() */
	int		 ed25519;
	size_t		 siglen;	/* octets of a signature */
	char		*domain;
	char		*selector;
	char		*key_file;
	char		*headers;	/* colon-separated, lower case */
	int		 hrelaxed;
	int		 brelaxed;
	int		 always;
};

struct field {
	size_t	 off;
	size_t	 len;		/* with the final CRLF */
	size_t	 namelen;
};

struct dkim_msg {
	struct dkim	*d;
	time_t		 t;
	int		 active;	/* this message is signed */
	size_t		 reserve;	/* octets reserved at offset 0 */
	struct buf	 head;		/* the header section */
	struct field	*f;
	size_t		 nf;
	long		*sel;		/* per h= entry: field index or -1 */
	size_t		 nsel;
	struct buf	 h;		/* the h= value */
	struct buf	 out;		/* the finished header */
	SHA256_CTX	 sha;		/* the body hash */
	struct dkim_body body;
};

/* Body canonicalization. */

static void
body_put(struct dkim_body *b, const char *p, size_t n)
{
	size_t	k;

	b->out += n;
	/* A long run goes to the hash as it is, without a copy. */
	if (n >= sizeof(b->obuf)) {
		if (b->olen > 0)
			b->emit(b->arg, b->obuf, b->olen);
		b->olen = 0;
		b->emit(b->arg, p, n);
		return;
	}
	while (n > 0) {
		if (b->olen == sizeof(b->obuf)) {
			b->emit(b->arg, b->obuf, b->olen);
			b->olen = 0;
		}
		k = sizeof(b->obuf) - b->olen;
		if (k > n)
			k = n;
		memcpy(b->obuf + b->olen, p, k);
		b->olen += k;
		p += k;
		n -= k;
	}
}

void
dkim_body_init(struct dkim_body *b, int relaxed,
    void (*emit)(void *, const char *, size_t), void *arg)
{
	b->relaxed = relaxed;
	b->in_line = b->wsp = b->cr = 0;
	b->empty = b->out = 0;
	b->emit = emit;
	b->arg = arg;
	b->olen = 0;
}

/* Content on the current line: held empty lines and blanks go first. */
static void
body_content(struct dkim_body *b, const char *p, size_t n)
{
	if (!b->in_line) {
		for (; b->empty > 0; b->empty--)
			body_put(b, "\r\n", 2);
		b->in_line = 1;
	}
	if (b->wsp) {
		body_put(b, " ", 1);
		b->wsp = 0;
	}
	body_put(b, p, n);
}

static void
body_eol(struct dkim_body *b)
{
	b->wsp = 0;	/* relaxed: blanks at the end of a line go */
	if (b->in_line) {
		body_put(b, "\r\n", 2);
		b->in_line = 0;
	} else
		b->empty++;
}

/*
 * relaxed: an octet the span could not take, through the state machine:
 * a CR that the next octet decides, blanks that the next octet decides,
 * empty lines that a later line with content decides.
 */
static void
body_octet(struct dkim_body *b, const char *p)
{
	unsigned char	c = (unsigned char)*p;

	if (b->cr) {
		b->cr = 0;
		if (c == '\n') {
			body_eol(b);
			return;
		}
		body_content(b, "\r", 1);
	}
	if (c == '\r')
		b->cr = 1;
	else if (c == ' ' || c == '\t')
		b->wsp = 1;
	else
		body_content(b, p, 1);
}

/*
 * The first octet from p[i] that is neither 0x21 or above nor a space
 * followed by such an octet: a CR, a tab, another control, or a space
 * before one of these, another space or the end of the block.  Exact
 * (no stop at a single space between words), since each stop costs the
 * caller a mispredicted branch or a cut span.
 */
static size_t
body_scan(const char *p, size_t i, size_t n)
{
	const unsigned char	*s = (const unsigned char *)p;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t		 h = 0x8080808080808080ULL;
	const uint64_t		 l = 0x7f7f7f7f7f7f7f7fULL;
	uint64_t		 w, t, lo, v;

	/*
	 * Eight octets at a time, a flag in the top bit of each, exact: no
	 * sum carries into the next octet (each stays under 0x100).  lo
	 * marks octets under 0x21; of those, the ones from 0x20 up are
	 * spaces.  v is the same eight octets moved on by one, so a space
	 * whose next octet is 0x21 or above is cleared from lo.
	 */
	while (n - i >= 9) {
		memcpy(&w, s + i, 8);
		t = w & l;
		lo = ~((t + 0x5f5f5f5f5f5f5f5fULL) | w) & h;
		if (lo != 0) {
			memcpy(&v, s + i + 1, 8);
			lo &= ~((t + 0x6060606060606060ULL) &
			    (((v & l) + 0x5f5f5f5f5f5f5f5fULL) | v));
			if (lo != 0)
				return i + (size_t)__builtin_ctzll(lo) / 8;
		}
		i += 8;
	}
#endif
	for (; i < n; i++) {
		if (s[i] > ' ')
			continue;
		if (s[i] != ' ' || i + 1 == n || s[i + 1] <= ' ')
			return i;
		i++;	/* the space and the content after it */
	}
	return n;
}

/*
 * relaxed, from a state with nothing pending (no CR, no blanks, no empty
 * lines held): the input is its own canonical form while it is content,
 * single spaces before content, bare CRs, and CRLFs that end lines with
 * content, so that span goes out straight from the input (without a copy
 * when it is long).  Where the input and its canonical form differ the
 * span is cut: blanks before content become one space (the first blank
 * itself when it is a space, so the cut adds no emit of its own), blanks
 * before a CRLF go.  The span stops before what a later octet decides (an
 * empty line, a CR at the end of the block, blanks at the end of the
 * block or before a bare CR), which the caller gives to body_octet().
 * Returns where it stopped; each turn of the loop moves on at least one
 * octet.
 */
static size_t
body_span(struct dkim_body *b, const char *p, size_t i, size_t n)
{
	size_t		s = i, j, m;
	int		inl = b->in_line;
	unsigned char	c;

	for (;;) {
		if ((j = body_scan(p, i, n)) > i)
			inl = 1;
		if ((i = j) == n)
			break;
		c = (unsigned char)p[i];
		if (c == '\r') {
			if (i + 1 == n || (p[i + 1] == '\n' && !inl))
				break;	/* the next block or line decides */
			if (p[i + 1] == '\n') {
				i += 2;
				inl = 0;
			} else {
				i++;	/* a bare CR is content */
				inl = 1;
			}
			continue;
		}
		if (c != ' ' && c != '\t') {
			i++;	/* another control: content */
			inl = 1;
			continue;
		}
		/* A run of blanks (or one space before another octet). */
		for (m = i; m < n && (p[m] == ' ' || p[m] == '\t'); m++)
			;
		if (m == n || (p[m] == '\r' && (m + 1 == n ||
		    p[m + 1] != '\n' || !inl)))
			break;
		if (p[m] == '\r') {
			/* Blanks at the end of a line go; its CRLF stays. */
			body_put(b, p + s, i - s);
			s = m;
			i = m + 2;
			inl = 0;
			continue;
		}
		if (c == ' ')
			body_put(b, p + s, i + 1 - s);
		else {
			body_put(b, p + s, i - s);
			body_put(b, " ", 1);
		}
		s = i = m;
		inl = 1;
	}
	body_put(b, p + s, i - s);
	b->in_line = inl;
	return i;
}

/*
 * simple (RFC 6376 3.4.3) changes nothing but the empty lines at the end:
 * each block is its content, then a tail of CRLFs (and maybe a CR that
 * the next octet decides), found by looking back from its end.  So the
 * block goes out in one piece, whatever its lines.
 */
static void
body_simple(struct dkim_body *b, const char *p, size_t n)
{
	size_t	k = n, pairs = 0;

	if (b->cr && n > 0) {
		b->cr = 0;
		if (p[0] == '\n') {
			body_eol(b);
			p++;
			n--;
			k--;
		} else
			body_content(b, "\r", 1);
	}
	if (n == 0)
		return;
	if (p[k - 1] == '\r') {
		b->cr = 1;
		k--;
	}
	while (k >= 2 && p[k - 2] == '\r' && p[k - 1] == '\n') {
		k -= 2;
		pairs++;
	}
	if (k > 0)
		body_content(b, p, k);
	for (; pairs > 0; pairs--)
		body_eol(b);
}

void
dkim_body_update(struct dkim_body *b, const char *p, size_t n)
{
	size_t	i = 0;

	if (!b->relaxed) {
		body_simple(b, p, n);
		return;
	}
	/* Each turn takes at least one octet. */
	while (i < n) {
		if (!b->cr && !b->wsp && (b->in_line || b->empty == 0) &&
		    (i = body_span(b, p, i, n)) == n)
			break;
		body_octet(b, p + i);
		i++;
	}
}

void
dkim_body_final(struct dkim_body *b)
{
	if (b->cr) {
		b->cr = 0;
		body_content(b, "\r", 1);
	}
	/* A last line without CRLF gets one (RFC 6376 3.4.3, 3.4.4). */
	if (b->in_line)
		body_eol(b);
	/* simple: an empty body is one CRLF; relaxed: it is empty. */
	if (!b->relaxed && b->out == 0)
		body_put(b, "\r\n", 2);
	if (b->olen > 0)
		b->emit(b->arg, b->obuf, b->olen);
	b->olen = 0;
}

/* Header canonicalization. */

/* RFC 6376 3.4.2: name lower case, value unfolded, blanks squeezed. */
static int
canon_relaxed(const char *f, size_t n, struct buf *out)
{
	size_t	i, colon, end;
	int	wsp = 0, any = 0;
	char	c;

	for (colon = 0; colon < n && f[colon] != ':'; colon++)
		;
	for (end = colon; end > 0 && (f[end - 1] == ' ' ||
	    f[end - 1] == '\t'); end--)
		;
	for (i = 0; i < end; i++)
		if (buf_addc(out, f[i] >= 'A' && f[i] <= 'Z' ?
		    f[i] - 'A' + 'a' : f[i]) == -1)
			return -1;
	if (buf_addc(out, ':') == -1)
		return -1;
	for (i = colon + 1; i < n; i++) {
		c = f[i];
		if (c == '\r' || c == '\n')
			continue;	/* unfold: only CRLF occurs here */
		if (c == ' ' || c == '\t') {
			wsp = 1;
			continue;
		}
		if ((wsp && any && buf_addc(out, ' ') == -1) ||
		    buf_addc(out, c) == -1)
			return -1;
		wsp = 0;
		any = 1;
	}
	return buf_add(out, "\r\n", 2);
}

int
dkim_canon_header(int relaxed, const char *f, size_t n, struct buf *out)
{
	if (n >= 2 && f[n - 2] == '\r' && f[n - 1] == '\n')
		n -= 2;
	if (relaxed)
		return canon_relaxed(f, n, out);
	return buf_add(out, f, n) == -1 || buf_add(out, "\r\n", 2) == -1 ?
	    -1 : 0;
}

/* Helpers. */

static int
b64_encode(struct buf *out, const unsigned char *p, size_t n)
{
	size_t	need = 4 * ((n + 2) / 3);

	if (buf_reserve(out, need + 1) == -1)
		return -1;
	EVP_EncodeBlock((unsigned char *)out->data + out->len, p, (int)n);
	out->len += need;
	out->data[out->len] = '\0';
	return 0;
}

int
dkim_domain_within(const char *dom, const char *parent)
{
	size_t	dl = strlen(dom), pl = strlen(parent);

	if (dl == pl)
		return strcasecmp(dom, parent) == 0;
	return dl > pl && dom[dl - pl - 1] == '.' &&
	    strcasecmp(dom + dl - pl, parent) == 0;
}

/* The key. */

static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf; (void)size; (void)rwflag; (void)u;
	return -1;	/* never prompt: an encrypted key is refused */
}

/* The DER of a PEM block's base64 text, by OpenSSL's decoder; -1: bad. */
static int
pem_der(const char *s, size_t n, unsigned char *der, size_t len, size_t *dn)
{
	EVP_ENCODE_CTX	*ctx;
	int		 a = 0, b = 0, ok;

	/* At most 3 octets out per 4 in, plus what a line holds back. */
	if (n > (len / 3) * 4 || n > INT_MAX || (ctx = EVP_ENCODE_CTX_new()) ==
	    NULL)
		return -1;
	EVP_DecodeInit(ctx);
	ok = EVP_DecodeUpdate(ctx, der, &a, (const unsigned char *)s,
	    (int)n) != -1 && EVP_DecodeFinal(ctx, der + a, &b) == 1;
	EVP_ENCODE_CTX_free(ctx);
	*dn = (size_t)a + (size_t)b;
	return ok ? 0 : -1;
}

/*
 * A DNS record's p= value: base64 with folding white space anywhere and
 * padding optional (RFC 6376 3.6.1), decoded by OpenSSL; empty is 0
 * octets (a revoked key).  Only the base64 alphabet and '=' are let
 * through (OpenSSL's decoder would stop quietly at a '-'); the missing
 * padding is added.  -1: bad or longer than len.
 */
static int
b64_decode(const char *s, size_t n, unsigned char *out, size_t len,
    size_t *outn)
{
	char	*t;
	size_t	 i, m = 0;
	int	 rc;

	if (n > INT_MAX - 4 || (t = malloc(n + 4)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
		    s[i] == '\n')
			continue;
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' &&
		    s[i] != '/' && s[i] != '=') {
			free(t);
			return -1;
		}
		t[m++] = s[i];
	}
	while (m % 4 != 0)
		t[m++] = '=';
	*outn = 0;	/* an empty p= is a revoked key */
	rc = m == 0 ? 0 : pem_der(t, m, out, len, outn);
	free(t);
	return rc;
}

/*
 * PKCS#8 of an Ed25519 key as OpenSSL and RFC 8410 write it: SEQUENCE {
 * INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING
 * (32 octets: the seed) } }, 48 octets.  Anything else (a version 2 one
 * with the public key, attributes) goes to d2i_PKCS8_PRIV_KEY_INFO().
 */
static const unsigned char ed25519_p8[16] = {
	0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
	0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20
};

/*
 * The key from an unencrypted PKCS#8 ("PRIVATE KEY") or PKCS#1 ("RSA
 * PRIVATE KEY") PEM block, decoded here without OpenSSL's decoder
 * framework (PEM_read_bio_PrivateKey sets it up on every call: about
 * 9 M instructions, three times an unsigned small submission); NULL for
 * anything else (the caller then tries PEM_read_bio_PrivateKey, which
 * knows every form).
 */
static EVP_PKEY *
fast_key(const char *pem, size_t n)
{
	static const char	 b8[] = "-----BEGIN PRIVATE KEY-----";
	static const char	 b1[] = "-----BEGIN RSA PRIVATE KEY-----";
	PKCS8_PRIV_KEY_INFO	*p8 = NULL;
	const ASN1_OBJECT	*oid;
	const unsigned char	*q, *pk;
	unsigned char		 der[16384];
	const char		*s, *e;
	EVP_PKEY		*key = NULL;
	RSA			*rsa = NULL;
	size_t			 dn;
	int			 pkcs1, pklen;

	if ((s = memmem(pem, n, b8, sizeof(b8) - 1)) != NULL)
		pkcs1 = 0;
	else if ((s = memmem(pem, n, b1, sizeof(b1) - 1)) != NULL)
		pkcs1 = 1;
	else
		return NULL;
	s += pkcs1 ? sizeof(b1) - 1 : sizeof(b8) - 1;
	if ((e = memmem(s, n - (size_t)(s - pem), "-----END ", 9)) == NULL ||
	    memchr(s, ':', (size_t)(e - s)) != NULL ||	/* Proc-Type: */
	    pem_der(s, (size_t)(e - s), der, sizeof(der), &dn) == -1)
		return NULL;
	q = der;
	if (!pkcs1 && dn == sizeof(ed25519_p8) + 32 &&
	    memcmp(der, ed25519_p8, sizeof(ed25519_p8)) == 0)
		key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
		    der + sizeof(ed25519_p8), 32);
	else if (pkcs1)
		rsa = d2i_RSAPrivateKey(NULL, &q, (long)dn);
	else if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &q, (long)dn)) != NULL &&
	    PKCS8_pkey_get0(&oid, &pk, &pklen, NULL, p8) == 1) {
		q = pk;
		if (OBJ_obj2nid(oid) == NID_rsaEncryption)
			rsa = d2i_RSAPrivateKey(NULL, &q, pklen);
		else if (OBJ_obj2nid(oid) == NID_ED25519 && pklen == 34 &&
		    pk[0] == 0x04 && pk[1] == 32)
			key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519,
			    NULL, pk + 2, 32);
	}
	if (rsa != NULL && (key = EVP_PKEY_new()) != NULL &&
	    EVP_PKEY_assign_RSA(key, rsa) == 1)
		rsa = NULL;
	else if (rsa != NULL) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	RSA_free(rsa);
	PKCS8_PRIV_KEY_INFO_free(p8);
	OPENSSL_cleanse(der, sizeof(der));
	return key;
}

static int
load_key(struct dkim *d, int privileged, struct err *e)
{
	struct buf	 b;
	BIO		*bio;
	char		 chunk[4096];
	ssize_t		 r;
	int		 fd, id;

	if ((fd = config_open_secret(d->key_file, privileged, e)) == -1)
		return -1;
	buf_init(&b, 65536);
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_add(&b, chunk, (size_t)r) == -1)
			break;
	close(fd);
	OPENSSL_cleanse(chunk, sizeof(chunk));
	if (r != 0) {
		buf_free(&b);
		return err_set(e, ERR_CONFIG, "%s: %s", d->key_file, r < 0 ?
		    strerror(errno) : "larger than 64 KiB");
	}
	if ((d->key = fast_key(b.data, b.len)) == NULL &&
	    (bio = BIO_new_mem_buf(b.data, (int)b.len)) != NULL) {
		d->key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase,
		    NULL);
		BIO_free(bio);
	}
	buf_free(&b);	/* wipes */
	if (d->key == NULL)
		return err_set(e, ERR_CONFIG, "%s: not an unencrypted PEM "
		    "private key", d->key_file);
	id = EVP_PKEY_get_base_id(d->key);
	if (id == EVP_PKEY_ED25519)
		d->ed25519 = 1;
	else if (id != EVP_PKEY_RSA)
		return err_set(e, ERR_CONFIG, "%s: neither an RSA nor an "
		    "Ed25519 key", d->key_file);
	else if (EVP_PKEY_get_bits(d->key) < DKIM_RSA_MIN)
		return err_set(e, ERR_CONFIG, "%s: RSA key of %d bits; DKIM "
		    "needs %d or more", d->key_file, EVP_PKEY_get_bits(d->key),
		    DKIM_RSA_MIN);
	if (!d->ed25519 && (d->rsa = EVP_PKEY_get1_RSA(d->key)) == NULL)
		return err_set(e, ERR_CONFIG, "%s: unusable RSA key",
		    d->key_file);
	d->siglen = (size_t)EVP_PKEY_get_size(d->key);
	return 0;
}

int
dkim_load(struct dkim **dp, const struct dkim_params *c, int privileged,
    struct err *e)
{
	struct dkim	*d;

	*dp = NULL;
	if (c->domain == NULL || c->selector == NULL ||
	    c->key_file == NULL)
		return 0;
	/*
	 * As tls.c does: no error strings (about 0.9 M instructions; tls.c
	 * loads them when it has an error to report, dkim.c reports its own
	 * words) and no atexit() clean-up, since the process just exits.
	 */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
	    OPENSSL_INIT_NO_ATEXIT, NULL);
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->domain = strdup(c->domain)) == NULL ||
	    (d->selector = strdup(c->selector)) == NULL ||
	    (d->key_file = strdup(c->key_file)) == NULL ||
	    (d->headers = strdup(c->headers ? c->headers :
	    default_headers)) == NULL) {
		dkim_free(d);
		return err_set(e, ERR_SOFTWARE, "out of memory");
	}
	d->hrelaxed = c->header_relaxed;
	d->brelaxed = c->body_relaxed;
	d->always = c->sign_always;
	if (load_key(d, privileged, e) == -1) {
		dkim_free(d);
		return -1;
	}
	*dp = d;
	return 0;
}

void
dkim_free(struct dkim *d)
{
	if (d == NULL)
		return;
	RSA_free(d->rsa);
	EVP_PKEY_free(d->key);
	free(d->domain);
	free(d->selector);
	free(d->key_file);
	free(d->headers);
	free(d);
}

const char *
dkim_domain(const struct dkim *d)
{
	return d->domain;
}

const char *
dkim_key_file(const struct dkim *d)
{
	return d->key_file;
}

/* One message. */

static void
md_emit(void *arg, const char *p, size_t n)
{
	SHA256_Update(arg, p, n);
}

struct dkim_msg *
dkim_msg_new(struct dkim *d, time_t now)
{
	struct dkim_msg	*dm;

	if ((dm = calloc(1, sizeof(*dm))) == NULL)
		return NULL;
	dm->d = d;
	dm->t = now;
	buf_init(&dm->head, 4 * BUF_LIMIT_HEADERS);
	buf_init(&dm->h, DKIM_HDR_MAX);
	buf_init(&dm->out, DKIM_HDR_MAX);
	return dm;
}

void
dkim_msg_free(struct dkim_msg *dm)
{
	if (dm == NULL)
		return;
	buf_free(&dm->head);
	buf_free(&dm->h);
	buf_free(&dm->out);
	free(dm->f);
	free(dm->sel);
	free(dm);
}

/* Split the header section into fields. */
static int
split_fields(struct dkim_msg *dm, struct err *e)
{
	const char	*p = dm->head.data;
	size_t		 n = dm->head.len, i = 0, j, cap = 0;
	struct field	*nf;

	dm->nf = 0;
	while (i < n && !(p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')) {
		/* A field: its first line, then continuation lines. */
		j = i;
		do {
			while (j < n && p[j] != '\n')
				j++;
			if (j < n)
				j++;
		} while (j < n && (p[j] == ' ' || p[j] == '\t'));
		if (dm->nf == cap) {
			cap = cap ? cap * 2 : 32;
			if ((nf = reallocarray(dm->f, cap,
			    sizeof(*nf))) == NULL)
				return err_set(e, ERR_SOFTWARE,
				    "out of memory");
			dm->f = nf;
		}
		dm->f[dm->nf].off = i;
		dm->f[dm->nf].len = j - i;
		dm->f[dm->nf].namelen = strcspn(p + i, ":\r\n");
		if (dm->f[dm->nf].namelen > j - i)
			dm->f[dm->nf].namelen = j - i;
		while (dm->f[dm->nf].namelen > 0 &&
		    (p[i + dm->f[dm->nf].namelen - 1] == ' ' ||
		    p[i + dm->f[dm->nf].namelen - 1] == '\t'))
			dm->f[dm->nf].namelen--;
		dm->nf++;
		i = j;
	}
	return 0;
}

static int
field_named(const struct dkim_msg *dm, size_t i, const char *name,
    size_t len)
{
	return dm->f[i].namelen == len &&
	    strncasecmp(dm->head.data + dm->f[i].off, name, len) == 0;
}

/* sign = from-domain: every address of the first From is in d=. */
static int
from_in_domain(const struct dkim_msg *dm)
{
	struct addr_list	 l;
	struct buf		 u;
	struct err		 e;
	const char		*p, *at;
	size_t			 i, k;
	int			 ok = 0;

	for (i = 0; i < dm->nf; i++)
		if (field_named(dm, i, "from", 4))
			break;
	if (i == dm->nf)
		return 0;
	p = dm->head.data + dm->f[i].off;
	buf_init(&u, BUF_LIMIT_HEADERS);
	for (k = dm->f[i].namelen; k < dm->f[i].len && p[k] != ':'; k++)
		;
	for (k++; k < dm->f[i].len; k++)
		if (p[k] != '\r' && p[k] != '\n' && buf_addc(&u, p[k]) == -1)
			break;
	addr_list_init(&l);
	if (k == dm->f[i].len && addr_parse_list(u.data, u.len, &l, &e) == 0 &&
	    l.n > 0) {
		ok = 1;
		for (k = 0; k < l.n && ok; k++) {
			at = strrchr(l.v[k].spec, '@');
			ok = at != NULL && dkim_domain_within(at + 1,
			    dm->d->domain);
		}
	}
	addr_list_free(&l);
	buf_free(&u);
	return ok;
}

/* h= and the fields it selects, bottom-up per name (RFC 6376 5.4.2). */
static int
select_fields(struct dkim_msg *dm, struct err *e)
{
	const char	*p = dm->d->headers, *name;
	size_t		 len, i, cnt;

	buf_reset(&dm->h);
	dm->nsel = 0;
	free(dm->sel);
	if ((dm->sel = calloc(DKIM_MAX_SIGNED, sizeof(*dm->sel))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	for (name = p; *name != '\0'; name += len + (name[len] == ':')) {
		len = strcspn(name, ":");
		cnt = 0;
		for (i = dm->nf; i > 0; i--) {
			/*
			 * Past the bound the rest of the fields go unsigned
			 * (a verifier does not mind); the extra From below
			 * always fits.
			 */
			if (!field_named(dm, i - 1, name, len) ||
			    dm->nsel + 2 >= DKIM_MAX_SIGNED)
				continue;
			dm->sel[dm->nsel++] = (long)(i - 1);
			cnt++;
		}
		/* Over-sign From: a second one cannot be added later. */
		if (len == 4 && strncmp(name, "from", 4) == 0) {
			dm->sel[dm->nsel++] = -1;
			cnt++;
		}
		for (i = 0; i < cnt; i++)
			if ((dm->h.len > 0 && buf_addc(&dm->h, ':') == -1) ||
			    buf_add(&dm->h, name, len) == -1)
				return err_set(e, ERR_DATA, "DKIM: h= too "
				    "long");
	}
	return 0;
}

/* Folding: tokens joined by a space, a new line when one would pass 78. */
struct fold {
	struct buf	*b;
	size_t		 col;
	int		 err;
};

static void
fold_raw(struct fold *f, const char *s, size_t n)
{
	if (buf_add(f->b, s, n) == -1)
		f->err = 1;
	f->col += n;
}

/* A token; glue: no space before it when it stays on the line. */
static void
fold_tok(struct fold *f, const char *s, size_t n, int glue)
{
	if (f->col + (glue ? 0 : 1) + n > DKIM_FOLD) {
		fold_raw(f, "\r\n ", 3);
		f->col = 1;
	} else if (!glue)
		fold_raw(f, " ", 1);
	fold_raw(f, s, n);
}

/*
 * Lay the header out in dm->out with the given bh= and b= values (stand-
 * ins of the same length give the same layout).  *prefix: the octets up
 * to and including "b=".
 */
static int
build_header(struct dkim_msg *dm, const char *bh, const char *b,
    size_t *prefix)
{
	struct fold	 f = { &dm->out, 0, 0 };
	struct dkim	*d = dm->d;
	char		 tok[512];
	const char	*p;
	size_t		 n, k;
	int		 len;

	buf_reset(&dm->out);
	fold_raw(&f, "DKIM-Signature:", 15);
	fold_tok(&f, "v=1;", 4, 0);
	fold_tok(&f, d->ed25519 ? "a=ed25519-sha256;" : "a=rsa-sha256;",
	    d->ed25519 ? 17 : 13, 0);
	len = snprintf(tok, sizeof(tok), "c=%s/%s;", d->hrelaxed ?
	    "relaxed" : "simple", d->brelaxed ? "relaxed" : "simple");
	fold_tok(&f, tok, (size_t)len, 0);
	len = snprintf(tok, sizeof(tok), "d=%s;", d->domain);
	fold_tok(&f, tok, (size_t)len, 0);
	len = snprintf(tok, sizeof(tok), "s=%s;", d->selector);
	fold_tok(&f, tok, (size_t)len, 0);
	len = snprintf(tok, sizeof(tok), "t=%lld;", (long long)dm->t);
	fold_tok(&f, tok, (size_t)len, 0);
	/* h=name:name:..; a break may follow any colon. */
	p = buf_str(&dm->h);
	for (k = 0; ; k++) {
		n = strcspn(p, ":");
		len = snprintf(tok, sizeof(tok), "%s%.*s%c", k ? "" : "h=",
		    (int)n, p, p[n] == ':' ? ':' : ';');
		if (len < 0 || (size_t)len >= sizeof(tok))
			return -1;
		fold_tok(&f, tok, (size_t)len, k > 0);
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	len = snprintf(tok, sizeof(tok), "bh=%s;", bh);
	fold_tok(&f, tok, (size_t)len, 0);
	/* "b=" stays with some of its value: never alone at a line end. */
	n = strlen(b);
	if (f.col + 1 + 2 + 8 > DKIM_FOLD) {
		fold_raw(&f, "\r\n b=", 5);
		f.col = 3;
	} else
		fold_raw(&f, " b=", 3);
	*prefix = dm->out.len;
	while (n > 0) {
		if (f.col >= DKIM_FOLD) {
			fold_raw(&f, "\r\n ", 3);
			f.col = 1;
		}
		k = DKIM_FOLD - f.col;
		if (k > n)
			k = n;
		fold_raw(&f, b, k);
		b += k;
		n -= k;
	}
	fold_raw(&f, "\r\n", 2);
	return f.err ? -1 : 0;
}

long
dkim_msg_head(void *arg, const char *p, size_t n, struct err *e)
{
	struct dkim_msg	*dm = arg;
	char		 bh[64], b[1024];
	size_t		 pre, blen;

	dm->active = 0;
	dm->reserve = 0;
	buf_reset(&dm->head);
	if (buf_add(&dm->head, p, n) == -1)
		return err_set(e, ERR_DATA, "DKIM: header section too large");
	if (split_fields(dm, e) == -1)
		return -1;
	if (!dm->d->always && !from_in_domain(dm))
		return 0;
	if (select_fields(dm, e) == -1)
		return -1;
	blen = 4 * ((dm->d->siglen + 2) / 3);
	if (blen >= sizeof(b))
		return err_set(e, ERR_SOFTWARE, "DKIM: signature too long");
	memset(bh, 'A', 44);
	bh[44] = '\0';
	memset(b, 'A', blen);
	b[blen] = '\0';
	if (build_header(dm, bh, b, &pre) == -1)
		return err_set(e, ERR_DATA, "DKIM: signature header too long");
	if (SHA256_Init(&dm->sha) != 1)
		return err_set(e, ERR_SOFTWARE, "DKIM: SHA-256 unavailable");
	dkim_body_init(&dm->body, dm->d->brelaxed, md_emit, &dm->sha);
	dm->active = 1;
	dm->reserve = dm->out.len;
	return (long)dm->reserve;
}

void
dkim_msg_body(void *arg, const char *p, size_t n)
{
	struct dkim_msg	*dm = arg;

	if (dm->active)
		dkim_body_update(&dm->body, p, n);
}

/* The header hash input: selected fields, then this header without b=. */
static int
hash_input(struct dkim_msg *dm, size_t prefix, struct buf *in)
{
	const struct field	*f;
	size_t			 i;

	for (i = 0; i < dm->nsel; i++) {
		if (dm->sel[i] < 0)
			continue;	/* a name with no field left */
		f = &dm->f[dm->sel[i]];
		if (dkim_canon_header(dm->d->hrelaxed, dm->head.data + f->off,
		    f->len, in) == -1)
			return -1;
	}
	if (dkim_canon_header(dm->d->hrelaxed, dm->out.data, prefix,
	    in) == -1)
		return -1;
	in->len -= 2;	/* without the CRLF (RFC 6376 3.7) */
	in->data[in->len] = '\0';
	return 0;
}

/*
 * SHA-256 through OpenSSL's SHA256() and RSA_sign() on the legacy RSA
 * key, not EVP: no algorithm fetch through the provider framework (about
 * 3.5 M instructions on its first use in a process, as much as the rest
 * of a small submission); the hash code is the same (SHA-NI where the CPU
 * has it).  Ed25519 has only EVP; RFC 8463 signs the SHA-256 digest.
 */
static int
sign(struct dkim *d, const struct buf *in, unsigned char *sig, size_t *len)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 dg[SHA256_DIGEST_LENGTH];
	unsigned int	 ulen;
	int		 ok;

	SHA256((const unsigned char *)in->data, in->len, dg);
	if (!d->ed25519) {
		ulen = (unsigned int)*len;
		ok = *len >= d->siglen && RSA_sign(NID_sha256, dg,
		    sizeof(dg), sig, &ulen, d->rsa) == 1;
		*len = ulen;
		OPENSSL_cleanse(dg, sizeof(dg));
		return ok ? 0 : -1;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, d->key) == 1 &&
	    EVP_DigestSign(ctx, sig, len, dg, sizeof(dg)) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

int
dkim_msg_finish(struct dkim_msg *dm, int fd, struct err *e)
{
	struct buf	 bh, bs, in;
	unsigned char	 dg[32], sig[1024];
	size_t		 pre, len = sizeof(sig), off;
	ssize_t		 w;
	int		 rc = -1;

	if (!dm->active)
		return 0;
	dkim_body_final(&dm->body);
	buf_init(&bh, 128);
	buf_init(&bs, 2048);
	buf_init(&in, DKIM_HASHIN_MAX);
	if (SHA256_Final(dg, &dm->sha) != 1 ||
	    b64_encode(&bh, dg, sizeof(dg)) == -1 ||
	    build_header(dm, buf_str(&bh), "", &pre) == -1 ||
	    hash_input(dm, pre, &in) == -1 ||
	    dm->d->siglen > sizeof(sig) ||
	    sign(dm->d, &in, sig, &len) == -1 ||
	    b64_encode(&bs, sig, len) == -1 ||
	    build_header(dm, buf_str(&bh), buf_str(&bs), &pre) == -1) {
		err_set(e, ERR_SOFTWARE, "DKIM: signing failed");
		goto done;
	}
	if (dm->out.len != dm->reserve) {
		err_set(e, ERR_SOFTWARE, "DKIM: signature is %zu octets, %zu "
		    "reserved", dm->out.len, dm->reserve);
		goto done;
	}
	for (off = 0; off < dm->out.len; off += (size_t)w) {
		w = pwrite(fd, dm->out.data + off, dm->out.len - off,
		    (off_t)off);
		if (w == -1 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0) {
			err_set(e, ERR_IO, "writing the DKIM signature: %s",
			    w == 0 ? "short write" : strerror(errno));
			goto done;
		}
	}
	rc = 0;
done:
	buf_free(&bh);
	buf_free(&bs);
	buf_free(&in);
	return rc;
}

int
dkim_msg_signed(const struct dkim_msg *dm)
{
	return dm != NULL && dm->active;
}

int
dkim_msg_write(struct dkim *d, struct msg *m, struct msg_input *in, int fd,
    const struct msg_opts *mo, struct msg_stats *st, struct err *e)
{
	struct dkim_msg	*dm;
	struct msg_tap	 tap;
	struct msg_opts	 o = *mo;
	int		 rc;

	if (d == NULL)
		return msg_write(m, in, fd, mo, st, e);
	if ((dm = dkim_msg_new(d, time(NULL))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	tap.arg = dm;
	tap.head = dkim_msg_head;
	tap.body = dkim_msg_body;
	tap.seven_bit = 1;	/* signed bytes are sent bytes (msg.h) */
	o.tap = &tap;
	rc = msg_write(m, in, fd, &o, st, e);
	if (rc == 0)
		rc = dkim_msg_finish(dm, fd, e);
	dkim_msg_free(dm);
	return rc;
}

/* pread()/pwrite() of exactly n octets; -1 with errno (EIO: short). */
static int
pio(int fd, char *p, size_t n, off_t off, int wr)
{
	ssize_t	k;

	while (n > 0) {
		k = wr ? pwrite(fd, p, n, off) : pread(fd, p, n, off);
		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			return -1;
		}
		p += k;
		n -= (size_t)k;
		off += k;
	}
	return 0;
}

/* The header section of fd (through its empty line) into h; -1 bad. */
static int
file_head(int fd, off_t size, struct buf *h)
{
	char	*end;
	size_t	 n;

	for (;;) {
		if (h->len >= 2 && memcmp(h->data, "\r\n", 2) == 0) {
			h->len = 2;
			return 0;
		}
		if (h->len >= 4 && (end = memmem(h->data, h->len,
		    "\r\n\r\n", 4)) != NULL) {
			h->len = (size_t)(end - h->data) + 4;
			return 0;
		}
		if ((off_t)h->len >= size)
			return -1;
		n = (size_t)(size - (off_t)h->len) < 4096 ?
		    (size_t)(size - (off_t)h->len) : 4096;
		if (buf_reserve(h, n) == -1 ||
		    pio(fd, h->data + h->len, n, (off_t)h->len, 0) == -1)
			return -1;
		h->len += n;
	}
}

/* Hash fd's body from off, then move the whole file up by r octets. */
static int
file_body_shift(struct dkim_msg *dm, int fd, off_t off, off_t size, long r,
    char *chunk, size_t clen)
{
	off_t	end;
	size_t	n;

	for (; off < size; off += (off_t)n) {
		n = (size_t)(size - off) < clen ? (size_t)(size - off) : clen;
		if (pio(fd, chunk, n, off, 0) == -1)
			return -1;
		dkim_msg_body(dm, chunk, n);
	}
	/* From the end down, as memmove() does for an overlap. */
	for (end = size; end > 0; end -= (off_t)n) {
		n = (size_t)end < clen ? (size_t)end : clen;
		if (pio(fd, chunk, n, end - (off_t)n, 0) == -1 ||
		    pio(fd, chunk, n, end - (off_t)n + r, 1) == -1)
			return -1;
	}
	return 0;
}

int
dkim_sign_file(void *arg, int fd, struct err *e)
{
	struct dkim_msg	*dm;
	struct buf	 h;
	char		*chunk = NULL;
	off_t		 size;
	long		 r;
	int		 rc = -1;

	if ((size = lseek(fd, 0, SEEK_END)) == -1)
		return err_set(e, ERR_IO, "DKIM: %s", strerror(errno));
	if ((dm = dkim_msg_new(arg, time(NULL))) == NULL ||
	    (chunk = malloc(DKIM_FILE_CHUNK)) == NULL) {
		dkim_msg_free(dm);
		return err_set(e, ERR_SOFTWARE, "out of memory");
	}
	buf_init(&h, 4 * BUF_LIMIT_HEADERS);
	if (file_head(fd, size, &h) == -1)
		err_set(e, ERR_DATA, "DKIM: no header section to sign");
	else if ((r = dkim_msg_head(dm, h.data, h.len, e)) == 0)
		rc = 0;	/* sign = from-domain, From elsewhere */
	else if (r > 0 && file_body_shift(dm, fd, (off_t)h.len, size, r,
	    chunk, DKIM_FILE_CHUNK) == -1)
		err_set(e, ERR_IO, "DKIM: rewriting the message: %s",
		    strerror(errno));
	else if (r > 0)
		rc = dkim_msg_finish(dm, fd, e);
	buf_free(&h);
	free(chunk);
	dkim_msg_free(dm);
	return rc;
}

const char *
dkim_msg_header(const struct dkim_msg *dm)
{
	return buf_str(&dm->out);
}

/* -bv: the record. */

int
dkim_record_name(const struct dkim *d, char *out, size_t len)
{
	int	n = snprintf(out, len, "%s._domainkey.%s", d->selector,
	    d->domain);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The p= value: SubjectPublicKeyInfo for RSA, the raw key for Ed25519. */
static int
public_key(const struct dkim *d, unsigned char *out, size_t len, size_t *n)
{
	unsigned char	*p = out;
	int		 k;

	if (d->ed25519) {
		*n = len;
		return EVP_PKEY_get_raw_public_key(d->key, out, n) == 1 ?
		    0 : -1;
	}
	if ((k = i2d_PUBKEY(d->key, NULL)) <= 0 || (size_t)k > len ||
	    i2d_PUBKEY(d->key, &p) != k)
		return -1;
	*n = (size_t)k;
	return 0;
}

int
dkim_record_text(const struct dkim *d, struct buf *out)
{
	struct buf	 t;
	unsigned char	 pk[4096];
	char		 name[600];
	size_t		 n, i, k;
	int		 rc = -1;

	buf_init(&t, 16384);
	if (dkim_record_name(d, name, sizeof(name)) == -1 ||
	    public_key(d, pk, sizeof(pk), &n) == -1 ||
	    buf_printf(&t, "v=DKIM1; k=%s; p=", d->ed25519 ? "ed25519" :
	    "rsa") == -1 || b64_encode(&t, pk, n) == -1)
		goto done;
	if (buf_printf(out, "%s. IN TXT (", name) == -1)
		goto done;
	for (i = 0; i < t.len; i += k) {
		k = t.len - i < 255 ? t.len - i : 255;
		if (buf_printf(out, " \"%.*s\"", (int)k, t.data + i) == -1)
			goto done;
	}
	rc = buf_adds(out, " )");
done:
	buf_free(&t);
	return rc;
}

/* The tags of a key record; FWS around '=' and ';' is allowed. */
static const char *
trim(const char *s, size_t *n)
{
	while (*n > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' ||
	    s[0] == '\n')) {
		s++;
		(*n)--;
	}
	while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t' ||
	    s[*n - 1] == '\r' || s[*n - 1] == '\n'))
		(*n)--;
	return s;
}

/* One tag=value of a key record; -1 when the record is malformed. */
static int
keyrec_tag(const char *tag, size_t tn, const char *val, size_t vn,
    size_t idx, const char **k, unsigned char *key, size_t keylen,
    size_t *keyn, int *have_p)
{
	if (tn != 1)
		return 0;	/* h=, n=, s=, t= and unknown tags */
	switch (tag[0]) {
	case 'v':
		return idx == 0 && vn == 5 && memcmp(val, "DKIM1", 5) == 0 ?
		    0 : -1;
	case 'k':
		if (vn == 3 && memcmp(val, "rsa", 3) == 0)
			*k = "rsa";
		else if (vn == 7 && memcmp(val, "ed25519", 7) == 0)
			*k = "ed25519";
		else
			*k = "other";
		return 0;
	case 'p':
		if (*have_p || b64_decode(val, vn, key, keylen, keyn) == -1)
			return -1;
		*have_p = 1;
		return 0;
	default:
		return 0;
	}
}

int
dkim_parse_keyrec(const char *txt, size_t n, const char **k,
    unsigned char *key, size_t keylen, size_t *keyn)
{
	const char	*p = txt, *end, *semi, *eq, *tag, *val;
	size_t		 tn, vn, idx = 0;
	int		 have_p = 0;

	*k = "rsa";
	*keyn = 0;
	if (n == 0)
		return -1;
	end = txt + n;
	while (p < end) {
		for (semi = p; semi < end && *semi != ';'; semi++)
			;
		for (eq = p; eq < semi && *eq != '='; eq++)
			;
		tn = (size_t)(eq - p);
		tag = trim(p, &tn);
		if (eq == semi) {
			if (tn != 0)
				return -1;	/* "tag" without '=' */
		} else {
			vn = (size_t)(semi - eq - 1);
			val = trim(eq + 1, &vn);
			if (keyrec_tag(tag, tn, val, vn, idx++, k, key, keylen,
			    keyn, &have_p) == -1)
				return -1;
		}
		p = semi < end ? semi + 1 : end;
	}
	return have_p ? 0 : -1;
}

enum dkim_keycheck
dkim_check_record(const struct dkim *d, const char *txt, size_t n,
    char *why, size_t whylen)
{
	unsigned char	 pub[4096], mine[4096];
	const unsigned char *q;
	const char	*k;
	size_t		 pn, mn;
	EVP_PKEY	*pk;
	int		 same;

	if (dkim_parse_keyrec(txt, n, &k, pub, sizeof(pub), &pn) == -1) {
		snprintf(why, whylen, "not a DKIM key record");
		return DKIM_KEY_BAD;
	}
	if (strcmp(k, d->ed25519 ? "ed25519" : "rsa") != 0) {
		snprintf(why, whylen, "k=%s, the key file holds %s", k,
		    d->ed25519 ? "ed25519" : "rsa");
		return DKIM_KEY_WRONG_TYPE;
	}
	if (pn == 0) {
		snprintf(why, whylen, "the key is revoked (empty p=)");
		return DKIM_KEY_REVOKED;
	}
	if (public_key(d, mine, sizeof(mine), &mn) == -1) {
		snprintf(why, whylen, "cannot encode the loaded key");
		return DKIM_KEY_BAD;
	}
	if (d->ed25519)
		same = pn == mn && memcmp(pub, mine, mn) == 0;
	else {
		/* SubjectPublicKeyInfo, or a bare RSAPublicKey. */
		q = pub;
		if ((pk = d2i_PUBKEY(NULL, &q, (long)pn)) == NULL) {
			q = pub;
			pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)pn);
		}
		if (pk == NULL) {
			snprintf(why, whylen, "p= is not an RSA public key");
			return DKIM_KEY_BAD;
		}
		same = EVP_PKEY_eq(pk, d->key) == 1;
		EVP_PKEY_free(pk);
	}
	if (!same) {
		snprintf(why, whylen, "the published key is not the key in %s",
		    d->key_file);
		return DKIM_KEY_MISMATCH;
	}
	return DKIM_KEY_MATCH;
}
