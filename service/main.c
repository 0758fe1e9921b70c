/* coopd: config → library init → db pool → database up (migrations, bootstrap) → http server →
 * wait for SIGTERM → stop in reverse order. A configuration error stops start-up with exit code
 * 2 before any connection is tried; a database that cannot be reached does not: the server
 * starts anyway (/v1/health 200, everything that needs the database 503 with Retry-After) and a
 * thread keeps trying, with backoff, until the database is up.
 *
 *   coopd            serve (applies pending migrations first)
 *   coopd migrate    apply pending migrations and exit
 *   coopd routes     print the route table as JSON (used by the tests' role matrix)
 *   coopd --version  print the API version */
#include <civetweb.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "auth/token.h"
#include "db/db.h"
#include "domain/system.h"
#include "domain/users.h"
#include "embedded.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "lib/pdfdraw.h"
#include "log.h"
#include "worker/webhook_worker.h"

#define DRAIN_SECONDS 25 /* below the usual 30 s stop timeout of service managers */

static int load_api_version(void)
{
	json_error_t je;
	json_t *doc =
	    json_loadb(embedded_openapi_json.start,
	               (size_t)(embedded_openapi_json.end - embedded_openapi_json.start), 0, &je);
	const char *v = json_string_value(json_object_get(json_object_get(doc, "info"), "version"));
	int ok = v && strlen(v) < sizeof app.api_version;
	if (ok)
		snprintf(app.api_version, sizeof app.api_version, "%s", v);
	json_decref(doc);
	return ok ? 0 : -1;
}

static void print_routes(void)
{
	json_t *out = json_array();
	for (size_t i = 0; i < route_count; i++) {
		const struct route *rt = &routes[i];
		json_t *roles = json_array();
		for (int k = ROLE_PLATFORM_ADMIN; k < ROLE_COUNT; k++)
			if (!(rt->flags & RF_PUBLIC) && (rt->roles & R(k)))
				json_array_append_new(roles, json_string(role_name((enum role)k)));
		json_array_append_new(
		    out,
		    json_pack("{s:s, s:s, s:o, s:b, s:b, s:b, s:b, s:b}", "method", rt->method, "path",
		              rt->pattern, "roles", roles, "auth", !(rt->flags & RF_PUBLIC),
		              "idempotent", (rt->flags & RF_IDEMPOTENT) != 0, "body",
		              (rt->flags & RF_BODY) != 0, "csv", (rt->flags & RF_CSV) != 0,
		              "read_replica", (rt->flags & RF_REPLICA) != 0));
	}
	json_dumpf(out, stdout, JSON_INDENT(1));
	putchar('\n');
	json_decref(out);
}

/* The signing keys; a failure names the variable to fix. */
static int load_keys(char *err, size_t errlen)
{
	char why[256] = "";
	app.keys = token_keys_new(app.cfg.jwt_alg, app.cfg.jwt_secret, app.cfg.jwt_private_key_file,
	                          app.cfg.jwt_public_key_file, app.cfg.jwt_issuer,
	                          app.cfg.jwt_audience, app.cfg.token_ttl, why, sizeof why);
	if (app.keys) {
		if (token_keys_add_second(app.keys, app.cfg.jwt_second_secret,
		                          app.cfg.jwt_second_public_key_file, why,
		                          sizeof why) != 0) {
			const char *var = "COOPD_JWT_SECOND_PUBLIC_KEY_FILE";
			if (app.cfg.jwt_second_secret && app.cfg.jwt_second_public_key_file)
				var = "COOPD_JWT_SECOND_SECRET / COOPD_JWT_SECOND_PUBLIC_KEY_FILE";
			else if (app.cfg.jwt_second_secret)
				var = "COOPD_JWT_SECOND_SECRET";
			snprintf(err, errlen, "%s: %s", var, why);
			return -1;
		}
		/* Key ids are hash prefixes, safe to log (auth/token.c): they show which key an
		 * instance signs with during a rotation. */
		const char *second = token_key_id(app.keys, 1);
		log_msg("info", NULL, "jwt %s: signing key id %s%s%s", app.cfg.jwt_alg,
		        token_key_id(app.keys, 0), second ? ", second verification key id " : "",
		        second ? second : "");
		return 0;
	}
	const char *alg = app.cfg.jwt_alg;
	if (strcmp(alg, "HS256") && strcmp(alg, "ES256") && strcmp(alg, "RS256"))
		snprintf(err, errlen, "COOPD_JWT_ALG must be HS256, ES256 or RS256");
	else if (strcmp(alg, "HS256") == 0)
		snprintf(err, errlen, "COOPD_JWT_SECRET: %s", why);
	else
		snprintf(err, errlen, "COOPD_JWT_PRIVATE_KEY_FILE / COOPD_JWT_PUBLIC_KEY_FILE: %s",
		         why);
	return -1;
}

static int fail(const char *what, const char *msg)
{
	log_msg("error", NULL, "%s: %s", what, msg);
	return 2;
}

