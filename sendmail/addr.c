/*
 * addr.c -- RFC 5322 address-list parser and RFC 5321 envelope checks.
 *
 * Purpose: turn header bodies ("To: ...") and command-line recipients into
 * envelope addresses, and check envelope addresses before they reach an
 * SMTP command, a header or the queue.
 *
 * Security assumptions: the input is hostile.  It comes from web forms via
 * PHP mail(), from cron jobs, from anyone who can run sendmail.  So:
 *  - every octet is looked at once, left to right, by a lexer that knows
 *    where it is; nothing is copied without a bound (struct buf with
 *    BUF_LIMIT_ADDR), nothing is recursive (comments nest through a
 *    counter, capped at ADDR_COMMENT_DEPTH);
 *  - NUL, DEL and control characters other than HTAB are refused wherever
 *    they appear, even inside comments and quoted strings; CR and LF are
 *    accepted only as part of a fold (line break followed by SP or HTAB)
 *    and are then dropped, so no spec or display name ever holds one
 *    (CVE-2015-8476, CVE-2026-30227 class: CRLF in a quoted local part);
 *  - a spec is rebuilt from the decoded local part, never copied from the
 *    input, so what reaches "RCPT TO:<...>" is always in canonical form;
 *  - addr_check_envelope() refuses specs that begin with "-", which could
 *    pass for an option (CVE-2016-10033).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"

#define ADDR_COMMENT_DEPTH	64

enum tok_type {
	T_END,
	T_ATOM,		/* 1*atext, text = the atom */
	T_QSTR,		/* quoted-string, text = its decoded content */
	T_DLIT,		/* domain-literal, text = "[...]" without FWS */
	T_SPECIAL	/* one of < > @ , : ; . in c */
};

struct lexer {
	const unsigned char	*s;
	size_t			 len;
	size_t			 pos;
	struct err		*e;
	/* The current token. */
	enum tok_type		 type;
	int			 c;
	size_t			 start;	/* offset of its first octet */
	size_t			 end;	/* offset just past its last octet */
	size_t			 prev_end; /* end of the token before it */
	int			 ws;	/* CFWS came before it */
	struct buf		 text;
};

/* What a run of words and dots may turn out to be. */
struct phrase {
	size_t		 count;		/* words and dots seen */
	int		 first_dot;	/* it began with "." */
	int		 local_ok;	/* word *("." word) so far */
	int		 want_word;	/* last item was a dot, or none yet */
	size_t		 end;		/* offset past its last item */
	struct buf	 local;		/* decoded local part */
	struct buf	 display;	/* words joined by single spaces */
};

struct parser {
	struct lexer		 lx;
	struct addr_list	*out;
	int			 one;	/* addr_parse_one(): <> ok, no groups */
};

