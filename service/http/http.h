/* The request/response model shared by the HTTP layer and the domain handlers.
 *
 * A request passes through fixed phases (server.c): route match → token and role check →
 * bounded body read → strict JSON parse → handler → response → access log. A handler returns 0
 * after setting a response with resp_*(), or -1 after filling r->err; it never talks to
 * civetweb. Memory that belongs to the request is released with it (req_cleanup). */
#ifndef COOPD_HTTP_H
#define COOPD_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/principal.h"
#include "auth/context.h"
#include "err.h"
#include "lib/parse.h"
#include "lib/sbuf.h"

struct mg_connection;
struct mg_request_info;
struct db_conn;
struct route;

#define MAX_PATH_PARAMS 4

struct req {
	struct mg_connection *mg;
	const struct mg_request_info *ri;
	const struct route *route;
	char request_id[129];
	int64_t start_us;
	const char *params[MAX_PATH_PARAMS]; /* typed path parameters, point into param_buf */
	char param_buf[512];
	struct principal who;    /* valid when the route needs authentication */
	struct auth_context ctx; /* identity and token check in the database (auth/context.h) */
	bool read_only;          /* a GET: its transaction is REPEATABLE READ READ ONLY */
	json_t *body;            /* owned; NULL when the request had no body */
	char *raw_body;          /* owned */
	size_t raw_len;
	struct db_conn *db;  /* checked out on demand by req_db(), returned by the server */
	bool primary_only;   /* req_db takes the primary even for an RF_REPLICA route */
	bool replica_failed; /* a read replica failed this request: it is retried on the primary */
	bool csv;            /* the client prefers text/csv and the route offers it (Accept) */
	bool csv_excel;      /* ... in the Excel dialect (Accept: text/csv; dialect=excel) */
	bool head;           /* a HEAD request, run as the GET of its path; no body is sent */
	const char *cors_origin; /* the request's Origin when COOPD_CORS_ORIGINS lists it */
	bool preflight;          /* a CORS preflight (OPTIONS with Access-Control-Request-Method) */

	/* response */
	int status;
	const char *content_type; /* static storage */
	struct sbuf out;
	char location[192];
	char etag[48];
	char filename[192]; /* a download's name (Content-Disposition), set by resp_filename */
	char csv_name[160]; /* a CSV export's name, set by the server from the route */
	const char *cache_control; /* static storage; NULL sends "no-store" */
	const char *headers;       /* static storage: further header lines, each ending in CRLF */
	bool replayed;
	bool close;      /* the connection closes after this response (Connection: close) */
	bool streamed;   /* the response went out in chunks already (resp_stream_*) */
	char *idem_body; /* owned; when set, stored for Idempotency-Key replays instead of out */
	struct err err;
};

typedef int (*handler_fn)(struct req *r);

/* Returns the request's database connection, checking one out of the pool the first time.
 * NULL with r->err set (503) when none could be had in time. The connection comes with the
 * request's transaction opened (see "One request, one transaction" in server.c): BEGIN and
 * the caller's context go out with the first statement. The dispatcher ends it. */
struct db_conn *req_db(struct req *r);
/* Commits the request's transaction now and returns the connection to the pool; a later
 * req_db opens a new transaction. For the one handler that must not hold a connection while
 * it works (the token endpoint hashes a password). 0, or -1 with r->err. */
int req_commit(struct req *r);
/* Runs statement s in a writing transaction of its own on the primary, with the caller's
 * identity, and commits it: the audit events of a logged read served by a read replica
 * (r->db), written before its answer is sent. 0, or -1 with r->err. */
int req_write_aside(struct req *r, struct stmt *s, int nparams, const char *const *params);

/* --- responses (response.c) --- */
/* Serialises obj as the body; steals the reference. */
int resp_json(struct req *r, int status, json_t *obj);
/* Uses text, already JSON (e.g. built by PostgreSQL), as the body; copies it. */
int resp_json_text(struct req *r, int status, const char *text);
int resp_body(struct req *r, int status, const char *content_type, const char *body, size_t len);
/* Names the response a file to save (Content-Disposition: attachment; filename="…"): UTF-8,
 * cut to fit at a character boundary; sent with an ASCII fallback (letters, digits, '.', '-',
 * '_', anything else as '_') and, when that differs, as filename*=UTF-8''… (lib/httphdr.h).
 * Sent with a 2xx answer only. CSV exports are named by the server. */
void resp_filename(struct req *r, const char *name);
int resp_empty(struct req *r, int status);
/* Starts {"data":[ ... ; items are appended with resp_list_item; resp_list_end closes with the
 * cursor (NULL → null). */
