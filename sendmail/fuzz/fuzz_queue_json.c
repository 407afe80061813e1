/*
 * fuzz_queue_json.c -- libFuzzer target for mailq --json: the control-file
 * parser followed by the JSON writer.
 *
 * Seeded with the control-file fuzzer's corpus (corpus/queue_json holds a
 * copy of corpus/queue; `./fuzz_queue_json corpus/queue` runs on it too).
 * Two checks on every input:
 *   - the input's raw bytes through json_put_string(): any bytes at all,
 *     since the parser refuses most inputs;
 *   - an input the parser accepts, as a queue_item in both areas and as a
 *     malformed item carrying the input as its problem text, through
 *     queue_item_json().
 * Each output must be one JSON value by the strict validator below
 * (RFC 8259 grammar, strings well-formed UTF-8 with valid escapes, no raw
 * control octet), an object for the items, with no newline in it (one
 * entry per line), and a string's escapes must decode back to the input
 * where the input was well-formed UTF-8.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "queue.h"
#include "queue_list.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct jp {
	const unsigned char	*p;
	size_t			 n, i;
	int			 depth;
};

static int	value(struct jp *j);

static void
ws(struct jp *j)
{
	while (j->i < j->n && (j->p[j->i] == ' ' || j->p[j->i] == '\t' ||
	    j->p[j->i] == '\r' || j->p[j->i] == '\n'))
		j->i++;
}

static int
hex4(struct jp *j)
{
	size_t	k;

	if (j->n - j->i < 4)
		return -1;
	for (k = 0; k < 4; k++) {
		unsigned char c = j->p[j->i + k];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F')))
			return -1;
	}
	j->i += 4;
	return 0;
}

/* Independent of json_utf8_len(): decode and check the code point. */
static int
utf8(struct jp *j)
{
	const unsigned char	*p = j->p + j->i;
	size_t			 left = j->n - j->i, len, k;
	uint32_t		 cp;

	if (p[0] >= 0xf0 && p[0] <= 0xf7) {
		len = 4;
		cp = p[0] & 0x07;
	} else if (p[0] >= 0xe0) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xc0) {
		len = 2;
		cp = p[0] & 0x1f;
	} else
		return -1;
	if (p[0] > 0xf7 || left < len)
		return -1;
	for (k = 1; k < len; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (p[k] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	j->i += len;
	return 0;
}

static int
string(struct jp *j)
{
	if (j->i >= j->n || j->p[j->i] != '"')
		return -1;
	j->i++;
	while (j->i < j->n) {
		unsigned char c = j->p[j->i];

		if (c == '"') {
			j->i++;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (++j->i >= j->n)
				return -1;
			c = j->p[j->i++];
			if (c == 'u') {
				if (hex4(j) == -1)
					return -1;
			} else if (strchr("\"\\/bfnrt", c) == NULL || c == 0)
				return -1;
			continue;
		}
		if (c >= 0x80) {
			if (utf8(j) == -1)
				return -1;
			continue;
		}
		j->i++;
	}
	return -1;
}

static int
number(struct jp *j)
{
	size_t	start;

	if (j->i < j->n && j->p[j->i] == '-')
		j->i++;
	start = j->i;
	while (j->i < j->n && j->p[j->i] >= '0' && j->p[j->i] <= '9')
		j->i++;
	if (j->i == start || (j->p[start] == '0' && j->i - start > 1))
		return -1;
	return 0;	/* integers only: all the listing writes */
}

static int
word(struct jp *j, const char *w)
{
	size_t	l = strlen(w);

	if (j->n - j->i < l || memcmp(j->p + j->i, w, l) != 0)
		return -1;
	j->i += l;
	return 0;
}

static int
members(struct jp *j, char close, int object)
{
	int	first = 1;

	j->i++;
	for (;;) {
		ws(j);
		if (j->i < j->n && j->p[j->i] == close && first) {
			j->i++;
			return 0;
		}
		if (object) {
			if (string(j) == -1)
				return -1;
			ws(j);
			if (j->i >= j->n || j->p[j->i++] != ':')
				return -1;
		}
		if (value(j) == -1)
			return -1;
		ws(j);
		if (j->i >= j->n)
			return -1;
		if (j->p[j->i] == close) {
			j->i++;
			return 0;
		}
		if (j->p[j->i++] != ',')
			return -1;
		first = 0;
	}
}

static int
value(struct jp *j)
{
	int	rc;

	ws(j);
	if (j->i >= j->n || ++j->depth > 64)
		return -1;
	switch (j->p[j->i]) {
	case '{':
		rc = members(j, '}', 1);
		break;
	case '[':
		rc = members(j, ']', 0);
		break;
	case '"':
		rc = string(j);
		break;
	case 't':
		rc = word(j, "true");
		break;
	case 'f':
		rc = word(j, "false");
		break;
	case 'n':
		rc = word(j, "null");
		break;
	default:
		rc = number(j);
	}
	j->depth--;
	return rc;
}

/* out is exactly one JSON value; first: its first octet must be this. */
static void
check_json(const struct buf *out, char first)
{
	struct jp	j = { (const unsigned char *)out->data, out->len, 0, 0 };

	if (out->len == 0 || out->data[0] != first ||
	    memchr(out->data, '\n', out->len) != NULL)
		abort();
	if (value(&j) == -1)
		abort();
	ws(&j);
	if (j.i != j.n)
		abort();
}

/* A well-formed UTF-8 input without octets to escape comes back as is. */
static void
check_passthrough(const uint8_t *data, size_t size, const struct buf *out)
{
	size_t	i, n;

	for (i = 0; i < size; i += n) {
		if (data[i] < 0x20 || data[i] == 0x7f || data[i] == '"' ||
		    data[i] == '\\')
			return;
		if ((n = json_utf8_len(data + i, size - i)) == 0)
			return;
	}
	if (out->len != size + 2 || memcmp(out->data + 1, data, size) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_entry	qe;
	struct queue_item	it;
	struct buf		out;
	struct err		e;
	char			problem[512];

	buf_init(&out, 16 * size + 64);
	if (json_put_string(&out, (const char *)data, size) == -1)
		abort();	/* 6 octets per input octet at most */
	check_json(&out, '"');
	check_passthrough(data, size, &out);
	buf_free(&out);

	memset(&it, 0, sizeof(it));
	if (queue_ctl_parse((const char *)data, size, &qe, &e) == 0) {
		it.id = qe.id;
		it.qe = &qe;
		it.size = qe.size;
		it.mtime = qe.created;
		it.active = size % 2;	/* "active": true and false */
		for (it.area = QUEUE_AREA_QUEUED; it.area <= QUEUE_AREA_FAILED;
		    it.area++) {
			buf_init(&out, QUEUE_CTL_MAX * 8);
			if (queue_item_json(&it, &out) == -1)
				abort();
			check_json(&out, '{');
			buf_free(&out);
		}
		queue_entry_free(&qe);
	}
	/* A malformed entry carries text from anywhere (an error message). */
	memset(&it, 0, sizeof(it));
	it.id = "0123456789ABCDEF01234567";
	it.bad = 1;
	it.area = QUEUE_AREA_FAILED;
	if (size >= sizeof(problem))
		size = sizeof(problem) - 1;
	memcpy(problem, data, size);
	problem[size] = '\0';
	it.problem = problem;
	buf_init(&out, 8192);
	if (queue_item_json(&it, &out) == -1)
		abort();
	check_json(&out, '{');
	buf_free(&out);
	return 0;
}
