/* The cooperative's own money (SPEC §5 "Members' money", §9 "Finances"): its collective costs
 * (training, rent, overhead, ... paid from the fees; never changed, a correction is a negative
 * amount) and its finances of a year: the flows dated in it and the positions at its end, from
 * the ledger and the payments, so that payments received − payouts = VAT received + change of
 * the members' balances + fee income to the cent (sql/functions/ledger.sql,
 * cooperative_finances). The office reads them; members do not.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_FINANCES_H
#define COOPD_FINANCES_H

#include "http/http.h"

int collective_costs_list(struct req *r);
int collective_costs_create(struct req *r);
int collective_costs_get(struct req *r);
int finances_get(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field collective_costs_create_fields[];

#endif
