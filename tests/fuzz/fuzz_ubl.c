/* Fuzz target: the UBL 2.1 e-invoice renderer (ubl_render) on any JSON document.
 *
 * The input is parsed as the service parses stored documents (JSON_REJECT_DUPLICATES); text
 * that is not JSON is skipped. Seeds: the documents of tests/unit/ubl_samples/.
 *
 * Invariants (abort on violation): no crash, leak or undefined behaviour; a NULL result comes
 * with a non-empty, NUL-terminated err; a result is NUL-terminated at *len and is well-formed
 * XML whose root is an Invoice or a CreditNote. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "lib/ubl.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return 0;
	char err[256];
	memset(err, 0x5a, sizeof err);
	size_t len = 0;
	char *xml = ubl_render(doc, &len, err, sizeof err);
	if (xml) {
		FUZZ_ASSERT(len > 0 && xml[len] == '\0' && strlen(xml) == len);
		xmlDocPtr x = xmlReadMemory(xml, (int)len, "ubl.xml", NULL, XML_PARSE_NONET);
		FUZZ_ASSERT(x != NULL);
		xmlNodePtr root = xmlDocGetRootElement(x);
		FUZZ_ASSERT(root && (xmlStrEqual(root->name, BAD_CAST "Invoice") ||
		                     xmlStrEqual(root->name, BAD_CAST "CreditNote")));
		xmlFreeDoc(x);
		free(xml);
	} else {
		FUZZ_ASSERT(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
	}
	json_decref(doc);
	return 0;
}
