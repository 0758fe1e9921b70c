/* Parsers and builders for HTTP header fields (RFC 9110): content negotiation on Accept,
 * entity-tag lists of If-None-Match, and Content-Disposition for downloads.
 *
 * Pure: no civetweb, no state, no allocation; thread-safe. Inputs are NUL-terminated strings
 * as civetweb hands them over; any bytes are safe. */
#ifndef COOPD_HTTPHDR_H
#define COOPD_HTTPHDR_H

#include <stddef.h>

#include "sbuf.h"

/* An Accept field longer than this, or with more entries, is disregarded as a whole (RFC 9110
 * §12.5.1 lets a server ignore the field): the answer is then the route's default type. */
#define ACCEPT_MAX_LEN     1024
#define ACCEPT_MAX_ENTRIES 32

struct accept_choice {
	int index; /* the chosen offer, or -1 when the client accepts none of them (406) */
	int excel; /* the range that chose it named the parameter dialect=excel */
};

/* Chooses among n offered media types ("type/subtype", lower case, the server's preference
 * first) the one the Accept field prefers. Each offer takes the weight of the most specific
 * range that matches it: type/subtype with parameters, then type/subtype, then the type with a
 * wildcard subtype, then the full wildcard. The highest weight above 0 wins; ties go to the
 * earlier offer. An absent, empty or disregarded field chooses offer 0. Entries that do not
 * parse (bad media range, bad q) are skipped. Parameters: charset other than utf-8 and dialect
 * other than excel make a range match nothing (coopd cannot produce those); dialect=excel
 * selects the Excel dialect; others (header, version, ...) are ignored. */
/* At most 8 offers are considered. */
struct accept_choice accept_choose(const char *field, const char *const *offers, int n);

/* Whether If-None-Match field matches the entity-tag etag (as sent in ETag, e.g. "\"3\"" or
 * "W/\"3\""), by weak comparison (RFC 9110 §13.1.2, §13.2.2): "*" matches any, otherwise a
 * comma-separated list of entity-tags. 1 when it matches, 0 when it does not or the field is
 * malformed (a malformed field is disregarded: the full response is sent). */
int etag_none_match(const char *field, const char *etag);

/* Appends a Content-Disposition value for a download named name (UTF-8):
 * attachment; filename="<fallback>" with the name's ASCII letters, digits, '.', '-', '_' and
 * anything else as '_'; and, when that fallback differs from the name,
 * filename*=UTF-8''<percent-encoded name> (RFC 6266, RFC 8187). */
void content_disposition(struct sbuf *out, const char *name);

#endif
