/* UBL 2.1 Invoice / CreditNote in the SI-UBL 2.0 profile (see ubl.h).
 *
 * Two phases: read() copies the JSON document into a struct inv (borrowed strings, integer cents)
 * and checks everything the official rules would reject, so that render() cannot produce a
 * document that fails them; render() then builds the tree with libxml2 in the element order of the
 * UBL 2.1 schema. Credit notes are rendered with the signs of the JSON's amounts and quantities
 * flipped (the JSON holds them negative, UBL wants them positive). */
#include "ubl.h"

#include <inttypes.h>
#include <libxml/tree.h>
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

/* Bounds that keep every sum below 2^63; products are checked with __builtin_mul_overflow. */
#define MONEY_LIMIT INT64_C(10000000000000)   /* 100 billion euros in cents */
#define QTY_LIMIT   INT64_C(1000000000000000) /* 10^12 units, in thousandths */
#define LINES_LIMIT 100000

struct address {
	const char *street, *house_number, *postal_code, *city, *country;
};

struct line {
	const char *description, *unit_code, *activity, *quantity_text;
	int64_t qty_milli, price, net, bp;
	const char *cat;
};

struct group {
	const char *cat;
	int64_t bp, base, vat, line_sum;
	size_t nlines;
};

struct inv {
	int credit, kor;
	const char *number, *issue_date, *supply_date, *due_date, *description, *reason;
	const char *payment_reference, *credit_of_number, *credit_of_issue_date;
	struct line *lines;
	size_t nlines;
	struct group *groups;
	size_t ngroups;
	int64_t net, vat, gross, paid, open;
	int64_t due_days; /* due_date - issue_date, when both are set */

	const char *s_legal, *s_trade, *s_kvk, *s_vat, *s_iban, *s_bic, *s_email, *s_phone;
	struct address s_addr;

	const char *c_name, *c_kvk, *c_vat, *c_email;
	char c_scheme[5]; /* peppol_id split at its ':' ("" without one) */
	const char *c_endpoint;
	struct address c_addr;
};

struct r {
	char *err;
	size_t errlen;
	int failed;
	int oom;
	xmlNsPtr cac, cbc;
	int64_t sign; /* +1 invoice, -1 credit note */
};

static int fail(struct r *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct r *r, const char *fmt, ...)
{
	if (!r->failed && r->err && r->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->err, r->errlen, fmt, ap);
		va_end(ap);
	}
	r->failed = 1;
	return -1;
}

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

/* "-4.5" → -4500. At most 3 decimals, at most 12 integer digits, no exponent, no '+'. */
static int qty_parse(const char *s, int64_t *milli)
{
	int neg = 0, idigits = 0, fdigits = 0;
	int64_t whole = 0, frac = 0;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	for (; *s >= '0' && *s <= '9'; s++) {
		if (++idigits > 12)
			return -1;
		whole = whole * 10 + (*s - '0');
	}
	if (idigits == 0)
		return -1;
	if (*s == '.') {
		s++;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (++fdigits > 3)
				return -1;
			frac = frac * 10 + (*s - '0');
		}
		if (fdigits == 0)
			return -1;
	}
	if (*s)
		return -1;
	for (int i = fdigits; i < 3; i++)
		frac *= 10;
	*milli = (whole * 1000 + frac) * (neg ? -1 : 1);
	return 0;
}

/* Days since 1970-01-01 of a strict "YYYY-MM-DD" (proleptic Gregorian). */
static int date_parse(const char *s, int64_t *days)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int64_t y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1)
		return -1;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[m - 1] + (m == 2 && leap))
		return -1;
	/* H. Hinnant's days_from_civil */
	y -= m <= 2;
	int64_t era = y / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	*days = era * 146097 + doe - 719468;
	return 0;
}

/* |a * b - c * d| <= tol, or -1 when a product overflows. */
static int close_enough(int64_t a, int64_t b, int64_t c, int64_t d, int64_t tol)
{
	int64_t p, q, diff;
	if (__builtin_mul_overflow(a, b, &p) || __builtin_mul_overflow(c, d, &q) ||
	    __builtin_sub_overflow(p, q, &diff))
		return -1;
	return diff <= tol && diff >= -tol;
}

