#include "csv.h"

#include <string.h>

void csv_field(struct sbuf *b, const char *value, int first)
{
	csv_field_sep(b, value, first, ',');
}

void csv_field_sep(struct sbuf *b, const char *value, int first, char sep)
{
	if (!first)
		sbuf_append(b, &sep, 1);
	if (!value)
		return;
	const char special[] = {sep, '"', '\r', '\n', '\0'};
	if (!value[strcspn(value, special)]) {
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
