#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/sbuf.h"

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (at least 25 bytes). The seconds are formatted once a
 * second per thread: the access log writes a line for every request. */
static void timestamp(char *out, size_t n)
{
	static __thread time_t sec = -1;
	static __thread char head[24];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != sec) {
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		if (strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm) != 19)
			head[0] = '\0';
		sec = ts.tv_sec;
	}
	long ms = ts.tv_nsec / 1000000;
	if (n < 25 || !head[0]) {
		snprintf(out, n, "%s", head);
		return;
	}
	memcpy(out, head, 19);
	out[19] = '.';
	out[20] = (char)('0' + ms / 100);
	out[21] = (char)('0' + ms / 10 % 10);
	out[22] = (char)('0' + ms % 10);
	out[23] = 'Z';
	out[24] = '\0';
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
	char ts[40], line[1024];
	timestamp(ts, sizeof ts);
	size_t nt = strlen(ts), nf = strlen(json_fields);
	if (nt + nf + 12 > sizeof line) {
		struct sbuf b = {0};
		sbuf_printf(&b, "{\"ts\":\"%s\",%s", ts, json_fields);
		emit(&b);
		return;
	}
	/* the common case (every request's access line): on the stack, one write(2) */
	size_t at = 0;
	memcpy(line, "{\"ts\":\"", 7);
	at += 7;
	memcpy(line + at, ts, nt);
	at += nt;
	memcpy(line + at, "\",", 2);
	at += 2;
	memcpy(line + at, json_fields, nf);
	at += nf;
	memcpy(line + at, "}\n", 2);
	at += 2;
	ssize_t w = write(STDERR_FILENO, line, at);
	(void)w;
}
