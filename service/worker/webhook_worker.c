/* The webhook delivery worker (webhook_worker.h). */
#include "webhook_worker.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "db/db.h"
#include "lib/webhook_sign.h"
#include "lib/webhook_url.h"
#include "log.h"

#define LEASE_MARGIN_MS  5000       /* a claim lasts the attempt's limit and this */
#define STOP_GRACE_MS    5000       /* an attempt under way at stop may take this long */
#define RESPONSE_CAP     (64 << 10) /* bytes of a response read before it is cut off */
#define EXCERPT_MAX      256        /* characters of it kept in the log */
#define RECONNECT_MIN_MS 250
#define RECONNECT_MAX_MS 30000
#define CHANNEL          "coopd_webhooks"

static struct {
	pthread_t *threads;
	int started;
	int wake[2]; /* written once at stop: every thread's poll sees it readable from then on */
	atomic_bool stop;
	_Atomic int64_t stop_at_ms; /* monotonic time of the stop request */
	atomic_bool down;           /* the database connection failed (logged once a change) */
} ws = {.wake = {-1, -1}};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to ms for the stop request, or for pg's socket when pg is given (a notification,
 * or the connection breaking). */
static void wait_for(PGconn *pg, long ms)
{
	struct pollfd fds[2] = {{.fd = ws.wake[0], .events = POLLIN},
	                        {.fd = pg ? PQsocket(pg) : -1, .events = POLLIN}};
	if (ms < 0)
		ms = 0;
	if (poll(fds, pg && fds[1].fd >= 0 ? 2 : 1, (int)(ms > 600000 ? 600000 : ms)) < 0 &&
	    errno != EINTR)
		usleep(10000);
}

/* ---- the database ------------------------------------------------------------------------- */

/* A connection of the worker's own, listening on the channel. NULL when the database cannot be
 * reached (logged once until it can). */
static PGconn *worker_connect(void)
{
	char options[160];
	snprintf(options, sizeof options,
	         "-c statement_timeout=%d -c lock_timeout=%d -c TimeZone=UTC -c jit=off",
	         app.cfg.statement_timeout_ms, app.cfg.statement_timeout_ms);
	PGconn *pg = db_connect(app.cfg.database_url, options, "read-write");
	PGresult *res = NULL;
	if (PQstatus(pg) == CONNECTION_OK)
		res = PQexec(pg, "LISTEN " CHANNEL);
	if (res && PQresultStatus(res) == PGRES_COMMAND_OK) {
		PQclear(res);
		if (atomic_exchange(&ws.down, false))
			log_msg("info", NULL, "webhook worker: database connection restored");
		return pg;
	}
	PQclear(res);
	if (!atomic_exchange(&ws.down, true)) {
		char why[512];
		db_conn_error(app.cfg.database_url, pg, why, sizeof why);
		log_msg("warn", NULL, "webhook worker: database connection failed: %s", why);
	}
	PQfinish(pg);
	return NULL;
}

/* Runs sql with params; the result when it returned rows (to clear), else NULL (logged, and the
 * connection is dropped when it broke: *pg becomes NULL). */
