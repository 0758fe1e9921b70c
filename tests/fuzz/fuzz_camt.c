/* Fuzz target: the bank statement reader (camt_parse, lib/camt.h) on any bytes, as the body of
 * POST /v1/cooperatives/{id}/bank-statements. Seeds: corpus/camt/ (the statements of
 * tests/fixtures/camt/ and nasty variants); dictionary camt.dict (the element names).
 *
 * Invariants (abort on violation): no crash, leak or undefined behaviour, and
 * - a NULL result comes with one of the documented codes and a non-empty, NUL-terminated
 *   detail; a result comes with no code;
 * - a result is the documented document: a message_id of 1..35 characters; 1..100 statements,
 *   each with an id and a valid IBAN; every entry with a non-zero amount within
 *   CAMT_MAX_CENTS, a booking date (and a value date or null) that are dates, positions that
 *   grow through the file, at most CAMT_MAX_ENTRIES of them; every text cleaned (no control
 *   character, no leading, trailing or repeated space); a statement with both balances adds
 *   up with its entries;
 * - reading the same bytes again gives the same document. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <libxml/parser.h>

#include "fuzz.h"
#include "lib/camt.h"
#include "lib/ids.h"
#include "lib/parse.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	return 0;
}

static const char *const codes[] = {"statement_malformed",        "statement_unsupported",
                                    "statement_invalid",          "statement_currency",
                                    "statement_balance_mismatch", "statement_too_large"};

/* A cleaned text: not empty, no control characters (C0, DEL, C1, U+2028/9), no space at
 * either end or twice in a row, at most max characters. */
static void check_text(const char *s, size_t max)
{
	FUZZ_ASSERT(s && s[0] && s[0] != ' ');
	size_t n = strlen(s), chars = 0;
	FUZZ_ASSERT(s[n - 1] != ' ' && !strstr(s, "  "));
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		FUZZ_ASSERT(*p >= 0x20 && *p != 0x7f);
		FUZZ_ASSERT(!(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f));
		FUZZ_ASSERT(!(p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)));
		chars += (*p & 0xc0) != 0x80;
	}
	FUZZ_ASSERT(chars <= max);
}

static void check_text_or_null(json_t *v, size_t max)
{
	FUZZ_ASSERT(json_is_null(v) || json_is_string(v));
	if (json_is_string(v))
		check_text(json_string_value(v), max);
}

static void check_texts(json_t *a, size_t max)
{
	FUZZ_ASSERT(json_is_array(a) && json_array_size(a) <= CAMT_MAX_ENTRY_ITEMS);
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		FUZZ_ASSERT(json_is_string(v));
		check_text(json_string_value(v), max);
	}
}

static void check_date_or_null(json_t *v, bool required)
{
	FUZZ_ASSERT(json_is_string(v) || (!required && json_is_null(v)));
	if (json_is_string(v))
		FUZZ_ASSERT(text_is_date(json_string_value(v)));
}

static void check_doc(json_t *doc)
{
	FUZZ_ASSERT(json_is_object(doc));
	check_text(json_string_value(json_object_get(doc, "message_id")), 35);
	json_t *stmts = json_object_get(doc, "statements");
	FUZZ_ASSERT(json_is_array(stmts));
	FUZZ_ASSERT(json_array_size(stmts) >= 1 && json_array_size(stmts) <= CAMT_MAX_STATEMENTS);
	long long last_line = 0;
	size_t entries_seen = 0, i;
	json_t *s;
	json_array_foreach(stmts, i, s)
	{
		check_text(json_string_value(json_object_get(s, "id")), 35);
		FUZZ_ASSERT(iban_valid(json_string_value(json_object_get(s, "iban"))));
		check_date_or_null(json_object_get(s, "from_date"), false);
		check_date_or_null(json_object_get(s, "to_date"), false);
		json_t *open = json_object_get(s, "opening_balance_cents");
		json_t *close = json_object_get(s, "closing_balance_cents");
		FUZZ_ASSERT(json_is_null(open) || json_is_integer(open));
		FUZZ_ASSERT(json_is_null(close) || json_is_integer(close));
		json_t *skipped = json_object_get(s, "skipped");
		FUZZ_ASSERT(json_is_integer(skipped) && json_integer_value(skipped) >= 0);
		json_t *entries = json_object_get(s, "entries");
		FUZZ_ASSERT(json_is_array(entries));
		long long sum = 0;
		size_t j;
		json_t *e;
		json_array_foreach(entries, j, e)
		{
			long long line = json_integer_value(json_object_get(e, "line"));
			FUZZ_ASSERT(line > last_line && line <= CAMT_MAX_ENTRIES);
			last_line = line;
			long long cents = json_integer_value(json_object_get(e, "amount_cents"));
			FUZZ_ASSERT(json_is_integer(json_object_get(e, "amount_cents")));
			FUZZ_ASSERT(cents != 0 && cents <= CAMT_MAX_CENTS && cents >= -CAMT_MAX_CENTS);
			sum += cents;
			FUZZ_ASSERT(json_is_boolean(json_object_get(e, "reversal")));
			check_date_or_null(json_object_get(e, "booking_date"), true);
			check_date_or_null(json_object_get(e, "value_date"), false);
			check_text_or_null(json_object_get(e, "account_servicer_reference"), 35);
			check_text_or_null(json_object_get(e, "entry_reference"), 35);
			check_text_or_null(json_object_get(e, "end_to_end_id"), 35);
			check_text_or_null(json_object_get(e, "counterparty_name"), 140);
			check_text_or_null(json_object_get(e, "additional_information"), 1000);
			json_t *iban = json_object_get(e, "counterparty_iban");
			FUZZ_ASSERT(json_is_null(iban) || iban_valid(json_string_value(iban)));
			check_texts(json_object_get(e, "remittance"), 140);
			check_texts(json_object_get(e, "structured_references"), 35);
			check_texts(json_object_get(e, "batch_references"), 35);
			check_texts(json_object_get(e, "end_to_end_ids"), 35);
			json_t *tx = json_object_get(e, "transaction_count");
			FUZZ_ASSERT(json_is_integer(tx) && json_integer_value(tx) >= 0 &&
			            json_integer_value(tx) <= CAMT_MAX_ENTRY_ITEMS);
			entries_seen++;
		}
		if (json_is_integer(open) && json_is_integer(close))
			FUZZ_ASSERT(json_integer_value(open) + sum == json_integer_value(close));
	}
	FUZZ_ASSERT(entries_seen <= CAMT_MAX_ENTRIES);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct camt_error e;
	memset(&e, 0x5a, sizeof e);
	json_t *doc = camt_parse((const char *)data, size, &e);
	if (!doc) {
		bool known = false;
		for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
			known |= memchr(e.code, '\0', sizeof e.code) && strcmp(e.code, codes[i]) == 0;
		FUZZ_ASSERT(known);
		FUZZ_ASSERT(memchr(e.detail, '\0', sizeof e.detail) != NULL && e.detail[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(e.code[0] == '\0');
	check_doc(doc);
	struct camt_error e2;
	json_t *again = camt_parse((const char *)data, size, &e2);
	FUZZ_ASSERT(again && json_equal(doc, again));
	json_decref(again);
	json_decref(doc);
	return 0;
}
