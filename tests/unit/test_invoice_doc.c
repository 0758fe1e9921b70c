/* The invoice document reader (lib/invoice_doc.h) on its own: what it gives the renderers for
 * the samples of both (quantities in thousandths, each line's breakdown row, the due days, the
 * peppol id split), and the checks no renderer test reaches: the breakdown's own rules, the
 * limits on counts, amounts and texts, and blank texts. test_pdf.c and test_ubl.c check the
 * messages their renderers pass on. */
#include "lib/invoice_doc.h"
#include "unit.h"

#include <stdlib.h>

static json_t *load(const char *dir, const char *name)
{
	char path[512];
	json_error_t e;
	const char *slash = strrchr(__FILE__, '/');
	if (slash) /* beside this file, as the compiler saw its path (the repository root) */
		snprintf(path, sizeof path, "%.*s/%s/%s.json", (int)(slash - __FILE__), __FILE__,
		         dir, name);
	else
		snprintf(path, sizeof path, "%s/%s.json", dir, name);
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	if (!j)
		fprintf(stderr, "  %s: %s (line %d)\n", path, e.text, e.line);
	return j;
}

static json_t *inv(json_t *j)
{
	return json_object_get(j, "invoice");
}

static json_t *totals(json_t *j)
{
	return json_object_get(inv(j), "totals");
}

static json_t *line_at(json_t *j, size_t i)
{
	return json_array_get(json_object_get(inv(j), "lines"), i);
}

static json_t *row_at(json_t *j, size_t i)
{
	return json_array_get(json_object_get(totals(j), "vat"), i);
}

/* Reads j and expects a refusal whose message contains want; takes j. */
static void refused(json_t *j, const char *want, int line)
{
	struct invoice_doc d;
	char err[256] = "unset";
	int rc = j ? invoice_doc_read(j, &d, err, sizeof err) : 0;
	if (rc != -1 || !strstr(err, want)) {
		fprintf(stderr, "  %s:%d: expected a refusal with \"%s\", got %d \"%s\"\n",
		        __FILE__, line, want, rc, err);
		unit_failed_checks++;
	}
	if (rc == 0)
		invoice_doc_release(&d);
	else
		CHECK(d.lines == NULL && d.vat == NULL); /* nothing left to release */
	json_decref(j);
}

#define REFUSED(j, want) refused(j, want, __LINE__)

/* Loads and reads a sample into *d: its JSON (the caller frees it and releases d), or NULL
 * after a failed check. */
static json_t *read_sample(const char *dir, const char *name, struct invoice_doc *d)
{
	json_t *j = load(dir, name);
	char err[256] = "";
	if (j && invoice_doc_read(j, d, err, sizeof err) == 0)
		return j;
	fprintf(stderr, "  %s/%s: %s\n", dir, name, err);
	unit_failed_checks++;
	json_decref(j);
	return NULL;
}

/* ---- what the renderers get ------------------------------------------------------------------ */

