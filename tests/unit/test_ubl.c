/* The UBL renderer: every sample in ubl_samples/ renders, parses back as XML and carries the
 * mandatory SI-UBL 2.0 elements with the right amounts; documents the official rules would reject
 * are refused with a message. With UBL_OUT_DIR set, each rendered document is also written there
 * as NAME.xml for tests/ubl/validate.sh (the official stylesheet). */
#include "lib/ubl.h"
#include "unit.h"
#include "xml_read.h"

#include <jansson.h>
#include <stdlib.h>

#define NS_INVOICE     "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
#define NS_CREDIT_NOTE "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
#define NS_CAC         "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
#define NS_CBC         "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
#define KOR_TEXT       "Vrijgesteld van btw op grond van de kleineondernemersregeling (KOR)"

/* ---- helpers ---- */

static json_t *load(const char *name)
{
	char path[512];
	const char *dir = getenv("UBL_SAMPLES_DIR");
	json_error_t e;
	const char *slash = strrchr(__FILE__, '/');
	if (dir) /* else beside this file, as the compiler saw its path (the repository root) */
		snprintf(path, sizeof path, "%s/%s.json", dir, name);
	else if (slash)
		snprintf(path, sizeof path, "%.*s/ubl_samples/%s.json", (int)(slash - __FILE__),
		         __FILE__, name);
	else
		snprintf(path, sizeof path, "ubl_samples/%s.json", name);
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	if (!j)
		fprintf(stderr, "  %s: %s (line %d)\n", path, e.text, e.line);
	return j;
}

/* Renders j (and writes it to UBL_OUT_DIR as name.xml), parses it back. 0 when all went well. */
static int render(const char *name, const json_t *j, struct out *o)
{
	char err[256];
	memset(o, 0, sizeof *o);
	if (!j)
		return -1;
	o->xml = ubl_render(j, &o->len, err, sizeof err);
	if (!o->xml) {
		fprintf(stderr, "  %s: ubl_render: %s\n", name, err);
		return -1;
	}
	write_out("UBL_OUT_DIR", name, o->xml, o->len);
	if (out_parse(o, name) != 0)
		return -1;
	xmlXPathRegisterNs(o->ctx, BAD_CAST "inv", BAD_CAST NS_INVOICE);
	xmlXPathRegisterNs(o->ctx, BAD_CAST "cn", BAD_CAST NS_CREDIT_NOTE);
	xmlXPathRegisterNs(o->ctx, BAD_CAST "cac", BAD_CAST NS_CAC);
	xmlXPathRegisterNs(o->ctx, BAD_CAST "cbc", BAD_CAST NS_CBC);
	return 0;
}

static json_t *at(json_t *j, const char *a, const char *b)
{
	return json_object_get(json_object_get(j, a), b);
}

static json_t *line_at(json_t *j, size_t i)
{
	return json_array_get(at(j, "invoice", "lines"), i);
}

/* ---- what every sample must carry ---- */

struct subtotal {
	const char *cat, *percent, *taxable, *tax;
};

struct expect {
	const char *name, *number;
	int credit, nlines;
	const char *line_ext, *tax_excl, *tax_incl, *tax, *prepaid, *payable;
	struct subtotal subs[4];
	int nsubs;
};

/* clang-format off */
static const struct expect samples[] = {
    {"standard_21", "WERK2026-00001", 0, 2, "160.00", "160.00", "193.60", "33.60", NULL, "193.60",
     {{"S", "21", "160.00", "33.60"}}, 1},
    {"mixed_21_9", "WERK2026-00002", 0, 2, "155.00", "155.00", "181.55", "26.55", NULL, "181.55",
     {{"S", "21", "105.00", "22.05"}, {"S", "9", "50.00", "4.50"}}, 2},
    {"zero_rate", "WERK2026-00003", 0, 2, "200.00", "200.00", "216.80", "16.80", NULL, "216.80",
     {{"S", "21", "80.00", "16.80"}, {"Z", "0", "120.00", "0.00"}}, 2},
    {"kor_exempt", "WERK2026-00004", 0, 2, "92.88", "92.88", "92.88", "0.00", NULL, "92.88",
     {{"E", "0", "92.88", "0.00"}}, 1},
    {"reverse_charge", "WERK2026-00005", 0, 1, "480.00", "480.00", "480.00", "0.00", NULL,
     "480.00", {{"AE", "0", "480.00", "0.00"}}, 1},
    {"credit_note", "WERK2026-00006", 1, 2, "160.00", "160.00", "193.60", "33.60", NULL, "193.60",
     {{"S", "21", "160.00", "33.60"}}, 1},
    {"partly_paid", "WERK2026-00007", 0, 1, "325.00", "325.00", "393.25", "68.25", "200.00",
     "193.25", {{"S", "21", "325.00", "68.25"}}, 1},
    {"fractional_quantities", "WERK2026-00008", 0, 2, "89.58", "89.58", "108.39", "18.81", NULL,
     "108.39", {{"S", "21", "89.58", "18.81"}}, 1},
};
/* clang-format on */

