/* SQLSTATE → struct err: where a database failure becomes what the client is told.
 *
 * Three sources, in this order:
 * 1. Application rules raised in SQL (sql/functions/) carry their status themselves: SQLSTATE
 *    class CO plus the HTTP status ('CO409', 'CO422') and the message "code: detail", the way
 *    PostgREST lets a function choose its status. A new rule needs no C change, and cannot
 *    fall through to a 500.
 * 2. Named constraints whose violation means something to the client: the table below gives
 *    the code, the detail and the field they concern.
 * 3. Everything else by SQLSTATE class (unique → 409, foreign key → 422, check → 422, ...).
 * Only the SQLSTATE, the rule code and the constraint name are logged, never the values. */
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "internal.h"
#include "log.h"

static atomic_ullong errors;

void db_count_error(void)
{
	atomic_fetch_add(&errors, 1);
}

unsigned long long db_error_count(void)
{
	return atomic_load(&errors);
}

/* Constraints with a meaning of their own. field, when set, becomes a field error as well. */
static const struct {
	const char *constraint;
	int status;
	const char *code, *field, *detail;
} constraint_rules[] = {
    {"users_username_unique", 409, "already_exists", "username", "this username is taken"},
    {"cooperatives_invoice_prefix_key", 409, "already_exists", "invoice_prefix",
     "this invoice_prefix is taken"},
    {"fee_policies_cooperative_id_valid_from_key", 409, "already_exists", "valid_from",
     "a fee policy with this valid_from exists"},
    {"rate_floors_cooperative_id_activity_category_unit_key", 409, "already_exists",
     "activity_category", "a rate floor for this activity_category and unit exists"},
    {"municipal_policies_municipality_code_valid_from_key", 409, "already_exists", "valid_from",
     "a policy with this valid_from exists"},
    {"statutory_parameters_valid_from_key", 409, "already_exists", "valid_from",
     "parameters with this valid_from exist"},
    {"shareholders_no_overlap", 422, "shareholding_overlap", NULL,
     "this municipality already holds shares in that period"},
    {"permissions_no_overlap", 422, "permission_overlap", NULL,
     "the member has another permission in this period"},
    {"member_hours_week", 409, "already_exists", "week",
     "hours for this week were recorded already; PATCH /v1/hours/{id} corrects them"},
    {"member_hours_total", 422, "invalid_value", "jobsearch_hours",
     "business_hours and jobsearch_hours together must not exceed 168 a week"},
};

/* A rule code: 1 to 47 characters a-z, 0-9 and _. */
static size_t rule_code_len(const char *msg)
{
	size_t n = 0;
	while (n < 48 &&
	       (islower((unsigned char)msg[n]) || isdigit((unsigned char)msg[n]) || msg[n] == '_'))
		n++;
	return n >= 1 && n < 48 && msg[n] == ':' ? n : 0;
}

/* 1 when st is class CO with a 4xx status: the code is the message's "code:" prefix, or
 * rule_violation when the message has none. */
static int raised_rule(const char *st, const char *msg, struct err *e)
{
	if (strncmp(st, "CO", 2) != 0 || !msg)
		return 0;
	int status = 0;
	for (int i = 2; i < 5; i++) {
		if (!isdigit((unsigned char)st[i]))
			return 0;
		status = status * 10 + (st[i] - '0');
	}
	if (status < 400 || status > 499)
		return 0;
	size_t n = rule_code_len(msg);
	if (!n) { /* a rule without its code still gets its status */
		err_set(e, status, "rule_violation", "%s", msg);
		return 1;
	}
	char code[48];
	memcpy(code, msg, n);
	code[n] = '\0';
	const char *detail = msg + n + 1;
	while (*detail == ' ')
		detail++;
	err_set(e, status, code, "%s", detail);
	return 1;
}

static int named_constraint(const char *cons, struct err *e)
{
	for (size_t i = 0; cons && i < sizeof constraint_rules / sizeof constraint_rules[0]; i++) {
		if (strcmp(constraint_rules[i].constraint, cons) != 0)
			continue;
		/* A 422 on a field is a field error of validation_failed, like the C checks'. */
		int field_error = constraint_rules[i].status == 422 && constraint_rules[i].field;
		err_set(e, constraint_rules[i].status,
		        field_error ? "validation_failed" : constraint_rules[i].code, "%s",
		        constraint_rules[i].detail);
		if (constraint_rules[i].field)
			err_field(e, constraint_rules[i].field, constraint_rules[i].code,
			          constraint_rules[i].detail);
		return 1;
	}
	return 0;
}

void db_error_to_err(const PGresult *res, struct err *e)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *cons = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
	if (!st)
		st = "08006";
	err_clear(e);
	if (cons)
		snprintf(e->constraint, sizeof e->constraint, "%s", cons);
	if (raised_rule(st, msg, e))
		return;
	if (named_constraint(cons, e))
		return;

	db_count_error();
	/* A data exception's message can quote the value (invalid input syntax for type uuid:
	 * "..."): the log gets the SQLSTATE and the constraint only. */
	int quotes_values = strncmp(st, "22", 2) == 0;
	log_msg("warn", NULL, "database error %s: %s%s%s", st,
	        quotes_values ? "(data exception)"
	        : msg         ? msg
	                      : "(no message)",
	        cons ? " constraint " : "", cons ? cons : "");
	if (strcmp(st, "23505") == 0)
		err_set(e, 409, "already_exists", "a resource with these values already exists");
	else if (strcmp(st, "23503") == 0)
		err_set(e, 422, "invalid_reference", "a referenced object does not exist");
	else if (strcmp(st, "23514") == 0 || strcmp(st, "23P01") == 0 || strcmp(st, "23502") == 0 ||
	         strncmp(st, "22", 2) == 0)
		err_set(e, 422, "validation_failed", "the values break a rule of the data");
	else if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0) {
		err_set(e, 503, "serialization_failure",
		        "the request conflicted with another; retry");
		e->retry_after = 1;
	} else if (strcmp(st, "57014") == 0)
		err_set(e, 504, "timeout", "the request took too long");
	else if (strcmp(st, "55P03") == 0) {
		err_set(e, 503, "service_unavailable", "the data is busy; retry shortly");
		e->retry_after = 1;
	} else if (strncmp(st, "08", 2) == 0 || strncmp(st, "57P0", 4) == 0) {
		err_set(e, 503, "service_unavailable",
		        "the database is unavailable; retry shortly");
		e->retry_after = 1;
	} else
		err_set(e, 500, "internal_error", "internal error");
}

bool db_err_retryable(const struct err *e)
{
	return strcmp(e->code, "serialization_failure") == 0;
}
