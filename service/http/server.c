/* The dispatcher: request id → route → token and role → body → handler (in a transaction when
 * the route writes) → response → access log and metrics. */
#include "server.h"

#include <civetweb.h>
#include <stdatomic.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "auth/token.h"
#include "db/db.h"
#include "idempotency.h"
#include "lib/httphdr.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "router.h"

#define TX_ATTEMPTS 4

/* Requests being handled, and whether the service is draining for a shutdown. */
static atomic_int in_flight;
static atomic_bool draining;

/* Civetweb gives every open connection a worker thread of its own, idle keep-alive connections
 * and clients still sending their headers included. Connections are counted here so that the
 * service can protect the last threads (see admit). */
static atomic_int open_connections;

/* Per connection, from civetweb's init_connection to its connection_close callback. */
struct conn_state {
	unsigned requests;
};

static int on_init_connection(const struct mg_connection *mg, void **data)
{
	(void)mg;
	struct conn_state *cs = calloc(1, sizeof *cs);
	if (cs)
		atomic_fetch_add(&open_connections, 1);
	*data = cs;
	return 0;
}

static void on_connection_close(const struct mg_connection *mg)
{
	struct conn_state *cs = mg_get_user_connection_data(mg);
	if (cs) {
		atomic_fetch_sub(&open_connections, 1);
		free(cs);
	}
}

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void set_request_id(struct req *r)
{
	const char *given = mg_get_header(r->mg, "X-Request-Id");
	if (given) {
		size_t n = strlen(given);
		int ok = n >= 1 && n < sizeof r->request_id;
		for (size_t i = 0; ok && i < n; i++)
			ok = given[i] > 0x20 && given[i] < 0x7f && given[i] != '"' &&
			     given[i] != '\\';
		if (ok) {
			memcpy(r->request_id, given, n + 1);
			return;
		}
	}
	/* A random per-thread prefix and a counter: unique without a CSPRNG call per request. */
	static __thread unsigned long long prefix, counter;
	if (!prefix && RAND_bytes((unsigned char *)&prefix, sizeof prefix) != 1)
		prefix = (unsigned long long)now_us() ^ (unsigned long long)pthread_self();
	static const char hex[] = "0123456789abcdef";
	unsigned long long v[2] = {prefix, ++counter};
	for (int i = 0; i < 32; i++) /* "%016llx%016llx", by hand: every request has one */
		r->request_id[i] = hex[(v[i / 16] >> (60 - 4 * (i % 16))) & 0xf];
	r->request_id[32] = '\0';
}

struct db_conn *req_db(struct req *r)
{
	if (r->db)
		return r->db;
	bool lag_ok = r->route && (r->route->flags & RF_REPLICA) && !r->primary_only;
	r->db = lag_ok ? db_acquire_read(&r->err) : db_acquire(&r->err);
	if (!r->db)
		return NULL;
	/* A replica's transaction only reads: a logged read writes its audit events aside. */
	if (db_conn_replica(r->db))
		r->read_only = true;
	if (r->who.sub[0])
		auth_context_init(&r->ctx, &r->who, r->read_only);
	db_tx_open(r->db, r->read_only, r->who.sub[0] ? &r->ctx.db : NULL);
	return r->db;
}

int req_write_aside(struct req *r, struct stmt *s, int nparams, const char *const *params)
{
	struct db_conn *c = db_acquire(&r->err);
	if (!c)
		return -1;
	struct auth_context ctx;
	auth_context_init(&ctx, &r->who, false);
	db_tx_open(c, false, &ctx.db);
	PGresult *res = db_exec(c, s, nparams, params, &r->err);
	int rc = db_tx_end(c, res != NULL, &r->err) == 0 && res ? 0 : -1;
	PQclear(res);
	db_release(c);
	return rc;
}

/* Ends the request's transaction and gives the connection back. */
static int end_tx(struct req *r, bool commit)
{
	if (!r->db)
		return 0;
	bool replica = db_conn_replica(r->db);
	int rc = db_tx_end(r->db, commit, &r->err);
	db_release(r->db);
	r->db = NULL;
	/* A read replica that went away: the read is tried again on the primary (run_handler). */
	if (replica && r->err.status == 503)
		r->replica_failed = true;
	return rc;
}

int req_commit(struct req *r)
{
	return end_tx(r, true);
}

/* Whether the token is still usable: decided by the context statement, which normally went out
 * with the request's first statement. For a request that ran none it runs now (and for a read
 * also ends the transaction in the same round trip). 0 when the token is usable. */
static int check_revocation(struct req *r)
{
	/* Nothing to protect when the request failed for want of the database or was refused. */
	if (!r->who.sub[0] || r->err.status >= 500 || r->err.status == 401)
		return 0;
	struct err e = {0};
	if (!req_db(r) || db_tx_check(r->db, true, &e) != 0) {
		if (e.status) {
			err_clear(&r->err);
			r->err = e;
		}
		return -1;
	}
	return 0;
}

/* The connection is closed after this response, and the response says so. */
static void close_after(struct req *r)
{
	mg_disable_keep_alive(r->mg);
	r->close = true;
}

