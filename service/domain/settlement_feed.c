/* The settlement feed and its acknowledgements (settlement_feed.h). */
#include "settlement_feed.h"

#include <stdio.h>
#include <string.h>

#include "lib/parse.h"
#include "list.h"
#include "resource.h"
#include "scope.h"

/* The feed's rows: $3 the municipality, $4 the month's first day or null (every month); $5 and
 * $6 as LOGGED_LIST says. */
#define FEED_FROM  "settlement_feed f JOIN settlement_rows s ON s.id = f.row_id"
#define FEED_WHERE "f.municipality_code = $3 AND ($4::date IS NULL OR s.period = $4::date)"

/* The CSV form has the JSON form's fields, taken from the same document (warnings joined by
 * spaces). */
static struct logged_list feed_list = LOGGED_LIST(
    "settlement_feed_doc(f, s)::text",
    "x.id, x.member_id, x.cooperative_id, x.period, x.version, x.supersedes_version, x.status,"
    "  x.stale, x.settles_with_municipality, x.municipality_code, x.municipal_reference,"
    "  x.permission_id, x.income_basis, x.cost_mode, x.policy_valid_from,"
    "  x.parameters_valid_from, x.fee_policy_valid_from, x.turnover_cents, x.fee_cents,"
    "  x.fee_deducted_cents, x.costs_cents, x.base_cents, x.tax_reservation_cents,"
    "  x.net_income_cents, x.exemption_cents, x.premium_cents, x.amount_to_settle_cents,"
    "  x.business_hours, x.business_hours_ytd, array_to_string(x.warnings, ' ') AS warnings,"
    "  x.correction_reason, x.calculated_at, x.finalized_at, x.acknowledged_at, x.cursor",
    FEED_FROM " CROSS JOIN LATERAL json_to_record(settlement_feed_doc(f, s)) AS x(id uuid,"
              " member_id uuid, cooperative_id uuid, period text, version integer,"
              " supersedes_version integer, status text, stale boolean,"
              " settles_with_municipality boolean, municipality_code text,"
              " municipal_reference text, permission_id uuid, income_basis text, cost_mode text,"
              " policy_valid_from date, parameters_valid_from date, fee_policy_valid_from date,"
              " turnover_cents bigint, fee_cents bigint, fee_deducted_cents bigint,"
              " costs_cents bigint, base_cents bigint, tax_reservation_cents bigint,"
              " net_income_cents bigint, exemption_cents bigint, premium_cents bigint,"
              " amount_to_settle_cents bigint, business_hours text, business_hours_ytd text,"
              " warnings text[], correction_reason text, calculated_at text, finalized_at text,"
              " acknowledged_at text, cursor text)",
    "f.position", "s.cooperative_id", "s.member_id", FEED_FROM, "f.position", FEED_WHERE,
    "settlements.read", "settlement_row", "$5", "$6");

/* The cooperative of a row in the municipality's feed ($1 the row, $2 the municipality): the
 * audit event of its acknowledgement goes into that cooperative's chain. */
static struct stmt feed_row_coop =
    STMT("SELECT s.cooperative_id FROM settlement_feed f JOIN settlement_rows s ON s.id = f.row_id"
         " WHERE f.row_id = $1 AND f.municipality_code = $2");

/* $1 the municipality, $2 the row, $3 the user: (doc, id, row_version) of the row. An
 * acknowledgement is an action on a row version that never changes: no ETag (row_version NULL). */
static struct stmt acknowledge =
    STMT("SELECT d::text AS doc, d->>'id' AS id, NULL::bigint AS row_version"
         " FROM settlement_acknowledge($1, $2, $3) d WHERE d IS NOT NULL");

int settlement_feed_list(struct req *r)
{
	if (municipality_open(r, r->params[0]) != 0)
		return -1;
	char period[16], first[11];
	int got = req_query(r, "period", period, sizeof period);
	if (got < 0 || (got && parse_month(period, strlen(period), first) != 0)) {
		err_set(&r->err, 400, "invalid_parameter", "period must be a month YYYY-MM");
		return -1;
	}
	const char *f[] = {r->params[0], got ? first : NULL};
	return list_logged(r, &feed_list, 2, f, 1);
}

int settlement_feed_acknowledge(struct req *r)
{
	if (municipality_open(r, r->params[0]) != 0)
		return -1;
	const char *q[] = {r->params[1], r->params[0]};
	PGresult *res = db_exec(r->db, &feed_row_coop, 2, q, &r->err);
	if (!res)
		return -1;
	char coop[ID_LEN] = "";
	if (PQntuples(res) == 1)
		snprintf(coop, sizeof coop, "%s", db_col(res, 0, "cooperative_id"));
	PQclear(res);
	if (!coop[0])
		return err_not_found(&r->err);
	const char *p[] = {r->params[0], r->params[1], r->who.sub};
	struct write_info w = {"settlement.acknowledge", "settlement_row", coop, r->params[0]};
	return write_one(r, &acknowledge, 3, p, 200, NULL, &w, NULL);
}
