/* A cooperative's fee policies (fee_policies.h). */
#include "fee_policies.h"

#include <stdio.h>

#include "auth/authz.h"
#include "body.h"
#include "list.h"
#include "resource.h"
#include "scope.h"

/* $3 the cooperative. */
static struct list_stmt fee_list =
    LIST_STMT("fee_policy_doc(f)::text", "fee_policies f", "dated_key(f.valid_from, f.seq)",
              "f.cooperative_id = $3");

/* Dated versions never change: their ETag is constant. */
static struct stmt fee_get =
    STMT("SELECT fee_policy_doc(f)::text AS doc, 1 AS row_version FROM fee_policies f"
         " WHERE f.id = $1 AND f.cooperative_id = $2");

/* $1 the body, $2 the cooperative. */
static struct stmt fee_insert = STMT(
    "INSERT INTO fee_policies AS f (cooperative_id, valid_from, percentage_bp,"
    "  fixed_monthly_cents, minimum_monthly_cents, maximum_monthly_cents, waive_without_turnover)"
    " SELECT $2, b.valid_from, coalesce(b.percentage_bp, 0), coalesce(b.fixed_monthly_cents, 0),"
    "  b.minimum_monthly_cents, b.maximum_monthly_cents, coalesce(b.waive_without_turnover, true)"
    " FROM jsonb_populate_record(NULL::fee_policies, $1::jsonb) b"
    " RETURNING fee_policy_doc(f)::text AS doc, f.id, 1 AS row_version");

const struct field fee_policies_create_fields[] = {
    {"valid_from", F_DATE, FIELD_REQUIRED, 0, 0, NULL},
    {"percentage_bp", F_INT, 0, 0, 10000, NULL},
    {"fixed_monthly_cents", F_CENTS, 0, 0, MAX_CENTS, NULL},
    {"minimum_monthly_cents", F_CENTS, FIELD_NULLABLE, 0, MAX_CENTS, NULL},
    {"maximum_monthly_cents", F_CENTS, FIELD_NULLABLE, 0, MAX_CENTS, NULL},
    {"waive_without_turnover", F_BOOL, 0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int fee_policies_list(struct req *r)
{
	return list_children(r, coop_open, &fee_list);
}

int fee_policies_get(struct req *r)
{
	if (authz_coop(&r->who, r->params[0], &r->err) != 0)
		return -1;
	const char *p[] = {r->params[1], r->params[0]};
	return get_one(r, &fee_get, 2, p);
}

int fee_policies_create_check(struct req *r)
{
	json_t *min = json_object_get(r->body, "minimum_monthly_cents");
	json_t *max = json_object_get(r->body, "maximum_monthly_cents");
	if (json_is_integer(min) && json_is_integer(max) &&
	    json_integer_value(min) > json_integer_value(max)) {
		err_field(&r->err, "maximum_monthly_cents", "invalid_value",
		          "must not be below minimum_monthly_cents");
		return -1;
	}
	return 0;
}

int fee_policies_create(struct req *r)
{
	/* fee_policies_create_check has run (routes.c) */
	if (coop_open(r, r->params[0]) != 0)
		return -1;
	char collection[96];
	snprintf(collection, sizeof collection, "/v1/cooperatives/%s/fee-policies", r->params[0]);
	struct write_info w = {"fee_policy.create", "fee_policy", r->params[0], NULL};
	return write_body(r, &fee_insert, r->params[0], 201, collection, &w);
}
