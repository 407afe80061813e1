/*
 * auth.c -- SASL mechanisms, with OpenSSL for HMAC, PBKDF2, SHA-256 and
 * base64.
 *
 * Security assumptions: smtp.c calls these only over verified TLS (or
 * tls = none to loopback).  Server challenges are untrusted: SCRAM checks
 * the nonce prefix, caps the iteration count and verifies the server's
 * signature before AUTH counts as done.  SCRAM's user name and password
 * are SASLprep'd (saslprep.h); one that cannot be prepared (not UTF-8, a
 * prohibited character, too long) is not used with SCRAM at all
 * (auth_select() leaves SCRAM out, sasl_new() refuses).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "auth.h"
#include "config.h"
#include "saslprep.h"
#include "text.h"

#define AUTH_MECH_SCRAM	(AUTH_MECH_SCRAM_SHA_256 | AUTH_MECH_SCRAM_SHA_1)

#define SCRAM_ITER_MAX	1000000
#define SCRAM_ITER_MIN	1

static const struct {
	unsigned	 bit;
	const char	*name;
} mechs[] = {
	{ AUTH_MECH_SCRAM_SHA_256,	"SCRAM-SHA-256" },
	{ AUTH_MECH_SCRAM_SHA_1,	"SCRAM-SHA-1" },
	{ AUTH_MECH_PLAIN,		"PLAIN" },
	{ AUTH_MECH_LOGIN,		"LOGIN" },
	{ AUTH_MECH_CRAM_MD5,		"CRAM-MD5" },
	{ AUTH_MECH_XOAUTH2,		"XOAUTH2" },
	{ AUTH_MECH_OAUTHBEARER,	"OAUTHBEARER" },
};

enum sasl_state { S_START, S_STEP1, S_STEP2, S_DONE };

struct sasl {
	unsigned	 mech;
	enum sasl_state	 state;
	char		*user;
	char		*secret;
	int		 complete;
	/* SCRAM */
	char		 cnonce[65];
	size_t		 cnonce_len;
	struct buf	 client_first_bare;
	unsigned char	 server_sig[EVP_MAX_MD_SIZE];
	size_t		 server_sig_len;
};

const char *
auth_mech_name(unsigned mech)
{
	size_t	i;

	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
		if (mechs[i].bit == mech)
			return mechs[i].name;
	return "?";
}

unsigned
auth_mech_parse(const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
		if (strlen(mechs[i].name) == len &&
		    strncasecmp(mechs[i].name, name, len) == 0)
			return mechs[i].bit;
	return 0;
}

unsigned
auth_choose(const char *list, unsigned allowed, int auto_mode, int over_tls)
{
	unsigned	offered = 0, bit;
	const char	*p = list, *q;
	size_t		i;

	while (p != NULL && *p != '\0') {
		while (*p == ' ')
			p++;
		for (q = p; *q != '\0' && *q != ' '; q++)
			;
		if ((bit = auth_mech_parse(p, (size_t)(q - p))) != 0)
			offered |= bit;
		p = q;
	}
	if (auto_mode)	/* OAuth needs a token: only when asked for */
		allowed &= ~(AUTH_MECH_XOAUTH2 | AUTH_MECH_OAUTHBEARER);
	/* auth.h says why PLAIN goes first over verified TLS. */
	if (auto_mode && over_tls && (offered & allowed & AUTH_MECH_PLAIN))
		return AUTH_MECH_PLAIN;
	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
		if ((offered & allowed & mechs[i].bit) != 0)
			return mechs[i].bit;
	return 0;
}

/* SASLprep user and secret; 0, or -1 with *why (which one, and why). */
static int
scram_prepare(const char *user, const char *secret, char **puser,
    char **psecret, char *why, size_t whylen)
{
	const char	*r;

	*puser = *psecret = NULL;
	if (saslprep(user ? user : "", puser, &r) != SASLPREP_OK) {
		snprintf(why, whylen, "the user name cannot be prepared with "
		    "SASLprep (RFC 4013): %s", r);
		return -1;
	}
	if (saslprep(secret ? secret : "", psecret, &r) != SASLPREP_OK) {
		explicit_bzero(*puser, strlen(*puser));
		free(*puser);
		*puser = NULL;
		snprintf(why, whylen, "the password cannot be prepared with "
		    "SASLprep (RFC 4013): %s", r);
		return -1;
	}
	return 0;
}

