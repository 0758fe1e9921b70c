/* The token endpoint and logout (auth_tokens.h). */
#include "auth_tokens.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "auth/password.h"
#include "auth/token.h"
#include "db/db.h"

/* Counts the attempt first (login_attempt, sql/005), then reads the user: one round trip. */
static struct stmt login_lookup =
    STMT("SELECT a.wait, u.id, u.secret_hash, u.kind, u.role, u.cooperative_id, u.member_id,"
         "       u.municipality_code, u.disabled"
         " FROM (SELECT login_attempt($1, $2, $3, $4) AS wait) a"
         " LEFT JOIN users u ON lower(u.username) = lower($1)");

static struct stmt login_ok =
    STMT("DELETE FROM login_throttle WHERE username = lower($1) AND source = $2");

static struct stmt logout = STMT("SELECT token_revoke($1, $2, $3)");

static const char *const grant_types[] = {"password", "client_credentials", NULL};

const struct field auth_token_fields[] = {
    {"grant_type", F_ENUM, FIELD_REQUIRED, 0, 0, grant_types},
    {"username", F_STRING, 0, 1, 200, NULL},
    {"password", F_STRING, 0, 1, 1024, NULL},
    {"client_id", F_STRING, 0, 1, 200, NULL},
    {"client_secret", F_STRING, 0, 1, 1024, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int auth_token(struct req *r)
{
	int is_client = strcmp(body_str(r, "grant_type"), "client_credentials") == 0;
	const char *name_field = is_client ? "client_id" : "username";
	const char *secret_field = is_client ? "client_secret" : "password";
	const char *other[] = {is_client ? "username" : "client_id",
	                       is_client ? "password" : "client_secret"};
	if (!body_has(r, name_field))
		err_field(&r->err, name_field, "required", "is required for this grant_type");
	if (!body_has(r, secret_field))
		err_field(&r->err, secret_field, "required", "is required for this grant_type");
	for (int i = 0; i < 2; i++)
		if (json_object_get(r->body, other[i]))
			err_field(&r->err, other[i], "unknown_field",
			          "is not a field of this grant_type");
	if (r->err.status)
		return -1;
	const char *name = body_str(r, name_field);
	const char *secret = body_str(r, secret_field);
	char source[64], max[12], lock[12];
	req_client_addr(r, source, sizeof source);
	snprintf(max, sizeof max, "%d", app.cfg.login_max_failures);
	snprintf(lock, sizeof lock, "%d", app.cfg.login_lockout_seconds);

	/* Count the attempt and look the user up, then hash without holding a connection: hashing
	 * is the slow part. The attempt counts as a failure until it succeeds. */
	if (!req_db(r))
		return -1;
	const char *p[] = {name, source, max, lock};
	PGresult *res = db_exec(r->db, &login_lookup, 4, p, &r->err);
	if (!res || req_commit(r) != 0) {
		PQclear(res);
		return -1;
	}
	int wait = (int)db_col_ll(res, 0, "wait");
	if (wait > 0) {
		PQclear(res);
		err_set(&r->err, 429, "too_many_attempts",
		        "too many failed attempts; try again later");
		r->err.retry_after = wait;
		return -1;
	}
	const char *hash = db_col(res, 0, "secret_hash");
	int ok = 0;
	struct principal who;
	memset(&who, 0, sizeof who);
	if (!hash) {
		password_burn(secret);
	} else {
		const char *kind = db_col(res, 0, "kind");
		ok = password_verify(secret, hash) && kind &&
		     strcmp(kind, is_client ? "client" : "person") == 0 &&
		     !db_col_true(res, 0, "disabled");
		db_col_copy(res, 0, "id", who.sub, sizeof who.sub);
		who.role = role_from_name(db_col(res, 0, "role"));
		db_col_copy(res, 0, "cooperative_id", who.coop, sizeof who.coop);
		db_col_copy(res, 0, "member_id", who.member, sizeof who.member);
		db_col_copy(res, 0, "municipality_code", who.municipality, sizeof who.municipality);
	}
	PQclear(res);
	if (!ok) {
		err_set(&r->err, 401, "invalid_credentials", "the credentials are not valid");
		return -1;
	}

	if (!req_db(r))
		return -1;
	const char *okp[] = {name, source};
	res = db_exec(r->db, &login_ok, 2, okp, &r->err);
	if (!res)
		return -1;
	PQclear(res);

	char *token = token_issue(app.keys, &who, time(NULL));
	if (!token)
		return err_internal(&r->err);
	json_t *out = json_pack("{s:s, s:s, s:i}", "access_token", token, "token_type", "Bearer",
	                        "expires_in", token_ttl(app.keys));
	free(token);
	return resp_json(r, 200, out);
}

/* POST /v1/auth/logout: the presented token is refused from now on (until it would have
 * expired). Other tokens of the same user stay valid. */
int auth_logout(struct req *r)
{
	if (!req_db(r))
		return -1;
	char exp[24];
	snprintf(exp, sizeof exp, "%lld", r->who.exp);
	const char *p[] = {r->who.sub, r->who.jti, exp};
	PGresult *res = db_exec(r->db, &logout, 3, p, &r->err);
	if (!res)
		return -1;
	PQclear(res);
	return resp_empty(r, 204);
}
