/* camt.053.001.02 bank statements (camt.h). */
#include "camt.h"

#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ids.h"
#include "parse.h"
#include "sbuf.h"

/* The paths this reader uses; every other element is skipped. */
#define P_DOC  "/Document/BkToCstmrStmt"
#define P_STMT P_DOC "/Stmt"
#define P_BAL  P_STMT "/Bal"
#define P_NTRY P_STMT "/Ntry"
#define P_TX   P_NTRY "/NtryDtls/TxDtls"

/* Text of one element is kept up to this many bytes (the longest text read is 500
 * characters); more marks it overlong. */
#define TEXT_CAP 4096
/* additional_information is cut to this many characters. */
#define ADDITIONAL_MAX 1000
#define NAME_MAX_LEN   64

/* ISO lengths (characters) of the texts read */
#define MAX35  35
#define MAX140 140
#define MAX500 500

struct balance {
	char type[8];
	char ccy[8];
	char ind[8];
	int64_t cents;
	bool have_amount;
};

/* The entry being read (between <Ntry> and </Ntry>). */
struct entry {
	int line;
	bool have_amount;
	int64_t cents;
	char ccy[8];
	char ind[8];
	char status[8];
	bool reversal;
	char booking[11], value[11];
	char acct_ref[4 * MAX35 + 1], ntry_ref[4 * MAX35 + 1];
	int tx_count;
	/* of the first TxDtls */
	char e2e[4 * MAX35 + 1];
	char dbtr_name[4 * MAX140 + 1], cdtr_name[4 * MAX140 + 1];
	char dbtr_iban[40], cdtr_iban[40];
	json_t *remittance, *strd, *batch, *e2e_ids;
	struct sbuf additional;
	int additional_chars;
	int items;
};

struct parser {
	xmlTextReaderPtr rd;
	struct camt_error *err;
	bool failed;
	int xml_line, xml_col; /* the first XML error */

	/* the element path, "/Document/BkToCstmrStmt/..." */
	char path[CAMT_MAX_DEPTH * (NAME_MAX_LEN + 1) + 1];
	size_t plen[CAMT_MAX_DEPTH + 1];
	int depth;
	bool root_seen;

	struct sbuf text; /* the current element's text */
	bool text_long;
	char amt_ccy[8]; /* the Ccy attribute of the last <Amt> started */

	json_t *doc, *statements;
	int stmt_count, entry_count, tx_total;

	/* the statement being read */
	json_t *stmt, *entries;
	char stmt_id[4 * MAX35 + 1], stmt_iban[40], stmt_ccy[8];
	char from[11], to[11];
	bool have_opening, have_closing;
	int64_t opening, closing, booked_sum;
	int skipped;
	struct balance bal;

	bool in_entry;
	struct entry e;
};

static int fail(struct parser *p, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct parser *p, const char *code, const char *fmt, ...)
{
	if (p->failed)
		return -1;
	p->failed = true;
	snprintf(p->err->code, sizeof p->err->code, "%s", code);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err->detail, sizeof p->err->detail, fmt, ap);
	va_end(ap);
	return -1;
}

static int oom(struct parser *p)
{
	return fail(p, "statement_too_large", "out of memory while reading the statement");
}

/* libxml2's errors: the first one's position is kept for the message; nothing is printed. */
static void on_xml_error(void *ctx, xmlErrorPtr e)
{
	struct parser *p = ctx;
	if (p && e && !p->xml_line && e->level >= XML_ERR_ERROR) {
		p->xml_line = e->line > 0 ? e->line : 1;
		p->xml_col = e->int2;
	}
}

static void quiet(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

/* ---- text -------------------------------------------------------------------------------- */

/* Whether the UTF-8 sequence at s (n bytes left) is white space or a control character: ASCII
 * controls and DEL, C1 controls (U+0080..U+009F), U+2028 and U+2029. *len gets its length. */
static bool blank_at(const unsigned char *s, size_t n, size_t *len)
{
	*len = 1;
	if (s[0] <= 0x20 || s[0] == 0x7f)
		return true;
	if (s[0] == 0xc2 && n >= 2 && s[1] >= 0x80 && s[1] <= 0x9f) {
		*len = 2;
		return true;
	}
	if (s[0] == 0xe2 && n >= 3 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9)) {
		*len = 3;
		return true;
	}
	return false;
}

