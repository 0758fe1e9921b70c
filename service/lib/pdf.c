/* The PDF invoice renderer (see pdf.h).
 *
 * Two phases. parse() checks the JSON document and fills a struct view of borrowed pointers
 * and integers; nothing is drawn until the whole document is known to be good. Then draw()
 * lays the invoice out with libharu. libharu reports errors through a handler; ours longjmps
 * back to run(), which frees the HPDF_Doc (and with it every libharu allocation). Between the
 * setjmp and the longjmp the renderer allocates nothing of its own except the output buffer,
 * which lives in the heap-allocated struct ctx, so an error at any point leaks nothing.
 *
 * Money is int64 cents and formatted with integer arithmetic only; floats are used for page
 * coordinates and text widths, never for amounts. Text is UTF-8 until it is drawn, then
 * converted to Windows-1252 (the WinAnsiEncoding of the built-in Helvetica). */
#include "pdf.h"

#include <hpdf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- input limits ---------------------------------------------------------------------------
 * They bound the height of every block, so that the fixed layout of the first page cannot
 * overflow and a single table row always fits on a page. */
#define SHORT_MAX      200  /* names, address parts, e-mail, phone */
#define LONG_MAX       1000 /* line descriptions, invoice description, credit reason */
#define CODE_MAX       64   /* numbers, identifiers, dates, quantities */
#define QTY_INT_DIGITS 12

#define NBSP "\xc2\xa0" /* UTF-8 no-break space: keeps "€ 12,00" and IBAN groups together */

enum vat_cat { CAT_S, CAT_Z, CAT_E, CAT_AE };

struct address {
	const char *street, *house_number, *postal_code, *city, *country;
};

/* The checked document: borrowed from the json_t, valid as long as it is. */
struct view {
	int credit_note;
	const char *number, *issue_date, *supply_date, *due_date, *description;
	const char *credit_of_number, *credit_of_issue_date, *reason, *payment_reference;
	const json_t *lines, *vat;
	int64_t net, vat_total, gross, paid, open;

	const char *s_legal, *s_trade, *s_kvk, *s_vat, *s_iban, *s_bic, *s_email, *s_phone;
	struct address s_addr;
	int kor;

	const char *c_name, *c_kvk, *c_vat, *c_email;
	struct address c_addr;
	int c_has_addr;

	const char *m_first, *m_last, *m_activity;
	int any_ae, any_e;
};

/* ---- errors ---------------------------------------------------------------------------------- */

struct errbuf {
	char *s;
	size_t n;
};

static int bad(struct errbuf *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct errbuf *e, const char *fmt, ...)
{
	if (e->s && e->n) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->s, e->n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- checking the document ------------------------------------------------------------------- */

/* *out = NULL when the key is absent, null or ""; an error when it is another type or too long. */
static int opt_str(struct errbuf *e, const json_t *o, const char *obj, const char *key, size_t max,
                   const char **out)
{
	const json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(e, "%s.%s: not a string", obj, key);
	if (json_string_length(v) > max)
		return bad(e, "%s.%s: longer than %zu bytes", obj, key, max);
	if (json_string_length(v) > 0)
		*out = json_string_value(v);
	return 0;
}

static int req_str(struct errbuf *e, const json_t *o, const char *obj, const char *key, size_t max,
                   const char **out)
{
	if (opt_str(e, o, obj, key, max, out) != 0)
		return -1;
	if (!*out)
		return bad(e, "%s.%s: missing", obj, key);
	return 0;
}

/* Money must be a JSON integer: 12.5 or 1e2 (reals) are refused. */
static int req_cents(struct errbuf *e, const json_t *o, const char *obj, const char *key,
                     int64_t *out)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		return bad(e, "%s.%s: not an integer amount in cents", obj, key);
	*out = (int64_t)json_integer_value(v);
	return 0;
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* YYYY-MM-DD with a month of 1..12 and a day of 1..31. */
static int date_ok(const char *s)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !is_digit(s[i]))
			return 0;
	int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
	return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static int req_date(struct errbuf *e, const json_t *o, const char *obj, const char *key,
                    int required, const char **out)
{
	if (opt_str(e, o, obj, key, CODE_MAX, out) != 0)
		return -1;
	if (!*out)
		return required ? bad(e, "%s.%s: missing", obj, key) : 0;
	if (!date_ok(*out))
		return bad(e, "%s.%s: not a date (YYYY-MM-DD)", obj, key);
	return 0;
}

/* An optional '-', 1..12 digits, optionally '.' and 1..3 digits. */
static int quantity_ok(const char *s)
{
	if (*s == '-')
		s++;
	int n = 0;
	while (is_digit(*s)) {
		s++;
		n++;
	}
	if (n < 1 || n > QTY_INT_DIGITS)
		return 0;
	if (*s == '.') {
		s++;
		n = 0;
		while (is_digit(*s)) {
			s++;
			n++;
		}
		if (n < 1 || n > 3)
			return 0;
	}
	return *s == '\0';
}

static int vat_cat_parse(const char *s, enum vat_cat *out)
{
	static const struct {
		const char *code;
		enum vat_cat cat;
	} cats[] = {{"S", CAT_S}, {"Z", CAT_Z}, {"E", CAT_E}, {"AE", CAT_AE}};
	for (size_t i = 0; s && i < sizeof cats / sizeof cats[0]; i++)
		if (strcmp(s, cats[i].code) == 0) {
			*out = cats[i].cat;
			return 0;
		}
	return -1;
}

/* Category and rate of a line or breakdown entry: S has a positive rate, the others 0. */
static int vat_of(struct errbuf *e, const json_t *o, const char *obj, enum vat_cat *cat,
                  int64_t *rate_bp)
{
	const char *c;
	if (req_str(e, o, obj, "vat_category", CODE_MAX, &c) != 0)
		return -1;
	if (vat_cat_parse(c, cat) != 0)
		return bad(e, "%s.vat_category: not S, Z, E or AE", obj);
	if (req_cents(e, o, obj, "vat_rate_bp", rate_bp) != 0)
		return -1;
	if (*rate_bp < 0 || *rate_bp > 10000)
		return bad(e, "%s.vat_rate_bp: out of range", obj);
	if ((*cat == CAT_S) != (*rate_bp > 0))
		return bad(e, "%s.vat_rate_bp: %s", obj,
		           *cat == CAT_S ? "category S needs a rate" : "must be 0 for Z, E and AE");
	return 0;
}

static int parse_address(struct errbuf *e, const json_t *a, const char *obj, struct address *out)
{
	if (!json_is_object(a))
		return bad(e, "%s: not an object", obj);
	if (req_str(e, a, obj, "street", SHORT_MAX, &out->street) != 0 ||
	    opt_str(e, a, obj, "house_number", CODE_MAX, &out->house_number) != 0 ||
	    req_str(e, a, obj, "postal_code", CODE_MAX, &out->postal_code) != 0 ||
	    req_str(e, a, obj, "city", SHORT_MAX, &out->city) != 0 ||
	    opt_str(e, a, obj, "country", CODE_MAX, &out->country) != 0)
		return -1;
	return 0;
}

static int add_checked(struct errbuf *e, int64_t *sum, int64_t v, const char *what)
{
	if (__builtin_add_overflow(*sum, v, sum))
		return bad(e, "%s: sum out of range", what);
	return 0;
}

