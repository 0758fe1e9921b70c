/* Unit tests of the HTTP core's pure parts: routing, cursors, buffers, configuration. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "http/metrics.h"
#include "http/router.h"
#include "lib/netaddr.h"
#include "lib/sbuf.h"
#include "unit.h"

#define UUID "0b7e0c3a-5d1f-4a55-9d2b-8f5a3c1e2d4f"

static enum route_match match(const char *method, const char *path, struct req *r, char *allow)
{
	memset(r, 0, sizeof *r);
	return router_match(r, method, path, allow, 64);
}

static void test_route_table_is_well_formed(void)
{
	char err[256];
	CHECK_INT(router_init(err, sizeof err), 0);
}

static void test_typed_uuid_parameter_matches_and_is_copied(void)
{
	struct req r;
	char allow[64];
	CHECK_INT(match("GET", "/v1/users/" UUID, &r, allow), MATCH_OK);
	CHECK_STR(r.route->pattern, "/v1/users/{user_id:uuid}");
	CHECK_STR(r.params[0], UUID);
}

static void test_malformed_uuid_is_not_found(void)
{
	struct req r;
	char allow[64];
	CHECK_INT(match("GET", "/v1/users/not-a-uuid", &r, allow), MATCH_NOT_FOUND);
	CHECK_INT(match("GET", "/v1/users/0b7e0c3a5d1f4a559d2b8f5a3c1e2d4f0000", &r, allow),
	          MATCH_NOT_FOUND);
}

static void test_trailing_slash_and_empty_segments_are_not_found(void)
{
	struct req r;
	char allow[64];
	CHECK_INT(match("GET", "/v1/users/", &r, allow), MATCH_NOT_FOUND);
	CHECK_INT(match("GET", "/v1//users", &r, allow), MATCH_NOT_FOUND);
	CHECK_INT(match("GET", "v1/users", &r, allow), MATCH_NOT_FOUND);
	CHECK_INT(match("GET", "/", &r, allow), MATCH_NOT_FOUND);
}

static void test_known_path_with_other_method_lists_allowed_methods(void)
{
	struct req r;
	char allow[64];
	CHECK_INT(match("PUT", "/v1/users", &r, allow), MATCH_BAD_METHOD);
	CHECK_STR(allow, "GET, POST");
	CHECK_INT(match("POST", "/v1/users/" UUID, &r, allow), MATCH_BAD_METHOD);
	CHECK_STR(allow, "GET, PATCH, DELETE");
}

static void test_literal_segment_wins_over_nothing(void)
{
	struct req r;
	char allow[64];
	CHECK_INT(match("GET", "/v1/cooperatives/" UUID "/audit-events/verify", &r, allow),
	          MATCH_OK);
	CHECK_STR(r.route->pattern, "/v1/cooperatives/{coop_id:uuid}/audit-events/verify");
	CHECK_STR(r.params[0], UUID);
}

static void test_cursor_roundtrip(void)
{
	long long values[] = {0, 1, 35, 36, 123456789, 9007199254740991LL};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		char c[32];
		long long back = -1;
		cursor_encode(values[i], c, sizeof c);
		CHECK_INT(cursor_decode(c, &back), 0);
		CHECK_INT(back, values[i]);
	}
}

static void test_cursor_rejects_garbage(void)
{
	long long v;
	CHECK_INT(cursor_decode("", &v), -1);
	CHECK_INT(cursor_decode("c", &v), -1);
	CHECK_INT(cursor_decode("x12", &v), -1);
	CHECK_INT(cursor_decode("c12A", &v), -1);
	CHECK_INT(cursor_decode("c-1", &v), -1);
	CHECK_INT(cursor_decode("czzzzzzzzzzzzzzzz", &v), -1);
	/* beyond int64 (would overflow): refused, not wrapped */
	CHECK_INT(cursor_decode("c1zzzzzzzzzzzz", &v), -1);
	CHECK_INT(cursor_decode("c1y2p0ij32e8e8", &v), -1);
	CHECK_INT(cursor_decode("c1y2p0ij32e8e7", &v), 0);
	CHECK(v == LLONG_MAX);
}

