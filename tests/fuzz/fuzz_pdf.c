/* Fuzz target: the PDF invoice renderer (pdf_render) on any JSON document.
 *
 * The input is parsed as the service parses stored documents (JSON_REJECT_DUPLICATES); text
 * that is not JSON is skipped. Seeds: the documents of tests/unit/pdf_samples/.
 *
 * Invariants (abort on violation): no crash, leak or undefined behaviour; a NULL result comes
 * with a non-empty, NUL-terminated err and *len = 0; a result is a PDF (%PDF- ... %%EOF). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pdf.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return 0;
	char err[256];
	memset(err, 0x5a, sizeof err);
	size_t len = 12345;
	unsigned char *pdf = pdf_render(doc, &len, err, sizeof err);
	if (pdf) {
		FUZZ_ASSERT(len > 10 && memcmp(pdf, "%PDF-", 5) == 0);
		FUZZ_ASSERT(memmem(pdf + len - 10, 10, "%%EOF", 5) != NULL);
		free(pdf);
	} else {
		FUZZ_ASSERT(len == 0);
		FUZZ_ASSERT(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
	}
	json_decref(doc);
	return 0;
}
