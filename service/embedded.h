/* Files embedded into the binary at build time (build/gen/embedded.S, made by the Makefile):
 * the migrations of sql/ in order, the function files of sql/functions/ in name order, the
 * OpenAPI document as YAML and as JSON, and the files of the API reference page (docs/web/). */
#ifndef COOPD_EMBEDDED_H
#define COOPD_EMBEDDED_H
#include <stddef.h>

struct embedded_file {
	const char *name;  /* file name, NUL-terminated */
	const char *start; /* contents (followed by a NUL byte) */
	const char *end;   /* one past the last byte of the contents */
};

extern const struct embedded_file embedded_migrations[]; /* ends with {NULL, NULL, NULL} */
extern const struct embedded_file embedded_functions[];  /* ends with {NULL, NULL, NULL} */
extern const struct embedded_file embedded_docs[];       /* ends with {NULL, NULL, NULL} */
extern const struct embedded_file embedded_openapi_yaml;
extern const struct embedded_file embedded_openapi_json;

#endif
