/* The PDF invoice renderer: every sample of tests/unit/pdf_samples/ renders to a framed PDF;
 * with PDF_OUT_DIR set the PDFs are written there, every word is checked to lie within the page
 * margins, and their text (pdftotext, poppler-utils) is checked for the elements the law asks
 * of an invoice (RULES.md §1) and for text in many scripts. Without PDF_OUT_DIR the text checks
 * are skipped and said to be. Also: refused documents, a libharu error at every drawing step
 * (run under ASan: nothing leaks), concurrent renders, a render on a 64 KiB stack, and the
 * start-up check of the fonts. */
#include "lib/pdf.h"
#include "lib/pdfdraw.h"
#include "unit.h"
#include "pdf_text.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <uninorm.h>
#include <unistd.h>

static json_t *load(const char *name)
{
	const char *dir = getenv("PDF_SAMPLES_DIR");
	char path[512];
	json_error_t e;
	snprintf(path, sizeof path, "%s/%s.json", dir ? dir : "tests/unit/pdf_samples", name);
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	if (!doc)
		fprintf(stderr, "  %s: %s (line %d)\n", path, e.text, e.line);
	return doc;
}

/* The right edge of the first word `word` in the PDF (pdftotext -bbox), -1 if it is not there. */
static double right_edge(const char *path, const char *word)
{
	char cmd[700], buf[8192], want[128];
	double edge = -1;
	snprintf(cmd, sizeof cmd, "pdftotext -bbox '%s' - 2>/dev/null", path);
	snprintf(want, sizeof want, ">%s</word>", word);
	FILE *p = popen(cmd, "r");
	while (p && fgets(buf, sizeof buf, p)) {
		const char *w = strstr(buf, "<word ");
		double x0, y0, x1, y1;
		if (edge < 0 && w && strstr(w, want) &&
		    sscanf(w, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\"", &x0, &y0,
		           &x1, &y1) == 4)
			edge = x1;
	}
	if (p)
		pclose(p);
	return edge;
}

/* Renders the document, checks the framing; with PDF_OUT_DIR writes <name>.pdf there, checks
 * that it stays within the margins and returns its text (the caller frees it). NULL when there
 * is no text to check. */
static char *render_and_extract(const char *name, const json_t *doc)
{
	char err[256] = "", file[300];
	size_t len = 99;
	unsigned char *pdf = pdf_render(doc, &len, err, sizeof err);
	CHECK(pdf != NULL);
	if (!pdf) {
		fprintf(stderr, "  %s: %s\n", name, err);
		return NULL;
	}
	CHECK(framed(pdf, len));
	snprintf(file, sizeof file, "%s.pdf", name);
	return pdf_text_of(file, pdf, len);
}

static int text_checks_skipped;

/* Loads and renders a sample; NULL text when the text checks are skipped. */
static char *sample(const char *name, json_t **docp)
{
	json_t *doc = load(name);
	CHECK(doc != NULL);
	char *text = doc ? render_and_extract(name, doc) : NULL;
	if (!out_dir())
		text_checks_skipped = 1;
	if (docp)
		*docp = doc;
	else
		json_decref(doc);
	return text;
}

static void has_every_line_description(const char *text, const json_t *doc)
{
	const json_t *lines = json_object_get(json_object_get(doc, "invoice"), "lines");
	for (size_t i = 0; i < json_array_size(lines); i++)
		HAS(text,
		    json_string_value(json_object_get(json_array_get(lines, i), "description")));
}

/* ---- the samples ----------------------------------------------------------------------------- */

