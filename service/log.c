#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/sbuf.h"

static void timestamp(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + k, n - k, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* A single write(2) per line keeps lines whole when threads log at once. */
static void emit(struct sbuf *b)
{
	sbuf_append(b, "}\n", 2);
	if (b->data) {
		ssize_t w = write(STDERR_FILENO, b->data, b->len);
		(void)w;
	}
	sbuf_free(b);
}

void log_msg(const char *level, const char *request_id, const char *fmt, ...)
{
	char ts[40], msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	timestamp(ts, sizeof ts);

	struct sbuf b = {0};
	sbuf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, level);
	sbuf_json_escape(&b, msg);
	sbuf_puts(&b, "\"");
	if (request_id) {
		sbuf_puts(&b, ",\"request_id\":\"");
		sbuf_json_escape(&b, request_id);
		sbuf_puts(&b, "\"");
	}
	emit(&b);
}

void log_fields(const char *json_fields)
{
	char ts[40];
	timestamp(ts, sizeof ts);
	struct sbuf b = {0};
	sbuf_printf(&b, "{\"ts\":\"%s\",%s", ts, json_fields);
	emit(&b);
}
