/* Identifier checks: every test vector of RULES.md §4, valid and invalid, and the edges around
 * them (NULL, empty, case, length, spaces, check digits). tests/unit/ids_sql_check.sql checks
 * that the SQL functions of sql/002_identifiers.sql give the same answers. */
#include "lib/ids.h"
#include "unit.h"

/* ---- RULES.md §4 vectors ------------------------------------------------------------------ */

static void test_rules_vectors_kvk(void)
{
	CHECK(kvk_valid("12345678"));
	CHECK(!kvk_valid("1234567"));
}

static void test_rules_vectors_rsin(void)
{
	CHECK(rsin_valid("111222333"));
	CHECK(!rsin_valid("111252333"));
}

static void test_rules_vectors_vat_id_nl(void)
{
	CHECK(vat_id_nl_valid("NL002455799B11"));
	CHECK(vat_id_nl_valid("NL000099998B57"));
	CHECK(vat_id_nl_valid("NL004495445B01"));
	CHECK(!vat_id_nl_valid("NL123456789B90"));
	CHECK(vat_id_valid("NL002455799B11"));
	CHECK(vat_id_valid("NL000099998B57"));
	CHECK(vat_id_valid("NL004495445B01"));
	CHECK(!vat_id_valid("NL123456789B90"));
}

static void test_rules_vectors_iban(void)
{
	CHECK(iban_valid("NL91ABNA0417164300"));
	CHECK(iban_valid("NL02ABNA0123456789"));
	CHECK(!iban_valid("NL91ABNA0417164301"));
}

static void test_rules_vectors_postal_code(void)
{
	CHECK(postal_code_nl_valid("1012 AB"));
	CHECK(!postal_code_nl_valid("0123 AB"));
}

static void test_rules_vectors_municipality_code(void)
{
	CHECK(municipality_code_valid("GM0363"));
	CHECK(!municipality_code_valid("GM363"));
}

/* ---- NULL and empty ----------------------------------------------------------------------- */

static void test_null_is_invalid_everywhere(void)
{
	CHECK(!kvk_valid(NULL));
	CHECK(!rsin_valid(NULL));
	CHECK(!vat_id_nl_valid(NULL));
	CHECK(!vat_id_valid(NULL));
	CHECK(!iban_valid(NULL));
	CHECK(!postal_code_nl_valid(NULL));
	CHECK(!municipality_code_valid(NULL));
	CHECK(!bic_valid(NULL));
	CHECK(!email_plausible(NULL));
}

static void test_empty_string_is_invalid_everywhere(void)
{
	CHECK(!kvk_valid(""));
	CHECK(!rsin_valid(""));
	CHECK(!vat_id_nl_valid(""));
	CHECK(!vat_id_valid(""));
	CHECK(!iban_valid(""));
	CHECK(!postal_code_nl_valid(""));
	CHECK(!municipality_code_valid(""));
	CHECK(!bic_valid(""));
	CHECK(!email_plausible(""));
}

/* ---- KvK ---------------------------------------------------------------------------------- */

static void test_kvk_accepts_any_eight_digits_including_leading_zeros(void)
{
	CHECK(kvk_valid("00000001"));
	CHECK(kvk_valid("99999999"));
}

static void test_kvk_rejects_wrong_length_letters_and_spaces(void)
{
	CHECK(!kvk_valid("123456789"));
	CHECK(!kvk_valid("1234567A"));
	CHECK(!kvk_valid("1234 5678"));
	CHECK(!kvk_valid(" 12345678"));
	CHECK(!kvk_valid("12345678 "));
	CHECK(!kvk_valid("+1234567"));
}

/* ---- RSIN --------------------------------------------------------------------------------- */

static void test_rsin_last_digit_counts_negatively_in_the_eleven_test(void)
{
	/* 9*1+8*1+7*1+6*2+5*2+4*2+3*3+2*3 = 69; 69 - 3 = 66 = 6 * 11 (a weight of +1: 72) */
	CHECK(rsin_valid("111222333"));
	/* 100000009: 9 - 9 = 0; 100000000 sums to 9 */
	CHECK(rsin_valid("100000009"));
	CHECK(!rsin_valid("100000000"));
}

