/*
 * tls.c -- TLS client (OpenSSL 3).
 *
 * Cost (callgrind, one STARTTLS submission; bench/README.md): OpenSSL 3.0
 * makes each process pay for SSL_CTX_new (~10 M instructions: it builds
 * every cipher, digest and key-exchange method of the default provider),
 * the dynamic loader (~3.3 M: libcrypto alone has ~4,000 symbol
 * relocations, bound at start because Debian links it -z now) and, when
 * asked, the whole system bundle (~250 M for ~150 certificates).  So:
 * trust anchors are loaded only when a chain has to be verified (a
 * resumed session needs none): tls_ca_file in the verify callback, the
 * system store through its hashed directory (c_rehash links), which loads
 * only the issuers a chain names; the error strings (~1.3 M) only when an
 * error is to be printed; no OPENSSL_cleanup at exit (~1.1 M, it only
 * frees memory); and a TLS 1.3 session is resumed from the cache
 * (tls_cache.h) when the server allows it.  openssl.cnf is still loaded:
 * it may carry the system's crypto policy (Fedora's crypto-policies, a
 * FIPS provider), and skipping it would save only ~0.8 M.
 *
 * Security assumptions: the configured host name is the identity we check
 * (never a name from DNS); TLS 1.2 is the floor; SNI is sent except for IP
 * literals (RFC 6066 3), which are matched against IP SANs instead; the
 * subject CN is never consulted and wildcards only match a whole left-most
 * label.  With tls_verify = no (or a pin and no tls_verify line) the
 * session is accepted only when the certificate matches the pinned SHA-256
 * fingerprint (config.c guarantees one is set).  In a set-id process
 * OpenSSL itself ignores OPENSSL_CONF, and secure_getenv() hides
 * SSL_CERT_DIR and SSL_CERT_FILE; main.c also clears the environment.
 *
 * The system store is the hashed directory alone when it has c_rehash
 * links (on Debian, update-ca-certificates writes the links and the bundle
 * from the same certificates); without links the bundle is loaded, so no
 * issuer that SSL_CTX_set_default_verify_paths would trust is lost there.
 *
 * Session cache: a cached session is offered only under the same binding
 * (make_binding: host, port and every setting that decides what a full
 * handshake accepts) and only TLS 1.3 sessions are kept (psk_dhe_ke: a
 * resumption still runs a fresh key exchange).  A resumed session skips
 * the certificate exchange, so check_peer() checks again, on the
 * certificate the session carries, what the handshake would have: the
 * verify result it was made with, the name or IP, the validity period and
 * the pin; a session failing any of them is removed from the cache.  Only
 * a full handshake that passed every check stores a session, never beyond
 * the earliest notAfter of its verified chain, so at least once per ticket
 * lifetime the chain is verified in full.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ERR_load_*_strings are deprecated in 3.0 but are the only way to load
 * the error strings after OPENSSL_INIT_NO_LOAD_*_STRINGS. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "clock.h"
#include "io.h"
#include "tls.h"
#include "tls_cache.h"

struct tls {
	SSL_CTX			*ctx;
	SSL			*ssl;
	int			 fd;
	const struct tls_params	*p;		/* &params */
	struct tls_params	 params;	/* the caller's, copied */
	char			*cache_dir;	/* owned copy */
	char			*host;		/* owned copy, for the cache */
	const char		*lazy_file;	/* trust file not yet loaded */
	const char		*bundle;	/* system bundle, if the hashed
						   directory misses an issuer */
	char			 lazy_err[256];	/* loading it failed */
	char			 self_fp[128];	/* a self-signed leaf's pin */
	unsigned char		 bind[TLS_CACHE_BIND_LEN];
	int			 bound;		/* bind is valid */
	int			 verified;	/* every check passed */
	int			 stored;	/* a session was written */
	time_t			 chain_end;	/* earliest notAfter, 0: none */
};