static int parse_lines(struct errbuf *e, struct view *v)
{
	size_t n = json_array_size(v->lines);
	int64_t sum = 0;
	if (!json_is_array(v->lines))
		return bad(e, "invoice.lines: not an array");
	if (n == 0)
		return bad(e, "invoice.lines: empty");
	for (size_t i = 0; i < n; i++) {
		const json_t *l = json_array_get(v->lines, i);
		char obj[48];
		const char *s;
		int64_t cents = 0, rate = 0;
		enum vat_cat cat;
		snprintf(obj, sizeof obj, "invoice.lines[%zu]", i);
		if (!json_is_object(l))
			return bad(e, "%s: not an object", obj);
		if (req_str(e, l, obj, "description", LONG_MAX, &s) != 0)
			return -1;
		if (req_str(e, l, obj, "quantity", CODE_MAX, &s) != 0)
			return -1;
		if (!quantity_ok(s))
			return bad(e, "%s.quantity: not a decimal with at most 3 decimals", obj);
		if (req_str(e, l, obj, "unit", CODE_MAX, &s) != 0)
			return -1;
		if (strcmp(s, "hour") && strcmp(s, "piece") && strcmp(s, "day") && strcmp(s, "km"))
			return bad(e, "%s.unit: not hour, piece, day or km", obj);
		if (req_cents(e, l, obj, "unit_price_cents", &cents) != 0)
			return -1;
		if (vat_of(e, l, obj, &cat, &rate) != 0)
			return -1;
		if (v->kor && cat != CAT_E)
			return bad(e, "%s.vat_category: must be E under the KOR", obj);
		v->any_ae |= cat == CAT_AE;
		v->any_e |= cat == CAT_E;
		if (req_cents(e, l, obj, "net_cents", &cents) != 0)
			return -1;
		if (add_checked(e, &sum, cents, "invoice.lines") != 0)
			return -1;
		/* every line's category and rate has its row in the breakdown */
		int found = 0;
		for (size_t j = 0; !found && j < json_array_size(v->vat); j++) {
			const json_t *t = json_array_get(v->vat, j);
			const char *c = json_string_value(json_object_get(t, "vat_category"));
			enum vat_cat tc;
			found = vat_cat_parse(c, &tc) == 0 && tc == cat &&
			        json_integer_value(json_object_get(t, "vat_rate_bp")) == rate;
		}
		if (!found)
			return bad(e,
			           "%s: no row for its VAT category and rate in invoice.totals.vat",
			           obj);
	}
	if (sum != v->net)
		return bad(e, "invoice.lines: net amounts add up to %lld, totals.net_cents is %lld",
		           (long long)sum, (long long)v->net);
	return 0;
}

static int parse_totals(struct errbuf *e, const json_t *inv, struct view *v)
{
	const json_t *t = json_object_get(inv, "totals");
	int64_t base_sum = 0, vat_sum = 0, gross;
	if (!json_is_object(t))
		return bad(e, "invoice.totals: not an object");
	if (req_cents(e, t, "invoice.totals", "net_cents", &v->net) != 0 ||
	    req_cents(e, t, "invoice.totals", "vat_cents", &v->vat_total) != 0 ||
	    req_cents(e, t, "invoice.totals", "gross_cents", &v->gross) != 0 ||
	    req_cents(e, inv, "invoice", "paid_cents", &v->paid) != 0 ||
	    req_cents(e, inv, "invoice", "open_cents", &v->open) != 0)
		return -1;
	v->vat = json_object_get(t, "vat");
	if (!json_is_array(v->vat) || json_array_size(v->vat) == 0)
		return bad(e, "invoice.totals.vat: not a non-empty array");
	for (size_t i = 0; i < json_array_size(v->vat); i++) {
		const json_t *r = json_array_get(v->vat, i);
		char obj[48];
		enum vat_cat cat;
		int64_t rate = 0, base = 0, vat = 0;
		snprintf(obj, sizeof obj, "invoice.totals.vat[%zu]", i);
		if (!json_is_object(r))
			return bad(e, "%s: not an object", obj);
		if (vat_of(e, r, obj, &cat, &rate) != 0 ||
		    req_cents(e, r, obj, "base_cents", &base) != 0 ||
		    req_cents(e, r, obj, "vat_cents", &vat) != 0)
			return -1;
		if (cat != CAT_S && vat != 0)
			return bad(e, "%s.vat_cents: must be 0 for Z, E and AE", obj);
		if (add_checked(e, &base_sum, base, obj) != 0 ||
		    add_checked(e, &vat_sum, vat, obj) != 0)
			return -1;
	}
	if (base_sum != v->net)
		return bad(e, "invoice.totals.vat: bases add up to %lld, net_cents is %lld",
		           (long long)base_sum, (long long)v->net);
	if (vat_sum != v->vat_total)
		return bad(e, "invoice.totals.vat: VAT adds up to %lld, vat_cents is %lld",
		           (long long)vat_sum, (long long)v->vat_total);
	if (__builtin_add_overflow(v->net, v->vat_total, &gross) || gross != v->gross)
		return bad(e, "invoice.totals: net_cents + vat_cents != gross_cents");
	if (__builtin_sub_overflow(v->gross, v->paid, &gross) || gross != v->open)
		return bad(e, "invoice: gross_cents - paid_cents != open_cents");
	return 0;
}

