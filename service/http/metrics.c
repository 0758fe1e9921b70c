#include "metrics.h"

#include <civetweb.h>
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "router.h"

static const int statuses[] = {200, 201, 204, 400, 401, 403, 404, 405, 409,
                               412, 413, 415, 422, 429, 500, 503, 504};
#define NSTATUS    (sizeof statuses / sizeof statuses[0])
#define SLOT_OTHER NSTATUS
#define NSLOTS     (NSTATUS + 1)

/* Upper bounds of the latency buckets, 1 ms to 10 s: an API answer takes a few milliseconds,
 * an export or a page of the feed up to seconds. */
static const int64_t bucket_us[] = {1000,   2500,   5000,    10000,   25000,   50000,   100000,
                                    250000, 500000, 1000000, 2500000, 5000000, 10000000};
static const char *const bucket_le[] = {"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                                        "0.25",  "0.5",    "1",     "2.5",  "5",     "10"};
#define NBUCKETS (sizeof bucket_us / sizeof bucket_us[0])

/* One row per route, and a last row for requests that matched none. */
struct row {
	atomic_ullong status[NSLOTS];
	atomic_ullong bucket[NBUCKETS + 1]; /* not cumulative; the last is above 10 s */
	atomic_ullong sum_us;
};

static struct row *rows; /* [route_count + 1] */
static char *build_version;
static unsigned long long start_centis; /* process_start_time_seconds, in hundredths */
static long clock_ticks, page_size;

/* The process's start in hundredths of a second since the epoch: the boot time (/proc/stat
 * btime) plus the start in clock ticks since boot (/proc/self/stat field 22). Falls back to
 * now. */
static unsigned long long process_start(void)
{
	unsigned long long btime = 0, ticks = 0;
	char line[256];
	FILE *f = fopen("/proc/stat", "re");
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "btime %llu", &btime) == 1)
			break;
	if (f)
		fclose(f);
	char buf[1024];
	f = fopen("/proc/self/stat", "re");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	if (btime && p &&
	    sscanf(p + 1,
	           " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d"
	           " %llu",
	           &ticks) == 1)
		return btime * 100 + ticks * 100 / (unsigned long long)clock_ticks;
	return (unsigned long long)time(NULL) * 100;
}

int metrics_init(const char *version)
{
	clock_ticks = sysconf(_SC_CLK_TCK);
	page_size = sysconf(_SC_PAGESIZE);
	if (clock_ticks <= 0)
		clock_ticks = 100;
	if (page_size <= 0)
		page_size = 4096;
	start_centis = process_start();
	rows = calloc(route_count + 1, sizeof *rows);
	build_version = strdup(version);
	if (!rows || !build_version) {
		metrics_free();
		return -1;
	}
	return 0;
}

void metrics_free(void)
{
	free(rows);
	free(build_version);
	rows = NULL;
	build_version = NULL;
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
	struct row *w = &rows[route_idx < 0 ? route_count : (size_t)route_idx];
	if (duration_us < 0)
		duration_us = 0;
	size_t b = 0;
	while (b < NBUCKETS && duration_us > bucket_us[b])
		b++;
	atomic_fetch_add_explicit(&w->status[slot_of(status)], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&w->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&w->sum_us, (unsigned long long)duration_us,
	                          memory_order_relaxed);
}

void metrics_label_value(struct sbuf *out, const char *s)
{
	const char *run = s;
	for (; *s; s++) {
		const char *esc = *s == '\\'   ? "\\\\"
		                  : *s == '"'  ? "\\\""
		                  : *s == '\n' ? "\\n"
		                               : NULL;
		if (!esc)
			continue;
		sbuf_append(out, run, (size_t)(s - run));
		sbuf_puts(out, esc);
		run = s + 1;
	}
	sbuf_append(out, run, (size_t)(s - run));
}

