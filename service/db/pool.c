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

#include "err.h"
#include "lib/sbuf.h"
#include "internal.h"
#include "log.h"

#define MAX_STMTS 512

struct pool;

struct db_conn {
	PGconn *pg; /* NULL until connected; reset to NULL when broken */
	struct pool *pool;
	unsigned char prepared[MAX_STMTS / 8];
	bool in_use;
	/* A read replica's connection: when its replication lag was last looked at, and whether
	 * it was behind then (replica_fresh). */
	int64_t lag_checked_us;
	bool behind;
	struct {                    /* the request's transaction (db_tx_open) */
		bool begin_pending; /* BEGIN goes out with the next statement */
		bool ctx_pending;   /* and so does the context statement */
		bool checked;       /* the context statement passed at least once */
		bool read_only;
		struct db_context ctx;
	} tx;
};

/* The pool of the primary (DATABASE_URL), and the optional one of read replicas
 * (DATABASE_READ_URL): the same structure, each with its own bound. */
struct pool {
	const char *name; /* in log messages */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct db_conn *conns;
	int size, in_use, waiting;
	char *url;
	const char *target; /* target_session_attrs unless the URL says otherwise */
	int timeout_ms;
	int statement_timeout_ms, export_timeout_ms;
	char options[128];
	/* A database that was reachable and is not (or the reverse) is logged once per change,
	 * not once per failed connection: while it is down every request would log. */
	atomic_bool down;
	/* read replicas only */
	int max_lag_ms;
	_Atomic int64_t skip_until_us; /* after a failed connection: reads go to the primary */
};

static struct pool primary = {
    .name = "database", .mu = PTHREAD_MUTEX_INITIALIZER, .target = "read-write"};
static struct pool replica = {
    .name = "read replica", .mu = PTHREAD_MUTEX_INITIALIZER, .target = "prefer-standby"};
static atomic_int next_stmt_id;
static atomic_bool ready; /* migrations applied, bootstrap done: requests may have connections */
static atomic_ullong reads_routed[3]; /* enum db_read_route */

/* Set on the thread that brings the database up (main.c): it checks out connections for the
 * bootstrap before the pool is ready for requests. */
static _Thread_local bool starter;

/* The libpq message of a failed connection on one line, with the password (if the URL has one)
 * masked: libpq does not quote it, but nothing of DATABASE_URL's secret may reach the log. */
void db_conn_error(const char *url, PGconn *pg, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", pg ? PQerrorMessage(pg) : "out of memory");
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	for (size_t n = strlen(out); n > 0 && out[n - 1] == ' '; n--)
		out[n - 1] = '\0';
	PQconninfoOption *opts = url ? PQconninfoParse(url, NULL) : NULL;
	for (PQconninfoOption *o = opts; o && o->keyword; o++) {
		if (strcmp(o->keyword, "password") != 0 || !o->val || !o->val[0])
			continue;
		size_t pl = strlen(o->val);
		for (char *hit = out; (hit = strstr(hit, o->val)) != NULL; hit += pl)
			memset(hit, '*', pl);
	}
	PQconninfoFree(opts);
}

int db_url_check(const char *url, const char *name, char *err, size_t errlen)
{
	char *why = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &why);
	PQconninfoFree(opts);
	if (opts)
		return 0;
	/* libpq's message may quote a part of the URL (the password, say): not repeated. */
	PQfreemem(why);
	snprintf(err, errlen,
	         "%s cannot be parsed (a postgresql:// URI or key=value pairs, hosts separated by "
	         "commas)",
	         name);
	return -1;
}

PGconn *db_connect(const char *url, const char *options, const char *target)
{
	/* Keywords before dbname are defaults the URL may override; those after it override the
	 * URL. Of several hosts coopd wants the one that takes writes (the primary), or for reads
	 * a standby, unless the URL says otherwise. keepalives and tcp_user_timeout make a dead
	 * server noticeable where statement_timeout cannot fire. */
	const char *keys[] = {"target_session_attrs",
	                      "connect_timeout",
	                      "dbname",
	                      "application_name",
	                      "keepalives",
	                      "keepalives_idle",
	                      "keepalives_interval",
	                      "keepalives_count",
	                      "tcp_user_timeout",
	                      options ? "options" : NULL,
	                      NULL};
	const char *vals[] = {target, "3", url,     "coopd", "1", "10",
	                      "3",    "3", "10000", options, NULL};
	return PQconnectdbParams(keys, vals, 1);
}

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* How long reads go to the primary after a read replica could not be reached, before the
 * replica is tried again: a replica that is down costs one failed connection a second, not one
 * per request. */
