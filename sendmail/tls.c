/*
 * tls.c -- TLS client (OpenSSL 3).
 *
 * Security assumptions: the configured host name is the identity we check
 * (never a name from DNS); TLS 1.2 is the floor; SNI is sent except for IP
 * literals (RFC 6066 3), which are matched against IP SANs instead; the
 * subject CN is never consulted and wildcards only match a whole left-most
 * label.  With tls_verify = no the session is accepted only when the
 * certificate matches the pinned SHA-256 fingerprint (config.c guarantees
 * one is set).  In a set-id process OpenSSL itself ignores OPENSSL_CONF and
 * SSL_CERT_FILE; main.c also clears the environment.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "clock.h"
#include "tls.h"

struct tls {
	SSL_CTX	*ctx;
	SSL	*ssl;
	int	 fd;
};

static void
ssl_errstr(char *out, size_t len)
{
	unsigned long	code = ERR_get_error();

	if (code == 0)
		snprintf(out, len, "TLS failure");
	else
		ERR_error_string_n(code, out, len);
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
	struct pollfd	pfd;
	long long	left;
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
			pfd.events = POLLIN;
			break;
		case SSL_ERROR_WANT_WRITE:
			pfd.events = POLLOUT;
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
		left = deadline - clock_now_ms();
		if (left <= 0)
			return err_set(e, ERR_TEMP, "timed out during TLS");
		pfd.fd = t->fd;
		pfd.revents = 0;
		if (poll(&pfd, 1, left > 60000 ? 60000 : (int)left) == -1 &&
		    errno != EINTR)
			return err_set(e, ERR_TEMP, "poll: %s",
			    strerror(errno));
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

static int
setup_ctx(struct tls *t, const struct config *c, struct err *e)
{
	char	msg[256];

	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return err_set(e, ERR_SOFTWARE, "TLS: cannot create context");
	if (!SSL_CTX_set_min_proto_version(t->ctx,
	    c->tls_min_version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION))
		return err_set(e, ERR_SOFTWARE, "TLS: cannot set version");
	/* Renegotiation and compression are never wanted here. */
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION);
	if (c->tls_ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(t->ctx, c->tls_ca_file,
		    NULL) != 1) {
			ssl_errstr(msg, sizeof(msg));
			return err_set(e, ERR_CONFIG, "%s: %s",
			    c->tls_ca_file, msg);
		}
	} else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
		return err_set(e, ERR_CONFIG, "TLS: no system trust store");
	}
	if (c->tls_client_cert != NULL) {
		if (SSL_CTX_use_certificate_chain_file(t->ctx,
		    c->tls_client_cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(t->ctx, c->tls_client_key ?
		    c->tls_client_key : c->tls_client_cert,
		    SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(t->ctx) != 1) {
			ssl_errstr(msg, sizeof(msg));
			return err_set(e, ERR_CONFIG, "TLS client certificate:"
			    " %s", msg);
		}
	}
	SSL_CTX_set_verify(t->ctx, c->tls_verify ? SSL_VERIFY_PEER :
	    SSL_VERIFY_NONE, NULL);
	return 0;
}

int
tls_start(struct tls **tp, int fd, const struct config *c, const char *host,
    long long deadline, struct err *e)
{
	struct tls		*t;
	X509_VERIFY_PARAM	*param;
	X509			*cert;
	char			 ip[64], fp[128];	/* sha256: + 32 x 3 */
	long			 vr;

	*tp = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	t->fd = fd;
	if (setup_ctx(t, c, e) == -1)
		goto fail;
	if ((t->ssl = SSL_new(t->ctx)) == NULL || !SSL_set_fd(t->ssl, fd)) {
		err_set(e, ERR_SOFTWARE, "TLS: cannot create session");
		goto fail;
	}
	param = SSL_get0_param(t->ssl);
	X509_VERIFY_PARAM_set_hostflags(param,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
	    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
	if (ip_literal(host, ip, sizeof(ip))) {
		if (!X509_VERIFY_PARAM_set1_ip_asc(param, ip)) {
			err_set(e, ERR_CONFIG, "TLS: bad IP literal %s", ip);
			goto fail;
		}
	} else if (!SSL_set_tlsext_host_name(t->ssl, host) ||
	    !SSL_set1_host(t->ssl, host)) {
		err_set(e, ERR_CONFIG, "TLS: bad host name %s", host);
		goto fail;
	}
	if (tls_io(t, 0, NULL, NULL, 0, deadline, e) == -1) {
		vr = SSL_get_verify_result(t->ssl);
		if (vr != X509_V_OK)
			err_set(e, ERR_TEMP, "TLS: certificate of %s not "
			    "trusted: %s", host,
			    X509_verify_cert_error_string(vr));
		goto fail;
	}
	/* Belt and braces: never trust the handshake's success alone. */
	if ((cert = SSL_get0_peer_certificate(t->ssl)) == NULL) {
		err_set(e, ERR_TEMP, "TLS: %s sent no certificate", host);
		goto fail;
	}
	if (c->tls_verify && (vr = SSL_get_verify_result(t->ssl)) !=
	    X509_V_OK) {
		err_set(e, ERR_TEMP, "TLS: certificate of %s not trusted: %s",
		    host, X509_verify_cert_error_string(vr));
		goto fail;
	}
	if (c->tls_fingerprint != NULL) {
		if (cert_fingerprint(cert, fp, sizeof(fp)) == -1 ||
		    strcasecmp(fp, c->tls_fingerprint) != 0) {
			err_set(e, ERR_TEMP, "TLS: certificate of %s does not "
			    "match tls_fingerprint (it is %s)", host, fp);
			goto fail;
		}
	}
	*tp = t;
	return 0;
fail:
	if (t->ssl != NULL)
		SSL_free(t->ssl);
	if (t->ctx != NULL)
		SSL_CTX_free(t->ctx);
	free(t);
	return -1;
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

void
tls_close(struct tls *t)
{
	if (t == NULL)
		return;
	/* One try at close_notify; the socket is non-blocking. */
	SSL_shutdown(t->ssl);
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	free(t);
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
