/* A member's expenses (SPEC §5 "Members' money"): recorded by the office for any member of its
 * cooperative or by a member for itself, then approved or rejected by the office. Approval is
 * refused for a long-term obligation and above the municipal policy's maximum for one expense
 * (422 investment_not_allowed; the rule is the SQL function expense_decide). Approved expenses,
 * excluding VAT, are the costs of cost_mode approved_costs in the month of their date.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_EXPENSES_H
#define COOPD_EXPENSES_H

#include "http/http.h"

int expenses_list(struct req *r);
int expenses_create(struct req *r);
/* Checks of a body beyond its field table, run before the handler (router.h: check). */
int expenses_create_check(struct req *r);
int expenses_get(struct req *r);
int expenses_approve(struct req *r);
int expenses_reject(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field expenses_create_fields[], expenses_approve_fields[],
    expenses_reject_fields[];

#endif
