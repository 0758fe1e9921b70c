#include "members.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authz.h"
#include "common.h"

/* ---- members --------------------------------------------------------------------------------- */

#define MEMBER_FILTERS                                                                             \
	" AND ($4::text IS NULL OR m.status = $4)"                                                 \
	" AND ($5::text IS NULL OR m.municipality_code = $5)"                                      \
	" AND ($6::boolean IS NULL OR m.on_benefit = $6)"                                          \
	" AND ($7::text IS NULL OR m.activity_category = $7)"

static struct stmt member_list =
    STMT("SELECT member_doc(m)::text, m.seq FROM members m"
         " WHERE m.seq > $1 AND m.cooperative_id = $3" MEMBER_FILTERS " ORDER BY m.seq LIMIT $2");

/* The CSV export takes the filters only: $1 cooperative, $2.. as above shifted by two. */
static struct stmt member_csv = STMT(
    "SELECT m.id, m.first_name, m.last_name, m.date_of_birth, m.street, m.house_number,"
    "  m.postal_code, m.city, m.country, m.email, m.phone, m.iban, m.municipality_code,"
    "  m.municipal_reference, m.on_benefit, m.activity_description, m.activity_category,"
    "  m.status, m.joined_on, m.left_on, m.exit_reason,"
    "  rfc3339(m.created_at) AS created_at, rfc3339(m.updated_at) AS updated_at"
    " FROM members m WHERE m.cooperative_id = $1"
    " AND ($2::text IS NULL OR m.status = $2) AND ($3::text IS NULL OR m.municipality_code = $3)"
    " AND ($4::boolean IS NULL OR m.on_benefit = $4)"
    " AND ($5::text IS NULL OR m.activity_category = $5)"
    " ORDER BY m.seq");

/* $2 cooperative scope, $3 member scope (NULL: not confined). Also the benchmark's statement. */
static struct stmt member_get =
    STMT("SELECT member_doc(m)::text, m.row_version FROM members m"
         " WHERE m.id = $1 AND ($2::uuid IS NULL OR m.cooperative_id = $2)"
         "   AND ($3::uuid IS NULL OR m.id = $3)");

#define MEMBER_COLUMNS                                                                             \
	"first_name, last_name, date_of_birth, street, house_number, postal_code, city, country,"  \
	" email, phone, iban, municipality_code, municipal_reference, on_benefit,"                 \
	" activity_description, activity_category, status, joined_on, left_on, exit_reason"
#define MEMBER_VALUES                                                                              \
	"b.first_name, b.last_name, b.date_of_birth, b.street, b.house_number, b.postal_code,"     \
	" b.city, b.country, b.email, b.phone, b.iban, b.municipality_code,"                       \
	" b.municipal_reference, b.on_benefit, b.activity_description, b.activity_category,"       \
	" b.status, b.joined_on, b.left_on, b.exit_reason"

static struct stmt member_insert =
    STMT("INSERT INTO members AS m (cooperative_id, " MEMBER_COLUMNS ")"
         " SELECT $2, " MEMBER_VALUES " FROM jsonb_populate_record(NULL::members, $1::jsonb) b"
         " RETURNING member_doc(m)::text, m.id, m.row_version");

static struct stmt member_lock =
    STMT("SELECT m.row_version, m.cooperative_id, m.status, m.joined_on, m.left_on, m.exit_reason"
         " FROM members m WHERE m.id = $1 AND ($2::uuid IS NULL OR m.cooperative_id = $2)"
         " FOR UPDATE");

static struct stmt member_update =
    STMT("UPDATE members m SET (" MEMBER_COLUMNS ") = (SELECT " MEMBER_VALUES
         "   FROM jsonb_populate_record(m, $2::jsonb) b),"
         "  row_version = m.row_version + 1, updated_at = now()"
         " WHERE m.id = $1 RETURNING member_doc(m)::text, m.id, m.row_version");

static const char *const statuses[] = {"applicant", "active", "suspended", "ended", NULL};
static const char *const exit_reasons[] = {
    "employment", "full_time_business", "bbz", "other_income", "moved", "deceased", "other", NULL};

