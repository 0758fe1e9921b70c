/* The connection pool (modelled on Kore's pgsql pool): capped, checkout with a deadline,
 * connections repaired on release, statements prepared per connection. */
#include "db.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/http.h"
#include "log.h"

#define MAX_STMTS 512

struct db_conn {
	PGconn *pg; /* NULL until connected; reset to NULL when broken */
	unsigned char prepared[MAX_STMTS / 8];
	bool in_use;
	struct { /* the pending guard (db_guard_set), stmt NULL when none */
		struct stmt *stmt;
		int nparams;
		const char *const *params;
		int status;
		const char *code, *detail;
	} guard;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct db_conn *conns;
	int size, in_use, waiting;
	char *url;
	int timeout_ms;
	char options[128];
	atomic_ullong errors;
	atomic_int next_stmt_id;
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER};

static PGconn *connect_one(void)
{
	/* Later keywords override what the URL says; keepalives and tcp_user_timeout make a dead
	 * server noticeable where statement_timeout cannot fire. */
	const char *keys[] = {"dbname",           "application_name",
	                      "connect_timeout",  "keepalives",
	                      "keepalives_idle",  "keepalives_interval",
	                      "keepalives_count", "tcp_user_timeout",
	                      "options",          NULL};
	const char *vals[] = {pool.url, "coopd", "3",     "1",          "10",
	                      "3",      "3",     "10000", pool.options, NULL};
	PGconn *pg = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(pg) != CONNECTION_OK) {
		atomic_fetch_add(&pool.errors, 1);
		log_msg("warn", NULL, "database connection failed");
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

int db_pool_init(const struct db_options *o, char *err, size_t errlen)
{
	pool.size = o->size;
	pool.timeout_ms = o->checkout_timeout_ms;
	pool.url = strdup(o->url);
	pool.conns = calloc((size_t)o->size, sizeof *pool.conns);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pool.cv, &ca);
	pthread_condattr_destroy(&ca);
	snprintf(pool.options, sizeof pool.options,
	         "-c statement_timeout=%d -c TimeZone=UTC -c lock_timeout=%d",
	         o->statement_timeout_ms, o->statement_timeout_ms);
	if (!pool.url || !pool.conns) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pool.conns[0].pg = connect_one();
	if (!pool.conns[0].pg) {
		snprintf(err, errlen, "cannot connect to the database (check DATABASE_URL)");
		return -1;
	}
	return 0;
}

void db_pool_shutdown(void)
{
	for (int i = 0; i < pool.size; i++)
		PQfinish(pool.conns[i].pg);
	free(pool.conns);
	free(pool.url);
	pool.conns = NULL;
	pool.url = NULL;
	pthread_cond_destroy(&pool.cv);
}

static void mark_broken(struct db_conn *c)
{
	PQfinish(c->pg);
	c->pg = NULL;
	memset(c->prepared, 0, sizeof c->prepared);
}

struct db_conn *db_acquire(struct err *e)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += pool.timeout_ms / 1000;
	deadline.tv_nsec += (long)(pool.timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}

	struct db_conn *c = NULL;
	pthread_mutex_lock(&pool.mu);
	pool.waiting++;
	while (pool.in_use == pool.size) {
		if (pthread_cond_timedwait(&pool.cv, &pool.mu, &deadline) == ETIMEDOUT)
			break;
	}
	pool.waiting--;
	if (pool.in_use < pool.size) {
		/* Prefer a connection that is already open. */
		for (int i = 0; i < pool.size; i++) {
			struct db_conn *k = &pool.conns[i];
			if (!k->in_use && (!c || (k->pg && !c->pg)))
				c = k;
		}
		c->in_use = true;
		pool.in_use++;
	}
	pthread_mutex_unlock(&pool.mu);

	if (!c) {
		err_set(e, 503, "service_unavailable", "the service is busy; retry shortly");
		e->retry_after = 1;
		return NULL;
	}
	if (c->pg && PQstatus(c->pg) != CONNECTION_OK)
		mark_broken(c);
	if (!c->pg)
		c->pg = connect_one();
	if (!c->pg) {
		db_release(c);
		err_set(e, 503, "service_unavailable",
		        "the database is unavailable; retry shortly");
		e->retry_after = 1;
		return NULL;
	}
	return c;
}

