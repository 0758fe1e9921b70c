/* A cooperative's social shareholders (shareholders.h). */
#include "shareholders.h"

#include <string.h>

#include "body.h"
#include "list.h"
#include "resource.h"
#include "scope.h"

/* $3 the cooperative. */
static struct list_stmt sh_list =
    LIST_STMT("shareholder_doc(s)::text", "shareholders s", "s.seq", "s.cooperative_id = $3");

static struct stmt sh_get =
    STMT("SELECT shareholder_doc(s)::text AS doc, s.row_version FROM shareholders s"
         " WHERE s.id = $1 AND ($2::uuid IS NULL OR s.cooperative_id = $2)");

/* $1 the body, $2 the cooperative. */
static struct stmt sh_insert =
    STMT("INSERT INTO shareholders AS s (cooperative_id, municipality_code, since, until)"
         " SELECT $2, b.municipality_code, b.since, b.until"
         " FROM jsonb_populate_record(NULL::shareholders, $1::jsonb) b"
         " RETURNING shareholder_doc(s)::text AS doc, s.id, s.row_version");

static struct stmt sh_lock =
    STMT("SELECT s.row_version, s.cooperative_id, s.municipality_code, s.since FROM shareholders s"
         " WHERE s.id = $1 AND ($2::uuid IS NULL OR s.cooperative_id = $2) FOR UPDATE");

static struct stmt sh_update =
    STMT("UPDATE shareholders s SET until = $2::date, row_version = s.row_version + 1,"
         "  updated_at = now()"
         " WHERE s.id = $1 RETURNING shareholder_doc(s)::text AS doc, s.id, s.row_version");

const struct field shareholders_create_fields[] = {
    {"municipality_code", F_STRING, FIELD_REQUIRED, 0, 0, NULL},
    {"since", F_DATE, FIELD_REQUIRED, 0, 0, NULL},
    {"until", F_DATE, FIELD_NULLABLE, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct field shareholders_patch_fields[] = {
    {"until", F_DATE, FIELD_REQUIRED | FIELD_NULLABLE, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int shareholders_list(struct req *r)
{
	return list_children(r, coop_open, &sh_list);
}

int shareholders_get(struct req *r)
{
	return get_in_coop(r, &sh_get);
}

int shareholders_create_check(struct req *r)
{
	check_identifiers(r);
	const char *since = body_str(r, "since"), *until = body_str(r, "until");
	if (since && until && strcmp(until, since) < 0)
		err_field(&r->err, "until", "invalid_value", "must not be before since");
	return r->err.status ? -1 : 0;
}

int shareholders_create(struct req *r)
{
	/* shareholders_create_check has run (routes.c) */
	if (coop_open(r, r->params[0]) != 0 || require_municipality_ref(r) != 0)
		return -1;
	struct write_info w = {"shareholder.create", "shareholder", r->params[0],
	                       body_str(r, "municipality_code")};
	return write_body(r, &sh_insert, r->params[0], 201, "/v1/shareholders", &w);
}

int shareholders_patch(struct req *r)
{
	PGresult *row;
	char coop[ID_LEN], muni[8];
	if (lock_in_coop_municipality(r, &sh_lock, coop, muni, &row) != 0)
		return -1;
	const char *until = body_str(r, "until");
	int before = until && strcmp(until, db_col(row, 0, "since")) < 0;
	PQclear(row);
	if (before) {
		err_field(&r->err, "until", "invalid_value", "must not be before since");
		return -1;
	}
	const char *p[] = {r->params[0], until};
	struct write_info w = {"shareholder.update", "shareholder", coop, muni};
	return write_one(r, &sh_update, 2, p, 200, NULL, &w, r->body);
}
