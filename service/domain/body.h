/* Request bodies beyond the field table (http.h, req_validate): nested objects and arrays of
 * objects, the postal address, identifiers (KvK, RSIN, VAT id, IBAN, BIC, e-mail, CBS code),
 * activity categories, and the body as JSON text for a statement.
 *
 * Owns nothing: every function works on r->body (borrowed, rewritten in place where it says so)
 * and reports field errors into r->err (422 with errors[]). No database, no civetweb. */
#ifndef COOPD_DOMAIN_BODY_H
#define COOPD_DOMAIN_BODY_H

#include "http/http.h"

/* The largest amount a money field of a body takes: € 1 000 000 000 000 in cents. */
#define MAX_CENTS 100000000000000LL

/* The units of a priced line or a rate floor (NULL-terminated, for F_ENUM). */
extern const char *const unit_names[];

/* Validates a nested object against fields, naming errors "prefix.field". 0, or -1 with the
 * field errors added to r->err. */
int validate_nested(struct req *r, json_t *obj, const char *prefix, const struct field *fields);
/* Validates every object of the body's array `name` ("name[i].field" in errors). 0 or -1 as
 * validate_nested; an absent or non-array field is not its business (0). */
int validate_items(struct req *r, const char *name, const struct field *fields);

/* The body as compact JSON text for a statement parameter: malloc'ed, the caller frees it.
 * NULL with r->err 500 when it cannot be made. */
char *body_text(struct req *r);

/* An integer field of the body (money in cents, a count) as decimal text in buf, for a statement
 * parameter; NULL when it is absent, null or not an integer. */
const char *body_integer_text(const struct req *r, const char *name, char buf[24]);

/* Replaces an "address" object of the body by the flat columns street, house_number,
 * postal_code, city, country (null address: all null), checking each part; a Dutch postal code is
 * normalised to "1234 AB". Field errors go to r->err. */
void flatten_address(struct req *r, int required);
/* The fields of a postal address object, as flatten_address checks them. */
extern const struct field address_fields[];

/* Identifier checks on body fields that are present and not null; each failure adds a field
 * error with the identifier's code (invalid_kvk_number, ...). An IBAN is rewritten in its
 * canonical form. */
void check_identifiers(struct req *r);

/* An activity category: 1 to 64 characters a-z, 0-9 and _. */
int activity_category_valid(const char *s);
/* The body's activity_category, when present and not null, is one (else a field error). */
void check_activity_category(struct req *r);

#endif
