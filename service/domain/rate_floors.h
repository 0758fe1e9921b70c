/* A cooperative's rate floors (the lowest unit price an invoice line of an activity category may
 * carry, checked when an invoice is issued): the list, creation, reading, changing the price and
 * deletion.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_RATE_FLOORS_H
#define COOPD_RATE_FLOORS_H

#include "http/http.h"

int rate_floors_list(struct req *r);
int rate_floors_create(struct req *r);
/* Checks of a body beyond its field table, run before the handler (router.h: check). */
int rate_floors_create_check(struct req *r);
int rate_floors_get(struct req *r);
int rate_floors_patch(struct req *r);
int rate_floors_delete(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field rate_floors_create_fields[], rate_floors_patch_fields[];

#endif
