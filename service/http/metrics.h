/* Prometheus metrics: request counts by route and status, latency histograms by route, pool
 * gauges, database errors, the process_* family of the Prometheus client libraries and a
 * build-info gauge.
 *
 * metrics_init runs once before the HTTP server starts and metrics_free after it stopped;
 * metrics_observe and metrics_render are thread-safe and take no lock: every counter is an
 * atomic, added to with relaxed ordering (the only shared mutable state besides the pool). */
#ifndef COOPD_METRICS_H
#define COOPD_METRICS_H
#include <stdint.h>

#include "lib/sbuf.h"

/* version: the API version (copied), the value of coopd_build_info's version label.
 * Returns 0, or -1 when out of memory. */
int metrics_init(const char *version);
void metrics_free(void);
/* route_idx: index in the route table, or -1 when no route matched. */
void metrics_observe(int route_idx, int status, int64_t duration_us);
/* Appends the text exposition format (version 0.0.4) of every family to out. */
void metrics_render(struct sbuf *out);
/* Appends s as a label value: backslash, quotation mark and line feed escaped. */
void metrics_label_value(struct sbuf *out, const char *s);

#endif
