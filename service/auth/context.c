#include "context.h"

#include <stdio.h>

#include "lib/sbuf.h"

/* The check first: its answer is the column db_tx_open looks at; every column is evaluated.
 * A municipal principal's transaction runs as the role coopd_municipal from the next statement
 * on (sql/012: row-level security keeps it to the municipality set here), whatever the route;
 * so its reads always carry the full statement, never the check alone.
 * A setting the caller has no value for is not set at all (CASE): each set_config costs the
 * server a little on every request, and the hot reads pay for it. So a setting the caller does
 * not have reads as NULL, or as '' on a connection where an earlier transaction set it; SQL
 * reads them with nullif(current_setting('coopd.member_id', true), ''). */
static struct stmt check_stmt =
    STMT("SELECT t.usable FROM token_usable($1, $2, $3::bigint) t(usable)");

static struct stmt context_stmt =
    STMT("SELECT t.usable,"
         " set_config('coopd.user_id', $1::text, true), set_config('coopd.role', $4, true),"
         " CASE WHEN $5::text IS NOT NULL THEN set_config('coopd.cooperative_id', $5, true) END,"
         " CASE WHEN $6::text IS NOT NULL THEN set_config('coopd.member_id', $6, true) END,"
         " CASE WHEN $7::text IS NOT NULL THEN set_config('coopd.municipality', $7, true) END,"
         " CASE WHEN $8::boolean THEN set_config('transaction_read_only', 'on', true) END,"
         " CASE WHEN $7::text IS NOT NULL THEN set_config('role', 'coopd_municipal', true) END"
         " FROM token_usable($1, $2, $3::bigint) t(usable)");

void auth_context_init(struct auth_context *ctx, const struct principal *who, bool read_only)
{
	if (who->iat >= 0) /* (by hand: twice a request) */
		fmt_u(ctx->iat, (unsigned long long)who->iat);
	else
		snprintf(ctx->iat, sizeof ctx->iat, "%lld", who->iat);
	const char *role = role_name(who->role);
	ctx->values[0] = who->sub;
	ctx->values[1] = who->jti;
	ctx->values[2] = ctx->iat;
	ctx->values[3] = role ? role : "";
	ctx->values[4] = who->coop[0] ? who->coop : NULL;
	ctx->values[5] = who->member[0] ? who->member : NULL;
	ctx->values[6] = who->municipality[0] ? who->municipality : NULL;
	ctx->values[7] = read_only ? "true" : "false";
	ctx->db = (struct db_context){.stmt = &context_stmt,
	                              .nparams = 8,
	                              .params = ctx->values,
	                              .check = who->municipality[0] ? NULL : &check_stmt,
	                              .check_nparams = 3,
	                              .status = 401,
	                              .code = "unauthorized",
	                              .detail = "the token has been revoked"};
}
