/* Payments on an invoice (payments.h). */
#include "payments.h"

#include "body.h"
#include "invoices.h"
#include "list.h"
#include "resource.h"
#include "scope.h"

/* $3 the invoice. */
static struct list_stmt payment_list =
    LIST_STMT("payment_doc(p)::text", "payments p", "p.seq", "p.invoice_id = $3");

/* $1 invoice, $2 amount, $3 received_on, $4 method, $5 reference, $6 the user who records. */
static struct stmt payment_insert =
    STMT("SELECT payment_doc(p)::text AS doc, p.id, 1 AS row_version"
         " FROM payment_record($1, $2, $3::date, $4, $5, $6) p");

/* Payments never change: their ETag is constant. */
static struct stmt payment_get =
    STMT("SELECT payment_doc(p)::text AS doc, 1 AS row_version FROM payments p"
         " WHERE p.id = $1 AND ($2::uuid IS NULL OR p.cooperative_id = $2)");

static const char *const methods[] = {"bank", "cash", "other", NULL};

const struct field payments_create_fields[] = {
    {"amount_cents", F_CENTS, FIELD_REQUIRED, -MAX_PRICE * 1000, MAX_PRICE * 1000, NULL},
    {"received_on", F_DATE, FIELD_REQUIRED, 0, 0, NULL},
    {"method", F_ENUM, FIELD_REQUIRED, 0, 0, methods},
    {"reference", F_STRING, FIELD_NULLABLE, 1, 200, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int payments_list(struct req *r)
{
	return list_children(r, invoice_open, &payment_list);
}

int payments_create(struct req *r)
{
	long long cents = json_integer_value(json_object_get(r->body, "amount_cents"));
	if (cents == 0) {
		err_field(&r->err, "amount_cents", "invalid_value", "must not be 0");
		return -1;
	}
	struct locked_invoice l;
	if (lock_invoice(r, &l) != 0)
		return -1;
	char amount[24];
	const char *p[] = {r->params[0],
	                   body_integer_text(r, "amount_cents", amount),
	                   body_str(r, "received_on"),
	                   body_str(r, "method"),
	                   body_str(r, "reference"),
	                   r->who.sub};
	struct write_info w = {"payment.create", "payment", l.coop, NULL};
	return write_one(r, &payment_insert, 6, p, 201, "/v1/payments", &w, r->body);
}

int payments_get(struct req *r)
{
	return get_in_coop(r, &payment_get);
}
