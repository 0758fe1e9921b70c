/* Accept negotiation, If-None-Match and Content-Disposition (lib/httphdr.h). */
#include <string.h>

#include "lib/httphdr.h"
#include "unit.h"

static const char *const LIST[] = {"application/json", "text/csv"};

static int pick(const char *accept)
{
	return accept_choose(accept, LIST, 2).index;
}

static void test_absent_empty_and_wildcards_give_the_default(void)
{
	CHECK_INT(pick(NULL), 0);
	CHECK_INT(pick(""), 0);
	CHECK_INT(pick("  "), 0);
	CHECK_INT(pick("*/*"), 0);
	CHECK_INT(pick("text/*"), 1); /* only CSV is text */
	CHECK_INT(pick("application/*, text/*"), 0);
	CHECK_INT(pick("text/*, */*;q=0.1"), 1);
}

static void test_q_values_decide(void)
{
	CHECK_INT(pick("text/csv;q=0.5, application/json"), 0);
	CHECK_INT(pick("text/csv, application/json;q=0.1"), 1);
	CHECK_INT(pick("text/csv;q=0.5, application/json;q=0.5"), 0); /* tie: server's order */
	CHECK_INT(pick("application/json;q=0, text/csv;q=0.001"), 1);
	CHECK_INT(pick("application/json;q=0"), -1);
	CHECK_INT(pick("*/*;q=0"), -1);
	CHECK_INT(pick("*/*, application/json;q=0"), 1); /* the more specific range rules */
	CHECK_INT(pick("text/csv; Q=1.000"), 1);
	CHECK_INT(pick("TEXT/CSV"), 1);
}

static void test_what_cannot_be_produced_is_refused(void)
{
	CHECK_INT(pick("application/xml"), -1);
	CHECK_INT(pick("application/xml, image/*"), -1);
	CHECK_INT(pick("text/csv;charset=latin1"), -1);
	CHECK_INT(pick("text/csv;charset=\"UTF-8\""), 1);
	CHECK_INT(pick("text/csv;dialect=tsv"), -1);
}

static void test_malformed_entries_are_skipped(void)
{
	CHECK_INT(pick("text/csv;q=2, application/json"), 0);
	CHECK_INT(pick("garbage, text/csv"), 1);
	CHECK_INT(pick("text/csv;q=0.5555, application/json;q=0.1"), 0);
	CHECK_INT(pick(",,, text/csv ,"), 1);
	CHECK_INT(pick("text/csv;x=\"a,b\", application/xml"), 1); /* comma inside quotes */
	CHECK_INT(pick("garbage"), 0);                             /* nothing parsed: default */
	CHECK_INT(pick("*/csv"), 0);
}

static void test_the_field_is_bounded(void)
{
	char big[ACCEPT_MAX_LEN + 16];
	memset(big, ' ', sizeof big);
	memcpy(big, "text/csv", 8);
	big[sizeof big - 1] = '\0';
	CHECK_INT(pick(big), 0); /* too long: disregarded */
	char many[ACCEPT_MAX_ENTRIES * 4 + 32] = "";
	for (int i = 0; i < ACCEPT_MAX_ENTRIES; i++)
		strcat(many, "a/b,");
	strcat(many, "text/csv");
	CHECK_INT(pick(many), 0); /* too many entries: disregarded */
}

static void test_the_excel_dialect_is_a_parameter(void)
{
	struct accept_choice c = accept_choose("text/csv;dialect=excel", LIST, 2);
	CHECK_INT(c.index, 1);
	CHECK_INT(c.excel, 1);
	c = accept_choose("text/csv", LIST, 2);
	CHECK_INT(c.excel, 0);
	c = accept_choose("text/csv; dialect=\"Excel\"; q=0.9, text/csv;q=0.1", LIST, 2);
	CHECK_INT(c.index, 1);
	CHECK_INT(c.excel, 1);
	c = accept_choose("application/json;dialect=excel;q=0.2, text/csv;q=0.1", LIST, 2);
	CHECK_INT(c.index, 0);
}

static void test_if_none_match_compares_weakly(void)
{
	CHECK_INT(etag_none_match("\"3\"", "\"3\""), 1);
	CHECK_INT(etag_none_match("W/\"3\"", "\"3\""), 1);
	CHECK_INT(etag_none_match("\"3\"", "W/\"3\""), 1);
	CHECK_INT(etag_none_match("\"2\", \"3\"", "\"3\""), 1);
	CHECK_INT(etag_none_match("\"2\",W/\"4\"", "\"3\""), 0);
	CHECK_INT(etag_none_match("*", "\"3\""), 1);
	CHECK_INT(etag_none_match(" * ", "\"3\""), 1);
	CHECK_INT(etag_none_match("*, \"3\"", "\"3\""), 0); /* malformed */
	CHECK_INT(etag_none_match("3", "\"3\""), 0);
	CHECK_INT(etag_none_match("\"3", "\"3\""), 0);
	CHECK_INT(etag_none_match("\"3\" x", "\"3\""), 0);
	CHECK_INT(etag_none_match("\"33\"", "\"3\""), 0);
	CHECK_INT(etag_none_match("", "\"3\""), 0);
}

static void test_content_disposition_has_an_ascii_fallback(void)
{
	struct sbuf b = {0};
	content_disposition(&b, "inkomstenopgave-2026-03.pdf");
	CHECK_STR(b.data, "attachment; filename=\"inkomstenopgave-2026-03.pdf\"");
	sbuf_reset(&b);
	content_disposition(&b, "factuur-Café ü.pdf");
	CHECK_STR(b.data, "attachment; filename=\"factuur-Caf___.pdf\"; "
	                  "filename*=UTF-8''factuur-Caf%C3%A9%20%C3%BC.pdf");
	sbuf_reset(&b);
	content_disposition(&b, "a\"b\r\n.csv");
	CHECK_STR(b.data, "attachment; filename=\"a_b__.csv\"; filename*=UTF-8''a%22b%0D%0A.csv");
	sbuf_free(&b);
}

int main(void)
{
	RUN(test_absent_empty_and_wildcards_give_the_default);
	RUN(test_q_values_decide);
	RUN(test_what_cannot_be_produced_is_refused);
	RUN(test_malformed_entries_are_skipped);
	RUN(test_the_field_is_bounded);
	RUN(test_the_excel_dialect_is_a_parameter);
	RUN(test_if_none_match_compares_weakly);
	RUN(test_content_disposition_has_an_ascii_fallback);
	UNIT_END();
}
