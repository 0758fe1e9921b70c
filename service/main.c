/* coopd: config → library init → migrations → db pool → http server → wait for SIGTERM →
 * stop in reverse order.
 *
 *   coopd            serve (applies pending migrations first)
 *   coopd migrate    apply pending migrations and exit
 *   coopd routes     print the route table as JSON (used by the tests' role matrix)
 *   coopd --version  print the API version */
#include <civetweb.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

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
		    json_pack("{s:s, s:s, s:o, s:b, s:b, s:b, s:b}", "method", rt->method, "path",
		              rt->pattern, "roles", roles, "auth", !(rt->flags & RF_PUBLIC),
		              "idempotent", (rt->flags & RF_IDEMPOTENT) != 0, "body",
		              (rt->flags & RF_BODY) != 0, "csv", (rt->flags & RF_CSV) != 0));
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
	if (app.keys)
		return 0;
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
	if (strcmp(cmd, "serve") == 0 && load_keys(err, sizeof err) != 0)
		return fail("configuration", err);
	if (db_migrate(app.cfg.database_url, err, sizeof err) != 0) {
		token_keys_free(app.keys);
		return fail("migrations", err);
	}
	if (strcmp(cmd, "migrate") == 0)
		return 0;

	struct db_options dbo = {.url = app.cfg.database_url,
	                         .size = app.cfg.db_pool,
	                         .checkout_timeout_ms = app.cfg.db_timeout_ms,
	                         .statement_timeout_ms = app.cfg.statement_timeout_ms,
	                         .export_timeout_ms = app.cfg.export_timeout_ms};
	int rc = 2;
	if (db_pool_init(&dbo, err, sizeof err) != 0) {
		rc = fail("database", err);
		goto free_keys;
	}
	if (app.cfg.bootstrap_admin_password &&
	    users_bootstrap_admin(app.cfg.bootstrap_admin_password, err, sizeof err) != 0) {
		rc = fail("bootstrap", err);
		goto close_pool;
	}
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

	if (raise_fd_limit(err, sizeof err) != 0) {
		rc = fail("configuration", err);
		goto close_pool;
	}
	mg_init_library(0);
	struct mg_context *ctx = server_start(err, sizeof err);
	if (!ctx) {
		rc = fail("http", err);
		goto exit_library;
	}
	log_msg("info", NULL, "coopd %s listening on %s (threads %d, db pool %d)", app.api_version,
	        app.cfg.listen, app.cfg.threads, app.cfg.db_pool);
	if (app.cfg.metrics_listen[0])
		log_msg("info", NULL, "/metrics served on %s only", app.cfg.metrics_listen);

	int sig = 0;
	sigwait(&sigs, &sig);
	log_msg("info", NULL, "signal %d: draining in-flight requests", sig);
	system_set_draining();
	server_stop(ctx, DRAIN_SECONDS); /* returns when the requests in flight have finished */
	log_msg("info", NULL, "stopped");
	rc = 0;
exit_library:
	mg_exit_library();
	xmlCleanupParser();
	metrics_free();
close_pool:
	db_pool_shutdown();
free_keys:
	token_keys_free(app.keys);
	return rc;
}
