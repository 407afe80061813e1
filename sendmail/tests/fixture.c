/*
 * fixture.c -- test set-up shared by the unit tests (fixture.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "queue.h"
#include "fixture.h"

void
fx_mkdtemp(char *dir, size_t len, const char *tag)
{
	int	n;

	n = snprintf(dir, len, "/tmp/postern-%s.XXXXXX", tag);
	assert_true(n > 0 && (size_t)n < len);
	assert_non_null(mkdtemp(dir));
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
fx_rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
fx_count(const char *dir, const char *sub, const char *suffix)
{
	char		 path[4096];
	DIR		*dp;
	struct dirent	*de;
	int		 n = 0;
	size_t		 l, sl = strlen(suffix);

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if ((dp = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		l = strlen(de->d_name);
		if (l >= sl && strcmp(de->d_name + l - sl, suffix) == 0)
			n++;
	}
	closedir(dp);
	return n;
}

void
fx_write_file(const char *path, const char *text, mode_t mode)
{
	int	fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)),
	    (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

void
tq_open(struct tq *t)
{
	struct err	e;

	fx_mkdtemp(t->dir, sizeof(t->dir), "tq");
	assert_int_equal(queue_open(&t->q, t->dir, 1, &e), 0);
}

void
tq_close(struct tq *t)
{
	queue_close(t->q);
	t->q = NULL;
	fx_rmtree(t->dir);
}
