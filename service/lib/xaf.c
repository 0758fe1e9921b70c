/* Writing an XAF 3.2 audit file as a stream (see xaf.h). */
#include "xaf.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistr.h>

#define INDENT_MAX 16

static void indent(struct xaf_writer *w)
{
	static const char spaces[] = "                                ";
	int n = w->depth < INDENT_MAX ? w->depth : INDENT_MAX;
	sbuf_append(w->out, spaces, (size_t)n * 2);
}

void xaf_begin(struct xaf_writer *w, struct sbuf *out)
{
	w->out = out;
	w->depth = 0;
	sbuf_puts(out,
	          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<auditfile xmlns=\"" XAF_NS "\">\n");
	w->depth = 1;
}

void xaf_end(struct xaf_writer *w)
{
	w->depth = 0;
	sbuf_puts(w->out, "</auditfile>\n");
}

void xaf_open(struct xaf_writer *w, const char *name)
{
	indent(w);
	sbuf_printf(w->out, "<%s>\n", name);
	w->depth++;
}

void xaf_close(struct xaf_writer *w, const char *name)
{
	if (w->depth > 0)
		w->depth--;
	indent(w);
	sbuf_printf(w->out, "</%s>\n", name);
}

/* A code point that becomes a space: a control character or one XML cannot carry. */
static int blanked(ucs4_t c)
{
	return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029 || c == 0xFFFE ||
	       c == 0xFFFF;
}

size_t xaf_text(struct sbuf *out, const char *text, size_t maxchars)
{
	size_t chars = 0;
	if (!text)
		return 0;
	const uint8_t *p = (const uint8_t *)text;
	size_t left = strlen(text);
	while (left > 0 && (maxchars == 0 || chars < maxchars)) {
		ucs4_t c;
		int len = u8_mbtoucr(&c, p, left);
		if (len <= 0) { /* not valid UTF-8: this byte is one replacement character */
			sbuf_append(out, "\xEF\xBF\xBD", 3);
			len = 1;
		} else if (blanked(c)) {
			sbuf_append(out, " ", 1);
		} else if (c == '&') {
			sbuf_append(out, "&amp;", 5);
		} else if (c == '<') {
			sbuf_append(out, "&lt;", 4);
		} else if (c == '>') {
			sbuf_append(out, "&gt;", 4);
		} else {
			sbuf_append(out, (const char *)p, (size_t)len);
		}
		p += len;
		left -= (size_t)len;
		chars++;
	}
	return chars;
}

void xaf_elem(struct xaf_writer *w, const char *name, const char *text, size_t maxchars)
{
	if (!text)
		return;
	indent(w);
	sbuf_printf(w->out, "<%s>", name);
	xaf_text(w->out, text, maxchars);
	sbuf_printf(w->out, "</%s>\n", name);
}

void xaf_int(struct xaf_writer *w, const char *name, long long n)
{
	indent(w);
	sbuf_printf(w->out, "<%s>%lld</%s>\n", name, n, name);
}

void xaf_cents(char out[32], int64_t cents)
{
	/* the magnitude in unsigned arithmetic: INT64_MIN has no positive int64 */
	uint64_t m = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	snprintf(out, 32, "%" PRIu64 ".%02u", m / 100, (unsigned)(m % 100));
}

void xaf_amount(struct xaf_writer *w, const char *name, int64_t cents)
{
	char a[32];
	xaf_cents(a, cents);
	indent(w);
	sbuf_printf(w->out, "<%s>%s</%s>\n", name, a, name);
}

/* CountrycodeIso3166 of XmlAuditfileFinancieel3.2.xsd, in its order. */
static const char countries[] =
    "AD AE AF AG AI AL AM AN AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO "
    "BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CS CU CV CW CX CY CZ DE DJ "
    "DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ "
    "GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI "
    "KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO "
    "MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK "
    "PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS "
    "ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UK UM US UY UZ VA VC "
    "VE VG VI VN VU WF WS YE YT ZA ZM ZW";

int xaf_country_ok(const char *code)
{
	if (!code || strlen(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' ||
	    code[1] > 'Z')
		return 0;
	for (size_t i = 0; i + 1 < sizeof countries; i += 3)
		if (countries[i] == code[0] && countries[i + 1] == code[1])
			return 1;
	return 0;
}

static int days_in_month(int year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return days[month - 1] + (month == 2 && leap);
}

void xaf_periods(struct xaf_writer *w, int year)
{
	char text[16];
	xaf_open(w, "periods");
	for (int m = 1; m <= 12; m++) {
		xaf_open(w, "period");
		xaf_int(w, "periodNumber", m);
		snprintf(text, sizeof text, "%04d-%02d", year, m);
		xaf_elem(w, "periodDesc", text, 0);
		snprintf(text, sizeof text, "%04d-%02d-01", year, m);
		xaf_elem(w, "startDatePeriod", text, 0);
		snprintf(text, sizeof text, "%04d-%02d-%02d", year, m, days_in_month(year, m));
		xaf_elem(w, "endDatePeriod", text, 0);
		xaf_close(w, "period");
	}
	xaf_close(w, "periods");
}