void db_release(struct db_conn *c)
{
	if (!c)
		return;
	c->guard.stmt = NULL;
	if (c->pg) {
		PGresult *res;
		while ((res = PQgetResult(c->pg)) != NULL)
			PQclear(res);
		PGTransactionStatusType ts = PQtransactionStatus(c->pg);
		if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
			res = PQexec(c->pg, "ROLLBACK");
			PQclear(res);
			ts = PQtransactionStatus(c->pg);
		}
		if (ts != PQTRANS_IDLE || PQstatus(c->pg) != CONNECTION_OK)
			mark_broken(c);
	}
	pthread_mutex_lock(&pool.mu);
	c->in_use = false;
	pool.in_use--;
	pthread_cond_signal(&pool.cv);
	pthread_mutex_unlock(&pool.mu);
}

void db_pool_stats(int *size, int *in_use, int *waiting)
{
	pthread_mutex_lock(&pool.mu);
	*size = pool.size;
	*in_use = pool.in_use;
	*waiting = pool.waiting;
	pthread_mutex_unlock(&pool.mu);
}

unsigned long long db_error_count(void)
{
	return atomic_load(&pool.errors);
}

static int stmt_id(struct stmt *s)
{
	int id = __atomic_load_n(&s->id, __ATOMIC_ACQUIRE);
	if (id)
		return id;
	int fresh = atomic_fetch_add(&pool.next_stmt_id, 1) + 1;
	int expected = 0;
	if (__atomic_compare_exchange_n(&s->id, &expected, fresh, 0, __ATOMIC_ACQ_REL,
	                                __ATOMIC_ACQUIRE))
		return fresh;
	return expected; /* another thread numbered it first; `fresh` stays unused */
}

static int is_connection_failure(PGconn *pg, const PGresult *res)
{
	if (PQstatus(pg) != CONNECTION_OK)
		return 1;
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return !st || strncmp(st, "08", 2) == 0 || strncmp(st, "57P0", 4) == 0;
}

/* Prepares statement s on this connection the first time it is used there. On failure returns
 * the failed result (the caller clears it). */
static PGresult *prepare(struct db_conn *c, struct stmt *s, int id)
{
	if (c->prepared[id / 8] & (1u << (id % 8)))
		return NULL;
	char name[16];
	snprintf(name, sizeof name, "s%d", id);
	PGresult *p = PQprepare(c->pg, name, s->sql, 0, NULL);
	if (PQresultStatus(p) != PGRES_COMMAND_OK)
		return p;
	PQclear(p);
	c->prepared[id / 8] |= (unsigned char)(1u << (id % 8));
	return NULL;
}

static int ensure_prepared(struct db_conn *c, struct stmt *s, int id, struct err *e)
{
	PGresult *failed = prepare(c, s, id);
	if (!failed)
		return 0;
	db_error_to_err(failed, e);
	if (is_connection_failure(c->pg, failed))
		mark_broken(c);
	PQclear(failed);
	return -1;
}

static PGresult *exec_once(struct db_conn *c, struct stmt *s, int id, int nparams,
                           const char *const *params)
{
	PGresult *failed = prepare(c, s, id);
	if (failed)
		return failed;
	char name[16];
	snprintf(name, sizeof name, "s%d", id);
	return PQexecPrepared(c->pg, name, nparams, params, NULL, NULL, 0);
}

static int result_ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);
	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* The guard and statement s in one round trip: both sent in pipeline mode, then one sync.
 * Returns s's result (NULL when it was never run) and the guard's in *guard_res; each may be an
 * error result. Both are prepared first, outside the pipeline. */
