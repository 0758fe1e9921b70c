/* One JSON object per line on stderr. Callers pass ids and codes, never personal data,
 * tokens, passwords or SQL parameters. */
#ifndef COOPD_LOG_H
#define COOPD_LOG_H

/* level: "info" | "warn" | "error". request_id may be NULL. */
void log_msg(const char *level, const char *request_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes a line that the caller already formatted as a JSON object body (without braces),
 * prefixed with the timestamp. Used by the access log. */
void log_fields(const char *json_fields);

#endif