static void test_standard_invoice_shows_every_mandatory_element(void)
{
	json_t *doc;
	char *t = sample("standard", &doc);
	HAS(t, "Factuur");
	HAS(t, "Factuurnummer");
	HAS(t, "WERK2026-00001");
	HAS(t, "Factuurdatum");
	HAS(t, "31-03-2026");
	HAS(t, "Leverdatum");
	HAS(t, "28-03-2026");
	HAS(t, "Vervaldatum");
	HAS(t, "30-04-2026");
	/* supplier: full name and address, KvK, VAT id, bank */
	HAS(t, "WerkSamen");
	HAS(t, "Coöperatie WerkSamen Utrecht U.A.");
	HAS(t, "Oudegracht 231-bis");
	HAS(t, "3511 NK Utrecht");
	HAS(t, "KvK 12345678");
	HAS(t, "Btw-id NL002455799B11");
	HAS(t, "IBAN NL91 ABNA 0417 1643 00");
	HAS(t, "BIC ABNANL2A");
	HAS(t, "facturen@werksamen.nl");
	HAS(t, "Tel. 030 123 45 67");
	/* customer */
	HAS(t, "Café 't Hoekje V.O.F.");
	HAS(t, "Lange Nieuwstraat 12");
	HAS(t, "3512 PH Utrecht");
	HAS(t, "KvK 87654321");
	HAS(t, "Btw-id NL000099998B57");
	HAS(t, "Betreft: Tuinonderhoud maart");
	HAS(t, "Uitgevoerd door: Anouk Jansen — Hovenier");
	/* lines: nature, quantity, unit, unit price, rate, net */
	HAS(t, "Omschrijving");
	HAS(t, "Prijs per eenheid");
	has_every_line_description(t, doc);
	HAS(t, "4,5");
	HAS(t, "uur");
	HAS(t, "stuk");
	HAS(t, "dag");
	HAS(t, "km");
	HAS(t, "€ 30,00");
	HAS(t, "€ 135,00");
	HAS(t, "€ 0,23");
	HAS(t, "€ 4,14");
	HAS(t, "€ 900,00");
	HAS(t, "21%");
	/* VAT per rate and totals */
	HAS(t, "Btw 21%");
	HAS(t, "Totaal excl. btw");
	HAS(t, "€ 1.084,14");
	HAS(t, "€ 227,67");
	HAS(t, "Totaal incl. btw");
	HAS(t, "€ 1.311,81");
	HAS(t, "Gelieve € 1.311,81 vóór 30-04-2026 over te maken op NL91 ABNA 0417 1643 00 t.n.v. "
	       "Coöperatie WerkSamen Utrecht U.A. onder vermelding van WERK2026-00001.");
	HAS(t, "Pagina 1 van 1");
	LACKS(t, "Btw verlegd");
	LACKS(t, "kleineondernemersregeling");
	LACKS(t, "Reeds betaald");
	LACKS(t, "Creditnota");
	LACKS(t, "?");
	free(t);
	json_decref(doc);
}

static void test_kor_invoice_states_the_exemption_and_charges_no_vat(void)
{
	json_t *doc;
	char *t = sample("kor", &doc);
	HAS(t, "FIETS2026-00014");
	HAS(t, "Fietsherstel Özdemir");
	HAS(t, "KvK 24681357");
	HAS(t, "M. de Groot");
	HAS(t, "Uitgevoerd door: Emre Özdemir — Fietsenmaker");
	has_every_line_description(t, doc);
	HAS(t, "vrijgesteld");
	HAS(t, "Vrijgesteld € 58,25 € 0,00");
	HAS(t, "Vrijgesteld van btw op grond van de kleineondernemersregeling (KOR)");
	HAS(t, "€ 58,25");
	HAS(t, "Gelieve € 58,25 vóór 30-04-2026 over te maken op NL02 ABNA 0123 4567 89 t.n.v. "
	       "Fietsherstel Özdemir onder vermelding van FIETS2026-00014.");
	LACKS(t, "Btw-id"); /* neither the supplier nor the customer has one */
	LACKS(t, "Btw 21%");
	LACKS(t, "BIC");
	LACKS(t, "artikel 11");
	free(t);
	json_decref(doc);
}

static void test_reverse_charge_invoice_says_btw_verlegd_with_the_customer_vat_id(void)
{
	json_t *doc;
	char *t = sample("reverse_charge", &doc);
	HAS(t, "WERK2026-00002");
	HAS(t, "Bouwbedrijf Van der Berg B.V.");
	HAS(t, "Btw-id NL004495445B01");
	HAS(t, "Btw-id NL002455799B11");
	has_every_line_description(t, doc);
	HAS(t, "verlegd");
	HAS(t, "Btw verlegd € 1.052,00 € 0,00");
	HAS(t, "Btw verlegd. Btw-id afnemer: NL004495445B01.");
	HAS(t, "€ 1.052,00");
	HAS(t, "Leverdatum");                         /* shown even when it equals the issue date */
	CHECK(!t || count(t, "31-03-2026") >= 2 * 2); /* both dates, both extractions */
	HAS(t, "Betreft: Stucwerk project Nieuwegein, week 12–13");
	LACKS(t, "kleineondernemersregeling");
	free(t);
	json_decref(doc);
}