static void
load_error_strings(void)
{
	static int	loaded;

	if (loaded)
		return;
	loaded = 1;
	ERR_load_ERR_strings();
	ERR_load_SSL_strings();
	ERR_load_X509_strings();
	ERR_load_X509V3_strings();
	ERR_load_PEM_strings();
	ERR_load_ASN1_strings();
	ERR_load_EVP_strings();
	ERR_load_BIO_strings();
	ERR_load_CRYPTO_strings();
}

static void
ssl_errstr(char *out, size_t len)
{
	unsigned long	code = ERR_get_error();

	if (code == 0) {
		snprintf(out, len, "TLS failure");
	} else {
		load_error_strings();
		ERR_error_string_n(code, out, len);
	}
	ERR_clear_error();
}

/*
 * Run one SSL call to completion within the deadline.  op: 0 handshake,
 * 1 read, 2 write.  Returns what the call returned (> 0), 0 for a clean EOF
 * on read, or -1 with *e set.
 */
static int
tls_io(struct tls *t, int op, void *rbuf, const void *wbuf, size_t n,
    long long deadline, struct err *e)
{
	short		events;
	size_t		done = 0;
	char		msg[256];
	int		rc, ssle;

	for (;;) {
		ERR_clear_error();
		if (op == 0)
			rc = SSL_connect(t->ssl);
		else if (op == 1)
			rc = SSL_read_ex(t->ssl, rbuf, n, &done) ? 1 : 0;
		else
			rc = SSL_write_ex(t->ssl, wbuf, n, &done) ? 1 : 0;
		if (rc == 1)
			return op == 0 ? 1 : (int)done;
		ssle = SSL_get_error(t->ssl, rc);
		switch (ssle) {
		case SSL_ERROR_WANT_READ:
			events = POLLIN;
			break;
		case SSL_ERROR_WANT_WRITE:
			events = POLLOUT;
			break;
		case SSL_ERROR_ZERO_RETURN:
			if (op == 1)
				return 0;
			return err_set(e, ERR_TEMP, "TLS session closed");
		case SSL_ERROR_SYSCALL:
			if (errno == 0 || errno == EPIPE || errno == ECONNRESET)
				return err_set(e, ERR_TEMP,
				    "connection closed during TLS");
			return err_set(e, ERR_TEMP, "TLS: %s", strerror(errno));
		default:
			ssl_errstr(msg, sizeof(msg));
			return err_set(e, ERR_TEMP, "TLS: %s", msg);
		}
		if (clock_now_ms() >= deadline)
			return err_set(e, ERR_TEMP, "timed out during TLS");
		if (io_wait(t->fd, events, deadline, e) == -1) {
			if (clock_now_ms() >= deadline)
				err_set(e, ERR_TEMP, "timed out during TLS");
			return -1;
		}
	}
}

static int
cert_fingerprint(X509 *cert, char *out, size_t len)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen, i;
	size_t		pos;

	if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1)
		return -1;
	/* "sha256:" and mdlen hex pairs joined by ':'; never a prefix, which
	 * could not match a whole pin. */
	if (len < 7 + (size_t)mdlen * 3)
		return -1;
	pos = (size_t)snprintf(out, len, "sha256:");
	for (i = 0; i < mdlen; i++)
		pos += (size_t)snprintf(out + pos, len - pos, "%s%02X",
		    i ? ":" : "", md[i]);
	return 0;
}

/* Strip "[...]" and an "IPv6:" tag; return 1 if what is left is an IP. */
static int
ip_literal(const char *host, char *ip, size_t len)
{
	unsigned char	tmp[16];
	size_t		n = strlen(host);

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		host++;
		n -= 2;
		if (n > 5 && strncasecmp(host, "IPv6:", 5) == 0) {
			host += 5;
			n -= 5;
		}
	}
	if (n >= len)
		return 0;
	memcpy(ip, host, n);
	ip[n] = '\0';
	return inet_pton(AF_INET, ip, tmp) == 1 ||
	    inet_pton(AF_INET6, ip, tmp) == 1;
}

/* ---- trust: loaded only when a chain is verified ------------------- */

