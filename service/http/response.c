/* Building responses into the request's buffer. The server writes status line, headers and
 * body in one go (server.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int resp_body(struct req *r, int status, const char *content_type, const char *body, size_t len)
{
	sbuf_reset(&r->out);
	sbuf_append(&r->out, body, len);
	r->status = status;
	r->content_type = content_type;
	return 0;
}

void resp_filename(struct req *r, const char *name)
{
	size_t n = strlen(name);
	if (n >= sizeof r->filename) {
		n = sizeof r->filename - 1;
		while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
			n--; /* not inside a UTF-8 character */
	}
	memcpy(r->filename, name, n);
	r->filename[n] = '\0';
}

int resp_json_text(struct req *r, int status, const char *text)
{
	return resp_body(r, status, "application/json; charset=utf-8", text, strlen(text));
}

int resp_json(struct req *r, int status, json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (!s) {
		err_set(&r->err, 500, "internal_error", "internal error");
		return -1;
	}
	resp_json_text(r, status, s);
	free(s);
	return 0;
}

int resp_empty(struct req *r, int status)
{
	sbuf_reset(&r->out);
	r->status = status;
	r->content_type = NULL;
	return 0;
}

void resp_list_begin(struct req *r)
{
	sbuf_reset(&r->out);
	sbuf_puts(&r->out, "{\"data\":[");
}

void resp_list_item(struct req *r, const char *json_text)
{
	if (r->out.data[r->out.len - 1] != '[')
		sbuf_append(&r->out, ",", 1);
	sbuf_puts(&r->out, json_text);
}

int resp_list_end(struct req *r, const char *next_cursor)
{
	if (next_cursor)
		sbuf_printf(&r->out, "],\"next_cursor\":\"%s\"}", next_cursor);
	else
		sbuf_puts(&r->out, "],\"next_cursor\":null}");
	r->status = 200;
	r->content_type = "application/json; charset=utf-8";
	return 0;
}

void resp_set_etag(struct req *r, const char *version)
{
	size_t n = strlen(version); /* "\"%s\"", by hand: every GET of a resource has one */
	if (n + 3 > sizeof r->etag)
		n = sizeof r->etag - 3;
	r->etag[0] = '"';
	memcpy(r->etag + 1, version, n);
	r->etag[n + 1] = '"';
	r->etag[n + 2] = '\0';
}

void resp_set_location(struct req *r, const char *collection, const char *id)
{
	snprintf(r->location, sizeof r->location, "%s/%s", collection, id);
}
