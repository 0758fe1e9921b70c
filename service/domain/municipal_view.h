/* The municipal view (SPEC §5 "Municipal view", §7, §9), read-only: a municipality's overview of
 * the cooperatives its residents work in or it holds a share of, its residents (minimal
 * personal data), the transparency view of one such cooperative, and its part of the finalized
 * annual reconciliations. (The settlement feed: settlement_feed.h.) The SQL is
 * sql/functions/view.sql; every statement is filtered by the municipality of the path.
 *
 * Platform administrators, and municipality users and API clients for their own municipality
 * (another code: 404, municipality_open); the route table gives the cooperative roles and
 * members 403.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_MUNICIPAL_VIEW_H
#define COOPD_MUNICIPAL_VIEW_H

#include "http/http.h"

/* GET /v1/municipalities/{code}/overview?year= (default the current year). */
int municipal_view_overview(struct req *r);
/* GET /v1/municipalities/{code}/residents: a list, or CSV. */
int municipal_view_residents(struct req *r);
/* GET /v1/municipalities/{code}/cooperatives/{coop_id}: 404 for a cooperative the municipality
 * has no resident in and never held a share of. */
int municipal_view_cooperative(struct req *r);
/* GET /v1/municipalities/{code}/reconciliations?year= (default the previous year): a list, or
 * CSV with one row per month. */
int municipal_view_reconciliations(struct req *r);

#endif