/* Reason phrases of the statuses coopd sends (civetweb's table has typos). */
static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 431:
		return "Request Header Fields Too Large";
	case 422:
		return "Unprocessable Content";
	case 429:
		return "Too Many Requests";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	case 504:
		return "Gateway Timeout";
	default:
		return status >= 500 ? "Internal Server Error" : "Error";
	}
}

/* Turns r->err into a problem+json body. */
static void render_problem(struct req *r)
{
	struct err *e = &r->err;
	json_t *p =
	    json_pack("{s:s+, s:s, s:i, s:s, s:s, s:s}", "type",
	              "urn:coopd:problem:", e->code[0] ? e->code : "internal_error", "title",
	              reason(e->status), "status", e->status, "detail", e->detail, "code",
	              e->code[0] ? e->code : "internal_error", "request_id", r->request_id);
	if (e->errors)
		json_object_set(p, "errors", e->errors);
	char *s = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	sbuf_reset(&r->out);
	if (s)
		sbuf_puts(&r->out, s);
	free(s);
	r->status = e->status;
	r->content_type = "application/problem+json";
}

/* The headers a browser may read from a cross-origin response (CORS). */
#define CORS_EXPOSED                                                                               \
	"ETag, Location, API-Version, X-Request-Id, Idempotent-Replayed, Content-Disposition, "    \
	"Retry-After"
#define CORS_ALLOWED_HEADERS "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key"
#define CORS_MAX_AGE         600

/* Status line and headers; Content-Length unless the body is chunked or the status has none.
 * A HEAD answer has the headers of the GET, Content-Length included. A 304 keeps the ETag and
 * the identifying headers, no Content-Type or Content-Length (RFC 9110 §15.4.5). */
static void write_head(struct req *r, struct sbuf *h, const char *allow, int chunked)
{
	sbuf_puts(h, "HTTP/1.1 ");
	sbuf_putu(h, (unsigned)r->status);
	sbuf_puts(h, " ");
	sbuf_puts(h, reason(r->status));
	sbuf_puts(h, "\r\n");
	int bodiless = r->status == 204 || r->status == 304;
	if (r->content_type && !bodiless) {
		sbuf_puts(h, "Content-Type: ");
		sbuf_puts(h, r->content_type);
		sbuf_puts(h, "\r\n");
	}
	if (chunked)
		sbuf_puts(h, "Transfer-Encoding: chunked\r\n");
	else if (r->status == 204)
		sbuf_puts(h, "Content-Length: 0\r\n");
	else if (r->status != 304) {
		sbuf_puts(h, "Content-Length: ");
		sbuf_putu(h, r->out.len);
		sbuf_puts(h, "\r\n");
	}
	/* (by hand, not sbuf_printf: every response has these) */
	sbuf_puts(h, "X-Request-Id: ");
	sbuf_puts(h, r->request_id);
	sbuf_puts(h, "\r\nAPI-Version: ");
	sbuf_puts(h, app.api_version);
	sbuf_puts(h, "\r\nCache-Control: ");
	sbuf_puts(h, r->cache_control ? r->cache_control : "no-store");
	sbuf_puts(h, "\r\n");
	if (r->headers)
		sbuf_puts(h, r->headers);
	if (r->close)
		sbuf_puts(h, "Connection: close\r\n");
	if (r->etag[0]) {
		sbuf_puts(h, "ETag: ");
		sbuf_puts(h, r->etag);
		sbuf_puts(h, "\r\n");
	}
	if (r->location[0])
		sbuf_printf(h, "Location: %s\r\n", r->location);
	const char *file = r->filename[0] ? r->filename : r->csv ? r->csv_name : "";
	if (file[0] && r->status >= 200 && r->status < 300) {
		sbuf_puts(h, "Content-Disposition: ");
		content_disposition(h, file);
		sbuf_puts(h, "\r\n");
	}
	if (r->err.status && r->err.retry_after)
		sbuf_printf(h, "Retry-After: %d\r\n", r->err.retry_after);
	if (r->err.status == 401)
		sbuf_puts(h, "WWW-Authenticate: Bearer\r\n");
	if (allow)
		sbuf_printf(h, "Allow: %s\r\n", allow);
	if (r->replayed)
		sbuf_puts(h, "Idempotent-Replayed: true\r\n");
	int vary_accept = r->route && (r->route->flags & RF_CSV);
	if (vary_accept || r->cors_origin)
		sbuf_printf(h, "Vary: %s%s%s\r\n", vary_accept ? "Accept" : "",
		            vary_accept && r->cors_origin ? ", " : "",
		            r->cors_origin ? "Origin" : "");
	if (r->cors_origin) {
		sbuf_printf(h, "Access-Control-Allow-Origin: %s\r\n", r->cors_origin);
		if (r->preflight && r->status == 204)
			sbuf_printf(h,
			            "Access-Control-Allow-Methods: %s\r\n"
			            "Access-Control-Allow-Headers: " CORS_ALLOWED_HEADERS "\r\n"
			            "Access-Control-Max-Age: %d\r\n",
			            allow ? allow : "", CORS_MAX_AGE);
		else
			sbuf_puts(h, "Access-Control-Expose-Headers: " CORS_EXPOSED "\r\n");
	}
	sbuf_puts(h, "\r\n");
}

/* A small response goes out as head and body in one write: one packet (tcp_nodelay is on). A
 * large one (a page of 200 feed items is ~190 kB) in two, rather than copied behind its head. */
