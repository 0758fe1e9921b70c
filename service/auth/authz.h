/* Scope checks (SPEC §2). Role checks happen in the dispatcher from the route table; these
 * helpers decide which objects a caller may see. An object out of scope is a 404. */
#ifndef COOPD_AUTHZ_H
#define COOPD_AUTHZ_H
#include <stdbool.h>

#include "http/http.h"

/* The cooperative the caller is confined to, or NULL for a platform admin (every cooperative).
 * Pass it as the scope parameter of a statement: "($n::uuid IS NULL OR cooperative_id = $n)". */
const char *scope_coop(const struct req *r);

/* The member the caller is confined to (role member), or NULL. */
const char *scope_member(const struct req *r);

/* For routes under /v1/cooperatives/{coop_id}: 0 when the caller may see that cooperative,
 * else -1 with r->err 404. (Whether it exists is the statement's business.) */
int authz_coop(struct req *r, const char *coop_id);

bool is_platform_admin(const struct req *r);

#endif
