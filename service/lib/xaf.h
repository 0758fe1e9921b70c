/* Writing an XAF 3.2 audit file (XML Auditfile Financieel, namespace XAF_NS) as a stream: the
 * caller appends elements to a buffer in the schema's order as its rows arrive, and sends the
 * buffer on whenever it likes (resp_stream_flush), so that a year of any size is never held.
 * What the file holds is the caller's (service/domain/auditfile.c); this writes well-formed
 * UTF-8 XML of it.
 *
 * Text is written as the schema's string types can carry it and an accountant's package can
 * import it: every control character (C0 including tab, line feed and carriage return, DEL,
 * C1), U+2028, U+2029, U+FFFE and U+FFFF becomes a space; a byte that is not part of valid
 * UTF-8 (strict: no overlong forms, no surrogates) becomes U+FFFD; '&', '<' and '>' are
 * escaped. A maximum length (the schema's maxLength, in characters) cuts the text at a
 * character boundary after that.
 *
 * Pure code: no database, no network, no floating point (amounts are int64 cents), no global
 * state; thread-safe. Nothing is owned: the buffer is the caller's. A failed allocation marks the
 * buffer (sbuf.oom), which the caller checks when it sends. */
#ifndef COOPD_XAF_H
#define COOPD_XAF_H

#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

#define XAF_NS "http://www.auditfiles.nl/XAF/3.2"

/* The schema's string lengths used by coopd's audit file. */
#define XAF_ID_MAX   35  /* IdentificationString35 */
#define XAF_S999_MAX 999 /* String999 */

struct xaf_writer {
	struct sbuf *out;
	int depth; /* of the element open last; the indentation */
};

/* Starts the document in out: the XML declaration and <auditfile xmlns="XAF_NS">. */
void xaf_begin(struct xaf_writer *w, struct sbuf *out);
/* Ends it: </auditfile> and a final line feed. */
void xaf_end(struct xaf_writer *w);

/* <name> on a line of its own, for an element with children; xaf_close(w, name) ends it. */
void xaf_open(struct xaf_writer *w, const char *name);
void xaf_close(struct xaf_writer *w, const char *name);

/* <name>text</name> with text as above, cut to maxchars characters (0: no limit). Nothing
 * when text is NULL (an optional element without a value). */
void xaf_elem(struct xaf_writer *w, const char *name, const char *text, size_t maxchars);
/* <name>n</name> */
void xaf_int(struct xaf_writer *w, const char *name, long long n);
/* <name>amount</name>: the absolute value of cents in euros with two decimals ("1234.05"), as
 * the schema's Amount2decimals is written with an amntTp D/C beside it. */
void xaf_amount(struct xaf_writer *w, const char *name, int64_t cents);

/* Appends text to out as element content (the rules above), at most maxchars characters (0: no
 * limit). Returns the number of characters written. text NULL appends nothing. */
size_t xaf_text(struct sbuf *out, const char *text, size_t maxchars);

/* The absolute value of cents as euros with two decimals into out: "0.00", "1234.05",
 * "92233720368547758.08" for INT64_MIN. */
void xaf_cents(char out[32], int64_t cents);

/* 1 when code is one of the schema's country codes (CountrycodeIso3166, which has "UK" and no
 * "EL"); 0 otherwise and for NULL. An address or registration country written only when it is. */
int xaf_country_ok(const char *code);

/* <periods> of a calendar year: twelve <period>s, periodNumber 1..12, periodDesc "YYYY-MM",
 * the month's first and last day. year 1..9999. */
void xaf_periods(struct xaf_writer *w, int year);

#endif