/* in with runs of blanks made one space and trimmed, into out (outsize bytes, always
 * NUL-terminated; cut at a character boundary). Returns the number of characters, or -1 when
 * it did not fit. */
static int clean(const char *in, size_t n, char *out, size_t outsize)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;
	int chars = 0;
	bool space = false;
	for (size_t i = 0; i < n;) {
		size_t len;
		if (blank_at(s + i, n - i, &len)) {
			space = o > 0;
			i += len;
			continue;
		}
		if (space) {
			if (o + 1 >= outsize)
				goto full;
			out[o++] = ' ';
			chars++;
			space = false;
		}
		/* one character: a lead byte and its continuation bytes */
		size_t end = i + 1;
		while (end < n && (s[end] & 0xc0) == 0x80)
			end++;
		if (o + (end - i) >= outsize)
			goto full;
		memcpy(out + o, s + i, end - i);
		o += end - i;
		chars++;
		i = end;
	}
	out[o] = '\0';
	return chars;
full:
	out[o] = '\0';
	return -1;
}

/* The current element's text, cleaned, into out; at most max characters. 0, or -1 (failed:
 * too long). what names the element for the message. */
static int text_of(struct parser *p, char *out, size_t outsize, int max, const char *what)
{
	int chars =
	    p->text_long ? -1 : clean(p->text.data ? p->text.data : "", p->text.len, out, outsize);
	if (chars < 0 || chars > max)
		return fail(p, "statement_invalid", "%s is longer than %d characters", what, max);
	return 0;
}

/* ---- values ------------------------------------------------------------------------------ */

static int amount_of(struct parser *p, const char *what, int64_t *cents)
{
	char t[64];
	if (text_of(p, t, sizeof t, 40, what) != 0)
		return -1;
	if (parse_decimal(t, 2, CAMT_MAX_CENTS, 0, cents) != 0)
		return fail(p, "statement_invalid",
		            "%s is not an amount of at most 999999999.99 with at most two decimals",
		            what);
	return 0;
}

/* A date (ISODate, perhaps with a zone) or the date of a date-time (ISODateTime). */
static int date_of(struct parser *p, char out[11], const char *what)
{
	char t[64];
	if (text_of(p, t, sizeof t, 40, what) != 0)
		return -1;
	if (strlen(t) >= 10 && strchr("+-TZ", t[10] ? t[10] : 'Z')) {
		memcpy(out, t, 10);
		out[10] = '\0';
		if (parse_date(out, NULL) == 0)
			return 0;
	}
	out[0] = '\0';
	return fail(p, "statement_invalid", "%s is not a date", what);
}

static int iban_of(struct parser *p, char out[40], const char *what)
{
	char t[64];
	if (text_of(p, t, sizeof t, 40, what) != 0)
		return -1;
	iban_normalize(t, out, 40);
	if (!iban_valid(out)) {
		out[0] = '\0';
		return fail(p, "statement_invalid", "%s is not a valid IBAN", what);
	}
	return 0;
}

static json_t *str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

/* Appends the current text to list (unless it is empty or, with distinct, there already). */
static int add_text(struct parser *p, json_t *list, int max, const char *what, bool distinct)
{
	char t[4 * MAX500 + 1];
	if (text_of(p, t, sizeof t, max, what) != 0)
		return -1;
	if (!t[0])
		return 0;
	if (distinct) {
		size_t i;
		json_t *v;
		json_array_foreach(list, i, v) if (strcmp(json_string_value(v), t) == 0) return 0;
	}
	if (++p->e.items > CAMT_MAX_ENTRY_ITEMS)
		return fail(p, "statement_too_large", "entry %d holds more than %d details",
		            p->e.line, CAMT_MAX_ENTRY_ITEMS);
	json_t *s = json_string(t);
	if (!s)
		return fail(p, "statement_invalid", "%s is not valid UTF-8", what);
	return json_array_append_new(list, s) == 0 ? 0 : oom(p);
}