/* ---- reading the JSON document ---- */

static int blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* A non-blank string member, or NULL (absent, null or blank). Another type is an error. */
static int opt_str(struct r *r, const json_t *obj, const char *where, const char *key,
                   const char **out)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail(r, "%s.%s: not a string", where, key);
	if (!blank(json_string_value(v)))
		*out = json_string_value(v);
	return 0;
}

static int req_str(struct r *r, const json_t *obj, const char *where, const char *key,
                   const char **out)
{
	if (opt_str(r, obj, where, key, out) < 0)
		return -1;
	if (!*out)
		return fail(r, "%s.%s: missing", where, key);
	return 0;
}

static int req_date(struct r *r, const json_t *obj, const char *where, const char *key,
                    const char **out, int64_t *days)
{
	if (req_str(r, obj, where, key, out) < 0)
		return -1;
	if (date_parse(*out, days) < 0)
		return fail(r, "%s.%s: not a date (YYYY-MM-DD)", where, key);
	return 0;
}

static int opt_date(struct r *r, const json_t *obj, const char *where, const char *key,
                    const char **out, int64_t *days)
{
	if (opt_str(r, obj, where, key, out) < 0)
		return -1;
	if (*out && date_parse(*out, days) < 0)
		return fail(r, "%s.%s: not a date (YYYY-MM-DD)", where, key);
	return 0;
}

/* An integer number of cents (a real such as 12.5 is refused), |value| <= limit. */
static int req_int(struct r *r, const json_t *obj, const char *where, const char *key,
                   int64_t limit, int64_t *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return fail(r, "%s.%s: missing", where, key);
	if (!json_is_integer(v))
		return fail(r, "%s.%s: not an integer", where, key);
	json_int_t i = json_integer_value(v);
	if (i > limit || i < -limit)
		return fail(r, "%s.%s: out of range", where, key);
	*out = (int64_t)i;
	return 0;
}

static int country_ok(const char *c)
{
	return strlen(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z';
}

/* BR-CO-09: a VAT id starts with an ISO 3166 country code (EL for Greece). */
static int vat_id_ok(const char *v)
{
	return strlen(v) > 2 && v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z';
}

/* Street, postal code and city are required for the supplier (BR-NL-3) and for a customer in the
 * Netherlands (BR-NL-4). */
static int read_address(struct r *r, const json_t *party, const char *where, int supplier,
                        struct address *a)
{
	char w[64];
	json_t *obj = json_object_get(party, "address");
	snprintf(w, sizeof w, "%s.address", where);
	if (!json_is_object(obj))
		return fail(r, "%s: missing", w);
	if (opt_str(r, obj, w, "street", &a->street) < 0 ||
	    opt_str(r, obj, w, "house_number", &a->house_number) < 0 ||
	    opt_str(r, obj, w, "postal_code", &a->postal_code) < 0 ||
	    opt_str(r, obj, w, "city", &a->city) < 0 ||
	    req_str(r, obj, w, "country", &a->country) < 0)
		return -1;
	if (!country_ok(a->country))
		return fail(r, "%s.country: not an ISO 3166 alpha-2 code", w);
	if (supplier || !strcmp(a->country, "NL")) {
		if (!a->street)
			return fail(r, "%s.street: missing", w);
		if (!a->postal_code)
			return fail(r, "%s.postal_code: missing", w);
		if (!a->city)
			return fail(r, "%s.city: missing", w);
	}
	return 0;
}

static const char *unit_code(const char *unit)
{
	static const char *const map[][2] = {
	    {"hour", "HUR"}, {"piece", "H87"}, {"day", "DAY"}, {"km", "KMT"}};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(unit, map[i][0]))
			return map[i][1];
	return NULL;
}

/* Category and rate as the rules want them: S above 0, Z/E/AE at 0. */
static int cat_rate_ok(struct r *r, const char *where, const char *cat, int64_t bp)
{
	if (!strcmp(cat, "S")) {
		if (bp <= 0 || bp > 10000)
			return fail(r, "%s: category S needs a rate above 0", where);
	} else if (!strcmp(cat, "Z") || !strcmp(cat, "E") || !strcmp(cat, "AE")) {
		if (bp != 0)
			return fail(r, "%s: category %s needs rate 0", where, cat);
	} else {
		return fail(r, "%s.vat_category: not one of S, Z, E, AE", where);
	}
	return 0;
}

