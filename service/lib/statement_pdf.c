/* The member's monthly statement as a PDF (see statement_pdf.h).
 *
 * Two phases, as for the invoice: read_statement() checks the JSON document into a struct statement
 * of borrowed texts and integers (nothing is drawn until all of it is known to be good), then
 * draw() lays the page out with the drawing layer (pdfdraw.h). Integer arithmetic for money;
 * floats only for coordinates. */
#include "statement_pdf.h"

#include "errbuf.h"
#include "field.h"
#include "parse.h"
#include "pdfdraw.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_SHORT 200 /* names, address parts */
#define TEXT_LONG  500 /* the reason of a correction */

enum basis { BASIS_WORK, BASIS_INVOICE, BASIS_PAYMENT };
static const char *const bases[] = {"work_period", "invoice_date", "payment_date"};
enum cost_mode { COSTS_NONE, COSTS_APPROVED, COSTS_FLAT };
static const char *const cost_modes[] = {"none", "approved_costs", "flat_rate"};
enum kind { KIND_INVOICE, KIND_CREDIT_NOTE, KIND_PAYMENT };
static const char *const kinds[] = {"invoice", "credit_note", "payment"};

struct entry {
	const char *number, *date, *customer;
	enum kind kind;
	int64_t cents;
};

/* A month of the year so far: its current row's figures, if it has a row. */
struct month {
	int has, final;
	int64_t turnover, base, tax, net, exemption, settle;
};

struct statement {
	const char *period, *made_on;
	int year, month; /* of period */
	const char *legal_name, *trade_name, *kvk, *street, *house_number, *postal_code, *city,
	    *email;
	const char *first_name, *last_name, *reference, *muni_code, *muni_name;
	/* the row */
	int64_t version; /* 0: a draft */
	int final, stale, settles;
	enum basis basis;
	enum cost_mode cost_mode;
	const char *business_hours, *correction_reason, *finalized_at, *calculated_at;
	int64_t turnover, fee, fee_deducted, costs, base, tax, net, exemption, premium, settle;
	const char *warnings[STATEMENT_WARNINGS_MAX];
	size_t nwarnings;
	/* what counted */
	struct entry docs[STATEMENT_DOCUMENTS_MAX];
	size_t ndocs;
	int64_t more_docs, docs_sum;
	struct month months[12]; /* January .. month */
};

/* ---- reading and checking the document ------------------------------------------------------- */

static int money(struct errbuf *e, const json_t *o, const char *where, const char *key,
                 int64_t *out)
{
	return field_req_int(e, o, where, key, STATEMENT_MONEY_MAX, out);
}

/* An optional timestamp (RFC 3339): its date part must be a date. */
static int opt_stamp(struct errbuf *e, const json_t *o, const char *where, const char *key,
                     const char **out)
{
	char day[11];
	if (field_opt_text(e, o, where, key, FIELD_CODE_MAX, out) != 0)
		return -1;
	if (*out && (strlen(*out) < 10 ||
	             (memcpy(day, *out, 10), day[10] = '\0', parse_date(day, NULL) != 0)))
		return errbuf_set(e, "%s.%s: not a timestamp", where, key);
	return 0;
}

static int read_parties(struct errbuf *e, const json_t *json, struct statement *s)
{
	const json_t *c = json_object_get(json, "cooperative"),
	             *m = json_object_get(json, "member");
	if (!json_is_object(c))
		return errbuf_set(e, "cooperative: not an object");
	if (!json_is_object(m))
		return errbuf_set(e, "member: not an object");
	if (field_req_text(e, c, "cooperative", "legal_name", TEXT_SHORT, &s->legal_name) != 0 ||
	    field_opt_text(e, c, "cooperative", "trade_name", TEXT_SHORT, &s->trade_name) != 0 ||
	    field_req_text(e, c, "cooperative", "kvk_number", FIELD_CODE_MAX, &s->kvk) != 0 ||
	    field_opt_text(e, c, "cooperative", "street", TEXT_SHORT, &s->street) != 0 ||
	    field_opt_text(e, c, "cooperative", "house_number", FIELD_CODE_MAX, &s->house_number) !=
	        0 ||
	    field_opt_text(e, c, "cooperative", "postal_code", FIELD_CODE_MAX, &s->postal_code) !=
	        0 ||
	    field_opt_text(e, c, "cooperative", "city", TEXT_SHORT, &s->city) != 0 ||
	    field_opt_text(e, c, "cooperative", "email", TEXT_SHORT, &s->email) != 0)
		return -1;
	if (field_req_text(e, m, "member", "first_name", TEXT_SHORT, &s->first_name) != 0 ||
	    field_req_text(e, m, "member", "last_name", TEXT_SHORT, &s->last_name) != 0 ||
	    field_opt_text(e, m, "member", "municipal_reference", FIELD_CODE_MAX, &s->reference) !=
	        0 ||
	    field_opt_text(e, m, "member", "municipality_code", FIELD_CODE_MAX, &s->muni_code) !=
	        0 ||
	    field_opt_text(e, m, "member", "municipality_name", TEXT_SHORT, &s->muni_name) != 0)
		return -1;
	return 0;
}

static int read_enum(struct errbuf *e, const json_t *o, const char *where, const char *key,
                     const char *const *names, int n, int *out)
{
	const char *v;
	if (field_req_text(e, o, where, key, FIELD_CODE_MAX, &v) != 0)
		return -1;
	if ((*out = field_lookup(v, names, n)) < 0)
		return errbuf_set(e, "%s.%s: unknown", where, key);
	return 0;
}

