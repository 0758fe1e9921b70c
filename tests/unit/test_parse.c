/* The one parser of each small format (lib/parse.h) and the municipality code of lib/ids.h in
 * its (ptr, len) form: UUIDs, dates (leap years, 1900, impossible days, junk, lengths), months,
 * decimals (limits, overflow, the malformed shapes) and what the router passes (segments
 * without a NUL). */
#include "lib/ids.h"
#include "lib/parse.h"
#include "unit.h"

#include <stdint.h>

/* ---- UUID ------------------------------------------------------------------------------------ */

static void test_uuid_accepts_the_canonical_form_in_either_case(void)
{
	CHECK(text_is_uuid("0b9f6a57-2c1e-4d8e-9a51-3f7c2d8e1a01"));
	CHECK(text_is_uuid("00000000-0000-0000-0000-000000000000"));
	CHECK(text_is_uuid("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"));
	CHECK(text_is_uuid("0B9F6A57-2c1e-4D8E-9a51-3F7C2D8E1A01"));
	CHECK(text_is_uuid_lower("0b9f6a57-2c1e-4d8e-9a51-3f7c2d8e1a01"));
	CHECK(!text_is_uuid_lower("0B9F6A57-2C1E-4D8E-9A51-3F7C2D8E1A01"));
	CHECK(!text_is_uuid_lower("0b9f6a57-2c1e-4d8e-9a51-3f7c2d8e1a0F"));
}

static void test_uuid_rejects_other_shapes(void)
{
	CHECK(!text_is_uuid(NULL));
	CHECK(!text_is_uuid_lower(NULL));
	CHECK(!text_is_uuid(""));
	CHECK(!text_is_uuid("0b9f6a57-2c1e-4d8e-9a51-3f7c2d8e1a0"));    /* 35 */
	CHECK(!text_is_uuid("0b9f6a57-2c1e-4d8e-9a51-3f7c2d8e1a011"));  /* 37 */
	CHECK(!text_is_uuid("0b9f6a572c1e4d8e9a513f7c2d8e1a01"));       /* no hyphens */
	CHECK(!text_is_uuid("0b9f6a57-2c1e-4d8e-9a513-f7c2d8e1a01"));   /* hyphen moved */
	CHECK(!text_is_uuid("0b9f6a57_2c1e-4d8e-9a51-3f7c2d8e1a01"));   /* not a hyphen */
	CHECK(!text_is_uuid("0b9f6a57-2c1e-4d8e-9a51-3f7c2d8e1a0g"));   /* g */
	CHECK(!text_is_uuid("{b9f6a57-2c1e-4d8e-9a51-3f7c2d8e1a0}"));   /* braces */
	CHECK(!text_is_uuid(" 0b9f6a57-2c1e-4d8e-9a51-3f7c2d8e1a01"));  /* space */
	CHECK(!text_is_uuid("0b9f6a57-2c1e-4d8e-9a51-3f7c2d8e1a01\n")); /* trailing junk */
	CHECK(!text_is_uuid("0b9f6a57-2c1e-4d8e-9a51-3f7c2d8e1a-1"));   /* a fifth hyphen */
}

static void test_uuid_of_a_segment_reads_exactly_n_bytes(void)
{
	const char *path = "0b9f6a57-2c1e-4d8e-9a51-3f7c2d8e1a01/invoices";
	CHECK(uuid_valid(path, 36, 0));
	CHECK(uuid_valid(path, 36, 1));
	CHECK(!uuid_valid(path, 37, 0));
	CHECK(!uuid_valid(path, 35, 0));
	CHECK(!uuid_valid(NULL, 36, 0));
}

/* ---- dates ----------------------------------------------------------------------------------- */

static void test_date_accepts_real_days(void)
{
	CHECK(text_is_date("2026-03-31"));
	CHECK(text_is_date("2026-01-01"));
	CHECK(text_is_date("2026-12-31"));
	CHECK(text_is_date("1900-01-01")); /* the first year */
	CHECK(text_is_date("9999-12-31")); /* the last */
	CHECK(text_is_date("2026-04-30"));
}

static void test_date_knows_the_leap_years(void)
{
	CHECK(text_is_date("2024-02-29"));  /* divisible by 4 */
	CHECK(!text_is_date("2026-02-29")); /* not */
	CHECK(!text_is_date("1900-02-29")); /* by 100, not by 400 */
	CHECK(!text_is_date("2100-02-29"));
	CHECK(text_is_date("2000-02-29")); /* by 400 */
	CHECK(text_is_date("2026-02-28"));
	CHECK(!text_is_date("2024-02-30"));
}

