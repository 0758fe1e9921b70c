/* Reading requests: headers, query parameters, pagination, If-Match and strict body
 * validation. Civetweb's strings are borrowed for the duration of the callback only. */
#include <civetweb.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "http.h"
#include "lib/netaddr.h"
#include "lib/parse.h"

void req_client_addr(const struct req *r, char *out, size_t outlen)
{
	const char *peer = r->ri->remote_addr;
	snprintf(out, outlen, "%s", peer);
	const char *xff = mg_get_header(r->mg, "X-Forwarded-For");
	if (!xff || !net_addr_in(peer, app.cfg.trusted_proxies, app.cfg.trusted_proxy_count))
		return;
	/* The last entry is the one the trusted proxy wrote; earlier ones are the client's word. */
	const char *last = strrchr(xff, ',');
	last = last ? last + 1 : xff;
	while (*last == ' ' || *last == '\t')
		last++;
	char addr[64];
	size_t n = strcspn(last, " \t");
	if (n == 0 || n >= sizeof addr)
		return;
	memcpy(addr, last, n);
	addr[n] = '\0';
	if (net_addr_valid(addr))
		snprintf(out, outlen, "%s", addr);
}

const char *req_header(const struct req *r, const char *name)
{
	return mg_get_header(r->mg, name);
}

int req_query(const struct req *r, const char *name, char *out, size_t outlen)
{
	const char *qs = r->ri->query_string;
	if (!qs)
		return 0;
	int n = mg_get_var(qs, strlen(qs), name, out, outlen);
	if (n == -1)
		return 0;
	/* Too long, bad %-encoding, or an encoded NUL that would cut the value short. */
	if (n < 0 || strlen(out) != (size_t)n)
		return -1;
	return 1;
}

int req_query_id(struct req *r, const char *name, char *out, size_t outlen)
{
	int got = req_query(r, name, out, outlen);
	if (got < 0 || (got && !text_is_uuid(out))) {
		err_set(&r->err, 400, "invalid_parameter", "%s is not an id", name);
		return -1;
	}
	return got;
}

int req_query_bool(struct req *r, const char *name, char *out, size_t outlen)
{
	int got = req_query(r, name, out, outlen);
	if (got < 0 || (got && strcmp(out, "true") != 0 && strcmp(out, "false") != 0)) {
		err_set(&r->err, 400, "invalid_parameter", "%s must be true or false", name);
		return -1;
	}
	return got;
}

int req_year(struct req *r, char out[8])
{
	char today[11];
	int got = req_query(r, "year", out, 8);
	if (got == 0) {
		today_amsterdam(today);
		snprintf(out, 8, "%.4s", today);
		return 0;
	}
	/* Four digits only: strtol would also take " 2026", "+2026" and "2026x" cut at a NUL. */
	if (got < 0 || strlen(out) != 4 || strspn(out, "0123456789") != 4 ||
	    strcmp(out, "2000") < 0 || strcmp(out, "2100") > 0) {
		err_set(&r->err, 400, "invalid_parameter", "year must be a year from 2000 to 2100");
		return -1;
	}
	return 0;
}

/* Cursors are "c" + the position in base 36: opaque to clients, cheap to check. */
void cursor_encode(long long pos, char *out, size_t outlen)
{
	char tmp[24];
	int i = 0;
	unsigned long long v = (unsigned long long)pos;
	do {
		tmp[i++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
		v /= 36;
	} while (v && i < (int)sizeof tmp);
	size_t k = 0;
	if (outlen < (size_t)i + 2) {
		out[0] = '\0';
		return;
	}
	out[k++] = 'c';
	while (i > 0)
		out[k++] = tmp[--i];
	out[k] = '\0';
}

int cursor_decode(const char *s, long long *pos)
{
	if (s[0] != 'c' || !s[1] || strlen(s) > 14)
		return -1;
	long long v = 0;
	for (const char *p = s + 1; *p; p++) {
		int d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'z')
			d = *p - 'a' + 10;
		else
			return -1;
		if (v > (LLONG_MAX - d) / 36)
			return -1; /* no position of ours is that large */
		v = v * 36 + d;
	}
	*pos = v;
	return 0;
}

