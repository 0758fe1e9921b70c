/* The camt.053.001.02 reader (lib/camt.h): the bank styles of tests/fixtures/camt/ read into
 * the import's document field by field; texts cleaned; entries that are not booked left out;
 * and every refusal with its code: not XML, truncated, a DTD with entities, another message,
 * another currency, amounts and dates that break their rules, a statement that does not add
 * up, and each limit (depth, entries, lengths) at and beyond its bound. */
#include "lib/camt.h"
#include "lib/sbuf.h"
#include "unit.h"

#include <jansson.h>
#include <libxml/parser.h>
#include <stdlib.h>

/* ---- files and documents ---- */

static void fixture_path(char *path, size_t n, const char *file)
{
	const char *tail = strstr(__FILE__, "tests/unit/test_camt.c");
	snprintf(path, n, "%.*stests/fixtures/camt/%s", tail ? (int)(tail - __FILE__) : 0, __FILE__,
	         file);
}

/* The whole fixture, malloc'ed and NUL-terminated; NULL when it cannot be read. */
static char *fixture(const char *file, size_t *len)
{
	char path[1024];
	fixture_path(path, sizeof path, file);
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;
	if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
		fprintf(stderr, "  cannot read %s\n", path);
	}
	if (f)
		fclose(f);
	return buf;
}

static json_t *parse_fixture(const char *file, struct camt_error *e)
{
	size_t len = 0;
	char *xml = fixture(file, &len);
	json_t *doc = xml ? camt_parse(xml, len, e) : NULL;
	if (xml && !doc)
		fprintf(stderr, "  %s: %s: %s\n", file, e->code, e->detail);
	free(xml);
	return doc;
}

static json_t *parse_text(const char *xml, struct camt_error *e)
{
	return camt_parse(xml, strlen(xml), e);
}

#define HEAD                                                                                       \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"                                               \
	"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>"       \
	"<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-25T06:00:00</CreDtTm></GrpHdr>"
#define STMT_OPEN                                                                                  \
	"<Stmt><Id>S1</Id><CreDtTm>2026-11-25T06:00:00</CreDtTm>"                                  \
	"<Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>"
#define TAIL "</Stmt></BkToCstmrStmt></Document>"

/* One booked entry with the given parts. */
static void entry(struct sbuf *b, const char *amount, const char *ccy, const char *ind,
                  const char *inner)
{
	sbuf_printf(b,
	            "<Ntry><Amt Ccy=\"%s\">%s</Amt><CdtDbtInd>%s</CdtDbtInd><Sts>BOOK</Sts>"
	            "<BookgDt><Dt>2026-11-24</Dt></BookgDt>%s</Ntry>",
	            ccy, amount, ind, inner ? inner : "");
}

/* A document of one statement holding stmt_inner (balances, entries), parsed. */
static json_t *parse_stmt(const char *stmt_inner, struct camt_error *e)
{
	struct sbuf b = {0};
	sbuf_puts(&b, HEAD STMT_OPEN);
	sbuf_puts(&b, stmt_inner);
	sbuf_puts(&b, TAIL);
	json_t *doc = camt_parse(b.data, b.len, e);
	sbuf_free(&b);
	return doc;
}

/* One booked credit of 10.00 with inner parts (in Ntry after BookgDt). */
static json_t *parse_entry(const char *inner, struct camt_error *e)
{
	struct sbuf b = {0};
	entry(&b, "10.00", "EUR", "CRDT", inner);
	json_t *doc = parse_stmt(b.data, e);
	sbuf_free(&b);
	return doc;
}

static json_t *stmt_at(json_t *doc, size_t i)
{
	return json_array_get(json_object_get(doc, "statements"), i);
}

