/* The quarterly VAT return (vat_returns.h). */
#include "vat_returns.h"

#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"
#include "scope.h"

/* $1 cooperative, $2 and $3 the quarter's first and last day, $4 the period as YYYY-Qn. */
static struct stmt vat_return_stmt =
    STMT("SELECT (jsonb_build_object('cooperative_id', $1::uuid, 'period', $4::text)"
         "  || vat_return($1, $2::date, $3::date)::jsonb)::text AS doc");

int vat_returns_get(struct req *r)
{
	if (coop_open(r, r->params[0]) != 0)
		return -1;
	const char *q = r->params[1]; /* YYYY-Qn, checked by the router */
	int year = atoi(q), quarter = q[6] - '0';
	static const char *const ends[] = {"03-31", "06-30", "09-30", "12-31"};
	char from[24], to[24];
	snprintf(from, sizeof from, "%04d-%02d-01", year, 3 * (quarter - 1) + 1);
	snprintf(to, sizeof to, "%04d-%s", year, ends[quarter - 1]);
	const char *p[] = {r->params[0], from, to, q};
	PGresult *res = db_exec_last(r->db, &vat_return_stmt, 4, p, &r->err);
	if (!res)
		return -1;
	int rc = resp_json_text(r, 200, db_col(res, 0, "doc"));
	PQclear(res);
	return rc;
}
