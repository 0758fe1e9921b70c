/* The error core: an error on its way to becoming a problem+json response (RFC 9457).
 *
 * Every layer reports failure in a struct err — the HTTP layer (bad requests), the database
 * layer (SQLSTATE → status, see db/db.h), auth (401/403/404 for out-of-scope objects) and the
 * domain (field errors). Only http/ turns it into a response. It owns nothing but its
 * `errors` array; err_clear releases that. This header depends on Jansson only, so db/, auth/
 * and lib/ can use it without knowing about HTTP.
 *
 * Contract: `code` is a stable machine code (clients switch on it), copied into the struct so
 * that a code raised by SQL needs no static string; `detail`
 * is short and factual for a person, never internals, values of secrets or personal data. */
#ifndef COOPD_ERR_H
#define COOPD_ERR_H

#include <jansson.h>

struct err {
	int status;          /* HTTP status; 0 = no error */
	char code[48];       /* stable machine code ([a-z0-9_]); "" = none */
	char detail[256];    /* for the client: short, factual, no internals */
	json_t *errors;      /* owned array of {field, code, message}, or NULL */
	int retry_after;     /* seconds for Retry-After, 0 = none */
	char constraint[64]; /* the violated constraint, when a database constraint failed */
};

void err_set(struct err *e, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Adds a field error and makes e a 422: code invalid_reference while every field error is one,
 * else validation_failed (unless e already holds another status). */
void err_field(struct err *e, const char *field, const char *code, const char *message);
/* Releases the field errors and resets e to "no error". */
void err_clear(struct err *e);
/* Shorthands for the statuses every layer uses: 404 not_found ("no such resource"; also the
 * answer for an object out of the caller's scope) and 500 internal_error. Both return -1. */
int err_not_found(struct err *e);
int err_internal(struct err *e);

#endif