static const struct expect *expect_of(const char *name)
{
	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
		if (!strcmp(samples[i].name, name))
			return &samples[i];
	return NULL;
}

/* The mandatory elements of RULES.md §5 and the amounts of e. */
static void check_mandatory(struct out *o, const struct expect *e)
{
	const char *line = e->credit ? "cac:CreditNoteLine" : "cac:InvoiceLine";
	const char *qty = e->credit ? "cbc:CreditedQuantity" : "cbc:InvoicedQuantity";

	CHECK_STR(xp(o, "local-name(/*)"), e->credit ? "CreditNote" : "Invoice");
	CHECK_STR(xp(o, "namespace-uri(/*)"), e->credit ? NS_CREDIT_NOTE : NS_INVOICE);
	CHECK_STR(xp(o, "/*/cbc:CustomizationID"),
	          "urn:cen.eu:en16931:2017#compliant#urn:fdc:nen.nl:nlcius:v1.0");
	CHECK_STR(xp(o, "/*/cbc:ProfileID"), "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0");
	CHECK_STR(xp(o, "/*/cbc:ID"), e->number);
	CHECK_STR(xp(o, "count(/*/cbc:IssueDate[string-length(.) = 10])"), "1");
	if (e->credit) {
		CHECK_STR(xp(o, "/*/cbc:CreditNoteTypeCode"), "381");
		CHECK_STR(xp(o, "count(//cbc:InvoiceTypeCode | //cac:InvoiceLine)"), "0");
	} else {
		CHECK_STR(xp(o, "/*/cbc:InvoiceTypeCode"), "380");
		CHECK_STR(xp(o, "count(//cbc:CreditNoteTypeCode | //cac:CreditNoteLine)"), "0");
	}
	CHECK_STR(xp(o, "/*/cbc:DocumentCurrencyCode"), "EUR");
	CHECK_STR(xp(o, "/*/cbc:BuyerReference"), e->number); /* BR-NL-2 */
	CHECK(xp(o, "count(/*/cbc:Note)")[0] <= '1');         /* Peppol: one note */

	/* supplier: KvK as endpoint and legal id, VAT id, full address */
	const char *sp = "/*/cac:AccountingSupplierParty/cac:Party";
	CHECK_STR(xp(o, "%s/cbc:EndpointID/@schemeID", sp), "0106");
	CHECK_STR(xp(o, "%s/cbc:EndpointID", sp), "12345678");
	CHECK_STR(xp(o, "%s/cac:PostalAddress/cbc:StreetName", sp), "Damrak 1");
	CHECK_STR(xp(o, "%s/cac:PostalAddress/cbc:CityName", sp), "Amsterdam");
	CHECK_STR(xp(o, "%s/cac:PostalAddress/cbc:PostalZone", sp), "1012 AB");
	CHECK_STR(xp(o, "%s/cac:PostalAddress/cac:Country/cbc:IdentificationCode", sp), "NL");
	CHECK_STR(xp(o, "%s/cac:PartyTaxScheme/cbc:CompanyID", sp), "NL002455799B11");
	CHECK_STR(xp(o, "%s/cac:PartyTaxScheme/cac:TaxScheme/cbc:ID", sp), "VAT");
	CHECK_STR(xp(o, "%s/cac:PartyLegalEntity/cbc:RegistrationName", sp),
	          "Coöperatie Werkt U.A.");
	CHECK_STR(xp(o, "%s/cac:PartyLegalEntity/cbc:CompanyID", sp), "12345678");
	CHECK_STR(xp(o, "%s/cac:PartyLegalEntity/cbc:CompanyID/@schemeID", sp), "0106");

	/* customer: name and an address with a country */
	const char *cp = "/*/cac:AccountingCustomerParty/cac:Party";
	CHECK(*xp(o, "%s/cac:PartyLegalEntity/cbc:RegistrationName", cp));
	CHECK(*xp(o, "%s/cac:PostalAddress/cbc:StreetName", cp));
	CHECK(*xp(o, "%s/cac:PostalAddress/cbc:CityName", cp));
	CHECK(*xp(o, "%s/cac:PostalAddress/cac:Country/cbc:IdentificationCode", cp));

	/* VAT breakdown: one subtotal per (category, rate) with its amounts */
	CHECK_STR(xp(o, "count(/*/cac:TaxTotal)"), "1");
	CHECK_STR(xp(o, "/*/cac:TaxTotal/cbc:TaxAmount"), e->tax);
	CHECK_STR(xp(o, "count(/*/cac:TaxTotal/cac:TaxSubtotal)"), e->nsubs == 1 ? "1" : "2");
	for (int i = 0; i < e->nsubs; i++) {
		const struct subtotal *s = &e->subs[i];
		char sel[256];
		snprintf(sel, sizeof sel,
		         "/*/cac:TaxTotal/cac:TaxSubtotal[cac:TaxCategory/cbc:ID = '%s' and "
		         "cac:TaxCategory/cbc:Percent = '%s']",
		         s->cat, s->percent);
		CHECK_STR(xp(o, "count(%s)", sel), "1");
		CHECK_STR(xp(o, "%s/cbc:TaxableAmount", sel), s->taxable);
		CHECK_STR(xp(o, "%s/cbc:TaxAmount", sel), s->tax);
		CHECK_STR(xp(o, "%s/cac:TaxCategory/cac:TaxScheme/cbc:ID", sel), "VAT");
	}

	/* totals */
	const char *mt = "/*/cac:LegalMonetaryTotal";
	CHECK_STR(xp(o, "%s/cbc:LineExtensionAmount", mt), e->line_ext);
	CHECK_STR(xp(o, "%s/cbc:TaxExclusiveAmount", mt), e->tax_excl);
	CHECK_STR(xp(o, "%s/cbc:TaxInclusiveAmount", mt), e->tax_incl);
	CHECK_STR(xp(o, "%s/cbc:PrepaidAmount", mt), e->prepaid ? e->prepaid : "");
	CHECK_STR(xp(o, "%s/cbc:PayableAmount", mt), e->payable);

	/* every amount in EUR with exactly two decimals, none negative in these samples */
	CHECK_STR(xp(o, "count(//*[@currencyID != 'EUR'])"), "0");
	CHECK_STR(xp(o, "count(//*[@currencyID][string-length(substring-after(., '.')) != 2])"),
	          "0");
	CHECK_STR(xp(o, "count(//*[@currencyID][starts-with(normalize-space(.), '-')])"), "0");

	/* lines: ID 1..n, quantity with unit, net, item name, tax category, price */
	char n[16];
	snprintf(n, sizeof n, "%d", e->nlines);
	CHECK_STR(xp(o, "count(/*/%s)", line), n);
	for (int i = 1; i <= e->nlines; i++) {
		char id[16];
		snprintf(id, sizeof id, "%d", i);
		CHECK_STR(xp(o, "/*/%s[%d]/cbc:ID", line, i), id);
	}
	CHECK_STR(xp(o,
	             "count(/*/%s[not(%s/@unitCode) or not(cbc:LineExtensionAmount) or "
	             "not(cac:Item/cbc:Name) or not(cac:Item/cac:ClassifiedTaxCategory/cbc:ID) or "
	             "not(cac:Item/cac:ClassifiedTaxCategory/cbc:Percent) or "
	             "cac:Item/cac:ClassifiedTaxCategory/cac:TaxScheme/cbc:ID != 'VAT' or "
	             "not(cac:Price/cbc:PriceAmount)])",
	             line, qty),
	          "0");
	CHECK_STR(xp(o, "count(/*/%s/%s[starts-with(., '-')])", line, qty), "0");
}

