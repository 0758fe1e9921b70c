/* Runs a function on a thread of its own with a large stack. Civetweb's workers get small
 * stacks (its Debian build fixes them at 100 KiB); the document renderers (libharu, libxml2)
 * need more, above all under AddressSanitizer. */
#ifndef COOPD_BIGSTACK_H
#define COOPD_BIGSTACK_H

#include <stddef.h>

#define BIGSTACK_BYTES (8u << 20)

/* Calls fn(arg) on a new thread with a stack of `bytes` and waits for it. 0, or -1 when no
 * thread could be started (fn has not run). */
int run_with_stack(void (*fn)(void *arg), void *arg, size_t bytes);

#endif