#define MEMBER_FIELDS(req)                                                                         \
	{"first_name", F_STRING, req, 1, 100, NULL}, {"last_name", F_STRING, req, 1, 100, NULL},   \
	    {"date_of_birth", F_DATE, req, 0, 0, NULL}, {"address", F_OBJECT, req, 0, 0, NULL},    \
	    {"email", F_STRING, FIELD_NULLABLE, 0, 254, NULL},                                     \
	    {"phone", F_STRING, FIELD_NULLABLE, 6, 20, NULL},                                      \
	    {"iban", F_STRING, FIELD_NULLABLE, 0, 0, NULL},                                        \
	    {"municipality_code", F_STRING, req, 0, 0, NULL},                                      \
	    {"municipal_reference", F_STRING, FIELD_NULLABLE, 1, 64, NULL},                        \
	    {"on_benefit", F_BOOL, 0, 0, 0, NULL},                                                 \
	    {"activity_description", F_STRING, FIELD_NULLABLE, 1, 500, NULL},                      \
	    {"activity_category", F_STRING, FIELD_NULLABLE, 1, 64, NULL},                          \
	    {"status", F_ENUM, 0, 0, 0, statuses},                                                 \
	{                                                                                          \
		"joined_on", F_DATE, FIELD_NULLABLE, 0, 0, NULL                                    \
	}

