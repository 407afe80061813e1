/*
 * err.h -- how modules report failure.
 *
 * Every module returns 0 or -1 and fills a struct err: a class that says what
 * kind of failure it was, and one line of text for the user.  Modules never
 * print and never exit; main.c alone maps the class to a sysexits status.
 * The message must never contain a secret.
 */
#ifndef POSTERN_ERR_H
#define POSTERN_ERR_H

#include <stddef.h>

enum err_class {
	ERR_OK = 0,
	ERR_USAGE,		/* bad option or argument		-> 64 */
	ERR_DATA,		/* message cannot be parsed		-> 65 */
	ERR_NOUSER,		/* some recipients refused for good	-> 67 */
	ERR_UNAVAILABLE,	/* message refused for good		-> 69 */
	ERR_CANTCREAT,		/* queue file could not be created	-> 73 */
	ERR_IO,			/* local I/O failed			-> 74 */
	ERR_TEMP,		/* try again later			-> 75 */
	ERR_NOPERM,		/* not allowed				-> 77 */
	ERR_CONFIG,		/* configuration error			-> 78 */
	ERR_SOFTWARE		/* unplanned: treated as temporary	-> 75 */
};

#define ERR_MSGMAX	512

struct err {
	enum err_class	 cls;
	char		 msg[ERR_MSGMAX];
};

/* Fill *e and return -1, so that callers can write "return err_set(...)". */
int	err_set(struct err *e, enum err_class cls, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	err_clear(struct err *e);
/* Prefix the current message with "what: ". */
void	err_prefix(struct err *e, const char *what);
/* True for classes after which a later retry may succeed. */
int	err_is_temporary(const struct err *e);
const char *err_class_name(enum err_class cls);

#endif
