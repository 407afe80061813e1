/*
 * alias.c -- local aliases from [aliases] and an /etc/aliases-style file.
 *
 * Purpose: map local names ("root", "www-data@localhost") to addresses the
 * smarthost can deliver to, and qualify what is left with the configured
 * domain.  The rules are in alias.h.
 *
 * Security assumptions: the configuration and the aliases file are written
 * by the administrator, but the recipients being expanded come from
 * anyone.  So targets are parsed and checked once, at load time, with the
 * same parser as untrusted input (addr.c) and with addr_check_envelope();
 * targets that would make a mail server run a program or write a file
 * ("|cmd", "/file", ":include:") are refused outright, since postern never
 * does either.  The file is opened with O_NOFOLLOW, must be a regular file
 * and is read whole under a size limit.  Expansion is recursive but bounded
 * by ALIAS_DEPTH_MAX and ALIAS_VISIT_MAX, and aliases_load() runs it once
 * for every alias so that a loop is a configuration error, found before any
 * mail is accepted.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "alias.h"
#include "buf.h"

#define ALIAS_ENTRY_MAX	(16 * BUF_LIMIT_ADDR)	/* one entry, joined */
#define ALIAS_WHERE_MAX	300

struct alias {
	char			*name;		/* lower case */
	struct addr_list	 targets;
	char			*where;		/* for messages */
};

struct aliases {
	struct alias	*v;
	size_t		 n;
	size_t		 cap;
};

struct expand {
	const struct aliases	*a;
	const char		*domain;
	struct addr_list	*out;
	struct err		*e;
	const char		*chain[ALIAS_DEPTH_MAX + 1];
	size_t			 depth;
	size_t			 visits;
};

static int
name_char(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80)
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static const struct alias *
aliases_find(const struct aliases *a, const char *name)
{
	size_t	i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, name) == 0)
			return &a->v[i];
	return NULL;
}

/* On a parse failure, say why in the administrator's terms if we can. */
static const char *
target_hint(const char *text)
{
	const char	*p = text;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '"')
			p++;
		if (strncasecmp(p, ":include:", 9) == 0)
			return "':include:' targets are not supported";
		if (*p == '|')
			return "pipe ('|command') targets are not supported";
		if (*p == '/')
			return "file ('/path') targets are not supported";
		if ((p = strchr(p, ',')) == NULL)
			return NULL;
	}
}

/*
 * Parse and check one alias's targets.  Errors are ERR_CONFIG prefixed
 * with where.
 */
static int
targets_parse(const char *where, const char *text, struct addr_list *l,
    struct err *e)
{
	const char	*hint, *spec;
	struct err	 e2;
	size_t		 i;

	if (addr_parse_list(text, strlen(text), l, &e2) == -1) {
		if (e2.cls == ERR_SOFTWARE)
			return err_set(e, ERR_SOFTWARE, "%s", e2.msg);
		if ((hint = target_hint(text)) != NULL)
			return err_set(e, ERR_CONFIG, "%s: %s", where, hint);
		return err_set(e, ERR_CONFIG, "%s: %s", where, e2.msg);
	}
	if (l->n == 0)
		return err_set(e, ERR_CONFIG, "%s: no target address", where);
	for (i = 0; i < l->n; i++) {
		spec = l->v[i].spec;
		if (spec[0] == '|' || (spec[0] == '"' && spec[1] == '|'))
			return err_set(e, ERR_CONFIG, "%s: pipe ('|command') "
			    "targets are not supported", where);
		if (spec[0] == '/' || (spec[0] == '"' && spec[1] == '/'))
			return err_set(e, ERR_CONFIG, "%s: file ('/path') "
			    "targets are not supported", where);
		if (addr_check_envelope(spec, &e2) == -1)
			return err_set(e, ERR_CONFIG, "%s: %s: %s", where,
			    spec, e2.msg);
	}
	return 0;
}

/*
 * Add name -> targets.  from_file: a name the section already has is
 * skipped (the section wins); a name the file already has is an error.
 */