static void family(struct sbuf *out, const char *name, const char *type, const char *help)
{
	sbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* {route="...",method="..." (without the closing brace) */
static void route_labels(struct sbuf *out, const char *name, size_t row)
{
	sbuf_printf(out, "%s{route=\"", name);
	metrics_label_value(out, row < route_count ? routes[row].pattern : "unmatched");
	sbuf_puts(out, "\",method=\"");
	metrics_label_value(out, row < route_count ? routes[row].method : "");
	sbuf_puts(out, "\"");
}

static void render_requests(struct sbuf *out)
{
	family(out, "coopd_http_requests_total", "counter", "HTTP requests by route and status.");
	for (size_t row = 0; row <= route_count; row++) {
		for (size_t s = 0; s < NSLOTS; s++) {
			unsigned long long n = atomic_load(&rows[row].status[s]);
			if (!n)
				continue;
			route_labels(out, "coopd_http_requests_total", row);
			if (s == SLOT_OTHER)
				sbuf_printf(out, ",status=\"other\"} %llu\n", n);
			else
				sbuf_printf(out, ",status=\"%d\"} %llu\n", statuses[s], n);
		}
	}
}

/* Per route that has seen a request: cumulative buckets, _sum and _count. _count is the sum
 * of the buckets read here, so it always equals the +Inf bucket. */
static void render_durations(struct sbuf *out)
{
	family(out, "coopd_http_request_duration_seconds", "histogram",
	       "Time from request to response, by route.");
	for (size_t row = 0; row <= route_count; row++) {
		unsigned long long cum[NBUCKETS + 1], total = 0;
		for (size_t b = 0; b <= NBUCKETS; b++) {
			total += atomic_load(&rows[row].bucket[b]);
			cum[b] = total;
		}
		if (!total)
			continue;
		for (size_t b = 0; b <= NBUCKETS; b++) {
			route_labels(out, "coopd_http_request_duration_seconds_bucket", row);
			sbuf_printf(out, ",le=\"%s\"} %llu\n", b < NBUCKETS ? bucket_le[b] : "+Inf",
			            cum[b]);
		}
		unsigned long long us = atomic_load(&rows[row].sum_us);
		route_labels(out, "coopd_http_request_duration_seconds_sum", row);
		sbuf_printf(out, "} %llu.%06llu\n", us / 1000000, us % 1000000);
		route_labels(out, "coopd_http_request_duration_seconds_count", row);
		sbuf_printf(out, "} %llu\n", total);
	}
}

static void render_pool(struct sbuf *out)
{
	struct db_pool_stats p, r;
	db_pool_stats(&p, &r);
	family(out, "coopd_db_pool_size", "gauge", "Connections the pool may hold.");
	sbuf_printf(out, "coopd_db_pool_size %d\n", p.size);
	family(out, "coopd_db_pool_in_use", "gauge", "Connections checked out.");
	sbuf_printf(out, "coopd_db_pool_in_use %d\n", p.in_use);
	family(out, "coopd_db_pool_waiting", "gauge", "Requests waiting for a connection.");
	sbuf_printf(out, "coopd_db_pool_waiting %d\n", p.waiting);
	family(out, "coopd_db_read_pool_size", "gauge",
	       "Connections the read replicas' pool may hold (0: no DATABASE_READ_URL).");
	sbuf_printf(out, "coopd_db_read_pool_size %d\n", r.size);
	family(out, "coopd_db_read_pool_in_use", "gauge", "Read replica connections checked out.");
	sbuf_printf(out, "coopd_db_read_pool_in_use %d\n", r.in_use);
	family(out, "coopd_db_read_pool_waiting", "gauge",
	       "Requests waiting for a read replica connection.");
	sbuf_printf(out, "coopd_db_read_pool_waiting %d\n", r.waiting);
	family(out, "coopd_db_reads_total", "counter",
	       "Lag-tolerant reads with DATABASE_READ_URL set, by where they went: the replica, or "
	       "the primary because the replica could not be reached (down) or was too far "
	       "behind (lag).");
	sbuf_printf(out, "coopd_db_reads_total{to=\"replica\"} %llu\n", r.routed[DB_READ_REPLICA]);
	sbuf_printf(out, "coopd_db_reads_total{to=\"primary\",reason=\"down\"} %llu\n",
	            r.routed[DB_READ_PRIMARY_DOWN]);
	sbuf_printf(out, "coopd_db_reads_total{to=\"primary\",reason=\"lag\"} %llu\n",
	            r.routed[DB_READ_PRIMARY_BEHIND]);
	family(out, "coopd_db_errors_total", "counter",
	       "Database errors (connection failures and failed statements).");
	sbuf_printf(out, "coopd_db_errors_total %llu\n", db_error_count());
}

/* Open descriptors: the entries of /proc/self/fd less the one that reads it. -1 if unknown. */
static long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	long n = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n > 0 ? n - 1 : n;
}

/* The process_* family as the Prometheus client libraries name it, from /proc/self. A value
 * that cannot be read is left out rather than given as 0. */
static void render_process(struct sbuf *out)
{
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "re");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	unsigned long long utime, stime, vsize;
	long long rss;
	const char *p = strrchr(buf, ')');
	if (p && sscanf(p + 1,
	                " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d"
	                " %*d %*d %*u %llu %lld",
	                &utime, &stime, &vsize, &rss) == 4) {
		family(out, "process_cpu_seconds_total", "counter",
		       "Total user and system CPU time spent in seconds.");
		unsigned long long cpu = (utime + stime) * 100 / (unsigned long long)clock_ticks;
		sbuf_printf(out, "process_cpu_seconds_total %llu.%02llu\n", cpu / 100, cpu % 100);
		family(out, "process_resident_memory_bytes", "gauge",
		       "Resident memory size in bytes.");
		sbuf_printf(out, "process_resident_memory_bytes %lld\n", rss * page_size);
		family(out, "process_virtual_memory_bytes", "gauge",
		       "Virtual memory size in bytes.");
		sbuf_printf(out, "process_virtual_memory_bytes %llu\n", vsize);
	}
	long fds = open_fds();
	if (fds >= 0) {
		family(out, "process_open_fds", "gauge", "Number of open file descriptors.");
		sbuf_printf(out, "process_open_fds %ld\n", fds);
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
		sbuf_printf(out, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
	}
	family(out, "process_start_time_seconds", "gauge",
	       "Start time of the process since unix epoch in seconds.");
	sbuf_printf(out, "process_start_time_seconds %llu.%02llu\n", start_centis / 100,
	            start_centis % 100);
}

#if defined(__clang__)
#define COMPILER __VERSION__ /* "Debian Clang 14.0.6" */
#elif defined(__GNUC__)
#define COMPILER "gcc " __VERSION__
#else
#define COMPILER "unknown"
#endif

static void render_build(struct sbuf *out)
{
	family(out, "coopd_build_info", "gauge",
	       "Always 1; the labels say which build runs: the API version, the compiler and "
	       "the Civetweb library.");
	sbuf_puts(out, "coopd_build_info{version=\"");
	metrics_label_value(out, build_version);
	sbuf_puts(out, "\",compiler=\"");
	metrics_label_value(out, COMPILER);
	sbuf_puts(out, "\",civetweb=\"");
	metrics_label_value(out, mg_version());
	sbuf_puts(out, "\"} 1\n");
}

void metrics_render(struct sbuf *out)
{
	render_requests(out);
	render_durations(out);
	render_pool(out);
	render_process(out);
	render_build(out);
}
