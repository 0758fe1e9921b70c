/* Members (leden) of a cooperative (members.h). */
#include "members.h"

#include <stdio.h>
#include <string.h>

#include "body.h"
#include "list.h"
#include "resource.h"
#include "scope.h"

/* $3 cooperative, then the filters status, municipality_code, on_benefit, activity_category. */
static struct list_stmt member_list = LIST_STMT_CSV(
    "member_doc(m)::text",
    "m.id, m.cooperative_id, m.first_name, m.last_name, m.date_of_birth, m.street, m.house_number,"
    "  m.postal_code, m.city, m.country, m.email, m.phone, m.iban, m.municipality_code,"
    "  m.municipal_reference, m.on_benefit, m.activity_description, m.activity_category,"
    "  m.status, m.joined_on, m.left_on, m.exit_reason,"
    "  rfc3339(m.created_at) AS created_at, rfc3339(m.updated_at) AS updated_at",
    "members m", "m.seq",
    "m.cooperative_id = $3 AND ($4::text IS NULL OR m.status = $4)"
    " AND ($5::text IS NULL OR m.municipality_code = $5)"
    " AND ($6::boolean IS NULL OR m.on_benefit = $6)"
    " AND ($7::text IS NULL OR m.activity_category = $7)");

/* $2 cooperative scope, $3 member scope (NULL: not confined). Also the benchmark's statement. */
static struct stmt member_get =
    STMT("SELECT member_doc(m)::text AS doc, m.row_version FROM members m"
         " WHERE m.id = $1 AND ($2::uuid IS NULL OR m.cooperative_id = $2)"
         "   AND ($3::uuid IS NULL OR m.id = $3)");

#define MEMBER_COLUMNS                                                                             \
	"first_name, last_name, date_of_birth, street, house_number, postal_code, city, country,"  \
	" email, phone, iban, municipality_code, municipal_reference, on_benefit,"                 \
	" activity_description, activity_category, status, joined_on, left_on, exit_reason"

/* $1 the body, $2 the cooperative. */
static struct stmt member_insert =
    STMT(INSERT_FROM_BODY("members", "m", MEMBER_COLUMNS, "member_doc"));

static struct stmt member_lock =
    STMT("SELECT m.row_version, m.cooperative_id, m.status, m.joined_on, m.left_on, m.exit_reason"
         " FROM members m WHERE m.id = $1 AND ($2::uuid IS NULL OR m.cooperative_id = $2)"
         " FOR UPDATE");

/* $1 the body, $2 the member. */
static struct stmt member_update =
    STMT(UPDATE_FROM_BODY("members", "m", MEMBER_COLUMNS, "member_doc"));

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

const struct field members_create_fields[] = {
    MEMBER_FIELDS(FIELD_REQUIRED),
    {NULL, 0, 0, 0, 0, NULL},
};

const struct field members_patch_fields[] = {
    MEMBER_FIELDS(0),
    {"left_on", F_DATE, FIELD_NULLABLE, 0, 0, NULL},
    {"exit_reason", F_ENUM, FIELD_NULLABLE, 0, 0, exit_reasons},
    {NULL, 0, 0, 0, 0, NULL},
};

static int check_member_body(struct req *r, int creating)
{
	flatten_address(r, creating);
	check_identifiers(r);
	check_activity_category(r);
	return r->err.status ? -1 : 0;
}

int members_create_check(struct req *r)
{
	check_member_body(r, 1);
	/* A member starts as applicant, or active with a joined_on (SPEC §9). */
	const char *status = body_str(r, "status");
	if (status && strcmp(status, "applicant") != 0 && strcmp(status, "active") != 0)
		err_field(&r->err, "status", "invalid_value",
		          "a new member is applicant or active");
	if (status && strcmp(status, "active") == 0 && !body_has(r, "joined_on"))
		err_field(&r->err, "joined_on", "required", "is required for an active member");
	return r->err.status ? -1 : 0;
}

int members_patch_check(struct req *r)
{
	return check_member_body(r, 0);
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
	return list_query(r, &member_list, 5, f);
}

int members_create(struct req *r)
{
	/* members_create_check has run (routes.c) */
	if (!json_object_get(r->body, "status"))
		json_object_set_new(r->body, "status", json_string("applicant"));
	if (!json_object_get(r->body, "on_benefit"))
		json_object_set_new(r->body, "on_benefit", json_true());
	if (r->err.status || coop_open(r, r->params[0]) != 0 || require_municipality_ref(r) != 0)
		return -1;
	struct write_info w = {"member.create", "member", r->params[0], NULL};
	return write_body(r, &member_insert, r->params[0], 201, "/v1/members", &w);
}

int members_get(struct req *r)
{
	return get_in_scope(r, &member_get);
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

/* The value a field will have after the change: the body's, else the locked row's column of the
 * same name. */
static int will_have(struct req *r, const PGresult *row, const char *field)
{
	if (json_object_get(r->body, field))
		return body_has(r, field);
	return db_col(row, 0, field) != NULL;
}

int members_patch(struct req *r)
{
	/* members_patch_check has run (routes.c); what depends on the stored row is checked here */
	PGresult *row;
	char coop[ID_LEN];
	if (lock_in_coop(r, &member_lock, coop, &row) != 0)
		return -1;
	const char *from = db_col(row, 0, "status");
	const char *to = body_str(r, "status") ? body_str(r, "status") : from;
	if (!transition_allowed(from, to)) {
		err_set(&r->err, 409, "invalid_status_transition",
		        "a member who is %s cannot become %s", from, to);
		PQclear(row);
		return -1;
	}
	if (strcmp(to, "applicant") != 0 && !will_have(r, row, "joined_on"))
		err_field(&r->err, "joined_on", "required", "is required for this status");
	if (strcmp(to, "ended") == 0) {
		if (!will_have(r, row, "left_on"))
			err_field(&r->err, "left_on", "required",
			          "is required to end a membership");
		if (!will_have(r, row, "exit_reason"))
			err_field(&r->err, "exit_reason", "required",
			          "is required to end a membership");
	}
	PQclear(row);
	if (r->err.status || require_municipality_ref(r) != 0)
		return -1;
	struct write_info w = {"member.update", "member", coop, NULL};
	return write_body(r, &member_update, r->params[0], 200, NULL, &w);
}