static json_t *entry_at(json_t *doc, size_t s, size_t i)
{
	return json_array_get(json_object_get(stmt_at(doc, s), "entries"), i);
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static long long num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static int is_null(json_t *o, const char *k)
{
	return json_is_null(json_object_get(o, k));
}

static const char *item(json_t *o, const char *k, size_t i)
{
	return json_string_value(json_array_get(json_object_get(o, k), i));
}

static size_t count(json_t *o, const char *k)
{
	return json_array_size(json_object_get(o, k));
}

/* The document is refused with code. */
#define CHECK_REFUSED(doc, e, want)                                                                \
	do {                                                                                       \
		json_t *d_ = (doc);                                                                \
		CHECK(d_ == NULL);                                                                 \
		CHECK_STR((e).code, want);                                                         \
		CHECK((e).detail[0] != '\0');                                                      \
		json_decref(d_);                                                                   \
	} while (0)

/* ---- the bank styles ---- */

static void test_rabobank_style_reads_every_field(void)
{
	struct camt_error e;
	json_t *doc = parse_fixture("rabobank.xml", &e);
	CHECK(doc != NULL);
	CHECK_STR(str(doc, "message_id"), "RABO-CAMT053-20261124-0001");
	CHECK_INT(count(doc, "statements"), 1);
	json_t *s = stmt_at(doc, 0);
	CHECK_STR(str(s, "id"), "NL91ABNA0417164300-2026-11-24");
	CHECK_STR(str(s, "iban"), "NL91ABNA0417164300");
	CHECK(is_null(s, "from_date") && is_null(s, "to_date"));
	CHECK_INT(num(s, "opening_balance_cents"), 100000); /* PRCD */
	CHECK_INT(num(s, "closing_balance_cents"), 119925);
	CHECK_INT(num(s, "skipped"), 0);
	CHECK_INT(count(s, "entries"), 4);

	json_t *a = entry_at(doc, 0, 0);
	CHECK_INT(num(a, "line"), 1);
	CHECK_STR(str(a, "account_servicer_reference"), "2026112400000001");
	CHECK(is_null(a, "entry_reference"));
	CHECK_INT(num(a, "amount_cents"), 12100);
	CHECK(json_is_false(json_object_get(a, "reversal")));
	CHECK_STR(str(a, "booking_date"), "2026-11-24");
	CHECK_STR(str(a, "value_date"), "2026-11-24");
	CHECK(is_null(a, "end_to_end_id")); /* NOTPROVIDED */
	CHECK_STR(str(a, "counterparty_name"), "Hoveniersbedrijf De Linde B.V.");
	CHECK_STR(str(a, "counterparty_iban"), "NL20INGB0001234567");
	CHECK_INT(count(a, "remittance"), 1);
	CHECK_STR(item(a, "remittance", 0), "Factuur WERK2026-00001");
	CHECK_INT(count(a, "structured_references"), 0);
	CHECK(is_null(a, "additional_information"));
	CHECK_INT(count(a, "batch_references"), 0);
	CHECK_INT(count(a, "end_to_end_ids"), 0);
	CHECK_INT(num(a, "transaction_count"), 1);

	json_t *b = entry_at(doc, 0, 1);
	CHECK_INT(count(b, "remittance"), 0);
	CHECK_STR(item(b, "structured_references", 0), "WERK2026-00002");
	CHECK_STR(str(b, "counterparty_iban"), "NL50ABNA0001234567");

	json_t *d = entry_at(doc, 0, 3);
	CHECK_INT(num(d, "amount_cents"), -1250);
	CHECK_INT(num(d, "transaction_count"), 0);
	CHECK(is_null(d, "counterparty_name") && is_null(d, "counterparty_iban"));
	CHECK_STR(str(d, "additional_information"), "Kosten betalingsverkeer november");
	json_decref(doc);
}

static void test_ing_style_lines_end_to_end_pending_and_reversal(void)
{
	struct camt_error e;
	json_t *doc = parse_fixture("ing.xml", &e);
	CHECK(doc != NULL);
	json_t *s = stmt_at(doc, 0);
	CHECK_STR(str(s, "iban"), "NL91ABNA0417164300");
	CHECK_STR(str(s, "from_date"), "2026-11-25");
	CHECK_STR(str(s, "to_date"), "2026-11-25");
	CHECK_INT(num(s, "opening_balance_cents"), 119925); /* OPBD */
	CHECK_INT(num(s, "closing_balance_cents"), 154445);
	CHECK_INT(num(s, "skipped"), 1); /* the pending entry */
	CHECK_INT(count(s, "entries"), 4);

	json_t *a = entry_at(doc, 0, 0);
	CHECK_STR(str(a, "entry_reference"), "000187000001");
	CHECK_INT(count(a, "remittance"), 2);
	CHECK_STR(item(a, "remittance", 0), "Betaling factuur WERK 2026/");
	CHECK_STR(item(a, "remittance", 1), "4 tuinonderhoud oktober");
	CHECK_STR(str(a, "counterparty_name"), "J. Jansen");
	CHECK(strstr(str(a, "additional_information"), "WERK 2026/4") != NULL);

	json_t *b = entry_at(doc, 0, 1);
	CHECK_STR(str(b, "end_to_end_id"), "WERK2026-00005");
	CHECK_STR(item(b, "end_to_end_ids", 0), "WERK2026-00005");

	json_t *c = entry_at(doc, 0, 2);
	CHECK_INT(num(c, "line"), 4); /* positions count the skipped entry */
	CHECK_INT(num(c, "amount_cents"), 22500);

	json_t *r = entry_at(doc, 0, 3);
	CHECK(json_is_true(json_object_get(r, "reversal")));
	CHECK_INT(num(r, "amount_cents"), -2500);
	CHECK_STR(str(r, "counterparty_name"), "P. Pietersen"); /* the creditor of a debit */
	CHECK_STR(str(r, "counterparty_iban"), "NL36RABO0417164300");
	json_decref(doc);
}

static void test_additional_information_style_without_references(void)
{
	struct camt_error e;
	json_t *doc = parse_fixture("addtl-info.xml", &e);
	CHECK(doc != NULL);
	json_t *a = entry_at(doc, 0, 0);
	CHECK(is_null(a, "account_servicer_reference"));
	CHECK_STR(str(a, "booking_date"), "2026-11-26"); /* from a DtTm */
	CHECK_INT(num(a, "transaction_count"), 0);
	CHECK(strstr(str(a, "additional_information"), "/REMI/Fact. WERK-2026-06/") != NULL);
	json_decref(doc);
}

static void test_payout_batch_keeps_batch_ids_and_end_to_end_ids(void)
{
	struct camt_error e;
	json_t *doc = parse_fixture("payout-batch.xml", &e);
	CHECK(doc != NULL);
	json_t *a = entry_at(doc, 0, 0);
	CHECK_INT(num(a, "amount_cents"), -55075);
	CHECK_INT(count(a, "batch_references"), 1); /* MsgId = PmtInfId, listed once */
	CHECK_STR(item(a, "batch_references", 0), "WERK-U000001");
	CHECK_INT(count(a, "end_to_end_ids"), 2);
	CHECK_STR(item(a, "end_to_end_ids", 1), "WERK-U000001-0002");
	CHECK_INT(num(a, "transaction_count"), 2);
	CHECK(is_null(a, "end_to_end_id") && is_null(a, "counterparty_name"));
	CHECK_INT(count(a, "remittance"), 2);
	json_decref(doc);
}

/* ---- texts ---- */

static void test_texts_are_cleaned_and_markup_decoded(void)
{
	struct camt_error e;
	json_t *doc = parse_entry("<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>  Jansen &amp;\tZn\n"
	                          "</Nm></Dbtr></RltdPties><RmtInf><Ustrd>\r\n factuur \xc2\x85"
	                          "WERK2026-7 </Ustrd><Ustrd>   </Ustrd><Ustrd><![CDATA[a<b]]>"
	                          "</Ustrd></RmtInf></TxDtls></NtryDtls>",
	                          &e);
	CHECK(doc != NULL);
	json_t *a = entry_at(doc, 0, 0);
	CHECK_STR(str(a, "counterparty_name"), "Jansen & Zn");
	CHECK_INT(count(a, "remittance"), 2); /* the blank line is left out */
	CHECK_STR(item(a, "remittance", 0), "factuur WERK2026-7");
	CHECK_STR(item(a, "remittance", 1), "a<b");
	json_decref(doc);
}

static void test_elements_of_other_namespaces_and_unknown_ones_are_ignored(void)
{
	struct camt_error e;
	json_t *doc = parse_entry("<x:Amt xmlns:x=\"urn:other\" Ccy=\"USD\">99.00</x:Amt>"
	                          "<Unknown><Deeper>text</Deeper></Unknown>"
	                          "<NtryDtls><TxDtls><RmtInf><x:Ustrd xmlns:x=\"urn:other\">no"
	                          "</x:Ustrd></RmtInf></TxDtls></NtryDtls>",
	                          &e);
	CHECK(doc != NULL);
	json_t *a = entry_at(doc, 0, 0);
	CHECK_INT(num(a, "amount_cents"), 1000);
	CHECK_INT(count(a, "remittance"), 0);
	json_decref(doc);
}

static void test_amounts_with_one_or_two_decimals_and_white_space(void)
{
	struct camt_error e;
	struct sbuf b = {0};
	entry(&b, " 7.5 ", "EUR", "CRDT", NULL);
	entry(&b, "0.01", "EUR", "DBIT", NULL);
	entry(&b, "999999999.99", "EUR", "CRDT", NULL);
	entry(&b, "12", "EUR", "CRDT", NULL);
	entry(&b, "0.00", "EUR", "CRDT", NULL); /* nothing moved: left out */
	json_t *doc = parse_stmt(b.data, &e);
	sbuf_free(&b);
	CHECK(doc != NULL);
	CHECK_INT(num(entry_at(doc, 0, 0), "amount_cents"), 750);
	CHECK_INT(num(entry_at(doc, 0, 1), "amount_cents"), -1);
	CHECK_INT(num(entry_at(doc, 0, 2), "amount_cents"), 99999999999LL);
	CHECK_INT(num(entry_at(doc, 0, 3), "amount_cents"), 1200);
	CHECK_INT(count(stmt_at(doc, 0), "entries"), 4);
	CHECK_INT(num(stmt_at(doc, 0), "skipped"), 1);
	json_decref(doc);
}

static void test_several_statements_in_one_file(void)
{
	struct camt_error e;
	struct sbuf b = {0};
	sbuf_puts(&b, HEAD STMT_OPEN);
	entry(&b, "1.00", "EUR", "CRDT", "<AcctSvcrRef>R1</AcctSvcrRef>");
	sbuf_puts(&b, "</Stmt><Stmt><Id>S2</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id>"
	              "</Acct>");
	entry(&b, "2.00", "EUR", "CRDT", "<AcctSvcrRef>R2</AcctSvcrRef>");
	sbuf_puts(&b, TAIL);
	json_t *doc = camt_parse(b.data, b.len, &e);
	sbuf_free(&b);
	CHECK(doc != NULL);
	CHECK_INT(count(doc, "statements"), 2);
	CHECK_STR(str(stmt_at(doc, 1), "id"), "S2");
	CHECK_INT(num(entry_at(doc, 1, 0), "line"), 2);
	CHECK_STR(str(entry_at(doc, 1, 0), "account_servicer_reference"), "R2");
	json_decref(doc);
}

/* ---- refusals ---- */

static void test_not_xml_empty_and_truncated_are_malformed(void)
{
	struct camt_error e;
	CHECK_REFUSED(camt_parse("", 0, &e), e, "statement_malformed");
	CHECK_REFUSED(camt_parse(NULL, 0, &e), e, "statement_malformed");
	CHECK_REFUSED(parse_text("hello", &e), e, "statement_malformed");
	CHECK_REFUSED(parse_text("{\"statements\": []}", &e), e, "statement_malformed");
	CHECK_REFUSED(parse_text("   ", &e), e, "statement_malformed");
	size_t len = 0;
	char *xml = fixture("rabobank.xml", &len);
	CHECK(xml != NULL);
	if (xml) {
		/* cut anywhere: never accepted */
		for (size_t cut = 1; cut < len - 20; cut += len / 37) {
			CHECK_REFUSED(camt_parse(xml, cut, &e), e, "statement_malformed");
		}
		/* a line and column in the message */
		CHECK_REFUSED(camt_parse(xml, len / 2, &e), e, "statement_malformed");
		CHECK(strstr(e.detail, "line") != NULL);
	}
	free(xml);
}

static void test_a_dtd_is_refused_before_any_entity_is_expanded(void)
{
	struct camt_error e;
	CHECK_REFUSED(parse_fixture("dtd-entities.xml", &e), e, "statement_malformed");
	CHECK(strstr(e.detail, "DTD") != NULL);
	CHECK_REFUSED(parse_text("<?xml version=\"1.0\"?><!DOCTYPE Document SYSTEM "
	                         "\"http://example.invalid/x.dtd\"><Document/>",
	                         &e),
	              e, "statement_malformed");
}

static void test_other_messages_and_namespaces_are_unsupported(void)
{
	struct camt_error e;
	CHECK_REFUSED(parse_fixture("camt054.xml", &e), e, "statement_unsupported");
	CHECK_REFUSED(
	    parse_text("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">"
	               "<BkToCstmrStmt/></Document>",
	               &e),
	    e, "statement_unsupported");
	CHECK_REFUSED(parse_text("<Document><BkToCstmrStmt/></Document>", &e), e,
	              "statement_unsupported");
	CHECK_REFUSED(
	    parse_text("<Invoice xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"/>", &e),
	    e, "statement_unsupported");
	/* the right root without a statement */
	CHECK_REFUSED(parse_text(HEAD "</BkToCstmrStmt></Document>", &e), e, "statement_invalid");
	CHECK_REFUSED(
	    parse_text("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">"
	               "<BkToCstmrStmt>" STMT_OPEN TAIL,
	               &e),
	    e, "statement_invalid"); /* no GrpHdr/MsgId */
}

static void test_other_currencies_are_refused(void)
{
	struct camt_error e;
	struct sbuf b = {0};
	entry(&b, "10.00", "USD", "CRDT", NULL);
	CHECK_REFUSED(parse_stmt(b.data, &e), e, "statement_currency");
	sbuf_reset(&b);
	entry(&b, "10.00", "", "CRDT", NULL);
	CHECK_REFUSED(parse_stmt(b.data, &e), e, "statement_currency");
	sbuf_free(&b);
	CHECK_REFUSED(parse_text(HEAD "<Stmt><Id>S</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN>"
	                              "</Id><Ccy>GBP</Ccy></Acct>" TAIL,
	                         &e),
	              e, "statement_currency");
	CHECK_REFUSED(parse_stmt("<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>"
	                         "<Amt Ccy=\"CHF\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>",
	                         &e),
	              e, "statement_currency");
}

static void test_bad_amounts_indicators_statuses_and_dates_are_invalid(void)
{
	static const char *const amounts[] = {"12,50", "1.005",         "-1.00", "+1.00", "1e3",
	                                      ".50",   "1000000000.00", "",      "1 000"};
	struct camt_error e;
	struct sbuf b = {0};
	for (size_t i = 0; i < sizeof amounts / sizeof amounts[0]; i++) {
		sbuf_reset(&b);
		entry(&b, amounts[i], "EUR", "CRDT", NULL);
		CHECK_REFUSED(parse_stmt(b.data, &e), e, "statement_invalid");
	}
	sbuf_reset(&b);
	entry(&b, "1.00", "EUR", "CREDIT", NULL);
	CHECK_REFUSED(parse_stmt(b.data, &e), e, "statement_invalid");
	CHECK_REFUSED(parse_stmt("<Ntry><Amt Ccy=\"EUR\">1.00</Amt><Sts>BOOK</Sts>"
	                         "<BookgDt><Dt>2026-11-24</Dt></BookgDt></Ntry>",
	                         &e),
	              e, "statement_invalid"); /* no CdtDbtInd */
	CHECK_REFUSED(parse_stmt("<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
	                         "<Sts>BOOKED</Sts><BookgDt><Dt>2026-11-24</Dt></BookgDt></Ntry>",
	                         &e),
	              e, "statement_invalid");
	CHECK_REFUSED(parse_stmt("<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
	                         "<Sts>BOOK</Sts></Ntry>",
	                         &e),
	              e, "statement_invalid"); /* booked without a booking date */
	CHECK_REFUSED(parse_stmt("<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
	                         "<BookgDt><Dt>2026-11-24</Dt></BookgDt></Ntry>",
	                         &e),
	              e, "statement_invalid"); /* no Sts */
	CHECK_REFUSED(parse_stmt("<Ntry><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
	                         "<BookgDt><Dt>2026-11-24</Dt></BookgDt></Ntry>",
	                         &e),
	              e, "statement_invalid"); /* no Amt */
	CHECK_REFUSED(parse_entry("<ValDt><Dt>2026-02-30</Dt></ValDt>", &e), e,
	              "statement_invalid");
	CHECK_REFUSED(parse_entry("<RvslInd>maybe</RvslInd>", &e), e, "statement_invalid");
	sbuf_reset(&b);
	sbuf_puts(&b, "<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
	              "<BookgDt><Dt>24-11-2026</Dt></BookgDt></Ntry>");
	CHECK_REFUSED(parse_stmt(b.data, &e), e, "statement_invalid");
	CHECK(strstr(e.detail, "BookgDt") != NULL);
	sbuf_free(&b);
}

static void test_bad_ibans_and_missing_statement_parts_are_invalid(void)
{
	struct camt_error e;
	CHECK_REFUSED(
	    parse_entry("<NtryDtls><TxDtls><RltdPties><DbtrAcct><Id><IBAN>NL20INGB00012345"
	                "68</IBAN></Id></DbtrAcct></RltdPties></TxDtls></NtryDtls>",
	                &e),
	    e, "statement_invalid");
	CHECK_REFUSED(parse_text(HEAD "<Stmt><Id>S</Id><Acct><Id><Othr><Id>12345</Id></Othr></Id>"
	                              "</Acct>" TAIL,
	                         &e),
	              e, "statement_invalid"); /* no IBAN */
	CHECK_REFUSED(
	    parse_text(HEAD "<Stmt><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct>" TAIL, &e),
	    e, "statement_invalid"); /* no Id */
	CHECK_REFUSED(parse_text(HEAD "<Stmt><Id>S</Id><Acct><Id><IBAN>NL91ABNA0417164301</IBAN>"
	                              "</Id></Acct>" TAIL,
	                         &e),
	              e, "statement_invalid"); /* a check digit off */
	CHECK_REFUSED(parse_stmt("<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>"
	                         "<CdtDbtInd>CRDT</CdtDbtInd></Bal>",
	                         &e),
	              e, "statement_invalid"); /* a balance without an amount */
}

static void test_texts_longer_than_iso_allows_are_invalid(void)
{
	struct camt_error e;
	char line[300], inner[512];
	/* Ustrd: 140 characters (also when each is two bytes) pass, 141 do not */
	memset(line, 'a', 140);
	line[140] = '\0';
	snprintf(inner, sizeof inner,
	         "<NtryDtls><TxDtls><RmtInf><Ustrd>%s</Ustrd></RmtInf>"
	         "</TxDtls></NtryDtls>",
	         line);
	json_t *ok = parse_entry(inner, &e);
	CHECK(ok != NULL);
	json_decref(ok);
	for (int i = 0; i < 140; i++)
		memcpy(line + 2 * i, "\xc3\xa9", 2);
	line[280] = '\0';
	snprintf(inner, sizeof inner,
	         "<NtryDtls><TxDtls><RmtInf><Ustrd>%s</Ustrd></RmtInf>"
	         "</TxDtls></NtryDtls>",
	         line);
	ok = parse_entry(inner, &e);
	CHECK(ok != NULL);
	json_decref(ok);
	memset(line, 'a', 141);
	line[141] = '\0';
	snprintf(inner, sizeof inner,
	         "<NtryDtls><TxDtls><RmtInf><Ustrd>%s</Ustrd></RmtInf>"
	         "</TxDtls></NtryDtls>",
	         line);
	CHECK_REFUSED(parse_entry(inner, &e), e, "statement_invalid");
	memset(line, 'r', 36);
	line[36] = '\0';
	snprintf(inner, sizeof inner, "<AcctSvcrRef>%s</AcctSvcrRef>", line);
	CHECK_REFUSED(parse_entry(inner, &e), e, "statement_invalid");
	/* a text far beyond what is kept */
	struct sbuf b = {0};
	sbuf_puts(&b, "<NtryDtls><TxDtls><RmtInf><Ustrd>");
	for (int i = 0; i < 10000; i++)
		sbuf_puts(&b, "x");
	sbuf_puts(&b, "</Ustrd></RmtInf></TxDtls></NtryDtls>");
	CHECK_REFUSED(parse_entry(b.data, &e), e, "statement_invalid");
	sbuf_free(&b);
}

static void test_a_statement_that_does_not_add_up_is_refused(void)
{
	struct camt_error e;
#define BALANCES(closing)                                                                          \
	"<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>"                                       \
	"<Amt Ccy=\"EUR\">5.00</Amt><CdtDbtInd>DBIT</CdtDbtInd></Bal>"                             \
	"<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>"                                       \
	"<Amt Ccy=\"EUR\">" closing "</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>"
	struct sbuf b = {0};
	/* −5.00 + 10.00 − 2.50 = 2.50 */
	sbuf_puts(&b, BALANCES("2.50"));
	entry(&b, "10.00", "EUR", "CRDT", NULL);
	entry(&b, "2.50", "EUR", "DBIT", NULL);
	json_t *doc = parse_stmt(b.data, &e);
	CHECK(doc != NULL);
	CHECK_INT(num(stmt_at(doc, 0), "opening_balance_cents"), -500);
	json_decref(doc);
	sbuf_reset(&b);
	sbuf_puts(&b, BALANCES("2.51"));
	entry(&b, "10.00", "EUR", "CRDT", NULL);
	entry(&b, "2.50", "EUR", "DBIT", NULL);
	CHECK_REFUSED(parse_stmt(b.data, &e), e, "statement_balance_mismatch");
	sbuf_free(&b);
}

static void test_nesting_at_and_beyond_the_depth_limit(void)
{
	struct camt_error e;
	/* Document, BkToCstmrStmt, Stmt, Ntry: 4 levels; the rest in an unknown element */
	for (int extra = CAMT_MAX_DEPTH - 4; extra <= CAMT_MAX_DEPTH - 3; extra++) {
		struct sbuf b = {0};
		for (int i = 0; i < extra; i++)
			sbuf_puts(&b, "<X>");
		for (int i = 0; i < extra; i++)
			sbuf_puts(&b, "</X>");
		json_t *doc = parse_entry(b.data, &e);
		if (extra == CAMT_MAX_DEPTH - 4) {
			CHECK(doc != NULL);
			json_decref(doc);
		} else {
			CHECK_REFUSED(doc, e, "statement_too_large");
		}
		sbuf_free(&b);
	}
	/* far deeper than libxml2 itself allows: refused, not crashed */
	struct sbuf b = {0};
	for (int i = 0; i < 100000; i++)
		sbuf_puts(&b, "<X>");
	json_t *doc = parse_entry(b.data, &e);
	CHECK(doc == NULL);
	json_decref(doc);
	sbuf_free(&b);
}

static void test_entries_at_and_beyond_the_entry_limit(void)
{
	struct camt_error e;
	struct sbuf b = {0};
	for (int i = 0; i < CAMT_MAX_ENTRIES; i++)
		sbuf_puts(&b, "<Ntry><Amt Ccy=\"EUR\">0.01</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
		              "<Sts>BOOK</Sts><BookgDt><Dt>2026-11-24</Dt></BookgDt></Ntry>");
	json_t *doc = parse_stmt(b.data, &e);
	CHECK(doc != NULL);
	CHECK_INT(count(stmt_at(doc, 0), "entries"), CAMT_MAX_ENTRIES);
	json_decref(doc);
	sbuf_puts(&b, "<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
	              "<Sts>PDNG</Sts></Ntry>");
	CHECK_REFUSED(parse_stmt(b.data, &e), e, "statement_too_large");
	sbuf_free(&b);
}

static void test_details_of_one_entry_beyond_their_limit(void)
{
	struct camt_error e;
	struct sbuf b = {0};
	sbuf_puts(&b, "<NtryDtls>");
	for (int i = 0; i <= CAMT_MAX_ENTRY_ITEMS; i++)
		sbuf_puts(&b, "<TxDtls/>");
	sbuf_puts(&b, "</NtryDtls>");
	CHECK_REFUSED(parse_entry(b.data, &e), e, "statement_too_large");
	sbuf_free(&b);
}

static void test_the_xml_error_handler_is_restored(void)
{
	struct camt_error e;
	xmlStructuredErrorFunc before = xmlStructuredError;
	CHECK_REFUSED(parse_text("<Document", &e), e, "statement_malformed");
	CHECK(xmlStructuredError == before);
}

int main(void)
{
	xmlInitParser();
	RUN(test_rabobank_style_reads_every_field);
	RUN(test_ing_style_lines_end_to_end_pending_and_reversal);
	RUN(test_additional_information_style_without_references);
	RUN(test_payout_batch_keeps_batch_ids_and_end_to_end_ids);
	RUN(test_texts_are_cleaned_and_markup_decoded);
	RUN(test_elements_of_other_namespaces_and_unknown_ones_are_ignored);
	RUN(test_amounts_with_one_or_two_decimals_and_white_space);
	RUN(test_several_statements_in_one_file);
	RUN(test_not_xml_empty_and_truncated_are_malformed);
	RUN(test_a_dtd_is_refused_before_any_entity_is_expanded);
	RUN(test_other_messages_and_namespaces_are_unsupported);
	RUN(test_other_currencies_are_refused);
	RUN(test_bad_amounts_indicators_statuses_and_dates_are_invalid);
	RUN(test_bad_ibans_and_missing_statement_parts_are_invalid);
	RUN(test_texts_longer_than_iso_allows_are_invalid);
	RUN(test_a_statement_that_does_not_add_up_is_refused);
	RUN(test_nesting_at_and_beyond_the_depth_limit);
	RUN(test_entries_at_and_beyond_the_entry_limit);
	RUN(test_details_of_one_entry_beyond_their_limit);
	RUN(test_the_xml_error_handler_is_restored);
	xmlCleanupParser();
	UNIT_END();
}