static int read_groups(struct r *r, const json_t *totals, struct inv *v)
{
	json_t *arr = json_object_get(totals, "vat");
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return fail(r, "invoice.totals.vat: missing");
	v->ngroups = json_array_size(arr);
	if (v->ngroups > LINES_LIMIT)
		return fail(r, "invoice.totals.vat: too many entries");
	v->groups = calloc(v->ngroups, sizeof *v->groups);
	if (!v->groups)
		return fail(r, "out of memory");
	for (size_t i = 0; i < v->ngroups; i++) {
		struct group *g = &v->groups[i];
		json_t *o = json_array_get(arr, i);
		char w[64];
		snprintf(w, sizeof w, "invoice.totals.vat[%zu]", i);
		if (!json_is_object(o))
			return fail(r, "%s: not an object", w);
		if (req_str(r, o, w, "vat_category", &g->cat) < 0 ||
		    req_int(r, o, w, "vat_rate_bp", 10000, &g->bp) < 0 ||
		    req_int(r, o, w, "base_cents", MONEY_LIMIT, &g->base) < 0 ||
		    req_int(r, o, w, "vat_cents", MONEY_LIMIT, &g->vat) < 0 ||
		    cat_rate_ok(r, w, g->cat, g->bp) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(v->groups[j].cat, g->cat) && v->groups[j].bp == g->bp)
				return fail(r, "%s: duplicate category and rate", w);
	}
	return 0;
}

static int read_lines(struct r *r, const json_t *inv, struct inv *v)
{
	json_t *arr = json_object_get(inv, "lines");
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return fail(r, "invoice.lines: missing");
	v->nlines = json_array_size(arr);
	if (v->nlines > LINES_LIMIT)
		return fail(r, "invoice.lines: too many lines");
	v->lines = calloc(v->nlines, sizeof *v->lines);
	if (!v->lines)
		return fail(r, "out of memory");
	for (size_t i = 0; i < v->nlines; i++) {
		struct line *l = &v->lines[i];
		json_t *o = json_array_get(arr, i);
		const char *unit;
		char w[64];
		snprintf(w, sizeof w, "invoice.lines[%zu]", i);
		if (!json_is_object(o))
			return fail(r, "%s: not an object", w);
		if (req_str(r, o, w, "description", &l->description) < 0 ||
		    req_str(r, o, w, "quantity", &l->quantity_text) < 0 ||
		    req_str(r, o, w, "unit", &unit) < 0 ||
		    opt_str(r, o, w, "activity_category", &l->activity) < 0 ||
		    req_int(r, o, w, "unit_price_cents", MONEY_LIMIT, &l->price) < 0 ||
		    req_int(r, o, w, "net_cents", MONEY_LIMIT, &l->net) < 0 ||
		    req_str(r, o, w, "vat_category", &l->cat) < 0 ||
		    req_int(r, o, w, "vat_rate_bp", 10000, &l->bp) < 0 ||
		    cat_rate_ok(r, w, l->cat, l->bp) < 0)
			return -1;
		if (qty_parse(l->quantity_text, &l->qty_milli) < 0 || l->qty_milli > QTY_LIMIT ||
		    l->qty_milli < -QTY_LIMIT)
			return fail(r, "%s.quantity: not a decimal with at most 3 decimals", w);
		if (!(l->unit_code = unit_code(unit)))
			return fail(r, "%s.unit: not one of hour, piece, day, km", w);
		if (l->price < 0) /* BR-27 */
			return fail(r, "%s.unit_price_cents: negative", w);
		/* net = quantity × price, rounded to the cent: within half a cent */
		int ok = close_enough(l->net, 1000, l->qty_milli, l->price, 500);
		if (ok < 0)
			return fail(r, "%s: amount out of range", w);
		if (!ok)
			return fail(
			    r, "%s.net_cents: not quantity × unit price rounded to the cent", w);
		if (v->kor && strcmp(l->cat, "E"))
			return fail(r, "%s: a KOR supplier's lines are exempt (E)", w);
		if (!strcmp(l->cat, "AE") && !v->c_vat)
			return fail(r, "%s: reverse charge needs customer.vat_id", w);
		struct group *g = NULL;
		for (size_t j = 0; j < v->ngroups && !g; j++)
			if (!strcmp(v->groups[j].cat, l->cat) && v->groups[j].bp == l->bp)
				g = &v->groups[j];
		if (!g)
			return fail(r, "%s: no invoice.totals.vat entry for %s %" PRId64, w, l->cat,
			            l->bp);
		g->line_sum += l->net;
		g->nlines++;
	}
	return 0;
}

