/* The legal documents of an issued invoice or credit note: the PDF (lib/pdf.h) and the SI-UBL 2.0
 * e-invoice (lib/ubl.h), both rendered from one JSON document that the database builds. A draft
 * has none (409 invoice_not_issued); an invoice the e-invoice rules refuse has a PDF but no UBL
 * (422 ubl_not_possible).
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_INVOICE_DOCUMENTS_H
#define COOPD_INVOICE_DOCUMENTS_H

#include "http/http.h"

int invoices_pdf(struct req *r);
int invoices_ubl(struct req *r);

#endif