static void
wipe_free(char *p)
{
	if (p != NULL) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
}

int
auth_select(const char *list, unsigned allowed, int auto_mode, int over_tls,
    const char *user, const char *secret, unsigned *mech, char *note,
    size_t notelen, struct err *e)
{
	char		 why[256], *u, *p;
	unsigned	 first;

	if (notelen > 0)
		note[0] = '\0';
	*mech = auth_choose(list, allowed, auto_mode, over_tls);
	if ((*mech & AUTH_MECH_SCRAM) == 0)
		return 0;
	if (scram_prepare(user, secret, &u, &p, why, sizeof(why)) == 0) {
		wipe_free(u);
		wipe_free(p);
		return 0;
	}
	first = *mech;
	*mech = auth_choose(list, allowed & ~AUTH_MECH_SCRAM, auto_mode,
	    over_tls);
	if (*mech == 0)
		return err_set(e, ERR_CONFIG, "cannot use %s: %s (and no "
		    "other allowed mechanism is offered)",
		    auth_mech_name(first), why);
	snprintf(note, notelen, "not using %s: %s; using %s instead",
	    auth_mech_name(first), why, auth_mech_name(*mech));
	return 0;
}

int
auth_b64_encode(const void *p, size_t n, struct buf *out)
{
	buf_reset(out);
	return text_b64_append(out, p, n);
}

int
auth_b64_decode(const char *s, size_t n, struct buf *out, struct err *e)
{
	size_t	i, pad = 0, need;
	int	r;

	buf_reset(out);
	if (n % 4 != 0)
		return err_set(e, ERR_TEMP, "bad base64 from server");
	for (i = 0; i < n; i++) {
		if (s[i] == '=') {
			if (i < n - 2)
				return err_set(e, ERR_TEMP,
				    "bad base64 padding from server");
			pad++;
		} else if (!(isalnum((unsigned char)s[i]) || s[i] == '+' ||
		    s[i] == '/') || pad > 0) {
			return err_set(e, ERR_TEMP, "bad base64 from server");
		}
	}
	need = n / 4 * 3;
	if (buf_reserve(out, need) == -1)
		return err_set(e, ERR_TEMP, "server challenge too long");
	r = n ? EVP_DecodeBlock((unsigned char *)out->data,
	    (const unsigned char *)s, (int)n) : 0;
	if (r < 0)
		return err_set(e, ERR_TEMP, "bad base64 from server");
	out->len = (size_t)r - pad;
	out->data[out->len] = '\0';
	return 0;
}

int
sasl_new(struct sasl **sp, unsigned mech, const char *user,
    const char *secret, struct err *e)
{
	struct sasl	*s;
	char		 why[256];

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	if ((mech & AUTH_MECH_SCRAM) != 0) {
		/* RFC 5802 2.2 and 5.1: Normalize(password), saslname. */
		if (scram_prepare(user, secret, &s->user, &s->secret, why,
		    sizeof(why)) == -1) {
			free(s);
			return err_set(e, ERR_CONFIG, "%s: %s",
			    auth_mech_name(mech), why);
		}
	} else if ((s->user = strdup(user ? user : "")) == NULL ||
	    (s->secret = strdup(secret ? secret : "")) == NULL) {
		free(s->user);
		free(s);
		return err_set(e, ERR_SOFTWARE, "out of memory");
	}
	s->mech = mech;
	buf_init(&s->client_first_bare, 1024);
	*sp = s;
	return 0;
}

void
sasl_free(struct sasl *s)
{
	if (s == NULL)
		return;
	if (s->secret != NULL) {
		explicit_bzero(s->secret, strlen(s->secret));
		free(s->secret);
	}
	free(s->user);
	buf_free(&s->client_first_bare);
	explicit_bzero(s, sizeof(*s));
	free(s);
}

int
sasl_set_nonce(struct sasl *s, const char *nonce)
{
	size_t	n = strlen(nonce);

	if (n == 0 || n >= sizeof(s->cnonce))
		return -1;
	memcpy(s->cnonce, nonce, n + 1);
	s->cnonce_len = n;
	return 0;
}

