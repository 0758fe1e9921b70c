/* The monthly settlement per member (settlements.h). */
#include "settlements.h"

#include "lib/parse.h"
#include "lib/statement_pdf.h"
#include "list.h"
#include "resource.h"
#include "scope.h"

#include <stdio.h>

/* $3 the cooperative, $4 the month's first day: the current rows (the drafts of an open month,
 * the latest versions of a finalized one). */
static struct list_stmt settlement_list = LIST_STMT_CSV(
    "settlement_row_doc(s)::text",
    "s.id, s.member_id, s.municipal_reference, month_text(s.period) AS period, s.version,"
    "  s.supersedes_version, s.status, s.settles_with_municipality, s.municipality_code,"
    "  s.permission_id, s.income_basis, s.cost_mode, s.turnover_cents, s.fee_cents,"
    "  s.fee_deducted_cents, s.costs_cents, s.base_cents, s.tax_reservation_cents,"
    "  s.net_income_cents, s.exemption_cents, s.premium_cents, s.amount_to_settle_cents,"
    "  trim_scale(s.business_hours) AS business_hours,"
    "  trim_scale(s.business_hours_ytd) AS business_hours_ytd,"
    "  array_to_string(s.warnings, ' ') AS warnings, s.correction_reason,"
    "  rfc3339(s.calculated_at) AS calculated_at, rfc3339(s.finalized_at) AS finalized_at",
    "settlement_rows s", "s.seq",
    "s.cooperative_id = $3 AND s.period = $4::date AND settlement_row_current(s)");

/* $1 the cooperative, $2 the month's first day. The month (its audit events' object id is
 * YYYY-MM in the cooperative's chain) has no version of its own: its ETag is constant. */
static struct stmt calculate =
    STMT("SELECT settlement_calculate($1, $2::date)::text AS doc, month_text($2::date) AS id,"
         "  1 AS row_version");

/* $3 the user who finalizes. */
static struct stmt finalize =
    STMT("SELECT settlement_finalize($1, $2::date, $3)::text AS doc, month_text($2::date) AS id,"
         "  1 AS row_version");

/* $3 the reason. */
static struct stmt correct =
    STMT("SELECT settlement_correct($1, $2::date, $3)::text AS doc, month_text($2::date) AS id,"
         "  1 AS row_version");

const struct field settlements_correct_fields[] = {
    {"reason", F_STRING, FIELD_REQUIRED, 1, 500, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

/* $1 the member, $2 the month's first day; the ETag is the row's version (0: a draft). */
static struct stmt thermometer =
    STMT("SELECT t.doc::text AS doc, coalesce((t.doc->>'version')::integer, 0) AS row_version"
         " FROM (SELECT settlement_thermometer($1, $2::date) AS doc) t WHERE t.doc IS NOT NULL");

/* The month the path names (r->params[1], YYYY-MM by the route's type) as its first day. */
static void period_of(const struct req *r, char first_day[11])
{
	parse_month(r->params[1], 7, first_day);
}

/* Runs an action on the month of the cooperative the path names, with $3 when given: 200 with
 * the month; the body, if any, is the audit event's changes. */
static int month_action(struct req *r, struct stmt *s, const char *action, const char *third)
{
	char first[11];
	period_of(r, first);
	if (coop_open(r, r->params[0]) != 0)
		return -1;
	const char *p[] = {r->params[0], first, third};
	struct write_info w = {action, "settlement_period", r->params[0], NULL};
	return write_one(r, s, third ? 3 : 2, p, 200, NULL, &w, r->body);
}

int settlements_calculate(struct req *r)
{
	return month_action(r, &calculate, "settlement.calculate", NULL);
}

int settlements_finalize(struct req *r)
{
	return month_action(r, &finalize, "settlement.finalize", r->who.sub);
}

int settlements_correct(struct req *r)
{
	return month_action(r, &correct, "settlement.correct", body_str(r, "reason"));
}

int settlements_list(struct req *r)
{
	char first[11];
	period_of(r, first);
	if (coop_open(r, r->params[0]) != 0)
		return -1;
	const char *f[] = {r->params[0], first};
	return list_query(r, &settlement_list, 2, f);
}

int thermometer_get(struct req *r)
{
	char first[11];
	period_of(r, first);
	if (member_open(r, r->params[0]) != 0)
		return -1;
	const char *p[] = {r->params[0], first};
	return get_one(r, &thermometer, 2, p);
}

/* $1 the member, $2 the month's first day: the statement document (sql/functions/statement.sql),
 * NULL when the member has no row for the month. */
static struct stmt statement_doc = STMT("SELECT statement_doc($1, $2::date)::text AS doc");

int thermometer_pdf(struct req *r)
{
	char first[11], err[128], name[48];
	period_of(r, first);
	if (member_open(r, r->params[0]) != 0)
		return -1;
	const char *p[] = {r->params[0], first};
	PGresult *res = db_exec_last(r->db, &statement_doc, 2, p, &r->err);
	if (!res)
		return -1;
	const char *text = PQntuples(res) == 1 ? db_col(res, 0, "doc") : NULL;
	json_error_t je;
	json_t *doc = text ? json_loads(text, 0, &je) : NULL;
	PQclear(res);
	if (!doc)
		return text ? err_internal(&r->err) : err_not_found(&r->err);
	size_t len;
	/* the renderer draws on a thread with a large stack of its own */
	unsigned char *pdf = statement_pdf_render(doc, &len, err, sizeof err);
	json_decref(doc);
	snprintf(name, sizeof name, "inkomstenopgave-%s.pdf", r->params[1]);
	return respond_file(r, "application/pdf", pdf, len, err, name);
}
