/* SEPA credit transfer files, pain.001.001.03 (see sepa.h).
 *
 * Two phases, as ubl.c: read() takes the JSON document apart and checks every value against
 * what the schema and the EPC rules allow, so that render() cannot write a file a bank rejects;
 * render() then builds the tree (xml.h) in the element order of the pain.001.001.03 schema.
 * Every text written is ASCII of the SEPA set (ids, descriptions), the checked IBAN/BIC/date
 * formats, or a name made by sepa_text(). */
#include "sepa.h"

#include "errbuf.h"
#include "ids.h"
#include "parse.h"
#include "xml.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>
#include <uninorm.h>

/* ---- the SEPA character set and transliteration ---- */

static int in_set(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("/-?:().,'+ ", c) != NULL);
}

int sepa_text_ok(const char *s)
{
	if (!s || !*s)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (!in_set(*p))
			return 0;
	return 1;
}

/* ASCII outside the set: what replaces it ("" never; " " for the rest). */
static const char *ascii_map(unsigned char c)
{
	switch (c) {
	case '&':
		return "+";
	case '"':
	case '`':
		return "'";
	case '[':
	case '{':
	case '<':
		return "(";
	case ']':
	case '}':
	case '>':
		return ")";
	case ';':
		return ",";
	case '_':
		return "-";
	case '\\':
		return "/";
	default:
		return " ";
	}
}

/* U+00A0..U+00FF, the Latin-1 Supplement. */
/* clang-format off */
static const char *const latin1[96] = {
    /* U+00A0 NBSP ¡  ¢    £    ¤    ¥    ¦    §    ¨    ©      ª    «    ¬    SHY ®      ¯ */
    " ", " ", " ", " ", " ", " ", " ", " ", " ", "(C)", "a", "'", " ", "", "(R)", " ",
    /* U+00B0 ° ±     ²    ³    ´    µ    ¶    ·    ¸    ¹    º    »    ¼      ½      ¾   ¿ */
    " ", "+-", "2", "3", "'", " ", " ", ".", " ", "1", "o", "'", "1/4", "1/2", "3/4", "?",
    /* U+00C0 À Á   Â    Ã    Ä    Å    Æ     Ç    È    É    Ê    Ë    Ì    Í    Î    Ï */
    "A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I", "I",
    /* U+00D0 Ð Ñ   Ò    Ó    Ô    Õ    Ö    ×    Ø    Ù    Ú    Û    Ü    Ý    Þ     ß */
    "D", "N", "O", "O", "O", "O", "O", "x", "O", "U", "U", "U", "U", "Y", "TH", "ss",
    /* U+00E0 à á   â    ã    ä    å    æ     ç    è    é    ê    ë    ì    í    î    ï */
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    /* U+00F0 ð ñ   ò    ó    ô    õ    ö    ÷    ø    ù    ú    û    ü    ý    þ     ÿ */
    "d", "n", "o", "o", "o", "o", "o", "/", "o", "u", "u", "u", "u", "y", "th", "y",
};

/* U+0100..U+017F, Latin Extended-A. */
static const char *const latin_ext_a[128] = {
    /* U+0100 Ā ā   Ă    ă    Ą    ą    Ć    ć    Ĉ    ĉ    Ċ    ċ    Č    č    Ď    ď */
    "A", "a", "A", "a", "A", "a", "C", "c", "C", "c", "C", "c", "C", "c", "D", "d",
    /* U+0110 Đ đ   Ē    ē    Ĕ    ĕ    Ė    ė    Ę    ę    Ě    ě    Ĝ    ĝ    Ğ    ğ */
    "D", "d", "E", "e", "E", "e", "E", "e", "E", "e", "E", "e", "G", "g", "G", "g",
    /* U+0120 Ġ ġ   Ģ    ģ    Ĥ    ĥ    Ħ    ħ    Ĩ    ĩ    Ī    ī    Ĭ    ĭ    Į    į */
    "G", "g", "G", "g", "H", "h", "H", "h", "I", "i", "I", "i", "I", "i", "I", "i",
    /* U+0130 İ ı   Ĳ     ĳ     Ĵ    ĵ    Ķ    ķ    ĸ    Ĺ    ĺ    Ļ    ļ    Ľ    ľ    Ŀ */
    "I", "i", "IJ", "ij", "J", "j", "K", "k", "k", "L", "l", "L", "l", "L", "l", "L",
    /* U+0140 ŀ Ł   ł    Ń    ń    Ņ    ņ    Ň    ň    ŉ     Ŋ    ŋ    Ō    ō    Ŏ    ŏ */
    "l", "L", "l", "N", "n", "N", "n", "N", "n", "'n", "N", "n", "O", "o", "O", "o",
    /* U+0150 Ő ő   Œ     œ     Ŕ    ŕ    Ŗ    ŗ    Ř    ř    Ś    ś    Ŝ    ŝ    Ş    ş */
    "O", "o", "OE", "oe", "R", "r", "R", "r", "R", "r", "S", "s", "S", "s", "S", "s",
    /* U+0160 Š š   Ţ    ţ    Ť    ť    Ŧ    ŧ    Ũ    ũ    Ū    ū    Ŭ    ŭ    Ů    ů */
    "S", "s", "T", "t", "T", "t", "T", "t", "U", "u", "U", "u", "U", "u", "U", "u",
    /* U+0170 Ű ű   Ų    ų    Ŵ    ŵ    Ŷ    ŷ    Ÿ    Ź    ź    Ż    ż    Ž    ž    ſ */
    "U", "u", "U", "u", "W", "w", "Y", "y", "Y", "Z", "z", "Z", "z", "Z", "z", "s",
};
/* clang-format on */