static void test_credit_note_refers_to_the_original_and_states_the_change(void)
{
	json_t *doc;
	char *t = sample("credit_note", &doc);
	HAS(t, "Creditnota");
	HAS(t, "Creditnotanummer");
	HAS(t, "WERK2026-00007");
	HAS(t, "07-04-2026");
	HAS(t, "Creditnota op factuur WERK2026-00001 van 31-03-2026");
	HAS(t, "Reden: Het snoeiwerk is dubbel in rekening gebracht");
	HAS(t, "KvK 12345678");
	HAS(t, "Btw-id NL002455799B11");
	has_every_line_description(t, doc);
	HAS(t, "-4,5");
	HAS(t, "€ -135,00");
	HAS(t, "€ -28,35");
	HAS(t, "€ -163,35");
	HAS(t, "Het bedrag van € 163,35 wordt verrekend of naar u overgemaakt.");
	LACKS(t, "Gelieve");
	LACKS(t, "Vervaldatum");
	free(t);
	json_decref(doc);
}

static void test_partly_paid_invoice_shows_paid_and_open_amounts_per_rate(void)
{
	json_t *doc;
	char *t = sample("partly_paid", &doc);
	HAS(t, "WERK2026-00003");
	HAS(t, "J. van den Heuvel");
	has_every_line_description(t, doc);
	HAS(t, "9%");
	HAS(t, "Btw 9% € 456,00 € 41,04");
	HAS(t, "Btw 21% € 123,50 € 25,94");
	HAS(t, "€ 579,50");
	HAS(t, "€ 66,98");
	HAS(t, "€ 646,48");
	HAS(t, "Reeds betaald");
	HAS(t, "€ 300,00");
	HAS(t, "Te betalen");
	HAS(t, "€ 346,48");
	HAS(t, "Gelieve € 346,48 vóór 30-04-2026");
	free(t);
	json_decref(doc);
}

static void test_long_invoice_breaks_pages_and_repeats_the_table_header(void)
{
	json_t *doc;
	char *t = sample("long", &doc);
	HAS(t, "WERK2026-00042");
	has_every_line_description(t, doc);
	HAS(t, "Pagina 1 van");
	HAS(t, "Pagina 2 van");
	HAS(t, "Factuur WERK2026-00042 (vervolg)");
	HAS(t, "€ 10.526,37");
	HAS(t, "€ 2.210,54");
	HAS(t, "€ 12.736,91");
	if (t) {
		/* the table header is on every page that holds lines (the text is there twice),
		 * "Pagina n van m" on all pages */
		const char *p = strstr(t, "Pagina 1 van ");
		int pages = p ? atoi(p + strlen("Pagina 1 van ")) : 0, headers = 0;
		CHECK(pages >= 2);
		for (p = t; (p = strstr(p, "Omschrijving")); p++)
			headers++;
		CHECK(headers >= 2 * 2 && headers <= 2 * pages);
		char want[40];
		snprintf(want, sizeof want, "Pagina %d van %d", pages, pages);
		HAS(t, want);
		snprintf(want, sizeof want, "Pagina %d van", pages + 1);
		LACKS(t, want);
	}
	free(t);
	json_decref(doc);
}

/* Every script the members and customers write renders as text: Turkish, Polish, Greek,
 * Cyrillic; decomposed accents are composed (also on capitals); Arabic and Hebrew come out in
 * reading order (pdftotext reorders the visual order the PDF draws); a letter outside the BMP
 * prints as its compatibility equivalent (𝕏 as X); what the font has no glyph for (CJK, emoji)
 * as U+FFFD; a customer name of 200 × ü is cut with an ellipsis after three lines. */
