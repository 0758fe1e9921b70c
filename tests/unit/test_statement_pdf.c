/* The member's monthly statement (statement_pdf_render): both samples of
 * tests/unit/statement_samples/ render to a framed PDF; with PDF_OUT_DIR set the PDFs are written
 * there, every word is checked to lie within the page margins, and their text (pdftotext,
 * poppler-utils) is checked for what the municipality's consultant reads: the member, the month,
 * the version, the calculation of SPEC §6.3, the documents that counted, the year and the signals
 * in words. Without PDF_OUT_DIR the text checks are skipped and said to be. Also: a row that does
 * not settle, a stale row, a correction, documents that do not add up to the turnover, many
 * documents over several pages, names in many scripts, refused documents, a libharu error at
 * every drawing step (run under ASan: nothing leaks), a render on a 64 KiB stack, and identical
 * bytes for identical documents. */
#include "lib/statement_pdf.h"
#include "unit.h"
#include "pdf_text.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <uninorm.h>
#include <unistd.h>

static json_t *load(const char *name)
{
	const char *dir = getenv("STATEMENT_SAMPLES_DIR");
	char path[512];
	json_error_t e;
	snprintf(path, sizeof path, "%s/%s.json", dir ? dir : "tests/unit/statement_samples", name);
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	if (!doc)
		fprintf(stderr, "  %s: %s (line %d)\n", path, e.text, e.line);
	return doc;
}

/* The number of pages of a PDF as libharu writes it: one "/Type /Page" object each (and one
 * "/Type /Pages", which is not counted). */
static int pages_of(const unsigned char *b, size_t n)
{
	static const char key[] = "/Type /Page";
	const size_t k = sizeof key - 1;
	int pages = 0;
	for (size_t i = 0; b && i + k < n; i++)
		if (b[i] == '/' && memcmp(b + i, key, k) == 0 && b[i + k] != 's')
			pages++;
	return pages;
}

static int text_checks_skipped;

/* Renders the document, checks the framing; with PDF_OUT_DIR writes <name>.pdf there, checks
 * that it stays within the margins and returns its text (the caller frees it). NULL when there
 * is no text to check. */
static char *render_and_extract(const char *name, const json_t *doc)
{
	char err[256] = "", file[300];
	size_t len = 99;
	unsigned char *pdf = statement_pdf_render(doc, &len, err, sizeof err);
	CHECK(pdf != NULL);
	if (!pdf) {
		fprintf(stderr, "  %s: %s\n", name, err);
		return NULL;
	}
	CHECK(framed(pdf, len));
	if (!out_dir())
		text_checks_skipped = 1;
	snprintf(file, sizeof file, "statement_%s.pdf", name);
	return pdf_text_of(file, pdf, len);
}

/* ---- editing a document consistently --------------------------------------------------------- */

static json_t *row(json_t *doc)
{
	return json_object_get(doc, "row");
}

static json_t *member(json_t *doc)
{
	return json_object_get(doc, "member");
}

static json_t *docs(json_t *doc)
{
	return json_object_get(doc, "documents");
}

static json_t *year_entry(json_t *doc, size_t i)
{
	return json_array_get(json_object_get(doc, "year"), i);
}

/* The year's last entry: the month of the statement itself. */
static json_t *year_last(json_t *doc)
{
	json_t *y = json_object_get(doc, "year");
	return json_array_get(y, json_array_size(y) - 1);
}

static void set_int(json_t *o, const char *key, int64_t v)
{
	json_object_set_new(o, key, json_integer((json_int_t)v));
}

static void set_str(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, json_string(v));
}

/* The inputs of a month's calculation; fee_deducted is 0 or the fee. */
struct inputs {
	int64_t turnover, costs, fee, fee_deducted, tax, exemption;
	int settles;
};

/* Sets the row's figures and the year's last entry from the inputs by the rules of SPEC §6.3:
 * base = max(0, turnover - costs - fee deducted), net = base - tax reservation, amount to settle
 * = net - exemption, or 0 (and no exemption) for a row that does not settle. */
static void set_figures(json_t *doc, struct inputs in)
{
	int64_t rest = in.turnover - in.costs - in.fee_deducted, base = rest > 0 ? rest : 0;
	int64_t net = base - in.tax, exemption = in.settles ? in.exemption : 0;
	int64_t settle = in.settles ? net - exemption : 0;
	json_t *r = row(doc), *y = year_last(doc);
	json_object_set_new(r, "settles_with_municipality", json_boolean(in.settles));
	set_int(r, "turnover_cents", in.turnover);
	set_int(r, "costs_cents", in.costs);
	set_int(r, "fee_cents", in.fee);
	set_int(r, "fee_deducted_cents", in.fee_deducted);
	set_int(r, "base_cents", base);
	set_int(r, "tax_reservation_cents", in.tax);
	set_int(r, "net_income_cents", net);
	set_int(r, "exemption_cents", exemption);
	set_int(r, "amount_to_settle_cents", settle);
	set_int(y, "turnover_cents", in.turnover);
	set_int(y, "base_cents", base);
	set_int(y, "tax_reservation_cents", in.tax);
	set_int(y, "net_income_cents", net);
	set_int(y, "exemption_cents", exemption);
	set_int(y, "amount_to_settle_cents", settle);
}

/* Replaces the documents by n generated ones (every seventh a credit note) and sets the row's
 * turnover to their sum, with flat-rate costs of 40%, a deducted fee of 5% and a tax
 * reservation of 10% of the base. */
static void many_documents(json_t *doc, int n)
{
	static const char *const customers[] = {"Fietsenmakerij Oost B.V.", "Buurthuis De Linde",
	                                        "Gemeente Amsterdam, stadsdeel Noord",
	                                        "Café 't Hoekje V.O.F."};
	json_t *a = json_array();
	int64_t sum = 0;
	for (int i = 0; i < n; i++) {
		char number[32], date[16];
		int credit = i % 7 == 6;
		int64_t cents = credit ? -(1000 + i) : 2500 + 13 * i;
		snprintf(number, sizeof number, "WERK2026-%05d", 100 + i);
		snprintf(date, sizeof date, "2026-11-%02d", 1 + i % 30);
		json_t *o = json_object();
		set_str(o, "number", number);
		set_str(o, "kind", credit ? "credit_note" : "invoice");
		set_str(o, "date", date);
		set_str(o, "customer", customers[i % 4]);
		set_int(o, "counted_cents", cents);
		json_array_append_new(a, o);
		sum += cents;
	}
	json_object_set_new(doc, "documents", a);
	int64_t costs = sum * 40 / 100, fee = sum * 5 / 100;
	int64_t base = sum - costs - fee > 0 ? sum - costs - fee : 0;
	set_figures(doc, (struct inputs){sum, costs, fee, fee, base / 10, 0, 1});
}

