/* Prometheus metrics: request counts by route and status, a latency histogram, pool gauges
 * and database errors. Lock-free counters; the only shared mutable state besides the pool. */
#ifndef COOPD_METRICS_H
#define COOPD_METRICS_H
#include <stdint.h>

#include "lib/sbuf.h"

int metrics_init(void);
void metrics_free(void);
/* route_idx: index in the route table, or -1 when no route matched. */
void metrics_observe(int route_idx, int status, int64_t duration_us);
void metrics_render(struct sbuf *out);

#endif
