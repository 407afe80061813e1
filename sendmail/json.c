/*
 * json.c -- a JSON string writer (json.h).
 *
 * The input is untrusted (queue files, smarthost replies), so nothing is
 * assumed about it: the UTF-8 check follows the table of well-formed
 * sequences in the Unicode Standard (chapter 3, table 3-7), which rules
 * out overlong forms and surrogates by the range of the second octet.
 */
#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "json.h"

size_t
json_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		len, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

int
json_put_string(struct buf *b, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			 esc[8];
	size_t			 i = 0, n, run;

	if (buf_addc(b, '"') == -1)
		return -1;
	while (i < len) {
		/* A run of octets that need no escape goes in one add. */
		for (run = i; run < len && p[run] >= 0x20 && p[run] < 0x7f &&
		    p[run] != '"' && p[run] != '\\'; run++)
			;
		if (run > i && buf_add(b, p + i, run - i) == -1)
			return -1;
		if ((i = run) >= len)
			break;
		if (p[i] == '"' || p[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)p[i];
			n = 2;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
		} else if ((n = json_utf8_len(p + i, len - i)) > 0) {
			if (buf_add(b, p + i, n) == -1)
				return -1;
			i += n;
			continue;
		} else {
			/* One replacement per octet of the bad sequence. */
			n = (size_t)snprintf(esc, sizeof(esc), "\\ufffd");
		}
		if (buf_add(b, esc, n) == -1)
			return -1;
		i++;
	}
	return buf_addc(b, '"');
}