static int add_additional(struct parser *p, const char *what)
{
	char t[4 * MAX500 + 1];
	if (text_of(p, t, sizeof t, MAX500, what) != 0)
		return -1;
	struct entry *e = &p->e;
	const unsigned char *s = (const unsigned char *)t;
	if (!t[0] || e->additional_chars >= ADDITIONAL_MAX)
		return 0;
	if (e->additional.len) {
		sbuf_puts(&e->additional, " ");
		e->additional_chars++;
	}
	for (size_t i = 0; s[i] && e->additional_chars < ADDITIONAL_MAX;) {
		size_t end = i + 1;
		while (s[end] && (s[end] & 0xc0) == 0x80)
			end++;
		sbuf_append(&e->additional, t + i, end - i);
		e->additional_chars++;
		i = end;
	}
	return e->additional.oom ? oom(p) : 0;
}

/* ---- statements and entries ---------------------------------------------------------------- */

static void entry_free(struct entry *e)
{
	json_decref(e->remittance);
	json_decref(e->strd);
	json_decref(e->batch);
	json_decref(e->e2e_ids);
	sbuf_free(&e->additional);
	memset(e, 0, sizeof *e);
}

static int entry_begin(struct parser *p)
{
	if (!p->stmt)
		return 0;
	if (++p->entry_count > CAMT_MAX_ENTRIES)
		return fail(p, "statement_too_large", "the file holds more than %d entries",
		            CAMT_MAX_ENTRIES);
	entry_free(&p->e);
	p->in_entry = true;
	p->e.line = p->entry_count;
	p->e.remittance = json_array();
	p->e.strd = json_array();
	p->e.batch = json_array();
	p->e.e2e_ids = json_array();
	if (!p->e.remittance || !p->e.strd || !p->e.batch || !p->e.e2e_ids)
		return oom(p);
	return 0;
}

static int entry_end(struct parser *p)
{
	struct entry *e = &p->e;
	int n = e->line;
	p->in_entry = false;
	if (!e->have_amount)
		return fail(p, "statement_invalid", "entry %d has no Amt", n);
	if (strcmp(e->ccy, "EUR") != 0)
		return fail(p, "statement_currency", "entry %d is in another currency than EUR", n);
	bool credit = strcmp(e->ind, "CRDT") == 0;
	if (!credit && strcmp(e->ind, "DBIT") != 0)
		return fail(p, "statement_invalid", "entry %d has no CdtDbtInd CRDT or DBIT", n);
	if (!e->status[0])
		return fail(p, "statement_invalid", "entry %d has no Sts", n);
	if (strcmp(e->status, "BOOK") != 0 || e->cents == 0) {
		p->skipped++;
		return 0;
	}
	if (!e->booking[0])
		return fail(p, "statement_invalid", "entry %d has no BookgDt", n);
	int64_t signed_cents = credit ? e->cents : -e->cents;
	p->booked_sum += signed_cents;

	bool one = e->tx_count == 1;
	const char *name = one ? (credit ? e->dbtr_name : e->cdtr_name) : NULL;
	const char *iban = one ? (credit ? e->dbtr_iban : e->cdtr_iban) : NULL;
	json_t *j = json_pack(
	    "{s:i, s:o?, s:o?, s:I, s:b, s:s, s:o?, s:o?, s:o?, s:o?, s:O, s:O, s:o?, s:O, s:O, "
	    "s:i}",
	    "line", n, "account_servicer_reference", str_or_null(e->acct_ref), "entry_reference",
	    str_or_null(e->ntry_ref), "amount_cents", (json_int_t)signed_cents, "reversal",
	    e->reversal, "booking_date", e->booking, "value_date", str_or_null(e->value),
	    "end_to_end_id", str_or_null(one && strcmp(e->e2e, "NOTPROVIDED") != 0 ? e->e2e : NULL),
	    "counterparty_name", str_or_null(name), "counterparty_iban", str_or_null(iban),
	    "remittance", e->remittance, "structured_references", e->strd, "additional_information",
	    str_or_null(e->additional.data), "batch_references", e->batch, "end_to_end_ids",
	    e->e2e_ids, "transaction_count", e->tx_count);
	return j && json_array_append_new(p->entries, j) == 0 ? 0 : oom(p);
}

