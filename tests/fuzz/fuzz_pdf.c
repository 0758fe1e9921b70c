/* Fuzz target: the PDF invoice renderer (pdf_render) on any JSON document.
 *
 * The input is parsed as the service parses stored documents (JSON_REJECT_DUPLICATES); text
 * that is not JSON is skipped. Seeds: the documents of tests/unit/pdf_samples/.
 *
 * Invariants (abort on violation): no crash, leak or undefined behaviour; a NULL result comes
 * with a non-empty, NUL-terminated err and *len = 0; a result is a PDF (%PDF- ... %%EOF). */
#include <stdint.h>

#include "lib/pdf.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_pdf_renderer(pdf_render, data, size);
	return 0;
}