static void test_date_rejects_impossible_days_and_months(void)
{
	CHECK(!text_is_date("2026-13-01")); /* month 13 */
	CHECK(!text_is_date("2026-00-10"));
	CHECK(!text_is_date("2026-01-32")); /* day 32 */
	CHECK(!text_is_date("2026-01-00"));
	CHECK(!text_is_date("2026-04-31"));
	CHECK(!text_is_date("2026-06-31"));
	CHECK(!text_is_date("2026-09-31"));
	CHECK(!text_is_date("2026-11-31"));
	CHECK(!text_is_date("1899-12-31")); /* before 1900 */
	CHECK(!text_is_date("0000-01-01"));
}

static void test_date_rejects_junk_and_wrong_lengths(void)
{
	CHECK(!text_is_date(NULL));
	CHECK(!text_is_date(""));
	CHECK(!text_is_date("2026-03-31 "));         /* trailing junk */
	CHECK(!text_is_date("2026-03-31T00:00:00")); /* a timestamp */
	CHECK(!text_is_date(" 2026-03-31"));
	CHECK(!text_is_date("2026-3-31")); /* short */
	CHECK(!text_is_date("2026-03-1"));
	CHECK(!text_is_date("26-03-31"));
	CHECK(!text_is_date("20260-03-31")); /* long */
	CHECK(!text_is_date("2026/03/31"));
	CHECK(!text_is_date("31-03-2026"));
	CHECK(!text_is_date("2026-03-3a"));
	CHECK(!text_is_date("2026-+3-31"));
	CHECK(!text_is_date("2026-03--1"));
	CHECK(!text_is_date("2026--3-31"));
}

static void test_date_gives_the_days_since_1970(void)
{
	int64_t d = 12345;
	CHECK(parse_date("1970-01-01", &d) == 0);
	CHECK_INT(d, 0);
	CHECK(parse_date("1970-01-02", &d) == 0);
	CHECK_INT(d, 1);
	CHECK(parse_date("1969-12-31", &d) == 0);
	CHECK_INT(d, -1);
	CHECK(parse_date("1900-01-01", &d) == 0);
	CHECK_INT(d, -25567);
	CHECK(parse_date("2000-03-01", &d) == 0);
	CHECK_INT(d, 11017);
	CHECK(parse_date("2026-03-31", &d) == 0);
	CHECK_INT(d, 20543);
	CHECK(parse_date("9999-12-31", &d) == 0);
	CHECK_INT(d, 2932896);
	int64_t a = 0, b = 0; /* across a leap day */
	CHECK(parse_date("2024-02-28", &a) == 0 && parse_date("2024-03-01", &b) == 0);
	CHECK_INT(b - a, 2);
	CHECK(parse_date("2026-03-31", &a) == 0 && parse_date("2026-04-30", &b) == 0);
	CHECK_INT(b - a, 30);
	d = 777; /* untouched on failure */
	CHECK(parse_date("2026-02-29", &d) == -1);
	CHECK_INT(d, 777);
	CHECK(parse_date("2026-02-28", NULL) == 0);
}

/* ---- months ---------------------------------------------------------------------------------- */

static void test_month_gives_its_first_day(void)
{
	char first[11] = "unchanged!";
	CHECK(parse_month("2026-03", 7, first) == 0);
	CHECK_STR(first, "2026-03-01");
	CHECK(text_is_date(first));
	CHECK(parse_month("1900-01", 7, first) == 0);
	CHECK_STR(first, "1900-01-01");
	CHECK(parse_month("9999-12", 7, first) == 0);
	CHECK_STR(first, "9999-12-01");
	CHECK(parse_month("2026-02", 7, NULL) == 0);
	/* a segment of a path: exactly n bytes */
	CHECK(parse_month("2026-03/x", 7, NULL) == 0);
}

static void test_month_rejects_other_shapes(void)
{
	char first[11] = "unchanged!";
	CHECK(parse_month("2026-13", 7, first) == -1);
	CHECK(parse_month("2026-00", 7, first) == -1);
	CHECK(parse_month("1899-12", 7, first) == -1);
	CHECK(parse_month("0999-01", 7, first) == -1);
	CHECK(parse_month("2026-3", 6, first) == -1);
	CHECK(parse_month("2026-03-01", 10, first) == -1);
	CHECK(parse_month("2026-03x", 8, first) == -1);
	CHECK(parse_month("2026/03", 7, first) == -1);
	CHECK(parse_month("2026-3a", 7, first) == -1);
	CHECK(parse_month("202a-03", 7, first) == -1);
	CHECK(parse_month("2026-03", 6, first) == -1);
	CHECK(parse_month(NULL, 7, first) == -1);
	CHECK_STR(first, "unchanged!");
}

/* ---- decimals -------------------------------------------------------------------------------- */