static int parse(struct errbuf *e, const json_t *doc, struct view *v)
{
	const json_t *inv = json_object_get(doc, "invoice");
	const json_t *sup = json_object_get(doc, "supplier");
	const json_t *cus = json_object_get(doc, "customer");
	const json_t *mem = json_object_get(doc, "member");
	const char *s;

	memset(v, 0, sizeof *v);
	if (!json_is_object(doc))
		return bad(e, "document: not an object");
	if (!json_is_object(inv))
		return bad(e, "invoice: not an object");
	if (!json_is_object(sup))
		return bad(e, "supplier: not an object");
	if (!json_is_object(cus))
		return bad(e, "customer: not an object");
	if (!json_is_object(mem))
		return bad(e, "member: not an object");

	if (req_str(e, inv, "invoice", "kind", CODE_MAX, &s) != 0)
		return -1;
	if (strcmp(s, "invoice") != 0 && strcmp(s, "credit_note") != 0)
		return bad(e, "invoice.kind: not invoice or credit_note");
	v->credit_note = strcmp(s, "credit_note") == 0;
	if (req_str(e, inv, "invoice", "number", CODE_MAX, &v->number) != 0 ||
	    req_date(e, inv, "invoice", "issue_date", 1, &v->issue_date) != 0 ||
	    req_date(e, inv, "invoice", "supply_date", 0, &v->supply_date) != 0 ||
	    req_date(e, inv, "invoice", "due_date", !v->credit_note, &v->due_date) != 0 ||
	    opt_str(e, inv, "invoice", "description", LONG_MAX, &v->description) != 0 ||
	    opt_str(e, inv, "invoice", "reason", LONG_MAX, &v->reason) != 0 ||
	    opt_str(e, inv, "invoice", "payment_reference", CODE_MAX, &v->payment_reference) != 0)
		return -1;
	if (v->credit_note &&
	    (req_str(e, inv, "invoice", "credit_of_number", CODE_MAX, &v->credit_of_number) != 0 ||
	     req_date(e, inv, "invoice", "credit_of_issue_date", 1, &v->credit_of_issue_date) != 0))
		return -1;

	if (req_str(e, sup, "supplier", "legal_name", SHORT_MAX, &v->s_legal) != 0 ||
	    opt_str(e, sup, "supplier", "trade_name", SHORT_MAX, &v->s_trade) != 0 ||
	    req_str(e, sup, "supplier", "kvk_number", CODE_MAX, &v->s_kvk) != 0 ||
	    opt_str(e, sup, "supplier", "vat_id", CODE_MAX, &v->s_vat) != 0 ||
	    req_str(e, sup, "supplier", "iban", CODE_MAX, &v->s_iban) != 0 ||
	    opt_str(e, sup, "supplier", "bic", CODE_MAX, &v->s_bic) != 0 ||
	    opt_str(e, sup, "supplier", "email", SHORT_MAX, &v->s_email) != 0 ||
	    opt_str(e, sup, "supplier", "phone", SHORT_MAX, &v->s_phone) != 0 ||
	    parse_address(e, json_object_get(sup, "address"), "supplier.address", &v->s_addr) != 0)
		return -1;
	if (opt_str(e, sup, "supplier", "vat_scheme", CODE_MAX, &s) != 0)
		return -1;
	if (s && strcmp(s, "standard") != 0 && strcmp(s, "kor") != 0)
		return bad(e, "supplier.vat_scheme: not standard or kor");
	v->kor = s && strcmp(s, "kor") == 0;

	if (req_str(e, cus, "customer", "name", SHORT_MAX, &v->c_name) != 0 ||
	    opt_str(e, cus, "customer", "kvk_number", CODE_MAX, &v->c_kvk) != 0 ||
	    opt_str(e, cus, "customer", "vat_id", CODE_MAX, &v->c_vat) != 0 ||
	    opt_str(e, cus, "customer", "email", SHORT_MAX, &v->c_email) != 0)
		return -1;
	/* only a draft may lack the customer's address (contract4.md) */
	const json_t *ca = json_object_get(cus, "address");
	if (ca && !json_is_null(ca)) {
		if (parse_address(e, ca, "customer.address", &v->c_addr) != 0)
			return -1;
		v->c_has_addr = 1;
	}

	if (req_str(e, mem, "member", "first_name", SHORT_MAX, &v->m_first) != 0 ||
	    req_str(e, mem, "member", "last_name", SHORT_MAX, &v->m_last) != 0 ||
	    opt_str(e, mem, "member", "activity_description", SHORT_MAX, &v->m_activity) != 0)
		return -1;

	if (parse_totals(e, inv, v) != 0)
		return -1;
	v->lines = json_object_get(inv, "lines");
	if (parse_lines(e, v) != 0)
		return -1;
	if (v->any_ae && !v->c_vat)
		return bad(e, "customer.vat_id: required when VAT is reverse-charged (AE)");
	return 0;
}

/* ---- formatting (integer arithmetic only) ---------------------------------------------------- */

/* 1234567 -> "1.234.567" */
static void fmt_grouped(uint64_t v, char *out)
{
	char tmp[24];
	int n = 0, o = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int i = n - 1; i >= 0; i--) {
		out[o++] = tmp[i];
		if (i && i % 3 == 0)
			out[o++] = '.';
	}
	out[o] = '\0';
}

/* 123456 -> "€ 1.234,56", -5 -> "€ -0,05" (the space is a no-break space). */
static void fmt_money(int64_t cents, char *out, size_t n)
{
	uint64_t m = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	char g[32];
	fmt_grouped(m / 100, g);
	snprintf(out, n, "€" NBSP "%s%s,%02u", cents < 0 ? "-" : "", g, (unsigned)(m % 100));
}

/* A checked quantity "-1500.250" -> "-1.500,25": grouped, trailing fraction zeros dropped. */
static void fmt_quantity(const char *s, char *out, size_t n)
{
	int neg = *s == '-';
	uint64_t whole = 0;
	char frac[4] = "";
	size_t fl = 0;
	if (neg)
		s++;
	for (; is_digit(*s); s++)
		whole = whole * 10 + (uint64_t)(*s - '0');
	if (*s == '.')
		for (s++; is_digit(*s) && fl < 3; s++)
			frac[fl++] = *s;
	while (fl && frac[fl - 1] == '0')
		fl--;
	frac[fl] = '\0';
	if (whole == 0 && fl == 0)
		neg = 0;
	char g[32];
	fmt_grouped(whole, g);
	snprintf(out, n, "%s%s%s%s", neg ? "-" : "", g, fl ? "," : "", frac);
}

/* 2100 -> "21%", 550 -> "5,5%", 925 -> "9,25%" */
static void fmt_rate(int64_t bp, char *out, size_t n)
{
	unsigned whole = (unsigned)(bp / 100), frac = (unsigned)(bp % 100);
	if (frac == 0)
		snprintf(out, n, "%u%%", whole);
	else if (frac % 10 == 0)
		snprintf(out, n, "%u,%u%%", whole, frac / 10);
	else
		snprintf(out, n, "%u,%02u%%", whole, frac);
}

/* A checked date "2026-03-31" -> "31-03-2026" */
static void fmt_date(const char *s, char *out, size_t n)
{
	snprintf(out, n, "%.2s-%.2s-%.4s", s + 8, s + 5, s);
}

/* "NL91ABNA0417164300" -> "NL91 ABNA 0417 1643 00" (no-break spaces) */
static void fmt_iban(const char *s, char *out, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; s[i] && o + 4 < n; i++) {
		if (i && i % 4 == 0) {
			memcpy(out + o, NBSP, 2);
			o += 2;
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
}

static const char *unit_name(const char *unit)
{
	if (strcmp(unit, "hour") == 0)
		return "uur";
	if (strcmp(unit, "piece") == 0)
		return "stuk";
	if (strcmp(unit, "day") == 0)
		return "dag";
	return "km";
}

static const char *country_name(const char *code)
{
	static const char *const names[][2] = {
	    {"BE", "België"},    {"DE", "Duitsland"},           {"FR", "Frankrijk"},
	    {"LU", "Luxemburg"}, {"GB", "Verenigd Koninkrijk"}, {"ES", "Spanje"},
	    {"IT", "Italië"},    {"AT", "Oostenrijk"},          {"PL", "Polen"}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(code, names[i][0]) == 0)
			return names[i][1];
	return code;
}

/* ---- UTF-8 to Windows-1252 ------------------------------------------------------------------- */

/* The code points of 0x80..0x9F, then near equivalents (hyphens, minus, spaces). */
static const struct {
	uint32_t u;
	unsigned char c;
} cp1252_extra[] = {
    {0x20AC, 0x80}, {0x201A, 0x82}, {0x0192, 0x83}, {0x201E, 0x84}, {0x2026, 0x85}, {0x2020, 0x86},
    {0x2021, 0x87}, {0x02C6, 0x88}, {0x2030, 0x89}, {0x0160, 0x8A}, {0x2039, 0x8B}, {0x0152, 0x8C},
    {0x017D, 0x8E}, {0x2018, 0x91}, {0x2019, 0x92}, {0x201C, 0x93}, {0x201D, 0x94}, {0x2022, 0x95},
    {0x2013, 0x96}, {0x2014, 0x97}, {0x02DC, 0x98}, {0x2122, 0x99}, {0x0161, 0x9A}, {0x203A, 0x9B},
    {0x0153, 0x9C}, {0x017E, 0x9E}, {0x0178, 0x9F}, {0x2010, '-'},  {0x2011, '-'},  {0x2212, '-'},
    {0x2009, ' '},  {0x2002, ' '},  {0x2003, ' '},  {0x202F, 0xA0}, {0x2007, 0xA0},
};

/* Decomposed input (a letter followed by a combining mark, as macOS writes it) is composed
 * where Windows-1252 has the composed letter. */
static const struct {
	uint32_t mark;
	const char *base, *composed;
} combining[] = {
    {0x0300, "AEIOUaeiou", "\xC0\xC8\xCC\xD2\xD9\xE0\xE8\xEC\xF2\xF9"},
    {0x0301, "AEIOUYaeiouy", "\xC1\xC9\xCD\xD3\xDA\xDD\xE1\xE9\xED\xF3\xFA\xFD"},
    {0x0302, "AEIOUaeiou", "\xC2\xCA\xCE\xD4\xDB\xE2\xEA\xEE\xF4\xFB"},
    {0x0303, "ANOano", "\xC3\xD1\xD5\xE3\xF1\xF5"},
    {0x0308, "AEIOUYaeiouy", "\xC4\xCB\xCF\xD6\xDC\x9F\xE4\xEB\xEF\xF6\xFC\xFF"},
    {0x030A, "Aa", "\xC5\xE5"},
    {0x030C, "SZsz", "\x8A\x8E\x9A\x9E"},
    {0x0327, "Cc", "\xC7\xE7"},
};

/* One code point from s; *cp = 0xFFFD for a malformed sequence (one byte consumed). */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t n;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		c &= 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		c &= 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		*cp = 0xFFFD;
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		c = 0xFFFD;
	*cp = c;
	return n;
}

