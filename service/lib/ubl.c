/* UBL 2.1 Invoice / CreditNote in the SI-UBL 2.0 profile (see ubl.h).
 *
 * Two phases: invoice_doc_read (invoice_doc.h) reads and checks the JSON document, and
 * check_profile() adds what the official rules ask beyond a consistent invoice, so that render()
 * cannot produce a document that fails them; render() then builds the tree (xml.h) in the
 * element order of the UBL 2.1 schema. Credit notes are rendered with the signs of the
 * document's amounts and quantities flipped (the JSON holds them negative, UBL wants them
 * positive). */
#include "ubl.h"

#include "errbuf.h"
#include "invoice_doc.h"
#include "xml.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_INVOICE     "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
#define NS_CREDIT_NOTE "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
#define NS_CAC         "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
#define NS_CBC         "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

#define KOR_TEXT            "Vrijgesteld van btw op grond van de kleineondernemersregeling (KOR)"
#define EXEMPT_TEXT         "Vrijgesteld van btw"
#define REVERSE_CHARGE_TEXT "Btw verlegd"

/* UN/ECE Recommendation 20 codes of enum invoice_unit. */
static const char *const unit_codes[] = {"HUR", "H87", "DAY", "KMT"};

struct r {
	struct xml_doc x;
	xmlNsPtr cac, cbc;
	int64_t sign; /* +1 invoice, -1 credit note */
};

/* Formats into a new malloc'ed string; NULL when out of memory. */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (!s)
		return NULL;
	va_start(ap, f);
	vsnprintf(s, (size_t)n + 1, f, ap);
	va_end(ap);
	return s;
}

/* ---- what SI-UBL asks beyond a consistent invoice ---- */

static int check_profile(const struct invoice_doc *d, struct errbuf *e)
{
	/* supplier: BR-S/Z/E/AE-02 (VAT id), a way to pay, BR-NL-3 (address with a country) */
	if (!d->supplier.vat_id)
		return errbuf_set(
		    e, "supplier.vat_id: missing (every UBL VAT category needs the seller's "
		       "VAT id)");
	if (!d->credit_note && !d->supplier.iban)
		return errbuf_set(e, "supplier.iban: missing (an invoice states how to pay)");
	if (!d->supplier.address.country)
		return errbuf_set(e, "supplier.address.country: missing");
	/* customer: BR-NL-4 (address), BR-NL-10 (KvK or OIN in NL) */
	if (!d->customer.has_address)
		return errbuf_set(e, "customer.address: missing");
	if (!d->customer.address.country)
		return errbuf_set(e, "customer.address.country: missing");
	if (!strcmp(d->customer.address.country, "NL") && !d->customer.kvk_number &&
	    strcmp(d->customer.peppol_scheme, "0190"))
		return errbuf_set(e,
		                  "customer.kvk_number: missing (SI-UBL needs the KvK number of a "
		                  "customer in the Netherlands)");
	return 0;
}

/* ---- numbers (integer arithmetic only) ---- */

static void money_fmt(int64_t cents, char out[32])
{
	uint64_t m = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	snprintf(out, 32, "%s%" PRIu64 ".%02" PRIu64, cents < 0 ? "-" : "", m / 100, m % 100);
}

/* 2100 → "21", 950 → "9.5", 1225 → "12.25", 0 → "0" */
static void rate_fmt(int64_t bp, char out[32])
{
	int64_t whole = bp / 100, frac = bp % 100;
	if (frac == 0)
		snprintf(out, 32, "%" PRId64, whole);
	else if (frac % 10 == 0)
		snprintf(out, 32, "%" PRId64 ".%" PRId64, whole, frac / 10);
	else
		snprintf(out, 32, "%" PRId64 ".%02" PRId64, whole, frac);
}

/* Thousandths → shortest decimal: 4500 → "4.5", 125 → "0.125", -2000 → "-2". */
static void qty_fmt(int64_t milli, char out[40])
{
	uint64_t m = milli < 0 ? (uint64_t)0 - (uint64_t)milli : (uint64_t)milli;
	uint64_t whole = m / 1000, frac = m % 1000;
	int digits = 3;
	while (digits > 0 && frac % 10 == 0 && frac != 0) {
		frac /= 10;
		digits--;
	}
	if (frac == 0)
		snprintf(out, 40, "%s%" PRIu64, milli < 0 ? "-" : "", whole);
	else
		snprintf(out, 40, "%s%" PRIu64 ".%0*" PRIu64, milli < 0 ? "-" : "", whole, digits,
		         frac);
}