static void test_unicode_sample_renders_every_script_as_text(void)
{
	json_t *doc;
	char *t = sample("unicode", &doc);
	HAS(t, "Dağ ve Şehir");
	HAS(t, "Coöperatie Dağ ve Şehir İşçileri U.A.");
	HAS(t, "ulica Świętokrzyska 12/3");
	HAS(t, "00-916 Łódź");
	HAS(t, "Polen");
	HAS(t, "Uitgevoerd door: Ayşegül İlkay Wiśniewska-Żak — Hovenier — Κηπουρός — Садовник");
	HAS(t, "Café “De Gröne Eénhoorn”: ÁRBOL, ÉÉN, ÖZIL (accenten los geschreven)");
	HAS(t, "Reparatie X-serie hekwerk, label \xef\xbf\xbd\xef\xbf\xbd en \xef\xbf\xbd");
	HAS(t, "Доставка / Παράδοση / Teslimat İstanbul ığüşöç / Dostawa Łódź żółć");
	HAS(t, "üüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüü…");
	HAS_NFKC(t, "Onderhoud tuin en gevel —");
	HAS_NFKC(t, "صيانة الحديقة والواجهة");
	HAS_NFKC(t, "شركة النور");
	HAS_NFKC(t, "شركة النور للتجارة — مستودع"); /* pdftotext moves the digits ١٢ */
	HAS_NFKC(t, "שלום עולם");
	HAS(t, "€ 1.311,81");
	HAS(t, "Gelieve € 1.311,81 vóór 30-04-2026 over te maken op NL91 ABNA 0417 1643 00 t.n.v. "
	       "Coöperatie Dağ ve Şehir İşçileri U.A. onder vermelding van WERK2026-00077.");
	LACKS(t, "?");
	LACKS(t, "\xf0\x9d\x95\x8f"); /* 𝕏 itself: libharu cannot draw it */
	if (out_dir()) {
		/* the widths the layout measures are those the PDF draws with: a right-aligned
		 * amount ends on its column's edge (RIGHT - CELL_PAD = 534.276) */
		char path[600];
		snprintf(path, sizeof path, "%s/unicode.pdf", out_dir());
		double edge = right_edge(path, "135,00");
		if (edge < 534.27 || edge > 534.28)
			fprintf(stderr, "  right edge of 135,00: %f\n", edge);
		CHECK(edge >= 534.27 && edge <= 534.28);
	}
	LACKS(t, "\xcc\x81"); /* no combining acute left: composed */
	if (t) {
		/* at most three lines of ü */
		int n = 0;
		const char *p = strstr(t, "Factuur aan ");
		for (p = p ? p + strlen("Factuur aan ") : t; strncmp(p, "ü", 2) == 0 || *p == ' ';
		     p += *p == ' ' ? 1 : 2)
			n += *p != ' ';
		CHECK(n > 60 && n < 200);
	}
	free(t);
	json_decref(doc);
}

/* The control characters and noncharacters the API would refuse still render, as spaces and
 * U+FFFD; a malformed UTF-8 sequence (a document not made by the API) too. */
static void test_control_characters_and_malformed_text_still_render(void)
{
	json_t *doc = load("standard");
	CHECK(doc != NULL);
	if (!doc)
		return;
	json_t *cus = json_object_get(doc, "customer");
	json_object_set_new(cus, "name",
	                    json_string("Tab\there\x01"
	                                "bell\xc2\x85nel\xef\xbf\xbf"
	                                "end\xe2\x80\xa8sep \xe2\x80\x8f\xe2\x80\x8e."));
	const char *bad =
	    "bad \xff\xc3 utf-8 \xed\xa0\x80!"; /* a stray byte, a cut sequence, a surrogate */
	json_object_set_new(
	    json_array_get(json_object_get(json_object_get(doc, "invoice"), "lines"), 0),
	    "description", json_stringn_nocheck(bad, strlen(bad)));
	char *t = render_and_extract("controls", doc);
	HAS(t, "Tab here bell nel\xef\xbf\xbd"
	       "end sep .");
	HAS(t, "bad \xef\xbf\xbd\xef\xbf\xbd utf-8 \xef\xbf\xbd!");
	free(t);
	json_decref(doc);
}

/* An invoice number shows whole in the head, however wide its letters (a 10-letter series
 * prefix, the year and a sequence number): in a smaller size when it must, never cut. */
static void test_long_invoice_numbers_show_whole(void)
{
	json_t *doc = load("credit_note");
	CHECK(doc != NULL);
	if (!doc)
		return;
	json_t *inv = json_object_get(doc, "invoice");
	json_object_set_new(inv, "number", json_string("IFDA85012026-00006"));
	json_object_set_new(inv, "credit_of_number", json_string("WWWWWWWWWW2026-123456"));
	char *t = render_and_extract("long_numbers", doc);
	HAS(t, "Creditnotanummer Creditnotadatum Leverdatum Op factuur IFDA85012026-00006 "
	       "07-04-2026 28-03-2026 WWWWWWWWWW2026-123456");
	LACKS(t, "…");
	free(t);
	json_decref(doc);
}

