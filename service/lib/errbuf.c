/* Failure messages into the caller's buffer (see errbuf.h). */
#include "errbuf.h"

#include <stdio.h>

struct errbuf errbuf_of(char *s, size_t n)
{
	if (s && n)
		s[0] = '\0';
	return (struct errbuf){s, n, 0};
}

int errbuf_vset(struct errbuf *e, const char *fmt, va_list ap)
{
	if (!e->set && e->s && e->n)
		vsnprintf(e->s, e->n, fmt, ap);
	e->set = 1;
	return -1;
}

int errbuf_set(struct errbuf *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	errbuf_vset(e, fmt, ap);
	va_end(ap);
	return -1;
}
