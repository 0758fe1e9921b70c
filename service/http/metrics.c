#include "metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "router.h"

static const int statuses[] = {200, 201, 204, 400, 401, 403, 404, 405, 409,
                               412, 413, 415, 422, 429, 500, 503, 504};
#define NSTATUS    (sizeof statuses / sizeof statuses[0])
#define SLOT_OTHER NSTATUS
#define NSLOTS     (NSTATUS + 1)

static const int64_t bucket_us[] = {500,    1000,   2500,   5000,    10000,   25000,  50000,
                                    100000, 250000, 500000, 1000000, 2500000, 5000000};
static const char *const bucket_le[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01",
                                        "0.025",  "0.05",  "0.1",    "0.25",  "0.5",
                                        "1",      "2.5",   "5"};
#define NBUCKETS (sizeof bucket_us / sizeof bucket_us[0])

static atomic_ullong *counts; /* [(route_count + 1) * NSLOTS]; last row: unmatched */
static atomic_ullong buckets[NBUCKETS + 1];
static atomic_ullong sum_us, total;

int metrics_init(void)
{
	counts = calloc((route_count + 1) * NSLOTS, sizeof *counts);
	return counts ? 0 : -1;
}

void metrics_free(void)
{
	free(counts);
	counts = NULL;
}

static size_t slot_of(int status)
{
	for (size_t i = 0; i < NSTATUS; i++)
		if (statuses[i] == status)
			return i;
	return SLOT_OTHER;
}

void metrics_observe(int route_idx, int status, int64_t duration_us)
{
	size_t row = route_idx < 0 ? route_count : (size_t)route_idx;
	atomic_fetch_add_explicit(&counts[row * NSLOTS + slot_of(status)], 1, memory_order_relaxed);
	size_t b = 0;
	while (b < NBUCKETS && duration_us > bucket_us[b])
		b++;
	atomic_fetch_add_explicit(&buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&sum_us, (unsigned long long)duration_us, memory_order_relaxed);
	atomic_fetch_add_explicit(&total, 1, memory_order_relaxed);
}

void metrics_render(struct sbuf *out)
{
	sbuf_puts(out, "# HELP coopd_http_requests_total HTTP requests by route and status.\n"
	               "# TYPE coopd_http_requests_total counter\n");
	for (size_t row = 0; row <= route_count; row++) {
		const char *method = row < route_count ? routes[row].method : "";
		const char *path = row < route_count ? routes[row].pattern : "unmatched";
		for (size_t s = 0; s < NSLOTS; s++) {
			unsigned long long n = atomic_load(&counts[row * NSLOTS + s]);
			if (!n)
				continue;
			char label[8];
			if (s == SLOT_OTHER)
				snprintf(label, sizeof label, "other");
			else
				snprintf(label, sizeof label, "%d", statuses[s]);
			sbuf_printf(out,
			            "coopd_http_requests_total{route=\"%s\",method=\"%s\","
			            "status=\"%s\"} %llu\n",
			            path, method, label, n);
		}
	}
	sbuf_puts(out, "# HELP coopd_http_request_duration_seconds Time from request to response.\n"
	               "# TYPE coopd_http_request_duration_seconds histogram\n");
	unsigned long long cum = 0;
	for (size_t b = 0; b < NBUCKETS; b++) {
		cum += atomic_load(&buckets[b]);
		sbuf_printf(out, "coopd_http_request_duration_seconds_bucket{le=\"%s\"} %llu\n",
		            bucket_le[b], cum);
	}
	cum += atomic_load(&buckets[NBUCKETS]);
	unsigned long long us = atomic_load(&sum_us);
	sbuf_printf(out, "coopd_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
	sbuf_printf(out, "coopd_http_request_duration_seconds_sum %llu.%06llu\n", us / 1000000,
	            us % 1000000);
	sbuf_printf(out, "coopd_http_request_duration_seconds_count %llu\n", cum);

	int size, in_use, waiting;
	db_pool_stats(&size, &in_use, &waiting);
	sbuf_printf(out,
	            "# HELP coopd_db_pool_size Connections the pool may hold.\n"
	            "# TYPE coopd_db_pool_size gauge\ncoopd_db_pool_size %d\n"
	            "# HELP coopd_db_pool_in_use Connections checked out.\n"
	            "# TYPE coopd_db_pool_in_use gauge\ncoopd_db_pool_in_use %d\n"
	            "# HELP coopd_db_pool_waiting Requests waiting for a connection.\n"
	            "# TYPE coopd_db_pool_waiting gauge\ncoopd_db_pool_waiting %d\n"
	            "# HELP coopd_db_errors_total Database errors (connection failures and "
	            "failed statements).\n"
	            "# TYPE coopd_db_errors_total counter\ncoopd_db_errors_total %llu\n",
	            size, in_use, waiting, db_error_count());
}
