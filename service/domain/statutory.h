/* The national statutory parameters (the exemption rules of the Participatiewet and the norms
 * they refer to, SPEC §6): dated versions made by the platform, read by everyone; they never
 * change once made.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_STATUTORY_H
#define COOPD_STATUTORY_H

#include "http/http.h"

int statutory_list(struct req *r);
int statutory_create(struct req *r);
int statutory_get(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field statutory_create_fields[];

#endif
