/* Municipal permissions of a member (permissions.h). */
#include "permissions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authz.h"
#include "body.h"
#include "lib/parse.h"
#include "list.h"
#include "resource.h"
#include "scope.h"

/* $3 the member. */
static struct list_stmt permission_list =
    LIST_STMT("permission_doc(p)::text", "permissions p", "dated_key(p.valid_from, p.seq)",
              "p.member_id = $3");

static struct stmt permission_get =
    STMT("SELECT permission_doc(p)::text AS doc, p.row_version FROM permissions p"
         " WHERE p.id = $1 AND ($2::uuid IS NULL OR p.cooperative_id = $2)"
         "   AND ($3::uuid IS NULL OR p.member_id = $3)");

/* Whether valid_until stays within the permission_max_months of the policy in force at
 * valid_from ($1 municipality, $2 valid_from, $3 valid_until); and that maximum. */
static struct stmt permission_length =
    STMT("SELECT $3::date < ($2::date + make_interval(months => m.n))::date AS fits,"
         "  m.n AS max_months"
         " FROM (SELECT coalesce((SELECT p.permission_max_months FROM municipal_policies p"
         "   WHERE p.municipality_code = $1 AND p.valid_from <= $2::date"
         "   ORDER BY p.valid_from DESC LIMIT 1), 12) AS n) m");

static struct stmt permission_of_member =
    STMT("SELECT 1 FROM permissions WHERE id = $1 AND member_id = $2");

/* $1 the body, $2 the member, $3 its cooperative. */
static struct stmt permission_insert =
    STMT("INSERT INTO permissions AS p (member_id, cooperative_id, municipality_code,"
         "  decision_reference, valid_from, valid_until, goal, business_hours_per_week,"
         "  jobsearch_hours_per_week, exemption_from, exemption_until, renews_permission_id)"
         " SELECT $2, $3, b.municipality_code, b.decision_reference, b.valid_from, b.valid_until,"
         "  b.goal, b.business_hours_per_week, b.jobsearch_hours_per_week, b.exemption_from,"
         "  b.exemption_until, b.renews_permission_id"
         " FROM jsonb_populate_record(NULL::permissions, $1::jsonb) b"
         " RETURNING permission_doc(p)::text AS doc, p.id, p.row_version");

static struct stmt permission_lock =
    STMT("SELECT p.row_version, p.cooperative_id, p.revoked_on IS NOT NULL AS revoked,"
         "  p.valid_from, p.valid_until, p.municipality_code FROM permissions p"
         " WHERE p.id = $1 AND ($2::uuid IS NULL OR p.cooperative_id = $2) FOR UPDATE");

static struct stmt permission_revoke =
    STMT("UPDATE permissions p SET revoked_on = $2::date, revocation_reason = $3,"
         "  row_version = p.row_version + 1, updated_at = now()"
         " WHERE p.id = $1 RETURNING permission_doc(p)::text AS doc, p.id, p.row_version");

static const char *const goals[] = {"reintegration", "social_activation", NULL};