/* ---- building the tree ---- */

static xmlNodePtr agg(struct r *r, xmlNodePtr parent, const char *name)
{
	return xml_elem(&r->x, parent, r->cac, name);
}

/* A cbc element with text content. */
static xmlNodePtr txt(struct r *r, xmlNodePtr parent, const char *name, const char *value)
{
	return xml_text(&r->x, parent, r->cbc, name, value);
}

static xmlNodePtr txt_attr(struct r *r, xmlNodePtr parent, const char *name, const char *value,
                           const char *attr, const char *attr_value)
{
	return xml_text_attr(&r->x, parent, r->cbc, name, value, attr, attr_value);
}

static void amount(struct r *r, xmlNodePtr parent, const char *name, int64_t cents)
{
	char b[32];
	money_fmt(cents, b);
	txt_attr(r, parent, name, b, "currencyID", "EUR");
}

static void tax_scheme(struct r *r, xmlNodePtr parent)
{
	txt(r, agg(r, parent, "TaxScheme"), "ID", "VAT");
}

static void postal_address(struct r *r, xmlNodePtr party, const struct invoice_address *a)
{
	xmlNodePtr addr = agg(r, party, "PostalAddress");
	if (a->street) {
		char *street = a->house_number ? fmt("%s %s", a->street, a->house_number)
		                               : fmt("%s", a->street);
		if (!street)
			xml_fail(&r->x, "out of memory");
		else
			txt(r, addr, "StreetName", street);
		free(street);
	}
	if (a->city)
		txt(r, addr, "CityName", a->city);
	if (a->postal_code)
		txt(r, addr, "PostalZone", a->postal_code);
	txt(r, agg(r, addr, "Country"), "IdentificationCode", a->country);
}

static void party_tax_scheme(struct r *r, xmlNodePtr party, const char *vat_id)
{
	xmlNodePtr pts = agg(r, party, "PartyTaxScheme");
	txt(r, pts, "CompanyID", vat_id);
	tax_scheme(r, pts);
}

static void supplier(struct r *r, xmlNodePtr root, const struct invoice_doc *v)
{
	xmlNodePtr party = agg(r, agg(r, root, "AccountingSupplierParty"), "Party");
	txt_attr(r, party, "EndpointID", v->supplier.kvk_number, "schemeID", "0106");
	if (v->supplier.trade_name)
		txt(r, agg(r, party, "PartyName"), "Name", v->supplier.trade_name);
	postal_address(r, party, &v->supplier.address);
	party_tax_scheme(r, party, v->supplier.vat_id);
	xmlNodePtr legal = agg(r, party, "PartyLegalEntity");
	txt(r, legal, "RegistrationName", v->supplier.legal_name);
	txt_attr(r, legal, "CompanyID", v->supplier.kvk_number, "schemeID", "0106");
	if (v->supplier.phone || v->supplier.email) {
		xmlNodePtr contact = agg(r, party, "Contact");
		if (v->supplier.phone)
			txt(r, contact, "Telephone", v->supplier.phone);
		if (v->supplier.email)
			txt(r, contact, "ElectronicMail", v->supplier.email);
	}
}

static void customer(struct r *r, xmlNodePtr root, const struct invoice_doc *v)
{
	xmlNodePtr party = agg(r, agg(r, root, "AccountingCustomerParty"), "Party");
	if (v->customer.peppol_scheme[0])
		txt_attr(r, party, "EndpointID", v->customer.peppol_endpoint, "schemeID",
		         v->customer.peppol_scheme);
	else if (v->customer.kvk_number)
		txt_attr(r, party, "EndpointID", v->customer.kvk_number, "schemeID", "0106");
	else if (v->customer.email)
		txt_attr(r, party, "EndpointID", v->customer.email, "schemeID", "EM");
	postal_address(r, party, &v->customer.address);
	if (v->customer.vat_id)
		party_tax_scheme(r, party, v->customer.vat_id);
	xmlNodePtr legal = agg(r, party, "PartyLegalEntity");
	txt(r, legal, "RegistrationName", v->customer.name);
	if (v->customer.kvk_number)
		txt_attr(r, legal, "CompanyID", v->customer.kvk_number, "schemeID", "0106");
	else if (!strcmp(v->customer.peppol_scheme, "0190"))
		txt_attr(r, legal, "CompanyID", v->customer.peppol_endpoint, "schemeID", "0190");
}

/* BR-CL-08: a note whose text between its first two '#' is 3 characters long is read as a
 * UNCL4451 subject code; give such a note the explicit subject "#AAI#" (general information). */