/* ---- the samples ----------------------------------------------------------------------------- */

/* Loads and renders a sample; NULL text when the text checks are skipped. */
static char *sample(const char *name)
{
	json_t *doc = load(name);
	CHECK(doc != NULL);
	char *text = doc ? render_and_extract(name, doc) : NULL;
	json_decref(doc);
	return text;
}

/* What no statement says: coopd stores no BSN and prints none. */
static void lacks_bsn(const char *t)
{
	LACKS(t, "BSN");
	LACKS_CI(t, "burgerservicenummer");
}

static void test_final_sample_shows_the_member_the_month_and_the_calculation(void)
{
	char *t = sample("final");
	/* the title, the cooperative, the member */
	HAS(t, "Inkomstenopgave november 2026");
	HAS(t, "Sociale Coöperatie De Werkplaats U.A.");
	HAS(t, "Damrak 1");
	HAS(t, "1012 LG Amsterdam");
	HAS(t, "KvK 12345678");
	HAS(t, "administratie@werkplaats.example");
	HAS(t, "Deelnemer");
	HAS(t, "Kees Jansen");
	HAS(t, "Kenmerk gemeente");
	HAS(t, "Z-2025-1002");
	HAS(t, "Amsterdam (GM0363)");
	HAS(t, "1 · definitief");
	HAS(t, "Vastgesteld op");
	HAS(t, "07-12-2026");
	HAS(t, "0 uur");
	HAS(t, "Inkomsten tellen mee in de maand van de leverdatum (werkperiode).");
	/* the calculation */
	HAS(t, "Berekening");
	HAS(t, "Omzet (excl. btw) € 87,50");
	HAS(t, "een vast percentage van de omzet − € 35,00");
	HAS(t, "Bijdrage aan de coöperatie aftrekbaar volgens de gemeente − € 5,00");
	HAS(t, "Grondslag omzet − kosten − bijdrage, niet onder € 0 € 47,50");
	HAS(t, "Belastingreservering voor inkomstenbelasting en Zvw-bijdrage − € 4,75");
	HAS(t, "Netto-inkomen € 42,75");
	HAS(t, "Vrijlating niet van toepassing in deze maand − € 0,00");
	HAS(t, "Te verrekenen met de gemeente € 42,75");
	HAS(t, "Premie art. 31 lid 2 onder j Participatiewet, niet verrekend € 0,00");
	/* the documents that counted */
	HAS(t, "Facturen en creditnota's die meetellen");
	HAS(t, "Nummer Soort Leverdatum Klant Telt mee");
	HAS(t, "WERK2026-00009 Factuur 11-11-2026 Fietsenmakerij Oost B.V. € 87,50");
	HAS(t, "WERK2026-00010 Factuur 12-11-2026 Fietsenmakerij Oost B.V. € 52,50");
	HAS(t, "WERK2026-00011 Creditnota 12-11-2026 Fietsenmakerij Oost B.V. € -52,50");
	/* the year: every month named, the amounts settled above the columns in whole euros */
	HAS(t, "Thermometer 2026 tot en met november");
	HAS(t, "jan feb mrt apr mei jun jul aug sep okt nov dec");
	HAS(t, "Kosten en bijdrage");
	HAS(t, "Belastingreservering");
	HAS(t, "Te verrekenen");
	HAS(t, "Totaal 2026 tot en met november: omzet € 315,00, te verrekenen € 155,35");
	/* the signals in words, and the closing */
	HAS(t, "Signalen");
	HAS(t, "De toestemming van de gemeente loopt binnen 60 dagen af.");
	HAS(t, "Ten minste 90% van de omzet van de afgelopen 12 maanden kwam van één "
	       "opdrachtgever.");
	HAS(t, "Opgemaakt op 07-12-2026 uit de administratie van de coöperatie (Sociale Coöperatie "
	       "De Werkplaats U.A.)");
	HAS(t, "Pagina 1 van 1");
	LACKS(t, "permission_expires_within_60_days");
	LACKS(t, "single_customer");
	LACKS(t, "Concept");
	LACKS(t, "concept");
	LACKS(t, "Let op");
	LACKS(t, "Correctie");
	LACKS(t, "De documenten hieronder tellen op tot");
	LACKS(t, "Niet te verrekenen");
	LACKS(t, "Netto, niet verrekend");
	LACKS(t, "(vervolg)");
	LACKS(t, "Pagina 2");
	lacks_bsn(t);
	free(t);
}

static void test_draft_sample_says_it_is_a_concept(void)
{
	char *t = sample("draft");
	HAS(t, "Inkomstenopgave december 2026");
	HAS(t, "Fatima El Amrani");
	HAS(t, "Z-2025-1001");
	HAS(t, "Amsterdam (GM0363)");
	HAS(t, "Concept: deze maand is nog niet vastgesteld. De bedragen kunnen nog veranderen.");
	HAS(t, "concept");
	HAS(t, "nog niet");
	HAS(t, "WERK2026-00012 Factuur 01-12-2026 Buurthuis De Linde € 110,00");
	HAS(t, "Omzet (excl. btw) € 110,00");
	HAS(t, "€ 44,00");
	HAS(t, "€ 5,50");
	HAS(t, "€ 60,50");
	HAS(t, "€ 6,05");
	HAS(t, "Netto-inkomen € 54,45");
	HAS(t, "Te verrekenen met de gemeente € 54,45");
	HAS(t, "Thermometer 2026 tot en met december");
	HAS(t, "jan feb mrt apr mei jun jul aug sep okt nov dec");
	/* the month's own column is a draft: marked, and the mark explained */
	HAS(t, "54*");
	HAS(t, "* concept, nog niet vastgesteld.");
	HAS(t, "Totaal 2026 tot en met december: omzet € 1.670,00, te verrekenen € 826,65");
	HAS(t, "Signalen");
	HAS(t, "De toestemming van de gemeente loopt binnen 60 dagen af.");
	HAS(t, "Ten minste 90% van de omzet van de afgelopen 12 maanden kwam van één "
	       "opdrachtgever.");
	HAS(t, "Pagina 1 van 1");
	LACKS(t, "definitief");
	LACKS(t, "Vastgesteld op 07-12-2026");
	LACKS(t, "Let op");
	lacks_bsn(t);
	free(t);
}