/* The totals must add up the way the rules add them (BR-CO-10..17, BR-S/Z/E/AE-08/09). */
static int check_totals(struct r *r, struct inv *v)
{
	int64_t net = 0, vat = 0;
	for (size_t i = 0; i < v->nlines; i++)
		net += v->lines[i].net;
	if (net != v->net)
		return fail(r, "invoice.totals.net_cents: not the sum of the lines");
	for (size_t i = 0; i < v->ngroups; i++) {
		struct group *g = &v->groups[i];
		if (!g->nlines)
			return fail(
			    r, "invoice.totals.vat[%zu]: no line has this category and rate", i);
		if (g->base != g->line_sum)
			return fail(
			    r, "invoice.totals.vat[%zu].base_cents: not the sum of its lines", i);
		if (strcmp(g->cat, "S") && g->vat != 0)
			return fail(r, "invoice.totals.vat[%zu].vat_cents: must be 0 for %s", i,
			            g->cat);
		/* vat = base × rate rounded to the cent (either way on a tie) */
		int ok = close_enough(g->vat, 10000, g->base, g->bp, 5000);
		if (ok < 0)
			return fail(r, "invoice.totals.vat[%zu]: amount out of range", i);
		if (!ok)
			return fail(r, "invoice.totals.vat[%zu].vat_cents: not base × rate", i);
		vat += g->vat;
	}
	if (vat != v->vat)
		return fail(r, "invoice.totals.vat_cents: not the sum of the vat breakdown");
	if (v->gross != v->net + v->vat)
		return fail(r, "invoice.totals.gross_cents: not net + vat");
	if (v->open != v->gross - v->paid)
		return fail(r, "invoice.open_cents: not gross - paid");
	return 0;
}

