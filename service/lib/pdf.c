/* The PDF invoice renderer (see pdf.h).
 *
 * Two phases. invoice_doc_read (invoice_doc.h) checks the JSON document and fills a struct
 * invoice_doc of borrowed pointers and integers, and check_print() adds what a printed invoice
 * needs besides; nothing is drawn until the whole document is known to be good. Its text limits
 * (INVOICE_TEXT_*, in characters) bound the height of every block, so that the fixed layout of
 * the first page cannot overflow and a single table row always fits on a page. Then draw() lays
 * the invoice out with the drawing layer (pdfdraw.h), which owns the fonts, the text and the
 * libharu error handling. */
#include "pdf.h"

#include "errbuf.h"
#include "invoice_doc.h"
#include "pdfdraw.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- what the PDF needs beyond a consistent invoice (invoice_doc.h checks the rest) ------- */

static int check_print(struct errbuf *e, const struct invoice_doc *d)
{
	/* an invoice, and anything with an amount to pay, says "Gelieve … vóór <due date> …" */
	if ((!d->credit_note || d->open_cents > 0) && !d->due_date)
		return errbuf_set(e, "invoice.due_date: missing");
	if (d->credit_note && !d->credit_of_issue_date)
		return errbuf_set(e, "invoice.credit_of_issue_date: missing");
	if (!d->supplier.iban)
		return errbuf_set(e, "supplier.iban: missing");
	return 0;
}

/* ---- names ----------------------------------------------------------------------------------- */

