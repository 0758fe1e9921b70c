/* Payouts (SPEC §5 "Members' money", §9 "Payouts"): a batch of transfers from the cooperative's
 * account to its members', booked all at once or not at all. No transfer may be above its
 * member's balance (422 insufficient_balance), also when two payouts race for one member: the
 * members' accounts are locked in one order before the balances are read
 * (sql/functions/ledger.sql, payout_create). GET .../sepa answers the batch as the SEPA credit
 * transfer file (pain.001.001.03, lib/sepa.h) the bookkeeper uploads to the bank; cancelling a
 * payout the bank did not carry out reverses its ledger entries.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_PAYOUTS_H
#define COOPD_PAYOUTS_H

#include "http/http.h"

int payouts_list(struct req *r);
int payouts_create(struct req *r);
/* Checks of a body beyond its field table, run before the handler (router.h: check). */
int payouts_create_check(struct req *r);
int payouts_get(struct req *r);
int payouts_sepa(struct req *r);
int payouts_cancel(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field payouts_create_fields[];
extern const struct field payouts_cancel_fields[];

#endif
