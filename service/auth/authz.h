/* Scope checks (SPEC §2). Role checks happen in the dispatcher from the route table; these
 * helpers decide which objects a caller may see. An object out of scope is a 404, so that a
 * caller cannot learn that it exists.
 *
 * Owns nothing; pure functions of the principal. Errors go to the caller's struct err. */
#ifndef COOPD_AUTHZ_H
#define COOPD_AUTHZ_H
#include <stdbool.h>

#include "auth/principal.h"
#include "err.h"

/* The cooperative the caller is confined to, or NULL for a platform admin (every cooperative).
 * Pass it as the scope parameter of a statement: "($n::uuid IS NULL OR cooperative_id = $n)". */
const char *scope_coop(const struct principal *who);

/* The member the caller is confined to (role member), or NULL. */
const char *scope_member(const struct principal *who);

/* For routes under /v1/cooperatives/{coop_id}: 0 when the caller may see that cooperative,
 * else -1 with e 404. (Whether it exists is the statement's business.) */
int authz_coop(const struct principal *who, const char *coop_id, struct err *e);

bool is_platform_admin(const struct principal *who);

#endif
