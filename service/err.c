#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void err_set(struct err *e, int status, const char *code, const char *fmt, ...)
{
	e->status = status;
	snprintf(e->code, sizeof e->code, "%s", code);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof e->detail, fmt, ap);
	va_end(ap);
}

void err_field(struct err *e, const char *field, const char *code, const char *message)
{
	/* The top-level code is invalid_reference while every field error is one (SPEC §9),
	 * validation_failed as soon as another kind joins. */
	int reference = strcmp(code, "invalid_reference") == 0;
	if (!e->status) {
		e->status = 422;
		snprintf(e->code, sizeof e->code, "%s",
		         reference ? "invalid_reference" : "validation_failed");
		snprintf(e->detail, sizeof e->detail, "the request has invalid fields");
	} else if (!reference && strcmp(e->code, "invalid_reference") == 0) {
		snprintf(e->code, sizeof e->code, "validation_failed");
	}
	if (!e->errors)
		e->errors = json_array();
	json_array_append_new(e->errors, json_pack("{s:s, s:s, s:s}", "field", field, "code", code,
	                                           "message", message));
}

void err_clear(struct err *e)
{
	json_decref(e->errors);
	memset(e, 0, sizeof *e);
}

int err_not_found(struct err *e)
{
	err_set(e, 404, "not_found", "no such resource");
	return -1;
}

int err_internal(struct err *e)
{
	err_set(e, 500, "internal_error", "internal error");
	return -1;
}
