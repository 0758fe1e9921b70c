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

/* Makes room for extra more bytes at once (an allocation now rather than several later). */
void sbuf_grow(struct sbuf *b, size_t extra);
void sbuf_append(struct sbuf *b, const char *s, size_t n);
void sbuf_puts(struct sbuf *b, const char *s);
/* Appends v in decimal: what the hot paths use instead of sbuf_printf("%llu"). */
void sbuf_putu(struct sbuf *b, unsigned long long v);
/* v in decimal into out (at least 21 bytes); returns out. */
char *fmt_u(char *out, unsigned long long v);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as the body of a JSON string (without quotes), escaping what JSON requires. */
void sbuf_json_escape(struct sbuf *b, const char *s);
void sbuf_reset(struct sbuf *b); /* keeps the allocation */
void sbuf_free(struct sbuf *b);
#endif
