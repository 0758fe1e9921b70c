/* The annual reconciliation of a member's year (reconciliations.h). */
#include "reconciliations.h"

#include "body.h"
#include "resource.h"
#include "scope.h"

/* $1 the member, $2 the year, $3 actual_tax_cents, $4 actual_costs_cents (null: none). */
static struct stmt calculate =
    STMT("SELECT reconciliation_doc(x)::text AS doc, x.id, x.row_version"
         " FROM reconciliation_calculate($1, $2::integer, $3::bigint, $4::bigint) x");

/* $3 the user who finalizes. */
static struct stmt finalize = STMT("SELECT reconciliation_doc(x)::text AS doc, x.id, x.row_version"
                                   " FROM reconciliation_finalize($1, $2::integer, $3) x");

static struct stmt reconciliation_get =
    STMT("SELECT reconciliation_doc(x)::text AS doc, x.row_version FROM reconciliations x"
         " WHERE x.member_id = $1 AND x.year = $2::integer");

const struct field reconciliations_calculate_fields[] = {
    {"actual_tax_cents", F_CENTS, FIELD_REQUIRED, 0, MAX_CENTS, NULL},
    {"actual_costs_cents", F_CENTS, FIELD_NULLABLE, 0, MAX_CENTS, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int reconciliations_calculate(struct req *r)
{
	char coop[ID_LEN], muni[8], tax[24], costs[24];
	if (member_open_for_update(r, coop, muni) != 0)
		return -1;
	const char *p[] = {r->params[0], r->params[1],
	                   body_integer_text(r, "actual_tax_cents", tax),
	                   body_integer_text(r, "actual_costs_cents", costs)};
	struct write_info w = {"reconciliation.calculate", "reconciliation", coop, muni};
	return write_one(r, &calculate, 4, p, 200, NULL, &w, r->body);
}

int reconciliations_finalize(struct req *r)
{
	char coop[ID_LEN], muni[8];
	if (member_open_for_update(r, coop, muni) != 0)
		return -1;
	const char *p[] = {r->params[0], r->params[1], r->who.sub};
	struct write_info w = {"reconciliation.finalize", "reconciliation", coop, muni};
	return write_one(r, &finalize, 3, p, 200, NULL, &w, NULL);
}

int reconciliations_get(struct req *r)
{
	if (member_open(r, r->params[0]) != 0)
		return -1;
	const char *p[] = {r->params[0], r->params[1]};
	return get_one(r, &reconciliation_get, 2, p);
}