int req_page(struct req *r, int *limit, long long *after)
{
	char buf[64];
	*limit = 50;
	*after = 0;
	int got = req_query(r, "limit", buf, sizeof buf);
	if (got < 0)
		goto bad_limit;
	if (got) {
		/* Digits only: strtol would also take " 5", "+5" and "05x" cut at a NUL. */
		size_t n = strlen(buf);
		int v = 0;
		for (size_t i = 0; i < n; i++) {
			if (n > 3 || buf[i] < '0' || buf[i] > '9')
				goto bad_limit;
			v = v * 10 + (buf[i] - '0');
		}
		if (n == 0 || v < 1 || v > 200)
			goto bad_limit;
		*limit = v;
	}
	got = req_query(r, "after", buf, sizeof buf);
	if (got < 0 || (got && cursor_decode(buf, after) != 0)) {
		err_set(&r->err, 400, "invalid_parameter", "after is not a cursor of this list");
		return -1;
	}
	return 0;
bad_limit:
	err_set(&r->err, 400, "invalid_parameter", "limit must be an integer from 1 to 200");
	return -1;
}

int req_if_match(struct req *r, long *version)
{
	*version = -1;
	const char *h = req_header(r, "If-Match");
	if (!h)
		return 0;
	while (*h == ' ')
		h++;
	if (strcmp(h, "*") == 0)
		return 0;
	/* We only ever send one strong ETag "<n>"; anything else cannot match. */
	char *end;
	if (h[0] == '"') {
		errno = 0;
		long v = strtol(h + 1, &end, 10);
		if (!errno && end != h + 1 && end[0] == '"' && end[1] == '\0' && v > 0) {
			*version = v;
			return 1;
		}
	}
	err_set(&r->err, 412, "precondition_failed", "If-Match does not match the current version");
	return -1;
}

/* ---- the request body ------------------------------------------------------------------------
 * A scan before Jansson sees the text: Jansson's parser recurses once per nesting level on the
 * worker's stack (civetweb's threads have 100 KiB), so the depth is bounded here, outside any
 * recursion. The same scan finds numbers that do not fit (an integer beyond int64, a real whose
 * magnitude reaches 1e308): Jansson would refuse the whole document, but SPEC §3 wants a field
 * error, so each such token is replaced by a marker string (U+FFFF, a noncharacter, and a
 * name) that check_field reports as out of range on its field. */
#define OUT_OF_RANGE_MARKER "\\uffffcoopd:out-of-range"
#define OUT_OF_RANGE_VALUE                                                                         \
	"\xef\xbf\xbf"                                                                             \
	"coopd:out-of-range"
#define OUT_OF_RANGE_LEN (sizeof OUT_OF_RANGE_VALUE - 1)

/* Digits of INT64_MAX and INT64_MIN's magnitude. */
static const char int64_max_digits[] = "9223372036854775807";
static const char int64_min_digits[] = "9223372036854775808";

/* 1 when s[0..n) is a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int is_json_number(const char *s, size_t n)
{
	size_t i = s[0] == '-';
	size_t start = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == start || (s[start] == '0' && i - start > 1))
		return 0;
	if (i < n && s[i] == '.') {
		start = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		start = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return 0;
	}
	return i == n;
}

/* The number token at s[0..n): 1 when it is a JSON number that Jansson would refuse as out of
 * range (or, for a real, one of at least 1e308 in magnitude, a value no field accepts anyway).
 * Anything else that is not a JSON number is left for the parser to reject. */
static int number_out_of_range(const char *s, size_t n)
{
	if (!is_json_number(s, n))
		return 0;
	size_t i = 0;
	int negative = s[0] == '-';
	i += (size_t)negative;
	size_t int_start = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	size_t int_digits = i - int_start;
	if (i == n) {
		if (int_digits < 19)
			return 0;
		if (int_digits > 19)
			return 1;
		return memcmp(s + int_start, negative ? int64_min_digits : int64_max_digits, 19) >
		       0;
	}
	/* A real: its decimal magnitude is the position of the first non-zero digit plus the
	 * exponent. */
	long long magnitude = 0;
	int seen = 0;
	size_t j = int_start;
	for (; j < int_start + int_digits; j++) {
		if (!seen && s[j] == '0')
			continue;
		seen = 1;
		magnitude++;
	}
	if (j < n && s[j] == '.') {
		for (j++; j < n && s[j] >= '0' && s[j] <= '9'; j++) {
			if (seen)
				continue;
			if (s[j] == '0')
				magnitude--;
			else
				seen = 1;
		}
	}
	if (!seen)
		return 0; /* zero, whatever the exponent */
	if (j < n && (s[j] == 'e' || s[j] == 'E')) {
		j++;
		int exp_negative = j < n && s[j] == '-';
		if (j < n && (s[j] == '-' || s[j] == '+'))
			j++;
		long long exp = 0;
		for (; j < n && s[j] >= '0' && s[j] <= '9'; j++)
			if (exp < 100000)
				exp = exp * 10 + (s[j] - '0');
		magnitude += exp_negative ? -exp : exp;
	}
	return magnitude > 308;
}

