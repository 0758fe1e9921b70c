#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int sbuf_reserve(struct sbuf *b, size_t extra)
{
	if (b->oom)
		return -1;
	if (b->len + extra + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

void sbuf_grow(struct sbuf *b, size_t extra)
{
	(void)sbuf_reserve(b, extra);
}

void sbuf_append(struct sbuf *b, const char *s, size_t n)
{
	if (sbuf_reserve(b, n) != 0)
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void sbuf_puts(struct sbuf *b, const char *s)
{
	sbuf_append(b, s, strlen(s));
}

char *fmt_u(char *out, unsigned long long v)
{
	char tmp[20];
	size_t i = sizeof tmp;
	do
		tmp[--i] = (char)('0' + v % 10);
	while (v /= 10);
	memcpy(out, tmp + i, sizeof tmp - i);
	out[sizeof tmp - i] = '\0';
	return out;
}

void sbuf_putu(struct sbuf *b, unsigned long long v)
{
	char tmp[21];
	sbuf_puts(b, fmt_u(tmp, v));
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char tmp[256];
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		sbuf_append(b, tmp, (size_t)n);
		return;
	}
	if (sbuf_reserve(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sbuf_json_escape(struct sbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sbuf_append(b, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"':
			sbuf_append(b, "\\\"", 2);
			break;
		case '\\':
			sbuf_append(b, "\\\\", 2);
			break;
		case '\n':
			sbuf_append(b, "\\n", 2);
			break;
		case '\r':
			sbuf_append(b, "\\r", 2);
			break;
		case '\t':
			sbuf_append(b, "\\t", 2);
			break;
		default: {
			char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			sbuf_append(b, u, 6);
		}
		}
	}
	sbuf_append(b, run, (size_t)(s - run));
}

void sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	b->oom = 0;
	if (b->data)
		b->data[0] = '\0';
}

void sbuf_free(struct sbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}