/* Characters outside the two tables with a fixed replacement; NULL when none. */
static const char *other_map(uint32_t c)
{
	if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
	    (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
	    (c >= 0xFE20 && c <= 0xFE2F))
		return ""; /* combining marks: the letter before them stays */
	if ((c >= 0x200B && c <= 0x200F) || (c >= 0x2060 && c <= 0x2064) || c == 0xFEFF)
		return ""; /* zero-width characters, direction marks, byte order mark */
	if ((c >= 0x2010 && c <= 0x2015) || c == 0x2212 || c == 0x2043 || c == 0xFE58 ||
	    c == 0xFE63 || c == 0xFF0D)
		return "-";
	if ((c >= 0x2018 && c <= 0x201F) || c == 0x2032 || c == 0x2033 || c == 0x2039 ||
	    c == 0x203A || (c >= 0x02B9 && c <= 0x02BC))
		return "'";
	switch (c) {
	case 0x2044: /* ⁄, in the decomposition of ½-like fractions outside Latin-1 */
		return "/";
	case 0x2026: /* … (NFKD would give it too; here for clarity) */
		return "...";
	case 0x20AC: /* € */
		return "EUR";
	case 0x1E9E: /* ẞ */
		return "SS";
	case 0x018F: /* Ə (Azerbaijani) */
		return "E";
	case 0x0259: /* ə */
		return "e";
	default:
		return NULL;
	}
}

/* The output of sepa_text being built: at most cap characters, a space written only once a
 * character follows it (so there is never a leading, repeated or trailing one). */
struct text_out {
	char *s;
	size_t n, cap;
	int space, full;
};

static void put(struct text_out *o, const char *t)
{
	for (; *t && !o->full; t++) {
		if (*t == ' ') {
			o->space = o->n > 0;
			continue;
		}
		if (o->n + (o->space ? 2u : 1u) > o->cap) {
			o->full = 1;
			break;
		}
		if (o->space)
			o->s[o->n++] = ' ';
		o->space = 0;
		o->s[o->n++] = *t;
	}
}

/* Writes what code point c becomes; depth bounds the decomposition (a few levels suffice). */
static void put_cp(struct text_out *o, uint32_t c, int depth)
{
	const char *t;
	if (c < 0x80) {
		char one[2] = {(char)c, '\0'};
		put(o, c != 0 && in_set((unsigned char)c) ? one : ascii_map((unsigned char)c));
		return;
	}
	if (c >= 0xA0 && c <= 0xFF) {
		put(o, latin1[c - 0xA0]);
		return;
	}
	if (c >= 0x100 && c <= 0x17F) {
		put(o, latin_ext_a[c - 0x100]);
		return;
	}
	if ((t = other_map(c))) {
		put(o, t);
		return;
	}
	/* the rest of Latin (and compatibility forms such as ligatures and fullwidth letters):
	 * the characters of its compatibility decomposition, the marks dropped */
	ucs4_t d[UC_DECOMPOSITION_MAX_LENGTH];
	int tag, n = depth < 8 ? uc_decomposition(c, &tag, d) : -1;
	if (n <= 0) {
		put(o, " ");
		return;
	}
	for (int i = 0; i < n && !o->full; i++)
		put_cp(o, d[i], depth + 1);
}

