/* A cooperative's customers (customers.h). */
#include "customers.h"

#include <string.h>

#include "body.h"
#include "list.h"
#include "resource.h"
#include "scope.h"

/* $3 cooperative, $4 a part of the name (any case). */
static struct list_stmt customer_list = LIST_STMT_CSV(
    "customer_doc(c)::text",
    "c.id, c.cooperative_id, c.name, c.street, c.house_number, c.postal_code, c.city, c.country,"
    "  c.kvk_number, c.vat_id, c.email, c.peppol_id, c.payment_terms_days,"
    "  rfc3339(c.created_at) AS created_at, rfc3339(c.updated_at) AS updated_at",
    "customers c", "c.seq",
    "c.cooperative_id = $3 AND ($4::text IS NULL OR strpos(lower(c.name), lower($4)) > 0)");

/* What a member sees of its cooperative's customers: enough to choose one for its draft (the id,
 * the name and the place), not the contact and tax data, which are the office's. JSON only.
 * $3 and $4 as above. */
static struct list_stmt customer_choice_list = LIST_STMT(
    "json_build_object('id', c.id, 'name', c.name, 'city', c.city, 'country', c.country)::text",
    "customers c", "c.seq",
    "c.cooperative_id = $3 AND ($4::text IS NULL OR strpos(lower(c.name), lower($4)) > 0)");

static struct stmt customer_get =
    STMT("SELECT customer_doc(c)::text AS doc, c.row_version FROM customers c"
         " WHERE c.id = $1 AND ($2::uuid IS NULL OR c.cooperative_id = $2)");

#define CUSTOMER_COLUMNS                                                                           \
	"name, street, house_number, postal_code, city, country, kvk_number, vat_id, email,"       \
	" peppol_id, payment_terms_days"

/* $1 the body, $2 the cooperative. */
static struct stmt customer_insert =
    STMT(INSERT_FROM_BODY("customers", "c", CUSTOMER_COLUMNS, "customer_doc"));

static struct stmt customer_lock =
    STMT("SELECT c.row_version, c.cooperative_id FROM customers c"
         " WHERE c.id = $1 AND ($2::uuid IS NULL OR c.cooperative_id = $2) FOR UPDATE");

/* $1 the body, $2 the customer. */
static struct stmt customer_update =
    STMT(UPDATE_FROM_BODY("customers", "c", CUSTOMER_COLUMNS, "customer_doc"));

#define CUSTOMER_FIELDS(req)                                                                       \
	{"name", F_STRING, req, 1, 200, NULL}, {"address", F_OBJECT, FIELD_NULLABLE, 0, 0, NULL},  \
	    {"kvk_number", F_STRING, FIELD_NULLABLE, 0, 0, NULL},                                  \
	    {"vat_id", F_STRING, FIELD_NULLABLE, 0, 0, NULL},                                      \
	    {"email", F_STRING, FIELD_NULLABLE, 0, 254, NULL},                                     \
	    {"peppol_id", F_STRING, FIELD_NULLABLE, 6, 69, NULL},                                  \
	    {"payment_terms_days", F_INT, 0, 0, 365, NULL},                                        \
	{                                                                                          \
		NULL, 0, 0, 0, 0, NULL                                                             \
	}

const struct field customers_create_fields[] = {CUSTOMER_FIELDS(FIELD_REQUIRED)};
const struct field customers_patch_fields[] = {CUSTOMER_FIELDS(0)};

/* "0106:12345678": a four-digit scheme, a colon and the identifier. */
static int peppol_id_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 6 || n > 69 || s[4] != ':')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (i < 4 ? !(c >= '0' && c <= '9')
		          : i > 4 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		                       (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int check_customer_body(struct req *r, int creating)
{
	flatten_address(r, 0);
	check_identifiers(r);
	const char *peppol = body_str(r, "peppol_id");
	if (peppol && !peppol_id_valid(peppol))
		err_field(&r->err, "peppol_id", "invalid_value",
		          "must be a Peppol participant id like 0106:12345678");
	if (creating && !json_object_get(r->body, "payment_terms_days"))
		json_object_set_new(r->body, "payment_terms_days", json_integer(30));
	return r->err.status ? -1 : 0;
}

int customers_create_check(struct req *r)
{
	return check_customer_body(r, 1);
}

int customers_patch_check(struct req *r)
{
	return check_customer_body(r, 0);
}

int customers_list(struct req *r)
{
	if (coop_open(r, r->params[0]) != 0)
		return -1;
	char name[128];
	int has_name = req_query(r, "name", name, sizeof name);
	if (has_name < 0) {
		err_set(&r->err, 400, "invalid_parameter", "name is too long");
		return -1;
	}
	const char *f[] = {r->params[0], has_name ? name : NULL};
	return list_query(r, r->who.role == ROLE_MEMBER ? &customer_choice_list : &customer_list, 2,
	                  f);
}

int customers_create(struct req *r)
{
	if (coop_open(r, r->params[0]) != 0)
		return -1;
	struct write_info w = {"customer.create", "customer", r->params[0], NULL};
	return write_body(r, &customer_insert, r->params[0], 201, "/v1/customers", &w);
}

int customers_get(struct req *r)
{
	return get_in_coop(r, &customer_get);
}

int customers_patch(struct req *r)
{
	char coop[ID_LEN];
	if (lock_in_coop(r, &customer_lock, coop, NULL) != 0)
		return -1;
	struct write_info w = {"customer.update", "customer", coop, NULL};
	return write_body(r, &customer_update, r->params[0], 200, NULL, &w);
}