static int read_doc(struct r *r, const json_t *doc, struct inv *v)
{
	const json_t *inv = json_object_get(doc, "invoice");
	const json_t *sup = json_object_get(doc, "supplier");
	const json_t *cus = json_object_get(doc, "customer");
	const json_t *totals = json_object_get(inv, "totals");
	const char *kind, *peppol;
	int64_t issue = 0, due = 0, ignored;

	if (!json_is_object(inv) || !json_is_object(sup) || !json_is_object(cus))
		return fail(r, "document needs invoice, supplier and customer objects");
	if (!json_is_object(totals))
		return fail(r, "invoice.totals: missing");

	if (req_str(r, inv, "invoice", "kind", &kind) < 0)
		return -1;
	if (!strcmp(kind, "credit_note"))
		v->credit = 1;
	else if (strcmp(kind, "invoice"))
		return fail(r, "invoice.kind: not invoice or credit_note");
	r->sign = v->credit ? -1 : 1;

	if (req_str(r, inv, "invoice", "number", &v->number) < 0 ||
	    req_date(r, inv, "invoice", "issue_date", &v->issue_date, &issue) < 0 ||
	    opt_date(r, inv, "invoice", "supply_date", &v->supply_date, &ignored) < 0 ||
	    opt_date(r, inv, "invoice", "due_date", &v->due_date, &due) < 0 ||
	    opt_str(r, inv, "invoice", "description", &v->description) < 0 ||
	    opt_str(r, inv, "invoice", "reason", &v->reason) < 0 ||
	    opt_str(r, inv, "invoice", "payment_reference", &v->payment_reference) < 0 ||
	    opt_str(r, inv, "invoice", "credit_of_number", &v->credit_of_number) < 0 ||
	    opt_date(r, inv, "invoice", "credit_of_issue_date", &v->credit_of_issue_date,
	             &ignored) < 0)
		return -1;
	if (v->due_date) {
		v->due_days = due - issue;
		if (v->due_days < 0)
			return fail(r, "invoice.due_date: before issue_date");
	}
	if (v->credit && !v->credit_of_number)
		return fail(r, "invoice.credit_of_number: missing (a credit note refers to the "
		               "original)");

	/* supplier: BR-NL-1 (KvK), BR-S/Z/E/AE-02 (VAT id), BR-NL-3 (address) */
	const char *vat_scheme;
	if (req_str(r, sup, "supplier", "legal_name", &v->s_legal) < 0 ||
	    opt_str(r, sup, "supplier", "trade_name", &v->s_trade) < 0 ||
	    req_str(r, sup, "supplier", "kvk_number", &v->s_kvk) < 0 ||
	    opt_str(r, sup, "supplier", "vat_id", &v->s_vat) < 0 ||
	    opt_str(r, sup, "supplier", "iban", &v->s_iban) < 0 ||
	    opt_str(r, sup, "supplier", "bic", &v->s_bic) < 0 ||
	    opt_str(r, sup, "supplier", "email", &v->s_email) < 0 ||
	    opt_str(r, sup, "supplier", "phone", &v->s_phone) < 0 ||
	    opt_str(r, sup, "supplier", "vat_scheme", &vat_scheme) < 0 ||
	    read_address(r, sup, "supplier", 1, &v->s_addr) < 0)
		return -1;
	if (!v->s_vat)
		return fail(r, "supplier.vat_id: missing (every UBL VAT category needs the "
		               "seller's VAT id)");
	if (!vat_id_ok(v->s_vat))
		return fail(r, "supplier.vat_id: no country prefix");
	if (!v->credit && !v->s_iban)
		return fail(r, "supplier.iban: missing (an invoice states how to pay)");
	if (vat_scheme && !strcmp(vat_scheme, "kor"))
		v->kor = 1;
	else if (vat_scheme && strcmp(vat_scheme, "standard"))
		return fail(r, "supplier.vat_scheme: not standard or kor");

	/* customer: BR-NL-4 (address in NL), BR-NL-10 (KvK or OIN in NL) */
	if (req_str(r, cus, "customer", "name", &v->c_name) < 0 ||
	    opt_str(r, cus, "customer", "kvk_number", &v->c_kvk) < 0 ||
	    opt_str(r, cus, "customer", "vat_id", &v->c_vat) < 0 ||
	    opt_str(r, cus, "customer", "email", &v->c_email) < 0 ||
	    opt_str(r, cus, "customer", "peppol_id", &peppol) < 0 ||
	    read_address(r, cus, "customer", 0, &v->c_addr) < 0)
		return -1;
	if (v->c_vat && !vat_id_ok(v->c_vat))
		return fail(r, "customer.vat_id: no country prefix");
	if (peppol) {
		const char *colon = strchr(peppol, ':');
		size_t n = colon ? (size_t)(colon - peppol) : 0;
		if (n != 4 || strspn(peppol, "0123456789") != 4 || blank(colon + 1))
			return fail(r, "customer.peppol_id: not scheme:id with a 4-digit scheme");
		memcpy(v->c_scheme, peppol, 4);
		v->c_endpoint = colon + 1;
	}
	if (!strcmp(v->c_addr.country, "NL") && !v->c_kvk && strcmp(v->c_scheme, "0190"))
		return fail(r, "customer.kvk_number: missing (SI-UBL needs the KvK number of a "
		               "customer in the Netherlands)");

	if (req_int(r, totals, "invoice.totals", "net_cents", MONEY_LIMIT, &v->net) < 0 ||
	    req_int(r, totals, "invoice.totals", "vat_cents", MONEY_LIMIT, &v->vat) < 0 ||
	    req_int(r, totals, "invoice.totals", "gross_cents", MONEY_LIMIT, &v->gross) < 0 ||
	    req_int(r, inv, "invoice", "paid_cents", MONEY_LIMIT, &v->paid) < 0 ||
	    req_int(r, inv, "invoice", "open_cents", MONEY_LIMIT, &v->open) < 0)
		return -1;
	if (read_groups(r, totals, v) < 0 || read_lines(r, inv, v) < 0)
		return -1;
	return check_totals(r, v);
}

/* ---- building the tree ---- */