static int
is_ctl(int c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* ASCII letter or digit, whatever the locale. */
static int
isalnum_c(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static int
is_atext(int c)
{
	if (c >= 0x80)
		return 1;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* dtext of RFC 5322 3.4.1, ASCII only: also valid in an RFC 5321 literal. */
static int
is_dtext(int c)
{
	return (c >= 33 && c <= 90) || (c >= 94 && c <= 126);
}

/* Name an octet for a message without echoing a control character. */
static const char *
octet_name(int c, char *tmp, size_t tmpsz)
{
	if (c == '\0')
		return "NUL";
	if (c == '\r')
		return "CR";
	if (c == '\n')
		return "LF";
	if (c < 0x20 || c >= 0x7f) {
		static const char hex[] = "0123456789abcdef";

		if (tmpsz < 5)
			return "?";
		tmp[0] = '0';
		tmp[1] = 'x';
		tmp[2] = hex[(c >> 4) & 0xf];
		tmp[3] = hex[c & 0xf];
		tmp[4] = '\0';
		return tmp;
	}
	if (tmpsz < 4)
		return "?";
	tmp[0] = '\'';
	tmp[1] = (char)c;
	tmp[2] = '\'';
	tmp[3] = '\0';
	return tmp;
}

static int
lex_fail(struct lexer *lx, size_t off, const char *what)
{
	return err_set(lx->e, ERR_DATA, "address: %s at offset %zu", what,
	    off);
}

static int
lex_bad_octet(struct lexer *lx, size_t off)
{
	char	tmp[8];

	return err_set(lx->e, ERR_DATA, "address: %s at offset %zu",
	    off < lx->len ? octet_name(lx->s[off], tmp, sizeof(tmp)) :
	    "end of input", off);
}

static int
lex_too_long(struct lexer *lx, size_t off)
{
	if (errno == ENOMEM)
		return err_set(lx->e, ERR_SOFTWARE, "address: out of memory");
	return lex_fail(lx, off, "address too long");
}

/*
 * At a CR or LF: accept a fold (CRLF or LF, then SP or HTAB) and step over
 * the line break; the whitespace itself is left for the caller.
 */
static int
lex_fold(struct lexer *lx)
{
	size_t	n;

	if (lx->s[lx->pos] == '\r') {
		if (lx->pos + 1 >= lx->len || lx->s[lx->pos + 1] != '\n')
			return lex_fail(lx, lx->pos, "CR not part of a line "
			    "fold");
		n = 2;
	} else
		n = 1;
	if (lx->pos + n >= lx->len || !is_wsp(lx->s[lx->pos + n]))
		return lex_fail(lx, lx->pos, "line break not followed by "
		    "whitespace");
	lx->pos += n;
	return 0;
}

/* A quoted-pair's second octet: VCHAR, WSP or UTF-8 (RFC 6532). */
static int
lex_qpair(struct lexer *lx, int *cp)
{
	int	c;

	if (lx->pos + 1 >= lx->len)
		return lex_fail(lx, lx->pos, "'\\' at end of input");
	c = lx->s[lx->pos + 1];
	if (c == '\0' || is_ctl(c))
		return lex_bad_octet(lx, lx->pos + 1);
	*cp = c;
	lx->pos += 2;
	return 0;
}

/* Skip a comment, nested ones included, without recursing. */
static int
lex_comment(struct lexer *lx)
{
	size_t	start = lx->pos, depth = 0;
	int	c;

	for (;;) {
		if (lx->pos >= lx->len)
			return lex_fail(lx, start, "unterminated comment");
		c = lx->s[lx->pos];
		if (c == '(') {
			if (++depth > ADDR_COMMENT_DEPTH)
				return lex_fail(lx, lx->pos,
				    "comments nested too deep");
			lx->pos++;
		} else if (c == ')') {
			lx->pos++;
			if (--depth == 0)
				return 0;
		} else if (c == '\\') {
			if (lex_qpair(lx, &c) == -1)
				return -1;
		} else if (c == '\r' || c == '\n') {
			if (lex_fold(lx) == -1)
				return -1;
		} else if (c == '\0' || is_ctl(c))
			return lex_bad_octet(lx, lx->pos);
		else
			lx->pos++;
	}
}

static int
lex_cfws(struct lexer *lx, int *ws)
{
	int	c;

	while (lx->pos < lx->len) {
		c = lx->s[lx->pos];
		if (is_wsp(c))
			lx->pos++;
		else if (c == '\r' || c == '\n') {
			if (lex_fold(lx) == -1)
				return -1;
		} else if (c == '(') {
			if (lex_comment(lx) == -1)
				return -1;
		} else
			break;
		*ws = 1;
	}
	return 0;
}

static int
lex_qstr(struct lexer *lx)
{
	int	c;

	lx->pos++;
	for (;;) {
		if (lx->pos >= lx->len)
			return lex_fail(lx, lx->start,
			    "unterminated quoted string");
		c = lx->s[lx->pos];
		if (c == '"') {
			lx->pos++;
			return 0;
		}
		if (c == '\r' || c == '\n') {
			/* Unfold: drop the line break, keep the WSP. */
			if (lex_fold(lx) == -1)
				return -1;
			continue;
		}
		if (c == '\\') {
			if (lex_qpair(lx, &c) == -1)
				return -1;
		} else if (c == '\0' || is_ctl(c))
			return lex_bad_octet(lx, lx->pos);
		else
			lx->pos++;
		if (buf_addc(&lx->text, c) == -1)
			return lex_too_long(lx, lx->start);
	}
}

/*
 * A domain literal keeps its brackets; FWS next to them is dropped, FWS
 * between two dtext octets is refused (RFC 5321 has no room for it), and
 * so is anything outside ASCII dtext, even when quoted.
 */
static int
lex_dlit(struct lexer *lx)
{
	int	c, pending_ws = 0;

	lx->pos++;
	if (buf_addc(&lx->text, '[') == -1)
		return lex_too_long(lx, lx->start);
	for (;;) {
		if (lx->pos >= lx->len)
			return lex_fail(lx, lx->start,
			    "unterminated domain literal");
		c = lx->s[lx->pos];
		if (c == ']') {
			lx->pos++;
			break;
		}
		if (is_wsp(c)) {
			pending_ws = 1;
			lx->pos++;
			continue;
		}
		if (c == '\r' || c == '\n') {
			if (lex_fold(lx) == -1)
				return -1;
			pending_ws = 1;
			continue;
		}
		if (c == '\\') {
			if (lx->pos + 1 >= lx->len ||
			    !is_dtext(lx->s[lx->pos + 1]))
				return lex_fail(lx, lx->pos, "invalid quoted "
				    "pair in domain literal");
			c = lx->s[lx->pos + 1];
			lx->pos += 2;
		} else if (!is_dtext(c))
			return lex_bad_octet(lx, lx->pos);
		else
			lx->pos++;
		if (pending_ws && lx->text.len > 1)
			return lex_fail(lx, lx->pos - 1,
			    "whitespace inside domain literal");
		pending_ws = 0;
		if (buf_addc(&lx->text, c) == -1)
			return lex_too_long(lx, lx->start);
	}
	if (lx->text.len == 1)
		return lex_fail(lx, lx->start, "empty domain literal");
	if (buf_addc(&lx->text, ']') == -1)
		return lex_too_long(lx, lx->start);
	return 0;
}

/* Read the next token into lx; CFWS before it sets lx->ws. */
static int
lex_next(struct lexer *lx)
{
	int	c;

	lx->ws = 0;
	lx->prev_end = lx->end;
	buf_reset(&lx->text);
	if (lex_cfws(lx, &lx->ws) == -1)
		return -1;
	lx->start = lx->pos;
	lx->c = 0;
	if (lx->pos >= lx->len) {
		lx->type = T_END;
		lx->end = lx->len;
		return 0;
	}
	c = lx->s[lx->pos];
	if (is_atext(c)) {
		while (lx->pos < lx->len && is_atext(lx->s[lx->pos]))
			lx->pos++;
		if (buf_add(&lx->text, lx->s + lx->start,
		    lx->pos - lx->start) == -1)
			return lex_too_long(lx, lx->start);
		lx->type = T_ATOM;
	} else if (c == '"') {
		if (lex_qstr(lx) == -1)
			return -1;
		lx->type = T_QSTR;
	} else if (c == '[') {
		if (lex_dlit(lx) == -1)
			return -1;
		lx->type = T_DLIT;
	} else if (c != '\0' && strchr("<>@,:;.", c) != NULL) {
		lx->type = T_SPECIAL;
		lx->c = c;
		lx->pos++;
	} else
		return lex_bad_octet(lx, lx->pos);
	lx->end = lx->pos;
	return 0;
}

static int
is_special(const struct lexer *lx, int c)
{
	return lx->type == T_SPECIAL && lx->c == c;
}

static int
is_word(const struct lexer *lx)
{
	return lx->type == T_ATOM || lx->type == T_QSTR;
}

/* Say what was found where something else was expected. */
static int
parse_unexpected(struct parser *p, const char *expected)
{
	struct lexer	*lx = &p->lx;
	const char	*found;
	char		 tmp[8];

	switch (lx->type) {
	case T_END:
		found = "end of input";
		break;
	case T_ATOM:
		found = "a word";
		break;
	case T_QSTR:
		found = "a quoted string";
		break;
	case T_DLIT:
		found = "a domain literal";
		break;
	default:
		found = octet_name(lx->c, tmp, sizeof(tmp));
		break;
	}
	return err_set(lx->e, ERR_DATA, "address: expected %s, found %s at "
	    "offset %zu", expected, found, lx->start);
}

static void
phrase_init(struct phrase *ph)
{
	memset(ph, 0, sizeof(*ph));
	ph->local_ok = 1;
	ph->want_word = 1;
	buf_init(&ph->local, BUF_LIMIT_ADDR);
	buf_init(&ph->display, BUF_LIMIT_ADDR);
}

static void
phrase_free(struct phrase *ph)
{
	buf_free(&ph->local);
	buf_free(&ph->display);
}

/*
 * Gather words and dots.  What they are depends on what follows: a display
 * name before "<", a group name before ":", a local part before "@" or at
 * the end of an address.  So both readings are built at once.
 */
static int
parse_phrase(struct parser *p, struct phrase *ph)
{
	struct lexer	*lx = &p->lx;
	int		 dot;

	while (is_word(lx) || is_special(lx, '.')) {
		dot = lx->type == T_SPECIAL;
		if (ph->count == 0)
			ph->first_dot = dot;
		if (lx->ws && ph->display.len > 0 &&
		    buf_addc(&ph->display, ' ') == -1)
			return lex_too_long(lx, lx->start);
		if (dot) {
			if (ph->want_word)
				ph->local_ok = 0;
			else if (buf_addc(&ph->local, '.') == -1)
				return lex_too_long(lx, lx->start);
			ph->want_word = 1;
			if (buf_addc(&ph->display, '.') == -1)
				return lex_too_long(lx, lx->start);
		} else {
			if (!ph->want_word)
				ph->local_ok = 0;
			else if (buf_add(&ph->local, lx->text.data,
			    lx->text.len) == -1)
				return lex_too_long(lx, lx->start);
			ph->want_word = 0;
			if (buf_add(&ph->display, lx->text.data,
			    lx->text.len) == -1)
				return lex_too_long(lx, lx->start);
		}
		ph->count++;
		ph->end = lx->end;
		if (lex_next(lx) == -1)
			return -1;
	}
	if (ph->count == 0 || ph->want_word)
		ph->local_ok = 0;
	return 0;
}

static int
parse_domain(struct parser *p, struct buf *dom)
{
	struct lexer	*lx = &p->lx;

	if (lx->type == T_DLIT) {
		if (buf_add(dom, lx->text.data, lx->text.len) == -1)
			return lex_too_long(lx, lx->start);
		return lex_next(lx);
	}
	if (lx->type != T_ATOM)
		return parse_unexpected(p, "a domain");
	for (;;) {
		if (buf_add(dom, lx->text.data, lx->text.len) == -1)
			return lex_too_long(lx, lx->start);
		if (lex_next(lx) == -1)
			return -1;
		if (!is_special(lx, '.'))
			return 0;
		if (lex_next(lx) == -1)
			return -1;
		if (lx->type != T_ATOM)
			return parse_unexpected(p, "a domain label after '.'");
		if (buf_addc(dom, '.') == -1)
			return lex_too_long(lx, lx->start);
	}
}

/* 1 if s[0..n) is a dot-atom: atext runs joined by single dots. */
static int
is_dot_atom(const char *s, size_t n)
{
	size_t	i;
	int	want = 1;

	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (want)
				return 0;
			want = 1;
		} else if (is_atext((unsigned char)s[i]))
			want = 0;
		else
			return 0;
	}
	return !want;
}

/*
 * Build the spec: the local part as a dot-atom when it is one, else as a
 * quoted string escaping only '"' and '\'; then "@domain".
 */
static int
build_spec(struct lexer *lx, const struct buf *local, const struct buf *dom,
    int has_domain, struct buf *spec, size_t off)
{
	size_t	i;
	int	c;

	if (is_dot_atom(local->data, local->len)) {
		if (buf_add(spec, local->data, local->len) == -1)
			return lex_too_long(lx, off);
	} else {
		if (buf_addc(spec, '"') == -1)
			return lex_too_long(lx, off);
		for (i = 0; i < local->len; i++) {
			c = (unsigned char)local->data[i];
			/* A quoted HTAB is RFC 5322 but not RFC 5321. */
			if (is_ctl(c) || c == '\t')
				return lex_fail(lx, off, "control character "
				    "in local part");
			if ((c == '"' || c == '\\') &&
			    buf_addc(spec, '\\') == -1)
				return lex_too_long(lx, off);
			if (buf_addc(spec, c) == -1)
				return lex_too_long(lx, off);
		}
		if (buf_addc(spec, '"') == -1)
			return lex_too_long(lx, off);
	}
	if (has_domain) {
		if (buf_addc(spec, '@') == -1 ||
		    buf_add(spec, dom->data, dom->len) == -1)
			return lex_too_long(lx, off);
	}
	return 0;
}

static int
parse_emit(struct parser *p, const struct buf *local, const struct buf *dom,
    int has_domain, const struct buf *display, size_t spec_end, size_t off)
{
	struct buf	spec;
	struct addr	a;
	int		rc;

	buf_init(&spec, BUF_LIMIT_ADDR);
	if (build_spec(&p->lx, local, dom, has_domain, &spec, off) == -1) {
		buf_free(&spec);
		return -1;
	}
	a.spec = (char *)buf_str(&spec);
	a.display = display != NULL && display->len > 0 ?
	    (char *)buf_str(display) : NULL;
	a.has_domain = has_domain;
	a.spec_end = spec_end;
	rc = addr_list_add_addr(p->out, &a, p->lx.e);
	buf_free(&spec);
	return rc;
}

/*
 * After "<": [obs-route] addr-spec ">", or ">" alone for the null sender.
 * The route's domains are checked and dropped (RFC 5322 4.4).
 */
static int
parse_angle(struct parser *p, const struct buf *display)
{
	struct lexer	*lx = &p->lx;
	struct phrase	 ph;
	struct buf	 dom, route;
	struct addr	 null;
	size_t		 open = lx->start, off;
	int		 has_domain = 0, rc = -1;

	phrase_init(&ph);
	buf_init(&dom, BUF_LIMIT_ADDR);
	buf_init(&route, BUF_LIMIT_ADDR);
	if (lex_next(lx) == -1)
		goto out;
	if (is_special(lx, '>')) {
		if (!p->one || (display != NULL && display->len > 0)) {
			lex_fail(lx, open, "empty address <>");
			goto out;
		}
		/* The null sender: spec "", not the quoted empty string. */
		null.spec = (char *)"";
		null.display = NULL;
		null.has_domain = 0;
		null.spec_end = lx->start;
		rc = addr_list_add_addr(p->out, &null, lx->e);
		if (rc == 0)
			rc = lex_next(lx);
		goto out;
	}
	if (is_special(lx, '@')) {
		for (;;) {
			if (!is_special(lx, '@')) {
				parse_unexpected(p, "'@' in route");
				goto out;
			}
			if (lex_next(lx) == -1)
				goto out;
			buf_reset(&route);
			if (parse_domain(p, &route) == -1)
				goto out;
			while (is_special(lx, ','))
				if (lex_next(lx) == -1)
					goto out;
			if (is_special(lx, ':'))
				break;
		}
		if (lex_next(lx) == -1)
			goto out;
	}
	off = lx->start;
	if (parse_phrase(p, &ph) == -1)
		goto out;
	if (!ph.local_ok) {
		if (ph.count == 0)
			parse_unexpected(p, "a local part");
		else
			lex_fail(lx, off, "invalid local part");
		goto out;
	}
	if (is_special(lx, '@')) {
		has_domain = 1;
		if (lex_next(lx) == -1)
			goto out;
		if (parse_domain(p, &dom) == -1)
			goto out;
	}
	if (!is_special(lx, '>')) {
		if (lx->type == T_END)
			lex_fail(lx, open, "unterminated '<'");
		else
			parse_unexpected(p, "'>'");
		goto out;
	}
	/* The addr-spec ends with the token before the '>'. */
	rc = parse_emit(p, &ph.local, &dom, has_domain, display,
	    lx->prev_end, off);
	if (rc == 0)
		rc = lex_next(lx);
out:
	phrase_free(&ph);
	buf_free(&dom);
	buf_free(&route);
	return rc;
}

static int parse_address(struct parser *, int);

/* After the ':' of a group: mailboxes up to ";". */
static int
parse_group(struct parser *p)
{
	struct lexer	*lx = &p->lx;

	if (lex_next(lx) == -1)
		return -1;
	for (;;) {
		while (is_special(lx, ','))
			if (lex_next(lx) == -1)
				return -1;
		if (is_special(lx, ';'))
			return lex_next(lx);
		/* A group missing its ";" at the very end: accepted. */
		if (lx->type == T_END)
			return 0;
		if (parse_address(p, 1) == -1)
			return -1;
		if (!is_special(lx, ',') && !is_special(lx, ';') &&
		    lx->type != T_END)
			return parse_unexpected(p, "',' or ';'");
	}
}

/*
 * One address: a mailbox (name-addr or addr-spec or bare local name) or,
 * outside a group, a group.
 */
static int
parse_address(struct parser *p, int in_group)
{
	struct lexer	*lx = &p->lx;
	struct phrase	 ph;
	struct buf	 dom;
	size_t		 off = lx->start;
	int		 rc = -1;

	phrase_init(&ph);
	buf_init(&dom, BUF_LIMIT_ADDR);
	if (parse_phrase(p, &ph) == -1)
		goto out;
	if (is_special(lx, '<')) {
		if (ph.first_dot) {
			lex_fail(lx, off, "display name begins with '.'");
			goto out;
		}
		rc = parse_angle(p, &ph.display);
	} else if (is_special(lx, ':') && ph.count > 0) {
		if (in_group)
			lex_fail(lx, lx->start, "group inside a group");
		else if (p->one)
			lex_fail(lx, lx->start, "a group is not one address");
		else if (ph.first_dot)
			lex_fail(lx, off, "group name begins with '.'");
		else
			rc = parse_group(p);
	} else if (is_special(lx, '@') && ph.count > 0) {
		if (!ph.local_ok) {
			lex_fail(lx, off, "invalid local part");
			goto out;
		}
		if (lex_next(lx) == -1)
			goto out;
		if (parse_domain(p, &dom) == -1)
			goto out;
		/* The domain's last token is the one before the current. */
		rc = parse_emit(p, &ph.local, &dom, 1, NULL, lx->prev_end,
		    off);
	} else if (ph.count > 0 && (lx->type == T_END ||
	    is_special(lx, ',') || (in_group && is_special(lx, ';')))) {
		if (!ph.local_ok) {
			lex_fail(lx, off, "not an address (a name without "
			    "<address>?)");
			goto out;
		}
		rc = parse_emit(p, &ph.local, &dom, 0, NULL, ph.end, off);
	} else
		parse_unexpected(p, ph.count > 0 ? "'<', '@', ':' or ','" :
		    "an address");
out:
	phrase_free(&ph);
	buf_free(&dom);
	return rc;
}

static void
lexer_init(struct lexer *lx, const char *s, size_t len, struct err *e)
{
	memset(lx, 0, sizeof(*lx));
	lx->s = (const unsigned char *)s;
	lx->len = len;
	lx->e = e;
	buf_init(&lx->text, BUF_LIMIT_ADDR);
}

static void
list_truncate(struct addr_list *l, size_t n)
{
	while (l->n > n)
		addr_free(&l->v[--l->n]);
}

int
addr_parse_list(const char *s, size_t len, struct addr_list *out,
    struct err *e)
{
	struct parser	p;
	size_t		n0 = out->n;
	int		rc = -1;

	if (s == NULL)
		len = 0;
	lexer_init(&p.lx, s, len, e);
	p.out = out;
	p.one = 0;
	if (lex_next(&p.lx) == -1)
		goto out;
	for (;;) {
		while (is_special(&p.lx, ','))
			if (lex_next(&p.lx) == -1)
				goto out;
		if (p.lx.type == T_END)
			break;
		if (parse_address(&p, 0) == -1)
			goto out;
		if (p.lx.type == T_END)
			break;
		if (!is_special(&p.lx, ',')) {
			parse_unexpected(&p, "',' or end of list");
			goto out;
		}
	}
	rc = 0;
out:
	buf_free(&p.lx.text);
	if (rc == -1)
		list_truncate(out, n0);
	return rc;
}

int
addr_parse_one(const char *s, struct addr *out, struct err *e)
{
	struct parser		p;
	struct addr_list	l;
	int			rc = -1;

	memset(out, 0, sizeof(*out));
	addr_list_init(&l);
	lexer_init(&p.lx, s, s == NULL ? 0 : strlen(s), e);
	p.out = &l;
	p.one = 1;
	if (lex_next(&p.lx) == -1)
		goto out;
	if (p.lx.type == T_END) {
		err_set(e, ERR_DATA, "address: empty address");
		goto out;
	}
	if (parse_address(&p, 0) == -1)
		goto out;
	if (p.lx.type != T_END) {
		if (is_special(&p.lx, ','))
			lex_fail(&p.lx, p.lx.start, "more than one address");
		else
			parse_unexpected(&p, "end of address");
		goto out;
	}
	if (l.n != 1) {
		err_set(e, ERR_DATA, "address: not one address");
		goto out;
	}
	*out = l.v[0];
	l.n = 0;
	rc = 0;
out:
	buf_free(&p.lx.text);
	addr_list_free(&l);
	return rc;
}

void
addr_free(struct addr *a)
{
	if (a == NULL)
		return;
	free(a->spec);
	free(a->display);
	a->spec = NULL;
	a->display = NULL;
}

void
addr_list_init(struct addr_list *l)
{
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
}

void
addr_list_free(struct addr_list *l)
{
	list_truncate(l, 0);
	free(l->v);
	addr_list_init(l);
}

int
addr_list_add_addr(struct addr_list *l, const struct addr *a, struct err *e)
{
	struct addr	 c;
	struct addr	*v;
	size_t		 ncap;

	if (l->n >= ADDR_LIST_MAX)
		return err_set(e, ERR_DATA, "address: more than %d addresses",
		    ADDR_LIST_MAX);
	if (l->n == l->cap) {
		ncap = l->cap ? l->cap * 2 : 8;
		if (ncap > ADDR_LIST_MAX)
			ncap = ADDR_LIST_MAX;
		if ((v = reallocarray(l->v, ncap, sizeof(*v))) == NULL)
			return err_set(e, ERR_SOFTWARE, "out of memory");
		l->v = v;
		l->cap = ncap;
	}
	c.spec = strdup(a->spec);
	c.display = a->display != NULL ? strdup(a->display) : NULL;
	if (c.spec == NULL || (a->display != NULL && c.display == NULL)) {
		free(c.spec);
		free(c.display);
		return err_set(e, ERR_SOFTWARE, "out of memory");
	}
	c.has_domain = a->has_domain;
	c.spec_end = a->spec_end;
	l->v[l->n++] = c;
	return 0;
}

int
addr_list_add(struct addr_list *l, const char *spec, const char *display,
    struct err *e)
{
	struct addr	a;

	a.spec = (char *)spec;
	a.display = (char *)display;
	a.has_domain = addr_domain(spec) != NULL;
	a.spec_end = 0;
	return addr_list_add_addr(l, &a, e);
}

const char *
addr_domain(const char *spec)
{
	const char	*p = spec;

	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++)
			if (*p == '\\' && p[1] != '\0')
				p++;
		if (*p != '"')
			return NULL;
		p++;
		return *p == '@' ? p + 1 : NULL;
	}
	p = strchr(p, '@');
	return p != NULL ? p + 1 : NULL;
}