static int
aliases_add(struct aliases *a, const char *name, const char *text,
    const char *where, int from_file, size_t nsection, struct err *e)
{
	struct alias	 al;
	struct alias	*v;
	size_t		 i, ncap, len = strlen(name);

	if (len == 0)
		return err_set(e, ERR_CONFIG, "%s: empty alias name", where);
	if (len > ALIAS_NAME_MAX)
		return err_set(e, ERR_CONFIG, "%s: alias name longer than %d",
		    where, ALIAS_NAME_MAX);
	for (i = 0; i < len; i++)
		if (!name_char((unsigned char)name[i]))
			return err_set(e, ERR_CONFIG, "%s: invalid character "
			    "in alias name", where);
	memset(&al, 0, sizeof(al));
	addr_list_init(&al.targets);
	if ((al.name = strdup(name)) == NULL ||
	    (al.where = strdup(where)) == NULL)
		goto nomem;
	lower(al.name);
	for (i = 0; i < a->n; i++) {
		if (strcmp(a->v[i].name, al.name) != 0)
			continue;
		if (from_file && i < nsection) {
			free(al.name);
			free(al.where);
			return 0;
		}
		err_set(e, ERR_CONFIG, "%s: alias '%s' already defined at %s",
		    where, al.name, a->v[i].where);
		goto fail;
	}
	if (targets_parse(where, text, &al.targets, e) == -1)
		goto fail;
	if (a->n == a->cap) {
		ncap = a->cap ? a->cap * 2 : 16;
		if ((v = reallocarray(a->v, ncap, sizeof(*v))) == NULL)
			goto nomem;
		a->v = v;
		a->cap = ncap;
	}
	a->v[a->n++] = al;
	return 0;
nomem:
	err_set(e, ERR_SOFTWARE, "out of memory");
fail:
	free(al.name);
	free(al.where);
	addr_list_free(&al.targets);
	return -1;
}

static int
file_read(const char *path, struct buf *b, struct err *e)
{
	struct stat	st;
	char		chunk[4096];
	ssize_t		r;
	int		fd, saved;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK);
	if (fd == -1)
		return err_set(e, ERR_CONFIG, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == -1) {
		saved = errno;
		close(fd);
		return err_set(e, ERR_CONFIG, "%s: %s", path, strerror(saved));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, ERR_CONFIG, "%s: not a regular file", path);
	}
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			saved = errno;
			close(fd);
			return err_set(e, ERR_CONFIG, "%s: %s", path,
			    strerror(saved));
		}
		if (r == 0)
			break;
		if (buf_add(b, chunk, (size_t)r) == -1) {
			close(fd);
			return err_set(e, ERR_CONFIG, "%s: larger than %d "
			    "octets", path, ALIAS_FILE_MAX);
		}
	}
	close(fd);
	return 0;
}

/* The entry gathered so far: "name:" then the value, lines joined. */
struct entry {
	struct buf	 name;
	struct buf	 value;
	size_t		 line;		/* 0: none */
};

static int
entry_flush(struct aliases *a, struct entry *en, const char *path,
    size_t nsection, struct err *e)
{
	char	where[ALIAS_WHERE_MAX];
	int	rc;

	if (en->line == 0)
		return 0;
	(void)snprintf(where, sizeof(where), "%s:%zu", path, en->line);
	rc = aliases_add(a, buf_str(&en->name), buf_str(&en->value), where,
	    1, nsection, e);
	buf_reset(&en->name);
	buf_reset(&en->value);
	en->line = 0;
	return rc;
}