#define REPLICA_RETRY_US 1000000
/* How often a replica connection's lag is looked at (replica_fresh). */
#define LAG_CHECK_US 1000000

static PGconn *connect_one(struct pool *p)
{
	PGconn *pg = db_connect(p->url, p->options, p->target);
	if (PQstatus(pg) != CONNECTION_OK) {
		db_count_error();
		if (!atomic_exchange(&p->down, true)) {
			char why[512];
			db_conn_error(p->url, pg, why, sizeof why);
			log_msg("warn", NULL, "%s connection failed: %s", p->name, why);
		}
		if (p == &replica)
			atomic_store(&p->skip_until_us, mono_us() + REPLICA_RETRY_US);
		PQfinish(pg);
		return NULL;
	}
	if (atomic_exchange(&p->down, false))
		log_msg("info", NULL, "%s connection restored", p->name);
	return pg;
}

static int pool_init(struct pool *p, const char *url, int size, const struct db_options *o)
{
	p->size = size;
	p->timeout_ms = o->checkout_timeout_ms;
	p->statement_timeout_ms = o->statement_timeout_ms;
	p->export_timeout_ms = o->export_timeout_ms;
	p->url = strdup(url);
	p->conns = calloc((size_t)size, sizeof *p->conns);
	for (int i = 0; p->conns && i < size; i++)
		p->conns[i].pool = p;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	/* No JIT: coopd's statements are short, or set-based over one cooperative's month, and
	 * compiling such a plan takes longer than running it (seconds for a month's settlement). */
	snprintf(p->options, sizeof p->options,
	         "-c statement_timeout=%d -c TimeZone=UTC -c lock_timeout=%d -c jit=off",
	         o->statement_timeout_ms, o->statement_timeout_ms);
	return p->url && p->conns ? 0 : -1;
}

int db_pool_init(const struct db_options *o, char *err, size_t errlen)
{
	if (pool_init(&primary, o->url, o->size, o) != 0 ||
	    (o->read_url && pool_init(&replica, o->read_url, o->read_size, o) != 0)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	replica.max_lag_ms = o->read_max_lag_ms;
	return 0;
}

void db_pool_set_ready(bool on)
{
	atomic_store(&ready, on);
}

bool db_pool_ready(void)
{
	return atomic_load(&ready);
}

void db_pool_starter(bool on)
{
	starter = on;
}

static void pool_shutdown(struct pool *p)
{
	for (int i = 0; p->conns && i < p->size; i++)
		PQfinish(p->conns[i].pg);
	if (p->url)
		pthread_cond_destroy(&p->cv);
	free(p->conns);
	free(p->url);
	p->conns = NULL;
	p->url = NULL;
	p->size = 0;
}

void db_pool_shutdown(void)
{
	pool_shutdown(&replica);
	pool_shutdown(&primary);
}

static void mark_broken(struct db_conn *c)
{
	PQfinish(c->pg);
	c->pg = NULL;
	memset(c->prepared, 0, sizeof c->prepared);
}

static struct err *unavailable(struct err *e, const char *detail)
{
	err_set(e, 503, "service_unavailable", "%s", detail);
	e->retry_after = 1;
	return e;
}

/* A connection of p, waiting up to p's checkout timeout for one; connected unless the server
 * cannot be reached. NULL with e (503) when none could be had. */
static struct db_conn *checkout(struct pool *p, struct err *e)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += p->timeout_ms / 1000;
	deadline.tv_nsec += (long)(p->timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}

	if (!atomic_load(&ready) && !starter) {
		unavailable(
		    e, "the service is starting: the database is not ready yet; retry shortly");
		return NULL;
	}
	struct db_conn *c = NULL;
	pthread_mutex_lock(&p->mu);
	p->waiting++;
	while (p->in_use == p->size) {
		if (pthread_cond_timedwait(&p->cv, &p->mu, &deadline) == ETIMEDOUT)
			break;
	}
	p->waiting--;
	if (p->in_use < p->size) {
		/* Prefer a connection that is already open. */
		for (int i = 0; i < p->size; i++) {
			struct db_conn *k = &p->conns[i];
			if (!k->in_use && (!c || (k->pg && !c->pg)))
				c = k;
		}
		c->in_use = true;
		p->in_use++;
	}
	pthread_mutex_unlock(&p->mu);

	if (!c) {
		unavailable(e, "the service is busy; retry shortly");
		return NULL;
	}
	if (c->pg && PQstatus(c->pg) != CONNECTION_OK)
		mark_broken(c);
	if (!c->pg) {
		c->pg = connect_one(p);
		c->behind = false;
		c->lag_checked_us = 0;
	}
	if (!c->pg) {
		db_release(c);
		unavailable(e, "the database is unavailable; retry shortly");
		return NULL;
	}
	return c;
}