#define ONE_WRITE_MAX 16384
static void send_response(struct req *r, const char *allow)
{
	struct sbuf h = {0};
	size_t body = r->status != 204 && r->status != 304 && !r->head ? r->out.len : 0;
	sbuf_grow(&h, 768 + (body <= ONE_WRITE_MAX ? body : 0)); /* one allocation */
	write_head(r, &h, allow, 0);
	if (body && body <= ONE_WRITE_MAX)
		sbuf_append(&h, r->out.data, body);
	if (!h.oom && mg_write(r->mg, h.data, h.len) > 0 && body > ONE_WRITE_MAX)
		mg_write(r->mg, r->out.data, body);
	sbuf_free(&h);
}

int resp_stream_begin(struct req *r, int status, const char *content_type)
{
	struct sbuf h = {0};
	r->status = status;
	r->content_type = content_type;
	r->streamed = true;
	write_head(r, &h, NULL, 1);
	int rc = !h.oom && mg_write(r->mg, h.data, h.len) > 0 ? 0 : -1;
	sbuf_free(&h);
	sbuf_reset(&r->out);
	return rc;
}

int resp_stream_flush(struct req *r, int force)
{
	if (r->out.oom)
		return -1;
	if (!r->out.len || (!force && r->out.len < 16384))
		return 0;
	if (r->head) {
		/* HEAD: the rows are made as for the GET (same headers), and dropped. */
		sbuf_reset(&r->out);
		return 0;
	}
	int rc = mg_send_chunk(r->mg, r->out.data, (unsigned)r->out.len) > 0 ? 0 : -1;
	sbuf_reset(&r->out);
	return rc;
}

int resp_stream_end(struct req *r)
{
	int rc = resp_stream_flush(r, 1);
	if (!r->head && mg_send_chunk(r->mg, "", 0) < 0)
		rc = -1;
	return rc;
}

/* Verified tokens, per worker thread: a keep-alive client sends the same token again and again,
 * and verifying it costs more than the rest of a simple request. An entry is only made after a
 * full verification and is used only while the token is unexpired; fixed-size storage, so a
 * thread's exit leaves nothing behind. */
#define TOKEN_CACHE_SLOTS 4
#define TOKEN_CACHE_MAX   1024

static __thread struct {
	char token[TOKEN_CACHE_MAX];
	struct principal who;
} token_cache[TOKEN_CACHE_SLOTS];
static __thread unsigned token_cache_next;

static enum token_result verify_cached(const char *token, time_t now, struct principal *who)
{
	size_t n = strlen(token);
	/* (an empty token would match an unused slot: it goes to token_verify, which refuses it) */
	for (int i = 0; n > 0 && n < TOKEN_CACHE_MAX && i < TOKEN_CACHE_SLOTS; i++) {
		if (strcmp(token_cache[i].token, token) != 0)
			continue;
		if (token_cache[i].who.exp + TOKEN_LEEWAY_SECONDS < (long long)now)
			return TOKEN_EXPIRED;
		*who = token_cache[i].who;
		return TOKEN_OK;
	}
	enum token_result tr = token_verify(app.keys, token, now, who);
	if (tr == TOKEN_OK && n < TOKEN_CACHE_MAX) {
		unsigned slot = token_cache_next++ % TOKEN_CACHE_SLOTS;
		memcpy(token_cache[slot].token, token, n + 1);
		token_cache[slot].who = *who;
	}
	return tr;
}

static int authenticate(struct req *r)
{
	const char *h = mg_get_header(r->mg, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
		err_set(&r->err, 401, "unauthorized", "a bearer token is required");
		return -1;
	}
	const char *token = h + 7;
	while (*token == ' ')
		token++;
	enum token_result tr = verify_cached(token, time(NULL), &r->who);
	if (tr != TOKEN_OK) {
		err_set(&r->err, 401, "unauthorized",
		        tr == TOKEN_EXPIRED ? "the token has expired" : "the token is not valid");
		return -1;
	}
	if (!(r->route->roles & R(r->who.role))) {
		err_set(&r->err, 403, "forbidden", "your role may not use this endpoint");
		return -1;
	}
	auth_context_init(&r->ctx, &r->who, r->read_only);
	return 0;
}

