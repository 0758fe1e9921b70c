/* The audit file of a cooperative's year, XAF 3.2 (auditfile.h). */
#include "auditfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "lib/xaf.h"
#include "scope.h"

/* $1 the cooperative, $2 the year's first day, $3 its last (everywhere below). */
static struct stmt head_stmt =
    STMT("SELECT c.legal_name, c.kvk_number, c.vat_id, c.rsin, c.street, c.house_number,"
         " c.postal_code, c.city, c.country, c.iban, t.lines, t.debit_cents, t.credit_cents"
         " FROM cooperatives c CROSS JOIN auditfile_totals($1, $2::date, $3::date) t"
         " WHERE c.id = $1");
static struct stmt accounts_stmt =
    STMT("SELECT a.acc_id, a.acc_desc, a.acc_type FROM auditfile_accounts() a ORDER BY a.acc_id");
static struct stmt vat_codes_stmt = STMT("SELECT v.vat_id, v.vat_desc, v.to_pay_acc"
                                         " FROM auditfile_vat_codes() v ORDER BY v.vat_id");
static struct stmt journals_stmt =
    STMT("SELECT j.journal_no, j.jrn_id, j.jrn_desc, j.jrn_type, j.offset_acc"
         " FROM auditfile_journals() j ORDER BY j.journal_no");
static struct stmt opening_stmt =
    STMT("SELECT o.acc_id, o.balance_cents FROM auditfile_opening($1, $2::date) o");
static struct stmt relations_stmt =
    STMT("SELECT r.rel_id, r.rel_type, r.name, r.kvk_number, r.vat_id, r.street, r.house_number,"
         " r.postal_code, r.city, r.country, r.iban"
         " FROM auditfile_relations($1, $2::date, $3::date) r");
/* The lines in the file's order: by journal, then transaction (date, source, key), then line;
 * tr_debit is the transaction's debit total (its amount), the window sorted as the result is. */
static struct stmt lines_stmt =
    STMT("SELECT l.journal_no, l.src, l.tr_key, l.tr_date, l.tr_nr, l.tr_desc, l.acc_id,"
         " l.amount_cents, l.doc_ref, l.line_desc, l.rel_id, l.inv_ref, l.vat_id, l.vat_rate_bp,"
         " l.vat_cents, sum(greatest(l.amount_cents, 0)) OVER w AS tr_debit"
         " FROM auditfile_lines($1, $2::date, $3::date) l"
         " WINDOW w AS (PARTITION BY l.journal_no, l.tr_date, l.src, l.tr_key ORDER BY l.line_ord"
         "   ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
         " ORDER BY l.journal_no, l.tr_date, l.src, l.tr_key, l.line_ord");

/* The country of a VAT id as the schema names countries (Greece's VAT ids start with EL), or
 * NULL when it has none there. out: 3 bytes. */
static const char *vat_country(const char *vat_id, char out[3])
{
	if (!vat_id || strlen(vat_id) < 2)
		return NULL;
	if (strncmp(vat_id, "EL", 2) == 0)
		return strcpy(out, "GR");
	snprintf(out, 3, "%.2s", vat_id);
	return xaf_country_ok(out) ? out : NULL;
}

/* <streetAddress> of a row's street, house_number, postal_code, city and country columns,
 * cut to the schema's lengths; nothing without a street. */
static void street_address(struct xaf_writer *w, const PGresult *res, int row)
{
	const char *street = db_col(res, row, "street"), *country = db_col(res, row, "country");
	if (!street)
		return;
	xaf_open(w, "streetAddress");
	xaf_elem(w, "streetname", street, XAF_S999_MAX);
	xaf_elem(w, "number", db_col(res, row, "house_number"), 15);
	xaf_elem(w, "city", db_col(res, row, "city"), 50);
	xaf_elem(w, "postalCode", db_col(res, row, "postal_code"), 10);
	if (xaf_country_ok(country))
		xaf_elem(w, "country", country, 0);
	xaf_close(w, "streetAddress");
}

static void header(struct xaf_writer *w, const char *year)
{
	char first[16], last[16], today[11];
	snprintf(first, sizeof first, "%s-01-01", year);
	snprintf(last, sizeof last, "%s-12-31", year);
	today_amsterdam(today);
	xaf_open(w, "header");
	xaf_elem(w, "fiscalYear", year, 9);
	xaf_elem(w, "startDate", first, 0);
	xaf_elem(w, "endDate", last, 0);
	xaf_elem(w, "curCode", "EUR", 0);
	xaf_elem(w, "dateCreated", today, 0);
	xaf_elem(w, "softwareDesc", "coopd", 50);
	xaf_elem(w, "softwareVersion", app.api_version, 20);
	xaf_close(w, "header");
}