static PGresult *run(PGconn **pg, const char *what, const char *sql, int n,
                     const char *const *params)
{
	PGresult *res = PQexecParams(*pg, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (PQstatus(*pg) != CONNECTION_OK) {
		if (!atomic_exchange(&ws.down, true))
			log_msg("warn", NULL, "webhook worker: database connection lost (%s)",
			        what);
		PQfinish(*pg);
		*pg = NULL;
	} else {
		log_msg("error", NULL, "webhook worker: %s failed (SQLSTATE %s)", what,
		        state ? state : "none");
	}
	PQclear(res);
	return NULL;
}

/* The periodic check: permission.expiring events, then the purge. */
static void periodic(PGconn **pg)
{
	char days[12], keep[12];
	snprintf(days, sizeof days, "%d", app.cfg.webhook_expiring_days);
	snprintf(keep, sizeof keep, "%d", app.cfg.webhook_retention_days);
	const char *p1[] = {days};
	PQclear(run(pg, "the permission.expiring check",
	            "SELECT webhook_permissions_expiring($1) AS n", 1, p1));
	const char *p2[] = {keep};
	if (*pg)
		PQclear(run(pg, "the purge", "SELECT webhook_purge($1) AS n", 1, p2));
}

/* ---- one attempt -------------------------------------------------------------------------- */

struct claim {
	char id[40], subscription[40], attempt[12];
	char *url, *secret, *body; /* owned */
};

struct attempt {
	int refused;   /* the opensocket check refused an address */
	int too_large; /* the response body passed RESPONSE_CAP */
	size_t received;
	char excerpt[EXCERPT_MAX + 1];
	size_t excerpt_len;
	/* the outcome */
	long status;       /* the HTTP status, 0 when none came */
	const char *error; /* NULL: delivered (2xx) */
	long long duration_ms;
	long long started_ms; /* Unix time in milliseconds */
};

/* The socket curl connects with: refused for an address coopd does not deliver to, whatever
 * the name resolved to when the subscription was made (a DNS answer can change). */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *sa)
{
	struct attempt *a = clientp;
	(void)purpose;
	if (!app.cfg.webhook_allow_private) {
		const unsigned char *bytes = NULL;
		if (sa->family == AF_INET)
			bytes = (const unsigned char *)&((struct sockaddr_in *)(void *)&sa->addr)
			            ->sin_addr;
		else if (sa->family == AF_INET6)
			bytes = (const unsigned char *)&((struct sockaddr_in6 *)(void *)&sa->addr)
			            ->sin6_addr;
		if (!bytes || webhook_addr_refused(sa->family, bytes)) {
			a->refused = 1;
			return CURL_SOCKET_BAD;
		}
	}
	return socket(sa->family, sa->socktype, sa->protocol);
}

/* The response body: the first EXCERPT_MAX bytes kept (printable ASCII, anything else '?'),
 * the rest counted; past RESPONSE_CAP the transfer is cut off. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct attempt *a = userdata;
	size_t n = size * nmemb;
	for (size_t i = 0; i < n && a->excerpt_len < EXCERPT_MAX; i++) {
		unsigned char c = (unsigned char)data[i];
		a->excerpt[a->excerpt_len++] = c >= 0x20 && c < 0x7f                 ? (char)c
		                               : c == '\n' || c == '\t' || c == '\r' ? ' '
		                                                                     : '?';
	}
	a->excerpt[a->excerpt_len] = '\0';
	a->received += n;
	if (a->received > RESPONSE_CAP) {
		a->too_large = 1;
		return 0; /* CURLE_WRITE_ERROR */
	}
	return n;
}

/* Cuts off an attempt still running STOP_GRACE_MS after the stop request. */
static int on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	(void)clientp;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return atomic_load(&ws.stop) && mono_ms() - atomic_load(&ws.stop_at_ms) > STOP_GRACE_MS;
}

static const char *classify(CURLcode rc, const struct attempt *a)
{
	if (a->refused)
		return "address_not_allowed";
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return "timeout";
	case CURLE_COULDNT_RESOLVE_HOST:
		return "dns_failed";
	case CURLE_COULDNT_CONNECT:
		return "connect_failed";
	case CURLE_ABORTED_BY_CALLBACK:
		return "interrupted";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return "tls_failed";
	default:
		return "transport_error";
	}
}

/* POSTs the claimed delivery, signed for now; fills a's outcome. */
static void deliver(CURL *curl, const struct claim *c, struct attempt *a)
{
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	a->started_ms = (long long)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
	int64_t t0 = mono_ms();
	size_t len = strlen(c->body);
	char sig[WEBHOOK_SIGNATURE_LEN], h_id[64], h_ts[48], h_sig[80];
	if (webhook_sign(c->secret, c->id, (long long)wall.tv_sec, c->body, len, sig, sizeof sig) !=
	    0) {
		a->error =
		    "signing_failed"; /* a secret the table's check lets through always signs */
		return;
	}
	snprintf(h_id, sizeof h_id, "webhook-id: %s", c->id);
	snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %lld", (long long)wall.tv_sec);
	snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig);
	struct curl_slist *h = NULL, *next;
	const char *lines[] = {"Content-Type: application/json", h_id, h_ts, h_sig, "Expect:"};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		next = curl_slist_append(h, lines[i]);
		if (!next) {
			curl_slist_free_all(h);
			a->error = "transport_error";
			return;
		}
		h = next;
	}
	char agent[64];
	snprintf(agent, sizeof agent, "coopd-webhooks/%s", app.api_version);

	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, c->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_PROXY, ""); /* never a proxy from the environment */
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)app.cfg.webhook_connect_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)app.cfg.webhook_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, c->body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, agent);
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, a);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	CURLcode rc = curl_easy_perform(curl);
	curl_slist_free_all(h);
	a->duration_ms = mono_ms() - t0;

	long code = 0;
	if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && a->too_large)) {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 200 && code <= 299)
			a->error = NULL;
		else if (code >= 100 && code <= 999)
			a->error = "http_status";
		else
			a->error = "transport_error";
		a->status = code >= 100 && code <= 999 ? code : 0;
	} else {
		a->error = classify(rc, a);
	}
}

