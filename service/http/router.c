#include "router.h"

#include "lib/ids.h"
#include "lib/parse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEGMENTS 10

enum seg_type { SEG_LITERAL, SEG_UUID, SEG_MUNICIPALITY, SEG_PERIOD, SEG_QUARTER, SEG_YEAR };

static const struct {
	const char *name;
	enum seg_type type;
} seg_types[] = {
    {"uuid", SEG_UUID},     {"municipality", SEG_MUNICIPALITY},
    {"period", SEG_PERIOD}, {"quarter", SEG_QUARTER},
    {"year", SEG_YEAR},
};

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Whether the path segment [s, s + n) is a value of type t. UUIDs, municipality codes and
 * months are checked by lib/'s one parser of each; quarters and years are parsed only here. */
static int fits(enum seg_type t, const char *s, size_t n)
{
	switch (t) {
	case SEG_UUID:
		return uuid_valid(s, n, 0);
	case SEG_MUNICIPALITY:
		return municipality_code_valid_n(s, n);
	case SEG_PERIOD:
		return parse_month(s, n, NULL) == 0;
	case SEG_QUARTER:
		return n == 7 && all_digits(s, 4) && s[4] == '-' && s[5] == 'Q' && s[6] >= '1' &&
		       s[6] <= '4';
	case SEG_YEAR:
		return n == 4 && all_digits(s, 4) && s[0] != '0';
	case SEG_LITERAL:
		break;
	}
	return 0;
}

/* The route table compiled once (router_init): every pattern split into its segments, each a
 * literal or a parameter's type. A request's path is split once and compared segment by segment;
 * routes with another number of segments are passed over with one comparison. */
struct cseg {
	const char *s; /* a literal: the pattern's text; a parameter: its "{name:type}" */
	size_t n;
	enum seg_type type;
};
static struct {
	int n;
	struct cseg seg[MAX_SEGMENTS];
} * compiled;

/* Splits "/a/b/c" into segments; returns the count or -1 when there are too many or one is
 * empty (a trailing slash or "//" matches nothing). */
static int split(const char *path, const char *seg[], size_t len[])
{
	if (path[0] != '/')
		return -1;
	int n = 0;
	const char *s = path + 1;
	for (;;) {
		const char *e = strchr(s, '/');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (l == 0 || n == MAX_SEGMENTS)
			return -1;
		seg[n] = s;
		len[n++] = l;
		if (!e)
			return n;
		s = e + 1;
	}
}

static int match_one(size_t ri, const char *seg[], const size_t len[], int n, struct req *r)
{
	if (compiled[ri].n != n)
		return 0;
	const struct cseg *p = compiled[ri].seg;
	for (int i = 0; i < n; i++) {
		if (p[i].type == SEG_LITERAL
		        ? p[i].n != len[i] || memcmp(p[i].s, seg[i], len[i]) != 0
		        : !fits(p[i].type, seg[i], len[i]))
			return 0;
	}
	if (!r)
		return 1;
	/* Copy the parameters out; they are short and typed, so param_buf always suffices. */
	size_t used = 0;
	int k = 0;
	for (int i = 0; i < n && k < MAX_PATH_PARAMS; i++) {
		if (p[i].type == SEG_LITERAL)
			continue;
		if (used + len[i] + 1 > sizeof r->param_buf)
			return 0;
		memcpy(r->param_buf + used, seg[i], len[i]);
		r->param_buf[used + len[i]] = '\0';
		r->params[k++] = r->param_buf + used;
		used += len[i] + 1;
	}
	return 1;
}

enum route_match router_match(struct req *r, const char *method, const char *path, char *allow,
                              size_t allowlen)
{
	const char *seg[MAX_SEGMENTS];
	size_t len[MAX_SEGMENTS];
	int n = split(path, seg, len);
	if (n < 0)
		return MATCH_NOT_FOUND;

	int path_matched = 0;
	allow[0] = '\0';
	for (size_t i = 0; i < route_count; i++) {
		const struct route *rt = &routes[i];
		if (compiled[i].n != n)
			continue;
		if (strcmp(rt->method, method) == 0) {
			if (match_one(i, seg, len, n, r)) {
				r->route = rt;
				return MATCH_OK;
			}
			continue;
		}
		if (match_one(i, seg, len, n, NULL)) {
			size_t used = strlen(allow);
			if (!strstr(allow, rt->method))
				snprintf(allow + used, allowlen - used, "%s%s", used ? ", " : "",
				         rt->method);
			path_matched = 1;
		}
	}
	return path_matched ? MATCH_BAD_METHOD : MATCH_NOT_FOUND;
}

size_t route_index(const struct route *rt)
{
	return (size_t)(rt - routes);
}

int router_init(char *err, size_t errlen)
{
	if (!compiled)
		compiled = calloc(route_count, sizeof *compiled);
	if (!compiled) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < route_count; i++) {
		const struct route *rt = &routes[i];
		const char *seg[MAX_SEGMENTS];
		size_t len[MAX_SEGMENTS];
		int n = split(rt->pattern, seg, len);
		if (n < 0) {
			snprintf(err, errlen, "route %s %s: bad pattern", rt->method, rt->pattern);
			return -1;
		}
		int params = 0;
		compiled[i].n = n;
		for (int k = 0; k < n; k++) {
			compiled[i].seg[k] = (struct cseg){seg[k], len[k], SEG_LITERAL};
			if (seg[k][0] != '{')
				continue;
			int ok = 0;
			const char *colon = memchr(seg[k], ':', len[k]);
			if (colon && seg[k][len[k] - 1] == '}') {
				size_t tn = (size_t)(seg[k] + len[k] - 1 - (colon + 1));
				for (size_t t = 0; t < sizeof seg_types / sizeof seg_types[0]; t++)
					if (strlen(seg_types[t].name) == tn &&
					    memcmp(seg_types[t].name, colon + 1, tn) == 0) {
						compiled[i].seg[k].type = seg_types[t].type;
						ok = 1;
					}
			}
			if (!ok || ++params > MAX_PATH_PARAMS) {
				snprintf(err, errlen, "route %s %s: bad parameter", rt->method,
				         rt->pattern);
				return -1;
			}
		}
		if (!(rt->flags & RF_PUBLIC) && rt->roles == 0) {
			snprintf(err, errlen, "route %s %s: no roles", rt->method, rt->pattern);
			return -1;
		}
		if (rt->check && !rt->body) {
			snprintf(err, errlen, "route %s %s: a body check without a body",
			         rt->method, rt->pattern);
			return -1;
		}
		if (!(rt->flags & (RF_BODY | RF_BODY_OPTIONAL)) != !rt->body) {
			snprintf(err, errlen,
			         "route %s %s: a body needs its fields, and fields a body",
			         rt->method, rt->pattern);
			return -1;
		}
	}
	return 0;
}