/* A fully paid invoice says so instead of asking for payment. */
static void test_paid_invoice_says_it_is_paid_instead_of_asking_for_payment(void)
{
	json_t *doc = load("standard");
	CHECK(doc != NULL);
	if (!doc)
		return;
	json_t *inv = json_object_get(doc, "invoice");
	json_object_set_new(inv, "status", json_string("paid"));
	json_object_set_new(inv, "paid_cents", json_integer(131181));
	json_object_set_new(inv, "open_cents", json_integer(0));
	char *t = render_and_extract("paid", doc);
	HAS(t, "Reeds betaald € 1.311,81");
	HAS(t, "Te betalen € 0,00");
	HAS(t, "Deze factuur is volledig betaald.");
	LACKS(t, "Gelieve");
	free(t);
	json_decref(doc);
}

static char *filler(const char *word, size_t n)
{
	char *s = malloc(n + 1);
	size_t wl = strlen(word);
	for (size_t i = 0; s && i < n; i++)
		s[i] = word[i % wl];
	if (s)
		s[n] = '\0';
	return s;
}

/* Every text field at its maximum length (200 characters for names and address parts, 1000 for
 * descriptions and the reason, a 300-letter word among them) still renders: blocks are cut
 * with an ellipsis or wrapped, a tall row moves to the next page whole. */
static void test_longest_allowed_fields_still_render(void)
{
	json_t *doc = load("credit_note");
	CHECK(doc != NULL);
	if (!doc)
		return;
	char *name = filler("Langenaam ", 200), *text = filler("Omschrijving met woorden ", 1000);
	char *word = filler("x", 300), *desc = malloc(1001);
	if (!name || !text || !word || !desc) {
		unit_failed_checks++;
	} else {
		snprintf(desc, 1001, "%.300s %s", word, text);
		json_t *inv = json_object_get(doc, "invoice"),
		       *sup = json_object_get(doc, "supplier");
		json_t *cus = json_object_get(doc, "customer");
		json_object_set_new(sup, "legal_name", json_string(name));
		json_object_set_new(sup, "trade_name", json_string(name));
		json_object_set_new(sup, "email", json_string(name));
		json_object_set_new(json_object_get(sup, "address"), "street", json_string(name));
		json_object_set_new(json_object_get(sup, "address"), "country", json_string("BE"));
		json_object_set_new(cus, "name", json_string(name));
		json_object_set_new(json_object_get(cus, "address"), "city", json_string(name));
		json_object_set_new(inv, "description", json_string(text));
		json_object_set_new(inv, "reason", json_string(text));
		json_object_set_new(json_object_get(doc, "member"), "activity_description",
		                    json_string(name));
		json_object_set_new(json_array_get(json_object_get(inv, "lines"), 0), "description",
		                    json_string(desc));
		char *t = render_and_extract("longest", doc);
		HAS(t, "Creditnota op factuur WERK2026-00001 van 31-03-2026");
		HAS(t, "België");
		HAS(t, "€ -163,35");
		free(t);
	}
	free(name);
	free(text);
	free(word);
	free(desc);
	json_decref(doc);
}

/* The limits count characters, as the API does: every text field at its maximum in characters
 * of two, three and four bytes (200 × ü, Arabic, 𝕏; an e-mail address of 254 characters, an
 * activity of 500, descriptions of 1000) renders, within the margins. One character more is
 * refused and the message says characters. */
