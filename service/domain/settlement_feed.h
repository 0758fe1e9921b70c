/* The settlement feed municipal systems poll (SPEC §5 "Municipal view", §9): every finalized
 * settlement row version that settles with the municipality, by month (?period=YYYY-MM) or as a
 * change feed (?after=<cursor>) that returns each new version exactly once, in commit order
 * (sql/011_settlement_feed.sql says how); JSON pages or the whole CSV, streamed, with the same
 * fields. A municipal system acknowledges each version it processed; the cooperative sees it as
 * the row's acknowledged_at. Municipality users see their own municipality only (else 404).
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_SETTLEMENT_FEED_H
#define COOPD_SETTLEMENT_FEED_H

#include "http/http.h"

int settlement_feed_list(struct req *r);
int settlement_feed_acknowledge(struct req *r);

#endif