static const char *unit_name(enum invoice_unit u)
{
	static const char *const names[] = {"uur", "stuk", "dag", "km"}; /* enum invoice_unit */
	return names[u];
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
/* ---- pages ----------------------------------------------------------------------------------- */

static const struct invoice_doc *inv(const struct pd *c)
{
	return c->doc;
}

static const char *brand(const struct invoice_doc *v)
{
	return v->supplier.trade_name ? v->supplier.trade_name : v->supplier.legal_name;
}

static const char *title(const struct invoice_doc *v)
{
	return v->credit_note ? "Creditnota" : "Factuur";
}

/* The head of a continuation page: who and which invoice, above a rule. */
static void continuation(struct pd *c)
{
	char buf[4 * INVOICE_TEXT_CODE + 32];
	snprintf(buf, sizeof buf, "%s %s (vervolg)", title(inv(c)), inv(c)->number);
	pd_set_fill(c, PD_ACCENT);
	pd_put(c, c->bold, 11, LEFT, TOP - 10, WIDTH * 0.5f, brand(inv(c)), PD_LEFT);
	pd_set_fill(c, PD_MUTED);
	pd_put(c, c->regular, 9, RIGHT, TOP - 10, WIDTH * 0.48f, buf, PD_RIGHT);
	pd_hline(c, LEFT, RIGHT, TOP - 20, 0.5f, PD_RULE);
	c->y = TOP - 34;
}

/* The lines table: columns, their headers (one or two lines) and alignment. The numeric
 * columns fit "€ -1.234.567,89", "-1.500,25" and "vrijgesteld" in DejaVu Sans at ROW_SIZE. */
static const struct column {
	const char *h1, *h2;
	float x0, x1;
	enum pd_align al;
} columns[] = {
    {"Omschrijving", NULL, LEFT, LEFT + 178, PD_LEFT},
    {"Aantal", NULL, LEFT + 178, LEFT + 228, PD_RIGHT},
    {"Eenheid", NULL, LEFT + 228, LEFT + 270, PD_LEFT},
    {"Prijs per eenheid", "excl. btw", LEFT + 270, LEFT + 350, PD_RIGHT},
    {"Btw %", NULL, LEFT + 350, LEFT + 404, PD_RIGHT},
    {"Bedrag", "excl. btw", LEFT + 404, RIGHT, PD_RIGHT},
};
#define NCOLUMNS    (sizeof columns / sizeof columns[0])
#define NUMBER_W    150.0f /* the column of an invoice number: 20 characters in bold 10 pt */
#define CELL_PAD    5.0f
#define ROW_SIZE    9.0f
#define ROW_LEADING 11.5f
#define HEADER_H    26.0f

static float cell_x(const struct column *col)
{
	return col->al == PD_LEFT ? col->x0 + CELL_PAD : col->x1 - CELL_PAD;
}

static void table_header(struct pd *c)
{
	float y = c->y;
	pd_fill_rect(c, LEFT, y - HEADER_H, WIDTH, HEADER_H, PD_SHADE);
	pd_hline(c, LEFT, RIGHT, y - HEADER_H, 0.8f, PD_ACCENT);
	pd_set_fill(c, PD_INK);
	for (size_t i = 0; i < NCOLUMNS; i++) {
		const struct column *col = &columns[i];
		float w = col->x1 - col->x0 - 2 * CELL_PAD + 4;
		if (col->h2) {
			pd_put(c, c->bold, 7.5f, cell_x(col), y - 11, w, col->h1, col->al);
			pd_put(c, c->bold, 7.5f, cell_x(col), y - 20.5f, w, col->h2, col->al);
		} else {
			pd_put(c, c->bold, 7.5f, cell_x(col), y - 15.5f, w, col->h1, col->al);
		}
	}
	c->y = y - HEADER_H;
}

/* Starts a new page unless h points fit above the footer; repeats the table header when asked. */
static void ensure(struct pd *c, float h, int with_table_header)
{
	if (pd_ensure(c, h) && with_table_header)
		table_header(c);
}

/* ---- the first page's head ------------------------------------------------------------------- */

static void address_lines(const struct invoice_address *a, char *l1, char *l2, char *l3, size_t n)
{
	snprintf(l1, n, "%s%s%s", a->street, a->house_number ? " " : "",
	         a->house_number ? a->house_number : "");
	snprintf(l2, n, "%s  %s", a->postal_code, a->city);
	snprintf(l3, n, "%s",
	         a->country && strcmp(a->country, "NL") ? country_name(a->country) : "");
}

static float supplier_block(struct pd *c)
{
	const struct invoice_doc *v = inv(c);
	const float x = LEFT + 318, w = RIGHT - x, size = 8.5f, lead = 11.5f;
	char *l1 = c->fmt[0], *l2 = c->fmt[1], *l3 = c->fmt[2], *buf = c->fmt[3];
	float y = TOP - 8;

	pd_set_fill(c, PD_INK);
	y = pd_block(c, c->bold, size, x, y, w, lead, v->supplier.legal_name, 3);
	address_lines(&v->supplier.address, l1, l2, l3, FMT_CAP);
	y = pd_block(c, c->regular, size, x, y, w, lead, l1, 2);
	y = pd_block(c, c->regular, size, x, y, w, lead, l2, 2);
	if (*l3)
		y = pd_block(c, c->regular, size, x, y, w, lead, l3, 1);
	y -= 5;
	snprintf(buf, FMT_CAP, "KvK %s", v->supplier.kvk_number);
	y = pd_block(c, c->regular, size, x, y, w, lead, buf, 1);
	if (v->supplier.vat_id) {
		snprintf(buf, FMT_CAP, "Btw-id %s", v->supplier.vat_id);
		y = pd_block(c, c->regular, size, x, y, w, lead, buf, 1);
	}
	char iban[IBAN_CAP];
	pd_iban(v->supplier.iban, iban, sizeof iban);
	snprintf(buf, FMT_CAP, "IBAN %s", iban);
	y = pd_block(c, c->regular, size, x, y, w, lead, buf, 1);
	if (v->supplier.bic) {
		snprintf(buf, FMT_CAP, "BIC %s", v->supplier.bic);
		y = pd_block(c, c->regular, size, x, y, w, lead, buf, 1);
	}
	if (v->supplier.email)
		y = pd_block(c, c->regular, size, x, y, w, lead, v->supplier.email, 1);
	if (v->supplier.phone) {
		snprintf(buf, FMT_CAP, "Tel. %s", v->supplier.phone);
		y = pd_block(c, c->regular, size, x, y, w, lead, buf, 1);
	}
	return y;
}

static float customer_block(struct pd *c)
{
	const struct invoice_doc *v = inv(c);
	const float x = LEFT, w = 270;
	char *l1 = c->fmt[0], *l2 = c->fmt[1], *l3 = c->fmt[2], *buf = c->fmt[3];
	float y = TOP - 104;

	pd_set_fill(c, PD_MUTED);
	pd_put(c, c->regular, 7.5f, x, y, w, v->credit_note ? "Creditnota aan" : "Factuur aan",
	       PD_LEFT);
	y -= 15;
	pd_set_fill(c, PD_INK);
	y = pd_block(c, c->bold, 10.5f, x, y, w, 13.5f, v->customer.name, 3);
	if (v->customer.has_address) {
		address_lines(&v->customer.address, l1, l2, l3, FMT_CAP);
		y = pd_block(c, c->regular, 10, x, y, w, 13.5f, l1, 2);
		y = pd_block(c, c->regular, 10, x, y, w, 13.5f, l2, 2);
		if (*l3)
			y = pd_block(c, c->regular, 10, x, y, w, 13.5f, l3, 1);
	}
	if (v->customer.kvk_number || v->customer.vat_id)
		y -= 3;
	if (v->customer.kvk_number) {
		snprintf(buf, FMT_CAP, "KvK %s", v->customer.kvk_number);
		y = pd_block(c, c->regular, 8.5f, x, y, w, 11.5f, buf, 1);
	}
	if (v->customer.vat_id) {
		snprintf(buf, FMT_CAP, "Btw-id %s", v->customer.vat_id);
		y = pd_block(c, c->regular, 8.5f, x, y, w, 11.5f, buf, 1);
	}
	return y;
}

/* "Label:" in a fixed column, the wrapped value beside it; starts at c->y. */
static void labelled(struct pd *c, const char *label, const char *value, int max_lines)
{
	const float lw = 96, size = 9.5f, lead = 12.5f;
	struct pd_text *t = &c->blk;
	pd_layout(c, t, c->regular, size, WIDTH - lw, value, max_lines);
	ensure(c, (float)t->n * lead + 4, 0);
	pd_set_fill(c, PD_MUTED);
	pd_put(c, c->regular, size, LEFT, c->y - 10, lw, label, PD_LEFT);
	pd_set_fill(c, PD_INK);
	pd_draw_text(c, t, c->regular, size, LEFT + lw, c->y - 10, lead, PD_LEFT);
	c->y -= (float)t->n * lead + 3;
}

/* The trade name (or legal name) large at the top left: 18 pt, smaller for a long name down
 * to 12 pt, and from there on two lines. */
static void brand_name(struct pd *c)
{
	const float w = 300;
	float size = 18, w18 = pd_text_width(c, c->bold, size, brand(inv(c)));
	while (size > 12 && w18 * size / 18 > w)
		size -= 1;
	pd_set_fill(c, PD_ACCENT);
	pd_block(c, c->bold, size, LEFT, TOP - 16, w, size + 2, brand(inv(c)), 2);
}

static void head(struct pd *c)
{
	const struct invoice_doc *v = inv(c);
	char *buf = c->fmt[0], d[4][16];

	brand_name(c);
	float ys = supplier_block(c);
	float yc = customer_block(c);
	float y = (ys < yc ? ys : yc) - 26;

	pd_set_fill(c, PD_ACCENT);
	pd_put(c, c->bold, 22, LEFT, y - 16, WIDTH, title(v), PD_LEFT);
	y -= 30;

	/* number and dates in columns (a number NUMBER_W wide, the dates share the rest); the
	 * delivery date is always shown */
	const char *label[4], *value[4];
	int n = 0, wide[4] = {0}, nwide = 0;
	pd_date(v->issue_date, d[0], sizeof d[0]);
	label[n] = v->credit_note ? "Creditnotanummer" : "Factuurnummer";
	wide[n] = 1;
	value[n++] = v->number;
	label[n] = v->credit_note ? "Creditnotadatum" : "Factuurdatum";
	value[n++] = d[0];
	if (v->supply_date) {
		pd_date(v->supply_date, d[1], sizeof d[1]);
		label[n] = "Leverdatum";
		value[n++] = d[1];
	}
	if (v->credit_note) {
		label[n] = "Op factuur";
		wide[n] = 1;
		value[n++] = v->credit_of_number;
	} else {
		pd_date(v->due_date, d[2], sizeof d[2]);
		label[n] = "Vervaldatum";
		value[n++] = d[2];
	}
	for (int i = 0; i < n; i++)
		nwide += wide[i];
	float x = LEFT, date_w = (WIDTH - (float)nwide * NUMBER_W) / (float)(n - nwide);
	pd_hline(c, LEFT, RIGHT, y, 0.5f, PD_RULE);
	for (int i = 0; i < n; i++) {
		float w = wide[i] ? NUMBER_W : date_w;
		pd_set_fill(c, PD_MUTED);
		pd_put(c, c->regular, 7.5f, x, y - 13, w - 8, label[i], PD_LEFT);
		pd_set_fill(c, PD_INK);
		pd_put_whole(c, c->bold, 10, x, y - 27, w - 8, value[i], PD_LEFT);
		x += w;
	}
	y -= 36;
	pd_hline(c, LEFT, RIGHT, y, 0.5f, PD_RULE);
	c->y = y - 8;

	if (v->credit_note) {
		pd_date(v->credit_of_issue_date, d[3], sizeof d[3]);
		snprintf(buf, FMT_CAP, "Creditnota op factuur %s van %s", v->credit_of_number,
		         d[3]);
		pd_set_fill(c, PD_INK);
		pd_put(c, c->bold, 9.5f, LEFT, c->y - 10, WIDTH, buf, PD_LEFT);
		c->y -= 15.5f;
		if (v->reason)
			labelled(c, "Reden:", v->reason, 20);
	}
	if (v->description)
		labelled(c, "Betreft:", v->description, 4);
	snprintf(buf, FMT_CAP, "%s %s%s%s", v->member.first_name, v->member.last_name,
	         v->member.activity_description ? " — " : "",
	         v->member.activity_description ? v->member.activity_description : "");
	labelled(c, "Uitgevoerd door:", buf, 3);
	c->y -= 12;
}

/* ---- lines ----------------------------------------------------------------------------------- */

static void vat_cell(enum invoice_vat_category cat, int64_t bp, char *out, size_t n)
{
	if (cat == INVOICE_VAT_E)
		snprintf(out, n, "vrijgesteld");
	else if (cat == INVOICE_VAT_AE)
		snprintf(out, n, "verlegd");
	else
		pd_rate(bp, out, n);
}

static void lines(struct pd *c)
{
	const struct column *desc = &columns[0];
	for (size_t i = 0; i < inv(c)->nlines; i++) {
		const struct invoice_line *l = &inv(c)->lines[i];
		struct pd_text *t = &c->blk;
		char qty[48], price[48], net[48], rate[24];

		pd_layout(c, t, c->regular, ROW_SIZE, desc->x1 - desc->x0 - 2 * CELL_PAD,
		          l->description, PD_MAX_LINES);
		float h = (float)t->n * ROW_LEADING + 8;
		if (i == 0) { /* the header never stands alone at the foot of a page */
			ensure(c, HEADER_H + h, 0);
			table_header(c);
		}
		ensure(c, h, 1);

		pd_quantity(l->quantity_milli, qty, sizeof qty);
		pd_money(l->unit_price_cents, price, sizeof price);
		pd_money(l->net_cents, net, sizeof net);
		vat_cell(l->vat_category, l->vat_rate_bp, rate, sizeof rate);
		const char *cells[NCOLUMNS] = {NULL, qty, unit_name(l->unit), price, rate, net};

		float base = c->y - 12;
		pd_set_fill(c, PD_INK);
		pd_draw_text(c, t, c->regular, ROW_SIZE, cell_x(desc), base, ROW_LEADING, PD_LEFT);
		for (size_t k = 1; k < NCOLUMNS; k++) {
			const struct column *col = &columns[k];
			pd_put(c, c->regular, ROW_SIZE, cell_x(col), base,
			       col->x1 - col->x0 - 2 * CELL_PAD + 4, cells[k], col->al);
		}
		c->y -= h;
		pd_hline(c, LEFT, RIGHT, c->y, 0.4f, PD_RULE);
	}
}

/* ---- VAT breakdown, totals, notes ------------------------------------------------------------ */

static void vat_label(enum invoice_vat_category cat, int64_t bp, char *out, size_t n)
{
	char r[24];
	if (cat == INVOICE_VAT_E) {
		snprintf(out, n, "Vrijgesteld");
	} else if (cat == INVOICE_VAT_AE) {
		snprintf(out, n, "Btw verlegd");
	} else {
		pd_rate(bp, r, sizeof r);
		snprintf(out, n, "Btw %s", r);
	}
}

#define SUM_LEAD      14.0f
#define TOTAL_LABEL_X (LEFT + 290)

/* One line of the totals, right: the label and the amount, bold for a total to pay. */
static void total_row(struct pd *c, int bold, float y, const char *label, int64_t cents)
{
	char a[48];
	pd_money(cents, a, sizeof a);
	const struct pd_face *f = bold ? c->bold : c->regular;
	float size = bold ? 10.5f : 9.5f;
	pd_put(c, f, size, TOTAL_LABEL_X, y, 110, label, PD_LEFT);
	pd_put(c, f, size, RIGHT - CELL_PAD, y, 100, a, PD_RIGHT);
}

static void summary(struct pd *c)
{
	const struct invoice_doc *v = inv(c);
	size_t nvat = v->nvat;
	int ntot = v->paid_cents ? 5 : 3;
	float vat_h = 12 + (float)nvat * SUM_LEAD;
	float tot_h = (float)ntot * SUM_LEAD + (v->paid_cents ? 12 : 6);
	ensure(c, 18 + (vat_h > tot_h ? vat_h : tot_h), 0);
	c->y -= 18;

	/* the VAT breakdown, left */
	const float vx = LEFT, vg = LEFT + 168, vb = LEFT + 236;
	float y = c->y;
	char a[48], b[48], lab[40];
	pd_set_fill(c, PD_MUTED);
	pd_put(c, c->bold, 7.5f, vx, y - 9, 90, "Btw-specificatie", PD_LEFT);
	pd_put(c, c->bold, 7.5f, vg, y - 9, 80, "Grondslag", PD_RIGHT);
	pd_put(c, c->bold, 7.5f, vb, y - 9, 66, "Btw", PD_RIGHT);
	pd_hline(c, vx, vb, y - 13, 0.5f, PD_RULE);
	y -= 9 + SUM_LEAD;
	pd_set_fill(c, PD_INK);
	for (size_t i = 0; i < nvat; i++) {
		const struct invoice_vat *r = &v->vat[i];
		vat_label(r->category, r->rate_bp, lab, sizeof lab);
		pd_money(r->base_cents, a, sizeof a);
		pd_money(r->vat_cents, b, sizeof b);
		pd_put(c, c->regular, 9, vx, y, 90, lab, PD_LEFT);
		pd_put(c, c->regular, 9, vg, y, 80, a, PD_RIGHT);
		pd_put(c, c->regular, 9, vb, y, 66, b, PD_RIGHT);
		y -= SUM_LEAD;
	}

	/* the totals, right */
	y = c->y - 9;
	total_row(c, 0, y, "Totaal excl. btw", v->net_cents);
	y -= SUM_LEAD;
	total_row(c, 0, y, "Btw", v->vat_cents);
	pd_hline(c, TOTAL_LABEL_X, RIGHT, y - 5, 0.8f, PD_ACCENT);
	y -= SUM_LEAD + 3;
	total_row(c, 1, y, "Totaal incl. btw", v->gross_cents);
	if (v->paid_cents) {
		y -= SUM_LEAD + 3;
		total_row(c, 0, y, "Reeds betaald", v->paid_cents);
		pd_hline(c, TOTAL_LABEL_X, RIGHT, y - 5, 0.5f, PD_RULE);
		y -= SUM_LEAD + 3;
		total_row(c, 1, y, "Te betalen", v->open_cents);
	}
	c->y -= vat_h > tot_h ? vat_h : tot_h;
}

/* A note paragraph over the full width, moved to the next page whole when it does not fit. */
static void note(struct pd *c, const struct pd_face *f, const char *utf8)
{
	const float size = 9, lead = 12;
	struct pd_text *t = &c->blk;
	pd_layout(c, t, f, size, WIDTH, utf8, PD_MAX_LINES);
	ensure(c, (float)t->n * lead + 4, 0);
	pd_set_fill(c, PD_INK);
	pd_draw_text(c, t, f, size, LEFT, c->y - 10, lead, PD_LEFT);
	c->y -= (float)t->n * lead + 4;
}

static void notes(struct pd *c)
{
	const struct invoice_doc *v = inv(c);
	char *buf = c->fmt[0], amount[48], iban[IBAN_CAP], due[16];

	c->y -= 16;
	if (v->supplier.kor)
		note(c, c->regular,
		     "Vrijgesteld van btw op grond van de kleineondernemersregeling (KOR).");
	else if (v->any_exempt)
		note(c, c->regular,
		     "Vrijgesteld van btw op grond van artikel 11 van de Wet op de omzetbelasting "
		     "1968.");
	if (v->any_reverse_charge) {
		snprintf(buf, FMT_CAP, "Btw verlegd. Btw-id afnemer: %s.", v->customer.vat_id);
		note(c, c->bold, buf);
	}

	/* the payment instruction, in a shaded box */
	if (v->open_cents > 0) {
		pd_money(v->open_cents, amount, sizeof amount);
		pd_date(v->due_date, due, sizeof due);
		pd_iban(v->supplier.iban, iban, sizeof iban);
		snprintf(
		    buf, FMT_CAP,
		    "Gelieve %s vóór %s over te maken op %s t.n.v. %s onder vermelding van %s.",
		    amount, due, iban, v->supplier.legal_name,
		    v->payment_reference ? v->payment_reference : v->number);
	} else if (v->open_cents < 0) {
		pd_money(-v->open_cents, amount, sizeof amount);
		snprintf(buf, FMT_CAP, "Het bedrag van %s wordt verrekend of naar u overgemaakt.",
		         amount);
	} else {
		snprintf(buf, FMT_CAP, "%s is volledig betaald.",
		         v->credit_note ? "Deze creditnota" : "Deze factuur");
	}
	const float size = 9.5f, lead = 13, pad = 9;
	struct pd_text *t = &c->blk;
	pd_layout(c, t, c->regular, size, WIDTH - 2 * pad, buf, PD_MAX_LINES);
	float h = (float)t->n * lead + 2 * pad - 3;
	ensure(c, h + 10, 0);
	c->y -= 8;
	pd_fill_rect(c, LEFT, c->y - h, WIDTH, h, PD_SHADE);
	pd_set_fill(c, PD_INK);
	pd_draw_text(c, t, c->regular, size, LEFT + pad, c->y - pad - 7, lead, PD_LEFT);
	c->y -= h;
}

static void footers(struct pd *c)
{
	const struct invoice_doc *v = inv(c);
	char *line = c->fmt[0], iban[IBAN_CAP];
	int o;

	pd_iban(v->supplier.iban, iban, sizeof iban);
	o = snprintf(line, FMT_CAP, "%s · KvK %s", v->supplier.legal_name, v->supplier.kvk_number);
	if (v->supplier.vat_id)
		o += snprintf(line + o, FMT_CAP - (size_t)o, " · Btw-id %s", v->supplier.vat_id);
	snprintf(line + o, FMT_CAP - (size_t)o, " · IBAN %s", iban);
	pd_footers(c, line, NULL);
}

/* ---- the document ---------------------------------------------------------------------------- */

static void draw(struct pd *c)
{
	c->continuation = continuation;
	pd_new_page(c);
	head(c);
	lines(c);
	summary(c);
	notes(c);
	footers(c);
}
static unsigned char *render(const json_t *doc, size_t *len, char *err, size_t errlen,
                             long fail_step)
{
	struct errbuf e = errbuf_of(err, errlen);
	struct invoice_doc v;

	if (!len) {
		errbuf_set(&e, "len: NULL");
		return NULL;
	}
	*len = 0;
	if (invoice_doc_read(doc, &v, err, errlen) != 0)
		return NULL;
	unsigned char *out = NULL;
	if (check_print(&e, &v) == 0)
		out = pd_render(draw, &v, v.number, fail_step, len, &e);
	invoice_doc_release(&v);
	return out;
}

unsigned char *pdf_render(const json_t *doc, size_t *len, char *err, size_t errlen)
{
	return render(doc, len, err, errlen, -1);
}

unsigned char *pdf_render_failing_at(const json_t *doc, size_t *len, char *err, size_t errlen,
                                     long step)
{
	return render(doc, len, err, errlen, step);
}
