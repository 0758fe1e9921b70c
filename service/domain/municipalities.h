/* Municipalities (gemeenten), identified by their CBS code (GM0363): the list, creation and
 * renaming by the platform, reading (a municipality user sees its own). Their dated policies:
 * policies.h.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_MUNICIPALITIES_H
#define COOPD_MUNICIPALITIES_H

#include "http/http.h"

int municipalities_list(struct req *r);
int municipalities_create(struct req *r);
int municipalities_get(struct req *r);
int municipalities_patch(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field municipalities_create_fields[], municipalities_patch_fields[];

#endif