struct db_conn *db_acquire(struct err *e)
{
	return checkout(&primary, e);
}

/* Whether replica connection c may serve a read: its server is a standby within the lag allowed
 * (or no standby any more: promoted, it has everything). Looked at once a second per
 * connection. A standby that has replayed all the WAL it received counts as current; otherwise
 * the age of the last transaction it replayed is its lag. (A standby cut off from its primary
 * that has replayed all it received looks current: its freshness is for the cluster's own
 * monitoring to judge; see README, "Read replicas".) */
static bool replica_fresh(struct db_conn *c)
{
	int64_t now = mono_us();
	if (c->lag_checked_us && now - c->lag_checked_us < LAG_CHECK_US)
		return !c->behind;
	char lag[16];
	snprintf(lag, sizeof lag, "%d", replica.max_lag_ms);
	const char *params[] = {lag};
	PGresult *res =
	    PQexecParams(c->pg,
	                 "SELECT coalesce(pg_is_in_recovery()"
	                 " AND pg_last_wal_receive_lsn() IS DISTINCT FROM pg_last_wal_replay_lsn()"
	                 " AND clock_timestamp() - pg_last_xact_replay_timestamp()"
	                 "  > $1::integer * interval '1 millisecond', false)",
	                 1, NULL, params, NULL, NULL, 0);
	bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	if (ok) {
		c->behind = PQgetvalue(res, 0, 0)[0] == 't';
		c->lag_checked_us = now;
	} else {
		mark_broken(c);
	}
	PQclear(res);
	return ok && !c->behind;
}

struct db_conn *db_acquire_read(struct err *e)
{
	if (!replica.url)
		return checkout(&primary, e);
	if (atomic_load(&replica.skip_until_us) > mono_us()) {
		atomic_fetch_add(&reads_routed[DB_READ_PRIMARY_DOWN], 1);
		return checkout(&primary, e);
	}
	struct db_conn *c = checkout(&replica, e);
	if (!c && e->status == 503 && atomic_load(&replica.skip_until_us) > mono_us()) {
		/* the replica cannot be reached: the primary serves */
		err_clear(e);
		atomic_fetch_add(&reads_routed[DB_READ_PRIMARY_DOWN], 1);
		return checkout(&primary, e);
	}
	if (c && !replica_fresh(c)) {
		bool lost = !c->pg; /* the check itself failed */
		db_release(c);
		atomic_fetch_add(
		    &reads_routed[lost ? DB_READ_PRIMARY_DOWN : DB_READ_PRIMARY_BEHIND], 1);
		return checkout(&primary, e);
	}
	if (c)
		atomic_fetch_add(&reads_routed[DB_READ_REPLICA], 1);
	return c;
}

bool db_conn_replica(const struct db_conn *c)
{
	return c->pool == &replica;
}