static void check_sample(const char *name, struct out *o)
{
	const struct expect *e = expect_of(name);
	json_t *j = load(name);
	CHECK(e != NULL);
	CHECK(render(name, j, o) == 0);
	if (e && o->ctx)
		check_mandatory(o, e);
	json_decref(j);
}

/* ---- the samples ---- */

static void test_standard_invoice_has_every_mandatory_element(void)
{
	struct out o;
	check_sample("standard_21", &o);
	CHECK_STR(xp(&o, "/*/cbc:IssueDate"), "2026-03-31");
	CHECK_STR(xp(&o, "/*/cbc:DueDate"), "2026-04-30");
	CHECK_STR(xp(&o, "/*/cbc:Note"), "Tuinonderhoud maart");
	CHECK_STR(xp(&o, "/*/cac:Delivery/cbc:ActualDeliveryDate"), "2026-03-28");
	CHECK_STR(xp(&o, "count(/*/cac:BillingReference)"), "0");
	/* supplier trade name and contact */
	CHECK_STR(xp(&o, "/*/cac:AccountingSupplierParty/cac:Party/cac:PartyName/cbc:Name"),
	          "Werkt");
	CHECK_STR(xp(&o, "/*/cac:AccountingSupplierParty/cac:Party/cac:Contact/cbc:ElectronicMail"),
	          "facturen@werkt.example");
	CHECK_STR(xp(&o, "/*/cac:AccountingSupplierParty/cac:Party/cac:Contact/cbc:Telephone"),
	          "020 123 4567");
	/* customer: KvK as endpoint and legal id, VAT id, escaped name */
	const char *cp = "/*/cac:AccountingCustomerParty/cac:Party";
	CHECK_STR(xp(&o, "%s/cbc:EndpointID", cp), "87654321");
	CHECK_STR(xp(&o, "%s/cbc:EndpointID/@schemeID", cp), "0106");
	CHECK_STR(xp(&o, "%s/cac:PostalAddress/cbc:StreetName", cp), "Kerkstraat 12a");
	CHECK_STR(xp(&o, "%s/cac:PostalAddress/cbc:PostalZone", cp), "3511 LK");
	CHECK_STR(xp(&o, "%s/cac:PartyTaxScheme/cbc:CompanyID", cp), "NL000099998B57");
	CHECK_STR(xp(&o, "%s/cac:PartyLegalEntity/cbc:RegistrationName", cp),
	          "Jansen & Zn. Hoveniers B.V.");
	CHECK_STR(xp(&o, "%s/cac:PartyLegalEntity/cbc:CompanyID", cp), "87654321");
	CHECK_STR(xp(&o, "%s/cac:PartyLegalEntity/cbc:CompanyID/@schemeID", cp), "0106");
	CHECK(o.xml && strstr(o.xml, "Jansen &amp; Zn.") != NULL);
	/* payment: credit transfer to the cooperative's IBAN with the payment reference */
	CHECK_STR(xp(&o, "/*/cac:PaymentMeans/cbc:PaymentMeansCode"), "30");
	CHECK_STR(xp(&o, "/*/cac:PaymentMeans/cbc:PaymentID"), "WERK2026-00001");
	CHECK_STR(xp(&o, "/*/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID"),
	          "NL91ABNA0417164300");
	CHECK_STR(xp(&o, "/*/cac:PaymentMeans/cac:PayeeFinancialAccount/"
	                 "cac:FinancialInstitutionBranch/cbc:ID"),
	          "ABNANL2A");
	CHECK_STR(xp(&o, "/*/cac:PaymentTerms/cbc:Note"),
	          "Betaling binnen 30 dagen onder vermelding van WERK2026-00001");
	/* lines */
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[1]/cbc:InvoicedQuantity"), "4.5");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[1]/cbc:InvoicedQuantity/@unitCode"), "HUR");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[1]/cbc:LineExtensionAmount"), "135.00");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[1]/cac:Item/cbc:Name"), "Snoeien");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[1]/cac:Item/cac:SellersItemIdentification/cbc:ID"),
	          "gardening");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[1]/cac:Item/cac:ClassifiedTaxCategory/cbc:ID"), "S");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[1]/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
	          "21");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[1]/cac:Price/cbc:PriceAmount"), "30.00");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[2]/cbc:InvoicedQuantity"), "1");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[2]/cbc:InvoicedQuantity/@unitCode"), "DAY");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[2]/cbc:LineExtensionAmount"), "25.00");
	CHECK(o.xml && !strncmp(o.xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 38));
	out_free(&o);
}

