/* A member's expenses (expenses.h). */
#include "expenses.h"

#include <string.h>

#include "body.h"
#include "list.h"
#include "resource.h"
#include "scope.h"

/* $3 the member. */
static struct list_stmt expense_list =
    LIST_STMT("expense_doc(e)::text", "expenses e", "dated_key(e.date, e.seq)", "e.member_id = $3");

static struct stmt expense_get =
    STMT("SELECT expense_doc(e)::text AS doc, e.row_version FROM expenses e"
         " WHERE e.id = $1 AND ($2::uuid IS NULL OR e.cooperative_id = $2)"
         "   AND ($3::uuid IS NULL OR e.member_id = $3)");

/* $1 the body, $2 the member, $3 its cooperative, $4 the user who records it. */
static struct stmt expense_insert =
    STMT("INSERT INTO expenses AS e (member_id, cooperative_id, created_by, date, description,"
         "  category, amount_cents, vat_cents, receipt_reference, long_term_obligation)"
         " SELECT $2, $3, $4, b.date, b.description, b.category, b.amount_cents,"
         "  coalesce(b.vat_cents, 0), b.receipt_reference, coalesce(b.long_term_obligation, false)"
         " FROM jsonb_populate_record(NULL::expenses, $1::jsonb) b"
         " RETURNING expense_doc(e)::text AS doc, e.id, e.row_version");

static struct stmt expense_lock =
    STMT("SELECT e.row_version, e.cooperative_id FROM expenses e"
         " WHERE e.id = $1 AND ($2::uuid IS NULL OR e.cooperative_id = $2) FOR UPDATE");

/* $1 the expense, $2 approve (boolean), $3 the reason, $4 the user who decides. */
static struct stmt expense_decision = STMT("SELECT expense_doc(e)::text AS doc, e.id, e.row_version"
                                           " FROM expense_decide($1, $2::boolean, $3, $4) e");

static const char *const categories[] = {"travel", "training", "phone", "materials", "other", NULL};

const struct field expenses_create_fields[] = {
    {"date", F_DATE, FIELD_REQUIRED, 0, 0, NULL},
    {"description", F_STRING, FIELD_REQUIRED, 1, 500, NULL},
    {"category", F_ENUM, FIELD_REQUIRED, 0, 0, categories},
    {"amount_cents", F_CENTS, FIELD_REQUIRED, 1, MAX_CENTS, NULL},
    {"vat_cents", F_CENTS, 0, 0, MAX_CENTS, NULL},
    {"receipt_reference", F_STRING, FIELD_NULLABLE, 1, 200, NULL},
    {"long_term_obligation", F_BOOL, 0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct field expenses_approve_fields[] = {
    {"reason", F_STRING, FIELD_NULLABLE, 1, 500, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct field expenses_reject_fields[] = {
    {"reason", F_STRING, FIELD_REQUIRED, 1, 500, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int expenses_list(struct req *r)
{
	return list_children(r, member_open, &expense_list);
}

int expenses_get(struct req *r)
{
	return get_in_scope(r, &expense_get);
}

int expenses_create_check(struct req *r)
{
	char today[11];
	today_amsterdam(today);
	const char *date = body_str(r, "date");
	if (date && strcmp(date, today) > 0)
		err_field(&r->err, "date", "invalid_value", "must not lie in the future");
	json_t *vat = json_object_get(r->body, "vat_cents");
	json_t *amount = json_object_get(r->body, "amount_cents");
	if (json_is_integer(vat) && json_is_integer(amount) &&
	    json_integer_value(vat) > json_integer_value(amount))
		err_field(&r->err, "vat_cents", "invalid_value", "must not exceed amount_cents");
	return r->err.status ? -1 : 0;
}

int expenses_create(struct req *r)
{
	/* expenses_create_check has run (routes.c) */
	return write_member_record(r, &expense_insert, "/v1/expenses", "expense.create", "expense");
}

static int decide(struct req *r, int approve)
{
	char coop[ID_LEN];
	if (lock_in_coop(r, &expense_lock, coop, NULL) != 0)
		return -1;
	const char *p[] = {r->params[0], approve ? "true" : "false", body_str(r, "reason"),
	                   r->who.sub};
	struct write_info w = {approve ? "expense.approve" : "expense.reject", "expense", coop,
	                       NULL};
	return write_one(r, &expense_decision, 4, p, 200, NULL, &w, r->body);
}

int expenses_approve(struct req *r)
{
	return decide(r, 1);
}

int expenses_reject(struct req *r)
{
	return decide(r, 0);
}
