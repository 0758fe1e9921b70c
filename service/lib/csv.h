/* RFC 4180 CSV: fields separated by commas, rows ended by CRLF, a field quoted when it holds a
 * comma, quote, CR or LF (quotes doubled). UTF-8 in, UTF-8 out. */
#ifndef COOPD_CSV_H
#define COOPD_CSV_H

#include "sbuf.h"

/* Appends one field; first = 1 for the first field of a row. NULL is an empty field. */
void csv_field(struct sbuf *b, const char *value, int first);
void csv_end_row(struct sbuf *b);

#endif