static int
env_fail(const char *spec, const char *p, struct err *e)
{
	char	tmp[8];

	return err_set(e, ERR_DATA, "address: invalid %s at offset %zu of "
	    "envelope address", *p == '\0' ? "end" :
	    octet_name((unsigned char)*p, tmp, sizeof(tmp)),
	    (size_t)(p - spec));
}

/* RFC 3629 well-formed UTF-8 (no overlongs, surrogates, or > U+10FFFF). */
int
addr_utf8_valid(const char *str)
{
	const unsigned char	*p = (const unsigned char *)str;
	unsigned		 cp;
	int			 n, i;

	while (*p != '\0') {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			n = 1;
			cp = *p & 0x1f;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			n = 2;
			cp = *p & 0x0f;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			n = 3;
			cp = *p & 0x07;
		} else
			return 0;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		p += n + 1;
	}
	return 1;
}

/*
 * RFC 5321 4.1.2 Domain: sub-domain *("." sub-domain), sub-domain =
 * Let-dig [Ldh-str]: letters, digits and hyphens, neither first nor last,
 * at most 63 octets (RFC 1035 2.3.4).  "_" is taken as a letter: not
 * RFC 5321 syntax, but found in real host names, and Postfix takes it
 * too.  Octets of 0x80 and above count as
 * letters (a U-label, RFC 6531 3.3; addr_utf8_valid() checks the
 * encoding).  Returns the end of the domain (the first octet that cannot
 * continue it: NUL when all of s is a domain), NULL when a label is empty,
 * starts or ends with a hyphen, or is too long.
 */