static int compose(unsigned char *last, uint32_t mark)
{
	for (size_t i = 0; i < sizeof combining / sizeof combining[0]; i++) {
		if (combining[i].mark != mark)
			continue;
		const char *p = strchr(combining[i].base, (char)*last);
		if (*last && p) {
			*last = (unsigned char)combining[i].composed[p - combining[i].base];
			return 1;
		}
	}
	return 0;
}

/* Converts UTF-8 in to Windows-1252 in out (cap bytes, NUL-terminated); returns the length.
 * Unmappable characters become '?', control characters a space ('\n' is kept when
 * keep_newlines), '\r' is dropped. Longer input is cut at cap - 1 bytes. */
static size_t to_cp1252(const char *in, char *out, size_t cap, int keep_newlines)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;
	while (*s && o + 1 < cap) {
		uint32_t cp;
		s += utf8_next(s, &cp);
		unsigned char ch = '?';
		if (cp == '\r')
			continue;
		if (cp == '\n')
			ch = keep_newlines ? '\n' : ' ';
		else if (cp < 0x20 || cp == 0x7F)
			ch = ' ';
		else if (cp < 0x7F || (cp >= 0xA0 && cp <= 0xFF))
			ch = (unsigned char)cp;
		else if (cp >= 0x0300 && cp <= 0x036F) {
			if (o && compose((unsigned char *)&out[o - 1], cp))
				continue;
		} else {
			for (size_t i = 0; i < sizeof cp1252_extra / sizeof cp1252_extra[0]; i++)
				if (cp1252_extra[i].u == cp)
					ch = cp1252_extra[i].c;
		}
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return o;
}

/* ---- page geometry and colours --------------------------------------------------------------- */

#define PAGE_W   595.276f
#define PAGE_H   841.89f
#define LEFT     56.0f
#define RIGHT    (PAGE_W - 56.0f)
#define WIDTH    (RIGHT - LEFT)
#define TOP      (PAGE_H - 48.0f)
#define BOTTOM   76.0f /* content stays above; the footer is below */
#define FOOTER_Y 40.0f

#define TEXT_CAP  2048 /* Windows-1252 bytes of one text block (inputs are at most LONG_MAX) */
#define MAX_LINES 64

struct rgb {
	float r, g, b;
};
static const struct rgb INK = {0.12f, 0.12f, 0.14f};
static const struct rgb MUTED = {0.42f, 0.44f, 0.48f};
static const struct rgb ACCENT = {0.07f, 0.26f, 0.42f};
static const struct rgb RULE = {0.78f, 0.80f, 0.83f};
static const struct rgb SHADE = {0.925f, 0.94f, 0.955f};

enum align { AL_LEFT, AL_RIGHT };

struct ctx {
	jmp_buf jump;
	HPDF_Doc pdf;
	HPDF_Font regular, bold;
	HPDF_Page page;
	unsigned npages;
	float y; /* the top of the free space on the current page */
	const struct view *v;
	HPDF_STATUS error, detail;
	long steps, fail_step; /* test hook: libharu reports an error at drawing step fail_step */
	int failed;
	unsigned char *out;
	size_t out_len;
};

/* A text block laid out in lines of at most a given width. */
struct text {
	char cp[TEXT_CAP];
	int n, truncated;
	unsigned short off[MAX_LINES], len[MAX_LINES];
};

static void on_error(HPDF_STATUS error, HPDF_STATUS detail, void *user)
{
	struct ctx *c = user;
	c->error = error;
	c->detail = detail;
	longjmp(c->jump, 1);
}

/* Counts a drawing step; at the step a test asked for, provokes a libharu error (an invalid
 * compression mode), which goes through on_error like any other. */
static void step(struct ctx *c)
{
	if (c->fail_step >= 0 && c->steps++ == c->fail_step)
		HPDF_SetCompressionMode(c->pdf, 0xFFFF);
}

/* Width of n bytes of Windows-1252 text (a no-break space measures as a space). */
static float text_width(HPDF_Font f, float size, const char *s, size_t n)
{
	char buf[TEXT_CAP];
	if (n == 0)
		return 0;
	if (n >= sizeof buf)
		n = sizeof buf - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = s[i] == '\xA0' ? ' ' : s[i];
	HPDF_TextWidth w = HPDF_Font_TextWidth(f, (const HPDF_BYTE *)buf, (HPDF_UINT)n);
	return (float)w.width * size / 1000.0f;
}

/* The end of the longest run from q (inside a paragraph ending at pe) that fits width and
 * breaks at a space; a word wider than width alone is broken where it must. */
static size_t fit(const char *s, size_t q, size_t pe, HPDF_Font f, float size, float width)
{
	size_t best = 0, k = q;
	for (;;) {
		size_t we = k;
		while (we < pe && s[we] != ' ')
			we++;
		if (text_width(f, size, s + q, we - q) > width)
			break;
		best = we;
		while (we < pe && s[we] == ' ')
			we++;
		if (we >= pe) {
			best = pe;
			break;
		}
		k = we;
	}
	if (best)
		return best;
	size_t we = q, n = 1;
	while (we < pe && s[we] != ' ')
		we++;
	while (q + n < we && text_width(f, size, s + q, n + 1) <= width)
		n++;
	return q + n;
}

static int add_line(struct text *t, size_t off, size_t len, int max_lines)
{
	if (t->n >= max_lines) {
		t->truncated = 1;
		return -1;
	}
	while (len && t->cp[off + len - 1] == ' ')
		len--;
	t->off[t->n] = (unsigned short)off;
	t->len[t->n] = (unsigned short)len;
	t->n++;
	return 0;
}

/* Lays utf8 out in lines of at most width; '\n' starts a new line. At most max_lines lines:
 * the last one of a longer text is drawn with an ellipsis. */
