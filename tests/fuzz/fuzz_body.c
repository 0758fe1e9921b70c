/* Fuzz target: the request body parser (body_parse) and the field validation of the handlers
 * (req_validate, validate_items, validate_nested, flatten_address, check_identifiers).
 *
 * The field tables are the service's own: the body of every route of the table (routes.c) and
 * the nested parts (invoice lines, statutes, board, address), so a table added with a route is
 * fuzzed without an edit here.
 *
 * Invariants (abort on violation):
 * - body_parse returns NULL iff e.status != 0; then e.status is 400 (or 500 out of memory);
 *   on success the result is an object;
 * - body_parse accepts exactly the JSON objects (at most BODY_MAX_DEPTH deep) that Jansson
 *   accepts once every number out of range is replaced by 0: the out-of-range rewrite never
 *   refuses a body whose only fault is a number out of range, nor turns malformed JSON into
 *   JSON;
 * - req_validate returns -1 iff r.err.status != 0, and then 422 with a non-empty errors[] of
 *   {field, code, message} strings; a body it accepts satisfies every rule of the table.
 * flatten_address runs as for a required address when the body has a key "required". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/body.h"
#include "domain/cooperatives.h"
#include "domain/invoices.h"
#include "http/http.h"
#include "http/router.h"
#include "fuzz.h"

/* Length in code points of valid UTF-8, counted independently of request.c. */
static long long code_points(const char *s)
{
	long long n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* Every field error is an object of three strings, and there is at least one. */
static void check_errors(const struct err *e)
{
	FUZZ_ASSERT(e->status == 422);
	FUZZ_ASSERT(json_is_array(e->errors) && json_array_size(e->errors) > 0);
	size_t i;
	json_t *fe;
	json_array_foreach(e->errors, i, fe)
	{
		FUZZ_ASSERT(json_is_string(json_object_get(fe, "field")));
		FUZZ_ASSERT(json_is_string(json_object_get(fe, "code")));
		FUZZ_ASSERT(json_is_string(json_object_get(fe, "message")));
	}
}

/* An accepted object satisfies every rule of its table: the oracle, written from http.h. */
static void check_accepted(json_t *obj, const struct field *fields)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		const struct field *f = fields;
		while (f->name && strcmp(f->name, key) != 0)
			f++;
		FUZZ_ASSERT(f->name != NULL); /* no unknown field */
		if (json_is_null(v)) {
			FUZZ_ASSERT(f->flags & FIELD_NULLABLE);
			continue;
		}
		const char *s = json_string_value(v);
		switch (f->type) {
		case F_STRING:
			FUZZ_ASSERT(s && strlen(s) == json_string_length(v));
			FUZZ_ASSERT(!f->min || code_points(s) >= f->min);
			FUZZ_ASSERT(!f->max || code_points(s) <= f->max);
			break;
		case F_UUID:
			FUZZ_ASSERT(s && text_is_uuid(s));
			break;
		case F_DATE:
			FUZZ_ASSERT(s && text_is_date(s));
			break;
		case F_ENUM: {
			FUZZ_ASSERT(s);
			const char *const *p = f->values;
			while (*p && strcmp(*p, s) != 0)
				p++;
			FUZZ_ASSERT(*p != NULL);
			break;
		}
		case F_BOOL:
			FUZZ_ASSERT(json_is_boolean(v));
			break;
		case F_INT:
		case F_CENTS:
			FUZZ_ASSERT(json_is_integer(v)); /* never a real, least of all in money */
			FUZZ_ASSERT((!f->min && !f->max) || (json_integer_value(v) >= f->min &&
			                                     json_integer_value(v) <= f->max));
			break;
		case F_OBJECT:
			FUZZ_ASSERT(json_is_object(v));
			break;
		case F_ARRAY:
			FUZZ_ASSERT(json_is_array(v));
			break;
		}
	}
	for (const struct field *f = fields; f->name; f++)
		FUZZ_ASSERT(!(f->flags & FIELD_REQUIRED) || json_object_get(obj, f->name));
}

/* req_validate on body against fields, with the invariants; the request is left clean. */
static void validate(json_t *body, const struct field *fields)
{
	struct req r;
	memset(&r, 0, sizeof r);
	r.body = body;
	int rc = req_validate(&r, fields);
	FUZZ_ASSERT((rc != 0) == (r.err.status != 0));
	if (rc != 0)
		check_errors(&r.err);
	else
		check_accepted(body, fields);
	err_clear(&r.err);
}

/* The steps of a handler with nested parts, on a copy of the body (flatten_address and
 * check_identifiers rewrite it). */
