/* The database layer: a small fixed pool of libpq connections, separate from the HTTP threads,
 * with statements prepared per connection on first use (and again after a reconnect).
 *
 * A connection is used by one thread at a time: the thread that checked it out. Release
 * drains pending results, rolls back an open or failed transaction and resets a broken
 * connection before anyone else gets it. */
#ifndef COOPD_DB_H
#define COOPD_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* A statement of the catalog. Domain modules define them as static objects:
 *   static struct stmt user_get = STMT("select ... where id = $1");
 * The id is assigned on first use; the statement is prepared on each connection once. */
struct stmt {
	const char *sql;
	int id; /* 0 until first use */
};
#define STMT(sql_text)                                                                             \
	{                                                                                          \
		.sql = (sql_text), .id = 0                                                         \
	}

struct db_conn;

struct db_options {
	const char *url;
	int size;
	int checkout_timeout_ms;
	int statement_timeout_ms;
	int export_timeout_ms; /* statement_timeout of a streamed export (db_stream) */
	/* Read replicas (may be NULL): a pool of its own of read_size connections, made with
	 * target_session_attrs=prefer-standby unless the URL says otherwise, for db_acquire_read;
	 * a standby more than read_max_lag_ms behind is not read from. */
	const char *read_url;
	int read_size;
	int read_max_lag_ms;
};

/* Sets up the pool without connecting (connections are made on checkout): coopd starts while
 * the database is down. -1 with a message only when out of memory. */
int db_pool_init(const struct db_options *o, char *err, size_t errlen);
/* Until the pool is ready (migrations applied, bootstrap done: main.c), db_acquire answers 503
 * service_unavailable with Retry-After, except on the thread that called db_pool_starter(true). */
void db_pool_set_ready(bool ready);
void db_pool_starter(bool on);
/* Whether the pool is ready: the migrations are applied (the webhook worker waits for it). */
bool db_pool_ready(void);
/* 0 when libpq can parse url (a URI or key=value pairs, one host or several), else -1 with a
 * message that names the variable (name) and does not quote the URL: a configuration error,
 * found before any connection. */
int db_url_check(const char *url, const char *name, char *err, size_t errlen);
/* A connection as coopd makes them: target_session_attrs=target (read-write for the primary)
 * and connect_timeout=3 unless the URL says otherwise, keepalives; options (may be NULL) as
 * libpq's "options". The caller checks PQstatus and PQfinishes it. */
PGconn *db_connect(const char *url, const char *options, const char *target);
/* PQerrorMessage(pg) on one line with url's password masked (pg may be NULL). */
void db_conn_error(const char *url, PGconn *pg, char *out, size_t outlen);
void db_pool_shutdown(void);

/* Waits up to the checkout timeout for a connection. NULL with e = 503 service_unavailable
 * (Retry-After 1) when the pool is exhausted or the database cannot be reached. */
struct db_conn *db_acquire(struct err *e);
/* For a read that tolerates replication lag: a read replica's connection when DATABASE_READ_URL
 * is set and a replica is reachable and within the lag allowed, else the primary's (as
 * db_acquire). Such a connection serves read-only transactions only. */
struct db_conn *db_acquire_read(struct err *e);
/* Whether c is a read replica's connection. */
bool db_conn_replica(const struct db_conn *c);
void db_release(struct db_conn *c);

/* Where db_acquire_read sent reads: the replica, or the primary because the replica could not
 * be reached or was behind. */
enum db_read_route { DB_READ_REPLICA, DB_READ_PRIMARY_DOWN, DB_READ_PRIMARY_BEHIND };
struct db_pool_stats {
	int size, in_use, waiting;
	unsigned long long routed[3]; /* the read pool's: by enum db_read_route */
};
/* The primary pool's and the read pool's figures (size 0 without DATABASE_READ_URL). */
void db_pool_stats(struct db_pool_stats *primary, struct db_pool_stats *read);
unsigned long long db_error_count(void);

/* The transaction of a request. db_tx_open does not talk to the server: BEGIN and the context
 * statement go out together with the next statement on c, in the same round trip (libpq
 * pipeline mode), so a request that runs one statement still costs one round trip.
 *
 * - read_only: BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY — a read sees one snapshot
 *   whatever number of statements it runs, and cannot write; else BEGIN (READ COMMITTED;
 *   writes take the row locks they need).
 * - ctx (may be NULL): a catalog statement that sets the caller's identity for the
 *   transaction (set_config(..., true)) and returns one row whose first column says whether
 *   the caller may go on (the token is still usable). When it says no, the call that carried
 *   it fails with ctx->status, code and detail. ctx and its params must stay valid until the
 *   transaction ends.
 * db_exec_last ends a read-only transaction in the same round trip as its statement (a read
 * whose first statement is its last runs as one implicit transaction with ctx->check);
 * db_tx_end ends it otherwise (COMMIT when commit and nothing failed, else ROLLBACK). A
 * transaction whose BEGIN never went out ends without a round trip. db_release rolls back
 * whatever is still open. */
