/* Runs a function on a thread of its own with a large stack. Civetweb's workers get small
 * stacks (its Debian build fixes them at 100 KiB); the document renderers (libharu, libxml2)
 * need more, above all under AddressSanitizer. */
#ifndef COOPD_BIGSTACK_H
#define COOPD_BIGSTACK_H

#include <jansson.h>
#include <stddef.h>

#define BIGSTACK_BYTES (8u << 20)

/* Calls fn(arg) on a new thread with a stack of `bytes` and waits for it. 0, or -1 when no
 * thread could be started (fn has not run). */
int run_with_stack(void (*fn)(void *arg), void *arg, size_t bytes);

/* A document renderer's signature (ubl_render, sepa_render): the rendered text and its length,
 * or NULL with a message in err. */
typedef char *(*render_fn)(const json_t *doc, size_t *len, char *err, size_t errlen);

/* Calls render(doc, len, err, errlen) on a thread with a stack of BIGSTACK_BYTES (libxml2 needs
 * more than a civetweb worker has) and returns what it returned; NULL with "no thread for
 * rendering" in err when no thread could be started. */
char *render_with_stack(render_fn render, const json_t *doc, size_t *len, char *err, size_t errlen);

#endif
