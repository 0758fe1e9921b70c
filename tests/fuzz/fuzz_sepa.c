/* Fuzz target: the SEPA credit transfer renderer (sepa_render) on any JSON document, and the
 * SEPA text functions (sepa_text, sepa_text_ok) on the raw input bytes.
 *
 * The input is parsed as the service parses stored documents (JSON_REJECT_DUPLICATES); text
 * that is not JSON only goes through the text functions. Seeds: corpus/sepa/ (the documents of
 * tests/unit/sepa_samples/ and nasty variants, raw text with every kind of bad UTF-8);
 * dictionary sepa.dict.
 *
 * Invariants (abort on violation): no crash, leak or undefined behaviour.
 * - sepa_text: the result has the returned length, at most maxchars and outsize - 1 characters,
 *   is empty or in the SEPA set (sepa_text_ok) with no leading, trailing or double space, and
 *   transliterating it again changes nothing; a text already in that form comes back as it is.
 * - sepa_render: a NULL result comes with a non-empty, NUL-terminated err; a result is
 *   NUL-terminated at *len, well-formed XML whose root is the pain.001.001.03 Document, every Nm
 *   at most 70 and every Ustrd at most 140 characters of the SEPA set, and it is valid against
 *   the schema when that is found (SEPA_XSD, or ../shared/validators/iso20022/pain.001.001.03.xsd
 *   from the repository root, where run.sh starts; without it that check is skipped, said once
 *   on stderr). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "lib/sepa.h"
#include "fuzz.h"

#define DEFAULT_XSD "../shared/validators/iso20022/pain.001.001.03.xsd"

static xmlSchemaPtr schema;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	const char *path = getenv("SEPA_XSD");
	if (!path || !*path)
		path = DEFAULT_XSD;
	if (access(path, R_OK) == 0) {
		xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(path);
		schema = pc ? xmlSchemaParse(pc) : NULL;
		xmlSchemaFreeParserCtxt(pc);
	}
	if (!schema)
		fprintf(stderr, "fuzz_sepa: schema validation SKIPPED (%s not readable)\n", path);
	return 0;
}

/* No leading, trailing or double space. */
static int spaces_tidy(const char *s, size_t n)
{
	return n == 0 || (s[0] != ' ' && s[n - 1] != ' ' && !strstr(s, "  "));
}

static void check_text(const char *in, size_t maxchars, size_t outsize)
{
	char out[300], again[300];
	FUZZ_ASSERT(outsize <= sizeof out);
	memset(out, 0x5a, sizeof out);
	size_t n = sepa_text(in, out, outsize, maxchars);
	FUZZ_ASSERT(outsize == 0 || (n < outsize && out[n] == '\0' && strlen(out) == n));
	if (outsize == 0) {
		FUZZ_ASSERT(n == 0 && (unsigned char)out[0] == 0x5a);
		return;
	}
	FUZZ_ASSERT(n <= maxchars);
	FUZZ_ASSERT(n == 0 || sepa_text_ok(out));
	FUZZ_ASSERT(spaces_tidy(out, n));
	size_t m = sepa_text(out, again, sizeof again, maxchars);
	FUZZ_ASSERT(m == n && memcmp(out, again, n + 1) == 0);
}

/* The text functions on the raw bytes (up to the first NUL). */
static void fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	size_t len = strlen(s);
	check_text(s, SEPA_NAME_MAX, SEPA_NAME_MAX + 1);
	check_text(s, SEPA_USTRD_MAX, 300);
	check_text(s, size % 300, 300);
	check_text(s, 300, 1 + size % 16);
	check_text(s, 70, 0);
	/* text already in the set, tidy and short enough comes back unchanged */
	if (sepa_text_ok(s) && spaces_tidy(s, len) && len <= 250) {
		char out[300];
		FUZZ_ASSERT(sepa_text(s, out, sizeof out, 250) == len && strcmp(out, s) == 0);
	}
	/* sepa_text_ok is exactly "non-empty, every byte in the set" */
	int ok = len > 0;
	for (size_t i = 0; i < len && ok; i++) {
		unsigned char c = (unsigned char)s[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     strchr("/-?:().,'+ ", c) != NULL;
	}
	FUZZ_ASSERT(sepa_text_ok(s) == ok);
	free(s);
}

/* Every Nm and Ustrd under node within its length and in the SEPA set. */
static void check_texts(xmlNodePtr node)
{
	for (xmlNodePtr n = node; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		int nm = xmlStrEqual(n->name, BAD_CAST "Nm"),
		    ustrd = xmlStrEqual(n->name, BAD_CAST "Ustrd");
		if (nm || ustrd) {
			xmlChar *t = xmlNodeGetContent(n);
			FUZZ_ASSERT(t != NULL && sepa_text_ok((const char *)t));
			FUZZ_ASSERT(strlen((const char *)t) <=
			            (size_t)(nm ? SEPA_NAME_MAX : SEPA_USTRD_MAX));
			if (nm)
				FUZZ_ASSERT(spaces_tidy((const char *)t, strlen((const char *)t)));
			xmlFree(t);
		}
		check_texts(n->children);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_text(data, size);

	json_error_t je;
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return 0;
	char err[256];
	memset(err, 0x5a, sizeof err);
	size_t len = 0;
	char *xml = sepa_render(doc, &len, err, sizeof err);
	if (xml) {
		FUZZ_ASSERT(len > 0 && xml[len] == '\0' && strlen(xml) == len);
		xmlDocPtr x = xmlReadMemory(xml, (int)len, "sepa.xml", NULL, XML_PARSE_NONET);
		FUZZ_ASSERT(x != NULL);
		xmlNodePtr root = xmlDocGetRootElement(x);
		FUZZ_ASSERT(root && xmlStrEqual(root->name, BAD_CAST "Document") && root->ns &&
		            xmlStrEqual(root->ns->href, BAD_CAST SEPA_NS));
		check_texts(root);
		if (schema) {
			xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
			FUZZ_ASSERT(vc != NULL);
			FUZZ_ASSERT(xmlSchemaValidateDoc(vc, x) == 0);
			xmlSchemaFreeValidCtxt(vc);
		}
		xmlFreeDoc(x);
		free(xml);
	} else {
		FUZZ_ASSERT(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
	}
	json_decref(doc);
	return 0;
}
