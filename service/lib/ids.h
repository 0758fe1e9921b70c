/* Dutch (and a few international) identifiers, checked on input: the rules and test vectors of
 * RULES.md §4. Pure functions: no allocation, no locale (ASCII only), NULL is invalid.
 * The *_valid functions return 1 when s is valid and 0 otherwise; they accept only the canonical
 * form (upper case, no stray spaces). Callers that accept user-typed forms normalise first.
 * sql/002_identifiers.sql implements the same rules for CHECK constraints; keep them in step. */
#ifndef COOPD_IDS_H
#define COOPD_IDS_H
#include <stddef.h>

/* KvK number (Kamer van Koophandel): exactly 8 digits, no check digit. */
int kvk_valid(const char *s);

/* RSIN: 9 digits passing the 11-test (weights 9,8,7,6,5,4,3,2,-1; sum mod 11 == 0), not all
 * zeros. */
int rsin_valid(const char *s);

/* Dutch VAT id (btw-id): "NL" + 9 digits + "B" + 2 digits, valid when the whole string passes
 * ISO 7064 mod 97 (letters A=10..Z=35; result 1) or the 9 digits pass the RSIN 11-test;
 * 9 zeros are invalid. */
int vat_id_nl_valid(const char *s);

/* Any VAT id: 2 upper-case letters + 2..13 upper-case letters or digits. An "NL" id must also
 * pass vat_id_nl_valid; for other countries only this format is checked. */
int vat_id_valid(const char *s);

/* IBAN (ISO 13616): 2 upper-case letters, 2 check digits (not 00, 01 or 99), 11..30 upper-case
 * letters or digits (15..34 in all), and ISO 7064 mod 97 of the rearranged string == 1.
 * An NL IBAN is exactly 18 characters: 4 letters (bank) + 10 digits after the check digits.
 * Spaces are rejected: normalise typed input with iban_normalize first. */
int iban_valid(const char *s);

/* Writes in without spaces, ASCII letters upper-cased, NUL-terminated, into out (n bytes).
 * When in is NULL or the result does not fit, out is "" (which no validator accepts), so a
 * truncated value can never pass. Nothing is written when out is NULL or n is 0. */
void iban_normalize(const char *in, char *out, size_t n);

/* Dutch postal code: 4 digits (the first not 0), an optional single space, 2 upper-case letters,
 * not SA, SD or SS. */
int postal_code_nl_valid(const char *s);

/* Writes the canonical "1234 AB" form of in into out (n bytes): leading and trailing spaces
 * removed, letters upper-cased, exactly one space between the 4 leading characters and the 2
 * trailing ones. Input of another shape is written trimmed and upper-cased, so that
 * postal_code_nl_valid still rejects it. NULL in or a result that does not fit gives "".
 * Nothing is written when out is NULL or n is 0. */
void postal_code_nl_normalize(const char *in, char *out, size_t n);

/* CBS municipality code: "GM" + 4 digits. The _n form reads exactly n bytes of s (no NUL
 * needed): the router checks path segments with it. */
int municipality_code_valid(const char *s);
int municipality_code_valid_n(const char *s, size_t n);

/* BIC (ISO 9362): 4 letters (bank) + 2 letters (country) + 2 letters or digits (location)
 * + optionally 3 letters or digits (branch): 8 or 11 upper-case characters. */
int bic_valid(const char *s);

/* A plausible e-mail address, not a full RFC 5322 parse: at most 254 bytes, exactly one '@',
 * a non-empty local part, a domain of at least two non-empty dot-separated labels, and no
 * spaces or control characters anywhere. */
int email_plausible(const char *s);

#endif