static const char *
check_domain(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s, *label;

	for (;;) {
		label = p;
		while (*p >= 0x80 || isalnum_c(*p) || *p == '-' || *p == '_')
			p++;
		if (p == label || label[0] == '-' || p[-1] == '-' ||
		    p - label > 63)
			return NULL;
		if (*p != '.')
			return (const char *)p;
		p++;
	}
}

/* Snum "." Snum "." Snum "." Snum, each 1-3 digits and at most 255. */
static int
is_ipv4(const char *s, size_t n)
{
	size_t		i = 0, digits;
	unsigned	v;
	int		part;

	for (part = 0; part < 4; part++) {
		if (part > 0 && (i >= n || s[i++] != '.'))
			return 0;
		for (v = 0, digits = 0; i < n && s[i] >= '0' && s[i] <= '9';
		    i++, digits++)
			v = v * 10 + (unsigned)(s[i] - '0');
		if (digits == 0 || digits > 3 || v > 255)
			return 0;
	}
	return i == n;
}

/*
 * RFC 5321 4.1.3 address-literal: "[" IPv4 "]" or "[IPv6:" IPv6-addr "]";
 * a General-address-literal needs a tag registered with IANA, and none is
 * but IPv6, so it is refused.  inet_pton() takes exactly the IPv6-addr
 * grammar (full, compressed, and with an IPv4 tail).  Returns the octet
 * after "]" when that ends the string, else NULL.
 */
