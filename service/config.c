#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return (v && *v) ? v : fallback;
}

static int env_long(const char *name, long def, long min, long max, long *out, char *err,
                    size_t errlen)
{
	const char *v = getenv(name);
	if (!v || !*v) {
		*out = def;
		return 0;
	}
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || *end || end == v || n < min || n > max) {
		snprintf(err, errlen, "%s must be an integer from %ld to %ld", name, min, max);
		return -1;
	}
	*out = n;
	return 0;
}

static int env_int(const char *name, int def, int min, int max, int *out, char *err, size_t n)
{
	long v;
	if (env_long(name, def, min, max, &v, err, n) != 0)
		return -1;
	*out = (int)v;
	return 0;
}

/* host:port with a numeric port 1..65535 (host may be an IPv4 address, [IPv6] or a name).
 * No comma or space: Civetweb would read a list of ports. */
static int valid_listen(const char *s)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || strlen(s) >= 128 || strpbrk(s, ", \t"))
		return 0;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	return *end == '\0' && end != colon + 1 && port >= 1 && port <= 65535;
}

static int wildcard_host(const char *s, size_t n)
{
	return (n == 7 && memcmp(s, "0.0.0.0", 7) == 0) || (n == 4 && memcmp(s, "[::]", 4) == 0);
}

/* Whether two valid host:port addresses would take the same socket: the same port, and the
 * same host or a wildcard host on either side. */
static int same_socket(const char *a, const char *b)
{
	const char *ca = strrchr(a, ':'), *cb = strrchr(b, ':');
	if (atoi(ca + 1) != atoi(cb + 1))
		return 0;
	size_t na = (size_t)(ca - a), nb = (size_t)(cb - b);
	return (na == nb && strncasecmp(a, b, na) == 0) || wildcard_host(a, na) ||
	       wildcard_host(b, nb);
}

/* An origin as browsers send it (RFC 6454 §6.2): http or https, a lower-case host name, IPv4
 * address or [IPv6] address, and an optional port 1..65535; no path, no trailing slash. */
static int valid_origin(const char *s, size_t n)
{
	size_t i;
	if (n > 8 && memcmp(s, "https://", 8) == 0)
		i = 8;
	else if (n > 7 && memcmp(s, "http://", 7) == 0)
		i = 7;
	else
		return 0;
	size_t host = i;
	if (s[i] == '[') {
		for (i++; i < n && s[i] != ']'; i++)
			if (!strchr("0123456789abcdef:.", s[i]))
				return 0;
		if (i >= n || i == host + 1)
			return 0;
		i++;
	} else {
		for (; i < n && s[i] != ':'; i++)
			if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
			      s[i] == '-' || s[i] == '.'))
				return 0;
		if (i == host || s[host] == '.' || s[i - 1] == '.')
			return 0;
	}
	if (i == n)
		return 1;
	if (s[i] != ':' || i + 1 == n || n - i > 6)
		return 0;
	long port = 0;
	for (i++; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		port = port * 10 + (s[i] - '0');
	}
	return port >= 1 && port <= 65535;
}

