/* SEPA credit transfer files: ISO 20022 pain.001.001.03 as the EPC SEPA Credit Transfer rules and
 * the Dutch banks' implementation guidelines ask, for the payouts of a cooperative to its members
 * (the file a bookkeeper uploads to the bank as one batch). Rendered from the payout document of
 * GET /v1/payouts/{id}/sepa (the renderer contract: one JSON document per payout).
 * Pure code: no database, no network, no floating point (money is int64 cents), no global
 * state; thread-safe (call xmlInitParser() once before threads start, as for xml.h). */
#ifndef COOPD_SEPA_H
#define COOPD_SEPA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define SEPA_NS "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"

/* EPC limits */
#define SEPA_MAX_TRANSFERS 10000                /* per file (this renderer's bound) */
#define SEPA_MAX_CENTS     INT64_C(99999999999) /* 999999999.99 EUR per transfer */
#define SEPA_ID_MAX        35                   /* MsgId, PmtInfId, EndToEndId */
#define SEPA_NAME_MAX      70                   /* Nm of a party */
#define SEPA_USTRD_MAX     140                  /* RmtInf/Ustrd */
#define SEPA_NAME_FALLBACK "Onbekend"           /* a name with no character left (see below) */

/* Renders the payout document
 *   {"message_id", "created_at" ("YYYY-MM-DDThh:mm:ss", local time), "execution_date"
 *    ("YYYY-MM-DD"), "debtor": {"name", "iban", "bic" (or null)},
 *    "transfers": [{"end_to_end_id", "amount_cents", "name", "iban", "description"}, ...]}
 * (other members are ignored) as one pain.001.001.03 Document with one PmtInf (TRF, batch booking,
 * service level SEPA, charges SLEV, all in EUR). Returns a malloc'ed NUL-terminated UTF-8 XML
 * text and its length in *len (when len is not NULL); the caller frees it with free(). On error
 * returns NULL with a short lower-case message naming the field in err (when errlen > 0), e.g.
 * "transfers[2].iban: not a valid IBAN", and *len untouched.
 *
 * The document is checked first, so that a bank does not reject the file: 1..SEPA_MAX_TRANSFERS
 * transfers; message_id and every end_to_end_id 1..35 characters of the SEPA set (sepa_text_ok),
 * not starting or ending with '/' and without "//", the end_to_end_ids unique in the file;
 * amount_cents a JSON integer 1..SEPA_MAX_CENTS; IBANs as ids.h iban_valid (ISO 13616 with the
 * mod-97 check); a BIC as the schema's [A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?; the dates real
 * dates (lib/parse.h); every description sepa_text_ok and at most 140 characters (the service
 * checks remittance text on input: the renderer does not change it). No string may hold a NUL.
 *
 * Names (debtor and creditors) are written as sepa_text() makes them, at most SEPA_NAME_MAX
 * characters; a name of which nothing is left (all in another script) becomes SEPA_NAME_FALLBACK.
 * Without a BIC the debtor agent is FinInstnId/Othr/Id "NOTPROVIDED" (EPC, IBAN-only); creditor
 * agents are never written (IBAN-only, allowed for every SEPA payment since 2016). */
char *sepa_render(const json_t *doc, size_t *len, char *err, size_t errlen);

/* 1 when s is a non-empty string of which every byte is one of the EPC SEPA Latin character set
 *   a-z A-Z 0-9 / - ? : ( ) . , ' + and space
 * (so also valid UTF-8, the set being ASCII); 0 otherwise, and for NULL. The service validates a
 * bookkeeper's remittance text with it. */
int sepa_text_ok(const char *s);

/* Writes the UTF-8 text utf8 in the SEPA character set into out (outsize bytes), NUL-terminated,
 * and returns its length (characters = bytes, the output being ASCII). What it does:
 * - characters of the set are kept;
 * - Latin letters with diacritics become their base letters, for the whole Latin-1 Supplement and
 *   Latin Extended-A by table (é→e, ö→o, ş→s, ł→l, đ→d, ı→i, ſ→s; ß→ss, æ→ae, œ→oe, þ→th,
 *   Ĳ→IJ, ŉ→'n), for the rest of Latin through the Unicode compatibility decomposition (NFKD:
 *   Romanian ș→s, Vietnamese ệ→e, ligature ﬁ→fi, fullwidth Ａ→A) plus ẞ→SS and Ə/ə→E/e;
 *   combining marks are dropped, so decomposed input ("e" + U+0301) gives the same as composed;
 * - '&'→'+'; typographic and ASCII quotes, guillemets, primes, backquote, acute accent → '\'';
 *   dashes and minus signs → '-'; square, curly and angle brackets → '(' ')'; ';'→',';
 *   '_'→'-'; '\\'→'/'; '…'→"..."; '€'→"EUR"; '·'→'.'; '¿'→'?'; '×'→'x'; ª º → a o;
 *   ²³¹ → digits; ¼ ½ ¾ → "1/4" …; soft hyphen, zero-width characters and the byte order
 *   mark are dropped;
 * - every other character (other scripts, symbols, controls, and each byte of invalid UTF-8)
 *   becomes a space;
 * - runs of spaces become one, leading and trailing spaces go, and the result is cut to
 *   maxchars characters (and to outsize - 1), without a trailing space after the cut.
 * The result may be empty (then 0: the caller decides; sepa_render uses SEPA_NAME_FALLBACK).
 * utf8 NULL writes "". Nothing is written when out is NULL or outsize is 0 (returns 0). */
size_t sepa_text(const char *utf8, char *out, size_t outsize, size_t maxchars);

#endif
