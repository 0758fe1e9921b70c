/* Bank statements and their entries (bank.h). */
#include "bank.h"

#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auth/authz.h"
#include "lib/bigstack.h"
#include "lib/camt.h"
#include "list.h"
#include "resource.h"
#include "scope.h"

/* $1 the cooperative, $2 the statement's document (lib/camt.h), $3 the user. A new import has no
 * decided entries: its ETag is 1 (bank_statement_version). */
static struct stmt import_stmt = STMT("SELECT d::text AS doc, d->>'id' AS id, 1 AS row_version"
                                      " FROM bank_import($1, $2::jsonb, $3) d");

/* The events of what an import or an assignment booked besides its own: a payment.create for
 * each payment (as POST /v1/invoices/{id}/payments records one, with the entry it came from),
 * and a payout.execute for each payout the import carried out. $1 the import, or $2 an entry. */
static struct stmt booked_payments =
    STMT("SELECT e.payment_id AS id, json_build_object('invoice_id', e.invoice_id,"
         "  'amount_cents', e.amount_cents, 'received_on', e.booking_date, 'method', 'bank',"
         "  'reference', e.reference, 'bank_entry_id', e.id)::text AS changes"
         " FROM bank_entries e WHERE (e.statement_id = $1 OR e.id = $2)"
         "   AND e.payment_id IS NOT NULL ORDER BY e.seq");
static struct stmt executed_payouts =
    STMT("SELECT p.id, json_build_object('executed_on', p.executed_on,"
         "  'bank_entry_id', min(e.id::text))::text AS changes"
         " FROM bank_entries e JOIN payouts p ON p.id = e.payout_id"
         " WHERE e.statement_id = $1 AND p.executed_on IS NOT NULL"
         " GROUP BY p.id, p.executed_on, p.seq ORDER BY p.seq");

/* $3 the cooperative: its imports, oldest first. */
static struct list_stmt statement_list =
    LIST_STMT("bank_statement_doc(s)::text", "bank_statements s", "s.seq", "s.cooperative_id = $3");

static struct stmt statement_get =
    STMT("SELECT bank_statement_doc(s)::text AS doc, bank_statement_version(s) AS row_version"
         " FROM bank_statements s"
         " WHERE s.id = $1 AND ($2::uuid IS NULL OR s.cooperative_id = $2)");

/* $3 the cooperative, $4 a status, $5 an import (null: any). */
static struct list_stmt entry_list = LIST_STMT_CSV(
    "bank_entry_doc(e)::text",
    "e.id, e.statement_id, e.reference, e.booking_date, e.value_date,"
    "  CASE WHEN e.amount_cents > 0 THEN 'credit' ELSE 'debit' END AS direction,"
    "  e.amount_cents, e.reversal, e.counterparty_name, e.counterparty_iban, e.end_to_end_id,"
    "  array_to_string(e.remittance, ' ') AS remittance_information, e.status, e.match_rule,"
    "  e.unmatched_reason, e.suggested_invoice_id, e.invoice_id, e.payment_id, e.payout_id,"
    "  e.dismiss_reason, rfc3339(e.created_at) AS created_at",
    "bank_entries e", "e.seq",
    "e.cooperative_id = $3 AND ($4::text IS NULL OR e.status = $4)"
    " AND ($5::uuid IS NULL OR e.statement_id = $5)");

static struct stmt entry_get =
    STMT("SELECT bank_entry_doc(e)::text AS doc, bank_entry_version(e) AS row_version"
         " FROM bank_entries e WHERE e.id = $1 AND ($2::uuid IS NULL OR e.cooperative_id = $2)");

/* The entry for a decision, locked, in the caller's scope. */
static struct stmt entry_lock =
    STMT("SELECT bank_entry_version(e) AS row_version, e.cooperative_id FROM bank_entries e"
         " WHERE e.id = $1 AND ($2::uuid IS NULL OR e.cooperative_id = $2) FOR UPDATE");

/* $1 the invoice, $2 the entry's cooperative. */
static struct stmt invoice_of_coop =
    STMT("SELECT 1 FROM invoices WHERE id = $1 AND cooperative_id = $2");

/* $1 the entry, $2 the invoice or the reason, $3 the user. A decided entry's ETag is 2. */
static struct stmt assign_stmt = STMT("SELECT d::text AS doc, d->>'id' AS id, 2 AS row_version"
                                      " FROM bank_entry_assign($1, $2, $3) d");
static struct stmt dismiss_stmt = STMT("SELECT d::text AS doc, d->>'id' AS id, 2 AS row_version"
                                       " FROM bank_entry_dismiss($1, $2, $3) d");

