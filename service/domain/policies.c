/* A municipality's dated policies (policies.h). */
#include "policies.h"

#include <stdio.h>
#include <string.h>

#include "list.h"
#include "resource.h"
#include "scope.h"

/* $3 the municipality. */
static struct list_stmt policy_list =
    LIST_STMT("policy_doc(p)::text", "municipal_policies p", "dated_key(p.valid_from, p.seq)",
              "p.municipality_code = $3");

/* $1 the body, $2 the municipality. */
static struct stmt policy_insert = STMT(
    "INSERT INTO municipal_policies AS p (municipality_code, valid_from, income_basis, cost_mode,"
    "  flat_rate_bp, fee_deductible, tax_reservation_bp, max_single_expense_cents,"
    "  permission_max_months)"
    " SELECT $2, b.valid_from, coalesce(b.income_basis, 'work_period'),"
    "  coalesce(b.cost_mode, 'none'), b.flat_rate_bp, coalesce(b.fee_deductible, false),"
    "  coalesce(b.tax_reservation_bp, 0), b.max_single_expense_cents,"
    "  coalesce(b.permission_max_months, 12)"
    " FROM jsonb_populate_record(NULL::municipal_policies, $1::jsonb) b"
    " RETURNING policy_doc(p)::text AS doc, p.id, 1 AS row_version");

/* Dated versions never change: their ETag is constant. */
static struct stmt policy_get =
    STMT("SELECT policy_doc(p)::text AS doc, 1 AS row_version FROM municipal_policies p"
         " WHERE p.id = $1 AND p.municipality_code = $2");

static const char *const income_bases[] = {"work_period", "invoice_date", "payment_date", NULL};
static const char *const cost_modes[] = {"none", "approved_costs", "flat_rate", NULL};

const struct field policies_create_fields[] = {
    {"valid_from", F_DATE, FIELD_REQUIRED, 0, 0, NULL},
    {"income_basis", F_ENUM, 0, 0, 0, income_bases},
    {"cost_mode", F_ENUM, 0, 0, 0, cost_modes},
    {"flat_rate_bp", F_INT, FIELD_NULLABLE, 0, 10000, NULL},
    {"fee_deductible", F_BOOL, 0, 0, 0, NULL},
    {"tax_reservation_bp", F_INT, 0, 0, 10000, NULL},
    {"max_single_expense_cents", F_CENTS, FIELD_NULLABLE, 0, 100000000000LL, NULL},
    {"permission_max_months", F_INT, 0, 1, 60, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int policies_list(struct req *r)
{
	return list_children(r, municipality_open, &policy_list);
}

int policies_create_check(struct req *r)
{
	const char *mode = body_str(r, "cost_mode");
	int flat = mode && strcmp(mode, "flat_rate") == 0;
	if (flat && !body_has(r, "flat_rate_bp"))
		err_field(&r->err, "flat_rate_bp", "required",
		          "is required with cost_mode flat_rate");
	if (!flat && body_has(r, "flat_rate_bp"))
		err_field(&r->err, "flat_rate_bp", "invalid_value",
		          "applies only with cost_mode flat_rate");
	return r->err.status ? -1 : 0;
}

int policies_create(struct req *r)
{
	/* policies_create_check has run (routes.c) */
	if (municipality_open(r, r->params[0]) != 0)
		return -1;
	struct write_info w = {"policy.create", "municipal_policy", NULL, r->params[0]};
	char collection[64];
	snprintf(collection, sizeof collection, "/v1/municipalities/%s/policies", r->params[0]);
	return write_body(r, &policy_insert, r->params[0], 201, collection, &w);
}

int policies_get(struct req *r)
{
	if (municipality_visible(r, r->params[0]) != 0)
		return -1;
	const char *p[] = {r->params[1], r->params[0]};
	return get_one(r, &policy_get, 2, p);
}
