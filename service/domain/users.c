/* Users and API clients (users.h). */
#include "users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auth/authz.h"
#include "auth/password.h"
#include "db/db.h"
#include "lib/ids.h"
#include "lib/parse.h"
#include "list.h"
#include "resource.h"

/* ---- statements ---------------------------------------------------------------------- */

static struct stmt user_me = STMT("SELECT user_doc(u)::text AS doc FROM users u WHERE u.id = $1");

/* $2: the caller's cooperative, NULL for a platform admin. Also the benchmark's statement. */
static struct stmt user_get =
    STMT("SELECT user_doc(u)::text AS doc, u.row_version FROM users u"
         " WHERE u.id = $1 AND ($2::uuid IS NULL OR u.cooperative_id = $2)");

/* $3 the caller's cooperative (NULL for a platform admin), then the filters cooperative_id,
 * role, disabled. */
static struct list_stmt user_list = LIST_STMT_CSV(
    "user_doc(u)::text",
    "u.id, u.username, u.kind, u.role, u.cooperative_id, u.member_id, u.municipality_code,"
    "  u.disabled, rfc3339(u.created_at) AS created_at, rfc3339(u.updated_at) AS updated_at",
    "users u", "u.seq",
    "($3::uuid IS NULL OR u.cooperative_id = $3) AND ($4::uuid IS NULL OR u.cooperative_id = $4)"
    " AND ($5::text IS NULL OR u.role = $5) AND ($6::boolean IS NULL OR u.disabled = $6)");

static struct stmt user_insert =
    STMT("INSERT INTO users AS u (username, kind, secret_hash, role, cooperative_id, member_id,"
         "                        municipality_code, created_by)"
         " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
         " RETURNING user_doc(u)::text AS doc, u.id, u.row_version");

static struct stmt user_lock =
    STMT("SELECT u.kind, u.row_version, u.cooperative_id FROM users u"
         " WHERE u.id = $1 AND ($2::uuid IS NULL OR u.cooperative_id = $2) FOR UPDATE");

static struct stmt user_update =
    STMT("UPDATE users u SET secret_hash = coalesce($2, u.secret_hash),"
         "       disabled = coalesce($3::boolean, u.disabled),"
         "       row_version = u.row_version + 1, updated_at = now()"
         " WHERE u.id = $1 RETURNING user_doc(u)::text AS doc, u.row_version");

static struct stmt bootstrap_insert =
    STMT("INSERT INTO users (username, kind, secret_hash, role)"
         " SELECT 'admin', 'person', $1, 'platform_admin' WHERE NOT EXISTS (SELECT 1 FROM users)"
         " RETURNING id");

static struct stmt cooperative_check = STMT("SELECT 1 FROM cooperatives WHERE id = $1");
static struct stmt member_check =
    STMT("SELECT 1 FROM members WHERE id = $1 AND cooperative_id = $2");

/* ---- /v1/me ------------------------------------------------------------------------------ */

int me_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	const char *p[] = {r->who.sub};
	PGresult *res = db_exec_last(r->db, &user_me, 1, p, &r->err);
	if (!res)
		return -1;
	int rc = PQntuples(res) == 1 ? resp_json_text(r, 200, db_col(res, 0, "doc"))
	                             : err_not_found(&r->err);
	PQclear(res);
	return rc;
}

/* ---- /v1/users ------------------------------------------------------------------------- */

static const char *const role_names[] = {"platform_admin", "coop_admin",   "bookkeeper", "auditor",
                                         "member",         "municipality", NULL};
static const char *const kinds[] = {"person", "client", NULL};

const struct field users_create_fields[] = {
    {"username", F_STRING, FIELD_REQUIRED, 3, 64, NULL},
    {"kind", F_ENUM, 0, 0, 0, kinds},
    {"password", F_STRING, 0, 12, 200, NULL},
    {"role", F_ENUM, FIELD_REQUIRED, 0, 0, role_names},
    {"cooperative_id", F_UUID, FIELD_NULLABLE, 0, 0, NULL},
    {"member_id", F_UUID, FIELD_NULLABLE, 0, 0, NULL},
    {"municipality_code", F_STRING, FIELD_NULLABLE, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static int valid_username(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '@' || *s == '-'))
			return 0;
	return 1;
}

