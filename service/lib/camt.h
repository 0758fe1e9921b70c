/* Reading a bank statement: ISO 20022 camt.053.001.02 (BankToCustomerStatementV02), the
 * end-of-day statement every Dutch bank offers for download, into the JSON document the import
 * takes (sql/functions/bank.sql, bank_import).
 *
 * The XML is read with libxml2's streaming reader, node by node: no tree of the whole file, no
 * network (XML_PARSE_NONET), no DTD (a document with a DOCTYPE is refused, so no entity is
 * ever declared or expanded), and bounded: at most CAMT_MAX_DEPTH levels of elements, entries,
 * statements and transaction details as below, each text at most its ISO length. Elements this
 * reader does not use are skipped; elements of another namespace are never read.
 *
 * Pure code: no database, no I/O, no global state except libxml2's per-thread error handler,
 * which it sets and restores; thread-safe once xmlInitParser() has run (main.c). libxml2
 * wants more stack than a civetweb worker has: call it through lib/bigstack.h. */
#ifndef COOPD_CAMT_H
#define COOPD_CAMT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define CAMT_NS "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"

#define CAMT_MAX_DEPTH        32                   /* element nesting, Document = 1 */
#define CAMT_MAX_STATEMENTS   100                  /* Stmt per file */
#define CAMT_MAX_ENTRIES      10000                /* Ntry per file, skipped ones included */
#define CAMT_MAX_TRANSACTIONS 20000                /* TxDtls per file */
#define CAMT_MAX_ENTRY_ITEMS  2000                 /* per entry: TxDtls, Ustrd lines, references */
#define CAMT_MAX_CENTS        INT64_C(99999999999) /* 999999999.99 EUR, as a SEPA transfer */

/* Why a statement was refused: code is one of
 *   statement_malformed    not well-formed XML, empty, or with a DTD;
 *   statement_unsupported  well-formed, but not a camt.053.001.02 Document/BkToCstmrStmt;
 *   statement_invalid      a required element missing, or a value that breaks its rule (an
 *                          amount, date, IBAN, indicator or status; a text longer than ISO
 *                          allows);
 *   statement_currency     an amount, balance or account in another currency than EUR;
 *   statement_balance_mismatch  a statement whose opening balance plus its booked entries is
 *                          not its closing balance;
 *   statement_too_large    beyond one of the limits above;
 * and detail a short message for the person who uploaded the file (the entry's position, the
 * element, the line of an XML error); never the file's names or texts. */
struct camt_error {
	char code[32];
	char detail[200];
};

/* Parses len bytes of xml. Returns an owned JSON document, or NULL with err filled:
 *
 *   {"message_id": GrpHdr/MsgId,
 *    "statements": [{"id": Stmt/Id, "iban": Acct/Id/IBAN (spaces removed, upper case),
 *       "from_date", "to_date" (FrToDt, or null), "opening_balance_cents" (OPBD or PRCD, or
 *       null), "closing_balance_cents" (CLBD, or null), "skipped" (entries left out),
 *       "entries": [{"line" (the entry's position in the file, from 1),
 *         "account_servicer_reference", "entry_reference" (AcctSvcrRef, NtryRef, or null),
 *         "amount_cents" (credit positive, debit negative), "reversal" (RvslInd),
 *         "booking_date", "value_date" (or null),
 *         "end_to_end_id", "counterparty_name", "counterparty_iban" (of the one TxDtls when
 *           there is exactly one: the debtor for a credit, the creditor for a debit; else null;
 *           an EndToEndId NOTPROVIDED is null),
 *         "remittance" (every RmtInf/Ustrd line, in order), "structured_references"
 *         (RmtInf/Strd/CdtrRefInf/Ref), "additional_information" (AddtlNtryInf and the
 *         AddtlTxInf, joined by spaces, or null), "batch_references" (Btch and Refs MsgId and
 *         PmtInfId, distinct), "end_to_end_ids" (of every TxDtls, distinct, NOTPROVIDED left
 *         out), "transaction_count" (TxDtls)}]}]}
 *
 * Entries that are not booked (Sts other than BOOK) or of 0.00 are counted in "skipped", not
 * listed. Texts have runs of white space and control characters made one space, and are
 * trimmed. Amounts are EUR with at most two decimals; a statement with both an opening and a
 * closing balance must add up with its booked entries. */
json_t *camt_parse(const char *xml, size_t len, struct camt_error *err);

#endif
