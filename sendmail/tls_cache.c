/*
 * tls_cache.c -- the on-disk TLS session cache (format and contract in
 * tls_cache.h).
 *
 * Security assumptions: every byte read back is untrusted; the parser
 * accepts one exact framing with bounded numbers and compares the binding
 * in constant time (not that it is secret, but it costs nothing).  Files
 * are replaced by rename, never rewritten in place, so a reader sees the
 * old or the new file, never a mix; a crash leaves at most a tmp file
 * (named after host, port and pid).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "tls_cache.h"

#define MAGIC		"POSTERN-TLS-SESSION 1\n"
#define CACHE_FILE_MODE	0640
#define CACHE_DIR_MODE	0770

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * "TAG " decimal "\n" at *pp; the number has no sign, no leading zero and
 * at most 19 digits.  Advances *pp past the newline.
 */
static int
take_number(const unsigned char **pp, const unsigned char *end, char tag,
    unsigned long long max, unsigned long long *out)
{
	const unsigned char	*p = *pp;
	unsigned long long	 v = 0;
	size_t			 digits = 0;

	if (end - p < 4 || p[0] != (unsigned char)tag || p[1] != ' ')
		return -1;
	p += 2;
	if (*p == '0' && p + 1 < end && p[1] != '\n')
		return -1;
	while (p < end && *p >= '0' && *p <= '9') {
		if (++digits > 19)
			return -1;
		v = v * 10 + (unsigned long long)(*p - '0');
		p++;
	}
	if (digits == 0 || p >= end || *p != '\n' || v > max)
		return -1;
	*pp = p + 1;
	*out = v;
	return 0;
}

int
tls_cache_parse(const unsigned char *p, size_t n,
    const unsigned char bind[TLS_CACHE_BIND_LEN], time_t now,
    const unsigned char **data, size_t *len)
{
	const unsigned char	*end = p + n;
	unsigned long long	 expiry, dlen;
	unsigned char		 diff = 0;
	size_t			 i;
	int			 hi, lo;

	*data = NULL;
	*len = 0;
	if (n > TLS_CACHE_FILE_MAX || n < sizeof(MAGIC) - 1 ||
	    memcmp(p, MAGIC, sizeof(MAGIC) - 1) != 0)
		return -1;
	p += sizeof(MAGIC) - 1;
	if ((size_t)(end - p) < 3 + 2 * TLS_CACHE_BIND_LEN ||
	    p[0] != 'B' || p[1] != ' ' || p[2 + 2 * TLS_CACHE_BIND_LEN] != '\n')
		return -1;
	p += 2;
	for (i = 0; i < TLS_CACHE_BIND_LEN; i++) {
		if ((hi = hexval(p[2 * i])) == -1 ||
		    (lo = hexval(p[2 * i + 1])) == -1)
			return -1;
		diff |= (unsigned char)(hi << 4 | lo) ^ bind[i];
	}
	p += 2 * TLS_CACHE_BIND_LEN + 1;
	if (take_number(&p, end, 'X', LLONG_MAX, &expiry) == -1 ||
	    take_number(&p, end, 'L', TLS_CACHE_DATA_MAX, &dlen) == -1)
		return -1;
	if (dlen == 0 || (size_t)(end - p) != dlen)
		return -1;
	if (diff != 0)
		return -1;
	if (now < 0 || expiry <= (unsigned long long)now ||
	    expiry > (unsigned long long)now + TLS_CACHE_LIFE_MAX)
		return -1;
	*data = p;
	*len = (size_t)dlen;
	return 0;
}

int
tls_cache_format(struct buf *out, const unsigned char bind[TLS_CACHE_BIND_LEN],
    time_t expiry, const unsigned char *data, size_t len)
{
	size_t	i;

	buf_reset(out);
	if (len == 0 || len > TLS_CACHE_DATA_MAX || expiry <= 0)
		return -1;
	if (buf_adds(out, MAGIC) == -1 || buf_adds(out, "B ") == -1)
		return -1;
	for (i = 0; i < TLS_CACHE_BIND_LEN; i++)
		if (buf_printf(out, "%02x", bind[i]) == -1)
			return -1;
	if (buf_printf(out, "\nX %lld\nL %zu\n", (long long)expiry, len) == -1 ||
	    buf_add(out, data, len) == -1)
		return -1;
	return 0;
}

