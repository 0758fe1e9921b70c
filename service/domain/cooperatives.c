/* Cooperatives (cooperatives.h). */
#include "cooperatives.h"

#include "auth/authz.h"
#include "body.h"
#include "list.h"
#include "resource.h"

/* $3: the caller's cooperative, NULL for a platform admin. */
static struct list_stmt coop_list = LIST_STMT("cooperative_doc(c)::text", "cooperatives c", "c.seq",
                                              "$3::uuid IS NULL OR c.id = $3");

static struct stmt coop_get =
    STMT("SELECT cooperative_doc(c)::text AS doc, c.row_version FROM cooperatives c"
         " WHERE c.id = $1 AND ($2::uuid IS NULL OR c.id = $2)");

#define COOP_COLUMNS                                                                               \
	"legal_name, trade_name, kvk_number, rsin, vat_id, iban, bic, street, house_number,"       \
	" postal_code, city, country, email, phone, vat_scheme, invoice_prefix,"                   \
	" reserve_cap_cents, statutes, board"

/* $1 the body. Defaults come from the table (vat_scheme, statutes, board), filled in by C (see
 * below). */
static struct stmt coop_insert =
    STMT("INSERT INTO cooperatives AS c (" COOP_COLUMNS ")"
         " SELECT " COOP_COLUMNS " FROM jsonb_populate_record(NULL::cooperatives, $1::jsonb) b"
         " RETURNING cooperative_doc(c)::text AS doc, c.id, c.row_version");

static struct stmt coop_lock =
    STMT("SELECT row_version FROM cooperatives WHERE id = $1 FOR UPDATE");

/* $1 the body, $2 the cooperative. */
static struct stmt coop_update =
    STMT(UPDATE_FROM_BODY("cooperatives", "c", COOP_COLUMNS, "cooperative_doc"));

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
	    {"reserve_cap_cents", F_CENTS, FIELD_NULLABLE, 0, MAX_CENTS, NULL},                    \
	    {"statutes", F_ARRAY, 0, 0, 0, NULL}, {"board", F_ARRAY, 0, 0, 0, NULL},               \
	{                                                                                          \
		NULL, 0, 0, 0, 0, NULL                                                             \
	}

const struct field cooperatives_create_fields[] = {COOP_FIELDS(FIELD_REQUIRED)};
const struct field cooperatives_patch_fields[] = {COOP_FIELDS(0)};

const struct field cooperative_statute_fields[] = {
    {"title", F_STRING, FIELD_REQUIRED, 1, 200, NULL},
    {"adopted_on", F_DATE, FIELD_REQUIRED, 0, 0, NULL},
    {"document_url", F_STRING, FIELD_NULLABLE, 1, 500, NULL},
    {"special_statute", F_BOOL, 0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct field cooperative_board_fields[] = {
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
	validate_items(r, "statutes", cooperative_statute_fields);
	validate_items(r, "board", cooperative_board_fields);
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

int cooperatives_create_check(struct req *r)
{
	return check_coop_body(r, 1);
}

int cooperatives_patch_check(struct req *r)
{
	return check_coop_body(r, 0);
}

int cooperatives_list(struct req *r)
{
	const char *f[] = {scope_coop(&r->who)};
	return list_query(r, &coop_list, 1, f);
}

int cooperatives_create(struct req *r)
{
	struct write_info w = {"cooperative.create", "cooperative", NULL, NULL};
	return write_body(r, &coop_insert, NULL, 201, "/v1/cooperatives", &w);
}

int cooperatives_get(struct req *r)
{
	return get_in_coop(r, &coop_get);
}

int cooperatives_patch(struct req *r)
{
	if (authz_coop(&r->who, r->params[0], &r->err) != 0)
		return -1;
	PGresult *row;
	const char *lp[] = {r->params[0]};
	if (lock_one(r, &coop_lock, 1, lp, &row) != 0)
		return -1;
	PQclear(row);
	struct write_info w = {"cooperative.update", "cooperative", r->params[0], NULL};
	return write_body(r, &coop_update, r->params[0], 200, NULL, &w);
}