static void layout(struct text *t, HPDF_Font f, float size, float width, const char *utf8,
                   int max_lines)
{
	size_t e = to_cp1252(utf8 ? utf8 : "", t->cp, sizeof t->cp, 1), p = 0;
	t->n = t->truncated = 0;
	if (max_lines > MAX_LINES)
		max_lines = MAX_LINES;
	while (p < e) {
		size_t pe = p, q = p;
		int any = 0;
		while (pe < e && t->cp[pe] != '\n')
			pe++;
		for (;;) {
			while (q < pe && t->cp[q] == ' ')
				q++;
			if (q >= pe)
				break;
			size_t end = fit(t->cp, q, pe, f, size, width);
			if (add_line(t, q, end - q, max_lines) != 0)
				return;
			any = 1;
			q = end;
		}
		if (!any && add_line(t, p, 0, max_lines) != 0)
			return;
		p = pe + 1;
	}
}

static void set_fill(struct ctx *c, struct rgb col)
{
	HPDF_Page_SetRGBFill(c->page, col.r, col.g, col.b);
}

/* Draws n bytes of Windows-1252 text with its baseline at y. */
static void show(struct ctx *c, HPDF_Font f, float size, float x, float y, const char *s, size_t n,
                 enum align al)
{
	char buf[TEXT_CAP];
	if (n >= sizeof buf)
		n = sizeof buf - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = s[i] == '\xA0' ? ' ' : s[i];
	buf[n] = '\0';
	if (n == 0)
		return;
	step(c);
	if (al == AL_RIGHT)
		x -= text_width(f, size, buf, n);
	HPDF_Page_BeginText(c->page);
	HPDF_Page_SetFontAndSize(c->page, f, size);
	HPDF_Page_TextOut(c->page, x, y, buf);
	HPDF_Page_EndText(c->page);
}

/* Draws a laid-out text, line i with its baseline at y - i * leading. */
static void draw_text(struct ctx *c, const struct text *t, HPDF_Font f, float size, float x,
                      float y, float width, float leading, enum align al)
{
	for (int i = 0; i < t->n; i++) {
		const char *s = t->cp + t->off[i];
		size_t n = t->len[i];
		if (i == t->n - 1 && t->truncated) {
			char buf[TEXT_CAP];
			do {
				memcpy(buf, s, n);
				buf[n] = '\x85'; /* … */
			} while (n > 0 && text_width(f, size, buf, n + 1) > width && n--);
			show(c, f, size, x, y - (float)i * leading, buf, n + 1, al);
		} else {
			show(c, f, size, x, y - (float)i * leading, s, n, al);
		}
	}
}

/* One line of UTF-8 text, cut with an ellipsis when wider than width. */
static void put(struct ctx *c, HPDF_Font f, float size, float x, float y, float width,
                const char *utf8, enum align al)
{
	struct text t;
	layout(&t, f, size, width, utf8, 1);
	draw_text(c, &t, f, size, x, y, width, 0, al);
}

/* A wrapped block from the baseline y down; returns the baseline below its last line. */
static float block(struct ctx *c, HPDF_Font f, float size, float x, float y, float width,
                   float leading, const char *utf8, int max_lines)
{
	struct text t;
	layout(&t, f, size, width, utf8, max_lines);
	draw_text(c, &t, f, size, x, y, width, leading, AL_LEFT);
	return y - (float)t.n * leading;
}

static void hline(struct ctx *c, float x0, float x1, float y, float w, struct rgb col)
{
	step(c);
	HPDF_Page_SetLineWidth(c->page, w);
	HPDF_Page_SetRGBStroke(c->page, col.r, col.g, col.b);
	HPDF_Page_MoveTo(c->page, x0, y);
	HPDF_Page_LineTo(c->page, x1, y);
	HPDF_Page_Stroke(c->page);
}

static void fill_rect(struct ctx *c, float x, float y, float w, float h, struct rgb col)
{
	step(c);
	set_fill(c, col);
	HPDF_Page_Rectangle(c->page, x, y, w, h);
	HPDF_Page_Fill(c->page);
}

/* ---- pages ----------------------------------------------------------------------------------- */

static const char *brand(const struct view *v)
{
	return v->s_trade ? v->s_trade : v->s_legal;
}

static const char *title(const struct view *v)
{
	return v->credit_note ? "Creditnota" : "Factuur";
}