static void test_mixed_21_and_9_percent_lines_get_one_subtotal_per_rate(void)
{
	struct out o;
	check_sample("mixed_21_9", &o);
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[2]/cbc:InvoicedQuantity/@unitCode"), "H87");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[2]/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
	          "9");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[2]/cac:Price/cbc:PriceAmount"), "12.50");
	out_free(&o);
}

static void test_zero_rate_line_has_a_z_subtotal_without_exemption_reason(void)
{
	struct out o;
	check_sample("zero_rate", &o);
	CHECK_STR(xp(&o, "count(//cbc:TaxExemptionReason | //cbc:TaxExemptionReasonCode)"), "0");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[2]/cac:Item/cac:ClassifiedTaxCategory/cbc:ID"), "Z");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[2]/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
	          "0");
	/* peppol_id "0106:87654321" is the endpoint; no description, no note */
	CHECK_STR(xp(&o, "/*/cac:AccountingCustomerParty/cac:Party/cbc:EndpointID"), "87654321");
	CHECK_STR(xp(&o, "/*/cac:AccountingCustomerParty/cac:Party/cbc:EndpointID/@schemeID"),
	          "0106");
	CHECK_STR(xp(&o, "count(/*/cbc:Note)"), "0");
	out_free(&o);
}

static void test_kor_invoice_is_exempt_and_states_the_kor(void)
{
	struct out o;
	check_sample("kor_exempt", &o);
	CHECK_STR(xp(&o, "/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReason"),
	          KOR_TEXT);
	CHECK_STR(xp(&o, "count(//cbc:TaxExemptionReasonCode)"), "0"); /* BR-NL-35 */
	CHECK_STR(xp(&o, "/*/cbc:Note"), "Oppas februari\n" KOR_TEXT);
	CHECK_STR(xp(&o, "count(/*/cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory[cbc:ID != "
	                 "'E' or cbc:Percent != '0'])"),
	          "0");
	/* 12.5 km × 0.23 = 2.875 → 2.88 */
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[2]/cbc:InvoicedQuantity"), "12.5");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[2]/cbc:InvoicedQuantity/@unitCode"), "KMT");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[2]/cbc:LineExtensionAmount"), "2.88");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[2]/cac:Price/cbc:PriceAmount"), "0.23");
	/* supply on the issue date still shown; no trade name, BIC or phone given: none rendered */
	CHECK_STR(xp(&o, "/*/cac:Delivery/cbc:ActualDeliveryDate"), "2026-03-31");
	CHECK_STR(xp(&o, "count(//cac:PartyName | //cac:FinancialInstitutionBranch | "
	                 "//cbc:Telephone)"),
	          "0");
	out_free(&o);
}

