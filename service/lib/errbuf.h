/* The message a lib/ function leaves in its caller's buffer on failure (the `char *err, size_t
 * errlen` of pdf_render, ubl_render, invoice_doc_read, xml_begin …): short, lower-case, naming
 * what failed. The first message written stays: a later failure (often a consequence of the
 * first) does not overwrite it. No allocation; the buffer is the caller's. */
#ifndef COOPD_ERRBUF_H
#define COOPD_ERRBUF_H
#include <stdarg.h>
#include <stddef.h>

struct errbuf {
	char *s;  /* the caller's buffer, or NULL for none */
	size_t n; /* its size in bytes */
	int set;  /* a message was written (also when there is no buffer) */
};

/* An errbuf over s (n bytes), emptied: s is "" when n > 0. */
struct errbuf errbuf_of(char *s, size_t n);

/* Writes the message (printf-style, cut to fit, always NUL-terminated) unless one was written
 * already. Returns -1, for `return errbuf_set(e, "…: missing")`. */
int errbuf_set(struct errbuf *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int errbuf_vset(struct errbuf *e, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
