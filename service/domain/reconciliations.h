/* The annual reconciliation of a member's year (SPEC §5, §6.4): computed as a draft from the
 * year's finalized settlement rows and the income tax actually assessed (recomputing replaces
 * the draft), finalized, and read by the office and the member itself. The arithmetic is SQL
 * (sql/functions/reconciliation.sql); a finalized reconciliation never changes, also not by
 * direct SQL.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_RECONCILIATIONS_H
#define COOPD_RECONCILIATIONS_H

#include "http/http.h"

int reconciliations_calculate(struct req *r);
int reconciliations_get(struct req *r);
int reconciliations_finalize(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field reconciliations_calculate_fields[];

#endif