static void test_reverse_charge_says_btw_verlegd_with_both_vat_ids(void)
{
	struct out o;
	check_sample("reverse_charge", &o);
	const char *cp = "/*/cac:AccountingCustomerParty/cac:Party";
	CHECK_STR(xp(&o, "/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReason"),
	          "Btw verlegd");
	CHECK_STR(xp(&o, "%s/cac:PartyTaxScheme/cbc:CompanyID", cp), "BE0123456749");
	CHECK_STR(xp(&o, "%s/cac:PostalAddress/cac:Country/cbc:IdentificationCode", cp), "BE");
	/* no KvK, no peppol id: the e-mail address is the endpoint; no legal id abroad */
	CHECK_STR(xp(&o, "%s/cbc:EndpointID", cp), "boekhouding@peeters.example");
	CHECK_STR(xp(&o, "%s/cbc:EndpointID/@schemeID", cp), "EM");
	CHECK_STR(xp(&o, "count(%s/cac:PartyLegalEntity/cbc:CompanyID)", cp), "0");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:ID"), "AE");
	out_free(&o);
}

static void test_credit_note_is_positive_and_refers_to_the_original(void)
{
	struct out o;
	check_sample("credit_note", &o);
	CHECK_STR(xp(&o, "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"),
	          "WERK2026-00001");
	CHECK_STR(xp(&o, "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate"),
	          "2026-03-31");
	CHECK_STR(xp(&o, "/*/cbc:Note"),
	          "Creditering van factuur WERK2026-00001 van 2026-03-31: Dubbel gefactureerd");
	CHECK_STR(xp(&o, "/*/cac:CreditNoteLine[1]/cbc:CreditedQuantity"), "4.5");
	CHECK_STR(xp(&o, "/*/cac:CreditNoteLine[1]/cbc:CreditedQuantity/@unitCode"), "HUR");
	CHECK_STR(xp(&o, "/*/cac:CreditNoteLine[1]/cbc:LineExtensionAmount"), "135.00");
	CHECK_STR(xp(&o, "/*/cac:CreditNoteLine[1]/cac:Price/cbc:PriceAmount"), "30.00");
	CHECK_STR(xp(&o, "/*/cac:CreditNoteLine[2]/cbc:CreditedQuantity"), "1");
	/* nothing is paid to the supplier on a credit note */
	CHECK_STR(xp(&o, "count(//cbc:DueDate | //cac:PaymentMeans)"), "0");
	out_free(&o);
}

