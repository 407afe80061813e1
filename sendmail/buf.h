/*
 * buf.h -- one dynamic byte buffer with a hard size limit.
 *
 * Every growing piece of memory in postern is a struct buf with a named
 * limit (like curl's dynbuf).  Appending past the limit fails cleanly and
 * leaves the buffer as it was.  The contents are always NUL-terminated so
 * that text can be used as a C string, but may themselves contain NULs.
 */
#ifndef POSTERN_BUF_H
#define POSTERN_BUF_H

#include <stddef.h>

/* Named limits. */
#define BUF_LIMIT_LINE		1024		/* one SMTP command or reply line */
#define BUF_LIMIT_REPLY		(100 * 520)	/* a whole multi-line reply */
#define BUF_LIMIT_HEADERS	(1024 * 1024)	/* a message's header section */
#define BUF_LIMIT_ADDR		4096		/* one address */
#define BUF_LIMIT_CONFIG	4096		/* one config value */

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
};

void	buf_init(struct buf *b, size_t max);
/* Free the memory, wiping it first; the buffer may be reused after init. */
void	buf_free(struct buf *b);
void	buf_reset(struct buf *b);
/* Each returns 0, or -1 (errno ENOMEM or E2BIG) with the buffer unchanged. */
int	buf_add(struct buf *b, const void *p, size_t n);
int	buf_addc(struct buf *b, int c);
int	buf_adds(struct buf *b, const char *s);
int	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * Make room for n bytes (plus the NUL) after the current contents, for a
 * writer that fills b->data + b->len itself.  0, or -1 (E2BIG past max).
 */
int	buf_reserve(struct buf *b, size_t n);
/* Remove the first n bytes. */
void	buf_consume(struct buf *b, size_t n);
/* Hand the NUL-terminated contents to the caller (never NULL); buffer is reset. */
char	*buf_release(struct buf *b);
/* The contents as a C string (never NULL). */
const char *buf_str(const struct buf *b);

#endif