int
sasl_complete(const struct sasl *s)
{
	return s->complete;
}

int
sasl_has_initial(const struct sasl *s)
{
	return s->mech != AUTH_MECH_LOGIN && s->mech != AUTH_MECH_CRAM_MD5;
}

/* SCRAM saslname: "=" -> "=3D", "," -> "=2C". */
static int
add_saslname(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '=') {
			if (buf_adds(b, "=3D") == -1)
				return -1;
		} else if (*s == ',') {
			if (buf_adds(b, "=2C") == -1)
				return -1;
		} else if (buf_addc(b, *s) == -1)
			return -1;
	}
	return 0;
}

/* Find "k=" attribute in a SCRAM message; returns its value and length. */
static const char *
scram_attr(const char *msg, size_t len, char k, size_t *vlen)
{
	size_t	i = 0, j;

	while (i < len) {
		if (i + 1 < len && msg[i] == k && msg[i + 1] == '=') {
			for (j = i + 2; j < len && msg[j] != ','; j++)
				;
			*vlen = j - i - 2;
			return msg + i + 2;
		}
		while (i < len && msg[i] != ',')
			i++;
		i++;
	}
	return NULL;
}

static int
scram_first(struct sasl *s, struct buf *out, struct err *e)
{
	unsigned char	rnd[16];
	size_t		i;

	if (s->cnonce_len == 0) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return err_set(e, ERR_SOFTWARE,
			    "no randomness for SCRAM");
		for (i = 0; i < sizeof(rnd); i++) {
			s->cnonce[2 * i] = "0123456789abcdef"[rnd[i] >> 4];
			s->cnonce[2 * i + 1] = "0123456789abcdef"[rnd[i] & 15];
		}
		s->cnonce[32] = '\0';
		s->cnonce_len = 32;
	}
	buf_reset(&s->client_first_bare);
	if (buf_adds(&s->client_first_bare, "n=") == -1 ||
	    add_saslname(&s->client_first_bare, s->user) == -1 ||
	    buf_printf(&s->client_first_bare, ",r=%s", s->cnonce) == -1 ||
	    buf_adds(out, "n,,") == -1 ||
	    buf_add(out, s->client_first_bare.data,
	    s->client_first_bare.len) == -1)
		return err_set(e, ERR_SOFTWARE, "SCRAM: user name too long");
	return 0;
}

