/* The members' ledgers (ledger.h). */
#include "ledger.h"

#include "list.h"
#include "resource.h"
#include "scope.h"

/* $3 the member: its entries in booking order (the list position is a bigint). */
static struct list_stmt ledger_list_stmt = LIST_STMT_CSV(
    "ledger_entry_doc(e)::text",
    "e.id, e.member_id, e.entry_no, e.date, e.kind, e.amount_cents, e.balance_cents,"
    "  e.invoice_id, e.payment_id, e.payout_id, month_text(e.period) AS period,"
    "  e.settlement_version, e.reverses_entry_id, rfc3339(e.created_at) AS created_at",
    "ledger_entries e", "e.entry_no::bigint", "e.member_id = $3");

/* Entries never change: their ETag is constant. */
static struct stmt ledger_entry_get =
    STMT("SELECT ledger_entry_doc(e)::text AS doc, 1 AS row_version FROM ledger_entries e"
         " WHERE e.id = $1 AND ($2::uuid IS NULL OR e.cooperative_id = $2)"
         "   AND ($3::uuid IS NULL OR e.member_id = $3)");

int ledger_list(struct req *r)
{
	return list_children(r, member_open, &ledger_list_stmt);
}

int ledger_entries_get(struct req *r)
{
	return get_in_scope(r, &ledger_entry_get);
}