static void test_the_standard_sample_reads_into_the_struct(void)
{
	struct invoice_doc d;
	json_t *j = read_sample("pdf_samples", "standard", &d);
	if (!j)
		return;
	CHECK(!d.credit_note);
	CHECK_STR(d.number, "WERK2026-00001");
	CHECK_STR(d.issue_date, "2026-03-31");
	CHECK_STR(d.due_date, "2026-04-30");
	CHECK_INT(d.due_days, 30);
	CHECK(d.credit_of_number == NULL && d.reason == NULL);
	CHECK_INT(d.nlines, 4);
	CHECK_INT(d.lines[0].quantity_milli, 4500);
	CHECK_INT(d.lines[0].unit, INVOICE_UNIT_HOUR);
	CHECK_INT(d.lines[1].unit, INVOICE_UNIT_PIECE);
	CHECK_INT(d.lines[2].unit, INVOICE_UNIT_KM);
	CHECK_INT(d.lines[0].unit_price_cents, 3000);
	CHECK_INT(d.lines[0].net_cents, 13500);
	CHECK_INT(d.lines[0].vat_category, INVOICE_VAT_S);
	CHECK_INT(d.lines[0].vat_rate_bp, 2100);
	CHECK_INT(d.lines[3].vat_row, 0);
	CHECK_STR(d.lines[0].activity_category, "gardening");
	CHECK_INT(d.nvat, 1);
	CHECK_INT(d.vat[0].nlines, 4);
	CHECK_INT(d.vat[0].base_cents, 108414);
	CHECK_STR(invoice_vat_code(d.vat[0].category), "S");
	CHECK_INT(d.net_cents + d.vat_cents, d.gross_cents);
	CHECK_INT(d.open_cents, 131181);
	CHECK_STR(d.supplier.legal_name, "Coöperatie WerkSamen Utrecht U.A.");
	CHECK_STR(d.supplier.address.house_number, "231-bis");
	CHECK_STR(d.supplier.address.country, "NL");
	CHECK(!d.supplier.kor);
	CHECK_STR(d.customer.peppol_scheme, "0106");
	CHECK_STR(d.customer.peppol_endpoint, "87654321");
	CHECK(d.customer.has_address);
	CHECK_STR(d.member.first_name, "Anouk");
	CHECK(!d.any_exempt && !d.any_reverse_charge);
	invoice_doc_release(&d);
	CHECK(d.lines == NULL && d.nlines == 0);
	invoice_doc_release(&d); /* twice, and NULL: harmless */
	invoice_doc_release(NULL);
	json_decref(j);
}

static void test_every_sample_of_both_renderers_reads(void)
{
	static const char *const pdf[] = {"credit_note",    "kor",      "long",   "partly_paid",
	                                  "reverse_charge", "standard", "unicode"};
	static const char *const ubl[] = {
	    "credit_note", "fractional_quantities", "kor_exempt",  "mixed_21_9",
	    "partly_paid", "reverse_charge",        "standard_21", "zero_rate"};
	for (size_t k = 0; k < 2; k++) {
		const char *const *names = k ? ubl : pdf;
		size_t n = k ? sizeof ubl / sizeof ubl[0] : sizeof pdf / sizeof pdf[0];
		for (size_t i = 0; i < n; i++) {
			struct invoice_doc d;
			json_t *j = read_sample(k ? "ubl_samples" : "pdf_samples", names[i], &d);
			if (j)
				invoice_doc_release(&d);
			json_decref(j);
		}
	}
}

static void test_a_credit_note_keeps_its_negative_quantities(void)
{
	struct invoice_doc d;
	json_t *j = read_sample("pdf_samples", "credit_note", &d);
	if (!j)
		return;
	CHECK(d.credit_note);
	CHECK_STR(d.credit_of_number, "WERK2026-00001");
	CHECK_STR(d.credit_of_issue_date, "2026-03-31");
	CHECK_INT(d.lines[0].quantity_milli, -4500);
	CHECK(d.lines[0].unit_price_cents > 0);
	CHECK(d.net_cents < 0);
	invoice_doc_release(&d);
	json_decref(j);
}

static void test_kor_and_reverse_charge_are_flagged(void)
{
	struct invoice_doc d;
	json_t *j = read_sample("pdf_samples", "kor", &d);
	if (j) {
		CHECK(d.supplier.kor && d.any_exempt && !d.any_reverse_charge);
		CHECK(d.supplier.vat_id == NULL);
		invoice_doc_release(&d);
		json_decref(j);
	}
	if ((j = read_sample("ubl_samples", "reverse_charge", &d))) {
		CHECK(!d.supplier.kor && d.any_reverse_charge);
		CHECK_STR(d.customer.address.country, "BE");
		invoice_doc_release(&d);
		json_decref(j);
	}
}

/* Blank texts read as absent; a draft's customer needs no address; text that is not UTF-8 is
 * kept for the renderer to judge. */
