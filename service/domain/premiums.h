/* Premiums granted to a member (Participatiewet art. 31 lid 2 j; SPEC §5 "Members' money"),
 * recorded by the office: at most the statutory number a calendar year, together within the
 * yearly cap of the parameters in force on granted_on (422 premium_cap_exceeded; the rule is the
 * SQL function premium_grant). Reported on the settlement row of their month, never deducted.
 * Append-only.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_PREMIUMS_H
#define COOPD_PREMIUMS_H

#include "http/http.h"

int premiums_list(struct req *r);
int premiums_create(struct req *r);
int premiums_get(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field premiums_create_fields[];

#endif
