/* The member's monthly statement as a PDF (GET /v1/members/{id}/thermometer/{YYYY-MM}/pdf): the
 * page a part-time entrepreneur hands to the municipality's income consultant, in Dutch. From
 * the statement document (sql/functions/statement.sql, statement_doc()): one JSON object with
 *   period "YYYY-MM", made_on "YYYY-MM-DD",
 *   cooperative {legal_name, trade_name?, kvk_number, street?, house_number?, postal_code?,
 *                city?, email?},
 *   member {first_name, last_name, municipal_reference?, municipality_code?,
 *           municipality_name?}     (the municipal case number is the only link to the
 *                                    municipal file; no other identifier is stored or printed)
 *   row: the month's settlement row (SPEC §5 "Settlement rows"): version (null for a draft),
 *        status, stale, settles_with_municipality, income_basis, cost_mode, the figures in
 *        integer cents, business_hours (a decimal string), warnings[], correction_reason,
 *        calculated_at, finalized_at,
 *   documents: [{number, kind ("invoice"|"credit_note"|"payment"), date, customer,
 *                counted_cents}] — what counted in the turnover, at most
 *                STATEMENT_DOCUMENTS_MAX; more_documents: how many more there were,
 *   year: [{period, status (null: no row), turnover_cents, base_cents, tax_reservation_cents,
 *           net_income_cents, exemption_cents, amount_to_settle_cents}] — January up to the
 *         month, one entry each, the last one the month itself.
 *
 * The page: the cooperative and the member (name and municipal reference), the month, the
 * version and whether it is final (a draft, a stale row and a correction each say so), the
 * documents that counted, the calculation of SPEC §6.3 from turnover to the amount to settle
 * (costs, fee, tax reservation, net income, exemption; the premium beside it), a thermometer
 * bar per month of the year so far (where each month's turnover went), and the signals
 * (warnings) in words.
 *
 * The document is checked before anything is drawn, and one that would print contradictory
 * figures is refused: types and limits as for the invoice (lib/field.h; money within
 * ±STATEMENT_MONEY_MAX), the arithmetic of §6.3 that the page shows (base = max(0, turnover −
 * costs − fee deducted), net = base − tax reservation, amount to settle = net − exemption, or 0
 * with no exemption for a row that does not settle), no negative part of any month's bar, and
 * the year running from January to the month with the month's own figures last. */
#ifndef COOPD_STATEMENT_PDF_H
#define COOPD_STATEMENT_PDF_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define STATEMENT_DOCUMENTS_MAX 500
#define STATEMENT_MONEY_MAX     INT64_C(100000000000) /* |cents|: a billion euros a month */
#define STATEMENT_WARNINGS_MAX  16

/* Amounts print whole up to ±STATEMENT_MONEY_MAX; a month beyond it is not a member's month. */

/* Renders the statement document as an A4 PDF of one or more pages. Returns a malloc'ed buffer
 * (the caller frees it) and its length in *len, or NULL with a short message in err (errlen
 * bytes) and *len = 0. Thread-safe and safe on a small stack (lib/pdfdraw.h). */
unsigned char *statement_pdf_render(const json_t *doc, size_t *len, char *err, size_t errlen);

/* For tests of the error paths only: libharu reports an error at drawing step `step`. */
unsigned char *statement_pdf_render_failing_at(const json_t *doc, size_t *len, char *err,
                                               size_t errlen, long step);

#endif
