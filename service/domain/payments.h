/* Payments received on an invoice (the only thing that moves on an issued invoice): the list of
 * one invoice, recording one (the SQL function payment_record checks it and updates the
 * invoice's paid amount and status), and reading one. Amounts may be negative (a refund).
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_PAYMENTS_H
#define COOPD_PAYMENTS_H

#include "http/http.h"

int payments_list(struct req *r);
int payments_create(struct req *r);
int payments_get(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field payments_create_fields[];

#endif