static int
scram_final(struct sasl *s, const unsigned char *ch, size_t len,
    struct buf *out, struct err *e)
{
	const char	*msg = (const char *)ch, *nonce, *salt64, *iter;
	size_t		 nlen, slen, ilen, i;
	const EVP_MD	*md = s->mech == AUTH_MECH_SCRAM_SHA_1 ? EVP_sha1() :
			    EVP_sha256();
	unsigned char	 salted[EVP_MAX_MD_SIZE];
	unsigned char	 ckey[EVP_MAX_MD_SIZE], skey[EVP_MAX_MD_SIZE];
	unsigned char	 stored[EVP_MAX_MD_SIZE];
	unsigned char	 csig[EVP_MAX_MD_SIZE];
	unsigned char	 proof[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	size_t		 dlen = (size_t)EVP_MD_get_size(md);
	struct buf	 salt, authmsg, tmp;
	uint64_t	 iters;
	int		 rc = -1;

	buf_init(&salt, 1024);
	buf_init(&authmsg, 4096);
	buf_init(&tmp, 1024);
	nonce = scram_attr(msg, len, 'r', &nlen);
	salt64 = scram_attr(msg, len, 's', &slen);
	iter = scram_attr(msg, len, 'i', &ilen);
	if (nonce == NULL || salt64 == NULL || iter == NULL ||
	    nlen <= s->cnonce_len ||
	    memcmp(nonce, s->cnonce, s->cnonce_len) != 0) {
		err_set(e, ERR_TEMP, "SCRAM: bad server-first message");
		goto out;
	}
	/* Digits only (RFC 5802 7: posit-number), no sign, blank or zero. */
	if (text_parse_u64(iter, ilen, SCRAM_ITER_MAX, &iters) == -1 ||
	    iters < SCRAM_ITER_MIN) {
		err_set(e, ERR_TEMP, "SCRAM: iteration count out of range");
		goto out;
	}
	if (auth_b64_decode(salt64, slen, &salt, e) == -1)
		goto out;
	if (PKCS5_PBKDF2_HMAC(s->secret, (int)strlen(s->secret),
	    (unsigned char *)salt.data, (int)salt.len, (int)iters,
	    md, (int)dlen, salted) != 1) {
		err_set(e, ERR_SOFTWARE, "SCRAM: PBKDF2 failed");
		goto out;
	}
	HMAC(md, salted, (int)dlen, (const unsigned char *)"Client Key", 10,
	    ckey, &mdlen);
	HMAC(md, salted, (int)dlen, (const unsigned char *)"Server Key", 10,
	    skey, &mdlen);
	EVP_Digest(ckey, dlen, stored, &mdlen, md, NULL);
	/* client-final-without-proof = "c=biws,r=" nonce */
	if (buf_add(&authmsg, s->client_first_bare.data,
	    s->client_first_bare.len) == -1 ||
	    buf_addc(&authmsg, ',') == -1 ||
	    buf_add(&authmsg, msg, len) == -1 ||
	    buf_adds(&authmsg, ",c=biws,r=") == -1 ||
	    buf_add(&authmsg, nonce, nlen) == -1) {
		err_set(e, ERR_TEMP, "SCRAM: message too long");
		goto out;
	}
	HMAC(md, stored, (int)dlen, (unsigned char *)authmsg.data,
	    authmsg.len, csig, &mdlen);
	HMAC(md, skey, (int)dlen, (unsigned char *)authmsg.data, authmsg.len,
	    s->server_sig, &mdlen);
	s->server_sig_len = dlen;
	for (i = 0; i < dlen; i++)
		proof[i] = ckey[i] ^ csig[i];
	if (auth_b64_encode(proof, dlen, &tmp) == -1 ||
	    buf_adds(out, "c=biws,r=") == -1 ||
	    buf_add(out, nonce, nlen) == -1 ||
	    buf_adds(out, ",p=") == -1 ||
	    buf_add(out, tmp.data, tmp.len) == -1) {
		err_set(e, ERR_TEMP, "SCRAM: message too long");
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(salted, sizeof(salted));
	explicit_bzero(ckey, sizeof(ckey));
	explicit_bzero(skey, sizeof(skey));
	explicit_bzero(stored, sizeof(stored));
	explicit_bzero(csig, sizeof(csig));
	explicit_bzero(proof, sizeof(proof));
	buf_free(&salt);
	buf_free(&authmsg);
	buf_free(&tmp);
	return rc;
}

static int
scram_verify(struct sasl *s, const unsigned char *ch, size_t len,
    struct err *e)
{
	const char	*v;
	size_t		 vlen;
	struct buf	 sig;
	int		 ok;

	v = scram_attr((const char *)ch, len, 'v', &vlen);
	if (v == NULL)
		return err_set(e, ERR_TEMP, "SCRAM: server refused the proof");
	buf_init(&sig, 256);
	ok = auth_b64_decode(v, vlen, &sig, e) == 0 &&
	    sig.len == s->server_sig_len && sig.len > 0 &&
	    CRYPTO_memcmp(sig.data, s->server_sig, sig.len) == 0;
	buf_free(&sig);
	if (!ok)
		return err_set(e, ERR_TEMP,
		    "SCRAM: server signature does not verify");
	s->complete = 1;
	return 0;
}

/* PLAIN, LOGIN and CRAM-MD5: the password (or its HMAC) in clear. */
static int
step_password(struct sasl *s, const unsigned char *ch, size_t len,
    struct buf *out, struct err *e)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen, i;

	switch (s->mech) {
	case AUTH_MECH_PLAIN:
		if (s->state != S_START)
			return err_set(e, ERR_TEMP, "PLAIN: unexpected "
			    "challenge");
		s->state = S_DONE;
		s->complete = 1;
		if (buf_addc(out, '\0') == -1 || buf_adds(out, s->user) == -1 ||
		    buf_addc(out, '\0') == -1 || buf_adds(out, s->secret) == -1)
			return err_set(e, ERR_CONFIG, "credentials too long");
		return 0;
	case AUTH_MECH_LOGIN:
		/* Challenges are "Username:" then "Password:". */
		if (s->state == S_START) {
			s->state = S_STEP1;
			return buf_adds(out, s->user) == -1 ? err_set(e,
			    ERR_CONFIG, "user name too long") : 0;
		}
		if (s->state == S_STEP1) {
			s->state = S_DONE;
			s->complete = 1;
			return buf_adds(out, s->secret) == -1 ? err_set(e,
			    ERR_CONFIG, "password too long") : 0;
		}
		return err_set(e, ERR_TEMP, "LOGIN: unexpected challenge");
	case AUTH_MECH_CRAM_MD5:
		if (s->state != S_START || ch == NULL)
			return err_set(e, ERR_TEMP, "CRAM-MD5: unexpected "
			    "challenge");
		s->state = S_DONE;
		s->complete = 1;
		HMAC(EVP_md5(), s->secret, (int)strlen(s->secret), ch, len,
		    md, &mdlen);
		if (buf_adds(out, s->user) == -1 || buf_addc(out, ' ') == -1)
			return err_set(e, ERR_CONFIG, "user name too long");
		for (i = 0; i < mdlen; i++)
			buf_printf(out, "%02x", md[i]);
		return 0;
	}
	return err_set(e, ERR_SOFTWARE, "unknown SASL mechanism");
}

/* XOAUTH2 and OAUTHBEARER: a bearer token. */
static int
step_oauth(struct sasl *s, struct buf *out, struct err *e)
{
	switch (s->mech) {
	case AUTH_MECH_XOAUTH2:
		if (s->state != S_START) {
			/* An error challenge: answer empty, then 5xx comes. */
			s->state = S_DONE;
			return 0;
		}
		s->state = S_STEP1;
		s->complete = 1;
		if (buf_printf(out, "user=%s\001auth=Bearer %s\001\001",
		    s->user, s->secret) == -1)
			return err_set(e, ERR_CONFIG, "token too long");
		return 0;
	case AUTH_MECH_OAUTHBEARER:
		if (s->state != S_START) {
			/* RFC 7628 3.2.3: answer an error with %x01. */
			s->state = S_DONE;
			return buf_addc(out, 1);
		}
		s->state = S_STEP1;
		s->complete = 1;
		if (buf_adds(out, "n,a=") == -1 ||
		    add_saslname(out, s->user) == -1 ||
		    buf_printf(out, ",\001auth=Bearer %s\001\001",
		    s->secret) == -1)
			return err_set(e, ERR_CONFIG, "token too long");
		return 0;
	}
	return err_set(e, ERR_SOFTWARE, "unknown SASL mechanism");
}

static int
step_scram(struct sasl *s, const unsigned char *ch, size_t len,
    struct buf *out, struct err *e)
{
	if (s->state == S_START) {
		s->state = S_STEP1;
		return scram_first(s, out, e);
	}
	if (s->state == S_STEP1) {
		s->state = S_STEP2;
		return scram_final(s, ch, len, out, e);
	}
	if (s->state == S_STEP2) {
		s->state = S_DONE;
		return scram_verify(s, ch, len, e);
	}
	return err_set(e, ERR_TEMP, "SCRAM: unexpected challenge");
}

int
sasl_step(struct sasl *s, const unsigned char *ch, size_t len,
    struct buf *out, struct err *e)
{
	buf_reset(out);
	switch (s->mech) {
	case AUTH_MECH_PLAIN:
	case AUTH_MECH_LOGIN:
	case AUTH_MECH_CRAM_MD5:
		return step_password(s, ch, len, out, e);
	case AUTH_MECH_XOAUTH2:
	case AUTH_MECH_OAUTHBEARER:
		return step_oauth(s, out, e);
	case AUTH_MECH_SCRAM_SHA_256:
	case AUTH_MECH_SCRAM_SHA_1:
		return step_scram(s, ch, len, out, e);
	}
	return err_set(e, ERR_SOFTWARE, "unknown SASL mechanism");
}