static void test_longest_fields_in_multibyte_characters_still_render(void)
{
	json_t *doc = load("credit_note");
	CHECK(doc != NULL);
	if (!doc)
		return;
	char *u = filler_chars("ü", 200), *x = filler_chars("𝕏", 200);
	char *ar = filler_chars("شركة النور ", 200), *mail = filler_chars("ł", 254);
	char *act = filler_chars("Κηπουρός ", 500), *desc = filler_chars("صيانة الحديقة ", 1000);
	char *zh = filler_chars("中文", 1000), *u201 = filler_chars("ü", 201);
	if (!u || !x || !ar || !mail || !act || !desc || !zh || !u201) {
		unit_failed_checks++;
	} else {
		json_t *inv = json_object_get(doc, "invoice"),
		       *sup = json_object_get(doc, "supplier");
		json_t *cus = json_object_get(doc, "customer"),
		       *mem = json_object_get(doc, "member");
		json_object_set_new(sup, "legal_name", json_string(x));
		json_object_set_new(sup, "trade_name", json_string(ar));
		json_object_set_new(sup, "email", json_string(mail));
		json_object_set_new(json_object_get(sup, "address"), "street", json_string(u));
		json_object_set_new(cus, "name", json_string(u));
		json_object_set_new(cus, "email", json_string(mail));
		json_object_set_new(json_object_get(cus, "address"), "city", json_string(ar));
		json_object_set_new(mem, "first_name", json_string(x));
		json_object_set_new(mem, "last_name", json_string(ar));
		json_object_set_new(mem, "activity_description", json_string(act));
		json_object_set_new(inv, "description", json_string(desc));
		json_object_set_new(inv, "reason", json_string(zh));
		json_object_set_new(json_array_get(json_object_get(inv, "lines"), 0), "description",
		                    json_string(desc));
		char *t = render_and_extract("longest_multibyte", doc);
		HAS(t, "Creditnota op factuur WERK2026-00001 van 31-03-2026");
		HAS(t, "€ -163,35");
		HAS(t, "XXXXXXXXXX");
		HAS(t, "üüüüüüüüüü…");
		free(t);

		char err[256] = "";
		size_t len = 1;
		json_object_set_new(cus, "name", json_string(u201));
		unsigned char *pdf = pdf_render(doc, &len, err, sizeof err);
		CHECK(pdf == NULL && len == 0);
		CHECK_STR(err, "customer.name: longer than 200 characters");
		free(pdf);
	}
	free(u);
	free(x);
	free(ar);
	free(mail);
	free(act);
	free(desc);
	free(zh);
	free(u201);
	json_decref(doc);
}

/* ---- refused documents ----------------------------------------------------------------------- */

/* Applies edit to a copy of the standard sample and expects pdf_render to refuse it with a
 * message that contains want. */
static void refused(void (*edit)(json_t *doc), const char *want, int line)
{
	json_t *doc = load("standard");
	if (!doc) {
		unit_failed_checks++;
		return;
	}
	edit(doc);
	pdf_check_refused(pdf_render, doc, want, line);
}

static json_t *inv(json_t *doc)
{
	return json_object_get(doc, "invoice");
}

static json_t *line0(json_t *doc)
{
	return json_array_get(json_object_get(inv(doc), "lines"), 0);
}

static void no_number(json_t *d)
{
	json_object_del(inv(d), "number");
}
static void real_money(json_t *d)
{
	json_object_set_new(line0(d), "net_cents", json_real(13500.0));
}
static void bad_quantity(json_t *d)
{
	json_object_set_new(line0(d), "quantity", json_string("4,5"));
}
static void four_decimals(json_t *d)
{
	json_object_set_new(line0(d), "quantity", json_string("4.5000"));
}
static void bad_date(json_t *d)
{
	json_object_set_new(inv(d), "issue_date", json_string("31-03-2026"));
}
static void bad_unit(json_t *d)
{
	json_object_set_new(line0(d), "unit", json_string("hours"));
}
static void lines_do_not_add_up(json_t *d)
{
	json_object_set_new(json_object_get(inv(d), "totals"), "net_cents", json_integer(108415));
}
static void line_net_not_quantity_times_price(json_t *d)
{
	json_object_set_new(line0(d), "net_cents", json_integer(13501));
}
/* A credit note with an amount to pay prints the payment instruction: it needs a due date
 * (this crashed the renderer once). */