static const struct field member_create_fields[] = {
    MEMBER_FIELDS(FIELD_REQUIRED),
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct field member_patch_fields[] = {
    MEMBER_FIELDS(0),
    {"left_on", F_DATE, FIELD_NULLABLE, 0, 0, NULL},
    {"exit_reason", F_ENUM, FIELD_NULLABLE, 0, 0, exit_reasons},
    {NULL, 0, 0, 0, 0, NULL},
};

static int check_member_body(struct req *r, int creating)
{
	flatten_address(r, creating);
	check_identifiers(r);
	const char *cat = body_str(r, "activity_category");
	if (cat && !activity_category_valid(cat))
		err_field(&r->err, "activity_category", "invalid_value",
		          "must be 1 to 64 characters a-z, 0-9 and _");
	return r->err.status ? -1 : 0;
}

int members_list(struct req *r)
{
	if (coop_open(r, r->params[0]) != 0)
		return -1;
	char status[16], muni[16], benefit[8], cat[72];
	int has_status = req_query(r, "status", status, sizeof status);
	int has_muni = req_query(r, "municipality_code", muni, sizeof muni);
	int has_benefit = req_query(r, "on_benefit", benefit, sizeof benefit);
	int has_cat = req_query(r, "activity_category", cat, sizeof cat);
	int ok = has_status >= 0 && has_muni >= 0 && has_benefit >= 0 && has_cat >= 0;
	if (ok && has_status) {
		ok = 0;
		for (const char *const *s = statuses; *s; s++)
			ok |= strcmp(*s, status) == 0;
	}
	if (ok && has_benefit)
		ok = strcmp(benefit, "true") == 0 || strcmp(benefit, "false") == 0;
	if (!ok) {
		err_set(&r->err, 400, "invalid_parameter", "a filter has an invalid value");
		return -1;
	}
	const char *f[] = {r->params[0], has_status ? status : NULL, has_muni ? muni : NULL,
	                   has_benefit ? benefit : NULL, has_cat ? cat : NULL};
	return list_query(r, &member_list, &member_csv, 5, f);
}

int members_create(struct req *r)
{
	if (req_validate(r, member_create_fields) != 0 || check_member_body(r, 1) != 0)
		return -1;
	/* A member starts as applicant, or active with a joined_on (SPEC §9). */
	const char *status = body_str(r, "status");
	if (status && strcmp(status, "applicant") != 0 && strcmp(status, "active") != 0)
		err_field(&r->err, "status", "invalid_value",
		          "a new member is applicant or active");
	if (status && strcmp(status, "active") == 0 && !body_has(r, "joined_on"))
		err_field(&r->err, "joined_on", "required", "is required for an active member");
	if (!json_object_get(r->body, "status"))
		json_object_set_new(r->body, "status", json_string("applicant"));
	if (!json_object_get(r->body, "on_benefit"))
		json_object_set_new(r->body, "on_benefit", json_true());
	if (r->err.status || coop_open(r, r->params[0]) != 0 || require_municipality_ref(r) != 0)
		return -1;
	char *body = body_text(r);
	if (!body)
		return -1;
	const char *p[] = {body, r->params[0]};
	struct write_info w = {"member.create", "member", r->params[0], NULL};
	int rc = write_one(r, &member_insert, 2, p, 201, "/v1/members", &w, r->body);
	free(body);
	return rc;
}

int members_get(struct req *r)
{
	const char *p[] = {r->params[0], scope_coop(&r->who), scope_member(&r->who)};
	return get_one(r, &member_get, 3, p);
}

static int transition_allowed(const char *from, const char *to)
{
	if (strcmp(from, to) == 0)
		return 1;
	if (strcmp(from, "applicant") == 0)
		return strcmp(to, "active") == 0;
	if (strcmp(from, "active") == 0)
		return strcmp(to, "suspended") == 0 || strcmp(to, "ended") == 0;
	if (strcmp(from, "suspended") == 0)
		return strcmp(to, "active") == 0 || strcmp(to, "ended") == 0;
	return 0;
}

/* The value a field will have after the change: the body's, else the row's (column col). */
static int will_have(struct req *r, const PGresult *row, const char *field, int col)
{
	if (json_object_get(r->body, field))
		return body_has(r, field);
	return !PQgetisnull(row, 0, col);
}

int members_patch(struct req *r)
{
	if (req_validate(r, member_patch_fields) != 0 || check_member_body(r, 0) != 0 || !req_db(r))
		return -1;
	PGresult *row;
	const char *lp[] = {r->params[0], scope_coop(&r->who)};
	if (lock_one(r, &member_lock, 2, lp, &row) != 0)
		return -1;
	char coop[ID_LEN];
	snprintf(coop, sizeof coop, "%s", PQgetvalue(row, 0, 1));
	const char *from = PQgetvalue(row, 0, 2);
	const char *to = body_str(r, "status") ? body_str(r, "status") : from;
	if (!transition_allowed(from, to)) {
		err_set(&r->err, 409, "invalid_status_transition",
		        "a member who is %s cannot become %s", from, to);
		PQclear(row);
		return -1;
	}
	if (strcmp(to, "applicant") != 0 && !will_have(r, row, "joined_on", 3))
		err_field(&r->err, "joined_on", "required", "is required for this status");
	if (strcmp(to, "ended") == 0) {
		if (!will_have(r, row, "left_on", 4))
			err_field(&r->err, "left_on", "required",
			          "is required to end a membership");
		if (!will_have(r, row, "exit_reason", 5))
			err_field(&r->err, "exit_reason", "required",
			          "is required to end a membership");
	}
	PQclear(row);
	if (r->err.status || require_municipality_ref(r) != 0)
		return -1;
	char *body = body_text(r);
	if (!body)
		return -1;
	const char *p[] = {r->params[0], body};
	struct write_info w = {"member.update", "member", coop, NULL};
	int rc = write_one(r, &member_update, 2, p, 200, NULL, &w, r->body);
	free(body);
	return rc;
}

/* ---- permissions ----------------------------------------------------------------------------- */

static struct stmt permission_list =
    STMT("SELECT permission_doc(p)::text, dated_key(p.valid_from, p.seq) FROM permissions p"
         " WHERE dated_key(p.valid_from, p.seq) > $1 AND p.member_id = $3 ORDER BY 2 LIMIT $2");

static struct stmt permission_get =
    STMT("SELECT permission_doc(p)::text, p.row_version FROM permissions p"
         " WHERE p.id = $1 AND ($2::uuid IS NULL OR p.cooperative_id = $2)"
         "   AND ($3::uuid IS NULL OR p.member_id = $3)");

/* Locks the member: permissions of one member are written one at a time. */
static struct stmt member_for_permission =
    STMT("SELECT m.cooperative_id, m.municipality_code FROM members m"
         " WHERE m.id = $1 AND ($2::uuid IS NULL OR m.cooperative_id = $2) FOR UPDATE");

/* Whether valid_until stays within the permission_max_months of the policy in force at
 * valid_from ($1 municipality, $2 valid_from, $3 valid_until); and that maximum. */
static struct stmt permission_length =
    STMT("SELECT $3::date < ($2::date + make_interval(months => m.n))::date, m.n"
         " FROM (SELECT coalesce((SELECT p.permission_max_months FROM municipal_policies p"
         "   WHERE p.municipality_code = $1 AND p.valid_from <= $2::date"
         "   ORDER BY p.valid_from DESC LIMIT 1), 12) AS n) m");

static struct stmt permission_of_member =
    STMT("SELECT 1 FROM permissions WHERE id = $1 AND member_id = $2");

static struct stmt permission_insert =
    STMT("INSERT INTO permissions AS p (member_id, cooperative_id, municipality_code,"
         "  decision_reference, valid_from, valid_until, goal, business_hours_per_week,"
         "  jobsearch_hours_per_week, exemption_from, exemption_until, renews_permission_id)"
         " SELECT $2, $3, b.municipality_code, b.decision_reference, b.valid_from, b.valid_until,"
         "  b.goal, b.business_hours_per_week, b.jobsearch_hours_per_week, b.exemption_from,"
         "  b.exemption_until, b.renews_permission_id"
         " FROM jsonb_populate_record(NULL::permissions, $1::jsonb) b"
         " RETURNING permission_doc(p)::text, p.id, p.row_version");

static struct stmt permission_lock =
    STMT("SELECT p.row_version, p.cooperative_id, p.revoked_on IS NOT NULL, p.valid_from,"
         "  p.valid_until, p.municipality_code FROM permissions p"
         " WHERE p.id = $1 AND ($2::uuid IS NULL OR p.cooperative_id = $2) FOR UPDATE");

static struct stmt permission_revoke =
    STMT("UPDATE permissions p SET revoked_on = $2::date, revocation_reason = $3,"
         "  row_version = p.row_version + 1, updated_at = now()"
         " WHERE p.id = $1 RETURNING permission_doc(p)::text, p.id, p.row_version");

static const char *const goals[] = {"reintegration", "social_activation", NULL};

static const struct field permission_fields[] = {
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

/* "YYYY-MM" → "YYYY-MM-01" in out (>= 11 bytes); 0 or -1. */
static int month_to_date(const char *m, char *out)
{
	if (strlen(m) != 7 || m[4] != '-')
		return -1;
	for (int i = 0; i < 7; i++)
		if (i != 4 && (m[i] < '0' || m[i] > '9'))
			return -1;
	int month = (m[5] - '0') * 10 + (m[6] - '0');
	if (month < 1 || month > 12 || m[0] == '0')
		return -1;
	snprintf(out, 11, "%s-01", m);
	return 0;
}

static void check_permission_body(struct req *r)
{
	check_identifiers(r);
	const char *hours[] = {"business_hours_per_week", "jobsearch_hours_per_week"};
	for (int i = 0; i < 2; i++) {
		const char *v = body_str(r, hours[i]);
		if (v && !decimal3_valid(v))
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
	if (month_to_date(ef, efd) != 0) {
		err_field(&r->err, "exemption_from", "invalid_value", "must be a month YYYY-MM");
		bad = 1;
	}
	if (month_to_date(eu, eud) != 0) {
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
	/* The member must be visible: its own record for a member, its cooperative's otherwise. */
	const char *p[] = {r->params[0], scope_coop(&r->who), scope_member(&r->who)};
	if (require_row(r, &member_get, 3, p) != 0)
		return -1;
	const char *f[] = {r->params[0]};
	return list_query(r, &permission_list, NULL, 1, f);
}

int permissions_get(struct req *r)
{
	const char *p[] = {r->params[0], scope_coop(&r->who), scope_member(&r->who)};
	return get_one(r, &permission_get, 3, p);
}

int permissions_create(struct req *r)
{
	if (req_validate(r, permission_fields) != 0)
		return -1;
	check_permission_body(r);
	if (r->err.status || !req_db(r))
		return -1;
	const char *mp[] = {r->params[0], scope_coop(&r->who)};
	PGresult *res = db_exec(r->db, &member_for_permission, 2, mp, &r->err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return not_found(r);
	}
	char coop[ID_LEN], member_muni[8];
	snprintf(coop, sizeof coop, "%s", PQgetvalue(res, 0, 0));
	snprintf(member_muni, sizeof member_muni, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);

	const char *muni = body_str(r, "municipality_code");
	if (strcmp(muni, member_muni) != 0) {
		err_set(&r->err, 422, "municipality_mismatch",
		        "a permission must come from the member's own municipality (%s)",
		        member_muni);
		return -1;
	}
	const char *lp[] = {muni, body_str(r, "valid_from"), body_str(r, "valid_until")};
	res = db_exec(r->db, &permission_length, 3, lp, &r->err);
	if (!res)
		return -1;
	int fits = PQgetvalue(res, 0, 0)[0] == 't';
	int max_months = (int)db_ll(res, 0, 1);
	PQclear(res);
	if (!fits) {
		err_set(&r->err, 422, "permission_too_long",
		        "the municipality grants permissions of at most %d months", max_months);
		return -1;
	}
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

static const struct field revoke_fields[] = {
    {"revoked_on", F_DATE, FIELD_REQUIRED, 0, 0, NULL},
    {"reason", F_STRING, FIELD_REQUIRED, 1, 500, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int permissions_revoke(struct req *r)
{
	if (req_validate(r, revoke_fields) != 0 || !req_db(r))
		return -1;
	PGresult *row;
	const char *lp[] = {r->params[0], scope_coop(&r->who)};
	if (lock_one(r, &permission_lock, 2, lp, &row) != 0)
		return -1;
	char coop[ID_LEN], muni[8];
	snprintf(coop, sizeof coop, "%s", PQgetvalue(row, 0, 1));
	snprintf(muni, sizeof muni, "%s", PQgetvalue(row, 0, 5));
	int revoked = PQgetvalue(row, 0, 2)[0] == 't';
	const char *on = body_str(r, "revoked_on");
	int outside =
	    strcmp(on, PQgetvalue(row, 0, 3)) < 0 || strcmp(on, PQgetvalue(row, 0, 4)) > 0;
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

/* ---- customers ------------------------------------------------------------------------------- */

static struct stmt customer_list =
    STMT("SELECT customer_doc(c)::text, c.seq FROM customers c"
         " WHERE c.seq > $1 AND c.cooperative_id = $3"
         "   AND ($4::text IS NULL OR strpos(lower(c.name), lower($4)) > 0)"
         " ORDER BY c.seq LIMIT $2");

static struct stmt customer_csv =
    STMT("SELECT c.id, c.name, c.street, c.house_number, c.postal_code, c.city, c.country,"
         "  c.kvk_number, c.vat_id, c.email, c.peppol_id, c.payment_terms_days,"
         "  rfc3339(c.created_at) AS created_at, rfc3339(c.updated_at) AS updated_at"
         " FROM customers c WHERE c.cooperative_id = $1"
         "   AND ($2::text IS NULL OR strpos(lower(c.name), lower($2)) > 0)"
         " ORDER BY c.seq");

static struct stmt customer_get =
    STMT("SELECT customer_doc(c)::text, c.row_version FROM customers c"
         " WHERE c.id = $1 AND ($2::uuid IS NULL OR c.cooperative_id = $2)");

#define CUSTOMER_COLUMNS                                                                           \
	"name, street, house_number, postal_code, city, country, kvk_number, vat_id, email,"       \
	" peppol_id, payment_terms_days"
#define CUSTOMER_VALUES                                                                            \
	"b.name, b.street, b.house_number, b.postal_code, b.city, b.country, b.kvk_number,"        \
	" b.vat_id, b.email, b.peppol_id, b.payment_terms_days"

static struct stmt customer_insert =
    STMT("INSERT INTO customers AS c (cooperative_id, " CUSTOMER_COLUMNS ")"
         " SELECT $2, " CUSTOMER_VALUES " FROM jsonb_populate_record(NULL::customers, $1::jsonb) b"
         " RETURNING customer_doc(c)::text, c.id, c.row_version");

static struct stmt customer_lock =
    STMT("SELECT c.row_version, c.cooperative_id FROM customers c"
         " WHERE c.id = $1 AND ($2::uuid IS NULL OR c.cooperative_id = $2) FOR UPDATE");

static struct stmt customer_update =
    STMT("UPDATE customers c SET (" CUSTOMER_COLUMNS ") = (SELECT " CUSTOMER_VALUES
         "   FROM jsonb_populate_record(c, $2::jsonb) b),"
         "  row_version = c.row_version + 1, updated_at = now()"
         " WHERE c.id = $1 RETURNING customer_doc(c)::text, c.id, c.row_version");

#define CUSTOMER_FIELDS(req)                                                                       \
	{"name", F_STRING, req, 1, 200, NULL}, {"address", F_OBJECT, FIELD_NULLABLE, 0, 0, NULL},  \
	    {"kvk_number", F_STRING, FIELD_NULLABLE, 0, 0, NULL},                                  \
	    {"vat_id", F_STRING, FIELD_NULLABLE, 0, 0, NULL},                                      \
	    {"email", F_STRING, FIELD_NULLABLE, 0, 254, NULL},                                     \
	    {"peppol_id", F_STRING, FIELD_NULLABLE, 6, 69, NULL},                                  \
	    {"payment_terms_days", F_INT, 0, 0, 365, NULL},                                        \
	{                                                                                          \
		NULL, 0, 0, 0, 0, NULL                                                             \
	}

static const struct field customer_create_fields[] = {CUSTOMER_FIELDS(FIELD_REQUIRED)};
static const struct field customer_patch_fields[] = {CUSTOMER_FIELDS(0)};

/* "0106:12345678": a four-digit scheme, a colon and the identifier. */
static int peppol_id_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 6 || n > 69 || s[4] != ':')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (i < 4 ? !(c >= '0' && c <= '9')
		          : i > 4 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		                       (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int check_customer_body(struct req *r, int creating)
{
	flatten_address(r, 0);
	check_identifiers(r);
	const char *peppol = body_str(r, "peppol_id");
	if (peppol && !peppol_id_valid(peppol))
		err_field(&r->err, "peppol_id", "invalid_value",
		          "must be a Peppol participant id like 0106:12345678");
	if (creating && !json_object_get(r->body, "payment_terms_days"))
		json_object_set_new(r->body, "payment_terms_days", json_integer(30));
	return r->err.status ? -1 : 0;
}

int customers_list(struct req *r)
{
	if (coop_open(r, r->params[0]) != 0)
		return -1;
	char name[128];
	int has_name = req_query(r, "name", name, sizeof name);
	if (has_name < 0) {
		err_set(&r->err, 400, "invalid_parameter", "name is too long");
		return -1;
	}
	const char *f[] = {r->params[0], has_name ? name : NULL};
	return list_query(r, &customer_list, &customer_csv, 2, f);
}

int customers_create(struct req *r)
{
	if (req_validate(r, customer_create_fields) != 0 || check_customer_body(r, 1) != 0 ||
	    coop_open(r, r->params[0]) != 0)
		return -1;
	char *body = body_text(r);
	if (!body)
		return -1;
	const char *p[] = {body, r->params[0]};
	struct write_info w = {"customer.create", "customer", r->params[0], NULL};
	int rc = write_one(r, &customer_insert, 2, p, 201, "/v1/customers", &w, r->body);
	free(body);
	return rc;
}

int customers_get(struct req *r)
{
	const char *p[] = {r->params[0], scope_coop(&r->who)};
	return get_one(r, &customer_get, 2, p);
}

int customers_patch(struct req *r)
{
	if (req_validate(r, customer_patch_fields) != 0 || check_customer_body(r, 0) != 0 ||
	    !req_db(r))
		return -1;
	PGresult *row;
	const char *lp[] = {r->params[0], scope_coop(&r->who)};
	if (lock_one(r, &customer_lock, 2, lp, &row) != 0)
		return -1;
	char coop[ID_LEN];
	snprintf(coop, sizeof coop, "%s", PQgetvalue(row, 0, 1));
	PQclear(row);
	char *body = body_text(r);
	if (!body)
		return -1;
	const char *p[] = {r->params[0], body};
	struct write_info w = {"customer.update", "customer", coop, NULL};
	int rc = write_one(r, &customer_update, 2, p, 200, NULL, &w, r->body);
	free(body);
	return rc;
}
