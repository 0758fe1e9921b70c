#include "context.h"

#include <stdio.h>

/* The identity settings first, the check last: all of them are evaluated, and the check's
 * answer is the column db_tx_open looks at. */
static struct stmt context_stmt =
    STMT("SELECT token_usable($1, $2, $3::bigint),"
         " set_config('coopd.user_id', $1::text, true), set_config('coopd.role', $4, true),"
         " set_config('coopd.cooperative_id', $5, true), set_config('coopd.member_id', $6, true),"
         " set_config('coopd.municipality', $7, true),"
         " set_config('transaction_read_only', $8, true)");

void auth_context_init(struct auth_context *ctx, const struct principal *who, bool read_only)
{
	snprintf(ctx->iat, sizeof ctx->iat, "%lld", who->iat);
	const char *role = role_name(who->role);
	ctx->values[0] = who->sub;
	ctx->values[1] = who->jti;
	ctx->values[2] = ctx->iat;
	ctx->values[3] = role ? role : "";
	ctx->values[4] = who->coop;
	ctx->values[5] = who->member;
	ctx->values[6] = who->municipality;
	ctx->values[7] = read_only ? "on" : "off";
	ctx->db = (struct db_context){.stmt = &context_stmt,
	                              .nparams = 8,
	                              .params = ctx->values,
	                              .status = 401,
	                              .code = "unauthorized",
	                              .detail = "the token has been revoked"};
}