static void test_blank_texts_read_as_absent(void)
{
	json_t *j = load("pdf_samples", "standard");
	struct invoice_doc d;
	char err[256];
	if (!j) {
		unit_failed_checks++;
		return;
	}
	json_t *sup = json_object_get(j, "supplier"), *cus = json_object_get(j, "customer");
	json_object_set_new(sup, "trade_name", json_string(" \t\r\n"));
	json_object_set_new(sup, "bic", json_string(""));
	json_object_set_new(cus, "address", json_null());
	json_object_set_new(line_at(j, 0), "description", json_stringn_nocheck("\xff x", 3));
	int rc = invoice_doc_read(j, &d, err, sizeof err);
	CHECK(rc == 0);
	if (rc == 0) {
		CHECK(d.supplier.trade_name == NULL && d.supplier.bic == NULL);
		CHECK(!d.customer.has_address);
		CHECK_STR(d.lines[0].description, "\xff x");
		invoice_doc_release(&d);
	}
	json_object_set_new(sup, "legal_name", json_string("   "));
	REFUSED(j, "supplier.legal_name: missing");
}

/* ---- the breakdown --------------------------------------------------------------------------- */

static void test_breakdown_rows_must_be_unique_used_and_add_up(void)
{
	json_t *j = load("ubl_samples", "mixed_21_9"); /* rows S 21 % and S 9 % */
	json_array_append(json_object_get(totals(j), "vat"), row_at(j, 0));
	REFUSED(j, "invoice.totals.vat[2]: a second row for its category and rate");

	j = load("ubl_samples", "mixed_21_9"); /* both lines at 21 %: the 9 % row has none */
	json_object_set_new(line_at(j, 1), "vat_rate_bp", json_integer(2100));
	REFUSED(j, "invoice.totals.vat[1]: no line has its category and rate");

	j = load("ubl_samples", "mixed_21_9"); /* bases swapped: the sums still agree */
	json_t *b0 = json_object_get(row_at(j, 0), "base_cents");
	json_t *b1 = json_object_get(row_at(j, 1), "base_cents");
	json_int_t v0 = json_integer_value(b0), v1 = json_integer_value(b1);
	json_integer_set(b0, v0 - 100);
	json_integer_set(b1, v1 + 100);
	REFUSED(j, "invoice.totals.vat[0].base_cents: its lines add up to");

	j = load("ubl_samples", "standard_21"); /* the VAT one cent off in row and total */
	json_object_set_new(row_at(j, 0), "vat_cents", json_integer(3361));
	json_object_set_new(totals(j), "vat_cents", json_integer(3361));
	json_object_set_new(totals(j), "gross_cents", json_integer(19361));
	json_object_set_new(inv(j), "open_cents", json_integer(19361));
	REFUSED(j, "invoice.totals.vat[0].vat_cents: not base × rate");

	j = load("ubl_samples", "zero_rate");
	json_object_set_new(row_at(j, 1), "vat_cents", json_integer(1));
	REFUSED(j, "invoice.totals.vat[1].vat_cents: must be 0 for Z, E and AE");

	j = load("ubl_samples", "standard_21");
	json_object_set_new(totals(j), "vat_cents", json_integer(3300));
	REFUSED(j, "invoice.totals.vat: VAT adds up to 3360, vat_cents is 3300");

	j = load("ubl_samples", "standard_21");
	json_object_set_new(totals(j), "vat", json_array());
	REFUSED(j, "invoice.totals.vat: empty");
}

/* ---- limits ---------------------------------------------------------------------------------- */

