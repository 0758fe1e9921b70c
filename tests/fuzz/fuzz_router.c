/* Fuzz target: the route matcher and the query helpers.
 *
 * Input: "METHOD /path?query". The text before the first space is the method, the rest up to
 * the first '?' the path, the rest the query string (NULL without '?'), which reaches req_page
 * and req_query through a fake civetweb request (they only read ri->query_string).
 *
 * Invariants (abort on violation):
 * - MATCH_OK: the route is a row of the table with this method, and substituting the captured
 *   parameters into its pattern gives back the path exactly;
 * - MATCH_BAD_METHOD: allow is a non-empty, NUL-terminated list that does not name the method;
 * - cursor_decode: whatever position it decodes, cursor_encode of it decodes to the same;
 * - req_page: 0 with limit 1..200 and after >= 0, or -1 with a 400;
 * - req_query: 1 (value shorter than the buffer), 0 or -1. */
#include <civetweb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/router.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char err[256];
	if (router_init(err, sizeof err) != 0) {
		fprintf(stderr, "router_init: %s\n", err);
		abort();
	}
	return 0;
}

static void check_cursor(const char *s)
{
	long long pos = -1;
	if (cursor_decode(s, &pos) != 0)
		return;
	FUZZ_ASSERT(pos >= 0);
	char enc[32];
	cursor_encode(pos, enc, sizeof enc);
	long long back = -1;
	FUZZ_ASSERT(cursor_decode(enc, &back) == 0);
	FUZZ_ASSERT(back == pos);
}

/* The pattern with its {name:type} segments replaced by the captured parameters. */
static void check_match(const struct req *r, const char *method, const char *path)
{
	FUZZ_ASSERT(r->route != NULL);
	size_t i = route_index(r->route);
	FUZZ_ASSERT(i < route_count && &routes[i] == r->route);
	FUZZ_ASSERT(strcmp(r->route->method, method) == 0);

	char rebuilt[1024];
	size_t n = 0;
	int k = 0;
	for (const char *p = r->route->pattern; *p;) {
		if (*p == '{') {
			FUZZ_ASSERT(k < MAX_PATH_PARAMS && r->params[k]);
			size_t l = strlen(r->params[k]);
			FUZZ_ASSERT(l > 0 && n + l < sizeof rebuilt);
			memcpy(rebuilt + n, r->params[k++], l);
			n += l;
			p = strchr(p, '}');
			FUZZ_ASSERT(p);
			p++;
		} else {
			FUZZ_ASSERT(n + 1 < sizeof rebuilt);
			rebuilt[n++] = *p++;
		}
	}
	rebuilt[n] = '\0';
	FUZZ_ASSERT(strcmp(rebuilt, path) == 0);
}

static void check_allow(const char *allow, size_t size, const char *method)
{
	FUZZ_ASSERT(memchr(allow, '\0', size) != NULL);
	FUZZ_ASSERT(allow[0] != '\0');
	/* "GET, POST": no entry equals the method that did not match. */
	char copy[64];
	memcpy(copy, allow, sizeof copy);
	char *save = NULL;
	for (char *m = strtok_r(copy, ", ", &save); m; m = strtok_r(NULL, ", ", &save))
		FUZZ_ASSERT(strcmp(m, method) != 0);
}

static void check_query(const char *query)
{
	struct mg_request_info ri;
	memset(&ri, 0, sizeof ri);
	ri.query_string = query;
	struct req r;
	memset(&r, 0, sizeof r);
	r.ri = &ri;

	int limit = -1;
	long long after = -1;
	if (req_page(&r, &limit, &after) == 0) {
		FUZZ_ASSERT(r.err.status == 0);
		FUZZ_ASSERT(limit >= 1 && limit <= 200);
		FUZZ_ASSERT(after >= 0);
		char c[32];
		if (req_query(&r, "after", c, sizeof c) == 1)
			check_cursor(c);
	} else {
		FUZZ_ASSERT(r.err.status == 400);
	}
	err_clear(&r.err);

	static const char *const names[] = {"limit", "after", "status", "member_id", "q"};
	static const size_t sizes[] = {1, 2, 8, 64};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++) {
			char *out = malloc(sizes[j]); /* exact size: ASan sees any overrun */
			FUZZ_ASSERT(out);
			int got = req_query(&r, names[i], out, sizes[j]);
			FUZZ_ASSERT(got >= -1 && got <= 1);
			if (got == 1)
				FUZZ_ASSERT(strnlen(out, sizes[j]) < sizes[j]);
			free(out);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	FUZZ_ASSERT(text);
	memcpy(text, data, size);
	text[size] = '\0';

	char *method = text;
	char *path = strchr(text, ' ');
	if (path)
		*path++ = '\0';
	else
		path = text + strlen(text); /* "" */
	char *query = strchr(path, '?');
	if (query)
		*query++ = '\0';

	struct req r;
	memset(&r, 0, sizeof r);
	char allow[64];
	enum route_match m = router_match(&r, method, path, allow, sizeof allow);
	/* The matcher answers one of three; refusing (draining) is the server's decision. */
	FUZZ_ASSERT(m == MATCH_OK || m == MATCH_NOT_FOUND || m == MATCH_BAD_METHOD);
	if (m == MATCH_OK)
		check_match(&r, method, path);
	else if (m == MATCH_BAD_METHOD)
		check_allow(allow, sizeof allow, method);

	check_query(query);
	check_cursor(method);
	check_cursor(path);
	if (query)
		check_cursor(query);
	free(text);
	return 0;
}