static int stmt_begin(struct parser *p)
{
	if (++p->stmt_count > CAMT_MAX_STATEMENTS)
		return fail(p, "statement_too_large", "the file holds more than %d statements",
		            CAMT_MAX_STATEMENTS);
	json_decref(p->stmt);
	p->stmt = json_object();
	p->entries = json_array();
	if (!p->stmt || !p->entries || json_object_set_new(p->stmt, "entries", p->entries) != 0)
		return oom(p);
	p->stmt_id[0] = p->stmt_iban[0] = p->stmt_ccy[0] = p->from[0] = p->to[0] = '\0';
	p->have_opening = p->have_closing = false;
	p->opening = p->closing = p->booked_sum = 0;
	p->skipped = 0;
	return 0;
}

static int stmt_end(struct parser *p)
{
	int n = p->stmt_count;
	if (!p->stmt_id[0])
		return fail(p, "statement_invalid", "statement %d has no Id", n);
	if (!p->stmt_iban[0])
		return fail(p, "statement_invalid",
		            "statement %d names no account IBAN (Acct/Id/IBAN)", n);
	if (p->stmt_ccy[0] && strcmp(p->stmt_ccy, "EUR") != 0)
		return fail(p, "statement_currency",
		            "statement %d is of an account in another currency than EUR", n);
	if (p->have_opening && p->have_closing && p->opening + p->booked_sum != p->closing)
		return fail(
		    p, "statement_balance_mismatch",
		    "statement %d: the opening balance and the booked entries do not add up "
		    "to the closing balance",
		    n);
	json_t *s = p->stmt;
	int rc = json_object_set_new(s, "id", json_string(p->stmt_id)) |
	         json_object_set_new(s, "iban", json_string(p->stmt_iban)) |
	         json_object_set_new(s, "from_date", str_or_null(p->from)) |
	         json_object_set_new(s, "to_date", str_or_null(p->to)) |
	         json_object_set_new(s, "opening_balance_cents",
	                             p->have_opening ? json_integer(p->opening) : json_null()) |
	         json_object_set_new(s, "closing_balance_cents",
	                             p->have_closing ? json_integer(p->closing) : json_null()) |
	         json_object_set_new(s, "skipped", json_integer(p->skipped));
	if (rc != 0)
		return fail(p, "statement_invalid", "statement %d: its Id is not valid UTF-8", n);
	p->stmt = NULL;
	p->entries = NULL;
	return json_array_append_new(p->statements, s) == 0 ? 0 : oom(p);
}

static int balance_end(struct parser *p)
{
	struct balance *b = &p->bal;
	if (!b->have_amount)
		return fail(p, "statement_invalid", "a balance of statement %d has no Amt",
		            p->stmt_count);
	if (strcmp(b->ccy, "EUR") != 0)
		return fail(p, "statement_currency",
		            "a balance of statement %d is in another currency than EUR",
		            p->stmt_count);
	bool debit = strcmp(b->ind, "DBIT") == 0;
	if (!debit && strcmp(b->ind, "CRDT") != 0)
		return fail(p, "statement_invalid",
		            "a balance of statement %d has no CdtDbtInd CRDT or DBIT",
		            p->stmt_count);
	int64_t v = debit ? -b->cents : b->cents;
	/* the opening balance: OPBD, or PRCD (the previous day's closing) as several Dutch banks
	 * write it */
	if ((strcmp(b->type, "OPBD") == 0 || strcmp(b->type, "PRCD") == 0) && !p->have_opening) {
		p->have_opening = true;
		p->opening = v;
	} else if (strcmp(b->type, "CLBD") == 0 && !p->have_closing) {
		p->have_closing = true;
		p->closing = v;
	}
	return 0;
}

/* ---- the element events -------------------------------------------------------------------- */

static bool at(const struct parser *p, const char *path)
{
	return strcmp(p->path, path) == 0;
}

