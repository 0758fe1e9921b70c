/* Reading the invoice document (see invoice_doc.h).
 *
 * One pass in the document's order: the invoice's own fields, the parties, the VAT breakdown,
 * the lines (each checked against its breakdown row as it is read), then the sums. The first
 * problem ends the read; its message names the field. Integer arithmetic only. */
#include "invoice_doc.h"

#include "errbuf.h"
#include "field.h"
#include "parse.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* dates are read by field_opt_date */
_Static_assert(INVOICE_TEXT_CODE == FIELD_CODE_MAX, "a code is as long in both");

static const char *const vat_codes[] = {"S", "Z", "E", "AE"};      /* enum invoice_vat_category */
static const char *const units[] = {"hour", "piece", "day", "km"}; /* enum invoice_unit */

const char *invoice_vat_code(enum invoice_vat_category c)
{
	return vat_codes[c];
}

/* A non-empty array of at most max entries: n zeroed entries of size bytes, for the document
 * to own; NULL with a message when arr is not such an array or out of memory. */
static void *read_array(struct errbuf *e, const json_t *arr, const char *where, size_t max,
                        size_t size, size_t *n)
{
	void *out = NULL;
	if (!json_is_array(arr))
		errbuf_set(e, "%s: not an array", where);
	else if (json_array_size(arr) == 0)
		errbuf_set(e, "%s: empty", where);
	else if (json_array_size(arr) > max)
		errbuf_set(e, "%s: more than %zu entries", where, max);
	else if (!(out = calloc(json_array_size(arr), size)))
		errbuf_set(e, "out of memory");
	else
		*n = json_array_size(arr);
	return out;
}

/* Category and rate of a line or breakdown row: S has a rate above 0, the others 0. */
static int read_vat_of(struct errbuf *e, const json_t *o, const char *where,
                       enum invoice_vat_category *cat, int64_t *rate_bp)
{
	const char *code;
	int c;
	if (field_req_text(e, o, where, "vat_category", INVOICE_TEXT_CODE, &code) != 0)
		return -1;
	if ((c = field_lookup(code, vat_codes, 4)) < 0)
		return errbuf_set(e, "%s.vat_category: not S, Z, E or AE", where);
	*cat = (enum invoice_vat_category)c;
	if (field_req_int(e, o, where, "vat_rate_bp", 10000, rate_bp) != 0)
		return -1;
	if (*rate_bp < 0)
		return errbuf_set(e, "%s.vat_rate_bp: out of range", where);
	if (*cat == INVOICE_VAT_S && *rate_bp == 0)
		return errbuf_set(e, "%s.vat_rate_bp: category S needs a rate above 0", where);
	if (*cat != INVOICE_VAT_S && *rate_bp != 0)
		return errbuf_set(e, "%s.vat_rate_bp: must be 0 for Z, E and AE", where);
	return 0;
}

/* a × b = c × d within tol (an amount times a scale against another, both in the same unit);
 * else a refusal of where.field, or of where when a product does not fit in 64 bits. */
static int check_product(struct errbuf *e, int64_t a, int64_t b, int64_t c, int64_t d, int64_t tol,
                         const char *where, const char *field, const char *what)
{
	int64_t p, q, diff;
	if (__builtin_mul_overflow(a, b, &p) || __builtin_mul_overflow(c, d, &q) ||
	    __builtin_sub_overflow(p, q, &diff))
		return errbuf_set(e, "%s: amount out of range", where);
	if (diff > tol || diff < -tol)
		return errbuf_set(e, "%s.%s: not %s", where, field, what);
	return 0;
}

/* ---- the parties ---- */

/* Two capitals and at least one more character (BR-CO-09: a VAT id starts with an ISO 3166
 * country code, EL for Greece). */
static int vat_id_prefixed(const char *v)
{
	return v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z' && v[2];
}

