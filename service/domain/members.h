/* Members (leden) of a cooperative: the list (JSON and CSV, with filters), creation, reading and
 * changes along the member lifecycle (applicant → active ⇄ suspended → ended, SPEC §9).
 * Their permissions: permissions.h.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_MEMBERS_H
#define COOPD_MEMBERS_H

#include "http/http.h"

int members_list(struct req *r);
int members_create(struct req *r);
/* Checks of a body beyond its field table, run before the handler (router.h: check). */
int members_create_check(struct req *r);
int members_patch_check(struct req *r);
int members_get(struct req *r);
int members_patch(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field members_create_fields[], members_patch_fields[];

#endif