int
tls_cache_path(char *out, size_t len, const char *dir, const char *host,
    unsigned port)
{
	const char	*h;
	int		 n;

	if (*host == '\0' || strlen(host) > 255)
		return -1;
	for (h = host; *h != '\0'; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		    (*h >= '0' && *h <= '9') || *h == '.' || *h == '-' ||
		    *h == ':'))
			return -1;
	/* A name of dots alone ("..") must not become a path component. */
	if (strspn(host, ".") == strlen(host))
		return -1;
	n = snprintf(out, len, "%s/session-%s-%u", dir, host, port);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
tls_cache_load(const char *dir, const char *host, unsigned port,
    const unsigned char bind[TLS_CACHE_BIND_LEN], time_t now, struct buf *out)
{
	char			 path[4096];
	unsigned char		*raw = NULL;
	const unsigned char	*data;
	struct stat		 st;
	size_t			 got = 0, len;
	ssize_t			 r;
	int			 fd, rc = -1;

	buf_reset(out);
	if (tls_cache_path(path, sizeof(path), dir, host, port) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 022) != 0 || st.st_size <= 0 ||
	    st.st_size > TLS_CACHE_FILE_MAX)
		goto out;
	if ((raw = malloc((size_t)st.st_size + 1)) == NULL)
		goto out;
	/* Read one byte more than fstat said: a file that grew is refused. */
	while (got <= (size_t)st.st_size) {
		r = read(fd, raw + got, (size_t)st.st_size + 1 - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got != (size_t)st.st_size)
		goto out;
	if (tls_cache_parse(raw, got, bind, now, &data, &len) == 0 &&
	    buf_add(out, data, len) == 0)
		rc = 0;
out:
	if (raw != NULL) {
		explicit_bzero(raw, (size_t)st.st_size + 1);
		free(raw);
	}
	close(fd);
	return rc;
}

/* Create dir when missing, with the queue's mode and set-gid bit. */
static int
make_dir(const char *dir)
{
	char		 parent[4096];
	struct stat	 st;
	char		*slash;
	mode_t		 setgid = 0;
	size_t		 n = strlen(dir);

	if (mkdir(dir, CACHE_DIR_MODE) == -1)
		return errno == EEXIST ? 0 : -1;
	if (n < sizeof(parent)) {
		memcpy(parent, dir, n + 1);
		if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
			*slash = '\0';
			if (stat(parent, &st) == 0)
				setgid = st.st_mode & S_ISGID;
		}
	}
	/* The umask must not narrow the group's access. */
	(void)chmod(dir, CACHE_DIR_MODE | setgid);
	return 0;
}

int
tls_cache_store(const char *dir, const char *host, unsigned port,
    const unsigned char bind[TLS_CACHE_BIND_LEN], time_t expiry,
    const unsigned char *data, size_t len)
{
	char		 path[4096], tmp[4200];
	struct buf	 b;
	struct err	 e;
	int		 fd = -1, dfd = -1, rc = -1;

	buf_init(&b, TLS_CACHE_FILE_MAX);
	if (tls_cache_path(path, sizeof(path), dir, host, port) == -1 ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path,
	    (long)getpid()) >= sizeof(tmp) ||
	    tls_cache_format(&b, bind, expiry, data, len) == -1 ||
	    make_dir(dir) == -1)
		goto out;
	/* The tmp name is this process's own, so concurrent writers never
	 * share one; a leftover of a crashed process with the same pid is
	 * replaced.  The last rename wins, and every rename is whole. */
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, CACHE_FILE_MODE)) == -1)
		goto out;
	if (fchmod(fd, CACHE_FILE_MODE) == -1 ||
	    io_write_all(fd, b.data, b.len, -1, &e) == -1 || fsync(fd) == -1) {
		(void)unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) == -1) {
		(void)unlink(tmp);
		goto out;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1)
		(void)fsync(dfd);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	buf_free(&b);
	return rc;
}

void
tls_cache_forget(const char *dir, const char *host, unsigned port)
{
	char	path[4096];

	if (tls_cache_path(path, sizeof(path), dir, host, port) == 0)
		(void)unlink(path);
}