static int
file_parse(struct aliases *a, const char *path, const struct buf *b,
    size_t nsection, struct err *e)
{
	struct entry	 en;
	const char	*p, *end, *eol, *colon, *q;
	size_t		 lineno = 0, n;
	int		 rc = -1;

	buf_init(&en.name, ALIAS_NAME_MAX + 1);
	buf_init(&en.value, ALIAS_ENTRY_MAX);
	en.line = 0;
	if (b->len > 0 && memchr(b->data, '\0', b->len) != NULL) {
		err_set(e, ERR_CONFIG, "%s: NUL byte in file", path);
		goto out;
	}
	p = buf_str(b);
	for (end = p + b->len; p < end; p = eol + 1) {
		lineno++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		n = (size_t)(eol - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0 || p[0] == '#')
			continue;
		if (p[0] == ' ' || p[0] == '\t') {
			for (q = p; q < p + n && (*q == ' ' || *q == '\t');
			    q++)
				;
			if (q == p + n)
				continue;	/* blank line */
			if (en.line == 0) {
				err_set(e, ERR_CONFIG, "%s:%zu: continuation "
				    "line without an alias", path, lineno);
				goto out;
			}
			if (buf_addc(&en.value, ' ') == -1 ||
			    buf_add(&en.value, q, n - (size_t)(q - p)) == -1) {
				err_set(e, ERR_CONFIG, "%s:%zu: alias too "
				    "long", path, en.line);
				goto out;
			}
			continue;
		}
		if (entry_flush(a, &en, path, nsection, e) == -1)
			goto out;
		if ((colon = memchr(p, ':', n)) == NULL) {
			err_set(e, ERR_CONFIG, "%s:%zu: missing ':' after the "
			    "alias name", path, lineno);
			goto out;
		}
		for (q = colon; q > p && (q[-1] == ' ' || q[-1] == '\t'); q--)
			;
		if (buf_add(&en.name, p, (size_t)(q - p)) == -1) {
			err_set(e, ERR_CONFIG, "%s:%zu: alias name longer "
			    "than %d", path, lineno, ALIAS_NAME_MAX);
			goto out;
		}
		if (buf_add(&en.value, colon + 1,
		    n - (size_t)(colon + 1 - p)) == -1) {
			err_set(e, ERR_CONFIG, "%s:%zu: alias too long", path,
			    lineno);
			goto out;
		}
		en.line = lineno;
	}
	rc = entry_flush(a, &en, path, nsection, e);
out:
	buf_free(&en.name);
	buf_free(&en.value);
	return rc;
}

int
aliases_load(struct aliases **ap, const struct alias_params *c,
    struct err *e)
{
	struct aliases		*a;
	struct addr_list	 scratch;
	struct buf		 b;
	char			 where[ALIAS_WHERE_MAX];
	const char		*cpath;
	size_t			 i, nsection;

	*ap = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	cpath = c->config_path != NULL ? c->config_path : "config";
	for (i = 0; i < c->naliases; i++) {
		if (c->aliases[i].name == NULL || c->aliases[i].targets == NULL)
			continue;
		(void)snprintf(where, sizeof(where), "%s: [aliases] %.*s",
		    cpath, ALIAS_NAME_MAX, c->aliases[i].name);
		if (aliases_add(a, c->aliases[i].name, c->aliases[i].targets,
		    where, 0, 0, e) == -1)
			goto fail;
	}
	nsection = a->n;
	if (c->file != NULL && c->file[0] != '\0') {
		buf_init(&b, ALIAS_FILE_MAX);
		if (file_read(c->file, &b, e) == -1 ||
		    file_parse(a, c->file, &b, nsection, e) == -1) {
			buf_free(&b);
			goto fail;
		}
		buf_free(&b);
	}
	/* Expand each alias once: loops are found now, not on delivery. */
	for (i = 0; i < a->n; i++) {
		addr_list_init(&scratch);
		if (aliases_expand(a, NULL, a->v[i].name, &scratch, e) == -1) {
			addr_list_free(&scratch);
			if (e->cls != ERR_SOFTWARE)
				e->cls = ERR_CONFIG;
			err_prefix(e, a->v[i].where);
			goto fail;
		}
		addr_list_free(&scratch);
	}
	*ap = a;
	return 0;
fail:
	aliases_free(a);
	return -1;
}

size_t
aliases_count(const struct aliases *a)
{
	return a != NULL ? a->n : 0;
}

void
aliases_free(struct aliases *a)
{
	size_t	i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].where);
		addr_list_free(&a->v[i].targets);
	}
	free(a->v);
	free(a);
}

/* Two specs name the same mailbox: local part exact, domain any case. */
static int
same_addr(const char *x, const char *y)
{
	const char	*dx = addr_domain(x), *dy = addr_domain(y);
	size_t		 lx, ly;

	if ((dx == NULL) != (dy == NULL))
		return 0;
	if (dx == NULL)
		return strcmp(x, y) == 0;
	lx = (size_t)(dx - x);
	ly = (size_t)(dy - y);
	return lx == ly && memcmp(x, y, lx) == 0 && strcasecmp(dx, dy) == 0;
}

