/* A member's municipal permissions (toestemmingen, SPEC §3): the list of one member, creation
 * (from the member's own municipality, within the length its policy grants, with an optional
 * exemption window in whole months), reading and revocation. One permission per member per day
 * is an exclusion constraint in the database.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_PERMISSIONS_H
#define COOPD_PERMISSIONS_H

#include "http/http.h"

int permissions_list(struct req *r);
int permissions_create(struct req *r);
/* Checks of a body beyond its field table, run before the handler (router.h: check). */
int permissions_create_check(struct req *r);
int permissions_get(struct req *r);
int permissions_revoke(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field permissions_create_fields[], permissions_revoke_fields[];

#endif