size_t sepa_text(const char *utf8, char *out, size_t outsize, size_t maxchars)
{
	if (!out || outsize == 0)
		return 0;
	struct text_out o = {.s = out, .cap = maxchars < outsize - 1 ? maxchars : outsize - 1};
	const uint8_t *p = (const uint8_t *)(utf8 ? utf8 : "");
	size_t left = strlen((const char *)p);
	while (left > 0 && !o.full) {
		ucs4_t cp;
		int len = u8_mbtoucr(&cp, p, left); /* strict: no overlong forms, no surrogates */
		if (len <= 0) {
			put(&o, " "); /* one invalid byte */
			len = 1;
		} else {
			put_cp(&o, cp, 0);
		}
		p += len;
		left -= (size_t)len;
	}
	out[o.n] = '\0';
	return o.n;
}

/* ---- reading and checking the document ---- */

struct transfer {
	const char *end_to_end_id, *iban, *description;
	int64_t cents;
	char name[SEPA_NAME_MAX + 1];
};

struct payout {
	const char *message_id, *created_at, *execution_date, *debtor_iban, *debtor_bic;
	char debtor_name[SEPA_NAME_MAX + 1];
	struct transfer *tx;
	size_t ntx;
	int64_t total_cents;
};

/* The string member key of obj, or NULL with a message naming path (the member's JSON path). */
static const char *str_at(const json_t *obj, const char *key, const char *path, struct errbuf *e)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		errbuf_set(e, "%s: missing", path);
		return NULL;
	}
	if (!json_is_string(v)) {
		errbuf_set(e, "%s: not a string", path);
		return NULL;
	}
	const char *s = json_string_value(v);
	if (strlen(s) != json_string_length(v)) {
		errbuf_set(e, "%s: contains a NUL character", path);
		return NULL;
	}
	return s;
}

/* EPC: an identifier of the SEPA set, 1..35 characters, not starting or ending with '/', no
 * "//". */
static int ref_check(const char *s, const char *path, struct errbuf *e)
{
	size_t n = strlen(s);
	if (n == 0 || n > SEPA_ID_MAX || !sepa_text_ok(s))
		return errbuf_set(e, "%s: not 1 to 35 characters of the SEPA character set", path);
	if (s[0] == '/' || s[n - 1] == '/' || strstr(s, "//"))
		return errbuf_set(e, "%s: starts or ends with '/' or contains \"//\"", path);
	return 0;
}

