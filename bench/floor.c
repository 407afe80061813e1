/*
 * bench/floor.c -- the least work OpenSSL 3 lets any client do for what a
 * benchmark row asks of postern, so that a target can be compared with
 * what is physically possible with the fixed TLS library.
 *
 *   floor exec                       exit at once (fork + exec + loader)
 *   floor ctx CAFILE                 OPENSSL_init_ssl, SSL_CTX_new (the CA
 *                                    file is read when a chain is verified)
 *   floor starttls CAFILE PORT HOST  ctx, then EHLO, STARTTLS, a verified
 *                                    TLS handshake with 127.0.0.1:PORT
 *                                    (name HOST) against CAFILE, QUIT; no
 *                                    AUTH, no mail
 *   floor resume CAFILE PORT HOST FILE
 *                                    the same, resuming the session kept
 *                                    in FILE (DER) when there is one, and
 *                                    keeping the server's last ticket there
 *   floor sign-ed25519 DERFILE       Ed25519 key (PKCS#8 DER) from the
 *                                    file, one signature of a digest
 *   floor sign-rsa DERFILE           RSA key (PKCS#1 DER), RSA_sign() of a
 *                                    SHA-256 digest (with blinding)
 *   floor read FILE                  read FILE in 1 MiB blocks
 *   floor sha256 FILE                the same, and SHA-256 of it
 *
 * Each mode uses the cheapest OpenSSL 3 calls for its job (the same ones
 * postern uses, or cheaper): no error strings, no atexit clean-up, keys
 * without the provider decoders.  Run under bench/runone; the caller takes
 * medians and differences (sign-* minus exec, sha256 minus read).  Exits 0
 * on success, 1 on any failure.
 */
#define OPENSSL_SUPPRESS_DEPRECATED	/* RSA_sign, SHA256_*: no fetches */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#define BLOCK	(1 << 20)

static unsigned char	blk[BLOCK];
static SSL_SESSION	*ticket;	/* resume: the newest session */

static int
new_session(SSL *s, SSL_SESSION *sess)
{
	(void)s;
	SSL_SESSION_free(ticket);
	ticket = sess;
	return 1;	/* kept */
}

static void
init(void)
{
	OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_SSL_STRINGS |
	    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_NO_ATEXIT,
	    NULL);
}

/* libcrypto alone (no libssl set-up), as postern's signer starts it. */
static void
init_crypto(void)
{
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
	    OPENSSL_INIT_NO_ATEXIT, NULL);
}

/*
 * The CA file is read only when a chain is to be verified, as postern
 * does: a resumed session verifies none.
 */
static int
verify_chain(X509_STORE_CTX *x, void *arg)
{
	static int	loaded;

	if (!loaded) {
		if (X509_STORE_load_file(X509_STORE_CTX_get0_store(x),
		    arg) != 1)
			return 0;
		loaded = 1;
	}
	return X509_verify_cert(x);
}

/* One reply (one read: the servers here answer in one segment). */
static int
reply(int fd)
{
	ssize_t	n = read(fd, blk, 4096);

	return n > 3 && blk[0] >= '2' && blk[0] <= '3' ? 0 : -1;
}

static int
say(int fd, const char *s)
{
	size_t	n = strlen(s);

	return write(fd, s, n) == (ssize_t)n ? reply(fd) : -1;
}

static int
starttls(SSL_CTX *ctx, const char *port, const char *host, SSL_SESSION *old)
{
	struct sockaddr_in	 sa;
	SSL			*s;
	int			 fd, ok;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(port));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    reply(fd) == -1 || say(fd, "EHLO floor.example\r\n") == -1 ||
	    say(fd, "STARTTLS\r\n") == -1)
		return -1;
	if ((s = SSL_new(ctx)) == NULL || SSL_set_fd(s, fd) != 1 ||
	    SSL_set_tlsext_host_name(s, host) != 1 ||
	    SSL_set1_host(s, host) != 1 ||
	    (old != NULL && SSL_set_session(s, old) != 1))
		return -1;
	ok = SSL_connect(s) == 1 && SSL_get_verify_result(s) == X509_V_OK &&
	    SSL_write(s, "QUIT\r\n", 6) == 6 && SSL_read(s, blk, 4096) > 3;
	if (!ok)
		return -1;
	return SSL_session_reused(s) ? 1 : 0;
}