const struct field bank_entries_assign_fields[] = {
    {"invoice_id", F_UUID, FIELD_REQUIRED, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct field bank_entries_dismiss_fields[] = {
    {"reason", F_STRING, FIELD_REQUIRED, 1, 500, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

/* ---- the import -------------------------------------------------------------------------- */

/* The audit events of statement s's rows (booked_payments, executed_payouts) in the
 * cooperative's chain. 0, or -1 with r->err. */
static int audit_booked(struct req *r, const char *coop, struct stmt *s, const char *statement,
                        const char *entry, const char *action, const char *type)
{
	const char *p[] = {statement, entry};
	PGresult *res = db_exec(r->db, s, s == &booked_payments ? 2 : 1, p, &r->err);
	if (!res)
		return -1;
	int rc = audit_record_rows(r, coop, NULL, action, type, res);
	PQclear(res);
	return rc;
}

struct parse_call {
	const char *xml;
	size_t len;
	json_t *doc;
	struct camt_error err;
};

static void parse_on_big_stack(void *arg)
{
	struct parse_call *c = arg;
	c->doc = camt_parse(c->xml, c->len, &c->err);
}

/* What the import's audit event records: ids and counts, never the entries' names or texts. */
static json_t *import_changes(const char *doc_text)
{
	json_t *doc = json_loads(doc_text, 0, NULL);
	json_t *changes = json_object();
	static const char *const keys[] = {"message_id", "statement_ids", "from_date", "to_date",
	                                   "entries",    "matched",       "unmatched"};
	for (size_t i = 0; doc && changes && i < sizeof keys / sizeof keys[0]; i++) {
		json_t *v = json_object_get(doc, keys[i]);
		if (v)
			json_object_set(changes, keys[i], v);
	}
	json_decref(doc);
	return changes;
}

int bank_statements_import(struct req *r)
{
	if (coop_open(r, r->params[0]) != 0)
		return -1;
	/* libxml2 on a thread with a large stack: civetweb's workers have 100 KiB */
	struct parse_call c = {r->raw_body, r->raw_len, NULL, {{0}, {0}}};
	if (run_with_stack(parse_on_big_stack, &c, BIGSTACK_BYTES) != 0)
		return err_internal(&r->err);
	if (!c.doc) {
		err_set(&r->err, 422, c.err.code, "%s", c.err.detail);
		return -1;
	}
	char *doc = json_dumps(c.doc, JSON_COMPACT);
	json_decref(c.doc);
	if (!doc)
		return err_internal(&r->err);
	/* a large statement is matched entry by entry: the export's timeout, not a request's */
	const char *p[] = {r->params[0], doc, r->who.sub};
	PGresult *res =
	    db_tx_export(r->db, &r->err) == 0 ? db_exec(r->db, &import_stmt, 3, p, &r->err) : NULL;
	free(doc);
	if (!res)
		return -1;
	char id[ID_LEN];
	db_col_copy(res, 0, "id", id, sizeof id);
	resp_set_etag(r, db_col(res, 0, "row_version"));
	resp_json_text(r, 201, db_col(res, 0, "doc"));
	resp_set_location(r, "/v1/bank-statements", id);
	json_t *changes = import_changes(db_col(res, 0, "doc"));
	PQclear(res);
	int rc = audit_record(r, r->params[0], NULL, "bank_statement.import", "bank_statement", id,
	                      changes);
	json_decref(changes);
	if (rc == 0)
		rc = audit_booked(r, r->params[0], &booked_payments, id, NULL, "payment.create",
		                  "payment");
	if (rc == 0)
		rc = audit_booked(r, r->params[0], &executed_payouts, id, NULL, "payout.execute",
		                  "payout");
	return rc;
}

int bank_statements_list(struct req *r)
{
	return list_children(r, coop_open, &statement_list);
}

int bank_statements_get(struct req *r)
{
	return get_in_coop(r, &statement_get);
}

/* ---- entries ----------------------------------------------------------------------------- */

int bank_entries_list(struct req *r)
{
	if (coop_open(r, r->params[0]) != 0)
		return -1;
	char status[16], statement[40];
	int got_status = req_query(r, "status", status, sizeof status);
	int got_statement = req_query(r, "statement_id", statement, sizeof statement);
	int ok = got_status >= 0 && got_statement >= 0;
	if (ok && got_status)
		ok = strcmp(status, "matched") == 0 || strcmp(status, "unmatched") == 0 ||
		     strcmp(status, "dismissed") == 0;
	if (ok && got_statement)
		ok = text_is_uuid(statement);
	if (!ok) {
		err_set(&r->err, 400, "invalid_parameter",
		        "status must be matched, unmatched or dismissed, and statement_id an id");
		return -1;
	}
	const char *f[] = {r->params[0], got_status ? status : NULL,
	                   got_statement ? statement : NULL};
	return list_query(r, &entry_list, 3, f);
}

int bank_entries_get(struct req *r)
{
	return get_in_coop(r, &entry_get);
}

int bank_entries_assign(struct req *r)
{
	char coop[ID_LEN];
	if (lock_in_coop(r, &entry_lock, coop, NULL) != 0)
		return -1;
	const char *invoice = body_str(r, "invoice_id");
	const char *rp[] = {invoice, coop};
	if (require_ref(r, &invoice_of_coop, 2, rp, "invoice_id") != 0)
		return -1;
	const char *p[] = {r->params[0], invoice, r->who.sub};
	struct write_info w = {"bank_entry.assign", "bank_entry", coop, NULL};
	if (write_one(r, &assign_stmt, 3, p, 200, NULL, &w, r->body) != 0)
		return -1;
	return audit_booked(r, coop, &booked_payments, NULL, r->params[0], "payment.create",
	                    "payment");
}

int bank_entries_dismiss(struct req *r)
{
	char coop[ID_LEN];
	if (lock_in_coop(r, &entry_lock, coop, NULL) != 0)
		return -1;
	const char *p[] = {r->params[0], body_str(r, "reason"), r->who.sub};
	struct write_info w = {"bank_entry.dismiss", "bank_entry", coop, NULL};
	return write_one(r, &dismiss_stmt, 3, p, 200, NULL, &w, r->body);
}