/* YYYY-MM-DDThh:mm:ss, a real date and time (no zone: local time, as the contract gives it). */
static int datetime_ok(const char *s)
{
	char date[11];
	if (strlen(s) != 19 || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return 0;
	memcpy(date, s, 10);
	date[10] = '\0';
	for (int i = 11; i < 19; i++)
		if (i != 13 && i != 16 && (s[i] < '0' || s[i] > '9'))
			return 0;
	int h = (s[11] - '0') * 10 + (s[12] - '0'), m = (s[14] - '0') * 10 + (s[15] - '0'),
	    sec = (s[17] - '0') * 10 + (s[18] - '0');
	return text_is_date(date) && h < 24 && m < 60 && sec < 60;
}

/* A name: transliterated into out (SEPA_NAME_MAX + 1 bytes), the fallback when nothing is left. */
static int name_at(const json_t *obj, const char *path, char *out, struct errbuf *e)
{
	const char *s = str_at(obj, "name", path, e);
	if (!s)
		return -1;
	if (sepa_text(s, out, SEPA_NAME_MAX + 1, SEPA_NAME_MAX) == 0)
		snprintf(out, SEPA_NAME_MAX + 1, "%s", SEPA_NAME_FALLBACK);
	return 0;
}

struct id_ref {
	const char *id;
	size_t i;
};

static int id_cmp(const void *a, const void *b)
{
	const struct id_ref *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Every end_to_end_id once in the file. */
static int unique_ids(const struct payout *p, struct errbuf *e)
{
	struct id_ref *ids = malloc(p->ntx * sizeof *ids);
	int rc = 0;
	if (!ids)
		return errbuf_set(e, "out of memory");
	for (size_t i = 0; i < p->ntx; i++)
		ids[i] = (struct id_ref){p->tx[i].end_to_end_id, i};
	qsort(ids, p->ntx, sizeof *ids, id_cmp);
	for (size_t i = 1; i < p->ntx && rc == 0; i++)
		if (!strcmp(ids[i - 1].id, ids[i].id))
			rc = errbuf_set(
			    e, "transfers[%zu].end_to_end_id: the same as transfers[%zu]'s",
			    ids[i].i, ids[i - 1].i);
	free(ids);
	return rc;
}

static int read_transfer(const json_t *t, size_t i, struct transfer *tx, struct errbuf *e)
{
	char path[64];
	if (!json_is_object(t))
		return errbuf_set(e, "transfers[%zu]: not an object", i);

	snprintf(path, sizeof path, "transfers[%zu].end_to_end_id", i);
	if (!(tx->end_to_end_id = str_at(t, "end_to_end_id", path, e)) ||
	    ref_check(tx->end_to_end_id, path, e) != 0)
		return -1;

	json_t *amount = json_object_get(t, "amount_cents");
	if (!json_is_integer(amount))
		return errbuf_set(e, "transfers[%zu].amount_cents: %s", i,
		                  amount && !json_is_null(amount) ? "not an integer" : "missing");
	tx->cents = json_integer_value(amount);
	if (tx->cents < 1 || tx->cents > SEPA_MAX_CENTS)
		return errbuf_set(e,
		                  "transfers[%zu].amount_cents: outside 1..99999999999 (0.01 to "
		                  "999999999.99 EUR)",
		                  i);

	snprintf(path, sizeof path, "transfers[%zu].name", i);
	if (name_at(t, path, tx->name, e) != 0)
		return -1;

	snprintf(path, sizeof path, "transfers[%zu].iban", i);
	if (!(tx->iban = str_at(t, "iban", path, e)))
		return -1;
	if (!iban_valid(tx->iban))
		return errbuf_set(e, "%s: not a valid IBAN", path);

	snprintf(path, sizeof path, "transfers[%zu].description", i);
	if (!(tx->description = str_at(t, "description", path, e)))
		return -1;
	if (!sepa_text_ok(tx->description) || strlen(tx->description) > SEPA_USTRD_MAX)
		return errbuf_set(e, "%s: not 1 to 140 characters of the SEPA character set", path);
	return 0;
}

/* Reads and checks doc into p; p->tx is the caller's to free (also on failure). */
static int payout_read(const json_t *doc, struct payout *p, struct errbuf *e)
{
	if (!json_is_object(doc))
		return errbuf_set(e, "payout document: not an object");

	if (!(p->message_id = str_at(doc, "message_id", "message_id", e)) ||
	    ref_check(p->message_id, "message_id", e) != 0)
		return -1;
	if (!(p->created_at = str_at(doc, "created_at", "created_at", e)))
		return -1;
	if (!datetime_ok(p->created_at))
		return errbuf_set(e, "created_at: not a date and time YYYY-MM-DDThh:mm:ss");
	if (!(p->execution_date = str_at(doc, "execution_date", "execution_date", e)))
		return -1;
	if (!text_is_date(p->execution_date))
		return errbuf_set(e, "execution_date: not a date YYYY-MM-DD");

	json_t *debtor = json_object_get(doc, "debtor");
	if (!json_is_object(debtor))
		return errbuf_set(e, "debtor: %s",
		                  debtor && !json_is_null(debtor) ? "not an object" : "missing");
	if (name_at(debtor, "debtor.name", p->debtor_name, e) != 0)
		return -1;
	if (!(p->debtor_iban = str_at(debtor, "iban", "debtor.iban", e)))
		return -1;
	if (!iban_valid(p->debtor_iban))
		return errbuf_set(e, "debtor.iban: not a valid IBAN");
	json_t *bic = json_object_get(debtor, "bic");
	if (bic && !json_is_null(bic)) {
		if (!(p->debtor_bic = str_at(debtor, "bic", "debtor.bic", e)))
			return -1;
		if (!bic_valid(p->debtor_bic)) /* ids.h: the schema's BICIdentifier */
			return errbuf_set(e, "debtor.bic: not a valid BIC");
	}

	json_t *transfers = json_object_get(doc, "transfers");
	if (!json_is_array(transfers))
		return errbuf_set(e, "transfers: %s",
		                  transfers && !json_is_null(transfers) ? "not an array"
		                                                        : "missing");
	p->ntx = json_array_size(transfers);
	if (p->ntx < 1 || p->ntx > SEPA_MAX_TRANSFERS)
		return errbuf_set(e, "transfers: not 1 to %d transfers", SEPA_MAX_TRANSFERS);
	if (!(p->tx = calloc(p->ntx, sizeof *p->tx)))
		return errbuf_set(e, "out of memory");
	for (size_t i = 0; i < p->ntx; i++) {
		struct transfer *tx = &p->tx[i];
		if (read_transfer(json_array_get(transfers, i), i, tx, e) != 0)
			return -1;
		/* the bounds above keep the sum far below INT64_MAX; checked all the same */
		if (tx->cents > INT64_MAX - p->total_cents)
			return errbuf_set(e, "transfers: the control sum overflows");
		p->total_cents += tx->cents;
	}
	return unique_ids(p, e);
}

/* ---- building the tree ---- */

/* 12345 → "123.45" (cents >= 0). */
static void money_fmt(int64_t cents, char out[32])
{
	snprintf(out, 32, "%" PRId64 ".%02" PRId64, cents / 100, cents % 100);
}

static xmlNodePtr elem(struct xml_doc *x, xmlNodePtr parent, const char *name)
{
	return xml_elem(x, parent, NULL, name); /* NULL: the parent's (default) namespace */
}

static xmlNodePtr text(struct xml_doc *x, xmlNodePtr parent, const char *name, const char *value)
{
	return xml_text(x, parent, NULL, name, value);
}

/* <name><Nm>...</Nm></name>: a party with its name only. */
static void party(struct xml_doc *x, xmlNodePtr parent, const char *name, const char *nm)
{
	text(x, elem(x, parent, name), "Nm", nm);
}

static void account(struct xml_doc *x, xmlNodePtr parent, const char *name, const char *iban,
                    int with_currency)
{
	xmlNodePtr acct = elem(x, parent, name);
	text(x, elem(x, acct, "Id"), "IBAN", iban);
	if (with_currency)
		text(x, acct, "Ccy", "EUR");
}

static void transfer(struct xml_doc *x, xmlNodePtr pmt, const struct transfer *t)
{
	char amount[32];
	xmlNodePtr tx = elem(x, pmt, "CdtTrfTxInf");
	text(x, elem(x, tx, "PmtId"), "EndToEndId", t->end_to_end_id);
	money_fmt(t->cents, amount);
	xml_text_attr(x, elem(x, tx, "Amt"), NULL, "InstdAmt", amount, "Ccy", "EUR");
	party(x, tx, "Cdtr", t->name);
	account(x, tx, "CdtrAcct", t->iban, 0);
	text(x, elem(x, tx, "RmtInf"), "Ustrd", t->description);
}

/* The Document in the element order of the schema: GroupHeader32, then one
 * PaymentInstructionInformation3 with a CreditTransferTransactionInformation10 per transfer. */
static void render(struct xml_doc *x, const struct payout *p)
{
	char count[24], sum[32];
	snprintf(count, sizeof count, "%zu", p->ntx);
	money_fmt(p->total_cents, sum);

	xmlNodePtr init = elem(x, x->root, "CstmrCdtTrfInitn");
	xmlNodePtr hdr = elem(x, init, "GrpHdr");
	text(x, hdr, "MsgId", p->message_id);
	text(x, hdr, "CreDtTm", p->created_at);
	text(x, hdr, "NbOfTxs", count);
	text(x, hdr, "CtrlSum", sum);
	party(x, hdr, "InitgPty", p->debtor_name);

	xmlNodePtr pmt = elem(x, init, "PmtInf");
	text(x, pmt, "PmtInfId", p->message_id);
	text(x, pmt, "PmtMtd", "TRF");
	text(x, pmt, "BtchBookg", "true");
	text(x, pmt, "NbOfTxs", count);
	text(x, pmt, "CtrlSum", sum);
	text(x, elem(x, elem(x, pmt, "PmtTpInf"), "SvcLvl"), "Cd", "SEPA");
	text(x, pmt, "ReqdExctnDt", p->execution_date);
	party(x, pmt, "Dbtr", p->debtor_name);
	account(x, pmt, "DbtrAcct", p->debtor_iban, 1);
	xmlNodePtr fin = elem(x, elem(x, pmt, "DbtrAgt"), "FinInstnId");
	if (p->debtor_bic)
		text(x, fin, "BIC", p->debtor_bic);
	else
		text(x, elem(x, fin, "Othr"), "Id", "NOTPROVIDED");
	text(x, pmt, "ChrgBr", "SLEV");
	for (size_t i = 0; i < p->ntx && !x->err.set; i++)
		transfer(x, pmt, &p->tx[i]);
}

char *sepa_render(const json_t *doc, size_t *len, char *err, size_t errlen)
{
	struct payout p;
	struct xml_doc x;
	struct errbuf e = errbuf_of(err, errlen);
	char *out = NULL;

	memset(&p, 0, sizeof p);
	if (payout_read(doc, &p, &e) == 0) {
		if (xml_begin(&x, "Document", SEPA_NS, err, errlen) == 0)
			render(&x, &p);
		out = xml_finish(&x, len);
	}
	free(p.tx);
	return out;
}
