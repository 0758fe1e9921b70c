/* Tokens that stop working before they expire (SPEC §9 "Auth"): a token is usable while its
 * user exists and is enabled, it was issued after the user's tokens were last revoked, and it
 * was not logged out (sql/005_hardening.sql, token_usable).
 *
 * The check runs in the database, in the snapshot of the request's own first statement, so a
 * change answers 401 from the moment it committed, on every instance. It costs no round trip:
 * it rides along with that statement (db_guard_set). */
#ifndef COOPD_REVOCATION_H
#define COOPD_REVOCATION_H

#include "principal.h"

struct db_conn;

/* Text parameters of the check, kept with the request: they must live until it has run. */
struct revocation_params {
	char iat[24];
	const char *values[3];
};

/* Attaches the check of who's token to c (as its guard): the next statement on c fails with
 * 401 unauthorized when the token is no longer usable. p is filled and must outlive the check;
 * who too. */
void revocation_guard(struct db_conn *c, const struct principal *who, struct revocation_params *p);

#endif
