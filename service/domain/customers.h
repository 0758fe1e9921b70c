/* A cooperative's customers (klanten, the buyers on its invoices): the list (JSON and CSV, with a
 * name filter), creation, reading and changes.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_CUSTOMERS_H
#define COOPD_CUSTOMERS_H

#include "http/http.h"

int customers_list(struct req *r);
int customers_create(struct req *r);
/* Checks of a body beyond its field table, run before the handler (router.h: check). */
int customers_create_check(struct req *r);
int customers_patch_check(struct req *r);
int customers_get(struct req *r);
int customers_patch(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field customers_create_fields[], customers_patch_fields[];

#endif