static void test_partly_paid_invoice_shows_prepaid_and_open_amounts(void)
{
	struct out o;
	check_sample("partly_paid", &o);
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine/cbc:InvoicedQuantity"), "10");
	out_free(&o);
}

static void test_fractional_quantities_keep_their_decimals_and_half_up_nets(void)
{
	struct out o;
	check_sample("fractional_quantities", &o);
	/* 2.5 × 33.33 = 83.325 → 83.33; 0.125 × 49.99 = 6.24875 → 6.25 */
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[1]/cbc:InvoicedQuantity"), "2.5");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[1]/cbc:LineExtensionAmount"), "83.33");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[2]/cbc:InvoicedQuantity"), "0.125");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[2]/cbc:InvoicedQuantity/@unitCode"), "KMT");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[2]/cbc:LineExtensionAmount"), "6.25");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[2]/cac:Price/cbc:PriceAmount"), "49.99");
	out_free(&o);
}

static void test_no_bsn_or_member_data_in_any_document(void)
{
	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		json_t *j = load(samples[i].name);
		char err[256];
		char *xml = j ? ubl_render(j, NULL, err, sizeof err) : NULL;
		CHECK(xml != NULL);
		CHECK(xml && !strstr(xml, "111222333"));
		CHECK(xml && !strstr(xml, "Vermeulen"));
		CHECK(xml && !strstr(xml, "Anna"));
		free(xml);
		json_decref(j);
	}
}

/* ---- text handling ---- */

static void test_markup_and_control_characters_in_text_stay_well_formed(void)
{
	struct out o;
	json_t *j = load("standard_21");
	json_object_set_new(json_object_get(j, "customer"), "name",
	                    json_string("A & B <Tuin> \"Groen\" 'Kas' ]]> é"));
	json_object_set_new(json_object_get(j, "invoice"), "description",
	                    json_string("regel\x01"
	                                "een\ttwee\nnieuw"));
	json_object_set_new(line_at(j, 0), "description", json_string("Snoeien <b>&amp;</b>"));
	CHECK(render("escaped_text", j, &o) == 0);
	CHECK_STR(xp(&o, "/*/cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/"
	                 "cbc:RegistrationName"),
	          "A & B <Tuin> \"Groen\" 'Kas' ]]> é");
	CHECK_STR(xp(&o, "/*/cbc:Note"), "regel een\ttwee\nnieuw");
	CHECK_STR(xp(&o, "/*/cac:InvoiceLine[1]/cac:Item/cbc:Name"), "Snoeien <b>&amp;</b>");
	CHECK(o.xml && !strstr(o.xml, "<Tuin>") && !strstr(o.xml, "<b>"));
	out_free(&o);
	json_decref(j);
}

static void test_a_note_that_looks_like_a_subject_code_gets_an_explicit_one(void)
{
	struct out o;
	json_t *j = load("standard_21");
	/* BR-CL-08 would read "#123#" as an (unknown) UNCL4451 subject code */
	json_object_set_new(json_object_get(j, "invoice"), "description",
	                    json_string("Klus #123# afgerond"));
	CHECK(render("note_subject", j, &o) == 0);
	CHECK_STR(xp(&o, "/*/cbc:Note"), "#AAI#Klus #123# afgerond");
	out_free(&o);
	json_object_set_new(json_object_get(j, "invoice"), "description",
	                    json_string("Klus #12 en #13"));
	CHECK(render("note_hash", j, &o) == 0);
	CHECK_STR(xp(&o, "/*/cbc:Note"), "Klus #12 en #13");
	out_free(&o);
	json_decref(j);
}