json_t *body_parse(const char *raw, size_t len, struct err *e)
{
	/* A raw NUL byte is never JSON (RFC 8259: inside a string it is written \u0000), and
	 * Jansson silently skips one that follows a number (found by tests/fuzz/fuzz_body.c). */
	if (memchr(raw, '\0', len)) {
		err_set(e, 400, "malformed_json", "the body contains a NUL byte");
		return NULL;
	}
	struct sbuf fixed = {0};
	size_t copied = 0;
	/* The open containers ('{' or '['), and the last character outside strings that is not
	 * white space ('"' for a string): a number right after '{', or after ',' in an object, is
	 * where a key belongs, and must stay there for the parser to refuse. */
	char open[BODY_MAX_DEPTH + 1];
	int depth = 0, in_string = 0;
	char last = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = raw[i];
		if (in_string) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_string = 0;
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
			continue;
		if (ch == '"') {
			in_string = 1;
		} else if (ch == '[' || ch == '{') {
			if (depth == BODY_MAX_DEPTH) {
				err_set(e, 400, "malformed_json",
				        "the JSON is nested more than %d levels deep",
				        BODY_MAX_DEPTH);
				sbuf_free(&fixed);
				return NULL;
			}
			open[depth++] = ch;
		} else if ((ch == ']' || ch == '}') && depth > 0) {
			depth--;
		} else if (ch == '-' || (ch >= '0' && ch <= '9')) {
			size_t k = i + 1;
			while (k < len && (strchr("0123456789.eE+-", raw[k]) != NULL))
				k++;
			int key_place =
			    last == '{' || (last == ',' && depth > 0 && open[depth - 1] == '{');
			if (!key_place && number_out_of_range(raw + i, k - i)) {
				sbuf_append(&fixed, raw + copied, i - copied);
				sbuf_puts(&fixed, "\"" OUT_OF_RANGE_MARKER "\"");
				copied = k;
			}
			i = k - 1;
		}
		last = ch;
	}
	if (copied)
		sbuf_append(&fixed, raw + copied, len - copied);
	if (fixed.oom) {
		sbuf_free(&fixed);
		err_set(e, 500, "internal_error", "internal error");
		return NULL;
	}
	json_error_t je;
	json_t *body = copied ? json_loadb(fixed.data, fixed.len, JSON_REJECT_DUPLICATES, &je)
	                      : json_loadb(raw, len, JSON_REJECT_DUPLICATES, &je);
	sbuf_free(&fixed);
	if (!body) {
		err_set(e, 400, "malformed_json", "malformed JSON at line %d column %d: %s",
		        je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		err_set(e, 400, "malformed_json", "the body must be a JSON object");
		return NULL;
	}
	return body;
}

static int is_out_of_range(const json_t *v)
{
	return json_is_string(v) && json_string_length(v) == OUT_OF_RANGE_LEN &&
	       memcmp(json_string_value(v), OUT_OF_RANGE_VALUE, OUT_OF_RANGE_LEN) == 0;
}

/* 1 when s holds a control character: C0, DEL, C1 (U+0080..U+009F) or the line and paragraph
 * separators U+2028/U+2029, which is what [[:cntrl:]] (the plain_text() CHECK of the database)
 * matches in any locale; the service refuses first, so that a client gets a field error and the
 * server log never sees the failing row. */
int text_has_control(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 1;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return 1;
		if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
			return 1;
	}
	return 0;
}

