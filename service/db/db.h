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

struct err;

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
};

/* Opens the pool; connections are made lazily, but one is tried here so that a bad URL is
 * reported at start. Returns 0 or -1 with a message (never containing the password). */
int db_pool_init(const struct db_options *o, char *err, size_t errlen);
void db_pool_shutdown(void);

/* Waits up to the checkout timeout for a connection. NULL with e = 503 service_unavailable
 * (Retry-After 1) when the pool is exhausted or the database cannot be reached. */
struct db_conn *db_acquire(struct err *e);
void db_release(struct db_conn *c);

void db_pool_stats(int *size, int *in_use, int *waiting);
unsigned long long db_error_count(void);

/* A guard: a catalog statement that must return one row whose first column is true before
 * anything done on this connection counts (the check that the request's token is still usable).
 * It does not cost a round trip of its own: the next db_exec sends it together with its own
 * statement (libpq pipeline mode) and discards that statement's result when the guard fails.
 * db_stream, db_command (but not db_begin) and db_guard_check run it on its own first. A failed guard fails that
 * call with status, code and detail (static strings); a passed one is done. params must stay
 * valid until then; db_release drops a guard that never ran. */
void db_guard_set(struct db_conn *c, struct stmt *g, int nparams, const char *const *params,
                  int status, const char *code, const char *detail);
/* Runs a pending guard now. 0 when none is pending or it passed, else -1 with e. */
int db_guard_check(struct db_conn *c, struct err *e);

/* Executes a catalog statement with text parameters (NULL = SQL null). Returns a PGresult the
 * caller clears, or NULL with e filled from the SQLSTATE (see db_error_to_err). */
PGresult *db_exec(struct db_conn *c, struct stmt *s, int nparams, const char *const *params,
                  struct err *e);
/* Runs a catalog statement in single-row mode, calling row(ctx, res) for every row (res holds
 * that one row) and once more with the final, row-less result (is_last = 1; it still describes
 * the columns). Memory stays flat however many rows come. A non-zero return from row stops the
 * stream (the rest is drained on release). 0, or -1 with e. */
int db_stream(struct db_conn *c, struct stmt *s, int nparams, const char *const *params,
              int (*row)(void *ctx, const PGresult *res, int is_last), void *ctx, struct err *e);

/* Executes a parameterless utility command (BEGIN, COMMIT, ...). 0 or -1 with e. */
int db_command(struct db_conn *c, const char *sql, struct err *e);

/* Transactions. db_begin/db_commit return 0 or -1 with e. After a failure the caller calls
 * db_rollback (safe to call on an idle connection). */
int db_begin(struct db_conn *c, struct err *e);
int db_commit(struct db_conn *c, struct err *e);
void db_rollback(struct db_conn *c);

/* True when e came from a serialization failure or deadlock: the transaction may be retried. */
bool db_err_retryable(const struct err *e);

/* The SQLSTATE → HTTP mapping: 23505 → 409 already_exists, 23503 → 422 invalid_reference,
 * 23514/23P01/22xxx → 422 validation_failed, 40001/40P01 → 503 (retryable), 57014 → 504 timeout,
 * 55P03 → 503, connection failures (08xxx, 57P01..03) → 503 service_unavailable, others → 500.
 * Application rules raised in SQL with SQLSTATE 'P0001' and a message "code: detail" map to
 * that code and the status the rule table in pool.c gives it (an unknown code is a 500).
 * The libpq message goes to the log only. */
void db_error_to_err(const PGresult *res, struct err *e);

/* Applies the migrations embedded in the binary (migrate.c). 0 or -1 with message. */
int db_migrate(const char *url, char *err, size_t errlen);

/* Parses the first column of a row as a long long; 0 when null. */
long long db_ll(const PGresult *res, int row, int col);
/* The value, or NULL when the field is SQL null. Borrowed from res. */
const char *db_str(const PGresult *res, int row, int col);

#endif
