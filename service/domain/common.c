#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auth/authz.h"
#include "lib/csv.h"
#include "lib/ids.h"

int list_result(struct req *r, const PGresult *res, int limit)
{
	int n = PQntuples(res);
	resp_list_begin(r);
	for (int i = 0; i < n && i < limit; i++)
		resp_list_item(r, PQgetvalue(res, i, 0));
	char cursor[32];
	if (n > limit)
		cursor_encode(atoll(PQgetvalue(res, limit - 1, 1)), cursor, sizeof cursor);
	return resp_list_end(r, n > limit ? cursor : NULL);
}

void page_params(long long after, int limit, char after_buf[24], char limit_buf[12])
{
	snprintf(after_buf, 24, "%lld", after);
	snprintf(limit_buf, 12, "%d", limit + 1);
}

int not_found(struct req *r)
{
	err_set(&r->err, 404, "not_found", "no such resource");
	return -1;
}

#define BOOLOID 16

struct csv_ctx {
	struct req *r;
	int started;
};

static int csv_row(void *ctx, const PGresult *res, int is_last)
{
	struct csv_ctx *c = ctx;
	struct req *r = c->r;
	int n = PQnfields(res);
	if (!c->started) {
		if (resp_stream_begin(r, 200, "text/csv; charset=utf-8; header=present") != 0)
			return -1;
		c->started = 1;
		for (int i = 0; i < n; i++)
			csv_field(&r->out, PQfname(res, i), i == 0);
		csv_end_row(&r->out);
	}
	if (is_last)
		return 0;
	for (int i = 0; i < n; i++) {
		const char *v = db_str(res, 0, i);
		if (v && PQftype(res, i) == BOOLOID)
			v = v[0] == 't' ? "true" : "false";
		csv_field(&r->out, v, i == 0);
	}
	csv_end_row(&r->out);
	return resp_stream_flush(r, 0);
}

int csv_export(struct req *r, struct stmt *s, int nparams, const char *const *params)
{
	struct csv_ctx c = {r, 0};
	int rc = db_stream(r->db, s, nparams, params, csv_row, &c, &r->err);
	if (c.started && resp_stream_end(r) != 0)
		rc = -1;
	return rc;
}

static struct stmt coop_exists = STMT("SELECT 1 FROM cooperatives WHERE id = $1");

int require_row(struct req *r, struct stmt *s, int nparams, const char *const *params)
{
	if (!req_db(r))
		return -1;
	PGresult *res = db_exec(r->db, s, nparams, params, &r->err);
	if (!res)
		return -1;
	int found = PQntuples(res) > 0;
	PQclear(res);
	return found ? 0 : not_found(r);
}

int require_ref(struct req *r, struct stmt *s, int nparams, const char *const *params,
                const char *field)
{
	if (!req_db(r))
		return -1;
	PGresult *res = db_exec(r->db, s, nparams, params, &r->err);
	if (!res)
		return -1;
	int found = PQntuples(res) > 0;
	PQclear(res);
	if (!found)
		err_field(&r->err, field, "invalid_reference",
		          "does not name an object you can see");
	return found ? 0 : -1;
}

static struct stmt municipality_exists = STMT("SELECT 1 FROM municipalities WHERE code = $1");

int require_municipality_ref(struct req *r)
{
	const char *p[] = {body_str(r, "municipality_code")};
	return p[0] ? require_ref(r, &municipality_exists, 1, p, "municipality_code") : 0;
}

int coop_open(struct req *r, const char *coop_id)
{
	const char *p[] = {coop_id};
	return authz_coop(&r->who, coop_id, &r->err) != 0 ? -1 : require_row(r, &coop_exists, 1, p);
}

#define MAX_LIST_PARAMS 12

int list_query(struct req *r, struct stmt *s, struct stmt *csv, int nfilters,
               const char *const *filters)
{
	if (nfilters > MAX_LIST_PARAMS - 2 || !req_db(r))
		return -1;
	if (r->csv && csv)
		return csv_export(r, csv, nfilters, filters);
	int limit;
	long long after;
	if (req_page(r, &limit, &after) != 0)
		return -1;
	char a[24], l[12];
	page_params(after, limit, a, l);
	const char *p[MAX_LIST_PARAMS] = {a, l};
	for (int i = 0; i < nfilters; i++)
		p[2 + i] = filters[i];
	PGresult *res = db_exec_last(r->db, s, 2 + nfilters, p, &r->err);
	if (!res)
		return -1;
	int rc = list_result(r, res, limit);
	PQclear(res);
	return rc;
}

