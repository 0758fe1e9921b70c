/* The audit file of a cooperative's year (SPEC §10 "Integrations"; README "Audit file (XAF)"):
 * GET /v1/cooperatives/{coop_id}/auditfile?year= answers the cooperative's books of that
 * calendar year as an XAF 3.2 file (XML Auditfile Financieel, the Dutch tax office's exchange
 * format that accounting packages import): the cooperative, its customers and members as
 * relations, the chart of accounts, the VAT codes, the twelve periods, the opening balance, and
 * the year's transactions in four journals (sales, bank, cash, memorial). Which booking lines
 * the invoices, payments, ledger entries and collective costs make is said in SQL
 * (sql/functions/auditfile.sql); this writes them with lib/xaf.h.
 *
 * The file is streamed: every section is read in the request's one read-only transaction (one
 * snapshot: REPEATABLE READ READ ONLY), the relations and the lines row by row (db_stream), and
 * written out in chunks as they come, so a year of any size is never held in memory. The office
 * and the auditor of the cooperative read it, and platform administrators.
 *
 * Route handler (http.h): returns 0 with the response set (or streamed), or -1 with r->err. */
#ifndef COOPD_AUDITFILE_H
#define COOPD_AUDITFILE_H

#include "http/http.h"

int auditfile_get(struct req *r);

#endif