/* The cooperative: KvK number, name, where it is registered for VAT (its VAT id, else its
 * RSIN, the fiscal number), its address. */
static void company_start(struct xaf_writer *w, const PGresult *head)
{
	char cc[3];
	const char *vat = db_col(head, 0, "vat_id"), *rsin = db_col(head, 0, "rsin");
	const char *country = vat_country(vat, cc);
	if (!country)
		country =
		    xaf_country_ok(db_col(head, 0, "country")) ? db_col(head, 0, "country") : "NL";
	xaf_open(w, "company");
	xaf_elem(w, "companyIdent", db_col(head, 0, "kvk_number"), XAF_ID_MAX);
	xaf_elem(w, "companyName", db_col(head, 0, "legal_name"), XAF_S999_MAX);
	xaf_elem(w, "taxRegistrationCountry", country, 0);
	xaf_elem(w, "taxRegIdent", vat ? vat : rsin ? rsin : "", 30);
	street_address(w, head, 0);
}

/* The chart of accounts, the VAT codes and the periods. */
static void ledger_sections(struct xaf_writer *w, const PGresult *accounts,
                            const PGresult *vat_codes, int year)
{
	xaf_open(w, "generalLedger");
	for (int i = 0; i < PQntuples(accounts); i++) {
		xaf_open(w, "ledgerAccount");
		xaf_elem(w, "accID", db_col(accounts, i, "acc_id"), XAF_ID_MAX);
		xaf_elem(w, "accDesc", db_col(accounts, i, "acc_desc"), XAF_S999_MAX);
		xaf_elem(w, "accTp", db_col(accounts, i, "acc_type"), 2);
		xaf_close(w, "ledgerAccount");
	}
	xaf_close(w, "generalLedger");
	xaf_open(w, "vatCodes");
	for (int i = 0; i < PQntuples(vat_codes); i++) {
		xaf_open(w, "vatCode");
		xaf_elem(w, "vatID", db_col(vat_codes, i, "vat_id"), XAF_ID_MAX);
		xaf_elem(w, "vatDesc", db_col(vat_codes, i, "vat_desc"), XAF_S999_MAX);
		xaf_elem(w, "vatToPayAccID", db_col(vat_codes, i, "to_pay_acc"), XAF_ID_MAX);
		xaf_close(w, "vatCode");
	}
	xaf_close(w, "vatCodes");
	xaf_periods(w, year);
}

/* The balances brought forward, when there are any: one line per account (debit positive). */
static void opening_balance(struct xaf_writer *w, const PGresult *opening, const char *year)
{
	int n = PQntuples(opening);
	long long debit = 0, credit = 0;
	char date[16];
	if (n == 0)
		return;
	for (int i = 0; i < n; i++) {
		long long b = db_col_ll(opening, i, "balance_cents");
		if (b > 0)
			debit += b;
		else
			credit -= b;
	}
	snprintf(date, sizeof date, "%s-01-01", year);
	xaf_open(w, "openingBalance");
	xaf_elem(w, "opBalDate", date, 0);
	xaf_elem(w, "opBalDesc", "Beginbalans: saldi van eerdere jaren, resultaat in de reserve",
	         XAF_S999_MAX);
	xaf_int(w, "linesCount", n);
	xaf_amount(w, "totalDebit", debit);
	xaf_amount(w, "totalCredit", credit);
	for (int i = 0; i < n; i++) {
		long long b = db_col_ll(opening, i, "balance_cents");
		xaf_open(w, "obLine");
		xaf_int(w, "nr", i + 1);
		xaf_elem(w, "accID", db_col(opening, i, "acc_id"), XAF_ID_MAX);
		xaf_amount(w, "amnt", b);
		xaf_elem(w, "amntTp", b < 0 ? "C" : "D", 0);
		xaf_close(w, "obLine");
	}
	xaf_close(w, "openingBalance");
}

/* Streaming the relations and the transactions: where the writer is. */
struct file_ctx {
	struct req *r;
	struct xaf_writer w;
	const PGresult *journals; /* auditfile_journals(), by journal_no */
	const char *iban;         /* the cooperative's, for the bank journal */
	int next;                 /* the index in journals of the next journal to open */
	int journal;              /* journal_no of the open journal; 0: none */
	int in_tr;                /* a transaction is open */
	int tr_journal, tr_src;
	long long tr_key;
	int line;
};

/* One relation: a customer (custSupTp C) with its registration and address, or a member (O:
 * neither customer nor supplier of the cooperative, but the holder of a current account) with
 * the account it is paid on. */
