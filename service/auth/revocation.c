#include "revocation.h"

#include <stdio.h>

#include "db/db.h"

static struct stmt usable = STMT("SELECT token_usable($1, $2, $3)");

void revocation_guard(struct db_conn *c, const struct principal *who, struct revocation_params *p)
{
	snprintf(p->iat, sizeof p->iat, "%lld", who->iat);
	p->values[0] = who->sub;
	p->values[1] = who->jti;
	p->values[2] = p->iat;
	db_guard_set(c, &usable, 3, p->values, 401, "unauthorized", "the token has been revoked");
}