/* The body parser: depth bounded before Jansson recurses, numbers out of range as markers. */
static void test_body_parse_refuses_deep_nesting(void)
{
	struct err e = {0};
	char deep[4096];
	size_t n = 0;
	deep[n++] = '{';
	memcpy(deep + n, "\"a\":", 4);
	n += 4;
	for (int i = 0; i < 1000; i++)
		deep[n++] = '[';
	for (int i = 0; i < 1000; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	CHECK(body_parse(deep, n, &e) == NULL);
	CHECK_INT(e.status, 400);
	CHECK_STR(e.code, "malformed_json");
	err_clear(&e);
	/* brackets inside strings do not count; BODY_MAX_DEPTH levels are fine */
	const char *in_string = "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}";
	json_t *ok = body_parse(in_string, strlen(in_string), &e);
	CHECK(ok != NULL);
	json_decref(ok);
	n = 0;
	for (int i = 0; i < BODY_MAX_DEPTH; i++)
		deep[n++] = '{', memcpy(deep + n, "\"a\":", 4), n += 4;
	deep[n++] = '1';
	for (int i = 0; i < BODY_MAX_DEPTH; i++)
		deep[n++] = '}';
	ok = body_parse(deep, n, &e);
	CHECK(ok != NULL);
	json_decref(ok);
	CHECK_INT(e.status, 0);
}

static void test_body_parse_marks_numbers_out_of_range(void)
{
	struct err e = {0};
	const char *text =
	    "{\"a\":1e400,\"b\":9223372036854775807,\"c\":9223372036854775808,"
	    "\"d\":-9223372036854775808,\"e\":0.0001e-99999,\"f\":2.5,\"g\":\"9e999\"}";
	json_t *o = body_parse(text, strlen(text), &e);
	CHECK(o != NULL);
	CHECK(json_is_string(json_object_get(o, "a")));
	CHECK(json_is_integer(json_object_get(o, "b")));
	CHECK(json_integer_value(json_object_get(o, "b")) == LLONG_MAX);
	CHECK(json_is_string(json_object_get(o, "c")));
	CHECK(json_is_integer(json_object_get(o, "d")));
	CHECK(json_is_real(json_object_get(o, "e")));
	CHECK(json_is_real(json_object_get(o, "f")));
	CHECK_STR(json_string_value(json_object_get(o, "g")), "9e999");
	json_decref(o);
	/* only a JSON number in a value's place is replaced: the rest stays malformed */
	const char *bad[] = {"{1e999:1}", "{\"a\":1,-1e999:2}", "{\"a\":01e999}", "{\"a\":1e999e5}",
	                     "{\"a\":[1e999 1e999]}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(body_parse(bad[i], strlen(bad[i]), &e) == NULL);
		CHECK_INT(e.status, 400);
		err_clear(&e);
	}
	CHECK(body_parse("[1]", 3, &e) == NULL);
	CHECK_INT(e.status, 400);
	err_clear(&e);
	CHECK(body_parse("{\"a\":1,\"a\":2}", 13, &e) == NULL);
	err_clear(&e);
}

static void test_text_has_control(void)
{
	CHECK_INT(text_has_control("Fatima Çağrı 𝕏"), 0);
	CHECK_INT(text_has_control("a\tb"), 1);
	CHECK_INT(text_has_control("a\x7f"), 1);
	CHECK_INT(text_has_control("a\xc2\x85"), 1);     /* U+0085 */
	CHECK_INT(text_has_control("a\xe2\x80\xa8"), 1); /* U+2028 */
	CHECK_INT(text_has_control("\xc2\xa0"), 0);      /* no-break space is text */
}

static void test_netaddr_ranges(void)
{
	struct net_range r[4];
	CHECK_INT(net_range_list_parse("127.0.0.1,10.0.0.0/8,2001:db8::/32", r, 4), 3);
	CHECK_INT(net_addr_in("127.0.0.1", r, 3), 1);
	CHECK_INT(net_addr_in("127.0.0.2", r, 3), 0);
	CHECK_INT(net_addr_in("10.200.1.1", r, 3), 1);
	CHECK_INT(net_addr_in("::ffff:10.1.2.3", r, 3), 1);
	CHECK_INT(net_addr_in("2001:db8:1::5", r, 3), 1);
	CHECK_INT(net_addr_in("2001:db9::5", r, 3), 0);
	CHECK_INT(net_addr_in("not an address", r, 3), 0);
	CHECK_INT(net_range_list_parse("10.0.0.0/33", r, 4), -1);
	CHECK_INT(net_range_list_parse("10.0.0.1,", r, 4), -1);
	CHECK_INT(net_range_list_parse("a,b,c,d,e", r, 4), -1);
	CHECK_INT(net_range_list_parse("", r, 4), 0);
	CHECK_INT(net_range_parse("172.16.0.0/12", &r[0]), 0);
	CHECK_INT(net_addr_in("172.31.255.255", r, 1), 1);
	CHECK_INT(net_addr_in("172.32.0.0", r, 1), 0);
}

static void test_json_escape_escapes_quotes_controls_and_keeps_utf8(void)
{
	struct sbuf b = {0};
	sbuf_json_escape(&b, "a\"b\\c\n\x01é");
	CHECK_STR(b.data, "a\\\"b\\\\c\\n\\u0001é");
	sbuf_free(&b);
}

static void test_metrics_label_value_escapes_backslash_quote_and_newline(void)
{
	struct sbuf b = {0};
	metrics_label_value(&b, "/v1/users/{user_id:uuid}");
	CHECK_STR(b.data, "/v1/users/{user_id:uuid}");
	sbuf_reset(&b);
	metrics_label_value(&b, "a\\b\"c\nd");
	CHECK_STR(b.data, "a\\\\b\\\"c\\nd");
	sbuf_reset(&b);
	metrics_label_value(&b, "");
	CHECK_INT(b.len, 0);
	sbuf_free(&b);
}

static void test_sbuf_printf_grows_past_its_scratch_buffer(void)
{
	struct sbuf b = {0};
	char big[1000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	sbuf_printf(&b, "<%s>", big);
	CHECK_INT(b.len, 1001);
	CHECK(b.data[0] == '<' && b.data[1000] == '>' && b.data[1001] == '\0');
	sbuf_free(&b);
}

static void clear_env(void)
{
	const char *vars[] = {"COOPD_LISTEN",
	                      "DATABASE_URL",
	                      "COOPD_THREADS",
	                      "COOPD_DB_POOL",
	                      "COOPD_BODY_LIMIT",
	                      "COOPD_TOKEN_TTL",
	                      "COOPD_DB_TIMEOUT_MS",
	                      "COOPD_BOOTSTRAP_ADMIN_PASSWORD",
	                      "COOPD_KEEPALIVE_TIMEOUT_MS",
	                      "COOPD_REQUEST_TIMEOUT_MS",
	                      "COOPD_TRUSTED_PROXIES",
	                      "COOPD_METRICS_LISTEN",
	                      NULL};
	for (const char **v = vars; *v; v++)
		unsetenv(*v);
}

static void test_config_defaults(void)
{
	struct config c;
	char err[256];
	clear_env();
	setenv("DATABASE_URL", "postgresql://x@127.0.0.1/db", 1);
	CHECK_INT(config_load(&c, err, sizeof err), 0);
	CHECK_STR(c.listen, "127.0.0.1:8080");
	CHECK_INT(c.threads, 1024);
	CHECK_INT(c.keep_alive_timeout_ms, 10000);
	CHECK_INT(c.request_timeout_ms, 10000);
	CHECK_INT(c.trusted_proxy_count, 0);
	CHECK_INT(c.db_pool, 6);
	CHECK_INT(c.body_limit, 1048576);
	CHECK_INT(c.token_ttl, 3600);
	CHECK_STR(c.jwt_alg, "HS256");
	CHECK_STR(c.metrics_listen, "");
}

static void test_config_metrics_listen_apart_from_the_api(void)
{
	struct config c;
	char err[256];
	clear_env();
	setenv("DATABASE_URL", "postgresql://x@127.0.0.1/db", 1);
	setenv("COOPD_METRICS_LISTEN", "127.0.0.1:9464", 1);
	CHECK_INT(config_load(&c, err, sizeof err), 0);
	CHECK_STR(c.metrics_listen, "127.0.0.1:9464");
	/* The same port on another address of the host is another socket. */
	setenv("COOPD_LISTEN", "10.0.0.5:8080", 1);
	setenv("COOPD_METRICS_LISTEN", "127.0.0.1:8080", 1);
	CHECK_INT(config_load(&c, err, sizeof err), 0);
}

static void expect_refused(const char *var, const char *value)
{
	struct config c;
	char err[256] = "";
	clear_env();
	setenv("DATABASE_URL", "postgresql://x@127.0.0.1/db", 1);
	setenv(var, value, 1);
	CHECK_INT(config_load(&c, err, sizeof err), -1);
	CHECK(strstr(err, var) != NULL);
}

static void test_config_refuses_bad_values_naming_the_variable(void)
{
	expect_refused("COOPD_LISTEN", "8080");
	expect_refused("COOPD_LISTEN", "127.0.0.1:0");
	expect_refused("COOPD_LISTEN", "127.0.0.1:99999");
	expect_refused("COOPD_THREADS", "many");
	expect_refused("COOPD_THREADS", "5000");
	expect_refused("COOPD_KEEPALIVE_TIMEOUT_MS", "0");
	expect_refused("COOPD_REQUEST_TIMEOUT_MS", "x");
	expect_refused("COOPD_TRUSTED_PROXIES", "10.0.0.0/33");
	expect_refused("COOPD_TRUSTED_PROXIES", "proxy.local");
	expect_refused("COOPD_DB_POOL", "0");
	expect_refused("COOPD_BODY_LIMIT", "12x");
	expect_refused("COOPD_TOKEN_TTL", "7200");
	expect_refused("COOPD_BOOTSTRAP_ADMIN_PASSWORD", "short");
	expect_refused("COOPD_LISTEN", "127.0.0.1:8080,127.0.0.1:8081");
	expect_refused("COOPD_METRICS_LISTEN", "9464");
	expect_refused("COOPD_METRICS_LISTEN", "127.0.0.1:9464s");
	expect_refused("COOPD_METRICS_LISTEN", "127.0.0.1:9464,127.0.0.1:9465");
	expect_refused("COOPD_METRICS_LISTEN", "127.0.0.1:8080"); /* COOPD_LISTEN's default */
	expect_refused("COOPD_METRICS_LISTEN", "0.0.0.0:8080");
	expect_refused("COOPD_METRICS_LISTEN", "[::]:8080");
}

static void test_config_requires_database_url(void)
{
	struct config c;
	char err[256] = "";
	clear_env();
	CHECK_INT(config_load(&c, err, sizeof err), -1);
	CHECK(strstr(err, "DATABASE_URL") != NULL);
}

int main(void)
{
	RUN(test_route_table_is_well_formed);
	RUN(test_typed_uuid_parameter_matches_and_is_copied);
	RUN(test_malformed_uuid_is_not_found);
	RUN(test_trailing_slash_and_empty_segments_are_not_found);
	RUN(test_known_path_with_other_method_lists_allowed_methods);
	RUN(test_literal_segment_wins_over_nothing);
	RUN(test_cursor_roundtrip);
	RUN(test_cursor_rejects_garbage);
	RUN(test_body_parse_refuses_deep_nesting);
	RUN(test_body_parse_marks_numbers_out_of_range);
	RUN(test_text_has_control);
	RUN(test_netaddr_ranges);
	RUN(test_json_escape_escapes_quotes_controls_and_keeps_utf8);
	RUN(test_metrics_label_value_escapes_backslash_quote_and_newline);
	RUN(test_sbuf_printf_grows_past_its_scratch_buffer);
	RUN(test_config_defaults);
	RUN(test_config_metrics_listen_apart_from_the_api);
	RUN(test_config_refuses_bad_values_naming_the_variable);
	RUN(test_config_requires_database_url);
	UNIT_END();
}
