/* A cooperative's social shareholders (the municipalities that hold a share, SPEC §1): the list,
 * creation, reading, and ending a shareholding (its `until`).
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_SHAREHOLDERS_H
#define COOPD_SHAREHOLDERS_H

#include "http/http.h"

int shareholders_list(struct req *r);
int shareholders_create(struct req *r);
/* Checks of a body beyond its field table, run before the handler (router.h: check). */
int shareholders_create_check(struct req *r);
int shareholders_get(struct req *r);
int shareholders_patch(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field shareholders_create_fields[], shareholders_patch_fields[];

#endif
