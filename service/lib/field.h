/* Reading the members of one JSON object of a renderer document (the invoice document,
 * invoice_doc.h; the member's statement, statement_pdf.h): typed, with limits, and a short
 * lower-case message naming the member on failure ("invoice.number: missing"). `where` names
 * the object in messages. Texts are borrowed from the json_t. Pure, thread-safe. */
#ifndef COOPD_FIELD_H
#define COOPD_FIELD_H
#include "errbuf.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define FIELD_CODE_MAX 64 /* characters of a date, number, identifier or code */

/* The text member key of o: NULL when absent, null or blank (only spaces, tabs and line
 * breaks); an error when it is of another type or longer than max characters (code points). */
int field_opt_text(struct errbuf *e, const json_t *o, const char *where, const char *key,
                   size_t max, const char **out);
/* As field_opt_text, and missing is an error. */
int field_req_text(struct errbuf *e, const json_t *o, const char *where, const char *key,
                   size_t max, const char **out);
/* An optional date YYYY-MM-DD (lib/parse.h); *days, when days is given, is set only when the
 * date is there. */
int field_opt_date(struct errbuf *e, const json_t *o, const char *where, const char *key,
                   const char **out, int64_t *days);
/* A JSON integer (money, rates: 12.5 and 1e2 are reals and refused) with |value| <= limit. */
int field_req_int(struct errbuf *e, const json_t *o, const char *where, const char *key,
                  int64_t limit, int64_t *out);
/* A JSON true or false; absent is an error unless optional (then *out keeps its value). */
int field_bool(struct errbuf *e, const json_t *o, const char *where, const char *key, int optional,
               int *out);
/* The index of s in names[n], or -1 (also for s NULL). */
int field_lookup(const char *s, const char *const *names, int n);

#endif