static void test_rsin_rejects_all_zeros_though_the_sum_is_zero(void)
{
	CHECK(!rsin_valid("000000000"));
}

static void test_rsin_rejects_wrong_length_and_non_digits(void)
{
	CHECK(!rsin_valid("11122233"));
	CHECK(!rsin_valid("1112223330"));
	CHECK(!rsin_valid("11122233A"));
	CHECK(!rsin_valid("111 222 333"));
	CHECK(!rsin_valid("-11222333"));
}

/* ---- VAT id ------------------------------------------------------------------------------- */

/* Which method each RULES.md vector passes (checked by hand against both formulas):
 *   NL002455799B11  mod 97 only (002455799 fails the 11-test)
 *   NL000099998B57  mod 97 only (000099998 fails the 11-test)
 *   NL004495445B01  11-test only (the whole string gives mod 97 != 1)
 * so each method alone is enough, and NL123456789B90 fails both. */
static void test_vat_id_nl_valid_by_mod97_alone(void)
{
	CHECK(vat_id_nl_valid("NL002455799B11"));
	CHECK(!rsin_valid("002455799")); /* not by the 11-test */
	CHECK(vat_id_nl_valid("NL000099998B57"));
	CHECK(!rsin_valid("000099998"));
}

static void test_vat_id_nl_valid_by_eleven_test_alone(void)
{
	CHECK(vat_id_nl_valid("NL004495445B01"));
	CHECK(rsin_valid("004495445"));
	/* the same digits with another suffix still pass: the 11-test ignores the suffix */
	CHECK(vat_id_nl_valid("NL004495445B02"));
	CHECK(vat_id_nl_valid("NL111222333B01"));
}

static void test_vat_id_nl_mod97_fails_with_another_suffix(void)
{
	CHECK(!vat_id_nl_valid("NL002455799B12"));
	CHECK(!vat_id_nl_valid("NL000099998B58"));
}

static void test_vat_id_nl_valid_by_both_methods(void)
{
	CHECK(vat_id_nl_valid("NL100000009B39"));
	CHECK(rsin_valid("100000009"));
}

static void test_vat_id_nl_rejects_nine_zeros_though_mod97_holds(void)
{
	CHECK(!vat_id_nl_valid("NL000000000B73"));
}

static void test_vat_id_nl_rejects_lowercase_spaces_and_wrong_shape(void)
{
	CHECK(!vat_id_nl_valid("nl002455799B11"));
	CHECK(!vat_id_nl_valid("NL002455799b11"));
	CHECK(!vat_id_nl_valid("NL 002455799B11"));
	CHECK(!vat_id_nl_valid("NL002455799B1"));
	CHECK(!vat_id_nl_valid("NL002455799B111"));
	CHECK(!vat_id_nl_valid("NL02455799B11"));
	CHECK(!vat_id_nl_valid("NL002455799C11"));
	CHECK(!vat_id_nl_valid("BE002455799B11"));
	CHECK(!vat_id_nl_valid("NL00245579AB11"));
}

static void test_vat_id_of_other_countries_is_checked_for_format_only(void)
{
	CHECK(vat_id_valid("DE123456789"));
	CHECK(vat_id_valid("BE0123456789"));
	CHECK(vat_id_valid("ATU12345678"));
	CHECK(vat_id_valid("FR12345678901"));
	CHECK(vat_id_valid("XX12"));            /* 2 letters + 2: the shortest */
	CHECK(vat_id_valid("XX1234567890123")); /* 2 letters + 13: the longest */
	CHECK(!vat_id_valid("XX1"));
	CHECK(!vat_id_valid("XX12345678901234"));
	CHECK(!vat_id_valid("de123456789"));
	CHECK(!vat_id_valid("DE 123456789"));
	CHECK(!vat_id_valid("DE12345678-9"));
	CHECK(!vat_id_valid("D1123456789"));
	CHECK(!vat_id_valid("atu12345678"));
}

