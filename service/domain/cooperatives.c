#include "cooperatives.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authz.h"
#include "common.h"

/* ---- cooperatives ------------------------------------------------------------------------ */

/* $3: the caller's cooperative, NULL for a platform admin. */
static struct stmt coop_list =
    STMT("SELECT cooperative_doc(c)::text, c.seq FROM cooperatives c"
         " WHERE c.seq > $1 AND ($3::uuid IS NULL OR c.id = $3) ORDER BY c.seq LIMIT $2");

static struct stmt coop_get =
    STMT("SELECT cooperative_doc(c)::text, c.row_version FROM cooperatives c"
         " WHERE c.id = $1 AND ($2::uuid IS NULL OR c.id = $2)");

#define COOP_COLUMNS                                                                               \
	"legal_name, trade_name, kvk_number, rsin, vat_id, iban, bic, street, house_number,"       \
	" postal_code, city, country, email, phone, vat_scheme, invoice_prefix,"                   \
	" reserve_cap_cents, statutes, board"
#define COOP_VALUES                                                                                \
	"b.legal_name, b.trade_name, b.kvk_number, b.rsin, b.vat_id, b.iban, b.bic, b.street,"     \
	" b.house_number, b.postal_code, b.city, b.country, b.email, b.phone, b.vat_scheme,"       \
	" b.invoice_prefix, b.reserve_cap_cents, b.statutes, b.board"

/* Defaults come from the table (vat_scheme, statutes, board), filled in by C (see below). */
static struct stmt coop_insert =
    STMT("INSERT INTO cooperatives AS c (" COOP_COLUMNS ")"
         " SELECT " COOP_VALUES " FROM jsonb_populate_record(NULL::cooperatives, $1::jsonb) b"
         " RETURNING cooperative_doc(c)::text, c.id, c.row_version");

static struct stmt coop_lock =
    STMT("SELECT row_version FROM cooperatives WHERE id = $1 FOR UPDATE");

/* jsonb_populate_record(c, body): the fields the body names replace those of the row. */
static struct stmt coop_update =
    STMT("UPDATE cooperatives c SET (" COOP_COLUMNS ") = (SELECT " COOP_VALUES
         "   FROM jsonb_populate_record(c, $2::jsonb) b),"
         "  row_version = c.row_version + 1, updated_at = now()"
         " WHERE c.id = $1 RETURNING cooperative_doc(c)::text, c.id, c.row_version");

static const char *const vat_schemes[] = {"standard", "kor", NULL};

#define COOP_FIELDS(req)                                                                           \
	{"legal_name", F_STRING, req, 1, 200, NULL},                                               \
	    {"trade_name", F_STRING, FIELD_NULLABLE, 1, 200, NULL},                                \
	    {"kvk_number", F_STRING, req, 0, 0, NULL},                                             \
	    {"rsin", F_STRING, FIELD_NULLABLE, 0, 0, NULL},                                        \
	    {"vat_id", F_STRING, FIELD_NULLABLE, 0, 0, NULL},                                      \
	    {"iban", F_STRING, FIELD_NULLABLE, 0, 0, NULL},                                        \
	    {"bic", F_STRING, FIELD_NULLABLE, 0, 0, NULL}, {"address", F_OBJECT, req, 0, 0, NULL}, \
	    {"email", F_STRING, FIELD_NULLABLE, 0, 254, NULL},                                     \
	    {"phone", F_STRING, FIELD_NULLABLE, 6, 20, NULL},                                      \
	    {"vat_scheme", F_ENUM, 0, 0, 0, vat_schemes},                                          \
	    {"invoice_prefix", F_STRING, req, 1, 10, NULL},                                        \
	    {"reserve_cap_cents", F_CENTS, FIELD_NULLABLE, 0, 100000000000000LL, NULL},            \
	    {"statutes", F_ARRAY, 0, 0, 0, NULL}, {"board", F_ARRAY, 0, 0, 0, NULL},               \
	{                                                                                          \
		NULL, 0, 0, 0, 0, NULL                                                             \
	}

static const struct field coop_create_fields[] = {COOP_FIELDS(FIELD_REQUIRED)};
static const struct field coop_patch_fields[] = {COOP_FIELDS(0)};

