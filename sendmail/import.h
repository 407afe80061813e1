/*
 * import.h -- turn another drop-in's configuration into a postern.ini.
 *
 * `postern --import FILE [--account NAME]` reads an msmtprc, an ssmtp.conf
 * (with the revaliases file beside it), a dma.conf (with the auth.conf it
 * names) or a nullmailer remotes file (with defaultdomain, defaulthost,
 * adminaddr, me, helohost and allmailfrom beside it), recognised by its
 * content, and writes an equivalent postern.ini.  What cannot be carried
 * over becomes a '#' comment naming the source FILE:LINE and why.  A
 * setting that weakens security in the source (certificate checks off,
 * credentials in clear) is not carried over: the output keeps the check on
 * and says why.
 *
 * The module is pure: it parses bytes and appends text to a buffer.  Other
 * files are read through struct import_fs, so tests and the fuzz target
 * can supply them.  Every value written has been loaded by config.c (and
 * every alias by alias.c) before it is kept, and the whole output is loaded
 * once more at the end: the result is always a configuration postern reads
 * without error when saved with mode 0600.  Secrets are never echoed in
 * comments or error messages.
 */
#ifndef POSTERN_IMPORT_H
#define POSTERN_IMPORT_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define IMPORT_FILE_MAX		65536	/* bytes of a source file */
#define IMPORT_OUT_MAX		65536	/* bytes of the output (CONFIG_FILE_MAX) */

enum import_format {
	IMPORT_NONE = 0,
	IMPORT_MSMTP,
	IMPORT_SSMTP,
	IMPORT_DMA,
	IMPORT_NULLMAILER
};

/*
 * How the converter reads the files a source names or has beside it.
 * read() fills out (a buffer of at most IMPORT_FILE_MAX bytes) with the
 * whole file and returns 0, or returns -1 with errno set (ENOENT when the
 * file does not exist).
 */
struct import_fs {
	int	(*read)(void *arg, const char *path, struct buf *out);
	void	*arg;
};

/*
 * Recognise data (len bytes, the contents of the file called name) and
 * append the postern.ini to out (initialised by the caller, limit at least
 * IMPORT_OUT_MAX).  account selects an msmtp account (NULL: "default");
 * fs may be NULL (no other file exists).  Returns 0, or -1 with ERR_CONFIG
 * ("NAME: not recognised ...", "NAME: no account 'x'", "NAME: no smarthost
 * host") or ERR_SOFTWARE (out of memory); out is then unspecified.
 */
int	import_convert(const char *name, const char *data, size_t len,
	    const char *account, const struct import_fs *fs, struct buf *out,
	    struct err *e);

/*
 * The same for the file at path, reading it and the files beside it from
 * the file system (regular files only, never blocking on a FIFO).  An
 * unreadable file is ERR_CONFIG "PATH: reason".
 */
int	import_file(const char *path, const char *account, struct buf *out,
	    struct err *e);

/* Which format data looks like (IMPORT_NONE: none of them). */
enum import_format import_detect(const char *data, size_t len);

#endif