static void test_vat_id_nl_must_pass_the_dutch_check(void)
{
	CHECK(!vat_id_valid("NL123456789B90"));
	CHECK(!vat_id_valid("NL1234"));
	CHECK(!vat_id_valid("NL002455799"));
}

/* ---- IBAN --------------------------------------------------------------------------------- */

static void test_iban_of_other_countries_is_valid(void)
{
	CHECK(iban_valid("DE89370400440532013000"));
	CHECK(iban_valid("GB82WEST12345698765432"));
	CHECK(iban_valid("BE71096123456769"));
	CHECK(iban_valid("FR1420041010050500013M02606")); /* a letter inside the BBAN */
	CHECK(iban_valid("NO9386011117947"));             /* 15: the shortest national format */
}

static void test_iban_with_one_digit_changed_is_invalid(void)
{
	CHECK(!iban_valid("DE89370400440532013001"));
	CHECK(!iban_valid("GB82WEST12345698765433"));
	CHECK(!iban_valid("NL92ABNA0417164300"));
}

static void test_iban_with_swapped_digits_is_invalid(void)
{
	CHECK(!iban_valid("NL91ABNA0417164030"));
}

static void test_iban_rejects_spaces_and_lowercase(void)
{
	CHECK(!iban_valid("NL91 ABNA 0417 1643 00"));
	CHECK(!iban_valid("NL91ABNA0417164300 "));
	CHECK(!iban_valid("nl91abna0417164300"));
	CHECK(!iban_valid("NL91abna0417164300"));
}

static void test_iban_nl_must_have_eighteen_characters(void)
{
	CHECK(!iban_valid("NL91ABNA04171643000"));
	CHECK(!iban_valid("NL91ABNA041716430"));
}

static void test_iban_nl_needs_a_four_letter_bank_and_ten_digits(void)
{
	/* NL44ABN10417164300 has a valid mod 97 but a digit in the bank code */
	CHECK(!iban_valid("NL44ABN10417164300"));
}

static void test_iban_rejects_check_digits_00_01_99_that_mod97_would_accept(void)
{
	/* NL98ABNA1000000023 is valid; 01 is its alias mod 97 */
	CHECK(iban_valid("NL98ABNA1000000023"));
	CHECK(!iban_valid("NL01ABNA1000000023"));
	/* NL02ABNA1000000005 is valid; 99 is its alias mod 97 */
	CHECK(iban_valid("NL02ABNA1000000005"));
	CHECK(!iban_valid("NL99ABNA1000000005"));
	CHECK(!iban_valid("NL00ABNA1000000005"));
}

static void test_iban_rejects_wrong_shapes(void)
{
	CHECK(!iban_valid("NL9"));
	CHECK(!iban_valid("NO698601111794")); /* 14: mod 97 holds, but shorter than any format */
	CHECK(!iban_valid("1291ABNA0417164300")); /* country not letters */
	CHECK(!iban_valid("NLX1ABNA0417164300")); /* check digits not digits */
	CHECK(!iban_valid("DE89-370400440532013000"));
	CHECK(!iban_valid("XX891234567890123456789012345678901")); /* 35 characters */
}

static void test_iban_normalize_removes_spaces_and_uppercases(void)
{
	char out[40];
	iban_normalize("NL91 ABNA 0417 1643 00", out, sizeof out);
	CHECK_STR(out, "NL91ABNA0417164300");
	CHECK(iban_valid(out));
	iban_normalize(" nl91abna 0417164300 ", out, sizeof out);
	CHECK_STR(out, "NL91ABNA0417164300");
	iban_normalize("gb82 west 1234 5698 7654 32", out, sizeof out);
	CHECK_STR(out, "GB82WEST12345698765432");
	CHECK(iban_valid(out));
}