static PGresult *exec_guarded_once(struct db_conn *c, struct stmt *s, int id, int nparams,
                                   const char *const *params, PGresult **guard_res)
{
	int gid = stmt_id(c->guard.stmt);
	*guard_res = prepare(c, c->guard.stmt, gid);
	if (*guard_res)
		return NULL;
	PGresult *failed = prepare(c, s, id);
	if (failed)
		return failed;
	char gname[16], name[16];
	snprintf(gname, sizeof gname, "s%d", gid);
	snprintf(name, sizeof name, "s%d", id);
	if (!PQenterPipelineMode(c->pg) ||
	    !PQsendQueryPrepared(c->pg, gname, c->guard.nparams, c->guard.params, NULL, NULL, 0) ||
	    !PQsendQueryPrepared(c->pg, name, nparams, params, NULL, NULL, 0) ||
	    !PQpipelineSync(c->pg)) {
		mark_broken(c);
		return NULL;
	}
	/* Each statement's result is followed by a NULL, then comes the sync: guard, NULL,
	 * statement (PIPELINE_ABORTED when the guard failed), NULL, sync. Two NULLs in a row
	 * only come from a lost connection. */
	PGresult *got[2] = {NULL, NULL};
	int idx = 0, nulls = 0;
	for (;;) {
		PGresult *r = PQgetResult(c->pg);
		if (!r) {
			if (++nulls > 1)
				break;
			idx++;
			continue;
		}
		nulls = 0;
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			break;
		}
		if (idx < 2 && !got[idx])
			got[idx] = r;
		else
			PQclear(r);
	}
	if (PQstatus(c->pg) != CONNECTION_OK || !PQexitPipelineMode(c->pg))
		mark_broken(c);
	*guard_res = got[0];
	return got[1];
}

/* 1 when the guard's result says the request may go on. */
static int guard_passed(const PGresult *g)
{
	return PQresultStatus(g) == PGRES_TUPLES_OK && PQntuples(g) == 1 && !PQgetisnull(g, 0, 0) &&
	       PQgetvalue(g, 0, 0)[0] == 't';
}

/* Turns the guard's outcome into e; 0 when it passed (and is done). */
static int guard_outcome(struct db_conn *c, const PGresult *g, struct err *e)
{
	if (g && guard_passed(g)) {
		c->guard.stmt = NULL;
		return 0;
	}
	if (g && PQresultStatus(g) == PGRES_TUPLES_OK)
		err_set(e, c->guard.status, c->guard.code, "%s", c->guard.detail);
	else
		db_error_to_err(g, e);
	return -1;
}

/* Runs s (with the pending guard, if any) once. NULL with e on failure; *retry set when the
 * failure was a connection lost while the connection was idle, so nothing ran. */
static PGresult *exec_attempt(struct db_conn *c, struct stmt *s, int id, int nparams,
                              const char *const *params, bool *retry, struct err *e)
{
	bool was_idle = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
	PGresult *guard_res = NULL;
	PGresult *res = c->guard.stmt ? exec_guarded_once(c, s, id, nparams, params, &guard_res)
	                              : exec_once(c, s, id, nparams, params);
	*retry = false;
	/* No guard result but a statement result: the statement could not be prepared, so neither
	 * ran; the guard stays pending and the statement's error is reported. */
	if (c->guard.stmt && (guard_res || !res)) {
		int rc = guard_outcome(c, guard_res, e);
		if (rc != 0) {
			/* A guard that answered (false) is a refusal, not a lost connection. */
			bool lost = !c->pg || !guard_res ||
			            (PQresultStatus(guard_res) != PGRES_TUPLES_OK &&
			             is_connection_failure(c->pg, guard_res));
			*retry = was_idle && lost;
			if (c->pg && lost)
				mark_broken(c);
			PQclear(guard_res);
			PQclear(res);
			return NULL;
		}
		PQclear(guard_res);
	}
	if (res && result_ok(res))
		return res;
	*retry = was_idle && (!c->pg || is_connection_failure(c->pg, res));
	db_error_to_err(res, e);
	if (c->pg && is_connection_failure(c->pg, res))
		mark_broken(c);
	PQclear(res);
	return NULL;
}