static void credit_note_to_pay_without_due_date(json_t *d)
{
	json_object_set_new(inv(d), "kind", json_string("credit_note"));
	json_object_set_new(inv(d), "credit_of_number", json_string("WERK2026-00000"));
	json_object_set_new(inv(d), "credit_of_issue_date", json_string("2026-03-01"));
	json_object_set_new(inv(d), "due_date", json_null());
}
static void no_such_day(json_t *d)
{
	json_object_set_new(inv(d), "supply_date", json_string("2026-02-29"));
}
static void gross_wrong(json_t *d)
{
	json_object_set_new(json_object_get(inv(d), "totals"), "gross_cents", json_integer(131180));
}
static void open_wrong(json_t *d)
{
	json_object_set_new(inv(d), "paid_cents", json_integer(100));
}
static void reverse_charge_without_vat_id(json_t *d)
{
	json_t *t = json_array_get(json_object_get(json_object_get(inv(d), "totals"), "vat"), 0);
	json_t *lines = json_object_get(inv(d), "lines");
	json_object_set_new(t, "vat_category", json_string("AE"));
	json_object_set_new(t, "vat_rate_bp", json_integer(0));
	json_object_set_new(t, "vat_cents", json_integer(0));
	json_object_set_new(json_object_get(inv(d), "totals"), "vat_cents", json_integer(0));
	json_object_set_new(json_object_get(inv(d), "totals"), "gross_cents", json_integer(108414));
	json_object_set_new(inv(d), "open_cents", json_integer(108414));
	for (size_t i = 0; i < json_array_size(lines); i++) {
		json_object_set_new(json_array_get(lines, i), "vat_category", json_string("AE"));
		json_object_set_new(json_array_get(lines, i), "vat_rate_bp", json_integer(0));
	}
	json_object_set_new(json_object_get(d, "customer"), "vat_id", json_null());
}
static void kor_with_vat(json_t *d)
{
	json_object_set_new(json_object_get(d, "supplier"), "vat_scheme", json_string("kor"));
}
static void line_rate_missing_from_breakdown(json_t *d)
{
	json_object_set_new(line0(d), "vat_rate_bp", json_integer(900));
}
static void exempt_with_a_rate(json_t *d)
{
	json_object_set_new(line0(d), "vat_category", json_string("E"));
}
static void no_lines(json_t *d)
{
	json_array_clear(json_object_get(inv(d), "lines"));
}
static void credit_note_without_original(json_t *d)
{
	json_object_set_new(inv(d), "kind", json_string("credit_note"));
}
static void no_supplier_kvk(json_t *d)
{
	json_object_set_new(json_object_get(d, "supplier"), "kvk_number", json_null());
}
static void huge_description(json_t *d)
{
	char big[1200];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	json_object_set_new(line0(d), "description", json_string(big));
}
static void no_member(json_t *d)
{
	json_object_del(d, "member");
}

static void test_documents_that_would_print_a_wrong_invoice_are_refused(void)
{
	char err[64] = "x";
	size_t len = 5;
	CHECK(pdf_render(NULL, &len, err, sizeof err) == NULL);
	CHECK(len == 0 && err[0] != '\0' && err[0] != 'x');
	refused(no_number, "invoice.number: missing", __LINE__);
	refused(real_money, "invoice.lines[0].net_cents: not an integer", __LINE__);
	refused(bad_quantity, "invoice.lines[0].quantity", __LINE__);
	refused(four_decimals, "invoice.lines[0].quantity", __LINE__);
	refused(bad_date, "invoice.issue_date: not a date", __LINE__);
	refused(bad_unit, "invoice.lines[0].unit", __LINE__);
	refused(lines_do_not_add_up, "net amounts add up to 108414, totals.net_cents is 108415",
	        __LINE__);
	refused(line_net_not_quantity_times_price,
	        "invoice.lines[0].net_cents: not quantity × unit price", __LINE__);
	refused(no_such_day, "invoice.supply_date: not a date", __LINE__);
	refused(credit_note_to_pay_without_due_date, "invoice.due_date: missing", __LINE__);
	refused(gross_wrong, "gross_cents", __LINE__);
	refused(open_wrong, "open_cents", __LINE__);
	refused(reverse_charge_without_vat_id, "customer.vat_id: required", __LINE__);
	refused(kor_with_vat, "must be E under the KOR", __LINE__);
	refused(line_rate_missing_from_breakdown, "no row for its VAT category", __LINE__);
	refused(exempt_with_a_rate, "must be 0 for Z, E and AE", __LINE__);
	refused(no_lines, "invoice.lines: empty", __LINE__);
	refused(credit_note_without_original, "invoice.credit_of_number: missing", __LINE__);
	refused(no_supplier_kvk, "supplier.kvk_number: missing", __LINE__);
	refused(huge_description, "invoice.lines[0].description: longer than 1000 characters",
	        __LINE__);
	refused(no_member, "member: not an object", __LINE__);
}

/* ---- libharu failures, threads, a small stack --------------------------------------------------
 */

static void test_a_libharu_error_at_any_step_is_reported_and_frees_everything(void)
{
	json_t *doc = load("long");
	CHECK(doc != NULL);
	if (!doc)
		return;
	size_t len;
	long steps;
	free(pdf_fail_at_every_step(pdf_render_failing_at, doc, &len, &steps));
	json_decref(doc);
}