/* ---- the loop ----------------------------------------------------------------------------- */

static void claim_free(struct claim *c)
{
	free(c->url);
	free(c->secret);
	free(c->body);
	memset(c, 0, sizeof *c);
}

/* 1 with c filled, 0 when nothing is due, -1 on a database failure. */
static int claim(PGconn **pg, struct claim *c)
{
	char lease[16];
	snprintf(lease, sizeof lease, "%d", app.cfg.webhook_timeout_ms + LEASE_MARGIN_MS);
	const char *p[] = {lease};
	PGresult *res = run(pg, "claiming a delivery",
	                    "SELECT delivery_id, attempt, subscription_id, url, secret, body FROM "
	                    "webhook_claim($1)",
	                    1, p);
	if (!res)
		return -1;
	int got = PQntuples(res) == 1;
	if (got) {
		db_col_copy(res, 0, "delivery_id", c->id, sizeof c->id);
		db_col_copy(res, 0, "subscription_id", c->subscription, sizeof c->subscription);
		db_col_copy(res, 0, "attempt", c->attempt, sizeof c->attempt);
		c->url = strdup(db_col(res, 0, "url"));
		c->secret = strdup(db_col(res, 0, "secret"));
		c->body = strdup(db_col(res, 0, "body"));
		if (!c->url || !c->secret || !c->body) {
			claim_free(c);
			got = 0; /* out of memory: the lease runs out and it is due again */
		}
	}
	PQclear(res);
	return got;
}

/* Records the attempt; on a lost connection once more on a new one. */
static void record(PGconn **pg, const struct claim *c, const struct attempt *a)
{
	char started[32], duration[24], status[12], retry[24], disable[24];
	snprintf(started, sizeof started, "%lld", a->started_ms);
	snprintf(duration, sizeof duration, "%lld", a->duration_ms);
	snprintf(status, sizeof status, "%ld", a->status);
	long long delay =
	    webhook_retry_delay_ms(atoi(c->attempt), app.cfg.webhook_retry_first_ms,
	                           app.cfg.webhook_retry_max_ms, arc4random_uniform(1001));
	snprintf(retry, sizeof retry, "%lld", delay);
	snprintf(disable, sizeof disable, "%ld", app.cfg.webhook_disable_after_s);
	const char *p[] = {c->id,
	                   c->attempt,
	                   started,
	                   duration,
	                   a->status ? status : NULL,
	                   a->error,
	                   a->excerpt_len ? a->excerpt : NULL,
	                   retry,
	                   disable};
	for (int i = 0; i < 2; i++) {
		if (!*pg && !(*pg = worker_connect()))
			return; /* its lease runs out and it is due again */
		PGresult *res =
		    run(pg, "recording an attempt",
		        "SELECT webhook_record($1, $2, to_timestamp($3::numeric / 1000),"
		        " $4, $5, $6, $7, $8, $9) AS r",
		        9, p);
		if (!res)
			continue;
		if (strcmp(db_col(res, 0, "r") ? db_col(res, 0, "r") : "", "disabled") == 0)
			log_msg("warn", NULL,
			        "webhook subscription %s disabled: its deliveries have failed for "
			        "%ld s",
			        c->subscription, app.cfg.webhook_disable_after_s);
		PQclear(res);
		return;
	}
}

/* Milliseconds until the next delivery is due (at most the poll interval). */
static long next_due(PGconn **pg)
{
	long wait = app.cfg.webhook_poll_ms;
	PGresult *res = run(pg, "looking for the next due delivery",
	                    "SELECT webhook_next_due_ms() AS ms", 0, NULL);
	if (res && db_col(res, 0, "ms") && db_col_ll(res, 0, "ms") < wait)
		wait = (long)db_col_ll(res, 0, "ms");
	PQclear(res);
	return wait;
}

