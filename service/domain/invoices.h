/* Invoices through the cooperative (SPEC §5): drafts (by the office, or by a member for
 * itself), submitting, issuing with a gapless number per cooperative and year (the SQL function
 * invoice_issue holds every legal check) and credit notes. Their payments: payments.h; their
 * PDF and UBL documents: invoice_documents.h; the quarterly VAT return: vat_returns.h.
 *
 * Route handlers (http.h) and lock_invoice: each returns 0 (handlers: with the response set),
 * or -1 with r->err set. */
#ifndef COOPD_INVOICES_H
#define COOPD_INVOICES_H

#include "auth/principal.h"
#include "http/http.h"

/* The highest unit price of a line: € 100 million, well inside int64 after × quantity. */
#define MAX_PRICE 10000000000LL

int invoices_list(struct req *r);
int invoices_create(struct req *r);
int invoices_get(struct req *r);
int invoices_patch(struct req *r);
int invoices_delete(struct req *r);
int invoices_submit(struct req *r);
int invoices_issue(struct req *r);
int invoices_credit(struct req *r);

/* What a change needs to know of the invoice it locked. */
struct locked_invoice {
	char coop[ID_LEN];
	char status[16];
	char kind[16];
	char member[ID_LEN];
};

/* Locks the invoice the path names (r->params[0]) in the caller's scope, for the rest of the
 * request's transaction, and checks If-Match (404, 412). Fills l. */
int lock_invoice(struct req *r, struct locked_invoice *l);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field invoices_create_fields[], invoices_patch_fields[],
    invoices_issue_fields[], invoices_credit_fields[];
/* An invoice line in a body (a draft's or a credit note's lines[]). */
extern const struct field invoice_line_fields[];

#endif
