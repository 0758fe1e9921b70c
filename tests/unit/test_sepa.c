/* The SEPA credit transfer renderer (pain.001.001.03): the samples in sepa_samples/ render byte
 * for byte as the reviewed files beside them; every file rendered here is valid against the ISO
 * 20022 schema and keeps the SEPA rules the schema cannot check (EUR only, SLEV, the character
 * set and lengths of names and remittance, control sums and counts); documents a bank would
 * reject are refused with a message; names in any script come out in the SEPA character set.
 *
 * The schema is not ours to copy into the repository: it is read from SEPA_XSD, or from
 * ../shared/validators/iso20022/pain.001.001.03.xsd relative to the repository root. When it is
 * not at the default place, schema validation is SKIPPED (and said to be, loudly); an explicit
 * SEPA_XSD that cannot be read fails. With SEPA_OUT_DIR set, each rendered file is also written
 * there as NAME.xml (to review a change of the samples). */
#include "lib/parse.h"
#include "lib/sepa.h"
#include "unit.h"
#include "xml_read.h"

#include <inttypes.h>
#include <jansson.h>
#include <libxml/xmlschemas.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- files ---- */

/* The repository root as the compiler saw this file's path ("" when relative), into root. */
static void repo_root(char *root, size_t n)
{
	const char *tail = strstr(__FILE__, "tests/unit/test_sepa.c");
	snprintf(root, n, "%.*s", tail ? (int)(tail - __FILE__) : 0, __FILE__);
}

static void sample_path(char *path, size_t n, const char *file)
{
	char root[256];
	repo_root(root, sizeof root);
	snprintf(path, n, "%stests/unit/sepa_samples/%s", root, file);
}

static json_t *load(const char *name)
{
	char path[1024], file[128];
	json_error_t e;
	snprintf(file, sizeof file, "%s.json", name);
	sample_path(path, sizeof path, file);
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	if (!j)
		fprintf(stderr, "  %s: %s (line %d)\n", path, e.text, e.line);
	return j;
}

/* The whole file, malloc'ed and NUL-terminated, its size in *len; NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* ---- the schema ---- */

static xmlSchemaPtr schema;
static char schema_path[600];
static int schema_skipped;

/* Reads the schema once; 0 when it is loaded or legitimately absent (skipped). */
static int schema_load(void)
{
	const char *env = getenv("SEPA_XSD");
	if (env && *env) {
		snprintf(schema_path, sizeof schema_path, "%s", env);
	} else {
		char root[256];
		repo_root(root, sizeof root);
		snprintf(schema_path, sizeof schema_path,
		         "%s../shared/validators/iso20022/pain.001.001.03.xsd", root);
		if (access(schema_path, R_OK) != 0) {
			schema_skipped = 1;
			printf("SEPA schema validation SKIPPED: %s not found (set SEPA_XSD)\n",
			       schema_path);
			return 0;
		}
	}
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(schema_path);
	schema = pc ? xmlSchemaParse(pc) : NULL;
	xmlSchemaFreeParserCtxt(pc);
	if (!schema) {
		fprintf(stderr, "  cannot read the schema %s\n", schema_path);
		return -1;
	}
	return 0;
}