static int relation_row(void *ctx, const PGresult *res, int is_last)
{
	struct file_ctx *c = ctx;
	struct xaf_writer *w = &c->w;
	char cc[3];
	if (is_last)
		return 0;
	const char *vat = db_col(res, 0, "vat_id"), *iban = db_col(res, 0, "iban");
	const char *country = vat_country(vat, cc);
	int customer = strcmp(db_col(res, 0, "rel_type"), "C") == 0;
	xaf_open(w, "customerSupplier");
	xaf_elem(w, "custSupID", db_col(res, 0, "rel_id"), XAF_ID_MAX);
	xaf_elem(w, "custSupName", db_col(res, 0, "name"), 50);
	xaf_elem(w, "commerceNr", db_col(res, 0, "kvk_number"), XAF_S999_MAX);
	if (country)
		xaf_elem(w, "taxRegistrationCountry", country, 0);
	xaf_elem(w, "taxRegIdent", vat, 30);
	xaf_elem(w, "custSupTp", customer ? "C" : "O", 0);
	street_address(w, res, 0);
	if (iban) {
		xaf_open(w, "bankAccount");
		xaf_elem(w, "bankAccNr", iban, XAF_ID_MAX);
		xaf_close(w, "bankAccount");
	}
	xaf_close(w, "customerSupplier");
	return resp_stream_flush(c->r, 0);
}

static void journal_open(struct file_ctx *c)
{
	struct xaf_writer *w = &c->w;
	const PGresult *j = c->journals;
	int i = c->next++;
	const char *type = db_col(j, i, "jrn_type");
	xaf_open(w, "journal");
	xaf_elem(w, "jrnID", db_col(j, i, "jrn_id"), XAF_ID_MAX);
	xaf_elem(w, "desc", db_col(j, i, "jrn_desc"), 0);
	xaf_elem(w, "jrnTp", type, 2);
	xaf_elem(w, "offsetAccID", db_col(j, i, "offset_acc"), XAF_ID_MAX);
	if (type && strcmp(type, "B") == 0)
		xaf_elem(w, "bankAccNr", c->iban, XAF_ID_MAX);
	c->journal = (int)db_col_ll(j, i, "journal_no");
}

/* Closes what is open, then opens the journals up to journal_no (those between, empty):
 * journal_no past the last closes them all. */
static void journal_move(struct file_ctx *c, int journal_no)
{
	if (c->in_tr)
		xaf_close(&c->w, "transaction");
	c->in_tr = 0;
	if (c->journal)
		xaf_close(&c->w, "journal");
	c->journal = 0;
	while (c->next < PQntuples(c->journals)) {
		journal_open(c);
		if (c->journal >= journal_no)
			return;
		xaf_close(&c->w, "journal");
		c->journal = 0;
	}
}

/* "21.00" for 2100 basis points. */
static void percent(char out[48], long long bp)
{
	snprintf(out, 48, "%lld.%02lld", bp / 100, bp % 100);
}

static int line_row(void *ctx, const PGresult *res, int is_last)
{
	struct file_ctx *c = ctx;
	struct xaf_writer *w = &c->w;
	if (is_last) {
		journal_move(c, 1 << 30);
		return 0;
	}
	int journal = (int)db_col_ll(res, 0, "journal_no"), src = (int)db_col_ll(res, 0, "src");
	long long key = db_col_ll(res, 0, "tr_key"), amount = db_col_ll(res, 0, "amount_cents");
	const char *date = db_col(res, 0, "tr_date"), *doc = db_col(res, 0, "doc_ref");
	if (journal != c->journal)
		journal_move(c, journal);
	if (!c->in_tr || journal != c->tr_journal || src != c->tr_src || key != c->tr_key) {
		if (c->in_tr)
			xaf_close(w, "transaction");
		xaf_open(w, "transaction");
		xaf_elem(w, "nr", db_col(res, 0, "tr_nr"), XAF_ID_MAX);
		xaf_elem(w, "desc", db_col(res, 0, "tr_desc"), 0);
		xaf_int(w, "periodNumber", date && strlen(date) >= 7 ? atoi(date + 5) : 0);
		xaf_elem(w, "trDt", date, 0);
		xaf_amount(w, "amnt", db_col_ll(res, 0, "tr_debit"));
		xaf_elem(w, "amntTp", "D", 0);
		c->in_tr = 1;
		c->tr_journal = journal;
		c->tr_src = src;
		c->tr_key = key;
		c->line = 0;
	}
	const char *side = amount < 0 ? "C" : "D";
	xaf_open(w, "trLine");
	xaf_int(w, "nr", ++c->line);
	xaf_elem(w, "accID", db_col(res, 0, "acc_id"), XAF_ID_MAX);
	xaf_elem(w, "docRef", doc ? doc : "", XAF_S999_MAX);
	xaf_elem(w, "effDate", date, 0);
	xaf_elem(w, "desc", db_col(res, 0, "line_desc"), 0);
	xaf_amount(w, "amnt", amount);
	xaf_elem(w, "amntTp", side, 0);
	xaf_elem(w, "custSupID", db_col(res, 0, "rel_id"), XAF_ID_MAX);
	xaf_elem(w, "invRef", db_col(res, 0, "inv_ref"), XAF_S999_MAX);
	const char *vat_id = db_col(res, 0, "vat_id");
	if (vat_id) {
		/* VAT owed (positive) is a credit, VAT given back (a credit note) a debit */
		long long vat = db_col_ll(res, 0, "vat_cents");
		char pct[48];
		percent(pct, db_col_ll(res, 0, "vat_rate_bp"));
		xaf_open(w, "vat");
		xaf_elem(w, "vatID", vat_id, XAF_ID_MAX);
		xaf_elem(w, "vatPerc", pct, 0);
		xaf_amount(w, "vatAmnt", vat);
		xaf_elem(w, "vatAmntTp", vat > 0 ? "C" : vat < 0 ? "D" : side, 0);
		xaf_close(w, "vat");
	}
	xaf_close(w, "trLine");
	return resp_stream_flush(c->r, 0);
}