static int note_needs_subject(const char *s)
{
	const char *a = strchr(s, '#'), *b = a ? strchr(a + 1, '#') : NULL;
	size_t chars = 0;
	if (!b)
		return 0;
	for (const char *p = a + 1; p < b; p++)
		chars += ((unsigned char)*p & 0xC0) != 0x80;
	return chars == 3;
}

/* One document note (Peppol allows one): description, the credit note's reference and reason,
 * the KOR exemption. */
static char *note_text(const struct invoice_doc *v)
{
	const char *parts[3] = {v->description, NULL, v->supplier.kor ? KOR_TEXT : NULL};
	char *credit = NULL, *note = NULL;
	size_t n = 0;
	if (v->credit_note) {
		credit = fmt("Creditering van factuur %s%s%s%s%s", v->credit_of_number,
		             v->credit_of_issue_date ? " van " : "",
		             v->credit_of_issue_date ? v->credit_of_issue_date : "",
		             v->reason ? ": " : "", v->reason ? v->reason : "");
		if (!credit)
			return NULL;
		parts[1] = credit;
	}
	for (int i = 0; i < 3; i++)
		n += parts[i] ? strlen(parts[i]) + 1 : 0;
	if (n == 0) {
		note = calloc(1, 1);
	} else if ((note = malloc(n + 6))) {
		char *o = note;
		for (int i = 0; i < 3; i++) {
			if (!parts[i])
				continue;
			if (o != note)
				*o++ = '\n';
			memcpy(o, parts[i], strlen(parts[i]));
			o += strlen(parts[i]);
		}
		*o = '\0';
		if (note_needs_subject(note)) {
			memmove(note + 5, note, strlen(note) + 1);
			memcpy(note, "#AAI#", 5);
		}
	}
	free(credit);
	return note;
}

static void payment(struct r *r, xmlNodePtr root, const struct invoice_doc *v)
{
	const char *ref = v->payment_reference ? v->payment_reference : v->number;
	xmlNodePtr pm = agg(r, root, "PaymentMeans");
	txt(r, pm, "PaymentMeansCode", "30"); /* credit transfer; BR-NL-12 */
	txt(r, pm, "PaymentID", ref);
	xmlNodePtr acct = agg(r, pm, "PayeeFinancialAccount");
	char iban[64];
	size_t k = 0;
	for (const char *p = v->supplier.iban; *p && k < sizeof iban - 1; p++)
		if (*p != ' ')
			iban[k++] = *p;
	iban[k] = '\0';
	txt(r, acct, "ID", iban);
	if (v->supplier.bic)
		txt(r, agg(r, acct, "FinancialInstitutionBranch"), "ID", v->supplier.bic);

	char *terms = v->due_date ? fmt("Betaling binnen %" PRId64 " dagen onder vermelding van %s",
	                                v->due_days, ref)
	                          : fmt("Betaling onder vermelding van %s", ref);
	if (!terms)
		xml_fail(&r->x, "out of memory");
	else
		txt(r, agg(r, root, "PaymentTerms"), "Note", terms);
	free(terms);
}

static void tax_total(struct r *r, xmlNodePtr root, const struct invoice_doc *v)
{
	xmlNodePtr tt = agg(r, root, "TaxTotal");
	amount(r, tt, "TaxAmount", r->sign * v->vat_cents);
	for (size_t i = 0; i < v->nvat; i++) {
		const struct invoice_vat *g = &v->vat[i];
		char pct[32];
		xmlNodePtr sub = agg(r, tt, "TaxSubtotal");
		amount(r, sub, "TaxableAmount", r->sign * g->base_cents);
		amount(r, sub, "TaxAmount", r->sign * g->vat_cents);
		xmlNodePtr cat = agg(r, sub, "TaxCategory");
		txt(r, cat, "ID", invoice_vat_code(g->category));
		rate_fmt(g->rate_bp, pct);
		txt(r, cat, "Percent", pct);
		if (g->category == INVOICE_VAT_E)
			txt(r, cat, "TaxExemptionReason", v->supplier.kor ? KOR_TEXT : EXEMPT_TEXT);
		else if (g->category == INVOICE_VAT_AE)
			txt(r, cat, "TaxExemptionReason", REVERSE_CHARGE_TEXT);
		tax_scheme(r, cat);
	}
}