PGresult *db_exec(struct db_conn *c, struct stmt *s, int nparams, const char *const *params,
                  struct err *e)
{
	int id = stmt_id(s);
	if (id >= MAX_STMTS || (c->guard.stmt && stmt_id(c->guard.stmt) >= MAX_STMTS)) {
		err_set(e, 500, "internal_error", "internal error");
		log_msg("error", NULL, "statement catalog full");
		return NULL;
	}
	bool retry;
	PGresult *res = exec_attempt(c, s, id, nparams, params, &retry, e);
	if (res || !retry)
		return res;
	/* The server went away while the connection sat in the pool (a restart): outside a
	 * transaction nothing ran, so reconnect once and try again. */
	err_clear(e);
	mark_broken(c);
	c->pg = connect_one();
	if (!c->pg) {
		err_set(e, 503, "service_unavailable",
		        "the database is unavailable; retry shortly");
		e->retry_after = 1;
		/* keep the slot usable: the next checkout reconnects */
		return NULL;
	}
	return exec_attempt(c, s, id, nparams, params, &retry, e);
}

void db_guard_set(struct db_conn *c, struct stmt *g, int nparams, const char *const *params,
                  int status, const char *code, const char *detail)
{
	c->guard.stmt = g;
	c->guard.nparams = nparams;
	c->guard.params = params;
	c->guard.status = status;
	c->guard.code = code;
	c->guard.detail = detail;
}

int db_guard_check(struct db_conn *c, struct err *e)
{
	if (!c->guard.stmt)
		return 0;
	struct stmt *g = c->guard.stmt;
	c->guard.stmt = NULL; /* db_exec runs it as a plain statement */
	PGresult *res = db_exec(c, g, c->guard.nparams, c->guard.params, e);
	c->guard.stmt = g;
	if (!res)
		return -1;
	int rc = guard_outcome(c, res, e);
	PQclear(res);
	return rc;
}

int db_stream(struct db_conn *c, struct stmt *s, int nparams, const char *const *params,
              int (*row)(void *ctx, const PGresult *res, int is_last), void *ctx, struct err *e)
{
	if (db_guard_check(c, e) != 0)
		return -1;
	int id = stmt_id(s);
	char name[16];
	snprintf(name, sizeof name, "s%d", id);
	if (id >= MAX_STMTS || ensure_prepared(c, s, id, e) != 0)
		return -1;
	if (!PQsendQueryPrepared(c->pg, name, nparams, params, NULL, NULL, 0) ||
	    !PQsetSingleRowMode(c->pg)) {
		db_error_to_err(NULL, e);
		mark_broken(c);
		return -1;
	}
	int rc = 0, stopped = 0;
	PGresult *res;
	while ((res = PQgetResult(c->pg)) != NULL) {
		ExecStatusType st = PQresultStatus(res);
		if (!stopped && st == PGRES_SINGLE_TUPLE) {
			if (row(ctx, res, 0) != 0)
				stopped = 1, rc = -1;
		} else if (!stopped && st == PGRES_TUPLES_OK) {
			if (row(ctx, res, 1) != 0)
				rc = -1;
		} else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK) {
			db_error_to_err(res, e);
			if (is_connection_failure(c->pg, res))
				mark_broken(c);
			rc = -1;
		}
		PQclear(res);
		if (!c->pg)
			break;
	}
	return rc;
}

/* A utility command, without the guard. */
static int command(struct db_conn *c, const char *sql, struct err *e)
{
	PGresult *res = PQexec(c->pg, sql);
	if (result_ok(res)) {
		PQclear(res);
		return 0;
	}
	db_error_to_err(res, e);
	if (is_connection_failure(c->pg, res))
		mark_broken(c);
	PQclear(res);
	return -1;
}

int db_command(struct db_conn *c, const char *sql, struct err *e)
{
	if (db_guard_check(c, e) != 0)
		return -1;
	return command(c, sql, e);
}

/* BEGIN leaves a pending guard for the transaction's first statement to carry: the check then
 * runs in the transaction's snapshot and costs no round trip of its own. */
int db_begin(struct db_conn *c, struct err *e)
{
	return command(c, "BEGIN", e);
}

