/* The municipal view (municipal_view.h). */
#include "municipal_view.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "list.h"
#include "scope.h"

/* Residents ($3 the municipality), by member; $4 and $5 as LOGGED_LIST says. The CSV form has
 * the JSON form's fields, the permission's as permission_* columns; its FROM adds the lateral that
 * flattens the item. */
#define RESIDENTS_FROM  "members m"
#define RESIDENTS_WHERE "municipal_resident(m, $3)"
static struct logged_list residents_list = LOGGED_LIST(
    "municipal_resident_doc(m)::text",
    "x.member_id, x.first_name, x.last_name, x.municipal_reference, x.cooperative_id,"
    "  x.cooperative_name, x.status, x.permission ->> 'id' AS permission_id,"
    "  x.permission ->> 'municipality_code' AS permission_municipality_code,"
    "  x.permission ->> 'valid_from' AS permission_valid_from,"
    "  x.permission ->> 'valid_until' AS permission_valid_until,"
    "  x.permission ->> 'goal' AS permission_goal,"
    "  x.permission ->> 'status' AS permission_status, x.exemption_from, x.exemption_until",
    RESIDENTS_FROM
    " CROSS JOIN LATERAL json_to_record(municipal_resident_doc(m)) AS x(member_id uuid,"
    " first_name text, last_name text, municipal_reference text, cooperative_id uuid,"
    " cooperative_name text, status text, permission json, exemption_from text,"
    " exemption_until text)",
    "m.seq", "m.cooperative_id", "m.id", RESIDENTS_FROM, "m.seq", RESIDENTS_WHERE, "residents.read",
    "member", "$4", "$5");

/* The finalized reconciliations of a year ($3 the municipality, $4 the year; $5 and $6 as
 * LOGGED_LIST says) with a month that settled with the municipality, by reconciliation. The CSV
 * form has one row per such month (its FROM adds the months, its key orders them within their
 * reconciliation): the reconciliation's fields, then the month's; the months' difference_cents
 * add up to the item's. */
#define RECONCILIATIONS_FROM                                                                       \
	"reconciliations x CROSS JOIN LATERAL municipal_reconciliation(x, $3) AS d(doc)"
#define RECONCILIATIONS_WHERE "x.status = 'final' AND x.year = $4::integer"
static struct logged_list reconciliations_list = LOGGED_LIST(
    "d.doc::text",
    "x.id AS reconciliation_id, x.member_id, d.doc ->> 'municipal_reference' AS"
    "  municipal_reference, x.cooperative_id, x.year, d.doc ->> 'finalized_at' AS finalized_at,"
    "  d.doc ->> 'outcome' AS outcome, e.month ->> 'period' AS period,"
    "  e.month ->> 'base_cents' AS base_cents,"
    "  e.month ->> 'provisional_net_income_cents' AS provisional_net_income_cents,"
    "  e.month ->> 'provisional_amount_to_settle_cents' AS"
    "  provisional_amount_to_settle_cents,"
    "  e.month ->> 'allocated_delta_cents' AS allocated_delta_cents,"
    "  e.month ->> 'net_income_cents' AS net_income_cents,"
    "  e.month ->> 'exemption_cents' AS exemption_cents,"
    "  e.month ->> 'amount_to_settle_cents' AS amount_to_settle_cents,"
    "  e.month ->> 'difference_cents' AS difference_cents",
    RECONCILIATIONS_FROM " CROSS JOIN LATERAL json_array_elements(d.doc -> 'months')"
                         " WITH ORDINALITY AS e(month, n)",
    "(x.seq * 16 + e.n)", "x.cooperative_id", "x.member_id", RECONCILIATIONS_FROM, "x.seq",
    RECONCILIATIONS_WHERE, "reconciliations.read", "reconciliation", "$5", "$6");

/* $1 the municipality, $2 the year. */
static struct stmt overview_stmt = STMT("SELECT municipal_overview($1, $2::integer)::text AS doc");

/* $1 the municipality, $2 the cooperative: null when the municipality may not see it. Its
 * residents are logged in the same statement ($3 the request id, $4 the query). */
static struct stmt cooperative_stmt =
    STMT("SELECT d::text AS doc FROM municipal_cooperative_view($1, $2::uuid) d"
         " WHERE audit_municipal_read($1, 'transparency.read', 'member', $3, $4::jsonb,"
         "  ARRAY(SELECT $2::uuid FROM json_array_elements(d -> 'residents')),"
         "  ARRAY(SELECT (e ->> 'member_id')::uuid FROM json_array_elements(d -> 'residents') e),"
         "  NULL) IS NOT NULL");

/* ?year=, an integer from 2000 to 2100 (else 400 invalid_parameter), into year; absent: the
 * current year (Europe/Amsterdam) minus back. */
static int query_year(struct req *r, int back, char year[8])
{
	char text[8];
	int64_t y = 0;
	int got = req_query(r, "year", text, sizeof text);
	if (got == 0) {
		char today[11];
		today_amsterdam(today);
		today[4] = '\0';
		if (parse_decimal(today, 0, 9999, 0, &y) != 0)
			return err_internal(&r->err);
		y -= back;
	} else if (got < 0 || parse_decimal(text, 0, 2100, 0, &y) != 0 || y < 2000) {
		err_set(&r->err, 400, "invalid_parameter", "year must be a year from 2000 to 2100");
		return -1;
	}
	snprintf(year, 8, "%" PRId64, y);
	return 0;
}

/* Answers the one document statement s returns for its n params; 404 when it is null. */
static int respond_doc(struct req *r, struct stmt *s, int n, const char *const *params)
{
	PGresult *res = db_exec_last(r->db, s, n, params, &r->err);
	if (!res)
		return -1;
	const char *doc = PQntuples(res) == 1 ? db_col(res, 0, "doc") : NULL;
	int rc = doc ? resp_json_text(r, 200, doc) : err_not_found(&r->err);
	PQclear(res);
	return rc;
}

int municipal_view_overview(struct req *r)
{
	char year[8];
	if (query_year(r, 0, year) != 0 || municipality_open(r, r->params[0]) != 0)
		return -1;
	const char *p[] = {r->params[0], year};
	return respond_doc(r, &overview_stmt, 2, p);
}

int municipal_view_residents(struct req *r)
{
	if (municipality_open(r, r->params[0]) != 0)
		return -1;
	const char *f[] = {r->params[0]};
	return list_logged(r, &residents_list, 1, f, 0);
}

int municipal_view_cooperative(struct req *r)
{
	if (municipality_open(r, r->params[0]) != 0)
		return -1;
	char *query = read_query_json(r);
	if (!query)
		return err_internal(&r->err);
	const char *p[] = {r->params[0], r->params[1], r->request_id, query};
	int rc = respond_doc(r, &cooperative_stmt, 4, p);
	free(query);
	return rc;
}

int municipal_view_reconciliations(struct req *r)
{
	char year[8];
	if (query_year(r, 1, year) != 0 || municipality_open(r, r->params[0]) != 0)
		return -1;
	const char *f[] = {r->params[0], year};
	return list_logged(r, &reconciliations_list, 2, f, 0);
}
