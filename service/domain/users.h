/* Users and API clients (SPEC §2, §4): creation with a role and the scope it needs (a
 * cooperative, a member, a municipality), listing (JSON and CSV), reading, changing the password
 * or disabling; /v1/me; the bootstrap admin. The token endpoint: auth_tokens.h.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_USERS_H
#define COOPD_USERS_H

#include <stddef.h>

#include "http/http.h"

int me_get(struct req *r);
int users_create(struct req *r);
/* The checks of a new user's body beyond its fields (routes.c: they run with the table's). */
int users_create_check(struct req *r);
int users_list(struct req *r);
int users_get(struct req *r);
int users_patch(struct req *r);
int users_delete(struct req *r);

/* On a database without users, creates the platform admin `admin` with that password, with its
 * audit event, in a transaction of its own (before the HTTP server starts). 0, or -1 with a
 * message in err (errlen bytes). Another instance creating it first is not an error. */
int users_bootstrap_admin(const char *password, char *err, size_t errlen);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field users_create_fields[], users_patch_fields[];

#endif
