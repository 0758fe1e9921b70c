/* Invoicing through the cooperative (SPEC §5): drafts, issuing with gapless numbers, credit
 * notes, payments, the PDF and UBL documents and the quarterly VAT return. */
#ifndef COOPD_INVOICES_H
#define COOPD_INVOICES_H

#include "http/http.h"

int invoices_list(struct req *r);
int invoices_create(struct req *r);
int invoices_get(struct req *r);
int invoices_patch(struct req *r);
int invoices_delete(struct req *r);
int invoices_submit(struct req *r);
int invoices_issue(struct req *r);
int invoices_credit(struct req *r);
int invoices_pdf(struct req *r);
int invoices_ubl(struct req *r);
int payments_list(struct req *r);
int payments_create(struct req *r);
int payments_get(struct req *r);
int vat_returns_get(struct req *r);

#endif
