/* Fuzz target: the header fields of lib/httphdr.h.
 *
 * Input: any bytes, cut at the first NUL, used as an Accept field, an If-None-Match field and a
 * download's name.
 *
 * Invariants (abort on violation):
 * - accept_choose: an index from -1 to the number of offers minus one; excel only with the
 *   text/csv offer; a field over ACCEPT_MAX_LEN bytes chooses offer 0; the same field with one
 *   offer is refused (-1) or chooses it; a field that chose an offer still chooses one when a
 *   full wildcard with a small weight is added in front;
 * - etag_none_match: 0 or 1; "*" matches; a field made of the text as one quoted tag matches
 *   that tag, strong or weak, whenever the text is a valid opaque tag;
 * - content_disposition: no control character, the fallback name quoted once with nothing but
 *   letters, digits, '.', '-' and '_' in it, and filename* decoding back to the name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/httphdr.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static const char *const OFFERS[] = {"application/json", "text/csv", "application/pdf"};

static void check_accept(const char *s, size_t len)
{
	struct accept_choice c = accept_choose(s, OFFERS, 3);
	FUZZ_ASSERT(c.index >= -1 && c.index < 3);
	FUZZ_ASSERT(!c.excel || c.index == 1);
	if (len > ACCEPT_MAX_LEN)
		FUZZ_ASSERT(c.index == 0);
	struct accept_choice one = accept_choose(s, OFFERS + 1, 1);
	FUZZ_ASSERT(one.index == -1 || one.index == 0);
	if (c.index >= 0 && len + 32 <= ACCEPT_MAX_LEN) {
		char *w = malloc(len + 32);
		FUZZ_ASSERT(w);
		snprintf(w, len + 32, "*/*;q=0.001, %s", s);
		struct accept_choice d = accept_choose(w, OFFERS, 3);
		/* one more entry may pass ACCEPT_MAX_ENTRIES: that also chooses offer 0 */
		FUZZ_ASSERT(d.index >= 0);
		free(w);
	}
}

static int opaque_ok(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (!(c == 0x21 || (c >= 0x23 && c != 0x7f)))
			return 0;
	}
	return 1;
}

static void check_etag(const char *s, size_t len)
{
	int m = etag_none_match(s, "\"1\"");
	FUZZ_ASSERT(m == 0 || m == 1);
	FUZZ_ASSERT(etag_none_match("*", s) == 1);
	if (!opaque_ok(s))
		return;
	char *tag = malloc(len + 8), *field = malloc(len + 16);
	FUZZ_ASSERT(tag && field);
	snprintf(tag, len + 8, "\"%s\"", s);
	snprintf(field, len + 16, " W/\"%s\" ,", s);
	FUZZ_ASSERT(etag_none_match(tag, tag) == 1);
	FUZZ_ASSERT(etag_none_match(field, tag) == 1);
	free(tag);
	free(field);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void check_disposition(const char *s, size_t len)
{
	struct sbuf b = {0};
	content_disposition(&b, s);
	FUZZ_ASSERT(!b.oom);
	for (size_t i = 0; i < b.len; i++)
		FUZZ_ASSERT((unsigned char)b.data[i] >= 0x20 && (unsigned char)b.data[i] < 0x7f);
	const char *pre = "attachment; filename=\"";
	FUZZ_ASSERT(strncmp(b.data, pre, strlen(pre)) == 0);
	const char *p = b.data + strlen(pre);
	while (*p != '"') {
		FUZZ_ASSERT(*p && (strchr(".-_", *p) || (*p >= '0' && *p <= '9') ||
		                   (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')));
		p++;
	}
	p++;
	if (*p) {
		const char *ext = "; filename*=UTF-8''";
		FUZZ_ASSERT(strncmp(p, ext, strlen(ext)) == 0);
		p += strlen(ext);
		size_t n = 0;
		while (*p) {
			unsigned char c = (unsigned char)*p;
			if (c == '%') {
				int hi = hexval(p[1]), lo = hi >= 0 ? hexval(p[2]) : -1;
				FUZZ_ASSERT(hi >= 0 && lo >= 0);
				c = (unsigned char)(hi * 16 + lo);
				p += 3;
			} else {
				p++;
			}
			FUZZ_ASSERT(n < len && (unsigned char)s[n] == c);
			n++;
		}
		FUZZ_ASSERT(n == len);
	}
	sbuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	size_t len = strlen(s);
	check_accept(s, len);
	check_etag(s, len);
	check_disposition(s, len);
	free(s);
	return 0;
}