static const struct field statute_fields[] = {
    {"title", F_STRING, FIELD_REQUIRED, 1, 200, NULL},
    {"adopted_on", F_DATE, FIELD_REQUIRED, 0, 0, NULL},
    {"document_url", F_STRING, FIELD_NULLABLE, 1, 500, NULL},
    {"special_statute", F_BOOL, 0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct field board_fields[] = {
    {"name", F_STRING, FIELD_REQUIRED, 1, 200, NULL},
    {"position", F_STRING, FIELD_REQUIRED, 1, 100, NULL},
    {"since", F_DATE, FIELD_NULLABLE, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static int valid_prefix(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

/* Everything a cooperative body must satisfy beyond the field table. */
static int check_coop_body(struct req *r, int creating)
{
	flatten_address(r, creating);
	check_identifiers(r);
	const char *prefix = body_str(r, "invoice_prefix");
	if (prefix && !valid_prefix(prefix))
		err_field(&r->err, "invoice_prefix", "invalid_value",
		          "must be 1 to 10 characters A-Z and 0-9");
	validate_items(r, "statutes", statute_fields);
	validate_items(r, "board", board_fields);
	/* Normalise statutes: special_statute defaults to false, document_url to null. */
	json_t *arr = json_object_get(r->body, "statutes");
	size_t i;
	json_t *item;
	json_array_foreach(arr, i, item)
	{
		if (!json_object_get(item, "special_statute"))
			json_object_set_new(item, "special_statute", json_false());
		if (!json_object_get(item, "document_url"))
			json_object_set_new(item, "document_url", json_null());
	}
	if (creating) {
		if (!json_object_get(r->body, "vat_scheme"))
			json_object_set_new(r->body, "vat_scheme", json_string("standard"));
		if (!json_object_get(r->body, "statutes"))
			json_object_set_new(r->body, "statutes", json_array());
		if (!json_object_get(r->body, "board"))
			json_object_set_new(r->body, "board", json_array());
	}
	return r->err.status ? -1 : 0;
}

int cooperatives_list(struct req *r)
{
	const char *f[] = {scope_coop(&r->who)};
	return list_query(r, &coop_list, NULL, 1, f);
}

int cooperatives_create(struct req *r)
{
	if (req_validate(r, coop_create_fields) != 0 || check_coop_body(r, 1) != 0)
		return -1;
	char *body = body_text(r);
	if (!body)
		return -1;
	const char *p[] = {body};
	struct write_info w = {"cooperative.create", "cooperative", NULL, NULL};
	int rc = write_one(r, &coop_insert, 1, p, 201, "/v1/cooperatives", &w, r->body);
	free(body);
	return rc;
}

int cooperatives_get(struct req *r)
{
	const char *p[] = {r->params[0], scope_coop(&r->who)};
	return get_one(r, &coop_get, 2, p);
}

int cooperatives_patch(struct req *r)
{
	if (req_validate(r, coop_patch_fields) != 0 || check_coop_body(r, 0) != 0 ||
	    authz_coop(&r->who, r->params[0], &r->err) != 0)
		return -1;
	PGresult *row;
	const char *lp[] = {r->params[0]};
	if (lock_one(r, &coop_lock, 1, lp, &row) != 0)
		return -1;
	PQclear(row);
	char *body = body_text(r);
	if (!body)
		return -1;
	const char *p[] = {r->params[0], body};
	struct write_info w = {"cooperative.update", "cooperative", r->params[0], NULL};
	int rc = write_one(r, &coop_update, 2, p, 200, NULL, &w, r->body);
	free(body);
	return rc;
}

/* ---- fee policies -------------------------------------------------------------------------- */

static struct stmt fee_list = STMT(
    "SELECT fee_policy_doc(f)::text, dated_key(f.valid_from, f.seq) FROM fee_policies f"
    " WHERE dated_key(f.valid_from, f.seq) > $1 AND f.cooperative_id = $3 ORDER BY 2 LIMIT $2");

static struct stmt fee_get = STMT("SELECT fee_policy_doc(f)::text, 1 FROM fee_policies f"
                                  " WHERE f.id = $1 AND f.cooperative_id = $2");

static struct stmt fee_insert = STMT(
    "INSERT INTO fee_policies AS f (cooperative_id, valid_from, percentage_bp,"
    "  fixed_monthly_cents, minimum_monthly_cents, maximum_monthly_cents, waive_without_turnover)"
    " SELECT $2, b.valid_from, coalesce(b.percentage_bp, 0), coalesce(b.fixed_monthly_cents, 0),"
    "  b.minimum_monthly_cents, b.maximum_monthly_cents, coalesce(b.waive_without_turnover, true)"
    " FROM jsonb_populate_record(NULL::fee_policies, $1::jsonb) b"
    " RETURNING fee_policy_doc(f)::text, f.id, 1");

#define MAX_CENTS 100000000000000LL

static const struct field fee_fields[] = {
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
	return coop_child_list(r, &fee_list);
}

int fee_policies_get(struct req *r)
{
	if (authz_coop(&r->who, r->params[0], &r->err) != 0)
		return -1;
	const char *p[] = {r->params[1], r->params[0]};
	return get_one(r, &fee_get, 2, p);
}

int fee_policies_create(struct req *r)
{
	if (req_validate(r, fee_fields) != 0)
		return -1;
	json_t *min = json_object_get(r->body, "minimum_monthly_cents");
	json_t *max = json_object_get(r->body, "maximum_monthly_cents");
	if (json_is_integer(min) && json_is_integer(max) &&
	    json_integer_value(min) > json_integer_value(max)) {
		err_field(&r->err, "maximum_monthly_cents", "invalid_value",
		          "must not be below minimum_monthly_cents");
		return -1;
	}
	if (coop_open(r, r->params[0]) != 0)
		return -1;
	char *body = body_text(r);
	if (!body)
		return -1;
	const char *p[] = {body, r->params[0]};
	char collection[96];
	snprintf(collection, sizeof collection, "/v1/cooperatives/%s/fee-policies", r->params[0]);
	struct write_info w = {"fee_policy.create", "fee_policy", r->params[0], NULL};
	int rc = write_one(r, &fee_insert, 2, p, 201, collection, &w, r->body);
	free(body);
	return rc;
}

/* ---- shareholders ---------------------------------------------------------------------------- */

static struct stmt sh_list =
    STMT("SELECT shareholder_doc(s)::text, s.seq FROM shareholders s"
         " WHERE s.seq > $1 AND s.cooperative_id = $3 ORDER BY s.seq LIMIT $2");

static struct stmt sh_get =
    STMT("SELECT shareholder_doc(s)::text, s.row_version FROM shareholders s"
         " WHERE s.id = $1 AND ($2::uuid IS NULL OR s.cooperative_id = $2)");

static struct stmt sh_insert =
    STMT("INSERT INTO shareholders AS s (cooperative_id, municipality_code, since, until)"
         " SELECT $2, b.municipality_code, b.since, b.until"
         " FROM jsonb_populate_record(NULL::shareholders, $1::jsonb) b"
         " RETURNING shareholder_doc(s)::text, s.id, s.row_version");

static struct stmt sh_lock =
    STMT("SELECT s.row_version, s.cooperative_id, s.municipality_code, s.since FROM shareholders s"
         " WHERE s.id = $1 AND ($2::uuid IS NULL OR s.cooperative_id = $2) FOR UPDATE");

static struct stmt sh_update =
    STMT("UPDATE shareholders s SET until = $2::date, row_version = s.row_version + 1,"
         "  updated_at = now()"
         " WHERE s.id = $1 RETURNING shareholder_doc(s)::text, s.id, s.row_version");

static const struct field sh_fields[] = {
    {"municipality_code", F_STRING, FIELD_REQUIRED, 0, 0, NULL},
    {"since", F_DATE, FIELD_REQUIRED, 0, 0, NULL},
    {"until", F_DATE, FIELD_NULLABLE, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct field sh_patch_fields[] = {
    {"until", F_DATE, FIELD_REQUIRED | FIELD_NULLABLE, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int shareholders_list(struct req *r)
{
	return coop_child_list(r, &sh_list);
}

int shareholders_get(struct req *r)
{
	const char *p[] = {r->params[0], scope_coop(&r->who)};
	return get_one(r, &sh_get, 2, p);
}

int shareholders_create(struct req *r)
{
	if (req_validate(r, sh_fields) != 0)
		return -1;
	check_identifiers(r);
	const char *since = body_str(r, "since"), *until = body_str(r, "until");
	if (since && until && strcmp(until, since) < 0)
		err_field(&r->err, "until", "invalid_value", "must not be before since");
	if (r->err.status || coop_open(r, r->params[0]) != 0)
		return -1;
	if (require_municipality_ref(r) != 0)
		return -1;
	const char *mp[] = {body_str(r, "municipality_code")};
	char *body = body_text(r);
	if (!body)
		return -1;
	const char *p[] = {body, r->params[0]};
	struct write_info w = {"shareholder.create", "shareholder", r->params[0], mp[0]};
	int rc = write_one(r, &sh_insert, 2, p, 201, "/v1/shareholders", &w, r->body);
	free(body);
	return rc;
}

int shareholders_patch(struct req *r)
{
	if (req_validate(r, sh_patch_fields) != 0 || !req_db(r))
		return -1;
	PGresult *row;
	const char *lp[] = {r->params[0], scope_coop(&r->who)};
	if (lock_one(r, &sh_lock, 2, lp, &row) != 0)
		return -1;
	char coop[ID_LEN], muni[8];
	snprintf(coop, sizeof coop, "%s", PQgetvalue(row, 0, 1));
	snprintf(muni, sizeof muni, "%s", PQgetvalue(row, 0, 2));
	const char *until = body_str(r, "until");
	int before = until && strcmp(until, PQgetvalue(row, 0, 3)) < 0;
	PQclear(row);
	if (before) {
		err_field(&r->err, "until", "invalid_value", "must not be before since");
		return -1;
	}
	const char *p[] = {r->params[0], until};
	struct write_info w = {"shareholder.update", "shareholder", coop, muni};
	return write_one(r, &sh_update, 2, p, 200, NULL, &w, r->body);
}

/* ---- rate floors ----------------------------------------------------------------------------- */

static struct stmt rf_list =
    STMT("SELECT rate_floor_doc(f)::text, f.seq FROM rate_floors f"
         " WHERE f.seq > $1 AND f.cooperative_id = $3 ORDER BY f.seq LIMIT $2");

static struct stmt rf_get =
    STMT("SELECT rate_floor_doc(f)::text, f.row_version FROM rate_floors f"
         " WHERE f.id = $1 AND ($2::uuid IS NULL OR f.cooperative_id = $2)");

static struct stmt rf_insert =
    STMT("INSERT INTO rate_floors AS f (cooperative_id, activity_category, unit,"
         "  minimum_unit_price_cents)"
         " SELECT $2, b.activity_category, b.unit, b.minimum_unit_price_cents"
         " FROM jsonb_populate_record(NULL::rate_floors, $1::jsonb) b"
         " RETURNING rate_floor_doc(f)::text, f.id, f.row_version");

static struct stmt rf_lock =
    STMT("SELECT f.row_version, f.cooperative_id FROM rate_floors f"
         " WHERE f.id = $1 AND ($2::uuid IS NULL OR f.cooperative_id = $2) FOR UPDATE");

static struct stmt rf_update =
    STMT("UPDATE rate_floors f SET minimum_unit_price_cents = $2, row_version = f.row_version + 1,"
         "  updated_at = now()"
         " WHERE f.id = $1 RETURNING rate_floor_doc(f)::text, f.id, f.row_version");

static struct stmt rf_delete =
    STMT("DELETE FROM rate_floors f WHERE f.id = $1 RETURNING rate_floor_doc(f)::text, f.id, 0");

static const char *const units[] = {"hour", "piece", "day", "km", NULL};

static const struct field rf_fields[] = {
    {"activity_category", F_STRING, FIELD_REQUIRED, 1, 64, NULL},
    {"unit", F_ENUM, FIELD_REQUIRED, 0, 0, units},
    {"minimum_unit_price_cents", F_CENTS, FIELD_REQUIRED, 0, MAX_CENTS, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct field rf_patch_fields[] = {
    {"minimum_unit_price_cents", F_CENTS, FIELD_REQUIRED, 0, MAX_CENTS, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int rate_floors_list(struct req *r)
{
	return coop_child_list(r, &rf_list);
}

int rate_floors_get(struct req *r)
{
	const char *p[] = {r->params[0], scope_coop(&r->who)};
	return get_one(r, &rf_get, 2, p);
}

int rate_floors_create(struct req *r)
{
	if (req_validate(r, rf_fields) != 0)
		return -1;
	if (!activity_category_valid(body_str(r, "activity_category"))) {
		err_field(&r->err, "activity_category", "invalid_value",
		          "must be 1 to 64 characters a-z, 0-9 and _");
		return -1;
	}
	if (coop_open(r, r->params[0]) != 0)
		return -1;
	char *body = body_text(r);
	if (!body)
		return -1;
	const char *p[] = {body, r->params[0]};
	struct write_info w = {"rate_floor.create", "rate_floor", r->params[0], NULL};
	int rc = write_one(r, &rf_insert, 2, p, 201, "/v1/rate-floors", &w, r->body);
	free(body);
	return rc;
}

/* Locks the rate floor in scope; fills its cooperative. */
static int lock_rate_floor(struct req *r, char coop[ID_LEN])
{
	PGresult *row;
	const char *lp[] = {r->params[0], scope_coop(&r->who)};
	if (!req_db(r) || lock_one(r, &rf_lock, 2, lp, &row) != 0)
		return -1;
	snprintf(coop, ID_LEN, "%s", PQgetvalue(row, 0, 1));
	PQclear(row);
	return 0;
}

int rate_floors_patch(struct req *r)
{
	char coop[ID_LEN];
	if (req_validate(r, rf_patch_fields) != 0 || lock_rate_floor(r, coop) != 0)
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
	if (lock_rate_floor(r, coop) != 0)
		return -1;
	const char *p[] = {r->params[0]};
	struct write_info w = {"rate_floor.delete", "rate_floor", coop, NULL};
	return write_one(r, &rf_delete, 1, p, 204, NULL, &w, NULL);
}