/* Keeps libxml2's messages about the files broken on purpose off stderr. */
static void quiet(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

/* 1 when doc is valid against the schema (or the validation is skipped). */
static int schema_valid(xmlDocPtr doc)
{
	if (schema_skipped)
		return 1;
	if (!schema)
		return 0;
	xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
	int rc = vc ? xmlSchemaValidateDoc(vc, doc) : -1;
	xmlSchemaFreeValidCtxt(vc);
	return rc == 0;
}

/* ---- rendering and reading back ---- */

static void name_ok(const char *s, const char *what)
{
	if (!sepa_text_ok(s) || strlen(s) > SEPA_NAME_MAX || s[0] == ' ' ||
	    s[strlen(s) - 1] == ' ' || strstr(s, "  ")) {
		fprintf(stderr, "  %s: \"%s\" is no SEPA name of at most 70 characters\n", what, s);
		unit_failed_checks++;
	}
}

static void ustrd_ok(const char *s, const char *what)
{
	if (!sepa_text_ok(s) || strlen(s) > SEPA_USTRD_MAX) {
		fprintf(stderr, "  %s: \"%s\" is no SEPA remittance of at most 140 characters\n",
		        what, s);
		unit_failed_checks++;
	}
}

static void id_ok(const char *s, const char *what)
{
	size_t n = strlen(s);
	if (!sepa_text_ok(s) || n > 35 || s[0] == '/' || s[n - 1] == '/' || strstr(s, "//")) {
		fprintf(stderr, "  %s: \"%s\" is no SEPA reference\n", what, s);
		unit_failed_checks++;
	}
}

static int64_t amount_sum;
static int amount_bad;

static void add_amount(const char *s, const char *what)
{
	int64_t cents;
	const char *dot = strchr(s, '.');
	/* exactly two decimals, 0.01 .. 999999999.99 */
	if (!dot || strlen(dot) != 3 || parse_decimal(s, 2, INT64_C(99999999999), 0, &cents) != 0 ||
	    cents < 1) {
		fprintf(stderr, "  %s: \"%s\" is no SEPA amount\n", what, s);
		amount_bad = 1;
		return;
	}
	amount_sum += cents;
}

/* The SEPA rules on top of the schema (EPC SCT rulebook and implementation guidelines). */
static void check_sepa_rules(struct out *o)
{
	/* EUR everywhere: every amount, the debtor's account */
	CHECK_STR(xp(o, "count(//p:InstdAmt[not(@Ccy) or @Ccy != 'EUR'])"), "0");
	CHECK_STR(xp(o, "count(//*[@Ccy and @Ccy != 'EUR'] | //p:Ccy[. != 'EUR'])"), "0");
	CHECK_STR(xp(o, "count(//p:EqvtAmt | //p:XchgRateInf)"), "0");
	/* one payment information, SEPA service level, charges shared (SLEV) and stated once */
	CHECK_STR(xp(o, "count(/p:Document/p:CstmrCdtTrfInitn/p:PmtInf)"), "1");
	CHECK_STR(xp(o, "//p:PmtInf/p:PmtMtd"), "TRF");
	CHECK_STR(xp(o, "//p:PmtInf/p:PmtTpInf/p:SvcLvl/p:Cd"), "SEPA");
	CHECK_STR(xp(o, "count(//p:ChrgBr)"), "1");
	CHECK_STR(xp(o, "//p:PmtInf/p:ChrgBr"), "SLEV");
	/* every transfer: an IBAN, a name, an amount and an unstructured remittance */
	CHECK_STR(xp(o, "count(//p:CdtTrfTxInf[not(p:CdtrAcct/p:Id/p:IBAN) or not(p:Cdtr/p:Nm) "
	                "or count(p:Amt/p:InstdAmt) != 1 or count(p:RmtInf/p:Ustrd) != 1])"),
	          "0");
	/* names and remittance in the SEPA set and within their lengths; references */
	CHECK(each(o, "//p:Nm", name_ok) >= 3);
	CHECK(each(o, "//p:Ustrd", ustrd_ok) >= 1);
	CHECK(each(o, "//p:MsgId | //p:PmtInfId | //p:EndToEndId", id_ok) >= 3);
	CHECK_STR(xp(o, "count(//p:EndToEndId)"), xp(o, "count(//p:CdtTrfTxInf)"));
	/* the control sums are the sum of the amounts, the counts the number of transfers */
	amount_sum = 0;
	amount_bad = 0;
	int n = each(o, "//p:CdtTrfTxInf/p:Amt/p:InstdAmt", add_amount);
	CHECK(!amount_bad);
	char sum[40], count[24];
	snprintf(sum, sizeof sum, "%" PRId64 ".%02" PRId64, amount_sum / 100, amount_sum % 100);
	snprintf(count, sizeof count, "%d", n);
	CHECK_STR(xp(o, "/p:Document/p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum"), sum);
	CHECK_STR(xp(o, "//p:PmtInf/p:CtrlSum"), sum);
	CHECK_STR(xp(o, "/p:Document/p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs"), count);
	CHECK_STR(xp(o, "//p:PmtInf/p:NbOfTxs"), count);
	/* the initiating party is the debtor; PmtInfId is the message id */
	CHECK_STR(xp(o, "//p:GrpHdr/p:InitgPty/p:Nm"), xp(o, "//p:PmtInf/p:Dbtr/p:Nm"));
	CHECK_STR(xp(o, "//p:PmtInf/p:PmtInfId"), xp(o, "//p:GrpHdr/p:MsgId"));
}

/* Renders j, parses it back, validates it against the schema and checks the SEPA rules. 0 when
 * it rendered and parsed. */
static int render(const char *name, const json_t *j, struct out *o)
{
	char err[256];
	memset(o, 0, sizeof *o);
	if (!j)
		return -1;
	o->xml = sepa_render(j, &o->len, err, sizeof err);
	if (!o->xml) {
		fprintf(stderr, "  %s: sepa_render: %s\n", name, err);
		unit_failed_checks++;
		return -1;
	}
	write_out("SEPA_OUT_DIR", name, o->xml, o->len);
	if (out_parse(o, name) != 0)
		return -1;
	if (!schema_valid(o->doc)) {
		fprintf(stderr, "  %s: not valid against %s\n", name, schema_path);
		unit_failed_checks++;
	}
	xmlXPathRegisterNs(o->ctx, BAD_CAST "p", BAD_CAST SEPA_NS);
	check_sepa_rules(o);
	return 0;
}

/* The rendered text is byte for byte the reviewed file sepa_samples/<name>.xml. */
static void same_as_reviewed(const char *name, const struct out *o)
{
	char path[1024], file[128];
	size_t len = 0;
	snprintf(file, sizeof file, "%s.xml", name);
	sample_path(path, sizeof path, file);
	char *want = slurp(path, &len);
	if (!want) {
		fprintf(stderr, "  cannot read %s\n", path);
		unit_failed_checks++;
		return;
	}
	if (!o->xml || len != o->len || memcmp(want, o->xml, len) != 0) {
		size_t line = 1, i = 0;
		for (; o->xml && i < len && i < o->len && want[i] == o->xml[i]; i++)
			line += want[i] == '\n';
		fprintf(stderr,
		        "  %s differs from the rendered file at line %zu (set SEPA_OUT_DIR "
		        "to see it)\n",
		        path, line);
		unit_failed_checks++;
	}
	free(want);
}

static json_t *tx_at(json_t *j, size_t i)
{
	return json_array_get(json_object_get(j, "transfers"), i);
}

static void set(json_t *obj, const char *key, json_t *value)
{
	json_object_set_new(obj, key, value);
}

/* ---- the samples ---- */

static void test_batch_renders_as_the_reviewed_file(void)
{
	struct out o;
	json_t *j = load("batch");
	CHECK(render("batch", j, &o) == 0);
	same_as_reviewed("batch", &o);
	CHECK(o.xml && !strncmp(o.xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39));
	CHECK_STR(xp(&o, "namespace-uri(/*)"), SEPA_NS);
	CHECK_STR(xp(&o, "local-name(/*)"), "Document");
	const char *h = "/p:Document/p:CstmrCdtTrfInitn/p:GrpHdr";
	CHECK_STR(xp(&o, "%s/p:MsgId", h), "WERK-U000042");
	CHECK_STR(xp(&o, "%s/p:CreDtTm", h), "2026-12-07T14:05:09");
	CHECK_STR(xp(&o, "%s/p:NbOfTxs", h), "3");
	CHECK_STR(xp(&o, "%s/p:CtrlSum", h), "2623.52");
	CHECK_STR(xp(&o, "%s/p:InitgPty/p:Nm", h), "Cooperatie De Werkplaats U.A.");
	const char *p = "/p:Document/p:CstmrCdtTrfInitn/p:PmtInf";
	CHECK_STR(xp(&o, "%s/p:PmtInfId", p), "WERK-U000042");
	CHECK_STR(xp(&o, "%s/p:BtchBookg", p), "true");
	CHECK_STR(xp(&o, "%s/p:ReqdExctnDt", p), "2026-12-08");
	CHECK_STR(xp(&o, "%s/p:Dbtr/p:Nm", p), "Cooperatie De Werkplaats U.A.");
	CHECK_STR(xp(&o, "%s/p:DbtrAcct/p:Id/p:IBAN", p), "NL91ABNA0417164300");
	CHECK_STR(xp(&o, "%s/p:DbtrAcct/p:Ccy", p), "EUR");
	CHECK_STR(xp(&o, "%s/p:DbtrAgt/p:FinInstnId/p:BIC", p), "ABNANL2A");
	CHECK_STR(xp(&o, "count(%s/p:DbtrAgt//p:Othr)", p), "0");
	const char *t = "/p:Document/p:CstmrCdtTrfInitn/p:PmtInf/p:CdtTrfTxInf";
	CHECK_STR(xp(&o, "%s[1]/p:PmtId/p:EndToEndId", t), "WERK-U000042-0001");
	CHECK_STR(xp(&o, "%s[1]/p:Amt/p:InstdAmt", t), "123.45");
	CHECK_STR(xp(&o, "%s[1]/p:Cdtr/p:Nm", t), "Sukru Ozturk");
	CHECK_STR(xp(&o, "%s[1]/p:CdtrAcct/p:Id/p:IBAN", t), "NL20INGB0001234567");
	CHECK_STR(xp(&o, "%s[1]/p:RmtInf/p:Ustrd", t), "Uitbetaling 2026-12-08");
	CHECK_STR(xp(&o, "%s[2]/p:Amt/p:InstdAmt", t), "2500.00");
	CHECK_STR(xp(&o, "%s[2]/p:Cdtr/p:Nm", t), "Zoe van der Meer-IJsselstein");
	CHECK_STR(xp(&o, "%s[3]/p:Amt/p:InstdAmt", t), "0.07");
	CHECK_STR(xp(&o, "%s[3]/p:Cdtr/p:Nm", t), "Jose Garcia + Soren AEroskobing");
	CHECK_STR(xp(&o, "%s[3]/p:CdtrAcct/p:Id/p:IBAN", t), "BE68539007547034");
	CHECK_STR(xp(&o, "%s[3]/p:RmtInf/p:Ustrd", t),
	          "Voorschot (deel 1/2), ref. 2026-11: akkoord?");
	/* IBAN-only: no creditor agent; the member data the bank needs and nothing else */
	CHECK_STR(xp(&o, "count(//p:CdtrAgt | //p:UltmtDbtr | //p:UltmtCdtr | //p:PstlAdr)"), "0");
	out_free(&o);
	json_decref(j);
}

static void test_batch_without_bic_says_notprovided(void)
{
	struct out o;
	json_t *j = load("batch_no_bic");
	CHECK(render("batch_no_bic", j, &o) == 0);
	same_as_reviewed("batch_no_bic", &o);
	const char *a = "/p:Document/p:CstmrCdtTrfInitn/p:PmtInf/p:DbtrAgt/p:FinInstnId";
	CHECK_STR(xp(&o, "count(//p:BIC)"), "0");
	CHECK_STR(xp(&o, "%s/p:Othr/p:Id", a), "NOTPROVIDED");
	CHECK_STR(xp(&o, "count(%s/*)", a), "1");
	out_free(&o);
	/* an absent bic is a null one */
	json_object_del(json_object_get(j, "debtor"), "bic");
	CHECK(render("batch_bic_absent", j, &o) == 0);
	CHECK_STR(xp(&o, "//p:DbtrAgt/p:FinInstnId/p:Othr/p:Id"), "NOTPROVIDED");
	out_free(&o);
	json_decref(j);
}

static void test_eleven_character_bic_is_kept(void)
{
	struct out o;
	json_t *j = load("batch");
	set(json_object_get(j, "debtor"), "bic", json_string("RABONL2UXXX"));
	CHECK(render("bic11", j, &o) == 0);
	CHECK_STR(xp(&o, "//p:DbtrAgt/p:FinInstnId/p:BIC"), "RABONL2UXXX");
	out_free(&o);
	json_decref(j);
}

static void test_names_are_transliterated_and_cut_to_70(void)
{
	struct out o;
	json_t *j = load("batch");
	set(json_object_get(j, "debtor"), "name",
	    json_string("Stichting \"Samen Sterk\" & Coöperatie Zuid-Oost <Noord> B.V. — "
	                "afdeling maatschappelijke dienstverlening en re-integratie"));
	set(tx_at(j, 0), "name", json_string("Иван Петров"));
	set(tx_at(j, 1), "name",
	    json_string("Łukasz Żółć (Straße 5) Nguyễn Văn Đức Ştefan Țurcanu "
	                "O’Brien Zoe\xCC\x88 Mu\xCC\x88ller"));
	set(tx_at(j, 2), "name", json_string("  \t "));
	CHECK(render("names", j, &o) == 0);
	CHECK_STR(xp(&o, "//p:GrpHdr/p:InitgPty/p:Nm"),
	          "Stichting 'Samen Sterk' + Cooperatie Zuid-Oost (Noord) B.V. - afdeling");
	CHECK_INT(strlen(xp(&o, "//p:GrpHdr/p:InitgPty/p:Nm")), 70);
	CHECK_STR(xp(&o, "//p:CdtTrfTxInf[1]/p:Cdtr/p:Nm"), SEPA_NAME_FALLBACK);
	CHECK_STR(xp(&o, "//p:CdtTrfTxInf[2]/p:Cdtr/p:Nm"),
	          "Lukasz Zolc (Strasse 5) Nguyen Van Duc Stefan Turcanu O'Brien Zoe Mull");
	CHECK_STR(xp(&o, "//p:CdtTrfTxInf[3]/p:Cdtr/p:Nm"), SEPA_NAME_FALLBACK);
	out_free(&o);
	json_decref(j);
}

static void test_amounts_have_two_decimals_from_one_cent_to_the_epc_maximum(void)
{
	struct out o;
	json_t *j = load("batch");
	set(tx_at(j, 0), "amount_cents", json_integer(1));
	set(tx_at(j, 1), "amount_cents", json_integer(100));
	set(tx_at(j, 2), "amount_cents", json_integer(SEPA_MAX_CENTS));
	CHECK(render("amounts", j, &o) == 0);
	CHECK_STR(xp(&o, "//p:CdtTrfTxInf[1]/p:Amt/p:InstdAmt"), "0.01");
	CHECK_STR(xp(&o, "//p:CdtTrfTxInf[2]/p:Amt/p:InstdAmt"), "1.00");
	CHECK_STR(xp(&o, "//p:CdtTrfTxInf[3]/p:Amt/p:InstdAmt"), "999999999.99");
	CHECK_STR(xp(&o, "//p:GrpHdr/p:CtrlSum"), "1000000001.00");
	out_free(&o);
	json_decref(j);
}

/* A batch of n transfers of amount each (ids WERK-U000099-00001 ...). */
static json_t *big_batch(size_t n, int64_t amount)
{
	json_t *j = load("batch"), *txs = json_array();
	set(j, "message_id", json_string("WERK-U000099"));
	for (size_t i = 0; i < n; i++) {
		char id[40], name[40];
		snprintf(id, sizeof id, "WERK-U000099-%05zu", i + 1);
		snprintf(name, sizeof name, "Lid nummer %zu Ödön", i + 1);
		json_array_append_new(txs, json_pack("{s:s, s:I, s:s, s:s, s:s}", "end_to_end_id",
		                                     id, "amount_cents", (json_int_t)amount, "name",
		                                     name, "iban", "NL20INGB0001234567",
		                                     "description", "Uitbetaling 2026-12-08"));
	}
	set(j, "transfers", txs);
	return j;
}

static void test_largest_file_of_10000_largest_transfers_sums_exactly(void)
{
	struct out o;
	json_t *j = big_batch(SEPA_MAX_TRANSFERS, SEPA_MAX_CENTS);
	CHECK(render("largest", j, &o) == 0);
	/* 10000 × 999999999.99: no overflow, no rounding, within the schema's 18 digits */
	CHECK_STR(xp(&o, "//p:GrpHdr/p:CtrlSum"), "9999999999900.00");
	CHECK_STR(xp(&o, "//p:GrpHdr/p:NbOfTxs"), "10000");
	CHECK_STR(xp(&o, "//p:CdtTrfTxInf[10000]/p:PmtId/p:EndToEndId"), "WERK-U000099-10000");
	CHECK_STR(xp(&o, "//p:CdtTrfTxInf[10000]/p:Cdtr/p:Nm"), "Lid nummer 10000 Odon");
	out_free(&o);
	json_decref(j);
}

static void test_markup_in_names_cannot_reach_the_file(void)
{
	struct out o;
	json_t *j = load("batch");
	set(tx_at(j, 0), "name", json_string("</Nm><Nm>x</Nm> &amp; ]]> \"q\" \x01\x7f"));
	CHECK(render("markup", j, &o) == 0);
	CHECK_STR(xp(&o, "//p:CdtTrfTxInf[1]/p:Cdtr/p:Nm"), "(/Nm)(Nm)x(/Nm) +amp, ))) 'q'");
	CHECK_STR(xp(&o, "count(//p:Cdtr/p:Nm)"), "3");
	CHECK(o.xml && !strstr(o.xml, "&amp;") && !strstr(o.xml, "&lt;"));
	out_free(&o);
	json_decref(j);
}

static void test_rendering_twice_gives_the_same_bytes_and_len_may_be_null(void)
{
	json_t *j = load("batch");
	char err[128];
	size_t len = 0;
	char *a = sepa_render(j, &len, err, sizeof err), *b = sepa_render(j, NULL, err, sizeof err);
	CHECK(a && b && !strcmp(a, b) && strlen(a) == len);
	free(a);
	free(b);
	json_decref(j);
}

/* The reviewed file with from replaced by to is refused by the schema (when it is there). */
static void schema_refuses(const char *from, const char *to)
{
	char path[1024];
	size_t len = 0;
	sample_path(path, sizeof path, "batch.xml");
	char *xml = slurp(path, &len), *at = xml ? strstr(xml, from) : NULL;
	CHECK(at != NULL && strlen(from) == strlen(to));
	if (at) {
		memcpy(at, to, strlen(to));
		xmlDocPtr doc = xmlReadMemory(xml, (int)len, "broken.xml", NULL, XML_PARSE_NONET);
		CHECK(doc != NULL);
		xmlSetStructuredErrorFunc(NULL, quiet);
		CHECK(schema_skipped || (doc && !schema_valid(doc)));
		xmlSetStructuredErrorFunc(NULL, NULL);
		xmlFreeDoc(doc);
	}
	free(xml);
}

static void test_the_schema_check_is_live(void)
{
	struct out o;
	json_t *j = load("batch");
	CHECK(render("batch", j, &o) == 0);
	CHECK(schema_valid(o.doc));
	out_free(&o);
	json_decref(j);
	schema_refuses("<BIC>ABNANL2A</BIC>", "<BIC>ABNANL0A</BIC>"); /* pattern */
	schema_refuses("<IBAN>NL20INGB", "<IBAN>nl20INGB");           /* pattern */
	schema_refuses("<InstdAmt Ccy=\"EUR\">123.45",
	               "<InstdAmt Ccy=\"EUR\">123,45");                       /* decimal */
	schema_refuses("<ChrgBr>SLEV</ChrgBr>", "<ChrgBr>XXXX</ChrgBr>");     /* enumeration */
	schema_refuses("<ReqdExctnDt>2026-12-08", "<ReqdExctnDt>2026-13-08"); /* date */
	/* element order */
	schema_refuses("<NbOfTxs>3</NbOfTxs>\n      <CtrlSum>2623.52</CtrlSum>",
	               "<CtrlSum>3</CtrlSum>\n      <NbOfTxs>2623.52</NbOfTxs>");
}

/* ---- refusals ---- */

/* Renders j and expects NULL with a message containing want, and *len untouched. Takes j. */
static void refused(json_t *j, const char *want)
{
	char err[256] = "unset";
	size_t len = 12345;
	char *xml = j ? sepa_render(j, &len, err, sizeof err) : NULL;
	CHECK(j != NULL);
	CHECK(xml == NULL);
	CHECK_INT(len, 12345);
	if (!strstr(err, want)) {
		fprintf(stderr, "  error \"%s\" does not mention \"%s\"\n", err, want);
		unit_failed_checks++;
	}
	free(xml);
	json_decref(j);
}

static json_t *with(const char *key, json_t *value)
{
	json_t *j = load("batch");
	set(j, key, value);
	return j;
}

static json_t *with_debtor(const char *key, json_t *value)
{
	json_t *j = load("batch");
	set(json_object_get(j, "debtor"), key, value);
	return j;
}

static json_t *with_tx(size_t i, const char *key, json_t *value)
{
	json_t *j = load("batch");
	set(tx_at(j, i), key, value);
	return j;
}

static void test_bad_identifiers_are_refused(void)
{
	refused(with("message_id", json_null()), "message_id: missing");
	refused(with("message_id", json_integer(42)), "message_id: not a string");
	refused(with("message_id", json_string("")), "message_id: not 1 to 35");
	refused(with("message_id", json_string("WERK-U000042-ABCDEFGHIJKLMNOPQRSTUVW")),
	        "message_id: not 1 to 35"); /* 36 */
	refused(with("message_id", json_string("WERK_U000042")), "message_id: not 1 to 35");
	refused(with("message_id", json_string("WERK-Ü000042")), "message_id: not 1 to 35");
	refused(with("message_id", json_string("WERK//U000042")), "message_id: starts or ends");
	refused(with("message_id", json_string("/WERK-U000042")), "message_id: starts or ends");
	refused(with("message_id", json_string("WERK-U000042/")), "message_id: starts or ends");
	refused(with("message_id", json_stringn("WERK\0U", 6)), "message_id: contains a NUL");
	refused(with_tx(1, "end_to_end_id", json_string("WERK-U000042//0002")),
	        "transfers[1].end_to_end_id: starts or ends");
	refused(with_tx(2, "end_to_end_id", json_string("WERK-U000042-0003-ABCDEFGHIJKLMNOPQR")),
	        "transfers[2].end_to_end_id: not 1 to 35");
	refused(with_tx(0, "end_to_end_id", json_string("WERK U000042 0001;")),
	        "transfers[0].end_to_end_id: not 1 to 35");
	refused(with_tx(0, "end_to_end_id", json_null()), "transfers[0].end_to_end_id: missing");
	/* unique within the file; the later one is named */
	refused(with_tx(2, "end_to_end_id", json_string("WERK-U000042-0001")),
	        "transfers[2].end_to_end_id: the same as transfers[0]'s");
	/* a 35-character id and one of a single character are fine */
	json_t *j = with("message_id", json_string("WERK-U000042-ABCDEFGHIJKLMNOPQRSTUV"));
	set(tx_at(j, 0), "end_to_end_id", json_string("1"));
	struct out o;
	CHECK(render("long_ids", j, &o) == 0);
	out_free(&o);
	json_decref(j);
}

static void test_bad_amounts_are_refused(void)
{
	refused(with_tx(0, "amount_cents", json_integer(0)), "transfers[0].amount_cents: outside");
	refused(with_tx(1, "amount_cents", json_integer(-12345)),
	        "transfers[1].amount_cents: outside");
	refused(with_tx(2, "amount_cents", json_integer(SEPA_MAX_CENTS + 1)),
	        "transfers[2].amount_cents: outside");
	refused(with_tx(0, "amount_cents", json_integer(INT64_MAX)),
	        "transfers[0].amount_cents: outside");
	refused(with_tx(0, "amount_cents", json_integer(INT64_MIN)),
	        "transfers[0].amount_cents: outside");
	refused(with_tx(0, "amount_cents", json_real(12345.0)),
	        "transfers[0].amount_cents: not an integer");
	refused(with_tx(0, "amount_cents", json_string("123.45")),
	        "transfers[0].amount_cents: not an integer");
	refused(with_tx(0, "amount_cents", json_null()), "transfers[0].amount_cents: missing");
}

static void test_sums_that_would_overflow_are_refused(void)
{
	/* The control sum cannot overflow int64: amounts above 999999999.99 EUR (as near
	 * INT64_MAX as a JSON integer goes) are refused one by one, and 10000 of the largest
	 * allowed sum exactly (see the largest-file test). */
	json_t *j = load("batch");
	for (size_t i = 0; i < 3; i++)
		set(tx_at(j, i), "amount_cents", json_integer(INT64_MAX / 2 + 1));
	refused(j, "transfers[0].amount_cents: outside");
	refused(big_batch(SEPA_MAX_TRANSFERS + 1, 1), "transfers: not 1 to 10000 transfers");
}

static void test_bad_accounts_are_refused(void)
{
	refused(with_debtor("iban", json_string("NL92ABNA0417164300")),
	        "debtor.iban: not a valid IBAN"); /* checksum */
	refused(with_debtor("iban", json_string("NL91 ABNA 0417 1643 00")), "debtor.iban");
	refused(with_debtor("iban", json_null()), "debtor.iban: missing");
	refused(with_tx(0, "iban", json_string("NL20INGB0001234568")),
	        "transfers[0].iban: not a valid IBAN");
	refused(with_tx(1, "iban", json_string("nl44rabo0123456789")),
	        "transfers[1].iban: not a valid IBAN");
	refused(with_tx(1, "iban", json_string("NO938601111794")), "transfers[1].iban"); /* 14 */
	refused(with_tx(1, "iban", json_string("MT84MALT011000012345MTLCAST001S1234")),
	        "transfers[1].iban"); /* 35 */
	refused(with_tx(2, "iban", json_string("")), "transfers[2].iban: not a valid IBAN");
	static const char *const bad_bics[] = {
	    "ABNANL2",      /* 7 */
	    "ABNANL2AX",    /* 9 */
	    "ABNANL0A",     /* location starting 0: a test BIC */
	    "ABNANL1A",     /* location starting 1 */
	    "ABNANL2O",     /* location ending O */
	    "abnanl2a",     /* lower case */
	    "ABN1NL2A",     /* digit in the bank code */
	    "ABNA NL2A",    /* space */
	    "ABNANL2AXX",   /* 10 */
	    "ABNANL2AXXXX", /* 12 */
	    "",
	};
	for (size_t i = 0; i < sizeof bad_bics / sizeof bad_bics[0]; i++)
		refused(with_debtor("bic", json_string(bad_bics[i])),
		        "debtor.bic: not a valid BIC");
	refused(with_debtor("bic", json_integer(1)), "debtor.bic: not a string");
	/* IBANs of other SEPA countries, 15 to 31 characters */
	json_t *j = load("batch");
	set(tx_at(j, 0), "iban", json_string("NO9386011117947"));
	set(tx_at(j, 1), "iban", json_string("MT84MALT011000012345MTLCAST001S"));
	set(tx_at(j, 2), "iban", json_string("FR1420041010050500013M02606"));
	struct out o;
	CHECK(render("ibans", j, &o) == 0);
	CHECK_STR(xp(&o, "//p:CdtTrfTxInf[2]/p:CdtrAcct/p:Id/p:IBAN"),
	          "MT84MALT011000012345MTLCAST001S");
	out_free(&o);
	json_decref(j);
}

static void test_bad_descriptions_are_refused(void)
{
	char long_text[142];
	memset(long_text, 'x', 141);
	long_text[141] = '\0';
	refused(with_tx(0, "description", json_string("Uitbetaling € 12")),
	        "transfers[0].description: not 1 to 140 characters of the SEPA character set");
	refused(with_tx(0, "description", json_string("Uitbetaling_november")),
	        "transfers[0].description");
	refused(with_tx(0, "description", json_string("Uitbetaling & bonus")),
	        "transfers[0].description");
	refused(with_tx(0, "description", json_string("regel\nregel")), "transfers[0].description");
	refused(with_tx(1, "description", json_string("")), "transfers[1].description");
	refused(with_tx(1, "description", json_string(long_text)), "transfers[1].description");
	refused(with_tx(1, "description", json_null()), "transfers[1].description: missing");
	refused(with_tx(2, "description", json_stringn("ab\0cd", 5)),
	        "transfers[2].description: contains a NUL");
	/* 140 characters is the most */
	long_text[140] = '\0';
	json_t *j = with_tx(1, "description", json_string(long_text));
	struct out o;
	CHECK(render("ustrd140", j, &o) == 0);
	CHECK_INT(strlen(xp(&o, "//p:CdtTrfTxInf[2]/p:RmtInf/p:Ustrd")), 140);
	out_free(&o);
	json_decref(j);
}

static void test_bad_structure_and_dates_are_refused(void)
{
	refused(json_array(), "payout document: not an object");
	refused(with("transfers", json_array()), "transfers: not 1 to 10000 transfers");
	refused(with("transfers", json_null()), "transfers: missing");
	refused(with("transfers", json_object()), "transfers: not an array");
	refused(with("transfers", json_pack("[i]", 1)), "transfers[0]: not an object");
	refused(with("debtor", json_null()), "debtor: missing");
	refused(with("debtor", json_string("x")), "debtor: not an object");
	refused(with_debtor("name", json_null()), "debtor.name: missing");
	refused(with_tx(2, "name", json_integer(7)), "transfers[2].name: not a string");
	refused(with_tx(2, "name", json_stringn("Jan\0Smit", 8)),
	        "transfers[2].name: contains a NUL");
	refused(with("execution_date", json_string("2026-02-29")), "execution_date");
	refused(with("execution_date", json_string("08-12-2026")), "execution_date");
	refused(with("execution_date", json_string("2026-12-08T00:00:00")), "execution_date");
	refused(with("execution_date", json_null()), "execution_date: missing");
	static const char *const bad_times[] = {
	    "2026-12-07 14:05:09",
	    "2026-12-07T24:00:00",
	    "2026-12-07T14:60:00",
	    "2026-12-07T14:05:60",
	    "2026-02-30T14:05:09",
	    "2026-12-07T14:05",
	    "2026-12-07T14:05:9",
	    "2026-12-07T14:05:09Z",
	    "2026-12-07T14:05:09.123",
	    "2026-12-07T1a:05:09",
	    "",
	};
	for (size_t i = 0; i < sizeof bad_times / sizeof bad_times[0]; i++)
		refused(with("created_at", json_string(bad_times[i])), "created_at");
	/* no buffer for the message: still refused, nothing written */
	json_t *j = with("transfers", json_array());
	CHECK(sepa_render(j, NULL, NULL, 0) == NULL);
	/* a short buffer gets a cut, terminated message */
	char err[8];
	CHECK(sepa_render(j, NULL, err, sizeof err) == NULL);
	CHECK_STR(err, "transfe");
	json_decref(j);
}

/* ---- the character set and transliteration ---- */

static void test_sepa_text_ok_accepts_only_the_epc_latin_set(void)
{
	CHECK(sepa_text_ok("Uitbetaling 2026-12-08"));
	CHECK(sepa_text_ok(
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ "));
	CHECK(sepa_text_ok("x"));
	CHECK(!sepa_text_ok(""));
	CHECK(!sepa_text_ok(NULL));
	static const char *const bad[] = {
	    "Coöperatie",
	    "a&b",
	    "a_b",
	    "a;b",
	    "a\"b",
	    "a!b",
	    "a@b",
	    "a#b",
	    "a*b",
	    "a=b",
	    "a%b",
	    "a[b]",
	    "a<b>",
	    "a\tb",
	    "a\nb",
	    "\x7f",
	    "€5",
	    ("a\xC2\xA0"
	     "b"), /* NBSP */
	    "\xFF",
	    "ab\xC3",
	    "\xC0\xAF",
	    "\xED\xA0\x80",
	    "\xF4\x90\x80\x80", /* invalid UTF-8 */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (sepa_text_ok(bad[i])) {
			fprintf(stderr, "  sepa_text_ok accepts \"%s\"\n", bad[i]);
			unit_failed_checks++;
		}
}

/* sepa_text(in, 70) == want; also: the result is in the set, and transliterating it again
 * changes nothing. */
static void translit(const char *in, const char *want)
{
	char out[128], again[128];
	size_t n = sepa_text(in, out, sizeof out, SEPA_NAME_MAX);
	CHECK_INT(n, strlen(out));
	if (strcmp(out, want) != 0) {
		fprintf(stderr, "  sepa_text(\"%s\") = \"%s\", expected \"%s\"\n", in, out, want);
		unit_failed_checks++;
	}
	CHECK(n == 0 || sepa_text_ok(out));
	sepa_text(out, again, sizeof again, SEPA_NAME_MAX);
	CHECK_STR(again, out);
}

static void test_names_in_any_script_become_the_sepa_set(void)
{
	translit("Coöperatie De Werkplaats U.A.", "Cooperatie De Werkplaats U.A.");
	translit("Şükrü Öztürk", "Sukru Ozturk");
	translit("Zoë van der Meer-Ĳsselstein", "Zoe van der Meer-IJsselstein");
	translit("ĳs", "ijs");
	translit("José García", "Jose Garcia");
	translit("Ærøskøbing", "AEroskobing");
	translit("straße STRASSE ẞ", "strasse STRASSE SS");
	translit("Łukasz Żółć", "Lukasz Zolc");
	translit("Ştefan Ţurcanu / Ștefan Țurcanu", "Stefan Turcanu / Stefan Turcanu");
	translit("İsmail Yıldırım Ğ", "Ismail Yildirim G");
	translit("Nguyễn Văn Đức", "Nguyen Van Duc");
	translit("Þórður Ðóra Œuvre œ", "THordur Dora OEuvre oe");
	translit("ŉ ĸ ſ Ŋ ŋ Ħ ħ Ŧ ŧ Ŀ ŀ", "'n k s N n H h T t L l");
	translit("Əliyev ə", "Eliyev e");
	/* decomposed input (macOS) gives the same as composed */
	translit("Jose\xCC\x81 Mu\xCC\x88ller Zoe\xCC\x88", "Jose Muller Zoe");
	/* punctuation */
	translit("Jansen & Zn.", "Jansen + Zn.");
	translit("O’Brien ‘t Hof „Het Gilde“ «Le Chat» `x´",
	         "O'Brien 't Hof 'Het Gilde' 'Le Chat' 'x'");
	translit("Meer–Dijk — 5 − 3 ‐ ‑", "Meer-Dijk - 5 - 3 - -");
	translit("a_b;c[d]{e}<f>\\g\"h\"", "a-b,c(d)(e)(f)/g'h'");
	translit("100% @home #1 * ! = ~ | ^ $", "100 home 1");
	translit("€ 12,50 netto…", "EUR 12,50 netto...");
	translit("¿Qué? ¡Sí! 1ª 2º ½ ¼ ¾ ⅓ 2×3 6÷2 ²³¹ © ®",
	         "?Que? Si 1a 2o 1/2 1/4 3/4 1/3 2x3 6/2 231 (C) (R)");
	translit("l·l col·lecció", "l.l col.leccio");
	translit("ﬁnance ＡＢＣ ㎏", "finance ABC kg");
	/* invisible characters go, spaces collapse */
	translit("Meer\xC2\xADvoud a\xE2\x80\x8B"
	         "b \xEF\xBB\xBFz",
	         "Meervoud ab z");
	translit("  a \t b\n\n c\r  ", "a b c");
	translit("a\xC2\xA0\xE2\x80\x89\xE2\x80\xAF"
	         "b",
	         "a b");
	/* other scripts, emoji, controls and invalid UTF-8 become spaces */
	translit("Иван Петров", "");
	translit("Иван Smith", "Smith");
	translit("محمد Ali 李", "Ali");
	translit("Jan 😀 Smit", "Jan Smit");
	translit("ab\xFF"
	         "cd",
	         "ab cd");
	translit("ab\xC3", "ab");
	translit("\xC0\xAF"
	         "x\xED\xA0\x80"
	         "y\xF4\x90\x80\x80",
	         "x y");
	translit("a\x01\x1f\x7f"
	         "b",
	         "a b");
	translit("", "");
	translit(NULL, "");
}

static void test_transliteration_is_cut_without_a_trailing_space(void)
{
	char out[200], in[200];
	memset(in, 'a', 80);
	in[80] = '\0';
	CHECK_INT(sepa_text(in, out, sizeof out, 70), 70);
	CHECK_INT(strspn(out, "a"), 70);
	memset(in, 'a', 69);
	strcpy(in + 69, "ß"); /* 69 + "ss": cut in the expansion */
	CHECK_INT(sepa_text(in, out, sizeof out, 70), 70);
	CHECK(out[69] == 's');
	strcpy(in + 69, " bcd"); /* the space would be the 70th character */
	CHECK_INT(sepa_text(in, out, sizeof out, 70), 69);
	CHECK(out[68] == 'a');
	strcpy(in + 69, "  "); /* trailing spaces go */
	CHECK_INT(sepa_text(in, out, sizeof out, 70), 69);
	/* the buffer bounds it too, and nothing is written without one */
	CHECK_INT(sepa_text("abcdef", out, 4, 70), 3);
	CHECK_STR(out, "abc");
	CHECK_INT(sepa_text("abcdef", out, 1, 70), 0);
	CHECK_STR(out, "");
	CHECK_INT(sepa_text("abcdef", out, sizeof out, 0), 0);
	CHECK_STR(out, "");
	out[0] = 'z';
	CHECK_INT(sepa_text("abcdef", out, 0, 70), 0);
	CHECK(out[0] == 'z');
	CHECK_INT(sepa_text("abcdef", NULL, 10, 70), 0);
	/* 140 for a remittance */
	memset(in, 'b', 150);
	in[150] = '\0';
	CHECK_INT(sepa_text(in, out, sizeof out, SEPA_USTRD_MAX), 140);
}

static void test_every_character_of_the_latin_blocks_is_mapped(void)
{
	/* Latin-1 Supplement and Latin Extended-A: every letter has a base letter; every other
	 * character something in the set or nothing */
	for (uint32_t c = 0xA0; c <= 0x17F; c++) {
		char in[4] = {(char)(0xC0 | (c >> 6)), (char)(0x80 | (c & 0x3F)), 0, 0}, out[16];
		size_t n = sepa_text(in, out, sizeof out, 10);
		int letter = c >= 0xC0 && c != 0xD7 && c != 0xF7;
		if ((letter && (n == 0 || out[0] == ' ')) || (n > 0 && !sepa_text_ok(out))) {
			fprintf(stderr, "  U+%04X → \"%s\"\n", (unsigned)c, out);
			unit_failed_checks++;
		}
	}
}

static void test_every_code_point_gives_text_of_the_set(void)
{
	int bad = 0;
	for (uint32_t c = 1; c <= 0x10FFFF && bad < 5; c++) {
		char in[5] = {0}, out[64];
		if (c >= 0xD800 && c <= 0xDFFF)
			continue;
		if (c < 0x80) {
			in[0] = (char)c;
		} else if (c < 0x800) {
			in[0] = (char)(0xC0 | (c >> 6));
			in[1] = (char)(0x80 | (c & 0x3F));
		} else if (c < 0x10000) {
			in[0] = (char)(0xE0 | (c >> 12));
			in[1] = (char)(0x80 | ((c >> 6) & 0x3F));
			in[2] = (char)(0x80 | (c & 0x3F));
		} else {
			in[0] = (char)(0xF0 | (c >> 18));
			in[1] = (char)(0x80 | ((c >> 12) & 0x3F));
			in[2] = (char)(0x80 | ((c >> 6) & 0x3F));
			in[3] = (char)(0x80 | (c & 0x3F));
		}
		size_t n = sepa_text(in, out, sizeof out, SEPA_NAME_MAX);
		if (n != strlen(out) || (n > 0 && !sepa_text_ok(out)) ||
		    (n > 0 && (out[0] == ' ' || out[n - 1] == ' '))) {
			fprintf(stderr, "  U+%04X → \"%s\"\n", (unsigned)c, out);
			bad++;
		}
	}
	CHECK_INT(bad, 0);
}

int main(void)
{
	xmlInitParser();
	if (schema_load() != 0) {
		printf("FAIL schema_load\n");
		unit_failed++;
	}
	RUN(test_batch_renders_as_the_reviewed_file);
	RUN(test_batch_without_bic_says_notprovided);
	RUN(test_eleven_character_bic_is_kept);
	RUN(test_names_are_transliterated_and_cut_to_70);
	RUN(test_amounts_have_two_decimals_from_one_cent_to_the_epc_maximum);
	RUN(test_largest_file_of_10000_largest_transfers_sums_exactly);
	RUN(test_markup_in_names_cannot_reach_the_file);
	RUN(test_rendering_twice_gives_the_same_bytes_and_len_may_be_null);
	RUN(test_the_schema_check_is_live);
	RUN(test_bad_identifiers_are_refused);
	RUN(test_bad_amounts_are_refused);
	RUN(test_sums_that_would_overflow_are_refused);
	RUN(test_bad_accounts_are_refused);
	RUN(test_bad_descriptions_are_refused);
	RUN(test_bad_structure_and_dates_are_refused);
	RUN(test_sepa_text_ok_accepts_only_the_epc_latin_set);
	RUN(test_names_in_any_script_become_the_sepa_set);
	RUN(test_transliteration_is_cut_without_a_trailing_space);
	RUN(test_every_character_of_the_latin_blocks_is_mapped);
	RUN(test_every_code_point_gives_text_of_the_set);
	if (schema_skipped)
		printf("note: SEPA schema validation SKIPPED (%s not found; set SEPA_XSD)\n",
		       schema_path);
	else if (schema)
		printf("note: every rendered file validated against %s\n", schema_path);
	xmlSchemaFree(schema);
	xmlCleanupParser();
	UNIT_END();
}