static int read_row(struct errbuf *e, const json_t *json, struct statement *s)
{
	const json_t *r = json_object_get(json, "row"), *v;
	const char *status;
	int basis, mode;
	if (!json_is_object(r))
		return errbuf_set(e, "row: not an object");
	v = json_object_get(r, "version");
	s->version = 0;
	if (v && !json_is_null(v)) {
		if (field_req_int(e, r, "row", "version", 1000000, &s->version) != 0)
			return -1;
		if (s->version < 1)
			return errbuf_set(e, "row.version: not from 1");
	}
	if (field_req_text(e, r, "row", "status", FIELD_CODE_MAX, &status) != 0)
		return -1;
	s->final = strcmp(status, "final") == 0;
	if (!s->final && strcmp(status, "draft") != 0)
		return errbuf_set(e, "row.status: not draft or final");
	if (s->final != (s->version >= 1))
		return errbuf_set(e, "row.version: a final row has a version from 1, a draft none");
	if (field_bool(e, r, "row", "stale", 1, &s->stale) != 0 ||
	    field_bool(e, r, "row", "settles_with_municipality", 0, &s->settles) != 0 ||
	    read_enum(e, r, "row", "income_basis", bases, 3, &basis) != 0 ||
	    read_enum(e, r, "row", "cost_mode", cost_modes, 3, &mode) != 0 ||
	    field_opt_text(e, r, "row", "business_hours", FIELD_CODE_MAX, &s->business_hours) !=
	        0 ||
	    field_opt_text(e, r, "row", "correction_reason", TEXT_LONG, &s->correction_reason) !=
	        0 ||
	    opt_stamp(e, r, "row", "finalized_at", &s->finalized_at) != 0 ||
	    opt_stamp(e, r, "row", "calculated_at", &s->calculated_at) != 0)
		return -1;
	s->basis = (enum basis)basis;
	s->cost_mode = (enum cost_mode)mode;
	if (s->stale && !s->final)
		return errbuf_set(e, "row.stale: a draft is never stale");
	if (s->business_hours &&
	    parse_decimal(s->business_hours, 2, INT64_C(100000000), 0, NULL) != 0)
		return errbuf_set(e, "row.business_hours: not a decimal");
	if (s->final && !s->finalized_at)
		return errbuf_set(e, "row.finalized_at: missing");
	if (money(e, r, "row", "turnover_cents", &s->turnover) != 0 ||
	    money(e, r, "row", "fee_cents", &s->fee) != 0 ||
	    money(e, r, "row", "fee_deducted_cents", &s->fee_deducted) != 0 ||
	    money(e, r, "row", "costs_cents", &s->costs) != 0 ||
	    money(e, r, "row", "base_cents", &s->base) != 0 ||
	    money(e, r, "row", "tax_reservation_cents", &s->tax) != 0 ||
	    money(e, r, "row", "net_income_cents", &s->net) != 0 ||
	    money(e, r, "row", "exemption_cents", &s->exemption) != 0 ||
	    money(e, r, "row", "premium_cents", &s->premium) != 0 ||
	    money(e, r, "row", "amount_to_settle_cents", &s->settle) != 0)
		return -1;
	const json_t *w = json_object_get(r, "warnings");
	if (!json_is_array(w))
		return errbuf_set(e, "row.warnings: not an array");
	if (json_array_size(w) > STATEMENT_WARNINGS_MAX)
		return errbuf_set(e, "row.warnings: more than %d", STATEMENT_WARNINGS_MAX);
	for (size_t i = 0; i < json_array_size(w); i++) {
		const json_t *x = json_array_get(w, i);
		const char *code = json_string_value(x);
		if (!code || !*code || strlen(code) > FIELD_CODE_MAX ||
		    code[strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789_")] != '\0')
			return errbuf_set(e, "row.warnings[%zu]: not a code", i);
		s->warnings[s->nwarnings++] = code;
	}
	return 0;
}

/* The figures the page prints must agree (SPEC §6.3). */
static int check_row(struct errbuf *e, const struct statement *s)
{
	int64_t rest = s->turnover - s->costs - s->fee_deducted;
	if (s->fee < 0 || s->costs < 0 || s->tax < 0 || s->exemption < 0 || s->premium < 0)
		return errbuf_set(e,
		                  "row: a negative fee, cost, reservation, exemption or premium");
	if (s->fee_deducted != 0 && s->fee_deducted != s->fee)
		return errbuf_set(e, "row.fee_deducted_cents: neither 0 nor the fee");
	if (s->base != (rest > 0 ? rest : 0))
		return errbuf_set(e, "row.base_cents: not max(0, turnover - costs - fee deducted)");
	if (s->net != s->base - s->tax || s->net < 0)
		return errbuf_set(e, "row.net_income_cents: not base - tax reservation");
	if (s->settles ? s->settle != s->net - s->exemption || s->settle < 0
	               : s->settle != 0 || s->exemption != 0)
		return errbuf_set(e, "row.amount_to_settle_cents: not net income - exemption");
	return 0;
}

static int read_documents(struct errbuf *e, const json_t *json, struct statement *s)
{
	const json_t *a = json_object_get(json, "documents"), *more;
	char w[48];
	if (!json_is_array(a))
		return errbuf_set(e, "documents: not an array");
	if (json_array_size(a) > STATEMENT_DOCUMENTS_MAX)
		return errbuf_set(e, "documents: more than %d entries", STATEMENT_DOCUMENTS_MAX);
	for (size_t i = 0; i < json_array_size(a); i++) {
		const json_t *o = json_array_get(a, i);
		struct entry *d = &s->docs[i];
		int kind;
		snprintf(w, sizeof w, "documents[%zu]", i);
		if (!json_is_object(o))
			return errbuf_set(e, "%s: not an object", w);
		if (field_req_text(e, o, w, "number", FIELD_CODE_MAX, &d->number) != 0 ||
		    read_enum(e, o, w, "kind", kinds, 3, &kind) != 0 ||
		    field_opt_date(e, o, w, "date", &d->date, NULL) != 0 ||
		    field_opt_text(e, o, w, "customer", TEXT_SHORT, &d->customer) != 0 ||
		    money(e, o, w, "counted_cents", &d->cents) != 0)
			return -1;
		if (!d->date)
			return errbuf_set(e, "%s.date: missing", w);
		d->kind = (enum kind)kind;
		if ((d->kind == KIND_PAYMENT) != (s->basis == BASIS_PAYMENT))
			return errbuf_set(e, "%s.kind: %s on the %s basis", w, kinds[kind],
			                  bases[s->basis]);
		s->docs_sum += d->cents;
	}
	s->ndocs = json_array_size(a);
	more = json_object_get(json, "more_documents");
	s->more_docs = 0;
	if (more && !json_is_null(more) &&
	    field_req_int(e, json, "statement", "more_documents", INT64_C(1000000000),
	                  &s->more_docs) != 0)
		return -1;
	if (s->more_docs < 0)
		return errbuf_set(e, "statement.more_documents: negative");
	return 0;
}

/* The year: January up to the month, in order, each month's bar in non-negative parts, and the
 * month itself as the row says. */
static int read_year(struct errbuf *e, const json_t *json, struct statement *s)
{
	const json_t *a = json_object_get(json, "year");
	char w[24];
	if (!json_is_array(a))
		return errbuf_set(e, "year: not an array");
	if (json_array_size(a) != (size_t)s->month)
		return errbuf_set(e, "year: not one entry per month from January to %s", s->period);
	for (int i = 0; i < s->month; i++) {
		const json_t *o = json_array_get(a, (size_t)i);
		struct month *m = &s->months[i];
		const char *period, *status;
		char expect[24];
		snprintf(w, sizeof w, "year[%d]", i);
		snprintf(expect, sizeof expect, "%04d-%02d", s->year, i + 1);
		if (!json_is_object(o))
			return errbuf_set(e, "%s: not an object", w);
		if (field_req_text(e, o, w, "period", FIELD_CODE_MAX, &period) != 0 ||
		    field_opt_text(e, o, w, "status", FIELD_CODE_MAX, &status) != 0)
			return -1;
		if (strcmp(period, expect) != 0)
			return errbuf_set(e, "%s.period: not %s", w, expect);
		if (!status)
			continue;
		m->has = 1;
		m->final = strcmp(status, "final") == 0;
		if (!m->final && strcmp(status, "draft") != 0)
			return errbuf_set(e, "%s.status: not draft or final", w);
		if (money(e, o, w, "turnover_cents", &m->turnover) != 0 ||
		    money(e, o, w, "base_cents", &m->base) != 0 ||
		    money(e, o, w, "tax_reservation_cents", &m->tax) != 0 ||
		    money(e, o, w, "net_income_cents", &m->net) != 0 ||
		    money(e, o, w, "exemption_cents", &m->exemption) != 0 ||
		    money(e, o, w, "amount_to_settle_cents", &m->settle) != 0)
			return -1;
		if (m->base < 0 || m->tax < 0 || m->exemption < 0 || m->settle < 0 ||
		    m->base != m->tax + m->net || m->net < m->exemption + m->settle ||
		    m->base > (m->turnover > 0 ? m->turnover : 0))
			return errbuf_set(e, "%s: the parts of the month do not add up", w);
	}
	const struct month *last = &s->months[s->month - 1];
	if (!last->has || last->final != s->final || last->turnover != s->turnover ||
	    last->base != s->base || last->tax != s->tax || last->net != s->net ||
	    last->exemption != s->exemption || last->settle != s->settle)
		return errbuf_set(e, "year[%d]: not the row of %s", s->month - 1, s->period);
	return 0;
}

static int read_statement(struct errbuf *e, const json_t *json, struct statement *s)
{
	char first[11];
	if (!json_is_object(json))
		return errbuf_set(e, "statement: not an object");
	if (field_req_text(e, json, "statement", "period", FIELD_CODE_MAX, &s->period) != 0)
		return -1;
	if (parse_month(s->period, strlen(s->period), first) != 0)
		return errbuf_set(e, "statement.period: not a month (YYYY-MM)");
	s->year = atoi(s->period);
	s->month = atoi(s->period + 5);
	if (field_opt_date(e, json, "statement", "made_on", &s->made_on, NULL) != 0)
		return -1;
	if (!s->made_on)
		return errbuf_set(e, "statement.made_on: missing");
	if (read_parties(e, json, s) != 0 || read_row(e, json, s) != 0 || check_row(e, s) != 0 ||
	    read_documents(e, json, s) != 0 || read_year(e, json, s) != 0)
		return -1;
	return 0;
}

/* ---- words ----------------------------------------------------------------------------------- */

static const char *const month_names[12] = {"januari",   "februari", "maart",    "april",
                                            "mei",       "juni",     "juli",     "augustus",
                                            "september", "oktober",  "november", "december"};
static const char *const month_short[12] = {"jan", "feb", "mrt", "apr", "mei", "jun",
                                            "jul", "aug", "sep", "okt", "nov", "dec"};

static const struct statement *doc_of(const struct pd *c)
{
	return c->doc;
}

/* "november 2026" */
static void month_words(const struct statement *s, char *out, size_t n)
{
	snprintf(out, n, "%s %d", month_names[s->month - 1], s->year);
}

static const char *warning_words(const char *code)
{
	static const char *const words[][2] = {
	    {"permission_expires_within_60_days",
	     "De toestemming van de gemeente loopt binnen 60 dagen af."},
	    {"hours_criterion_80_percent",
	     "De uren als ondernemer dit jaar hebben 80% van het urencriterium bereikt."},
	    {"no_turnover_3_months", "Drie maanden achter elkaar geen omzet."},
	    {"rate_floor_overridden",
	     "Er telt een factuur mee met een tarief onder het minimumtarief van de coöperatie."},
	    {"turnover_without_permission",
	     "Omzet in een maand zonder toestemming van de gemeente."},
	    {"single_customer",
	     "Ten minste 90% van de omzet van de afgelopen 12 maanden kwam van één opdrachtgever."},
	};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(code, words[i][0]) == 0)
			return words[i][1];
	return code; /* a signal this renderer does not know yet shows as its code */
}

/* A decimal "12.5" of hours as "12,5". */
static void hours_words(const char *h, char *out, size_t n)
{
	snprintf(out, n, "%s uur", h ? h : "0");
	for (char *p = out; *p; p++)
		if (*p == '.')
			*p = ',';
}

/* Cents as whole euros for a narrow label: "287", "12345", above that "123k", "4567M". */
static void euros_short(int64_t cents, const char *suffix, char *out, size_t n)
{
	int64_t e = cents / 100;
	if (e < 100000 && e > -100000)
		snprintf(out, n, "%" PRId64 "%s", e, suffix);
	else if (e < 100000000 && e > -100000000)
		snprintf(out, n, "%" PRId64 "k%s", e / 1000, suffix);
	else
		snprintf(out, n, "%" PRId64 "M%s", e / 1000000, suffix);
}

/* ---- the page -------------------------------------------------------------------------------- */

static const struct pd_rgb BAR_COSTS = {0.72f, 0.74f, 0.77f};
static const struct pd_rgb BAR_TAX = {0.93f, 0.74f, 0.42f};
static const struct pd_rgb BAR_EXEMPT = {0.42f, 0.68f, 0.47f};
static const struct pd_rgb BAR_KEPT = {0.62f, 0.77f, 0.91f};
static const struct pd_rgb WARN_SHADE = {0.99f, 0.95f, 0.86f};

static void continuation(struct pd *c)
{
	const struct statement *s = doc_of(c);
	char m[32];
	month_words(s, m, sizeof m);
	snprintf(c->fmt[0], FMT_CAP, "Inkomstenopgave %s · %s %s (vervolg)", m, s->first_name,
	         s->last_name);
	pd_set_fill(c, PD_ACCENT);
	pd_put_whole(c, c->bold, 10, LEFT, TOP - 10, WIDTH, c->fmt[0], PD_LEFT);
	pd_hline(c, LEFT, RIGHT, TOP - 20, 0.5f, PD_RULE);
	c->y = TOP - 34;
}

/* A section title with a rule under it; keeps `need` points below it on the same page. */
static void section(struct pd *c, const char *title, float need)
{
	pd_ensure(c, 28 + need);
	c->y -= 10;
	pd_set_fill(c, PD_ACCENT);
	pd_put(c, c->bold, 11, LEFT, c->y - 10, WIDTH, title, PD_LEFT);
	pd_hline(c, LEFT, RIGHT, c->y - 14, 0.8f, PD_ACCENT);
	c->y -= 20;
}

/* A paragraph in a shaded box over the full width. */
static void boxed(struct pd *c, const struct pd_face *f, struct pd_rgb shade, const char *utf8)
{
	const float size = 9.5f, lead = 13, pad = 8;
	pd_layout(c, &c->blk, f, size, WIDTH - 2 * pad, utf8, 12);
	float h = (float)c->blk.n * lead + 2 * pad - 3;
	pd_ensure(c, h + 8);
	pd_fill_rect(c, LEFT, c->y - h, WIDTH, h, shade);
	pd_set_fill(c, PD_INK);
	pd_draw_text(c, &c->blk, f, size, LEFT + pad, c->y - pad - 7, lead, PD_LEFT);
	c->y -= h + 6;
}

static float cooperative_block(struct pd *c)
{
	const struct statement *s = doc_of(c);
	const float x = LEFT + 318, w = RIGHT - x, size = 8.5f, lead = 11.5f;
	char *buf = c->fmt[1];
	float y = TOP - 8;
	pd_set_fill(c, PD_INK);
	y = pd_block(c, c->bold, size, x, y, w, lead, s->legal_name, 3);
	if (s->street) {
		snprintf(buf, FMT_CAP, "%s%s%s", s->street, s->house_number ? " " : "",
		         s->house_number ? s->house_number : "");
		y = pd_block(c, c->regular, size, x, y, w, lead, buf, 2);
	}
	if (s->postal_code || s->city) {
		snprintf(buf, FMT_CAP, "%s  %s", s->postal_code ? s->postal_code : "",
		         s->city ? s->city : "");
		y = pd_block(c, c->regular, size, x, y, w, lead, buf, 2);
	}
	snprintf(buf, FMT_CAP, "KvK %s", s->kvk);
	y = pd_block(c, c->regular, size, x, y, w, lead, buf, 1);
	if (s->email)
		y = pd_block(c, c->regular, size, x, y, w, lead, s->email, 1);
	return y;
}

/* Label over value, in n columns of a grid row; column i takes share[i] of the width, and its
 * value shows whole (in a smaller size when it must). */
static void grid_row(struct pd *c, const char *const *label, const char *const *value,
                     const float *share, int n)
{
	float x = LEFT;
	for (int i = 0; i < n; i++) {
		float w = WIDTH * share[i];
		pd_set_fill(c, PD_MUTED);
		pd_put(c, c->regular, 7.5f, x, c->y - 10, w - 10, label[i], PD_LEFT);
		pd_set_fill(c, PD_INK);
		pd_put_whole(c, c->bold, 10, x, c->y - 23, w - 10, value[i], PD_LEFT);
		x += w;
	}
	c->y -= 31;
}

static void head(struct pd *c)
{
	const struct statement *s = doc_of(c);
	char m[32], name[4 * 2 * TEXT_SHORT + 8], muni[4 * TEXT_SHORT + 80], version[96], day[16];

	/* the title left, the cooperative (the legal entity that makes the statement) right */
	float yc = cooperative_block(c);
	month_words(s, m, sizeof m);
	snprintf(c->fmt[0], FMT_CAP, "Inkomstenopgave %s", m);
	pd_set_fill(c, PD_ACCENT);
	pd_put_whole(c, c->bold, 18, LEFT, TOP - 16, 300, c->fmt[0], PD_LEFT);
	pd_set_fill(c, PD_MUTED);
	pd_block(
	    c, c->regular, 8.5f, LEFT, TOP - 31, 290, 11,
	    "Inkomsten uit parttime ondernemen via de coöperatie (omzet minus kosten), voor de "
	    "verrekening met de uitkering",
	    2);
	c->y = (yc < TOP - 56 ? yc : TOP - 56) - 8;
	pd_hline(c, LEFT, RIGHT, c->y, 0.5f, PD_RULE);

	snprintf(name, sizeof name, "%s %s", s->first_name, s->last_name);
	if (!s->settles)
		snprintf(muni, sizeof muni, "geen (geen uitkering)");
	else if (s->muni_name)
		snprintf(muni, sizeof muni, "%s (%s)", s->muni_name,
		         s->muni_code ? s->muni_code : "");
	else
		snprintf(muni, sizeof muni, "%s", s->muni_code ? s->muni_code : "—");
	if (s->final)
		snprintf(version, sizeof version, "%" PRId64 " · definitief", s->version);
	else
		snprintf(version, sizeof version, "concept");
	if (s->final)
		pd_date(s->finalized_at, day, sizeof day);
	else
		snprintf(day, sizeof day, "nog niet");
	static const char *const basis_words[] = {"leverdatum (werkperiode)", "factuurdatum",
	                                          "ontvangstdatum van de betaling"};
	char hours[FIELD_CODE_MAX + 8];
	hours_words(s->business_hours, hours, sizeof hours);
	const char *l1[] = {"Deelnemer", "Kenmerk gemeente", "Verrekent met gemeente"};
	const char *v1[] = {name, s->reference ? s->reference : "—", muni};
	const char *l2[] = {"Maand", "Versie", "Vastgesteld op", "Uren als ondernemer"};
	const char *v2[] = {m, version, day, hours};
	c->y -= 2;
	static const float share1[] = {0.42f, 0.22f, 0.36f},
	                   share2[] = {0.25f, 0.25f, 0.25f, 0.25f};
	grid_row(c, l1, v1, share1, 3);
	grid_row(c, l2, v2, share2, 4);
	pd_set_fill(c, PD_MUTED);
	snprintf(c->fmt[0], FMT_CAP, "Inkomsten tellen mee in de maand van de %s.",
	         basis_words[s->basis]);
	pd_put(c, c->regular, 8, LEFT, c->y - 5, WIDTH, c->fmt[0], PD_LEFT);
	c->y -= 11;
	pd_hline(c, LEFT, RIGHT, c->y, 0.5f, PD_RULE);
	c->y -= 4;
}

static void notices(struct pd *c)
{
	const struct statement *s = doc_of(c);
	char *buf = c->fmt[2], a[48], b[48];
	if (!s->final)
		boxed(c, c->bold, WARN_SHADE,
		      "Concept: deze maand is nog niet vastgesteld. De bedragen kunnen nog "
		      "veranderen.");
	if (s->stale) {
		snprintf(buf, FMT_CAP,
		         "Let op: na de vaststelling zijn gegevens van deze maand gewijzigd. Deze "
		         "opgave toont versie %" PRId64 "; de coöperatie stelt een correctie vast.",
		         s->version);
		boxed(c, c->bold, WARN_SHADE, buf);
	}
	if (s->final && s->version > 1 && s->correction_reason) {
		snprintf(buf, FMT_CAP, "Correctie van versie %" PRId64 ": %s", s->version - 1,
		         s->correction_reason);
		boxed(c, c->regular, PD_SHADE, buf);
	}
	if (s->more_docs == 0 && s->docs_sum != s->turnover) {
		pd_money(s->docs_sum, a, sizeof a);
		pd_money(s->turnover, b, sizeof b);
		snprintf(
		    buf, FMT_CAP,
		    "De documenten hieronder tellen op tot %s; de omzet van deze versie is %s. De "
		    "coöperatie stelt een correctie vast.",
		    a, b);
		boxed(c, c->bold, WARN_SHADE, buf);
	}
}

/* ---- what counted ---------------------------------------------------------------------------- */

#define ROW_H 14.0f
static const float doc_x[] = {LEFT, LEFT + 112, LEFT + 182, LEFT + 252, RIGHT - 96, RIGHT};

static void documents_header(struct pd *c)
{
	const struct statement *s = doc_of(c);
	static const char *const date_words[] = {"Leverdatum", "Factuurdatum", "Ontvangen op"};
	const char *h[] = {"Nummer", "Soort", date_words[s->basis], "Klant", "Telt mee"};
	pd_fill_rect(c, LEFT, c->y - 18, WIDTH, 18, PD_SHADE);
	pd_set_fill(c, PD_INK);
	for (int i = 0; i < 5; i++) {
		if (i == 4)
			pd_put(c, c->bold, 7.5f, doc_x[5] - 5, c->y - 12, 90, h[i], PD_RIGHT);
		else
			pd_put(c, c->bold, 7.5f, doc_x[i] + 5, c->y - 12,
			       doc_x[i + 1] - doc_x[i] - 8, h[i], PD_LEFT);
	}
	c->y -= 18;
}

static void documents(struct pd *c)
{
	const struct statement *s = doc_of(c);
	static const char *const kind_words[] = {"Factuur", "Creditnota", "Betaling"};
	char day[16], a[48];

	section(c,
	        s->basis == BASIS_PAYMENT ? "Ontvangen betalingen die meetellen"
	                                  : "Facturen en creditnota's die meetellen",
	        18 + ROW_H * (s->ndocs ? 2 : 1));
	if (s->ndocs == 0 && s->more_docs == 0) {
		pd_set_fill(c, PD_INK);
		pd_put(c, c->regular, 9, LEFT, c->y - 10, WIDTH,
		       s->basis == BASIS_PAYMENT ? "Geen betalingen ontvangen in deze maand."
		                                 : "Geen facturen of creditnota's in deze maand.",
		       PD_LEFT);
		c->y -= ROW_H;
	} else {
		documents_header(c);
	}
	for (size_t i = 0; i < s->ndocs; i++) {
		const struct entry *d = &s->docs[i];
		if (pd_ensure(c, ROW_H))
			documents_header(c);
		pd_date(d->date, day, sizeof day);
		pd_money(d->cents, a, sizeof a);
		const char *cell[] = {d->number, kind_words[d->kind], day,
		                      d->customer ? d->customer : "—"};
		float base = c->y - 10.5f;
		pd_set_fill(c, PD_INK);
		for (int k = 0; k < 4; k++)
			pd_put(c, c->regular, 9, doc_x[k] + 5, base, doc_x[k + 1] - doc_x[k] - 8,
			       cell[k], PD_LEFT);
		pd_put_whole(c, c->regular, 9, doc_x[5] - 5, base, 90, a, PD_RIGHT);
		c->y -= ROW_H;
		pd_hline(c, LEFT, RIGHT, c->y, 0.4f, PD_RULE);
	}
	if (s->more_docs > 0) {
		pd_ensure(c, ROW_H);
		snprintf(c->fmt[0], FMT_CAP, "en nog %" PRId64 " andere documenten", s->more_docs);
		pd_set_fill(c, PD_MUTED);
		pd_put(c, c->regular, 9, LEFT + 5, c->y - 10.5f, WIDTH, c->fmt[0], PD_LEFT);
		c->y -= ROW_H;
	}
	if (s->ndocs || s->more_docs) {
		pd_ensure(c, ROW_H + 2);
		pd_money(s->turnover, a, sizeof a);
		pd_set_fill(c, PD_INK);
		pd_put(c, c->bold, 9.5f, doc_x[3] + 5, c->y - 12, doc_x[4] - doc_x[3],
		       "Omzet (excl. btw)", PD_LEFT);
		pd_put_whole(c, c->bold, 9.5f, doc_x[5] - 5, c->y - 12, 90, a, PD_RIGHT);
		c->y -= ROW_H + 2;
	}
}

/* ---- the calculation ------------------------------------------------------------------------- */

#define CALC_LEAD 13.5f
#define EXPLAIN_X (LEFT + 148)
#define AMOUNT_W  112.0f

/* One line of the calculation: label, explanation (muted), amount; sign -1 prints "− €". */
static void calc_line(struct pd *c, int bold, const char *label, const char *explain, int64_t cents,
                      int sign)
{
	char a[56], m[48];
	pd_money(cents, m, sizeof m);
	snprintf(a, sizeof a, "%s%s", sign < 0 ? "−" NBSP : "", m);
	const struct pd_face *f = bold ? c->bold : c->regular;
	pd_set_fill(c, PD_INK);
	pd_put(c, f, 9.5f, LEFT, c->y - 11, (explain ? EXPLAIN_X : RIGHT - AMOUNT_W) - LEFT - 8,
	       label, PD_LEFT);
	if (explain) {
		pd_set_fill(c, PD_MUTED);
		pd_put(c, c->regular, 7.5f, EXPLAIN_X, c->y - 11, RIGHT - AMOUNT_W - EXPLAIN_X - 4,
		       explain, PD_LEFT);
	}
	pd_set_fill(c, PD_INK);
	pd_put_whole(c, f, 9.5f, RIGHT - 5, c->y - 11, AMOUNT_W - 5, a, PD_RIGHT);
	c->y -= CALC_LEAD;
}

static void calculation(struct pd *c)
{
	const struct statement *s = doc_of(c);
	char *fee = c->fmt[1], fm[48];
	static const char *const cost_words[] = {"geen kostenaftrek in het beleid van de gemeente",
	                                         "goedgekeurde kosten van deze maand, excl. btw",
	                                         "een vast percentage van de omzet"};

	section(c, "Berekening", 11 * CALC_LEAD);
	calc_line(c, 0, "Omzet (excl. btw)", NULL, s->turnover, 1);
	calc_line(c, 0, "Kosten", cost_words[s->cost_mode], s->costs, -1);
	pd_money(s->fee, fm, sizeof fm);
	if (s->fee_deducted)
		snprintf(fee, FMT_CAP, "aftrekbaar volgens de gemeente");
	else if (s->fee)
		snprintf(fee, FMT_CAP, "bijdrage %s, niet aftrekbaar volgens de gemeente", fm);
	else
		snprintf(fee, FMT_CAP, "geen bijdrage deze maand");
	calc_line(c, 0, "Bijdrage aan de coöperatie", fee, s->fee_deducted, -1);
	pd_hline(c, RIGHT - AMOUNT_W, RIGHT, c->y - 1, 0.5f, PD_RULE);
	calc_line(c, 1, "Grondslag", "omzet − kosten − bijdrage, niet onder € 0", s->base, 1);
	calc_line(c, 0, "Belastingreservering", "voor inkomstenbelasting en Zvw-bijdrage", s->tax,
	          -1);
	pd_hline(c, RIGHT - AMOUNT_W, RIGHT, c->y - 1, 0.5f, PD_RULE);
	calc_line(c, 1, "Netto-inkomen", NULL, s->net, 1);
	if (s->settles) {
		calc_line(c, 0, "Vrijlating",
		          s->exemption ? "art. 31 lid 2 onder n Participatiewet"
		                       : "niet van toepassing in deze maand",
		          s->exemption, -1);
		pd_ensure(c, 24);
		pd_fill_rect(c, LEFT, c->y - 20, WIDTH, 20, PD_SHADE);
		pd_hline(c, LEFT, RIGHT, c->y, 0.8f, PD_ACCENT);
		c->y -= 3;
		pd_set_fill(c, PD_INK);
		calc_line(c, 1, "Te verrekenen met de gemeente", NULL, s->settle, 1);
		c->y -= 5;
	} else {
		boxed(
		    c, c->regular, PD_SHADE,
		    "Niet te verrekenen: de deelnemer ontvangt geen uitkering. De inkomsten worden "
		    "alleen opgegeven.");
	}
	calc_line(c, 0, "Premie", "art. 31 lid 2 onder j Participatiewet, niet verrekend",
	          s->premium, 1);
}

/* ---- the year -------------------------------------------------------------------------------- */

#define CHART_H 64.0f /* the tallest bar */
#define SLOT_W  (WIDTH / 12)
#define BAR_W   22.0f

/* One part of month i's bar, cents high where scale cents are CHART_H, on top of *y. */
static void bar_part(struct pd *c, int i, float *y, int64_t cents, int64_t scale, struct pd_rgb col)
{
	if (cents <= 0)
		return;
	float h = (float)((double)cents / (double)scale * CHART_H);
	if (h < 0.5f)
		h = 0.5f;
	pd_fill_rect(c, LEFT + (float)i * SLOT_W + (SLOT_W - BAR_W) / 2, *y, BAR_W, h, col);
	*y += h;
}

static void legend(struct pd *c, int kept)
{
	const struct {
		const char *label;
		const struct pd_rgb *col;
	} items[] = {{"Kosten en bijdrage", &BAR_COSTS},
	             {"Belastingreservering", &BAR_TAX},
	             {"Vrijlating", &BAR_EXEMPT},
	             {"Te verrekenen", &PD_ACCENT},
	             {"Netto, niet verrekend", &BAR_KEPT}};
	float x = LEFT;
	for (int i = 0; i < 4 + kept; i++) {
		pd_fill_rect(c, x, c->y - 9, 8, 8, *items[i].col);
		pd_set_fill(c, PD_MUTED);
		pd_put(c, c->regular, 7.5f, x + 11, c->y - 8.5f, 100, items[i].label, PD_LEFT);
		x += 11 + pd_text_width(c, c->regular, 7.5f, items[i].label) + 14;
	}
	c->y -= 14;
}

/* The thermometer of the year: a column per month, January to December, each as high as the
 * month's turnover and divided into where it went; above it the amount settled. */
static void year(struct pd *c)
{
	const struct statement *s = doc_of(c);
	int64_t scale = 0, turnover = 0, settle = 0;
	int kept = 0, drafts = 0;
	char a[56], title[64];

	for (int i = 0; i < s->month; i++) {
		const struct month *m = &s->months[i];
		if (!m->has)
			continue;
		if (m->turnover > scale)
			scale = m->turnover;
		turnover += m->turnover;
		settle += m->settle;
		kept |= m->net - m->exemption - m->settle > 0;
		drafts |= !m->final;
	}
	snprintf(title, sizeof title, "Thermometer %d tot en met %s", s->year,
	         month_names[s->month - 1]);
	section(c, title, CHART_H + 62);
	float base = c->y - 12 - CHART_H;
	pd_hline(c, LEFT, RIGHT, base, 0.6f, PD_RULE);
	for (int i = 0; i < 12; i++) {
		const struct month *m = &s->months[i];
		float cx = LEFT + ((float)i + 0.5f) * SLOT_W, y = base;
		int now = i == s->month - 1, future = i >= s->month;
		pd_set_fill(c, future ? PD_RULE : now ? PD_INK : PD_MUTED);
		pd_put(c, now ? c->bold : c->regular, 8, cx - SLOT_W / 2 + 2, base - 10, SLOT_W - 4,
		       month_short[i], PD_LEFT);
		if (future)
			continue;
		if (!m->has) {
			pd_set_fill(c, PD_RULE);
			pd_put(c, c->regular, 8, cx - BAR_W / 2, base + 3, BAR_W, "—", PD_LEFT);
			continue;
		}
		if (m->turnover > 0) {
			bar_part(c, i, &y, m->turnover - m->base, scale, BAR_COSTS);
			bar_part(c, i, &y, m->tax, scale, BAR_TAX);
			bar_part(c, i, &y, m->exemption, scale, BAR_EXEMPT);
			bar_part(c, i, &y, m->settle, scale, PD_ACCENT);
			bar_part(c, i, &y, m->net - m->exemption - m->settle, scale, BAR_KEPT);
		}
		/* the amount settled above the column, whole euros (the cents are on the line
		 * below) */
		euros_short(m->settle, m->final ? "" : "*", a, sizeof a);
		pd_set_fill(c, now ? PD_INK : PD_MUTED);
		pd_put(c, now ? c->bold : c->regular, 7, cx + SLOT_W / 2 - 3, y + 3, SLOT_W - 4, a,
		       PD_RIGHT);
	}
	c->y = base - 16;
	legend(c, kept);
	char t[48], u[48];
	pd_money(turnover, t, sizeof t);
	pd_money(settle, u, sizeof u);
	snprintf(c->fmt[0], FMT_CAP,
	         "Totaal %d tot en met %s: omzet %s, te verrekenen %s (boven elke maand in hele "
	         "euro's).%s",
	         s->year, month_names[s->month - 1], t, u,
	         drafts ? " * concept, nog niet vastgesteld." : "");
	pd_set_fill(c, PD_INK);
	c->y = pd_block(c, c->regular, 8, LEFT, c->y - 7, WIDTH, 10.5f, c->fmt[0], 3);
}

/* ---- signals and the closing ----------------------------------------------------------------- */

static void signals(struct pd *c)
{
	const struct statement *s = doc_of(c);
	if (s->nwarnings == 0)
		return;
	section(c, "Signalen", 14);
	for (size_t i = 0; i < s->nwarnings; i++) {
		pd_layout(c, &c->blk, c->regular, 9, WIDTH - 12, warning_words(s->warnings[i]), 4);
		float h = (float)c->blk.n * 12 + 2;
		pd_ensure(c, h);
		pd_set_fill(c, PD_INK);
		pd_put(c, c->regular, 9, LEFT, c->y - 10, 10, "•", PD_LEFT);
		pd_draw_text(c, &c->blk, c->regular, 9, LEFT + 12, c->y - 10, 12, PD_LEFT);
		c->y -= h;
	}
}

static void closing(struct pd *c)
{
	const struct statement *s = doc_of(c);
	char made[16];
	pd_date(s->made_on, made, sizeof made);
	snprintf(c->fmt[0], FMT_CAP,
	         "Opgemaakt op %s uit de administratie van de coöperatie (%s), die als "
	         "rechtspersoon de facturen uitschrijft. Met deze opgave meldt de deelnemer de "
	         "inkomsten (omzet minus kosten) bij de gemeente. Bedragen in euro, exclusief btw.",
	         made, s->legal_name);
	pd_layout(c, &c->blk, c->regular, 8, WIDTH, c->fmt[0], 8);
	float h = (float)c->blk.n * 10.5f;
	pd_ensure(c, h + 14);
	c->y -= 12;
	pd_set_fill(c, PD_MUTED);
	pd_draw_text(c, &c->blk, c->regular, 8, LEFT, c->y - 8, 10.5f, PD_LEFT);
	c->y -= h;
}

/* On every page: whose statement of which month, and the cooperative that made it. */
static void footers(struct pd *c)
{
	const struct statement *s = doc_of(c);
	char m[32], *who = c->fmt[0], *coop = c->fmt[1];
	month_words(s, m, sizeof m);
	snprintf(who, FMT_CAP, "Inkomstenopgave %s · %s %s", m, s->first_name, s->last_name);
	snprintf(coop, FMT_CAP, "%s · KvK %s", s->legal_name, s->kvk);
	pd_footers(c, who, coop);
}

static void draw(struct pd *c)
{
	c->continuation = continuation;
	pd_new_page(c);
	head(c);
	notices(c);
	calculation(c);
	documents(c);
	year(c);
	signals(c);
	closing(c);
	footers(c);
}

/* ---- entry points ---------------------------------------------------------------------------- */

static unsigned char *render(const json_t *doc, size_t *len, char *err, size_t errlen,
                             long fail_step)
{
	struct errbuf e = errbuf_of(err, errlen);
	if (!len) {
		errbuf_set(&e, "len: NULL");
		return NULL;
	}
	*len = 0;
	struct statement *s = calloc(1, sizeof *s);
	if (!s) {
		errbuf_set(&e, "out of memory");
		return NULL;
	}
	unsigned char *out = NULL;
	if (read_statement(&e, doc, s) == 0) {
		char title[64];
		snprintf(title, sizeof title, "Inkomstenopgave %s", s->period);
		out = pd_render(draw, s, title, fail_step, len, &e);
	}
	free(s);
	return out;
}

unsigned char *statement_pdf_render(const json_t *doc, size_t *len, char *err, size_t errlen)
{
	return render(doc, len, err, errlen, -1);
}

unsigned char *statement_pdf_render_failing_at(const json_t *doc, size_t *len, char *err,
                                               size_t errlen, long step)
{
	return render(doc, len, err, errlen, step);
}