/* 1 if one of the ':'-separated directories holds a c_rehash link. */
static int
hashed_dir(const char *dirs)
{
	char		 one[4096];
	const char	*p = dirs, *q;
	struct dirent	*de;
	DIR		*d;
	size_t		 n, i;
	int		 found = 0;

	while (!found && *p != '\0') {
		q = strchr(p, ':');
		n = q != NULL ? (size_t)(q - p) : strlen(p);
		if (n > 0 && n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = '\0';
			if ((d = opendir(one)) != NULL) {
				while (!found && (de = readdir(d)) != NULL) {
					/* HHHHHHHH.D: 8 hex digits, a dot,
					 * a digit. */
					for (i = 0; i < 8 && isxdigit(
					    (unsigned char)de->d_name[i]); i++)
						;
					found = i == 8 &&
					    de->d_name[8] == '.' &&
					    isdigit((unsigned char)de->d_name[9]);
				}
				closedir(d);
			}
		}
		p += n;
		if (*p == ':')
			p++;
	}
	return found;
}

/* Where the system store is (OpenSSL's defaults; its variables unless
 * set-id, as SSL_CTX_set_default_verify_paths does). */
static void
system_store(const char **dir, const char **file)
{
	const char	*v;

	*dir = X509_get_default_cert_dir();
	*file = X509_get_default_cert_file();
	if ((v = secure_getenv(X509_get_default_cert_dir_env())) != NULL &&
	    *v != '\0')
		*dir = v;
	if ((v = secure_getenv(X509_get_default_cert_file_env())) != NULL &&
	    *v != '\0')
		*file = v;
}

/*
 * The system store without reading it: its hashed directory (each lookup
 * reads only the files of one subject hash).  A directory without
 * c_rehash links means the bundle file is the store: it is loaded, at
 * verification time, as SSL_CTX_set_default_verify_paths would.  With
 * links, the bundle is still read when the directory misses an issuer
 * (verify_bundle), so a CA appended to the bundle by hand, as container
 * recipes do, is trusted as before.
 */
static int
trust_system(struct tls *t, struct err *e)
{
	X509_LOOKUP	*lu;
	const char	*dir, *file;

	system_store(&dir, &file);
	if (hashed_dir(dir)) {
		lu = X509_STORE_add_lookup(SSL_CTX_get_cert_store(t->ctx),
		    X509_LOOKUP_hash_dir());
		if (lu == NULL || X509_LOOKUP_add_dir(lu, dir,
		    X509_FILETYPE_PEM) != 1)
			return err_set(e, ERR_CONFIG,
			    "TLS: no system trust store");
		t->bundle = file;
	} else {
		t->lazy_file = file;
	}
	return 0;
}

/* The errors after which the system bundle may hold the missing anchor. */
static int
issuer_missing(int err)
{
	return err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
	    err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
	    err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
	    err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN;
}

/*
 * The hashed directory missed an issuer: load the bundle into the store
 * and verify again, as SSL_CTX_set_default_verify_paths would have had it
 * from the start.  X509_verify_cert cannot run twice on one context, so
 * the second run gets a fresh one with a copy of every verification
 * parameter (host, IP, depth, security level, purpose, flags); its
 * verified chain, or its error, is carried back into xs.  Returns 1 when
 * that run verified.
 */
static int
verify_bundle(struct tls *t, X509_STORE_CTX *xs)
{
	X509_STORE		*store = X509_STORE_CTX_get0_store(xs);
	X509_STORE_CTX		*x2 = NULL;
	X509_VERIFY_PARAM	*p2 = NULL;
	const char		*file = t->bundle;
	int			 idx = SSL_get_ex_data_X509_STORE_CTX_idx(), ok = 0;

	t->bundle = NULL;
	if (file == NULL || X509_STORE_load_file(store, file) != 1 ||
	    (x2 = X509_STORE_CTX_new()) == NULL ||
	    (p2 = X509_VERIFY_PARAM_new()) == NULL ||
	    X509_STORE_CTX_init(x2, store, X509_STORE_CTX_get0_cert(xs),
	    X509_STORE_CTX_get0_untrusted(xs)) != 1 ||
	    X509_VERIFY_PARAM_set1(p2, X509_STORE_CTX_get0_param(xs)) != 1)
		goto out;
	X509_STORE_CTX_set0_param(x2, p2);
	p2 = NULL;
	X509_STORE_CTX_set_ex_data(x2, idx, X509_STORE_CTX_get_ex_data(xs, idx));
	if (X509_verify_cert(x2) == 1 && X509_STORE_CTX_get_error(x2) ==
	    X509_V_OK) {
		X509_STORE_CTX_set0_verified_chain(xs,
		    X509_STORE_CTX_get1_chain(x2));
		X509_STORE_CTX_set_error(xs, X509_V_OK);
		ok = 1;
	} else if (X509_STORE_CTX_get_error(x2) != X509_V_OK) {
		/* With the bundle the chain got further: its error says more. */
		X509_STORE_CTX_set_error(xs, X509_STORE_CTX_get_error(x2));
	}
out:
	X509_VERIFY_PARAM_free(p2);
	X509_STORE_CTX_free(x2);
	ERR_clear_error();
	return ok;
}

