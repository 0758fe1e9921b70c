/* Collective costs and the cooperative's finances (finances.h). */
#include "finances.h"

#include <stdio.h>
#include <stdlib.h>

#include "body.h"
#include "list.h"
#include "resource.h"
#include "scope.h"

/* $3 the cooperative: its costs by date, then by booking. */
static struct list_stmt cost_list = LIST_STMT_CSV(
    "collective_cost_doc(c)::text",
    "c.id, c.date, c.category, c.description, c.amount_cents, rfc3339(c.created_at) AS created_at",
    "collective_costs c", "dated_key(c.date, c.seq)", "c.cooperative_id = $3");

/* Costs never change: their ETag is constant. */
static struct stmt cost_get =
    STMT("SELECT collective_cost_doc(c)::text AS doc, 1 AS row_version FROM collective_costs c"
         " WHERE c.id = $1 AND ($2::uuid IS NULL OR c.cooperative_id = $2)");

/* $1 the body, $2 the cooperative, $3 the user. */
static struct stmt cost_insert =
    STMT("INSERT INTO collective_costs AS c (cooperative_id, date, category, description,"
         "   amount_cents, created_by)"
         " SELECT $2, b.date, b.category, b.description, b.amount_cents, $3"
         " FROM jsonb_populate_record(NULL::collective_costs, $1::jsonb) b"
         " RETURNING collective_cost_doc(c)::text AS doc, c.id, 1 AS row_version");

/* $1 the cooperative, $2 the year. */
static struct stmt finances_stmt =
    STMT("SELECT cooperative_finances($1, $2::integer)::text AS doc");

static const char *const cost_categories[] = {"training",       "rent",  "overhead", "insurance",
                                              "administration", "other", NULL};

const struct field collective_costs_create_fields[] = {
    {"date", F_DATE, FIELD_REQUIRED, 0, 0, NULL},
    {"category", F_ENUM, FIELD_REQUIRED, 0, 0, cost_categories},
    {"description", F_STRING, FIELD_REQUIRED, 1, 500, NULL},
    {"amount_cents", F_CENTS, FIELD_REQUIRED, -MAX_CENTS, MAX_CENTS, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int collective_costs_list(struct req *r)
{
	return list_children(r, coop_open, &cost_list);
}

int collective_costs_get(struct req *r)
{
	return get_in_coop(r, &cost_get);
}

int collective_costs_create(struct req *r)
{
	json_t *amount = json_object_get(r->body, "amount_cents");
	if (json_is_integer(amount) && json_integer_value(amount) == 0) {
		err_field(&r->err, "amount_cents", "invalid_value",
		          "must not be 0 (a correction is a negative amount)");
		return -1;
	}
	if (coop_open(r, r->params[0]) != 0)
		return -1;
	char *body = body_text(r);
	if (!body)
		return -1;
	const char *p[] = {body, r->params[0], r->who.sub};
	struct write_info w = {"collective_cost.create", "collective_cost", r->params[0], NULL};
	int rc = write_one(r, &cost_insert, 3, p, 201, "/v1/collective-costs", &w, r->body);
	free(body);
	return rc;
}

/* ?year=YYYY (2000..2100), the current year when absent. */
int finances_get(struct req *r)
{
	char year[8];
	if (req_year(r, year) != 0)
		return -1;
	if (coop_open(r, r->params[0]) != 0)
		return -1;
	const char *p[] = {r->params[0], year};
	PGresult *res = db_exec_last(r->db, &finances_stmt, 2, p, &r->err);
	if (!res)
		return -1;
	int rc = resp_json_text(r, 200, db_col(res, 0, "doc"));
	PQclear(res);
	return rc;
}