static void monetary_total(struct r *r, xmlNodePtr root, const struct invoice_doc *v)
{
	xmlNodePtr mt = agg(r, root, "LegalMonetaryTotal");
	amount(r, mt, "LineExtensionAmount", r->sign * v->net_cents);
	amount(r, mt, "TaxExclusiveAmount", r->sign * v->net_cents);
	amount(r, mt, "TaxInclusiveAmount", r->sign * v->gross_cents);
	if (v->paid_cents != 0)
		amount(r, mt, "PrepaidAmount", r->sign * v->paid_cents);
	amount(r, mt, "PayableAmount", r->sign * v->open_cents);
}

static void lines(struct r *r, xmlNodePtr root, const struct invoice_doc *v)
{
	for (size_t i = 0; i < v->nlines; i++) {
		const struct invoice_line *l = &v->lines[i];
		char id[24], qty[40], pct[32];
		xmlNodePtr ln = agg(r, root, v->credit_note ? "CreditNoteLine" : "InvoiceLine");
		snprintf(id, sizeof id, "%zu", i + 1);
		txt(r, ln, "ID", id);
		qty_fmt(r->sign * l->quantity_milli, qty);
		txt_attr(r, ln, v->credit_note ? "CreditedQuantity" : "InvoicedQuantity", qty,
		         "unitCode", unit_codes[l->unit]);
		amount(r, ln, "LineExtensionAmount", r->sign * l->net_cents);
		xmlNodePtr item = agg(r, ln, "Item");
		txt(r, item, "Name", l->description);
		if (l->activity_category)
			txt(r, agg(r, item, "SellersItemIdentification"), "ID",
			    l->activity_category);
		xmlNodePtr cat = agg(r, item, "ClassifiedTaxCategory");
		txt(r, cat, "ID", invoice_vat_code(l->vat_category));
		rate_fmt(l->vat_rate_bp, pct);
		txt(r, cat, "Percent", pct);
		tax_scheme(r, cat);
		amount(r, agg(r, ln, "Price"), "PriceAmount", l->unit_price_cents);
	}
}

/* The document's root and everything in it, in the element order of the UBL 2.1 schema. */
static void render(struct r *r, const struct invoice_doc *v)
{
	xmlNodePtr root = r->x.root;
	r->cac = xml_ns(&r->x, NS_CAC, "cac");
	r->cbc = xml_ns(&r->x, NS_CBC, "cbc");
	if (!r->cac || !r->cbc)
		return;

	txt(r, root, "CustomizationID", UBL_CUSTOMIZATION_ID);
	txt(r, root, "ProfileID", UBL_PROFILE_ID);
	txt(r, root, "ID", v->number);
	txt(r, root, "IssueDate", v->issue_date);
	if (!v->credit_note && v->due_date)
		txt(r, root, "DueDate", v->due_date);
	txt(r, root, v->credit_note ? "CreditNoteTypeCode" : "InvoiceTypeCode",
	    v->credit_note ? "381" : "380");
	char *note = note_text(v);
	if (!note)
		xml_fail(&r->x, "out of memory");
	else if (*note)
		txt(r, root, "Note", note);
	free(note);
	txt(r, root, "DocumentCurrencyCode", "EUR");
	txt(r, root, "BuyerReference", v->number); /* BR-NL-2: no buyer or order reference known */
	if (v->credit_note) {
		xmlNodePtr ref =
		    agg(r, agg(r, root, "BillingReference"), "InvoiceDocumentReference");
		txt(r, ref, "ID", v->credit_of_number);
		if (v->credit_of_issue_date)
			txt(r, ref, "IssueDate", v->credit_of_issue_date);
	}
	supplier(r, root, v);
	customer(r, root, v);
	if (v->supply_date)
		txt(r, agg(r, root, "Delivery"), "ActualDeliveryDate", v->supply_date);
	if (!v->credit_note)
		payment(r, root, v);
	tax_total(r, root, v);
	monetary_total(r, root, v);
	lines(r, root, v);
}

char *ubl_render(const json_t *doc, size_t *len, char *err, size_t errlen)
{
	struct invoice_doc v;
	struct r r = {.sign = 1};
	char *out;

	if (invoice_doc_read(doc, &v, err, errlen) != 0)
		return NULL;
	struct errbuf e = errbuf_of(err, errlen);
	if (check_profile(&v, &e) != 0) {
		invoice_doc_release(&v);
		return NULL;
	}
	r.sign = v.credit_note ? -1 : 1;
	if (xml_begin(&r.x, v.credit_note ? "CreditNote" : "Invoice",
	              v.credit_note ? NS_CREDIT_NOTE : NS_INVOICE, err, errlen) == 0)
		render(&r, &v);
	out = xml_finish(&r.x, len);
	invoice_doc_release(&v);
	return out;
}