/* Every connection holds a descriptor while its worker thread serves it: raise the soft limit
 * to what the thread count and the pool need (the default soft limit is often 1024). */
static int raise_fd_limit(char *err, size_t errlen)
{
	rlim_t need = (rlim_t)app.cfg.threads + (rlim_t)app.cfg.db_pool + 64;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		snprintf(err, errlen,
		         "COOPD_THREADS=%d needs %llu open files, the hard limit is %llu: raise it "
		         "(LimitNOFILE=) or lower COOPD_THREADS",
		         app.cfg.threads, (unsigned long long)need,
		         (unsigned long long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = need;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

/* One attempt at bringing the database up: migrations (under their advisory lock), a first
 * connection of the pool, the bootstrap administrator; then the pool is ready for requests.
 * 0, DB_UNREACHABLE (try again later) or -1 (a fault that retrying does not cure), with err. */
static int bring_up(char *err, size_t errlen)
{
	int rc = db_migrate(app.cfg.database_url, err, errlen);
	if (rc != 0)
		return rc;
	db_pool_starter(true);
	struct err e = {0};
	struct db_conn *c = db_acquire(&e);
	err_clear(&e);
	db_release(c);
	if (!c) {
		snprintf(err, errlen, "the database went away after the migrations");
		rc = DB_UNREACHABLE;
	} else if (app.cfg.bootstrap_admin_password &&
	           users_bootstrap_admin(app.cfg.bootstrap_admin_password, err, errlen) != 0) {
		rc = DB_UNREACHABLE; /* logged by the attempt; the next one tries again */
	}
	db_pool_starter(false);
	if (rc == 0)
		db_pool_set_ready(true);
	return rc;
}

/* The thread that retries bring_up while the database is down: 0.25 s, doubling to 5 s. A
 * failure is logged when it differs from the previous one, not at every attempt. */
#define RETRY_FIRST_MS 250
#define RETRY_MAX_MS   5000
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool running, stop;
	atomic_bool fatal; /* the migrations failed for good: main stops coopd with exit code 2 */
	char last[512];    /* the failure logged last */
} up = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void *bring_up_thread(void *arg)
{
	(void)arg;
	int delay_ms = RETRY_FIRST_MS;
	for (int attempt = 2;; attempt++) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += delay_ms / 1000;
		until.tv_nsec += (long)(delay_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&up.mu);
		while (!up.stop && pthread_cond_timedwait(&up.cv, &up.mu, &until) == 0)
			;
		bool stop = up.stop;
		pthread_mutex_unlock(&up.mu);
		if (stop)
			break;

		char err[512] = "";
		int rc = bring_up(err, sizeof err);
		if (rc == 0) {
			log_msg("info", NULL,
			        "database up after %d attempts: migrations applied, ready",
			        attempt);
			break;
		}
		if (rc < 0) {
			log_msg("error", NULL, "migrations: %s", err);
			atomic_store(&up.fatal, true);
			kill(getpid(), SIGTERM); /* main's sigwait takes it */
			break;
		}
		if (strcmp(err, up.last) != 0) {
			log_msg("warn", NULL, "database not ready (%s); retrying", err);
			snprintf(up.last, sizeof up.last, "%s", err);
		}
		delay_ms = delay_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : delay_ms * 2;
	}
	return NULL;
}

static int bring_up_start(const char *first_err)
{
	snprintf(up.last, sizeof up.last, "%s", first_err);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&up.cv, &ca);
	pthread_condattr_destroy(&ca);
	up.running = pthread_create(&up.thread, NULL, bring_up_thread, NULL) == 0;
	return up.running ? 0 : -1;
}

static void bring_up_stop(void)
{
	if (!up.running)
		return;
	pthread_mutex_lock(&up.mu);
	up.stop = true;
	pthread_cond_signal(&up.cv);
	pthread_mutex_unlock(&up.mu);
	pthread_join(up.thread, NULL); /* an attempt under way ends first (connect_timeout) */
	pthread_cond_destroy(&up.cv);
	up.running = false;
}