/* The scope fields a role needs (SPEC §2): 1 required, -1 forbidden. */
static void scope_rule(enum role role, int *coop, int *member, int *muni)
{
	*coop = *member = *muni = -1;
	switch (role) {
	case ROLE_COOP_ADMIN:
	case ROLE_BOOKKEEPER:
	case ROLE_AUDITOR:
		*coop = 1;
		break;
	case ROLE_MEMBER:
		*coop = *member = 1;
		break;
	case ROLE_MUNICIPALITY:
		*muni = 1;
		break;
	default:
		break;
	}
}

static void check_scope_field(struct req *r, const char *field, int rule)
{
	int has = body_has(r, field);
	if (rule == 1 && !has)
		err_field(&r->err, field, "required", "is required for this role");
	if (rule == -1 && has)
		err_field(&r->err, field, "invalid_value", "does not apply to this role");
}

/* The cooperative a new user of role belongs to: the body's, or for a cooperative's own
 * administrator (who may not name another) its own. */
static const char *new_user_coop(struct req *r, enum role role)
{
	const char *coop = body_str(r, "cooperative_id");
	if (!coop && !is_platform_admin(&r->who) && role != ROLE_PLATFORM_ADMIN &&
	    role != ROLE_MUNICIPALITY)
		coop = r->who.coop;
	return coop;
}

int users_create_check(struct req *r)
{
	enum role role = role_from_name(body_str(r, "role"));
	const char *username = body_str(r, "username");
	int is_client = body_has(r, "kind") && body_str(r, "kind") &&
	                strcmp(body_str(r, "kind"), "client") == 0;
	const char *muni = body_str(r, "municipality_code");

	if (username && !valid_username(username))
		err_field(&r->err, "username", "invalid_value",
		          "may hold only letters, digits and . _ @ -");
	if (is_client && body_has(r, "password"))
		err_field(&r->err, "password", "invalid_value",
		          "clients get a generated secret; send no password");
	if (!is_client && !body_has(r, "password"))
		err_field(&r->err, "password", "required", "is required for a person");
	if (muni && !municipality_code_valid(muni))
		err_field(&r->err, "municipality_code", "invalid_value", "must be GM and 4 digits");
	if (role == ROLE_NONE) /* the field table refused the role: its scope is unknown */
		return r->err.status ? -1 : 0;

	/* A coop_admin works in its own cooperative; the body cannot widen that. */
	const char *coop = new_user_coop(r, role);
	if (!is_platform_admin(&r->who) && role != ROLE_PLATFORM_ADMIN &&
	    role != ROLE_MUNICIPALITY && coop && strcmp(coop, r->who.coop) != 0)
		err_field(&r->err, "cooperative_id", "invalid_reference",
		          "does not name an object you can see");
	int need_coop, need_member, need_muni;
	scope_rule(role, &need_coop, &need_member, &need_muni);
	if (need_coop == 1 && !coop)
		err_field(&r->err, "cooperative_id", "required", "is required for this role");
	if (need_coop == -1)
		check_scope_field(r, "cooperative_id", -1);
	check_scope_field(r, "member_id", need_member);
	check_scope_field(r, "municipality_code", need_muni);
	return r->err.status ? -1 : 0;
}