static void test_a_government_customer_with_an_oin_needs_no_kvk(void)
{
	struct out o;
	json_t *j = load("standard_21");
	json_t *c = json_object_get(j, "customer");
	json_object_set_new(c, "kvk_number", json_null());
	json_object_set_new(c, "peppol_id", json_string("0190:00000001003214345000"));
	CHECK(render("customer_oin", j, &o) == 0);
	const char *cp = "/*/cac:AccountingCustomerParty/cac:Party";
	CHECK_STR(xp(&o, "%s/cbc:EndpointID/@schemeID", cp), "0190");
	CHECK_STR(xp(&o, "%s/cbc:EndpointID", cp), "00000001003214345000");
	CHECK_STR(xp(&o, "%s/cac:PartyLegalEntity/cbc:CompanyID/@schemeID", cp), "0190");
	CHECK_STR(xp(&o, "%s/cac:PartyLegalEntity/cbc:CompanyID", cp), "00000001003214345000");
	out_free(&o);
	json_decref(j);
}

static void test_an_invoice_without_due_date_states_terms_instead(void)
{
	struct out o;
	json_t *j = load("standard_21");
	json_object_set_new(json_object_get(j, "invoice"), "due_date", json_null());
	json_object_set_new(json_object_get(j, "invoice"), "supply_date", json_null());
	CHECK(render("no_due_date", j, &o) == 0);
	CHECK_STR(xp(&o, "count(/*/cbc:DueDate | /*/cac:Delivery)"), "0");
	CHECK_STR(xp(&o, "/*/cac:PaymentTerms/cbc:Note"),
	          "Betaling onder vermelding van WERK2026-00001"); /* BR-CO-25 */
	out_free(&o);
	json_decref(j);
}

/* ---- refusals ---- */

/* Renders j and expects NULL with a message containing want. Takes j. */
static void refused(json_t *j, const char *want)
{
	char err[256] = "unset";
	size_t len = 12345;
	char *xml = j ? ubl_render(j, &len, err, sizeof err) : NULL;
	CHECK(j != NULL);
	CHECK(xml == NULL);
	if (!strstr(err, want)) {
		fprintf(stderr, "  error \"%s\" does not mention \"%s\"\n", err, want);
		unit_failed_checks++;
	}
	free(xml);
	json_decref(j);
}

static void set(json_t *j, const char *a, const char *b, json_t *value)
{
	json_object_set_new(json_object_get(j, a), b, value);
}

