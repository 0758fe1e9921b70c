/* Helpers shared by the domain handlers. */
#ifndef COOPD_DOMAIN_COMMON_H
#define COOPD_DOMAIN_COMMON_H

#include <libpq-fe.h>

#include "db/db.h"
#include "http/http.h"

/* Renders a list page from res, whose rows are (json text, seq) and which was fetched with
 * LIMIT limit + 1: at most limit items, and a next_cursor when there was one more row. */
int list_result(struct req *r, const PGresult *res, int limit);

/* Formats the page parameters for a statement: after and limit+1 as text. */
void page_params(long long after, int limit, char after_buf[24], char limit_buf[12]);

/* Answers with every row of statement s as CSV (RFC 4180, header row from the column names,
 * booleans as true/false, NULL as an empty field), streamed in chunks. */
int csv_export(struct req *r, struct stmt *s, int nparams, const char *const *params);

/* Sets r->err to 404 not_found and returns -1. */
int not_found(struct req *r);

/* 0 when statement s (with its scope parameters) finds a row, else -1 with 404 (or the database
 * error). For "the parent must be visible" checks of nested lists. */
int require_row(struct req *r, struct stmt *s, int nparams, const char *const *params);

/* 0 when statement s finds the object a body field names, else -1 with the field error
 * invalid_reference on field (SPEC §9), or the database error. */
int require_ref(struct req *r, struct stmt *s, int nparams, const char *const *params,
                const char *field);
/* The municipality the body's municipality_code names exists (nothing to check when absent). */
int require_municipality_ref(struct req *r);

/* For routes under /v1/cooperatives/{coop_id}: the caller may see that cooperative and it
 * exists (checks out the request's connection). 0, or -1 with 404. */
int coop_open(struct req *r, const char *coop_id);

/* A list endpoint: statement s takes ($1 after, $2 limit + 1, then the filters) and returns
 * (json text, seq). With Accept: text/csv and a csv statement (taking only the filters), every
 * row is streamed as CSV instead. */
int list_query(struct req *r, struct stmt *s, struct stmt *csv, int nfilters,
               const char *const *filters);

/* A list under /v1/cooperatives/{coop_id} without filters: the cooperative must be visible and
 * exist; statement s takes ($1 after, $2 limit + 1, $3 the cooperative). */
int coop_child_list(struct req *r, struct stmt *s);

/* A single resource: statement s returns (json text, row_version) or nothing (→ 404). */
int get_one(struct req *r, struct stmt *s, int nparams, const char *const *params);

/* What a write records in the audit trail. */
struct write_info {
	const char *action;       /* "member.create" */
	const char *object_type;  /* "member" */
	const char *coop;         /* the cooperative's chain; NULL for the platform chain */
	const char *municipality; /* the municipality concerned, or NULL */
};

/* Runs a writing statement that returns (json text, id, row_version) of the written row, answers
 * status with that document and its ETag (201: and Location collection/id), and appends the
 * audit event with changes (borrowed; never secrets). 0 or -1 with r->err. */
int write_one(struct req *r, struct stmt *s, int nparams, const char *const *params, int status,
              const char *collection, const struct write_info *w, json_t *changes);

/* Locks a resource for a change: statement s (SELECT row_version, ... FOR UPDATE, scoped)
 * must return one row, else 404; If-Match must name its version, else 412. On success *row
 * holds the result for the caller to read and clear. */
int lock_one(struct req *r, struct stmt *s, int nparams, const char *const *params, PGresult **row);

/* Validates a nested object against fields, naming errors "prefix.field". 0 or -1. */
int validate_nested(struct req *r, json_t *obj, const char *prefix, const struct field *fields);
/* Validates every object of the body's array `name` ("name[i].field" in errors). 0 or -1. */
int validate_items(struct req *r, const char *name, const struct field *fields);

/* The validated body as JSON text for a statement parameter (malloc'ed; NULL on failure). */
char *body_text(struct req *r);

/* Replaces an "address" object of the body by the flat columns street, house_number,
 * postal_code, city, country (null address: all null), checking each part; a Dutch postal code is
 * normalised to "1234 AB". Field errors go to r->err. */
void flatten_address(struct req *r, int required);

/* Identifier checks on body fields that are present and not null; each failure adds a field
 * error with the identifier's code (invalid_kvk_number, ...). */
void check_identifiers(struct req *r);

/* An activity category: 1 to 64 characters a-z, 0-9 and _. */
int activity_category_valid(const char *s);

/* A decimal string with at most 3 decimals (quantities, hours): "1.5", "12", "0.125". */
int decimal3_valid(const char *s);

#endif
