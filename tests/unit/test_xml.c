/* The XML building helpers (lib/xml.h) that the UBL e-invoice uses and the SEPA file will: the
 * declaration, namespaces and indentation of the output, text escaping and the XML 1.0 filter,
 * attributes, and the failure rules (the first message stays, a NULL parent is harmless, text
 * that is not UTF-8 fails the document). */
#include "lib/xml.h"
#include "unit.h"

#include <libxml/parser.h>
#include <stdlib.h>

#define NS_A "urn:example:a"
#define NS_B "urn:example:b"

static void test_a_document_has_its_declaration_namespaces_and_indentation(void)
{
	struct xml_doc x;
	char err[128] = "unset";
	size_t len = 0;
	CHECK(xml_begin(&x, "Document", NS_A, err, sizeof err) == 0);
	CHECK_STR(err, "");
	xmlNsPtr b = xml_ns(&x, NS_B, "b");
	xmlNodePtr grp = xml_elem(&x, x.root, b, "Group");
	xml_text(&x, grp, b, "Name", "A & B <c> \"d\"");
	xml_text_attr(&x, grp, b, "Amount", "12.50", "currency", "EUR");
	xml_text(&x, x.root, NULL, "Plain", "x");
	char *out = xml_finish(&x, &len);
	CHECK(out != NULL);
	CHECK_STR(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	               "<Document xmlns=\"" NS_A "\" xmlns:b=\"" NS_B "\">\n"
	               "  <b:Group>\n"
	               "    <b:Name>A &amp; B &lt;c&gt; \"d\"</b:Name>\n"
	               "    <b:Amount currency=\"EUR\">12.50</b:Amount>\n"
	               "  </b:Group>\n"
	               "  <Plain>x</Plain>\n"
	               "</Document>\n");
	CHECK(out && len == strlen(out));
	CHECK(x.doc == NULL); /* freed */
	free(out);
}

static void test_text_keeps_tab_and_line_breaks_and_blanks_other_controls(void)
{
	struct xml_doc x;
	char err[128];
	CHECK(xml_begin(&x, "R", NULL, err, sizeof err) == 0);
	xml_text(&x, x.root, NULL, "T",
	         "a\tb\nc\x01"
	         "d\x1f"
	         "e\xef\xbf\xbe"
	         "f\xef\xbf\xbf"
	         "g é 𝕏");
	char *out = xml_finish(&x, NULL);
	CHECK(out && strstr(out, "<T>a\tb\nc d e f g é 𝕏</T>") != NULL);
	free(out);
}

static void test_text_that_is_not_utf8_fails_the_document_with_the_first_message(void)
{
	static const char *const bad[] = {
	    "\xff", "\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe0\x80\x80"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct xml_doc x;
		char err[128];
		size_t len = 77;
		CHECK(xml_begin(&x, "R", NULL, err, sizeof err) == 0);
		xmlNodePtr n = xml_text(&x, x.root, NULL, "Name", bad[i]);
		CHECK(n == NULL);
		xml_fail(&x, "a later failure"); /* does not replace the first */
		CHECK(xml_text(&x, x.root, NULL, "Other", "fine") != NULL);
		CHECK(xml_finish(&x, &len) == NULL);
		CHECK_STR(err, "invalid UTF-8 in Name");
		CHECK_INT(len, 77);
	}
}

static void test_a_null_parent_does_nothing_and_the_callers_failure_is_reported(void)
{
	struct xml_doc x;
	char err[128];
	CHECK(xml_begin(&x, "R", NULL, err, sizeof err) == 0);
	CHECK(xml_elem(&x, NULL, NULL, "A") == NULL);
	CHECK(xml_text(&x, NULL, NULL, "B", "\xff") == NULL);
	CHECK(xml_text_attr(&x, NULL, NULL, "C", "x", "k", "v") == NULL);
	CHECK(!x.err.set);
	CHECK_INT(xml_fail(&x, "supplier.iban: %s", "missing"), -1);
	CHECK(xml_finish(&x, NULL) == NULL);
	CHECK_STR(err, "supplier.iban: missing");

	CHECK(xml_begin(&x, "R", NULL, NULL, 0) == 0); /* no buffer: still fails cleanly */
	xml_fail(&x, "no one hears this");
	CHECK(xml_finish(&x, NULL) == NULL);

	CHECK(xml_begin(&x, "R", NULL, err, sizeof err) == 0);
	xml_discard(&x);
	xml_discard(&x);
	CHECK(x.doc == NULL);
}

int main(void)
{
	xmlInitParser();
	RUN(test_a_document_has_its_declaration_namespaces_and_indentation);
	RUN(test_text_keeps_tab_and_line_breaks_and_blanks_other_controls);
	RUN(test_text_that_is_not_utf8_fails_the_document_with_the_first_message);
	RUN(test_a_null_parent_does_nothing_and_the_callers_failure_is_reported);
	xmlCleanupParser();
	UNIT_END();
}