/* A copy of a (valid UTF-8) string that XML 1.0 can carry: C0 controls other than tab, LF and CR
 * and the non-characters U+FFFE/U+FFFF become spaces. NULL on invalid UTF-8 or no memory. */
static char *xml_text(const char *s, int *bad_utf8)
{
	size_t n = strlen(s);
	char *out = malloc(n + 1), *o = out;
	const unsigned char *p = (const unsigned char *)s;
	if (!out)
		return NULL;
	while (*p) {
		unsigned c = *p;
		size_t len = c < 0x80             ? 1
		             : (c & 0xE0) == 0xC0 ? 2
		             : (c & 0xF0) == 0xE0 ? 3
		             : (c & 0xF8) == 0xF0 ? 4
		                                  : 0;
		uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
		if (!len || (len == 2 && c < 0xC2))
			goto bad;
		for (size_t i = 1; i < len; i++) {
			if ((p[i] & 0xC0) != 0x80)
				goto bad;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
			goto bad;
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE ||
		    cp == 0xFFFF) {
			*o++ = ' ';
		} else {
			memcpy(o, p, len);
			o += len;
		}
		p += len;
	}
	*o = '\0';
	return out;
bad:
	free(out);
	*bad_utf8 = 1;
	return NULL;
}

static xmlNodePtr agg(struct r *r, xmlNodePtr parent, const char *name)
{
	xmlNodePtr n = parent ? xmlNewChild(parent, r->cac, BAD_CAST name, NULL) : NULL;
	if (!n)
		r->oom = 1;
	return n;
}

/* A cbc element with text content; libxml2 escapes it on output. */
static xmlNodePtr txt(struct r *r, xmlNodePtr parent, const char *name, const char *value)
{
	int bad_utf8 = 0;
	char *clean = xml_text(value, &bad_utf8);
	xmlNodePtr n = NULL;
	if (bad_utf8)
		fail(r, "invalid UTF-8 in %s", name);
	else if (clean && parent)
		n = xmlNewTextChild(parent, r->cbc, BAD_CAST name, BAD_CAST clean);
	if (!n)
		r->oom = 1;
	free(clean);
	return n;
}

