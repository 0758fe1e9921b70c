/* RFC 4180 quoting of the CSV writer. */
#include "lib/csv.h"
#include "unit.h"

static const char *row(struct sbuf *b, const char *const *v, int n)
{
	sbuf_reset(b);
	for (int i = 0; i < n; i++)
		csv_field(b, v[i], i == 0);
	csv_end_row(b);
	return b->data;
}

static void test_plain_fields_are_not_quoted(void)
{
	struct sbuf b = {0};
	const char *v[] = {"a", "12345", "é"};
	CHECK_STR(row(&b, v, 3), "a,12345,é\r\n");
	sbuf_free(&b);
}

static void test_null_is_an_empty_field(void)
{
	struct sbuf b = {0};
	const char *v[] = {NULL, "x", NULL};
	CHECK_STR(row(&b, v, 3), ",x,\r\n");
	sbuf_free(&b);
}

static void test_commas_quotes_and_newlines_are_quoted_with_doubled_quotes(void)
{
	struct sbuf b = {0};
	const char *v[] = {"a,b", "say \"hi\"", "two\nlines", "cr\r"};
	CHECK_STR(row(&b, v, 4), "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\"\r\n");
	sbuf_free(&b);
}

static void test_the_excel_dialect_separates_with_semicolons_and_quotes_them(void)
{
	struct sbuf b = {0};
	const char *v[] = {"a;b", "1,5", NULL, "-1250"};
	for (int i = 0; i < 4; i++)
		csv_field_sep(&b, v[i], i == 0, ';');
	csv_end_row(&b);
	CHECK_STR(b.data, "\"a;b\";1,5;;-1250\r\n");
	CHECK_INT(strlen(CSV_BOM), 3);
	sbuf_free(&b);
}

int main(void)
{
	RUN(test_the_excel_dialect_separates_with_semicolons_and_quotes_them);
	RUN(test_plain_fields_are_not_quoted);
	RUN(test_null_is_an_empty_field);
	RUN(test_commas_quotes_and_newlines_are_quoted_with_doubled_quotes);
	UNIT_END();
}