void db_release(struct db_conn *c)
{
	if (!c)
		return;
	struct pool *p = c->pool;
	memset(&c->tx, 0, sizeof c->tx);
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
	pthread_mutex_lock(&p->mu);
	c->in_use = false;
	p->in_use--;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void pool_stats(struct pool *p, struct db_pool_stats *s)
{
	pthread_mutex_lock(&p->mu);
	s->size = p->size;
	s->in_use = p->in_use;
	s->waiting = p->waiting;
	pthread_mutex_unlock(&p->mu);
}

void db_pool_stats(struct db_pool_stats *primary_stats, struct db_pool_stats *read_stats)
{
	pool_stats(&primary, primary_stats);
	pool_stats(&replica, read_stats);
	for (int i = 0; i < 3; i++)
		read_stats->routed[i] = atomic_load(&reads_routed[i]);
}

static int stmt_id(struct stmt *s)
{
	int id = __atomic_load_n(&s->id, __ATOMIC_ACQUIRE);
	if (id)
		return id;
	int fresh = atomic_fetch_add(&next_stmt_id, 1) + 1;
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
/* The server-side name of catalog statement id: "s<id>" (by hand: every statement needs it). */
static void stmt_name(char name[16], int id)
{
	name[0] = 's';
	fmt_u(name + 1, (unsigned)id);
}

static PGresult *prepare(struct db_conn *c, struct stmt *s, int id)
{
	if (c->prepared[id / 8] & (1u << (id % 8)))
		return NULL;
	char name[16];
	stmt_name(name, id);
	PGresult *p = PQprepare(c->pg, name, s->sql, 0, NULL);
	if (PQresultStatus(p) != PGRES_COMMAND_OK)
		return p;
	PQclear(p);
	c->prepared[id / 8] |= (unsigned char)(1u << (id % 8));
	return NULL;
}

/* 1 when a writing transaction failed because the server no longer takes writes (SQLSTATE
 * 25006: it is a standby now, or was made read-only). In a read-only transaction of ours the
 * same state is a statement that writes where it must not, a fault of coopd's. */
static int server_read_only(struct db_conn *c, const PGresult *res)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return !c->tx.read_only && st && strcmp(st, "25006") == 0;
}

/* A step's failure into e. Returns 1 when it was the connection that failed, or the server it
 * talks to stopped taking writes: such a connection is dropped, and the next one goes to the
 * host that takes writes now (target_session_attrs, db_connect). */
static int step_failed(struct db_conn *c, const PGresult *res, struct err *e)
{
	if (c->pg && server_read_only(c, res)) {
		db_count_error();
		log_msg(
		    "warn", NULL,
		    "database error 25006: the server does not take writes; connection dropped");
		err_clear(e);
		err_set(e, 503, "service_unavailable",
		        "the database does not take writes at the moment; retry shortly");
		e->retry_after = 1;
		mark_broken(c);
		return 1;
	}
	db_error_to_err(res, e);
	int lost = !c->pg || is_connection_failure(c->pg, res);
	if (c->pg && lost)
		mark_broken(c);
	return lost;
}

static int ensure_prepared(struct db_conn *c, struct stmt *s, int id, struct err *e)
{
	PGresult *failed = prepare(c, s, id);
	if (!failed)
		return 0;
	step_failed(c, failed, e);
	PQclear(failed);
	return -1;
}

static int result_ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);
	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* Transaction control is prepared like every other statement: no Parse per request. */
static struct stmt begin_read = STMT("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
static struct stmt begin_write = STMT("BEGIN");
static struct stmt commit_stmt = STMT("COMMIT");

/* One step of a pipeline: a catalog statement (s) or a parameterless command (sql). */
struct step {
	struct stmt *s;
	const char *sql;
	int nparams;
	const char *const *params;
	PGresult *res; /* filled by pipeline(); NULL when no result came (lost connection) */
};

/* Sends the steps in pipeline mode with one sync and collects one result per step (an error
 * result, or PGRES_PIPELINE_ABORTED for steps after a failed one). Every catalog statement is
 * prepared first, outside the pipeline; a failed prepare is returned (the caller clears it)
 * and nothing is sent. */
static PGresult *pipeline(struct db_conn *c, struct step *st, int n)
{
	for (int i = 0; i < n; i++) {
		PGresult *failed = st[i].s ? prepare(c, st[i].s, stmt_id(st[i].s)) : NULL;
		if (failed)
			return failed;
	}
	int sent = PQenterPipelineMode(c->pg);
	for (int i = 0; sent && i < n; i++) {
		char name[16];
		if (st[i].s) {
			stmt_name(name, stmt_id(st[i].s));
			sent = PQsendQueryPrepared(c->pg, name, st[i].nparams, st[i].params, NULL,
			                           NULL, 0);
		} else {
			sent = PQsendQueryParams(c->pg, st[i].sql, 0, NULL, NULL, NULL, NULL, 0);
		}
	}
	if (!sent || !PQpipelineSync(c->pg)) {
		mark_broken(c);
		return NULL;
	}
	/* Each step's result is followed by a NULL, then comes the sync. Two NULLs in a row only
	 * come from a lost connection. */
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
		if (idx < n && !st[idx].res)
			st[idx].res = r;
		else
			PQclear(r);
	}
	if (PQstatus(c->pg) != CONNECTION_OK || !PQexitPipelineMode(c->pg))
		mark_broken(c);
	return NULL;
}

/* 1 when the context statement's result says the request may go on. */
static int ctx_passed(const PGresult *g)
{
	return PQresultStatus(g) == PGRES_TUPLES_OK && PQntuples(g) == 1 && !PQgetisnull(g, 0, 0) &&
	       PQgetvalue(g, 0, 0)[0] == 't';
}