int auditfile_get(struct req *r)
{
	char year[8], first[16], last[16], name[96];
	PGresult *head = NULL, *accounts = NULL, *vat_codes = NULL, *journals = NULL,
	         *opening = NULL;
	struct file_ctx c = {.r = r};
	int rc = -1;
	if (req_year(r, year) != 0 || coop_open(r, r->params[0]) != 0)
		return -1;
	snprintf(first, sizeof first, "%s-01-01", year);
	snprintf(last, sizeof last, "%s-12-31", year);
	const char *p[] = {r->params[0], first, last};

	/* Everything but the streamed sections first, so that a failure is still an answer. */
	if (db_tx_export(r->db, &r->err) != 0 ||
	    !(head = db_exec(r->db, &head_stmt, 3, p, &r->err)) ||
	    !(accounts = db_exec(r->db, &accounts_stmt, 0, NULL, &r->err)) ||
	    !(vat_codes = db_exec(r->db, &vat_codes_stmt, 0, NULL, &r->err)) ||
	    !(journals = db_exec(r->db, &journals_stmt, 0, NULL, &r->err)) ||
	    !(opening = db_exec(r->db, &opening_stmt, 2, p, &r->err)))
		goto cleanup;
	if (PQntuples(head) != 1) {
		err_not_found(&r->err);
		goto cleanup;
	}
	snprintf(name, sizeof name, "auditfile-%s-%s.xaf", db_col(head, 0, "kvk_number"), year);
	resp_filename(r, name);
	if (resp_stream_begin(r, 200, "application/xml; charset=utf-8") != 0)
		goto cleanup;

	c.journals = journals;
	c.iban = db_col(head, 0, "iban");
	xaf_begin(&c.w, &r->out);
	header(&c.w, year);
	company_start(&c.w, head);
	xaf_open(&c.w, "customersSuppliers");
	if (resp_stream_flush(r, 0) != 0 ||
	    db_stream(r->db, &relations_stmt, 3, p, relation_row, &c, &r->err) != 0)
		goto cleanup;
	xaf_close(&c.w, "customersSuppliers");
	ledger_sections(&c.w, accounts, vat_codes, atoi(year));
	opening_balance(&c.w, opening, year);
	xaf_open(&c.w, "transactions");
	xaf_int(&c.w, "linesCount", db_col_ll(head, 0, "lines"));
	xaf_amount(&c.w, "totalDebit", db_col_ll(head, 0, "debit_cents"));
	xaf_amount(&c.w, "totalCredit", db_col_ll(head, 0, "credit_cents"));
	if (resp_stream_flush(r, 0) != 0 ||
	    db_stream(r->db, &lines_stmt, 3, p, line_row, &c, &r->err) != 0)
		goto cleanup;
	xaf_close(&c.w, "transactions");
	xaf_close(&c.w, "company");
	xaf_end(&c.w);
	rc = resp_stream_end(r);
cleanup:
	PQclear(head);
	PQclear(accounts);
	PQclear(vat_codes);
	PQclear(journals);
	PQclear(opening);
	return rc;
}