static void start_page(struct ctx *c)
{
	step(c);
	c->page = HPDF_AddPage(c->pdf);
	HPDF_Page_SetSize(c->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
	c->npages++;
	c->y = TOP;
	if (c->npages == 1)
		return;
	/* a continuation page: who and which invoice, above a rule */
	char buf[160];
	snprintf(buf, sizeof buf, "%s %s (vervolg)", title(c->v), c->v->number);
	set_fill(c, ACCENT);
	put(c, c->bold, 11, LEFT, TOP - 10, WIDTH * 0.55f, brand(c->v), AL_LEFT);
	set_fill(c, MUTED);
	put(c, c->regular, 9, RIGHT, TOP - 10, WIDTH * 0.42f, buf, AL_RIGHT);
	hline(c, LEFT, RIGHT, TOP - 20, 0.5f, RULE);
	c->y = TOP - 34;
}

/* The lines table: columns, their headers (one or two lines) and alignment. */
static const struct column {
	const char *h1, *h2;
	float x0, x1;
	enum align al;
} columns[] = {
    {"Omschrijving", NULL, LEFT, LEFT + 186, AL_LEFT},
    {"Aantal", NULL, LEFT + 186, LEFT + 234, AL_RIGHT},
    {"Eenheid", NULL, LEFT + 234, LEFT + 282, AL_LEFT},
    {"Prijs per eenheid", "excl. btw", LEFT + 282, LEFT + 366, AL_RIGHT},
    {"Btw %", NULL, LEFT + 366, LEFT + 416, AL_RIGHT},
    {"Bedrag", "excl. btw", LEFT + 416, RIGHT, AL_RIGHT},
};
#define NCOLUMNS    (sizeof columns / sizeof columns[0])
#define CELL_PAD    5.0f
#define ROW_SIZE    9.0f
#define ROW_LEADING 11.5f
#define HEADER_H    26.0f

static float cell_x(const struct column *col)
{
	return col->al == AL_LEFT ? col->x0 + CELL_PAD : col->x1 - CELL_PAD;
}

static void table_header(struct ctx *c)
{
	float y = c->y;
	fill_rect(c, LEFT, y - HEADER_H, WIDTH, HEADER_H, SHADE);
	hline(c, LEFT, RIGHT, y - HEADER_H, 0.8f, ACCENT);
	set_fill(c, INK);
	for (size_t i = 0; i < NCOLUMNS; i++) {
		const struct column *col = &columns[i];
		float w = col->x1 - col->x0 - 2 * CELL_PAD + 4;
		if (col->h2) {
			put(c, c->bold, 7.5f, cell_x(col), y - 11, w, col->h1, col->al);
			put(c, c->bold, 7.5f, cell_x(col), y - 20.5f, w, col->h2, col->al);
		} else {
			put(c, c->bold, 7.5f, cell_x(col), y - 15.5f, w, col->h1, col->al);
		}
	}
	c->y = y - HEADER_H;
}

/* Starts a new page unless h points fit above the footer; repeats the table header when asked. */
static void ensure(struct ctx *c, float h, int with_table_header)
{
	if (c->y - h >= BOTTOM)
		return;
	start_page(c);
	if (with_table_header)
		table_header(c);
}

/* ---- the first page's head ------------------------------------------------------------------- */

static void address_lines(const struct address *a, char *l1, char *l2, char *l3, size_t n)
{
	snprintf(l1, n, "%s%s%s", a->street, a->house_number ? " " : "",
	         a->house_number ? a->house_number : "");
	snprintf(l2, n, "%s  %s", a->postal_code, a->city);
	snprintf(l3, n, "%s",
	         a->country && strcmp(a->country, "NL") ? country_name(a->country) : "");
}

static float supplier_block(struct ctx *c)
{
	const struct view *v = c->v;
	const float x = LEFT + 318, w = RIGHT - x, size = 8.5f, lead = 11.5f;
	char l1[SHORT_MAX + 80], l2[SHORT_MAX + 80], l3[SHORT_MAX], buf[SHORT_MAX + 32];
	float y = TOP - 8;

	set_fill(c, INK);
	y = block(c, c->bold, size, x, y, w, lead, v->s_legal, 3);
	address_lines(&v->s_addr, l1, l2, l3, sizeof l1);
	y = block(c, c->regular, size, x, y, w, lead, l1, 2);
	y = block(c, c->regular, size, x, y, w, lead, l2, 2);
	if (*l3)
		y = block(c, c->regular, size, x, y, w, lead, l3, 1);
	y -= 5;
	snprintf(buf, sizeof buf, "KvK %s", v->s_kvk);
	y = block(c, c->regular, size, x, y, w, lead, buf, 1);
	if (v->s_vat) {
		snprintf(buf, sizeof buf, "Btw-id %s", v->s_vat);
		y = block(c, c->regular, size, x, y, w, lead, buf, 1);
	}
	char iban[CODE_MAX * 2];
	fmt_iban(v->s_iban, iban, sizeof iban);
	snprintf(buf, sizeof buf, "IBAN %s", iban);
	y = block(c, c->regular, size, x, y, w, lead, buf, 1);
	if (v->s_bic) {
		snprintf(buf, sizeof buf, "BIC %s", v->s_bic);
		y = block(c, c->regular, size, x, y, w, lead, buf, 1);
	}
	if (v->s_email)
		y = block(c, c->regular, size, x, y, w, lead, v->s_email, 1);
	if (v->s_phone) {
		snprintf(buf, sizeof buf, "Tel. %s", v->s_phone);
		y = block(c, c->regular, size, x, y, w, lead, buf, 1);
	}
	return y;
}

static float customer_block(struct ctx *c)
{
	const struct view *v = c->v;
	const float x = LEFT, w = 270;
	char l1[SHORT_MAX + 80], l2[SHORT_MAX + 80], l3[SHORT_MAX], buf[SHORT_MAX + 32];
	float y = TOP - 104;

	set_fill(c, MUTED);
	put(c, c->regular, 7.5f, x, y, w, v->credit_note ? "Creditnota aan" : "Factuur aan",
	    AL_LEFT);
	y -= 15;
	set_fill(c, INK);
	y = block(c, c->bold, 10.5f, x, y, w, 13.5f, v->c_name, 3);
	if (v->c_has_addr) {
		address_lines(&v->c_addr, l1, l2, l3, sizeof l1);
		y = block(c, c->regular, 10, x, y, w, 13.5f, l1, 2);
		y = block(c, c->regular, 10, x, y, w, 13.5f, l2, 2);
		if (*l3)
			y = block(c, c->regular, 10, x, y, w, 13.5f, l3, 1);
	}
	if (v->c_kvk || v->c_vat)
		y -= 3;
	if (v->c_kvk) {
		snprintf(buf, sizeof buf, "KvK %s", v->c_kvk);
		y = block(c, c->regular, 8.5f, x, y, w, 11.5f, buf, 1);
	}
	if (v->c_vat) {
		snprintf(buf, sizeof buf, "Btw-id %s", v->c_vat);
		y = block(c, c->regular, 8.5f, x, y, w, 11.5f, buf, 1);
	}
	return y;
}

/* "Label:" in a fixed column, the wrapped value beside it; starts at c->y. */
static void labelled(struct ctx *c, const char *label, const char *value, int max_lines)
{
	const float lw = 96, size = 9.5f, lead = 12.5f;
	struct text t;
	layout(&t, c->regular, size, WIDTH - lw, value, max_lines);
	ensure(c, (float)t.n * lead + 4, 0);
	set_fill(c, MUTED);
	put(c, c->regular, size, LEFT, c->y - 10, lw, label, AL_LEFT);
	set_fill(c, INK);
	draw_text(c, &t, c->regular, size, LEFT + lw, c->y - 10, WIDTH - lw, lead, AL_LEFT);
	c->y -= (float)t.n * lead + 3;
}

/* The trade name (or legal name) large at the top left: 18 pt, smaller for a long name down
 * to 12 pt, and from there on two lines. */
static void brand_name(struct ctx *c)
{
	const float w = 300;
	char cp[SHORT_MAX + 1];
	size_t n = to_cp1252(brand(c->v), cp, sizeof cp, 0);
	float size = 18;
	while (size > 12 && text_width(c->bold, size, cp, n) > w)
		size -= 1;
	set_fill(c, ACCENT);
	block(c, c->bold, size, LEFT, TOP - 16, w, size + 2, brand(c->v), 2);
}

static void head(struct ctx *c)
{
	const struct view *v = c->v;
	char buf[3 * SHORT_MAX + 64], d[4][16];

	brand_name(c);
	float ys = supplier_block(c);
	float yc = customer_block(c);
	float y = (ys < yc ? ys : yc) - 26;

	set_fill(c, ACCENT);
	put(c, c->bold, 22, LEFT, y - 16, WIDTH, title(v), AL_LEFT);
	y -= 30;

	/* number and dates in four columns; the delivery date is always shown */
	const char *label[4], *value[4];
	int n = 0;
	fmt_date(v->issue_date, d[0], sizeof d[0]);
	label[n] = v->credit_note ? "Creditnotanummer" : "Factuurnummer";
	value[n++] = v->number;
	label[n] = v->credit_note ? "Creditnotadatum" : "Factuurdatum";
	value[n++] = d[0];
	if (v->supply_date) {
		fmt_date(v->supply_date, d[1], sizeof d[1]);
		label[n] = "Leverdatum";
		value[n++] = d[1];
	}
	if (v->credit_note) {
		label[n] = "Op factuur";
		value[n++] = v->credit_of_number;
	} else {
		fmt_date(v->due_date, d[2], sizeof d[2]);
		label[n] = "Vervaldatum";
		value[n++] = d[2];
	}
	hline(c, LEFT, RIGHT, y, 0.5f, RULE);
	for (int i = 0; i < n; i++) {
		float x = LEFT + (float)i * (WIDTH / 4);
		set_fill(c, MUTED);
		put(c, c->regular, 7.5f, x, y - 13, WIDTH / 4 - 8, label[i], AL_LEFT);
		set_fill(c, INK);
		put(c, c->bold, 10, x, y - 27, WIDTH / 4 - 8, value[i], AL_LEFT);
	}
	y -= 36;
	hline(c, LEFT, RIGHT, y, 0.5f, RULE);
	c->y = y - 8;

	if (v->credit_note) {
		fmt_date(v->credit_of_issue_date, d[3], sizeof d[3]);
		snprintf(buf, sizeof buf, "Creditnota op factuur %s van %s", v->credit_of_number,
		         d[3]);
		set_fill(c, INK);
		put(c, c->bold, 9.5f, LEFT, c->y - 10, WIDTH, buf, AL_LEFT);
		c->y -= 15.5f;
		if (v->reason)
			labelled(c, "Reden:", v->reason, 20);
	}
	if (v->description)
		labelled(c, "Betreft:", v->description, 4);
	snprintf(buf, sizeof buf, "%s %s%s%s", v->m_first, v->m_last, v->m_activity ? " — " : "",
	         v->m_activity ? v->m_activity : "");
	labelled(c, "Uitgevoerd door:", buf, 3);
	c->y -= 12;
}

/* ---- lines ----------------------------------------------------------------------------------- */

static void vat_cell(enum vat_cat cat, int64_t bp, char *out, size_t n)
{
	if (cat == CAT_E)
		snprintf(out, n, "vrijgesteld");
	else if (cat == CAT_AE)
		snprintf(out, n, "verlegd");
	else
		fmt_rate(bp, out, n);
}

static void lines(struct ctx *c)
{
	const json_t *arr = c->v->lines;
	const struct column *desc = &columns[0];
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *l = json_array_get(arr, i);
		struct text t;
		char qty[48], price[48], net[48], rate[24];
		enum vat_cat cat = CAT_S;

		layout(&t, c->regular, ROW_SIZE, desc->x1 - desc->x0 - 2 * CELL_PAD,
		       json_string_value(json_object_get(l, "description")), MAX_LINES);
		float h = (float)t.n * ROW_LEADING + 8;
		if (i == 0) { /* the header never stands alone at the foot of a page */
			ensure(c, HEADER_H + h, 0);
			table_header(c);
		}
		ensure(c, h, 1);

		fmt_quantity(json_string_value(json_object_get(l, "quantity")), qty, sizeof qty);
		fmt_money(json_integer_value(json_object_get(l, "unit_price_cents")), price,
		          sizeof price);
		fmt_money(json_integer_value(json_object_get(l, "net_cents")), net, sizeof net);
		vat_cat_parse(json_string_value(json_object_get(l, "vat_category")), &cat);
		vat_cell(cat, json_integer_value(json_object_get(l, "vat_rate_bp")), rate,
		         sizeof rate);
		const char *cells[NCOLUMNS] = {
		    NULL,  qty,  unit_name(json_string_value(json_object_get(l, "unit"))),
		    price, rate, net};

		float base = c->y - 12;
		set_fill(c, INK);
		draw_text(c, &t, c->regular, ROW_SIZE, cell_x(desc), base,
		          desc->x1 - desc->x0 - 2 * CELL_PAD, ROW_LEADING, AL_LEFT);
		for (size_t k = 1; k < NCOLUMNS; k++) {
			const struct column *col = &columns[k];
			put(c, c->regular, ROW_SIZE, cell_x(col), base,
			    col->x1 - col->x0 - 2 * CELL_PAD + 4, cells[k], col->al);
		}
		c->y -= h;
		hline(c, LEFT, RIGHT, c->y, 0.4f, RULE);
	}
}

