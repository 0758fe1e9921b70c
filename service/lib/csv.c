#include "csv.h"

#include <string.h>

void csv_field(struct sbuf *b, const char *value, int first)
{
	if (!first)
		sbuf_append(b, ",", 1);
	if (!value)
		return;
	if (!value[strcspn(value, ",\"\r\n")]) {
		sbuf_puts(b, value);
		return;
	}
	sbuf_append(b, "\"", 1);
	for (const char *p = value; *p; p++) {
		if (*p == '"')
			sbuf_append(b, "\"", 1);
		sbuf_append(b, p, 1);
	}
	sbuf_append(b, "\"", 1);
}

void csv_end_row(struct sbuf *b)
{
	sbuf_append(b, "\r\n", 2);
}
