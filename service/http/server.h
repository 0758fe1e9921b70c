/* The HTTP server: Civetweb set up for an API (keep-alive, tcp_nodelay, no document root),
 * every request through one dispatcher. */
#ifndef COOPD_SERVER_H
#define COOPD_SERVER_H
#include <stddef.h>

struct mg_context;

/* Starts listening on COOPD_LISTEN, and on COOPD_METRICS_LISTEN for /metrics alone when that is
 * set. NULL with a message on failure (then nothing listens). */
struct mg_context *server_start(char *err, size_t errlen);
/* Drains: new requests get 503 (and the connection closes), requests in flight finish (for
 * at most grace_seconds), then the workers stop, the metrics listener's last. */
void server_stop(struct mg_context *ctx, int grace_seconds);

#endif