/* ---- VAT breakdown, totals, notes ------------------------------------------------------------ */

static void vat_label(enum vat_cat cat, int64_t bp, char *out, size_t n)
{
	char r[24];
	if (cat == CAT_E) {
		snprintf(out, n, "Vrijgesteld");
	} else if (cat == CAT_AE) {
		snprintf(out, n, "Btw verlegd");
	} else {
		fmt_rate(bp, r, sizeof r);
		snprintf(out, n, "Btw %s", r);
	}
}

#define SUM_LEAD 14.0f

static void summary(struct ctx *c)
{
	const struct view *v = c->v;
	size_t nvat = json_array_size(v->vat);
	int ntot = v->paid ? 5 : 3;
	float vat_h = 12 + (float)nvat * SUM_LEAD;
	float tot_h = (float)ntot * SUM_LEAD + (v->paid ? 12 : 6);
	ensure(c, 18 + (vat_h > tot_h ? vat_h : tot_h), 0);
	c->y -= 18;

	/* the VAT breakdown, left */
	const float vx = LEFT, vg = LEFT + 168, vb = LEFT + 236;
	float y = c->y;
	char a[48], b[48], lab[40];
	set_fill(c, MUTED);
	put(c, c->bold, 7.5f, vx, y - 9, 90, "Btw-specificatie", AL_LEFT);
	put(c, c->bold, 7.5f, vg, y - 9, 80, "Grondslag", AL_RIGHT);
	put(c, c->bold, 7.5f, vb, y - 9, 60, "Btw", AL_RIGHT);
	hline(c, vx, vb, y - 13, 0.5f, RULE);
	y -= 9 + SUM_LEAD;
	set_fill(c, INK);
	for (size_t i = 0; i < nvat; i++) {
		const json_t *r = json_array_get(v->vat, i);
		enum vat_cat cat = CAT_S;
		vat_cat_parse(json_string_value(json_object_get(r, "vat_category")), &cat);
		vat_label(cat, json_integer_value(json_object_get(r, "vat_rate_bp")), lab,
		          sizeof lab);
		fmt_money(json_integer_value(json_object_get(r, "base_cents")), a, sizeof a);
		fmt_money(json_integer_value(json_object_get(r, "vat_cents")), b, sizeof b);
		put(c, c->regular, 9, vx, y, 90, lab, AL_LEFT);
		put(c, c->regular, 9, vg, y, 80, a, AL_RIGHT);
		put(c, c->regular, 9, vb, y, 60, b, AL_RIGHT);
		y -= SUM_LEAD;
	}

	/* the totals, right */
	const float tl = LEFT + 290, tr = RIGHT - CELL_PAD;
	y = c->y - 9;
	fmt_money(v->net, a, sizeof a);
	put(c, c->regular, 9.5f, tl, y, 110, "Totaal excl. btw", AL_LEFT);
	put(c, c->regular, 9.5f, tr, y, 90, a, AL_RIGHT);
	y -= SUM_LEAD;
	fmt_money(v->vat_total, a, sizeof a);
	put(c, c->regular, 9.5f, tl, y, 110, "Btw", AL_LEFT);
	put(c, c->regular, 9.5f, tr, y, 90, a, AL_RIGHT);
	hline(c, tl, RIGHT, y - 5, 0.8f, ACCENT);
	y -= SUM_LEAD + 3;
	fmt_money(v->gross, a, sizeof a);
	put(c, c->bold, 10.5f, tl, y, 110, "Totaal incl. btw", AL_LEFT);
	put(c, c->bold, 10.5f, tr, y, 90, a, AL_RIGHT);
	if (v->paid) {
		y -= SUM_LEAD + 3;
		fmt_money(v->paid, a, sizeof a);
		put(c, c->regular, 9.5f, tl, y, 110, "Reeds betaald", AL_LEFT);
		put(c, c->regular, 9.5f, tr, y, 90, a, AL_RIGHT);
		hline(c, tl, RIGHT, y - 5, 0.5f, RULE);
		y -= SUM_LEAD + 3;
		fmt_money(v->open, a, sizeof a);
		put(c, c->bold, 10.5f, tl, y, 110, "Te betalen", AL_LEFT);
		put(c, c->bold, 10.5f, tr, y, 90, a, AL_RIGHT);
	}
	c->y -= vat_h > tot_h ? vat_h : tot_h;
}

