/* The members' ledgers (SPEC §5 "Members' money", §9 "Ledger entries"): each member's account at
 * the cooperative, entry by entry with the running balance. Entries are booked by the events
 * that move the member's money (sql/functions/ledger.sql: a payment's net share, the fee of a
 * finalized or corrected month, a payout and its reversal), never by a client, and never
 * change. A member reads its own ledger; the office its cooperative's.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_LEDGER_H
#define COOPD_LEDGER_H

#include "http/http.h"

int ledger_list(struct req *r);
int ledger_entries_get(struct req *r);

#endif