int users_create(struct req *r)
{
	/* users_create_check has run (routes.c) */
	enum role role = role_from_name(body_str(r, "role"));
	if (!is_platform_admin(&r->who) &&
	    (role == ROLE_PLATFORM_ADMIN || role == ROLE_MUNICIPALITY)) {
		err_set(&r->err, 403, "forbidden", "you may not create users with this role");
		return -1;
	}
	const char *username = body_str(r, "username");
	const char *kind = body_has(r, "kind") ? body_str(r, "kind") : "person";
	int is_client = strcmp(kind, "client") == 0;
	const char *coop = new_user_coop(r, role);
	const char *member = body_str(r, "member_id");
	const char *muni = body_str(r, "municipality_code");
	int need_coop, need_member, need_muni;
	scope_rule(role, &need_coop, &need_member, &need_muni);

	if (need_coop == 1) {
		const char *p[] = {coop};
		if (require_ref(r, &cooperative_check, 1, p, "cooperative_id") != 0)
			return -1;
	}
	if (need_member == 1) {
		const char *p[] = {member, coop};
		if (require_ref(r, &member_check, 2, p, "member_id") != 0)
			return -1;
	}
	if (need_muni == 1 && require_municipality_ref(r) != 0)
		return -1;

	char secret[65] = "", hash[256];
	if (is_client && random_hex(secret, 32) != 0)
		goto internal;
	if (password_hash(is_client ? secret : body_str(r, "password"), hash, sizeof hash) != 0)
		goto internal;

	const char *p[] = {username,
	                   kind,
	                   hash,
	                   body_str(r, "role"),
	                   need_coop == 1 ? coop : NULL,
	                   need_member == 1 ? member : NULL,
	                   need_muni == 1 ? muni : NULL,
	                   r->who.sub};
	PGresult *res = db_exec(r->db, &user_insert, 8, p, &r->err);
	if (!res)
		return -1;
	json_error_t je;
	json_t *doc = json_loads(db_col(res, 0, "doc"), 0, &je);
	char id[ID_LEN];
	db_col_copy(res, 0, "id", id, sizeof id);
	resp_set_etag(r, db_col(res, 0, "row_version"));
	PQclear(res);
	if (!doc)
		goto internal;

	json_t *changes =
	    json_pack("{s:s, s:s, s:s, s:O, s:O, s:O}", "username", username, "kind", kind, "role",
	              body_str(r, "role"), "cooperative_id", json_object_get(doc, "cooperative_id"),
	              "member_id", json_object_get(doc, "member_id"), "municipality_code",
	              json_object_get(doc, "municipality_code"));
	int rc =
	    audit_record(r, need_coop == 1 ? coop : NULL, NULL, "user.create", "user", id, changes);
	json_decref(changes);
	if (rc != 0) {
		json_decref(doc);
		return -1;
	}
	resp_set_location(r, "/v1/users", id);
	if (is_client) {
		/* The secret is shown once: the idempotency record keeps the response without it.
		 */
		char *stored = json_dumps(doc, JSON_COMPACT);
		r->idem_body = stored;
		json_object_set_new(doc, "client_secret", json_string(secret));
	}
	return resp_json(r, 201, doc);
internal:
	err_set(&r->err, 500, "internal_error", "internal error");
	return -1;
}

int users_list(struct req *r)
{
	char role[32], coop[64], disabled[8];
	int has_role = req_query(r, "role", role, sizeof role);
	if (has_role < 0 || (has_role && role_from_name(role) == ROLE_NONE)) {
		err_set(&r->err, 400, "invalid_parameter", "role is not a role");
		return -1;
	}
	int has_coop = req_query_id(r, "cooperative_id", coop, sizeof coop);
	if (has_coop < 0)
		return -1;
	int has_disabled = req_query_bool(r, "disabled", disabled, sizeof disabled);
	if (has_disabled < 0)
		return -1;
	const char *f[] = {scope_coop(&r->who), has_coop ? coop : NULL, has_role ? role : NULL,
	                   has_disabled ? disabled : NULL};
	return list_query(r, &user_list, 4, f);
}

int users_get(struct req *r)
{
	return get_in_coop(r, &user_get);
}