static int on_start(struct parser *p, const char *name, const char *ns)
{
	if (p->depth >= CAMT_MAX_DEPTH)
		return fail(p, "statement_too_large", "elements are nested more than %d deep",
		            CAMT_MAX_DEPTH);
	if (p->depth == 0) {
		if (p->root_seen || strcmp(name, "Document") != 0 || !ns ||
		    strcmp(ns, CAMT_NS) != 0)
			return fail(
			    p, "statement_unsupported",
			    "the file is not a camt.053.001.02 bank statement (its root is not "
			    "Document in namespace " CAMT_NS ")");
		p->root_seen = true;
	}
	bool ours = ns && strcmp(ns, CAMT_NS) == 0 && strlen(name) <= NAME_MAX_LEN;
	size_t at_len = p->plen[p->depth];
	int w = snprintf(p->path + at_len, sizeof p->path - at_len, "/%s", ours ? name : "*");
	p->depth++;
	p->plen[p->depth] = at_len + (size_t)w;
	sbuf_reset(&p->text);
	p->text_long = false;

	if (strcmp(name, "Amt") == 0) {
		xmlChar *ccy = xmlTextReaderGetAttribute(p->rd, (const xmlChar *)"Ccy");
		snprintf(p->amt_ccy, sizeof p->amt_ccy, "%s", ccy ? (const char *)ccy : "");
		xmlFree(ccy);
	}
	if (at(p, P_STMT))
		return stmt_begin(p);
	if (at(p, P_BAL))
		memset(&p->bal, 0, sizeof p->bal);
	else if (at(p, P_NTRY))
		return entry_begin(p);
	else if (p->in_entry && at(p, P_TX)) {
		p->e.tx_count++;
		if (++p->tx_total > CAMT_MAX_TRANSACTIONS)
			return fail(p, "statement_too_large",
			            "the file holds more than %d transaction details",
			            CAMT_MAX_TRANSACTIONS);
		if (++p->e.items > CAMT_MAX_ENTRY_ITEMS)
			return fail(p, "statement_too_large", "entry %d holds more than %d details",
			            p->e.line, CAMT_MAX_ENTRY_ITEMS);
	}
	return 0;
}

/* A text of the first TxDtls of the entry (the counterparty of a one-transaction entry). */
static int first_tx_text(struct parser *p, char *out, size_t outsize, int max, const char *what)
{
	if (p->e.tx_count != 1)
		return 0;
	return text_of(p, out, outsize, max, what);
}

static int first_tx_iban(struct parser *p, char out[40], const char *what)
{
	if (p->e.tx_count != 1)
		return 0;
	return iban_of(p, out, what);
}

static int entry_element_end(struct parser *p)
{
	struct entry *e = &p->e;
	char t[64];
	if (at(p, P_NTRY "/Amt")) {
		snprintf(e->ccy, sizeof e->ccy, "%s", p->amt_ccy);
		e->have_amount = true;
		return amount_of(p, "an entry's Amt", &e->cents);
	}
	if (at(p, P_NTRY "/CdtDbtInd"))
		return text_of(p, e->ind, sizeof e->ind, 4, "CdtDbtInd");
	if (at(p, P_NTRY "/RvslInd")) {
		if (text_of(p, t, sizeof t, 5, "RvslInd") != 0)
			return -1;
		e->reversal = strcmp(t, "true") == 0 || strcmp(t, "1") == 0;
		if (!e->reversal && strcmp(t, "false") != 0 && strcmp(t, "0") != 0)
			return fail(p, "statement_invalid", "entry %d: RvslInd is not a boolean",
			            e->line);
		return 0;
	}
	if (at(p, P_NTRY "/Sts")) {
		if (text_of(p, e->status, sizeof e->status, 4, "Sts") != 0)
			return -1;
		if (strcmp(e->status, "BOOK") && strcmp(e->status, "PDNG") &&
		    strcmp(e->status, "INFO"))
			return fail(p, "statement_invalid",
			            "entry %d: Sts is not BOOK, PDNG or INFO", e->line);
		return 0;
	}
	if (at(p, P_NTRY "/BookgDt/Dt") || at(p, P_NTRY "/BookgDt/DtTm"))
		return date_of(p, e->booking, "BookgDt");
	if (at(p, P_NTRY "/ValDt/Dt") || at(p, P_NTRY "/ValDt/DtTm"))
		return date_of(p, e->value, "ValDt");
	if (at(p, P_NTRY "/AcctSvcrRef"))
		return text_of(p, e->acct_ref, sizeof e->acct_ref, MAX35, "AcctSvcrRef");
	if (at(p, P_NTRY "/NtryRef"))
		return text_of(p, e->ntry_ref, sizeof e->ntry_ref, MAX35, "NtryRef");
	if (at(p, P_NTRY "/AddtlNtryInf"))
		return add_additional(p, "AddtlNtryInf");
	if (at(p, P_NTRY "/NtryDtls/Btch/MsgId") || at(p, P_NTRY "/NtryDtls/Btch/PmtInfId") ||
	    at(p, P_TX "/Refs/MsgId") || at(p, P_TX "/Refs/PmtInfId"))
		return add_text(p, e->batch, MAX35, "a batch reference", true);
	if (at(p, P_TX "/Refs/EndToEndId")) {
		if (first_tx_text(p, e->e2e, sizeof e->e2e, MAX35, "EndToEndId") != 0)
			return -1;
		if (text_of(p, t, sizeof t, MAX35, "EndToEndId") != 0)
			return -1;
		return strcmp(t, "NOTPROVIDED") == 0
		           ? 0
		           : add_text(p, e->e2e_ids, MAX35, "EndToEndId", true);
	}
	if (at(p, P_TX "/RltdPties/Dbtr/Nm"))
		return first_tx_text(p, e->dbtr_name, sizeof e->dbtr_name, MAX140, "Dbtr/Nm");
	if (at(p, P_TX "/RltdPties/Cdtr/Nm"))
		return first_tx_text(p, e->cdtr_name, sizeof e->cdtr_name, MAX140, "Cdtr/Nm");
	if (at(p, P_TX "/RltdPties/DbtrAcct/Id/IBAN"))
		return first_tx_iban(p, e->dbtr_iban, "DbtrAcct/Id/IBAN");
	if (at(p, P_TX "/RltdPties/CdtrAcct/Id/IBAN"))
		return first_tx_iban(p, e->cdtr_iban, "CdtrAcct/Id/IBAN");
	if (at(p, P_TX "/RmtInf/Ustrd"))
		return add_text(p, e->remittance, MAX140, "RmtInf/Ustrd", false);
	if (at(p, P_TX "/RmtInf/Strd/CdtrRefInf/Ref"))
		return add_text(p, e->strd, MAX35, "CdtrRefInf/Ref", true);
	if (at(p, P_TX "/AddtlTxInf"))
		return add_additional(p, "AddtlTxInf");
	if (at(p, P_NTRY))
		return entry_end(p);
	return 0;
}

