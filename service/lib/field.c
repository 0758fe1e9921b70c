/* Reading the members of one JSON object (see field.h). */
#include "field.h"

#include "parse.h"

#include <string.h>

/* The number of code points of UTF-8 text (the bytes that do not continue a sequence). */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static int blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

/* The text member key of o, NULL when absent, null or blank; an error when it is of another
 * type or longer than max characters. where names o in messages. */
int field_opt_text(struct errbuf *e, const json_t *o, const char *where, const char *key,
                   size_t max, const char **out)
{
	const json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return errbuf_set(e, "%s.%s: not a string", where, key);
	if (utf8_chars(json_string_value(v)) > max)
		return errbuf_set(e, "%s.%s: longer than %zu characters", where, key, max);
	if (!blank(json_string_value(v)))
		*out = json_string_value(v);
	return 0;
}

int field_req_text(struct errbuf *e, const json_t *o, const char *where, const char *key,
                   size_t max, const char **out)
{
	if (field_opt_text(e, o, where, key, max, out) != 0)
		return -1;
	return *out ? 0 : errbuf_set(e, "%s.%s: missing", where, key);
}

/* An optional date; *days (when given) is set only when it is there. */
int field_opt_date(struct errbuf *e, const json_t *o, const char *where, const char *key,
                   const char **out, int64_t *days)
{
	if (field_opt_text(e, o, where, key, FIELD_CODE_MAX, out) != 0)
		return -1;
	if (*out && parse_date(*out, days) != 0)
		return errbuf_set(e, "%s.%s: not a date (YYYY-MM-DD)", where, key);
	return 0;
}

/* A JSON integer (money, rates) with |value| <= limit. */
int field_req_int(struct errbuf *e, const json_t *o, const char *where, const char *key,
                  int64_t limit, int64_t *out)
{
	const json_t *v = json_object_get(o, key);
	if (!v)
		return errbuf_set(e, "%s.%s: missing", where, key);
	if (!json_is_integer(v))
		return errbuf_set(e, "%s.%s: not an integer", where, key);
	json_int_t i = json_integer_value(v);
	if (i > limit || i < -limit)
		return errbuf_set(e, "%s.%s: out of range", where, key);
	*out = (int64_t)i;
	return 0;
}

/* The index of s in names[n], or -1. */
int field_lookup(const char *s, const char *const *names, int n)
{
	for (int i = 0; s && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int field_bool(struct errbuf *e, const json_t *o, const char *where, const char *key, int optional,
               int *out)
{
	const json_t *v = json_object_get(o, key);
	if (!v)
		return optional ? 0 : errbuf_set(e, "%s.%s: missing", where, key);
	if (!json_is_boolean(v))
		return errbuf_set(e, "%s.%s: not true or false", where, key);
	*out = json_is_true(v);
	return 0;
}
