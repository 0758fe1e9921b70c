/* Reading requests: headers, query parameters, pagination, If-Match and strict body
 * validation. Civetweb's strings are borrowed for the duration of the callback only. */
#include <civetweb.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"

void err_set(struct err *e, int status, const char *code, const char *fmt, ...)
{
	e->status = status;
	e->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof e->detail, fmt, ap);
	va_end(ap);
}

void err_field(struct err *e, const char *field, const char *code, const char *message)
{
	/* The top-level code is invalid_reference while every field error is one (SPEC §9),
	 * validation_failed as soon as another kind joins. */
	int reference = strcmp(code, "invalid_reference") == 0;
	if (!e->status) {
		e->status = 422;
		e->code = reference ? "invalid_reference" : "validation_failed";
		snprintf(e->detail, sizeof e->detail, "the request has invalid fields");
	} else if (!reference && e->code && strcmp(e->code, "invalid_reference") == 0) {
		e->code = "validation_failed";
	}
	if (!e->errors)
		e->errors = json_array();
	json_array_append_new(e->errors, json_pack("{s:s, s:s, s:s}", "field", field, "code", code,
	                                           "message", message));
}

void err_clear(struct err *e)
{
	json_decref(e->errors);
	memset(e, 0, sizeof *e);
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
	if (n < 0)
		return -1;
	return 1;
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
		char *end;
		errno = 0;
		long v = strtol(buf, &end, 10);
		if (errno || *end || end == buf || v < 1 || v > 200)
			goto bad_limit;
		*limit = (int)v;
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

int text_is_date(const char *s)
{
	/* YYYY-MM-DD, a real day of a year from 1900 */
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return 0;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1900 || m < 1 || m > 12 || d < 1)
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= days[m - 1] + (m == 2 && leap);
}

int text_is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
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
			if (f->min && n < f->min) {
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
