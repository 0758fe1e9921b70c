/* Bank statements and their entries (issue 14): importing a cooperative's CAMT.053 statement
 * (lib/camt.h reads it; bank_import in sql/functions/bank.sql books what it matches, all in the
 * request's transaction), the imports and entries of a cooperative, and a bookkeeper's
 * assignment or dismissal of an entry that could not be matched.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. Every
 * object is read in the caller's cooperative scope (404 outside it). */
#ifndef COOPD_BANK_H
#define COOPD_BANK_H

#include "http/http.h"

/* POST /v1/cooperatives/{coop_id}/bank-statements (the body: the XML file, RF_XML_BODY) */
int bank_statements_import(struct req *r);
int bank_statements_list(struct req *r);
int bank_statements_get(struct req *r);
/* GET /v1/cooperatives/{coop_id}/bank-entries (?status=, ?statement_id=; CSV) */
int bank_entries_list(struct req *r);
int bank_entries_get(struct req *r);
int bank_entries_assign(struct req *r);
int bank_entries_dismiss(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field bank_entries_assign_fields[];
extern const struct field bank_entries_dismiss_fields[];

#endif
