/* The monthly settlement per member, the "thermometer" (SPEC §5 "Settlement", §6.3, §9): a
 * cooperative's month is calculated into draft rows (recalculating replaces them), listed (JSON
 * pages or CSV), and finalized, after which every row is version 1 and never changes; what
 * changes later marks the rows it touches stale, and a correction writes version n+1 of those
 * whose figures changed. One member's thermometer is its latest finalized row, or a live
 * calculation while the month is open. The arithmetic and the rules are SQL
 * (sql/functions/settlement.sql): a handful of statements for the whole cooperative, never one per
 * member.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_SETTLEMENTS_H
#define COOPD_SETTLEMENTS_H

#include "http/http.h"

int settlements_calculate(struct req *r);
int settlements_list(struct req *r);
int settlements_finalize(struct req *r);
int settlements_correct(struct req *r);
int thermometer_get(struct req *r);
/* GET /v1/members/{id}/thermometer/{YYYY-MM}/pdf: the member's monthly statement
 * (lib/statement_pdf.h) of the thermometer's row. */
int thermometer_pdf(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field settlements_correct_fields[];

#endif
