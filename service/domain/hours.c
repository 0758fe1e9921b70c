/* A member's hours per ISO week (hours.h). */
#include "hours.h"

#include <string.h>

#include "auth/authz.h"
#include "body.h"
#include "lib/parse.h"
#include "list.h"
#include "resource.h"
#include "scope.h"

/* $3 the member. */
static struct list_stmt hours_list_stmt = LIST_STMT(
    "hours_doc(h)::text", "member_hours h", "dated_key(h.week_start, h.seq)", "h.member_id = $3");

static struct stmt hours_get_stmt =
    STMT("SELECT hours_doc(h)::text AS doc, h.row_version FROM member_hours h"
         " WHERE h.id = $1 AND ($2::uuid IS NULL OR h.cooperative_id = $2)"
         "   AND ($3::uuid IS NULL OR h.member_id = $3)");

/* $1 the body (week_start for week), $2 the member, $3 its cooperative, $4 the user. */
static struct stmt hours_insert =
    STMT("INSERT INTO member_hours AS h (member_id, cooperative_id, created_by, week_start,"
         "  business_hours, jobsearch_hours, applications)"
         " SELECT $2, $3, $4, b.week_start, coalesce(b.business_hours, 0),"
         "  coalesce(b.jobsearch_hours, 0), coalesce(b.applications, 0)"
         " FROM jsonb_populate_record(NULL::member_hours, $1::jsonb) b"
         " RETURNING hours_doc(h)::text AS doc, h.id, h.row_version");

/* A member corrects its own weeks only: $3 the member scope. */
static struct stmt hours_lock =
    STMT("SELECT h.row_version, h.cooperative_id FROM member_hours h"
         " WHERE h.id = $1 AND ($2::uuid IS NULL OR h.cooperative_id = $2)"
         "   AND ($3::uuid IS NULL OR h.member_id = $3) FOR UPDATE");

#define HOURS_COLUMNS "business_hours, jobsearch_hours, applications"
static struct stmt hours_update =
    STMT(UPDATE_FROM_BODY("member_hours", "h", HOURS_COLUMNS, "hours_doc"));

#define HOURS_FIELDS                                                                               \
	{"business_hours", F_STRING, 0, 1, 6, NULL}, {"jobsearch_hours", F_STRING, 0, 1, 6, NULL}, \
	    {"applications", F_INT, 0, 0, 1000, NULL},                                             \
	{                                                                                          \
		NULL, 0, 0, 0, 0, NULL                                                             \
	}

const struct field hours_create_fields[] = {{"week", F_STRING, FIELD_REQUIRED, 8, 8, NULL},
                                            HOURS_FIELDS};
const struct field hours_patch_fields[] = {HOURS_FIELDS};

/* Hours are decimal strings ("12.5") of 0 to 168 with at most 2 decimals; the two kinds
 * together at most 168 a week (the database checks the sum against the stored values too). */
static void check_hours(struct req *r)
{
	const char *kinds[] = {"business_hours", "jobsearch_hours"};
	for (int i = 0; i < 2; i++) {
		const char *v = body_str(r, kinds[i]);
		if (v && parse_decimal(v, 2, 16800, 0, NULL) != 0)
			err_field(
			    &r->err, kinds[i], "invalid_value",
			    "must be a number of hours from 0 to 168 with at most 2 decimals, "
			    "like \"12.5\"");
	}
}

int hours_list(struct req *r)
{
	return list_children(r, member_open, &hours_list_stmt);
}

int hours_get(struct req *r)
{
	return get_in_scope(r, &hours_get_stmt);
}

int hours_create_check(struct req *r)
{
	check_hours(r);
	char monday[11], today[11];
	const char *week = body_str(r, "week");
	if (!week) {
		/* absent or not a string: the field table says so */
	} else if (parse_iso_week(week, monday) != 0) {
		err_field(&r->err, "week", "invalid_value",
		          "must be an ISO week YYYY-Www that exists, like \"2026-W05\"");
	} else {
		today_amsterdam(today);
		if (strcmp(monday, today) > 0)
			err_field(&r->err, "week", "invalid_value", "must not lie in the future");
		json_object_set_new(r->body, "week_start", json_string(monday));
	}
	return r->err.status ? -1 : 0;
}

int hours_patch_check(struct req *r)
{
	check_hours(r);
	return r->err.status ? -1 : 0;
}

int hours_create(struct req *r)
{
	/* hours_create_check has run (routes.c) and set week_start */
	return write_member_record(r, &hours_insert, "/v1/hours", "hours.create", "hours");
}

int hours_patch(struct req *r)
{
	/* hours_patch_check has run (routes.c) */
	PGresult *row;
	const char *lp[] = {r->params[0], scope_coop(&r->who), scope_member(&r->who)};
	if (lock_one(r, &hours_lock, 3, lp, &row) != 0)
		return -1;
	char coop[ID_LEN];
	db_col_copy(row, 0, "cooperative_id", coop, sizeof coop);
	PQclear(row);
	struct write_info w = {"hours.update", "hours", coop, NULL};
	return write_body(r, &hours_update, r->params[0], 200, NULL, &w);
}