/* A member without a benefit: nothing to settle; the page says so instead of an amount. */
static void test_row_that_does_not_settle_says_so(void)
{
	json_t *doc = load("final");
	CHECK(doc != NULL);
	if (!doc)
		return;
	set_figures(doc, (struct inputs){8750, 3500, 500, 500, 475, 0, 0});
	char *t = render_and_extract("not_settling", doc);
	HAS(t, "Niet te verrekenen: de deelnemer ontvangt geen uitkering. De inkomsten worden "
	       "alleen opgegeven.");
	HAS(t, "geen (geen uitkering)");
	HAS(t, "Netto-inkomen € 42,75");
	HAS(t, "Netto, niet verrekend");
	HAS(t, "Totaal 2026 tot en met november: omzet € 315,00, te verrekenen € 112,60");
	LACKS(t, "Te verrekenen met de gemeente");
	LACKS(t, "Amsterdam (GM0363)");
	LACKS(t, "Vrijlating niet van toepassing");
	free(t);
	json_decref(doc);
}

/* An exemption (art. 31 lid 2 onder n) and a premium (onder j) show as such; the invoice-date
 * basis names its date column. */
static void test_exemption_and_premium_are_explained(void)
{
	json_t *doc = load("final");
	CHECK(doc != NULL);
	if (!doc)
		return;
	set_figures(doc, (struct inputs){8750, 0, 500, 500, 825, 1250, 1});
	set_int(row(doc), "premium_cents", 2500);
	set_str(row(doc), "cost_mode", "none");
	set_str(row(doc), "income_basis", "invoice_date");
	char *t = render_and_extract("exemption", doc);
	HAS(t, "geen kostenaftrek in het beleid van de gemeente − € 0,00");
	HAS(t, "Grondslag omzet − kosten − bijdrage, niet onder € 0 € 82,50");
	HAS(t, "Netto-inkomen € 74,25");
	HAS(t, "Vrijlating art. 31 lid 2 onder n Participatiewet − € 12,50");
	HAS(t, "Te verrekenen met de gemeente € 61,75");
	HAS(t, "Premie art. 31 lid 2 onder j Participatiewet, niet verrekend € 25,00");
	HAS(t, "Inkomsten tellen mee in de maand van de factuurdatum.");
	HAS(t, "Nummer Soort Factuurdatum Klant Telt mee");
	free(t);
	json_decref(doc);
}

/* A fee the municipality does not deduct is named with its amount, whole, and not subtracted. */
static void test_a_fee_not_deducted_is_named_whole(void)
{
	json_t *doc = load("final");
	CHECK(doc != NULL);
	if (!doc)
		return;
	set_figures(doc, (struct inputs){8750, 3500, 500, 0, 525, 0, 1});
	char *t = render_and_extract("fee_not_deducted", doc);
	HAS(t, "Bijdrage aan de coöperatie bijdrage € 5,00, niet aftrekbaar volgens de gemeente "
	       "− € 0,00");
	HAS(t, "Grondslag omzet − kosten − bijdrage, niet onder € 0 € 52,50");
	HAS(t, "Te verrekenen met de gemeente € 47,25");
	LACKS(t, "…");
	free(t);
	json_decref(doc);
}

/* A month without turnover on the payment basis: the page says there were no payments. */
static void test_month_without_documents_says_there_were_none(void)
{
	json_t *doc = load("final");
	CHECK(doc != NULL);
	if (!doc)
		return;
	json_array_clear(docs(doc));
	set_figures(doc, (struct inputs){0, 0, 0, 0, 0, 0, 1});
	set_str(row(doc), "income_basis", "payment_date");
	set_str(row(doc), "cost_mode", "approved_costs");
	json_object_set_new(row(doc), "warnings", json_array());
	char *t = render_and_extract("empty", doc);
	HAS(t, "Ontvangen betalingen die meetellen");
	HAS(t, "Geen betalingen ontvangen in deze maand.");
	HAS(t, "Inkomsten tellen mee in de maand van de ontvangstdatum van de betaling.");
	HAS(t, "goedgekeurde kosten van deze maand, excl. btw");
	HAS(t, "geen bijdrage deze maand");
	HAS(t, "Te verrekenen met de gemeente € 0,00");
	LACKS(t, "Signalen");
	LACKS(t, "Telt mee");
	LACKS(t, "De documenten hieronder tellen op tot");
	free(t);
	json_decref(doc);
}

/* A final row whose month changed after it was fixed says so. */
static void test_stale_row_says_let_op(void)
{
	json_t *doc = load("final");
	CHECK(doc != NULL);
	if (!doc)
		return;
	json_object_set_new(row(doc), "stale", json_true());
	char *t = render_and_extract("stale", doc);
	HAS(t, "Let op: na de vaststelling zijn gegevens van deze maand gewijzigd. Deze opgave "
	       "toont versie 1; de coöperatie stelt een correctie vast.");
	HAS(t, "1 · definitief");
	free(t);
	json_decref(doc);
}

static void test_correction_names_the_version_it_corrects_and_why(void)
{
	json_t *doc = load("final");
	CHECK(doc != NULL);
	if (!doc)
		return;
	set_int(row(doc), "version", 2);
	set_str(row(doc), "correction_reason", "Late factuur");
	char *t = render_and_extract("correction", doc);
	HAS(t, "Correctie van versie 1: Late factuur");
	HAS(t, "2 · definitief");
	LACKS(t, "Let op");
	free(t);
	json_decref(doc);
}

/* Documents that add up to another amount than the row's turnover (an invoice changed after
 * the month was fixed) are shown with a notice, never silently; with more documents than the
 * list holds the sum cannot be known and nothing is said. */