/* COOPD_CORS_ORIGINS: a comma-separated list of exact origins; empty means none. */
static int load_cors(struct config *cfg, char *err, size_t errlen)
{
	const char *p = env_or("COOPD_CORS_ORIGINS", "");
	while (*p == ' ')
		p++;
	if (!*p)
		return 0;
	for (;;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, ",");
		size_t len = n;
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (cfg->cors_origin_count == MAX_CORS_ORIGINS || len >= CORS_ORIGIN_MAX ||
		    !valid_origin(p, len)) {
			snprintf(err, errlen,
			         "COOPD_CORS_ORIGINS must be a comma-separated list of at most %d "
			         "origins such as https://app.example.nl (scheme, lower-case host, "
			         "optional port; no path)",
			         MAX_CORS_ORIGINS);
			return -1;
		}
		memcpy(cfg->cors_origins[cfg->cors_origin_count], p, len);
		cfg->cors_origins[cfg->cors_origin_count++][len] = '\0';
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

/* COOPD_WEBHOOK_*: the delivery worker's settings (README "Webhooks"). */
static int load_webhooks(struct config *cfg, char *err, size_t errlen)
{
	if (env_int("COOPD_WEBHOOK_WORKERS", 2, 0, 16, &cfg->webhook_workers, err, errlen) ||
	    env_int("COOPD_WEBHOOK_TIMEOUT_MS", 10000, 500, 60000, &cfg->webhook_timeout_ms, err,
	            errlen) ||
	    env_int("COOPD_WEBHOOK_CONNECT_TIMEOUT_MS", 5000, 100, 60000,
	            &cfg->webhook_connect_timeout_ms, err, errlen) ||
	    env_int("COOPD_WEBHOOK_POLL_MS", 5000, 100, 600000, &cfg->webhook_poll_ms, err,
	            errlen) ||
	    env_long("COOPD_WEBHOOK_RETRY_FIRST_MS", 30000, 100, 86400000L,
	             &cfg->webhook_retry_first_ms, err, errlen) ||
	    env_long("COOPD_WEBHOOK_RETRY_MAX_MS", 21600000L, 100, 86400000L,
	             &cfg->webhook_retry_max_ms, err, errlen) ||
	    env_long("COOPD_WEBHOOK_DISABLE_AFTER_S", 259200, 1, 31536000L,
	             &cfg->webhook_disable_after_s, err, errlen) ||
	    env_int("COOPD_WEBHOOK_EXPIRING_DAYS", 60, 1, 365, &cfg->webhook_expiring_days, err,
	            errlen) ||
	    env_int("COOPD_WEBHOOK_CHECK_INTERVAL_S", 3600, 1, 86400,
	            &cfg->webhook_check_interval_s, err, errlen) ||
	    env_int("COOPD_WEBHOOK_RETENTION_DAYS", 30, 1, 3650, &cfg->webhook_retention_days, err,
	            errlen) ||
	    env_int("COOPD_WEBHOOK_ALLOW_PRIVATE", 0, 0, 1, &cfg->webhook_allow_private, err,
	            errlen))
		return -1;
	if (cfg->webhook_connect_timeout_ms > cfg->webhook_timeout_ms) {
		snprintf(err, errlen,
		         "COOPD_WEBHOOK_CONNECT_TIMEOUT_MS must not exceed "
		         "COOPD_WEBHOOK_TIMEOUT_MS (%d)",
		         cfg->webhook_timeout_ms);
		return -1;
	}
	if (cfg->webhook_retry_max_ms < cfg->webhook_retry_first_ms) {
		snprintf(err, errlen,
		         "COOPD_WEBHOOK_RETRY_MAX_MS must be at least COOPD_WEBHOOK_RETRY_FIRST_MS "
		         "(%ld)",
		         cfg->webhook_retry_first_ms);
		return -1;
	}
	return 0;
}

int config_load(struct config *cfg, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof *cfg);
	const char *listen = env_or("COOPD_LISTEN", "127.0.0.1:8080");
	if (!valid_listen(listen)) {
		snprintf(err, errlen, "COOPD_LISTEN must be host:port");
		return -1;
	}
	snprintf(cfg->listen, sizeof cfg->listen, "%s", listen);

	const char *metrics = env_or("COOPD_METRICS_LISTEN", "");
	if (*metrics && !valid_listen(metrics)) {
		snprintf(err, errlen, "COOPD_METRICS_LISTEN must be host:port");
		return -1;
	}
	if (*metrics && same_socket(metrics, listen)) {
		snprintf(err, errlen,
		         "COOPD_METRICS_LISTEN must be another address than COOPD_LISTEN (%s)",
		         listen);
		return -1;
	}
	snprintf(cfg->metrics_listen, sizeof cfg->metrics_listen, "%s", metrics);

	cfg->database_url = env_or("DATABASE_URL", NULL);
	if (!cfg->database_url) {
		snprintf(err, errlen, "DATABASE_URL is required");
		return -1;
	}
	cfg->database_read_url = env_or("DATABASE_READ_URL", NULL);
	if (cfg->database_read_url && !*cfg->database_read_url)
		cfg->database_read_url = NULL;
	if (env_int("COOPD_THREADS", 1024, 8, 4096, &cfg->threads, err, errlen) ||
	    env_int("COOPD_KEEPALIVE_TIMEOUT_MS", 10000, 100, 300000, &cfg->keep_alive_timeout_ms,
	            err, errlen) ||
	    env_int("COOPD_REQUEST_TIMEOUT_MS", 10000, 100, 300000, &cfg->request_timeout_ms, err,
	            errlen) ||
	    env_int("COOPD_DB_POOL", 6, 1, 100, &cfg->db_pool, err, errlen) ||
	    env_int("COOPD_DB_READ_POOL", 4, 1, 100, &cfg->db_read_pool, err, errlen) ||
	    env_int("COOPD_READ_MAX_LAG_MS", 5000, 100, 3600000, &cfg->read_max_lag_ms, err,
	            errlen) ||
	    env_int("COOPD_DB_TIMEOUT_MS", 2000, 10, 60000, &cfg->db_timeout_ms, err, errlen) ||
	    env_int("COOPD_STATEMENT_TIMEOUT_MS", 5000, 100, 600000, &cfg->statement_timeout_ms,
	            err, errlen) ||
	    env_int("COOPD_EXPORT_TIMEOUT_MS", 300000, 100, 3600000, &cfg->export_timeout_ms, err,
	            errlen) ||
	    env_long("COOPD_BODY_LIMIT", 1048576, 1024, 64L * 1048576, &cfg->body_limit, err,
	             errlen) ||
	    env_long("COOPD_BANK_STATEMENT_LIMIT", 10L * 1048576, 1024, 256L * 1048576,
	             &cfg->statement_limit, err, errlen) ||
	    env_int("COOPD_TOKEN_TTL", 3600, 60, 3600, &cfg->token_ttl, err, errlen) ||
	    env_int("COOPD_LOGIN_MAX_FAILURES", 5, 1, 100, &cfg->login_max_failures, err, errlen) ||
	    env_int("COOPD_LOGIN_LOCKOUT_SECONDS", 300, 1, 86400, &cfg->login_lockout_seconds, err,
	            errlen))
		return -1;

	const char *proxies = env_or("COOPD_TRUSTED_PROXIES", "");
	cfg->trusted_proxy_count =
	    net_range_list_parse(proxies, cfg->trusted_proxies, MAX_TRUSTED_PROXIES);
	if (cfg->trusted_proxy_count < 0) {
		snprintf(err, errlen,
		         "COOPD_TRUSTED_PROXIES must be a comma-separated list of at most %d "
		         "addresses or CIDR ranges",
		         MAX_TRUSTED_PROXIES);
		return -1;
	}

	if (load_cors(cfg, err, errlen) != 0)
		return -1;
	if (load_webhooks(cfg, err, errlen) != 0)
		return -1;

	cfg->jwt_alg = env_or("COOPD_JWT_ALG", "HS256");
	cfg->jwt_secret = env_or("COOPD_JWT_SECRET", NULL);
	cfg->jwt_private_key_file = env_or("COOPD_JWT_PRIVATE_KEY_FILE", NULL);
	cfg->jwt_public_key_file = env_or("COOPD_JWT_PUBLIC_KEY_FILE", NULL);
	cfg->jwt_second_secret = env_or("COOPD_JWT_SECOND_SECRET", NULL);
	cfg->jwt_second_public_key_file = env_or("COOPD_JWT_SECOND_PUBLIC_KEY_FILE", NULL);
	/* A second key only verifies: the tokens coopd issues need the main (signing) key. */
	if ((cfg->jwt_second_secret || cfg->jwt_second_public_key_file) && !cfg->jwt_secret &&
	    !cfg->jwt_private_key_file) {
		snprintf(err, errlen,
		         "%s is a second key that only verifies: it needs the signing key "
		         "(COOPD_JWT_SECRET, or COOPD_JWT_PRIVATE_KEY_FILE for ES256/RS256)",
		         cfg->jwt_second_secret ? "COOPD_JWT_SECOND_SECRET"
		                                : "COOPD_JWT_SECOND_PUBLIC_KEY_FILE");
		return -1;
	}
	cfg->jwt_issuer = env_or("COOPD_JWT_ISSUER", "coopd");
	cfg->jwt_audience = env_or("COOPD_JWT_AUDIENCE", "coopd-api");

	cfg->bootstrap_admin_password = env_or("COOPD_BOOTSTRAP_ADMIN_PASSWORD", NULL);
	if (cfg->bootstrap_admin_password && strlen(cfg->bootstrap_admin_password) < 12) {
		snprintf(err, errlen,
		         "COOPD_BOOTSTRAP_ADMIN_PASSWORD must have at least 12 characters");
		return -1;
	}
	/* The signing key itself is checked by token_keys_new. */
	return 0;
}