static const char *
check_literal(const char *s)
{
	const char	*end = strchr(s, ']');
	char		 tmp[INET6_ADDRSTRLEN + 1];
	struct in6_addr	 a6;
	size_t		 n;

	if (end == NULL || end[1] != '\0')
		return NULL;
	s++;
	n = (size_t)(end - s);
	if (is_ipv4(s, n))
		return end + 1;
	if (n <= 5 || strncasecmp(s, "IPv6:", 5) != 0 ||
	    n - 5 >= sizeof(tmp))
		return NULL;
	memcpy(tmp, s + 5, n - 5);
	tmp[n - 5] = '\0';
	if (inet_pton(AF_INET6, tmp, &a6) != 1)
		return NULL;
	return end + 1;
}

/*
 * The local part of an envelope address: a quoted string of printable
 * octets and quoted pairs, or a dot-string of atext.  Returns the octet
 * after it, or NULL when it is not one; then bad_local() gives the offset
 * of the offending octet.
 */
static size_t
bad_local(const char *spec)
{
	const char	*p = spec;
	int		 c, want;

	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			c = (unsigned char)*p;
			if (c == '\\') {
				c = (unsigned char)*++p;
				if (c == '\0')
					return (size_t)(p - spec);
			}
			if (c == '\0' || is_ctl(c) || c == '\t')
				return (size_t)(p - spec);
		}
		return (size_t)-1;	/* fine */
	}
	for (want = 1; *p != '\0' && *p != '@'; p++) {
		c = (unsigned char)*p;
		if (c == '.' && !want)
			want = 1;
		else if (is_atext(c))
			want = 0;
		else
			return (size_t)(p - spec);
	}
	return want ? (size_t)(p - spec) : (size_t)-1;
}