static int read_address(struct errbuf *e, const json_t *a, const char *where,
                        struct invoice_address *out)
{
	const char *c;
	if (!json_is_object(a))
		return errbuf_set(e, "%s: not an object", where);
	if (field_req_text(e, a, where, "street", INVOICE_TEXT_SHORT, &out->street) != 0 ||
	    field_opt_text(e, a, where, "house_number", INVOICE_TEXT_CODE, &out->house_number) !=
	        0 ||
	    field_req_text(e, a, where, "postal_code", INVOICE_TEXT_CODE, &out->postal_code) != 0 ||
	    field_req_text(e, a, where, "city", INVOICE_TEXT_SHORT, &out->city) != 0 ||
	    field_opt_text(e, a, where, "country", INVOICE_TEXT_CODE, &out->country) != 0)
		return -1;
	c = out->country;
	if (c && !(strlen(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z'))
		return errbuf_set(e, "%s.country: not an ISO 3166 alpha-2 code", where);
	return 0;
}

static int read_supplier(struct errbuf *e, const json_t *s, struct invoice_doc *d)
{
	const char *scheme;
	if (field_req_text(e, s, "supplier", "legal_name", INVOICE_TEXT_SHORT,
	                   &d->supplier.legal_name) != 0 ||
	    field_opt_text(e, s, "supplier", "trade_name", INVOICE_TEXT_SHORT,
	                   &d->supplier.trade_name) != 0 ||
	    field_req_text(e, s, "supplier", "kvk_number", INVOICE_TEXT_CODE,
	                   &d->supplier.kvk_number) != 0 ||
	    field_opt_text(e, s, "supplier", "vat_id", INVOICE_TEXT_CODE, &d->supplier.vat_id) !=
	        0 ||
	    field_opt_text(e, s, "supplier", "iban", INVOICE_TEXT_CODE, &d->supplier.iban) != 0 ||
	    field_opt_text(e, s, "supplier", "bic", INVOICE_TEXT_CODE, &d->supplier.bic) != 0 ||
	    field_opt_text(e, s, "supplier", "email", INVOICE_TEXT_EMAIL, &d->supplier.email) !=
	        0 ||
	    field_opt_text(e, s, "supplier", "phone", INVOICE_TEXT_SHORT, &d->supplier.phone) !=
	        0 ||
	    field_opt_text(e, s, "supplier", "vat_scheme", INVOICE_TEXT_CODE, &scheme) != 0 ||
	    read_address(e, json_object_get(s, "address"), "supplier.address",
	                 &d->supplier.address) != 0)
		return -1;
	if (d->supplier.vat_id && !vat_id_prefixed(d->supplier.vat_id))
		return errbuf_set(e, "supplier.vat_id: no country prefix");
	if (scheme && strcmp(scheme, "standard") != 0 && strcmp(scheme, "kor") != 0)
		return errbuf_set(e, "supplier.vat_scheme: not standard or kor");
	d->supplier.kor = scheme && strcmp(scheme, "kor") == 0;
	return 0;
}

static int read_customer(struct errbuf *e, const json_t *c, struct invoice_doc *d)
{
	const char *peppol;
	if (field_req_text(e, c, "customer", "name", INVOICE_TEXT_SHORT, &d->customer.name) != 0 ||
	    field_opt_text(e, c, "customer", "kvk_number", INVOICE_TEXT_CODE,
	                   &d->customer.kvk_number) != 0 ||
	    field_opt_text(e, c, "customer", "vat_id", INVOICE_TEXT_CODE, &d->customer.vat_id) !=
	        0 ||
	    field_opt_text(e, c, "customer", "email", INVOICE_TEXT_EMAIL, &d->customer.email) !=
	        0 ||
	    field_opt_text(e, c, "customer", "peppol_id", INVOICE_TEXT_CODE, &peppol) != 0)
		return -1;
	if (d->customer.vat_id && !vat_id_prefixed(d->customer.vat_id))
		return errbuf_set(e, "customer.vat_id: no country prefix");
	if (peppol) {
		const char *colon = strchr(peppol, ':');
		if (colon != peppol + 4 || strspn(peppol, "0123456789") != 4 ||
		    colon[1 + strspn(colon + 1, " \t\r\n")] == '\0')
			return errbuf_set(
			    e, "customer.peppol_id: not scheme:id with a 4-digit scheme");
		memcpy(d->customer.peppol_scheme, peppol, 4);
		d->customer.peppol_endpoint = colon + 1;
	}
	const json_t *a = json_object_get(c, "address");
	if (!a || json_is_null(a))
		return 0;
	d->customer.has_address = 1;
	return read_address(e, a, "customer.address", &d->customer.address);
}

static int read_member(struct errbuf *e, const json_t *m, struct invoice_doc *d)
{
	if (field_req_text(e, m, "member", "first_name", INVOICE_TEXT_SHORT,
	                   &d->member.first_name) != 0 ||
	    field_req_text(e, m, "member", "last_name", INVOICE_TEXT_SHORT, &d->member.last_name) !=
	        0 ||
	    field_opt_text(e, m, "member", "activity_description", INVOICE_TEXT_ACTIVITY,
	                   &d->member.activity_description) != 0)
		return -1;
	return 0;
}

/* ---- the invoice ---- */

static int read_head(struct errbuf *e, const json_t *inv, struct invoice_doc *d)
{
	const char *kind;
	int64_t issue = 0, due = 0;
	if (field_req_text(e, inv, "invoice", "kind", INVOICE_TEXT_CODE, &kind) != 0)
		return -1;
	if (strcmp(kind, "invoice") != 0 && strcmp(kind, "credit_note") != 0)
		return errbuf_set(e, "invoice.kind: not invoice or credit_note");
	d->credit_note = strcmp(kind, "credit_note") == 0;
	if (field_req_text(e, inv, "invoice", "number", INVOICE_TEXT_CODE, &d->number) != 0 ||
	    field_opt_date(e, inv, "invoice", "issue_date", &d->issue_date, &issue) != 0 ||
	    field_opt_date(e, inv, "invoice", "supply_date", &d->supply_date, NULL) != 0 ||
	    field_opt_date(e, inv, "invoice", "due_date", &d->due_date, &due) != 0 ||
	    field_opt_text(e, inv, "invoice", "description", INVOICE_TEXT_LONG, &d->description) !=
	        0 ||
	    field_opt_text(e, inv, "invoice", "reason", INVOICE_TEXT_LONG, &d->reason) != 0 ||
	    field_opt_text(e, inv, "invoice", "payment_reference", INVOICE_TEXT_CODE,
	                   &d->payment_reference) != 0 ||
	    field_opt_text(e, inv, "invoice", "credit_of_number", INVOICE_TEXT_CODE,
	                   &d->credit_of_number) != 0 ||
	    field_opt_date(e, inv, "invoice", "credit_of_issue_date", &d->credit_of_issue_date,
	                   NULL) != 0)
		return -1;
	if (!d->issue_date)
		return errbuf_set(e, "invoice.issue_date: missing");
	if (d->due_date) {
		d->due_days = due - issue;
		if (d->due_days < 0)
			return errbuf_set(e, "invoice.due_date: before issue_date");
	}
	if (d->credit_note && !d->credit_of_number)
		return errbuf_set(e,
		                  "invoice.credit_of_number: missing (a credit note refers to the "
		                  "original)");
	return 0;
}

/* The totals and the VAT breakdown: one row per category and rate. */
static int read_totals(struct errbuf *e, const json_t *inv, struct invoice_doc *d)
{
	const json_t *t = json_object_get(inv, "totals"), *rows;
	if (!json_is_object(t))
		return errbuf_set(e, "invoice.totals: not an object");
	if (field_req_int(e, t, "invoice.totals", "net_cents", INVOICE_MONEY_MAX, &d->net_cents) !=
	        0 ||
	    field_req_int(e, t, "invoice.totals", "vat_cents", INVOICE_MONEY_MAX, &d->vat_cents) !=
	        0 ||
	    field_req_int(e, t, "invoice.totals", "gross_cents", INVOICE_MONEY_MAX,
	                  &d->gross_cents) != 0 ||
	    field_req_int(e, inv, "invoice", "paid_cents", INVOICE_MONEY_MAX, &d->paid_cents) !=
	        0 ||
	    field_req_int(e, inv, "invoice", "open_cents", INVOICE_MONEY_MAX, &d->open_cents) != 0)
		return -1;
	rows = json_object_get(t, "vat");
	d->vat = read_array(e, rows, "invoice.totals.vat", INVOICE_VAT_ROWS_MAX, sizeof *d->vat,
	                    &d->nvat);
	if (!d->vat)
		return -1;
	for (size_t i = 0; i < d->nvat; i++) {
		const json_t *o = json_array_get(rows, i);
		struct invoice_vat *v = &d->vat[i];
		char w[48];
		snprintf(w, sizeof w, "invoice.totals.vat[%zu]", i);
		if (!json_is_object(o))
			return errbuf_set(e, "%s: not an object", w);
		if (read_vat_of(e, o, w, &v->category, &v->rate_bp) != 0 ||
		    field_req_int(e, o, w, "base_cents", INVOICE_MONEY_MAX, &v->base_cents) != 0 ||
		    field_req_int(e, o, w, "vat_cents", INVOICE_MONEY_MAX, &v->vat_cents) != 0)
			return -1;
		if (v->category != INVOICE_VAT_S && v->vat_cents != 0)
			return errbuf_set(e, "%s.vat_cents: must be 0 for Z, E and AE", w);
		for (size_t j = 0; j < i; j++)
			if (d->vat[j].category == v->category && d->vat[j].rate_bp == v->rate_bp)
				return errbuf_set(e, "%s: a second row for its category and rate",
				                  w);
	}
	return 0;
}

static int read_line(struct errbuf *e, const json_t *o, const char *w, struct invoice_doc *d,
                     struct invoice_line *l)
{
	const char *qty, *unit;
	int u;
	if (!json_is_object(o))
		return errbuf_set(e, "%s: not an object", w);
	if (field_req_text(e, o, w, "description", INVOICE_TEXT_LONG, &l->description) != 0 ||
	    field_req_text(e, o, w, "quantity", INVOICE_TEXT_CODE, &qty) != 0)
		return -1;
	if (parse_decimal(qty, 3, INVOICE_QTY_MAX, DECIMAL_NEGATIVE, &l->quantity_milli) != 0)
		return errbuf_set(e, "%s.quantity: not a decimal with at most 3 decimals", w);
	if (field_req_text(e, o, w, "unit", INVOICE_TEXT_CODE, &unit) != 0)
		return -1;
	if ((u = field_lookup(unit, units, 4)) < 0)
		return errbuf_set(e, "%s.unit: not hour, piece, day or km", w);
	l->unit = (enum invoice_unit)u;
	if (field_req_int(e, o, w, "unit_price_cents", INVOICE_MONEY_MAX, &l->unit_price_cents) !=
	        0 ||
	    field_opt_text(e, o, w, "activity_category", INVOICE_TEXT_CODE,
	                   &l->activity_category) != 0 ||
	    read_vat_of(e, o, w, &l->vat_category, &l->vat_rate_bp) != 0 ||
	    field_req_int(e, o, w, "net_cents", INVOICE_MONEY_MAX, &l->net_cents) != 0)
		return -1;
	if (l->unit_price_cents < 0) /* BR-27; a credit note has negative quantities */
		return errbuf_set(e, "%s.unit_price_cents: negative", w);
	if (d->supplier.kor && l->vat_category != INVOICE_VAT_E)
		return errbuf_set(e, "%s.vat_category: must be E under the KOR", w);
	if (l->vat_category == INVOICE_VAT_AE && !d->customer.vat_id)
		return errbuf_set(e, "customer.vat_id: required when VAT is reverse-charged (AE)");
	for (l->vat_row = 0; l->vat_row < d->nvat; l->vat_row++)
		if (d->vat[l->vat_row].category == l->vat_category &&
		    d->vat[l->vat_row].rate_bp == l->vat_rate_bp)
			break;
	if (l->vat_row == d->nvat)
		return errbuf_set(
		    e, "%s: no row for its VAT category and rate in invoice.totals.vat", w);
	d->vat[l->vat_row].nlines++;
	/* net = quantity × price rounded to the cent: within half a cent */
	if (check_product(e, l->net_cents, 1000, l->quantity_milli, l->unit_price_cents, 500, w,
	                  "net_cents", "quantity × unit price rounded to the cent") != 0)
		return -1;
	d->any_exempt |= l->vat_category == INVOICE_VAT_E;
	d->any_reverse_charge |= l->vat_category == INVOICE_VAT_AE;
	return 0;
}

static int read_lines(struct errbuf *e, const json_t *inv, struct invoice_doc *d)
{
	const json_t *arr = json_object_get(inv, "lines");
	d->lines =
	    read_array(e, arr, "invoice.lines", INVOICE_LINES_MAX, sizeof *d->lines, &d->nlines);
	if (!d->lines)
		return -1;
	for (size_t i = 0; i < d->nlines; i++) {
		char w[48];
		snprintf(w, sizeof w, "invoice.lines[%zu]", i);
		if (read_line(e, json_array_get(arr, i), w, d, &d->lines[i]) != 0)
			return -1;
	}
	return 0;
}

/* The sums the way the rules add them (BR-CO-10..17, BR-S/Z/E/AE-08/09). Within the limits
 * (INVOICE_LINES_MAX × INVOICE_MONEY_MAX < 2^63) none overflows. */
static int check_sums(struct errbuf *e, const struct invoice_doc *d)
{
	int64_t net = 0, vat = 0;
	for (size_t i = 0; i < d->nlines; i++)
		net += d->lines[i].net_cents;
	if (net != d->net_cents)
		return errbuf_set(e,
		                  "invoice.lines: net amounts add up to %" PRId64
		                  ", totals.net_cents is %" PRId64,
		                  net, d->net_cents);
	for (size_t r = 0; r < d->nvat; r++)
		if (d->vat[r].nlines == 0)
			return errbuf_set(
			    e, "invoice.totals.vat[%zu]: no line has its category and rate", r);
	for (size_t r = 0; r < d->nvat; r++) {
		const struct invoice_vat *v = &d->vat[r];
		int64_t base = 0;
		for (size_t i = 0; i < d->nlines; i++)
			base += d->lines[i].vat_row == r ? d->lines[i].net_cents : 0;
		if (base != v->base_cents)
			return errbuf_set(
			    e, "invoice.totals.vat[%zu].base_cents: its lines add up to %" PRId64,
			    r, base);
		/* vat = base × rate rounded to the cent (either way on a tie) */
		char w[48];
		snprintf(w, sizeof w, "invoice.totals.vat[%zu]", r);
		if (check_product(e, v->vat_cents, 10000, v->base_cents, v->rate_bp, 5000, w,
		                  "vat_cents", "base × rate") != 0)
			return -1;
		vat += v->vat_cents;
	}
	if (vat != d->vat_cents)
		return errbuf_set(
		    e, "invoice.totals.vat: VAT adds up to %" PRId64 ", vat_cents is %" PRId64, vat,
		    d->vat_cents);
	if (d->net_cents + d->vat_cents != d->gross_cents)
		return errbuf_set(e, "invoice.totals: net_cents + vat_cents != gross_cents");
	if (d->gross_cents - d->paid_cents != d->open_cents)
		return errbuf_set(e, "invoice: gross_cents - paid_cents != open_cents");
	return 0;
}

/* ---- the document ---- */

static int read_doc(struct errbuf *e, const json_t *json, struct invoice_doc *d)
{
	static const char *const parts[] = {"invoice", "supplier", "customer", "member"};
	const json_t *o[4];
	if (!json_is_object(json))
		return errbuf_set(e, "document: not an object");
	for (int i = 0; i < 4; i++)
		if (!json_is_object(o[i] = json_object_get(json, parts[i])))
			return errbuf_set(e, "%s: not an object", parts[i]);
	if (read_head(e, o[0], d) != 0 || read_supplier(e, o[1], d) != 0 ||
	    read_customer(e, o[2], d) != 0 || read_member(e, o[3], d) != 0 ||
	    read_totals(e, o[0], d) != 0 || read_lines(e, o[0], d) != 0)
		return -1;
	return check_sums(e, d);
}

int invoice_doc_read(const json_t *json, struct invoice_doc *doc, char *err, size_t errlen)
{
	struct errbuf e = errbuf_of(err, errlen);
	memset(doc, 0, sizeof *doc);
	if (read_doc(&e, json, doc) == 0)
		return 0;
	invoice_doc_release(doc);
	return -1;
}

void invoice_doc_release(struct invoice_doc *doc)
{
	if (!doc)
		return;
	free(doc->lines);
	free(doc->vat);
	memset(doc, 0, sizeof *doc);
}
