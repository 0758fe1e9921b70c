/* A cooperative's fee policies (the contribution a member pays the cooperative, SPEC §6): dated
 * versions that never change once made; the one in force on a day is the latest valid_from on
 * or before it.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_FEE_POLICIES_H
#define COOPD_FEE_POLICIES_H

#include "http/http.h"

int fee_policies_list(struct req *r);
int fee_policies_create(struct req *r);
/* Checks of a body beyond its field table, run before the handler (router.h: check). */
int fee_policies_create_check(struct req *r);
int fee_policies_get(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field fee_policies_create_fields[];

#endif
