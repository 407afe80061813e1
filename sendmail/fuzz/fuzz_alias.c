/*
 * fuzz_alias.c -- libFuzzer target for the aliases file (/etc/aliases
 * syntax, [sender] aliases_file).  The input is written to a scratch file
 * and loaded as the aliases file; when it loads, a few names are expanded.
 * Invariants: every expansion result passes addr_check_envelope() and is
 * qualified (the domain is given), and a loaded file never yields an alias
 * loop at expansion time (aliases_load() expands everything once).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "alias.h"
#include "params.h"
#include "config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* aliases_load() with the alias_params of a configuration. */
static int
load_cfg(struct aliases **ap, const struct config *c, struct err *e)
{
	struct alias_params	p;

	params_alias(c, &p);
	return aliases_load(ap, &p, e);
}

static char	path[64];

/* The input file goes when the fuzzer exits (seed replays leave none). */
static void
drop_path(void)
{
	unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	*names[] = { "root", "postmaster", "default",
				    "nobody@localhost", "x@example.org", "a" };
	struct aliases		*a;
	struct addr_list	 out;
	struct config		 c;
	struct err		 e;
	size_t			 i, j;
	int			 fd;

	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "/tmp/fuzz_alias.%ld", (long)getpid());
		atexit(drop_path);
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);

	memset(&c, 0, sizeof(c));
	c.aliases_file = path;
	if (load_cfg(&a, &c, &e) == -1)
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		addr_list_init(&out);
		if (aliases_expand(a, "example.org", names[i], &out, &e) == -1)
			abort();	/* loops are refused at load time */
		for (j = 0; j < out.n; j++)
			if (addr_check_envelope(out.v[j].spec, &e) == -1 ||
			    addr_domain(out.v[j].spec) == NULL)
				abort();
		addr_list_free(&out);
	}
	aliases_free(a);
	return 0;
}