int main(int argc, char **argv)
{
	char err[512] = "";
	const char *cmd = argc > 1 ? argv[1] : "serve";

	json_object_seed(0); /* before any thread exists */
	/* A request's memory (a page of 200 feed items: ~190 kB of response and as much of
	 * PGresult) is freed when it ends. With glibc's defaults every worker's arena gave that
	 * back to the kernel (madvise) and faulted it in again on the next request: two thirds of
	 * coopd's CPU time on feed pages. Freed memory up to 32 MiB an arena is kept for the next
	 * request, and buffers up to 4 MiB come from the arena instead of a fresh mapping each. */
	mallopt(M_TRIM_THRESHOLD, 32 << 20);
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	xmlInitParser();
	if (router_init(err, sizeof err) != 0)
		return fail("routes", err);
	if (load_api_version() != 0)
		return fail("openapi", "the embedded document has no info.version");
	if (strcmp(cmd, "routes") == 0) {
		print_routes();
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("coopd %s\n", app.api_version);
		return 0;
	}
	if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "migrate") != 0) {
		fprintf(stderr, "usage: coopd [serve|migrate|routes|--version]\n");
		return 2;
	}
	if (config_load(&app.cfg, err, sizeof err) != 0)
		return fail("configuration", err);
	if (strcmp(cmd, "serve") == 0 && pdf_fonts_check(err, sizeof err) != 0)
		return fail("fonts", err); /* the invoice PDFs need them */
	if (db_url_check(app.cfg.database_url, "DATABASE_URL", err, sizeof err) != 0 ||
	    (app.cfg.database_read_url &&
	     db_url_check(app.cfg.database_read_url, "DATABASE_READ_URL", err, sizeof err) != 0))
		return fail("configuration", err);
	if (strcmp(cmd, "serve") == 0 && raise_fd_limit(err, sizeof err) != 0)
		return fail("configuration", err);
	if (strcmp(cmd, "serve") == 0 && load_keys(err, sizeof err) != 0)
		return fail("configuration", err);
	if (strcmp(cmd, "migrate") == 0) {
		/* Exit code 1 when the database cannot be reached (a job runner tries again later),
		 * 2 for a fault of the migrations themselves. */
		int m = db_migrate(app.cfg.database_url, err, sizeof err);
		if (m == 0)
			return 0;
		log_msg("error", NULL, "migrations: %s", err);
		return m == DB_UNREACHABLE ? 1 : 2;
	}

	struct db_options dbo = {.url = app.cfg.database_url,
	                         .size = app.cfg.db_pool,
	                         .checkout_timeout_ms = app.cfg.db_timeout_ms,
	                         .statement_timeout_ms = app.cfg.statement_timeout_ms,
	                         .export_timeout_ms = app.cfg.export_timeout_ms,
	                         .read_url = app.cfg.database_read_url,
	                         .read_size = app.cfg.db_read_pool,
	                         .read_max_lag_ms = app.cfg.read_max_lag_ms};
	int rc = 2;
	if (db_pool_init(&dbo, err, sizeof err) != 0) {
		rc = fail("database", err);
		goto close_pool;
	}
	/* The first attempt before listening: with the database up, coopd is ready when it
	 * answers at all. */
	int db_state = bring_up(err, sizeof err);
	if (db_state < 0) {
		rc = fail("migrations", err);
		goto close_pool;
	}
	if (db_state == DB_UNREACHABLE)
		log_msg("warn", NULL,
		        "database not ready (%s); serving /v1/health, and 503 for what needs the "
		        "database, while retrying",
		        err);
	if (metrics_init(app.api_version) != 0) {
		rc = fail("metrics", "out of memory");
		goto close_pool;
	}

	/* Signals go to this thread only: block them before civetweb starts its workers. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	mg_init_library(0);
	/* libcurl (the webhook deliveries) is initialised once, before any thread uses it. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		rc = fail("webhooks", "libcurl could not be initialised");
		goto exit_library;
	}
	struct mg_context *ctx = server_start(err, sizeof err);
	if (!ctx) {
		rc = fail("http", err);
		goto exit_library;
	}
	if (db_state != 0 && bring_up_start(err) != 0) {
		rc = fail("database", "cannot start the thread that connects to the database");
		server_stop(ctx, 0);
		goto exit_library;
	}
	/* The delivery worker runs beside the requests, never in their path; it waits for the
	 * database to be ready like the requests do. */
	if (webhook_workers_start(err, sizeof err) != 0) {
		rc = fail("webhooks", err);
		bring_up_stop();
		server_stop(ctx, 0);
		goto exit_library;
	}
	log_msg("info", NULL, "coopd %s listening on %s (threads %d, db pool %d)", app.api_version,
	        app.cfg.listen, app.cfg.threads, app.cfg.db_pool);
	if (app.cfg.metrics_listen[0])
		log_msg("info", NULL, "/metrics served on %s only", app.cfg.metrics_listen);

	int sig = 0;
	sigwait(&sigs, &sig);
	log_msg("info", NULL, "signal %d: draining in-flight requests", sig);
	pthread_mutex_lock(&up.mu);
	up.stop = true; /* the retrying thread stops now, or after the attempt under way */
	if (up.running)
		pthread_cond_signal(&up.cv);
	pthread_mutex_unlock(&up.mu);
	system_set_draining();
	webhook_workers_stop(); /* they finish the attempt under way while the requests drain */
	server_stop(ctx, DRAIN_SECONDS); /* returns when the requests in flight have finished */
	webhook_workers_join();
	bring_up_stop();
	rc = atomic_load(&up.fatal) ? 2 : 0;
	log_msg("info", NULL, rc ? "stopped: the migrations failed" : "stopped");
exit_library:
	curl_global_cleanup();
	mg_exit_library();
	xmlCleanupParser();
	metrics_free();
close_pool:
	db_pool_shutdown();
	token_keys_free(app.keys);
	return rc;
}