static const char *
check_local(const char *spec)
{
	const char	*p;

	if (bad_local(spec) != (size_t)-1)
		return NULL;
	if (*spec != '"')
		return spec + strcspn(spec, "@");
	for (p = spec + 1; *p != '"'; p++)
		if (*p == '\\')
			p++;
	return p + 1;
}

int
addr_domain_valid(const char *domain)
{
	const char	*end;

	return domain != NULL && strlen(domain) <= ADDR_DOMAIN_MAX &&
	    (end = check_domain(domain)) != NULL && *end == '\0';
}

int
addr_check_envelope(const char *spec, struct err *e)
{
	const char	*p, *dom, *end;
	size_t		 n;

	if (spec == NULL)
		return err_set(e, ERR_DATA, "address: missing");
	n = strlen(spec);
	if (n == 0)
		return 0;
	if (n > ADDR_PATH_MAX - 2)
		return err_set(e, ERR_DATA, "address: too long (%zu octets, "
		    "at most %d)", n, ADDR_PATH_MAX - 2);
	if (spec[0] == '-')
		return err_set(e, ERR_DATA, "address: begins with '-'");
	/* RFC 6531: a non-ASCII address is UTF-8, nothing else. */
	if (!addr_utf8_valid(spec))
		return err_set(e, ERR_DATA, "address: not valid UTF-8");
	if ((p = check_local(spec)) == NULL || (*p != '\0' && *p != '@'))
		return env_fail(spec, p != NULL ? p : spec + bad_local(spec), e);
	if ((size_t)(p - spec) > ADDR_LOCAL_MAX)
		return err_set(e, ERR_DATA, "address: local part too long "
		    "(%zu octets, at most %d)", (size_t)(p - spec),
		    ADDR_LOCAL_MAX);
	if (*p == '\0')
		return 0;
	if (*p != '@')
		return env_fail(spec, p, e);
	dom = ++p;
	if (*p == '[') {
		if ((p = check_literal(p)) == NULL)
			return err_set(e, ERR_DATA, "address: %s is not an "
			    "IPv4 or IPv6 address literal (RFC 5321 4.1.3)",
			    dom);
	} else {
		if ((end = check_domain(p)) == NULL)
			return err_set(e, ERR_DATA, "address: domain %.255s "
			    "is not SMTP syntax: labels of letters, digits "
			    "and inner hyphens, each 1 to 63 octets (RFC 5321 "
			    "4.1.2)", dom);
		if (*end != '\0')
			return env_fail(spec, end, e);
		p = end;
	}
	if ((size_t)(p - dom) > ADDR_DOMAIN_MAX)
		return err_set(e, ERR_DATA, "address: domain too long (%zu "
		    "octets, at most %d)", (size_t)(p - dom), ADDR_DOMAIN_MAX);
	return 0;
}

int
addr_is_utf8(const char *spec)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)spec; *p != '\0'; p++)
		if (*p >= 0x80)
			return 1;
	return 0;
}