static void test_concurrent_renders_give_the_same_bytes(void)
{
	json_t *doc = load("long");
	CHECK(doc != NULL);
	if (doc)
		pdf_check_same_bytes(pdf_render, doc, 8);
	json_decref(doc);
}

/* The largest sample and the Unicode one render on a thread with a 64 KiB stack. */
static void test_renders_on_a_thread_with_a_64_kib_stack(void)
{
	const char *names[] = {"long", "unicode"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		json_t *doc = load(names[i]);
		CHECK(doc != NULL);
		if (doc)
			pdf_check_small_stack(pdf_render, doc, names[i]);
		json_decref(doc);
	}
}

/* ---- the fonts ---------------------------------------------------------------------------------
 */

/* pdf_fonts_check is 0 with the fonts of fonts-dejavu-core; with COOPD_FONT_DIR elsewhere it is
 * -1 with a message that names the missing file or says it is no TrueType font; a render
 * without its fonts fails with a message, never a crash or a leak. */
static void test_fonts_check_names_a_missing_or_broken_font_file(void)
{
	char err[512] = "x", dir[] = "/tmp/coopd-fonts-XXXXXX", regular[64], bold[64];
	const char *was = getenv("COOPD_FONT_DIR");
	char *saved = was ? strdup(was) : NULL;
	CHECK_INT(pdf_fonts_check(err, sizeof err), 0);
	CHECK_STR(err, "");

	setenv("COOPD_FONT_DIR", "/nonexistent/fonts", 1);
	CHECK_INT(pdf_fonts_check(err, sizeof err), -1);
	CHECK(strstr(err, "font /nonexistent/fonts/DejaVuSans.ttf: No such file") == err);
	json_t *doc = load("standard");
	size_t len = 1;
	unsigned char *pdf = doc ? pdf_render(doc, &len, err, sizeof err) : NULL;
	CHECK(pdf == NULL && len == 0 && strstr(err, "libharu error") != NULL);
	free(pdf);

	/* the regular font, and a bold one that is no font */
	CHECK(mkdtemp(dir) != NULL);
	snprintf(regular, sizeof regular, "%s/DejaVuSans.ttf", dir);
	snprintf(bold, sizeof bold, "%s/DejaVuSans-Bold.ttf", dir);
	CHECK(symlink("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", regular) == 0);
	FILE *f = fopen(bold, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("<html>not a font</html>\n", f);
		fclose(f);
	}
	setenv("COOPD_FONT_DIR", dir, 1);
	CHECK_INT(pdf_fonts_check(err, sizeof err), -1);
	CHECK(strstr(err, "DejaVuSans-Bold.ttf: not a TrueType font") != NULL);
	unlink(bold);
	unlink(regular);
	rmdir(dir);

	if (saved)
		setenv("COOPD_FONT_DIR", saved, 1);
	else
		unsetenv("COOPD_FONT_DIR");
	free(saved);
	CHECK_INT(pdf_fonts_check(err, sizeof err), 0);
	json_decref(doc);
}

int main(void)
{
	RUN(test_standard_invoice_shows_every_mandatory_element);
	RUN(test_kor_invoice_states_the_exemption_and_charges_no_vat);
	RUN(test_reverse_charge_invoice_says_btw_verlegd_with_the_customer_vat_id);
	RUN(test_credit_note_refers_to_the_original_and_states_the_change);
	RUN(test_partly_paid_invoice_shows_paid_and_open_amounts_per_rate);
	RUN(test_long_invoice_breaks_pages_and_repeats_the_table_header);
	RUN(test_unicode_sample_renders_every_script_as_text);
	RUN(test_control_characters_and_malformed_text_still_render);
	RUN(test_long_invoice_numbers_show_whole);
	RUN(test_paid_invoice_says_it_is_paid_instead_of_asking_for_payment);
	RUN(test_longest_allowed_fields_still_render);
	RUN(test_longest_fields_in_multibyte_characters_still_render);
	RUN(test_documents_that_would_print_a_wrong_invoice_are_refused);
	RUN(test_a_libharu_error_at_any_step_is_reported_and_frees_everything);
	RUN(test_concurrent_renders_give_the_same_bytes);
	RUN(test_renders_on_a_thread_with_a_64_kib_stack);
	RUN(test_fonts_check_names_a_missing_or_broken_font_file);
	if (text_checks_skipped)
		printf(
		    "note: text checks skipped (set PDF_OUT_DIR to write the PDFs and check their "
		    "text with pdftotext)\n");
	UNIT_END();
}
