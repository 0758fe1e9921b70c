#include "authz.h"

#include <string.h>

bool is_platform_admin(const struct principal *who)
{
	return who->role == ROLE_PLATFORM_ADMIN;
}

const char *scope_coop(const struct principal *who)
{
	return is_platform_admin(who) ? NULL : who->coop;
}

int authz_coop(const struct principal *who, const char *coop_id, struct err *e)
{
	if (is_platform_admin(who) || (who->coop[0] && strcmp(who->coop, coop_id) == 0))
		return 0;
	return err_not_found(e);
}

const char *scope_member(const struct principal *who)
{
	return who->role == ROLE_MEMBER ? who->member : NULL;
}