const struct field permissions_create_fields[] = {
    {"municipality_code", F_STRING, FIELD_REQUIRED, 0, 0, NULL},
    {"decision_reference", F_STRING, FIELD_REQUIRED, 1, 100, NULL},
    {"valid_from", F_DATE, FIELD_REQUIRED, 0, 0, NULL},
    {"valid_until", F_DATE, FIELD_REQUIRED, 0, 0, NULL},
    {"goal", F_ENUM, FIELD_REQUIRED, 0, 0, goals},
    {"business_hours_per_week", F_STRING, FIELD_NULLABLE, 1, 12, NULL},
    {"jobsearch_hours_per_week", F_STRING, FIELD_NULLABLE, 1, 12, NULL},
    {"exemption_from", F_STRING, FIELD_NULLABLE, 7, 7, NULL},
    {"exemption_until", F_STRING, FIELD_NULLABLE, 7, 7, NULL},
    {"renews_permission_id", F_UUID, FIELD_NULLABLE, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static void check_permission_body(struct req *r)
{
	check_identifiers(r);
	const char *hours[] = {"business_hours_per_week", "jobsearch_hours_per_week"};
	for (int i = 0; i < 2; i++) {
		const char *v = body_str(r, hours[i]);
		if (v && parse_decimal(v, 3, DECIMAL3_LIMIT, 0, NULL) != 0)
			err_field(
			    &r->err, hours[i], "invalid_value",
			    "must be a decimal number with at most 3 decimals, like \"12.5\"");
	}
	const char *from = body_str(r, "valid_from"), *until = body_str(r, "valid_until");
	if (from && until && strcmp(until, from) < 0)
		err_field(&r->err, "valid_until", "invalid_value", "must not be before valid_from");

	/* The exemption window: whole months, both ends or neither, inside the permission. */
	const char *ef = body_str(r, "exemption_from"), *eu = body_str(r, "exemption_until");
	if (!ef != !eu) {
		err_field(&r->err, ef ? "exemption_until" : "exemption_from", "required",
		          "the exemption window needs both exemption_from and exemption_until");
		return;
	}
	if (!ef)
		return;
	char efd[11], eud[11];
	int bad = 0;
	if (parse_month(ef, strlen(ef), efd) != 0) {
		err_field(&r->err, "exemption_from", "invalid_value", "must be a month YYYY-MM");
		bad = 1;
	}
	if (parse_month(eu, strlen(eu), eud) != 0) {
		err_field(&r->err, "exemption_until", "invalid_value", "must be a month YYYY-MM");
		bad = 1;
	}
	if (bad || !from || !until)
		return;
	if (strcmp(eud, efd) < 0)
		err_field(&r->err, "exemption_until", "invalid_value",
		          "must not be before exemption_from");
	else if (strncmp(ef, from, 7) < 0 || strncmp(eu, until, 7) > 0)
		err_field(&r->err, "exemption_from", "invalid_value",
		          "the exemption window must lie inside the permission's months");
	json_object_set_new(r->body, "exemption_from", json_string(efd));
	json_object_set_new(r->body, "exemption_until", json_string(eud));
}

int permissions_list(struct req *r)
{
	return list_children(r, member_open, &permission_list);
}

int permissions_get(struct req *r)
{
	return get_in_scope(r, &permission_get);
}

/* The permission's length is within what the municipality grants. */
static int check_length(struct req *r, const char *muni)
{
	const char *p[] = {muni, body_str(r, "valid_from"), body_str(r, "valid_until")};
	PGresult *res = db_exec(r->db, &permission_length, 3, p, &r->err);
	if (!res)
		return -1;
	int fits = db_col_true(res, 0, "fits");
	int max_months = (int)db_col_ll(res, 0, "max_months");
	PQclear(res);
	if (!fits)
		err_set(&r->err, 422, "permission_too_long",
		        "the municipality grants permissions of at most %d months", max_months);
	return fits ? 0 : -1;
}

int permissions_create_check(struct req *r)
{
	check_permission_body(r);
	return r->err.status ? -1 : 0;
}

int permissions_create(struct req *r)
{
	/* permissions_create_check has run (routes.c) */
	char coop[ID_LEN], member_muni[8];
	if (member_open_for_update(r, coop, member_muni) != 0)
		return -1;
	const char *muni = body_str(r, "municipality_code");
	if (strcmp(muni, member_muni) != 0) {
		err_set(&r->err, 422, "municipality_mismatch",
		        "a permission must come from the member's own municipality (%s)",
		        member_muni);
		return -1;
	}
	if (check_length(r, muni) != 0)
		return -1;
	const char *renews = body_str(r, "renews_permission_id");
	const char *rp[] = {renews, r->params[0]};
	if (renews && require_ref(r, &permission_of_member, 2, rp, "renews_permission_id") != 0)
		return -1;
	char *body = body_text(r);
	if (!body)
		return -1;
	const char *p[] = {body, r->params[0], coop};
	struct write_info w = {"permission.create", "permission", coop, muni};
	int rc = write_one(r, &permission_insert, 3, p, 201, "/v1/permissions", &w, r->body);
	free(body);
	return rc;
}

const struct field permissions_revoke_fields[] = {
    {"revoked_on", F_DATE, FIELD_REQUIRED, 0, 0, NULL},
    {"reason", F_STRING, FIELD_REQUIRED, 1, 500, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int permissions_revoke(struct req *r)
{
	PGresult *row;
	char coop[ID_LEN], muni[8];
	if (lock_in_coop_municipality(r, &permission_lock, coop, muni, &row) != 0)
		return -1;
	int revoked = db_col_true(row, 0, "revoked");
	const char *on = body_str(r, "revoked_on");
	int outside = strcmp(on, db_col(row, 0, "valid_from")) < 0 ||
	              strcmp(on, db_col(row, 0, "valid_until")) > 0;
	PQclear(row);
	if (revoked) {
		err_set(&r->err, 409, "conflict", "the permission was revoked already");
		return -1;
	}
	if (outside) {
		err_field(&r->err, "revoked_on", "invalid_value",
		          "must lie between valid_from and valid_until");
		return -1;
	}
	const char *p[] = {r->params[0], on, body_str(r, "reason")};
	struct write_info w = {"permission.revoke", "permission", coop, muni};
	return write_one(r, &permission_revoke, 3, p, 200, NULL, &w, r->body);
}