static xmlNodePtr txt_attr(struct r *r, xmlNodePtr parent, const char *name, const char *value,
                           const char *attr, const char *attr_value)
{
	xmlNodePtr n = txt(r, parent, name, value);
	if (n && !xmlNewProp(n, BAD_CAST attr, BAD_CAST attr_value))
		r->oom = 1;
	return n;
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

static void postal_address(struct r *r, xmlNodePtr party, const struct address *a)
{
	xmlNodePtr addr = agg(r, party, "PostalAddress");
	if (a->street) {
		char *street = a->house_number ? fmt("%s %s", a->street, a->house_number)
		                               : fmt("%s", a->street);
		if (!street)
			r->oom = 1;
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

static void supplier(struct r *r, xmlNodePtr root, const struct inv *v)
{
	xmlNodePtr party = agg(r, agg(r, root, "AccountingSupplierParty"), "Party");
	txt_attr(r, party, "EndpointID", v->s_kvk, "schemeID", "0106");
	if (v->s_trade)
		txt(r, agg(r, party, "PartyName"), "Name", v->s_trade);
	postal_address(r, party, &v->s_addr);
	party_tax_scheme(r, party, v->s_vat);
	xmlNodePtr legal = agg(r, party, "PartyLegalEntity");
	txt(r, legal, "RegistrationName", v->s_legal);
	txt_attr(r, legal, "CompanyID", v->s_kvk, "schemeID", "0106");
	if (v->s_phone || v->s_email) {
		xmlNodePtr contact = agg(r, party, "Contact");
		if (v->s_phone)
			txt(r, contact, "Telephone", v->s_phone);
		if (v->s_email)
			txt(r, contact, "ElectronicMail", v->s_email);
	}
}

static void customer(struct r *r, xmlNodePtr root, const struct inv *v)
{
	xmlNodePtr party = agg(r, agg(r, root, "AccountingCustomerParty"), "Party");
	if (v->c_scheme[0])
		txt_attr(r, party, "EndpointID", v->c_endpoint, "schemeID", v->c_scheme);
	else if (v->c_kvk)
		txt_attr(r, party, "EndpointID", v->c_kvk, "schemeID", "0106");
	else if (v->c_email)
		txt_attr(r, party, "EndpointID", v->c_email, "schemeID", "EM");
	postal_address(r, party, &v->c_addr);
	if (v->c_vat)
		party_tax_scheme(r, party, v->c_vat);
	xmlNodePtr legal = agg(r, party, "PartyLegalEntity");
	txt(r, legal, "RegistrationName", v->c_name);
	if (v->c_kvk)
		txt_attr(r, legal, "CompanyID", v->c_kvk, "schemeID", "0106");
	else if (!strcmp(v->c_scheme, "0190"))
		txt_attr(r, legal, "CompanyID", v->c_endpoint, "schemeID", "0190");
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
static char *note_text(const struct inv *v)
{
	const char *parts[3] = {v->description, NULL, v->kor ? KOR_TEXT : NULL};
	char *credit = NULL, *note = NULL;
	size_t n = 0;
	if (v->credit) {
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

static void payment(struct r *r, xmlNodePtr root, const struct inv *v)
{
	const char *ref = v->payment_reference ? v->payment_reference : v->number;
	xmlNodePtr pm = agg(r, root, "PaymentMeans");
	txt(r, pm, "PaymentMeansCode", "30"); /* credit transfer; BR-NL-12 */
	txt(r, pm, "PaymentID", ref);
	xmlNodePtr acct = agg(r, pm, "PayeeFinancialAccount");
	char iban[64];
	size_t k = 0;
	for (const char *p = v->s_iban; *p && k < sizeof iban - 1; p++)
		if (*p != ' ')
			iban[k++] = *p;
	iban[k] = '\0';
	txt(r, acct, "ID", iban);
	if (v->s_bic)
		txt(r, agg(r, acct, "FinancialInstitutionBranch"), "ID", v->s_bic);

	char *terms = v->due_date ? fmt("Betaling binnen %" PRId64 " dagen onder vermelding van %s",
	                                v->due_days, ref)
	                          : fmt("Betaling onder vermelding van %s", ref);
	if (!terms)
		r->oom = 1;
	else
		txt(r, agg(r, root, "PaymentTerms"), "Note", terms);
	free(terms);
}

static void tax_total(struct r *r, xmlNodePtr root, const struct inv *v)
{
	xmlNodePtr tt = agg(r, root, "TaxTotal");
	amount(r, tt, "TaxAmount", r->sign * v->vat);
	for (size_t i = 0; i < v->ngroups; i++) {
		const struct group *g = &v->groups[i];
		char pct[32];
		xmlNodePtr sub = agg(r, tt, "TaxSubtotal");
		amount(r, sub, "TaxableAmount", r->sign * g->base);
		amount(r, sub, "TaxAmount", r->sign * g->vat);
		xmlNodePtr cat = agg(r, sub, "TaxCategory");
		txt(r, cat, "ID", g->cat);
		rate_fmt(g->bp, pct);
		txt(r, cat, "Percent", pct);
		if (!strcmp(g->cat, "E"))
			txt(r, cat, "TaxExemptionReason", v->kor ? KOR_TEXT : EXEMPT_TEXT);
		else if (!strcmp(g->cat, "AE"))
			txt(r, cat, "TaxExemptionReason", REVERSE_CHARGE_TEXT);
		tax_scheme(r, cat);
	}
}

static void monetary_total(struct r *r, xmlNodePtr root, const struct inv *v)
{
	xmlNodePtr mt = agg(r, root, "LegalMonetaryTotal");
	amount(r, mt, "LineExtensionAmount", r->sign * v->net);
	amount(r, mt, "TaxExclusiveAmount", r->sign * v->net);
	amount(r, mt, "TaxInclusiveAmount", r->sign * v->gross);
	if (v->paid != 0)
		amount(r, mt, "PrepaidAmount", r->sign * v->paid);
	amount(r, mt, "PayableAmount", r->sign * v->open);
}

static void lines(struct r *r, xmlNodePtr root, const struct inv *v)
{
	for (size_t i = 0; i < v->nlines; i++) {
		const struct line *l = &v->lines[i];
		char id[24], qty[40], pct[32];
		xmlNodePtr ln = agg(r, root, v->credit ? "CreditNoteLine" : "InvoiceLine");
		snprintf(id, sizeof id, "%zu", i + 1);
		txt(r, ln, "ID", id);
		qty_fmt(r->sign * l->qty_milli, qty);
		txt_attr(r, ln, v->credit ? "CreditedQuantity" : "InvoicedQuantity", qty,
		         "unitCode", l->unit_code);
		amount(r, ln, "LineExtensionAmount", r->sign * l->net);
		xmlNodePtr item = agg(r, ln, "Item");
		txt(r, item, "Name", l->description);
		if (l->activity)
			txt(r, agg(r, item, "SellersItemIdentification"), "ID", l->activity);
		xmlNodePtr cat = agg(r, item, "ClassifiedTaxCategory");
		txt(r, cat, "ID", l->cat);
		rate_fmt(l->bp, pct);
		txt(r, cat, "Percent", pct);
		tax_scheme(r, cat);
		amount(r, agg(r, ln, "Price"), "PriceAmount", l->price);
	}
}

static xmlDocPtr render(struct r *r, const struct inv *v)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root =
	    doc ? xmlNewDocNode(doc, NULL, BAD_CAST(v->credit ? "CreditNote" : "Invoice"), NULL)
	        : NULL;
	if (!root) {
		xmlFreeDoc(doc);
		r->oom = 1;
		return NULL;
	}
	xmlDocSetRootElement(doc, root);
	xmlNsPtr ns = xmlNewNs(root, BAD_CAST(v->credit ? NS_CREDIT_NOTE : NS_INVOICE), NULL);
	r->cac = xmlNewNs(root, BAD_CAST NS_CAC, BAD_CAST "cac");
	r->cbc = xmlNewNs(root, BAD_CAST NS_CBC, BAD_CAST "cbc");
	if (!ns || !r->cac || !r->cbc) {
		r->oom = 1;
		return doc;
	}
	xmlSetNs(root, ns);

	txt(r, root, "CustomizationID", UBL_CUSTOMIZATION_ID);
	txt(r, root, "ProfileID", UBL_PROFILE_ID);
	txt(r, root, "ID", v->number);
	txt(r, root, "IssueDate", v->issue_date);
	if (!v->credit && v->due_date)
		txt(r, root, "DueDate", v->due_date);
	txt(r, root, v->credit ? "CreditNoteTypeCode" : "InvoiceTypeCode",
	    v->credit ? "381" : "380");
	char *note = note_text(v);
	if (!note)
		r->oom = 1;
	else if (*note)
		txt(r, root, "Note", note);
	free(note);
	txt(r, root, "DocumentCurrencyCode", "EUR");
	txt(r, root, "BuyerReference", v->number); /* BR-NL-2: no buyer or order reference known */
	if (v->credit) {
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
	if (!v->credit)
		payment(r, root, v);
	tax_total(r, root, v);
	monetary_total(r, root, v);
	lines(r, root, v);
	return doc;
}

char *ubl_render(const json_t *doc, size_t *len, char *err, size_t errlen)
{
	struct r r = {.err = err, .errlen = errlen, .sign = 1};
	struct inv v = {0};
	xmlDocPtr x = NULL;
	xmlChar *buf = NULL;
	int size = 0;
	char *out = NULL;

	if (err && errlen)
		err[0] = '\0';
	if (!json_is_object(doc)) {
		fail(&r, "document is not an object");
		goto cleanup;
	}
	if (read_doc(&r, doc, &v) < 0)
		goto cleanup;
	x = render(&r, &v);
	if (r.failed)
		goto cleanup;
	if (r.oom || !x) {
		fail(&r, "out of memory");
		goto cleanup;
	}
	xmlDocDumpFormatMemoryEnc(x, &buf, &size, "UTF-8", 1);
	if (!buf || size <= 0 || !(out = malloc((size_t)size + 1))) {
		fail(&r, "out of memory");
		goto cleanup;
	}
	memcpy(out, buf, (size_t)size);
	out[size] = '\0';
	if (len)
		*len = (size_t)size;

cleanup:
	xmlFree(buf);
	xmlFreeDoc(x);
	free(v.lines);
	free(v.groups);
	return out;
}
