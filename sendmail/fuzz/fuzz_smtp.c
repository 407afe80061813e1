/*
 * fuzz_smtp.c -- libFuzzer target for what a hostile server can send: reply
 * lines and EHLO keyword lists.  Checks that every accepted reply has a
 * code in 200..599 and stays within the documented bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_reply	 r;
	struct smtp_info	 info;
	struct err		 e;
	const char		*p = (const char *)data, *nl;
	size_t			 n, left = size;
	int			 rc = 0;

	smtp_reply_init(&r);
	memset(&info, 0, sizeof(info));
	while (left > 0) {
		nl = memchr(p, '\n', left);
		n = nl ? (size_t)(nl - p) : left;
		rc = smtp_reply_feed(&r, p, n, &e);
		if (rc == -1)
			break;
		if (r.code < 200 || r.code > 599 ||
		    r.nlines > SMTP_REPLY_LINES ||
		    r.text.len > (size_t)r.nlines * SMTP_REPLY_LINE_MAX)
			abort();
		if (rc == 1) {
			smtp_ehlo_parse(&info, &r);
			if (strlen(info.ext_auth) >= sizeof(info.ext_auth) ||
			    info.ext_size < 0)
				abort();
			smtp_reply_reset(&r);
		}
		if (nl == NULL)
			break;
		left -= n + 1;
		p = nl + 1;
	}
	smtp_reply_free(&r);
	return 0;
}
