/* Users and API clients (SPEC §2, §4): creation with role and scope, listing, disabling; the
 * token endpoint and /v1/me. */
#ifndef COOPD_USERS_H
#define COOPD_USERS_H

#include "http/http.h"

int auth_token(struct req *r);
int auth_logout(struct req *r);
int me_get(struct req *r);
int users_create(struct req *r);
int users_list(struct req *r);
int users_get(struct req *r);
int users_patch(struct req *r);
int users_delete(struct req *r);

/* On a database without users, creates the platform admin `admin` with that password. */
int users_bootstrap_admin(const char *password, char *err, size_t errlen);

#endif