/* Length in characters of valid UTF-8 (Jansson guarantees valid UTF-8 input). */
static long long utf8_len(const char *s)
{
	long long n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void check_field(struct req *r, const struct field *f, json_t *v)
{
	char msg[160];
	if (json_is_null(v)) {
		if (f->flags & FIELD_NULLABLE)
			return;
		err_field(&r->err, f->name, "invalid_type", "must not be null");
		return;
	}
	if (is_out_of_range(v)) {
		err_field(&r->err, f->name, "invalid_value", "is out of range");
		return;
	}
	switch (f->type) {
	case F_STRING:
	case F_UUID:
	case F_DATE:
	case F_ENUM: {
		if (!json_is_string(v)) {
			err_field(&r->err, f->name, "invalid_type", "must be a string");
			return;
		}
		const char *s = json_string_value(v);
		if (strlen(s) != json_string_length(v)) {
			err_field(&r->err, f->name, "invalid_value", "must not contain NUL");
			return;
		}
		if (f->type == F_UUID && !text_is_uuid(s)) {
			err_field(&r->err, f->name, "invalid_value", "must be an id");
		} else if (f->type == F_DATE && !text_is_date(s)) {
			err_field(&r->err, f->name, "invalid_value", "must be a date YYYY-MM-DD");
		} else if (f->type == F_ENUM) {
			for (const char *const *p = f->values; *p; p++)
				if (strcmp(*p, s) == 0)
					return;
			size_t k = (size_t)snprintf(msg, sizeof msg, "must be one of");
			for (const char *const *p = f->values; *p && k < sizeof msg; p++)
				k += (size_t)snprintf(msg + k, sizeof msg - k, "%s %s",
				                      p == f->values ? "" : ",", *p);
			err_field(&r->err, f->name, "invalid_value", msg);
		} else if (f->type == F_STRING) {
			long long n = utf8_len(s);
			if (text_has_control(s)) {
				err_field(&r->err, f->name, "invalid_value",
				          "must not contain control characters");
			} else if (f->min && n < f->min) {
				snprintf(msg, sizeof msg, "must have at least %lld characters",
				         f->min);
				err_field(&r->err, f->name, "too_short", msg);
			} else if (f->max && n > f->max) {
				snprintf(msg, sizeof msg, "must have at most %lld characters",
				         f->max);
				err_field(&r->err, f->name, "too_long", msg);
			}
		}
		return;
	}
	case F_BOOL:
		if (!json_is_boolean(v))
			err_field(&r->err, f->name, "invalid_type", "must be true or false");
		return;
	case F_INT:
	case F_CENTS:
		/* A real (12.5, 1e2) is never rounded into an integer, least of all money. */
		if (!json_is_integer(v)) {
			err_field(&r->err, f->name, "invalid_type",
			          f->type == F_CENTS ? "must be an integer number of cents"
			                             : "must be an integer");
			return;
		}
		if ((f->min || f->max) &&
		    (json_integer_value(v) < f->min || json_integer_value(v) > f->max)) {
			snprintf(msg, sizeof msg, "must be from %lld to %lld", f->min, f->max);
			err_field(&r->err, f->name, "invalid_value", msg);
		}
		return;
	case F_OBJECT:
		if (!json_is_object(v))
			err_field(&r->err, f->name, "invalid_type", "must be an object");
		return;
	case F_ARRAY:
		if (!json_is_array(v))
			err_field(&r->err, f->name, "invalid_type", "must be an array");
		return;
	}
}

int req_validate(struct req *r, const struct field *fields)
{
	const char *key;
	json_t *v;
	json_object_foreach(r->body, key, v)
	{
		const struct field *f = fields;
		while (f->name && strcmp(f->name, key) != 0)
			f++;
		if (!f->name)
			err_field(&r->err, key, "unknown_field", "is not a field of this request");
		else
			check_field(r, f, v);
	}
	for (const struct field *f = fields; f->name; f++)
		if ((f->flags & FIELD_REQUIRED) && !json_object_get(r->body, f->name))
			err_field(&r->err, f->name, "required", "is required");
	return r->err.status ? -1 : 0;
}

const char *body_str(const struct req *r, const char *name)
{
	return json_string_value(json_object_get(r->body, name));
}

int body_has(const struct req *r, const char *name)
{
	json_t *v = json_object_get(r->body, name);
	return v && !json_is_null(v);
}

void today_amsterdam(char out[11])
{
	/* Central European Time, with summer time from the last Sunday of March to the last Sunday
	 * of October, both at 01:00 UTC (EU rule since 1996). */
	time_t now = time(NULL);
	struct tm u;
	gmtime_r(&now, &u);
	int year = u.tm_year + 1900;
	int last_sunday[2];
	for (int k = 0; k < 2; k++) {
		struct tm t = {
		    .tm_year = year - 1900, .tm_mon = k ? 9 : 2, .tm_mday = 31, .tm_hour = 1};
		time_t x = timegm(&t);
		struct tm back;
		gmtime_r(&x, &back);
		last_sunday[k] = 31 - back.tm_wday;
	}
	struct tm start = {
	    .tm_year = year - 1900, .tm_mon = 2, .tm_mday = last_sunday[0], .tm_hour = 1};
	struct tm end = {
	    .tm_year = year - 1900, .tm_mon = 9, .tm_mday = last_sunday[1], .tm_hour = 1};
	int summer = now >= timegm(&start) && now < timegm(&end);
	time_t local = now + (summer ? 7200 : 3600);
	struct tm l;
	gmtime_r(&local, &l);
	strftime(out, 11, "%Y-%m-%d", &l);
}