static void test_documents_that_do_not_add_up_to_the_turnover_are_noticed(void)
{
	json_t *doc = load("final");
	CHECK(doc != NULL);
	if (!doc)
		return;
	json_array_remove(docs(doc), 2); /* the credit note */
	char *t = render_and_extract("docs_differ", doc);
	HAS(t, "De documenten hieronder tellen op tot € 140,00; de omzet van deze versie is "
	       "€ 87,50. De coöperatie stelt een correctie vast.");
	HAS(t, "Omzet (excl. btw) € 87,50");
	free(t);

	set_int(doc, "more_documents", 3);
	t = render_and_extract("more_docs", doc);
	HAS(t, "en nog 3 andere documenten");
	LACKS(t, "De documenten hieronder tellen op tot");
	free(t);
	json_decref(doc);
}

/* 120 documents break onto further pages: each continuation page has its head and the table
 * header again, and every page its number. */
static void test_many_documents_break_onto_several_pages(void)
{
	json_t *doc = load("final");
	CHECK(doc != NULL);
	if (!doc)
		return;
	many_documents(doc, 120);
	char err[256] = "";
	size_t len = 0;
	unsigned char *pdf = statement_pdf_render(doc, &len, err, sizeof err);
	CHECK(pages_of(pdf, len) >= 3);
	free(pdf);
	char *t = render_and_extract("many", doc);
	HAS(t, "WERK2026-00100 Factuur 01-11-2026 Fietsenmakerij Oost B.V. € 25,00");
	HAS(t, "WERK2026-00113 Creditnota 14-11-2026 Buurthuis De Linde € -10,13");
	HAS(t, "WERK2026-00219 Factuur 30-11-2026 Café 't Hoekje V.O.F. € 40,47");
	HAS(t, "Inkomstenopgave november 2026 · Kees Jansen (vervolg)");
	HAS(t, "Pagina 1 van");
	HAS(t, "Pagina 2 van");
	LACKS(t, "De documenten hieronder tellen op tot");
	if (t) {
		/* every document once per extraction; the table header on each page that holds
		 * documents (at least two pages), "Pagina n van n" on the last page and no
		 * further */
		char want[40];
		for (int i = 0; i < 120; i++) {
			snprintf(want, sizeof want, "WERK2026-%05d ", 100 + i);
			if (count(t, want) != 2)
				fprintf(stderr, "  %s: %d times\n", want, count(t, want));
			CHECK(count(t, want) == 2);
		}
		const char *p = strstr(t, "Pagina 1 van ");
		int pages = p ? atoi(p + strlen("Pagina 1 van ")) : 0;
		int headers = count(t, "Nummer Soort Leverdatum Klant Telt mee");
		CHECK(pages >= 3);
		CHECK(headers >= 2 && headers <= 2 * pages);
		CHECK_INT(count(t, "(vervolg)"), 2 * (pages - 1));
		snprintf(want, sizeof want, "Pagina %d van %d", pages, pages);
		HAS(t, want);
		snprintf(want, sizeof want, "Pagina %d van", pages + 1);
		LACKS(t, want);
	}
	free(t);
	json_decref(doc);
}

/* STATEMENT_DOCUMENTS_MAX documents render; one more is refused. */
static void test_the_most_documents_render_and_one_more_is_refused(void)
{
	json_t *doc = load("final");
	CHECK(doc != NULL);
	if (!doc)
		return;
	many_documents(doc, STATEMENT_DOCUMENTS_MAX);
	char err[256] = "";
	size_t len = 3;
	unsigned char *pdf = statement_pdf_render(doc, &len, err, sizeof err);
	CHECK(pages_of(pdf, len) >= 10);
	free(pdf);
	char *t = render_and_extract("most", doc);
	HAS(t, "WERK2026-00599");
	free(t);
	len = 3;
	many_documents(doc, STATEMENT_DOCUMENTS_MAX + 1);
	pdf = statement_pdf_render(doc, &len, err, sizeof err);
	CHECK(pdf == NULL && len == 0);
	CHECK_STR(err, "documents: more than 500 entries");
	free(pdf);
	json_decref(doc);
}

/* Every signal the service raises shows in Dutch; one this renderer does not know shows as its
 * code rather than not at all. */
static void test_every_signal_shows_in_words(void)
{
	json_t *doc = load("final");
	CHECK(doc != NULL);
	if (!doc)
		return;
	static const char *const codes[] = {"permission_expires_within_60_days",
	                                    "hours_criterion_80_percent",
	                                    "no_turnover_3_months",
	                                    "rate_floor_overridden",
	                                    "turnover_without_permission",
	                                    "single_customer",
	                                    "some_future_signal"};
	json_t *w = json_array();
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		json_array_append_new(w, json_string(codes[i]));
	json_object_set_new(row(doc), "warnings", w);
	char *t = render_and_extract("signals", doc);
	HAS(t, "Signalen");
	HAS(t, "De toestemming van de gemeente loopt binnen 60 dagen af.");
	HAS(t, "De uren als ondernemer dit jaar hebben 80% van het urencriterium bereikt.");
	HAS(t, "Drie maanden achter elkaar geen omzet.");
	HAS(t, "Er telt een factuur mee met een tarief onder het minimumtarief van de coöperatie.");
	HAS(t, "Omzet in een maand zonder toestemming van de gemeente.");
	HAS(t, "Ten minste 90% van de omzet van de afgelopen 12 maanden kwam van één "
	       "opdrachtgever.");
	HAS(t, "some_future_signal");
	LACKS(t, "rate_floor_overridden");
	free(t);
	json_decref(doc);
}

/* A document that carries a BSN (coopd stores none; a document made elsewhere might) still
 * prints none: the renderer reads only the members it knows. */
static void test_no_bsn_is_printed_even_when_the_document_has_one(void)
{
	json_t *doc = load("final");
	CHECK(doc != NULL);
	if (!doc)
		return;
	set_str(member(doc), "bsn", "123456782");
	set_str(member(doc), "burgerservicenummer", "123456782");
	char *t = render_and_extract("bsn", doc);
	HAS(t, "Kees Jansen");
	LACKS(t, "123456782");
	lacks_bsn(t);
	free(t);
	json_decref(doc);
}