/* A note paragraph over the full width, moved to the next page whole when it does not fit. */
static void note(struct ctx *c, HPDF_Font f, const char *utf8)
{
	const float size = 9, lead = 12;
	struct text t;
	layout(&t, f, size, WIDTH, utf8, MAX_LINES);
	ensure(c, (float)t.n * lead + 4, 0);
	set_fill(c, INK);
	draw_text(c, &t, f, size, LEFT, c->y - 10, WIDTH, lead, AL_LEFT);
	c->y -= (float)t.n * lead + 4;
}

static void notes(struct ctx *c)
{
	const struct view *v = c->v;
	char buf[3 * SHORT_MAX + 256], amount[48], iban[CODE_MAX * 2], due[16];

	c->y -= 16;
	if (v->kor)
		note(c, c->regular,
		     "Vrijgesteld van btw op grond van de kleineondernemersregeling (KOR).");
	else if (v->any_e)
		note(c, c->regular,
		     "Vrijgesteld van btw op grond van artikel 11 van de Wet op de omzetbelasting "
		     "1968.");
	if (v->any_ae) {
		snprintf(buf, sizeof buf, "Btw verlegd. Btw-id afnemer: %s.", v->c_vat);
		note(c, c->bold, buf);
	}

	/* the payment instruction, in a shaded box */
	if (v->open > 0) {
		fmt_money(v->open, amount, sizeof amount);
		fmt_date(v->due_date, due, sizeof due);
		fmt_iban(v->s_iban, iban, sizeof iban);
		snprintf(
		    buf, sizeof buf,
		    "Gelieve %s vóór %s over te maken op %s t.n.v. %s onder vermelding van %s.",
		    amount, due, iban, v->s_legal,
		    v->payment_reference ? v->payment_reference : v->number);
	} else if (v->open < 0) {
		fmt_money(-v->open, amount, sizeof amount);
		snprintf(buf, sizeof buf,
		         "Het bedrag van %s wordt verrekend of naar u overgemaakt.", amount);
	} else {
		snprintf(buf, sizeof buf, "%s is volledig betaald.",
		         v->credit_note ? "Deze creditnota" : "Deze factuur");
	}
	const float size = 9.5f, lead = 13, pad = 9;
	struct text t;
	layout(&t, c->regular, size, WIDTH - 2 * pad, buf, MAX_LINES);
	float h = (float)t.n * lead + 2 * pad - 3;
	ensure(c, h + 10, 0);
	c->y -= 8;
	fill_rect(c, LEFT, c->y - h, WIDTH, h, SHADE);
	set_fill(c, INK);
	draw_text(c, &t, c->regular, size, LEFT + pad, c->y - pad - 7, WIDTH - 2 * pad, lead,
	          AL_LEFT);
	c->y -= h;
}

static void footers(struct ctx *c)
{
	const struct view *v = c->v;
	char line[2 * SHORT_MAX + 160], iban[CODE_MAX * 2], page[48];
	int o;

	fmt_iban(v->s_iban, iban, sizeof iban);
	o = snprintf(line, sizeof line, "%s · KvK %s", v->s_legal, v->s_kvk);
	if (v->s_vat)
		o += snprintf(line + o, sizeof line - (size_t)o, " · Btw-id %s", v->s_vat);
	snprintf(line + o, sizeof line - (size_t)o, " · IBAN %s", iban);
	for (unsigned i = 0; i < c->npages; i++) {
		c->page = HPDF_GetPageByIndex(c->pdf, i);
		hline(c, LEFT, RIGHT, FOOTER_Y + 12, 0.5f, RULE);
		set_fill(c, MUTED);
		put(c, c->regular, 7, LEFT, FOOTER_Y, WIDTH - 80, line, AL_LEFT);
		snprintf(page, sizeof page, "Pagina %u van %u", i + 1, c->npages);
		put(c, c->regular, 7.5f, RIGHT, FOOTER_Y, 80, page, AL_RIGHT);
	}
}

/* ---- the document ---------------------------------------------------------------------------- */

static void draw(struct ctx *c)
{
	char title_cp[CODE_MAX + 1];
	HPDF_SetCompressionMode(c->pdf, HPDF_COMP_ALL);
	to_cp1252(c->v->number, title_cp, sizeof title_cp, 0);
	HPDF_SetInfoAttr(c->pdf, HPDF_INFO_TITLE, title_cp);
	HPDF_SetInfoAttr(c->pdf, HPDF_INFO_CREATOR, "coopd");
	c->regular = HPDF_GetFont(c->pdf, "Helvetica", "WinAnsiEncoding");
	c->bold = HPDF_GetFont(c->pdf, "Helvetica-Bold", "WinAnsiEncoding");

	start_page(c);
	head(c);
	lines(c);
	summary(c);
	notes(c);
	footers(c);
}

/* Copies the saved document out of libharu's memory stream into c->out. */
static void save(struct ctx *c)
{
	step(c);
	HPDF_SaveToStream(c->pdf);
	HPDF_UINT32 size = HPDF_GetStreamSize(c->pdf), got = 0;
	if (HPDF_GetError(c->pdf) != HPDF_OK || size == 0) {
		c->failed = 1;
		return;
	}
	c->out = malloc(size);
	if (!c->out) {
		c->failed = 2;
		return;
	}
	HPDF_ResetStream(c->pdf);
	while (got < size) {
		HPDF_UINT32 n = size - got;
		HPDF_STATUS st = HPDF_ReadFromStream(c->pdf, c->out + got, &n);
		got += n;
		if (n == 0 || (st != HPDF_OK && st != HPDF_STREAM_EOF))
			break;
	}
	if (got != size) {
		c->failed = 1;
		return;
	}
	c->out_len = size;
}

/* Everything that can longjmp happens here; c is on the heap, so its fields survive it. */
static void run(struct ctx *c)
{
	if (setjmp(c->jump) == 0) {
		c->pdf = HPDF_New(on_error, c);
		if (!c->pdf) {
			c->failed = 2;
			return;
		}
		draw(c);
		if (HPDF_GetError(c->pdf) != HPDF_OK)
			c->failed = 1;
		else
			save(c);
	} else {
		c->failed = 1;
	}
	if (c->failed) {
		free(c->out);
		c->out = NULL;
	}
	HPDF_Free(c->pdf);
	c->pdf = NULL;
}

static unsigned char *render(const json_t *doc, size_t *len, char *err, size_t errlen,
                             long fail_step)
{
	struct errbuf e = {err, errlen};
	struct view v;
	unsigned char *out = NULL;

	if (err && errlen)
		err[0] = '\0';
	if (!len) {
		bad(&e, "len: NULL");
		return NULL;
	}
	*len = 0;
	if (parse(&e, doc, &v) != 0)
		return NULL;
	struct ctx *c = calloc(1, sizeof *c);
	if (!c) {
		bad(&e, "out of memory");
		return NULL;
	}
	c->v = &v;
	c->fail_step = fail_step;
	run(c);
	if (c->failed == 2)
		bad(&e, "out of memory");
	else if (c->failed)
		bad(&e, "pdf: libharu error 0x%04X (detail %u)", (unsigned)c->error,
		    (unsigned)c->detail);
	else {
		out = c->out;
		*len = c->out_len;
	}
	free(c);
	return out;
}

unsigned char *pdf_render(const json_t *doc, size_t *len, char *err, size_t errlen)
{
	return render(doc, len, err, errlen, -1);
}

unsigned char *pdf_render_failing_at(const json_t *doc, size_t *len, char *err, size_t errlen,
                                     long step)
{
	return render(doc, len, err, errlen, step < 0 ? -1 : step);
}