/* Runs s (NULL: only what the transaction still owes) once, preceded by the pending BEGIN and
 * context statement and followed by COMMIT when last. 0 with s's result in *out (NULL for
 * s == NULL), or -1 with e; *retry is set when the connection was lost while it sat idle
 * (nothing ran), so the caller may reconnect and try again. */
static int exec_attempt(struct db_conn *c, struct stmt *s, int nparams, const char *const *params,
                        bool last, PGresult **out, bool *retry, struct err *e)
{
	struct step st[4];
	int n = 0, i_begin = -1, i_ctx = -1, i_s = -1, i_commit = -1;
	memset(st, 0, sizeof st);
	bool was_idle = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
	*out = NULL;
	*retry = false;
	/* A read whose first statement is also its last needs no BEGIN and COMMIT: the statements
	 * of one pipeline run in one implicit transaction, which the sync ends. With it goes the
	 * context's check alone when it has one (db.h), else the full context statement, which
	 * also makes the transaction read-only. */
	bool implicit = last && c->tx.read_only && c->tx.begin_pending && c->tx.ctx_pending;
	if (c->tx.begin_pending && !implicit)
		st[i_begin = n++] =
		    (struct step){.s = c->tx.read_only ? &begin_read : &begin_write};
	if (c->tx.ctx_pending && implicit && c->tx.ctx.check)
		st[i_ctx = n++] = (struct step){.s = c->tx.ctx.check,
		                                .nparams = c->tx.ctx.check_nparams,
		                                .params = c->tx.ctx.params};
	else if (c->tx.ctx_pending)
		st[i_ctx = n++] = (struct step){
		    .s = c->tx.ctx.stmt, .nparams = c->tx.ctx.nparams, .params = c->tx.ctx.params};
	if (s)
		st[i_s = n++] = (struct step){.s = s, .nparams = nparams, .params = params};
	/* Only a read-only transaction of ours is ended early. */
	if (last && c->tx.read_only && !implicit && (c->tx.begin_pending || !was_idle))
		st[i_commit = n++] = (struct step){.s = &commit_stmt};

	PGresult *failed = NULL;
	if (n == 1 && i_s == 0) {
		char name[16];
		stmt_name(name, stmt_id(s));
		failed = prepare(c, s, stmt_id(s));
		if (!failed)
			st[0].res = PQexecPrepared(c->pg, name, nparams, params, NULL, NULL, 0);
	} else if (n > 0) {
		failed = pipeline(c, st, n);
	}
	if (failed) { /* a statement could not be prepared: nothing ran */
		*retry = was_idle && step_failed(c, failed, e);
		PQclear(failed);
		return -1;
	}
	/* The first failure decides; the steps after it did not run. */
	int rc = 0, lost = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		const PGresult *r = st[i].res;
		if (!r || !result_ok(r)) {
			lost = step_failed(c, r, e);
			rc = -1;
		} else if (i == i_ctx && !ctx_passed(r)) {
			err_set(e, c->tx.ctx.status, c->tx.ctx.code, "%s", c->tx.ctx.detail);
			rc = -1;
		} else if (i == i_begin) {
			c->tx.begin_pending = false;
		} else if (i == i_ctx) {
			c->tx.ctx_pending = false;
			c->tx.checked = true;
		} else if (i == i_commit) {
			/* A statement after this one opens a new transaction, with the context. */
			c->tx.begin_pending = true;
			c->tx.ctx_pending = c->tx.ctx.stmt != NULL;
		}
	}
	if (rc == 0 && implicit)
		c->tx.ctx_pending = true; /* the transaction ended with the sync */
	if (rc == 0 && i_s >= 0) {
		*out = st[i_s].res;
		st[i_s].res = NULL;
	}
	for (int i = 0; i < n; i++)
		PQclear(st[i].res);
	*retry = rc != 0 && lost && was_idle;
	return rc;
}

static int catalog_full(struct db_conn *c, struct stmt *s, struct err *e)
{
	if (stmt_id(s) < MAX_STMTS && (!c->tx.ctx.stmt || stmt_id(c->tx.ctx.stmt) < MAX_STMTS) &&
	    (!c->tx.ctx.check || stmt_id(c->tx.ctx.check) < MAX_STMTS))
		return 0;
	err_set(e, 500, "internal_error", "internal error");
	log_msg("error", NULL, "statement catalog full");
	return 1;
}

/* exec_attempt, and once more on a fresh connection when the server went away while the
 * connection sat in the pool (a restart): outside a transaction nothing ran. */
