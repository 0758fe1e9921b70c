/* Configuration from the environment, read and validated once at start; immutable afterwards. */
#ifndef COOPD_CONFIG_H
#define COOPD_CONFIG_H
#include <stddef.h>

#include "lib/netaddr.h"

#define MAX_TRUSTED_PROXIES 16
#define MAX_CORS_ORIGINS    16
#define CORS_ORIGIN_MAX     128

struct config {
	char listen[128];          /* COOPD_LISTEN, host:port */
	char metrics_listen[128];  /* COOPD_METRICS_LISTEN, host:port; "" = /metrics on listen */
	const char *database_url;  /* DATABASE_URL (borrowed from the environment) */
	int threads;               /* COOPD_THREADS: HTTP worker threads = connections at once */
	int keep_alive_timeout_ms; /* COOPD_KEEPALIVE_TIMEOUT_MS: idle keep-alive connection */
	int request_timeout_ms;    /* COOPD_REQUEST_TIMEOUT_MS: to receive one whole request */
	int db_pool;               /* COOPD_DB_POOL */
	const char *database_read_url; /* DATABASE_READ_URL: read replicas; NULL = none */
	int db_read_pool;              /* COOPD_DB_READ_POOL */
	int read_max_lag_ms;           /* COOPD_READ_MAX_LAG_MS */
	int db_timeout_ms;             /* COOPD_DB_TIMEOUT_MS: pool checkout wait */
	int statement_timeout_ms;      /* COOPD_STATEMENT_TIMEOUT_MS */
	int export_timeout_ms;         /* COOPD_EXPORT_TIMEOUT_MS */
	long body_limit;               /* COOPD_BODY_LIMIT, bytes */
	long statement_limit;          /* COOPD_BANK_STATEMENT_LIMIT, bytes: an XML body */
	const char *jwt_alg;           /* COOPD_JWT_ALG */
	const char *jwt_secret;        /* COOPD_JWT_SECRET */
	const char *jwt_private_key_file;
	const char *jwt_public_key_file;
	const char *jwt_second_secret;          /* COOPD_JWT_SECOND_SECRET: verifies, never signs */
	const char *jwt_second_public_key_file; /* COOPD_JWT_SECOND_PUBLIC_KEY_FILE: likewise */
	const char *jwt_issuer;
	const char *jwt_audience;
	int token_ttl; /* COOPD_TOKEN_TTL, seconds */
	const char *bootstrap_admin_password;
	int login_max_failures;
	int login_lockout_seconds;
	/* COOPD_TRUSTED_PROXIES: peers whose X-Forwarded-For names the client */
	struct net_range trusted_proxies[MAX_TRUSTED_PROXIES];
	int trusted_proxy_count;
	/* COOPD_CORS_ORIGINS: origins (scheme://host[:port]) a browser may call the API from */
	char cors_origins[MAX_CORS_ORIGINS][CORS_ORIGIN_MAX];
	int cors_origin_count;
	/* Webhooks (README "Webhooks"), COOPD_WEBHOOK_*: */
	int webhook_workers;    /* delivery threads of this instance; 0 = delivers nothing */
	int webhook_timeout_ms; /* one attempt, in all */
	int webhook_connect_timeout_ms; /* its connection */
	int webhook_poll_ms;            /* looking for due deliveries without a notification */
	long webhook_retry_first_ms;    /* the wait after the first failure, doubling ... */
	long webhook_retry_max_ms;      /* ... up to this */
	long webhook_disable_after_s;   /* failing this long without a success disables */
	int webhook_expiring_days;      /* permission.expiring: this many days before the end */
	int webhook_check_interval_s;   /* the periodic check (permission.expiring, purge) */
	int webhook_retention_days;     /* delivered deliveries are kept this long */
	int webhook_allow_private;      /* COOPD_WEBHOOK_ALLOW_PRIVATE=1: private addresses too */
};

/* Fills cfg from the environment. Returns 0, or -1 with a message in err naming the variable. */
int config_load(struct config *cfg, char *err, size_t errlen);

#endif
