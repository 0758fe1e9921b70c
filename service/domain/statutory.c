/* The national statutory parameters (statutory.h). */
#include "statutory.h"

#include "list.h"
#include "resource.h"

static struct list_stmt statutory_list_stmt = LIST_STMT(
    "statutory_doc(s)::text", "statutory_parameters s", "dated_key(s.valid_from, s.seq)", "true");

/* Dated versions never change: their ETag is constant. */
static struct stmt statutory_get_stmt =
    STMT("SELECT statutory_doc(s)::text AS doc, 1 AS row_version FROM statutory_parameters s"
         " WHERE s.id = $1");

/* $1 the body. */
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
    " RETURNING statutory_doc(s)::text AS doc, s.id, 1 AS row_version");

#define MAX_AMOUNT 100000000000LL /* € 1 000 000 000 in cents */

const struct field statutory_create_fields[] = {
    {"valid_from", F_DATE, FIELD_REQUIRED, 0, 0, NULL},
    {"exemption_bp", F_INT, FIELD_REQUIRED, 0, 10000, NULL},
    {"exemption_monthly_cap_cents", F_CENTS, FIELD_REQUIRED | FIELD_NULLABLE, 0, MAX_AMOUNT, NULL},
    {"exemption_max_months", F_INT, FIELD_REQUIRED, 0, 120, NULL},
    {"exemption_min_age", F_INT, FIELD_REQUIRED, 0, 120, NULL},
    {"premium_year_cap_cents", F_CENTS, FIELD_REQUIRED, 0, MAX_AMOUNT, NULL},
    {"premium_max_count", F_INT, FIELD_REQUIRED, 0, 12, NULL},
    {"hours_criterion", F_INT, FIELD_REQUIRED, 1, 8784, NULL},
    {"norm_single_cents", F_CENTS, FIELD_NULLABLE, 0, MAX_AMOUNT, NULL},
    {"norm_couple_cents", F_CENTS, FIELD_NULLABLE, 0, MAX_AMOUNT, NULL},
    {"additional_exemption_bp", F_INT, FIELD_NULLABLE, 0, 10000, NULL},
    {"additional_exemption_max_months", F_INT, FIELD_NULLABLE, 0, 120, NULL},
    {"buffer_budget_year_cents", F_CENTS, FIELD_NULLABLE, 0, MAX_AMOUNT, NULL},
    {"source", F_STRING, FIELD_NULLABLE, 1, 500, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int statutory_list(struct req *r)
{
	return list_query(r, &statutory_list_stmt, 0, NULL);
}

int statutory_get(struct req *r)
{
	const char *p[] = {r->params[0]};
	return get_one(r, &statutory_get_stmt, 1, p);
}

int statutory_create(struct req *r)
{
	struct write_info w = {"statutory_parameters.create", "statutory_parameters", NULL, NULL};
	return write_body(r, &statutory_insert, NULL, 201, "/v1/statutory-parameters", &w);
}
