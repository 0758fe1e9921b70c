/* A municipality's policies (beleid, SPEC §3): dated versions (income basis, cost mode, tax
 * reservation, the longest permission it grants, ...) that never change once made; the one in
 * force on a day is the latest valid_from on or before it. Made by the platform or by the
 * municipality itself; read by the cooperatives and by that municipality.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_POLICIES_H
#define COOPD_POLICIES_H

#include "http/http.h"

int policies_list(struct req *r);
int policies_create(struct req *r);
/* Checks of a body beyond its field table, run before the handler (router.h: check). */
int policies_create_check(struct req *r);
int policies_get(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field policies_create_fields[];

#endif
