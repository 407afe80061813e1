/*
 * err.c -- error records shared by every module.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "text.h"

int
err_set(struct err *e, enum err_class cls, const char *fmt, ...)
{
	va_list	ap;

	if (e == NULL)
		return -1;
	e->cls = cls;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	/* A message is one line: whatever a peer sent us cannot break it. */
	text_scrub(e->msg, sizeof(e->msg), e->msg, sizeof(e->msg), ' ');
	return -1;
}

void
err_clear(struct err *e)
{
	e->cls = ERR_OK;
	e->msg[0] = '\0';
}

void
err_prefix(struct err *e, const char *what)
{
	char	tmp[ERR_MSGMAX];
	int	n;

	n = snprintf(tmp, sizeof(tmp), "%.*s: ", 200, what);
	if (n < 0)
		return;
	snprintf(tmp + n, sizeof(tmp) - (size_t)n, "%.*s",
	    (int)(sizeof(tmp) - (size_t)n - 1), e->msg);
	memcpy(e->msg, tmp, sizeof(e->msg));
}

int
err_is_temporary(const struct err *e)
{
	return e->cls == ERR_TEMP || e->cls == ERR_SOFTWARE ||
	    e->cls == ERR_IO;
}

const char *
err_class_name(enum err_class cls)
{
	switch (cls) {
	case ERR_OK:		return "ok";
	case ERR_USAGE:		return "usage";
	case ERR_DATA:		return "data";
	case ERR_NOUSER:	return "nouser";
	case ERR_UNAVAILABLE:	return "unavailable";
	case ERR_CANTCREAT:	return "cantcreat";
	case ERR_IO:		return "ioerr";
	case ERR_TEMP:		return "tempfail";
	case ERR_NOPERM:	return "noperm";
	case ERR_CONFIG:	return "config";
	case ERR_SOFTWARE:	return "software";
	}
	return "unknown";
}