/*
 * SSL_CTX_set_cert_verify_callback: called instead of X509_verify_cert
 * when the server sent its chain (never on a resumed session).
 */
static int
verify_chain(X509_STORE_CTX *xs, void *arg)
{
	struct tls	*t = arg;
	const char	*file = t->lazy_file;
	X509		*leaf;
	int		 rc;

	if (!t->p->verify) {
		/* Pin only: the chain is not looked at (SSL_VERIFY_NONE). */
		X509_STORE_CTX_set_error(xs, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	if (file != NULL) {
		t->lazy_file = NULL;
		if (X509_STORE_load_file(X509_STORE_CTX_get0_store(xs),
		    file) != 1) {
			ssl_errstr(t->lazy_err, sizeof(t->lazy_err));
			X509_STORE_CTX_set_error(xs, X509_V_ERR_UNSPECIFIED);
			return 0;
		}
	}
	if ((rc = X509_verify_cert(xs)) <= 0 &&
	    issuer_missing(X509_STORE_CTX_get_error(xs)) &&
	    verify_bundle(t, xs))
		return 1;
	if (rc <= 0 && X509_STORE_CTX_get_error(xs) ==
	    X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT &&
	    (leaf = X509_STORE_CTX_get0_cert(xs)) != NULL)
		(void)cert_fingerprint(leaf, t->self_fp, sizeof(t->self_fp));
	return rc;
}

static int
setup_trust(struct tls *t, struct err *e)
{
	const struct tls_params	*p = t->p;
	struct stat		 st;

	SSL_CTX_set_cert_verify_callback(t->ctx, verify_chain, t);
	if (!p->verify)
		return 0;
	if (p->ca_file == NULL)
		return trust_system(t, e);
	/* Report a missing file now; its contents are read when needed. */
	if (stat(p->ca_file, &st) == -1)
		return err_set(e, ERR_CONFIG, "%s: %s", p->ca_file,
		    strerror(errno));
	t->lazy_file = p->ca_file;
	return 0;
}

/* ---- the session binding -------------------------------------------- */

/* Hash a file's identity: path, device, inode, size, mtime and ctime
 * (ctime moves on chmod and chown too). */
static int
bind_file(EVP_MD_CTX *md, const char *what, const char *path)
{
	struct stat	st;
	char		line[512];
	int		n;

	if (path == NULL)
		n = snprintf(line, sizeof(line), "%s -\n", what);
	else if (stat(path, &st) == -1)
		n = snprintf(line, sizeof(line), "%s %zu:%s missing\n", what,
		    strlen(path), path);
	else
		n = snprintf(line, sizeof(line),
		    "%s %zu:%s %ju %ju %jd %jd.%09ld %jd.%09ld\n", what,
		    strlen(path), path, (uintmax_t)st.st_dev,
		    (uintmax_t)st.st_ino, (intmax_t)st.st_size,
		    (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
		    (intmax_t)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	return EVP_DigestUpdate(md, line, (size_t)n) == 1 ? 0 : -1;
}

/*
 * SHA-256 over host, port and every setting that decides what a full
 * handshake would accept: verify, minimum version, pin, the trust anchors
 * (file, or the system store's directory and file) with their identity,
 * the client certificate and key, and the OpenSSL version.
 */
static int
make_binding(struct tls *t)
{
	const struct tls_params	*p = t->p;
	const char		*dir, *file;
	EVP_MD_CTX		*md;
	unsigned int		 len = 0;
	char			 line[600];
	int			 n, ok;

	n = snprintf(line, sizeof(line), "postern tls binding 1\n%zu:%s %u\n"
	    "verify %d min %d pin %s openssl %lx\n", strlen(t->host), t->host,
	    p->port, p->verify, p->min_version,
	    p->fingerprint ? p->fingerprint : "-", OpenSSL_version_num());
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    (md = EVP_MD_CTX_new()) == NULL)
		return -1;
	system_store(&dir, &file);
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, line, (size_t)n) == 1 &&
	    (p->ca_file != NULL ? bind_file(md, "ca", p->ca_file) == 0 :
	    bind_file(md, "sysdir", dir) == 0 &&
	    bind_file(md, "sysfile", file) == 0) &&
	    bind_file(md, "cert", p->client_cert) == 0 &&
	    bind_file(md, "key", p->client_key) == 0 &&
	    EVP_DigestFinal_ex(md, t->bind, &len) == 1 &&
	    len == sizeof(t->bind);
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

/* ---- the session cache ---------------------------------------------- */

static time_t
asn1_to_time(const ASN1_TIME *a)
{
	struct tm	tm;

	if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* The earliest notAfter of the verified chain (or of the leaf). */
static time_t
chain_end(SSL *ssl, X509 *leaf)
{
	STACK_OF(X509)	*chain = SSL_get0_verified_chain(ssl);
	time_t		 end = asn1_to_time(X509_get0_notAfter(leaf)), t;
	int		 i;

	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		t = asn1_to_time(X509_get0_notAfter(sk_X509_value(chain, i)));
		if (t != 0 && (end == 0 || t < end))
			end = t;
	}
	return end;
}

/*
 * SSL_CTX_sess_set_new_cb: TLS 1.3 tickets arrive after the handshake,
 * while the first reply is read.  Only a session from a full handshake
 * that passed every check is kept (one per connection), and never beyond
 * the ticket's lifetime or the chain's earliest notAfter.  TLS 1.2
 * sessions are not kept: resuming one reuses its master secret without a
 * fresh key exchange, so the cache file would decrypt later sessions.
 */
static int
new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct tls	*t = SSL_get_app_data(ssl);
	unsigned char	*der = NULL, *w;
	unsigned long	 life;
	time_t		 now = time(NULL), expiry;
	int		 n;

	if (t == NULL || !t->verified || !t->bound || t->stored ||
	    t->p->cache_dir == NULL || SSL_session_reused(ssl) ||
	    SSL_SESSION_get_protocol_version(sess) != TLS1_3_VERSION ||
	    !SSL_SESSION_is_resumable(sess))
		return 0;
	life = SSL_SESSION_get_ticket_lifetime_hint(sess);
	if (life == 0 || life > (unsigned long)SSL_SESSION_get_timeout(sess))
		life = (unsigned long)SSL_SESSION_get_timeout(sess);
	if (life > TLS_CACHE_LIFE_MAX)
		life = TLS_CACHE_LIFE_MAX;
	expiry = now + (time_t)life;
	if (t->chain_end != 0 && t->chain_end < expiry)
		expiry = t->chain_end;
	if (expiry <= now || (n = i2d_SSL_SESSION(sess, NULL)) <= 0 ||
	    n > TLS_CACHE_DATA_MAX || (der = malloc((size_t)n)) == NULL)
		return 0;
	w = der;
	if (i2d_SSL_SESSION(sess, &w) == n &&
	    tls_cache_store(t->p->cache_dir, t->host, t->p->port, t->bind,
	    expiry, der, (size_t)n) == 0)
		t->stored = 1;
	explicit_bzero(der, (size_t)n);
	free(der);
	return 0;
}

/* Offer the cached session for this host, port and binding, if any. */
static void
offer_session(struct tls *t)
{
	struct buf		 b;
	const unsigned char	*q;
	SSL_SESSION		*sess;

	buf_init(&b, TLS_CACHE_DATA_MAX);
	if (tls_cache_load(t->p->cache_dir, t->host, t->p->port, t->bind,
	    time(NULL), &b) == 0) {
		q = (const unsigned char *)b.data;
		sess = d2i_SSL_SESSION(NULL, &q, (long)b.len);
		if (sess != NULL && q == (const unsigned char *)b.data +
		    b.len && SSL_SESSION_get_protocol_version(sess) ==
		    TLS1_3_VERSION && SSL_SESSION_is_resumable(sess))
			(void)SSL_set_session(t->ssl, sess);
		SSL_SESSION_free(sess);
	}
	ERR_clear_error();
	buf_free(&b);
}

/* ---- context and checks --------------------------------------------- */

static int
setup_ctx(struct tls *t, struct err *e)
{
	const struct tls_params	*p = t->p;
	char			 msg[256];

	/*
	 * Error strings cost ~1.3 M instructions: load them on error.  The
	 * atexit OPENSSL_cleanup (~1.1 M) only frees memory the kernel
	 * reclaims at exit anyway; sessions and keys are freed (and cleared)
	 * by tls_close() before that.
	 */
	OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_SSL_STRINGS |
	    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_NO_ATEXIT, NULL);
	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return err_set(e, ERR_SOFTWARE, "TLS: cannot create context");
	if (!SSL_CTX_set_min_proto_version(t->ctx,
	    p->min_version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION))
		return err_set(e, ERR_SOFTWARE, "TLS: cannot set version");
	/* Renegotiation and compression are never wanted here. */
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION);
#ifdef SSL_OP_ENABLE_KTLS
	/*
	 * speed (issue 10): opt-in (tls_ktls).  Where the kernel has no TLS
	 * module or the cipher is not one it does, OpenSSL keeps the
	 * session in user space and tls_sendfile() says 0.
	 */
	if (p->ktls)
		SSL_CTX_set_options(t->ctx, SSL_OP_ENABLE_KTLS);
#endif
	if (setup_trust(t, e) == -1)
		return -1;
	if (p->client_cert != NULL) {
		if (SSL_CTX_use_certificate_chain_file(t->ctx,
		    p->client_cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(t->ctx, p->client_key ?
		    p->client_key : p->client_cert, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(t->ctx) != 1) {
			ssl_errstr(msg, sizeof(msg));
			return err_set(e, ERR_CONFIG, "TLS client certificate:"
			    " %s", msg);
		}
	}
	SSL_CTX_set_verify(t->ctx, p->verify ? SSL_VERIFY_PEER :
	    SSL_VERIFY_NONE, NULL);
	if (p->cache_dir != NULL) {
		SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_CLIENT |
		    SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(t->ctx, new_session);
	}
	return 0;
}

static int
set_peer_name(struct tls *t, const char *host, struct err *e)
{
	X509_VERIFY_PARAM	*param = SSL_get0_param(t->ssl);
	char			 ip[64];

	X509_VERIFY_PARAM_set_hostflags(param,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
	    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
	if (ip_literal(host, ip, sizeof(ip))) {
		if (!X509_VERIFY_PARAM_set1_ip_asc(param, ip))
			return err_set(e, ERR_CONFIG, "TLS: bad IP literal %s",
			    ip);
	} else if (!SSL_set_tlsext_host_name(t->ssl, host) ||
	    !SSL_set1_host(t->ssl, host)) {
		return err_set(e, ERR_CONFIG, "TLS: bad host name %s", host);
	}
	return 0;
}

/*
 * What a resumed session did not re-check in the handshake: the name (the
 * certificate came from the session) and the validity period.
 */
static int
check_resumed(struct tls *t, X509 *cert, const char *host, struct err *e)
{
	char	ip[64];
	int	ok;

	if (!t->p->verify)
		return 0;
	if (ip_literal(host, ip, sizeof(ip)))
		ok = X509_check_ip_asc(cert, ip, 0) == 1;
	else
		ok = X509_check_host(cert, host, 0,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
		    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL) == 1;
	if (!ok)
		return err_set(e, ERR_TEMP, "TLS: certificate of %s not "
		    "trusted: %s (resumed session)", host,
		    X509_verify_cert_error_string(
		    X509_V_ERR_HOSTNAME_MISMATCH));
	if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0 ||
	    X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0)
		return err_set(e, ERR_TEMP, "TLS: certificate of %s not "
		    "trusted: %s (resumed session)", host,
		    X509_verify_cert_error_string(
		    X509_V_ERR_CERT_HAS_EXPIRED));
	return 0;
}

/* Belt and braces: never trust the handshake's success alone. */
static int
check_peer(struct tls *t, const char *host, struct err *e)
{
	const struct tls_params	*p = t->p;
	X509			*cert;
	char			 fp[128];	/* sha256: + 32 x 3 */
	long			 vr;

	if ((cert = SSL_get0_peer_certificate(t->ssl)) == NULL)
		return err_set(e, ERR_TEMP, "TLS: %s sent no certificate",
		    host);
	if (p->verify && (vr = SSL_get_verify_result(t->ssl)) != X509_V_OK)
		return err_set(e, ERR_TEMP, "TLS: certificate of %s not "
		    "trusted: %s", host, X509_verify_cert_error_string(vr));
	if (SSL_session_reused(t->ssl) && check_resumed(t, cert, host,
	    e) == -1)
		return -1;
	if (p->fingerprint != NULL) {
		if (cert_fingerprint(cert, fp, sizeof(fp)) == -1 ||
		    strcasecmp(fp, p->fingerprint) != 0)
			return err_set(e, ERR_TEMP, "TLS: certificate of %s "
			    "does not match tls_fingerprint (it is %s)", host,
			    fp);
	}
	if (!SSL_session_reused(t->ssl))
		t->chain_end = chain_end(t->ssl, cert);
	return 0;
}

static void
tls_free(struct tls *t)
{
	if (t->ssl != NULL)
		SSL_free(t->ssl);
	if (t->ctx != NULL)
		SSL_CTX_free(t->ctx);
	free(t->host);
	free(t->cache_dir);
	free(t);
}

int
tls_start(struct tls **tp, int fd, const struct tls_params *p,
    const char *host, long long deadline, struct err *e)
{
	struct tls	*t;
	long		 vr;

	*tp = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	t->fd = fd;
	t->params = *p;
	t->p = &t->params;
	if ((t->host = strdup(host)) == NULL || (p->cache_dir != NULL &&
	    (t->cache_dir = strdup(p->cache_dir)) == NULL)) {
		err_set(e, ERR_SOFTWARE, "out of memory");
		goto fail;
	}
	t->params.cache_dir = t->cache_dir;
	if (setup_ctx(t, e) == -1)
		goto fail;
	if ((t->ssl = SSL_new(t->ctx)) == NULL || !SSL_set_fd(t->ssl, fd) ||
	    !SSL_set_app_data(t->ssl, t)) {
		err_set(e, ERR_SOFTWARE, "TLS: cannot create session");
		goto fail;
	}
	if (set_peer_name(t, host, e) == -1)
		goto fail;
	if (p->cache_dir != NULL && make_binding(t) == 0) {
		t->bound = 1;
		offer_session(t);
	}
	if (tls_io(t, 0, NULL, NULL, 0, deadline, e) == -1) {
		vr = SSL_get_verify_result(t->ssl);
		if (t->lazy_err[0] != '\0')
			err_set(e, ERR_CONFIG, "%s: %s", p->ca_file ?
			    p->ca_file : "system trust store", t->lazy_err);
		else if (vr != X509_V_OK && p->verify && t->self_fp[0] != '\0')
			err_set(e, ERR_TEMP, "TLS: certificate of %s not "
			    "trusted: %s (if it is the server's own certificate, "
			    "pin it: tls_fingerprint = %s)", host,
			    X509_verify_cert_error_string(vr), t->self_fp);
		else if (vr != X509_V_OK && p->verify)
			err_set(e, ERR_TEMP, "TLS: certificate of %s not "
			    "trusted: %s", host,
			    X509_verify_cert_error_string(vr));
		goto fail;
	}
	if (check_peer(t, host, e) == -1) {
		if (SSL_session_reused(t->ssl) && t->p->cache_dir != NULL)
			tls_cache_forget(t->p->cache_dir, host, p->port);
		goto fail;
	}
	t->verified = 1;
	*tp = t;
	return 0;
fail:
	tls_free(t);
	return -1;
}

int
tls_resumed(const struct tls *t)
{
	return t != NULL && t->ssl != NULL && SSL_session_reused(t->ssl);
}

ssize_t
tls_read(struct tls *t, void *p, size_t n, long long deadline, struct err *e)
{
	return tls_io(t, 1, p, NULL, n, deadline, e);
}

ssize_t
tls_write(struct tls *t, const void *p, size_t n, long long deadline,
    struct err *e)
{
	return tls_io(t, 2, NULL, p, n, deadline, e);
}

size_t
tls_pending(struct tls *t)
{
	return (size_t)SSL_pending(t->ssl);
}

ssize_t
tls_sendfile(struct tls *t, int fd, off_t off, size_t n, long long deadline,
    struct err *e)
{
#if defined(SSL_OP_ENABLE_KTLS) && !defined(OPENSSL_NO_KTLS)
	ossl_ssize_t	w;
	char		msg[256];

	if (!BIO_get_ktls_send(SSL_get_wbio(t->ssl)))
		return 0;
	for (;;) {
		ERR_clear_error();
		if ((w = SSL_sendfile(t->ssl, fd, off, n, 0)) > 0)
			return (ssize_t)w;
		if (SSL_get_error(t->ssl, (int)w) != SSL_ERROR_WANT_WRITE) {
			if (errno == EIO)
				return err_set(e, ERR_IO, "reading the spooled "
				    "message: %s", strerror(errno));
			ssl_errstr(msg, sizeof(msg));
			return err_set(e, ERR_TEMP, "TLS sendfile: %s", msg);
		}
		if (clock_now_ms() >= deadline)
			return err_set(e, ERR_TEMP, "timed out during TLS");
		if (io_wait(t->fd, POLLOUT, deadline, e) == -1)
			return -1;
	}
#else
	return 0;
#endif
}

void
tls_close(struct tls *t)
{
	if (t == NULL)
		return;
	/* One try at close_notify; the socket is non-blocking.  A session
	 * ticket read meanwhile may still be stored (new_session). */
	SSL_shutdown(t->ssl);
	tls_free(t);
}

static void
name_line(const X509_NAME *name, char *out, size_t len)
{
	BIO	*bio;
	int	 n;

	out[0] = '\0';
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	X509_NAME_print_ex(bio, name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
	n = BIO_read(bio, out, (int)len - 1);
	out[n > 0 ? n : 0] = '\0';
	BIO_free(bio);
}

void
tls_describe(struct tls *t, struct tls_peer *p)
{
	X509	*cert;
	BIO	*bio;
	int	 n;

	memset(p, 0, sizeof(*p));
	snprintf(p->version, sizeof(p->version), "%s",
	    SSL_get_version(t->ssl));
	snprintf(p->cipher, sizeof(p->cipher), "%s",
	    SSL_get_cipher_name(t->ssl));
	p->resumed = SSL_session_reused(t->ssl);
	if ((cert = SSL_get0_peer_certificate(t->ssl)) == NULL)
		return;
	name_line(X509_get_subject_name(cert), p->subject, sizeof(p->subject));
	name_line(X509_get_issuer_name(cert), p->issuer, sizeof(p->issuer));
	cert_fingerprint(cert, p->fingerprint, sizeof(p->fingerprint));
	if ((bio = BIO_new(BIO_s_mem())) != NULL) {
		ASN1_TIME_print(bio, X509_get0_notAfter(cert));
		n = BIO_read(bio, p->not_after, sizeof(p->not_after) - 1);
		p->not_after[n > 0 ? n : 0] = '\0';
		BIO_free(bio);
	}
}