static void test_documents_the_rules_would_reject_are_refused(void)
{
	json_t *j;

	j = load("standard_21");
	set(j, "supplier", "vat_id", json_null());
	refused(j, "supplier.vat_id");

	j = load("standard_21");
	set(j, "supplier", "kvk_number", json_null());
	refused(j, "supplier.kvk_number");

	j = load("standard_21");
	json_object_set_new(at(j, "supplier", "address"), "postal_code", json_null());
	refused(j, "supplier.address.postal_code");

	j = load("standard_21");
	set(j, "supplier", "iban", json_null());
	refused(j, "supplier.iban");

	j = load("standard_21"); /* BR-NL-10 */
	set(j, "customer", "kvk_number", json_null());
	refused(j, "customer.kvk_number");

	j = load("standard_21"); /* BR-NL-4 */
	json_object_set_new(at(j, "customer", "address"), "city", json_null());
	refused(j, "customer.address.city");

	j = load("standard_21");
	set(j, "customer", "address", json_null());
	refused(j, "customer.address");

	j = load("standard_21");
	set(j, "customer", "peppol_id", json_string("12345678"));
	refused(j, "customer.peppol_id");

	j = load("reverse_charge"); /* BR-AE-02 and the law: the customer's VAT id */
	set(j, "customer", "vat_id", json_null());
	refused(j, "customer.vat_id");

	j = load("kor_exempt");
	json_object_set_new(line_at(j, 0), "vat_category", json_string("S"));
	json_object_set_new(line_at(j, 0), "vat_rate_bp", json_integer(2100));
	refused(j, "KOR");

	j = load("standard_21");
	json_object_set_new(line_at(j, 0), "vat_rate_bp", json_integer(0));
	refused(j, "rate above 0");

	j = load("standard_21");
	json_object_set_new(line_at(j, 0), "vat_category", json_string("K"));
	refused(j, "vat_category");

	j = load("standard_21"); /* no breakdown for the line's rate */
	json_object_set_new(line_at(j, 1), "vat_rate_bp", json_integer(900));
	refused(j, "no row for its VAT category and rate in invoice.totals.vat");

	j = load("standard_21"); /* BR-CO-10 */
	set(j, "invoice", "lines", json_pack("[O]", line_at(j, 0)));
	refused(j, "net_cents");

	j = load("standard_21"); /* Peppol R120: net = quantity × price */
	json_object_set_new(line_at(j, 0), "net_cents", json_integer(13600));
	refused(j, "quantity × unit price");

	j = load("fractional_quantities"); /* 83.325 may round to 83.33 or 83.32, not 83.31 */
	json_object_set_new(line_at(j, 0), "net_cents", json_integer(8331));
	refused(j, "quantity × unit price");

	j = load("standard_21"); /* BR-CO-17 */
	json_object_set_new(json_array_get(at(j, "invoice", "totals"), 0), "vat_cents",
	                    json_integer(3361));
	json_object_set_new(at(j, "invoice", "totals"), "vat_cents", json_integer(3361));
	refused(j, "vat_cents");

	j = load("standard_21"); /* BR-CO-15 */
	json_object_set_new(at(j, "invoice", "totals"), "gross_cents", json_integer(19361));
	refused(j, "gross_cents");

	j = load("partly_paid"); /* BR-CO-16 */
	set(j, "invoice", "open_cents", json_integer(39325));
	refused(j, "open_cents");

	j = load("standard_21"); /* money is integer cents, never a real */
	json_object_set_new(line_at(j, 0), "net_cents", json_real(13500.0));
	refused(j, "not an integer");

	j = load("standard_21");
	json_object_set_new(line_at(j, 0), "unit_price_cents", json_integer(-3000));
	json_object_set_new(line_at(j, 0), "quantity", json_string("-4.5"));
	refused(j, "negative");

	j = load("standard_21");
	json_object_set_new(line_at(j, 0), "quantity", json_string("4.5000"));
	refused(j, "quantity");

	j = load("standard_21");
	json_object_set_new(line_at(j, 0), "quantity", json_string("1e3"));
	refused(j, "quantity");

	j = load("standard_21");
	json_object_set_new(line_at(j, 0), "unit", json_string("litre"));
	refused(j, "unit");

	j = load("standard_21");
	set(j, "invoice", "kind", json_string("quote"));
	refused(j, "kind");

	j = load("standard_21"); /* a draft has no number */
	set(j, "invoice", "number", json_null());
	refused(j, "invoice.number");

	j = load("standard_21");
	set(j, "invoice", "issue_date", json_string("2026-02-29"));
	refused(j, "issue_date");

	j = load("standard_21");
	set(j, "invoice", "due_date", json_string("2026-03-30"));
	refused(j, "due_date");

	j = load("credit_note");
	set(j, "invoice", "credit_of_number", json_null());
	refused(j, "credit_of_number");

	refused(json_array(), "not an object");
}

int main(void)
{
	xmlInitParser();
	RUN(test_standard_invoice_has_every_mandatory_element);
	RUN(test_mixed_21_and_9_percent_lines_get_one_subtotal_per_rate);
	RUN(test_zero_rate_line_has_a_z_subtotal_without_exemption_reason);
	RUN(test_kor_invoice_is_exempt_and_states_the_kor);
	RUN(test_reverse_charge_says_btw_verlegd_with_both_vat_ids);
	RUN(test_credit_note_is_positive_and_refers_to_the_original);
	RUN(test_partly_paid_invoice_shows_prepaid_and_open_amounts);
	RUN(test_fractional_quantities_keep_their_decimals_and_half_up_nets);
	RUN(test_no_bsn_or_member_data_in_any_document);
	RUN(test_markup_and_control_characters_in_text_stay_well_formed);
	RUN(test_a_note_that_looks_like_a_subject_code_gets_an_explicit_one);
	RUN(test_a_government_customer_with_an_oin_needs_no_kvk);
	RUN(test_an_invoice_without_due_date_states_terms_instead);
	RUN(test_documents_the_rules_would_reject_are_refused);
	xmlCleanupParser();
	UNIT_END();
}