static int exec_retrying(struct db_conn *c, struct stmt *s, int nparams, const char *const *params,
                         bool last, PGresult **out, struct err *e)
{
	if (s && catalog_full(c, s, e))
		return -1;
	bool retry;
	int rc = exec_attempt(c, s, nparams, params, last, out, &retry, e);
	if (rc == 0 || !retry)
		return rc;
	err_clear(e);
	mark_broken(c);
	c->pg = connect_one(c->pool);
	if (!c->pg) {
		/* keep the slot usable: the next checkout reconnects */
		err_set(e, 503, "service_unavailable",
		        "the database is unavailable; retry shortly");
		e->retry_after = 1;
		return -1;
	}
	return exec_attempt(c, s, nparams, params, last, out, &retry, e);
}

PGresult *db_exec(struct db_conn *c, struct stmt *s, int nparams, const char *const *params,
                  struct err *e)
{
	PGresult *res = NULL;
	exec_retrying(c, s, nparams, params, false, &res, e);
	return res;
}

PGresult *db_exec_last(struct db_conn *c, struct stmt *s, int nparams, const char *const *params,
                       struct err *e)
{
	PGresult *res = NULL;
	exec_retrying(c, s, nparams, params, true, &res, e);
	return res;
}

void db_tx_open(struct db_conn *c, bool read_only, const struct db_context *ctx)
{
	memset(&c->tx, 0, sizeof c->tx);
	c->tx.begin_pending = true;
	c->tx.read_only = read_only;
	c->tx.ctx_pending = ctx && ctx->stmt;
	if (ctx)
		c->tx.ctx = *ctx;
}

int db_tx_check(struct db_conn *c, bool last, struct err *e)
{
	if (c->tx.checked || !c->tx.ctx_pending)
		return 0;
	PGresult *none = NULL;
	return c->pg ? exec_retrying(c, NULL, 0, NULL, last, &none, e) : -1;
}

static int command(struct db_conn *c, const char *sql, struct err *e);

int db_tx_export(struct db_conn *c, struct err *e)
{
	if (db_tx_check(c, false, e) != 0)
		return -1;
	/* An export runs as long as its rows take to reach the client (a municipality's whole
	 * settlement feed): its own timeout, for this transaction only. And it is planned for its
	 * own parameters every time: a generic plan cannot know the length of an array parameter
	 * (a logged CSV export joins the members it logged, tens of thousands for a large
	 * municipality) and takes it for 10 elements: it then scanned the array again for every
	 * row, about 1.3 ms a row at a million rows. Planning an export costs milliseconds. */
	char sql[128] = "SET LOCAL plan_cache_mode = force_custom_plan";
	if (c->pool->export_timeout_ms > c->pool->statement_timeout_ms)
		snprintf(sql + strlen(sql), sizeof sql - strlen(sql),
		         "; SET LOCAL statement_timeout = %d", c->pool->export_timeout_ms);
	return command(c, sql, e);
}

int db_stream(struct db_conn *c, struct stmt *s, int nparams, const char *const *params,
              int (*row)(void *ctx, const PGresult *res, int is_last), void *ctx, struct err *e)
{
	if (db_tx_export(c, e) != 0)
		return -1;
	int id = stmt_id(s);
	char name[16];
	stmt_name(name, id);
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
			step_failed(c, res, e);
			rc = -1;
		}
		PQclear(res);
		if (!c->pg)
			break;
	}
	return rc;
}

/* A utility command: COMMIT, ROLLBACK or SET LOCAL. */
static int command(struct db_conn *c, const char *sql, struct err *e)
{
	PGresult *res = PQexec(c->pg, sql);
	int rc = result_ok(res) ? 0 : (step_failed(c, res, e), -1);
	PQclear(res);
	return rc;
}

int db_tx_end(struct db_conn *c, bool commit, struct err *e)
{
	bool never_began = c->tx.begin_pending;
	memset(&c->tx, 0, sizeof c->tx);
	if (never_began || !c->pg)
		return 0;
	PGTransactionStatusType ts = PQtransactionStatus(c->pg);
	if (ts == PQTRANS_INTRANS && commit)
		return command(c, "COMMIT", e);
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
		PGresult *res = PQexec(c->pg, "ROLLBACK");
		PQclear(res);
	}
	if (commit && ts == PQTRANS_INERROR) {
		/* A statement failed and the caller went on as if not: nothing was committed. */
		log_msg("error", NULL, "commit of a failed transaction");
		return err_internal(e);
	}
	return 0;
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
