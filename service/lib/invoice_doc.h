/* The invoice document of the renderer contract (contract4.md): one JSON object with invoice,
 * supplier, customer and member, as the invoicing code builds it from invoice_doc() (amounts in
 * integer cents, quantities as decimal strings). This file owns reading it: invoice_doc_read
 * copies it into one struct invoice_doc and holds every check of the document itself, so the
 * renderers (pdf.c, ubl.c, and whatever comes next) read nothing from the JSON.
 *
 * What the reader refuses, with a short lower-case message naming the field ("invoice.lines[2].
 * quantity: not a decimal with at most 3 decimals"):
 * - shape: the four objects, every member of the wrong JSON type; money that is not a JSON
 *   integer (12.5 and 1e2 are reals); a field required by every renderer that is missing;
 * - formats: dates (lib/parse.h: a real day from 1900), quantities (at most 3 decimals),
 *   units, VAT categories and rates, a country that is not two capitals, a VAT id without its
 *   country prefix, a peppol_id that is not "nnnn:id";
 * - limits: texts longer than INVOICE_TEXT_* characters (code points, as the API counts
 *   them), amounts beyond ±INVOICE_MONEY_MAX, more than INVOICE_LINES_MAX lines or
 *   INVOICE_VAT_ROWS_MAX breakdown rows. The reader follows fixed paths and never recurses, so
 *   the nesting depth of the JSON does not matter to it; within these limits no sum overflows;
 * - arithmetic: each line's net is its quantity × unit price rounded to the cent; every line
 *   has the breakdown row of its category and rate, every row has lines, and its base is the
 *   sum of their nets and its VAT the base × rate rounded to the cent; the lines add up to the
 *   net total, the rows to the VAT total; net + VAT = gross; gross - paid = open; the due date
 *   is not before the issue date;
 * - law: a KOR supplier's lines are exempt (E); reverse charge (AE) needs the customer's VAT id.
 * What only one output needs (the PDF a due date, the SI-UBL e-invoice the buyer's KvK number)
 * its renderer checks on the struct.
 *
 * Texts are borrowed from the json_t (valid as long as it is) and kept as they are, also when
 * they are not valid UTF-8: each renderer decides how to show them. A text that is absent, null
 * or blank (only spaces, tabs and line breaks) reads as NULL. Pure: no global state; thread-safe
 * on distinct documents. */
#ifndef COOPD_INVOICE_DOC_H
#define COOPD_INVOICE_DOC_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Limits, in characters (code points) for texts. */
#define INVOICE_TEXT_SHORT    200  /* names, address parts, phone */
#define INVOICE_TEXT_EMAIL    254  /* e-mail addresses */
#define INVOICE_TEXT_ACTIVITY 500  /* the member's activity description */
#define INVOICE_TEXT_LONG     1000 /* line descriptions, invoice description, credit reason */
#define INVOICE_TEXT_CODE     64   /* numbers, identifiers, dates, quantities, codes */
#define INVOICE_MONEY_MAX     INT64_C(10000000000000)  /* |cents|: 100 billion euros */
#define INVOICE_QTY_MAX       INT64_C(999999999999999) /* |thousandths|: 12 integer digits */
#define INVOICE_LINES_MAX     100000
#define INVOICE_VAT_ROWS_MAX  100

enum invoice_vat_category { INVOICE_VAT_S, INVOICE_VAT_Z, INVOICE_VAT_E, INVOICE_VAT_AE };
enum invoice_unit { INVOICE_UNIT_HOUR, INVOICE_UNIT_PIECE, INVOICE_UNIT_DAY, INVOICE_UNIT_KM };

struct invoice_address {
	const char *street, *postal_code, *city; /* never NULL */
	const char *house_number;                /* or NULL */
	const char *country;                     /* two capitals (ISO 3166 alpha-2), or NULL */
};

struct invoice_line {
	const char *description;
	const char *activity_category; /* or NULL */
	enum invoice_unit unit;
	int64_t quantity_milli; /* the quantity in thousandths: "-4.5" is -4500 */
	int64_t unit_price_cents, net_cents;
	enum invoice_vat_category vat_category;
	int64_t vat_rate_bp; /* basis points: 2100 is 21 % */
	size_t vat_row;      /* the index of its row in invoice_doc.vat */
};

/* One row of the VAT breakdown: one per category and rate, in the document's order. */
struct invoice_vat {
	enum invoice_vat_category category;
	int64_t rate_bp, base_cents, vat_cents;
	size_t nlines; /* the lines in this row, at least 1 */
};

struct invoice_doc {
	int credit_note;                    /* kind "credit_note"; else "invoice" */
	const char *number, *issue_date;    /* never NULL; dates are YYYY-MM-DD */
	const char *supply_date, *due_date; /* or NULL */
	const char *description, *reason, *payment_reference;
	const char *credit_of_number;     /* never NULL in a credit note */
	const char *credit_of_issue_date; /* or NULL */
	int64_t due_days;                 /* due_date - issue_date in days; 0 without due_date */

	struct invoice_line *lines; /* nlines >= 1, owned */
	size_t nlines;
	struct invoice_vat *vat; /* nvat >= 1, owned */
	size_t nvat;
	int64_t net_cents, vat_cents, gross_cents, paid_cents, open_cents;
	int any_exempt, any_reverse_charge; /* a line of category E, AE */

	struct {
		const char *legal_name, *kvk_number; /* never NULL */
		const char *trade_name, *vat_id, *iban, *bic, *email, *phone;
		struct invoice_address address;
		int kor; /* vat_scheme "kor" (the small business scheme); else "standard" */
	} supplier;
	struct {
		const char *name; /* never NULL */
		const char *kvk_number, *vat_id, *email;
		char peppol_scheme[5];       /* peppol_id before its ':' ("0190"), or "" */
		const char *peppol_endpoint; /* peppol_id after its ':', or NULL */
		int has_address;             /* only a draft lacks the customer's address */
		struct invoice_address address;
	} customer;
	struct {
		const char *first_name, *last_name; /* never NULL */
		const char *activity_description;
	} member;
};

/* Reads and checks json into *doc. Returns 0, and the caller releases doc with
 * invoice_doc_release; or -1 with a message in err (errlen bytes, NUL-terminated when
 * errlen > 0; out of memory says so) and *doc holding nothing to release. */
int invoice_doc_read(const json_t *json, struct invoice_doc *doc, char *err, size_t errlen);

/* Frees what invoice_doc_read allocated (the lines and rows) and zeroes *doc. NULL is fine. */
void invoice_doc_release(struct invoice_doc *doc);

/* The category's code in the document and in UBL: "S", "Z", "E" or "AE". */
const char *invoice_vat_code(enum invoice_vat_category c);

#endif