static void test_iban_normalize_gives_empty_when_it_does_not_fit_or_input_is_null(void)
{
	char out[18];
	iban_normalize("NL91ABNA0417164300", out, sizeof out); /* needs 19 bytes */
	CHECK_STR(out, "");
	CHECK(!iban_valid(out));
	char big[19];
	iban_normalize("NL91ABNA0417164300", big, sizeof big);
	CHECK_STR(big, "NL91ABNA0417164300");
	iban_normalize(NULL, big, sizeof big);
	CHECK_STR(big, "");
	big[0] = 'x';
	iban_normalize("NL91", big, 0); /* n == 0: nothing written */
	CHECK(big[0] == 'x');
	iban_normalize("NL91", NULL, 10); /* no crash */
}

/* ---- postal code -------------------------------------------------------------------------- */

static void test_postal_code_accepts_with_and_without_the_space(void)
{
	CHECK(postal_code_nl_valid("1012AB"));
	CHECK(postal_code_nl_valid("1012 AB"));
	CHECK(postal_code_nl_valid("9999 ZZ"));
	CHECK(postal_code_nl_valid("1000 AA"));
}

static void test_postal_code_rejects_leading_zero(void)
{
	CHECK(!postal_code_nl_valid("0123 AB"));
	CHECK(!postal_code_nl_valid("0123AB"));
}

static void test_postal_code_rejects_sa_sd_ss(void)
{
	CHECK(!postal_code_nl_valid("1012 SA"));
	CHECK(!postal_code_nl_valid("1012 SD"));
	CHECK(!postal_code_nl_valid("1012 SS"));
	CHECK(!postal_code_nl_valid("1012SS"));
	CHECK(postal_code_nl_valid("1012 SB"));
	CHECK(postal_code_nl_valid("1012 AS"));
}

static void test_postal_code_rejects_lowercase_extra_spaces_and_wrong_lengths(void)
{
	CHECK(!postal_code_nl_valid("1012 ab"));
	CHECK(!postal_code_nl_valid("1012 aB"));
	CHECK(!postal_code_nl_valid("1012  AB"));
	CHECK(!postal_code_nl_valid(" 1012 AB"));
	CHECK(!postal_code_nl_valid("1012 AB "));
	CHECK(!postal_code_nl_valid("1012-AB"));
	CHECK(!postal_code_nl_valid("101 AB"));
	CHECK(!postal_code_nl_valid("10123 AB"));
	CHECK(!postal_code_nl_valid("1012 A"));
	CHECK(!postal_code_nl_valid("1012 ABC"));
	CHECK(!postal_code_nl_valid("1O12 AB")); /* letter O */
	CHECK(!postal_code_nl_valid("1012 A1"));
}

static void test_postal_code_normalize_gives_the_canonical_form(void)
{
	char out[16];
	postal_code_nl_normalize("1012ab", out, sizeof out);
	CHECK_STR(out, "1012 AB");
	postal_code_nl_normalize(" 1012   Ab ", out, sizeof out);
	CHECK_STR(out, "1012 AB");
	postal_code_nl_normalize("1012 AB", out, sizeof out);
	CHECK_STR(out, "1012 AB");
	CHECK(postal_code_nl_valid(out));
}

static void test_postal_code_normalize_leaves_other_shapes_invalid(void)
{
	char out[16];
	postal_code_nl_normalize("10 12AB", out, sizeof out);
	CHECK_STR(out, "10 12AB");
	CHECK(!postal_code_nl_valid(out));
	postal_code_nl_normalize("1012A B", out, sizeof out);
	CHECK(!postal_code_nl_valid(out));
	postal_code_nl_normalize("0123ab", out, sizeof out);
	CHECK_STR(out, "0123 AB");
	CHECK(!postal_code_nl_valid(out));
	postal_code_nl_normalize("1012ss", out, sizeof out);
	CHECK(!postal_code_nl_valid(out));
	postal_code_nl_normalize("   ", out, sizeof out);
	CHECK_STR(out, "");
}