/* Reads what arrived on the connection (notifications): they only wake the loop. */
static void drain_notifications(PGconn **pg)
{
	if (!*pg)
		return;
	if (PQconsumeInput(*pg) == 0) {
		if (!atomic_exchange(&ws.down, true))
			log_msg("warn", NULL, "webhook worker: database connection lost");
		PQfinish(*pg);
		*pg = NULL;
		return;
	}
	PGnotify *n;
	while ((n = PQnotifies(*pg)) != NULL)
		PQfreemem(n);
}

static void *worker_main(void *arg)
{
	int index = (int)(intptr_t)arg;
	CURL *curl = curl_easy_init();
	PGconn *pg = NULL;
	long backoff = RECONNECT_MIN_MS;
	int64_t next_check = 0;
	if (!curl) {
		log_msg("error", NULL, "webhook worker %d: no curl handle; it does not run", index);
		return NULL;
	}
	while (!atomic_load(&ws.stop)) {
		if (!db_pool_ready()) {
			wait_for(NULL, 250);
			continue;
		}
		if (!pg && !(pg = worker_connect())) {
			wait_for(NULL, backoff);
			backoff = backoff * 2 > RECONNECT_MAX_MS ? RECONNECT_MAX_MS : backoff * 2;
			continue;
		}
		backoff = RECONNECT_MIN_MS;
		if (index == 0 && mono_ms() >= next_check) {
			periodic(&pg);
			next_check = mono_ms() + (int64_t)app.cfg.webhook_check_interval_s * 1000;
			if (!pg)
				continue;
		}
		struct claim c = {0};
		int got = claim(&pg, &c);
		if (got < 0) {
			/* a lost connection is made again at once; a failing statement is not run
			 * again in a tight loop */
			if (pg)
				wait_for(NULL, 1000);
			continue;
		}
		if (got == 1) {
			struct attempt a = {0};
			deliver(curl, &c, &a);
			record(&pg, &c, &a);
			claim_free(&c);
			/* notifications that came with the results only say "look again": drop them
			 */
			for (PGnotify *n; pg && (n = PQnotifies(pg)) != NULL;)
				PQfreemem(n);
			continue;
		}
		long wait = next_due(&pg);
		if (index == 0 && next_check - mono_ms() < wait)
			wait = (long)(next_check - mono_ms());
		if (pg) {
			wait_for(pg, wait);
			drain_notifications(&pg);
		}
	}
	PQfinish(pg);
	curl_easy_cleanup(curl);
	return NULL;
}

int webhook_workers_start(char *err, size_t errlen)
{
	int n = app.cfg.webhook_workers;
	if (n == 0)
		return 0;
	if (pipe(ws.wake) != 0) {
		snprintf(err, errlen, "webhook worker: no pipe: %s", strerror(errno));
		return -1;
	}
	ws.threads = calloc((size_t)n, sizeof *ws.threads);
	if (!ws.threads) {
		snprintf(err, errlen, "webhook worker: out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (pthread_create(&ws.threads[i], NULL, worker_main, (void *)(intptr_t)i) != 0) {
			snprintf(err, errlen, "webhook worker: cannot start thread %d", i);
			webhook_workers_stop();
			webhook_workers_join();
			return -1;
		}
		ws.started++;
	}
	log_msg("info", NULL, "webhook worker: %d threads%s", n,
	        app.cfg.webhook_allow_private ? ", private addresses allowed" : "");
	return 0;
}

void webhook_workers_stop(void)
{
	if (ws.wake[1] < 0 || atomic_load(&ws.stop))
		return;
	atomic_store(&ws.stop_at_ms, mono_ms());
	atomic_store(&ws.stop, true);
	ssize_t w = write(ws.wake[1], "x", 1);
	(void)w;
}

void webhook_workers_join(void)
{
	for (int i = 0; i < ws.started; i++)
		pthread_join(ws.threads[i], NULL);
	free(ws.threads);
	ws.threads = NULL;
	ws.started = 0;
	for (int i = 0; i < 2; i++)
		if (ws.wake[i] >= 0) {
			close(ws.wake[i]);
			ws.wake[i] = -1;
		}
}