int db_commit(struct db_conn *c, struct err *e)
{
	return db_command(c, "COMMIT", e);
}

void db_rollback(struct db_conn *c)
{
	if (!c->pg)
		return;
	PGTransactionStatusType ts = PQtransactionStatus(c->pg);
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
		PGresult *res = PQexec(c->pg, "ROLLBACK");
		PQclear(res);
	}
}

bool db_err_retryable(const struct err *e)
{
	return e->code && strcmp(e->code, "serialization_failure") == 0;
}

long long db_ll(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return 0;
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

const char *db_str(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* The rules that SQL functions and triggers raise, with their HTTP status. */
static const struct {
	const char *code;
	int status;
} sql_rules[] = {
    {"invalid_status_transition", 409},
    {"exemption_limit_exceeded", 422},
    {"invoice_not_draft", 409},
    {"invoice_not_issued", 409},
    {"nothing_to_credit", 409},
    {"issue_date_in_future", 422},
    {"issue_date_before_last_issued", 422},
    {"incomplete_invoice_data", 422},
    {"kor_requires_exempt_lines", 422},
    {"reverse_charge_without_vat_id", 422},
    {"no_active_permission", 422},
    {"below_rate_floor", 422},
    {"cannot_credit_credit_note", 422},
    {"credit_exceeds_invoice", 422},
    {"overpayment", 422},
};

void db_error_to_err(const PGresult *res, struct err *e)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *cons = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
	if (!st)
		st = "08006";
	err_clear(e);
	if (cons)
		snprintf(e->constraint, sizeof e->constraint, "%s", cons);

	if (strcmp(st, "P0001") == 0 && msg && strchr(msg, ':')) {
		/* An application rule raised in SQL as "code: detail" (the rules live in sql/). */
		const char *colon = strchr(msg, ':');
		size_t n = (size_t)(colon - msg);
		for (size_t i = 0; i < sizeof sql_rules / sizeof sql_rules[0]; i++) {
			if (strlen(sql_rules[i].code) == n &&
			    strncmp(sql_rules[i].code, msg, n) == 0) {
				const char *detail = colon + 1;
				while (*detail == ' ')
					detail++;
				err_set(e, sql_rules[i].status, sql_rules[i].code, "%s", detail);
				return;
			}
		}
	}
	atomic_fetch_add(&pool.errors, 1);
	/* A data exception's message can quote the value (invalid input syntax for type uuid:
	 * "..."): the log gets the SQLSTATE and the constraint only. */
	int quotes_values = strncmp(st, "22", 2) == 0;
	log_msg("warn", NULL, "database error %s: %s%s%s", st,
	        quotes_values ? "(data exception)"
	        : msg         ? msg
	                      : "(no message)",
	        cons ? " constraint " : "", cons ? cons : "");
	if (strcmp(st, "23505") == 0)
		err_set(e, 409, "already_exists", "a resource with these values already exists");
	else if (strcmp(st, "23503") == 0)
		err_set(e, 422, "invalid_reference", "a referenced object does not exist");
	else if (strcmp(st, "23514") == 0 || strcmp(st, "23P01") == 0 || strcmp(st, "23502") == 0 ||
	         strncmp(st, "22", 2) == 0)
		err_set(e, 422, "validation_failed", "the values break a rule of the data");
	else if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0) {
		err_set(e, 503, "serialization_failure",
		        "the request conflicted with another; retry");
		e->retry_after = 1;
	} else if (strcmp(st, "57014") == 0)
		err_set(e, 504, "timeout", "the request took too long");
	else if (strcmp(st, "55P03") == 0) {
		err_set(e, 503, "service_unavailable", "the data is busy; retry shortly");
		e->retry_after = 1;
	} else if (strncmp(st, "08", 2) == 0 || strncmp(st, "57P0", 4) == 0) {
		err_set(e, 503, "service_unavailable",
		        "the database is unavailable; retry shortly");
		e->retry_after = 1;
	} else
		err_set(e, 500, "internal_error", "internal error");
}
