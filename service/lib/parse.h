/* The one parser of each small text format coopd reads: UUIDs, dates (YYYY-MM-DD), months
 * (YYYY-MM) and decimal numbers with a fixed number of decimals. Every layer uses these (the
 * router's path segments, request validation, the token's claims, the invoice document); none
 * writes its own. Municipality codes (GMnnnn) are identifiers and live in ids.h.
 *
 * Pure functions: no allocation, no locale (ASCII digits only), no global state; thread-safe.
 * Two kinds of answer:
 * - predicates (uuid_valid, text_is_*) return 1 when the text is valid and 0 otherwise;
 * - parsers (parse_*) return 0 and fill their output when the text is valid, or -1 and leave
 *   the output untouched.
 * A NULL text is invalid everywhere. The (s, n) forms read exactly n bytes and need no NUL (for
 * the router's path segments); the others take a NUL-terminated string, so a string with an
 * embedded NUL is judged by its bytes before the NUL. */
#ifndef COOPD_PARSE_H
#define COOPD_PARSE_H
#include <stddef.h>
#include <stdint.h>

/* ---- UUID -------------------------------------------------------------------------------------
 * 8-4-4-4-12 hexadecimal digits with the four hyphens: 36 characters, no braces, no "urn:uuid:".
 * With lowercase_only, the digits a-f must be lower case (the canonical form PostgreSQL prints,
 * which tokens carry); otherwise either case. */
#define UUID_TEXT_LEN 36
int uuid_valid(const char *s, size_t n, int lowercase_only);
int text_is_uuid(const char *s);       /* either case */
int text_is_uuid_lower(const char *s); /* lower case only */

/* ---- dates ------------------------------------------------------------------------------------
 * YYYY-MM-DD, exactly 10 characters: a real day of the proleptic Gregorian calendar (29 February
 * in leap years only) in the years 1900..9999. parse_date stores the days since 1970-01-01
 * (negative before it) in *days when days is not NULL. */
int parse_date(const char *s, int64_t *days);
int text_is_date(const char *s);

/* ---- months -----------------------------------------------------------------------------------
 * YYYY-MM, exactly 7 characters, in the years 1900..9999 (the years of a date), month 01..12.
 * When first_day is not NULL it receives the month's first day, "YYYY-MM-01" and a NUL (11
 * bytes), which parse_date accepts. */
int parse_month(const char *s, size_t n, char first_day[11]);

/* ---- ISO weeks --------------------------------------------------------------------------------
 * YYYY-Www, exactly 8 characters: ISO 8601 week ww (01..53) of ISO year YYYY (1900..9998), a week
 * 53 only in the years that have one. When monday is not NULL it receives the week's Monday as
 * YYYY-MM-DD and a NUL (11 bytes). Examples: 2026-W01 → 2025-12-29, 2020-W53 → 2020-12-28;
 * 2025-W53 is invalid. */
int parse_iso_week(const char *s, char monday[11]);

/* ---- decimals ---------------------------------------------------------------------------------
 * [-]D[.F]: one or more ASCII digits D; when there is a point, 1..decimals digits F after it ("1."
 * and ".5" are invalid, as are '+', exponents, spaces and a comma). A '-' is allowed only with
 * DECIMAL_NEGATIVE; "-0" is 0. The value times 10^decimals goes to *scaled (when not NULL), and
 * must lie within -limit..limit (limit >= 0); the parse never overflows, however many digits
 * (leading zeros are allowed: "007" is 7). decimals is 0..18 (0: integers only).
 * Examples: parse_decimal("4.5", 3, ...) gives 4500; the request fields of at most 9 integer
 * digits and 3 decimals are parse_decimal(s, 3, DECIMAL3_LIMIT, 0, NULL) == 0. */
#define DECIMAL_NEGATIVE 1u
#define DECIMAL3_LIMIT   INT64_C(999999999999) /* 999999999.999: 9 integer digits, 3 decimals */
int parse_decimal(const char *s, unsigned decimals, int64_t limit, unsigned flags, int64_t *scaled);

#endif
