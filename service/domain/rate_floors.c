/* A cooperative's rate floors (rate_floors.h). */
#include "rate_floors.h"

#include <stdio.h>

#include "body.h"
#include "list.h"
#include "resource.h"
#include "scope.h"

/* $3 the cooperative. */
static struct list_stmt rf_list =
    LIST_STMT("rate_floor_doc(f)::text", "rate_floors f", "f.seq", "f.cooperative_id = $3");

static struct stmt rf_get =
    STMT("SELECT rate_floor_doc(f)::text AS doc, f.row_version FROM rate_floors f"
         " WHERE f.id = $1 AND ($2::uuid IS NULL OR f.cooperative_id = $2)");

/* $1 the body, $2 the cooperative. */
static struct stmt rf_insert =
    STMT("INSERT INTO rate_floors AS f (cooperative_id, activity_category, unit,"
         "  minimum_unit_price_cents)"
         " SELECT $2, b.activity_category, b.unit, b.minimum_unit_price_cents"
         " FROM jsonb_populate_record(NULL::rate_floors, $1::jsonb) b"
         " RETURNING rate_floor_doc(f)::text AS doc, f.id, f.row_version");

static struct stmt rf_lock =
    STMT("SELECT f.row_version, f.cooperative_id FROM rate_floors f"
         " WHERE f.id = $1 AND ($2::uuid IS NULL OR f.cooperative_id = $2) FOR UPDATE");

static struct stmt rf_update =
    STMT("UPDATE rate_floors f SET minimum_unit_price_cents = $2, row_version = f.row_version + 1,"
         "  updated_at = now()"
         " WHERE f.id = $1 RETURNING rate_floor_doc(f)::text AS doc, f.id, f.row_version");

static struct stmt rf_delete =
    STMT("DELETE FROM rate_floors f WHERE f.id = $1"
         " RETURNING rate_floor_doc(f)::text AS doc, f.id, 0 AS row_version");

const struct field rate_floors_create_fields[] = {
    {"activity_category", F_STRING, FIELD_REQUIRED, 1, 64, NULL},
    {"unit", F_ENUM, FIELD_REQUIRED, 0, 0, unit_names},
    {"minimum_unit_price_cents", F_CENTS, FIELD_REQUIRED, 0, MAX_CENTS, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct field rate_floors_patch_fields[] = {
    {"minimum_unit_price_cents", F_CENTS, FIELD_REQUIRED, 0, MAX_CENTS, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int rate_floors_list(struct req *r)
{
	return list_children(r, coop_open, &rf_list);
}

int rate_floors_get(struct req *r)
{
	return get_in_coop(r, &rf_get);
}

int rate_floors_create_check(struct req *r)
{
	check_activity_category(r);
	return r->err.status ? -1 : 0;
}

int rate_floors_create(struct req *r)
{
	/* rate_floors_create_check has run (routes.c) */
	if (coop_open(r, r->params[0]) != 0)
		return -1;
	struct write_info w = {"rate_floor.create", "rate_floor", r->params[0], NULL};
	return write_body(r, &rf_insert, r->params[0], 201, "/v1/rate-floors", &w);
}

int rate_floors_patch(struct req *r)
{
	char coop[ID_LEN];
	if (lock_in_coop(r, &rf_lock, coop, NULL) != 0)
		return -1;
	char price[24];
	snprintf(
	    price, sizeof price, "%lld",
	    (long long)json_integer_value(json_object_get(r->body, "minimum_unit_price_cents")));
	const char *p[] = {r->params[0], price};
	struct write_info w = {"rate_floor.update", "rate_floor", coop, NULL};
	return write_one(r, &rf_update, 2, p, 200, NULL, &w, r->body);
}

int rate_floors_delete(struct req *r)
{
	char coop[ID_LEN];
	if (lock_in_coop(r, &rf_lock, coop, NULL) != 0)
		return -1;
	const char *p[] = {r->params[0]};
	struct write_info w = {"rate_floor.delete", "rate_floor", coop, NULL};
	return write_one(r, &rf_delete, 1, p, 204, NULL, &w, NULL);
}