static void test_postal_code_normalize_gives_empty_when_it_does_not_fit_or_input_is_null(void)
{
	char small[7];
	postal_code_nl_normalize("1012ab", small, sizeof small); /* "1012 AB" needs 8 bytes */
	CHECK_STR(small, "");
	char out[8];
	postal_code_nl_normalize("1012ab", out, sizeof out);
	CHECK_STR(out, "1012 AB");
	postal_code_nl_normalize("1012 abcdef", out, sizeof out);
	CHECK_STR(out, "");
	postal_code_nl_normalize(NULL, out, sizeof out);
	CHECK_STR(out, "");
}

/* ---- municipality code -------------------------------------------------------------------- */

static void test_municipality_code_rejects_lowercase_and_wrong_shapes(void)
{
	CHECK(municipality_code_valid("GM0014"));
	CHECK(!municipality_code_valid("gm0363"));
	CHECK(!municipality_code_valid("GM03630"));
	CHECK(!municipality_code_valid("GM036A"));
	CHECK(!municipality_code_valid("GM 0363"));
	CHECK(!municipality_code_valid("0363"));
	CHECK(!municipality_code_valid("PV0363"));
}

/* ---- BIC ---------------------------------------------------------------------------------- */

static void test_bic_accepts_eight_and_eleven_characters(void)
{
	CHECK(bic_valid("ABNANL2A"));
	CHECK(bic_valid("RABONL2U"));
	CHECK(bic_valid("DEUTDEFF500"));
	CHECK(bic_valid("INGBNL2AXXX"));
}

static void test_bic_rejects_other_lengths_lowercase_and_digits_in_bank_or_country(void)
{
	CHECK(!bic_valid("ABNANL2"));
	CHECK(!bic_valid("ABNANL2AX"));
	CHECK(!bic_valid("ABNANL2AXX"));
	CHECK(!bic_valid("ABNANL2AXXXX"));
	CHECK(!bic_valid("abnanl2a"));
	CHECK(!bic_valid("AB1ANL2A"));
	CHECK(!bic_valid("ABNAN12A"));
	CHECK(!bic_valid("ABNANL2a"));
	CHECK(!bic_valid("ABNA NL2A"));
	CHECK(!bic_valid("ABNANL2-XXX"));
}

static void test_bic_location_code_follows_the_iso_20022_pattern(void)
{
	CHECK(bic_valid("ABNANL22"));
	CHECK(bic_valid("ABNANL9Z"));
	CHECK(!bic_valid("ABNANL0A")); /* a location code never starts with 0 or 1 */
	CHECK(!bic_valid("ABNANL1A"));
	CHECK(!bic_valid("ABNANL2O")); /* nor ends with the letter O */
	CHECK(bic_valid("ABNANL20"));  /* the digit 0 is fine there */
}

/* ---- e-mail ------------------------------------------------------------------------------- */

static void test_email_plausible_accepts_ordinary_addresses(void)
{
	CHECK(email_plausible("jan@example.nl"));
	CHECK(email_plausible("j.de.vries+coop@mail.example.org"));
	CHECK(email_plausible("a@b.c"));
}

static void test_email_rejects_missing_or_extra_at_and_empty_parts(void)
{
	CHECK(!email_plausible("jan.example.nl"));
	CHECK(!email_plausible("jan@@example.nl"));
	CHECK(!email_plausible("jan@ex@ample.nl"));
	CHECK(!email_plausible("@example.nl"));
	CHECK(!email_plausible("jan@"));
	CHECK(!email_plausible("@"));
}

static void test_email_rejects_domain_without_a_dot_or_with_empty_labels(void)
{
	CHECK(!email_plausible("jan@localhost"));
	CHECK(!email_plausible("jan@.example.nl"));
	CHECK(!email_plausible("jan@example.nl."));
	CHECK(!email_plausible("jan@example..nl"));
	CHECK(!email_plausible("jan@."));
}

static void test_email_rejects_spaces_and_control_characters(void)
{
	CHECK(!email_plausible("jan @example.nl"));
	CHECK(!email_plausible("jan@example.nl "));
	CHECK(!email_plausible(" jan@example.nl"));
	CHECK(!email_plausible("jan@exa\tmple.nl"));
	CHECK(!email_plausible("jan\n@example.nl"));
	CHECK(!email_plausible("jan\x7f@example.nl"));
}