/* The value of s with 3 decimals, no sign, within DECIMAL3_LIMIT; INT64_MIN when refused. */
static int64_t dec3(const char *s)
{
	int64_t v = INT64_MIN;
	return parse_decimal(s, 3, DECIMAL3_LIMIT, 0, &v) == 0 ? v : INT64_MIN;
}

/* As dec3, with a sign and the limit of a quantity (12 integer digits). */
static int64_t qty(const char *s)
{
	int64_t v = INT64_MIN;
	return parse_decimal(s, 3, INT64_C(999999999999999), DECIMAL_NEGATIVE, &v) == 0 ? v
	                                                                                : INT64_MIN;
}

/* ---- ISO weeks ------------------------------------------------------------------------------- */

static void test_iso_week_gives_its_monday(void)
{
	char monday[11];
	CHECK_INT(parse_iso_week("2026-W01", monday), 0);
	CHECK_STR(monday, "2025-12-29");
	CHECK_INT(parse_iso_week("2026-W05", monday), 0);
	CHECK_STR(monday, "2026-01-26");
	CHECK_INT(parse_iso_week("2026-W53", monday), 0); /* 2026 begins on a Thursday */
	CHECK_STR(monday, "2026-12-28");
	CHECK_INT(parse_iso_week("2020-W53", monday), 0); /* leap year beginning on a Wednesday */
	CHECK_STR(monday, "2020-12-28");
	CHECK_INT(parse_iso_week("2021-W01", monday), 0);
	CHECK_STR(monday, "2021-01-04");
	CHECK_INT(parse_iso_week("1970-W01", monday), 0);
	CHECK_STR(monday, "1969-12-29");
	CHECK_INT(parse_iso_week("2024-W09", monday), 0);
	CHECK_STR(monday, "2024-02-26");
	CHECK_INT(parse_iso_week("1900-W01", monday), 0);
	CHECK_STR(monday, "1900-01-01");
}