void resp_list_begin(struct req *r);
void resp_list_item(struct req *r, const char *json_text);
int resp_list_end(struct req *r, const char *next_cursor);
void resp_set_etag(struct req *r, const char *version);

/* Streaming, for exports too large to hold: the status line and headers go out at once with
 * chunked encoding, the body in chunks of about 16 KiB. After resp_stream_begin the response
 * can no longer become an error; a failure mid-way ends the stream early. */
int resp_stream_begin(struct req *r, int status, const char *content_type);
/* Sends r->out as a chunk once it holds enough (or always when flush). -1 when the client left. */
int resp_stream_flush(struct req *r, int force);
int resp_stream_end(struct req *r);
/* Location: {collection}/{id} */
void resp_set_location(struct req *r, const char *collection, const char *id);

/* --- request helpers (request.c) --- */
/* Nesting deeper than this is refused before Jansson (which recurses per level) sees the body. */
#define BODY_MAX_DEPTH 32
/* Parses a request body: a JSON object, duplicate keys refused, at most BODY_MAX_DEPTH levels
 * deep. A number out of range (beyond int64, or a real of 1e308 or more) does not fail the
 * parse: it becomes a marker that req_validate reports as "is out of range" on its field.
 * Returns an owned object, or NULL with e (400 malformed_json). Pure: no civetweb, no state. */
json_t *body_parse(const char *raw, size_t len, struct err *e);

const char *req_header(const struct req *r, const char *name);
/* The client's address: the peer's, or the last X-Forwarded-For entry when the peer is one of
 * COOPD_TRUSTED_PROXIES and that entry is an address. */
void req_client_addr(const struct req *r, char *out, size_t outlen);
/* Copies query parameter name into out. Returns 1 found, 0 absent, -1 too long/bad encoding. */
int req_query(const struct req *r, const char *name, char *out, size_t outlen);
/* A list filter: query parameter name as an id (out: at least 37 bytes), or as true or false
 * (out: at least 6 bytes). 1 found, 0 absent, -1 with r->err (400 invalid_parameter naming it). */
int req_query_id(struct req *r, const char *name, char *out, size_t outlen);
int req_query_bool(struct req *r, const char *name, char *out, size_t outlen);

/* ?limit= and ?after=: fills limit (1..200, default 50) and after (0 = from the start).
 * -1 with r->err (400 invalid_parameter) on bad values. */
int req_page(struct req *r, int *limit, long long *after);
/* ?year=YYYY, a calendar year from 2000 to 2100, into out ("2026"); the current year
 * (Europe/Amsterdam) when absent. -1 with r->err (400 invalid_parameter) on anything else. */
int req_year(struct req *r, char out[8]);
/* Encodes a position as an opaque cursor string (out >= 32 bytes). */
void cursor_encode(long long pos, char *out, size_t outlen);
int cursor_decode(const char *s, long long *pos);

/* If-Match: returns 0 when absent or "*" (*version = -1), 1 with the version it names, -1 with
 * r->err (412) when it cannot match any version. */
int req_if_match(struct req *r, long *version);

/* Body validation against a field table. */
enum field_type {
	F_STRING,
	F_BOOL,
	F_INT,   /* JSON integer (reals are rejected) */
	F_CENTS, /* JSON integer, money */
	F_UUID,
	F_DATE, /* YYYY-MM-DD */
	F_ENUM,
	F_OBJECT,
	F_ARRAY,
};
#define FIELD_REQUIRED 1u
#define FIELD_NULLABLE 2u
struct field {
	const char *name;
	enum field_type type;
	unsigned flags;
	long long min, max;        /* string length or integer range; 0,0 = unbounded */
	const char *const *values; /* F_ENUM: NULL-terminated */
};
/* Checks r->body (must be present) against fields: unknown fields, required fields, types and
 * ranges. Collects every field error; returns -1 with r->err 422 when any. */
int req_validate(struct req *r, const struct field *fields);
/* Text checks shared by validation and query filters: text_is_date and text_is_uuid come from
 * lib/parse.h (included above), and: */
int text_has_control(const char *s); /* C0, DEL, C1, U+2028/2029: refused in every text field */
/* Today in the Europe/Amsterdam calendar (business dates, SPEC §9), as YYYY-MM-DD. */
void today_amsterdam(char out[11]);

/* Typed getters for validated bodies: NULL / def when absent or null. */
const char *body_str(const struct req *r, const char *name);
int body_has(const struct req *r, const char *name); /* present and not null */

#endif