int coop_child_list(struct req *r, struct stmt *s)
{
	const char *f[] = {r->params[0]};
	return coop_open(r, r->params[0]) != 0 ? -1 : list_query(r, s, NULL, 1, f);
}

int get_one(struct req *r, struct stmt *s, int nparams, const char *const *params)
{
	if (!req_db(r))
		return -1;
	PGresult *res = db_exec_last(r->db, s, nparams, params, &r->err);
	if (!res)
		return -1;
	int rc;
	if (PQntuples(res) == 1) {
		resp_set_etag(r, PQgetvalue(res, 0, 1));
		rc = resp_json_text(r, 200, PQgetvalue(res, 0, 0));
	} else {
		rc = not_found(r);
	}
	PQclear(res);
	return rc;
}

int write_one(struct req *r, struct stmt *s, int nparams, const char *const *params, int status,
              const char *collection, const struct write_info *w, json_t *changes)
{
	PGresult *res = db_exec(r->db, s, nparams, params, &r->err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return not_found(r);
	}
	char id[ID_LEN];
	snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 1));
	if (status == 204) {
		resp_empty(r, 204);
	} else {
		resp_set_etag(r, PQgetvalue(res, 0, 2));
		resp_json_text(r, status, PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	if (status == 201 && collection)
		resp_set_location(r, collection, id);
	return audit_record(r, w->coop, w->municipality, w->action, w->object_type, id, changes);
}

int lock_one(struct req *r, struct stmt *s, int nparams, const char *const *params, PGresult **row)
{
	long want;
	*row = NULL;
	if (req_if_match(r, &want) < 0)
		return -1;
	PGresult *res = db_exec(r->db, s, nparams, params, &r->err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return not_found(r);
	}
	if (want > 0 && want != db_ll(res, 0, 0)) {
		PQclear(res);
		err_set(&r->err, 412, "precondition_failed",
		        "If-Match does not match the current version");
		return -1;
	}
	*row = res;
	return 0;
}

char *body_text(struct req *r)
{
	char *s = json_dumps(r->body, JSON_COMPACT);
	if (!s)
		err_set(&r->err, 500, "internal_error", "internal error");
	return s;
}

int validate_nested(struct req *r, json_t *obj, const char *prefix, const struct field *fields)
{
	/* The same table machinery as for bodies, on the nested object, naming fields prefix.x. */
	json_t *outer = r->body;
	struct err outer_err = r->err;
	memset(&r->err, 0, sizeof r->err);
	r->body = obj;
	req_validate(r, fields);
	r->body = outer;
	json_t *inner = r->err.errors;
	r->err = outer_err;
	size_t i;
	json_t *fe;
	json_array_foreach(inner, i, fe)
	{
		char name[96];
		snprintf(name, sizeof name, "%s.%s", prefix,
		         json_string_value(json_object_get(fe, "field")));
		err_field(&r->err, name, json_string_value(json_object_get(fe, "code")),
		          json_string_value(json_object_get(fe, "message")));
	}
	int bad = inner != NULL;
	json_decref(inner);
	return bad ? -1 : 0;
}

int validate_items(struct req *r, const char *name, const struct field *fields)
{
	json_t *arr = json_object_get(r->body, name);
	if (!json_is_array(arr))
		return 0; /* absent, or a type error reported by req_validate */
	size_t i;
	json_t *item;
	int rc = 0;
	json_array_foreach(arr, i, item)
	{
		char prefix[64];
		snprintf(prefix, sizeof prefix, "%s[%zu]", name, i);
		if (!json_is_object(item)) {
			err_field(&r->err, prefix, "invalid_type", "must be an object");
			rc = -1;
		} else if (validate_nested(r, item, prefix, fields) != 0) {
			rc = -1;
		}
	}
	return rc;
}

static const struct field address_fields[] = {
    {"street", F_STRING, FIELD_REQUIRED, 1, 200, NULL},
    {"house_number", F_STRING, FIELD_REQUIRED, 1, 20, NULL},
    {"postal_code", F_STRING, FIELD_REQUIRED, 1, 20, NULL},
    {"city", F_STRING, FIELD_REQUIRED, 1, 100, NULL},
    {"country", F_STRING, 0, 2, 2, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const char *const address_parts[] = {"street", "house_number", "postal_code", "city",
                                            "country"};

void flatten_address(struct req *r, int required)
{
	json_t *addr = json_object_get(r->body, "address");
	if (!addr) {
		if (required)
			err_field(&r->err, "address", "required", "is required");
		return;
	}
	if (json_is_null(addr)) {
		if (required) {
			err_field(&r->err, "address", "invalid_type", "must not be null");
			return;
		}
		for (size_t i = 0; i < 5; i++)
			json_object_set_new(r->body, address_parts[i], json_null());
		json_object_del(r->body, "address");
		return;
	}
	if (!json_is_object(addr)) {
		err_field(&r->err, "address", "invalid_type", "must be an object");
		return;
	}
	if (validate_nested(r, addr, "address", address_fields) != 0)
		return;

	const char *country = json_string_value(json_object_get(addr, "country"));
	if (!country)
		country = "NL";
	int country_ok = country[0] >= 'A' && country[0] <= 'Z' && country[1] >= 'A' &&
	                 country[1] <= 'Z' && !country[2];
	if (!country_ok) {
		err_field(&r->err, "address.country", "invalid_value",
		          "must be an ISO 3166 country code like NL");
		return;
	}
	char postal[32];
	snprintf(postal, sizeof postal, "%s",
	         json_string_value(json_object_get(addr, "postal_code")));
	if (strcmp(country, "NL") == 0) {
		char norm[32];
		postal_code_nl_normalize(postal, norm, sizeof norm);
		if (!postal_code_nl_valid(norm)) {
			err_field(&r->err, "address.postal_code", "invalid_postal_code",
			          "must be a Dutch postal code like 1234 AB");
			return;
		}
		snprintf(postal, sizeof postal, "%s", norm);
	}
	json_object_set_new(r->body, "country", json_string(country));
	json_object_set_new(r->body, "postal_code", json_string(postal));
	for (size_t k = 0; k < 5; k++)
		if (strcmp(address_parts[k], "country") && strcmp(address_parts[k], "postal_code"))
			json_object_set(r->body, address_parts[k],
			                json_object_get(addr, address_parts[k]));
	json_object_del(r->body, "address");
}

static const struct {
	const char *field;
	int (*valid)(const char *);
	const char *code;
	const char *message;
} identifier_rules[] = {
    {"kvk_number", kvk_valid, "invalid_kvk_number", "must be a KvK number of 8 digits"},
    {"rsin", rsin_valid, "invalid_rsin", "must be an RSIN of 9 digits passing the 11-test"},
    {"vat_id", vat_id_valid, "invalid_vat_id", "must be a valid VAT id like NL123456789B01"},
    {"iban", iban_valid, "invalid_iban", "must be a valid IBAN"},
    {"bic", bic_valid, "invalid_bic", "must be a BIC of 8 or 11 characters"},
    {"email", email_plausible, "invalid_email", "must be an e-mail address"},
    {"municipality_code", municipality_code_valid, "invalid_municipality_code",
     "must be a CBS code like GM0363"},
};

void check_identifiers(struct req *r)
{
	/* IBANs are accepted with spaces and in lower case, and stored in the canonical form. */
	const char *iban = body_str(r, "iban");
	if (iban) {
		char norm[64];
		iban_normalize(iban, norm, sizeof norm);
		json_object_set_new(r->body, "iban", json_string(norm));
	}
	for (size_t i = 0; i < sizeof identifier_rules / sizeof identifier_rules[0]; i++) {
		const char *v = body_str(r, identifier_rules[i].field);
		if (v && !identifier_rules[i].valid(v))
			err_field(&r->err, identifier_rules[i].field, identifier_rules[i].code,
			          identifier_rules[i].message);
	}
}

int decimal3_valid(const char *s)
{
	int digits = 0, decimals = -1;
	for (; *s; s++) {
		if (*s == '.' && decimals < 0 && digits > 0)
			decimals = 0;
		else if (*s >= '0' && *s <= '9')
			decimals >= 0 ? decimals++ : digits++;
		else
			return 0;
	}
	return digits > 0 && digits <= 9 && decimals != 0 && decimals <= 3;
}

int activity_category_valid(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return 0;
	return n >= 1 && n <= 64;
}