const struct field users_patch_fields[] = {
    {"password", F_STRING, 0, 12, 200, NULL},
    {"disabled", F_BOOL, 0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

/* Locks the user in scope and checks If-Match. Fills kind and coop ("" for none); -1 with
 * 404/412. */
static int lock_user(struct req *r, char kind[16], char coop[ID_LEN])
{
	PGresult *row;
	if (lock_in_coop(r, &user_lock, coop, &row) != 0)
		return -1;
	db_col_copy(row, 0, "kind", kind, 16);
	PQclear(row);
	return 0;
}

static int update_user(struct req *r, const char *hash, const char *disabled, const char *action,
                       const char *coop, json_t *changes, int status)
{
	const char *p[] = {r->params[0], hash, disabled};
	PGresult *res = db_exec(r->db, &user_update, 3, p, &r->err);
	if (!res)
		return -1;
	/* The ETag names the version of the user in the body: a 204 (disable) has none, as the
	 * other 204 answers of the service. */
	if (status == 200) {
		resp_set_etag(r, db_col(res, 0, "row_version"));
		resp_json_text(r, 200, db_col(res, 0, "doc"));
	} else
		resp_empty(r, status);
	PQclear(res);
	return audit_record(r, coop[0] ? coop : NULL, NULL, action, "user", r->params[0], changes);
}

int users_patch(struct req *r)
{
	char kind[16], coop[ID_LEN];
	if (lock_user(r, kind, coop) != 0)
		return -1;
	json_t *disabled = json_object_get(r->body, "disabled");
	if (body_has(r, "password") && strcmp(kind, "client") == 0) {
		err_field(&r->err, "password", "invalid_value", "a client has no password");
		return -1;
	}
	if (json_is_true(disabled) && strcmp(r->params[0], r->who.sub) == 0) {
		err_set(&r->err, 409, "conflict", "you cannot disable yourself");
		return -1;
	}
	char hash[256];
	if (body_has(r, "password") &&
	    password_hash(body_str(r, "password"), hash, sizeof hash) != 0) {
		err_set(&r->err, 500, "internal_error", "internal error");
		return -1;
	}
	json_t *changes = json_object();
	if (body_has(r, "password"))
		json_object_set_new(changes, "password_changed", json_true());
	if (json_is_boolean(disabled))
		json_object_set(changes, "disabled", disabled);
	int rc = update_user(r, body_has(r, "password") ? hash : NULL,
	                     json_is_boolean(disabled) ? (json_is_true(disabled) ? "true" : "false")
	                                               : NULL,
	                     "user.update", coop, changes, 200);
	json_decref(changes);
	return rc;
}

int users_delete(struct req *r)
{
	char kind[16], coop[ID_LEN];
	if (lock_user(r, kind, coop) != 0)
		return -1;
	if (strcmp(r->params[0], r->who.sub) == 0) {
		err_set(&r->err, 409, "conflict", "you cannot disable yourself");
		return -1;
	}
	json_t *changes = json_pack("{s:b}", "disabled", 1);
	int rc = update_user(r, NULL, "true", "user.disable", coop, changes, 204);
	json_decref(changes);
	return rc;
}

int users_bootstrap_admin(const char *password, char *err, size_t errlen)
{
	struct req r;
	memset(&r, 0, sizeof r);
	snprintf(r.request_id, sizeof r.request_id, "bootstrap");
	char hash[256];
	if (password_hash(password, hash, sizeof hash) != 0) {
		snprintf(err, errlen, "cannot hash the bootstrap password");
		return -1;
	}
	int rc = -1;
	if (!req_db(&r))
		goto cleanup;
	const char *p[] = {hash};
	PGresult *res = db_exec(r.db, &bootstrap_insert, 1, p, &r.err);
	if (!res)
		goto cleanup;
	if (PQntuples(res) == 1) {
		char id[ID_LEN];
		db_col_copy(res, 0, "id", id, sizeof id);
		json_t *changes =
		    json_pack("{s:s, s:s}", "username", "admin", "role", "platform_admin");
		rc = audit_record(&r, NULL, NULL, "user.bootstrap", "user", id, changes);
		json_decref(changes);
	} else {
		rc = 0; /* there are users already: nothing to do */
	}
	PQclear(res);
cleanup:
	if (r.db) {
		if (db_tx_end(r.db, rc == 0, &r.err) != 0)
			rc = -1;
		db_release(r.db);
	}
	if (rc != 0 && r.err.status != 409)
		snprintf(err, errlen, "cannot create the bootstrap admin: %s",
		         r.err.code[0] ? r.err.code : "error");
	else
		rc = 0; /* 409: another instance created it first */
	err_clear(&r.err);
	return rc;
}