struct db_context {
	struct stmt *stmt;
	int nparams;
	const char *const *params;
	/* For a read of one statement (the hot single-resource reads and list pages): the check
	 * alone, taking the first check_nparams of params, without the identity settings. Such a
	 * statement carries the caller's scope as parameters of its own, and the settings'
	 * per-transaction cost would be most of what the context adds to it (make bench). NULL:
	 * always the full statement (a route whose SQL reads the identity, e.g. row-level
	 * security, will pass NULL). */
	struct stmt *check;
	int check_nparams;
	int status;
	const char *code, *detail; /* static strings */
};
void db_tx_open(struct db_conn *c, bool read_only, const struct db_context *ctx);
/* Runs BEGIN and the context statement now unless the context statement passed already (a
 * request that ran no statement still has its token checked); last as for db_exec_last.
 * 0, or -1 with e. */
int db_tx_check(struct db_conn *c, bool last, struct err *e);
/* 0, or -1 with e (a failed COMMIT: the transaction is gone, e.g. a serialization failure). */
int db_tx_end(struct db_conn *c, bool commit, struct err *e);

/* Executes a catalog statement with text parameters (NULL = SQL null). Returns a PGresult the
 * caller clears, or NULL with e filled from the SQLSTATE (see db_error_to_err). */
PGresult *db_exec(struct db_conn *c, struct stmt *s, int nparams, const char *const *params,
                  struct err *e);
/* As db_exec, for the last statement of a read-only transaction: COMMIT goes out with it. In a
 * writing transaction it is db_exec. */
PGresult *db_exec_last(struct db_conn *c, struct stmt *s, int nparams, const char *const *params,
                       struct err *e);
/* Gives the rest of the transaction the export timeout (db_options.export_timeout_ms) instead of
 * the statement timeout: for the statements of an export, which db_stream runs under it too.
 * 0, or -1 with e. */
int db_tx_export(struct db_conn *c, struct err *e);
/* Runs a catalog statement in single-row mode (under the export timeout: db_tx_export), calling
 * row(ctx, res) for every row (res holds that one row) and once more with the final, row-less
 * result (is_last = 1; it still describes the columns). Memory stays flat however many rows come. A
 * non-zero return from row stops the stream (the rest is drained on release). 0, or -1 with e. */
int db_stream(struct db_conn *c, struct stmt *s, int nparams, const char *const *params,
              int (*row)(void *ctx, const PGresult *res, int is_last), void *ctx, struct err *e);

/* True when e came from a serialization failure or deadlock: the transaction may be retried. */
bool db_err_retryable(const struct err *e);

/* A failed result into e (sqlerror.c), first match wins:
 * 1. a rule raised in SQL: SQLSTATE class CO + HTTP status ('CO409', 'CO422'), message
 *    "code: detail" → that status, code and detail (no code in the message: rule_violation);
 * 2. a named constraint of the table in sqlerror.c → its status, code and field error;
 * 3. by SQLSTATE: 23505 → 409 already_exists, 23503 → 422 invalid_reference,
 *    23514/23P01/23502/22xxx → 422 validation_failed, 40001/40P01 → 503 (retryable),
 *    57014 → 504 timeout, 55P03 → 503, connection failures (08xxx, 57P01..03) → 503
 *    service_unavailable, anything else → 500 (logged with its SQLSTATE and counted).
 * The libpq message goes to the log only, and never for a data exception (it may quote values). */
void db_error_to_err(const PGresult *res, struct err *e);

/* Applies the migrations embedded in the binary (migrate.c), under an advisory lock (instances
 * starting together take turns). 0; DB_UNREACHABLE with a message when the database could not
 * be reached or the connection was lost (nothing half-applied: each step is a transaction; try
 * again later); -1 with a message for a fault that retrying does not cure (an edited migration,
 * one this binary does not know, a failing statement). */
#define DB_UNREACHABLE 1
int db_migrate(const char *url, char *err, size_t errlen);

/* Columns by name (result.c): a statement names every column it returns (AS where the
 * expression has no name of its own: `member_doc(m)::text AS doc`) and the code reads them by
 * that name, never by position. A name the result does not have is a programming error: it reads
 * as SQL null and is logged. Values are borrowed from res. */
/* The value, or NULL when the field is SQL null (or the column is missing). */
const char *db_col(const PGresult *res, int row, const char *name);
/* The value as a long long; 0 when null or missing. */
long long db_col_ll(const PGresult *res, int row, const char *name);
/* 1 when the field is boolean true; 0 when false, null or missing. */
int db_col_true(const PGresult *res, int row, const char *name);
/* Copies the value into out (outlen bytes, truncated, NUL-terminated); "" when null or missing. */
void db_col_copy(const PGresult *res, int row, const char *name, char *out, size_t outlen);

/* Parses the first column of a row as a long long; 0 when null. */
long long db_ll(const PGresult *res, int row, int col);
/* The value, or NULL when the field is SQL null. Borrowed from res. */
const char *db_str(const PGresult *res, int row, int col);

#endif