/* Names in every script a member or customer writes render as text: Greek and Turkish letters,
 * decomposed accents composed (NFC), Arabic in reading order, Chinese (no glyph in DejaVu Sans)
 * as U+FFFD; none of it breaks the page. */
static void test_names_in_many_scripts_render(void)
{
	json_t *doc = load("final");
	CHECK(doc != NULL);
	if (!doc)
		return;
	json_t *coop = json_object_get(doc, "cooperative");
	set_str(coop, "legal_name", "Coo\xcc\x88peratie Zoe\xcc\x88 en Ce\xcc\x81line U.A.");
	set_str(coop, "trade_name", "شركة النور");
	set_str(coop, "city", "'s-Hertogenbosch");
	set_str(member(doc), "first_name", "Γιώργος");
	set_str(member(doc), "last_name", "O\xcc\x88zdemir");
	set_str(member(doc), "municipality_name", "Dantumadie\xcc\x82l");
	set_int(row(doc), "version", 2);
	set_str(row(doc), "correction_reason",
	        "Factuur van Ayşe İlkay te laat; Κηπουρός; Садовник");
	json_t *d = docs(doc);
	set_str(json_array_get(d, 0), "customer", "北京贸易有限公司");
	set_str(json_array_get(d, 1), "customer", "شركة النور للتجارة");
	set_str(json_array_get(d, 2), "customer", "Κηπουρός Α.Ε.");
	char *t = render_and_extract("scripts", doc);
	HAS(t, "Coöperatie Zoë en Céline U.A.");
	HAS(t, "Γιώργος Özdemir");
	HAS(t, "Dantumadiêl (GM0363)");
	HAS(t, "Correctie van versie 1: Factuur van Ayşe İlkay te laat; Κηπουρός; Садовник");
	HAS(t, "Κηπουρός Α.Ε.");
	HAS(t, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* the Chinese name */
	HAS_NFKC(t, "شركة النور للتجارة");
	HAS_NFKC(t, "شركة النور");
	LACKS(t, "\xcc\x88"); /* no combining diaeresis left: composed */
	LACKS(t, "\xcc\x81");
	free(t);
	json_decref(doc);
}

/* A member's name and a municipality's name as long as real ones show whole where the page names
 * them: the head, the footer and the head of every continuation page. */
static void test_long_real_names_show_whole(void)
{
	json_t *doc = load("final");
	CHECK(doc != NULL);
	if (!doc)
		return;
	set_str(member(doc), "first_name", "Maria");
	set_str(member(doc), "last_name", "van den Berg-Oosterhuis");
	set_str(member(doc), "municipality_name", "'s-Hertogenbosch");
	set_str(member(doc), "municipality_code", "GM0796");
	many_documents(doc, 60);
	char *t = render_and_extract("long_names", doc);
	HAS(t, "Deelnemer Kenmerk gemeente Verrekent met gemeente Maria van den Berg-Oosterhuis "
	       "Z-2025-1002 's-Hertogenbosch (GM0796)");
	HAS(t, "Inkomstenopgave november 2026 · Maria van den Berg-Oosterhuis (vervolg)");
	HAS(t, "Inkomstenopgave november 2026 · Maria van den Berg-Oosterhuis Pagina 1 van");
	HAS(t, "Sociale Coöperatie De Werkplaats U.A. · KvK 12345678");
	/* names show whole (the customers of these documents are long and cut in their column) */
	LACKS(t, "Berg-Oosterhuis…");
	LACKS(t, "Hertogenbosch…");
	free(t);
	set_str(member(doc), "municipality_name", "Súdwest-Fryslân");
	set_str(member(doc), "municipality_code", "GM1900");
	t = render_and_extract("long_municipality", doc);
	HAS(t, "Súdwest-Fryslân (GM1900)");
	free(t);
	json_decref(doc);
}

/* Every text at its limit in characters of up to four bytes (200 for names and address parts,
 * 64 for codes, 500 for the reason of a correction) renders within the margins; one character
 * more is refused. */
static void test_longest_texts_render_and_one_more_is_refused(void)
{
	json_t *doc = load("final");
	CHECK(doc != NULL);
	if (!doc)
		return;
	char *x = filler_chars("𝕏", 200), *u = filler_chars("ü", 200),
	     *ar = filler_chars("شركة النور ", 200), *code = filler_chars("Ω", 64),
	     *reason = filler_chars("Κηπουρός ", 500), *u201 = filler_chars("ü", 201),
	     *r501 = filler_chars("a", 501);
	if (!x || !u || !ar || !code || !reason || !u201 || !r501) {
		unit_failed_checks++;
	} else {
		json_t *coop = json_object_get(doc, "cooperative"), *m = member(doc);
		const char *texts[] = {"legal_name", "trade_name", "street", "city", "email"};
		for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
			set_str(coop, texts[i], i % 2 ? ar : x);
		set_str(coop, "kvk_number", code);
		set_str(coop, "house_number", code);
		set_str(coop, "postal_code", code);
		set_str(m, "first_name", u);
		set_str(m, "last_name", x);
		set_str(m, "municipal_reference", code);
		set_str(m, "municipality_code", code);
		set_str(m, "municipality_name", x);
		set_int(row(doc), "version", 2);
		set_str(row(doc), "correction_reason", reason);
		set_str(row(doc), "business_hours", "99999.99");
		for (size_t i = 0; i < json_array_size(docs(doc)); i++) {
			set_str(json_array_get(docs(doc), i), "customer", ar);
			set_str(json_array_get(docs(doc), i), "number", code);
		}
		char *t = render_and_extract("longest", doc);
		HAS(t, "99999,99 uur");
		HAS(t, "üüüüüüüüüü");
		HAS(t, "XXXXXXXXXX");
		HAS(t, "Correctie van versie 1: Κηπουρός Κηπουρός");
		HAS(t, "Te verrekenen met de gemeente € 42,75");
		free(t);

		char err[256] = "";
		size_t len = 1;
		set_str(m, "first_name", u201);
		unsigned char *pdf = statement_pdf_render(doc, &len, err, sizeof err);
		CHECK(pdf == NULL && len == 0);
		CHECK_STR(err, "member.first_name: longer than 200 characters");
		free(pdf);
		set_str(m, "first_name", u);
		set_str(row(doc), "correction_reason", r501);
		len = 1;
		pdf = statement_pdf_render(doc, &len, err, sizeof err);
		CHECK(pdf == NULL && len == 0);
		CHECK_STR(err, "row.correction_reason: longer than 500 characters");
		free(pdf);
	}
	free(x);
	free(u);
	free(ar);
	free(code);
	free(reason);
	free(u201);
	free(r501);
	json_decref(doc);
}

/* Three documents of +amount, -amount, +amount (their sum is the turnover), no costs, a
 * deducted fee of 0, half the base reserved for tax, half the net income exempt; the premium is
 * the turnover too. */
static void large_amounts(json_t *doc, int64_t amount)
{
	json_array_clear(docs(doc));
	for (int i = 0; i < 3; i++) {
		json_t *o = json_object();
		set_str(o, "number", "WERK2026-99999");
		set_str(o, "kind", i == 1 ? "credit_note" : "invoice");
		set_str(o, "date", "2026-11-30");
		set_int(o, "counted_cents", i == 1 ? -amount : amount);
		json_array_append_new(docs(doc), o);
	}
	int64_t tax = amount / 2, exemption = (amount - tax) / 2;
	set_figures(doc, (struct inputs){amount, 0, 0, 0, tax, exemption, 1});
	set_int(row(doc), "premium_cents", amount);
}

/* Amounts up to ten million euros show whole in every column: the calculation, the documents,
 * their total and the year's settled amount in whole euros. */
static void test_large_amounts_show_whole(void)
{
	json_t *doc = load("final");
	CHECK(doc != NULL);
	if (!doc)
		return;
	large_amounts(doc, INT64_C(999999999));
	char *t = render_and_extract("large", doc);
	HAS(t, "Omzet (excl. btw) € 9.999.999,99");
	HAS(t, "WERK2026-99999 Factuur 30-11-2026 — € 9.999.999,99");
	HAS(t, "WERK2026-99999 Creditnota 30-11-2026 — € -9.999.999,99");
	HAS(t, "Grondslag omzet − kosten − bijdrage, niet onder € 0 € 9.999.999,99");
	HAS(t, "Belastingreservering voor inkomstenbelasting en Zvw-bijdrage − € 4.999.999,99");
	HAS(t, "Netto-inkomen € 5.000.000,00");
	HAS(t, "Vrijlating art. 31 lid 2 onder n Participatiewet − € 2.500.000,00");
	HAS(t, "Te verrekenen met de gemeente € 2.500.000,00");
	HAS(t, "Premie art. 31 lid 2 onder j Participatiewet, niet verrekend € 9.999.999,99");
	HAS(t, "2500k"); /* the settled euros above the month's column, in thousands */
	HAS(t, "Totaal 2026 tot en met november: omzet € 10.000.227,49, te verrekenen "
	       "€ 2.500.112,60");
	LACKS(t, "…");
	free(t);
	json_decref(doc);
}

/* The largest amounts allowed (±STATEMENT_MONEY_MAX, a billion euros) show whole everywhere;
 * one cent more is refused. */
static void test_the_largest_amounts_allowed_render(void)
{
	json_t *doc = load("final");
	CHECK(doc != NULL);
	if (!doc)
		return;
	large_amounts(doc, STATEMENT_MONEY_MAX);
	char *t = render_and_extract("largest", doc);
	HAS(t, "Omzet (excl. btw) € 1.000.000.000,00");
	HAS(t, "Te verrekenen met de gemeente € 250.000.000,00");
	HAS(t, "250M"); /* the settled euros above the month's column, in millions */
	HAS(t, "Totaal 2026 tot en met november: omzet € 1.000.000.227,50, te verrekenen "
	       "€ 250.000.112,60");
	LACKS(t, "…");
	free(t);
	char err[256] = "";
	size_t len = 1;
	set_int(row(doc), "premium_cents", STATEMENT_MONEY_MAX + 1);
	unsigned char *pdf = statement_pdf_render(doc, &len, err, sizeof err);
	CHECK(pdf == NULL && len == 0);
	CHECK_STR(err, "row.premium_cents: out of range");
	free(pdf);
	json_decref(doc);
}

/* ---- refused documents ----------------------------------------------------------------------- */

/* Applies edit to a copy of the final sample and expects statement_pdf_render to refuse it with
 * a message that contains want. */
static void refused(void (*edit)(json_t *doc), const char *want, int line)
{
	json_t *doc = load("final");
	if (!doc) {
		unit_failed_checks++;
		return;
	}
	edit(doc);
	pdf_check_refused(statement_pdf_render, doc, want, line);
}

static void no_period(json_t *d)
{
	json_object_del(d, "period");
}
static void month_13(json_t *d)
{
	set_str(d, "period", "2026-13");
}
static void no_made_on(json_t *d)
{
	json_object_set_new(d, "made_on", json_null());
}
static void real_money(json_t *d)
{
	json_object_set_new(row(d), "turnover_cents", json_real(12.5));
}
static void money_as_text(json_t *d)
{
	set_str(row(d), "costs_cents", "3500");
}
static void money_out_of_range(json_t *d)
{
	set_int(row(d), "premium_cents", -STATEMENT_MONEY_MAX - 1);
}
static void negative_costs(json_t *d)
{
	set_figures(d, (struct inputs){8750, -100, 500, 500, 475, 0, 1});
}
static void base_wrong(json_t *d)
{
	set_int(row(d), "base_cents", 4751);
}
static void base_not_floored(json_t *d)
{
	/* costs above the turnover: the base is 0, not negative */
	set_figures(d, (struct inputs){8750, 9000, 500, 500, 0, 0, 1});
	set_int(row(d), "base_cents", -750);
	set_int(row(d), "net_income_cents", -750);
}
static void net_wrong(json_t *d)
{
	set_int(row(d), "net_income_cents", 4276);
}
static void settle_wrong(json_t *d)
{
	set_int(row(d), "amount_to_settle_cents", 4274);
}
static void not_settling_with_an_amount(json_t *d)
{
	json_object_set_new(row(d), "settles_with_municipality", json_false());
}
static void not_settling_with_an_exemption(json_t *d)
{
	set_figures(d, (struct inputs){8750, 3500, 500, 500, 475, 0, 0});
	set_int(row(d), "exemption_cents", 100);
}
static void fee_deducted_in_part(json_t *d)
{
	set_int(row(d), "fee_deducted_cents", 300);
}
static void final_without_version(json_t *d)
{
	json_object_set_new(row(d), "version", json_null());
}
static void draft_with_version(json_t *d)
{
	set_str(row(d), "status", "draft");
	set_str(year_last(d), "status", "draft");
}
static void unknown_status(json_t *d)
{
	set_str(row(d), "status", "open");
}
static void final_without_finalized_at(json_t *d)
{
	json_object_set_new(row(d), "finalized_at", json_null());
}
static void bad_timestamp(json_t *d)
{
	set_str(row(d), "calculated_at", "07-12-2026 11:30");
}
static void unknown_basis(json_t *d)
{
	set_str(row(d), "income_basis", "delivery_date");
}
static void unknown_cost_mode(json_t *d)
{
	set_str(row(d), "cost_mode", "actual");
}
static void hours_with_a_comma(json_t *d)
{
	set_str(row(d), "business_hours", "12,5");
}
static void stale_as_text(json_t *d)
{
	set_str(row(d), "stale", "false");
}
static void documents_not_an_array(json_t *d)
{
	json_object_set_new(d, "documents", json_object());
}
static void too_many_documents(json_t *d)
{
	json_t *a = docs(d);
	while (json_array_size(a) <= STATEMENT_DOCUMENTS_MAX)
		json_array_append(a, json_array_get(a, 0));
}
static void document_a_gift(json_t *d)
{
	set_str(json_array_get(docs(d), 0), "kind", "gift");
}
static void document_without_date(json_t *d)
{
	json_object_del(json_array_get(docs(d), 1), "date");
}
static void document_not_an_object(json_t *d)
{
	json_array_append_new(docs(d), json_string("WERK2026-00012"));
}
static void negative_more_documents(json_t *d)
{
	set_int(d, "more_documents", -1);
}
static void year_too_short(json_t *d)
{
	json_array_remove(json_object_get(d, "year"), 0);
}
static void year_wrong_period(json_t *d)
{
	set_str(year_entry(d, 0), "period", "2025-01");
}
static void year_last_not_the_row(json_t *d)
{
	set_int(year_last(d), "amount_to_settle_cents", 4000);
	set_int(year_last(d), "exemption_cents", 275);
}
static void year_last_draft_for_a_final_row(json_t *d)
{
	set_str(year_last(d), "status", "draft");
}
static void year_parts_do_not_add_up(json_t *d)
{
	set_int(year_entry(d, 8), "net_income_cents", 6000);
}
static void year_base_above_turnover(json_t *d)
{
	set_int(year_entry(d, 9), "turnover_cents", 5000);
}
static void year_negative_settle(json_t *d)
{
	set_int(year_entry(d, 9), "amount_to_settle_cents", -1);
}
static void too_many_warnings(json_t *d)
{
	json_t *w = json_array();
	for (int i = 0; i <= STATEMENT_WARNINGS_MAX; i++)
		json_array_append_new(w, json_string("single_customer"));
	json_object_set_new(row(d), "warnings", w);
}
static void warning_not_a_code(json_t *d)
{
	json_array_append_new(json_object_get(row(d), "warnings"), json_integer(3));
}
static void long_last_name(json_t *d)
{
	char big[202];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	set_str(member(d), "last_name", big);
}
static void long_reason(json_t *d)
{
	char big[502];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	set_int(row(d), "version", 2);
	set_str(row(d), "correction_reason", big);
}
static void no_kvk(json_t *d)
{
	json_object_set_new(json_object_get(d, "cooperative"), "kvk_number", json_string("  "));
}
static void no_member(json_t *d)
{
	json_object_del(d, "member");
}

static void stale_draft(json_t *d)
{
	set_str(row(d), "status", "draft");
	json_object_set_new(row(d), "version", json_null());
	json_object_set_new(row(d), "finalized_at", json_null());
	set_str(json_array_get(json_object_get(d, "year"), 10), "status", "draft");
	json_object_set_new(row(d), "stale", json_true());
}
static void version_zero(json_t *d)
{
	set_int(row(d), "version", 0);
}
static void warning_in_capitals(json_t *d)
{
	json_array_append_new(json_object_get(row(d), "warnings"), json_string("Single_Customer"));
}
static void payment_on_the_work_period_basis(json_t *d)
{
	set_str(json_array_get(docs(d), 1), "kind", "payment");
}

static void test_documents_that_would_print_contradictions_are_refused(void)
{
	char err[64] = "x";
	size_t len = 5;
	CHECK(statement_pdf_render(NULL, &len, err, sizeof err) == NULL);
	CHECK(len == 0 && strstr(err, "statement: not an object") != NULL);
	json_t *arr = json_array();
	len = 5;
	CHECK(statement_pdf_render(arr, &len, err, sizeof err) == NULL);
	CHECK(len == 0 && strstr(err, "statement: not an object") != NULL);
	json_decref(arr);
	refused(no_period, "statement.period: missing", __LINE__);
	refused(month_13, "statement.period: not a month (YYYY-MM)", __LINE__);
	refused(no_made_on, "statement.made_on: missing", __LINE__);
	refused(real_money, "row.turnover_cents: not an integer", __LINE__);
	refused(money_as_text, "row.costs_cents: not an integer", __LINE__);
	refused(money_out_of_range, "row.premium_cents: out of range", __LINE__);
	refused(negative_costs, "row: a negative fee, cost, reservation, exemption or premium",
	        __LINE__);
	refused(base_wrong, "row.base_cents: not max(0, turnover - costs - fee deducted)",
	        __LINE__);
	refused(base_not_floored, "row.base_cents: not max(0, turnover - costs - fee deducted)",
	        __LINE__);
	refused(net_wrong, "row.net_income_cents: not base - tax reservation", __LINE__);
	refused(settle_wrong, "row.amount_to_settle_cents: not net income - exemption", __LINE__);
	refused(not_settling_with_an_amount,
	        "row.amount_to_settle_cents: not net income - exemption", __LINE__);
	refused(not_settling_with_an_exemption,
	        "row.amount_to_settle_cents: not net income - exemption", __LINE__);
	refused(fee_deducted_in_part, "row.fee_deducted_cents: neither 0 nor the fee", __LINE__);
	refused(final_without_version,
	        "row.version: a final row has a version from 1, a draft none", __LINE__);
	refused(draft_with_version, "row.version: a final row has a version from 1, a draft none",
	        __LINE__);
	refused(unknown_status, "row.status: not draft or final", __LINE__);
	refused(stale_draft, "row.stale: a draft is never stale", __LINE__);
	refused(version_zero, "row.version: not from 1", __LINE__);
	refused(warning_in_capitals, "row.warnings[2]: not a code", __LINE__);
	refused(payment_on_the_work_period_basis,
	        "documents[1].kind: payment on the work_period basis", __LINE__);
	refused(final_without_finalized_at, "row.finalized_at: missing", __LINE__);
	refused(bad_timestamp, "row.calculated_at: not a timestamp", __LINE__);
	refused(unknown_basis, "row.income_basis: unknown", __LINE__);
	refused(unknown_cost_mode, "row.cost_mode: unknown", __LINE__);
	refused(hours_with_a_comma, "row.business_hours: not a decimal", __LINE__);
	refused(stale_as_text, "row.stale: not true or false", __LINE__);
	refused(documents_not_an_array, "documents: not an array", __LINE__);
	refused(too_many_documents, "documents: more than 500 entries", __LINE__);
	refused(document_a_gift, "documents[0].kind: unknown", __LINE__);
	refused(document_without_date, "documents[1].date: missing", __LINE__);
	refused(document_not_an_object, "documents[3]: not an object", __LINE__);
	refused(negative_more_documents, "statement.more_documents: negative", __LINE__);
	refused(year_too_short, "year: not one entry per month from January to 2026-11", __LINE__);
	refused(year_wrong_period, "year[0].period: not 2026-01", __LINE__);
	refused(year_last_not_the_row, "year[10]: not the row of 2026-11", __LINE__);
	refused(year_last_draft_for_a_final_row, "year[10]: not the row of 2026-11", __LINE__);
	refused(year_parts_do_not_add_up, "year[8]: the parts of the month do not add up",
	        __LINE__);
	refused(year_base_above_turnover, "year[9]: the parts of the month do not add up",
	        __LINE__);
	refused(year_negative_settle, "year[9]: the parts of the month do not add up", __LINE__);
	refused(too_many_warnings, "row.warnings: more than 16", __LINE__);
	refused(warning_not_a_code, "row.warnings[2]: not a code", __LINE__);
	refused(long_last_name, "member.last_name: longer than 200 characters", __LINE__);
	refused(long_reason, "row.correction_reason: longer than 500 characters", __LINE__);
	refused(no_kvk, "cooperative.kvk_number: missing", __LINE__);
	refused(no_member, "member: not an object", __LINE__);
}

/* ---- libharu failures, threads, a small stack --------------------------------------------------
 */

/* The document has every part: notices, a correction, documents over two pages, the year with
 * a draft month, and signals. */
static void test_a_libharu_error_at_any_step_is_reported_and_frees_everything(void)
{
	json_t *doc = load("final");
	CHECK(doc != NULL);
	if (!doc)
		return;
	many_documents(doc, 40);
	set_int(row(doc), "version", 2);
	set_str(row(doc), "correction_reason", "Late factuur");
	json_object_set_new(row(doc), "stale", json_true());
	set_str(year_entry(doc, 9), "status", "draft");
	size_t len;
	long steps;
	unsigned char *pdf =
	    pdf_fail_at_every_step(statement_pdf_render_failing_at, doc, &len, &steps);
	CHECK(pages_of(pdf, len) >= 2);
	free(pdf);
	json_decref(doc);
}

static void test_the_same_document_renders_to_the_same_bytes(void)
{
	json_t *doc = load("final");
	CHECK(doc != NULL);
	if (!doc)
		return;
	many_documents(doc, 60);
	pdf_check_same_bytes(statement_pdf_render, doc, 4);
	json_decref(doc);
}

/* Both samples and one of the most documents render on a thread with a 64 KiB stack. */
static void test_renders_on_a_thread_with_a_64_kib_stack(void)
{
	const char *names[] = {"final", "draft", "final"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		json_t *doc = load(names[i]);
		CHECK(doc != NULL);
		if (!doc)
			continue;
		if (i == 2)
			many_documents(doc, STATEMENT_DOCUMENTS_MAX);
		pdf_check_small_stack(statement_pdf_render, doc, names[i]);
		json_decref(doc);
	}
}

int main(void)
{
	RUN(test_final_sample_shows_the_member_the_month_and_the_calculation);
	RUN(test_draft_sample_says_it_is_a_concept);
	RUN(test_row_that_does_not_settle_says_so);
	RUN(test_exemption_and_premium_are_explained);
	RUN(test_a_fee_not_deducted_is_named_whole);
	RUN(test_month_without_documents_says_there_were_none);
	RUN(test_stale_row_says_let_op);
	RUN(test_correction_names_the_version_it_corrects_and_why);
	RUN(test_documents_that_do_not_add_up_to_the_turnover_are_noticed);
	RUN(test_many_documents_break_onto_several_pages);
	RUN(test_the_most_documents_render_and_one_more_is_refused);
	RUN(test_every_signal_shows_in_words);
	RUN(test_no_bsn_is_printed_even_when_the_document_has_one);
	RUN(test_names_in_many_scripts_render);
	RUN(test_long_real_names_show_whole);
	RUN(test_longest_texts_render_and_one_more_is_refused);
	RUN(test_large_amounts_show_whole);
	RUN(test_the_largest_amounts_allowed_render);
	RUN(test_documents_that_would_print_contradictions_are_refused);
	RUN(test_a_libharu_error_at_any_step_is_reported_and_frees_everything);
	RUN(test_the_same_document_renders_to_the_same_bytes);
	RUN(test_renders_on_a_thread_with_a_64_kib_stack);
	if (text_checks_skipped)
		printf(
		    "note: text checks skipped (set PDF_OUT_DIR to write the PDFs and check their "
		    "text with pdftotext)\n");
	UNIT_END();
}