/* resume: the session in path (none when there is none), then the run. */
static int
resume(SSL_CTX *ctx, const char *port, const char *host, const char *path)
{
	const unsigned char	*p = blk;
	SSL_SESSION		*old = NULL;
	unsigned char		*q;
	FILE			*f;
	long			 n;
	int			 len, ok, reused;

	if ((f = fopen(path, "rb")) != NULL) {
		n = (long)fread(blk, 1, 65536, f);
		fclose(f);
		old = d2i_SSL_SESSION(NULL, &p, n);
	}
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, new_session);
	if ((reused = starttls(ctx, port, host, old)) == -1)
		return -1;
	/* Resumed without a new ticket: the old one stays. */
	if (ticket != NULL) {
		if ((len = i2d_SSL_SESSION(ticket, NULL)) <= 0 || len > 65536)
			return -1;
		q = blk;
		i2d_SSL_SESSION(ticket, &q);
		if ((f = fopen(path, "wb")) == NULL)
			return -1;
		ok = fwrite(blk, 1, (size_t)len, f) == (size_t)len;
		if (fclose(f) != 0 || !ok)
			return -1;
	}
	/*
	 * A floor must not overstate: a session offered and not taken (the
	 * server's ticket key changed) fails this run; the next one has the
	 * new ticket.
	 */
	if (old != NULL && !reused) {
		fprintf(stderr, "floor: the server did not resume\n");
		return -1;
	}
	return 0;
}

/* The whole of a small file into blk. */
static long
slurp(const char *path)
{
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, blk, sizeof(blk));
	close(fd);
	return n;
}

static int
sign_ed25519(const char *path)
{
	static const unsigned char	dg[32] = { 1 };
	unsigned char			 sig[64];
	size_t				 siglen = sizeof(sig);
	EVP_PKEY			*k;
	EVP_MD_CTX			*c;
	long				 n = slurp(path);

	/* PKCS#8 Ed25519: the raw private key is the last 32 octets. */
	if (n != 48 || (k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519,
	    NULL, blk + 16, 32)) == NULL || (c = EVP_MD_CTX_new()) == NULL)
		return -1;
	return EVP_DigestSignInit(c, NULL, NULL, NULL, k) == 1 &&
	    EVP_DigestSign(c, sig, &siglen, dg, sizeof(dg)) == 1 ? 0 : -1;
}

static int
sign_rsa(const char *path)
{
	static const unsigned char	 dg[32] = { 1 };
	static unsigned char		 sig[1024];
	const unsigned char		*p = blk;
	unsigned int			 siglen;
	RSA				*r;
	long				 n = slurp(path);

	if (n <= 0 || (r = d2i_RSAPrivateKey(NULL, &p, n)) == NULL ||
	    (size_t)RSA_size(r) > sizeof(sig))
		return -1;
	return RSA_sign(NID_sha256, dg, sizeof(dg), sig, &siglen, r) == 1 ?
	    0 : -1;
}

static int
hash_file(const char *path, int hash)
{
	SHA256_CTX	c;
	unsigned char	md[32];
	ssize_t		n;
	int		fd;

	if ((fd = open(path, O_RDONLY)) == -1 || SHA256_Init(&c) != 1)
		return -1;
	while ((n = read(fd, blk, sizeof(blk))) > 0)
		if (hash)
			SHA256_Update(&c, blk, (size_t)n);
	close(fd);
	return n == 0 && SHA256_Final(md, &c) == 1 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	SSL_CTX	*ctx;
	int	 rc = -1;

	if (argc == 2 && strcmp(argv[1], "exec") == 0)
		return 0;
	if (argc == 3 && strcmp(argv[1], "read") == 0)
		rc = hash_file(argv[2], 0);
	else if (argc == 3 && strcmp(argv[1], "sha256") == 0)
		rc = hash_file(argv[2], 1);
	else if (argc == 3 && strcmp(argv[1], "sign-ed25519") == 0) {
		init_crypto();
		rc = sign_ed25519(argv[2]);
	} else if (argc == 3 && strcmp(argv[1], "sign-rsa") == 0) {
		init_crypto();
		rc = sign_rsa(argv[2]);
	} else if ((argc == 3 && strcmp(argv[1], "ctx") == 0) ||
	    (argc == 5 && strcmp(argv[1], "starttls") == 0) ||
	    (argc == 6 && strcmp(argv[1], "resume") == 0)) {
		init();
		if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
			return 1;
		SSL_CTX_set_cert_verify_callback(ctx, verify_chain, argv[2]);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if (argc == 6)
			rc = resume(ctx, argv[3], argv[4], argv[5]);
		else
			rc = argc == 3 ? 0 : starttls(ctx, argv[3], argv[4],
			    NULL) == -1 ? -1 : 0;
	} else {
		fprintf(stderr, "usage: floor exec | ctx CAFILE | starttls "
		    "CAFILE PORT HOST | resume CAFILE PORT HOST FILE | "
		    "sign-ed25519 DER | sign-rsa DER | "
		    "read FILE | sha256 FILE\n");
		return 2;
	}
	if (rc == -1)
		fprintf(stderr, "floor %s: failed\n", argv[1]);
	return rc == -1 ? 1 : 0;
}