static void test_counts_amounts_and_texts_have_limits(void)
{
	json_t *j = load("ubl_samples", "standard_21");
	json_t *lines = json_object_get(inv(j), "lines");
	while (json_array_size(lines) <= INVOICE_LINES_MAX)
		json_array_append(lines, line_at(j, 0)); /* the same object: cheap */
	REFUSED(j, "invoice.lines: more than 100000 entries");

	j = load("ubl_samples", "standard_21");
	json_t *rows = json_object_get(totals(j), "vat");
	for (int rate = 1; json_array_size(rows) <= INVOICE_VAT_ROWS_MAX; rate++)
		json_array_append_new(rows, json_pack("{s:s, s:i, s:i, s:i}", "vat_category", "S",
		                                      "vat_rate_bp", rate, "base_cents", 0,
		                                      "vat_cents", 0));
	REFUSED(j, "invoice.totals.vat: more than 100 entries");

	j = load("ubl_samples", "standard_21");
	json_object_set_new(inv(j), "paid_cents", json_integer(INVOICE_MONEY_MAX + 1));
	REFUSED(j, "invoice.paid_cents: out of range");

	j = load("ubl_samples", "standard_21");
	json_object_set_new(line_at(j, 0), "quantity", json_string("1000000000000"));
	REFUSED(j, "invoice.lines[0].quantity: not a decimal");

	j = load("ubl_samples", "standard_21"); /* 10^12 units × 10^11 cents: beyond int64 */
	json_object_set_new(line_at(j, 0), "quantity", json_string("999999999999"));
	json_object_set_new(line_at(j, 0), "unit_price_cents",
	                    json_integer(INVOICE_MONEY_MAX / 100));
	REFUSED(j, "invoice.lines[0]: amount out of range");

	j = load("ubl_samples", "standard_21");
	char peppol[80];
	snprintf(peppol, sizeof peppol, "0106:%060d", 1);
	json_object_set_new(json_object_get(j, "customer"), "peppol_id", json_string(peppol));
	REFUSED(j, "customer.peppol_id: longer than 64 characters");

	j = load("ubl_samples", "standard_21");
	char *desc = malloc(INVOICE_TEXT_LONG * 2 + 3);
	if (desc) {
		for (int i = 0; i <= INVOICE_TEXT_LONG; i++)
			memcpy(desc + 2 * i, "é", 2); /* 1001 characters of 2 bytes */
		desc[2 * (INVOICE_TEXT_LONG + 1)] = '\0';
		json_object_set_new(inv(j), "description", json_string(desc));
	}
	free(desc);
	REFUSED(j, "invoice.description: longer than 1000 characters");
}

/* ---- formats --------------------------------------------------------------------------------- */

static void test_dates_codes_and_identifiers_are_checked(void)
{
	json_t *j = load("ubl_samples", "standard_21");
	json_object_set_new(inv(j), "supply_date", json_string("2026-02-30"));
	REFUSED(j, "invoice.supply_date: not a date (YYYY-MM-DD)");

	j = load("ubl_samples", "standard_21");
	json_object_del(inv(j), "issue_date");
	REFUSED(j, "invoice.issue_date: missing");

	j = load("ubl_samples", "standard_21");
	json_object_set_new(json_object_get(json_object_get(j, "supplier"), "address"), "country",
	                    json_string("Nederland"));
	REFUSED(j, "supplier.address.country: not an ISO 3166 alpha-2 code");

	j = load("ubl_samples", "standard_21");
	json_object_set_new(json_object_get(j, "customer"), "vat_id", json_string("000099998B57"));
	REFUSED(j, "customer.vat_id: no country prefix");

	j = load("ubl_samples", "standard_21");
	json_object_set_new(json_object_get(j, "supplier"), "vat_scheme", json_string("small"));
	REFUSED(j, "supplier.vat_scheme: not standard or kor");

	j = load("ubl_samples", "standard_21");
	json_object_set_new(line_at(j, 0), "vat_rate_bp", json_integer(-2100));
	REFUSED(j, "invoice.lines[0].vat_rate_bp: out of range");

	j = load("ubl_samples", "standard_21");
	json_object_set_new(line_at(j, 0), "quantity", json_integer(4));
	REFUSED(j, "invoice.lines[0].quantity: not a string");

	j = load("ubl_samples", "standard_21");
	json_object_set_new(j, "member", json_string("Anna"));
	REFUSED(j, "member: not an object");
}

int main(void)
{
	RUN(test_the_standard_sample_reads_into_the_struct);
	RUN(test_every_sample_of_both_renderers_reads);
	RUN(test_a_credit_note_keeps_its_negative_quantities);
	RUN(test_kor_and_reverse_charge_are_flagged);
	RUN(test_blank_texts_read_as_absent);
	RUN(test_breakdown_rows_must_be_unique_used_and_add_up);
	RUN(test_counts_amounts_and_texts_have_limits);
	RUN(test_dates_codes_and_identifiers_are_checked);
	UNIT_END();
}
