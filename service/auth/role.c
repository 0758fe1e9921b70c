/* Role names as they appear in tokens, the database and the API. */
#include "principal.h"

#include <stddef.h>
#include <string.h>

/* Static strings; callers borrow them. */
static const char *const role_names[ROLE_COUNT] = {
    [ROLE_NONE] = NULL,
    [ROLE_PLATFORM_ADMIN] = "platform_admin",
    [ROLE_COOP_ADMIN] = "coop_admin",
    [ROLE_BOOKKEEPER] = "bookkeeper",
    [ROLE_AUDITOR] = "auditor",
    [ROLE_MEMBER] = "member",
    [ROLE_MUNICIPALITY] = "municipality",
};

const char *role_name(enum role r)
{
	if ((unsigned)r >= ROLE_COUNT)
		return NULL;
	return role_names[r];
}

enum role role_from_name(const char *name)
{
	if (!name)
		return ROLE_NONE;
	for (unsigned r = ROLE_NONE + 1; r < ROLE_COUNT; r++) {
		if (strcmp(role_names[r], name) == 0)
			return (enum role)r;
	}
	return ROLE_NONE;
}