static int on_end(struct parser *p)
{
	int rc = 0;
	if (p->in_entry) {
		rc = entry_element_end(p);
	} else if (at(p, P_DOC "/GrpHdr/MsgId")) {
		char id[4 * MAX35 + 1];
		rc = text_of(p, id, sizeof id, MAX35, "GrpHdr/MsgId");
		if (rc == 0 && id[0]) {
			json_t *s = json_string(id);
			rc = s && json_object_set_new(p->doc, "message_id", s) == 0
			         ? 0
			         : fail(p, "statement_invalid", "GrpHdr/MsgId is not valid UTF-8");
		}
	} else if (p->stmt) {
		if (at(p, P_STMT "/Id"))
			rc = text_of(p, p->stmt_id, sizeof p->stmt_id, MAX35, "Stmt/Id");
		else if (at(p, P_STMT "/Acct/Id/IBAN"))
			rc = iban_of(p, p->stmt_iban, "the account's IBAN");
		else if (at(p, P_STMT "/Acct/Ccy"))
			rc = text_of(p, p->stmt_ccy, sizeof p->stmt_ccy, 3, "Acct/Ccy");
		else if (at(p, P_STMT "/FrToDt/FrDtTm"))
			rc = date_of(p, p->from, "FrToDt/FrDtTm");
		else if (at(p, P_STMT "/FrToDt/ToDtTm"))
			rc = date_of(p, p->to, "FrToDt/ToDtTm");
		else if (at(p, P_BAL "/Tp/CdOrPrtry/Cd"))
			rc = text_of(p, p->bal.type, sizeof p->bal.type, 4, "Bal/Tp/CdOrPrtry/Cd");
		else if (at(p, P_BAL "/CdtDbtInd"))
			rc = text_of(p, p->bal.ind, sizeof p->bal.ind, 4, "Bal/CdtDbtInd");
		else if (at(p, P_BAL "/Amt")) {
			snprintf(p->bal.ccy, sizeof p->bal.ccy, "%s", p->amt_ccy);
			p->bal.have_amount = true;
			rc = amount_of(p, "a balance's Amt", &p->bal.cents);
		} else if (at(p, P_BAL))
			rc = balance_end(p);
		else if (at(p, P_STMT))
			rc = stmt_end(p);
	}
	p->depth--;
	p->path[p->plen[p->depth]] = '\0';
	sbuf_reset(&p->text);
	p->text_long = false;
	return rc;
}

