/* Fuzz target: the XAF audit file writer's text and amounts (lib/xaf.h) on any bytes. The text
 * of an audit file comes from what people typed (names, descriptions, references); whatever it
 * is, the file must stay well-formed UTF-8 XML within the schema's lengths.
 *
 * Input: one option byte (the maximum length, 0 = none), then the text (up to the first NUL).
 * Seeds: corpus/xaf/ (names in several scripts, markup, controls, bad and overlong UTF-8).
 *
 * Invariants (abort on violation): no crash, leak or undefined behaviour, and
 * - xaf_text returns at most the maximum of characters, and writes valid UTF-8 without a control
 *   character (C0, DEL, C1), U+2028, U+2029, U+FFFE or U+FFFF, without '<' or '>', every '&'
 *   starting &amp; &lt; or &gt;; the characters it writes (an entity counted as one) are the
 *   number it returns;
 * - that text as the content of an element is well-formed XML (libxml2) whose content has that
 *   many characters;
 * - a text that needs no change (valid UTF-8, none of the characters above, no & < >) comes back
 *   as it is, cut to the maximum;
 * - xaf_cents of the first 8 bytes as an int64 is digits, '.', two digits, and reads back as the
 *   absolute value. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "lib/xaf.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	return 0;
}

static int forbidden(ucs4_t c)
{
	return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029 || c == 0xFFFE ||
	       c == 0xFFFF || c == '<' || c == '>';
}

/* Characters of the written text, an entity counted as one; -1 when it breaks a rule above. */
static long written_chars(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	long chars = 0;
	if (u8_check(p, n) != NULL)
		return -1;
	for (size_t i = 0; i < n; chars++) {
		if (p[i] == '&') {
			size_t k =
			    strncmp(s + i, "&amp;", 5) == 0                                    ? 5
			    : strncmp(s + i, "&lt;", 4) == 0 || strncmp(s + i, "&gt;", 4) == 0 ? 4
			                                                                       : 0;
			if (k == 0 || i + k > n)
				return -1;
			i += k;
			continue;
		}
		ucs4_t c;
		int len = u8_mbtouc(&c, p + i, n - i);
		if (len <= 0 || forbidden(c))
			return -1;
		i += (size_t)len;
	}
	return chars;
}

static void check_text(const char *in, size_t maxchars)
{
	struct sbuf b = {0};
	size_t n = xaf_text(&b, in, maxchars);
	const char *out = b.data ? b.data : "";
	FUZZ_ASSERT(!b.oom);
	FUZZ_ASSERT(maxchars == 0 || n <= maxchars);
	FUZZ_ASSERT(written_chars(out, b.len) == (long)n);

	/* as element content: well-formed, with n characters */
	struct sbuf doc = {0};
	sbuf_puts(&doc, "<a>");
	sbuf_append(&doc, out, b.len);
	sbuf_puts(&doc, "</a>");
	FUZZ_ASSERT(!doc.oom);
	xmlDocPtr x = xmlReadMemory(doc.data, (int)doc.len, "text.xml", "UTF-8",
	                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	FUZZ_ASSERT(x != NULL);
	xmlChar *content = xmlNodeGetContent(xmlDocGetRootElement(x));
	FUZZ_ASSERT(content != NULL);
	size_t clen = strlen((const char *)content);
	FUZZ_ASSERT(u8_mbsnlen((const uint8_t *)content, clen) == n);
	xmlFree(content);
	xmlFreeDoc(x);
	sbuf_free(&doc);

	/* a clean text comes back as it is (cut) */
	size_t len = strlen(in);
	long in_chars = written_chars(in, len);
	if (in_chars >= 0 && !strchr(in, '&')) {
		size_t want = maxchars && (size_t)in_chars > maxchars ? maxchars : (size_t)in_chars;
		FUZZ_ASSERT(n == want);
		FUZZ_ASSERT(b.len <= len && memcmp(out, in, b.len) == 0);
	}
	sbuf_free(&b);
}

static void check_cents(const uint8_t *data, size_t size)
{
	int64_t v = 0;
	if (size < 8)
		return;
	memcpy(&v, data, 8);
	char a[32];
	xaf_cents(a, v);
	char *dot = strchr(a, '.');
	FUZZ_ASSERT(dot && dot > a && strlen(dot) == 3);
	uint64_t m = 0;
	for (const char *p = a; *p; p++) {
		if (p == dot)
			continue;
		FUZZ_ASSERT(*p >= '0' && *p <= '9');
		m = m * 10 + (uint64_t)(*p - '0');
	}
	uint64_t want = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	FUZZ_ASSERT(m == want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t maxchars = data[0];
	char *s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	check_text(s, maxchars);
	check_text(s, 0);
	check_cents(data, size);
	free(s);
	return 0;
}
