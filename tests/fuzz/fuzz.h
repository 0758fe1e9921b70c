/* Shared by the fuzz targets: an assertion that holds with NDEBUG too and that libFuzzer reports
 * as a crash (abort → deadly signal, with the input saved as crash-<sha1>). */
#ifndef COOPD_FUZZ_H
#define COOPD_FUZZ_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ASSERT(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__,     \
			        #cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A PDF renderer's contract on any input that parses as JSON (as the service parses stored
 * documents, JSON_REJECT_DUPLICATES; other text is skipped): no crash, leak or undefined
 * behaviour; a result is a PDF (%PDF- ... %%EOF); a NULL result comes with a non-empty,
 * NUL-terminated err and *len = 0. */
static inline void fuzz_pdf_renderer(unsigned char *(*render)(const json_t *doc, size_t *len,
                                                              char *err, size_t errlen),
                                     const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return;
	char err[256];
	memset(err, 0x5a, sizeof err);
	size_t len = 12345;
	unsigned char *pdf = render(doc, &len, err, sizeof err);
	if (pdf) {
		FUZZ_ASSERT(len > 10 && memcmp(pdf, "%PDF-", 5) == 0);
		FUZZ_ASSERT(memmem(pdf + len - 10, 10, "%%EOF", 5) != NULL);
		free(pdf);
	} else {
		FUZZ_ASSERT(len == 0);
		FUZZ_ASSERT(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
	}
	json_decref(doc);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
