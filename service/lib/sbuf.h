/* A growable byte buffer that always keeps a terminating NUL. The owner frees it with sbuf_free. */
#ifndef COOPD_SBUF_H
#define COOPD_SBUF_H
#include <stdarg.h>
#include <stddef.h>

struct sbuf {
	char *data; /* NULL until the first append */
	size_t len;
	size_t cap;
	int oom; /* set when an allocation failed; later appends are ignored */
};

void sbuf_append(struct sbuf *b, const char *s, size_t n);
void sbuf_puts(struct sbuf *b, const char *s);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as the body of a JSON string (without quotes), escaping what JSON requires. */
void sbuf_json_escape(struct sbuf *b, const char *s);
void sbuf_reset(struct sbuf *b); /* keeps the allocation */
void sbuf_free(struct sbuf *b);
#endif