static void handler_steps(json_t *body)
{
	struct req r;
	memset(&r, 0, sizeof r);
	r.body = json_deep_copy(body);
	FUZZ_ASSERT(r.body);

	if (validate_items(&r, "lines", invoice_line_fields) != 0)
		check_errors(&r.err);
	validate_items(&r, "statutes", cooperative_statute_fields);
	validate_items(&r, "board", cooperative_board_fields);
	json_t *addr = json_object_get(r.body, "address");
	if (json_is_object(addr)) {
		int rc = validate_nested(&r, addr, "address", address_fields);
		FUZZ_ASSERT(rc == 0 || r.err.status == 422);
		if (rc == 0)
			check_accepted(addr, address_fields);
	}
	if (r.err.status)
		check_errors(&r.err);
	err_clear(&r.err);

	flatten_address(&r, json_object_get(r.body, "required") != NULL);
	check_identifiers(&r);
	if (r.err.status)
		check_errors(&r.err);
	err_clear(&r.err);
	json_decref(r.body);
}

static int number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

/* s[0..n) is one JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int json_number(const char *s, size_t n)
{
	size_t i = 0, d;
	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0') {
		i++;
	} else {
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

/* Nesting depth as body_parse counts it: an object or array is one level more than its
 * deepest member. */
static int depth_of(const json_t *v)
{
	int d = 0;
	if (json_is_object(v)) {
		const char *k;
		json_t *m;
		json_object_foreach((json_t *)v, k, m)
		{
			int md = depth_of(m);
			d = md > d ? md : d;
		}
		return d + 1;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *m;
		json_array_foreach(v, i, m)
		{
			int md = depth_of(m);
			d = md > d ? md : d;
		}
		return d + 1;
	}
	return 0;
}

/* The reference: Jansson on the text with every number it finds out of range overwritten by
 * " 0" (padded with spaces). Returns the parsed value, or NULL when the text is malformed for
 * another reason (*known = 1) or when that could not be decided (*known = 0). */
static json_t *reference_parse(const char *data, size_t size, int *known)
{
	/* A NUL byte is never JSON; Jansson would skip one right after a number. */
	if (memchr(data, 0, size)) {
		*known = 1;
		return NULL;
	}
	char *text = malloc(size ? size : 1);
	FUZZ_ASSERT(text);
	memcpy(text, data, size);
	json_t *v = NULL;
	*known = 0;
	for (int round = 0; round < 64; round++) {
		json_error_t je;
		v = json_loadb(text, size, JSON_REJECT_DUPLICATES, &je);
		if (v || json_error_code(&je) != json_error_numeric_overflow) {
			*known = 1;
			break;
		}
		/* je.position is the offset just after the number Jansson refused; the number is
		 * the longest text before it that is a JSON number ("1-99..." is two tokens). */
		size_t end =
		    je.position > 0 && (size_t)je.position <= size ? (size_t)je.position : 0;
		size_t start = end;
		for (size_t k = end; k > 0 && number_char(text[k - 1]); k--)
			if (json_number(text + k - 1, end - k + 1))
				start = k - 1;
		if (end - start < 3)
			break; /* no number out of range is that short */
		/* " 0  ": a space first, or "1-99..." would become "10  ". */
		memset(text + start, ' ', end - start);
		text[start + 1] = '0';
	}
	free(text);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e;
	memset(&e, 0, sizeof e);
	json_t *body = body_parse((const char *)data, size, &e);
	FUZZ_ASSERT((body == NULL) == (e.status != 0));

	/* body_parse accepts exactly the JSON objects at most BODY_MAX_DEPTH deep that Jansson
	 * accepts once the numbers out of range are replaced (those become field errors). */
	int known;
	json_t *ref = reference_parse((const char *)data, size, &known);
	if (known) {
		int want = ref && json_is_object(ref) && depth_of(ref) <= BODY_MAX_DEPTH;
		if (want && !body) {
			fprintf(stderr,
			        "body_parse refused a JSON object whose only fault (if any) is a "
			        "number out of range: %s\n",
			        e.detail);
			FUZZ_ASSERT(!"body_parse refused a valid body");
		}
		/* A run of number characters that is no JSON number (01e999, 1e999e5) must stay
		 * malformed, not become the out-of-range marker (found by this target). */
		if (!want && body) {
			fprintf(stderr,
			        "body_parse accepted text that is not JSON (for another reason "
			        "than a number out of range)\n");
			FUZZ_ASSERT(!"body_parse accepted malformed JSON");
		}
	}
	json_decref(ref);

	if (!body) {
		FUZZ_ASSERT(e.status == 400 || e.status == 500);
		FUZZ_ASSERT(e.code[0] && e.detail[0]);
		err_clear(&e);
		return 0;
	}
	FUZZ_ASSERT(json_is_object(body));

	for (size_t i = 0; i < route_count; i++)
		if (routes[i].body)
			validate(body, routes[i].body);
	validate(body, invoice_line_fields);
	validate(body, cooperative_statute_fields);
	validate(body, cooperative_board_fields);
	validate(body, address_fields);
	handler_steps(body);
	json_decref(body);
	return 0;
}
