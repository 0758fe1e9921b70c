/* RFC 4180 CSV: fields separated by commas, rows ended by CRLF, a field quoted when it holds a
 * comma, quote, CR or LF (quotes doubled). UTF-8 in, UTF-8 out. */
#ifndef COOPD_CSV_H
#define COOPD_CSV_H

#include "sbuf.h"

/* Appends one field; first = 1 for the first field of a row. NULL is an empty field. */
void csv_field(struct sbuf *b, const char *value, int first);
/* The same with separator sep (',' or ';'); a field holding sep is quoted. The Excel dialect
 * (Dutch Excel reads ';' as its list separator) is ';', CRLF and a UTF-8 byte order mark
 * (CSV_BOM) before the header row; numbers are written as they are (money in integer cents). */
void csv_field_sep(struct sbuf *b, const char *value, int first, char sep);
#define CSV_BOM "\xef\xbb\xbf"
void csv_end_row(struct sbuf *b);

#endif
