/*
 * fuzz_config.c -- libFuzzer target for config_load_fd().
 *
 * The input is written to a memfd (a regular file, mode 0600 so that a
 * password does not stop the parse early) and loaded.  The first byte,
 * when odd, selects a privileged load.  Invariants: no crash, no leak, and
 * a successful load has at least one host and no control character in any
 * string.  config_secret() is never called: it runs commands and opens
 * files named by the input.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_str(const char *s)
{
	if (s == NULL)
		return;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

static void
check_config(const struct config *c)
{
	size_t	i;

	if (c->nhosts < 1 || c->nhosts > CONFIG_MAX_HOSTS)
		abort();
	for (i = 0; i < c->nhosts; i++) {
		if (c->hosts[i] == NULL || c->hosts[i][0] == '\0')
			abort();
		check_str(c->hosts[i]);
	}
	if (c->port < 1 || c->port > 65535)
		abort();
	if (c->queue_dir == NULL || c->queue_dir[0] != '/')
		abort();
	if (!c->tls_verify && c->tls_fingerprint == NULL)
		abort();
	check_str(c->path);
	check_str(c->tls_ca_file);
	check_str(c->tls_fingerprint);
	check_str(c->tls_client_cert);
	check_str(c->tls_client_key);
	check_str(c->user);
	check_str(c->password);
	check_str(c->password_file);
	check_str(c->password_command);
	check_str(c->helo);
	check_str(c->from);
	check_str(c->domain);
	check_str(c->aliases_file);
	check_str(c->queue_dir);
	check_str(c->log_file);
	for (i = 0; i < c->naliases; i++) {
		if (c->aliases[i].name[0] == '\0' ||
		    c->aliases[i].targets[0] == '\0')
			abort();
		check_str(c->aliases[i].name);
		check_str(c->aliases[i].targets);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	fd = -1;
	struct config	c;
	struct err	e;
	int		privileged = 0;

	if (fd == -1) {
		if ((fd = memfd_create("fuzz.ini", MFD_CLOEXEC)) == -1)
			abort();
		if (fchmod(fd, 0600) == -1)
			abort();
	}
	if (size > 0) {
		privileged = data[0] & 1;
		data++;
		size--;
	}
	if (ftruncate(fd, 0) == -1 || lseek(fd, 0, SEEK_SET) == -1)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	if (lseek(fd, 0, SEEK_SET) == -1)
		abort();
	err_clear(&e);
	if (config_load_fd(&c, fd, "fuzz.ini", privileged, &e) == 0)
		check_config(&c);
	else if (e.cls != ERR_CONFIG && e.cls != ERR_SOFTWARE)
		abort();
	config_free(&c);
	return 0;
}
