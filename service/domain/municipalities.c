#include "municipalities.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authz.h"
#include "common.h"
#include "lib/ids.h"

static struct stmt list_stmt = STMT("SELECT municipality_doc(m)::text, m.seq FROM municipalities m"
                                    " WHERE m.seq > $1 ORDER BY m.seq LIMIT $2");

static struct stmt get_stmt =
    STMT("SELECT municipality_doc(m)::text, m.row_version FROM municipalities m WHERE m.code = $1");

static struct stmt insert_stmt =
    STMT("INSERT INTO municipalities AS m (code, name) VALUES ($1, $2)"
         " RETURNING municipality_doc(m)::text, m.code, m.row_version");

static struct stmt lock_stmt =
    STMT("SELECT row_version FROM municipalities WHERE code = $1 FOR UPDATE");

static struct stmt update_stmt = STMT(
    "UPDATE municipalities m SET name = $2, row_version = m.row_version + 1, updated_at = now()"
    " WHERE m.code = $1 RETURNING municipality_doc(m)::text, m.code, m.row_version");

static struct stmt policy_list =
    STMT("SELECT policy_doc(p)::text, dated_key(p.valid_from, p.seq) FROM municipal_policies p"
         " WHERE dated_key(p.valid_from, p.seq) > $1 AND p.municipality_code = $3"
         " ORDER BY 2 LIMIT $2");

static struct stmt policy_insert = STMT(
    "INSERT INTO municipal_policies AS p (municipality_code, valid_from, income_basis, cost_mode,"
    "  flat_rate_bp, fee_deductible, tax_reservation_bp, max_single_expense_cents,"
    "  permission_max_months)"
    " SELECT $2, b.valid_from, coalesce(b.income_basis, 'work_period'),"
    "  coalesce(b.cost_mode, 'none'), b.flat_rate_bp, coalesce(b.fee_deductible, false),"
    "  coalesce(b.tax_reservation_bp, 0), b.max_single_expense_cents,"
    "  coalesce(b.permission_max_months, 12)"
    " FROM jsonb_populate_record(NULL::municipal_policies, $1::jsonb) b"
    " RETURNING policy_doc(p)::text, p.id, 1");

static struct stmt policy_get = STMT("SELECT policy_doc(p)::text, 1 FROM municipal_policies p"
                                     " WHERE p.id = $1 AND p.municipality_code = $2");

static struct stmt statutory_get_stmt =
    STMT("SELECT statutory_doc(s)::text, 1 FROM statutory_parameters s WHERE s.id = $1");

static struct stmt statutory_list_stmt =
    STMT("SELECT statutory_doc(s)::text, dated_key(s.valid_from, s.seq) FROM statutory_parameters s"
         " WHERE dated_key(s.valid_from, s.seq) > $1 ORDER BY 2 LIMIT $2");

static struct stmt statutory_insert = STMT(
    "INSERT INTO statutory_parameters AS s (valid_from, exemption_bp,"
    "  exemption_monthly_cap_cents, exemption_max_months, exemption_min_age,"
    "  premium_year_cap_cents, premium_max_count, hours_criterion, norm_single_cents,"
    "  norm_couple_cents, additional_exemption_bp, additional_exemption_max_months,"
    "  buffer_budget_year_cents, source)"
    " SELECT b.valid_from, b.exemption_bp, b.exemption_monthly_cap_cents, b.exemption_max_months,"
    "  b.exemption_min_age, b.premium_year_cap_cents, b.premium_max_count, b.hours_criterion,"
    "  b.norm_single_cents, b.norm_couple_cents, b.additional_exemption_bp,"
    "  b.additional_exemption_max_months, b.buffer_budget_year_cents, b.source"
    " FROM jsonb_populate_record(NULL::statutory_parameters, $1::jsonb) b"
    " RETURNING statutory_doc(s)::text, s.id, 1");

/* A municipality user sees its own municipality only. */
static int own_municipality(struct req *r, const char *code)
{
	if (r->who.role == ROLE_MUNICIPALITY && strcmp(r->who.municipality, code) != 0)
		return not_found(r);
	return 0;
}

/* The municipality of the path exists and is visible. */
static int open_municipality(struct req *r, const char *code)
{
	const char *p[] = {code};
	return own_municipality(r, code) != 0 ? -1 : require_row(r, &get_stmt, 1, p);
}

int municipalities_list(struct req *r)
{
	return list_query(r, &list_stmt, NULL, 0, NULL);
}

