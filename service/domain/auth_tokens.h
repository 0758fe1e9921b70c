/* The token endpoint and logout (SPEC §4): POST /v1/auth/token takes a password grant (a person)
 * or client credentials (an API client), counts failed attempts per username and source address
 * in the database (429 too_many_attempts with Retry-After while locked out) and issues a signed
 * access token (auth/token.h); POST /v1/auth/logout revokes the presented token. A wrong name,
 * a wrong secret, a disabled user and a grant of the other kind are the same answer, 401
 * invalid_credentials, after the same work (an unknown name still costs a hash).
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set.
 * auth_token commits its transaction before it hashes, so that no connection is held then. */
#ifndef COOPD_AUTH_TOKENS_H
#define COOPD_AUTH_TOKENS_H

#include "http/http.h"

int auth_token(struct req *r);
int auth_logout(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field auth_token_fields[];

#endif
