/* The PDF invoice renderer: the invoice document of the renderer contract (one JSON object with
 * invoice, supplier, customer and member; amounts in integer cents) as an A4 PDF with Dutch
 * labels, built with libharu. Pure: no database, no HTTP, no global state.
 *
 * The document is checked before anything is drawn: required fields, types (money must be JSON
 * integers, quantities decimal strings with at most 3 decimals, dates YYYY-MM-DD), lengths in
 * characters (code points, as the API counts them), and the arithmetic the PDF prints (lines
 * add up to the net total, the VAT breakdown to the net and VAT totals, net + VAT = gross,
 * gross - paid = open). A document that would print a wrong or contradictory invoice is refused
 * rather than rendered. These checks are lib/invoice_doc.h's, shared with the UBL renderer; a
 * printed invoice also needs a due date whenever it asks for payment, the issue date of the
 * invoice a credit note credits, and the cooperative's IBAN.
 *
 * Text is drawn by the drawing layer (pdfdraw.h): every valid UTF-8 text renders. */
#ifndef COOPD_PDF_H
#define COOPD_PDF_H
#include <jansson.h>
#include <stddef.h>

/* Renders the invoice document (contract4.md) as a one- or multi-page A4 PDF. Returns a
 * malloc'ed buffer (the caller frees it) and its length in *len, or NULL with a short message in
 * err (errlen bytes, always NUL-terminated when errlen > 0) and *len = 0. Thread-safe (one
 * HPDF_Doc per call) and safe on a small stack: the drawing runs on a thread of its own with a
 * large stack, which the call waits for. */
unsigned char *pdf_render(const json_t *doc, size_t *len, char *err, size_t errlen);

/* For tests of the error paths only: as pdf_render, but libharu reports an error at drawing
 * step `step` (counted from 0 in this call: pages, text runs, rules, fills, the save), the way
 * it reports a real one. step < 0 provokes none. */
unsigned char *pdf_render_failing_at(const json_t *doc, size_t *len, char *err, size_t errlen,
                                     long step);

#endif
