/* Request bodies beyond the field table (body.h). */
#include "body.h"

#include <stdio.h>
#include <string.h>

#include "lib/ids.h"

const char *const unit_names[] = {"hour", "piece", "day", "km", NULL};

char *body_text(struct req *r)
{
	char *s = json_dumps(r->body, JSON_COMPACT);
	if (!s)
		err_internal(&r->err);
	return s;
}

const char *body_integer_text(const struct req *r, const char *name, char buf[24])
{
	json_t *v = json_object_get(r->body, name);
	if (!json_is_integer(v))
		return NULL;
	snprintf(buf, 24, "%lld", (long long)json_integer_value(v));
	return buf;
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

const struct field address_fields[] = {
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

int activity_category_valid(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return 0;
	return n >= 1 && n <= 64;
}

void check_activity_category(struct req *r)
{
	const char *cat = body_str(r, "activity_category");
	if (cat && !activity_category_valid(cat))
		err_field(&r->err, "activity_category", "invalid_value",
		          "must be 1 to 64 characters a-z, 0-9 and _");
}
