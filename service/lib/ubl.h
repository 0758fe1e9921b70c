/* UBL 2.1 e-invoices in the Dutch SI-UBL 2.0 (NLCIUS / EN 16931) profile, rendered from the invoice
 * document of the invoicing code (the renderer contract: one JSON document per invoice).
 * Pure code: no database, no network, no floating point (money is int64 cents). */
#ifndef COOPD_UBL_H
#define COOPD_UBL_H

#include <jansson.h>
#include <stddef.h>

#define UBL_CUSTOMIZATION_ID "urn:cen.eu:en16931:2017#compliant#urn:fdc:nen.nl:nlcius:v1.0"
#define UBL_PROFILE_ID       "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

/* Renders the invoice document as UBL 2.1: an Invoice (kind "invoice", InvoiceTypeCode 380) or a
 * CreditNote (kind "credit_note", CreditNoteTypeCode 381, positive amounts, BillingReference to the
 * original). Returns a malloc'ed NUL-terminated UTF-8 XML string and its length in *len (which may
 * be NULL); the caller frees it with free(). On error returns NULL with a short lower-case message
 * in err (when errlen > 0).
 *
 * The document is checked before it is rendered, so that every document this returns passes the
 * official SI-UBL 2.0 rules: the totals must add up (lines → VAT breakdown → totals → open
 * amount), each line's net must be its quantity × unit price rounded to the cent, the supplier
 * needs a KvK number, a VAT id and an address, a Dutch customer needs a KvK number (or an OIN as
 * peppol_id "0190:…"), and reverse-charged lines need the customer's VAT id. The checks of the
 * document itself are lib/invoice_doc.h's (shared with the PDF renderer); the SI-UBL ones are
 * ubl.c's.
 * Keeps no state; call xmlInitParser() once before threads start when used from several. */
char *ubl_render(const json_t *doc, size_t *len, char *err, size_t errlen);

#endif