/* Append spec, qualified when local, unless it is already there. */
static int
expand_emit(struct expand *x, const char *spec, int local)
{
	struct buf	 b;
	struct err	 e2;
	const char	*dom, *s;
	size_t		 i;
	int		 rc = -1;

	buf_init(&b, BUF_LIMIT_ADDR);
	s = spec;
	if (local && x->domain != NULL) {
		dom = addr_domain(spec);
		if (buf_add(&b, spec, dom != NULL ?
		    (size_t)(dom - spec - 1) : strlen(spec)) == -1 ||
		    buf_addc(&b, '@') == -1 || buf_adds(&b, x->domain) == -1) {
			err_set(x->e, ERR_DATA, "%s: address too long", spec);
			goto out;
		}
		s = buf_str(&b);
	}
	if (addr_check_envelope(s, &e2) == -1) {
		err_set(x->e, ERR_DATA, "%s: %s", s, e2.msg);
		goto out;
	}
	for (i = 0; i < x->out->n; i++)
		if (same_addr(x->out->v[i].spec, s)) {
			rc = 0;
			goto out;
		}
	rc = addr_list_add(x->out, s, NULL, x->e);
out:
	buf_free(&b);
	return rc;
}

static int
expand_rec(struct expand *x, const char *spec, const char *parent,
    int no_default)
{
	const struct alias	*al;
	const char		*dom;
	char			 name[ALIAS_NAME_MAX + 1];
	size_t			 len, i;
	int			 via_default = 0, rc;

	if (++x->visits > ALIAS_VISIT_MAX)
		return err_set(x->e, ERR_CONFIG, "alias expansion of more "
		    "than %d steps", ALIAS_VISIT_MAX);
	dom = addr_domain(spec);
	if (dom != NULL && strcasecmp(dom, "localhost") != 0)
		return expand_emit(x, spec, 0);
	len = dom != NULL ? (size_t)(dom - spec - 1) : strlen(spec);
	/* A quoted or over-long local part cannot be an alias name. */
	if (len == 0 || len > ALIAS_NAME_MAX || spec[0] == '"')
		return expand_emit(x, spec, 1);
	memcpy(name, spec, len);
	name[len] = '\0';
	lower(name);
	if (parent != NULL && strcmp(name, parent) == 0)
		return expand_emit(x, spec, 1);
	if ((al = aliases_find(x->a, name)) == NULL && !no_default &&
	    (al = aliases_find(x->a, "default")) != NULL)
		via_default = 1;
	if (al == NULL)
		return expand_emit(x, spec, 1);
	/* Named directly, "default" does not apply to its own targets. */
	if (strcmp(al->name, "default") == 0)
		via_default = 1;
	for (i = 0; i < x->depth; i++)
		if (strcmp(x->chain[i], al->name) == 0)
			return err_set(x->e, ERR_CONFIG, "alias loop: '%s' "
			    "leads back to itself", al->name);
	if (x->depth >= ALIAS_DEPTH_MAX)
		return err_set(x->e, ERR_CONFIG, "aliases nested deeper than "
		    "%d at '%s'", ALIAS_DEPTH_MAX, al->name);
	x->chain[x->depth++] = al->name;
	rc = 0;
	/*
	 * A target naming the alias whose list this is (root: root, a@x)
	 * maps to itself; that is al->name, which differs from name when
	 * "default" caught it.
	 */
	for (i = 0; i < al->targets.n && rc == 0; i++)
		rc = expand_rec(x, al->targets.v[i].spec, al->name,
		    no_default || via_default);
	x->depth--;
	return rc;
}

int
aliases_expand(const struct aliases *a, const char *domain, const char *rcpt,
    struct addr_list *out, struct err *e)
{
	struct expand	x;
	struct err	e2;
	size_t		n0 = out->n;

	if (rcpt == NULL || rcpt[0] == '\0')
		return err_set(e, ERR_DATA, "empty recipient address");
	if (addr_check_envelope(rcpt, &e2) == -1)
		return err_set(e, ERR_DATA, "recipient: %s", e2.msg);
	memset(&x, 0, sizeof(x));
	x.a = a;
	x.domain = domain;
	x.out = out;
	x.e = e;
	if (expand_rec(&x, rcpt, NULL, 0) == -1) {
		while (out->n > n0)
			addr_free(&out->v[--out->n]);
		return -1;
	}
	return 0;
}