static const struct field create_fields[] = {
    {"code", F_STRING, FIELD_REQUIRED, 0, 0, NULL},
    {"name", F_STRING, FIELD_REQUIRED, 1, 200, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int municipalities_create(struct req *r)
{
	if (req_validate(r, create_fields) != 0)
		return -1;
	const char *code = body_str(r, "code");
	if (!municipality_code_valid(code)) {
		err_field(&r->err, "code", "invalid_municipality_code",
		          "must be a CBS code like GM0363");
		return -1;
	}
	const char *p[] = {code, body_str(r, "name")};
	struct write_info w = {"municipality.create", "municipality", NULL, code};
	return write_one(r, &insert_stmt, 2, p, 201, "/v1/municipalities", &w, r->body);
}

int municipalities_get(struct req *r)
{
	if (own_municipality(r, r->params[0]) != 0)
		return -1;
	const char *p[] = {r->params[0]};
	return get_one(r, &get_stmt, 1, p);
}

static const struct field patch_fields[] = {
    {"name", F_STRING, FIELD_REQUIRED, 1, 200, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int municipalities_patch(struct req *r)
{
	if (req_validate(r, patch_fields) != 0)
		return -1;
	PGresult *row;
	const char *p[] = {r->params[0], body_str(r, "name")};
	if (lock_one(r, &lock_stmt, 1, p, &row) != 0)
		return -1;
	PQclear(row);
	struct write_info w = {"municipality.update", "municipality", NULL, r->params[0]};
	return write_one(r, &update_stmt, 2, p, 200, NULL, &w, r->body);
}

int policies_list(struct req *r)
{
	if (open_municipality(r, r->params[0]) != 0)
		return -1;
	const char *f[] = {r->params[0]};
	return list_query(r, &policy_list, NULL, 1, f);
}

static const char *const income_bases[] = {"work_period", "invoice_date", "payment_date", NULL};
static const char *const cost_modes[] = {"none", "approved_costs", "flat_rate", NULL};

static const struct field policy_fields[] = {
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

int policies_create(struct req *r)
{
	if (req_validate(r, policy_fields) != 0)
		return -1;
	const char *mode = body_str(r, "cost_mode");
	int flat = mode && strcmp(mode, "flat_rate") == 0;
	if (flat && !body_has(r, "flat_rate_bp"))
		err_field(&r->err, "flat_rate_bp", "required",
		          "is required with cost_mode flat_rate");
	if (!flat && body_has(r, "flat_rate_bp"))
		err_field(&r->err, "flat_rate_bp", "invalid_value",
		          "applies only with cost_mode flat_rate");
	if (r->err.status || open_municipality(r, r->params[0]) != 0)
		return -1;
	char *body = body_text(r);
	if (!body)
		return -1;
	const char *p[] = {body, r->params[0]};
	struct write_info w = {"policy.create", "municipal_policy", NULL, r->params[0]};
	char collection[64];
	snprintf(collection, sizeof collection, "/v1/municipalities/%s/policies", r->params[0]);
	int rc = write_one(r, &policy_insert, 2, p, 201, collection, &w, r->body);
	free(body);
	return rc;
}

/* Dated versions never change: their ETag is constant. */
int policies_get(struct req *r)
{
	if (own_municipality(r, r->params[0]) != 0)
		return -1;
	const char *p[] = {r->params[1], r->params[0]};
	return get_one(r, &policy_get, 2, p);
}

int statutory_get(struct req *r)
{
	const char *p[] = {r->params[0]};
	return get_one(r, &statutory_get_stmt, 1, p);
}

int statutory_list(struct req *r)
{
	return list_query(r, &statutory_list_stmt, NULL, 0, NULL);
}

static const struct field statutory_fields[] = {
    {"valid_from", F_DATE, FIELD_REQUIRED, 0, 0, NULL},
    {"exemption_bp", F_INT, FIELD_REQUIRED, 0, 10000, NULL},
    {"exemption_monthly_cap_cents", F_CENTS, FIELD_REQUIRED | FIELD_NULLABLE, 0, 100000000000LL,
     NULL},
    {"exemption_max_months", F_INT, FIELD_REQUIRED, 0, 120, NULL},
    {"exemption_min_age", F_INT, FIELD_REQUIRED, 0, 120, NULL},
    {"premium_year_cap_cents", F_CENTS, FIELD_REQUIRED, 0, 100000000000LL, NULL},
    {"premium_max_count", F_INT, FIELD_REQUIRED, 0, 12, NULL},
    {"hours_criterion", F_INT, FIELD_REQUIRED, 1, 8784, NULL},
    {"norm_single_cents", F_CENTS, FIELD_NULLABLE, 0, 100000000000LL, NULL},
    {"norm_couple_cents", F_CENTS, FIELD_NULLABLE, 0, 100000000000LL, NULL},
    {"additional_exemption_bp", F_INT, FIELD_NULLABLE, 0, 10000, NULL},
    {"additional_exemption_max_months", F_INT, FIELD_NULLABLE, 0, 120, NULL},
    {"buffer_budget_year_cents", F_CENTS, FIELD_NULLABLE, 0, 100000000000LL, NULL},
    {"source", F_STRING, FIELD_NULLABLE, 1, 500, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int statutory_create(struct req *r)
{
	if (req_validate(r, statutory_fields) != 0 || !req_db(r))
		return -1;
	char *body = body_text(r);
	if (!body)
		return -1;
	const char *p[] = {body};
	struct write_info w = {"statutory_parameters.create", "statutory_parameters", NULL, NULL};
	int rc =
	    write_one(r, &statutory_insert, 1, p, 201, "/v1/statutory-parameters", &w, r->body);
	free(body);
	return rc;
}