static void test_email_accepts_254_bytes_and_rejects_255(void)
{
	char s[300];
	/* local part of 64 'a', '@', then labels of 'b' so that the total is exactly 254 */
	memset(s, 'a', 64);
	s[64] = '@';
	memset(s + 65, 'b', 254 - 65);
	s[200] = '.';
	s[254] = '\0';
	CHECK_INT(strlen(s), 254);
	CHECK(email_plausible(s));
	s[254] = 'b';
	s[255] = '\0';
	CHECK(!email_plausible(s));
}

int main(void)
{
	RUN(test_rules_vectors_kvk);
	RUN(test_rules_vectors_rsin);
	RUN(test_rules_vectors_vat_id_nl);
	RUN(test_rules_vectors_iban);
	RUN(test_rules_vectors_postal_code);
	RUN(test_rules_vectors_municipality_code);
	RUN(test_null_is_invalid_everywhere);
	RUN(test_empty_string_is_invalid_everywhere);
	RUN(test_kvk_accepts_any_eight_digits_including_leading_zeros);
	RUN(test_kvk_rejects_wrong_length_letters_and_spaces);
	RUN(test_rsin_last_digit_counts_negatively_in_the_eleven_test);
	RUN(test_rsin_rejects_all_zeros_though_the_sum_is_zero);
	RUN(test_rsin_rejects_wrong_length_and_non_digits);
	RUN(test_vat_id_nl_valid_by_mod97_alone);
	RUN(test_vat_id_nl_valid_by_eleven_test_alone);
	RUN(test_vat_id_nl_mod97_fails_with_another_suffix);
	RUN(test_vat_id_nl_valid_by_both_methods);
	RUN(test_vat_id_nl_rejects_nine_zeros_though_mod97_holds);
	RUN(test_vat_id_nl_rejects_lowercase_spaces_and_wrong_shape);
	RUN(test_vat_id_of_other_countries_is_checked_for_format_only);
	RUN(test_vat_id_nl_must_pass_the_dutch_check);
	RUN(test_iban_of_other_countries_is_valid);
	RUN(test_iban_with_one_digit_changed_is_invalid);
	RUN(test_iban_with_swapped_digits_is_invalid);
	RUN(test_iban_rejects_spaces_and_lowercase);
	RUN(test_iban_nl_must_have_eighteen_characters);
	RUN(test_iban_nl_needs_a_four_letter_bank_and_ten_digits);
	RUN(test_iban_rejects_check_digits_00_01_99_that_mod97_would_accept);
	RUN(test_iban_rejects_wrong_shapes);
	RUN(test_iban_normalize_removes_spaces_and_uppercases);
	RUN(test_iban_normalize_gives_empty_when_it_does_not_fit_or_input_is_null);
	RUN(test_postal_code_accepts_with_and_without_the_space);
	RUN(test_postal_code_rejects_leading_zero);
	RUN(test_postal_code_rejects_sa_sd_ss);
	RUN(test_postal_code_rejects_lowercase_extra_spaces_and_wrong_lengths);
	RUN(test_postal_code_normalize_gives_the_canonical_form);
	RUN(test_postal_code_normalize_leaves_other_shapes_invalid);
	RUN(test_postal_code_normalize_gives_empty_when_it_does_not_fit_or_input_is_null);
	RUN(test_municipality_code_rejects_lowercase_and_wrong_shapes);
	RUN(test_bic_accepts_eight_and_eleven_characters);
	RUN(test_bic_rejects_other_lengths_lowercase_and_digits_in_bank_or_country);
	RUN(test_bic_location_code_follows_the_iso_20022_pattern);
	RUN(test_email_plausible_accepts_ordinary_addresses);
	RUN(test_email_rejects_missing_or_extra_at_and_empty_parts);
	RUN(test_email_rejects_domain_without_a_dot_or_with_empty_labels);
	RUN(test_email_rejects_spaces_and_control_characters);
	RUN(test_email_accepts_254_bytes_and_rejects_255);
	UNIT_END();
}
