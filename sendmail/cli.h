/*
 * cli.h -- the sendmail command line.
 *
 * cli_parse() turns argv into a struct opts and does nothing else: no file
 * is opened and nothing is printed, so it can be tested as a pure function.
 * Strings in struct opts point into argv.
 */
#ifndef POSTERN_CLI_H
#define POSTERN_CLI_H

#include <stddef.h>

#include "envelope.h"
#include "err.h"

enum cli_mode {
	MODE_SUBMIT = 0,	/* -bm, the default */
	MODE_SERVE,		/* -bs */
	MODE_VERIFY,		/* -bv */
	MODE_LIST,		/* -bp, mailq */
	MODE_NEWALIASES,	/* -bi, newaliases */
	MODE_QUEUE_RUN,		/* -q, -qINTERVAL */
	MODE_VERSION,		/* -bV, --version */
	MODE_HELP,		/* --help */
	MODE_DELETE,		/* --delete ID...|ALL (ids in rcpts) */
	MODE_IMPORT		/* --import FILE [--account NAME] */
};

/* -qI, -qR, -qS: at most this many in one run. */
#define CLI_QSELECT_MAX		16

/* -od: -1 when not given, else one of enum config_delivery. */
#define CLI_DELIVERY_UNSET	(-1)

struct opts {
	const char	*progname;	/* basename of argv[0] */
	enum cli_mode	 mode;
	long		 queue_interval; /* -qINTERVAL in seconds; 0: once */
	int		 extract_rcpts;	/* -t */
	int		 ignore_dots;	/* -i, -oi */
	const char	*sender;	/* -f, -r */
	const char	*full_name;	/* -F */
	const char	*dsn_notify;	/* -N, validated */
	const char	*dsn_ret;	/* -R, "hdrs" or "full" */
	const char	*dsn_envid;	/* -V */
	enum body_type	 body;		/* -B */
	int		 delivery;	/* -odi/-odb/-odq */
	int		 verbose;	/* -v count */
	const char	*config;	/* -C */
	char		**rcpts;	/* recipient arguments */
	size_t		 nrcpts;
	const char	*import_file;	/* --import */
	const char	*import_account; /* --account */
	/* Options accepted and ignored, for -v to report. */
	size_t		 nignored;
	/* The queue tools: --json (with -bp), -qI/-qR/-qS substrings. */
	int		 json;
	struct {
		char		 kind;		/* 'I', 'R' or 'S' */
		const char	*substr;
	}		 qselect[CLI_QSELECT_MAX];
	size_t		 nqselect;
};

/*
 * Parse argv.  Options may be glued ("-fX") or separate ("-f X"), flags may
 * be grouped ("-ti"), repeats are fine, "--" ends the options.  Options and
 * recipients may be mixed, as with Postfix on Linux.  Returns 0, or -1 with
 * ERR_USAGE and a one-line reason.  rcpts is allocated; free with
 * cli_free().
 */
int	cli_parse(struct opts *o, int argc, char **argv, struct err *e);
void	cli_free(struct opts *o);

/* Parse "30", "30s", "5m", "2h", "1d" into seconds, -1 on error. */
long	cli_parse_interval(const char *s);

/* The --help text (a usage summary; man postern has the rest). */
const char	*cli_usage(void);

#endif