static void on_text(struct parser *p, const char *s)
{
	size_t n = strlen(s);
	if (p->text_long || p->text.len + n > TEXT_CAP) {
		p->text_long = true;
		return;
	}
	sbuf_append(&p->text, s, n);
}

/* ---- the reader loop ----------------------------------------------------------------------- */

static int read_all(struct parser *p)
{
	int rc;
	while (!p->failed && (rc = xmlTextReaderRead(p->rd)) == 1) {
		int type = xmlTextReaderNodeType(p->rd);
		switch (type) {
		case XML_READER_TYPE_DOCUMENT_TYPE:
			return fail(
			    p, "statement_malformed",
			    "the file has a document type declaration (DTD), which a statement "
			    "does not have");
		case XML_READER_TYPE_ELEMENT: {
			const char *name = (const char *)xmlTextReaderConstLocalName(p->rd);
			const char *ns = (const char *)xmlTextReaderConstNamespaceUri(p->rd);
			bool empty = xmlTextReaderIsEmptyElement(p->rd) == 1;
			if (on_start(p, name ? name : "", ns) != 0)
				return -1;
			if (empty && on_end(p) != 0)
				return -1;
			break;
		}
		case XML_READER_TYPE_END_ELEMENT:
			if (p->depth > 0 && on_end(p) != 0)
				return -1;
			break;
		case XML_READER_TYPE_TEXT:
		case XML_READER_TYPE_CDATA:
		case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
		case XML_READER_TYPE_WHITESPACE: {
			const char *v = (const char *)xmlTextReaderConstValue(p->rd);
			if (v && p->depth > 0)
				on_text(p, v);
			break;
		}
		case XML_READER_TYPE_ENTITY_REFERENCE:
			return fail(p, "statement_malformed", "the file refers to an entity");
		default:
			break;
		}
	}
	if (p->failed)
		return -1;
	if (rc < 0 || p->xml_line) {
		if (p->xml_line)
			return fail(p, "statement_malformed",
			            "the file is not well-formed XML (line %d, column %d)",
			            p->xml_line, p->xml_col);
		return fail(p, "statement_malformed", "the file is not well-formed XML");
	}
	if (!p->root_seen)
		return fail(p, "statement_malformed", "the file holds no XML element");
	if (!json_object_get(p->doc, "message_id"))
		return fail(p, "statement_invalid", "the file has no GrpHdr/MsgId");
	if (json_array_size(p->statements) == 0)
		return fail(p, "statement_invalid", "the file holds no statement (Stmt)");
	return 0;
}

json_t *camt_parse(const char *xml, size_t len, struct camt_error *err)
{
	struct parser p;
	memset(&p, 0, sizeof p);
	memset(err, 0, sizeof *err);
	p.err = err;
	if (!xml || len == 0)
		return fail(&p, "statement_malformed", "the body is empty"), NULL;
	if (len > (size_t)INT32_MAX)
		return fail(&p, "statement_too_large", "the file is too large"), NULL;
	p.doc = json_object();
	p.statements = json_array();
	if (!p.doc || !p.statements ||
	    json_object_set_new(p.doc, "statements", p.statements) != 0) {
		json_decref(p.doc);
		return oom(&p), NULL;
	}
	/* Errors of this thread's parser go to on_xml_error, never to stderr. */
	xmlStructuredErrorFunc before = xmlStructuredError;
	void *before_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(NULL, quiet);
	p.rd = xmlReaderForMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET);
	if (!p.rd) {
		oom(&p);
	} else {
		xmlTextReaderSetStructuredErrorHandler(p.rd, on_xml_error, &p);
		read_all(&p);
		xmlFreeTextReader(p.rd);
	}
	xmlSetStructuredErrorFunc(before_ctx, before);
	entry_free(&p.e);
	json_decref(p.stmt);
	sbuf_free(&p.text);
	if (p.failed) {
		json_decref(p.doc);
		return NULL;
	}
	return p.doc;
}
