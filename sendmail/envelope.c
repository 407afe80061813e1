/*
 * envelope.c -- sender and recipient list of one message.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "envelope.h"

void
envelope_init(struct envelope *env)
{
	memset(env, 0, sizeof(*env));
}

void
envelope_free(struct envelope *env)
{
	size_t	i;

	for (i = 0; i < env->nrcpts; i++) {
		free(env->rcpts[i].addr);
		free(env->rcpts[i].reply);
	}
	free(env->rcpts);
	free(env->sender);
	free(env->dsn_notify);
	free(env->dsn_ret);
	free(env->dsn_envid);
	memset(env, 0, sizeof(*env));
}

int
envelope_set_sender(struct envelope *env, const char *addr, struct err *e)
{
	char	*p;

	if (addr_check_envelope(addr, e) == -1)
		return -1;
	if ((p = strdup(addr)) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	free(env->sender);
	env->sender = p;
	if (addr_is_utf8(addr))
		env->smtputf8 = 1;
	return 0;
}

/* Local parts compare exactly, domains without regard to case. */
static int
addr_equal(const char *a, const char *b)
{
	const char	*da = strrchr(a, '@'), *db = strrchr(b, '@');
	size_t		 la, lb;

	la = da ? (size_t)(da - a) : strlen(a);
	lb = db ? (size_t)(db - b) : strlen(b);
	if (la != lb || memcmp(a, b, la) != 0)
		return 0;
	if ((da == NULL) != (db == NULL))
		return 0;
	return da == NULL || strcasecmp(da, db) == 0;
}

int
envelope_add_rcpt(struct envelope *env, const char *addr, struct err *e)
{
	struct rcpt	*v;
	size_t		 i, ncap;

	if (addr_check_envelope(addr, e) == -1)
		return -1;
	if (*addr == '\0')
		return err_set(e, ERR_DATA, "empty recipient address");
	for (i = 0; i < env->nrcpts; i++)
		if (addr_equal(env->rcpts[i].addr, addr))
			return 0;
	if (env->nrcpts == env->cap) {
		ncap = env->cap ? env->cap * 2 : 8;
		if ((v = reallocarray(env->rcpts, ncap, sizeof(*v))) == NULL)
			return err_set(e, ERR_SOFTWARE, "out of memory");
		env->rcpts = v;
		env->cap = ncap;
	}
	memset(&env->rcpts[env->nrcpts], 0, sizeof(env->rcpts[0]));
	if ((env->rcpts[env->nrcpts].addr = strdup(addr)) == NULL)
		return err_set(e, ERR_SOFTWARE, "out of memory");
	env->nrcpts++;
	if (addr_is_utf8(addr))
		env->smtputf8 = 1;
	return 0;
}

int
envelope_set_reply(struct rcpt *r, const char *reply)
{
	char	*p = NULL;

	if (reply != NULL && (p = strdup(reply)) == NULL)
		return -1;
	free(r->reply);
	r->reply = p;
	return 0;
}

size_t
envelope_count(const struct envelope *env, enum rcpt_state state)
{
	size_t	i, n = 0;

	for (i = 0; i < env->nrcpts; i++)
		if (env->rcpts[i].state == state)
			n++;
	return n;
}

enum rcpt_state
envelope_fate(enum err_class cls)
{
	switch (cls) {
	case ERR_UNAVAILABLE:
	case ERR_NOUSER:
	case ERR_DATA:
		return RCPT_FAILED;
	default:
		return RCPT_DEFERRED;
	}
}

void
envelope_settle(struct envelope *env, const struct err *e)
{
	size_t	i;

	for (i = 0; i < env->nrcpts; i++)
		if (env->rcpts[i].state == RCPT_PENDING) {
			env->rcpts[i].state = envelope_fate(e->cls);
			envelope_set_reply(&env->rcpts[i], e->msg);
		}
}
