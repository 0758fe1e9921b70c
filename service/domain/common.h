/* Helpers shared by the domain handlers. */
#ifndef COOPD_DOMAIN_COMMON_H
#define COOPD_DOMAIN_COMMON_H

#include <libpq-fe.h>

#include "db/db.h"
#include "http/http.h"

/* Renders a list page from res, whose rows are (json text, seq) and which was fetched with
 * LIMIT limit + 1: at most limit items, and a next_cursor when there was one more row. */
int list_result(struct req *r, const PGresult *res, int limit);

/* Formats the page parameters for a statement: after and limit+1 as text. */
void page_params(long long after, int limit, char after_buf[24], char limit_buf[12]);

/* Answers with every row of statement s as CSV (RFC 4180, header row from the column names,
 * booleans as true/false, NULL as an empty field), streamed in chunks. */
int csv_export(struct req *r, struct stmt *s, int nparams, const char *const *params);

/* Sets r->err to 404 not_found and returns -1. */
int not_found(struct req *r);

#endif