static void test_iso_week_rejects_weeks_that_do_not_exist_and_other_shapes(void)
{
	const char *bad[] = {"2025-W53",  "2021-W53", "2026-W00", "2026-W54", "2026-W5",
	                     "2026W05",   "2026-w05", "2026-05",  "1899-W52", "9999-W01",
	                     "2026-W05 ", "",         "2026-WAB", "+026-W05"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(parse_iso_week(bad[i], NULL) != 0);
	CHECK(parse_iso_week(NULL, NULL) != 0);
}

static void test_decimal_scales_to_an_integer(void)
{
	CHECK_INT(dec3("0"), 0);
	CHECK_INT(dec3("1"), 1000);
	CHECK_INT(dec3("12.5"), 12500);
	CHECK_INT(dec3("12.50"), 12500);
	CHECK_INT(dec3("12.505"), 12505);
	CHECK_INT(dec3("0.001"), 1);
	CHECK_INT(dec3("007"), 7000); /* leading zeros */
	CHECK_INT(dec3("0000000000000000000000000000000012"), 12000);
	CHECK_INT(qty("-4.5"), -4500);
	CHECK_INT(qty("-0"), 0);
	CHECK_INT(qty("-0.000"), 0);
	CHECK_INT(qty("4.5"), 4500);
	int64_t v = 0;
	CHECK(parse_decimal("42", 0, 100, 0, &v) == 0);
	CHECK_INT(v, 42);
	CHECK(parse_decimal("4.2", 0, 100, 0, &v) == -1); /* no decimals allowed */
	CHECK(parse_decimal("1.23", 2, 1000, 0, NULL) == 0);
}

static void test_decimal_rejects_malformed_numbers(void)
{
	CHECK_INT(dec3(NULL), INT64_MIN);
	CHECK_INT(dec3(""), INT64_MIN);
	CHECK_INT(dec3("1."), INT64_MIN);
	CHECK_INT(dec3(".5"), INT64_MIN);
	CHECK_INT(dec3("-1"), INT64_MIN); /* no sign without DECIMAL_NEGATIVE */
	CHECK_INT(dec3("+1"), INT64_MIN);
	CHECK_INT(qty("+1"), INT64_MIN);
	CHECK_INT(qty("-"), INT64_MIN);
	CHECK_INT(qty("--1"), INT64_MIN);
	CHECK_INT(qty("-.5"), INT64_MIN);
	CHECK_INT(dec3("1.2345"), INT64_MIN); /* too many decimals */
	CHECK_INT(dec3("4.5000"), INT64_MIN);
	CHECK_INT(dec3("1e3"), INT64_MIN);
	CHECK_INT(dec3("1,5"), INT64_MIN);
	CHECK_INT(dec3(" 1"), INT64_MIN);
	CHECK_INT(dec3("1 "), INT64_MIN);
	CHECK_INT(dec3("1.2.3"), INT64_MIN);
	CHECK_INT(dec3("0x10"), INT64_MIN);
	CHECK_INT(dec3("١"), INT64_MIN);                         /* an Arabic-Indic digit */
	CHECK(parse_decimal("1", 19, INT64_MAX, 0, NULL) == -1); /* decimals out of range */
	CHECK(parse_decimal("1", 3, -1, 0, NULL) == -1);         /* limit out of range */
}

static void test_decimal_keeps_to_its_limit_and_never_overflows(void)
{
	CHECK_INT(dec3("999999999.999"), DECIMAL3_LIMIT); /* 9 integer digits */
	CHECK_INT(dec3("999999999"), 999999999000);
	CHECK_INT(dec3("1000000000"), INT64_MIN); /* 10 */
	CHECK_INT(dec3("999999999999"), INT64_MIN);
	CHECK_INT(qty("999999999999.999"), INT64_C(999999999999999));
	CHECK_INT(qty("-999999999999.999"), -INT64_C(999999999999999));
	CHECK_INT(qty("1000000000000"), INT64_MIN);
	/* beyond int64 at every stage: the integer part, the decimals, the scaling */
	CHECK_INT(qty("99999999999999999999999999999999"), INT64_MIN);
	CHECK_INT(qty("9223372036854775808"), INT64_MIN);
	int64_t v = 0;
	CHECK(parse_decimal("9223372036854775807", 0, INT64_MAX, 0, &v) == 0);
	CHECK_INT(v, INT64_MAX);
	CHECK(parse_decimal("9223372036854775808", 0, INT64_MAX, 0, &v) == -1);
	CHECK(parse_decimal("-9223372036854775807", 0, INT64_MAX, DECIMAL_NEGATIVE, &v) == 0);
	CHECK_INT(v, -INT64_MAX);
	CHECK(parse_decimal("922337203685477580.8", 1, INT64_MAX, 0, &v) == -1);
	CHECK(parse_decimal("922337203685477580.7", 1, INT64_MAX, 0, &v) == 0);
	CHECK_INT(v, INT64_MAX);
	CHECK(parse_decimal("922337203685477581", 1, INT64_MAX, 0, &v) == -1); /* the scaling */
	CHECK(parse_decimal("9", 0, 8, 0, &v) == -1);
	CHECK(parse_decimal("8", 0, 8, 0, &v) == 0);
	CHECK(parse_decimal("0", 0, 0, 0, &v) == 0);
	CHECK(parse_decimal("1", 0, 0, 0, &v) == -1);
	CHECK(parse_decimal("0.000", 3, 0, 0, &v) == 0);
	v = 5; /* untouched on failure */
	CHECK(parse_decimal("1.", 3, 100, 0, &v) == -1);
	CHECK_INT(v, 5);
}

/* ---- municipality codes ---------------------------------------------------------------------- */

static void test_municipality_code_of_a_segment_reads_exactly_n_bytes(void)
{
	CHECK(municipality_code_valid_n("GM0363", 6));
	CHECK(municipality_code_valid_n("GM0363/permissions", 6));
	CHECK(!municipality_code_valid_n("GM0363", 5));
	CHECK(!municipality_code_valid_n("GM03630", 7));
	CHECK(!municipality_code_valid_n("gm0363", 6));
	CHECK(!municipality_code_valid_n("GM036A", 6));
	CHECK(!municipality_code_valid_n("GM 363", 6));
	CHECK(!municipality_code_valid_n(NULL, 6));
	CHECK(municipality_code_valid("GM0014"));
	CHECK(!municipality_code_valid("GM0363 "));
	CHECK(!municipality_code_valid(NULL));
}

int main(void)
{
	RUN(test_uuid_accepts_the_canonical_form_in_either_case);
	RUN(test_uuid_rejects_other_shapes);
	RUN(test_uuid_of_a_segment_reads_exactly_n_bytes);
	RUN(test_date_accepts_real_days);
	RUN(test_date_knows_the_leap_years);
	RUN(test_date_rejects_impossible_days_and_months);
	RUN(test_date_rejects_junk_and_wrong_lengths);
	RUN(test_date_gives_the_days_since_1970);
	RUN(test_month_gives_its_first_day);
	RUN(test_month_rejects_other_shapes);
	RUN(test_iso_week_gives_its_monday);
	RUN(test_iso_week_rejects_weeks_that_do_not_exist_and_other_shapes);
	RUN(test_decimal_scales_to_an_integer);
	RUN(test_decimal_rejects_malformed_numbers);
	RUN(test_decimal_keeps_to_its_limit_and_never_overflows);
	RUN(test_municipality_code_of_a_segment_reads_exactly_n_bytes);
	UNIT_END();
}
