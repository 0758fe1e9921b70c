#include "authz.h"

#include <string.h>

bool is_platform_admin(const struct req *r)
{
	return r->who.role == ROLE_PLATFORM_ADMIN;
}

const char *scope_coop(const struct req *r)
{
	return is_platform_admin(r) ? NULL : r->who.coop;
}

int authz_coop(struct req *r, const char *coop_id)
{
	if (is_platform_admin(r))
		return 0;
	if (r->who.coop[0] && strcmp(r->who.coop, coop_id) == 0)
		return 0;
	err_set(&r->err, 404, "not_found", "no such resource");
	return -1;
}

const char *scope_member(const struct req *r)
{
	return r->who.role == ROLE_MEMBER ? r->who.member : NULL;
}
