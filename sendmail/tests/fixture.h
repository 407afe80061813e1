/*
 * fixture.h -- set-up shared by the unit tests that need files: temporary
 * directories, removing them, counting the files in them, a queue in one.
 *
 * Every function asserts (cmocka) instead of returning an error, so a
 * test reads as what it checks.  Linked into every test (Makefile).
 */
#ifndef POSTERN_TEST_FIXTURE_H
#define POSTERN_TEST_FIXTURE_H

#include <sys/types.h>

#include <stddef.h>

struct queue;

/* Make a fresh directory /tmp/postern-TAG.XXXXXX; its name in dir. */
void	fx_mkdtemp(char *dir, size_t len, const char *tag);

/* Remove dir and everything below it, following no symbolic link. */
void	fx_rmtree(const char *dir);

/*
 * The files in dir/sub whose name ends in suffix ("" = every file), dot
 * files not counted; -1 when dir/sub cannot be opened.
 */
int	fx_count(const char *dir, const char *sub, const char *suffix);

/* path created afresh (an old one unlinked) holding text, mode exactly. */
void	fx_write_file(const char *path, const char *text, mode_t mode);

/* A queue (queue_open with create) in its own temporary directory. */
struct tq {
	char		 dir[64];
	struct queue	*q;
};

void	tq_open(struct tq *t);
/* Close the queue and remove its directory. */
void	tq_close(struct tq *t);

#endif