/* application/json with optional parameters (charset=utf-8). */
static int is_json_type(const char *ct)
{
	if (!ct)
		return 0;
	size_t n = strlen("application/json");
	if (strncasecmp(ct, "application/json", n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* application/xml or text/xml, with optional parameters (charset=utf-8). */
static int is_xml_type(const char *ct)
{
	static const char *const types[] = {"application/xml", "text/xml"};
	for (size_t i = 0; ct && i < sizeof types / sizeof types[0]; i++) {
		size_t n = strlen(types[i]);
		if (strncasecmp(ct, types[i], n) == 0 &&
		    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
			return 1;
	}
	return 0;
}

/* Reads the body (at most limit bytes) into r->raw_body. 413 above the limit; 408 when
 * the body stops arriving before it is complete (civetweb gives up on a read after a gap of
 * COOPD_REQUEST_TIMEOUT_MS: it bounds the gaps, not the whole body). Either way the connection
 * is then closed, since the unread rest must not be parsed as the next request. */
static int read_raw_body(struct req *r, long long declared, long limit)
{
	if (declared > limit)
		goto too_large;
	size_t cap = declared > 0 ? (size_t)declared : 8192;
	r->raw_body = malloc(cap + 1);
	if (!r->raw_body)
		goto oom;
	int n = 0;
	for (;;) {
		if (r->raw_len == cap) {
			if (cap > (size_t)limit)
				break;
			cap *= 2;
			char *p = realloc(r->raw_body, cap + 1);
			if (!p)
				goto oom;
			r->raw_body = p;
		}
		n = mg_read(r->mg, r->raw_body + r->raw_len, cap - r->raw_len);
		if (n <= 0)
			break;
		r->raw_len += (size_t)n;
	}
	if (r->raw_len > (size_t)limit)
		goto too_large;
	if (n < 0 || (declared > 0 && r->raw_len < (size_t)declared)) {
		close_after(r);
		err_set(&r->err, 408, "request_timeout",
		        "the body stopped arriving before it was complete");
		return -1;
	}
	r->raw_body[r->raw_len] = '\0';
	return 0;
too_large:
	/* Lingering close (RFC 9112 §9.6): closing a socket with unread data makes the kernel
	 * answer with a reset, which can destroy the 413 before the client reads it. A body that
	 * declared at most twice the limit is read and dropped first; a client that declares more
	 * gets the close at once (it could otherwise make us read without end), and so does one
	 * that trickles it past the time a whole request may take. */
	if (declared > limit && declared <= 2LL * limit) {
		int64_t deadline = r->start_us + (int64_t)app.cfg.request_timeout_ms * 1000;
		char sink[16384];
		while (now_us() < deadline && mg_read(r->mg, sink, sizeof sink) > 0)
			;
	}
	close_after(r);
	err_set(&r->err, 413, "payload_too_large", "the body exceeds %ld bytes", limit);
	return -1;
oom:
	err_set(&r->err, 500, "internal_error", "internal error");
	return -1;
}

/* Message framing (RFC 9112 §6.3): Content-Length given twice with different values, or
 * together with Transfer-Encoding, makes the body's end ambiguous (request smuggling through a
 * proxy that reads it the other way). Refused with 400, and the connection closed. */
static int framing_ok(struct req *r)
{
	const char *cl = NULL;
	int te = 0, ok = 1;
	for (int i = 0; i < r->ri->num_headers; i++) {
		const char *name = r->ri->http_headers[i].name,
		           *value = r->ri->http_headers[i].value;
		if (!name || !value)
			continue;
		if (strcasecmp(name, "Transfer-Encoding") == 0) {
			te = 1;
		} else if (strcasecmp(name, "Content-Length") == 0) {
			ok &= !cl || strcmp(cl, value) == 0;
			cl = value;
		}
	}
	if (ok && !(te && cl))
		return 1;
	close_after(r);
	err_set(&r->err, 400, "bad_request",
	        "Content-Length and Transfer-Encoding disagree about where the body ends");
	return 0;
}

/* The body phase. A route that takes no body never parses one: what a client sends there is
 * read (so that the connection stays usable) and dropped. */
static int read_body(struct req *r)
{
	long long declared = r->ri->content_length; /* -1 when not given (chunked) */
	const char *te = mg_get_header(r->mg, "Transfer-Encoding");
	int has_body = declared > 0 || (declared < 0 && te != NULL);
	unsigned takes = r->route->flags & (RF_BODY | RF_BODY_OPTIONAL);
	if (!has_body) {
		if (r->route->flags & RF_BODY) {
			err_set(&r->err, 400, "malformed_json", "a JSON object body is required");
			return -1;
		}
		return 0;
	}
	if (r->route->flags & RF_XML_BODY) {
		/* a document the handler parses itself (a bank statement), with its own limit */
		if (!is_xml_type(mg_get_header(r->mg, "Content-Type"))) {
			err_set(&r->err, 415, "unsupported_media_type",
			        "the body must be application/xml or text/xml");
			return -1;
		}
		return read_raw_body(r, declared, app.cfg.statement_limit);
	}
	if (!takes)
		return read_raw_body(r, declared, app.cfg.body_limit);
	if (!is_json_type(mg_get_header(r->mg, "Content-Type"))) {
		err_set(&r->err, 415, "unsupported_media_type",
		        "the body must be application/json");
		return -1;
	}
	if (read_raw_body(r, declared, app.cfg.body_limit) != 0)
		return -1;
	r->body = body_parse(r->raw_body, r->raw_len, &r->err);
	return r->body ? 0 : -1;
}

/* Undoes a failed try, so that the next one starts from the request as the client sent it:
 * handlers rewrite the parsed body (an address flattened into columns, an IBAN normalized), so
 * a body the route takes is parsed again from the raw text. */
/* A GET that writes no audit event runs read-only (a handler may end the transaction of a logged
 * read and go on read-only: list_logged). */
static bool route_read_only(const struct route *route)
{
	return strcmp(route->method, "GET") == 0 && !(route->flags & RF_LOGGED);
}

static int reset_attempt(struct req *r)
{
	r->read_only = route_read_only(r->route);
	r->primary_only = r->replica_failed;
	err_clear(&r->err);
	sbuf_reset(&r->out);
	r->status = 0;
	r->etag[0] = r->location[0] = r->filename[0] = '\0';
	r->cache_control = r->headers = NULL;
	r->replayed = false;
	free(r->idem_body);
	r->idem_body = NULL;
	json_decref(r->body);
	r->body = NULL;
	if (r->raw_len && (r->route->flags & (RF_BODY | RF_BODY_OPTIONAL))) {
		r->body = body_parse(r->raw_body, r->raw_len, &r->err);
		if (!r->body)
			return -1;
	}
	return 0;
}

/* Whether field error name repeats one about field other, or about a part of it
 * ("address.city" under "address", "lines[0].unit" under "lines"). */
static int same_field(const char *name, const char *other)
{
	size_t n = strlen(other);
	return name && other && strncmp(name, other, n) == 0 &&
	       (name[n] == '\0' || name[n] == '.' || name[n] == '[');
}

/* The body's field table, then the route's own checks (router.h): one 422 with every field
 * error the body has. A check's error on a field the table refused already is left out: it
 * would only repeat the cause. */
static int validate_body(struct req *r)
{
	int table_bad = req_validate(r, r->route->body) != 0;
	if (!r->route->check)
		return table_bad ? -1 : 0;
	size_t before = json_array_size(r->err.errors);
	r->route->check(r);
	json_t *errors = r->err.errors;
	for (size_t i = json_array_size(errors); table_bad && i-- > before;) {
		const char *name =
		    json_string_value(json_object_get(json_array_get(errors, i), "field"));
		for (size_t j = 0; j < before; j++) {
			json_t *e = json_array_get(errors, j);
			if (same_field(name, json_string_value(json_object_get(e, "field")))) {
				json_array_remove(errors, i);
				break;
			}
		}
	}
	return r->err.status ? -1 : 0;
}

/* The handler, on a body of the route's shape (router.h). */
static int handle(struct req *r)
{
	if (r->body && validate_body(r) != 0)
		return -1;
	return r->route->handler(r);
}

/* One request, one transaction. Every request that touches the database runs in one
 * transaction, which req_db opens with the first statement and this phase ends: read-only
 * (REPEATABLE READ) for a GET, READ COMMITTED for a write; the caller's identity set in it and
 * the token checked with its first statement (auth/context.h). Whatever the handler answered,
 * a revoked token gets 401 instead. A write is retried on serialization failure or deadlock,
 * with the Idempotency-Key record written in the same transaction as the change; it commits
 * only when the handler succeeded. A read whose read replica went away (503, nothing sent yet)
 * is tried again on the primary. */
static int run_handler(struct req *r)
{
	struct idem idem;
	int rc = idem_parse(r, &idem);
	if (rc != 0)
		return rc;
	for (int attempt = 1;; attempt++) {
		/* A write always uses the database; its handler may take r->db as given. */
		rc = r->read_only || (r->route->flags & RF_PUBLIC) || req_db(r) ? 0 : -1;
		if (rc == 0)
			rc = idem_claim(r, &idem);
		if (rc == 0 && !r->replayed)
			rc = handle(r);
		if (!r->streamed && check_revocation(r) != 0)
			rc = -1;
		if (rc == 0 && r->status < 300 && !r->replayed)
			rc = idem_store(r, &idem);
		if (end_tx(r, rc == 0 && !r->replayed) != 0)
			rc = -1;
		bool again = db_err_retryable(&r->err) || (r->replica_failed && !r->primary_only);
		if (rc == 0 || r->streamed || !again)
			break;
		if (attempt == TX_ATTEMPTS) {
			err_set(&r->err, 503, "service_unavailable",
			        "the request kept conflicting with others; retry shortly");
			r->err.retry_after = 1;
			break;
		}
		if (reset_attempt(r) != 0)
			break;
		usleep((useconds_t)(1000 * attempt * attempt));
	}
	return rc;
}

/* Whether the client keeps the connection open after this response (RFC 9112 §9.3). */
static int client_keeps_alive(const struct req *r)
{
	const char *h = mg_get_header(r->mg, "Connection");
	if (h)
		return strcasestr(h, "keep-alive") != NULL;
	return strcmp(r->ri->http_version, "1.1") == 0;
}

/* Admission, before anything else is done for a request. Returns 1 to go on, 0 when the request
 * is refused with r->err set (503, Retry-After, the connection closed):
 * - while shutting down, everything;
 * - when the open connections leave fewer than a sixteenth of the worker threads (at least 2)
 *   free, the first request of a new connection: those last threads stay free to answer, so an
 *   overloaded service says 503 instead of going silent;
 * Above half of the threads in use, responses close their connection instead of keeping it
 *   alive, so that idle keep-alive clients cannot hold threads the others need. */
static int admit(struct req *r)
{
	struct conn_state *cs = mg_get_user_connection_data(r->mg);
	unsigned nth = cs ? ++cs->requests : 1;
	int open = atomic_load(&open_connections), threads = app.cfg.threads;
	int reserve = threads / 16 > 2 ? threads / 16 : 2;
	if (atomic_load(&draining)) {
		/* Shutting down: finish what is in flight, take nothing new. */
		err_set(&r->err, 503, "service_unavailable", "the service is shutting down");
	} else if (nth == 1 && open > threads - reserve) {
		err_set(&r->err, 503, "service_unavailable",
		        "the service is at capacity; retry shortly");
	} else {
		if (open > threads / 2 || !client_keeps_alive(r))
			close_after(r);
		return 1;
	}
	r->err.retry_after = 1;
	close_after(r);
	return 0;
}

/* Appends s to the line buf of size cap at *at; what does not fit is cut off. */
static void line_put(char *buf, size_t cap, size_t *at, const char *s)
{
	size_t n = strlen(s);
	if (n > cap - 1 - *at)
		n = cap - 1 - *at;
	memcpy(buf + *at, s, n);
	*at += n;
	buf[*at] = '\0';
}

/* One line per request, formatted by hand: this runs for every request. */
static void access_log(const struct req *r, const char *method, int status, int64_t us)
{
	char line[768], num[24];
	size_t at = 0;
	line_put(line, sizeof line, &at,
	         "\"level\":\"info\",\"msg\":\"request\",\"request_id\":\"");
	line_put(line, sizeof line, &at, r->request_id);
	line_put(line, sizeof line, &at, "\",\"method\":\"");
	line_put(line, sizeof line, &at, method);
	line_put(line, sizeof line, &at, "\",\"route\":\"");
	line_put(line, sizeof line, &at, r->route ? r->route->pattern : "unmatched");
	line_put(line, sizeof line, &at, "\",\"status\":");
	line_put(line, sizeof line, &at, fmt_u(num, (unsigned)status));
	line_put(line, sizeof line, &at, ",\"duration_us\":");
	line_put(line, sizeof line, &at, fmt_u(num, us > 0 ? (unsigned long long)us : 0));
	line_put(line, sizeof line, &at, ",\"user_id\":");
	if (r->who.sub[0]) {
		line_put(line, sizeof line, &at, "\"");
		line_put(line, sizeof line, &at, r->who.sub);
		line_put(line, sizeof line, &at, "\"");
	} else {
		line_put(line, sizeof line, &at, "null");
	}
	log_fields(line);
}

/* With COOPD_METRICS_LISTEN, a second Civetweb context serves /metrics on its own address
 * with a few threads of its own: a scrape is answered even when the API's connections are
 * exhausted, and the API's address answers 404 for /metrics. Its requests pass through
 * dispatch (access log, metrics) without admission control; cbdata is &metrics_listener. */
static struct mg_context *metrics_ctx;
static const char metrics_listener = 'm';
#define METRICS_THREADS "8"

/* Whether a request to path on this listener is outside what the listener serves. */
static bool elsewhere(const char *path, bool on_metrics)
{
	if (!app.cfg.metrics_listen[0])
		return false;
	bool is_metrics = path && strcmp(path, "/metrics") == 0;
	return is_metrics != on_metrics;
}

/* The media types a route answers (router.h), the server's preference first. */
static int route_offers(const struct route *rt, const char *offers[2])
{
	unsigned f = rt->flags;
	offers[0] = f & RF_PDF    ? "application/pdf"
	            : f & RF_XML  ? "application/xml"
	            : f & RF_TEXT ? "text/plain"
	            : f & RF_YAML ? "application/yaml"
	            : f & RF_HTML ? "text/html"
	            : f & RF_JS   ? "text/javascript"
	                          : "application/json";
	offers[1] = "text/csv";
	return f & RF_CSV ? 2 : 1;
}

/* Content negotiation (RFC 9110 §12.5.1): which of its types the route answers with, or 406
 * when the client accepts none of them. Problem documents are sent whatever Accept says. */
static int negotiate(struct req *r)
{
	const char *offers[2];
	int n = route_offers(r->route, offers);
	struct accept_choice c = accept_choose(mg_get_header(r->mg, "Accept"), offers, n);
	if (c.index < 0) {
		err_set(&r->err, 406, "not_acceptable", "this resource is available as %s%s%s",
		        offers[0], n > 1 ? " and " : "", n > 1 ? offers[1] : "");
		return -1;
	}
	r->csv = c.index == 1;
	r->csv_excel = r->csv && c.excel;
	return 0;
}

/* A CSV export's file name: the route's last literal segment, then its path parameters and a
 * ?period= or ?year= filter, joined by '-' ("members-<coop>.csv",
 * "settlements-GM0344-2026-11.csv"). Content-Disposition makes it safe (lib/httphdr.h). */
static void name_csv(struct req *r)
{
	const char *pat = r->route->pattern, *last = pat, *end = pat;
	for (const char *p = pat; *p; p++) {
		if (*p == '/' && p[1] && p[1] != '{') {
			last = p + 1;
			end = last + strcspn(last, "/");
		}
	}
	struct sbuf b = {0};
	sbuf_append(&b, last, (size_t)(end - last));
	for (int i = 0; i < MAX_PATH_PARAMS && r->params[i]; i++)
		sbuf_printf(&b, "-%s", r->params[i]);
	static const char *const filters[] = {"period", "year"};
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		char v[16];
		if (req_query(r, filters[i], v, sizeof v) == 1 && v[0])
			sbuf_printf(&b, "-%s", v);
	}
	sbuf_puts(&b, ".csv");
	if (!b.oom && b.len < sizeof r->csv_name)
		memcpy(r->csv_name, b.data, b.len + 1);
	sbuf_free(&b);
}

/* CORS: the request's Origin when COOPD_CORS_ORIGINS lists it (exact match), else NULL. */
static const char *cors_origin(const struct req *r)
{
	const char *origin = mg_get_header(r->mg, "Origin");
	if (!origin)
		return NULL;
	for (int i = 0; i < app.cfg.cors_origin_count; i++)
		if (strcmp(origin, app.cfg.cors_origins[i]) == 0)
			return app.cfg.cors_origins[i];
	return NULL;
}

/* A 200 with an ETag to a GET or HEAD whose If-None-Match names it becomes 304 (RFC 9110
 * §13.1.2): the client's copy is current. */
static void not_modified(struct req *r)
{
	if (r->status != 200 || !r->etag[0] || r->streamed || strcmp(r->route->method, "GET") != 0)
		return;
	if (!etag_none_match(mg_get_header(r->mg, "If-None-Match"), r->etag))
		return;
	r->status = 304;
	r->content_type = NULL;
	sbuf_reset(&r->out);
}

static int dispatch(struct mg_connection *mg, void *cbdata)
{
	bool on_metrics = cbdata == &metrics_listener;
	atomic_fetch_add(&in_flight, 1);
	struct req r;
	memset(&r, 0, sizeof r);
	r.mg = mg;
	r.ri = mg_get_request_info(mg);
	r.start_us = now_us();
	set_request_id(&r);
	r.cors_origin = cors_origin(&r);

	char allow[80] = "";
	const char *method = r.ri->request_method;
	/* HEAD is the GET of the path without the body (RFC 9110 §9.3.2). */
	r.head = strcmp(method, "HEAD") == 0;
	r.preflight = r.cors_origin && strcmp(method, "OPTIONS") == 0 &&
	              mg_get_header(mg, "Access-Control-Request-Method") != NULL;
	int rc = -1;
	enum route_match m =
	    elsewhere(r.ri->local_uri, on_metrics)
	        ? MATCH_NOT_FOUND
	        : router_match(&r, r.head ? "GET" : method, r.ri->local_uri, allow, sizeof allow);
	if (m == MATCH_BAD_METHOD && strstr(allow, "GET")) {
		size_t used = strlen(allow);
		snprintf(allow + used, sizeof allow - used, ", HEAD");
	}
	if (on_metrics && !client_keeps_alive(&r))
		close_after(&r);
	if ((!on_metrics && !admit(&r)) || !framing_ok(&r))
		m = MATCH_REFUSED;
	switch (m) {
	case MATCH_REFUSED:
		break;
	case MATCH_NOT_FOUND:
		err_set(&r.err, 404, "not_found", "no such resource");
		break;
	case MATCH_BAD_METHOD:
		if (r.preflight) {
			/* The path exists: tell the browser what it may send (no token needed). */
			resp_empty(&r, 204);
			rc = 0;
			break;
		}
		err_set(&r.err, 405, "method_not_allowed", "allowed: %s", allow);
		break;
	case MATCH_OK:
		r.read_only = route_read_only(r.route);
		if (!(r.route->flags & RF_PUBLIC) && authenticate(&r) != 0)
			break;
		if (negotiate(&r) != 0)
			break;
		if (r.csv)
			name_csv(&r);
		if (read_body(&r) != 0)
			break;
		rc = run_handler(&r);
		if (rc == 0)
			not_modified(&r);
		break;
	}
	if (r.streamed) {
		if (rc != 0) {
			/* the response is incomplete: the connection closes without the closing
			 * chunk */
			close_after(&r);
			log_msg("warn", r.request_id, "stream ended early: %s",
			        r.err.code[0] ? r.err.code : "client gone");
		}
	} else if (rc != 0 || !r.status) {
		if (!r.err.status)
			err_set(&r.err, 500, "internal_error", "internal error");
		if (r.err.status >= 500)
			log_msg("error", r.request_id, "request failed: %s",
			        r.err.code[0] ? r.err.code : "internal_error");
		r.etag[0] = r.location[0] = r.filename[0] = '\0';
		r.cache_control = r.headers = NULL;
		render_problem(&r);
	}
	end_tx(&r, false);
	if (!r.streamed)
		send_response(&r, r.err.status == 405 || (r.preflight && r.status == 204) ? allow
		                                                                          : NULL);

	int64_t us = now_us() - r.start_us;
	access_log(&r, method, r.status, us);
	metrics_observe(r.route ? (int)route_index(r.route) : -1, r.status, us);

	int status = r.status;
	err_clear(&r.err);
	json_decref(r.body);
	free(r.raw_body);
	free(r.idem_body);
	sbuf_free(&r.out);
	atomic_fetch_sub(&in_flight, 1);
	return status;
}

/* Civetweb answers some malformed requests itself; give those a problem document too, with
 * X-Request-Id and API-Version like every other answer. (Requests in asterisk-form, OPTIONS *,
 * or in absolute-form naming another host are closed by civetweb without an answer and without
 * calling back: there is nothing to hook.) */
static int http_error(struct mg_connection *mg, int status, const char *errmsg)
{
	(void)errmsg;
	struct req r;
	memset(&r, 0, sizeof r);
	r.mg = mg;
	set_request_id(&r);
	const char *code = "bad_request", *detail = "the request could not be parsed";
	switch (status) {
	case 404:
		code = "not_found";
		break;
	case 411:
		code = "length_required";
		detail = "a body needs a valid Content-Length or chunked Transfer-Encoding";
		break;
	case 413:
		code = "payload_too_large";
		break;
	case 431:
		code = "request_header_fields_too_large";
		detail = "the request line and headers exceed 16384 bytes";
		break;
	case 505:
		code = "http_version_not_supported";
		detail = "only HTTP/1.0 and HTTP/1.1 are served";
		break;
	default:
		break;
	}
	err_set(&r.err, status, code, "%s", detail);
	/* Civetweb closes the connection after its own errors. */
	r.close = true;
	render_problem(&r);
	send_response(&r, NULL);
	err_clear(&r.err);
	sbuf_free(&r.out);
	return 0;
}

static int log_message(const struct mg_connection *conn, const char *message)
{
	(void)conn;
	log_msg("warn", NULL, "http: %s", message);
	return 1;
}

struct mg_context *server_start(char *err, size_t errlen)
{
	char threads[16], keep_alive[16], request_timeout[16];
	snprintf(threads, sizeof threads, "%d", app.cfg.threads);
	snprintf(keep_alive, sizeof keep_alive, "%d", app.cfg.keep_alive_timeout_ms);
	snprintf(request_timeout, sizeof request_timeout, "%d", app.cfg.request_timeout_ms);
	/* No document_root: coopd serves no files (and avoids civetweb's directory code).
	 * max_request_size bounds the request line and headers only; bodies are capped by us.
	 * Civetweb holds one worker thread per open connection, so the thread count is the number
	 * of connections served at once (COOPD_THREADS, 1024 by default: Debian's civetweb gives
	 * each a fixed 100 KiB stack, so that is 100 MiB of address space and a few MiB resident).
	 * request_timeout_ms bounds how long a client may take to send one request, headers and
	 * body (a slow-header client is cut off then); keep_alive_timeout_ms how long an idle
	 * keep-alive connection keeps its thread. admit() guards the last threads.
	 * Civetweb answers CORS preflights itself by default (any origin, before our handler):
	 * the empty access_control_* options switch that off; CORS is ours (COOPD_CORS_ORIGINS). */
	const char *options[] = {"listening_ports",
	                         app.cfg.listen,
	                         "num_threads",
	                         threads,
	                         "enable_keep_alive",
	                         "yes",
	                         "keep_alive_timeout_ms",
	                         keep_alive,
	                         "tcp_nodelay",
	                         "1",
	                         "request_timeout_ms",
	                         request_timeout,
	                         "max_request_size",
	                         "16384",
	                         "listen_backlog",
	                         "1024",
	                         "decode_url",
	                         "yes",
	                         "access_control_allow_origin",
	                         "",
	                         "access_control_allow_methods",
	                         "",
	                         "access_control_allow_headers",
	                         "",
	                         NULL};
	struct mg_callbacks cb;
	memset(&cb, 0, sizeof cb);
	cb.log_message = log_message;
	cb.http_error = http_error;
	cb.init_connection = on_init_connection;
	cb.connection_close = on_connection_close;
	struct mg_init_data init = {
	    .callbacks = &cb, .user_data = NULL, .configuration_options = options};
	struct mg_error_data ed;
	char msg[256] = "";
	memset(&ed, 0, sizeof ed);
	ed.text = msg;
	ed.text_buffer_size = sizeof msg;
	struct mg_context *ctx = mg_start2(&init, &ed);
	if (!ctx) {
		snprintf(err, errlen, "cannot start the HTTP server on %s: %s", app.cfg.listen,
		         msg);
		return NULL;
	}
	mg_set_request_handler(ctx, "/", dispatch, NULL);
	if (!app.cfg.metrics_listen[0])
		return ctx;

	/* The metrics listener: the same options but its own address and thread count, and no
	 * connection callbacks (its connections are not the API's, see admit). */
	options[1] = app.cfg.metrics_listen;
	options[3] = METRICS_THREADS;
	cb.init_connection = NULL;
	cb.connection_close = NULL;
	memset(&ed, 0, sizeof ed);
	msg[0] = '\0';
	ed.text = msg;
	ed.text_buffer_size = sizeof msg;
	metrics_ctx = mg_start2(&init, &ed);
	if (!metrics_ctx) {
		snprintf(err, errlen, "cannot start the metrics listener on %s: %s",
		         app.cfg.metrics_listen, msg);
		mg_stop(ctx);
		return NULL;
	}
	mg_set_request_handler(metrics_ctx, "/", dispatch, (void *)&metrics_listener);
	return ctx;
}

void server_stop(struct mg_context *ctx, int grace_seconds)
{
	/* Civetweb drops output once mg_stop has begun: let in-flight requests finish first. */
	atomic_store(&draining, true);
	for (int waited = 0; atomic_load(&in_flight) > 0 && waited < grace_seconds * 100; waited++)
		usleep(10000);
	mg_stop(ctx);
	if (metrics_ctx) /* last: scrapes are answered while the API drains */
		mg_stop(metrics_ctx);
	metrics_ctx = NULL;
}
